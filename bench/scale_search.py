"""Large-catalogue search (scale bench, part b): picscore.trackspace.vector_index at millions of tracks.

For each catalogue size and index kind: build time (k-means training + adding every row, default
threads), bytes per track (the saved index file / tracks), recall@10 against exact search, and query
latency p50/p95 on ONE core (faiss.omp_set_num_threads(1), numpy's BLAS limited by threadpoolctl),
one query at a time on the memory-mapped index, for a range of nprobe; then exact numpy search's
latency on the same core as the baseline, and filtered searches (10% and 1% of tracks allowed).

Tracks are shaped like real ones: the 39-d zero-shot feature rows (models/zero_shot.py) of a real
library's tracks, grown to N rows. The real set is small (the bundled bench library has 59 game-music
tracks), so copies of its rows would make 59 tight blobs and copies of random Gaussian vectors would
have none of its structure (random vectors are the worst case for IVF: no clusters, all norms alike).
Each synthetic row is instead
  * a real row moved a uniform 0-50% of the way toward another real row: a continuum between real
    tracks, the way a large catalogue fills in between the styles a small one samples;
  * plus noise with the real rows' own covariance (their principal directions and spreads, scaled by
    NOISE), so it stays on the low-rank structure the real rows have (5 directions carry 80% of the
    variance), plus isotropic noise of 5% of each column's spread so no direction is empty;
  * with the two squared-norm columns recomputed from the affect and mood columns they summarise.
Queries are real too: the weight vectors (LinearScores.weights of the default zero-shot variant) of
the library's real pictures, and of albums made of 2-8 of them (their mean: a vector of the same kind
as suggest's album query, which z-scores each component of that mean once).

The d = 167 variant adds 128 unit-norm columns standing in for a trained model's track embeddings:
each real track gets a random unit direction, grown rows interpolate between their two tracks'
directions with the same weights plus noise, and each query adds a unit direction near a random
track's, scaled so its scores spread as much as the zero-shot part's.

    python bench/scale_search.py                                  # 1M and 5M tracks, d = 39 and d = 167 at 1M
    python bench/scale_search.py --sizes 200000 --queries 300 --no-learned
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import faiss
import numpy as np
from threadpoolctl import threadpool_limits

from picscore.library.image_features import IMAGE_ENCODER, IMAGE_ENCODER_VERSION, LAYERS_ENCODER, LAYERS_ENCODER_VERSION, PictureFeatures
from picscore.library.store import Library
from picscore.match.matchers import ZeroShotMatcher
from picscore.match.pictures import as_pictures
from picscore.models.zero_shot import AFFECT, AFFECT_NORM, MOOD, MOOD_NORM
from picscore.paths import data_dir
from picscore.trackspace.loading import load_candidates
from picscore.trackspace.vector_index import ExactIndex, IVFIndex, build_index, load_index

# The cache library `picscore evaluate --pairs ...` fills: real tracks (e.g. the SuperTux and Wesnoth music of
# tools/build_pairs.py) and the pairs' real pictures. Any indexed library whose pictures were suggested for works.
DEFAULT_LIBRARY = data_dir() / "evaluate.db"
NOISE = 0.3  # covariance-shaped noise, as a fraction of the real rows' spread along each principal direction
LEARNED_DIMENSIONS = 128
K = 10
NPROBES = (8, 16, 32, 64, 128, 256, 512)
EXACT_QUERIES = 40  # exact search is slow at millions of rows: time this many queries for its baseline
_CHUNK = 250_000  # rows generated at once


def load_real(library_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Real track feature rows [m, 39] and real picture query vectors [p, 39] from a copy of a picscore library."""
    if not library_path.exists():
        raise SystemExit(
            f"{library_path}: no such library; run `picscore evaluate --pairs PAIRS.tsv` (see tools/build_pairs.py) to make it,"
            " or pass --library with any indexed library whose pictures were suggested for (e.g. demo-output/library.db)"
        )
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "library.db"
        shutil.copy(library_path, copy)  # opening a Library writes to it
        with Library(copy) as library:
            candidates = load_candidates(library)
            with sqlite3.connect(copy) as db:
                hashes = [row[0] for row in db.execute("SELECT content_hash FROM image_features WHERE encoder = ?", (IMAGE_ENCODER,))]
            pictures = []
            for content_hash in hashes:
                cnn = library.image_features(content_hash, encoder=IMAGE_ENCODER, encoder_version=IMAGE_ENCODER_VERSION)
                layers = library.image_features(content_hash, encoder=LAYERS_ENCODER, encoder_version=LAYERS_ENCODER_VERSION)
                if cnn is not None and layers is not None:
                    pictures.append(PictureFeatures(content_hash, *cnn, layers=layers[0]))
            if not pictures:
                raise SystemExit(f"{library_path}: no cached picture features to make queries from")
            weights = ZeroShotMatcher(candidates).form(as_pictures(pictures)).weights
    return candidates.joint_space.features.astype(np.float64), weights


def grow_tracks(real: np.ndarray, n: int, *, rng: np.random.Generator, learned: np.ndarray | None = None) -> np.ndarray:
    """n float32 rows shaped like `real` [m, 39] (see the module docstring); `learned` [m, e] unit rows are grown alongside."""
    m, d = real.shape
    centred = real - real.mean(axis=0)
    _, spreads, directions = np.linalg.svd(centred, full_matrices=False)
    noise_basis = (NOISE * spreads / np.sqrt(m))[:, None] * directions  # [r, d]: covariance-shaped noise
    column_noise = 0.05 * real.std(axis=0)
    width = d + (0 if learned is None else learned.shape[1])
    out = np.empty((n, width), dtype=np.float32)
    for start in range(0, n, _CHUNK):
        count = min(_CHUNK, n - start)
        first, second = rng.integers(m, size=count), rng.integers(m, size=count)
        toward = rng.uniform(0.0, 0.5, size=(count, 1))
        rows = real[first] + toward * (real[second] - real[first])
        rows += rng.standard_normal((count, len(spreads))) @ noise_basis + rng.standard_normal((count, d)) * column_noise
        rows[:, AFFECT_NORM] = (rows[:, AFFECT] ** 2).sum(axis=1)
        rows[:, MOOD_NORM] = (rows[:, MOOD] ** 2).sum(axis=1)
        out[start : start + count, :d] = rows
        if learned is not None:
            embedded = learned[first] + toward * (learned[second] - learned[first])
            embedded += rng.standard_normal(embedded.shape) * (NOISE / np.sqrt(learned.shape[1]))
            out[start : start + count, d:] = embedded / np.linalg.norm(embedded, axis=1, keepdims=True)
    return out


def make_queries(pictures: np.ndarray, n: int, *, rng: np.random.Generator) -> np.ndarray:
    """n query vectors: every real picture's, then albums of 2-8 random pictures (mean weights)."""
    albums = [
        pictures[rng.choice(len(pictures), size=rng.integers(2, 9), replace=False)].mean(axis=0) for _ in range(max(n - len(pictures), 0))
    ]
    return np.concatenate([pictures, np.reshape(albums, (-1, pictures.shape[1]))])[:n].astype(np.float32)


def learned_queries(queries: np.ndarray, real: np.ndarray, learned: np.ndarray, *, rng: np.random.Generator) -> np.ndarray:
    """queries [n, 39] with a learned part [n, e]: a unit direction near a random real track's, scaled to match the zero-shot spread."""
    near = learned[rng.integers(len(learned), size=len(queries))] + rng.standard_normal((len(queries), learned.shape[1])) * 0.05
    near /= np.linalg.norm(near, axis=1, keepdims=True)
    zero_shot_spread = np.median((queries @ real.T.astype(np.float32)).std(axis=1))
    learned_spread = np.median((near @ learned.T).std(axis=1))
    return np.concatenate([queries, near * (zero_shot_spread / learned_spread)], axis=1).astype(np.float32)


@contextmanager
def one_core() -> Iterator[None]:
    """FAISS and numpy's BLAS on one thread inside the block."""
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        faiss.omp_set_num_threads(threads)


def latencies_ms(search, queries: np.ndarray) -> np.ndarray:
    """Milliseconds of search(query [1, d]) for each query, one at a time."""
    times = []
    for query in queries:
        start = time.perf_counter()
        search(query[None])
        times.append(time.perf_counter() - start)
    return np.array(times) * 1e3


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean fraction of each query's true top-k ids found (padding -1 ignored in the truth)."""
    return float(np.mean([len(set(f) & set(t[t >= 0])) / max((t >= 0).sum(), 1) for f, t in zip(found, truth, strict=True)]))


def run_search_bench(
    sizes: Sequence[int] = (1_000_000, 5_000_000),
    *,
    kinds: Sequence[str] = ("ivf-fp16", "ivf-sq8"),
    n_queries: int = 1000,
    library_path: Path = DEFAULT_LIBRARY,
    learned_sizes: Sequence[int] = (1_000_000,),
    nprobes: Sequence[int] = NPROBES,
    seed: int = 0,
    work_dir: Path | None = None,
) -> list[dict]:
    """One dict per (size, dims, kind, nprobe or filter): the figures the module docstring lists."""
    rng = np.random.default_rng(seed)
    real, pictures = load_real(library_path)
    print(f"real rows: {len(real)} tracks x {real.shape[1]} columns, {len(pictures)} pictures", flush=True)
    base_queries = make_queries(pictures, n_queries, rng=rng)
    learned = rng.standard_normal((len(real), LEARNED_DIMENSIONS))
    learned /= np.linalg.norm(learned, axis=1, keepdims=True)
    results = []
    with tempfile.TemporaryDirectory(dir=work_dir) as folder:
        for n in sizes:
            for with_learned in (False, True) if n in learned_sizes else (False,):
                tracks = grow_tracks(real, n, rng=rng, learned=learned if with_learned else None)
                queries = learned_queries(base_queries, real, learned, rng=rng) if with_learned else base_queries
                results += _bench_one(tracks, queries, kinds=kinds, nprobes=nprobes, rng=rng, path=Path(folder) / "index.faiss")
                del tracks
    return results


def _bench_one(
    tracks: np.ndarray, queries: np.ndarray, *, kinds: Sequence[str], nprobes: Sequence[int], rng: np.random.Generator, path: Path
) -> list[dict]:
    n, dims = tracks.shape
    ids = np.arange(1, n + 1, dtype=np.int64)  # like SQLite rowids
    exact = ExactIndex(tracks, ids)
    start = time.perf_counter()
    flat = faiss.IndexIDMap(faiss.IndexFlatIP(dims))
    flat.add_with_ids(tracks, ids)
    truth = _true_top(flat, queries)
    truth_s = time.perf_counter() - start
    print(f"\n{n:,} tracks, d = {dims}: ground truth (exact top-{K}) for {len(queries)} queries: {truth_s:.1f} s (all cores)", flush=True)
    print(_COLUMNS)
    with one_core():
        exact_ms = latencies_ms(lambda q: exact.search(q, k=K), queries[:EXACT_QUERIES])
    base = {"tracks": n, "dims": dims}
    rows = [
        {**base, "kind": "exact", "setting": "", "bytes_per_track": tracks.nbytes / n + 8, "recall": 1.0}
        | {"p50_ms": np.percentile(exact_ms, 50), "p95_ms": np.percentile(exact_ms, 95)}
    ]
    _print(rows[-1])
    filters = {fraction: np.sort(rng.choice(ids, size=int(n * fraction), replace=False)) for fraction in (0.1, 0.01)}
    filtered_truth = {fraction: _true_top(flat, queries, allowed=allowed) for fraction, allowed in filters.items()}
    del flat
    with one_core():
        for fraction, allowed in filters.items():
            times = latencies_ms(lambda q, allowed=allowed: exact.search(q, k=K, allowed_ids=allowed), queries[:EXACT_QUERIES])
            rows.append({**base, "kind": "exact", "setting": f"allowed {fraction:.0%}", "recall": 1.0} | _percentiles(times))
            _print(rows[-1])
    for kind in kinds:
        start = time.perf_counter()
        built = build_index(tracks, ids, kind=kind)
        build_s = time.perf_counter() - start
        built.save(path)
        del built
        index = load_index(path, mmap=True)
        assert isinstance(index, IVFIndex)
        common = {**base, "kind": kind, "build_s": build_s, "bytes_per_track": path.stat().st_size / n, "nlist": index.nlist}
        with one_core():
            for nprobe in nprobes:
                if nprobe > index.nlist:
                    continue
                found = index.search(queries, k=K, nprobe=nprobe)[1]
                times = latencies_ms(lambda q, index=index, nprobe=nprobe: index.search(q, k=K, nprobe=nprobe), queries)
                rows.append(common | {"setting": f"nprobe {nprobe}", "recall": recall(found, truth)} | _percentiles(times))
                _print(rows[-1])
            for fraction, allowed in filters.items():
                found = index.search(queries, k=K, allowed_ids=allowed)[1]
                times = latencies_ms(lambda q, index=index, allowed=allowed: index.search(q, k=K, allowed_ids=allowed), queries[:200])
                setting = f"allowed {fraction:.0%}, nprobe {index.nprobe}"
                rows.append(common | {"setting": setting, "recall": recall(found, filtered_truth[fraction])} | _percentiles(times))
                _print(rows[-1])
        del index
        path.unlink()
    exact_p50 = rows[0]["p50_ms"]
    for row in rows:
        row["speedup"] = exact_p50 / row["p50_ms"]
    return rows


def _true_top(flat: faiss.Index, queries: np.ndarray, *, allowed: np.ndarray | None = None) -> np.ndarray:
    """Exact top-K ids by inner product from a flat index (BLAS on every core: faster than numpy for many queries)."""
    if allowed is None:
        return flat.search(queries, K)[1]
    selector = faiss.IDSelectorBatch(allowed)  # held here: the parameters do not keep it alive
    params = faiss.SearchParameters()
    params.sel = selector
    return flat.search(queries, K, params=params)[1]


def _percentiles(times_ms: np.ndarray) -> dict:
    return {"p50_ms": float(np.percentile(times_ms, 50)), "p95_ms": float(np.percentile(times_ms, 95))}


_COLUMNS = "   tracks dims kind     setting                    build_s  B/track  recall@10  p50_ms  p95_ms  speedup"


def _format(row: dict) -> str:
    """One table line; build time and size only where they apply, speedup once known."""
    build = f"{row['build_s']:7.1f}" if "build_s" in row else "      -"
    size = f"{row['bytes_per_track']:7.1f}" if "bytes_per_track" in row else "      -"
    speedup = f"  {row['speedup']:7.1f}" if "speedup" in row else ""
    return (
        f"{row['tracks']:>9,} {row['dims']:>4} {row['kind']:<8} {row['setting']:<26} {build}  {size}  {row['recall']:9.3f}"
        f"  {row['p50_ms']:6.2f}  {row['p95_ms']:6.2f}{speedup}"
    )


def _print(row: dict) -> None:
    print(_format(row), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000], help="catalogue sizes (tracks)")
    parser.add_argument("--queries", type=int, default=1000, help="query vectors: the real pictures, then albums of them")
    parser.add_argument("--library", type=Path, default=DEFAULT_LIBRARY, help="picscore library with real tracks and cached pictures")
    parser.add_argument("--kinds", nargs="+", default=["ivf-fp16", "ivf-sq8"])
    parser.add_argument("--learned-sizes", type=int, nargs="*", default=[1_000_000], help="sizes also run at d = 167")
    parser.add_argument("--no-learned", action="store_true", help="skip the d = 167 runs")
    args = parser.parse_args()
    rows = run_search_bench(
        args.sizes,
        kinds=args.kinds,
        n_queries=args.queries,
        library_path=args.library,
        learned_sizes=() if args.no_learned else args.learned_sizes,
    )
    print("\nsummary (speedup = exact p50 / p50, one core)")
    print(_COLUMNS)
    for row in rows:
        print(_format(row))


if __name__ == "__main__":
    main()
