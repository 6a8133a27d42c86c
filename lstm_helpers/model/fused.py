"""An LSTM layer that trains on a CPU with TensorFlow's fused whole-sequence kernel.

On a CPU, Keras 3 (TensorFlow backend) runs an LSTM as a loop of small per-timestep ops: a
``while_loop``, or with ``unroll`` one copy of the cell per step. At the sizes of this
workbench (batch 64-128, 50-200 steps, 32-64 units) a training step is then dominated by
launching tens of thousands of tiny ops, not by the matmuls (benchmarks/README.md, "Tenth
session"). TensorFlow ships a kernel that runs the whole sequence in one op, forward
(``BlockLSTM``) and backward (``BlockLSTMGrad``: the kernels behind TF 1's
``LSTMBlockFusedCell``), but Keras reaches it on no device (on a GPU it takes cuDNN).

:class:`FusedLSTM` is ``keras.layers.LSTM`` -- same weights, same initialisation, same
saved weights, the same outputs to float rounding (tested against Keras' own loop, forward
and gradients) -- whose time loop goes to that kernel when all of these hold, and to Keras'
loop otherwise:

* no GPU is visible (there Keras' cuDNN path is faster) and ``use_cudnn`` is ``"auto"``
  (``train.jit_compile`` builds the layers with ``use_cudnn=False``: the fused op has no
  XLA kernel);
* no mask reaches the layer (padded variable-length sequences keep Keras' loop, which
  skips padded steps exactly), no recurrent or input dropout, the default ``tanh`` /
  ``sigmoid`` activations, a bias, float32 compute;
* not inside :func:`keras_loop` -- the XLA-compiled inference forward
  (``judge/inference.py``) traces the model there, because XLA has no kernel for the
  fused op and compiles Keras' loop well.

Written here: only the bridge. Keras orders the gates i, f, c, o; ``BlockLSTM`` wants
i, c, f, o, so the weight columns are permuted on every call (a copy of ~100 KB; its
gradient is the inverse permutation); inputs are transposed to time-major and reversed for
``go_backwards``. ``BlockLSTMV2`` has Keras' gate order but TensorFlow (2.21) registers
V1's gradient kernel for it, which reads the gates in V1's order: its weight gradients
are wrong, so V1 is used, with ``forget_bias=0`` (Keras' forget bias lives in the bias
vector) and no cell clipping.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

import keras
import tensorflow as tf

from lstm_helpers.model.schedules import SERIALIZATION_PACKAGE

_KERAS_LOOP = contextvars.ContextVar("lstm_workbench_keras_loop", default=False)


@contextlib.contextmanager
def keras_loop() -> Iterator[None]:
    """Inside this block, models traced use Keras' own LSTM loop (e.g. for XLA)."""
    token = _KERAS_LOOP.set(True)
    try:
        yield
    finally:
        _KERAS_LOOP.reset(token)


def _gates_icfo(a: Any, units: int) -> Any:
    """Keras' gate blocks (i, f, c, o) along the last axis -> ``BlockLSTM``'s (i, c, f, o)."""
    return tf.concat(
        [a[..., :units], a[..., 2 * units : 3 * units], a[..., units : 2 * units], a[..., 3 * units :]], -1
    )


def block_lstm(
    x: Any, h0: Any, c0: Any, kernel: Any, recurrent_kernel: Any, bias: Any, go_backwards: bool = False
) -> tuple[Any, Any, Any]:
    """Run an LSTM over ``x`` (batch, time, features) with ``BlockLSTM``.

    Returns ``(outputs, h, c)``: the hidden states (batch, time, units) in the order the
    steps were processed (reversed time for ``go_backwards``, as Keras' loop returns
    them) and the final hidden and cell states."""
    units = int(recurrent_kernel.shape[0])
    xt = tf.transpose(x, [1, 0, 2])
    if go_backwards:
        xt = tf.reverse(xt, [0])
    w = _gates_icfo(tf.concat([kernel, recurrent_kernel], 0), units)
    zeros = tf.zeros([units], x.dtype)  # peephole weights, unused
    outs = tf.raw_ops.BlockLSTM(
        seq_len_max=tf.cast(tf.shape(xt)[0], tf.int64), x=xt, cs_prev=c0, h_prev=h0, w=w,
        wci=zeros, wcf=zeros, wco=zeros, b=_gates_icfo(bias, units),
        forget_bias=0.0, cell_clip=-1.0, use_peephole=False,
    )  # fmt: skip
    cs, h = outs[1], outs[6]
    return tf.transpose(h, [1, 0, 2]), h[-1], cs[-1]


def _gpu_visible() -> bool:
    return bool(tf.config.list_logical_devices("GPU"))


@keras.saving.register_keras_serializable(package=SERIALIZATION_PACKAGE)
class FusedLSTM(keras.layers.LSTM):
    """``keras.layers.LSTM`` that trains with TensorFlow's fused ``BlockLSTM`` kernel on a
    CPU where it can (see the module docstring); otherwise exactly Keras' layer."""

    def fused_applies(self, mask: Any) -> bool:
        """Whether this call runs the fused kernel (decided when the call is traced)."""
        cell = self.cell
        return (
            not _KERAS_LOOP.get()
            and self.use_cudnn == "auto"
            and mask is None
            and not self.recurrent_dropout
            and not self.dropout
            and cell.use_bias
            and getattr(cell.activation, "__name__", "") == "tanh"
            and getattr(cell.recurrent_activation, "__name__", "") == "sigmoid"
            and self.compute_dtype == "float32"
            and not _gpu_visible()
        )

    def inner_loop(self, sequences: Any, initial_state: Any, mask: Any, training: bool = False) -> Any:
        if isinstance(mask, list | tuple):
            mask = mask[0]
        if not self.fused_applies(mask):
            return super().inner_loop(sequences, initial_state, mask, training=training)
        h0, c0 = initial_state
        cell = self.cell
        outputs, h, c = block_lstm(
            sequences, h0, c0, cell.kernel, cell.recurrent_kernel, cell.bias, go_backwards=self.go_backwards
        )
        return outputs[:, -1], outputs, [h, c]
