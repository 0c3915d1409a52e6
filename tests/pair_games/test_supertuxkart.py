"""tools/pair_games/supertuxkart.py on a tiny synthetic supertuxkart-data tree."""

from __future__ import annotations

from pathlib import Path

import pytest
from build_pairs import Skips
from PIL import Image

from pair_games import supertuxkart
from tests.pair_games.files import picture, write

DATA = supertuxkart.DATA


def track(data: Path, name: str, **attributes: str) -> Path:
    """A track folder with a track.xml in the game's style; attribute names use _ for -."""
    lines = "\n".join(f'        {key.replace("_", "-"):<14} = "{value}"' for key, value in attributes.items())
    write(data / "tracks" / name / "track.xml", f'<?xml version="1.0"?>\n<track  name           = "{name.title()}"\n{lines}\n>\n</track>\n')
    return data / "tracks" / name


def music(folder: Path, name: str, audio: str | None, composer: str = "Someone") -> Path:
    """A .music descriptor; `audio` None writes one without a file attribute."""
    # fast-filename (the last-lap version, not used) is written before file, which is the one to use
    file_line = f'       fast-filename = "fast_{audio}"\n       file     = "{audio}"\n' if audio else ""
    return write(
        folder / name,
        f'<?xml version="1.0"?>\n<music title    = "{name}"\n       composer = "{composer}"\n{file_line}       gain = "1"/>\n',
    )


def run(tmp_path: Path) -> tuple[list[tuple[str, str, str]], Skips]:
    """pairs() of tmp_path/root, made files in tmp_path/made: the pairs as (image, audio, source), paths relative to
    tmp_path, and the skips."""
    skips = Skips()
    found = supertuxkart.pairs(tmp_path / "root", tmp_path / "made", skips)
    return [(str(p.image.relative_to(tmp_path)), str(p.audio.relative_to(tmp_path)), p.source) for p in found], skips


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "root"


IN_ROOT = f"root/{DATA}"  # where the data folder shows in the paths run() returns


def test_screenshot_with_music_found_in_the_track_folder_data_music_or_another_track(root: Path, tmp_path: Path) -> None:
    data = root / DATA
    music(data / "music", "subsea.music", "subsea.ogg")
    write(data / "music" / "subsea.ogg")
    abyss = track(data, "abyss", music="subsea.music", screenshot="screenshot.jpg")
    picture(abyss / "screenshot.jpg")
    # The arena's own descriptor has a raw '<' in an attribute, as BattleTheme1.music does; fast-filename is not used.
    colosseum = track(data, "colosseum", music="BattleTheme1.music", arena="Y", screenshot="shot.png")
    picture(colosseum / "shot.png")
    music(colosseum, "BattleTheme1.music", "Battle_Theme_1.ogg", composer="A. Z. <https://example.org/az>")
    write(colosseum / "Battle_Theme_1.ogg")
    write(colosseum / "fast_Battle_Theme_1.ogg")
    # A descriptor that lives in another track's folder is found by name, as the game indexes all of them.
    stadium = track(data, "stadium", music="BattleTheme1.music", soccer="Y", screenshot="stadium.png")
    picture(stadium / "stadium.png", colour=(200, 0, 0))

    pairs, skips = run(tmp_path)

    tracks = f"{IN_ROOT}/tracks"
    assert pairs == [
        (f"{tracks}/abyss/screenshot.jpg", f"{IN_ROOT}/music/subsea.ogg", "abyss"),
        (f"{tracks}/colosseum/shot.png", f"{tracks}/colosseum/Battle_Theme_1.ogg", "colosseum"),
        (f"{tracks}/stadium/stadium.png", f"{tracks}/colosseum/Battle_Theme_1.ogg", "stadium"),
    ]
    assert not skips.counts


def test_track_own_descriptor_wins_over_data_music(root: Path, tmp_path: Path) -> None:
    data = root / DATA
    music(data / "music", "theme.music", "generic.ogg")
    write(data / "music" / "generic.ogg")
    folder = track(data, "lighthouse", music="theme.music", screenshot="s.jpg")
    picture(folder / "s.jpg")
    music(folder, "theme.music", "own.ogg")
    write(folder / "own.ogg")

    pairs, _ = run(tmp_path)

    assert pairs == [(f"{IN_ROOT}/tracks/lighthouse/s.jpg", f"{IN_ROOT}/tracks/lighthouse/own.ogg", "lighthouse")]


def test_music_list_gives_a_pair_per_track_and_skips_the_ones_that_fail(root: Path, tmp_path: Path) -> None:
    data = root / DATA
    for name in ("a", "b"):
        music(data / "music", f"{name}.music", f"{name}.ogg")
        write(data / "music" / f"{name}.ogg", name.encode())  # different content, or they would count as copies
    music(data / "music", "silent.music", None)
    music(data / "music", "lost.music", "lost.ogg")
    folder = track(data, "mines", music="b.music a.music gone.music silent.music lost.music", screenshot="s.jpg")
    picture(folder / "s.jpg")

    pairs, skips = run(tmp_path)

    shot = f"{IN_ROOT}/tracks/mines/s.jpg"
    assert pairs == [(shot, f"{IN_ROOT}/music/a.ogg", "mines"), (shot, f"{IN_ROOT}/music/b.ogg", "mines")]
    assert skips.examples == {
        ".music file not found": ["mines: gone.music"],
        ".music file names no audio file": ["mines: silent.music"],
        "audio file of the .music file not found": ["mines: lost.music -> lost.ogg"],
    }


def test_unselectable_broken_and_incomplete_tracks_are_skipped(root: Path, tmp_path: Path) -> None:
    data = root / DATA
    music(data / "music", "hacienda.music", "hacienda.ogg")
    write(data / "music" / "hacienda.ogg")
    for name, flags in (("tutorial", {"internal": "y"}), ("gpwin", {"cutscene": "Y"})):
        picture(track(data, name, music="hacienda.music", screenshot="s.jpg", **flags) / "s.jpg")
    track(data, "noshot", music="hacienda.music", screenshot="missing.jpg")
    track(data, "noshotname", music="hacienda.music")
    picture(track(data, "silent", screenshot="s.jpg") / "s.jpg")
    write(data / "tracks" / "broken" / "track.xml", '<track name="Broken" music="hacienda.music"')
    write(track(data, "garbage", music="hacienda.music", screenshot="s.jpg") / "s.jpg", b"not a picture")
    picture(track(data, "hacienda", music="hacienda.music", screenshot="s.jpg", internal="N") / "s.jpg")

    pairs, skips = run(tmp_path)

    assert pairs == [(f"{IN_ROOT}/tracks/hacienda/s.jpg", f"{IN_ROOT}/music/hacienda.ogg", "hacienda")]
    assert skips.examples == {
        "internal or cutscene track (the player cannot choose it)": ["gpwin", "tutorial"],
        "screenshot file not found": ["noshot: 'missing.jpg'", "noshotname: ''"],
        "track.xml names no music": ["silent"],
        "track.xml is not well-formed XML": ["broken"],
        "screenshot is no picture Pillow can read": ["garbage: s.jpg"],
    }
    assert not (tmp_path / "made").exists()


def test_arena_copying_a_race_track_is_dropped_even_when_it_sorts_first(root: Path, tmp_path: Path) -> None:
    data = root / DATA
    music(data / "music", "fair.music", "fair.ogg")
    write(data / "music" / "fair.ogg", b"same tune")
    for name, kind in (("arena_city", {"arena": "Y"}), ("city", {})):
        picture(track(data, name, music="fair.music", screenshot="screenshot.jpg", **kind) / "screenshot.jpg")
    # Same music but its own screenshot: kept.
    picture(track(data, "city_soccer", music="fair.music", soccer="Y", screenshot="screenshot.jpg") / "screenshot.jpg", colour=(9, 9, 9))

    pairs, skips = run(tmp_path)

    assert [source for _, _, source in pairs] == ["city", "city_soccer"]
    assert skips.examples == {"same screenshot and music as another track": ["arena_city (as city)"]}


def test_screenshot_in_another_format_is_converted_to_png(root: Path, tmp_path: Path) -> None:
    data = root / DATA
    music(data / "music", "xeon.music", "xeon6.ogg")
    write(data / "music" / "xeon6.ogg")
    folder = track(data, "enterprise", music="xeon.music", screenshot="bild.bmp")
    picture(folder / "bild.bmp", colour=(1, 2, 3))

    pairs, skips = run(tmp_path)

    assert pairs == [("made/supertuxkart/enterprise.png", f"{IN_ROOT}/music/xeon6.ogg", "enterprise")]
    with Image.open(tmp_path / "made" / "supertuxkart" / "enterprise.png") as made:
        assert (made.format, made.size, made.getpixel((0, 0))) == ("PNG", (4, 3), (1, 2, 3))
    assert not skips.counts


def test_paths_are_absolute(root: Path, tmp_path: Path) -> None:
    data = root / DATA
    music(data / "music", "bay.music", "bay.ogg")
    write(data / "music" / "bay.ogg")
    picture(track(data, "minigolf", music="bay.music", screenshot="minigolf.jpg") / "minigolf.jpg")

    (pair,) = supertuxkart.pairs(root, tmp_path / "made", Skips())

    assert pair.image.is_absolute() and pair.audio.is_absolute()
    assert pair.audio == data / "music" / "bay.ogg"
