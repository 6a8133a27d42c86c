"""lstm_helpers.model.fused: the CPU-fused LSTM equals Keras' own loop, and is used where it should be."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from lstm_helpers.config import ModelConfig
from lstm_helpers.data.prepared import InputInfo
from lstm_helpers.judge.inference import run_inference
from lstm_helpers.model.fused import FusedLSTM, block_lstm, keras_loop
from lstm_helpers.model.models import build_model, load_trained_model

B, T, C, U = 6, 15, 4, 8


def _ops(fn, x) -> set[str]:
    graph = tf.function(fn).get_concrete_function(tf.TensorSpec(x.shape, x.dtype)).graph
    return {op.type for op in graph.get_operations()} | {
        op.type for f in graph._functions.values() for op in f.graph.get_operations()
    }


@pytest.mark.parametrize("go_backwards", [False, True])
def test_block_lstm_gives_keras_outputs_and_gradients(go_backwards):
    rng = np.random.default_rng(0)
    x = tf.constant(rng.standard_normal((B, T, C)) * 2, tf.float32)
    ref = keras.layers.LSTM(U, return_sequences=True, return_state=True, go_backwards=go_backwards,
                            bias_initializer="random_normal")  # fmt: skip
    ref(x)
    cell = ref.cell
    h0 = c0 = tf.zeros((B, U))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        seq, h, c = ref(x)
        seq2, h2, c2 = block_lstm(x, h0, c0, cell.kernel, cell.recurrent_kernel, cell.bias, go_backwards)
        loss, loss2 = tf.reduce_sum(tf.sin(seq)) + tf.reduce_sum(c), tf.reduce_sum(tf.sin(seq2)) + tf.reduce_sum(c2)
    for a, b in ((seq, seq2), (h, h2), (c, c2)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)
    wrt = [cell.kernel, cell.recurrent_kernel, cell.bias, x]
    for g, g2 in zip(tape.gradient(loss, wrt), tape.gradient(loss2, wrt), strict=True):
        np.testing.assert_allclose(g.numpy(), g2.numpy(), rtol=1e-4, atol=1e-5)


def _model(masked: bool = False, **model) -> keras.Model:
    cfg = ModelConfig(**({"conv": [], "units": [U, 4], "dense_units": [4]} | model))
    info = InputInfo(kind="real", data_kind="sequences", window_length=T, n_channels=C, masked=masked)
    return build_model(cfg, info, 3, seed=1)


def test_the_built_lstm_trains_with_the_fused_kernel_and_equals_keras_loop(tmp_path):
    model = _model()
    assert any(isinstance(layer, FusedLSTM) for layer in model._flatten_layers())
    x = tf.constant(np.random.default_rng(1).standard_normal((B, T, C)), tf.float32)
    assert "BlockLSTM" in _ops(lambda v: model(v, training=True), x)
    with keras_loop():
        assert "BlockLSTM" not in _ops(lambda v: model(v, training=True), x)
        keras_out = model(x).numpy()
    np.testing.assert_allclose(model(x).numpy(), keras_out, atol=1e-6)
    # the XLA inference forward traces Keras' loop (no XLA kernel for BlockLSTM) and agrees
    xla = run_inference(model, x.numpy(), jit_compile=True)
    assert xla.compiled
    np.testing.assert_allclose(xla.probs, keras_out, atol=1e-5)
    model.save(tmp_path / "model.keras")
    np.testing.assert_allclose(load_trained_model(tmp_path / "model.keras")(x).numpy(), keras_out, atol=1e-6)


def test_keras_loop_where_the_fused_kernel_does_not_apply():
    x = tf.constant(np.random.default_rng(2).standard_normal((B, T, C)), tf.float32)
    masked = _model(masked=True)
    assert "BlockLSTM" not in _ops(lambda v: masked(v, training=True), x)
    with pytest.warns(UserWarning, match="recurrent_dropout"):
        dropped = _model(recurrent_dropout=0.2)
    assert "BlockLSTM" not in _ops(lambda v: dropped(v, training=True), x)
    layer = FusedLSTM(U, use_cudnn=False)  # what train.jit_compile builds: XLA needs Keras' loop
    layer(x)
    assert not layer.fused_applies(None) and FusedLSTM(U).fused_applies(None)
