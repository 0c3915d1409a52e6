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

    `current(library)` compares a cheap signature of the library (track count, total duration,
    outdated analyses) with the one loaded and reloads when it differs, so an indexer running at
    the same time is picked up without a restart. Reloads happen under a lock; readers keep using
    the previous pair until the new one is ready.
    """

    def __init__(self, library_path: Path, *, model: str | None):
        self.library_path = library_path
        self.model = model
        self._lock = threading.Lock()
        self._signature: tuple | None = None
        self._loaded: tuple[Candidates, Matcher] | None = None

    def current(self, library: Library) -> tuple[Candidates, Matcher]:
        """The candidates and matcher for the library as it is now (ModelError when the model cannot be used)."""
        signature = _signature(library)
        if signature != self._signature or self._loaded is None:
            with self._lock:
                if signature != self._signature or self._loaded is None:
                    candidates = load_candidates(library)
                    _ = candidates.space, candidates.columns  # computed once here, not in the first requests at the same time
                    matcher, _ = load_matcher(self.model, candidates, library, variant=DEFAULT_VARIANT)
                    self._loaded, self._signature = (candidates, matcher), signature
        return self._loaded


def _signature(library: Library) -> tuple:
    stats = library.stats()
    return stats["tracks"], stats["total_duration_seconds"], stats["outdated_analysis"]


def mood_word(*, valence: float, arousal: float) -> str:
    """The mood word whose direction is closest to (valence, arousal); `neutral` near the middle."""
    if np.hypot(valence, arousal) < 0.1:
        return "neutral"
    point = np.array([valence, arousal])
    return max(_DESCRIPTIVE, key=lambda word: float(_DESCRIPTIVE[word] @ point))
