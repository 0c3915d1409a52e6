"""Test media for the renderer: a library holding a click track, distinct photos, and MP4 inspection."""

from __future__ import annotations

import struct
from pathlib import Path

import av
import numpy as np
from PIL import Image

from picscore.library.indexer import index_paths
from picscore.library.store import Library
from tests.conftest import write_clicks

FRAME_SIZE = "320x180"
LEVELS = (30, 200, 80, 230, 120, 170, 50, 215)  # distinct grey levels: each cut changes the picture a lot


def click_library(folder: Path, *, bpm: float = 120.0, seconds: float = 30.0) -> tuple[Path, dict]:
    """A library (file path) holding one indexed click track, and that track's row."""
    music = folder / "music"
    music.mkdir()
    write_clicks(music / "clicks.wav", bpm=bpm, seconds=seconds)
    library_file = folder / "library.db"
    with Library(library_file) as library:
        index_paths(library, [music], jobs=1, encoders=(), progress=False)
        track = library.known_track(library.list_tracks()[0]["id"])
    return library_file, track


def write_photos(folder: Path, n: int, *, size: tuple[int, int] = (320, 240)) -> list[Path]:
    """`n` JPEGs, each a distinct grey level with a faint stripe texture (so Ken Burns moves show a little)."""
    folder.mkdir(parents=True, exist_ok=True)
    stripes = 12 * np.sin(np.arange(size[0]) / 7.0)[None, :, None]
    paths = []
    for i in range(n):
        level = LEVELS[i % len(LEVELS)]
        pixels = np.clip(np.full((size[1], size[0], 3), level, dtype=np.float32) + stripes, 0, 255).astype(np.uint8)
        path = folder / f"photo{i:03d}.jpg"
        Image.fromarray(pixels).save(path, quality=90)
        paths.append(path)
    return paths


def set_taken(photo: Path, taken: str) -> None:
    """Write `taken` ("YYYY:MM:DD HH:MM:SS") as the photo's EXIF capture time (DateTimeOriginal)."""
    image = Image.open(photo)
    exif = image.getexif()
    exif.get_ifd(0x8769)[36867] = taken
    image.save(photo, exif=exif)


def click_times(samples: np.ndarray, *, sr: int) -> np.ndarray:
    """Onsets (seconds) of the clicks in decoded audio: rises above 0.3 of the peak, at least 0.1 s apart."""
    loud = np.abs(samples) > 0.3 * np.abs(samples).max()
    if loud.ndim > 1:
        loud = loud.any(axis=1)
    rises = (np.flatnonzero(loud[1:] & ~loud[:-1]) + 1) / sr
    return rises[np.diff(rises, prepend=-1.0) > 0.1]


def luma_frames(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(presentation times in seconds, mean-free Y planes as float32) of every decoded video frame."""
    times, planes = [], []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        time_base = stream.time_base
        assert time_base is not None
        for frame in container.decode(stream):
            assert frame.pts is not None
            times.append(float(frame.pts * time_base))
            planes.append(frame.to_ndarray(format="gray").astype(np.float32))
    return np.array(times), np.stack(planes)


def cut_times(path: Path) -> np.ndarray:
    """Instants where the picture changes abruptly: the first frame after a large mean absolute difference."""
    times, planes = luma_frames(path)
    change = np.abs(np.diff(planes, axis=0)).mean(axis=(1, 2))
    threshold = max(8.0, 10 * float(np.median(change)))
    return times[1:][change > threshold]


def box_order(path: Path) -> list[str]:
    """The MP4's top-level box types in file order (faststart puts moov before mdat)."""
    data = path.read_bytes()
    boxes, at = [], 0
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        if size == 1:
            size = struct.unpack(">Q", data[at + 8 : at + 16])[0]
        boxes.append(kind.decode("latin-1"))
        at += size if size else len(data)
    return boxes
