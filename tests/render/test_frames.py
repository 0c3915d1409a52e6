"""Picture treatment: blurred fill instead of bars, crops that keep the subject, Ken Burns windows, transitions."""

from __future__ import annotations

import os
import struct
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from picscore.render.frames import FILL_BRIGHTNESS, compose, transition, view_box
from picscore.render.photo_look import look_at, salient_point
from picscore.render.photos import expand_photos, taken_at


def _photo(size: tuple[int, int], colour: tuple[int, int, int]) -> Image.Image:
    return Image.new("RGB", size, colour)


def test_a_portrait_photo_sits_on_a_darkened_fill_of_itself_not_black_bars() -> None:
    canvas, _ = compose(_photo((300, 400), (200, 40, 40)), size=(640, 360), focus=(0.5, 0.5))
    pixels = np.asarray(canvas).astype(int)
    middle, side = pixels[180, 320], pixels[180, 20]
    assert tuple(middle) == pytest.approx((200, 40, 40), abs=2)
    assert tuple(side) == pytest.approx(tuple(FILL_BRIGHTNESS * middle), abs=3)  # the same hue, darker
    assert side.sum() > 0


def test_a_nearly_matching_shape_is_cropped_around_the_subject() -> None:
    photo = _photo((1600, 1000), (20, 20, 20))  # 16:10 in a 16:9 frame: cropped, not filled
    photo.paste((250, 250, 250), (0, 0, 1600, 60))  # a bright strip along the top edge
    near_top, _ = compose(photo, size=(640, 360), focus=(0.5, 0.02))
    centred, _ = compose(photo, size=(640, 360), focus=(0.5, 0.5))
    assert np.asarray(near_top)[5].mean() > 200  # the crop moved up to keep the subject
    assert np.asarray(centred)[5].mean() < 60
    assert np.asarray(near_top)[:, [0, -1]].mean() < 60  # no fill at the sides: the photo fills the frame


def test_the_view_zooms_towards_the_focus_and_keeps_it_in_frame() -> None:
    size, focus = (1000, 500), (900.0, 100.0)
    whole = view_box(size, focus, zoom=1.0, pan=(0, 0), progress=0)
    assert whole == pytest.approx((0, 0, 1000, 500))
    closer = view_box(size, focus, zoom=1.1, pan=(0, 0), progress=0)
    assert closer[2] == pytest.approx(1000) and closer[1] == pytest.approx(0)  # pushed into the focus's corner
    for progress in (0.0, 0.5, 1.0):
        left, _, right, _ = view_box(size, (500.0, 250.0), zoom=1.08, pan=(1, 0), progress=progress)
        assert left >= 0 and right <= 1000 and left < 500 < right
    starts = [view_box(size, (500.0, 250.0), zoom=1.08, pan=(1, 0), progress=p)[0] for p in (0.0, 0.5, 1.0)]
    assert starts[0] == pytest.approx(0) and starts[2] == pytest.approx(1000 - 1000 / 1.08) and starts[0] < starts[1] < starts[2]


def test_the_salient_point_finds_a_lone_object() -> None:
    image = Image.new("RGB", (400, 300), (90, 90, 90))
    image.paste((250, 240, 30), (280, 40, 330, 90))  # a yellow square, upper right
    x, y = salient_point(image)
    assert 0.65 < x < 0.87 and 0.1 < y < 0.33
    assert salient_point(Image.new("RGB", (400, 300), (90, 90, 90))) == (0.5, 0.5)


def _i420(level_y: int, level_uv: int = 128) -> np.ndarray:
    frame = np.full((24, 16), level_uv, dtype=np.uint8)
    frame[:16] = level_y
    return frame


@pytest.mark.parametrize("kind", ["crossfade", "fade-black", "slide", "cut"])
def test_transitions_start_at_the_old_picture_and_end_at_the_new(kind: str) -> None:
    old, new = _i420(40), _i420(200)
    assert transition(kind, old, new, alpha=0.01)[:16].mean() == pytest.approx(40, abs=8)
    assert transition(kind, old, new, alpha=0.99)[:16].mean() == pytest.approx(200, abs=8)
    middle = transition(kind, old, new, alpha=0.5)[:16]
    expected = {"crossfade": 120, "fade-black": 16, "slide": 120, "cut": 200}[kind]
    assert middle.mean() == pytest.approx(expected, abs=4)


def test_a_folder_of_photos_gives_its_broken_links_and_pipes_to_be_reported(tmp_path: Path) -> None:
    _photo((40, 30), (200, 40, 40)).save(tmp_path / "good.jpg")
    (tmp_path / "loop.jpg").symlink_to("loop.jpg")
    (tmp_path / "dangling.jpg").symlink_to(tmp_path / "gone.jpg")
    os.mkfifo(tmp_path / "pipe.jpg")
    (tmp_path / "album.jpg").mkdir()  # a folder is not a photo: passed over
    paths, unmatched = expand_photos([str(tmp_path)])
    assert [p.name for p in paths] == ["dangling.jpg", "good.jpg", "loop.jpg", "pipe.jpg"] and not unmatched
    errors = {Path(look.path).name: look.error for look in map(look_at, paths)}
    assert errors == {
        "dangling.jpg": "a broken link: the file it points to is missing",
        "good.jpg": None,
        "loop.jpg": "cannot read the file (Too many levels of symbolic links)",
        "pipe.jpg": "not a regular file but a named pipe",
    }
    assert taken_at(tmp_path / "pipe.jpg") != datetime.max  # its time on disk, at once: opening it would wait forever


def test_the_capture_time_of_a_photo_over_pillows_bomb_limit(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0132] = "2026:05:01 10:00:00"
    _photo((8, 8), (0, 0, 0)).save(tmp_path / "phone.jpg", exif=exif)
    data = bytearray((tmp_path / "phone.jpg").read_bytes())
    frame = data.index(b"\xff\xc0")
    data[frame + 5 : frame + 9] = struct.pack(">HH", 12_240, 16_320)  # a 200-megapixel phone photo's header
    (tmp_path / "phone.jpg").write_bytes(bytes(data))
    assert taken_at(tmp_path / "phone.jpg") == datetime(2026, 5, 1, 10, 0, 0)  # Image.open raised DecompressionBombError
