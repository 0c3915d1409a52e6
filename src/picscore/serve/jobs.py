"""Render jobs: a bounded queue served by worker threads, so no request ever waits for a render.

`submit` refuses (QueueFull) when `max_waiting` jobs are already waiting; the page polls a job's
state and progress (frames written / frames planned) and fetches the video once it is done.
Finished jobs and their videos are forgotten after `keep_seconds`, and at most `max_kept` are kept.
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from picscore.render.plan import Plan
from picscore.render.slideshow import RenderError, render_slideshow
from picscore.render.video import X264_PRESET

_log = logging.getLogger(__name__)


class QueueFull(Exception):
    """Too many renders are waiting; the client should try again later."""


@dataclass
class RenderJob:
    """One render: its plan, where the video goes, and how far it has got."""

    id: str
    plan: Plan
    output: Path
    preset: str = X264_PRESET
    preview: bool = False
    about: dict[str, Any] = field(default_factory=dict)  # what clients are told of the job besides its progress (e.g. its track)
    state: str = "queued"
    frames_done: int = 0
    error: str | None = None
    created: float = field(default_factory=time.monotonic)

    def count_frames(self, done: int) -> None:
        """The renderer's report of frames written so far (read by polling requests)."""
        self.frames_done = done

    @property
    def progress(self) -> float:
        """0 to 1: the share of frames written (1 once done)."""
        return 1.0 if self.state == "done" else min(self.frames_done / max(self.plan.n_frames, 1), 0.99)


class RenderQueue:
    """`workers` threads rendering jobs in order from a queue holding at most `max_waiting` jobs."""

    def __init__(self, folder: Path, *, workers: int = 1, max_waiting: int = 4, max_kept: int = 32, keep_seconds: float = 3600.0):
        self.folder = folder
        self.max_waiting = max_waiting
        self.max_kept = max_kept
        self.keep_seconds = keep_seconds
        self._waiting: queue.Queue[RenderJob | None] = queue.Queue(maxsize=max_waiting)
        self._jobs: dict[str, RenderJob] = {}
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._work, name=f"picscore-render-{i}", daemon=True) for i in range(workers)]
        for thread in self._threads:
            thread.start()

    def submit(self, plan: Plan, *, preset: str = X264_PRESET, preview: bool = False, about: dict[str, Any] | None = None) -> RenderJob:
        """Queue a render of `plan` with the x264 `preset`, `about` it what clients should be told; QueueFull when
        max_waiting jobs already wait."""
        self._forget_old()
        job_id = secrets.token_hex(12)
        job = RenderJob(job_id, plan, self.folder / f"{job_id}.mp4", preset=preset, preview=preview, about=about or {})
        with self._lock:
            try:
                self._waiting.put_nowait(job)
            except queue.Full:
                waiting = "1 render is" if self.max_waiting == 1 else f"{self.max_waiting} renders are"
                raise QueueFull(f"{waiting} already waiting; try again when one has finished") from None
            self._jobs[job_id] = job
        return job

    def get(self, job_id: str) -> RenderJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def close(self) -> None:
        """Stop the workers once the job each is on has finished (queued jobs are dropped)."""
        while True:
            try:
                self._waiting.get_nowait()
            except queue.Empty:
                break
        for _ in self._threads:
            self._waiting.put(None)
        for thread in self._threads:
            thread.join()

    def _work(self) -> None:
        while (job := self._waiting.get()) is not None:
            job.state = "running"
            try:
                render_slideshow(job.plan, job.output, progress=False, preset=job.preset, on_frame=job.count_frames)
                job.state = "done"
            except RenderError as err:
                job.error, job.state = str(err), "failed"
            except Exception as err:  # noqa: BLE001 - a worker must survive any one job's failure
                _log.exception("render job %s failed", job.id)
                job.error, job.state = f"the render failed ({type(err).__name__}: {err})", "failed"

    def _forget_old(self) -> None:
        """Drop finished jobs older than keep_seconds, and the oldest finished ones beyond max_kept, with their videos."""
        cutoff = time.monotonic() - self.keep_seconds
        with self._lock:
            finished = sorted((j for j in self._jobs.values() if j.state in ("done", "failed")), key=lambda j: j.created)
            old = [j for j in finished if j.created < cutoff] + finished[: max(0, len(finished) - self.max_kept)]
            for job in old:
                self._jobs.pop(job.id, None)
        for job in old:
            job.output.unlink(missing_ok=True)
