"""Retrieval metrics for picture-to-music ranking, with the random baseline and a permutation test.

Each query (a picture) ranks all candidate tracks; its target is the track it was paired
with. A target tied with other tracks gets the mean of the ranks they share: neither the
best nor the worst of them, so ties neither help nor hurt on average.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

RECALL_KS = (1, 5, 10)


@dataclass(frozen=True)
class RetrievalReport:
    """Recall@K, MRR and median rank, beside what a random ranking would expect."""

    n_queries: int
    n_candidates: int
    recall_at: dict[int, float]
    mrr: float
    median_rank: float
    random_recall_at: dict[int, float]
    random_mrr: float
    random_median_rank: float
    mrr_p_value: float
    n_permutations: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def rank_matrix(scores: np.ndarray) -> np.ndarray:
    """rank[i, j]: the 1-based rank of candidate j for query i (higher score first, ties averaged)."""
    higher = (scores[:, None, :] > scores[:, :, None]).sum(axis=2)
    tied = (scores[:, None, :] == scores[:, :, None]).sum(axis=2) - 1
    return 1.0 + higher + tied / 2.0


def target_ranks(scores: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """[n_queries] the 1-based rank of each query's target (ties averaged, as in rank_matrix)."""
    return rank_matrix(np.asarray(scores, dtype=np.float64))[np.arange(len(targets)), np.asarray(targets, dtype=int)]


def retrieval_report(
    scores: np.ndarray, targets: np.ndarray, *, ks: tuple[int, ...] = RECALL_KS, n_permutations: int = 10_000, seed: int = 0
) -> RetrievalReport:
    """Metrics of `scores` [n_queries, n_candidates] for the true candidate index `targets` [n_queries].

    The p-value is a one-sided permutation test of MRR: how often shuffling which target
    belongs to which query (keeping every track's share of queries) scores as well as the
    real assignment; (1 + hits) / (1 + n_permutations).
    """
    scores = np.asarray(scores, dtype=np.float64)
    targets = np.asarray(targets, dtype=int)
    n_queries, n_candidates = scores.shape
    ranks = rank_matrix(scores)
    target_ranks = ranks[np.arange(n_queries), targets]
    mrr = float(np.mean(1.0 / target_ranks))
    rng = np.random.default_rng(seed)
    shuffled = np.stack([rng.permutation(targets) for _ in range(n_permutations)])
    permuted_mrr = (1.0 / ranks[np.arange(n_queries)[None, :], shuffled]).mean(axis=1)
    harmonic = float(np.sum(1.0 / np.arange(1, n_candidates + 1)))
    return RetrievalReport(
        n_queries=n_queries,
        n_candidates=n_candidates,
        recall_at={k: float(np.mean(target_ranks <= k)) for k in ks},
        mrr=mrr,
        median_rank=float(np.median(target_ranks)),
        random_recall_at={k: min(k, n_candidates) / n_candidates for k in ks},
        random_mrr=harmonic / n_candidates,
        random_median_rank=(n_candidates + 1) / 2.0,
        mrr_p_value=float((1 + np.sum(permuted_mrr >= mrr - 1e-12)) / (1 + n_permutations)),
        n_permutations=n_permutations,
    )
