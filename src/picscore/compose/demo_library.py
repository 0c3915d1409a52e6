"""The built-in demo: short synthetic tracks of different moods in every format, and two photos."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from picscore.compose.synth import SongSpec, render_song
from picscore.media.audio_encode import encode_audio


@dataclass(frozen=True)
class DemoTrack:
    filename: str
    title: str
    genre: str
    spec: SongSpec


DEMO_TRACKS = (
    DemoTrack("sunny_parade.mp3", "Sunny Parade", "Pop", SongSpec("C", "major", 128, (0, 4, 5, 3), brightness=0.75, loudness=0.9, seed=1)),
    DemoTrack(
        "rain_on_the_window.ogg",
        "Rain on the Window",
        "Ambient",
        SongSpec("A", "minor", 70, (0, 5, 3, 4), drums=False, brightness=0.35, loudness=0.3, seed=2),
    ),
    DemoTrack(
        "night_drive.m4a", "Night Drive", "Electronic", SongSpec("E", "minor", 100, (0, 5, 3, 4), brightness=0.55, loudness=0.7, seed=3)
    ),
    DemoTrack(
        "morning_fields.flac",
        "Morning Fields",
        "Folk",
        SongSpec("G", "major", 92, (0, 3, 4, 0), drums=False, brightness=0.6, loudness=0.45, seed=4),
    ),
    DemoTrack(
        "festival_lights.opus", "Festival Lights", "Dance", SongSpec("D", "major", 140, (0, 4, 5, 3), brightness=0.8, loudness=0.95, seed=5)
    ),
    DemoTrack(
        "old_letters.wav",
        "Old Letters",
        "Classical",
        SongSpec("D", "minor", 76, (0, 3, 4, 0), drums=False, arpeggio=True, brightness=0.3, loudness=0.35, seed=6),
    ),
    DemoTrack(
        "mountain_air.aiff", "Mountain Air", "Acoustic", SongSpec("F", "major", 110, (0, 3, 4, 0), brightness=0.5, loudness=0.6, seed=7)
    ),
    DemoTrack(
        "storm_warning.mp3", "Storm Warning", "Rock", SongSpec("C", "minor", 150, (0, 3, 0, 4), brightness=0.7, loudness=0.95, seed=8)
    ),
)


def write_demo_library(folder: str | Path, *, seconds: float = 40.0, sr: int = 44100) -> list[Path]:
    """Render the demo tracks into `folder` (existing files are kept) and return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for track in DEMO_TRACKS:
        path = folder / track.filename
        if not path.exists():
            tags = {"title": track.title, "artist": "picscore demo", "album": "Demo Library", "genre": track.genre, "date": "2026"}
            partial = path.with_name(f".partial-{track.filename}")
            encode_audio(partial, render_song(track.spec, seconds=seconds, sr=sr), sr=sr, tags=tags)
            partial.replace(path)
        paths.append(path)
    return paths


def write_demo_pictures(folder: str | Path) -> list[Path]:
    """Two procedural photos of opposite mood for the demo: a sunny beach and a night street."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    y, x = np.mgrid[0:360, 0:480] / np.array([360.0, 480.0])[:, None, None]
    sky = np.stack([0.35 + 0.3 * y, 0.65 + 0.2 * y, np.full_like(y, 0.98)], axis=-1)
    sand = np.stack([np.full_like(y, 0.98), 0.82 - 0.1 * y, 0.45 + 0.1 * np.sin(40 * x) ** 2], axis=-1)
    sun = (np.hypot(x - 0.75, y - 0.2) < 0.08)[..., None]
    beach = np.where(y[..., None] > 0.55, sand, np.where(sun, [1.0, 0.9, 0.3], sky))
    windows = ((np.sin(60 * x) > 0.7) & (np.sin(45 * y) > 0.6) & (y > 0.3))[..., None]
    night = np.where(windows, [0.55, 0.45, 0.2], np.stack([0.05 + 0.05 * y, 0.06 + 0.04 * y, 0.15 + 0.1 * (1 - y)], axis=-1))
    paths = []
    for name, pixels in (("sunny_beach.png", beach), ("night_street.png", night)):
        path = folder / name
        Image.fromarray((np.clip(pixels, 0, 1) * 255).astype(np.uint8)).save(path)
        paths.append(path)
    return paths
