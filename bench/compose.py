"""Composition speed: seconds of music composed per wall second, on one core.

Composes pieces over a grid of moods at 44.1 kHz stereo, first with an empty note cache (every
note synthesised) and then again with the cache warm (as when the demo library is built, where
pieces share notes), and prints the real-time factor of each mood and overall. Set
OMP_NUM_THREADS=1 (done here before NumPy loads) to keep NumPy to one core.

    python bench/compose.py                      # 9 moods x 60 s
    python bench/compose.py --seconds 30 --sr 22050
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import time

from picscore.compose import instruments
from picscore.compose.composer import compose

MOODS = [(v, a) for a in (-0.8, 0.0, 0.8) for v in (-0.7, 0.0, 0.7)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each piece (default: %(default)s)")
    parser.add_argument("--sr", type=int, default=44100, help="sample rate in Hz (default: %(default)s)")
    args = parser.parse_args()
    compose(valence=0.0, arousal=0.0, seconds=2.0, sr=args.sr)  # imports and first-call set-up
    print(f"{len(MOODS)} pieces of {args.seconds:g} s, {args.sr} Hz stereo, OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}")
    print(f"{'valence':>8} {'arousal':>8} {'bpm':>5} {'cold x':>8} {'warm x':>8}")
    totals = {"cold": 0.0, "warm": 0.0}
    for seed, (valence, arousal) in enumerate(MOODS):
        factors = {}
        for run in ("cold", "warm"):
            if run == "cold":
                instruments.clear_note_cache()
            start = time.perf_counter()
            piece = compose(valence=valence, arousal=arousal, seconds=args.seconds, sr=args.sr, seed=seed)
            elapsed = time.perf_counter() - start
            totals[run] += elapsed
            factors[run] = args.seconds / elapsed
        print(f"{valence:>8.1f} {arousal:>8.1f} {piece.plan.bpm:>5.0f} {factors['cold']:>7.1f}x {factors['warm']:>7.1f}x")
    music = len(MOODS) * args.seconds
    print(f"overall: {music / totals['cold']:.1f}x real time with a cold note cache, {music / totals['warm']:.1f}x warm")


if __name__ == "__main__":
    main()
