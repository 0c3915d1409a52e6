"""Decode any audio file FFmpeg understands to mono (or, for the renderer, stereo) float32 at a chosen sample rate.

One decode per file: every analysis is derived from the array this returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np

from picscore.media.files import file_problem, short_reason

_RESAMPLED_FRAME_SIZE = 1 << 16
# FFmpeg's resampler mixes at most this many channels (SWR_CH_MAX).
MAX_CHANNELS = 64
# The longest audio decoded: a file that decodes to more is refused as soon as it has (a few kilobytes of FLAC
# silence can decode to hours, and a day of audio to gigabytes). Long DJ mixes and concerts fit; audiobooks do not.
MAX_DECODE_SECONDS = 3 * 3600.0
TAG_FIELDS = ("title", "artist", "album", "genre", "year")
_TAG_ALIASES = {"date": "year", "tyer": "year", "tdrc": "year", "author": "artist"}


class AudioDecodeError(Exception):
    """A file could not be decoded as audio; the message names the cause."""


@dataclass(frozen=True)
class StreamInfo:
    """What the container said about the audio stream before resampling."""

    codec: str
    container: str
    sample_rate: int
    channels: int
    bit_rate: int | None


@dataclass(frozen=True)
class DecodedAudio:
    """Float32 samples in [-1, 1] at `sr` (mono: shape (n,); stereo: (n, 2)), plus stream info and tags."""

    samples: np.ndarray
    sr: int
    info: StreamInfo
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def duration_seconds(self) -> float:
        return len(self.samples) / self.sr


def read_tags(metadata: dict[str, str]) -> dict[str, str]:
    """Pick the well-known tag fields out of container or stream metadata (any key case)."""
    tags: dict[str, str] = {}
    for key, value in metadata.items():
        name = key.lower()
        name = _TAG_ALIASES.get(name, name)
        if name in TAG_FIELDS and value and name not in tags:
            tags[name] = value.strip()
    year = tags.pop("year", "")[:4]
    if year.isdigit():
        tags["year"] = year
    return tags


def decode_audio(path: str | Path, *, sr: int = 22050, stereo: bool = False, max_seconds: float = MAX_DECODE_SECONDS) -> DecodedAudio:
    """Decode the first audio stream of `path`, downmixed to mono and resampled to `sr` Hz.

    `stereo=True` keeps two channels instead (samples of shape (n, 2)), for playback: the
    renderer's soundtrack. Mono sources are duplicated, other layouts mixed by FFmpeg.

    Raises AudioDecodeError with a one-line cause for files that are missing, not audio,
    corrupt, hold no samples, more than MAX_CHANNELS channels or more than `max_seconds` of audio.
    """
    path = Path(path)
    if problem := file_problem(path):
        raise AudioDecodeError(problem)
    try:
        container = av.open(str(path), metadata_errors="replace")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as err:
        raise AudioDecodeError(f"not a readable media file ({short_reason(err)})") from None
    with container:
        if not container.streams.audio:
            raise AudioDecodeError("no audio stream in the file")
        stream = container.streams.audio[0]
        info = StreamInfo(
            codec=stream.codec_context.name,
            container=container.format.name,
            sample_rate=stream.codec_context.sample_rate or 0,
            channels=stream.codec_context.channels or 0,
            bit_rate=stream.codec_context.bit_rate or container.bit_rate or None,
        )
        if info.channels > MAX_CHANNELS:
            raise AudioDecodeError(f"{info.channels} audio channels: more than the {MAX_CHANNELS} that can be mixed")
        tags = read_tags({**dict(stream.metadata), **dict(container.metadata)})
        samples = _decode_stream(container, stream, sr=sr, stereo=stereo, max_samples=round(max_seconds * sr))
    if samples.size == 0:
        raise AudioDecodeError("the audio stream holds no samples")
    if not np.isfinite(samples).all():
        raise AudioDecodeError("decoded samples contain NaN or infinity")
    return DecodedAudio(samples=samples, sr=sr, info=info, tags=tags)


def _decode_stream(container: av.container.InputContainer, stream, *, sr: int, stereo: bool, max_samples: int) -> np.ndarray:
    # Keep the channel layout through resampling and average the channels ourselves: FFmpeg's
    # mono downmix adds channels at -3 dB, which lifts correlated stereo above full scale. The
    # samples come interleaved: PyAV reads only the first 8 planes of planar audio (more crash it).
    # Large output frames cut the per-frame Python overhead by about a third.
    resampler = av.AudioResampler(
        format="fltp" if stereo else "flt", layout="stereo" if stereo else None, rate=sr, frame_size=_RESAMPLED_FRAME_SIZE
    )
    samples_of = _stereo if stereo else _mono
    chunks: list[np.ndarray] = []
    decoded = 0
    try:
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(samples_of(out))
                decoded += out.samples
            if decoded > max_samples:
                raise AudioDecodeError(f"too long: more than {_in_words(max_samples / sr)} of audio (the most picscore decodes)")
        chunks.extend(samples_of(out) for out in resampler.resample(None))
    except av.FFmpegError as err:
        if not chunks:
            raise AudioDecodeError(f"corrupt audio data ({short_reason(err)})") from None
        # A damaged tail after good audio: keep what decoded, as players do.
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(chunks).astype(np.float32, copy=False)


def _in_words(seconds: float) -> str:
    """`3 hours`, `1.5 hours`, `20 minutes`, `6 seconds`: a duration in words."""
    if seconds >= 3600:
        return f"{seconds / 3600:g} hours"
    return f"{seconds / 60:g} minutes" if seconds >= 60 else f"{seconds:g} seconds"


def _mono(frame: av.AudioFrame) -> np.ndarray:
    """Interleaved float32 samples averaged over the channels (a matrix-vector product: 30 times numpy's mean here)."""
    interleaved = frame.to_ndarray().reshape(frame.samples, -1)
    channels = interleaved.shape[1]
    return interleaved @ np.full(channels, 1 / channels, dtype=np.float32) if channels > 1 else interleaved[:, 0]


def _stereo(frame: av.AudioFrame) -> np.ndarray:
    return frame.to_ndarray().T
