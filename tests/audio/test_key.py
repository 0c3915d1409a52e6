"""Key and mode of tonal pieces in known keys."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from picscore.audio.analysis import analyse
from picscore.audio.key import chroma_bins, chroma_filterbank, estimate_key, estimate_tuning
from picscore.audio.spectral import power_spectrogram
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


@pytest.mark.parametrize("cents", [-40, 45])
def test_a_detuned_recording_keeps_its_key(cents: int) -> None:
    # A band tuned 40 cents flat, or 45 sharp, sits nearly half-way between the equal-tempered pitch
    # classes: read against A440, F♯ minor becomes F♯ major or B minor; the tuning is read from the track.
    samples = render_song(
        SongSpec(tonic="F#", mode="minor", bpm=100, seed=3, drums=False), seconds=20.0, sr=round(SR * 2 ** (-cents / 1200))
    )  # rendered at another rate and read at SR: every pitch moves by `cents`
    magnitude = np.sqrt(power_spectrogram(samples)[: chroma_bins(sr=SR, n_fft=2048)])
    assert estimate_tuning(magnitude.mean(axis=1), sr=SR, n_fft=2048) == pytest.approx(cents / 100, abs=0.03)
    result = analyse(samples)
    assert (result.key_tonic, result.key_mode) == ("F#", "minor")
