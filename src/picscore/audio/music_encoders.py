"""The neural music encoders that `picscore index` runs, by the names the library stores.

Each has a version stored beside its output: bumping it makes the next `picscore index`
recompute that encoder's output alone, without redoing the descriptor analysis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class MusicEncoder:
    """A library name for a tagger model and the version of its stored output."""

    name: str
    model: str
    version: int
    summary: str


MUSIC_ENCODERS = {
    encoder.name: encoder
    for encoder in (
        MusicEncoder("musicnn-mtt", "MTT_musicnn", 1, "musicnn trained on MagnaTagATune: instruments, genres, tempo and loudness words"),
        MusicEncoder("musicnn-msd", "MSD_musicnn", 1, "musicnn trained on the Million Song Dataset: genres, eras and moods"),
    )
}
DEFAULT_ENCODERS = tuple(MUSIC_ENCODERS)


def encode_music(samples: np.ndarray, *, sr: int, encoder: str) -> dict[str, Any]:
    """Run one encoder on mono samples at `sr` Hz; returns the record the library stores."""
    from picscore.audio.musicnn import tag_music  # torch loads only where music is encoded

    spec = MUSIC_ENCODERS[encoder]
    result = tag_music(samples, sr=sr, model=spec.model)
    return {
        "encoder_version": spec.version,
        "tags": result.tags,
        "tag_curve": result.tag_curve,
        "embedding": result.embedding,
        "patch_seconds": result.patch_seconds,
    }


def tag_names(encoder: str) -> tuple[str, ...]:
    """The names of an encoder's tags, in the order of its stored vectors."""
    from picscore.audio.musicnn_tags import model_tag_names

    return model_tag_names(MUSIC_ENCODERS[encoder].model)


def top_tags(encoder: str, tags: np.ndarray, *, k: int = 5) -> list[tuple[str, float]]:
    """The k most probable (name, probability) of an encoder's tag vector, most probable first."""
    names = tag_names(encoder)
    order = np.argsort(-tags, kind="stable")[:k]
    return [(names[i], float(tags[i])) for i in order]
