"""The built-in demo's music: 24 composed pieces spread over the valence-arousal plane, in every format
(its photos: compose/demo_pictures.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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
