"""What stage 03 offers for choosing the decision threshold: validation figures for every
strategy, test figures only for the strategy the run used, and the metric-vs-threshold figure
drawn on validation (judge/threshold.py::compare_threshold_strategies, judge/figures.py)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from test_evaluation import _make_run

from lstm_helpers.judge.threshold import THRESHOLD_STRATEGIES, compare_threshold_strategies


@pytest.fixture(scope="module")
def binary_run(tmp_path_factory):
    return _make_run(tmp_path_factory.mktemp("choice") / "binary", 2)


def test_the_strategies_table_gives_test_figures_for_the_strategy_used_only():
    y = np.array([0, 0, 0, 1, 0, 1, 1, 1])
    s = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    table = compare_threshold_strategies(y, s, y[::-1], s, used="max_f1").set_index("strategy")
    assert list(table.index) == list(THRESHOLD_STRATEGIES)
    assert table[["val_precision", "val_recall", "val_f1"]].notna().all().all()
    filled = {strategy for strategy, row in table.iterrows() if not math.isnan(row["test_precision"])}
    assert filled == {"max_f1"}
    assert list(table.columns[-3:]) == ["test_precision", "test_recall", "test_f1"]  # after what chooses
    mixed = np.array([1, 0, 1, 0, 1, 0, 1, 0])  # precision 0.9 unreachable: a note on that row
    fixed_used = compare_threshold_strategies(mixed, s, mixed, s, min_precision=0.9, used="fixed")
    assert "note" in fixed_used and list(fixed_used.columns[-3:]) == ["test_precision", "test_recall", "test_f1"]
    assert "test_precision" not in compare_threshold_strategies(y, s, y, s)  # no strategy named: none


@pytest.mark.slow
def test_stage_03_offers_validation_figures_to_choose_by(binary_run):
    from lstm_helpers.artifacts import open_run
    from lstm_helpers.judge.captions import threshold_text
    from lstm_helpers.judge.evaluation import run_evaluation

    cfg, run = open_run(str(binary_run))
    result = run_evaluation(cfg, run)
    options = json.loads((run / "metrics.json").read_text())["threshold_options"]
    with_test = [o["strategy"] for o in options if o.get("test_precision") is not None]
    assert with_test == ["max_f1"] and all(o["val_precision"] is not None for o in options)
    text = threshold_text(result["metrics"], cfg.evaluate)
    assert "on validation, the figures to choose one by; test figures fill only the row of the strategy used" in text
    title = result["figures"]["metric_vs_threshold"].axes[0].get_title()
    assert title == "Validation: precision / recall / F1 of 'play' vs threshold"


@pytest.mark.slow
def test_a_fixed_threshold_is_said_to_be_fixed_not_chosen_on_validation(binary_run, tmp_path):
    """evaluate.threshold_strategy: fixed said "Chosen on validation by evaluate.threshold_strategy
    (this run: fixed, threshold 0.5)" in the threshold section and "at threshold 0.50" in the headline."""
    import shutil

    from lstm_helpers.artifacts import open_run
    from lstm_helpers.judge.captions import pr_curve_text, threshold_text
    from lstm_helpers.judge.evaluation import run_evaluation
    from lstm_helpers.runs.report import headline_sentence

    run = tmp_path / "fixed"
    shutil.copytree(binary_run, run)
    cfg, _ = open_run(str(run), overrides={"evaluate.threshold_strategy": "fixed", "evaluate.threshold": 0.5})
    result = run_evaluation(cfg, run)
    metrics = result["metrics"]
    assert metrics["threshold"] == 0.5 and metrics["threshold_strategy"] == "fixed"
    text = threshold_text(metrics, cfg.evaluate)
    assert text.startswith("Fixed at 0.5 (`evaluate.threshold`, as `evaluate.threshold_strategy` is `fixed`), not "
                           "chosen on validation;") and "Chosen on validation" not in text  # fmt: skip
    fixed = "the threshold fixed at 0.50 (evaluate.threshold), not chosen on validation"
    assert f" at {fixed}" in headline_sentence(run)
    assert "fixed at 0.5 (evaluate.threshold), not chosen on validation" in pr_curve_text(metrics, result["figures"])


@pytest.mark.slow
def test_a_class_of_interest_never_predicted_and_the_one_the_threshold_applies_to_are_noted(tmp_path):
    """With data.classes_of_interest [play, walk], walk predicted for no window said nothing, nor
    that only play gets a threshold."""
    import keras

    from lstm_helpers.artifacts import open_run, read_json, write_json
    from lstm_helpers.judge.evaluation import run_evaluation

    run = _make_run(tmp_path / "multi", 3)  # other / play / walk
    prep = read_json(run / "prepare.json")
    write_json(run / "prepare.json", {**prep, "classes_of_interest": ["play", "walk"]})
    model = keras.models.load_model(run / "model.keras")
    weights, bias = model.layers[-1].get_weights()
    model.layers[-1].set_weights([weights, bias + np.array([0.0, 0.0, -50.0])])  # walk never most probable
    model.save(run / "model.keras")
    cfg, _ = open_run(str(run), overrides={"evaluate.multiclass_decision": "threshold"})
    notes = run_evaluation(cfg, run)["metrics"]["notes"]
    assert "Class of interest 'walk' is predicted for no test window and no validation window: all " in " ".join(notes)
    assert not any("Class of interest 'play'" in n for n in notes)
    assert (
        "The decision threshold applies to 'play' only; 'walk' (also in data.classes_of_interest) has none: predicted "
        "only where 'play' falls below its threshold and it is the most probable of the other classes." in notes
    )


def test_captions_of_a_fixed_threshold_without_validation_and_of_an_unreachable_floor():
    """Code review: ``threshold_strategy: fixed`` with no validation windows was headlined "at the
    fallback threshold 0.50 ... fixed cannot choose one"; an unmet floor's text still said every
    strategy is listed with its test figures; a best precision of 0.17996 must give a floor of 0.17
    (read from the note's rounded 0.180 it gave 0.18); a class share under 0.5% read "true share 0%"."""
    from lstm_helpers.judge.captions import _unmet_text, flagging_phrase, reachable_floor, threshold_phrase

    no_val = {"threshold": 0.5, "threshold_strategy": "fixed",
              "threshold_detail": {"strategy": "fixed", "fallback": "fixed", "chosen_on": "none"}}  # fmt: skip
    assert (
        threshold_phrase(0.5, no_val)
        == " at the threshold fixed at 0.50 (evaluate.threshold), not chosen on validation"
    )
    fell_back = {
        **no_val,
        "threshold_strategy": "max_f1",
        "threshold_detail": {**no_val["threshold_detail"], "strategy": "max_f1"},
    }
    assert threshold_phrase(0.5, fell_back).startswith(" at the fallback threshold 0.50")
    text = _unmet_text(0.3, ("precision", 0.9, 0.18))
    assert "on test" not in text and "test figures only for the one used" in text
    assert reachable_floor(0.17996, 0.9) == 0.17 and reachable_floor(0.186, 0.9) == 0.18
    rare = {"classes": ["other", "play"], "confusion_matrix": [[0, 999], [0, 1]], "threshold": 0.5}
    assert flagging_phrase(rare, "play", "play").endswith("(true share under 1%)")
