"""Sweep runs as Dask tasks (``lstm-workbench sweep --scheduler``): each task starts a child
Python process (``python -m lstm_helpers.experiments.dask_runs``) that runs one run with
:func:`lstm_helpers.experiments.runner.execute_run`, its thread pools sized to its share of
the host's cores. The Dask workers need this package installed and the same file system
paths (data, reports). Local workers are in :mod:`lstm_helpers.experiments.runner`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from lstm_helpers.config import PROJECT_ROOT, ConfigError
from lstm_helpers.experiments.plan import PlannedRun
from lstm_helpers.experiments.progress import Progress
from lstm_helpers.experiments.resume import write_status
from lstm_helpers.experiments.runner import (
    PROGRESS_EVERY,
    SIGNAL_POLL,
    Finish,
    available_cores,
    execute_run,
    thread_environment,
)

RESULT_MARKER = "SWEEP-RESULT "
DASK_HINT = "install the dask extra: pip install -e '.[dask]'"


def run_in_subprocess(params: dict[str, Any], run_dir: str, threads: int | None = None) -> dict[str, Any]:
    """Run one sweep run in a child Python process with sized thread pools: the task a Dask
    worker executes for ``--scheduler``."""
    env = {**os.environ, **thread_environment(threads), "TF_CPP_MIN_LOG_LEVEL": "2"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lstm_helpers.experiments.dask_runs"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=str(PROJECT_ROOT),
    )
    stdout, stderr = proc.communicate(json.dumps({"params": params, "run_dir": run_dir}))
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            return json.loads(line[len(RESULT_MARKER) :])
    tail = [ln for ln in stderr.splitlines() if ln.strip()]
    if proc.returncode < 0:
        reason = f"interrupted (run process ended by signal {-proc.returncode})"
    else:
        reason = f"run process exited with code {proc.returncode}: {tail[-1] if tail else 'no output'}"[:500]
    if Path(run_dir).is_dir():
        write_status(Path(run_dir), status="failed", reason=reason)
    return {
        "status": "failed",
        "reason": reason,
        "seconds": round(time.perf_counter() - t0, 1),
        "run_dir": run_dir,
    }


def _child_main() -> None:
    """Entry point of ``python -m lstm_helpers.experiments.dask_runs``: one run from a JSON payload on stdin."""
    from lstm_helpers.runs.kernel import skip_unused_schema_format

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
    import distributed

    futures = {
        client.submit(
            run_in_subprocess,
            r.config.to_dict(),
            str(sweep_dir / r.name),
            threads,
            key=f"lstm-run-{r.name}",
            pure=False,
        ): r
        for r in todo
    }
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
        except KeyboardInterrupt:
            client.cancel(pending)
            raise
        pending = list(done_pending.not_done)
        for f in done_pending.done:
            try:
                result = f.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker etc.: record and go on
                run = futures[f]
                result = {
                    "status": "failed",
                    "reason": f"Dask task failed: {type(exc).__name__}: {exc}"[:500],
                    "seconds": None,
                    "run_dir": str(sweep_dir / run.name),
                }
            finish(futures[f], result)
            if queue:
                prog.start(queue.pop(0).name)


if __name__ == "__main__":
    _child_main()
