"""One track per chapter: each part of a long video gets music chosen for its own photos.

The photos are cut into shares at chapter starts (render/photos.chapter_starts), but a share lasts
at least MIN_SHARE_SECONDS, so every track plays long enough to be heard as itself: a shorter
chapter keeps the music of the one before. Each share is planned as a slideshow of its own
(render/plan.plan_slideshow), ending on a downbeat of its track; `chain_plans` then puts them one
after another, each next track taking over on that downbeat (the soundtrack crossfades there and
brings every track to the same loudness).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from itertools import accumulate, pairwise

from picscore.render.plan import HOLD_SECONDS, MusicPart, Plan, Shot

MIN_SHARE_SECONDS = 30.0


def share_starts(
    chapter_starts: Sequence[int], *, n_photos: int, seconds: float | None, per_photo_seconds: float | None = None
) -> list[int]:
    """The photos (indices in showing order, 0 first) where a track's share begins.

    A chapter start begins a share when the share before it would last MIN_SHARE_SECONDS or more,
    judged by `per_photo_seconds` (each photo's fixed time), else the photos' share of `seconds`
    (the asked length), else the middle of HOLD_SECONDS a photo; a last share shorter than that
    joins the one before.
    """
    per_photo = per_photo_seconds or (seconds / n_photos if seconds else sum(HOLD_SECONDS) / 2)
    starts = [0]
    for start in sorted(set(chapter_starts)):
        if 0 < start < n_photos and (start - starts[-1]) * per_photo >= MIN_SHARE_SECONDS:
            starts.append(start)
    if len(starts) > 1 and (n_photos - starts[-1]) * per_photo < MIN_SHARE_SECONDS:
        starts.pop()
    return starts


def share_lengths(starts: Sequence[int], *, n_photos: int, seconds: float) -> list[float]:
    """Each share's part of `seconds`, in proportion to its photos."""
    return [seconds * (end - start) / n_photos for start, end in pairwise([*starts, n_photos])]


def chain_plans(plans: Sequence[Plan]) -> Plan:
    """The shares' plans played one after another as one plan, the first plan's track first and each later one's
    track taking over where its share begins (each share starts a chapter)."""
    first = plans[0]
    offsets = list(accumulate((plan.duration_seconds for plan in plans[:-1]), initial=0.0))
    shots: list[Shot] = []
    chapters: list[int] = []
    beats: list[float] = []
    downbeats: list[float] = []
    for plan, offset in zip(plans, offsets, strict=True):
        if shots:
            chapters.append(len(shots))
        chapters.extend(len(shots) + k for k in plan.chapter_starts)
        shots.extend(
            replace(shot, start_seconds=round(shot.start_seconds + offset, 6), end_seconds=round(shot.end_seconds + offset, 6))
            for shot in plan.shots
        )
        beats.extend(_after(beats, [round(t + offset, 6) for t in plan.beats_seconds]))
        downbeats.extend(_after(downbeats, [round(t + offset, 6) for t in plan.downbeats_seconds]))
    chained = [
        MusicPart(plan.track_path, offset, plan.pieces, track_id=plan.track_id, bpm=plan.bpm)
        for plan, offset in zip(plans[1:], offsets[1:], strict=True)
    ]
    chain = replace(
        first,
        duration_seconds=round(offsets[-1] + plans[-1].duration_seconds, 6),
        shots=shots,
        transition_seconds=min(plan.transition_seconds for plan in plans),
        fade_out_seconds=plans[-1].fade_out_seconds,
        beats_seconds=beats,
        downbeats_seconds=downbeats,
        music_pieces=first.pieces,
        chapter_starts=chapters,
        chained_tracks=chained,
    )
    chain.check()
    return chain


def _after(earlier: list[float], times: list[float]) -> list[float]:
    """`times` without those at or before the last of `earlier` (a share's closing downbeat is the next one's first beat)."""
    return [t for t in times if not earlier or t > earlier[-1] + 1e-6]
