"""Schema 7's in-place migration of a library written by picscore before it (schema 6, float32 arrays).

data/library_schema6.db was written by picscore at commit 1cb1979: `index_paths` with both taggers over three
10-second songs from tests/conftest.write_song (bright.flac, D major, 140 BPM; dark.ogg, C minor, 70 BPM;
steady.mp3, A minor, 100 BPM), under /tmp/schema6/music. The music is not here: the migration decodes nothing.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from picscore.audio.music_encoders import MUSIC_ENCODERS
from picscore.library import compact
from picscore.library.store import SCHEMA_VERSION, SUMMARY_COLUMNS, Library, LibraryError

OLD_LIBRARY = Path(__file__).parent / "data" / "library_schema6.db"


@pytest.fixture
def old_path(tmp_path: Path) -> Path:
    return Path(shutil.copy(OLD_LIBRARY, tmp_path / "library.db"))


def _raw(path: Path) -> dict:
    """What the schema-6 file stores, read as float32 without picscore."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.row_factory = sqlite3.Row
        tracks = {r["id"]: dict(r) for r in db.execute("SELECT * FROM tracks")}
        encodings = {(r["track_id"], r["encoder"]): dict(r) for r in db.execute("SELECT * FROM track_encodings")}
        version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    return {"tracks": tracks, "encodings": encodings, "version": version}


def _f32(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4")


def test_a_schema_6_library_is_migrated_and_keeps_every_value_suggest_and_render_read(old_path: Path) -> None:
    old = _raw(old_path)
    assert old["version"] == "6" and len(old["tracks"]) == 3
    with Library(old_path) as library:
        ids = sorted(old["tracks"])
        numbers = library.track_numbers()
        assert numbers["id"].tolist() == ids
        for column in ("duration", "bpm", "valence", "arousal"):
            np.testing.assert_array_equal(numbers[column], [old["tracks"][i][column] for i in ids])
        for summary in library.summaries(ids):
            assert summary is not None
            assert summary == {c: old["tracks"][summary["id"]][c] for c in SUMMARY_COLUMNS}
        for name, encoder in MUSIC_ENCODERS.items():
            for output in ("tags", "embedding"):
                found, values = library.output_matrix(name, encoder_version=encoder.version, output=output)
                assert found.tolist() == ids
                expected = np.stack([_f32(old["encodings"][(i, name)][output]) for i in ids])
                # float16 keeps 11 significant bits: a relative step of at most 4.9e-4.
                np.testing.assert_allclose(values, expected, rtol=4.9e-4, atol=1e-7)
        for i in ids:
            track, before = library.known_track(i), old["tracks"][i]
            np.testing.assert_array_equal(track["beats"], _f32(before["beats"]))  # beats stay float32
            np.testing.assert_array_equal(track["mood_quadrants"], _f32(before["mood_quadrants"]))
            np.testing.assert_allclose(track["energy_curve"], _f32(before["energy_curve"]), rtol=4.9e-4)
            assert (track["highlight_start"], track["highlight_end"]) == (before["highlight_start"], before["highlight_end"])
            for name, encoding in library.get_encodings(i).items():
                np.testing.assert_allclose(
                    encoding["tag_curve"].ravel(), _f32(old["encodings"][(i, name)]["tag_curve"]), rtol=4.9e-4, atol=1e-7
                )
    new = _raw(old_path)
    assert new["version"] == str(SCHEMA_VERSION)
    for key, row in new["encodings"].items():
        for output in ("tags", "tag_curve", "embedding"):
            assert len(row[output]) * 2 == len(old["encodings"][key][output])
    for i, row in new["tracks"].items():
        assert len(row["energy_curve"]) * 2 == len(old["tracks"][i]["energy_curve"])
        assert row["beats"] == old["tracks"][i]["beats"]


def test_migrating_twice_changes_nothing(old_path: Path) -> None:
    with Library(old_path):
        pass
    migrated = _raw(old_path)
    with contextlib.closing(sqlite3.connect(old_path)) as db, db:  # as if it were still schema 6
        db.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")
    with Library(old_path):
        pass
    again = _raw(old_path)
    assert again["tracks"] == migrated["tracks"] and again["encodings"] == migrated["encodings"]


def test_a_failed_migration_leaves_the_library_as_it_was(old_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def fail_on_the_fourth_array(blob: bytes | None) -> bytes | None:
        calls.append(blob)
        if len(calls) == 4:
            raise ValueError("a damaged array, as an example")
        return half(blob)

    half = compact._half

    before = _raw(old_path)
    with monkeypatch.context() as patched:
        patched.setattr(compact, "_half", fail_on_the_fourth_array)
        with pytest.raises(LibraryError, match="not a usable picscore library"):
            Library(old_path)
    assert _raw(old_path) == before
    with Library(old_path) as library:  # the next opening migrates it
        assert len(library.list_tracks()) == 3
    assert _raw(old_path)["version"] == str(SCHEMA_VERSION)


_SLOW_MIGRATION = """
import sys, time
from picscore.library import compact
from picscore.library.store import Library
half = compact._half
def slow_half(blob):
    print("converting", flush=True)
    time.sleep(0.2)
    return half(blob)
compact._half = slow_half
Library(sys.argv[1])
print("finished", flush=True)
"""


def test_a_migration_killed_midway_leaves_a_library_that_opens_and_migrates(old_path: Path) -> None:
    before = _raw(old_path)
    process = subprocess.Popen([sys.executable, "-c", _SLOW_MIGRATION, str(old_path)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    converted = [process.stdout.readline() for _ in range(3)]  # three arrays rewritten, 21 to go
    assert converted == ["converting\n"] * 3
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    time.sleep(0.1)
    assert _raw(old_path) == before  # the rewrite was never committed
    with Library(old_path) as library:
        assert [t["path"] for t in library.list_tracks()] == sorted(t["path"] for t in before["tracks"].values())
        found, tags = library.output_matrix("musicnn-mtt", encoder_version=1)
        np.testing.assert_allclose(tags[0], _f32(before["encodings"][(found[0], "musicnn-mtt")]["tags"]), rtol=4.9e-4)
