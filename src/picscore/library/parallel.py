"""Run a function over many items in worker processes, results in completion order.

One worker per core by default; `jobs=1` runs in this process (no start-up cost, easy to
debug). A worker runs on one thread; so can the work in this process (`one_thread_here`), for
results that are stored: sums split over threads round differently (musicnn's outputs move by
about 1e-7), and a stored result must not depend on `--jobs`.
Workers ignore Ctrl-C so the parent decides what to keep; `terminate()` stops them.

Each worker takes one item at a time, so when a worker process dies (a crash in a native
decoder, the OOM killer) the pool knows the item it was on. A dead worker is replaced and the
map carries on; its item is tried again alone once the rest is done, since the death may have
been its neighbours' fault (memory). An item that kills its worker alone too becomes
`on_crash(item, cause)`, or, without `on_crash`, a `WorkerCrashError`. When the first
CRASHES_BEFORE_ANY_RESULT items all kill their workers, the work itself is broken (a native
library that crashes on every input), so the map stops with an `EveryItemCrashesError` rather
than start a worker for every remaining item, twice. Crashes after a first result never stop a
map: a folder of broken files must not stop the rest of a library.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from multiprocessing.connection import Connection, wait
from multiprocessing.context import SpawnContext
from typing import Any, TypeVar, cast

import threadpoolctl

T = TypeVar("T")
R = TypeVar("R")

_READY, _DONE, _RAISED = "ready", "done", "raised"  # what a worker sends: set up, a result, an exception
_EXIT_WAIT_S = 10.0  # how long a worker that closed its pipe or was asked to stop gets to exit
CRASHES_BEFORE_ANY_RESULT = 10  # a map whose first items all kill their worker gives up after this many


class WorkerCrashError(RuntimeError):
    """A worker process died: on an item, with no `on_crash` to turn that into a result, or before it could start."""


class EveryItemCrashesError(WorkerCrashError):
    """The first `count` items all killed their worker process, the last (`item`) by `cause`: the map stopped."""

    def __init__(self, count: int, cause: str, item: Any) -> None:
        super().__init__(f"the first {count} items all killed their worker process (the last, {item!r}: {cause})")
        self.count, self.cause, self.item = count, cause, item


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, multiprocessing.cpu_count())


def init_worker() -> None:
    """Set up a worker process: one thread, and Ctrl-C left to the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _one_thread_from_now()  # one process per core: nested BLAS/OpenMP threads would only fight over the cores


def _one_thread_from_now() -> threadpoolctl.threadpool_limits:
    """Limit this process to one thread: the libraries loaded already now (torch told itself, as threadpoolctl
    cannot see the MKL inside it), torch loaded later through the variable it reads. The limiter is returned:
    its restore_original_limits() gives the libraries loaded already their threads back."""
    limits = threadpoolctl.threadpool_limits(1)
    if (torch := sys.modules.get("torch")) is not None:
        torch.set_num_threads(1)
    os.environ["OMP_NUM_THREADS"] = "1"
    return limits


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run the block on one thread, as in a worker, and give this process its threads back after.

    torch, when the block is what loads it, gets afterwards the threads the variable asked for before the block,
    or one per usable core. The settings are the whole process's: not for a process whose other threads work
    meanwhile (the web server).
    """
    variable = os.environ.get("OMP_NUM_THREADS")
    torch = sys.modules.get("torch")
    asked = int(variable) if variable and variable.isdigit() else default_jobs()  # what torch loaded later would take
    torch_threads = torch.get_num_threads() if torch is not None else asked
    limits = _one_thread_from_now()
    try:
        yield
    finally:
        limits.restore_original_limits()
        if variable is None:
            del os.environ["OMP_NUM_THREADS"]
        else:
            os.environ["OMP_NUM_THREADS"] = variable
        if (torch := sys.modules.get("torch")) is not None:
            torch.set_num_threads(torch_threads)


def _here_on_one_thread(func: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
    """`func` of each item in this process, on one thread like a worker's (the limit lifted while the caller runs)."""
    for item in items:
        with one_thread():
            result = func(item)
        yield result


def _serve(conn: Connection) -> None:
    """A worker's life: set up, say so, then answer each (func, item) until told to stop (None)."""
    init_worker()
    conn.send((_READY, None))
    while (task := conn.recv()) is not None:
        func, item = task
        try:
            conn.send((_DONE, func(item)))
        except Exception as err:  # noqa: BLE001 - raised again in the parent, as by multiprocessing.Pool
            conn.send((_RAISED, err))


class _Worker:
    """One spawned worker process and the parent's end of its pipe."""

    def __init__(self, context: SpawnContext) -> None:
        self.conn, child_end = context.Pipe()
        self.process = context.Process(target=_serve, args=(child_end,), daemon=True)
        self.process.start()
        child_end.close()  # the child's copy is now the only one: its death reads as end-of-file here
        self.ready = False

    def give(self, func: Callable[[Any], Any], item: Any) -> None:
        """Hand the worker `func(item)` to compute."""
        with contextlib.suppress(OSError):  # a worker that died while idle: its end-of-file shows in the next wait
            self.conn.send((func, item))

    def receive(self) -> tuple[str, Any] | None:
        """The worker's next message, or None when its process has died."""
        try:
            return self.conn.recv()
        except (EOFError, OSError):
            return None

    def death(self) -> str:
        """How the worker's process ended (it has, or is about to: its pipe is closed)."""
        self.process.join(_EXIT_WAIT_S)
        self.kill()
        code = self.process.exitcode
        if code is not None and code < 0:
            return f"worker process killed by {signal.Signals(-code).name}"
        return f"worker process exited with code {code}"

    def stop(self) -> None:
        """Ask an idle worker to exit, and see that it does."""
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self.process.join(_EXIT_WAIT_S)
        self.kill()

    def kill(self) -> None:
        """Stop the process now, whatever it is doing."""
        self.process.terminate()
        self.process.join()
        self.conn.close()


class WorkerPool:
    """Up to `jobs` spawned worker processes (none for jobs=1) for unordered maps; they are started on demand and kept between maps.

    `one_thread_here`: with jobs=1, each item runs on one thread like a worker's (see one_thread), so that its
    result is the same whatever `jobs`; else with this process's threads.
    """

    def __init__(self, jobs: int, *, one_thread_here: bool = False):
        self.jobs = max(1, jobs)
        self.one_thread_here = one_thread_here
        self._context = multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []
        self._idle: list[_Worker] = []

    def map_unordered(self, func: Callable[[T], R], items: Iterable[T], *, on_crash: Callable[[T, str], R] | None = None) -> Iterator[R]:
        """`func` of every item, in the order they finish; an item whose worker dies is `on_crash(item, cause)`.

        `cause` says how the worker died ("worker process killed by SIGSEGV"). Without
        `on_crash`, such an item raises WorkerCrashError. With jobs=1 everything runs in
        this process (on one thread with `one_thread_here`), where a crash ends the run (there is no
        worker to lose).
        """
        if self.jobs == 1:
            return _here_on_one_thread(func, items) if self.one_thread_here else map(func, items)
        return self._map(func, items, on_crash)

    def _map(self, func: Callable[[T], R], items: Iterable[T], on_crash: Callable[[T, str], R] | None) -> Iterator[R]:
        """All items `jobs` at a time, then those whose worker died again, one at a time."""
        suspects: list[T] = []
        for item, cause, result in self._run(func, items, width=self.jobs, crash_limit=CRASHES_BEFORE_ANY_RESULT):
            if cause is None:
                yield result
            else:
                suspects.append(item)
        for item, cause, result in self._run(func, suspects, width=1):
            if cause is None:
                yield result
            elif on_crash is None:
                raise WorkerCrashError(f"{cause} while working on {item!r}")
            else:
                yield on_crash(item, cause)

    def _run(
        self, func: Callable[[T], R], items: Iterable[T], *, width: int, crash_limit: int | None = None
    ) -> Iterator[tuple[T, str | None, Any]]:
        """(item, None, result) or (item, how its worker died, None) for each item, at most `width` at once.

        With `crash_limit`, EveryItemCrashesError once that many items have killed their worker and none has given a result.
        """
        todo = iter(items)
        busy: dict[Connection, tuple[_Worker, T]] = {}
        crashes, results = 0, 0
        try:
            while True:
                for item in islice(todo, width - len(busy)):
                    worker = self._idle.pop() if self._idle else self._spawn()
                    worker.give(func, item)
                    busy[worker.conn] = (worker, item)
                if not busy:
                    return
                for ready in wait(list(busy)):
                    conn = cast(Connection, ready)  # wait() returns the objects it was given
                    worker, item = busy[conn]
                    message = worker.receive()
                    if message is None:
                        del busy[conn]
                        cause = self._bury(worker)
                        crashes += 1
                        if crash_limit is not None and not results and crashes >= crash_limit:
                            raise EveryItemCrashesError(crashes, cause, item)
                        yield item, cause, None
                    elif message[0] == _READY:
                        worker.ready = True
                    else:
                        del busy[conn]
                        self._idle.append(worker)
                        results += 1
                        if message[0] == _RAISED:
                            raise message[1]
                        yield item, None, message[1]
        finally:  # stopped early (an exception, Ctrl-C, the caller gave up): the unfinished work is abandoned
            for worker, _ in busy.values():
                self._workers.remove(worker)
                worker.kill()

    def _spawn(self) -> _Worker:
        worker = _Worker(self._context)
        self._workers.append(worker)
        return worker

    def _bury(self, worker: _Worker) -> str:
        """Forget a dead worker; how it died. A worker that dies before it is set up fails the whole map."""
        self._workers.remove(worker)
        cause = worker.death()
        if not worker.ready:
            raise WorkerCrashError(f"{cause} before it could take work: its set-up failed")
        return cause

    def terminate(self) -> None:
        """Stop the workers now, abandoning what they are doing."""
        for worker in self._workers:
            worker.kill()
        self._workers.clear()
        self._idle.clear()

    def close(self) -> None:
        """Let the idle workers exit; stop any still busy (a map left unfinished)."""
        for worker in self._idle:
            worker.stop()
        self.terminate()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.terminate() if exc_type else self.close()
