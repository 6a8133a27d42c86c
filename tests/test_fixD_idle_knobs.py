"""Documented knobs crossed by a reviewer: a setting said to have no effect must have none (a
sequences run's ``evaluate.timeline_recording`` failed stage 01), each such note gives the real
reason, values written as the docs write them are read (``model.masking: off``, a numeric class
of interest), and the budget's warning counts in words that agree with the numbers."""

from __future__ import annotations

from lstm_helpers.config import resolve_config
from lstm_helpers.model.budget import choose_budget


def test_budget_warning_says_one_update_and_one_window_in_the_singular():
    """ "give only 1 updates": the count agrees with its noun, and the verb with the windows."""
    cfg = resolve_config({"train": {"batch_size": 8, "epochs": 1}})
    one = choose_budget(1, [1, 0], cfg.train).warnings
    assert one[0].startswith("1 training window at batch 8 for 1 epoch gives only 1 update (")
    assert one[1] == "train.batch_size = 8 exceeds the 1 training window"
    few = choose_budget(5, [3, 2], cfg.train).warnings[0]
    assert few.startswith("5 training windows at batch 8 for 1 epoch give only 1 update (")
    cfg = resolve_config({"train": {"batch_size": 64, "epochs": 2}})
    assert (
        "100 training windows at batch 64 for 2 epochs give only 4 updates ("
        in choose_budget(100, [50, 50], cfg.train).warnings[0]
    )
