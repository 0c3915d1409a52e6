"""What the server keeps loaded: the library's tracks as candidates and the matcher, reloaded when the library changes."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from picscore.library.store import Library
from picscore.match.candidates import Candidates, load_candidates
from picscore.match.matchers import Matcher
from picscore.match.model_loading import load_matcher
from picscore.match.scoring import DEFAULT_VARIANT
from picscore.match.suggest import MOODS

# Mood words for a picture: the plain ones (the comparatives steer, they do not describe).
_STEERING = frozenset({"calmer", "more energetic", "happier", "sadder"})
_DESCRIPTIVE = {word: np.array(direction) / np.hypot(*direction) for word, direction in MOODS.items() if word not in _STEERING}


class Catalogue:
    """The loaded candidates and matcher for one library file, shared by every request.

    `current(library)` notices changes in two steps: the size and modification time of the library
    file and its write-ahead log (two stat calls, every request); when those moved, a signature of
    the tracks (count, total duration, outdated analyses: a 10k-track library answers in tens of
    ms), and a reload only when that differs. So an indexer running at the same time is picked up
    without a restart, while cached photo features written by uploads cost one signature each.
    """

    def __init__(self, library_path: Path, *, model: str | None):
        self.library_path = library_path
        self.model = model
        self._lock = threading.Lock()
        self._mark: tuple | None = None
        self._signature: tuple | None = None
        self._loaded: tuple[Candidates, Matcher | None] | None = None

    def current(self, library: Library) -> tuple[Candidates, Matcher | None]:
        """The candidates and matcher for the library as it is now (no matcher while it is empty; ModelError when the
        model cannot be used)."""
        mark = _file_mark(library.path)
        if mark != self._mark or self._loaded is None:
            with self._lock:
                if mark != self._mark or self._loaded is None:
                    signature = _signature(library)
                    if signature != self._signature or self._loaded is None:
                        self._loaded, self._signature = _load(library, model=self.model), signature
                    self._mark = mark
        return self._loaded


def _load(library: Library, *, model: str | None) -> tuple[Candidates, Matcher | None]:
    candidates = load_candidates(library)
    if len(candidates) == 0:
        return candidates, None
    _ = candidates.space, candidates.columns  # computed once here, not in the first requests at the same time
    matcher, _ = load_matcher(model, candidates, library, variant=DEFAULT_VARIANT)
    return candidates, matcher


def _file_mark(path: Path) -> tuple:
    """(size, mtime_ns) of the library file and of its write-ahead log, which every commit grows or rewrites."""
    mark = []
    for part in (path, path.with_name(f"{path.name}-wal")):
        try:
            info = part.stat()
            mark.append((info.st_size, info.st_mtime_ns))
        except FileNotFoundError:
            mark.append(None)
    return tuple(mark)


def _signature(library: Library) -> tuple:
    stats = library.stats()
    return stats["tracks"], stats["total_duration_seconds"], stats["outdated_analysis"]


def mood_word(*, valence: float, arousal: float) -> str:
    """The mood word whose direction is closest to (valence, arousal); `neutral` near the middle."""
    if np.hypot(valence, arousal) < 0.1:
        return "neutral"
    point = np.array([valence, arousal])
    return max(_DESCRIPTIVE, key=lambda word: float(_DESCRIPTIVE[word] @ point))
