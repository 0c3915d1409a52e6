"""Robustness: bad inputs, kills, load and abuse (issue 20).

`make test` runs each check at a size that fits its time; `make soak` (PICSCORE_SOAK=1) runs the
long form with the counts the issue asks for.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SOAK = os.environ.get("PICSCORE_SOAK") == "1"


def soak_or(short: int, soak: int) -> int:
    """`soak` under `make soak`, else `short`: how many times a check repeats."""
    return soak if SOAK else short


def run_picscore(
    args: list[str], *, library: Path, limit_seconds: float, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run `picscore --library LIBRARY ARGS` in a fresh process; a run past `limit_seconds` is a hang and fails.

    Its output is read as UTF-8, with bytes that are not (a file name that is not UTF-8) as \\xNN escapes; `env`
    adds to this process's environment.
    """
    command = [sys.executable, "-m", "picscore", "--library", str(library), *args]
    return subprocess.run(
        command,
        capture_output=True,
        encoding="utf-8",
        errors="backslashreplace",
        timeout=limit_seconds,
        cwd=cwd,
        env=None if env is None else {**os.environ, **env},
        check=False,
    )
