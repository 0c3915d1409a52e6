"""Encode mono or stereo float32 audio to a file whose format follows its extension.

Used to write the demo library and test media in every format a music library holds.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import cast

import av
import numpy as np

# extension -> (container format, codec, sample format, fixed sample rate or None)
_FORMATS: dict[str, tuple[str, str, str, int | None]] = {
    ".wav": ("wav", "pcm_s16le", "s16", None),
    ".aiff": ("aiff", "pcm_s16be", "s16", None),
    ".aif": ("aiff", "pcm_s16be", "s16", None),
    ".flac": ("flac", "flac", "s16", None),
    ".mp3": ("mp3", "libmp3lame", "fltp", None),
    ".m4a": ("ipod", "aac", "fltp", None),
    ".ogg": ("ogg", "vorbis", "fltp", None),
    ".opus": ("opus", "libopus", "flt", 48000),
}
# AIFF's own chunks hold only a title and an author, so its tags go in an ID3 chunk (which FFmpeg reads back).
_CONTAINER_OPTIONS = {"aiff": {"write_id3v2": "1"}}

ENCODABLE_EXTENSIONS = tuple(_FORMATS)
# One extension of each format (.aif is .aiff again).
FORMAT_EXTENSIONS = tuple({spec: extension for extension, spec in reversed(_FORMATS.items())}.values())[::-1]


def encode_audio(
    path: str | Path,
    samples: np.ndarray,
    *,
    sr: int,
    tags: dict[str, str] | None = None,
    channels: int = 2,
) -> Path:
    """Write `samples` (float32 in [-1, 1]) to `path` with `channels` channels.

    Mono samples (n,) are duplicated to every channel; stereo samples (n, 2) are written
    as they are, or averaged when `channels` is 1.

    The container and codec follow the extension (see ENCODABLE_EXTENSIONS); Opus is
    resampled to 48 kHz, the only rate its encoder takes.
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in _FORMATS:
        raise ValueError(f"{path}: cannot encode {ext!r}; use one of {', '.join(_FORMATS)}")
    container_format, codec, sample_format, fixed_rate = _FORMATS[ext]
    out_rate = fixed_rate or sr
    layout = "stereo" if channels == 2 else "mono"
    with av.open(str(path), mode="w", format=container_format, options=_CONTAINER_OPTIONS.get(container_format, {})) as container:
        for key, value in (tags or {}).items():
            container.metadata[key] = str(value)
        stream = cast(av.AudioStream, container.add_stream(codec, rate=out_rate, layout=layout))
        if codec == "vorbis":
            stream.codec_context.options = {"strict": "experimental"}
        frame = _input_frame(samples, sr=sr, layout=layout)
        resampler = av.AudioResampler(format=sample_format, layout=layout, rate=out_rate)
        for converted in [*resampler.resample(frame), *resampler.resample(None)]:
            converted.pts = None
            for packet in stream.encode(converted):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def _input_frame(samples: np.ndarray, *, sr: int, layout: str) -> av.AudioFrame:
    clipped = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    if clipped.ndim == 2:
        planes = clipped.T if layout == "stereo" else clipped.mean(axis=1, keepdims=True).T
    else:
        planes = np.tile(clipped, (2 if layout == "stereo" else 1, 1))
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(planes), format="fltp", layout=layout)
    frame.sample_rate = sr
    frame.time_base = Fraction(1, sr)
    frame.pts = 0
    return frame
