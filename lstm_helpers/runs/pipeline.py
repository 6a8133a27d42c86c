"""Runs: parameters in, an immutable directory of executed notebooks, artifacts and one HTML
report out.

The stage notebooks of a run are executed by papermill one after another in ONE quiet
kernel (:class:`lstm_helpers.runs.kernel.StageKernel`: reset between notebooks, the run
directory as working directory), so TensorFlow is imported once per run; a sweep worker
passes its warm kernel on to its next run. Each executed notebook is written to a
temporary file, renamed when complete; nbconvert exports the presentation page with code
hidden. A failing notebook leaves its executed copy (error visible), a ``status.json``
saying ``failed`` and why, and raises :class:`RunFailed` -- earlier runs are never touched;
the kernel is restarted before any next notebook.

A run directory is claimed atomically (``mkdir``, a suffix on collision) after the inputs
are validated, so a bad input leaves nothing behind. A finished run is never rewritten:
:class:`RunRefused` says how to make a new one. ``status.json`` carries the owner's pid and
a heartbeat, so :func:`run_status` reports a run whose process died as ``interrupted``,
with the command that resumes it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shlex
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

from lstm_helpers.artifacts import (
    flatten,
    read_json_optional,
    read_params,
    remove_paths,
    shown,
    stage_status,
    stages_kept,
    start_times,
    write_json,
    write_yaml,
)
from lstm_helpers.config import PROJECT_ROOT, Config, ConfigError, resolve_config, resolve_path
from lstm_helpers.data.inputs import anchored
from lstm_helpers.layout import STAGE_NOTEBOOKS, RunLayout
from lstm_helpers.runs.kernel import StageKernel
from lstm_helpers.runs.prefit import _prefit_baseline, _prepared_since, _start_baseline_prefit  # noqa: F401
from lstm_helpers.runs.run_clock import HEARTBEAT_S, STATUS_LOCK, RunClock, heartbeat
from lstm_helpers.runs.status_words import stopped_reason, unreadable_status
from lstm_helpers.runs.terminal import stage_done_line, stage_echoes, stage_start_line
from lstm_helpers.runs.writable import check_folder_writable

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
STAGES = STAGE_NOTEBOOKS
ALL_STAGES = tuple(STAGE_NOTEBOOKS)
STALE_S = 5 * HEARTBEAT_S  # a run on another host without a heartbeat for this long is interrupted
_STATUS_LOCK = STATUS_LOCK


class RunRefused(ConfigError):
    """A run directory may not be (re)written; the message says why and how to make a new run."""


class RunFailed(RuntimeError):
    """A stage notebook failed; ``str()`` is a one-line reason, ``.notebook`` the executed copy,
    ``.resume`` the command that resumes a run stopped from outside (its kernel died), else None."""

    def __init__(
        self, reason: str, notebook: Path | None = None, run_dir: Path | None = None, resume: str | None = None
    ):
        super().__init__(reason)
        self.notebook, self.run_dir, self.resume = notebook, run_dir, resume


def kernel_name() -> str:  # papermill's kernel: $LSTM_WORKBENCH_KERNEL or this environment's python3
    return os.environ.get("LSTM_WORKBENCH_KERNEL", "python3")


def claim_run_dir(root: Path, name: str, attempts: int = 1000) -> Path:
    """Create ``root/name`` (or ``name-2``, ``name-3`` ...) with one ``mkdir`` each: the directory
    that ``mkdir`` creates is ours, whatever other processes do at the same moment."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(1, attempts + 1):
        path = root / (name if i == 1 else f"{name}-{i}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise RunRefused(f"{root}: {attempts} run directories named {name}* already exist; set run.name")


def new_run_dir(cfg: Config, root: Path | None = None) -> Path:
    """``reports/<YYYYmmdd-HHMMSS>_<model name>[_<run.name>]``, claimed atomically."""
    from lstm_helpers.model.naming import planned_model_name  # TF-free: the name stage 02 will give

    root = root or resolve_path(cfg.run.reports_dir)
    name = f"{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}_{planned_model_name(cfg)}"
    if cfg.run.name:
        name += "_" + re.sub(r"[^A-Za-z0-9_.-]+", "-", cfg.run.name)[:80]
    return claim_run_dir(root, name)


def _one_line(exc: BaseException) -> str:
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    text = f"{ename}: {evalue}".strip().splitlines()
    return text[0][:500] if len(text) == 1 else f"{text[0]} {text[-1]}"[:500]


# ------------------------------------------------------------------------------- status
def _set_status(run_dir: Path, status: str, **extra: Any) -> None:
    path = RunLayout(run_dir).status
    with _STATUS_LOCK:
        data = read_json_optional(path)
        data.update({"status": status, "updated": dt.datetime.now().isoformat(timespec="seconds")}, **extra)
        write_json(path, data)


def _owner() -> dict[str, Any]:
    import psutil

    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "pid_started": round(psutil.Process().create_time(), 2),
        "heartbeat": dt.datetime.now().isoformat(timespec="seconds"),
    }


def _owner_alive(st: dict[str, Any]) -> bool:
    """Is the process that wrote a ``running`` status still alive (same pid, same start time)?"""
    import psutil

    pid, host = st.get("pid"), st.get("host")
    if pid is not None and host == socket.gethostname():
        try:
            proc = psutil.Process(int(pid))
            if st.get("pid_started") and abs(proc.create_time() - float(st["pid_started"])) > 1.0:
                return False  # the pid was reused by another process
            return proc.status() != psutil.STATUS_ZOMBIE
        except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
            return False
    beat = st.get("heartbeat") or st.get("updated")
    try:
        age = (dt.datetime.now() - dt.datetime.fromisoformat(str(beat))).total_seconds()
    except ValueError:
        return False
    return age < STALE_S


def finish_pages(run_dir: Path) -> None:
    """Mark ``finished`` a run stopped or failed while its pages were written (every stage done)."""
    st = run_status(run_dir)
    done = st.get("stages_done") == list(ALL_STAGES)
    # stopped while its pages were written, or between stage 03's end and their start ("stage": evaluate)
    if done and st.get("stage") in ("report", *ALL_STAGES) and st["status"] in ("interrupted", "failed"):
        _set_status(run_dir, "finished", stage=None, reason=None)


def resume_command(run_dir: Path) -> str:
    """The command that resumes an interrupted run in place (``report --run``: only its pages are
    missing); a search's final run resumes through its search, which also writes the search's pages."""
    from lstm_helpers.experiments.trials import search_command

    if by_search := search_command(Path(run_dir)):
        return by_search
    d = shown(Path(run_dir))
    st = read_json_optional(RunLayout(Path(run_dir)).status)
    if list(st.get("stages_done") or []) == list(ALL_STAGES):  # stopped after stage 03: only the pages
        return f"lstm-workbench report --run {shlex.quote(d)}"
    return f"lstm-workbench run --config {shlex.quote(f'{d}/{RunLayout(Path(d)).params.name}')} --out {shlex.quote(d)}"


def run_status(run_dir: str | Path) -> dict[str, Any]:
    """The true state of a run: ``status.json``, with a ``running`` whose process is gone shown as
    ``interrupted`` (reason and ``resume`` command added). Never writes anything.

    Statuses: ``running``, ``finished`` (every stage done), ``partial`` (some stages done, no
    failure), ``failed``, ``interrupted``, ``unknown`` (no status file, or one that cannot be read:
    ``reason`` says which)."""
    run_dir = Path(run_dir)
    st = read_json_optional(RunLayout(run_dir).status)
    if not st or not isinstance(st, dict):  # missing, or unreadable: said why (reports/index.html shows it)
        return {"status": "unknown", "reason": unreadable_status(RunLayout(run_dir).status)}
    if st.get("status") == "running" and not _owner_alive(st):
        who = f"process {st['pid']}" if st.get("pid") else "the process running it"
        st = {**st, "status": "interrupted", "reason": stopped_reason(st, who, ALL_STAGES)}
        st["resume"] = resume_command(run_dir)
    elif st.get("status") == "interrupted":
        st["resume"] = resume_command(run_dir)  # relative to the reader's current directory
    return st


def record_stages(run_dir: Path, cfg: Config, stages_done: list[str]) -> None:
    """Status of a run whose stages ran outside :func:`run_pipeline` (``prepare --no-notebook``)."""
    _set_status(Path(run_dir), **stage_status(cfg, stages_done))


def _kill_children() -> None:
    """Kill every process this one started (the papermill kernel runs in its own session, so
    a signal to the CLI alone never reaches it)."""
    import psutil

    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            child.kill()


@contextlib.contextmanager
def _stop_kernel_on_signal(
    run_dir: Path, stage: str | Callable[[], str], clock: RunClock | None = None
) -> Iterator[None]:
    """On SIGTERM / SIGINT while a stage runs (``stage``: its name, or a callable giving the
    current one while a run's kernel lives between stages): kill the kernel, mark the run
    ``interrupted`` (:func:`run_status` adds the resume command), then die of the same signal."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        _kill_children()
        where = stage() if callable(stage) else stage
        with contextlib.suppress(Exception):
            why = f"stopped by {signal.Signals(signum).name} during stage {where}"
            spent = clock.fields() if clock else {}  # counts in the resumed run's seconds and stage_seconds
            _set_status(run_dir, "interrupted", stage=where, reason=why, **spent)
            for partial in run_dir.glob(".*.partial.ipynb"):  # papermill's unfinished copy
                partial.unlink()
            print(f"{why}; resume: {resume_command(run_dir)}", file=sys.stderr, flush=True)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


# ------------------------------------------------------------------------------- stages
def check_notebook(path: Path) -> None:
    """Refuse a stage notebook that is not a readable notebook (truncated by a full disk, edited by hand)."""
    import nbformat

    try:
        nbformat.read(path, as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises JSON, validation and OS errors
        raise RunRefused(
            f"{shown(path)} is not a readable notebook (truncated or corrupt: "
            f"{_one_line(exc)[:200]}); re-run its stage, e.g. {resume_command(path.parent)}"
        ) from None


def _stage_failed(stage: str, run_dir: Path, error: Exception, reason: str, notebook: Path | None) -> NoReturn:
    """Mark the run failed with ``reason`` and raise :class:`RunFailed`. A kernel that died
    (killed from outside: out of memory, a kill) marks it interrupted instead, with the command
    that resumes it: nothing in the run was wrong, and a resume keeps its finished stages."""
    from nbclient.exceptions import DeadKernelError

    died = isinstance(error, DeadKernelError)
    if died:
        reason = f"the kernel running stage {stage} died (killed from outside, perhaps for lack of memory)"
    with contextlib.suppress(OSError):  # a full disk may refuse the status too; run_status still tells
        _set_status(run_dir, "interrupted" if died else "failed", stage=stage, reason=reason)
    raise RunFailed(reason, notebook, run_dir, resume_command(run_dir) if died else None) from error


def execute_stage(
    stage: str,
    run_dir: Path,
    overrides: dict[str, Any] | None = None,
    log_output: bool = True,
    quiet: bool = False,
    *,
    kernel: StageKernel | None = None,
    silent: bool = False,
    clock: RunClock | None = None,
) -> float:
    """Execute one stage notebook into ``run_dir`` with papermill; return its wall seconds
    (kernel work included: the figure ``[<stage>] done in`` prints and ``status.json`` keeps).

    ``kernel``: the started kernel of the run (left running; restarted before its next
    notebook when this one fails); None starts a quiet kernel for this notebook only.
    ``silent``: print nothing (a sweep's runs). papermill writes its output as it goes, so it
    writes a temporary file next to the executed copy, renamed over it only when it is a
    complete notebook (also on a failure, so the error stays visible). A signal to this
    process kills the kernel; ``clock`` (the run's, timing this stage) then records the time spent.
    """
    src = NOTEBOOKS_DIR / STAGES[stage]
    out = RunLayout(run_dir).notebook(stage)
    tmp = out.with_name(f".{out.stem}.partial{out.suffix}")
    if not silent:
        print(stage_start_line(stage, out), flush=True)
    t0 = time.perf_counter()
    error: Exception | None = None
    own = kernel is None
    try:
        with _stop_kernel_on_signal(run_dir, stage, clock):
            kernel = kernel or StageKernel(kernel_name(), log_dir=run_dir)
            kernel.execute(
                src,
                tmp,
                {"run_dir": ".", "config_file": "", "overrides": overrides or {}},  # the kernel runs in run_dir
                cwd=run_dir,
                **stage_echoes(log_output and not (quiet or silent), log_output and not silent),  # epochs, notes
            )
    except Exception as exc:  # noqa: BLE001 - papermill's PapermillExecutionError, kernel death, ...
        error = exc
    finally:
        if own and kernel is not None:
            kernel.close()
    try:
        check_notebook(tmp)
        os.replace(tmp, out)
    except (RunRefused, OSError) as exc:
        tmp.unlink(missing_ok=True)
        error = error or exc
        reason = f"{stage} failed: could not write {out.name} ({_one_line(error)})"
    else:
        reason = f"{stage} failed in {out.name}: {_one_line(error)}" if error else ""
    if error is not None:
        _stage_failed(stage, run_dir, error, reason, out if out.is_file() else None)
    took = time.perf_counter() - t0
    if not silent:
        earlier = clock.stages.get(stage, 0.0) if clock is not None and clock.stage == stage else 0.0
        print(stage_done_line(stage, took, run_dir, earlier), flush=True)
    return took


def _export(run_dir: Path, final: bool = False) -> None:
    """``report.html``, ``slides.html`` and the parent's ``index.html``; ``final`` (a run's last step): a stop
    meanwhile marks the run interrupted at "report", a failure marks it failed (:class:`RunFailed`)."""
    from lstm_helpers.runs.report import export_report, write_index
    from lstm_helpers.runs.slides import write_slides

    try:
        with _stop_kernel_on_signal(run_dir, "report") if final else contextlib.nullcontext():
            export_report(run_dir)
            write_slides(run_dir)
            write_index(run_dir.parent)
    except Exception as exc:
        if not final:
            raise
        _set_status(run_dir, "failed", stage="report", reason=f"report export failed: {_one_line(exc)}")
        raise RunFailed(f"report export failed: {_one_line(exc)}", None, run_dir) from exc


# ------------------------------------------------------------------------------- runs
def validate_inputs(cfg: Config, read_rows: bool = True) -> list[str] | None:
    """Read the run's data once, as stage 01 will, so a bad input fails before a run directory
    is claimed or a kernel started (raises DataError naming file, column, row); its classes.
    ``read_rows`` False (a sweep: many recordings): recordings by their headers and recording column only."""
    from lstm_helpers.data import checks

    checks.check_window_length(cfg)  # the settings alone: before any file is read
    if not read_rows and cfg.data.kind == "recordings":
        return checks.check_recordings_fit(cfg)
    s = checks.read_for_checks(cfg.data)  # a sweep's runs on the same files share one read
    checks.check_windows_fit(s, cfg)
    checks.check_interest_groups(s, cfg)
    checks.check_class_weight_names(s.classes, cfg)
    checks.check_splits_and_loss(s, cfg)
    return s.classes


def _recorded_fingerprint(run_dir: Path, st: dict[str, Any]) -> str | None:
    if st.get("fingerprint"):
        return st["fingerprint"]
    try:
        return resolve_config(read_params(run_dir)).fingerprint()
    except ConfigError:
        return None


def changed_settings(run_dir: Path, cfg: Config, most: int = 4) -> str:
    """``train.epochs: 40 -> 20, ...``: the parameters (``run`` aside, as in the fingerprint) in
    which ``cfg`` differs from the run's ``params.yaml``, ``most`` of them named; empty when that
    file is missing or cannot be read."""
    if not RunLayout(run_dir).params.is_file():  # read_params gives {}: a diff against the defaults
        return ""
    try:
        old = flatten(resolve_config(read_params(run_dir)).to_dict())
    except (ConfigError, ValueError, OSError):
        return ""
    new, gone = flatten(cfg.to_dict()), object()

    def said(v: Any) -> str:
        return (v if isinstance(v, str) else json.dumps(v, default=str))[:60] if v is not gone else "(none)"

    keys = [k for k in {**old, **new} if not k.startswith("run.") and old.get(k, gone) != new.get(k, gone)]
    named = ", ".join(f"{k}: {said(old.get(k, gone))} -> {said(new.get(k, gone))}" for k in keys[:most])
    return named + (f", and {len(keys) - most} more" if len(keys) > most else "")


def check_out_dir(run_dir: Path, cfg: Config) -> None:
    """``--out`` at an existing directory: allowed only for an empty folder or that run's own resume
    (not finished, not running, same parameter fingerprint)."""
    if not run_dir.exists():
        return
    if not run_dir.is_dir():
        raise RunRefused(f"--out {shown(run_dir)} is a file, not a run directory")
    lay = RunLayout(run_dir)
    if not any(run_dir.iterdir()):
        return
    if not lay.status.is_file() and not lay.params.is_file():
        raise RunRefused(
            f"--out {shown(run_dir)} is a folder holding other files, not a run; give a new "
            f"or empty folder, or leave out --out for a new run directory"
        )
    st = run_status(run_dir)
    new_run = "leave out --out for a new run directory under run.reports_dir, or give a new --out"
    if st["status"] == "running":
        raise RunRefused(
            f"{shown(run_dir)} is running (pid {st.get('pid')}, since {st.get('resumed') or st.get('started')}); "
            f"wait for it, or stop it and resume later"
        )
    if st["status"] == "finished":
        raise RunRefused(f"{shown(run_dir)} is a finished run and finished runs are never rewritten; {new_run}")
    if not st.get("fingerprint") and not lay.params.is_file():  # a status.json alone: written by a
        # process whose folder was moved away meanwhile (read_params would give the defaults)
        raise RunRefused(
            f"{shown(run_dir)} holds part of a run without its {lay.params.name} (its process was stopped, or "
            f"the folder moved away, while it wrote there), so it cannot be resumed; move it away, or {new_run}"
        )
    if _recorded_fingerprint(run_dir, st) != cfg.fingerprint():
        changed = changed_settings(run_dir, cfg)
        raise RunRefused(
            f"{shown(run_dir)} holds a run with other parameters{f' ({changed})' if changed else ''}; "
            f"it can only be resumed with "
            f"its own ({resume_command(run_dir)}); for these parameters {new_run}"
        )


def check_stage_allowed(run_dir: Path) -> dict[str, Any]:
    """``train`` / ``evaluate --run``: refused on a finished or running run (immutable / busy)."""
    st = run_status(run_dir)
    d = shown(run_dir)
    if st["status"] == "finished":
        raise RunRefused(
            f"{d} is a finished run and finished runs are never rewritten; for other parameters make a new "
            f"run: lstm-workbench run --config {d}/{RunLayout(Path(d)).params.name} --set KEY=VALUE ... "
            f"(its page: lstm-workbench report --run {d})"
        )
    if st["status"] == "running":
        raise RunRefused(f"{d} is running (pid {st.get('pid')}); wait for it to finish")
    return st


def check_out_writable(cfg: Config, run_dir: Path | None = None, continue_run: bool = False) -> None:
    """Refuse, before any work, a run whose folder cannot be written: ``run_dir`` (``--out``, or
    ``--run`` with ``continue_run``), else ``run.reports_dir`` where a new run directory is made."""
    if run_dir is None:
        check_folder_writable(resolve_path(cfg.run.reports_dir), "run.reports_dir", cfg.run.reports_dir)
    else:
        check_folder_writable(Path(run_dir), "--run" if continue_run else "--out")


def claim_run(cfg: Config, run_dir: Path | None = None, continue_run: bool = False) -> Path:
    """The run directory to write: a new one (``run_dir`` None), ``run_dir`` when empty or this
    run's own resume, or with ``continue_run`` a run that is neither finished nor running; one
    that cannot be written is refused (:func:`check_out_writable`)."""
    check_out_writable(cfg, run_dir, continue_run)
    if run_dir is None:
        return new_run_dir(cfg)
    run_dir = Path(run_dir).resolve()  # papermill changes the working directory while a stage runs
    if continue_run:
        check_stage_allowed(run_dir)
        return run_dir
    check_out_dir(run_dir, cfg)
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        run_dir.mkdir()
    except FileExistsError:
        pass  # an empty folder or this run's own resume (checked above)
    return run_dir


def _start_attempt(cfg: Config, run_dir: Path, done: list[str], rerun: str | None) -> RunClock:
    """Mark ``run_dir`` running (``done``: the stages kept) with ``cfg``'s parameters; return the
    run's clock. ``rerun`` (``train`` / ``evaluate --run``): the stage run again, whose later
    stages' outputs (and times) are stale once it runs (an old model's metrics)."""
    later = ALL_STAGES[ALL_STAGES.index(rerun) + 1 :] if rerun else ()
    for stage in later:
        remove_paths(RunLayout(run_dir).stage_outputs(stage))
    write_yaml(RunLayout(run_dir).params, cfg.to_dict())
    clock = RunClock(run_dir)  # this attempt's time, and that of the earlier ones of a resumed run
    for stage in later:
        clock.stages.pop(stage, None)
    _set_status(
        run_dir,
        "running",
        **start_times(run_dir),
        fingerprint=cfg.fingerprint(),
        stages_done=done,
        reason=None,
        **_owner(),
    )
    return clock


def run_pipeline(
    cfg: Config,
    run_dir: Path | None = None,
    stages: tuple[str, ...] = ALL_STAGES,
    report: bool = True,
    quiet: bool = False,
    *,
    continue_run: bool = False,
    kernel: StageKernel | None = None,
    silent: bool = False,
    prefit: bool = True,
) -> Path:
    """Execute 01 -> 02 -> 03 (or ``stages``) into a run directory, then export ``report.html``.

    The inputs are validated first (when stage 01 runs; a ``data.path`` relative to here is
    made absolute, :func:`~lstm_helpers.data.inputs.anchored`), then the directory is claimed:
    a new one, or ``run_dir`` when empty or this run's own resume; ``continue_run`` runs later
    stages of an unfinished run (``train`` / ``evaluate --run``). The parameters go to
    ``params.yaml``, which every notebook reads. All stages run in one kernel: ``kernel`` (a
    sweep worker's warm one, left running) or one started here. ``silent``: print nothing.
    ``prefit``: fit MiniRocket in a thread beside stage 02 (sweeps pass False: their workers
    keep the cores busy). Raises :class:`RunFailed` (one-line reason) when a stage fails,
    :class:`RunRefused` when the directory may not be written.
    """
    cfg = anchored(cfg)
    check_out_writable(cfg, run_dir, continue_run)  # before the data are read
    if "prepare" in stages:
        validate_inputs(cfg)
    run_dir = claim_run(cfg, run_dir, continue_run)
    done = stages_kept(run_dir, stages, continue_run, say=None if silent else print)  # a resume goes on after them
    stages = tuple(s for s in stages if s not in done) if not continue_run else stages
    clock = _start_attempt(cfg, run_dir, done, stages[0] if continue_run else None)
    own = kernel is None
    kernel = kernel or StageKernel(kernel_name(), log_dir=run_dir)
    current = [stages[0] if stages else "report"]  # the kernel lives between stages too: a signal stops it
    prefit_claimed: threading.Event | None = None
    prepare_over = threading.Event()  # set when stage 01 ends, written or failed
    try:
        with heartbeat(run_dir, clock), _stop_kernel_on_signal(run_dir, lambda: current[0], clock):
            for stage in stages:
                current[0] = stage
                if prefit and prefit_claimed is None and "evaluate" in stages:
                    prefit_claimed = _start_baseline_prefit(cfg, run_dir, kernel, stage, prepare_over)
                if stage == "evaluate" and prefit_claimed is not None:
                    prefit_claimed.wait()  # stage 03 then waits for the claimed fit's result itself
                _set_status(run_dir, "running", stage=stage)
                clock.start_stage(stage)  # its time goes on from a stopped attempt's
                try:
                    execute_stage(stage, run_dir, quiet=quiet, kernel=kernel, silent=silent, clock=clock)
                except RunFailed:
                    if report:  # a page that shows the failure and what ran before it
                        with contextlib.suppress(Exception):
                            _export(run_dir)
                    raise
                finally:
                    if stage == "prepare":
                        prepare_over.set()
                clock.end_stage()
                done.append(stage)
                _set_status(run_dir, "running", stages_done=list(done), **clock.fields())
    finally:
        if own:
            kernel.close()
        clock.record(run_dir)  # a failed stage's time counts once the run is resumed
    status, times = "finished" if list(done) == list(ALL_STAGES) else "partial", clock.fields()
    _set_status(run_dir, status, stage=None, reason=None, seconds=times["elapsed_seconds"], **times)
    if report:  # the pages show the run's final state
        _export(run_dir, final=True)
    return run_dir
