"""The highlight finds the loud, typical part."""

from __future__ import annotations

import numpy as np
import pytest

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
