"""Run the indexer's per-file work as Ray Data jobs, on this machine or on a Ray cluster.

`RayPool` has `WorkerPool`'s shape (`map_unordered`, `terminate`, `close`, a context
manager), so the indexer only chooses the pool: the same functions run on the same items,
and their results stream back to the driver, which commits each one as it arrives. Each map
is a dataset of one item per block, mapped by a pool of actors (one per CPU): an actor's
process lives for the whole map, so what the function loads lazily and caches (the musicnn
models) is loaded once per worker.

A worker process that dies (a crash in native code, the OOM killer) is restarted by Ray and
its item retried, without limit: Ray Data's default, which Ray 2.60 lets one change only
through map_batches' deprecated remote arguments (max_restarts, max_task_retries). So the
bound is kept here: a small actor counts how often each item was started, and an item about
to start a third time (it killed its worker twice) is not run again but comes back as
`on_crash(item, cause)`, as in the local pool. Results committed before stay either way.

On a cluster, every node must see the files at the paths the driver scanned (a shared
mount) and have picscore installed.
"""

from __future__ import annotations

import itertools
import logging
import os
import pickle
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from picscore.library.parallel import init_worker

T = TypeVar("T")
R = TypeVar("R")

_MAX_STARTS = 2  # an item started this many times killed its worker each time but the last: not started again
_CRASH_CAUSE = f"Ray worker process died on it {_MAX_STARTS} times"
_CHUNK_ITEMS = 50_000  # per dataset: a new actor pool each (2-5 s), against minutes of work a chunk even on 800 cores

MISSING_RAY_HINT = "picscore index --engine ray needs Ray: pip install 'picscore[ray]'"
_QUIET_LOGGERS = ("ray", "ray.data")


class RayUnavailableError(ImportError):
    """Ray is not installed; the message says how to install it."""


class RayEngineError(RuntimeError):
    """A Ray job failed as a whole (the cluster went away, an actor could not start), or an item kept killing its worker."""


def _import_ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError as err:
        raise RayUnavailableError(MISSING_RAY_HINT) from err
    return ray


def _quiet_logs() -> None:
    """Keep Ray's start-up notes and Ray Data's progress logs off the user's terminal."""
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    # Ray's C++ core logs at ERROR what is only advice (actor restart caveats); real failures still raise.
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")


class _Starts:
    """The actor that counts how often each item (by index) was started, across worker restarts."""

    def __init__(self) -> None:
        self.starts: Counter[int] = Counter()

    def start(self, index: int) -> int:
        """Count a start of item `index`; how many there have been."""
        self.starts[index] += 1
        return self.starts[index]


class _Apply:
    """The actor that map_batches runs: applies `func` to each pickled item of a batch.

    Items and results travel as pickles so that any picklable value (the indexer's
    dataclasses) crosses Ray Data's Arrow blocks unchanged. The result of an item that
    killed its worker too often is None: the driver turns it into `on_crash`'s.
    """

    def __init__(self, func: Callable[[Any], Any], starts: Any) -> None:
        init_worker()  # one thread per worker, Ctrl-C left to the driver, as in the local pool
        self.func = func
        self.starts = starts
        self.ray = _import_ray()

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        indexes = [int(i) for i in batch["index"]]
        return {"index": indexes, "result": [self._apply(i, item) for i, item in zip(indexes, batch["item"], strict=True)]}

    def _apply(self, index: int, item: bytes) -> bytes | None:
        if self.ray.get(self.starts.start.remote(index)) > _MAX_STARTS:
            return None
        return pickle.dumps(self.func(pickle.loads(item)))


class RayPool:
    """`WorkerPool`'s interface on Ray: `jobs` actors (default: every CPU of the cluster).

    Connects on the first map with work to do, so a run with nothing to analyse costs no
    Ray start-up: to the cluster at `address` ("auto", "ray://host:10001", ...) or,
    without one, to a local Ray instance with `jobs` CPUs that it starts; only an
    instance started here is shut down by `close()`/`terminate()`.
    """

    def __init__(self, jobs: int | None = None, *, address: str | None = None) -> None:
        self._ray = _import_ray()
        self.jobs = jobs
        self.address = address
        self._started_here = False

    def connect(self) -> int:
        """Join or start Ray if not done yet (done by the first map otherwise); the number of actors to run."""
        if not self._ray.is_initialized():
            _quiet_logs()
            options = {"address": self.address} if self.address else {"num_cpus": self.jobs, "include_dashboard": False}
            try:
                self._ray.init(**options, log_to_driver=False, logging_level=logging.ERROR)
            except ConnectionError as err:
                raise RayEngineError(f"cannot reach the Ray cluster at {self.address}: {err}") from err
            self._started_here = True
        return self.jobs or max(1, int(self._ray.cluster_resources().get("CPU", 1)))

    def map_unordered(self, func: Callable[[T], R], items: Iterable[T], *, on_crash: Callable[[T, str], R] | None = None) -> Iterator[R]:
        """Apply `func` to every item on the cluster; results in the order they finish.

        An item that kills its worker process twice is `on_crash(item, cause)`, or without
        `on_crash` ends the map with a RayEngineError naming it. Items go to Ray _CHUNK_ITEMS
        at a time, one dataset each, so the driver never holds an object per file of a
        catalogue of millions.
        """
        items = list(items)
        if not items:
            return iter(())
        actors = min(self.connect(), len(items))
        chunks = (items[start : start + _CHUNK_ITEMS] for start in range(0, len(items), _CHUNK_ITEMS))
        return itertools.chain.from_iterable(self._run(func, chunk, on_crash, actors=actors) for chunk in chunks)

    def _run(self, func: Callable[[T], R], items: list[T], on_crash: Callable[[T, str], R] | None, *, actors: int) -> Iterator[R]:
        from ray.data import DataContext

        starts = self._ray.remote(num_cpus=0)(_Starts).remote()
        context = DataContext.get_current().copy()
        context.enable_progress_bars = False  # the indexer's own bar is the user's
        context.print_on_execution_start = False
        context.enable_auto_log_stats = False
        with DataContext.current(context):  # a dataset keeps the context it was made in
            rows = [{"index": i, "item": pickle.dumps(item)} for i, item in enumerate(items)]
            results = self._ray.data.from_items(rows, override_num_blocks=len(items)).map_batches(
                _Apply,
                fn_constructor_args=(func, starts),
                batch_size=1,
                compute=self._ray.data.ActorPoolStrategy(size=actors),
                num_cpus=1,
            )
        try:
            for row in results.iter_rows():
                if row["result"] is not None:
                    yield pickle.loads(row["result"])
                elif on_crash is None:
                    raise RayEngineError(f"{_CRASH_CAUSE} while working on {items[row['index']]!r}")
                else:
                    yield on_crash(items[row["index"]], _CRASH_CAUSE)
        except self._ray.exceptions.RayError as err:
            raise RayEngineError(f"the Ray job failed ({type(err).__name__}); finished tracks are saved, run again to continue") from err
        finally:
            if self._ray.is_initialized():  # not shut down by close() before this generator was dropped
                self._ray.kill(starts)

    def terminate(self) -> None:
        """Stop now: shut down the Ray instance if this pool started it."""
        self.close()

    def close(self) -> None:
        if self._started_here and self._ray.is_initialized():
            self._ray.shutdown()
        self._started_here = False

    def __enter__(self) -> RayPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
