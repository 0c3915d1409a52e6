"""What the server keeps loaded: the library's tracks as candidates and the matcher, reloaded when the library changes."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from picscore.library.store import Library, LibraryVersion
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

    `current(library)` asks the library for its version (Library.version: one indexed lookup,
    every request) and reloads only when a track was written since. So an indexer running at the
    same time is picked up without a restart, while photo features cached by uploads cost nothing.
    """

    def __init__(self, library_path: Path, *, model: str | None):
        self.library_path = library_path
        self.model = model
        self._lock = threading.Lock()
        self._version: LibraryVersion | None = None
        self._loaded: tuple[Candidates, Matcher | None] | None = None

    def current(self, library: Library) -> tuple[Candidates, Matcher | None]:
        """The candidates and matcher for the library as it is now (no matcher while it is empty; ModelError when the
        model cannot be used)."""
        version = library.version()
        if version != self._version or self._loaded is None:
            with self._lock:
                if version != self._version or self._loaded is None:
                    self._loaded, self._version = _load(library, model=self.model), version
        return self._loaded


def _load(library: Library, *, model: str | None) -> tuple[Candidates, Matcher | None]:
    candidates = load_candidates(library)
    if len(candidates) == 0:
        return candidates, None
    matcher, _ = load_matcher(model, candidates, library, variant=DEFAULT_VARIANT)
    return candidates, matcher


def mood_word(*, valence: float, arousal: float) -> str:
    """The mood word whose direction is closest to (valence, arousal); `neutral` near the middle."""
    if np.hypot(valence, arousal) < 0.1:
        return "neutral"
    point = np.array([valence, arousal])
    return max(_DESCRIPTIVE, key=lambda word: float(_DESCRIPTIVE[word] @ point))
