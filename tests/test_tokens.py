"""Sequences of integer token ids (``data.kind: sequences``, ``data.tokens: true``): ids checked
(whole numbers >= 0, one channel) and mapped to model ids (0 padding, 1 out of vocabulary, the
training cases' ids from 2; data/README.md), int32 windows read by an Embedding, no scaling,
no interpolating resampling or augmentation, no MiniRocket baseline; ``predict`` maps new cases'
ids with the run's vocabulary.

The end-to-end test runs the CLI (``run`` then ``predict``) on 300 generated cases whose class is
whether code 7 occurs (about 40 s on a shared 2-core CPU); the others read data only."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT

from lstm_helpers.artifacts import load_npz
from lstm_helpers.cli import main
from lstm_helpers.config import ConfigError, load_config
from lstm_helpers.data.examples import write_example_tokens
from lstm_helpers.data.inputs import DataError
from lstm_helpers.data.prepare import run_prepare
from lstm_helpers.data.sequences import new_cases, read_sequences

EXAMPLE = ROOT / "configs" / "examples" / "token_sequences.yaml"
SMALL = {"train.epochs": 20, "train.verbose": 0, "train.batch_size": 32, "model.units": [16], "model.embedding_dim": 8}


def _config(npz: Path, **overrides: object):
    return load_config(EXAMPLE, {"data.path": str(npz), **SMALL, **overrides})


@pytest.fixture(scope="module")
def token_run(tmp_path_factory) -> tuple[Path, Path]:
    """A finished tiny token run made by the CLI, and its input file."""
    d = tmp_path_factory.mktemp("tokrun")
    npz = write_example_tokens(d / "tokens.npz", n=300)
    cfg = _config(npz, **{"run.reports_dir": str(d / "reports")})
    (d / "tokens.yaml").write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    assert main(["run", "--config", str(d / "tokens.yaml"), "--quiet"]) == 0
    (run,) = [p for p in (d / "reports").iterdir() if p.is_dir()]
    return run, npz


def test_a_token_run_embeds_the_ids_and_learns_the_rule(token_run):
    run, _ = token_run
    assert "_emb8_" in run.name  # the model name says it embeds its input
    with zipfile.ZipFile(run / "model.keras") as z:
        layers = json.loads(z.read("config.json"))["config"]["layers"]
    embedding = next(layer for layer in layers if layer["class_name"] == "Embedding")
    assert embedding["config"]["mask_zero"] and embedding["config"]["input_dim"] == 32  # 30 codes + pad + oov
    prep = json.loads((run / "prepare.json").read_text())
    assert prep["input"]["kind"] == "tokens" and prep["input"]["vocabulary"][:3] == ["<pad>", "<oov>", "1"]
    assert prep["scaler"]["method"] == "none" and prep["tokens"]["out_of_vocabulary"] == {"val": 0, "test": 0}
    assert load_npz(run / "prepared.npz")["X_train"].dtype == np.int32
    m = json.loads((run / "metrics.json").read_text())
    assert m["majority_baseline_accuracy"] < 0.6 and m["accuracy"] >= 0.8, m["accuracy"]  # chance is about 0.5
    page = (run / "report.html").read_text()
    assert "token ids" in page and "model id 0 is padding" in page
    assert "sequences of token ids (embedded: a vocabulary of 32)" in (run / "slides.html").read_text()


def test_predict_maps_ids_the_run_never_saw_to_out_of_vocabulary(token_run, tmp_path, capsys):
    run, _ = token_run
    new = dict(load_npz(write_example_tokens(tmp_path / "new.npz", n=60, seed=99)))
    X = new["X"].copy()
    X[X == 3] = 10_000  # an id no training case holds
    np.savez(tmp_path / "new.npz", X=X, y=new["y"])
    rc = main(["predict", "--run", str(run), "--input", str(tmp_path / "new.npz")])
    out = capsys.readouterr().out
    assert rc == 0, out
    unseen = int((X == 10_000).sum())
    assert unseen and f"{unseen} of {int((X > 0).sum()):,} token(s) are ids the run never saw" in out
    table = pd.read_csv(tmp_path / "new.predictions.csv")
    assert len(table) == 60 and (table["predicted"] == table["true_label"]).mean() >= 0.8
    # a real-valued file given to a token run: refused by name, before the model loads
    np.savez(tmp_path / "real.npz", X=np.full((3, 5), 0.5), y=["has_7", "no_7", "no_7"])
    rc = main(["predict", "--run", str(run), "--input", str(tmp_path / "real.npz")])
    err = capsys.readouterr().err
    assert rc == 2 and "array 'X' must hold token ids" in err and "the first: 0.5 in case 0, step 0" in err


# ----------------------------------------------------------------------------- data only
def _cfg(tmp_path: Path, arrays: dict, **overrides: object):
    np.savez(tmp_path / "t.npz", **arrays)
    return _config(tmp_path / "t.npz", **{"data.classes_of_interest": [], **overrides})


@pytest.mark.parametrize(
    "X,bad",
    [
        (np.array([[1.0, 2.0, 2.5], [3.0, 1.0, 0.0]]), "the first: 2.5 in case 0, step 2"),
        (np.array([[1, 2, 3], [3, -4, 0]]), "the first: -4 in case 1, step 1"),
        (np.array([[1.0, np.nan, 3.0], [3.0, 1.0, 0.0]]), "the first: nan in case 0, step 1"),
    ],
    ids=["fraction", "negative", "nan"],
)
def test_values_that_are_no_token_ids_are_refused_naming_file_array_and_value(X, bad, tmp_path):
    cfg = _cfg(tmp_path, {"X": X, "y": ["a", "b"]})
    with pytest.raises(DataError, match="t.npz: array 'X' must hold token ids, whole numbers >= 0") as err:
        read_sequences(cfg.data)
    assert bad in str(err.value)
    cfg = _cfg(tmp_path, {"X": np.ones((2, 3, 2)), "y": ["a", "b"]})
    with pytest.raises(DataError, match="holds 2 channels per step; data.tokens reads one channel"):
        read_sequences(cfg.data)


def test_ids_map_to_model_ids_with_zero_as_padding_or_as_a_token_with_lengths(tmp_path):
    # X without lengths: every 0 is padding (before or after the case), whole floats are ids
    cfg = _cfg(tmp_path, {"X": np.array([[0.0, 0.0, 5.0, 9.0], [9.0, 5.0, 5.0, 0.0]]), "y": ["a", "b"]})
    s = read_sequences(cfg.data)
    assert s.vocabulary == ["<pad>", "<oov>", "5", "9"]
    assert s.values.reshape(2, -1).tolist() == [[2, 3, 0], [3, 2, 2]] and s.lengths_true.tolist() == [2, 3]
    # with lengths, a 0 within a case's length is a real token id like any other
    cfg = _cfg(tmp_path, {"values": np.array([0, 7, 7, 0, 0]), "lengths": [2, 3], "y": ["a", "b"]})
    s = read_sequences(cfg.data)
    assert s.vocabulary == ["<pad>", "<oov>", "0", "7"] and s.values.reshape(2, -1).tolist() == [[2, 3, 0], [3, 2, 2]]
    cfg = _cfg(tmp_path, {"X": np.array([[0, 0], [1, 0]]), "y": ["a", "b"]})
    with pytest.raises(DataError, match="1 case.s. of 'X' hold only 0s, which are padding .* case 0"):
        read_sequences(cfg.data)


def test_ids_only_validation_or_test_hold_read_as_out_of_vocabulary_and_are_counted(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.integers(1, 6, (60, 8))
    split = np.array(["train"] * 30 + ["val"] * 15 + ["test"] * 15)
    X[split == "test", 0] = 42  # one id no training case holds
    cfg = _cfg(tmp_path, {"X": X, "y": np.tile(["a", "b"], 30), "split": split})
    data = run_prepare(cfg, tmp_path / "run")
    assert data.input_info.vocab_size == 7 and data.input_info.mask_value == 0.0  # ids 1-5 + pad + oov
    assert data.meta["tokens"]["out_of_vocabulary"] == {"val": 0, "test": 15}
    assert (data.X("test")[:, 0] == 1).all() and data.X("train").max() == 6
    assert "read as the out-of-vocabulary id 1: 0 of 120 tokens in val, 15 of 120 tokens in test" in " ".join(
        data.meta["notes"]
    )
    # new cases in predict: the run's vocabulary, unseen ids out of vocabulary
    s, _ = new_cases(
        {"X": np.array([[5, 42, 1, 0]])},
        cfg.data,
        tmp_path / "n.npz",
        ["a", "b"],
        8,
        1,
        vocabulary=data.input_info.vocabulary,
    )
    assert s.values.tolist()[:4] == [6, 1, 2, 0] and "1 of 3 token(s) are ids the run never saw" in s.notes[0]


def test_a_token_file_to_predict_of_the_wrong_shape_is_told_the_shape_without_a_y(tmp_path):
    """predict --input with a 1-D 'X' of ids (one case, no y) said "'X' must be (n, time, channels)
    with n = len(y) = 40": the file has no 'y', and token ids have no channels."""
    cfg = _config(tmp_path / "t.npz")
    for arrays, said in (
        ({"X": np.arange(1, 41)}, "'X' must be (n, time) of token ids, n cases and time >= 1 steps each: "
         "one case of 40 steps is X[None, :]; got shape (40,)"),
        ({"X": np.arange(1, 41), "y": np.array(["a"] * 3)}, "'X' must be (n, time) of token ids with n = len(y) = 3"),
        ({"y": np.array(["a"])}, "needs 'X' (n, time) of token ids or 'values' + 'lengths'"),
    ):  # fmt: skip
        with pytest.raises(DataError) as err:
            new_cases(arrays, cfg.data, tmp_path / "n.npz", ["a", "b"], 8, 1, vocabulary=["<pad>", "<oov>", "1"])
        assert said in str(err.value), str(err.value)
        assert ("y" in arrays or "len(y)" not in str(err.value)) and "channels" not in str(err.value)


def test_refusals_for_token_ids(tmp_path):
    with pytest.raises(ConfigError, match="data.tokens .* needs data.kind 'sequences'.* not data.kind 'recordings'"):
        load_config(ROOT / "configs" / "demo.yaml", {"data.tokens": True})
    with pytest.raises(ConfigError, match="not data.variable_length 'stretch'"):
        _config(tmp_path / "t.npz", **{"data.variable_length": "stretch"})
    arrays = {"X": np.random.default_rng(0).integers(1, 9, (40, 6)), "y": np.tile(["a", "b"], 20)}
    for method in ("smote", "augment"):
        cfg = _cfg(tmp_path, arrays, **{"resample.method": method})
        with pytest.raises(ValueError, match=f"resample.method '{method}' interpolates values .* token windows"):
            run_prepare(cfg, tmp_path / method)
    cfg = _cfg(tmp_path, arrays, **{"train.augment.jitter_sigma": 0.1})
    with pytest.raises(ConfigError, match=r"not to sequences of token ids \(data.tokens\)"):
        run_prepare(cfg, tmp_path / "aug")
    # refused before anything runs (run, sweep and search pre-checks), not by stage 01 of a started run
    from lstm_helpers.data.recordings import DataError
    from lstm_helpers.runs.pipeline import validate_inputs

    for key, value, said in (
        ("resample.method", "smote", "resample.method 'smote' interpolates between windows and cannot be used on"),
        ("resample.method", "augment", "resample.method 'augment' perturbs values and cannot be used on"),
        ("train.augment.jitter_sigma", 0.1, "not to sequences of token ids (data.tokens): set them to 0"),
    ):
        with pytest.raises(DataError, match=re.escape(said)):
            validate_inputs(_cfg(tmp_path, arrays, **{key: value}))
    # copying resamplers keep whole windows of ids
    data = run_prepare(_cfg(tmp_path, arrays, **{"resample.method": "oversample"}), tmp_path / "over")
    assert data.X_train.dtype == np.int32 and data.X_train.ndim == 2


def test_a_token_run_has_no_minirocket_baseline_and_reads_no_scaler(tmp_path):
    from lstm_helpers.judge.baseline import fit_baseline
    from lstm_helpers.unused import unused_settings

    X = np.ones((4, 5), np.int32)
    b = fit_baseline(X, np.array([0, 1, 0, 1]), {"val": X}, 2, input_kind="tokens")
    assert b.available is False and "token ids (text, data.tokens) have no baseline" in b.reason
    unused = unused_settings(_config(tmp_path / "t.npz"))
    assert "scale.method" in unused and "data.mask_value" in unused and "model.embedding_dim" not in unused


def test_settings_token_ids_never_read_are_noted_for_the_tokens_not_the_kind(tmp_path):
    """``scale.method = minmax`` on a token run was noted as "data.kind is sequences, which never
    reads it": sequences of real values do read it; token ids are why."""
    from lstm_helpers.unused import idle_notes

    cfg = _config(tmp_path / "t.npz", **{"scale.method": "minmax", "data.mask_value": -1.0})
    notes = [n for n in idle_notes(cfg) if n.startswith(("scale.method", "data.mask_value"))]
    assert len(notes) == 2 and all("has no effect: data.tokens is true" in n for n in notes), notes
