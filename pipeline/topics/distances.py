"""UMAP's all-pairs distances below 4,096 points, computed in compiled code instead of one Python call per pair.

Below 4,096 points UMAP computes every pairwise distance with scikit-learn's ``pairwise_distances`` and its own
numba ``cosine`` as a Python callable: 8 million Python-level calls for 4,000 segments (the topic comparison's
sample), about 17 of a BERTopic fit's 21 seconds, and most of a small corpus's fit. ``fast_pairwise_distances``
replaces that one call, while a topic model is fitted, by a compiled loop over the same pairs that calls the same
``cosine`` function (declared without ``fastmath``, so its arithmetic is the same wherever it is compiled) and
stores the results as scikit-learn does (upper triangle, mirrored, then the diagonal, in the dtype scikit-learn
picks): the matrix is bit-for-bit the one UMAP computes itself (tests/stage/test_topics.py), and so is every
reduction and topic built on it. The last matrix is kept in the process, so the comparison's other seeds on the
same segments reuse it (the distances do not depend on the seed). Any other metric, sparse data or keyword goes
to scikit-learn as before.

From the matrix UMAP takes each point's nearest neighbours (``umap.utils.fast_knn_indices``, a stable sort of
every row: about 1 s on one thread for 4,000 points). They do not depend on the seed either, so while inside the
same context the last result is kept too, by a digest of the matrix it was computed from (after UMAP's own
changes to it): the comparison's other seeds on its sample take it instead of sorting the rows again.
"""

from __future__ import annotations

import hashlib
import threading
from contextlib import contextmanager
from functools import cache

import numpy as np

from pipeline.topics.compiled import import_compiled

_LOCK = threading.Lock()


@cache
def _kernel():
    """The compiled loop (numba's on-disk cache on: compiled once per machine)."""
    # numba and UMAP take seconds to import: only where topics are fitted
    import numba

    cosine = import_compiled("umap.distances").cosine

    @numba.njit(cache=True)
    def upper_then_diagonal(x, out):
        n = x.shape[0]
        for i in range(n):
            for j in range(i + 1, n):
                out[i, j] = cosine(x[i], x[j])
        for i in range(n):
            for j in range(i):
                out[i, j] = out[j, i]
        for i in range(n):
            out[i, i] = cosine(x[i], x[i])

    return cosine, upper_then_diagonal


@cache
def _nearest_kernel():
    """The compiled selection of ``nearest_in_block`` (numba's on-disk cache on: compiled once per machine)."""
    # numba takes seconds to import: only where topics are fitted
    import numba

    @numba.njit(cache=True)
    def nearest(similarity, start, indices, distances):
        one, low, high = np.float32(1.0), np.float32(0.0), np.float32(2.0)
        k = indices.shape[1]
        for r in range(similarity.shape[0]):
            row, found_i, found_d, filled = start + r, indices[start + r], distances[start + r], 0
            for j in range(similarity.shape[1]):
                d = np.float32(-1.0) if j == row else min(max(one - similarity[r, j], low), high)
                if filled < k:
                    p = filled
                    filled += 1
                elif d < found_d[k - 1]:
                    p = k - 1
                else:
                    continue
                while p > 0 and found_d[p - 1] > d:
                    found_d[p], found_i[p] = found_d[p - 1], found_i[p - 1]
                    p -= 1
                found_d[p], found_i[p] = d, j

    return nearest


def nearest_in_block(similarity: np.ndarray, start: int, indices: np.ndarray, distances: np.ndarray) -> None:
    """Rows ``start``.. of ``indices`` and ``distances`` (n x k): for each row of ``similarity`` (float32 cosine
    similarities of points ``start``, ``start + 1`` ... to every point), the k smallest distances ``1 - s``
    (float32, clipped to [0, 2], the point itself -1) and their points, in the order (distance, index). One pass
    over each row in compiled code; the same arithmetic as ``np.clip(1 - s, 0, 2)`` in float32, so the distances
    are those NumPy computes, and ties are broken by the smaller index whether or not they fall at the k-th place."""
    _nearest_kernel()(np.ascontiguousarray(similarity, dtype=np.float32), start, indices, distances)


# the last matrix of this process, by a digest of its points: the comparison fits BERTopic with several seeds on
# the same segments, and the distances do not depend on the seed
_LAST: dict = {}


def array_digest(array) -> str:
    """dtype, shape and a sha256 of an array's bytes ("" for None): the key of what was computed from it."""
    if array is None:
        return ""
    array = np.ascontiguousarray(array)
    return f"{array.dtype}{array.shape}" + hashlib.sha256(array.tobytes()).hexdigest()


def _kept(store: dict, key, compute) -> np.ndarray:
    """A copy of ``store``'s array if it was computed for ``key``, else of ``compute()``, which replaces it."""
    if store.get("key") != key:
        value = compute()
        store.clear()
        store.update(key=key, value=value)
    return store["value"].copy()


def _cosine_matrix(x: np.ndarray) -> np.ndarray:
    x = np.ascontiguousarray(x)

    def compute():
        _, loop = _kernel()
        # scikit-learn keeps float32 input in float32 and computes everything else in float64
        out = np.zeros((len(x), len(x)), dtype=np.float32 if x.dtype == np.float32 else np.float64)
        loop(x, out)
        return out

    return _kept(_LAST, array_digest(x), compute)


# the last neighbours of this process, by a digest of the distance matrix they were taken from
_LAST_NEIGHBOURS: dict = {}


def _neighbours_of(matrix: np.ndarray, n_neighbors: int, compute) -> np.ndarray:
    """``compute(matrix, n_neighbors)`` (UMAP's ``fast_knn_indices``), or its last result for the same matrix."""
    return _kept(_LAST_NEIGHBOURS, (array_digest(matrix), n_neighbors), lambda: compute(matrix, n_neighbors))


@contextmanager
def fast_pairwise_distances():
    """While inside: UMAP's all-pairs cosine distances of a dense matrix are computed by ``_cosine_matrix``, and
    the neighbours it takes from a distance matrix are reused for the same matrix (``_neighbours_of``)."""
    umap_module = import_compiled("umap.umap_")
    cosine, _ = _kernel()
    with _LOCK:
        original, original_knn = umap_module.pairwise_distances, umap_module.fast_knn_indices

        def pairwise_distances(X, Y=None, metric="euclidean", **kwds):
            dense = isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype in (np.float32, np.float64)
            if metric is cosine and Y is None and not kwds and dense and np.isfinite(X).all():
                return _cosine_matrix(X)
            return original(X, Y, metric=metric, **kwds)

        def fast_knn_indices(X, n_neighbors):
            return _neighbours_of(X, n_neighbors, original_knn)

        umap_module.pairwise_distances, umap_module.fast_knn_indices = pairwise_distances, fast_knn_indices
        try:
            yield
        finally:
            umap_module.pairwise_distances, umap_module.fast_knn_indices = original, original_knn
