"""A sweep run whose kernel was killed was "FAILED" on the terminal, "failed" in runs.csv and
"interrupted" in its status.json, and its resume hint named the lone run's paths as seen from
the sweep folder; the ETA compared running runs with "the finished runs' mean" when the only
run that had ended had failed."""

from __future__ import annotations

import json

from lstm_helpers.experiments import runner
from lstm_helpers.experiments.progress import Progress
from lstm_helpers.runs.pipeline import RunFailed, resume_command

DIED = "the kernel running stage train died (killed from outside, perhaps for lack of memory)"


def test_a_run_whose_kernel_died_is_interrupted_not_failed(tmp_path, monkeypatch):
    def died(*args, **kwargs):
        raise RunFailed(DIED, None, tmp_path / "r", resume="lstm-workbench run ...")

    monkeypatch.setattr("lstm_helpers.runs.pipeline.run_pipeline", died)
    result = runner.execute_run({}, tmp_path / "r")
    assert result["status"] == "interrupted" and result["reason"] == DIED

    def failed(*args, **kwargs):
        raise RunFailed("stage train failed: ValueError: x", None, tmp_path / "r")

    monkeypatch.setattr("lstm_helpers.runs.pipeline.run_pipeline", failed)
    assert runner.execute_run({}, tmp_path / "r")["status"] == "failed"


def test_the_terminal_says_interrupted_with_the_sweeps_command(capsys):
    from lstm_helpers.experiments.progress import sweep_summary

    command = "lstm-workbench sweep sw.yaml --out swk"
    prog = Progress(total=2, workers=1, skipped=0, resume=command)
    prog.record("a", {"status": "interrupted", "seconds": 8.0, "reason": DIED})
    out = capsys.readouterr().out
    assert f"[sweep] interrupted a: {DIED}; resume it (from its last epoch) with the same command: {command}" in out
    assert "FAILED" not in out and "0/2 runs finished, 0 failed, 1 interrupted, 1 running" in out
    result = {"sweep_id": "sw-1", "done": 0, "skipped": 0, "failed": 0, "interrupted": 1, "resume": command,
              "comparison_html": "swk/comparison.html"}  # fmt: skip
    assert sweep_summary(result).splitlines()[0] == (
        f"sweep sw-1: 0 runs finished, 0 failed, 1 interrupted (killed from outside; the same command continues it: {command})"
    )


def test_an_interrupted_sweep_run_resumes_through_its_sweep_from_the_users_directory(tmp_path, monkeypatch):
    sweep = tmp_path / "work" / "swk"
    run = sweep / "lstm_r1"
    run.mkdir(parents=True)
    (run / "status.json").write_text(json.dumps({"status": "interrupted", "stage": "train"}))
    (tmp_path / "work" / "sw.yaml").write_text("grid: {}\n")
    plan = {
        "sweep_id": "sw-1",
        "file": str(tmp_path / "work" / "sw.yaml"),
        "overrides": {"train.epochs": 2},
        "runs": [],
    }
    (sweep / "sweep.json").write_text(json.dumps(plan))
    monkeypatch.chdir(tmp_path)  # not where the sweep ran, nor the sweep folder
    assert resume_command(run) == "lstm-workbench sweep work/sw.yaml --set train.epochs=2 --out work/swk"
    monkeypatch.chdir(sweep)
    assert resume_command(run) == f"lstm-workbench sweep {tmp_path}/work/sw.yaml --set train.epochs=2 --out ."


def test_the_eta_waits_for_a_finished_run_not_a_failed_one():
    now = [0.0]
    prog = Progress(total=3, workers=2, skipped=0, enabled=False, clock=lambda: now[0])
    prog.start("a"), prog.start("b")
    now[0] = 32.0
    prog.record("a", {"status": "failed", "seconds": 32.0, "reason": "x"})
    prog.start("c")
    now[0] = 60.0
    assert prog.eta_seconds() is None and prog.line().endswith("ETA after the first run finishes")
    assert "mean" not in prog.line()
