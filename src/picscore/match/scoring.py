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
    """The tracks' side of every component, computed once per library and reused for every query.

    A track's text vector is a weighted sum of the tag names' vectors, so all of them lie in the
    span of those (at most 100) vectors: `text` keeps each track's coordinates in an orthonormal
    `basis` of that span instead of the 384-d vector itself (`text @ basis.T`), which holds the same
    scores in a quarter of the memory and lets a query read a quarter of the bytes.
    """

    affect: np.ndarray  # [m, 2] z-scored over the library, halved
    mood: np.ndarray  # [m, 2] position on the text space's mood axes, standardised
    text: np.ndarray  # [m, k] unit distinctive-tag vector, centred on the library, in `basis` coordinates (k <= 100)
    basis: np.ndarray  # [384, k] orthonormal columns spanning the tag-name vectors
    tag_means: dict[str, np.ndarray]  # "mtt" / "msd" -> [50] each tag's mean probability over the library
    affect_norms: np.ndarray  # [m] squared length of each `affect` row, for the distances
    mood_norms: np.ndarray  # [m] squared length of each `mood` row


def prepare_tracks(tracks: Tracks, *, vocabulary: Vocabulary | None = None) -> TrackSpace:
    """Project the tracks into the joint space (see the module docstring)."""
    vocabulary = vocabulary or load_vocabulary()
    tag_means = {name: tags.mean(axis=0) for name, tags in tracks.tags.items()}
    words = {name: _distinctive(tags, tag_means[name]) for name, tags in tracks.tags.items()}
    mood = sum(_standardise(w @ vocabulary.mood(name), vocabulary.mood(name)) for name, w in words.items()) / len(words)
    # sum_s w_s @ V_s, centred, is (W - mean W) @ V with W, V the sources side by side; V.T = basis @ r.
    basis, r = np.linalg.qr(np.concatenate([vocabulary.vectors[name] for name in words]).T.astype(np.float64))
    weights = np.concatenate(list(words.values()), axis=1)
    weights -= weights.mean(axis=0)
    text = _unit_rows_in_place(weights @ r.T.astype(weights.dtype))
    affect = _zscore_columns(tracks.affect) / 2.0
    return TrackSpace(
        affect=affect,
        mood=mood,
        text=text,
        basis=basis.astype(text.dtype),
        tag_means=tag_means,
        affect_norms=(affect**2).sum(axis=1),
        mood_norms=(mood**2).sum(axis=1),
    )


def component_scores(pictures: Pictures, tracks: Tracks | TrackSpace, *, vocabulary: Vocabulary | None = None) -> dict[str, np.ndarray]:
    """Every component's [n_pictures, n_tracks] scores (see the module docstring)."""
    vocabulary = vocabulary or load_vocabulary()
    space = tracks if isinstance(tracks, TrackSpace) else prepare_tracks(tracks, vocabulary=vocabulary)
    picture_words = _top_classes(pictures.class_probabilities)
    class_mood = vocabulary.mood("imagenet")
    picture_mood = _standardise(picture_words @ class_mood, class_mood)
    class_vectors = vocabulary.vectors["imagenet"]
    picture_text = _unit_rows(picture_words @ class_vectors - class_vectors.mean(axis=0))
    # In the tracks' dtype: mixing float64 in would copy the whole [m, k] table every query.
    semantic = (picture_text @ space.basis).astype(space.text.dtype) @ space.text.T
    colour = _distances(pictures.colour_affect, space.affect, space.affect_norms)
    mood = _distances(picture_mood, space.mood, space.mood_norms)
    return {
        "colour-affect": np.negative(colour, out=colour),
        "text-affect": np.negative(mood, out=mood),
        "semantic": semantic.astype(np.float64),
    }


def combine(components: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """Weighted sum of the per-picture z-scored components (at least one weight)."""
    if not weights:
        raise ValueError("a variant needs at least one weighted component")
    total = None
    for name, weight in weights.items():  # in place: at a million tracks each [n, m] temporary costs a millisecond
        scores = _zscore_rows(components[name])
        scores *= weight
        total = scores if total is None else np.add(total, scores, out=total)
    return total


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


def _distinctive(tags: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Per track, how much more probable each tag is than its library mean (negatives dropped), normalised."""
    lift = tags - mean
    np.maximum(lift, 0.0, out=lift)
    lift /= np.maximum(lift.sum(axis=1, keepdims=True), 1e-12)
    return lift


def _standardise(positions: np.ndarray, reference: np.ndarray) -> np.ndarray:
    return (positions - reference.mean(axis=0)) / np.maximum(reference.std(axis=0), 1e-12)


def _distances(a: np.ndarray, b: np.ndarray, b_norms: np.ndarray) -> np.ndarray:
    """Euclidean distances [len(a), len(b)] between rows of low-dimensional points; b_norms: (b**2).sum(axis=1)."""
    # In place, in this order: (|a|² - 2 a·b + |b|²), clipped at 0, square root.
    squared = 2 * a @ b.T
    np.subtract((a**2).sum(axis=1)[:, None], squared, out=squared)
    squared += b_norms[None, :]
    np.maximum(squared, 0.0, out=squared)
    return np.sqrt(squared, out=squared)


def _zscore_columns(values: np.ndarray) -> np.ndarray:
    return (values - values.mean(axis=0)) / np.maximum(values.std(axis=0), 1e-12)


def _zscore_rows(values: np.ndarray) -> np.ndarray:
    centred = values - values.mean(axis=1, keepdims=True)
    centred /= np.maximum(values.std(axis=1, keepdims=True), 1e-12)
    return centred


def _unit_rows(values: np.ndarray) -> np.ndarray:
    return values / np.maximum(np.linalg.norm(values, axis=1, keepdims=True), 1e-12)


def _unit_rows_in_place(values: np.ndarray, *, block: int = 65536) -> np.ndarray:
    """_unit_rows(values), overwriting values; the norms a block of rows at a time, without a temporary as large as values."""
    norms = np.concatenate([np.linalg.norm(values[start : start + block], axis=1) for start in range(0, len(values), block)])
    values /= np.maximum(norms.reshape(-1, 1), 1e-12)
    return values
