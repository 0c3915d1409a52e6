"""The musicnn music taggers (Pons & Serra 2019), ported from TensorFlow to PyTorch with their original weights.

Two models share one architecture and differ in training data: "MTT_musicnn" (MagnaTagATune: instruments, moods,
vocals) and "MSD_musicnn" (Million Song Dataset: genres, decades, moods). Each reads 3-second patches of a 96-band
log-mel spectrogram at 16 kHz and answers 50 tag probabilities and a 200-dimensional embedding per patch.

Port of musicnn 0.1.0 by Jordi Pons, ISC licence (weights/LICENSE-musicnn.txt); tools/convert_musicnn.py converts
the weights and records the TensorFlow outputs that tests/audio/test_musicnn.py checks against.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from math import gcd
from typing import cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from picscore.audio import spectral
from picscore.audio.musicnn_tags import MSD_TAGS, MTT_TAGS

SR = 16000
N_FFT = 512
HOP_LENGTH = 256
N_MELS = 96
PATCH_FRAMES = 187  # librosa.time_to_frames(3 s) + 1: the input length the models were trained on
PATCH_SECONDS = PATCH_FRAMES * HOP_LENGTH / SR  # musicnn's patches do not overlap: also the tag curve's step
EMBEDDING_SIZE = 200

_MODELS = {"MTT_musicnn": ("musicnn_mtt.npz", MTT_TAGS), "MSD_musicnn": ("musicnn_msd.npz", MSD_TAGS)}
_BN_EPS = 1e-3  # tf.compat.v1.layers.batch_normalization's default
# Patches per front-end pass: its conv maps (9 MB a patch) then stay in cache; 32 at once is about 1.7x slower.
_FRONTEND_CHUNK = 2
# A filter whose largest weight is below this fraction of its branch's largest counts as dead. Skipping them moved
# no tag by more than 1e-6 nor embedding value by more than 4e-6 on 22 real tracks (tests/audio/test_musicnn.py checks
# 1e-5 on its clips); at 3e-3 tags moved 2e-5.
_DEAD_FILTER_WEIGHT = 1e-3
# musicnn takes log10(10000 x + 1) in float16, which overflows for mel power above 6.55 (a loud bass note) and makes
# the TensorFlow model answer NaN. The models were trained on the same float16 features, so no larger input can
# have reached them (it would have turned the loss to NaN): such bins are held at the largest finite value.
_LOG_MEL_CEILING = np.log10(np.float16(65504) + np.float16(1))


def musicnn_log_mel(samples: np.ndarray, *, sr: int = SR) -> np.ndarray:
    """musicnn's input: log10(10000 mel + 1) of 16 kHz mono samples, shape [frames, 96], float32.

    As musicnn's extractor: 512-sample Hann frames every 256 samples, centred with reflection padding (librosa 0.7's
    default), power spectrum, 96 Slaney mel bands up to 8 kHz, rounded to float16 and log-compressed in float16.
    Other rates are resampled to 16 kHz first (polyphase; musicnn used librosa's resampler).
    """
    return _log_mel_of_16k(_resampled_span(_mono_samples(samples), sr=sr, start=0, stop=None))


def musicnn_patch_log_mels(samples: np.ndarray, *, sr: int = SR, patches: int | None = None) -> PatchLogMels:
    """The log-mel patches the taggers run on: `patches` of them spread over the track (spread_patches), or all.

    Only the chosen patches' stretches of audio are resampled and transformed, so tagging 8 patches of a 3-minute
    track costs an eighth of its whole log-mel; the values are those of musicnn_log_mel's patches.
    """
    x = _mono_samples(samples)
    up, down = _resampling_ratio(sr)
    length_16k = -(-len(x) * up // down)  # scipy's resample_poly output length
    n_patches = (1 + length_16k // HOP_LENGTH) // PATCH_FRAMES
    chosen = spread_patches(n_patches, patches)
    if len(chosen) == n_patches:  # every patch (or a clip shorter than one): one pass over the whole
        every_patch = musicnn_patches(musicnn_log_mel(x, sr=sr))
        return PatchLogMels(every_patch, len(every_patch))
    patch_hops = PATCH_FRAMES * HOP_LENGTH
    margin = N_FFT  # a frame reaches N_FFT / 2 either side of its centre; frame starts stay on the hop grid
    mels = []
    for patch in chosen:
        start = max(0, patch * patch_hops - margin)
        stop = min(length_16k, (patch + 1) * patch_hops + margin)
        # The span's padding reflects where it meets the track's ends, as the whole log-mel's does, and only
        # reaches frames outside the patch elsewhere.
        log_mel = _log_mel_of_16k(_resampled_span(x, sr=sr, start=start, stop=stop))
        first = (patch * patch_hops - start) // HOP_LENGTH
        mels.append(log_mel[first : first + PATCH_FRAMES])
    return PatchLogMels(np.stack(mels), n_patches)


@dataclass(frozen=True, eq=False)
class PatchLogMels:
    """Log-mel patches [k, 187, 96] the taggers read, of the `n_patches` a track has."""

    patches: np.ndarray
    n_patches: int


def _mono_samples(samples: np.ndarray) -> np.ndarray:
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"expected non-empty mono samples, got shape {x.shape}")
    return x


def _resampling_ratio(sr: int) -> tuple[int, int]:
    """(up, down): 16 kHz is `sr` Hz times up / down."""
    g = gcd(SR, sr)
    return SR // g, sr // g


# How far beyond a span the resampled signal depends on its input, in input samples: scipy's resample_poly filter
# reaches 10 x max(up, down) upsampled samples either side (at most 10 x 441 / 320 < 14 input samples for 22 050 Hz).
_RESAMPLING_REACH = 64


def _resampled_span(x: np.ndarray, *, sr: int, start: int, stop: int | None) -> np.ndarray:
    """Samples [start, stop) of x resampled to 16 kHz (stop None: to the end), as resampling the whole would give.

    The input read starts on a multiple of `down` input samples, where the output grid meets the input's, and
    reaches beyond the span by more than the filter does, so only the track's own ends are edges.
    """
    up, down = _resampling_ratio(sr)
    if up == down:
        return x[start:stop]
    import scipy.signal  # 0.4 s to import: only where a signal is filtered, not with every command

    first_block = max(0, (start * down // up - _RESAMPLING_REACH) // down)
    last_input = len(x) if stop is None else min(len(x), -(-stop * down // up) + _RESAMPLING_REACH)
    resampled = scipy.signal.resample_poly(x[first_block * down : last_input], up, down)
    offset = first_block * up
    return resampled[start - offset : None if stop is None else stop - offset].astype(np.float32)


def _log_mel_of_16k(x: np.ndarray) -> np.ndarray:
    power = spectral.power_spectrogram(x, n_fft=N_FFT, hop_length=HOP_LENGTH, pad_mode="reflect")
    mel = (spectral.mel_filterbank(sr=SR, n_fft=N_FFT, n_mels=N_MELS) @ power).T
    with np.errstate(over="ignore"):
        half = mel.astype(np.float16)
        log_mel = np.log10(np.float16(10000) * half + np.float16(1))
    return np.minimum(log_mel, _LOG_MEL_CEILING).astype(np.float32)


def musicnn_patches(log_mel: np.ndarray) -> np.ndarray:
    """Consecutive, non-overlapping 187-frame patches [n, 187, 96] of a log-mel [frames, 96]; the tail is dropped.

    musicnn's extractor fails on audio shorter than one patch (2.99 s); such a log-mel is repeated until it fills
    one, as musicnn's training did for short clips (its config: "pad_short": "repeat-pad").
    """
    if len(log_mel) < PATCH_FRAMES:
        log_mel = np.resize(log_mel, (PATCH_FRAMES, log_mel.shape[1]))
    n = len(log_mel) // PATCH_FRAMES
    return np.ascontiguousarray(log_mel[: n * PATCH_FRAMES].reshape(n, PATCH_FRAMES, -1))


class _FrequencyMaxBranch(nn.Module):
    """A front-end branch: conv over (time, frequency) -> ReLU -> batch norm -> max over frequency.

    ReLU and a channel's batch norm are monotone, so the max over frequency is taken first, on the conv output: its
    max where the norm's weight is positive, its min (the max of the conv run with negated weights) where negative.
    The same numbers, without passes of ReLU and batch norm over the largest tensors of the model.

    Training left many filters dead, their weights decayed to about 1e-30 (190 of the MSD model's 204 timbral filters
    of 67 bands). Such a filter answers its bias everywhere, so only the live ones are run: the same tags and
    embeddings to float32 rounding, the MTT model in 43 % and the MSD model in 19 % of the time.
    """

    def __init__(self, channels: int, kernel: tuple[int, int], time_padding: tuple[int, int]) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, channels, kernel)
        self.bn = nn.BatchNorm1d(channels, eps=_BN_EPS)
        self.time_padding = time_padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[N, 1, time, 96] -> [N, channels, time]."""
        sign = torch.where(self.bn.weight >= 0, 1.0, -1.0)
        live = self.live_filters()
        bias = cast(torch.Tensor, self.conv.bias)  # nn.Conv2d's bias, on by default
        weight = self.conv.weight[live] * sign[live, None, None, None]
        flipped = F.conv2d(F.pad(x, (0, 0, *self.time_padding)), weight, bias[live] * sign[live])
        maxima = (bias * sign)[None, :, None].repeat(len(x), 1, flipped.shape[2])  # a dead filter's answer
        maxima[:, live] = flipped.amax(dim=3)
        return self.bn(F.relu(maxima * sign[:, None]))

    def live_filters(self) -> torch.Tensor:
        """Indices of the filters that are not dead: whose largest weight is above _DEAD_FILTER_WEIGHT of the branch's."""
        largest = self.conv.weight.flatten(1).abs().amax(dim=1)  # not a norm: squares of 1e-30 underflow to 0
        return torch.nonzero(largest > _DEAD_FILTER_WEIGHT * largest.max()).flatten()


class _MidendLayer(nn.Module):
    """A mid-end layer: conv over time spanning all input features -> ReLU -> batch norm."""

    def __init__(self, in_channels: int, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(in_channels, channels, 7, padding=3)
        self.bn = nn.BatchNorm1d(channels, eps=_BN_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(F.relu(self.conv(x)))


class Musicnn(nn.Module):
    """musicnn: a musically motivated front-end, a dense residual mid-end, a temporal-pooling back-end.

    Front-end: timbral filters 7 frames x 38 and x 67 bands (204 each), temporal filters 128, 64 and 32 frames x 1
    band (51 each), each max-pooled over frequency (561 features per frame). Mid-end: three 7-frame convolutions of
    64 filters, the last two residual. Back-end: max and mean over time of the 753 concatenated features, batch
    norm, a 200-unit ReLU dense layer and its batch norm (the embedding), then 50 sigmoid tags. Dropout is off.
    """

    def __init__(self, tag_names: tuple[str, ...], *, midend_channels: int = 64) -> None:
        super().__init__()
        self.tag_names = tag_names
        self.input_bn = nn.BatchNorm2d(1, eps=_BN_EPS)
        self.timbral_74 = _FrequencyMaxBranch(204, (7, int(0.4 * N_MELS)), (3, 3))
        self.timbral_77 = _FrequencyMaxBranch(204, (7, int(0.7 * N_MELS)), (3, 3))
        # TensorFlow's "same" padding for an even kernel k: (k - 1) // 2 before, k // 2 after.
        self.temporal_128 = _FrequencyMaxBranch(51, (128, 1), (63, 64))
        self.temporal_64 = _FrequencyMaxBranch(51, (64, 1), (31, 32))
        self.temporal_32 = _FrequencyMaxBranch(51, (32, 1), (15, 16))
        frontend_channels = 2 * 204 + 3 * 51
        self.midend_1 = _MidendLayer(frontend_channels, midend_channels)
        self.midend_2 = _MidendLayer(midend_channels, midend_channels)
        self.midend_3 = _MidendLayer(midend_channels, midend_channels)
        pooled = 2 * (frontend_channels + 3 * midend_channels)
        self.pool_bn = nn.BatchNorm1d(pooled, eps=_BN_EPS)
        self.dense = nn.Linear(pooled, EMBEDDING_SIZE)
        self.dense_bn = nn.BatchNorm1d(EMBEDDING_SIZE, eps=_BN_EPS)
        self.output = nn.Linear(EMBEDDING_SIZE, len(tag_names))

    def forward(self, log_mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-mel patches [N, time, 96] -> (tag probabilities [N, 50], embedding [N, 200])."""
        x = self.input_bn(log_mel.unsqueeze(1))
        frontend = torch.cat([self._frontend(chunk) for chunk in x.split(_FRONTEND_CHUNK)])
        m1 = self.midend_1(frontend)
        m2 = self.midend_2(m1) + m1
        m3 = self.midend_3(m2) + m2
        features = torch.cat([frontend, m1, m2, m3], dim=1)
        # TensorFlow flattens [N, features, (max, mean)]: the two statistics of a feature are adjacent.
        pooled = torch.stack([features.amax(dim=2), features.mean(dim=2)], dim=2).flatten(1)
        embedding = self.dense_bn(F.relu(self.dense(self.pool_bn(pooled))))
        return torch.sigmoid(self.output(embedding)), embedding

    def _frontend(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised log-mel [N, 1, time, 96] -> front-end features [N, 561, time]."""
        branches = (self.timbral_74, self.timbral_77, self.temporal_128, self.temporal_64, self.temporal_32)
        return torch.cat([branch(x) for branch in branches], dim=1)


@lru_cache(maxsize=len(_MODELS))
def load_musicnn(model: str = "MTT_musicnn") -> Musicnn:
    """A shared, cached musicnn ("MTT_musicnn" or "MSD_musicnn") in eval mode, weights from the package data.

    Also turns on flushing denormals to zero (process-wide): ReLU nets on quiet inputs otherwise slow down.
    """
    if model not in _MODELS:
        raise ValueError(f"unknown musicnn model {model!r}; choose from {sorted(_MODELS)}")
    filename, tag_names = _MODELS[model]
    with resources.files("picscore.audio.weights").joinpath(filename).open("rb") as f, np.load(f) as npz:
        state = {name: torch.from_numpy(npz[name]) for name in npz.files}
    net = Musicnn(tag_names)
    missing, unexpected = net.load_state_dict(state, strict=False)
    if unexpected or any(not name.endswith("num_batches_tracked") for name in missing):
        raise RuntimeError(f"{filename} does not fit musicnn: missing {missing}, unexpected {unexpected}")
    torch.set_flush_denormal(True)
    return net.eval().requires_grad_(False)


@dataclass(frozen=True, eq=False)
class MusicTags:
    """musicnn's answer for one piece of music: tag probabilities over time and on average, and its embedding."""

    tag_names: tuple[str, ...]
    tags: np.ndarray  # [50], mean over patches
    tag_curve: np.ndarray  # [n_patches, 50], one row per patch tagged, patch_seconds apart
    embedding: np.ndarray  # [200], mean over patches
    embedding_curve: np.ndarray  # [n_patches, 200], one row per patch
    patch_seconds: float

    def top(self, k: int = 5) -> list[tuple[str, float]]:
        """The k most probable tags, most probable first."""
        order = np.argsort(-self.tags, kind="stable")[:k]
        return [(self.tag_names[i], float(self.tags[i])) for i in order]


def spread_patches(n_patches: int, count: int | None) -> np.ndarray:
    """Indices of `count` of n patches spread evenly over a track: the middle patch of each of `count` equal
    stretches; all n when `count` is None or at least n."""
    if count is None or count >= n_patches:
        return np.arange(n_patches)
    return np.floor((np.arange(count) + 0.5) * n_patches / count).astype(int)


def tag_music(samples: np.ndarray, *, sr: int, model: str = "MTT_musicnn", batch_size: int = 32, patches: int | None = None) -> MusicTags:
    """Tag mono float samples at `sr` Hz with musicnn, on `patches` 3-second patches spread over them (None: all),
    `batch_size` patches per forward pass (see tag_patches)."""
    return tag_patches(musicnn_patch_log_mels(samples, sr=sr, patches=patches), model=model, batch_size=batch_size)


def tag_patches(log_mels: PatchLogMels, *, model: str = "MTT_musicnn", batch_size: int = 32) -> MusicTags:
    """Tag musicnn's input (musicnn_patch_log_mels), so that several models can share one.

    When it holds a subset of a track's patches (bench/tagger_patches.py measures how faithful the means stay),
    the curves hold those patches, `patch_seconds` apart on average.
    """
    net = load_musicnn(model)
    chosen = torch.from_numpy(log_mels.patches)
    with torch.inference_mode():
        outputs = [net(chosen[start : start + batch_size]) for start in range(0, len(chosen), batch_size)]
    tag_curve = torch.cat([tags for tags, _ in outputs]).numpy()
    embeddings = torch.cat([embedding for _, embedding in outputs]).numpy()
    step_seconds = PATCH_SECONDS * log_mels.n_patches / len(chosen)
    return MusicTags(net.tag_names, tag_curve.mean(axis=0), tag_curve, embeddings.mean(axis=0), embeddings, step_seconds)
