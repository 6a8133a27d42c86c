"""Runs stopped and resumed in place: their times, their resume commands, their refusals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from test_run_safety import _cli, _config_file

from lstm_helpers.layout import RunLayout
from lstm_helpers.runs.pipeline import run_status


def _wait_for_stage(run: Path, stage: str, proc, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if json.loads(RunLayout(run).status.read_text()).get("stage") == stage:
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    raise AssertionError(f"stage {stage} never started: {proc.communicate()[1][-2000:]}")


@pytest.mark.slow
def test_a_stopped_attempts_time_counts_in_its_stage_and_in_the_runs_total(tmp_path, tiny_demo_dir):
    """A reviewer's character run stopped in epoch 4 and resumed said "ran 3 min 18 s in all
    attempts: prepare 17 s, train 1 min 39 s, evaluate 8.9 s" beside a fit time of 169 s: the
    stopped attempt's training was left out of stage_seconds, and its wall time too when no
    heartbeat had recorded it (a run stopped twice showed ``seconds`` = the sum of its stages)."""
    run = tmp_path / "run"
    cfg_file = _config_file(tmp_path, tiny_demo_dir, tmp_path / "reports", **{"evaluate.baseline": "none"})
    first = _cli("run", "--config", str(cfg_file), "--out", str(run), "--quiet")
    _wait_for_stage(run, "train", first)
    time.sleep(3.0)
    first.send_signal(signal.SIGINT)
    first.communicate(timeout=60)
    stopped = json.loads(RunLayout(run).status.read_text())
    assert stopped["status"] == "interrupted" and stopped["stage"] == "train"
    assert stopped["stage_seconds"]["train"] >= 2.9  # the stopped attempt's time in stage 02
    assert stopped["elapsed_seconds"] >= sum(stopped["stage_seconds"].values()) - 1e-9 >= 2.9 - 1e-9  # 0.1-s figures

    resume = _cli(*run_status(run)["resume"].split()[1:])
    out, err = resume.communicate(timeout=600)
    assert resume.returncode == 0, err[-3000:]
    st = json.loads(RunLayout(run).status.read_text())
    assert st["status"] == "finished" and list(st["stage_seconds"]) == ["prepare", "train", "evaluate"]
    assert st["stage_seconds"]["prepare"] == stopped["stage_seconds"]["prepare"]  # kept, not run again
    assert st["stage_seconds"]["train"] > stopped["stage_seconds"]["train"] + 0.5  # both attempts
    assert "in all attempts" in next(line for line in out.splitlines() if line.startswith("[train] done in"))
    this_attempt = st["stage_seconds"]["train"] - stopped["stage_seconds"]["train"] + st["stage_seconds"]["evaluate"]
    assert st["seconds"] >= stopped["elapsed_seconds"] + this_attempt - 0.1  # every attempt's time
    assert st["seconds"] >= sum(st["stage_seconds"].values()) - 1e-9  # sums of 0.1-s figures: 6.8 vs 6.800000000000001
    fit = json.loads(RunLayout(run).train_json.read_text())["total_seconds"]
    assert st["stage_seconds"]["train"] >= fit  # the header's train part covers the fit-time column


@pytest.fixture
def read_only_dir(tmp_path):
    """A folder nobody may write in: immutable for root (whom a mode does not stop), mode 555 otherwise."""
    d = tmp_path / "read_only"
    d.mkdir()
    root = os.geteuid() == 0
    if root and subprocess.run(["chattr", "+i", str(d)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here")
    if not root:
        d.chmod(0o555)
    try:
        yield d
    finally:
        subprocess.run(["chattr", "-i", str(d)], capture_output=True) if root else d.chmod(0o755)


def test_an_output_folder_that_cannot_be_written_is_named_before_any_work(
    tmp_path, tiny_demo_dir, read_only_dir, capsys
):
    """``run --out`` and ``run.reports_dir`` in a read-only folder ended in "internal error:
    PermissionError ... This is a bug in lstm-workbench", and predict ran all its inference
    before failing so: each now names the folder and the setting that chose it, first."""
    from lstm_helpers.cli import main

    cfg_file = _config_file(tmp_path, tiny_demo_dir, tmp_path / "reports")
    said = []
    for argv in (
        ["run", "-c", str(cfg_file), "--out", str(read_only_dir / "r1")],
        ["run", "-c", str(cfg_file), "--set", f"run.reports_dir={read_only_dir}"],
        ["prepare", "--no-notebook", "-c", str(cfg_file), "--out", str(read_only_dir / "r1")],
    ):
        assert main(argv) == 2, argv
        said.append(capsys.readouterr().err)
    for err in said:
        assert "cannot be written" in err and "read_only" in err and "internal error" not in err, err
    assert said[0].startswith("error: --out ") and "give --out a folder you can write" in said[0]
    assert said[1].startswith("error: run.reports_dir ") and "--set run.reports_dir=" in said[1]
    assert not any(read_only_dir.iterdir())

    run = tmp_path / "finished"  # the check comes before the run's model is even read
    run.mkdir()
    (run / "params.yaml").write_text("{}\n")
    (run / "model.keras").write_bytes(b"not a model")
    assert (
        main(["predict", "--run", str(run), "--input", str(tiny_demo_dir), "--out", str(read_only_dir / "q.csv")]) == 2
    )
    err = capsys.readouterr().err
    assert err.startswith("error: --out ") and "q.csv" in err and "cannot be written" in err, err


@pytest.mark.slow
def test_a_run_whose_kernel_died_says_how_to_resume_it_and_resumes(tmp_path, tiny_demo_dir):
    """A kernel killed from outside (as the out-of-memory killer does) failed the run with
    "DeadKernelError: Kernel died" and no resume command, although a resume works."""
    import psutil

    run = tmp_path / "run"
    cfg_file = _config_file(tmp_path, tiny_demo_dir, tmp_path / "reports", **{"evaluate.baseline": "none"})
    cli = _cli("run", "--config", str(cfg_file), "--out", str(run), "--quiet")
    _wait_for_stage(run, "train", cli)
    time.sleep(1.0)
    (kernel,) = [p for p in psutil.Process(cli.pid).children(recursive=True) if "ipykernel" in " ".join(p.cmdline())]
    kernel.kill()
    out, err = cli.communicate(timeout=120)
    assert cli.returncode == 1, err[-3000:]
    assert "run stopped: the kernel running stage train died" in err and "lack of memory" in err, err
    resume = err.split("; resume: ")[1].strip()
    assert resume.startswith("lstm-workbench run --config ") and resume.endswith(f"--out {run}")
    st = run_status(run)
    assert st["status"] == "interrupted" and st["stage"] == "train" and st["resume"] == resume

    again = _cli(*resume.split()[1:])  # the printed command, as a user would run it
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err[-3000:]
    assert "[resume] kept what the interrupted run finished: prepare" in out
    assert run_status(run)["status"] == "finished"


def test_a_resume_with_other_parameters_names_the_ones_that_differ(tmp_path, tiny_demo_dir, capsys):
    """Resuming a run with train.epochs 20 where it had 40 was refused without naming a key."""
    import yaml

    from lstm_helpers.artifacts import write_json
    from lstm_helpers.cli import main
    from lstm_helpers.config import load_config

    cfg_file = _config_file(tmp_path, tiny_demo_dir, tmp_path / "reports", **{"train.epochs": 40})
    cfg = load_config(str(cfg_file), [])
    run = tmp_path / "run"
    run.mkdir()
    (run / "params.yaml").write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    write_json(run / "status.json", {"status": "interrupted", "fingerprint": cfg.fingerprint(), "stage": "train"})
    argv = ["run", "--config", str(cfg_file), "--out", str(run)]
    assert main([*argv, "--set", "train.epochs=20", "--set", "run.name=other"]) == 2
    err = capsys.readouterr().err
    assert "other parameters (train.epochs: 40 -> 20)" in err and "run.name" not in err, err
    sets = ["train.epochs=20", "model.units=[16]", "train.batch_size=64", "seed=1", "model.dropout=0.5"]
    assert main([*argv, *(a for s in sets for a in ("--set", s))]) == 2
    err = capsys.readouterr().err
    assert "seed: 42 -> 1" in err and "model.units: [8] -> [16]" in err and ", and 1 more)" in err, err
