"""One pass over a decoded track: every descriptor the library stores, from one spectrogram."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from picscore.audio import beat, key, loudness, spectral
from picscore.audio.highlight import find_highlight

# Bump when any stored descriptor would come out differently: the library re-analyses rows
# with an older version.
ANALYSIS_VERSION = 1

# The log-mel flux peaks before a sharp attack reaches the frame centre; measured on click
# tracks as 0.58 of the half window (27 ms at n_fft=2048, 22.05 kHz).
_ONSET_LATENCY_HALF_WINDOWS = 0.58


@dataclass(frozen=True)
class AnalysisConfig:
    """Spectral settings shared by every descriptor."""

    sr: int = 22050
    n_fft: int = 2048
    hop_length: int = 512
    n_mels: int = 128
    highlight_seconds: float = 30.0

    @property
    def frame_rate(self) -> float:
        return self.sr / self.hop_length


@dataclass(frozen=True)
class TrackAnalysis:
    """The descriptors of one track (times in seconds, loudness in LUFS / dBFS)."""

    duration_seconds: float
    bpm: float
    tempo_confidence: float
    beat_times: np.ndarray
    key_tonic: str
    key_mode: str
    key_confidence: float
    loudness_lufs: float
    peak_dbfs: float
    energy_curve_db: np.ndarray
    brightness_hz: float
    highlight_start: float
    highlight_end: float

    @property
    def key_name(self) -> str:
        return key.Key(self.key_tonic, self.key_mode, self.key_confidence).short_name

    def as_row(self) -> dict[str, Any]:
        """The descriptors under the library's column names (library/store.py)."""
        return {
            "duration": self.duration_seconds,
            "bpm": self.bpm,
            "tempo_confidence": self.tempo_confidence,
            "beats": self.beat_times,
            "initial_key": self.key_name,
            "key_tonic": self.key_tonic,
            "key_mode": self.key_mode,
            "key_confidence": self.key_confidence,
            "loudness_lufs": self.loudness_lufs,
            "peak_dbfs": self.peak_dbfs,
            "energy_curve": self.energy_curve_db,
            "brightness_hz": self.brightness_hz,
            "highlight_start": self.highlight_start,
            "highlight_end": self.highlight_end,
        }


DEFAULT_CONFIG = AnalysisConfig()


def analyse(samples: np.ndarray, *, config: AnalysisConfig = DEFAULT_CONFIG) -> TrackAnalysis:
    """Analyse mono float32 `samples` at `config.sr` Hz."""
    sr, n_fft = config.sr, config.n_fft
    power = spectral.power_spectrogram(samples, n_fft=n_fft, hop_length=config.hop_length)
    mel_power = spectral.mel_filterbank(sr=sr, n_fft=n_fft, n_mels=config.n_mels) @ power
    log_mel = spectral.power_to_db(mel_power)
    onset = spectral.onset_strength(log_mel)
    latency = -_ONSET_LATENCY_HALF_WINDOWS * (n_fft / 2) / sr
    beats = beat.beat_track(onset, frame_rate=config.frame_rate, frame_offset_seconds=-latency)
    chroma = key.chromagram(power, sr=sr, n_fft=n_fft)
    found_key = key.estimate_key(chroma)
    lufs = loudness.integrated_loudness(samples, sr=sr)
    centroid = spectral.spectral_centroid(power, sr=sr, n_fft=n_fft)
    frame_db = spectral.power_to_db(mel_power.sum(axis=0))
    audible = frame_db > frame_db.max() - 40
    brightness = float(np.mean(centroid[audible])) if audible.any() else 0.0
    duration = len(samples) / sr
    profile = np.vstack([chroma, _unit_columns(log_mel - log_mel.min())])
    start, end = find_highlight(
        profile,
        frame_db,
        frame_rate=config.frame_rate,
        beat_times=beats.beat_times,
        seconds=config.highlight_seconds,
        duration_seconds=duration,
    )
    return TrackAnalysis(
        duration_seconds=duration,
        bpm=beats.bpm,
        tempo_confidence=beats.confidence,
        beat_times=beats.beat_times,
        key_tonic=found_key.tonic,
        key_mode=found_key.mode,
        key_confidence=found_key.confidence,
        loudness_lufs=lufs,
        peak_dbfs=loudness.peak_dbfs(samples),
        energy_curve_db=loudness.energy_curve(samples, sr=sr),
        brightness_hz=brightness,
        highlight_start=start,
        highlight_end=end,
    )


def _unit_columns(values: np.ndarray) -> np.ndarray:
    return values / np.maximum(np.linalg.norm(values, axis=0, keepdims=True), 1e-8)
