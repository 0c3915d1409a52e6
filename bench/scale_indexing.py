"""Indexing throughput: the local engine against `--engine ray` on this machine.

Generates (once, cached in bench/.cache, as bench/index_speed.py does) a library of
synthetic songs, then indexes it with the default encoders on the local engine and on a
local Ray instance, each into a fresh library with the same number of workers, and prints
tracks/s and audio seconds per wall second, in total and per core, Ray's start-up apart
from its processing, and Ray's overhead over the local engine. On one node the two should
be on a par; the per-core figures size a run on many machines.

    python bench/scale_indexing.py                          # 24 tracks of 60 s, every core
    python bench/scale_indexing.py --tracks 8 --seconds 30 --jobs 2
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from index_speed import build_library  # bench/index_speed.py: `python bench/scale_indexing.py` puts bench/ on the path
from picscore.library.indexer import index_paths
from picscore.library.parallel import default_jobs
from picscore.library.ray_engine import RayPool
from picscore.library.store import Library


def _index(folder: Path, *, jobs: int, engine: str) -> float:
    """Index `folder` into a fresh library; the wall seconds it took."""
    with tempfile.TemporaryDirectory() as tmp, Library(Path(tmp) / "bench.db") as library:
        summary = index_paths(library, [folder], jobs=jobs, progress=False, engine=engine)
    assert summary.failed == 0, summary.failures
    return summary.wall_seconds


def run_indexing_bench(tracks: int, seconds: float, jobs: int) -> dict[str, Any]:
    """Index `tracks` songs of `seconds` locally and on Ray with `jobs` workers; the timings and rates."""
    folder, _ = build_library(tracks, seconds)
    local_seconds = _index(folder, jobs=jobs, engine="local")
    with RayPool(jobs) as ray:  # started here, so that its start-up is timed apart; the indexer joins it
        started = time.perf_counter()
        ray.connect()
        ray_startup = time.perf_counter() - started
        ray_seconds = _index(folder, jobs=jobs, engine="ray")
    audio = tracks * seconds
    result: dict[str, Any] = {"tracks": tracks, "seconds_per_track": seconds, "jobs": jobs, "ray_startup_s": ray_startup}
    for name, wall in (("local", local_seconds), ("ray", ray_seconds), ("ray_with_startup", ray_seconds + ray_startup)):
        result[name] = {
            "wall_s": wall,
            "tracks_per_s": tracks / wall,
            "audio_s_per_s": audio / wall,
            "tracks_per_s_per_core": tracks / wall / jobs,
            "audio_s_per_s_per_core": audio / wall / jobs,
        }
    result["ray_overhead"] = ray_seconds / local_seconds
    result["ray_overhead_with_startup"] = (ray_seconds + ray_startup) / local_seconds
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tracks", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="workers for both engines (default: every core)")
    args = parser.parse_args()

    print(f"library: {args.tracks} tracks x {args.seconds:.0f} s, {args.jobs} workers, default encoders", flush=True)
    result = run_indexing_bench(args.tracks, args.seconds, args.jobs)
    print()
    print(f"{'engine':18s} {'wall s':>7s} {'tracks/s':>9s} {'audio s/s':>10s} {'tracks/s/core':>14s} {'audio s/s/core':>15s}")
    for name in ("local", "ray", "ray_with_startup"):
        row = result[name]
        print(
            f"{name:18s} {row['wall_s']:7.1f} {row['tracks_per_s']:9.3f} {row['audio_s_per_s']:10.1f}"
            f" {row['tracks_per_s_per_core']:14.3f} {row['audio_s_per_s_per_core']:15.1f}"
        )
    print()
    print(f"Ray start-up (local instance): {result['ray_startup_s']:.1f} s")
    print(f"Ray / local wall time: {result['ray_overhead']:.2f}x processing, {result['ray_overhead_with_startup']:.2f}x with start-up")


if __name__ == "__main__":
    main()
