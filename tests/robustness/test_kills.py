"""SIGKILL at random moments during `index`, `train`, `render` and a library migration (issue 20, "Nothing breaks").

Each operation first runs uninterrupted, for its result and its time T. Then it is killed again and again (with
its worker processes) after delays drawn by a seeded generator between 0 and 1.1 T, one in each of as many equal
parts, so that kills land in Python's start-up, in the work and at the very end. After each kill what it leaves must be whole; the next run
must resume and end where the uninterrupted run did. `make test` kills each a few times, `make soak`
(PICSCORE_SOAK=1) 20 times; the counts go to test-artifacts/robustness/kills.json.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from picscore.atomic import PARTIAL_SUFFIX
from picscore.audio.music_encoders import DEFAULT_ENCODERS
from picscore.library.indexer import index_paths
from picscore.library.store import SCHEMA_VERSION, Library
from picscore.moods.music import DESCRIPTOR_HEAD, FULL_HEAD, model_name
from picscore.paths import LIBRARY_ENV
from tests.conftest import write_song, write_songs
from tests.library.consistency import IDENTITY, analysis_of, indexer_command, whole_tracks
from tests.library.test_compact import OLD_LIBRARY
from tests.robustness import SOAK, soak_or
from tests.train.test_training import FACTORS, _picture

pytestmark = pytest.mark.slow

KILLS = soak_or(3, 20)
LATEST = 1.1  # kills are drawn up to this share of an uninterrupted run's time: some land after its end
LIMIT_SECONDS = 300  # an uninterrupted run past this is a hang
ARTIFACTS = Path(os.environ.get("PICSCORE_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts"))
# What a writer killed midway leaves beside NAME (picscore/atomic.py): hidden, and named for the file it was to be.
LEFTOVER = re.compile(rf"\..+\.[a-z0-9_]{{8}}{re.escape(PARTIAL_SUFFIX)}")


@dataclass
class Kills:
    """What the kills of one operation did."""

    uninterrupted_seconds: float  # the time of the run the kills are drawn against
    attempted: int = 0  # kills sent
    landed: int = 0  # the process was still running when the kill came (else it had ended on its own)
    survived: int = 0  # after which everything left passed the checks
    leftovers: int = 0  # temporary files of killed writers found beside their target
    found: dict[str, int] = field(default_factory=dict)  # what the kills left, in the test's words: which phases they hit
    moments: list[float] = field(default_factory=list)  # each kill's delay, as a share of uninterrupted_seconds

    def survive(self, found: str) -> None:
        """Count a kill whose remains passed every check, and what they were."""
        self.survived += 1
        self.found[found] = self.found.get(found, 0) + 1


@pytest.fixture(scope="module")
def kill_report() -> Iterator[dict[str, Kills]]:
    """Each test's counts, written to test-artifacts/robustness/kills.json when the module ends (also after a failure)."""
    report: dict[str, Kills] = {}
    yield report
    path = ARTIFACTS / "robustness" / "kills.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(path.read_text()) if path.exists() else {}
    mode = "soak" if SOAK else "short"
    operations = previous.get("operations", {}) if previous.get("mode") == mode else {}
    operations.update({name: asdict(kills) for name, kills in report.items()})
    path.write_text(json.dumps({"mode": mode, "kills_each": KILLS, "operations": operations}, indent=2) + "\n")


@pytest.fixture(scope="module", autouse=True)
def data_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A data folder of the module's own (runs, the default model, no library), for this process and the ones it starts."""
    folder = tmp_path_factory.mktemp("data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_DATA_HOME", str(folder))
        patch.delenv(LIBRARY_ENV, raising=False)
        yield folder / "picscore"


def _command(*args: str, library: Path | None = None) -> list[str]:
    """`picscore ARGS` (with --library when given) in a new Python."""
    return [sys.executable, "-m", "picscore", *(["--library", str(library)] if library else []), *args]


def _timed(command: list[str]) -> float:
    """Run `command` to its end, which must be a success; its wall time."""
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, timeout=LIMIT_SECONDS, check=False)
    assert result.returncode == 0, result.stderr
    return time.perf_counter() - started


def _moments(seed: str, count: int) -> list[float]:
    """`count` random moments, as shares of an uninterrupted run's time, one in each of `count` equal parts of 0 to
    LATEST (in a random order): random, yet spread over start-up, work and end whatever the draw."""
    rng = random.Random(seed)
    moments = [LATEST * (part + rng.random()) / count for part in range(count)]
    rng.shuffle(moments)
    return moments


def _kill_at(command: list[str], moment: float, kills: Kills) -> bool:
    """Run `command` and SIGKILL it and its workers at `moment` (a share of an uninterrupted run's time); whether the
    kill landed (a run that ended before must have succeeded)."""
    delay = moment * kills.uninterrupted_seconds
    kills.attempted += 1
    kills.moments.append(round(moment, 3))
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _, err = process.communicate(timeout=delay)
    except subprocess.TimeoutExpired:
        process.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # its worker processes, orphans now
        process.communicate()
        kills.landed += 1
        return True
    assert process.returncode == 0, f"it ended before the kill, failing: {err}"
    return False


def _leftovers(folder: Path, *, expected: set[str]) -> set[str]:
    """The files in `folder` besides those `expected` there, each of which must be a killed writer's temporary file."""
    others = {path.name for path in folder.iterdir()} - expected
    assert all(LEFTOVER.fullmatch(name) for name in others), sorted(others)
    return others


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _remove_library(path: Path) -> None:
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm"):
        (path.parent / name).unlink(missing_ok=True)
    shutil.rmtree(path.parent / f"{path.name}-space", ignore_errors=True)


# --- index ---------------------------------------------------------------------------------------------------

N_SONGS = 16  # of 20 s: the analysis takes longer than the start-up, so that most kills land in it


@pytest.fixture(scope="module")
def music(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_songs(tmp_path_factory.mktemp("music"), count=N_SONGS, bpm_step=4)


def _stored(library: Path) -> dict[str, dict[str, Any]]:
    """path -> every column of its track and its encodings, after checking that the library is whole and blames no
    file for a kill; {} before the library exists."""
    if not library.exists():
        return {}
    tracks = whole_tracks(library)
    with contextlib.closing(sqlite3.connect(library)) as db:
        assert db.execute("SELECT count(*) FROM errors").fetchone()[0] == 0, "a killed run recorded a file as failed"
        encodings = db.execute("SELECT * FROM track_encodings ORDER BY track_id, encoder").fetchall()
    by_id = {row["id"]: path for path, row in tracks.items()}
    for track_id, encoder, *values in encodings:
        tracks[by_id[track_id]][f"encoding:{encoder}"] = tuple(values)
    return tracks


def _assert_same_analysis(stored: dict[str, dict[str, Any]], expected: dict[str, dict[str, Any]]) -> None:
    """The stored tracks' analysis is `expected`; else one short line per file and column that differs (a CI log
    cuts the middle of a full diff of rows with arrays in them, where the column that differs would be)."""
    actual = analysis_of(stored)
    lines = [f"{Path(path).name}: {'missing' if path in expected else 'not expected'}" for path in actual.keys() ^ expected.keys()]
    for path in sorted(actual.keys() & expected.keys()):
        row, wanted = actual[path], expected[path]
        lines += [
            f"{Path(path).name} {column}: {str(row.get(column))[:60]} != {str(wanted.get(column))[:60]}"
            for column in sorted(row.keys() | wanted.keys())
            if row.get(column) != wanted.get(column)
        ]
    assert not lines, "the stored analysis differs from the uninterrupted run's:\n" + "\n".join(lines)


# In this process, tracks are stored one by one over most of the run; in two workers, with the networks, also the
# workers are killed (orphans once their parent is gone) and their results come in a shorter stretch at its end.
@pytest.mark.parametrize(
    ("encoders", "jobs", "kills"),
    [("none", 1, KILLS), (",".join(DEFAULT_ENCODERS), 2, soak_or(2, 20))],
    ids=["no-encoders-in-process", "default-encoders-in-workers"],
)
def test_index_killed_at_random_resumes_to_the_uninterrupted_library(
    tmp_path: Path, music: Path, encoders: str, jobs: int, kills: int, kill_report: dict[str, Kills]
) -> None:
    reference, library = tmp_path / "reference.db", tmp_path / "library.db"
    record = Kills(_timed(indexer_command(reference, music, jobs=jobs, encoders=encoders)))
    kill_report[f"index --encoders {encoders} --jobs {jobs}"] = record
    expected = analysis_of(_stored(reference))
    assert len(expected) == N_SONGS
    index = indexer_command(library, music, jobs=jobs, encoders=encoders)
    kept: dict[str, tuple] = {}  # path -> (id, indexed_at) of the tracks stored before a kill: never analysed again
    for moment in _moments(f"index {encoders}", kills):
        _kill_at(index, moment, record)
        stored = _stored(library)
        _assert_same_analysis(stored, {path: expected[path] for path in stored})
        identities = {path: tuple(row[c] for c in IDENTITY) for path, row in stored.items()}
        assert {path: identities.get(path) for path in kept} == kept, "a track stored before a kill was analysed again"
        kept = identities
        record.survive(f"{len(stored)} of {N_SONGS} tracks stored")
        if len(stored) == N_SONGS:  # all stored: the next run ends it, and the next kills go to a new library
            _timed(index)
            _assert_same_analysis(_stored(library), expected)
            _remove_library(library)
            kept = {}
    _timed(index)
    _assert_same_analysis(_stored(library), expected)


# --- library migration ---------------------------------------------------------------------------------------

MIGRATION_TRACKS = 12_000  # about a second of migration and VACUUM on 2 cores, beside 0.6 s of start-up


@pytest.fixture(scope="module")
def old_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The schema-6 library of tests/library/test_compact.py, its three tracks copied to MIGRATION_TRACKS under other
    paths (with their encodings) as schema 6 stored them."""
    path = Path(shutil.copy(OLD_LIBRARY, tmp_path_factory.mktemp("old") / "library.db"))
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(tracks)") if row[1] != "id"]
        copied = ", ".join(columns).replace("path", "replace(path, '/music/', '/music/copy' || ? || '/')", 1)
        encoding_columns = ", ".join(f"e.{row[1]}" for row in db.execute("PRAGMA table_info(track_encodings)") if row[1] != "track_id")
        db.execute("BEGIN")
        for copy in range(1, MIGRATION_TRACKS // 3):
            db.execute(f"INSERT INTO tracks ({', '.join(columns)}) SELECT {copied} FROM tracks WHERE id <= 3 ORDER BY id", (copy,))
        db.execute(
            f"INSERT INTO track_encodings SELECT t.id, {encoding_columns} FROM tracks t"
            " JOIN track_encodings e ON e.track_id = (t.id - 1) % 3 + 1 WHERE t.id > 3"
        )
        # Moods labelled as today's heads': the opening re-scores none after its VACUUM, whichever heads ship.
        db.execute(
            "UPDATE tracks SET mood_model = CASE WHEN mood_model LIKE ? THEN ? ELSE ? END",
            (f"{FULL_HEAD}:%", model_name(FULL_HEAD), model_name(DESCRIPTOR_HEAD)),
        )
        db.execute("COMMIT")
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "6"
    return path


def _contents(library: Path) -> dict[str, Any]:
    """A digest of every table's rows (meta's as they are), and whether pages are free, after the integrity check."""
    with contextlib.closing(sqlite3.connect(library)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")]
        digests = {}
        for table in tables:
            digest = hashlib.sha256()
            for row in db.execute(f"SELECT * FROM {table} ORDER BY rowid"):
                digest.update(repr(row).encode())
            digests[table] = digest.hexdigest()
        return {
            "tables": digests,
            "meta": dict(db.execute("SELECT key, value FROM meta").fetchall()),
            "free_pages": db.execute("PRAGMA freelist_count").fetchone()[0],
        }


def _migration_state(contents: dict[str, Any]) -> str:
    if contents["meta"]["schema_version"] != str(SCHEMA_VERSION):
        return "not migrated"
    return "migrated, VACUUM due" if "vacuum_due" in contents["meta"] else "migrated and vacuumed"


def test_a_migration_killed_at_random_completes_on_the_next_opening(
    tmp_path: Path, old_library: Path, kill_report: dict[str, Kills]
) -> None:
    stats = ("library", "stats", "--json")  # any verb opens the library, and so migrates it
    reference, library = Path(shutil.copy(old_library, tmp_path / "reference.db")), tmp_path / "library.db"
    record = kill_report["library migration"] = Kills(_timed(_command(*stats, library=reference)))
    before, expected = _contents(old_library), _contents(reference)
    assert expected["meta"]["schema_version"] == str(SCHEMA_VERSION) and expected["free_pages"] == 0
    for moment in _moments("migration", KILLS):
        _remove_library(library)
        shutil.copy(old_library, library)
        _kill_at(_command(*stats, library=library), moment, record)
        left = _contents(library)
        migrated = left["meta"]["schema_version"] == str(SCHEMA_VERSION)
        assert left["tables"].keys() == expected["tables"].keys()
        if migrated:  # committed; perhaps killed in the VACUUM after, which the meta table notes as due
            assert {k: v for k, v in left["tables"].items() if k != "meta"} == {k: v for k, v in expected["tables"].items() if k != "meta"}
        else:
            assert left["tables"] == before["tables"], "a migration killed before its commit changed the library"
        _timed(_command(*stats, library=library))
        assert _contents(library) == expected
        record.survive(_migration_state(left))


# --- render --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def render_inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A library of one indexed song, and a folder of four photos."""
    folder = tmp_path_factory.mktemp("render")
    (folder / "music").mkdir()
    write_song(folder / "music" / "song.flac", seconds=12.0, bpm=100, seed=5)
    with Library(folder / "library.db") as library:
        assert index_paths(library, [folder / "music"], jobs=1, encoders=(), progress=False).indexed == 1
    (folder / "photos").mkdir()
    rng = np.random.default_rng(3)
    for i, colour in enumerate(((200, 40, 40), (40, 200, 40), (40, 40, 200), (200, 200, 40))):
        stripes = 0.5 + 0.5 * np.sin(np.mgrid[:240, :320][1] / (7 + 5 * i))[..., None]
        pixels = np.array(colour, dtype=np.float64) * stripes + rng.normal(0, 20, (240, 320, 3))
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(folder / "photos" / f"p{i}.jpg")
    return folder / "library.db", folder / "photos"


def test_render_killed_at_random_leaves_no_partial_video(
    tmp_path: Path, render_inputs: tuple[Path, Path], kill_report: dict[str, Kills]
) -> None:
    library, photos = render_inputs
    out = tmp_path / "out" / "slideshow.mp4"
    out.parent.mkdir()
    reference = tmp_path / "reference.mp4"
    options = ("--track", "1", "--length", "8", "--size", "640x360", "--quiet")
    record = kill_report["render"] = Kills(_timed(_command("render", str(photos), "-o", str(reference), *options, library=library)))
    expected = _sha256(reference)
    render = _command("render", str(photos), "-o", str(out), *options, library=library)
    seen: set[str] = set()
    for moment in _moments("render", KILLS):
        _kill_at(render, moment, record)
        written = out.exists()
        if written:  # only once it was whole: the kill came after the rename
            assert _sha256(out) == expected, "a partial video at the output's path"
            out.unlink()  # as a user would, to render it again
        partial = _leftovers(out.parent, expected=set())
        seen |= partial
        record.leftovers = len(seen)
        record.survive("the video written" if written else "a partial file beside it" if partial else "nothing written yet")
    _timed(render)
    assert _sha256(out) == expected
    assert _leftovers(out.parent, expected={out.name}) == set(), "the next render removes what killed ones left"
    whole_tracks(library)


# --- train ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pairs_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight pairs of a picture and a 6-second song, of four hidden factors (tests/train/test_training.py)."""
    folder = tmp_path_factory.mktemp("pairs")
    rng = np.random.default_rng(7)
    rows = []
    for factor, (colour, song) in enumerate(FACTORS[:4]):
        for track in range(2):
            audio = write_song(folder / f"f{factor}_t{track}.wav", seconds=6.0, seed=10 * factor + track, **song)
            rows.append((_picture(folder / f"f{factor}_t{track}.png", colour, rng=rng).name, audio.name))
    with (folder / "pairs.tsv").open("w", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t")
        writer.writerows([("image", "audio"), *rows])
    (folder / "config.json").write_text(json.dumps({"epochs": EPOCHS, "patience_epochs": EPOCHS}))
    return folder / "pairs.tsv"


EPOCHS = 40  # of about 30 ms each (a save of last.pt included), none stopped early: a third of a run, for kills to land in
# What a run folder holds (train/loop.py, cli/train_cmd.py); anything else must be a killed writer's temporary file.
RUN_FILES = {"config.json", "split.json", "source.json", "metrics.csv", "best.pt", "last.pt", "confusion.png", "curves.png", "skipped.tsv"}


def _train(run: str, pairs: Path, cache: Path, runs: Path) -> list[str]:
    """The command that continues `run` if it was started (its run folder says where its pairs are), else starts it."""
    new = ["--pairs", str(pairs), "--name", run, "--config", str(pairs.with_name("config.json"))]
    arguments = ["--resume", run] if (runs / run / "source.json").exists() else new
    return _command("train", *arguments, "--cache", str(cache), "--jobs", "2", "--quiet")


def _metrics(run: Path) -> list[dict[str, str]]:
    with (run / "metrics.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def _run_state(run: Path) -> str:
    """How far a run got, in a word."""
    for file, state in (("curves.png", "ended"), ("last.pt", "resumable"), ("source.json", "set up"), ("", "started")):
        if (run / file).exists():
            return state
    return "not started"


def _check_registry(runs: Path) -> set[str]:
    """Every model file of every run is whole and `models use` takes each run `models list` lists; the temporary files
    of killed writers found in the run folders."""
    from picscore.cli import main
    from picscore.models.checkpoint import load_record
    from picscore.models.registry import list_runs, resolve_model

    for model in runs.glob("*/*.pt"):
        load_record(model)  # raises on a damaged file
    for run in list_runs():
        assert main(["models", "use", run.name]) == 0
        assert resolve_model(None) == (run.path / "best.pt").resolve()
    return {f"{folder.name}/{name}" for folder in runs.iterdir() for name in _leftovers(folder, expected=RUN_FILES)}


def test_train_killed_at_random_resumes_and_lists_only_whole_models(
    tmp_path: Path, pairs_file: Path, data_folder: Path, kill_report: dict[str, Kills]
) -> None:
    runs = data_folder / "runs"
    warm_cache = tmp_path / "reference-features.db"
    _timed(_train("reference", pairs_file, warm_cache, runs))  # computes the features: a later run takes them from the cache
    record = kill_report["train"] = Kills(_timed(_train("reference-again", pairs_file, warm_cache, runs)))
    expected = _metrics(runs / "reference")
    assert _metrics(runs / "reference-again") == expected and [int(row["epoch"]) for row in expected] == list(range(EPOCHS + 1))
    cache = tmp_path / "features.db"  # cold at first: the first kill lands in the features
    finished, seen = 0, set()
    for moment in _moments("train", KILLS):
        run = f"killed-{finished}"
        landed = _kill_at(_train(run, pairs_file, cache, runs), moment, record)
        seen |= _check_registry(runs)
        record.leftovers = len(seen)
        state = _run_state(runs / run)
        if not landed or state == "ended":  # all epochs done: the next run ends it, and the next kills go to a new run
            if landed:
                _timed(_train(run, pairs_file, cache, runs))
            assert _metrics(runs / run) == expected
            finished += 1
        record.survive(state)
    run = f"killed-{finished}"
    _timed(_train(run, pairs_file, cache, runs))
    assert _metrics(runs / run) == expected
    _check_registry(runs)
    listed = json.loads(subprocess.run(_command("models", "list", "--json"), capture_output=True, check=True).stdout)
    assert {"reference", "reference-again", run} <= {entry["name"] for entry in listed}
