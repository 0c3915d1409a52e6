"""The library's SQLite file: schema, and every read and write the rest of picscore makes.

WAL mode, one transaction per change: a process killed at any moment leaves each track
either fully stored or absent. Field names follow beets where one exists (`bpm`,
`initial_key`, `title`, `artist`, `album`, `genre`, `year`).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from picscore.audio import ANALYSIS_VERSION
from picscore.library.compact import compact_arrays

# Track ids (or positions) as a list or as a NumPy integer array.
IntSequence = Sequence[int] | np.ndarray

SCHEMA_VERSION = 8  # 2: track_encodings and image_features; 3: feedback; 4: track_changes; 5: tracks.mood_quadrants, mood_model;
# 6: beets_fields; 7: float16 encodings and energy curves (library/compact.py); 8: tracks.timbre

# Every write to a track or its encodings records the track in track_changes under a new, higher
# change number, so caches derived from the library (the matcher's track space) know whether they
# are current and which tracks to redo, without reading the library.
_CHANGE_TRIGGERS = "".join(
    f"""
CREATE TRIGGER IF NOT EXISTS {table}_{event.lower()}d AFTER {event} ON {table} BEGIN
    INSERT INTO track_changes VALUES ({row}.{column}, (SELECT coalesce(max(change), 0) + 1 FROM track_changes))
        ON CONFLICT (track_id) DO UPDATE SET change = excluded.change;
END;"""
    for table, column in (("tracks", "id"), ("track_encodings", "track_id"))
    for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tracks (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    analysis_version INTEGER NOT NULL,
    title TEXT, artist TEXT, album TEXT, genre TEXT, year TEXT,
    codec TEXT, container TEXT, source_sample_rate INTEGER, channels INTEGER, bit_rate INTEGER,
    duration REAL NOT NULL,
    bpm REAL, tempo_confidence REAL, beats BLOB,
    initial_key TEXT, key_tonic TEXT, key_mode TEXT, key_confidence REAL,
    loudness_lufs REAL, peak_dbfs REAL, energy_curve BLOB, brightness_hz REAL,
    highlight_start REAL, highlight_end REAL,
    valence REAL, arousal REAL,
    indexed_at TEXT NOT NULL,
    mood_quadrants BLOB, mood_model TEXT, timbre BLOB
);
CREATE INDEX IF NOT EXISTS tracks_fingerprint ON tracks (fingerprint);
CREATE TABLE IF NOT EXISTS track_encodings (
    track_id INTEGER NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
    encoder TEXT NOT NULL,
    encoder_version INTEGER NOT NULL,
    tags BLOB NOT NULL,
    tag_curve BLOB NOT NULL,
    embedding BLOB NOT NULL,
    patch_seconds REAL NOT NULL,
    PRIMARY KEY (track_id, encoder)
);
CREATE TABLE IF NOT EXISTS image_features (
    content_hash TEXT NOT NULL,
    encoder TEXT NOT NULL,
    encoder_version INTEGER NOT NULL,
    features BLOB NOT NULL,
    probabilities BLOB NOT NULL,
    PRIMARY KEY (content_hash, encoder)
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    photo_path TEXT NOT NULL,
    photo_hash TEXT NOT NULL,
    track_id INTEGER REFERENCES tracks (id) ON DELETE SET NULL,
    track_path TEXT NOT NULL,
    kept INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS errors (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    error TEXT NOT NULL,
    failed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS track_changes (track_id INTEGER PRIMARY KEY, change INTEGER NOT NULL);
-- What a beets library says of a file (library/beets.py), as JSON, shown beside picscore's own values.
CREATE TABLE IF NOT EXISTS beets_fields (path TEXT PRIMARY KEY, fields TEXT NOT NULL, read_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS track_changes_change ON track_changes (change);
"""

# The tables that grow with the number of tracks, whose size `library stats` shows a track.
_PER_TRACK_TABLES = ("tracks", "track_encodings", "track_changes")

TRACK_COLUMNS = (
    "path", "size", "mtime_ns", "fingerprint", "analysis_version",
    "title", "artist", "album", "genre", "year",
    "codec", "container", "source_sample_rate", "channels", "bit_rate",
    "duration", "bpm", "tempo_confidence", "beats",
    "initial_key", "key_tonic", "key_mode", "key_confidence",
    "loudness_lufs", "peak_dbfs", "energy_curve", "brightness_hz",
    "highlight_start", "highlight_end", "valence", "arousal", "indexed_at", "mood_quadrants", "mood_model", "timbre",
)  # fmt: skip
# The meta key that says a migration freed pages which a VACUUM has yet to give back.
_VACUUM_DUE = "vacuum_due"
# Columns an older schema lacks (before 5, before 8), added to its tracks table when it is opened.
_ADDED_COLUMNS = {"mood_quadrants": "BLOB", "mood_model": "TEXT", "timbre": "BLOB"}
# Each array column's stored type. Beats stay float32: float16 steps are 0.125 s past two minutes. Tags, tag curves,
# embeddings, energy curves and timbre statistics are float16: 3 decimal digits, more than their use needs (bench/library_size.py
# measures suggest's ranking and the moods on both), in half the bytes.
ARRAY_DTYPES = {"beats": "<f4", "energy_curve": "<f2", "mood_quadrants": "<f4", "timbre": "<f2"}
ENCODING_DTYPE = "<f2"
_ENCODING_ARRAYS = ("tags", "tag_curve", "embedding")  # an encoder record's arrays, stored as ENCODING_DTYPE
SUMMARY_COLUMNS = (
    "id", "path", "title", "artist", "album", "genre", "year", "duration", "bpm", "initial_key",
    "loudness_lufs", "valence", "arousal", "highlight_start", "highlight_end",
)  # fmt: skip
_NUMBER_COLUMNS = ("id", "duration", "bpm", "valence", "arousal")
_HAS_TIMBRE = "coalesce(length(timbre), 0) > 0 AS has_timbre"  # a copy of a track without them stores an empty blob
_BATCH = 500  # ids per `IN (...)` query, under SQLite's variable limit
_SCAN_ABOVE = 10_000  # more ids than this: one pass over the table beats their lookups


class LibraryError(Exception):
    """The library file cannot be opened or is not a picscore library."""


@dataclass(frozen=True)
class LibraryVersion:
    """Which library (a random id made when it was created) at which change: equal versions hold equal tracks."""

    library_id: str
    change: int


@dataclass(frozen=True)
class KnownFile:
    """What the library remembers of a path, to decide whether it needs work."""

    track_id: int
    path: str
    size: int
    mtime_ns: int
    fingerprint: str
    analysis_version: int
    encoder_versions: dict[str, int] = field(default_factory=dict)
    has_timbre: bool = True  # False for a track analysed before timbre statistics were stored (schema 8)


@dataclass(frozen=True, eq=False)
class MoodStates:
    """What decides each track's music mood head (moods/music.py), for m tracks in id order."""

    ids: np.ndarray  # [m] int64
    models: list[str | None]  # the stored mood_model
    encoded: np.ndarray  # [m] bool: the asked encoders' outputs are all stored at their versions
    timbre: np.ndarray  # [m] bool: timbre statistics are stored


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def encode_array(values: np.ndarray, *, dtype: str = "<f4") -> bytes:
    return np.asarray(values, dtype=dtype).tobytes()


def decode_array(blob: bytes | None, *, dtype: str = "<f4") -> np.ndarray:
    """A stored array as float32, whatever its stored type."""
    return np.frombuffer(blob or b"", dtype=dtype).astype(np.float32)


def as_stored(row: Mapping[str, Any], encodings: Mapping[str, Mapping[str, Any]]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """A track row and its encodings with each array at the precision the library stores it in, as reading them back
    gives them (float32): a mood computed from these is the one re-scoring computes from the library."""
    stored_row = {
        name: np.asarray(value, dtype=ARRAY_DTYPES[name]).astype(np.float32) if name in ARRAY_DTYPES and value is not None else value
        for name, value in row.items()
    }
    stored_encodings = {
        name: {**encoding, **{k: np.asarray(encoding[k], dtype=ENCODING_DTYPE).astype(np.float32) for k in _ENCODING_ARRAYS}}
        for name, encoding in encodings.items()
    }
    return stored_row, stored_encodings


def track_values(row: Mapping[str, Any]) -> list[Any]:
    """A track row's values in TRACK_COLUMNS order, its arrays encoded as stored."""
    return [
        encode_array(row[c], dtype=ARRAY_DTYPES[c]) if c in ARRAY_DTYPES and row.get(c) is not None else row.get(c) for c in TRACK_COLUMNS
    ]


class Library:
    """A picscore music library stored in one SQLite file."""

    def __init__(self, path: str | Path):
        self.path = Path(path).expanduser()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(_SCHEMA + _CHANGE_TRIGGERS)  # idempotent: every statement is IF NOT EXISTS
            with self.transaction():
                vacuum_due = self._check_schema()
            if vacuum_due:
                self._db.execute("VACUUM")  # give back the pages the halved arrays freed; atomic, like the migration
                with self.transaction() as db:
                    db.execute("DELETE FROM meta WHERE key = ?", (_VACUUM_DUE,))
        except sqlite3.DatabaseError as err:
            raise LibraryError(f"{self.path}: not a usable picscore library ({err})") from None
        except OSError as err:
            raise LibraryError(f"{self.path}: cannot open the library ({err.strerror})") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception (KeyboardInterrupt too)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _check_schema(self) -> bool:
        """Bring an older library's schema up to date (in the caller's transaction); whether a VACUUM is due.

        One is due when arrays were compacted, now or by an opening killed before its VACUUM ended: the migration
        notes it in the same transaction, and the VACUUM's end clears the note.
        """
        row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is not None and int(row[0]) > SCHEMA_VERSION:
            raise LibraryError(f"{self.path}: made by a newer picscore (schema {row[0]}); upgrade picscore")
        # Older schemas lack tables, which the idempotent script has just added, and columns, added here. Written
        # only when it changes, so that opening a current library writes nothing (a server opens one per thread).
        if row is None or int(row[0]) != SCHEMA_VERSION:
            present = {column["name"] for column in self._db.execute("PRAGMA table_info(tracks)")}
            for name, kind in _ADDED_COLUMNS.items():
                if name not in present:
                    self._db.execute(f"ALTER TABLE tracks ADD COLUMN {name} {kind}")
            if row is not None and compact_arrays(self._db) > 0:
                self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, '1')", (_VACUUM_DUE,))
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        if self._db.execute("SELECT 1 FROM meta WHERE key='library_id'").fetchone() is None:
            self._db.execute("INSERT INTO meta VALUES ('library_id', ?)", (uuid.uuid4().hex,))
        return self._db.execute("SELECT 1 FROM meta WHERE key = ?", (_VACUUM_DUE,)).fetchone() is not None

    # --- what the indexer asks -------------------------------------------------------------

    def known_files(self) -> dict[str, KnownFile]:
        versions: dict[int, dict[str, int]] = {}
        for r in self._db.execute("SELECT track_id, encoder, encoder_version FROM track_encodings"):
            versions.setdefault(r["track_id"], {})[r["encoder"]] = r["encoder_version"]
        rows = self._db.execute(f"SELECT id, path, size, mtime_ns, fingerprint, analysis_version, {_HAS_TIMBRE} FROM tracks")
        return {r["path"]: _known_file(r, versions.get(r["id"], {})) for r in rows}

    def failed_files(self) -> dict[str, tuple[int, int]]:
        """Path -> (size, mtime_ns) of files whose last attempt failed."""
        return {r["path"]: (r["size"], r["mtime_ns"]) for r in self._db.execute("SELECT path, size, mtime_ns FROM errors")}

    def tracks_with_fingerprint(self, fingerprint: str, *, analysis_version: int) -> list[KnownFile]:
        rows = self._db.execute(
            f"SELECT id, path, size, mtime_ns, fingerprint, analysis_version, {_HAS_TIMBRE} FROM tracks"
            " WHERE fingerprint = ? AND analysis_version = ? ORDER BY id",
            (fingerprint, analysis_version),
        )
        return [_known_file(r) for r in rows]

    # --- writes (each one transaction) ------------------------------------------------------

    def save_track(self, row: dict[str, Any], encodings: Mapping[str, dict[str, Any]] | None = None) -> int:
        """Insert or replace the track at row['path'] with its encodings, in one transaction.

        Clears any error recorded for the path. `encodings` maps an encoder name to a dict
        with encoder_version, tags, tag_curve (n_patches x n_tags), embedding, patch_seconds.
        """
        values = track_values({**row, "indexed_at": row.get("indexed_at") or utc_now()})
        columns = ", ".join(TRACK_COLUMNS)
        updates = ", ".join(f"{c}=excluded.{c}" for c in TRACK_COLUMNS if c != "path")
        with self.transaction() as db:
            previous = db.execute("SELECT id, fingerprint FROM tracks WHERE path = ?", (row["path"],)).fetchone()
            if previous and previous["fingerprint"] != row["fingerprint"]:  # new content: old encodings describe nothing
                db.execute("DELETE FROM track_encodings WHERE track_id = ?", (previous["id"],))
            db.execute(
                f"INSERT INTO tracks ({columns}) VALUES ({', '.join('?' * len(TRACK_COLUMNS))}) ON CONFLICT(path) DO UPDATE SET {updates}",
                values,
            )
            db.execute("DELETE FROM errors WHERE path = ?", (row["path"],))
            track_id = db.execute("SELECT id FROM tracks WHERE path = ?", (row["path"],)).fetchone()[0]
            self._write_encodings(db, track_id, encodings or {})
            return track_id

    def save_encodings(self, track_id: int, encodings: Mapping[str, dict[str, Any]]) -> None:
        """Store (or replace) a track's encodings, e.g. after an encoder upgrade."""
        with self.transaction() as db:
            self._write_encodings(db, track_id, encodings)

    @staticmethod
    def _write_encodings(db: sqlite3.Connection, track_id: int, encodings: Mapping[str, dict[str, Any]]) -> None:
        db.executemany(
            "INSERT OR REPLACE INTO track_encodings VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    track_id,
                    name,
                    e["encoder_version"],
                    encode_array(e["tags"], dtype=ENCODING_DTYPE),
                    encode_array(e["tag_curve"], dtype=ENCODING_DTYPE),
                    encode_array(e["embedding"], dtype=ENCODING_DTYPE),
                    e["patch_seconds"],
                )
                for name, e in encodings.items()
            ],
        )

    def get_encodings(self, track_id: int) -> dict[str, dict[str, Any]]:
        """Encoder name -> its stored tags, tag curve (n_patches x n_tags), embedding and version."""
        encodings = {}
        for r in self._db.execute("SELECT * FROM track_encodings WHERE track_id = ?", (track_id,)):
            tags = decode_array(r["tags"], dtype=ENCODING_DTYPE)
            encodings[r["encoder"]] = {
                "encoder_version": r["encoder_version"],
                "tags": tags,
                "tag_curve": decode_array(r["tag_curve"], dtype=ENCODING_DTYPE).reshape(-1, len(tags)),
                "embedding": decode_array(r["embedding"], dtype=ENCODING_DTYPE),
                "patch_seconds": r["patch_seconds"],
            }
        return encodings

    def relocate_track(self, track_id: int, *, path: str, size: int, mtime_ns: int) -> None:
        """Point an analysed track at its new path (a move or rename, same content)."""
        with self.transaction() as db:
            db.execute("DELETE FROM tracks WHERE path = ? AND id != ?", (path, track_id))
            db.execute("UPDATE tracks SET path = ?, size = ?, mtime_ns = ? WHERE id = ?", (path, size, mtime_ns, track_id))
            db.execute("DELETE FROM errors WHERE path = ?", (path,))

    def copy_track(self, track_id: int, *, path: str, size: int, mtime_ns: int) -> int:
        """Store a second file with the same content as `track_id` without analysing it again."""
        source = self.get_track(track_id)
        if source is None:
            raise KeyError(track_id)
        source.update(path=path, size=size, mtime_ns=mtime_ns, indexed_at=utc_now())
        return self.save_track(source, self.get_encodings(track_id))

    def save_error(self, *, path: str, size: int, mtime_ns: int, error: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO errors VALUES (?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET"
                " size=excluded.size, mtime_ns=excluded.mtime_ns, error=excluded.error, failed_at=excluded.failed_at",
                (path, size, mtime_ns, error, utc_now()),
            )

    def save_beets_fields(self, fields_by_path: Mapping[str, Mapping[str, Any]]) -> None:
        """Keep what a beets library says of each file (beets's bpm, initial_key, mood, title...), replacing earlier reads."""
        now = utc_now()
        with self.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO beets_fields VALUES (?, ?, ?)",
                [(path, json.dumps(dict(fields)), now) for path, fields in fields_by_path.items()],
            )

    def beets_fields(self, path: str) -> dict[str, Any]:
        """What beets said of the file at `path` when last read ({} if nothing)."""
        row = self._db.execute("SELECT fields FROM beets_fields WHERE path = ?", (path,)).fetchone()
        return json.loads(row[0]) if row else {}

    def note(self, key: str) -> str | None:
        """A value a derived computation keeps in the library's meta table (None when absent)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (f"note:{key}",)).fetchone()
        return row[0] if row else None

    def set_note(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (f"note:{key}", value))

    def mood_states(self, encoder_versions: Mapping[str, int]) -> MoodStates:
        """Every track's id, stored mood_model, whether all of these encoders' outputs are stored at these versions
        (what the full mood head reads) and whether its timbre statistics are, in id order."""
        wanted = " OR ".join("(encoder = ? AND encoder_version = ?)" for _ in encoder_versions)
        current = f"SELECT count(*) FROM track_encodings WHERE track_id = tracks.id AND ({wanted})"
        rows = self._db.execute(
            f"SELECT id, mood_model, ({current}), {_HAS_TIMBRE} FROM tracks ORDER BY id",
            [value for pair in encoder_versions.items() for value in pair],
        ).fetchall()
        return MoodStates(
            ids=np.array([r[0] for r in rows], dtype=np.int64),
            models=[r[1] for r in rows],
            encoded=np.array([r[2] == len(encoder_versions) for r in rows], dtype=bool),
            timbre=np.array([bool(r[3]) for r in rows], dtype=bool),
        )

    def fields(self, track_ids: IntSequence, columns: Sequence[str]) -> list[dict[str, Any]]:
        """`columns` of these tracks (arrays decoded), in id order; ids not stored are left out."""
        unknown = set(columns) - set(TRACK_COLUMNS)
        if unknown:
            raise ValueError(f"no track columns {sorted(unknown)}")
        rows = self._rows_of_ids(f"SELECT id, {', '.join(columns)} FROM tracks WHERE id IN", track_ids)
        return [_track_dict(row) for row in rows]

    def save_moods(self, track_ids: IntSequence, moods: Sequence[Mapping[str, Any]]) -> None:
        """Store each track's valence, arousal, mood_quadrants and mood_model, in one transaction."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE tracks SET valence = ?, arousal = ?, mood_quadrants = ?, mood_model = ? WHERE id = ?",
                [
                    (
                        m["valence"],
                        m["arousal"],
                        encode_array(m["mood_quadrants"], dtype=ARRAY_DTYPES["mood_quadrants"]),
                        m["mood_model"],
                        int(i),
                    )
                    for i, m in zip(track_ids, moods, strict=True)
                ],
            )

    def image_features(self, content_hash: str, *, encoder: str, encoder_version: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Cached (features, probabilities) of the image with this content hash, if current."""
        row = self._db.execute(
            "SELECT features, probabilities FROM image_features WHERE content_hash = ? AND encoder = ? AND encoder_version = ?",
            (content_hash, encoder, encoder_version),
        ).fetchone()
        return (decode_array(row["features"]), decode_array(row["probabilities"])) if row else None

    def save_image_features(
        self, content_hash: str, *, encoder: str, encoder_version: int, features: np.ndarray, probabilities: np.ndarray
    ) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO image_features VALUES (?, ?, ?, ?, ?)",
                (content_hash, encoder, encoder_version, encode_array(features), encode_array(probabilities)),
            )

    def remove_tracks(self, track_ids: Iterable[int]) -> int:
        ids = list(track_ids)
        with self.transaction() as db:
            db.executemany("DELETE FROM tracks WHERE id = ?", [(i,) for i in ids])
        return len(ids)

    def clear_errors(self, paths: Iterable[str]) -> None:
        with self.transaction() as db:
            db.executemany("DELETE FROM errors WHERE path = ?", [(p,) for p in paths])

    # --- what users ask ---------------------------------------------------------------------

    def get_track(self, track_id: int) -> dict[str, Any] | None:
        row = self._db.execute(f"SELECT id, {', '.join(TRACK_COLUMNS)} FROM tracks WHERE id = ?", (track_id,)).fetchone()
        return _track_dict(row) if row else None

    def known_track(self, track_id: int) -> dict[str, Any]:
        """get_track of a track that must be there (one just listed or suggested); LookupError if it is not."""
        track = self.get_track(track_id)
        if track is None:
            raise LookupError(f"no track {track_id} in {self.path}")
        return track

    def list_tracks(self) -> list[dict[str, Any]]:
        """Every track's summary fields (no arrays), in path order."""
        return [dict(r) for r in self._db.execute(f"SELECT {', '.join(SUMMARY_COLUMNS)} FROM tracks ORDER BY path")]

    def summaries(self, track_ids: IntSequence) -> list[dict[str, Any] | None]:
        """The summary fields (as list_tracks) of these tracks, in the order given; None for an id not stored."""
        found = {r["id"]: dict(r) for r in self._rows_of_ids(f"SELECT {', '.join(SUMMARY_COLUMNS)} FROM tracks WHERE id IN", track_ids)}
        return [found.get(int(i)) for i in track_ids]

    def track_numbers(self, track_ids: IntSequence | None = None) -> dict[str, np.ndarray]:
        """id (int64), duration, bpm, valence and arousal (float64, NaN when unknown) of every track (or of
        those of `track_ids` still stored) in id order, as arrays: no per-track objects, for large libraries."""
        columns = ", ".join(f"ifnull({c}, 'nan')" for c in _NUMBER_COLUMNS)  # 'nan' converts to a float NaN
        if track_ids is None:
            rows = self._db.execute(f"SELECT {columns} FROM tracks ORDER BY id").fetchall()
        else:
            rows = self._rows_of_ids(f"SELECT {columns} FROM tracks WHERE id IN", track_ids)
        table = np.array(rows, dtype=np.float64).reshape(-1, len(_NUMBER_COLUMNS))
        return {name: table[:, k].astype(np.int64) if name == "id" else table[:, k] for k, name in enumerate(_NUMBER_COLUMNS)}

    def output_matrix(
        self, encoder: str, *, encoder_version: int, output: str = "tags", track_ids: IntSequence | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(ids [k] int64, outputs [k, width] float32) of the tracks (all, or those of `track_ids`) that have this
        encoder's output at this version, in id order; one blob join, no per-track arrays."""
        if output not in ("tags", "embedding"):
            raise ValueError(f"output is tags or embedding, not {output!r}")
        query = f"SELECT track_id, {output} FROM track_encodings WHERE encoder = ? AND encoder_version = ?"
        if track_ids is None or len(track_ids) > _SCAN_ABOVE:
            rows = self._db.execute(query + " ORDER BY track_id", (encoder, encoder_version)).fetchall()
        else:
            rows = self._rows_of_ids(query + " AND track_id IN", track_ids, params=(encoder, encoder_version))
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        values = decode_array(b"".join(r[1] for r in rows), dtype=ENCODING_DTYPE)
        values = values.reshape(len(ids), -1) if len(ids) else values.reshape(0, 0)
        if track_ids is not None and len(track_ids) > _SCAN_ABOVE:
            wanted = np.isin(ids, np.asarray(track_ids, dtype=np.int64))
            ids, values = ids[wanted], values[wanted]
        return ids, values

    def _rows_of_ids(self, query: str, track_ids: IntSequence, *, params: tuple = ()) -> list[sqlite3.Row]:
        """`query` ending in "IN", completed with a batch of ids at a time; rows sorted by their first column."""
        rows = []
        for batch in _batches(track_ids):
            rows += self._db.execute(f"{query} ({', '.join('?' * len(batch))})", (*params, *batch)).fetchall()
        return sorted(rows, key=lambda r: r[0])

    def version(self) -> LibraryVersion:
        """This library's identity and its latest change: a cheap test of whether anything was written."""
        library_id = self._db.execute("SELECT value FROM meta WHERE key='library_id'").fetchone()[0]
        return LibraryVersion(library_id, self._db.execute("SELECT coalesce(max(change), 0) FROM track_changes").fetchone()[0])

    def changed_since(self, change: int) -> np.ndarray:
        """[k] int64 ids of the tracks written, re-encoded or removed after `change` (see version())."""
        rows = self._db.execute("SELECT track_id FROM track_changes WHERE change > ? ORDER BY track_id", (change,))
        return np.array([r[0] for r in rows], dtype=np.int64)

    def add_feedback(self, *, photo_path: str, photo_hash: str, track_id: int, kept: bool) -> None:
        """Record that the user kept (or rejected) a track for a photo; the latest word on a photo and track wins."""
        track = self.get_track(track_id)
        if track is None:
            raise LibraryError(f"{self.path}: no track {track_id}")
        with self.transaction() as db:
            db.execute("DELETE FROM feedback WHERE photo_hash = ? AND track_path = ?", (photo_hash, track["path"]))
            db.execute(
                "INSERT INTO feedback (photo_path, photo_hash, track_id, track_path, kept, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (photo_path, photo_hash, track_id, track["path"], int(kept), utc_now()),
            )

    def feedback(self) -> list[dict[str, Any]]:
        """Every feedback row, oldest first: photo_path, photo_hash, track_id, track_path, kept (bool), created_at."""
        rows = self._db.execute("SELECT photo_path, photo_hash, track_id, track_path, kept, created_at FROM feedback ORDER BY id")
        return [{**dict(r), "kept": bool(r["kept"])} for r in rows]

    def errors(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self._db.execute("SELECT path, error, failed_at FROM errors ORDER BY path")]

    def missing_tracks(self) -> list[dict[str, Any]]:
        """Tracks whose file is no longer on disk."""
        rows = self._db.execute("SELECT id, path FROM tracks ORDER BY path")
        return [dict(r) for r in rows if not Path(r["path"]).exists()]

    def stats(self) -> dict[str, Any]:
        db = self._db
        count, seconds = db.execute("SELECT count(*), coalesce(sum(duration), 0) FROM tracks").fetchone()
        keys = db.execute("SELECT initial_key, count(*) n FROM tracks GROUP BY initial_key ORDER BY n DESC, initial_key").fetchall()
        tempo = db.execute("SELECT min(bpm), avg(bpm), max(bpm) FROM tracks").fetchone()
        return {
            "library": str(self.path),
            "tracks": count,
            "total_duration_seconds": round(seconds, 1),
            "errors": db.execute("SELECT count(*) FROM errors").fetchone()[0],
            "bpm": {"min": tempo[0], "mean": tempo[1], "max": tempo[2]},
            "keys": {k["initial_key"]: k["n"] for k in keys},
            "outdated_analysis": db.execute("SELECT count(*) FROM tracks WHERE analysis_version < ?", (ANALYSIS_VERSION,)).fetchone()[0],
            "track_bytes": self.track_bytes(),
        }

    def track_bytes(self) -> int | None:
        """Bytes on disk of the tracks, their encodings and their indexes (SQLite pages); None where SQLite lacks dbstat."""
        try:
            row = self._db.execute(
                "SELECT sum(pgsize) FROM dbstat WHERE name IN (SELECT name FROM sqlite_schema WHERE tbl_name IN (?, ?, ?))",
                _PER_TRACK_TABLES,
            ).fetchone()
        except sqlite3.OperationalError:  # built without SQLITE_ENABLE_DBSTAT_VTAB
            return None
        return int(row[0] or 0)


def _batches(ids: IntSequence) -> Iterator[list[int]]:
    for start in range(0, len(ids), _BATCH):
        yield [int(i) for i in ids[start : start + _BATCH]]


def _track_dict(row: sqlite3.Row) -> dict[str, Any]:
    track = dict(row)
    for name, dtype in ARRAY_DTYPES.items():
        if name in track:
            track[name] = decode_array(track[name], dtype=dtype)
    return track


def _known_file(row: sqlite3.Row, encoder_versions: dict[str, int] | None = None) -> KnownFile:
    return KnownFile(
        row["id"],
        row["path"],
        row["size"],
        row["mtime_ns"],
        row["fingerprint"],
        row["analysis_version"],
        encoder_versions or {},
        has_timbre=bool(row["has_timbre"]),
    )
