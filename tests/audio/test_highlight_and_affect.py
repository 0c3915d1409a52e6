"""The highlight finds the loud, typical part; the affect prior moves the right way."""

from __future__ import annotations

import numpy as np
import pytest

from picscore.audio.affect import estimate_valence_arousal
from picscore.audio.analysis import AnalysisConfig, analyse
from picscore.compose.synth import SongSpec, render_song
from tests.conftest import SR


def test_highlight_is_the_chorus_and_starts_on_a_beat() -> None:
    spec = SongSpec(tonic="G", mode="major", bpm=120, seed=9)
    verse = render_song(SongSpec(tonic="G", mode="major", bpm=120, drums=False, seed=9), seconds=40.0, sr=SR) * 0.2
    chorus = render_song(spec, seconds=20.0, sr=SR)
    outro = verse[: SR * 20]
    samples = np.concatenate([verse, chorus, outro]).astype(np.float32)
    result = analyse(samples, config=AnalysisConfig(highlight_seconds=15.0))
    assert 38.0 <= result.highlight_start <= 46.0
    assert result.highlight_end - result.highlight_start == pytest.approx(15.0, abs=0.01)
    assert np.abs(result.beat_times - result.highlight_start).min() < 0.03


def test_short_track_is_its_own_highlight() -> None:
    result = analyse(render_song(SongSpec(bpm=120), seconds=10.0, sr=SR))
    assert (result.highlight_start, result.highlight_end) == (0.0, pytest.approx(10.0))


def test_arousal_rises_with_tempo_loudness_and_brightness() -> None:
    base = {"bpm": 100.0, "mode": "major", "key_confidence": 0.8, "loudness_lufs": -18.0, "brightness_hz": 1800.0}
    _, calm = estimate_valence_arousal(**base)
    for change in ({"bpm": 150.0}, {"loudness_lufs": -10.0}, {"brightness_hz": 3000.0}):
        _, aroused = estimate_valence_arousal(**{**base, **change})
        assert aroused > calm


def test_major_reads_happier_than_minor_and_values_stay_in_range() -> None:
    major, _ = estimate_valence_arousal(bpm=90.0, mode="major", key_confidence=0.9, loudness_lufs=-20.0, brightness_hz=1500.0)
    minor, _ = estimate_valence_arousal(bpm=90.0, mode="minor", key_confidence=0.9, loudness_lufs=-20.0, brightness_hz=1500.0)
    assert major > 0 > minor
    extreme = estimate_valence_arousal(bpm=400.0, mode="major", key_confidence=1.0, loudness_lufs=0.0, brightness_hz=9000.0)
    assert all(-1.0 <= v <= 1.0 for v in extreme)


def test_demo_moods_order_as_intended() -> None:
    festive = analyse(render_song(SongSpec("D", "major", 140, brightness=0.8, loudness=0.95), seconds=20.0, sr=SR))
    sombre = analyse(render_song(SongSpec("D", "minor", 76, drums=False, brightness=0.3, loudness=0.3), seconds=20.0, sr=SR))
    assert festive.valence > sombre.valence
    assert festive.arousal > sombre.arousal
