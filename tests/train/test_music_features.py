"""The training set's music features are the same whether they were computed in this process or in workers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from picscore.train.features import FeatureCache, MusicItem, music_items
from tests.conftest import write_song


@pytest.mark.slow
def test_music_features_computed_here_are_those_workers_compute(tmp_path: Path, two_torch_threads: None) -> None:
    # A training run resumed after a kill with one piece left computes it here: on the process's threads, musicnn's
    # outputs moved by about 1e-7, and the cached features (so the trained model) with them.
    keys = [(str(write_song(tmp_path / f"song{i}.flac", seconds=20.0, bpm=100 + 20 * i, seed=i)), None, None) for i in range(2)]
    computed = {}
    for jobs in (1, 2):
        with FeatureCache(tmp_path / f"features-{jobs}.db") as cache:
            computed[jobs] = music_items(cache, keys, jobs=jobs)
    for key in keys:
        here, in_workers = computed[1][key], computed[2][key]
        assert isinstance(here, MusicItem) and isinstance(in_workers, MusicItem)
        for name in ("patches", "tags", "descriptors"):
            assert np.array_equal(getattr(here, name), getattr(in_workers, name)), f"{Path(key[0]).name} {name}"
