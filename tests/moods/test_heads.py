"""The shipped mood heads: they load, read what the pipeline gives them, answer in range and always the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from picscore.library.image_features import picture_features
from picscore.library.store import Library
from picscore.moods.heads import heads_version, load_head
from picscore.moods.music import DESCRIPTOR_HEAD, DESCRIPTORS, EMBEDDING_WIDTH, FULL_HEAD, TAG_WIDTH, TAGGERS, music_moods
from picscore.moods.picture import PICTURE_HEAD, picture_moods
from picscore.moods.plane import AROUSAL_SIGNS, VALENCE_SIGNS


def test_heads_read_the_widths_the_pipeline_gives() -> None:
    tagger_width = len(TAGGERS) * (EMBEDDING_WIDTH + TAG_WIDTH)
    assert load_head(FULL_HEAD).input_size == tagger_width + len(DESCRIPTORS)
    assert load_head(DESCRIPTOR_HEAD).input_size == len(DESCRIPTORS)
    assert load_head(FULL_HEAD).weights.shape[1] == load_head(DESCRIPTOR_HEAD).weights.shape[1] == 4
    assert load_head(PICTURE_HEAD).weights.shape[1] == 2
    for name in (PICTURE_HEAD, FULL_HEAD, DESCRIPTOR_HEAD):
        assert "fitted_on" in load_head(name).about
    assert len(heads_version()) == 12


def test_picture_moods_from_real_pictures_are_in_range_and_deterministic(tmp_path: Path, rng: np.random.Generator) -> None:
    paths = []
    for k in range(3):
        path = tmp_path / f"p{k}.png"
        Image.fromarray(rng.integers(0, 256, size=(300 + 40 * k, 420, 3), dtype=np.uint8)).save(path)
        paths.append(path)
    with Library(tmp_path / "library.db") as library:
        features = picture_features(library, paths)
        again = picture_features(library, paths)  # from the cache
    layers = np.stack([f.layers for f in features])
    assert layers.shape[1] == load_head(PICTURE_HEAD).input_size
    moods = picture_moods(layers)
    assert moods.shape == (3, 2) and np.all(np.abs(moods) <= 1.0)
    np.testing.assert_array_equal(moods, picture_moods(np.stack([f.layers for f in again])))


def test_music_moods_are_probabilities_and_their_expected_signs(rng: np.random.Generator) -> None:
    ranges = [(60, 180), (0, 1), (-1, 1), (0, 1), (-30, -8), (-12, -0.1), (500, 4000), (-40, -10), (1, 10)]  # DESCRIPTORS order
    descriptors = np.column_stack([rng.uniform(low, high, 8) for low, high in ranges])
    taggers = np.hstack([rng.normal(size=(8, 400)), rng.uniform(0, 0.5, size=(8, 100))])
    for moods in (music_moods(descriptors), music_moods(descriptors, taggers)):
        np.testing.assert_allclose(moods.quadrants.sum(axis=1), 1.0)
        np.testing.assert_allclose(moods.valence, moods.quadrants @ VALENCE_SIGNS)
        np.testing.assert_allclose(moods.arousal, moods.quadrants @ AROUSAL_SIGNS)
        assert np.all(np.abs(moods.valence) <= 1.0) and np.all(np.abs(moods.arousal) <= 1.0)
    np.testing.assert_array_equal(music_moods(descriptors, taggers).quadrants, music_moods(descriptors, taggers).quadrants)
