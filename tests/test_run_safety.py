"""Runs stay true under faults: run names claimed atomically by concurrent processes, a dead
``running`` shown as ``interrupted``, a SIGTERM to the CLI stops its kernel, a resume that
finishes updates status, report and index, a full disk never leaves a truncated notebook,
and model files Keras itself wrote are refused when broken or unsafe."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest
import yaml

from lstm_helpers.artifacts import NotAModel
from lstm_helpers.config import resolve_config
from lstm_helpers.runs.pipeline import RunRefused, check_out_dir, run_status

ROOT = Path(__file__).resolve().parent.parent


def _status(run: Path, **fields) -> None:
    run.mkdir(parents=True, exist_ok=True)
    (run / "status.json").write_text(json.dumps(fields))


def test_run_names_are_claimed_atomically_by_concurrent_processes(tmp_path):
    start = time.time() + 3.0
    code = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from lstm_helpers.runs.pipeline import claim_run_dir
        while time.time() < {start}:
            time.sleep(0.001)
        for _ in range(5):
            print(claim_run_dir(Path({str(tmp_path)!r}), "20260101-000000_lstm"))
    """)
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [e for _, e in outs]
    claimed = [line for out, _ in outs for line in out.split()]
    assert len(claimed) == 30 and len(set(claimed)) == 30
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(Path(c).name for c in claimed)


def test_a_dead_running_status_reads_interrupted_with_the_resume_command(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    run = tmp_path / "r"
    host = socket.gethostname()
    _status(run, status="running", stage="train", pid=dead.pid, host=host)
    st = run_status(run)
    assert st["status"] == "interrupted" and "stage train" in st["reason"]
    assert st["resume"].startswith("lstm-workbench run --config") and st["resume"].endswith(f"--out {run}")
    # stopped while its pages were written, every stage done: rewriting the pages finishes it
    _status(
        run, status="running", stage="report", stages_done=["prepare", "train", "evaluate"], pid=dead.pid, host=host
    )
    assert run_status(run)["resume"] == f"lstm-workbench report --run {run}"
    from lstm_helpers.runs.pipeline import finish_pages

    finish_pages(run)
    assert run_status(run)["status"] == "finished"
    spaced = tmp_path / "my run"  # a path with a space is quoted for the shell
    _status(spaced, status="running", stage="train", pid=dead.pid, host=host)
    assert run_status(spaced)["resume"].endswith(f"--out '{spaced}'")
    me = psutil.Process()
    _status(run, status="running", pid=me.pid, host=host, pid_started=me.create_time())
    assert run_status(run)["status"] == "running"
    _status(run, status="running", pid=me.pid, host=host, pid_started=me.create_time() - 1000)  # pid reused
    assert run_status(run)["status"] == "interrupted"
    old = (dt.datetime.now() - dt.timedelta(hours=1)).isoformat(timespec="seconds")
    _status(run, status="running", pid=1, host="another-machine", heartbeat=old)
    assert run_status(run)["status"] == "interrupted"
    _status(
        run,
        status="running",
        pid=1,
        host="another-machine",
        heartbeat=dt.datetime.now().isoformat(),
    )
    assert run_status(run)["status"] == "running"
    assert run_status(tmp_path / "none")["status"] == "unknown"
    from lstm_helpers.runs.report import key_metrics

    _status(run, status="running", stage="prepare", pid=dead.pid, host=host)
    assert key_metrics(run)["status"] == "interrupted" and key_metrics(run)["resume"]


def test_out_accepts_only_an_empty_folder_or_the_runs_own_resume(tmp_path):
    cfg = resolve_config({})
    check_out_dir(tmp_path / "new", cfg)
    (tmp_path / "empty").mkdir()
    check_out_dir(tmp_path / "empty", cfg)
    for status in ("failed", "partial", "interrupted"):
        _status(tmp_path / status, status=status, fingerprint=cfg.fingerprint())
        check_out_dir(tmp_path / status, cfg)  # its own resume
        with pytest.raises(RunRefused, match="other parameters"):
            check_out_dir(tmp_path / status, resolve_config({}, {"seed": 1}))
    _status(tmp_path / "done", status="finished", fingerprint=cfg.fingerprint())
    with pytest.raises(RunRefused, match="never rewritten"):
        check_out_dir(tmp_path / "done", cfg)


def _config_file(tmp_path: Path, data_dir: Path, reports: Path, **overrides) -> Path:
    from conftest import TINY

    raw = yaml.safe_load((ROOT / "configs" / "demo.yaml").read_text())
    cfg = resolve_config(raw, {**TINY, "data.path": str(data_dir), "run.reports_dir": str(reports), **overrides})
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    return path


def _cli(*args: str, tmp: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    if tmp is not None:  # the process's temporary directory, to see what it leaves there
        env["TMPDIR"] = str(tmp)
    return subprocess.Popen(
        [sys.executable, "-m", "lstm_helpers", *args],
        env=env,
        cwd=str(ROOT),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_sigterm_stops_the_kernel_and_a_resume_finishes_the_run(tmp_path, tiny_demo_dir):
    reports = tmp_path / "reports"
    cfg_file = _config_file(tmp_path, tiny_demo_dir, reports)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    cli = _cli("run", "--config", str(cfg_file), "--quiet", tmp=tmp)
    kernels: list[psutil.Process] = []
    deadline = time.time() + 120
    while time.time() < deadline and not kernels:  # kill as soon as the stage's kernel runs
        kernels = [p for p in psutil.Process(cli.pid).children(recursive=True) if "ipykernel" in " ".join(p.cmdline())]
        time.sleep(0.2)
    assert kernels, "no kernel started"
    time.sleep(1.0)
    cli.send_signal(signal.SIGTERM)
    _, said = cli.communicate(timeout=60)
    assert cli.returncode == -signal.SIGTERM
    assert "stopped by SIGTERM during stage" in said and "; resume: lstm-workbench run --config" in said
    gone, alive = psutil.wait_procs(kernels, timeout=15)
    assert not alive, f"kernel(s) survived: {[p.pid for p in alive]}"
    (run,) = [p for p in reports.iterdir() if p.is_dir()]
    st = run_status(run)
    assert st["status"] == "interrupted" and "SIGTERM" in st["reason"] and "--out" in st["resume"]
    assert not (run / "01_prepare.ipynb").exists() or json.loads((run / "01_prepare.ipynb").read_text())
    assert not list(run.glob(".*.partial.ipynb"))  # papermill's unfinished copy removed
    # the kernel's connection file (ports, key) was left in TMPDIR as tmpXXXXXXXX.json
    assert not list(tmp.glob("*.json")), sorted(p.name for p in tmp.iterdir())

    resume = _cli(*st["resume"].split()[1:], tmp=tmp)  # the printed command, as a user would run it
    out, err = resume.communicate(timeout=600)
    assert resume.returncode == 0, err[-3000:]
    assert not list(tmp.rglob("*.json"))  # the stopped kernel's directory went at the next start
    st = run_status(run)
    assert st["status"] == "finished" and st["stages_done"] == ["prepare", "train", "evaluate"]
    assert "pid" in st and not st.get("reason")
    assert (run / "report.html").is_file()
    assert list(st["stage_seconds"]) == ["prepare", "train", "evaluate"]
    # the total counts the attempt SIGTERM stopped too (status.json elapsed_seconds), never below its stages
    assert st["seconds"] >= sum(st["stage_seconds"].values()) - 0.1
    assert re.search(r"ran [\d.]+ s in all attempts: prepare", (run / "report.html").read_text())
    index = (reports / "index.html").read_text()
    assert run.name in index and "interrupted" not in index
    again = _cli("run", "--config", str(run / "params.yaml"), "--out", str(run))
    _, err = again.communicate(timeout=120)
    assert again.returncode == 2 and "never rewritten" in err  # finished: immutable


@pytest.mark.slow
def test_full_disk_leaves_no_truncated_notebook_and_a_true_status(tmp_path, tiny_demo_dir):
    mnt = tmp_path / "small"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()[:120]}")
    try:
        reports = mnt / "reports"
        cfg_file = _config_file(tmp_path, tiny_demo_dir, reports)
        free = os.statvfs(mnt).f_bavail * os.statvfs(mnt).f_frsize
        (mnt / "filler").write_bytes(b"\0" * (free - 120_000))  # leaves ~120 kB: prepared.npz will not fit
        cli = _cli("run", "--config", str(cfg_file), "--quiet")
        out, err = cli.communicate(timeout=300)
        assert cli.returncode not in (0, None), out
        (run,) = [p for p in reports.iterdir() if p.is_dir()]
        assert run_status(run)["status"] in ("failed", "interrupted")
        for nb in run.glob("*.ipynb"):  # a stage notebook is complete or absent, never truncated
            json.loads(nb.read_text())
        assert not list(run.glob(".*.partial.ipynb"))
        (mnt / "filler").unlink()
        report = _cli("report", "--run", str(run))
        _, err = report.communicate(timeout=300)
        assert report.returncode == 0 or "not a readable notebook" in err, err[-2000:]
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.mark.slow
def test_model_files_keras_wrote_are_refused_when_broken_or_unsafe(tmp_path):
    import keras

    from lstm_helpers.model.models import load_trained_model

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.save(tmp_path / "good.keras")
    assert isinstance(load_trained_model(tmp_path / "good.keras"), keras.Model)
    good = (tmp_path / "good.keras").read_bytes()
    (tmp_path / "cut.keras").write_bytes(good[: len(good) - 100])
    with pytest.raises(NotAModel, match=r"cut.keras: not a model this workbench saved \(truncated"):
        load_trained_model(tmp_path / "cut.keras")
    lam = keras.Sequential([keras.Input((4,)), keras.layers.Lambda(lambda x: x * 2)])
    lam.save(tmp_path / "lambda.keras")
    with pytest.raises(NotAModel, match="lambda.keras: not a model this workbench saved") as err:
        load_trained_model(tmp_path / "lambda.keras")
    assert "\n" not in str(err.value) and len(str(err.value)) < 400
