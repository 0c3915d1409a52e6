"""The one-line reasons every media reader gives for files it cannot even try."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from picscore.media.files import file_problem, listed_path, name_problem, open_file, shown_path


def test_reasons(tmp_path: Path) -> None:
    (tmp_path / "empty.mp3").write_bytes(b"")
    (tmp_path / "song.mp3").write_bytes(b"ID3")
    assert file_problem(tmp_path / "missing.mp3") == "file not found"
    assert file_problem(tmp_path) == "is a folder, not a file"
    assert file_problem(tmp_path / "empty.mp3") == "the file is empty (0 bytes)"
    assert file_problem(tmp_path / "song.mp3") is None


def test_links_pipes_and_names_a_reader_cannot_use(tmp_path: Path) -> None:
    (tmp_path / "loop.mp3").symlink_to("loop.mp3")
    (tmp_path / "dangling.mp3").symlink_to(tmp_path / "gone.mp3")
    os.mkfifo(tmp_path / "pipe.mp3")
    assert file_problem(tmp_path / "dangling.mp3") == "a broken link: the file it points to is missing"
    assert file_problem(tmp_path / "loop.mp3") == "cannot read the file (Too many levels of symbolic links)"
    assert file_problem(tmp_path / "pipe.mp3") == "not a regular file but a named pipe"
    # A broken link stays itself when resolved (Path.resolve raises RuntimeError for the loop); a good one is followed.
    (tmp_path / "song.mp3").write_bytes(b"ID3")
    (tmp_path / "link.mp3").symlink_to("song.mp3")
    assert [listed_path(tmp_path / name) for name in ("loop.mp3", "dangling.mp3", "link.mp3")] == [
        tmp_path.resolve() / "loop.mp3",
        tmp_path.resolve() / "dangling.mp3",
        tmp_path.resolve() / "song.mp3",
    ]
    latin1 = os.fsdecode(b"caf\xe9.mp3")
    assert name_problem(latin1) == "the file name is not valid UTF-8: rename the file to use it"
    assert name_problem("café.mp3") is None
    assert shown_path(latin1) == "caf\\xe9.mp3" and shown_path("café.mp3") == "café.mp3"


def test_open_file_refuses_a_named_pipe_at_once(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.jpg")  # open() would wait for a writer forever
    with pytest.raises(OSError, match="not a regular file but a named pipe"):
        open_file(tmp_path / "pipe.jpg")
    with pytest.raises(IsADirectoryError):
        open_file(tmp_path)
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8")
    with open_file(tmp_path / "photo.jpg") as handle:
        assert handle.read() == b"\xff\xd8"
