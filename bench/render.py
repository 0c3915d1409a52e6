"""Slideshow rendering speed: picscore's renderer against moviepy doing the same job, on 2 cores.

The job: a 60 s 1080p30 slideshow of 20 photos (mixed sizes and shapes, blurred fill behind
those whose shape differs from the frame's) with crossfades and Ken Burns zooms, cut on the
beats of a synthetic 120 BPM song, H.264 + AAC. moviepy 2.x gets the same timeline, the same
composed stills (built inside its timed run) and the same x264 preset, and does the zoom and
crossfades its usual way (a resized ImageClip per photo in a CompositeVideoClip).

Both run in this process pinned to 2 cores (the encoder subprocess moviepy starts inherits
that). Wall time and CPU time (this process and its children) are printed: on a machine busy
with other work the wall time suffers, while CPU seconds per video second do not.

    pip install -e '.[bench]'
    python bench/render.py                 # 60 s, 20 photos
    python bench/render.py --seconds 20 --skip-moviepy

It also times the web page's preview of the same slideshow (the server's preview settings: 240 px
on the short side, 24 fps, the fastest x264 preset), the draft that plays while the full video renders.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from picscore.compose.synth import SongSpec, render_song
from picscore.library.indexer import index_paths
from picscore.library.store import Library
from picscore.media.audio_encode import encode_audio
from picscore.media.image_load import load_image
from picscore.render.frames import canvas_size, compose
from picscore.render.photo_look import look_at
from picscore.render.plan import Plan, plan_slideshow
from picscore.render.slideshow import render_slideshow
from picscore.render.video import X264_PRESET
from picscore.serve.app import PREVIEW_FPS, PREVIEW_PRESET, PREVIEW_SHORT_SIDE_PIXELS

CACHE = Path(__file__).parent / ".cache" / "render"
SIZES = ((4032, 3024), (3024, 4032), (3000, 2000), (1920, 1080))
SR = 44100


def write_photos(n: int) -> list[Path]:
    """Photo-like JPEGs (sky gradient, blurred shapes, texture and sensor noise), made once and cached."""
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        path = CACHE / f"photo{i:02d}.jpg"
        paths.append(path)
        if path.exists():
            continue
        w, h = SIZES[i % len(SIZES)]
        y, x = np.mgrid[0:h, 0:w] / max(w, h)
        sky = np.stack([np.clip(0.3 + 0.5 * y + 0.2 * np.sin(6 * x + i), 0, 1) * c for c in rng.uniform(0.4, 1.0, 3)], axis=-1)
        image = Image.fromarray((sky * 255).astype(np.uint8))
        draw = ImageDraw.Draw(image)
        for _ in range(12):
            cx, cy, r = rng.uniform(0, w), rng.uniform(h * 0.3, h), rng.uniform(80, 600)
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=tuple(int(v) for v in rng.integers(0, 255, 3)))
        texture = rng.standard_normal((h // 16, w // 16)) * 40 + 128
        texture = np.asarray(Image.fromarray(texture.clip(0, 255).astype(np.uint8)).resize((w, h), Image.Resampling.BICUBIC), np.float32)
        pixels = np.asarray(image.filter(ImageFilter.GaussianBlur(3)), np.float32) + (texture[..., None] - 128) * 0.3
        pixels += rng.standard_normal((h, w, 1)).astype(np.float32) * 2
        Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).save(path, quality=90)
    return paths


def indexed_song(seconds: float) -> dict:
    """A 120 BPM song, analysed by picscore's indexer for its beats and highlight."""
    path = CACHE / f"song_{int(seconds)}s.m4a"
    if not path.exists():
        encode_audio(path, render_song(SongSpec(bpm=120.0, seed=5), seconds=seconds, sr=SR), sr=SR)
    with tempfile.TemporaryDirectory() as folder, Library(Path(folder) / "bench.db") as library:
        index_paths(library, [path], jobs=1, encoders=(), progress=False)
        return library.known_track(library.list_tracks()[0]["id"])


def measure(job: Callable[[], None]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process and its finished children) of one run."""
    before = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    started = time.perf_counter()
    job()
    wall = time.perf_counter() - started
    after = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum(a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime for a, b in zip(after, before, strict=True))
    return wall, cpu


def moviepy_render(plan: Plan, output: Path) -> None:
    """The same timeline in moviepy 2.x: a composed still per photo, zoomed by a resize, crossfaded by CompositeVideoClip."""
    from moviepy import AudioFileClip, CompositeVideoClip, ImageClip, vfx

    size = canvas_size(width=plan.width, height=plan.height)
    half = plan.transition_seconds / 2
    clips = []
    for k, shot in enumerate(plan.shots):
        still, _ = compose(load_image(shot.photo, min_side=max(size)), size=size, focus=shot.focus)
        start = shot.start_seconds - (half if k else 0)
        length = shot.end_seconds + (half if k + 1 < len(plan.shots) else 0) - start
        base = min(plan.width / size[0], plan.height / size[1])

        def zoom(t: float, shot=shot, length=length, base=base) -> float:
            return base * (shot.zoom_from + (shot.zoom_to - shot.zoom_from) * t / length)

        clip = ImageClip(np.asarray(still)).with_start(start).with_duration(length).resized(zoom).with_position("center")
        clips.append(clip.with_effects([vfx.CrossFadeIn(2 * half)]) if k else clip)
    end = plan.excerpt_start_seconds + plan.duration_seconds
    audio = AudioFileClip(plan.track_path).subclipped(plan.excerpt_start_seconds, end)
    video = CompositeVideoClip(clips, size=(plan.width, plan.height)).with_duration(plan.duration_seconds).with_audio(audio)
    video.write_videofile(str(output), fps=plan.fps, codec="libx264", audio_codec="aac", preset=X264_PRESET, threads=2, logger=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="slideshow length (default: %(default)s)")
    parser.add_argument("--photos", type=int, default=20, help="number of photos (default: %(default)s)")
    parser.add_argument("--skip-moviepy", action="store_true", help="time picscore alone")
    args = parser.parse_args()
    os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:2]))
    CACHE.mkdir(parents=True, exist_ok=True)
    photos = write_photos(args.photos)
    track = indexed_song(args.seconds + 30)
    looks = [look_at(p) for p in photos]

    def plan_at(*, width: int, height: int, fps: int) -> Plan:
        shown = [(look.path, look.focus) for look in looks]
        return plan_slideshow(shown, track, width=width, height=height, fps=fps, duration_seconds=args.seconds, start_seconds=0.0)

    plan = plan_at(width=1920, height=1080, fps=30)
    preview = plan_at(width=426, height=PREVIEW_SHORT_SIDE_PIXELS, fps=PREVIEW_FPS)
    print(f"{len(plan.shots)} photos, {plan.duration_seconds:.1f} s at {plan.width}x{plan.height} {plan.fps} fps, crossfades, Ken Burns,")
    print(f"x264 preset {X264_PRESET}, on {len(os.sched_getaffinity(0))} cores (load average {os.getloadavg()[0]:.1f} at the start)")
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        jobs = {
            "picscore": lambda: render_slideshow(plan, Path(folder) / "picscore.mp4", progress=False),
            "preview": lambda: render_slideshow(preview, Path(folder) / "preview.mp4", progress=False, preset=PREVIEW_PRESET),
        }
        if not args.skip_moviepy:
            jobs["moviepy"] = lambda: moviepy_render(plan, Path(folder) / "moviepy.mp4")
        for name, job in jobs.items():
            wall, cpu = measure(job)
            results[name] = wall, cpu
            size_mb = (Path(folder) / f"{name}.mp4").stat().st_size / 1e6
            print(
                f"{name:9s} wall {wall:6.1f} s  speed {plan.duration_seconds / wall:5.2f}x real time"
                f"  CPU {cpu:6.1f} s ({cpu / plan.duration_seconds:.2f} CPU-s per video second)  {size_mb:.1f} MB"
            )
    wall_p, cpu_p = results["picscore"]
    sooner = wall_p / results["preview"][0]
    print(f"the page's preview ({preview.width}x{preview.height} at {preview.fps} fps) is ready {sooner:.1f}x sooner than the video")
    if "moviepy" in results:
        wall_m, cpu_m = results["moviepy"]
        print(f"picscore is {wall_m / wall_p:.1f}x faster than moviepy in wall time, {cpu_m / cpu_p:.1f}x in CPU time")


if __name__ == "__main__":
    main()
