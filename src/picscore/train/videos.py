"""Training pairs from the user's own videos: a frame every few seconds, each with the soundtrack around it.

In a video the picture and the music playing under it co-occur, which is weak supervision for
matching. For each video, frames are sampled every `every_seconds`; black frames (mean luma below
`black_luma`) and near-duplicates of the previous kept frame are skipped; each kept frame is written
as a JPEG and paired with the `window_seconds` of soundtrack centred on it, clipped to the audio.

Seeking: packets are demuxed in order, but only those from the last keyframe before each sample
time are decoded; the rest are dropped undecoded. That never decodes more than a full decode, and
as little as seeking to each keyframe when keyframes are frequent (phone videos), without
re-decoding a long GOP from its keyframe for every sample in it (x264's default is 250 frames).
Measured on a 1-minute 30 fps 720p H.264 video with B-frames, samples every 3 s, 2 busy cores,
best of 3: keyframe every 8.3 s (x264's default): decode everything 2.2 s, seek per sample 3.1 s,
this 1.7 s; keyframe every 1 s (as phones record): 2.6 s, 0.29 s and 0.34 s.
"""

from __future__ import annotations

import csv
import hashlib
import math
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
from PIL import Image
from tqdm import tqdm

from picscore.atomic import atomic_path
from picscore.media.files import file_problem, listed_path, name_problem, short_reason, shown_path

VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".m4v", ".mov", ".qt", ".mkv", ".webm", ".avi", ".wmv", ".flv", ".mpg", ".mpeg", ".mts", ".m2ts", ".3gp", ".ogv"}
)
# Mean luma (0-255, BT.601 weights on full-range RGB) below which a frame is black: fades, lens
# caps, a pocket. Dark night scenes average well above it.
BLACK_LUMA = 20.0
# Mean absolute difference (0-255 grey levels) between 32x32 grey thumbnails (area-averaged)
# below which a frame repeats the previous kept one: compression noise and slight shake of a
# static shot stay under it; a cut, a pan of a few percent of the width or a light change go over.
DUPLICATE_DIFFERENCE = 4.0
_THUMBNAIL_SIDE = 32
_LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)
_JPEG_QUALITY = 90
_TIME_TOLERANCE_SECONDS = 1e-6
_FOLDER_STEM_BYTES = 120  # of a video's name in its frames folder's name
PAIRS_COLUMNS = ("image", "audio", "start", "end", "source", "time")
ERRORS_COLUMNS = ("video", "error")


class VideoError(Exception):
    """A video cannot give pairs; the message is one line naming the cause."""


@dataclass(frozen=True)
class Sampling:
    """How frames are picked from a video and how much soundtrack goes with each."""

    every_seconds: float = 3.0
    window_seconds: float = 6.0
    black_luma: float = BLACK_LUMA
    duplicate_difference: float = DUPLICATE_DIFFERENCE

    def __post_init__(self) -> None:
        if not (self.every_seconds > 0 and self.window_seconds > 0):
            raise ValueError(f"every and window must be positive seconds, not {self.every_seconds} and {self.window_seconds}")


@dataclass(frozen=True)
class FramePair:
    """A kept frame's JPEG, its time and its excerpt, in seconds into the decoded soundtrack."""

    image: Path
    time_seconds: float
    start_seconds: float
    end_seconds: float


@dataclass(frozen=True)
class VideoFrames:
    """What one video gave: the kept frames and how many sampled frames were skipped, and why."""

    pairs: list[FramePair]
    black_frames: int
    duplicate_frames: int


@dataclass
class DatasetSummary:
    """A batch's outcome: counts, the failed videos with their reasons, and the files written."""

    videos: int
    pairs_path: Path
    errors_path: Path
    pairs: int = 0
    black_frames: int = 0
    duplicate_frames: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)


def find_videos(paths: Iterable[str | Path]) -> tuple[list[Path], list[str]]:
    """Video files under `paths` (folders walked, hidden entries skipped), sorted, and the paths that do not exist.

    A file named directly is taken whatever its extension.
    """
    found: set[Path] = set()
    missing: list[str] = []
    for given in paths:
        root = Path(given).expanduser()
        if root.is_file():
            found.add(listed_path(root))
        elif root.is_dir():
            for folder, dirs, files in os.walk(root):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                found.update(
                    listed_path(Path(folder) / n) for n in files if not n.startswith(".") and Path(n).suffix.lower() in VIDEO_EXTENSIONS
                )
        else:
            missing.append(str(given))
    return sorted(found), missing


def pairs_from_videos(videos: Iterable[Path], out: Path, *, sampling: Sampling = Sampling(), progress: bool = True) -> DatasetSummary:
    """Extract the pairs of every video into `out`: frames/, pairs.tsv and errors.tsv (both rewritten whole).

    A video that fails is recorded in errors.tsv with its reason and the batch carries on. The
    TSVs list this run's videos only, so a re-run replaces them instead of adding duplicate rows.
    """
    videos = [listed_path(v) for v in videos]  # the TSV names them absolutely: it need not sit beside them
    out.mkdir(parents=True, exist_ok=True)
    summary = DatasetSummary(videos=len(videos), pairs_path=out / "pairs.tsv", errors_path=out / "errors.tsv")
    rows: list[tuple[str, ...]] = []
    for video in videos:
        if problem := name_problem(video):  # the TSVs keep paths as text
            summary.failures.append((shown_path(video), problem))
            continue
        try:
            found = video_frames(video, out / "frames" / _frames_folder_name(video), sampling=sampling, progress=progress)
        except VideoError as err:
            summary.failures.append((str(video), str(err)))
            continue
        summary.black_frames += found.black_frames
        summary.duplicate_frames += found.duplicate_frames
        rows.extend(
            (
                p.image.relative_to(out).as_posix(),
                str(video),
                f"{p.start_seconds:.3f}",
                f"{p.end_seconds:.3f}",
                str(video),
                f"{p.time_seconds:.3f}",
            )
            for p in found.pairs
        )
    summary.pairs = len(rows)
    _write_tsv_atomically(summary.pairs_path, PAIRS_COLUMNS, rows)
    _write_tsv_atomically(summary.errors_path, ERRORS_COLUMNS, summary.failures)
    return summary


def video_frames(video: Path, folder: Path, *, sampling: Sampling = Sampling(), progress: bool = False) -> VideoFrames:
    """Sample, filter and write the frames of `video` as JPEGs into `folder` (its old JPEGs are removed first).

    Raises VideoError when the video is missing, unreadable, has no video or no audio stream, or its
    data is corrupt; the JPEGs written before the failure are removed again.
    """
    audio_start, audio_seconds = _soundtrack_span(video)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.jpg"):
        old.unlink()
    try:
        return _write_frames(video, folder, sampling=sampling, audio_start=audio_start, audio_seconds=audio_seconds, progress=progress)
    except BaseException:
        for written in folder.glob("*.jpg"):
            written.unlink()
        raise


def _write_frames(
    video: Path, folder: Path, *, sampling: Sampling, audio_start: float, audio_seconds: float, progress: bool
) -> VideoFrames:
    """The frame pass of `video_frames`, with the soundtrack's start and length already known."""
    pairs: list[FramePair] = []
    black = duplicates = 0
    previous: np.ndarray | None = None
    half = sampling.window_seconds / 2
    with _open(video) as container:
        stream = _video_stream(container)
        stream.thread_type = "AUTO"
        video_start = float(stream.start_time * stream.time_base) if stream.start_time is not None and stream.time_base else 0.0
        total = round(container.duration / av.time_base, 1) if container.duration else None
        bar = tqdm(total=total, unit="s", desc=video.name, file=sys.stderr, disable=not progress, leave=False, dynamic_ncols=True)
        with bar:
            try:
                for frame in _sampled_frames(container, stream, every_seconds=sampling.every_seconds, start_seconds=video_start):
                    at = frame.time - audio_start  # seconds into the decoded soundtrack
                    if at >= audio_seconds:
                        break
                    start, end = round(max(0.0, at - half), 3), round(min(audio_seconds, at + half), 3)
                    if end <= start:
                        continue  # the soundtrack starts later
                    bar.update(round(frame.time - video_start, 1) - bar.n)
                    thumbnail = _grey_thumbnail(frame)
                    if thumbnail.mean() < sampling.black_luma:
                        black += 1
                        continue
                    if previous is not None and np.abs(thumbnail - previous).mean() < sampling.duplicate_difference:
                        duplicates += 1
                        continue
                    previous = thumbnail
                    image = folder / f"{round((frame.time - video_start) * 1000):08d}ms.jpg"
                    _upright_image(frame).save(image, quality=_JPEG_QUALITY)
                    pairs.append(FramePair(image, at, start, end))
            except av.FFmpegError as err:
                raise VideoError(f"corrupt video data ({short_reason(err)})") from None
    return VideoFrames(pairs=pairs, black_frames=black, duplicate_frames=duplicates)


def _sampled_frames(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream, *, every_seconds: float, start_seconds: float
) -> Iterator[av.VideoFrame]:
    """The first frame at or after each multiple of `every_seconds` from `start_seconds`, each frame once.

    Packets are decoded only from the last keyframe before the next sample time (see the module notes).
    """
    time_base = stream.time_base
    if time_base is None:
        raise VideoError("the video stream has no time base")
    next_time = start_seconds
    pending: list[av.Packet] = []
    for packet in container.demux(stream):  # the last packet is empty: it flushes the decoder
        if packet.is_keyframe:
            pending.clear()
        pending.append(packet)
        stamp = packet.dts if packet.dts is not None else packet.pts
        if packet.size and stamp is not None and float(stamp * time_base) < next_time - _TIME_TOLERANCE_SECONDS:
            continue  # decoded only if a sample time falls before the next keyframe
        for queued in pending:
            for frame in stream.decode(queued):
                if frame.time is not None and frame.time >= next_time - _TIME_TOLERANCE_SECONDS:
                    yield frame
                    next_time = (
                        start_seconds
                        + (math.floor((frame.time - start_seconds) / every_seconds + _TIME_TOLERANCE_SECONDS) + 1) * every_seconds
                    )
        pending.clear()


def _soundtrack_span(video: Path) -> tuple[float, float]:
    """When the first audio stream starts (seconds, container clock) and how long it decodes to.

    Decoding it whole (no resampling: fast) also tells a damaged soundtrack before any frame is written.
    """
    with _open(video) as container:
        _video_stream(container)
        if not container.streams.audio:
            raise VideoError("no audio stream in the file: nothing to pair the frames with")
        first: float | None = None
        samples = rate = 0
        try:
            for frame in container.decode(container.streams.audio[0]):
                if first is None:
                    first = frame.time or 0.0
                samples, rate = samples + frame.samples, frame.sample_rate
        except av.FFmpegError as err:
            if not samples:
                raise VideoError(f"corrupt audio data ({short_reason(err)})") from None
    if not samples or first is None:
        raise VideoError("the audio stream holds no samples")
    return first, samples / rate


def _open(video: Path) -> av.container.InputContainer:
    if problem := file_problem(video):
        raise VideoError(problem)
    try:
        return av.open(str(video), metadata_errors="replace")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as err:
        raise VideoError(f"not a readable media file ({short_reason(err)})") from None


def _video_stream(container: av.container.InputContainer) -> av.video.stream.VideoStream:
    """The first real video stream (cover art attached to an audio file does not count)."""
    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    raise VideoError("no video stream in the file")


def _grey_thumbnail(frame: av.VideoFrame) -> np.ndarray:
    """A 32x32 area-averaged luma thumbnail (float32, 0-255): for the black and duplicate tests."""
    small = frame.reformat(width=_THUMBNAIL_SIDE, height=_THUMBNAIL_SIDE, format="rgb24", interpolation="AREA").to_ndarray()
    return small.astype(np.float32) @ _LUMA_WEIGHTS


def _upright_image(frame: av.VideoFrame) -> Image.Image:
    """The frame as RGB, turned as the container's display matrix says (phones store portrait video on its side)."""
    image = frame.to_image()
    return image.rotate(frame.rotation, expand=True) if frame.rotation % 360 else image


def _frames_folder_name(video: Path) -> str:
    """A folder name per video: its name, and a hash of its full path so same-named videos do not clash."""
    stem = video.stem.encode()[:_FOLDER_STEM_BYTES].decode(errors="ignore")  # the folder's name must fit in 255 bytes too
    return f"{stem}-{hashlib.sha1(str(video).encode()).hexdigest()[:8]}"


def _write_tsv_atomically(path: Path, columns: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> None:
    """Write a TSV whole or not at all (picscore/atomic.py): readers never see half a file."""
    with atomic_path(path) as temporary, temporary.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, delimiter="\t", lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
