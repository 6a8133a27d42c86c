"""The headline leads with what the decision flags where it flags nearly every test window
(runs/report.py::headline_sentence, judge/captions.py::flagging_phrase): bout and window
figures then follow from flagging everything, and they led the sentence as if earned."""

from __future__ import annotations

from test_presentation import _fake_run

from lstm_helpers.runs.report import headline_sentence


def test_a_threshold_flagging_every_test_window_is_said_first(tmp_path):
    everything = _fake_run(
        tmp_path, "all", "finished", confusion_matrix=[[0, 900], [0, 100]],
        per_class={"play": {"precision": 0.1, "recall": 1.0, "f1": 0.18, "support": 100}},
    )  # fmt: skip
    assert headline_sentence(everything).startswith(
        "the threshold flags 100% of test windows as play (true share 10%); play found with precision 0.10 "
        "and recall 1.00 at threshold 0.59; 30 of 30 bouts found"
    )
    # far more than the class's share, though not most windows: 30% flagged for a 4% class
    far = _fake_run(tmp_path, "far", "finished", confusion_matrix=[[700, 260], [0, 40]])
    assert headline_sentence(far).startswith("the threshold flags 30% of test windows as play (true share 4%); play")
    # a decision flagging about the class's share is not remarked on
    fair = _fake_run(tmp_path, "fair", "finished")  # 372 of 2047 windows flagged, 191 true
    assert headline_sentence(fair).startswith("play found with precision 0.64")
