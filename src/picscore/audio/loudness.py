"""Loudness: integrated loudness after ITU-R BS.1770 (K-weighting, gating) and an energy curve."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

_ABSOLUTE_GATE_LUFS = -70.0
_RELATIVE_GATE_LU = -10.0
SILENCE_LUFS = -120.0


@lru_cache(maxsize=8)
def k_weighting_sos(*, sr: int) -> np.ndarray:
    """BS.1770 K-weighting (high shelf then high pass) as second-order sections for any rate.

    The biquads come from the filters' analogue parameters by the bilinear transform (as
    libebur128 designs them), so every rate gets the response the standard tabulates for
    48 kHz.
    """
    gain_db, shelf_q, shelf_hz = 3.999843853973347, 0.7071752369554196, 1681.974450955533
    k = np.tan(np.pi * shelf_hz / sr)
    vh = 10 ** (gain_db / 20)
    vb = vh**0.4996667741545416
    norm = 1 + k / shelf_q + k * k
    shelf_b = [(vh + vb * k / shelf_q + k * k) / norm, 2 * (k * k - vh) / norm, (vh - vb * k / shelf_q + k * k) / norm]
    shelf_a = [1.0, 2 * (k * k - 1) / norm, (1 - k / shelf_q + k * k) / norm]
    pass_q, pass_hz = 0.5003270373238773, 38.13547087602444
    k = np.tan(np.pi * pass_hz / sr)
    norm = 1 + k / pass_q + k * k
    pass_b = [1.0, -2.0, 1.0]
    pass_a = [1.0, 2 * (k * k - 1) / norm, (1 - k / pass_q + k * k) / norm]
    return np.array([[*shelf_b, *shelf_a], [*pass_b, *pass_a]])


def integrated_loudness(samples: np.ndarray, *, sr: int) -> float:
    """Integrated loudness in LUFS of a mono signal (gated 400 ms blocks, 75 % overlap).

    For a stereo programme with identical channels BS.1770 sums both channels, which reads
    3 LU higher than this mono figure. Returns SILENCE_LUFS when every block is gated out.
    """
    import scipy.signal  # 0.4 s to import: only where a signal is filtered, not with every command

    # Filtered in float32 and summed in float64: within 0.001 LU of float64 throughout, with a third of the memory
    # traffic (which, not arithmetic, is what this costs).
    weighted = scipy.signal.sosfilt(k_weighting_sos(sr=sr).astype(np.float32), np.asarray(samples, dtype=np.float32))
    block, step = int(0.4 * sr), int(0.1 * sr)
    if len(weighted) < block:
        return SILENCE_LUFS
    starts = np.arange(0, len(weighted) - block + 1, step)
    edges = np.union1d(starts, starts + block)  # each block's power is the sum of squares between two of these
    between_edges = np.add.reduceat(np.square(weighted[: edges[-1]]), edges[:-1], dtype=np.float64)
    energy_to = np.concatenate([[0.0], np.cumsum(between_edges)])
    power = (energy_to[np.searchsorted(edges, starts + block)] - energy_to[np.searchsorted(edges, starts)]) / block
    loudness = -0.691 + 10 * np.log10(np.maximum(power, 1e-20))
    gated = power[loudness > _ABSOLUTE_GATE_LUFS]
    if len(gated) == 0:
        return SILENCE_LUFS
    relative_gate = -0.691 + 10 * np.log10(gated.mean()) + _RELATIVE_GATE_LU
    kept = power[loudness > max(relative_gate, _ABSOLUTE_GATE_LUFS)]
    return float(-0.691 + 10 * np.log10(kept.mean()))


def peak_dbfs(samples: np.ndarray) -> float:
    """Sample peak in dB relative to full scale."""
    peak = float(np.abs(samples).max()) if len(samples) else 0.0
    return 20 * np.log10(peak) if peak > 0 else SILENCE_LUFS


def energy_curve(samples: np.ndarray, *, sr: int, seconds_per_point: float = 0.5) -> np.ndarray:
    """RMS level in dBFS of consecutive windows of `seconds_per_point` (the last may be short)."""
    size = max(1, int(seconds_per_point * sr))
    n_points = int(np.ceil(len(samples) / size))
    padded = np.zeros(n_points * size, dtype=np.float64)
    padded[: len(samples)] = samples
    counts = np.full(n_points, size, dtype=np.float64)
    counts[-1] = len(samples) - (n_points - 1) * size
    mean_square = (padded.reshape(n_points, size) ** 2).sum(axis=1) / counts
    return (10 * np.log10(np.maximum(mean_square, 1e-12))).astype(np.float32)
