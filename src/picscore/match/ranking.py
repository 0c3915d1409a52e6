"""Suggestion lists as positions among the candidates, for each picture alone or each album: what the congruence
measure reads."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from picscore.match.matchers import Matcher
from picscore.match.suggest import SuggestOptions, suggest
from picscore.models.zero_shot import DEFAULT_VARIANT, Pictures
from picscore.trackspace.candidates import Candidates


def best_tracks(
    pictures: Pictures, candidates: Candidates, *, top: int = 10, variant: str = DEFAULT_VARIANT, matcher: Matcher | None = None
) -> np.ndarray:
    """[n_pictures, top] candidate positions of what `suggest` lists first for each picture alone, best first: by the
    zero-shot `variant`, or by `matcher` (a trained model's) when given.

    ValueError when the candidates cannot fill a list (fewer distinct songs than `top`).
    """
    alone = [_one_picture(pictures, k) for k in range(len(pictures))]
    return album_tracks(alone, candidates, top=top, variant=variant, matcher=matcher)


def album_tracks(
    albums: Sequence[Pictures], candidates: Candidates, *, top: int = 10, variant: str = DEFAULT_VARIANT, matcher: Matcher | None = None
) -> np.ndarray:
    """[n_albums, top] candidate positions of what `suggest` lists first for each album's pictures together, best
    first; as best_tracks otherwise."""
    options = SuggestOptions(top=top, variant=variant)
    rows = []
    for album in albums:
        ids = np.array([s.track["id"] for s in suggest(album, candidates, options, matcher=matcher)], dtype=np.int64)
        if len(ids) < top:
            raise ValueError(f"only {len(ids)} distinct songs to suggest; a top {top} needs more")
        rows.append(candidates.positions_of(ids))
    return np.array(rows, dtype=np.int64).reshape(-1, top)


def _one_picture(pictures: Pictures, k: int) -> Pictures:
    """Picture `k` of `pictures`, as a Pictures of one."""
    features = None if pictures.features is None else pictures.features[k : k + 1]
    return Pictures(pictures.mood[k : k + 1], pictures.class_probabilities[k : k + 1], features)
