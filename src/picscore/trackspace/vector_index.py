"""Top-k tracks for query weight vectors: maximum inner product search (MIPS) over the tracks' feature rows.

A query w scores every track as features @ w (plus a constant per query, which does not change the
order), so the best tracks for a picture or an album are the rows with the largest inner product.
Two kinds of index answer that, behind one interface (VectorIndex):

  exact     numpy float32 matmul + argpartition, in row blocks. Exact; a query reads every row
            (156 bytes a track at d = 39): 25-50 ms per query on one core at 1M tracks, so it is
            the default for small libraries only (index_kinds.choose_kind).
  ivf-fp16  FAISS IVF with 16-bit float codes: k-means cells, a query scans the `nprobe` nearest
            cells. 88 bytes a track at d = 39 (80 of codes, 8 of id); recall@10 0.966 at 0.6 ms per
            query on one core at 1M real-shaped tracks with the default nprobe (bench/scale_search.py).
  ivf-sq8   the same with 8-bit codes per dimension: about half the bytes, but the quantisation alone
            caps recall@10 at 0.87 (d = 39) / 0.94 (d = 167) on 1M real-shaped tracks, whose top
            scores lie within thousandths of a standard deviation of each other. Only where memory
            matters more than recall (d = 167: 177 instead of 345 bytes a track).

MIPS on rows of unequal norms: the FAISS kinds use the standard reduction to nearest neighbours
(Bachrach et al. 2014): each row x gets an extra coordinate sqrt(M² - |x|²), queries get 0, so
|q - x|² = |q|² + M² - 2 q·x ranks rows exactly as q·x does. Measured on 200k real-shaped tracks
(IVF-fp16, nlist 1024, one core), against IVF with METRIC_INNER_PRODUCT: recall@10 0.85 / 0.98 at
nprobe 16 / 64 versus 0.72 / 0.96, and the L2 scan ran about 6x faster per probed cell (FAISS's SIMD
L2 kernels), so the reduction is kept. M is the largest norm at build time times NORM_HEADROOM, so rows added later
may be a little longer; a longer row gets extra coordinate 0 and is ranked as if its score were
lower by (|x|² - M²) / 2, and `needs_rebuild` turns true.

IDs are the caller's int64 ids (library track ids), never row positions. Files hold one FAISS
index (IndexIDMap(IndexFlatIP) for exact, IndexPreTransform(centering, IndexIVFScalarQuantizer)
otherwise; the centering transform's shift carries M, and shifting queries and rows alike leaves
L2 distances unchanged), and load memory-mapped with faiss.IO_FLAG_MMAP_IFC (codes stay in the
page cache, shared between processes). FAISS parallelises over queries with OpenMP: serving one
query at a time, set faiss.omp_set_num_threads(1) (numpy's exact search follows threadpoolctl).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from pathlib import Path
from typing import cast

import faiss
import numpy as np

from picscore.atomic import atomic_path
from picscore.trackspace.id_lookup import IdLookup
from picscore.trackspace.index_kinds import INDEX_KINDS

NORM_HEADROOM = 1.05  # M = this times the longest row at build time, so most later rows still fit
DEFAULT_NPROBE_FRACTION = 1 / 16  # cells scanned per query by default: recall@10 0.97 at 1M real-shaped tracks
_QUANTISERS = {"ivf-fp16": faiss.ScalarQuantizer.QT_fp16, "ivf-sq8": faiss.ScalarQuantizer.QT_8bit}
# With a filter allowing a fraction f of the rows, nprobe grows by 1 / sqrt(f): at 1M tracks this keeps recall@10 at
# 0.97-0.996 for f from 0.3 to 0.01, at half the time of 1 / f (which scans as many allowed rows as an unfiltered search).
FILTER_PROBE_EXPONENT = 0.5
_BITMAP_MAX_ID = 1 << 27  # selectors use a bitmap (at most 16 MiB) below this id
_SCORE_BLOCK = 1 << 22  # exact search: at most this many scores (16 MiB of float32) exist at once
_TRAINING_ROWS_PER_CELL = 40  # k-means sample size per IVF cell (FAISS warns below 39); training time ~ cells²


def cells_for(n_tracks: int) -> int:
    """IVF cells for `n_tracks`: the power of two nearest 2 sqrt(n), at least 16, with >= 40 training rows a cell.

    Recall follows the fraction of rows scanned, not the cell count (measured: 0.975 at 1/8 of the rows with 1024
    or 2048 cells over 200k tracks), so fewer, longer cells cost no recall and train and add faster (both ~ cells).
    """
    target = max(16, min(2 * math.sqrt(max(n_tracks, 1)), n_tracks / _TRAINING_ROWS_PER_CELL))
    return max(16, 2 ** round(math.log2(target)))


class VectorIndex(ABC):
    """Top-k rows by inner product with each query; ids are the caller's int64 ids."""

    kind: str
    dim: int

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def search(self, queries: np.ndarray, *, k: int, allowed_ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Scores [n, k] float32 and ids [n, k] int64 of the best rows for queries [n, dim], best first.

        Only ids in `allowed_ids` (when given) are returned; rows short of k are padded with score -inf, id -1.
        """

    @abstractmethod
    def add(self, features: np.ndarray, ids: np.ndarray) -> None:
        """Add rows [m, dim] under new `ids` [m] (an id already present must be removed first)."""

    @abstractmethod
    def remove(self, ids: np.ndarray) -> int:
        """Remove the rows with these ids; returns how many were there."""

    @abstractmethod
    def memory_bytes(self) -> int:
        """Bytes the index holds for its rows (codes or floats, ids, IVF centroids)."""

    @abstractmethod
    def _faiss_index(self) -> faiss.Index:
        """The FAISS index that `save` writes."""

    def save(self, path: str | Path) -> None:
        """Write to `path` whole or not at all (picscore/atomic.py)."""
        with atomic_path(path) as temporary:
            faiss.write_index(self._faiss_index(), str(temporary))


class ExactIndex(VectorIndex):
    """Exact search with numpy. add and remove copy the rows (O(m)); nothing ever needs a rebuild."""

    kind = "exact"

    def __init__(self, features: np.ndarray, ids: np.ndarray, *, owner: faiss.Index | None = None) -> None:
        self.features, self.ids = _checked_rows(features, ids)
        self.dim = self.features.shape[1]
        self._owner = owner  # a loaded (maybe memory-mapped) FAISS index whose memory `features` views
        self._lookup: IdLookup | None = None  # row positions of ids, for filters

    def __len__(self) -> int:
        return len(self.ids)

    def search(self, queries: np.ndarray, *, k: int, allowed_ids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        queries = _checked_queries(queries, self.dim)
        positions = None if allowed_ids is None else self._positions(np.asarray(allowed_ids, dtype=np.int64))
        n_rows = len(self.ids) if positions is None else len(positions)
        best_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        best_rows = np.full((len(queries), k), -1, dtype=np.int64)
        block = max(1024, _SCORE_BLOCK // max(len(queries), 1))
        for start in range(0, n_rows, block):
            rows = np.arange(start, min(start + block, n_rows)) if positions is None else positions[start : start + block]
            block_features = self.features[start : start + len(rows)] if positions is None else self.features[rows]
            scores = queries @ block_features.T
            if scores.shape[1] > k:
                top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
                scores, rows = np.take_along_axis(scores, top, axis=1), rows[top]
            else:
                rows = np.broadcast_to(rows, scores.shape)
            merged_scores = np.concatenate([best_scores, scores], axis=1)
            top = np.argpartition(-merged_scores, k - 1, axis=1)[:, :k]
            best_scores = np.take_along_axis(merged_scores, top, axis=1)
            best_rows = np.take_along_axis(np.concatenate([best_rows, rows], axis=1), top, axis=1)
        order = np.argsort(-best_scores, axis=1, kind="stable")
        best_scores, best_rows = np.take_along_axis(best_scores, order, axis=1), np.take_along_axis(best_rows, order, axis=1)
        ids = np.where(best_rows >= 0, self.ids[np.maximum(best_rows, 0)], -1) if len(self.ids) else np.full_like(best_rows, -1)
        return best_scores, ids

    def _positions(self, allowed: np.ndarray) -> np.ndarray:
        """Sorted row positions of the allowed ids present: O(a log m) through a lookup kept until rows change."""
        if self._lookup is None:
            self._lookup = IdLookup(self.ids)
        positions = self._lookup.positions(allowed)
        return np.sort(positions[positions >= 0])

    def add(self, features: np.ndarray, ids: np.ndarray) -> None:
        features, ids = _checked_rows(features, ids, dim=self.dim)
        if np.isin(ids, self.ids).any():
            raise ValueError("some ids are already in the index; remove them first")
        self.features = np.concatenate([self.features, features])
        self.ids = np.concatenate([self.ids, ids])
        self._owner = self._lookup = None

    def remove(self, ids: np.ndarray) -> int:
        keep = ~np.isin(self.ids, np.asarray(ids, dtype=np.int64))
        removed = len(keep) - int(keep.sum())
        if removed:
            self.features, self.ids, self._owner, self._lookup = self.features[keep], self.ids[keep], None, None
        return removed

    def memory_bytes(self) -> int:
        return self.features.nbytes + self.ids.nbytes

    def _faiss_index(self) -> faiss.Index:
        index = faiss.IndexIDMap(faiss.IndexFlatIP(self.dim))
        if len(self.ids):
            index.add_with_ids(self.features, self.ids)
        return index


class IVFIndex(VectorIndex):
    """FAISS IVF with scalar-quantised codes, searched for inner product through the MIPS-to-L2 reduction.

    add and remove are incremental and keep the trained cells: fine for a library that grows or changes
    by a few percent. Rebuild (build_index, e.g. in the background, then save and swap the file) when the
    catalogue has grown several-fold since training (cells get long, queries slow down) or when
    `needs_rebuild` says rows longer than M were added. A memory-mapped index is read into memory on its
    first add or remove.
    """

    def __init__(self, index: faiss.IndexPreTransform, *, path: Path | None = None, needs_rebuild: bool = False) -> None:
        self._attach(index, path=path, needs_rebuild=needs_rebuild)

    def _attach(self, index: faiss.IndexPreTransform, *, path: Path | None, needs_rebuild: bool) -> None:
        """Hold `index` (memory-mapped from `path`, or in memory when None). FAISS's downcasts return the concrete
        classes that build_index made, which its type stubs cannot know."""
        self._index = index
        self._ivf = cast(faiss.IndexIVFScalarQuantizer, faiss.downcast_index(faiss.extract_index_ivf(index)))
        first = index.chain.at(0)  # type: ignore[attr-defined]  # a SWIG vector, which the stubs call a list
        self._shift = faiss.vector_to_array(cast(faiss.CenteringTransform, faiss.downcast_VectorTransform(first)).mean)
        self.dim = index.d - 1
        self.max_norm = float(-self._shift[-1])
        self.kind = next(kind for kind, qtype in _QUANTISERS.items() if qtype == self._ivf.sq.qtype)
        self.needs_rebuild = needs_rebuild
        self._mapped_from = path

    @property
    def nprobe(self) -> int:
        """IVF cells scanned per query (saved with the index); more is slower and finds more of the true top k."""
        return self._ivf.nprobe

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        self._ivf.nprobe = int(min(max(value, 1), self._ivf.nlist))

    @property
    def nlist(self) -> int:
        return self._ivf.nlist

    def __len__(self) -> int:
        return self._index.ntotal

    def search(
        self, queries: np.ndarray, *, k: int, allowed_ids: np.ndarray | None = None, nprobe: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """As VectorIndex.search; `nprobe` overrides the index's own for this call.

        With `allowed_ids` (unique), a selector skips every other row and nprobe grows by
        1 / (allowed fraction) ** FILTER_PROBE_EXPONENT, capped at nlist; at the cap every allowed row is scored
        (exhaustive over them, to fp16 / 8-bit precision), so results run short only when fewer than k rows are
        allowed. For very few allowed rows, exact search over the caller's own rows is cheaper (see the bench).
        """
        queries = _checked_queries(queries, self.dim)
        probes = self.nprobe if nprobe is None else nprobe
        params = faiss.SearchParametersIVF()
        if allowed_ids is not None:
            allowed = np.asarray(allowed_ids, dtype=np.int64)
            if not len(allowed):
                return np.full((len(queries), k), -np.inf, dtype=np.float32), np.full((len(queries), k), -1, dtype=np.int64)
            params.sel = selector = _selector(allowed)  # noqa: F841 (keeps the selector alive during the search)
            fraction = min(len(allowed) / max(len(self), 1), 1.0)
            probes = math.ceil(probes / max(fraction, 1e-9) ** FILTER_PROBE_EXPONENT)
        params.nprobe = int(min(max(probes, 1), self.nlist))
        shifted = np.zeros((len(queries), self.dim + 1), dtype=np.float32)
        shifted[:, : self.dim] = queries
        distances, ids = self._index.search(shifted, k, params=params)
        # |q - x|² = |q|² + M² - 2 q·x over the augmented rows.
        squared_norms = (queries.astype(np.float64) ** 2).sum(axis=1, keepdims=True)
        scores = ((squared_norms + self.max_norm**2 - distances) / 2).astype(np.float32)
        scores[ids < 0] = -np.inf
        return scores, ids

    def add(self, features: np.ndarray, ids: np.ndarray) -> None:
        """Add rows under new ids (FAISS does not check that an id is new: remove an updated track first)."""
        features, ids = _checked_rows(features, ids, dim=self.dim)
        self._writable()
        rows, too_long = _augmented(features, max_norm=self.max_norm)
        self.needs_rebuild |= too_long
        self._index.add_with_ids(rows, ids)

    def remove(self, ids: np.ndarray) -> int:
        """Remove rows by id: a scan of every cell, O(total rows), no retraining."""
        self._writable()
        return int(self._index.remove_ids(faiss.IDSelectorBatch(np.unique(np.asarray(ids, dtype=np.int64)))))

    def memory_bytes(self) -> int:
        per_row = self._ivf.code_size + np.dtype(np.int64).itemsize
        return len(self) * per_row + self.nlist * (self.dim + 1) * 4

    def _faiss_index(self) -> faiss.Index:
        return self._index

    def _writable(self) -> None:
        """Read a memory-mapped index into memory: its codes are read-only and FAISS aborts the process on writing them."""
        if self._mapped_from is not None:
            in_memory = cast(faiss.IndexPreTransform, faiss.read_index(str(self._mapped_from)))
            self._attach(in_memory, path=None, needs_rebuild=self.needs_rebuild)


def build_index(features: np.ndarray, ids: np.ndarray, *, kind: str, seed: int = 0, nlist: int | None = None) -> VectorIndex:
    """An index of `kind` over rows [m, d] float32 under `ids` [m] int64.

    IVF kinds train k-means cells (`nlist`, default cells_for(m)) on a seeded sample of at most 40 rows a cell,
    then add every row; nprobe starts at DEFAULT_NPROBE_FRACTION of the cells.
    """
    features, ids = _checked_rows(features, ids)
    if kind == "exact":
        return ExactIndex(features.copy(), ids.copy())
    if kind not in _QUANTISERS:
        raise ValueError(f"unknown index kind {kind!r}; choose from {', '.join(INDEX_KINDS)}")
    if not len(ids):
        raise ValueError("an IVF index needs rows to train on")
    nlist = nlist or cells_for(len(ids))
    max_norm = float(np.sqrt((features.astype(np.float64) ** 2).sum(axis=1).max())) * NORM_HEADROOM
    dim = features.shape[1] + 1
    centering = faiss.CenteringTransform(dim)
    faiss.copy_array_to_vector(np.r_[np.zeros(dim - 1), -max_norm].astype(np.float32), centering.mean)
    centering.is_trained = True
    ivf = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatL2(dim), dim, nlist, _QUANTISERS[kind], faiss.METRIC_L2)
    ivf.cp.seed = seed
    index = faiss.IndexPreTransform(centering, ivf)
    rng = np.random.default_rng(seed)
    sample_size = min(len(ids), _TRAINING_ROWS_PER_CELL * nlist)
    sample = np.sort(rng.choice(len(ids), size=sample_size, replace=False)) if sample_size < len(ids) else slice(None)
    rows, _ = _augmented(features, max_norm=max_norm)
    index.train(rows[sample])
    index.add_with_ids(rows, ids)
    result = IVFIndex(index)
    result.nprobe = math.ceil(nlist * DEFAULT_NPROBE_FRACTION)
    return result


def load_index(path: str | Path, *, mmap: bool = True) -> VectorIndex:
    """An index saved by VectorIndex.save; `mmap` maps its codes instead of reading them (faiss.IO_FLAG_MMAP_IFC)."""
    path = Path(path)
    index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC if mmap else 0)
    if isinstance(index, faiss.IndexIDMap):
        flat = cast(faiss.IndexFlatCodes, faiss.downcast_index(index.index))
        features = np.frombuffer(faiss.rev_swig_ptr(flat.codes.data(), flat.codes.size()), dtype=np.float32).reshape(-1, index.d)
        features.flags.writeable = False  # mapped pages are read-only
        return ExactIndex(features, faiss.vector_to_array(index.id_map), owner=index)
    if isinstance(index, faiss.IndexPreTransform):
        return IVFIndex(index, path=path if mmap else None)
    raise ValueError(f"{path}: not a picscore vector index ({type(index).__name__})")


def _selector(allowed: np.ndarray) -> faiss.IDSelector:
    """A FAISS selector of these ids: a bitmap when the largest id is small (one bit test per scanned row), else a hash set."""
    if len(allowed) and allowed.min() >= 0 and allowed.max() < _BITMAP_MAX_ID:
        members = np.zeros(int(allowed.max()) + 1, dtype=bool)
        members[allowed] = True
        bitmap = np.packbits(members, bitorder="little")
        selector = faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap))  # n counts bytes
        selector.referenced_objects = [bitmap]  # type: ignore[attr-defined]  # FAISS keeps only a pointer to the bits
        return selector
    return faiss.IDSelectorBatch(allowed)


def _augmented(features: np.ndarray, *, max_norm: float) -> tuple[np.ndarray, bool]:
    """Rows [m, d+1]: the features and sqrt(M² - |x|²) (0 for rows longer than M), and whether any was."""
    squared = (features.astype(np.float64) ** 2).sum(axis=1)
    rows = np.empty((len(features), features.shape[1] + 1), dtype=np.float32)
    rows[:, :-1] = features
    rows[:, -1] = np.sqrt(np.maximum(max_norm**2 - squared, 0.0))
    return rows, bool((squared > max_norm**2).any())


def _checked_rows(features: np.ndarray, ids: np.ndarray, *, dim: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """float32 C-ordered rows [m, d] and int64 ids [m], or ValueError."""
    features = np.ascontiguousarray(features, dtype=np.float32)
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    if features.ndim != 2 or ids.shape != (len(features),):
        raise ValueError(f"features must be [m, d] and ids [m]; got {features.shape} and {ids.shape}")
    if dim is not None and features.shape[1] != dim:
        raise ValueError(f"features have {features.shape[1]} columns; the index has {dim}")
    if len(np.unique(ids)) != len(ids):
        raise ValueError("ids must be unique")
    return features, ids


def _checked_queries(queries: np.ndarray, dim: int) -> np.ndarray:
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    if queries.ndim != 2 or queries.shape[1] != dim:
        raise ValueError(f"queries must be [n, {dim}]; got {queries.shape}")
    return queries
