"""Documented knobs crossed by a reviewer: a setting said to have no effect must have none (a
sequences run's ``evaluate.timeline_recording`` failed stage 01), each such note gives the real
reason, values written as the docs write them are read (``model.masking: off``, a numeric class
of interest), and the budget's warning counts in words that agree with the numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from lstm_helpers.config import ConfigError, load_config, resolve_config
from lstm_helpers.config_yaml import parse_override
from lstm_helpers.data.examples import write_example_sequences
from lstm_helpers.data.prepare import run_prepare
from lstm_helpers.data.recordings import DataError, read_dataset
from lstm_helpers.model.budget import choose_budget
from lstm_helpers.unused import decision_notes, effective_fingerprint, idle_notes, unused_settings


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


EXAMPLE = ROOT / "configs" / "examples" / "sequences.yaml"


def _sequences(tmp_path: Path, **overrides: object):
    npz = write_example_sequences(tmp_path / "seq.npz", n=60)
    return load_config(EXAMPLE, {"data.path": str(npz), "train.verbose": 0, **overrides})


def test_timeline_recording_said_to_have_no_effect_on_sequences_fails_nothing(tmp_path):
    """``--set evaluate.timeline_recording=q0001`` on sequences: "has no effect: data.kind is
    sequences, which never reads it", then stage 01 refused it as no test recording; a kind that
    draws no timeline does not check it, and recordings still do (tests/test_prepare.py)."""
    from lstm_helpers.unused import reads

    cfg = _sequences(tmp_path, **{"evaluate.timeline_recording": "q0001"})
    assert idle_notes(cfg, ("evaluate",)) == [
        "evaluate.timeline_recording = q0001 has no effect: data.kind is sequences, which never reads it"
    ]
    prepared = run_prepare(cfg, tmp_path / "run")  # refused with a DataError before the fix
    assert len(prepared.meta["splits_recordings"]["test"]) > 0
    assert not reads(cfg, "evaluate.timeline_recording")
    assert reads(resolve_config({}), "evaluate.timeline_recording")  # recordings draw it


def test_window_length_on_sequences_names_the_data_kind_not_the_seconds(tmp_path):
    """``windows.length`` on sequences said "windows.length_seconds is null (the seconds win)":
    sequences are never windowed, as the sibling keys say; the seconds are the reason only where
    they are set on windowed data."""
    cfg = _sequences(tmp_path, **{"windows.length": 20})
    assert idle_notes(cfg, ("prepare",)) == [
        "windows.length = 20 has no effect: data.kind is sequences, which never reads it"
    ]
    assert unused_settings(cfg)["windows.length"] == "data.kind sequences, which never reads it"
    seconds = resolve_config({}, {"windows.length_seconds": 2, "windows.length": 30})
    assert "windows.length = 30 has no effect: windows.length_seconds is 2 (the seconds win)" in idle_notes(seconds)
    assert unused_settings(seconds)["windows.length"] == "windows.length_seconds 2 (the seconds win)"


@pytest.mark.parametrize(("text", "expected"), [("on", "on"), ("off", "off"), ("yes", "on"), ("auto", "auto")])
def test_masking_on_and_off_as_written_in_yaml_and_on_the_command_line(tmp_path, text, expected):
    """YAML reads on / off as booleans: ``model.masking: off`` was refused with "Input should be
    'auto', 'on' or 'off'" (False)."""
    path = tmp_path / "mask.yaml"
    path.write_text(f"model: {{masking: {text}}}\n")
    assert load_config(path).model.masking == expected
    assert load_config(None, dict([parse_override(f"model.masking={text}")])).model.masking == expected
    with pytest.raises(ConfigError, match=r"model.masking = 'maybe': Input should be 'auto', 'on' or 'off'"):
        resolve_config({"model": {"masking": "maybe"}})


def test_numeric_class_of_interest_names_the_class_a_numeric_label_reads_as(tmp_path):
    """``data.classes_of_interest: [3]`` was refused ("Input should be a valid string") though a
    label 3 in an .npz ``y`` (or 3.0 in a CSV column with an empty cell) reads as the class '3'."""
    parsed = load_config(None, dict([parse_override("data.classes_of_interest=[3, 2.0, 0.5, walk]")]))
    assert parsed.data.classes_of_interest == ["3", "2", "0.5", "walk"]
    with pytest.raises(ConfigError, match=r"classes_of_interest.0 = True: Input should be a valid string"):
        resolve_config({"data": {"classes_of_interest": [True]}})  # yes / no: a label the YAML file must quote
    cfg = _sequences(tmp_path, **{"data.classes_of_interest": [3]})
    arrays = dict(np.load(cfg.data.path))
    arrays["y"] = np.unique(arrays["y"], return_inverse=True)[1].astype(np.int64)  # the integers 0-3
    np.savez(cfg.data.path, **arrays)
    s = read_dataset(cfg.data)
    assert s.classes[-1] == "3" and sorted(s.classes) == ["0", "1", "2", "3"]  # the class of interest is last


def test_shuffle_buffer_no_run_reads_is_said_to_have_no_effect():
    """``train.shuffle_buffer`` is read by no run or search trial (each shuffles its windows fully,
    a seeded permutation per epoch) and got no note; sweeps now leave out runs differing in it."""
    cfg = resolve_config({}, {"train.shuffle_buffer": 500})
    (note,) = [n for n in idle_notes(cfg, ("train",)) if n.startswith("train.shuffle_buffer")]
    assert note.startswith("train.shuffle_buffer = 500 has no effect: every run and search trial shuffles all")
    assert effective_fingerprint(cfg) == effective_fingerprint(resolve_config({}))


def test_monitor_mode_the_auto_mode_gives_is_said_to_have_no_effect():
    """``train.monitor_mode: min`` with ``train.monitor: val_loss`` is what auto gives; a mode
    that differs from auto's, or any mode under ``monitor: auto`` (which may pick val_loss or a
    score), changes which epoch is kept and is not noted."""
    same = resolve_config({}, {"train.monitor": "val_loss", "train.monitor_mode": "min"})
    assert idle_notes(same, ("train",)) == [
        "train.monitor_mode = min has no effect: train.monitor is val_loss (auto gives the same mode: min for a "
        "loss, max otherwise)"
    ]
    for sets in ({"train.monitor": "val_loss", "train.monitor_mode": "max"},):
        assert not [n for n in idle_notes(resolve_config({}, sets)) if "monitor_mode" in n], sets


def test_top_k_on_a_binary_task_is_said_to_have_no_effect():
    """A binary task logs and reports no top-k accuracy: ``train.top_k`` set there got no note
    (known once stage 01 has named the classes, so said before stage 03)."""
    cfg = resolve_config({}, {"train.top_k": 3})
    binary = decision_notes(cfg, {"classes": ["other", "play"], "classes_of_interest": ["play"]})
    assert binary == ["train.top_k = 3 has no effect: this task has 2 classes (top-k accuracy is for 3 or more)"]
    assert decision_notes(cfg, {"classes": ["a", "b", "c", "d"], "classes_of_interest": ["d"]}) == []
    assert decision_notes(resolve_config({}), {"classes": ["other", "play"], "classes_of_interest": ["play"]}) == []


def test_test_path_that_stage_01_refuses_is_not_said_to_have_no_effect(tmp_path):
    """``data.test_path`` on sequences was said to have no effect, then stage 01 refused it
    ("data.test_path is supported for data.kind 'recordings'; for sequences put a 'split' array ..."):
    the refusal, which says what to do, is all that is said."""
    cfg = _sequences(tmp_path, **{"data.test_path": str(tmp_path / "test.npz")})
    assert not [n for n in idle_notes(cfg) if n.startswith("data.test_path")]
    with pytest.raises(DataError, match="data.test_path is supported for data.kind 'recordings'"):
        read_dataset(cfg.data)


def test_a_monitor_mode_without_a_named_monitor_is_refused_before_training_not_when_a_run_opens():
    """``train.monitor_mode: min`` under ``train.monitor: auto`` (val_pr_auc on a binary task)
    made early stopping and the checkpoint keep the worst epoch, without a word. Refused before a
    run and where training starts; a finished run's params.yaml holding one still loads (predict)."""
    from lstm_helpers.data.checks import check_monitor_logged
    from lstm_helpers.model.logged import refuse_mode_without_monitor

    cfg = resolve_config({}, {"train.monitor_mode": "min"})  # loads
    with pytest.raises(ConfigError, match="train.monitor_mode = min needs a named train.monitor"):
        check_monitor_logged(["other", "play"], cfg)
    with pytest.raises(ConfigError, match="needs a named train.monitor"):
        refuse_mode_without_monitor(cfg.train)
    named = resolve_config({}, {"train.monitor": "val_pr_auc", "train.monitor_mode": "max"})
    check_monitor_logged(["other", "play"], named)
    refuse_mode_without_monitor(named.train)


def test_class_weights_by_numeric_class_read_as_text():
    """``resample.class_weight: {3: 5}`` was refused ("Input should be a valid string") while
    class_map and classes_of_interest read the number 3 as the class '3'."""
    cfg = resolve_config({}, {"resample.class_weight": {3: 5, 4.0: 1.5, "x": 2}})
    assert cfg.resample.class_weight == {"3": 5.0, "4": 1.5, "x": 2.0}
