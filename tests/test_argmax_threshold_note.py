"""Under evaluate.multiclass_decision: argmax, ``evaluate --set evaluate.threshold=0.9`` was told the
value "applies only where validation cannot choose" (lstm_helpers/unused.py, before stage 01 named
the classes) while stage 03 said the strategy beside it had no effect: nothing said that the
threshold does nothing either. Stage 03's notes now say it (the note before it is unused.py's)."""

from __future__ import annotations

from lstm_helpers.config import resolve_config
from lstm_helpers.judge.threshold import argmax_threshold_note

CLASSES = [f"c{i}" for i in range(10)]


def test_an_argmax_run_is_told_evaluate_threshold_does_nothing():
    cfg = resolve_config({}, {"evaluate.multiclass_decision": "argmax", "evaluate.threshold": 0.9})
    (note,) = argmax_threshold_note(cfg.evaluate, CLASSES, ["c1"], [])
    assert note.startswith("evaluate.threshold = 0.9 has no effect: evaluate.multiclass_decision is argmax on 10")
    assert "not even as the fallback" in note
    (none_named,) = argmax_threshold_note(resolve_config({}, {"evaluate.threshold": 0.9}).evaluate, CLASSES, [], [])
    assert "no class of interest is named on 10 classes" in none_named
    # said once: where a note already names it (unused.py's decision_notes), and not where a threshold decides
    assert argmax_threshold_note(cfg.evaluate, CLASSES, ["c1"], ["evaluate.threshold = 0.9 has no effect: ..."]) == []
    assert argmax_threshold_note(resolve_config({}, {"evaluate.threshold": 0.9}).evaluate, CLASSES, ["c1"], []) == []
    assert argmax_threshold_note(cfg.evaluate, ["a", "b"], ["b"], []) == []  # binary: a threshold always decides
    assert (
        argmax_threshold_note(
            resolve_config({}, {"evaluate.multiclass_decision": "argmax"}).evaluate, CLASSES, ["c1"], []
        )
        == []
    )
