"""tools/pair_games/ardentryst.py on a tiny synthetic ardentryst tree."""

from __future__ import annotations

from pathlib import Path

import pytest
from build_pairs import Skips
from PIL import Image

from pair_games import ardentryst

MAPPING_PY = """import pygame, os
from helpers import *

def bgfortheme(theme):
    return {"Forest": "Forest_Backing.png",
            "Castle": "Forest_Backing.png",
            "Snow": "Snow_Backing.png",
            "Ghost": "Gone.png",
            }[theme]

def pbgfortheme(theme):
    return {
        "Forest": [
        ["trees_far.png", None, 0.3],
        ["trees_near.png", None, 1],
        ],
        "Castle": [["Castle_Backing.png", None, 1]],
        "Snow": [],
        "Ghost": [],
        }[theme]

def pfgfortheme(theme):
    return {"Forest": [["Forest_Fore1.png", None, 1.5]], "Castle": [], "Snow": [], "Ghost": []}[theme]
"""


def map_pickle(**attributes: str) -> bytes:
    """A level as the game pickled it: protocol 0, an INST of mapping.Map with its __dict__ (Python 2 str values)."""
    items = "".join(f"S'{key}'\nS'{value}'\ns" for key, value in attributes.items())
    return f"(imapping\nMap\np1\n(dp2\n{items}S'map'\n(lp3\nNaNasb.".encode("latin-1")


def layer(path: Path, size: tuple[int, int], fill: tuple[int, int, int, int], opaque_box: tuple[int, int, int, int] | None = None) -> None:
    """An RGBA picture of `fill`, with an opaque red box when given."""
    picture = Image.new("RGBA", size, fill)
    if opaque_box:
        picture.paste((255, 0, 0, 255), opaque_box)
    path.parent.mkdir(parents=True, exist_ok=True)
    picture.save(path)


@pytest.fixture
def game(tmp_path: Path) -> Path:
    """A game folder with mapping.py, the theme pictures and three tracks; levels are added by each test."""
    game = tmp_path / "root" / ardentryst.GAME
    data = game / "Data"
    layer(data / "Forest_Backing.png", (640, 480), (0, 0, 255, 128))
    layer(data / "trees_far.png", (640, 480), (0, 0, 0, 0), (0, 0, 10, 10))
    layer(data / "trees_near.png", (700, 500), (0, 0, 0, 0), (630, 470, 700, 500))
    layer(data / "Castle_Backing.png", (640, 480), (0, 255, 0, 255))
    Image.new("RGB", (640, 480), (200, 200, 255)).save(data / "Snow_Backing.png")
    (game / "mapping.py").write_text(MAPPING_PY, encoding="utf-8")
    for track in ("castle.ogg", "Sempridge.ogg", "Snodom.ogg"):
        (game / "Music").mkdir(exist_ok=True)
        (game / "Music" / track).write_bytes(b"")
    (game / "Levels").mkdir()
    return game


def add_level(game: Path, name: str, content: bytes) -> None:
    (game / "Levels" / name).write_bytes(content)


def run(game: Path) -> tuple[list[tuple[str, str, str]], Skips]:
    """pairs() as (image, audio, source), paths relative to the folder holding root/ and made/, and the skips."""
    skips = Skips()
    base = game.parents[4]
    found = ardentryst.pairs(base / "root", base / "made", skips)
    return [(str(p.image.relative_to(base)), str(p.audio.relative_to(base)), p.source) for p in found], skips


def test_levels_pair_their_theme_backdrop_with_their_music(game):
    add_level(game, "Entarya1", map_pickle(bgmusic="castle.ogg", theme="Castle", name="Amee's Castle"))
    add_level(game, "Entarya1.script", b"# not a level\n")
    add_level(game, "Entarya1.npcs", b"# not a level either\n")
    add_level(game, "Sempridge1", map_pickle(bgmusic="Sempridge.ogg", theme="Forest"))
    add_level(game, "Snodom1", map_pickle(bgmusic="Snodom.ogg", theme="Snow"))

    found, skips = run(game)

    data, music = "root/usr/share/games/ardentryst/Data", "root/usr/share/games/ardentryst/Music"
    assert found == [
        ("made/ardentryst/theme_Castle.png", f"{music}/castle.ogg", "Entarya1"),
        ("made/ardentryst/theme_Forest.png", f"{music}/Sempridge.ogg", "Sempridge1"),
        (f"{data}/Snow_Backing.png", f"{music}/Snodom.ogg", "Snodom1"),
    ]
    assert not skips.counts


def test_composite_is_the_screen_at_level_start(game):
    add_level(game, "Sempridge1", map_pickle(bgmusic="Sempridge.ogg", theme="Forest"))
    add_level(game, "Entarya1", map_pickle(bgmusic="castle.ogg", theme="Castle"))
    run(game)
    made = game.parents[4] / "made" / "ardentryst"

    forest = Image.open(made / "theme_Forest.png")
    assert forest.mode == "RGB" and forest.size == (640, 480)
    assert forest.getpixel((320, 240)) == (12, 12, 140)  # half-transparent blue backing over the (25, 25, 25) fill
    assert forest.getpixel((5, 5)) == (255, 0, 0)  # the far parallax layer, drawn at x = 0
    assert forest.getpixel((635, 475)) == (255, 0, 0)  # the near layer, larger than the screen, cut at its edge
    assert Image.open(made / "theme_Castle.png").getpixel((0, 0)) == (0, 255, 0)  # the opaque layer hides the backing


def test_level_pickle_cannot_run_code(game, tmp_path):
    marker = tmp_path / "ran"
    add_level(game, "Evil", f"cos\nsystem\n(S'touch {marker}'\ntR.".encode())

    found, skips = run(game)

    assert not marker.exists()
    assert found == []
    assert skips.examples == {"level without bgmusic": ["Evil"]}


def test_unreadable_levels_missing_music_and_unknown_themes_are_skipped(game):
    add_level(game, "Broken", map_pickle(bgmusic="castle.ogg", theme="Castle")[:40])
    add_level(game, "Silent", map_pickle(theme="Forest"))
    add_level(game, "Lost", map_pickle(bgmusic="gone.ogg", theme="Forest"))
    add_level(game, "Strange", map_pickle(bgmusic="castle.ogg", theme="Desert"))
    add_level(game, "Haunted", map_pickle(bgmusic="castle.ogg", theme="Ghost"))

    found, skips = run(game)

    assert found == []
    assert {reason: examples for reason, examples in skips.examples.items() if reason != "unreadable level pickle"} == {
        "level without bgmusic": ["Silent"],
        "music file missing": ["Lost: gone.ogg"],
        "theme without a backing picture in mapping.py": ["Strange: Desert"],
        "background layer missing": ["Haunted: Gone.png"],
    }
    assert skips.counts["unreadable level pickle"] == 1
    assert skips.examples["unreadable level pickle"][0].startswith("Broken: ")


def test_levels_sharing_theme_and_music_give_one_pair_for_the_first(game):
    for name in ("Snodom2", "Snodom1", "Snodom3"):
        add_level(game, name, map_pickle(bgmusic="Snodom.ogg", theme="Snow"))

    found, skips = run(game)

    assert [source for _, _, source in found] == ["Snodom1"]
    assert skips.examples == {"same picture and music as an earlier level": ["Snodom2 (as Snodom1)", "Snodom3 (as Snodom1)"]}


def test_theme_tables_read_without_running_mapping_py(tmp_path):
    mapping = tmp_path / "mapping.py"
    mapping.write_text(f"raise SystemExit('ran')\n{MAPPING_PY}", encoding="utf-8")

    tables = ardentryst.theme_tables(mapping)

    assert ardentryst.theme_layers(tables, "Forest") == ["Forest_Backing.png", "trees_far.png", "trees_near.png"]
    assert ardentryst.theme_layers(tables, "Snow") == ["Snow_Backing.png"]
    assert ardentryst.theme_layers(tables, "Desert") is None
