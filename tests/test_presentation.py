"""Presentation pieces without a browser: number formats, plurals, paths, the terminal filter,
the headline sentence, the index page (escaping, integer columns after a failed run) and the
self-contained report template."""

from __future__ import annotations

import html
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from lstm_helpers.config import PROJECT_ROOT
from lstm_helpers.layout import RunLayout
from lstm_helpers.runs.index_page import write_index
from lstm_helpers.runs.report import confusion_html, headline_sentence
from lstm_helpers.runs.slides import write_slides
from lstm_helpers.runs.terminal import ProgressEcho, display_path, duration, page_path, plural
from lstm_helpers.style import fmt_number, table_html

HOSTILE = "<img src=x onerror=alert(1)>"


def test_numbers_plurals_durations():
    assert [fmt_number(x) for x in (0.64237, 0.64, 79681.0, 12.3456, 3, float("nan"), None)] == [
        "0.642",
        "0.640",
        "79,681",
        "12.3",
        "3",
        "–",
        "–",
    ]
    assert plural(1, "false alarm") == "1 false alarm" and plural(20, "false alarm") == "20 false alarms"
    assert plural(1, "run") == "1 run" and plural(0, "run") == "0 runs"
    assert duration(10.065695405000042) == "10 s" and duration(4.21) == "4.2 s"
    assert duration(112.4) == "1 min 52 s" and duration(3780) == "1 h 03 min"


def test_page_path_is_never_absolute(tmp_path):
    assert page_path(PROJECT_ROOT / "reports" / "r1") == "reports/r1"
    shown = page_path(tmp_path / "a" / "b")
    assert not shown.startswith("/") and shown.endswith("a/b")
    assert page_path("/nonexistent/dir/x.csv") == "dir/x.csv"  # pages are read elsewhere: never absolute


def test_display_path_opens_from_the_working_directory(tmp_path, monkeypatch):
    """The terminal names a file so it opens from where the user is: ``predict --out
    /nonexistent/dir/x.csv`` printed ``dir/x.csv`` (the last two parts), a file not there."""
    (tmp_path / "work" / "sub").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "work")
    assert display_path(tmp_path / "work" / "sub" / "x.csv") == "sub/x.csv"
    assert display_path("/nonexistent/dir/x.csv") == "/nonexistent/dir/x.csv"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    far = tmp_path / "home" / "a" / "b" / "c" / "d"
    far.mkdir(parents=True)
    monkeypatch.chdir(far)
    assert display_path(tmp_path / "home" / "out" / "x.csv") == "~/out/x.csv"
    monkeypatch.chdir(PROJECT_ROOT.parent)  # the project's reports from outside it: not "reports/r1"
    shown = display_path(PROJECT_ROOT / "reports" / "r1")
    assert (Path.cwd() / Path(shown).expanduser()).resolve() == (PROJECT_ROOT / "reports" / "r1").resolve()


def test_display_path_beside_the_working_directory_opens_as_printed(tmp_path, monkeypatch):
    (tmp_path / "work").mkdir()
    target = tmp_path / "out" / "comparison.html"
    monkeypatch.chdir(tmp_path / "work")
    shown = display_path(target)
    assert shown == "../out/comparison.html" and (Path.cwd() / shown).resolve() == target.resolve()
    far = tmp_path / "work" / "a" / "b" / "c"
    far.mkdir(parents=True)
    monkeypatch.chdir(far)  # four levels up: too far to read, so the whole path
    assert display_path(target) == str(target.resolve())
    assert page_path(target) == "out/comparison.html"  # a page: only the last two parts
    monkeypatch.chdir("/proc")  # sharing only / with it: no climb to the root and down again
    assert display_path(target) == str(target.resolve())


def test_progress_echo_passes_only_epoch_lines():
    out = io.StringIO()
    echo = ProgressEcho(out)
    echo.write("run directory: reports/x\nepoch 1/2  3.1 s  loss 0.5\n- a note\n")
    echo.write("epoch 2/2  step 5/10  7000 ms/step  epoch ends in ~35 s   \r")  # a long epoch's in-epoch line
    echo.write("epoch 2/2  2.9 s  loss 0.4\n")
    echo.write("stopped after epoch 2: val_loss had not improved for 1 epoch (best: epoch 1)\n")
    assert out.getvalue() == (
        "epoch 1/2  3.1 s  loss 0.5\nepoch 2/2  step 5/10  7000 ms/step  epoch ends in ~35 s\nepoch 2/2  2.9 s  loss 0.4\n"
        "stopped after epoch 2: val_loss had not improved for 1 epoch (best: epoch 1)\n"
    )


def test_budget_warnings_reach_the_terminal_as_one_clean_note_and_other_warnings_do_not():
    """ "2,052 training windows at batch 128 for 3 epochs give only 51 updates" was in notebook 02
    and the report's collapsed warnings only: the terminal of lstm-workbench run showed nothing."""
    from lstm_helpers.model.budget import BudgetWarning
    from lstm_helpers.runs.terminal import NoteEcho, stage_echoes
    from lstm_helpers.style import plain_warning

    few = "2,052 training windows at batch 128 for 3 epochs give only 51 updates (train.min_updates = 2000)"
    out = io.StringIO()
    echo = NoteEcho(out)
    said = plain_warning(BudgetWarning(few), BudgetWarning)  # as the stage's kernel prints it, on stderr
    echo.write("I0000 00:00:17.1 123 cpu_feature_guard.cc:227] This TensorFlow binary\n")
    echo.write(plain_warning(UserWarning("train.jit_compile = true: ..."), UserWarning))
    echo.write("/tmp/ipykernel_1/2.py:1: DeprecationWarning: old\n  source line\n")
    echo.write(said[:30])  # one line over two writes
    echo.write(said[30:])
    assert out.getvalue() == f"note: {few}\n"
    assert set(stage_echoes(False).values()) == {None}
    assert isinstance(stage_echoes(True)["stderr_file"], NoteEcho)


def test_table_html_drops_range_index_rounds_and_escapes():
    df = pd.DataFrame({"class": [HOSTILE, "other"], "precision": [0.123456, 0.9], "support": [191.0, 1856.0]})
    page = table_html(df)
    assert HOSTILE not in page and "&lt;img src=x" in page
    assert "0.123" in page and "0.900" in page and "1,856" in page and "1856.0" not in page
    assert '<th class="blank' not in page and ">0<" not in page  # no 0..n index
    assert "<details>" in table_html(pd.DataFrame({"a": range(40)}))


def _fake_run(root: Path, name: str, status: str, pos: str = "play", **metrics) -> Path:
    """A run directory holding the JSON files the pipeline writes (formats of metrics.json,
    train.json, status.json), for the page builders that only read them."""
    run = root / name
    lay = RunLayout(run)
    (run / "figures").mkdir(parents=True)
    lay.params.write_text(yaml.safe_dump({"data": {"path": str(root / "data")}, "run": {"reports_dir": str(root)}}))
    lay.status.write_text(
        json.dumps(
            {
                "status": status,
                "reason": None if status == "finished" else f"prepare failed: {root}/data does not exist",
            }
        )
    )
    if status == "finished":
        lay.train_json.write_text(
            json.dumps(
                {
                    "model_name": "lstm_lay1_sz8",
                    "n_params": 79681,
                    "epochs_run": 2,
                    "total_seconds": 10.065695405000042,
                }
            )
        )
        lay.metrics.write_text(
            json.dumps(
                {
                    "accuracy": 0.9,
                    "majority_baseline_accuracy": 0.907,
                    "balanced_accuracy": 0.905,
                    "mcc": 0.61,
                    "pr_auc": 0.78,
                    "positive_class": pos,
                    "classes": ["other", pos],
                    "threshold": 0.5912,
                    "confusion_matrix": [[1659, 197], [16, 175]],
                    "per_class": {pos: {"precision": 0.6412, "recall": 0.8333, "f1": 0.72}},
                    "bouts": {pos: {"n_true": 30, "n_found": 30, "n_false_alarms": 1, "bout_recall": 1.0}},
                    "notes": ["raise evaluate.min_precision"],
                    **metrics,
                }
            )
        )
    return run


def test_headline_sentence_with_and_without_baseline(tmp_path):
    run = _fake_run(tmp_path, "r1", "finished")
    assert headline_sentence(run) == (
        "play found with precision 0.64 and recall 0.83 at threshold 0.59; 30 of 30 bouts found, 1 false-alarm bout"
    )
    run2 = _fake_run(
        tmp_path,
        "r2",
        "finished",
        baseline={
            "label": "MiniRocket baseline",
            "per_class": {"play": {"precision": 0.5, "recall": 0.7}},
        },
    )
    assert headline_sentence(run2).endswith("; MiniRocket baseline: precision 0.50, recall 0.70")
    never = {"label": "MiniRocket baseline", "pr_auc": 0.92, "per_class": {"play": {"precision": None, "recall": 0.0}}}
    multi = _fake_run(tmp_path, "r5", "finished", classes=["other", "rest", "play"], pr_auc=0.611, baseline=never)
    assert headline_sentence(multi).endswith("; MiniRocket baseline: PR-AUC (macro) 0.920 (this model 0.611)")
    failed = _fake_run(tmp_path, "r3", "failed")
    assert headline_sentence(failed).startswith("Run failed: prepare failed")
    half = _fake_run(tmp_path, "r4", "partial")
    RunLayout(half).status.write_text(json.dumps({"status": "partial", "stages_done": ["prepare", "train"]}))
    said = headline_sentence(half)  # the command as it pastes: the run's path, not its bare name
    assert said.startswith("Run partial: prepare, train done; the next stage runs with lstm-workbench evaluate --run ")
    assert said.endswith("/r4") and str(tmp_path) not in said
    from lstm_helpers.runs.report import class_phrase

    assert [class_phrase(c) for c in ("play", "2", "-1", "0.5", "class 2b")] == [
        "play", "class 2", "class -1", "class 0.5", "class 2b",
    ]  # fmt: skip


def test_headline_when_the_class_is_absent_or_never_predicted_and_a_fixed_threshold(tmp_path):
    from lstm_helpers.runs.report import _key_metrics_html

    never = _fake_run(
        tmp_path, "r1", "finished", per_class={"play": {"precision": None, "recall": 0.0, "f1": 0.0, "support": 9}}
    )
    assert headline_sentence(never).startswith("play never predicted at threshold 0.59: recall 0.00;")
    absent = _fake_run(
        tmp_path, "r2", "finished", per_class={"play": {"precision": 0.0, "recall": None, "f1": None, "support": 0}}
    )
    said = headline_sentence(absent)  # every window predicted play is a false alarm (its column: 197 + 175)
    assert said.startswith("no play window in the test split, 372 windows predicted as it (false alarms); balanced")
    fixed = _fake_run(tmp_path, "r3", "finished", threshold_origin="fixed: no validation windows")
    assert "threshold, fixed: no validation windows" in _key_metrics_html(fixed)
    assert "threshold, chosen on validation<" in _key_metrics_html(never)  # metrics.json of older runs
    naive = _fake_run(tmp_path, "r7", "finished", threshold_strategy="fixed")  # older run, fixed threshold
    assert "threshold, fixed: evaluate.threshold<" in _key_metrics_html(naive)
    multi = _fake_run(
        tmp_path, "r4", "finished", classes=["a", "b", "play"], pr_auc_per_class={"a": 0.9, "b": 0.8, "play": 0.31}
    )
    page = _key_metrics_html(multi)
    assert "PR-AUC (macro over classes)" in page and "PR-AUC (play)</th><td>0.31" in page
    timed = _fake_run(tmp_path, "r6", "finished")
    train = json.loads(RunLayout(timed).train_json.read_text())
    train |= {"seconds_per_epoch": [16.06, 9.42], "seconds_per_epoch_mean": 9.42}
    train["timing_basis"] = "mean of 1 epoch(s), excluding each fit call's first epoch (graph tracing)"
    RunLayout(timed).train_json.write_text(json.dumps(train))
    # (with the checkpoint after each epoch, as train.json counts them; the terminal's epoch line comes before it)
    assert "seconds per epoch incl. checkpoint (the first, with graph tracing: 16.1)</th><td>9.42" in _key_metrics_html(
        timed
    )
    chars = _fake_run(tmp_path, "r5", "finished", pos=None, positive_class=None, top_k=5, top_k_accuracy=0.454,
                      classes=list("abcdefghij"))  # fmt: skip
    assert "top-5 accuracy</th><td>0.454" in _key_metrics_html(chars)
    assert "PR-AUC and the per-class recalls." in _key_metrics_html(chars)  # no class of interest to judge by
    assert "precision / recall of the class of interest" in _key_metrics_html(timed)
    assert headline_sentence(chars) == (  # plain words, no bracket in a bracket
        "balanced accuracy 0.905, MCC 0.610; accuracy 0.900 against 0.907 for always predicting the most frequent "
        "class; top-5 accuracy 0.454"
    )
    # without a class of interest the baseline is given in the figures the sentence gives the model
    seven = _fake_run(tmp_path, "r9", "finished", pos=None, positive_class=None, top_k=5, top_k_accuracy=0.983,
                      top_k_baseline_accuracy=0.991, classes=list("abcdefg"), majority_class="c")  # fmt: skip
    # top-k beside always guessing the 5 most frequent classes (not 5 / 7: they are not equally frequent)
    assert headline_sentence(seven) == (
        "balanced accuracy 0.905, MCC 0.610; accuracy 0.900 against 0.907 for always predicting c; "
        "top-5 accuracy 0.983 against 0.991 for always guessing the 5 most frequent classes"
    )
    assert "always the 5 most frequent classes</th><td>0.991" in _key_metrics_html(seven)
    many = _fake_run(
        tmp_path, "r8", "finished", pos=None, positive_class=None, classes=list("abcdefghij"),
        baseline={"label": "MiniRocket baseline", "pr_auc": 0.85, "balanced_accuracy": 0.803, "mcc": 0.8,
                  "top_k": 5, "top_k_accuracy": 0.909},
    )  # fmt: skip
    assert headline_sentence(many).endswith(
        "; MiniRocket baseline: balanced accuracy 0.803, MCC 0.800, top-5 accuracy 0.909"
    )
    # top-4 of 5 classes is near 1 by construction: left out of the sentence (not of the tables)
    five = _fake_run(
        tmp_path, "r10", "finished", pos=None, positive_class=None, classes=list("abcde"), top_k=4,
        top_k_accuracy=0.999, top_k_baseline_accuracy=0.971, majority_class="rest",
        baseline={"label": "MiniRocket baseline", "pr_auc": 0.85, "balanced_accuracy": 0.916, "mcc": 0.937,
                  "top_k": 4, "top_k_accuracy": 0.998},
    )  # fmt: skip
    assert headline_sentence(five) == (
        "balanced accuracy 0.905, MCC 0.610; accuracy 0.900 against 0.907 for always predicting rest; "
        "MiniRocket baseline: balanced accuracy 0.916, MCC 0.937"
    )
    assert "top-4 accuracy</th><td>0.999" in _key_metrics_html(five)


def test_a_character_models_headline_names_space_and_newline_visibly(tmp_path):
    """The space class was printed raw ('always predicting  ;'), the newline class broke the
    terminal's line (and the report's and slides' first sentence)."""
    from lstm_helpers.runs.report import headline

    kw = {"pos": None, "positive_class": None, "classes": [" ", "\n", *"abcdefgh"]}
    space = _fake_run(tmp_path, "r1", "finished", **kw, majority_class=" ", top_k=5, top_k_accuracy=0.452,
                      top_k_baseline_accuracy=0.448)  # fmt: skip
    assert "for always predicting ␣; top-5 accuracy 0.452 against 0.448" in headline_sentence(space)
    newline = _fake_run(tmp_path, "r2", "finished", **kw, majority_class="\n")
    line = headline(newline)  # the terminal's line
    assert "for always predicting ↵" in line and "\n" not in line


def test_a_top_1_accuracy_is_left_out_of_the_headline_and_its_baseline_is_one_class(tmp_path):
    """With k = 1 (data.vocab_size 3: two target classes) the headline repeated the accuracy as
    top-1 accuracy beside 'always guessing the 1 most frequent classes'."""
    from lstm_helpers.runs.report import _key_metrics_html

    kw = {"pos": None, "positive_class": None, "classes": ["<pad>", "<unk>", " "]}  # <pad> is never a target
    top1 = _fake_run(tmp_path, "r3", "finished", **kw, majority_class="<unk>", top_k=1, top_k_accuracy=0.9,
                     top_k_baseline_accuracy=0.907)  # fmt: skip
    assert headline_sentence(top1) == (
        "balanced accuracy 0.905, MCC 0.610; accuracy 0.900 against 0.907 for always predicting <unk>"
    )
    page = _key_metrics_html(top1)  # nor in the key-metrics table: its rows repeat accuracy and its baseline
    assert "top-1 accuracy" not in page and "always the most frequent class" not in page
    assert "always-majority accuracy</th><td>0.907" in page and "1 most frequent classes" not in page


def test_class_lists_are_in_natural_order_and_short():
    from lstm_helpers.style import classes_text

    assert classes_text(["walk", "play", "rest"]) == "play, rest, walk"
    assert classes_text(["1", "10", "2", "9"]) == "1, 2, 9, 10"  # not the string order 1, 10, 2, 9
    assert classes_text([str(i) for i in range(1, 53)]) == "52 classes (1, 2, 3, ..., 52)"
    assert classes_text(["walk 10", "walk 2"]) == "walk 2, walk 10"


def test_report_command_finishes_a_run_stopped_while_its_pages_were_written(tmp_path):
    from lstm_helpers.cli import main

    run = _fake_run(tmp_path, "r", "finished")
    stopped = {"status": "interrupted", "stage": "report", "reason": "stopped by SIGTERM during stage report"}
    RunLayout(run).status.write_text(json.dumps(stopped | {"stages_done": ["prepare", "train", "evaluate"]}))
    assert main(["report", "--run", str(run)]) == 0
    assert json.loads(RunLayout(run).status.read_text())["status"] == "finished"
    assert "interrupted" not in RunLayout(run).report.read_text()  # the page says what the status says
    assert "interrupted" not in RunLayout(run).slides.read_text()


def test_pages_of_a_run_stopped_before_training_finished_under_the_default_budget(tmp_path, capsys):
    """``train.epochs: auto`` (the default) in params.yaml and no train.json yet: ``report --run``
    and ``slides`` stopped with an internal error (could not convert 'auto' to float)."""
    from lstm_helpers.cli import main

    run = _fake_run(tmp_path, "r", "partial")
    params = yaml.safe_load(RunLayout(run).params.read_text())
    RunLayout(run).params.write_text(yaml.safe_dump(params | {"train": {"epochs": "auto", "loss": "crossentropy"}}))
    RunLayout(run).status.write_text(json.dumps({"status": "partial", "stages_done": ["prepare"]}))
    assert main(["report", "--run", str(run)]) == 0, capsys.readouterr().err
    tried = RunLayout(run).slides.read_text()
    assert "training has not finished: its budget is chosen from the data size; cross-entropy loss" in tried
    assert "– parameters" not in tried and "keeping the weights" not in tried
    RunLayout(run).params.write_text(yaml.safe_dump(params | {"train": {"epochs": 40}}))
    assert main(["slides", str(run)]) == 0
    assert "training has not finished: 40 epochs planned" in RunLayout(run).slides.read_text()


def test_a_run_the_sweeps_stop_interrupted_is_not_shown_as_failed(tmp_path, monkeypatch):
    """Ctrl-C of a sweep kills its workers' kernels: the run in flight exported its page as
    failed ("DeadKernelError: Kernel died") before the worker marked it interrupted, so the page
    and the sweep's index said failed while status.json said interrupted."""
    import queue
    import threading
    from collections import deque
    from types import SimpleNamespace

    from lstm_helpers.experiments import runner
    from lstm_helpers.runs.report import export_report

    run = _fake_run(tmp_path, "r", "failed")
    died = {"status": "failed", "stage": "evaluate", "reason": "evaluate failed in 03_evaluate.ipynb: DeadKernelError"}
    RunLayout(run).status.write_text(json.dumps(died | {"stages_done": ["prepare", "train"]}))
    export_report(run)
    write_index(tmp_path)
    assert "DeadKernelError" in RunLayout(run).report.read_text()
    stop = threading.Event()

    def stopped(params, run_dir, **kw):  # the sweep is stopped while the run is in flight
        stop.set()
        return {"status": "failed", "reason": died["reason"], "seconds": None, "run_dir": run_dir}

    monkeypatch.setattr(runner, "execute_run", stopped)
    planned = SimpleNamespace(name="r", config=SimpleNamespace(to_dict=dict))
    results = queue.SimpleQueue()
    runner._worker(None, deque([planned]), results, stop, tmp_path, SimpleNamespace(start=lambda name: None))
    assert results.get_nowait()[1]["reason"] == "interrupted (the sweep was stopped)"
    page = RunLayout(run).report.read_text()
    assert "This run is <b>interrupted</b>" in page and "DeadKernelError" not in page
    assert "interrupted" in (tmp_path / "index.html").read_text()


def test_index_escapes_keeps_integers_and_hides_paths(tmp_path):
    _fake_run(tmp_path, "20260101-000001_ok", "finished", pos=HOSTILE)
    _fake_run(tmp_path, "20260101-000002_failed", "failed")
    sweep = tmp_path / "sweeps" / "s1"
    sweep.mkdir(parents=True)
    (sweep / "sweep.yaml").write_text(yaml.safe_dump({"description": "before <b>after</b>"}))
    (sweep / "runs.csv").write_text("run,status\na,finished\nb,failed\n")
    (sweep / "comparison.html").write_text("<html></html>")
    page = write_index(tmp_path).read_text()
    assert HOSTILE not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "79,681" in page and "79681.0" not in page  # integer column stays integer beside a failed run
    assert "fit 10 s<" in page  # training time rounded, not 10.065695405000042
    assert "before &lt;b&gt;after&lt;/b&gt;" in page and 'href="sweeps/s1/comparison.html"' in page
    assert "1 of 2 runs finished" in page
    assert '<td class="num">0.591</td>' in page  # the ok run's threshold, chosen on validation: no origin beside it
    _fake_run(tmp_path, "20260101-000003_fixed", "finished", threshold_origin="fixed: no validation windows")
    assert (
        '<td class="num">0.591<div class="why">fixed: no validation windows</div></td>'
        in write_index(tmp_path).read_text()
    )
    assert str(tmp_path) not in page
    assert "T" not in page.split("Updated ")[1][:12]  # "2 Dec 2026, 02:33", not an ISO stamp
    odd = _fake_run(tmp_path, "run #1", "finished")  # a folder name that is not a URL as it stands
    RunLayout(odd).report.write_text("<html></html>")
    assert 'href="run%20%231/report.html"' in write_index(tmp_path).read_text()
    home = tmp_path / "project"  # a folder with its own index.html: left alone
    (home / "run1").mkdir(parents=True)
    (home / "index.html").write_text("<h1>My project homepage</h1>")
    assert write_index(home).read_text() == "<h1>My project homepage</h1>"
    sweep_index = write_index(sweep).read_text()  # a sweep's own index links its pages
    assert 'This folder\'s pages: <a href="comparison.html">comparison</a>' in sweep_index


def test_index_shows_a_multi_class_runs_own_class_pr_auc_not_the_macro_one(tmp_path):
    three = ["other", "rest", "play"]
    _fake_run(
        tmp_path, "20260101-000001_multi", "finished", classes=three, pr_auc_per_class={"play": 0.298}, pr_auc=0.611
    )
    page = write_index(tmp_path).read_text()
    assert '<td class="num">0.298</td>' in page and "0.611" not in page  # under the class's columns
    _fake_run(tmp_path, "20260101-000002_none", "finished", classes=three, positive_class=None, pr_auc=0.55)
    assert '<td class="num">0.550<div class="why">macro average</div></td>' in write_index(tmp_path).read_text()


def test_confusion_html_and_slides_escape_class_names(tmp_path):
    run = _fake_run(tmp_path, "r1", "finished", pos=HOSTILE)
    m = json.loads(RunLayout(run).metrics.read_text())
    assert HOSTILE not in confusion_html(m) and "1,659" in confusion_html(m)
    deck = write_slides(run).read_text()
    assert HOSTILE not in deck and "&lt;img src=x" in deck
    assert "Reveal.initialize" in deck and str(tmp_path) not in deck
    assert not re.search(r'<(script|link)[^>]+(src|href)="?https?:', deck)
    assert "in these recordings, and how reliably?" in deck
    lay = RunLayout(run)
    lay.params.write_text(yaml.safe_dump({**yaml.safe_load(lay.params.read_text()), "data": {"kind": "sequences"}}))
    assert "in these sequences, and how reliably?" in write_slides(run).read_text()


def test_report_template_loads_nothing_from_the_internet(tmp_path):
    import nbformat

    from lstm_helpers.runs.report import export_html

    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# Title\n\nMB = 10⁶ bytes, $x^2$"))
    page = export_html(nb, tmp_path / "p.html", "t").read_text()
    assert not re.search(r'<(script|link|img)[^>]+(src|href)=["\']?(https?:)?//', page)
    assert "require.js" not in page and "mathjax" not in page.lower()
    assert "10⁶" in page


def test_slides_refuse_a_directory_that_is_neither(tmp_path):
    from lstm_helpers.cli import main
    from lstm_helpers.config import ConfigError

    assert main(["slides", str(tmp_path)]) == 2  # a mistake in the input, not an internal error
    with pytest.raises(ConfigError, match="neither a run directory"):
        write_slides(tmp_path)


def test_sweep_slides_show_before_after_and_the_best_run_by_validation(tmp_path):
    a = _fake_run(tmp_path, "a", "finished", val={"pr_auc": 0.9})
    b = _fake_run(tmp_path, "b", "finished", val={"pr_auc": 0.5}, pr_auc=0.99)  # better on test only
    sweep = tmp_path / "sweeps" / "s"
    sweep.mkdir(parents=True)
    (sweep / "sweep.yaml").write_text(yaml.safe_dump({"description": "naive vs <defaults>"}))
    table = pd.DataFrame(
        {  # the columns comparison.csv has (experiments/compare.py)
            "run": ["a", "b"],
            "variant": ["defaults", "naive"],
            "status": ["finished", "finished"],
            "val_pr_auc": [0.9, 0.5],
            "test_pr_auc": [0.78, 0.99],
            "test_play_precision": [0.7, 0.5],
            "test_play_recall": [0.8, 0.4],
            "total_seconds": [10.5, 13.9],
            "n_params": [131905, 131905],
            "seconds_per_epoch": [1.0, 1.05],
            "run_dir": [str(a), str(b)],
        }
    )
    table.to_csv(sweep / "comparison.csv", index=False)
    meta = {"classes": ["play"], "rank_by": "val_pr_auc", "title": "Before / after"}
    (sweep / "comparison.json").write_text(json.dumps(meta))
    deck = write_slides(sweep).read_text()
    assert "naive vs &lt;defaults&gt;" in deck and "What was tried: before / after" in deck
    # the before / after table shows the ranking metric and the test figures, not only seconds
    for col in ("validation PR-AUC", "play precision", "play recall", ">PR-AUC<", ">fit time, s<"):
        assert col in deck, col
    assert ">parameters<" not in deck and ">s/epoch<" not in deck  # the same model, the same pace
    # story 2: architectures compared, so their size and pace are what the slide shows too
    table.assign(n_params=[446950, 131905], seconds_per_epoch=[2.6, 1.0]).to_csv(sweep / "comparison.csv", index=False)
    sized = write_slides(sweep).read_text()
    assert ">parameters<" in sized and ">s/epoch<" in sized and "446,950" in sized
    table.to_csv(sweep / "comparison.csv", index=False)
    assert "Validation PR-AUC ranks the runs; the other scores are on the test split" in deck
    assert (
        'Best by validation</h2><p class="lead">defaults</p>' in deck
    )  # run a (variant defaults): better on validation
    assert "One finished run per variant." in deck
    # a grid without a class of interest: no arbitrary class's figures, no run directory column
    grid = table.drop(columns="variant").assign(**{"model.units": ["[64]", "[128]"]})
    grid.to_csv(sweep / "comparison.csv", index=False)
    (sweep / "comparison.json").write_text(json.dumps(meta | {"named_classes": False, "keys": ["model.units"]}))
    deck = write_slides(sweep).read_text()
    assert "What was tried</h2>" in deck and "play precision" not in deck and ">units<" in deck
    # multi-class runs: their PR-AUC columns are macro averages, and the slide says so
    (sweep / "comparison.json").write_text(json.dumps(meta | {"pr_auc_of_a_class": False, "keys": ["model.units"]}))
    assert ">PR-AUC (macro)<" in write_slides(sweep).read_text()
    assert "<td>a</td>" not in deck
    table.to_csv(sweep / "comparison.csv", index=False)
    assert deck.count("<section>") >= 5 and str(tmp_path) not in deck
    # a sweep where no run finished still gets its deck, saying so
    table.assign(status="failed").to_csv(sweep / "comparison.csv", index=False)
    (sweep / "comparison.json").write_text(json.dumps(meta | {"classes": []}))
    deck = write_slides(sweep).read_text()
    assert "No run finished: 2 runs failed" in deck and "Best by validation" not in deck


def test_sweep_slides_keep_a_plain_run_compared_beside_variants(tmp_path):
    """compare <sweep with variants> <plain run>: the slide's before / after table grouped by
    variant and dropped the plain run (its blank variant) without a word."""
    sweep = tmp_path / "cmp"
    sweep.mkdir()
    runs = [_fake_run(tmp_path, n, "finished") for n in ("a", "b", "plain")]
    pd.DataFrame(
        {
            "run": ["a", "b", "plain"],
            "variant": ["before", "after", None],
            "status": "finished",
            "val_pr_auc": [0.6, 0.7, 0.812],
            "total_seconds": [10.0, 12.0, 11.0],
            "run_dir": [str(r) for r in runs],
        }
    ).to_csv(sweep / "comparison.csv", index=False)
    (sweep / "comparison.json").write_text(json.dumps({"classes": ["play"], "rank_by": "val_pr_auc"}))
    deck = write_slides(sweep).read_text()
    assert "(no variant)" in deck and "0.812" in deck


def test_the_reports_index_links_a_sweeps_slides_written_after_its_comparison(tmp_path):
    """reports/index.html was written with the comparison, before the slides existed: its sweep
    row lacked the slides link."""
    from lstm_helpers.cli import _slides_beside
    from lstm_helpers.experiments.compare import refresh_reports_index

    sweep = tmp_path / "sweeps" / "s"
    sweep.mkdir(parents=True)
    pd.DataFrame({"run": ["a"], "status": ["failed"]}).to_csv(sweep / "comparison.csv", index=False)
    (sweep / "comparison.json").write_text(json.dumps({"title": "s"}))
    (sweep / "comparison.html").write_text("<html></html>")
    refresh_reports_index(sweep)
    assert 'href="sweeps/s/slides.html"' not in (tmp_path / "index.html").read_text()
    _slides_beside(sweep)
    assert 'href="sweeps/s/slides.html"' in (tmp_path / "index.html").read_text()


def test_tensorflow_starts_quietly_in_the_command_line_process():
    """predict / generate / search import TensorFlow in the CLI process: its C++ start-up
    lines (written before TF_CPP_MIN_LOG_LEVEL is read) must not reach the terminal."""
    import os
    import subprocess
    import sys

    from lstm_helpers.runs.report import _LOG_NOISE

    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    start = "import tensorflow as tf; tf.config.list_physical_devices(); print(float(tf.constant(2.0) + 1))"
    quiet = "from lstm_helpers.runs.kernel import quiet_tensorflow_import as q; q(); " + start

    def stderr_lines(code: str) -> list[str]:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0 and done.stdout.strip() == "3.0", done.stderr
        return [line for line in done.stderr.splitlines() if line.strip()]

    plain = stderr_lines(start)
    if not any(_LOG_NOISE.match(line) for line in plain):
        pytest.skip("this TensorFlow build starts silently; nothing to hide")
    assert stderr_lines(quiet) == []


def test_report_leaves_out_sections_that_do_not_apply_to_the_run(tmp_path):
    """A ``## `` section whose code came out empty (bouts for pre-segmented sequences) or showed
    only a figure the run does not draw goes from the report; sections with output, and
    sections without code, stay."""
    import nbformat
    from IPython.core.interactiveshell import InteractiveShell

    from lstm_helpers.display import show_figure
    from lstm_helpers.runs.report import _presentable, drop_empty_sections

    data, meta = InteractiveShell.instance().display_formatter.format(show_figure({"figure_paths": {}}, "timeline"))
    not_drawn = nbformat.v4.new_output("execute_result", data=data, metadata=meta, execution_count=1)
    shown = nbformat.v4.new_output("stream", name="stdout", text="0.93\n")
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    cells = [
        md("## Key metrics"), code("m", outputs=[shown]),
        md("## Bouts\n\nA true bout ..."), code("result['bouts']"), code("result['bout_details']"),
        md("## Timeline"), code("show_figure(result, 'timeline')", outputs=[not_drawn]),
        md("## How to read it"), md("text only"),
    ]  # fmt: skip
    kept = drop_empty_sections([_presentable(c, tmp_path, []) for c in cells])
    assert [c.source.split("\n")[0] for c in kept] == ["## Key metrics", "m", "## How to read it", "text only"]


def test_the_report_s_epoch_log_leaves_out_the_in_epoch_lines(tmp_path):
    """A long epoch prints where it stands every 30 s, ending in a carriage return that a
    notebook overwrites with the epoch line; the report split them into lines of their own,
    several per epoch, between the epoch lines."""
    import nbformat

    from lstm_helpers.runs.report import _presentable

    stream = [
        "watch val_accuracy (train.monitor)\n",
        "epoch 1/2  step 5/10  7000 ms/step  epoch ends in ~35 s\r",
        "epoch 1/2  step 10/10  7000 ms/step  epoch ends in ~0.0 s\r",
        "epoch 1/2  1 min 24 s  7700 ms/step  1 windows/s  loss 3.350  ETA under 1 min 24 s   \n",
        "epoch 2/2  step 5/10  7000 ms/step  epoch ends in ~42 s  ETA ~42 s\r",
        "epoch 2/2  1 min 24 s  7700 ms/step  1 windows/s  loss 3.140\n",
    ]
    outputs = [nbformat.v4.new_output("stream", name="stdout", text=t) for t in stream]
    (shown,) = _presentable(nbformat.v4.new_code_cell("fit", outputs=outputs), tmp_path, [])["outputs"]
    page = shown["data"]["text/html"]
    assert "Epoch log (3 lines)" in page and "step 5/10" not in page and "ends in" not in page, page
    assert "ETA under 1 min 24 s\nepoch 2/2" in page, page  # no trailing blanks either


def test_notes_show_as_an_escaped_list():
    from lstm_helpers.display import show_notes

    shown = show_notes(["raise train.min_updates while train.epochs is auto", HOSTILE]).data
    assert shown.startswith("<ul><li>raise train.min_updates while train.epochs is auto</li>")
    assert "<img" not in shown and "&lt;img" in shown
    assert show_notes([]).data == "<p>Nothing to flag.</p>"


def test_the_run_command_process_never_imports_tensorflow():
    """``lstm-workbench run`` fits the MiniRocket baseline in a thread of its own process
    (runs/pipeline.py) with stage 03's code: importing TensorFlow there printed its C++
    start-up lines between the epoch lines of ``make run`` (the kernels run TensorFlow)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import lstm_helpers.cli, lstm_helpers.runs.pipeline, lstm_helpers.judge.evaluation\n"
        "from lstm_helpers.judge.evaluation import prefit_baseline\n"
        "import lstm_helpers.runs.report, lstm_helpers.runs.slides, lstm_helpers.model.summary  # the pages: written here too\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=str(PROJECT_ROOT), capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["False", "False"] and "absl" not in out.stderr


def test_python_warnings_in_a_report_read_as_their_messages():
    """A warning raised in a notebook cell reaches stderr as '<kernel file>:<line>:
    <Category>: <message>' plus the echoed source line; the report keeps the message."""
    from lstm_helpers.runs.report import _tidy_warnings

    raw = [
        "/tmp/ipykernel_24303/2923566021.py:1: UserWarning: 4084 training windows give only 480 updates",
        "  result = training.run_training(cfg, run)",
        "an ordinary stderr line",
        "  indented, not under a warning",
        "/x/site-packages/keras/src/trainer.py:12: keras.src.SomeWarning: mind the gap",
    ]
    assert _tidy_warnings(raw) == [
        "4084 training windows give only 480 updates",
        "an ordinary stderr line",
        "  indented, not under a warning",
        "mind the gap",
    ]


def test_report_tables_write_each_float_column_at_one_number_of_decimals():
    """A float column lines up (4.0 above 2.2, 0.640 beside 101.360, not 4 / 2.2 / 101);
    a key-value column of mixed quantities keeps each cell's own form; a table may fix a
    column's decimals (the bout table's seconds: one sample period at 25 Hz)."""
    import re

    from lstm_helpers.judge.bouts import _with_time_decimals
    from lstm_helpers.style import table_html

    def cells(html_text):
        return re.findall(r'class="data row\d+ col\d+" >([^<]*)</td>', html_text)

    df = pd.DataFrame({"seconds": [4.0, 2.2], "error": [101.36, 0.64], "n": [3, 4000]})
    assert cells(table_html(df)) == ["4.0", "101.360", "3", "2.2", "0.640", "4,000"]
    kv = pd.DataFrame({"value": ["bilstm", 0.819, 1840.5, 33.2]})
    assert cells(table_html(kv)) == ["bilstm", "0.819", "1,840", "33.2"]
    bouts = _with_time_decimals(
        pd.DataFrame({"true_start_s": [101.36, 145.68], "onset_error_s": [0.64, float("nan")]}), 25
    )
    assert cells(table_html(bouts)) == ["101.36", "0.64", "145.68", "–"]


def test_index_leaves_out_columns_no_run_fills(tmp_path):
    """Multi-class runs without a class of interest have no class, threshold, precision,
    recall, F1 or bouts: a sweep of them showed six columns of dashes."""
    multi = {"positive_class": None, "classes": ["a", "b", "c"], "threshold": None, "per_class": {}, "bouts": None}
    for name in ("r1", "r2"):
        _fake_run(tmp_path, name, "finished", **multi)
    head = write_index(tmp_path).read_text().split("<table>")[1].split("</tr>")[0]
    assert "<th>class</th>" not in head and "<th>threshold</th>" not in head and "<th>bouts found</th>" not in head
    assert "the class of interest" not in (tmp_path / "index.html").read_text()  # no such columns to explain
    assert "<th>test bal. acc.</th>" in head and "<th>model</th>" in head
    _fake_run(tmp_path, "r3", "finished")  # one binary run beside them brings its columns back
    head = write_index(tmp_path).read_text().split("<table>")[1].split("</tr>")[0]
    assert "<th>class</th>" in head and "<th>threshold</th>" in head and "<th>bouts found</th>" in head


def test_index_heads_a_character_model_by_its_test_accuracy_and_top_k(tmp_path):
    """A character run's row showed only PR-AUC, MCC and balanced accuracy, none labelled as test
    figures, without the accuracy and top-k accuracy its report leads with."""
    char = {"positive_class": None, "classes": list("abcdef"), "threshold": None, "per_class": {}, "bouts": None}
    top = {"top_k": 5, "top_k_accuracy": 0.452, "top_k_baseline_accuracy": 0.431}
    _fake_run(tmp_path, "char", "finished", **char, **top, accuracy=0.203, majority_baseline_accuracy=0.179)
    page = write_index(tmp_path).read_text()
    head = page.split("<table>")[1].split("</tr>")[0]
    for label in ("test accuracy", "test top-k acc.", "test PR-AUC", "test MCC", "test bal. acc."):
        assert f"<th>{label}</th>" in head, label
    assert '0.203<div class="why">majority class 0.179</div>' in page
    assert '0.452<div class="why">top 5; 5 most frequent 0.431</div>' in page
    assert "Columns headed test are scores on each run's test split." in page
    _fake_run(tmp_path, "binary", "finished")  # a run with a class of interest: its accuracy is no headline
    rows = write_index(tmp_path).read_text().split("<tr>")
    binary = next(r for r in rows if ">binary<" in r or "binary" in r.split("</td>")[0])
    assert "0.9<" not in binary and "0.900" not in binary


def test_whitespace_classes_are_visible_in_lists_and_figures(tmp_path):
    """A character model's space and newline classes left blanks: "62 classes (1, , , ..., z)"."""
    from lstm_helpers.style import classes_text, visible_name

    assert [visible_name(c) for c in (" ", "\n", "\t", "a", "play", "  ")] == ["␣", "↵", "⇥", "a", "play", "  "]
    assert classes_text([" ", "\n", "a"]) == "↵, ␣, a"  # in natural order of the characters
    assert classes_text([*" \n", *"abcdefghijklmnop"]) == "18 classes (↵, ␣, a, ..., p)"


@pytest.mark.parametrize(
    "example,unread,read",
    [
        (
            "sequences.yaml",
            ["data.time_column", "data.sample_rate_hz", "windows.overlap_percent", "data.demo"],
            ["data.pad_length"],
        ),
        ("char_text.yaml", ["scale.method", "windows.label_rule", "data.class_map"], ["windows.overlap_percent"]),
        (
            "rare_behaviour.yaml",
            ["data.pad_length", "data.vocab_size", "windows.length"],  # windows.length_seconds gives the window
            ["data.time_column", "windows.label_rule", "windows.length_seconds", "data.demo"],
        ),
    ],
)
def test_all_parameters_leave_out_keys_the_data_kind_never_reads(example, unread, read, tmp_path):
    """A sequence run's "All parameters" listed data.time_column, data.sample_rate_hz and the
    windowing keys, none of which a sequence file is read with; they are named below the table."""
    from lstm_helpers.artifacts import flatten
    from lstm_helpers.config import load_config
    from lstm_helpers.runs.report import _params_html

    cfg = load_config(PROJECT_ROOT / "configs" / "examples" / example)
    RunLayout(tmp_path).params.write_text(yaml.safe_dump(cfg.model_dump(mode="json")))
    page = _params_html(tmp_path, [])
    table, note = page.split('<p class="lw-note">')
    for key in unread:
        assert f"<th>{key}</th>" not in table
    for key in read:
        assert f"<th>{key}</th>" in table
    assert note.startswith("Left out:") and f"data.kind {cfg.data.kind} does not read" in note
    n_rows = table.count("<tr>")
    n_keys = len(flatten(cfg.model_dump(mode="json"), keep=("class_map", "class_weight")))
    assert f"{n_rows} parameters (click to open)" in table and n_rows + int(note.split()[2]) == n_keys
    if cfg.data.kind == "sequences":
        assert "windows.*" in note and "windows.length" not in note


def test_an_interrupted_run_shows_the_command_that_resumes_it(tmp_path):
    """The index and the report said "interrupted" and why, but not the command the README
    promises (it was computed and never shown)."""
    from lstm_helpers.runs.report import _answer_html

    run = _fake_run(tmp_path, "r1", "interrupted")
    RunLayout(run).status.write_text(json.dumps({"status": "interrupted", "stage": "train", "reason": "killed"}))
    want = "resume: <code>lstm-workbench run --config"
    assert want in write_index(tmp_path).read_text()
    page = _answer_html(run)
    assert "resume it with <code>lstm-workbench run --config" in page and "--out" in page
    assert str(tmp_path) not in page


# the notes of a 1-epoch run of the sweep small-58a50508 (metrics.json), in the order stage 03 writes them
SWEEP_NOTES = [
    ("Accuracy 0.948 vs 0.908 for always predicting 'other': the model adds +0.040. Judge it by ...", "reading"),
    ("'play' at threshold 0.913: precision 0.642, recall 0.979. Moving the threshold trades ...", "reading"),
    ("PR-AUC of 'play' is 0.812 against a no-skill 0.092: the ranking is informative; ...", "reading"),
    ("pr_auc 0.812 against the MiniRocket baseline's 0.912 on the same windows: the model falls short: ...", "act"),
    ("4,092 training windows at batch 128 for 1 epoch give only 32 updates (train.min_updates = 480); ...", "act"),
    ("The best validation val_pr_auc came in the only planned epoch: the model may still be learning; ...", "act"),
    ("Validation val_pr_auc moved by 0.037 between consecutive epochs ...: which epoch was kept is partly chance", "caution"),
]  # fmt: skip


def _next_steps_slide(deck: str) -> str:
    return deck.split("What to change next</h2>", 1)[1].split("</section>", 1)[0]


def test_what_to_change_next_shows_the_advice_before_the_readings_of_figures(tmp_path):
    """The slide has room for 4 of the notes: those that say what to change come first, then
    the cautions; readings of figures that other slides show are what the cap leaves out."""
    notes, kinds = [n for n, _ in SWEEP_NOTES], [k for _, k in SWEEP_NOTES]
    run = _fake_run(tmp_path, "r", "finished", notes=notes, note_kinds=kinds)
    shown = _next_steps_slide(write_slides(run).read_text())
    assert shown.count("<li") == 4
    for said in ("give only 32 updates", "may still be learning", "the model falls short", "partly chance"):
        assert said in shown, said
    assert "Accuracy 0.948" not in shown and "Moving the threshold" not in shown
    # the order within a kind is the order stage 03 wrote them in
    assert shown.index("falls short") < shown.index("give only") < shown.index("may still") < shown.index("partly")
    older = _fake_run(tmp_path, "old", "finished", notes=notes)  # metrics.json before note kinds: as written
    assert "Accuracy 0.948" in _next_steps_slide(write_slides(older).read_text())


def test_every_false_alarm_count_says_whether_it_counts_bouts_or_windows(tmp_path):
    """The headline's false alarms are bouts, the confusion matrix's are windows: "0 false alarms"
    beside "30 false alarms" read as a contradiction."""
    run = _fake_run(tmp_path, "r", "finished")
    m = json.loads(RunLayout(run).metrics.read_text())
    m["bouts"]["play"]["n_false_alarms"] = 0
    RunLayout(run).metrics.write_text(json.dumps(m))
    RunLayout(run).figure("timeline").write_bytes(b"\x89PNG\r\n\x1a\n")  # the bouts slide shows it
    deck = write_slides(run).read_text()
    assert "30 of 30 bouts found, 0 false-alarm bouts" in headline_sentence(run)
    assert "Bouts: 30 of 30 bouts found, 0 false-alarm bouts" in deck
    assert "197 false-alarm and 16 missed windows of 2,047 test windows" in deck
    assert not re.search(r"\d false alarms?\b", deck + headline_sentence(run))


def test_the_bouts_slide_names_the_recordings_that_hold_the_errors_it_does_not_show(tmp_path):
    bouts = {"n_true": 30, "n_found": 29, "n_false_alarms": 7, "timeline_recording": "a03_r1",
             "errors_by_recording": {"a03_r1": {"missed": 1, "false_alarms": 3},
                                     "a09_r2": {"missed": 0, "false_alarms": 4}}}  # fmt: skip
    run = _fake_run(tmp_path, "r", "finished", bouts={"play": bouts})
    RunLayout(run).figure("timeline").write_bytes(b"\x89PNG\r\n\x1a\n")
    deck = write_slides(run).read_text()
    assert "Bouts: 29 of 30 bouts found, 7 false-alarm bouts" in deck
    assert "on test recording a03_r1; in the other test recordings: false-alarm bouts in a09_r2 (4)." in deck
    bouts["errors_by_recording"].pop("a09_r2")
    run = _fake_run(tmp_path, "r2", "finished", bouts={"play": bouts})
    RunLayout(run).figure("timeline").write_bytes(b"\x89PNG\r\n\x1a\n")
    assert "on test recording a03_r1, which holds every missed and false-alarm bout." in write_slides(run).read_text()


def test_what_was_tried_reads_in_words_not_code_names(tmp_path):
    """The deck is shown to a group of biologists: the model and the settings in words, the
    model's code name in small print only."""
    from lstm_helpers.config import ModelConfig
    from lstm_helpers.model.naming import model_description

    run = _fake_run(tmp_path, "r", "finished")
    lay = RunLayout(run)
    params = yaml.safe_load(lay.params.read_text())
    params |= {"model": {"architecture": "as_set", "units": [64, 32], "dense_units": [32]},
               "train": {"loss": "crossentropy"}, "resample": {"method": "class_weight", "class_weight": "balanced"},
               "scale": {"method": "standard", "per": "recording"}}  # fmt: skip
    lay.params.write_text(yaml.safe_dump(params))
    train = json.loads(lay.train_json.read_text()) | {"model_name": "bilstm_cv2-64x5p2-64x5p2_lay2_sz64-32_d32",
                                                      "class_weight": {"other": 0.549, "play": 5.58}}  # fmt: skip
    lay.train_json.write_text(json.dumps(train))
    tried = write_slides(run).read_text().split("What was tried</h2>", 1)[1].split("</section>", 1)[0]
    for words in (
        "2 convolution blocks (64 filters of width 5), then a 2-layer bidirectional LSTM (64 and 32 units), "
        "then a dense layer of 32 units: 79,681 parameters",
        "cross-entropy loss",
        "rare class &#x27;play&#x27; weighted ×10 against &#x27;other&#x27; (balanced class weights)",
        "each recording standardised on its own",
    ):
        assert words in tried, words
    assert "class_weight" not in tried and "loss crossentropy" not in tried and "per recording" not in tried
    assert '<p class="run-name">model bilstm_cv2-64x5p2-64x5p2_lay2_sz64-32_d32</p>' in tried  # small print
    one = ModelConfig(architecture="as_set", cell="gru", units=[128], bidirectional=False, conv=[], dense_units=[])
    assert model_description(one, {"kind": "tokens"}) == "an embedding of 64 dimensions, then a GRU (128 units)"


def test_the_threshold_advice_follows_the_runs_own_strategy():
    """The section always advised recall_at_precision with min_precision 0.8, even to a run that
    had used exactly that."""
    from lstm_helpers.config import EvaluateConfig
    from lstm_helpers.judge.captions import threshold_text

    metrics = {"threshold": 0.659, "threshold_strategy": "max_f1"}
    said = threshold_text(metrics, EvaluateConfig())
    assert "this run: `max_f1`, threshold 0.659" in said
    assert "--set evaluate.threshold_strategy=recall_at_precision --set evaluate.min_precision=0.8" in said
    used = EvaluateConfig(threshold_strategy="recall_at_precision", min_precision=0.8)
    said = threshold_text(metrics | {"threshold_strategy": "recall_at_precision"}, used)
    assert "already asked for precision of at least 0.8" in said and "evaluate.min_precision=0.8`" not in said
    assert "--set evaluate.min_precision=0.9`" in said and "threshold_strategy=recall_at_precision" not in said
    high = EvaluateConfig(threshold_strategy="recall_at_precision", min_precision=0.95)
    assert "--set evaluate.threshold_strategy=precision_at_recall" in threshold_text(metrics, high)
    assert threshold_text({"threshold": None, "threshold_strategy": "argmax"}, EvaluateConfig()) is None


def test_the_pr_curve_caption_speaks_of_a_dot_only_where_one_is_drawn():
    """A multi-class argmax run's one-vs-rest curves have no dot; the caption said 'the dot is the chosen one'."""
    from lstm_helpers.judge.captions import pr_curve_text

    drawn = {"pr_curve": object()}
    argmax = pr_curve_text({"threshold": None, "positive_class": None}, drawn)
    assert "dot" not in argmax and "No point is marked" in argmax and "argmax" in argmax
    assert "dashed" not in argmax  # one-vs-rest curves draw no no-skill line
    of_interest = pr_curve_text({"threshold": None, "positive_class": "play"}, drawn)
    assert "dot" not in of_interest and "evaluate.multiclass_decision: argmax" in of_interest
    assert "the dot is the chosen one" in pr_curve_text({"threshold": 0.5, "positive_class": "play"}, drawn)
    assert pr_curve_text({"threshold": 0.5, "positive_class": "play"}, {}) is None  # no curve, no caption


def test_the_evaluate_notebook_takes_its_run_dependent_texts_from_the_helpers():
    nb = json.loads((PROJECT_ROOT / "notebooks" / "03_evaluate.ipynb").read_text())
    text = "".join("".join(c["source"]) for c in nb["cells"])
    assert "the dot is the chosen one" not in text and "min_precision=0.8" not in text
    assert "show_caption(threshold_text(" in text and "show_caption(pr_curve_text(" in text


def test_a_data_path_on_the_report_opens_from_the_report(tmp_path, monkeypatch):
    """data.path outside the project was shown relative to where the command ran ("recordings
    from ../revA_data/rec"): read from the run directory, where the report lies, it led nowhere."""
    from lstm_helpers.config import load_config
    from lstm_helpers.runs.report import scrub_paths

    run = tmp_path / "proj" / "reports" / "r1"
    data = tmp_path / "revA_data" / "rec"
    for d in (run, data, tmp_path / "work" / "here"):
        d.mkdir(parents=True)
    cfg = load_config(PROJECT_ROOT / "configs" / "demo.yaml").to_dict()
    cfg["data"]["path"] = str(data)
    (run / "params.yaml").write_text(yaml.safe_dump(cfg))
    monkeypatch.chdir(tmp_path / "work" / "here")  # where the command ran
    shown = scrub_paths(f"recordings from {data}", run).removeprefix("recordings from ")
    assert not shown.startswith("/") and (run / shown).resolve() == data.resolve(), shown


def test_stage_01_notes_reach_the_terminal(tmp_path):
    """A label that differs from a class_map key only in case sent a rare behaviour's 1,288 rows
    to 'other', said only inside 01_prepare.ipynb and prepare.json; the terminal of ``run`` and
    ``prepare`` showed "[prepare] done in 6.4 s" and nothing else."""
    import json

    from lstm_helpers.runs.terminal import stage_done_line

    note = "label 'SoloPlay' differs from data.class_map key 'Soloplay' only in case: its 1,288 rows went to 'other'"
    (tmp_path / "prepare.json").write_text(json.dumps({"notes": [note]}))
    assert stage_done_line("prepare", 6.4, tmp_path).splitlines() == ["[prepare] done in 6.4 s", f"note: {note}"]
    assert stage_done_line("train", 6.4, tmp_path) == "[train] done in 6.4 s"
    assert stage_done_line("prepare", 6.4) == "[prepare] done in 6.4 s"


def test_the_index_lists_searches_and_comparisons_written_anywhere_and_they_refresh_it(tmp_path):
    """reports/search_small and reports/cmp3 (written with --out) were missing from reports/index.html,
    which neither search nor compare rewrote ("Updated 03:23" after a 03:25 search)."""
    from lstm_helpers.experiments.compare import refresh_reports_index

    _fake_run(tmp_path, "20260101-000001_ok", "finished")
    search = tmp_path / "search_small"
    search.mkdir()
    (search / "search_id.txt").write_text("s-1\n")
    (search / "trials.csv").write_text("trial,score\n0,0.5\n1,0.6\n")
    _fake_run(search, "best_run", "finished")  # the best run inside: no group of its own
    cmp3 = tmp_path / "cmp3"
    cmp3.mkdir()
    (cmp3 / "comparison.json").write_text("{}")
    deep = tmp_path / "comparisons" / "compare-ab"  # the default folder, still listed by its name
    deep.mkdir(parents=True)
    (deep / "comparison.csv").write_text("run,status\na,finished\nb,finished\nc,failed\n")
    (deep / "comparison.json").write_text(json.dumps({"description": "char models, two sizes"}))
    (tmp_path / "index.html").write_text("<title>lstm-workbench reports</title> stale")
    refresh_reports_index(cmp3)  # compare --out reports/cmp3 rewrites the reports folder's index
    page = (tmp_path / "index.html").read_text()
    assert "stale" not in page and "<h2>Searches</h2>" in page and "<h2>Comparisons</h2>" in page
    searches, comparisons = page.split("<h2>Searches</h2>")[1].split("<h2>Comparisons</h2>")
    assert ">search_small<" in searches and "2 trials" in searches and "best_run" not in searches
    assert ">cmp3<" in comparisons and ">compare-ab<" in comparisons
    # a comparison has no runs.csv: its runs are its table's rows (the index said "–")
    row = comparisons.split(">compare-ab<")[1].split("</tr>")[0]
    assert "2 of 3 runs finished" in row and "char models, two sizes" in row
    assert (cmp3 / "index.html").is_file()
    elsewhere = tmp_path / "elsewhere" / "c"  # a folder that is no reports folder gets no index
    elsewhere.mkdir(parents=True)
    (elsewhere / "comparison.json").write_text("{}")
    refresh_reports_index(elsewhere)
    assert not (tmp_path / "elsewhere" / "index.html").exists()


def test_the_index_shows_no_threshold_for_a_run_not_yet_evaluated(tmp_path):
    """A run stopped before stage 03 (or prepared only) showed "argmax" as its threshold: nothing
    had been chosen yet, and its strategy was recall_at_precision."""
    run = _fake_run(tmp_path, "20260101-000001_stopped", "interrupted")
    RunLayout(run).metrics.unlink(missing_ok=True)
    RunLayout(run).threshold.unlink(missing_ok=True)
    RunLayout(run).prepare_json.write_text(json.dumps({"classes": ["other", "play"], "classes_of_interest": ["play"]}))
    page = write_index(tmp_path).read_text()
    assert "argmax" not in page
    _fake_run(tmp_path, "20260101-000002_done", "finished")  # its time: stage 02's build, fit and save
    assert "params · 2 epochs · fit 10 s" in write_index(tmp_path).read_text()


def test_a_seed_sweeps_slides_label_runs_by_seed_and_say_whose_answer_it_is(tmp_path):
    """A sweep over seeds only (no swept key): the slide's table showed each run's whole
    directory name (three lines a row, beside figures), and the first slide's "Answer" did not
    say it was the best run's, while each seed has a split of its own."""
    names = [f"bilstm_lay2_sz64-32_seed{s}_{'0123456789ab'[s:] + 'c' * s}" for s in (1, 2)]
    runs = [_fake_run(tmp_path, n, "finished") for n in names]
    sweep = tmp_path / "sweeps" / "s"
    sweep.mkdir(parents=True)
    pd.DataFrame(
        {
            "run": names,
            "seed": [1, 2],
            "status": "finished",
            "val_pr_auc": [0.69, 0.81],
            "test_pr_auc": [0.8, 0.68],
            "run_dir": [str(r) for r in runs],
        }
    ).to_csv(sweep / "comparison.csv", index=False)
    (sweep / "comparison.json").write_text(json.dumps({"classes": ["play"], "rank_by": "val_pr_auc", "keys": []}))
    deck = write_slides(sweep).read_text()
    assert " >seed 1</td>" in deck and " >seed 2</td>" in deck
    assert names[0] not in deck.split("What was tried")[1].split("</section>")[0]
    assert "Answer (from the run “seed 2”, ranked first on validation):" in deck


def test_a_sweeps_answer_reads_as_a_sentence_when_its_best_variant_is_named_best(tmp_path):
    """The slide said "Answer (from best, the best by validation)" for a variant named best."""
    runs = [_fake_run(tmp_path, n, "finished") for n in ("r_base", "r_best")]
    sweep = tmp_path / "sweeps" / "s"
    sweep.mkdir(parents=True)
    pd.DataFrame(
        {
            "run": ["r_base", "r_best"],
            "variant": ["baseline", "best"],
            "status": "finished",
            "val_pr_auc": [0.69, 0.81],
            "run_dir": [str(r) for r in runs],
        }
    ).to_csv(sweep / "comparison.csv", index=False)
    (sweep / "comparison.json").write_text(json.dumps({"classes": ["play"], "rank_by": "val_pr_auc", "keys": []}))
    deck = write_slides(sweep).read_text()
    assert "from best, the best" not in deck
    assert "Answer (from the run “best”, ranked first on validation):" in deck, deck[:3000]


def test_a_many_class_runs_error_slide_describes_its_bar_chart_not_a_matrix(tmp_path):
    """Past 20 classes the confusions are a top-20 bar chart; the slide's caption still spoke of
    rows, columns and a diagonal (a character model of 61 classes)."""
    from PIL import Image

    classes = [f"c{i}" for i in range(25)]
    cm = (np.eye(25, dtype=int) * 9 + 1).tolist()
    run = _fake_run(tmp_path, "chars", "finished", classes=classes, confusion_matrix=cm, positive_class=None)
    Image.new("RGB", (8, 8)).save(RunLayout(run).figure("confusion_matrix"))
    deck = write_slides(run).read_text()
    assert "The 20 most frequent confusions of 25 classes" in deck and "Rows: true class" not in deck
    small = _fake_run(tmp_path, "two", "finished")
    assert "Rows: true class; columns: prediction" in write_slides(small).read_text()


def test_a_multi_class_run_without_a_class_of_interest_shows_its_classes_over_time(tmp_path):
    """Recordings of several behaviours without a class of interest had no timeline slide at
    all; with the bouts timeline of a class of interest, that slide stays the only one."""
    from PIL import Image

    run = _fake_run(tmp_path, "multi", "finished", classes=["rest", "walk", "run"], positive_class=None)
    Image.new("RGB", (8, 8)).save(RunLayout(run).figure("class_timeline"))
    assert "True and predicted classes over time</h2>" in write_slides(run).read_text()
    Image.new("RGB", (8, 8)).save(RunLayout(run).figure("timeline"))
    assert "True and predicted classes over time</h2>" not in write_slides(run).read_text()


def test_the_index_lists_runs_newest_first_by_their_start_not_their_folder_name(tmp_path):
    """reports/index.html sorted runs by folder name, descending: runs named with --out
    ("zeta", "alpha") fell out of time order."""
    for name, started in (("zeta_old", "2026-12-01T09:00:00"), ("alpha_new", "2026-12-03T09:00:00"),
                          ("20261202-090000_lstm", "2026-12-02T09:00:00")):  # fmt: skip
        run = _fake_run(tmp_path, name, "finished")
        st = json.loads(RunLayout(run).status.read_text())
        RunLayout(run).status.write_text(json.dumps(st | {"started": started}))
    page = write_index(tmp_path).read_text()
    where = [page.index(f">{name}<") for name in ("alpha_new", "20261202-090000_lstm", "zeta_old")]
    assert where == sorted(where), where


DEMO_READINGS = [
    "Accuracy 0.973 vs 0.907 for always predicting 'other': the model adds +0.066. Judge it by balanced accuracy ...",
    "PR-AUC of 'play' is 0.897 against a no-skill 0.093: the ranking is informative; ...",
    "pr_auc 0.897 against the MiniRocket baseline's 0.865 on the same windows: the model beats it.",
]


def _with_records(run: Path, train: dict, val: dict, baseline_val: dict | None = None, val_counts=None) -> Path:
    """``run`` (a :func:`_fake_run`) given train.json's epochs and metrics.json's validation figures."""
    lay = RunLayout(run)
    lay.train_json.write_text(json.dumps(json.loads(lay.train_json.read_text()) | train))
    m = json.loads(lay.metrics.read_text()) | {"val": val, "notes": DEMO_READINGS, "note_kinds": ["reading"] * 3}
    m["baseline"] = {"name": "MiniRocket", "val": baseline_val or {}}
    lay.metrics.write_text(json.dumps(m))
    if val_counts:
        counts = {"val": {"before": val_counts, "after": val_counts}}
        lay.prepare_json.write_text(json.dumps({"counts": counts, "resample": {"method": "none"}}))
    return run


def test_what_to_change_next_suggests_changes_from_the_runs_own_evidence(tmp_path):
    """The demo run's slide only restated metrics ("Accuracy 0.973 vs 0.907 ...", "the model beats
    it"); it now names changes the run's records call for, with the figures behind each."""
    peaked = _with_records(
        _fake_run(tmp_path, "peaked", "finished"),
        {"epochs_planned": 15, "epochs_run": 5, "best_epoch": 2, "weights_epoch": 2, "stopped_early": True,
         "learning_rate": 0.002, "spec": {"dropout": 0.2, "conv": []}, "class_weight": {"other": 0.55, "play": 5.56}},
        {"pr_auc": 0.83, "per_class": {"play": {"precision": 0.749, "recall": 0.948}}},
        {"pr_auc": 0.80},
    )  # fmt: skip
    shown = html.unescape(_next_steps_slide(write_slides(peaked).read_text()))
    assert "Accuracy 0.973" not in shown and "the model beats it" not in shown and "no-skill" not in shown
    assert "Most errors are false alarms (on validation 'play' has precision 0.749 and recall 0.948)" in shown
    assert "--set evaluate.threshold_strategy=recall_at_precision --set evaluate.min_precision=0.85" in shown
    assert "its class weight is 5.56; --set train.use_class_weight=false" in shown
    assert "Validation peaked at epoch 2 and early stopping ended the run at epoch 5" in shown
    assert "--set model.dropout=0.4" in shown and "--set train.learning_rate=0.001" in shown
    assert "MiniRocket beats" not in shown

    still = _with_records(
        _fake_run(tmp_path, "still", "finished"),
        {"epochs_planned": 2, "epochs_run": 2, "best_epoch": 2, "weights_epoch": 2, "stopped_early": False,
         "spec": {"conv": []}, "class_weight": None},
        {"pr_auc": 0.70, "per_class": {"play": {"precision": 0.9, "recall": 0.5}}},
        {"pr_auc": 0.85},
        {"other": 300, "play": 12},
    )  # fmt: skip
    shown = html.unescape(_next_steps_slide(write_slides(still).read_text()))
    assert shown.count("<li") == 4
    assert "MiniRocket beats the model on validation PR-AUC (0.850 vs 0.700): add a convolutional front end" in shown
    assert "Most errors are missed 'play' windows" in shown and "--set resample.method=class_weight" in shown
    assert (
        "The best epoch was the last (2 of 2): validation was still improving, so train longer (--set train.epochs=4)"
        in shown
    )
    assert "Validation holds only 12 of 'play' windows" in shown and "split.val_fraction" in shown


def test_a_one_run_search_deck_does_not_say_its_run_was_ranked_first(tmp_path):
    """A search's deck said 'from the run “best”, ranked first on validation' over one run."""
    (run,) = [_fake_run(tmp_path, "best", "finished")]
    search = tmp_path / "search"
    search.mkdir()
    (search / "search.yaml").write_text("description: one search\n")
    pd.DataFrame({"run": ["best"], "status": "finished", "val_pr_auc": [0.81], "run_dir": [str(run)]}).to_csv(
        search / "comparison.csv", index=False
    )
    (search / "comparison.json").write_text(json.dumps({"classes": ["play"], "rank_by": "val_pr_auc", "keys": []}))
    deck = html.unescape(write_slides(search).read_text())
    assert "ranked first on validation" not in deck
    assert "Answer (from the run “best”, the search's best configuration):" in deck, deck[:3000]


def test_a_sequence_runs_headline_and_confusion_matrix_count_sequences(tmp_path):
    """A sequences run's report said "(6 of 6 test windows)" and "Confusion matrix (test
    windows)": its examples are sequences, which metrics.json now says (``unit``)."""
    run = _fake_run(tmp_path, "seq", "finished", unit="sequences", confusion_matrix=[[50, 2], [0, 6]],
                    per_class={"play": {"precision": 0.75, "recall": 1.0, "f1": 0.86, "support": 6}})  # fmt: skip
    assert "Confusion matrix (test sequences)" in confusion_html(json.loads(RunLayout(run).metrics.read_text()))
    line = headline_sentence(run)
    assert "test sequences" in line and "windows" not in line, line
    older = _fake_run(tmp_path, "win", "finished")  # a metrics.json without unit: windows
    assert "Confusion matrix (test windows)" in confusion_html(json.loads(RunLayout(older).metrics.read_text()))
