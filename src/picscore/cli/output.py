"""Printing for the CLI: tables for people, JSON for scripts, one-line errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from picscore.media.files import short_reason


class CliError(Exception):
    """A user-facing failure: printed as one line, exit status 1."""


def fail(message: str, *, status: int = 1) -> int:
    print(f"picscore: error: {message}", file=sys.stderr)
    return status


def describe_os_error(err: OSError) -> str:
    """`/data/out.mp4: No space left on device`: the file an operating-system error is about, and the system's reason."""
    reason = short_reason(err)
    return f"{err.filename}: {reason}" if err.filename is not None else reason


def report_skipped(path: object, reason: str) -> None:
    """The one wording every verb uses for an input file it leaves out and goes on without."""
    print(f"picscore: skipped {path}: {reason}", file=sys.stderr)


def nothing_readable(tried: int) -> CliError:
    """The error when none of the photos given can be used (the same words in every verb)."""
    return CliError(f"none of the {tried} photos could be read" if tried else "no photos to show")


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=_jsonable, ensure_ascii=False))


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return np.round(value.astype(np.float64), 4).tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]]) -> None:
    """Print `rows` as aligned columns; `columns` holds (key, heading) pairs."""
    cells = [[heading for _, heading in columns]]
    cells += [[_cell(row.get(key)) for key, _ in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    for line in cells:
        print("  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip())


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def format_duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_scores(pairs: Sequence[tuple[str, float]]) -> str:
    """`piano 0.59, slow 0.53`: names with their probabilities, as given."""
    return ", ".join(f"{name} {score:.2f}" for name, score in pairs)
