"""The trainable matcher: small heads on the frozen encoders' features, around the zero-shot matcher.

A picture and a piece of music meet in a joint space made of two parts:

  * the zero-shot part: the match/scoring variant's score (a picture's weight vector against a
    track's feature row; z-scored over the candidate tracks), fixed;
  * a learned part: an image head and a music head (two-layer MLPs on standardised EfficientNet
    and musicnn features) into one unit-normalised space, whose cosine is added with a learned
    weight that starts at 0.

So an untrained model ranks exactly as the zero-shot matcher, and training can only move it
from there. A learned temperature scales the contrastive logits.

Affect heads read mood from either side: valence/arousal regression and MOOD_CLASSES logits. The
image's heads learn the mood of the music paired with such pictures; the music's heads learn the
descriptor mood of the music from what the CNN hears.
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import torch
from torch import nn

from picscore.models.shapes import IMAGE_FEATURE_SIZE, MOOD_CLASSES, MUSIC_FEATURE_SIZE, HeadConfig


class _Head(nn.Module):
    """Standardise, then a two-layer MLP."""

    mean: torch.Tensor  # buffers, set from the training features (_Side.set_standardisation)
    std: torch.Tensor

    def __init__(self, inputs: int, outputs: int, config: HeadConfig) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(inputs))
        self.register_buffer("std", torch.ones(inputs))
        self.layers = nn.Sequential(
            nn.Linear(inputs, config.hidden_units), nn.GELU(), nn.Dropout(config.dropout), nn.Linear(config.hidden_units, outputs)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers((x - self.mean) / self.std)


class _Side(nn.Module):
    """One modality's heads: joint-space embedding, valence/arousal, mood logits."""

    def __init__(self, inputs: int, config: HeadConfig) -> None:
        super().__init__()
        self.embed = _Head(inputs, config.joint_dimensions, config)
        self.affect = _Head(inputs, 2, config)
        self.mood = _Head(inputs, len(MOOD_CLASSES), config)

    def set_standardisation(self, features: np.ndarray) -> None:
        # A feature (nearly) constant in training would be blown up wherever it is not: floor its spread
        # at a tenth of the typical feature's.
        spread = features.std(axis=0)
        mean = torch.from_numpy(features.mean(axis=0).astype(np.float32))
        std = torch.from_numpy(np.maximum(spread, max(0.1 * float(np.median(spread)), 1e-6)).astype(np.float32))
        for head in (self.embed, self.affect, self.mood):
            head.mean.copy_(mean)
            head.std.copy_(std)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"embedding": nn.functional.normalize(self.embed(x), dim=-1), "affect": self.affect(x), "mood": self.mood(x)}


class JointModel(nn.Module):
    """Image and music heads, the learned part's weight and the contrastive temperature."""

    def __init__(self, config: HeadConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or HeadConfig()
        self.image = _Side(IMAGE_FEATURE_SIZE, config)
        self.music = _Side(MUSIC_FEATURE_SIZE, config)
        self.learned_weight = nn.Parameter(torch.zeros(()))
        self.log_scale = nn.Parameter(torch.log(torch.tensor(4.0)))  # logits = scale * score; score ~ N(0, 1) per picture

    def scores(self, zero_shot: torch.Tensor, image_embedding: torch.Tensor, music_embedding: torch.Tensor) -> torch.Tensor:
        """[n_pictures, n_music] match scores: the zero-shot scores plus the weighted cosine of the learned space."""
        return zero_shot + self.learned_weight * image_embedding @ music_embedding.T

    def config_dict(self) -> dict[str, float | int]:
        return asdict(self.config)
