"""Curating photo files: each decoded small and measured in worker processes, then chosen (select.py)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from tqdm import tqdm

from picscore.curate.faces import FACE_SIDE, count_faces
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


def faces_in_file(path: str) -> int:
    """How many faces the photo shows (0 when it cannot be read)."""
    try:
        return count_faces(load_image(path, min_side=FACE_SIDE))
    except ImageLoadError:
        return 0


def curate_files(
    paths: Sequence[str],
    *,
    best: int | None = None,
    jobs: int | None = None,
    progress: bool = True,
    measured: dict[str, PhotoQuality | str] | None = None,
) -> Curation:
    """Curate the photo files (see select.curate), measuring them on `jobs` cores (None: all).

    `measured` holds measures taken before (by path): those photos are not decoded again, and the new
    measures are added to it, so a caller curating a growing set of photos measures each once.
    """
    measured = {} if measured is None else measured
    unmeasured = [p for p in dict.fromkeys(paths) if p not in measured]
    with WorkerPool(min(jobs or default_jobs(), max(len(unmeasured), 1))) as pool:
        with tqdm(total=len(unmeasured), unit="photo", desc="looking", file=sys.stderr, disable=not progress or not unmeasured) as bar:
            for path, result in pool.map_unordered(measure_file, unmeasured, on_crash=lambda p, cause: (p, f"decoding crashed ({cause})")):
                measured[path] = result
                bar.update()

        def faces_of(indices: list[int]) -> list[int]:
            """Faces in the good photos competing for the `best` places, looked for on every core."""
            found = dict(pool.map_unordered(_faces_job, [(i, paths[i]) for i in indices], on_crash=lambda job, cause: (job[0], 0)))
            return [found[i] for i in indices]

        return curate(list(paths), [measured[p] for p in paths], best=best, count_faces=faces_of)


def _faces_job(job: tuple[int, str]) -> tuple[int, int]:
    return job[0], faces_in_file(job[1])
