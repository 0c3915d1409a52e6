"""The library's tracks as the matcher sees them: arrays aligned with the space's rows, details on demand.

A query needs, for every track, only its feature row and the columns the filters read (id,
duration, tempo). Titles, artists and tags are read for the few tracks a suggestion shows or
compares, so a large library never becomes a list of per-track objects.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from picscore.audio.music_encoders import MUSIC_ENCODERS
from picscore.library.store import IntSequence, Library
from picscore.models.zero_shot import TAG_SOURCE_ORDER, Tracks, TrackSpace, prepare_tracks
from picscore.trackspace.id_lookup import IdLookup

# The music encoders whose tags the matcher reads -> their name in the text-space vocabulary.
TAG_SOURCES = dict(zip(("musicnn-mtt", "musicnn-msd"), TAG_SOURCE_ORDER, strict=True))
TAG_WIDTH = 50


class TrackDetails(Protocol):
    """Summary rows and tags of a few tracks, by id."""

    def summaries(self, ids: IntSequence) -> list[dict[str, Any] | None]:
        """The tracks' fields as Library.list_tracks gives them (None: no longer stored)."""
        ...

    def tags(self, ids: IntSequence) -> dict[str, np.ndarray]:
        """ "mtt" / "msd" -> [len(ids), 50] tag probabilities (zeros where a track has none)."""
        ...


@dataclass(frozen=True)
class SpaceOrigin:
    """Where a library's stored track space lives, which fit of it this is, and the library change it reflects."""

    folder: Path
    fit_id: str
    change: int


@dataclass(frozen=True, eq=False)
class Candidates:
    """Every track's id, duration, tempo and tag state as arrays, its row in the joint space, and its details."""

    ids: np.ndarray  # [m] int64 library track ids
    duration: np.ndarray  # [m] float64 seconds
    bpm: np.ndarray  # [m] float64, NaN when unknown
    untagged: np.ndarray  # [m] bool: no current tagger output, so the text components see nothing
    space: TrackSpace | None  # None while the library has no tracks
    details: TrackDetails
    origin: SpaceOrigin | None = None  # None: fitted in memory, not stored

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def joint_space(self) -> TrackSpace:
        """The tracks' rows in the joint space; ValueError while the library has no tracks."""
        if self.space is None:
            raise ValueError("the library has no tracks")
        return self.space

    @property
    def stored_origin(self) -> SpaceOrigin:
        """Where the space is kept beside the library; ValueError for a space fitted in memory only."""
        if self.origin is None:
            raise ValueError("the track space is not stored beside a library")
        return self.origin

    @functools.cached_property
    def _lookup(self) -> IdLookup:
        return IdLookup(self.ids)

    def positions_of(self, ids: np.ndarray) -> np.ndarray:
        """[len(ids)] the position of each track id, -1 for an id not among the candidates."""
        return self._lookup.positions(ids)

    def rows(self, indices: IntSequence) -> list[dict[str, Any] | None]:
        """Summary rows of the tracks at these positions."""
        return self.details.summaries(self.ids[np.asarray(indices, dtype=np.int64)].tolist())

    def tags(self, indices: IntSequence) -> dict[str, np.ndarray]:
        """Tag probabilities of the tracks at these positions, per tagger."""
        return self.details.tags(self.ids[np.asarray(indices, dtype=np.int64)].tolist())


class RowDetails:
    """Details held in memory: for a few tracks (pair lists, tests)."""

    def __init__(self, rows: list[dict[str, Any]], tags: dict[str, np.ndarray]) -> None:
        self._position = {row["id"]: k for k, row in enumerate(rows)}
        self._rows, self._tags = rows, tags

    def summaries(self, ids: IntSequence) -> list[dict[str, Any] | None]:
        return [self._rows[self._position[i]] if i in self._position else None for i in ids]

    def tags(self, ids: IntSequence) -> dict[str, np.ndarray]:
        positions = [self._position[i] for i in ids]
        return {name: values[positions] for name, values in self._tags.items()}


class LibraryDetails:
    """Details read from the library file when asked, through one connection per thread (a server asks from many)."""

    def __init__(self, path: Path) -> None:
        self._path, self._local = path, threading.local()

    def _library(self) -> Library:
        if getattr(self._local, "library", None) is None:
            self._local.library = Library(self._path)
        return self._local.library

    def summaries(self, ids: IntSequence) -> list[dict[str, Any] | None]:
        return self._library().summaries(ids)

    def tags(self, ids: IntSequence) -> dict[str, np.ndarray]:
        return read_tags(self._library(), np.asarray(ids, dtype=np.int64))[0]


def candidates_from_rows(rows: list[dict[str, Any]], tags: dict[str, np.ndarray], untagged: np.ndarray) -> Candidates:
    """Candidates of summary rows (as Library.list_tracks) and their tags, with the space fitted on them."""
    column = {
        name: np.array([row[name] if row[name] is not None else np.nan for row in rows], dtype=np.float64).reshape(-1)
        for name in ("duration", "bpm", "valence", "arousal")
    }
    affect = np.stack([column["valence"], column["arousal"]], axis=1)
    return Candidates(
        ids=np.array([row["id"] for row in rows], dtype=np.int64),
        duration=column["duration"],
        bpm=column["bpm"],
        untagged=untagged,
        space=prepare_tracks(Tracks(affect=affect, tags=tags)),
        details=RowDetails(rows, tags),
    )


def read_tags(library: Library, ids: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """("mtt" / "msd" -> [len(ids), 50] current tag probabilities, zeros where missing; [len(ids)] bool: any missing)."""
    tags, untagged = {}, np.zeros(len(ids), dtype=bool)
    for encoder, source in TAG_SOURCES.items():
        found, values = library.output_matrix(encoder, encoder_version=MUSIC_ENCODERS[encoder].version, track_ids=ids)
        tags[source], present = aligned_rows(ids, found, values, width=TAG_WIDTH)
        untagged |= ~present
    return tags, untagged


def aligned_rows(ids: np.ndarray, found: np.ndarray, values: np.ndarray, *, width: int) -> tuple[np.ndarray, np.ndarray]:
    """[len(ids), width] the `values` rows of `found` ids (sorted) placed at their id's position in `ids`, zeros where
    absent; and [len(ids)] bool which were present."""
    aligned = np.zeros((len(ids), width), dtype=np.float32)
    if len(found) == 0:  # `values` is then [0, 0], not [0, width]
        return aligned, np.zeros(len(ids), dtype=bool)
    where = IdLookup(found, is_sorted=True).positions(ids)
    present = where >= 0
    aligned[present] = values[where[present]]
    return aligned, present
