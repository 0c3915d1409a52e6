"""`picscore doctor`'s checks: is this installation able to do its job, and is the library whole?

Each check does the real work on a tiny input (encodes and decodes a tone in every audio format, writes
a two-frame MP4, runs each network once, reads every page of the library) rather than asking whether a
package is importable, so that what it calls fine is fine. A check never raises: what goes wrong is its
detail, with what to do about it.
"""

from __future__ import annotations

import os
import platform
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from picscore import __version__
from picscore.crash_report import crash_dir, one_line_summary

OK, WARNING, PROBLEM = "ok", "warning", "problem"
LOW_DISK_BYTES = 1 << 30  # below this a render or an index of a large library may run out
FULL_DISK_BYTES = 100 << 20  # below this the library itself may fail to write
_TONE_SECONDS = 0.5
_REINSTALL = "reinstall picscore and its packages (in its folder: make clean, then make demo)"
_REINSTALL_AV = "reinstall PyAV (pip install --force-reinstall av)"
_REINSTALL_PILLOW = "reinstall Pillow (pip install --force-reinstall pillow)"
_NEW_LIBRARY = "index your music again into a new library file with --library NEW.db"


@dataclass(frozen=True)
class Check:
    """One check's outcome: `status` is OK, WARNING (works, but something is missing or due) or PROBLEM (a job will fail)."""

    name: str
    status: str
    detail: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


class _Problem(Exception):
    """Raised inside a check: the check is a PROBLEM with this message and `fix`."""

    def __init__(self, message: str, *, fix: str = "") -> None:
        super().__init__(message)
        self.fix = fix


def run_checks(*, library: Path, data: Path) -> Iterator[Check]:
    """Every check's outcome as it ends, in the order a user reads them (the networks take a few seconds)."""
    checks: list[tuple[str, Callable[[], Check | tuple[str, str]]]] = [
        ("software", _software),
        ("audio formats", _audio_formats),
        ("video", _video),
        ("pictures", _pictures),
        ("music networks", _music_networks),
        ("picture networks", _picture_networks),
        ("model", _model),
        ("library", lambda: _library(library)),
        ("disk", lambda: _disk(data, library)),
        ("crash reports", _crash_reports),
    ]
    for name, check in checks:
        yield _outcome(name, check)


def _outcome(name: str, check: Callable[[], Check | tuple[str, str]]) -> Check:
    """Run `check`: it returns a Check, or (status, detail); a _Problem or any other failure is a PROBLEM."""
    try:
        result = check()
    except _Problem as err:
        return Check(name, PROBLEM, str(err), err.fix)
    except Exception as err:  # noqa: BLE001 - a doctor reports what is broken; it must not break on it
        return Check(name, PROBLEM, f"failed: {one_line_summary(err)}", _REINSTALL)
    if isinstance(result, Check):
        return result
    status, detail = result
    return Check(name, status, detail)


@contextmanager
def _scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="picscore-doctor-") as folder:
        yield Path(folder)


def _tone(*, sr: int, seconds: float = _TONE_SECONDS) -> np.ndarray:
    t = np.arange(round(sr * seconds)) / sr
    return (0.3 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)


def _software() -> tuple[str, str]:
    import av
    import PIL
    import torch

    return OK, (
        f"picscore {__version__}, Python {platform.python_version()}, torch {torch.__version__},"
        f" PyAV {av.__version__} (FFmpeg {av.ffmpeg_version_info}), Pillow {PIL.__version__}"
    )


def _audio_formats() -> tuple[str, str]:
    """Write a tone in every format picscore writes, and read each back at its length."""
    from picscore.media.audio_decode import decode_audio
    from picscore.media.audio_encode import FORMAT_EXTENSIONS, encode_audio

    sr = 48_000  # Opus's only rate
    with _scratch() as folder:
        for extension in FORMAT_EXTENSIONS:
            path = encode_audio(folder / f"tone{extension}", _tone(sr=sr), sr=sr)
            seconds = len(decode_audio(path, sr=22_050).samples) / 22_050
            if abs(seconds - _TONE_SECONDS) > 0.1:
                raise _Problem(
                    f"a {_TONE_SECONDS} s tone in {extension} reads back as {seconds:.2f} s",
                    fix=_REINSTALL_AV,
                )
    names = ", ".join(extension.removeprefix(".").upper() for extension in FORMAT_EXTENSIONS)
    return OK, f"{names} written and read back"


def _video() -> tuple[str, str]:
    """Write a two-frame MP4 (H.264 and AAC, as render does) and read its streams back."""
    import av

    from picscore.render.video import write_mp4

    sr, fps, side = 44_100, 10, 64
    frames = [
        av.VideoFrame.from_ndarray(np.full((side, side, 3), 40 * i, np.uint8), format="rgb24").reformat(format="yuv420p") for i in range(2)
    ]
    audio = np.repeat(_tone(sr=sr, seconds=2 / fps)[:, None], 2, axis=1)
    with _scratch() as folder:
        output = folder / "check.mp4"
        write_mp4(output, frames, n_frames=2, width=side, height=side, fps=fps, audio=audio, sr=sr, progress=False)
        with av.open(str(output)) as container:
            codecs = sorted(stream.codec_context.name for stream in container.streams)
            decoded = sum(1 for _ in container.decode(video=0))
    if codecs != ["aac", "h264"] or decoded != 2:
        raise _Problem(
            f"a two-frame MP4 reads back as {decoded} frames of {', '.join(codecs)}",
            fix=_REINSTALL_AV,
        )
    return OK, "MP4 with H.264 video and AAC sound written and read back"


def _pictures() -> Check:
    """Save a picture in each format a camera roll holds and load it as picscore does."""
    from picscore.media.image_load import load_image

    picture = Image.fromarray(np.tile(np.arange(64, dtype=np.uint8)[:, None, None] * 4, (1, 64, 3)))
    formats = {"JPEG": ("JPEG", ".jpg"), "PNG": ("PNG", ".png"), "WebP": ("WEBP", ".webp"), "HEIC": ("HEIF", ".heic")}
    read, missing = [], []
    with _scratch() as folder:
        for name, (pillow_format, extension) in formats.items():
            path = folder / f"check{extension}"
            try:
                picture.save(path, format=pillow_format)
            except (KeyError, OSError):  # Pillow has no writer for it: without pillow-heif, no reader either
                missing.append(name)
                continue
            if load_image(path).size != picture.size:
                raise _Problem(f"a {name} picture reads back at another size", fix=_REINSTALL_PILLOW)
            read.append(name)
    detail = f"{', '.join(read)} read"
    if missing:
        return Check(
            "pictures", WARNING, f"{detail}; {', '.join(missing)} cannot be read", "for iPhone photos (HEIC): pip install pillow-heif"
        )
    return Check("pictures", OK, detail)


def _music_networks() -> tuple[str, str]:
    """Run both music taggers and the music mood head on a second of tone."""
    from picscore.audio.analysis import DEFAULT_CONFIG
    from picscore.moods.music import mood_of_samples

    started = time.perf_counter()
    fields = mood_of_samples(_tone(sr=DEFAULT_CONFIG.sr, seconds=3.0), sr=DEFAULT_CONFIG.sr)
    if not all(np.isfinite(fields[axis]) for axis in ("valence", "arousal")):
        raise _Problem("the music mood came out as no number", fix=_REINSTALL)
    return OK, f"musicnn (MTT and MSD) and the music mood head ran in {time.perf_counter() - started:.1f} s"


def _picture_networks() -> tuple[str, str]:
    """Run EfficientNet-Lite and the picture mood head on one picture."""
    from picscore.moods.picture import describe_pictures, picture_moods
    from picscore.vision.efficientnet import load_image_encoder

    started = time.perf_counter()
    picture = Image.fromarray(np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8))
    probabilities = load_image_encoder().encode([picture]).probabilities
    moods = picture_moods(describe_pictures([picture]), probabilities)
    if not (np.isclose(probabilities.sum(), 1.0, atol=1e-3) and np.isfinite(moods).all()):
        raise _Problem("EfficientNet-Lite's output is not a distribution", fix=_REINSTALL)
    return OK, f"EfficientNet-Lite and the picture mood head ran in {time.perf_counter() - started:.1f} s"


def _model() -> tuple[str, str]:
    """The model suggest uses (`picscore models use`): load a trained one to see that it fits this picscore."""
    from picscore.models.errors import ModelError
    from picscore.models.registry import resolve_model

    try:
        path = resolve_model(None)
        if path is None:
            return OK, "the zero-shot matcher (no trained model chosen)"
        from picscore.models.checkpoint import load_model
        from picscore.train.features import feature_versions

        load_model(path, feature_versions=feature_versions())
    except ModelError as err:
        raise _Problem(str(err), fix="train it again, or go back: picscore models use zero-shot") from None
    return OK, f"the trained model {path}"


def _library(path: Path) -> Check:
    """Read every page of the library (SQLite's integrity check) without changing it, and count its tracks."""
    from picscore.library.store import SCHEMA_VERSION

    if not path.exists():
        return Check("library", WARNING, f"no library at {path} yet", "index your music: picscore index ~/Music")
    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as db:
            verdict = [row[0] for row in db.execute("PRAGMA integrity_check")]
            schema = int(db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0])
            tracks = db.execute("SELECT COUNT(*) FROM tracks").fetchone()[0]
            failed = db.execute("SELECT COUNT(*) FROM errors").fetchone()[0]
    except (sqlite3.Error, TypeError) as err:
        raise _Problem(f"{path}: not a usable picscore library ({err})", fix=_NEW_LIBRARY) from None
    if verdict != ["ok"]:
        raise _Problem(f"{path}: damaged ({verdict[0]})", fix=_NEW_LIBRARY)
    if schema > SCHEMA_VERSION:
        raise _Problem(f"{path}: made by a newer picscore (schema {schema})", fix="upgrade picscore")
    detail = f"{path}: {tracks} tracks, whole" + (f"; {failed} files could not be indexed (picscore index lists them)" if failed else "")
    if schema < SCHEMA_VERSION:
        return Check(
            "library",
            WARNING,
            f"{detail}; an older layout (schema {schema})",
            "the next picscore command that opens it brings it up to date",
        )
    return Check("library", OK, detail)


def _disk(data: Path, library: Path) -> Check:
    """Free space where picscore writes, and whether it may write there."""
    folders = sorted({_existing_parent(data), _existing_parent(library.parent)})
    free = min(shutil.disk_usage(folder).free for folder in folders)
    if unwritable := [str(folder) for folder in folders if not os.access(folder, os.W_OK)]:
        raise _Problem(
            f"cannot write to {', '.join(unwritable)}", fix="give picscore a folder it may write with --library or $PICSCORE_LIBRARY"
        )
    detail = f"{free / (1 << 30):.1f} GiB free in {', '.join(map(str, folders))}"
    if free < FULL_DISK_BYTES:
        raise _Problem(detail, fix="free some disk space: the library cannot be written")
    if free < LOW_DISK_BYTES:
        return Check("disk", WARNING, detail, "free some disk space before rendering or indexing much")
    return Check("disk", OK, detail)


def _existing_parent(path: Path) -> Path:
    """`path` or its nearest ancestor that exists: where it would be created."""
    path = path.expanduser().absolute()
    while not path.exists():
        path = path.parent
    return path


def _crash_reports() -> Check:
    folder = crash_dir()
    reports = sorted(folder.glob("*.txt")) if folder.is_dir() else []
    if not reports:
        return Check("crash reports", OK, "none")
    return Check(
        "crash reports",
        WARNING,
        f"{len(reports)} in {folder} (newest {reports[-1].name})",
        "please attach the newest to a bug report, then delete them",
    )
