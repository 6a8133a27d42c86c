"""MiniRocket's features kept as the integer counts they are: a quarter of the memory, and
the logistic head's matrix products read straight from them, twice as fast.

Each MiniRocket feature is a proportion of positive values: ``count / L``, ``L`` the length
of that feature's convolution output -- the window's length ``T`` for the half of the
kernels computed with padding, ``T - 8 d`` for the other half at dilation ``d`` (aeon's
``_static_transform_uni`` / ``_multi``: ``_PPV(...).mean()`` stored as float32). So the
float32 matrix of ~10,000 features per window holds small integers in disguise: as
``uint8`` counts (``uint16`` past 255 steps) with one ``L`` per feature, the demo's
training features take 41 MB instead of 164 MB, and a day of recordings (40,000 windows)
0.4 GB instead of 1.6 GB per split.

:func:`minirocket_counts` computes the counts straight from aeon's fitted parameters with a
numba kernel (:func:`~lstm_helpers.judge.ppv_kernels.transform_kernel`: aeon's arithmetic in
its order, without its temporary arrays; demo windows 4x faster) once aeon's own transform of
the first windows, packed, has given the same counts; otherwise it transforms with aeon in
chunks and packs each chunk, checking that ``float32(count / L)`` gives back every feature
bit for bit (:func:`pack`): should a later aeon compute its features otherwise, the checks
fail and the caller keeps aeon's float32 features. :class:`CountMatrix` holds the counts and their lengths;
:class:`~lstm_helpers.judge.linear_head.CountProducts` computes ``F @ W`` and ``F.T @ G`` of the features they stand for
with two numba kernels (:mod:`~lstm_helpers.judge.ppv_kernels`), which read the counts (the ``1 / L`` folded into the
other factor), by the same fixed blocks of rows as
:class:`~lstm_helpers.judge.linear_head.BlockProducts`, so the result does not depend on the
thread count either. Measured on the demo's features
(4,087 windows x 9,996, one core): a logistic step's two products 7.2 ms against 14.5 ms
with float32 BLAS (binary), 17 ms against 70 ms for four classes. Hand-written: BLAS has
no products of an integer matrix with a float one.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

MAX_PLAIN = 1e30  # |values| the kernel takes (float32 overflows past 3.4e38)
CHECK_WINDOWS = 32  # windows transformed by aeon too, to check the kernel's counts against
CHUNK_WINDOWS = 512  # windows transformed (as float32) at a time before packing: 20 MB of features at
# 10,000, under glibc's largest mmap threshold (32 MB), so a chunk reuses the last one's pages
# instead of faulting in fresh ones (demo fit 4.52 -> 4.39 s of CPU, two alternations)


class CountMatrix:
    """Features ``counts / lengths`` (per column), as integer ``counts`` (n, p) and ``lengths`` (p,)."""

    def __init__(self, counts: np.ndarray, lengths: np.ndarray):
        if counts.ndim != 2 or counts.shape[1] != len(lengths):
            raise ValueError(f"counts {counts.shape} and lengths {np.shape(lengths)} disagree")
        self.counts = np.ascontiguousarray(counts)
        self.lengths = np.asarray(lengths, dtype=np.int64)

    @property
    def shape(self) -> tuple[int, int]:
        return self.counts.shape

    def __len__(self) -> int:
        return len(self.counts)

    def rows(self, start: int, stop: int) -> CountMatrix:
        return CountMatrix(self.counts[start:stop], self.lengths)

    def dense(self) -> np.ndarray:
        """The float32 features, bit for bit as MiniRocket gave them."""
        return (self.counts / self.lengths).astype(np.float32)

    def column_moments(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and (population) variance of each feature, in float64, by blocks of rows."""
        n, rows = len(self), max(1, 2**19 // max(1, self.shape[1]))
        mean = self.counts.sum(axis=0, dtype=np.float64) / n / self.lengths
        sq = np.zeros(self.shape[1])
        for start in range(0, n, rows):
            sq += np.square(self.counts[start : start + rows] / self.lengths - mean).sum(axis=0)
        return mean, sq / n


def output_lengths(parameters: tuple, n_timepoints: int) -> np.ndarray | None:
    """Each feature's convolution-output length, from a fitted aeon MiniRocket's
    ``parameters`` (``dilations`` and ``n_features_per_dilation`` at positions 2 and 3; 84
    kernels per dilation; padding for kernel ``k`` at dilation index ``j`` when ``j + k``
    is even). None where the parameters do not have that layout."""
    try:
        dilations = np.asarray(parameters[2], dtype=np.int64)
        per_dilation = np.asarray(parameters[3], dtype=np.int64)
    except (IndexError, TypeError, ValueError):
        return None
    if dilations.ndim != 1 or dilations.shape != per_dilation.shape:
        return None
    lengths = []
    for j, (d, n) in enumerate(zip(dilations, per_dilation, strict=True)):
        for k in range(84):
            lengths.extend([n_timepoints if (j + k) % 2 == 0 else n_timepoints - 8 * d] * n)
    out = np.asarray(lengths, dtype=np.int64)
    return out if len(out) and out.min() >= 1 else None


def count_dtype(lengths: np.ndarray) -> type:
    """The integer type that holds counts up to the longest output: uint8, or uint16 past 255 steps."""
    return np.uint8 if lengths.max() <= np.iinfo(np.uint8).max else np.uint16


def pack(F: np.ndarray, lengths: np.ndarray) -> np.ndarray | None:
    """``F``'s counts (uint8, or uint16 past 255 steps), or None unless every value of ``F``
    is ``float32(count / L)`` of its column's ``L`` exactly (one pass, numba)."""
    from lstm_helpers.judge.ppv_kernels import pack_kernel

    dtype = count_dtype(lengths)
    counts = np.empty(F.shape, dtype)
    F = np.ascontiguousarray(F, dtype=np.float32)
    ok = pack_kernel(F, np.asarray(lengths, dtype=np.int64), int(np.iinfo(dtype).max), counts)
    return counts if ok else None


def _chunks(X: np.ndarray) -> Iterator[np.ndarray]:
    for start in range(0, len(X), CHUNK_WINDOWS):
        yield X[start : start + CHUNK_WINDOWS]


def minirocket_counts(rocket: object, X: np.ndarray) -> CountMatrix | None:
    """``rocket.transform(X)`` (aeon MiniRocket, fitted; ``X`` channels first, C-contiguous
    float32) as a :class:`CountMatrix`, from :func:`~lstm_helpers.judge.ppv_kernels.transform_kernel`
    once aeon's own transform of the first :data:`CHECK_WINDOWS` windows has given the same
    counts (else aeon's transform, chunk by chunk); None where the features are not the
    counts :func:`output_lengths` says (the caller transforms to float32 instead)."""
    params = getattr(rocket, "parameters", ())
    lengths = output_lengths(params, X.shape[-1])
    if lengths is None:
        return None
    dtype = count_dtype(lengths)
    if not len(X):
        return CountMatrix(np.zeros((0, len(lengths)), dtype), lengths)
    counts = (
        _kernel_counts(params, getattr(rocket, "_indices", None), X, len(lengths), dtype)
        if lengths.max() <= np.iinfo(np.uint16).max and _plain_values(X)
        else None
    )  # counts past uint16, or sums near float32's overflow (where aeon's fastmath differs): aeon's transform
    if counts is not None:
        F = rocket.transform(X[:CHECK_WINDOWS])
        if F.shape[1:] == lengths.shape and np.array_equal(pack(F, lengths), counts[:CHECK_WINDOWS]):
            return CountMatrix(counts, lengths)
    parts = []
    for chunk in _chunks(X):
        F = rocket.transform(chunk)
        packed = pack(F, lengths) if F.shape[1:] == lengths.shape else None
        if packed is None:
            return None
        parts.append(packed)
    return CountMatrix(np.concatenate(parts), lengths)


def _plain_values(X: np.ndarray) -> bool:
    """Finite values well inside float32's range: their kernel sums (at most 9 taps x 3 x 9
    channels of them) cannot overflow, where aeon's fastmath sums and the kernel's would differ."""
    return bool(np.isfinite(X).all() and np.abs(X).max(initial=0.0) < MAX_PLAIN)


def _kernel_counts(params: tuple, indices: object, X: np.ndarray, n_features: int, dtype: type) -> np.ndarray | None:
    """The counts from :func:`~lstm_helpers.judge.ppv_kernels.transform_kernel`, or None where
    aeon's parameters or kernel indices do not have the layout it reads."""
    from lstm_helpers.judge.ppv_kernels import transform_kernel

    try:
        per_combination, channel_indices, dilations, per_dilation = (np.asarray(p, np.int32) for p in params[:4])
        biases, indices = np.asarray(params[4], np.float32), np.asarray(indices, np.int32)
    except (IndexError, TypeError, ValueError):
        return None
    if (
        X.ndim != 3 or indices.shape != (84, 3) or indices.min() < 0 or indices.max() > 8
        or len(biases) != n_features or 84 * per_dilation.sum() != n_features
        or len(dilations) != len(per_dilation) or len(per_combination) != 84 * len(dilations)
        or dilations.min(initial=1) < 1 or 8 * dilations.max(initial=0) >= X.shape[-1]
        or per_combination.sum() != len(channel_indices)
        or not 0 <= channel_indices.min(initial=0) <= channel_indices.max(initial=0) < X.shape[1]
    ):  # the kernel indexes without bounds checks: only the layout it was written for  # fmt: skip
        return None
    out = np.empty((len(X), n_features), dtype)
    return transform_kernel(
        np.ascontiguousarray(X, np.float32), per_combination, channel_indices, dilations, per_dilation, biases,
        indices, out,
    )  # fmt: skip
