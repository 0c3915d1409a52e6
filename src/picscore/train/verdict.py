"""Whether a trained model is worth using: better than the untrained matcher and than chance, with p < 0.05.

Both tests are one-sided on the validation pictures, and both allow for the run having picked
its best epoch on those same pictures (the best of many looks better than it is) by a
Bonferroni correction for the number of epochs it was chosen from:

- against the untrained matcher, a paired sign-flip test of each picture's reciprocal rank;
- against chance, the best epoch's permutation test of MRR (retrieval_metrics).

A max-statistic permutation over epochs would be less conservative, but flipping signs against
one shared untrained baseline is not an exact null for it (8.5 % false positives at 5 % on 200
simulated runs of 40 noisy epochs), while Bonferroni is exact, if strict (2 % on the same runs).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

SIGNIFICANCE = 0.05
# Below this many validation pictures no test can show a difference that matters: with n pairs the
# smallest p a sign-flip test can reach is 2^-n, and a handful of ranks swings MRR by tenths.
MEANINGFUL_VALIDATION_PAIRS = 20
_SIGN_FLIPS = 10_000


@dataclass(frozen=True)
class Verdict:
    """The run's best model against the untrained matcher and against chance."""

    validation_pairs: int
    best_epoch: int
    best_mrr: float
    untrained_mrr: float
    random_mrr: float
    p_vs_untrained: float
    p_vs_random: float
    recommended: bool
    reason: str  # one line: why it is or is not recommended

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def small_validation_warning(validation_pairs: int) -> str | None:
    """A one-line warning when the validation split is too small for its figures to mean anything, else None."""
    if validation_pairs >= MEANINGFUL_VALIDATION_PAIRS:
        return None
    return (
        f"only {validation_pairs} validation pairs: too few to tell a better model from luck"
        f" (aim for {MEANINGFUL_VALIDATION_PAIRS} or more); no model from this run will be recommended unless it clears the tests anyway"
    )


def judge(
    epoch_reciprocal_ranks: list[list[float]], *, best_epoch: int, random_mrr: float, best_p_vs_random: float, seed: int = 0
) -> Verdict:
    """The verdict on epoch `best_epoch` from every epoch's per-picture reciprocal ranks (row 0: the untrained matcher)."""
    ranks = np.asarray(epoch_reciprocal_ranks, dtype=np.float64)
    untrained, best = ranks[0], ranks[best_epoch]
    chosen_from = max(len(ranks) - 1, 1)  # the epochs run
    p_vs_untrained = min(1.0, _sign_flip_p(best - untrained, seed=seed) * chosen_from)
    p_vs_random = min(1.0, best_p_vs_random * chosen_from)
    recommended, reason = _decide(
        best_epoch=best_epoch, p_vs_untrained=p_vs_untrained, p_vs_random=p_vs_random, validation_pairs=len(untrained)
    )
    return Verdict(
        validation_pairs=len(untrained),
        best_epoch=best_epoch,
        best_mrr=float(best.mean()),
        untrained_mrr=float(untrained.mean()),
        random_mrr=random_mrr,
        p_vs_untrained=p_vs_untrained,
        p_vs_random=p_vs_random,
        recommended=recommended,
        reason=reason,
    )


def _sign_flip_p(gains: np.ndarray, *, seed: int) -> float:
    """One-sided p of the mean gain per picture under random signs: (1 + as large) / (1 + flips)."""
    signs = np.random.default_rng(seed).choice([-1.0, 1.0], size=(_SIGN_FLIPS, len(gains)))
    flipped = signs @ gains / len(gains)
    return float((1 + np.sum(flipped >= gains.mean() - 1e-12)) / (1 + _SIGN_FLIPS))


def _decide(*, best_epoch: int, p_vs_untrained: float, p_vs_random: float, validation_pairs: int) -> tuple[bool, str]:
    if best_epoch == 0:
        return False, "no epoch validated better than the untrained matcher"
    failures = [f"{name} p = {p:.3f}" for name, p in (("vs untrained", p_vs_untrained), ("vs random", p_vs_random)) if p >= SIGNIFICANCE]
    if failures:
        few = f" on {validation_pairs} validation pairs" if validation_pairs < MEANINGFUL_VALIDATION_PAIRS else ""
        return False, f"not shown better{few} ({', '.join(failures)}; needs p < {SIGNIFICANCE})"
    return True, f"better than the untrained matcher (p = {p_vs_untrained:.3f}) and than random (p = {p_vs_random:.3f})"
