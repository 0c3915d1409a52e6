"""Where picscore keeps its files unless told otherwise."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

LIBRARY_ENV = "PICSCORE_LIBRARY"


def data_dir() -> Path:
    """The user's data folder for picscore (e.g. ~/.local/share/picscore on Linux)."""
    return Path(platformdirs.user_data_dir("picscore", appauthor=False))


def library_path(explicit: str | Path | None = None) -> Path:
    """The library file: `explicit` (--library), else $PICSCORE_LIBRARY, else the data folder's."""
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get(LIBRARY_ENV):
        return Path(os.environ[LIBRARY_ENV]).expanduser()
    return data_dir() / "library.db"
