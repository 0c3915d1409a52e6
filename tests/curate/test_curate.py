"""Curation on a camera roll of real pictures, and the measures it rests on."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from picscore.cli import main
from picscore.curate.quality import measure_photo
from tests.curate.camera_roll import CameraRoll, scenes, write_camera_roll


@pytest.fixture(scope="module")
def roll(tmp_path_factory: pytest.TempPathFactory) -> CameraRoll:
    # Seed 7 was not looked at while the thresholds were set (seeds 0-3 were).
    return write_camera_roll(tmp_path_factory.mktemp("roll") / "DCIM", seed=7)


def test_the_best_30_of_a_camera_roll_are_one_good_frame_of_each_scene_and_no_screenshot(roll: CameraRoll, capsys) -> None:
    assert len(roll.scene_of) > 200 and roll.n_scenes == 30
    assert main(["curate", str(roll.folder), "--best", "30", "--json", "--jobs", "2"]) == 0
    report = json.loads(capsys.readouterr().out)
    kept = [Path(p).name for p in report["kept"]]
    assert len(report["dropped"]) + len(kept) == report["photos"] == len(roll.scene_of)
    assert not [name for name in kept if roll.kind_of[name] == "screenshot"]
    per_scene = Counter(roll.scene_of[name] for name in kept)
    assert max(per_scene.values()) == 1  # never two frames of one scene
    good = {roll.scene_of[name] for name in kept if roll.kind_of[name] == "burst"}  # sharp and well exposed
    assert len(good) >= 28, sorted(Counter(roll.kind_of[name] for name in kept).items())
    reasons = Counter(d["reason"].split(" (")[0].split(" of ")[0] for d in report["dropped"])
    assert reasons["a screenshot or document"] == 4 and reasons["a near-duplicate"] > 150


def test_haze_is_not_blur_but_blur_is(tmp_path: Path) -> None:
    scene = scenes()[0]
    hazy = Image.fromarray((np.asarray(scene, dtype=np.float32) * 0.35 + 150).astype(np.uint8))  # low contrast, washed out
    sharp, misty, blurred = (measure_photo(image) for image in (scene, hazy, scene.filter(ImageFilter.GaussianBlur(3))))
    assert misty.sharpness == pytest.approx(sharp.sharpness, rel=0.15)
    assert blurred.sharpness < 0.6 * sharp.sharpness


def test_an_unreadable_file_is_reported_and_the_rest_curated(tmp_path: Path, capsys) -> None:
    for i, scene in enumerate(scenes()[:3]):
        scene.save(tmp_path / f"photo{i}.jpg", quality=90)
    (tmp_path / "broken.jpg").write_bytes(b"not a picture")
    assert main(["curate", str(tmp_path), "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("kept 3 of 4 photos") and f"{tmp_path / 'broken.jpg'}: unreadable (" in out


def test_faces_are_found_and_preferred_among_good_photos() -> None:
    from skimage import data

    from picscore.curate.faces import count_faces
    from picscore.curate.select import curate

    astronaut, coffee = Image.fromarray(data.astronaut()), Image.fromarray(data.coffee())
    assert count_faces(astronaut) >= 1 and count_faces(coffee) == 0
    with_face, without = measure_photo(astronaut), measure_photo(coffee)
    sharper_without = replace(without, sharpness=2.0, luma_range=0.9)  # the better frame on its own, but no one in it
    paths = ["coffee.jpg", "astronaut.jpg"]
    assert curate(paths, [sharper_without, with_face], best=1).kept == ["coffee.jpg"]  # without a face detector
    faces = {0: count_faces(coffee), 1: count_faces(astronaut)}
    chosen = curate(paths, [sharper_without, with_face], best=1, count_faces=lambda indices: [faces[i] for i in indices])
    assert chosen.kept == ["astronaut.jpg"]


def test_a_sliver_is_too_thin_for_a_face_and_not_blown_up_to_find_out() -> None:
    from picscore.curate.faces import count_faces

    # Its shorter side brought to 192 pixels, a 10000x1 picture was 1,920,000x192: minutes of looking, 3 GB.
    sliver = Image.fromarray(np.tile(np.arange(256, dtype=np.uint8), 40)[None, :10_000])
    assert count_faces(sliver) == 0 and count_faces(Image.new("RGB", (1, 1))) == 0
