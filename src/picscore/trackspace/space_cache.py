"""The matcher's view of a library, kept beside it, so that a new process starts in milliseconds.

`<library>-space/` holds generations: folders with every track's id, duration, tempo, tag state
and joint-space feature row (.npy files; the features are memory-mapped), their moments and the
fitted Projection. `current.json` names the current generation and the library version
(Library.version) it reflects.

- Current (same library, same change number, same code versions): it is mapped as it is.
- Behind by a few tracks: only the tracks changed since (Library.changed_since) are read and
  projected with the stored projection, and a new generation is written.
- Behind by many (more than REFIT_SHARE of the fitted tracks changed since the fit), small
  (under SMALL_LIBRARY tracks, where a fit is as quick as an update and exact), or made by
  other versions: the projection is fitted again on the whole library, read as arrays.

Writing is best effort: a library on a read-only disk still works, fitted in memory each time.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from picscore.atomic import write_text_atomically
from picscore.audio.music_encoders import MUSIC_ENCODERS
from picscore.library.moods import rescore_moods
from picscore.library.store import Library, LibraryVersion
from picscore.models.zero_shot import SPACE_VERSION, Projection, Tracks, TrackSpace, feature_moments, fit_projection, project_tracks
from picscore.trackspace.candidates import TAG_SOURCES, Candidates, LibraryDetails, SpaceOrigin, read_tags

REFIT_SHARE = 0.1
SMALL_LIBRARY = 5_000
_STATE = "current.json"
_ARRAYS = ("ids", "duration", "bpm", "untagged", "features", "mean", "covariance")


@dataclass(frozen=True, eq=False)
class _Table:
    """One generation's contents."""

    ids: np.ndarray
    duration: np.ndarray
    bpm: np.ndarray
    untagged: np.ndarray
    features: np.ndarray
    mean: np.ndarray
    covariance: np.ndarray
    projection: Projection
    fit_id: str  # a random name of the fit, the same for every generation updated from it
    fitted_tracks: int  # tracks the projection was fitted on
    changed_since_fit: int  # tracks added, changed or removed since


def space_folder(library_path: Path) -> Path:
    """Where the cache of the library at `library_path` lives."""
    return library_path.with_name(f"{library_path.name}-space")


def cached_candidates(library: Library, *, small_library: int = SMALL_LIBRARY) -> Candidates:
    """The library's candidates, from the cache when it is current, updated or refitted (and stored) when not.

    Tracks whose moods are stale (a library indexed by an older picscore) are scored again first (library/moods.py).
    """
    rescore_moods(library)
    version = library.version()  # before any read: a write racing with them is then redone next time, never missed
    folder = space_folder(library.path)
    state = _read_state(folder)
    table = None
    if state is not None and state["library_id"] == version.library_id and state["versions"] == _versions():
        table = _load(folder / state["generation"], state)
        if table is not None and state["change"] == version.change:
            return _candidates(table, library.path, change=version.change)
        if table is not None:
            table = _updated(library, table, since=state["change"], small_library=small_library)
    if table is None:
        table = _fitted(library)
        if table is None:
            return Candidates(*_empty_columns(), space=None, details=LibraryDetails(library.path))
    _store(folder, table, version)
    return _candidates(table, library.path, change=version.change)


def space_status(library: Library) -> dict[str, Any]:
    """What is stored beside the library for suggestions: whether the track space is current, how many tracks
    changed since its fit, and the search indexes kept (trackspace/search_index.py)."""
    folder = space_folder(library.path)
    state = _read_state(folder)
    version = library.version()
    if state is None or state["library_id"] != version.library_id:
        return {"folder": str(folder), "space": "not built yet (the next suggest builds it)", "search_indexes": []}
    current = state["change"] == version.change and state["versions"] == _versions()
    return {
        "folder": str(folder),
        "space": "current" if current else "behind (the next suggest updates it)",
        "fitted_tracks": state["fitted_tracks"],
        "changed_since_fit": state["changed_since_fit"],
        "search_indexes": sorted(path.stem.removeprefix("search-") for path in folder.glob("search-*.faiss")),
    }


def _versions() -> dict[str, Any]:
    return {"space": SPACE_VERSION, "encoders": {name: MUSIC_ENCODERS[name].version for name in TAG_SOURCES}}


def _candidates(table: _Table, library_path: Path, *, change: int) -> Candidates:
    space = TrackSpace(table.features, table.mean, table.covariance, projection=table.projection)
    origin = SpaceOrigin(space_folder(library_path), table.fit_id, change)
    return Candidates(table.ids, table.duration, table.bpm, table.untagged, space, LibraryDetails(library_path), origin)


def _fitted(library: Library) -> _Table | None:
    """Every track read as arrays, the projection fitted on them; None for an empty library."""
    numbers = library.track_numbers()
    if len(numbers["id"]) == 0:
        return None
    tracks, untagged = _tracks(library, numbers)
    projection = fit_projection(tracks)
    features = project_tracks(tracks, projection)
    return _Table(
        numbers["id"], numbers["duration"], numbers["bpm"], untagged, features, *feature_moments(features),
        projection=projection, fit_id=uuid.uuid4().hex, fitted_tracks=len(features), changed_since_fit=0,
    )  # fmt: skip


def _updated(library: Library, table: _Table, *, since: int, small_library: int) -> _Table | None:
    """The table with the tracks changed after change `since` redone in its projection; None when a refit is due."""
    changed = library.changed_since(since)
    if table.fitted_tracks < small_library or table.changed_since_fit + len(changed) > REFIT_SHARE * table.fitted_tracks:
        return None
    numbers = library.track_numbers(changed)
    tracks, untagged = _tracks(library, numbers)
    kept = ~np.isin(table.ids, changed)
    features = np.concatenate([table.features[kept], project_tracks(tracks, table.projection)])
    mean, covariance = feature_moments(features)
    return replace(
        table,
        ids=np.concatenate([table.ids[kept], numbers["id"]]),
        duration=np.concatenate([table.duration[kept], numbers["duration"]]),
        bpm=np.concatenate([table.bpm[kept], numbers["bpm"]]),
        untagged=np.concatenate([table.untagged[kept], untagged]),
        features=features,
        mean=mean,
        covariance=covariance,
        changed_since_fit=table.changed_since_fit + len(changed),
    )


def _tracks(library: Library, numbers: dict[str, np.ndarray]) -> tuple[Tracks, np.ndarray]:
    tags, untagged = read_tags(library, numbers["id"])
    return Tracks(affect=np.stack([numbers["valence"], numbers["arousal"]], axis=1), tags=tags), untagged


def _empty_columns() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """ids, duration, bpm and untagged of no tracks."""
    return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool)


def _read_state(folder: Path) -> dict[str, Any] | None:
    return read_note(folder / _STATE)


def read_note(path: Path) -> dict[str, Any] | None:
    """A JSON note kept in the space folder, or None when it is missing or damaged."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_note(path: Path, note: dict[str, Any]) -> None:
    """Replace a JSON note atomically (picscore/atomic.py): readers see the old note or the new one."""
    write_text_atomically(path, json.dumps(note))


def _load(generation: Path, state: dict[str, Any]) -> _Table | None:
    """A stored generation (features memory-mapped), or None when it is gone or damaged."""
    try:
        arrays = {name: np.load(generation / f"{name}.npy", mmap_mode="r" if name == "features" else None) for name in _ARRAYS}
        with np.load(generation / "projection.npz") as npz:
            projection = Projection.from_arrays({name: npz[name] for name in npz.files})
        counts = {name: state[name] for name in ("fit_id", "fitted_tracks", "changed_since_fit")}
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return _Table(**arrays, projection=projection, **counts)


def _store(folder: Path, table: _Table, version: LibraryVersion) -> None:
    """Write the table as a new generation and point current.json at it; skipped quietly when the disk refuses."""
    try:
        folder.mkdir(exist_ok=True)
        generation = Path(tempfile.mkdtemp(prefix=f"g{version.change}-", dir=folder))
        for name in _ARRAYS:
            np.save(generation / f"{name}.npy", np.ascontiguousarray(getattr(table, name)))
        projection: dict[str, Any] = table.projection.arrays()  # Any: numpy's stubs would match a dict of arrays to allow_pickle
        np.savez(generation / "projection.npz", **projection)
        state = {
            "library_id": version.library_id, "change": version.change, "versions": _versions(), "generation": generation.name,
            "fit_id": table.fit_id, "fitted_tracks": table.fitted_tracks, "changed_since_fit": table.changed_since_fit,
        }  # fmt: skip
        write_note(folder / _STATE, state)
    except OSError:
        return
    _remove_old_generations(folder, keep=generation.name)


def _remove_old_generations(folder: Path, *, keep: str) -> None:
    """Delete the generations no longer current (a process that has one mapped keeps reading it; one about to open
    it finds it gone and fits afresh)."""
    current = (_read_state(folder) or {}).get("generation")
    for other in folder.iterdir():
        if other.is_dir() and other.name not in (keep, current):
            shutil.rmtree(other, ignore_errors=True)
