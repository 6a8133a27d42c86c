"""Resume bookkeeping of a sweep directory: which runs finished, moving failed attempts
aside, the lock that keeps two processes off one sweep, and ``sweep.json`` / ``runs.csv``.

A run whose ``status.json`` says ``finished`` with the planned fingerprint is skipped and never
touched; one stopped with its sweep (``interrupted``, same name and fingerprint) is resumed in place, its
training continuing from the last finished epoch; failed ones (and any other attempt) are moved to ``_attempts/`` and
run again.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

from lstm_helpers.artifacts import read_json, write_json, write_text
from lstm_helpers.experiments.plan import PlannedRun, Sweep
from lstm_helpers.layout import RunLayout, SweepLayout, found_dir, holds_run, stored_dir


class SweepLocked(RuntimeError):
    """The sweep directory is being run by another live process."""


def run_dirs_in(sweep_dir: Path) -> list[Path]:
    """Run directories directly under a sweep or search directory (those holding params.yaml /
    status.json; a search's shared ``prepared/`` is none: :func:`~lstm_helpers.layout.holds_run`)."""
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        return []
    attempts = SweepLayout(sweep_dir).attempts.name
    return sorted(p for p in sweep_dir.iterdir() if p.name != attempts and holds_run(p))


def run_status(run_dir: Path) -> dict[str, Any]:
    """A run's ``status.json`` ({} when missing or half-written)."""
    try:
        return read_json(RunLayout(run_dir).status)
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def write_status(run_dir: Path, **fields: Any) -> None:
    """Update a run's ``status.json`` with ``fields`` and the time."""
    path = RunLayout(run_dir).status
    data = read_json(path) if path.is_file() else {}
    data.update(fields, updated=dt.datetime.now().isoformat(timespec="seconds"))
    write_json(path, data)


def finished_runs(sweep_dir: Path) -> dict[str, Path]:
    """Fingerprint -> directory of every finished run under ``sweep_dir``."""
    out: dict[str, Path] = {}
    for d in run_dirs_in(sweep_dir):
        st = run_status(d)
        if st.get("status") == "finished" and st.get("fingerprint"):
            out.setdefault(st["fingerprint"], d)
    return out


def continues_in_place(run_dir: Path, run: PlannedRun) -> bool:
    """An attempt of ``run`` in its own directory that was stopped, not failed (the sweep
    interrupted, its process killed): resumed in place, so its training continues from the
    last finished epoch (its backup and history kept) instead of starting again.

    Raises
    ------
    SweepLocked
        When the attempt is still running: an earlier execution of the sweep left its process
        going (a Dask worker's, after a stop that could not reach it), which would go on
        writing into the folder after it was moved aside, beside the new attempt.
    """
    from lstm_helpers.runs.pipeline import run_status as true_status

    st = true_status(run_dir)
    if st["status"] == "running":
        where = f"process {st.get('pid')} on {st.get('host')}" if st.get("pid") else "its process"
        raise SweepLocked(
            f"run {run_dir.name} of this sweep is still running ({where}, left going by an earlier "
            "execution of the sweep); wait for it to end (a finished run is kept) or stop that process, "
            "then run the sweep again"
        )
    return run_dir.name == run.name and st["status"] == "interrupted" and st.get("fingerprint") == run.fingerprint


def move_aside(run_dir: Path, sweep_dir: Path) -> Path:
    """Move a failed / interrupted attempt to ``_attempts/<name>.<time stamp>``."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    attempts = SweepLayout(sweep_dir).attempts
    target = attempts / f"{run_dir.name}.{stamp}"
    i = 1
    while target.exists():
        i += 1
        target = attempts / f"{run_dir.name}.{stamp}-{i}"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(run_dir), str(target))
    return target


def acquire_lock(sweep_dir: Path) -> Path:
    """Write ``sweep.lock`` with this process id.

    Raises
    ------
    SweepLocked
        When the lock names another live process (a stale lock of a dead one is taken over).
    """
    lock = SweepLayout(sweep_dir).lock
    if lock.is_file():
        try:
            pid = int(lock.read_text().split()[0])
            os.kill(pid, 0)
            alive = pid != os.getpid()
        except (ValueError, IndexError, ProcessLookupError, PermissionError):
            alive = False
        if alive:
            raise SweepLocked(
                f"sweep directory {sweep_dir.name} is being run by process {pid}; "
                f"wait for it or delete {lock.name} there if that process is gone"
            )
    write_text(lock, f"{os.getpid()}\n")
    return lock


def refuse_run_directory(folder: Path, command: str, default: str) -> None:
    """Refuse a run's own directory (its ``params.yaml`` / ``status.json``) as the ``--out`` of
    ``command`` (sweep, search, compare): their pages (comparison.html, slides.html, an index)
    would be written over the run's, and a finished run is never rewritten. ``default``: where
    ``command`` writes without ``--out``, for the message."""
    from lstm_helpers.artifacts import shown
    from lstm_helpers.config import ConfigError

    lay = RunLayout(folder)
    held = [p.name for p in (lay.params, lay.status) if p.is_file()]
    if held:
        raise ConfigError(
            f"--out {shown(folder)} is a run's directory (it holds {' and '.join(held)}); {command} would write "
            f"its own pages over the run's, and a run is never rewritten: give {command} a new folder "
            f"(without --out it writes to {default})"
        )


def check_same_sweep(sweep: Sweep, sweep_dir: Path) -> None:
    """Refuse a run's directory (:func:`refuse_run_directory`), and a directory whose
    ``sweep.json`` records another sweep with runs this one would drop from the record (and
    the comparison). A sweep that keeps every recorded run (the same sweep resumed, or one
    grown by more values or seeds) may reuse the directory: its finished runs are found by
    fingerprint and skipped."""
    from lstm_helpers.config import ConfigError

    refuse_run_directory(sweep_dir, "the sweep", "reports/sweeps/<name>-<id>")
    plan = SweepLayout(sweep_dir).plan
    old = read_json(plan) if plan.is_file() else {}
    if not old.get("sweep_id") or old["sweep_id"] == sweep.sweep_id:
        return
    recorded = {r.get("fingerprint") for r in old.get("runs", [])} - {None}
    dropped = recorded - {r.fingerprint for r in sweep.runs}
    if dropped:
        raise ConfigError(
            f"{sweep_dir.name} holds sweep {old['sweep_id']} ({len(recorded)} runs), and this sweep "
            f"({sweep.sweep_id}) would leave {len(dropped)} of them out of its record and comparison; "
            "give this sweep another --out (without --out each sweep gets reports/sweeps/<name>-<id>), "
            "or move that directory away first"
        )


def cell(v: Any) -> Any:
    """A parameter value as one table cell (lists / dicts as compact JSON)."""
    return json.dumps(v, separators=(",", ":")) if isinstance(v, list | dict) else v


def run_record(
    run: PlannedRun,
    run_dir: Path,
    status: str,
    reason: str | None,
    seconds: float | None,
    skipped: bool,
) -> dict[str, Any]:
    """One run's line in ``sweep.json``."""
    return {
        "name": run.name,
        "fingerprint": run.fingerprint,
        "variant": run.variant,
        "seed": run.seed,
        "values": run.values,
        "status": status,
        "reason": reason,
        "seconds": seconds,
        "skipped": skipped,
        "run_dir": str(run_dir),
    }


def write_bookkeeping(sweep: Sweep, sweep_dir: Path, records: list[dict[str, Any]], extra: dict) -> None:
    """``sweep.json`` (the plan, every run's status) and ``runs.csv`` (the same as a table);
    each run's directory relative to the sweep's (:func:`~lstm_helpers.layout.stored_dir`)."""
    lay = SweepLayout(sweep_dir)
    records = [{**r, "run_dir": stored_dir(r["run_dir"], sweep_dir)} for r in records]
    write_json(
        lay.plan,
        {
            "sweep_id": sweep.sweep_id,
            "title": sweep.title,
            "description": sweep.spec.description,
            "file": str(sweep.file),
            "keys": sweep.keys,
            "variants": [v.name for v in sweep.spec.variants],
            "variant_keys": sorted({k for v in sweep.spec.variants for k in v.set}),
            "seeds": sweep.spec.seeds,
            "overrides": sweep.overrides,
            "references": [r.record() for r in sweep.spec.references],  # figures measured elsewhere
            **extra,
            "runs": records,
        },
    )
    rows = [
        {
            **{k: v for k, v in r.items() if k != "values"},
            **{k: cell(v) for k, v in r["values"].items()},
        }
        for r in records
    ]
    columns = list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text(lay.runs_csv, buf.getvalue())


def records_from_sweep(sweep_dir: Path) -> list[dict[str, Any]]:
    """The run records of ``sweep.json``, each with the sweep's keys, description and
    reference figures."""
    meta = read_json(SweepLayout(sweep_dir).plan)
    shared = {k: meta.get(k) for k in ("title", "description", "variant_keys", "references")}
    return [
        {**r, "run_dir": found_dir(r["run_dir"], sweep_dir), "keys": meta.get("keys", []), "sweep": shared}
        for r in meta["runs"]
    ]
