"""Musical key and mode from a chromagram, by correlation with Krumhansl–Kessler key profiles."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from picscore.audio.spectral import fft_frequencies

PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")

# Probe-tone ratings (Krumhansl & Kessler 1982), tonic first.
_MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


@dataclass(frozen=True)
class Key:
    """A key such as `A minor`; confidence is the softmax weight of the winning key (0..1)."""

    tonic: str
    mode: str
    confidence: float

    @property
    def name(self) -> str:
        return f"{self.tonic} {self.mode}"

    @property
    def short_name(self) -> str:
        """The compact form beets and DJ software store: `C`, `Am`, `F#m`."""
        return self.tonic + ("m" if self.mode == "minor" else "")


@lru_cache(maxsize=4)
def chroma_filterbank(*, sr: int, n_fft: int, fmin_hz: float = 65.0, fmax_hz: float = 2100.0) -> np.ndarray:
    """Weights (12, n_bins) folding spectrum bins between fmin and fmax onto pitch classes.

    Each bin votes for its nearest pitch class with a weight that falls off linearly to zero
    half a semitone away, so bins between two notes count little.
    """
    freqs = fft_frequencies(sr=sr, n_fft=n_fft)
    weights = np.zeros((12, len(freqs)), dtype=np.float32)
    usable = (freqs >= fmin_hz) & (freqs <= fmax_hz)
    midi = 69 + 12 * np.log2(freqs[usable] / 440.0)
    nearest = np.round(midi)
    weights[nearest.astype(int) % 12, np.flatnonzero(usable)] = 1.0 - 2.0 * np.abs(midi - nearest)
    return weights


def chromagram(power: np.ndarray, *, sr: int, n_fft: int) -> np.ndarray:
    """Pitch-class energy per frame, shape (12, n_frames), each frame scaled to max 1."""
    chroma = chroma_filterbank(sr=sr, n_fft=n_fft) @ np.sqrt(power)
    peak = chroma.max(axis=0, keepdims=True)
    return chroma / np.maximum(peak, 1e-8)


def estimate_key(chroma: np.ndarray, *, temperature: float = 0.05) -> Key:
    """Best of the 24 major/minor keys for the track's mean chroma.

    The score of a key is the Pearson correlation of the mean chroma with that key's rotated
    profile; confidence is the softmax (at `temperature`) weight of the best key.
    """
    profile = chroma.mean(axis=1) if chroma.ndim == 2 else chroma
    if not np.any(profile > 0):
        return Key(tonic="C", mode="major", confidence=0.0)
    scores = key_correlations(profile)
    best = int(np.argmax(scores))
    weights = np.exp((scores - scores[best]) / temperature)
    mode = "major" if best < 12 else "minor"
    return Key(tonic=PITCH_CLASSES[best % 12], mode=mode, confidence=float(1.0 / weights.sum()))


def key_correlations(profile: np.ndarray) -> np.ndarray:
    """Correlations with the 12 major keys (C..B) followed by the 12 minor keys."""
    templates = np.stack([np.roll(p, shift) for p in (_MAJOR_PROFILE, _MINOR_PROFILE) for shift in range(12)])
    centred_t = templates - templates.mean(axis=1, keepdims=True)
    centred_p = profile - profile.mean()
    norm = np.linalg.norm(centred_t, axis=1) * max(np.linalg.norm(centred_p), 1e-12)
    return centred_t @ centred_p / norm
