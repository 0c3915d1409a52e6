"""Checks shared by every media reader and writer: the file is there, readable and not empty; a folder takes new files."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def file_problem(path: str | Path) -> str | None:
    """Why `path` cannot be read as a media file (one line), or None when it can be tried."""
    try:
        info = Path(path).stat()
    except FileNotFoundError:
        return "file not found"
    except OSError as err:
        return f"cannot read the file ({err.strerror or err})"
    if stat.S_ISDIR(info.st_mode):
        return "is a folder, not a file"
    if not os.access(path, os.R_OK):
        return "permission denied"
    if info.st_size == 0:
        return "the file is empty (0 bytes)"
    return None


def folder_write_problem(folder: str | Path) -> str | None:
    """Why no new file can be written in `folder` (one line), or None. It tries: permissions, a read-only file system
    and pseudo-file systems (/proc, /sys) all show only when a file is made, so a file is made and removed."""
    folder = Path(folder)
    if not folder.is_dir():
        return f"{folder} does not exist" if not folder.exists() else f"{folder} is not a folder"
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".picscore-write-check-"):
            pass
    except OSError as err:
        return f"cannot write in {folder} ({short_reason(err).lower()})"
    return None


def short_reason(err: BaseException) -> str:
    """A library's reason for an error in one line of at most 160 characters (the caller names the file)."""
    text = getattr(err, "strerror", None) or str(err) or type(err).__name__
    return text.splitlines()[0][:160]
