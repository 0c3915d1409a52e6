"""The mood plane (Russell's circumplex): valence across, arousal up. Its quadrants, and words for a point on it."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

# Q1 happy/excited (+valence, +arousal), Q2 angry/tense (-, +), Q3 sad (-, -), Q4 calm/relaxed (+, -):
# the order of the 4-quadrant music-emotion set (Panda et al. 2018).
QUADRANTS = ("Q1", "Q2", "Q3", "Q4")
QUADRANT_WORDS = ("happy", "tense", "sad", "calm")
VALENCE_SIGNS = np.array([1.0, -1.0, -1.0, 1.0])
AROUSAL_SIGNS = np.array([1.0, 1.0, -1.0, -1.0])
# Eight sectors of 45 degrees, counter-clockwise from pleasant (valence +1, arousal 0).
_SECTOR_WORDS = (
    "pleasant", "joyful and lively", "energetic", "tense", "sombre", "sad and quiet", "calm", "calm and pleasant",
)  # fmt: skip
NEUTRAL_RADIUS = 0.1  # nearer the centre than this, a mood is "neutral"
MOOD_WORDS = (*_SECTOR_WORDS, "neutral")  # everything mood_words says


def quadrant_index(valence: npt.ArrayLike, arousal: npt.ArrayLike) -> np.ndarray:
    """QUADRANTS index of each point; a value of exactly 0 counts as negative."""
    positive, aroused = np.asarray(valence) > 0, np.asarray(arousal) > 0
    return np.where(positive, np.where(aroused, 0, 3), np.where(aroused, 1, 2))


def mood_words(*, valence: float, arousal: float) -> str:
    """Words a person uses for a point of the plane: "calm and pleasant", "tense", "sad and quiet", ..."""
    sector = _sector(valence=valence, arousal=arousal)
    return "neutral" if sector is None else _SECTOR_WORDS[sector]


def neighbouring_words(first: str, second: str) -> bool:
    """Whether two of mood_words' answers name sectors side by side (45 degrees apart, e.g. "pleasant" and "joyful
    and lively"): moods that differ by one shade, not in kind. "neutral" neighbours nothing."""
    if first not in _SECTOR_WORDS or second not in _SECTOR_WORDS:
        return False
    apart = abs(_SECTOR_WORDS.index(first) - _SECTOR_WORDS.index(second))
    return min(apart, len(_SECTOR_WORDS) - apart) == 1


def word_direction(*, valence: float, arousal: float) -> tuple[float, float]:
    """The (valence, arousal) unit direction that mood_words names for this point: its sector's centre; (0, 0) if neutral."""
    sector = _sector(valence=valence, arousal=arousal)
    if sector is None:
        return 0.0, 0.0
    angle = np.radians(45 * sector)
    return float(np.cos(angle)), float(np.sin(angle))


def _sector(*, valence: float, arousal: float) -> int | None:
    """Which of the eight 45-degree sectors the point lies in (0: pleasant, counter-clockwise), None near the centre."""
    if np.hypot(valence, arousal) < NEUTRAL_RADIUS:
        return None
    angle = np.degrees(np.arctan2(arousal, valence)) % 360
    return int(((angle + 22.5) % 360) // 45)
