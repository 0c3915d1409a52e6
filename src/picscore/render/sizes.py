"""The frame shapes, sizes and rates a slideshow can be rendered at."""

from __future__ import annotations

ASPECTS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1)}
RESOLUTIONS = {"720p": 720, "1080p": 1080}
FPS_CHOICES = (24, 30, 60)


def frame_size(*, aspect: str, resolution: str) -> tuple[int, int]:
    """(width, height) with the shorter side at the resolution, e.g. 9:16 at 1080p is 1080x1920."""
    short = RESOLUTIONS[resolution]
    across, down = ASPECTS[aspect]
    long_side = 2 * round(short * max(across, down) / min(across, down) / 2)
    return (long_side, short) if across >= down else (short, long_side)
