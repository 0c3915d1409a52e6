"""The score a piece is rendered from: timed notes per instrument and drum hits, in beats."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Note:
    """A pitched note: onset and length in beats from the start, MIDI pitch, velocity 0..1."""

    start_beats: float
    beats: float
    midi: int
    velocity: float


@dataclass(frozen=True)
class Hit:
    """A drum hit: onset in beats, drum name (see instruments.drum_kit), velocity 0..1."""

    start_beats: float
    drum: str
    velocity: float


@dataclass
class Score:
    """Notes per voice (a voice may be listed under several parts, e.g. pad and chords) and drum hits."""

    parts: dict[str, tuple[str, list[Note]]] = field(default_factory=dict)  # part -> (voice, notes)
    hits: list[Hit] = field(default_factory=list)


def step_beats(bar: float, step: float) -> float:
    """Beats from the start of the piece of sixteenth `step` within `bar`."""
    return 4.0 * bar + step / 4.0
