"""Ardentryst (ardentryst): each level's backdrop, as the game draws it, with the music its authors set for the level.

A level is a file in Levels/ without an extension (Levels/Entarya1, Levels/SnodomBoss, ...), a Python 2 pickle
(protocol 0) of the game's `mapping.Map` object; the .script and .npcs files beside it are the level's event script and
characters. Two of the object's attributes are used: `bgmusic`, a file in Music/ (castle.ogg), and `theme`, one of
Forest, Castle, Snow and Snowcave. The pickles are read by an unpickler that puts a plain attribute holder in place of
every class they name, so no module of the game is imported and nothing in the files is run.

The theme decides the picture. At the start of a level play_level.py fills the screen (640x480) with (25, 25, 25),
draws the theme's backing picture, mapping.bgfortheme(theme), and over it every parallax layer of
mapping.pbgfortheme(theme) at x = 0 (the option "Parallax Backgrounds" is "All" by default); the pictures are in Data/.
This module reads both tables from mapping.py as literal dictionaries (with `ast`, without running it) and composes the
same screen into made/ardentryst/theme_<theme>.png; a theme that is one opaque backing (Snow, Snowcave) uses the backing
file itself. The foreground layers (mapping.pfgfortheme: banners, chains, leaves), drawn over the tiles and the player,
are left out as they hide the scene rather than set it. Levels of one region share theme and track (Snodom1 to
Snodom6), and such a pair is kept once, for the first level by name: in ardentryst 1.71 the 19 levels give 7 pairs.
"""

from __future__ import annotations

import ast
import pickle
from pathlib import Path
from typing import Any

from build_pairs import Pair, Skips
from PIL import Image

from pair_games import drop_repeated_pairs

PACKAGES: tuple[str, ...] = ("ardentryst",)
GAME = Path("usr/share/games/ardentryst")
SCREEN_SIZE = (640, 480)
SCREEN_FILL = (25, 25, 25, 255)
THEME_TABLES = ("bgfortheme", "pbgfortheme")


class PickledObject:
    """Stands for any class a level pickle names: takes any arguments and keeps the pickled state as attributes."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def __setstate__(self, state: object) -> None:
        if isinstance(state, dict):
            self.__dict__.update(state)


class LevelUnpickler(pickle.Unpickler):
    """Unpickles a level without importing anything: every class or function it names is a PickledObject."""

    def find_class(self, module: str, name: str) -> type[PickledObject]:
        return PickledObject


def load_level(path: Path) -> Any:
    """The object pickled in a level file (Python 2 strings read as Latin-1)."""
    with path.open("rb") as f:
        return LevelUnpickler(f, encoding="latin-1").load()


def theme_tables(mapping_py: Path) -> dict[str, dict[str, Any]]:
    """The dictionaries bgfortheme and pbgfortheme of mapping.py return from, by function name.

    Each function is `return {theme: ...}[theme]`; the dictionary is a literal, read with ast.literal_eval.
    """
    tables = {}
    for node in ast.parse(mapping_py.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef) and node.name in THEME_TABLES:
            returned = next((n.value for n in ast.walk(node) if isinstance(n, ast.Return)), None)
            if isinstance(returned, ast.Subscript) and isinstance(returned.value, ast.Dict):
                tables[node.name] = ast.literal_eval(returned.value)
    return tables


def theme_layers(tables: dict[str, dict[str, Any]], theme: str | None) -> list[str] | None:
    """The picture names drawn behind a level of `theme`, back to front, or None when mapping.py has no such theme."""
    backing, parallax = tables.get("bgfortheme", {}), tables.get("pbgfortheme", {})
    if theme not in backing:
        return None
    return [backing[theme], *(layer[0] for layer in parallax.get(theme, []))]


def compose(layers: list[Path], out: Path) -> Path:
    """The screen the layers make at a level's start: the first layer as it is when it alone fills it, else `out`."""
    pictures = [Image.open(path).convert("RGBA") for path in layers]
    if len(pictures) == 1 and pictures[0].size == SCREEN_SIZE and pictures[0].getchannel("A").getextrema()[0] == 255:
        return layers[0]
    screen = Image.new("RGBA", SCREEN_SIZE, SCREEN_FILL)
    for picture in pictures:
        screen.alpha_composite(picture.crop((0, 0, *SCREEN_SIZE)))
    out.parent.mkdir(parents=True, exist_ok=True)
    screen.convert("RGB").save(out)
    return out


class Backdrops:
    """The picture of each theme, composed once, on first use, into `out_dir`."""

    def __init__(self, game: Path, out_dir: Path) -> None:
        self.data = game / "Data"
        self.tables = theme_tables(game / "mapping.py")
        self.out_dir = out_dir
        self.composed: dict[str, Path] = {}

    def picture(self, theme: str | None, level: str, skips: Skips) -> Path | None:
        """The backdrop of `theme`, or None (counted in skips for `level`) when mapping.py lacks it or a layer is missing."""
        if theme is not None and theme in self.composed:
            return self.composed[theme]
        names = theme_layers(self.tables, theme)
        if theme is None or names is None:
            skips.add("theme without a backing picture in mapping.py", f"{level}: {theme}")
            return None
        if missing := [name for name in names if not (self.data / name).is_file()]:
            skips.add("background layer missing", f"{level}: {', '.join(missing)}")
            return None
        self.composed[theme] = compose([self.data / name for name in names], self.out_dir / f"theme_{theme}.png")
        return self.composed[theme]


def level_pair(path: Path, game: Path, backdrops: Backdrops, skips: Skips) -> Pair | None:
    """The pair of one level file, or None when it is left out (counted in skips)."""
    try:
        level = load_level(path)
    except (pickle.UnpicklingError, EOFError) as e:
        skips.add("unreadable level pickle", f"{path.name}: {e}")
        return None
    music, theme = getattr(level, "bgmusic", None), getattr(level, "theme", None)
    if not music:
        skips.add("level without bgmusic", path.name)
        return None
    audio = game / "Music" / music
    if not audio.is_file():
        skips.add("music file missing", f"{path.name}: {music}")
        return None
    image = backdrops.picture(theme, path.name, skips)
    return Pair(image, audio, path.name) if image else None


def pairs(root: Path, made: Path, skips: Skips) -> list[Pair]:
    """One pair per level with its own theme and music, sorted by level; composed backdrops go to made/ardentryst."""
    game = root / GAME
    backdrops = Backdrops(game, made / "ardentryst")
    levels = sorted(path for path in (game / "Levels").iterdir() if path.is_file() and not path.suffix)
    found = [pair for path in levels if (pair := level_pair(path, game, backdrops, skips))]
    return drop_repeated_pairs(found, skips)
