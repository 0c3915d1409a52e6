"""Per-track columns kept beside the library: computed once, then only for tracks changed since."""

from __future__ import annotations

import numpy as np

from picscore.library.store import Library
from picscore.trackspace.space_cache import cached_candidates
from picscore.trackspace.stored_columns import stored_columns
from tests.conftest import add_tracks


class _Embedder:
    """Columns that are a function of the track id, counting the ids it was asked for."""

    def __init__(self) -> None:
        self.asked: list[int] = []

    def __call__(self, ids: np.ndarray) -> np.ndarray:
        self.asked += ids.tolist()
        return np.stack([ids * 0.5, -ids.astype(float)], axis=1) if len(ids) else np.zeros((0, 2))


def test_columns_are_computed_once_and_then_only_for_changed_tracks(library: Library, rng: np.random.Generator) -> None:
    ids = add_tracks(library, rng, 30)
    embed = _Embedder()
    first = stored_columns(library, cached_candidates(library, small_library=0), name="model-x", compute=embed)
    assert sorted(embed.asked) == ids
    candidates = cached_candidates(library, small_library=0)
    again = stored_columns(library, candidates, name="model-x", compute=embed)
    assert len(embed.asked) == 30 and isinstance(again, np.memmap)
    np.testing.assert_array_equal(again, first)
    (added,) = add_tracks(library, rng, 1, start=30)
    library.save_track({**library.known_track(ids[6]), "bpm": 99.0})  # analysed again: its rows are redone
    library.remove_tracks([ids[9]])
    later = cached_candidates(library, small_library=0)
    columns = stored_columns(library, later, name="model-x", compute=embed)
    assert sorted(embed.asked[30:]) == sorted([added, ids[6]])
    np.testing.assert_allclose(columns, np.stack([later.ids * 0.5, -later.ids.astype(float)], axis=1))
    assert stored_columns(library, later, name="model-y", compute=_Embedder()).shape == (30, 2)  # another model: its own rows
