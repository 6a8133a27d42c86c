"""Stage 03 advised "a larger validation split (split.val_fraction) ... help" for a class validation
lacks even where the split was predefined (a split column, a test file, a sequence file's 'split'
array), where split.val_fraction does nothing: the advice now fits how stage 01 made the split
(prepare.json's "split"), as stage 01's own notes do (data/checks.py::split_advice)."""

from __future__ import annotations

from lstm_helpers.judge.validation_notes import validation_notes

TRAIN = {"epochs_planned": 9, "epochs_run": 5, "best_epoch": 3, "stopped_early": True, "monitor": "val_loss"}
METRICS = {
    "classes": ["a", "b", "new"],
    "threshold": None,
    "threshold_strategy": "argmax",
    "per_class": {"a": {"support": 40}, "b": {"support": 40}, "new": {"support": 9}},
    "val": {"per_class": {"a": {"support": 40}, "b": {"support": 4}, "new": {"support": 0}}},
}
PREDEFINED = {
    "method": "predefined",
    "note": "the data do not allow every class in every split (val has no new: ...); the split is predefined by "
    "the 'split' array of data.path: its marks must give each split some",
}


def test_a_predefined_split_is_not_advised_a_larger_val_fraction():
    absent, few = validation_notes(TRAIN, None, METRICS, PREDEFINED)
    for note in (absent, few):
        assert "split.val_fraction) or more recordings" not in note, note
        assert (
            "the split is predefined by the 'split' array of data.path, so split.val_fraction does not change" in note
        )
        assert "marked 'val'" in note


def test_validation_carved_from_a_predefined_training_side_is_drawn_by_the_fraction():
    carved = {
        "method": "predefined",
        "note": "...; the split is predefined by data.test_path (t.csv), the test split, and data.path, the training "
        "side; validation is carved from its training side, which another seed or split.val_fraction draws anew",
    }
    absent, _ = validation_notes(TRAIN, None, METRICS, carved)
    assert "validation is carved from the predefined split's training side: a larger split.val_fraction" in absent


def test_a_drawn_split_keeps_the_fraction_advice():
    for split in (None, {"method": "stratified by group", "note": ""}):
        absent, few = validation_notes(TRAIN, None, METRICS, split)
        assert absent.endswith("a larger validation split (split.val_fraction) or more recordings help."), absent
