"""Incremental, parallel, resumable indexing of music folders into the library.

A file is analysed only when it is new or changed (size, mtime, then content fingerprint),
was analysed by an older analyser, or lacks the timbre statistics that its mood, without the taggers,
is read from (analysed before they were stored); a music encoder (musicnn) runs on a file only when
its stored output is missing or from an older version of that encoder. A known fingerprint
at a new path is a move (the old path is gone) or a copy; neither is analysed again. Each
file is decoded once for all of its work, and each finished track is committed on its own, in the
order the files sort (so the same folder indexed twice numbers its tracks the same), so a killed run
loses only the tracks in flight or finished behind one, and the next run picks up from there.

A new track's mood is computed with its analysis (moods/music.py); at the end of a run, every track
whose stored mood no longer fits what is stored of it (a tagger added later, a library indexed by an
older picscore) is scored again from the library alone (library/moods.py).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from picscore.audio import ANALYSIS_VERSION
from picscore.audio.analysis import DEFAULT_CONFIG, TooShortError, analyse, check_duration
from picscore.audio.music_encoders import DEFAULT_ENCODERS, DEFAULT_TAGGER_PATCHES, MUSIC_ENCODERS, encode_music
from picscore.library.moods import rescore_moods
from picscore.library.parallel import EveryItemCrashesError, WorkerCrashError, WorkerPool, default_jobs
from picscore.library.ray_engine import RayPool  # imports Ray only when used: it is an optional extra
from picscore.library.scan import FileStat, scan_audio_files
from picscore.library.store import KnownFile, Library, as_stored
from picscore.media.audio_decode import AudioDecodeError, DecodedAudio, decode_audio
from picscore.media.files import file_problem, name_problem, shown_path
from picscore.media.fingerprint import file_fingerprint
from picscore.moods.music import TAGGERS, mood_fields


@dataclass
class IndexSummary:
    """What one indexing run did."""

    indexed: int = 0
    encoded: int = 0
    unchanged: int = 0
    moved: int = 0
    copied: int = 0
    failed: int = 0
    rescored: int = 0  # tracks whose mood was computed again from what the library stores
    known_failures: int = 0
    missing: list[str] = field(default_factory=list)
    missing_roots: list[str] = field(default_factory=list)
    empty_roots: list[str] = field(default_factory=list)  # folders named that hold no audio file
    failures: list[tuple[str, str]] = field(default_factory=list)
    audio_seconds: float = 0.0
    wall_seconds: float = 0.0
    interrupted: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "failures": [{"path": p, "error": e} for p, e in self.failures]}


@dataclass(frozen=True)
class _Outcome:
    stat: FileStat
    value: Any = None
    error: str | None = None


@dataclass(frozen=True)
class _Job:
    """One file's work: the descriptor analysis (a new library row) and/or some encoders."""

    stat: FileStat
    fingerprint: str
    analyse: bool
    encoders: tuple[str, ...]
    track_id: int | None = None
    tagger_patches: int | None = DEFAULT_TAGGER_PATCHES


@dataclass(frozen=True)
class _Result:
    row: dict[str, Any] | None
    encodings: dict[str, dict[str, Any]]
    duration_seconds: float


def _fingerprint_job(stat: FileStat) -> _Outcome:
    if problem := file_problem(stat.path):  # a broken link, a named pipe, ...: nothing to read
        return _Outcome(stat, error=problem)
    try:
        return _Outcome(stat, file_fingerprint(stat.path))
    except OSError as err:
        return _Outcome(stat, error=f"cannot read the file ({err.strerror or err})")


def _run_job(job: _Job) -> _Outcome:
    try:
        decoded = decode_audio(job.stat.path, sr=DEFAULT_CONFIG.sr)
        check_duration(decoded.duration_seconds)
        row = analysis_row(job.stat, decoded, fingerprint=job.fingerprint) if job.analyse else None
        encodings = encode_music(decoded.samples, sr=decoded.sr, encoders=job.encoders, patches=job.tagger_patches)
        if row is not None:
            row.update(mood_fields(*as_stored(row, encodings)))  # as re-scoring will read them
        return _Outcome(job.stat, _Result(row, encodings, decoded.duration_seconds))
    except (AudioDecodeError, TooShortError) as err:
        return _Outcome(job.stat, error=str(err))
    except MemoryError:
        return _Outcome(job.stat, error="out of memory while analysing")
    except Exception as err:  # noqa: BLE001 - one bad file must never stop a batch
        return _Outcome(job.stat, error=f"analysis failed ({type(err).__name__}: {err})")


def _crashed(stat: FileStat, cause: str, stage: str) -> _Outcome:
    """The outcome for a file whose `stage` killed its worker process (a crash in native code, the OOM killer)."""
    return _Outcome(stat, error=f"{stage} crashed ({cause})")


@contextlib.contextmanager
def _stop_when_every_file_crashes(stage: str, *, stat_of: Callable[[Any], FileStat] = lambda stat: stat) -> Iterator[None]:
    """Say in a user's terms why the pool gave up: `stage` crashed on every file so far, so it is broken here.

    `stat_of` turns the pool's item into the file it was about.
    """
    try:
        yield
    except EveryItemCrashesError as err:
        path = stat_of(err.item).path
        raise WorkerCrashError(
            f"{stage} crashed on each of the first {err.count} files ({err.cause}; the last: {path}): it is broken on this machine, "
            "so indexing stops and keeps what it stored; `--jobs 1` runs it in this process, to see the crash"
        ) from err


def analysis_row(stat: FileStat, decoded: DecodedAudio, *, fingerprint: str) -> dict[str, Any]:
    """Analyse a decoded file into a library row."""
    analysis = analyse(decoded.samples, config=DEFAULT_CONFIG)
    return {
        "path": stat.path,
        "size": stat.size,
        "mtime_ns": stat.mtime_ns,
        "fingerprint": fingerprint,
        "analysis_version": ANALYSIS_VERSION,
        **{name: decoded.tags.get(name) for name in ("title", "artist", "album", "genre", "year")},
        "codec": decoded.info.codec,
        "container": decoded.info.container,
        "source_sample_rate": decoded.info.sample_rate,
        "channels": decoded.info.channels,
        "bit_rate": decoded.info.bit_rate,
        **analysis.as_row(),
    }


def index_paths(
    library: Library,
    roots: Sequence[str | Path],
    *,
    jobs: int | None,
    encoders: tuple[str, ...] = DEFAULT_ENCODERS,
    tagger_patches: int | None = DEFAULT_TAGGER_PATCHES,
    progress: bool = True,
    engine: str = "local",
    address: str | None = None,
) -> IndexSummary:
    """Bring the library up to date with the audio files under `roots`.

    `encoders` names the music encoders to keep current (see MUSIC_ENCODERS); an empty
    tuple indexes descriptors alone; `tagger_patches` is how many 3-second patches of a track they
    run on, spread over it (None: every patch). `engine` "local" runs the work in `jobs` processes
    here (None: every core); "ray" runs the same work as Ray Data jobs on the cluster at
    `address`, or on a local Ray instance without one (jobs None: every CPU of the
    cluster). Ctrl-C stops the workers and returns the summary so far
    (interrupted=True); everything committed before stays.
    """
    started = time.perf_counter()
    summary = IndexSummary()
    scan = scan_audio_files(roots)
    files, summary.missing_roots, summary.empty_roots = scan.files, scan.missing_roots, scan.empty_roots
    candidates, encoder_jobs = _files_needing_work(library, files, encoders, summary)
    try:
        with _open_pool(engine, jobs, address, work=max(1, len(candidates) + len(encoder_jobs))) as pool:
            new_jobs = _resolve_known_content(library, pool, candidates, encoders, summary)
            work = [replace(job, tagger_patches=tagger_patches) for job in new_jobs + encoder_jobs]
            _run_all(library, pool, work, summary, progress=progress)
        summary.rescored = rescore_moods(library)
    except KeyboardInterrupt:
        summary.interrupted = True
    summary.missing = _missing_under(library, roots)
    summary.wall_seconds = time.perf_counter() - started
    return summary


def _open_pool(engine: str, jobs: int | None, address: str | None, *, work: int) -> WorkerPool | RayPool:
    """The pool that runs the per-file work: no more workers than files to work on."""
    if engine == "ray":
        return RayPool(jobs, address=address)
    if engine != "local":
        raise ValueError(f"unknown engine {engine!r}; choose local or ray")
    return WorkerPool(min(jobs or default_jobs(), work), one_thread_here=True)  # a track stored is the same whatever the jobs


def _files_needing_work(
    library: Library, files: list[FileStat], encoders: tuple[str, ...], summary: IndexSummary
) -> tuple[list[FileStat], list[_Job]]:
    """Split the files into those to fingerprint (new or changed) and known ones needing work."""
    known = library.known_files()
    failed = library.failed_files()
    candidates, jobs = [], []
    for stat in files:
        if problem := name_problem(stat.path):  # the library keeps paths as text; this one has none
            _record_failure(library, summary, replace(stat, path=shown_path(stat.path)), problem)
            continue
        row = known.get(stat.path)
        if row and (row.size, row.mtime_ns) == (stat.size, stat.mtime_ns):
            stale = _stale_encoders(row.encoder_versions, encoders)
            reanalyse = row.analysis_version != ANALYSIS_VERSION or _lacks_timbre_it_needs(row, encoders)
            if not reanalyse and not stale:
                summary.unchanged += 1
            else:
                jobs.append(_Job(stat, row.fingerprint, reanalyse, stale, row.track_id))
        elif not row and failed.get(stat.path) == (stat.size, stat.mtime_ns):
            summary.known_failures += 1
        else:
            candidates.append(stat)
    return candidates, jobs


def _lacks_timbre_it_needs(row: KnownFile, encoders: tuple[str, ...]) -> bool:
    """Whether a track analysed before timbre statistics were stored needs them: its mood is read from them where it
    will not have both taggers' outputs after this run (moods/music.py), so it is analysed once more."""
    will_have_taggers = all(name in encoders or row.encoder_versions.get(name) == MUSIC_ENCODERS[name].version for name in TAGGERS)
    return not row.has_timbre and not will_have_taggers


def _stale_encoders(stored: dict[str, int], wanted: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name for name in wanted if stored.get(name) != MUSIC_ENCODERS[name].version)


def _resolve_known_content(
    library: Library, pool: WorkerPool | RayPool, candidates: list[FileStat], encoders: tuple[str, ...], summary: IndexSummary
) -> list[_Job]:
    """Fingerprint the candidates; settle moves, copies and touched files without analysis."""
    jobs = []
    with _stop_when_every_file_crashes("fingerprinting"):
        for outcome in pool.map_unordered(
            _fingerprint_job, candidates, on_crash=lambda stat, cause: _crashed(stat, cause, "fingerprinting")
        ):
            stat = outcome.stat
            if outcome.error:
                _record_failure(library, summary, stat, outcome.error)
                continue
            same_content = library.tracks_with_fingerprint(outcome.value, analysis_version=ANALYSIS_VERSION)
            here = [t for t in same_content if t.path == stat.path]
            moved_from = [t for t in same_content if not Path(t.path).exists()]
            if here:  # only the mtime changed
                library.relocate_track(here[0].track_id, path=stat.path, size=stat.size, mtime_ns=stat.mtime_ns)
                summary.unchanged += 1
            elif moved_from:
                library.relocate_track(moved_from[0].track_id, path=stat.path, size=stat.size, mtime_ns=stat.mtime_ns)
                summary.moved += 1
            elif same_content:
                library.copy_track(same_content[0].track_id, path=stat.path, size=stat.size, mtime_ns=stat.mtime_ns)
                summary.copied += 1
            else:
                jobs.append(_Job(stat, outcome.value, analyse=True, encoders=encoders))
    return sorted(jobs, key=lambda job: job.stat.path)


def _run_all(library: Library, pool: WorkerPool | RayPool, jobs: list[_Job], summary: IndexSummary, *, progress: bool) -> None:
    track_ids = {job.stat.path: job.track_id for job in jobs}
    if progress and any(job.encoders for job in jobs):
        # Each worker loads the networks before its first file: say so, or the bar sits at 0 without a word.
        print("loading the music networks…", file=sys.stderr, flush=True)
    bar = tqdm(total=len(jobs), unit="track", desc="analysing", file=sys.stderr, disable=not progress or not jobs, dynamic_ncols=True)
    in_order = _InJobOrder([job.stat.path for job in jobs])
    with bar, _stop_when_every_file_crashes("the analysis", stat_of=lambda job: job.stat):
        try:
            for outcome in pool.map_unordered(_run_job, jobs, on_crash=lambda job, cause: _crashed(job.stat, cause, "the analysis")):
                if outcome.error:
                    _record_failure(library, summary, outcome.stat, outcome.error)
                for ready in in_order.finished(outcome.stat.path, None if outcome.error else outcome):
                    _store(library, summary, ready, track_id=track_ids[ready.stat.path])
                bar.set_postfix(failed=summary.failed, refresh=False)
                bar.update()
        finally:  # interrupted: what has finished is kept all the same
            for ready in in_order.held():
                _store(library, summary, ready, track_id=track_ids[ready.stat.path])


class _InJobOrder:
    """Releases finished work in the order of the jobs, whatever order the workers finish it in: new tracks are
    then numbered as their files sort, so indexing the same folder twice gives each track the same id."""

    def __init__(self, paths: list[str]) -> None:
        self._waiting = deque(paths)
        self._done: dict[str, _Outcome | None] = {}

    def finished(self, path: str, outcome: _Outcome | None) -> list[_Outcome]:
        """Note `path` as finished (None: it failed); the outcomes now due, in job order."""
        self._done[path] = outcome
        due = []
        while self._waiting and self._waiting[0] in self._done:
            if (ready := self._done.pop(self._waiting.popleft())) is not None:
                due.append(ready)
        return due

    def held(self) -> list[_Outcome]:
        """The finished outcomes still held back by unfinished earlier jobs, in job order (when a run stops early)."""
        return [ready for path in self._waiting if (ready := self._done.pop(path, None)) is not None]


def _store(library: Library, summary: IndexSummary, outcome: _Outcome, *, track_id: int | None) -> None:
    """Commit a finished job: a new track with its encodings, or new encodings of the known track `track_id`."""
    result: _Result = outcome.value
    if result.row is not None:
        library.save_track(result.row, result.encodings)
        summary.indexed += 1
    elif track_id is not None:
        library.save_encodings(track_id, result.encodings)
        summary.encoded += 1
    else:
        raise ValueError("new encodings without the track they belong to")
    summary.audio_seconds += result.duration_seconds


def _record_failure(library: Library, summary: IndexSummary, stat: FileStat, error: str) -> None:
    library.save_error(path=stat.path, size=stat.size, mtime_ns=stat.mtime_ns, error=error)
    summary.failed += 1
    summary.failures.append((stat.path, error))


def _missing_under(library: Library, roots: Sequence[str | Path]) -> list[str]:
    folders = [str(Path(r).expanduser().resolve()) for r in roots if Path(r).expanduser().is_dir()]
    return [t["path"] for t in library.missing_tracks() if any(t["path"].startswith(f.rstrip("/") + "/") for f in folders)]
