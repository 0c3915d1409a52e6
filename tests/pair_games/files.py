"""Small files for the game parsers' tests: text or bytes, and tiny pictures."""

from __future__ import annotations

from pathlib import Path

from PIL import Image


def write(path: Path, content: str | bytes = b"") -> Path:
    """`content` at `path` (text as UTF-8), its folders made first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def picture(path: Path, size: tuple[int, int] = (4, 3), colour: tuple[int, int, int] = (10, 20, 30)) -> Path:
    """A plain picture at `path`, in the format its suffix names."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)
    return path
