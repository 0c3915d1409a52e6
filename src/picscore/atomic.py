"""Files written whole or not at all: a temporary file beside the target, synced, then renamed over it.

Readers see the old file or the new one, never half of one, whatever happens to the writer. A writer
killed midway (SIGKILL, the OOM killer, a power cut) leaves only its temporary file, `.NAME.XXXXXXXX.partial`
beside NAME. The writer holds a lock on it while it lives, so the next write of NAME removes the leftovers of
dead writers, and never the file of a writer still at work.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

PARTIAL_SUFFIX = ".partial"
_FILE_MODE = 0o644  # mkstemp's file is private; what it becomes is an ordinary file to share


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside `path` for the block to write the new file to (by name, with any library).

    When the block ends, the file is synced and renamed over `path`; when it raises, the file is removed and
    `path` is left as it was.
    """
    path = Path(path)
    remove_leftovers(path)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=PARTIAL_SUFFIX)
    temporary = Path(name)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)  # alive: see remove_leftovers
        yield temporary
        _sync(temporary)
        os.chmod(temporary, _FILE_MODE)
        os.replace(temporary, path)
        _sync(path.parent)  # the rename itself
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    finally:
        os.close(handle)


def write_text_atomically(path: str | Path, text: str) -> None:
    """Replace `path` with `text` (UTF-8), whole or not at all."""
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def remove_leftovers(path: str | Path) -> list[Path]:
    """Remove the temporary files that writers of `path` left when killed (never one a live writer holds); those removed."""
    path = Path(path)
    pattern = re.compile(rf"\.{re.escape(path.name)}\.[a-z0-9_]{{8}}{re.escape(PARTIAL_SUFFIX)}")
    removed: list[Path] = []
    try:
        names = [entry.name for entry in os.scandir(path.parent) if pattern.fullmatch(entry.name)]
    except OSError:
        return removed
    for name in names:
        leftover = path.parent / name
        try:
            handle = os.open(leftover, os.O_RDONLY)
        except OSError:
            continue  # gone already
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # its writer is alive
        finally:
            os.close(handle)  # closing releases the lock
        leftover.unlink(missing_ok=True)
        removed.append(leftover)
    return removed


def _sync(path: Path) -> None:
    """Flush a file's (or a folder's entries') data to the disk."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
