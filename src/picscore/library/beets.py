"""Read a beets library, read-only: the files it holds and the fields picscore shows beside its own.

beets (https://beets.io) keeps a collection's tags in one SQLite file. picscore opens it with
SQLite's read-only mode and never writes to it. It takes the file paths (beets 2 stores those
inside its music directory relative to it, so the `directory` of beets's config is read too),
and the fields a person compares with picscore's analysis: title, artist, album, genre, year,
`bpm`, `initial_key` and `mood` (a flexible field that plugins and users set). beets marks an
unset number with 0 and an unset text with '' or NULL; those are left out.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

BEETS_FIELDS = ("title", "artist", "album", "genre", "year", "bpm", "initial_key", "mood")
_DEFAULT_MUSIC_DIRECTORY = "~/Music"
_MULTI_VALUE_SEPARATOR = "\\␀"  # how beets 2 joins the values of a multi-valued field such as genres
_LOCK_WAIT_SECONDS = 1.0


class BeetsError(Exception):
    """The beets library cannot be read; the message names the file and the cause."""


@dataclass(frozen=True)
class BeetsItem:
    """One file of the beets library, with the fields beets has a value for."""

    path: str
    fields: dict[str, Any]


def beets_config_folder() -> Path:
    """Where beets keeps its config and, by default, its library: $BEETSDIR, else the XDG config folder."""
    if folder := os.environ.get("BEETSDIR"):
        return Path(folder).expanduser()
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "beets"


def default_beets_library() -> Path:
    """The library file beets itself uses: its config's `library`, else library.db in the config folder."""
    folder = beets_config_folder()
    configured = _config_value(folder / "config.yaml", "library")
    if configured is None:
        return folder / "library.db"
    path = Path(configured).expanduser()
    return path if path.is_absolute() else folder / path


def read_beets_library(path: Path) -> list[BeetsItem]:
    """Every item of the beets library at `path`, with absolute file paths; BeetsError if it cannot be read."""
    if not path.is_file():
        raise BeetsError(f"{path}: no beets library there (give its path: --from-beets PATH; `beet config -p` shows beets's folder)")
    try:
        with contextlib.closing(sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=_LOCK_WAIT_SECONDS)) as db:
            return _items(db, music_directory=_music_directory(path))
    except sqlite3.DatabaseError as err:
        raise BeetsError(f"{path}: cannot read the beets library ({err})") from err


def _items(db: sqlite3.Connection, *, music_directory: Path) -> list[BeetsItem]:
    columns = {row[1] for row in db.execute("PRAGMA table_info(items)")}
    if "path" not in columns:
        raise sqlite3.DatabaseError("it has no table of items: not a beets library")
    genre = "genre" if "genre" in columns else "genres" if "genres" in columns else "NULL"
    moods = dict(db.execute("SELECT entity_id, value FROM item_attributes WHERE key = 'mood'"))
    rows = db.execute(f"SELECT id, path, title, artist, album, {genre}, year, bpm, initial_key FROM items ORDER BY id")
    items = []
    for item_id, raw_path, *values in rows:
        fields = dict(zip(BEETS_FIELDS, [*values, moods.get(item_id)], strict=True))
        if isinstance(fields["genre"], str):
            fields["genre"] = ", ".join(fields["genre"].split(_MULTI_VALUE_SEPARATOR))
        path = Path(os.fsdecode(raw_path))
        items.append(BeetsItem(str(path if path.is_absolute() else music_directory / path), _set_fields(fields)))
    return items


def _set_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields beets has a value for: not NULL, not '', not 0."""
    return {name: value for name, value in fields.items() if value not in (None, "", 0)}


def _music_directory(library: Path) -> Path:
    """beets's music directory: the `directory` of the config beside the library or in beets's folder, else ~/Music."""
    for config in (library.parent / "config.yaml", beets_config_folder() / "config.yaml"):
        if (directory := _config_value(config, "directory")) is not None:
            return Path(directory).expanduser()
    return Path(_DEFAULT_MUSIC_DIRECTORY).expanduser()


def _config_value(config: Path, key: str) -> str | None:
    """A top-level scalar of a beets config.yaml (`key: value`), without a YAML parser; None if absent."""
    try:
        text = config.read_text(encoding="utf-8")
    except OSError:
        return None
    found = re.search(rf"^{key}:[ \t]*(.+?)[ \t]*$", text, flags=re.MULTILINE)
    return found.group(1).strip("'\"") if found else None
