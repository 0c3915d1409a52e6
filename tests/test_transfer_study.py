"""tools/transfer_study.py finds a picture-to-music link shared by every set, and none where each set links at random.

The study's answer on the game sets is "no transfer"; this shows that answer is not its own blindness.
"""

from __future__ import annotations

import numpy as np

from tests.conftest import load_tool

transfer_study = load_tool("transfer_study")

FACTORS, PICTURES, TRACKS = 6, 30, 12


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def pair_set(rng: np.random.Generator, picture_bases: np.ndarray, music_bases: np.ndarray, link: np.ndarray):
    """Pictures of factor f paired with tracks of factor link[f]; features are the factors' base vectors plus noise."""
    picture_factor = np.arange(PICTURES) % FACTORS
    track_factor = np.arange(TRACKS) % FACTORS
    track_of_pair = np.array([rng.choice(np.flatnonzero(track_factor == link[f])) for f in picture_factor])
    music = _unit(music_bases[track_factor] + 0.5 * rng.standard_normal((TRACKS, music_bases.shape[1])))
    centred = _unit(music - music.mean(axis=0))
    return transfer_study.PairFeatures(
        picture_of_pair=np.arange(PICTURES),
        track_of_pair=track_of_pair,
        pictures=_unit(picture_bases[picture_factor] + 0.5 * rng.standard_normal((PICTURES, picture_bases.shape[1]))),
        colour=rng.standard_normal((PICTURES, 6)),
        music={"embedding": centred, "tags": centred, "affect": rng.standard_normal((TRACKS, 2))},
    )


def sets(*, shared_link: bool, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    picture_bases, music_bases = rng.standard_normal((FACTORS, 64)), rng.standard_normal((FACTORS, 32))
    links = [np.arange(FACTORS) if shared_link else rng.permutation(FACTORS) for _ in range(4)]
    return {f"set{i}": pair_set(rng, picture_bases, music_bases, link) for i, link in enumerate(links)}


def test_a_link_shared_by_every_set_is_found_on_each_held_out_set() -> None:
    results = transfer_study.study(sets(shared_link=True), permutations=200)
    for method in ("knn-embedding", "ridge-embedding (lambda 10)"):
        assert all(r["ratio"] >= 2 and r["p"] < 0.01 for r in results[method].values()), results[method]


def test_links_that_differ_from_set_to_set_do_not_carry_over() -> None:
    results = transfer_study.study(sets(shared_link=False), permutations=200)
    ratios = [r["ratio"] for r in results["knn-embedding"].values()]
    assert np.mean(ratios) < 1.5
    assert "knn-embedding" in transfer_study.table(results)
