"""Mood metrics against hand-computed values on toy cases."""

from __future__ import annotations

import numpy as np
import pytest

from picscore.train.mood_metrics import classification_report, congruence_report, pearson_r


def test_congruence_averages_per_quadrant_then_over_quadrants() -> None:
    tracks = np.array([0, 0, 1, 1, 2, 2, 3, 3])  # two tracks per quadrant
    top = np.array([[0, 1], [0, 2], [2, 3], [4, 0]])  # each picture's top 2 positions
    pictures = np.array([0, 0, 1, 2])  # no picture in quadrant 3
    report = congruence_report(top, tracks, pictures, n_permutations=200)
    # quadrant 0: pictures share 2/2 and 1/2 -> 0.75; quadrant 1: 2/2 -> 1; quadrant 2: 1/2 -> 0.5
    np.testing.assert_allclose(report.per_quadrant[:3], [0.75, 1.0, 0.5])
    assert np.isnan(report.per_quadrant[3])
    assert report.share == pytest.approx((0.75 + 1.0 + 0.5) / 3)
    assert report.chance == pytest.approx(0.25)
    assert (report.n_pictures, report.top) == (4, 2)


def test_congruence_p_value_is_small_for_a_perfect_ranking_and_not_for_a_blind_one(rng: np.random.Generator) -> None:
    tracks = np.repeat(np.arange(4), 25)
    pictures = rng.integers(0, 4, size=40)
    perfect = np.stack([rng.choice(np.flatnonzero(tracks == q), size=10, replace=False) for q in pictures])
    blind = np.stack([rng.choice(len(tracks), size=10, replace=False) for _ in pictures])
    good = congruence_report(perfect, tracks, pictures, n_permutations=2000)
    assert good.share == 1.0 and good.p_value < 0.001
    assert congruence_report(blind, tracks, pictures, n_permutations=2000).p_value > 0.01


def test_chance_follows_the_tracks_shares() -> None:
    tracks = np.array([0, 0, 0, 1])
    report = congruence_report(np.array([[0], [3]]), tracks, np.array([0, 1]), n_permutations=10)
    assert report.chance == pytest.approx((0.75 + 0.25) / 2)
    assert report.share == 1.0


def test_classification_report_and_pearson_by_hand() -> None:
    report = classification_report(np.array([0, 0, 1, 1, 2]), np.array([0, 1, 1, 1, 0]), n_classes=3)
    assert report.accuracy == pytest.approx(3 / 5)
    np.testing.assert_allclose(report.precision, [1 / 2, 2 / 3, 0.0])
    np.testing.assert_allclose(report.recall, [1 / 2, 1.0, 0.0])
    np.testing.assert_allclose(report.f1, [0.5, 0.8, 0.0])
    assert pearson_r(np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 7.0])) == pytest.approx(0.9933, abs=1e-4)
