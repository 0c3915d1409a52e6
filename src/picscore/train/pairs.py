"""Pair lists: a TSV of pictures and the music that goes with them, optionally an excerpt of it."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from picscore.media.files import listed_path


class PairsError(Exception):
    """The pair file cannot be used; the message names the file and the cause."""


@dataclass(frozen=True)
class Pair:
    """A picture and its music: the whole track, or the excerpt from `start_seconds` to `end_seconds`.

    `source` names the item the pair came from (a video, a game level), so that a train/validation
    split can keep all pairs of one source on the same side; it defaults to the audio path.
    `kept` is False for a pairing the user rejected: training uses it as a negative.
    """

    image: str
    audio: str
    start_seconds: float | None = None
    end_seconds: float | None = None
    source: str = ""
    kept: bool = True

    def __post_init__(self) -> None:
        if not self.source:
            object.__setattr__(self, "source", self.audio)


def too_few_sources(found: int) -> str:
    """Why pairs from `found` source items cannot train: one item at least is held out to validate on."""
    return f"need pairs from at least two source items to hold some out for validation ({found} found)"


def read_pairs(path: str | Path) -> list[Pair]:
    """Pairs from a TSV with a header holding `image` and `audio` columns.

    Optional columns: `start` and `end` (seconds into the audio, both or neither on a row, end >
    start >= 0) choose an excerpt; `source` names the item the pair came from; `label` is 1 for a
    pair that fits (the default) and 0 for one the user rejected. Other columns are ignored.
    Relative paths are relative to the TSV's folder; returned paths are absolute.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle, delimiter="\t")
            missing = {"image", "audio"} - set(reader.fieldnames or ())
            if missing:
                raise PairsError(f"{path}: no {' and no '.join(sorted(missing))} column in the header (tab-separated)")
            rows = [(line, row) for line, row in enumerate(reader, start=2)]
    except OSError as err:
        raise PairsError(f"{path}: cannot read the pair list ({err.strerror or err})") from None
    except UnicodeDecodeError:
        raise PairsError(f"{path}: not a UTF-8 text file") from None
    pairs = []
    for line, row in rows:
        image, audio = _cell(row, "image"), _cell(row, "audio")
        if not image or not audio:
            raise PairsError(f"{path}:{line}: a pair needs both an image and an audio path")
        try:
            start, end = _excerpt(_cell(row, "start"), _cell(row, "end"))
            kept = _label(_cell(row, "label"))
        except ValueError as err:
            raise PairsError(f"{path}:{line}: {err}") from None
        image_path, audio_path = (str(listed_path(path.parent / name)) for name in (image, audio))
        pairs.append(Pair(image_path, audio_path, start, end, _cell(row, "source"), kept))
    if not pairs:
        raise PairsError(f"{path}: no pairs in the file")
    return pairs


def _cell(row: dict[str, str | None], column: str) -> str:
    """The stripped text of a column; empty for a missing column or a short row."""
    return (row.get(column) or "").strip()


def _label(text: str) -> bool:
    """True for a kept pair (label 1 or no label), False for a rejected one (0)."""
    if text not in ("", "0", "1"):
        raise ValueError(f"label is 1 (fits) or 0 (rejected), not {text!r}")
    return text != "0"


def _excerpt(start_text: str, end_text: str) -> tuple[float | None, float | None]:
    """The (start, end) seconds of an excerpt, (None, None) for the whole track; ValueError names the problem."""
    if not start_text and not end_text:
        return None, None
    if not start_text or not end_text:
        raise ValueError(f"an excerpt needs both start and end (got only {'start' if start_text else 'end'})")
    start, end = _seconds("start", start_text), _seconds("end", end_text)
    if start < 0:
        raise ValueError(f"start {start_text} is before the beginning of the audio (negative)")
    if end <= start:
        raise ValueError(f"end {end_text} is not after start {start_text}")
    return start, end


def _seconds(column: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{column} {text!r} is not a number of seconds") from None
    if not math.isfinite(value):
        raise ValueError(f"{column} {text!r} is not a number of seconds")
    return value
