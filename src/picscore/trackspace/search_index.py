"""The search index of a large library: which kind, kept where, and brought up to date how.

Large libraries answer suggestions from an approximate index of the matcher's track rows
(trackspace/vector_index.py) instead of scoring every row. The index lives in the library's
track-space folder (trackspace/space_cache.py), one file per kind and matcher, beside a note of the
space fit and the library change it reflects:

- current: memory-mapped and searched;
- behind (same fit, an older change): the tracks changed since are removed and added again,
  and it is saved;
- missing, or made for another fit (the space was fitted again, so every row moved): built at
  once where waiting is expected (`picscore library search-index`, `picscore serve`), or
  else in the background by that same command, one builder at a time (a lock file), while
  this query is answered exactly. A background build that failed (an error, or a builder that
  died and left its lock) leaves a mark, and none is started again for BUILDER_RETRY_S, so a
  build that cannot succeed (too little memory) does not start with every query.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from picscore.library.store import Library
from picscore.models.zero_shot import TrackSpace
from picscore.trackspace.candidates import Candidates
from picscore.trackspace.index_kinds import INDEX_KINDS, choose_kind
from picscore.trackspace.space_cache import read_note, write_note

if TYPE_CHECKING:  # FAISS loads only for a library that has, or builds, an approximate index
    from picscore.trackspace.vector_index import VectorIndex

INDEX_CHOICES = ("auto", *INDEX_KINDS)
BUILDER_RETRY_S = 900.0  # after a background build failed, the next waits this long


class RowSource(Protocol):
    """What an index needs of a matcher (match/matchers.py): its track rows, and names for its files and its builder."""

    space: TrackSpace
    model: str | None  # the trained model file, None for zero-shot: the builder loads the same
    index_key: str  # names the track rows of `space` in index files


@dataclass(frozen=True)
class IndexFiles:
    """The index file of one kind and matcher, its note, and its builder's lock (whose failure mark is `failure_mark(lock)`)."""

    index: Path
    note: Path
    lock: Path

    @classmethod
    def of(cls, candidates: Candidates, matcher: RowSource, *, kind: str) -> IndexFiles:
        stem = candidates.stored_origin.folder / f"search-{kind}-{matcher.index_key}"
        return cls(stem.with_suffix(".faiss"), stem.with_suffix(".json"), stem.with_suffix(".lock"))


def resolve_kind(requested: str, candidates: Candidates, matcher: RowSource) -> str:
    """The index kind for `requested` (one of INDEX_CHOICES): "auto" picks by the library's size and row width."""
    if requested not in INDEX_CHOICES:
        raise ValueError(f"unknown index {requested!r}; choose from {', '.join(INDEX_CHOICES)}")
    return choose_kind(len(candidates), dim=matcher.space.features.shape[1]) if requested == "auto" else requested


def search_index(
    library: Library, candidates: Candidates, matcher: RowSource, *, kind: str, build: str = "background"
) -> VectorIndex | None:
    """The index of `kind` for the matcher's rows, current with `candidates`; None means: search exactly.

    `build` says what to do when there is no usable index: "now" builds and stores it before returning,
    "background" starts `picscore library search-index` to do that and returns None.
    """
    if kind == "exact" or len(candidates) == 0 or candidates.origin is None:
        return None
    files = IndexFiles.of(candidates, matcher, kind=kind)
    note = read_note(files.note)
    if note is not None and note["fit_id"] == candidates.stored_origin.fit_id and files.index.exists():
        current = note["change"] == candidates.stored_origin.change
        from picscore.trackspace.vector_index import load_index

        try:
            index = load_index(files.index, mmap=current)
        except (RuntimeError, OSError, ValueError):  # damaged (FAISS raises RuntimeError): built again below
            index = None
        if index is not None:
            return index if current else _updated(library, index, candidates, matcher, files, since=note["change"])
    if build == "now":
        return store_new_index(candidates, matcher, kind=kind)
    _start_builder(library.path, files, kind=kind, model=matcher.model)
    return None


def store_new_index(candidates: Candidates, matcher: RowSource, *, kind: str) -> VectorIndex:
    """Build the index of `kind` over the matcher's rows and store it with its note."""
    from picscore.trackspace.vector_index import build_index

    files = IndexFiles.of(candidates, matcher, kind=kind)
    index = build_index(matcher.space.features, candidates.ids, kind=kind)
    _save(index, files, candidates)
    return index


def _updated(
    library: Library, index: VectorIndex, candidates: Candidates, matcher: RowSource, files: IndexFiles, *, since: int
) -> VectorIndex:
    """The index with the tracks changed after change `since` taken out and put back as they are now."""
    changed = library.changed_since(since)
    index.remove(changed)
    present = candidates.positions_of(changed)
    present = present[present >= 0]
    index.add(matcher.space.features[present], candidates.ids[present])
    _save(index, files, candidates)
    return index


def _save(index: VectorIndex, files: IndexFiles, candidates: Candidates) -> None:
    """Save the index, then its note (a crash between them leaves an old note: the next update redoes those tracks)."""
    with contextlib.suppress(OSError):  # a read-only disk: the index serves this process only
        index.save(files.index)
        write_note(files.note, {"fit_id": candidates.stored_origin.fit_id, "change": candidates.stored_origin.change})
        failure_mark(files.lock).unlink(missing_ok=True)


def failure_mark(lock: Path) -> Path:
    """The file whose time says when the background build with this lock last failed."""
    return lock.with_suffix(".failed")


def mark_build_failed(lock: Path) -> None:
    """Record that the background build holding `lock` failed, so that queries do not start another at once."""
    with contextlib.suppress(OSError):
        failure_mark(lock).touch()


def _failed_lately(lock: Path) -> bool:
    try:
        return time.time() - failure_mark(lock).stat().st_mtime < BUILDER_RETRY_S
    except OSError:
        return False


def _start_builder(library_path: Path, files: IndexFiles, *, kind: str, model: str | None) -> None:
    """Start `picscore library search-index` in its own session, unless a builder holds the lock or one failed lately."""
    if _failed_lately(files.lock) or not _take_lock(files.lock):
        return
    command = [sys.executable, "-m", "picscore", "--library", str(library_path), "library", "search-index", "--index", kind]
    command += ["--model", model or "zero-shot", "--lock", str(files.lock)]
    try:
        builder = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
    except OSError:
        files.lock.unlink(missing_ok=True)
        return
    files.lock.write_text(str(builder.pid))  # the builder holds it now; it removes it when done


def _take_lock(lock: Path) -> bool:
    """Create the lock file (True), or find it held (False); a lock left by a builder that died marks a failed build."""
    try:
        descriptor = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        if not _holder_alive(lock):
            mark_build_failed(lock)
            lock.unlink(missing_ok=True)
        return False
    except OSError:
        return False
    with os.fdopen(descriptor, "w") as handle:
        handle.write(str(os.getpid()))
    return True


def _holder_alive(lock: Path) -> bool:
    try:
        os.kill(int(lock.read_text().strip() or "0"), 0)
    except (OSError, ValueError):
        return False
    return True
