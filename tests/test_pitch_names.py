"""Keys spelled as musicians spell them, and every common spelling read back."""

from __future__ import annotations

import pytest

from picscore.pitch_names import initial_key, key_name, key_symbol, parse_initial_key, pitch_class, spoken_key


@pytest.mark.parametrize(
    ("name", "expected"),
    [("C", 0), ("C#", 1), ("Db", 1), ("D♭", 1), ("d#", 3), ("Eb", 3), ("E♭", 3), ("e-flat", 3), ("F sharp", 6), ("Cb", 11), ("B#", 0)],
)
def test_every_spelling_of_a_note_reads_as_its_pitch_class(name: str, expected: int) -> None:
    assert pitch_class(name) == expected


@pytest.mark.parametrize("name", ["H", "", "Ebb", "X#", "7"])
def test_an_unknown_note_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="unknown note"):
        pitch_class(name)


@pytest.mark.parametrize(
    ("tonic", "mode", "spoken", "initial"),
    [
        (3, "major", "E♭ major", "Eb"),
        (3, "minor", "E♭ minor", "Ebm"),
        (6, "minor", "F♯ minor", "F#m"),
        (6, "major", "F♯ major", "F#"),
        (1, "major", "D♭ major", "Db"),
        (1, "minor", "C♯ minor", "C#m"),
        (8, "major", "A♭ major", "Ab"),
        (8, "minor", "G♯ minor", "G#m"),
        (10, "major", "B♭ major", "Bb"),
        (10, "minor", "B♭ minor", "Bbm"),
        (9, "minor", "A minor", "Am"),
    ],
)
def test_keys_are_spelled_with_the_signature_a_score_would_use(tonic: int, mode: str, spoken: str, initial: str) -> None:
    assert key_name(tonic, mode) == spoken
    assert initial_key(tonic, mode) == initial
    assert parse_initial_key(initial) == (tonic, mode)


@pytest.mark.parametrize(
    ("stored", "spoken", "symbol"),
    [
        ("D#", "E♭ major", "E♭"),
        ("Eb", "E♭ major", "E♭"),
        ("D#m", "E♭ minor", "E♭m"),
        ("Gbm", "F♯ minor", "F♯m"),
        ("Bbmin", "B♭ minor", "B♭m"),
    ],
)
def test_keys_stored_by_other_tools_are_shown_in_the_usual_spelling(stored: str, spoken: str, symbol: str) -> None:
    assert spoken_key(stored) == spoken
    assert key_symbol(stored) == symbol


def test_a_missing_or_unreadable_key_is_shown_as_such() -> None:
    assert spoken_key(None) == "key unknown" and key_symbol("") == "-"
    assert spoken_key("Q") == "Q" and key_symbol("Q") == "Q"
