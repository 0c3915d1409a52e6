"""Integrated loudness against the BS.1770 reference tone, gating and the energy curve."""

from __future__ import annotations

import numpy as np
import pytest

from picscore.audio.loudness import SILENCE_LUFS, energy_curve, integrated_loudness, k_weighting_sos, peak_dbfs


def _tone(*, sr: int, seconds: float = 10.0, peak_db: float = -20.0, hz: float = 997.0) -> np.ndarray:
    return 10 ** (peak_db / 20) * np.sin(2 * np.pi * hz * np.arange(int(seconds * sr)) / sr)


def test_k_weighting_at_48k_matches_the_standards_coefficients() -> None:
    sos = k_weighting_sos(sr=48000)
    np.testing.assert_allclose(
        sos[0], [1.53512485958697, -2.69169618940638, 1.19839281085285, 1.0, -1.69065929318241, 0.73248077421585], atol=1e-9
    )
    np.testing.assert_allclose(sos[1][3:], [1.0, -1.99004745483398, 0.99007225036621], atol=1e-9)


@pytest.mark.parametrize("sr", [22050, 44100, 48000])
def test_reference_tone_reads_its_loudness_at_any_rate(sr: int) -> None:
    # BS.1770: a 997 Hz sine of peak 0 dBFS in one channel reads -3.01 LKFS.
    assert integrated_loudness(_tone(sr=sr, peak_db=-20.0), sr=sr) == pytest.approx(-23.01, abs=0.1)


def test_six_db_more_gain_reads_six_lu_louder() -> None:
    quiet = integrated_loudness(_tone(sr=22050, peak_db=-30.0, hz=300.0), sr=22050)
    loud = integrated_loudness(_tone(sr=22050, peak_db=-24.0, hz=300.0), sr=22050)
    assert loud - quiet == pytest.approx(6.0, abs=0.05)


def test_silence_in_the_middle_is_gated_out() -> None:
    tone = _tone(sr=22050, seconds=10.0)
    with_gap = np.concatenate([tone[: len(tone) // 2], np.zeros(22050 * 20), tone[len(tone) // 2 :]])
    assert integrated_loudness(with_gap, sr=22050) == pytest.approx(integrated_loudness(tone, sr=22050), abs=0.2)


def test_silence_and_too_short_audio() -> None:
    assert integrated_loudness(np.zeros(22050 * 2), sr=22050) == SILENCE_LUFS
    assert integrated_loudness(np.ones(100) * 0.1, sr=22050) == SILENCE_LUFS
    assert peak_dbfs(np.zeros(10)) == SILENCE_LUFS


def test_energy_curve_follows_the_level() -> None:
    sr = 8000
    signal = np.concatenate([np.full(sr, 0.5), np.full(sr, 0.05), np.full(sr // 4, 0.5)])
    curve = energy_curve(signal, sr=sr, seconds_per_point=0.5)
    assert len(curve) == 5
    np.testing.assert_allclose(curve, [-6.02, -6.02, -26.02, -26.02, -6.02], atol=0.01)
