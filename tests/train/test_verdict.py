"""A trained model is recommended only when it beats the untrained matcher and chance with p < 0.05."""

from __future__ import annotations

import numpy as np

from picscore.train.verdict import MEANINGFUL_VALIDATION_PAIRS, judge, small_validation_warning


def _epochs(untrained: np.ndarray, *trained: np.ndarray) -> list[list[float]]:
    return [untrained.tolist(), *(epoch.tolist() for epoch in trained)]


def test_a_clear_gain_on_many_pairs_is_recommended() -> None:
    rng = np.random.default_rng(0)
    untrained = 1.0 / rng.integers(2, 10, size=60)
    better = np.minimum(1.0, untrained * 2.5)
    verdict = judge(_epochs(untrained, untrained, better), best_epoch=2, random_mrr=0.2, best_p_vs_random=0.001)
    assert verdict.recommended and verdict.p_vs_untrained < 0.001
    assert verdict.p_vs_random == 0.002  # Bonferroni over the 2 epochs it was chosen from
    assert verdict.best_mrr > verdict.untrained_mrr


def test_the_best_of_many_noisy_epochs_is_not_recommended() -> None:
    """Forty epochs that rank as much at random as the untrained matcher: the best one looks better by luck."""
    rng = np.random.default_rng(1)
    untrained, *noisy = (1.0 / rng.integers(1, 10, size=30) for _ in range(41))
    best_epoch = 1 + int(np.argmax([epoch.mean() for epoch in noisy]))
    assert noisy[best_epoch - 1].mean() > untrained.mean()  # it does look better...
    verdict = judge(_epochs(untrained, *noisy), best_epoch=best_epoch, random_mrr=0.2, best_p_vs_random=0.004)
    assert not verdict.recommended and verdict.p_vs_untrained >= 0.05  # ...but not once the choice is allowed for
    assert "vs untrained p = " in verdict.reason and "vs random p = 0.160" in verdict.reason


def test_four_validation_pairs_say_nothing() -> None:
    untrained = np.array([0.5, 0.25, 1.0, 0.333])
    verdict = judge(_epochs(untrained, np.ones(4)), best_epoch=1, random_mrr=0.52, best_p_vs_random=0.06)
    assert not verdict.recommended  # 4 pairs: the smallest possible sign-flip p is 1/16
    assert verdict.reason.startswith("not shown better on 4 validation pairs")
    warning = small_validation_warning(4)
    assert warning is not None and warning.startswith("only 4 validation pairs: too few")
    assert small_validation_warning(MEANINGFUL_VALIDATION_PAIRS) is None


def test_a_run_whose_best_epoch_is_the_untrained_one_is_not_recommended() -> None:
    untrained = np.full(50, 0.5)
    verdict = judge(_epochs(untrained, untrained * 0.5), best_epoch=0, random_mrr=0.1, best_p_vs_random=0.0005)
    assert not verdict.recommended and verdict.reason == "no epoch validated better than the untrained matcher"
