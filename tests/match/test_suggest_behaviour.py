"""Suggestions follow the pictures' learned mood, on real photos and real composed tracks."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageEnhance
from skimage import data as samples

from picscore.compose.composer import compose
from picscore.library.image_features import picture_features
from picscore.library.indexer import index_paths
from picscore.library.store import Library
from picscore.match.pictures import as_pictures
from picscore.match.suggest import SuggestOptions, suggest
from picscore.media.audio_encode import encode_audio
from picscore.trackspace.loading import load_candidates
from tests.conftest import index_demo_library


@pytest.fixture(scope="module")
def demo_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return index_demo_library(tmp_path_factory.mktemp("demo"), seconds=20.0, sr=22050)


def _bright_and_dim(tmp_path: Path) -> tuple[Path, Path]:
    photo = Image.fromarray(samples.coffee())
    bright, dim = tmp_path / "bright.png", tmp_path / "dim.png"
    photo.save(bright)
    ImageEnhance.Color(ImageEnhance.Brightness(photo).enhance(0.35)).enhance(0.15).save(dim)
    return bright, dim


def test_a_pleasant_photo_ranks_the_happy_piece_first_and_a_dim_one_the_sad_piece(tmp_path: Path) -> None:
    music = tmp_path / "music"
    music.mkdir()
    for name, valence, arousal in (("happy.flac", 0.8, 0.7), ("sad.flac", -0.7, -0.7)):
        piece = compose(valence=valence, arousal=arousal, seconds=15.0, sr=22050, seed=2)
        encode_audio(music / name, piece.samples, sr=piece.sr)
    cat = tmp_path / "cat.png"
    Image.fromarray(samples.chelsea()).save(cat)
    _, dim = _bright_and_dim(tmp_path)
    with Library(tmp_path / "library.db") as library:
        index_paths(library, [music], jobs=1, progress=False)
        firsts = {}
        for photo in (cat, dim):
            pictures = as_pictures(picture_features(library, [photo]))
            (found, *_) = suggest(pictures, load_candidates(library), SuggestOptions(top=2))
            firsts[photo.stem] = (Path(found.track["path"]).name, pictures.mood[0])
    assert firsts["cat"][1][0] > firsts["dim"][1][0] and firsts["cat"][1][1] > firsts["dim"][1][1]  # more pleasant, livelier
    assert (firsts["cat"][0], firsts["dim"][0]) == ("happy.flac", "sad.flac")


def test_mood_steering_moves_the_list(demo_library: Path, tmp_path: Path) -> None:
    bright, _ = _bright_and_dim(tmp_path)
    with Library(demo_library) as library:
        (features,) = picture_features(library, [bright])
        candidates = load_candidates(library)
        calmer = suggest(as_pictures([features]), candidates, SuggestOptions(top=3, mood="calmer"))
        livelier = suggest(as_pictures([features]), candidates, SuggestOptions(top=3, mood="more energetic"))
    assert np.mean([s.track["arousal"] for s in calmer]) < np.mean([s.track["arousal"] for s in livelier]) - 0.3


def test_a_track_removed_after_the_candidates_were_read_is_left_out(demo_library: Path, tmp_path: Path) -> None:
    """The server keeps its candidates until the library changes; a suggestion made in between skips a removed track."""
    copy = tmp_path / "library.db"
    shutil.copy(demo_library, copy)
    bright, _ = _bright_and_dim(tmp_path)
    with Library(copy) as library:
        pictures = as_pictures(picture_features(library, [bright]))
        candidates = load_candidates(library)
        before = [s.track["id"] for s in suggest(pictures, candidates, SuggestOptions(top=3))]
        library.remove_tracks([before[0]])
        after = [s.track["id"] for s in suggest(pictures, candidates, SuggestOptions(top=3))]
    assert len(after) == 3 and before[0] not in after
    assert before[1] in after  # the others still come
