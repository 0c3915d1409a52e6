"""Fixtures of the serve tests: one indexed library and demo photos for the whole session."""

from __future__ import annotations

from pathlib import Path

import pytest

from picscore.compose.demo_pictures import write_demo_pictures
from tests.serve.server import music_library


@pytest.fixture(scope="session")
def serve_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return music_library(tmp_path_factory.mktemp("serve-library"))


@pytest.fixture(scope="session")
def photos(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The demo's photos of clear moods (a sunny beach, a night street, ...)."""
    return write_demo_pictures(tmp_path_factory.mktemp("photos"))
