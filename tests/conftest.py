"""Shared fixtures: a seeded rng, a fresh library, and real media files written by PyAV."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from picscore.compose.demo_library import DEMO_TRACKS, write_demo_library
from picscore.compose.synth import SongSpec, click_track, render_song
from picscore.library.indexer import index_paths
from picscore.library.store import Library
from picscore.media.audio_encode import encode_audio
from picscore.models.zero_shot import Pictures
from picscore.moods.music import FULL_HEAD, model_name

SR = 22050


def load_tool(name: str) -> ModuleType:
    """The script tools/<name>.py as a module, registered under `name`: dataclasses look their module up while a class is
    built, and worker processes find the script's functions by that name."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parents[1] / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261129)


@pytest.fixture
def two_torch_threads() -> Iterator[None]:
    """torch on two threads, as on a two-core machine, whatever this one has (a test of one-thread work can then fail)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def library(tmp_path: Path):
    with Library(tmp_path / "library.db") as lib:
        yield lib


def write_song(path: Path, *, seconds: float = 12.0, sr: int = SR, **spec) -> Path:
    """Render a SongSpec(**spec) and encode it to `path` (format from the extension)."""
    return encode_audio(path, render_song(SongSpec(**spec), seconds=seconds, sr=sr), sr=sr)


def write_songs(folder: Path, *, count: int, bpm_step: float, seconds: float = 20.0) -> Path:
    """`count` FLAC songs in `folder`, at tempi from 80 BPM up by `bpm_step` and of different seeds; the folder."""
    for i in range(count):
        write_song(folder / f"song{i:02d}.flac", seconds=seconds, bpm=80 + bpm_step * i, seed=i)
    return folder


def write_clicks(path: Path, *, bpm: float, seconds: float = 20.0, sr: int = SR, first_click_seconds: float = 0.0) -> Path:
    return encode_audio(path, click_track(bpm=bpm, seconds=seconds, sr=sr, first_click_seconds=first_click_seconds), sr=sr)


def index_demo_library(folder: Path, *, seconds: float = 32.0, sr: int = 44100) -> Path:
    """The demo's composed tracks (`picscore demo`'s library, at `seconds` a track) indexed with both music networks."""
    write_demo_library(folder / "music", seconds=seconds, sr=sr)
    with Library(folder / "library.db") as library:
        summary = index_paths(library, [folder / "music"], jobs=2, progress=False)
    assert summary.indexed == len(DEMO_TRACKS)
    return folder / "library.db"


@pytest.fixture
def music_folder(tmp_path: Path) -> Path:
    """Four short songs of different tempo and key in four formats."""
    folder = tmp_path / "music"
    folder.mkdir()
    write_song(folder / "a.mp3", tonic="C", mode="major", bpm=120, seed=1)
    write_song(folder / "b.flac", tonic="A", mode="minor", bpm=90, seed=2)
    (folder / "sub").mkdir()
    write_song(folder / "sub" / "c.ogg", tonic="E", mode="minor", bpm=132, seed=3)
    write_song(folder / "d.wav", tonic="G", mode="major", bpm=100, seed=4)
    (folder / "notes.txt").write_text("not music, and not an audio extension: ignored")
    return folder


def track_row(path: str, **overrides) -> dict:
    """A complete library row for `path` with plausible values; `overrides` replace any."""
    row = {
        "path": path, "size": 10, "mtime_ns": 5, "fingerprint": "f" * 32, "analysis_version": 1,
        "title": "T", "artist": None, "album": None, "genre": None, "year": None,
        "codec": "mp3", "container": "mp3", "source_sample_rate": 44100, "channels": 2, "bit_rate": 128000,
        "duration": 12.5, "bpm": 120.0, "tempo_confidence": 0.8, "beats": np.array([0.5, 1.0, 1.5]),
        "initial_key": "Am", "key_tonic": "A", "key_mode": "minor", "key_confidence": 0.9,
        "loudness_lufs": -14.0, "peak_dbfs": -1.0, "energy_curve": np.array([-20.0, -12.0]), "brightness_hz": 2000.0,
        "highlight_start": 1.0, "highlight_end": 11.0, "valence": -0.2, "arousal": 0.4,
    }  # fmt: skip
    return {**row, **overrides}


def add_tracks(library: Library, rng: np.random.Generator, count: int, *, start: int = 0) -> list[int]:
    """`count` tracks with random moods (marked as the current heads', so they stay as drawn) and both taggers' tags."""
    ids = []
    for k in range(start, start + count):
        row = track_row(
            f"/m/{k:05d}.mp3",
            title=f"Song {k}",
            bpm=float(rng.uniform(60, 180)),
            valence=float(rng.uniform(-1, 1)),
            mood_quadrants=rng.dirichlet(np.ones(4)),
            mood_model=model_name(FULL_HEAD),
        )
        encodings = {
            name: {"encoder_version": 1, "tags": tags, "tag_curve": tags[None], "embedding": np.zeros(200), "patch_seconds": 3.0}
            for name, tags in (("musicnn-mtt", rng.beta(0.5, 5.0, 50)), ("musicnn-msd", rng.beta(0.5, 5.0, 50)))
        }
        ids.append(library.save_track({**row, "arousal": float(rng.uniform(-1, 1))}, encodings))
    return ids


def random_pictures(rng: np.random.Generator, n: int = 1) -> Pictures:
    """n pictures with random moods and sparse ImageNet class probabilities."""
    probabilities = rng.dirichlet(np.full(1000, 0.05), size=n)
    return Pictures(mood=rng.uniform(-1, 1, size=(n, 2)), class_probabilities=probabilities)
