"""Tests of lstm_helpers.judge.plots: every function returns a Figure and writes a non-empty PNG."""

from __future__ import annotations

import os
import subprocess
import sys

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from lstm_helpers.judge import plots

RNG = np.random.default_rng(0)
Y_BIN = np.array([0] * 40 + [1] * 10)
S_BIN = np.clip(0.3 * Y_BIN + RNG.uniform(0, 0.7, 50), 0, 1)
HISTORY = pd.DataFrame(
    {"epoch": [1, 2, 3], "loss": [0.9, 0.6, 0.5], "val_loss": [0.8, 0.7, 0.75],
     "pr_auc": [0.3, 0.5, 0.6], "val_pr_auc": [0.25, 0.45, 0.4], "lr": [1e-3, 1e-3, 5e-4]}
)


def _check(fig, path):
    assert isinstance(fig, Figure)
    assert path.is_file() and path.stat().st_size > 1000


def test_evaluation_plots_save_pngs(tmp_path):
    classes = ["other", "play"]
    _check(plots.plot_confusion_matrix([[30, 10], [2, 8]], classes, path=tmp_path / "cm.png"), tmp_path / "cm.png")
    _check(plots.plot_pr_curve(Y_BIN, S_BIN, threshold=0.5, positive_label="play", path=tmp_path / "pr.png"),
           tmp_path / "pr.png")
    _check(plots.plot_roc_curve(Y_BIN, S_BIN, threshold=0.5, path=tmp_path / "roc.png"), tmp_path / "roc.png")
    _check(plots.plot_score_distributions(Y_BIN, S_BIN, classes, threshold=0.5, path=tmp_path / "d.png"),
           tmp_path / "d.png")
    _check(plots.plot_metric_vs_threshold(Y_BIN, S_BIN, threshold=0.5, path=tmp_path / "m" / "t.png"),
           tmp_path / "m" / "t.png")


def test_confusion_matrix_labels_and_annotations():
    fig = plots.plot_confusion_matrix(np.array([[5, 2], [1, 2]]), ["other", "play"])
    counts_ax, norm_ax = fig.axes[:2]
    assert [t.get_text() for t in counts_ax.get_xticklabels()] == ["other", "play"]
    assert [t.get_text() for t in counts_ax.texts] == ["5", "2", "1", "2"]
    assert [t.get_text() for t in norm_ax.texts] == ["0.71", "0.29", "0.33", "0.67"]
    with pytest.raises(ValueError, match="expected \\(3, 3\\)"):
        plots.plot_confusion_matrix(np.eye(2), ["a", "b", "c"])


def test_multiclass_curves(tmp_path):
    y = np.repeat([0, 1, 2], 10)
    probs = RNG.dirichlet(np.ones(3), size=30)
    _check(plots.plot_pr_curve(y, probs, classes=["a", "b", "c"], path=tmp_path / "pr.png"), tmp_path / "pr.png")
    fig = plots.plot_roc_curve(y, probs, classes=["a", "b", "c"])
    assert len(fig.axes[0].lines) == 4  # three classes + chance
    with pytest.raises(ValueError, match="need classes"):
        plots.plot_pr_curve(y, probs)
    with pytest.raises(ValueError, match="both positive and negative"):
        plots.plot_pr_curve(np.zeros(5), np.linspace(0, 1, 5))


def test_timeline(tmp_path):
    score = np.full(100, np.nan)
    score[10:] = np.linspace(0, 1, 90)
    fig = plots.plot_timeline(score, 0.5, true_bouts=[[20, 40]], pred_bouts=[[25, 45], [80, 90]],
                              signal=RNG.normal(size=(100, 2)), channel_names=["acc_x", "acc_y"],
                              sample_rate_hz=25, class_name="play", path=tmp_path / "tl.png")
    _check(fig, tmp_path / "tl.png")
    assert len(fig.axes) == 2 and fig.axes[1].get_xlabel() == "Time (s)"
    assert len(fig.axes[1].patches) == 3  # one true, two predicted spans
    with pytest.raises(ValueError, match="signal has 50 timesteps"):
        plots.plot_timeline(score, signal=np.zeros(50))


def test_general_plots(tmp_path):
    counts = {"train": {"before": {"other": 100, "play": 10}, "after": {"other": 50, "play": 10}},
              "test": {"before": {"other": 30, "play": 3}}}
    fig = plots.plot_class_distribution(counts, path=tmp_path / "c.png")
    _check(fig, tmp_path / "c.png")
    assert [ax.get_title() for ax in fig.axes] == ["train", "test"]
    with pytest.raises(ValueError, match="counts\\['train'\\]"):
        plots.plot_class_distribution({"train": 3})
    X = RNG.normal(size=(12, 20, 3))
    y = np.repeat([0, 1, 2], 4)
    fig = plots.plot_example_windows(X, y, ["a", "b", "c"], n_per_class=2, channels=[0, 2],
                                     path=tmp_path / "w.png")
    _check(fig, tmp_path / "w.png")
    assert len(fig.axes) == 6 and len(fig.axes[0].lines) == 2
    with pytest.raises(ValueError, match="channels \\[5\\] out of range"):
        plots.plot_example_windows(X, y, ["a", "b", "c"], channels=[5])


def test_history_plots(tmp_path):
    fig = plots.plot_learning_curves(HISTORY, "val_pr_auc", path=tmp_path / "lc.png")
    _check(fig, tmp_path / "lc.png")
    best = [line for line in fig.axes[1].lines if "best epoch" in line.get_label()]
    assert best and best[0].get_label() == "best epoch 2"
    assert len(plots.plot_learning_curves(HISTORY).axes) == 2  # auto picks pr_auc
    with pytest.raises(ValueError, match="monitor 'val_f1' is not a history column"):
        plots.plot_learning_curves(HISTORY, "val_f1")
    fig = plots.plot_learning_rate(HISTORY.rename(columns={"lr": "learning_rate"}), path=tmp_path / "lr.png")
    _check(fig, tmp_path / "lr.png")
    assert fig.axes[0].get_yscale() == "log"
    with pytest.raises(ValueError, match="no 'lr' or 'learning_rate'"):
        plots.plot_learning_rate(HISTORY.drop(columns="lr"))


def test_plots_module_does_not_import_tensorflow():
    code = "import sys, lstm_helpers.judge.plots; print('tensorflow' in sys.modules or 'keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "MPLBACKEND": "Agg"})
    assert out.stdout.strip() == "False"
