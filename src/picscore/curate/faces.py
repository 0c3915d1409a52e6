"""Faces in a photo, with scikit-image's LBP frontal-face cascade (the OpenCV-trained model its wheel ships).

Curation prefers photos of people where there are any: a face counts towards a photo's claim when
the best are chosen. Looked for on a small copy (FACE_SIDE pixels on the shorter side), so faces of
about a tenth of the frame and larger are found, in tens of milliseconds.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import numpy as np
from PIL import Image

FACE_SIDE = 192
_MIN_FACE = 20  # pixels at FACE_SIDE
# The most pixels of the small copy: a panorama wider than 8:1 is looked at smaller, and a sliver (10000x1) is not
# blown up to millions of pixels (its shorter side to FACE_SIDE) but found too thin for a face.
_MAX_PIXELS = 8 * FACE_SIDE**2


@cache
def _detector() -> Any:
    """scikit-image's Cascade with the frontal-face model (imported only where faces are looked for)."""
    from skimage import data
    from skimage.feature import Cascade

    return Cascade(data.lbp_frontal_face_cascade_filename())


def count_faces(image: Image.Image) -> int:
    """How many frontal faces the photo shows."""
    scale = min(FACE_SIDE / min(image.size), math.sqrt(_MAX_PIXELS / (image.width * image.height)))
    small = image.convert("L").resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.Resampling.BILINEAR)
    grey = np.asarray(small, dtype=np.float64) / 255
    side = min(grey.shape)
    if side < _MIN_FACE:
        return 0
    found = _detector().detect_multi_scale(
        img=grey, scale_factor=1.25, step_ratio=1, min_size=(_MIN_FACE, _MIN_FACE), max_size=(side, side)
    )
    return len(found)
