"""Load any common photo file as an upright 8-bit RGB image in sRGB.

Everything that reads a picture goes through `load_image`, so the encoder, thumbnails and the
renderer all see the same pixels: EXIF orientation applied, embedded ICC profiles converted to
sRGB, transparency composited on white, and 16-bit or float data scaled to 8 bits.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
import re
import struct
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from picscore.media.files import file_problem, open_file, short_reason

# Pillow plugins we accept (the JPEG one also opens multi-picture MPO files from cameras); HEIF
# exists only with pillow-heif installed. A fixed list keeps exotic parsers (EPS, ...) out.
_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "AVIF", "HEIF")
_HEIF_SUFFIXES = frozenset({".heic", ".heif", ".hif"})
# The file names picscore treats as pictures (the formats above).
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".avif"}) | _HEIF_SUFFIXES
# Transparent pixels are shown on white, as browsers and photo viewers show them.
ALPHA_BACKGROUND = (255, 255, 255)
_ICC_SPACE = {"RGB": "RGB ", "L": "GRAY", "CMYK": "CMYK"}
_PILLOW_PIXELS = re.compile(r"\((\d+) pixels\)")
# What Pillow's decoders raise for damaged data (OSError covers "image file is truncated").
# The largest header of a JPEG decoded at a reduced scale (1/8 of each side at most): 1,000 megapixels decode as 16.
REDUCED_MAX_PIXELS = 1_000_000_000
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error)


class ImageLoadError(Exception):
    """A file could not be loaded as an image; the message is one line naming the cause."""


def load_image(path: str | Path, *, max_pixels: int = 80_000_000, min_side: int | None = None) -> Image.Image:
    """Decode the image (first frame) at `path` as an upright RGB image in sRGB.

    `max_pixels` refuses larger images from the size in the file header, before anything is
    decoded; Pillow's own decompression-bomb limit (Image.MAX_IMAGE_PIXELS) caps it too.
    `min_side` lets JPEGs decode at 1/2, 1/4 or 1/8 scale (much faster) while the shorter side
    stays at least that many pixels; other formats always decode at full size. A JPEG read so
    may be as large as REDUCED_MAX_PIXELS in its header (a 100-200 megapixel phone photo):
    `max_pixels` then limits the pixels actually decoded.

    Raises ImageLoadError for files that are missing, empty, not images, too large, truncated or
    corrupt.
    """
    if min_side is not None and min_side < 1:
        raise ValueError(f"min_side must be at least 1 pixel, not {min_side}")
    path = Path(path)
    limit = max_pixels if Image.MAX_IMAGE_PIXELS is None else min(max_pixels, Image.MAX_IMAGE_PIXELS)
    _register_heif()
    if problem := file_problem(path):
        raise ImageLoadError(problem)
    try:
        fp = open_file(path)
    except OSError as err:
        raise ImageLoadError(f"cannot read the file ({err.strerror or err})") from None
    # The image is decoded from our own file object: Pillow leaves it open for multi-frame
    # formats, and closing the image itself would free the pixels we return.
    with fp, _quiet_exif():
        # Pillow only warns between its limit and twice that (when opening, or when a GIF frame
        # or TIFF tile turns out bigger than the header said while decoding).
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = _open(fp, path=path, limit=limit, reducible=min_side is not None)
            if min_side is not None and min(image.size) > min_side:
                scale = min_side / min(image.size)
                image.draft(None, (math.ceil(image.width * scale), math.ceil(image.height * scale)))
            if image.width * image.height > limit:  # a large JPEG whose reduced decode is still too large
                raise _too_large(limit, size=image.size)
            try:
                image.load()
            except _DECODE_ERRORS as err:
                raise ImageLoadError(f"the image data is truncated or corrupt ({short_reason(err)})") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
            raise _too_large(limit, pillow_message=str(err)) from None
    _exif_transpose(image)
    return _to_srgb(image)


@functools.cache
def _register_heif() -> None:
    """Let Pillow open HEIC/HEIF when the optional pillow-heif package is installed."""
    try:
        import pillow_heif
    except ImportError:
        return
    pillow_heif.register_heif_opener()


def _formats() -> list[str]:
    """The accepted formats this Pillow can open (Image.open fails on a name it has no plugin for)."""
    Image.init()
    return [name for name in _FORMATS if name in Image.OPEN]


def _open(fp: io.BufferedReader, *, path: Path, limit: int, reducible: bool) -> Image.Image:
    """Identify the format and read the header; refuse images over `limit` pixels, or (`reducible`: to be
    decoded at a reduced scale) JPEGs over REDUCED_MAX_PIXELS.

    Pillow raises its own DecompressionBombError (or the warning, made an error) for the caller.
    """
    try:
        with _pillow_limit(REDUCED_MAX_PIXELS if reducible else None):
            image = Image.open(fp, formats=_formats())
    except UnidentifiedImageError:
        if path.suffix.lower() in _HEIF_SUFFIXES and "HEIF" not in Image.OPEN:
            raise ImageLoadError("HEIC/HEIF images need the pillow-heif package") from None
        raise ImageLoadError("not an image file, or an unsupported image format") from None
    except _DECODE_ERRORS as err:
        raise ImageLoadError(f"unreadable image file ({short_reason(err)})") from None
    # Pillow itself refuses headers with a zero width or height as unidentified.
    header_limit = REDUCED_MAX_PIXELS if reducible and image.format == "JPEG" else limit
    if image.width * image.height > header_limit:
        raise _too_large(header_limit, size=image.size)
    return image


@contextlib.contextmanager
def open_header(path: str | Path) -> Iterator[Image.Image]:
    """The picture at `path` opened for its format, size and metadata (EXIF), its pixels left undecoded.

    Pillow's decompression-bomb check, which guards decoding, is lifted to REDUCED_MAX_PIXELS while the header is
    read: a 200-megapixel phone photo, which load_image reads at a reduced scale, has its EXIF read too. Raises what
    Image.open raises (Image.DecompressionBombError over that limit).
    """
    with open_file(path) as fp, _quiet_exif():
        with _pillow_limit(REDUCED_MAX_PIXELS):
            image = Image.open(fp)
        with image:
            yield image


@contextlib.contextmanager
def _quiet_exif() -> Iterator[None]:
    """A scope for warnings in which Pillow's of a damaged EXIF block are dropped: picscore ignores the block as
    viewers do (see _exif_transpose), and Pillow's words on stderr ("Corrupt EXIF data") tell a user nothing."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Corrupt EXIF data", category=UserWarning)
        yield


@contextlib.contextmanager
def _pillow_limit(pixels: int | None) -> Iterator[None]:
    """Pillow's bomb limit raised to `pixels` while a header is read (None: left as it is); our own check follows."""
    if pixels is None or Image.MAX_IMAGE_PIXELS is None or pixels <= Image.MAX_IMAGE_PIXELS:
        yield
        return
    saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, pixels // 2  # Pillow refuses at twice its limit, warns above it
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            yield
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def _too_large(limit: int, *, size: tuple[int, int] | None = None, pillow_message: str = "") -> ImageLoadError:
    """The error for an image over `limit` pixels, from its header size or Pillow's bomb message."""
    if size is not None:
        what = f"{size[0]}x{size[1]} pixels ({_megapixels(size[0] * size[1])})"
    elif match := _PILLOW_PIXELS.search(pillow_message):
        what = _megapixels(int(match.group(1)))
    else:
        what = "the image"
    return ImageLoadError(f"image too large: {what} is over the limit of {_megapixels(limit)}")


def _megapixels(pixels: int) -> str:
    megapixels = pixels / 1e6
    return f"{megapixels:,.0f} megapixels" if megapixels >= 10 else f"{megapixels:.2g} megapixels"


def _exif_transpose(image: Image.Image) -> None:
    """Turn the pixels upright as the EXIF orientation tag says; a damaged EXIF block is ignored."""
    # Viewers show such files as stored; so do we.
    with _quiet_exif(), contextlib.suppress(SyntaxError, ValueError, TypeError, KeyError, struct.error, OSError):
        ImageOps.exif_transpose(image, in_place=True)


def _to_srgb(image: Image.Image) -> Image.Image:
    """8-bit RGB in sRGB from any mode, using the embedded ICC profile when there is one."""
    icc = image.info.get("icc_profile")
    flat = _flatten(image)
    converted = _icc_to_srgb(flat, icc) if icc else None
    if converted is None:
        converted = flat if flat.mode == "RGB" else _convert_rgb(flat)
    # The pixels are sRGB now: a profile or transparency key left in `info` would describe
    # something else if the caller saved the image.
    for key in ("icc_profile", "transparency"):
        converted.info.pop(key, None)
    return converted


def _flatten(image: Image.Image) -> Image.Image:
    """Reduce any mode to L, RGB or CMYK (or a rare mode `_convert_rgb` handles), 8 bits, no alpha."""
    mode = image.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        return _high_depth_to_l(image)
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
    elif mode in ("L", "RGB") and "transparency" in image.info:
        image = image.convert("LA" if mode == "L" else "RGBA")
    elif mode in ("RGBa", "La"):
        image = image.convert(mode.upper())
    elif mode == "1":
        image = image.convert("L")
    if image.mode in ("RGBA", "LA"):
        base = image.mode[:-1]
        background = Image.new(base, image.size, ALPHA_BACKGROUND if base == "RGB" else ALPHA_BACKGROUND[0])
        background.paste(image.convert(base), mask=image.getchannel("A"))
        background.info = dict(image.info)
        return background
    return image


def _high_depth_to_l(image: Image.Image) -> Image.Image:
    """16-bit, 32-bit integer or float greyscale to 8 bits.

    16-bit data (I;16*, and I within 0..65535) is scaled by 255/65535; floats within [0, 1] by
    255; anything else is stretched from its minimum to its maximum.
    """
    values = np.asarray(image)
    if image.mode.startswith("I;16"):
        scaled = values.astype(np.float32) / 257.0
    else:
        values = np.nan_to_num(values.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
        low, high = float(values.min()), float(values.max())
        if image.mode == "I" and low >= 0 and high <= 65535:
            scaled = values / 257.0
        elif image.mode == "F" and low >= 0 and high <= 1:
            scaled = values * 255.0
        else:
            scaled = (values - low) * (255.0 / (high - low)) if high > low else np.zeros_like(values)
    result = Image.fromarray(np.clip(np.rint(scaled), 0, 255).astype(np.uint8), "L")
    result.info = dict(image.info)
    return result


@functools.cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _icc_to_srgb(image: Image.Image, icc: bytes) -> Image.Image | None:
    """Convert with the embedded profile; None when it is unusable or says the pixels are sRGB.

    A damaged or mismatched profile is ignored (the pixels are then taken as sRGB), as viewers do.
    """
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if source.profile.xcolor_space != _ICC_SPACE.get(image.mode):
            return None
        # Most camera and phone JPEGs embed an sRGB profile; converting sRGB to sRGB would cost
        # a full pass over the pixels (about 0.2 s for 12 megapixels) for nothing.
        if image.mode == "RGB" and "srgb" in ImageCms.getProfileDescription(source).lower():
            return None
        return ImageCms.profileToProfile(image, source, _srgb_profile(), outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


def _convert_rgb(image: Image.Image) -> Image.Image:
    """Pillow's own conversion for modes without a profile (L, CMYK, YCbCr, HSV, LAB, ...)."""
    try:
        if image.mode == "LAB":
            lab = ImageCms.createProfile("LAB")
            return cast(Image.Image, ImageCms.profileToProfile(image, lab, _srgb_profile(), outputMode="RGB"))  # new, not in place
        return image.convert("RGB")
    except (ValueError, ImageCms.PyCMSError):
        raise ImageLoadError(f"unsupported colour mode {image.mode}") from None
