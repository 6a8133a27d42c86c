"""MLflow tracking of sweep runs (the optional ``tracking`` extra).

Each run directory becomes one MLflow run: its flattened parameters, every numeric value of
``train.json`` and ``metrics.json``, and ``report.html`` as an artifact.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from pathlib import Path
from typing import Any

from lstm_helpers.artifacts import flatten, read_json, read_params
from lstm_helpers.config import ConfigError
from lstm_helpers.experiments.resume import run_status
from lstm_helpers.layout import RunLayout

INSTALL_HINT = "install the tracking extra: pip install -e '.[tracking]'"


def import_mlflow() -> Any:
    """``mlflow``, or a ConfigError saying which extra to install.

    Raises
    ------
    ConfigError
        When MLflow is not installed.
    """
    try:
        import mlflow
    except ImportError as exc:
        raise ConfigError(f"--mlflow needs MLflow, which is not installed; {INSTALL_HINT}") from exc
    return mlflow


def run_numbers(run_dir: Path) -> dict[str, float]:
    """Numeric values of a run's train.json and metrics.json, flattened (``metrics.per_class.play.f1``)."""
    lay = RunLayout(run_dir)
    numbers: dict[str, float] = {}
    for path in (lay.train_json, lay.metrics):
        if not path.is_file():
            continue
        for k, v in flatten(read_json(path), path.stem + ".").items():
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                continue
            numbers[re.sub(r"[^A-Za-z0-9_.\-/ ]", "_", k)] = float(v)
    return numbers


def _client(uri: str) -> Any:
    """An MLflow client of ``uri``; a ``file://`` store needs ``MLFLOW_ALLOW_FILE_STORE=true``
    with MLflow 3 (set here)."""
    mlflow = import_mlflow()
    if uri.startswith("file:") or "://" not in uri:
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    return mlflow.tracking.MlflowClient(tracking_uri=uri)


def log_run_to_mlflow(run_dir: Path, uri: str, experiment: str, tags: dict[str, str] | None = None) -> str:
    """Log one run directory to MLflow: flattened parameters, numeric metrics, report.html.

    A ``file://`` store needs ``MLFLOW_ALLOW_FILE_STORE=true`` with MLflow 3 (set here);
    mlflow-skinny has no SQLAlchemy, so ``sqlite://`` stores need the full ``mlflow``.
    Returns the MLflow run id.
    """
    from mlflow.entities import Metric, Param

    client = _client(uri)
    exp = client.get_experiment_by_name(experiment)
    exp_id = exp.experiment_id if exp else client.create_experiment(experiment)
    status = run_status(run_dir)
    run = client.create_run(
        exp_id,
        run_name=run_dir.name,
        tags={
            "status": str(status.get("status")),
            "fingerprint": str(status.get("fingerprint")),
            "reason": str(status.get("reason") or "")[:5000],
            **(tags or {}),
        },
    )
    rid = run.info.run_id
    flat = [
        Param(k, json.dumps(v) if isinstance(v, list | dict) else str(v)[:6000])
        for k, v in flatten(read_params(run_dir)).items()
    ]
    stamp = int(time.time() * 1000)
    metrics = [Metric(k, v, stamp, 0) for k, v in run_numbers(run_dir).items()]
    for i in range(0, max(len(flat), len(metrics)), 100):
        client.log_batch(rid, metrics=metrics[i : i + 100], params=flat[i : i + 100])
    report = RunLayout(run_dir).report
    if report.is_file():
        client.log_artifact(rid, str(report))
    client.set_terminated(rid, "FINISHED" if status.get("status") == "finished" else "FAILED")
    return rid


def log_missing_runs(run_dirs: list[Path], uri: str, experiment: str, tags: dict[str, dict[str, str]]) -> list[Path]:
    """Log the finished runs of ``run_dirs`` that ``experiment`` holds no finished MLflow run
    for (matched by the ``fingerprint`` tag): a sweep stopped after a run finished but before
    that run was logged skips it when resumed, and would otherwise leave it out of MLflow.
    ``tags``: extra tags per run directory name. Returns the directories logged now."""
    client = _client(uri)
    exp = client.get_experiment_by_name(experiment)
    logged: set[str] = set()
    if exp is not None:
        for r in client.search_runs([exp.experiment_id], filter_string="tags.status = 'finished'", max_results=50000):
            logged.add(r.data.tags.get("fingerprint", ""))
    missing = [d for d in run_dirs if str(run_status(d).get("fingerprint")) not in logged]
    for d in missing:
        log_run_to_mlflow(d, uri, experiment, tags=tags.get(d.name))
    return missing
