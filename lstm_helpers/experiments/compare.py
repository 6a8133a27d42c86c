"""Comparison of runs: collect run records from run / sweep / search directories, build one
table with validation and test metrics side by side, and write ``comparison.csv``,
``comparison.json`` and ``comparison.html`` (notebooks/04_compare.ipynb, executed).

Selection is honest: every ranking and every "best" uses a **validation** metric
(``rank_by``, e.g. ``val_pr_auc``); test columns (``test_pr_auc``) are reported next to them
and never used to choose.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from lstm_helpers.artifacts import flatten, read_json_optional, read_params, shown, write_json, write_text
from lstm_helpers.config import ConfigError, resolve_path, short_text
from lstm_helpers.experiments.columns import PER_CLASS, SCORES, TIME_COLUMNS, class_column
from lstm_helpers.experiments.groups import is_group, is_search, own_group, records_from_search, whole_group
from lstm_helpers.experiments.plan import is_planned_name, validate_spec
from lstm_helpers.experiments.references import ReferenceSpec, check_reference_classes, merged
from lstm_helpers.experiments.resume import cell, records_from_sweep, refuse_run_directory, run_dirs_in
from lstm_helpers.experiments.tasks import tasks_and_splits
from lstm_helpers.experiments.weights_kept import weights_kept
from lstm_helpers.judge.validation_notes import pr_auc_is_macro
from lstm_helpers.layout import RunLayout, SweepLayout, found_dir, stored_dir
from lstm_helpers.runs.params_cell import KEEP_WHOLE
from lstm_helpers.unused import unread_keys

BASELINE_SCORES = (
    "pr_auc",
    "balanced_accuracy",
    "mcc",
)  # metrics.json "baseline" section, when present
RANK_CANDIDATES = ("val_pr_auc", "val_balanced_accuracy")
# a tie on the metric that ranks is broken by the validation log loss (lower is better): the same
# validation windows, and a figure every evaluated run records (metrics.json ``val.log_loss``)
TIE_BREAK = "val_log_loss"
# train.monitor names that are columns of the comparison as they stand (higher is better);
# ``val_top<k>_accuracy`` is ``val_top_k_accuracy`` where every run's train.top_k is k
MONITOR_COLUMNS = ("val_accuracy", "val_balanced_accuracy", "val_pr_auc", "val_roc_auc", "val_mcc")
# settings of the recurrent layers: a convolution-only model (model.cell none) has none, so
# its cells stay blank in the table (a CNN's model.units [64, 32] is no part of it)
RECURRENT_ONLY = (
    "model.units",
    "model.bidirectional",
    "model.dropout",
    "model.recurrent_dropout",
    "model.dimension_shuffle",
    "model.unroll",
)


def collect_runs(dirs: list[str | Path]) -> list[dict[str, Any]]:
    """Run records from run directories and sweep / search directories (expanded to their runs).

    Raises
    ------
    ConfigError
        A path that does not exist or holds no run.
    """
    records: list[dict[str, Any]] = []
    for d in map(Path, dirs):
        d = d.resolve()
        if not d.is_dir():
            raise ConfigError(f"{shown(d)} is not a directory (expected a run or sweep directory)")
        if SweepLayout(d).plan.is_file():
            records += records_from_sweep(d)
        elif is_search(d):  # its runs with the searched keys, title and description its page shows
            records += records_from_search(d)
        elif RunLayout(d).params.is_file():
            records.append(_record_of_run(d))
        else:
            runs = run_dirs_in(d)
            if not runs:
                raise ConfigError(f"{d.name} holds no run (no params.yaml) and no run directories")
            records += [{"run_dir": str(r)} for r in runs]
    seen: set[str] = set()
    unique = []
    for r in records:
        if r["run_dir"] not in seen:
            seen.add(r["run_dir"])
            unique.append(r)
    return unique


def _record_of_run(d: Path) -> dict[str, Any]:
    """A run directory's record; its sweep's (search's) record when it sits in a sweep (search) directory."""
    if is_group(d.parent):
        group = records_from_sweep(d.parent) if SweepLayout(d.parent).plan.is_file() else records_from_search(d.parent)
        match = [r for r in group if Path(r["run_dir"]).name == d.name]
        if match:
            return {**match[0], "run_dir": str(d)}
    return {"run_dir": str(d)}


def split_metrics(m: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(validation, test)`` sections of a metrics.json (test at the top level or under ``test``)."""
    test = m["test"] if isinstance(m.get("test"), dict) else m
    return (m.get("val") or {}), test


def _classes_of_interest(records: list[dict[str, Any]], params: list[dict[str, Any]]) -> tuple[list[str], bool, bool]:
    """Classes of interest of every run, or every class when none is named (multi-class);
    whether a class is named (or a binary task's positive); and whether a run's ``pr_auc`` is
    a class's own (a binary task's positive class: a multi-class ``pr_auc`` is the macro
    average, named class or not)."""
    interest: list[str] = []
    metrics = [read_json_optional(RunLayout(r["run_dir"]).metrics) for r in records]
    for m, p in zip(metrics, params, strict=True):
        for c in m.get("classes_of_interest") or (p.get("data") or {}).get("classes_of_interest") or []:
            if c not in interest:
                interest.append(c)
    binary = any(m.get("classes") and not pr_auc_is_macro(m) for m in metrics)
    named = bool(interest) or binary
    if not interest:
        for m in metrics:
            interest += [c for c in m.get("classes") or [] if c not in interest]
    return interest, named, binary


def run_classes(records: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """Every class of the runs (from metrics.json, else prepare.json), and those the comparison
    shows per-class figures of (:func:`_classes_of_interest`)."""
    have: list[str] = []
    for r in records:
        lay = RunLayout(r["run_dir"])
        found = read_json_optional(lay.metrics).get("classes") or read_json_optional(lay.prepare_json).get("classes")
        have += [c for c in found or [] if c not in have]
    return have, _classes_of_interest(records, [read_params(r["run_dir"]) for r in records])[0]


def _swept(records: list[dict[str, Any]]) -> bool:
    """The runs are one sweep's (or search's) runs with its keys, not runs compared by directory."""
    return all(r.get("keys") for r in records) and len({tuple(r["keys"]) for r in records}) == 1


def _key_columns(records: list[dict[str, Any]], flat: list[dict[str, Any]], unread: list[set[str]]) -> list[str]:
    """The sweep's grid keys, or (runs of different origins) every parameter that differs
    between the runs that read it (``unread``: each run's keys its data kind never reads, as
    a sequence file's ``data.recording_column``: no label of a run names them)."""
    keys = list(dict.fromkeys(k for r in records for k in r.get("keys", [])))
    if keys and _swept(records):
        return keys
    all_keys = list(dict.fromkeys(k for f in flat for k in f))
    return [
        k
        for k in all_keys
        if len(
            {
                json.dumps(f.get(k), sort_keys=True, default=str)
                for f, u in zip(flat, unread, strict=True)
                if f and k not in u  # a run not started yet (no params.yaml) differs from nothing
            }
        )
        > 1
    ]


def _metric_cells(m: dict[str, Any], interest: list[str]) -> dict[str, Any]:
    """``val_<score>`` beside ``test_<score>`` for every score and class of interest, then
    the threshold (chosen on validation) and the test bouts."""
    val, test = split_metrics(m)
    row: dict[str, Any] = {}
    for s in SCORES:
        row[f"val_{s}"], row[f"test_{s}"] = val.get(s), test.get(s)
    row["val_log_loss"], row["test_log_loss"] = val.get("log_loss"), test.get("log_loss")  # the tie-break
    for c in interest:
        vpc, tpc = (
            (val.get("per_class") or {}).get(c) or {},
            (test.get("per_class") or {}).get(c) or {},
        )
        for what in PER_CLASS:
            col = class_column(c, what)
            row[f"val_{col}"], row[f"test_{col}"] = vpc.get(what), tpc.get(what)
    base = m.get("baseline")
    if isinstance(base, dict) and base.get("available", True) and (base.get("val") or base.get("test")):
        bval, btest = split_metrics(base)  # the MiniRocket baseline, scored like the run
        for s in BASELINE_SCORES:
            row[f"val_baseline_{s}"], row[f"test_baseline_{s}"] = bval.get(s), btest.get(s)
    row["threshold"] = m.get("threshold")
    for c in interest:
        b = (m.get("bouts") or {}).get(c) or {}
        row[f"test_{class_column(c, 'bout_recall')}"] = b.get("bout_recall")
        row[f"test_{class_column(c, 'bout_precision')}"] = b.get("bout_precision")
    return row


def _row(
    rec: dict[str, Any], p: dict[str, Any], f: dict[str, Any], keys: list[str], interest: list[str], unread: set[str]
) -> dict[str, Any]:
    lay = RunLayout(rec["run_dir"])
    t = read_json_optional(lay.train_json)
    st = read_json_optional(lay.status)
    row: dict[str, Any] = {
        "run": lay.root.name,
        "variant": rec.get("variant"),
        "seed": p.get("seed", rec.get("seed")),
    }
    unused = set(RECURRENT_ONLY if f.get("model.cell") == "none" else ()) | unread  # blank: no label names them
    row.update({k: None if k in unused else f.get(k) for k in keys})
    row.update(
        {
            "model_name": t.get("model_name"),
            "n_params": t.get("n_params"),
            # models averaged in model.keras (train.json "ensemble"; a run before ensembles: one)
            "members": t.get("ensemble", 1) if t else None,
            "seconds_per_epoch": t.get("seconds_per_epoch_mean"),
            "total_seconds": t.get("total_seconds"),
            "run_seconds": st.get("seconds"),
            "epochs_run": t.get("epochs_run"),
            # whose weights model.keras holds, as the run's report says it (its best epoch was not
            # always the one kept: final weights, members averaged)
            "weights": weights_kept(t),
        }
    )
    row.update(_metric_cells(read_json_optional(lay.metrics), interest))
    row.update(
        {
            "status": st.get("status") or rec.get("status") or "missing",
            "reason": st.get("reason") or rec.get("reason"),
            "timing_basis": t.get("timing_basis"),  # which epochs seconds_per_epoch uses (tracing or not)
            # how the times were taken: runs at a time on the machine (a sweep's workers), threads each
            "timed_with": f"{t.get('parallel_runs') or 1} at a time, {t.get('threads') or 'all'} thread(s)"
            if t
            else None,
            "fingerprint": st.get("fingerprint") or rec.get("fingerprint"),
            "run_dir": str(lay.root),
        }
    )
    return row


def rank_metric(table: pd.DataFrame, named_class: bool = True) -> str | None:
    """The validation metric that ranks: ``val_pr_auc`` when it is a class's own
    (``named_class``: a binary task's positive class) and it was measured, else
    ``val_balanced_accuracy``; None when no run has validation metrics (never a test
    metric). A multi-class PR-AUC is a macro average that no class decision follows, with a
    class of interest named or not; balanced accuracy scores the decisions, and is what a
    multi-class run's early stopping watches (:func:`lstm_helpers.model.logged.auto_metric`)."""
    for name in RANK_CANDIDATES if named_class else RANK_CANDIDATES[1:]:
        if name in table and table[name].notna().any():
            return name
    return None


def monitor_rank(params: list[dict[str, Any]], table: pd.DataFrame) -> tuple[str | None, str | None]:
    """``(column, monitor)``: the ``train.monitor`` every run shares where it is not auto (else
    None), and the comparison's column of it where the table has one (:data:`MONITOR_COLUMNS`;
    a ``val_loss`` monitor has none: the table's log loss is not Keras' loss, which a focal
    loss, label smoothing or weight decay change), else None. The monitor is what the runs
    chose their epochs by, and what ``search``'s ``objective: auto`` ranks trials by."""
    trains = [p.get("train") or {} for p in params if p]  # a run not started yet has no params
    monitors = {str(t.get("monitor", "auto")) for t in trains}
    if len(monitors) != 1 or monitors == {"auto"}:
        return None, None
    (monitor,) = monitors
    column = monitor if monitor in MONITOR_COLUMNS else None
    top = re.fullmatch(r"val_top(\d+)_accuracy", monitor)
    if top and {str(t.get("top_k", 5)) for t in trains} == {top.group(1)}:
        column = "val_top_k_accuracy"
    has = column is not None and column in table and table[column].notna().any()
    return (column if has else None), monitor


# what stage 01 reads (with the seed) that shapes the validation windows: which recordings
# and labels, the split, the windows, the scaling (fitted on training, applied to validation).
# Not ``resample.*``: rebalancing touches the training split only, so runs that differ there
# alone are scored on the same validation windows.
PREPARED_BY = ("data.", "split.", "windows.", "scale.")


def _variants_by_run_name(
    records: list[dict[str, Any]], params: list[dict[str, Any]], flat: list[dict[str, Any]], keys: list[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Separate runs named ``--set run.name=before`` / ``after`` are variants, as a sweep's
    are: each run's ``variant`` is its run.name when no run has a sweep's variant, every run
    has a name set by its user (not the one a sweep or search gives each of its runs) and the
    names differ; the variant keys are the differing parameters each name holds one value of
    (what the names stand for). Else the records as they are and no keys."""
    names = [(p.get("run") or {}).get("name") for p in params]
    labels = all(n and not is_planned_name(str(n)) for n in names)  # a sweep's runs: named by it, one each
    if any(r.get("variant") for r in records) or not labels or len(set(names)) < 2:
        return records, []
    named = [{**r, "variant": str(n)} for r, n in zip(records, names, strict=True)]
    by_name: dict[str, list[dict[str, Any]]] = {}
    for f, n in zip(flat, names, strict=True):
        by_name.setdefault(n, []).append(f)
    held = [
        k for k in keys if all(len({json.dumps(f.get(k), default=str) for f in fs}) == 1 for fs in by_name.values())
    ]
    return named, held


def _sweep_of(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The sweep every run comes from (its variant keys, references), with its title and
    description only where the runs are all of its runs (2 of its 12 are not the sweep its
    description tells of); empty for runs of several origins."""
    sweeps = {json.dumps(r.get("sweep") or {}, sort_keys=True, default=str) for r in records}
    sweep = (records[0].get("sweep") or {}) if len(sweeps) == 1 else {}
    return sweep if whole_group(records) else {k: v for k, v in sweep.items() if k not in ("title", "description")}


def comparison_table(
    records: list[dict[str, Any]], references: list[dict[str, Any]] | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One row per run: swept keys, variant, seed, model, size, time, validation and test
    metrics side by side, status. Reference figures (the sweeps' ``references:``, then
    ``references``) are no rows of it: they go in the description, so nothing that ranks or
    pools the runs ever meets them (:mod:`lstm_helpers.experiments.references`).

    Returns
    -------
    (DataFrame, dict)
        The table, and its description: ``keys`` (columns of swept / differing parameters),
        ``variant_keys`` (parameters the variants change together), ``metrics`` (metric
        columns), ``val_metrics`` / ``test_metrics``, ``classes`` (classes of interest),
        ``rank_by`` (the validation metric that ranks: the runs' shared ``train.monitor``
        where the table has it, :func:`monitor_rank`, else :func:`rank_metric`), ``monitor``,
        ``ranked_by_monitor``, ``tie_break`` (the validation log loss, lower first),
        ``time_columns``, ``title`` and ``description`` (of the sweep, when there is one),
        ``references`` (records of figures measured elsewhere).
    """
    params = [read_params(r["run_dir"]) for r in records]
    interest, named, binary = _classes_of_interest(records, params)
    flat = [  # a dict-valued setting (class_weight, class_map) stays one column, as it was set
        {
            k: cell(v)
            for k, v in flatten({x: y for x, y in p.items() if x not in ("run", "seed")}, keep=KEEP_WHOLE).items()
        }
        for p in params
    ]
    unread = [set(unread_keys(flatten(p, keep=KEEP_WHOLE))) for p in params]
    keys = _key_columns(records, flat, unread)
    records, named_keys = _variants_by_run_name(records, params, flat, keys)
    rows = [_row(*args, keys, interest, u) for *args, u in zip(records, params, flat, unread, strict=True)]
    table = pd.DataFrame(rows)
    if not table.empty:  # drop columns no run has (e.g. variant, bouts, top-k)
        table = table[[c for c in table.columns if c in ("run", "status", "run_dir") or table[c].notna().any()]]
    tasks, task_differs, binaries, splits, split_groups = tasks_and_splits(records, params)
    if task_differs or splits:  # other data or classes, other validation recordings: ranked within each, never across
        table.insert(1, "task" if task_differs else "split", tasks if task_differs else splits)
    metric_cols = [c for c in table.columns if c.startswith(("val_", "test_")) or c == "threshold"]
    monitor_column, monitor = monitor_rank(params, table) if not task_differs else (None, None)
    sweep = _sweep_of(records)
    meta = {
        "keys": keys,
        "swept": _swept(records),  # False: compared by directory, labelled by their names (labels.run_labels)
        "variant_keys": sweep.get("variant_keys") or named_keys,
        "metrics": metric_cols,
        "val_metrics": [c for c in metric_cols if c.startswith("val_")],
        "test_metrics": [c for c in metric_cols if c.startswith("test_")],
        "classes": interest,
        "named_classes": named,  # False: no class of interest, ``classes`` lists every class
        "pr_auc_of_a_class": binary,  # False: pr_auc columns are macro averages (multi-class)
        "rank_by": monitor_column or rank_metric(table, binary),
        "monitor": monitor,  # the train.monitor all runs share (None: auto, or they differ)
        "ranked_by_monitor": monitor_column is not None,
        "tie_break": TIE_BREAK if TIE_BREAK in table else None,
        "tasks": list(dict.fromkeys(tasks)) if task_differs else [],
        "task_differs": task_differs,  # data.kind / data.path / classes: what the runs' tasks differ in
        "rank_by_task": {
            t: rank_metric(table[table["task"] == t], any(b for x, b in zip(tasks, binaries, strict=True) if x == t))
            for t in dict.fromkeys(tasks)
        }
        if task_differs
        else {},
        "splits": split_groups,  # validation split -> its validation groups, where runs' splits differ
        "selection": "validation",
        # stage-01 settings that differ and change the validation windows: each run is then
        # scored on validation windows of its own
        "prepared_differently": sorted(
            k
            for k in set().union(*flat)
            if k.startswith(PREPARED_BY) and len({str(f.get(k)) for f in flat if f}) > 1  # f {}: not started
        ),
        "time_columns": [c for c in TIME_COLUMNS if c in table.columns],
        "title": sweep.get("title"),
        "description": sweep.get("description"),
        "references": merged(*[(r.get("sweep") or {}).get("references") or [] for r in records], references or []),
    }
    return table, meta


def write_comparison(
    out: Path,
    records: list[dict[str, Any]],
    title: str = "Comparison",
    html_report: bool = True,
    description: str | None = None,
    references: list[dict[str, Any]] | None = None,
    kernel: Any = None,
) -> tuple[Path, Path | None]:
    """Write ``comparison.csv`` + ``comparison.json`` and (``html_report``) ``comparison.html``,
    rendered by executing notebooks/04_compare.ipynb with papermill and exporting it with the
    code hidden (:func:`lstm_helpers.runs.report.export_html`). ``references``: figures
    measured elsewhere, kept in comparison.json beside the sweeps' own. ``kernel``: a warm
    :class:`~lstm_helpers.runs.kernel.StageKernel` to execute the notebook in (a sweep's
    worker; None: a kernel started for it)."""
    lay = SweepLayout(Path(out).resolve())
    lay.root.mkdir(parents=True, exist_ok=True)
    table, meta = comparison_table(records, references)
    meta["title"] = title
    meta["description"] = description or meta.get("description")
    stored = table.assign(run_dir=[stored_dir(d, lay.root) for d in table["run_dir"]]) if "run_dir" in table else table
    csv_path = write_text(lay.comparison_csv, stored.to_csv(index=False))
    write_json(lay.comparison_json, {**meta, "written": dt.datetime.now().isoformat(timespec="seconds")})
    if not html_report:
        return csv_path, None
    page = render_comparison(lay.root, title, kernel)
    refresh_reports_index(lay.root)
    return csv_path, page


def read_comparison(directory: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``comparison.csv`` and ``comparison.json`` of a directory :func:`write_comparison`
    wrote, each ``run_dir`` absolute again (the CSV stores them relative to the folder)."""
    lay = SweepLayout(Path(directory))
    table = pd.read_csv(lay.comparison_csv)
    if "run_dir" in table:
        table["run_dir"] = [found_dir(d, lay.root) if isinstance(d, str) else d for d in table["run_dir"]]
    return table, read_json_optional(lay.comparison_json)


def refresh_reports_index(group_dir: Path) -> None:
    """``reports/index.html`` lists sweeps, searches and comparisons: rewritten when one of
    them gets its page (``reports/<group>/<name>``, or one written with ``--out`` into the
    reports folder: :func:`~lstm_helpers.runs.index_page.reports_root`), not only when a single
    run ends; the folder's own index (written as its runs finished) now links the page too."""
    from lstm_helpers.runs.index_page import reports_root, write_index

    write_index(group_dir)
    if (root := reports_root(group_dir)) is not None:
        write_index(root)


def render_comparison(out: Path, title: str = "Comparison", kernel: Any = None) -> Path:
    """Execute notebooks/04_compare.ipynb on ``out`` (in ``kernel`` when given, a warm
    :class:`~lstm_helpers.runs.kernel.StageKernel`) and export ``out/comparison.html``
    (parameter cells and the notebook's own header left out: the page opens with the sweep;
    sections that came out empty, e.g. a sweep's search trials, left out too)."""
    import nbformat

    from lstm_helpers.runs.kernel import StageKernel
    from lstm_helpers.runs.pipeline import NOTEBOOKS_DIR, kernel_name
    from lstm_helpers.runs.report import drop_empty_sections, export_html

    lay = SweepLayout(out)
    executed = lay.compare_notebook
    parameters = {"sweep_dir": ".", "run_dirs": []}  # the kernel runs in ``out``
    try:
        if kernel is not None:
            kernel.execute(NOTEBOOKS_DIR / executed.name, executed, parameters, out)
        else:
            with StageKernel(kernel_name(), log_dir=out) as own:  # start-up noise to kernel.log
                own.execute(NOTEBOOKS_DIR / executed.name, executed, parameters, out)
    except Exception as exc:
        if hasattr(exc, "ename"):  # papermill's PapermillExecutionError: a cell failed; its notebook,
            exc.notebook = executed  # executed up to that cell, is named on the internal-error line
        raise
    nb = nbformat.read(executed, as_version=4)
    drop = {"parameters", "injected-parameters", "notebook-header"}
    nb.cells = drop_empty_sections([c for c in nb.cells if not (drop & set(c.metadata.get("tags", [])))])
    return export_html(nb, lay.comparison_html, title)


def parse_references(texts: list[str]) -> list[dict[str, Any]]:
    """``--reference "NAME=FIGURE:VALUE[,FIGURE:VALUE...][,note:TEXT]"`` as reference records,
    each checked as a sweep file's ``references:`` entry is (:class:`ReferenceSpec`). A class's
    figure is written ``CLASS_f1:0.61``; ``note:`` comes last and takes the rest of the text.

    Raises
    ------
    ConfigError
        A malformed text, a figure the comparison table has no column for, a value out of its
        range, two references of one name; naming the ``--reference`` and what is valid.
    """
    out = []
    for text in texts:
        label = f"--reference {short_text(text, 120)!r}"
        raw = _reference_fields(text)
        if raw is None:
            raise ConfigError(
                f"{label}: write NAME=FIGURE:VALUE[,FIGURE:VALUE...][,note:TEXT], "
                "e.g. --reference 'CNN (earlier notebook)=accuracy:0.8785,note:their own split'"
            )
        try:
            out.append(validate_spec(ReferenceSpec, raw, label).record())
        except ConfigError as exc:  # the command line writes a class's figure as one word
            hint = "\n  a class's figure is written CLASS_f1:VALUE (or CLASS_precision, CLASS_recall)"
            raise ConfigError(f"{exc}{hint if 'unknown key' in str(exc) else ''}") from None
    names = [r["name"] for r in out]
    if len(set(names)) != len(names):
        raise ConfigError(f"--reference: names must be unique, got {names}")
    return out


def _reference_fields(text: str) -> dict[str, Any] | None:
    """The fields of one ``--reference`` text as a sweep file writes them, or None when the
    text is not ``NAME=FIGURE:VALUE,...``."""
    name, sep, rest = text.partition("=")
    rest, _, note = rest.partition("note:")
    raw: dict[str, Any] = {"name": name.strip(), **({"note": note.strip()} if note.strip() else {})}
    for item in filter(None, (x.strip() for x in rest.split(","))):
        key, colon, value = (x.strip() for x in item.partition(":"))
        if not colon or not key:
            return None
        cls, _, figure = key.rpartition("_")
        if figure in PER_CLASS and cls:
            raw.setdefault("classes", {}).setdefault(cls, {})[figure] = value
        else:
            raw[key] = value
    return raw if sep and raw["name"] and len(raw) > 1 else None


def compare_runs(
    dirs: list[str | Path], out: str | Path | None = None, references: list[str] | None = None
) -> list[Path]:
    """``lstm-workbench compare``: comparison.csv + comparison.html for any run / sweep directories.

    ``references``: ``--reference`` texts (:func:`parse_references`), checked before anything
    is read or written; shown beside the sweeps' own references (one of the same name replaces it).
    ``out`` defaults to the sweep or search directory given when the runs are exactly its own
    (a search's trials.csv then joins the page), else ``reports/comparisons/compare-<hash of
    the run directories>``: a sweep beside other runs keeps its own comparison, which its
    slides and the reports index describe. A run's directory, or another sweep's or search's,
    is refused as ``out``. A ``slides.html`` already in ``out`` (a sweep's, a search's) is written
    again with the new table and references, and its path returned after the page's.
    """
    if not dirs:
        raise ConfigError("compare needs at least one run or sweep directory")
    if out is not None:
        refuse_run_directory(Path(out).resolve(), "compare", "reports/comparisons/compare-<hash of the runs>")
    extra = parse_references(references or [])
    records = collect_runs(dirs)
    have, of_interest = run_classes(records) if any(r.get("classes") for r in extra) else ([], [])
    if have:  # a class figure the tables have no column for: refused, not dropped
        texts = dict(zip((r["name"] for r in extra), references or [], strict=True))
        check_reference_classes(extra, have, lambda r: f"--reference {texts[r['name']]!r}", of_interest)
    own = own_group(dirs, records, collect_runs)
    digest = hashlib.sha256("\n".join(sorted(r["run_dir"] for r in records)).encode()).hexdigest()[:8]
    default = resolve_path("reports") / "comparisons" / f"compare-{digest}"
    if out is None:
        out = own or default
    elif is_group(Path(out)) and Path(out).resolve() != own:
        raise ConfigError(
            f"--out {shown(out)} holds a sweep's or search's own comparison and slides, which a comparison of "
            f"other runs would replace; give compare a new folder (without --out it writes to {shown(default)})"
        )
    title = records[0]["sweep"]["title"] if records[0].get("sweep") and whole_group(records) else None
    n = len(records)
    csv_path, html_path = write_comparison(
        Path(out), records, title=title or f"Comparison of {n} run{'s' if n != 1 else ''}", references=extra
    )
    if html_path and SweepLayout(Path(out)).slides.is_file():  # a sweep's deck: its figures and references anew
        from lstm_helpers.runs.slides import write_slides

        return [csv_path, html_path, write_slides(Path(out))]
    return [csv_path, html_path] if html_path else [csv_path]
