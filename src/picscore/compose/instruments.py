"""Synthesised instruments: additive voices with envelopes, and the drum kit.

Each pitch of a voice is synthesised once per length (rounded up to half a second) and
cached; notes are cut from it, so a piece costs one synthesis per distinct pitch and then
only copies and array adds. Wide voices (pad, strings, supersaw, guitar) render a detuned
copy per channel, which gives them stereo width and a chorus in mono. Driven voices (guitar,
saw) are distorted part by part when the piece is mixed (composer.render), so the notes of a
chord distort together, as through one amplifier.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from picscore.compose.synth import hihat, kick, snare
from picscore.compose.theory import midi_to_hz


@dataclass(frozen=True)
class Voice:
    """An additive instrument: partials (frequency ratio, amplitude) under one envelope.

    The envelope rises over `attack_seconds`, decays with time constant `decay_seconds`
    towards `sustain`, and fades out over `release_seconds` after the note ends. Partial k
    also decays at `brightness_decay` x (ratio - 1) per second, so struck and plucked notes
    mellow as they ring. A voice with a `drive` goes through effects.overdrive with its
    `cabinet_hz` low-pass, and its `gain` then sets the level after the amplifier.
    """

    name: str
    partials: tuple[tuple[float, float], ...]
    attack_seconds: float
    decay_seconds: float
    sustain: float
    release_seconds: float
    brightness_decay: float = 0.0
    vibrato_cents: float = 0.0
    detune_cents: float = 0.0
    keytrack_decay: bool = False  # higher notes die sooner, as on strings and bars
    wide: bool = False
    pan: float = 0.0  # -1 left .. 1 right, for voices that are not wide
    reverb_send: float = 0.2
    gain: float = 1.0
    drive: float = 0.0  # 0: clean; else the distortion's gain over the part's peak
    cabinet_hz: float = 0.0  # the speaker's low-pass after the distortion, for driven voices


def _harmonics(amplitudes: tuple[float, ...]) -> tuple[tuple[float, float], ...]:
    """Partials at integer ratios with the given amplitudes."""
    return tuple((float(k), a) for k, a in enumerate(amplitudes, start=1))


VOICES: dict[str, Voice] = {
    voice.name: voice
    for voice in (
        Voice(
            "piano",
            _harmonics((1.0, 0.5, 0.15, 0.25, 0.06, 0.08, 0.03, 0.04)),
            attack_seconds=0.003,
            decay_seconds=1.6,
            sustain=0.0,
            release_seconds=0.18,
            brightness_decay=1.5,
            keytrack_decay=True,
            pan=-0.15,
            reverb_send=0.25,
        ),
        Voice(
            "pluck",
            _harmonics((1.0, 0.6, 0.18, 0.3, 0.06, 0.1, 0.03, 0.05, 0.03)),
            attack_seconds=0.002,
            decay_seconds=0.45,
            sustain=0.0,
            release_seconds=0.06,
            brightness_decay=5.0,
            keytrack_decay=True,
            pan=0.3,
            reverb_send=0.2,
            gain=0.9,
        ),
        Voice(
            "bell",
            ((1.0, 1.0), (2.0, 0.5), (3.0, 0.12), (4.16, 0.2), (5.43, 0.12)),
            attack_seconds=0.002,
            decay_seconds=2.2,
            sustain=0.0,
            release_seconds=0.3,
            brightness_decay=0.7,
            keytrack_decay=True,
            pan=0.25,
            reverb_send=0.4,
            gain=0.6,
        ),
        Voice(
            "pad",
            _harmonics((1.0, 0.45, 0.12, 0.18, 0.04, 0.05)),
            attack_seconds=0.35,
            decay_seconds=1.5,
            sustain=0.75,
            release_seconds=0.6,
            detune_cents=9.0,
            wide=True,
            reverb_send=0.45,
            gain=0.55,
        ),
        Voice(
            "strings",
            _harmonics((1.0, 0.5, 0.15, 0.28, 0.06, 0.12, 0.04, 0.1, 0.03, 0.06)),
            attack_seconds=0.15,
            decay_seconds=2.0,
            sustain=0.85,
            release_seconds=0.3,
            brightness_decay=0.15,
            vibrato_cents=12.0,
            detune_cents=6.0,
            wide=True,
            reverb_send=0.4,
            gain=0.5,
        ),
        Voice(
            "guitar",
            _harmonics(tuple(1.0 / k for k in range(1, 13))),
            attack_seconds=0.003,
            decay_seconds=0.5,
            sustain=0.8,
            release_seconds=0.05,
            brightness_decay=1.0,
            detune_cents=8.0,
            wide=True,
            reverb_send=0.1,
            gain=2.0,
            drive=40.0,
            cabinet_hz=1500.0,
        ),
        Voice(
            "saw",
            _harmonics(tuple(1.0 / k for k in range(1, 15))),
            attack_seconds=0.01,
            decay_seconds=0.6,
            sustain=0.8,
            release_seconds=0.08,
            vibrato_cents=8.0,
            pan=0.15,
            reverb_send=0.2,
            gain=0.7,
            drive=2.0,
            cabinet_hz=6000.0,
        ),
        Voice(
            "supersaw",
            _harmonics(tuple(1.0 / k for k in range(1, 15))),
            attack_seconds=0.01,
            decay_seconds=0.4,
            sustain=0.5,
            release_seconds=0.08,
            detune_cents=12.0,
            wide=True,
            reverb_send=0.2,
            gain=0.7,
        ),
        Voice(
            "cello",
            _harmonics((1.0, 0.7, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.12, 0.1)),
            attack_seconds=0.18,
            decay_seconds=2.0,
            sustain=0.9,
            release_seconds=0.35,
            vibrato_cents=22.0,
            pan=0.1,
            reverb_send=0.35,
            gain=0.7,
        ),
        Voice(
            "bass",
            _harmonics((1.0, 0.7, 0.12, 0.15)),
            attack_seconds=0.006,
            decay_seconds=0.7,
            sustain=0.5,
            release_seconds=0.08,
            brightness_decay=3.0,
            reverb_send=0.0,
            gain=1.1,
        ),
    )
}

_VIBRATO_HZ = 5.2
_PHASE_BLOCK = 4096


_HELD_STEP_SECONDS = 0.5  # sustained waveforms are synthesised in lengths rounded up to this


def note(voice_name: str, *, midi: int, held_samples: int, sr: int) -> np.ndarray:
    """A note held for `held_samples` and released: shape (n,) or (2, n) for wide voices.

    Cut from the pitch's cached sustained waveform, so notes of one pitch but different
    lengths cost one synthesis and then a copy and the release fade.
    """
    n_release = int(VOICES[voice_name].release_seconds * sr)
    n = held_samples + n_release
    step = int(_HELD_STEP_SECONDS * sr)
    out = _sustained(voice_name, midi=midi, n_samples=-(-n // step) * step, sr=sr)[..., :n].copy()
    out[..., held_samples:] *= np.linspace(1.0, 0.0, n_release, dtype=np.float32) ** 2
    return out


@lru_cache(maxsize=160)
def _sustained(voice_name: str, *, midi: int, n_samples: int, sr: int) -> np.ndarray:
    """The voice at `midi` held for `n_samples`: partials under the attack-decay envelope; read-only."""
    voice = VOICES[voice_name]
    t = np.arange(n_samples, dtype=np.float32) / np.float32(sr)
    decay = voice.decay_seconds * (2.0 ** (-(midi - 60) / 24) if voice.keytrack_decay else 1.0)
    env = voice.sustain + (1 - voice.sustain) * np.exp(t * np.float32(-1 / decay))
    env *= np.minimum(np.float32(1), t / np.float32(max(voice.attack_seconds, 1.0 / sr)))
    hz = midi_to_hz(midi)
    if voice.wide:
        cents = voice.detune_cents
        out = np.stack([_oscillator(voice, hz=hz * 2 ** (c / 1200), t=t, sr=sr) for c in (cents, -cents)])
    else:
        out = _oscillator(voice, hz=hz, t=t, sr=sr)
    out *= env * np.float32(voice.gain)
    out.flags.writeable = False
    return out


def clear_note_cache() -> None:
    """Forget the cached waveforms, so a benchmark or test starts cold."""
    _sustained.cache_clear()


def _cycles(hz: float, *, n: int, sr: int) -> np.ndarray:
    """Phase in cycles (float32) of `n` samples at `hz`, exact modulo 1.

    Each block of _PHASE_BLOCK samples starts from its phase wrapped in double precision and
    counts up in single precision, which stays accurate within a block and avoids a slow
    double-precision modulo per sample.
    """
    step = hz / sr
    n_blocks = -(-n // _PHASE_BLOCK)
    starts = (np.arange(n_blocks) * (_PHASE_BLOCK * step)) % 1.0
    within = np.arange(_PHASE_BLOCK) * step
    return (starts.astype(np.float32)[:, None] + within.astype(np.float32)[None, :]).ravel()[:n]


def _oscillator(voice: Voice, *, hz: float, t: np.ndarray, sr: int) -> np.ndarray:
    """The voice's partials at `hz` (with vibrato), each fading by its own brightness decay.

    Harmonics 1, 2, 3, ... come from the recurrence sin((k+1)x) = 2 cos(x) sin(kx) - sin((k-1)x)
    and their decays from powers of the first one, so each costs a few multiplies instead
    of a sine and an exponential; other ratios (bells) get their own sine.
    """
    vibrato = np.zeros_like(t)
    if voice.vibrato_cents:
        depth = hz * (2 ** (voice.vibrato_cents / 1200) - 1) / (2 * np.pi * _VIBRATO_HZ)
        vibrato = np.float32(depth) * np.sin(np.float32(2 * np.pi * _VIBRATO_HZ) * t) * np.minimum(np.float32(1), t / np.float32(0.4))
    two_pi = np.float32(2 * np.pi)
    phase = two_pi * (_cycles(hz, n=len(t), sr=sr) + vibrato)
    fade = np.exp(t * np.float32(-voice.brightness_decay))  # per unit of (ratio - 1)
    # in-place arithmetic on three rotating buffers: fresh temporaries of this size cost page faults
    previous, current, scratch = np.zeros_like(phase), np.sin(phase), np.empty_like(phase)
    twice_cos = 2 * np.cos(phase)
    weight = np.ones_like(phase)
    out = np.zeros_like(phase)
    for k, (ratio, amplitude) in enumerate(voice.partials, start=1):
        if ratio * hz >= 0.45 * sr:
            break
        if ratio == k:
            np.multiply(current, weight, out=scratch)
            scratch *= np.float32(amplitude)
            out += scratch
            np.multiply(twice_cos, current, out=scratch)
            scratch -= previous
            previous, current, scratch = current, scratch, previous
            weight *= fade
        else:
            own = two_pi * (_cycles(hz * ratio, n=len(t), sr=sr) + np.float32(ratio) * vibrato)
            out += np.float32(amplitude) * np.sin(own) * np.exp(t * np.float32(-voice.brightness_decay * (ratio - 1)))
    return out / np.float32(sum(a for _, a in voice.partials) ** 0.5)


def drum_kit(*, sr: int, seed: int) -> dict[str, np.ndarray]:
    """Kick, snare, closed and open hi-hat from the synth's drum sounds, noise seeded by `seed`."""
    rng = np.random.default_rng(seed)
    beater = hihat(sr=sr, rng=rng, seconds=0.012, decay_per_second=400.0)  # the beater's click: every kick is heard as an onset
    return {
        "kick": kick(sr=sr) + np.pad(2.0 * beater, (0, int(0.25 * sr) - len(beater))),
        "snare": snare(sr=sr, rng=rng),
        "hat": hihat(sr=sr, rng=rng),
        "open_hat": hihat(sr=sr, rng=rng, seconds=0.35, decay_per_second=12.0),
    }
