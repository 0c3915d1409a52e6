"""Pictures as the matcher sees them, from their cached features."""

from __future__ import annotations

import numpy as np

from picscore.library.image_features import PictureFeatures
from picscore.models.zero_shot import Pictures
from picscore.moods.picture import picture_moods


def as_pictures(features: list[PictureFeatures]) -> Pictures:
    """Matcher inputs for pictures that loaded (callers drop the failures first)."""
    class_probabilities = np.stack([f.probabilities for f in features]).astype(np.float64)
    return Pictures(
        mood=picture_moods(np.stack([f.layers for f in features]), class_probabilities).reshape(-1, 2),
        class_probabilities=class_probabilities,
        features=np.stack([f.features for f in features]).astype(np.float32),
    )
