"""Words and quadrants of the mood plane."""

from __future__ import annotations

import numpy as np
import pytest

from picscore.moods.plane import QUADRANTS, mood_words, neighbouring_words, quadrant_index


@pytest.mark.parametrize(
    ("valence", "arousal", "words"),
    [
        (0.8, 0.0, "pleasant"),
        (0.6, 0.6, "joyful and lively"),
        (0.0, 0.9, "energetic"),
        (-0.5, 0.6, "tense"),
        (-0.7, 0.05, "sombre"),
        (-0.4, -0.5, "sad and quiet"),
        (0.05, -0.7, "calm"),
        (0.5, -0.4, "calm and pleasant"),
        (0.05, -0.05, "neutral"),
    ],
)
def test_mood_words_follow_the_circumplex(valence: float, arousal: float, words: str) -> None:
    assert mood_words(valence=valence, arousal=arousal) == words


def test_quadrants_are_numbered_as_the_music_set() -> None:
    index = quadrant_index(np.array([0.5, -0.5, -0.5, 0.5, 0.0]), np.array([0.5, 0.5, -0.5, -0.5, 0.0]))
    assert [QUADRANTS[i] for i in index] == ["Q1", "Q2", "Q3", "Q4", "Q3"]


@pytest.mark.parametrize(
    ("first", "second", "side_by_side"),
    [
        ("pleasant", "joyful and lively", True),
        ("calm and pleasant", "pleasant", True),  # across the start of the circle
        ("sad and quiet", "calm", True),
        ("tense", "sombre", True),
        ("pleasant", "energetic", False),
        ("pleasant", "sombre", False),
        ("calm", "calm", False),
        ("neutral", "pleasant", False),
    ],
)
def test_neighbouring_words_are_one_sector_apart(first: str, second: str, side_by_side: bool) -> None:
    assert neighbouring_words(first, second) is side_by_side
    assert neighbouring_words(second, first) is side_by_side
