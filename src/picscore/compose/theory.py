"""Music theory the composer needs: pitch names, modes, chords built on scale degrees, progressions.

Chords are pitch-class sets relative to the tonic, so the same progression serves any key.
"""

from __future__ import annotations

from dataclasses import dataclass

MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
HARMONIC_MINOR_SCALE = (0, 2, 3, 5, 7, 8, 11)

# Modes, brightest to darkest. "minor" is natural minor whose dominant is raised at cadences.
MODES: dict[str, tuple[int, ...]] = {
    "lydian": (0, 2, 4, 6, 7, 9, 11),
    "major": MAJOR_SCALE,
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "minor": (0, 2, 3, 5, 7, 8, 10),
}

# Progressions per mode as 0-based scale degrees, one chord per harmonic-rhythm slot. Each
# starts on the tonic (the key is then clear from the first bar) and loops back to it.
PROGRESSIONS: dict[str, tuple[tuple[int, ...], ...]] = {
    "lydian": ((0, 1, 0, 4), (0, 1, 6, 0), (0, 1, 5, 4)),
    "major": ((0, 4, 5, 3), (0, 5, 3, 4), (0, 3, 4, 3), (0, 2, 3, 4), (0, 3, 5, 4), (0, 5, 1, 4)),
    "mixolydian": ((0, 6, 3, 0), (0, 3, 6, 3), (0, 4, 3, 0), (0, 6, 4, 3)),
    "dorian": ((0, 3, 0, 3), (0, 6, 3, 0), (0, 1, 3, 6), (0, 2, 3, 0)),
    "minor": ((0, 5, 2, 6), (0, 3, 5, 4), (0, 6, 5, 4), (0, 5, 3, 4), (0, 3, 0, 4)),
}


def midi_to_hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69) / 12)


def mode_for_valence(valence: float) -> str:
    """Major for positive moods, minor for negative ones, a mode with both colours in between."""
    if valence >= 0.25:
        return "major"
    if valence <= -0.25:
        return "minor"
    return "mixolydian" if valence >= 0.0 else "dorian"


@dataclass(frozen=True)
class Chord:
    """A chord as semitones above the tonic: `tones[0]` is the root, then third, fifth and extensions."""

    degree: int
    tones: tuple[int, ...]

    @property
    def root(self) -> int:
        return self.tones[0]

    def pitch_classes(self) -> frozenset[int]:
        return frozenset(t % 12 for t in self.tones)


def chord_on(mode: str, degree: int, *, size: int = 3, cadential: bool = False) -> Chord:
    """The chord stacked in thirds on scale `degree` of `mode` (3 = triad, 4 = seventh chord).

    A cadential dominant in minor takes the raised leading tone (harmonic minor), so a
    V-i cadence pulls home.
    """
    scale = MODES[mode]
    if cadential and mode == "minor" and degree % 7 == 4:
        scale = HARMONIC_MINOR_SCALE
    tones = tuple(scale[(degree + 2 * k) % 7] + 12 * ((degree + 2 * k) // 7) for k in range(size))
    return Chord(degree=degree, tones=tones)


def scale_for_chord(mode: str, chord: Chord) -> tuple[int, ...]:
    """The mode's scale with any chord tone outside it replacing its neighbour (the raised 7th in minor)."""
    scale = list(MODES[mode])
    for tone in chord.pitch_classes():
        if tone not in scale:
            nearest = min(range(7), key=lambda i: abs(scale[i] - tone))
            scale[nearest] = tone
    return tuple(sorted(scale))
