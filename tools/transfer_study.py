"""Leave-one-set-out study: does a picture-to-music map learned on some games' pairs rank another game's music?

The zero-shot goal asks for matching that works on pair sets nobody tuned it on. This study measures the most direct
way to get there from data: learn a map from pictures to music on every set but one, then rank the held-out set's
tracks for its pictures, exactly as `picscore evaluate` ranks them (one query per pair, all distinct tracks of the set
as candidates, MRR against a random ranking, one-sided permutation p-value).

Features are those `picscore train` caches (EfficientNet-B0 pooled features and colour descriptors of the plain
picture; mean musicnn embedding, mean tag probabilities and descriptor valence/arousal of the music), read from the
same cache file, so a set is encoded once for both. Music vectors are centred over the distinct tracks of their own
set (a library's own statistics, as `suggest` z-scores over the library); pictures are centred by the training sets'
mean only, so nothing of the held-out set's pictures is used.

Maps (each fitted on the pairs of the training sets):
  knn-*     the 10 training pictures nearest in cosine, softmax-weighted (temperature 0.05), vote with their
            paired music's vector; tracks are ranked by cosine to the vote
  ridge-*   ridge regression (lambda given) from picture features to the paired music's vector; cosine ranking
  colour-*  the same from the six z-scored colour descriptors plus a bias, a low-capacity map that cannot memorise
            a game's look
Music vectors: embedding (400-d musicnn, both taggers), tags (100 mean tag probabilities), affect (learned valence, arousal
z-scored within the set; ranked by dot product).

Usage: python tools/transfer_study.py SET.tsv SET.tsv ... [--cache FILE] [--jobs N] [--permutations N] [--json]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from picscore.paths import data_dir
from picscore.train.dataset import load_pair_set
from picscore.train.features import FeatureCache
from picscore.train.pairs import read_pairs
from picscore.train.retrieval_metrics import retrieval_report

NEIGHBOURS = 10
TEMPERATURE = 0.05


@dataclass(frozen=True)
class PairFeatures:
    """One set's distinct pictures and tracks as arrays, and which picture goes with which track per pair."""

    picture_of_pair: np.ndarray  # [pairs] row of `pictures`
    track_of_pair: np.ndarray  # [pairs] row of the music arrays
    pictures: np.ndarray  # [pictures, 1280] EfficientNet features, unit length
    colour: np.ndarray  # [pictures, 6] colour descriptors
    music: dict[str, np.ndarray]  # kind -> [tracks, d], centred over the set's tracks


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)


def load_set(tsv: Path, cache: FeatureCache, *, jobs: int) -> PairFeatures:
    """The set's features, computed into the cache where missing (as `picscore train` does)."""
    pair_set, _ = load_pair_set(read_pairs(tsv), cache, jobs=jobs)
    embedding = _unit(np.stack([m.embedding for m in pair_set.music]))
    tags = np.stack([m.tags for m in pair_set.music])
    affect = np.stack([m.mood for m in pair_set.music])
    return PairFeatures(
        picture_of_pair=pair_set.image_of_pair,
        track_of_pair=pair_set.music_of_pair,
        pictures=_unit(np.stack([i.views[0] for i in pair_set.images])),
        colour=np.stack([i.colour for i in pair_set.images]),
        music={
            "embedding": _unit(embedding - embedding.mean(axis=0)),
            "tags": _unit(tags - tags.mean(axis=0)),
            "affect": (affect - affect.mean(axis=0)) / (affect.std(axis=0) + 1e-6),
        },
    )


Scorer = Callable[[list[PairFeatures], PairFeatures], np.ndarray]  # training sets, held-out set -> [pictures, tracks]


def _training_rows(train: list[PairFeatures], pictures: Callable[[PairFeatures], np.ndarray], kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Per training pair: the picture's row and the paired track's music vector."""
    x = np.concatenate([pictures(s)[s.picture_of_pair] for s in train])
    y = np.concatenate([s.music[kind][s.track_of_pair] for s in train])
    return x, y


def _ridge(x: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    return np.linalg.solve(x.T @ x + lam * np.eye(x.shape[1]), x.T @ y)


def _centred_pictures(train: list[PairFeatures]) -> Callable[[PairFeatures], np.ndarray]:
    """EfficientNet rows minus the training sets' mean picture, unit length."""
    mean = np.concatenate([s.pictures for s in train]).mean(axis=0)
    return lambda s: _unit(s.pictures - mean)


def _z_colour(train: list[PairFeatures]) -> Callable[[PairFeatures], np.ndarray]:
    """Colour descriptors z-scored by the training sets, with a bias column."""
    rows = np.concatenate([s.colour for s in train])
    mean, spread = rows.mean(axis=0), rows.std(axis=0) + 1e-6
    return lambda s: np.c_[(s.colour - mean) / spread, np.ones(len(s.colour))]


def knn(kind: str) -> Scorer:
    def score(train: list[PairFeatures], held: PairFeatures) -> np.ndarray:
        pictures = _centred_pictures(train)
        x, y = _training_rows(train, pictures, kind)
        similarity = pictures(held) @ x.T
        nearest = np.argsort(-similarity, axis=1)[:, :NEIGHBOURS]
        weights = np.exp(np.take_along_axis(similarity, nearest, axis=1) / TEMPERATURE)
        vote = np.einsum("qk,qkd->qd", weights / weights.sum(axis=1, keepdims=True), y[nearest])
        return vote @ held.music[kind].T

    return score


def ridge(kind: str, lam: float, features: Callable[[list[PairFeatures]], Callable[[PairFeatures], np.ndarray]]) -> Scorer:
    def score(train: list[PairFeatures], held: PairFeatures) -> np.ndarray:
        pictures = features(train)
        weights = _ridge(*_training_rows(train, pictures, kind), lam)
        return pictures(held) @ weights @ held.music[kind].T

    return score


METHODS: dict[str, Scorer] = {
    "knn-embedding": knn("embedding"),
    "knn-tags": knn("tags"),
    "ridge-embedding (lambda 10)": ridge("embedding", 10.0, _centred_pictures),
    "ridge-tags (lambda 10)": ridge("tags", 10.0, _centred_pictures),
    "colour-affect (lambda 1)": ridge("affect", 1.0, _z_colour),
    "colour-tags (lambda 1)": ridge("tags", 1.0, _z_colour),
}


def held_out_result(scores: np.ndarray, held: PairFeatures, *, permutations: int) -> dict[str, float]:
    """MRR over random MRR and the permutation p-value, one query per pair as `picscore evaluate` counts."""
    report = retrieval_report(scores[held.picture_of_pair], held.track_of_pair, n_permutations=permutations)
    return {"mrr": report.mrr, "random_mrr": report.random_mrr, "ratio": report.mrr / report.random_mrr, "p": report.mrr_p_value}


def study(sets: dict[str, PairFeatures], *, permutations: int) -> dict[str, dict[str, dict[str, float]]]:
    """method -> held-out set -> its result."""
    return {
        method: {
            name: held_out_result(score([s for n, s in sets.items() if n != name], held), held, permutations=permutations)
            for name, held in sets.items()
        }
        for method, score in METHODS.items()
    }


def table(results: dict[str, dict[str, dict[str, float]]]) -> str:
    """Ratio to random per held-out set (* for p < 0.01), the mean ratio, and how many sets reach 2x with p < 0.01."""
    names = list(next(iter(results.values())))
    lines = ["method".ljust(28) + "".join(n[:11].rjust(12) for n in names) + "mean".rjust(7) + "  2x&p<.01"]
    for method, by_set in results.items():
        cells = "".join(f"{r['ratio']:.2f}{'*' if r['p'] < 0.01 else ' '}".rjust(12) for r in by_set.values())
        wins = sum(r["ratio"] >= 2 and r["p"] < 0.01 for r in by_set.values())
        lines.append(method.ljust(28) + cells + f"{np.mean([r['ratio'] for r in by_set.values()]):7.2f}  {wins}/{len(by_set)}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="+", type=Path, metavar="SET.tsv", help="pair lists; each is held out in turn")
    default_cache = data_dir() / "training-features.db"
    parser.add_argument("--cache", type=Path, default=default_cache, help=f"feature cache file ({default_cache})")
    parser.add_argument("--jobs", type=int, default=2, help="processes for music features not cached yet (2)")
    parser.add_argument("--permutations", type=int, default=2000, help="permutations for each p-value (2000)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    with FeatureCache(args.cache) as cache:
        sets = {tsv.stem: load_set(tsv, cache, jobs=args.jobs) for tsv in args.sets}
    results = study(sets, permutations=args.permutations)
    print(json.dumps(results, indent=1) if args.json else table(results))


if __name__ == "__main__":
    main()
