"""Which compared runs share a task: the same data (``data.kind``, ``data.path``) and the same
classes (``prepare.json``). Figures of runs on different tasks do not compare: a binary run's
PR-AUC is its positive class's, a 4-class run's the macro average over four; 3 classes of
sequences and 3 classes of a table are other windows of other animals. The comparison then
says so at its top and ranks runs within each task, never one "best" across them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from lstm_helpers.artifacts import read_json_optional
from lstm_helpers.data.text import character_classes
from lstm_helpers.experiments.html_tables import esc
from lstm_helpers.judge.validation_notes import pr_auc_is_macro
from lstm_helpers.layout import RunLayout

MAX_CLASSES_SHOWN = 6  # a character model's vocabulary: counted, not listed


def _task(run_dir: str, p: dict[str, Any]) -> tuple[str | None, str | None, str | None, bool]:
    """``(data.kind, data.path, classes, binary)`` of a run: its classes as prepared (prepare.json,
    else metrics.json); binary when its ``pr_auc`` is one class's own, not a macro average. What
    is not known yet is None: the data of a run without params.yaml (a sweep's run that never
    started), the classes of one stopped before stage 01 wrote them."""
    lay = RunLayout(run_dir)
    metrics = read_json_optional(lay.metrics)
    # a text's classes as the characters a target can be (its <pad> / <unk> never are)
    classes = character_classes(read_json_optional(lay.prepare_json).get("classes") or metrics.get("classes") or [])
    data = p.get("data")
    shown = ", ".join(map(str, classes)) if len(classes) <= MAX_CLASSES_SHOWN else ""
    text = f"{len(classes)} classes" + (f" ({shown})" if shown else "") if classes else None
    binary = bool(metrics.get("classes")) and not pr_auc_is_macro(metrics)
    if not isinstance(data, dict):
        return None, None, text, binary
    return str(data.get("kind", "recordings")), str(data.get("path", "")), text, binary


def run_tasks(records: list[dict[str, Any]], params: list[dict[str, Any]]) -> tuple[list[str], list[str], list[bool]]:
    """Each run's task as one label (``sequences seq.npz · 3 classes (a, b, c)``), what differs
    between the runs' tasks (``data.kind``, ``data.path``, ``classes``; empty when all share
    one) and whether each run is binary. A part not known yet (:func:`_task`) differs from
    nothing: an interrupted sweep's runs that never started do not split its task."""
    tasks = [_task(r["run_dir"], p) for r, p in zip(records, params, strict=True)]
    names = {path: Path(path).name or path for _, path, _, _ in tasks if path is not None}
    if len(set(names.values())) < len(names):  # two files of one name: their whole paths
        names = {path: path for path in names}
    labels = [
        f"{kind} {names[path]} · {classes or 'classes unknown'}" if kind is not None else "not started"
        for kind, path, classes, _ in tasks
    ]
    differ = [
        what
        for i, what in enumerate(("data.kind", "data.path", "classes"))
        if len({t[i] for t in tasks if t[i] is not None}) > 1
    ]
    return labels, differ, [t[3] for t in tasks]


def tasks_sentence(c: Any, best_sentence: Any) -> str:
    """Plain HTML, for the top of the page: the runs do not share one task (what differs), so
    none is named best across them; then the best run by validation within each task
    (``best_sentence(runs, metric)``: the comparison's own rule, :func:`.display.best_and_tie`:
    the validation metric, a tie broken by the lower validation log loss, a tie that remains said)."""
    differ = ", ".join(c.meta.get("task_differs") or []) or "data or classes"
    out = [
        '<span style="display: block; border-left: 4px solid #c0392b; padding: 4px 10px; background: #fdecea">'
        f"<b>These runs do not share one task</b>: they differ in {differ}. A figure of one does not compare "
        "with a figure of another (a binary run's PR-AUC is one class's, a multi-class run's the macro "
        "average; other data are other windows), so no run is named best across them: each is ranked "
        "within its own task.</span>"
    ]
    fin = c.finished
    for task in c.tasks:
        q, runs = (c.meta.get("rank_by_task") or {}).get(task), fin[fin["task"] == task]
        if q is None or q not in runs or runs[q].isna().all():
            out.append(f"<b>{esc(task)}</b>: no finished run with validation metrics.")
            continue
        out.append(f"<b>{esc(task)}</b>: {best_sentence(runs, q)}")
    return " ".join(out[:1] + ["<br>" + x for x in out[1:]])


def task_groups(c: Any) -> list[tuple[str, pd.DataFrame, str | None]]:
    """``(task, its finished runs, the validation metric that ranks them)`` per task."""
    fin = c.finished
    return [(t, fin[fin["task"] == t], (c.meta.get("rank_by_task") or {}).get(t)) for t in c.tasks]
