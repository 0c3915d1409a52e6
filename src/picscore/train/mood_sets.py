"""Human-rated mood sets: pictures with valence and arousal, music with its mood quadrant or its valence and arousal
(TSV files)."""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

from picscore.moods.plane import QUADRANTS, quadrant_index


class MoodSetError(Exception):
    """A rating or label file cannot be used; the message names the file (and line) and the cause."""


@dataclass(frozen=True)
class RatedPicture:
    """A picture and the mean of people's ratings of it, each in [-1, 1]; `theme` groups its near-duplicates."""

    image: str
    valence: float
    arousal: float
    theme: str


@dataclass(frozen=True)
class LabelledMusic:
    """A piece of music, its mood quadrant (an index into plane.QUADRANTS) and, for a set rated on both axes, people's
    valence and arousal in [-1, 1]; `artist` groups it with its kin."""

    audio: str
    quadrant: int
    artist: str
    valence: float | None = None
    arousal: float | None = None


def read_picture_ratings(path: str | Path) -> list[RatedPicture]:
    """Rows of a TSV with `image`, `valence` and `arousal` columns (values in [-1, 1]); relative paths are relative to it.

    A picture's theme is its file name without a trailing number ("Dog 3.jpg" -> "Dog"), as OASIS names variants.
    """
    pictures = []
    for line, row, folder in _rows(path, ("image", "valence", "arousal")):
        valence, arousal = (_rating(path, line, row, name) for name in ("valence", "arousal"))
        theme = re.sub(r"[\s_-]*\d+$", "", Path(row["image"]).stem) or Path(row["image"]).stem
        pictures.append(RatedPicture(str((folder / row["image"]).resolve()), valence, arousal, theme))
    return pictures


def read_music_labels(path: str | Path) -> list[LabelledMusic]:
    """Rows of a TSV with `audio` and a `quadrant` (Q1 to Q4) column, or `valence` and `arousal` columns (people's mean
    ratings in [-1, 1], whose signs give the quadrant; a rating of exactly 0 counts as negative), or both, and
    optionally `artist`; relative paths are relative to it."""
    rows = _rows(path, ("audio",))
    columns = rows[0][1].keys()
    rated = "valence" in columns and "arousal" in columns
    if "quadrant" not in columns and not rated:
        raise MoodSetError(f"{path}: no quadrant column, nor valence and arousal columns, in the header (tab-separated)")
    music = []
    for line, row, folder in rows:
        valence = _rating(path, line, row, "valence") if rated else None
        arousal = _rating(path, line, row, "arousal") if rated else None
        quadrant = _quadrant(path, line, row) if "quadrant" in columns else _sign_quadrant(valence, arousal)
        audio = str((folder / row["audio"]).resolve())
        music.append(LabelledMusic(audio, quadrant, row.get("artist") or row["audio"], valence=valence, arousal=arousal))
    return music


def _sign_quadrant(valence: float | None, arousal: float | None) -> int:
    """The quadrant of a rated piece's signs (a piece without a quadrant column has both ratings)."""
    if valence is None or arousal is None:
        raise ValueError("a piece without a quadrant needs its valence and arousal")
    return int(quadrant_index(valence, arousal))


def _quadrant(path: str | Path, line: int, row: dict[str, str]) -> int:
    if not row.get("quadrant"):
        raise MoodSetError(f"{path}:{line}: no quadrant")
    quadrant = row["quadrant"].upper()
    if quadrant not in QUADRANTS:
        raise MoodSetError(f"{path}:{line}: quadrant is one of {', '.join(QUADRANTS)}, not {row['quadrant']!r}")
    return QUADRANTS.index(quadrant)


def _rows(path: str | Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str], Path]]:
    """(line number, stripped cells, the file's folder) of each row; MoodSetError for a missing column or empty cell."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle, delimiter="\t")
            missing = [name for name in required if name not in (reader.fieldnames or ())]
            if missing:
                raise MoodSetError(f"{path}: no {' and no '.join(missing)} column in the header (tab-separated)")
            rows = [(line, {k: (v or "").strip() for k, v in row.items() if k}) for line, row in enumerate(reader, start=2)]
    except OSError as err:
        raise MoodSetError(f"{path}: cannot read the file ({err.strerror or err})") from None
    except UnicodeDecodeError:
        raise MoodSetError(f"{path}: not a UTF-8 text file") from None
    for line, row in rows:
        empty = [name for name in required if not row.get(name)]
        if empty:
            raise MoodSetError(f"{path}:{line}: no {' and no '.join(empty)}")
    if not rows:
        raise MoodSetError(f"{path}: no rows in the file")
    return [(line, row, path.parent) for line, row in rows]


def _rating(path: str | Path, line: int, row: dict[str, str], column: str) -> float:
    if not row.get(column):
        raise MoodSetError(f"{path}:{line}: no {column}")
    try:
        value = float(row[column])
    except ValueError:
        raise MoodSetError(f"{path}:{line}: {column} {row[column]!r} is not a number") from None
    if not (math.isfinite(value) and -1.0 <= value <= 1.0):
        raise MoodSetError(f"{path}:{line}: {column} {row[column]} is outside [-1, 1]")
    return value
