"""A real picscore server on a free loopback port, in a thread of the test process, and the media it serves."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from picscore.library.indexer import index_paths
from picscore.library.store import Library
from picscore.serve.app import ServeConfig, create_app
from tests.conftest import write_clicks, write_song


@contextmanager
def running(config: ServeConfig) -> Iterator[tuple[str, FastAPI]]:
    """Serve `config` on 127.0.0.1 at a port the OS picks; yields (base URL, app) and stops the server after."""
    app = create_app(config)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the server stopped while starting")
            thread.join(0.05)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", app
    finally:
        server.should_exit = True
        thread.join()
        listener.close()


def music_library(folder: Path) -> Path:
    """A library file holding three indexed tracks (two songs and a click track; no musicnn tags, for speed)."""
    music = folder / "music"
    music.mkdir(parents=True)
    write_song(music / "bright.wav", tonic="C", mode="major", bpm=128, seed=1, seconds=14.0)
    write_song(music / "dusk.mp3", tonic="A", mode="minor", bpm=84, seed=2, seconds=14.0)
    write_clicks(music / "clicks.wav", bpm=120, seconds=20.0)
    library_file = folder / "library.db"
    with Library(library_file) as library:
        index_paths(library, [music], jobs=1, encoders=(), progress=False)
    return library_file
