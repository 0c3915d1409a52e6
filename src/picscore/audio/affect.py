"""Valence and arousal of music estimated from its descriptors: a documented prior.

A hand-set first estimate that later issues calibrate on real data. Both values lie in
[-1, 1]; each is tanh of a weighted sum of centred, scaled descriptors:

    arousal = tanh(0.9 * (bpm - 110) / 40 + 0.8 * (lufs + 18) / 8 + 0.5 * (centroid - 1800) / 1200)
    valence = tanh(0.9 * mode * key_confidence + 0.4 * (bpm - 110) / 40 + 0.4 * (centroid - 1800) / 1200)

where mode is +1 for major and -1 for minor. Faster, louder and brighter music reads as
more aroused (Gabrielsson & Lindström 2010); major mode, faster tempo and brighter timbre
read as more positive. Centres are typical values of produced music.
"""

from __future__ import annotations

import numpy as np


def estimate_valence_arousal(
    *, bpm: float, mode: str, key_confidence: float, loudness_lufs: float, brightness_hz: float
) -> tuple[float, float]:
    """(valence, arousal) in [-1, 1] by the formula in the module docstring."""
    tempo = (bpm - 110.0) / 40.0
    loudness = (max(loudness_lufs, -60.0) + 18.0) / 8.0
    brightness = (brightness_hz - 1800.0) / 1200.0
    mode_sign = 1.0 if mode == "major" else -1.0
    arousal = np.tanh(0.9 * tempo + 0.8 * loudness + 0.5 * brightness)
    valence = np.tanh(0.9 * mode_sign * key_confidence + 0.4 * tempo + 0.4 * brightness)
    return float(valence), float(arousal)
