"""The training losses (train.config.LOSSES names them); each is switched on by a positive weight in the config."""

from __future__ import annotations

import torch
from torch.nn import functional


def contrastive(logits: torch.Tensor, image_ids: torch.Tensor, music_ids: torch.Tensor) -> torch.Tensor:
    """Symmetric InfoNCE over a batch's [B, B + E] logits (row i: picture of pair i, column j < B: music of
    pair j; the E columns after them: extra negatives, such as music the user rejected for these pictures).

    Pairs sharing a piece of music (or a picture) are all positives of each other, with equal
    target weight, rather than false negatives.
    """
    batch = len(music_ids)
    same_music = (music_ids[:, None] == music_ids[None, :]).float()
    same_image = (image_ids[:, None] == image_ids[None, :]).float()
    targets = functional.pad(same_music / same_music.sum(dim=1, keepdim=True), (0, logits.shape[1] - batch))
    image_to_music = _soft_cross_entropy(logits, targets)
    music_to_image = _soft_cross_entropy(logits[:, :batch].T, same_image / same_image.sum(dim=1, keepdim=True))
    return (image_to_music + music_to_image) / 2


def affect(predicted_image: torch.Tensor, predicted_music: torch.Tensor, music_affect: torch.Tensor) -> torch.Tensor:
    """MSE of both sides' valence/arousal against the paired music's descriptor valence/arousal."""
    return (functional.mse_loss(predicted_image, music_affect) + functional.mse_loss(predicted_music, music_affect)) / 2


def mood(image_logits: torch.Tensor, music_logits: torch.Tensor, music_class: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of both sides' mood classes against the paired music's."""
    return (functional.cross_entropy(image_logits, music_class) + functional.cross_entropy(music_logits, music_class)) / 2


def mood_agreement(image_logits: torch.Tensor, music_logits: torch.Tensor) -> torch.Tensor:
    """KL(music || image) between the mood distributions of a picture and its paired music."""
    return functional.kl_div(
        functional.log_softmax(image_logits, dim=1), functional.log_softmax(music_logits, dim=1), log_target=True, reduction="batchmean"
    )


def _soft_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return -(targets * functional.log_softmax(logits, dim=1)).sum(dim=1).mean()
