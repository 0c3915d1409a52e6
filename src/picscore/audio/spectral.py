"""Short-time spectra and the features derived from them: mel bands, onsets, brightness."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view


def power_spectrogram(
    samples: np.ndarray, *, n_fft: int = 2048, hop_length: int = 512, pad_mode: Literal["constant", "reflect"] = "constant"
) -> np.ndarray:
    """Power |STFT|^2 of centred, Hann-windowed frames, shape (1 + n_fft // 2, n_frames).

    Frame k is centred on sample k * hop_length, with silence padded at both ends (a
    reflection would invent a click where the track stops); `pad_mode` is np.pad's mode,
    "reflect" only to match models trained on librosa < 0.10 spectra. Frames are
    transformed in blocks that stay in cache: about 4x faster than one whole-array FFT.
    """
    x = np.pad(np.asarray(samples, dtype=np.float32), n_fft // 2, mode=pad_mode)
    frames = sliding_window_view(x, n_fft)[::hop_length]
    window = _hann(n_fft)
    power = np.empty((1 + n_fft // 2, len(frames)), dtype=np.float32)
    for start in range(0, len(frames), _FFT_BLOCK_FRAMES):
        block = scipy.fft.rfft(frames[start : start + _FFT_BLOCK_FRAMES] * window, axis=1, workers=1)
        parts = np.square(block.view(np.float32))
        power[:, start : start + len(block)] = (parts[:, 0::2] + parts[:, 1::2]).T
    return power


_FFT_BLOCK_FRAMES = 512


@lru_cache(maxsize=8)
def _hann(n_fft: int) -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)


def fft_frequencies(*, sr: int, n_fft: int) -> np.ndarray:
    """Centre frequency in Hz of each rfft bin."""
    return np.linspace(0.0, sr / 2, 1 + n_fft // 2)


def hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above (as librosa's default)."""
    hz = np.asarray(hz, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz, logstep = 1000.0, np.log(6.4) / 27.0
    linear = hz / f_sp
    log = min_log_hz / f_sp + np.log(np.maximum(hz, min_log_hz) / min_log_hz) / logstep
    return np.where(hz >= min_log_hz, log, linear)


def mel_to_hz(mel: np.ndarray | float) -> np.ndarray:
    """Inverse of hz_to_mel."""
    mel = np.asarray(mel, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz, logstep = 1000.0, np.log(6.4) / 27.0
    min_log_mel = min_log_hz / f_sp
    return np.where(mel >= min_log_mel, min_log_hz * np.exp(logstep * (mel - min_log_mel)), f_sp * mel)


def _mel_edges(*, sr: int, n_mels: int, fmin: float, fmax: float | None) -> np.ndarray:
    """The n_mels + 2 frequencies in Hz, equally spaced in mel, that bound the triangular bands."""
    return mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(sr / 2 if fmax is None else fmax), n_mels + 2))


def mel_band_centres(*, sr: int, n_mels: int = 128, fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """Centre frequency in Hz of each band of mel_filterbank with the same settings."""
    return _mel_edges(sr=sr, n_mels=n_mels, fmin=fmin, fmax=fmax)[1:-1]


@lru_cache(maxsize=8)
def mel_filterbank(*, sr: int, n_fft: int, n_mels: int = 128, fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """Triangular, area-normalised mel filters, shape (n_mels, 1 + n_fft // 2)."""
    edges = _mel_edges(sr=sr, n_mels=n_mels, fmin=fmin, fmax=fmax)
    freqs = fft_frequencies(sr=sr, n_fft=n_fft)
    lower = (freqs[None, :] - edges[:-2, None]) / np.diff(edges)[:-1, None]
    upper = (edges[2:, None] - freqs[None, :]) / np.diff(edges)[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


def power_to_db(power: np.ndarray, *, top_db: float = 80.0) -> np.ndarray:
    """10 log10(power), floored at `top_db` below the maximum."""
    db = 10.0 * np.log10(np.maximum(power, 1e-10))
    return np.maximum(db, db.max() - top_db) if db.size else db


def onset_strength(log_mel: np.ndarray) -> np.ndarray:
    """Spectral flux: mean over bands of the rise in dB from the previous frame.

    Aligned to frames: value k is the rise into frame k (value 0 is 0).
    """
    rise = np.maximum(0.0, np.diff(log_mel, axis=1))
    return np.concatenate([[0.0], rise.mean(axis=0)]).astype(np.float32)


def spectral_centroid(power: np.ndarray, *, sr: int, n_fft: int) -> np.ndarray:
    """Magnitude-weighted mean frequency in Hz of each frame (0 for silent frames)."""
    magnitude = np.sqrt(power)
    total = magnitude.sum(axis=0)
    weighted = fft_frequencies(sr=sr, n_fft=n_fft).astype(np.float32) @ magnitude
    return np.where(total > 1e-8, weighted / np.maximum(total, 1e-8), 0.0)
