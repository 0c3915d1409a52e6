"""Picture mood, learned from human ratings: valence (unpleasant … pleasant) and arousal (calm … excited) in [-1, 1].

A ridge regression, fitted by tools/fit_moods.py on the OASIS photographs' ratings (Kurdi, Lozano & Banaji
2017) with each theme kept on one side of every fold, reads the layered descriptions of the whole picture
by EfficientNet-Lite2 and EfficientNet-Lite0 side by side (vision/efficientnet.py, `describe_layers`).
Measured there (three fold seeds): Lite2's alone gave valence r 0.625 and arousal r 0.623; with Lite0's beside it arousal
rose to 0.649 at the same valence, and more of a picture's suggestions shared its mood.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from picscore.moods.heads import load_head

LAYER_MODELS = ("efficientnet-lite2", "efficientnet-lite0")  # the networks whose layers the head reads, in column order
LAYER_SIDE = 384  # the square the picture is read at, in pixels
PICTURE_HEAD = "picture"


def picture_moods(layers: np.ndarray) -> np.ndarray:
    """[n, 2] valence and arousal of pictures from their layer descriptions [n, d], clipped to [-1, 1]."""
    return np.clip(load_head(PICTURE_HEAD)(np.atleast_2d(layers)), -1.0, 1.0)


def describe_pictures(images: Sequence[Image.Image]) -> np.ndarray:
    """The layer descriptions [n, d] the head reads, of PIL images (loads torch and the networks on first use)."""
    from picscore.vision.efficientnet import load_image_encoder

    return np.hstack([load_image_encoder(model).describe_layers(images, side=LAYER_SIDE) for model in LAYER_MODELS])
