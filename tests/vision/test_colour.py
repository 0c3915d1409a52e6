"""Colour and texture descriptors, down to pictures of a single row or pixel."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from picscore.vision.colour import DESCRIPTOR_NAMES, colour_descriptors


def test_a_flat_picture_has_no_edges_and_a_striped_one_has() -> None:
    flat = dict(zip(DESCRIPTOR_NAMES, colour_descriptors(Image.new("RGB", (64, 48), (200, 60, 30))), strict=True))
    assert flat["edges"] == 0 and flat["contrast"] == pytest.approx(0, abs=1e-6) and flat["warmth"] > 0.3
    stripes = np.zeros((48, 64, 3), dtype=np.uint8)
    stripes[:, 2::4] = stripes[:, 3::4] = 255
    assert dict(zip(DESCRIPTOR_NAMES, colour_descriptors(Image.fromarray(stripes)), strict=True))["edges"] > 0.2


@pytest.mark.parametrize("size", [(1, 1), (10_000, 1), (1, 300)])
def test_a_picture_one_pixel_wide_or_high(size: tuple[int, int]) -> None:
    # np.gradient needs two samples on each axis: such pictures raised ValueError and stopped training.
    values = colour_descriptors(Image.new("RGB", size, (30, 90, 200)))
    assert values.shape == (len(DESCRIPTOR_NAMES),) and np.isfinite(values).all() and values[DESCRIPTOR_NAMES.index("edges")] == 0
