"""Retrieval metrics on rankings whose answer is known by hand."""

from __future__ import annotations

import numpy as np
import pytest

from picscore.train.retrieval_metrics import rank_matrix, retrieval_report


def test_ranks_with_ties_averaged() -> None:
    ranks = rank_matrix(np.array([[0.9, 0.1, 0.5, 0.5]]))
    np.testing.assert_allclose(ranks, [[1.0, 4.0, 2.5, 2.5]])


def test_perfect_ranking() -> None:
    report = retrieval_report(np.eye(20) + 0.01, np.arange(20), n_permutations=2000)
    assert report.mrr == 1.0 and report.recall_at == {1: 1.0, 5: 1.0, 10: 1.0} and report.median_rank == 1.0
    assert report.mrr_p_value == pytest.approx(1 / 2001)
    assert report.random_recall_at[5] == 0.25 and report.random_median_rank == 10.5
    assert report.random_mrr == pytest.approx(sum(1 / k for k in range(1, 21)) / 20)


def test_known_ranks() -> None:
    # Targets land at ranks 1, 2 and 4 among 4 candidates.
    scores = np.array([[4.0, 3, 2, 1], [4.0, 3, 2, 1], [4.0, 3, 2, 1]])
    report = retrieval_report(scores, np.array([0, 1, 3]), n_permutations=100)
    assert report.mrr == pytest.approx((1 + 1 / 2 + 1 / 4) / 3)
    assert report.recall_at[1] == pytest.approx(1 / 3) and report.median_rank == 2.0


def test_constant_scores_earn_the_random_baseline_and_no_significance() -> None:
    report = retrieval_report(np.zeros((30, 12)), np.arange(30) % 12, n_permutations=500)
    assert report.recall_at[5] == 0.0  # every target shares rank 6.5 with all others
    assert report.mrr_p_value == 1.0


def test_random_scores_are_not_significant(rng: np.random.Generator) -> None:
    p_values = [
        retrieval_report(rng.standard_normal((40, 25)), rng.integers(0, 25, 40), n_permutations=300, seed=s).mrr_p_value for s in range(20)
    ]
    assert 0.2 < np.mean(p_values) < 0.8 and min(p_values) > 0.001
