"""Words and quadrants of the mood plane."""

from __future__ import annotations

import numpy as np
import pytest

from picscore.moods.plane import QUADRANTS, mood_words, quadrant_index


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
