"""The melody: 4-bar phrases built from one-bar rhythm cells, a motif that returns, and cadences.

Each A or B section gets its own melody, written once and repeated when the section comes
back, so the piece has a recognisable form. Within a phrase, bar 3 repeats bar 1's rhythm
and contour from a new chord tone (a sequence); the last bar is a cadence cell, a long note
on a chord tone: open (not the tonic) at the end of a section, the tonic in the outro.
Pitches move mostly by step, strong beats land on chord tones, and a leap is followed by a
step back.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from picscore.compose.arrangement import Plan, Section
from picscore.compose.score import Note, step_beats
from picscore.compose.theory import Chord, scale_for_chord

# One-bar rhythm cells as (sixteenth step, length in sixteenths), by density tier.
CELLS: tuple[tuple[tuple[tuple[int, int], ...], ...], ...] = (
    (((0, 8), (8, 8)), ((0, 12), (12, 4)), ((0, 6), (6, 2), (8, 8)), ((0, 4), (4, 4), (8, 8))),
    (
        ((0, 4), (4, 4), (8, 4), (12, 4)),
        ((0, 6), (6, 2), (8, 4), (12, 4)),
        ((0, 4), (4, 2), (6, 2), (8, 8)),
        ((2, 2), (4, 4), (8, 4), (12, 4)),
    ),
    (
        ((0, 2), (2, 2), (4, 4), (8, 2), (10, 2), (12, 4)),
        ((0, 3), (3, 3), (6, 2), (8, 4), (12, 2), (14, 2)),
        ((0, 2), (2, 2), (4, 2), (6, 2), (8, 4), (12, 4)),
        ((0, 4), (4, 2), (6, 4), (10, 2), (12, 4)),
    ),
)
CADENCE_CELLS = (((0, 16),), ((0, 4), (4, 12)), ((0, 8), (8, 8)), ((0, 6), (6, 10)))
_STEPS = np.array([-3, -2, -1, 0, 1, 2, 3, 4])
_STEP_WEIGHTS = np.array([0.05, 0.15, 0.3, 0.06, 0.27, 0.12, 0.03, 0.02])


def write_melody(plan: Plan, *, lowest_midi: int) -> list[Note]:
    """The melody of every A, B and outro section, in a range starting at `lowest_midi`."""
    rng = np.random.default_rng([plan.seed, 2])
    tier = int(np.searchsorted([-0.4, 0.35], plan.arousal))
    written: dict[str, list[Note]] = {}
    notes: list[Note] = []
    for section in plan.sections:
        if section.name == "intro":
            continue
        key = f"{section.name}{section.bars}"
        if key not in written:
            busy = min(tier + (section.name == "B" and plan.arousal > -0.4), 2)
            lift = 2 if section.name == "B" else 0
            written[key] = _section_melody(plan, section, rng=rng, tier=busy, lowest_midi=lowest_midi + lift)
        offset = 4.0 * section.start_bar
        notes += [Note(n.start_beats + offset, n.beats, n.midi, n.velocity) for n in written[key]]
    return notes


def _section_melody(plan: Plan, section: Section, *, rng: np.random.Generator, tier: int, lowest_midi: int) -> list[Note]:
    """Notes of one section, timed from the section's start (rendered against its own chords)."""
    final = section.name == "outro"
    if final:
        cells = [CELLS[tier][int(rng.integers(len(CELLS[tier])))] for _ in range(section.bars - 1)] + [((0, 24),)]
    else:
        motif = CELLS[tier][int(rng.integers(len(CELLS[tier])))]
        answer = CELLS[tier][int(rng.integers(len(CELLS[tier])))]
        cadence = CADENCE_CELLS[int(rng.integers(len(CADENCE_CELLS)))]
        cells = [*([motif, answer, motif, cadence] * 3)[: section.bars - 1], cadence]
    contour = rng.choice(_STEPS, size=8, p=_STEP_WEIGHTS)
    notes: list[Note] = []
    index: int | None = None
    for bar, cell in enumerate(cells):
        chord = plan.chord_at(section.start_bar + bar)
        ladder = _ladder(plan.mode, chord, plan.tonic, lowest_midi)
        repeat_motif = bar % 4 == 2 and not final
        for i, (step, length) in enumerate(cell):
            last = bar == len(cells) - 1 and i == len(cell) - 1
            if index is None or (repeat_motif and i == 0):
                index = _nearest(_chord_tones(ladder, chord, plan.tonic), len(ladder) // 2 if index is None else index)
            else:
                move = int(contour[i % len(contour)]) if repeat_motif else int(rng.choice(_STEPS, p=_STEP_WEIGHTS))
                if (index > len(ladder) - 4 and move > 0) or (index < 3 and move < 0):
                    move = -move  # turn back towards the middle of the range
                index = int(np.clip(index + move, 0, len(ladder) - 1))
            if last:
                tones = _chord_tones(ladder, chord, plan.tonic)
                index = _nearest([k for k in tones if (ladder[k] - plan.tonic) % 12 == 0] if final else tones, index)
            elif step % 8 == 0 or length >= 8:
                index = _nearest(_chord_tones(ladder, chord, plan.tonic), index)
            velocity = (0.85 if step % 8 == 0 else 0.7) * float(rng.uniform(0.9, 1.0))
            notes.append(Note(step_beats(bar, step), length / 4.0, ladder[index], velocity))
    return notes


@lru_cache(maxsize=256)
def _ladder(mode: str, chord: Chord, tonic: int, lowest_midi: int) -> tuple[int, ...]:
    """The scale (adjusted to the chord) from `lowest_midi` up two octaves, as MIDI pitches."""
    scale = {(tonic + s) % 12 for s in scale_for_chord(mode, chord)}
    return tuple(m for m in range(lowest_midi, lowest_midi + 25) if m % 12 in scale)


def _chord_tones(ladder: tuple[int, ...], chord: Chord, tonic: int) -> list[int]:
    """Ladder indices whose pitch belongs to `chord` in the key of `tonic`."""
    return [k for k, m in enumerate(ladder) if (m - tonic) % 12 in chord.pitch_classes()]


def _nearest(candidates: list[int], index: int) -> int:
    return min(candidates, key=lambda k: abs(k - index)) if candidates else index
