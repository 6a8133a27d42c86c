"""The one-command pipeline end to end on tiny data, its failure path, the report and predict."""

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from lstm_helpers.cli import main
from lstm_helpers.config import PROJECT_ROOT, resolve_config
from lstm_helpers.data.recordings import DataError
from lstm_helpers.runs.pipeline import run_pipeline
from lstm_helpers.runs.report import key_metrics, write_index

pytestmark = pytest.mark.slow

METRIC_KEYS = [
    "accuracy",
    "majority_baseline_accuracy",
    "balanced_accuracy",
    "mcc",
    "pr_auc",
    "roc_auc",
    "threshold",
    "per_class",
    "confusion_matrix",
    "bouts",
]


def _tree_hash(d: Path) -> dict:
    return {
        str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, tiny_demo_dir_module):
    reports = tmp_path_factory.mktemp("reports")
    cfg_file = reports.parent / "tiny.yaml"
    raw = yaml.safe_load(Path("configs/demo.yaml").read_text())
    from conftest import TINY

    cfg = resolve_config(
        raw,
        {
            **TINY,
            "data.path": str(tiny_demo_dir_module),
            "run.reports_dir": str(reports),
            "train.epochs": 2,
        },
    )
    cfg_file.write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    rc = main(["run", "--config", str(cfg_file), "--quiet"])
    assert rc == 0
    runs = [p for p in reports.iterdir() if p.is_dir()]
    assert len(runs) == 1
    return runs[0], cfg_file


@pytest.fixture(scope="module")
def tiny_demo_dir_module(tmp_path_factory):
    from lstm_helpers.data.demo import write_demo_recordings

    d = tmp_path_factory.mktemp("demo_mod")
    write_demo_recordings(d, seed=3, n_animals=6, minutes=1.0)
    return d


def test_run_directory_holds_every_artifact(finished_run):
    run, _ = finished_run
    for name in (
        "params.yaml",
        "01_prepare.ipynb",
        "02_train.ipynb",
        "03_evaluate.ipynb",
        "prepared.npz",
        "prepare.json",
        "model.keras",
        "history.csv",
        "train.json",
        "metrics.json",
        "report.html",
        "status.json",
        "slides.html",
        "kernel.log",
    ):
        assert (run / name).is_file(), name
    for nb in (
        "01_prepare.ipynb",
        "02_train.ipynb",
        "03_evaluate.ipynb",
    ):  # kernel noise went to kernel.log
        text = (run / nb).read_text()
        assert "absl::InitializeLog" not in text and "oneDNN" not in text and "IPKernelApp" not in text, nb
        # no one's directories in the notebook a run is shared as: it names its folder as "."
        assert str(run.resolve()) not in text and str(PROJECT_ROOT) not in text, nb
        executed = json.loads(text)
        meta = executed["metadata"]["papermill"]
        assert meta["input_path"] == f"notebooks/{nb}" and meta["output_path"] == nb
        injected = [c for c in executed["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
        assert meta["parameters"]["run_dir"] == "." and 'run_dir = "."' in "".join(injected[0]["source"])
    assert (run / "figures").is_dir() and any((run / "figures").glob("*.png"))
    # the budget warning (1 epoch: few updates) reads as its message, not a kernel file's path
    report = (run / "report.html").read_text()
    assert "give only" in report and "ipykernel_" not in report and "UserWarning" not in report
    assert "This run is" not in report  # a finished run's page says no "running" / "partial"
    st = json.loads((run / "status.json").read_text())
    assert st["status"] == "finished" and list(st["stage_seconds"]) == ["prepare", "train", "evaluate"]
    assert all(s > 0 for s in st["stage_seconds"].values()) and sum(st["stage_seconds"].values()) <= st["seconds"]
    # the page says how long the run and each stage took (the terminal's "[train] done in")
    took = re.search(r"ran ([\d.]+) s: prepare [\d.]+ s, train [\d.]+ s, evaluate [\d.]+ s", report)
    assert took is not None and abs(float(took.group(1)) - st["seconds"]) <= 0.5
    # the baseline was fitted beside stage 02 and read by stage 03 from the run's cache
    assert json.loads((run / "metrics.json").read_text())["baseline"]["cached"] is True
    cache = run / ".baseline_cache"
    assert len(list(cache.glob("*.json"))) == 1 and not list(cache.glob("*.running"))
    assert "_bilstm" not in run.name and "lstm_lay1_sz8" in run.name  # time stamp + model name


def test_the_readme_names_every_file_a_run_holds(finished_run):
    """kernel.log, in every run folder, was in no list of a run's files: a person finding its raw
    TensorFlow / IPython warnings could not tell what it was or whether they mattered."""
    run, _ = finished_run
    readme = (PROJECT_ROOT / "README.md").read_text()
    start = readme.index("**What `make run` produces**")
    named = set(re.findall(r"`([^`]+)`", readme[start : readme.index("\n\n", start)]))
    held = [p.name + "/" * p.is_dir() for p in run.iterdir() if not p.name.startswith(".") and p.suffix != ".ipynb"]
    assert "kernel.log" in held and "status.json" in held
    assert not [name for name in held if name not in named]  # the notebooks: "the three executed notebooks"


def test_metrics_json_has_stable_keys(finished_run):
    run, _ = finished_run
    m = json.loads((run / "metrics.json").read_text())
    for k in METRIC_KEYS:
        assert k in m, k
    assert "play" in m["per_class"] and 0 <= m["threshold"] <= 1
    # how far validation can be trusted: 2 planned epochs, neither stopped early
    from lstm_helpers.judge.validation_notes import validation_notes

    train, history = json.loads((run / "train.json").read_text()), pd.read_csv(run / "history.csv")
    expected = validation_notes(train, history, m)
    assert m["notes"][len(m["notes"]) - len(expected) :] == expected
    assert len(m["note_kinds"]) == len(m["notes"]) and set(m["note_kinds"]) <= {"act", "caution", "reading"}
    assert (train["best_epoch"] == 2) == any("may still be learning" in n for n in m["notes"])


def test_report_html_has_figures_and_no_code(finished_run):
    run, _ = finished_run
    page = (run / "report.html").read_text()
    assert page.count("data:image/png;base64") >= 4
    assert "Key metrics" in page and "always predicting the most frequent class" in page and "Confusion" in page
    for code in ("open_run(", "run_prepare(", "from lstm_helpers"):
        assert code not in page, code
    import re

    assert not re.search(r'class="[^"]*jp-InputArea-editor', page)  # no input cells rendered
    index = (run.parent / "index.html").read_text()
    assert run.name in index and "report.html" in index


def test_failing_notebook_marks_run_failed_and_leaves_others_untouched(finished_run, tmp_path, capsys):
    run, cfg_file = finished_run
    before = _tree_hash(run)
    raw = yaml.safe_load(cfg_file.read_text())
    # not a test recording: stage 01 fails after the inputs passed (a window longer than every
    # recording is now refused before the run directory exists)
    raw["evaluate"]["timeline_recording"] = "no_such_recording"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw))
    rc = main(["run", "--config", str(bad), "--quiet"])
    assert rc == 1
    err = capsys.readouterr().err
    assert "run failed: prepare failed in 01_prepare.ipynb" in err
    failed = [p for p in run.parent.iterdir() if p.is_dir() and p != run]
    assert len(failed) == 1
    status = json.loads((failed[0] / "status.json").read_text())
    assert status["status"] == "failed" and status["stage"] == "prepare" and status["reason"]
    assert "Error" in (failed[0] / "01_prepare.ipynb").read_text()  # the error is visible there
    assert not list(failed[0].glob(".*.partial.ipynb"))  # the temporary copy was renamed
    assert _tree_hash(run) == before
    write_index(run.parent)
    assert key_metrics(failed[0])["status"] == "failed"


def test_missing_data_path_fails_before_a_run_directory_exists(finished_run, tmp_path, capsys):
    run, cfg_file = finished_run
    before = sorted(run.parent.iterdir())
    rc = main(
        [
            "run",
            "--config",
            str(cfg_file),
            "--set",
            f"data.path={tmp_path / 'no_such_recordings.csv'}",
        ]
    )
    assert rc == 2
    assert "no_such_recordings.csv does not exist" in capsys.readouterr().err
    assert sorted(run.parent.iterdir()) == before and list(tmp_path.iterdir()) == []


def test_run_pipeline_validates_inputs_before_claiming(tmp_path, tiny_config):
    cfg = tiny_config(data__path=str(tmp_path / "missing"))
    with pytest.raises(DataError, match="does not exist"):
        run_pipeline(cfg, tmp_path / "r", quiet=True)
    assert not (tmp_path / "r").exists()


def test_predict_on_unlabelled_recording_and_refusals(finished_run, tiny_demo_dir_module, tmp_path, capsys):
    run, _ = finished_run
    df = pd.read_parquet(next(Path(tiny_demo_dir_module).glob("*.parquet")))
    new = df.drop(columns=["behaviour"])
    new["time_s"] = new["time_s"] + 3600.0  # a recording that starts an hour in
    new.to_csv(tmp_path / "new.csv", index=False)
    rc = main(
        [
            "predict",
            "--run",
            str(run),
            "--input",
            str(tmp_path / "new.csv"),
            "--out",
            str(tmp_path / "out.csv"),
        ]
    )
    assert rc == 0
    steps = pd.read_csv(tmp_path / "out.csv")
    assert len(steps) == len(new) and {"p_play", "p_other", "predicted"} <= set(steps.columns)
    # each row carries the input's own time and row: the table joins back to the input
    row = new.groupby("recording_id").cumcount()
    joined = new.assign(timestep=row).merge(steps, on=["recording_id", "timestep"], suffixes=("", "_out"))
    assert len(joined) == len(new) and np.allclose(joined["time_s_out"], joined["time_s"])
    assert set(steps["predicted"].dropna()) <= {"play", "other"}
    assert (tmp_path / "out.windows.csv").is_file() and (tmp_path / "out.bouts.csv").is_file()
    # new recordings need neither the group column nor time stamps (rows at the run's rate)
    bare = new.drop(columns=["animal_id", "time_s"])
    bare.to_csv(tmp_path / "bare.csv", index=False)
    assert main(["predict", "--run", str(run), "--input", str(tmp_path / "bare.csv")]) == 0
    bare_steps = pd.read_csv(tmp_path / "bare.predictions.csv")
    assert len(bare_steps) == len(bare) and np.allclose(bare_steps["time_s"], bare_steps["timestep"] / 25.0)
    # a file in another encoding than the run's is read with --encoding, to the same predictions
    (tmp_path / "wide.csv").write_text((tmp_path / "new.csv").read_text(), encoding="utf-16")
    args = ["predict", "--run", str(run), "--input", str(tmp_path / "wide.csv")]
    assert main([*args, "--encoding", "utf-16"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "wide.predictions.csv"), steps)
    # an output that would replace the input is refused, the input untouched
    before = (tmp_path / "new.csv").read_bytes()
    rc = main(["predict", "--run", str(run), "--input", str(tmp_path / "new.csv"), "--out", str(tmp_path / "new.csv")])
    assert rc == 2 and "would overwrite an input recording file" in capsys.readouterr().err
    assert (tmp_path / "new.csv").read_bytes() == before
    (tmp_path / "empty").mkdir()
    assert main(["predict", "--run", str(run), "--input", str(tmp_path / "empty")]) == 2
    assert "--input" in capsys.readouterr().err
    # mismatched channel set
    new.drop(columns=["gyr_z"]).to_csv(tmp_path / "nochan.csv", index=False)
    rc = main(["predict", "--run", str(run), "--input", str(tmp_path / "nochan.csv")])
    assert rc == 2 and "channels ['gyr_z'] of the run are missing" in capsys.readouterr().err
    # mismatched sample rate (50 Hz timestamps for a 25 Hz model)
    fast = new.copy()
    fast["time_s"] = fast["time_s"] / 2
    fast.to_csv(tmp_path / "fast.csv", index=False)
    rc = main(["predict", "--run", str(run), "--input", str(tmp_path / "fast.csv")])
    assert rc == 2 and "sample rate 50 Hz" in capsys.readouterr().err


def test_predict_never_joins_the_two_sides_of_a_gap_and_says_so(finished_run, tiny_demo_dir_module, tmp_path, capsys):
    """40 rows cut from one recording (a dropout): predict exited 0 without a word, one window
    joining both sides. Now no window crosses it, and the terminal names the gap."""
    run, _ = finished_run
    df = pd.read_parquet(next(Path(tiny_demo_dir_module).glob("*.parquet")))
    rec = df["recording_id"].iloc[0]
    row = df.groupby("recording_id").cumcount()
    cut = df[~((df["recording_id"] == rec) & row.between(300, 339))]
    cut.to_csv(tmp_path / "gap.csv", index=False)
    capsys.readouterr()
    assert (
        main(["predict", "--run", str(run), "--input", str(tmp_path / "gap.csv"), "--out", str(tmp_path / "o.csv")])
        == 0
    )
    out = capsys.readouterr().out
    assert (
        f"note: 1 gap(s) in time column 'time_s' (a step over 1.5x the recording's sampling interval) in 1 recording(s): {rec} 11.96 s -> 13.60 s; 1 window(s) across them left out"
        in out
    ), out
    windows = pd.read_csv(tmp_path / "o.windows.csv")
    starts = windows.loc[windows["recording_id"] == rec, "start"].to_numpy()  # steps of the input as read
    assert len(starts) and not ((starts < 300) & (starts + 24 > 300)).any()


def test_stage_by_stage_cli(tiny_demo_dir_module, tmp_path, capsys):
    run = tmp_path / "staged"
    common = [
        "--set",
        f"data.path={tiny_demo_dir_module}",
        "--set",
        "data.demo=false",
        "--set",
        "windows.length_seconds=null",
        "--set",
        "windows.length=24",
        "--set",
        "model.units=[8]",
        "--set",
        "model.bidirectional=false",
        "--set",
        "train.verbose=0",
    ]
    assert main(["prepare", "--config", "configs/demo.yaml", "--out", str(run), *common]) == 0
    assert (run / "01_prepare.ipynb").is_file() and (run / "prepared.npz").is_file()
    assert main(["train", "--run", str(run), "--set", "train.epochs=1"]) == 0
    assert json.loads((run / "train.json").read_text())["epochs_run"] == 1
    assert yaml.safe_load((run / "params.yaml").read_text())["train"]["epochs"] == 1
    # a setting of stage 01, which already ran, is refused: the windows would not match it
    capsys.readouterr()
    assert main(["train", "--run", str(run), "--set", "windows.length=48"]) == 2
    assert "--set windows.length: stage prepare of" in capsys.readouterr().err
    assert yaml.safe_load((run / "params.yaml").read_text())["windows"]["length"] == 24
    # training again makes what a later stage wrote stale: it goes, not shown beside the new model
    (run / "metrics.json").write_text("{}")
    (run / "figures" / "pr_curve.png").write_bytes(b"old")
    assert main(["train", "--run", str(run), "--set", "train.epochs=1"]) == 0
    assert not (run / "metrics.json").exists() and not (run / "figures" / "pr_curve.png").exists()
    assert (run / "figures" / "train_learning_curves.png").is_file()
    capsys.readouterr()
    assert main(["evaluate", "--run", str(run)]) == 0
    assert (run / "metrics.json").is_file()
    said = capsys.readouterr().out.splitlines()  # the answer and where the pages are, as `run` says them
    assert ": play found with precision" in said[-2] and "report: " in said[-1] and "report.html" in said[-1]
    # a typo is refused before the stage starts, and nothing is overwritten
    before = (run / "train.json").read_bytes()
    assert main(["train", "--run", str(run), "--set", "train.epoch=3"]) == 2
    assert "unknown key 'train.epoch'" in capsys.readouterr().err
    assert (run / "train.json").read_bytes() == before
    assert main(["evaluate", "--run", str(tmp_path / "empty")]) == 2
    # story 1: another precision / recall point of a finished run, without training again; the
    # finished run is never rewritten, so its model is judged in a new run directory
    assert json.loads((run / "status.json").read_text())["status"] == "finished"
    frozen, floor = _tree_hash(run), ["--set", "evaluate.threshold_strategy=recall_at_precision"]
    assert main(["evaluate", "--run", str(run)]) == 2 and "changes none of its settings" in capsys.readouterr().err
    assert main(["evaluate", "--run", str(run), *floor, "--set", "train.epochs=3"]) == 2
    assert "--set train.epochs: stage train of" in capsys.readouterr().err
    assert (
        main(
            [
                "evaluate",
                "--run",
                str(run),
                *floor,
                "--set",
                "evaluate.min_precision=0.9",
                "--out",
                str(tmp_path / "p90"),
            ]
        )
        == 0
    )
    assert "is finished: its model is judged again in" in capsys.readouterr().out and _tree_hash(run) == frozen
    again = tmp_path / "p90"
    assert json.loads((again / "status.json").read_text())["status"] == "finished"
    assert (again / "model.keras").read_bytes() == (run / "model.keras").read_bytes()
    detail = json.loads((again / "metrics.json").read_text())["threshold_detail"]  # (it may fall back to max F1)
    assert detail["strategy"] == "recall_at_precision" and detail["min_precision"] == 0.9
    assert yaml.safe_load((again / "params.yaml").read_text())["evaluate"]["min_precision"] == 0.9
    assert (again / "report.html").is_file() and (again / "02_train.ipynb").is_file()


def test_warm_kernel_runs_are_reproducible_and_survive_a_failed_run(tmp_path, tiny_config):
    """Issue 12: every stage of three runs in ONE kernel. A failing run is reported as before
    (status failed, its notebook shows the error) and the kernel is restarted; a run after it
    and after another run in the same kernel gives the same bytes as the run in a fresh
    kernel, and its notebooks count cells from 1 as a fresh kernel would."""
    from lstm_helpers.runs.kernel import StageKernel
    from lstm_helpers.runs.pipeline import RunFailed, kernel_name

    good = tiny_config(seed=7)
    fresh = run_pipeline(good, tmp_path / "fresh", quiet=True, report=False)  # its own kernel
    with StageKernel(kernel_name()) as kernel:
        bad = tiny_config(evaluate__timeline_recording="no_such_recording")  # 01 fails after the inputs passed
        with pytest.raises(RunFailed, match="prepare failed in 01_prepare.ipynb"):
            run_pipeline(bad, tmp_path / "bad", quiet=True, report=False, kernel=kernel, silent=True)
        assert json.loads((tmp_path / "bad" / "status.json").read_text())["status"] == "failed"
        assert "Error" in (tmp_path / "bad" / "01_prepare.ipynb").read_text()
        run_pipeline(tiny_config(seed=3, model__units=[6]), tmp_path / "other", quiet=True, report=False, kernel=kernel)
        pid = kernel.pid
        warm = run_pipeline(good, tmp_path / "warm", quiet=True, report=False, kernel=kernel, silent=True)
        assert kernel.pid == pid and kernel.notebooks_run == 6 and kernel.restarts == 1  # restarted once: after bad
    assert kernel.km is None  # shut down on leaving the block
    for name in ("history.csv", "threshold.json", "predictions_test.csv"):
        assert (fresh / name).read_bytes() == (warm / name).read_bytes(), name
    m1, m2 = (json.loads((d / "metrics.json").read_text()) for d in (fresh, warm))
    assert m1["pr_auc"] == m2["pr_auc"] and m1["confusion_matrix"] == m2["confusion_matrix"]
    for stage in ("01_prepare", "02_train", "03_evaluate"):
        nb = json.loads((warm / f"{stage}.ipynb").read_text())
        counts = [c["execution_count"] for c in nb["cells"] if c["cell_type"] == "code"]
        assert counts == list(range(1, len(counts) + 1)), stage
    assert json.loads((warm / "status.json").read_text())["status"] == "finished"
    assert "windows/s" in (warm / "03_evaluate.ipynb").read_text()  # the inference speed is in the run's log
    assert (warm / "kernel.log").is_file()  # the kernel's own output went to this run's log


def test_executed_notebook_is_saved_throttled_and_complete(tmp_path, monkeypatch):
    """Papermill rewrites the output notebook at every cell start and end (~130 writes of
    ~12 ms for the demo's stages); the warm engine writes at most once a second while the
    notebook runs, and always at the end: the file on disk holds every cell's output."""
    import nbformat
    import papermill.engines

    from lstm_helpers.runs.kernel import StageKernel
    from lstm_helpers.runs.pipeline import kernel_name

    writes = []
    real = papermill.engines.write_ipynb
    monkeypatch.setattr(papermill.engines, "write_ipynb", lambda nb, path: (writes.append(path), real(nb, path)))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 0", metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(f"print({i} + x)") for i in range(40)]
    nb.metadata["kernelspec"] = {"name": kernel_name(), "display_name": "Python 3", "language": "python"}
    src, out = tmp_path / "many.ipynb", tmp_path / "many.out.ipynb"
    nbformat.write(nb, src)
    with StageKernel(kernel_name()) as kernel:
        kernel.execute(src, out, {"x": 100}, tmp_path)
    assert 2 <= len(writes) < 20, len(writes)  # unthrottled: 2 per cell, 80+
    done = nbformat.read(out, as_version=4)
    texts = ["".join(o.get("text", "") for o in c.get("outputs", [])) for c in done.cells if "print(" in c.source]
    assert texts == [f"{100 + i}\n" for i in range(40)]


def test_what_a_kernel_leaves_in_its_temporary_directory_goes_with_it(tmp_path):
    """A kernel is shut down at once, so the ``atexit`` handlers that remove some libraries'
    temporary files never run: TensorFlow's AutoGraph left 2-5 ``__autograph_generated_file*.py``
    per run in ``/tmp`` (4,817 on the test host). A notebook here leaves a file the same way;
    it is gone once its kernel is, whether the kernel was restarted after a failing notebook
    or closed at the end, and the caller's temporary directory is not the kernel's."""
    import tempfile

    import nbformat
    from papermill.exceptions import PapermillExecutionError

    from lstm_helpers.runs.kernel import StageKernel
    from lstm_helpers.runs.pipeline import kernel_name

    def notebook(name: str, fail: bool) -> Path:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell("out = ''", metadata={"tags": ["parameters"]})]
        nb.cells.append(nbformat.v4.new_code_cell(
            "import atexit, os, pathlib, tempfile\n"
            "f = tempfile.NamedTemporaryFile('w', suffix='.py', delete=False)\n"
            "f.close()\n"
            "atexit.register(os.remove, f.name)  # as AutoGraph's loader does\n"
            "pathlib.Path(out).write_text(f.name)\n"
            + ("raise RuntimeError('this notebook fails')" if fail else "")
        ))  # fmt: skip
        nb.metadata["kernelspec"] = {"name": kernel_name(), "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, tmp_path / name)
        return tmp_path / name

    left = []
    with StageKernel(kernel_name()) as kernel:
        with pytest.raises(PapermillExecutionError, match="this notebook fails"):
            kernel.execute(
                notebook("bad.ipynb", True), tmp_path / "bad.out.ipynb", {"out": str(tmp_path / "a")}, tmp_path
            )
        left.append(Path((tmp_path / "a").read_text()))
        kernel.execute(
            notebook("good.ipynb", False), tmp_path / "good.out.ipynb", {"out": str(tmp_path / "b")}, tmp_path
        )
        left.append(Path((tmp_path / "b").read_text()))
        assert not left[0].exists() and left[1].is_file()  # the failed notebook's kernel was replaced
        assert left[1].parent != Path(tempfile.gettempdir()) and left[1].parent.parent == Path(tempfile.gettempdir())
    assert not left[1].exists() and not left[1].parent.exists()


def test_kernel_directories_of_killed_processes_are_removed_at_the_next_kernel_start(tmp_path, monkeypatch):
    """A sweep or run killed with ``kill -9`` removes nothing: its kernels' temporary
    directories stayed in /tmp, one per killed process. The next kernel start removes those
    whose owner is gone (a process held the owner lock and died) and keeps those of a live
    owner (here a process that still holds its lock) and directories without an owner lock."""
    import subprocess
    import sys
    import tempfile

    from lstm_helpers.runs.kernel import KERNEL_TMP_PREFIX, OWNER_LOCK, StageKernel, own_kernel_dir
    from lstm_helpers.runs.pipeline import kernel_name

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dirs = {name: tmp_path / f"{KERNEL_TMP_PREFIX}{name}" for name in ("dead", "live", "foreign")}
    for d in dirs.values():
        d.mkdir()
        (d / "__autograph_generated_file1.py").write_text("")
    hold = "import sys, time; from lstm_helpers.runs.kernel import own_kernel_dir; h = own_kernel_dir(sys.argv[1]); "
    subprocess.run([sys.executable, "-c", hold + "import os; os._exit(0)", str(dirs["dead"])], check=True)
    live = subprocess.Popen([sys.executable, "-c", hold + "print(1, flush=True); time.sleep(120)", str(dirs["live"])],
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    kernel = StageKernel(kernel_name())
    try:
        assert live.stdout.readline().strip() == "1"  # it holds its lock
        kernel.start()
        started = [d for d in tmp_path.glob(f"{KERNEL_TMP_PREFIX}*") if d not in dirs.values()]
        assert len(started) == 1 and (started[0] / OWNER_LOCK).is_file()
        with pytest.raises(OSError):  # this process owns its kernel's directory while the kernel runs
            own_kernel_dir(str(started[0]))
    finally:
        kernel.close()
        live.kill()
    assert not dirs["dead"].exists() and dirs["live"].is_dir() and dirs["foreign"].is_dir()
    assert not started[0].exists()


def test_runs_on_unchanged_data_share_the_pre_check_read(tmp_path, tiny_config, tiny_demo_dir, monkeypatch):
    """Issue 12: every run of a sweep read all of its data in the sweep process (the check
    before a run directory exists), then stage 01 read them again. Runs on the same unchanged
    files share the first read; each run's own checks still apply to it; a changed file is
    read again."""
    import shutil

    import lstm_helpers.data.recordings as rec
    from lstm_helpers.data.inputs import DataError
    from lstm_helpers.runs.pipeline import validate_inputs

    calls, real = [], rec.read_dataset
    monkeypatch.setattr(rec, "read_dataset", lambda d: (calls.append(d.path), real(d))[1])
    data = tmp_path / "data"
    shutil.copytree(tiny_demo_dir, data)
    cfg = tiny_config(data__path=str(data))
    assert validate_inputs(cfg) == validate_inputs(tiny_config(data__path=str(data), seed=5, train__epochs=3))
    assert len(calls) == 1
    with pytest.raises(DataError, match="windows.length=100000"):  # this run's window, on the shared read
        validate_inputs(tiny_config(data__path=str(data), windows__length=100000))
    assert len(calls) == 1
    first = sorted(data.glob("*.parquet"))[0]
    pd.read_parquet(first).iloc[:-10].to_parquet(first)
    validate_inputs(cfg)
    assert len(calls) == 2


def test_kernel_reset_frees_the_last_notebook_in_one_collection(tmp_path):
    """The reset between two notebooks of a warm kernel frees what the first left (here an
    object in a reference cycle, which only the cyclic collector frees) with ONE full garbage
    collection; IPython's ``%reset`` alone ran two (~0.2-0.3 s each in a kernel that imported
    TensorFlow), Keras' ``clear_session`` a third. The stages' figure and table style does not
    carry over (the comparison page rendered in a sweep worker's kernel took its fonts)."""
    import nbformat

    from lstm_helpers.runs.kernel import StageKernel
    from lstm_helpers.runs.pipeline import kernel_name

    first = (
        "from lstm_helpers.style import apply_notebook_style\n"
        "apply_notebook_style()\n"
        "import gc, sys, weakref\n"
        "class Node: pass\n"
        "node = Node(); node.me = node\n"
        "sys.lstm_test = {'ref': weakref.ref(node), 'full': 0}\n"
        "def count(phase, info, box=sys.lstm_test):\n"
        "    box['full'] += phase == 'start' and info['generation'] == 2\n"
        "gc.callbacks.append(count)"
    )
    second = (
        "import sys, warnings, matplotlib, pandas as pd\n"
        "html = get_ipython().display_formatter.formatters['text/html']\n"
        "fresh = matplotlib.rcParams['font.size'] == matplotlib.rcParamsOrig['font.size'] and "
        "pd.DataFrame not in html.type_printers and warnings.formatwarning.__module__ == 'warnings'\n"
        "print(sys.lstm_test['ref']() is None, sys.lstm_test['full'], fresh)"
    )
    outputs = []
    with StageKernel(kernel_name()) as kernel:
        for i, code in enumerate((first, second)):
            nb = nbformat.v4.new_notebook()
            nb.cells = [
                nbformat.v4.new_code_cell("x = 0", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(code),
            ]
            nb.metadata["kernelspec"] = {"name": kernel_name(), "display_name": "Python 3", "language": "python"}
            src, out = tmp_path / f"nb{i}.ipynb", tmp_path / f"nb{i}.out.ipynb"
            nbformat.write(nb, src)
            kernel.execute(src, out, {}, tmp_path)
            outputs.append("".join(o.get("text", "") for o in nbformat.read(out, as_version=4).cells[-1].outputs))
    assert outputs[1] == "True 1 True\n"  # freed in one collection; the stages' style undone


def test_command_line_processes_skip_the_iri_format_grammar():
    """The CLI marks rfc3987_syntax absent before nbformat is imported (1.2 s of lark grammars
    per process, for a JSON-schema format notebook validation never checks); notebooks still validate."""
    import subprocess
    import sys

    code = (
        "import sys; from lstm_helpers.runs.kernel import skip_unused_schema_format; skip_unused_schema_format();"
        "import nbformat; nbformat.validate(nbformat.read('notebooks/01_prepare.ipynb', as_version=4));"
        "print(sys.modules.get('rfc3987_syntax', 'absent'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        check=True,
    )
    assert out.stdout.strip() == "None"


def test_stage_03_is_released_when_the_prefit_ends_without_a_fit(tmp_path):
    """Stage 03 waits for the prefit's claim, not for its end; a prefit that never fits
    (stage 01 wrote no windows) still releases it, so stage 03 cannot wait forever."""
    import threading

    from lstm_helpers.config import resolve_config
    from lstm_helpers.runs.pipeline import _prefit_baseline

    claimed = threading.Event()
    _prefit_baseline(resolve_config({}, {}), tmp_path, None, claimed, wait=lambda: False)
    assert claimed.is_set() and not (tmp_path / ".baseline_cache").exists()


def test_a_token_run_warms_up_no_minirocket_beside_stage_02(tmp_path):
    """A text (or data.tokens) run with the default evaluate.baseline started the prefit thread,
    whose MiniRocket import and warm-up (about 2 s of a core) served no fit: token ids have none."""
    import threading

    from lstm_helpers.config import PROJECT_ROOT, load_config
    from lstm_helpers.runs.pipeline import _start_baseline_prefit

    for example in ("char_text.yaml", "token_sequences.yaml"):
        cfg = load_config(PROJECT_ROOT / "configs" / "examples" / example)
        assert cfg.evaluate.baseline == "minirocket"
        assert _start_baseline_prefit(cfg, tmp_path, None, "prepare", threading.Event()) is None, example


def test_prefit_waits_for_this_attempts_windows(tmp_path):
    """The baseline prefit starts with stage 01 and waits for the windows it writes:
    ``prepare.json`` (written last, atomically) newer than the stage's start; a file an
    earlier attempt left does not count, and a stage that ends without writing gives up."""
    import threading
    import time

    from lstm_helpers.runs.pipeline import _prepared_since

    (tmp_path / "prepare.json").write_text("{}")  # an earlier attempt's
    time.sleep(0.01)
    over = threading.Event()
    wait = _prepared_since(tmp_path, time.time_ns(), over)
    result = []
    waiter = threading.Thread(target=lambda: result.append(wait()))
    waiter.start()
    time.sleep(0.3)
    assert waiter.is_alive()  # the old file is not this attempt's
    (tmp_path / "prepare.json").write_text("{}")
    waiter.join(5)
    assert result == [True]
    over.set()
    failed = _prepared_since(tmp_path, time.time_ns() + 10**9, over)  # nothing newer: stage 01 failed
    assert failed() is False


def test_the_run_time_phrase_lists_the_stages_and_leaves_a_resumed_runs_total_out():
    from lstm_helpers.runs.terminal import run_time_phrase

    stages = {"prepare": 4.84, "train": 14.2, "evaluate": 9.5}
    finished = {"status": "finished", "seconds": 40.9, "stage_seconds": stages, "resumed": None}
    assert run_time_phrase(finished) == "ran 41 s: prepare 4.8 s, train 14 s, evaluate 9.5 s"
    resumed = {**finished, "resumed": "2026-12-04T10:00:00"}  # recorded before elapsed_seconds: last attempt only
    assert run_time_phrase(resumed) == "stages took prepare 4.8 s, train 14 s, evaluate 9.5 s"
    every = {**resumed, "seconds": 52.0, "elapsed_seconds": 52.0}  # runs/run_clock.py: every attempt counted
    assert run_time_phrase(every) == "ran 52 s in all attempts: prepare 4.8 s, train 14 s, evaluate 9.5 s"
    assert run_time_phrase({"status": "running"}) == ""
