"""The slideshow's sound: the plan's excerpt of the track in stereo, at a target loudness, faded in and out."""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from picscore.audio.loudness import integrated_loudness, peak_dbfs
from picscore.media.audio_decode import decode_audio
from picscore.render.plan import Plan

SAMPLE_RATE = 48000
PEAK_CEILING_DBFS = -1.0
JOIN_SECONDS = 0.03  # a repeat's join: this long a crossfade, centred on the downbeat


def soundtrack(plan: Plan, *, sr: int = SAMPLE_RATE) -> np.ndarray:
    """(n, 2) float32 samples exactly as long as the video (n_frames / fps), padded with silence if the track ends first.

    The plan's pieces of the track follow each other, each join crossfaded over JOIN_SECONDS.
    Raises AudioDecodeError when the track cannot be decoded.
    """
    samples = decode_audio(plan.track_path, sr=sr, stereo=True).samples
    n = round(plan.n_frames / plan.fps * sr)
    music = join_pieces(samples, [(round(a * sr), round(b * sr)) for a, b in plan.pieces], join_samples=round(JOIN_SECONDS * sr))
    del samples
    excerpt = np.zeros((n, 2), dtype=np.float32)
    excerpt[: min(n, len(music))] = music[:n]
    excerpt *= np.float32(10 ** (normalising_gain_db(excerpt, sr=sr, target_lufs=plan.target_lufs) / 20))
    apply_fades(excerpt, sr=sr, fade_in_seconds=plan.fade_in_seconds, fade_out_seconds=plan.fade_out_seconds)
    return excerpt


def join_pieces(samples: np.ndarray, pieces: list[tuple[int, int]], *, join_samples: int) -> np.ndarray:
    """The sample ranges [a, b) of `samples` one after another, each join a raised-cosine crossfade centred on it.

    Around a join the outgoing piece plays on and the incoming one starts early, by half the crossfade
    each (less where the track ends or starts), so the result is exactly as long as the pieces.
    """
    total = sum(b - a for a, b in pieces)
    out = np.zeros((total, samples.shape[1]), dtype=np.float32)
    # Half of each join's crossfade: what the track holds after the outgoing piece and before the incoming one.
    halves = [max(0, min(join_samples // 2, len(samples) - b, c)) for (_, b), (c, _) in pairwise(pieces)]
    at = 0
    for k, (a, b) in enumerate(pieces):
        before = halves[k - 1] if k > 0 else 0
        after = halves[k] if k < len(halves) else 0
        part = samples[a - before : b + after].copy()
        if before:
            part[: 2 * before] *= _ramp(2 * before)[:, None]
        if after:
            part[len(part) - 2 * after :] *= _ramp(2 * after)[::-1, None]
        lo = at - before
        out[max(lo, 0) : lo + len(part)] += part[max(-lo, 0) : total - lo]
        at += b - a
    return out


def _ramp(n: int) -> np.ndarray:
    """A raised cosine from 0 to 1 over n samples: with its mirror it sums to 1 (no dip or bump at a join)."""
    return ((1 - np.cos(np.pi * (np.arange(n) + 0.5) / n)) / 2).astype(np.float32)


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
        curve = _ramp(n)[:, None]
        if at_start:
            samples[:n] *= curve
        else:
            samples[len(samples) - n :] *= curve[::-1]
