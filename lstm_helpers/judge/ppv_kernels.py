"""The numba kernels of MiniRocket's integer counts (:mod:`~lstm_helpers.judge.ppv_counts`):
the transform to counts, their packing, and the two matrix products of
:class:`~lstm_helpers.judge.linear_head.CountProducts` with float32 factors. A module of its
own so that numba (0.5 s to import) is imported only by a fit. Hand-written: BLAS has no
products of an integer matrix with a float one, and aeon's transform gives float32
proportions, four times slower (:func:`transform_kernel`)."""

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


@njit(nogil=True, cache=True)
def transform_kernel(
    X, per_combination, channel_indices, dilations, per_dilation, biases, indices, out
):  # pragma: no cover
    """out[i, f] = the count of MiniRocket's feature f on window i, ``X`` (n, C, T) float32,
    from a fitted aeon MiniRocket's ``parameters`` (``per_combination``, ``channel_indices``,
    ``dilations``, ``per_dilation``, ``biases``) and kernel ``indices`` (84, 3). The arithmetic of
    aeon's ``_static_transform_multi`` (and ``_uni``: one channel) in its order, so the same
    float32 sums bit for bit; what differs is that nothing is allocated per kernel (aeon makes
    four channel copies, their sum and one 0/1 array per bias) and that the count over the
    convolution output runs as one loop numba vectorises: 4x faster on the demo's windows.
    No fastmath: it may reorder the sums."""
    n, n_channels, T = X.shape
    Ca = np.empty((n_channels, T), np.float32)  # aeon's C_alpha: the sum of -x over the kernel's 9 taps
    Cg = np.zeros((9, n_channels, T), np.float32)  # aeon's C_gamma: 3x shifted to each tap, zeros outside
    Cv = np.empty(T, np.float32)
    for i in range(n):
        x = X[i]
        f0, comb, c0 = 0, 0, 0
        for j in range(len(dilations)):
            d = dilations[j]
            pad = (8 * d) // 2
            for ch in range(n_channels):
                for t in range(T):
                    Ca[ch, t] = -x[ch, t]
                for g in range(9):  # tap g reads x[t + (g - 4) d]
                    s = (g - 4) * d
                    for t in range(T):
                        Cg[g, ch, t] = np.float32(3.0) * x[ch, t + s] if 0 <= t + s < T else np.float32(0.0)
                for g in (0, 1, 2, 3, 5, 6, 7, 8):  # aeon's order of the sums
                    s = (g - 4) * d
                    for t in range(max(0, -s), min(T, T - s)):
                        Ca[ch, t] = Ca[ch, t] + -x[ch, t + s]
            for k in range(len(indices)):
                a, b, c = indices[k, 0], indices[k, 1], indices[k, 2]
                Cv[:] = 0.0
                for q in range(c0, c0 + per_combination[comb]):
                    ch = channel_indices[q]
                    for t in range(T):
                        Cv[t] += ((Ca[ch, t] + Cg[a, ch, t]) + Cg[b, ch, t]) + Cg[c, ch, t]
                seg = Cv if (j + k) % 2 == 0 else Cv[pad : T - pad]
                m = seg.shape[0]
                for f in range(f0, f0 + per_dilation[j]):
                    bias, count = biases[f], 0
                    for t in range(m):
                        count += seg[t] > bias
                    out[i, f] = count
                f0 += per_dilation[j]
                c0 += per_combination[comb]
                comb += 1
    return out


def warm_up() -> None:
    """Compile (or load from numba's cache) the kernels for uint8 and uint16 counts."""
    for dtype in (np.uint8, np.uint16):
        counts = np.ones((2, 3), dtype)
        rows_kernel(counts, np.ones((1, 3), np.float32), np.empty((2, 1), np.float32))
        cols_kernel(counts, np.ones((1, 2), np.float32), np.zeros((1, 3), np.float32))
        pack_kernel(np.ones((2, 3), np.float32), np.ones(3, np.int64), int(np.iinfo(dtype).max), counts)
        i32 = np.ones(1, np.int32)
        transform_kernel(
            np.ones((1, 1, 9), np.float32), i32, i32 - 1, i32, i32, np.zeros(1, np.float32),
            np.zeros((1, 3), np.int32), np.empty((1, 1), dtype),
        )  # fmt: skip
