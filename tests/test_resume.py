"""Exact resume (issue 10): a training process killed with SIGKILL after an epoch and then
resumed writes the same ``history.csv`` and ``train.json`` figures as an uninterrupted run
with the same seed -- byte for byte on a CPU with op determinism."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from lstm_helpers.artifacts import write_yaml
from lstm_helpers.data.prepare import run_prepare
from lstm_helpers.layout import RunLayout

ROOT = Path(__file__).resolve().parent.parent
TRAIN = (
    "import sys\n"
    "from lstm_helpers.artifacts import read_params\n"
    "from lstm_helpers.config import resolve_config\n"
    "from lstm_helpers.model.training import run_training\n"
    "run_training(resolve_config(read_params(sys.argv[1])), sys.argv[1])\n"
)
# dropout (seed-generator state), a plateau schedule and early stopping (callback state)
# and a shuffle of the training windows all have to continue where the killed run stopped
RESUME_CFG = {
    "train.epochs": 6,
    "model.dropout": 0.3,
    "train.schedule.kind": "plateau",
    "train.schedule.patience": 1,
    "train.early_stopping.patience": 3,
    "train.batch_size": 16,
}


def _train_process(run: Path) -> subprocess.Popen:
    """The training stage in its own process; its stderr goes to a file beside the run (a
    pipe nobody reads could fill and stall it). Its temporary files (TensorFlow's autograph
    sources, which a process killed with SIGKILL cannot remove) go beside the run, not to /tmp."""
    tmp = run.parent / f"{run.name}.tmp"
    tmp.mkdir(exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", "TMPDIR": str(tmp)}
    log = (run.parent / f"{run.name}.stderr").open("a")
    return subprocess.Popen([sys.executable, "-c", TRAIN, str(run)], env=env, stdout=subprocess.DEVNULL, stderr=log)


def _stderr(run: Path) -> str:
    return (run.parent / f"{run.name}.stderr").read_text()[-3000:]


def _epochs_logged(run: Path) -> int:
    try:
        return len(pd.read_csv(RunLayout(run).history))
    except (FileNotFoundError, pd.errors.EmptyDataError):
        return 0


def _prepared_run(tiny_config, run: Path) -> Path:
    cfg = tiny_config(**{k.replace(".", "__"): v for k, v in RESUME_CFG.items()})
    run.mkdir(parents=True)
    write_yaml(run / "params.yaml", cfg.to_dict())
    run_prepare(cfg, run)
    return run


def _train_json(run: Path) -> dict:
    info = json.loads(RunLayout(run).train_json.read_text())
    return {k: info[k] for k in ("epochs_run", "best_epoch", "best_value", "weights_epoch", "stopped_early")}


@pytest.mark.slow
def test_sigkill_after_an_epoch_then_resume_gives_the_uninterrupted_history(tiny_config, tmp_path):
    reference = _prepared_run(tiny_config, tmp_path / "reference")
    run = _prepared_run(tiny_config, tmp_path / "run")
    killed = _train_process(run)
    deadline = time.monotonic() + 900  # TensorFlow's start on a busy machine can take minutes
    while _epochs_logged(run) < 2 and killed.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    killed.send_signal(signal.SIGKILL)
    assert killed.wait(timeout=60) == -signal.SIGKILL, _stderr(run)
    logged = _epochs_logged(run)
    assert 2 <= logged < RESUME_CFG["train.epochs"], f"killed after {logged} epochs"
    assert RunLayout(run).backup.is_dir() and not RunLayout(run).model.exists()

    done, resumed = _train_process(reference), _train_process(run)
    assert done.wait(timeout=900) == 0, _stderr(reference)
    assert resumed.wait(timeout=900) == 0, _stderr(run)

    read = {"float_precision": "round_trip"}
    pd.testing.assert_frame_equal(
        pd.read_csv(RunLayout(run).history, **read),
        pd.read_csv(RunLayout(reference).history, **read),
        check_exact=True,
    )
    expected = RunLayout(reference).history.read_bytes()
    assert RunLayout(run).history.read_bytes() == expected  # identical, not merely close
    assert _train_json(run) == _train_json(reference)
    assert json.loads(RunLayout(run).train_json.read_text())["resumed"] is True
    assert not RunLayout(run).backup.exists()
    # the fit time counts every epoch as an uninterrupted run does: with its checkpoint's time after it
    timing = pd.read_csv(RunLayout(run).timing)
    epochs = timing["seconds"].sum() + timing["after_seconds"].sum()
    assert json.loads(RunLayout(run).train_json.read_text())["total_seconds"] >= epochs


@pytest.mark.slow
def test_the_printed_resume_command_continues_training_where_it_stopped(tiny_config, tmp_path):
    """``lstm-workbench run --config <run>/params.yaml --out <run>`` (what an interrupted run's
    terminal, report and index print) ran stage 01 again, which removed the training backup and
    history as stale: training began again at epoch 1, without a word."""
    from lstm_helpers.artifacts import read_params, write_json
    from lstm_helpers.config import resolve_config
    from lstm_helpers.runs.pipeline import run_pipeline, run_status

    run = _prepared_run(tiny_config, tmp_path / "run")
    killed = _train_process(run)
    deadline = time.monotonic() + 900
    while _epochs_logged(run) < 2 and killed.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    killed.send_signal(signal.SIGKILL)
    assert killed.wait(timeout=60) == -signal.SIGKILL, _stderr(run)
    logged = pd.read_csv(RunLayout(run).history, float_precision="round_trip")
    assert 2 <= len(logged) < RESUME_CFG["train.epochs"]
    cfg = resolve_config({**read_params(run), "train": {**read_params(run)["train"], "verbose": 1}})
    write_json(RunLayout(run).status, {"status": "interrupted", "fingerprint": cfg.fingerprint(),
                                       "stages_done": ["prepare"], "stage": "train",
                                       "started": "2026-12-04T03:14:31"})  # fmt: skip
    run_pipeline(cfg, run, report=False, quiet=True, prefit=False)
    assert run_status(run)["status"] == "finished"
    # the run's first start is kept (the resume had replaced it with its own) and the resume is recorded
    assert run_status(run)["started"] == "2026-12-04T03:14:31" and run_status(run)["resumed"] > "2026-12-04T03:14:31"
    info = json.loads(RunLayout(run).train_json.read_text())
    assert info["resumed"] is True
    history = pd.read_csv(RunLayout(run).history, float_precision="round_trip")
    pd.testing.assert_frame_equal(history.iloc[: len(logged)], logged, check_exact=True)  # the epochs before stand
    # the notebook's epoch log holds every epoch once, the restored ones under a line that says so
    # (Keras' fit prints only the epochs it runs: the log began at the first new epoch)
    notebook = json.loads(RunLayout(run).notebook("train").read_text())
    text = "".join("".join(o.get("text", "")) for c in notebook["cells"] for o in c.get("outputs", []))
    epochs = [line.split()[1] for line in text.splitlines() if line.startswith("epoch ")]
    assert epochs == [f"{e}/{RESUME_CFG['train.epochs']}" for e in history["epoch"]], text
    assert "continued after epoch " in text and "the epochs before the interruption" in text


@pytest.mark.slow
def test_a_run_stopped_during_evaluation_resumes_without_training_again(tiny_config, tmp_path, capsys, monkeypatch):
    """Stopped during stage 03 (the training backup is gone once training ends), the resume ran
    stage 01 and trained again from epoch 1: a reviewer's character model and a sweep's run
    (stages_done prepare, train) both retrained. The stages it finished are kept now."""
    from lstm_helpers.artifacts import write_json
    from lstm_helpers.runs import pipeline
    from lstm_helpers.runs.pipeline import run_pipeline, run_status

    cfg = tiny_config()
    run = run_pipeline(cfg, tmp_path / "run", report=False, quiet=True, prefit=False)
    lay = RunLayout(run)
    model, history, notebooks = lay.model.read_bytes(), lay.history.read_bytes(), lay.notebook("train").read_bytes()
    lay.metrics.unlink()
    lay.notebook("evaluate").unlink()
    write_json(lay.status, {"status": "interrupted", "fingerprint": cfg.fingerprint(),
                            "stages_done": ["prepare", "train"], "stage": "evaluate"})  # fmt: skip
    ran, real = [], pipeline.execute_stage
    monkeypatch.setattr(
        pipeline, "execute_stage", lambda stage, *a, **kw: (ran.append(stage), real(stage, *a, **kw))[1]
    )
    capsys.readouterr()
    run_pipeline(cfg, run, report=False, prefit=False)
    assert ran == ["evaluate"] and run_status(run)["status"] == "finished"
    assert "[resume] kept what the interrupted run finished: prepare, train" in capsys.readouterr().out
    assert (lay.model.read_bytes(), lay.history.read_bytes()) == (model, history)
    assert lay.notebook("train").read_bytes() == notebooks and lay.metrics.is_file()
    # a stage whose outputs are gone runs again, and so does every stage after it
    write_json(lay.status, {"status": "interrupted", "fingerprint": cfg.fingerprint(),
                            "stages_done": ["prepare", "train"], "stage": "evaluate"})  # fmt: skip
    lay.model.unlink()
    ran.clear()
    run_pipeline(cfg, run, report=False, quiet=True, prefit=False)
    assert ran == ["train", "evaluate"] and lay.model.is_file()
    # a failed run runs every stage again (what failed may have been fixed in the data)
    write_json(lay.status, {"status": "failed", "fingerprint": cfg.fingerprint(),
                            "stages_done": ["prepare", "train"], "stage": "evaluate"})  # fmt: skip
    ran.clear()
    run_pipeline(cfg, run, report=False, quiet=True, prefit=False)
    assert ran == ["prepare", "train", "evaluate"]


def test_stage_01_again_keeps_later_outputs_only_when_the_windows_are_the_same(tiny_config, tmp_path):
    cfg = tiny_config()
    run_prepare(cfg, tmp_path)
    kept = RunLayout(tmp_path).history
    kept.write_text("epoch,loss\n0,1.0\n")
    run_prepare(cfg, tmp_path)  # the same windows: a resumed run's stage 01
    assert kept.is_file()
    with pytest.warns(UserWarning, match="made from the windows before were removed"):
        run_prepare(tiny_config(windows__overlap_percent=0), tmp_path)
    assert not kept.exists()


def test_a_resumes_fit_time_counts_the_restored_epochs_checkpoint_time():
    """A run resumed after 20 epochs reported a fit time of 17.55 s for epochs that had taken
    18.63 s with their checkpoints: the restored epochs were counted without after_seconds."""
    from lstm_helpers.model.training import _restored_seconds

    timing = pd.DataFrame({"epoch": [1, 2], "seconds": [1.0, 1.25], "after_seconds": [0.5, float("nan")]})
    assert _restored_seconds(timing) == 2.75
    assert _restored_seconds(timing.drop(columns="after_seconds")) == 2.25  # a timing.csv written before it
    assert _restored_seconds(None) == 0.0


def test_a_resumed_runs_seconds_count_its_earlier_attempts_as_its_fit_time_does(tiny_config, tmp_path):
    """status.json's ``seconds`` (the comparison's run_seconds) counted only the last
    invocation: a run resumed after an interrupt showed less than the sum of its stages."""
    from lstm_helpers.artifacts import read_json, write_json
    from lstm_helpers.runs.pipeline import run_pipeline
    from lstm_helpers.runs.terminal import duration, run_time_phrase

    cfg = tiny_config(evaluate__baseline="none")
    run = run_pipeline(cfg, tmp_path / "run", stages=("prepare",), report=False, quiet=True, prefit=False)
    status = RunLayout(run).status
    earlier = read_json(status)
    assert earlier["elapsed_seconds"] >= earlier["stage_seconds"]["prepare"] > 0
    # the first attempt went on into stage 02 for 100 s before it was stopped
    write_json(status, earlier | {"status": "interrupted", "stage": "train", "elapsed_seconds": 100.0})
    started = time.perf_counter()
    run_pipeline(cfg, run, report=False, quiet=True, prefit=False)
    this_attempt = time.perf_counter() - started
    st = read_json(status)
    assert (
        st["status"] == "finished" and st["resumed"] and list(st["stage_seconds"]) == ["prepare", "train", "evaluate"]
    )
    assert 100.0 + st["stage_seconds"]["train"] + st["stage_seconds"]["evaluate"] <= st["seconds"]
    assert st["seconds"] <= 100.0 + this_attempt + 0.2 and st["elapsed_seconds"] == st["seconds"]
    assert run_time_phrase(st).startswith(f"ran {duration(st['seconds'])} in all attempts: prepare ")


def test_params_yaml_keeps_auto_so_the_printed_resume_command_is_the_runs_own(tiny_config, tmp_path):
    """An ``auto`` budget (the default) was written into params.yaml as the epochs and batch it
    chose, so ``run --config <run>/params.yaml --out <run>`` (the printed resume command) was
    refused as a run with other parameters; params.yaml keeps what was asked, train.json what
    was chosen."""
    from lstm_helpers.artifacts import read_params
    from lstm_helpers.config import resolve_config
    from lstm_helpers.model.training import run_training

    cfg = tiny_config(train__epochs="auto", train__batch_size="auto", train__min_updates=4)
    run = tmp_path / "run"
    run.mkdir()
    write_yaml(run / "params.yaml", cfg.to_dict())
    run_prepare(cfg, run)
    run_training(cfg, run)
    written = read_params(run)
    assert written["train"]["epochs"] == "auto" and written["train"]["batch_size"] == "auto"
    assert resolve_config(written).fingerprint() == cfg.fingerprint()
    chosen = json.loads(RunLayout(run).train_json.read_text())["budget"]
    assert chosen["epochs"] >= 1 and chosen["batch_size"] >= 1
