"""Curating photo files: each decoded small and measured in worker processes, then chosen (select.py)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from tqdm import tqdm

from picscore.curate.quality import ANALYSIS_SIDE, PhotoQuality, measure_photo
from picscore.curate.select import Curation, curate
from picscore.library.parallel import WorkerPool, default_jobs
from picscore.media.image_load import ImageLoadError, load_image


def measure_file(path: str) -> tuple[str, PhotoQuality | str]:
    """(path, the photo's measures, or why it cannot be read); JPEGs decode at a reduced scale."""
    try:
        return path, measure_photo(load_image(path, min_side=ANALYSIS_SIDE))
    except ImageLoadError as err:
        return path, str(err)


def curate_files(paths: Sequence[str], *, best: int | None = None, jobs: int | None = None, progress: bool = True) -> Curation:
    """Curate the photo files (see select.curate), measuring them on `jobs` cores (None: all)."""
    measured: dict[str, PhotoQuality | str] = {}
    with (
        WorkerPool(min(jobs or default_jobs(), max(len(paths), 1))) as pool,
        tqdm(total=len(paths), unit="photo", desc="looking", file=sys.stderr, disable=not progress or not paths) as bar,
    ):
        for path, result in pool.map_unordered(measure_file, list(paths), on_crash=lambda p, cause: (p, f"decoding crashed ({cause})")):
            measured[path] = result
            bar.update()
    return curate(list(paths), [measured[p] for p in paths], best=best)
