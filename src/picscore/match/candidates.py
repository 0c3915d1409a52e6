"""The library's tracks as the matcher sees them: one table, rows aligned with score columns."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from picscore.audio.music_encoders import MUSIC_ENCODERS
from picscore.library.store import Library
from picscore.match.scoring import Tracks, TrackSpace, prepare_tracks

# The music encoders whose tags the matcher reads -> their name in the text-space vocabulary.
TAG_SOURCES = {"musicnn-mtt": "mtt", "musicnn-msd": "msd"}


@dataclass(frozen=True, eq=False)
class Candidates:
    """Every track's summary row (as Library.list_tracks), its matcher inputs, and which lack tags."""

    rows: list[dict[str, Any]]
    tracks: Tracks
    untagged: np.ndarray  # bool [m]: no current encoder output, so the text components see nothing

    @functools.cached_property
    def columns(self) -> dict[str, np.ndarray]:
        """id, duration and bpm of every track as arrays, for fast filtering."""
        return {
            name: np.array([row[name] if row[name] is not None else np.nan for row in self.rows], dtype=np.float64)
            for name in ("id", "duration", "bpm")
        }

    @functools.cached_property
    def space(self) -> TrackSpace:
        """The tracks projected into the joint space, once."""
        return prepare_tracks(self.tracks)

    def __len__(self) -> int:
        return len(self.rows)


def load_candidates(library: Library, *, paths: list[str] | None = None) -> Candidates:
    """The library's tracks (or only those at `paths`, in that order) for matching."""
    rows = library.list_tracks()
    if paths is not None:
        by_path = {row["path"]: row for row in rows}
        rows = [by_path[p] for p in paths]
    ids = [row["id"] for row in rows]
    tags, untagged = {}, np.zeros(len(rows), dtype=bool)
    for encoder, words in TAG_SOURCES.items():
        stored = library.outputs_of_all_tracks(encoder, encoder_version=MUSIC_ENCODERS[encoder].version)
        tags[words] = np.stack([stored.get(i, np.zeros(50, dtype=np.float32)) for i in ids]) if ids else np.zeros((0, 50))
        untagged |= np.array([i not in stored for i in ids], dtype=bool)
    affect = np.array([[row["valence"], row["arousal"]] for row in rows], dtype=np.float64).reshape(-1, 2)
    return Candidates(rows=rows, tracks=Tracks(affect=affect, tags=tags), untagged=untagged)
