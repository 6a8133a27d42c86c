"""The two numba kernels of :class:`~lstm_helpers.judge.linear_head.CountProducts`: matrix
products of MiniRocket's integer counts (:mod:`~lstm_helpers.judge.ppv_counts`) with float32
factors. A module of their own so that numba (0.5 s to import) is imported only by a fit.
Hand-written: BLAS has no products of an integer matrix with a float one."""

import numpy as np
from numba import njit


@njit(nogil=True, fastmath=True, cache=True)
def rows_kernel(counts, VT, out):  # pragma: no cover - compiled by numba
    """out[i, c] = sum_j counts[i, j] * VT[c, j] (float32 sums)."""
    n, p = counts.shape
    for i in range(n):
        row = counts[i]
        for c in range(VT.shape[0]):
            v = VT[c]
            s = np.float32(0.0)
            for j in range(p):
                s += np.float32(row[j]) * v[j]
            out[i, c] = s
    return out


@njit(nogil=True, fastmath=True, cache=True)
def cols_kernel(counts, GT, out):  # pragma: no cover - compiled by numba
    """out[c, j] = sum_i counts[i, j] * GT[c, i] (float32 sums, four rows per pass)."""
    n, p = counts.shape
    for c in range(GT.shape[0]):
        o, g = out[c], GT[c]
        i = 0
        while i + 4 <= n:
            r0, r1, r2, r3 = counts[i], counts[i + 1], counts[i + 2], counts[i + 3]
            g0, g1, g2, g3 = g[i], g[i + 1], g[i + 2], g[i + 3]
            for j in range(p):
                o[j] += (
                    np.float32(r0[j]) * g0 + np.float32(r1[j]) * g1 + np.float32(r2[j]) * g2 + np.float32(r3[j]) * g3
                )
            i += 4
        while i < n:
            r, gi = counts[i], g[i]
            for j in range(p):
                o[j] += np.float32(r[j]) * gi
            i += 1
    return out


@njit(nogil=True, cache=True)
def pack_kernel(F, lengths, top, out):  # pragma: no cover - compiled by numba
    """out = the counts of float32 features ``F`` (n, p) whose column j is count / lengths[j];
    False (``out`` partly written) as soon as a value is not float32(count / L) exactly or
    its count exceeds ``top`` (the largest ``out`` holds). Exact arithmetic: no fastmath
    here (it may turn the division into a product)."""
    n, p = F.shape
    for i in range(n):
        for j in range(p):
            L = lengths[j]
            c = np.rint(np.float64(F[i, j]) * L)
            if c < 0 or c > top or np.float32(c / L) != F[i, j]:
                return False
            out[i, j] = c
    return True


def warm_up() -> None:
    """Compile (or load from numba's cache) the kernels for uint8 and uint16 counts."""
    for dtype in (np.uint8, np.uint16):
        counts = np.ones((2, 3), dtype)
        rows_kernel(counts, np.ones((1, 3), np.float32), np.empty((2, 1), np.float32))
        cols_kernel(counts, np.ones((1, 2), np.float32), np.zeros((1, 3), np.float32))
        pack_kernel(np.ones((2, 3), np.float32), np.ones(3, np.int64), int(np.iinfo(dtype).max), counts)
