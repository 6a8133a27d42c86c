"""lstm_helpers.model.training: losses, class weights, monitors, callbacks, resume, determinism,
artifacts, clear errors, and a papermill smoke run of notebooks/02_train.ipynb."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

from lstm_helpers.artifacts import load_npz, save_npz, write_json, write_yaml
from lstm_helpers.config import Config, TrainConfig, resolve_config
from lstm_helpers.layout import RunLayout
from lstm_helpers.model.callbacks import (
    AtomicModelCheckpoint,
    ResumableEarlyStopping,
    ResumableReduceLROnPlateau,
    best_so_far,
    improves,
)
from lstm_helpers.model.compile import make_loss, monitor_explanation, resolve_monitor
from lstm_helpers.model.datasets import recurrent_use_cudnn, training_stream
from lstm_helpers.model.models import load_trained_model
from lstm_helpers.model.timing import TimingCallback
from lstm_helpers.model.training import run_training

ROOT = Path(__file__).resolve().parent.parent
TRAIN_JSON_KEYS = {
    "model_name",
    "spec",
    "n_params",
    "size_mb",
    "epochs_run",
    "best_epoch",
    "stopped_early",
    "seconds_per_epoch",
    "seconds_per_epoch_mean",
    "windows_per_second",
    "total_seconds",
    "device",
    "versions",
    "monitor",
    "loss",
    "optimizer",
}


def make_prepared(
    run_dir: Path,
    n_train: int = 64,
    length: int = 12,
    channels: int = 3,
    n_classes: int = 2,
    kind: str = "real",
    masked: bool = False,
    class_weight: dict[str, float] | None = None,
    seed: int = 0,
) -> Path:
    """prepared.npz + prepare.json as the contract describes, from synthetic windows whose
    class shows in channel 0 (real) or the first token (tokens), so models can learn."""
    rng = np.random.default_rng(seed)
    run_dir.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    for split, n in (("train", n_train), ("val", n_train // 2), ("test", n_train // 2)):
        y = rng.permutation(np.arange(n) % n_classes).astype(np.int64)
        if kind == "tokens":
            X = rng.integers(1, 20, (n, length)).astype(np.int32)
            X[:, 0] = 1 + y
            if masked:
                X[: n // 2, length // 2 :] = 0
        else:
            X = rng.normal(size=(n, length, channels)).astype(np.float32)
            X[:, :, 0] += 1.5 * (y[:, None] - (n_classes - 1) / 2)
            if masked:
                X[: n // 2, length // 2 :, :] = 0.0
        arrays |= {
            f"X_{split}": X,
            f"y_{split}": y,
            f"rec_{split}": np.array([f"r{i % 4}" for i in range(n)]),
            f"start_{split}": np.arange(n, dtype=np.int64),
            f"synthetic_{split}": np.zeros(n, bool),
        }
    save_npz(run_dir / "prepared.npz", arrays)
    classes = ["other", "play"] if n_classes == 2 else [f"class{i}" for i in range(n_classes)]
    write_json(
        run_dir / "prepare.json",
        {
            "classes": classes,
            "positive_class": "play" if n_classes == 2 else None,
            "positive_index": 1 if n_classes == 2 else None,
            "classes_of_interest": classes[1:2],
            "input": {
                "kind": kind,
                "window_length": length,
                "n_channels": 1 if kind == "tokens" else channels,
                "channels": ["token"] if kind == "tokens" else [f"ch{i}" for i in range(channels)],
                "vocab_size": 20 if kind == "tokens" else None,
                "masked": masked,
                "mask_value": 0.0,
                "sample_rate_hz": None,
                "step": None,
                "data_kind": "text" if kind == "tokens" else "sequences",
            },
            "class_weight": class_weight,
        },
    )
    return run_dir


def tiny_cfg(**overrides) -> Config:
    base = {
        "seed": 7,
        "model.conv": [],  # the default's conv front end: test_default_recipe_trains
        "model.units": [8],
        "model.dense_units": [4],
        "model.bidirectional": False,
        "train.epochs": 3,
        "train.batch_size": 16,
        "train.verbose": 0,
        "train.early_stopping.patience": 10,
        "train.ensemble": 1,  # seed ensembles: tests/test_ensemble.py
    }
    base.update({k.replace("__", "."): v for k, v in overrides.items()})
    return resolve_config({}, base)


# ---------------------------------------------------------------------- losses
def _focal_expected(y, p, alpha, gamma):
    """Focal loss (Lin et al. 2017) with alpha = weight of the positive class."""
    y, p = np.asarray(y, float), np.asarray(p, float)
    pos = -alpha * (1 - p) ** gamma * np.log(p)
    neg = -(1 - alpha) * p**gamma * np.log(1 - p)
    return float(np.mean(np.where(y == 1, pos, neg)))


def test_focal_alpha_weights_positives_alpha_and_negatives_one_minus_alpha():
    y = np.array([[1.0], [1.0], [0.0], [0.0]])
    p = np.array([[0.9], [0.3], [0.2], [0.7]])

    def loss(**kw):
        return float(make_loss(TrainConfig(loss="focal", **kw), 2)(y, p))

    assert loss(focal_alpha=0.75, focal_gamma=2.0) == pytest.approx(_focal_expected(y, p, 0.75, 2.0), rel=1e-5)
    assert loss(focal_alpha=0.25, focal_gamma=0.0) == pytest.approx(_focal_expected(y, p, 0.25, 0.0), rel=1e-5)
    # alpha None: both classes weight 1 (plain focal)
    unweighted = np.mean(np.where(y == 1, -((1 - p) ** 2) * np.log(p), -(p**2) * np.log(1 - p)))
    assert loss(focal_gamma=2.0) == pytest.approx(unweighted, rel=1e-5)
    # only positives: the loss scales by alpha exactly
    pos = np.array([[1.0]]), np.array([[0.6]])
    with_alpha = float(make_loss(TrainConfig(loss="focal", focal_alpha=0.8), 2)(*pos))
    without = float(make_loss(TrainConfig(loss="focal"), 2)(*pos))
    assert with_alpha == pytest.approx(0.8 * without, rel=1e-5)


def test_losses_by_task():
    assert make_loss(TrainConfig(), 2).name == "binary_crossentropy"
    assert make_loss(TrainConfig(), 3).name == "sparse_categorical_crossentropy"
    assert make_loss(TrainConfig(label_smoothing=0.1), 3).name == "categorical_crossentropy"
    assert make_loss(TrainConfig(loss="focal"), 3).name == "categorical_focal_crossentropy"
    smoothed = make_loss(TrainConfig(label_smoothing=0.2), 2)
    assert float(smoothed(np.array([[1.0]]), np.array([[0.9]]))) == pytest.approx(
        -(0.9 * np.log(0.9) + 0.1 * np.log(0.1)), rel=1e-4
    )
    with pytest.raises(ValueError, match="focal_alpha"):
        make_loss(TrainConfig(loss="focal", focal_alpha=0.25), 3)


def test_monitor_resolution():
    assert resolve_monitor(TrainConfig(), 2) == ("val_pr_auc", "max")
    assert resolve_monitor(TrainConfig(), 5) == ("val_balanced_accuracy", "max")
    assert resolve_monitor(TrainConfig(monitor="val_accuracy"), 5) == ("val_accuracy", "max")
    assert resolve_monitor(TrainConfig(monitor="val_loss"), 2) == ("val_loss", "min")
    assert resolve_monitor(TrainConfig(monitor="val_top3_accuracy", top_k=3), 5) == (
        "val_top3_accuracy",
        "max",
    )
    with pytest.raises(ValueError, match=r"train\.monitor = 'val_pr_auc'.*val_accuracy"):
        resolve_monitor(TrainConfig(monitor="val_pr_auc"), 4)


def test_top_k_beyond_the_targets_is_clamped_below_them_and_said():
    """train.top_k 500 on a 42-class character run (41 targets: <pad> never is one) showed
    "val_top41_accuracy 1.000" without a word: k is clamped to targets - 1 and the log says so."""
    from lstm_helpers.model.logged import metric_names, top_k_for, top_k_note

    cfg = TrainConfig(top_k=500)
    assert top_k_for(cfg, 42, n_targets=41) == 40 and top_k_for(cfg, 42) == 41
    assert metric_names(42, cfg, n_targets=41)[-1] == "top40_accuracy"
    assert (
        resolve_monitor(TrainConfig(top_k=500, monitor="val_top40_accuracy"), 42, None, 41)[0] == "val_top40_accuracy"
    )
    note = top_k_note(cfg, 42, 41)
    for words in ("train.top_k = 500 clamped to 40", "41 classes can be a target", "<pad>", "valid train.top_k: 1-40"):
        assert words in note, note
    assert top_k_note(TrainConfig(top_k=5), 42, 41) is None and top_k_note(cfg, 2) is None


def test_top_k_clamped_from_the_default_value_is_said_too():
    """An explicit train.top_k: 5 on a 4-class task ran top-3 without a word (the note skipped
    the default value), while the parameter table listed 5: any clamp is said."""
    from lstm_helpers.model.logged import metric_names, top_k_note

    for cfg in (TrainConfig(top_k=5), TrainConfig()):
        assert metric_names(4, cfg)[-1] == "top3_accuracy"
        note = top_k_note(cfg, 4)
        assert note and "train.top_k = 5 clamped to 3" in note and "valid train.top_k: 1-3" in note, note
    assert top_k_note(TrainConfig(top_k=3), 4) is None  # used as set: nothing to say


@pytest.mark.parametrize("one_hot", [False, True])
def test_balanced_accuracy_metric_equals_scikit_learn_over_batches(one_hot):
    # the multi-class monitor: mean recall over the classes present, accumulated over batches
    # (a class absent from y_true left out, as scikit-learn does; one-hot labels for focal loss)
    from sklearn.metrics import balanced_accuracy_score

    from lstm_helpers.model.compile import BalancedAccuracy

    rng = np.random.default_rng(3)
    y = rng.choice(4, size=300, p=[0.7, 0.2, 0.1, 0.0])  # class 3 never occurs
    probs = rng.dirichlet(np.ones(4), size=300).astype("float32")
    probs[np.arange(300) % 3 == 0, y[np.arange(300) % 3 == 0]] += 1.0  # better than chance
    probs[:, 0] += 0.4  # and leaning to the majority class, as plain accuracy rewards
    metric = BalancedAccuracy(4)
    labels = np.eye(4, dtype="float32")[y] if one_hot else y.reshape(-1, 1)
    for start in range(0, 300, 64):
        metric.update_state(labels[start : start + 64], probs[start : start + 64])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "y_pred contains classes not in y_true": on purpose
        expected = balanced_accuracy_score(y, probs.argmax(1))
    assert float(metric.result()) == pytest.approx(expected, abs=1e-6)
    assert abs(expected - (y == probs.argmax(1)).mean()) > 0.05  # not plain accuracy
    metric.reset_state()
    assert float(metric.result()) == 0.0
    weighted = BalancedAccuracy(4)
    weighted.update_state(labels, probs, sample_weight=np.where(y == 0, 2.0, 1.0))
    assert float(weighted.result()) == pytest.approx(expected, abs=1e-6)  # recall per class: weights cancel


def test_auto_monitor_watches_the_loss_on_a_small_validation_set():
    # 29 windows of a class: accuracy / PR-AUC saturate, so auto watches val_loss
    assert resolve_monitor(TrainConfig(), 2, [400, 29]) == ("val_loss", "min")
    assert resolve_monitor(TrainConfig(), 4, [30, 30, 5, 30]) == ("val_loss", "min")
    assert resolve_monitor(TrainConfig(), 2, [400, 30]) == ("val_pr_auc", "max")
    assert resolve_monitor(TrainConfig(), 3, [30, 31, 32]) == ("val_balanced_accuracy", "max")
    # multi-class: accuracy over thousands of windows ranks epochs, however rare a class (or a
    # padding token never seen) -- 5,900 windows over 70 classes, 45 of them under 30
    chars = np.r_[np.full(25, 200), np.full(44, 10), [0]]
    assert chars.sum() >= 30 * 70 and resolve_monitor(TrainConfig(), 70, chars) == ("val_balanced_accuracy", "max")
    assert resolve_monitor(TrainConfig(), 9, np.full(9, 6)) == ("val_loss", "min")  # JapaneseVowels: 54 windows
    assert "54 windows for 9 classes" in monitor_explanation(TrainConfig(), "val_loss", np.full(9, 6))
    # a monitor the user set is kept whatever the validation size
    assert resolve_monitor(TrainConfig(monitor="val_accuracy"), 2, [5, 5]) == ("val_accuracy", "max")
    why = monitor_explanation(TrainConfig(), "val_loss", np.array([400, 12]))
    assert "12 window(s)" in why and "val_loss" in why
    none = monitor_explanation(TrainConfig(), "val_loss", np.array([400, 0]))  # no window of the class
    assert "validation holds no window of one of the two classes, too few" in none, none
    assert "train.monitor" in monitor_explanation(TrainConfig(monitor="val_loss"), "val_loss", [5, 5])
    assert monitor_explanation(TrainConfig(), "val_pr_auc", [400, 40]).endswith(
        "watch val_pr_auc (train.monitor auto, ties broken by val_loss)"
    )
    bal = monitor_explanation(TrainConfig(), "val_balanced_accuracy", [400, 40, 40], thresholded=True)
    assert "val_balanced_accuracy" in bal and "a threshold for the class of interest is chosen on validation" in bal


@pytest.mark.parametrize("decision", ["argmax", "threshold"])
def test_the_monitor_line_of_an_argmax_run_promises_no_threshold(tmp_path, decision):
    """train.json's budget.monitor (and the report) said "argmax decisions: a threshold is chosen after
    training" on a multi-class run with evaluate.multiclass_decision: argmax, which chooses none
    (metrics.json threshold None); a run that thresholds its class of interest still says it does."""
    run = make_prepared(tmp_path / "run", n_train=192, n_classes=3)
    cfg = tiny_cfg(train__epochs=1, evaluate__multiclass_decision=decision)
    result = run_training(cfg, run)
    said = json.loads((run / "train.json").read_text())["budget"]["monitor"]
    assert result.monitor == "val_balanced_accuracy" and said == result.budget["monitor"]
    assert ("threshold" in said) == (decision == "threshold"), said
    assert said.endswith("of argmax decisions, as the run decides)" if decision == "argmax" else "after training)")


# ---------------------------------------------------------------------- callbacks (unit)
def _timed_epochs(ticks, epochs: int) -> TimingCallback:
    """A TimingCallback on a fake clock through ``epochs`` epochs of 10 planned."""
    cb = TimingCallback(n_windows=300, steps_per_epoch=10, epochs=10, clock=lambda: next(ticks))
    cb.set_model(keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)]))
    cb.on_train_begin()
    for epoch in range(epochs):
        cb.on_epoch_begin(epoch)
        cb.on_test_begin()
        cb.on_epoch_end(epoch)
    return cb


def test_timing_eta_uses_steady_epochs(capsys):
    ticks = iter(
        [
            0.0,
            9.0,
            10.0,  # epoch 1: 10 s (tracing), validation from 9 s
            10.0,
            11.5,
            12.0,  # epoch 2: 2 s
            12.0,
            13.5,
            14.0,
        ]
    )  # epoch 3: 2 s
    cb = _timed_epochs(ticks, 3)
    frame = cb.frame
    assert frame["seconds"].tolist() == [10.0, 2.0, 2.0]
    assert frame["train_seconds"].tolist() == [9.0, 1.5, 1.5]
    assert frame["windows_per_second"].iloc[-1] == pytest.approx(200.0)
    assert frame["ms_per_step"].iloc[-1] == pytest.approx(150.0)
    # after epoch 1 only the tracing epoch exists; after that it is left out
    assert frame["eta_seconds"].tolist() == [90.0, 16.0, 14.0]
    out = capsys.readouterr().out.splitlines()  # one compact line per epoch, the ETA from steady epochs
    assert out[1] == "epoch 2/10  2.0 s  150 ms/step  200 windows/s  ETA 16 s (8 x 2.0 s with checkpoint and logs)", out
    assert out[-1] == "epoch 3/10  2.0 s  150 ms/step  200 windows/s  ETA 14 s (7 x 2.0 s)", out  # said once
    # the first epoch's ETA comes from the tracing epoch alone: an upper bound, and said so
    assert out[0] == "epoch 1/10  10 s  900 ms/step  33 windows/s  ETA under 1 min 30 s", out


def test_timing_counts_the_callbacks_after_each_epoch(capsys):
    """The backup, checkpoint and logs run after the timing callback's epoch end; the ETA
    and the mean seconds per epoch include them (measured up to the next epoch's start)."""
    ticks = iter([0.0, 9.0, 10.0, 11.0, 12.5, 13.0, 14.0, 15.5, 16.0, 17.0])  # each epoch + 1 s after
    capsys.readouterr()
    cb = _timed_epochs(ticks, 3)
    cb.on_train_end()
    # the line's 2.0 s leave the callbacks out (they run after it): the ETA says what it multiplies
    # (it read "epoch 2/10  2.0 s ... ETA 24 s", 8 x 3.0 s, a sum the line did not explain)
    out = capsys.readouterr().out.splitlines()
    assert out[1].endswith("  2.0 s  150 ms/step  200 windows/s  ETA 24 s (8 x 3.0 s with checkpoint and logs)"), out
    assert out[0].endswith("ETA under 1 min 30 s"), out  # the first epoch's callbacks are not measured yet
    frame = cb.frame
    assert frame["seconds"].tolist() == [10.0, 2.0, 2.0] and frame["after_seconds"].tolist() == [1.0, 1.0, 1.0]
    assert frame["eta_seconds"].tolist()[1:] == [8 * 3.0, 7 * 3.0]  # 2 s epoch + 1 s of callbacks
    assert cb.steady_epoch_seconds()[0] == 3.0
    # each epoch's figure counts its callbacks too, so train.json's list and mean agree
    assert cb.epoch_seconds().tolist() == [11.0, 3.0, 3.0]


def _fit_on_a_fake_clock(seconds_per_call: float, capsys) -> list[str]:
    """A real Keras fit of 3 epochs x 10 steps whose TimingCallback reads a clock that moves
    ``seconds_per_call`` at every reading (once per step, at each epoch's start, validation
    and end); what it printed, split at carriage returns and newlines."""
    import itertools

    ticks = itertools.count(0.0, seconds_per_call)
    cb = TimingCallback(n_windows=40, steps_per_epoch=10, epochs=3, clock=lambda: next(ticks))
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.zeros((40, 2), "float32"), np.zeros((40, 1), "float32")
    capsys.readouterr()
    model.fit(x, y, batch_size=4, epochs=3, validation_data=(x[:8], y[:8]), callbacks=[cb], verbose=0)
    return [ln.rstrip() for ln in capsys.readouterr().out.replace("\r", "\n").splitlines()]


def test_keras_lines_under_verbose_2_are_said_to_time_the_whole_epoch(capsys):
    """train.verbose 2: '249 ms/step' in the epoch line, then Keras' '322ms/step' for the same
    epoch, and nothing said which covers what (Keras' divides the whole epoch, validation and the
    callbacks after it included; ours the training steps alone)."""
    from lstm_helpers.model.timing import KERAS_LINES_NOTE

    def fit(verbose: int) -> list[str]:
        cb = TimingCallback(n_windows=40, steps_per_epoch=10, epochs=2)
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        model.compile("sgd", "mse")
        x, y = np.zeros((40, 2), "float32"), np.zeros((40, 1), "float32")
        capsys.readouterr()
        model.fit(x, y, batch_size=4, epochs=2, validation_data=(x[:8], y[:8]), callbacks=[cb], verbose=verbose)
        return capsys.readouterr().out.splitlines()

    out = fit(2)
    assert out[0] == KERAS_LINES_NOTE and out.count(KERAS_LINES_NOTE) == 1, out
    assert "the epoch line's ms/step times the training steps alone" in out[0]
    assert out[1] == "Epoch 1/2" and any(ln.startswith("10/10 - ") and "ms/step" in ln for ln in out), out
    assert KERAS_LINES_NOTE not in fit(0)  # Keras prints nothing: nothing to tell apart


def test_a_long_epoch_says_where_it_stands_every_30_seconds(capsys):
    """Story 3: a character model's epoch of 1 min 36 s printed nothing until it ended. An
    epoch now prints an in-epoch line after 30 s, then at most every 30 s: steps done, the
    time per step so far, when the epoch ends and (after the first epoch) the run's ETA."""
    lines = _fit_on_a_fake_clock(7.0, capsys)  # 7 s per step: lines at 35 s and 70 s into each epoch
    assert lines[:3] == [
        "epoch 1/3  step 5/10  7000 ms/step  epoch ends in ~35 s",  # no validation measured yet
        "epoch 1/3  step 10/10  7000 ms/step  epoch ends in ~0.0 s",
        "epoch 1/3  1 min 24 s  7700 ms/step  1 windows/s  loss 0.00  val_loss 0.00  ETA under 2 min 48 s",
    ], lines
    # 5 steps of 7 s and epoch 1's 7 s of validation left; then one more epoch of 77 s
    assert lines[3] == "epoch 2/3  step 5/10  7000 ms/step  epoch ends in ~42 s  ETA ~1 min 59 s", lines
    assert lines[6] == "epoch 3/3  step 5/10  7000 ms/step  epoch ends in ~42 s  ETA ~42 s", lines
    assert len(lines) == 9 and lines[-1].startswith("epoch 3/3  1 min 24 s"), lines


def test_the_first_step_s_graph_tracing_is_left_out_of_the_in_epoch_pace(capsys):
    ticks = iter([0.0, 20.0, 24.0, 32.0])  # epoch start, step 1 (tracing: 20 s), 2, 3
    cb = TimingCallback(n_windows=40, steps_per_epoch=10, epochs=3, clock=lambda: next(ticks))
    cb.on_train_begin()
    cb.on_epoch_begin(0)
    for step in range(3):
        cb.on_train_batch_end(step, logs=None)
    assert capsys.readouterr().out == "epoch 1/3  step 3/10  6000 ms/step  epoch ends in ~42 s\r"  # (32 - 20) / 2


def test_short_epochs_print_no_in_epoch_line_and_the_step_hook_never_reads_the_logs(capsys):
    lines = _fit_on_a_fake_clock(1.0, capsys)  # 13 s epochs
    assert len(lines) == 3 and all(" step " not in ln for ln in lines), lines

    class Unreadable(dict):  # a Keras log of tensors: reading one waits for the device
        def __getitem__(self, key):
            raise AssertionError("the step hook read the logs")

        get = items = values = keys = __iter__ = __getitem__

    ticks = iter([0.0, 31.0])
    cb = TimingCallback(n_windows=40, steps_per_epoch=10, epochs=3, clock=lambda: next(ticks))
    cb.on_train_begin()
    cb.on_epoch_begin(0)
    cb.on_train_batch_end(0, Unreadable())
    assert capsys.readouterr().out.startswith("epoch 1/3  step 1/10  31000 ms/step")


def test_an_undefined_validation_pr_auc_is_not_printed_as_zero(tmp_path, capsys):
    """With no window of the positive class in validation, Keras logs val_pr_auc 0.0 and every epoch
    line printed "val_pr_auc 0.000" for a figure that measures nothing: it is now "–", under one
    note that says why, which reaches the terminal (runs/terminal.py::PROGRESS_LINE)."""
    from lstm_helpers.runs.terminal import PROGRESS_LINE

    run = make_prepared(tmp_path / "run", n_train=96)
    arrays = load_npz(run / "prepared.npz")
    arrays["y_val"] = np.zeros_like(arrays["y_val"])  # validation without a 'play' window
    save_npz(run / "prepared.npz", arrays)
    run_training(tiny_cfg(train__epochs=2, train__verbose=1), run)
    lines = capsys.readouterr().out.splitlines()
    epochs = [line for line in lines if line.startswith("epoch ")]
    assert len(epochs) == 2 and all("  val_pr_auc –" in line for line in epochs), epochs
    notes = [line for line in lines if "val_pr_auc is undefined" in line]
    assert notes == [
        "note: val_pr_auc is undefined (shown as –): validation holds no 'play' window, so there is no "
        "precision-recall curve; Keras logs 0.0 for it"
    ]
    assert PROGRESS_LINE.match(notes[0])
    assert (pd.read_csv(run / "history.csv")["val_pr_auc"] == 0).all()  # what Keras logged, kept as logged


def test_epoch_line_writes_figures_as_the_reports_do():
    from lstm_helpers.model.timing import compact_epoch_line

    logs = {"loss": 0.2, "val_loss": 0.0954, "val_pr_auc": 1.0, "accuracy": 0.5}
    line = compact_epoch_line(2, 30, 0.1, 421.0, 3.0, logs)
    assert line == "epoch 2/30  0.1 s  421 windows/s  loss 0.200  val_loss 0.0954  val_pr_auc 1.000  ETA 3.0 s", line
    fast = compact_epoch_line(2, 30, 0.1, 421.0, 3.0, logs, ms_per_step=4.26)
    assert fast.startswith("epoch 2/30  0.1 s  4.3 ms/step  421 windows/s"), fast  # story 3: per-step timing
    multi = {"loss": 3.35, "val_loss": 3.14, "val_accuracy": 0.172, "val_top5_accuracy": 0.454, "accuracy": 0.2}
    line = compact_epoch_line(1, 2, 25.0, 649.0, 25.0, multi)  # a character model: what it is judged by
    assert line.endswith("loss 3.35  val_loss 3.14  val_accuracy 0.172  val_top5_accuracy 0.454  ETA 25 s"), line
    multi["val_balanced_accuracy"] = 0.5  # what a multi-class run's early stopping watches
    line = compact_epoch_line(1, 2, 25.0, 649.0, 25.0, multi)
    assert "val_accuracy 0.172  val_balanced_accuracy 0.500  val_top5_accuracy 0.454" in line, line
    # a loss keeps three significant digits, trailing zeros too: "val_loss 3" and "loss 2.9" stood beside 2.95
    lines = [compact_epoch_line(e, 3, 1.0, 9.0, 1.0, {"loss": a, "val_loss": b}) for e, (a, b) in enumerate(
        [(2.9, 3.0), (2.95, 2.9), (0.5, 123.456)], 1)]  # fmt: skip
    assert [ln.split("windows/s  ")[1].split("  ETA")[0] for ln in lines] == [
        "loss 2.90  val_loss 3.00", "loss 2.95  val_loss 2.90", "loss 0.500  val_loss 123"
    ], lines  # fmt: skip


def test_early_stopping_state_survives_a_resume():
    previous = pd.DataFrame({"epoch": [1, 2, 3, 4, 5], "val_pr_auc": [0.5, 0.6, 0.55, 0.54, 0.7]})
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    cb = ResumableEarlyStopping(previous=previous, monitor="val_pr_auc", mode="max", patience=3)
    cb.set_model(model)
    cb.on_train_begin()
    cb.on_epoch_begin(4)  # BackupAndRestore restored 4 finished epochs; row 5 is stale
    assert (cb.best, cb.best_epoch, cb.wait) == (0.6, 1, 2)
    cb.on_epoch_end(4, {"val_pr_auc": 0.58})  # a third epoch without improvement: stop
    assert model.stop_training


def _plateau_rates(cb: keras.callbacks.ReduceLROnPlateau, history: pd.DataFrame) -> list[float]:
    """The learning rate after each epoch of ``history`` (Adam at 0.002)."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.002), "mse")
    cb.set_model(model)
    cb.on_train_begin()
    rates = []
    for epoch, row in enumerate(history.drop(columns="epoch").to_dict("records")):
        cb.on_epoch_begin(epoch)
        cb.on_epoch_end(epoch, dict(row))
        rates.append(round(float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)), 6))
    return rates


# story 3's character run: val_accuracy stuck at 0.193 for epochs 1-7 while val_loss fell
STUCK = pd.DataFrame(
    {
        "epoch": range(1, 9),
        "val_accuracy": [0.193] * 7 + [0.2],
        "val_loss": [3.3, 3.2, 3.1, 3.0, 2.9, 2.8, 2.7, 2.6],
    }
)


@pytest.mark.parametrize("made_by", ["run", "search trial"])
def test_the_plateau_schedule_counts_improvements_as_early_stopping_does(made_by):
    """The rate was halved after epochs 3, 5 and 7 (0.002 -> 0.00025) while early stopping and
    the checkpoint counted each of those epochs as an improvement (ties broken by val_loss):
    Keras' ReduceLROnPlateau compared val_accuracy alone. A true plateau still lowers it."""
    from lstm_helpers.model.schedules import plateau_callback

    def plateau() -> keras.callbacks.ReduceLROnPlateau:
        if made_by == "run":
            return ResumableReduceLROnPlateau(monitor="val_accuracy", mode="max", factor=0.5, patience=2)
        sched = Config().train.schedule.model_copy(update={"kind": "plateau", "patience": 2, "factor": 0.5})
        return plateau_callback(sched, "val_accuracy", "max")[0]

    assert _plateau_rates(plateau(), STUCK) == [0.002] * 8
    stopping = ResumableEarlyStopping(monitor="val_accuracy", mode="max", patience=2)
    stopping.set_model(keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)]))
    stopping.on_train_begin()
    for epoch, row in enumerate(STUCK.drop(columns="epoch").to_dict("records")):
        stopping.on_epoch_end(epoch, row)
        assert stopping.wait == 0  # ... as early stopping saw it
    flat = STUCK.assign(val_accuracy=0.193, val_loss=3.0)  # both flat: a plateau
    assert _plateau_rates(plateau(), flat) == [0.002, 0.002, 0.001, 0.001, 0.0005, 0.0005, 0.00025, 0.00025]


def test_the_plateau_schedule_needs_no_larger_step_than_early_stopping():
    """Keras' ReduceLROnPlateau wants an improvement of more than 1e-4, early stopping and the
    checkpoint any: a val_loss falling 5e-5 per epoch halved the rate after epoch 3 while
    early stopping counted an improvement every epoch."""
    creeping = pd.DataFrame({"epoch": range(1, 7), "val_loss": [1.0 - 5e-5 * i for i in range(6)]})
    cb = ResumableReduceLROnPlateau(monitor="val_loss", mode="min", factor=0.5, patience=2)
    assert _plateau_rates(cb, creeping) == [0.002] * 6


def test_a_resumed_plateau_schedule_replays_the_tie_break():
    """Resumed after epoch 6 of STUCK: the replayed epochs improved (lower val_loss), so the
    wait is 0 and the rate stays where the uninterrupted run's is."""
    cb = ResumableReduceLROnPlateau(previous=STUCK, monitor="val_accuracy", mode="max", factor=0.5, patience=2)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.002), "mse")
    cb.set_model(model)
    cb.on_train_begin()
    cb.on_epoch_begin(6)
    assert (cb.best, cb.best_tie, cb.wait) == (0.193, 2.8, 0)
    cb.on_epoch_end(6, {"val_accuracy": 0.193, "val_loss": 2.7})
    assert (cb.wait, float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))) == (0, pytest.approx(0.002))


# a validation PR-AUC that saturates at 1.0 from epoch 2 on (float noise included) while the
# validation loss keeps falling until epoch 4 (0-based 3)
SATURATED = pd.DataFrame(
    {
        "epoch": [1, 2, 3, 4, 5, 6],
        "val_pr_auc": [0.9, 1.0, 1.0, 0.9999999999999998, 1.0, 0.98],
        "val_loss": [0.5, 0.3, 0.2, 0.1, 0.15, 0.4],
    }
)


def test_a_saturated_validation_metric_ranks_its_ties_by_the_loss():
    values, losses = SATURATED["val_pr_auc"].to_numpy(), SATURATED["val_loss"].to_numpy()
    assert best_so_far(values, "max") == (1.0, 1)  # Keras' rule: the first 1.0, the least trained
    assert best_so_far(values, "max", losses)[1] == 3  # the tied epoch with the lowest loss
    assert improves(0.8, 0.81, "max", loss=0.01, best_loss=0.5) is False  # a lower metric never wins
    assert improves(0.82, 0.81, "max", loss=0.9, best_loss=0.5) is True  # a higher one always does
    assert improves(0.4, 0.4, "min") is False and improves(0.4, 0.4, "min", loss=0.1, best_loss=0.2) is True


def test_early_stopping_and_checkpoint_keep_the_tied_epoch_with_the_lowest_loss(tmp_path):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False)])
    stop = ResumableEarlyStopping(monitor="val_pr_auc", mode="max", patience=2)
    ckpt = AtomicModelCheckpoint(tmp_path / "best.weights.h5", monitor="val_pr_auc", mode="max", save_best_only=True)
    model.stop_training = False
    for cb in (stop, ckpt):
        cb.set_model(model)
        cb.on_train_begin()
    for row in SATURATED.itertuples():
        epoch = row.epoch - 1
        model.layers[0].kernel.assign([[float(epoch)]])  # the weights say which epoch they are from
        logs = {"val_pr_auc": row.val_pr_auc, "val_loss": row.val_loss}
        for cb in (stop, ckpt):
            cb.on_epoch_begin(epoch)
            cb.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    assert stop.best_epoch == 3 and stop.stopped_epoch == 5  # patience counted from the tie-break
    model.load_weights(str(tmp_path / "best.weights.h5"))
    assert float(model.layers[0].kernel.numpy()[0, 0]) == 3.0
    # a resumed fit replays the same choice from history.csv
    resumed = ResumableEarlyStopping(previous=SATURATED, monitor="val_pr_auc", mode="max", patience=2)
    resumed.set_model(model)
    resumed.on_train_begin()
    resumed.on_epoch_begin(5)
    assert (resumed.best_epoch, resumed.wait, resumed.best_tie) == (3, 1, 0.1)


JIT_SCRIPT = """
import warnings
from lstm_helpers.config import ModelConfig
from lstm_helpers.data.prepared import InputInfo
from lstm_helpers.model.models import build_model
from lstm_helpers.model.datasets import set_determinism

info = InputInfo(kind="real", data_kind="recordings", window_length=6, n_channels=2)
set_determinism(0, deterministic=False)
model = build_model(ModelConfig(units=[4]), info, 2, use_cudnn=False)
model.compile("adam", "binary_crossentropy", jit_compile=True)
print("jit before determinism:", model.jit_compile)
set_determinism(0)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    set_determinism(0, deterministic=False)
print("warned:", any("fresh process" in str(w.message) for w in caught))
"""


def test_jit_compile_needs_no_cudnn_and_no_determinism():
    """XLA applies in a process that has not switched op determinism on; once it is on
    (TensorFlow has no public switch-off) asking for no determinism warns. Runs in a fresh
    process, because other tests here switch determinism on."""
    import subprocess
    import sys

    assert recurrent_use_cudnn(TrainConfig(jit_compile=True)) is False
    assert recurrent_use_cudnn(TrainConfig()) == "auto"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run(
        [sys.executable, "-c", JIT_SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=True,
    ).stdout
    assert "jit before determinism: True" in out and "warned: True" in out


# ---------------------------------------------------------------------- training runs
def test_run_writes_artifacts_and_class_weights_reach_fit(tmp_path, monkeypatch):
    run = make_prepared(tmp_path / "run", class_weight={"other": 0.6, "play": 2.5})
    seen = {}
    original_fit = keras.Model.fit

    def spy(self, *args, **kwargs):
        seen["class_weight"] = kwargs.get("class_weight")
        return original_fit(self, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", spy)
    from lstm_helpers.model.budget import BudgetWarning

    with pytest.warns(BudgetWarning, match="give only"):  # its own kind: the terminal shows it (NoteEcho)
        result = run_training(tiny_cfg(), run)
    assert seen["class_weight"] == {0: 0.6, 1: 2.5}
    # what notebook 02 shows: the layers as a table (no Keras box), the summary in words
    from lstm_helpers.model.training import layer_table, training_summary

    layers = layer_table(result.model)
    assert list(layers.columns) == ["layer", "kind", "output", "parameters"]
    assert layers["parameters"].sum() == result.n_params and "None" not in " ".join(layers["output"])
    summary = training_summary(result)
    assert "parameters" in summary.index and "n_params" not in summary.index
    assert summary.loc["stopped early", "value"] in ("yes", "no")
    from lstm_helpers.style import during_training

    # a PR-AUC / ROC-AUC says it is Keras' running estimate, not stage 03's figure; a loss is the same in both
    assert f"best {result.monitor}{during_training(result.monitor)}" in summary.index
    assert during_training("val_pr_auc") and not during_training("val_loss")
    assert "resumed" not in summary.index  # said only where a run was resumed
    classes = result.classes
    assert summary.loc["class weighting", "value"] == f"class weights: {classes[0]} 0.6, {classes[1]} 2.5"
    import dataclasses

    assert training_summary(dataclasses.replace(result, resumed=True)).loc["resumed", "value"].startswith("yes")
    # what a methods section needs: the software, and the threads a sweep's run had (its figures depend on them)
    assert "scikit-learn" in summary.loc["software", "value"] and "aeon" in summary.loc["software", "value"]
    limited = training_summary(dataclasses.replace(result, threads=1)).loc["device", "value"]
    assert "TF_NUM_INTRAOP_THREADS=1" in limited and "TF_NUM_INTRAOP" not in summary.loc["device", "value"]
    # the switches that were on, in words (story 5); none that does nothing (no augmentation, no smoothing)
    assert summary.loc["optimizer", "value"] == "Adam, learning rate 0.001"
    assert summary.loc["learning-rate schedule", "value"].startswith("one-cycle: warm-up to 0.003")
    # 16 validation windows per class: the final weights, no early stopping, so none is said
    assert not {"early stopping", "augmentation", "label smoothing", "focal loss"} & set(summary.index)

    info = json.loads((run / "train.json").read_text())
    assert TRAIN_JSON_KEYS <= set(info)
    assert info["switches"]["optimizer"] == {"name": "adam", "learning_rate": 0.001}
    assert (info["augment"], info["weight_decay"], info["label_smoothing"]) == ({}, None, 0.0)
    assert info["model_name"] == "lstm_lay1_sz8_d4" and info["class_weight"] == {
        "other": 0.6,
        "play": 2.5,
    }
    assert info["n_params"] == 4 * ((3 + 8) * 8 + 8) + (8 * 4 + 4) + (4 + 1)
    assert info["epochs_run"] == 3 and len(info["seconds_per_epoch"]) == 3 and not info["stopped_early"]
    # one definition of an epoch's seconds (with its callbacks): the mean is that of the list's steady epochs
    assert info["seconds_per_epoch_mean"] == pytest.approx(np.mean(info["seconds_per_epoch"][1:]), abs=1e-3)
    # 16 validation windows per class (< 30): monitor auto watches the loss
    assert info["monitor"] == "val_loss" and info["loss"] == "binary_crossentropy"
    assert "16 window(s)" in info["budget"]["monitor"]
    assert {"tensorflow", "keras", "numpy", "python", "lstm-workbench", "scikit-learn", "aeon"} <= set(info["versions"])
    assert info["windows_per_second"] > 0 and info["total_seconds"] > 0
    history = pd.read_csv(run / "history.csv")
    assert history["epoch"].tolist() == [1, 2, 3]
    assert {"loss", "val_loss", "val_pr_auc", "val_roc_auc", "precision", "recall", "lr"} <= set(history)
    assert not {"seconds", "time"} & set(history)
    assert pd.read_csv(run / "timing.csv")["epoch"].tolist() == [1, 2, 3]
    assert info["best_epoch"] == int(history["epoch"][history["val_loss"].idxmin()])
    assert not RunLayout(run).backup.exists()  # with the checkpoint file inside it
    # model.keras holds the best epoch's weights
    model = load_trained_model(run / "model.keras")
    X = load_npz(run / "prepared.npz")["X_val"]
    np.testing.assert_allclose(model.predict(X, verbose=0), result.model.predict(X, verbose=0), atol=1e-6)
    assert isinstance(result.history, pd.DataFrame) and len(result.timing) == 3

    # no class weights; early stopping on a flat metric; no checkpoint file
    seen.clear()
    flat = run_training(
        tiny_cfg(
            train__use_class_weight=False,
            train__epochs=6,
            train__early_stopping__patience=1,
            train__monitor="val_accuracy",
            train__optimizer="sgd",
            train__learning_rate=1e-9,
            train__checkpoint=False,
        ),
        run,
    )
    assert seen["class_weight"] is None
    assert flat.stopped_early and flat.epochs_run == 2 and flat.epochs_planned == 6
    assert flat.best_epoch == 1 and flat.weights_epoch == 1  # Keras restored epoch 1
    assert not RunLayout(run).best_weights.exists()
    assert pd.read_csv(run / "history.csv")["epoch"].tolist() == [1, 2]
    # told not to restore the best weights: the last epoch's, though the checkpoint runs
    last = run_training(
        tiny_cfg(
            train__epochs=6,
            train__early_stopping__patience=1,
            train__early_stopping__restore_best_weights=False,
            train__monitor="val_accuracy",
            train__optimizer="sgd",
            train__learning_rate=1e-9,
        ),
        run,
    )
    assert (last.epochs_run, last.best_epoch, last.weights_epoch) == (2, 1, 2)


def test_same_seed_gives_identical_history(tmp_path):
    cfg = tiny_cfg(model__dropout=0.3)
    runs = [make_prepared(tmp_path / name) for name in ("a", "b")]
    for run in runs:
        run_training(cfg, run)
    first, second = ((r / "history.csv").read_bytes() for r in runs)
    assert first == second
    other = make_prepared(tmp_path / "c")
    run_training(tiny_cfg(model__dropout=0.3, seed=8), other)
    assert (other / "history.csv").read_bytes() != first  # the seed matters (the test can fail)


class Interrupt(keras.callbacks.Callback):
    """Raise in the middle of epoch index ``at`` (after its second batch)."""

    def __init__(self, at: int = 2):
        super().__init__()
        self.at = at

    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == self.at and batch == 1:
            raise RuntimeError("simulated kill")

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch


def test_interrupted_run_resumes_and_finishes(tmp_path):
    cfg = tiny_cfg(
        train__epochs=4,
        train__schedule__kind="plateau",
        train__schedule__patience=1,
        train__augment__jitter_sigma=0.05,  # the resumed epochs see the same perturbations too
        train__augment__scale_sigma=0.1,
        model__dropout=0.3,
    )
    reference = make_prepared(tmp_path / "reference")
    run_training(cfg, reference)
    run = make_prepared(tmp_path / "run")
    with pytest.raises(RuntimeError, match="simulated kill"):
        run_training(cfg, run, extra_callbacks=[Interrupt()])
    assert RunLayout(run).backup.is_dir()
    assert pd.read_csv(run / "history.csv")["epoch"].tolist() == [1, 2]

    result = run_training(cfg, run)
    history = pd.read_csv(run / "history.csv")
    assert history["epoch"].tolist() == [1, 2, 3, 4]  # every epoch exactly once
    assert result.epochs_run == 4 and result.resumed and len(result.seconds_per_epoch) == 4
    assert not RunLayout(run).backup.exists() and (run / "model.keras").is_file()
    # exact resume: the resumed epochs see the shuffle and dropout draws of the uninterrupted run
    assert (run / "history.csv").read_bytes() == (reference / "history.csv").read_bytes()
    expected = pd.read_csv(reference / "history.csv")
    # plateau: the first epoch runs at the configured rate, later ones at halvings of it
    assert history["lr"].iloc[0] == pytest.approx(1e-3)
    halvings = np.log2(1e-3 / history["lr"].to_numpy())
    np.testing.assert_allclose(halvings, np.round(halvings), atol=1e-4)
    # the resumed epoch 3 runs at the rate the plateau callback left after epoch 2
    assert history["lr"].iloc[2] == expected["lr"].iloc[2]


class KillAtEnd(keras.callbacks.Callback):
    """Dies after the fit's last epoch, before model.keras is written."""

    def on_train_end(self, logs=None):
        raise RuntimeError("simulated kill after the last epoch")


def _same_weights(a, b):
    wa = keras.models.load_model(a / "model.keras", compile=False).get_weights()
    wb = keras.models.load_model(b / "model.keras", compile=False).get_weights()
    return all(np.array_equal(x, y) for x, y in zip(wa, wb, strict=True))


@pytest.mark.parametrize("stops_early", [False, True])
def test_a_kill_after_the_last_epoch_reruns_it_and_finishes_as_uninterrupted(tmp_path, stops_early):
    """Killed after the last epoch (or the one early stopping ends on) but before model.keras:
    the backup of that epoch used to make every later call fail (KeyError: nothing left to
    run) or, after early stopping, train one epoch more. No backup is kept of a fit's last
    epoch: the resumed run re-runs it and ends as the uninterrupted run did."""
    extra = dict(train__monitor="val_loss", train__early_stopping__patience=1 if stops_early else 5)
    extra["train__learning_rate"] = 0.05
    cfg = tiny_cfg(train__epochs=12 if stops_early else 3, train__schedule__kind="constant", **extra)
    reference = make_prepared(tmp_path / "reference")
    expected = run_training(cfg, reference)
    assert expected.stopped_early == stops_early
    run = make_prepared(tmp_path / "run")
    with pytest.raises(RuntimeError, match="simulated kill after the last epoch"):
        run_training(cfg, run, extra_callbacks=[KillAtEnd()])
    result = run_training(cfg, run)
    assert (result.epochs_run, result.weights_epoch) == (expected.epochs_run, expected.weights_epoch)
    assert (run / "history.csv").read_bytes() == (reference / "history.csv").read_bytes()
    assert _same_weights(run, reference) and not RunLayout(run).backup.exists()


class KillBeforeEpoch3(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 2:
            raise RuntimeError("simulated kill before epoch 3")


def test_a_resumed_checkpoint_continues_from_the_restored_epochs(tmp_path, monkeypatch):
    """Killed after epoch 3's history row was written but before the checkpoint saved it:
    the checkpoint's best value came from that row, so the re-run epoch 3 tied it, was not
    saved, and model.keras kept epoch 2's weights while train.json said epoch 3. The best
    value now continues from the epochs the backup restored."""
    cfg = tiny_cfg(train__epochs=3, train__monitor="val_loss", train__schedule__kind="constant")
    reference = make_prepared(tmp_path / "reference")
    expected = run_training(cfg, reference)
    assert expected.weights_epoch == 3  # the killed epoch is the best one
    from lstm_helpers.model import callbacks as cbm

    save = cbm.AtomicModelCheckpoint.on_epoch_end

    def killed(self, epoch, logs=None):
        if epoch == 2:
            raise RuntimeError("simulated kill before the checkpoint")
        return save(self, epoch, logs)

    run = make_prepared(tmp_path / "run")
    monkeypatch.setattr(cbm.AtomicModelCheckpoint, "on_epoch_end", killed)
    with pytest.raises(RuntimeError, match="simulated kill"):
        run_training(cfg, run)
    monkeypatch.setattr(cbm.AtomicModelCheckpoint, "on_epoch_end", save)
    result = run_training(cfg, run)
    assert result.weights_epoch == 3 and _same_weights(run, reference)


def test_early_stopping_keeps_its_best_weights_across_a_resume_without_the_checkpoint(tmp_path):
    """train.checkpoint false, early stopping restoring its best weights: Keras kept those in
    memory only, so a resumed run kept the first resumed epoch's weights (here the worst
    epoch). The best weights now go through the checkpoint file whenever a best is kept."""
    cfg = tiny_cfg(
        train__epochs=8,
        train__monitor="val_loss",
        train__early_stopping__patience=3,
        train__checkpoint=False,
        train__schedule__kind="constant",
        train__learning_rate=0.05,
    )
    reference = make_prepared(tmp_path / "reference")
    expected = run_training(cfg, reference)
    assert expected.weights_epoch == expected.best_epoch < 3
    run = make_prepared(tmp_path / "run")
    with pytest.raises(RuntimeError, match="simulated kill"):
        run_training(cfg, run, extra_callbacks=[KillBeforeEpoch3()])
    result = run_training(cfg, run)
    assert (result.best_epoch, result.weights_epoch) == (expected.best_epoch, expected.weights_epoch)
    assert _same_weights(run, reference)


def test_a_kill_while_the_backup_is_written_leaves_one_that_resumes_exactly(tmp_path, monkeypatch):
    """A kill in the middle of writing epoch 3's backup (half an HDF5 file on disk): Keras'
    own BackupAndRestore left that torn file as ``latest.weights.h5`` and the resumed fit
    died on it (h5py "bad object header"); the atomic backup resumes from epoch 2 exactly."""
    cfg = tiny_cfg(train__epochs=4, model__dropout=0.3)
    reference = make_prepared(tmp_path / "reference")
    run_training(cfg, reference)
    run = make_prepared(tmp_path / "run")
    real, backups = keras.Model.save_weights, []

    def torn(self, filepath, *args, **kwargs):
        real(self, filepath, *args, **kwargs)
        path = Path(filepath)
        if path.parent.name == "backup" and "best" not in path.name:
            backups.append(path.name)
            if len(backups) == 3:  # epoch 3's backup: half of it on disk, then the process dies
                path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
                raise RuntimeError("simulated kill")

    monkeypatch.setattr(keras.Model, "save_weights", torn)
    with pytest.raises(RuntimeError, match="simulated kill"):
        run_training(cfg, run)
    monkeypatch.undo()
    assert pd.read_csv(run / "history.csv")["epoch"].tolist() == [1, 2, 3]  # logged before the backup
    result = run_training(cfg, run)
    assert result.resumed and result.epochs_run == 4
    assert (run / "history.csv").read_bytes() == (reference / "history.csv").read_bytes()


def test_backup_settles_what_a_kill_left(tmp_path):
    from lstm_helpers.model.callbacks import AtomicBackupAndRestore

    cb = AtomicBackupAndRestore(tmp_path)
    weights, metadata = tmp_path / cb.INCOMING_WEIGHTS, tmp_path / cb.INCOMING_METADATA
    assert cb.settle() == ""
    metadata.write_text('{"epoch": 3, "batch": 0}')  # killed after the weights' rename
    assert cb.settle() == "finished" and (tmp_path / "training_metadata.json").read_text().startswith('{"epoch": 3')
    weights.write_bytes(b"half")  # killed while writing the pair: the previous backup stands
    metadata.write_text('{"epoch": 4, "batch": 0}')
    assert cb.settle() == "dropped" and not weights.exists() and not metadata.exists()
    assert (tmp_path / "training_metadata.json").read_text().startswith('{"epoch": 3')


def test_backup_of_other_parameters_is_not_resumed(tmp_path):
    run = make_prepared(tmp_path / "run")
    with pytest.raises(RuntimeError, match="simulated kill"):
        run_training(tiny_cfg(train__epochs=2), run, extra_callbacks=[Interrupt(at=1)])
    with pytest.warns(UserWarning, match="discarding"):
        result = run_training(tiny_cfg(train__epochs=2, model__units=[6]), run)
    assert not result.resumed and result.epochs_run == 2
    assert pd.read_csv(run / "history.csv")["epoch"].tolist() == [1, 2]


def test_multiclass_tokens_focal_one_cycle(tmp_path):
    run = make_prepared(tmp_path / "run", n_classes=3, kind="tokens", masked=True)
    cfg = tiny_cfg(
        train__epochs=2,
        train__loss="focal",
        train__label_smoothing=0.05,
        train__top_k=5,
        train__optimizer="adamw",
        train__weight_decay=0.01,
        train__clipnorm=1.0,
        train__schedule__kind="one_cycle",
        model__embedding_dim=4,
    )
    result = run_training(cfg, run)
    assert result.model_name == "lstm_emb4_lay1_sz8_d4"
    assert result.monitor == "val_loss" and result.loss == "categorical_focal_crossentropy"  # small validation
    history = result.history
    assert {"accuracy", "top2_accuracy", "val_top2_accuracy", "val_balanced_accuracy"} <= set(
        history
    )  # k = min(5, K - 1)
    assert history["lr"].nunique() == 2  # the schedule moves the rate
    steps = result.steps_per_epoch
    assert len(result.lr_per_step) == 2 * steps
    # history's lr is the rate of each epoch's last step
    np.testing.assert_allclose(history["lr"], result.lr_per_step[[steps - 1, 2 * steps - 1]], rtol=1e-6)
    loaded = load_trained_model(run / "model.keras")
    assert loaded.output_shape == (None, 3)


def test_default_recipe_trains(tmp_path):
    """A data-only config trains the default recipe: the conv front end, one-cycle to 3x the
    rate and (small validation) the loss as monitor, the whole cycle and its final weights."""
    run = make_prepared(tmp_path / "run", length=16)
    result = run_training(resolve_config({}, {"train.epochs": 2, "train.verbose": 0}), run)
    assert result.model_name == "bilstm_cv2-64x5p2-64x5p2_lay2_sz64-32_d32" and result.monitor == "val_loss"
    assert result.lr_per_step.max() == pytest.approx(3e-3, rel=0.05)  # the one-cycle peak
    info = json.loads((run / "train.json").read_text())
    assert info["spec"]["conv"][0] == {"filters": 64, "kernel_size": 5, "pool": 2}
    assert "the whole one-cycle schedule runs" in result.budget["monitor"]
    assert result.epochs_run == 2 and result.weights_epoch == 2


def _stream(X, y, seed=0, mask_value=None, **augment):
    cfg = TrainConfig(epochs=2, batch_size=8, augment=augment)
    ds, _ = training_stream(X, y, cfg, 2, False, seed, mask_value)
    return [x.numpy() for x, _ in ds]


def test_augmentation_perturbs_training_batches_reproducibly():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 10, 3)).astype(np.float32)
    X[:5, 6:] = 0.0  # padding of five cases
    y = np.arange(20) % 2
    plain = _stream(X, y, jitter_sigma=0.0, scale_sigma=0.0)
    # without augmentation an epoch's batches hold the windows themselves
    np.testing.assert_array_equal(np.sort(np.concatenate(plain[:3]).ravel()), np.sort(X.ravel()))
    aug = _stream(X, y, mask_value=0.0, jitter_sigma=0.05, scale_sigma=0.1)
    assert [a.shape for a in aug] == [p.shape for p in plain] and len(aug) == 6  # 2 epochs x 3 batches
    diff = np.concatenate([a - p for a, p in zip(aug, plain, strict=True)])
    assert 0.02 < np.abs(diff).mean() < 0.2  # perturbed, mildly
    # the padded steps stay exactly at the mask value, so the model's mask still finds them
    flat_plain, flat_aug = np.concatenate(plain), np.concatenate(aug)
    padded = (flat_plain == 0.0).all(axis=-1)
    assert padded.sum() == 2 * 5 * 4 and (flat_aug[padded] == 0.0).all()
    # reproducible from the seed (a resumed run sees the same draws), different per epoch
    again = _stream(X, y, mask_value=0.0, jitter_sigma=0.05, scale_sigma=0.1)
    assert all(np.array_equal(a, b) for a, b in zip(aug, again, strict=True))
    assert not np.array_equal(_stream(X, y, seed=1, jitter_sigma=0.05)[0], _stream(X, y, jitter_sigma=0.05)[0])
    # token windows are never perturbed
    tokens = rng.integers(1, 20, (20, 10)).astype(np.int32)
    kept = _stream(tokens, y, jitter_sigma=0.05, scale_sigma=0.1)
    assert all(np.issubdtype(b.dtype, np.integer) for b in kept)


def test_window_slicing_crops_and_stretches_each_window_reproducibly():
    """train.augment.slice_fraction: every training window becomes a random crop of at least
    (1 - fraction) of it, stretched back to its length; draws follow the seed; padded
    sequences (a mask value) are never sliced; 0 leaves the windows as they are."""
    ramp = np.tile(np.arange(40, dtype=np.float32)[None, :, None], (16, 1, 2))
    ramp[:, :, 1] *= -2.0
    y = np.arange(16) % 2
    sliced = np.concatenate(_stream(ramp, y, slice_fraction=0.25))
    assert sliced.shape == (32, 40, 2)  # 2 epochs of 16 windows
    step = np.diff(sliced[:, :, 0], axis=1)  # a ramp stays a ramp: a crop is a shift + a uniform stretch
    assert np.allclose(step, step[:, :1], atol=1e-4)
    assert (step[:, 0] >= 0.75 * 39 / 39 - 1e-4).all() and (step[:, 0] <= 1 + 1e-4).all()
    assert step[:, 0].std() > 0.02 and sliced[:, 0, 0].max() > 1.0  # crops differ in length and start
    assert np.allclose(sliced[:, :, 1], -2.0 * sliced[:, :, 0])  # the channels move together
    assert np.array_equal(sliced, np.concatenate(_stream(ramp, y, slice_fraction=0.25)))  # from the seed
    assert not np.array_equal(sliced, np.concatenate(_stream(ramp, y, seed=1, slice_fraction=0.25)))
    plain = np.concatenate(_stream(ramp, y, slice_fraction=0.0))
    assert np.array_equal(np.sort(plain[:16, :, 0], axis=0), ramp[:, :, 0])
    padded = np.concatenate(_stream(ramp, y, mask_value=-1.0, slice_fraction=0.25))
    assert np.array_equal(np.sort(padded[:16, :, 0], axis=0), ramp[:, :, 0])  # not sliced
    with pytest.raises(ValueError, match="slice_fraction"):
        TrainConfig(augment={"slice_fraction": 0.6})


def test_time_warp_replays_each_window_at_a_smoothly_varying_speed():
    """train.augment.warp_sigma: each training window is read along its own warped clock;
    the first and last steps stay, time only moves forward, the speed varies inside a
    window (unlike slicing's uniform stretch); draws follow the seed; padded sequences are
    never warped; channels move together."""
    ramp = np.tile(np.arange(60, dtype=np.float32)[None, :, None], (16, 1, 2))
    ramp[:, :, 1] *= -2.0
    y = np.arange(16) % 2
    warped = np.concatenate(_stream(ramp, y, warp_sigma=0.2))
    assert warped.shape == (32, 60, 2)
    assert np.allclose(warped[:, 0, 0], 0.0) and np.allclose(warped[:, -1, 0], 59.0, atol=1e-3)
    step = np.diff(warped[:, :, 0], axis=1)
    assert (step >= 0.1 * 59 / 60 - 1e-3).all()  # never stops or runs backwards
    assert (step.max(axis=1) - step.min(axis=1) > 0.1).all()  # not a uniform stretch
    assert 0.02 < np.abs(warped[:, :, 0] - ramp[0, :, 0]).mean() < 3.0  # mild at sigma 0.2
    assert np.allclose(warped[:, :, 1], -2.0 * warped[:, :, 0], atol=1e-4)
    assert np.array_equal(warped, np.concatenate(_stream(ramp, y, warp_sigma=0.2)))
    assert not np.array_equal(warped, np.concatenate(_stream(ramp, y, seed=1, warp_sigma=0.2)))
    # its draws are not the slicing's: both on differs from either alone
    both = np.concatenate(_stream(ramp, y, warp_sigma=0.2, slice_fraction=0.2))
    assert not np.allclose(both, warped) and not np.allclose(both, np.concatenate(_stream(ramp, y, slice_fraction=0.2)))
    padded = np.concatenate(_stream(ramp, y, mask_value=-1.0, warp_sigma=0.2))
    assert np.array_equal(np.sort(padded[:16, :, 0], axis=0), ramp[:, :, 0])  # not warped
    assert np.array_equal(np.sort(np.concatenate(_stream(ramp, y))[:16, :, 0], axis=0), ramp[:, :, 0])
    with pytest.raises(ValueError, match="warp_sigma"):
        TrainConfig(augment={"warp_sigma": -0.1})


def test_mirrored_strategy_trains(tmp_path):
    """train.distribute = mirrored: one replica here (CPU); on a multi-GPU machine the
    same code splits each batch across the GPUs."""
    run = make_prepared(tmp_path / "run")
    result = run_training(tiny_cfg(train__distribute="mirrored", train__epochs=1), run)
    assert result.distribute == "mirrored" and result.epochs_run == 1
    assert (run / "model.keras").is_file()


@pytest.mark.parametrize("policy,compute", [("mixed_bfloat16", "bfloat16"), ("mixed_float16", "float16")])
def test_mixed_precision_trains_and_restores_the_policy(tmp_path, policy, compute):
    """train.precision = mixed_*: the recurrent layers compute in 16 bits with float32
    variables, the output layer in float32 (probabilities stay full precision), the saved
    model loads with its policies, and the global policy is float32 again afterwards (a warm
    kernel's next run is unaffected). On this CPU-only machine it warns that 16 bits are slow."""
    run = make_prepared(tmp_path / "run")
    with pytest.warns(RuntimeWarning, match=f"train.precision = {policy} on a machine without a GPU"):
        result = run_training(tiny_cfg(train__precision=policy, train__epochs=1), run)
    assert result.precision == policy and result.epochs_run == 1
    # float16 needs loss scaling, which Keras' compile adds for a mixed_float16 model
    scaled = type(result.model.optimizer).__name__ == "LossScaleOptimizer"
    assert scaled == (policy == "mixed_float16")
    assert keras.mixed_precision.global_policy().name == "float32"
    model = keras.models.load_model(run / "model.keras", compile=False)
    recurrent = [layer for layer in model.layers if "lstm" in layer.name or "bidirectional" in layer.name]
    assert recurrent and all(layer.compute_dtype == compute for layer in recurrent)
    assert all(w.dtype == "float32" for w in model.weights)
    out = model(np.zeros((3, *model.input_shape[1:]), np.float32))
    assert str(out.dtype) in ("float32", "<dtype: 'float32'>")
    # a float32 run after it builds float32 layers
    plain = make_prepared(tmp_path / "plain")
    again = run_training(tiny_cfg(train__epochs=1), plain)
    assert all(layer.compute_dtype == "float32" for layer in again.model.layers if layer.weights)


def test_precision_must_be_a_known_policy():
    with pytest.raises(Exception, match="train.precision"):
        tiny_cfg(train__precision="float16")


@pytest.mark.parametrize(
    "mutate,error,match",
    [
        (lambda run: (run / "prepared.npz").unlink(), FileNotFoundError, "stage 01"),
        (lambda run: (run / "prepare.json").unlink(), FileNotFoundError, "stage 01"),
        (
            lambda run: _edit_json(run, lambda m: m["input"].update(window_length=20)),
            ValueError,
            "window shape",
        ),
        (
            lambda run: _edit_json(run, lambda m: m.update(classes=["a", "b", "c", "d", "e"][:1])),
            ValueError,
            "at least 2",
        ),
        (
            lambda run: _edit_json(run, lambda m: m.update(class_weight={"nope": 1.0})),
            ValueError,
            "class_weight",
        ),
        (lambda run: _edit_npz(run, y_train=lambda a: a + 5), ValueError, "y_train"),
        (
            lambda run: _edit_npz(run, X_val=lambda a: a[:0], y_val=lambda a: a[:0]),
            ValueError,
            "X_val is empty",
        ),
    ],
    ids=[
        "no-npz",
        "no-json",
        "shape-mismatch",
        "one-class",
        "weight-names",
        "labels-out-of-range",
        "no-val",
    ],
)
def test_inconsistent_artifacts_fail_before_training(tmp_path, mutate, error, match):
    run = make_prepared(tmp_path / "run")
    mutate(run)
    with pytest.raises(error, match=match):
        run_training(tiny_cfg(), run)
    assert not (run / "model.keras").exists()


def test_spec_and_input_mismatch_fail_before_training(tmp_path):
    run = make_prepared(tmp_path / "run")
    conv = [
        {"filters": 4, "kernel_size": 3, "pool": 4},
        {"filters": 4, "kernel_size": 3, "pool": 4},
    ]
    with pytest.raises(ValueError, match=r"model\.conv\[1\]\.pool"):
        run_training(tiny_cfg(model__conv=conv), run)
    with pytest.raises(ValueError, match="train.monitor"):
        run_training(tiny_cfg(train__monitor="val_top5_accuracy"), run)
    tokens = make_prepared(tmp_path / "tokens", kind="tokens")
    _edit_json(tokens, lambda m: m["input"].update(vocab_size=None))
    with pytest.raises(ValueError, match="vocab_size"):
        run_training(tiny_cfg(), tokens)


def _edit_json(run: Path, change) -> None:
    meta = json.loads((run / "prepare.json").read_text())
    change(meta)
    write_json(run / "prepare.json", meta)


def _edit_npz(run: Path, **changes) -> None:
    arrays = load_npz(run / "prepared.npz")
    for key, change in changes.items():
        arrays[key] = change(arrays[key])
    save_npz(run / "prepared.npz", arrays)


# ---------------------------------------------------------------------- notebook
def _prepared_for_notebook(run: Path, request) -> None:
    """Stage 01 artifacts: the lead's run_prepare on the tiny demo config when available,
    else the synthetic fixture."""
    try:
        from lstm_helpers.data.prepare import run_prepare

        tiny_config = request.getfixturevalue("tiny_config")
    except (ImportError, pytest.FixtureLookupError):
        make_prepared(run)
        write_yaml(run / "params.yaml", tiny_cfg().to_dict())
        return
    cfg = tiny_config()
    run.mkdir(parents=True, exist_ok=True)
    write_yaml(run / "params.yaml", cfg.to_dict())
    run_prepare(cfg, run)


@pytest.mark.slow
def test_papermill_smoke_train_notebook(tmp_path, request):
    import nbformat
    import papermill as pm

    run = tmp_path / "run"
    _prepared_for_notebook(run, request)
    out = run / "02_train.ipynb"
    pm.execute_notebook(
        str(ROOT / "notebooks" / "02_train.ipynb"),
        str(out),
        parameters={"run_dir": str(run), "overrides": {"train.epochs": 1}},
        kernel_name=os.environ.get("LSTM_WORKBENCH_KERNEL", "python3"),
        cwd=str(run),
        progress_bar=False,
    )
    for name in (
        "model.keras",
        "history.csv",
        "timing.csv",
        "train.json",
        "figures/train_learning_curves.png",
        "figures/train_learning_rate.png",
    ):
        assert (run / name).is_file(), name
    info = json.loads((run / "train.json").read_text())
    assert info["epochs_run"] == 1 and TRAIN_JSON_KEYS <= set(info)
    executed = nbformat.read(out, as_version=4)
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    assert any(o.get("output_type") == "display_data" for o in outputs)  # figures were drawn


def test_tensorboard_option_writes_event_files(tiny_config, tmp_path):
    from lstm_helpers.data.prepare import run_prepare
    from lstm_helpers.model.training import run_training

    cfg = tiny_config(train__tensorboard=True)
    run_prepare(cfg, tmp_path)
    run_training(cfg, tmp_path)
    assert list((tmp_path / "tensorboard").rglob("events.out.tfevents.*"))


@pytest.mark.slow
def test_seed_zero_trains(tiny_config, tmp_path):
    """Seed 0 is a valid seed: the per-epoch shuffle must not depend on a non-zero global seed."""
    from lstm_helpers.data.prepare import run_prepare
    from lstm_helpers.model.training import run_training

    cfg = tiny_config(seed=0)
    run_prepare(cfg, tmp_path)
    assert run_training(cfg, tmp_path).epochs_run == 1


def test_train_step_is_traced_once(tmp_path):
    """The optimizer's slots exist before fit (issue 12): Keras would create them inside the
    first trace of the train step, and a tf.function that creates variables traces twice."""
    import tensorflow as tf

    from lstm_helpers.data.prepared import load_prepared
    from lstm_helpers.model.training import _compiled_model

    cfg = tiny_cfg(model__dropout=0.3)
    data = load_prepared(make_prepared(tmp_path / "run"), require=("train", "val"))
    model, _, _ = _compiled_model(cfg, data, steps_per_epoch=4)
    assert model.optimizer.built
    traces, created = [], []
    step = model.train_step
    model.train_step = lambda batch: traces.append(1) or step(batch)

    def creator(next_creator, **kwargs):
        created.append(kwargs.get("name"))
        return next_creator(**kwargs)

    with tf.variable_creator_scope(creator):
        model.fit(data.X_train, data.y_train, batch_size=16, epochs=2, verbose=0)
    assert created == [] and len(traces) == 1


def test_input_pipelines_run_without_the_autotuner():
    """The run's tf.data pipelines prefetch a fixed number of batches with the autotuner off:
    with it, a new iterator sometimes stalled ~0.6 s before its first batch (issue 12)."""
    from lstm_helpers.model.datasets import PREFETCH_BATCHES, make_dataset

    X, y = np.zeros((20, 10, 3), np.float32), np.arange(20) % 2
    stream, _ = training_stream(X, y, TrainConfig(epochs=2, batch_size=8), 2, False, 0)
    for ds in (make_dataset(X, y, 8, 2, False, True, 0), stream):
        assert ds.options().autotune.enabled is False
    assert PREFETCH_BATCHES >= 1 and len(list(stream)) == 6  # 2 epochs x 3 batches, all there


def test_class_weighting_says_what_each_window_weighs():
    """Focal alpha and class weights multiply when both are set (story 1 sets both): the
    training summary shows the product, not only the two knobs."""
    from lstm_helpers.model.summary import class_weighting

    both = class_weighting(["other", "play"], {"other": 0.6, "play": 2.5}, 0.25)
    assert both.startswith("focal alpha 0.25 (other 0.75, play 0.25) times class weights (other 0.6, play 2.5)")
    assert ": other 0.45, play 0.625 per window; both apply" in both
    assert class_weighting(["other", "play"], None, 0.75) == "focal alpha 0.75 (other 0.25, play 0.75)"
    assert class_weighting(["a", "b", "c"], None, None) == "none: every training window weighs 1"
    assert class_weighting(["a", "b", "c"], {"a": 1.0, "b": 2.0, "c": 4.0}, None) == "class weights: a 1, b 2, c 4"


def test_focal_alpha_on_balanced_class_weights_warns_when_it_tilts_past_balance():
    """Story 1: alpha 0.75 on balanced weights made a play window weigh ~19x an other one against
    6.4:1 in the data, and a 0.5 threshold flagged every window, with one table cell to say so."""
    import numpy as np

    from lstm_helpers.config import TrainConfig
    from lstm_helpers.model.budget import compounded_weighting

    y = np.array([0] * 640 + [1] * 100)
    balanced = {0: 740 / (2 * 640), 1: 740 / (2 * 100)}
    focal = TrainConfig(loss="focal", focal_alpha=0.75)
    said = compounded_weighting(focal, ["other", "play"], balanced, y)
    assert said.startswith("train.focal_alpha 0.75 and class weights both apply: a play window weighs 19.2x")
    assert "6.4 other windows per play one, so the loss favours play 3x past balance" in said
    assert compounded_weighting(TrainConfig(loss="focal", focal_alpha=0.5), ["other", "play"], balanced, y) is None
    assert (
        compounded_weighting(focal.model_copy(update={"use_class_weight": False}), ["other", "play"], balanced, y)
        is None
    )
    assert compounded_weighting(TrainConfig(loss="focal", focal_alpha=0.25), ["other", "play"], balanced, y) is not None
    assert compounded_weighting(focal, ["other", "play"], None, y) is None


def test_stage_02_warnings_reach_the_next_steps_of_the_report():
    """ "What to change next" left out what training warned of (only 16 updates; a focal alpha
    compounding the class weights): the warnings sat in the training notebook alone."""
    from lstm_helpers.config import TrainConfig
    from lstm_helpers.judge.validation_notes import training_warnings

    few = "2,048 training windows at batch 128 for 2 epochs give only 32 updates (train.min_updates = 480)"
    train = {"budget": {"warnings": [few]}, "class_weight": {"other": 740 / 1280, "play": 740 / 200}}
    said = training_warnings(train, TrainConfig(loss="focal", focal_alpha=0.75), {"other": 640, "play": 100})
    assert said[0] == few and said[1].startswith("train.focal_alpha 0.75 and class weights both apply")
    assert training_warnings(train, TrainConfig(), {"other": 640, "play": 100}) == [few]
    assert training_warnings(None, TrainConfig(), {}) == []


@pytest.mark.parametrize(("planned", "said"), [(6, False), (9, True)])
def test_stopped_after_is_said_only_when_epochs_were_left(planned, said, capsys):
    """Patience ran out at the planned last epoch (6 of 6): the epoch log said "stopped after epoch 6:
    val_pr_auc had not improved for 5 epochs" above a training table saying "stopped early: no"."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.stop_training = False
    stop = ResumableEarlyStopping(monitor="val_pr_auc", mode="max", patience=5, verbose=1)
    stop.set_model(model)
    stop.set_params({"epochs": planned})
    stop.on_train_begin()
    for epoch, value in enumerate([0.9, 0.5, 0.5, 0.5, 0.5, 0.5]):
        stop.on_epoch_begin(epoch)
        stop.on_epoch_end(epoch, {"val_pr_auc": value, "val_loss": 1.0})
    stop.on_train_end()
    out = capsys.readouterr().out
    assert ("stopped after epoch 6: val_pr_auc had not improved for 5 epochs (best: epoch 1)" in out) is said, out


def test_the_etas_product_checks_against_the_eta_for_epochs_of_10_to_100_seconds():
    """The ETA "2 min 15 s (10 x 14 s)": 13.5 s per epoch was rounded to 14 s, so the product read
    5 s off its own ETA (a reviewer playing story 3 checked it by hand)."""
    from lstm_helpers.model.timing import compact_epoch_line

    line = compact_epoch_line(2, 12, 13.5, 2000.0, 135.0, {"loss": 0.5}, eta_per_epoch=13.5)
    assert line.endswith("ETA 2 min 15 s (10 x 13.5 s with checkpoint and logs)"), line
