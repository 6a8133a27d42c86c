"""What the data-preparation summary and notes say of class weights.

With ``train.use_class_weight: false`` the report's data table said ``class_weight (weights
other 0.565, play 4.37 ...)`` while its training section said every window weighs 1: the
summary now says the weights are not used. And ``resample.class_weight: {play: 5, rest: 1}``
on six classes weighed the four it does not name 1.0 without a word: a note names them."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_helpers.config import ResampleConfig
from lstm_helpers.data.prepare import run_prepare, summary_table
from lstm_helpers.data.resampling import rebalance


def _resampling(info: dict) -> str:
    table = summary_table(info)
    return table.loc["resampling", table.columns[0]]


def test_weights_training_does_not_use_are_said_unused(tiny_config, tmp_path):
    used = _resampling(run_prepare(tiny_config(), tmp_path / "used").meta)
    assert used.startswith("class_weight (weights other 0.") and "not used" not in used
    unused = _resampling(run_prepare(tiny_config(train__use_class_weight=False), tmp_path / "unused").meta)
    assert unused.startswith("class_weight (weights other 0.")
    assert unused.endswith(", not used: train.use_class_weight is false, so every training window weighs 1)")


CLASSES = ["eat", "groom", "other", "play", "rest", "walk"]


def test_classes_that_weights_by_name_leave_out_are_named():
    y = np.repeat(np.arange(6), 3)
    with pytest.warns(UserWarning, match="names 2 of the 6 classes") as said:
        r = rebalance(np.zeros((18, 4, 1)), y, ResampleConfig(class_weight={"play": 5, "rest": 1}), 6, 0, CLASSES)
    assert r.class_weight == {0: 1.0, 1: 1.0, 2: 1.0, 3: 5.0, 4: 1.0, 5: 1.0}
    assert r.notes == [str(said[0].message)]
    assert r.notes[0].startswith(
        "resample.class_weight (play 5, rest 1) names 2 of the 6 classes: the others, 'eat', 'groom', 'other', "
        "'walk', weigh 1.0; "
    )
    every = ResampleConfig(class_weight=dict.fromkeys(CLASSES, 2.0))
    assert rebalance(np.zeros((18, 4, 1)), y, every, 6, 0, CLASSES).notes == []


def test_the_note_reaches_the_runs_notes(tiny_config, tmp_path):
    with pytest.warns(UserWarning, match="names 1 of the 2 classes: the other, 'other', weighs 1.0"):
        info = run_prepare(tiny_config(resample__class_weight={"play": 4.0}), tmp_path).meta
    assert any("resample.class_weight (play 4) names 1 of the 2 classes" in n for n in info["notes"])
    assert info["class_weight"] == {"other": 1.0, "play": 4.0}
