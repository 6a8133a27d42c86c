"""Sweeps: many normal runs from one YAML file, run in parallel or on a Dask cluster, resumable,
and compared in one table (``comparison.csv``) and one page (``comparison.html``).

A sweep file holds::

    base: ../demo.yaml          # a run config, relative to the sweep file
    set: {train.epochs: 5}      # dotted overrides for every run
    grid:                       # cartesian product of dotted keys -> value lists
      windows.overlap_percent: [0, 50]
      resample.method: [class_weight, smote]
    variants:                   # optional named parameter sets (e.g. before / after)
      - {name: before, set: {model.units: [128, 64, 64, 32]}}
      - {name: after, set: {model.units: [64, 32]}}
    seeds: [1, 2]               # repeats

Runs = variants x grid x seeds. Every run's parameters are resolved through
:func:`lstm_helpers.config.resolve_config` and checked before the first run starts.

Layout and resuming
-------------------
``reports/sweeps/<sweep id>/`` with one normal run directory per run, named
``<model name>[_<variant>][_<key>-<value>...]_seed<seed>_<fingerprint>`` (story 4's naming:
the model name says the architecture, the rest the swept values; the fingerprint is
:meth:`Config.fingerprint` of the run's resolved parameters). The sweep id is the sweep
file's stem plus a hash of the fingerprints of every planned run, so re-running the same
sweep file with the same ``--set`` finds the same directory and resumes it: runs whose
``status.json`` says ``finished`` with the same fingerprint are skipped and never touched;
failed or interrupted ones (``running``, ``failed``, no status) are moved aside to
``_attempts/`` and run again. Next to the runs: ``sweep.yaml`` (the sweep file as read),
``sweep.json`` + ``runs.csv`` (every planned run with status, reason and seconds),
``comparison.csv``, ``comparison.json``, ``04_compare.ipynb`` (executed) and
``comparison.html``.

Parallelism
-----------
Each run is a child process (``python -m lstm_helpers.experiments.sweeps``) that calls
:func:`lstm_helpers.runs.pipeline.run_pipeline`; its papermill kernels inherit
``TF_NUM_INTRAOP_THREADS`` / ``TF_NUM_INTEROP_THREADS`` / ``OMP_NUM_THREADS`` =
``max(1, cores // workers)`` so N parallel runs do not oversubscribe the cores (TensorFlow
reads these variables when it starts). With ``scheduler`` the same child process is started
by a task on a Dask distributed worker instead; the workers need this package installed and
the same file system paths (data, reports).
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import hashlib
import html
import itertools
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from lstm_helpers.artifacts import (
    PARAMS_FILE,
    flatten,
    read_json,
    read_json_optional,
    read_params,
    write_json,
    write_text,
)
from lstm_helpers.config import (
    PROJECT_ROOT,
    Config,
    ConfigError,
    apply_overrides,
    parse_override,
    read_yaml,
    resolve_config,
    resolve_path,
    validate_spec,
)

STATUS_FILE = "status.json"
SWEEP_JSON = "sweep.json"
SWEEP_YAML = "sweep.yaml"
RUNS_CSV = "runs.csv"
COMPARISON_CSV = "comparison.csv"
COMPARISON_JSON = "comparison.json"
COMPARISON_HTML = "comparison.html"
COMPARE_NOTEBOOK = "04_compare.ipynb"
TRIALS_CSV = "trials.csv"
ATTEMPTS_DIR = "_attempts"
LOCK_FILE = "sweep.lock"
RESULT_MARKER = "SWEEP-RESULT "
THREAD_VARIABLES = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS")
# model keys that the model name already spells out (left out of run directory names)
NAMED_BY_MODEL = {"model.cell", "model.units", "model.bidirectional", "model.conv", "model.dense_units",
                  "model.embedding_dim"}
MAX_NAME = 180


class SweepLocked(RuntimeError):
    """The sweep directory is being run by another live process."""


# ============================================================================ sweep files
class VariantSpec(BaseModel):
    """One named parameter set of a sweep (e.g. ``before`` / ``after``)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    set: dict[str, Any] = Field(default_factory=dict)


class SweepSpec(BaseModel):
    """The keys a sweep file may hold; anything else is an error."""

    model_config = ConfigDict(extra="forbid")
    base: str | None = None  # run config file relative to the sweep file; None = configs/demo.yaml
    description: str | None = None
    set: dict[str, Any] = Field(default_factory=dict)
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    variants: list[VariantSpec] = Field(default_factory=list)
    seeds: list[int] | None = None

    @field_validator("grid")
    @classmethod
    def _non_empty(cls, v: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, values in v.items():
            if not values:
                raise ValueError(f"grid key {key!r} lists no values")
        return v

    @field_validator("variants")
    @classmethod
    def _unique_names(cls, v: list[VariantSpec]) -> list[VariantSpec]:
        names = [x.name for x in v]
        if len(set(names)) != len(names):
            raise ValueError(f"variant names must be unique, got {names}")
        return v

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, v: list[int] | None) -> list[int] | None:
        if v is not None and (not v or len(set(v)) != len(v) or min(v) < 0):
            raise ValueError(f"seeds must be a non-empty list of distinct integers >= 0, got {v}")
        return v


@dataclass(frozen=True)
class PlannedRun:
    """One run of a sweep: its resolved parameters and what makes it differ from the others."""

    name: str
    config: Config
    values: dict[str, Any]  # grid key -> value
    variant: str | None
    seed: int

    @property
    def fingerprint(self) -> str:
        return self.config.fingerprint()


@dataclass
class Sweep:
    """A validated, expanded sweep file."""

    file: Path
    spec: SweepSpec
    runs: list[PlannedRun]
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def keys(self) -> list[str]:
        return list(self.spec.grid)

    @property
    def sweep_id(self) -> str:
        """``<file stem>-<hash of the planned runs' fingerprints>``: stable across re-runs."""
        digest = hashlib.sha256("\n".join(sorted(r.fingerprint for r in self.runs)).encode())
        return f"{_safe(self.file.stem)}-{digest.hexdigest()[:8]}"

    def default_dir(self) -> Path:
        return resolve_path(self.runs[0].config.run.reports_dir) / "sweeps" / self.sweep_id


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


def _fmt_value(value: Any) -> str:
    """A value as it appears in a run directory name."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return "-".join(_fmt_value(v) for v in value) or "empty"
    if isinstance(value, dict | list):
        return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:6]
    return _safe(str(value))


def _short_keys(keys: list[str]) -> dict[str, str]:
    """Last part of each dotted key, or the whole key (dots -> '-') when the last part is ambiguous."""
    last = [k.rsplit(".", 1)[-1] for k in keys]
    return {k: (s if last.count(s) == 1 else k.replace(".", "-")) for k, s in zip(keys, last, strict=True)}


def run_name(model: str, values: dict[str, Any], variant: str | None, seed: int, fingerprint: str) -> str:
    """``<model>[_<variant>][_<key>-<value>...]_seed<seed>_<fingerprint>``.

    Swept model-architecture keys are left out: the model name spells them out
    (e.g. ``bilstm_cv1-128x5p2_lay2_sz64-32_d32``).
    """
    short = _short_keys(list(values))
    parts = [model] + ([variant] if variant else [])
    parts += [f"{short[k]}-{_fmt_value(v)}" for k, v in values.items() if k not in NAMED_BY_MODEL]
    label = _safe("_".join(parts))[: MAX_NAME]
    return f"{label}_seed{seed}_{fingerprint}"


def read_sweep(path: str | Path) -> SweepSpec:
    """Read and validate the top-level keys of a sweep file (not yet the run parameters).

    Raises
    ------
    ConfigError
        Missing file, invalid YAML, unknown keys or malformed values, naming the key.
    """
    path = Path(path)
    return validate_spec(SweepSpec, read_yaml(path), f"sweep file {path}")


def _as_override_dict(overrides: dict[str, Any] | list[str] | None) -> dict[str, Any]:
    if isinstance(overrides, list):
        return dict(parse_override(o) for o in overrides)
    return dict(overrides or {})


def plan_sweep(path: str | Path, overrides: dict[str, Any] | list[str] | None = None) -> Sweep:
    """Validate a sweep file and expand it into its runs, resolving every run's parameters.

    Order of application: base file, ``set``, command-line overrides, the variant's ``set``,
    the grid values, the seed.

    Raises
    ------
    ConfigError
        Anything invalid, before any run starts: an unknown sweep key, a grid key or value
        that is not a valid parameter (the message names the key and value), an override that
        also appears in the grid / variants / seeds, or two runs with identical parameters.
    """
    path = Path(path).resolve()
    spec = read_sweep(path)
    cli = _as_override_dict(overrides)
    base_file = (path.parent / spec.base).resolve() if spec.base else PROJECT_ROOT / "configs" / "demo.yaml"
    if not base_file.is_file():
        raise ConfigError(f"sweep file {path}: base {spec.base!r} -> {base_file} does not exist "
                          "(the path is relative to the sweep file)")
    base_raw = read_yaml(base_file)
    swept = set(spec.grid) | {k for v in spec.variants for k in v.set} | ({"seed"} if spec.seeds else set())
    clash = sorted(set(cli) & swept)
    if clash:
        raise ConfigError(f"sweep file {path}: --set {', '.join(clash)} would overwrite swept values; "
                          "change the grid / variants / seeds in the sweep file instead")
    common = apply_overrides(apply_overrides(base_raw, spec.set), cli)

    def resolve(what: str, extra: dict[str, Any]) -> Config:
        try:
            return resolve_config(common, extra)
        except ConfigError as exc:
            raise ConfigError(f"sweep file {path}: {what}: {exc}") from None

    base_cfg = resolve("base + set", {})
    for variant in spec.variants:
        resolve(f"variant '{variant.name}'", variant.set)
    # a grid value invalid on its own is named as such when a combination holding it fails
    # (it may still be valid together with another key's value, e.g. units + dropout lists)
    alone_ok: dict[tuple[str, str], bool] = {}
    for key, values in spec.grid.items():
        for value in values:
            try:
                resolve_config(common, {key: value})
                alone_ok[key, json.dumps(value, sort_keys=True)] = True
            except ConfigError:
                alone_ok[key, json.dumps(value, sort_keys=True)] = False

    seeds = spec.seeds or [base_cfg.seed]
    variants: list[VariantSpec | None] = list(spec.variants) or [None]
    combos = [dict(zip(spec.grid, vals, strict=True)) for vals in itertools.product(*spec.grid.values())]
    from lstm_helpers.runs.pipeline import expected_model_name

    runs: list[PlannedRun] = []
    seen: dict[str, str] = {}
    for variant in variants:
        for values in combos:
            for seed in seeds:
                extra = {**(variant.set if variant else {}), **values, "seed": seed}
                what = ", ".join(f"{k}={v!r}" for k, v in extra.items())
                if variant:
                    what = f"variant '{variant.name}', {what}"
                culprit = [k for k, v in values.items() if not alone_ok[k, json.dumps(v, sort_keys=True)]]
                if culprit:
                    key = culprit[0]
                    resolve(f"grid key '{key}' value {values[key]!r}", {key: values[key]})
                cfg = resolve(f"run ({what})", extra)
                fp = cfg.fingerprint()
                if fp in seen:
                    raise ConfigError(f"sweep file {path}: runs ({seen[fp]}) and ({what}) have identical "
                                      "parameters; remove the duplicate value")
                seen[fp] = what
                name = run_name(expected_model_name(cfg), values, variant.name if variant else None, seed, fp)
                cfg = cfg.model_copy(update={"run": cfg.run.model_copy(update={"name": name})})
                runs.append(PlannedRun(name, cfg, values, variant.name if variant else None, seed))
    return Sweep(path, spec, runs, cli)


# ============================================================================ executing runs
def thread_environment(threads: int | None) -> dict[str, str]:
    """Environment variables that size TensorFlow's / OpenMP's thread pools (empty for None)."""
    if not threads:
        return {}
    return dict.fromkeys(THREAD_VARIABLES, str(int(threads)))


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def threads_per_run(workers: int, cores: int | None = None) -> int:
    """``max(1, cores // workers)``: threads each of ``workers`` parallel runs may use."""
    return max(1, (cores or available_cores()) // max(1, workers))


def _write_status(run_dir: Path, **fields: Any) -> None:
    path = run_dir / STATUS_FILE
    data = read_json(path) if path.is_file() else {}
    data.update(fields, updated=dt.datetime.now().isoformat(timespec="seconds"))
    write_json(path, data)


def execute_run(params: dict[str, Any], run_dir: str | Path) -> dict[str, Any]:
    """Run one sweep run in this process with :func:`lstm_helpers.runs.pipeline.run_pipeline`.

    Never raises for a failing run: returns ``{"status": "finished" | "failed", "reason",
    "seconds", "run_dir"}`` and leaves ``status.json`` saying the same.
    """
    from lstm_helpers.runs.pipeline import RunFailed, run_pipeline

    run_dir = Path(run_dir)
    t0 = time.perf_counter()
    status, reason = "finished", None
    try:
        cfg = resolve_config(params)
        run_pipeline(cfg, run_dir, quiet=True, report=True)
    except RunFailed as exc:
        status, reason = "failed", str(exc)
    except Exception as exc:  # noqa: BLE001 - reported as the run's reason, the sweep goes on
        status, reason = "failed", f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
        if run_dir.is_dir():
            _write_status(run_dir, status="failed", reason=reason)
    return {"status": status, "reason": reason, "seconds": round(time.perf_counter() - t0, 1),
            "run_dir": str(run_dir)}


_CHILDREN: set[subprocess.Popen] = set()
_CHILDREN_LOCK = threading.Lock()


def _terminate_children() -> None:
    """End the run processes this process started (their kernels follow: ipykernel exits when
    its parent process is gone)."""
    with _CHILDREN_LOCK:
        children = list(_CHILDREN)
    for proc in children:
        if proc.poll() is None:
            proc.terminate()


def run_in_subprocess(params: dict[str, Any], run_dir: str, threads: int | None = None) -> dict[str, Any]:
    """Run one sweep run in a child Python process with sized thread pools.

    This is also the task a Dask worker executes for ``--scheduler``.
    """
    env = {**os.environ, **thread_environment(threads), "TF_CPP_MIN_LOG_LEVEL": "2"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lstm_helpers.experiments.sweeps"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=env, cwd=str(PROJECT_ROOT),
    )
    with _CHILDREN_LOCK:
        _CHILDREN.add(proc)
    try:
        stdout, stderr = proc.communicate(json.dumps({"params": params, "run_dir": run_dir}))
    finally:
        with _CHILDREN_LOCK:
            _CHILDREN.discard(proc)
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            return json.loads(line[len(RESULT_MARKER):])
    tail = [ln for ln in stderr.splitlines() if ln.strip()]
    if proc.returncode < 0:
        reason = f"interrupted (run process ended by signal {-proc.returncode})"
    else:
        reason = f"run process exited with code {proc.returncode}: {tail[-1] if tail else 'no output'}"[:500]
    if Path(run_dir).is_dir():
        _write_status(Path(run_dir), status="failed", reason=reason)
    return {"status": "failed", "reason": reason, "seconds": round(time.perf_counter() - t0, 1),
            "run_dir": run_dir}


def _child_main() -> None:
    """Entry point of ``python -m lstm_helpers.experiments.sweeps``: one run from a JSON payload on stdin."""
    payload = json.loads(sys.stdin.read())
    result = execute_run(payload["params"], payload["run_dir"])
    print(RESULT_MARKER + json.dumps(result), flush=True)


# ============================================================================ resume bookkeeping
def run_dirs_in(sweep_dir: Path) -> list[Path]:
    """Run directories directly under a sweep directory (those holding params.yaml / status.json)."""
    if not sweep_dir.is_dir():
        return []
    return sorted(p for p in sweep_dir.iterdir() if p.is_dir() and p.name != ATTEMPTS_DIR
                  and ((p / STATUS_FILE).is_file() or (p / PARAMS_FILE).is_file()))


def _status(run_dir: Path) -> dict[str, Any]:
    try:
        return read_json(run_dir / STATUS_FILE)
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def finished_runs(sweep_dir: Path) -> dict[str, Path]:
    """Fingerprint -> directory of every finished run under ``sweep_dir``."""
    out: dict[str, Path] = {}
    for d in run_dirs_in(sweep_dir):
        st = _status(d)
        if st.get("status") == "finished" and st.get("fingerprint"):
            out.setdefault(st["fingerprint"], d)
    return out


def _move_aside(run_dir: Path, sweep_dir: Path) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = sweep_dir / ATTEMPTS_DIR / f"{run_dir.name}.{stamp}"
    i = 1
    while target.exists():
        i += 1
        target = sweep_dir / ATTEMPTS_DIR / f"{run_dir.name}.{stamp}-{i}"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(run_dir), str(target))
    return target


def _acquire_lock(sweep_dir: Path) -> Path:
    lock = sweep_dir / LOCK_FILE
    if lock.is_file():
        try:
            pid = int(lock.read_text().split()[0])
            os.kill(pid, 0)
            alive = pid != os.getpid()
        except (ValueError, IndexError, ProcessLookupError, PermissionError):
            alive = False
        if alive:
            raise SweepLocked(f"sweep directory {sweep_dir} is being run by process {pid}; "
                               f"wait for it or delete {lock} if that process is gone")
    write_text(lock, f"{os.getpid()}\n")
    return lock


# ============================================================================ progress
class Progress:
    """Terminal progress: runs finished / failed / running and an ETA."""

    def __init__(self, total: int, workers: int, skipped: int, enabled: bool = True):
        self.total, self.workers, self.skipped, self.enabled = total, max(1, workers), skipped, enabled
        self.finished = self.failed = 0
        self.durations: list[float] = []
        self.t0 = time.perf_counter()

    def record(self, name: str, result: dict[str, Any]) -> None:
        self.durations.append(float(result.get("seconds") or 0.0))
        if result["status"] == "finished":
            self.finished += 1
            self.say(f"finished {name} in {result['seconds']:.0f} s")
        else:
            self.failed += 1
            self.say(f"FAILED {name}: {result['reason']}")

    def eta_seconds(self) -> float | None:
        remaining = self.total - self.finished - self.failed
        if not self.durations:
            return None
        return float(np.mean(self.durations)) * math.ceil(remaining / self.workers)

    def line(self) -> str:
        done = self.finished + self.failed
        running = min(self.workers, self.total - done)
        eta = self.eta_seconds()
        eta_text = "?" if eta is None else str(dt.timedelta(seconds=round(eta)))
        skipped = f" (+{self.skipped} already finished)" if self.skipped else ""
        return (f"[sweep] {self.finished}/{self.total} finished{skipped}, {self.failed} failed, "
                f"{running} running; elapsed {dt.timedelta(seconds=round(time.perf_counter() - self.t0))}, "
                f"ETA {eta_text}")

    def say(self, text: str) -> None:
        if self.enabled:
            print(f"[sweep] {text}", flush=True)
            print(self.line(), flush=True)


# ============================================================================ run_sweep
def _dask_threads(client: Any) -> tuple[int, int]:
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


def _record(run: PlannedRun, run_dir: Path, status: str, reason: str | None, seconds: float | None,
            skipped: bool) -> dict[str, Any]:
    return {"name": run.name, "fingerprint": run.fingerprint, "variant": run.variant, "seed": run.seed,
            "values": run.values, "status": status, "reason": reason, "seconds": seconds,
            "skipped": skipped, "run_dir": str(run_dir)}


def _write_bookkeeping(sweep: Sweep, sweep_dir: Path, records: list[dict[str, Any]], extra: dict) -> None:
    write_json(sweep_dir / SWEEP_JSON, {
        "sweep_id": sweep.sweep_id, "file": str(sweep.file), "keys": sweep.keys,
        "variants": [v.name for v in sweep.spec.variants], "seeds": sweep.spec.seeds,
        "overrides": sweep.overrides, **extra, "runs": records,
    })
    rows = [{**{k: v for k, v in r.items() if k != "values"},
             **{k: _cell(v) for k, v in r["values"].items()}} for r in records]
    text = pd.DataFrame(rows).to_csv(index=False)
    write_text(sweep_dir / RUNS_CSV, text)


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
        Sweep YAML (base, set, grid, variants, seeds).
    workers : int
        Runs in parallel on this machine (each in its own process, thread pools sized
        ``max(1, cores // workers)``). Ignored with ``scheduler``.
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
        as already finished), ``failed``, ``skipped``, ``runs`` (one record per run),
        ``comparison_csv``, ``comparison_html`` (None when ``html`` is False).

    Raises
    ------
    ConfigError
        Before any run directory is created, when the sweep file or any run's parameters
        are invalid.
    """
    if workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {workers}")
    sweep = plan_sweep(file, overrides)
    if mlflow_uri:
        _import_mlflow()  # fail before running anything when tracking cannot work
    sweep_dir = Path(out).resolve() if out else sweep.default_dir()
    sweep_dir.mkdir(parents=True, exist_ok=True)
    lock = _acquire_lock(sweep_dir)
    previous_handler = None
    if threading.current_thread() is threading.main_thread():  # `kill PID` stops it like Ctrl-C
        previous_handler = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return _run_sweep_locked(sweep, sweep_dir, workers, scheduler, mlflow_uri, progress, html, threads)
    finally:
        if previous_handler is not None:
            signal.signal(signal.SIGTERM, previous_handler)
        lock.unlink(missing_ok=True)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _run_sweep_locked(sweep: Sweep, sweep_dir: Path, workers: int, scheduler: Any, mlflow_uri: str | None,
                      progress: bool, html: bool, threads_override: int | None = None) -> dict[str, Any]:
    write_text(sweep_dir / SWEEP_YAML, sweep.file.read_text())
    done_by_fp = finished_runs(sweep_dir)
    records: dict[str, dict[str, Any]] = {}
    todo: list[PlannedRun] = []
    for run in sweep.runs:
        if run.fingerprint in done_by_fp:
            d = done_by_fp[run.fingerprint]
            records[run.name] = _record(run, d, "finished", None, _status(d).get("seconds"), True)
            continue
        for d in run_dirs_in(sweep_dir):  # interrupted / failed attempts of this run
            if d.name == run.name or _status(d).get("fingerprint") == run.fingerprint:
                _move_aside(d, sweep_dir)
        records[run.name] = _record(run, sweep_dir / run.name, "queued", None, None, False)
        todo.append(run)

    client = None
    if scheduler is not None:
        import distributed

        client = scheduler if isinstance(scheduler, distributed.Client) else distributed.Client(scheduler)
        threads, slots = _dask_threads(client)
        where = f"Dask scheduler {client.scheduler.address}"
    else:
        threads, slots = threads_per_run(workers), workers
        where = f"{workers} local worker{'s' if workers > 1 else ''}"
    threads = threads_override or threads
    meta = {"started": dt.datetime.now().isoformat(timespec="seconds"), "where": where,
            "threads_per_run": threads}
    _write_bookkeeping(sweep, sweep_dir, list(records.values()), meta)
    prog = Progress(len(todo), slots, len(sweep.runs) - len(todo), enabled=progress)
    if progress:
        print(f"[sweep] {sweep.sweep_id}: {len(sweep.runs)} runs, {len(todo)} to run on {where}, "
              f"{threads} thread(s) each -> {sweep_dir}", flush=True)

    lock = threading.Lock()

    def finish(run: PlannedRun, result: dict[str, Any]) -> None:
        with lock:
            records[run.name].update(status=result["status"], reason=result["reason"], seconds=result["seconds"])
            prog.record(run.name, result)
            _write_bookkeeping(sweep, sweep_dir, list(records.values()), meta)
        if mlflow_uri:
            try:
                log_run_to_mlflow(Path(result["run_dir"]), mlflow_uri, sweep.sweep_id,
                                  tags={"variant": run.variant or "", "sweep": sweep.sweep_id})
            except Exception as exc:  # noqa: BLE001 - tracking never stops a sweep
                print(f"[sweep] MLflow logging of {run.name} failed: {exc}", flush=True)

    for run in todo:
        records[run.name]["status"] = "pending"
    try:
        if client is not None:
            _run_dask(client, todo, sweep_dir, threads, finish, prog)
        else:
            _run_local(todo, sweep_dir, workers, threads, finish, prog)
    finally:
        meta["ended"] = dt.datetime.now().isoformat(timespec="seconds")
        _write_bookkeeping(sweep, sweep_dir, list(records.values()), meta)
        if client is not None and not isinstance(scheduler, type(client)):
            client.close()

    recs = [records[r.name] for r in sweep.runs]
    result = {
        "sweep_dir": sweep_dir, "sweep_id": sweep.sweep_id, "total": len(recs),
        "done": sum(r["status"] == "finished" for r in recs),
        "failed": sum(r["status"] == "failed" for r in recs),
        "skipped": sum(r["skipped"] for r in recs), "runs": recs,
    }
    csv_path, html_path = write_comparison(sweep_dir, _records_from_sweep(sweep_dir),
                                           title=f"Sweep {sweep.sweep_id}", html_report=html)
    result.update(comparison_csv=csv_path, comparison_html=html_path)
    return result


def _run_local(todo: list[PlannedRun], sweep_dir: Path, workers: int, threads: int, finish: Any,
               prog: Progress) -> None:
    with cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sweep-run") as pool:
        futures = {pool.submit(run_in_subprocess, r.config.to_dict(), str(sweep_dir / r.name), threads): r
                   for r in todo}
        try:
            pending = set(futures)
            while pending:
                done, pending = cf.wait(pending, timeout=60, return_when=cf.FIRST_COMPLETED)
                for f in done:
                    finish(futures[f], f.result())
                if not done and prog.enabled:
                    print(prog.line(), flush=True)
        except KeyboardInterrupt:
            pool.shutdown(wait=False, cancel_futures=True)
            _terminate_children()
            if prog.enabled:
                print("[sweep] interrupted: unfinished runs run again when the same sweep is re-run", flush=True)
            raise


def _run_dask(client: Any, todo: list[PlannedRun], sweep_dir: Path, threads: int, finish: Any,
              prog: Progress) -> None:
    import distributed

    futures = {client.submit(run_in_subprocess, r.config.to_dict(), str(sweep_dir / r.name), threads,
                             key=f"lstm-run-{r.name}", pure=False): r for r in todo}
    pending = list(futures)
    while pending:
        try:
            done_pending = distributed.wait(pending, timeout=60, return_when="FIRST_COMPLETED")
        except distributed.TimeoutError:
            if prog.enabled:
                print(prog.line(), flush=True)
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
                result = {"status": "failed", "reason": f"Dask task failed: {type(exc).__name__}: {exc}"[:500],
                          "seconds": None, "run_dir": str(sweep_dir / run.name)}
            finish(futures[f], result)


# ============================================================================ MLflow
def _import_mlflow() -> Any:
    try:
        import mlflow
    except ImportError as exc:
        raise ConfigError("--mlflow needs MLflow: pip install 'lstm-workbench[tracking]' "
                          "(mlflow-skinny)") from exc
    return mlflow


def run_numbers(run_dir: Path) -> dict[str, float]:
    """Numeric values of a run's train.json and metrics.json, flattened (``metrics.per_class.play.f1``)."""
    numbers: dict[str, float] = {}
    for name in ("train.json", "metrics.json"):
        path = run_dir / name
        if not path.is_file():
            continue
        for k, v in flatten(read_json(path), name.split(".")[0] + ".").items():
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                continue
            numbers[re.sub(r"[^A-Za-z0-9_.\-/ ]", "_", k)] = float(v)
    return numbers


def log_run_to_mlflow(run_dir: Path, uri: str, experiment: str, tags: dict[str, str] | None = None) -> str:
    """Log one run directory to MLflow: flattened parameters, numeric metrics, report.html.

    A ``file://`` store needs ``MLFLOW_ALLOW_FILE_STORE=true`` with MLflow 3 (set here);
    mlflow-skinny has no SQLAlchemy, so ``sqlite://`` stores need the full ``mlflow``.
    Returns the MLflow run id.
    """
    mlflow = _import_mlflow()
    if uri.startswith("file:") or "://" not in uri:
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    client = mlflow.tracking.MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name(experiment)
    exp_id = exp.experiment_id if exp else client.create_experiment(experiment)
    status = _status(run_dir)
    run = client.create_run(exp_id, run_name=run_dir.name,
                            tags={"status": str(status.get("status")), "fingerprint": str(status.get("fingerprint")),
                                  "reason": str(status.get("reason") or "")[:5000], **(tags or {})})
    rid = run.info.run_id
    from mlflow.entities import Metric, Param

    params = read_params(run_dir)
    flat = [Param(k, json.dumps(v) if isinstance(v, list | dict) else str(v)[:6000])
            for k, v in flatten(params).items()]
    stamp = int(time.time() * 1000)
    metrics = [Metric(k, v, stamp, 0) for k, v in run_numbers(run_dir).items()]
    for i in range(0, max(len(flat), len(metrics)), 100):
        client.log_batch(rid, metrics=metrics[i:i + 100], params=flat[i:i + 100])
    if (run_dir / "report.html").is_file():
        client.log_artifact(rid, str(run_dir / "report.html"))
    client.set_terminated(rid, "FINISHED" if status.get("status") == "finished" else "FAILED")
    return rid


# ============================================================================ comparison table
def _cell(v: Any) -> Any:
    """A parameter value as one table cell (lists / dicts as compact JSON)."""
    return json.dumps(v, separators=(",", ":")) if isinstance(v, list | dict) else v


def _records_from_sweep(sweep_dir: Path) -> list[dict[str, Any]]:
    meta = read_json(sweep_dir / SWEEP_JSON)
    return [{**r, "keys": meta.get("keys", [])} for r in meta["runs"]]


def collect_runs(dirs: list[str | Path]) -> list[dict[str, Any]]:
    """Run records from run directories and sweep / search directories (expanded to their runs).

    Raises
    ------
    FileNotFoundError
        A path that does not exist or holds no run.
    """
    records: list[dict[str, Any]] = []
    for d in map(Path, dirs):
        d = d.resolve()
        if not d.is_dir():
            raise FileNotFoundError(f"{d} is not a directory (expected a run or sweep directory)")
        if (d / SWEEP_JSON).is_file():
            records += _records_from_sweep(d)
        elif (d / PARAMS_FILE).is_file():
            sweep_meta = read_json_optional(d.parent / SWEEP_JSON)
            match = [r for r in sweep_meta.get("runs", []) if Path(r["run_dir"]).name == d.name]
            records.append({**match[0], "keys": sweep_meta.get("keys", []), "run_dir": str(d)} if match
                           else {"run_dir": str(d)})
        else:
            runs = run_dirs_in(d)
            if not runs:
                raise FileNotFoundError(f"{d} holds no run (no params.yaml) and no run directories")
            records += [{"run_dir": str(r)} for r in runs]
    seen: set[str] = set()
    unique = []
    for r in records:
        if r["run_dir"] not in seen:
            seen.add(r["run_dir"])
            unique.append(r)
    return unique


def _quality_metric(table: pd.DataFrame) -> str:
    if "pr_auc" in table and table["pr_auc"].notna().any():
        return "pr_auc"
    return "balanced_accuracy"


def comparison_table(records: list[dict[str, Any]]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One row per run: swept keys, variant, seed, model, size, time, metrics, status.

    Returns
    -------
    (DataFrame, dict)
        The table, and its description: ``keys`` (columns of swept / differing parameters),
        ``metrics`` (metric columns), ``classes`` (classes of interest),
        ``quality_metric`` (``pr_auc`` when available, else ``balanced_accuracy``).
    """
    params, rows = [], []
    interest: list[str] = []
    for rec in records:
        run_dir = Path(rec["run_dir"])
        p = read_params(run_dir)
        m = read_json_optional(run_dir / "metrics.json")
        for c in m.get("classes_of_interest") or (p.get("data") or {}).get("classes_of_interest") or []:
            if c not in interest:
                interest.append(c)
        params.append(p)
    if not interest:  # multi-class without a class of interest: every class
        for rec in records:
            for c in read_json_optional(Path(rec["run_dir"]) / "metrics.json").get("classes") or []:
                if c not in interest:
                    interest.append(c)

    flat = [{k: _cell(v) for k, v in flatten({x: y for x, y in p.items() if x not in ("run", "seed")}).items()}
            for p in params]
    keys = list(dict.fromkeys(k for r in records for k in r.get("keys", [])))
    if not keys or any(not r.get("keys") for r in records) or len({tuple(r.get("keys", [])) for r in records}) > 1:
        all_keys = list(dict.fromkeys(k for f in flat for k in f))
        keys = [k for k in all_keys if len({json.dumps(f.get(k), sort_keys=True, default=str) for f in flat}) > 1]

    for rec, p, f in zip(records, params, flat, strict=True):
        run_dir = Path(rec["run_dir"])
        t = read_json_optional(run_dir / "train.json")
        m = read_json_optional(run_dir / "metrics.json")
        st = read_json_optional(run_dir / STATUS_FILE)
        row: dict[str, Any] = {"run": run_dir.name, "variant": rec.get("variant"),
                               "seed": p.get("seed", rec.get("seed"))}
        row.update({k: f.get(k) for k in keys})
        row.update({
            "model_name": t.get("model_name"), "n_params": t.get("n_params"),
            "seconds_per_epoch": t.get("seconds_per_epoch_mean"), "total_seconds": t.get("total_seconds"),
            "run_seconds": st.get("seconds"), "epochs_run": t.get("epochs_run"), "best_epoch": t.get("best_epoch"),
            "accuracy": m.get("accuracy"), "majority_baseline_accuracy": m.get("majority_baseline_accuracy"),
            "balanced_accuracy": m.get("balanced_accuracy"), "mcc": m.get("mcc"), "pr_auc": m.get("pr_auc"),
            "roc_auc": m.get("roc_auc"), "top_k_accuracy": m.get("top_k_accuracy"),
        })
        for c in interest:
            pc = (m.get("per_class") or {}).get(c) or {}
            for what in ("precision", "recall", "f1"):
                row[f"{c}_{what}"] = pc.get(what)
        row["threshold"] = m.get("threshold")
        for c in interest:
            b = (m.get("bouts") or {}).get(c) or {}
            row[f"{c}_bout_recall"] = b.get("bout_recall")
            row[f"{c}_bout_precision"] = b.get("bout_precision")
        status = st.get("status") or rec.get("status") or "missing"
        row.update({"status": status, "reason": st.get("reason") or rec.get("reason"),
                    "fingerprint": st.get("fingerprint") or rec.get("fingerprint"), "run_dir": str(run_dir)})
        rows.append(row)
    table = pd.DataFrame(rows)
    if not table.empty:  # drop columns no run has (e.g. variant, bouts, top-k)
        table = table[[c for c in table.columns if c in ("run", "status", "run_dir") or table[c].notna().any()]]
    metric_cols = [c for c in table.columns if c in (
        "accuracy", "majority_baseline_accuracy", "balanced_accuracy", "mcc", "pr_auc", "roc_auc",
        "top_k_accuracy", "threshold") or c.endswith(("_precision", "_recall", "_f1"))]
    meta = {"keys": keys, "metrics": metric_cols, "classes": interest,
            "quality_metric": _quality_metric(table) if not table.empty else "pr_auc",
            "time_columns": [c for c in ("n_params", "seconds_per_epoch", "total_seconds", "run_seconds",
                                         "epochs_run") if c in table.columns]}
    return table, meta


def write_comparison(out: Path, records: list[dict[str, Any]], title: str = "Comparison",
                     html_report: bool = True) -> tuple[Path, Path | None]:
    """Write ``comparison.csv`` + ``comparison.json`` and (``html_report``) ``comparison.html``,
    rendered by executing notebooks/04_compare.ipynb with papermill and exporting it with the
    code hidden (:func:`lstm_helpers.runs.report.export_html`)."""
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    table, meta = comparison_table(records)
    csv_path = write_text(out / COMPARISON_CSV, table.to_csv(index=False))
    write_json(out / COMPARISON_JSON, {**meta, "title": title,
                                       "written": dt.datetime.now().isoformat(timespec="seconds")})
    if not html_report:
        return csv_path, None
    return csv_path, render_comparison(out, title)


def render_comparison(out: Path, title: str = "Comparison") -> Path:
    """Execute notebooks/04_compare.ipynb on ``out`` and export ``out/comparison.html``."""
    import nbformat
    import papermill as pm

    from lstm_helpers.runs.pipeline import NOTEBOOKS_DIR, kernel_name
    from lstm_helpers.runs.report import export_html

    executed = out / COMPARE_NOTEBOOK
    pm.execute_notebook(str(NOTEBOOKS_DIR / COMPARE_NOTEBOOK), str(executed),
                        parameters={"sweep_dir": str(out), "run_dirs": []}, kernel_name=kernel_name(),
                        cwd=str(out), progress_bar=False, log_output=False)
    nb = nbformat.read(executed, as_version=4)
    nb.cells = [c for c in nb.cells if not ({"parameters", "injected-parameters"} & set(c.metadata.get("tags", [])))]
    return export_html(nb, out / COMPARISON_HTML, title)


def compare_runs(dirs: list[str | Path], out: str | Path | None = None) -> list[Path]:
    """``lstm-workbench compare``: comparison.csv + comparison.html for any run / sweep directories.

    ``out`` defaults to the first sweep or search directory among ``dirs`` (a search's
    trials.csv then joins the page), else
    ``reports/comparisons/compare-<hash of the run directories>``.
    """
    if not dirs:
        raise ConfigError("compare needs at least one run or sweep directory")
    records = collect_runs(dirs)
    if out is None:
        sweeps = [Path(d).resolve() for d in dirs
                  if (Path(d) / SWEEP_JSON).is_file() or (Path(d) / TRIALS_CSV).is_file()]
        if sweeps:
            out = sweeps[0]
        else:
            digest = hashlib.sha256("\n".join(sorted(r["run_dir"] for r in records)).encode()).hexdigest()[:8]
            out = resolve_path("reports") / "comparisons" / f"compare-{digest}"
    csv_path, html_path = write_comparison(Path(out), records, title=f"Comparison of {len(records)} runs")
    return [csv_path, html_path] if html_path else [csv_path]


# ============================================================================ notebook 04 helpers
@dataclass
class Comparison:
    """What notebooks/04_compare.ipynb shows: the table and its description."""

    table: pd.DataFrame
    meta: dict[str, Any]
    directory: Path | None

    @property
    def quality(self) -> str:
        return self.meta.get("quality_metric", "pr_auc")

    @property
    def finished(self) -> pd.DataFrame:
        return self.table[self.table["status"] == "finished"] if "status" in self.table else self.table


def open_comparison(sweep_dir: str | Path = "", run_dirs: list[str | Path] | None = None) -> Comparison:
    """Load ``comparison.csv`` / ``comparison.json`` from ``sweep_dir``, or build the table from
    ``run_dirs`` (run or sweep directories) when ``sweep_dir`` is empty or has none."""
    d = Path(sweep_dir).resolve() if sweep_dir else None
    if d is not None and (d / COMPARISON_CSV).is_file():
        table = pd.read_csv(d / COMPARISON_CSV)
        meta = read_json_optional(d / COMPARISON_JSON)
        return Comparison(table, meta, d)
    dirs = list(run_dirs or []) or ([d] if d is not None else [])
    if not dirs:
        raise ValueError("set sweep_dir (a directory with comparison.csv) or run_dirs (runs / sweeps to compare)")
    table, meta = comparison_table(collect_runs(dirs))
    return Comparison(table, meta, d)


def show(obj: Any) -> Any:
    """A matplotlib figure as a PNG image object (displays whatever the kernel's matplotlib
    backend is, e.g. ``MPLBACKEND=Agg``); anything else is returned unchanged."""
    from matplotlib.figure import Figure

    if not isinstance(obj, Figure):
        return obj
    import io

    from IPython.display import Image

    buf = io.BytesIO()
    obj.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return Image(data=buf.getvalue(), format="png")


def comparison_overview(c: Comparison) -> Any:
    """A one-paragraph summary: how many runs, which keys vary, the best run by the quality metric."""
    from IPython.display import Markdown

    t = c.table
    n_fin = len(c.finished)
    text = [f"**{c.meta.get('title', 'Comparison')}**: {len(t)} runs, {n_fin} finished, "
            f"{len(t) - n_fin} not finished."]
    if c.meta.get("keys"):
        text.append("Varying parameters: " + ", ".join(f"`{k}`" for k in c.meta["keys"]) + ".")
    if "variant" in t:
        text.append("Variants: " + ", ".join(f"`{v}`" for v in t["variant"].dropna().unique()) + ".")
    q = c.quality
    if q in c.finished and c.finished[q].notna().any():
        best = c.finished.loc[c.finished[q].idxmax()]
        text.append(f"Best by {q}: `{best['run']}` ({q} = {best[q]:.3f}).")
    if c.directory:
        text.append(f"Directory: `{c.directory}`.")
    return Markdown(" ".join(text))


_SORT_JS = """
<script>
(function () {
  var table = document.getElementById("%(id)s");
  if (!table) return;
  var heads = table.tHead.rows[table.tHead.rows.length - 1].cells;
  Array.prototype.forEach.call(heads, function (th, col) {
    th.style.cursor = "pointer";
    th.title = "click to sort";
    th.addEventListener("click", function () {
      var asc = th.getAttribute("data-dir") !== "asc";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("data-dir"); });
      th.setAttribute("data-dir", asc ? "asc" : "desc");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].textContent.trim(), y = b.cells[col].textContent.trim();
        var nx = parseFloat(x), ny = parseFloat(y);
        var ex = x === "" || x === "–", ey = y === "" || y === "–";
        if (ex || ey) return ex === ey ? 0 : (ex ? 1 : -1);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
})();
</script>
"""

_TABLE_CSS = """<style>
table.lw-sortable {border-collapse: collapse; font-size: 12px}
table.lw-sortable th, table.lw-sortable td {border: 1px solid #ccc; padding: 2px 6px; white-space: nowrap}
table.lw-sortable th {background: #f3f3f3; position: sticky; top: 0}
table.lw-sortable th[data-dir=asc]::after {content: " ▲"}
table.lw-sortable th[data-dir=desc]::after {content: " ▼"}
</style>"""


def sortable_table(table: pd.DataFrame, digits: int = 3, drop: tuple[str, ...] = ("run_dir", "fingerprint")) -> Any:
    """The table as HTML whose columns sort on a click (a dozen lines of inline JavaScript,
    written here because pandas' Styler does not sort and a CDN library would need the
    internet at view time)."""
    from IPython.display import HTML

    if table is None or table.empty:
        return HTML("<p>No rows.</p>")
    shown = table.drop(columns=[c for c in drop if c in table.columns])
    table_id = "lw-" + hashlib.sha256(shown.to_csv().encode()).hexdigest()[:10]
    body = shown.to_html(index=False, na_rep="", float_format=lambda x: f"{x:.{digits}f}", border=0,
                         classes="lw-sortable", table_id=table_id)
    return HTML(_TABLE_CSS + '<div style="overflow-x: auto">' + body + "</div>" + _SORT_JS % {"id": table_id})


def _as_labels(values: pd.Series) -> pd.Series:
    """Values as category labels; whole floats (CSV turns 50 into 50.0) lose the '.0'."""
    num = pd.to_numeric(values, errors="coerce")
    if num.notna().all() and (num == num.round()).all():
        return num.astype(int).astype(str)
    return values.astype(str)


def run_labels(c: Comparison) -> pd.Series:
    """Short labels saying how runs differ: variant, swept key=value, seed."""
    t = c.table
    keys = [k for k in c.meta.get("keys", []) if k in t]
    short = _short_keys(keys)
    parts = [t["variant"].fillna("").astype(str)] if "variant" in t else []
    parts += [short[k] + "=" + _as_labels(t[k]) for k in keys]
    if "seed" in t and t["seed"].nunique() > 1:
        parts.append("seed " + _as_labels(t["seed"]))
    if not parts:
        return t["run"].astype(str)
    return pd.concat(parts, axis=1).apply(lambda r: " · ".join(x for x in r if x), axis=1)


def _group_columns(c: Comparison) -> list[str]:
    return [k for k in ["variant", *c.meta.get("keys", [])] if k in c.table.columns]


def seed_summary(c: Comparison) -> Any:
    """Mean ± std over seeds of every metric and time column, one row per configuration."""
    from IPython.display import Markdown

    fin = c.finished
    if fin.empty or "seed" not in fin or fin["seed"].nunique() < 2:
        return Markdown("_One seed per configuration: no spread to show (add `seeds: [1, 2, 3]` to the sweep)._")
    group = _group_columns(c) or ["model_name"]
    cols = [x for x in c.meta.get("metrics", []) + c.meta.get("time_columns", []) if x in fin]
    g = fin.fillna({k: "–" for k in group}).groupby(group, sort=False)[cols]
    mean, std, n = g.mean(), g.std(), g.size()
    out = pd.DataFrame(index=mean.index)
    out["runs"] = n
    for col in cols:
        out[col] = [("" if pd.isna(m) else f"{m:.3f} ± {0.0 if pd.isna(s) else s:.3f}")
                    for m, s in zip(mean[col], std[col], strict=True)]
    return sortable_table(out.reset_index())


def plot_metric_vs_keys(c: Comparison, metrics: list[str] | None = None) -> Any:
    """The quality metric, MCC and seconds per epoch against each swept key (mean and sd over
    the other keys and seeds; seaborn point plots)."""
    import seaborn as sns
    from IPython.display import Markdown
    from matplotlib.figure import Figure

    fin = c.finished
    keys = [k for k in _group_columns(c) if k in fin and fin[k].astype(str).nunique() > 1]
    metrics = [m for m in (metrics or [c.quality, "mcc", "seconds_per_epoch"]) if m in fin and fin[m].notna().any()]
    if fin.empty or not keys or not metrics:
        return Markdown("_No swept parameter with more than one value among finished runs._")
    fig = Figure(figsize=(3.6 * len(keys), 2.8 * len(metrics)))
    axes = fig.subplots(len(metrics), len(keys), squeeze=False)
    data = fin.assign(**{k: _as_labels(fin[k]) for k in keys})
    for i, m in enumerate(metrics):
        for j, k in enumerate(keys):
            ax = axes[i][j]
            sns.pointplot(data=data, x=k, y=m, errorbar="sd", ax=ax, linestyle="none", capsize=0.1)
            sns.stripplot(data=data, x=k, y=m, ax=ax, color="0.5", alpha=0.5, size=3)
            ax.set_xlabel(k if i == len(metrics) - 1 else "")
            ax.set_ylabel(m if j == 0 else "")
            ax.tick_params(axis="x", rotation=20)
    fig.tight_layout()
    return fig


def pareto_front(time: Any, quality: Any) -> np.ndarray:
    """Boolean mask of the runs no other run beats on both time (lower) and quality (higher)."""
    t = np.asarray(time, dtype=float)
    q = np.asarray(quality, dtype=float)
    ok = np.isfinite(t) & np.isfinite(q)
    # i is dominated when some j has t_j <= t_i and q_j >= q_i with one strict
    le_t = t[None, :] <= t[:, None]
    ge_q = q[None, :] >= q[:, None]
    strict = (t[None, :] < t[:, None]) | (q[None, :] > q[:, None])
    dominated = (le_t & ge_q & strict & ok[None, :]).any(axis=1)
    return ok & ~dominated


def plot_quality_vs_time(c: Comparison, time_column: str = "total_seconds") -> Any:
    """Quality metric against training time, one point per run, the Pareto front marked."""
    import seaborn as sns
    from IPython.display import Markdown
    from matplotlib.figure import Figure

    fin = c.finished
    q = c.quality
    if fin.empty or q not in fin or time_column not in fin or fin[[q, time_column]].dropna().empty:
        return Markdown("_No finished run with both a quality metric and a training time._")
    data = fin.assign(label=run_labels(c)).dropna(subset=[q, time_column])
    front = pareto_front(data[time_column], data[q])
    hue = "variant" if "variant" in data and data["variant"].notna().any() else "model_name"
    fig = Figure(figsize=(7.5, 4.5))
    ax = fig.subplots()
    sns.scatterplot(data=data, x=time_column, y=q, hue=hue, ax=ax, s=40)
    pts = data[front].sort_values(time_column)
    ax.step(pts[time_column], pts[q], where="post", color="tab:red", lw=1.2, label="Pareto front")
    ax.scatter(pts[time_column], pts[q], s=140, facecolors="none", edgecolors="tab:red")
    for _, r in pts.iterrows():
        ax.annotate(str(r["label"])[:60], (r[time_column], r[q]), fontsize=7, xytext=(4, 4),
                    textcoords="offset points")
    ax.set_xlabel(f"{time_column} (s)")
    ax.set_ylabel(q)
    ax.legend(fontsize=7, loc="best")
    ax.set_title("Quality vs training time (red: no run is both faster and better)")
    fig.tight_layout()
    return fig


def variant_table(c: Comparison) -> Any:
    """Before / after: each metric and time column per variant (mean over seeds and grid),
    plus the change from the first to the last variant."""
    from IPython.display import Markdown

    fin = c.finished
    if "variant" not in fin or fin["variant"].nunique() < 2:
        return Markdown("_No variants in this comparison._")
    cols = [x for x in c.meta.get("time_columns", []) + c.meta.get("metrics", []) if x in fin]
    order = list(dict.fromkeys(fin["variant"]))
    means = fin.groupby("variant", sort=False)[cols].mean().T[order]
    if len(order) >= 2:
        means[f"change ({order[-1]} − {order[0]})"] = means[order[-1]] - means[order[0]]
    return means.round(4)


def trials_table(c: Comparison) -> Any:
    """The hyperparameter-search trials (trials.csv next to the comparison), best first."""
    from IPython.display import Markdown

    path = (c.directory / TRIALS_CSV) if c.directory else None
    if path is None or not path.is_file():
        return Markdown("_No hyperparameter search in this comparison._")
    trials = pd.read_csv(path)
    if "score" in trials:
        ascending = "direction" in trials and (trials["direction"] == "min").any()
        trials = trials.sort_values("score", ascending=ascending, na_position="last")
    return sortable_table(trials)


def failed_runs(c: Comparison) -> Any:
    """Runs that did not finish, with their one-line reason."""
    from IPython.display import Markdown

    t = c.table
    bad = t[t["status"] != "finished"] if "status" in t else t.iloc[0:0]
    if bad.empty:
        return Markdown("_Every run finished._")
    cols = [x for x in ("run", "status", "reason", "run_dir") if x in bad]
    return Markdown("\n".join(f"- `{r['run']}` **{r['status']}**: {html.escape(str(r.get('reason')))}"
                              for _, r in bad[cols].iterrows()))


if __name__ == "__main__":
    _child_main()
