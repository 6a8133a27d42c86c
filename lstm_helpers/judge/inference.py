"""The inference path of evaluation and ``predict``: one compiled forward pass over large,
fixed-size chunks of windows, and how fast it went.

Keras' ``model.predict`` runs a Python loop per batch (a tf.data iterator, callbacks, one
``tf.function`` call and a host copy per batch). :func:`run_inference` instead calls one
``tf.function`` of ``model(x, training=False)`` per chunk of ``batch_size`` windows; the last
chunk is padded to the chunk size, so the forward is traced once per input shape, not
once per remainder. From :data:`XLA_MIN_WINDOWS` windows on the forward is XLA-compiled
(TensorFlow's ``jit_compile``); below that the compile (seconds) costs more than it saves
and the plain graph forward runs. Where XLA cannot compile the model (cuDNN recurrent
layers on a GPU, masked sequences) the plain forward runs and :attr:`Inference.compiled`
says so. Written here because Keras has no predict with a fixed-shape compiled forward;
the compiled call itself is TensorFlow's. Measured against ``model.predict`` in
benchmarks/README.md (issue 12).
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


_LAST: list[tuple[Any, bool, Any]] = []  # (model, jit, forward) of the last model predicted


def _forward(model: Any, jit: bool) -> Any:
    """A ``tf.function`` of ``model(x, training=False)``, kept for the last model only (a second
    prediction with it -- validation, then test -- reuses the traced forward; older models are
    not kept alive)."""
    import tensorflow as tf

    for m, j, fn in _LAST:
        if m is model and j == jit:
            return fn

    def call(x: Any) -> Any:
        return model(x, training=False)

    fn = tf.function(call, jit_compile=jit, reduce_retracing=True)
    _LAST[:] = [(model, jit, fn)]
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
    size = chunk_size(n, batch_size)
    try:
        probs = _chunks(model, X, size, jit, rows)
    except Exception as exc:
        if not jit:
            raise
        warnings.warn(
            f"XLA inference failed ({type(exc).__name__}); predicting without XLA", RuntimeWarning, stacklevel=2
        )
        jit = False
        probs = _chunks(model, X, size, jit, rows)
    probs = probs[:, 0] if probs.ndim == 2 and probs.shape[1] == 1 else probs
    return Inference(probs, time.perf_counter() - t0, size, jit)


def _chunks(model: Any, X: np.ndarray, size: int, jit: bool, rows: np.ndarray | None) -> np.ndarray:
    """The chunk loop: one call per ``size`` windows, the last chunk padded with zeros."""
    forward = _forward(model, jit)
    dtype = np.int32 if np.issubdtype(np.asarray(X[:1]).dtype, np.integer) else np.float32
    n = len(X) if rows is None else len(rows)
    out: np.ndarray | None = None
    for start in range(0, n, size):
        chunk = np.asarray(X[start : start + size] if rows is None else X[rows[start : start + size]], dtype=dtype)
        m = len(chunk)
        if m < size:
            chunk = np.concatenate([chunk, np.zeros((size - m, *chunk.shape[1:]), dtype)])
        part = np.asarray(forward(chunk), dtype=np.float32)[:m]
        if out is None:
            out = np.empty((n, *part.shape[1:]), np.float32)
        out[start : start + m] = part
    return out
