"""Large catalogues: (a) indexing throughput, local against Ray; (b) approximate search at 1M and 5M tracks;
and a paper estimate of indexing 10 million tracks on N machines from the measured per-core rate.

(a) is bench/scale_indexing.py, (b) bench/scale_search.py; see their docstrings for what each measures.
The estimate assumes what (a) shows on one node: the work is per file and independent, so a cluster's
rate is Ray's measured per-core rate (its overhead included) times its cores; the driver's SQLite
writes (0.19 ms a track, measured on 3,000 full tracks) and the network stay far below that rate. Costs use an assumed on-demand price per
core-hour (--price), as for general-purpose cloud machines in 2026.

    python bench/scale.py                                  # both parts, then the estimate
    python bench/scale.py --skip-search --tracks 8 --seconds 30
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from picscore.library.parallel import default_jobs
from scale_indexing import run_indexing_bench  # bench/ is on the path when run as `python bench/scale.py`
from scale_search import DEFAULT_LIBRARY, run_search_bench

CATALOGUE_TRACKS = 10_000_000
TRACK_MINUTES = 3.5  # a typical catalogue track
MACHINES = (1, 10, 50, 200)


def estimate(per_core_audio_s_per_s: float, *, cores_per_machine: int, price_per_core_hour: float) -> list[dict]:
    """Wall time and cost of indexing CATALOGUE_TRACKS tracks on each of MACHINES machines."""
    core_seconds = CATALOGUE_TRACKS * TRACK_MINUTES * 60 / per_core_audio_s_per_s
    rows = []
    for machines in MACHINES:
        cores = machines * cores_per_machine
        rows.append(
            {
                "machines": machines,
                "cores": cores,
                "hours": core_seconds / cores / 3600,
                "cost": math.ceil(core_seconds / 3600 * price_per_core_hour),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tracks", type=int, default=24, help="(a) songs to index (default: %(default)s)")
    parser.add_argument("--seconds", type=float, default=60.0, help="(a) seconds per song (default: %(default)s)")
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="(a) workers for both engines (default: every core)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000], help="(b) catalogue sizes")
    parser.add_argument("--queries", type=int, default=1000, help="(b) query vectors")
    parser.add_argument("--library", type=Path, default=DEFAULT_LIBRARY, help="(b) library with real tracks and pictures")
    parser.add_argument("--skip-search", action="store_true", help="only part (a) and the estimate")
    parser.add_argument("--cores-per-machine", type=int, default=16, help="for the estimate (default: %(default)s)")
    parser.add_argument("--price", type=float, default=0.04, help="US$ per core-hour for the estimate (default: %(default)s)")
    args = parser.parse_args()

    print(f"(a) indexing {args.tracks} tracks x {args.seconds:.0f} s, {args.jobs} workers, default encoders", flush=True)
    indexing = run_indexing_bench(args.tracks, args.seconds, args.jobs)
    for name in ("local", "ray", "ray_with_startup"):
        row = indexing[name]
        rate = f"{row['tracks_per_s']:.3f} tracks/s  {row['audio_s_per_s_per_core']:.1f} audio s/s per core"
        print(f"  {name:17s} {row['wall_s']:6.1f} s  {rate}")
    print(f"  Ray start-up {indexing['ray_startup_s']:.1f} s; Ray / local: {indexing['ray_overhead']:.2f}x")
    if not args.skip_search:
        print("\n(b) search, one core", flush=True)
        run_search_bench(args.sizes, n_queries=args.queries, library_path=args.library)
    per_core = indexing["ray"]["audio_s_per_s_per_core"]
    print(
        f"\nestimate: {CATALOGUE_TRACKS:,} tracks of {TRACK_MINUTES} min at {per_core:.1f} audio s/s per core (Ray, measured),"
        f" {args.cores_per_machine} cores a machine, ${args.price}/core-hour"
    )
    for row in estimate(per_core, cores_per_machine=args.cores_per_machine, price_per_core_hour=args.price):
        print(f"  {row['machines']:4d} machines ({row['cores']:5d} cores): {row['hours']:8.1f} h  ~${row['cost']:,}")


if __name__ == "__main__":
    main()
