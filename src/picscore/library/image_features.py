"""Picture features kept by content hash: each distinct picture is encoded once, ever.

Two entries per picture: the CNN's (features and class probabilities) and the colour
descriptors (vision.colour_affect), each under its own encoder name and version.

The cache lives in the library file, so renaming or copying a photo costs nothing and a
newer image encoder (a bumped IMAGE_ENCODER_VERSION) recomputes on next use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from picscore.library.store import Library
from picscore.media.files import file_problem
from picscore.media.fingerprint import file_fingerprint
from picscore.media.image_load import ImageLoadError, load_image
from picscore.vision.colour_affect import colour_descriptors

IMAGE_ENCODER = "efficientnet-lite0"
IMAGE_ENCODER_VERSION = 1
COLOUR_ENCODER = "colour-descriptors"
COLOUR_ENCODER_VERSION = 2
# JPEGs decode at a reduced scale while their shorter side stays above the model's crop.
_DECODE_MIN_SIDE = 256


@dataclass(frozen=True, eq=False)
class PictureFeatures:
    """One picture's 1280-d feature, 1000 ImageNet class probabilities and colour descriptors, or why it failed."""

    path: str
    features: np.ndarray | None = None
    probabilities: np.ndarray | None = None
    colour: np.ndarray | None = None
    error: str | None = None


def picture_features(library: Library, paths: list[str | Path], *, batch_size: int = 32) -> list[PictureFeatures]:
    """Features of each picture in `paths` order, from the cache or freshly encoded (then cached)."""
    results: dict[int, PictureFeatures] = {}
    pending: list[tuple[int, str, object]] = []
    for i, path in enumerate(map(str, paths)):
        if problem := file_problem(path):
            results[i] = PictureFeatures(path, error=problem)
            continue
        content_hash = file_fingerprint(path)
        cached = library.image_features(content_hash, encoder=IMAGE_ENCODER, encoder_version=IMAGE_ENCODER_VERSION)
        colour = library.image_features(content_hash, encoder=COLOUR_ENCODER, encoder_version=COLOUR_ENCODER_VERSION)
        if cached is not None and colour is not None:
            results[i] = PictureFeatures(path, *cached, colour=colour[0])
            continue
        try:
            pending.append((i, content_hash, load_image(path, min_side=_DECODE_MIN_SIDE)))
        except ImageLoadError as err:
            results[i] = PictureFeatures(path, error=str(err))
    if pending:
        from picscore.vision.efficientnet import load_image_encoder  # torch loads only when a picture is new

        encoded = load_image_encoder().encode([image for _, _, image in pending], batch_size=batch_size)
        for row, (i, content_hash, image) in enumerate(pending):
            features, probabilities = encoded.features[row], encoded.probabilities[row]
            colour = colour_descriptors(image)
            library.save_image_features(
                content_hash, encoder=IMAGE_ENCODER, encoder_version=IMAGE_ENCODER_VERSION, features=features, probabilities=probabilities
            )
            library.save_image_features(
                content_hash, encoder=COLOUR_ENCODER, encoder_version=COLOUR_ENCODER_VERSION, features=colour, probabilities=np.zeros(0)
            )
            results[i] = PictureFeatures(str(paths[i]), features, probabilities, colour)
    return [results[i] for i in range(len(paths))]
