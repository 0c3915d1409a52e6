"""SuperTuxKart (supertuxkart-data): each track's screenshot with the music its authors set for the track.

Every track is a folder data/tracks/<track>/ whose track.xml names both on its root element: `screenshot="x.jpg"`, a file
in the track folder, and `music="y.music"`, a space-separated list when the game may pick one of several. The screenshot
is the picture the game shows for the track in the track selection, the one picture its authors made to stand for it, so
it is used as it is (a screenshot that is no PNG or JPEG is converted to made/supertuxkart/<track>.png). A .music file is
a small XML file, `<music title="..." file="y.ogg" .../>`, whose `file` is relative to it; the game finds .music files by
name in data/music and in every track folder, and so does this module: in the track's own folder first, then in
data/music, then in the other track folders. Its `fast-filename` (a faster version for the last lap) is not used. The
game's XML reader is lenient and BattleTheme1.music has a raw '<' in an attribute, so `file` is read with a regular
expression rather than an XML parser.

Race tracks, battle arenas and soccer fields are kept. Tracks flagged internal="Y" or cutscene="Y" (the tutorial, the
story-mode overworld, the cutscenes) are left out: the player cannot choose them, several have no screenshot, and the
tutorial reuses Hacienda's screenshot and music. A track whose screenshot and music have the same content as another
track's is kept once, the race track rather than the arena: arena_candela_city copies candela_city's.
"""

from __future__ import annotations

import hashlib
import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from build_pairs import FileIndex, Pair, Skips, image_size, resolve
from PIL import Image

PACKAGES: tuple[str, ...] = ("supertuxkart-data",)
DATA = Path("usr/share/games/supertuxkart/data")
MUSIC_FILE_ATTRIBUTE = re.compile(r"""\bfile\s*=\s*(["'])(.*?)\1""", re.S)


@dataclass(frozen=True)
class Track:
    """A track folder and the attributes of its track.xml root element."""

    folder: Path
    attributes: dict[str, str]

    @property
    def name(self) -> str:
        return self.folder.name

    def flag(self, key: str) -> bool:
        """Whether a Y/N attribute is set (absent means N)."""
        return self.attributes.get(key, "N").upper() == "Y"

    @property
    def selectable(self) -> bool:
        """Whether the player can choose the track, unlike the tutorial, the overworld and the cutscenes."""
        return not (self.flag("internal") or self.flag("cutscene"))

    @property
    def is_race(self) -> bool:
        """Whether it is a race track rather than a battle arena or a soccer field."""
        return not (self.flag("arena") or self.flag("soccer"))


def load_tracks(tracks: Path, skips: Skips) -> list[Track]:
    """The tracks under `tracks`, race tracks first (so that they win over an arena copying one), then by name."""
    found = []
    for xml in sorted(tracks.glob("*/track.xml")):
        try:
            found.append(Track(xml.parent, ET.parse(xml).getroot().attrib))
        except ET.ParseError:
            skips.add("track.xml is not well-formed XML", xml.parent.name)
    return sorted(found, key=lambda track: (not track.is_race, track.name))


def music_file_target(descriptor: Path) -> str | None:
    """The audio file a .music file plays (its `file` attribute, relative to it), or None when it names none."""
    match = MUSIC_FILE_ATTRIBUTE.search(descriptor.read_text(encoding="utf-8", errors="replace"))
    return html.unescape(match.group(2)) if match and match.group(2) else None


def track_audio(track: Track, music_name: str, data: Path, music_index: FileIndex, skips: Skips) -> Path | None:
    """The audio file of one of a track's .music names, looked up as the game does; None (and a skip) when it fails."""
    descriptor = resolve(music_name, [track.folder, data / "music"], music_index)
    if descriptor is None:
        skips.add(".music file not found", f"{track.name}: {music_name}")
        return None
    target = music_file_target(descriptor)
    if target is None:
        skips.add(".music file names no audio file", f"{track.name}: {descriptor.name}")
        return None
    audio = resolve(target, [descriptor.parent])
    if audio is None:
        skips.add("audio file of the .music file not found", f"{track.name}: {descriptor.name} -> {target}")
    return audio


def screenshot(track: Track, made: Path, skips: Skips) -> Path | None:
    """The track's screenshot, converted to PNG under `made` when it is no PNG or JPEG; None (and a skip) when unusable."""
    name = track.attributes.get("screenshot", "")
    path = track.folder / name
    if not name or not path.is_file():
        skips.add("screenshot file not found", f"{track.name}: {name!r}")
        return None
    if image_size(path):
        return path
    converted = convert_to_png(path, made / f"{track.name}.png")
    if converted is None:
        skips.add("screenshot is no picture Pillow can read", f"{track.name}: {name}")
    return converted


def convert_to_png(source: Path, target: Path) -> Path | None:
    """`source` written as a PNG at `target` (keeping transparency), or None when Pillow cannot read it."""
    try:
        with Image.open(source) as image:
            converted = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    except OSError:
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    converted.save(target)
    return target


def track_pairs(track: Track, data: Path, music_index: FileIndex, made: Path, skips: Skips) -> list[Pair]:
    """One pair per music name of a selectable track that resolves to audio, all with the track's screenshot."""
    if not track.selectable:
        skips.add("internal or cutscene track (the player cannot choose it)", track.name)
        return []
    music_names = track.attributes.get("music", "").split()
    if not music_names:
        skips.add("track.xml names no music", track.name)
        return []
    audios = [audio for name in music_names if (audio := track_audio(track, name, data, music_index, skips))]
    image = screenshot(track, made, skips) if audios else None
    return [Pair(image, audio, track.name) for audio in audios] if image else []


def content_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def drop_copies(pairs: list[Pair], skips: Skips) -> list[Pair]:
    """The pairs whose screenshot and audio are not byte-identical to those of an earlier pair."""
    kept: dict[tuple[str, str], Pair] = {}
    for pair in pairs:
        key = (content_digest(pair.image), content_digest(pair.audio))
        if key in kept:
            skips.add("same screenshot and music as another track", f"{pair.source} (as {kept[key].source})")
        else:
            kept[key] = pair
    return list(kept.values())


def pairs(root: Path, made: Path, skips: Skips) -> list[Pair]:
    """(screenshot, music) of every selectable track of the supertuxkart-data unpacked under `root`."""
    data = root / DATA
    music_index = FileIndex(data / "tracks", (".music",))
    found: list[Pair] = []
    for track in load_tracks(data / "tracks", skips):
        found += track_pairs(track, data, music_index, made / "supertuxkart", skips)
    return sorted(drop_copies(found, skips), key=lambda pair: (pair.source, str(pair.image), str(pair.audio)))
