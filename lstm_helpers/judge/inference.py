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
:attr:`Inference.compiled` says so.

On a CPU several chunks are in flight at once (:func:`chunks_in_flight`: two per core
TensorFlow may use), each call on its own Python thread (TensorFlow releases the GIL). The
XLA forward of a recurrent model runs its time loop on one core: at 64 windows per call it
was faster with one TensorFlow thread than with two, so a second chunk in flight nearly
doubles the throughput at small batches (+20 % at 4,096 windows), and a second chunk per
core fills the gaps between one call and the next (+27 % at batch 64, +3 to +13 % at 128 or
at 100 steps on two cores; level on one); each chunk is still one call of ``batch_size``
windows. Written here because Keras has no predict with one traced forward over large
chunks; the forward itself is TensorFlow's. Measured against
``model.predict`` and raw PyTorch in benchmarks/README.md (issue 12).
"""

from __future__ import annotations

import contextlib
import os
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
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
    in_flight : int
        Chunks predicted at the same time (two per core TensorFlow may use).
    """

    probs: np.ndarray
    seconds: float
    batch_size: int
    compiled: bool
    in_flight: int = 1

    @property
    def windows_per_second(self) -> float:
        return len(self.probs) / self.seconds if self.seconds > 0 else 0.0

    def line(self, what: str = "windows") -> str:
        """One log line, e.g. ``predicted 1,234 test windows in 0.21 s (5,876 windows/s, no XLA, batch 2048)``."""
        how = "XLA" if self.compiled else "no XLA"
        flight = f", {self.in_flight} batches in flight" if self.in_flight > 1 else ""
        return (
            f"predicted {len(self.probs):,} {what.removesuffix('s') if len(self.probs) == 1 else what} in "
            f"{self.seconds:.2f} s ({self.windows_per_second:,.0f} {what.split()[-1]}/s, {how}, batch {self.batch_size}{flight})"
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

    from lstm_helpers.model.fused import keras_loop

    spec = tf.TensorSpec(shape, tf.as_dtype(dtype))
    with keras_loop() if jit else contextlib.nullcontext():  # XLA has no kernel for the fused LSTM op
        fn = tf.function(call, jit_compile=jit, input_signature=[spec]).get_concrete_function()
    _LAST[:] = [*_LAST[-(MAX_FORWARDS - 1) :], (model, key, fn)]
    return fn


def chunk_size(n: int, batch_size: int = DEFAULT_BATCH) -> int:
    """Windows per call: ``batch_size``, or for fewer windows the next power of two >= ``n``
    (at least :data:`MIN_CHUNK`), so small inputs are not padded to thousands of windows."""
    if n >= batch_size:
        return int(batch_size)
    return int(min(batch_size, max(MIN_CHUNK, 1 << max(0, int(n - 1).bit_length()))))


def chunks_in_flight(n_chunks: int) -> int:
    """How many chunks to predict at once: twice the threads TensorFlow may use on this CPU
    (``TF_NUM_INTRAOP_THREADS`` as a sweep sizes it per worker, else TensorFlow's setting,
    else the cores this process may run on), at most ``n_chunks``; 1 with a GPU (not
    measured there). Two per thread because one call leaves its core idle while Python hands
    over the next chunk and copies the result (measured on 2 cores, benchmarks/README.md,
    "Twenty-second session": one per thread 9,784 windows/s, two 12,408 at 50 steps, batch 64)."""
    import tensorflow as tf

    from lstm_helpers.experiments.runner import available_cores

    if n_chunks < 2 or tf.config.list_logical_devices("GPU"):
        return 1
    env = os.environ.get("TF_NUM_INTRAOP_THREADS", "")
    threads = int(env) if env.isdigit() and int(env) > 0 else tf.config.threading.get_intra_op_parallelism_threads()
    return max(1, min(2 * (int(threads) if threads > 0 else available_cores()), n_chunks))


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
    in_flight: int | str = "auto",
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
    in_flight : int or "auto"
        Chunks predicted at the same time, each on its own thread; ``"auto"``:
        :func:`chunks_in_flight`.

    Returns
    -------
    Inference
        ``probs`` (float32, ``(n,)`` for a one-column output) and the throughput.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if in_flight != "auto" and (isinstance(in_flight, bool) or not isinstance(in_flight, int) or in_flight < 1):
        raise ValueError(f"in_flight must be 'auto' or an int >= 1, got {in_flight!r}")
    n = len(X) if rows is None else len(rows)
    t0 = time.perf_counter()
    if n == 0:
        width = tuple(int(d) for d in model.output_shape[1:])
        return Inference(np.zeros((0,) if width == (1,) else (0, *width), np.float32), 0.0, int(batch_size), False)
    jit = n >= XLA_MIN_WINDOWS and _xla_possible(model) if jit_compile == "auto" else bool(jit_compile)
    size = chunk_size(n, batch_size) if jit else min(n, int(batch_size))
    flight = _flight(n, size, in_flight)
    try:
        probs = _chunks(model, X, size, jit, rows, flight)
    except Exception as exc:
        if not jit:
            raise
        warnings.warn(
            f"XLA inference failed ({type(exc).__name__}); predicting without XLA", RuntimeWarning, stacklevel=2
        )
        jit, size = False, min(n, int(batch_size))
        flight = _flight(n, size, in_flight)
        probs = _chunks(model, X, size, jit, rows, flight)
    probs = probs[:, 0] if probs.ndim == 2 and probs.shape[1] == 1 else probs
    return Inference(probs, time.perf_counter() - t0, size, jit, flight)


def _flight(n: int, size: int, in_flight: int | str) -> int:
    n_chunks = -(-n // size)
    return chunks_in_flight(n_chunks) if in_flight == "auto" else max(1, min(int(in_flight), n_chunks))


def _chunks(model: Any, X: np.ndarray, size: int, jit: bool, rows: np.ndarray | None, in_flight: int = 1) -> np.ndarray:
    """The chunk loop: one call per ``size`` windows, ``in_flight`` of them at a time; with XLA
    the last chunk is padded with zeros (one compiled shape)."""
    first = np.asarray(X[:1] if rows is None else X[rows[:1]])
    dtype = np.int32 if np.issubdtype(first.dtype, np.integer) else np.float32
    forward = _forward(model, jit, (size if jit else None, *(int(d) for d in first.shape[1:])), dtype)
    n = len(X) if rows is None else len(rows)

    def predict(start: int) -> np.ndarray:
        chunk = np.asarray(X[start : start + size] if rows is None else X[rows[start : start + size]], dtype=dtype)
        m = len(chunk)
        if jit and m < size:
            chunk = np.concatenate([chunk, np.zeros((size - m, *chunk.shape[1:]), dtype)])
        return np.asarray(forward(chunk), dtype=np.float32)[:m]

    starts = range(0, n, size)
    if in_flight > 1 and len(starts) > 1:
        with ThreadPoolExecutor(in_flight, thread_name_prefix="lstm-inference") as pool:
            parts = list(pool.map(predict, starts))  # in order; re-raises a chunk's exception here
    else:
        parts = [predict(start) for start in starts]
    return parts[0] if len(parts) == 1 else np.concatenate(parts)
