"""Accompaniment, pad, bass and drums for a plan: patterns on a sixteenth-note grid.

Patterns get busier with arousal (arrangement chooses them); each section's energy scales
velocities and thins the intro and outro. Chords are voiced close to the previous chord, so
the accompaniment moves smoothly.
"""

from __future__ import annotations

import numpy as np

from picscore.compose.arrangement import ChordSlot, Plan, Section
from picscore.compose.score import Hit, Note, step_beats
from picscore.compose.theory import Chord

# (sixteenth step, length in sixteenths, voicing index or -1 for the whole chord), one bar.
ACCOMPANIMENT: dict[str, tuple[tuple[int, int, int], ...]] = {
    "arpeggio4": ((0, 6, 0), (4, 6, 1), (8, 6, 2), (12, 6, 3)),
    "arpeggio8": tuple((2 * i, 4, k) for i, k in enumerate((0, 1, 2, 3, 2, 1, 2, 1))),
    "alberti": tuple((2 * i, 3, k) for i, k in enumerate((0, 2, 1, 2, 0, 2, 1, 2))),
    "pulse8": tuple((2 * i, 2, -1) for i in range(8)),
    "syncopated": ((0, 5, -1), (6, 5, -1), (12, 4, -1)),
    "chug8": tuple((2 * i, 2, -1) for i in range(8)),  # a distorted guitar's chords, picked in eighths
    "chug16": tuple((i, 1, -1) for i in range(16)),
    "arpeggio16": tuple((i, 2, k) for i, k in enumerate((0, 1, 2, 3, 2, 1, 2, 3, 0, 1, 2, 3, 2, 1, 2, 1))),
}
GUITAR_PATTERNS = ("chug8", "chug16")  # these play guitar_voicing, not the close voicing
# (sixteenth step, length, interval above the root: 0 root, 12 octave), one bar. Roots and
# octaves only: fifths in the bass pull the key estimate towards the dominant.
BASS: dict[str, tuple[tuple[int, int, int], ...]] = {
    "whole": ((0, 16, 0),),
    "half": ((0, 8, 0), (8, 8, 0)),
    "syncopated": ((0, 6, 0), (6, 2, 0), (8, 4, 12), (12, 4, 0)),
    "pulse8": tuple((2 * i, 2, 12 if i == 7 else 0) for i in range(8)),
}
# drum -> (steps, velocity) per style; extra kicks come from the seed in `write_drums`.
DRUMS: dict[str, dict[str, tuple[tuple[int, ...], float]]] = {
    "none": {},
    "soft": {"kick": ((0, 10), 0.7), "snare": ((8,), 0.4), "hat": ((0, 4, 8, 12), 0.35)},
    "groove": {"kick": ((0, 8), 0.9), "snare": ((4, 12), 0.75), "hat": (tuple(range(0, 16, 2)), 0.45)},
    "drive": {"kick": ((0, 4, 8, 12), 1.0), "snare": ((4, 12), 0.85), "hat": (tuple(range(16)), 0.4), "open_hat": ((2, 6, 10, 14), 0.35)},
}


def _accent(step: int) -> float:
    """Beats louder than off-beats, off-beats louder than sixteenths."""
    return 1.0 if step % 4 == 0 else 0.6 if step % 2 == 0 else 0.45


def voice_chord(chord: Chord, *, tonic: int, previous: tuple[int, ...] | None, centre_midi: int) -> tuple[int, ...]:
    """Close voicing of `chord` (root position or an inversion) nearest to `previous`, else to `centre_midi`."""
    pcs = [(tonic + t) % 12 for t in chord.tones]
    options = []
    for inversion in range(len(pcs)):
        order = pcs[inversion:] + pcs[:inversion]
        for base in range(centre_midi - 12, centre_midi + 1):
            if base % 12 == order[0]:
                stack = [base]
                for pc in order[1:]:
                    stack.append(stack[-1] + (pc - stack[-1]) % 12)
                options.append(tuple(stack))
    target = previous or (centre_midi - 4, centre_midi, centre_midi + 4)
    return min(options, key=lambda v: sum(abs(a - b) for a, b in zip(v, target, strict=False)))


def guitar_voicing(chord: Chord, *, tonic: int, centre_midi: int) -> tuple[int, ...]:
    """Root, fifth, octave and the third an octave up, the root from a tritone below `centre_midi` to a fourth above.

    A power chord with its third on top: through distortion the third grinds (its difference tones
    clash), which sounds tense, and it keeps the chord major or minor to the ear and the key estimate.
    """
    root = centre_midi - 6 + (tonic + chord.root - centre_midi + 6) % 12
    return root, root + 7, root + 12, root + 12 + chord.tones[1] - chord.tones[0]


def write_accompaniment(plan: Plan, *, pattern: str, centre_midi: int) -> list[Note]:
    """The chord instrument's pattern over every bar; the last chord of the piece is held."""
    notes: list[Note] = []
    voicing: tuple[int, ...] | None = None
    for slot in plan.harmony:
        if pattern in GUITAR_PATTERNS:
            voicing = guitar_voicing(slot.chord, tonic=plan.tonic, centre_midi=centre_midi)
        else:
            voicing = voice_chord(slot.chord, tonic=plan.tonic, previous=voicing, centre_midi=centre_midi)
        tones = (*voicing, voicing[0] + 12)
        section = _section_at(plan, slot.start_bar)
        if slot is plan.harmony[-1]:
            notes += [Note(4 * slot.start_bar, 4 * slot.bars, m, 0.7) for m in voicing]
            continue
        for bar in _bars(slot):
            for step, length, index in ACCOMPANIMENT[pattern]:
                velocity = 0.6 * _accent(step) * (0.75 + 0.25 * section.energy)
                pitches = voicing if index < 0 else (tones[index % len(tones)],)
                notes += [Note(step_beats(bar, step), length / 4, m, velocity) for m in pitches]
    return notes


def write_pad(plan: Plan, *, centre_midi: int) -> list[Note]:
    """Sustained chords, one per harmony slot, quieter in the intro."""
    notes: list[Note] = []
    voicing: tuple[int, ...] | None = None
    for slot in plan.harmony:
        voicing = voice_chord(slot.chord, tonic=plan.tonic, previous=voicing, centre_midi=centre_midi)
        velocity = 0.45 + 0.3 * _section_at(plan, slot.start_bar).energy
        notes += [Note(4 * slot.start_bar, 4 * slot.bars, m, velocity) for m in voicing]
    return notes


def write_bass(plan: Plan, *, lowest_midi: int) -> list[Note]:
    """The bass line on each chord's root (octaves by style) around the tonic's lowest octave from `lowest_midi`; silent in the intro."""
    notes: list[Note] = []
    tonic_root = lowest_midi + (plan.tonic - lowest_midi) % 12
    for slot in plan.harmony:
        section = _section_at(plan, slot.start_bar)
        if section.name == "intro":
            continue
        root = tonic_root + (slot.chord.root + 5) % 12 - 5  # within a fourth below to a fifth above the tonic
        if slot is plan.harmony[-1]:
            notes.append(Note(4 * slot.start_bar, 4 * slot.bars, root, 0.8))
            continue
        for bar in _bars(slot):
            for step, length, interval in BASS[plan.bass_style]:
                notes.append(Note(step_beats(bar, step), length / 4, root + interval, 0.8 * _accent(step)))
    return notes


def write_drums(plan: Plan) -> list[Hit]:
    """The drum style over every bar: hats only in the intro, fills into each B, one last kick."""
    style = DRUMS[plan.drum_style]
    if not style:
        return []
    rng = np.random.default_rng([plan.seed, 3])
    extra_kick = int(rng.choice([6, 10, 14]))
    hits: list[Hit] = []
    for section in plan.sections:
        for bar in range(section.start_bar, section.start_bar + section.bars):
            last_bar_of_piece = bar == plan.bars - 1
            if last_bar_of_piece:
                hits.append(Hit(step_beats(bar, 0), "kick", 0.9))
                continue
            fill = section.name in "AB" and bar == section.start_bar + section.bars - 1 and plan.drum_style != "soft"
            for drum, (steps, velocity) in style.items():
                if section.name == "intro" and drum not in ("hat", "kick"):
                    continue
                chosen = (*steps, extra_kick) if drum == "kick" and plan.drum_style == "groove" and section.name == "B" else steps
                if fill and drum == "snare":
                    chosen = (*steps, 13, 14, 15)
                if fill and drum in ("kick", "open_hat"):
                    chosen = tuple(s for s in chosen if s < 12)
                gain = velocity * (0.6 + 0.4 * section.energy)
                hits += [Hit(step_beats(bar, s), drum, gain * _accent(s) * float(rng.uniform(0.92, 1.0))) for s in chosen]
    return hits


def _bars(slot: ChordSlot) -> range:
    return range(int(slot.start_bar), int(slot.start_bar + slot.bars))


def _section_at(plan: Plan, bar: float) -> Section:
    return next(s for s in reversed(plan.sections) if s.start_bar <= bar)
