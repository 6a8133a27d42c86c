"""The command line's exit codes and messages: user errors (2), failures (1), internal errors
(3, traceback saved and --debug), and readable numbers in its output."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lstm_helpers import cli
from lstm_helpers.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_config_error_exits_2_with_one_line(tmp_path, capsys):
    assert main(["run", "--config", str(tmp_path / "missing.yaml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "missing.yaml" in err[0]
    assert main(["run", "--set", "train.epochz=3"]) == 2
    assert "unknown key 'train.epochz'" in capsys.readouterr().err


def test_data_error_exits_2(tmp_path, capsys):
    rc = main(
        [
            "prepare",
            "--no-notebook",
            "--out",
            str(tmp_path / "r"),
            "--set",
            f"data.path={tmp_path / 'no_such_recordings.csv'}",
            "--set",
            "data.demo=false",
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error: ") and "no_such_recordings.csv" in err
    assert "internal error" not in err


def test_a_data_error_names_a_relative_path_as_typed(tmp_path, capsys, monkeypatch):
    """The data path is made absolute for the kernels; the error still says what the user typed."""
    import numpy as np

    monkeypatch.chdir(tmp_path)
    np.savez(tmp_path / "noy.npz", values=np.zeros((6, 1)), lengths=np.array([3, 3]))
    config = str(ROOT / "configs" / "examples" / "sequences.yaml")
    for command in (
        ["run", "--config", config],
        ["sweep", str(ROOT / "configs" / "examples" / "sequences_sweep.yaml")],
    ):
        assert main([*command, "--set", "data.path=noy.npz"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: noy.npz: missing array 'y'") and str(tmp_path) not in err, err


def test_a_text_too_short_for_one_window_is_refused_before_a_run_starts(tmp_path, capsys, monkeypatch):
    """The text was read (over 100 characters: passed) and stage 01 then failed (exit 1, a failed
    run left behind); the real minimum depends on windows.length."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "short.txt").write_text("It is a truth universally acknowledged. " * 8)  # 320 characters
    config = str(ROOT / "configs" / "examples" / "char_text.yaml")
    assert main(["run", "--config", config, "--set", "data.path=short.txt", "--out", "r"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: short.txt: 320 characters") and "give a text of at least" in err, err
    assert not (tmp_path / "r").exists()
    sweep = tmp_path / "s.yaml"
    sweep.write_text(yaml.safe_dump({"base": config, "grid": {"model.dropout": [0.1, 0.2]}}))
    assert main(["sweep", str(sweep), "--set", "data.path=short.txt", "--out", "sw"]) == 2
    assert "give a text of at least" in capsys.readouterr().err and not (tmp_path / "sw").exists()


def test_missing_run_directory_and_artifacts_are_user_errors(tmp_path, capsys):
    assert main(["report", "--run", str(tmp_path / "nope")]) == 2
    assert "no such run directory" in capsys.readouterr().err
    (tmp_path / "half").mkdir()
    assert main(["evaluate", "--run", str(tmp_path / "half")]) == 2
    assert "lacks prepared.npz, model.keras; prepare a run first: lstm-workbench prepare" in capsys.readouterr().err
    assert main(["compare", str(tmp_path / "nope")]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_a_run_without_a_model_names_the_command_that_trains_it(tmp_path, capsys):
    """predict on a prepared run said 'run the earlier stage first' without saying which command."""
    run = tmp_path / "prepared"
    run.mkdir()
    for name in ("params.yaml", "prepared.npz", "prepare.json"):
        (run / name).write_text("")
    assert main(["predict", "--run", str(run), "--input", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert f"lacks model.keras; run the earlier stage first: lstm-workbench train --run {run}" in err, err


def _boom(args):
    raise KeyError("val_pr_auc")


def test_internal_error_exits_3_with_a_saved_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reports").mkdir()
    monkeypatch.setattr(cli, "cmd_compare", _boom)  # a bug inside a subcommand
    assert main(["compare", str(tmp_path)]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0] == "internal error: KeyError: 'val_pr_auc'"
    assert "bug in lstm-workbench" in err[1] and "--debug" in err[1] and "report it" in err[1]
    saved = list((tmp_path / "reports" / "errors").glob("internal-error-*.txt"))
    assert len(saved) == 1 and str(saved[0].relative_to(tmp_path)) in err[1]  # relative path shown
    text = saved[0].read_text()
    assert "Traceback (most recent call last)" in text and "_boom" in text and "KeyError" in text


def test_a_failing_comparison_notebook_is_named_with_its_error_not_a_row_of_dashes(tmp_path, monkeypatch, capsys):
    """papermill's error opens with a row of dashes: the internal-error line read
    "PapermillExecutionError: -----..." and said neither what failed nor where."""
    from papermill.exceptions import PapermillExecutionError

    from lstm_helpers.experiments import compare

    class FailingKernel:  # a warm kernel whose notebook stops at a cell, as 04 did on a plain run
        def execute(self, src, out, parameters, cwd):
            raise PapermillExecutionError(7, 7, "display.variant_table(c)", "KeyError", "'[nan] not in index'", [])

    def cmd(args):
        compare.render_comparison(tmp_path / "cmp", kernel=FailingKernel())

    monkeypatch.chdir(tmp_path)
    (tmp_path / "reports").mkdir()
    (tmp_path / "cmp").mkdir()
    monkeypatch.setattr(cli, "cmd_compare", cmd)
    assert main(["compare", str(tmp_path)]) == 3
    first = capsys.readouterr().err.splitlines()[0]
    assert first == (
        "internal error: PapermillExecutionError: KeyError: '[nan] not in index' (in cmp/04_compare.ipynb)"
    ), first


def test_debug_raises_the_internal_error(tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "cmd_compare", _boom)
    with pytest.raises(KeyError, match="val_pr_auc"):
        main(["--debug", "compare", str(tmp_path)])
    with pytest.raises(KeyError, match="val_pr_auc"):
        main(["compare", str(tmp_path), "--debug"])


def test_a_value_error_inside_the_code_is_internal_not_a_user_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)

    def bug(args):
        int("not a number")

    monkeypatch.setattr(cli, "cmd_report", bug)
    (tmp_path / "reports").mkdir()  # the traceback goes here, not into the project's reports/
    assert main(["report", "--run", str(tmp_path)]) == 3
    assert capsys.readouterr().err.startswith("internal error: ValueError: invalid literal")
    saved = list((tmp_path / "reports" / "errors").glob("internal-error-*.txt"))
    assert len(saved) == 1 and 'int("not a number")' in saved[0].read_text()


def test_sweep_locked_exits_1(tmp_path, tiny_demo_dir, capsys):
    import os

    f = tmp_path / "s.yaml"
    f.write_text(
        yaml.safe_dump(
            {
                "base": str(ROOT / "configs" / "demo.yaml"),
                "set": {"data.path": str(tiny_demo_dir), "data.demo": False},
                "grid": {"windows.overlap_percent": [0, 50]},
            }
        )
    )
    out = tmp_path / "out"
    out.mkdir()
    (out / "sweep.lock").write_text(f"{os.getppid()}\n")  # held by a live process
    assert main(["sweep", str(f), "--out", str(out)]) == 1
    assert capsys.readouterr().err.startswith("error: sweep directory out is being run by process")


def test_subcommands_are_one_function_each():
    parser = cli._parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    funcs = {name: p.get_default("func") for name, p in sub.choices.items()}
    assert all(callable(f) for f in funcs.values())
    assert len(set(funcs.values())) == len(funcs)  # one function per subcommand


def test_a_data_path_relative_to_where_the_command_runs_reaches_the_notebooks(tmp_path, tiny_demo_dir, monkeypatch):
    # the stage notebooks run with the run directory as their current directory: a data.path
    # typed relative to the user's folder is anchored there (absolute in params.yaml), while
    # the demo's project-relative path stays as written
    import shutil

    from lstm_helpers.config import load_config, resolve_config
    from lstm_helpers.data.inputs import anchored

    work = tmp_path / "work"
    shutil.copytree(tiny_demo_dir, work / "recordings")
    mine = yaml.safe_load((ROOT / "configs" / "demo.yaml").read_text())
    mine["data"] |= {"path": "recordings", "demo": False}
    (work / "mine.yaml").write_text(yaml.safe_dump(mine))
    monkeypatch.chdir(work)
    assert main(["prepare", "--config", "mine.yaml", "--out", "run"]) == 0
    params = yaml.safe_load((work / "run" / "params.yaml").read_text())
    assert params["data"]["path"] == str((work / "recordings").resolve())
    assert (work / "run" / "prepared.npz").is_file()
    demo = load_config(ROOT / "configs" / "demo.yaml")
    monkeypatch.chdir(ROOT)
    assert anchored(demo).data.path == "data/raw/demo"  # same place from the project root: as written
    assert anchored(resolve_config({}, {"data.path": "no/such/place"})).data.path == "no/such/place"


def test_a_sweep_refuses_a_split_its_runs_cannot_train_or_test_on_before_any_run(tmp_path, tiny_demo_dir, capsys):
    """A sweep over split.val_fraction reads each data section once: each run's split fractions
    are still checked (0 without a predefined split trained nothing, or failed after training)."""
    f = tmp_path / "s.yaml"
    base = {"data.path": str(tiny_demo_dir), "data.demo": False}
    for key in ("split.val_fraction", "split.test_fraction"):
        f.write_text(
            yaml.safe_dump({"base": str(ROOT / "configs" / "demo.yaml"), "set": base, "grid": {key: [0.2, 0]}})
        )
        assert main(["sweep", str(f), "--out", str(tmp_path / "out")]) == 2
        assert capsys.readouterr().err.startswith(f"error: {key}=0 leaves no "), key
        assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "sets, said",
    [
        (
            ["train.loss=focal", "train.focal_alpha=0.25"],
            "train.focal_alpha=0.25 is the positive-class weight of a binary task",
        ),
        (["train.monitor=val_pr_auc"], "train.monitor = 'val_pr_auc' is not logged for a 3-class task"),
    ],
)
def test_train_on_a_prepared_multi_class_run_refuses_settings_before_the_kernel(
    sets, said, tmp_path, capsys, monkeypatch
):
    """train --run <prepared run> --set train.focal_alpha=... / train.monitor=... failed in stage 02 (exit 1)."""
    from lstm_helpers.config import load_config

    run = tmp_path / "r"
    run.mkdir()
    (run / "params.yaml").write_text(yaml.safe_dump(load_config(ROOT / "configs" / "demo.yaml").to_dict()))
    (run / "prepared.npz").write_bytes(b"x")
    (run / "prepare.json").write_text('{"classes": ["other", "play", "rest"], "input": {}}')
    from lstm_helpers.runs import pipeline

    def ran(*args, **kwargs):
        raise AssertionError("the stage started")

    monkeypatch.setattr(pipeline, "run_pipeline", ran)
    argv = ["train", "--run", str(run), *(a for s in sets for a in ("--set", s))]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert said in err, err


def test_a_stage_warning_on_the_terminal_is_one_plain_line(tmp_path, tiny_demo_dir):
    """``prepare --no-notebook`` printed a stage's warning as Python does: the package file's
    absolute path and line, ``UserWarning:``, then the source line that raised it."""
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "lstm_helpers", "prepare", "--no-notebook", "--out", str(tmp_path / "r"),
           "--set", f"data.path={tiny_demo_dir}", "--set", "split.by=recording"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if "split.by is 'recording'" in line]
    assert said and all(line.startswith("warning: split.by is 'recording': ") for line in said), done.stderr
    assert "UserWarning" not in done.stderr and ".py:" not in done.stderr, done.stderr


IDLE_SETS = ["train.focal_gamma=5", "train.focal_alpha=0.9", "train.schedule.max_lr=0.1", "resample.smote_k=3"]
IDLE_NOTES = [
    "note: resample.smote_k = 3 has no effect: resample.method is class_weight (smote and smote_under use it)",
    "note: train.focal_alpha = 0.9 has no effect: train.loss is crossentropy (focal uses it)",
    "note: train.focal_gamma = 5 has no effect: train.loss is crossentropy (focal uses it)",
    "note: train.schedule.max_lr = 0.1 has no effect: train.schedule.kind is plateau (cyclical and one_cycle use it)",
]


def test_settings_with_no_effect_are_noted_before_anything_runs(tmp_path, capsys, monkeypatch):
    """run --set train.focal_gamma=5 ... under crossentropy, a plateau schedule and class weights
    exited 0 without a word, and the report listed them as settings the run used."""
    from lstm_helpers.runs import pipeline

    def ran(*args, **kwargs):
        raise cli.ConfigError("the stage would start here")

    monkeypatch.setattr(pipeline, "run_pipeline", ran)
    demo = str(ROOT / "configs" / "demo.yaml")
    sets = [a for s in ["train.schedule.kind=plateau", *IDLE_SETS] for a in ("--set", s)]
    for command in ("run", "prepare"):
        assert main([command, "--config", demo, *sets]) == 2
        out = capsys.readouterr().out
        assert out.splitlines() == IDLE_NOTES, out
    assert main(["run", "--config", demo, "--set", "train.schedule.kind=plateau"]) == 2  # defaults: no note
    assert "note:" not in capsys.readouterr().out
    run = tmp_path / "r"  # a prepared run: train notes its own stages' settings, evaluate its own
    run.mkdir()
    (run / "params.yaml").write_text(yaml.safe_dump(cli.load_config(demo, ["resample.smote_k=3"]).to_dict()))
    (run / "prepared.npz").write_bytes(b"x")
    (run / "prepare.json").write_text('{"classes": ["other", "play"], "input": {}}')
    (run / "status.json").write_text('{"status": "partial", "stages_done": ["prepare"]}')
    assert main(["train", "--run", str(run), "--set", "train.loss=crossentropy", "--set", "evaluate.beta=2"]) == 2
    assert capsys.readouterr().out.splitlines() == [
        "note: evaluate.beta = 2 has no effect: evaluate.threshold_strategy is max_f1 (max_fbeta uses it)"
    ]


def test_idle_notes_cover_the_settings_other_settings_switch_off():
    from lstm_helpers.config import resolve_config
    from lstm_helpers.unused import idle_notes

    def notes(*sets, **kw):
        return idle_notes(resolve_config({}, list(sets)), **kw)

    assert notes() == [] and notes("train.focal_gamma=2") == []  # the default value: no note
    assert notes("train.loss=focal", "train.focal_gamma=5") == []  # used
    assert notes("resample.augment.jitter_sigma=0.2") == [
        "resample.augment.jitter_sigma = 0.2 has no effect: resample.method is class_weight (augment uses it)"
    ]
    assert notes(
        "train.schedule.kind=cosine", "train.schedule.warmup_fraction=0.5", "train.schedule.mode=exp_range"
    ) == [
        "train.schedule.warmup_fraction = 0.5 has no effect: train.schedule.kind is cosine (one_cycle uses it)",
        "train.schedule.mode = exp_range has no effect: train.schedule.kind is cosine (cyclical uses it)",
    ]
    assert notes("resample.method=smote", "train.use_class_weight=false") == [
        "train.use_class_weight = false has no effect: resample.method is smote (class_weight uses it)"
    ]
    assert notes("scale.method=none", "scale.per=recording")[0].endswith(
        "scale.method is none (standard, robust and minmax use it)"
    )
    assert notes("train.early_stopping.enabled=false", "train.early_stopping.restore_best_weights=false")
    assert notes("windows.length_seconds=2", "windows.length=30") == [
        "windows.length = 30 has no effect: windows.length_seconds is 2 (the seconds win)"
    ]
    assert notes("data.kind=sequences", "data.path=x.npz", "data.time_column=t") == [
        "data.time_column = t has no effect: data.kind is sequences, which never reads it"
    ]
    # by stage (a stage notebook notes its own sections); a search's space may switch them on
    assert notes("resample.smote_k=3", "train.focal_gamma=5", stages=("train",)) == [
        "train.focal_gamma = 5 has no effect: train.loss is crossentropy (focal uses it)"
    ]
    assert (
        notes("resample.smote_k=3", "train.focal_gamma=5", varied={"resample.method": None, "train.focal_gamma": None})
        == []
    )


def test_a_stage_notebook_notes_the_settings_of_its_stage_with_no_effect(tmp_path, capsys):
    """What the report shows: each stage notebook's first cell (open_run) prints the notes of its own
    sections, so a run's report says each once, in the section of the stage that ignores it."""
    from lstm_helpers.artifacts import open_run

    overrides = {"train.schedule.kind": "plateau"} | dict(s.split("=") for s in IDLE_SETS)
    from lstm_helpers.artifacts import write_json, write_yaml

    write_json(tmp_path / "r" / "status.json", {"status": "running"})  # as the pipeline runs them, for its report
    cfg, _ = open_run(tmp_path / "r", ROOT / "configs" / "demo.yaml", overrides, stage="prepare")
    assert capsys.readouterr().out.splitlines() == IDLE_NOTES[:1]
    write_yaml(tmp_path / "r" / "params.yaml", cfg.to_dict())  # what stage 01 writes (open_run checks for it)
    for name in ("prepared.npz", "prepare.json", "model.keras", "train.json"):
        (tmp_path / "r" / name).write_text("{}")
    open_run(tmp_path / "r", "", {}, stage="train")
    assert capsys.readouterr().out.splitlines() == IDLE_NOTES[1:]
    open_run(tmp_path / "r", "", {}, stage="evaluate")
    assert capsys.readouterr().out == ""


def test_evaluate_settings_a_text_or_token_run_never_reads_are_noted():
    """``--set evaluate.threshold_strategy=fixed`` / ``evaluate.baseline=none`` on a character run said
    nothing: a text names no class of interest, so its decisions are the argmax (metrics.json:
    threshold null), and token ids have no MiniRocket baseline. The shipped examples set none of them."""
    from lstm_helpers.config import load_config
    from lstm_helpers.unused import baseline_applies, idle_notes

    text = ROOT / "configs" / "examples" / "char_text.yaml"
    sets = {"evaluate.threshold_strategy": "fixed", "evaluate.baseline": "none", "evaluate.min_recall": 0.9}
    notes = idle_notes(load_config(text, sets))
    said = {f"{k} = {v} has no effect: data.kind is text, which never reads it" for k, v in sets.items()}
    assert len(notes) == 3 and set(notes) == said, notes
    tokens = ROOT / "configs" / "examples" / "token_sequences.yaml"
    assert idle_notes(load_config(tokens, {"evaluate.baseline": "none"})) == [
        "evaluate.baseline = none has no effect: data.tokens is true: token ids have no MiniRocket baseline"
    ]
    assert idle_notes(load_config(text)) == [] and idle_notes(load_config(tokens)) == []
    assert not baseline_applies(load_config(text)) and not baseline_applies(load_config(tokens))
    assert baseline_applies(load_config(ROOT / "configs" / "demo.yaml"))


def test_early_stopping_patience_is_noted_when_early_stopping_is_off():
    """``--set train.early_stopping.enabled=false --set train.early_stopping.patience=7`` said
    nothing; an auto plateau patience still reads it (a third of it), so that case is not noted."""
    from lstm_helpers.config import load_config
    from lstm_helpers.unused import idle_notes

    off = {"train.early_stopping.enabled": False, "train.early_stopping.patience": 7}
    notes = idle_notes(load_config(ROOT / "configs" / "demo.yaml", {**off, "train.schedule.kind": "constant"}))
    assert any(n.startswith("train.early_stopping.patience = 7 has no effect") for n in notes), notes
    plateau = idle_notes(load_config(ROOT / "configs" / "demo.yaml", {**off, "train.schedule.patience": "auto"}))
    assert not any(n.startswith("train.early_stopping.patience") for n in plateau), plateau


def test_a_threshold_set_by_hand_under_a_choosing_strategy_is_noted():
    """``--set evaluate.threshold=0.6`` under the default max_f1 reported "at threshold 0.84" and said
    nothing: the value applies only with ``threshold_strategy: fixed`` (elsewhere it is the fallback when
    validation cannot choose, so it stays out of the idle settings a sweep resets)."""
    from lstm_helpers.config import resolve_config
    from lstm_helpers.unused import idle_notes, idle_settings

    def notes(*sets, **kw):
        return idle_notes(resolve_config({}, list(sets)), **kw)

    said = notes("evaluate.threshold=0.6", stages=("evaluate",))
    assert said == [
        "evaluate.threshold = 0.6 applies only where validation cannot choose a threshold: "
        "evaluate.threshold_strategy is max_f1, which chooses it on validation "
        "(set evaluate.threshold_strategy: fixed to apply it)"
    ], said
    assert notes("evaluate.threshold=0.3", "evaluate.threshold_strategy=recall_at_precision")[0].startswith(
        "evaluate.threshold = 0.3 applies only where validation cannot choose a threshold: "
        "evaluate.threshold_strategy is recall_at_precision"
    )
    assert notes("evaluate.threshold=0.5") == []  # its default: nothing the user set
    assert notes("evaluate.threshold=0.6", "evaluate.threshold_strategy=fixed") == []  # applied
    assert notes("evaluate.threshold=0.6", stages=("train",)) == []
    assert notes("evaluate.threshold=0.6", varied={"evaluate.threshold_strategy": None}) == []
    assert "evaluate.threshold" not in idle_settings(resolve_config({}, ["evaluate.threshold=0.6"]))


def test_recurrent_settings_of_a_convolution_only_model_are_noted():
    """``model.cell: none`` builds the conv front end and global average pooling
    (models.py::_sequence_body): units, bidirectional, dropout and recurrent_dropout were dropped silently."""
    from lstm_helpers.config import resolve_config
    from lstm_helpers.unused import idle_notes, idle_settings

    sets = ["model.cell=none", "model.units=[16]", "model.bidirectional=false", "model.dropout=0.5"]
    notes = idle_notes(resolve_config({}, [*sets, "model.recurrent_dropout=0.1"]), stages=("train",))
    keys = [n.split(" = ")[0] for n in notes]
    assert keys == ["model.units", "model.bidirectional", "model.dropout", "model.recurrent_dropout"], notes
    assert all(": model.cell is none (lstm and gru use it" in n for n in notes), notes
    assert idle_notes(resolve_config({}, ["model.cell=none"])) == []  # defaults: nothing set
    assert idle_notes(resolve_config({}, ["model.cell=gru", "model.dropout=0.5"])) == []
    assert "model.units" in idle_settings(resolve_config({}, ["model.cell=none"]))


def test_decision_notes_follow_the_classes_stage_01_named():
    """Whether a threshold decides is known once prepare.json names the classes: none on a
    multi-class task without a class of interest, always on a binary one."""
    from lstm_helpers.config import load_config
    from lstm_helpers.unused import decision_notes

    seqs = load_config(ROOT / "configs" / "examples" / "sequences.yaml", {"evaluate.min_recall": 0.9})
    assert decision_notes(seqs, {"classes": ["a", "b", "c"]}) == []  # idle_notes says it already (max_f1)
    seqs = load_config(ROOT / "configs" / "examples" / "sequences.yaml", {"evaluate.threshold_strategy": "fixed"})
    assert decision_notes(seqs, {"classes": ["a", "b", "c"]}) == [
        "evaluate.threshold_strategy = fixed has no effect: the 3 classes hold no class of interest "
        "(data.classes_of_interest), so the argmax decides"
    ]
    assert decision_notes(seqs, {"classes": ["a", "b"]}) == [
        "evaluate.multiclass_decision = argmax has no effect: this task has 2 classes, so a threshold on one decides"
    ]
    assert decision_notes(seqs, {"classes": ["a", "b", "c"], "classes_of_interest": ["b"]}) != []
    demo = load_config(ROOT / "configs" / "demo.yaml", {"evaluate.min_precision": 0.8})
    assert decision_notes(demo, {"classes": ["other", "play"], "classes_of_interest": ["play"]}) == []


def test_a_run_whose_train_stage_failed_says_why_instead_of_run_the_stage_again(tmp_path, capsys):
    """predict on a run whose stage 02 failed said 'run the earlier stage first: train --run',
    which only repeats the same error; it now says the stage failed, why, and what to change."""
    import json

    run = tmp_path / "failed"
    run.mkdir()
    for name in ("params.yaml", "prepared.npz", "prepare.json"):
        (run / name).write_text("")
    reason = "train failed in 02_train.ipynb: ValueError: model.units [0]: each LSTM layer needs at least 1 unit"
    status = {"status": "failed", "stage": "train", "reason": reason, "stages_done": ["prepare"]}
    (run / "status.json").write_text(json.dumps(status))
    assert main(["predict", "--run", str(run), "--input", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert "run the earlier stage first" not in err, err
    assert "its train stage failed (in 02_train.ipynb: ValueError: model.units [0]: each LSTM layer" in err, err
    assert (
        f"running it again unchanged fails the same way: change what the error names, e.g. lstm-workbench train --run {run} --set KEY=VALUE"
        in err
    ), err
