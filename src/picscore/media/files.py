"""Checks shared by every media reader and writer: the file is there, readable and not empty; a folder takes new files."""

from __future__ import annotations

import errno
import io
import os
import stat
import tempfile
from pathlib import Path

# Files that are no media files whatever their name; reading one may wait forever (a named pipe for a writer).
_SPECIAL_FILES = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


def file_problem(path: str | Path) -> str | None:
    """Why `path` cannot be read as a media file (one line), or None when it can be tried."""
    try:
        info = Path(path).stat()
    except FileNotFoundError:
        return "a broken link: the file it points to is missing" if Path(path).is_symlink() else "file not found"
    except OSError as err:
        return f"cannot read the file ({err.strerror or err})"
    if problem := _kind_problem(info.st_mode):
        return problem
    if not os.access(path, os.R_OK):
        return "permission denied"
    if info.st_size == 0:
        return "the file is empty (0 bytes)"
    return None


def _kind_problem(mode: int) -> str | None:
    """Why a file of this st_mode is no media file: a folder, or a named pipe, socket or device (reading one may wait
    forever); or None."""
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    kind = next((name for is_kind, name in _SPECIAL_FILES if is_kind(mode)), None)
    return f"not a regular file but {kind}" if kind else None


def open_file(path: str | Path) -> io.BufferedReader:
    """`path` opened for binary reading. Raises OSError when it cannot be, or is not a regular file: a named pipe is
    refused at once, where open() would wait for a writer forever."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        mode = os.fstat(descriptor).st_mode
        if problem := _kind_problem(mode):
            raise OSError(errno.EISDIR if stat.S_ISDIR(mode) else errno.EINVAL, problem, str(path))
        os.set_blocking(descriptor, True)
        return open(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def listed_path(path: str | Path) -> Path:
    """A listed file's absolute path with its links resolved; a broken link (its target missing, or a loop of links)
    stays the link itself, so that the reason it cannot be read names the file the user sees."""
    path = Path(path)
    try:
        return path.resolve(strict=True)
    except (OSError, RuntimeError):  # RuntimeError: a loop of links, before Python 3.13
        return Path(os.path.realpath(path.parent)) / path.name


def name_problem(path: str | Path) -> str | None:
    """Why `path` cannot be kept as text (in the library, a TSV): its name holds bytes that are not UTF-8 (Python keeps
    them as lone surrogates, PEP 383), as names copied from old Latin-1 disks do; or None."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return "the file name is not valid UTF-8: rename the file to use it"
    return None


def shown_path(path: str | Path) -> str:
    """`path` as text that can always be printed or stored: bytes that are not UTF-8 show as \\xNN escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


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
