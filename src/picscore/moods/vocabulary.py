"""The shared text space: ImageNet class names and musicnn tag names embedded by one model.

tools/embed_vocabulary.py wrote src/picscore/moods/data/vocabulary.npz with
all-MiniLM-L6-v2: unit vectors for "a photo of {class}" (1000), "{tag} music" (50 MTT, 50
MSD), and two mood axes (valence: happy/cheerful/joyful/bright minus sad/gloomy/
melancholic/dark; arousal: energetic/exciting/intense/aggressive minus calm/peaceful/
relaxing/gentle). The matcher compares a picture's words with a track's tags in it
(models/zero_shot.py), and the picture mood head reads a picture's words from it (moods/picture.py).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import numpy as np

TOP_CLASSES = 20  # a picture's words: its likeliest ImageNet classes


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """Word vectors per modality, and each word's position on the two mood axes."""

    vectors: dict[str, np.ndarray]  # "imagenet", "mtt", "msd" -> [n_words, 384]
    valence_axis: np.ndarray
    arousal_axis: np.ndarray

    def mood(self, words: str) -> np.ndarray:
        """[n_words, 2]: each word's projection on the valence and arousal axes."""
        vectors = self.vectors[words]
        return np.stack([vectors @ self.valence_axis, vectors @ self.arousal_axis], axis=1)


@functools.cache
def load_vocabulary() -> Vocabulary:
    with resources.files("picscore.moods.data").joinpath("vocabulary.npz").open("rb") as f, np.load(f) as npz:
        arrays = {name: npz[name].astype(np.float32) for name in npz.files}
    valence = arrays["axis_valence+"] - arrays["axis_valence-"]
    arousal = arrays["axis_arousal+"] - arrays["axis_arousal-"]
    return Vocabulary(
        vectors={name: arrays[name] for name in ("imagenet", "mtt", "msd")},
        valence_axis=valence / np.linalg.norm(valence),
        arousal_axis=arousal / np.linalg.norm(arousal),
    )


def likeliest_classes(probabilities: np.ndarray) -> np.ndarray:
    """[n, 1000] class weights keeping each picture's TOP_CLASSES likeliest ImageNet classes, renormalised:
    the words that stand for the picture in the text space."""
    kept = np.zeros_like(probabilities)
    top = np.argsort(-probabilities, axis=1)[:, :TOP_CLASSES]
    rows = np.arange(len(probabilities))[:, None]
    kept[rows, top] = probabilities[rows, top]
    return kept / np.maximum(kept.sum(axis=1, keepdims=True), 1e-12)
