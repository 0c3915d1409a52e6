"""Colour and texture descriptors of a picture, and the valence/arousal they suggest.

Descriptors (all on a 0-1 scale, from the picture shrunk to at most 160 px):
  brightness     mean HSV value V
  saturation     mean HSV saturation S
  colourfulness  Hasler & Süsstrunk (2003) M = sigma_rgyb + 0.3 mu_rgyb, divided by 150
  contrast       standard deviation of luma Y (BT.601)
  edges          mean gradient magnitude of luma (busy, detailed scenes score high)
  warmth         mean over pixels of saturation x value where the hue is red-orange-yellow,
                 minus the same for blue-cyan (grey or dark pictures are neutral)

Affect (each in [-1, 1]): Valdez & Mehrabian (1994) found pleasure = .69 V + .22 S and
arousal = -.31 V + .60 S on standardised colour samples; colourfulness and edges add arousal,
warmth adds pleasure (Wexner 1954; Jonauskaite et al. 2020 warm hues read positive). Centres
are typical photograph values:

  valence = tanh(2.5 * (0.69 (V - 0.45) + 0.22 (S - 0.35) + 0.5 warmth))
  arousal = tanh(2.5 * (-0.31 (V - 0.45) + 0.60 (S - 0.35) + 0.5 (colourfulness - 0.3) + 0.5 (edges - 0.08)))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

_MAX_SIDE = 160
DESCRIPTOR_NAMES = ("brightness", "saturation", "colourfulness", "contrast", "edges", "warmth")


@dataclass(frozen=True)
class PictureAffect:
    """A picture's colour descriptors (DESCRIPTOR_NAMES order) and its valence and arousal."""

    descriptors: np.ndarray
    valence: float
    arousal: float


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
    gy, gx = np.gradient(luma)
    degrees = hue * 360
    warm = (degrees < 70) | (degrees > 330)
    cool = (degrees > 170) & (degrees < 260)
    weight = saturation * value
    warmth = float((weight * warm).mean() - (weight * cool).mean())
    return np.array([value.mean(), saturation.mean(), colourfulness, luma.std(), np.hypot(gx, gy).mean(), warmth], dtype=np.float32)


def picture_affect(descriptors: np.ndarray) -> PictureAffect:
    """Valence and arousal from the descriptors, by the formula in the module docstring."""
    brightness, saturation, colourfulness, _, edges, warmth = (float(v) for v in descriptors)
    pleasure = 0.69 * (brightness - 0.45) + 0.22 * (saturation - 0.35) + 0.5 * warmth
    activation = -0.31 * (brightness - 0.45) + 0.60 * (saturation - 0.35) + 0.5 * (colourfulness - 0.3) + 0.5 * (edges - 0.08)
    return PictureAffect(descriptors, float(np.tanh(2.5 * pleasure)), float(np.tanh(2.5 * activation)))
