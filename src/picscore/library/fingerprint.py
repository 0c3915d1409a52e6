"""Content fingerprints: recognise a file by its bytes, whatever its name or place."""

from __future__ import annotations

import hashlib
from pathlib import Path

_CHUNK_BYTES = 1 << 20


def file_fingerprint(path: str | Path) -> str:
    """BLAKE2b-128 of the whole file, as 32 hex digits."""
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()
