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


def test_the_terminal_is_not_told_a_threshold_applies_where_the_argmax_decides():
    """The config-time note (before the classes are known) said evaluate.threshold 'applies only
    where validation cannot choose' under argmax, beside stage 03's 'has no effect'."""
    from lstm_helpers.unused import decision_notes, idle_notes

    set_ = {"evaluate.multiclass_decision": "argmax", "evaluate.threshold": 0.9}
    cfg = resolve_config({}, set_)
    assert not [n for n in idle_notes(cfg) if n.startswith("evaluate.threshold =")]
    (said,) = [
        n for n in decision_notes(cfg, {"classes": CLASSES, "classes_of_interest": ["c1"]}) if "threshold =" in n
    ]
    assert said.startswith("evaluate.threshold = 0.9 has no effect: evaluate.multiclass_decision is argmax")
    binary = decision_notes(cfg, {"classes": ["a", "b"], "classes_of_interest": ["b"]})
    assert any(n.startswith("evaluate.threshold = 0.9 applies only where validation cannot choose") for n in binary)
    assert any(n.startswith("evaluate.multiclass_decision = argmax has no effect") for n in binary)
    # no class of interest: the fallback note came first; stage 03 says the argmax decides after all
    plain = resolve_config({}, {"evaluate.threshold": 0.9})
    assert any(n.startswith("evaluate.threshold = 0.9 applies only") for n in idle_notes(plain))
    (late,) = [n for n in decision_notes(plain, {"classes": CLASSES, "classes_of_interest": []}) if "threshold =" in n]
    assert late.startswith("evaluate.threshold = 0.9 has no effect: the 10 classes hold no class of interest")
