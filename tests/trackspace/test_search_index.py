"""The search index beside a library: built, searched like exact scoring, updated with the library, built in the background."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from picscore.cli import main
from picscore.library.store import Library
from picscore.match.matchers import ZeroShotMatcher
from picscore.match.suggest import SuggestOptions, suggest
from picscore.serve.catalogue import Catalogue
from picscore.trackspace.loading import load_candidates
from picscore.trackspace.search_index import BUILDER_RETRY_S, IndexFiles, failure_mark, resolve_kind, search_index
from picscore.trackspace.space_cache import cached_candidates
from picscore.trackspace.vector_index import IVFIndex, load_index
from tests.conftest import add_tracks, random_pictures

KIND = "ivf-fp16"


@pytest.fixture
def filled(library: Library, rng: np.random.Generator) -> Library:
    add_tracks(library, rng, 400)
    return library


def _ids(found: list) -> list[int]:
    return [s.track["id"] for s in found]


def test_suggestions_through_the_index_match_exact_scoring(filled: Library, rng: np.random.Generator) -> None:
    candidates = load_candidates(filled)
    matcher = ZeroShotMatcher(candidates)
    index = search_index(filled, candidates, matcher, kind=KIND, build="now")
    assert isinstance(index, IVFIndex) and len(index) == len(candidates)
    index.nprobe = index.nlist  # every cell: the index then differs from exact scoring only by its 16-bit codes
    for options in (
        SuggestOptions(top=10),
        SuggestOptions(top=5, tempo_bpm=(90, 120), min_duration_seconds=10),
        SuggestOptions(top=5, seed=4),
    ):
        pictures = random_pictures(rng, 3)
        exact = suggest(pictures, candidates, options, matcher=matcher)
        indexed = suggest(pictures, candidates, options, matcher=matcher, index=index)
        assert _ids(indexed) == _ids(exact)
        # 16-bit codes keep 11 significant bits of each stored coordinate, the largest being the norm-augmenting one
        # (about index.max_norm): scores agree to that precision.
        tolerance = 2**-11 * index.max_norm
        np.testing.assert_allclose([s.score for s in indexed], [s.score for s in exact], atol=tolerance)
    assert all(
        90 <= s.track["bpm"] <= 120 for s in suggest(random_pictures(rng), candidates, SuggestOptions(tempo_bpm=(90, 120)), index=index)
    )


def test_the_index_follows_added_and_removed_tracks_without_a_rebuild(filled: Library, rng: np.random.Generator) -> None:
    candidates = cached_candidates(filled, small_library=0)
    matcher = ZeroShotMatcher(candidates)
    search_index(filled, candidates, matcher, kind=KIND, build="now")
    (added,) = add_tracks(filled, rng, 1, start=400)
    removed = int(candidates.ids[7])
    filled.remove_tracks([removed])
    later = cached_candidates(filled, small_library=0)
    assert later.stored_origin.fit_id == candidates.stored_origin.fit_id  # the space was updated, not fitted again
    index = search_index(filled, later, ZeroShotMatcher(later), kind=KIND, build="background")
    assert index is not None and len(index) == len(later) == 400
    weights = np.ones((1, later.joint_space.features.shape[1]), dtype=np.float32)
    assert index.search(weights, k=1, allowed_ids=np.array([added]))[1][0, 0] == added
    assert index.search(weights, k=5, allowed_ids=np.array([removed]))[1][0, 0] == -1
    note = json.loads(IndexFiles.of(later, ZeroShotMatcher(later), kind=KIND).note.read_text())
    assert note == {"fit_id": later.stored_origin.fit_id, "change": later.stored_origin.change}


def test_a_missing_index_is_built_in_the_background_meanwhile_exact(filled: Library) -> None:
    candidates = load_candidates(filled)
    matcher = ZeroShotMatcher(candidates)
    assert search_index(filled, candidates, matcher, kind=KIND) is None
    lock = IndexFiles.of(candidates, matcher, kind=KIND).lock
    assert search_index(filled, candidates, matcher, kind=KIND) is None  # one builder at a time
    _wait_for_builder(lock)
    assert not lock.exists()
    assert isinstance(search_index(filled, candidates, matcher, kind=KIND), IVFIndex)


def _wait_for_builder(lock: os.PathLike) -> None:
    deadline = time.monotonic() + 120
    while os.path.exists(lock) and time.monotonic() < deadline:
        time.sleep(0.2)


def test_a_failed_background_build_is_not_started_again_with_every_query(filled: Library) -> None:
    candidates = load_candidates(filled)
    matcher = ZeroShotMatcher(candidates)
    files = IndexFiles.of(candidates, matcher, kind=KIND)
    exited = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    files.lock.write_text(exited.stdout.strip())  # the lock of a builder that died (killed for memory) before it finished
    for _ in range(2):
        assert search_index(filled, candidates, matcher, kind=KIND) is None
        assert not files.lock.exists()  # no builder started
    assert failure_mark(files.lock).exists()
    long_ago = time.time() - BUILDER_RETRY_S - 1
    os.utime(failure_mark(files.lock), (long_ago, long_ago))
    assert search_index(filled, candidates, matcher, kind=KIND) is None
    assert files.lock.exists()  # tried again once the wait is over
    _wait_for_builder(files.lock)
    assert isinstance(search_index(filled, candidates, matcher, kind=KIND), IVFIndex)
    assert not failure_mark(files.lock).exists()  # a build that succeeds clears the mark


def test_a_background_builder_that_fails_leaves_the_mark(library: Library, tmp_path) -> None:
    lock = tmp_path / "search.lock"
    lock.write_text("1")
    assert main(["--library", str(library.path), "library", "search-index", "--lock", str(lock)]) != 0  # an empty library
    assert not lock.exists() and failure_mark(lock).exists()


def test_auto_picks_exact_for_a_small_library(filled: Library) -> None:
    candidates = load_candidates(filled)
    matcher = ZeroShotMatcher(candidates)
    assert resolve_kind("auto", candidates, matcher) == "exact" and resolve_kind("ivf-sq8", candidates, matcher) == "ivf-sq8"
    assert search_index(filled, candidates, matcher, kind="exact") is None
    with pytest.raises(ValueError, match="unknown index 'hnsw'"):
        resolve_kind("hnsw", candidates, matcher)


def test_the_search_index_verb_and_suggest_with_it(filled: Library, tmp_path) -> None:
    photo = tmp_path / "photo.png"
    Image.new("RGB", (320, 240), (200, 120, 40)).save(photo)
    base = [sys.executable, "-m", "picscore", "--library", str(filled.path)]
    built = subprocess.run([*base, "library", "search-index", "--index", KIND, "--json"], capture_output=True, text=True, check=True)
    summary = json.loads(built.stdout)
    assert summary["kind"] == KIND and summary["tracks"] == 400 and 0 < summary["bytes_per_track"] < 200
    found = subprocess.run([*base, "suggest", str(photo), "--index", KIND, "--json"], capture_output=True, text=True, check=True)
    assert len(json.loads(found.stdout)[0]["suggestions"]) == 10 and "background" not in found.stderr


def test_the_server_searches_exactly_until_its_background_index_is_ready(filled: Library) -> None:
    catalogue = Catalogue(filled.path, model=None, index=KIND)
    first = catalogue.current(filled)
    assert first.kind == KIND and first.vector_index is None and first.awaits_index and first.matcher is not None
    lock = IndexFiles.of(first.candidates, first.matcher, kind=KIND).lock
    deadline = time.monotonic() + 120
    while lock.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    ready = catalogue.current(filled)
    assert isinstance(ready.vector_index, IVFIndex) and not ready.awaits_index and ready.candidates is first.candidates


def test_a_damaged_index_file_is_built_again(filled: Library) -> None:
    candidates = load_candidates(filled)
    matcher = ZeroShotMatcher(candidates)
    search_index(filled, candidates, matcher, kind=KIND, build="now")
    files = IndexFiles.of(candidates, matcher, kind=KIND)
    files.index.write_bytes(b"not an index")
    rebuilt = search_index(filled, candidates, matcher, kind=KIND, build="now")
    assert isinstance(rebuilt, IVFIndex) and len(rebuilt) == len(candidates) and len(load_index(files.index)) == len(candidates)
