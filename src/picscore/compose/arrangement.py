"""From a mood to a plan: tempo, key, mode, form, harmony and instrumentation of one piece.

Mood mapping (valence v and arousal a in [-1, 1]):
  tempo      72 + 39 (a + 1) BPM (72-150), +-4 BPM of seeded variation
  mode       from v (theory.mode_for_valence): major, mixolydian, dorian or minor
  harmony    one chord per bar, or per two bars when v < -0.35 (slower, heavier); cadences
             close every section and the piece ends on a dominant-tonic cadence
  density    a sets the melody's rhythm, the accompaniment pattern, the bass line and the
             drum style (none, soft, groove, drive); sections add energy (intro < A < B)
  sound      calm pieces get pads, strings, bells and long reverb; energetic ones plucks,
             leads and drums, drier; the loudness target rises from -22 to -14 LUFS with a
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from picscore.compose.theory import MODES, PITCH_CLASSES, PROGRESSIONS, Chord, chord_on, mode_for_valence

TAIL_SECONDS = 2.0  # the final chord rings on this long after the last bar


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
    accompaniment: str
    bass_style: str
    drum_style: str
    reverb_seconds: float
    reverb_mix: float
    loudness_lufs: float

    @property
    def beat_seconds(self) -> float:
        return 60.0 / self.bpm

    @property
    def bars(self) -> int:
        return sum(s.bars for s in self.sections)

    @property
    def key_name(self) -> str:
        return f"{PITCH_CLASSES[self.tonic]} {self.mode}"

    def chord_at(self, bar: float) -> Chord:
        """The chord sounding at `bar` (fractional bars from the start)."""
        for slot in self.harmony:
            if slot.start_bar <= bar < slot.start_bar + slot.bars:
                return slot.chord
        return self.harmony[-1].chord


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
    calm = arousal < -0.2
    lead = _pick(
        rng, ["piano", "bell", "strings"] if calm else ["pluck", "piano", "lead", "bell"] if valence > 0 else ["lead", "piano", "pluck"]
    )
    chords = _pick(rng, ["piano", "pluck"] if arousal > 0.2 or lead != "piano" else ["pluck", "bell"])
    pad = _pick(rng, ["pad", "strings"]) if arousal < 0.6 else None
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
        accompaniment=_by_arousal(
            rng, arousal, (["arpeggio4"], ["arpeggio8", "alberti"], ["arpeggio8", "alberti", "syncopated"], ["arpeggio16", "pulse8"])
        ),
        bass_style=_by_arousal(rng, arousal, (["whole"], ["half"], ["half", "syncopated"], ["pulse8", "syncopated"])),
        drum_style=_by_arousal(rng, arousal, (["none"], ["soft"], ["groove"], ["drive"])),
        reverb_seconds=2.8 - 1.4 * level,
        reverb_mix=0.38 - 0.2 * level,
        loudness_lufs=-22.0 + 8.0 * level,
    )


def _pick(rng: np.random.Generator, options: list[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _by_arousal(rng: np.random.Generator, arousal: float, tiers: tuple[list[str], ...]) -> str:
    """One option of the tier for `arousal`: tiers split [-1, 1] at -0.5, -0.05 and 0.45."""
    tier = int(np.searchsorted([-0.5, -0.05, 0.45], arousal))
    return _pick(rng, tiers[tier])


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
