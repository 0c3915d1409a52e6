"""Pair lists: a TSV of pictures and the music that goes with them."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path


class PairsError(Exception):
    """The pair file cannot be used; the message names the file and the cause."""


@dataclass(frozen=True)
class Pair:
    image: str
    audio: str


def read_pairs(path: str | Path) -> list[Pair]:
    """Pairs from a TSV with a header holding `image` and `audio` columns (other columns ignored).

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
        image, audio = (row.get("image") or "").strip(), (row.get("audio") or "").strip()
        if not image or not audio:
            raise PairsError(f"{path}:{line}: a pair needs both an image and an audio path")
        pairs.append(Pair(str((path.parent / image).resolve()), str((path.parent / audio).resolve())))
    if not pairs:
        raise PairsError(f"{path}: no pairs in the file")
    return pairs
