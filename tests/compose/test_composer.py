"""Composed pieces measured with picscore's own analysis: tempo, mode, energy, determinism, mastering."""

from __future__ import annotations

import numpy as np
import pytest

from picscore.audio import spectral
from picscore.audio.analysis import analyse
from picscore.compose import instruments
from picscore.compose.arrangement import plan_piece
from picscore.compose.composer import compose
from picscore.compose.effects import mid_loudness
from picscore.moods.music import mood_of_samples
from picscore.moods.plane import QUADRANT_WORDS

SR = 22050  # the analysis rate: no resampling between composer and analysis


@pytest.mark.parametrize(
    ("bpm", "valence", "arousal"), [(74, -0.6, -0.8), (92, 0.6, -0.3), (117, 0.2, 0.1), (133, -0.5, 0.6), (152, 0.7, 0.95)]
)
def test_requested_tempo_comes_back(bpm: int, valence: float, arousal: float) -> None:
    piece = compose(valence=valence, arousal=arousal, bpm=bpm, seconds=20.0, sr=SR, seed=bpm)
    assert analyse(piece.mono).bpm == pytest.approx(bpm, abs=3)


def test_requested_mode_is_detected_in_most_of_a_seeded_batch() -> None:
    rng = np.random.default_rng(7)
    found: dict[str, list[str]] = {"major": [], "minor": []}
    for seed in range(6):
        for mode, valence in (("major", 0.5), ("minor", -0.5)):
            piece = compose(valence=valence, arousal=float(rng.uniform(-0.9, 0.9)), mode=mode, seconds=20.0, sr=SR, seed=seed)
            found[mode].append(analyse(piece.mono).key_mode)
    assert found["major"].count("major") >= 5, found
    assert found["minor"].count("minor") >= 5, found


@pytest.mark.parametrize(("key", "mode"), [("F#", "minor"), ("Bb", "major")])
def test_requested_key_is_the_key_heard(key: str, mode: str) -> None:
    result = analyse(compose(valence=0.0, arousal=0.2, key=key, mode=mode, seconds=20.0, sr=SR, seed=2).mono)
    assert (result.key_tonic, result.key_mode) == (key, mode)  # spelled as the signature does: Bb, not A#


def _onset_density(samples: np.ndarray) -> float:
    """Mean log-mel spectral flux per frame: how much new sound starts, per unit time."""
    power = spectral.power_spectrogram(samples, n_fft=2048, hop_length=512)
    log_mel = spectral.power_to_db(spectral.mel_filterbank(sr=SR, n_fft=2048, n_mels=128) @ power)
    return float(spectral.onset_strength(log_mel).mean())


def test_higher_arousal_is_louder_and_busier() -> None:
    results = []
    for arousal in (-0.8, 0.0, 0.8):
        mono = compose(valence=0.3, arousal=arousal, seconds=20.0, sr=SR, seed=11).mono
        results.append((analyse(mono).loudness_lufs, _onset_density(mono)))
    loudness, density = (np.array(column) for column in zip(*results, strict=True))
    assert np.all(np.diff(loudness) > 2.0), loudness
    assert np.all(np.diff(density) > 0), density


def test_learned_mood_hears_each_corner_of_the_plane_as_asked() -> None:
    # picscore's learned music mood (the taggers and the head fitted on people's judgements) listens to
    # one short piece per corner: each must read as its own quadrant, and the axes must move the right way.
    corners = {(0.8, 0.8): "happy", (-0.8, 0.8): "tense", (-0.8, -0.8): "sad", (0.8, -0.8): "calm"}
    read = {}
    for seed, (valence, arousal) in enumerate(corners):
        mood = mood_of_samples(compose(valence=valence, arousal=arousal, seconds=15.0, sr=SR, seed=seed).mono, sr=SR)
        read[valence, arousal] = (mood["valence"], mood["arousal"], QUADRANT_WORDS[int(np.argmax(mood["mood_quadrants"]))])
    assert {asked: words for asked, (_, _, words) in read.items()} == corners, read
    assert min(read[v, 0.8][1] for v in (-0.8, 0.8)) > max(read[v, -0.8][1] for v in (-0.8, 0.8)) + 1.0, read
    assert min(read[0.8, a][0] for a in (-0.8, 0.8)) > max(read[-0.8, a][0] for a in (-0.8, 0.8)) + 0.5, read


def test_same_seed_gives_identical_audio_and_another_seed_another_piece() -> None:
    first = compose(valence=0.4, arousal=0.5, seconds=8.0, sr=SR, seed=5).samples
    instruments.clear_note_cache()  # a cold note cache renders the same samples
    again = compose(valence=0.4, arousal=0.5, seconds=8.0, sr=SR, seed=5).samples
    other = compose(valence=0.4, arousal=0.5, seconds=8.0, sr=SR, seed=6).samples
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_piece_is_exact_length_stereo_mastered_to_its_target() -> None:
    piece = compose(valence=-0.2, arousal=-0.4, seconds=15.0, sr=SR, seed=3)
    assert piece.samples.shape == (15 * SR, 2) and piece.samples.dtype == np.float32
    left, right = piece.samples.T
    assert np.corrcoef(left, right)[0, 1] < 0.99  # pads, panning and reverb give width
    assert np.abs(piece.samples).max() <= 0.891  # -1 dBFS ceiling
    assert mid_loudness(piece.samples.T, sr=SR) == pytest.approx(piece.plan.loudness_lufs, abs=1.0)


def test_mood_maps_to_tempo_mode_and_harmonic_rhythm() -> None:
    calm_sad = plan_piece(valence=-0.8, arousal=-0.8, seconds=30.0, seed=1)
    lively_happy = plan_piece(valence=0.8, arousal=0.8, seconds=30.0, seed=1)
    assert calm_sad.bpm < 90 < 130 < lively_happy.bpm
    assert (calm_sad.mode, lively_happy.mode) == ("minor", "major")
    assert plan_piece(valence=0.0, arousal=0.0, seconds=30.0, seed=1).mode in ("dorian", "mixolydian")
    assert min(s.bars for s in calm_sad.harmony[1:-3]) == 2  # sad: a chord per two bars
    assert max(s.bars for s in lively_happy.harmony[1:-3]) == 1
    assert (calm_sad.drum_style, lively_happy.drum_style) == ("soft", "drive")  # a ballad's brushed beat, a dance beat
    tense = plan_piece(valence=-0.8, arousal=0.8, seconds=30.0, seed=1)
    assert (calm_sad.lead, lively_happy.lead, tense.chords) == ("cello", "saw", "guitar")
    assert calm_sad.reverb_seconds > lively_happy.reverb_seconds
