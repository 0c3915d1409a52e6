"""Pictures as the matcher sees them, from their cached features."""

from __future__ import annotations

import numpy as np

from picscore.library.image_features import PictureFeatures
from picscore.models.zero_shot import Pictures


def as_pictures(features: list[PictureFeatures]) -> Pictures:
    """Matcher inputs for pictures that loaded (callers drop the failures first)."""
    arrays = [f.loaded() for f in features]
    return Pictures.read(
        np.stack([layers for _, _, layers in arrays]),
        np.stack([probabilities for _, probabilities, _ in arrays]),
        features=np.stack([vector for vector, _, _ in arrays]).astype(np.float32),
    )
