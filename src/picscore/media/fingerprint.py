"""Content fingerprints: recognise a file by its bytes, whatever its name or place."""

from __future__ import annotations

import hashlib
from pathlib import Path

from picscore.media.files import open_file


def file_fingerprint(path: str | Path) -> str:
    """BLAKE2b-128 of the whole file, as 32 hex digits. Raises OSError if it cannot be read or is not a regular file."""
    with open_file(path) as handle:
        return hashlib.file_digest(handle, lambda: hashlib.blake2b(digest_size=16)).hexdigest()
