"""Several classes of interest: stage 01 says which one the run follows."""

from lstm_helpers.data.prepare import run_prepare
from lstm_helpers.runs.terminal import stage_done_line


def test_several_classes_of_interest_are_said_with_the_one_the_run_follows(tiny_config, tmp_path):
    """classes_of_interest [play, rest]: only play (listed first) gets the threshold and the
    headline; before, nothing said that rest had neither."""
    classes = {"play_chase": "play", "play_wrestle": "play", "play_solo": "play", "rest": "rest"}
    cfg = tiny_config(data__class_map=classes, data__classes_of_interest=["play", "rest"])
    meta = run_prepare(cfg, tmp_path).meta
    assert meta["classes"] == ["other", "play", "rest"]
    (note,) = [n for n in meta["notes"] if n.startswith("data.classes_of_interest names 2 classes")]
    assert "'play', listed first, is the one the decision threshold and the headline" in note
    assert (
        "'rest' is scored per class" in note
        and "balanced accuracy over the classes validation holds (all 3 where" in note
    )
    assert f"note: {note}" in stage_done_line("prepare", 1.0, tmp_path).splitlines()


def test_one_class_of_interest_gets_no_such_note(tiny_config, tmp_path):
    meta = run_prepare(tiny_config(), tmp_path).meta
    assert not any("data.classes_of_interest names" in n for n in meta["notes"])
