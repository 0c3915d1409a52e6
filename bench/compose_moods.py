"""Composer loop: does picscore's learned music mood hear the mood each piece was composed for?

Composes requests spread over the valence-arousal plane, reads each piece back with the learned
mood (the descriptor analysis, both musicnn taggers and the mood head, as `picscore index` runs
them) and prints asked against read, and the Pearson r per axis. Two sets: the design (a grid
over [-0.9, 0.9]^2, 5 x 4 for 20 requests) and a held-out set of as many requests at seeded random
positions with other seeds, which the composer was not tuned on.

    python bench/compose_moods.py                    # 20 + 20 requests of 30 s
    python bench/compose_moods.py --seconds 15 --requests 8 --seed 3
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from picscore.compose.composer import compose
from picscore.moods.music import mood_of_samples
from picscore.moods.plane import mood_words

SR = 22050  # the analysis rate: no resampling between composer and listener
LIMIT = 0.9  # requests stay this far from the plane's edges
HELD_OUT_SEED_OFFSET = 1000  # held-out pieces get seeds no design piece has


def design_requests(n: int, *, seed: int) -> list[tuple[float, float, int]]:
    """(valence, arousal, seed) on a grid about 5:4 across by up (5 x 4 for 20), first `n` cells."""
    columns = math.ceil(math.sqrt(n * 5 / 4))
    rows = math.ceil(n / columns)
    valences = np.linspace(-LIMIT, LIMIT, columns)
    arousals = np.linspace(-LIMIT, LIMIT, rows) if rows > 1 else np.zeros(1)
    cells = [(float(v), float(a)) for a in arousals for v in valences][:n]
    return [(v, a, seed + i) for i, (v, a) in enumerate(cells)]


def held_out_requests(n: int, *, seed: int) -> list[tuple[float, float, int]]:
    """(valence, arousal, seed) at seeded uniform positions, with seeds from HELD_OUT_SEED_OFFSET."""
    positions = np.random.default_rng([seed, 7]).uniform(-LIMIT, LIMIT, size=(n, 2))
    return [(float(v), float(a), seed + HELD_OUT_SEED_OFFSET + i) for i, (v, a) in enumerate(positions)]


def read_back(requests: list[tuple[float, float, int]], *, seconds: float) -> tuple[np.ndarray, float, float]:
    """Compose and read each request, printing a row per piece; returns [n, 4] asked and read, and the compose and read seconds."""
    rows, compose_seconds, read_seconds = [], 0.0, 0.0
    print(f"{'valence':>8} {'arousal':>8} {'seed':>5} | {'read v':>7} {'read a':>7}  {'bpm':>4} {'key':<10} {'words'}")
    for valence, arousal, seed in requests:
        start = time.perf_counter()
        piece = compose(valence=valence, arousal=arousal, seconds=seconds, sr=SR, seed=seed)
        composed = time.perf_counter()
        mood = mood_of_samples(piece.mono, sr=SR)
        read_seconds += time.perf_counter() - composed
        compose_seconds += composed - start
        rows.append((valence, arousal, mood["valence"], mood["arousal"]))
        words = mood_words(valence=mood["valence"], arousal=mood["arousal"])
        print(
            f"{valence:>8.2f} {arousal:>8.2f} {seed:>5} | {mood['valence']:>7.2f} {mood['arousal']:>7.2f}  "
            f"{piece.plan.bpm:>4.0f} {piece.plan.key_name:<10} {words}"
        )
    return np.array(rows), compose_seconds, read_seconds


def pearson(table: np.ndarray) -> tuple[float, float]:
    """Pearson r of asked against read valence, and of asked against read arousal."""
    return float(np.corrcoef(table[:, 0], table[:, 2])[0, 1]), float(np.corrcoef(table[:, 1], table[:, 3])[0, 1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each piece (default: %(default)s)")
    parser.add_argument("--requests", type=int, default=20, help="requests per set, at least 3 (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="first piece seed; also places the held-out set (default: %(default)s)")
    args = parser.parse_args()
    if args.requests < 3:
        parser.error("--requests must be at least 3 for a correlation")
    started = time.perf_counter()
    results = {}
    for name, requests in (
        ("design", design_requests(args.requests, seed=args.seed)),
        ("held-out", held_out_requests(args.requests, seed=args.seed)),
    ):
        print(f"\n{name}: {len(requests)} requests of {args.seconds:g} s at {SR} Hz")
        table, compose_seconds, read_seconds = read_back(requests, seconds=args.seconds)
        results[name] = pearson(table)
        print(f"composing {compose_seconds:.0f} s, reading {read_seconds:.0f} s")
    print()
    for name, (r_valence, r_arousal) in results.items():
        print(f"{name:>8}: Pearson r valence {r_valence:.2f}, arousal {r_arousal:.2f}")
    print(f"took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
