"""Model spec (``cfg.model``) -> Keras 3 model, plus its readable name and parameter counts.

The builder stays on the fast recurrent path by default (tanh / sigmoid activations,
no recurrent dropout, ``unroll=False``, ``use_cudnn="auto"``), so a GPU uses the fused
cuDNN kernel and a CPU trains an LSTM with TensorFlow's fused ``BlockLSTM`` kernel
(:class:`~lstm_helpers.model.fused.FusedLSTM`; a GRU, and masked input, run Keras' loop).
``recurrent_dropout > 0`` is allowed but warned about, because it forces the slow generic
kernel.

Padded variable-length sequences are masked (``Masking`` for real-valued channels,
``Embedding(mask_zero=True)`` for tokens). Keras' ``Conv1D`` / ``MaxPooling1D`` drop a
mask, so a masked convolution front-end uses :class:`MaskedConvBlock`, which zeroes padded
timesteps before the convolution and pools the mask with the features; the optional
LSTM-FCN branch (``model.fcn``, :class:`FcnBranch`) likewise zeroes padding before each
convolution and averages over valid timesteps only.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import keras
import pandas as pd
from keras import layers, ops

from lstm_helpers.artifacts import NotAModel, check_model_file
from lstm_helpers.config import ModelConfig
from lstm_helpers.data.prepared import InputInfo
from lstm_helpers.model.compile import BalancedAccuracy  # noqa: F401 - registered: a compiled member's metric
from lstm_helpers.model.fused import FusedLSTM
from lstm_helpers.model.naming import fcn_blocks, model_name, pooling_error, resolve_model  # noqa: F401 - model_name re-exported
from lstm_helpers.model.schedules import SERIALIZATION_PACKAGE


# ---------------------------------------------------------------------- layers
@keras.saving.register_keras_serializable(package=SERIALIZATION_PACKAGE)
class MaskedConvBlock(layers.Layer):
    """``Conv1D(padding="same", relu)`` then ``MaxPooling1D(pool)`` that keeps the mask.

    Written by hand because Keras' convolution and pooling layers destroy an incoming
    mask (Keras warns and the recurrent layer would then read padding as data). Padded
    timesteps are set to 0 before the convolution; the output mask is the input mask
    max-pooled with the same window, i.e. a pooled step is valid when any of its input
    steps was. (Keras records the mask computation as small op nodes -- NotEqual, Any,
    MaxPool... -- in a functional model's summary; they hold no weights.)

    Parameters
    ----------
    filters, kernel_size, pool : int
        As in ``cfg.model.conv[i]``; ``pool`` 1 means no pooling.
    """

    def __init__(self, filters: int, kernel_size: int, pool: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.pool = int(pool)
        self.conv = layers.Conv1D(self.filters, self.kernel_size, padding="same", activation="relu")
        self.pooling = layers.MaxPooling1D(self.pool) if self.pool > 1 else None
        self.supports_masking = True

    def build(self, input_shape: tuple) -> None:
        self.conv.build(input_shape)
        self.built = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        if mask is not None:
            inputs = inputs * ops.expand_dims(ops.cast(mask, inputs.dtype), -1)
        x = self.conv(inputs)
        return self.pooling(x) if self.pooling is not None else x

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None or self.pool == 1:
            return mask
        pooled = ops.max_pool(ops.expand_dims(ops.cast(mask, "float32"), -1), self.pool, self.pool, "valid")
        return ops.squeeze(pooled, -1) > 0.5

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        steps = input_shape[1]
        if steps is not None and self.pool > 1:
            steps = steps // self.pool
        return (input_shape[0], steps, self.filters)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "pool": self.pool,
        }


@keras.saving.register_keras_serializable(package=SERIALIZATION_PACKAGE)
class FcnBranch(layers.Layer):
    """LSTM-FCN's convolutional branch: ``Conv1D -> BatchNorm -> ReLU`` blocks, then the
    global average over (valid) time steps, one vector per window.

    The fully convolutional branch of Karim et al.'s LSTM-FCN / MLSTM-FCN (2017, 2019:
    Conv1D 128/256/128 with kernels 8/5/3, ``same`` padding, no pooling). Written as one
    layer by hand because Keras' ``Conv1D`` drops an incoming mask and
    ``GlobalAveragePooling1D`` would then average padding: padded steps are zeroed before
    every convolution, ``BatchNormalization`` gets the mask (its batch moments skip
    padding) and the average runs over valid steps only.

    Parameters
    ----------
    blocks : list of (filters, kernel_size)
        As in ``cfg.model.fcn``.
    """

    def __init__(self, blocks: list[list[int]] | list[tuple[int, int]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.blocks = [(int(f), int(k)) for f, k in blocks]
        self.convs = [
            layers.Conv1D(f, k, padding="same", use_bias=False, name=f"conv{i + 1}")
            for i, (f, k) in enumerate(self.blocks)
        ]
        self.norms = [layers.BatchNormalization(name=f"bn{i + 1}") for i in range(len(self.blocks))]
        self.supports_masking = True

    def build(self, input_shape: tuple) -> None:
        shape = tuple(input_shape)
        for conv, norm in zip(self.convs, self.norms, strict=True):
            conv.build(shape)
            shape = conv.compute_output_shape(shape)
            norm.build(shape)
        self.built = True

    def call(self, inputs: Any, mask: Any = None, training: Any = None) -> Any:
        x = inputs
        weights = None if mask is None else ops.expand_dims(ops.cast(mask, inputs.dtype), -1)
        for conv, norm in zip(self.convs, self.norms, strict=True):
            if weights is not None:
                x = x * weights
            x = ops.relu(norm(conv(x), training=training, mask=mask))
        if weights is None:
            return ops.mean(x, axis=1)
        return ops.sum(x * weights, axis=1) / ops.maximum(ops.sum(weights, axis=1), 1.0)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None  # one vector per window: nothing left to mask

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], self.blocks[-1][0])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "blocks": [list(b) for b in self.blocks]}


# ---------------------------------------------------------------------- helpers
@keras.saving.register_keras_serializable(package=SERIALIZATION_PACKAGE)
class DimensionShuffle(layers.Layer):
    """``(batch, time, channels) -> (batch, channels, time)``: the recurrent layers then take
    one step per channel, each step the channel's whole window (LSTM-FCN's "dimension
    shuffle", Karim et al. 2017: on a one-channel series the LSTM reads it in a single step).
    Padded steps are zeroed first and no mask goes on (the time axis is now features).
    Written here because Keras' ``Permute`` passes a time mask through unchanged."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        if mask is not None:
            inputs = inputs * ops.expand_dims(ops.cast(mask, inputs.dtype), -1)
        return ops.transpose(inputs, (0, 2, 1))

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], input_shape[2], input_shape[1])


def lstm_param_count(input_dim: int, units: int, bidirectional: bool = False) -> int:
    """Trainable parameters of one Keras LSTM layer: ``4 * ((in + units) * units + units)``.

    Four gates, each with an input kernel (in x units), a recurrent kernel
    (units x units) and a bias (units); doubled for a bidirectional wrapper.
    """
    n = 4 * ((input_dim + units) * units + units)
    return 2 * n if bidirectional else n


def gru_param_count(input_dim: int, units: int, bidirectional: bool = False) -> int:
    """Trainable parameters of one Keras GRU layer (``reset_after=True``, the default):
    ``3 * ((in + units) * units + 2 * units)`` (two bias vectors per gate)."""
    n = 3 * ((input_dim + units) * units + 2 * units)
    return 2 * n if bidirectional else n


def _per_layer(value: float | list[float], n: int) -> list[float]:
    return list(value) if isinstance(value, list) else [float(value)] * n


def masking_enabled(model_cfg: ModelConfig, input_info: InputInfo) -> bool:
    """``model.masking``: ``auto`` follows ``prepare.json["input"]["masked"]``."""
    if model_cfg.masking == "auto":
        return input_info.masked
    return model_cfg.masking == "on"


def sequence_length_after_conv(model_cfg: ModelConfig, window_length: int) -> int:
    """Timesteps left after the convolution front-end (``same`` convs, ``valid`` pooling)."""
    steps = int(window_length)
    for block in model_cfg.conv:
        steps //= block.pool
    return steps


def check_model_input(model_cfg: ModelConfig, input_info: InputInfo, n_classes: int) -> None:
    """Refuse a model spec that cannot work on this input, before anything is built
    (the input facts themselves are checked by :meth:`InputInfo.from_dict`).

    Raises
    ------
    ValueError
        Naming the parameter and what would be valid.
    """
    if input_info.window_length is None or input_info.n_channels is None:
        raise ValueError("prepare.json['input'] lacks window_length / n_channels; re-run stage 01 (prepare)")
    if n_classes < 2:
        raise ValueError(f"need at least 2 classes to train a classifier, got {n_classes}")
    shrunk = pooling_error(model_cfg.conv, input_info.window_length)
    if shrunk:
        raise ValueError(shrunk)
    if input_info.tokens and model_cfg.dimension_shuffle:
        raise ValueError("model.dimension_shuffle needs real-valued channels, not tokens; set it to false")
    if input_info.tokens and masking_enabled(model_cfg, input_info) and input_info.mask_value != 0:
        raise ValueError(
            "masked token input must pad with token 0 (Embedding mask_zero), got "
            f"prepare.json['input']['mask_value'] = {input_info.mask_value!r}; "
            "set model.masking=off or re-prepare with data.mask_value=0"
        )


def resolve_unroll(model_cfg: ModelConfig, input_info: InputInfo) -> bool:
    """``model.unroll``, where it can apply: recurrent layers over a known number of unmasked
    steps. Unrolling turns TensorFlow's per-step while loop into straight-line graph ops:
    cheaper steps, a much longer first trace, and no cuDNN kernel on a GPU (warned). Masked
    (padded) input keeps the loop: Keras' unrolled layers scored padded windows differently
    from the loop (tests/test_models.py), so the loop's masking is kept (warned)."""
    if not model_cfg.unroll or model_cfg.cell == "none" or input_info.window_length is None:
        return False
    if masking_enabled(model_cfg, input_info):
        warnings.warn(
            "model.unroll = true is ignored for masked (padded) input: the recurrent layers "
            "keep their loop, which skips padded steps exactly",
            UserWarning,
            stacklevel=3,
        )
        return False
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        warnings.warn(
            "model.unroll = true leaves the fused cuDNN recurrent kernel on this GPU; set it to false there",
            UserWarning,
            stacklevel=3,
        )
    return True


def _recurrent(
    model_cfg: ModelConfig, units: int, return_sequences: bool, name: str, use_cudnn: bool | str, unroll: bool
) -> Any:
    cls = FusedLSTM if model_cfg.cell == "lstm" else layers.GRU  # FusedLSTM: Keras' LSTM, fused on a CPU
    layer = cls(
        units,
        return_sequences=return_sequences,
        recurrent_dropout=model_cfg.recurrent_dropout,
        unroll=unroll,
        use_cudnn=use_cudnn,
        name=name if not model_cfg.bidirectional else f"{name}_cell",
    )
    if model_cfg.bidirectional:
        return layers.Bidirectional(layer, name=name)
    return layer


def _inputs(model_cfg: ModelConfig, input_info: InputInfo, masked: bool) -> tuple[Any, Any]:
    """The ``keras.Input`` and the tensor after embedding (tokens) or masking (padded channels)."""
    steps = int(input_info.window_length or 0)
    if input_info.tokens:
        inputs = keras.Input(shape=(steps,), dtype="int32", name="tokens")
        x = layers.Embedding(
            int(input_info.vocab_size or 0),
            model_cfg.embedding_dim,
            mask_zero=masked,
            name="embedding",
        )(inputs)
        return inputs, x
    inputs = keras.Input(shape=(steps, int(input_info.n_channels or 0)), name="channels")
    x = inputs
    if masked:
        x = layers.Masking(mask_value=input_info.mask_value, name="masking")(x)
    return inputs, x


def _conv_front(model_cfg: ModelConfig, x: Any, masked: bool) -> Any:
    """The convolution blocks (mask-keeping :class:`MaskedConvBlock` when masked)."""
    for i, block in enumerate(model_cfg.conv, start=1):
        if masked:
            x = MaskedConvBlock(block.filters, block.kernel_size, block.pool, name=f"conv{i}")(x)
            continue
        x = layers.Conv1D(block.filters, block.kernel_size, padding="same", activation="relu", name=f"conv{i}")(x)
        if block.pool > 1:
            x = layers.MaxPooling1D(block.pool, name=f"pool{i}")(x)
    return x


def _sequence_body(model_cfg: ModelConfig, x: Any, use_cudnn: bool | str, unroll: bool = False) -> Any:
    """The recurrent stack with dropout between layers (global average pooling for ``cell: none``)."""
    if model_cfg.cell == "none":
        return layers.GlobalAveragePooling1D(name="global_average")(x)
    dropouts = _per_layer(model_cfg.dropout, len(model_cfg.units))
    last = len(model_cfg.units) - 1
    for i, (units, rate) in enumerate(zip(model_cfg.units, dropouts, strict=True)):
        x = _recurrent(model_cfg, units, i < last, f"{model_cfg.cell}{i + 1}", use_cudnn, unroll)(x)
        if rate > 0:
            x = layers.Dropout(rate, name=f"dropout{i + 1}")(x)
    return x


def _head(model_cfg: ModelConfig, x: Any, n_classes: int) -> Any:
    """Dense layers, then ``Dense(1, sigmoid)`` (binary) or ``Dense(K, softmax)``."""
    dense_dropouts = _per_layer(model_cfg.dense_dropout, len(model_cfg.dense_units))
    for i, (units, rate) in enumerate(zip(model_cfg.dense_units, dense_dropouts, strict=True)):
        x = layers.Dense(units, activation="relu", name=f"dense{i + 1}")(x)
        if rate > 0:
            x = layers.Dropout(rate, name=f"dense_dropout{i + 1}")(x)
    # float32 output under a mixed-precision policy (train.precision): probabilities and the
    # loss stay full precision; under float32 this changes nothing
    if n_classes == 2:
        return layers.Dense(1, activation="sigmoid", name="p_positive", dtype="float32")(x)
    return layers.Dense(n_classes, activation="softmax", name="p_classes", dtype="float32")(x)


def build_model(
    model_cfg: ModelConfig,
    input_info: InputInfo,
    n_classes: int,
    seed: int | None = None,
    use_cudnn: bool | str = "auto",
) -> keras.Model:
    """Build the (uncompiled) Keras model that ``cfg.model`` describes.

    Parameters
    ----------
    model_cfg : ModelConfig
        ``cfg.model``: cell (lstm / gru / none), units, bidirectional, dropout,
        recurrent_dropout, conv blocks, the LSTM-FCN branch (``fcn``), dense head,
        embedding_dim, masking.
    input_info : InputInfo
        Stage 01's input facts: kind (real / tokens), window_length, n_channels,
        vocab_size, masked, mask_value.
    n_classes : int
        2 gives ``Dense(1, sigmoid)`` = P(positive class); more gives ``Dense(K, softmax)``.
    seed : int, optional
        Seeds Keras' global generators (``keras.utils.set_random_seed``) so initial
        weights are reproducible.
    use_cudnn : "auto" or bool
        Passed to the recurrent layers. ``"auto"`` (default) takes the fused cuDNN kernel
        on a GPU; there Keras (TensorFlow backend) marks the model as not XLA compatible,
        so ``jit_compile=True`` needs ``use_cudnn=False`` to take effect.

    Returns
    -------
    keras.Model
        Named by :func:`model_name`.

    Raises
    ------
    ValueError
        When the spec cannot work on this input (see :func:`check_model_input`).
    """
    model_cfg = resolve_model(model_cfg, input_info.to_dict())  # model.architecture: auto
    check_model_input(model_cfg, input_info, n_classes)
    if model_cfg.recurrent_dropout > 0 and model_cfg.cell != "none":
        warnings.warn(
            f"model.recurrent_dropout = {model_cfg.recurrent_dropout} leaves the fast fused "
            "recurrent kernel (cuDNN on GPU): training is several times slower; prefer "
            "model.dropout between layers",
            UserWarning,
            stacklevel=2,
        )
    if seed is not None:
        keras.utils.set_random_seed(int(seed))
    masked = masking_enabled(model_cfg, input_info)
    inputs, x = _inputs(model_cfg, input_info, masked)
    branch = x
    x = _conv_front(model_cfg, x, masked)
    if model_cfg.dimension_shuffle:
        x = DimensionShuffle(name="dimension_shuffle")(x)
    x = _sequence_body(model_cfg, x, use_cudnn, resolve_unroll(model_cfg, input_info))
    if fcn := fcn_blocks(model_cfg, input_info.to_dict()):  # LSTM-FCN: the branch's summary beside the recurrent output
        blocks = [(b.filters, b.kernel_size) for b in fcn]
        x = layers.Concatenate(name="lstm_fcn")([x, FcnBranch(blocks, name="fcn")(branch)])
    outputs = _head(model_cfg, x, n_classes)
    return keras.Model(inputs, outputs, name=model_name(model_cfg, input_info.to_dict()))


def count_params(model: keras.Model) -> dict[str, int]:
    """Trainable, non-trainable and total parameter counts."""
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    non_trainable = sum(int(w.numpy().size) for w in model.non_trainable_weights)
    return {
        "trainable": trainable,
        "non_trainable": non_trainable,
        "total": trainable + non_trainable,
    }


def model_size_mb(model: keras.Model) -> float:
    """Size of the weights in memory, MB (10^6 bytes): sum of ``size * itemsize``."""
    total = sum(int(w.numpy().size) * w.numpy().dtype.itemsize for w in model.weights)
    return total / 1e6


def model_overview(model: keras.Model) -> pd.DataFrame:
    """One-row table: name, parameter counts, size in MB. For the average of several members
    (:func:`~lstm_helpers.model.ensemble.average_model`) the members, one member's parameters
    and all members' together, each so named."""
    counts = count_params(model)
    members = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    row: dict[str, Any] = {"model": model.name}
    if members:
        row |= {
            "members": len(members),
            "parameters per member": count_params(members[0])["total"],
            "parameters (all members)": counts["total"],
            "trainable (all members)": counts["trainable"],
            "size (MB, all members)": round(model_size_mb(model), 3),
        }
    else:
        row |= {
            "parameters": counts["total"],
            "trainable": counts["trainable"],
            "size (MB)": round(model_size_mb(model), 3),
        }
    return pd.DataFrame([{**row, "layers": len(model.layers)}])


def layer_table(model: keras.Model) -> pd.DataFrame:
    """One row per layer: name, kind, output shape (without the batch axis: ``50 x 6``) and
    parameters -- Keras' ``summary()`` as a table (Keras prints a box, it returns none)."""

    def shape(layer: Any) -> str:
        try:
            dims = tuple(layer.output.shape)[1:]
        except (AttributeError, ValueError):  # a layer used twice or not yet built has no single output
            return ""
        return " x ".join("?" if d is None else str(d) for d in dims)

    return pd.DataFrame(
        [
            {
                "layer": layer.name,
                "kind": type(layer).__name__,
                "output": shape(layer),
                "parameters": layer.count_params(),
            }
            for layer in model.layers
        ]
    )


def load_trained_model(path: str | Path, compile: bool = False) -> keras.Model:
    """Load a ``model.keras`` written by stage 02, refusing anything else in one line.

    Importing this module registers :class:`MaskedConvBlock`, the hand-written learning rate
    schedules and :class:`~lstm_helpers.model.compile.BalancedAccuracy`, which
    ``keras.models.load_model`` needs to rebuild such models: the metric too, because Keras
    recompiles every nested model that was saved compiled even under ``compile=False`` (the
    members of an averaged model written before :func:`~lstm_helpers.model.ensemble.average_model`
    left their compile settings out).
    ``compile=False`` (default) skips the optimizer and loss: enough for predictions.
    ``safe_mode=True`` refuses lambda layers and code a file would smuggle in; a file that
    fails to load for any reason (truncated, not a zip, foreign layers) raises
    :class:`~lstm_helpers.artifacts.NotAModel` naming the file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist; run stage 02 (notebooks/02_train.ipynb)")
    check_model_file(path)  # empty, truncated, foreign modules: refused before Keras reads it
    try:
        model = keras.models.load_model(path, compile=compile, safe_mode=True)
    except Exception as exc:  # noqa: BLE001 - Keras raises many types for a hostile or broken file
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise NotAModel(f"{path}: not a model this workbench saved ({type(exc).__name__}: {reason})") from None
    if not isinstance(model, keras.Model):
        raise NotAModel(f"{path}: not a model this workbench saved (it holds a {type(model).__name__})")
    return model
