"""Loading real files of every common image format, and clear errors for bad ones.

Every file is written here with Pillow; the colour-managed ones carry ICC profiles built by
`_rgb_profile`, and the decompression bombs are PNG headers that only claim a huge size.
"""

from __future__ import annotations

import re
import struct
import warnings
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import PIL
import pytest
from PIL import GifImagePlugin, Image, ImageCms, features

from picscore.media import image_load
from picscore.media.image_load import ALPHA_BACKGROUND, IMAGE_EXTENSIONS, ImageLoadError, load_image

RED, BLUE, GREY = (255, 0, 0), (0, 0, 255), (128, 128, 128)
# sRGB's primaries adapted to D50, as ICC profiles store them.
SRGB_RED, SRGB_GREEN, SRGB_BLUE = (0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)
D50 = (0.9642, 1.0, 0.8249)


def _two_halves(size: tuple[int, int] = (64, 48), *, left=RED, right=BLUE) -> Image.Image:
    image = Image.new("RGB", size, right)
    image.paste(left, (0, 0, size[0] // 2, size[1]))
    return image


def _close(pixel: object, expected: tuple[int, ...], tolerance: int) -> bool:
    """Whether `pixel` (as getpixel gives it) is a colour within `tolerance` of `expected` in every channel."""
    assert isinstance(pixel, tuple)
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


def _rgb(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    """The colour of one pixel of an RGB picture."""
    pixel = image.getpixel(xy)
    assert isinstance(pixel, tuple)
    return pixel


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz_tag(xyz: tuple[float, float, float]) -> bytes:
    return b"XYZ \0\0\0\0" + b"".join(_s15(v) for v in xyz)


def _profile(colour_space: bytes, tags: list[tuple[bytes, bytes]], *, name: str) -> bytes:
    """A minimal ICC v2 display profile: header, tag table, and a description plus `tags`."""
    ascii_name = name.encode() + b"\0"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(ascii_name)) + ascii_name + b"\0" * 78
    tags = [(b"desc", desc), (b"wtpt", _xyz_tag(D50)), *tags, (b"cprt", b"text\0\0\0\0none\0\0\0\0")]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    illuminant = b"".join(_s15(v) for v in D50)
    header = struct.pack(">I", offset + len(data)) + b"\0" * 4 + bytes([2, 0x10, 0, 0]) + b"mntr" + colour_space + b"XYZ "
    header += b"\0" * 12 + b"acsp" + b"\0" * 28 + illuminant + b"\0" * 48
    return header + struct.pack(">I", len(tags)) + table + data


def _gamma_curve(gamma: float) -> bytes:
    return b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"


def _rgb_profile(red, green, blue, *, name: str, gamma: float = 2.2) -> bytes:
    """An RGB matrix/TRC profile with the given D50 primaries and one gamma for all channels."""
    curve = _gamma_curve(gamma)
    primaries = [(b"rXYZ", _xyz_tag(red)), (b"gXYZ", _xyz_tag(green)), (b"bXYZ", _xyz_tag(blue))]
    return _profile(b"RGB ", [*primaries, (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)], name=name)


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height` RGB pixels but holds almost no data."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


FORMATS = [
    pytest.param(".jpg", {"quality": 95}, 12, id="jpeg"),
    pytest.param(".png", {}, 0, id="png"),
    pytest.param(".webp", {"quality": 95}, 12, id="webp"),
    pytest.param(".gif", {}, 0, id="gif"),
    pytest.param(".bmp", {}, 0, id="bmp"),
    pytest.param(".tiff", {"compression": "tiff_lzw"}, 0, id="tiff"),
    pytest.param(".avif", {"quality": 90}, 16, id="avif", marks=pytest.mark.skipif(not features.check("avif"), reason="no AVIF in Pillow")),
]


@pytest.mark.parametrize(("suffix", "options", "tolerance"), FORMATS)
def test_every_format_loads_as_rgb(tmp_path: Path, suffix: str, options: dict, tolerance: int) -> None:
    path = tmp_path / f"halves{suffix}"
    _two_halves().save(path, **options)
    image = load_image(path)
    assert image.mode == "RGB" and image.size == (64, 48)
    assert _close(image.getpixel((8, 24)), RED, tolerance)
    assert _close(image.getpixel((56, 24)), BLUE, tolerance)


def test_heic_loads_when_pillow_heif_is_installed(tmp_path: Path) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()  # for saving; load_image registers it by itself
    path = tmp_path / "phone.heic"
    _two_halves().save(path, quality=95)
    image = load_image(path)
    assert image.mode == "RGB" and image.size == (64, 48)
    assert _close(image.getpixel((8, 24)), RED, 24) and _close(image.getpixel((56, 24)), BLUE, 24)


def test_heic_without_pillow_heif_names_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    image_load._register_heif()  # cached: it will not register again below
    monkeypatch.delitem(Image.OPEN, "HEIF", raising=False)
    path = tmp_path / "phone.heic"
    path.write_bytes(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + b"\0" * 64)
    with pytest.raises(ImageLoadError) as err:
        load_image(path)
    assert str(err.value) == "HEIC/HEIF images need the pillow-heif package"


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".webp", ".tiff"])
def test_exif_orientation_turns_the_picture_upright(tmp_path: Path, suffix: str) -> None:
    # Stored 60 wide and 40 high with a red top-left corner; orientation 6 means "rotate 90
    # degrees clockwise to display", so it shows 40 wide and 60 high, red at the top right.
    stored = Image.new("RGB", (60, 40), GREY)
    stored.paste(RED, (0, 0, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / f"rotated{suffix}"
    options: dict[str, Any] = {"quality": 95} if suffix in (".jpg", ".webp") else {}
    stored.save(path, exif=exif.tobytes(), **options)
    image = load_image(path)
    assert image.size == (40, 60)
    assert _close(image.getpixel((34, 5)), RED, 12) and _close(image.getpixel((5, 5)), GREY, 12)
    assert image.getexif().get(0x0112, 1) == 1  # the tag no longer asks for a rotation


def test_cmyk_jpeg_converts_to_rgb(tmp_path: Path) -> None:
    path = tmp_path / "print.jpg"
    Image.new("CMYK", (32, 32), (0, 255, 255, 0)).save(path, quality=95)
    assert Image.open(path).mode == "CMYK"
    image = load_image(path)
    assert image.mode == "RGB" and _close(image.getpixel((16, 16)), RED, 8)


def test_palette_png_transparency_shows_the_background(tmp_path: Path) -> None:
    palette = Image.new("P", (40, 20), 1)
    palette.putpalette([*RED, *BLUE])
    palette.paste(0, (0, 0, 20, 20))
    path = tmp_path / "sticker.png"
    palette.save(path, transparency=1)
    image = load_image(path)
    assert image.getpixel((5, 10)) == RED
    assert image.getpixel((35, 10)) == ALPHA_BACKGROUND == (255, 255, 255)
    assert "transparency" not in image.info


@pytest.mark.parametrize(("mode", "colour", "expected"), [("RGBA", (255, 0, 0, 128), (255, 127, 127)), ("LA", (0, 0), (255, 255, 255))])
def test_alpha_is_composited_on_white(tmp_path: Path, mode: str, colour: tuple[int, ...], expected: tuple[int, ...]) -> None:
    path = tmp_path / "alpha.png"
    Image.new(mode, (16, 16), colour).save(path)
    assert _close(load_image(path).getpixel((8, 8)), expected, 1)


def test_one_bit_image(tmp_path: Path) -> None:
    bilevel = Image.new("1", (16, 8), 0)
    bilevel.paste(1, (8, 0, 16, 8))
    bilevel.save(tmp_path / "fax.bmp")
    image = load_image(tmp_path / "fax.bmp")
    assert image.getpixel((2, 4)) == (0, 0, 0) and image.getpixel((12, 4)) == (255, 255, 255)


@pytest.mark.parametrize("suffix", [".png", ".tiff"])
def test_sixteen_bit_greyscale_scales_to_eight_bits(tmp_path: Path, suffix: str) -> None:
    levels = np.array([[0, 257 * 64, 32768, 65535]], dtype=np.uint16).repeat(4, axis=0)
    path = tmp_path / f"scan{suffix}"
    Image.fromarray(levels).save(path)
    assert Image.open(path).mode.startswith("I;16")
    image = load_image(path)
    assert [image.getpixel((x, 0)) for x in range(4)] == [(0, 0, 0), (64, 64, 64), (128, 128, 128), (255, 255, 255)]


def test_sixteen_bit_rgb_tiff(tmp_path: Path) -> None:
    tifffile = pytest.importorskip("tifffile")
    pixels = np.zeros((8, 8, 3), dtype=np.uint16)
    pixels[..., 0], pixels[..., 2] = 65535, 32768
    tifffile.imwrite(tmp_path / "deep.tif", pixels)
    assert _close(load_image(tmp_path / "deep.tif").getpixel((4, 4)), (255, 0, 128), 1)


@pytest.mark.parametrize(("values", "expected"), [([0.0, 0.5, 1.0], [0, 128, 255]), ([-2.0, 0.0, 2.0], [0, 128, 255])])
def test_float_tiff_scales_to_eight_bits(tmp_path: Path, values: list[float], expected: list[int]) -> None:
    Image.fromarray(np.array([values], dtype=np.float32)).save(tmp_path / "hdr.tif")
    image = load_image(tmp_path / "hdr.tif")
    assert [_rgb(image, (x, 0))[0] for x in range(3)] == expected


def test_embedded_icc_profile_converts_to_srgb(tmp_path: Path) -> None:
    # A profile whose "red" channel is sRGB's green primary: pure file red must come out green.
    swapped = _rgb_profile(SRGB_GREEN, SRGB_RED, SRGB_BLUE, name="red and green swapped")
    Image.new("RGB", (8, 8), RED).save(tmp_path / "swapped.png", icc_profile=swapped)
    image = load_image(tmp_path / "swapped.png")
    assert _close(image.getpixel((4, 4)), (0, 255, 0), 1)
    assert "icc_profile" not in image.info  # the pixels are sRGB now


@pytest.mark.parametrize("icc", ["srgb", "none", "garbage"])
def test_srgb_missing_or_broken_profile_leaves_pixels_alone(tmp_path: Path, icc: str) -> None:
    profile = {"srgb": ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(), "none": None, "garbage": b"not a profile" * 20}
    colour = (200, 100, 50)
    options: dict[str, Any] = {"icc_profile": profile[icc]} if profile[icc] else {}
    Image.new("RGB", (8, 8), colour).save(tmp_path / "plain.png", **options)
    assert load_image(tmp_path / "plain.png").getpixel((4, 4)) == colour


def test_wide_gamut_profile_matches_the_colour_maths(tmp_path: Path) -> None:
    # Adobe RGB (1998) primaries with a 2.2 gamma; the expected sRGB value is worked out here
    # from the two primary matrices (both D50, so no white-point adaptation) and sRGB's curve.
    wide_primaries = np.array([(0.6097, 0.3111, 0.0195), (0.2053, 0.6257, 0.0609), (0.1492, 0.0632, 0.7446)])
    wide = _rgb_profile(*wide_primaries, name="wide gamut")
    stored = np.array([180, 60, 60])
    Image.new("RGB", (8, 8), tuple(stored)).save(tmp_path / "wide.png", icc_profile=wide)
    linear = np.linalg.solve(np.array([SRGB_RED, SRGB_GREEN, SRGB_BLUE]).T, wide_primaries.T @ (stored / 255) ** 2.2)
    srgb = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * np.clip(linear, 0, None) ** (1 / 2.4) - 0.055) * 255
    assert srgb[0] > stored[0] + 20  # the same numbers mean a more saturated red in the wider space
    assert _close(load_image(tmp_path / "wide.png").getpixel((4, 4)), tuple(np.rint(srgb).astype(int)), 1)


def test_grey_image_with_a_linear_grey_profile(tmp_path: Path) -> None:
    # Gamma 1.0: stored 128 is half the light, which sRGB's curve encodes as 188.
    linear_grey = _profile(b"GRAY", [(b"kTRC", _gamma_curve(1.0))], name="linear grey")
    Image.new("L", (8, 8), 128).save(tmp_path / "grey.png", icc_profile=linear_grey)
    assert _close(load_image(tmp_path / "grey.png").getpixel((4, 4)), (188, 188, 188), 1)


@pytest.mark.parametrize(("mode", "colour", "expected"), [("LAB", (127, 128, 128), (119, 119, 119)), ("YCbCr", (128, 128, 128), GREY)])
def test_other_tiff_colour_modes(tmp_path: Path, mode: str, colour: tuple[int, ...], expected: tuple[int, ...]) -> None:
    Image.new(mode, (8, 8), colour).save(tmp_path / "odd.tif")
    written = Image.open(tmp_path / "odd.tif").mode
    if written != mode:  # Pillow 11 (which the bench extra's moviepy pins) writes a YCbCr TIFF as RGB
        pytest.skip(f"Pillow {PIL.__version__} cannot write a {mode} TIFF (it wrote {written})")
    assert _close(load_image(tmp_path / "odd.tif").getpixel((4, 4)), expected, 1)  # CIE L* 50 grey is sRGB 119


def test_gif_animation_gives_its_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (16, 16), colour) for colour in (RED, (0, 255, 0), BLUE)]
    path = tmp_path / "blink.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    with Image.open(path) as gif:
        assert isinstance(gif, GifImagePlugin.GifImageFile) and gif.n_frames == 3
    assert load_image(path).getpixel((8, 8)) == RED


def test_multi_picture_jpeg_gives_its_first_picture(tmp_path: Path) -> None:
    # MPO: what stereo and some phone cameras write, a JPEG followed by more JPEGs.
    path = tmp_path / "camera.jpg"
    _two_halves().save(path, format="MPO", save_all=True, append_images=[_two_halves(left=BLUE, right=RED)], quality=95)
    assert Image.open(path).format == "MPO"
    image = load_image(path)
    assert _close(image.getpixel((8, 24)), RED, 12) and _close(image.getpixel((56, 24)), BLUE, 12)


def test_min_side_decodes_jpegs_at_a_reduced_scale(tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    _two_halves((1600, 1200)).save(path, quality=90)
    reduced = load_image(path, min_side=256)
    assert reduced.size == (400, 300)  # 1/4 scale: the smallest whose shorter side is >= 256
    assert load_image(path, min_side=2000).size == (1600, 1200)
    _two_halves((1600, 1200)).save(tmp_path / "big.png")
    assert load_image(tmp_path / "big.png", min_side=256).size == (1600, 1200)  # only JPEG scales while decoding
    with pytest.raises(ValueError, match="min_side"):
        load_image(path, min_side=0)


def _error(path: Path, **kwargs) -> str:
    with pytest.raises(ImageLoadError) as err:
        load_image(path, **kwargs)
    return str(err.value)


def test_missing_empty_folder_and_non_image_files(tmp_path: Path) -> None:
    assert _error(tmp_path / "nowhere.jpg") == "file not found"
    (tmp_path / "empty.jpg").write_bytes(b"")
    assert _error(tmp_path / "empty.jpg") == "the file is empty (0 bytes)"
    (tmp_path / "album.jpg").mkdir()
    assert _error(tmp_path / "album.jpg") == "is a folder, not a file"
    (tmp_path / "notes.jpg").write_text("a shopping list, not a photo\n" * 20)
    assert _error(tmp_path / "notes.jpg") == "not an image file, or an unsupported image format"
    # Pillow refuses a header with no pixels when identifying the file.
    (tmp_path / "zero.png").write_bytes(_png_header(0, 48))
    assert _error(tmp_path / "zero.png") == "not an image file, or an unsupported image format"
    # Formats outside the supported list are refused even where Pillow has a plugin.
    Image.new("RGB", (8, 8)).save(tmp_path / "icon.ico")
    assert _error(tmp_path / "icon.ico") == "not an image file, or an unsupported image format"


def test_read_errors_name_the_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _two_halves().save(tmp_path / "on_a_failing_disk.png")

    def failing_open(*args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(Image, "open", failing_open)
    assert _error(tmp_path / "on_a_failing_disk.png") == "unreadable image file (Input/output error)"


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_truncated_files_say_so(tmp_path: Path, suffix: str, rng: np.random.Generator) -> None:
    path = tmp_path / f"cut{suffix}"
    Image.fromarray(rng.integers(0, 256, (128, 128, 3), dtype=np.uint8)).save(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert re.fullmatch(r"the image data is truncated or corrupt \(.+\)", _error(path))


@pytest.mark.parametrize(
    ("width", "height", "message"),
    [
        # Over twice Pillow's limit: its DecompressionBombError, reworded.
        (100_000, 100_000, "image too large: 10,000 megapixels is over the limit of 80 megapixels"),
        # Between Pillow's limit and twice that: its DecompressionBombWarning, turned into an error.
        (10_000, 10_000, "image too large: 100 megapixels is over the limit of 80 megapixels"),
        # Under Pillow's limit but over ours: refused from the header alone.
        (9_000, 9_000, "image too large: 9000x9000 pixels (81 megapixels) is over the limit of 80 megapixels"),
    ],
)
def test_decompression_bombs_are_refused_before_decoding(tmp_path: Path, width: int, height: int, message: str) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header(width, height))
    assert path.stat().st_size < 100
    assert _error(path) == message


def test_a_gif_frame_bigger_than_its_screen_is_refused(tmp_path: Path) -> None:
    # The header says 10x10, the first frame 20000x20000: Pillow grows the image to the frame.
    screen = b"GIF89a" + struct.pack("<HHBBB", 10, 10, 0, 0, 0)
    frame = b"," + struct.pack("<HHHHB", 0, 0, 20_000, 20_000, 0) + b"\x02\x02\x44\x01\x00"
    (tmp_path / "bomb.gif").write_bytes(screen + frame + b";")
    assert _error(tmp_path / "bomb.gif") == "image too large: 400 megapixels is over the limit of 80 megapixels"


def test_max_pixels_is_the_callers_limit(tmp_path: Path) -> None:
    _two_halves().save(tmp_path / "small.png")
    message = "image too large: 64x48 pixels (0.0031 megapixels) is over the limit of 0.003 megapixels"
    assert _error(tmp_path / "small.png", max_pixels=3000) == message
    assert load_image(tmp_path / "small.png", max_pixels=3072).size == (64, 48)


def test_picture_extensions_cover_the_formats() -> None:
    assert {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tiff", ".heic"} <= IMAGE_EXTENSIONS
    assert ".mp3" not in IMAGE_EXTENSIONS


def test_a_180_megapixel_phone_photo_is_read_at_a_reduced_scale_not_refused(tmp_path: Path) -> None:
    path = tmp_path / "phone.jpg"
    stripes = (np.arange(15_000) % 251).astype(np.uint8)
    Image.fromarray(np.broadcast_to(stripes, (12_000, 15_000)), "L").save(path, quality=80)
    image = load_image(path, min_side=1080)  # what the renderer asks for a 1080p frame
    assert image.mode == "RGB" and image.size == (1875, 1500)  # decoded at 1/8 of each side
    assert _error(path) == "image too large: 180 megapixels is over the limit of 80 megapixels"  # decoded whole: refused


def test_a_reduced_decode_still_refuses_bombs_by_their_header(tmp_path: Path) -> None:
    (tmp_path / "bomb.png").write_bytes(_png_header(10_000, 10_000))  # not a JPEG: no reduced decode
    assert (
        _error(tmp_path / "bomb.png", min_side=384)
        == "image too large: 10000x10000 pixels (100 megapixels) is over the limit of 80 megapixels"
    )
    Image.new("RGB", (8, 8)).save(tmp_path / "bomb.jpg")
    data = bytearray((tmp_path / "bomb.jpg").read_bytes())
    frame = data.index(b"\xff\xc0")  # the start of frame: precision, then height and width
    data[frame + 5 : frame + 9] = struct.pack(">HH", 40_000, 40_000)
    (tmp_path / "bomb.jpg").write_bytes(bytes(data))
    assert _error(tmp_path / "bomb.jpg", min_side=384) == "image too large: 1,600 megapixels is over the limit of 80 megapixels"


def test_a_damaged_exif_block_is_ignored_without_a_word(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # turned, had the block been readable
    whole = exif.tobytes()
    _two_halves().save(tmp_path / "cut.jpg", exif=whole[: len(whole) // 2 + 3])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Pillow warns "Corrupt EXIF data" on opening, reading the DPI
        assert load_image(tmp_path / "cut.jpg").size == (64, 48)
        with image_load.open_header(tmp_path / "cut.jpg") as header:
            assert header.getexif().get(0x0112) is None


def test_a_header_over_pillows_bomb_limit_is_read_for_its_size_and_exif(tmp_path: Path) -> None:
    # The header of a 200-megapixel phone photo (load_image reads it at a reduced scale): Image.open alone refuses it.
    exif = Image.Exif()
    exif[0x0132] = "2026:05:01 10:00:00"
    Image.new("RGB", (8, 8)).save(tmp_path / "phone.jpg", exif=exif)
    data = bytearray((tmp_path / "phone.jpg").read_bytes())
    frame = data.index(b"\xff\xc0")
    data[frame + 5 : frame + 9] = struct.pack(">HH", 12_240, 16_320)
    (tmp_path / "phone.jpg").write_bytes(bytes(data))
    with pytest.raises(Image.DecompressionBombError):
        Image.open(tmp_path / "phone.jpg")
    with image_load.open_header(tmp_path / "phone.jpg") as header:
        assert header.size == (16_320, 12_240) and header.getexif()[0x0132] == "2026:05:01 10:00:00"
    (tmp_path / "bomb.jpg").write_bytes(bytes(data[: frame + 5]) + struct.pack(">HH", 40_000, 40_000) + bytes(data[frame + 9 :]))
    with pytest.raises(Image.DecompressionBombError), image_load.open_header(tmp_path / "bomb.jpg"):
        pass  # 1,600 megapixels: over what any picture may be
