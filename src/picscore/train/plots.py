"""PNG figures of a training run: the confusion matrix of a mood head, and the curves of metrics.csv."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from picscore.atomic import atomic_path

if TYPE_CHECKING:  # matplotlib loads only when a plot is drawn
    from matplotlib.figure import Figure

_CURVES = (
    ("loss", "training loss"),
    ("val_mrr", "validation MRR"),
    ("val_random_mrr", "random MRR"),
    ("image_mood_accuracy", "image mood accuracy"),
)


def plot_confusion(
    path: Path, confusion: np.ndarray, classes: Sequence[str], *, title: str, truth: str = "true (the paired music's mood)"
) -> None:
    """A heat map of [true, predicted] counts, each cell labelled; `truth` names the rows."""
    figure, axes = _figure()
    axes.imshow(confusion, cmap="Blues")
    axes.set_xticks(range(len(classes)), classes)
    axes.set_yticks(range(len(classes)), classes)
    axes.set_xlabel("predicted")
    axes.set_ylabel(truth)
    for (row, column), count in np.ndenumerate(confusion):
        axes.text(column, row, str(count), ha="center", va="center", color="white" if count > confusion.max() / 2 else "black")
    axes.set_title(title)
    _save(figure, path)


def plot_curves(path: Path, rows: list[dict[str, float]]) -> None:
    """Training loss and validation metrics against the epoch."""
    figure, (left, right) = _figure(columns=2)
    epochs = [row["epoch"] for row in rows]
    for axes, (key, label) in zip((left, right, right, right), _CURVES, strict=True):
        axes.plot(epochs, [row[key] for row in rows], marker="o", label=label)
    left.set_title("training loss")
    right.set_title("validation")
    for axes in (left, right):
        axes.set_xlabel("epoch")
        axes.legend()
    _save(figure, path)


def _figure(*, columns: int = 1) -> tuple[Figure, Any]:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    from matplotlib import pyplot

    return pyplot.subplots(1, columns, figsize=(5 * columns, 4.5))


def _save(figure: Figure, path: Path) -> None:
    from matplotlib import pyplot

    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format=path.suffix.lstrip(".") or "png", dpi=100)
    pyplot.close(figure)
