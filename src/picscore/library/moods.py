"""Keeping the library's track moods current: a track whose stored mood is missing, came from an older
head, or from another head than the one its stored inputs now call for (both taggers' outputs, or timbre
statistics, stored since), is scored again from what the library stores (moods/music.py). No audio is decoded."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import numpy as np

from picscore.audio.music_encoders import MUSIC_ENCODERS
from picscore.audio.timbre import TIMBRE_WIDTH
from picscore.library.store import Library
from picscore.moods.music import (
    DESCRIPTORS,
    EMBEDDING_WIDTH,
    FULL_HEAD,
    MUSIC_HEADS,
    TAG_WIDTH,
    TAGGERS,
    TIMBRE_HEAD,
    MusicMoods,
    descriptor_row,
    head_for,
    model_name,
    music_moods,
    stored_fields,
)

_DESCRIPTOR_COLUMNS = (
    "bpm", "tempo_confidence", "key_mode", "key_confidence", "loudness_lufs", "peak_dbfs", "brightness_hz", "energy_curve", "beats",
    "duration",
)  # fmt: skip
_BATCH = 2000
_NOTE = "moods-current"


def stale_moods(library: Library) -> tuple[np.ndarray, np.ndarray]:
    """Ids of the tracks whose stored mood is not what the current heads give them, and the head each now calls for."""
    states = library.mood_states({name: MUSIC_ENCODERS[name].version for name in TAGGERS})
    heads = np.array(
        [head_for(taggers=encoded, timbre=timbre) for encoded, timbre in zip(states.encoded, states.timbre, strict=True)], dtype=object
    )
    stale = np.array([stored != model_name(head) for stored, head in zip(states.models, heads, strict=True)], dtype=bool)
    return states.ids[stale], heads[stale]


def rescore_moods(library: Library) -> int:
    """Score again every track stale_moods finds, a batch per transaction; how many were re-scored.

    When a scan finds nothing stale, the library notes the change number (Library.version) it began at, with the
    heads and encoder versions: while both still hold, the next call reads nothing. (A write racing with a scan
    moves the change number past the note, so the next call scans again.) A library that cannot be written (a
    read-only file) keeps its stored moods: 0 is returned.
    """
    heads = ",".join([model_name(head) for head in MUSIC_HEADS] + [f"{n}:{MUSIC_ENCODERS[n].version}" for n in TAGGERS])
    began = f"{heads}@{library.version().change}"
    if library.note(_NOTE) == began:
        return 0
    ids, track_heads = stale_moods(library)
    try:
        for start in range(0, len(ids), _BATCH):
            batch = ids[start : start + _BATCH]
            library.save_moods(batch, _moods(library, batch, track_heads[start : start + _BATCH]))
        if len(ids) == 0:
            library.set_note(_NOTE, began)
    except sqlite3.OperationalError:  # readonly database
        return 0
    return len(ids)


def descriptor_matrix(library: Library, ids: np.ndarray) -> np.ndarray:
    """[len(ids), len(DESCRIPTORS)] the descriptor rows the music mood heads read (moods/music.py) of stored tracks, by `ids`."""
    rows = {row["id"]: row for row in library.fields(ids, _DESCRIPTOR_COLUMNS)}
    return np.array([descriptor_row(rows[int(i)]) for i in ids]).reshape(-1, len(DESCRIPTORS))


def timbre_matrix(library: Library, ids: np.ndarray) -> np.ndarray:
    """[len(ids), TIMBRE_WIDTH] the stored timbre statistics (audio/timbre.py) of tracks that have them, by `ids`."""
    rows = {row["id"]: row["timbre"] for row in library.fields(ids, ("timbre",))}
    if any(len(rows.get(int(i), ())) != TIMBRE_WIDTH for i in ids):
        raise ValueError("some of these tracks have no timbre statistics: they were analysed before those were stored")
    return np.array([rows[int(i)] for i in ids], dtype=np.float64).reshape(-1, TIMBRE_WIDTH)


def head_moods(library: Library, ids: np.ndarray, head: str) -> MusicMoods:
    """The moods of stored tracks (sorted `ids`) by `head` (moods/music.py MUSIC_HEADS), from what the library stores
    of them; ValueError where some lack what the head reads."""
    taggers = tagger_matrix(library, ids) if head == FULL_HEAD else None
    timbre = timbre_matrix(library, ids) if head == TIMBRE_HEAD else None
    return music_moods(descriptor_matrix(library, ids), taggers, timbre)


def forget_tracks_without_timbre(library: Library, paths: Iterable[str]) -> int:
    """Remove the tracks at these paths that were analysed before timbre statistics were stored, so that the next
    `index_paths` analyses them again (it does so by itself only for tracks whose own mood needs them); how many."""
    wanted = set(paths)
    stale = [known.track_id for path, known in library.known_files().items() if path in wanted and not known.has_timbre]
    return library.remove_tracks(stale) if stale else 0


def _moods(library: Library, ids: np.ndarray, heads: np.ndarray) -> list[dict]:
    """Mood fields of these tracks, each by its head in `heads` (moods/music.py MUSIC_HEADS), in the order of `ids`."""
    fields: list[dict] = [{} for _ in ids]
    for head in MUSIC_HEADS:
        chosen = np.flatnonzero(heads == head)
        if len(chosen) == 0:
            continue
        for position, value in zip(chosen, stored_fields(head_moods(library, ids[chosen], head)), strict=True):
            fields[position] = value
    return fields


def tagger_matrix(library: Library, ids: np.ndarray) -> np.ndarray:
    """[len(ids), 500] the stored embeddings of TAGGERS side by side, then their tags, of tracks (sorted ids) that have both."""
    columns = []
    for output, width in (("embedding", EMBEDDING_WIDTH), ("tags", TAG_WIDTH)):
        for name in TAGGERS:
            found, values = library.output_matrix(name, encoder_version=MUSIC_ENCODERS[name].version, output=output, track_ids=ids)
            if not np.array_equal(found, ids) or values.shape[1] != width:
                raise ValueError(f"the library lost {name} outputs of some tracks while their moods were computed")
            columns.append(values)
    return np.hstack(columns)
