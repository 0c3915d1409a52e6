"""Matchers: what turns pictures into scores over a library's tracks, untrained or with a trained model.

Both give a TrackSpace (one feature row per track) and, for pictures, a LinearScores over it, so
suggestions (album mean, z-scoring, mood steering, filters) work the same with either.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from picscore.audio.music_encoders import MUSIC_ENCODERS
from picscore.library.store import Library
from picscore.models.shapes import MUSIC_SOURCES
from picscore.models.zero_shot import DEFAULT_VARIANT, LinearScores, Pictures, variant_form
from picscore.trackspace.candidates import Candidates, aligned_rows
from picscore.trackspace.search_index import RowSource
from picscore.trackspace.stored_columns import stored_columns

if TYPE_CHECKING:  # torch loads only when a trained model is used
    from picscore.models.joint import JointModel


class Matcher(RowSource, Protocol):
    """A RowSource (trackspace/search_index.py) that scores pictures over its rows."""

    def form(self, pictures: Pictures, *, album: bool = False) -> LinearScores:
        """The pictures' scores over `space`'s tracks, a row each, or with `album` one row for all of them."""
        ...


class ZeroShotMatcher:
    """The untrained matcher: a variant of match/scoring."""

    model: str | None = None
    index_key: str = "zero-shot"  # every variant scores the same rows

    def __init__(self, candidates: Candidates, *, variant: str = DEFAULT_VARIANT) -> None:
        self.space = candidates.joint_space
        self.variant = variant

    def form(self, pictures: Pictures, *, album: bool = False) -> LinearScores:
        return variant_form(pictures, self.space, variant=self.variant, album=album)


class LearnedMatcher:
    """A trained JointModel: its zero-shot variant plus the learned cosine, weighted as it learned.

    The tracks' learned embeddings come from the musicnn embeddings the library stores (a track
    without them gets the training mean, so only its zero-shot part speaks); they are kept beside
    the library and recomputed only for tracks changed since (trackspace/stored_columns.py).
    """

    def __init__(self, model: JointModel, candidates: Candidates, library: Library, *, variant: str, model_file: Path) -> None:
        import torch

        torch.set_flush_denormal(True)
        self._model = model
        self.model: str | None = str(model_file)
        info = model_file.stat()
        self.index_key = "model-" + hashlib.sha1(f"{model_file.resolve()}:{info.st_size}:{info.st_mtime_ns}".encode()).hexdigest()[:16]
        self._base = candidates.joint_space
        self._variant = variant
        fill = model.music.embed.mean.numpy()

        def embed(ids: np.ndarray) -> np.ndarray:
            with torch.inference_mode():
                return model.music(torch.from_numpy(_music_inputs(library, ids, fill=fill)))["embedding"].numpy()

        self.space = self._base.extended(stored_columns(library, candidates, name=self.index_key, compute=embed))

    def form(self, pictures: Pictures, *, album: bool = False) -> LinearScores:
        if pictures.features is None:
            raise ValueError("a trained model needs the pictures' CNN features")
        import torch

        base = variant_form(pictures, self._base, variant=self._variant, album=album)
        with torch.inference_mode():
            learned = self._model.image(torch.from_numpy(pictures.features.astype(np.float32)))["embedding"].numpy()
        if album:
            learned = learned.mean(axis=0, keepdims=True)
        weight = float(self._model.learned_weight)
        return LinearScores(np.concatenate([base.weights, weight * learned.astype(np.float64)], axis=1), base.offsets)


def _music_inputs(library: Library, ids: np.ndarray, *, fill: np.ndarray) -> np.ndarray:
    """[len(ids), 400] these tracks' stored embeddings of MUSIC_SOURCES side by side; `fill` where one is missing."""
    inputs = np.tile(fill.astype(np.float32), (len(ids), 1))
    width = len(fill) // len(MUSIC_SOURCES)
    for k, encoder in enumerate(MUSIC_SOURCES):
        found, values = library.output_matrix(encoder, encoder_version=MUSIC_ENCODERS[encoder].version, output="embedding", track_ids=ids)
        embeddings, present = aligned_rows(ids, found, values, width=width)
        inputs[present, k * width : (k + 1) * width] = embeddings[present]
    return inputs
