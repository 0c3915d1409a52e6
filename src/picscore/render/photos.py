"""The photos of a slideshow or an album: expanding folders and globs, ordering them, and where chapters start."""

from __future__ import annotations

import glob
from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from picscore.media.image_load import IMAGE_EXTENSIONS, open_header

ORDERS = ("name", "date", "given")
_EXIF_IFD = 0x8769
_DATE_TIME_ORIGINAL = 36867
_DATE_TIME = 306


def expand_photos(arguments: list[str]) -> tuple[list[Path], list[str]]:
    """(photo paths, arguments that matched nothing): folders give the pictures directly inside them
    (by name), glob patterns their matches (by name), anything else itself. Every match but a folder is given, so
    that one that cannot be read (a broken link, a named pipe) is reported, not passed over."""
    paths: list[Path] = []
    unmatched: list[str] = []
    for argument in arguments:
        path = Path(argument).expanduser()
        if path.is_dir():
            found = sorted((p for p in path.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS and not p.is_dir()), key=_name_key)
        elif not path.exists() and glob.has_magic(argument):
            found = sorted((Path(p) for p in glob.glob(str(path)) if not Path(p).is_dir()), key=_name_key)
        else:
            found = [path]
        if not found:
            unmatched.append(argument)
        paths.extend(found)
    return paths, unmatched


def order_photos(paths: list[Path], *, order: str) -> list[Path]:
    """Sort by file name, by when they were taken (EXIF, else the file's time), or keep them as given."""
    if order == "name":
        return sorted(paths, key=_name_key)
    if order == "date":
        return sorted(paths, key=lambda p: (taken_at(p), _name_key(p)))
    return list(paths)


def _name_key(path: Path) -> tuple[str, str]:
    return path.name.casefold(), str(path)


def taken_at(path: Path) -> datetime:
    """EXIF DateTimeOriginal, else EXIF DateTime, else the file's modification time (local time)."""
    try:
        with open_header(path) as image:
            exif = image.getexif()
            text = exif.get_ifd(_EXIF_IFD).get(_DATE_TIME_ORIGINAL) or exif.get(_DATE_TIME)
        if text:
            return datetime.strptime(str(text).strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except (OSError, ValueError, UnidentifiedImageError, SyntaxError, Image.DecompressionBombError):
        pass  # no usable date in the file: fall back to its time on disk
    try:
        return datetime.fromtimestamp(path.stat().st_mtime)
    except OSError:
        return datetime.max


CHAPTER_GAP = timedelta(hours=2)


def chapter_starts(times: list[datetime]) -> list[int]:
    """Indices (in order, 0 left out) of the photos that start a chapter: taken on another day than the photo
    before, or CHAPTER_GAP or more after it. `times` are capture times in showing order."""
    return [
        i
        for i in range(1, len(times))
        if times[i] != datetime.max
        and times[i - 1] != datetime.max
        and (times[i].date() != times[i - 1].date() or times[i] - times[i - 1] >= CHAPTER_GAP)
    ]
