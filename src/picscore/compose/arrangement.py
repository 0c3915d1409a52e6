"""From a mood to a plan: tempo, key, mode, form, harmony and instrumentation of one piece.

Mood mapping (valence v and arousal a in [-1, 1]):
  tempo      72 + 39 (a + 1) BPM (72-150), +-4 BPM of seeded variation
  mode       from v (theory.mode_for_valence): major, mixolydian, dorian or minor
  harmony    one chord per bar, or per two bars when v < -0.35 (slower, heavier); cadences
             close every section and the piece ends on a dominant-tonic cadence
  ensemble   a > 0 gets a band, a <= 0 a chamber group, each in three colours by v (below
             -0.2, to 0.3, above): rock (distorted guitars), synth rock (a saw lead over the
             guitars), dance (saw lead, supersaw stabs, four-on-the-floor); ballad (a low cello
             over strings and a brushed beat), nocturne (the cello higher, over strings or
             piano), ambient (piano, bells, pads); see ENSEMBLES
  density    a sets the melody's rhythm, the ensemble's accompaniment pattern and drums, and
             the bass line; sections add energy (intro < A < B)
  sound      calm pieces get long reverb, energetic ones are drier with the drums further
             forward; the loudness target rises with a from -27 to -10 LUFS
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from picscore.compose.theory import MODES, PROGRESSIONS, Chord, chord_on, mode_for_valence
from picscore.pitch_names import key_name

TAIL_SECONDS = 2.0  # the final chord rings on this long after the last bar
Choice = TypeVar("Choice")


@dataclass(frozen=True)
class Section:
    """A stretch of bars with one role: intro, A (verse), B (chorus) or outro."""

    name: str
    start_bar: int
    bars: int
    energy: float  # 0..1: how many layers play and how busily


@dataclass(frozen=True)
class ChordSlot:
    """A chord and the bars it lasts, in bars from the start of the piece."""

    start_bar: float
    bars: float
    chord: Chord


@dataclass(frozen=True)
class Plan:
    """Everything decided before any note is written."""

    valence: float
    arousal: float
    seed: int
    bpm: float
    tonic: int  # pitch class 0-11
    mode: str
    sections: tuple[Section, ...]
    harmony: tuple[ChordSlot, ...]
    lead: str
    chords: str
    pad: str | None
    melody_lowest_midi: int
    chords_centre_midi: int
    accompaniment: str
    bass_style: str
    drum_style: str
    reverb_seconds: float
    reverb_mix: float
    drums_gain: float  # drums come forward in energetic mixes
    loudness_lufs: float

    @property
    def beat_seconds(self) -> float:
        return 60.0 / self.bpm

    @property
    def bars(self) -> int:
        return sum(s.bars for s in self.sections)

    @property
    def key_name(self) -> str:
        return key_name(self.tonic, self.mode)

    def chord_at(self, bar: float) -> Chord:
        """The chord sounding at `bar` (fractional bars from the start)."""
        for slot in self.harmony:
            if slot.start_bar <= bar < slot.start_bar + slot.bars:
                return slot.chord
        return self.harmony[-1].chord


@dataclass(frozen=True)
class Ensemble:
    """The instruments for one region of the mood plane (seeded choices per part) and the registers they play in.

    `patterns` (parts.ACCOMPANIMENT) and `drums` (parts.DRUMS) hold the choices for the calmer and the
    livelier half of the region's arousal.
    """

    leads: tuple[str, ...]
    chords: tuple[str, ...]
    pads: tuple[str | None, ...]
    patterns: tuple[tuple[str, ...], tuple[str, ...]]
    drums: tuple[str, str]
    melody_lowest_midi: int
    chords_centre_midi: int


# Energetic moods get a band and calm ones a chamber group, coloured by valence. picscore's learned music
# mood (models trained on people's judgements of commercial music) hears distorted guitars as tense,
# saw leads over a driving four-on-the-floor as happy, a low cello over strings as sad, and piano, bells
# and pads as calm; the middle ensembles mix the two sides.
ENSEMBLES: dict[str, Ensemble] = {
    "rock": Ensemble(
        leads=("guitar",),
        chords=("guitar",),
        pads=(None,),
        patterns=(("chug8",), ("chug16", "chug8")),
        drums=("groove", "drive"),
        melody_lowest_midi=52,
        chords_centre_midi=47,
    ),
    "synth rock": Ensemble(
        leads=("saw",),
        chords=("guitar",),
        pads=(None,),
        patterns=(("chug8",), ("chug16", "chug8")),
        drums=("groove", "drive"),
        melody_lowest_midi=62,
        chords_centre_midi=47,
    ),
    "dance": Ensemble(
        leads=("saw",),
        chords=("supersaw",),
        pads=(None,),
        patterns=(("syncopated", "pulse8"), ("pulse8", "arpeggio16")),
        drums=("drive", "drive"),
        melody_lowest_midi=67,
        chords_centre_midi=62,
    ),
    "ballad": Ensemble(
        leads=("cello",),
        chords=("strings",),
        pads=(None,),
        patterns=(("alberti",), ("alberti", "arpeggio8")),
        drums=("soft", "soft"),
        melody_lowest_midi=52,
        chords_centre_midi=52,
    ),
    "nocturne": Ensemble(
        leads=("cello",),
        chords=("strings", "piano"),
        pads=(None,),
        patterns=(("arpeggio4",), ("arpeggio8", "alberti")),
        drums=("soft", "soft"),
        melody_lowest_midi=55,
        chords_centre_midi=57,
    ),
    "ambient": Ensemble(
        leads=("piano", "bell", "strings"),
        chords=("pluck", "bell", "piano"),
        pads=("pad", "strings"),
        patterns=(("arpeggio4",), ("arpeggio8", "alberti")),
        drums=("none", "soft"),
        melody_lowest_midi=67,
        chords_centre_midi=62,
    ),
}


def ensemble_for(*, valence: float, arousal: float) -> str:
    """The ENSEMBLES name for a mood: a band above arousal 0, chamber music at or below; darker below valence 0.3 and -0.2."""
    shade = 0 if valence < -0.2 else 1 if valence < 0.3 else 2
    return (("ballad", "nocturne", "ambient"), ("rock", "synth rock", "dance"))[_tier(arousal) >= 2][shade]


def tempo_for_arousal(arousal: float) -> float:
    return 72.0 + 39.0 * (float(np.clip(arousal, -1, 1)) + 1.0)


def plan_piece(
    *,
    valence: float,
    arousal: float,
    seconds: float,
    seed: int = 0,
    bpm: float | None = None,
    tonic: int | None = None,
    mode: str | None = None,
) -> Plan:
    """Decide a piece for the mood; given `bpm`, `tonic` or `mode` override what the mood would pick."""
    rng = np.random.default_rng([seed, 1])
    valence, arousal = float(np.clip(valence, -1, 1)), float(np.clip(arousal, -1, 1))
    bpm = float(bpm) if bpm else round(tempo_for_arousal(arousal) + rng.uniform(-4, 4))
    mode = mode or mode_for_valence(valence)
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
    tonic = int(rng.integers(12)) if tonic is None else tonic
    bar_seconds = 4 * 60.0 / bpm
    sections = _form(max(4, int((seconds - TAIL_SECONDS) / bar_seconds)))
    bars_per_chord = 2 if valence < -0.35 else 1
    choices = [PROGRESSIONS[mode][i] for i in rng.permutation(len(PROGRESSIONS[mode]))]
    harmony = _harmony(sections, mode=mode, progressions={"A": choices[0], "B": choices[1 % len(choices)]}, bars_per_chord=bars_per_chord)
    ensemble = ENSEMBLES[ensemble_for(valence=valence, arousal=arousal)]
    lead, chords, pad = _pick(rng, ensemble.leads), _pick(rng, ensemble.chords), _pick(rng, ensemble.pads)
    livelier = _tier(arousal) % 2  # tiers 0 and 1 halve the chamber groups' arousal, 2 and 3 the bands'
    level = (arousal + 1) / 2
    return Plan(
        valence=valence,
        arousal=arousal,
        seed=seed,
        bpm=bpm,
        tonic=tonic,
        mode=mode,
        sections=sections,
        harmony=harmony,
        lead=lead,
        chords=chords,
        pad=pad,
        melody_lowest_midi=ensemble.melody_lowest_midi + (5 if lead == "bell" else 0),
        chords_centre_midi=ensemble.chords_centre_midi,
        accompaniment=_pick(rng, ensemble.patterns[livelier]),
        bass_style=_pick(rng, (("whole",), ("half",), ("syncopated", "pulse8"), ("pulse8", "syncopated"))[_tier(arousal)]),
        drum_style=ensemble.drums[livelier],
        reverb_seconds=2.8 - 1.4 * level,
        reverb_mix=0.38 - 0.2 * level,
        drums_gain=0.7 + 0.9 * level,
        loudness_lufs=-27.0 + 17.0 * level,
    )


def _pick(rng: np.random.Generator, options: Sequence[Choice]) -> Choice:
    return options[int(rng.integers(len(options)))]


def _tier(arousal: float) -> int:
    """0-3: arousal's quarter of [-1, 1], split at -0.5, 0 and 0.45; 0 itself counts as calm."""
    return int(np.searchsorted([-0.5, 0.0, 0.45], arousal))


def _form(bars: int) -> tuple[Section, ...]:
    """A 2-bar intro, A and B sections alternating (8 bars; the last takes 4-11), a 2-4 bar outro."""
    outro = 2 if bars < 16 else 4
    intro = 2 if bars >= 8 else 0
    middle = bars - intro - outro
    blocks = []
    while middle >= 12:
        blocks.append(8)
        middle -= 8
    if middle >= 4:
        blocks.append(middle)
    else:
        intro, outro = intro + min(middle, 2), outro + max(middle - 2, 0)
    sections = [Section("intro", 0, intro, 0.3)] if intro else []
    for i, length in enumerate(blocks):
        sections.append(Section("AB"[i % 2], 0, length, 0.65 + 0.1 * (i // 2) if i % 2 == 0 else 1.0))
    sections.append(Section("outro", 0, outro, 0.45))
    start = 0
    placed = []
    for section in sections:
        placed.append(Section(section.name, start, section.bars, section.energy))
        start += section.bars
    return tuple(placed)


def _harmony(
    sections: tuple[Section, ...], *, mode: str, progressions: dict[str, tuple[int, ...]], bars_per_chord: int
) -> tuple[ChordSlot, ...]:
    """Chord slots: a tonic intro, each section's progression looped and closed on the dominant, a final cadence."""
    slots: list[ChordSlot] = []
    for section in sections:
        if section.name == "outro":
            degrees = (3, 4, 0) if section.bars >= 3 else (4, 0)
            lengths = [1.0] * (len(degrees) - 1) + [section.bars - len(degrees) + 1.0]
            at = float(section.start_bar)
            for degree, length in zip(degrees, lengths, strict=True):
                slots.append(ChordSlot(at, length, chord_on(mode, degree, cadential=True)))
                at += length
            continue
        if section.name == "intro":  # a tonic pedal establishes the key
            slots.append(ChordSlot(float(section.start_bar), float(section.bars), chord_on(mode, 0)))
            continue
        progression = progressions[section.name]
        n_slots = max(1, section.bars // bars_per_chord)
        half_cadence = section is not sections[-2]  # the outro's own cadence follows the last section
        for i in range(n_slots):
            last = i == n_slots - 1
            degree = 4 if last and half_cadence else progression[i % len(progression)]
            bars = section.bars - i * bars_per_chord if last else bars_per_chord  # the last slot takes any odd bar
            slots.append(ChordSlot(float(section.start_bar + i * bars_per_chord), float(bars), chord_on(mode, degree, cadential=last)))
    return tuple(slots)
