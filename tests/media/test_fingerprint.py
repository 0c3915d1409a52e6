"""Content fingerprints name a file by its bytes."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from picscore.media.fingerprint import file_fingerprint


def test_fingerprint_is_blake2b_128_of_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"picscore" * 100_000)
    digest = file_fingerprint(path)
    assert digest == hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest() and len(digest) == 32
    (tmp_path / "b.bin").write_bytes(b"picscore" * 99_999 + b"Picscore")
    assert file_fingerprint(tmp_path / "b.bin") != digest
    with pytest.raises(FileNotFoundError):
        file_fingerprint(tmp_path / "missing.bin")


def test_a_named_pipe_is_refused_not_waited_on(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.mp3")
    with pytest.raises(OSError, match="not a regular file but a named pipe"):
        file_fingerprint(tmp_path / "pipe.mp3")
