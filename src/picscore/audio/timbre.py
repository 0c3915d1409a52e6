"""Timbre statistics of a track: how its mel-cepstrum and its spectral contrast sit and move, for the music mood of
tracks without taggers.

- Twenty mel-frequency cepstral coefficients (the orthonormal DCT-II of the log-mel spectrum, as librosa's MFCCs),
  by their means, standard deviations and mean absolute change from one frame to the next: 60 numbers.
- The spectral contrast in seven octave bands (below 200 Hz, 200-400 Hz, ... above 6.4 kHz, as librosa's
  spectral_contrast): the level of each band's loudest mel band over its quietest, which is high for clear tones
  and low for noise; by their means and standard deviations: 14 numbers.

Both read the log-mel spectrum floored 80 dB below its loudest bin. They hear what the descriptors miss (a distorted
guitar and a string pad at the same tempo, key and loudness): beside the descriptors they raised the mood head of
tracks indexed without the musicnn taggers from 0.545 to 0.64 of the rated clips' quadrants right
(docs/how-matching-works.md); beside the taggers they add nothing, for those hear timbre already.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

TIMBRE_COEFFICIENTS = 20
OCTAVE_EDGES_HZ = (200.0, 400.0, 800.0, 1600.0, 3200.0, 6400.0)  # the contrast's bands lie between and around them
TIMBRE_WIDTH = 3 * TIMBRE_COEFFICIENTS + 2 * (len(OCTAVE_EDGES_HZ) + 1)
_RANGE_DB = 80.0


def timbre_statistics(log_mel: np.ndarray, *, band_centres_hz: np.ndarray) -> np.ndarray:
    """[TIMBRE_WIDTH] float32 of a [n_mels, frames] log-mel spectrogram in dB whose bands centre on `band_centres_hz`:
    the cepstral coefficients' means, standard deviations and mean absolute frame-to-frame change (zero for a single
    frame), then the octave bands' contrasts' means and standard deviations."""
    floored = np.maximum(log_mel, np.float32(log_mel.max() - _RANGE_DB), dtype=np.float32)
    cepstrum = (_dct_rows(len(log_mel)) @ floored).astype(np.float64)
    change = np.abs(np.diff(cepstrum, axis=1)).mean(axis=1) if cepstrum.shape[1] > 1 else np.zeros(TIMBRE_COEFFICIENTS)
    contrast = octave_contrast(floored, band_centres_hz=band_centres_hz).astype(np.float64)
    return np.concatenate([cepstrum.mean(axis=1), cepstrum.std(axis=1), change, contrast.mean(axis=1), contrast.std(axis=1)]).astype(
        np.float32
    )


def octave_contrast(log_mel: np.ndarray, *, band_centres_hz: np.ndarray) -> np.ndarray:
    """[len(OCTAVE_EDGES_HZ) + 1, frames] in dB: in each octave band, its loudest mel band's level minus its quietest's
    (0 where an octave holds fewer than two mel bands)."""
    octave = np.searchsorted(OCTAVE_EDGES_HZ, band_centres_hz, side="right")
    contrast = np.zeros((len(OCTAVE_EDGES_HZ) + 1, log_mel.shape[1]), dtype=np.float32)
    for k in range(len(contrast)):
        bands = log_mel[octave == k]
        if len(bands) >= 2:
            contrast[k] = bands.max(axis=0) - bands.min(axis=0)
    return contrast


@lru_cache(maxsize=4)
def _dct_rows(n_bands: int) -> np.ndarray:
    """[TIMBRE_COEFFICIENTS, n_bands] the first rows of the orthonormal DCT-II (scipy.fft.dct's norm="ortho"), as one
    matrix: this module is imported by the mood heads, which must not load SciPy."""
    k, n = np.arange(TIMBRE_COEFFICIENTS)[:, None], np.arange(n_bands)[None, :]
    rows = np.sqrt(2.0 / n_bands) * np.cos(np.pi * k * (2 * n + 1) / (2 * n_bands))
    rows[0] /= np.sqrt(2.0)
    return rows.astype(np.float32)
