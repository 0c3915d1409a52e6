"""Pictures as the matcher sees them, from their cached features."""

from __future__ import annotations

import numpy as np

from picscore.library.image_features import PictureFeatures
from picscore.models.zero_shot import Pictures


def as_pictures(features: list[PictureFeatures]) -> Pictures:
    """Matcher inputs for pictures that loaded (callers drop the failures first)."""
    return Pictures.read(
        np.stack([f.layers for f in features]),
        np.stack([f.probabilities for f in features]),
        features=np.stack([f.features for f in features]).astype(np.float32),
    )
