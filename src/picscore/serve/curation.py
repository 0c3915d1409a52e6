"""An upload's curation for the page: the photos worth showing in the order they were taken, and why the rest are left out.

Curation's measures are taken once a photo and kept with the upload, so asking again (another length,
more photos added) only decodes what is new. Verdicts name photos by their client names, never by the
server's paths.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from picscore.curate.roll import curate_files
from picscore.curate.select import Verdict
from picscore.render.photos import chapter_starts
from picscore.render.plan import best_for_length
from picscore.render.title import date_range_title
from picscore.serve.uploads import StoredPhoto, Upload, capture_order


def upload_curation(upload: Upload, *, best: int | None, length_seconds: float | None) -> dict[str, Any]:
    """Which photos of `upload` to show (at most `best`; without it, as many as `length_seconds` shows at a pleasant
    pace, or every good one), in capture order, with each photo's verdict, the chapters and a title from the dates."""
    with upload.lock:
        photos = list(upload.photos)
        best = best if best is not None else best_for_length(len(photos), seconds=length_seconds)
        curation = curate_files([str(p.path) for p in photos], best=best, jobs=1, progress=False, measured=upload.measures)
    order = [photo.index for photo in capture_order(photos)]
    kept = [i for i in order if curation.verdicts[i].kept]
    times = [photo.taken_at for photo in photos]
    name_of = {str(photo.path): photo.name for photo in photos}
    return {
        "upload_id": upload.id,
        "best": best,
        "kept": kept,
        "order": order,
        "chapters": [kept[position] for position in chapter_starts([times[i] for i in kept])],
        "title": date_range_title([times[i] for i in kept]),
        "photos": [_verdict_json(photo, verdict, name_of) for photo, verdict in zip(photos, curation.verdicts, strict=True)],
    }


def _verdict_json(photo: StoredPhoto, verdict: Verdict, name_of: dict[str, str]) -> dict[str, Any]:
    duplicate_of = name_of.get(verdict.duplicate_of or "")
    reason = f"a near-duplicate of {duplicate_of}" if duplicate_of else verdict.reason
    return {
        "index": photo.index,
        "name": photo.name,
        "kept": verdict.kept,
        "reason": reason,
        "quality": round(verdict.quality, 3),
        "taken_at": None if photo.taken_at == datetime.max else photo.taken_at.isoformat(timespec="seconds"),
    }
