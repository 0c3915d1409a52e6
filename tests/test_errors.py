"""One error style for every verb: one line on stderr; an unexpected failure also names its full report."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from picscore.cli import library_cmd, main
from picscore.crash_report import CRASH_DIR_ENV


def _fails_unexpectedly(*_: object) -> None:
    raise ValueError("a bug in picscore\nsecond line")


def test_an_unexpected_failure_is_one_line_and_a_report(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv(CRASH_DIR_ENV, str(tmp_path / "reports"))
    monkeypatch.setattr(library_cmd, "rescore_moods", _fails_unexpectedly)
    assert main(["--library", str(tmp_path / "lib.db"), "library", "list"]) == 1
    err = capsys.readouterr().err
    [report] = (tmp_path / "reports").iterdir()
    assert err == f"picscore: error: unexpected failure (ValueError: a bug in picscore); full report in {report} (--debug prints it)\n"
    text = report.read_text()
    assert f"context: picscore --library {tmp_path / 'lib.db'} library list" in text
    assert "Traceback (most recent call last)" in text and "_fails_unexpectedly" in text and "second line" in text


def test_debug_shows_the_traceback_instead(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(CRASH_DIR_ENV, str(tmp_path / "reports"))
    monkeypatch.setattr(library_cmd, "rescore_moods", _fails_unexpectedly)
    with pytest.raises(ValueError, match="a bug in picscore"):
        main(["--library", str(tmp_path / "lib.db"), "library", "list", "--debug"])
    assert not (tmp_path / "reports").exists()


def test_a_report_folder_that_cannot_be_written_falls_back_to_the_temporary_folder(tmp_path: Path, monkeypatch, capsys) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(CRASH_DIR_ENV, str(blocker / "reports"))  # a folder inside a file cannot be made
    monkeypatch.setattr(library_cmd, "rescore_moods", _fails_unexpectedly)
    assert main(["--library", str(tmp_path / "lib.db"), "library", "list"]) == 1
    report = Path(capsys.readouterr().err.split("full report in ")[1].split(" (--debug")[0])
    assert report.parent.name == "picscore-crash-reports" and "a bug in picscore" in report.read_text()
    report.unlink()


def test_an_operating_system_refusal_names_the_file(tmp_path: Path, monkeypatch, capsys) -> None:
    def disk_full(*_: object) -> None:
        raise OSError(28, os.strerror(28), "/data/library.db-wal")

    monkeypatch.setattr(library_cmd, "rescore_moods", disk_full)
    assert main(["--library", str(tmp_path / "lib.db"), "library", "list"]) == 1
    assert capsys.readouterr().err == "picscore: error: /data/library.db-wal: No space left on device\n"
