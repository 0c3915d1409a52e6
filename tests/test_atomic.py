"""Files written whole or not at all (picscore/atomic.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from picscore.atomic import atomic_path, remove_leftovers, write_text_atomically


def test_the_file_appears_whole_and_readable_by_others(tmp_path: Path) -> None:
    target = tmp_path / "note.json"
    write_text_atomically(target, "old")
    with atomic_path(target) as temporary:
        temporary.write_text("new")
        assert target.read_text() == "old"  # readers see the old file until the new one is whole
    assert target.read_text() == "new" and target.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["note.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path: Path) -> None:
    target = tmp_path / "model.pt"
    target.write_text("old")
    with pytest.raises(ValueError), atomic_path(target) as temporary:
        temporary.write_text("half")
        raise ValueError("the disk filled up, as an example")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["model.pt"]


_KILLED_WRITER = """
import os, sys
from picscore.atomic import atomic_path
with atomic_path(sys.argv[1]) as temporary:
    temporary.write_text("half")
    print(temporary.name, flush=True)
    os._exit(9)  # as a SIGKILL: no clean-up
"""


def test_the_next_write_removes_what_a_killed_writer_left_but_not_a_live_writers_file(tmp_path: Path) -> None:
    target = tmp_path / "out.mp4"
    killed = subprocess.run([sys.executable, "-c", _KILLED_WRITER, str(target)], capture_output=True, text=True, check=False)
    leftover = tmp_path / killed.stdout.strip()
    assert killed.returncode == 9 and leftover.read_text() == "half"
    with atomic_path(target) as live:  # removes the dead writer's file first
        assert not leftover.exists()
        live.write_text("whole")
        assert remove_leftovers(target) == [] and live.exists()  # a live writer's file is locked: left alone
    assert sorted(os.listdir(tmp_path)) == ["out.mp4"]
