"""One pass over a decoded track: every descriptor the library stores, from one spectrogram."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from picscore.audio import beat, key, loudness, spectral
from picscore.audio.highlight import find_highlight
from picscore.audio.tempo_octave import OnsetBands
from picscore.audio.timbre import timbre_statistics

# Shorter audio holds too few beats for a tempo (two at 40 BPM) and less than one patch of
# the music taggers.
MIN_ANALYSIS_SECONDS = 3.0

# The log-mel flux peaks before a sharp attack reaches the frame centre; measured on click
# tracks as 0.58 of the half window (27 ms at n_fft=2048, 22.05 kHz).
_ONSET_LATENCY_HALF_WINDOWS = 0.58
# Kick drum and bass, and cymbals: the bands whose onsets say which pulses are beats. Their
# level is floored this far below their loudest, so faint leakage (a hi-hat's lowest partials
# in a quiet bass band) does not count as a rise.
_BASS_BELOW_HZ = 200.0
_HIGH_ABOVE_HZ = 5000.0
_BAND_RANGE_DB = 60.0


class TooShortError(ValueError):
    """Audio shorter than MIN_ANALYSIS_SECONDS: no tempo, key or highlight can be read from it."""

    def __init__(self, seconds: float) -> None:
        shown = min(round(seconds, 1), MIN_ANALYSIS_SECONDS - 0.1)  # 2.97 s shows as 2.9 s, not as the 3 s it lacks
        super().__init__(f"too short to analyse: {shown:.1f} s; at least {MIN_ANALYSIS_SECONDS:g} s needed")


def check_duration(seconds: float) -> None:
    """Raise TooShortError for audio too short to analyse."""
    if seconds < MIN_ANALYSIS_SECONDS:
        raise TooShortError(seconds)


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
    timbre: np.ndarray  # [TIMBRE_WIDTH] audio/timbre.py

    @property
    def initial_key(self) -> str:
        """The beets/ID3 form: `Eb`, `F#m`."""
        return self.key_tonic + ("m" if self.key_mode == "minor" else "")

    def as_row(self) -> dict[str, Any]:
        """The descriptors under the library's column names (library/store.py)."""
        return {
            "duration": self.duration_seconds,
            "bpm": self.bpm,
            "tempo_confidence": self.tempo_confidence,
            "beats": self.beat_times,
            "initial_key": self.initial_key,
            "key_tonic": self.key_tonic,
            "key_mode": self.key_mode,
            "key_confidence": self.key_confidence,
            "loudness_lufs": self.loudness_lufs,
            "peak_dbfs": self.peak_dbfs,
            "energy_curve": self.energy_curve_db,
            "brightness_hz": self.brightness_hz,
            "highlight_start": self.highlight_start,
            "highlight_end": self.highlight_end,
            "timbre": self.timbre,
        }


DEFAULT_CONFIG = AnalysisConfig()


def analyse(samples: np.ndarray, *, config: AnalysisConfig = DEFAULT_CONFIG) -> TrackAnalysis:
    """Analyse mono float32 `samples` at `config.sr` Hz; TooShortError below MIN_ANALYSIS_SECONDS."""
    check_duration(len(samples) / config.sr)
    sr, n_fft = config.sr, config.n_fft
    spectra = front_end(samples, config=config)
    power, mel_power, log_mel = spectra.power, spectra.mel_power, spectra.log_mel
    latency = -_ONSET_LATENCY_HALF_WINDOWS * (n_fft / 2) / sr
    beats = beat.beat_track(spectra.onsets, frame_rate=config.frame_rate, frame_offset_seconds=-latency)
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
        key_tonic=found_key.spelled_tonic,
        key_mode=found_key.mode,
        key_confidence=found_key.confidence,
        loudness_lufs=lufs,
        peak_dbfs=loudness.peak_dbfs(samples),
        energy_curve_db=loudness.energy_curve(samples, sr=sr),
        brightness_hz=brightness,
        highlight_start=start,
        highlight_end=end,
        timbre=timbre_statistics(log_mel, band_centres_hz=spectral.mel_band_centres(sr=sr, n_mels=config.n_mels)),
    )


@dataclass(frozen=True)
class FrontEnd:
    """The spectra every descriptor is read from, and the onset envelopes the tempo is read from."""

    power: np.ndarray  # [1 + n_fft / 2, frames] STFT power
    mel_power: np.ndarray  # [n_mels, frames]
    log_mel: np.ndarray  # [n_mels, frames] in dB
    onsets: OnsetBands


def front_end(samples: np.ndarray, *, config: AnalysisConfig = DEFAULT_CONFIG) -> FrontEnd:
    """The one STFT of mono `samples` at `config.sr` Hz, its mel bands and their onset envelopes."""
    power = spectral.power_spectrogram(samples, n_fft=config.n_fft, hop_length=config.hop_length)
    mel_power = spectral.mel_filterbank(sr=config.sr, n_fft=config.n_fft, n_mels=config.n_mels) @ power
    log_mel = spectral.power_to_db(mel_power)
    return FrontEnd(power, mel_power, log_mel, onset_bands(log_mel, sr=config.sr, n_mels=config.n_mels))


def onset_bands(log_mel: np.ndarray, *, sr: int, n_mels: int) -> OnsetBands:
    """Onset envelopes of the whole log-mel spectrogram, of its bands below 200 Hz and of those above 5 kHz."""
    centres = spectral.mel_band_centres(sr=sr, n_mels=n_mels)
    return OnsetBands(
        full=spectral.onset_strength(log_mel),
        bass=_band_onset(log_mel[centres < _BASS_BELOW_HZ]),
        high=_band_onset(log_mel[centres > _HIGH_ABOVE_HZ]),
    )


def _band_onset(band_db: np.ndarray) -> np.ndarray:
    return spectral.onset_strength(np.maximum(band_db, band_db.max(initial=0.0) - _BAND_RANGE_DB))


def _unit_columns(values: np.ndarray) -> np.ndarray:
    return values / np.maximum(np.linalg.norm(values, axis=0, keepdims=True), 1e-8)
