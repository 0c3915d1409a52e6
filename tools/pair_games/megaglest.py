"""MegaGlest (megaglest-data): each faction's loading screen with the faction's music, and scenario loading screens.

Factions: a tech tree is a folder techs/<tech>/ with factions/<faction>/<faction>.xml, whose
`<music value="true" path="music/x.ogg"/>` names the music played during a game the player leads that faction in
(relative to the faction folder). The faction folder also holds the picture the game shows while such a game loads,
the first file named loading_screen.* (the game's own filter; there is one, a .jpg, in each faction). The loading
screen is the one picture the faction's artists drew to stand for it, so it is paired with the faction's music, as
"faction:<tech>/<faction>". A faction whose XML is a `<link><techtree name="megapack"/></link>` is the faction of that
name of the linked tech tree: magitech's magic and tech (tech.xml is a symbolic link to magic.xml) are megapack's, and
are paired there.

Scenarios and tutorials: scenarios/<name>/<name>.xml and tutorials/<name>/<name>.xml name the tech tree
(`<tech-tree value="megapack"/>`) and the players (`<player control="human" faction="tech" .../>`); a loading_screen.*
in the scenario folder is shown while it loads, in place of the faction's. The music of a scenario is not named
anywhere: the game plays the music of the player's own faction. These pairs are therefore inferred, not chosen by an
artist for the picture: the scenario's loading screen with the music of its human player's faction, as
"scenario:<name> (human faction <faction>)" or "tutorial:<name> (human faction <faction>)".

Left out: factions that link to another tech tree (paired there), factions without music or without a loading screen,
scenarios without a loading screen of their own (beginner_2, beginner_3, capture_enemy_flag, tech_and_magic: the game
shows the human faction's, already paired with the same music), scenarios whose human players lead different factions
or none (the music would depend on who plays), loading screens that are no PNG or JPEG, and missing music files.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from build_pairs import Pair, Skips, image_size

PACKAGES: tuple[str, ...] = ("megaglest-data",)
DATA = Path("usr/share/games/megaglest")
LOADING_SCREEN = "loading_screen.*"
SCENARIO_KINDS = {"scenarios": "scenario", "tutorials": "tutorial"}  # folder -> source prefix


@dataclass(frozen=True)
class Faction:
    """A faction folder of a tech tree, with its music (None when it has none) or the tech tree it links to."""

    tech: str
    folder: Path
    music: Path | None
    linked_tech: str | None

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def source(self) -> str:
        return f"faction:{self.tech}/{self.name}"


def load_faction(folder: Path, skips: Skips) -> Faction | None:
    """The faction of a factions/<faction>/ folder, or None (and a skip) when its XML is missing or does not parse."""
    tech = folder.parent.parent.name
    try:
        definition = ET.parse(folder / f"{folder.name}.xml").getroot()
    except (OSError, ET.ParseError):
        skips.add("faction XML missing or not well-formed", f"{tech}/{folder.name}")
        return None
    if definition.tag == "link":
        linked = definition.find("techtree")
        return Faction(tech, folder, None, linked.get("name") if linked is not None else None)
    return Faction(tech, folder, faction_music(definition, folder), None)


def faction_music(definition: ET.Element, folder: Path) -> Path | None:
    """The file of the faction's `<music value="true" path="..."/>`, or None when its music is off or absent."""
    music = definition.find("music")
    if music is None or music.get("value", "").lower() != "true" or not music.get("path"):
        return None
    return folder / music.get("path", "")


def load_factions(techs: Path, skips: Skips) -> dict[tuple[str, str], Faction]:
    """(tech, faction name) -> faction, for every faction folder of every tech tree."""
    found = (load_faction(folder, skips) for folder in sorted(techs.glob("*/factions/*")) if folder.is_dir())
    return {(faction.tech, faction.name): faction for faction in found if faction}


def faction_of(factions: dict[tuple[str, str], Faction], tech: str, name: str) -> Faction | None:
    """The faction a tech tree's faction name stands for, following its link to another tech tree."""
    faction = factions.get((tech, name))
    if faction and faction.linked_tech:
        faction = factions.get((faction.linked_tech, name))
    return faction if faction and not faction.linked_tech else None


def loading_screen(folder: Path) -> Path | None:
    """The picture the game shows while loading from `folder`: the first loading_screen.* in name order."""
    return min((path for path in folder.glob(LOADING_SCREEN) if path.is_file()), default=None)


def checked_pair(image: Path | None, audio: Path | None, source: str, skips: Skips) -> Pair | None:
    """Pair(image, audio, source) when the loading screen is a PNG or JPEG and the music exists, else None and a skip."""
    if image is None:
        skips.add("no loading screen", source)
    elif image_size(image) is None:
        skips.add("loading screen is no PNG or JPEG", f"{source}: {image.name}")
    elif audio is None:
        skips.add("no music", source)
    elif not audio.is_file():
        skips.add("music file not found", f"{source}: {audio}")
    else:
        return Pair(image, audio, source)
    return None


def faction_pair(faction: Faction, skips: Skips) -> Pair | None:
    """(loading screen, music) of a faction defined in its own tech tree."""
    if faction.linked_tech:
        skips.add("faction links to another tech tree's (paired there)", f"{faction.source} -> {faction.linked_tech}")
        return None
    return checked_pair(loading_screen(faction.folder), faction.music, faction.source, skips)


def scenario_pair(folder: Path, prefix: str, factions: dict[tuple[str, str], Faction], skips: Skips) -> Pair | None:
    """(scenario loading screen, music of its human player's faction), or None (and a skip)."""
    source = f"{prefix}:{folder.name}"
    image = loading_screen(folder)
    if image is None:
        skips.add("scenario has no loading screen of its own (the game shows the faction's)", source)
        return None
    try:
        scenario = ET.parse(folder / f"{folder.name}.xml").getroot()
    except (OSError, ET.ParseError):
        skips.add("scenario XML missing or not well-formed", source)
        return None
    humans = sorted({player.get("faction", "") for player in scenario.iter("player") if player.get("control") == "human"})
    if len(humans) != 1 or not humans[0]:
        skips.add("not exactly one human faction", f"{source}: {humans}")
        return None
    tech = scenario.find("tech-tree")
    faction = faction_of(factions, tech.get("value", "") if tech is not None else "", humans[0])
    if faction is None:
        skips.add("human faction not found in the scenario's tech tree", f"{source}: {humans[0]}")
        return None
    return checked_pair(image, faction.music, f"{source} (human faction {humans[0]})", skips)


def pairs(root: Path, made: Path, skips: Skips) -> list[Pair]:
    """Faction and scenario pairs of the megaglest-data unpacked under `root`; nothing is made."""
    data = root / DATA
    factions = load_factions(data / "techs", skips)
    found = [pair for faction in factions.values() if (pair := faction_pair(faction, skips))]
    for kind, prefix in SCENARIO_KINDS.items():
        for folder in sorted(p for p in (data / kind).glob("*") if p.is_dir()):
            if pair := scenario_pair(folder, prefix, factions, skips):
                found.append(pair)
    return sorted(found, key=lambda pair: (pair.source, str(pair.image), str(pair.audio)))
