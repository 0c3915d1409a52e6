"""Which metrical level of a periodicity is the beat: half it, keep it or double it, as a learned model says.

The onset autocorrelation finds how often the music pulses, but not which pulse a listener calls the beat: a slow
piece in running eighth notes and a quick one in quarter notes pulse alike. A small gradient-boosted tree ensemble,
fitted by tools/fit_tempo_octave.py on rendered scores whose tempo is written (and on picscore's own synthetic
songs and click tracks), each also through a lossy codec so that encoding a song does not flip its choice, reads
the evidence at the found period: how far it lies from 120 BPM, how strongly the onsets recur at fractions and
multiples of it, and how the full band, the bass (kick, bass line) and the highs (cymbals) sound over four of its
pulses, at quarter-pulse resolution. It moves off the found level only where it is confident of another
(CHANGE_MARGIN). The model's trees ship as arrays in weights/tempo_octave.npz and are evaluated
here with NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from picscore.audio.pulse import autocorrelation_at, best_grid, pulse_envelope

# The model's choices, as factors of the found tempo.
OCTAVE_FACTORS = (0.5, 1.0, 2.0)
# The model learned from beats of 55-210 BPM: it may halve or double a tempo only into about that range (it once halved
# a 79 BPM lullaby to 39.5, where it never saw a beat).
HALVE_TO_AT_LEAST_BPM = 50.0
DOUBLE_TO_AT_MOST_BPM = 220.0
# The model halves or doubles only where it scores that level this much (log-odds: about 20 times likelier) above the
# found one. It learned from rendered scores, whose written beat is more often the slower or quicker level than the
# beat people tap in recordings: without the margin it doubled the tempo of slow, quiet songs (on 400 real clips,
# 245 agreed with tempo-cnn, against 262 for the periodicity alone; with it, 260), while the held-out rendered
# pieces and the synthetic songs it learned from are read as often (docs/how-matching-works.md).
CHANGE_MARGIN = 3.0
REFERENCE_BPM = 120.0
# Multiples of the found beat period at which the onset autocorrelation is read.
ACF_PERIOD_MULTIPLES = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0)
# The bands' pulses are folded over this many beats of the found period, at this many points a beat, in windows of
# this length fitted on their own (so a tempo that drifts keeps its grid).
FOLDED_BEATS = 4
FOLD_SUBDIVISIONS = 4
FOLD_WINDOW_SECONDS = 12.0
FEATURE_COUNT = 2 + len(ACF_PERIOD_MULTIPLES) + 3 * FOLDED_BEATS * FOLD_SUBDIVISIONS
MODEL_FILE = "tempo_octave.npz"


@dataclass(frozen=True)
class OnsetBands:
    """Onset envelopes of one track at one frame rate: the whole spectrum, the bass (< 200 Hz) and the highs (> 5 kHz)."""

    full: np.ndarray
    bass: np.ndarray
    high: np.ndarray


def octave_features(bpm: float, *, bands: OnsetBands, smoothed_acf: np.ndarray, frame_rate: float) -> np.ndarray:
    """The evidence the model reads at the period of `bpm` (FEATURE_COUNT values)."""
    period = 60.0 * frame_rate / bpm
    octaves_from_reference = np.log2(bpm / REFERENCE_BPM)
    recurrence = autocorrelation_at(smoothed_acf, period * np.array(ACF_PERIOD_MULTIPLES))
    pulses = [pulse_envelope(envelope) for envelope in (bands.full, bands.bass, bands.high)]
    profile = folded_profile(pulses, period_frames=period, window_frames=round(FOLD_WINDOW_SECONDS * frame_rate))
    return np.concatenate([[octaves_from_reference, octaves_from_reference**2], recurrence, profile.ravel()])


def folded_profile(pulses: list[np.ndarray], *, period_frames: float, window_frames: int) -> np.ndarray:
    """Each band's mean pulse strength at FOLD_SUBDIVISIONS points of each of FOLDED_BEATS beats, relative to its mean.

    The beat grid is fitted to the first band in each window; the beats are grouped from the offset whose first
    beat is loudest in the first two bands, so the group starts where a bar most likely does. Shape
    (bands, FOLDED_BEATS * FOLD_SUBDIVISIONS); all ones when the envelope holds too few beats.
    """
    bands = np.stack(pulses)
    positions = np.arange(bands.shape[1])
    total = np.zeros((len(bands), FOLDED_BEATS, FOLD_SUBDIVISIONS))
    beats_counted = 0
    for start in range(0, bands.shape[1], window_frames):
        grid = best_grid(bands[0, start : start + window_frames], period_frames=period_frames)
        if len(grid) < 2 * FOLDED_BEATS:
            continue
        points = start + grid[:, None] + period_frames * np.arange(FOLD_SUBDIVISIONS)[None, :] / FOLD_SUBDIVISIONS
        strength = np.stack([np.interp(points, positions, band) for band in bands])  # (bands, beats, subdivisions)
        folds = [_fold(strength[:, offset:]) for offset in range(FOLDED_BEATS)]
        total += max(folds, key=lambda fold: fold[0, 0, 0] + fold[1, 0, 0]) * (len(grid) // FOLDED_BEATS * FOLDED_BEATS)
        beats_counted += len(grid) // FOLDED_BEATS * FOLDED_BEATS
    if beats_counted == 0:
        return np.ones((len(bands), FOLDED_BEATS * FOLD_SUBDIVISIONS))
    profile = total.reshape(len(bands), -1) / beats_counted
    return profile / np.maximum(profile.mean(axis=1, keepdims=True), 1e-9)


def _fold(strength: np.ndarray) -> np.ndarray:
    """Mean over whole groups of FOLDED_BEATS beats: (bands, beats, subdivisions) -> (bands, FOLDED_BEATS, subdivisions)."""
    groups = strength.shape[1] // FOLDED_BEATS
    return strength[:, : groups * FOLDED_BEATS].reshape(len(strength), groups, FOLDED_BEATS, -1).mean(axis=1)


@dataclass(frozen=True)
class TreeEnsemble:
    """Gradient-boosted decision trees for several classes, as flat node arrays.

    Node i splits on `feature[i]` at `threshold[i]` (values at or below go to `left[i]`, others to `right[i]`)
    unless `is_leaf[i]`, where it adds `value[i]`. `roots` holds each boosting round's root node for each class;
    a class's score is `baseline` plus the leaf values its trees reach.
    """

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    is_leaf: np.ndarray
    value: np.ndarray
    roots: np.ndarray
    baseline: np.ndarray

    def scores(self, features: np.ndarray) -> np.ndarray:
        """Raw class scores (the model's log-odds) for one feature vector."""
        nodes = self.roots.ravel().copy()
        while not self.is_leaf[nodes].all():
            goes_left = features[self.feature[nodes]] <= self.threshold[nodes]
            nodes = np.where(self.is_leaf[nodes], nodes, np.where(goes_left, self.left[nodes], self.right[nodes]))
        return self.baseline + self.value[nodes].reshape(self.roots.shape).sum(axis=0)

    def save(self, path: Path, **provenance: str) -> None:
        """Write the arrays and any provenance strings to an npz file."""
        contents: dict[str, Any] = {name: getattr(self, name) for name in self.__dataclass_fields__}
        contents |= {name: np.array(text) for name, text in provenance.items()}
        np.savez_compressed(path, **contents)

    @classmethod
    def load(cls, path: Path | Any) -> TreeEnsemble:
        with np.load(path) as stored:
            return cls(**{name: stored[name] for name in cls.__dataclass_fields__})

    @classmethod
    def from_sklearn(cls, model: Any) -> TreeEnsemble:
        """The trees of a fitted scikit-learn HistGradientBoostingClassifier (numeric features, more than two classes)."""
        rounds = model._predictors  # one list of per-class tree predictors per boosting round
        nodes = [tree.nodes for round_trees in rounds for tree in round_trees]
        starts = np.cumsum([0] + [len(tree_nodes) for tree_nodes in nodes[:-1]])
        every = np.concatenate(nodes)
        offsets = np.repeat(starts, [len(tree_nodes) for tree_nodes in nodes])
        return cls(
            feature=every["feature_idx"].astype(np.int32),
            threshold=every["num_threshold"].astype(np.float64),
            left=(every["left"] + offsets).astype(np.int32),
            right=(every["right"] + offsets).astype(np.int32),
            is_leaf=every["is_leaf"].astype(bool),
            value=every["value"].astype(np.float64),
            roots=starts.reshape(len(rounds), -1).astype(np.int32),
            baseline=np.asarray(model._baseline_prediction, dtype=np.float64).ravel(),
        )


@lru_cache(maxsize=1)
def shipped_model() -> TreeEnsemble:
    """The model in the package's weights (fitted by tools/fit_tempo_octave.py)."""
    return TreeEnsemble.load(resources.files("picscore.audio.weights").joinpath(MODEL_FILE).open("rb"))


def choose_octave(bpm: float, *, bands: OnsetBands, smoothed_acf: np.ndarray, frame_rate: float) -> float:
    """`bpm` halved, kept or doubled, whichever the shipped model finds the beat among the tempi it learned from."""
    features = octave_features(bpm, bands=bands, smoothed_acf=smoothed_acf, frame_rate=frame_rate)
    return best_octave(bpm, shipped_model().scores(features))


def best_octave(bpm: float, scores: np.ndarray) -> float:
    """`bpm` times the factor of OCTAVE_FACTORS that scores highest, of those kept within the tempi the model learned
    from; `bpm` itself unless that factor scores CHANGE_MARGIN above keeping it."""
    choices = bpm * np.array(OCTAVE_FACTORS)
    learned = (choices == bpm) | ((choices >= HALVE_TO_AT_LEAST_BPM) & (choices <= DOUBLE_TO_AT_MOST_BPM))
    best = int(np.argmax(np.where(learned, scores, -np.inf)))
    kept = OCTAVE_FACTORS.index(1.0)
    return float(choices[best] if scores[best] - scores[kept] >= CHANGE_MARGIN else bpm)
