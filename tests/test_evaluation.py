"""Tests of the evaluation stage (lstm_helpers.judge): hand-computed metrics, threshold strategies,
timeline stitching, bout matching, and the whole stage on a tiny real trained model (plus a
papermill run of notebooks/03_evaluate.ipynb)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import yaml

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pandas as pd
import pytest
from conftest import fake_recordings_run
from sklearn.metrics import roc_auc_score

from lstm_helpers.artifacts import save_npz, write_json, write_yaml
from lstm_helpers.config import PROJECT_ROOT, resolve_config
from lstm_helpers.judge.bouts import (
    clean_bouts,
    find_bouts,
    match_bouts,
    per_recording_scores,
    score_bouts,
    stitch_timeline,
    windows_to_signal,
)
from lstm_helpers.judge.evaluation import run_evaluation
from lstm_helpers.judge.metrics import compute_metrics, interpret_metrics
from lstm_helpers.judge.notes import ACT, kind_of
from lstm_helpers.judge.threshold import (
    THRESHOLD_STRATEGIES,
    DecisionRule,
    choose_threshold,
    compare_threshold_strategies,
    predict_labels,
)

# ------------------------------------------------------------------ threshold strategies
# scores ascending with labels; positive when score >= t. Hand-computed (TP, FP of 4 pos):
# t=.1 P.444 R1 | .2 P.5 R1 | .3 P.571 R1 | .4 P.667 R1 F1 .8 | .5 P.6 R.75 | .6 P.75 R.75
# .7 P.667 R.5 | .8 P.5 R.25 | .9 P1 R.25
SCORES = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
LABELS = np.array([0, 0, 0, 1, 0, 1, 1, 0, 1])


@pytest.mark.parametrize(
    "strategy, kwargs, value, precision, recall",
    [
        ("fixed", {"threshold": 0.5}, 0.5, 0.6, 0.75),
        # chosen at a score, then moved to the middle of the gap below it (same predictions)
        ("max_f1", {}, 0.35, 2 / 3, 1.0),
        ("max_fbeta", {"beta": 0.5}, 0.55, 0.75, 0.75),  # precision-weighted
        ("max_fbeta", {"beta": 2.0}, 0.35, 2 / 3, 1.0),
        ("recall_at_precision", {"min_precision": 0.7}, 0.55, 0.75, 0.75),
        ("recall_at_precision", {"min_precision": 0.6}, 0.35, 2 / 3, 1.0),
        ("recall_at_precision", {"min_precision": 1.0}, 0.85, 1.0, 0.25),
        ("precision_at_recall", {"min_recall": 0.75}, 0.55, 0.75, 0.75),
        ("precision_at_recall", {"min_recall": 1.0}, 0.35, 2 / 3, 1.0),
    ],
)
def test_choose_threshold_known_answers(strategy, kwargs, value, precision, recall):
    out = choose_threshold(LABELS, SCORES, strategy, **kwargs)
    assert out["value"] == pytest.approx(value)
    assert out["precision"] == pytest.approx(precision)
    assert out["recall"] == pytest.approx(recall)
    assert out["fallback"] is None and out["note"] is None
    assert out["n"] == 9 and out["n_positive"] == 4
    if strategy in ("recall_at_precision", "precision_at_recall"):
        assert out["constraint_met"] is True


def test_a_threshold_on_perfectly_separated_validation_sits_between_the_classes_not_on_an_edge():
    # 10 validation windows, the lowest positive at 0.96: a threshold of 0.96 would reject a
    # test window of the class scored 0.9; the middle of the gap (0.3 .. 0.96) accepts it
    y = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    s = np.array([0.01, 0.05, 0.1, 0.2, 0.3, 0.96, 0.97, 0.98, 0.99, 0.995], np.float32)
    out = choose_threshold(y, s, "max_f1")
    assert out["value"] == pytest.approx((0.3 + 0.96) / 2, abs=1e-6) and out["f1"] == 1.0
    assert choose_threshold([0, 1], [0.4, 0.4], "max_f1")["value"] == pytest.approx(0.4)  # nothing below


def test_choose_threshold_unattainable_precision_falls_back_to_max_f1():
    # best precision reachable is 0.5, so precision >= 0.9 cannot be met
    out = choose_threshold([1, 0, 1, 0], [0.2, 0.4, 0.6, 0.8], "recall_at_precision", min_precision=0.9)
    assert out["constraint_met"] is False
    assert out["fallback"] == "max_f1"
    assert "precision >= 0.9" in out["note"] and "0.500" in out["note"]
    assert out["value"] == pytest.approx(0.2)  # F1 0.667 (P .5, R 1) beats t=.6 (F1 .5)
    assert out["recall"] == 1.0


def test_choose_threshold_no_positives_uses_fixed():
    out = choose_threshold([0, 0, 0], [0.1, 0.7, 0.3], "max_f1", threshold=0.3)
    assert out["value"] == 0.3 and out["fallback"] == "fixed" and "no positive" in out["note"]


def test_a_threshold_that_flags_most_validation_windows_says_so():
    """Scores that do not rank the class (constant, or the positives lowest): max F1 then flags
    every window, and recall 1.0 comes from that alone; the choice says so."""
    y = np.r_[np.ones(2), np.zeros(18)]
    for scores in (np.full(20, 0.4), np.r_[[0.1, 0.1], np.linspace(0.2, 0.9, 18)]):
        out = choose_threshold(y, scores, "max_f1")
        assert out["recall"] == 1.0 and "flags 100% of validation windows against a prevalence of 10%" in out["note"]
    good = choose_threshold(y, np.r_[[0.9, 0.8], np.linspace(0.1, 0.5, 18)], "max_f1")
    assert good["note"] is None
    fixed = choose_threshold(y, np.full(20, 0.4), "fixed", threshold=0.3)  # the user's own threshold: no verdict
    assert fixed["note"] is None


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"strategy": "best"}, "threshold strategy 'best' is not valid"),
        ({"min_precision": 0.0}, "min_precision must be in"),
        ({"min_precision": 1.5}, "min_precision must be in"),
        ({"min_recall": -0.1}, "min_recall must be in"),
        ({"beta": 0.0}, "beta must be > 0"),
        ({"threshold": 1.0}, "threshold must be in"),
    ],
)
def test_choose_threshold_rejects_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        choose_threshold(LABELS, SCORES, **kwargs)


def test_choose_threshold_rejects_bad_data():
    with pytest.raises(ValueError, match="only 0/1"):
        choose_threshold([0, 2, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="3 entries but scores has 2"):
        choose_threshold([0, 1, 1], [0.1, 0.2])


def test_compare_threshold_strategies_table():
    table = compare_threshold_strategies(LABELS, SCORES, LABELS, SCORES, min_precision=0.7, used="recall_at_precision")
    assert list(table["strategy"]) == list(THRESHOLD_STRATEGIES)
    row = table.set_index("strategy").loc["recall_at_precision"]
    assert row["threshold"] == pytest.approx(0.55) and row["test_precision"] == pytest.approx(0.75)
    # each strategy's target beside it: precision 0.75 against "at least 0.7", not against 1
    assert list(table.columns[:3]) == ["strategy", "target", "threshold"]
    assert list(table["target"]) == [
        "evaluate.threshold 0.5", "", "beta 1", "precision >= 0.7", "recall >= 0.5",
    ]  # fmt: skip


# ------------------------------------------------------------------ decision rule
def test_predict_labels_binary_and_multiclass():
    np.testing.assert_array_equal(predict_labels([0.2, 0.5, 0.7], 0.5), [0, 1, 1])
    np.testing.assert_array_equal(predict_labels(np.array([[0.2], [0.5], [0.7]]), 0.6), [0, 0, 1])
    probs = np.array([[0.5, 0.3, 0.2], [0.2, 0.35, 0.45], [0.1, 0.6, 0.3]])
    np.testing.assert_array_equal(predict_labels(probs), [0, 2, 1])
    np.testing.assert_array_equal(predict_labels(probs, 0.3, positive_index=2), [0, 2, 2])
    # below the threshold the class of interest is never predicted: argmax of the rest
    np.testing.assert_array_equal(predict_labels(probs, 0.5, positive_index=2), [0, 1, 1])
    with pytest.raises(ValueError, match="positive_index 3 is out of range"):
        predict_labels(probs, 0.5, positive_index=3)


def test_predict_labels_runner_up_matches_the_copying_rule():
    """The rule without an (n, K) copy gives what "mask the class, argmax the rest" gives."""
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.ones(6) * 0.3, size=2000).astype(np.float32)
    probs[:50, 2] = probs[:50, 4]  # ties between the class of interest and another
    for k, t in ((2, 0.3), (2, 0.9), (0, 0.05), (5, 1.0)):
        rest = probs.astype(np.float64)
        rest[:, k] = -np.inf
        expected = np.where(probs[:, k].astype(np.float64) >= t, k, rest.argmax(axis=1))
        np.testing.assert_array_equal(predict_labels(probs, t, positive_index=k), expected)


def test_decision_rule_from_run_and_description(tmp_path):
    write_json(tmp_path / "threshold.json", {"value": 0.3, "positive_class": "walk"})
    rule = DecisionRule.from_run(["other", "play", "walk"], None, tmp_path / "threshold.json")
    assert (rule.threshold, rule.class_index) == (0.3, 2)
    assert rule.describe() == "'walk' when P >= 0.3, else the most probable other class"
    np.testing.assert_array_equal(rule.apply([[0.5, 0.2, 0.3], [0.6, 0.3, 0.1]]), [2, 0])
    binary = DecisionRule.from_run(["other", "play"], 1, tmp_path / "none.json")
    assert (binary.threshold, binary.class_index) == (0.5, 1) and binary.describe().endswith("else the other class")
    argmax = DecisionRule.from_run(["a", "b", "c"], None, tmp_path / "none.json")
    assert argmax.threshold is None and argmax.describe() == "argmax of the class probabilities"
    write_json(tmp_path / "bad.json", {"value": 0.3, "positive_class": "run"})
    with pytest.raises(ValueError, match="positive_class 'run' is not one of"):
        DecisionRule.from_run(["other", "play"], 1, tmp_path / "bad.json")
    with pytest.raises(ValueError, match="both threshold and class_index"):
        DecisionRule(("a", "b"), 0.5, None)


# ------------------------------------------------------------------ metrics
def test_compute_metrics_binary_hand_computed():
    y_true = np.array([0, 0, 0, 0, 0, 0, 0, 1, 1, 1])
    y_pred = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 0])  # TN 5, FP 2, TP 2, FN 1
    scores = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.45])
    m = compute_metrics(y_true, scores, y_pred, ["other", "play"], positive_index=1)
    assert m["n"] == 10
    assert m["accuracy"] == pytest.approx(0.7)
    assert m["majority_baseline_accuracy"] == pytest.approx(0.7)  # the accuracy paradox
    assert m["majority_class"] == "other"
    assert m["balanced_accuracy"] == pytest.approx((5 / 7 + 2 / 3) / 2)
    assert m["mcc"] == pytest.approx(8 / np.sqrt(4 * 3 * 7 * 6))
    assert m["per_class"]["play"] == pytest.approx({"precision": 0.5, "recall": 2 / 3, "f1": 4 / 7, "support": 3})
    assert m["per_class"]["other"]["precision"] == pytest.approx(5 / 6)
    assert m["confusion_matrix"] == [[5, 2], [1, 2]]
    np.testing.assert_allclose(m["confusion_matrix_normalized"], [[5 / 7, 2 / 7], [1 / 3, 2 / 3]])
    # ranked: .9(1) .8(1) .7 .6 .5 (0) .45(1): AP = 1/3 + 1/3 + 1/3 * 3/6
    assert m["pr_auc"] == pytest.approx(2 / 3 + 1 / 6)
    assert m["roc_auc"] == pytest.approx(18 / 21)  # positive-above-negative pairs
    assert m["top_k_accuracy"] is None


def test_compute_metrics_multiclass_top_k_and_ovr():
    classes = ["rest", "walk", "play"]
    y_true = np.array([0, 1, 2, 2])
    probs = np.array([[0.5, 0.3, 0.2], [0.5, 0.2, 0.3], [0.3, 0.3, 0.4], [0.6, 0.1, 0.3]])
    y_pred = probs.argmax(axis=1)  # [0, 0, 2, 0]
    m = compute_metrics(y_true, probs, y_pred, classes, top_k=2)
    assert m["top_k"] == 2 and m["top_k_accuracy"] == pytest.approx(0.75)
    assert m["top_k_baseline_accuracy"] == pytest.approx(0.75)  # always "play" or one of the others: 3 of 4
    assert m["accuracy"] == pytest.approx(0.5)
    assert m["majority_baseline_accuracy"] == pytest.approx(0.5) and m["majority_class"] == "play"
    assert m["roc_auc"] == pytest.approx(roc_auc_score(y_true, probs, multi_class="ovr"))
    assert set(m["pr_auc_per_class"]) == set(classes)
    assert compute_metrics(y_true, probs, y_pred, classes, top_k=5)["top_k"] == 2  # clipped to K-1


def test_top_k_of_a_text_leaves_out_pad_which_is_never_a_target():
    """A character run's classes start with <pad>, which no window's next character is: top_k 500
    was clipped to K - 1 = all the targets, so top-k accuracy was trivially 1.0."""
    classes = ["<pad>", "<unk>", "a", "b", "c"]
    y_true = np.array([2, 3, 4, 2, 1])
    probs = np.tile([0.5, 0.2, 0.1, 0.1, 0.1], (5, 1))
    m = compute_metrics(y_true, probs, probs.argmax(axis=1), classes, top_k=500)
    assert m["top_k"] == 3 and m["top_k_accuracy"] < 1.0  # 4 targets: top-3 at most


def test_compute_metrics_absent_class_and_bad_input():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.2, 0.2, 0.6]])
    m = compute_metrics([0, 2, 2], probs, [0, 2, 2], ["a", "b", "c"])
    assert m["roc_auc_per_class"]["b"] is None and m["roc_auc"] == pytest.approx(1.0)
    assert np.isnan(m["confusion_matrix_normalized"][1]).all()
    import warnings

    with warnings.catch_warnings():  # a split without a predicted class: balanced accuracy over those it holds
        warnings.simplefilter("error")  # scikit-learn's warning printed a path into the executed notebook
        quiet = compute_metrics([0, 2, 2], probs, [0, 1, 2], ["a", "b", "c"])
    assert quiet["balanced_accuracy"] == pytest.approx(0.75)  # recall a 1.0, c 0.5
    with warnings.catch_warnings():  # windows of one class, all predicted as it (predict on one recording)
        warnings.simplefilter("error")  # "A single label was found" twice, raw, on predict's terminal
        one = compute_metrics([1, 1, 1], probs, [1, 1, 1], ["a", "b", "c"])
    assert one["balanced_accuracy"] == 1.0 and one["mcc"] == 0.0  # scikit-learn's values stand
    with pytest.raises(ValueError, match="y_true holds class indices outside"):
        compute_metrics([0, 3], probs[:2], [0, 0], ["a", "b", "c"])
    with pytest.raises(ValueError, match="expected \\(n, 3\\)"):
        compute_metrics([0, 1], np.ones((2, 2)) / 2, [0, 1], ["a", "b", "c"])


def test_chunked_top_k_and_log_loss_equal_sklearn_on_the_whole(monkeypatch):
    from sklearn.metrics import log_loss, top_k_accuracy_score

    from lstm_helpers.judge import metrics as metrics_module

    rng = np.random.default_rng(2)
    k = 40
    probs = rng.dirichlet(np.ones(k), size=503).astype(np.float32)
    y = rng.integers(0, k, 503)
    monkeypatch.setattr(metrics_module, "CHUNK_CELLS", 7 * k)  # 72 chunks of 7 rows
    m = compute_metrics(y, probs, probs.argmax(axis=1), [f"c{i}" for i in range(k)], top_k=5)
    assert m["top_k"] == 5
    assert m["top_k_accuracy"] == pytest.approx(top_k_accuracy_score(y, probs, k=5, labels=np.arange(k)))
    assert m["log_loss"] == pytest.approx(log_loss(y, probs, labels=np.arange(k)))
    assert m["perplexity"] == pytest.approx(np.exp(-np.mean(np.log(probs[np.arange(503), y]))), rel=1e-5)


def test_perplexity_of_uniform_and_certain_predictions():
    y = np.array([0, 1, 2, 3] * 5)
    uniform = compute_metrics(y, np.full((20, 4), 0.25), np.zeros(20, int), list("abcd"))
    assert uniform["perplexity"] == pytest.approx(4.0)  # K = uniform guessing
    certain = compute_metrics(y, np.eye(4)[y] * (1 - 3e-9) + 1e-9, y, list("abcd"))
    assert certain["perplexity"] == pytest.approx(1.0)


# ------------------------------------------------------------------ interpretation
BASE_METRICS = {
    "accuracy": 0.9,
    "majority_baseline_accuracy": 0.88,
    "majority_class": "other",
    "balanced_accuracy": 0.6,
    "mcc": 0.3,
    "n": 1000,
    "threshold": 0.42,
    "positive_class": "play",
    "per_class": {"play": {"precision": 0.4, "recall": 0.5, "f1": 0.44, "support": 100}},
    "pr_auc_per_class": {"play": 0.5},
    "pr_auc": 0.5,
}


def test_the_majority_class_of_a_character_model_is_named_visibly_in_notes_and_table():
    """The evaluation notebook (and report) read "always predicting ' '" and, for a newline
    majority, a note and a table cell broken across two lines."""
    from lstm_helpers.judge.metrics import summary_table

    chars = {**BASE_METRICS, "positive_class": None, "majority_class": "\n"}
    assert interpret_metrics(chars)[0].startswith("Accuracy 0.900 vs 0.880 for always predicting '↵': ")
    reading = summary_table({**chars, "majority_class": " "}).to_string()
    assert "always predicting '␣' (accuracy paradox)" in reading


def test_interpret_metrics_accuracy_and_class_of_interest():
    notes = interpret_metrics(BASE_METRICS)
    assert notes[0].startswith("Accuracy 0.900 vs 0.880 for always predicting 'other': the model adds +0.020")
    assert "'play' at threshold 0.42: precision 0.400, recall 0.500" in notes[1]
    assert "the ranking is informative" in notes[2] and "0.100" in notes[2]  # 0.5 >= 2 x prevalence 0.1
    weak = interpret_metrics({**BASE_METRICS, "pr_auc_per_class": {"play": 0.15}})
    assert "barely rank it above the rest" in weak[2] and "rather than the threshold" not in weak[2]  # test: read
    on_val = {"n": 500, "per_class": {"play": {"support": 50}}, "pr_auc_per_class": {"play": 0.15}}
    advice = interpret_metrics({**BASE_METRICS, "val": on_val})[3]  # what to change: from validation only
    assert advice.startswith("On validation the PR-AUC of 'play' (0.150)") and "rather than the threshold" in advice
    # a majority class of interest (prevalence 0.6): twice it is out of reach, so the bar is halfway to 1
    major = {**BASE_METRICS, "per_class": {"play": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 600}}}
    assert "the ranking is informative" in interpret_metrics({**major, "pr_auc_per_class": {"play": 1.0}})[2]
    weak_major = interpret_metrics({**major, "pr_auc_per_class": {"play": 0.7}})[2]
    assert "below 0.800, halfway from its prevalence to 1 (0.600)" in weak_major
    argmax = interpret_metrics({**BASE_METRICS, "threshold": None})
    assert "'play' at threshold none (argmax)" in argmax[1]
    assert "threshold options table" not in argmax[1] and "multiclass_decision: threshold" in argmax[1]
    (alone,) = interpret_metrics({k: v for k, v in BASE_METRICS.items() if k != "positive_class"})
    assert alone.endswith("and the per-class recalls instead.")  # no class of interest to point to
    assert notes[0].endswith("and the class-of-interest precision/recall instead.")


def test_interpret_metrics_validation_gap_and_bouts():
    gap = interpret_metrics({**BASE_METRICS, "val": {"pr_auc": 0.65}})
    assert any("PR-AUC drops from 0.650 (validation) to 0.500 (test)" in n for n in gap)
    assert not any("drops" in n for n in interpret_metrics({**BASE_METRICS, "val": {"pr_auc": 0.59}}))
    multi = interpret_metrics({**BASE_METRICS, "classes": ["a", "b", "play"], "val": {"pr_auc": 0.65}})
    (drop,) = [n for n in multi if "drops" in n]  # a macro average: not the class's threshold's doing
    assert drop.startswith("Macro PR-AUC drops from 0.650") and "threshold" not in drop
    bouts = {
        "play": {"n_pred": 9, "n_false_alarms": 6, "n_found": 2, "n_true": 4},
        "rest": {"n_pred": 5, "n_false_alarms": 1, "n_found": 4, "n_true": 4},
    }
    notes = interpret_metrics({**BASE_METRICS, "bouts": bouts})
    alarms = [n for n in notes if "predicted bouts are false alarms" in n]
    assert alarms == [  # test bouts: read, not a reason to change the bout settings (that would tune on test)
        "'play': 6 of 9 predicted bouts are false alarms, less than half on or within a window's length of a true "
        "bout (2/4 true bouts found) on the test recordings."
    ]
    assert interpret_metrics({}) == []


# ------------------------------------------------------------------ timeline stitching
def test_stitch_timeline_overlap_average_uncovered_and_edges():
    # shuffled windows of length 4: rec a (10 steps) starts 0/.2, 2/.6, 6/1.0 (ends at the edge)
    rec = np.array(["a", "b", "a", "a"])
    starts = np.array([6, 2, 0, 2])
    scores = np.array([1.0, 0.5, 0.2, 0.6])
    out = stitch_timeline(scores, rec, starts, 4, {"a": 10, "b": 8, "c": 5})
    np.testing.assert_allclose(out["a"], [0.2, 0.2, 0.4, 0.4, 0.6, 0.6, 1, 1, 1, 1])
    np.testing.assert_allclose(out["b"], [np.nan, np.nan, 0.5, 0.5, 0.5, 0.5, np.nan, np.nan])
    assert np.isnan(out["c"]).all() and out["c"].shape == (5,)
    two = stitch_timeline(np.column_stack([1 - scores, scores]), rec, starts, 4, {"a": 10, "b": 8})
    assert two["a"].shape == (10, 2)
    np.testing.assert_allclose(two["a"][:, 1], out["a"])
    np.testing.assert_allclose(two["a"].sum(axis=1), 1.0)


def test_stitch_timeline_errors():
    with pytest.raises(ValueError, match="falls outside its 9 timesteps"):
        stitch_timeline([0.5], ["a"], [6], 4, {"a": 9})
    with pytest.raises(ValueError, match="no entry in recording_lengths"):
        stitch_timeline([0.5], ["z"], [0], 4, {"a": 9})
    with pytest.raises(ValueError, match="equal length"):
        stitch_timeline([0.5, 0.1], ["a"], [0], 4, {"a": 9})


def test_windows_to_signal_rebuilds_the_recording():
    signal = np.arange(12.0)
    starts = np.array([0, 3, 6])
    windows = signal[starts[:, None] + np.arange(5)]
    rebuilt = windows_to_signal(windows, starts, 12)
    np.testing.assert_allclose(rebuilt[:11], signal[:11])
    assert np.isnan(rebuilt[11])


# ------------------------------------------------------------------ bouts
def test_find_bouts_edges():
    np.testing.assert_array_equal(find_bouts([1, 1, 0, 0, 1, 0, 1, 1]), [[0, 2], [4, 5], [6, 8]])
    assert find_bouts(np.zeros(5, bool)).shape == (0, 2)
    np.testing.assert_array_equal(find_bouts(np.ones(4, bool)), [[0, 4]])


def test_match_bouts_overlap_spanning_false_alarm_and_errors():
    sr = 10.0
    true = [
        [0, 10],
        [20, 30],
        [40, 50],
        [90, 100],
    ]  # at the very start and end of a 100-step recording
    pred = [
        [0, 12],
        [18, 45],
        [60, 65],
        [95, 100],
    ]  # [18, 45) spans two true bouts; [60, 65) false alarm
    res = match_bouts(true, pred, sr)
    assert (res["n_true"], res["n_pred"], res["n_found"], res["n_false_alarms"]) == (4, 4, 4, 1)
    assert res["bout_recall"] == 1.0 and res["bout_precision"] == pytest.approx(0.75)
    # onsets |0-0|, |18-20|, |18-40|, |95-90| ; offsets |12-10|, |45-30|, |45-50|, |100-100| (/10 Hz)
    assert res["onset_error_s"] == pytest.approx((0 + 0.2 + 2.2 + 0.5) / 4)
    assert res["offset_error_s"] == pytest.approx((0.2 + 1.5 + 0.5 + 0.0) / 4)
    assert res["false_alarms"] == [[6.0, 6.5]]
    missed = match_bouts(true, pred[:3], sr)
    assert missed["n_found"] == 3 and missed["bout_recall"] == 0.75
    assert missed["pairs"][3]["found"] is False and missed["pairs"][3]["onset_error_s"] is None


def test_match_bouts_touching_is_not_overlap_and_empty_cases():
    res = match_bouts([[0, 10]], [[10, 15]], 1.0)
    assert res["n_found"] == 0 and res["n_false_alarms"] == 1 and res["onset_error_s"] is None
    none = match_bouts(np.empty((0, 2)), np.empty((0, 2)), 1.0)
    assert none["bout_recall"] is None and none["bout_precision"] is None


def test_clean_bouts_merge_then_drop_short():
    pred = [[30, 31], [0, 5], [7, 10]]
    np.testing.assert_array_equal(clean_bouts(pred, 10.0, merge_gap_seconds=0.3), [[0, 10], [30, 31]])
    np.testing.assert_array_equal(clean_bouts(pred, 10.0, 0.2, 0.3), [[0, 10]])
    res = match_bouts([[0, 10], [40, 50]], pred, 10.0, min_pred_seconds=0.2, merge_gap_seconds=0.3)
    assert res["n_pred"] == 1 and res["n_false_alarms"] == 0 and res["offset_error_s"] == 0.0
    with pytest.raises(ValueError, match="sample_rate_hz must be > 0"):
        clean_bouts(pred, 0.0)


def test_bouts_are_scored_on_labelled_covered_timesteps_only():
    # r1: 100 steps, labels unknown on 40..59, a predicted 'play' bout entirely inside that gap;
    # r2: a true 'play' bout at 122..129 where no window reaches (prediction -1 from 120 on).
    lab1 = np.zeros(100, np.int64)
    lab1[40:60] = -1
    pred1 = np.zeros(100, np.int64)
    pred1[45:55] = 1
    lab2 = np.zeros(130, np.int64)
    lab2[[*range(10, 20), *range(122, 130)]] = 1
    pred2 = np.zeros(130, np.int64)
    pred2[10:20] = 1
    pred2[120:] = -1
    summary, rows, _ = score_bouts(
        {"r1": lab1, "r2": lab2}, {"r1": pred1, "r2": pred2}, ["other", "play"], ["play"], 1.0, 0.0, 0.0
    )
    play = summary["play"]
    assert (play["n_true"], play["n_found"], play["n_pred"], play["n_false_alarms"]) == (1, 1, 1, 0)
    assert play["bout_recall"] == 1.0 and play["bout_precision"] == 1.0
    r1 = next(r for r in rows if r["recording"] == "r1")
    assert r1["n_pred"] == 0 and r1["bout_precision"] is None


def test_precision_and_recall_are_undefined_not_zero_without_windows_of_the_class():
    y_absent = np.zeros(40, np.int64)
    m = compute_metrics(y_absent, np.linspace(0, 0.4, 40), y_absent, ["other", "play"], positive_index=1)
    play = m["per_class"]["play"]
    assert np.isnan(play["precision"]) and np.isnan(play["recall"]) and play["support"] == 0
    y = np.r_[np.zeros(30, np.int64), np.ones(10, np.int64)]
    never = compute_metrics(y, np.full(40, 0.1), np.zeros(40, np.int64), ["other", "play"], positive_index=1)
    assert np.isnan(never["per_class"]["play"]["precision"]) and never["per_class"]["play"]["recall"] == 0.0
    notes = interpret_metrics({**m, "positive_class": "play", "threshold": 0.5})
    assert "No 'play' window in this split: its precision and recall are undefined." in notes
    notes = interpret_metrics({**never, "positive_class": "play", "threshold": 0.5})
    assert any("precision undefined, recall 0.000" in n for n in notes)


def test_short_of_the_baseline_the_advice_names_only_what_the_run_did_not_try():
    from lstm_helpers.judge.metrics import untried_remedies as _untried

    m = {"positive_class": "play", "pr_auc": 0.9, "val": {"pr_auc": 0.845}}
    m["baseline"] = {"available": True, "pr_auc": 0.8, "val": {"pr_auc": 0.856}}  # short on validation alone
    default = resolve_config({})  # conv front end on, augmentation off, ensemble auto
    test, note = interpret_metrics(m, _untried(default))
    assert test.endswith("on the same test windows: the model beats it.")
    assert note.startswith(
        "On validation the model falls short of the MiniRocket baseline (pr_auc 0.845 against its 0.856)"
    )
    assert note.endswith(
        "0.856): try a longer budget (train.min_updates), augmentation (train.augment) "
        "or a seed ensemble (train.ensemble)."
    )
    assert "conv front end" in interpret_metrics(m, _untried(resolve_config({}, {"model.conv": []})))[1]
    assert "seed ensemble" not in interpret_metrics(m, _untried(default, members=5))[1]  # auto made five
    # train.min_updates sizes only train.epochs: auto; with the epochs set it has no effect
    _, fixed = interpret_metrics(m, _untried(resolve_config({}, {"train.epochs": 1})))
    assert "more epochs (train.epochs, 1 now)" in fixed and "min_updates" not in fixed
    assert interpret_metrics(m | {"pr_auc": 0.805}, [])[0].endswith("the model is level with it.")
    # multi-class with a class of interest: pr_auc is the macro average, so the verdict is on
    # balanced accuracy (what the run headlines and is ranked by), not on a macro PR-AUC
    multi = {"positive_class": "play", "classes": ["other", "rest", "play"], "pr_auc": 0.66, "balanced_accuracy": 0.45}
    multi["baseline"] = {"available": True, "pr_auc": 0.57, "balanced_accuracy": 0.57}
    (note,) = interpret_metrics(multi, [])
    assert note.startswith("balanced_accuracy 0.450 against the MiniRocket baseline's 0.570") and "falls short" in note
    multi["val"], multi["baseline"]["val"] = {"balanced_accuracy": 0.4}, {"balanced_accuracy": 0.5}
    assert interpret_metrics(multi, [])[1].startswith(
        "On validation the model falls short of the MiniRocket baseline (balanced_accuracy 0.400 against its 0.500)"
    )


def test_threshold_origin_says_how_the_threshold_was_set():
    from lstm_helpers.judge.metrics import threshold_origin

    def origin(used, asked, fallback):
        detail = {"chosen_on": "validation", "strategy": asked, "fallback": fallback}
        return threshold_origin({"threshold_strategy": used, "threshold_detail": detail})

    assert origin("max_f1", "max_f1", None) == "chosen on validation by max_f1"
    assert origin("fixed", "fixed", None) == "fixed: evaluate.threshold"  # the naive recipe
    assert origin("fixed", "max_f1", "fixed") == "fixed: evaluate.threshold, as validation could not choose"
    # max_f1 asked, validation had no window of the class: the fixed threshold, not "chosen on validation"
    assert origin("max_f1", "max_f1", "fixed") == "fixed: evaluate.threshold, as validation could not choose"
    assert origin("max_f1", "recall_at_precision", "max_f1") == (
        "chosen on validation by max_f1 (recall_at_precision's constraint could not be met)"
    )
    assert threshold_origin({"threshold_detail": {"chosen_on": "none"}}) == "fixed: no validation windows"


def test_per_recording_scores():
    table = per_recording_scores(
        ["r1", "r1", "r2", "r2"],
        [1, 0, 1, 1],
        [1, 1, 0, 1],
        1,
        {"r1": np.array([1, 1, 0, -1])},
        {"r1": np.array([1, 0, 0, 1])},
    ).set_index("recording")
    assert table.loc["r1", "window_precision"] == 0.5 and table.loc["r1", "window_recall"] == 1.0
    assert table.loc["r2", "window_recall"] == 0.5 and table.loc["r2", "window_accuracy"] == 0.5
    assert table.loc["r1", "n_timesteps"] == 3 and table.loc["r1", "timestep_recall"] == 0.5
    assert np.isnan(table.loc["r2", "timestep_recall"])


# ------------------------------------------------------------------ the stage on a real model
T, C, STEP, LENGTH, SR = 16, 2, 8, 160, 10.0
SPLITS = {"train": ["r0", "r1"], "val": ["r2", "r3"], "test": ["r4", "r5"]}


def _recording(k: int, n_classes: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    labels = np.zeros(LENGTH, np.int64)
    labels[40 + 4 * k : 72 + 4 * k] = 1  # a play bout
    labels[130:150] = 1 if k % 2 else 0
    if n_classes == 3:
        labels[90:110] = 2
    signal = rng.normal(0, 0.3, (LENGTH, C))
    signal[:, 0] += 1.5 * (labels == 1) * np.sin(np.arange(LENGTH))
    signal[:, 1] += 1.0 * (labels == 2)
    if k == 5:
        labels[152:] = -1  # unlabelled tail
    return signal.astype(np.float32), labels


def _make_run(run_dir: Path, n_classes: int) -> Path:
    import keras

    rng = np.random.default_rng(n_classes)
    classes = ["other", "play"] + (["walk"] if n_classes == 3 else [])
    starts = np.arange(0, LENGTH - T + 1, STEP)
    arrays: dict[str, np.ndarray] = {}
    timeline = {}
    for split, recs in SPLITS.items():
        Xs, ys, rs, ss = [], [], [], []
        for rec in recs:
            signal, labels = _recording(int(rec[1]), n_classes, rng)
            idx = starts[:, None] + np.arange(T)
            Xs.append(signal[idx])
            ys.append(np.eye(n_classes)[np.maximum(labels, 0)[idx]].sum(axis=1).argmax(axis=1))
            rs.append(np.full(len(starts), rec))
            ss.append(starts)
            if split != "train":
                timeline[rec] = labels
        arrays[f"X_{split}"] = np.concatenate(Xs)
        arrays[f"y_{split}"] = np.concatenate(ys).astype(np.int64)
        arrays[f"rec_{split}"] = np.concatenate(rs).astype(str)
        arrays[f"start_{split}"] = np.concatenate(ss).astype(np.int64)
        arrays[f"synthetic_{split}"] = np.zeros(len(arrays[f"y_{split}"]), bool)
    arrays["timeline_rec_ids"] = np.array(list(timeline), dtype=str)
    arrays["timeline_offsets"] = np.concatenate([[0], np.cumsum([len(v) for v in timeline.values()])]).astype(np.int64)
    arrays["timeline_labels"] = np.concatenate(list(timeline.values())).astype(np.int64)
    run_dir.mkdir(parents=True)
    save_npz(run_dir / "prepared.npz", arrays)
    binary = n_classes == 2
    counts = {s: {"before": {c: int((arrays[f"y_{s}"] == k).sum()) for k, c in enumerate(classes)}} for s in SPLITS}
    write_json(
        run_dir / "prepare.json",
        {
            "classes": classes,
            "positive_class": "play" if binary else None,
            "positive_index": 1 if binary else None,
            "classes_of_interest": ["play"],
            "input": {
                "kind": "real",
                "window_length": T,
                "n_channels": C,
                "channels": ["acc_x", "acc_y"],
                "vocab_size": None,
                "masked": False,
                "mask_value": 0.0,
                "sample_rate_hz": SR,
                "step": STEP,
                "data_kind": "recordings",
            },
            "class_weight": None,
            "counts": counts,
            "groups": SPLITS,
            "leakage": {"ok": True},
            "splits_recordings": SPLITS,
            "scaler": {"method": "none", "per": "global", "center": [0.0] * C, "scale": [1.0] * C},
        },
    )
    cfg = resolve_config(
        {},
        {
            "data.sample_rate_hz": SR,
            "data.channels": ["acc_x", "acc_y"],
            "data.classes_of_interest": ["play"],
            "train.top_k": 2,
            "evaluate.bout_min_seconds": 0.5,
        },
    )
    write_yaml(run_dir / "params.yaml", cfg.to_dict())
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((T, C)),
            keras.layers.LSTM(4),
            keras.layers.Dense(1, activation="sigmoid")
            if binary
            else keras.layers.Dense(n_classes, activation="softmax"),
        ]
    )
    model.compile("adam", "binary_crossentropy" if binary else "sparse_categorical_crossentropy")
    model.fit(arrays["X_train"], arrays["y_train"], epochs=1, batch_size=32, verbose=0)
    model.save(run_dir / "model.keras")
    return run_dir


@pytest.fixture(scope="module")
def binary_run(tmp_path_factory) -> Path:
    return _make_run(tmp_path_factory.mktemp("eval") / "binary", 2)


@pytest.fixture(scope="module")
def multiclass_run(tmp_path_factory) -> Path:
    return _make_run(tmp_path_factory.mktemp("eval") / "multi", 3)


STABLE_KEYS = {
    "accuracy",
    "majority_baseline_accuracy",
    "balanced_accuracy",
    "mcc",
    "pr_auc",
    "roc_auc",
    "threshold",
    "threshold_strategy",
    "per_class",
    "confusion_matrix",
    "confusion_matrix_normalized",
    "bouts",
    "per_recording",
    "top_k_accuracy",
    "val",
    "classes",
    "positive_class",
    "n_test",
}
CORE_KEYS = {
    "accuracy",
    "majority_baseline_accuracy",
    "balanced_accuracy",
    "mcc",
    "pr_auc",
    "roc_auc",
    "per_class",
    "confusion_matrix",
    "confusion_matrix_normalized",
    "top_k_accuracy",
}


@pytest.mark.slow
def test_run_evaluation_binary(binary_run):
    from lstm_helpers.artifacts import load_npz, open_run

    cfg, run = open_run(str(binary_run))
    result = run_evaluation(cfg, run)
    metrics = json.loads((run / "metrics.json").read_text())
    assert STABLE_KEYS <= set(metrics) and CORE_KEYS <= set(metrics["val"])
    assert metrics["classes"] == ["other", "play"] and metrics["positive_class"] == "play"
    assert metrics["n_test"] == 2 * 19 and metrics["threshold_strategy"] == "max_f1"
    threshold = json.loads((run / "threshold.json").read_text())
    assert threshold["value"] == metrics["threshold"] and threshold["chosen_on"] == "validation"
    # the validation threshold is applied unchanged to test
    pred = pd.read_csv(run / "predictions_test.csv")
    assert list(pred.columns) == ["rec", "start", "y_true", "y_pred", "p_other", "p_play"]
    assert ((pred["p_play"] >= metrics["threshold"]) == (pred["y_pred"] == "play")).all()
    tp = ((pred["y_pred"] == "play") & (pred["y_true"] == "play")).sum()
    assert metrics["per_class"]["play"]["precision"] == pytest.approx(tp / max(1, (pred["y_pred"] == "play").sum()))
    bouts = metrics["bouts"]["play"]
    assert {
        "n_true",
        "n_found",
        "n_false_alarms",
        "bout_recall",
        "bout_precision",
        "onset_error_s",
    } <= set(bouts)
    assert bouts["n_true"] == 3 and bouts["min_pred_seconds"] == 0.5  # r4: 1 bout, r5: 2 bouts
    assert bouts["timeline_recording"] in {"r4", "r5"} and set(bouts["errors_by_recording"]) <= {"r4", "r5"}
    assert {r["recording"] for r in metrics["per_recording"]} == {"r4", "r5"}
    assert metrics["top_k_accuracy"] is None
    for name in (
        "confusion_matrix",
        "pr_curve",
        "roc_curve",
        "score_distributions",
        "metric_vs_threshold",
        "timeline",
    ):
        png = run / "figures" / f"{name}.png"
        assert png.is_file() and png.stat().st_size > 1000, name
    assert set(result["timeline"]) == {"r4", "r5"} and result["timeline"]["r4"].shape == (LENGTH,)
    # the notebook's bout tables in plain names; bouts_test.csv keeps the machine names
    assert list(result["bouts"].columns)[2:6] == ["true bouts", "predicted bouts", "found", "false alarms"]
    details = result["bout_details"]
    assert "onset error (s)" in details and set(details["found"]) <= {"yes", "missed"}
    assert "onset_error_s" in pd.read_csv(run / "bouts_test.csv")
    assert {"metric", "training", "validation", "test"} <= {
        result["summary"].index.name,
        *result["summary"].columns,
    }
    # how well the model fits its (real) training windows, at the run's own threshold
    prepared = load_npz(run / "prepared.npz")
    fit = metrics["train"]
    assert fit["n"] == int((~prepared["synthetic_train"].astype(bool)).sum()) and fit["sampled"] is False
    assert CORE_KEYS <= set(fit) and result["summary"].loc["pr_auc", "training"] == fit["pr_auc"]
    assert result["summary"].loc["play recall", "training"] == fit["per_class"]["play"]["recall"]
    assert len(result["threshold_options"]) == len(THRESHOLD_STRATEGIES)
    options = result["threshold_options"]  # a note column only when some strategy has a note
    assert "note" not in options or options["note"].astype(bool).any()
    bad = resolve_config(cfg.to_dict(), {"evaluate.timeline_recording": "r0"})  # params.yaml untouched
    with pytest.raises(ValueError, match="evaluate.timeline_recording = 'r0' is not a test recording"):
        run_evaluation(bad, run)


@pytest.mark.slow
def test_minirocket_baseline_is_judged_like_the_model(binary_run):
    """metrics.json carries the non-deep baseline: fitted on the same training windows, its
    threshold chosen by the same strategy on its own validation scores, scored on test."""
    from lstm_helpers.artifacts import open_run

    cfg, run = open_run(str(binary_run))
    run_evaluation(cfg, run)
    metrics = json.loads((run / "metrics.json").read_text())
    b = metrics["baseline"]
    assert b["available"] and b["name"] == "MiniRocket" and b["classifier"] == "logistic"
    assert CORE_KEYS <= set(b) and CORE_KEYS <= set(b["val"])
    assert b["n"] == metrics["n_test"] and 0.0 < b["threshold"] < 1.0
    assert sum(sum(r) for r in b["confusion_matrix"]) == metrics["n_test"]
    assert any("MiniRocket baseline" in note for note in metrics["notes"])
    off = resolve_config(cfg.to_dict(), {"evaluate.baseline": "none"})
    run_evaluation(off, run)
    assert json.loads((run / "metrics.json").read_text())["baseline"] is None


@pytest.mark.slow
def test_prefitted_baseline_is_the_one_stage_03_fits(binary_run):
    """prefit_baseline (run beside stage 02 by the pipeline) fills the baseline cache with the
    fit stage 03 would make: run_evaluation then reads it (``cached``), and its metrics equal
    those of a fresh fit; another seed misses the cache."""
    import shutil

    from lstm_helpers.artifacts import open_run
    from lstm_helpers.judge.evaluation import prefit_baseline
    from lstm_helpers.layout import RunLayout

    cfg, run = open_run(str(binary_run))
    cache = RunLayout(run).baseline_cache
    shutil.rmtree(cache, ignore_errors=True)
    assert not prefit_baseline(cfg, run).cached and len(list(cache.glob("*.json"))) == 1
    run_evaluation(cfg, run)
    reused = json.loads((run / "metrics.json").read_text())["baseline"]
    shutil.rmtree(cache)
    run_evaluation(cfg, run)
    fresh = json.loads((run / "metrics.json").read_text())["baseline"]
    assert reused.pop("cached") is True and fresh.pop("cached") is False
    reused.pop("fit_seconds"), fresh.pop("fit_seconds")
    assert reused == fresh
    other = resolve_config(cfg.to_dict(), {"seed": cfg.seed + 1})
    assert not prefit_baseline(other, run).cached and len(list(cache.glob("*.json"))) == 2
    assert prefit_baseline(resolve_config(cfg.to_dict(), {"evaluate.baseline": "none"}), run) is None


@pytest.mark.slow
def test_run_evaluation_multiclass(multiclass_run):
    from lstm_helpers.artifacts import open_run

    cfg, run = open_run(str(multiclass_run))
    cfg = resolve_config(cfg.to_dict(), {"evaluate.threshold_strategy": "precision_at_recall"})
    result = run_evaluation(cfg, run)
    metrics = json.loads((run / "metrics.json").read_text())
    assert STABLE_KEYS <= set(metrics)
    assert metrics["top_k"] == 2 and 0.0 <= metrics["top_k_accuracy"] <= 1.0
    assert np.asarray(metrics["confusion_matrix"]).shape == (3, 3)
    assert metrics["positive_class"] == "play" and metrics["threshold_strategy"] == "precision_at_recall"
    probs = result["predictions"][["p_other", "p_play", "p_walk"]].to_numpy()
    expected = predict_labels(probs, metrics["threshold"], positive_index=1)
    assert (result["predictions"]["y_pred"] == np.array(metrics["classes"])[expected]).all()
    assert "play" in metrics["bouts"] and (run / "figures" / "timeline.png").is_file()
    # the test recordings' time budget, true and predicted, in the page's table and metrics.json
    budget = result["time_budget"].set_index("class")
    assert set(budget.index) == {"other", "play", "walk"} and budget["true %"].sum() == pytest.approx(100.0, abs=0.2)
    assert metrics["time_budget"]["play"]["predicted_share"] == pytest.approx(budget.loc["play", "predicted %"] / 100)
    # three classes: every class over time too, on the recording the bouts timeline shows
    shown = metrics["bouts"]["play"]["timeline_recording"]
    assert f"Test recording {shown}:" in result["figures"]["class_timeline"]._suptitle.get_text()
    argmax_cfg = resolve_config(cfg.to_dict(), {"evaluate.multiclass_decision": "argmax"})
    argmax = run_evaluation(argmax_cfg, run)["metrics"]
    assert argmax["threshold"] is None and argmax["threshold_strategy"] == "argmax"
    assert not (run / "threshold.json").exists()  # no stale threshold from the run before


@pytest.mark.slow
def test_run_evaluation_multiclass_without_class_of_interest(multiclass_run, tmp_path):
    from lstm_helpers.artifacts import open_run, read_json

    run = tmp_path / "no_interest"
    shutil.copytree(multiclass_run, run)
    prep = read_json(run / "prepare.json")
    prep["classes_of_interest"] = []
    write_json(run / "prepare.json", prep)
    cfg, _ = open_run(str(run))
    result = run_evaluation(cfg, run)
    metrics = result["metrics"]
    assert metrics["positive_class"] is None and metrics["threshold_strategy"] == "argmax"
    assert metrics["bouts"] is None and metrics["per_recording"] is None
    expected = result["predictions"][["p_other", "p_play", "p_walk"]].to_numpy().argmax(axis=1)
    assert (result["predictions"]["y_pred"] == np.array(metrics["classes"])[expected]).all()
    # every class over a test recording's time, not the bouts timeline of a class of interest
    assert set(result["figure_paths"]) == {"confusion_matrix", "pr_curve", "roc_curve", "class_timeline"}
    assert not (run / "figures" / "timeline.png").exists() and (run / "figures" / "class_timeline.png").is_file()


@pytest.mark.slow
def test_threshold_settings_an_argmax_run_discards_are_noted(multiclass_run, tmp_path):
    """A multi-class run deciding by the argmax (evaluate.multiclass_decision: argmax) dropped
    ``threshold_strategy: recall_at_precision`` and ``min_precision: 0.8`` silently (metrics.json:
    threshold_strategy argmax); known only once stage 01 named the classes, they are noted in the
    report's notes and on the terminal as stage 03 starts."""
    from lstm_helpers.artifacts import open_run
    from lstm_helpers.runs.terminal import stage_start_line

    run = tmp_path / "argmax"
    shutil.copytree(multiclass_run, run)
    sets = {"evaluate.multiclass_decision": "argmax", "evaluate.threshold_strategy": "recall_at_precision",
            "evaluate.min_precision": 0.8}  # fmt: skip
    cfg, _ = open_run(str(run), overrides=sets, stage="evaluate")
    metrics = run_evaluation(cfg, run)["metrics"]
    why = "has no effect: evaluate.multiclass_decision is argmax on 3 classes (threshold uses it)"
    said = [f"evaluate.threshold_strategy = recall_at_precision {why}", f"evaluate.min_precision = 0.8 {why}"]
    assert metrics["threshold_strategy"] == "argmax" and [n for n in metrics["notes"] if why in n] == said
    lines = stage_start_line("evaluate", run / "03_evaluate.ipynb").splitlines()
    assert lines[1:] == [f"note: {n}" for n in said], lines
    assert stage_start_line("train", run / "02_train.ipynb").count("\n") == 0
    # the same settings where a threshold decides (the default multiclass_decision): no note
    cfg = resolve_config(cfg.to_dict(), {"evaluate.multiclass_decision": "threshold"})
    assert not [n for n in run_evaluation(cfg, run)["metrics"]["notes"] if "has no effect" in n]


@pytest.mark.slow
def test_run_evaluation_sequences_skip_timeline_and_missing_files(binary_run, tmp_path):
    from lstm_helpers.artifacts import load_npz, read_json

    run = tmp_path / "seq"
    run.mkdir()
    arrays = {k: v for k, v in load_npz(binary_run / "prepared.npz").items() if not k.startswith("timeline_")}
    prep = read_json(binary_run / "prepare.json")
    prep["input"]["data_kind"] = "sequences"
    cfg = resolve_config({}, {"data.kind": "sequences"})
    with pytest.raises(FileNotFoundError, match="prepared.npz"):
        run_evaluation(cfg, run)
    save_npz(run / "prepared.npz", arrays)
    write_json(run / "prepare.json", prep)
    with pytest.raises(FileNotFoundError, match="model.keras"):
        run_evaluation(cfg, run)
    shutil.copy(binary_run / "model.keras", run / "model.keras")
    metrics = run_evaluation(cfg, run)["metrics"]
    assert metrics["bouts"] is None and metrics["per_recording"] is None
    assert not (run / "figures" / "timeline.png").exists()
    assert (run / "figures" / "pr_curve.png").is_file()


@pytest.mark.slow
def test_notebook_03_runs_with_papermill(binary_run, tmp_path):
    import nbformat
    import papermill

    run = tmp_path / "nb_run"
    shutil.copytree(binary_run, run)
    for leftover in ("metrics.json", "threshold.json", "figures"):
        path = run / leftover
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    notebook = PROJECT_ROOT / "notebooks" / "03_evaluate.ipynb"
    source = nbformat.read(notebook, as_version=4)
    assert all(not cell.get("outputs") for cell in source.cells if cell.cell_type == "code")
    out = tmp_path / "03_out.ipynb"
    papermill.execute_notebook(
        str(notebook),
        str(out),
        parameters={"run_dir": str(run.resolve())},
        kernel_name=os.environ.get("LSTM_WORKBENCH_KERNEL", "python3"),
        cwd=str(run),
        progress_bar=False,
    )
    assert (run / "metrics.json").is_file() and (run / "figures" / "timeline.png").is_file()
    executed = nbformat.read(out, as_version=4)
    images = [
        o
        for c in executed.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if "image/png" in o.get("data", {})
    ]
    assert len(images) >= 6


@pytest.mark.slow
def test_the_training_fit_is_measured_on_a_sample_of_a_large_training_split(binary_run, tmp_path, monkeypatch):
    from lstm_helpers.artifacts import open_run
    from lstm_helpers.judge import evaluation

    run = tmp_path / "sampled"
    shutil.copytree(binary_run, run)
    monkeypatch.setattr(evaluation, "FIT_SAMPLE", 25)
    cfg, _ = open_run(str(run))
    fit = run_evaluation(cfg, run)["metrics"]["train"]
    assert fit["n"] == 25 and fit["sampled"] is True


def test_a_model_that_does_not_fit_its_training_windows_as_far_as_the_baseline_generalises_is_told_so():
    """UCR's PigCVP: training accuracy ~0.6 after the budget, test 0.09 against MiniRocket's
    0.89, and no note said the model underfits. Said only where the budget ended training: an
    epoch that early stopping chose is validation's choice (the demo's training animals are
    harder than its validation ones, so its epoch-2 fit sits below the baseline's validation)."""
    from lstm_helpers.judge.validation_notes import validation_notes

    m = {"positive_class": "play", "pr_auc": 0.70, "train": {"n": 400, "pr_auc": 0.74, "sampled": False}}
    m["baseline"] = {"available": True, "pr_auc": 0.86, "val": {"pr_auc": 0.82}}
    budget = {"epochs_run": 200, "stopped_early": False}

    def said(train: dict, metrics: dict) -> list[str]:
        return [n for n in validation_notes(train, None, metrics) if "does not fit" in n]

    (fit,) = said(budget, m)
    assert fit.startswith(
        "After all 200 epochs of its budget the model does not fit its own training windows: pr_auc 0.740 on "
        "them, below the MiniRocket baseline's 0.820 on validation windows it never learnt from."
    )
    assert kind_of(fit) == ACT
    quiet = [
        (budget | {"stopped_early": True}, m),  # early stopping chose the epoch
        (budget, m | {"train": {"n": 400, "pr_auc": 0.811}}),  # within 0.01 of the baseline's validation figure
        (budget, m | {"train": None}),  # a run evaluated before the training fit was kept
        (budget, m | {"baseline": {"available": True, "pr_auc": 0.86}}),  # the baseline had no validation windows
        (budget, m | {"baseline": {"available": False}}),
    ]
    for train, metrics in quiet:
        assert not said(train, metrics)
    (one,) = said(budget | {"epochs_run": 1}, m)  # a 1-epoch sweep's run
    assert one.startswith("After the one epoch of its budget the model does not fit")
    # multi-class: balanced accuracy, as the run is ranked; a sampled training split says so
    multi = {"positive_class": None, "classes": list("abc"), "balanced_accuracy": 0.09}
    multi["train"] = {"n": 20000, "balanced_accuracy": 0.61, "sampled": True}
    multi["baseline"] = {"available": True, "balanced_accuracy": 0.885, "val": {"balanced_accuracy": 0.69}}
    (fit,) = said(budget, multi)
    assert "does not fit a random 20,000 of its training windows: balanced_accuracy 0.610" in fit


@pytest.mark.slow
def test_run_evaluation_without_validation_and_with_synthetic_test_windows(binary_run, tmp_path):
    from lstm_helpers.artifacts import load_npz, open_run

    run = tmp_path / "no_val"
    shutil.copytree(binary_run, run)
    arrays = load_npz(run / "prepared.npz")
    for key in ("X", "y", "rec", "start", "synthetic"):
        arrays[f"{key}_val"] = arrays[f"{key}_val"][:0]
    arrays["synthetic_test"] = arrays["synthetic_test"].copy()
    arrays["synthetic_test"][:3] = True
    save_npz(run / "prepared.npz", arrays)
    cfg, _ = open_run(str(run))
    metrics = run_evaluation(cfg, run)["metrics"]
    assert metrics["val"] is None and metrics["n_test"] == 2 * 19 - 3
    assert metrics["threshold"] == cfg.evaluate.threshold
    assert metrics["threshold_detail"]["chosen_on"] == "none"
    assert metrics["threshold_strategy"] == "fixed" and metrics["threshold_origin"] == "fixed: no validation windows"
    assert any("synthetic test windows" in note for note in metrics["notes"])


@pytest.mark.slow
def test_a_fallback_threshold_is_said_to_be_one_on_the_first_screen_and_the_terminal(binary_run, tmp_path):
    """Validation without a 'play' window: max_f1 cannot choose, so evaluate.threshold 0.5 applies; the
    headline (terminal's last line, report's first screen) said "at threshold 0.50" as if chosen, and the
    threshold section "Chosen on validation by ... (this run: fixed)". Both now say it is a fallback, and why."""
    from lstm_helpers.artifacts import load_npz, open_run
    from lstm_helpers.judge.captions import pr_curve_text, threshold_text
    from lstm_helpers.runs.report import headline_sentence

    run = tmp_path / "no_val_play"
    shutil.copytree(binary_run, run)
    arrays = load_npz(run / "prepared.npz")
    arrays["y_val"] = np.zeros_like(arrays["y_val"])  # validation holds 'other' windows only
    save_npz(run / "prepared.npz", arrays)
    cfg, _ = open_run(str(run))
    result = run_evaluation(cfg, run)
    metrics = result["metrics"]
    assert metrics["threshold"] == 0.5 and metrics["threshold_detail"]["fallback"] == "fixed"
    why = "not chosen on validation: validation holds no 'play' window, so max_f1 cannot choose one"
    sentence = headline_sentence(run)
    assert f" at the fallback threshold 0.50 (evaluate.threshold), {why}" in sentence, sentence
    assert threshold_text(metrics, cfg.evaluate).startswith(
        "Not chosen on validation (validation holds no 'play' window, so max_f1 cannot choose one): the fixed "
        "`evaluate.threshold` 0.5 applies."
    )
    assert "the dot is the fallback evaluate.threshold 0.5, not chosen on validation" in pr_curve_text(
        metrics, result["figures"]
    )
    # a threshold chosen on validation is named as before
    chosen = run_evaluation(cfg, binary_run)["metrics"]
    assert f" at threshold {chosen['threshold']:.2f}" in headline_sentence(binary_run)
    assert "fallback" not in headline_sentence(binary_run)


@pytest.mark.slow
def test_each_split_is_predicted_once(binary_run, tmp_path, monkeypatch):
    from lstm_helpers.artifacts import load_npz, open_run
    from lstm_helpers.judge import evaluation

    run = tmp_path / "once"
    shutil.copytree(binary_run, run)
    calls = []
    real = evaluation.predict_probs

    def counting(model, X, batch_size, rows=None, **kw):
        calls.append(len(X))
        return real(model, X, batch_size, rows, **kw)

    monkeypatch.setattr(evaluation, "predict_probs", counting)
    cfg, _ = open_run(str(run))
    run_evaluation(cfg, run)
    arrays = load_npz(run / "prepared.npz")
    n_train = int((~arrays["synthetic_train"].astype(bool)).sum())  # the real training windows: how well it fits them
    assert calls == [n_train, len(arrays["y_val"]), len(arrays["y_test"])]  # no second pass over any window


@pytest.mark.slow
def test_predict_multiclass_run_on_parquet_input_agrees_with_evaluation(multiclass_run, tmp_path):
    """predict on new recordings (Parquet) uses the run's loader, probabilities and rule: on the test
    recordings' own signals it reproduces the evaluation stage's stitched timeline and decisions."""
    from lstm_helpers.artifacts import load_npz, open_run
    from lstm_helpers.runs.predict import predict_recordings

    run = tmp_path / "multi_predict"
    shutil.copytree(multiclass_run, run)
    cfg, _ = open_run(str(run))
    result = run_evaluation(cfg, run)
    threshold = result["metrics"]["threshold"]
    arrays = load_npz(run / "prepared.npz")
    frames = []
    for rec in SPLITS["test"]:
        sel = arrays["rec_test"] == rec
        signal = windows_to_signal(arrays["X_test"][sel], arrays["start_test"][sel], LENGTH)
        frames.append(
            pd.DataFrame(
                {
                    "recording_id": rec,
                    "animal_id": rec,
                    "time_s": np.arange(LENGTH) / SR,
                    "acc_x": signal[:, 0],
                    "acc_y": signal[:, 1],
                }
            )
        )
    pd.concat(frames).to_parquet(tmp_path / "new.parquet", index=False)
    out = predict_recordings(run, tmp_path / "new.parquet", tmp_path / "labels.parquet")
    assert out["threshold"] == threshold and out["n_windows"] == len(arrays["y_test"])
    steps = pd.read_parquet(out["timesteps"])
    assert len(steps) == 2 * LENGTH and out["windows"].suffix == ".parquet"
    for rec in SPLITS["test"]:
        mine = steps[steps["recording_id"] == rec][["p_other", "p_play", "p_walk"]].to_numpy()
        np.testing.assert_allclose(mine, result["timeline"][rec], atol=1e-6)
        clear = np.abs(mine[:, 1] - threshold) > 1e-5  # away from the threshold itself
        expected = np.array(["other", "play", "walk"])[predict_labels(result["timeline"][rec], threshold, 1)]
        assert (steps[steps["recording_id"] == rec]["predicted"].to_numpy()[clear] == expected[clear]).all()
    bouts = pd.read_parquet(out["bouts"])
    assert set(bouts["class"]) <= {"play"} and (bouts["end"] > bouts["start"]).all()
    assert len(bouts) == out["n_bouts"] and bouts["mean_p"].between(threshold, 1).all()


def test_predict_says_why_a_multi_class_run_without_a_class_of_interest_finds_no_bouts(
    multiclass_run, tmp_path, capsys
):
    """A multi-class run naming no class of interest printed '39 windows predicted, 0 bouts found'
    while it predicted the rare class on many rows: bouts are found, as stage 03 scores them, for
    the classes of interest only, and the line now says so and how to name one."""
    from lstm_helpers.artifacts import load_npz, open_run, read_json
    from lstm_helpers.cli import main

    run = tmp_path / "multi_no_interest"
    shutil.copytree(multiclass_run, run)
    write_json(run / "prepare.json", read_json(run / "prepare.json") | {"classes_of_interest": []})
    params = yaml.safe_load((run / "params.yaml").read_text())
    params["data"]["classes_of_interest"] = []
    (run / "params.yaml").write_text(yaml.safe_dump(params))
    cfg, _ = open_run(str(run))
    run_evaluation(cfg, run)
    arrays = load_npz(run / "prepared.npz")
    sel = arrays["rec_test"] == SPLITS["test"][0]
    signal = windows_to_signal(arrays["X_test"][sel], arrays["start_test"][sel], LENGTH)
    new = pd.DataFrame({"recording_id": "r", "acc_x": signal[:, 0], "acc_y": signal[:, 1]})
    new.to_csv(tmp_path / "new.csv", index=False)
    capsys.readouterr()
    assert main(["predict", "--run", str(run), "--input", str(tmp_path / "new.csv")]) == 0
    said = capsys.readouterr().out
    assert "bouts found" not in said, said
    assert "no bouts: they are found for the run's classes of interest and it names none" in said
    assert "--set data.classes_of_interest=[<class>], a class of other, play, walk" in said


def test_bouts_are_predicted_for_the_classes_stage_03_scores_them_for():
    """predict's bouts follow stage 03's classes: a binary run naming no class of interest has
    its positive class (predict found none there), a multi-class one naming none has none."""
    from types import SimpleNamespace

    from lstm_helpers.runs.predict import bout_classes

    binary = {"classes": ["other", "play"], "positive_index": 1, "classes_of_interest": []}
    assert bout_classes(SimpleNamespace(info=binary, classes=binary["classes"])) == ["play"]
    multi = {"classes": ["other", "play", "walk"], "positive_index": None, "classes_of_interest": []}
    assert bout_classes(SimpleNamespace(info=multi, classes=multi["classes"])) == []
    named = multi | {"classes_of_interest": ["walk"]}
    assert bout_classes(SimpleNamespace(info=named, classes=named["classes"])) == ["walk"]


ZEN = (
    "Beautiful is better than ugly. Explicit is better than implicit. Simple is better than complex. "
    "Complex is better than complicated. Flat is better than nested. Sparse is better than dense. "
    "Readability counts. Special cases aren't special enough to break the rules. Although practicality "
    "beats purity. Errors should never pass silently. Unless explicitly silenced. In the face of "
    "ambiguity, refuse the temptation to guess. There should be one-- and preferably only one --obvious "
    "way to do it. Now is better than never. If the implementation is hard to explain, it's a bad idea. "
    "Namespaces are one honking great idea -- let's do more of those! 0123456789 (x, y) [z]; Q? J&K: W/V\n"
)


@pytest.mark.slow
def test_character_run_reports_top5_and_perplexity(tmp_path):
    """A character model trained from a plain text file: top-5 accuracy and perplexity per character
    in metrics.json and the summary; many classes get compact predictions and top-N confusions."""
    from lstm_helpers.artifacts import load_npz
    from lstm_helpers.data.prepare import run_prepare
    from lstm_helpers.model.training import run_training

    (tmp_path / "zen.txt").write_text(ZEN * 6)
    cfg = resolve_config(
        {},
        {
            "data.kind": "text",
            "data.path": str(tmp_path / "zen.txt"),
            "data.demo": False,
            "data.classes_of_interest": [],
            "windows.length": 20,
            "windows.overlap_percent": 50,
            "model.units": [8],
            "model.bidirectional": False,
            "model.dense_units": [],
            "model.embedding_dim": 8,
            "resample.method": "none",
            "train.epochs": 1,
            "train.verbose": 0,
        },
    )
    run = tmp_path / "chars"
    run_prepare(cfg, run)
    run_training(cfg, run)
    result = run_evaluation(cfg, run)
    m = json.loads((run / "metrics.json").read_text())
    n_classes = len(m["classes"])
    assert n_classes > 20 and m["positive_class"] is None and m["threshold_strategy"] == "argmax"
    assert m["top_k"] == 5 and m["accuracy"] <= m["top_k_accuracy"] <= 1.0
    saved = load_npz(run / "predictions_test.npz")
    p_true = saved["probs"][np.arange(len(saved["y_true"])), saved["y_true"]].astype(np.float64)
    assert m["perplexity"] == pytest.approx(np.exp(-np.mean(np.log(p_true))), rel=1e-4)
    assert 1.0 < m["perplexity"] < 2 * n_classes and m["val"]["perplexity"] > 1.0
    summary = result["summary"]
    assert list(summary.index[:3]) == ["accuracy", "top_k_accuracy", "perplexity"]
    assert summary.loc["perplexity", "test"] == m["perplexity"]
    pred = pd.read_csv(run / "predictions_test.csv", keep_default_na=False)
    assert list(pred.columns) == ["rec", "start", "y_true", "y_pred", "p_true", "p_pred"]
    assert (pred["p_pred"] >= pred["p_true"] - 1e-7).all()  # argmax: the predicted class is the most probable
    assert "top 20 confusions" in result["figures"]["confusion_matrix"].axes[0].get_title()
    assert set(result["figure_paths"]) == {"confusion_matrix", "pr_curve", "roc_curve"}


# ---------------------------------------------------------------------- how far validation can be trusted
def _train(**kw):
    return {
        "epochs_planned": 40,
        "epochs_run": 40,
        "best_epoch": 40,
        "stopped_early": False,
        "monitor": "val_pr_auc",
    } | kw


BINARY = {"pr_auc": 0.8, "positive_class": "play", "per_class": {"play": {"support": 50}}, "accuracy": 0.9, "n": 500}


def test_still_learning_only_when_the_best_epoch_is_the_last_planned_one():
    from lstm_helpers.judge.validation_notes import validation_notes

    assert "may still be learning" in validation_notes(_train(), None, BINARY)[0]
    for kw in ({"stopped_early": True}, {"best_epoch": 31}, {"epochs_run": 33, "best_epoch": 33}):
        assert validation_notes(_train(**kw), None, BINARY) == [], kw
    assert validation_notes(None, None, BINARY) == []  # no train.json (stage 02 never ran): nothing to say


def test_small_validation_names_the_classes_and_what_one_window_weighs():
    from lstm_helpers.judge.validation_notes import validation_notes

    metrics = BINARY | {"val": {"per_class": {"other": {"support": 400}, "play": {"support": 8}, "x": {"support": 20}}}}
    (note,) = validation_notes(_train(best_epoch=3), None, metrics)
    assert "(8 of 'play', 20 of 'x')" in note and "moves a recall by 0.12" in note
    assert "the epoch and threshold chosen on validation are coarse" in note
    (argmax,) = validation_notes(
        _train(best_epoch=3), None, metrics | {"threshold": None, "threshold_strategy": "argmax"}
    )
    assert "so the epoch chosen on validation is coarse" in argmax  # no threshold was chosen
    # a class the test split holds and validation does not: nothing on validation saw it
    test = {"play": {"support": 50}, "c": {"support": 12}, "never": {"support": 0}}
    absent = BINARY | {"per_class": test, "val": {"per_class": {"play": {"support": 40}, "c": {"support": 0}}}}
    (note,) = validation_notes(_train(best_epoch=3), None, absent)
    assert note.startswith("Validation holds no window of 'c', which the test split holds")


def test_a_validation_metric_that_swings_more_than_the_test_resolves_is_flagged():
    from lstm_helpers.judge.validation_notes import resolution_on_test, validation_notes

    # PR-AUC 0.8 on 50 test positives: 2 x sqrt(0.8 x 0.2 / 50) = 0.113
    assert resolution_on_test("val_pr_auc", BINARY) == pytest.approx(0.1131, abs=1e-4)
    assert resolution_on_test("val_accuracy", BINARY) == pytest.approx(2 * (0.09 / 500) ** 0.5)
    assert resolution_on_test("val_loss", BINARY) is None
    # balanced accuracy (a multi-class run's monitor): recalls 0.9 of 400 and 0.5 of 20 -> the
    # rare class sets it: 2 x sqrt(0.09 / 400 + 0.25 / 20) / 2 = 0.1128
    multi = {
        "balanced_accuracy": 0.7,
        "per_class": {
            "a": {"recall": 0.9, "support": 400},
            "b": {"recall": 0.5, "support": 20},
            "c": {"recall": None, "support": 0},
        },
    }
    assert resolution_on_test("val_balanced_accuracy", multi) == pytest.approx(0.1128, abs=1e-4)
    assert resolution_on_test("val_balanced_accuracy", {"balanced_accuracy": None}) is None
    jumpy = pd.DataFrame({"val_pr_auc": [0.5, 0.65, 0.78, 0.64, 0.79, 0.66, 0.8, 0.65]})
    steady = pd.DataFrame({"val_pr_auc": [0.5, 0.65, 0.70, 0.72, 0.71, 0.73, 0.74, 0.74]})
    (note,) = validation_notes(_train(best_epoch=7), jumpy, BINARY)
    assert (
        note.startswith("Validation val_pr_auc (Keras' running estimate during training) moved by 0.14")
        and "about ±0.113" in note
    )
    assert validation_notes(_train(best_epoch=7), steady, BINARY) == []
    assert (
        validation_notes(
            _train(best_epoch=7, monitor="val_loss"), jumpy.rename(columns={"val_pr_auc": "val_loss"}), BINARY
        )
        == []
    )


def test_a_validation_metric_saturated_at_one_is_flagged_with_what_the_run_did_about_it():
    from lstm_helpers.judge.validation_notes import validation_notes

    flat = pd.DataFrame({"val_pr_auc": [0.98, 0.99, 1.0, 1.0, 0.9999999999999998, 0.99, 1.0]})
    (note,) = validation_notes(_train(best_epoch=3, monitor_mode="max", ensemble=5), flat, BINARY)
    assert note.startswith("Validation val_pr_auc reached 1.0 on 4 epochs: validation cannot tell")
    assert "this run averages 5 models trained with different seeds" in note
    (note,) = validation_notes(_train(best_epoch=3, monitor_mode="max", ensemble=1), flat, BINARY)
    assert "this run kept one model (train.ensemble: auto averages five seeds" in note
    two = pd.DataFrame({"val_pr_auc": [0.98, 0.99, 1.0, 0.99, 1.0, 0.99, 0.98]})  # 2 epochs: can happen by chance
    assert validation_notes(_train(best_epoch=3, monitor_mode="max"), two, BINARY) == []
    loss = pd.DataFrame({"val_loss": [1.0] * 7})  # a loss has no ceiling
    assert validation_notes(_train(best_epoch=3, monitor="val_loss", monitor_mode="min"), loss, BINARY) == []


def test_a_fold_ensemble_says_its_validation_figures_are_one_members():
    from lstm_helpers.judge.validation_notes import validation_notes

    train = _train(best_epoch=3, ensemble=5, folds=4)
    (note,) = validation_notes(train, None, BINARY)
    assert note.startswith("Validation figures are member 1's alone, test figures the average of all 5")
    assert "each left out another of 4 parts of the training windows" in note
    assert "MiniRocket" not in note  # no baseline in this run
    # the baseline fitted as the members were (evaluation.py), or (an older run) not
    both = {"available": True, "fitted_on": "training + validation windows"}
    (note,) = validation_notes(train, None, BINARY | {"baseline": both})
    assert "baseline's test figures likewise come from a fit on training + validation windows" in note
    (note,) = validation_notes(train, None, BINARY | {"baseline": {"available": True}})
    assert "baseline is fitted on the training windows alone" in note  # the ensemble saw more cases
    assert validation_notes(_train(best_epoch=3, ensemble=5, folds=0), None, BINARY) == []  # seed members


def test_predicted_timesteps_and_bouts_name_the_input_rows_when_nan_rows_were_dropped():
    """data.nan_policy: drop removes rows before windowing; the per-timestep table and the
    bouts still name each step by its input row and the input's own time."""

    from lstm_helpers.config import DataConfig
    from lstm_helpers.data.recordings import series_from_frame
    from lstm_helpers.runs.predict import label_timesteps, predicted_bouts

    n = 12
    df = pd.DataFrame(
        {
            "recording_id": ["r1"] * n,
            "time_s": 100.0 + np.arange(n) / 4,
            "ax": np.arange(n, dtype=float),
            "__file": "new.csv",
            "__row": np.arange(n),
        }
    )
    df.loc[[2, 3], "ax"] = np.nan
    cfg = DataConfig(
        channels=["ax"], nan_policy="drop", group_column=None, label_column="behaviour", sample_rate_hz=4.0
    )
    s = series_from_frame(df, cfg, "new.csv", require_labels=False, classes=["other", "play"])
    assert list(s.input_rows) == [0, 1, 4, 5, 6, 7, 8, 9, 10, 11]
    p_play = np.array([0.1, 0.9, 0.9, 0.9, 0.1, 0.1, 0.1, 0.8, 0.8, 0.1])  # per kept step
    run = fake_recordings_run(cfg)
    steps = label_timesteps(run, s, {"r1": np.column_stack([1 - p_play, p_play])})
    assert list(steps["timestep"]) == [0, 1, 4, 5, 6, 7, 8, 9, 10, 11]
    assert np.allclose(steps["time_s"], 100.0 + steps["timestep"] / 4)
    bouts = predicted_bouts(run, s, steps)
    # kept steps 1-3 are input rows 1, 4, 5; kept steps 7-8 are rows 9, 10 (end exclusive)
    assert bouts[["start", "end"]].values.tolist() == [[1, 6], [9, 11]]
    assert np.allclose(bouts["start_s"], [100.25, 102.25]) and np.allclose(bouts["end_s"], [101.5, 102.75])
    # the windows predict makes of it (length 3, step 1) never join rows 1 and 4 across the gap
    from lstm_helpers.data.gaps import across_gaps
    from lstm_helpers.data.windows import window_starts

    starts, _ = window_starts(s.offsets, 3, 1)
    info: dict = {}
    joined = across_gaps(s, starts, 3, info)
    assert list(starts[joined]) == [0, 1]  # rows 0,1,4 and 1,4,5
    assert info == {"windows_dropped_gap": 2}  # the dropped rows' step in time is not also a time gap


def test_notes_say_what_kind_they_are_where_they_are_written():
    """A note that says what to change is an ``act`` note, one about how far validation can be
    trusted a ``caution``, one that reads a figure a ``reading``: the slides pick by kind."""
    from lstm_helpers.judge.notes import by_priority, kind_of
    from lstm_helpers.judge.validation_notes import training_warnings, validation_notes

    short = {**BASE_METRICS, "baseline": {"available": True, "pr_auc": 0.9}}
    notes = interpret_metrics(short, ["a seed ensemble (train.ensemble)"])
    assert [kind_of(n) for n in notes] == ["reading"] * 4  # the baseline on test: read, never advice
    short = {**short, "val": {"pr_auc": 0.55}, "baseline": {**short["baseline"], "val": {"pr_auc": 0.85}}}
    notes = interpret_metrics(short, ["a seed ensemble (train.ensemble)"])
    assert [kind_of(n) for n in notes] == ["reading"] * 4 + ["act"]  # on validation: what to try
    assert "metric-vs-threshold plot in the report's Evaluation section" in notes[1]
    budget = {"budget": {"warnings": ["4,092 training windows ... give only 32 updates; raise them"]}}
    (warning,) = training_warnings(budget, resolve_config({}).train, {})
    assert kind_of(warning) == "act"
    train = {"epochs_planned": 1, "epochs_run": 1, "best_epoch": 1, "stopped_early": False, "monitor": "val_pr_auc"}
    (learning,) = validation_notes(train, None, {})
    assert kind_of(learning) == "act" and "may still be learning" in learning
    assert by_priority(["a", "b", "c"], ["reading", "caution", "act"]) == ["c", "b", "a"]
    assert by_priority(["a", "b"], None) == ["a", "b"]  # an older metrics.json: as written
    assert kind_of("left out 3 synthetic test windows") == "caution"  # a stage's plain message


def test_the_timeline_shows_the_recording_with_the_most_bout_errors():
    """The sweep's slide "29 of 30 bouts found, 7 false alarms" showed the recording with the
    most bouts, all 7 found and no false alarm: the recording shown is the one with the most
    missed + false-alarm bouts (ties: the most bouts), and the others holding errors are named."""
    from lstm_helpers.judge.bouts import errors_elsewhere, timeline_recording

    def row(rec: str, n_true: int, n_found: int, false_alarms: int) -> dict:
        return {"recording": rec, "class": "play", "n_true": n_true, "n_found": n_found,
                "n_false_alarms": false_alarms}  # fmt: skip

    rows = [row("busy", 7, 7, 0), row("noisy", 4, 4, 3), row("missing", 5, 4, 2), row("calm", 2, 2, 0)]
    rows += [{**row("busy", 1, 0, 9), "class": "rest"}]  # another class's errors do not count
    counts = {"busy": 300, "noisy": 100, "missing": 120, "calm": 50}
    assert timeline_recording(rows, "play", counts) == "missing"  # 3 errors and 5 bouts beat 3 errors and 4
    assert timeline_recording([row(r, 2, 2, 0) for r in counts], "play", counts) == "busy"  # no error: most play
    summary, per_rec, _ = score_bouts(
        {"a": np.r_[np.ones(10), np.zeros(20), np.ones(10)].astype(np.int64), "b": np.zeros(40, np.int64)},
        {"a": np.r_[np.ones(10), np.zeros(30)].astype(np.int64), "b": np.r_[np.zeros(30), np.ones(5), np.zeros(5)]
         .astype(np.int64)},
        ["other", "play"], ["play"], 1.0, 0.0, 0.0,
    )  # fmt: skip
    # a: one bout found, one missed; b: one false alarm; one error each, and a has more bouts
    assert timeline_recording(per_rec, "play", {"a": 20, "b": 0}) == "a"
    bouts = {"errors_by_recording": {"missing": {"missed": 1, "false_alarms": 2}, "noisy": {"missed": 0,
             "false_alarms": 3}}}  # fmt: skip
    assert errors_elsewhere(bouts, "missing") == "false-alarm bouts in noisy (3)"
    assert errors_elsewhere(bouts, "busy") == "missed bouts in missing (1); false-alarm bouts in noisy (3), missing (2)"
    assert errors_elsewhere(bouts, "busy", listed=1).endswith("false-alarm bouts in noisy (3) and 1 more")
    assert errors_elsewhere({}, "busy") == ""


def test_the_two_validation_pr_aucs_say_which_is_which():
    """Training's "best val_pr_auc 0.819" is Keras' interpolated running estimate, evaluation's
    validation pr_auc 0.813 scikit-learn's average precision of the same weights: each says so."""
    from lstm_helpers.judge.metrics import summary_table
    from lstm_helpers.judge.validation_notes import validation_notes
    from lstm_helpers.style import during_training

    table = summary_table({**BASE_METRICS, "val": {"pr_auc": 0.813}, "roc_auc": 0.9})
    assert table.loc["pr_auc", "how to read"].startswith("scikit-learn's average precision; no-skill")
    assert during_training("val_pr_auc") == " (Keras' running estimate during training)"
    assert during_training("val_loss") == ""  # both compute the loss alike
    history = pd.DataFrame({"val_pr_auc": [0.70, 0.80, 0.72, 0.82, 0.74]})
    train = {"monitor": "val_pr_auc", "epochs_planned": 9, "epochs_run": 5, "best_epoch": 4}
    metrics = {**BASE_METRICS, "per_class": {"play": {"support": 100}}, "pr_auc": 0.8}
    (swing,) = validation_notes(train, history, metrics)
    assert swing.startswith("Validation val_pr_auc (Keras' running estimate during training) moved by")


def test_per_class_table_names_a_character_models_space_and_newline_as_stage_01_does():
    """A character run's report showed blank class names for space and newline in the per-class
    table; stage 01's tables show ␣ and ↵ (style.visible_name)."""
    from lstm_helpers.judge.metrics import per_class_table

    row = {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 3}
    table = per_class_table({"per_class": {" ": row, "\n": row, "e": row, "play": row}})
    assert list(table.index) == ["␣", "↵", "e", "play"] and table.index.name == "class"


def test_validation_notes_name_whitespace_classes_visibly_on_one_line():
    """A character run's note read "few windows of some classes (4 of '" + a line break + "', ...)"."""
    from lstm_helpers.judge.validation_notes import validation_notes

    metrics = {
        "val": {"per_class": {"\n": {"support": 4}, "e": {"support": 9}, " ": {"support": 0}}},
        "per_class": {" ": {"support": 7}},
    }
    notes = validation_notes(_train(best_epoch=10), None, metrics)
    assert any("4 of '↵'" in n for n in notes) and any("no window of '␣'" in n for n in notes), notes
    assert not any("\n" in n for n in notes), notes


def test_a_perfect_pr_auc_is_stored_as_1_not_above():
    """Average precision of a perfect ranking of 9 positives sums to 1.0000000000000002, which the
    comparison showed as "1" beside 3-decimal figures: clipped to [0, 1] where it is computed."""
    y = np.array([1] * 9 + [0] * 3)
    probs = np.linspace(0.99, 0.01, 12)
    m = compute_metrics(y, probs, (probs > 0.5).astype(int), ["other", "play"])
    assert m["pr_auc"] == 1.0 and m["pr_auc_per_class"]["play"] == 1.0
    multi = compute_metrics(y, np.stack([1 - probs, probs], 1)[:, [0, 1, 1]] / [1, 2, 2], y, ["a", "b", "c"])
    assert all(v is None or 0.0 <= v <= 1.0 for v in multi["pr_auc_per_class"].values())


def test_the_per_recording_table_reads_in_plain_short_names():
    """The report's per-recording table was thirteen snake_case columns (window_precision,
    timestep_support, ...), three of them off a 1280-px page."""
    from lstm_helpers.judge.bouts import per_recording_scores, per_recording_table

    y = np.array([0, 1, 1, 0, 1, 0])
    raw = per_recording_scores(["a", "a", "a", "b", "b", "b"], y, np.array([0, 1, 0, 0, 1, 1]), 1,
                               {"a": np.array([0, 1, 1, 1]), "b": np.array([0, 0, 1, 1])},
                               {"a": np.array([0, 1, 0, 1]), "b": np.array([0, 1, 1, -1])})  # fmt: skip
    table = per_recording_table(raw, "play")
    assert list(table.columns) == ["recording", "windows", "'play' windows", "precision", "recall", "F1",
                                   "timesteps", "'play' steps", "step precision", "step recall", "step F1"]  # fmt: skip
    assert table.loc[0, "recall"] == raw.loc[0, "window_recall"] == 0.5
    assert table.loc[1, "timesteps"] == 3  # the step no window covers is not scored
    assert list(per_recording_table(raw.drop(columns=[c for c in raw if "timestep" in c])).columns)[-1] == "F1"
    assert per_recording_table(None) is None


def test_the_bout_tables_read_in_plain_short_names_in_seconds_or_steps():
    """The notebook's bout tables were ten snake_case columns (n_false_alarms, onset_error_s)."""
    from lstm_helpers.judge.bouts import bout_tables_for_page

    summary = pd.DataFrame([{"recording": "a", "class": "play", "n_true": 2, "n_pred": 3, "n_found": 1,
                             "n_false_alarms": 1, "bout_recall": 0.5, "bout_precision": 2 / 3,
                             "onset_error_s": 0.123, "offset_error_s": 0.5}])  # fmt: skip
    details = pd.DataFrame({"recording": ["a", "a"], "class": ["play", "play"], "true_start_s": [1.0, 5.0],
                            "true_end_s": [2.0, 6.0], "found": [True, False], "pred_start_s": [1.1, None],
                            "pred_end_s": [2.2, None], "onset_error_s": [0.1, None], "offset_error_s": [0.2, None]})  # fmt: skip
    shown, rows = bout_tables_for_page(summary, details, 25.0)
    assert list(shown.columns) == ["recording", "class", "true bouts", "predicted bouts", "found", "false alarms",
                                   "bout recall", "bout precision", "onset error (s)", "offset error (s)"]  # fmt: skip
    assert shown.attrs["decimals"]["onset error (s)"] == 2 and shown.loc[0, "found"] == 1
    assert list(rows.columns)[2:5] == ["true start (s)", "true end (s)", "found"]
    assert list(rows["found"]) == ["yes", "missed"]
    _, in_steps = bout_tables_for_page(None, details, None)
    assert "true start (steps)" in in_steps and "true_start_s" in details  # the input is left as it was
    assert bout_tables_for_page(None, None, 25.0) == (None, None)
