"""Hedgewars (hedgewars-data): a picture of each map theme with the music its authors chose for the theme.

A theme is a folder Data/Themes/<Theme>/ whose theme.cfg, lines of `key = value`, names its music, `music = X.ogg` in
Data/Music, and may name sudden-death music, `sd-music = Y.ogg`, played once a match turns to sudden death. The
sudden-death music makes a second pair with the same picture, unless it is the theme's music again (Hell); themes without
one get the game's generic sdmusic.ogg, which was not chosen for them and is not used. Themes marked `hidden` (used only
by missions, such as Blox and Deepspace) are kept: their music was chosen for them all the same.

No file of a theme is a picture of it: the game draws a map from layers, and the theme's icon is at most 65x64 pixels. So
one picture is composited per theme, roughly as its maps look in the game, and written to made/hedgewars/<Theme>.png
(1280x720):

1. the theme's `sky` colour fills the canvas;
2. Sky.png, the backdrop, scaled by 1.25 (a 1024-pixel sprite about spans the canvas), is tiled across and bottom-aligned
   at y=640, just under the top of the land, as the game sets it on the horizon with the plain sky colour above;
3. horizont.png, the parallax strip in front, is drawn over it the same way;
4. a band of land, a gently wavy outline (top between y=534 and 618) filled with LandTex.png tiled at the same scale,
   within the texture's own transparency, is edged 4 pixels wide in the theme's `border` colour.

The side sprites (SkyL, SkyR, horizontL, horizontR), clouds, flakes, objects and water are left out to keep it simple. A
theme with neither Sky.png nor horizont.png, whose picture would be a plain colour, is skipped; one with only one of them
(Blox has no Sky.png, CrazyMission and Deepspace no horizont.png) is kept.
"""

from __future__ import annotations

import math
from pathlib import Path

from build_pairs import Pair, Skips, resolve
from PIL import Image, ImageDraw

PACKAGES: tuple[str, ...] = ("hedgewars-data",)
DATA = Path("usr/share/games/hedgewars/Data")
Colour = tuple[int, int, int]

BACKDROP_SPRITES = ("Sky.png", "horizont.png")  # drawn in this order, the second in front
CANVAS_WIDTH, CANVAS_HEIGHT = 1280, 720
SPRITE_SCALE = 1.25
HORIZON_Y = 640  # Sky.png and horizont.png are bottom-aligned here, just below the top of the land
LAND_BASE_Y = int(CANVAS_HEIGHT * 0.80)
LAND_EDGE_WIDTH = 4
DEFAULT_SKY: Colour = (0, 0, 0)
DEFAULT_BORDER: Colour = (128, 128, 128)


def read_theme_cfg(path: Path) -> dict[str, list[str]]:
    """The values of each key of a theme.cfg (keys in lower case, in file order).

    Lines without `=` are ignored; a comment such as `; sd-flakes = 40, 20` keeps its ';' in the key, so it is never read.
    """
    values: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if "=" not in line:
            continue
        key, _, value = line.partition("=")
        values.setdefault(key.strip().lower(), []).append(value.strip())
    return values


def first(cfg: dict[str, list[str]], key: str) -> str | None:
    """The first value of `key` in a read theme.cfg, or None."""
    return cfg.get(key, [None])[0]


def parse_colour(value: str | None, default: Colour) -> Colour:
    """An `r, g, b` colour of decimal or $-prefixed hexadecimal numbers (as the water colours are written), clamped to 0..255."""
    parts = [part.strip() for part in (value or "").split(",")[:3]]
    try:
        channels = [int(part[1:], 16) if part.startswith("$") else int(part) for part in parts]
    except ValueError:
        return default
    if len(channels) != 3:
        return default
    red, green, blue = (max(0, min(255, channel)) for channel in channels)
    return red, green, blue


def scaled_sprite(path: Path) -> Image.Image:
    """The sprite at `path` as RGBA, scaled by SPRITE_SCALE so that a 1024-pixel Sky.png about spans the canvas."""
    with Image.open(path) as image:
        size = (max(1, round(image.width * SPRITE_SCALE)), max(1, round(image.height * SPRITE_SCALE)))
        return image.convert("RGBA").resize(size, Image.Resampling.LANCZOS)


def draw_sprite_row(canvas: Image.Image, sprite_path: Path, bottom: int) -> None:
    """Tile the scaled sprite across the canvas, centred, its bottom edge at `bottom`, over what is there."""
    sprite = scaled_sprite(sprite_path)
    layer = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    first_x = (canvas.width - sprite.width) // 2 % sprite.width - sprite.width
    for x in range(first_x, canvas.width, sprite.width):
        layer.paste(sprite, (x, bottom - sprite.height))
    canvas.alpha_composite(layer)


def land_outline(width: int) -> list[tuple[float, float]]:
    """The top of the land band: two sine waves, 28 and 14 pixels high, around LAND_BASE_Y."""
    return [
        (x, LAND_BASE_Y + 28 * math.sin(x / width * 2 * math.pi * 1.5) + 14 * math.sin(x / width * 2 * math.pi * 4 + 1))
        for x in range(0, width + 1, 8)
    ]


def draw_land(canvas: Image.Image, texture_path: Path, border: Colour) -> None:
    """Fill the canvas below the land outline with the tiled land texture, where it is opaque, and edge it in `border`."""
    texture = scaled_sprite(texture_path)
    tiled = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    for y in range(0, canvas.height, texture.height):
        for x in range(0, canvas.width, texture.width):
            tiled.paste(texture, (x, y))
    outline = land_outline(canvas.width)
    below_outline = Image.new("L", canvas.size, 0)
    ImageDraw.Draw(below_outline).polygon([*outline, (canvas.width, canvas.height), (0, canvas.height)], fill=255)
    mask = Image.composite(tiled.getchannel("A"), Image.new("L", canvas.size, 0), below_outline)
    canvas.paste(tiled.convert("RGB").convert("RGBA"), (0, 0), mask)
    ImageDraw.Draw(canvas).line(outline, fill=(*border, 255), width=LAND_EDGE_WIDTH)


def compose_theme_picture(theme: Path, cfg: dict[str, list[str]], target: Path) -> Path:
    """Draw the picture of the theme folder `theme` (sky colour, Sky.png, horizont.png, land) and save it at `target`."""
    sky = parse_colour(first(cfg, "sky"), DEFAULT_SKY)
    canvas = Image.new("RGBA", (CANVAS_WIDTH, CANVAS_HEIGHT), (*sky, 255))
    for sprite in BACKDROP_SPRITES:
        if (theme / sprite).is_file():
            draw_sprite_row(canvas, theme / sprite, HORIZON_Y)
    if (theme / "LandTex.png").is_file():
        draw_land(canvas, theme / "LandTex.png", parse_colour(first(cfg, "border"), DEFAULT_BORDER))
    target.parent.mkdir(parents=True, exist_ok=True)
    canvas.convert("RGB").save(target)
    return target


def theme_tracks(name: str, cfg: dict[str, list[str]], music: Path, skips: Skips) -> list[Path]:
    """The theme's music, then each different sudden-death music, as files in `music`; [] (and a skip) without music."""
    track_name = first(cfg, "music")
    if not track_name:
        skips.add("theme.cfg names no music", name)
        return []
    track = resolve(track_name, [music])
    if track is None:
        skips.add("theme music not found", f"{name}: {track_name}")
        return []
    tracks = [track]
    for sd_name in cfg.get("sd-music", []):
        sd_track = resolve(sd_name, [music])
        if sd_track is None:
            skips.add("sudden-death music not found", f"{name}: {sd_name}")
        elif sd_track in tracks:
            skips.add("sudden-death music is the theme's music", f"{name}: {sd_name}")
        else:
            tracks.append(sd_track)
    return tracks


def theme_pairs(theme: Path, music: Path, made: Path, skips: Skips) -> list[Pair]:
    """A composited picture of the theme with its music and with its sudden-death music."""
    if not any((theme / sprite).is_file() for sprite in BACKDROP_SPRITES):
        skips.add("theme has neither Sky.png nor horizont.png", theme.name)
        return []
    cfg = read_theme_cfg(theme / "theme.cfg")
    tracks = theme_tracks(theme.name, cfg, music, skips)
    if not tracks:
        return []
    image = compose_theme_picture(theme, cfg, made / f"{theme.name}.png")
    return [Pair(image, track, theme.name) for track in tracks]


def pairs(root: Path, made: Path, skips: Skips) -> list[Pair]:
    """(composited theme picture, music) of every theme of the hedgewars-data unpacked under `root`."""
    data = root / DATA
    found: list[Pair] = []
    for cfg in sorted(data.glob("Themes/*/theme.cfg")):
        found += theme_pairs(cfg.parent, data / "Music", made / "hedgewars", skips)
    return sorted(found, key=lambda pair: (pair.source, str(pair.image), str(pair.audio)))
