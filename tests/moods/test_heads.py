"""The shipped mood heads: they load, read what the pipeline gives them, answer in range and always the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from picscore.audio.timbre import TIMBRE_WIDTH
from picscore.library.image_features import PictureFeatures, picture_features
from picscore.library.store import Library
from picscore.moods.heads import head_version, load_head
from picscore.moods.music import (
    DESCRIPTOR_HEAD,
    DESCRIPTORS,
    EMBEDDING_WIDTH,
    FULL_HEAD,
    MUSIC_HEADS,
    TAG_WIDTH,
    TAGGERS,
    TIMBRE_HEAD,
    descriptor_row,
    music_moods,
)
from picscore.moods.picture import CLASS_MOOD_WEIGHT, PICTURE_HEAD, picture_input_weights, picture_mood_inputs, picture_moods
from picscore.moods.plane import AROUSAL_SIGNS, VALENCE_SIGNS
from picscore.moods.vocabulary import TOP_CLASSES, likeliest_classes, load_vocabulary


def _stacked(features: list[PictureFeatures]) -> tuple[np.ndarray, np.ndarray]:
    """The pictures' layer descriptions and class probabilities, a row for each picture."""
    loaded = [f.loaded() for f in features]
    return np.stack([layers for _, _, layers in loaded]), np.stack([probabilities for _, probabilities, _ in loaded])


def test_heads_read_the_widths_the_pipeline_gives() -> None:
    tagger_width = len(TAGGERS) * (EMBEDDING_WIDTH + TAG_WIDTH)
    assert load_head(FULL_HEAD).input_size == tagger_width + len(DESCRIPTORS)
    assert load_head(TIMBRE_HEAD).input_size == TIMBRE_WIDTH + len(DESCRIPTORS)
    assert load_head(DESCRIPTOR_HEAD).input_size == len(DESCRIPTORS)
    assert all(load_head(name).weights.shape[1] == 4 for name in MUSIC_HEADS)
    assert load_head(PICTURE_HEAD).weights.shape[1] == 2
    for name in (PICTURE_HEAD, *MUSIC_HEADS):
        assert "fitted_on" in load_head(name).about
    assert len({head_version(name) for name in (PICTURE_HEAD, *MUSIC_HEADS)}) == 4
    assert all(len(head_version(name)) == 12 for name in (PICTURE_HEAD, *MUSIC_HEADS))


def test_picture_moods_from_real_pictures_are_in_range_and_deterministic(tmp_path: Path, rng: np.random.Generator) -> None:
    paths = []
    for k in range(3):
        path = tmp_path / f"p{k}.png"
        Image.fromarray(rng.integers(0, 256, size=(300 + 40 * k, 420, 3), dtype=np.uint8)).save(path)
        paths.append(path)
    with Library(tmp_path / "library.db") as library:
        features = picture_features(library, paths)
        again = picture_features(library, paths)  # from the cache
    layers, probabilities = _stacked(features)
    assert picture_mood_inputs(layers, probabilities).shape == (3, load_head(PICTURE_HEAD).input_size)
    moods = picture_moods(layers, probabilities)
    assert moods.shape == (3, 2) and np.all(np.abs(moods) <= 1.0)
    np.testing.assert_array_equal(moods, picture_moods(*_stacked(again)))


def test_a_pictures_words_are_its_likeliest_classes_in_the_text_space() -> None:
    vocabulary = load_vocabulary()
    width = vocabulary.vectors["imagenet"].shape[1]
    probabilities = np.full((2, 1000), 0.5 / 980)
    probabilities[0, :20] = 0.5 / 20  # its 20 likeliest classes: 0-19, equally likely
    probabilities[1, 500] = 0.5  # one class far ahead: it alone gives half of the words' weight
    words = picture_mood_inputs(np.zeros((2, 3)), probabilities)[:, 3:]
    first = vocabulary.vectors["imagenet"][:20].mean(axis=0)
    np.testing.assert_allclose(words[0, :width], first, atol=1e-6)
    np.testing.assert_allclose(words[0, width:], [first @ vocabulary.valence_axis, first @ vocabulary.arousal_axis], atol=1e-6)
    assert likeliest_classes(probabilities)[1, 500] == pytest.approx(0.5 / (0.5 + 19 * 0.5 / 980))
    assert np.count_nonzero(likeliest_classes(probabilities)[1]) == TOP_CLASSES
    weights = picture_input_weights(10)
    assert weights.tolist() == [1.0] * 8 + [CLASS_MOOD_WEIGHT] * 2


def test_music_moods_are_probabilities_and_their_expected_signs(rng: np.random.Generator) -> None:
    ranges = [
        (60, 180), (0, 1), (-1, 1), (0, 1), (-30, -8), (-12, -0.1), (500, 4000), (-40, -10), (1, 10),
        (-50, -20), (-35, -12), (-25, -6), (0.2, 0.8), (0.5, 6), (0, 0.3), (0.8, 3),
    ]  # fmt: skip  # DESCRIPTORS order
    descriptors = np.column_stack([rng.uniform(low, high, 8) for low, high in ranges])
    taggers = np.hstack([rng.normal(size=(8, 400)), rng.uniform(0, 0.5, size=(8, 100))])
    timbre = rng.normal(scale=20.0, size=(8, TIMBRE_WIDTH))
    for moods in (music_moods(descriptors), music_moods(descriptors, taggers), music_moods(descriptors, timbre=timbre)):
        np.testing.assert_allclose(moods.quadrants.sum(axis=1), 1.0)
        np.testing.assert_allclose(moods.valence, moods.quadrants @ VALENCE_SIGNS)
        np.testing.assert_allclose(moods.arousal, moods.quadrants @ AROUSAL_SIGNS)
        assert np.all(np.abs(moods.valence) <= 1.0) and np.all(np.abs(moods.arousal) <= 1.0)
    np.testing.assert_array_equal(music_moods(descriptors, taggers).quadrants, music_moods(descriptors, taggers).quadrants)


def test_the_descriptor_row_reads_the_energy_curve_and_the_beats_as_computed_by_hand() -> None:
    track = {
        "bpm": 120.0, "tempo_confidence": 0.5, "key_mode": "minor", "key_confidence": 0.3, "loudness_lufs": -float("inf"),
        "peak_dbfs": -3.0, "brightness_hz": 1500.0, "duration": 4.0,
        "energy_curve": np.array([-30.0, -20.0, -20.0, -10.0, -30.0]),  # mean -22, below it: -30 twice
        "beats": np.array([0.5, 1.0, 1.5, 2.5]),  # intervals 0.5, 0.5, 1.0: mean 2/3, sd sqrt(2)/6
    }  # fmt: skip
    row = dict(zip(DESCRIPTORS, descriptor_row(track), strict=True))
    assert row["mode"] == -1.0 and row["loudness_lufs"] == -70.0  # silence's -inf LUFS is floored
    assert row["energy_mean_db"] == pytest.approx(-22.0) and row["energy_median_db"] == pytest.approx(-20.0)
    assert row["energy_p10_db"] == pytest.approx(-30.0) and row["energy_p90_db"] == pytest.approx(-14.0)
    assert row["quiet_share"] == pytest.approx(0.4)
    assert row["energy_change_db"] == pytest.approx((10 + 0 + 10 + 20) / 4)
    assert row["beat_interval_cv"] == pytest.approx((np.sqrt(2) / 6) / (2 / 3))
    assert row["beats_per_second"] == pytest.approx(1.0)
    no_beats = descriptor_row({**track, "beats": np.zeros(0), "energy_curve": np.zeros(0)})
    assert np.all(np.isfinite(no_beats)) and dict(zip(DESCRIPTORS, no_beats, strict=True))["beats_per_second"] == 0.0
