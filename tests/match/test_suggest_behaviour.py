"""Suggestions follow the pictures' mood, on real rendered tracks and real photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageEnhance
from skimage import data as samples

from picscore.compose.demo_library import DEMO_TRACKS, write_demo_library
from picscore.library.image_features import picture_features
from picscore.library.indexer import index_paths
from picscore.library.store import Library
from picscore.match.pictures import as_pictures
from picscore.match.suggest import SuggestOptions, suggest
from picscore.trackspace.loading import load_candidates
from tests.conftest import write_song


@pytest.fixture(scope="module")
def demo_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    write_demo_library(folder / "music", seconds=20.0, sr=22050)
    with Library(folder / "library.db") as library:
        summary = index_paths(library, [folder / "music"], jobs=2, progress=False)
    assert summary.indexed == len(DEMO_TRACKS)
    return folder / "library.db"


def _bright_and_dark(tmp_path: Path) -> tuple[Path, Path]:
    photo = Image.fromarray(samples.coffee())
    bright, dark = tmp_path / "bright.jpg", tmp_path / "dark.jpg"
    photo.save(bright)
    ImageEnhance.Color(ImageEnhance.Brightness(photo).enhance(0.35)).enhance(0.15).save(dark)
    return bright, dark


def _top_affect(library: Library, photo: Path, *, top: int = 3) -> np.ndarray:
    (features,) = picture_features(library, [photo])
    found = suggest(as_pictures([features]), load_candidates(library), SuggestOptions(top=top))
    return np.array([[s.track["valence"], s.track["arousal"]] for s in found]).mean(axis=0)


def test_darker_desaturated_photo_moves_suggestions_to_lower_valence_and_arousal(demo_library: Path, tmp_path: Path) -> None:
    bright, dark = _bright_and_dark(tmp_path)
    with Library(demo_library) as library:
        bright_affect, dark_affect = _top_affect(library, bright), _top_affect(library, dark)
    assert dark_affect[0] < bright_affect[0] - 0.2, (bright_affect, dark_affect)
    assert dark_affect[1] < bright_affect[1] - 0.2, (bright_affect, dark_affect)


def test_bright_saturated_pictures_rank_fast_major_above_slow_minor(tmp_path: Path) -> None:
    music = tmp_path / "music"
    music.mkdir()
    write_song(music / "fast_major.flac", seconds=20.0, tonic="D", mode="major", bpm=140, seed=5)
    write_song(music / "slow_minor.flac", seconds=20.0, tonic="D", mode="minor", bpm=70, seed=5)
    photos = [tmp_path / f"sunny{i}.png" for i in range(3)]
    y, x = np.mgrid[0:240, 0:320]
    for i, path in enumerate(photos):
        warm = np.stack([np.full_like(x, 250), 140 + 80 * np.sin(x / (20 + 10 * i)) ** 2, 30 + 20 * np.cos(y / 15)], axis=-1)
        Image.fromarray(warm.astype(np.uint8)).save(path)
    with Library(tmp_path / "library.db") as library:
        index_paths(library, [music], jobs=1, progress=False)
        pictures = as_pictures(picture_features(library, photos))
        found = suggest(pictures, load_candidates(library), SuggestOptions(top=2))
    assert [Path(s.track["path"]).name for s in found] == ["fast_major.flac", "slow_minor.flac"]


def test_mood_steering_moves_the_list(demo_library: Path, tmp_path: Path) -> None:
    bright, _ = _bright_and_dark(tmp_path)
    with Library(demo_library) as library:
        (features,) = picture_features(library, [bright])
        candidates = load_candidates(library)
        calmer = suggest(as_pictures([features]), candidates, SuggestOptions(top=3, mood="calmer"))
        livelier = suggest(as_pictures([features]), candidates, SuggestOptions(top=3, mood="more energetic"))
    assert np.mean([s.track["arousal"] for s in calmer]) < np.mean([s.track["arousal"] for s in livelier]) - 0.3
