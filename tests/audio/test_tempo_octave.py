"""The learned choice of a tempo's metrical level: its evidence, its trees, the shipped model and the tool that fits it."""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from picscore.audio.analysis import AnalysisConfig
from picscore.audio.pulse import onset_autocorrelation, smoothed_autocorrelation
from picscore.audio.tempo_octave import (
    CHANGE_MARGIN,
    FEATURE_COUNT,
    FOLD_SUBDIVISIONS,
    FOLDED_BEATS,
    OCTAVE_FACTORS,
    OnsetBands,
    TreeEnsemble,
    best_octave,
    choose_octave,
    folded_profile,
    octave_features,
    shipped_model,
)
from picscore.compose.synth import click_track
from tests.conftest import SR, encode_audio, load_tool

FRAME_RATE = AnalysisConfig().frame_rate


def _pulses(at_frames: np.ndarray, *, n_frames: int, heights: np.ndarray) -> np.ndarray:
    frames = np.arange(n_frames)
    return (heights[None, :] * np.exp(-0.5 * (frames[:, None] - at_frames[None, :]) ** 2)).sum(axis=1)


def test_the_folded_profile_finds_the_accent_and_the_empty_half_beats() -> None:
    # Pulses every 20 frames, every fourth one three times as strong: the fold starts on the accent, and nothing sounds between pulses.
    n, period = 2000, 20.0
    at = np.arange(5.0, n - 1, period)
    envelope = _pulses(at, n_frames=n, heights=np.where(np.arange(len(at)) % 4 == 2, 3.0, 1.0))
    profile = folded_profile([envelope, envelope], period_frames=period, window_frames=n)
    beats = profile[0].reshape(FOLDED_BEATS, FOLD_SUBDIVISIONS)
    assert beats[0, 0] == pytest.approx(3 * beats[1, 0], rel=0.05)
    assert beats[1, 0] == pytest.approx(beats[2, 0], rel=0.05) == pytest.approx(beats[3, 0], rel=0.05)
    assert beats[:, 1:].max() < 0.05 * beats[1, 0]
    assert profile.mean(axis=1) == pytest.approx([1.0, 1.0])


def test_octave_features_read_the_period_and_its_multiples() -> None:
    onset = _pulses(np.arange(0.0, 1500, 21.5), n_frames=1500, heights=np.ones(70))
    smoothed = smoothed_autocorrelation(onset_autocorrelation(onset))
    features = octave_features(120.0, bands=OnsetBands(onset, onset, onset), smoothed_acf=smoothed, frame_rate=FRAME_RATE)
    assert features.shape == (FEATURE_COUNT,)
    assert features[:2] == pytest.approx([0.0, 0.0])  # 120 BPM is the reference
    half, beat, beat_and_half, two, three, four = features[2:8]  # 120 BPM at 43 frames a second: a pulse every 21.5 frames
    assert min(beat, two, three, four) > 0.5
    assert max(half, beat_and_half) < 0.2 * beat


def test_trees_taken_from_scikit_learn_give_its_scores(tmp_path: Path) -> None:
    ensemble_module = pytest.importorskip("sklearn.ensemble")
    rng = np.random.default_rng(0)
    features = rng.normal(size=(300, 6))
    labels = np.digitize(features[:, 0] + 0.5 * features[:, 3] * features[:, 1], [-0.5, 0.5])
    model = ensemble_module.HistGradientBoostingClassifier(max_depth=3, max_iter=30, random_state=0).fit(features, labels)
    trees = TreeEnsemble.from_sklearn(model)
    trees.save(tmp_path / "trees.npz", fitted_on="a toy problem")
    loaded = TreeEnsemble.load(tmp_path / "trees.npz")
    ours = np.stack([loaded.scores(row) for row in features])
    assert ours == pytest.approx(model.decision_function(features), abs=1e-9)
    assert (ours.argmax(axis=1) == model.predict(features)).all()


def test_the_shipped_model_loads_and_decides_deterministically() -> None:
    model = shipped_model()
    assert model.roots.shape[1] == len(OCTAVE_FACTORS)
    assert model.feature[~model.is_leaf].max() < FEATURE_COUNT
    onset = _pulses(np.arange(0.0, 1500, 21.5), n_frames=1500, heights=np.ones(70))
    smoothed = smoothed_autocorrelation(onset_autocorrelation(onset))
    bands = OnsetBands(onset, onset, onset)
    choices = {choose_octave(120.0, bands=bands, smoothed_acf=smoothed, frame_rate=FRAME_RATE) for _ in range(3)}
    assert len(choices) == 1
    assert choices.pop() in {60.0, 120.0, 240.0}


@pytest.mark.parametrize(
    ("bpm", "scores", "expected_bpm"),
    [
        (120.0, [5.0, 1.0, -3.0], 60.0),  # the model's choice where it learned
        (79.0, [5.0, 1.0, -3.0], 79.0),  # halving would leave the tempi it learned from: kept
        (79.0, [5.0, -3.0, 1.0], 158.0),  # ... or the next best within them
        (150.0, [-3.0, 1.0, 5.0], 150.0),  # doubling to 300 BPM: kept
        (230.0, [-3.0, 1.0, 5.0], 230.0),  # a found tempo outside that range is kept rather than doubled out of it
    ],
)
def test_the_octave_is_chosen_only_within_the_tempi_the_model_learned(bpm: float, scores: list[float], expected_bpm: float) -> None:
    assert best_octave(bpm, np.array(scores)) == expected_bpm


@pytest.mark.parametrize(
    ("scores", "expected_bpm"),
    [
        ([1.0 + CHANGE_MARGIN, 1.0, -3.0], 50.0),  # halving by the margin exactly
        ([0.99 + CHANGE_MARGIN, 1.0, -3.0], 100.0),  # just short of it: kept
        ([-3.0, 1.0, 0.99 + CHANGE_MARGIN], 100.0),
        ([-3.0, 1.0, 1.0 + CHANGE_MARGIN], 200.0),
    ],
)
def test_the_octave_changes_only_by_the_margin_over_keeping_it(scores: list[float], expected_bpm: float) -> None:
    assert best_octave(100.0, np.array(scores)) == expected_bpm


def _write_clicks(listing: Path, rows: Sequence[tuple[float, float, str]], *, third_column: str) -> Path:
    """Click tracks at each row's tempo beside `listing`, a TSV of their file, labelled tempo and `third_column`."""
    listing.parent.mkdir(exist_ok=True)
    with open(listing, "w", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t")
        writer.writerow(["audio", "bpm", third_column])
        for i, (bpm, labelled_bpm, third) in enumerate(rows):
            encode_audio(listing.parent / f"{listing.stem}{i:03d}.flac", click_track(bpm=bpm, seconds=12.0, sr=SR), sr=SR)
            writer.writerow([f"{listing.stem}{i:03d}.flac", labelled_bpm, third])
    return listing


def test_the_fitting_tool_learns_from_a_set_and_writes_a_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("sklearn")
    folder = tmp_path / "clicks"
    # Labelled as a click, half of one and two of one, so the set teaches all three levels.
    rows = [(95, 95, "clicks 0"), (120, 120, "clicks 1"), (120, 60, "clicks 2"), (110, 220, "clicks 3")]
    _write_clicks(folder / "labels.tsv", rows, third_column="source")
    out = tmp_path / "model.npz"
    tool = load_tool("fit_tempo_octave")
    assert tool.main([str(folder), "--held-out", str(folder), "--synthetic", "6", "--folds", "2", "--workers", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"^clicks \(out of fold\) +4 +\d+ \( *\d+%\) +2 \( 50%\) +\d$", printed, re.MULTILINE)
    assert re.search(r"^clicks \(held out\) +4 +\d \( *\d+%\) +2 \( 50%\) +\d$", printed, re.MULTILINE)
    assert re.search(r"^clicks \(held out, lossy copies\) +4 +\d \( *\d+%\) +2 \( 50%\) +\d$", printed, re.MULTILINE)
    assert re.search(r"^synthetic \(in sample\) +6 ", printed, re.MULTILINE)
    with np.load(out) as stored:
        assert "4 rendered tracks (clicks) and 6 synthetic (seed 0); 1 lossy copy of each" in str(stored["fitted_on"])
    assert TreeEnsemble.load(out).roots.shape[1] == len(OCTAVE_FACTORS)


def test_the_fitting_tool_learns_from_reference_tempi_only_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("sklearn")
    folder = tmp_path / "clicks"
    _write_clicks(folder / "labels.tsv", [(95, 95, "clicks 0"), (120, 60, "clicks 1"), (110, 220, "clicks 2")], third_column="source")
    # Another estimator's tempi: the first click track as it is, the second at half; each its own group.
    reference = _write_clicks(folder / "reference.tsv", [(100, 100, "artist a"), (130, 65, "artist b")], third_column="group")
    out = tmp_path / "model.npz"
    arguments = [str(folder), "--reference", str(reference), "--synthetic", "6", "--folds", "2", "--workers", "1", "--out", str(out)]
    assert load_tool("fit_tempo_octave").main(arguments) == 0
    assert re.search(r"^reference \(out of fold, its tempi\) +2 +\d \( *\d+%\) +1 \( 50%\) +\d$", capsys.readouterr().out, re.MULTILINE)
    with np.load(out) as stored:
        assert (
            "3 rendered tracks (clicks) and 6 synthetic (seed 0); 1 lossy copy of each; 2 recordings with tempi from reference.tsv"
            in str(stored["fitted_on"])
        )
