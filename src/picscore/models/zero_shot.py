"""Zero-shot scores of tracks for pictures, in a joint space built from what the encoders give.

Components, each a [n_pictures, n_tracks] matrix (higher fits better):

  mood           the pictures' learned valence/arousal (moods/picture.py) against the tracks' learned
                 valence/arousal (moods/music.py): the product of the two, each side standardised, the
                 pictures by the mood head's spread over its training photos, the tracks over the library.
                 A happy photo then prefers the library's happiest tracks, not those nearest its own numbers.
  mood-distance  minus the squared distance between the same two points, the tracks standardised and
                 halved so that ±2 sd spans the pictures' [-1, 1] (the geometry of the earlier colour prior).
  text-affect    both sides' positions on the shared text space's mood axes: a picture's
                 probability-weighted ImageNet class names, a track's tag names weighted by how
                 much more probable the tag is for it than on average in the library; each side
                 z-scored against its own vocabulary's spread. Minus the squared distance.
  valence-tags   the picture's valence times the track's valence by its MSD tags: happy, party
                 and catchy minus sad and mellow, each z-scored over the library, summed and
                 z-scored (after Palmer et al. 2013, PNAS: lighter, warmer, more saturated colours
                 go with happier music).
  semantic       cosine in the text space between the picture's class-name vector and the
                 track's distinctive-tag vector, both centred (classes on their uniform mean,
                 tags on the library mean); the tracks' vectors keep their TEXT_DIMENSIONS
                 principal directions.

A variant is a weighted sum of components, each first z-scored per picture over the tracks so
that no component dominates by its scale (for an album, per album: see variant_form). The
default, "full", is the learned mood with the two text terms at a fifth of its weight: on
held-out human-rated pictures and music (OASIS x 4Q, out-of-fold moods, ten fold seeds;
tools/fit_moods.py) it put a little more of each picture's top 10 in the picture's human mood
quadrant than the mood alone (0.479 against 0.473), where text terms at 0.4 lowered it (on three
seeds, with an earlier picture head, from the mood's 0.486 to 0.472); at a fifth they break the
mood's ties by what the picture shows and the music is. The figures of every variant are in
docs/commands/evaluate.md.

Every component is linear in one feature row per track: -|p - t|² = 2 p·t - |t|² - |p|², so
a track is [affect, |affect|², mood, |mood|², text] and a picture is a weight vector over it.
Z-scoring over the library is linear too, with the features' mean and covariance kept from
when the library was loaded, so a whole variant, for one picture or an album, is a single
matrix-vector product over the tracks.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from picscore.audio.musicnn_tags import MSD_TAGS
from picscore.moods.heads import load_head
from picscore.moods.picture import PICTURE_HEAD, picture_moods
from picscore.moods.vocabulary import Vocabulary, likeliest_classes, load_vocabulary

VARIANTS: dict[str, dict[str, float]] = {
    "mood": {"mood": 1.0},
    "mood-distance": {"mood-distance": 1.0},
    "text-affect": {"text-affect": 1.0},
    "semantic": {"semantic": 1.0},
    "valence-tags": {"valence-tags": 1.0},
    "affect": {"mood": 1.0, "text-affect": 1.0},
    "full": {"mood": 1.0, "text-affect": 0.2, "semantic": 0.2},
}
DEFAULT_VARIANT = "full"
SPACE_VERSION = 2  # bump whenever a track's feature row would change: stored track spaces are then rebuilt
# The tracks' text vectors keep this many principal directions: the query reads a third of the
# bytes of the full (up to 100) directions, which is most of a query's time at a million tracks.
TEXT_DIMENSIONS = 32
_CONSTANT_SD = 1e-6  # a score varying less than this over the library is treated as constant (float32 features)
# The taggers' order wherever their words sit side by side.
TAG_SOURCE_ORDER = ("mtt", "msd")
# Columns of TrackSpace.features.
AFFECT, AFFECT_NORM, MOOD, MOOD_NORM, TAG_VALENCE, TEXT = slice(0, 2), 2, slice(3, 5), 5, 6, slice(7, None)
# MSD tags and their sign on the valence-tags axis.
_VALENCE_TAGS = {"happy": 1.0, "party": 1.0, "catchy": 1.0, "sad": -1.0, "Mellow": -1.0}


@dataclass(frozen=True, eq=False)
class Pictures:
    """What the matcher needs of pictures: learned valence/arousal [n, 2], class probabilities [n, 1000]."""

    mood: np.ndarray
    class_probabilities: np.ndarray
    features: np.ndarray | None = None  # [n, 1280] EfficientNet-Lite0 features, for trained models

    @classmethod
    def read(cls, layers: np.ndarray, class_probabilities: np.ndarray, *, features: np.ndarray | None = None) -> Pictures:
        """Pictures from their layer descriptions [n, d] and class probabilities [n, 1000]: the mood head reads both."""
        probabilities = np.asarray(class_probabilities, dtype=np.float64)
        return cls(mood=picture_moods(layers, probabilities).reshape(-1, 2), class_probabilities=probabilities, features=features)

    def __len__(self) -> int:
        return len(self.mood)


@dataclass(frozen=True, eq=False)
class Tracks:
    """What the matcher needs of tracks: learned valence/arousal [m, 2], tag probabilities per encoder."""

    affect: np.ndarray
    tags: dict[str, np.ndarray]  # "mtt" / "msd" -> [m, 50]


@dataclass(frozen=True, eq=False)
class Projection:
    """The library-wide statistics that place a track in the joint space. Fitted on a library once, they
    place tracks added later in the same space (see trackspace/space_cache.py) until the library has changed
    enough to fit them again."""

    affect_mean: np.ndarray  # [2] tracks' valence/arousal mean and sd
    affect_sd: np.ndarray
    tag_means: dict[str, np.ndarray]  # "mtt" / "msd" -> [50] each tag's mean probability over the library
    valence_tag_mean: np.ndarray  # [len(_VALENCE_TAGS)] those MSD tags' mean and sd
    valence_tag_sd: np.ndarray
    valence_axis: np.ndarray  # [2] mean and sd of their signed sum
    word_mean: np.ndarray  # [100] the distinctive-tag weights' mean (both taggers side by side)
    directions: np.ndarray  # [100, <=TEXT_DIMENSIONS] principal directions of the tracks' text vectors

    @property
    def text_basis(self) -> np.ndarray:
        """[384, k] maps a centred text-space vector to the TEXT columns."""
        return _text_space(load_vocabulary())[0] @ self.directions

    def arrays(self) -> dict[str, np.ndarray]:
        """Every statistic as a named array (for np.savez); Projection.from_arrays reverses it."""
        fields = {name: np.asarray(value) for name, value in self.__dict__.items() if name != "tag_means"}
        return {**fields, **{f"tag_means.{name}": value for name, value in self.tag_means.items()}}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> Projection:
        tag_means = {name.removeprefix("tag_means."): value for name, value in arrays.items() if name.startswith("tag_means.")}
        return cls(tag_means=tag_means, **{name: value for name, value in arrays.items() if not name.startswith("tag_means.")})


@dataclass(frozen=True, eq=False)
class TrackSpace:
    """The tracks' side of every component, computed once per library and reused for every query."""

    features: np.ndarray  # [m, d] float32, columns AFFECT, AFFECT_NORM, MOOD, MOOD_NORM, TAG_VALENCE, TEXT
    mean: np.ndarray  # [d] float64, the features' mean over the library
    covariance: np.ndarray  # [d, d] float64, their covariance (population), for z-scoring any linear score
    projection: Projection

    @classmethod
    def of(cls, features: np.ndarray, projection: Projection) -> TrackSpace:
        """The space of these feature rows, with their moments."""
        return cls(features, *feature_moments(features), projection=projection)

    @property
    def text_basis(self) -> np.ndarray:
        return self.projection.text_basis

    @property
    def tag_means(self) -> dict[str, np.ndarray]:
        return self.projection.tag_means

    def __len__(self) -> int:
        return len(self.features)

    def extended(self, columns: np.ndarray) -> TrackSpace:
        """This space with more feature columns [m, k] after its own (a trained model's track embeddings)."""
        return TrackSpace.of(np.concatenate([self.features, columns.astype(self.features.dtype)], axis=1), self.projection)


@dataclass(frozen=True, eq=False)
class LinearScores:
    """Scores as features @ weights.T + offsets: weights [n, d], offsets [n]."""

    weights: np.ndarray
    offsets: np.ndarray

    def standardised(self, space: TrackSpace) -> LinearScores:
        """The same scores z-scored per row over the library's tracks (population sd); a row constant over them becomes 0."""
        means = self.weights @ space.mean + self.offsets
        sds = np.sqrt(np.maximum(np.einsum("nd,de,ne->n", self.weights, space.covariance, self.weights), 0.0))
        scale = np.divide(1.0, sds, out=np.zeros_like(sds), where=sds > _CONSTANT_SD)
        return LinearScores(self.weights * scale[:, None], (self.offsets - means) * scale)

    def mean(self) -> LinearScores:
        """One row: the rows' mean score."""
        return LinearScores(self.weights.mean(axis=0, keepdims=True), self.offsets.mean(keepdims=True))

    def scores(self, space: TrackSpace) -> np.ndarray:
        """[n, m] the scores of every track."""
        weights = self.weights.astype(space.features.dtype)
        return (space.features @ weights.T).T.astype(np.float64) + self.offsets[:, None]


def prepare_tracks(tracks: Tracks) -> TrackSpace:
    """Project the tracks into the joint space (see the module docstring), fitted on them."""
    projection = fit_projection(tracks)
    return TrackSpace.of(project_tracks(tracks, projection), projection)


def fit_projection(tracks: Tracks) -> Projection:
    """The library statistics of `tracks` that project_tracks uses."""
    tag_means = {name: tags.mean(axis=0) for name, tags in tracks.tags.items()}
    valence_tags = _valence_tag_columns(tracks.tags["msd"])
    valence_tag_mean, valence_tag_sd = valence_tags.mean(axis=0), _safe_sd(valence_tags)
    axis = _valence_tag_sum(valence_tags, valence_tag_mean, valence_tag_sd)
    words = _distinctive_words(tracks, tag_means)
    word_mean = words.mean(axis=0)
    text = _text_rows(words, word_mean)
    return Projection(
        affect_mean=tracks.affect.mean(axis=0),
        affect_sd=_safe_sd(tracks.affect),
        tag_means=tag_means,
        valence_tag_mean=valence_tag_mean,
        valence_tag_sd=valence_tag_sd,
        valence_axis=np.array([axis.mean(), _safe_sd(axis)]),
        word_mean=word_mean,
        directions=_principal_directions(text, count=TEXT_DIMENSIONS),
    )


def project_tracks(tracks: Tracks, projection: Projection) -> np.ndarray:
    """[m, d] float32 feature rows of `tracks` in the space `projection` was fitted for."""
    vocabulary = load_vocabulary()
    p = projection
    affect = (tracks.affect - p.affect_mean) / p.affect_sd / 2.0
    mood = np.mean(
        [
            _standardise(_distinctive(tracks.tags[name], p.tag_means[name]) @ vocabulary.mood(name), vocabulary.mood(name))
            for name in tracks.tags
        ],
        axis=0,
    )
    valence = (
        _valence_tag_sum(_valence_tag_columns(tracks.tags["msd"]), p.valence_tag_mean, p.valence_tag_sd) - p.valence_axis[0]
    ) / p.valence_axis[1]
    text = _text_rows(_distinctive_words(tracks, p.tag_means), p.word_mean)
    features = np.empty((len(text), TEXT.start + p.directions.shape[1]), dtype=np.float32)
    features[:, AFFECT], features[:, AFFECT_NORM] = affect, (affect**2).sum(axis=1)
    features[:, MOOD], features[:, MOOD_NORM] = mood, (mood**2).sum(axis=1)
    features[:, TAG_VALENCE] = valence
    features[:, TEXT] = text @ p.directions.astype(text.dtype)
    return features


def _distinctive_words(tracks: Tracks, tag_means: dict[str, np.ndarray]) -> np.ndarray:
    """[m, 100] both taggers' distinctive-tag weights side by side, in TAG_SOURCE_ORDER."""
    return np.concatenate([_distinctive(tracks.tags[name], tag_means[name]) for name in TAG_SOURCE_ORDER], axis=1)


def _text_rows(words: np.ndarray, word_mean: np.ndarray) -> np.ndarray:
    """Unit text-space vectors of the tracks, in the vocabulary's orthonormal basis: sum_s w_s @ V_s, centred, is
    (W - mean W) @ V with W, V the sources side by side, and V.T = basis @ r."""
    r = _text_space(load_vocabulary())[1]
    centred = words - word_mean.astype(words.dtype)
    return _unit_rows_in_place(centred @ r.T.astype(centred.dtype))


@functools.cache
def _text_space(vocabulary: Vocabulary) -> tuple[np.ndarray, np.ndarray]:
    """QR of the taggers' word vectors (TAG_SOURCE_ORDER side by side, transposed): basis [384, 100], r [100, 100]."""
    return np.linalg.qr(np.concatenate([vocabulary.vectors[name] for name in TAG_SOURCE_ORDER]).T.astype(np.float64))


def component_forms(pictures: Pictures, space: TrackSpace, *, vocabulary: Vocabulary | None = None) -> dict[str, LinearScores]:
    """Every component's scores as a linear form over the tracks' features (see the module docstring)."""
    vocabulary = vocabulary or load_vocabulary()
    picture_words = likeliest_classes(pictures.class_probabilities)
    class_mood = vocabulary.mood("imagenet")
    class_vectors = vocabulary.vectors["imagenet"]
    semantic = np.zeros((len(pictures), space.features.shape[1]))
    semantic[:, TEXT] = _unit_rows(picture_words @ class_vectors - class_vectors.mean(axis=0)) @ space.text_basis
    return {
        "mood": _products(standardised_picture_moods(pictures.mood), AFFECT, space),
        "mood-distance": _minus_squared_distance(pictures.mood, AFFECT, AFFECT_NORM, space),
        "text-affect": _minus_squared_distance(_standardise(picture_words @ class_mood, class_mood), MOOD, MOOD_NORM, space),
        "semantic": LinearScores(semantic, np.zeros(len(pictures))),
        "valence-tags": _products(pictures.mood[:, :1], slice(TAG_VALENCE, TAG_VALENCE + 1), space),
    }


def standardised_picture_moods(moods: np.ndarray) -> np.ndarray:
    """[n, 2] picture moods as standard scores of the picture head's outputs over its training photos."""
    head = load_head(PICTURE_HEAD)
    return (moods - head.output_mean) / head.output_sd


def variant_form(pictures: Pictures, space: TrackSpace, *, variant: str = DEFAULT_VARIANT, album: bool = False) -> LinearScores:
    """A named variant (see VARIANTS): its components z-scored per picture, weighted and summed, as one linear form.

    With `album`, one row for all the pictures: each component's mean over them, z-scored once. A picture of a
    strong mood then pulls the album further than a nearly neutral one, whose mood is mostly the head's noise;
    z-scored one by one, each had the same say (tools/fit_moods.py, random albums of held-out rated pictures:
    0.501 of the top 10 in the quadrant of the album's mean human rating for 3 photos, 0.467 for 10, against
    0.472 and 0.435 that way).
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")
    forms = component_forms(pictures, space)
    parts = [(weight, (forms[name].mean() if album else forms[name]).standardised(space)) for name, weight in VARIANTS[variant].items()]
    weights = np.sum([w * f.weights for w, f in parts], axis=0)
    offsets = np.sum([w * f.offsets for w, f in parts], axis=0)
    return LinearScores(weights, offsets)


def score_tracks(pictures: Pictures, tracks: Tracks | TrackSpace, *, variant: str = DEFAULT_VARIANT) -> np.ndarray:
    """[n_pictures, n_tracks] scores of a named variant (see VARIANTS)."""
    space = tracks if isinstance(tracks, TrackSpace) else prepare_tracks(tracks)
    return variant_form(pictures, space, variant=variant).scores(space)


def _minus_squared_distance(points: np.ndarray, columns: slice, norm_column: int, space: TrackSpace) -> LinearScores:
    """-|p - t|² for points p [n, 2] against the tracks' columns t: 2 p·t - |t|² - |p|²."""
    weights = np.zeros((len(points), space.features.shape[1]))
    weights[:, columns] = 2.0 * points
    weights[:, norm_column] = -1.0
    return LinearScores(weights, -(points**2).sum(axis=1))


def _products(values: np.ndarray, columns: slice, space: TrackSpace) -> LinearScores:
    """values [n, k] dotted with the tracks' `columns` (k of them)."""
    weights = np.zeros((len(values), space.features.shape[1]))
    weights[:, columns] = values
    return LinearScores(weights, np.zeros(len(values)))


def _valence_tag_columns(msd_tags: np.ndarray) -> np.ndarray:
    return msd_tags[:, [MSD_TAGS.index(name) for name in _VALENCE_TAGS]]


def _valence_tag_sum(columns: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """[m] the valence-tags axis before its own z-scoring: the _VALENCE_TAGS z-scored and summed with their signs."""
    return ((columns - mean) / sd) @ np.array(list(_VALENCE_TAGS.values()))


def _distinctive(tags: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Per track, how much more probable each tag is than its library mean (negatives dropped), normalised."""
    lift = tags - mean
    np.maximum(lift, 0.0, out=lift)
    lift /= np.maximum(lift.sum(axis=1, keepdims=True), 1e-12)
    return lift


def _principal_directions(rows: np.ndarray, *, count: int, block: int = 65536) -> np.ndarray:
    """[k, <=count] orthonormal directions best keeping the rows' dot products (uncentred PCA, float64)."""
    gram = np.zeros((rows.shape[1], rows.shape[1]))
    for start in range(0, len(rows), block):
        chunk = rows[start : start + block].astype(np.float64)
        gram += chunk.T @ chunk
    values, vectors = np.linalg.eigh(gram)
    return vectors[:, np.argsort(-values)[:count]]


def feature_moments(features: np.ndarray, *, block: int = 65536) -> tuple[np.ndarray, np.ndarray]:
    """Mean [d] and population covariance [d, d] of the rows, accumulated in float64 a block at a time."""
    count = max(len(features), 1)
    total = np.zeros(features.shape[1])
    products = np.zeros((features.shape[1], features.shape[1]))
    for start in range(0, len(features), block):
        chunk = features[start : start + block].astype(np.float64)
        total += chunk.sum(axis=0)
        products += chunk.T @ chunk
    mean = total / count
    return mean, products / count - np.outer(mean, mean)


def _standardise(positions: np.ndarray, reference: np.ndarray) -> np.ndarray:
    return (positions - reference.mean(axis=0)) / np.maximum(reference.std(axis=0), 1e-12)


def _safe_sd(values: np.ndarray) -> np.ndarray:
    return np.maximum(values.std(axis=0), 1e-12)


def _unit_rows(values: np.ndarray) -> np.ndarray:
    return values / np.maximum(np.linalg.norm(values, axis=1, keepdims=True), 1e-12)


def _unit_rows_in_place(values: np.ndarray, *, block: int = 65536) -> np.ndarray:
    """_unit_rows(values), overwriting values; the norms a block of rows at a time, without a temporary as large as values."""
    norms = np.concatenate([np.linalg.norm(values[start : start + block], axis=1) for start in range(0, len(values), block)])
    values /= np.maximum(norms.reshape(-1, 1), 1e-12)
    return values
