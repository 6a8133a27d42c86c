"""lstm_helpers.model.models: spec -> Keras model, names, parameter counts, masking, errors."""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest

from lstm_helpers.config import ModelConfig, TrainConfig
from lstm_helpers.data.prepared import InputInfo
from lstm_helpers.model.compile import make_loss, make_metrics
from lstm_helpers.model.models import (
    build_model,
    count_params,
    gru_param_count,
    load_trained_model,
    lstm_param_count,
    model_name,
    model_size_mb,
    resolve_unroll,
)

N, T, C, VOCAB = 32, 12, 3, 20


def _raw(kind: str = "real", masked: bool = False, length: int = T, **extra) -> dict:
    """``prepare.json["input"]`` as stage 01 writes it."""
    info = {
        "kind": kind,
        "window_length": length,
        "n_channels": 1 if kind == "tokens" else C,
        "vocab_size": VOCAB if kind == "tokens" else None,
        "masked": masked,
        "mask_value": 0.0,
    }
    info.update(extra)
    return info


def _info(kind: str = "real", masked: bool = False, length: int = T, **extra) -> InputInfo:
    return InputInfo.from_dict(_raw(kind, masked, length, **extra))


def _inputs(kind: str, masked: bool, rng: np.random.Generator, length: int = T) -> np.ndarray:
    if kind == "tokens":
        X = rng.integers(1, VOCAB, (N, length)).astype("int32")
        if masked:
            X[: N // 2, length // 2 :] = 0
    else:
        X = rng.normal(size=(N, length, C)).astype("float32")
        if masked:
            X[: N // 2, length // 2 :, :] = 0.0
    return X


CONV = {
    0: [],
    1: [{"filters": 8, "kernel_size": 3, "pool": 2}],
    2: [{"filters": 8, "kernel_size": 3, "pool": 2}, {"filters": 6, "kernel_size": 2, "pool": 1}],
}

# (cell, bidirectional, conv blocks, input kind, classes, masked): a covering set in which
# every pair of factor values occurs at least once
MATRIX = [
    ("lstm", False, 0, "real", 2, False),
    ("lstm", True, 0, "real", 4, True),
    ("lstm", True, 1, "real", 2, True),
    ("lstm", False, 2, "tokens", 4, True),
    ("lstm", True, 1, "tokens", 2, False),
    ("lstm", True, 2, "real", 2, True),
    ("lstm", False, 1, "real", 4, False),
    ("gru", False, 0, "tokens", 2, True),
    ("gru", True, 2, "real", 4, False),
    ("gru", True, 0, "real", 2, False),
    ("gru", False, 1, "real", 4, True),
    ("gru", True, 1, "tokens", 4, True),
    ("none", False, 1, "real", 2, True),
    ("none", False, 2, "tokens", 4, False),
]
# the LSTM-FCN branch (model.fcn) on top of some of them: conv front end or not, masked or not
FCN_CASES = {0, 2, 3, 8, 12}
FCN = [{"filters": 8, "kernel_size": 5}, {"filters": 6, "kernel_size": 3}]


@pytest.mark.parametrize(
    "cell,bidirectional,n_conv,kind,n_classes,masked,fcn",
    [(*case, i in FCN_CASES) for i, case in enumerate(MATRIX)],
    ids=[
        f"{c}-{'bi' if b else 'uni'}-cv{n}-{k}-K{K}-{'mask' if m else 'nomask'}" + ("-fcn" if i in FCN_CASES else "")
        for i, (c, b, n, k, K, m) in enumerate(MATRIX)
    ],
)
def test_builds_and_trains_one_step(cell, bidirectional, n_conv, kind, n_classes, masked, fcn):
    spec = ModelConfig(
        fcn=FCN if fcn else [],
        cell=cell,
        units=[8, 6] if cell != "none" else [8],
        bidirectional=bidirectional,
        dropout=0.1,
        conv=CONV[n_conv],
        dense_units=[4],
        embedding_dim=5,
    )
    model = build_model(spec, _info(kind, masked), n_classes, seed=0)
    rng = np.random.default_rng(0)
    X = _inputs(kind, masked, rng)
    y = rng.integers(0, n_classes, N)
    out = keras.ops.convert_to_numpy(model(X, training=False))  # eager: no graph tracing
    assert out.shape == ((N, 1) if n_classes == 2 else (N, n_classes))
    assert np.all((out >= 0) & (out <= 1))
    if n_classes > 2:
        np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
    train_cfg = TrainConfig()
    model.compile("adam", loss=make_loss(train_cfg, n_classes), metrics=make_metrics(train_cfg, n_classes))
    labels = y.reshape(-1, 1).astype("float32") if n_classes == 2 else y
    before = [w.copy() for w in model.get_weights()]
    hist = model.fit(X, labels, batch_size=N, epochs=1, verbose=0)
    assert np.isfinite(hist.history["loss"][0])
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    # the layers the spec asks for are there
    layer_types = {type(layer).__name__ for layer in model.layers}
    if cell != "none":
        assert ("Bidirectional" in layer_types) == bidirectional
    else:
        assert "GlobalAveragePooling1D" in layer_types and not {"LSTM", "GRU"} & layer_types
    assert ("Embedding" in layer_types) == (kind == "tokens")
    if masked and kind == "real":
        assert "Masking" in layer_types
    if n_conv and masked:
        assert "MaskedConvBlock" in layer_types
    elif n_conv:
        assert "Conv1D" in layer_types
    assert ("FcnBranch" in layer_types) == fcn
    if fcn:  # its summary (last block's filters) sits beside the recurrent / pooled output
        joined = model.get_layer("lstm_fcn").output.shape[-1]
        body = model.get_layer("lstm_fcn").input[0].shape[-1]
        assert joined == body + FCN[-1]["filters"]


def test_lstm_parameter_count_matches_formula():
    spec = ModelConfig(cell="lstm", units=[16, 8], bidirectional=False, dense_units=[], dropout=0.0, conv=[])
    model = build_model(spec, _info(), 2, seed=0)
    assert model.get_layer("lstm1").count_params() == lstm_param_count(C, 16) == 4 * ((C + 16) * 16 + 16)
    assert model.get_layer("lstm2").count_params() == lstm_param_count(16, 8)
    bi = build_model(spec.model_copy(update={"bidirectional": True}), _info(), 2, seed=0)
    assert bi.get_layer("lstm1").count_params() == lstm_param_count(C, 16, bidirectional=True)
    # second layer reads both directions of the first
    assert bi.get_layer("lstm2").count_params() == lstm_param_count(32, 8, bidirectional=True)
    total = lstm_param_count(C, 16, True) + lstm_param_count(32, 8, True) + (16 + 1)
    assert count_params(bi)["total"] == bi.count_params() == total
    assert model_size_mb(bi) == pytest.approx(total * 4 / 1e6)


def test_gru_parameter_count_matches_formula():
    spec = ModelConfig(cell="gru", units=[8], bidirectional=True, dense_units=[], conv=[])
    model = build_model(spec, _info(), 2, seed=0)
    assert model.get_layer("gru1").count_params() == gru_param_count(C, 8, bidirectional=True)


@pytest.mark.parametrize(
    "spec",
    [
        {"cell": "lstm", "units": [8], "bidirectional": True, "conv": []},
        {"cell": "gru", "units": [8], "bidirectional": False, "conv": CONV[1]},
        {"cell": "none", "conv": CONV[2]},
        {"cell": "lstm", "units": [8], "bidirectional": True, "conv": CONV[1], "fcn": FCN},
    ],
    ids=["bilstm", "gru-conv", "cnn", "bilstm-conv-fcn"],
)
@pytest.mark.parametrize("kind", ["real", "tokens"])
def test_masked_padding_does_not_change_the_output(spec, kind):
    """A window padded from 6 to 12 steps must score like the 6-step window itself."""
    model_cfg = ModelConfig(dense_units=[4], dropout=0.0, dense_dropout=0.0, **spec)
    long_model = build_model(model_cfg, _info(kind, masked=True, length=12), 3, seed=0)
    short_model = build_model(model_cfg, _info(kind, masked=True, length=6), 3, seed=0)
    short_model.set_weights(long_model.get_weights())
    rng = np.random.default_rng(1)
    short = _inputs(kind, False, rng, length=6)
    if kind == "tokens":
        padded = np.concatenate([short, np.zeros_like(short)], axis=1)
    else:
        padded = np.concatenate([short, np.zeros_like(short)], axis=1)
    np.testing.assert_allclose(long_model.predict(padded, verbose=0), short_model.predict(short, verbose=0), atol=1e-5)
    # and without masking the padding does change it (the test can fail)
    unmasked = build_model(model_cfg.model_copy(update={"masking": "off"}), _info(kind, True, 12), 3, 0)
    unmasked_short = build_model(model_cfg.model_copy(update={"masking": "off"}), _info(kind, True, 6), 3, 0)
    unmasked_short.set_weights(unmasked.get_weights())
    assert not np.allclose(unmasked.predict(padded, verbose=0), unmasked_short.predict(short, verbose=0), atol=1e-5)


def test_masking_auto_follows_prepare_json():
    spec = ModelConfig(units=[4], dense_units=[])
    assert "masking" in [layer.name for layer in build_model(spec, _info(masked=True), 2).layers]
    assert "masking" not in [layer.name for layer in build_model(spec, _info(masked=False), 2).layers]
    forced = build_model(spec.model_copy(update={"masking": "on"}), _info(masked=False), 2)
    assert "masking" in [layer.name for layer in forced.layers]


def test_dropout_per_layer_and_fast_path_defaults():
    spec = ModelConfig(units=[8, 4], dropout=[0.3, 0.1], dense_units=[4, 2], dense_dropout=[0.2, 0.0])
    model = build_model(spec, _info(), 2)
    rates = {layer.name: layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)}
    assert rates == {"dropout1": 0.3, "dropout2": 0.1, "dense_dropout1": 0.2}
    lstm = model.get_layer("lstm1").forward_layer
    assert lstm.cell.activation.__name__ == "tanh" and lstm.cell.recurrent_activation.__name__ == "sigmoid"
    assert lstm.unroll is False and lstm.use_cudnn == "auto" and lstm.cell.recurrent_dropout == 0


def test_unrolled_model_scores_like_the_loop():
    """model.unroll = true unrolls every recurrent layer (the time loop becomes graph ops) and
    changes no output: the same weights score the same windows."""
    spec = {"units": [6, 4], "conv": CONV[1], "dense_units": [4], "dropout": 0.0, "dense_dropout": 0.0}
    loop = build_model(ModelConfig(**spec), _info(), 3, seed=0)
    unrolled = build_model(ModelConfig(**spec, unroll=True), _info(), 3, seed=0)
    unrolled.set_weights(loop.get_weights())
    recurrent = [unrolled.get_layer(n).forward_layer for n in ("lstm1", "lstm2")]
    assert all(layer.unroll for layer in recurrent) and not loop.get_layer("lstm1").forward_layer.unroll
    X = _inputs("real", False, np.random.default_rng(2))
    np.testing.assert_allclose(unrolled.predict(X, verbose=0), loop.predict(X, verbose=0), atol=1e-5)


def test_unroll_keeps_the_loop_for_masked_input():
    """Keras' unrolled layers score padded windows differently from the loop (5e-3 here), so
    masked input keeps the loop, with a warning."""
    spec = ModelConfig(units=[6], dense_units=[], unroll=True)
    with pytest.warns(UserWarning, match="model.unroll = true is ignored for masked"):
        model = build_model(spec, _info(masked=True), 2, seed=0)
    assert not model.get_layer("lstm1").forward_layer.unroll


def test_unroll_applies_only_where_asked_and_possible():
    """Off by default; on when asked; a conv-only model has no recurrent layer to unroll."""
    assert resolve_unroll(ModelConfig(units=[4], dense_units=[], unroll=True), _info()) is True
    assert resolve_unroll(ModelConfig(cell="none", conv=CONV[1], unroll=True), _info()) is False
    assert resolve_unroll(ModelConfig(units=[4]), _info()) is False


def test_recurrent_dropout_warns_about_the_slow_kernel():
    with pytest.warns(UserWarning, match="fast fused"):
        build_model(ModelConfig(units=[4], recurrent_dropout=0.2), _info(), 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        build_model(ModelConfig(units=[4]), _info(), 2)


def test_model_names():
    def name(info=None, **spec):
        return model_name(ModelConfig(**spec), info)

    assert (
        name(
            cell="lstm",
            units=[64, 32],
            bidirectional=True,
            dense_units=[],
            conv=[{"filters": 128, "kernel_size": 5, "pool": 1}],
        )
        == "bilstm_cv1-128x5_lay2_sz64-32"
    )
    assert name(cell="gru", units=[128], bidirectional=False, dense_units=[], conv=[]) == "gru_lay1_sz128"
    assert (
        name(
            cell="none",
            dense_units=[],
            conv=[
                {"filters": 64, "kernel_size": 5, "pool": 1},
                {"filters": 64, "kernel_size": 3, "pool": 1},
            ],
        )
        == "cnn_cv2-64x5-64x3"
    )
    assert name(units=[64, 32], conv=[]) == "bilstm_lay2_sz64-32_d32"
    assert name(_raw("tokens"), units=[128, 64], embedding_dim=64, conv=[]) == "bilstm_emb64_lay2_sz128-64_d32"
    # the default: the two-block conv front end (each block pools time by 2) before the BiLSTM
    assert name() == "bilstm_cv2-64x5p2-64x5p2_lay2_sz64-32_d32"
    assert name(units=[8], conv=[], fcn=FCN) == "bilstm_fcn2-8x5-6x3_lay1_sz8_d32"
    # architecture differences give different names
    variants = [
        {"units": [64]},
        {"units": [64], "bidirectional": False},
        {"units": [64], "cell": "gru"},
        {"units": [64], "dense_units": [16]},
        {"units": [64], "conv": CONV[1]},
        {"units": [64], "conv": [{"filters": 8, "kernel_size": 3, "pool": 1}]},
        {"units": [64], "fcn": FCN},
        {"units": [64], "fcn": FCN[:1]},
    ]
    assert len({name(**v) for v in variants}) == len(variants)
    built = build_model(ModelConfig(units=[8]), _info(), 2)
    assert built.name == name(units=[8])


@pytest.mark.parametrize(
    "spec,info,match",
    [
        (
            {
                "conv": [
                    {"filters": 4, "kernel_size": 3, "pool": 4},
                    {"filters": 4, "kernel_size": 3, "pool": 4},
                ]
            },
            {},
            r"model\.conv\[1\]\.pool",
        ),
        ({}, {"kind": "tokens", "vocab_size": None}, "vocab_size"),
        ({"masking": "on"}, {"kind": "tokens", "vocab_size": 20, "mask_value": -1.0}, "mask_value"),
        ({}, {"kind": "image"}, "kind"),
        ({}, {"window_length": None}, "window_length"),
    ],
    ids=[
        "pool-too-large",
        "tokens-without-vocab",
        "token-mask-not-zero",
        "bad-kind",
        "missing-length",
    ],
)
def test_incompatible_spec_is_refused(spec, info, match):
    with pytest.raises(ValueError, match=match):
        build_model(ModelConfig(units=[4], **spec), InputInfo.from_dict({**_raw(), **info}), 2)


def test_single_class_is_refused():
    with pytest.raises(ValueError, match="at least 2 classes"):
        build_model(ModelConfig(units=[4]), _info(), 1)


@pytest.mark.parametrize("fcn", [[], FCN], ids=["conv", "conv-fcn"])
def test_masked_conv_model_saves_and_loads(tmp_path, fcn):
    spec = ModelConfig(units=[4], conv=CONV[1], fcn=fcn, dense_units=[])
    model = build_model(spec, _info(masked=True), 2, seed=0)
    X = _inputs("real", True, np.random.default_rng(0))
    if fcn:  # one step of training so BatchNorm's moving statistics are not the initial ones
        model.compile("adam", "binary_crossentropy")
        model.fit(X, np.arange(N) % 2, epochs=1, batch_size=N, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = load_trained_model(path)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), atol=1e-6)
    with pytest.raises(FileNotFoundError, match="stage 02"):
        load_trained_model(tmp_path / "missing.keras")


def test_fcn_auto_adds_the_lstm_fcn_branch_for_one_real_channel_only():
    """``model.fcn: auto`` (the default): the paper's branch on a univariate series, none on
    several channels or tokens; the model's name and the run's planned name say which."""
    from lstm_helpers.config import resolve_config
    from lstm_helpers.model.naming import fcn_blocks, planned_model_name

    spec = ModelConfig(units=[4], dense_units=[])
    assert spec.fcn == "auto"
    one = build_model(spec, _info(n_channels=1, channels=["x"]), 3, seed=0)
    assert "fcn" in [layer.name for layer in one.layers] and "_fcn3-128x8-256x5-128x3_" in one.name
    for info in (_info(), _info("tokens")):  # C channels; token ids
        model = build_model(spec, info, 3, seed=0)
        assert "fcn" not in [layer.name for layer in model.layers] and "fcn" not in model.name
    assert fcn_blocks(ModelConfig(fcn=[]), {"kind": "real", "n_channels": 1}) == []  # [] turns it off
    cfg = resolve_config({"data": {"kind": "recordings", "channels": ["acc"]}})
    assert "_fcn3-" in planned_model_name(cfg)
    assert "fcn" not in planned_model_name(resolve_config({"data": {"kind": "recordings", "channels": ["a", "b"]}}))


def test_dimension_shuffle_reads_one_step_per_channel_and_ignores_padding(tmp_path):
    """``model.dimension_shuffle`` (LSTM-FCN's): the LSTM takes C steps of T values; padded
    steps enter as zeros whatever the mask value; the model saves and loads."""
    spec = ModelConfig(units=[4], bidirectional=False, conv=[], dimension_shuffle=True, dense_units=[], dropout=0.0)
    model = build_model(spec, _info(masked=True, mask_value=-1.0), 3, seed=0)
    assert model.name.startswith("lstmT_") and tuple(model.get_layer("lstm1").input.shape) == (None, C, T)
    X = _inputs("real", False, np.random.default_rng(2))
    X[: N // 2, T // 2 :, :] = -1.0  # padding at the mask value
    zeros = np.where(X == -1.0, 0.0, X).astype("float32")
    plain = build_model(spec.model_copy(update={"masking": "off"}), _info(mask_value=-1.0), 3, seed=0)
    plain.set_weights(model.get_weights())
    np.testing.assert_allclose(model.predict(X, verbose=0), plain.predict(zeros, verbose=0), atol=1e-6)
    assert not np.allclose(plain.predict(X, verbose=0), plain.predict(zeros, verbose=0), atol=1e-5)  # it can fail
    model.save(tmp_path / "model.keras")
    np.testing.assert_allclose(
        load_trained_model(tmp_path / "model.keras").predict(X, verbose=0), model.predict(X, verbose=0), atol=1e-6
    )


def test_dimension_shuffle_needs_no_conv_front_end_and_real_channels():
    from lstm_helpers.config import ConfigError, resolve_config

    with pytest.raises(ConfigError, match=r"dimension_shuffle turns time into features: it needs conv: \[\]"):
        resolve_config({}, {"model.dimension_shuffle": True})
    shuffled = ModelConfig(units=[4], conv=[], dimension_shuffle=True)
    with pytest.raises(ValueError, match="model.dimension_shuffle needs real-valued channels"):
        build_model(shuffled, _info("tokens"), 2)


def test_a_config_that_names_the_network_builds_it_even_at_default_values():
    """``model.architecture`` becomes ``as_set`` when a config names an architecture field
    (YAML, ``--set``, sweep, search), even at the default's value; a data-only config keeps
    ``auto``; a written params file (every field, architecture included) reads back as it was."""
    from lstm_helpers.config import resolve_config

    data = {"data": {"kind": "sequences", "path": "x.npz", "demo": False}}
    assert resolve_config(data).model.architecture == "auto"
    for key, value in (("model.units", [64, 32]), ("model.dropout", 0.2), ("model.conv", [{}, {}])):
        spelled = resolve_config(data, {key: value})
        assert spelled.model.architecture == "as_set", key
        model = build_model(spelled.model, _info(n_channels=1, channels=["x"]), 3, seed=0)
        assert model.name.startswith("bilstm_cv2") and "dimension_shuffle" not in [ly.name for ly in model.layers]
    assert resolve_config(data, {"model.architecture": "auto", "model.units": [64, 32]}).model.architecture == "auto"
    assert resolve_config(data, {"model.masking": "off"}).model.architecture == "auto"  # not the network's shape
    for cfg in (resolve_config(data), resolve_config(data, {"model.units": [16]})):
        assert resolve_config(cfg.to_dict()).model == cfg.model  # params.yaml round trip


def test_architecture_auto_builds_lstm_fcn_for_one_fixed_length_channel_only():
    """``model.architecture: auto`` (the default): LSTM-FCN as published on one unpadded real
    channel while the architecture fields keep their defaults; padded series, several
    channels, tokens, a field the user set, or ``as_set`` build the fields as given."""
    from lstm_helpers.config import resolve_config
    from lstm_helpers.model.naming import planned_model_name

    one = build_model(ModelConfig(), _info(n_channels=1, channels=["x"]), 3, seed=0)
    names = [layer.name for layer in one.layers]
    assert one.name == "lstmT_fcn3-128x8-256x5-128x3_lay1_sz8"
    assert "dimension_shuffle" in names and "fcn" in names and not any(n.startswith("dense") for n in names)
    assert one.get_layer("dropout1").rate == 0.8 and tuple(one.get_layer("lstm1").input.shape) == (None, 1, T)
    as_given = [
        (ModelConfig(), _info(masked=True, n_channels=1, channels=["x"])),  # padded: the shuffle would mix phases
        (ModelConfig(), _info()),  # C channels
        (ModelConfig(), _info("tokens")),
        (ModelConfig(units=[16]), _info(n_channels=1, channels=["x"])),  # the user chose a field
        (ModelConfig(architecture="as_set"), _info(n_channels=1, channels=["x"])),
    ]
    for spec, info in as_given:
        model = build_model(spec, info, 3, seed=0)
        assert "dimension_shuffle" not in [layer.name for layer in model.layers] and "lstmT" not in model.name
    # the run's planned name: recordings of one listed channel are fixed-length windows
    assert planned_model_name(resolve_config({"data": {"kind": "recordings", "channels": ["acc"]}})).startswith(
        "lstmT_"
    )
    two = resolve_config({"data": {"kind": "recordings", "channels": ["a", "b"]}})
    assert planned_model_name(two).startswith("bilstm_cv2")


def test_pools_that_shrink_the_window_to_nothing_are_refused_by_the_builder():
    """The same check (model.naming.pooling_error) the sweep planner makes where the length is known."""
    blocks = [{"filters": 4, "kernel_size": 3, "pool": 4}, {"filters": 4, "kernel_size": 3, "pool": 4}]
    with pytest.raises(ValueError, match=r"model.conv\[1\].pool = 4: the pooling \[4, 4\] shrinks the 10-step window"):
        build_model(ModelConfig(units=[4], conv=blocks), _info(length=10), 2)
    assert build_model(ModelConfig(units=[4], conv=blocks), _info(length=16), 2) is not None  # 16 // 16 = 1 step
