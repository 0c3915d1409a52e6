"""Find the audio files under the paths a user names."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from picscore.media.files import listed_path

AUDIO_EXTENSIONS = frozenset(
    {".mp3", ".m4a", ".m4b", ".aac", ".ogg", ".oga", ".opus", ".flac", ".wav", ".aif", ".aiff", ".aifc", ".wma", ".wv", ".ape", ".mka"}
)


@dataclass(frozen=True)
class FileStat:
    """An audio file's absolute path with the size and mtime that tell if it changed."""

    path: str
    size: int
    mtime_ns: int


def is_audio_path(path: str | Path) -> bool:
    return Path(path).suffix.lower() in AUDIO_EXTENSIONS


@dataclass(frozen=True)
class Scan:
    """The audio files found under the paths a user named, and the paths that gave none."""

    files: list[FileStat]
    missing_roots: list[str]  # named, but not there
    empty_roots: list[str]  # folders holding no audio file: often the wrong folder named


def scan_audio_files(roots: Sequence[str | Path]) -> Scan:
    """Audio files under `roots` (folders are walked, hidden entries skipped), sorted by path.

    A file named directly is taken whatever its extension, so a user can index one odd file on purpose.
    """
    found: dict[str, FileStat] = {}
    missing_roots: list[str] = []
    empty_roots: list[str] = []
    for root in roots:
        root_path = Path(root).expanduser()
        if root_path.is_file():
            _add(found, root_path)
        elif root_path.is_dir():
            audio = list(_audio_files_under(root_path))
            if not audio:  # judged by what the folder holds, not by what is new in it: it may be named twice
                empty_roots.append(str(root))
            for path in audio:
                _add(found, path)
        else:
            missing_roots.append(str(root))
    return Scan(sorted(found.values(), key=lambda stat: stat.path), missing_roots, empty_roots)


def _audio_files_under(folder: Path) -> Iterator[Path]:
    """The files below `folder` with an audio extension, hidden files and folders skipped."""
    for parent, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if not name.startswith(".") and is_audio_path(name):
                yield Path(parent) / name


def _add(found: dict[str, FileStat], path: Path) -> None:
    """Take the file at its resolved path; a broken link is taken as itself, so that its failure is recorded."""
    resolved = listed_path(path)
    try:
        info = resolved.lstat()  # the file's own (a resolved path holds no links), or a broken link's
    except OSError:
        return  # vanished between listing and stat: the next run sees it
    found[str(resolved)] = FileStat(path=str(resolved), size=info.st_size, mtime_ns=info.st_mtime_ns)
