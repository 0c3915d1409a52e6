"""tools/pair_games/pingus.py on a tiny synthetic pingus-data tree."""

from __future__ import annotations

import shutil
import struct
import subprocess
import wave
from pathlib import Path
from typing import Any

import pytest
from build_pairs import Skips

from pair_games import pingus
from tests.pair_games.files import picture, write

needs_openmpt123 = pytest.mark.skipif(shutil.which("openmpt123") is None, reason="openmpt123 is not installed")


def surface_background(image: str) -> str:
    return f"""    (surface-background
      (surface
        (image "{image}")
        (modifier "ROT0"))
      (position -85 52 -150)
      (colori 0 0 0 0)
      (stretch-x #f)
      (stretch-y #t)
      (para-x 0.5))
"""


def level(data: Path, source: str, music: str | None, *backgrounds: str, other: str = "") -> None:
    """data/levels/<source>.pingus in the game's format, with a surface-background per image name."""
    music_line = f'    (music "{music}")\n' if music is not None else ""
    path = data / "levels" / f"{source}.pingus"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"""(pingus-level
  (version 3)
  (head
    (levelname "Entering the pyramid")
    (author "Someone")
    (number-of-pingus 50)
{music_line}    (actions (basher 1) (bridger 10))
    (levelsize 1920 1200))
  (objects
{"".join(surface_background(name) for name in backgrounds)}{other}    (groundpiece
      (type "ground")
      (surface (image "groundpieces/ground/desert/bigdune1") (modifier "ROT0"))
      (position 893 872 0))))
""",
        encoding="utf-8",
    )


def rendered(made: Path, stem: str) -> Path:
    """A rendering left by an earlier run, so that no test but the rendering ones runs openmpt123."""
    return write(made / "pingus" / f"{stem}.wav", b"RIFF earlier rendering")


def tiny_module() -> bytes:
    """A ProTracker module of one silent row (a pattern break on row 0): a valid song openmpt123 renders at once."""
    samples = (bytes(22) + struct.pack(">HBBHH", 0, 0, 0, 0, 1)) * 31
    pattern = bytes([0, 0, 0x0D, 0]) + bytes(1020)
    return b"tiny".ljust(20, b"\0") + samples + bytes([1, 127]) + bytes(128) + b"M.K." + pattern


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "root" / pingus.DATA


@pytest.fixture
def made(tmp_path: Path) -> Path:
    return tmp_path / "made"


def run(data: Path, made: Path) -> tuple[list[tuple[str, str, str]], Skips]:
    """pairs() as (image, audio, source), the image relative to data/images and the audio to its folder's parent."""
    skips = Skips()
    found = pingus.pairs(data.parents[4], made, skips)
    return [(str(p.image.relative_to(data / "images")), f"{p.audio.parent.name}/{p.audio.name}", p.source) for p in found], skips


def test_level_pairs_its_background_with_the_rendering_of_its_music(data, made):
    picture(data / "images/textures/desert.jpg")
    write(data / "music/pingus-3.it")
    rendered(made, "pingus-3")
    level(data, "desert/desert1", "pingus-3.it", "textures/desert")

    found, skips = run(data, made)

    assert found == [("textures/desert.jpg", "pingus/pingus-3.wav", "desert/desert1")]
    assert (made / "pingus/pingus-3.wav").read_bytes() == b"RIFF earlier rendering"  # not rendered again
    assert not skips.counts


def test_image_names_resolve_as_the_game_does_sprite_first_then_png_then_jpg(data, made):
    textures = data / "images/textures"
    picture(textures / "stone.jpg")
    picture(textures / "stones.png")
    write(textures / "stone.sprite", '(pingus-sprite\n  (image "stones.png"))\n')
    picture(textures / "sky.png")
    picture(textures / "sky.jpg")
    write(data / "music/calm.ogg")
    level(data, "incoming/stone2", "calm.ogg", "textures/stone")
    level(data, "incoming/sky", "calm.ogg", "textures/sky")

    found, _ = run(data, made)

    assert found == [
        ("textures/sky.png", "music/calm.ogg", "incoming/sky"),
        ("textures/stones.png", "music/calm.ogg", "incoming/stone2"),
    ]


def test_largest_background_stands_for_the_level(data, made):
    picture(data / "images/textures/easter_grass.png", (64, 32))
    picture(data / "images/textures/easter_sky.jpg", (40, 60))
    write(data / "music/sorcerer.ogg")
    level(data, "easter/easter1", "sorcerer.ogg", "textures/easter_grass", "textures/easter_sky")

    assert run(data, made)[0] == [("textures/easter_sky.jpg", "music/sorcerer.ogg", "easter/easter1")]


def test_animation_sheet_backgrounds_are_left_out(data, made):
    picture(data / "images/textures/anim_fire.jpg", (30, 10))
    write(
        data / "images/textures/anim_fire.sprite",
        '(pingus-sprite\n  (image "anim_fire.jpg")\n  (speed 80)\n  (array 15 1)\n  (size 2 10))\n',
    )
    picture(data / "images/textures/stars.jpg")
    write(data / "music/gd-ite.ogg")
    level(data, "incoming/stone1", "gd-ite.ogg", "textures/anim_fire")
    level(data, "incoming/stone9", "gd-ite.ogg", "textures/anim_fire", "textures/stars")

    found, skips = run(data, made)

    assert found == [("textures/stars.jpg", "music/gd-ite.ogg", "incoming/stone9")]
    assert skips.examples == {"background is an animation sheet, no single picture": ["incoming/stone1: anim_fire.jpg"]}


def test_left_out_levels_are_counted_with_their_reason(data, made):
    picture(data / "images/textures/desert.jpg")
    write(data / "music/pingus-3.it")
    rendered(made, "pingus-3")
    for folder in ("test", "wip", "multiplayer"):
        level(data, f"{folder}/level", "pingus-3.it", "textures/desert")
    level(data, "candy/quiet", "none", "textures/desert")
    level(data, "candy/unset", None, "textures/desert")
    level(data, "alien/aliens1", "03-Haunted.ogg", "textures/desert")
    level(data, "factory/starfield", "pingus-3.it", other="    (starfield-background (small-stars 500))\n")
    level(data, "factory/lost", "pingus-3.it", "textures/gone")
    write(data / "levels/factory/broken.pingus", '(pingus-level (head (music "pingus-3.it"))')

    found, skips = run(data, made)

    assert found == []
    assert skips.examples == {
        "test, unfinished (wip) or multiplayer level": ["multiplayer/level", "test/level", "wip/level"],
        'music "none" or empty (the level plays no music)': ["candy/quiet", "candy/unset"],
        "music file not in the package": ["alien/aliens1: 03-Haunted.ogg"],
        "no surface-background (solid colour or starfield only)": ["factory/starfield"],
        "background picture not found (or not PNG/JPEG)": ["factory/lost: textures/gone"],
        "unreadable level file (no pingus-level S-expression)": ["factory/broken"],
    }


def test_levels_with_the_same_picture_and_music_give_one_pair_for_the_first(data, made):
    picture(data / "images/textures/desert.jpg")
    picture(data / "images/textures/desert_room.jpg")
    write(data / "music/pingus-3.ogg")
    level(data, "desert/desert3-jings", "pingus-3.ogg", "textures/desert_room")
    level(data, "desert/desert3", "pingus-3.ogg", "textures/desert_room")
    level(data, "desert/desert1", "pingus-3.ogg", "textures/desert")
    level(data, "factorycampaign/factory_campaign6", "pingus-3.ogg", "textures/desert")

    found, skips = run(data, made)

    assert [source for _, _, source in found] == ["desert/desert1", "desert/desert3"]
    assert skips.examples == {
        "same picture and music as an earlier level": [
            "desert/desert3-jings (as desert/desert3)",
            "factorycampaign/factory_campaign6 (as desert/desert1)",
        ]
    }


def test_tracker_music_without_openmpt123_is_skipped_not_failed(data, made, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    picture(data / "images/textures/desert.jpg")
    write(data / "music/pingus-3.it", tiny_module())
    write(data / "music/sorcerer.it", tiny_module())
    rendered(made, "sorcerer")
    level(data, "desert/desert1", "pingus-3.it", "textures/desert")
    level(data, "halloween/halloween1", "sorcerer.it", "textures/desert")

    found, skips = run(data, made)

    assert found == [("textures/desert.jpg", "pingus/sorcerer.wav", "halloween/halloween1")]
    assert skips.examples == {"tracker music needs openmpt123 (apt-get install openmpt123)": ["desert/desert1: pingus-3.it"]}
    assert not (made / "pingus/pingus-3.wav").exists()


@needs_openmpt123
def test_tracker_music_is_rendered_once_to_a_wav(data, made, monkeypatch) -> None:
    commands: list[list[str]] = []
    run_command = subprocess.run

    def recording_run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess:
        commands.append(command)
        return run_command(command, **kwargs)

    monkeypatch.setattr(subprocess, "run", recording_run)
    picture(data / "images/textures/desert.jpg")
    write(data / "music/pingus-3.it", tiny_module())
    level(data, "desert/desert1", "pingus-3.it", "textures/desert")
    level(data, "desert/desert2", "pingus-3.it", "textures/desert")

    found, skips = run(data, made)

    assert found == [("textures/desert.jpg", "pingus/pingus-3.wav", "desert/desert1")]
    with wave.open(str(made / "pingus/pingus-3.wav")) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (44100, 2, 2)
        assert wav.getnframes() > 0
    assert sorted(p.name for p in (made / "pingus").iterdir()) == ["pingus-3.wav"]
    assert len(commands) == 1 and "--end-time" in commands[0]
    assert skips.examples == {"same picture and music as an earlier level": ["desert/desert2 (as desert/desert1)"]}


@needs_openmpt123
def test_module_openmpt123_cannot_play_is_skipped_without_leaving_a_file(data, made):
    picture(data / "images/textures/desert.jpg")
    write(data / "music/broken.it", b"not a tracker module")
    level(data, "desert/desert1", "broken.it", "textures/desert")

    found, skips = run(data, made)

    assert found == []
    assert skips.examples == {"openmpt123 rendered no audio from the module": ["desert/desert1: broken.it"]}
    assert list((made / "pingus").iterdir()) == []
