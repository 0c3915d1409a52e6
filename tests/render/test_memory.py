"""Frames are streamed: 300 photos at 720p render in bounded memory (peak RSS of a fresh process)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import av

from tests.render.media import click_library, write_photos

# The renderer alone in a fresh interpreter peaks at 230-600 MB depending on the machine's load (x264's
# threads and the allocator), so the test compares 300 photos with 30 in the same conditions: holding every
# canvas (1434x806 YUV 4:2:0, 1.7 MB each) would add about 0.45 GB for the 270 more, streaming adds nothing.
GROWTH_LIMIT_MB = 150
_CHILD = """
import resource, sys
from picscore.library.store import Library
from picscore.render.photo_look import look_at
from picscore.render.photos import expand_photos
from picscore.render.plan import plan_slideshow
from picscore.render.slideshow import render_slideshow

library, track_id, folder, out = sys.argv[1:]
with Library(library) as opened:
    track = opened.get_track(int(track_id))
paths, _ = expand_photos([folder])
photos = [(look.path, look.focus) for look in map(look_at, paths)]
plan = plan_slideshow(photos, track, width=1280, height=720, fps=24, per_photo_seconds=0.05, transition="cut")
render_slideshow(plan, out, progress=False)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def test_three_hundred_photos_at_720p_stay_within_bounded_memory(tmp_path: Path) -> None:
    library, track = click_library(tmp_path, seconds=20.0)
    write_photos(tmp_path / "photos", 300, size=(480, 360))
    peaks = {}
    for count in (30, 300):
        folder = tmp_path / f"photos{count}"
        folder.mkdir()
        for photo in sorted((tmp_path / "photos").iterdir())[:count]:
            (folder / photo.name).symlink_to(photo)
        out = tmp_path / f"many{count}.mp4"
        arguments = [str(library), str(track["id"]), str(folder), str(out)]
        child = subprocess.run([sys.executable, "-c", _CHILD, *arguments], capture_output=True, text=True, check=False)
        assert child.returncode == 0, child.stderr
        peaks[count] = int(child.stdout.split()[-1])
        with av.open(str(out)) as container:
            video = container.streams.video[0]
            assert (video.codec_context.width, video.codec_context.height) == (1280, 720)
            assert video.frames == round(count * 0.05 * 24)  # count photos x 0.05 s at 24 fps
    assert peaks[300] < peaks[30] + GROWTH_LIMIT_MB, peaks
