"""Convert the musicnn taggers (Jordi Pons, ISC licence) from TensorFlow to numpy, and record reference outputs.

Writes
  src/picscore/audio/weights/musicnn_mtt.npz, musicnn_msd.npz   weights named and laid out as picscore.audio.musicnn's state_dict
  tests/audio/data/musicnn_reference.npz                         what the original TensorFlow model answers on fixed inputs

It needs TensorFlow, so run it once in a throwaway venv outside the project (the project itself never imports TensorFlow):

    python3.11 -m venv /tmp/tfenv
    /tmp/tfenv/bin/pip install tensorflow-cpu numpy "librosa==0.10.*" soundfile
    /tmp/tfenv/bin/pip install --no-deps musicnn==0.1.0        # or the downloaded musicnn-0.1.0-py3-none-any.whl
    /tmp/tfenv/bin/python tools/convert_musicnn.py

The wheel's checkpoints are saved without a name prefix (".index", ".meta", ...), so they are linked into a temporary
folder as "model.*". Its graph cannot be rebuilt with musicnn.models under TF >= 2.16 (tf.compat.v1.layers is not
available with Keras 3), so the saved graph is imported instead, after stripping the "_output_shapes" attributes newer TensorFlow
rejects. It is fed model/Placeholder:0 (log-mel patches, [N, 187, 96]) with model/Placeholder_2:0 (is_training) False.

The audio references run musicnn's own extractor.batch_data (librosa load at 16 kHz, mel power, float16, log10(10000 x + 1),
187-frame patches) with one change: librosa >= 0.10 pads the STFT with zeros, musicnn ran on librosa 0.7 whose default
was pad_mode="reflect", which is restored here.
"""

from __future__ import annotations

import argparse
import functools
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

SR = 16000
PATCH_FRAMES = 187
N_MELS = 96
REPO = Path(__file__).resolve().parents[1]

# TensorFlow layer scope -> picscore.audio.musicnn module name, in the order musicnn.models builds them.
LAYER_NAMES = {
    "batch_normalization": "input_bn",
    "conv2d": "timbral_74.conv",
    "batch_normalization_1": "timbral_74.bn",
    "conv2d_1": "timbral_77.conv",
    "batch_normalization_2": "timbral_77.bn",
    "conv2d_2": "temporal_128.conv",
    "batch_normalization_3": "temporal_128.bn",
    "conv2d_3": "temporal_64.conv",
    "batch_normalization_4": "temporal_64.bn",
    "conv2d_4": "temporal_32.conv",
    "batch_normalization_5": "temporal_32.bn",
    "conv2d_5": "midend_1.conv",
    "batch_normalization_6": "midend_1.bn",
    "conv2d_6": "midend_2.conv",
    "batch_normalization_7": "midend_2.bn",
    "conv2d_7": "midend_3.conv",
    "batch_normalization_8": "midend_3.bn",
    "batch_normalization_9": "pool_bn",
    "dense": "dense",
    "batch_normalization_10": "dense_bn",
    "dense_1": "output",
}
PARAM_NAMES = {
    "kernel": "weight",
    "bias": "bias",
    "gamma": "weight",
    "beta": "bias",
    "moving_mean": "running_mean",
    "moving_variance": "running_var",
}
MIDEND_CONVS = {"conv2d_5", "conv2d_6", "conv2d_7"}

TAGS_TENSOR = "model/Sigmoid:0"
# musicnn's "penultimate" feature: batch norm of the 200-unit ReLU dense layer (before dropout, off at inference).
EMBEDDING_TENSOR = "model/batch_normalization_10/batchnorm/add_1:0"


def torch_layout(tf_name: str, value: np.ndarray) -> tuple[str, np.ndarray]:
    """Name and array of one TensorFlow variable as the PyTorch module stores it.

    conv2d kernels [time, freq, 1, out] become Conv2d [out, 1, time, freq]; the mid-end's kernels span the whole
    input width, so they become Conv1d [out, width, time]; dense kernels [in, out] become Linear [out, in].
    """
    layer, param = tf_name.split("/")
    name = f"{LAYER_NAMES[layer]}.{PARAM_NAMES[param]}"
    if param == "kernel" and layer in MIDEND_CONVS:
        value = value[:, :, 0, :].transpose(2, 1, 0)
    elif param == "kernel" and layer.startswith("conv2d"):
        value = value.transpose(3, 2, 0, 1)
    elif param == "kernel":
        value = value.T
    return name, np.ascontiguousarray(value, dtype=np.float32)


def link_checkpoint(model_dir: Path, into: Path) -> Path:
    """Link the wheel's prefix-less checkpoint files as into/model.*; returns the checkpoint prefix."""
    into.mkdir(parents=True, exist_ok=True)
    for suffix in ("index", "meta", "data-00000-of-00001"):
        (into / f"model.{suffix}").symlink_to(model_dir / f".{suffix}")
    (into / "checkpoint").write_text('model_checkpoint_path: "model"\nall_model_checkpoint_paths: "model"\n')
    return into / "model"


def convert_weights(prefix: Path) -> dict[str, np.ndarray]:
    """The model's variables (no optimiser state) in PyTorch names and layout."""
    import tensorflow as tf

    reader = tf.train.load_checkpoint(str(prefix))
    names = [name for name in reader.get_variable_to_shape_map() if "Adam" not in name and not name.startswith("beta")]
    assert {name.split("/")[0] for name in names} == set(LAYER_NAMES), sorted(names)
    return dict(sorted(torch_layout(name, reader.get_tensor(name)) for name in names))


class Graph:
    """The saved musicnn graph, restored from its checkpoint, run in inference mode."""

    def __init__(self, prefix: Path) -> None:
        import tensorflow as tf
        from tensorflow.core.protobuf import meta_graph_pb2

        meta = meta_graph_pb2.MetaGraphDef()
        meta.ParseFromString(Path(f"{prefix}.meta").read_bytes())
        for node in meta.graph_def.node:
            node.attr.pop("_output_shapes", None)
        graph = tf.Graph()
        with graph.as_default():
            saver = tf.compat.v1.train.import_meta_graph(meta, clear_devices=True)
            self.session = tf.compat.v1.Session(graph=graph)
            saver.restore(self.session, str(prefix))
        self.fetches = [graph.get_tensor_by_name(TAGS_TENSOR), graph.get_tensor_by_name(EMBEDDING_TENSOR)]
        self.x = graph.get_tensor_by_name("model/Placeholder:0")
        self.is_training = graph.get_tensor_by_name("model/Placeholder_2:0")

    def __call__(self, patches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sigmoid tags [N, 50] and embedding [N, 200] of log-mel patches [N, 187, 96], one patch per run as musicnn does."""
        outs = [self.session.run(self.fetches, {self.x: patch[None], self.is_training: False}) for patch in patches]
        return np.concatenate([o[0] for o in outs]), np.concatenate([o[1] for o in outs])


def random_log_mels(rng: np.random.Generator, n: int) -> np.ndarray:
    """Log-mel patches in musicnn's range (0 silence .. about 4.8): a falling spectral envelope, slow swells and noise."""
    bands = np.linspace(0.0, 1.0, N_MELS)
    envelope = 3.6 - 2.2 * bands[None, None, :]
    swells = np.cumsum(rng.normal(0.0, 0.08, (n, PATCH_FRAMES, 1)), axis=1)
    noise = rng.normal(0.0, 0.45, (n, PATCH_FRAMES, N_MELS))
    return np.clip(envelope + swells + noise, 0.0, 4.8).astype(np.float32)


def musicnn_patches(samples: np.ndarray, workdir: Path) -> tuple[np.ndarray, np.ndarray]:
    """musicnn's extractor.batch_data on 16 kHz samples: patches [n, 187, 96] and the whole log-mel [frames, 96]."""
    import librosa
    import soundfile
    from musicnn import extractor

    path = workdir / "clip.wav"
    soundfile.write(path, samples, SR, subtype="FLOAT")
    melspectrogram = librosa.feature.melspectrogram
    librosa.feature.melspectrogram = functools.partial(melspectrogram, pad_mode="reflect")
    try:
        batch, log_mel = extractor.batch_data(str(path), PATCH_FRAMES, PATCH_FRAMES)
    finally:
        librosa.feature.melspectrogram = melspectrogram
    return batch, log_mel


# ---- deterministic test clips (16 kHz, float32 on a 16-bit grid) ----------------------------------------------------
# Tuned by ear and by musicnn's answers: the piano piece tops MTT's "piano", the riff tops "rock" in both models. Both
# stay quiet enough (RMS 0.03) that musicnn's float16 log-mel does not overflow, or the TensorFlow reference is NaN.


def _midi_hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def _add_at(out: np.ndarray, sound: np.ndarray, *, seconds: float) -> None:
    """Mix `sound` into `out` from `seconds` (>= 0) on, cut at the end of `out`."""
    start = int(max(0.0, seconds) * SR)
    if start < len(out):
        out[start : start + len(sound)] += sound[: len(out) - start]


def _room(signal: np.ndarray, rng: np.random.Generator, *, seconds: float, wet: float) -> np.ndarray:
    """A small room: convolution with decaying noise (an exponential reverb tail `seconds` long at -60 dB)."""
    from scipy.signal import fftconvolve

    t = np.arange(int(seconds * SR)) / SR
    tail = rng.standard_normal(len(t)) * np.exp(-6.9 * t / seconds)
    tail *= wet / np.sqrt(np.sum(tail**2))
    return signal + fftconvolve(signal, tail)[: len(signal)]


def _finish(signal: np.ndarray, *, seconds: float, rms: float) -> np.ndarray:
    """Trim, scale to an RMS level and round to 16-bit samples (as decoded audio would be), float32."""
    signal = signal[: int(seconds * SR)]
    signal = signal * rms / np.sqrt(np.mean(signal**2))
    return (np.round(np.clip(signal, -1.0, 1.0) * 32767) / 32767).astype(np.float32)


def _piano_note(midi: float, *, seconds: float, velocity: float, rng: np.random.Generator) -> np.ndarray:
    """A struck string: stiff-string (inharmonic) partials with a fast then a slow decay, three slightly detuned
    unison strings, a hammer knock; harder strikes are brighter. Released (damped) after `seconds`."""
    from scipy.signal import butter, sosfilt

    f0 = _midi_hz(midi)
    t = np.arange(int(seconds * SR)) / SR
    inharmonicity = 1.2e-4 * 2.0 ** ((midi - 60) / 24)
    note = np.zeros_like(t)
    for k in range(1, 60):
        fk = k * f0 * np.sqrt(1.0 + inharmonicity * k * k)
        if fk > 0.45 * SR:
            break
        amplitude = velocity ** (0.5 + 0.08 * k) / k**1.5 * (1.0 + 0.6 * np.sin(0.9 * k))  # 0.9k: comb of the hammer position
        prompt = np.exp(-t * (1.0 + 0.3 * k) * (f0 / 262) ** 0.4)
        after = np.exp(-t * (0.1 + 0.05 * k) * (f0 / 262) ** 0.5)
        envelope = 0.6 * prompt + 0.4 * after
        for cents in (-0.6, 0.0, 0.7):
            note += amplitude / 3 * envelope * np.sin(2 * np.pi * fk * 2 ** (cents / 1200) * t + rng.uniform(0, 2 * np.pi))
    band = [min(4 * f0, 3000), min(12 * f0, 7500)]
    knock = sosfilt(butter(2, band, "bandpass", fs=SR, output="sos"), rng.standard_normal(len(t)))
    note += 0.02 * velocity * knock * np.exp(-t * 60)
    return note * np.minimum(1.0, t / 0.002) * np.clip((seconds - t) / 0.08, 0.0, 1.0)


def piano_piece(*, seconds: float = 9.0, seed: int = 1) -> np.ndarray:
    """Solo piano with the sustain pedal down: a bass note per bar, broken chords in sixteenths over two octaves
    and a right-hand melody in quarters, C - Am - F - G at 84 bpm, in a reverberant room."""
    rng = np.random.default_rng(seed)
    beat = 60.0 / 84
    chords = [(36, 48, 55, 64, 67), (33, 45, 52, 60, 64), (29, 41, 48, 57, 60), (31, 43, 50, 59, 62)]
    melody = [76, 74, 72, 74, 76, 76, 76, 77, 79, 77, 76, 74, 72, 71, 72, 74]
    out = np.zeros(int(seconds * SR) + SR)
    for bar in range(int(np.ceil(seconds / (4 * beat)))):
        bass, *upper = chords[bar % len(chords)]
        _add_at(out, _piano_note(bass, seconds=4 * beat + 0.5, velocity=0.6, rng=rng), seconds=bar * 4 * beat)
        for i in range(16):
            pitch = upper[(0, 1, 2, 3, 2, 1, 2, 3)[i % 8]] + (12 if i >= 8 and i % 2 else 0)
            when = (bar * 4 + i / 4) * beat + 0.01 + rng.normal(0, 0.004)
            _add_at(out, _piano_note(pitch, seconds=3.0, velocity=rng.uniform(0.4, 0.5), rng=rng), seconds=when)
        for quarter in range(4):
            pitch = melody[(bar * 4 + quarter) % len(melody)]
            _add_at(out, _piano_note(pitch, seconds=3.0, velocity=0.8, rng=rng), seconds=(bar * 4 + quarter) * beat)
    return _finish(_room(out, rng, seconds=1.6, wet=0.3), seconds=seconds, rms=0.03)


def _plucked_string(hz: float, *, seconds: float, damping: float, brightness: float, rng: np.random.Generator) -> np.ndarray:
    """Karplus-Strong: a noise burst circulating in a delay line of one period through a two-tap averaging loss."""
    from scipy.signal import lfilter

    period = round(SR / hz)
    excitation = np.zeros(int(seconds * SR))
    excitation[:period] = lfilter([brightness, 1 - brightness], [1.0], rng.uniform(-1, 1, period))
    feedback = np.zeros(period + 2)
    feedback[0], feedback[period], feedback[period + 1] = 1.0, -damping / 2, -damping / 2
    return lfilter([1.0], feedback, excitation)


def _peaking(hz: float, *, gain_db: float, q: float) -> tuple[np.ndarray, np.ndarray]:
    """RBJ peaking-EQ biquad (b, a)."""
    a_gain, w = 10 ** (gain_db / 40), 2 * np.pi * hz / SR
    alpha = np.sin(w) / (2 * q)
    b = np.array([1 + alpha * a_gain, -2 * np.cos(w), 1 - alpha * a_gain])
    a = np.array([1 + alpha / a_gain, -2 * np.cos(w), 1 - alpha / a_gain])
    return b / a[0], a / a[0]


def _amp_and_cabinet(dry: np.ndarray) -> np.ndarray:
    """A two-stage overdriven amp (asymmetric tanh, tone filter between stages) into a 4x12 cabinet: a low
    resonance, a scooped low-mid, a presence bump and a steep roll-off above 5 kHz."""
    from scipy.signal import butter, lfilter, sosfilt

    x = sosfilt(butter(1, 500, "highpass", fs=SR, output="sos"), dry)
    x = np.tanh(12.0 * x / np.abs(x).max() + 0.15)
    x = sosfilt(butter(1, 3000, "lowpass", fs=SR, output="sos"), x)
    x = sosfilt(butter(1, 150, "highpass", fs=SR, output="sos"), x)
    x = np.tanh(6.0 * x / np.abs(x).max())
    for hz, gain_db, q in ((110, 5.0, 1.2), (700, -4.0, 1.0), (2200, 5.0, 1.5)):
        x = lfilter(*_peaking(hz, gain_db=gain_db, q=q), x)
    x = sosfilt(butter(6, 5000, "lowpass", fs=SR, output="sos"), x)
    return sosfilt(butter(2, 70, "highpass", fs=SR, output="sos"), x)


def _guitar_take(chords: list[tuple[float, int, float]], *, seconds: float, rng: np.random.Generator) -> np.ndarray:
    """One take of the power chords (root, fifth, octave; strummed over 14 ms, loosely timed), through the amp."""
    dry = np.zeros(int(seconds * SR))
    for when, root, length in chords:
        for string, interval in enumerate((0, 7, 12)):
            hz = _midi_hz(root + interval) * 2 ** (rng.normal(0, 3) / 1200)
            tone = _plucked_string(hz, seconds=length + 0.1, damping=0.998, brightness=0.7, rng=rng)
            release = np.clip((length + 0.1 - np.arange(len(tone)) / SR) / 0.04, 0.0, 1.0)
            _add_at(dry, tone * release, seconds=when + 0.007 * string + rng.normal(0, 0.005))
    return _amp_and_cabinet(dry)


def rock_riff(*, seconds: float = 9.0, seed: int = 2) -> np.ndarray:
    """A hard-rock riff at 100 bpm: E5 - G5 - A5 - E5 - G5 - D5 - E5 power chords on two double-tracked distorted
    guitars, doubled an octave down by an overdriven bass."""
    rng = np.random.default_rng(seed)
    beat = 60.0 / 100
    riff = [(0.0, 40, 1.5), (1.5, 43, 1.0), (2.5, 45, 1.5), (4.0, 40, 1.5), (5.5, 43, 1.0), (6.5, 38, 0.5), (7.0, 40, 1.0)]
    chords = [((8 * rep + pos) * beat, root, length * beat) for rep in range(3) for pos, root, length in riff]
    chords = [chord for chord in chords if chord[0] < seconds]
    guitars = _guitar_take(chords, seconds=seconds, rng=rng) + _guitar_take(chords, seconds=seconds, rng=rng)
    bass = np.zeros(int(seconds * SR))
    for when, root, length in chords:
        tone = _plucked_string(_midi_hz(root - 12), seconds=length, damping=0.999, brightness=0.15, rng=rng)
        release = np.clip((length - np.arange(len(tone)) / SR) / 0.02, 0.0, 1.0)
        _add_at(bass, np.tanh(2 * tone / np.abs(tone).max()) * release, seconds=when)
    from scipy.signal import butter, sosfilt

    bass = sosfilt(butter(2, 1200, "lowpass", fs=SR, output="sos"), bass)
    mix = guitars / np.sqrt(np.mean(guitars**2)) + 0.5 * bass / np.sqrt(np.mean(bass**2))
    return _finish(_room(mix, rng, seconds=0.8, wet=0.2), seconds=seconds, rms=0.03)


CLIPS: dict[str, Callable[[], np.ndarray]] = {"piano": piano_piece, "rock": rock_riff}
MODELS = {"mtt": "MTT_musicnn", "msd": "MSD_musicnn"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--musicnn-dir", type=Path, help="folder of the musicnn package (default: the installed one)")
    parser.add_argument("--weights-dir", type=Path, default=REPO / "src/picscore/audio/weights")
    parser.add_argument("--reference", type=Path, default=REPO / "tests/audio/data/musicnn_reference.npz")
    args = parser.parse_args()
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # plain Eigen kernels: the same numbers on every CPU
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tf.compat.v1.disable_eager_execution()
    if args.musicnn_dir is None:
        import musicnn

        args.musicnn_dir = Path(musicnn.__file__).parent

    reference: dict[str, np.ndarray] = {"log_mel_batch": random_log_mels(np.random.default_rng(20190712), 3)}
    clips = {name: make() for name, make in CLIPS.items()}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for name, clip in clips.items():
            patches, log_mel = musicnn_patches(clip, workdir)
            assert np.isfinite(log_mel).all(), f"{name}: musicnn's float16 log-mel overflows; lower the clip's level"
            reference[f"{name}_samples"] = clip
            reference[f"{name}_log_mel"] = log_mel.astype(np.float16)
            reference[f"{name}_patches"] = patches.astype(np.float16)
        for short, model in MODELS.items():
            prefix = link_checkpoint(args.musicnn_dir / model, workdir / model)
            weights = convert_weights(prefix)
            np.savez_compressed(args.weights_dir / f"musicnn_{short}.npz", **weights)  # type: ignore[arg-type]  # numpy's stub lets **arrays fill allow_pickle
            graph = Graph(prefix)
            tags, embedding = graph(reference["log_mel_batch"])
            reference[f"log_mel_batch_{short}_tags"], reference[f"log_mel_batch_{short}_embedding"] = tags, embedding
            for name in clips:
                tags, embedding = graph(reference[f"{name}_patches"].astype(np.float32))
                reference[f"{name}_{short}_tag_curve"] = tags
                reference[f"{name}_{short}_tags"] = tags.mean(axis=0)
                reference[f"{name}_{short}_embedding"] = embedding.mean(axis=0)
            print(f"{model}: {sum(v.size for v in weights.values())} parameters")
    for name in clips:
        del reference[f"{name}_patches"]  # the tests cut patches from the stored log-mel
    args.reference.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.reference, **reference)  # type: ignore[arg-type]  # numpy's stub lets **arrays fill allow_pickle
    for path in [*sorted(args.weights_dir.glob("musicnn_*.npz")), args.reference]:
        print(f"{path.relative_to(REPO)}: {path.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
