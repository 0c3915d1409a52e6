"""The slideshow's sound: the plan's excerpt of the track in stereo, at a target loudness, faded in and out."""

from __future__ import annotations

import numpy as np

from picscore.audio.loudness import integrated_loudness, peak_dbfs
from picscore.media.audio_decode import decode_audio
from picscore.render.plan import Plan

SAMPLE_RATE = 48000
PEAK_CEILING_DBFS = -1.0


def soundtrack(plan: Plan, *, sr: int = SAMPLE_RATE) -> np.ndarray:
    """(n, 2) float32 samples exactly as long as the video (n_frames / fps), padded with silence if the track ends first.

    Raises AudioDecodeError when the track cannot be decoded.
    """
    samples = decode_audio(plan.track_path, sr=sr, stereo=True).samples
    n = round(plan.n_frames / plan.fps * sr)
    start = round(plan.excerpt_start_seconds * sr)
    excerpt = np.zeros((n, 2), dtype=np.float32)
    part = samples[start : start + n]
    excerpt[: len(part)] = part
    del samples
    excerpt *= np.float32(10 ** (normalising_gain_db(excerpt, sr=sr, target_lufs=plan.target_lufs) / 20))
    apply_fades(excerpt, sr=sr, fade_in_seconds=plan.fade_in_seconds, fade_out_seconds=plan.fade_out_seconds)
    return excerpt


def stereo_loudness(samples: np.ndarray, *, sr: int) -> float:
    """BS.1770 loudness of a stereo programme: the channels' powers summed (each channel gated on its own,
    a close approximation of the joint gate)."""
    per_channel = [integrated_loudness(samples[:, c], sr=sr) for c in range(samples.shape[1])]
    return float(10 * np.log10(sum(10 ** (lufs / 10) for lufs in per_channel)))


def normalising_gain_db(samples: np.ndarray, *, sr: int, target_lufs: float) -> float:
    """The gain that brings the excerpt to `target_lufs`, lowered if needed so peaks stay below PEAK_CEILING_DBFS.

    A gain, not a limiter: a quiet, peaky excerpt ends up below the target rather than distorted.
    """
    loudness = stereo_loudness(samples, sr=sr)
    if not np.isfinite(loudness) or loudness <= -70:
        return 0.0  # silence: nothing to normalise
    return min(target_lufs - loudness, PEAK_CEILING_DBFS - peak_dbfs(samples))


def apply_fades(samples: np.ndarray, *, sr: int, fade_in_seconds: float, fade_out_seconds: float) -> None:
    """Fade in and out in place along raised-cosine curves (smooth at both ends, no clicks)."""
    for seconds, at_start in ((fade_in_seconds, True), (fade_out_seconds, False)):
        n = min(round(seconds * sr), len(samples))
        if n <= 0:
            continue
        curve = ((1 - np.cos(np.pi * (np.arange(n) + 0.5) / n)) / 2).astype(np.float32)[:, None]
        if at_start:
            samples[:n] *= curve
        else:
            samples[len(samples) - n :] *= curve[::-1]
