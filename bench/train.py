"""Training speed: the one-off cost of caching features, and samples per second of an epoch on cached features.

The obvious alternative trains through the frozen encoders, running EfficientNet-Lite0 and both
musicnn taggers on every sample of every epoch; its samples/s is bounded by those forward passes
alone, measured here on the same media, so the ratio is a lower bound of what the cache saves.

    python bench/train.py                 # 120 pairs of 20 s excerpts, 2 cores
    python bench/train.py --pairs 40 --epochs 3
    python bench/train.py --reuse --pairs 24 --seconds 180

`--reuse` instead measures what `picscore train --library` saves: the features of pairs whose
songs the library already indexed, read from there, against decoding and encoding those songs
again (each with an empty feature cache).
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from picscore.compose.synth import SongSpec, render_song
from picscore.library.indexer import index_paths
from picscore.library.store import Library
from picscore.media.audio_encode import encode_audio
from picscore.train.config import load_config
from picscore.train.dataset import load_pair_set
from picscore.train.features import FeatureCache, _encode_image, _encode_music
from picscore.train.loop import train
from picscore.train.pairs import read_pairs

SR = 22050


def write_pairs(folder: Path, *, count: int, seconds: float) -> Path:
    """`count` pairs of a 640x480 picture and a song excerpt; a quarter of the songs are shared, as in real sets."""
    rng = np.random.default_rng(0)
    songs = max(2, count // 4)
    for i in range(songs):
        spec = SongSpec(bpm=float(rng.uniform(70, 150)), mode=("major", "minor")[i % 2], seed=i)
        encode_audio(folder / f"song{i}.wav", render_song(spec, seconds=seconds, sr=SR), sr=SR)
    rows = []
    for i in range(count):
        pixels = rng.integers(0, 255, size=(480, 640, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"picture{i}.jpg", quality=90)
        rows.append((f"picture{i}.jpg", f"song{i % songs}.wav", f"song{i % songs}"))
    with (folder / "pairs.tsv").open("w", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t")
        writer.writerow(["image", "audio", "source"])
        writer.writerows(rows)
    return folder / "pairs.tsv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=120)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each song")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--reuse", action="store_true", help="time features read from an indexed library against decoding them")
    args = parser.parse_args()
    torch.set_flush_denormal(True)
    torch.set_num_threads(args.jobs)
    print(f"{args.pairs} pairs, {max(2, args.pairs // 4)} songs of {args.seconds:g} s; {args.jobs} cores (os reports {os.cpu_count()})")
    if args.reuse:
        library_reuse(pairs=args.pairs, seconds=args.seconds, jobs=args.jobs)
        return
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        pairs = read_pairs(write_pairs(folder, count=args.pairs, seconds=args.seconds))
        with FeatureCache(folder / "features.db") as cache:
            started = time.perf_counter()
            pair_set, skipped = load_pair_set(pairs, cache, jobs=args.jobs)
            caching = time.perf_counter() - started
            started = time.perf_counter()
            load_pair_set(pairs, cache, jobs=args.jobs)
            cached = time.perf_counter() - started
        assert not skipped
        songs = len(pair_set.music)
        print(
            f"feature caching (once): {caching:.1f} s = {caching / args.pairs * 1e3:.0f} ms per pair "
            f"({len(pair_set.images)} pictures x 4 views, {songs} songs = {songs * args.seconds / caching:.0f}x real time overall)"
        )
        print(f"reading them back from the cache: {cached:.2f} s")

        config = load_config(None, epochs=args.epochs, patience_epochs=args.epochs)
        started = time.perf_counter()
        train(folder / "run", pair_set, config, progress=False, log=lambda _: None)
        seconds = time.perf_counter() - started
        with (folder / "run" / "metrics.csv").open() as handle:
            epochs = len(list(csv.DictReader(handle))) - 1
        train_pairs = round(len(pair_set) * (1 - config.validation_fraction))
        rate = epochs * train_pairs / seconds
        print(
            f"training on cached features: {epochs} epochs in {seconds:.2f} s (validation, checkpoints and plots included)"
            f" = {rate:.0f} samples/s"
        )

        # The alternative's bound: one picture and one 20 s excerpt through the encoders per sample.
        picture, song = pairs[0].image, pairs[0].audio
        started = time.perf_counter()
        _encode_image(picture, seed=0)
        image_seconds = (time.perf_counter() - started) / 4  # _encode_image runs 4 views
        started = time.perf_counter()
        _encode_music(song, None, None, seed=0)
        music_seconds = (time.perf_counter() - started) / 2  # _encode_music runs 2 gains
        uncached = 1.0 / (image_seconds + music_seconds)
        print(
            f"through the encoders instead: <= {uncached:.1f} samples/s (picture {image_seconds * 1e3:.0f} ms, "
            f"{args.seconds:g} s excerpt {music_seconds * 1e3:.0f} ms per sample)"
        )
        print(f"cached features train {rate / uncached:.0f}x faster per epoch")


def library_reuse(*, pairs: int, seconds: float, jobs: int) -> None:
    """Feature loading of the pairs with an empty cache: decoding every song, then reading the indexed library."""
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        listed = read_pairs(write_pairs(folder, count=pairs, seconds=seconds))
        started = time.perf_counter()
        with Library(folder / "library.db") as library:
            indexed = index_paths(library, [folder], jobs=jobs, progress=False).indexed
        print(f"picscore index of the {indexed} songs (done once, before any training): {time.perf_counter() - started:.1f} s")
        timings: dict[str, float] = {}
        sources: list[tuple[str, Library | None]] = [
            ("decoding and encoding the songs", None),
            ("reading the library", Library(folder / "library.db")),
        ]
        for name, source in sources:
            with FeatureCache(folder / f"features-{len(timings)}.db") as cache:
                started = time.perf_counter()
                _, skipped = load_pair_set(listed, cache, library=source, jobs=jobs)
                timings[name] = time.perf_counter() - started
            assert not skipped
            if source is not None:
                source.close()
            print(f"features of {pairs} pairs, {name}: {timings[name]:.1f} s")
        decoded, read = timings.values()
        print(f"the library saves {decoded - read:.1f} s: {decoded / read:.1f}x faster")


if __name__ == "__main__":
    main()
