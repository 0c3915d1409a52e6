"""Blob Wars: Metal Blob Solid (blobwars-data): each stage's background picture with the music its authors set for it.

A stage is a text file in data/ without an extension (data/caves1, data/arcticWastes, ...): hundreds of long rows of tile
numbers (the map) followed by lines "<skills> <KEY> <value>", where <skills> names the difficulties a line applies to
("EMH": easy, medium and hard). Three of these lines name what this module needs, paths relative to the game folder:

    EMH STAGENAME "Inner Cave Network, Part 1"
    EMH BACKGROUND gfx/caves/background.jpg
    EMH MUSIC music/cave

A stage has one background, the full-screen backdrop drawn behind its tiles, so that picture stands for the stage. Music
files are Ogg Vorbis without an extension (music/cave; music/cave.tags beside it holds its tags), which decoders such
as PyAV recognise by their content. The other files in data/ have no STAGENAME and are no stages: widget and item
definitions, credits, the hub (the world map between stages) and translations. Two stages are left out: practice (the
training mission, backdrop and music of grasslands1) and introMap (the intro, which plays no music). Stages of one area
share background and music (caves1 to caves4), and such a pair is kept once, for the first stage by name: in
blobwars-data 2.00 the 24 stages kept give 9 pairs.
"""

from __future__ import annotations

import re
from pathlib import Path

from build_pairs import Pair, Skips

from pair_games import drop_repeated_pairs

PACKAGES: tuple[str, ...] = ("blobwars-data",)
GAME = Path("usr/share/games/blobwars")
NOT_PLAYED_STAGES = {"practice": "training mission", "introMap": "intro"}
STAGE_LINE = re.compile(r"^[ \t]*\S+[ \t]+(STAGENAME|BACKGROUND|MUSIC)[ \t]+(.+?)[ \t]*\r?$", re.M)


def stage_fields(path: Path) -> dict[str, str]:
    """The first STAGENAME, BACKGROUND and MUSIC values of a data file, quotes removed; empty when it is no stage."""
    fields: dict[str, str] = {}
    for key, value in STAGE_LINE.findall(path.read_text(encoding="latin-1")):
        fields.setdefault(key, value.strip('"'))
    return fields if "STAGENAME" in fields else {}


def stage_pair(path: Path, game: Path, skips: Skips) -> Pair | None:
    """The pair of one data file, or None when it is no stage or is left out (counted in skips)."""
    fields = stage_fields(path)
    if not fields:
        return None
    if path.name in NOT_PLAYED_STAGES:
        skips.add("training mission or intro, not a stage of the game", f"{path.name} ({NOT_PLAYED_STAGES[path.name]})")
        return None
    if "BACKGROUND" not in fields or "MUSIC" not in fields:
        skips.add("stage without BACKGROUND or MUSIC", path.name)
        return None
    image, audio = game / fields["BACKGROUND"], game / fields["MUSIC"]
    if not image.is_file():
        skips.add("background file missing", f"{path.name}: {fields['BACKGROUND']}")
        return None
    if not audio.is_file():
        skips.add("music file missing", f"{path.name}: {fields['MUSIC']}")
        return None
    return Pair(image, audio, path.name)


def pairs(root: Path, made: Path, skips: Skips) -> list[Pair]:
    """One pair per stage with its own background and music, sorted by stage; `made` is not used."""
    game = root / GAME
    found = [pair for path in sorted((game / "data").iterdir()) if path.is_file() and (pair := stage_pair(path, game, skips))]
    return drop_repeated_pairs(found, skips)
