"""Effects and mastering: panning, a convolution reverb, an overdrive, a soft limiter and loudness normalisation.

All but the overdrive (any shape) work on stereo arrays of shape (2, n).
"""

from __future__ import annotations

import numpy as np

from picscore.audio.loudness import integrated_loudness

CEILING = 0.89  # -1 dBFS: headroom for lossy encoders' overshoot


def pan_gains(pan: float) -> tuple[float, float]:
    """Constant-power left and right gains for `pan` in [-1 (left), 1 (right)]."""
    angle = (pan + 1) * np.pi / 4
    return float(np.cos(angle)), float(np.sin(angle))


def reverb_impulse(*, seconds: float, sr: int, seed: int) -> np.ndarray:
    """A synthetic hall: decorrelated noise per channel with highs dying faster than lows.

    Three bands (below 600 Hz, to 4 kHz, above) decay to -60 dB in 1.3x, 1x and 0.5x
    `seconds`; a 20 ms pre-delay and a few early reflections come first. Unit energy per channel.
    """
    rng = np.random.default_rng([seed, 4])
    n = int(seconds * sr)
    t = np.arange(n) / sr
    spectrum = np.fft.rfft(rng.standard_normal((2, n)), axis=-1)
    freqs = np.fft.rfftfreq(n, 1 / sr)
    ir = np.zeros((2, n))
    for low_hz, high_hz, scale in ((0, 600, 1.3), (600, 4000, 1.0), (4000, sr, 0.5)):
        band = np.fft.irfft(spectrum * ((freqs >= low_hz) & (freqs < high_hz)), n=n, axis=-1)
        ir += band * np.exp(-6.9 * t / (scale * seconds))
    predelay = int(0.02 * sr)
    ir = np.concatenate([np.zeros((2, predelay)), ir], axis=-1)
    for delay_seconds, gain in ((0.011, 0.5), (0.017, 0.4), (0.023, 0.3), (0.031, 0.25)):
        ir[0, int(delay_seconds * sr)] += gain * np.sqrt(n) * 0.02
        ir[1, int(delay_seconds * 1.13 * sr)] += gain * np.sqrt(n) * 0.02
    return (ir / np.sqrt((ir**2).sum(axis=-1, keepdims=True))).astype(np.float32)


def convolve(signal: np.ndarray, impulse: np.ndarray) -> np.ndarray:
    """Overlap-add FFT convolution of a mono (n,) signal by a stereo (2, m) impulse, cut to (2, n).

    Vectorised over blocks; the FFT is at least four times the impulse, so most of each
    transform is new signal rather than overlap.
    """
    n, m = signal.shape[-1], impulse.shape[-1]
    n_fft = 1 << int(np.ceil(np.log2(4 * m)))
    block = n_fft - m + 1
    n_blocks = -(-n // block)
    padded = np.zeros(n_blocks * block, dtype=np.float32)
    padded[:n] = signal
    spectra = np.fft.rfft(padded.reshape(n_blocks, block), n=n_fft, axis=-1)
    blocks = np.fft.irfft(spectra[None] * np.fft.rfft(impulse, n=n_fft, axis=-1)[:, None, :], n=n_fft, axis=-1).astype(np.float32)
    out = np.zeros((2, (n_blocks + 1) * block), dtype=np.float32)
    out[:, : n_blocks * block] += blocks[..., :block].reshape(2, -1)
    tails = np.zeros((2, n_blocks, block), dtype=np.float32)
    tails[..., : m - 1] = blocks[..., block:]
    out[:, block:] += tails.reshape(2, -1)
    return out[:, :n]


def soft_limit(stereo: np.ndarray, *, knee: float = 0.6, ceiling: float = CEILING) -> np.ndarray:
    """Leave samples below `knee` alone and bend louder ones smoothly towards `ceiling`."""
    magnitude = np.abs(stereo)
    over = magnitude > knee
    if not over.any():
        return stereo
    out = stereo.copy()
    room = ceiling - knee
    out[over] = np.sign(stereo[over]) * (knee + room * np.tanh((magnitude[over] - knee) / room))
    return out


def mid_loudness(stereo: np.ndarray, *, sr: int) -> float:
    """BS.1770 loudness (LUFS) of the mid channel: what picscore measures on the mono downmix."""
    return integrated_loudness(stereo.mean(axis=0), sr=sr)


def master(stereo: np.ndarray, *, sr: int, loudness_lufs: float) -> np.ndarray:
    """Bring the mix to `loudness_lufs` (mid channel) under a -1 dBFS soft limiter.

    Limiting takes off a little loudness, so a second pass makes up what the first lost.
    """
    out = stereo
    for _ in range(2):
        measured = mid_loudness(out, sr=sr)
        if measured <= -70:
            return out
        out = soft_limit(out * np.float32(10 ** ((loudness_lufs - measured) / 20)))
    return out


def overdrive(signal: np.ndarray, *, drive: float, cabinet_hz: float, sr: int) -> np.ndarray:
    """A distorting amplifier and its speaker: tanh waveshaping of `signal` scaled to `drive` at its peak, then a
    2-pole low-pass at `cabinet_hz` (samples along the last axis).

    The output peaks near 1 whatever the input's level, as a distorted amplifier's does; the
    low-pass takes the fizz off the harmonics the shaping adds.
    """
    from scipy.signal import butter, sosfilt  # 0.5 s to import: where a piece is composed, not at every command's start

    peak = max(float(np.abs(signal).max()), 1e-9)
    shaped = np.tanh(signal * np.float32(drive / peak))
    return sosfilt(butter(2, cabinet_hz, fs=sr, output="sos"), shaped, axis=-1).astype(np.float32)
