"""Run the indexer's per-file work as Ray Data jobs, on this machine or on a Ray cluster.

`RayPool` has `WorkerPool`'s shape (`map_unordered`, `terminate`, `close`, a context
manager), so the indexer only chooses the pool: the same functions run on the same items,
and their results stream back to the driver, which commits each one as it arrives. Each map
is a dataset of one item per block, mapped by a pool of actors (one per CPU): an actor's
process lives for the whole map, so what the function loads lazily and caches (the musicnn
models) is loaded once per worker. A worker that crashes is replaced and its files are
retried (Ray Data's default, without limit); results committed before stay either way.

On a cluster, every node must see the files at the paths the driver scanned (a shared
mount) and have picscore installed.
"""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from picscore.library.parallel import init_worker

T = TypeVar("T")
R = TypeVar("R")

MISSING_RAY_HINT = "picscore index --engine ray needs Ray: pip install 'picscore[ray]'"
_QUIET_LOGGERS = ("ray", "ray.data")


class RayUnavailableError(ImportError):
    """Ray is not installed; the message says how to install it."""


class RayEngineError(RuntimeError):
    """A Ray job failed as a whole (the cluster went away, an actor could not start)."""


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


class _Apply:
    """The actor that map_batches runs: applies `func` to each pickled item of a batch.

    Items and results travel as pickles so that any picklable value (the indexer's
    dataclasses) crosses Ray Data's Arrow blocks unchanged.
    """

    def __init__(self, func: Callable[[Any], Any]) -> None:
        init_worker()  # one thread per worker, Ctrl-C left to the driver, as in the local pool
        self.func = func

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[bytes]]:
        return {"result": [pickle.dumps(self.func(pickle.loads(item))) for item in batch["item"]]}


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

    def map_unordered(self, func: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """Apply `func` to every item on the cluster; results in the order they finish."""
        items = list(items)
        if not items:
            return iter(())
        return self._run(func, items, actors=min(self.connect(), len(items)))

    def _run(self, func: Callable[[T], R], items: list[T], *, actors: int) -> Iterator[R]:
        from ray.data import DataContext

        context = DataContext.get_current().copy()
        context.enable_progress_bars = False  # the indexer's own bar is the user's
        context.print_on_execution_start = False
        context.enable_auto_log_stats = False
        with DataContext.current(context):  # a dataset keeps the context it was made in
            dataset = self._ray.data.from_items([{"item": pickle.dumps(item)} for item in items], override_num_blocks=len(items))
            results = dataset.map_batches(
                _Apply,
                fn_constructor_args=(func,),
                batch_size=1,
                compute=self._ray.data.ActorPoolStrategy(size=actors),
                num_cpus=1,
            )
        try:
            for row in results.iter_rows():
                yield pickle.loads(row["result"])
        except self._ray.exceptions.RayError as err:
            raise RayEngineError(f"the Ray job failed ({type(err).__name__}); finished tracks are saved, run again to continue") from err

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
