"""Timbre statistics: the cepstrum's and the octave contrasts' means, spreads and changes, by hand on toy spectra,
and on real sounds through the analysis."""

from __future__ import annotations

import numpy as np
import scipy.fft

from picscore.audio import spectral
from picscore.audio.analysis import DEFAULT_CONFIG, analyse
from picscore.audio.timbre import OCTAVE_EDGES_HZ, TIMBRE_COEFFICIENTS, TIMBRE_WIDTH, octave_contrast, timbre_statistics

_OCTAVES = len(OCTAVE_EDGES_HZ) + 1
_CENTRES_HZ = spectral.mel_band_centres(sr=DEFAULT_CONFIG.sr, n_mels=DEFAULT_CONFIG.n_mels)


def _parts(stats: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cepstral means, spreads and changes, then octave contrasts' means and spreads."""
    return tuple(np.split(stats, np.cumsum([TIMBRE_COEFFICIENTS] * 3 + [_OCTAVES])))  # type: ignore[return-value]


def test_a_flat_spectrum_alternating_in_level_moves_only_the_first_coefficient() -> None:
    log_mel = np.tile([-20.0, -40.0], (len(_CENTRES_HZ), 3))  # every band at -20 dB, then -40 dB, six frames
    stats = timbre_statistics(log_mel, band_centres_hz=_CENTRES_HZ)
    means, spreads, changes, contrast_means, contrast_spreads = _parts(stats)
    assert stats.shape == (TIMBRE_WIDTH,) and stats.dtype == np.float32
    # The orthonormal DCT of a constant c over n bands is sqrt(n) * c in the first coefficient and 0 in the others.
    expected = np.sqrt(len(_CENTRES_HZ)) * np.array([-30.0, 10.0, 20.0])
    np.testing.assert_allclose([means[0], spreads[0], changes[0]], expected, rtol=1e-5)
    np.testing.assert_allclose(np.concatenate([means[1:], spreads[1:], changes[1:]]), 0.0, atol=1e-3)
    np.testing.assert_allclose(np.concatenate([contrast_means, contrast_spreads]), 0.0)  # a flat spectrum has no peaks


def test_the_coefficients_are_scipys_orthonormal_dct_of_the_bands(rng: np.random.Generator) -> None:
    log_mel = rng.normal(-40.0, 10.0, size=(len(_CENTRES_HZ), 50))
    cepstrum = scipy.fft.dct(log_mel, type=2, norm="ortho", axis=0)[:TIMBRE_COEFFICIENTS]
    means, spreads, *_ = _parts(timbre_statistics(log_mel, band_centres_hz=_CENTRES_HZ))
    np.testing.assert_allclose(means, cepstrum.mean(axis=1), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(spreads, cepstrum.std(axis=1), rtol=1e-5)


def test_each_octave_contrast_is_its_loudest_band_over_its_quietest() -> None:
    centres = np.array([100.0, 150.0, 300.0, 350.0, 500.0, 7000.0])  # two bands below 200 Hz, two in 200-400, one, one
    log_mel = np.array([[-10.0, -20.0], [-30.0, -20.0], [-5.0, -5.0], [-25.0, -45.0], [-1.0, -1.0], [-2.0, -2.0]])
    contrast = octave_contrast(log_mel, band_centres_hz=centres)
    assert contrast.shape == (_OCTAVES, 2)
    np.testing.assert_allclose(contrast[0], [20.0, 0.0])
    np.testing.assert_allclose(contrast[1], [20.0, 40.0])
    np.testing.assert_allclose(contrast[2:], 0.0)  # an octave of one band, or none, has no contrast
    _, _, _, contrast_means, contrast_spreads = _parts(timbre_statistics(log_mel, band_centres_hz=centres))
    np.testing.assert_allclose(contrast_means[:2], [10.0, 30.0])
    np.testing.assert_allclose(contrast_spreads[:2], [10.0, 10.0])


def test_bands_far_below_the_loudest_are_floored_80_db_under_it() -> None:
    log_mel = np.full((len(_CENTRES_HZ), 4), -10.0)
    silent = log_mel.copy()
    silent[64:] = -200.0  # the upper half far below the floor
    floored = log_mel.copy()
    floored[64:] = -90.0
    np.testing.assert_allclose(
        timbre_statistics(silent, band_centres_hz=_CENTRES_HZ), timbre_statistics(floored, band_centres_hz=_CENTRES_HZ)
    )
    assert _parts(timbre_statistics(log_mel[:, :1], band_centres_hz=_CENTRES_HZ))[2].tolist() == [0.0] * TIMBRE_COEFFICIENTS


def test_a_low_tone_and_high_hiss_differ_in_tilt_and_contrast_as_the_analysis_stores_them(rng: np.random.Generator) -> None:
    sr, seconds = DEFAULT_CONFIG.sr, 4.0
    t = np.arange(int(sr * seconds)) / sr
    low = (0.5 * np.sin(2 * np.pi * 110.0 * t)).astype(np.float32)
    hiss = rng.normal(scale=0.1, size=len(t))
    high = np.diff(np.diff(hiss, prepend=0.0), prepend=0.0).astype(np.float32)  # noise tilted towards the treble
    low_timbre, high_timbre = analyse(low).timbre, analyse(high).timbre
    assert low_timbre.shape == high_timbre.shape == (TIMBRE_WIDTH,)
    # The second coefficient weighs the low bands up and the high ones down: energy low in the spectrum raises it.
    assert low_timbre[1] > 0 > high_timbre[1]
    # A tone at 110 Hz stands far above the rest of its octave; noise is about as loud across its bands.
    low_contrast, high_contrast = _parts(low_timbre)[3], _parts(high_timbre)[3]
    assert low_contrast[0] > 40.0 and high_contrast[-1] < 15.0
    np.testing.assert_array_equal(analyse(low).timbre, low_timbre)
