"""Render a plan to an MP4: the soundtrack, then the frames streamed into the encoder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import av

from picscore.media.audio_decode import AudioDecodeError
from picscore.media.image_load import ImageLoadError
from picscore.render.frames import Canvas, build_canvas, slideshow_frames
from picscore.render.plan import Plan, Shot
from picscore.render.soundtrack import SAMPLE_RATE, soundtrack
from picscore.render.video import X264_PRESET, write_mp4


class RenderError(Exception):
    """A photo or the track failed while rendering; the message names the file and the cause."""


def render_slideshow(
    plan: Plan,
    output: str | Path,
    *,
    progress: bool = True,
    preset: str = X264_PRESET,
    on_frame: Callable[[int], None] | None = None,
) -> None:
    """Write `plan` as an MP4 to `output` (replacing it only once the new file is complete); `on_frame(frames
    written so far)` after each frame, for progress reports elsewhere than the terminal."""
    try:
        audio = soundtrack(plan, sr=SAMPLE_RATE)
    except AudioDecodeError as err:  # its message names the track's file
        raise RenderError(str(err)) from None

    def load(shot: Shot) -> Canvas:
        try:
            return build_canvas(shot.photo, width=plan.width, height=plan.height, focus=shot.focus)
        except ImageLoadError as err:
            raise RenderError(f"{shot.photo}: {err}") from None

    def counted(frames: Iterator[av.VideoFrame]) -> Iterator[av.VideoFrame]:
        for done, frame in enumerate(frames, start=1):
            yield frame
            if on_frame:
                on_frame(done)

    write_mp4(
        Path(output),
        counted(slideshow_frames(plan, load=load)),
        n_frames=plan.n_frames,
        width=plan.width,
        height=plan.height,
        fps=plan.fps,
        audio=audio,
        sr=SAMPLE_RATE,
        progress=progress,
        preset=preset,
    )
