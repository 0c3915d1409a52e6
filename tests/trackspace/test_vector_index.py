"""Vector index behaviour: exact answers, approximate recall on clustered rows, filters, updates, files."""

from __future__ import annotations

import faiss
import numpy as np
import pytest

from picscore.trackspace.index_kinds import EXACT_LIMIT, INDEX_KINDS, choose_kind
from picscore.trackspace.vector_index import ExactIndex, IVFIndex, build_index, load_index

DIM = 39
N_ROWS = 20_000


@pytest.fixture(autouse=True)
def one_thread():
    """Search on one thread, as serving does (and the CI machine has two cores)."""
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    yield
    faiss.omp_set_num_threads(threads)


@pytest.fixture(scope="module")
def clustered() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """20k rows in 60 anisotropic clusters with unequal norms (like tracks' feature rows), sparse ids, 100 queries."""
    rng = np.random.default_rng(1)
    centres = rng.standard_normal((60, DIM)) * np.linspace(1.5, 0.1, DIM)
    rows = centres[rng.integers(60, size=N_ROWS)] + rng.standard_normal((N_ROWS, DIM)) * np.linspace(0.4, 0.02, DIM)
    ids = rng.choice(10 * N_ROWS, size=N_ROWS, replace=False).astype(np.int64) + 1
    queries = rng.standard_normal((100, DIM)) * np.linspace(1.0, 0.3, DIM)
    return rows.astype(np.float32), ids, queries.astype(np.float32)


@pytest.fixture(scope="module")
def fp16_index(clustered) -> IVFIndex:
    rows, ids, _ = clustered
    index = build_index(rows, ids, kind="ivf-fp16", seed=0)
    assert isinstance(index, IVFIndex)
    return index


def true_top(rows: np.ndarray, ids: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    scores = queries.astype(np.float64) @ rows.T.astype(np.float64)
    return ids[np.argsort(-scores, axis=1)[:, :k]]


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)]))


def test_exact_index_returns_the_planted_best_row_with_its_score():
    rng = np.random.default_rng(0)
    rows = rng.standard_normal((5000, DIM)).astype(np.float32)
    query = rng.standard_normal(DIM).astype(np.float32)
    rows[1234] = 3.0 * query / np.linalg.norm(query) * np.linalg.norm(rows, axis=1).max() / np.linalg.norm(query)
    ids = np.arange(5000, dtype=np.int64) * 7 + 100
    scores, found = ExactIndex(rows, ids).search(query[None], k=5)
    assert found[0, 0] == ids[1234]
    assert scores[0, 0] == pytest.approx(float(rows[1234] @ query), rel=1e-5)
    assert np.all(np.diff(scores[0]) <= 0)
    np.testing.assert_array_equal(found[0], true_top(rows, ids, query[None], 5)[0])


def test_exact_index_blocks_give_the_same_top_k_as_one_matmul(clustered):
    rows, ids, queries = clustered
    _, found = ExactIndex(rows, ids).search(queries, k=10)  # 100 queries: blocks of 41943 rows, so one block here
    _, one_by_one = ExactIndex(rows, ids).search(queries[:3], k=10)
    np.testing.assert_array_equal(found, true_top(rows, ids, queries, 10))
    np.testing.assert_array_equal(one_by_one, found[:3])


def test_ivf_fp16_recall_at_10_against_exact(clustered, fp16_index):
    rows, ids, queries = clustered
    scores, found = fp16_index.search(queries, k=10)
    assert recall(found, true_top(rows, ids, queries, 10)) >= 0.9
    exact_scores = {i: s for i, s in zip(ids, queries[0] @ rows.T, strict=True)}
    assert [exact_scores[i] for i in found[0]] == pytest.approx(scores[0].tolist(), abs=2e-2)  # scores are inner products


def test_more_probes_find_more_of_the_true_top_10(clustered, fp16_index):
    rows, ids, queries = clustered
    truth = true_top(rows, ids, queries, 10)
    few = recall(fp16_index.search(queries, k=10, nprobe=1)[1], truth)
    all_cells = recall(fp16_index.search(queries, k=10, nprobe=fp16_index.nlist)[1], truth)
    assert few < 0.9 < 0.99 <= all_cells


@pytest.mark.parametrize("kind", ["exact", "ivf-fp16"])
def test_allowed_ids_are_honoured_and_short_results_padded(clustered, fp16_index, kind):
    rows, ids, queries = clustered
    index = fp16_index if kind == "ivf-fp16" else build_index(rows, ids, kind="exact")
    allowed = ids[::50]  # 2% of the rows
    scores, found = index.search(queries, k=10, allowed_ids=allowed)
    assert np.isin(found, allowed).all()
    mask = np.isin(ids, allowed)
    assert recall(found, true_top(rows[mask], ids[mask], queries, 10)) >= 0.95
    few = ids[[3, 300, 3000]]
    scores, found = index.search(queries[:4], k=5, allowed_ids=few)
    assert (np.sort(found[:, :3], axis=1) == np.sort(few)).all()
    assert (found[:, 3:] == -1).all() and np.isneginf(scores[:, 3:]).all()
    scores, found = index.search(queries[:2], k=3, allowed_ids=np.array([], dtype=np.int64))
    assert (found == -1).all() and np.isneginf(scores).all()


def test_allowed_ids_with_large_ids_use_a_hash_set():
    rng = np.random.default_rng(2)
    rows = rng.standard_normal((2000, 8)).astype(np.float32)
    ids = np.arange(2000, dtype=np.int64) + (1 << 40)  # beyond the bitmap's range
    index = build_index(rows, ids, kind="ivf-sq8", nlist=16)
    _, found = index.search(rows[:5], k=4, allowed_ids=ids[:100])
    assert np.isin(found, ids[:100]).all() and (found >= 0).all()


@pytest.mark.parametrize("kind", ["exact", "ivf-fp16"])
def test_removed_ids_never_come_back_and_added_rows_are_found(clustered, kind):
    rows, ids, queries = clustered
    index = build_index(rows[:-100], ids[:-100], kind=kind)
    best = index.search(queries, k=3)[1][:, 0]
    assert index.remove(best) == len(np.unique(best))
    assert not np.isin(index.search(queries, k=10)[1], best).any()
    longest = np.linalg.norm(rows, axis=1).max()  # planted rows beat every row, yet fit the IVF's norm headroom
    planted = (1.02 * longest * queries[:5] / np.linalg.norm(queries[:5], axis=1, keepdims=True)).astype(np.float32)
    index.add(planted, ids[-5:])
    index.add(rows[-95:], ids[-100:-5])
    assert len(index) == len(rows) - len(np.unique(best))
    _, found = index.search(queries[:5], k=10)
    assert (found[:, 0] == ids[-5:]).all()


def test_exact_index_refuses_an_id_it_has():
    index = build_index(np.eye(3, dtype=np.float32), np.array([1, 2, 3]), kind="exact")
    with pytest.raises(ValueError, match="already"):
        index.add(np.ones((1, 3), dtype=np.float32), np.array([2]))


def test_a_row_longer_than_the_built_norm_asks_for_a_rebuild(fp16_index, clustered):
    rows, ids, _ = clustered
    index = build_index(rows[:2000], ids[:2000], kind="ivf-fp16", nlist=16)
    index.add(rows[2000:2010], ids[2000:2010])
    assert not index.needs_rebuild
    index.add(rows[2010:2011] * 10, ids[2010:2011])
    assert index.needs_rebuild


@pytest.mark.parametrize("kind", ["exact", "ivf-fp16", "ivf-sq8"])
def test_save_then_memory_mapped_load_gives_identical_results(clustered, tmp_path, kind):
    rows, ids, queries = clustered
    index = build_index(rows, ids, kind=kind)
    path = tmp_path / "tracks.index"
    index.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["tracks.index"]  # no temporary file left
    loaded = load_index(path, mmap=True)
    assert (loaded.kind, len(loaded)) == (kind, len(rows))
    expected, got = index.search(queries, k=10, allowed_ids=ids[::3]), loaded.search(queries, k=10, allowed_ids=ids[::3])
    np.testing.assert_array_equal(got[1], expected[1])
    np.testing.assert_array_equal(got[0], expected[0])
    loaded.remove(ids[:10])  # a mapped index reads itself into memory before changing
    assert len(loaded) == len(rows) - 10 and len(load_index(path)) == len(rows)


def test_choose_kind_is_exact_for_small_libraries_only():
    assert choose_kind(0) == "exact"
    assert choose_kind(EXACT_LIMIT - 1) == "exact"
    assert choose_kind(EXACT_LIMIT) == "ivf-fp16"
    assert choose_kind(5_000_000) == "ivf-fp16"
    assert choose_kind(EXACT_LIMIT // 2, dim=167) == "ivf-fp16"  # a trained model's wider rows cost more per track
    assert set(INDEX_KINDS) >= {"exact", "ivf-fp16", "ivf-sq8"}


def test_unknown_kind_and_bad_shapes_are_refused(clustered):
    rows, ids, queries = clustered
    with pytest.raises(ValueError, match="unknown index kind"):
        build_index(rows, ids, kind="hnsw")
    with pytest.raises(ValueError, match="unique"):
        build_index(rows[:2], np.array([1, 1]), kind="exact")
    with pytest.raises(ValueError, match="queries"):
        build_index(rows[:10], ids[:10], kind="exact").search(queries[:, :5], k=3)
