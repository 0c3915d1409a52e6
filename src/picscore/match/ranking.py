"""Each picture's own suggestion list, as positions among the candidates: what the congruence measure reads."""

from __future__ import annotations

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
    options = SuggestOptions(top=top, variant=variant)
    rows = []
    for k in range(len(pictures)):
        features = None if pictures.features is None else pictures.features[k : k + 1]
        one = Pictures(pictures.mood[k : k + 1], pictures.class_probabilities[k : k + 1], features)
        ids = np.array([s.track["id"] for s in suggest(one, candidates, options, matcher=matcher)], dtype=np.int64)
        if len(ids) < top:
            raise ValueError(f"only {len(ids)} distinct songs to suggest; a top {top} needs more")
        rows.append(candidates.positions_of(ids))
    return np.array(rows, dtype=np.int64).reshape(-1, top)
