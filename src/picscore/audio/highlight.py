"""The highlight: the stretch of a track that best stands for it, for trimming music to pictures."""

from __future__ import annotations

import numpy as np


def find_highlight(
    frame_features: np.ndarray,
    frame_loudness_db: np.ndarray,
    *,
    frame_rate: float,
    beat_times: np.ndarray,
    seconds: float,
    duration_seconds: float,
) -> tuple[float, float]:
    """(start, end) in seconds of the best window of `seconds` that starts on a beat.

    A window's score adds two terms, each z-scored over the candidate starts: its mean
    loudness (energy, weight 1) and the cosine similarity of its mean feature vector (chroma
    and mel profile) to the whole track's (representativeness, weight 1/2, so a quiet
    intro that resembles the rest does not beat the chorus). A track shorter than `seconds`
    is its own highlight.
    """
    if duration_seconds <= seconds:
        return 0.0, float(duration_seconds)
    n_window = max(1, round(seconds * frame_rate))
    n_frames = frame_features.shape[1]
    starts = _candidate_starts(
        beat_times, frame_rate=frame_rate, last_start=min(n_frames - n_window, int((duration_seconds - seconds) * frame_rate))
    )
    loud_sums = np.concatenate([[0.0], np.cumsum(frame_loudness_db)])
    feature_sums = np.concatenate([np.zeros((frame_features.shape[0], 1)), np.cumsum(frame_features, axis=1)], axis=1)
    energy = (loud_sums[starts + n_window] - loud_sums[starts]) / n_window
    window_means = (feature_sums[:, starts + n_window] - feature_sums[:, starts]) / n_window
    overall = frame_features.mean(axis=1)
    similarity = overall @ window_means / (np.linalg.norm(overall) * np.linalg.norm(window_means, axis=0) + 1e-12)
    score = _zscore(energy) + 0.5 * _zscore(similarity)
    start_frame = int(starts[int(np.argmax(score))])
    start = start_frame / frame_rate
    return float(start), float(min(start + seconds, duration_seconds))


def _candidate_starts(beat_times: np.ndarray, *, frame_rate: float, last_start: int) -> np.ndarray:
    """Beat frames that leave room for a whole window; every half second if there are none."""
    last_start = max(last_start, 0)
    frames = np.round(np.asarray(beat_times) * frame_rate).astype(int)
    frames = frames[(frames >= 0) & (frames <= last_start)]
    if len(frames) == 0:
        frames = np.arange(0, last_start + 1, max(1, int(frame_rate / 2)))
    return frames


def _zscore(values: np.ndarray) -> np.ndarray:
    spread = values.std()
    return (values - values.mean()) / spread if spread > 1e-12 else np.zeros_like(values)
