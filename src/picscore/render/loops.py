"""Where a track can repeat itself unnoticed: a jump back from one downbeat to an earlier one whose bars sound alike.

A slideshow longer than its track repeats a whole phrase: it plays on to the start of bar `e`, then
goes on from the start of bar `s` (s < e) as if bar `s` followed. The join passes unnoticed when
the bar before the jump sounds like the bar before `s` and bar `e` (what would have come next)
sounds like bar `s`: the same harmony (chroma) at the same loudness. Loops of whole phrases
(a multiple of 4 bars) are preferred, as music is built of them.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

import numpy as np

from picscore.audio import key, spectral
from picscore.media.audio_decode import decode_audio

# The track's bars, from their boundaries in seconds [n_bars + 1], to a description of each [n_bars, d] (see bar_profiles).
BarProfiles = Callable[[np.ndarray], np.ndarray]

PHRASE_BARS = 4
_SR = 22050
_N_FFT, _HOP_LENGTH = 4096, 1024
_LOUDNESS_SCALE_DB = 12.0  # a loudness step this large costs as much as harmony that does not match at all
# Credit, against a join's similarity (0 to 2), for a loop spanning the whole track and for jumping from its end.
_LONGER_LOOP, _LATER_JUMP = 0.5, 0.25


def bar_profiles(samples: np.ndarray, *, sr: int, bar_bounds_seconds: np.ndarray) -> np.ndarray:
    """Each bar's mean chroma (12, unit length) and loudness (dB, last column), for bars between the boundaries."""
    power = spectral.power_spectrogram(samples, n_fft=_N_FFT, hop_length=_HOP_LENGTH)
    chroma = key.chromagram(power, sr=sr, n_fft=_N_FFT)
    frames = np.clip(np.round(np.asarray(bar_bounds_seconds) * sr / _HOP_LENGTH).astype(int), 0, power.shape[1])
    profiles = []
    for start, stop in pairwise(frames):
        stop = max(stop, start + 1)
        mean = chroma[:, start:stop].mean(axis=1) if stop <= chroma.shape[1] else np.zeros(12)
        level = 10 * np.log10(max(float(power[:, start:stop].sum(axis=0).mean()) if stop <= power.shape[1] else 0.0, 1e-12))
        profiles.append([*(mean / max(float(np.linalg.norm(mean)), 1e-12)), level])
    return np.array(profiles, dtype=np.float64).reshape(-1, 13)


def profiles_of_track(path: str) -> BarProfiles:
    """BarProfiles of the track in the file at `path`, decoded only if a loop is needed (AudioDecodeError if it cannot be)."""

    def profiles(bar_bounds_seconds: np.ndarray) -> np.ndarray:
        return bar_profiles(decode_audio(path, sr=_SR).samples, sr=_SR, bar_bounds_seconds=bar_bounds_seconds)

    return profiles


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """How alike two bars' profiles are: chroma cosine (1 for the same harmony) less their loudness step."""
    return float(a[:12] @ b[:12]) - abs(float(a[12] - b[12])) / _LOUDNESS_SCALE_DB


def choose_loop(profiles: np.ndarray, *, first_bar: int) -> tuple[int, int]:
    """(s, e): after bar e - 1 the music goes on from bar s, s < e, e > first_bar; the best-joining phrase.

    Among jumps whose loop is a whole number of phrases (else any, in a track of few bars), the one whose
    bars around the join match best (see the module's docstring), with a little credit for a longer loop
    and a later jump.
    """
    n_bars = len(profiles)
    if n_bars < 2:
        return 0, max(n_bars, 1)
    candidates = [(s, e) for e in range(first_bar + 1, n_bars) for s in range(1, e) if (e - s) % PHRASE_BARS == 0]
    if not candidates:
        candidates = [(s, e) for e in range(first_bar + 1, n_bars) for s in range(1, e)] or [(0, n_bars)]

    def fit(loop: tuple[int, int]) -> float:
        s, e = loop
        joined = similarity(profiles[s - 1], profiles[e - 1]) if s > 0 else 0.0
        following = similarity(profiles[s], profiles[e]) if e < n_bars else 0.0
        # Between joins that sound about as good, the longer loop (heard less often) after more of the track wins.
        return joined + following + _LONGER_LOOP * (e - s) / n_bars + _LATER_JUMP * e / n_bars

    return max(candidates, key=fit)
