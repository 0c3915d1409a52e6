"""Neverball (neverball-data for the levels, neverball-common for the music): each level's screenshot with its song.

sets.txt lists the level sets, one set-<id>.txt file a line. A set file has five header lines (name, description, id,
the set's own picture for the set menu, best scores) and then one level a line, a .sol file relative to the data
folder. A .sol is the compiled, binary level; its header holds a small dictionary of strings, among them `shot`, the
screenshot the game shows for the level when it is chosen and started (shot-<set>/<level>.jpg or .png), and `song`,
the track played during the level (bgm/trackN.ogg, in neverball-common); both are relative to the data folder. The
screenshot shows the level as the player meets it, the board and its backdrop, so it stands for the level; the set
picture (one of its levels' screenshots again) and the `grad` backdrop gradient are not used. The source is
"<set id>/<level>", as "easy/peasy".

Left out: levels whose .sol is missing or names no shot or song, levels whose screenshot or song file is missing, and
levels that borrow another level's screenshot. A screenshot stands for one level: when several levels name it, it is
kept for the first one it is named after and dropped for the others. This removes 5 of the 183 levels, test levels of
the misc set ("Unsorted levels, for testing purposes") that reuse shot-easy/easy.jpg or shot-hard/risers.jpg as a
placeholder.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from build_pairs import Pair, Skips, resolve

PACKAGES: tuple[str, ...] = ("neverball-data", "neverball-common")
DATA = Path("usr/share/games/neverball")
SET_HEADER_LINES = 5  # name, description, id, set picture, scores
SOL_MAGIC = b"\xafSOL"
SOL_VERSION_1_6 = 7  # from this version on the header counts one more kind of element (texture offsets)


@dataclass(frozen=True)
class Level:
    """A level of a set, with the screenshot and song names of its .sol (relative to the data folder)."""

    set_id: str
    sol: str
    shot: str
    song: str

    @property
    def name(self) -> str:
        return Path(self.sol).stem

    @property
    def source(self) -> str:
        return f"{self.set_id}/{self.name}"

    def named_after_its_shot(self) -> bool:
        return Path(self.shot).stem == self.name


def sol_dictionary(sol: Path) -> dict[str, str]:
    """The key/value strings of a .sol file's header, as the game's sol_load_meta reads them.

    The file starts with the magic, the version and the element counts (little-endian int32s), the first two of which
    are the size of the text block and the number of dictionary entries. The text block (NUL-terminated strings)
    follows the counts, and the entries (pairs of offsets into the text block: key, value) follow the text block.
    """
    data = sol.read_bytes()
    try:
        magic, version = struct.unpack_from("<4si", data)
        if magic != SOL_MAGIC:
            raise ValueError(f"not a .sol file (magic {magic!r})")
        text_size, entry_count = struct.unpack_from("<2i", data, 8)
        text_start = 8 + 4 * (21 if version >= SOL_VERSION_1_6 else 20)
        text = data[text_start : text_start + text_size]
        offsets = struct.unpack_from(f"<{2 * entry_count}i", data, text_start + text_size)
    except struct.error as error:
        raise ValueError(f"truncated .sol file ({error})") from error
    return {_string_at(text, key): _string_at(text, value) for key, value in zip(offsets[::2], offsets[1::2], strict=True)}


def _string_at(text: bytes, offset: int) -> str:
    """The NUL-terminated string at `offset` of a .sol text block."""
    end = text.find(b"\0", offset)
    return text[offset : end if end >= 0 else len(text)].decode("utf-8", errors="replace")


def set_levels(set_file: Path) -> tuple[str, list[str]]:
    """A set file's id and its levels' .sol names, in order."""
    lines = [line.strip() for line in set_file.read_text(encoding="utf-8", errors="replace").splitlines()]
    set_id = lines[2] if len(lines) > 2 else ""  # a file this short has no levels
    return set_id, [line for line in lines[SET_HEADER_LINES:] if line]


def load_level(data: Path, set_id: str, sol_name: str, skips: Skips) -> Level | None:
    """The level of one set-file line, or None (and a skip) when its .sol is missing or names no shot or song."""
    source = f"{set_id}/{Path(sol_name).stem}"
    sol = resolve(sol_name, [data])
    if sol is None:
        skips.add(".sol file not found", source)
        return None
    try:
        dictionary = sol_dictionary(sol)
    except ValueError as error:
        skips.add("unreadable .sol file", f"{source}: {error}")
        return None
    if not dictionary.get("shot") or not dictionary.get("song"):
        skips.add(".sol names no shot or no song", source)
        return None
    return Level(set_id, sol_name, dictionary["shot"], dictionary["song"])


def load_levels(data: Path, skips: Skips) -> list[Level]:
    """The levels of the sets sets.txt lists, in its order."""
    levels = []
    for set_name in (data / "sets.txt").read_text(encoding="utf-8").split():
        if not (data / set_name).is_file():
            skips.add("set file not found", set_name)
            continue
        set_id, sol_names = set_levels(data / set_name)
        levels += [level for sol_name in sol_names if (level := load_level(data, set_id, sol_name, skips))]
    return levels


def screenshot_owners(levels: list[Level], skips: Skips) -> list[Level]:
    """One level per screenshot: the only one naming it, else the first one named after it; the others are skipped."""
    users: dict[str, list[Level]] = {}
    for level in levels:
        users.setdefault(level.shot, []).append(level)
    owners = []
    for shot, named in users.items():
        owner = named[0] if len(named) == 1 else next((level for level in named if level.named_after_its_shot()), None)
        if owner:
            owners.append(owner)
        reason = "borrows another level's screenshot" if owner else "screenshot shared by several levels, none named after it"
        for level in named:
            if level is not owner:
                skips.add(reason, f"{level.source}: {shot}")
    return owners


def level_pair(level: Level, data: Path, skips: Skips) -> Pair | None:
    """(screenshot, song) of a level, or None (and a skip) when a file is missing."""
    image, audio = resolve(level.shot, [data]), resolve(level.song, [data])
    if image is None:
        skips.add("screenshot file not found", f"{level.source}: {level.shot}")
    if audio is None:
        skips.add("song file not found", f"{level.source}: {level.song}")
    return Pair(image, audio, level.source) if image and audio else None


def pairs(root: Path, made: Path, skips: Skips) -> list[Pair]:
    """(screenshot, song) of every level of the Neverball sets unpacked under `root`; nothing is made."""
    data = root / DATA
    found = [pair for level in screenshot_owners(load_levels(data, skips), skips) if (pair := level_pair(level, data, skips))]
    return sorted(found, key=lambda pair: (pair.source, str(pair.image), str(pair.audio)))
