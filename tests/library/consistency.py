"""What the tests that interrupt or compare indexer runs share: its command line, starting it in a process of its own,
reading a library back only after checking that it is whole (SQLite's integrity check, every row complete, nothing
orphaned), and the part of a track's row that two runs must store alike."""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

IDENTITY = ("id", "indexed_at")  # which row, and when it was written: the rest is the analysis


def analysis_of(tracks: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """path -> a track's columns less IDENTITY: what two runs over the same files must store alike, whatever
    their jobs, engine or interruptions."""
    return {path: {k: v for k, v in row.items() if k not in IDENTITY} for path, row in tracks.items()}


# Columns every stored track has a value in, whatever the file: a NULL in one is a half-written row.
REQUIRED = (
    "size",
    "mtime_ns",
    "fingerprint",
    "analysis_version",
    "duration",
    "bpm",
    "beats",
    "initial_key",
    "loudness_lufs",
    "highlight_end",
    "arousal",
)


def indexer_command(library: Path, folder: Path, *, jobs: int, encoders: str = "none") -> list[str]:
    """The command line of a quiet `picscore index FOLDER` into `library`."""
    command = [sys.executable, "-m", "picscore", "--library", str(library), "index", str(folder), "--jobs", str(jobs), "--quiet"]
    return [*command, "--encoders", encoders]


def start_indexer(library: Path, folder: Path, *, jobs: int, encoders: str = "none") -> subprocess.Popen:
    """The indexer in a process of its own, Ctrl-C at its default (as from a terminal)."""
    command = indexer_command(library, folder, jobs=jobs, encoders=encoders)
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint)


def _default_sigint() -> None:
    """As from a terminal: Ctrl-C at its default, even when the tests run in a background job (which ignores it)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def whole_tracks(library: Path) -> dict[str, dict[str, Any]]:
    """path -> every column of its track, after checking that the library is whole: integrity, no half-written
    row, no duplicate path, no encoding or change record of a track that is not there, every track's change recorded."""
    with contextlib.closing(sqlite3.connect(library)) as db:
        db.row_factory = sqlite3.Row
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        rows = [dict(row) for row in db.execute("SELECT * FROM tracks")]
        orphans = db.execute("SELECT count(*) FROM track_encodings WHERE track_id NOT IN (SELECT id FROM tracks)").fetchone()[0]
        unrecorded = db.execute("SELECT count(*) FROM tracks WHERE id NOT IN (SELECT track_id FROM track_changes)").fetchone()[0]
    for row in rows:
        assert None not in [row[c] for c in REQUIRED] and len(row["beats"]) > 0, f"half-written row {row['path']}"
    assert orphans == 0 and unrecorded == 0
    tracks = {row["path"]: row for row in rows}
    assert len(tracks) == len(rows), "a path stored twice"
    return tracks
