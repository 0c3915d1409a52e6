"""How few musicnn patches keep a track's tags and embedding: faithfulness of evenly spread subsets.

The taggers run on every 3-second patch of a track and the library stores the mean over
patches (tags and embedding). This runs both taggers on every patch of real tracks once, then
for each subset size K takes K patches spread evenly over the track (the middle patch of each
of K equal stretches) and compares the subset's means with the whole track's:
  * the cosine of the embeddings (both taggers' 200-d means);
  * how many of the whole track's 5 most probable tags are among the subset's 5;
and prints, per K, the mean and the 5th percentile over tracks, and the share of patches (and
so of tagger time) a K-patch subset runs on these tracks.

    python bench/tagger_patches.py FOLDER_OR_FILE... [--sizes 2 3 4 6 8 12] [--limit N]

e.g. the Debian game music of tools/build_pairs.py's cache and the 4Q clips of
../shared/data/affect/music4q.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from picscore.audio.musicnn import SR, spread_patches, tag_music
from picscore.library.scan import scan_audio_files
from picscore.media.audio_decode import AudioDecodeError, decode_audio

MODELS = ("MTT_musicnn", "MSD_musicnn")


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12))


def top5(tags: np.ndarray) -> set[int]:
    return set(np.argsort(-tags, kind="stable")[:5].tolist())


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", type=Path, help="music folders or files")
    parser.add_argument("--sizes", nargs="+", type=int, default=[2, 3, 4, 6, 8, 12], help="subset sizes K to try")
    parser.add_argument("--limit", type=int, help="at most this many files from each path, spread over it")
    args = parser.parse_args(argv)
    torch.set_flush_denormal(True)
    files: list[Path] = []
    for root in args.paths:
        found = scan_audio_files([root]).files
        paths = sorted(Path(f.path) for f in found)
        files += [paths[i] for i in spread_patches(len(paths), args.limit)] if args.limit else paths
    cosines: dict[int, list[float]] = {k: [] for k in args.sizes}
    overlaps: dict[int, list[float]] = {k: [] for k in args.sizes}
    patches_total, patches_used = 0, dict.fromkeys(args.sizes, 0)
    started, audio_seconds = time.perf_counter(), 0.0
    for path in files:
        try:
            samples = decode_audio(path, sr=SR).samples
        except AudioDecodeError as err:
            print(f"skipped {path}: {err}")
            continue
        audio_seconds += len(samples) / SR
        tagged = [tag_music(samples, sr=SR, model=model) for model in MODELS]
        n = len(tagged[0].tag_curve)
        patches_total += n
        for k in args.sizes:
            chosen = spread_patches(n, k)
            patches_used[k] += len(chosen)
            for result in tagged:
                cosines[k].append(cosine(result.embedding_curve[chosen].mean(axis=0), result.embedding))
                overlaps[k].append(len(top5(result.tag_curve[chosen].mean(axis=0)) & top5(result.tags)))
    elapsed = time.perf_counter() - started
    print(f"{len(files)} files, {audio_seconds / 60:.0f} min of audio, {patches_total} patches; both taggers on all: {elapsed:.0f} s")
    header = ("K", "patches run", "cosine mean", "cosine p5", "top-5 overlap mean", "p5", "share >= 4 of 5")
    print("  ".join(f"{name:>{width}}" for name, width in zip(header, (3, 11, 11, 9, 18, 3, 15), strict=True)))
    for k in args.sizes:
        c, o = np.array(cosines[k]), np.array(overlaps[k])
        print(
            f"{k:>3}  {patches_used[k] / patches_total:>10.0%}  {c.mean():>11.4f}  {np.percentile(c, 5):>9.4f}  "
            f"{o.mean():>18.2f}  {np.percentile(o, 5):>3.0f}  {np.mean(o >= 4):>15.0%}"
        )


if __name__ == "__main__":
    main()
