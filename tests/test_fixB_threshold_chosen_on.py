"""threshold.json's ``chosen_on`` says what the threshold was taken from: under
``evaluate.threshold_strategy: fixed`` it said "validation" whenever validation held windows, while
the terminal and the report said, rightly, that the threshold was not chosen on validation
(judge/threshold.py::where_chosen, judge/evaluation.py::_threshold)."""

from __future__ import annotations

import json
import shutil

import pytest
from test_evaluation import _make_run

from lstm_helpers.judge.captions import fallback_reason, pr_curve_alt, pr_curve_text, threshold_phrase
from lstm_helpers.judge.metrics import threshold_origin
from lstm_helpers.judge.threshold import choose_threshold


@pytest.fixture(scope="module")
def binary_run(tmp_path_factory):
    return _make_run(tmp_path_factory.mktemp("chosen_on") / "binary", 2)


def _metrics(detail: dict, used: str) -> dict:
    return {"threshold": detail["value"], "threshold_strategy": used, "threshold_detail": detail,
            "positive_class": "play"}  # fmt: skip


def test_chosen_on_names_what_the_threshold_was_taken_from_for_every_strategy():
    from lstm_helpers.judge.threshold import choice_without_validation, where_chosen

    y, s = [0, 1, 0, 1, 1, 0], [0.1, 0.9, 0.3, 0.7, 0.6, 0.2]
    fixed = choose_threshold(y, s, "fixed", threshold=0.4)
    assert where_chosen(fixed, len(y)) == "fixed"
    for strategy in ("max_f1", "max_fbeta", "recall_at_precision", "precision_at_recall"):
        assert where_chosen(choose_threshold(y, s, strategy), len(y)) == "validation", strategy
    unmet = choose_threshold(y, [0.9, 0.1, 0.8, 0.2, 0.3, 0.7], "recall_at_precision", min_precision=0.99)
    assert unmet["fallback"] == "max_f1" and where_chosen(unmet, len(y)) == "validation"  # max F1's, on validation
    one_class = choose_threshold([0, 0, 0], [0.1, 0.5, 0.2], "max_f1", threshold=0.4)
    assert one_class["fallback"] == "fixed" and where_chosen(one_class, 3) == "fixed"  # evaluate.threshold
    assert where_chosen(choice_without_validation("max_f1", 0.4), 0) == "none"
    asked = choice_without_validation("fixed", 0.4)
    assert where_chosen(asked, 0) == "fixed" and asked["fallback"] is None and asked["note"] is None


def test_every_reader_of_chosen_on_says_how_a_fixed_threshold_was_set():
    """The texts that read threshold.json's record: a fixed threshold is fixed, with validation or without;
    with none, the pr curve's caption called the asked-for threshold a fallback that 'fixed cannot choose'."""
    from lstm_helpers.judge.threshold import choice_without_validation, where_chosen

    y, s = [0, 1, 0, 1, 1, 0], [0.1, 0.9, 0.3, 0.7, 0.6, 0.2]
    with_val = choose_threshold(y, s, "fixed", threshold=0.4)
    with_val["chosen_on"] = where_chosen(with_val, len(y))
    without = choice_without_validation("fixed", 0.4)
    without["chosen_on"] = where_chosen(without, 0)
    for detail in (with_val, without):
        m = _metrics(detail, "fixed")
        assert threshold_origin(m) == "fixed: evaluate.threshold"
        assert fallback_reason(m) is None
        assert (
            threshold_phrase(0.4, m) == " at the threshold fixed at 0.40 (evaluate.threshold), not chosen on validation"
        )
        caption = pr_curve_text(m, {"pr_curve": object()})
        assert "the dot is the threshold fixed at 0.4 (evaluate.threshold), not chosen on validation" in caption
        assert "fallback" not in caption and pr_curve_alt(m) == "precision-recall curve with the fixed threshold"
    fell_back = choice_without_validation("max_f1", 0.4)
    fell_back["chosen_on"] = where_chosen(fell_back, 0)
    m = _metrics(fell_back, "fixed")
    assert threshold_origin(m) == "fixed: no validation windows"
    assert fallback_reason(m) == "there are no validation windows, so max_f1 cannot choose one"
    chosen = choose_threshold(y, s, "max_f1") | {"chosen_on": "validation"}
    assert threshold_origin(_metrics(chosen, "max_f1")) == "chosen on validation by max_f1"
    assert pr_curve_alt(_metrics(chosen, "max_f1")) == "precision-recall curve with the chosen threshold"


@pytest.mark.slow
def test_threshold_json_of_a_fixed_threshold_says_fixed_not_validation(binary_run, tmp_path):
    from lstm_helpers.artifacts import open_run
    from lstm_helpers.judge.evaluation import run_evaluation

    run = tmp_path / "fixed"
    shutil.copytree(binary_run, run)
    cfg, _ = open_run(str(run), overrides={"evaluate.threshold_strategy": "fixed", "evaluate.threshold": 0.5})
    metrics = run_evaluation(cfg, run)["metrics"]
    saved = json.loads((run / "threshold.json").read_text())
    assert saved["n"] > 0  # validation held windows: it still did not choose
    assert saved["chosen_on"] == "fixed" and saved["value"] == 0.5 and saved["fallback"] is None
    assert (
        metrics["threshold_detail"]["chosen_on"] == "fixed"
        and metrics["threshold_origin"] == "fixed: evaluate.threshold"
    )
