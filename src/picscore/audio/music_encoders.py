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
# The taggers run on this many 3-second patches spread over a track, not on all of them: on 227 minutes
# of game music the means keep a cosine of 0.989 and 4.7 of the top 5 tags (bench/tagger_patches.py)
# while running 15 % of the patches.
DEFAULT_TAGGER_PATCHES = 8


def encode_music(
    samples: np.ndarray, *, sr: int, encoders: tuple[str, ...], patches: int | None = DEFAULT_TAGGER_PATCHES
) -> dict[str, dict[str, Any]]:
    """Run the named encoders on mono samples at `sr` Hz, each on `patches` patches spread over them (None: all).

    Returns, by encoder name, the record the library stores. The encoders share one computation of
    musicnn's input.
    """
    if not encoders:
        return {}
    from picscore.audio.musicnn import musicnn_patch_log_mels, tag_patches  # torch loads only where music is encoded

    log_mels = musicnn_patch_log_mels(samples, sr=sr, patches=patches)
    records = {}
    for name in encoders:
        spec = MUSIC_ENCODERS[name]
        result = tag_patches(log_mels, model=spec.model)
        records[name] = {
            "encoder_version": spec.version,
            "tags": result.tags,
            "tag_curve": result.tag_curve,
            "embedding": result.embedding,
            "patch_seconds": result.patch_seconds,
        }
    return records


def tag_names(encoder: str) -> tuple[str, ...]:
    """The names of an encoder's tags, in the order of its stored vectors."""
    from picscore.audio.musicnn_tags import model_tag_names

    return model_tag_names(MUSIC_ENCODERS[encoder].model)


def top_tags(encoder: str, tags: np.ndarray, *, k: int = 5) -> list[tuple[str, float]]:
    """The k most probable (name, probability) of an encoder's tag vector, most probable first."""
    names = tag_names(encoder)
    order = np.argsort(-tags, kind="stable")[:k]
    return [(names[i], float(tags[i])) for i in order]
