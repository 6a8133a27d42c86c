"""Bout matching by the half-overlap rule (judge/bouts.py::match_bouts): a predicted bout
counts only when at least half of it lies on true bouts, so flagging a whole recording
finds nothing and is one false alarm."""

from __future__ import annotations

import numpy as np

from lstm_helpers.judge.bouts import bouts_on_scored_steps, match_bouts


def test_a_predicted_bout_covering_the_whole_recording_is_a_false_alarm_not_every_bout_found():
    labels = np.zeros(1000, np.int64)
    for s in (100, 400, 700, 900):
        labels[s : s + 30] = 1  # four true bouts, 12% of the recording
    predicted = np.ones(1000, np.int64)  # the class flagged everywhere
    res = match_bouts(*bouts_on_scored_steps(labels, predicted, 1), 10.0)
    assert (res["n_true"], res["n_pred"], res["n_found"], res["n_false_alarms"]) == (4, 1, 0, 1)
    assert res["bout_recall"] == 0.0 and res["bout_precision"] == 0.0
    assert res["false_alarms"] == [[0.0, 100.0]] and res["onset_error_s"] is None


def test_half_of_a_predicted_bout_on_the_class_is_a_hit_less_is_a_false_alarm():
    hit = match_bouts([[10, 20]], [[10, 30]], 1.0)  # 10 of 20 steps on the bout: exactly half
    assert (hit["n_found"], hit["n_false_alarms"], hit["bout_precision"]) == (1, 0, 1.0)
    assert hit["offset_error_s"] == 10.0
    overfill = match_bouts([[10, 20]], [[10, 31]], 1.0)  # 10 of 21: most of it is not the class
    assert (overfill["n_found"], overfill["n_false_alarms"], overfill["bout_precision"]) == (0, 1, 0.0)
    # a hit spanning two true bouts counts the steps on both, and finds both
    both = match_bouts([[0, 10], [15, 25]], [[0, 25]], 1.0)
    assert (both["n_found"], both["n_false_alarms"]) == (2, 0)
    # the found bout's errors come from the hit, not from an earlier false alarm overlapping it
    pairs = match_bouts([[50, 60]], [[0, 55], [56, 60]], 1.0)
    assert (pairs["n_found"], pairs["n_false_alarms"]) == (1, 1) and pairs["pairs"][0]["pred_start_s"] == 56


def test_a_detection_running_a_window_past_its_bout_stays_a_hit_within_the_collar():
    """Per-window decisions smear a bout's edges by up to a window: without a collar, a
    50-step bout detected 30 steps early and 40 late (window 50) counted as missed and as a
    false alarm, and the demo's headline fell from 30 of 30 bouts found to 25 with 6 false
    alarms while its window precision and recall stayed 0.81 / 0.93."""
    true, pred = [[100, 150], [400, 450], [900, 950]], [[70, 190], [370, 500], [870, 990]]
    strict = match_bouts(true, pred, 25.0)
    assert (strict["n_found"], strict["n_false_alarms"]) == (0, 3)
    collared = match_bouts(true, pred, 25.0, collar_steps=50)
    assert (collared["n_found"], collared["n_false_alarms"], collared["bout_precision"]) == (3, 0, 1.0)
    assert collared["onset_error_s"] == 1.2  # errors still measured against the true edges
    # a whole recording flagged stays one false alarm however wide the collar
    everywhere = match_bouts(true, [[0, 1000]], 25.0, collar_steps=50)
    assert (everywhere["n_found"], everywhere["n_false_alarms"]) == (0, 1)
    # true bouts whose collars overlap are not counted twice
    close = match_bouts([[100, 110], [115, 125]], [[60, 170]], 1.0, collar_steps=20)
    assert (close["n_found"], close["n_false_alarms"]) == (2, 0)
    # a detection wholly inside a collar touches no true bout: a false alarm, not a hit that finds nothing
    beside = match_bouts([[100, 200]], [[200, 240]], 1.0, collar_steps=50)
    assert (beside["n_found"], beside["n_false_alarms"], beside["bout_precision"]) == (0, 1, 0.0)
    # true bouts given out of order are widened all the same
    unsorted = match_bouts([[300, 310], [0, 10]], [[295, 320], [0, 12]], 1.0, collar_steps=5)
    assert (unsorted["n_found"], unsorted["n_false_alarms"]) == (2, 0)
