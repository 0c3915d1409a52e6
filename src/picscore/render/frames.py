"""The pictures of a slideshow, frame by frame, as YUV 4:2:0 frames ready for the encoder.

Each photo is prepared once as a canvas: the frame's shape, MAX_ZOOM times the frame's size,
holding the photo either cropped to fill it (when that loses little) or whole on a blurred,
darkened copy of itself, converted once to BT.709 limited-range YUV 4:2:0. A frame is then a
window of one canvas scaled to the frame size by FFmpeg's swscale (a Ken Burns move is a moving
window) and, during a transition, a blend of two such frames. The window's corners snap to
even canvas pixels, which keeps the chroma planes aligned and lets swscale do the whole job in
a few milliseconds at 1080p (PIL's resampling with sub-pixel boxes took 18 ms); the steps are
under two output pixels. Only the canvases of the shots on screen are kept, so memory does not
grow with the number of photos or the length of the video.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

import av
import numpy as np
from av.video.reformatter import VideoReformatter
from PIL import Image, ImageFilter

from picscore.media.image_load import load_image
from picscore.render.plan import CHAPTER_TRANSITION_SECONDS, MAX_ZOOM, Plan, Shot, frame_index
from picscore.render.title import draw_title, title_alpha, title_masks

COVER_RATIO = 1.12  # crop to fill when the photo's and frame's aspect ratios differ by at most this factor
FILL_BRIGHTNESS = 0.45  # the blurred fill behind a photo, darkened so the photo stands out
FILL_BLUR_SCALE = 24  # the fill is blurred at 1/24 of the canvas size: cheap, and very soft once enlarged
_BLACK_Y, _NEUTRAL_UV = 16, 128


@dataclass(frozen=True)
class Canvas:
    """A photo prepared for one frame size: YUV 4:2:0 planes (Y full size, U and V half) and its salient point in pixels."""

    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    focus: tuple[float, float]

    @property
    def size(self) -> tuple[int, int]:
        return self.y.shape[1], self.y.shape[0]


def canvas_size(*, width: int, height: int) -> tuple[int, int]:
    """The canvas for frames of width x height: MAX_ZOOM times larger, even sides."""
    return 2 * round(width * MAX_ZOOM / 2), 2 * round(height * MAX_ZOOM / 2)


def build_canvas(path: str, *, width: int, height: int, focus: tuple[float, float]) -> Canvas:
    """Load the photo at `path` (EXIF-upright, sRGB) and lay it out on a canvas for width x height frames."""
    size = canvas_size(width=width, height=height)
    # JPEGs decode at a reduced scale that still covers the canvas: a photo laid out on it never
    # shows its shorter side larger than the canvas's shorter side (times COVER_RATIO when cropped).
    photo = load_image(path, min_side=math.ceil(min(size) * COVER_RATIO))
    rgb, focus_px = compose(photo, size=size, focus=focus)
    y, u, v = split_i420(to_i420(rgb))
    return Canvas(y=y, u=u, v=v, focus=focus_px)


def compose(photo: Image.Image, *, size: tuple[int, int], focus: tuple[float, float]) -> tuple[Image.Image, tuple[float, float]]:
    """(RGB canvas of `size`, the focus in its pixels): the photo cropped around its focus to fill
    the canvas when the aspect ratios are close, else whole on a blurred, darkened fill of itself."""
    width, height = size
    pw, ph = photo.size
    ratio = (pw / ph) / (width / height)
    if max(ratio, 1 / ratio) <= COVER_RATIO:
        scale = max(width / pw, height / ph)
        left = min(max(focus[0] * pw * scale - width / 2, 0.0), pw * scale - width)
        top = min(max(focus[1] * ph * scale - height / 2, 0.0), ph * scale - height)
        box = (left / scale, top / scale, (left + width) / scale, (top + height) / scale)
        canvas = photo.resize(size, Image.Resampling.BICUBIC, box=box, reducing_gap=2.0)
        return canvas, (focus[0] * pw * scale - left, focus[1] * ph * scale - top)
    scale = min(width / pw, height / ph)
    shown = (max(1, round(pw * scale)), max(1, round(ph * scale)))
    offset = ((width - shown[0]) // 2, (height - shown[1]) // 2)
    canvas = blurred_fill(photo, size=size)
    canvas.paste(photo.resize(shown, Image.Resampling.BICUBIC, reducing_gap=2.0), offset)
    return canvas, (offset[0] + focus[0] * shown[0], offset[1] + focus[1] * shown[1])


def blurred_fill(photo: Image.Image, *, size: tuple[int, int]) -> Image.Image:
    """The photo scaled to cover `size`, blurred and darkened: the background instead of black bars."""
    small = (max(1, size[0] // FILL_BLUR_SCALE), max(1, size[1] // FILL_BLUR_SCALE))
    pw, ph = photo.size
    scale = max(small[0] / pw, small[1] / ph)
    crop_w, crop_h = small[0] / scale, small[1] / scale
    box = ((pw - crop_w) / 2, (ph - crop_h) / 2, (pw + crop_w) / 2, (ph + crop_h) / 2)
    tiny = photo.resize(small, Image.Resampling.BOX, box=box).filter(ImageFilter.GaussianBlur(radius=1.5))
    tiny = tiny.point(lambda value: round(value * FILL_BRIGHTNESS))
    return tiny.resize(size, Image.Resampling.BILINEAR)


def to_i420(rgb: Image.Image) -> np.ndarray:
    """BT.709 limited-range YUV 4:2:0 of an RGB image with even sides, as one (height * 3/2, width) array."""
    frame = av.VideoFrame.from_ndarray(np.asarray(rgb), format="rgb24")
    return frame.reformat(format="yuv420p", dst_colorspace="ITU709", dst_color_range="MPEG").to_ndarray()


def split_i420(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Views of the Y, U and V planes of an I420 array."""
    width = frame.shape[1]
    height = frame.shape[0] * 2 // 3
    flat = frame.reshape(-1)
    n = width * height
    half = (height // 2, width // 2)
    return flat[:n].reshape(height, width), flat[n : n + n // 4].reshape(half), flat[n + n // 4 :].reshape(half)


def view_box(
    canvas_size: tuple[int, int], focus: tuple[float, float], *, zoom: float, pan: tuple[float, float], progress: float
) -> tuple[float, float, float, float]:
    """The canvas window shown at `zoom` (1: all of it), placed towards `focus`, `progress` (0..1) through a `pan`.

    `pan` is, per axis, the share of the room the zoom leaves that the view crosses (-1..1); the
    move is centred on the focus as far as the room allows, so the focus stays in view.
    """
    box = []
    for side, at, move in zip(canvas_size, focus, pan, strict=True):
        shown = side / zoom
        room = side - shown
        placed = min(max((at - shown / 2) / room, 0.0), 1.0) if room > 1e-9 else 0.5
        reach = abs(move) / 2
        position = min(max(placed, reach), 1.0 - reach) + move * (progress - 0.5)
        box.append((position * room, shown))
    (left, w), (top, h) = box
    return left, top, left + w, top + h


def shot_view(shot: Shot, canvas: Canvas, *, progress: float) -> tuple[float, float, float, float]:
    """The window of `shot` at `progress` (0..1) through its time on screen: zoom and pan move linearly."""
    zoom = shot.zoom_from + (shot.zoom_to - shot.zoom_from) * progress
    return view_box(canvas.size, canvas.focus, zoom=zoom, pan=shot.pan, progress=progress)


_SCALER = VideoReformatter()


def render_view(canvas: Canvas, box: tuple[float, float, float, float], *, width: int, height: int) -> av.VideoFrame:
    """The window `box` of the canvas (corners snapped to even pixels) scaled to a width x height yuv420p frame."""
    left, top = (2 * round(c / 2) for c in box[:2])
    w = min(2 * round((box[2] - box[0]) / 2), canvas.size[0] - left)
    h = min(2 * round((box[3] - box[1]) / 2), canvas.size[1] - top)
    window = av.VideoFrame(w, h, "yuv420p")
    for plane, source, scale in zip(window.planes, (canvas.y, canvas.u, canvas.v), (1, 2, 2), strict=True):
        rows, columns = h // scale, w // scale
        # Copy the crop straight into the frame's buffer (its rows may be padded to line_size).
        target = np.frombuffer(plane, dtype=np.uint8).reshape(-1, plane.line_size)[:rows, :columns]  # type: ignore[call-overload]  # a plane is a buffer
        target[:] = source[top // scale : top // scale + rows, left // scale : left // scale + columns]
    return _SCALER.reformat(window, width=width, height=height, interpolation="BILINEAR")


def transition(kind: str, old: np.ndarray, new: np.ndarray, *, alpha: float) -> np.ndarray:
    """The I420 frame `alpha` (0..1) of the way from `old` to `new`."""
    if kind == "crossfade":
        return _blend(old, new, alpha)
    if kind == "fade-black":
        black = _black(old.shape)
        return _blend(old, black, 2 * alpha) if alpha < 0.5 else _blend(black, new, 2 * alpha - 1)
    if kind == "slide":  # the new photo pushes the old one out to the left, easing in and out
        width = old.shape[1]
        shift = 2 * round((1 - np.cos(np.pi * alpha)) / 2 * width / 2)
        out = np.empty_like(old)
        for plane, before, after in zip(split_i420(out), split_i420(old), split_i420(new), strict=True):
            step = shift * plane.shape[1] // width
            plane[:, : plane.shape[1] - step] = before[:, step:]
            plane[:, plane.shape[1] - step :] = after[:, :step]
        return out
    return new if alpha >= 0.5 else old


def _blend(a: np.ndarray, b: np.ndarray, alpha: float) -> np.ndarray:
    """(1 - alpha) a + alpha b over every plane at once (PIL's blend, about 1 ms at 1080p)."""
    return np.asarray(Image.blend(Image.fromarray(a), Image.fromarray(b), alpha))


@lru_cache(maxsize=4)
def _black(shape: tuple[int, int]) -> np.ndarray:
    out = np.full(shape, _NEUTRAL_UV, dtype=np.uint8)
    out[: shape[0] * 2 // 3] = _BLACK_Y
    out.flags.writeable = False
    return out


CanvasLoader = Callable[[Shot], Canvas]


def slideshow_frames(plan: Plan, *, load: CanvasLoader | None = None) -> Iterator[av.VideoFrame]:
    """Every frame of `plan` in order, as yuv420p frames; each photo's canvas is built once, when first needed.

    A transition covers the frames from half its length before its cut to half after, so its
    middle falls on the cut (a cut itself changes picture on the cut's frame).
    """
    load = load or (lambda shot: build_canvas(shot.photo, width=plan.width, height=plan.height, focus=shot.focus))
    fps, shots = plan.fps, plan.shots
    starts = [frame_index(s.start_seconds, fps=fps) for s in shots] + [plan.n_frames]
    shortest = min(b - a for a, b in pairwise(starts))
    # The transition into each shot k > 0, and half its length in frames: a chapter opens through black.
    kinds = ["fade-black" if k in plan.chapter_starts else plan.transition for k in range(len(shots))]
    halves = [
        min(round((CHAPTER_TRANSITION_SECONDS if k in plan.chapter_starts else plan.transition_seconds) * fps / 2), shortest // 2)
        for k in range(len(shots))
    ]
    canvases: dict[int, Canvas] = {}

    def picture(k: int, i: int) -> av.VideoFrame:
        if k not in canvases:
            canvases[k] = load(shots[k])
        # The move runs over the whole time the photo is visible, transitions included.
        first, last = starts[k] - (halves[k] if k > 0 else 0), starts[k + 1] + (halves[k + 1] if k + 1 < len(shots) else 0)
        progress = min(max((i - first) / max(last - first - 1, 1), 0.0), 1.0)
        return render_view(canvases[k], shot_view(shots[k], canvases[k], progress=progress), width=plan.width, height=plan.height)

    def frame(k: int, i: int) -> av.VideoFrame:
        if k > 0 and (half := halves[k]) and i < starts[k] + half:
            return _mixed(kinds[k], picture(k - 1, i), picture(k, i), alpha=(i - starts[k] + half + 0.5) / (2 * half))
        if k + 1 < len(shots) and (half := halves[k + 1]) and i >= starts[k + 1] - half:
            return _mixed(kinds[k + 1], picture(k, i), picture(k + 1, i), alpha=(i - starts[k + 1] + half + 0.5) / (2 * half))
        return picture(k, i)

    # The picture fades from black and back to it with the sound.
    fade_in, fade_out = round(plan.fade_in_seconds * fps), round(plan.fade_out_seconds * fps)
    masks = title_masks(plan.title, width=plan.width, height=plan.height) if plan.title else None
    title_end = shots[0].end_seconds - (halves[1] / fps if len(shots) > 1 else plan.fade_out_seconds)

    def titled(picture: av.VideoFrame, i: int) -> av.VideoFrame:
        if masks is None:
            return picture
        alpha = title_alpha(i / fps, start_seconds=plan.fade_in_seconds, end_seconds=title_end)
        if not alpha:
            return picture
        pixels = picture.to_ndarray()
        draw_title(split_i420(pixels), masks, alpha=alpha)
        return av.VideoFrame.from_ndarray(pixels, format="yuv420p")

    k = 0
    for i in range(plan.n_frames):
        while i >= starts[k + 1]:
            k += 1
        for old in [key for key in canvases if key < k - 1]:
            del canvases[old]
        brightness = min(1.0, (i + 0.5) / fade_in if fade_in else 1.0, (plan.n_frames - i - 0.5) / fade_out if fade_out else 1.0)
        shown = titled(frame(k, i), i)
        yield shown if brightness >= 1.0 else _from_black(shown, alpha=brightness)


def _from_black(picture: av.VideoFrame, *, alpha: float) -> av.VideoFrame:
    """The frame `alpha` (0..1) of the way from black to `picture`."""
    pixels = picture.to_ndarray()
    return av.VideoFrame.from_ndarray(_blend(_black(pixels.shape), pixels, alpha), format="yuv420p")


def _mixed(kind: str, old: av.VideoFrame, new: av.VideoFrame, *, alpha: float) -> av.VideoFrame:
    return av.VideoFrame.from_ndarray(transition(kind, old.to_ndarray(), new.to_ndarray(), alpha=alpha), format="yuv420p")
