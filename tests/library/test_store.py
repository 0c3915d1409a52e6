"""The SQLite library file: round trips, WAL, and refusing files it cannot use."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from picscore.library.store import SCHEMA_VERSION, Library, LibraryError
from tests.conftest import add_tracks, track_row


def test_round_trip_keeps_arrays_and_fields(library: Library) -> None:
    track_id = library.save_track(track_row("/m/a.mp3"))
    track = library.known_track(track_id)
    np.testing.assert_allclose(track["beats"], [0.5, 1.0, 1.5])
    np.testing.assert_allclose(track["energy_curve"], [-20.0, -12.0])
    assert track["initial_key"] == "Am" and track["bpm"] == 120.0 and track["indexed_at"]


def test_a_known_track_is_the_stored_one_and_a_missing_one_says_so(library: Library) -> None:
    track_id = library.save_track(track_row("/m/a.mp3"))
    assert library.known_track(track_id)["path"] == "/m/a.mp3"
    with pytest.raises(LookupError, match=f"no track {track_id + 1} in"):
        library.known_track(track_id + 1)


def test_saving_the_same_path_updates_in_place(library: Library) -> None:
    first = library.save_track(track_row("/m/a.mp3"))
    second = library.save_track(track_row("/m/a.mp3", bpm=90.0))
    assert first == second and library.known_track(first)["bpm"] == 90.0 and len(library.list_tracks()) == 1


def test_saving_a_track_clears_its_error(library: Library) -> None:
    library.save_error(path="/m/a.mp3", size=1, mtime_ns=1, error="corrupt")
    library.save_track(track_row("/m/a.mp3"))
    assert library.errors() == []


def test_wal_mode_and_integrity(tmp_path: Path) -> None:
    with Library(tmp_path / "lib.db") as library:
        library.save_track(track_row("/m/a.mp3"))
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
        library.save_track(track_row("/m/a.mp3"))
    with sqlite3.connect(tmp_path / "lib.db") as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(LibraryError, match="newer picscore"):
        Library(tmp_path / "lib.db")


def test_opening_a_current_library_writes_nothing_and_an_older_one_is_upgraded(tmp_path: Path) -> None:
    with Library(tmp_path / "lib.db") as library:
        library.save_track(track_row("/m/a.mp3"))
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
    library.save_track(track_row("/m/a.mp3", bpm=100.0))
    library.save_track(track_row("/m/b.mp3", bpm=140.0, initial_key="C"))
    library.save_error(path="/m/c.mp3", size=1, mtime_ns=1, error="corrupt")
    stats = library.stats()
    assert stats["tracks"] == 2 and stats["errors"] == 1 and stats["total_duration_seconds"] == 25.0
    assert stats["bpm"]["min"] == 100.0 and stats["bpm"]["max"] == 140.0 and stats["keys"] == {"Am": 1, "C": 1}


def test_stats_measures_the_bytes_the_tracks_take(library: Library, rng: np.random.Generator) -> None:
    add_tracks(library, rng, 40)
    with sqlite3.connect(library.path) as db:
        stored = db.execute("SELECT sum(length(tags) + length(tag_curve) + length(embedding)) FROM track_encodings").fetchone()[0]
    size = library.stats()["track_bytes"]
    on_disk = sum(path.stat().st_size for path in (library.path, Path(f"{library.path}-wal")) if path.exists())
    # At least the encodings' own bytes (2 taggers x (50 + 50 + 200) values a track), at most the database and its log.
    assert stored <= size <= on_disk
    assert stored == 40 * 2 * 300 * 2  # float16 values, two bytes each: the bound above is not empty


def test_every_write_to_a_track_moves_the_version_and_names_the_track(library: Library) -> None:
    start = library.version()
    a = library.save_track(track_row("/m/a.mp3"))
    b = library.save_track(track_row("/m/b.mp3"))
    after_saves = library.version()
    assert after_saves.library_id == start.library_id and after_saves.change > start.change
    assert library.changed_since(start.change).tolist() == [a, b]
    library.save_encodings(a, {"musicnn-mtt": _encoding(np.full(50, 0.1))})
    library.relocate_track(b, path="/m/b2.mp3", size=10, mtime_ns=6)
    library.save_error(path="/m/c.mp3", size=1, mtime_ns=1, error="corrupt")  # not a track: no change
    assert library.changed_since(after_saves.change).tolist() == [a, b]
    before_removal = library.version().change
    library.remove_tracks([a])
    assert library.changed_since(before_removal).tolist() == [a] and library.version().change > before_removal


def test_another_library_has_another_id(tmp_path: Path, library: Library) -> None:
    with Library(tmp_path / "other.db") as other:
        assert other.version().library_id != library.version().library_id
        assert other.version() == other.version()


def test_arrays_of_numbers_and_outputs_are_aligned_by_id(library: Library) -> None:
    ids = [library.save_track(track_row(f"/m/{k}.mp3", bpm=None if k == 1 else 100.0 + k, valence=k / 10)) for k in range(3)]
    library.save_encodings(ids[2], {"musicnn-mtt": _encoding(np.full(50, 0.3))})
    library.save_encodings(ids[0], {"musicnn-mtt": _encoding(np.full(50, 0.1))})
    numbers = library.track_numbers()
    assert numbers["id"].tolist() == ids and np.isnan(numbers["bpm"][1]) and numbers["bpm"][2] == 102.0
    np.testing.assert_allclose(numbers["valence"], [0.0, 0.1, 0.2])
    assert library.track_numbers([ids[2], ids[0], 999])["id"].tolist() == [ids[0], ids[2]]
    found, tags = library.output_matrix("musicnn-mtt", encoder_version=1)
    assert found.tolist() == [ids[0], ids[2]] and tags.shape == (2, 50)
    np.testing.assert_allclose(tags[:, 0], [0.1, 0.3], rtol=5e-4)  # stored in float16
    assert library.output_matrix("musicnn-mtt", encoder_version=1, track_ids=[ids[2]])[0].tolist() == [ids[2]]
    assert [row and row["path"] for row in library.summaries([ids[1], 999])] == ["/m/1.mp3", None]


def _encoding(tags: np.ndarray) -> dict:
    return {"encoder_version": 1, "tags": tags, "tag_curve": tags[None], "embedding": np.zeros(200), "patch_seconds": 3.0}
