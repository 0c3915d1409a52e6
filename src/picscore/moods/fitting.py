"""Fitting mood heads and measuring them honestly: ridge and multinomial logistic regression, and
cross-validation in which a group (a picture's theme, a track's artist) never sits on both sides of a fold.

Used by tools/fit_moods.py; numpy and scipy only.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from picscore.moods.heads import LinearHead

_MIN_SCALE = 1e-6


def fit_ridge(inputs: np.ndarray, targets: np.ndarray, *, penalty: float, input_weights: np.ndarray | None = None) -> LinearHead:
    """Ridge regression of targets [n, k] on standardised inputs [n, d], solved in whichever of the
    primal (d <= n) or dual (d > n) form is smaller. `input_weights` [d] multiply the standardised
    inputs, so that an input weighted w has its coefficient penalised w² times less."""
    mean, scale, x = _standardised(inputs)
    if input_weights is not None:
        scale = scale / input_weights
        x = x * input_weights
    centre = targets.mean(axis=0)
    y = targets - centre
    if x.shape[1] <= x.shape[0]:
        weights = np.linalg.solve(x.T @ x + penalty * np.eye(x.shape[1]), x.T @ y)
    else:
        weights = x.T @ np.linalg.solve(x @ x.T + penalty * np.eye(x.shape[0]), y)
    return _head(mean, scale, weights, centre, x)


def fit_logistic(inputs: np.ndarray, classes: np.ndarray, *, n_classes: int, penalty: float) -> LinearHead:
    """Multinomial logistic regression (L-BFGS) on standardised inputs; the head's outputs are logits.

    The loss is the mean cross-entropy plus penalty / 2 times the squared weights (not the biases).
    """
    from scipy.optimize import minimize  # only where a head is fitted

    mean, scale, x = _standardised(inputs)
    n, d = x.shape
    onehot = np.eye(n_classes)[classes]

    def loss_and_gradient(flat: np.ndarray) -> tuple[float, np.ndarray]:
        w = flat.reshape(d + 1, n_classes)
        probabilities = softmax(x @ w[:-1] + w[-1])
        loss = -np.sum(onehot * np.log(probabilities + 1e-12)) / n + penalty * np.sum(w[:-1] ** 2) / 2
        error = (probabilities - onehot) / n
        return loss, np.vstack([x.T @ error + penalty * w[:-1], error.sum(axis=0)]).ravel()

    result = minimize(loss_and_gradient, np.zeros((d + 1) * n_classes), jac=True, method="L-BFGS-B", options={"maxiter": 1000})
    w = result.x.reshape(d + 1, n_classes)
    return _head(mean, scale, w[:-1], w[-1], x)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of [n, k] logits."""
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def group_folds(groups: np.ndarray, *, folds: int, seed: int) -> np.ndarray:
    """[n] fold number of each item: the distinct groups dealt at random (seeded) into `folds` folds."""
    names, which = np.unique(groups, return_inverse=True)
    order = np.random.default_rng(seed).permutation(len(names))
    fold_of_group = np.empty(len(names), dtype=int)
    fold_of_group[order] = np.arange(len(names)) % folds
    return fold_of_group[which]


def out_of_fold(fit: Callable[[np.ndarray], LinearHead], inputs: np.ndarray, fold: np.ndarray) -> np.ndarray:
    """Every item's head output from a head fitted (by `fit`, given the training rows) without its fold."""
    outputs = None
    for k in np.unique(fold):
        held_out = fold == k
        predicted = fit(np.flatnonzero(~held_out))(inputs[held_out])
        if outputs is None:
            outputs = np.zeros((len(inputs), predicted.shape[1]))
        outputs[held_out] = predicted
    if outputs is None:
        raise ValueError("out_of_fold needs at least one fold")
    return outputs


def _standardised(inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    inputs = np.asarray(inputs, dtype=np.float64)
    mean, scale = inputs.mean(axis=0), np.maximum(inputs.std(axis=0), _MIN_SCALE)
    return mean, scale, (inputs - mean) / scale


def _head(mean: np.ndarray, scale: np.ndarray, weights: np.ndarray, bias: np.ndarray, standardised: np.ndarray) -> LinearHead:
    outputs = standardised @ weights + bias
    return LinearHead(mean, scale, weights, np.asarray(bias), outputs.mean(axis=0), outputs.std(axis=0))
