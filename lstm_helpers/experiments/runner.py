"""Running a sweep: every planned run on a warm local worker or a Dask cluster, resumable,
with a lock, SIGTERM handling, progress lines and the comparison at the end.

Layout: ``reports/sweeps/<sweep id>/`` holds one normal run directory per run plus
``sweep.yaml``, ``sweep.json`` + ``runs.csv`` (every planned run with status, reason and seconds),
``comparison.csv`` / ``.json``, ``04_compare.ipynb`` and ``comparison.html`` (:class:`~lstm_helpers.layout.SweepLayout`).

Local workers (``--workers N``) are N threads of this process; each keeps ONE warm Jupyter
kernel (:class:`lstm_helpers.runs.kernel.StageKernel`) and runs every stage notebook of each
of its runs in it with :func:`lstm_helpers.runs.pipeline.run_pipeline`, so TensorFlow is
imported once per worker, not three times per run (the kernel is reset between notebooks;
results do not depend on what ran before in it). The kernels get ``TF_NUM_INTRAOP_THREADS``
/ ``TF_NUM_INTEROP_THREADS`` / ``OMP_NUM_THREADS`` = ``max(1, cores // workers)`` (TensorFlow
reads them when it starts) so N parallel runs do not oversubscribe the cores. When every
run is back, one worker's kernel, still warm, renders the comparison page. With
``scheduler`` each run is a child process started by a task on a Dask distributed worker
instead (:mod:`lstm_helpers.experiments.dask_runs`).
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from queue import Empty, SimpleQueue
from typing import Any

from lstm_helpers.artifacts import write_text, write_yaml
from lstm_helpers.config import ConfigError, resolve_config
from lstm_helpers.experiments.groups import sweep_command
from lstm_helpers.experiments.plan import PlannedRun, Sweep, plan_sweep
from lstm_helpers.experiments.progress import Progress, plural
from lstm_helpers.experiments.resume import (
    SweepLocked,
    acquire_lock,
    check_same_sweep,
    continues_in_place,
    finished_runs,
    move_aside,
    records_from_sweep,
    run_dirs_in,
    run_record,
    run_status,
    write_bookkeeping,
    write_status,
)
from lstm_helpers.experiments.sweep_checks import check_sweep_inputs
from lstm_helpers.layout import RunLayout, SweepLayout
from lstm_helpers.unused import baseline_applies

__all__ = [
    "SweepLocked",
    "run_sweep",
    "execute_run",
    "threads_per_run",
    "thread_environment",
    "available_cores",
]

THREAD_VARIABLES = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS")
PARALLEL_RUNS = "LSTM_WORKBENCH_PARALLEL_RUNS"  # read by lstm_helpers.model.machine.run_threads
PROGRESS_EVERY = 30  # seconds between progress lines while no run ends
SIGNAL_POLL = 0.25  # seconds the main thread waits for a result before it looks at signals again


# ============================================================================ one run
def thread_environment(threads: int | None, runs: int | None = None) -> dict[str, str]:
    """Environment variables that size TensorFlow's / OpenMP's thread pools (empty for None);
    with ``runs``, also how many runs share the machine at a time (:data:`PARALLEL_RUNS`: the
    run's train.json and device line say it beside its timing)."""
    if not threads:
        return {}
    return dict.fromkeys(THREAD_VARIABLES, str(int(threads))) | ({PARALLEL_RUNS: str(int(runs))} if runs else {})


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def threads_per_run(workers: int, cores: int | None = None) -> int:
    """``max(1, cores // workers)``: threads each of ``workers`` parallel runs may use, at most
    a ``TF_NUM_INTRAOP_THREADS`` set by the user (a shared machine's limit: it was overridden)."""
    fair, own = max(1, (cores or available_cores()) // max(1, workers)), os.environ.get("TF_NUM_INTRAOP_THREADS", "")
    return min(fair, int(own)) if own.isdigit() and int(own) > 0 else fair


def execute_run(
    params: dict[str, Any], run_dir: str | Path, kernel: Any = None, prefit: bool = False
) -> dict[str, Any]:
    """Run one sweep run in this process with :func:`lstm_helpers.runs.pipeline.run_pipeline`,
    printing nothing; ``kernel``: a worker's warm :class:`~lstm_helpers.runs.kernel.StageKernel`
    (None: one kernel started for this run); ``prefit``: fit the baseline beside training
    (:func:`shared_fit_leaders`). Never raises for a failing run: returns ``{"status": "finished"
    | "failed" | "interrupted", "reason", "seconds", "run_dir"}``, the word ``status.json`` says:
    ``interrupted`` where the run's kernel died (killed from outside), which the sweep run again
    continues in place (it was "failed" here and on the terminal, "interrupted" in status.json)."""
    from lstm_helpers.runs.pipeline import RunFailed, run_pipeline

    run_dir, cfg = Path(run_dir), None
    t0 = time.perf_counter()
    status, reason = "finished", None
    try:
        cfg = resolve_config(params)
        run_pipeline(cfg, run_dir, quiet=True, report=True, kernel=kernel, silent=True, prefit=prefit)
    except RunFailed as exc:  # ``resume`` set: its kernel died, the run is resumable (status.json: interrupted)
        status, reason = "interrupted" if exc.resume else "failed", str(exc)
    except Exception as exc:  # noqa: BLE001 - reported as the run's reason, the sweep goes on
        status, reason = "failed", f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
        if cfg is not None and not run_dir.exists():  # refused before its directory existed (bad input):
            write_yaml(run_dir / "params.yaml", cfg.to_dict())  # its parameters, for the comparison
        if run_dir.is_dir():
            write_status(run_dir, status="failed", reason=reason)
    return {
        "status": status,
        "reason": reason,
        "seconds": round(time.perf_counter() - t0, 1),
        "run_dir": str(run_dir),
    }


PREPARE_SECTIONS = ("seed", "data", "split", "windows", "scale", "resample")  # what stage 01 reads


def shared_fit_leaders(runs: list[PlannedRun]) -> set[str]:
    """Names of the runs that fit the MiniRocket baseline beside their training: the first
    of every group of two or more runs whose stage-01 settings (:data:`PREPARE_SECTIONS`)
    agree, i.e. a sweep over model / training parameters on the same split. The others of
    the group read that fit from the sweep's baseline cache instead of waiting for it at
    their evaluation stage. Every other run fits at its own stage 03: one prefit per run
    would put a third busy thread on each core's worth of workers (a seed sweep measured no
    faster). Whether a fit is really shared is decided by the cache (a fingerprint of the
    windows themselves); this only picks who starts early."""
    groups: dict[str, list[str]] = {}
    for run in runs:
        if not baseline_applies(run.config):  # none, or token ids
            continue
        d = run.config.to_dict()
        key = json.dumps({k: d[k] for k in PREPARE_SECTIONS}, sort_keys=True, default=str)
        groups.setdefault(key, []).append(run.name)
    return {names[0] for names in groups.values() if len(names) > 1}


# ============================================================================ the sweep
def run_sweep(
    file: str | Path,
    workers: int = 1,
    scheduler: str | None = None,
    overrides: dict[str, Any] | list[str] | None = None,
    out: str | Path | None = None,
    mlflow_uri: str | None = None,
    progress: bool = True,
    html: bool = True,
    threads: int | None = None,
) -> dict[str, Any]:
    """Run (or resume) every run of a sweep file, then write the comparison.

    Parameters
    ----------
    file : path
        Sweep YAML (base, description, set, grid, variants, seeds, references).
    workers : int
        Runs in parallel on this machine: worker threads, each with one warm kernel for
        all of its runs (thread pools sized ``max(1, cores // workers)``). Ignored with
        ``scheduler``.
    scheduler : str, optional
        Dask scheduler address (``tcp://host:8786``) or a ``distributed.Client``: each run
        becomes a task on the cluster.
    overrides : dict or list of "key=value", optional
        Applied to every run (must not touch swept keys).
    out : path, optional
        Sweep directory; default ``<reports_dir>/sweeps/<sweep id>``.
    mlflow_uri : str, optional
        Also log each new run's parameters, metrics and report to MLflow.
    progress : bool
        Print progress lines (runs finished / failed / running, ETA).
    html : bool
        Also render comparison.html (notebooks/04_compare.ipynb); comparison.csv is always written.
    threads : int, optional
        TensorFlow / OpenMP threads per run; default ``max(1, cores // workers)`` (local) or
        per Dask host ``max(1, cores // worker threads on that host)``.

    Returns
    -------
    dict
        ``sweep_dir``, ``sweep_id``, ``total``, ``done`` (finished, including those skipped
        as already finished), ``failed``, ``interrupted`` (continued by ``resume``), ``skipped``, ``runs``,
        ``comparison_csv``, ``comparison_html`` (None when ``html`` is False).

    Raises
    ------
    ConfigError
        Before any run directory is created, when the sweep file or any run's parameters
        are invalid, or a needed extra (MLflow, Dask) is missing.
    SweepLocked
        When another live process runs the same sweep directory.
    """
    if workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {workers}")
    sweep = plan_sweep(file, overrides)
    if mlflow_uri:
        from lstm_helpers.experiments.tracking import import_mlflow

        import_mlflow()  # fail before running anything when tracking cannot work
    if scheduler is not None:
        from lstm_helpers.experiments.dask_runs import import_distributed

        import_distributed()
    else:  # the data on this machine: a missing file or column fails every run, so say it now
        check_sweep_inputs(sweep)
    sweep_dir = Path(out).resolve() if out else sweep.default_dir()
    check_same_sweep(sweep, sweep_dir)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    lock = acquire_lock(sweep_dir)
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():  # `kill PID` stops it like Ctrl-C, and
        # SIGINT stops it even where it started ignored (a script's background job), as `run` does
        previous = {s: signal.signal(s, _interrupt) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        return _SweepRun(sweep, sweep_dir, progress, mlflow_uri).run(workers, scheduler, threads, html)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        lock.unlink(missing_ok=True)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def held_signals() -> Iterator[None]:
    """Ctrl-C / SIGTERM held back while the block runs (in the main thread; elsewhere a no-op)
    and acted on when it ends: MLflow's file store writes a run's ``meta.yaml`` in steps, and a
    stop in between left it empty, which breaks every later search of that experiment (the
    resumed sweep's, MLflow's UI). A second signal meanwhile stops at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def hold(signum: int, frame: Any) -> None:
        if caught:
            raise KeyboardInterrupt(f"signal {signum}")
        caught.append(signum)

    for s in previous:
        signal.signal(s, hold)
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    if caught:
        raise KeyboardInterrupt(f"signal {caught[0]}")


class _SweepRun:
    """One execution of a sweep in a locked directory: bookkeeping shared by the run threads."""

    def __init__(self, sweep: Sweep, sweep_dir: Path, progress: bool, mlflow_uri: str | None):
        self.sweep, self.dir, self.progress, self.mlflow_uri = sweep, sweep_dir, progress, mlflow_uri
        self.records: dict[str, dict[str, Any]] = {}
        self.meta: dict[str, Any] = {}
        self.lock = threading.Lock()
        self.prog: Progress | None = None

    def plan_todo(self) -> list[PlannedRun]:
        """Records for every run; finished ones are kept, failed attempts moved aside."""
        done_by_fp = finished_runs(self.dir)
        todo: list[PlannedRun] = []
        for run in self.sweep.runs:
            if run.fingerprint in done_by_fp:
                d = done_by_fp[run.fingerprint]
                self.records[run.name] = run_record(run, d, "finished", None, run_status(d).get("seconds"), True)
                continue
            for d in run_dirs_in(self.dir):  # failed attempts of this run aside; a stopped one continues
                mine = d.name == run.name or run_status(d).get("fingerprint") == run.fingerprint
                if mine and not continues_in_place(d, run):
                    move_aside(d, self.dir)
            self.records[run.name] = run_record(run, self.dir / run.name, "pending", None, None, False)
            todo.append(run)
        return todo

    def run(self, workers: int, scheduler: Any, threads: int | None, html: bool) -> dict[str, Any]:
        write_text(SweepLayout(self.dir).spec, self.sweep.file.read_text())
        todo = self.plan_todo()
        client = None
        if scheduler is not None:
            from lstm_helpers.experiments import dask_runs

            distributed = dask_runs.import_distributed()
            client = scheduler if isinstance(scheduler, distributed.Client) else distributed.Client(scheduler)
            per_run, slots = dask_runs.dask_threads(client)
            where = f"Dask scheduler {client.scheduler.address}"
        else:
            per_run, slots = threads_per_run(workers), workers
            where = plural(workers, "local worker")
        per_run = threads or per_run
        self.meta = {
            "started": dt.datetime.now().isoformat(timespec="seconds"),
            "where": where,
            "threads_per_run": per_run,
        }
        self.save()
        self.log_skipped(todo)
        self.prog = Progress(len(todo), slots, len(self.sweep.runs) - len(todo), enabled=self.progress,
                             resume=sweep_command(self.dir))  # fmt: skip
        if self.progress:
            print(
                f"[sweep] {self.sweep.sweep_id}: {plural(len(self.sweep.runs), 'run')}, {len(todo)} to run "
                f"on {where}, {plural(per_run, 'thread')} each" + "".join(f"\n[sweep] {n}" for n in self.sweep.notes),
                flush=True,
            )
        warm = None  # a local worker's kernel, for the comparison page (no kernel start, imports done)
        try:
            try:
                if client is not None:
                    dask_runs.run_dask(client, todo, self.dir, per_run, self.finish, self.prog)
                else:
                    warm = _run_local(todo, self.dir, workers, per_run, self.finish, self.prog)
            finally:
                self.meta["ended"] = dt.datetime.now().isoformat(timespec="seconds")
                self.settle_unfinished()
                self.save()
                if client is not None and client is not scheduler:
                    client.close()
            return self.result(html, warm)
        finally:
            if warm is not None:
                warm.close()

    def log_skipped(self, todo: list[PlannedRun]) -> None:
        """With MLflow: runs skipped as finished that a stopped sweep had not logged yet."""
        if not self.mlflow_uri:
            return
        from lstm_helpers.experiments.tracking import log_missing_runs

        planned = {r.name for r in todo}
        skipped = [r for r in self.sweep.runs if r.name not in planned]
        dirs = [Path(self.records[r.name]["run_dir"]) for r in skipped]
        tags = {Path(self.records[r.name]["run_dir"]).name: self._tags(r) for r in skipped}
        try:
            with held_signals():
                logged = log_missing_runs(dirs, self.mlflow_uri, self.sweep.sweep_id, tags)
            if logged and self.progress:
                print(f"[sweep] logged {plural(len(logged), 'run')} to MLflow that finished before the sweep stopped")
        except Exception as exc:  # noqa: BLE001 - tracking never stops a sweep
            print(f"[sweep] MLflow logging of finished runs failed: {exc}", flush=True)

    def _tags(self, run: PlannedRun) -> dict[str, str]:
        return {"variant": run.variant or "", "sweep": self.sweep.sweep_id}

    def settle_unfinished(self) -> None:
        """Records still ``pending`` when the sweep ends (it was stopped, and a run in flight is
        never passed to :meth:`finish`): what the run's own directory says, ``interrupted`` for
        a run that started (its ``status.json``, which may still say ``running`` when its kernel
        was killed first, says so too); a run that never started stays ``pending``."""
        for rec in self.records.values():
            st = run_status(Path(rec["run_dir"])) if rec["status"] == "pending" else {}
            if st.get("status"):
                status = st["status"] if st["status"] in ("finished", "failed") else "interrupted"
                reason = st.get("reason") or (
                    "interrupted (the sweep was stopped)" if status == "interrupted" else None
                )
                rec.update(status=status, reason=reason, seconds=st.get("seconds"))
                if st["status"] == "running":  # its worker had no time to say so (a second Ctrl-C)
                    write_status(Path(rec["run_dir"]), status=status, reason=reason)

    def save(self) -> None:
        write_bookkeeping(self.sweep, self.dir, list(self.records.values()), self.meta)

    def finish(self, run: PlannedRun, result: dict[str, Any]) -> None:
        """Record a run's result (called from the run threads), then log it to MLflow."""
        with self.lock:
            self.records[run.name].update(status=result["status"], reason=result["reason"], seconds=result["seconds"])
            self.prog.record(run.name, result)
            self.save()
        if self.mlflow_uri:
            from lstm_helpers.experiments.tracking import log_run_to_mlflow

            try:
                with held_signals():  # a stop mid-write left an empty meta.yaml that MLflow cannot read
                    log_run_to_mlflow(
                        Path(result["run_dir"]), self.mlflow_uri, self.sweep.sweep_id, tags=self._tags(run)
                    )
            except Exception as exc:  # noqa: BLE001 - tracking never stops a sweep
                print(f"[sweep] MLflow logging of {run.name} failed: {exc}", flush=True)

    def result(self, html: bool, kernel: Any = None) -> dict[str, Any]:
        from lstm_helpers.experiments.compare import write_comparison

        recs = [self.records[r.name] for r in self.sweep.runs]
        out = {
            "sweep_dir": self.dir,
            "sweep_id": self.sweep.sweep_id,
            "total": len(recs),
            "done": sum(r["status"] == "finished" for r in recs),
            "failed": sum(r["status"] == "failed" for r in recs),
            "interrupted": sum(r["status"] == "interrupted" for r in recs),  # continued by the same command:
            "resume": sweep_command(self.dir),
            "skipped": sum(r["skipped"] for r in recs),
            "runs": recs,
        }
        csv_path, html_path = write_comparison(
            self.dir, records_from_sweep(self.dir), title=self.sweep.title, html_report=html, kernel=kernel
        )
        out.update(comparison_csv=csv_path, comparison_html=html_path)
        return out


Finish = Callable[[PlannedRun, dict[str, Any]], None]


def _run_local(
    todo: list[PlannedRun],
    sweep_dir: Path,
    workers: int,
    threads: int,
    finish: Finish,
    prog: Progress,
) -> Any:
    """``workers`` threads, each with one warm kernel for all of its runs; results reach
    ``finish`` in this (the main) thread. Returns one worker's kernel, still running (its
    imports done: the comparison page renders in it), the caller closes it; None when none
    runs. Ctrl-C / SIGTERM, or any other error in this thread, stops the workers and kills the
    kernels (the runs in flight end as failed, ``interrupted``) and re-raises."""
    import papermill  # noqa: F401 - see below

    from lstm_helpers.runs.kernel import StageKernel
    from lstm_helpers.runs.pipeline import kernel_name

    # papermill (and requests, which it imports) is imported here, before the worker threads:
    # imported by a worker while another left a ``warnings.catch_warnings`` block (jupyter_core
    # enters one per kernel call), requests' filter for urllib3's SOCKS DependencyWarning was
    # undone mid-import and the warning reached the terminal
    queue = collections.deque(todo)
    leaders = shared_fit_leaders(todo)
    results: SimpleQueue[tuple[PlannedRun, dict[str, Any]]] = SimpleQueue()
    stop = threading.Event()
    n = min(workers, len(todo))
    kernels = [StageKernel(kernel_name(), env=thread_environment(threads, n)) for _ in range(n)]
    leaving = _Leaving(len(kernels), stop)
    pool = [
        threading.Thread(
            target=_worker,
            args=(k, queue, results, stop, sweep_dir, prog, leaders, leaving),
            name=f"sweep-worker-{i}",
        )
        for i, k in enumerate(kernels)
    ]
    try:  # the workers start inside: a Ctrl-C while one starts (its run already begun) stops them too
        for t in pool:
            t.start()
        _collect(todo, pool, results, finish, prog)
    except BaseException as exc:  # Ctrl-C, or the main thread failed (a closed terminal pipe): stop every worker
        stop.set()
        for k in kernels:  # the worker threads notice the dead kernel, record the run and end
            k.kill()
        if isinstance(exc, KeyboardInterrupt) and prog.enabled:
            # the command line adds no bare "interrupted" after this line, nor for a second Ctrl-C
            # that stops the stop (cli: runs.terminal.already_said); set before the line is printed
            exc.said = True
            print("[sweep] interrupted: the same command continues it (runs from their last epoch)", flush=True)
        for t in pool:
            if t.ident is not None:  # started
                t.join(timeout=60)
        for k in kernels:
            k.close()
        raise
    warm = next((k for k in kernels if k.km is not None and k.alive()), None)
    for k in kernels:
        if k is not warm:
            k.close()
    return warm


def _collect(
    todo: list[PlannedRun],
    pool: list[threading.Thread],
    results: SimpleQueue[tuple[PlannedRun, dict[str, Any]]],
    finish: Finish,
    prog: Progress,
) -> None:
    """Hand each run's result to ``finish`` as it arrives (and the progress line meanwhile)
    until every run of ``todo`` is back and the workers have ended."""
    received, said = 0, time.monotonic()
    while received < len(todo) and (any(t.is_alive() for t in pool) or not results.empty()):
        try:  # a short wait: a signal the kernel hands to a worker thread is acted on only here, in
            # the main thread, once its wait ends (a 30 s wait let Ctrl-C wait for a run to end, and the next start)
            run, result = results.get(timeout=SIGNAL_POLL)
        except Empty:
            if prog.enabled and time.monotonic() - said >= PROGRESS_EVERY:
                print(prog.line(), flush=True)
                said = time.monotonic()
            continue
        finish(run, result)
        received, said = received + 1, time.monotonic()  # finish printed the run's line and progress
    for t in pool:
        t.join()


class _Leaving:
    """Workers that find the queue empty close their kernel (an idle one holds ~1 GB while the
    others finish), except the last to leave: its kernel, still warm, renders the comparison."""

    def __init__(self, workers: int, stop: threading.Event) -> None:
        self.left, self.stop, self.lock = workers, stop, threading.Lock()

    def leave(self, kernel: Any) -> None:
        with self.lock:
            self.left -= 1
            last = self.left == 0
        if not last or self.stop.is_set():
            kernel.close()


def _worker(
    kernel: Any,
    queue: collections.deque[PlannedRun],
    results: SimpleQueue[tuple[PlannedRun, dict[str, Any]]],
    stop: threading.Event,
    sweep_dir: Path,
    prog: Progress,
    leaders: set[str] = frozenset(),  # type: ignore[assignment]
    leaving: _Leaving | None = None,
) -> None:
    """One local worker: take runs off ``queue`` until it is empty or ``stop`` is set, all in
    ``kernel`` (started with the first notebook; closed by ``leaving`` or :func:`_run_local`);
    runs named in ``leaders`` prefit the baseline (:func:`shared_fit_leaders`)."""
    while not stop.is_set():
        try:
            run = queue.popleft()
        except IndexError:
            if leaving is not None:
                leaving.leave(kernel)
            return
        prog.start(run.name)
        run_dir = sweep_dir / run.name
        try:
            result = execute_run(run.config.to_dict(), str(run_dir), kernel=kernel, prefit=run.name in leaders)
        except Exception as exc:  # noqa: BLE001 - execute_run reports failures itself; this is a last resort
            result = {
                "status": "failed",
                "reason": f"{type(exc).__name__}: {exc}"[:500],
                "seconds": None,
                "run_dir": str(run_dir),
            }
        if stop.is_set() and result["status"] != "finished":
            result.update(status="interrupted", reason="interrupted (the sweep was stopped)")
            if run_dir.is_dir():  # continued in place when the sweep is run again
                write_status(run_dir, status="interrupted", reason=result["reason"])
                _repaint(run_dir)
        results.put((run, result))


def _repaint(run_dir: Path) -> None:
    """The pages of a run the sweep's stop interrupted: its kernel's death had been exported as
    a failure ("This run is failed: DeadKernelError") before the status said ``interrupted``."""
    from lstm_helpers.runs.report import export_report, write_index
    from lstm_helpers.runs.slides import write_slides

    if RunLayout(run_dir).report.is_file():
        with contextlib.suppress(Exception):  # the status is what counts; a page is redrawn on resume
            export_report(run_dir)
            write_slides(run_dir)
            write_index(run_dir.parent)
