"""Incremental, parallel, resumable indexing of music folders into the library.

A file is analysed only when it is new or changed (size, mtime, then content fingerprint)
or was analysed by an older analyser. A known fingerprint at a new path is a move (the old
path is gone) or a copy; neither is analysed again. Each finished track is committed on its
own, so a killed run loses only the tracks in flight and the next run picks up from there.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from picscore.audio.analysis import ANALYSIS_VERSION, DEFAULT_CONFIG, AnalysisConfig, analyse
from picscore.library.fingerprint import file_fingerprint
from picscore.library.parallel import WorkerPool
from picscore.library.scan import FileStat, scan_audio_files
from picscore.library.store import Library
from picscore.media.audio_decode import AudioDecodeError, decode_audio


@dataclass
class IndexSummary:
    """What one indexing run did."""

    indexed: int = 0
    unchanged: int = 0
    moved: int = 0
    copied: int = 0
    failed: int = 0
    known_failures: int = 0
    missing: list[str] = field(default_factory=list)
    missing_roots: list[str] = field(default_factory=list)
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


def _fingerprint_job(stat: FileStat) -> _Outcome:
    try:
        return _Outcome(stat, file_fingerprint(stat.path))
    except OSError as err:
        return _Outcome(stat, error=f"cannot read the file ({err.strerror or err})")


def _analysis_job(job: tuple[FileStat, str]) -> _Outcome:
    stat, fingerprint = job
    try:
        return _Outcome(stat, analyse_file(stat, fingerprint=fingerprint))
    except AudioDecodeError as err:
        return _Outcome(stat, error=str(err))
    except MemoryError:
        return _Outcome(stat, error="out of memory while analysing")
    except Exception as err:  # noqa: BLE001 - one bad file must never stop a batch
        return _Outcome(stat, error=f"analysis failed ({type(err).__name__}: {err})")


def analyse_file(stat: FileStat, *, fingerprint: str, config: AnalysisConfig = DEFAULT_CONFIG) -> dict[str, Any]:
    """Decode and analyse one file into a library row."""
    decoded = decode_audio(stat.path, sr=config.sr)
    if decoded.duration_seconds < 1.0:
        raise AudioDecodeError(f"too short to analyse ({decoded.duration_seconds:.2f} s; at least 1 s needed)")
    analysis = analyse(decoded.samples, config=config)
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
        "duration": analysis.duration_seconds,
        "bpm": analysis.bpm,
        "tempo_confidence": analysis.tempo_confidence,
        "beats": analysis.beat_times,
        "initial_key": analysis.key_name,
        "key_tonic": analysis.key_tonic,
        "key_mode": analysis.key_mode,
        "key_confidence": analysis.key_confidence,
        "loudness_lufs": analysis.loudness_lufs,
        "peak_dbfs": analysis.peak_dbfs,
        "energy_curve": analysis.energy_curve_db,
        "brightness_hz": analysis.brightness_hz,
        "highlight_start": analysis.highlight_start,
        "highlight_end": analysis.highlight_end,
        "valence": analysis.valence,
        "arousal": analysis.arousal,
    }


def index_paths(
    library: Library,
    roots: list[str | Path],
    *,
    jobs: int,
    progress: bool = True,
) -> IndexSummary:
    """Bring the library up to date with the audio files under `roots`.

    Ctrl-C stops the workers and returns the summary so far (interrupted=True); everything
    committed before stays.
    """
    started = time.perf_counter()
    summary = IndexSummary()
    files, summary.missing_roots = scan_audio_files(roots)
    candidates = _files_needing_work(library, files, summary)
    try:
        with WorkerPool(min(jobs, max(1, len(candidates)))) as pool:
            to_analyse = _resolve_known_content(library, pool, candidates, summary)
            _analyse_all(library, pool, to_analyse, summary, progress=progress)
    except KeyboardInterrupt:
        summary.interrupted = True
    summary.missing = _missing_under(library, roots)
    summary.wall_seconds = time.perf_counter() - started
    return summary


def _files_needing_work(library: Library, files: list[FileStat], summary: IndexSummary) -> list[FileStat]:
    known = library.known_files()
    failed = library.failed_files()
    candidates = []
    for stat in files:
        row = known.get(stat.path)
        if row and (row.size, row.mtime_ns) == (stat.size, stat.mtime_ns) and row.analysis_version == ANALYSIS_VERSION:
            summary.unchanged += 1
        elif not row and failed.get(stat.path) == (stat.size, stat.mtime_ns):
            summary.known_failures += 1
        else:
            candidates.append(stat)
    return candidates


def _resolve_known_content(
    library: Library, pool: WorkerPool, candidates: list[FileStat], summary: IndexSummary
) -> list[tuple[FileStat, str]]:
    """Fingerprint the candidates; settle moves, copies and touched files without analysis."""
    to_analyse = []
    for outcome in pool.map_unordered(_fingerprint_job, candidates):
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
            to_analyse.append((stat, outcome.value))
    return sorted(to_analyse, key=lambda job: job[0].path)


def _analyse_all(
    library: Library,
    pool: WorkerPool,
    jobs: list[tuple[FileStat, str]],
    summary: IndexSummary,
    *,
    progress: bool,
) -> None:
    bar = tqdm(total=len(jobs), unit="track", desc="analysing", file=sys.stderr, disable=not progress or not jobs, dynamic_ncols=True)
    with bar:
        for outcome in pool.map_unordered(_analysis_job, jobs):
            if outcome.error:
                _record_failure(library, summary, outcome.stat, outcome.error)
            else:
                library.save_track(outcome.value)
                summary.indexed += 1
                summary.audio_seconds += outcome.value["duration"]
            bar.set_postfix(failed=summary.failed, refresh=False)
            bar.update()


def _record_failure(library: Library, summary: IndexSummary, stat: FileStat, error: str) -> None:
    library.save_error(path=stat.path, size=stat.size, mtime_ns=stat.mtime_ns, error=error)
    summary.failed += 1
    summary.failures.append((stat.path, error))


def _missing_under(library: Library, roots: list[str | Path]) -> list[str]:
    folders = [str(Path(r).expanduser().resolve()) for r in roots if Path(r).expanduser().is_dir()]
    return [t["path"] for t in library.missing_tracks() if any(t["path"].startswith(f.rstrip("/") + "/") for f in folders)]
