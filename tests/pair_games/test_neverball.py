"""tools/pair_games/neverball.py on a tiny synthetic Neverball data tree."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from build_pairs import Skips

from pair_games import neverball
from tests.pair_games.files import picture, write

IN_ROOT = f"root/{neverball.DATA}"  # where the data folder shows in the paths run() returns


def sol_bytes(dictionary: dict[str, str], version: int = 8) -> bytes:
    """A .sol file as the game writes it, up to its dictionary, followed by a few bytes of (unread) geometry.

    A count other than the text size and the dictionary size is set too, as real levels have materials and vertices,
    so that a parser reading the wrong count would fail.
    """
    text, offsets = b"", []
    for key, value in dictionary.items():
        offsets.append(len(text))
        text += key.encode() + b"\0"
        offsets.append(len(text))
        text += value.encode() + b"\0"
    counts = [len(text), len(dictionary), 7] + [0] * (18 if version >= 7 else 17)
    header = struct.pack(f"<4si{len(counts)}i", b"\xafSOL", version, *counts)
    return header + text + struct.pack(f"<{len(offsets)}i", *offsets) + b"\x01\x02\x03\x04" * 8


def level_set(data: Path, file_name: str, set_id: str, levels: list[str], set_picture: str = "shot-x/x.jpg") -> None:
    """A set file with the five header lines (name, description, id, set picture, scores) and one level a line."""
    header = [f"Neverball {set_id.title()}", r"Difficulty: Easy\\Some levels.\ \ ", set_id, set_picture, "36000 60000 180000  1800 1200 0"]
    write(data / file_name, "\n".join(header + levels) + "\n")


def level(data: Path, sol: str, shot: str | None, song: str | None) -> None:
    """A .sol naming `shot` and `song` (None leaves the key out) among the other keys levels have."""
    entries = {"author": "Robert Kooima", "version": "1.1", "back": "map-back/clouds.sol", "grad": "back/land.png"}
    entries |= {"shot": shot} if shot else {}
    entries |= {"song": song} if song else {}
    write(data / sol, sol_bytes(entries | {"time": "9000", "goal": "10", "message": "Move the mouse to tilt the floor."}))


def run(tmp_path: Path) -> tuple[list[tuple[str, str, str]], Skips]:
    """pairs() of tmp_path/root: the pairs as (image, audio, source), paths relative to tmp_path, and the skips."""
    skips = Skips()
    found = neverball.pairs(tmp_path / "root", tmp_path / "made", skips)
    return [(str(p.image.relative_to(tmp_path)), str(p.audio.relative_to(tmp_path)), p.source) for p in found], skips


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "root" / neverball.DATA


def test_each_level_pairs_its_screenshot_with_its_song_named_by_set_id(data: Path, tmp_path: Path) -> None:
    write(data / "sets.txt", "set-easy.txt\nset-two.txt\n")
    level_set(data, "set-easy.txt", "easy", ["map-easy/peasy.sol", "map-easy/coins.sol"], set_picture="shot-easy/cover.jpg")
    level_set(data, "set-two.txt", "mym2", ["map-mym2/fall.sol"])  # the id line, not the file name, names the set
    level(data, "map-easy/peasy.sol", "shot-easy/peasy.jpg", "bgm/track1.ogg")
    level(data, "map-easy/coins.sol", "shot-easy/coins.png", "bgm/track2.ogg")
    level(data, "map-mym2/fall.sol", "shot-mym2/fall.jpg", "bgm/track1.ogg")
    for shot in ("shot-easy/peasy.jpg", "shot-easy/coins.png", "shot-mym2/fall.jpg", "shot-easy/cover.jpg"):
        picture(data / shot)
    for song in ("bgm/track1.ogg", "bgm/track2.ogg"):
        write(data / song, b"")

    pairs, skips = run(tmp_path)

    assert pairs == [
        (f"{IN_ROOT}/shot-easy/coins.png", f"{IN_ROOT}/bgm/track2.ogg", "easy/coins"),
        (f"{IN_ROOT}/shot-easy/peasy.jpg", f"{IN_ROOT}/bgm/track1.ogg", "easy/peasy"),
        (f"{IN_ROOT}/shot-mym2/fall.jpg", f"{IN_ROOT}/bgm/track1.ogg", "mym2/fall"),
    ]
    assert not skips.counts
    assert not (tmp_path / "made").exists()


def test_a_screenshot_stays_with_the_level_named_after_it(data: Path, tmp_path: Path) -> None:
    write(data / "sets.txt", "set-misc.txt\nset-easy.txt\n")
    # The test levels come first and borrow easy's screenshot; two more share one that neither is named after.
    level_set(data, "set-misc.txt", "misc", ["map-misc/timer-test.sol", "map-misc/a.sol", "map-misc/b.sol"])
    level_set(data, "set-easy.txt", "easy", ["map-easy/easy.sol"])
    level(data, "map-misc/timer-test.sol", "shot-easy/easy.jpg", "bgm/track3.ogg")
    level(data, "map-misc/a.sol", "shot-misc/ab.jpg", "bgm/track3.ogg")
    level(data, "map-misc/b.sol", "shot-misc/ab.jpg", "bgm/track3.ogg")
    level(data, "map-easy/easy.sol", "shot-easy/easy.jpg", "bgm/track1.ogg")
    picture(data / "shot-easy/easy.jpg")
    picture(data / "shot-misc/ab.jpg")
    write(data / "bgm/track1.ogg", b"")
    write(data / "bgm/track3.ogg", b"")

    pairs, skips = run(tmp_path)

    assert pairs == [(f"{IN_ROOT}/shot-easy/easy.jpg", f"{IN_ROOT}/bgm/track1.ogg", "easy/easy")]
    assert skips.examples == {
        "borrows another level's screenshot": ["misc/timer-test: shot-easy/easy.jpg"],
        "screenshot shared by several levels, none named after it": ["misc/a: shot-misc/ab.jpg", "misc/b: shot-misc/ab.jpg"],
    }


def test_missing_and_incomplete_levels_are_skipped(data: Path, tmp_path: Path) -> None:
    write(data / "sets.txt", "set-gone.txt\nset-hard.txt\n")
    sols = ["map-hard/lost.sol", "map-hard/mute.sol", "map-hard/blind.sol", "map-hard/noshot.sol", "map-hard/nosong.sol"]
    level_set(data, "set-hard.txt", "hard", [*sols, "map-hard/junk.sol", "map-hard/cut.sol", "map-hard/grid.sol"])
    level(data, "map-hard/mute.sol", "shot-hard/mute.jpg", None)
    level(data, "map-hard/blind.sol", None, "bgm/track4.ogg")
    level(data, "map-hard/noshot.sol", "shot-hard/noshot.jpg", "bgm/track4.ogg")
    level(data, "map-hard/nosong.sol", "shot-hard/nosong.jpg", "bgm/track5.ogg")
    write(data / "map-hard/junk.sol", b"PK\x03\x04 not a level")
    write(data / "map-hard/cut.sol", sol_bytes({"shot": "shot-hard/cut.jpg", "song": "bgm/track4.ogg"})[:40])
    level(data, "map-hard/grid.sol", "shot-hard/grid.jpg", "bgm/track4.ogg")
    for shot in ("mute", "nosong", "grid"):
        picture(data / f"shot-hard/{shot}.jpg")
    write(data / "bgm/track4.ogg", b"")

    pairs, skips = run(tmp_path)

    assert pairs == [(f"{IN_ROOT}/shot-hard/grid.jpg", f"{IN_ROOT}/bgm/track4.ogg", "hard/grid")]
    assert {reason: examples for reason, examples in skips.examples.items() if reason != "unreadable .sol file"} == {
        "set file not found": ["set-gone.txt"],
        ".sol file not found": ["hard/lost"],
        ".sol names no shot or no song": ["hard/mute", "hard/blind"],
        "screenshot file not found": ["hard/noshot: shot-hard/noshot.jpg"],
        "song file not found": ["hard/nosong: bgm/track5.ogg"],
    }
    junk, cut = skips.examples["unreadable .sol file"]
    assert junk == "hard/junk: not a .sol file (magic b'PK\\x03\\x04')"
    assert cut.startswith("hard/cut: truncated .sol file")


@pytest.mark.parametrize("version", [6, 7, 8, 9])
def test_sol_dictionary_reads_the_header_of_every_version(tmp_path: Path, version: int) -> None:
    # Version 6 (Neverball 1.5) has no count of texture offsets, so its text starts one int32 earlier.
    sol = write(tmp_path / "x.sol", sol_bytes({"shot": "shot-x/x.jpg", "song": "bgm/track1.ogg", "message": "Hi\\there"}, version))

    assert neverball.sol_dictionary(sol) == {"shot": "shot-x/x.jpg", "song": "bgm/track1.ogg", "message": "Hi\\there"}
