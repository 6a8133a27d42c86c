"""A Dask sweep stopped with Ctrl-C stops its runs on the workers too (a real LocalCluster,
a real tiny run): they left their run processes going, and the same command run again then
moved the live runs aside and started them a second time next to the first."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml
from conftest import TINY

from lstm_helpers.layout import SweepLayout

ROOT = Path(__file__).resolve().parent.parent

SWEEP = """
import sys
import distributed
from lstm_helpers.experiments import runner
with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \\
        distributed.Client(cluster) as client:
    try:
        runner.run_sweep(sys.argv[1], scheduler=client, out=sys.argv[2], html=False)
    except KeyboardInterrupt as exc:
        print("stopped", getattr(exc, "said", False), flush=True)
"""


def _sweep(sweep_file: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", SWEEP, str(sweep_file), str(out)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )


def _running_pid(run_status: Path, sweep: subprocess.Popen, limit: float = 240) -> int:
    """The pid of the run's process, once ``status.json`` says it runs a stage."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        assert sweep.poll() is None, "the sweep ended before its run started"
        with contextlib.suppress(OSError, ValueError):
            st = json.loads(run_status.read_text())
            if st.get("status") == "running" and st.get("pid") and st.get("stage"):
                return int(st["pid"])
        time.sleep(0.2)
    raise AssertionError("the run never started")


def _kill_tree(pid: int) -> None:
    with contextlib.suppress(psutil.Error):
        parent = psutil.Process(pid)
        for p in [*parent.children(recursive=True), parent]:
            p.kill()


@pytest.mark.slow
def test_ctrl_c_stops_the_runs_on_the_workers_and_the_same_command_continues_them(tmp_path, tiny_demo_dir):
    pytest.importorskip("distributed")
    sweep_file = tmp_path / "s.yaml"
    body = {"base": str(ROOT / "configs" / "demo.yaml"), "set": {**TINY, "data.path": str(tiny_demo_dir)}}
    sweep_file.write_text(yaml.safe_dump({**body, "grid": {"model.units": [[8]]}}, sort_keys=False))
    out = tmp_path / "out"
    sweep = _sweep(sweep_file, out)
    pid = None
    try:
        pid = _running_pid(_status_of_only_run(out, sweep), sweep)
        sweep.send_signal(signal.SIGINT)
        said, _ = sweep.communicate(timeout=120)
        assert "1 run stopped on the Dask workers" in said and "the same command continues it" in said, said
        assert "stopped True" in said  # the command line adds no bare "interrupted"
        run_dir = _status_of_only_run(out, None).parent
        st = json.loads((run_dir / "status.json").read_text())
        assert st["status"] == "interrupted" and st["reason"] == "interrupted (the sweep was stopped)"
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE, (
            "the run's process still runs on the worker"
        )
        assert "interrupted" in SweepLayout(out).runs_csv.read_text()

        again = _sweep(sweep_file, out)  # the same command: the run continues in place
        again.communicate(timeout=600)
        assert json.loads((run_dir / "status.json").read_text())["status"] == "finished"
        assert not SweepLayout(out).attempts.exists(), "the stopped run was moved aside, not continued"
    finally:
        sweep.kill()
        if pid is not None:
            _kill_tree(pid)


def _status_of_only_run(out: Path, sweep: subprocess.Popen | None, limit: float = 240) -> Path:
    """``status.json`` of the sweep's one run, once its directory exists."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        assert sweep is None or sweep.poll() is None, "the sweep ended before its run started"
        found = [p for p in out.glob("*/status.json") if p.parent.name != SweepLayout(out).attempts.name]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError("no run directory appeared")


def test_a_run_folder_without_its_parameters_is_not_compared_with_the_defaults(tmp_path, tiny_config):
    """The rerun of a stopped Dask sweep found folders re-created by the old run processes
    (a status.json alone) and said they held "a run with other parameters (seed: 42 -> 1,
    data.class_map: {} -> (none), ...)": the diff against the defaults that an absent
    params.yaml reads as."""
    from lstm_helpers.artifacts import write_json
    from lstm_helpers.runs.pipeline import RunRefused, check_out_dir

    run_dir = tmp_path / "run"
    write_json(run_dir / "status.json", {"status": "failed", "stage": "train", "reason": "train failed"})
    with pytest.raises(RunRefused) as caught:
        check_out_dir(run_dir, tiny_config(seed=1))
    said = str(caught.value)
    assert "without its params.yaml" in said and "cannot be resumed" in said
    assert "other parameters" not in said and "seed: 42" not in said


def test_a_run_still_going_is_never_moved_aside(tmp_path, tiny_demo_dir):
    """A run that an earlier execution of the sweep left going (its process alive: here this
    test's own) was moved to _attempts/ while that process went on writing into its folder."""
    import os
    import socket

    from lstm_helpers.artifacts import write_json
    from lstm_helpers.experiments import plan, runner
    from lstm_helpers.experiments.resume import SweepLocked

    sweep_file = tmp_path / "s.yaml"
    body = {"base": str(ROOT / "configs" / "demo.yaml"), "set": {**TINY, "data.path": str(tiny_demo_dir)}}
    sweep_file.write_text(yaml.safe_dump({**body, "grid": {"model.units": [[8]]}}, sort_keys=False))
    sweep = plan.plan_sweep(sweep_file)
    run = sweep.runs[0]
    out = tmp_path / "out"
    me = psutil.Process()
    status = {"status": "running", "stage": "train", "fingerprint": run.fingerprint, "pid": os.getpid()}
    status |= {"host": socket.gethostname(), "pid_started": round(me.create_time(), 2)}
    write_json(out / run.name / "status.json", status)
    with pytest.raises(SweepLocked, match=rf"run {run.name} of this sweep is still running \(process {os.getpid()}"):
        runner._SweepRun(sweep, out, False, None).plan_todo()
    assert (out / run.name / "status.json").is_file() and not SweepLayout(out).attempts.exists()


def test_a_run_process_ended_by_a_real_time_signal_is_named_without_a_crash():
    """``signal.Signals(34)`` raises ValueError: a run process ended by a real-time signal (or
    one this Python does not name) would have crashed the worker's report of it."""
    from lstm_helpers.experiments.dask_runs import _signal_name

    assert _signal_name(int(signal.SIGINT)) == "SIGINT"
    assert _signal_name(signal.SIGRTMIN + 1) == f"signal {signal.SIGRTMIN + 1}"
