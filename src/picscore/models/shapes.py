"""What the trainable models read and output, and their sizes: importable without torch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

IMAGE_FEATURE_SIZE = 1280  # EfficientNet-Lite0's pooled features
MUSIC_SOURCES = ("musicnn-mtt", "musicnn-msd")  # the music encoders whose embeddings the music heads read, in column order
MUSIC_FEATURE_SIZE = 400  # both musicnn taggers' 200-d embeddings side by side
# Quadrants of the valence/arousal plane, the mood classes of both sides.
MOOD_CLASSES = ("happy", "calm", "sad", "tense")


@dataclass(frozen=True)
class HeadConfig:
    """The heads' shape (stored with a model, so it can be rebuilt)."""

    joint_dimensions: int = 128
    hidden_units: int = 256
    dropout: float = 0.2


def mood_class(affect: np.ndarray) -> np.ndarray:
    """MOOD_CLASSES index of each (valence, arousal) row: happy v>0 a>0, calm v>0 a<=0, sad v<=0 a<=0, tense v<=0 a>0."""
    valence, arousal = affect[..., 0] > 0, affect[..., 1] > 0
    return np.where(valence, np.where(arousal, 0, 1), np.where(arousal, 3, 2))
