"""The inference path of evaluation and ``predict``: one traced forward pass over large
chunks of windows, and how fast it went.

Keras' ``model.predict`` runs a Python loop per batch (a tf.data iterator, callbacks, one
``tf.function`` call and a host copy per batch). :func:`run_inference` instead calls one
``tf.function`` of ``model(x, training=False)`` per chunk of ``batch_size`` windows. Below
:data:`XLA_MIN_WINDOWS` windows that is the plain graph forward, traced once for any number
of windows (batch dimension None). From there on the forward is XLA-compiled (TensorFlow's
``jit_compile``), with the last chunk padded to the chunk size so that one shape compiles;
for fewer windows the compile (seconds) costs more than it saves. Where XLA cannot compile
the model (cuDNN recurrent layers on a GPU, masked sequences) the plain forward runs and
:attr:`Inference.compiled` says so. Written here because Keras has no predict with one
traced forward over large chunks; the forward itself is TensorFlow's. Measured against
``model.predict`` in benchmarks/README.md (issue 12).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

DEFAULT_BATCH = 4096  # windows per call; ~5 MB of float32 input at 50 x 6
XLA_MIN_WINDOWS = 8192  # below this the XLA compile costs more than it saves
MIN_CHUNK = 64  # smallest chunk: few distinct shapes are traced for small inputs


@dataclass
class Inference:
    """Predictions and how fast they came.

    Attributes
    ----------
    probs : numpy.ndarray
        The model's outputs, float32; ``(n,)`` for a one-column (sigmoid) output, else ``(n, K)``.
    seconds : float
        Wall time of the prediction, tracing / compilation included.
    batch_size : int
        Windows per call.
    compiled : bool
        Whether the XLA-compiled forward ran (False: the plain graph forward).
    """

    probs: np.ndarray
    seconds: float
    batch_size: int
    compiled: bool

    @property
    def windows_per_second(self) -> float:
        return len(self.probs) / self.seconds if self.seconds > 0 else 0.0

    def line(self, what: str = "windows") -> str:
        """One log line, e.g. ``predicted 1,234 test windows in 0.21 s (5,876 windows/s, no XLA, batch 2048)``."""
        how = "XLA" if self.compiled else "no XLA"
        return (
            f"predicted {len(self.probs):,} {what} in {self.seconds:.2f} s "
            f"({self.windows_per_second:,.0f} windows/s, {how}, batch {self.batch_size})"
        )


_LAST: list[tuple[Any, tuple, Any]] = []  # (model, key, forward): the last model's forwards
MAX_FORWARDS = 4  # per model: e.g. validation and test at different chunk sizes / with XLA


def _forward(model: Any, jit: bool, shape: tuple[int | None, ...], dtype: Any) -> Any:
    """The traced ``model(x, training=False)`` for inputs of ``shape`` (batch first: None for
    the plain forward, any number of windows; the chunk size for XLA, which needs static
    shapes), as a concrete function: traced once here, never retraced by a call (and so never
    counted by TensorFlow's frequent-retracing warning when a warm kernel predicts with model
    after model). Up to :data:`MAX_FORWARDS` shapes are kept for the last model only
    (validation, then test, at whatever chunk sizes they need); older models are not kept
    alive."""
    import tensorflow as tf

    key = (jit, shape, np.dtype(dtype).str)
    for m, k, fn in _LAST:
        if m is model and k == key:
            return fn
    if _LAST and _LAST[0][0] is not model:
        _LAST.clear()  # a new model: the old one's forwards go

    def call(x: Any) -> Any:
        return model(x, training=False)

    spec = tf.TensorSpec(shape, tf.as_dtype(dtype))
    fn = tf.function(call, jit_compile=jit, input_signature=[spec]).get_concrete_function()
    _LAST[:] = [*_LAST[-(MAX_FORWARDS - 1) :], (model, key, fn)]
    return fn


def chunk_size(n: int, batch_size: int = DEFAULT_BATCH) -> int:
    """Windows per call: ``batch_size``, or for fewer windows the next power of two >= ``n``
    (at least :data:`MIN_CHUNK`), so small inputs are not padded to thousands of windows."""
    if n >= batch_size:
        return int(batch_size)
    return int(min(batch_size, max(MIN_CHUNK, 1 << max(0, int(n - 1).bit_length()))))


def _xla_possible(model: Any) -> bool:
    """False when Keras marks the model as not XLA compatible (cuDNN LSTM on a GPU) or when a
    mask flows through it (masked sequences)."""
    checker = getattr(model, "_is_xla_compatible", None)  # not public API; absent means unknown
    if callable(checker):
        try:
            if not checker():
                return False
        except Exception:  # noqa: BLE001 - unknown: try XLA, fall back on failure
            pass
    return not any(
        getattr(layer, "supports_masking", False) and type(layer).__name__ in ("Masking", "Embedding")
        for layer in model.layers
    )


def run_inference(
    model: Any,
    X: np.ndarray,
    batch_size: int = DEFAULT_BATCH,
    rows: np.ndarray | None = None,
    jit_compile: bool | str = "auto",
) -> Inference:
    """Predict every window with one traced forward per ``batch_size`` windows.

    Parameters
    ----------
    model : keras.Model
        A trained model (TensorFlow backend).
    X : numpy.ndarray
        Windows ``(n, T[, C])``, or, with ``rows``, a window view that ``X[rows]`` indexes.
    batch_size : int
        Windows per call; larger is faster until memory runs out.
    rows : numpy.ndarray of int, optional
        Predict ``X[rows]``, gathered one chunk at a time (window starts into a strided
        view of whole recordings: the windows are never all materialised at once).
    jit_compile : bool or "auto"
        XLA for the forward; ``"auto"``: from :data:`XLA_MIN_WINDOWS` windows on, unless
        the model cannot be compiled.

    Returns
    -------
    Inference
        ``probs`` (float32, ``(n,)`` for a one-column output) and the throughput.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    n = len(X) if rows is None else len(rows)
    t0 = time.perf_counter()
    if n == 0:
        width = tuple(int(d) for d in model.output_shape[1:])
        return Inference(np.zeros((0,) if width == (1,) else (0, *width), np.float32), 0.0, int(batch_size), False)
    jit = n >= XLA_MIN_WINDOWS and _xla_possible(model) if jit_compile == "auto" else bool(jit_compile)
    size = chunk_size(n, batch_size) if jit else min(n, int(batch_size))
    try:
        probs = _chunks(model, X, size, jit, rows)
    except Exception as exc:
        if not jit:
            raise
        warnings.warn(
            f"XLA inference failed ({type(exc).__name__}); predicting without XLA", RuntimeWarning, stacklevel=2
        )
        jit, size = False, min(n, int(batch_size))
        probs = _chunks(model, X, size, jit, rows)
    probs = probs[:, 0] if probs.ndim == 2 and probs.shape[1] == 1 else probs
    return Inference(probs, time.perf_counter() - t0, size, jit)


def _chunks(model: Any, X: np.ndarray, size: int, jit: bool, rows: np.ndarray | None) -> np.ndarray:
    """The chunk loop: one call per ``size`` windows; with XLA the last chunk is padded with zeros
    (one compiled shape)."""
    first = np.asarray(X[:1] if rows is None else X[rows[:1]])
    dtype = np.int32 if np.issubdtype(first.dtype, np.integer) else np.float32
    forward = _forward(model, jit, (size if jit else None, *(int(d) for d in first.shape[1:])), dtype)
    n = len(X) if rows is None else len(rows)
    out: np.ndarray | None = None
    for start in range(0, n, size):
        chunk = np.asarray(X[start : start + size] if rows is None else X[rows[start : start + size]], dtype=dtype)
        m = len(chunk)
        if jit and m < size:
            chunk = np.concatenate([chunk, np.zeros((size - m, *chunk.shape[1:]), dtype)])
        part = np.asarray(forward(chunk), dtype=np.float32)[:m]
        if out is None:
            out = np.empty((n, *part.shape[1:]), np.float32)
        out[start : start + m] = part
    return out
