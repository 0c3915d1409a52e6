"""Curation speed: a camera roll of 12-megapixel JPEGs, as `picscore curate --best 30` runs on it.

Builds (once, cached in bench/.cache) 1,000 JPEGs of 4000x3000 from scikit-image's sample photographs
(40 distinct frames, copied), then times the whole curation on every core: decoding at a reduced
scale, measuring, grouping near-duplicates and choosing 30. Beside it, in the same run, the obvious
alternative on 50 of the files: decoding each at full size before shrinking it (Pillow without draft mode).

    python bench/curate.py                # 1,000 photos
    python bench/curate.py --photos 200
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from picscore.curate.quality import ANALYSIS_SIDE, measure_photo
from picscore.curate.roll import curate_files
from picscore.library.parallel import default_jobs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.curate.camera_roll import scenes  # the test suite's real photographs

CACHE = Path(__file__).parent / ".cache"
SIZE = (4000, 3000)
DISTINCT = 40


def build_roll(n_photos: int) -> list[Path]:
    folder = CACHE / f"roll_{n_photos}x12mp"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    originals = []
    for k, scene in enumerate((scenes() * 2)[:DISTINCT]):
        path = folder / f"IMG_{k:04d}.jpg"
        if not path.exists():
            big = np.asarray(scene.resize(SIZE, Image.Resampling.BICUBIC), dtype=np.float32)
            big += rng.normal(0, 3.0, big.shape)  # sensor noise, as a camera's
            Image.fromarray(np.clip(big, 0, 255).astype(np.uint8)).save(path, quality=92)
        originals.append(path)
    paths = list(originals)
    for k in range(DISTINCT, n_photos):
        path = folder / f"IMG_{k:04d}.jpg"
        if not path.exists():
            shutil.copyfile(originals[k % DISTINCT], path)
        paths.append(path)
    return paths


def full_decode_measure(path: Path) -> None:
    """The obvious way: decode every pixel, then shrink for the measures."""
    with Image.open(path) as opened:
        image = opened.convert("RGB")
    scale = ANALYSIS_SIDE / min(image.size)
    measure_photo(image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BILINEAR))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=1000)
    args = parser.parse_args()
    print(f"building or reusing {args.photos} JPEGs of {SIZE[0]}x{SIZE[1]} ...", flush=True)
    paths = build_roll(args.photos)
    jobs = default_jobs()
    started = time.perf_counter()
    curation = curate_files([str(p) for p in paths], best=30, jobs=jobs, progress=False)
    seconds = time.perf_counter() - started
    per_photo = seconds / len(paths) * 1000
    kept = len(curation.kept)
    print(f"curate --best 30 of {len(paths)} photos on {jobs} cores: {seconds:.1f} s ({per_photo:.1f} ms a photo), kept {kept}")
    sample = paths[:50]
    started = time.perf_counter()
    for path in sample:
        full_decode_measure(path)
    naive = (time.perf_counter() - started) / len(sample)
    started = time.perf_counter()
    from picscore.curate.roll import measure_file

    for path in sample:
        measure_file(str(path))
    ours = (time.perf_counter() - started) / len(sample)
    print(f"one photo on one core: reduced decode + measures {ours * 1000:.1f} ms, ", end="")
    print(f"full decode + measures {naive * 1000:.1f} ms ({naive / ours:.1f}x)")


if __name__ == "__main__":
    main()
