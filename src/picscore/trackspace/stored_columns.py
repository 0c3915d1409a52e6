"""Extra per-track columns (a trained model's track embeddings) kept beside the library, recomputed only for changed tracks.

A trained matcher adds columns computed from what the library stores of each track; at a million
tracks that is a second or more of reading and a forward pass in every process. They are kept in
the library's track-space folder (trackspace/space_cache.py): `<name>.json` names the files of the
current rows (`<name>-<token>.npy`, memory-mapped, and the track ids of its rows) and the library
change they reflect, so readers never pair one write's rows with another's ids; a later process
computes only the rows of tracks added or changed since.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np

from picscore.library.store import Library
from picscore.trackspace.candidates import Candidates
from picscore.trackspace.id_lookup import IdLookup
from picscore.trackspace.space_cache import read_note, write_note


def stored_columns(library: Library, candidates: Candidates, *, name: str, compute: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """[len(candidates), k] float32 columns for the candidates' tracks in their order: `compute(ids)` gives the rows of
    those track ids; rows stored under `name` for tracks unchanged since are reused."""
    if candidates.origin is None:  # candidates fitted in memory (a pair list): nothing stored
        return np.asarray(compute(candidates.ids), dtype=np.float32)
    folder = candidates.stored_origin.folder
    columns, stale = _reusable(library, candidates, folder, name)
    if columns is not None and not stale.any():
        return columns
    fresh = np.asarray(compute(candidates.ids[stale]), dtype=np.float32)
    if columns is None:
        columns = np.empty((len(candidates), fresh.shape[1]), dtype=np.float32)
    columns[stale] = fresh
    _save(folder, name, columns, candidates)
    return columns


def _reusable(library: Library, candidates: Candidates, folder: Path, name: str) -> tuple[np.ndarray | None, np.ndarray]:
    """The stored rows placed at the candidates' positions (None when nothing usable is stored) and which rows are stale."""
    everything = np.ones(len(candidates), dtype=bool)
    note = read_note(folder / f"{name}.json")
    if note is None:
        return None, everything
    try:
        ids = np.load(folder / f"{name}-{note['token']}-ids.npy")
        stored = np.load(folder / f"{name}-{note['token']}.npy", mmap_mode="r")
    except (OSError, ValueError, KeyError):
        return None, everything
    if len(ids) != len(stored):
        return None, everything
    if note["change"] == candidates.stored_origin.change and np.array_equal(ids, candidates.ids):
        return stored, np.zeros(len(candidates), dtype=bool)  # current: the stored rows, mapped
    where = IdLookup(ids).positions(candidates.ids)
    found = (where >= 0) & ~np.isin(candidates.ids, library.changed_since(note["change"]))
    columns = np.empty((len(candidates), stored.shape[1]), dtype=np.float32)
    columns[found] = stored[where[found]]
    return columns, ~found


def _save(folder: Path, name: str, columns: np.ndarray, candidates: Candidates) -> None:
    """Rows and ids under a new token, then the note naming them; the files the old note named are then removed."""
    token = uuid.uuid4().hex[:12]
    note = folder / f"{name}.json"
    with contextlib.suppress(OSError):  # a read-only disk: computed again next time
        np.save(folder / f"{name}-{token}.npy", columns)
        np.save(folder / f"{name}-{token}-ids.npy", candidates.ids)
        write_note(note, {"change": candidates.stored_origin.change, "token": token})
        for old in folder.glob(f"{name}-*.npy"):
            if token not in old.name:
                old.unlink(missing_ok=True)
