"""Sweep runs as Dask tasks (``lstm-workbench sweep --scheduler``): each task starts a child
Python process (``python -m lstm_helpers.experiments.dask_runs``) that runs one run with
:func:`lstm_helpers.experiments.runner.execute_run`, its thread pools sized to its share of
the host's cores. The Dask workers need this package installed and the same file system
paths (data, reports). Local workers are in :mod:`lstm_helpers.experiments.runner`.

A stopped sweep (Ctrl-C, SIGTERM) stops its runs on the workers too (:func:`stop_runs`): Dask
cannot end a task that is running, so each worker keeps its run processes by sweep
(:data:`_CHILDREN`) and the sweep asks every worker to interrupt its own. A run process
stopped so marks its run ``interrupted`` as a local worker's does, and the same sweep command
continues it in place.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from lstm_helpers.config import PROJECT_ROOT, ConfigError
from lstm_helpers.experiments.plan import PlannedRun
from lstm_helpers.experiments.progress import Progress, plural
from lstm_helpers.experiments.resume import run_status, write_status
from lstm_helpers.experiments.runner import (
    PROGRESS_EVERY,
    SIGNAL_POLL,
    Finish,
    available_cores,
    execute_run,
    held_signals,
    thread_environment,
)

RESULT_MARKER = "SWEEP-RESULT "
DASK_HINT = "install the dask extra: pip install -e '.[dask]'"
STOPPED_REASON = "interrupted (the sweep was stopped)"
STOP_WAIT_S = 30.0  # seconds a stopped run process has to mark its run interrupted before it is killed
RESEND_S = 5.0  # seconds after which a stopped run process still there gets SIGINT again

# on a Dask worker: run directory -> (sweep token, run process) of the runs going on there, and
# the tokens of the sweeps that were stopped (their runs that start later do not start)
_CHILDREN: dict[str, tuple[str, subprocess.Popen]] = {}
_STOPPED: set[str] = set()
_LOCK = threading.Lock()


def run_in_subprocess(
    params: dict[str, Any], run_dir: str, threads: int | None = None, token: str = "", cwd: str | None = None
) -> dict[str, Any]:
    """Run one sweep run in a child Python process with sized thread pools: the task a Dask
    worker executes for ``--scheduler``. ``token``: the sweep's, for :func:`stop_runs`;
    ``cwd``: the sweep's current directory (messages name paths from it), where the worker has
    it, else the project root. A process ended by a signal (the sweep stopped, killed from
    outside) leaves its run ``interrupted``, which the sweep run again continues."""
    env = {**os.environ, **thread_environment(threads), "TF_CPP_MIN_LOG_LEVEL": "2"}
    t0 = time.perf_counter()
    with _LOCK:  # a run of a stopped sweep that had not started does not start
        if token in _STOPPED:
            return {"status": "interrupted", "reason": STOPPED_REASON, "seconds": 0.0, "run_dir": run_dir}
        proc = subprocess.Popen(
            [sys.executable, "-m", "lstm_helpers.experiments.dask_runs"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=cwd if cwd and Path(cwd).is_dir() else str(PROJECT_ROOT),
        )
        _CHILDREN[run_dir] = (token, proc)
    try:
        stdout, stderr = proc.communicate(json.dumps({"params": params, "run_dir": run_dir}))
    finally:
        with _LOCK:
            _CHILDREN.pop(run_dir, None)
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            return json.loads(line[len(RESULT_MARKER) :])
    status, seconds = "failed", round(time.perf_counter() - t0, 1)
    if proc.returncode < 0:  # stopped: by the sweep (stop_runs settles its status) or from outside
        status, reason = "interrupted", f"interrupted (run process ended by {_signal_name(-proc.returncode)})"
        if token in _STOPPED:
            reason = STOPPED_REASON
        else:
            _settle_stopped(Path(run_dir), reason)
    else:
        tail = [ln for ln in stderr.splitlines() if ln.strip()]
        reason = f"run process exited with code {proc.returncode}: {tail[-1] if tail else 'no output'}"[:500]
        if Path(run_dir).is_dir():
            write_status(Path(run_dir), status="failed", reason=reason)
    return {"status": status, "reason": reason, "seconds": seconds, "run_dir": run_dir}


def _signal_name(number: int) -> str:
    """``SIGINT`` for 2; a real-time or unknown signal, which ``signal.Signals`` does not name,
    as ``signal 34``."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _settle_stopped(run_dir: Path, reason: str) -> None:
    """A run whose process ended by a signal: ``interrupted`` with ``reason`` (the process
    marked it so itself when the signal let it, else it still says ``running``), unless it
    finished or failed first."""
    if run_dir.is_dir() and run_status(run_dir).get("status") in ("running", "interrupted", None):
        write_status(run_dir, status="interrupted", reason=reason)


async def stop_runs(token: str, wait: float = STOP_WAIT_S) -> list[str]:
    """Run on every Dask worker (``client.run``) when the sweep ``token`` stops: its runs on
    this worker get SIGINT (the run process kills its kernel, marks the run interrupted and
    ends, as ``lstm-workbench run`` does on Ctrl-C), a process still there after ``wait``
    seconds is killed with its kernel; its runs not yet started will not start. Returns the
    names of the runs stopped, once their processes have ended and their status says so."""
    import psutil

    with _LOCK:
        _STOPPED.add(token)
        mine = [(d, p) for d, (t, p) in _CHILDREN.items() if t == token]
    for _, proc in mine:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGINT)
    start, resent = time.monotonic(), False
    while any(p.poll() is None for _, p in mine) and time.monotonic() - start < wait:
        await asyncio.sleep(0.1)  # the worker's event loop stays free meanwhile
        if not resent and time.monotonic() - start >= RESEND_S:  # a signal that came before the
            resent = True  # process had its handler (still importing) was lost: once more
            for _, proc in mine:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGINT)
    for _, proc in mine:
        if proc.poll() is None:
            with contextlib.suppress(psutil.Error):
                for child in [*psutil.Process(proc.pid).children(recursive=True), psutil.Process(proc.pid)]:
                    child.kill()
            proc.wait()
    for run_dir, _ in mine:
        _settle_stopped(Path(run_dir), STOPPED_REASON)
    return [Path(d).name for d, _ in mine]


def _child_main() -> None:
    """Entry point of ``python -m lstm_helpers.experiments.dask_runs``: one run from a JSON payload on stdin."""
    from lstm_helpers.runs.kernel import skip_unused_schema_format

    # Ctrl-C's KeyboardInterrupt also where the worker was started with SIGINT ignored (a
    # script's background job): the process inherits that, and stop_runs stops it with SIGINT
    signal.signal(signal.SIGINT, signal.default_int_handler)
    skip_unused_schema_format()
    payload = json.loads(sys.stdin.read())
    result = execute_run(payload["params"], payload["run_dir"])
    print(RESULT_MARKER + json.dumps(result), flush=True)


def import_distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise ConfigError(f"--scheduler needs Dask distributed, which is not installed; {DASK_HINT}") from exc
    return distributed


def dask_threads(client: Any) -> tuple[int, int]:
    """(threads per run, total worker threads) on a Dask cluster: per host, cores // worker threads."""
    from urllib.parse import urlparse

    nthreads = client.nthreads()
    if not nthreads:
        raise RuntimeError("the Dask cluster has no workers")
    cores = client.run(available_cores)
    per_host: dict[str, int] = {}
    host_cores: dict[str, int] = {}
    for addr, n in nthreads.items():
        host = urlparse(addr).hostname or addr
        per_host[host] = per_host.get(host, 0) + int(n)
        host_cores[host] = int(cores.get(addr, 1))
    threads = min(max(1, host_cores[h] // n) for h, n in per_host.items())
    return threads, sum(per_host.values())


def run_dask(
    client: Any,
    todo: list[PlannedRun],
    sweep_dir: Path,
    threads: int,
    finish: Finish,
    prog: Progress,
) -> None:
    """Every run of ``todo`` as a task on ``client``'s cluster; results reach ``finish`` in
    this (the main) thread. Ctrl-C / SIGTERM, or any other error here, stops the sweep's runs
    on the workers (:func:`stop_runs`, their runs ``interrupted``), cancels the rest and re-raises."""
    token = f"{sweep_dir.name}-{uuid.uuid4().hex[:12]}"
    futures: dict[Any, PlannedRun] = {}
    try:  # a stop while the tasks are submitted stops those already submitted
        for r in todo:
            key = f"lstm-run-{r.name}-{token}"
            args = (r.config.to_dict(), str(sweep_dir / r.name), threads, token, os.getcwd())
            futures[client.submit(run_in_subprocess, *args, key=key, pure=False)] = r
        _collect(futures, todo, sweep_dir, finish, prog)
    except BaseException as exc:  # Ctrl-C, or this thread failed: the runs on the workers stop too
        _stop_on_workers(client, token, list(futures), exc, prog)
        raise


def _collect(
    futures: dict[Any, PlannedRun], todo: list[PlannedRun], sweep_dir: Path, finish: Finish, prog: Progress
) -> None:
    """Hand each task's result to ``finish`` as it arrives (and the progress line meanwhile)."""
    import distributed

    for r in todo[: prog.workers]:  # Dask does not say when a task starts: the first slots start now
        prog.start(r.name)
    queue = list(todo[prog.workers :])
    pending, said = list(futures), time.monotonic()
    while pending:
        try:  # a short wait, as the local workers' (runner._collect): Ctrl-C caught by another thread
            # (Dask's, a task's) is acted on only when this one's wait ends
            done_pending = distributed.wait(pending, timeout=SIGNAL_POLL, return_when="FIRST_COMPLETED")
        except distributed.TimeoutError:
            if prog.enabled and time.monotonic() - said >= PROGRESS_EVERY:
                print(prog.line(), flush=True)
                said = time.monotonic()
            continue
        pending = list(done_pending.not_done)
        for f in done_pending.done:
            try:
                result = f.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker etc.: record and go on
                result = {
                    "status": "failed",
                    "reason": f"Dask task failed: {type(exc).__name__}: {exc}"[:500],
                    "seconds": None,
                    "run_dir": str(sweep_dir / futures[f].name),
                }
            finish(futures[f], result)
            if queue:
                prog.start(queue.pop(0).name)


def _stop_on_workers(client: Any, token: str, futures: list[Any], exc: BaseException, prog: Progress) -> None:
    """Stop the sweep ``token``'s runs on every worker and wait until they have marked their
    runs interrupted (a second Ctrl-C meanwhile stops the wait), cancel its tasks, and say so
    with the command that continues (after a Ctrl-C; the command line then adds nothing)."""
    stopped: list[str] | None = None
    why = "the Dask workers could not be reached: runs may still be going on there"
    try:
        with held_signals():
            stopped = [name for names in client.run(stop_runs, token).values() for name in names]
    except KeyboardInterrupt:  # a second and third Ctrl-C: the runs are left as they are
        why = "the stop of its runs on the Dask workers was itself interrupted: runs may still be going on there"
    except Exception:  # noqa: BLE001 - the scheduler is gone: say that runs may still be going on
        pass
    with contextlib.suppress(Exception):
        client.cancel(futures)
    if not isinstance(exc, KeyboardInterrupt) or not prog.enabled:
        return
    exc.said = True  # type: ignore[attr-defined]  # cli: runs.terminal.already_said
    where = f"{plural(len(stopped), 'run')} stopped on the Dask workers" if stopped is not None else why
    print(f"[sweep] interrupted ({where}): the same command continues it (runs from their last epoch)", flush=True)


if __name__ == "__main__":
    _child_main()
