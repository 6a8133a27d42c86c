"""Batch normalisation's statistics for inference, measured on the training windows at the end.

A ``BatchNormalization`` layer normalises each training batch by that batch's own mean and
variance, and keeps exponential moving averages of them for inference. With small batches of
unlike series (the LSTM-FCN branch, :class:`~lstm_helpers.model.models.FcnBranch`, trains at
batch 8 on the small univariate sets) those averages describe the population badly: the
average of per-batch variances misses how much the batch means differ, and the last ~100
batches weigh most. UCR's PigCVP (52 classes, 2 cases each, batch 8) fitted its own training
cases to accuracy 0.141 in inference mode while the same weights scored 0.73 with the whole
training set as one batch; with the statistics measured over the training set it scored
0.859 on them, and 0.370 on test instead of 0.096.

:func:`recalibrate` sets every BN layer's moving mean and variance to the statistics of its
inputs over the training windows, layer after layer in the model's order (each layer sees
its predecessors already normalised the way a large training batch would), by calling the
model in training mode on large chunks with the momentum set so the moving averages become
the chunks' size-weighted average ("precise BN", Wu & Johnson 2021, "Rethinking 'Batch' in
BatchNorm"). Nothing but the BN statistics changes (no optimizer step). Written here: Keras
has no such pass.
"""

from __future__ import annotations

import keras
import numpy as np

ACTIVATION_BUDGET = 2**28  # bytes of one chunk's widest activation (256 filters of float32 per step)
MAX_WINDOWS = 20_000  # training windows measured at most (a random sample beyond), as for stage 03's fit


def batch_norm_layers(model: keras.Model) -> list[keras.layers.BatchNormalization]:
    """Every ``BatchNormalization`` layer inside ``model``, nested ones included."""
    return [layer for layer in model._flatten_layers() if isinstance(layer, keras.layers.BatchNormalization)]


def recalibrate(model: keras.Model, X: np.ndarray, seed: int = 0, chunk: int | None = None) -> int:
    """Set the moving statistics of ``model``'s BN layers to those of its training windows
    ``X`` (module docstring); returns the number of layers recalibrated (0: the model has
    none, nothing runs). ``chunk``: windows per forward pass (default: what keeps the widest
    activation near :data:`ACTIVATION_BUDGET`)."""
    layers = batch_norm_layers(model)
    if not layers or not len(X):
        return 0
    if len(X) > MAX_WINDOWS:
        X = X[np.sort(np.random.default_rng(seed).choice(len(X), MAX_WINDOWS, replace=False))]
    steps = int(np.prod(X.shape[1:2])) or 1
    size = chunk or int(np.clip(ACTIVATION_BUDGET // (1024 * steps), 16, 4096))
    momenta = [layer.momentum for layer in layers]
    seen = 0
    try:
        for start in range(0, len(X), size):
            part = X[start : start + size]
            for layer in layers:  # new = momentum * old + (1 - momentum) * this chunk's
                layer.momentum = seen / (seen + len(part))
            model(part, training=True)
            seen += len(part)
    finally:
        for layer, momentum in zip(layers, momenta, strict=True):
            layer.momentum = momentum
    return len(layers)
