"""Pitch classes and keys, spelled as musicians spell them.

Analysis and composition count pitch classes 0-11 from C. A key is shown the way a score would write it,
which depends on the mode: E♭ major (three flats), not D♯ major (nine sharps); but C♯ minor (the relative
of E major), not D♭ minor. The compact `initial_key` form of beets and ID3 (`Eb`, `F#m`) uses ASCII
`b` and `#`. Every spelling is read back: `D#`, `Eb`, `E♭`, `e-flat` are all pitch class 3.
"""

from __future__ import annotations

SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")

# The tonic as key signatures spell it: flats where the flat key has fewer accidentals, F♯ and C♯ minor
# and G♯ minor (sharp keys), E♭ minor and B♭ minor (flat keys).
_MAJOR_TONICS = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_MINOR_TONICS = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B")
_UNICODE = str.maketrans({"#": "♯", "b": "♭"})
_NATURALS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_ACCIDENTALS = {"#": 1, "♯": 1, "-sharp": 1, "sharp": 1, "b": -1, "♭": -1, "-flat": -1, "flat": -1, "": 0}


def pitch_class(name: str) -> int:
    """Pitch class 0-11 of a note name: `F#`, `F♯`, `Gb`, `G♭`, `e-flat`; ValueError for anything else."""
    text = name.strip()
    letter, accidental = text[:1].upper(), text[1:].strip().lower().replace("♯", "#").replace("♭", "b")
    if letter not in _NATURALS or accidental not in _ACCIDENTALS:
        raise ValueError(f"unknown note {name!r}: use a letter A-G with an optional # or b, e.g. F#, Eb")
    return (_NATURALS[letter] + _ACCIDENTALS[accidental]) % 12


def tonic_spelling(tonic: int, mode: str) -> str:
    """The ASCII tonic of a key as its signature spells it: 3 major is `Eb`, 1 minor is `C#`."""
    return (_MINOR_TONICS if mode == "minor" else _MAJOR_TONICS)[tonic % 12]


def initial_key(tonic: int, mode: str) -> str:
    """The beets/ID3 `initial_key` form: `C`, `Eb`, `F#m`."""
    return tonic_spelling(tonic, mode) + ("m" if mode == "minor" else "")


def key_name(tonic: int, mode: str) -> str:
    """A key for people: `E♭ major`, `F♯ minor`."""
    return f"{tonic_spelling(tonic, mode).translate(_UNICODE)} {mode}"


def parse_initial_key(text: str) -> tuple[int, str]:
    """(pitch class, mode) of an `initial_key` such as `Eb`, `F#m`, `D#m` or `Bbmin`; ValueError otherwise."""
    stripped = text.strip()
    for suffix, mode in (("min", "minor"), ("m", "minor"), ("maj", "major")):
        if stripped.endswith(suffix) and len(stripped) > len(suffix):
            return pitch_class(stripped[: -len(suffix)]), mode
    return pitch_class(stripped), "major"


def spoken_key(initial: str | None) -> str:
    """`E♭ major` for a stored `initial_key` of `Eb` or `D#`; `key unknown` when there is none or it is unreadable."""
    if not initial:
        return "key unknown"
    try:
        return key_name(*parse_initial_key(initial))
    except ValueError:
        return initial


def key_symbol(initial: str | None) -> str:
    """The compact form for tables, spelled for people: `E♭`, `F♯m` for a stored `Eb`/`D#`, `F#m`; `-` for none."""
    if not initial:
        return "-"
    try:
        tonic, mode = parse_initial_key(initial)
    except ValueError:
        return initial
    return initial_key(tonic, mode).translate(_UNICODE)
