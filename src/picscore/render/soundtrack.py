"""The slideshow's sound: the plan's excerpt of the track in stereo, at a target loudness, faded in and out.

A plan with one track per chapter plays each track's pieces in turn: every track is brought to the
target loudness on its own, so one is not louder than the next, and each takes over from the one
before with a short crossfade centred on the downbeat where the plan joins them.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from picscore.audio.loudness import integrated_loudness, peak_dbfs
from picscore.media.audio_decode import AudioDecodeError, decode_audio
from picscore.render.plan import MusicPart, Plan

SAMPLE_RATE = 48000
PEAK_CEILING_DBFS = -1.0
JOIN_SECONDS = 0.03  # a repeat's join: this long a crossfade, centred on the downbeat
TRACK_JOIN_SECONDS = 0.5  # where one track takes over from another: this long an equal-power crossfade, centred on the downbeat


def soundtrack(plan: Plan, *, sr: int = SAMPLE_RATE) -> np.ndarray:
    """(n, 2) float32 samples exactly as long as the video (n_frames / fps), padded with silence if the music ends first.

    Each track's pieces follow each other, each join crossfaded over JOIN_SECONDS; each later track
    takes over with a TRACK_JOIN_SECONDS crossfade. Raises AudioDecodeError, naming the track's
    file, when a track cannot be decoded.
    """
    n = round(plan.n_frames / plan.fps * sr)
    music_parts = plan.music_parts
    starts = [round(part.video_start_seconds * sr) for part in music_parts] + [n]
    margin = round(TRACK_JOIN_SECONDS * sr) // 2
    parts = [_PartMusic.of(part, sr=sr, margin=margin) for part in music_parts]
    # Half of each takeover's crossfade: what the outgoing track holds after its share and the incoming one before.
    halves = [min(margin, outgoing.after, incoming.before) for outgoing, incoming in pairwise(parts)]
    out = np.zeros((n, 2), dtype=np.float32)
    for k, part in enumerate(parts):
        before = halves[k - 1] if k > 0 else 0
        after = halves[k] if k < len(halves) else 0
        share = min(starts[k + 1] - starts[k], len(part.samples) - part.before - part.after)
        music = part.samples[part.before - before : part.before + share + after].copy()
        music *= np.float32(10 ** (normalising_gain_db(music[before : before + share], sr=sr, target_lufs=plan.target_lufs) / 20))
        if before:
            music[: 2 * before] *= _equal_power_ramp(2 * before)[:, None]
        if after:
            music[len(music) - 2 * after :] *= _equal_power_ramp(2 * after)[::-1, None]
        at = starts[k] - before
        out[at : at + len(music)] += music[: n - at]
    apply_fades(out, sr=sr, fade_in_seconds=plan.fade_in_seconds, fade_out_seconds=plan.fade_out_seconds)
    return out


@dataclass(frozen=True)
class _PartMusic:
    """A track's pieces joined, with up to `margin` samples of the track before and after them for a takeover's crossfade."""

    samples: np.ndarray
    before: int  # samples of lead-in the track held before the first piece
    after: int  # samples the track held after the last piece

    @classmethod
    def of(cls, part: MusicPart, *, sr: int, margin: int) -> _PartMusic:
        try:
            samples = decode_audio(part.track_path, sr=sr, stereo=True).samples
        except AudioDecodeError as err:
            raise AudioDecodeError(f"{part.track_path}: {err}") from None
        pieces = [(round(a * sr), round(b * sr)) for a, b in part.pieces]
        before = min(margin, pieces[0][0])
        after = max(0, min(margin, len(samples) - pieces[-1][1]))
        pieces[0] = (pieces[0][0] - before, pieces[0][1])
        pieces[-1] = (pieces[-1][0], pieces[-1][1] + after)
        return cls(join_pieces(samples, pieces, join_samples=round(JOIN_SECONDS * sr)), before=before, after=after)


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


def _equal_power_ramp(n: int) -> np.ndarray:
    """A quarter sine from 0 to 1 over n samples: its square and its mirror's sum to 1, so two unrelated tracks keep their
    power through a takeover (a raised cosine leaves each at half amplitude on the downbeat, 3 dB down in power)."""
    return np.sin(np.pi / 2 * (np.arange(n) + 0.5) / n).astype(np.float32)


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
