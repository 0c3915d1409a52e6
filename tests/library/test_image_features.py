"""Picture features are computed once per distinct content and then come from the library."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data as samples

from picscore.library import image_features
from picscore.library.image_features import picture_features
from picscore.library.store import Library
from picscore.moods.picture import LAYER_MODELS
from picscore.vision import efficientnet


@pytest.fixture
def photos(tmp_path: Path) -> list[Path]:
    cat, coffee = tmp_path / "cat.jpg", tmp_path / "coffee.png"
    Image.fromarray(samples.chelsea()).save(cat, quality=92)
    Image.fromarray(samples.coffee()).save(coffee)
    return [cat, coffee]


def test_features_are_cached_by_content(library: Library, photos: list[Path], tmp_path: Path, monkeypatch) -> None:
    first = picture_features(library, photos)
    assert [r.error for r in first] == [None, None]
    features, probabilities, _ = first[0].loaded()
    assert features.shape == (1280,) and probabilities.sum() == pytest.approx(1.0, abs=1e-4)
    assert efficientnet.top_classes(first[1].loaded()[1], k=1)[0][0] == "espresso"

    def must_not_encode():
        raise AssertionError("a cached picture was encoded again")

    monkeypatch.setattr(efficientnet, "load_image_encoder", must_not_encode)
    renamed = tmp_path / "same cat.jpg"
    shutil.copy(photos[0], renamed)
    again = picture_features(library, [renamed, photos[1]])
    np.testing.assert_array_equal(again[0].features, first[0].features)
    np.testing.assert_array_equal(again[1].probabilities, first[1].probabilities)


def test_a_newer_encoder_version_recomputes(library: Library, photos: list[Path], monkeypatch) -> None:
    picture_features(library, photos[:1])
    monkeypatch.setattr(image_features, "IMAGE_ENCODER_VERSION", image_features.IMAGE_ENCODER_VERSION + 1)
    calls = []
    real = efficientnet.load_image_encoder

    def counting(*model):
        calls.append(model)
        return real(*model)

    monkeypatch.setattr(efficientnet, "load_image_encoder", counting)
    picture_features(library, photos[:1])
    assert calls == [(), *((name,) for name in LAYER_MODELS)]  # classes and features, then the mood networks' layers
    picture_features(library, photos[:1])
    assert len(calls) == 3  # cached again


def test_bad_pictures_get_their_reason_and_the_rest_are_encoded(library: Library, photos: list[Path], tmp_path: Path) -> None:
    fake = tmp_path / "fake.jpg"
    fake.write_text("not a picture")
    results = picture_features(library, [fake, tmp_path / "missing.png", photos[0]])
    assert results[0].error == "not an image file, or an unsupported image format"
    assert results[1].error == "file not found"
    assert results[2].error is None and results[2].features is not None
    assert [a.shape[-1] for a in results[2].loaded()] == [1280, 1000, results[2].loaded()[2].shape[-1]]
    with pytest.raises(ValueError, match=r"fake\.jpg: not an image file"):
        results[0].loaded()
