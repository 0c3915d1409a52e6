"""tools/fit_moods.py end to end on a toy affect folder made here (the research sets are not needed): it reads the
pictures and clips through picscore's own pipeline, cross-validates by theme and by artist, prints every table, and
writes heads that learned what the toy ratings teach from what the library stores."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageEnhance
from skimage import data as samples

from picscore.library.image_features import picture_features
from picscore.library.moods import descriptor_matrix
from picscore.moods.fitting import softmax
from picscore.moods.heads import read_head
from picscore.moods.picture import picture_mood_inputs
from tests.conftest import load_tool, write_song

PHOTOS = {"cat": samples.chelsea, "coffee": samples.coffee, "rocket": samples.rocket, "astronaut": samples.astronaut}
# Per quadrant: mode, tempo, drums, loudness. Fast drummed songs are the excited half, slow soft ones the calm half.
SONGS = {"Q1": ("major", 150, True, 0.9), "Q2": ("minor", 160, True, 0.9), "Q3": ("minor", 66, False, 0.2), "Q4": ("major", 72, False, 0.2)}
TONICS = ("C", "E", "G")


def _toy_affect_folder(folder: Path) -> Path:
    """oasis/: each photo as a bright, colourful variant rated pleasant and a dark, grey one rated unpleasant (one theme);
    music4q/: three songs of each quadrant, each by its own artist."""
    images = folder / "oasis" / "images"
    images.mkdir(parents=True)
    ratings = ["image\tvalence\tarousal\tcategory"]
    for name, load in PHOTOS.items():
        photo = Image.fromarray(load()).convert("RGB")
        ImageEnhance.Color(ImageEnhance.Brightness(photo).enhance(1.3)).enhance(1.6).save(images / f"{name} 1.jpg")
        ImageEnhance.Color(ImageEnhance.Brightness(photo).enhance(0.3)).enhance(0.1).save(images / f"{name} 2.jpg")
        ratings += [f"images/{name} 1.jpg\t0.6\t0.2\tObject", f"images/{name} 2.jpg\t-0.6\t-0.2\tObject"]
    (folder / "oasis" / "ratings.tsv").write_text("\n".join(ratings) + "\n")
    music = folder / "music4q"
    labels = ["audio\tquadrant\tvalence_sign\tarousal_sign\tartist"]
    for quadrant, (mode, bpm, drums, loudness) in SONGS.items():
        (music / quadrant).mkdir(parents=True)
        for k, tonic in enumerate(TONICS):
            path = f"{quadrant}/{quadrant}.{k}.flac"
            write_song(music / path, seconds=6.0, tonic=tonic, mode=mode, bpm=bpm + 4 * k, drums=drums, loudness=loudness, seed=k)
            labels.append(f"{path}\t{quadrant}\t\t\tartist {quadrant}{k}")
    (music / "labels.tsv").write_text("\n".join(labels) + "\n")
    return folder


def _figure(printed: str, section: str, name: str) -> float:
    """The mean of figure `name` in the printed section that starts with `section`."""
    block = printed[printed.index(section) :]
    found = re.search(rf"^  {re.escape(name)} +([0-9.]+) ", block, re.MULTILINE)
    assert found is not None, f"no {name} in {section}"
    return float(found.group(1))


def test_the_tool_fits_heads_that_learn_the_toy_ratings_and_prints_cross_validated_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _toy_affect_folder(tmp_path / "affect")
    out, cache = tmp_path / "heads", tmp_path / "cache.db"
    tool = load_tool("fit_moods")
    argv = ["--data", str(data), "--cache", str(cache), "--out", str(out), "--folds", "2", "--repeats", "2", "--permutations", "20"]
    assert tool.main([*argv, "--jobs", "1"]) == 0
    printed = capsys.readouterr().out

    assert "8 pictures in 4 themes; 12 clips by 12 artists" in printed
    assert 0.0 <= _figure(printed, "picture mood", "quadrant") <= 1.0
    # Out of fold by artist, drums, tempo and level tell the excited songs from the calm ones (chance: 0.5).
    assert _figure(printed, "music mood, full head", "arousal sign") >= 0.75
    assert _figure(printed, "music mood, descriptor head", "arousal sign") >= 0.75
    assert re.search(r"^  full +[0-9.]+ +[0-9.]+ ( +([0-9.]+|nan)){4} +[0-9.]+$", printed, re.MULTILINE), "the default variant's row"
    assert re.search(r"^  3 photos +[0-9.]+ +[0-9.]+ ( +([0-9.]+|nan)){4} +[0-9.]+$", printed, re.MULTILINE), "albums of 3 pictures"
    assert "10 photos" not in printed  # more than there are pictures

    picture, full, descriptors = (read_head(out / f"{name}.npz") for name in ("picture", "music-full", "music-descriptors"))
    assert picture.weights.shape[1] == 2 and full.weights.shape[1] == 4 and descriptors.weights.shape[1] == 4
    assert picture.about["items"] == 8 and full.about["items"] == 12 and "OASIS" in picture.about["fitted_on"]
    with tool.Library(cache) as library:
        # The picture head reads the layers and classes the library keeps: each photo's bright variant is more pleasant than its dark one.
        photos = [str(data / "oasis" / "images" / f"{name} {variant}.jpg") for name in PHOTOS for variant in (1, 2)]
        loaded = [f.loaded() for f in picture_features(library, photos)]  # each photo's (features, class probabilities, layers)
        valence = picture(picture_mood_inputs(np.stack([x[2] for x in loaded]), np.stack([x[1] for x in loaded])))[:, 0]
        assert np.all(valence[0::2] > valence[1::2])
        # The descriptor head reads what the library stores, and puts the loud drummed songs in the excited half.
        paths = {row["id"]: row["path"] for row in library.list_tracks()}
        ids = np.array(sorted(paths), dtype=np.int64)
        probabilities = softmax(descriptors(descriptor_matrix(library, ids)))
    excited = np.array([Path(paths[i]).parent.name in ("Q1", "Q2") for i in ids])
    assert np.array_equal(probabilities[:, :2].sum(axis=1) > probabilities[:, 2:].sum(axis=1), excited)
