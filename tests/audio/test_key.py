"""Key and mode of tonal pieces in known keys."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from picscore.audio.analysis import analyse
from picscore.audio.key import chroma_filterbank, estimate_key
from picscore.compose.synth import SongSpec, render_song
from picscore.media.audio_decode import decode_audio
from picscore.pitch_names import SHARP_NAMES
from tests.conftest import SR, write_song


@pytest.mark.parametrize(
    ("tonic", "mode", "progression"),
    [
        ("C", "major", (0, 3, 4, 0)),
        ("E", "major", (0, 4, 5, 3)),
        ("A", "minor", (0, 3, 4, 0)),
        ("F#", "minor", (0, 5, 3, 4)),
        ("Bb", "major", (0, 3, 4, 0)),
    ],
)
def test_key_of_a_chord_progression(tonic: str, mode: str, progression: tuple[int, ...]) -> None:
    samples = render_song(SongSpec(tonic=tonic, mode=mode, bpm=100, progression=progression, seed=3), seconds=20.0, sr=SR)
    result = analyse(samples)
    assert (result.key_tonic, result.key_mode) == (tonic, mode)
    assert result.key_confidence > 0.5
    assert result.initial_key == tonic + ("m" if mode == "minor" else "")


def test_key_survives_lossy_encoding(tmp_path: Path) -> None:
    path = write_song(tmp_path / "dm.m4a", seconds=16.0, sr=44100, tonic="D", mode="minor", bpm=76, drums=False)
    result = analyse(decode_audio(path, sr=SR).samples)
    assert (result.key_tonic, result.key_mode) == ("D", "minor")


def test_chroma_filterbank_maps_a440_to_a() -> None:
    weights = chroma_filterbank(sr=SR, n_fft=2048)
    bin_440 = round(440 * 2048 / SR)
    assert SHARP_NAMES[int(np.argmax(weights[:, bin_440]))] == "A"


def test_ambiguous_profile_has_low_confidence() -> None:
    # All twelve pitch classes equally loud: every key fits equally, so 1 in 24.
    assert estimate_key(np.ones(12)).confidence == pytest.approx(1 / 24)
    assert estimate_key(np.zeros(12)).confidence == 0.0
    clear = estimate_key(np.array([1.0, 0, 0.6, 0, 0.8, 0.5, 0, 0.9, 0, 0.4, 0, 0.3]))
    assert clear.name == "C major" and clear.confidence > 0.5
