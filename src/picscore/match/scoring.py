"""Zero-shot scores of tracks for pictures, in a joint space built from what the encoders give.

Components, each a [n_pictures, n_tracks] matrix (higher fits better):

  colour-affect  pictures' colour valence/arousal (picture_affect) against tracks' descriptor
                 valence/arousal (audio/affect): minus the Euclidean distance, after tracks are
                 z-scored over the library and halved (so ±2 sd spans the pictures' [-1, 1]).
  text-affect    both sides' positions on the shared text space's mood axes: a picture's
                 probability-weighted ImageNet class names, a track's tag names weighted by how
                 much more probable the tag is for it than on average in the library; each side
                 z-scored against its own vocabulary's spread. Minus the distance.
  semantic       cosine in the text space between the picture's class-name vector and the
                 track's distinctive-tag vector, both centred (classes on their uniform mean,
                 tags on the library mean).

A variant is a weighted sum of components, each first z-scored per picture over the tracks
so that no component dominates by its scale. Weights are fixed, not fitted to any data set:
in "full" the colour affect leads (weight 1) because it is the only component that follows
a picture's light and colour (a darker, greyer version of a photo must move the list), and
the two text components (0.4 each) refine by what is in the picture.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from picscore.match.vocabulary import Vocabulary, load_vocabulary

VARIANTS: dict[str, dict[str, float]] = {
    "colour-affect": {"colour-affect": 1.0},
    "text-affect": {"text-affect": 1.0},
    "semantic": {"semantic": 1.0},
    "affect": {"colour-affect": 1.0, "text-affect": 1.0},
    "full": {"colour-affect": 1.0, "text-affect": 0.4, "semantic": 0.4},
}
DEFAULT_VARIANT = "full"
_TOP_CLASSES = 20


@dataclass(frozen=True, eq=False)
class Pictures:
    """What the matcher needs of pictures: colour valence/arousal [n, 2], class probabilities [n, 1000]."""

    colour_affect: np.ndarray
    class_probabilities: np.ndarray


@dataclass(frozen=True, eq=False)
class Tracks:
    """What the matcher needs of tracks: descriptor valence/arousal [m, 2], tag probabilities per encoder."""

    affect: np.ndarray
    tags: dict[str, np.ndarray]  # "mtt" / "msd" -> [m, 50]


@dataclass(frozen=True, eq=False)
class TrackSpace:
    """The tracks' side of every component, computed once per library and reused for every query."""

    affect: np.ndarray  # [m, 2] z-scored over the library, halved
    mood: np.ndarray  # [m, 2] position on the text space's mood axes, standardised
    text: np.ndarray  # [m, 384] unit distinctive-tag vector, centred on the library


def prepare_tracks(tracks: Tracks, *, vocabulary: Vocabulary | None = None) -> TrackSpace:
    """Project the tracks into the joint space (see the module docstring)."""
    vocabulary = vocabulary or load_vocabulary()
    words = {name: _distinctive(tags) for name, tags in tracks.tags.items()}
    mood = sum(_standardise(w @ vocabulary.mood(name), vocabulary.mood(name)) for name, w in words.items()) / len(words)
    text = sum(w @ vocabulary.vectors[name] for name, w in words.items())
    return TrackSpace(affect=_zscore_columns(tracks.affect) / 2.0, mood=mood, text=_unit_rows(text - text.mean(axis=0)))


def component_scores(pictures: Pictures, tracks: Tracks | TrackSpace, *, vocabulary: Vocabulary | None = None) -> dict[str, np.ndarray]:
    """Every component's [n_pictures, n_tracks] scores (see the module docstring)."""
    vocabulary = vocabulary or load_vocabulary()
    space = tracks if isinstance(tracks, TrackSpace) else prepare_tracks(tracks, vocabulary=vocabulary)
    picture_words = _top_classes(pictures.class_probabilities)
    class_mood = vocabulary.mood("imagenet")
    picture_mood = _standardise(picture_words @ class_mood, class_mood)
    class_vectors = vocabulary.vectors["imagenet"]
    picture_text = _unit_rows(picture_words @ class_vectors - class_vectors.mean(axis=0))
    return {
        "colour-affect": -_distances(pictures.colour_affect, space.affect),
        "text-affect": -_distances(picture_mood, space.mood),
        "semantic": picture_text @ space.text.T,
    }


def combine(components: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """Weighted sum of the per-picture z-scored components."""
    return sum(weight * _zscore_rows(components[name]) for name, weight in weights.items())


def score_tracks(pictures: Pictures, tracks: Tracks | TrackSpace, *, variant: str = DEFAULT_VARIANT) -> np.ndarray:
    """[n_pictures, n_tracks] scores of a named variant (see VARIANTS)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")
    return combine(component_scores(pictures, tracks), VARIANTS[variant])


def _top_classes(probabilities: np.ndarray) -> np.ndarray:
    """Class weights keeping each picture's _TOP_CLASSES likeliest classes, renormalised."""
    kept = np.zeros_like(probabilities)
    top = np.argsort(-probabilities, axis=1)[:, :_TOP_CLASSES]
    rows = np.arange(len(probabilities))[:, None]
    kept[rows, top] = probabilities[rows, top]
    return kept / np.maximum(kept.sum(axis=1, keepdims=True), 1e-12)


def _distinctive(tags: np.ndarray) -> np.ndarray:
    """Per track, how much more probable each tag is than its library mean (negatives dropped), normalised."""
    lift = np.maximum(tags - tags.mean(axis=0), 0.0)
    return lift / np.maximum(lift.sum(axis=1, keepdims=True), 1e-12)


def _standardise(positions: np.ndarray, reference: np.ndarray) -> np.ndarray:
    return (positions - reference.mean(axis=0)) / np.maximum(reference.std(axis=0), 1e-12)


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances [len(a), len(b)] between rows of low-dimensional points."""
    return np.sqrt(np.maximum((a**2).sum(axis=1)[:, None] - 2 * a @ b.T + (b**2).sum(axis=1)[None, :], 0.0))


def _zscore_columns(values: np.ndarray) -> np.ndarray:
    return (values - values.mean(axis=0)) / np.maximum(values.std(axis=0), 1e-12)


def _zscore_rows(values: np.ndarray) -> np.ndarray:
    centred = values - values.mean(axis=1, keepdims=True)
    return centred / np.maximum(values.std(axis=1, keepdims=True), 1e-12)


def _unit_rows(values: np.ndarray) -> np.ndarray:
    return values / np.maximum(np.linalg.norm(values, axis=1, keepdims=True), 1e-12)
