"""The title card: words over the first photo, white with a soft shadow, in DejaVu Sans Bold (shipped by matplotlib).

The title fades in after the picture has come up from black, holds, and fades out before the second photo.
It is drawn on the frame's planes: lighter luma under the letters, darker in their shadow, neutral colour.
"""

from __future__ import annotations

import importlib.util
from datetime import datetime
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

_FONT = "mpl-data/fonts/ttf/DejaVuSans-Bold.ttf"
_WHITE_Y, _NEUTRAL_UV = 235, 128
_FADE_SECONDS = 0.5


def date_range_title(times: list[datetime]) -> str:
    """The days the photos were taken, as a title: "3 May 2024", "1–3 May 2024", "30 April – 2 May 2024"."""
    days = sorted({t.date() for t in times if t != datetime.max})
    if not days:
        return ""
    first, last = days[0], days[-1]
    if first == last:
        return f"{first.day} {first:%B %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:%B %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%B} – {last.day} {last:%B %Y}"
    return f"{first.day} {first:%B %Y} – {last.day} {last:%B %Y}"


@cache
def _font_path() -> Path:
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("matplotlib, which ships the title's font, is not installed")
    return Path(spec.submodule_search_locations[0]) / _FONT


def title_masks(text: str, *, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """(letters, shadow) as float32 coverage in 0..1 at the frame's size: the title centred in the lower third."""
    size = max(12, height // 11)
    font = ImageFont.truetype(str(_font_path()), size)
    while size > 12 and font.getlength(text) > 0.9 * width:  # long titles shrink to fit the width
        size -= 2
        font = ImageFont.truetype(str(_font_path()), size)
    letters = Image.new("L", (width, height), 0)
    ImageDraw.Draw(letters).text((width / 2, height * 0.72), text, font=font, fill=255, anchor="mm")
    shadow = letters.filter(ImageFilter.GaussianBlur(max(2, size // 8)))
    return np.asarray(letters, dtype=np.float32) / 255, np.minimum(np.asarray(shadow, dtype=np.float32) / 255 * 1.6, 1.0)


def title_alpha(seconds: float, *, start_seconds: float, end_seconds: float) -> float:
    """How visible the title is at `seconds`: 0 outside [start, end], fading in and out over _FADE_SECONDS."""
    fade = min(_FADE_SECONDS, (end_seconds - start_seconds) / 3)
    if fade <= 0 or not start_seconds < seconds < end_seconds:
        return 0.0
    return float(min(1.0, (seconds - start_seconds) / fade, (end_seconds - seconds) / fade))


def draw_title(planes: tuple[np.ndarray, np.ndarray, np.ndarray], masks: tuple[np.ndarray, np.ndarray], *, alpha: float) -> None:
    """Draw the title into an I420 frame's (Y, U, V) planes in place, `alpha` visible."""
    y, u, v = planes
    letters, shadow = masks
    luma = y.astype(np.float32) * (1 - 0.6 * alpha * shadow)  # the shadow darkens what is behind the letters
    luma += alpha * letters * (_WHITE_Y - luma)
    y[:] = np.clip(luma, 0, 255).astype(np.uint8)
    small = letters[::2, ::2][: u.shape[0], : u.shape[1]] * alpha
    for plane in (u, v):
        plane[:] = np.clip(plane + small * (_NEUTRAL_UV - plane.astype(np.float32)), 0, 255).astype(np.uint8)
