"""The track-space cache beside a library: current, updated a few tracks at a time, refitted, or rebuilt."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from picscore.cli import main
from picscore.library.store import Library
from picscore.match.matchers import ZeroShotMatcher
from picscore.match.suggest import SuggestOptions, suggest
from picscore.models.zero_shot import Tracks, project_tracks
from picscore.trackspace.candidates import read_tags
from picscore.trackspace.loading import load_candidates
from picscore.trackspace.space_cache import REFIT_SHARE, cached_candidates, space_folder
from tests.conftest import add_tracks, random_pictures, track_row


def _fresh_fit(library: Library) -> np.ndarray:
    """The feature rows of a fit on the whole library as it is, by id order, without any cache."""
    paths = [row["path"] for row in sorted(library.list_tracks(), key=lambda r: r["id"])]
    return load_candidates(library, paths=paths).joint_space.features


def test_a_second_load_maps_the_stored_space_and_suggests_the_same(library: Library, rng: np.random.Generator) -> None:
    add_tracks(library, rng, 40)
    first = load_candidates(library)
    assert (space_folder(library.path) / "current.json").exists()
    second = load_candidates(library)
    assert isinstance(second.joint_space.features, np.memmap)
    np.testing.assert_array_equal(second.joint_space.features, first.joint_space.features)
    np.testing.assert_allclose(first.joint_space.features, _fresh_fit(library), atol=1e-6)
    pictures = random_pictures(rng)
    assert [s.track["id"] for s in suggest(pictures, first)] == [s.track["id"] for s in suggest(pictures, second)]
    assert suggest(pictures, second, SuggestOptions(top=3))[0].reasons.count(" BPM, ") == 1  # explained from the mapped space


def test_added_changed_and_removed_tracks_are_seen(library: Library, rng: np.random.Generator) -> None:
    ids = add_tracks(library, rng, 30)
    load_candidates(library)
    (new,) = add_tracks(library, rng, 1, start=30)
    library.save_track(track_row("/m/00003.mp3", bpm=77.0, title="Song 3"))  # re-analysed: new figures
    library.remove_tracks([ids[5]])
    candidates = load_candidates(library)
    assert new in candidates.ids and ids[5] not in candidates.ids and len(candidates) == 30
    assert candidates.bpm[candidates.ids.tolist().index(ids[3])] == 77.0
    np.testing.assert_allclose(candidates.joint_space.features[np.argsort(candidates.ids)], _fresh_fit(library), atol=1e-6)


def test_a_large_library_is_updated_in_its_projection_until_too_much_changed(library: Library, rng: np.random.Generator) -> None:
    add_tracks(library, rng, 100)
    before = cached_candidates(library, small_library=0)
    added = add_tracks(library, rng, int(REFIT_SHARE * 100) - 2, start=100)
    updated = cached_candidates(library, small_library=0)
    assert updated.joint_space.projection.arrays().keys() == before.joint_space.projection.arrays().keys()
    for name, values in before.joint_space.projection.arrays().items():
        np.testing.assert_array_equal(updated.joint_space.projection.arrays()[name], values)
    old_rows = np.isin(updated.ids, before.ids)
    np.testing.assert_array_equal(updated.joint_space.features[old_rows], before.joint_space.features)
    numbers = library.track_numbers(added)
    tags, _ = read_tags(library, numbers["id"])
    expected = project_tracks(Tracks(np.stack([numbers["valence"], numbers["arousal"]], axis=1), tags), before.joint_space.projection)
    np.testing.assert_allclose(updated.joint_space.features[~old_rows], expected, atol=1e-6)
    assert not np.allclose(updated.joint_space.features[np.argsort(updated.ids)], _fresh_fit(library), atol=1e-3)  # a refit differs
    add_tracks(library, rng, 5, start=200)  # now over REFIT_SHARE since the fit: fitted again
    refitted = cached_candidates(library, small_library=0)
    np.testing.assert_allclose(refitted.joint_space.features[np.argsort(refitted.ids)], _fresh_fit(library), atol=1e-6)


@pytest.mark.parametrize("damage", ["state", "generation"])
def test_a_damaged_cache_is_rebuilt(library: Library, rng: np.random.Generator, damage: str) -> None:
    add_tracks(library, rng, 20)
    expected = load_candidates(library).joint_space.features.copy()
    folder = space_folder(library.path)
    state = json.loads((folder / "current.json").read_text())
    if damage == "state":
        (folder / "current.json").write_text("{not json")
    else:
        shutil.rmtree(folder / state["generation"])
    np.testing.assert_array_equal(load_candidates(library).joint_space.features, expected)
    assert json.loads((folder / "current.json").read_text())["change"] == library.version().change


def test_an_empty_library_has_no_candidates(library: Library) -> None:
    candidates = load_candidates(library)
    assert len(candidates) == 0 and not space_folder(library.path).exists()
    with pytest.raises(ValueError, match="the library has no tracks"):
        ZeroShotMatcher(candidates)


def test_indexing_leaves_the_stored_space_current(tmp_path, music_folder) -> None:
    library_file = tmp_path / "library.db"
    assert main(["--library", str(library_file), "index", str(music_folder), "--encoders", "none", "--quiet"]) == 0
    state = json.loads((space_folder(library_file) / "current.json").read_text())
    with Library(library_file) as library:
        assert state["change"] == library.version().change and len(load_candidates(library)) == 4
