"""A sequences run (an .npz of cases, a long table of sequences) counted its examples as
windows: "recall 1.00 (6 of 6 test windows)", "timesteps covered by test windows", "does not
fit its own training windows". Its examples are sequences, never cut into windows: the
wording functions take the run's unit (:func:`~lstm_helpers.data.units.example_unit`), and
keep saying windows for recordings."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_helpers.config import resolve_config
from lstm_helpers.data.prepare import leakage_table, run_prepare, split_table, summary_table
from lstm_helpers.data.units import example_unit
from lstm_helpers.judge.metrics import interpret_metrics, threshold_origin
from lstm_helpers.judge.metrics import summary_table as metrics_table
from lstm_helpers.judge.validation_notes import SMALL_VALIDATION, validation_notes
from lstm_helpers.runs.headline_parts import precision_recall_phrase, recall_counts

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def sequences_info(tmp_path_factory):
    """prepare.json of a tiny run on an .npz of sequences (SMOTE: synthetic training cases)."""
    d = tmp_path_factory.mktemp("units")
    rng = np.random.default_rng(0)
    n = 60
    lengths = rng.integers(6, 13, n)
    y = np.array(["move" if i % 5 == 0 else "rest" for i in range(n)])
    groups = np.array([f"s{i % 12:02d}" for i in range(n)])
    np.savez(d / "seq.npz", values=rng.normal(size=(lengths.sum(), 2)), lengths=lengths, y=y, groups=groups)
    data = {"kind": "sequences", "path": str(d / "seq.npz"), "demo": False}
    cfg = resolve_config({"seed": 1, "data": data}, {"resample.method": "smote", "resample.imbalance_factor": 1.0})
    return run_prepare(cfg, d / "run").meta


def test_the_unit_of_a_run_is_read_from_prepare_json(sequences_info, tiny_config, tmp_path):
    assert example_unit(sequences_info) == "sequences"
    assert example_unit(run_prepare(tiny_config(), tmp_path).meta) == "windows"
    assert example_unit({}) == "windows" and example_unit(sequences_info["input"]) == "sequences"


def test_the_data_tables_of_a_sequences_run_count_sequences(sequences_info):
    info = sequences_info
    checks = list(leakage_table(info).index)
    assert "timesteps covered by test sequences" in checks and not any("test windows" in c for c in checks)
    facts = summary_table(info)
    assert "sequences train / val / test" in facts.index and "synthetic training sequences" in facts.index
    assert not any("window" in k for k in facts.index) and facts.loc["pad length", "value"].endswith(" steps")
    many = {**info, "classes": [f"c{i}" for i in range(13)]}  # past 12 classes: totals per split
    assert "sequences (before)" in split_table(many).columns
    weights = {**info, "resample": {**info["resample"], "method": "class_weight"}, "class_weight": {"move": 2.0}}
    weights["parameters"] = {**info["parameters"], "train": {"use_class_weight": False}}
    assert summary_table(weights).loc["resampling", "value"].endswith("every training sequence weighs 1)")


CM = [[20, 0], [0, 6]]


def test_the_headline_counts_test_sequences():
    m = {"classes": ["rest", "move"], "confusion_matrix": CM}
    said = precision_recall_phrase(m, "move", 1.0, 1.0, unit="sequences")
    assert said == "precision 1.00 (6 of 6 flagged) and recall 1.00 (6 of 6 test sequences)"
    assert recall_counts(m, "move", unit="sequences") == " (6 of 6 test sequences)"
    assert recall_counts(m, "move") == " (6 of 6 test windows)"  # recordings' runs as before


def _metrics() -> dict:
    """A binary run's metrics.json: the model short of the baseline, a class only test holds, few
    validation cases of 'move', and a model that does not fit its training split."""
    per_class = {
        "rest": {"support": 20, "precision": 1.0, "recall": 1.0, "f1": 1.0},
        "move": {"support": 0, "precision": None, "recall": None, "f1": None},
    }
    return {
        "classes": ["rest", "move", "new"], "positive_class": "move", "per_class": per_class,
        "untrained_classes": ["new"], "accuracy": 0.8, "majority_baseline_accuracy": 0.7, "majority_class": "rest",
        "baseline_from": "training", "balanced_accuracy": 0.5, "mcc": 0.1, "pr_auc": 0.4, "roc_auc": 0.5,
        "threshold": 0.5, "threshold_strategy": "max_f1", "threshold_detail": {"chosen_on": "none"},
        "train": {"n": 40, "balanced_accuracy": 0.3, "sampled": False},
        "val": {"balanced_accuracy": 0.5, "per_class": {"rest": {"support": 12}, "move": {"support": 4}, "new": {"support": 0}}},
        "baseline": {"available": True, "balanced_accuracy": 0.6, "val": {"balanced_accuracy": 0.7}},
    }  # fmt: skip


def test_notes_and_tables_of_stage_03_count_sequences():
    m = _metrics()
    train = {"epochs_run": 5, "epochs_planned": 5, "best_epoch": 2, "stopped_early": False, "folds": 3, "ensemble": 3}
    notes = [
        str(n) for n in interpret_metrics(m, unit="sequences") + validation_notes(train, None, m, unit="sequences")
    ]
    said = " ".join(notes) + " " + " ".join(metrics_table(m, unit="sequences")["how to read"].astype(str))
    for words in ("does not fit its own training sequences", "on validation sequences it never learnt from",
                  "No 'move' sequence in this split", "the most frequent class of the training sequences",
                  "share of sequences right", "trained on the validation sequences",
                  "Validation holds few sequences of some classes (4 of 'move', 12 of 'rest'): one sequence moves"):  # fmt: skip
        assert words in said, (words, notes)
    assert "window" not in said, notes
    assert threshold_origin(m, unit="sequences") == "fixed: no validation sequences"
    small = [n for n in notes if n.startswith("Validation holds")]
    assert small and all(n.startswith(SMALL_VALIDATION) for n in small)  # the slides find them
    windows = [str(n) for n in validation_notes(train, None, m)]  # recordings' runs as before
    assert any("does not fit its own training windows" in n for n in windows)


def test_the_threshold_captions_count_a_sequence_runs_examples_as_sequences():
    from lstm_helpers.judge.captions import fallback_reason, flagging_phrase

    detail = {"fallback": "fixed", "positive_class": "d", "n_positive": 0, "n": 12, "strategy": "max_f1"}
    m = {"threshold": 0.5, "threshold_detail": detail, "unit": "sequences"}
    assert fallback_reason(m) == "validation holds no 'd' sequence, so max_f1 cannot choose one"
    m |= {"classes": ["a", "d"], "confusion_matrix": [[0, 9], [0, 1]]}
    assert flagging_phrase(m, "d", "'d'") == "the threshold flags 100% of test sequences as 'd' (true share 10%)"
    del m["unit"]  # a metrics.json written before it said its unit: windows
    assert "of test windows" in flagging_phrase(m, "d", "'d'")
