"""Full reports of unexpected failures, written to a file so that the user sees one line, not a traceback.

A report holds what a developer needs to reproduce the failure (version, platform, command,
traceback) and nothing from the user's files beyond the paths in the command.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

from picscore import __version__
from picscore.paths import data_dir

CRASH_DIR_ENV = "PICSCORE_CRASH_DIR"


def crash_dir() -> Path:
    """Where reports go: $PICSCORE_CRASH_DIR, else crash-reports/ in picscore's data folder."""
    explicit = os.environ.get(CRASH_DIR_ENV)
    return Path(explicit).expanduser() if explicit else data_dir() / "crash-reports"


def write_crash_report(error: BaseException, *, context: str) -> Path:
    """Write `error`'s traceback with `context` (the command line, or the HTTP request) and return the file.

    Falls back to the temporary folder when the data folder cannot be written (a read-only home),
    so that a report is never lost to a second failure.
    """
    stamp = time.strftime("%Y%m%d-%H%M%S")
    text = "\n".join(
        (
            f"picscore {__version__} crash report, {time.strftime('%Y-%m-%d %H:%M:%S %z')}",
            f"python {platform.python_version()} on {platform.platform()}",
            f"context: {context}",
            "",
            "".join(traceback.format_exception(error)),
        )
    )
    for folder in (crash_dir(), Path(tempfile.gettempdir()) / "picscore-crash-reports"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{stamp}-{os.getpid()}.txt"
            path.write_text(text, encoding="utf-8", errors="backslashreplace")  # argv may hold any bytes
            return path
        except OSError:
            continue
    sys.stderr.write(text)  # nowhere to write it: the traceback is all that is left
    return Path("<stderr>")


def one_line_summary(error: BaseException) -> str:
    """`ValueError: math domain error`: the exception's type and first line, for the one line a user sees."""
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {first_line}" if first_line else type(error).__name__
