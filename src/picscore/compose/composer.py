"""Compose a piece for a mood: plan it, write its parts, render, add reverb and master it.

    piece = compose(valence=0.7, arousal=0.3, seconds=60, seed=1)
    piece.samples  # float32 (n, 2) stereo at piece.sr

Deterministic: the same arguments give the same samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from picscore.compose.arrangement import Plan, plan_piece
from picscore.compose.effects import convolve, master, overdrive, pan_gains, reverb_impulse
from picscore.compose.instruments import VOICES, drum_kit, note
from picscore.compose.melody import write_melody
from picscore.compose.parts import write_accompaniment, write_bass, write_drums, write_pad
from picscore.compose.score import Hit, Note, Score
from picscore.pitch_names import pitch_class

_HUMANISE_SECONDS = 0.004  # pitched notes start up to this much early or late
_PART_GAINS = {"melody": 0.5, "chords": 0.26, "pad": 0.22, "bass": 0.45}
_DRUM_GAINS = {"kick": 0.9, "snare": 0.55, "hat": 0.45, "open_hat": 0.25}
_DRUM_PANS = {"kick": 0.0, "snare": 0.05, "hat": 0.35, "open_hat": 0.35}


@dataclass(frozen=True)
class Piece:
    """Rendered stereo samples (n, 2) float32 at `sr`, and the plan they were made from."""

    samples: np.ndarray
    sr: int
    plan: Plan

    @property
    def mono(self) -> np.ndarray:
        return self.samples.mean(axis=1)

    def describe(self) -> dict[str, Any]:
        """The choices behind the piece, for people and JSON."""
        plan = self.plan
        return {
            "valence": round(plan.valence, 3),
            "arousal": round(plan.arousal, 3),
            "seed": plan.seed,
            "bpm": plan.bpm,
            "key": plan.key_name,
            "seconds": round(len(self.samples) / self.sr, 3),
            "form": " ".join(f"{s.name}({s.bars})" for s in plan.sections),
            "instruments": list(dict.fromkeys(v for v in (plan.lead, plan.chords, plan.pad, "bass") if v))
            + (["drums"] if plan.drum_style != "none" else []),
            "accompaniment": plan.accompaniment,
            "drums": plan.drum_style,
            "loudness_lufs": round(plan.loudness_lufs, 1),
        }


def compose(
    *,
    valence: float,
    arousal: float,
    seconds: float = 30.0,
    sr: int = 44100,
    seed: int = 0,
    bpm: float | None = None,
    key: str | None = None,
    mode: str | None = None,
) -> Piece:
    """A piece of exactly `seconds` for the mood; `bpm`, `key` (a tonic like `F#`) and `mode` override the mood's choice."""
    plan = plan_piece(
        valence=valence, arousal=arousal, seconds=seconds, seed=seed, bpm=bpm, tonic=None if key is None else pitch_class(key), mode=mode
    )
    stereo = render(write_score(plan), plan=plan, seconds=seconds, sr=sr)
    return Piece(np.ascontiguousarray(stereo.T), sr, plan)


def write_score(plan: Plan) -> Score:
    """Every part of the plan as notes and hits."""
    score = Score()
    score.parts["melody"] = (plan.lead, write_melody(plan, lowest_midi=plan.melody_lowest_midi))
    score.parts["chords"] = (plan.chords, write_accompaniment(plan, pattern=plan.accompaniment, centre_midi=plan.chords_centre_midi))
    if plan.pad:
        score.parts["pad"] = (plan.pad, write_pad(plan, centre_midi=57))
    score.parts["bass"] = ("bass", write_bass(plan, lowest_midi=41))
    score.hits = write_drums(plan)
    return score


def render(score: Score, *, plan: Plan, seconds: float, sr: int) -> np.ndarray:
    """Mix the score to stereo (2, n) with reverb and mastering."""
    n = round(seconds * sr)
    rng = np.random.default_rng([plan.seed, 5])
    dry = np.zeros((2, n), dtype=np.float32)
    send = np.zeros(n, dtype=np.float32)  # mono: the hall's two impulses give the reverb its width
    for part, (voice_name, notes) in score.parts.items():
        voice = VOICES[voice_name]
        track = np.zeros((2, n) if voice.wide else n, dtype=np.float32)
        _add_notes(track, notes, voice_name=voice_name, beat_seconds=plan.beat_seconds, sr=sr, rng=rng)
        if voice.drive:
            track = np.float32(voice.gain) * overdrive(track, drive=voice.drive, cabinet_hz=voice.cabinet_hz, sr=sr)
        gains = np.float32(_PART_GAINS[part]) * (
            np.ones((2, 1), np.float32) if voice.wide else np.array(pan_gains(voice.pan), np.float32)[:, None]
        )
        dry += gains * track
        send += np.float32(voice.reverb_send * _PART_GAINS[part]) * (track.mean(axis=0) if voice.wide else track)
    dry += np.float32(plan.drums_gain) * _drum_track(score.hits, plan=plan, n=n, sr=sr)
    wet = convolve(send, reverb_impulse(seconds=plan.reverb_seconds, sr=sr, seed=plan.seed))
    mix = dry + np.float32(plan.reverb_mix) * wet
    fade = min(n, int(1.0 * sr))
    mix[:, n - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32) ** 2
    return master(mix, sr=sr, loudness_lufs=plan.loudness_lufs)


def _add_notes(track: np.ndarray, notes: list[Note], *, voice_name: str, beat_seconds: float, sr: int, rng: np.random.Generator) -> None:
    """Add each note's cached waveform into `track` ((n,) or (2, n)) at its humanised onset."""
    n = track.shape[-1]
    jitter = rng.uniform(-_HUMANISE_SECONDS, _HUMANISE_SECONDS, size=len(notes))
    for item, shift in zip(notes, jitter, strict=True):
        start = max(0, round((item.start_beats * beat_seconds + shift) * sr))
        if start >= n:
            continue
        wave = note(voice_name, midi=item.midi, held_samples=round(item.beats * beat_seconds * sr), sr=sr)
        end = min(n, start + wave.shape[-1])
        track[..., start:end] += np.float32(item.velocity) * wave[..., : end - start]


def _drum_track(hits: list[Hit], *, plan: Plan, n: int, sr: int) -> np.ndarray:
    """The drums, each panned, as (2, n); dry, as close-miked drums are."""
    kit = drum_kit(sr=sr, seed=plan.seed)
    out = np.zeros((2, n), dtype=np.float32)
    by_drum: dict[str, np.ndarray] = {name: np.zeros(n, dtype=np.float32) for name in kit}
    for hit in hits:
        start = round(hit.start_beats * plan.beat_seconds * sr)
        if start < n:
            sound = kit[hit.drum]
            end = min(n, start + len(sound))
            by_drum[hit.drum][start:end] += np.float32(hit.velocity) * sound[: end - start]
    for name, track in by_drum.items():
        out += np.array(pan_gains(_DRUM_PANS[name]), np.float32)[:, None] * np.float32(_DRUM_GAINS[name]) * track
    return out
