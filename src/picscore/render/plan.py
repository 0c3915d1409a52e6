"""The timeline of a slideshow as plain data: which parts of the track play, and when each photo shows.

Cuts fall on the track's analysed beats. The library stores no downbeats, so bars are taken as
groups of four beats counted from the excerpt's first beat (which is therefore a downbeat): an
excerpt ends on a downbeat, a whole number of bars after it starts.

A photo holds 2 to 4 seconds, a whole number of beats: shorter for lively music, longer for calm.
When the track is too short for the photos or the asked length, whole phrases of it repeat: the
music jumps back from a downbeat to an earlier one whose bars sound alike (render/loops.py), so
the video never lacks music.

A long video may take one track per chapter (render/chapter_music.py): each later track takes over
on a downbeat (`chained_tracks`), and the soundtrack crossfades and matches their loudness there.

The plan is JSON (`Plan.to_json` / `Plan.from_json`), so `picscore render --plan-only` can print
it, a person or a test can edit it, and `--plan` renders it as written.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np

from picscore.render.loops import BarProfiles, choose_loop

PLAN_VERSION = 3  # 2: music_pieces, chapter_starts, title; 3: chained_tracks
CHAPTER_TRANSITION_SECONDS = 1.0
BEATS_PER_BAR = 4
HOLD_SECONDS = (2.0, 4.0)  # a photo's hold: the shortest for the liveliest music (arousal 1), the longest for the calmest
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
class MusicPart:
    """One track's share of the soundtrack: from `video_start_seconds` on, its `pieces` (from, to seconds in
    the track) play back to back until the next part takes over or the video ends."""

    track_path: str
    video_start_seconds: float
    pieces: list[tuple[float, float]]
    track_id: int | None = None
    bpm: float | None = None


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
    # The stretches of the track (from, to seconds) played one after another; empty: one excerpt from
    # excerpt_start_seconds, as long as the video. A repeat's join falls on a downbeat.
    music_pieces: list[tuple[float, float]] = field(default_factory=list)
    # Shots that open a chapter (a new day, or hours after the photo before): the picture passes through
    # black there, CHAPTER_TRANSITION_SECONDS long, whatever `transition` says, and the cut is on a downbeat.
    chapter_starts: list[int] = field(default_factory=list)
    title: str = ""  # words shown over the first photo (render/title.py); empty: none
    # Later tracks, in order: each takes over from the one before at its video_start_seconds (a downbeat of both).
    # The track above then plays only until the first of them, and music_pieces must be given.
    chained_tracks: list[MusicPart] = field(default_factory=list)

    @property
    def n_frames(self) -> int:
        return frame_index(self.duration_seconds, fps=self.fps)

    @property
    def cuts_seconds(self) -> list[float]:
        """The instants one photo gives way to the next."""
        return [shot.start_seconds for shot in self.shots[1:]]

    @property
    def pieces(self) -> list[tuple[float, float]]:
        """The stretches of the track that play, in order (from, to seconds in the track)."""
        return self.music_pieces or [(self.excerpt_start_seconds, self.excerpt_start_seconds + self.duration_seconds)]

    @property
    def music_parts(self) -> list[MusicPart]:
        """Every track's share of the soundtrack in order, the plan's own track first."""
        first = MusicPart(self.track_path, 0.0, self.pieces, track_id=self.track_id, bpm=self.bpm)
        return [first, *self.chained_tracks]

    @property
    def music_part_ends(self) -> list[float]:
        """When each of music_parts gives way (video seconds): to the next part, the last at duration_seconds."""
        return [part.video_start_seconds for part in self.chained_tracks] + [self.duration_seconds]

    def to_json(self) -> dict[str, Any]:
        return {"version": PLAN_VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, data: Any) -> Plan:
        """Read a plan written by to_json (perhaps edited; version 1 too), checking what the renderer relies on."""
        if not isinstance(data, dict) or data.get("version") not in (1, 2, PLAN_VERSION):
            raise PlanError(f"not a picscore render plan of version {PLAN_VERSION}")
        fields = {k: v for k, v in data.items() if k != "version"}
        try:
            shots = [
                Shot(**{**s, "pan": tuple(s.get("pan", (0, 0))), "focus": tuple(s.get("focus", (0.5, 0.5)))}) for s in fields.pop("shots")
            ]
            pieces = _stretches(fields.pop("music_pieces", []))
            chained = [MusicPart(**{**part, "pieces": _stretches(part["pieces"])}) for part in fields.pop("chained_tracks", [])]
            plan = cls(**fields, shots=shots, music_pieces=pieces, chained_tracks=chained)
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
        if any(not 0 < k < len(self.shots) for k in self.chapter_starts):
            raise PlanError(f"chapter_starts must name shots after the first (1 to {len(self.shots) - 1})")
        if self.chained_tracks and not self.music_pieces:
            raise PlanError("a plan with chained_tracks must give its first track's music_pieces")
        ends = self.music_part_ends
        if any(b <= a for a, b in pairwise([0.0, *ends])):
            raise PlanError("chained_tracks must take over one after another, after 0 and before duration_seconds")
        for part, until in zip(self.music_parts, ends, strict=True):
            if any(b <= a or a < 0 for a, b in part.pieces) or sum(b - a for a, b in part.pieces) < until - part.video_start_seconds - 1e-3:
                raise PlanError(f"{part.track_path}: its pieces must be forward stretches lasting until the next track or the end")


def _stretches(pairs: Sequence[Sequence[float]]) -> list[tuple[float, float]]:
    """(from, to) seconds as JSON gives them (lists) as tuples of floats."""
    return [(float(a), float(b)) for a, b in pairs]


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
    bar_profiles: BarProfiles | None = None,
    chapter_starts: Sequence[int] = (),
    title: str = "",
) -> Plan:
    """Plan a slideshow of `photos` ((path, focus) pairs, in order) to a library `track`.

    The excerpt starts at the beat nearest `start_seconds`, else at the track's highlight. When the
    track ends too soon, phrases repeat where `bar_profiles` (the track's bars as render/loops.py
    describes them) says they join well; without it, that is a PlanError.
    """
    if not photos:
        raise PlanError("no photos to show")
    beats = beat_grid(track)
    beat_seconds = float(np.median(np.diff(beats)))
    requested = start_seconds if start_seconds is not None else (track.get("highlight_start") or 0.0)
    first = int(np.argmin(np.abs(beats - requested)))
    if per_photo_seconds is not None:
        total = len(photos) * per_photo_seconds
        bounds = [round(i * per_photo_seconds, 6) for i in range(len(photos) + 1)]
        n_beats = _bars(math.ceil(total / beat_seconds - 1e-6))  # music at least as long as the photos
    else:
        cuts, n_beats = share_beats(len(photos), beat_seconds=beat_seconds, arousal=track.get("arousal"), duration_seconds=duration_seconds)
        cuts = _chapters_on_downbeats(cuts, chapter_starts)
    pieces = play_order(beats, first=first, n_beats=n_beats, bar_profiles=bar_profiles, n_photos=len(photos))
    times = played_beat_times(beats, pieces)
    if per_photo_seconds is None:
        bounds = [round(float(t), 6) for t in times[cuts]]
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
    in_video = times[times <= duration + 1e-6]
    shortest = min(b - a for a, b in pairwise(bounds))
    plan = Plan(
        track_path=track["path"],
        track_id=track.get("id"),
        bpm=track.get("bpm"),
        excerpt_start_seconds=round(float(beats[pieces[0][0]]), 6),
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
        beats_seconds=[round(float(b), 6) for b in in_video],
        downbeats_seconds=[round(float(b), 6) for b in in_video[::BEATS_PER_BAR]],
        music_pieces=[(round(float(beats[a]), 6), round(float(beats[b]), 6)) for a, b in pieces] if len(pieces) > 1 else [],
        chapter_starts=sorted(set(chapter_starts)),
        title=title,
    )
    plan.check()
    return plan


def describe_repeats(plan: Plan) -> str | None:
    """What the music repeats to last the video (each track's share of it, when there are several), in words; None
    when it plays straight through."""
    parts = plan.music_parts
    said = []
    for part, end in zip(parts, plan.music_part_ends, strict=True):
        if len(part.pieces) < 2:
            continue
        start, stop = part.pieces[1]
        times = len(part.pieces) - 1
        track = "the track" if len(parts) == 1 else f"track {part.track_id}"
        lasting = clock(end - part.video_start_seconds)
        said.append(f"the music repeats {clock(start)}-{clock(stop)} of {track} {times} time{'s' if times > 1 else ''} to last {lasting}")
    return "; ".join(said) or None


def clock(seconds: float) -> str:
    """Minutes and seconds to a tenth, e.g. 1:00.0 for 59.97 s (rounded first, so never 0:60.0)."""
    tenths = round(seconds * 10)
    return f"{tenths // 600}:{tenths % 600 / 10:04.1f}"


def beat_grid(track: dict[str, Any]) -> np.ndarray:
    """The track's beat times; a steady grid at its tempo (or 120 BPM) when fewer than two were found."""
    beats = np.sort(np.asarray(track.get("beats", []), dtype=np.float64))
    if len(beats) >= 2:
        return beats
    return np.arange(0.0, float(track["duration"]), 60.0 / (track.get("bpm") or FALLBACK_BPM))


def lasts(track: dict[str, Any], *, n_photos: int, duration_seconds: float | None) -> bool:
    """Whether `track` carries `n_photos` at its own pacing, or `duration_seconds` of video, without repeating phrases."""
    beats = beat_grid(track)
    try:
        _, n_beats = share_beats(
            n_photos, beat_seconds=float(np.median(np.diff(beats))), arousal=track.get("arousal"), duration_seconds=duration_seconds
        )
    except PlanError:  # too few beats for the photos at that length, with any track of this tempo
        return False
    return n_beats <= len(beats) - 1


CROWDED = 3  # more than this many times the photos a length shows at a pleasant pace: curate down to the best


def photos_for_length(seconds: float) -> int:
    """How many photos a video of `seconds` shows at the middle of HOLD_SECONDS each, the first and last held longer."""
    return max(1, math.floor(seconds / (sum(HOLD_SECONDS) / 2)) - 2 * (EDGE_WEIGHT - 1))


def best_for_length(n_photos: int, *, seconds: float | None) -> int | None:
    """How many of `n_photos` a video of `seconds` should show when nobody said: the best photos_for_length of them when
    there are over CROWDED times that many (a pleasant pace beats a rushed one), else None (show every good photo)."""
    if seconds is None or n_photos <= CROWDED * photos_for_length(seconds):
        return None
    return photos_for_length(seconds)


def beats_per_photo(beat_seconds: float, *, arousal: float | None = None) -> int:
    """The whole number of beats a photo holds: closest to HOLD_SECONDS' long end for calm music (arousal -1),
    its short end for lively music (arousal 1), within HOLD_SECONDS where a whole number of beats fits."""
    liveliness = (float(np.clip(arousal or 0.0, -1.0, 1.0)) + 1) / 2
    target = HOLD_SECONDS[1] - liveliness * (HOLD_SECONDS[1] - HOLD_SECONDS[0])
    counts = range(1, 4 * BEATS_PER_BAR * 4)
    fitting = [k for k in counts if HOLD_SECONDS[0] - 1e-9 <= k * beat_seconds <= HOLD_SECONDS[1] + 1e-9] or [1]
    return min(fitting, key=lambda k: (abs(k * beat_seconds - target), k % 2))


def share_beats(n_photos: int, *, beat_seconds: float, arousal: float | None, duration_seconds: float | None) -> tuple[np.ndarray, int]:
    """(the played-beat index of each cut, from 0 to the end; the number of beats the video lasts).

    Middle photos hold `beats_per_photo` beats and the first and last EDGE_WEIGHT times as many (the
    last takes the beats up to the closing downbeat). `duration_seconds` instead picks the downbeat
    nearest that length and shares its beats out in the same proportions.
    """
    weights = [EDGE_WEIGHT] + [1] * (n_photos - 2) + [EDGE_WEIGHT] if n_photos > 1 else [EDGE_WEIGHT]
    if duration_seconds is None:
        lengths = [w * beats_per_photo(beat_seconds, arousal=arousal) for w in weights]
        lengths[-1] += _bars(sum(lengths)) - sum(lengths)  # the last photo holds until the downbeat
        cuts = np.cumsum([0, *lengths])
        return cuts, int(cuts[-1])
    n_beats = BEATS_PER_BAR * max(1, round(duration_seconds / beat_seconds / BEATS_PER_BAR))
    if n_beats < n_photos:
        raise PlanError(
            f"{n_photos} photos need at least {n_photos} beats ({n_photos * beat_seconds:.1f} s at {60 / beat_seconds:.0f} BPM);"
            f" --length {duration_seconds:g} gives {n_beats}"
        )
    cuts = np.round(np.cumsum([0, *weights]) * n_beats / sum(weights)).astype(int)
    if np.any(np.diff(cuts) < 1):  # too few beats for longer edges: share them out evenly
        cuts = np.round(np.arange(n_photos + 1) * n_beats / n_photos).astype(int)
    return cuts, n_beats


def _chapters_on_downbeats(cuts: np.ndarray, chapter_starts: Sequence[int]) -> np.ndarray:
    """The cuts with each chapter's first cut moved to the nearest downbeat that keeps every shot at least a beat long."""
    cuts = np.array(cuts)
    for k in sorted(set(chapter_starts)):
        if not 0 < k < len(cuts) - 1:
            continue
        options = [b for b in range(0, int(cuts[-1]) + 1, BEATS_PER_BAR) if cuts[k - 1] < b < cuts[k + 1]]
        if options:
            cuts[k] = min(options, key=lambda b: abs(b - cuts[k]))
    return cuts


def play_order(beats: np.ndarray, *, first: int, n_beats: int, bar_profiles: BarProfiles | None, n_photos: int) -> list[tuple[int, int]]:
    """The stretches of the track, as beat index ranges [a, b), that play one after another for `n_beats` beats.

    One excerpt from the beat `first` (earlier if the track would run out) when the track is long
    enough; else the excerpt, then a phrase repeated (see choose_loop) until the beats are played.
    """
    available = len(beats) - 1  # beat intervals in the whole track
    if n_beats <= available:
        start = min(first, available - n_beats)
        return [(start, start + n_beats)]
    if bar_profiles is None:
        raise PlanError(f"the track has {available} beats ({beats[-1]:.0f} s); {n_photos} photos need {n_beats} here")
    grid = first % BEATS_PER_BAR  # bars counted so that the excerpt starts on a downbeat
    n_bars = (len(beats) - 1 - grid) // BEATS_PER_BAR
    if n_bars < 2:  # not even two bars: the whole beat grid repeats
        return _repeated(0, (0, available), n_beats=n_beats)
    first_bar = min((first - grid) // BEATS_PER_BAR, n_bars - 1)
    loop_from, loop_to = choose_loop(bar_profiles(beats[grid + BEATS_PER_BAR * np.arange(n_bars + 1)]), first_bar=first_bar)
    bars = _repeated(first_bar, (loop_from, loop_to), n_beats=n_beats // BEATS_PER_BAR)
    return [(grid + BEATS_PER_BAR * a, grid + BEATS_PER_BAR * b) for a, b in bars]


def _repeated(start: int, loop: tuple[int, int], *, n_beats: int) -> list[tuple[int, int]]:
    """Ranges [a, b) that play from `start` to the loop's end, then the loop over and over, `n_beats` units in all."""
    pieces = [(start, loop[1])]
    needed = n_beats - (loop[1] - start)
    while needed > 0:
        length = min(needed, loop[1] - loop[0])
        pieces.append((loop[0], loop[0] + length))
        needed -= length
    return pieces


def played_beat_times(beats: np.ndarray, pieces: list[tuple[int, int]]) -> np.ndarray:
    """Video time of every played beat and of the end, the pieces [a, b) of beat indices played back to back."""
    times, offset = [], 0.0
    for a, b in pieces:
        times.append(beats[a:b] - beats[a] + offset)
        offset += float(beats[b] - beats[a])
    return np.concatenate([*times, [offset]])


def _bars(n_beats: int) -> int:
    """`n_beats` rounded up to whole bars."""
    return BEATS_PER_BAR * math.ceil(n_beats / BEATS_PER_BAR)
