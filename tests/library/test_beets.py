"""`index --from-beets` on a library written by beets itself (`beet import -A`), never written to."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from picscore.cli import main
from tests.conftest import write_song

BEET = Path(sys.executable).parent / "beet"


def _beet(beets_dir: Path, *args: str) -> None:
    """Run beets's own command line with the test's config folder."""
    subprocess.run([str(BEET), *args], check=True, capture_output=True, env={"BEETSDIR": str(beets_dir), "HOME": str(beets_dir)})


@pytest.fixture
def beets_library(tmp_path: Path) -> Path:
    """A beets library of two songs, imported as-is, with bpm, key and mood set on one through beets."""
    beets_dir, music = tmp_path / "beets", tmp_path / "music"
    music.mkdir(parents=True)
    beets_dir.mkdir()
    write_song(music / "alpha.mp3", seconds=6.0, bpm=100, tonic="C")
    write_song(music / "beta.flac", seconds=6.0, bpm=130, tonic="Eb")
    (beets_dir / "config.yaml").write_text(
        f"directory: {music}\nlibrary: {beets_dir / 'library.db'}\nimport:\n  copy: no\n  write: no\nplugins: []\n", encoding="utf-8"
    )
    _beet(beets_dir, "import", "-A", "-q", str(music))
    _beet(beets_dir, "modify", "-y", "path::alpha", "title=Alpha", "bpm=100", "initial_key=Eb", "mood=happy", "year=1999")
    return beets_dir / "library.db"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_index_from_beets_keeps_beets_fields_beside_its_own(tmp_path: Path, beets_library: Path, capsys) -> None:
    lib = str(tmp_path / "picscore.db")
    before = _digest(beets_library)
    assert main(["--library", lib, "index", "--from-beets", str(beets_library), "--encoders", "none", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["beets_files"], summary["indexed"], summary["failed"]) == (2, 2, 0)
    assert _digest(beets_library) == before, "the beets library must never be written"

    assert main(["--library", lib, "library", "list", "--json"]) == 0
    tracks = {Path(t["path"]).name: t for t in json.loads(capsys.readouterr().out)}
    assert set(tracks) == {"alpha.mp3", "beta.flac"}
    assert main(["--library", lib, "library", "show", str(tracks["alpha.mp3"]["id"]), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    # beets keeps keys in its own sharp spelling: Eb is stored as D#.
    assert shown["beets"] == {"title": "Alpha", "year": 1999, "bpm": 100, "initial_key": "D#", "mood": "happy"}
    assert shown["bpm"] == pytest.approx(100, rel=0.04)
    assert main(["--library", lib, "library", "show", str(tracks["alpha.mp3"]["id"])]) == 0
    text = capsys.readouterr().out
    assert "(beets: 100)" in text and "(beets: D#)" in text and "(beets: happy)" in text
    assert main(["--library", lib, "library", "show", str(tracks["beta.flac"]["id"]), "--json"]) == 0
    assert "bpm" not in json.loads(capsys.readouterr().out)["beets"], "beets's 0 means no bpm, not 0 BPM"


def test_from_beets_without_a_path_reads_beets_own_library(
    tmp_path: Path, beets_library: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("BEETSDIR", str(beets_library.parent))
    assert main(["--library", str(tmp_path / "p.db"), "index", "--from-beets", "--encoders", "none", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["indexed"] == 2


def test_a_missing_or_locked_beets_library_is_a_one_line_error(tmp_path: Path, beets_library: Path, capsys) -> None:
    lib = str(tmp_path / "p.db")
    assert main(["--library", lib, "index", "--from-beets", str(tmp_path / "nothing.db")]) != 0
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and f"{tmp_path / 'nothing.db'}: no beets library there" in err
    with sqlite3.connect(beets_library) as writer:
        writer.execute("BEGIN EXCLUSIVE")  # beets in the middle of a write
        assert main(["--library", lib, "index", "--from-beets", str(beets_library)]) != 0
        writer.rollback()
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.endswith(f"{beets_library}: cannot read the beets library (database is locked)")
