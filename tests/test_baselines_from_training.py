"""The majority and top-k baselines rank the classes by the real training windows, scored on
test: a reviewer's 13-class run read "accuracy 0.556 against 0.111 for always predicting new
gesture (test only)", a class no model saw in training, because the majority came from the test
labels. Also scikit-learn's macro / weighted averages, each class's PR-AUC in the per-class table
(a second class of interest's was in metrics.json alone), and the ceiling on balanced accuracy
where a test class has no training window."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_score, recall_score
from test_evaluation import _make_run

from lstm_helpers.judge.metrics import compute_metrics, interpret_metrics, per_class_table, summary_table

CLASSES = ["a", "b", "new"]


def _three_class_split() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """9 test windows, most of class 'new' (which training never holds), the model right on 5."""
    y = np.array([0, 0, 1, 2, 2, 2, 2, 2, 2])
    pred = np.array([0, 1, 1, 0, 0, 2, 2, 2, 1])
    probs = np.eye(3)[pred] * 0.8 + 0.2 / 3
    return y, probs, pred


def test_the_majority_and_top_k_baselines_rank_classes_by_the_training_windows():
    y, probs, pred = _three_class_split()
    m = compute_metrics(y, probs, pred, CLASSES, top_k=1, train_counts=[5, 40, 0])
    assert m["majority_class"] == "b" and m["baseline_from"] == "training"
    assert m["majority_baseline_accuracy"] == pytest.approx(1 / 9)  # 'b' on the test windows, not 'new''s 6 / 9
    assert m["top_k_baseline_accuracy"] == pytest.approx(1 / 9)
    # without training counts (predict on new data) the split's own counts stand, and say so
    own = compute_metrics(y, probs, pred, CLASSES, top_k=1)
    assert own["majority_class"] == "new" and own["baseline_from"] == "this split"
    note = interpret_metrics({**m, "classes": CLASSES})[0]
    assert note.startswith("Accuracy 0.556 vs 0.111 for always predicting 'b' (the most frequent class of the training")
    table = summary_table({**m, "classes": CLASSES, "threshold": None})
    assert "of the training windows" in table.loc["majority_baseline_accuracy", "how to read"]


def test_top_k_baseline_guesses_the_k_most_frequent_training_classes():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 5, 300)
    probs = rng.dirichlet(np.ones(5), 300)
    train = [50, 1, 40, 2, 30]  # top 2 in training: classes 0 and 2
    m = compute_metrics(y, probs, probs.argmax(1), list("vwxyz"), top_k=2, train_counts=train)
    assert m["top_k_baseline_accuracy"] == pytest.approx(np.isin(y, [0, 2]).mean())


def test_macro_and_weighted_averages_are_scikit_learns_and_rows_of_the_per_class_table():
    y, probs, pred = _three_class_split()
    m = compute_metrics(y, probs, pred, CLASSES, top_k=1, train_counts=[5, 40, 0])
    for average in ("macro", "weighted"):
        kw = {"average": average, "zero_division": 0}
        assert m[f"{average}_precision"] == pytest.approx(precision_score(y, pred, **kw))
        assert m[f"{average}_recall"] == pytest.approx(recall_score(y, pred, **kw))
        assert m[f"{average}_f1"] == pytest.approx(f1_score(y, pred, **kw))
    table = per_class_table(m)
    assert list(table.index) == [*CLASSES, "macro avg", "weighted avg"]
    assert table.loc["macro avg", "f1"] == pytest.approx(m["macro_f1"]) and table.loc["weighted avg", "support"] == 9
    # each class's PR-AUC against the rest (a second class of interest's appeared only in metrics.json)
    assert table.loc["b", "pr_auc"] == pytest.approx(m["pr_auc_per_class"]["b"])
    assert table.loc["macro avg", "pr_auc"] == pytest.approx(m["pr_auc"])


def test_a_test_class_without_training_windows_caps_balanced_accuracy():
    y, probs, pred = _three_class_split()
    m = compute_metrics(y, probs, pred, CLASSES, top_k=1, train_counts=[5, 40, 0])
    notes = [str(n) for n in interpret_metrics({**m, "classes": CLASSES, "untrained_classes": ["new"]})]
    (cap,) = [n for n in notes if "no training window" in n]
    assert "'new' has test windows but no training window" in cap and "(3 - 1) / 3 = 0.667" in cap
    # a character model's many unseen characters: six named, then how many more
    chars = [chr(c) for c in range(97, 117)]
    per_class = {c: {"support": 3} for c in chars}
    (many,) = [str(n) for n in interpret_metrics({"per_class": per_class, "untrained_classes": chars[:8]})]
    assert "'a', 'b', 'c', 'd', 'e', 'f' and 2 more have test windows" in many and "(20 - 8) / 20 = 0.600" in many


@pytest.mark.slow
def test_stage_03_ranks_the_baselines_classes_by_the_real_training_windows(tmp_path):
    from lstm_helpers.artifacts import load_npz, open_run
    from lstm_helpers.judge.evaluation import run_evaluation

    run = _make_run(tmp_path / "multi", 3)
    cfg, run = open_run(str(run), overrides={"evaluate.baseline": "none"})
    run_evaluation(cfg, run)
    metrics = json.loads((run / "metrics.json").read_text())
    y_train = load_npz(run / "prepared.npz")["y_train"]
    assert metrics["baseline_from"] == "training" and metrics["val"]["baseline_from"] == "training"
    assert metrics["majority_class"] == metrics["classes"][int(np.bincount(y_train).argmax())]
    assert metrics["untrained_classes"] == [] and metrics["macro_f1"] is not None


def test_the_baselines_rank_classes_by_the_training_windows_before_undersampling():
    """Undersampling cut a=300, b=1000 to 100 each: the majority baseline said 'always predicting
    a (the most frequent class of the training windows)'; prepare.json's counts before it rank them."""
    import numpy as np

    from lstm_helpers.judge.evaluation import real_train_counts

    y = np.repeat([0, 1, 2], [100, 100, 20])
    data = {"y_train": y, "synthetic_train": np.zeros(len(y), bool)}
    prep = {"classes": ["a", "b", "c"], "counts": {"train": {"before": {"a": 300, "b": 1000, "c": 20}}}}
    assert real_train_counts(data, 3, prep).tolist() == [300, 1000, 20]
    assert real_train_counts(data, 3).tolist() == [100, 100, 20]  # no prepare.json: the labels as kept
