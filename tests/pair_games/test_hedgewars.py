"""tools/pair_games/hedgewars.py on a tiny synthetic hedgewars-data tree, its composited pictures included."""

from __future__ import annotations

from pathlib import Path

from build_pairs import Skips
from PIL import Image

from pair_games import hedgewars
from tests.pair_games.files import write

SKY = (17, 34, 51)
SKY_SPRITE = (200, 10, 10)
HORIZONT = (10, 200, 10)
LAND = (10, 10, 200)
BORDER = (255, 200, 90)
# Sprites 8 pixels wide, bottom-aligned at y=640 once scaled by 1.25: Sky.png spans y=140..640 and horizont.png
# y=515..640, both mostly above the land, whose top lies between y=534 and y=618.
ABOVE_ALL = (640, 20)
IN_SKY_SPRITE = (640, 300)
IN_HORIZONT = (640, 520)
ON_LAND_EDGE = (640, 560)  # the outline's y at x=640 is 576 - 28 + 14 sin(1), about 560
IN_LAND = (640, 700)


def sprite(path: Path, size: tuple[int, int], colour: tuple[int, int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGBA", size, (*colour, 255)).save(path)


def theme(data: Path, name: str, cfg: str, sprites: tuple[str, ...] = ("Sky.png", "horizont.png", "LandTex.png")) -> Path:
    """A theme folder with the theme.cfg text and some of the solid-colour sprites."""
    folder = data / "Themes" / name
    write(folder / "theme.cfg", cfg)
    sizes = {"Sky.png": ((8, 400), SKY_SPRITE), "horizont.png": ((8, 100), HORIZONT), "LandTex.png": ((16, 16), LAND)}
    for sprite_name in sprites:
        sprite(folder / sprite_name, *sizes[sprite_name])
    return folder


def cfg(music: str | None = "Nature.ogg", *extra: str) -> str:
    """A theme.cfg in the game's style: colours, music, then the `extra` lines and objects that are not used."""
    lines = ["sky = 17, 34, 51", "border = 255, 200, 90", "water-top = $25, $5B, $1F"]
    lines += [f"music = {music}"] if music else []
    return "\n".join([*lines, *extra, "clouds = 9", "object = plant1, 3, 65, 258, 80, 2, 1, 0, 0, 240, 215", ""])


def music(data: Path, *names: str) -> None:
    for name in names:
        write(data / "Music" / name)


def run(tmp_path: Path) -> tuple[list[tuple[str, str, str]], Skips]:
    """pairs() of tmp_path/root, made files in tmp_path/made: the pairs as (image, audio, source), paths relative to
    tmp_path, and the skips."""
    skips = Skips()
    found = hedgewars.pairs(tmp_path / "root", tmp_path / "made", skips)
    return [(str(p.image.relative_to(tmp_path)), str(p.audio.relative_to(tmp_path)), p.source) for p in found], skips


IN_ROOT = f"root/{hedgewars.DATA}"  # where the data folder shows in the paths run() returns


def test_composite_has_the_canvas_size_and_its_layers_in_order(tmp_path: Path) -> None:
    data = tmp_path / "root" / hedgewars.DATA
    theme(data, "Nature", cfg())
    music(data, "Nature.ogg")

    pairs, skips = run(tmp_path)

    assert pairs == [("made/hedgewars/Nature.png", f"{IN_ROOT}/Music/Nature.ogg", "Nature")]
    assert not skips.counts
    with Image.open(tmp_path / "made" / "hedgewars" / "Nature.png") as picture:
        assert (picture.format, picture.size) == ("PNG", (1280, 720))
        shown = {point: picture.getpixel(point) for point in (ABOVE_ALL, IN_SKY_SPRITE, IN_HORIZONT, ON_LAND_EDGE, IN_LAND)}
    assert shown == {ABOVE_ALL: SKY, IN_SKY_SPRITE: SKY_SPRITE, IN_HORIZONT: HORIZONT, ON_LAND_EDGE: BORDER, IN_LAND: LAND}


def test_theme_without_land_texture_shows_the_sky_colour_below_the_horizon(tmp_path: Path) -> None:
    data = tmp_path / "root" / hedgewars.DATA
    theme(data, "Bare", cfg(), sprites=("Sky.png",))
    music(data, "Nature.ogg")

    pairs, _ = run(tmp_path)

    assert [source for _, _, source in pairs] == ["Bare"]
    with Image.open(tmp_path / "made" / "hedgewars" / "Bare.png") as picture:
        assert [picture.getpixel(p) for p in (ABOVE_ALL, IN_HORIZONT, IN_LAND)] == [SKY, SKY_SPRITE, SKY]


def test_theme_with_only_horizont_is_kept_one_without_either_sprite_is_skipped(tmp_path: Path) -> None:
    data = tmp_path / "root" / hedgewars.DATA
    theme(data, "Blox", cfg(None, "hidden = true", "music = Nature.ogg"), sprites=("horizont.png", "LandTex.png"))
    theme(data, "Plain", cfg(), sprites=("LandTex.png",))
    music(data, "Nature.ogg")

    pairs, skips = run(tmp_path)

    assert pairs == [("made/hedgewars/Blox.png", f"{IN_ROOT}/Music/Nature.ogg", "Blox")]
    assert skips.examples == {"theme has neither Sky.png nor horizont.png": ["Plain"]}
    assert not (tmp_path / "made" / "hedgewars" / "Plain.png").exists()
    with Image.open(tmp_path / "made" / "hedgewars" / "Blox.png") as picture:
        assert [picture.getpixel(p) for p in (IN_SKY_SPRITE, IN_HORIZONT)] == [SKY, HORIZONT]


def test_sudden_death_music_is_a_second_pair_unless_it_is_missing_or_the_same(tmp_path: Path) -> None:
    data = tmp_path / "root" / hedgewars.DATA
    theme(data, "Halloween", cfg("Halloween.ogg", "sd-music = hell.ogg"))
    theme(data, "Hell", cfg("hell.ogg", "sd-music = hell.ogg"))
    theme(data, "Olympics", cfg("Olympics.ogg", "sd-music = olympics_sd.ogg"))
    music(data, "Halloween.ogg", "hell.ogg", "Olympics.ogg", "sdmusic.ogg")

    pairs, skips = run(tmp_path)

    assert pairs == [
        ("made/hedgewars/Halloween.png", f"{IN_ROOT}/Music/Halloween.ogg", "Halloween"),
        ("made/hedgewars/Halloween.png", f"{IN_ROOT}/Music/hell.ogg", "Halloween"),
        ("made/hedgewars/Hell.png", f"{IN_ROOT}/Music/hell.ogg", "Hell"),
        ("made/hedgewars/Olympics.png", f"{IN_ROOT}/Music/Olympics.ogg", "Olympics"),
    ]
    assert skips.examples == {
        "sudden-death music is the theme's music": ["Hell: hell.ogg"],
        "sudden-death music not found": ["Olympics: olympics_sd.ogg"],
    }


def test_theme_without_usable_music_is_skipped_and_no_picture_made(tmp_path: Path) -> None:
    data = tmp_path / "root" / hedgewars.DATA
    theme(data, "Silent", cfg(None))
    theme(data, "Lost", cfg("lost.ogg"))
    music(data, "Nature.ogg")

    pairs, skips = run(tmp_path)

    assert pairs == []
    assert skips.examples == {"theme.cfg names no music": ["Silent"], "theme music not found": ["Lost: lost.ogg"]}
    assert not (tmp_path / "made").exists()


def test_land_texture_transparency_lets_the_sky_through(tmp_path: Path) -> None:
    data = tmp_path / "root" / hedgewars.DATA
    folder = theme(data, "Holes", cfg(), sprites=("Sky.png",))
    texture = Image.new("RGBA", (16, 16), (*LAND, 255))
    texture.paste((0, 0, 0, 0), (0, 0, 8, 16))  # left half transparent: columns 0..9 of each 20-pixel tile once scaled
    texture.save(folder / "LandTex.png")
    music(data, "Nature.ogg")

    run(tmp_path)

    with Image.open(tmp_path / "made" / "hedgewars" / "Holes.png") as picture:
        assert [picture.getpixel((x, 700)) for x in (645, 655)] == [SKY, LAND]


def test_theme_cfg_comments_key_case_and_colour_fallbacks(tmp_path: Path) -> None:
    data = tmp_path / "root" / hedgewars.DATA
    text = "# music = Wrong.ogg\n; sky = 1, 2, 3\nSky = $FF, $80, 0\nborder = grey\nMusic = Nature.ogg\n"
    theme(data, "Odd", text, sprites=("Sky.png", "LandTex.png"))
    theme(data, "Dark", "music = Nature.ogg\n", sprites=("Sky.png", "LandTex.png"))
    music(data, "Nature.ogg", "Wrong.ogg")

    pairs, _ = run(tmp_path)

    assert [audio for _, audio, _ in pairs] == [f"{IN_ROOT}/Music/Nature.ogg"] * 2
    made = tmp_path / "made" / "hedgewars"
    with Image.open(made / "Odd.png") as odd, Image.open(made / "Dark.png") as dark:
        # hex sky; an unreadable border falls back to grey, a missing sky to black
        assert [odd.getpixel(ABOVE_ALL), odd.getpixel(ON_LAND_EDGE)] == [(255, 128, 0), hedgewars.DEFAULT_BORDER]
        assert [dark.getpixel(ABOVE_ALL), dark.getpixel(ON_LAND_EDGE)] == [hedgewars.DEFAULT_SKY, hedgewars.DEFAULT_BORDER]
