"""The SQLite library file: round trips, WAL, and refusing files it cannot use."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from picscore.library.store import SCHEMA_VERSION, Library, LibraryError


def _row(path: str, **overrides) -> dict:
    row = {
        "path": path, "size": 10, "mtime_ns": 5, "fingerprint": "f" * 32, "analysis_version": 1,
        "title": "T", "artist": None, "album": None, "genre": None, "year": None,
        "codec": "mp3", "container": "mp3", "source_sample_rate": 44100, "channels": 2, "bit_rate": 128000,
        "duration": 12.5, "bpm": 120.0, "tempo_confidence": 0.8, "beats": np.array([0.5, 1.0, 1.5]),
        "initial_key": "Am", "key_tonic": "A", "key_mode": "minor", "key_confidence": 0.9,
        "loudness_lufs": -14.0, "peak_dbfs": -1.0, "energy_curve": np.array([-20.0, -12.0]), "brightness_hz": 2000.0,
        "highlight_start": 1.0, "highlight_end": 11.0, "valence": -0.2, "arousal": 0.4,
    }  # fmt: skip
    return {**row, **overrides}


def test_round_trip_keeps_arrays_and_fields(library: Library) -> None:
    track_id = library.save_track(_row("/m/a.mp3"))
    track = library.get_track(track_id)
    np.testing.assert_allclose(track["beats"], [0.5, 1.0, 1.5])
    np.testing.assert_allclose(track["energy_curve"], [-20.0, -12.0])
    assert track["initial_key"] == "Am" and track["bpm"] == 120.0 and track["indexed_at"]


def test_saving_the_same_path_updates_in_place(library: Library) -> None:
    first = library.save_track(_row("/m/a.mp3"))
    second = library.save_track(_row("/m/a.mp3", bpm=90.0))
    assert first == second and library.get_track(first)["bpm"] == 90.0 and len(library.list_tracks()) == 1


def test_saving_a_track_clears_its_error(library: Library) -> None:
    library.save_error(path="/m/a.mp3", size=1, mtime_ns=1, error="corrupt")
    library.save_track(_row("/m/a.mp3"))
    assert library.errors() == []


def test_wal_mode_and_integrity(tmp_path: Path) -> None:
    with Library(tmp_path / "lib.db") as library:
        library.save_track(_row("/m/a.mp3"))
    with sqlite3.connect(tmp_path / "lib.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("my precious notes\n" * 100)
    with pytest.raises(LibraryError, match="not a usable picscore library"):
        Library(path)
    assert path.read_text() == "my precious notes\n" * 100


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    with Library(tmp_path / "lib.db") as library:
        library.save_track(_row("/m/a.mp3"))
    with sqlite3.connect(tmp_path / "lib.db") as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(LibraryError, match="newer picscore"):
        Library(tmp_path / "lib.db")


def test_opening_a_current_library_writes_nothing_and_an_older_one_is_upgraded(tmp_path: Path) -> None:
    with Library(tmp_path / "lib.db") as library:
        library.save_track(_row("/m/a.mp3"))
    with sqlite3.connect(tmp_path / "lib.db") as watcher:
        before = watcher.execute("PRAGMA data_version").fetchone()[0]
        with Library(tmp_path / "lib.db"):
            pass
        assert watcher.execute("PRAGMA data_version").fetchone()[0] == before  # no other connection committed
        watcher.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
        watcher.commit()
    with Library(tmp_path / "lib.db") as library:
        assert library.list_tracks()[0]["path"] == "/m/a.mp3"
    with sqlite3.connect(tmp_path / "lib.db") as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(SCHEMA_VERSION)


def test_stats_counts_tracks_keys_and_errors(library: Library) -> None:
    library.save_track(_row("/m/a.mp3", bpm=100.0))
    library.save_track(_row("/m/b.mp3", bpm=140.0, initial_key="C"))
    library.save_error(path="/m/c.mp3", size=1, mtime_ns=1, error="corrupt")
    stats = library.stats()
    assert stats["tracks"] == 2 and stats["errors"] == 1 and stats["total_duration_seconds"] == 25.0
    assert stats["bpm"]["min"] == 100.0 and stats["bpm"]["max"] == 140.0 and stats["keys"] == {"Am": 1, "C": 1}
