"""Few groups and whole-group splits: training's share is said where it ends far below what the
fractions leave (6 animals at 0.2 / 0.2 gave 2 / 2 / 2, training 33 % where 60 % was asked)."""

import numpy as np
import pytest

from lstm_helpers.data.demo import generate_demo_recordings
from lstm_helpers.data.prepare import run_prepare
from lstm_helpers.data.splits import share_note, split_groups


def test_six_equal_groups_leave_training_a_third_and_the_note_says_why():
    counts = np.full((6, 2), 500)
    split, report = split_groups(np.arange(6), counts, 0.2, 0.2, seed=0)
    assert sorted(split.tolist()).count("train") == 2 and report["fraction_timesteps"]["train"] == pytest.approx(1 / 3)
    note = share_note(report, 0.2, 0.2, 6, "group")
    assert note.startswith("training keeps 33% of the labelled timesteps where split.val_fraction 0.2 and ")
    assert "leave 60% (train 33%, val 33%, test 33%; 6 groups)" in note and "split.min_val_groups: 1" in note
    # twenty groups reach the fractions closely: nothing to say
    split, report = split_groups(np.arange(20), np.full((20, 2), 500), 0.2, 0.2, seed=0)
    assert share_note(report, 0.2, 0.2, 20, "group") == ""


def test_stage_01_says_it_for_six_animals(tiny_config, tmp_path):
    df = generate_demo_recordings(n_animals=6, minutes=0.5, seed=2)
    df.to_parquet(tmp_path / "six.parquet")
    cfg = tiny_config(data__path=str(tmp_path / "six.parquet"))
    with pytest.warns(UserWarning, match="training keeps"):
        meta = run_prepare(cfg, tmp_path / "run").meta
    assert any(n.startswith("training keeps") for n in meta["notes"]), meta["notes"]
