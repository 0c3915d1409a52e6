"""`--engine ray`: the same library as the local indexer, on a local 2-CPU Ray instance."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from picscore.cli import main
from picscore.library.indexer import IndexSummary, index_paths
from picscore.library.ray_engine import MISSING_RAY_HINT
from picscore.library.store import Library
from tests.conftest import write_clicks, write_song
from tests.library.consistency import analysis_of

pytest.importorskip("ray.data")
pytestmark = pytest.mark.slow

GOOD = ("a.mp3", "b.flac", "sub/c.ogg", "d.wav")
BAD = ("empty.ogg", "fake.mp3", "truncated.flac")


@pytest.fixture(scope="module")
def music(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Short songs and a click track in four formats, and three files that cannot be analysed."""
    folder = tmp_path_factory.mktemp("music")
    (folder / "sub").mkdir()
    write_song(folder / "a.mp3", seconds=6.0, tonic="C", mode="major", bpm=120, seed=1)
    write_song(folder / "b.flac", seconds=6.0, tonic="A", mode="minor", bpm=90, seed=2)
    write_song(folder / "sub" / "c.ogg", seconds=6.0, tonic="E", mode="minor", bpm=132, seed=3)
    write_clicks(folder / "d.wav", bpm=100, seconds=6.0)
    (folder / "empty.ogg").write_bytes(b"")
    (folder / "fake.mp3").write_text("not audio\n" * 50)
    whole = (folder / "b.flac").read_bytes()
    (folder / "truncated.flac").write_bytes(whole[:200])  # the header and no audio
    return folder


def _index(path: Path, music: Path, **options: Any) -> tuple[Library, IndexSummary]:
    library = Library(path)
    return library, index_paths(library, [music], jobs=2, progress=False, **options)


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory, music: Path):
    library, summary = _index(tmp_path_factory.mktemp("local") / "library.db", music)
    with library:
        yield library, summary


@pytest.fixture(scope="module")
def on_ray(tmp_path_factory: pytest.TempPathFactory, music: Path):
    library, summary = _index(tmp_path_factory.mktemp("ray") / "library.db", music, engine="ray")
    with library:
        yield library, summary


def _tracks(library: Library) -> dict[str, dict[str, Any]]:
    """Each track's stored row by path, without what differs between any two runs (id, time of indexing)."""
    return analysis_of({t["path"]: library.known_track(t["id"]) for t in library.list_tracks()})


def _assert_same_values(ours: dict[str, Any], theirs: dict[str, Any], where: str) -> None:
    assert set(ours) == set(theirs), where
    for key, value in ours.items():
        if isinstance(value, np.ndarray | float):
            np.testing.assert_allclose(theirs[key], value, rtol=1e-5, atol=1e-6, err_msg=f"{where}: {key}")
        else:
            assert theirs[key] == value, f"{where}: {key}"


def test_the_ray_run_reports_what_the_local_run_reports(local, on_ray) -> None:
    (_, ours), (_, theirs) = local, on_ray
    assert (theirs.indexed, theirs.failed, theirs.interrupted) == (len(GOOD), len(BAD), False)
    assert sorted(theirs.failures) == sorted(ours.failures)
    assert theirs.audio_seconds == pytest.approx(ours.audio_seconds)


def test_the_ray_library_has_the_same_tracks(local, on_ray, music: Path) -> None:
    ours, theirs = _tracks(local[0]), _tracks(on_ray[0])
    assert sorted(Path(p).relative_to(music.resolve()).as_posix() for p in theirs) == sorted(GOOD)
    assert set(theirs) == set(ours)
    for path, track in ours.items():
        _assert_same_values(track, theirs[path], path)
        assert len(track["beats"]) > 0


def test_the_ray_library_has_the_same_encodings(local, on_ray) -> None:
    ids = {lib: {t["path"]: t["id"] for t in lib.list_tracks()} for lib in (local[0], on_ray[0])}
    for path, track_id in ids[local[0]].items():
        ours, theirs = local[0].get_encodings(track_id), on_ray[0].get_encodings(ids[on_ray[0]][path])
        assert set(ours) == {"musicnn-mtt", "musicnn-msd"}
        assert set(theirs) == set(ours)
        for name, encoding in ours.items():
            _assert_same_values(encoding, theirs[name], f"{path} {name}")


def test_the_ray_library_has_the_same_errors(local, on_ray) -> None:
    def errors(library: Library) -> list[tuple[str, str]]:
        return [(e["path"], e["error"]) for e in library.errors()]

    assert sorted(Path(p).name for p, _ in errors(on_ray[0])) == sorted(BAD)
    assert errors(on_ray[0]) == errors(local[0])


def test_a_second_ray_run_does_no_work(on_ray, music: Path) -> None:
    summary = index_paths(on_ray[0], [music], jobs=2, progress=False, engine="ray")
    assert (summary.indexed, summary.unchanged, summary.known_failures, summary.failed) == (0, len(GOOD), len(BAD), 0)


def test_the_command_line_runs_on_ray(tmp_path: Path, music: Path, local) -> None:
    command = [sys.executable, "-m", "picscore", "--library", str(tmp_path / "cli.db"), "index", str(music)]
    done = subprocess.run([*command, "--engine", "ray", "--jobs", "2", "--encoders", "none", "--json"], capture_output=True, text=True)
    assert done.returncode == 1, done.stderr  # the bad files
    summary = json.loads(done.stdout)
    assert (summary["engine"], summary["indexed"], summary["failed"]) == ("ray", len(GOOD), len(BAD))
    with Library(tmp_path / "cli.db") as library:
        assert {p: t["bpm"] for p, t in _tracks(library).items()} == pytest.approx({p: t["bpm"] for p, t in _tracks(local[0]).items()})


def test_without_ray_the_command_says_how_to_install_it(tmp_path: Path, music: Path) -> None:
    hide_ray = "import sys; sys.modules['ray'] = None; from picscore.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", hide_ray, "--library", str(tmp_path / "x.db"), "index", str(music), "--engine", "ray"],
        capture_output=True,
        text=True,
    )
    assert (done.returncode, done.stderr.strip()) == (2, f"picscore: error: {MISSING_RAY_HINT}")
    assert not (tmp_path / "x.db").exists()


def test_an_address_needs_the_ray_engine(tmp_path: Path, music: Path, capsys) -> None:
    assert main(["--library", str(tmp_path / "x.db"), "index", str(music), "--address", "auto"]) == 1
    assert "--engine ray" in capsys.readouterr().err
