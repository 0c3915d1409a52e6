"""Tempo estimation and beat tracking on an onset-strength envelope.

Tempo: autocorrelation of the onset envelope weighted by a log-normal prior around 120 BPM,
then a half/double guard that moves the estimate into the range where listeners tap when
the signal supports the other octave. Beats: dynamic programming (Ellis 2007) that trades
onset strength against deviation from the tempo, then sub-frame peak refinement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PREFERRED_BPM_RANGE = (70.0, 180.0)


@dataclass(frozen=True)
class BeatTrack:
    """Tempo in BPM, beat times in seconds, and how periodic the onsets are (0..1)."""

    bpm: float
    beat_times: np.ndarray
    confidence: float


def onset_autocorrelation(onset: np.ndarray) -> np.ndarray:
    """Autocorrelation of the mean-removed onset envelope, normalised so lag 0 is 1."""
    x = onset - onset.mean()
    n = len(x)
    spectrum = np.fft.rfft(x, n=2 * n)
    acf = np.fft.irfft(spectrum * np.conj(spectrum))[:n]
    acf /= np.arange(n, 0, -1)  # unbiased: each lag averaged over its own overlap
    return acf / acf[0] if acf[0] > 0 else np.zeros(n)


def estimate_tempo(
    onset: np.ndarray,
    *,
    frame_rate: float,
    min_bpm: float = 40.0,
    max_bpm: float = 240.0,
    prior_bpm: float = 120.0,
    prior_octaves: float = 1.0,
) -> tuple[float, float]:
    """Return (bpm, periodicity) of the onset envelope; periodicity is the acf peak in 0..1."""
    acf = onset_autocorrelation(onset)
    lags = np.arange(max(1, int(60.0 * frame_rate / max_bpm)), int(np.ceil(60.0 * frame_rate / min_bpm)) + 1)
    lags = lags[lags < len(acf) - 1]
    if len(lags) == 0:
        return 0.0, 0.0
    prior = np.exp(-0.5 * (np.log2(60.0 * frame_rate / lags / prior_bpm) / prior_octaves) ** 2)
    best = int(lags[np.argmax(np.maximum(acf[lags], 0.0) * prior)])
    bpm = 60.0 * frame_rate / _parabolic_peak(acf, best)
    bpm = _guard_octave(bpm, acf, frame_rate=frame_rate)
    return float(bpm), float(np.clip(_acf_at(acf, 60.0 * frame_rate / bpm), 0.0, 1.0))


def _parabolic_peak(values: np.ndarray, index: int) -> float:
    """Sub-sample position of the peak at `index` from a parabola through its neighbours."""
    if index <= 0 or index >= len(values) - 1:
        return float(index)
    left, centre, right = values[index - 1], values[index], values[index + 1]
    curvature = left - 2 * centre + right
    if curvature >= 0:
        return float(index)
    return index + float(np.clip(0.5 * (left - right) / curvature, -0.5, 0.5))


def _acf_at(acf: np.ndarray, lag: float) -> float:
    """Highest autocorrelation within one frame of a fractional lag (0 beyond the envelope).

    The tolerance absorbs the rounding of onsets to frames, which splits a peak that falls
    between two lags.
    """
    low, high = int(np.floor(lag)) - 1, int(np.ceil(lag)) + 1
    return float(acf[max(low, 0) : high + 1].max()) if high < len(acf) else 0.0


def _guard_octave(bpm: float, acf: np.ndarray, *, frame_rate: float) -> float:
    """Double a slow tempo or halve a fast one when the acf supports the other octave.

    Doubling needs strong onsets half-way between beats; halving needs the two-beat period
    to be (almost) as periodic as the beat itself.
    """

    def strength(at_bpm: float) -> float:
        return _acf_at(acf, 60.0 * frame_rate / at_bpm)

    low, high = PREFERRED_BPM_RANGE
    if bpm < low and strength(2 * bpm) >= 0.6 * strength(bpm):
        return 2 * bpm
    if bpm >= high and strength(bpm / 2) >= 0.9 * strength(bpm):
        return bpm / 2
    return bpm


def track_beats(onset: np.ndarray, *, frame_rate: float, bpm: float, tightness: float = 100.0) -> np.ndarray:
    """Beat positions in (fractional) frames that best follow `bpm` through strong onsets."""
    if bpm <= 0 or not np.any(onset > 0):
        return np.zeros(0)
    period = 60.0 * frame_rate / bpm
    score = _smoothed_onset(onset, period=period)
    offsets = np.arange(round(period / 2), round(2 * period) + 1)
    penalty = -tightness * np.log(offsets / period) ** 2
    cumulative = score.copy()
    backlink = np.full(len(score), -1)
    first_reachable = offsets[0]
    for t in range(first_reachable, len(score)):
        candidates = t - offsets
        valid = candidates >= 0
        totals = cumulative[candidates[valid]] + penalty[valid]
        best = int(np.argmax(totals))
        if totals[best] > 0:
            cumulative[t] += totals[best]
            backlink[t] = candidates[valid][best]
    beats = _backtrack(cumulative, backlink, score, period=period)
    beats = _trim_weak_ends(beats, score)
    return _refine_peaks(beats, onset)


def _smoothed_onset(onset: np.ndarray, *, period: float) -> np.ndarray:
    """Onset envelope normalised by its spread and smoothed with a narrow Gaussian."""
    spread = onset.std()
    normalised = onset / spread if spread > 0 else onset
    half = int(np.ceil(period))
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) * 32.0 / period) ** 2)
    return np.convolve(normalised, kernel, mode="same")


def _backtrack(cumulative: np.ndarray, backlink: np.ndarray, score: np.ndarray, *, period: float) -> np.ndarray:
    """Follow back-links from the last beat.

    The last beat is the best-scoring local maximum of the cumulative score that sits on a
    clear onset within one period of the last such onset: the last clear onset alone may be
    an off-beat (a hi-hat between beats).
    """
    interior = (cumulative[1:-1] >= cumulative[:-2]) & (cumulative[1:-1] > cumulative[2:])
    peaks = np.flatnonzero(interior) + 1
    peaks = peaks[score[peaks] >= 0.5 * np.sqrt(np.mean(score**2))]
    if len(peaks) == 0:
        return np.zeros(0, dtype=int)
    final = peaks[peaks > peaks[-1] - period]
    beat = int(final[np.argmax(cumulative[final])])
    beats = [beat]
    while backlink[beat] >= 0:
        beat = int(backlink[beat])
        beats.append(beat)
    return np.array(beats[::-1], dtype=int)


def _trim_weak_ends(beats: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Drop leading and trailing beats that fall on near-silence."""
    if len(beats) == 0:
        return beats
    threshold = 0.5 * np.sqrt(np.mean(score[beats] ** 2))
    strong = np.flatnonzero(score[beats] >= threshold)
    return beats[strong[0] : strong[-1] + 1] if len(strong) else beats[:0]


def _refine_peaks(beats: np.ndarray, onset: np.ndarray) -> np.ndarray:
    """Move each beat to the onset peak within one frame, with parabolic sub-frame precision."""
    refined = beats.astype(float)
    for i, frame in enumerate(beats):
        lo, hi = max(frame - 1, 1), min(frame + 1, len(onset) - 2)
        peak = lo + int(np.argmax(onset[lo : hi + 1]))
        refined[i] = _parabolic_peak(onset, peak)
    return refined


def beat_track(onset: np.ndarray, *, frame_rate: float, frame_offset_seconds: float = 0.0) -> BeatTrack:
    """Tempo and beat times (seconds) from an onset envelope sampled at `frame_rate` Hz.

    `frame_offset_seconds` is added to every beat time to correct the envelope's latency.
    The reported BPM is refined from the tracked beats by a least-squares fit when that
    agrees with the autocorrelation estimate within 4 %.
    """
    bpm, periodicity = estimate_tempo(onset, frame_rate=frame_rate)
    frames = track_beats(onset, frame_rate=frame_rate, bpm=bpm)
    times = np.maximum(frames / frame_rate + frame_offset_seconds, 0.0)
    if len(times) >= 8:
        slope = np.polyfit(np.arange(len(times)), times, 1)[0]
        fitted = 60.0 / slope if slope > 0 else bpm
        if abs(fitted - bpm) <= 0.04 * bpm:
            bpm = fitted
    return BeatTrack(bpm=float(bpm), beat_times=times.astype(np.float32), confidence=periodicity)
