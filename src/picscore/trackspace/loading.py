"""Where a command gets the library's tracks for matching: the stored track space, or a few tracks fitted in memory."""

from __future__ import annotations

from typing import Any

import numpy as np

from picscore.library.store import Library
from picscore.trackspace.candidates import Candidates, candidates_from_rows, read_tags
from picscore.trackspace.space_cache import cached_candidates


def load_candidates(library: Library, *, paths: list[str] | None = None) -> Candidates:
    """The library's tracks for matching, through the track-space cache beside the library (see
    trackspace/space_cache.py); or only the tracks at `paths`, in that order, with the space fitted on them."""
    if paths is None:
        return cached_candidates(library)
    by_path = {row["path"]: row for row in library.list_tracks()}
    return candidates_of_rows(library, [by_path[p] for p in paths])


def candidates_of_rows(library: Library, rows: list[dict[str, Any]]) -> Candidates:
    """These library rows (summary fields, as Library.list_tracks gives them, whose moods a caller may have replaced) as
    candidates in that order, with their stored tags and the space fitted on them."""
    tags, untagged = read_tags(library, np.array([row["id"] for row in rows], dtype=np.int64))
    return candidates_from_rows(rows, tags, untagged)
