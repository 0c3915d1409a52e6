"""Choosing the photos worth showing from a camera roll: one good frame of each scene, no screenshots, variety.

1. Screenshots and documents are dropped: screens are drawn in flat colours, which a camera's
   sensor never gives, and drawn with sharper edges than a lens.
2. Near-duplicates (duplicates.py) are grouped, and each group keeps its best frame: the
   sharpest and best exposed, judged against its own group, so a misty landscape is compared
   with other frames of the mist.
3. A frame that is still blurred or badly exposed (judged against its own content) is dropped.
4. When more remain than asked for, the best are taken one at a time, each time preferring
   what looks least like the photos taken already, and photos with faces (faces.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from picscore.curate.duplicates import aligned_correlations, near_duplicate_groups
from picscore.curate.quality import DETAIL_SIDE, PhotoQuality

SCREEN_FLATNESS = 0.5  # a screen: at least half its pixels exactly as flat as their neighbours ...
SCREEN_SHARPNESS = 1.8  # ... and edges sharper than any lens draws
BLURRED_BELOW = 0.6  # sharpness under this: the finest detail is gone (in focus: about 0.65 to 1.6)
BLOWN_ABOVE = 0.25  # a quarter of the picture white
DARK_RANGE_BELOW = 0.08  # uses less than a twelfth of the tonal range
_SHARP_ENOUGH = 0.9
_SCREEN = "a screenshot or document (flat, drawn colours)"
FACE_BONUS = 0.25  # a photo with people in it wins over a faceless one up to this much better (frame_quality runs 0 to 1)


@dataclass(frozen=True)
class Verdict:
    """What curation decided for one photo, and why (for a dropped photo, the reason; for a kept one, its rank)."""

    path: str
    kept: bool
    reason: str
    quality: float = 0.0
    duplicate_of: str | None = None


@dataclass
class Curation:
    """The photos kept (in the order given) and every photo's verdict."""

    kept: list[str] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)


def frame_quality(q: PhotoQuality, *, usual_luma: float | None = None) -> float:
    """How good a frame is: in focus, using the tonal range, nothing blown or crushed, and (given the mean
    brightness usual for its scene, the median of its near-duplicates) exposed as the scene usually is."""
    focus = min(q.sharpness / _SHARP_ENOUGH, 1.0)
    tones = min(q.luma_range / 0.7, 1.0)
    quality = focus * tones - 2.0 * max(q.blown - 0.02, 0.0) - max(q.crushed - 0.25, 0.0)
    if usual_luma is not None:
        quality -= 2.0 * abs(float(np.log((q.mean_luma + 8.0) / (usual_luma + 8.0))))
    return quality


def looks_like_a_screen(q: PhotoQuality) -> bool:
    """Flat, drawn colours with edges sharper than a lens draws: a screenshot or a document, not a photograph."""
    return q.flat >= SCREEN_FLATNESS and q.sharpness >= SCREEN_SHARPNESS


def problem(q: PhotoQuality) -> str | None:
    """Why a photo is not worth showing on its own account, or None."""
    if looks_like_a_screen(q):
        return _SCREEN
    if q.sharpness < BLURRED_BELOW:
        return f"blurred (sharpness {q.sharpness:.2f}, in focus above {BLURRED_BELOW})"
    if q.blown > BLOWN_ABOVE:
        return f"over-exposed ({q.blown:.0%} white)"
    if q.luma_range < DARK_RANGE_BELOW:
        return f"under-exposed or flat (uses {q.luma_range:.0%} of the tonal range)"
    return None


def curate(
    paths: Sequence[str],
    qualities: Sequence[PhotoQuality | str],
    *,
    best: int | None = None,
    count_faces: Callable[[list[int]], list[int]] | None = None,
) -> Curation:
    """Curate photos from their measures (a PhotoQuality, or the reason it could not be read), keeping at most `best`.

    `count_faces(indices)` gives the number of faces in each of those photos; it is asked only when there are
    more good photos than `best`, for those, and a face counts towards a photo's claim (never rescuing a bad frame).
    """
    verdicts: dict[int, Verdict] = {}
    photos: dict[int, PhotoQuality] = {}  # the readable photographs, by index
    for i, q in enumerate(qualities):
        if isinstance(q, str):
            verdicts[i] = Verdict(paths[i], False, f"unreadable ({q})")
        elif looks_like_a_screen(q):
            verdicts[i] = Verdict(paths[i], False, _SCREEN)
        else:
            photos[i] = q
    readable = list(photos)
    details = np.stack([photos[i].detail for i in readable]) if readable else np.zeros((0, DETAIL_SIDE, DETAIL_SIDE))
    candidates = []
    for group in near_duplicate_groups(details):
        members = [readable[k] for k in group]
        usual = float(np.median([photos[i].mean_luma for i in members])) if len(members) > 2 else None
        quality = {i: frame_quality(photos[i], usual_luma=usual) for i in members}
        # The best frame without a problem of its own; else the best, to say what is wrong with the whole scene.
        chosen = max(members, key=lambda i: (problem(photos[i]) is None, quality[i], -i))
        for i in members:
            if i != chosen:
                verdicts[i] = Verdict(paths[i], False, f"a near-duplicate of {paths[chosen]}", quality[i], paths[chosen])
        if reason := problem(photos[chosen]):
            verdicts[chosen] = Verdict(paths[chosen], False, reason, quality[chosen])
        else:
            candidates.append(chosen)
    for rank, i in enumerate(_varied(candidates, photos, best=best, count_faces=count_faces), start=1):
        verdicts[i] = Verdict(paths[i], True, f"kept ({rank} of the best)", frame_quality(photos[i]))
    for i in candidates:
        verdicts.setdefault(
            i, Verdict(paths[i], False, "not among the best asked for (a similar or weaker photo)", frame_quality(photos[i]))
        )
    ordered = [verdicts[i] for i in range(len(paths))]
    return Curation([v.path for v in ordered if v.kept], ordered)


def _varied(
    candidates: list[int], photos: dict[int, PhotoQuality], *, best: int | None, count_faces: Callable[[list[int]], list[int]] | None
) -> list[int]:
    """`best` of the candidates (all if None), best first, each pick discounted by its likeness to those taken."""
    if best is None or len(candidates) <= best:
        return sorted(candidates, key=lambda i: -frame_quality(photos[i]))
    faces = count_faces(candidates) if count_faces else [0] * len(candidates)
    claim = np.array([frame_quality(photos[i]) + FACE_BONUS * (n > 0) for i, n in zip(candidates, faces, strict=True)])
    likeness = np.clip(aligned_correlations(np.stack([photos[i].detail for i in candidates])), 0.0, 1.0)
    taken: list[int] = []
    nearest = np.zeros(len(candidates))
    for _ in range(best):
        score = claim - nearest
        score[taken] = -np.inf
        pick = int(np.argmax(score))
        taken.append(pick)
        nearest = np.maximum(nearest, likeness[pick])
    return [candidates[k] for k in taken]
