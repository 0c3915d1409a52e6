"""What the server keeps loaded: the library's tracks as candidates and the matcher, reloaded when the library changes."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from picscore.library.store import Library, LibraryVersion
from picscore.match.matchers import Matcher
from picscore.match.model_loading import load_matcher
from picscore.models.zero_shot import DEFAULT_VARIANT
from picscore.trackspace.candidates import Candidates
from picscore.trackspace.loading import load_candidates
from picscore.trackspace.search_index import resolve_kind, search_index

if TYPE_CHECKING:
    from picscore.trackspace.vector_index import VectorIndex


class Catalogue:
    """The loaded candidates and matcher for one library file, shared by every request.

    `current(library)` asks the library for its version (Library.version: one indexed lookup,
    every request) and reloads only when a track was written since. So an indexer running at the
    same time is picked up without a restart, while photo features cached by uploads cost nothing.
    A search index that must be built is built in the background (trackspace/search_index.py): until it
    is ready, requests search exactly, and each asks whether it has appeared (a file check).
    """

    def __init__(self, library_path: Path, *, model: str | None, index: str = "auto"):
        self.library_path = library_path
        self.model = model
        self.index = index
        self._lock = threading.Lock()
        self._version: LibraryVersion | None = None
        self._loaded: Loaded | None = None

    def current(self, library: Library) -> Loaded:
        """The candidates, matcher and search index for the library as it is now (no matcher while it is empty;
        ModelError when the model cannot be used)."""
        version = library.version()
        loaded = self._loaded
        if version != self._version or loaded is None or loaded.awaits_index:
            with self._lock:
                loaded = self._loaded
                if version != self._version or loaded is None:
                    loaded, self._version = _load(library, model=self.model, index=self.index), version
                elif loaded.awaits_index:
                    loaded = loaded.with_index(library)
                self._loaded = loaded
        return loaded


class Loaded(NamedTuple):
    """What suggestions need of a library: its candidates, the matcher (None while empty) and the search index
    (None: exact search)."""

    candidates: Candidates
    matcher: Matcher | None
    kind: str  # the search index kind (trackspace/search_index.py)
    vector_index: VectorIndex | None

    @property
    def awaits_index(self) -> bool:
        """Whether an index is being built in the background (exact search meanwhile)."""
        return self.matcher is not None and self.kind != "exact" and self.vector_index is None

    def with_index(self, library: Library) -> Loaded:
        """The same, with the index if it is ready now (or its builder started again, should it have died)."""
        if self.matcher is None:
            return self
        return self._replace(vector_index=search_index(library, self.candidates, self.matcher, kind=self.kind))


def _load(library: Library, *, model: str | None, index: str) -> Loaded:
    candidates = load_candidates(library)
    if len(candidates) == 0:
        return Loaded(candidates, None, "exact", None)
    matcher, _ = load_matcher(model, candidates, library, variant=DEFAULT_VARIANT)
    return Loaded(candidates, matcher, resolve_kind(index, candidates, matcher), None).with_index(library)
