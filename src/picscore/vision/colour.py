"""Colour and texture descriptors of a picture, all on a 0-1 scale, from the picture shrunk to at most 160 px:

  brightness     mean HSV value V
  saturation     mean HSV saturation S
  colourfulness  Hasler & Süsstrunk (2003) M = sigma_rgyb + 0.3 mu_rgyb, divided by 150
  contrast       standard deviation of luma Y (BT.601)
  edges          mean gradient magnitude of luma (busy, detailed scenes score high)
  warmth         mean over pixels of saturation x value where the hue is red-orange-yellow,
                 minus the same for blue-cyan (grey or dark pictures are neutral)

The training feature cache keeps them for studies of what pictures and music share (tools/transfer_study.py);
a picture's mood is learned from its network layers instead (moods/picture.py).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

_MAX_SIDE = 160
DESCRIPTOR_NAMES = ("brightness", "saturation", "colourfulness", "contrast", "edges", "warmth")


def colour_descriptors(image: Image.Image) -> np.ndarray:
    """The six descriptors of DESCRIPTOR_NAMES for an RGB picture, as float32."""
    small = image.convert("RGB")
    small.thumbnail((_MAX_SIDE, _MAX_SIDE))
    rgb = np.asarray(small, dtype=np.float32) / 255.0
    hsv = np.asarray(small.convert("HSV"), dtype=np.float32) / 255.0
    hue, saturation, value = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    rg, yb = r - g, 0.5 * (r + g) - b
    colourfulness = (np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean())) * 255 / 150
    luma = 0.299 * r + 0.587 * g + 0.114 * b
    degrees = hue * 360
    warm = (degrees < 70) | (degrees > 330)
    cool = (degrees > 170) & (degrees < 260)
    weight = saturation * value
    warmth = float((weight * warm).mean() - (weight * cool).mean())
    return np.array([value.mean(), saturation.mean(), colourfulness, luma.std(), _edges(luma), warmth], dtype=np.float32)


def _edges(luma: np.ndarray) -> float:
    """The mean gradient magnitude of luma; along a side of one pixel (a 1-pixel picture, a 10000x1 sliver) there is none."""
    gradients = [np.gradient(luma, axis=axis) if luma.shape[axis] > 1 else np.zeros_like(luma) for axis in (0, 1)]
    return float(np.hypot(*gradients).mean())
