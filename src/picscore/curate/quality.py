"""What a photo's own pixels say of it: sharpness against its own content, exposure, screen-like flatness, its layout.

All from a small decode of the photo (JPEGs decode at a reduced scale), in tens of milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.ndimage
from PIL import Image

ANALYSIS_SIDE = 384  # the shorter side the measures are taken at
DETAIL_SIDE = 48


@dataclass(frozen=True)
class PhotoQuality:
    """The measures of one photo (see measure_photo)."""

    sharpness: float  # finest-octave detail over the next octave's: about 0.65 to 1.6 in focus, under 0.6 when blurred
    mean_luma: float  # 0..255
    luma_range: float  # 2nd to 98th percentile of luma, as a share of 0..255: how much of the range the photo uses
    blown: float  # share of pixels at the top of the range
    crushed: float  # share of pixels at the bottom of the range
    flat: float  # share of (unclipped) pixels exactly equal to their right and lower neighbours: screens, not cameras
    detail: np.ndarray  # [DETAIL_SIDE, DETAIL_SIDE] the frame's layout (see detail_thumbnail)


def measure_photo(image: Image.Image) -> PhotoQuality:
    """The measures of an upright RGB photo (any size; it is reduced to ANALYSIS_SIDE first)."""
    scale = ANALYSIS_SIDE / min(image.size)
    small = (
        image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.Resampling.BILINEAR)
        if scale < 1
        else image
    )
    rgb = np.asarray(small, dtype=np.int16)
    grey = rgb @ np.array([0.299, 0.587, 0.114])
    return PhotoQuality(
        sharpness=sharpness(grey),
        mean_luma=float(grey.mean()),
        luma_range=float(np.subtract(*np.percentile(grey, [98, 2])) / 255),
        blown=float(np.mean(grey >= 250)),
        crushed=float(np.mean(grey <= 6)),
        flat=flatness(rgb, grey),
        detail=detail_thumbnail(small),
    )


def sharpness(grey: np.ndarray) -> float:
    """Detail at the finest scale relative to detail an octave coarser: the ratio of the standard deviations of
    two difference-of-Gaussian bands. Haze or low contrast lowers both bands alike; blur empties the finer one."""
    once, twice = scipy.ndimage.gaussian_filter(grey, 1.0), scipy.ndimage.gaussian_filter(grey, 2.0)
    coarse = float(np.std(once - twice))
    return float(np.std(grey - once)) / coarse if coarse > 1e-6 else 0.0


def flatness(rgb: np.ndarray, grey: np.ndarray) -> float:
    """The share of pixels, leaving out clipped ones, whose colour equals both their right and lower neighbours'."""
    same = np.all(rgb[:-1, :-1] == rgb[:-1, 1:], axis=2) & np.all(rgb[:-1, :-1] == rgb[1:, :-1], axis=2)
    unclipped = (grey[:-1, :-1] > 3) & (grey[:-1, :-1] < 252)
    return float(np.sum(same & unclipped) / max(np.sum(unclipped), 1))


def detail_thumbnail(image: Image.Image) -> np.ndarray:
    """A DETAIL_SIDE-square grey thumbnail less its smooth shading, zero mean and unit length.

    What a frame shows, whatever its exposure, blur or shading: two frames of one burst correlate
    above about 0.55 once aligned (duplicates.py), two different scenes below about 0.2.
    """
    grey = np.asarray(image.convert("L").resize((DETAIL_SIDE, DETAIL_SIDE), Image.Resampling.BOX), dtype=np.float64)
    detail = grey - scipy.ndimage.gaussian_filter(grey, 4.0)
    detail -= detail.mean()
    return detail / max(float(np.linalg.norm(detail)), 1e-9)
