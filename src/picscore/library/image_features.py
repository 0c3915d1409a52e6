"""Picture features kept by content hash: each distinct picture is encoded once, ever.

Two entries per picture, each under its own encoder name and version: EfficientNet-Lite0's
features and class probabilities of the centre crop, and EfficientNet-Lite2's and -Lite0's layered
descriptions of the whole picture, which the picture mood head reads beside the class probabilities (moods/picture.py).

The cache lives in the library file, so renaming or copying a photo costs nothing and a
newer image encoder (a bumped IMAGE_ENCODER_VERSION) recomputes on next use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from picscore.library.store import Library
from picscore.media.files import file_problem
from picscore.media.fingerprint import file_fingerprint
from picscore.media.image_load import ImageLoadError, load_image
from picscore.moods.picture import LAYER_MODELS, LAYER_SIDE, describe_pictures

IMAGE_ENCODER = "efficientnet-lite0"
IMAGE_ENCODER_VERSION = 1
LAYERS_ENCODER = f"{'+'.join(LAYER_MODELS)}-layers-{LAYER_SIDE}"
LAYERS_ENCODER_VERSION = 1


@dataclass(frozen=True, eq=False)
class PictureFeatures:
    """One picture's 1280-d feature, 1000 ImageNet class probabilities and layer description, or why it failed."""

    path: str
    features: np.ndarray | None = None
    probabilities: np.ndarray | None = None
    layers: np.ndarray | None = None
    error: str | None = None

    def loaded(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The features, class probabilities and layers of a picture that loaded; ValueError saying why otherwise."""
        if self.features is None or self.probabilities is None or self.layers is None:
            raise ValueError(f"{self.path}: {self.error or 'not encoded'}")
        return self.features, self.probabilities, self.layers


def picture_features(library: Library, paths: Sequence[str | Path], *, batch_size: int = 32) -> list[PictureFeatures]:
    """Features of each picture in `paths` order, from the cache or freshly encoded (then cached)."""
    results: dict[int, PictureFeatures] = {}
    new: list[tuple[int, str]] = []  # (position, content hash) of pictures not cached yet
    for i, path in enumerate(map(str, paths)):
        if problem := file_problem(path):
            results[i] = PictureFeatures(path, error=problem)
            continue
        content_hash = file_fingerprint(path)
        cached = library.image_features(content_hash, encoder=IMAGE_ENCODER, encoder_version=IMAGE_ENCODER_VERSION)
        layers = library.image_features(content_hash, encoder=LAYERS_ENCODER, encoder_version=LAYERS_ENCODER_VERSION)
        if cached is not None and layers is not None:
            results[i] = PictureFeatures(path, *cached, layers=layers[0])
        else:
            new.append((i, content_hash))
    if new:
        results.update(_encode_new(library, [(i, str(paths[i]), content_hash) for i, content_hash in new], batch_size=batch_size))
    return [results[i] for i in range(len(paths))]


def _encode_new(library: Library, pictures: list[tuple[int, str, str]], *, batch_size: int) -> dict[int, PictureFeatures]:
    """Load, encode and cache (position, path, content hash) pictures; failures keep their reason."""
    # torch loads only when a picture is new.
    from picscore.vision.efficientnet import MIN_SOURCE_SIDE, load_image_encoder

    results: dict[int, PictureFeatures] = {}
    loaded: list[tuple[int, str, str, Image.Image]] = []
    for i, path, content_hash in pictures:
        try:
            # JPEGs decode at a reduced scale while their shorter side stays above both networks' inputs.
            loaded.append((i, path, content_hash, load_image(path, min_side=max(MIN_SOURCE_SIDE, LAYER_SIDE))))
        except ImageLoadError as err:
            results[i] = PictureFeatures(path, error=str(err))
    if not loaded:
        return results
    images = [image for *_, image in loaded]
    encoded = load_image_encoder().encode(images, batch_size=batch_size)
    layers = describe_pictures(images)
    for row, (i, path, content_hash, _) in enumerate(loaded):
        features, probabilities = encoded.features[row], encoded.probabilities[row]
        library.save_image_features(
            content_hash, encoder=IMAGE_ENCODER, encoder_version=IMAGE_ENCODER_VERSION, features=features, probabilities=probabilities
        )
        library.save_image_features(
            content_hash, encoder=LAYERS_ENCODER, encoder_version=LAYERS_ENCODER_VERSION, features=layers[row], probabilities=np.zeros(0)
        )
        results[i] = PictureFeatures(path, features, probabilities, layers[row])
    return results
