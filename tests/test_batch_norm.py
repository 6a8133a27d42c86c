"""Batch normalisation's inference statistics measured on the training windows after training
(lstm_helpers/model/batch_norm.py): UCR's PigCVP fitted its own training cases to 0.141 in
inference mode with the moving averages of batch-8 statistics, 0.859 with these."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from lstm_helpers.model.batch_norm import batch_norm_layers, recalibrate


def _model() -> keras.Model:
    """Two convolutions, each followed by BN, on (steps, channels) inputs; wildly wrong
    moving statistics to begin with."""
    keras.utils.set_random_seed(0)
    x = inputs = keras.Input((30, 2))
    x = keras.layers.Conv1D(4, 3, name="c1")(x)
    x = keras.layers.BatchNormalization(name="bn1")(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.Conv1D(3, 3, name="c2")(x)
    x = keras.layers.BatchNormalization(name="bn2")(x)
    out = keras.layers.Dense(2, activation="softmax")(keras.layers.GlobalAveragePooling1D()(x))
    model = keras.Model(inputs, out)
    for bn in batch_norm_layers(model):
        bn.moving_mean.assign(np.full(bn.moving_mean.shape, 5.0, "float32"))
        bn.moving_variance.assign(np.full(bn.moving_variance.shape, 0.01, "float32"))
    return model


def _moments(model: keras.Model, X: np.ndarray, layer: str) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance, over windows and steps, of what ``layer`` receives in inference mode."""
    feed = keras.Model(model.inputs, model.get_layer(layer).input)
    a = np.asarray(feed.predict(X, verbose=0), np.float64)
    return a.mean(axis=(0, 1)), a.var(axis=(0, 1))


def test_the_statistics_become_the_training_windows_layer_after_layer():
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(96, 30, 2)) * [1.0, 3.0] + [0.5, -2.0]).astype("float32")
    model = _model()
    weights = [w.copy() for w in model.get_weights()]
    assert recalibrate(model, X) == 2
    for name in ("bn1", "bn2"):  # bn2 measured with bn1 already normalising as it now does in inference
        bn, (mean, var) = model.get_layer(name), _moments(model, X, name)
        np.testing.assert_allclose(np.asarray(bn.moving_mean), mean, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(np.asarray(bn.moving_variance), var, rtol=1e-3, atol=1e-5)
        assert bn.momentum == pytest.approx(0.99)  # restored
    changed = [not np.array_equal(a, b) for a, b in zip(weights, model.get_weights(), strict=True)]
    assert sum(changed) == 4  # the two layers' moving mean and variance; no trained weight moved


def test_chunks_average_to_the_whole_and_a_model_without_batch_norm_is_left_alone():
    rng = np.random.default_rng(1)
    X = (rng.normal(size=(200, 30, 2)) * 2.0 + 1.0).astype("float32")
    whole, chunked = _model(), _model()
    recalibrate(whole, X)
    recalibrate(chunked, X, chunk=64)  # 64, 64, 64 and 8 windows: weighted by size
    for name in ("bn1", "bn2"):
        a, b = whole.get_layer(name), chunked.get_layer(name)
        np.testing.assert_allclose(np.asarray(b.moving_mean), np.asarray(a.moving_mean), rtol=0.02, atol=0.02)
        np.testing.assert_allclose(np.asarray(b.moving_variance), np.asarray(a.moving_variance), rtol=0.05)
    plain = keras.Sequential([keras.Input((30, 2)), keras.layers.LSTM(3), keras.layers.Dense(2)])
    before = [w.copy() for w in plain.get_weights()]
    assert recalibrate(plain, X) == 0
    assert all(np.array_equal(a, b) for a, b in zip(before, plain.get_weights(), strict=True))
