"""tools/pair_games/megaglest.py on a tiny synthetic megaglest-data tree."""

from __future__ import annotations

from pathlib import Path

import pytest
from build_pairs import Skips

from pair_games import megaglest
from tests.pair_games.files import picture, write

IN_ROOT = f"root/{megaglest.DATA}"  # where the data folder shows in the paths run() returns


def faction(
    data: Path, tech: str, name: str, music: str | None = "music/theme.ogg", value: str = "true", loading_screen: bool = True
) -> Path:
    """A faction folder with its XML in the game's style (music None leaves the element out), music file and loading screen."""
    folder = data / "techs" / tech / "factions" / name
    if loading_screen:
        picture(folder / "loading_screen.jpg")
    music_line = f'\t<music value="{value}" path="{music}"/>\n' if music else ""
    write(folder / f"{name}.xml", f'<?xml version="1.0" standalone="no"?>\n<faction>\n\t<starting-resources/>\n{music_line}</faction>\n')
    if music:
        write(folder / music, b"")
    return folder


def linked_faction(data: Path, tech: str, name: str, target: str) -> Path:
    folder = data / "techs" / tech / "factions" / name
    write(folder / f"{name}.xml", f'<?xml version="1.0" standalone="no"?>\n\n<link>\n    <techtree name="{target}"/>\n</link>\n')
    return folder


def scenario(data: Path, kind: str, name: str, players: list[tuple[str, str]], tech: str = "megapack") -> Path:
    """A scenario folder with its XML in the game's style, `players` given as (control, faction)."""
    rows = "".join(f'\t\t<player control="{control}" faction="{fac}" team="1"/>\n' for control, fac in players)
    xml = (
        '<?xml version="1.0" standalone="yes" ?>\n<scenario>\n\t<difficulty value="3"/>\n'
        f'\t<players>\n{rows}\t\t<player control="closed"/>\n\t</players>\n'
        f'\t<map value="in_the_forest"/>\n\t<tech-tree value="{tech}"/>\n'
        "\t<scripts>\n\t\t<startup>\n\t\t\tdisableAi(1)\n\t\t</startup>\n\t</scripts>\n</scenario>\n"
    )
    write(data / kind / name / f"{name}.xml", xml)
    return data / kind / name


def run(tmp_path: Path) -> tuple[list[tuple[str, str, str]], Skips]:
    """pairs() of tmp_path/root: the pairs as (image, audio, source), paths relative to tmp_path, and the skips."""
    skips = Skips()
    found = megaglest.pairs(tmp_path / "root", tmp_path / "made", skips)
    return [(str(p.image.relative_to(tmp_path)), str(p.audio.relative_to(tmp_path)), p.source) for p in found], skips


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "root" / megaglest.DATA


def test_factions_pair_their_loading_screen_with_their_music(data: Path, tmp_path: Path) -> None:
    faction(data, "megapack", "egypt", "music/asak.ogg")
    tech = faction(data, "megapack", "tech", "music/music_tech.ogg")
    picture(tech / "loading_screen.png")  # the game takes the first in name order, the .jpg
    picture(tech / "preview_screen.jpg")
    faction(data, "megapack", "romans", value="false")
    faction(data, "megapack", "quiet", music=None)
    faction(data, "megapack", "persian", loading_screen=False)
    write(faction(data, "megapack", "bmp", loading_screen=False) / "loading_screen.bmp", b"BM not a PNG or JPEG")
    picture(data / "techs/megapack/factions/noxml/loading_screen.jpg")
    picture(linked_faction(data, "magitech", "magic", "megapack") / "loading_screen.jpg")
    (data / "techs/magitech/factions/tech").mkdir(parents=True)
    (data / "techs/magitech/factions/tech/tech.xml").symlink_to("../magic/magic.xml")
    norse = faction(data, "megapack", "norsemen", "music/lost.ogg")
    (norse / "music/lost.ogg").unlink()

    pairs, skips = run(tmp_path)

    factions = f"{IN_ROOT}/techs/megapack/factions"
    assert pairs == [
        (f"{factions}/egypt/loading_screen.jpg", f"{factions}/egypt/music/asak.ogg", "faction:megapack/egypt"),
        (f"{factions}/tech/loading_screen.jpg", f"{factions}/tech/music/music_tech.ogg", "faction:megapack/tech"),
    ]
    assert skips.examples == {
        "faction links to another tech tree's (paired there)": ["faction:magitech/magic -> megapack", "faction:magitech/tech -> megapack"],
        "faction XML missing or not well-formed": ["megapack/noxml"],
        "loading screen is no PNG or JPEG": ["faction:megapack/bmp: loading_screen.bmp"],
        "no loading screen": ["faction:megapack/persian"],
        "music file not found": [f"faction:megapack/norsemen: {norse / 'music/lost.ogg'}"],
        "no music": ["faction:megapack/quiet", "faction:megapack/romans"],
    }


def test_scenarios_pair_their_loading_screen_with_the_human_factions_music(data: Path, tmp_path: Path) -> None:
    faction(data, "megapack", "tech", "music/music_tech.ogg")
    faction(data, "megapack", "magic", "music/music_magic.ogg")
    linked_faction(data, "magitech", "magic", "megapack")
    picture(
        scenario(data, "scenarios", "amazones", [("human", "tech"), ("cpu-ultra", "norsemen"), ("cpu-ultra", "tech")])
        / "loading_screen.jpg"
    )
    # A scenario on a tech tree whose faction links to megapack plays megapack's music.
    picture(scenario(data, "scenarios", "mixed", [("cpu", "tech"), ("human", "magic")], tech="magitech") / "loading_screen.jpg")
    picture(scenario(data, "tutorials", "1_very_basic_tutorial", [("human", "magic"), ("cpu", "tech")]) / "loading_screen.jpg")

    pairs, skips = run(tmp_path)

    music = f"{IN_ROOT}/techs/megapack/factions"
    assert pairs[2:] == [
        (
            f"{IN_ROOT}/scenarios/amazones/loading_screen.jpg",
            f"{music}/tech/music/music_tech.ogg",
            "scenario:amazones (human faction tech)",
        ),
        (f"{IN_ROOT}/scenarios/mixed/loading_screen.jpg", f"{music}/magic/music/music_magic.ogg", "scenario:mixed (human faction magic)"),
        (
            f"{IN_ROOT}/tutorials/1_very_basic_tutorial/loading_screen.jpg",
            f"{music}/magic/music/music_magic.ogg",
            "tutorial:1_very_basic_tutorial (human faction magic)",
        ),
    ]
    assert [source for _, _, source in pairs[:2]] == ["faction:megapack/magic", "faction:megapack/tech"]
    assert skips.examples == {"faction links to another tech tree's (paired there)": ["faction:magitech/magic -> megapack"]}


def test_scenarios_without_own_picture_or_one_human_faction_are_skipped(data: Path, tmp_path: Path) -> None:
    faction(data, "megapack", "tech", "music/music_tech.ogg")
    faction(data, "megapack", "romans", value="false")
    scenario(data, "scenarios", "beginner_2", [("human", "tech"), ("cpu-easy", "magic")])  # no loading screen
    picture(scenario(data, "scenarios", "lan", [("human", "tech"), ("human", "romans")]) / "loading_screen.jpg")
    picture(scenario(data, "scenarios", "watch", [("cpu", "tech"), ("cpu", "tech")]) / "loading_screen.jpg")
    picture(scenario(data, "scenarios", "elves", [("human", "elves")]) / "loading_screen.jpg")
    picture(scenario(data, "scenarios", "quiet", [("human", "romans")]) / "loading_screen.jpg")
    picture(scenario(data, "scenarios", "other_tree", [("human", "tech")], tech="nowhere") / "loading_screen.jpg")
    picture(data / "scenarios/noxml/loading_screen.jpg")
    picture(scenario(data, "scenarios", "coop", [("human", "tech"), ("human", "tech")]) / "loading_screen.jpg")

    pairs, skips = run(tmp_path)

    tech_music = f"{IN_ROOT}/techs/megapack/factions/tech/music/music_tech.ogg"
    assert pairs == [
        (f"{IN_ROOT}/techs/megapack/factions/tech/loading_screen.jpg", tech_music, "faction:megapack/tech"),
        (f"{IN_ROOT}/scenarios/coop/loading_screen.jpg", tech_music, "scenario:coop (human faction tech)"),
    ]
    assert skips.examples == {
        "scenario has no loading screen of its own (the game shows the faction's)": ["scenario:beginner_2"],
        "not exactly one human faction": ["scenario:lan: ['romans', 'tech']", "scenario:watch: []"],
        "human faction not found in the scenario's tech tree": ["scenario:elves: elves", "scenario:other_tree: tech"],
        "scenario XML missing or not well-formed": ["scenario:noxml"],
        "no music": ["faction:megapack/romans", "scenario:quiet (human faction romans)"],
    }
