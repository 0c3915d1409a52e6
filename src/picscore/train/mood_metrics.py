"""Metrics of the mood heads: classification (accuracy, per-class precision/recall/F1, confusion) and regression (MSE, Pearson r)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ClassificationReport:
    accuracy: float
    precision: np.ndarray  # [n_classes]; 0 for a class never predicted
    recall: np.ndarray  # [n_classes]; 0 for a class absent from the truth
    f1: np.ndarray
    confusion: np.ndarray  # [true class, predicted class] counts


def classification_report(truth: np.ndarray, predicted: np.ndarray, *, n_classes: int) -> ClassificationReport:
    """Accuracy, per-class precision/recall/F1 and the confusion matrix of class indices."""
    confusion = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(confusion, (truth, predicted), 1)
    hits = np.diag(confusion).astype(float)
    precision = np.divide(hits, confusion.sum(axis=0), out=np.zeros(n_classes), where=confusion.sum(axis=0) > 0)
    recall = np.divide(hits, confusion.sum(axis=1), out=np.zeros(n_classes), where=confusion.sum(axis=1) > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(n_classes), where=precision + recall > 0)
    accuracy = float(hits.sum() / max(len(truth), 1))
    return ClassificationReport(accuracy, precision, recall, f1, confusion)


def mean_squared_error(truth: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.mean((np.asarray(truth) - np.asarray(predicted)) ** 2))


def pearson_r(truth: np.ndarray, predicted: np.ndarray) -> float:
    """Pearson correlation of two vectors; 0 when either is constant."""
    a, b = np.asarray(truth, dtype=float) - np.mean(truth), np.asarray(predicted, dtype=float) - np.mean(predicted)
    denominator = np.sqrt((a**2).sum() * (b**2).sum())
    return float((a * b).sum() / denominator) if denominator > 0 else 0.0


@dataclass(frozen=True)
class CongruenceReport:
    """How many of each picture's top tracks share its mood quadrant: averaged over the pictures of each
    quadrant, then over the quadrants that have pictures, beside what random rankings give."""

    per_quadrant: np.ndarray  # [n_quadrants] mean share; NaN for a quadrant without pictures
    share: float
    chance: float  # the same measure for a random ranking: the mean, over those quadrants, of the tracks' share in them
    p_value: float  # permutation test: the tracks' quadrant labels shuffled
    n_pictures: int
    top: int

    def as_dict(self) -> dict[str, object]:
        return {
            "share": self.share,
            "chance": self.chance,
            "p_value": self.p_value,
            "per_quadrant": [None if np.isnan(v) else float(v) for v in self.per_quadrant],
            "pictures": self.n_pictures,
            "top": self.top,
        }


def congruence_report(
    top_positions: np.ndarray,
    track_quadrants: np.ndarray,
    picture_quadrants: np.ndarray,
    *,
    n_quadrants: int = 4,
    n_permutations: int = 10_000,
    seed: int = 0,
) -> CongruenceReport:
    """Congruence of rankings: `top_positions` [n_pictures, k] are positions into `track_quadrants` [m], each
    picture's best tracks; `picture_quadrants` [n_pictures] their own quadrants (all as quadrant indices)."""
    top_positions = np.asarray(top_positions)
    track_quadrants, picture_quadrants = np.asarray(track_quadrants), np.asarray(picture_quadrants)
    members = np.eye(n_quadrants)[picture_quadrants]  # [n, q]
    counts = members.sum(axis=0)
    present = counts > 0

    def per_quadrant(shares: np.ndarray) -> np.ndarray:  # [..., n] -> [..., q]
        with np.errstate(invalid="ignore", divide="ignore"):
            return (shares @ members) / counts

    observed = per_quadrant((track_quadrants[top_positions] == picture_quadrants[:, None]).mean(axis=1))
    share = float(observed[present].mean())
    rng = np.random.default_rng(seed)
    exceeded, done = 0, 0
    while done < n_permutations:
        block = min(500, n_permutations - done)
        shuffled = rng.permuted(np.tile(track_quadrants, (block, 1)), axis=1)
        shares = (shuffled[:, top_positions] == picture_quadrants[None, :, None]).mean(axis=2)
        exceeded += int((per_quadrant(shares)[:, present].mean(axis=1) >= share - 1e-12).sum())
        done += block
    chance = float(np.mean([(track_quadrants == q).mean() for q in np.flatnonzero(present)]))
    return CongruenceReport(observed, share, chance, (1 + exceeded) / (1 + n_permutations), len(picture_quadrants), top_positions.shape[1])
