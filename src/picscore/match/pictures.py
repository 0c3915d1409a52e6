"""Pictures as the matcher sees them, from their cached features."""

from __future__ import annotations

import numpy as np

from picscore.library.image_features import PictureFeatures
from picscore.models.zero_shot import Pictures
from picscore.vision.colour_affect import picture_affect


def as_pictures(features: list[PictureFeatures]) -> Pictures:
    """Matcher inputs for pictures that loaded (callers drop the failures first)."""
    affects = [picture_affect(f.colour) for f in features]
    return Pictures(
        colour_affect=np.array([[a.valence, a.arousal] for a in affects], dtype=np.float64).reshape(-1, 2),
        class_probabilities=np.stack([f.probabilities for f in features]).astype(np.float64),
        features=np.stack([f.features for f in features]).astype(np.float32),
    )
