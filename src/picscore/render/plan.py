"""The timeline of a slideshow as plain data: which part of the track plays, and when each photo shows.

Cuts fall on the track's analysed beats. The library stores no downbeats, so bars are taken as
groups of four beats counted from the excerpt's first beat (which is therefore a downbeat): an
excerpt ends on a downbeat, a whole number of bars after it starts.

The plan is JSON (`Plan.to_json` / `Plan.from_json`), so `picscore render --plan-only` can print
it, a person or a test can edit it, and `--plan` renders it as written.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np

PLAN_VERSION = 1
BEATS_PER_BAR = 4
SLOW_BPM = 90.0  # below this, each photo holds a whole bar
FAST_HOLD_SECONDS = (0.7, 1.1)  # the hold at faster tempi: the whole number of beats closest to the middle
EDGE_WEIGHT = 2  # the first and last photo hold this many times longer
FALLBACK_BPM = 120.0  # a beat grid for tracks without detected beats
MAX_ZOOM = 1.12  # the most a shot zooms into its photo (the frames module oversizes canvases by this)
TRANSITIONS = ("crossfade", "cut", "fade-black", "slide")
# Ken Burns moves, cycled shot by shot: (zoom at start, zoom at end, pan direction along the long axis).
_MOTIONS = ((1.0, 1.1, 0), (1.08, 1.08, 1), (1.1, 1.0, 0), (1.08, 1.08, -1))


class PlanError(Exception):
    """The photos, track and options cannot make a slideshow; the message says why."""


@dataclass(frozen=True)
class Shot:
    """One photo on screen from `start_seconds` to `end_seconds` (video time), moving as it says.

    `zoom_from`/`zoom_to` scale the photo's canvas (1 shows it whole, at most MAX_ZOOM); `pan`
    (x, y in -1..1) moves the view across the room the zoom leaves; `focus` (x, y as fractions of
    the photo) is the point zooms close in on and the view keeps in frame.
    """

    photo: str
    start_seconds: float
    end_seconds: float
    zoom_from: float = 1.0
    zoom_to: float = 1.0
    pan: tuple[float, float] = (0.0, 0.0)
    focus: tuple[float, float] = (0.5, 0.5)


@dataclass(frozen=True)
class Plan:
    """Everything the renderer needs; times of shots and beats are seconds from the video's start."""

    track_path: str
    excerpt_start_seconds: float  # where the excerpt starts in the track
    duration_seconds: float
    width: int
    height: int
    fps: int
    shots: list[Shot]
    track_id: int | None = None
    bpm: float | None = None
    transition: str = "crossfade"
    transition_seconds: float = 0.25
    fade_in_seconds: float = 0.3
    fade_out_seconds: float = 2.0
    target_lufs: float = -14.0
    beats_seconds: list[float] = field(default_factory=list)
    downbeats_seconds: list[float] = field(default_factory=list)

    @property
    def n_frames(self) -> int:
        return frame_index(self.duration_seconds, fps=self.fps)

    @property
    def cuts_seconds(self) -> list[float]:
        """The instants one photo gives way to the next."""
        return [shot.start_seconds for shot in self.shots[1:]]

    def to_json(self) -> dict[str, Any]:
        return {"version": PLAN_VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, data: Any) -> Plan:
        """Read a plan written by to_json (perhaps edited), checking what the renderer relies on."""
        if not isinstance(data, dict) or data.get("version") != PLAN_VERSION:
            raise PlanError(f"not a picscore render plan of version {PLAN_VERSION}")
        fields = {k: v for k, v in data.items() if k != "version"}
        try:
            shots = [
                Shot(**{**s, "pan": tuple(s.get("pan", (0, 0))), "focus": tuple(s.get("focus", (0.5, 0.5)))}) for s in fields.pop("shots")
            ]
            plan = cls(**fields, shots=shots)
            plan.check()
        except (KeyError, TypeError, ValueError) as err:
            raise PlanError(f"the plan is incomplete or has unknown or mistyped fields ({err})") from None
        return plan

    def check(self) -> None:
        """Raise PlanError unless the plan can be rendered as it stands."""
        if not self.shots:
            raise PlanError("the plan has no shots")
        if self.width < 16 or self.height < 16 or self.width % 2 or self.height % 2:
            raise PlanError(f"the frame size must be even and at least 16x16, not {self.width}x{self.height}")
        if self.fps < 1 or self.duration_seconds <= 0:
            raise PlanError("fps and duration_seconds must be positive")
        if self.transition not in TRANSITIONS:
            raise PlanError(f"unknown transition {self.transition!r}; use one of {', '.join(TRANSITIONS)}")
        ends = [s.start_seconds for s in self.shots] + [self.shots[-1].end_seconds]
        if ends[0] != 0 or any(b <= a for a, b in pairwise(ends)) or abs(ends[-1] - self.duration_seconds) > 1e-6:
            raise PlanError("shots must follow each other from 0 to duration_seconds without gaps or overlaps")
        for shot in self.shots:
            if not (1.0 <= shot.zoom_from <= MAX_ZOOM and 1.0 <= shot.zoom_to <= MAX_ZOOM):
                raise PlanError(f"zoom must lie between 1 and {MAX_ZOOM} ({shot.photo})")


def frame_index(seconds: float, *, fps: int) -> int:
    """The first frame shown at or after `seconds` (cuts snap to the nearest frame)."""
    return round(seconds * fps)


def plan_slideshow(
    photos: list[tuple[str, tuple[float, float]]],
    track: dict[str, Any],
    *,
    width: int,
    height: int,
    fps: int,
    start_seconds: float | None = None,
    duration_seconds: float | None = None,
    per_photo_seconds: float | None = None,
    transition: str = "crossfade",
    transition_seconds: float = 0.25,
    fade_in_seconds: float = 0.3,
    fade_out_seconds: float = 2.0,
    target_lufs: float = -14.0,
) -> Plan:
    """Plan a slideshow of `photos` ((path, focus) pairs, in order) to a library `track`.

    The excerpt starts at the beat nearest `start_seconds`, else at the track's highlight.
    """
    beats = beat_grid(track)
    requested = start_seconds if start_seconds is not None else (track.get("highlight_start") or 0.0)
    start, bounds = choose_cuts(
        beats,
        n_photos=len(photos),
        start_seconds=requested,
        duration_seconds=duration_seconds,
        per_photo_seconds=per_photo_seconds,
        track_seconds=float(track["duration"]),
    )
    duration = bounds[-1]
    portrait = height > width
    shots = []
    for i, (path, focus) in enumerate(photos):
        zoom_from, zoom_to, direction = _MOTIONS[i % len(_MOTIONS)]
        shots.append(
            Shot(
                photo=path,
                start_seconds=bounds[i],
                end_seconds=bounds[i + 1],
                zoom_from=zoom_from,
                zoom_to=zoom_to,
                pan=(0.0, float(direction)) if portrait else (float(direction), 0.0),
                focus=focus,
            )
        )
    in_excerpt = beats[(beats >= start - 1e-6) & (beats <= start + duration + 1e-6)] - start
    shortest = min(b - a for a, b in pairwise(bounds))
    plan = Plan(
        track_path=track["path"],
        track_id=track.get("id"),
        bpm=track.get("bpm"),
        excerpt_start_seconds=round(start, 6),
        duration_seconds=duration,
        width=width,
        height=height,
        fps=fps,
        shots=shots,
        transition=transition,
        # A transition is centred on its cut and never takes more than half of either shot.
        transition_seconds=0.0 if transition == "cut" else round(min(transition_seconds, shortest / 2), 6),
        fade_in_seconds=min(fade_in_seconds, duration / 2),
        fade_out_seconds=min(fade_out_seconds, duration / 2),
        target_lufs=target_lufs,
        beats_seconds=[round(float(b), 6) for b in in_excerpt],
        downbeats_seconds=[round(float(b), 6) for b in in_excerpt[::BEATS_PER_BAR]],
    )
    plan.check()
    return plan


def beat_grid(track: dict[str, Any]) -> np.ndarray:
    """The track's beat times; a steady grid at its tempo (or 120 BPM) when fewer than two were found."""
    beats = np.sort(np.asarray(track.get("beats", []), dtype=np.float64))
    if len(beats) >= 2:
        return beats
    return np.arange(0.0, float(track["duration"]), 60.0 / (track.get("bpm") or FALLBACK_BPM))


def beats_per_photo(beat_seconds: float) -> int:
    """A whole bar at slow tempi; else the whole number of beats closest to the middle of FAST_HOLD_SECONDS."""
    if 60.0 / beat_seconds < SLOW_BPM:
        return BEATS_PER_BAR
    target = sum(FAST_HOLD_SECONDS) / 2
    return min(range(1, BEATS_PER_BAR + 1), key=lambda k: (abs(k * beat_seconds - target), -k))


def choose_cuts(
    beats: np.ndarray,
    *,
    n_photos: int,
    start_seconds: float,
    track_seconds: float,
    duration_seconds: float | None = None,
    per_photo_seconds: float | None = None,
) -> tuple[float, list[float]]:
    """(excerpt start in the track, shot boundaries from 0 to the video's length) for `n_photos` photos.

    On beats: the excerpt starts on the beat nearest `start_seconds` (earlier if the track would
    run out) and ends on a downbeat; middle photos hold `beats_per_photo` beats and the first and
    last EDGE_WEIGHT times as many (the last takes the beats up to the closing downbeat).
    `duration_seconds` picks the downbeat nearest that length and shares its beats out in the
    same proportions. `per_photo_seconds` instead shows every photo that long, cuts off the beat.
    """
    if n_photos < 1:
        raise PlanError("no photos to show")
    first = int(np.argmin(np.abs(beats - start_seconds)))
    if per_photo_seconds is not None:
        total = n_photos * per_photo_seconds
        if total > track_seconds:
            raise PlanError(f"{n_photos} photos at {per_photo_seconds:g} s need {total:.1f} s; the track lasts {track_seconds:.1f} s")
        start = min(float(beats[first]), track_seconds - total)
        return start, [round(i * per_photo_seconds, 6) for i in range(n_photos + 1)]
    beat_seconds = float(np.median(np.diff(beats)))
    weights = [EDGE_WEIGHT] + [1] * (n_photos - 2) + [EDGE_WEIGHT] if n_photos > 1 else [EDGE_WEIGHT]
    available = len(beats) - 1  # beat intervals in the whole track
    if duration_seconds is not None:
        n_beats = BEATS_PER_BAR * max(1, round(duration_seconds / beat_seconds / BEATS_PER_BAR))
        if n_beats < n_photos:
            raise PlanError(
                f"{n_photos} photos need at least {n_photos} beats ({n_photos * beat_seconds:.1f} s at {60 / beat_seconds:.0f} BPM);"
                f" --duration {duration_seconds:g} gives {n_beats}"
            )
        cuts = np.round(np.cumsum([0, *weights]) * n_beats / sum(weights)).astype(int)
        if np.any(np.diff(cuts) < 1):  # too few beats for longer edges: share them out evenly
            cuts = np.round(np.arange(n_photos + 1) * n_beats / n_photos).astype(int)
    else:
        hold = beats_per_photo(beat_seconds)
        while hold > 1 and _bars(hold * sum(weights)) > available:
            hold //= 2
        lengths = [w * hold for w in weights]
        lengths[-1] += _bars(sum(lengths)) - sum(lengths)  # the last photo holds until the downbeat
        cuts = np.cumsum([0, *lengths])
        n_beats = int(cuts[-1])
    if n_beats > available:
        raise PlanError(f"the track has {available} beats ({track_seconds:.0f} s); {n_photos} photos need {n_beats} here")
    first = min(first, available - n_beats)
    times = beats[first + cuts] - beats[first]
    return float(beats[first]), [round(float(t), 6) for t in times]


def _bars(n_beats: int) -> int:
    """`n_beats` rounded up to whole bars."""
    return BEATS_PER_BAR * math.ceil(n_beats / BEATS_PER_BAR)
