"""A worker process that dies (a crash in native code, the OOM killer) costs its item, never the run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from picscore.library import indexer, parallel
from picscore.library.indexer import index_paths
from picscore.library.parallel import EveryItemCrashesError, WorkerCrashError, WorkerPool
from picscore.library.store import Library
from tests.conftest import write_song
from tests.library import crashing_job
from tests.library.consistency import analysis_of, indexer_command, whole_tracks
from tests.library.crashing_job import CRASH_ON, exit_unless_zero, fail_on_negative, square_or_exit
from tests.library.thread_probe import threads_in_use

ITEMS = range(8)
EXPECTED = Counter([i * i for i in ITEMS if i != CRASH_ON] + [(CRASH_ON, "worker process exited with code 3")])
STALL_S = 60  # a map that gives no result for this long hangs; a slow machine still gives them, only later


@pytest.fixture(autouse=True)
def no_hang(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail (rather than wait for ever) a test whose maps give no result for STALL_S.

    The alarm is set again at every result of either pool, so a slow machine (a Ray cluster starting on
    two busy cores) is not taken for a hang; only a stall is.
    """
    from picscore.library import ray_engine

    def fail(*_: object) -> None:
        raise TimeoutError(f"no result for {STALL_S} s: the map hangs")

    for pool in (WorkerPool, ray_engine.RayPool):
        monkeypatch.setattr(pool, "map_unordered", _rearming(pool.map_unordered))
    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(STALL_S)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _rearming(map_unordered: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    """`map_unordered` that sets the stall alarm again at each result it gives."""

    def watched(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for result in map_unordered(*args, **kwargs):
            signal.alarm(STALL_S)
            yield result

    return watched


def _crashed(item: int, cause: str) -> tuple[int, str]:
    return item, cause


def test_an_item_that_kills_its_worker_becomes_on_crash_and_the_rest_come_back() -> None:
    with WorkerPool(2) as pool:
        assert Counter(pool.map_unordered(square_or_exit, ITEMS, on_crash=_crashed)) == EXPECTED
        # the dead worker was replaced, and the pool works on
        assert Counter(pool.map_unordered(square_or_exit, ITEMS, on_crash=_crashed)) == EXPECTED
        assert len(pool._workers) <= 2


def test_without_on_crash_the_crash_is_raised_after_the_other_results() -> None:
    results: list[int] = []
    with WorkerPool(2) as pool, pytest.raises(WorkerCrashError, match=f"exited with code 3 while working on {CRASH_ON}"):
        results.extend(pool.map_unordered(square_or_exit, ITEMS))
    assert sorted(results) == sorted(i * i for i in ITEMS if i != CRASH_ON)


def test_python_exceptions_still_reach_the_caller() -> None:
    with WorkerPool(2) as pool:
        with pytest.raises(ValueError, match="negative: -1"):
            list(pool.map_unordered(fail_on_negative, [1, -1, 2, 3]))
        assert sorted(pool.map_unordered(fail_on_negative, [1, 2, 3])) == [1, 2, 3]


def test_workers_that_cannot_start_fail_the_map_rather_than_each_item(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "_serve", crashing_job.exit_at_start)
    with WorkerPool(2) as pool, pytest.raises(WorkerCrashError, match="before it could take work"):
        list(pool.map_unordered(square_or_exit, ITEMS, on_crash=_crashed))


def test_a_map_whose_first_items_all_kill_their_worker_gives_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "CRASHES_BEFORE_ANY_RESULT", 3)
    with WorkerPool(2) as pool, pytest.raises(EveryItemCrashesError, match="the first 3 items all killed") as raised:
        list(pool.map_unordered(exit_unless_zero, range(1, 40), on_crash=_crashed))
    assert (raised.value.count, raised.value.cause) == (3, "worker process exited with code 3")


def test_crashes_after_a_first_result_never_stop_the_map(monkeypatch: pytest.MonkeyPatch) -> None:
    # Item 0's worker starts with the first crasher's; the next crashers each wait for a new worker, so 0 comes back first.
    monkeypatch.setattr(parallel, "CRASHES_BEFORE_ANY_RESULT", 3)
    with WorkerPool(2) as pool:
        results = Counter(pool.map_unordered(exit_unless_zero, range(5), on_crash=_crashed))
    assert results == Counter([0] + [(i, "worker process exited with code 3") for i in range(1, 5)])


# --- one thread per item: a stored result must not depend on --jobs ---------------------------------------------


@pytest.mark.parametrize("jobs", [1, 2])
def test_each_item_runs_on_one_thread_in_a_worker_or_here_when_asked_and_this_process_gets_its_threads_back(
    jobs: int, two_torch_threads: None
) -> None:
    import torch

    with WorkerPool(jobs, one_thread_here=True) as pool:
        assert list(pool.map_unordered(threads_in_use, range(3))) == [(1, 1)] * 3
    assert torch.get_num_threads() == 2


def test_unasked_an_item_here_runs_with_this_process_threads(two_torch_threads: None) -> None:
    # The web server curates uploads in this process, beside requests on other threads that the limits would slow.
    with WorkerPool(1) as pool:
        assert [torch_threads for torch_threads, _ in pool.map_unordered(threads_in_use, range(2))] == [2, 2]


def test_an_item_here_that_loads_torch_runs_it_on_one_thread_and_leaves_torch_a_thread_per_core() -> None:
    # As in `picscore index` on one file: torch is not loaded until the first item needs it.
    code = (
        "import json; from picscore.library.parallel import WorkerPool, default_jobs;"
        " from tests.library.thread_probe import threads_in_use;"
        " inside = list(WorkerPool(1, one_thread_here=True).map_unordered(threads_in_use, [0])); import torch;"
        " print(json.dumps([inside, torch.get_num_threads(), default_jobs()]))"
    )
    environment = {name: value for name, value in os.environ.items() if name != "OMP_NUM_THREADS"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=Path(__file__).parents[2], env=environment, capture_output=True, text=True, check=True
    )
    inside, after, cores = json.loads(result.stdout)
    assert (inside, after) == ([[1, 1]], cores)


@pytest.mark.slow
def test_a_library_indexed_in_this_process_stores_what_two_workers_store(tmp_path: Path) -> None:
    # Each worker runs on one thread; in this process on two, musicnn's outputs moved by about 1e-7 and the moods
    # by 1e-9, so a track resumed alone after a kill was stored differently (seen in tests/robustness/test_kills.py).
    (tmp_path / "music").mkdir()
    for i, name in enumerate(("a.flac", "b.flac")):
        write_song(tmp_path / "music" / name, seconds=20.0, bpm=100 + 20 * i, seed=i)
    stored = {}
    for jobs in (1, 2):
        library = tmp_path / f"jobs{jobs}.db"
        subprocess.run(
            indexer_command(library, tmp_path / "music", jobs=jobs, encoders="musicnn-mtt,musicnn-msd"), check=True, capture_output=True
        )
        stored[jobs] = analysis_of(whole_tracks(library))
    assert len(stored[1]) == 2
    assert stored[1] == stored[2]


@pytest.fixture(scope="module")
def songs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three short songs, one of them named to kill the worker that works on it."""
    folder = tmp_path_factory.mktemp("music")
    for i, name in enumerate(("a.flac", f"{crashing_job.CRASH_MARK}.flac", "b.flac")):
        write_song(folder / name, seconds=3.0, bpm=90 + 10 * i, seed=i)
    return folder


@pytest.mark.parametrize(
    ("job", "replacement", "stage"),
    [("_fingerprint_job", crashing_job.fingerprint_or_die, "fingerprinting"), ("_run_job", crashing_job.analyse_or_die, "the analysis")],
)
def test_the_indexer_records_a_file_that_kills_its_worker_and_goes_on(
    library: Library, songs: Path, monkeypatch: pytest.MonkeyPatch, job: str, replacement: object, stage: str
) -> None:
    # The workers import the replacement by its own name, so the patch reaches them.
    monkeypatch.setattr(indexer, job, replacement)
    summary = index_paths(library, [songs], jobs=2, encoders=(), progress=False)
    error = f"{stage} crashed (worker process killed by SIGKILL)"
    assert (summary.indexed, summary.failed, summary.interrupted) == (2, 1, False)
    assert [(Path(p).name, e) for p, e in summary.failures] == [(f"{crashing_job.CRASH_MARK}.flac", error)]
    assert [(Path(e["path"]).name, e["error"]) for e in library.errors()] == [(f"{crashing_job.CRASH_MARK}.flac", error)]
    again = index_paths(library, [songs], jobs=2, encoders=(), progress=False)
    assert (again.indexed, again.unchanged, again.known_failures, again.failed) == (0, 2, 1, 0)


def test_the_indexer_stops_when_the_analysis_crashes_on_every_file_and_keeps_what_it_stored(
    library: Library, songs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_paths(library, [songs / "a.flac"], jobs=1, encoders=(), progress=False)
    for i in range(4):
        write_song(tmp_path / f"{crashing_job.CRASH_MARK}-{i}.flac", seconds=1.0, bpm=100, seed=i)
    monkeypatch.setattr(indexer, "_run_job", crashing_job.analyse_or_die)
    monkeypatch.setattr(parallel, "CRASHES_BEFORE_ANY_RESULT", 3)
    with pytest.raises(WorkerCrashError, match=r"the analysis crashed on each of the first 3 files \(worker process killed by SIGKILL"):
        index_paths(library, [tmp_path], jobs=2, encoders=(), progress=False)
    assert [Path(t["path"]).name for t in library.list_tracks()] == ["a.flac"]


@pytest.mark.slow
def test_on_ray_an_item_that_kills_its_worker_becomes_on_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("ray.data")
    from picscore.library import ray_engine

    monkeypatch.setattr(ray_engine, "_CHUNK_ITEMS", 3)  # several datasets in one map, as for a large catalogue
    with ray_engine.RayPool(2) as pool:
        results = Counter(pool.map_unordered(square_or_exit, ITEMS, on_crash=_crashed))
    assert results == Counter([i * i for i in ITEMS if i != CRASH_ON] + [(CRASH_ON, "Ray worker process died on it 2 times")])
