"""A catalogue of bad inputs: audio, pictures and videos broken in every way a user's disk has them.

Each `BadInput.make(folder)` writes one file (or link, folder, pipe) into `folder`, named for what it
is, and returns its path. Good files are made first (PyAV, Pillow, the standard library) and then
broken: cut at three points, emptied, filled with random bytes behind a valid header, misnamed,
given absurd dimensions, or hidden behind links, pipes and permissions. Some of them are odd but
valid (6 channels, 192 kHz, a 1-pixel picture, a name that is not UTF-8): those must be handled,
the others skipped with a reason; `expect` says which.
"""

from __future__ import annotations

import functools
import io
import os
import struct
import tempfile
import wave
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

import av
import numpy as np
from PIL import Image, ImageCms

from tests.conftest import write_song
from tests.train.test_videos import colour_frames, write_video

Media = Literal["audio", "picture", "video"]
Verdict = Literal["skipped", "handled"]

SONG_SECONDS = 12.0
_EXTENSIONS: dict[Media, str] = {"audio": ".mp3", "picture": ".jpg", "video": ".mp4"}
_RNG_SEED = 20


@dataclass(frozen=True)
class BadInput:
    """One kind of bad input: how to make it, and what a verb must do with it.

    `expect` is "skipped" (named with a reason, the rest goes on) or "handled" (an odd but valid
    file, used like a good one). `on_disk` kinds are about the file system (links, pipes, names,
    permissions), so they have no bytes to upload. `unusable` says why the kind cannot be made
    here (e.g. root reads a chmod-000 file), or None.
    """

    kind: str
    media: Media
    make: Callable[[Path], Path]
    expect: Verdict = "skipped"
    on_disk: bool = False
    unusable: Callable[[], str | None] = lambda: None


# --- good media, made once per process --------------------------------------------------------------


@functools.cache
def good_audio(ext: str, seconds: float = SONG_SECONDS) -> bytes:
    """The bytes of a song of `seconds` in the format of `ext` (.mp3, .flac, .wav, .ogg)."""
    with tempfile.TemporaryDirectory() as folder:
        return write_song(Path(folder) / f"song{ext}", seconds=seconds, tonic="D", mode="major", bpm=112, seed=5).read_bytes()


def _picture_pixels(width: int = 320, height: int = 240) -> np.ndarray:
    """A textured gradient (a photo-like picture, not a flat one)."""
    rng = np.random.default_rng(_RNG_SEED)
    x = np.linspace(0, 1, width)[None, :, None]
    y = np.linspace(0, 1, height)[:, None, None]
    pixels = 255 * np.concatenate([x * np.ones_like(y), y * np.ones_like(x), (1 - x) * y], axis=2)
    return np.clip(pixels + rng.normal(0, 12, pixels.shape), 0, 255).astype(np.uint8)


def _encoded_picture(fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(_picture_pixels()).save(buffer, format=fmt, **options)
    return buffer.getvalue()


@functools.cache
def good_picture(fmt: str = "JPEG") -> bytes:
    """The bytes of a 320x240 photo-like picture in `fmt` (JPEG, PNG, WEBP, TIFF)."""
    return _encoded_picture(fmt, **({"quality": 90} if fmt == "JPEG" else {}))


@functools.cache
def good_video(*, audio: Literal["aac", "none", "empty"] = "aac", frames: bool = True) -> bytes:
    """The bytes of a 6-second 80x48 H.264 MP4 with a 440 Hz AAC soundtrack (or none, or an audio stream without packets)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.mp4"
        if frames and audio != "empty":
            colours = [(200, 40, 40), (40, 200, 40), (40, 40, 200), (200, 200, 40), (40, 200, 200), (200, 40, 200)]
            write_video(path, colour_frames(colours), seconds=6, audio_seconds=6.0 if audio == "aac" else None)
        else:
            _write_stream_without_data(path, video_frames=frames)
        return path.read_bytes()


def _write_stream_without_data(path: Path, *, video_frames: bool) -> None:
    """An MP4 whose video has no frames (with a soundtrack), or whose audio stream has no packets (with frames)."""
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=10, options={"preset": "veryfast"})
        video.width, video.height, video.pix_fmt = 80, 48, "yuv420p"
        sound = container.add_stream("aac", rate=22050, layout="mono")
        if video_frames:
            for index in range(30):
                frame = av.VideoFrame.from_ndarray(np.full((48, 80, 3), 60 + 5 * index, dtype=np.uint8), format="rgb24")
                frame.pts, frame.time_base = index, Fraction(1, 10)
                container.mux(video.encode(frame))
            container.mux(video.encode(None))
        else:
            tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(22050 * 4) / 22050)).astype(np.float32)
            for start in range(0, len(tone), 1024):
                chunk = av.AudioFrame.from_ndarray(tone[None, start : start + 1024], format="flt", layout="mono")
                chunk.sample_rate, chunk.pts, chunk.time_base = 22050, start, Fraction(1, 22050)
                container.mux(sound.encode(chunk))
            container.mux(sound.encode(None))


def _wav(rate: int, channels: int, frames: int) -> bytes:
    """16-bit PCM WAV of a beating two-tone chord, different in each channel."""
    t = np.arange(frames) / rate
    columns = [0.3 * np.sin(2 * np.pi * (220 + 55 * c) * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 2 * t)) for c in range(channels)]
    pcm = (np.stack(columns, axis=1) * 32767).astype("<i2") if frames else np.zeros((0, channels), "<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


# --- ways to break bytes -------------------------------------------------------------------------------


def _writer(name: str, data: Callable[[], bytes]) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data())
        return path

    return make


def _cut(data: Callable[[], bytes], where: Literal["header", "middle", "tail"]) -> Callable[[], bytes]:
    """The first 64 bytes (a header and no more), the first half, or all but the last 64 bytes."""

    def cut() -> bytes:
        whole = data()
        return {"header": whole[:64], "middle": whole[: len(whole) // 2], "tail": whole[:-64]}[where]

    return cut


def _random_after(magic: bytes, size: int = 40_000) -> Callable[[], bytes]:
    return lambda: magic + np.random.default_rng(_RNG_SEED).bytes(size)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width: int, height: int, *, bit_depth: int, colour_type: int, rows: Callable[[], bytes] | None = None) -> bytes:
    """A PNG with this header; its data a stream of all-zero rows (compressed in pieces), or `rows` as given."""
    header = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0))
    if rows is None:
        row = bytes(1 + (width * bit_depth * (3 if colour_type == 2 else 1) + 7) // 8)
        packer = zlib.compressobj(9)
        idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    else:
        idat = zlib.compress(rows())
    return b"\x89PNG\r\n\x1a\n" + header + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def _png_with_bad_crc() -> bytes:
    data = bytearray(good_picture("PNG"))
    data[29] ^= 0xFF  # the IHDR CRC
    return bytes(data)


def _jpeg_with_size(width: int, height: int) -> bytes:
    """The good JPEG with its frame header (SOF0) saying width x height."""
    data = bytearray(good_picture("JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _bmp_with_size(width: int, height: int) -> bytes:
    data = bytearray(_encoded_picture("BMP"))
    data[18:26] = struct.pack("<ii", width, height)
    return bytes(data)


@functools.cache
def _one_colour_jpeg(side: int) -> bytes:
    """A real side x side greyscale JPEG of one colour: a few MB that decode to side² pixels."""
    buffer = io.BytesIO()
    Image.new("L", (side, side), 128).save(buffer, format="JPEG", quality=50)
    return buffer.getvalue()


def _exif_jpeg(exif: bytes) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(_picture_pixels()).save(buffer, format="JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def _exif_orientation(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    exif[0x0132] = "2026:05:01 10:00:00"
    return exif.tobytes()


def _exif_cut() -> bytes:
    whole = _exif_orientation(6)
    return whole[: len(whole) // 2 + 3]


def _exif_offset_past_the_end() -> bytes:
    whole = bytearray(_exif_orientation(6))
    whole[10:14] = struct.pack("<I", 0x7FFFFF00)  # the first IFD's offset (after "Exif\0\0II*\0")
    return bytes(whole)


def _tiff_with_bad_offsets() -> bytes:
    data = bytearray(good_picture("TIFF"))
    order = "<" if data[:2] == b"II" else ">"
    (ifd,) = struct.unpack(order + "I", data[4:8])
    (entries,) = struct.unpack(order + "H", data[ifd : ifd + 2])
    for i in range(entries):
        at = ifd + 2 + 12 * i
        (tag,) = struct.unpack(order + "H", data[at : at + 2])
        if tag == 273:  # StripOffsets: the only strip lies far past the end of the file
            data[at + 2 : at + 12] = struct.pack(order + "HII", 4, 1, 0x7FFFFFF0)
    return bytes(data)


def _wav_with_rate(rate: int) -> bytes:
    data = bytearray(_wav(22050, 1, 22050 * 4))
    data[24:32] = struct.pack("<II", rate, rate * 2)
    return bytes(data)


@functools.cache
def _hours_of_silence_flac(hours: float) -> bytes:
    """A FLAC of `hours` of silence at 1 kHz: under 300 kB an hour, which decode to 300 MB an hour at 22 kHz."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "silence.flac"
        rate, block = 1000, 1 << 16
        with av.open(str(path), "w", format="flac") as container:
            stream = container.add_stream("flac", rate=rate, layout="mono")
            silence = np.zeros((1, block), dtype=np.int16)
            for start in range(0, round(hours * 3600 * rate), block):
                frame = av.AudioFrame.from_ndarray(silence, format="s16", layout="mono")
                frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
        return path.read_bytes()


def _icc_of(space: Literal["LAB", "XYZ", "sRGB"]) -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile(space)).tobytes()


# --- the file system's own ways ------------------------------------------------------------------------


def _symlink_loop(name: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        (folder / name).symlink_to(name)  # a link to itself
        return folder / name

    return make


def _dangling_link(name: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        (folder / name).symlink_to(folder / "gone" / name)
        return folder / name

    return make


def _folder(name: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        (folder / name).mkdir()
        return folder / name

    return make


def _fifo(name: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        os.mkfifo(folder / name)  # opening it for reading would wait for a writer forever
        return folder / name

    return make


def _unreadable(name: str, data: Callable[[], bytes]) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = _writer(name, data)(folder)
        path.chmod(0)
        return path

    return make


def _root_reads_anything() -> str | None:
    return "running as root, which reads a chmod-000 file anyway" if os.geteuid() == 0 else None


def _broken_utf8_name(stem: bytes, suffix: str, data: Callable[[], bytes]) -> Callable[[Path], Path]:
    """A good file whose name holds bytes that are not UTF-8 (as Latin-1 names copied from old disks do)."""
    return _writer(os.fsdecode(stem + suffix.encode()), data)


def _long_name(suffix: str, data: Callable[[], bytes]) -> Callable[[Path], Path]:
    """A good file whose name is 255 bytes, the most a Linux file system takes."""
    return _writer("long-name-" + "x" * (255 - len("long-name-") - len(suffix)) + suffix, data)


def _file_system_kinds(media: Media, data: Callable[[], bytes]) -> list[BadInput]:
    ext = _EXTENSIONS[media]
    return [
        BadInput("symlink-loop", media, _symlink_loop(f"symlink-loop{ext}"), on_disk=True),
        BadInput("dangling-symlink", media, _dangling_link(f"dangling-symlink{ext}"), on_disk=True),
        BadInput("folder-named-like-a-file", media, _folder(f"folder-named-like-a-file{ext}"), on_disk=True),
        BadInput("named-pipe", media, _fifo(f"named-pipe{ext}"), on_disk=True),
        BadInput("unreadable-chmod-000", media, _unreadable(f"unreadable{ext}", data), on_disk=True, unusable=_root_reads_anything),
        BadInput("broken-utf8-name", media, _broken_utf8_name(b"caf\xe9-latin1-name", ext, data), expect="handled", on_disk=True),
        BadInput("name-of-255-bytes", media, _long_name(ext, data), expect="handled", on_disk=True),
    ]


# --- the catalogue -------------------------------------------------------------------------------------

# (kind, file name, bytes, what a verb must do)
_Row = tuple[str, str, Callable[[], bytes], Verdict]
_SKIPPED: Verdict = "skipped"
_HANDLED: Verdict = "handled"


def _from_rows(media: Media, rows: list[_Row]) -> list[BadInput]:
    return [BadInput(kind, media, _writer(name, data), expect=expect) for kind, name, data, expect in rows]


def _audio_kinds() -> list[BadInput]:
    mp3, flac, wav = (functools.partial(good_audio, ext) for ext in (".mp3", ".flac", ".wav"))
    long_flac = functools.partial(good_audio, ".flac", 2 * SONG_SECONDS)  # its first half is long enough to analyse
    rows: list[_Row] = [
        ("mp3-truncated-to-its-header", "truncated-to-its-header.mp3", _cut(mp3, "header"), _SKIPPED),
        ("mp3-truncated-in-the-middle", "truncated-in-the-middle.mp3", _cut(mp3, "middle"), _HANDLED),
        ("mp3-last-bytes-cut", "last-bytes-cut.mp3", _cut(mp3, "tail"), _HANDLED),
        ("flac-truncated-to-its-header", "truncated-to-its-header.flac", _cut(flac, "header"), _SKIPPED),
        ("flac-truncated-in-the-middle", "truncated-in-the-middle.flac", _cut(long_flac, "middle"), _HANDLED),
        ("wav-truncated-to-its-header", "truncated-to-its-header.wav", _cut(wav, "header"), _SKIPPED),
        ("zero-bytes", "zero-bytes.mp3", bytes, _SKIPPED),
        ("random-bytes-after-an-id3-header", "random-after-id3.mp3", _random_after(b"ID3\x04\0\0\0\0\0\0"), _SKIPPED),
        ("random-bytes-after-a-riff-header", "random-after-riff.wav", lambda: wav()[:44] + _random_after(b"")(), _SKIPPED),
        ("random-bytes-after-flac-magic", "random-after-flac-magic.flac", _random_after(b"fLaC"), _SKIPPED),
        ("random-bytes-after-ogg-magic", "random-after-ogg-magic.ogg", _random_after(b"OggS\x00\x02"), _SKIPPED),
        ("png-named-mp3", "a-png-picture.mp3", functools.partial(good_picture, "PNG"), _SKIPPED),
        ("video-named-m4a", "a-video-with-sound.m4a", good_video, _HANDLED),
        ("silent-video-named-m4a", "a-video-without-sound.m4a", functools.partial(good_video, audio="none"), _SKIPPED),
        ("wav-without-samples", "no-samples.wav", functools.partial(_wav, 22050, 1, 0), _SKIPPED),
        ("wav-of-one-sample", "one-channel-one-sample.wav", functools.partial(_wav, 22050, 1, 1), _SKIPPED),
        ("wav-at-7350-hz", "rate-7350-hz.wav", functools.partial(_wav, 7350, 1, 7350 * 6), _HANDLED),
        ("wav-at-192-khz", "rate-192-khz.wav", functools.partial(_wav, 192_000, 1, 192_000 * 4), _HANDLED),
        ("wav-of-6-channels", "six-channels.wav", functools.partial(_wav, 22050, 6, 22050 * 5), _HANDLED),
        ("wav-of-8-channels", "eight-channels.wav", functools.partial(_wav, 22050, 8, 22050 * 5), _HANDLED),  # 7.1 surround
        ("wav-of-100-channels", "hundred-channels.wav", functools.partial(_wav, 8000, 100, 8000 * 4), _SKIPPED),
        ("wav-at-0-hz", "rate-0-hz.wav", functools.partial(_wav_with_rate, 0), _SKIPPED),
        ("flac-of-10-hours-of-silence", "ten-hours-of-silence.flac", functools.partial(_hours_of_silence_flac, 10.0), _SKIPPED),
    ]
    return [*_from_rows("audio", rows), *_file_system_kinds("audio", mp3)]


def _picture_kinds() -> list[BadInput]:
    jpeg, png, webp = (functools.partial(good_picture, fmt) for fmt in ("JPEG", "PNG", "WEBP"))
    one_pixel = functools.partial(_png, 1, 1, bit_depth=8, colour_type=2, rows=lambda: b"\x00\x80\x40\x20")
    sliver = functools.partial(_png, 10_000, 1, bit_depth=8, colour_type=0, rows=lambda: b"\x00" + bytes(range(256)) * 39 + bytes(16))
    huge_png = functools.partial(_png, 100_000, 100_000, bit_depth=8, colour_type=2, rows=lambda: bytes(1000))
    bomb = functools.partial(_png, 20_000, 10_000, bit_depth=1, colour_type=0)  # 25 MB of pixels in 25 kB
    lab_icc = functools.partial(_encoded_picture, "JPEG", icc_profile=_icc_of("LAB"))
    random_icc = functools.partial(_encoded_picture, "JPEG", icc_profile=np.random.default_rng(1).bytes(600))
    rows: list[_Row] = [
        ("jpeg-truncated-to-its-header", "truncated-to-its-header.jpg", _cut(jpeg, "header"), _SKIPPED),
        ("jpeg-truncated-in-the-middle", "truncated-in-the-middle.jpg", _cut(jpeg, "middle"), _SKIPPED),
        ("jpeg-last-bytes-cut", "last-bytes-cut.jpg", _cut(jpeg, "tail"), _SKIPPED),
        ("png-truncated-to-its-header", "truncated-to-its-header.png", _cut(png, "header"), _SKIPPED),
        ("png-truncated-in-the-middle", "truncated-in-the-middle.png", _cut(png, "middle"), _SKIPPED),
        ("png-last-bytes-cut", "last-bytes-cut.png", _cut(png, "tail"), _SKIPPED),
        ("webp-truncated-in-the-middle", "truncated-in-the-middle.webp", _cut(webp, "middle"), _SKIPPED),
        ("zero-bytes", "zero-bytes.jpg", bytes, _SKIPPED),
        ("random-bytes-after-jpeg-magic", "random-after-jpeg-magic.jpg", _random_after(b"\xff\xd8\xff\xe0"), _SKIPPED),
        ("random-bytes-after-png-magic", "random-after-png-magic.png", _random_after(b"\x89PNG\r\n\x1a\n"), _SKIPPED),
        ("png-with-a-bad-crc", "bad-crc.png", _png_with_bad_crc, _SKIPPED),
        ("mp3-named-jpg", "an-mp3-song.jpg", functools.partial(good_audio, ".mp3"), _SKIPPED),
        ("png-named-jpg", "a-png-picture.jpg", png, _HANDLED),
        ("png-header-of-100000x100000", "header-100000x100000.png", huge_png, _SKIPPED),
        ("jpeg-header-of-60000x60000", "header-60000x60000.jpg", functools.partial(_jpeg_with_size, 60_000, 60_000), _SKIPPED),
        ("bmp-header-of-50000x50000", "header-50000x50000.bmp", functools.partial(_bmp_with_size, 50_000, 50_000), _SKIPPED),
        ("png-decompression-bomb-200-mp", "bomb-20000x10000.png", bomb, _SKIPPED),
        ("jpeg-of-182-mp-in-one-colour", "one-colour-13500x13500.jpg", functools.partial(_one_colour_jpeg, 13_500), _HANDLED),
        ("tiff-strip-past-the-end", "strip-past-the-end.tif", _tiff_with_bad_offsets, _SKIPPED),
        ("exif-orientation-9", "exif-orientation-9.jpg", lambda: _exif_jpeg(_exif_orientation(9)), _HANDLED),
        ("exif-block-cut-short", "exif-cut-short.jpg", lambda: _exif_jpeg(_exif_cut()), _HANDLED),
        ("exif-offset-past-the-end", "exif-offset-past-the-end.jpg", lambda: _exif_jpeg(_exif_offset_past_the_end()), _HANDLED),
        ("icc-profile-of-random-bytes", "icc-random-bytes.jpg", random_icc, _HANDLED),
        ("icc-profile-of-another-colour-space", "icc-lab-on-rgb.jpg", lab_icc, _HANDLED),
        ("picture-of-one-pixel", "one-pixel.png", one_pixel, _HANDLED),
        ("picture-of-10000x1-pixels", "sliver-10000x1.png", sliver, _HANDLED),
    ]  # fmt: skip
    return [*_from_rows("picture", rows), *_file_system_kinds("picture", jpeg)]


def _video_kinds() -> list[BadInput]:
    ftyp = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
    rows: list[_Row] = [
        ("mp4-truncated-to-its-header", "truncated-to-its-header.mp4", _cut(good_video, "header"), _SKIPPED),
        ("mp4-truncated-in-the-middle", "truncated-in-the-middle.mp4", _cut(good_video, "middle"), _SKIPPED),
        ("mp4-last-bytes-cut", "last-bytes-cut.mp4", _cut(good_video, "tail"), _HANDLED),  # the end of its index (moov): FFmpeg copes
        ("zero-bytes", "zero-bytes.mp4", bytes, _SKIPPED),
        ("random-bytes-after-an-ftyp-box", "random-after-ftyp.mp4", _random_after(ftyp), _SKIPPED),
        ("png-named-mp4", "a-png-picture.mp4", functools.partial(good_picture, "PNG"), _SKIPPED),
        ("audio-only-named-mp4", "audio-only.mp4", functools.partial(good_audio, ".mp3"), _SKIPPED),
        ("video-without-audio", "no-audio-stream.mp4", functools.partial(good_video, audio="none"), _SKIPPED),
        ("video-of-0-frames", "zero-frames.mp4", functools.partial(good_video, frames=False), _SKIPPED),
        ("audio-stream-of-0-packets", "empty-audio-stream.mp4", functools.partial(good_video, audio="empty"), _SKIPPED),
    ]
    return [*_from_rows("video", rows), *_file_system_kinds("video", good_video)]


def catalogue(media: Media | None = None) -> list[BadInput]:
    """Every kind of bad input (of one media, or all)."""
    kinds = [*_audio_kinds(), *_picture_kinds(), *_video_kinds()]
    return [k for k in kinds if media is None or k.media == media]


def make_all(folder: Path, media: Media) -> dict[Path, BadInput]:
    """Write every usable bad input of `media` into `folder`: {path: kind}. Unusable kinds are left out (see `unusable_kinds`)."""
    folder.mkdir(parents=True, exist_ok=True)
    return {kind.make(folder): kind for kind in catalogue(media) if kind.unusable() is None}


def unusable_kinds(media: Media) -> dict[str, str]:
    """{kind: why it cannot be made here} for the kinds of `media` that `make_all` leaves out."""
    return {kind.kind: reason for kind in catalogue(media) if (reason := kind.unusable()) is not None}
