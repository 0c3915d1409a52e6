"""Tempo and beat phase on click tracks and drum songs with known beat times."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from picscore.audio.analysis import AnalysisConfig, analyse
from picscore.audio.beat import estimate_tempo
from picscore.compose.synth import SongSpec, click_track, render_song
from picscore.media.audio_decode import decode_audio
from tests.conftest import SR, write_clicks

FRAME_RATE = AnalysisConfig().frame_rate


def _beat_errors(beats: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """For each tracked beat, the signed distance in seconds to the nearest true beat."""
    nearest = np.abs(truth[None, :] - beats[:, None]).argmin(axis=1)
    return beats - truth[nearest]


def _assert_on_the_beat(beats: np.ndarray, truth: np.ndarray, *, seconds: float) -> None:
    inside = truth[(truth > 1.0) & (truth < seconds - 1.0)]
    assert len(beats) >= 0.9 * len(inside), "beats missing"
    errors = _beat_errors(beats, truth)
    assert np.abs(errors).max() < 0.035, f"a beat is off the clicks by {np.abs(errors).max() * 1000:.0f} ms"
    found = np.abs(inside[:, None] - beats[None, :]).min(axis=1) < 0.035
    assert found.mean() >= 0.95, "beats locked onto something other than the clicks"


@pytest.mark.parametrize("bpm", [90, 120, 150])
@pytest.mark.parametrize("first_click_seconds", [0.0, 0.23])
def test_click_track_tempo_and_phase_through_mp3(tmp_path: Path, bpm: int, first_click_seconds: float) -> None:
    path = write_clicks(tmp_path / "clicks.mp3", bpm=bpm, seconds=20.0, sr=44100, first_click_seconds=first_click_seconds)
    result = analyse(decode_audio(path, sr=SR).samples)
    assert result.bpm == pytest.approx(bpm, abs=2)
    truth = np.arange(first_click_seconds, 20.0, 60.0 / bpm)
    _assert_on_the_beat(result.beat_times, truth, seconds=20.0)


@pytest.mark.parametrize("bpm", [84, 100, 128, 140])
def test_drum_song_beats_land_on_quarter_notes_not_off_beats(bpm: int) -> None:
    # Hi-hats on every eighth note tempt a tracker onto the off-beats; kicks and snares mark the beat.
    samples = render_song(SongSpec(tonic="D", mode="major", bpm=bpm, seed=bpm), seconds=24.0, sr=SR)
    result = analyse(samples)
    assert result.bpm == pytest.approx(bpm, abs=2)
    _assert_on_the_beat(result.beat_times, np.arange(0.0, 24.0, 60.0 / bpm), seconds=24.0)


def test_slow_tempo_with_strong_half_beats_is_doubled() -> None:
    # 50 BPM clicks with equally strong clicks half-way: people tap 100.
    samples = click_track(bpm=100, seconds=30.0, sr=SR, accent_every=2)
    result = analyse(samples)
    assert result.bpm == pytest.approx(100, abs=2)


def test_tempo_guard_doubles_below_the_preferred_range() -> None:
    # An onset envelope pulsing every 60 BPM beat with a weaker pulse half-way between.
    # Each onset is a bump one frame wide at its exact (fractional) frame position.
    frames = np.arange(int(40 * FRAME_RATE))
    period = FRAME_RATE  # one beat per second
    beats, halves = np.arange(0, frames[-1], period), np.arange(period / 2, frames[-1], period)
    onset = sum(np.exp(-0.5 * (frames - at) ** 2) for at in beats) + sum(0.8 * np.exp(-0.5 * (frames - at) ** 2) for at in halves)
    bpm, _ = estimate_tempo(onset, frame_rate=FRAME_RATE, prior_bpm=60.0, prior_octaves=0.3)
    assert bpm == pytest.approx(120, abs=2)


def test_silence_has_no_beats() -> None:
    result = analyse(np.zeros(SR * 5, dtype=np.float32))
    assert len(result.beat_times) == 0
