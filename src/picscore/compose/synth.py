"""A small additive synthesiser: tones, drums, click tracks and whole chord-progression songs.

Everything is deterministic for a given seed, so tests and the demo library can rely on
known tempi, keys and beat positions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from picscore.compose.theory import HARMONIC_MINOR_SCALE, MAJOR_SCALE, midi_to_hz
from picscore.pitch_names import pitch_class


@lru_cache(maxsize=512)
def tone(*, hz: float, seconds: float, sr: int, harmonics: int = 6, brightness: float = 0.6, decay_seconds: float = 1.0) -> np.ndarray:
    """A plucked/struck tone: harmonics with amplitude brightness**k and exponential decay.

    Cached, since songs repeat their notes; the returned array is read-only.
    """
    t = np.arange(int(seconds * sr)) / sr
    wave = np.zeros_like(t)
    for k in range(1, harmonics + 1):
        if k * hz < sr / 2:
            wave += brightness ** (k - 1) * np.sin(2 * np.pi * k * hz * t)
    attack = np.minimum(1.0, t / 0.005)
    release = np.minimum(1.0, (seconds - t) / 0.02).clip(0.0)
    out = (wave * attack * release * np.exp(-t / decay_seconds)).astype(np.float32)
    out.flags.writeable = False
    return out


def kick(*, sr: int) -> np.ndarray:
    t = np.arange(int(0.25 * sr)) / sr
    sweep = 2 * np.pi * (45 * t + 60 * (1 - np.exp(-t * 30)) / 30)
    return (np.sin(sweep) * np.exp(-t * 18)).astype(np.float32)


def snare(*, sr: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(0.18 * sr)) / sr
    body = 0.4 * np.sin(2 * np.pi * 190 * t) * np.exp(-t * 30)
    noise = rng.standard_normal(len(t)) * np.exp(-t * 22)
    return (0.6 * (body + 0.6 * noise)).astype(np.float32)


def hihat(*, sr: int, rng: np.random.Generator, seconds: float = 0.05, decay_per_second: float = 90.0) -> np.ndarray:
    """A closed hi-hat; longer `seconds` and slower `decay_per_second` make an open one."""
    t = np.arange(int(seconds * sr)) / sr
    noise = np.diff(rng.standard_normal(len(t) + 1))  # first difference: a crude high-pass
    return (0.25 * noise * np.exp(-t * decay_per_second)).astype(np.float32)


def mix_at(buffer: np.ndarray, sound: np.ndarray, *, seconds: float, sr: int, gain: float = 1.0) -> None:
    """Add `sound` into `buffer` starting at `seconds`, cut at the buffer's end."""
    start = round(seconds * sr)
    if start >= len(buffer):
        return
    end = min(len(buffer), start + len(sound))
    buffer[start:end] += gain * sound[: end - start]


def click_track(*, bpm: float, seconds: float, sr: int, first_click_seconds: float = 0.0, accent_every: int = 4) -> np.ndarray:
    """Short broadband clicks at `bpm` from `first_click_seconds`, every `accent_every`-th louder."""
    out = np.zeros(int(seconds * sr), dtype=np.float32)
    t = np.arange(int(0.03 * sr)) / sr
    click = (np.sin(2 * np.pi * 1500 * t) + 0.5 * np.sin(2 * np.pi * 3100 * t)) * np.exp(-t * 250)
    for i, at in enumerate(np.arange(first_click_seconds, seconds, 60.0 / bpm)):
        mix_at(out, click.astype(np.float32), seconds=at, sr=sr, gain=0.8 if i % accent_every == 0 else 0.45)
    return out


@dataclass(frozen=True)
class SongSpec:
    """What to play: key, mode, tempo, chord degrees per bar, and the character of the sound."""

    tonic: str = "C"
    mode: str = "major"
    bpm: float = 120.0
    progression: tuple[int, ...] = (0, 3, 4, 0)
    drums: bool = True
    brightness: float = 0.6
    loudness: float = 0.5
    arpeggio: bool = True
    seed: int = 0

    @property
    def scale(self) -> tuple[int, ...]:
        return MAJOR_SCALE if self.mode == "major" else HARMONIC_MINOR_SCALE

    @property
    def tonic_midi(self) -> int:
        return 48 + pitch_class(self.tonic)


def chord_pitches(spec: SongSpec, degree: int) -> list[int]:
    """MIDI pitches of the triad on scale `degree` (0-based) in the song's key."""
    scale = spec.scale
    return [spec.tonic_midi + scale[(degree + step) % 7] + 12 * ((degree + step) // 7) for step in (0, 2, 4)]


def render_song(spec: SongSpec, *, seconds: float, sr: int) -> np.ndarray:
    """Render chords, bass, an arpeggio and drums in 4/4; beat 1 of bar 1 falls at t = 0."""
    rng = np.random.default_rng(spec.seed)
    beat = 60.0 / spec.bpm
    out = np.zeros(int(seconds * sr), dtype=np.float32)
    drums = {"kick": kick(sr=sr), "snare": snare(sr=sr, rng=rng), "hat": hihat(sr=sr, rng=rng)}
    n_beats = int(np.ceil(seconds / beat))
    for i in range(n_beats):
        at = i * beat
        bar, beat_in_bar = divmod(i, 4)
        pitches = chord_pitches(spec, spec.progression[bar % len(spec.progression)])
        if beat_in_bar == 0:
            for pitch in pitches:
                mix_at(
                    out,
                    tone(hz=midi_to_hz(pitch + 12), seconds=4 * beat, sr=sr, brightness=spec.brightness, decay_seconds=3 * beat),
                    seconds=at,
                    sr=sr,
                    gain=0.18,
                )
        if beat_in_bar in (0, 2):  # bass on beats 1 and 3, the downbeat a little louder
            bass = tone(hz=midi_to_hz(pitches[0] - 12), seconds=2 * beat, sr=sr, harmonics=3, decay_seconds=beat)
            mix_at(out, bass, seconds=at, sr=sr, gain=0.35 if beat_in_bar == 0 else 0.3)
        if spec.arpeggio:
            for half in range(2):
                pitch = pitches[(2 * beat_in_bar + half) % 3] + 24
                mix_at(
                    out,
                    tone(hz=midi_to_hz(pitch), seconds=beat / 2, sr=sr, brightness=spec.brightness, decay_seconds=beat / 2),
                    seconds=at + half * beat / 2,
                    sr=sr,
                    gain=0.12,
                )
        if spec.drums:
            mix_at(out, drums["kick" if beat_in_bar in (0, 2) else "snare"], seconds=at, sr=sr, gain=0.7)
            for half in range(2):
                mix_at(out, drums["hat"], seconds=at + half * beat / 2, sr=sr, gain=0.5)
    peak = np.abs(out).max()
    return (out * (spec.loudness / peak) if peak > 0 else out).astype(np.float32)
