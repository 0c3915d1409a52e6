"""`picscore doctor`: real checks of this installation, and a library's damage found without changing the file."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from picscore.cli import main
from picscore.crash_report import CRASH_DIR_ENV
from picscore.library.store import SCHEMA_VERSION, Library
from tests.conftest import write_clicks


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder of its own (no chosen model, no crash reports), as on a fresh machine."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv(CRASH_DIR_ENV, str(tmp_path / "crash-reports"))
    return tmp_path


@pytest.fixture
def indexed(home: Path) -> Path:
    """A library of one click track, indexed without the taggers."""
    (home / "music").mkdir()
    write_clicks(home / "music" / "clicks.flac", bpm=120, seconds=8.0)
    assert main(["--library", str(home / "library.db"), "index", str(home / "music"), "--encoders", "none", "--quiet"]) == 0
    return home / "library.db"


def _doctor(library: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, dict[str, str]]]:
    status = main(["--library", str(library), "doctor", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["problems"] == sum(check["status"] == "problem" for check in report["checks"])
    return status, {check["name"]: check for check in report["checks"]}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_working_installation_and_a_whole_library_pass(indexed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, checks = _doctor(indexed, capsys)
    assert status == 0
    assert {name: check["status"] for name, check in checks.items()} == dict.fromkeys(
        (
            "software",
            "audio formats",
            "video",
            "pictures",
            "music networks",
            "picture networks",
            "model",
            "library",
            "disk",
            "crash reports",
        ),
        "ok",
    )
    assert checks["audio formats"]["detail"] == "WAV, AIFF, FLAC, MP3, M4A, OGG, OPUS written and read back"
    assert checks["pictures"]["detail"] == "JPEG, PNG, WebP, HEIC read"  # pillow-heif is in the test extras
    assert checks["library"]["detail"] == f"{indexed}: 1 tracks, whole"


def test_the_words_say_each_check_and_what_to_fix(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (home / "crash-reports").mkdir()
    (home / "crash-reports" / "20261206-101010-42.txt").write_text("a report")
    assert main(["--library", str(home / "none.db"), "doctor"]) == 0  # warnings only
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "all 10 checks passed, 2 warnings"
    library = lines.index(f"warning  library           no library at {home / 'none.db'} yet")
    assert lines[library + 1].split() == ["fix:", "index", "your", "music:", "picscore", "index", "~/Music"]
    assert f"warning  crash reports     1 in {home / 'crash-reports'} (newest 20261206-101010-42.txt)" in lines
    assert not (home / "none.db").exists(), "the doctor creates no library"


def test_a_damaged_library_is_a_problem_and_is_left_as_it_was(indexed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with sqlite3.connect(indexed) as db:  # fold the write-ahead log in, so that the damage below is in the file read
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'tracks'").fetchone()[0]
    with indexed.open("r+b") as handle:  # the tracks table's first page: its header and cell pointers scrambled
        handle.seek((root - 1) * page_size)
        handle.write(bytes(range(7, 250, 3)) * 8)
    before = _sha256(indexed)
    status, checks = _doctor(indexed, capsys)
    assert status == 1
    assert checks["library"]["status"] == "problem" and checks["library"]["detail"].startswith(f"{indexed}: ")
    assert "--library NEW.db" in checks["library"]["fix"]
    assert [name for name, check in checks.items() if check["status"] != "ok"] == ["library"]
    assert _sha256(indexed) == before
    assert main(["--library", str(indexed), "library", "list"]) == 1  # the other verbs: one line, which names the doctor
    assert (
        capsys.readouterr().err == f"picscore: error: {indexed}: database disk image is malformed; `picscore doctor` checks the library\n"
    )


def test_a_file_that_is_no_library_and_a_newer_library_are_problems(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = home / "notes.db"
    text.write_text("shopping list\n" * 200)
    status, checks = _doctor(text, capsys)
    assert status == 1 and checks["library"]["detail"].startswith(f"{text}: not a usable picscore library")
    newer = home / "newer.db"
    Library(newer).close()
    with sqlite3.connect(newer) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    status, checks = _doctor(newer, capsys)
    assert status == 1
    assert checks["library"]["detail"] == f"{newer}: made by a newer picscore (schema {SCHEMA_VERSION + 1})"
    assert checks["library"]["fix"] == "upgrade picscore"


def test_an_older_library_is_a_warning_and_is_not_upgraded_by_the_check(indexed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with sqlite3.connect(indexed) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION - 1),))
    before = _sha256(indexed)
    status, checks = _doctor(indexed, capsys)
    assert status == 0 and checks["library"]["status"] == "warning"
    assert checks["library"]["detail"].endswith(f"an older layout (schema {SCHEMA_VERSION - 1})")
    assert _sha256(indexed) == before


def test_a_chosen_model_whose_file_was_damaged_is_a_problem(indexed: Path, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = home / "data" / "picscore" / "runs" / "holidays" / "best.pt"
    model.parent.mkdir(parents=True)
    model.write_bytes(b"half a model")  # chosen with `models use holidays` when it was whole (its file is what that writes)
    (home / "data" / "picscore" / "default-model.txt").write_text(f"{model}\n")
    status, checks = _doctor(indexed, capsys)
    assert status == 1 and checks["model"]["status"] == "problem"
    assert checks["model"]["detail"].startswith(f"{model}: not a picscore model file")
    assert checks["model"]["fix"] == "train it again, or go back: picscore models use zero-shot"
