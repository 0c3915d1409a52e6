"""Parsers of game data packages whose authors chose the music for a picture; `tools/build_more_pairs.py` runs them.

Each module names its Debian packages (`PACKAGES`) and has `pairs(root, made, skips)`: the pairs found under `root`
(the unpacked packages), with pictures or audio it had to make written under `made`, and what it left out in `skips`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from build_pairs import Pair, Skips

REPEATED_PAIR = "same picture and music as an earlier level"


def drop_repeated_pairs(pairs: Iterable[Pair], skips: Skips) -> list[Pair]:
    """The pairs sorted by source, each (image, audio) kept for its first level only; later levels are counted in skips.

    Levels of one area often share picture and music; a repeated pair would weigh that pair more in an evaluation
    without telling anything new.
    """
    first: dict[tuple[Path, Path], Pair] = {}
    for pair in sorted(pairs, key=lambda p: p.source):
        key = (pair.image, pair.audio)
        if key in first:
            skips.add(REPEATED_PAIR, f"{pair.source} (as {first[key].source})")
        else:
            first[key] = pair
    return list(first.values())
