"""Picture mood, learned from human ratings: valence (unpleasant … pleasant) and arousal (calm … excited) in [-1, 1].

A ridge regression, fitted by tools/fit_moods.py on the OASIS photographs' ratings (Kurdi, Lozano & Banaji
2017) with each theme kept on one side of every fold, reads two things of a picture:

  * the layered descriptions of the whole picture by EfficientNet-Lite2 and EfficientNet-Lite0 side by side
    (vision/efficientnet.py, `describe_layers`): colour and texture early, objects and scenes late;
  * its words: its likeliest ImageNet classes (moods/vocabulary.py) as one vector of the shared text space,
    and where that vector lies on the text space's two mood axes. The words bring what a sentence model
    knows of the things shown ("a photo of a wedding" sits near "happy"), which 605 rated photographs
    cannot teach; the two mood numbers weigh as CLASS_MOOD_WEIGHT of the other numbers each.

Over ten fold seeds the words raised valence r from 0.606 to 0.620 and arousal r from 0.626 to 0.644, on
every seed for both, at no cost at run time (the class probabilities are computed for the matcher anyway).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from picscore.moods.heads import load_head
from picscore.moods.vocabulary import likeliest_classes, load_vocabulary

LAYER_MODELS = ("efficientnet-lite2", "efficientnet-lite0")  # the networks whose layers the head reads, in column order
LAYER_SIDE = 384  # the square the picture is read at, in pixels
PICTURE_HEAD = "picture"
CLASS_MOOD_WEIGHT = 10.0
_CLASS_MOOD_COLUMNS = 2  # the last columns of the head's inputs: the words' valence and arousal


def picture_moods(layers: np.ndarray, class_probabilities: np.ndarray) -> np.ndarray:
    """[n, 2] valence and arousal of pictures from their layer descriptions [n, d] and ImageNet class
    probabilities [n, 1000], clipped to [-1, 1]."""
    return np.clip(load_head(PICTURE_HEAD)(picture_mood_inputs(layers, class_probabilities)), -1.0, 1.0)


def picture_mood_inputs(layers: np.ndarray, class_probabilities: np.ndarray) -> np.ndarray:
    """[n, d + 386] what the picture head reads: the layer descriptions, the likeliest classes' text vector and its mood."""
    vocabulary = load_vocabulary()
    words = likeliest_classes(np.atleast_2d(class_probabilities).astype(np.float64))
    return np.hstack([np.atleast_2d(layers), words @ vocabulary.vectors["imagenet"], words @ vocabulary.mood("imagenet")])


def picture_input_weights(width: int) -> np.ndarray:
    """[width] each input's weight in the ridge (see fitting.fit_ridge): 1, and CLASS_MOOD_WEIGHT for the words' mood."""
    weights = np.ones(width)
    weights[-_CLASS_MOOD_COLUMNS:] = CLASS_MOOD_WEIGHT
    return weights


def describe_pictures(images: Sequence[Image.Image]) -> np.ndarray:
    """The layer descriptions [n, d] the head reads, of PIL images (loads torch and the networks on first use)."""
    from picscore.vision.efficientnet import load_image_encoder

    return np.hstack([load_image_encoder(model).describe_layers(images, side=LAYER_SIDE) for model in LAYER_MODELS])
