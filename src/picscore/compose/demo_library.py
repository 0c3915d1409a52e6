"""The built-in demo: 24 composed pieces spread over the valence-arousal plane, in every format, and
procedural photos of clear moods."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from picscore.compose.arrangement import Plan, plan_piece
from picscore.compose.composer import Piece, compose
from picscore.media.audio_encode import encode_audio
from picscore.pitch_names import pitch_class


@dataclass(frozen=True)
class DemoTrack:
    """A demo piece: file name (its extension picks the format), tags, and the mood it is composed for."""

    filename: str
    title: str
    genre: str
    valence: float
    arousal: float
    key: str
    seed: int

    def plan(self, *, seconds: float) -> Plan:
        """The plan the piece is rendered from: its tempo, key, mode and instruments."""
        return plan_piece(valence=self.valence, arousal=self.arousal, seconds=seconds, seed=self.seed, tonic=pitch_class(self.key))

    def compose(self, *, seconds: float, sr: int) -> Piece:
        return compose(valence=self.valence, arousal=self.arousal, seconds=seconds, sr=sr, seed=self.seed, key=self.key)


_TRACKS = (
    ("sunny_parade.mp3", "Sunny Parade", "Pop", 0.8, 0.6, "C"),
    ("rain_on_the_window.ogg", "Rain on the Window", "Ballad", -0.5, -0.7, "A"),
    ("night_drive.m4a", "Night Drive", "Rock", -0.35, 0.3, "E"),
    ("morning_fields.flac", "Morning Fields", "Folk", 0.6, -0.4, "G"),
    ("festival_lights.opus", "Festival Lights", "Dance", 0.8, 0.85, "D"),
    ("old_letters.wav", "Old Letters", "Classical", -0.7, -0.5, "D"),
    ("mountain_air.aiff", "Mountain Air", "Pop", 0.5, 0.1, "F"),
    ("storm_warning.mp3", "Storm Warning", "Rock", -0.7, 0.8, "C"),
    ("harbour_lullaby.ogg", "Harbour Lullaby", "Lullaby", 0.35, -0.9, "F"),
    ("neon_chase.m4a", "Neon Chase", "Metal", -0.4, 0.9, "F#"),
    ("paper_boats.flac", "Paper Boats", "Ambient", 0.5, -0.7, "A#"),
    ("grey_morning.opus", "Grey Morning", "Classical", -0.15, -0.35, "B"),
    ("summer_kites.wav", "Summer Kites", "Pop", 0.9, 0.3, "A"),
    ("long_goodbye.aiff", "Long Goodbye", "Ballad", -0.9, -0.2, "G#"),
    ("city_lights.mp3", "City Lights", "Rock", 0.15, 0.6, "D#"),
    ("snowfall.ogg", "Snowfall", "Classical", 0.1, -0.8, "E"),
    ("market_day.m4a", "Market Day", "Pop", 0.7, 0.45, "G"),
    ("lost_signal.flac", "Lost Signal", "Rock", -0.6, 0.4, "C#"),
    ("garden_party.opus", "Garden Party", "Dance", 0.6, 0.7, "C#"),
    ("quiet_shore.wav", "Quiet Shore", "Acoustic", 0.4, -0.5, "D"),
    ("midnight_study.aiff", "Midnight Study", "Classical", -0.1, -0.6, "F"),
    ("rooftop_sunrise.mp3", "Rooftop Sunrise", "Pop", 0.45, 0.35, "B"),
    ("ember_glow.ogg", "Ember Glow", "Ballad", -0.3, -0.1, "G"),
    ("thunder_road.m4a", "Thunder Road", "Rock", 0.05, 0.95, "A"),
)
DEMO_TRACKS = tuple(
    DemoTrack(name, title, genre, valence, arousal, key, seed)
    for seed, (name, title, genre, valence, arousal, key) in enumerate(_TRACKS, 1)
)


def write_demo_library(folder: str | Path, *, seconds: float = 32.0, sr: int = 44100) -> list[Path]:
    """Compose the demo tracks into `folder` (existing files are kept) and return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for track in DEMO_TRACKS:
        path = folder / track.filename
        if not path.exists():
            tags = {"title": track.title, "artist": "picscore demo", "album": "Demo Library", "genre": track.genre, "date": "2026"}
            partial = path.with_name(f".partial-{track.filename}")
            encode_audio(partial, track.compose(seconds=seconds, sr=sr).samples, sr=sr, tags=tags)
            partial.replace(path)
        paths.append(path)
    return paths


def write_demo_pictures(folder: str | Path) -> list[Path]:
    """Drawn pictures of a sunny beach, a night street, a neon party, a foggy lake and a stormy sea.

    Drawings, not photographs: the picture mood, learned from people's ratings of photographs, reads
    most of them as calm, so the demo's suggestions follow what it reads, not the names.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    y, x = np.mgrid[0:360, 0:480] / np.array([360.0, 480.0])[:, None, None]
    sky = np.stack([0.35 + 0.3 * y, 0.65 + 0.2 * y, np.full_like(y, 0.98)], axis=-1)
    sand = np.stack([np.full_like(y, 0.98), 0.82 - 0.1 * y, 0.45 + 0.1 * np.sin(40 * x) ** 2], axis=-1)
    sun = (np.hypot(x - 0.75, y - 0.2) < 0.08)[..., None]
    beach = np.where(y[..., None] > 0.55, sand, np.where(sun, [1.0, 0.9, 0.3], sky))
    windows = ((np.sin(60 * x) > 0.7) & (np.sin(45 * y) > 0.6) & (y > 0.3))[..., None]
    night = np.where(windows, [0.55, 0.45, 0.2], np.stack([0.05 + 0.05 * y, 0.06 + 0.04 * y, 0.15 + 0.1 * (1 - y)], axis=-1))
    stripes = np.sin(30 * x + 12 * y) > 0
    party = np.where(stripes[..., None], [1.0, 0.1, 0.6], [0.1, 0.9, 1.0]) * (0.75 + 0.25 * np.sin(90 * x * y) ** 2)[..., None]
    fog = np.stack([0.72 + 0.08 * y, 0.75 + 0.07 * y, 0.78 + 0.05 * y], axis=-1) - 0.12 * (np.abs(y - 0.62) < 0.01)[..., None]
    waves = 0.5 + 0.5 * np.sin(70 * x + 25 * np.sin(9 * y))
    storm = np.stack([0.12 + 0.1 * waves * y, 0.16 + 0.12 * waves * y, 0.25 + 0.2 * waves * y], axis=-1)
    scenes = {"sunny_beach": beach, "night_street": night, "neon_party": party, "foggy_lake": fog, "stormy_sea": storm}
    paths = []
    for name, pixels in scenes.items():
        path = folder / f"{name}.png"
        Image.fromarray((np.clip(pixels, 0, 1) * 255).astype(np.uint8)).save(path)
        paths.append(path)
    return paths
