"""Fitting mood heads: ridge and logistic regression find known maps, folds keep groups apart, and a head
saved to a file answers as it did."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from picscore.moods.fitting import fit_logistic, fit_ridge, group_folds, out_of_fold, softmax
from picscore.moods.heads import LinearHead, read_head


def test_ridge_recovers_a_linear_map_in_both_forms(rng: np.random.Generator) -> None:
    truth = rng.normal(size=(5, 2))
    for n in (400, 3):  # more rows than inputs (primal form), fewer (dual form)
        inputs = rng.normal(size=(n, 5)) * [1, 10, 0.1, 3, 1] + 7
        targets = inputs @ truth + [0.5, -2.0]
        head = fit_ridge(inputs, targets, penalty=1e-6)
        np.testing.assert_allclose(head(inputs), targets, atol=1e-3)
        if n > 5:
            fresh = rng.normal(size=(10, 5))
            np.testing.assert_allclose(head(fresh), fresh @ truth + [0.5, -2.0], atol=1e-3)


def test_a_larger_penalty_shrinks_towards_the_mean(rng: np.random.Generator) -> None:
    inputs = rng.normal(size=(50, 3))
    targets = inputs @ [[1.0], [2.0], [-1.0]]
    loose, tight = (fit_ridge(inputs, targets, penalty=p)(inputs) for p in (0.1, 1000.0))
    assert tight.std() < 0.2 * loose.std()
    assert tight.mean() == pytest.approx(targets.mean())


def test_an_input_weighted_w_is_penalised_w_squared_times_less(rng: np.random.Generator) -> None:
    inputs = rng.normal(size=(40, 3)) * [2.0, 0.5, 1.0] + 1.0
    targets = inputs @ [[1.0], [-1.0], [0.5]] + rng.normal(size=(40, 1))
    weights, penalty = np.array([1.0, 3.0, 0.5]), 7.0
    head = fit_ridge(inputs, targets, penalty=penalty, input_weights=weights)
    # By hand: ridge on standardised inputs with each coefficient's own penalty, penalty / w².
    x = (inputs - inputs.mean(axis=0)) / inputs.std(axis=0)
    y = targets - targets.mean(axis=0)
    coefficients = np.linalg.solve(x.T @ x + np.diag(penalty / weights**2), x.T @ y)
    np.testing.assert_allclose(head(inputs), x @ coefficients + targets.mean(axis=0), atol=1e-9)
    assert not np.allclose(head(inputs), fit_ridge(inputs, targets, penalty=penalty)(inputs), atol=1e-3)


def test_logistic_separates_classes_and_outputs_logits(rng: np.random.Generator) -> None:
    centres = np.array([[3, 3], [-3, 3], [-3, -3], [3, -3]], dtype=float)
    classes = rng.integers(0, 4, size=400)
    inputs = centres[classes] + rng.normal(size=(400, 2))
    head = fit_logistic(inputs, classes, n_classes=4, penalty=1e-3)
    probabilities = softmax(head(inputs))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert (probabilities.argmax(axis=1) == classes).mean() > 0.95
    assert softmax(head(np.array([[3.0, -3.0]])))[0, 3] > 0.9


def test_group_folds_keep_each_group_on_one_side_and_are_seeded() -> None:
    groups = np.array([f"artist {k % 37}" for k in range(300)])
    fold = group_folds(groups, folds=5, seed=3)
    for name in np.unique(groups):
        assert len(set(fold[groups == name])) == 1
    assert set(fold) == set(range(5))
    np.testing.assert_array_equal(fold, group_folds(groups, folds=5, seed=3))
    assert not np.array_equal(fold, group_folds(groups, folds=5, seed=4))


def test_out_of_fold_never_sees_the_item_itself(rng: np.random.Generator) -> None:
    """Each item its own input: a fit with the item memorises it; without its fold, the head knows nothing
    of it and answers the other folds' mean."""
    inputs = np.eye(60)
    targets = rng.normal(size=(60, 1))
    fold = group_folds(np.arange(60), folds=5, seed=0)
    memorised = fit_ridge(inputs, targets, penalty=1e-6)(inputs)
    held_out = out_of_fold(lambda train: fit_ridge(inputs[train], targets[train], penalty=1e-6), inputs, fold)
    np.testing.assert_allclose(memorised, targets, atol=1e-3)
    others = np.array([targets[fold != fold[i]].mean() for i in range(60)])
    np.testing.assert_allclose(held_out[:, 0], others, atol=1e-6)


def test_a_saved_head_answers_the_same_and_names_a_wrong_width(tmp_path: Path, rng: np.random.Generator) -> None:
    head = fit_ridge(rng.normal(size=(30, 4)), rng.normal(size=(30, 2)), penalty=1.0)
    head = LinearHead(head.mean, head.scale, head.weights, head.bias, head.output_mean, head.output_sd, {"fitted_on": "toy"})
    head.save(tmp_path / "toy.npz")
    again = read_head(tmp_path / "toy.npz")
    probe = rng.normal(size=(3, 4))
    np.testing.assert_array_equal(again(probe), head(probe))
    assert again.about == {"fitted_on": "toy"}
    with pytest.raises(ValueError, match="reads 4 numbers per item"):
        again(rng.normal(size=(3, 5)))
