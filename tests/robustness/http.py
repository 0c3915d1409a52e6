"""Helpers for the robustness tests that talk to a real `picscore serve` over loopback HTTP: generated photos,
render polling, the feedback table, error-body checks and the JSON figures a run leaves under test-artifacts/."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image

ARTIFACTS = Path(os.environ.get("PICSCORE_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")) / "robustness"
RENDER_LIMIT_SECONDS = 300.0  # a render still unfinished after this is a hang, not slowness


def jpeg_bytes(*, seed: int, width_pixels: int = 96, height_pixels: int = 72) -> bytes:
    """A small JPEG of random colour blocks: each `seed` gives other pixels, so other content and another hash."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, size=(6, 8, 3), dtype=np.uint8)
    image = Image.fromarray(blocks).resize((width_pixels, height_pixels), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def photo_parts(photos: list[bytes]) -> list[tuple[str, tuple[str, bytes, str]]]:
    """`photos` as the multipart field `files` that the upload routes read."""
    return [("files", (f"photo{i}.jpg", data, "image/jpeg")) for i, data in enumerate(photos)]


def wait_for_render(
    job: dict[str, Any], fetch: Callable[[str], dict[str, Any] | None], *, limit_seconds: float = RENDER_LIMIT_SECONDS
) -> dict[str, Any] | None:
    """Poll a render job with `fetch(path)` (its JSON, or None when that request failed) until it is done or failed,
    or `limit_seconds` pass (a hang); its last state, or None once a poll failed."""
    deadline = time.monotonic() + limit_seconds
    while job["state"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)  # the poll interval of the page's preview; the loop's condition is the synchronisation
        polled = fetch(f"/api/renders/{job['id']}")
        if polled is None:
            return None
        job = polled
    return job


def feedback_rows(library_file: Path) -> int:
    """How many feedback rows the library file holds (read with a connection of our own, as a client of the file)."""
    with sqlite3.connect(library_file, timeout=30) as db:
        return db.execute("SELECT count(*) FROM feedback").fetchone()[0]


def readable_error(response: httpx.Response) -> str:
    """The `detail` of an error response, asserting it is JSON and one readable line (no traceback, no Python repr)."""
    assert response.headers.get("content-type", "").startswith("application/json"), (response.status_code, response.text[:200])
    detail = response.json().get("detail")
    assert isinstance(detail, str) and detail.strip(), response.text[:200]
    assert "\n" not in detail and "\r" not in detail, detail
    assert not any(mark in detail for mark in ("Traceback", "<class ", " object at 0x", 'File "')), detail
    return detail


def write_artifact(name: str, figures: dict[str, Any]) -> Path:
    """Write `figures` as test-artifacts/robustness/NAME.json (for people and CI to read; the folder is gitignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.json"
    path.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    return path
