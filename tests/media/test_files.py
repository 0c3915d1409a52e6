"""The one-line reasons every media reader gives for files it cannot even try."""

from __future__ import annotations

from pathlib import Path

from picscore.media.files import file_problem


def test_reasons(tmp_path: Path) -> None:
    (tmp_path / "empty.mp3").write_bytes(b"")
    (tmp_path / "song.mp3").write_bytes(b"ID3")
    assert file_problem(tmp_path / "missing.mp3") == "file not found"
    assert file_problem(tmp_path) == "is a folder, not a file"
    assert file_problem(tmp_path / "empty.mp3") == "the file is empty (0 bytes)"
    assert file_problem(tmp_path / "song.mp3") is None
