"""Warmux (warmux-data): each map's backdrop with the playlist its author chose for the map.

A map is a folder map/<map>/ whose config.xml names its pictures as `<surface name="..." file="..."/>`, files in the
map folder: `sky` (the backdrop), `sky_layer_0` ... `sky_layer_<n-1>` when `<sky_layer>n</sky_layer>` asks for parallax
layers in front of it, `map` (the terrain the worms fight on, transparent around it) and `preview` (a 300-pixel
thumbnail for the map menu). Its `<music_playlist>` names a playlist type of music/profile.xml,
`<music type="sea" playlist="ingame/sea.m3u"/>`, and that .m3u lists the tracks, one file a line, relative to it.

The picture of a map is roughly what the player sees: the sky scaled to cover the terrain's size, its layers in order
(those whose file exists) and the terrain composited on top, downscaled to at most MAX_SIDE pixels a side and written to
made/warmux/<map>.png. The preview is too small to stand for the map and the sky alone leaves out the terrain, which
sets the map's theme as much as the sky does. A map gives one pair per track of its playlist; its source is the map
folder, title and playlist, as in "abyss (Abyss; playlist sea)".

Left out: maps without `<music_playlist>` (33 of the 53; the game then plays its general "ingame" list at random,
which no one chose for the map; montagnes has the template's placeholder NAMEOFMUSICFILE, commented out), maps naming
a playlist that music/profile.xml lacks, maps without a sky or terrain picture (none of the maps with a playlist), and
tracks that are missing. Three tracks (Olivier Militon's Apnee, Apnee2 and Vogue_a_lame) carry Latin-1 tags, on which
a plain PyAV `av.open` raises UnicodeDecodeError; picscore's decoder replaces such characters, so they are paired as
they are.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from build_pairs import Pair, Skips
from PIL import Image

PACKAGES: tuple[str, ...] = ("warmux-data",)
DATA = Path("usr/share/games/warmux")
MAX_SIDE = 2048  # longest side of a composite; the terrains are up to about 4000 pixels wide


@dataclass(frozen=True)
class WarmuxMap:
    """A map folder and the root element of its config.xml."""

    folder: Path
    config: ET.Element

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def playlist(self) -> str:
        return (self.config.findtext("music_playlist") or "").strip()

    @property
    def label(self) -> str:
        """The map's source label: folder, title and playlist."""
        title = (self.config.findtext("name") or self.name).strip()
        return f"{self.name} ({title}; playlist {self.playlist})"

    def surface(self, name: str) -> Path | None:
        """The file of the `<surface>` called `name`, or None when the config names none."""
        for surface in self.config.iter("surface"):
            if surface.get("name") == name and surface.get("file"):
                return self.folder / surface.get("file", "")
        return None

    def sky_layers(self) -> list[Path]:
        """The parallax layers `<sky_layer>` asks for, back to front, those whose file exists."""
        count = int((self.config.findtext("sky_layer") or "0").strip() or 0)
        layers = (self.surface(f"sky_layer_{k}") for k in range(count))
        return [layer for layer in layers if layer and layer.is_file()]


def load_maps(maps: Path, skips: Skips) -> list[WarmuxMap]:
    """The maps under `maps` in name order, those whose config.xml does not parse left out."""
    found = []
    for config in sorted(maps.glob("*/config.xml")):
        try:
            found.append(WarmuxMap(config.parent, ET.parse(config).getroot()))
        except ET.ParseError:
            skips.add("config.xml is not well-formed XML", config.parent.name)
    return found


def playlist_files(music: Path) -> dict[str, Path]:
    """music/profile.xml: each playlist type -> its .m3u file."""
    profile = ET.parse(music / "profile.xml").getroot()
    return {m.get("type", ""): music / m.get("playlist", "") for m in profile.iter("music") if m.get("playlist")}


def playlist_tracks(m3u: Path) -> list[Path]:
    """The tracks an .m3u lists (relative to it), each once, in order; blank lines and #comments left out."""
    lines = (line.strip() for line in m3u.read_text(encoding="utf-8", errors="replace").splitlines())
    return list(dict.fromkeys(m3u.parent / line for line in lines if line and not line.startswith("#")))


@dataclass(frozen=True)
class UsableMap:
    """A map whose author chose a playlist that profile.xml has, with the two pictures its backdrop needs."""

    map: WarmuxMap
    sky: Path
    terrain: Path


def usable_map(warmux_map: WarmuxMap, playlists: dict[str, Path], skips: Skips) -> UsableMap | None:
    """The map with its sky and terrain, or None (and a skip) when it has no playlist to use or no backdrop to draw."""
    if not warmux_map.playlist:
        skips.add("no <music_playlist> (the game plays its 'ingame' list at random)", warmux_map.name)
        return None
    if warmux_map.playlist not in playlists:
        skips.add("playlist not in music/profile.xml", f"{warmux_map.name}: {warmux_map.playlist}")
        return None
    sky, terrain = warmux_map.surface("sky"), warmux_map.surface("map")
    if not (sky and sky.is_file() and terrain and terrain.is_file()):
        skips.add("no sky or no terrain picture", warmux_map.name)
        return None
    return UsableMap(warmux_map, sky, terrain)


# ---------------------------------------------------------------------------------------------------- the picture


def cover(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """`image` scaled, keeping its aspect, to cover `size`, then cropped to it around the centre."""
    width, height = size
    scale = max(width / image.width, height / image.height)
    scaled = image.resize((max(width, round(image.width * scale)), max(height, round(image.height * scale))), Image.Resampling.LANCZOS)
    left, top = (scaled.width - width) // 2, (scaled.height - height) // 2
    return scaled.crop((left, top, left + width, top + height))


def fit(image: Image.Image) -> Image.Image:
    """`image` downscaled to at most MAX_SIDE pixels a side."""
    if max(image.size) <= MAX_SIDE:
        return image
    scale = MAX_SIDE / max(image.size)
    return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.Resampling.LANCZOS)


def composite(sky: Path, layers: list[Path], terrain: Path, target: Path) -> Path:
    """The sky, its layers and the terrain drawn over one another at the terrain's size, fitted, saved as PNG at `target`."""
    with Image.open(terrain) as image:
        front = image.convert("RGBA")
    with Image.open(sky) as image:
        canvas = cover(image.convert("RGBA"), front.size)
    for layer in layers:
        with Image.open(layer) as image:
            canvas.alpha_composite(cover(image.convert("RGBA"), front.size))
    canvas.alpha_composite(front)
    target.parent.mkdir(parents=True, exist_ok=True)
    fit(canvas.convert("RGB")).save(target)
    return target


# ---------------------------------------------------------------------------------------------------- the tracks


def existing_track(track: Path, skips: Skips) -> Path | None:
    """`track`, or None (and a skip) when the playlist names a file that is not there."""
    if track.is_file():
        return track
    skips.add("playlist track not found", track.name)
    return None


def pairs(root: Path, made: Path, skips: Skips) -> list[Pair]:
    """(composite backdrop, track) for every track of every map's chosen playlist in the warmux-data under `root`."""
    data, made = root / DATA, made / "warmux"
    playlists = playlist_files(data / "music")
    maps = [usable for m in load_maps(data / "map", skips) if (usable := usable_map(m, playlists, skips))]
    tracks = {name: playlist_tracks(playlists[name]) for name in sorted({usable.map.playlist for usable in maps})}
    readable = {track: existing_track(track, skips) for track in sorted({t for listed in tracks.values() for t in listed})}
    found = []
    for usable in maps:
        audios = [audio for track in tracks[usable.map.playlist] if (audio := readable[track])]
        if audios:
            image = composite(usable.sky, usable.map.sky_layers(), usable.terrain, made / f"{usable.map.name}.png")
            found += [Pair(image, audio, usable.map.label) for audio in audios]
    return sorted(found, key=lambda pair: (pair.source, str(pair.image), str(pair.audio)))
