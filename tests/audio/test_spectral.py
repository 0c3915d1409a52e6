"""Spectra of signals whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from picscore.audio import spectral
from picscore.audio.analysis import front_end
from tests.conftest import SR


def _sine(hz: float, seconds: float = 1.0) -> np.ndarray:
    return np.sin(2 * np.pi * hz * np.arange(int(seconds * SR)) / SR).astype(np.float32)


def test_power_spectrogram_shape_and_peak() -> None:
    power = spectral.power_spectrogram(_sine(1000.0), n_fft=2048, hop_length=512)
    assert power.shape == (1025, 1 + SR // 512)
    assert np.argmax(power[:, 10]) == round(1000 * 2048 / SR)


def test_parseval_holds_for_the_hann_window() -> None:
    power = spectral.power_spectrogram(_sine(700.0, 2.0), n_fft=1024, hop_length=256)
    window_energy = np.sum(spectral._hann(1024) ** 2)
    frame_energy = (power[0, 20] + 2 * power[1:-1, 20].sum() + power[-1, 20]) / 1024
    assert frame_energy == pytest.approx(0.5 * window_energy, rel=0.01)


def test_mel_band_of_a_sine_and_filter_shape() -> None:
    weights = spectral.mel_filterbank(sr=SR, n_fft=2048, n_mels=64)
    assert weights.shape == (64, 1025) and (weights >= 0).all()
    power = spectral.power_spectrogram(_sine(2000.0))
    band = int(np.argmax((weights @ power)[:, 10]))
    centres = spectral.mel_to_hz(np.linspace(spectral.hz_to_mel(0), spectral.hz_to_mel(SR / 2), 66))[1:-1]
    assert abs(centres[band] - 2000) < 100


def test_mel_scale_round_trip() -> None:
    hz = np.array([0.0, 200.0, 999.0, 1000.0, 5000.0])
    np.testing.assert_allclose(spectral.mel_to_hz(spectral.hz_to_mel(hz)), hz, atol=1e-6)


def test_centroid_of_a_sine_is_its_frequency() -> None:
    power = spectral.power_spectrogram(_sine(3000.0))
    assert spectral.spectral_centroid(power, sr=SR, n_fft=2048)[10] == pytest.approx(3000, rel=0.02)


def test_onset_strength_peaks_at_a_sudden_note() -> None:
    x = np.concatenate([np.zeros(SR), _sine(440.0)])
    onset = spectral.onset_strength(front_end(x).log_mel)  # the log-mel the analysis reads its onsets from
    assert abs(np.argmax(onset) * 512 / SR - 1.0) < 0.05
