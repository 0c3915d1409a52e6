"""A quick look at each photo of a slideshow: whether it can be read, and where its subject is.

The look decodes a small version of every photo once, before planning: it finds the
unreadable ones (reported and skipped) and the salient point a Ken Burns move should keep in
frame, found by the spectral residual method (Hou & Zhang, CVPR 2007) on a 64x64 thumbnail.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.ndimage
from PIL import Image

from picscore.media.image_load import ImageLoadError, load_image

_SALIENCY_SIDE = 64


@dataclass(frozen=True)
class PhotoLook:
    """A photo's path and salient point (fractions of width and height), or why it cannot be read."""

    path: str
    focus: tuple[float, float] = (0.5, 0.5)
    error: str | None = None


def look_at(path: Path) -> PhotoLook:
    """Decode a small version of the photo (upright, as the renderer will see it) and find its salient point."""
    try:
        image = load_image(path, min_side=_SALIENCY_SIDE)
    except ImageLoadError as err:
        return PhotoLook(str(path), error=str(err))
    return PhotoLook(str(path), focus=salient_point(image))


def salient_point(image: Image.Image) -> tuple[float, float]:
    """The centre of the most salient 5 % of the picture, as fractions (x, y); the middle if nothing stands out."""
    grey = np.asarray(image.convert("L").resize((_SALIENCY_SIDE, _SALIENCY_SIDE), Image.Resampling.BILINEAR), dtype=np.float64)
    if grey.std() < 1.0:  # a flat picture: nothing stands out
        return 0.5, 0.5
    spectrum = np.fft.fft2(grey)
    log_amplitude = np.log(np.abs(spectrum) + 1e-9)
    residual = log_amplitude - scipy.ndimage.uniform_filter(log_amplitude, size=3, mode="wrap")
    saliency = np.abs(np.fft.ifft2(np.exp(residual + 1j * np.angle(spectrum)))) ** 2
    saliency = scipy.ndimage.gaussian_filter(saliency, sigma=2.5)
    weights = np.where(saliency >= np.quantile(saliency, 0.95), saliency, 0.0)
    ys, xs = np.indices(weights.shape)
    total = weights.sum()
    x = (float((weights * xs).sum() / total) + 0.5) / _SALIENCY_SIDE
    y = (float((weights * ys).sum() / total) + 0.5) / _SALIENCY_SIDE
    return round(x, 3), round(y, 3)
