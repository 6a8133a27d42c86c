"""Runs: parameters in, an immutable directory of executed notebooks, artifacts and one HTML
report out.

Each stage notebook is executed by papermill in a fresh kernel with the run directory as
its working directory; nbconvert exports the presentation page with code hidden. A failing
notebook leaves its executed copy (error visible), a ``status.json`` saying ``failed`` and
why, and raises :class:`RunFailed` -- earlier runs are never touched.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from pathlib import Path
from typing import Any

from lstm_helpers.artifacts import PARAMS_FILE, read_json, write_json, write_yaml
from lstm_helpers.config import PROJECT_ROOT, Config, resolve_path
from lstm_helpers.runs.kernel import quiet_kernel_kwargs
from lstm_helpers.runs.terminal import ProgressEcho, stage_done_line, stage_start_line

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
STAGES = {"prepare": "01_prepare.ipynb", "train": "02_train.ipynb", "evaluate": "03_evaluate.ipynb"}
STATUS_FILE = "status.json"


class RunFailed(RuntimeError):
    """A stage notebook failed; ``str()`` is a one-line reason, ``.notebook`` the executed copy."""

    def __init__(self, reason: str, notebook: Path | None = None, run_dir: Path | None = None):
        super().__init__(reason)
        self.notebook = notebook
        self.run_dir = run_dir


def kernel_name() -> str:
    """Kernel used by papermill: ``$LSTM_WORKBENCH_KERNEL`` or the current environment's ``python3``."""
    return os.environ.get("LSTM_WORKBENCH_KERNEL", "python3")


def reports_root(cfg: Config) -> Path:
    return resolve_path(cfg.run.reports_dir)


def expected_model_name(cfg: Config) -> str:
    """The model name the training stage will give this config (used in the run id)."""
    from lstm_helpers.data.prepared import InputInfo
    from lstm_helpers.model.models import model_name

    return model_name(cfg.model, InputInfo.from_config(cfg).to_dict())


def new_run_dir(cfg: Config, root: Path | None = None) -> Path:
    """``reports/<YYYYmmdd-HHMMSS>_<model name>[_<run.name>]``, unique even within a second."""
    root = root or reports_root(cfg)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    name = f"{stamp}_{expected_model_name(cfg)}"
    if cfg.run.name:
        name += "_" + re.sub(r"[^A-Za-z0-9_.-]+", "-", cfg.run.name)
    path, i = root / name, 1
    while path.exists():
        i += 1
        path = root / f"{name}-{i}"
    path.mkdir(parents=True)
    return path


def _one_line(exc: BaseException) -> str:
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    text = f"{ename}: {evalue}".strip().splitlines()
    return text[0] if len(text) == 1 else f"{text[0]} {text[-1]}"[:500]


def execute_stage(stage: str, run_dir: Path, overrides: dict[str, Any] | None = None,
                  log_output: bool = True, quiet: bool = False) -> Path:
    """Execute one stage notebook into ``run_dir`` with papermill; return the executed copy."""
    import papermill as pm

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # kernels inherit it: no TF start-up noise
    src = NOTEBOOKS_DIR / STAGES[stage]
    out = run_dir / STAGES[stage]
    print(stage_start_line(stage, out), flush=True)
    t0 = time.perf_counter()
    try:
        pm.execute_notebook(
            str(src), str(out),
            parameters={"run_dir": str(run_dir), "config_file": "", "overrides": overrides or {}},
            kernel_name=kernel_name(), cwd=str(run_dir), log_output=False, progress_bar=False,
            stdout_file=ProgressEcho() if log_output and not quiet else None,  # epoch lines only
            **quiet_kernel_kwargs(run_dir),  # kernel noise -> kernel.log (runs/kernel.py)
        )
    except Exception as exc:  # papermill's PapermillExecutionError, kernel death, ...
        reason = f"{stage} failed in {out.name}: {_one_line(exc)}"
        _set_status(run_dir, "failed", stage=stage, reason=reason)
        raise RunFailed(reason, out, run_dir) from exc
    print(stage_done_line(stage, time.perf_counter() - t0), flush=True)
    return out


def _set_status(run_dir: Path, status: str, **extra: Any) -> None:
    path = run_dir / STATUS_FILE
    data = read_json(path) if path.is_file() else {}
    data.update({"status": status, "updated": dt.datetime.now().isoformat(timespec="seconds")}, **extra)
    write_json(path, data)


def run_status(run_dir: Path) -> dict:
    path = Path(run_dir) / STATUS_FILE
    return read_json(path) if path.is_file() else {"status": "unknown"}


def _export(run_dir: Path) -> None:
    """``report.html`` and ``slides.html`` of the run and the ``index.html`` of the directory holding it."""
    from lstm_helpers.runs.report import export_report, write_index
    from lstm_helpers.runs.slides import write_slides

    export_report(run_dir)
    write_slides(run_dir)
    write_index(run_dir.parent)


def run_pipeline(cfg: Config, run_dir: Path | None = None, stages: tuple[str, ...] = ("prepare", "train", "evaluate"),
                 report: bool = True, quiet: bool = False) -> Path:
    """Execute 01 -> 02 -> 03 into a new run directory, then export ``report.html``.

    The resolved parameters are saved first as ``params.yaml``; every notebook reads them
    from there. Raises :class:`RunFailed` with a one-line reason when a stage fails.
    """
    run_dir = Path(run_dir) if run_dir else new_run_dir(cfg)
    run_dir.mkdir(parents=True, exist_ok=True)
    write_yaml(run_dir / PARAMS_FILE, cfg.to_dict())
    t0 = time.perf_counter()
    _set_status(run_dir, "running", started=dt.datetime.now().isoformat(timespec="seconds"),
                fingerprint=cfg.fingerprint())
    for stage in stages:
        _set_status(run_dir, "running", stage=stage)
        try:
            execute_stage(stage, run_dir, quiet=quiet)
        except RunFailed:
            if report:  # a page that shows the failure and what ran before it
                try:
                    _export(run_dir)
                except Exception:  # noqa: BLE001 - the stage failure is the error to report
                    pass
            raise
    _set_status(run_dir, "finished", stage=None, reason=None, seconds=round(time.perf_counter() - t0, 1))
    if report:
        try:
            _export(run_dir)
        except Exception as exc:
            reason = f"report export failed: {_one_line(exc)}"
            _set_status(run_dir, "failed", stage="report", reason=reason)
            raise RunFailed(reason, None, run_dir) from exc
    return run_dir
