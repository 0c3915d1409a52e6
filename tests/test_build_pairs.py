"""tools/build_pairs.py: its SuperTux and Wesnoth parsers on small inline samples, without network or packages."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import load_tool

bp = load_tool("build_pairs")


def png_bytes(width: int, height: int) -> bytes:
    """A PNG signature and IHDR chunk (all the script reads) of an 8-bit RGB image."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))


def jpeg_bytes(width: int, height: int) -> bytes:
    """SOI, an APP0 segment and a baseline SOF0 header of a grey JPEG."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------------ SuperTux

STL_LEVEL = r"""
(supertux-level
  (version 3)
  (name (_ "A \"quoted\" level"))  ; a comment
  (sector
    (name "main")
    (background
      (image-top "images/background/misc/transparent_up.png")
      (image "/images/background/forest_para2.png")
      (image-bottom "images/background/BlueRock_Forest/blue-bottom.jpg")
      (z-pos -200))
    (background (image "/images/background/fog.png") (speed 0.5))
    (background (image "images/background/nightsky/nightsky_middle.png"))
    (tilemap (solid #t) (tiles 0 0 12 13 0))
    (music (file "/music/forest-map.music")))
  (sector
    (name "bonus")
    (gradient (top_color 0 0 1) (bottom_color 1 1 1))
    (music (file "music/antarctic/chipdisko.ogg")))
  (sector
    (name "again")
    (background (image "images/background/nightsky/nightsky_middle.png"))
    (music "forest\\forest-map.music")))
"""


def test_parse_sexpr_reads_strings_symbols_and_nesting():
    (level,) = bp.parse_sexpr(STL_LEVEL)
    assert level[0] == "supertux-level" and isinstance(level[0], bp.Symbol)
    assert bp.children(level, "name")[0][1] == [bp.Symbol("_"), 'A "quoted" level']
    assert [bp.string_value(s, "name") for s in bp.children(level, "sector")] == ["main", "bonus", "again"]
    with pytest.raises(ValueError, match="unbalanced"):
        bp.parse_sexpr('(sector (name "x")')


def test_sector_images_keeps_each_objects_picture_without_overlays():
    main, bonus, again = bp.children(bp.parse_sexpr(STL_LEVEL)[0], "sector")
    assert bp.sector_images(main) == ["/images/background/forest_para2.png", "images/background/nightsky/nightsky_middle.png"]
    assert bp.sector_images(bonus) == []
    assert bp.string_value(main, "music") == "/music/forest-map.music"
    assert bp.string_value(again, "music") == "forest\\forest-map.music"
    (text_screen,) = bp.parse_sexpr('(supertux-text (background "halloween/intro.jpg") (music "music/voc-dark.music") (text "-Hi"))')
    assert bp.sector_images(text_screen) == ["halloween/intro.jpg"]


def test_music_file_names_its_ogg(tmp_path):
    music = write(tmp_path / "forest-map.music", '(supertux-music\n  (file "forestmap.ogg")\n  (loop-begin 0)\n  (loop-at 20)\n)')
    assert bp.music_target(music) == "forestmap.ogg"


@pytest.fixture
def supertux_root(tmp_path) -> Path:
    root = tmp_path / "supertux2"
    write(root / "images/background/forest/forest_para2.png", png_bytes(400, 400))
    write(root / "images/background/nightsky/nightsky_middle.png", png_bytes(800, 600))
    write(root / "images/background/misc/fog.png", png_bytes(1280, 256))
    write(root / "music/forest/forest-map.music", '(supertux-music (file "forestmap.ogg"))')
    write(root / "music/forest/forestmap.ogg", b"OggS")
    write(root / "music/antarctic/chipdisko.ogg", b"OggS")
    write(root / "levels/world1/forest.stl", STL_LEVEL)
    write(root / "levels/test/skipped.stl", STL_LEVEL)
    return root


def test_supertux_resolves_moved_files_and_music_indirection(supertux_root):
    data = bp.SuperTuxData(supertux_root)
    assert data.image("/images/background/forest_para2.png") == supertux_root / "images/background/forest/forest_para2.png"
    assert data.image("images/background/forest_para2.jpg") == supertux_root / "images/background/forest/forest_para2.png"
    assert data.track("/music/forest-map.music") == supertux_root / "music/forest/forestmap.ogg"
    assert data.track("forest\\forest-map.music") == supertux_root / "music/forest/forestmap.ogg"
    assert data.track("music/chipdisko.ogg") == supertux_root / "music/antarctic/chipdisko.ogg"
    assert data.track("music/missing.ogg") is None


def test_supertux_pairs_one_per_sector_largest_layer_deduplicated(supertux_root):
    skips = bp.Skips()
    pairs = bp.supertux_pairs(bp.SuperTuxData(supertux_root), skips)
    night = supertux_root / "images/background/nightsky/nightsky_middle.png"
    ogg = supertux_root / "music/forest/forestmap.ogg"
    assert pairs == [bp.Pair(night, ogg, "world1/forest")]  # sectors "main" and "again" give the same pair
    assert skips.counts == {"no background picture (none, or only overlays)": 1}


def test_image_size_reads_png_and_jpeg_headers(tmp_path):
    assert bp.image_size(write(tmp_path / "a.png", png_bytes(640, 480))) == (640, 480)
    assert bp.image_size(write(tmp_path / "b.jpg", jpeg_bytes(300, 200))) == (300, 200)
    assert bp.image_size(write(tmp_path / "c.png", b"GIF89a")) is None
    paths = [tmp_path / "a.png", tmp_path / "b.jpg", tmp_path / "c.png"]
    assert bp.largest_image(paths) == tmp_path / "a.png"


# ------------------------------------------------------------------------------------------------ Wesnoth

CORE_MACROS = """
#define SCENARIO_MUSIC MUSIC
    [music]
        name="revelation.ogg"
    [/music]
#enddef
#define STORY_PART_PORTRAIT WHO TEXT
    [part]
        background=portraits/{WHO}.png~FL()
        story={TEXT}
    [/part]
#enddef
"""

SCENARIO = """#textdomain wesnoth-test
# A scenario with music macros and a story; # starts comments, except in "strings # like this".
[scenario]
    id=01_Test
    name= _ "Test # scenario"
    {INTRO_AND_SCENARIO_MUSIC "knolls.ogg" battle.ogg}
    {EXTRA_SCENARIO_MUSIC "wanderer.ogg"}
#define LOCAL_PART IMAGE
        [part]
            [background_layer]
                image=maps/background.jpg
            [/background_layer]
            [background_layer]
                image=story/{IMAGE}
            [/background_layer]
        [/part]
#enddef
    [story]
        [part]
            background=maps/test.png
            story= _ "The map, with a [part] and a key=value in the text."
        [/part]
        {LOCAL_PART landscape.jpg}
        [part]
            story= _ "Only text."
        [/part]
#ifdef HARD
        {STORY_PART_PORTRAIT hard (_ "Not on normal.")}
#else
        {STORY_PART_PORTRAIT hero (_ "Hello, "+"world")}
#endif
        [part]
            music=sad.ogg
            background="misc/blank-hex.png~BG(0,0,0)~SCALE(1920,1080)~BLIT(story/landscape.jpg,640,0)"
        [/part]
        {LOCAL_PART landscape.jpg}
    [/story]
    [event]
        name=turn 2
        [music]
            name=frantic.ogg
        [/music]
    [/event]
[/scenario]
"""


def test_preprocess_strips_comments_and_keeps_normal_branches() -> None:
    macros: dict[str, Any] = {}
    text = bp.preprocess(SCENARIO, macros, frozenset({"NORMAL"}))
    assert "#textdomain" not in text and "A scenario with" not in text
    assert 'name= _ "Test # scenario"' in text
    assert "STORY_PART_PORTRAIT hero" in text and "STORY_PART_PORTRAIT hard" not in text
    assert macros["LOCAL_PART"].params == ("IMAGE",) and "image=story/{IMAGE}" in macros["LOCAL_PART"].body


def test_enddef_may_end_a_body_line() -> None:
    macros: dict[str, Any] = {}
    bp.preprocess("#define SOUNDS\nmagic-[1~4].ogg #enddef\nafter", macros, frozenset())
    assert macros["SOUNDS"] == bp.Macro((), "magic-[1~4].ogg ")


def test_expand_substitutes_arguments_words_quotes_and_groups():
    macros = {"PAIR": bp.Macro(("A", "B"), "a={A}\nb={B}"), "WRAP": bp.Macro(("X",), "[w]\n{X}\n[/w]")}
    assert bp.split_macro_call('PAIR "x y" (_ "z (1)")') == ["PAIR", '"x y"', '_ "z (1)"']
    assert bp.expand('{WRAP ({PAIR 1 "two"})}', macros) == '[w]\na=1\nb="two"\n[/w]'
    assert bp.expand("{campaigns/Test/utils/file.cfg}{UNKNOWN 1}{PAIR only_one}x", macros) == "x"


def test_parse_wml_builds_tags_and_attributes():
    tree = bp.parse_wml('[a]\n  k= _ "text with [tags] and = signs"\n  x,y=1,2\n  [b]\n    n=v\n  [/b]\n  [+b]\n    m=w\n  [/b]\n[/a]\n')
    (a,) = tree.all("a")
    assert a.attrs == {"k": "text with [tags] and = signs", "x,y": "1,2"}
    (b,) = a.all("b")
    assert b.attrs == {"n": "v", "m": "w"}


def test_story_entries_follow_part_music_and_intro_track() -> None:
    macros: dict[str, Any] = {}
    bp.preprocess(CORE_MACROS, macros, frozenset({"NORMAL"}))
    local: dict[str, Any] = macros | bp.MUSIC_MACROS
    text = bp.preprocess(SCENARIO, local, frozenset({"NORMAL"}))
    (scenario,) = bp.parse_wml(bp.expand(text, local)).all("scenario")
    assert bp.scenario_track(scenario) == "knolls.ogg"  # the intro track, not the core macro's revelation.ogg
    entries = list(bp.story_entries(scenario))
    assert entries == [
        (["maps/test.png"], "knolls.ogg"),
        (["maps/background.jpg", "story/landscape.jpg"], "knolls.ogg"),
        ([], "knolls.ogg"),
        (["portraits/hero.png"], "knolls.ogg"),
        (["misc/blank-hex.png", "story/landscape.jpg"], "sad.ogg"),
        (["maps/background.jpg", "story/landscape.jpg"], "sad.ogg"),
    ]
    assert [bp.story_picture(names) for names, _ in entries] == [
        None,
        "story/landscape.jpg",
        None,
        "portraits/hero.png",
        "story/landscape.jpg",
        "story/landscape.jpg",
    ]


def first_track(wml: str) -> str | None:
    (scenario,) = bp.parse_wml(bp.expand(wml, dict(bp.MUSIC_MACROS))).all("scenario")
    return bp.scenario_track(scenario)


def test_scenario_track_with_plain_scenario_music_and_events():
    later = "[event]\nname=turn 3\n[music]\nname=sad.ogg\n[/music]\n[/event]\n"
    prestart = "[event]\nname=prestart\n[music]\nname=knolls.ogg,battle.ogg\n[/music]\n[/event]\n"
    assert first_track("[scenario]\n{SCENARIO_MUSIC loyalists.ogg}\n{EXTRA_SCENARIO_MUSIC battle.ogg}\n[/scenario]") == "loyalists.ogg"
    assert first_track(f"[scenario]\n{later}{prestart}[/scenario]") == "knolls.ogg"
    assert first_track(f"[scenario]\n{{DEFAULT_MUSIC_PLAYLIST}}\n{later}[/scenario]") is None


def test_wesnoth_pairs_on_a_small_campaign(tmp_path):
    root = tmp_path / "wesnoth"
    write(root / "data/core/macros/music.cfg", CORE_MACROS)
    write(root / "data/core/music/knolls.ogg", b"OggS")
    write(root / "data/core/music/sad.ogg", b"OggS")
    write(root / "data/core/images/story/landscape.jpg", jpeg_bytes(1024, 768))
    campaign = root / "data/campaigns/Test_Campaign"
    write(campaign / "_main.cfg", "[campaign]\n    define=CAMPAIGN_TEST\n[/campaign]\n")
    write(campaign / "images/portraits/hero.png", png_bytes(300, 400))
    write(campaign / "scenarios/01_Test.cfg", SCENARIO)
    skips = bp.Skips()
    pairs = bp.wesnoth_pairs(root, skips)
    landscape, hero = root / "data/core/images/story/landscape.jpg", campaign / "images/portraits/hero.png"
    knolls, sad = root / "data/core/music/knolls.ogg", root / "data/core/music/sad.ogg"
    source = "Test_Campaign/01_Test"
    assert pairs == [bp.Pair(landscape, knolls, source), bp.Pair(hero, knolls, source), bp.Pair(landscape, sad, source)]
    assert skips.counts == {"story part with only a map, black fill or blank": 1, "story part without background (text only)": 1}


def test_write_tsv(tmp_path):
    pair = bp.Pair(Path("/data/a.png"), Path("/data/b.ogg"), "world1/level")
    bp.write_tsv([pair], tmp_path / "out" / "set.tsv")
    assert (tmp_path / "out" / "set.tsv").read_text() == "image\taudio\tsource\n/data/a.png\t/data/b.ogg\tworld1/level\n"
