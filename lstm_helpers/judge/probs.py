"""From a trained model to class probabilities: the one place that runs the model.

:func:`predict_probs` is the one place evaluation and ``predict`` run the model, through
:func:`lstm_helpers.judge.inference.run_inference` (one traced forward per large chunk, XLA
for large inputs), optionally logging its windows/s. :func:`full_probs` and
:func:`class_scores` read the (n,) binary / (n, K) multi-class outputs the same way
everywhere. Probabilities stay in the model's dtype (float32): an (n, K) matrix is never
copied to float64; one class's column is, when a threshold or a curve needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def predict_probs(
    model: Any,
    X: np.ndarray,
    batch_size: int,
    rows: np.ndarray | None = None,
    *,
    log: Callable[[str], Any] | None = None,
    what: str = "windows",
) -> np.ndarray:
    """The model's outputs for every window, as float32.

    Parameters
    ----------
    model : keras.Model
    X : numpy.ndarray
        The windows (n, T[, C]), or, with ``rows``, a window view that ``X[rows]`` indexes.
    batch_size : int
        Windows per forward pass.
    rows : numpy.ndarray of int, optional
        Predict ``X[rows]``, gathered a chunk at a time (e.g. window starts into a strided
        view of whole recordings, so windows are never all materialised at once).
    log : callable, optional
        Receives one line: windows, seconds, windows/s, XLA or not, batch (``print`` puts it
        in the run's log).
    what : str
        What the windows are, for that line (``"test windows"``).

    Returns
    -------
    numpy.ndarray of float32, shape (n,) for a one-column (sigmoid) output, else (n, K)
    """
    from lstm_helpers.judge.inference import run_inference

    result = run_inference(model, X, batch_size, rows=rows)
    if log is not None and len(result.probs):
        log(result.line(what))
    return result.probs


def full_probs(probs: Any, n_classes: int, positive_index: int | None = None) -> np.ndarray:
    """(n, K) probability matrix; 1-D binary scores are P(class ``positive_index``, default 1).

    A 2-D input is returned as is (no copy); 1-D binary scores become an (n, 2) float64 matrix.
    """
    p = np.asarray(probs)
    if p.ndim == 2 and p.shape[1] == 1:
        p = p[:, 0]
    if p.ndim == 1:
        if n_classes != 2:
            raise ValueError(f"1-D scores are binary, but {n_classes} classes were given")
        pos = 1 if positive_index is None else int(positive_index)
        full = np.empty((len(p), 2))
        full[:, pos] = p
        full[:, 1 - pos] = 1.0 - p.astype(np.float64)
        return full
    if p.ndim != 2 or p.shape[1] != n_classes:
        raise ValueError(f"probs has shape {p.shape}, expected (n, {n_classes}) for {n_classes} classes")
    if not np.issubdtype(p.dtype, np.floating):
        p = p.astype(np.float64)
    return p


def class_scores(probs: Any, class_index: int, positive_index: int | None = None) -> np.ndarray:
    """The float64 score of one class for every row (binary 1-D scores are P(positive))."""
    p = np.asarray(probs)
    if p.ndim == 2 and p.shape[1] == 1:
        p = p[:, 0]
    if p.ndim == 1:
        pos = 1 if positive_index is None else int(positive_index)
        p = p.astype(np.float64)
        return p if class_index == pos else 1.0 - p
    return p[:, class_index].astype(np.float64)
