"""Which music a slideshow plays: the best-ranked track that lasts it, or one such track for each chapter.

Both the CLI (`picscore render`) and the web API plan through here, so that `--auto`, the page and
`--track-per-chapter` choose alike. Ranking the tracks is the caller's (suggest for the photos);
planning one slideshow to one track is `plan_for(track, repeats=..., first=..., end=..., seconds=...)`,
the photos `first:end` to `track`, about `seconds` long, repeating phrases only when `repeats`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial
from itertools import pairwise
from pathlib import Path
from typing import Any

from picscore.library.store import Library
from picscore.match.suggest import Suggestion
from picscore.media.audio_decode import AudioDecodeError
from picscore.media.files import file_problem
from picscore.render.chapter_music import chain_plans, share_lengths, share_starts
from picscore.render.plan import Plan, PlanError

Track = dict[str, Any]  # a library track row (Library.get_track)
AUTO_CHOICES = 10  # automatic music is the best-fitting of this many suggestions that lasts the slideshow


def playable_tracks(library: Library, suggestions: Iterable[Suggestion]) -> list[Track]:
    """The suggested tracks' library rows, best first, leaving out those whose files are gone."""
    return [track for s in suggestions if (track := library.get_track(s.track["id"])) is not None and not file_problem(track["path"])]


def first_that_lasts(tracks: Sequence[Track], plan_for: Callable[..., Plan]) -> Plan:
    """The plan with the first of `tracks` that lasts the slideshow as it is; else the first track's, repeating phrases.

    Raises PlanError, naming the track, when even repeating phrases cannot make the slideshow.
    """
    for track in tracks:
        try:
            return plan_for(track, repeats=False)
        except PlanError:
            continue
    track = tracks[0]
    try:
        return plan_for(track, repeats=True)
    except PlanError as err:
        raise PlanError(f"track {track['id']} ({Path(track['path']).name}): {err}") from None
    except AudioDecodeError as err:
        raise PlanError(f"track {track['id']}: {track['path']}: {err}") from None


def plan_per_chapter(
    n_photos: int,
    *,
    chapters: Sequence[int],
    seconds: float | None,
    per_photo_seconds: float | None = None,
    rank: Callable[[int, int], Sequence[Track]],
    plan_for: Callable[..., Plan],
    on_share: Callable[[int, int, float, Plan], None] | None = None,
) -> Plan:
    """One plan of `n_photos` with a track for each share of the `chapters` (render/chapter_music.py).

    Each share's track is the first of `rank(first, end)` (the tracks ranked for photos first:end)
    that no earlier share plays and that lasts the share (else the first of them, repeating phrases).
    With `seconds`, each share is aimed at what keeps the total on that length; `per_photo_seconds`
    (photos shown that long each, as plan_for then does) only says how long the shares last. `on_share(first, end,
    start_seconds, plan)` hears of each share once planned. Raises PlanError as first_that_lasts.
    """
    starts = share_starts(chapters, n_photos=n_photos, seconds=seconds, per_photo_seconds=per_photo_seconds)
    targets = share_lengths(starts, n_photos=n_photos, seconds=seconds) if seconds else None
    plans: list[Plan] = []
    for k, (first, end) in enumerate(pairwise([*starts, n_photos])):
        ranked = rank(first, end)
        used = {plan.track_id for plan in plans}
        unused = [track for track in ranked if track["id"] not in used] or list(ranked)
        elapsed = sum(plan.duration_seconds for plan in plans)
        share_seconds = None if targets is None else sum(targets[: k + 1]) - elapsed
        plan = first_that_lasts(unused, partial(plan_for, first=first, end=end, seconds=share_seconds))
        if on_share:
            on_share(first, end, elapsed, plan)
        plans.append(plan)
    return chain_plans(plans)
