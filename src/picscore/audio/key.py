"""Musical key and mode from a tuned chromagram, by correlation with corpus key profiles.

The chroma folds a semitone spectrum, tuned to the track's own reference pitch, onto the twelve
pitch classes: STFT bins are interpolated at tenths of a semitone and pooled over each
semitone, so low notes, whose semitones are only a few bins apart, keep their pitch class.
The key profiles are Albrecht & Shanahan's pitch-class distributions of 490 major and 492
minor pieces, plus a fifth of each pitch class's weight on the fifth above it: every note's
third and sixth partials sound there, which pulls a symbolic profile's best match on audio
towards the dominant key.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from picscore.pitch_names import key_name, tonic_spelling

# Albrecht & Shanahan (2013), Music Perception 31(1), tonic first.
_MAJOR_PROFILE = np.array([0.238, 0.006, 0.111, 0.006, 0.137, 0.094, 0.016, 0.214, 0.009, 0.080, 0.008, 0.081])
_MINOR_PROFILE = np.array([0.220, 0.006, 0.104, 0.123, 0.019, 0.103, 0.012, 0.214, 0.062, 0.022, 0.061, 0.052])
# Weight a note adds, through its partials, to the pitch class a fifth above (measured on
# renderings of the music21 corpus kept apart from those the figures in docs/how-matching-works.md come from).
_FIFTH_PARTIAL_WEIGHT = 0.2
# The semitones the chroma reads: C2 to B6.
_LOWEST_MIDI, _HIGHEST_MIDI = 36, 95
# Tuning is read from spectral peaks in this range, in semitones from A440 (-0.5..0.5).
_TUNING_PEAKS_HZ = (80.0, 2000.0)
_STEPS_PER_SEMITONE = 10


@dataclass(frozen=True)
class Key:
    """A key such as `A minor`; confidence is the softmax weight of the winning key (0..1)."""

    tonic: int  # pitch class, 0 = C
    mode: str
    confidence: float

    @property
    def name(self) -> str:
        """`E♭ major`, `F♯ minor`."""
        return key_name(self.tonic, self.mode)

    @property
    def spelled_tonic(self) -> str:
        """The tonic in ASCII as the key's signature spells it: `Eb`, `F#`."""
        return tonic_spelling(self.tonic, self.mode)


def estimate_tuning(magnitude: np.ndarray, *, sr: int, n_fft: int) -> float:
    """The track's deviation from A440 in semitones (-0.5..0.5), from a mean magnitude spectrum.

    Each spectral peak's frequency is refined by a parabola through the log magnitudes of its
    bin and neighbours; the deviations are averaged on the circle (so +0.49 and -0.49 agree),
    weighted by the peaks' power.
    """
    m = np.asarray(magnitude, dtype=np.float64)
    bins = np.arange(1, len(m) - 1)
    peaks = bins[(m[bins] > m[bins - 1]) & (m[bins] >= m[bins + 1])]
    hz = peaks * sr / n_fft
    peaks = peaks[(hz > _TUNING_PEAKS_HZ[0]) & (hz < _TUNING_PEAKS_HZ[1])]
    if len(peaks) == 0:
        return 0.0
    left, centre, right = (np.log(m[peaks + shift] + 1e-12) for shift in (-1, 0, 1))
    curvature = left - 2 * centre + right
    concave = curvature < -1e-12
    offset = np.where(concave, 0.5 * (left - right) / np.where(concave, curvature, -1.0), 0.0)
    midi = 69 + 12 * np.log2((peaks + np.clip(offset, -0.5, 0.5)) * sr / n_fft / 440.0)
    resultant = np.sum(m[peaks] ** 2 * np.exp(2j * np.pi * midi))
    return float(np.angle(resultant) / (2 * np.pi)) if abs(resultant) > 0 else 0.0


@lru_cache(maxsize=64)
def chroma_filterbank(*, sr: int, n_fft: int, tuning_cents: int = 0) -> np.ndarray:
    """Weights (12, n_bins) from the lowest n_bins magnitude bins to pitch classes, at a tuning.

    Each semitone C2..B6 (shifted by `tuning_cents`) pools the magnitude, linearly
    interpolated between bins, at tenths of a semitone within half a semitone of its centre,
    with triangular weights.
    """
    n_bins = chroma_bins(sr=sr, n_fft=n_fft)
    steps = np.arange(_LOWEST_MIDI - 1, _HIGHEST_MIDI + 2, 1.0 / _STEPS_PER_SEMITONE)
    position = 440.0 * 2 ** ((steps + tuning_cents / 100.0 - 69) / 12) * n_fft / sr
    below = np.floor(position).astype(int)
    fraction = position - below
    interpolate = np.zeros((len(steps), n_bins + 1))
    interpolate[np.arange(len(steps)), below] = 1 - fraction
    interpolate[np.arange(len(steps)), below + 1] += fraction
    semitones = np.arange(_LOWEST_MIDI, _HIGHEST_MIDI + 1)
    pool = np.maximum(0.0, 1.0 - 2.0 * np.abs(steps[None, :] - semitones[:, None]))
    pool /= pool.sum(axis=1, keepdims=True)
    fold = np.eye(12)[semitones % 12].T
    return (fold @ pool @ interpolate[:, :n_bins]).astype(np.float32)


def chroma_bins(*, sr: int, n_fft: int) -> int:
    """How many of the lowest STFT bins the chroma reads: up to B6 at the highest tuning."""
    highest_hz = 440.0 * 2 ** ((_HIGHEST_MIDI + 2.5 - 69) / 12)
    return min(n_fft // 2 + 1, int(np.ceil(highest_hz * n_fft / sr)) + 2)


def chromagram(power: np.ndarray, *, sr: int, n_fft: int) -> np.ndarray:
    """Pitch-class energy per frame, shape (12, n_frames), each frame scaled to max 1, at the track's tuning."""
    magnitude = np.sqrt(power[: chroma_bins(sr=sr, n_fft=n_fft)])
    tuning = estimate_tuning(magnitude.mean(axis=1), sr=sr, n_fft=n_fft)
    chroma = chroma_filterbank(sr=sr, n_fft=n_fft, tuning_cents=round(tuning * 100)) @ magnitude
    peak = chroma.max(axis=0, keepdims=True)
    return chroma / np.maximum(peak, 1e-8)


def estimate_key(chroma: np.ndarray, *, temperature: float = 0.05) -> Key:
    """Best of the 24 major/minor keys for the track's mean chroma.

    The score of a key is the Pearson correlation of the mean chroma with that key's rotated
    profile; confidence is the softmax (at `temperature`) weight of the best key.
    """
    profile = chroma.mean(axis=1) if chroma.ndim == 2 else chroma
    if not np.any(profile > 0):
        return Key(tonic=0, mode="major", confidence=0.0)
    scores = key_correlations(profile)
    best = int(np.argmax(scores))
    weights = np.exp((scores - scores[best]) / temperature)
    mode = "major" if best < 12 else "minor"
    return Key(tonic=best % 12, mode=mode, confidence=float(1.0 / weights.sum()))


def key_correlations(profile: np.ndarray) -> np.ndarray:
    """Correlations with the 12 major keys (C..B) followed by the 12 minor keys."""
    centred = profile - profile.mean()
    return _key_templates() @ centred / max(float(np.linalg.norm(centred)), 1e-12)


@lru_cache(maxsize=1)
def _key_templates() -> np.ndarray:
    """The 24 key profiles as heard (with the fifth partials), centred and of unit norm."""
    heard = [p / p.sum() + _FIFTH_PARTIAL_WEIGHT * np.roll(p / p.sum(), 7) for p in (_MAJOR_PROFILE, _MINOR_PROFILE)]
    templates = np.stack([np.roll(p, shift) for p in heard for shift in range(12)])
    templates -= templates.mean(axis=1, keepdims=True)
    return templates / np.linalg.norm(templates, axis=1, keepdims=True)
