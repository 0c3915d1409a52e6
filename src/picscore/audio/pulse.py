"""The pulse of an onset envelope: its autocorrelation, the pulses a listener hears, and the beat grid they fit.

Shared by the tempo estimate (beat.py) and the choice of its metrical level (tempo_octave.py).
"""

from __future__ import annotations

import numpy as np

# A beat grid is fitted within ±3 % of the asked period, at 24 phases per period.
GRID_PERIOD_SCALES = np.linspace(0.97, 1.03, 13)
GRID_PHASES = 24


def onset_autocorrelation(onset: np.ndarray) -> np.ndarray:
    """Autocorrelation of the mean-removed onset envelope, normalised so lag 0 is 1."""
    x = onset - onset.mean()
    n = len(x)
    spectrum = np.fft.rfft(x, n=2 * n)
    acf = np.fft.irfft(spectrum * np.conj(spectrum))[:n]
    acf /= np.arange(n, 0, -1)  # unbiased: each lag averaged over its own overlap
    return acf / acf[0] if acf[0] > 0 else np.zeros(n)


def smoothed_autocorrelation(acf: np.ndarray) -> np.ndarray:
    """The acf smoothed over about a frame: an onset rounded to a frame splits a period's peak between two lags."""
    return np.convolve(acf, gaussian_kernel(sigma_frames=1.0, half_width=3), mode="same")


def autocorrelation_at(smoothed_acf: np.ndarray, lags: np.ndarray | float) -> np.ndarray:
    """The smoothed acf read at fractional lags, 0 where a lag reaches beyond the envelope."""
    lags = np.asarray(lags, dtype=float)
    values = np.interp(lags, np.arange(len(smoothed_acf)), smoothed_acf)
    return np.where(lags < len(smoothed_acf) - 1, values, 0.0)


def pulse_envelope(onset: np.ndarray) -> np.ndarray:
    """Onsets above the track's typical level, lightly smoothed: the pulses a listener hears."""
    above = np.maximum(onset - np.median(onset), 0.0)
    return np.convolve(above, gaussian_kernel(sigma_frames=0.7, half_width=3), mode="same")


def gaussian_kernel(*, sigma_frames: float, half_width: int) -> np.ndarray:
    """A unit-sum Gaussian kernel over -half_width..half_width frames."""
    kernel = np.exp(-0.5 * (np.arange(-half_width, half_width + 1) / sigma_frames) ** 2)
    return kernel / kernel.sum()


def best_grid(peaks: np.ndarray, *, period_frames: float) -> np.ndarray:
    """Beat positions (frames) of the period within ±3 % and the phase on which `peaks` is strongest."""
    positions = np.arange(len(peaks))
    best_mean, best = -1.0, np.zeros(0)
    for period in period_frames * GRID_PERIOD_SCALES:
        beats = np.arange(0.0, len(peaks) - 1 - period, period)
        if len(beats) < 2:
            continue
        grids = beats[None, :] + period * np.arange(GRID_PHASES)[:, None] / GRID_PHASES
        means = np.interp(grids, positions, peaks).mean(axis=1)
        phase = int(np.argmax(means))
        if means[phase] > best_mean:
            best_mean, best = float(means[phase]), grids[phase]
    return best
