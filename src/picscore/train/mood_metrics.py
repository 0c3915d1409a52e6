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
