"""predict's time budget of new recordings (lstm_helpers.runs.predict_budget): how long each
class is predicted per recording and over all, beside the true budget of labelled input."""

import numpy as np
import pandas as pd
import pytest

from lstm_helpers.judge.time_budget import ALL, budget_line, time_budget


def _steps(labelled: bool) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "rec": ["a"] * 6 + ["b"] * 4,
            "predicted": ["rest", "rest", "walk", "walk", "walk", "", "run", "run", "rest", "rest"],
        }
    )
    if labelled:
        frame["true_label"] = ["rest", "rest", "rest", "walk", "", "walk", "run", "walk", "rest", "rest"]
    return frame


def test_shares_per_recording_and_over_all_count_only_timesteps_a_window_covers():
    budget = time_budget(_steps(False), "rec", ["rest", "walk", "run"], rate=2.0)
    a = budget[budget["rec"] == "a"].set_index("class")
    assert a["timesteps"].tolist() == [2, 3, 0] and a["seconds"].tolist() == [1.0, 1.5, 0.0]
    assert a["share"].tolist() == pytest.approx([0.4, 0.6, 0.0])  # of 5 covered steps, not 6
    total = budget[budget["rec"] == ALL].set_index("class")
    assert total["timesteps"].tolist() == [4, 3, 2] and total["share"].tolist() == pytest.approx([4 / 9, 3 / 9, 2 / 9])
    assert list(budget["rec"].unique()) == ["a", "b", ALL] and "true_share" not in budget
    assert budget_line(budget) == "time budget, predicted share of all 2 recordings: rest 44.4%, walk 33.3%, run 22.2%"
    assert "seconds" not in time_budget(_steps(False), "rec", ["rest", "walk", "run"], rate=None)


def test_labelled_input_has_the_true_budget_on_the_same_timesteps():
    budget = time_budget(_steps(True), "rec", ["rest", "walk", "run"], rate=None)
    total = budget[budget["rec"] == ALL].set_index("class")
    # covered and labelled: a's steps 0-3 (its 5th unlabelled, its 6th uncovered) and b's four
    assert total["true_timesteps"].tolist() == [5, 2, 1]
    assert total["true_share"].tolist() == pytest.approx([5 / 8, 2 / 8, 1 / 8])
    # predicted on the same eight: rest rest walk walk | run run rest rest
    assert total["labelled_timesteps"].tolist() == [4, 2, 2]
    assert total["timesteps"].tolist() == [4, 3, 2]  # over every covered step, a's unlabelled 5th too
    line = budget_line(budget)
    assert line == (
        "time budget, predicted share of all 2 recordings: rest 44.4%, walk 33.3%, run 22.2%; "
        "on the labelled timesteps, predicted / true: rest 50.0% / 62.5%, walk 25.0% / 25.0%, run 25.0% / 12.5%"
    )


def test_a_model_right_on_every_labelled_step_shows_equal_shares_there():
    """Predicted x x x x x y y y y y, labelled x x x x x and then unlabelled: the line said
    "x 50.0% (true 100.0%)", comparing all covered steps against the labelled ones."""
    steps = pd.DataFrame({"rec": "r", "predicted": ["x"] * 5 + ["y"] * 5, "true_label": ["x"] * 5 + [""] * 5})
    line = budget_line(time_budget(steps, "rec", ["x", "y"], rate=None))
    assert line.endswith("on the labelled timesteps, predicted / true: x 100.0% / 100.0%"), line


def test_the_terminal_line_names_six_classes_and_counts_the_rest():
    classes = [f"c{k}" for k in range(9)]
    steps = pd.DataFrame({"rec": "r", "predicted": np.repeat(classes, np.arange(9, 0, -1))})
    line = budget_line(time_budget(steps, "rec", classes, rate=None))
    assert line.startswith("time budget, predicted share of the recording: c0 20.0%, c1 17.8%")
    assert line.endswith("c5 8.9% and 3 more classes")
    nothing = pd.DataFrame({"rec": ["r"], "predicted": [""]})
    assert budget_line(time_budget(nothing, "rec", ["x", "y"], rate=None)) == "time budget: no timestep predicted"


def test_stage_03s_budget_compares_true_and_predicted_time_on_the_same_timesteps():
    from lstm_helpers.judge.time_budget import budget_json, scored_budget

    labels = {"r1": np.array([0, 0, 1, 1, -1, 2]), "r2": np.array([2, 2, 0, 0])}
    predicted = {"r1": np.array([0, 1, 1, 1, 1, -1]), "r2": np.array([2, 0, 0, 0])}
    table = scored_budget(labels, predicted, ["rest", "play", "walk"], rate=2.0)
    # scored: r1 steps 0-3, r2 steps 0-3 (8): true rest 4, play 2, walk 2; predicted rest 4, play 3, walk 1
    assert table["class"].tolist() == ["rest", "play", "walk"]
    assert table["true %"].tolist() == [50.0, 25.0, 25.0]
    assert table["predicted %"].tolist() == [50.0, 37.5, 12.5]
    assert table["difference (points)"].tolist() == [0.0, 12.5, -12.5]
    assert table["true (s)"].tolist() == [2.0, 1.0, 1.0] and table["predicted (s)"].tolist() == [2.0, 1.5, 0.5]
    assert budget_json(table)["play"] == {"true_share": 0.25, "predicted_share": 0.375}
    assert "true (s)" not in scored_budget(labels, predicted, ["rest", "play", "walk"], rate=None)
    nothing = {"r": np.array([-1, -1])}
    assert scored_budget(nothing, {"r": np.array([0, 1])}, ["rest", "play"], 2.0) is None and budget_json(None) is None
