"""Killing the indexer at any moment, or pressing Ctrl-C, leaves a consistent library."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import write_songs
from tests.library.consistency import start_indexer, whole_tracks

# Enough work (several seconds even on a fast machine) that the signal lands mid-run.
N_TRACKS = 40


@pytest.fixture(scope="module")
def many_tracks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_songs(tmp_path_factory.mktemp("music"), count=N_TRACKS, bpm_step=2)


def _count_tracks(library: Path) -> int:
    try:
        with sqlite3.connect(library, timeout=5) as db:
            return db.execute("SELECT count(*) FROM tracks").fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # not created yet


def _wait_for_tracks(library: Path, process: subprocess.Popen, *, at_least: int) -> int:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        count = _count_tracks(library)
        if count >= at_least:
            return count
        time.sleep(0.01)
    pytest.fail(f"the indexer stored fewer than {at_least} tracks before it ended (exit {process.poll()})")


def _rows(library: Path) -> dict[str, tuple]:
    """path -> (id, indexed_at) of every track, after checking that the library is whole."""
    return {path: (row["id"], row["indexed_at"]) for path, row in whole_tracks(library).items()}


@pytest.mark.parametrize(("jobs", "encoders"), [(1, "none"), (2, "musicnn-mtt")])
def test_sigkill_mid_run_then_rerun(tmp_path: Path, many_tracks: Path, jobs: int, encoders: str) -> None:
    library = tmp_path / "library.db"
    process = start_indexer(library, many_tracks, jobs=jobs, encoders=encoders)
    _wait_for_tracks(library, process, at_least=3)
    process.kill()
    process.wait()
    survivors = _rows(library)
    assert 3 <= len(survivors) < N_TRACKS, "the kill came too late to test anything"

    _assert_encoded(library, count=len(survivors) if encoders != "none" else 0)
    rerun = start_indexer(library, many_tracks, jobs=jobs, encoders=encoders)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert f"{N_TRACKS - len(survivors)} indexed, 0 failed ({len(survivors)} unchanged)" in out
    final = _rows(library)
    assert len(final) == N_TRACKS
    for path, (track_id, indexed_at) in survivors.items():
        assert final[path] == (track_id, indexed_at), "a track stored before the kill was analysed again"
    _assert_encoded(library, count=N_TRACKS if encoders != "none" else 0)


def _assert_encoded(library: Path, *, count: int) -> None:
    """Every stored track has its encoding (written in the same transaction), and no other track."""
    with sqlite3.connect(library) as db:
        encoded = db.execute("SELECT count(*) FROM track_encodings JOIN tracks ON tracks.id = track_id").fetchone()[0]
    assert encoded == count


def test_ctrl_c_stops_cleanly_and_keeps_finished_work(tmp_path: Path, many_tracks: Path) -> None:
    library = tmp_path / "library.db"
    process = start_indexer(library, many_tracks, jobs=2)
    _wait_for_tracks(library, process, at_least=2)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted" in out and "Traceback" not in err
    kept = _rows(library)
    assert 2 <= len(kept) < N_TRACKS
    # no orphaned workers left behind
    time.sleep(0.5)
    children = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()
    assert children == []
