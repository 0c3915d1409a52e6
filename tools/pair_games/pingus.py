"""Pingus (pingus-data): each level's background picture with the music its authors set for the level.

A level is an S-expression file data/levels/<set>/<name>.pingus; its head names the music, a file in data/music, and
its objects include the backgrounds drawn behind the whole level:

    (pingus-level (head ... (music "pingus-3.it") ...)
                  (objects (surface-background (surface (image "textures/desert") ...) (stretch-y #t) ...) ...))

A surface-background is a picture tiled or stretched over the level, behind the ground the pingus walk on, so it is
what sets the scene; when a level has several (a sky behind a strip of grass), the largest in pixels stands for it.
The other kinds of background, solid colours and generated starfields, are no pictures. An image name is looked up as
the game's ResourceManager does: images/<name>.sprite, a small S-expression `(pingus-sprite (image "file.jpg") ...)`
whose file is relative to it, else images/<name>.png, else images/<name>.jpg. The sprite comes first, which matters:
textures/stone.sprite shows stones.png and textures/stones.sprite shows stone.jpg. A sprite with an `(array 15 1)` of
more than one frame is an animation sheet (textures/anim_fire: 15 flames side by side) that the game plays one frame at
a time; there is no single picture of it, so such a background is left out.

The music is tracker modules (.it, .s3m), which PyAV cannot decode. Each is rendered once with `openmpt123` (44.1 kHz
16-bit stereo WAV without dither, played once, cut at 150 s) to made/pingus/<stem>.wav; a rendering already there is
used as it is. Without openmpt123, levels whose music is not rendered yet are left out and counted. Other audio would be
used as it is.

Left out as well (counts of pingus-data 0.7.6, 307 levels): the 117 levels in test/, wip/ and multiplayer/ (developers'
tests, unfinished levels, multiplayer maps); 78 levels whose music is "none" (they play none); 11 whose music is an .ogg
file the package does not ship; 4 with only a solid colour or starfield behind them; the 2 on the fire animation. Many
levels of a set share picture and music: each such pair is kept once, for the first level by name ("set/name"), so
there is one pair per level kept and the other levels are counted as repeats.
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path
from typing import NamedTuple

from build_pairs import Pair, Skips, children, largest_image, parse_sexpr, string_value

from pair_games import drop_repeated_pairs

PACKAGES: tuple[str, ...] = ("pingus-data",)
DATA = Path("usr/share/games/pingus/data")
LEFT_OUT_SETS = ("test", "wip", "multiplayer")
TRACKER_SUFFIXES = (".it", ".s3m", ".xm", ".mod")
RENDER_SECONDS = 150
# 44.1 kHz 16-bit (stereo is the default) without dither, so that a rendering is the same every time; played once.
OPENMPT_OPTIONS = ("--batch", "--quiet", "--samplerate", "44100", "--no-float", "--dither", "0", "--repeat", "0", "--force")
NEEDS_OPENMPT = "tracker music needs openmpt123 (apt-get install openmpt123)"


class Picture(NamedTuple):
    """A picture file an image name loads, and how many animation frames it holds side by side."""

    file: Path
    frames: int


def first_expr(path: Path, head: str) -> list | None:
    """The first top-level `(head ...)` of an S-expression file, or None when there is none or it does not parse."""
    try:
        exprs = parse_sexpr(path.read_text(encoding="utf-8", errors="replace"))
    except ValueError:
        return None
    return next((e for e in exprs if isinstance(e, list) and e and e[0] == head), None)


def sprite_picture(sprite: Path) -> Picture | None:
    """The picture a .sprite file shows, with its number of frames (`(array columns rows)`, 1 without one)."""
    expr = first_expr(sprite, "pingus-sprite")
    if not expr:
        return None
    name = string_value(expr, "image")
    if name is None or not (sprite.parent / name).is_file():
        return None
    frames = 1
    for array in children(expr, "array"):
        frames = int(array[1]) * int(array[2])
    return Picture(sprite.parent / name, frames)


def find_picture(images: Path, name: str) -> Picture | None:
    """The picture an image name loads, looked up as the game does: a .sprite file first, then .png, then .jpg."""
    sprite = images / f"{name}.sprite"
    if sprite.is_file():
        return sprite_picture(sprite)
    for suffix in (".png", ".jpg"):
        if (images / f"{name}{suffix}").is_file():
            return Picture(images / f"{name}{suffix}", 1)
    return None


def background_names(level: list) -> list[str]:
    """The image names of a level's surface-backgrounds."""
    return [
        name
        for objects in children(level, "objects")
        for background in children(objects, "surface-background")
        for surface in children(background, "surface")
        if (name := string_value(surface, "image"))
    ]


def level_picture(level: list, images: Path, source: str, skips: Skips) -> Path | None:
    """The largest still picture of a level's surface-backgrounds, or None (counted in skips)."""
    names = background_names(level)
    if not names:
        skips.add("no surface-background (solid colour or starfield only)", source)
        return None
    found = [picture for name in names if (picture := find_picture(images, name))]
    stills = [picture.file for picture in found if picture.frames == 1]
    if found and not stills:
        skips.add("background is an animation sheet, no single picture", f"{source}: {found[0].file.name}")
        return None
    image = largest_image(stills)
    if image is None:
        skips.add("background picture not found (or not PNG/JPEG)", f"{source}: {', '.join(names)}")
    return image


def has_audio(wav: Path) -> bool:
    """Whether a WAV file holds at least one frame (openmpt123 writes an empty one for a file it cannot play)."""
    try:
        with wave.open(str(wav)) as f:
            return f.getnframes() > 0
    except (OSError, EOFError, wave.Error):
        return False


def render(openmpt123: str, module: Path, wav: Path) -> bool:
    """Render a tracker module to `wav`, one play-through cut at RENDER_SECONDS; whether it gave any audio.

    It renders to a temporary name first, so that an interrupted run leaves no partial file to be taken as done.
    """
    partial = wav.with_suffix(".partial.wav")
    command = [openmpt123, *OPENMPT_OPTIONS, "--end-time", str(RENDER_SECONDS), "--output", str(partial), "--", str(module)]
    subprocess.run(command, capture_output=True, check=False)
    if not has_audio(partial):
        partial.unlink(missing_ok=True)
        return False
    partial.replace(wav)
    return True


def playable_track(music: Path, wav_dir: Path, source: str, skips: Skips) -> Path | None:
    """The audio file for a level's music: a tracker module's WAV rendering, made when missing; None (counted in skips)
    when it cannot be made."""
    if music.suffix.lower() not in TRACKER_SUFFIXES:
        return music
    wav = wav_dir / f"{music.stem}.wav"
    if wav.is_file():
        return wav
    openmpt123 = shutil.which("openmpt123")
    if openmpt123 is None:
        skips.add(NEEDS_OPENMPT, f"{source}: {music.name}")
        return None
    wav_dir.mkdir(parents=True, exist_ok=True)
    if not render(openmpt123, music, wav):
        skips.add("openmpt123 rendered no audio from the module", f"{source}: {music.name}")
        return None
    return wav


def level_pair(path: Path, data: Path, wav_dir: Path, skips: Skips) -> Pair | None:
    """The pair of one .pingus file, or None when it is left out (counted in skips)."""
    source = f"{path.parent.name}/{path.stem}"
    if path.parent.name in LEFT_OUT_SETS:
        skips.add("test, unfinished (wip) or multiplayer level", source)
        return None
    level = first_expr(path, "pingus-level")
    if level is None:
        skips.add("unreadable level file (no pingus-level S-expression)", source)
        return None
    head = (children(level, "head") or [[]])[0]
    music_name = string_value(head, "music")
    if not music_name or music_name == "none":
        skips.add('music "none" or empty (the level plays no music)', source)
        return None
    music = data / "music" / music_name
    if not music.is_file():
        skips.add("music file not in the package", f"{source}: {music_name}")
        return None
    image = level_picture(level, data / "images", source, skips)
    if image is None:
        return None
    track = playable_track(music, wav_dir, source, skips)
    return Pair(image, track, source) if track else None


def pairs(root: Path, made: Path, skips: Skips) -> list[Pair]:
    """One pair per level with its own picture and music, sorted by level ("set/name"); renderings go to made/pingus."""
    data = root / DATA
    levels = sorted((data / "levels").glob("*/*.pingus"))
    found = [pair for path in levels if (pair := level_pair(path, data, made / "pingus", skips))]
    return drop_repeated_pairs(found, skips)
