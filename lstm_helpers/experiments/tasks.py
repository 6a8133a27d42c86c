"""Which compared runs share a task: the same data (``data.kind``, ``data.path``) and the same
classes (``prepare.json``). Figures of runs on different tasks do not compare: a binary run's
PR-AUC is its positive class's, a 4-class run's the macro average over four; 3 classes of
sequences and 3 classes of a table are other windows of other animals. The comparison then
says so at its top and ranks runs within each task, never one "best" across them.

Nor do validation figures of one task compare across **validation splits**: the seed draws
which recordings (animals) validate, so a sweep at seed 1 and a search at seed 42 are scored
on different animals, and 0.77 on one split against 0.67 on another says as much about the
animals as about the models. Runs whose validation recordings (``prepare.json``) differ are
ranked within each split; no run is named best across splits. Where every configuration ran
on the same splits (a sweep with ``seeds: [1, 2, 3]``: each seed one split, each configuration
on each), configurations are ranked by their mean validation figure over those splits: each
mean is taken over the same validation data, so the means compare (:func:`configuration_ranking`).
Other stage-01 settings (window length, scaling) change the validation windows but not the
animals: those runs are ranked together, with a note (``prepared_differently``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from lstm_helpers.artifacts import read_json_optional
from lstm_helpers.data.text import character_classes
from lstm_helpers.experiments.html_tables import esc, table_html
from lstm_helpers.experiments.labels import as_labels, configuration_labels
from lstm_helpers.experiments.progress import plural
from lstm_helpers.judge.validation_notes import pr_auc_is_macro
from lstm_helpers.layout import RunLayout
from lstm_helpers.style import decimals_of, fmt_number

MAX_CLASSES_SHOWN = 6  # a character model's vocabulary: counted, not listed
MAX_UNITS_SHOWN = 4  # validation animals named in a split's description, then "and N more"


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


def _validation_data(run_dir: str, p: dict[str, Any]) -> tuple[tuple[str, ...], list[str]] | None:
    """What a run is validated on: its data and validation recordings as stage 01 split them
    (``prepare.json``), and the groups (animals) that validate, to name them; None where not
    known (a run that never prepared its data)."""
    info = read_json_optional(RunLayout(run_dir).prepare_json)
    recordings = (info.get("splits_recordings") or {}).get("val")
    groups = (info.get("groups") or {}).get("val") or recordings
    if not recordings and not groups:
        return None
    data = p.get("data") if isinstance(p.get("data"), dict) else {}
    key = (str(data.get("kind", "recordings")), str(data.get("path", "")), *sorted(map(str, recordings or groups)))
    return key, [str(g) for g in groups]


def run_splits(
    records: list[dict[str, Any]], params: list[dict[str, Any]], seeds: list[Any]
) -> tuple[list[str | None], dict[str, str]]:
    """Each run's validation split as a label, and each label's validation groups in words
    (``{"seed 1": "a03, a06"}``); ``([], {})`` where every run whose split is known shares one.
    A split is labelled by its seed where each split has one seed of its own (``seed 42``),
    else ``split A``, ``split B``; a run whose split is not known yet (never started) gets None."""
    found = [_validation_data(r["run_dir"], p) for r, p in zip(records, params, strict=True)]
    keys = list(dict.fromkeys(f[0] for f in found if f is not None))
    if len(keys) < 2:
        return [], {}
    seeds_of = {k: {str(s) for f, s in zip(found, seeds, strict=True) if f and f[0] == k} for k in keys}
    by_seed = all(len(v) == 1 and "None" not in v for v in seeds_of.values())
    by_seed &= len({next(iter(v)) for v in seeds_of.values()}) == len(keys)
    name = {
        k: f"seed {as_labels(pd.Series([next(iter(seeds_of[k]))])).iloc[0]}" if by_seed else f"split {chr(65 + n)}"
        for n, k in enumerate(keys)
    }
    groups = {f[0]: f[1] for f in found if f is not None}
    said = {
        name[k]: ", ".join(groups[k][:MAX_UNITS_SHOWN])
        + (f" and {len(groups[k]) - MAX_UNITS_SHOWN} more" if len(groups[k]) > MAX_UNITS_SHOWN else "")
        for k in keys
    }
    return [name[f[0]] if f is not None else None for f in found], said


def tasks_and_splits(
    records: list[dict[str, Any]], params: list[dict[str, Any]]
) -> tuple[list[str], list[str], list[bool], list[str | None], dict[str, str]]:
    """:func:`run_tasks` and :func:`run_splits` together: where the tasks differ, a split of
    its own within a task makes a task of its own (``... · split B``, ``validation split``
    among what differs) and no split is given apart."""
    tasks, task_differs, binaries = run_tasks(records, params)
    splits, groups = run_splits(
        records, params, [p.get("seed", r.get("seed")) for r, p in zip(records, params, strict=True)]
    )
    if task_differs and splits:
        tasks = [f"{t} · {s}" if s else t for t, s in zip(tasks, splits, strict=True)]
        return tasks, [*task_differs, "validation split"], binaries, [], {}
    return tasks, task_differs, binaries, splits, groups


def splits_sentence(c: Any, best_sentence: Any) -> str:
    """Plain HTML, for the top of the page: the runs are validated on different recordings, so
    none is named best across splits; then the best configuration by its mean over the splits
    every configuration ran on (:func:`configuration_ranking`), else the best run of each split
    (``best_sentence(runs, metric)``: the comparison's own rule, validation only)."""
    splits = c.meta.get("splits") or {}
    which = "; ".join(f"{esc(k)}: {esc(v)}" for k, v in splits.items())
    drawn = " (the seed draws which recordings validate)" if all(k.startswith("seed ") for k in splits) else ""
    configs = configuration_ranking(c)
    # a sweep over seeds by design (every configuration on every split): a note, not an alarm
    designed = configs is not None and not configs.attrs.get("left_out", 0)
    edge, fill = ("#5b7aa6", "#eef3f9") if designed else ("#c0392b", "#fdecea")
    out = [
        f'<span style="display: block; border-left: 4px solid {edge}; padding: 4px 10px; background: {fill}">'
        f"<b>These runs are validated on different recordings</b>{drawn}: {len(splits)} validation splits, "
        f"each of its own ({which}). A validation figure of one split does not rank a run of another (it says as "
        "much about the recordings as about the model), so no run is named best across splits: runs are "
        "ranked within their own split.</span>"
    ]
    q = c.rank_by
    if configs is not None and q:
        top, n = configs.iloc[0], int(configs.iloc[0]["splits"])
        test = _test_name(q)
        test_text = (
            f"; on the test split {esc(test)} {esc(top[test])}, reported, not used to choose" if test in top else ""
        )
        left = configs.attrs.get("left_out", 0)
        who = f"{len(configs)} configurations ran" if left else "Every configuration ran"
        out.append(
            f"{who} on all {n} splits, so their means compare: <b>Best configuration by mean {esc(q)} over the "
            f"splits</b>: <code>{esc(top['configuration'])}</code> ({esc(q)} {esc(top[q])}{test_text})."
        )
        if not left:
            return " ".join(out[:1] + ["<br>" + x for x in out[1:]])
        out.append(
            f"Each split's best run ({plural(left, 'other configuration')}, not run on every split, ranked there):"
        )
    fin = c.finished
    for split in splits:
        runs = fin[fin["split"] == split]
        if q is None or q not in runs or runs[q].isna().all():
            out.append(f"<b>{esc(split)}</b>: no finished run with validation metrics.")
            continue
        out.append(f"<b>{esc(split)}</b>: {best_sentence(runs, q)}")
    return " ".join(out[:1] + ["<br>" + x for x in out[1:]])


def _test_name(q: str) -> str:
    return "test_" + q.removeprefix("val_")


def configuration_ranking(c: Any) -> pd.DataFrame | None:
    """Configurations (the runs but for their seed) that finished on every validation split,
    best first by their mean validation figure over the splits, with its spread and the test
    figure's beside it (reported, never used to choose); a tie broken by the mean validation
    log loss. Each mean is over the same validation recordings, so the means compare. None
    where fewer than two configurations ran on every split (of two or more). ``attrs["left_out"]``:
    the configurations that did not, ranked only within their splits. Means: pandas' groupby
    (a configuration run twice on one split counts once there)."""
    fin, q = c.finished, c.rank_by
    if "split" not in fin or q is None or q not in fin:
        return None
    fin = fin[fin[q].notna() & fin["split"].notna()]
    fin = fin.assign(configuration=configuration_labels(c).loc[fin.index])
    covered = fin.groupby("configuration", sort=False)["split"].nunique()
    full = covered.index[covered == fin["split"].nunique()]
    if fin["split"].nunique() < 2 or len(full) < 2:
        return None
    tb = c.meta.get("tie_break")
    cols = [x for x in (q, _test_name(q), tb) if x and x in fin]
    per_split = fin[fin["configuration"].isin(full)].groupby(["configuration", "split"], sort=False)[cols].mean()
    g = per_split.groupby(level="configuration", sort=False)
    mean, std = g.mean(), g.std()
    by = [q, tb] if tb in mean and tb != q else [q]
    mean = mean.sort_values(by, ascending=[False, True][: len(by)], kind="stable")
    out = pd.DataFrame({"configuration": mean.index, "splits": fin["split"].nunique()})
    for col in (x for x in cols if x != tb):
        out[col] = [mean_std(m, s) for m, s in zip(mean[col], std.loc[mean.index, col], strict=True)]
    out.attrs["left_out"] = len(covered) - len(full)
    return out


def mean_std(mean: float, std: float) -> str:
    """``0.713 ± 0.084``: the spread at the mean's decimals; the mean alone when there is no
    spread to show (``std`` NaN: one run, or one run of the group with the figure)."""
    d = decimals_of(fmt_number(mean))
    if pd.isna(std):
        return fmt_number(mean) if d is None else f"{mean:,.{d}f}"
    return f"{fmt_number(mean)} ± {fmt_number(std)}" if d is None else f"{mean:,.{d}f} ± {std:,.{d}f}"


def configurations_table(c: Any) -> str:
    """:func:`configuration_ranking` as HTML with a line on what it ranks; empty without one."""
    configs = configuration_ranking(c)
    if configs is None:
        return ""
    return (
        f"<h4>Configurations run on all {int(configs['splits'].iloc[0])} validation splits, by their mean "
        f"{esc(c.rank_by)}</h4>" + table_html(configs, sortable=False)
    )


def typical_run(c: Any) -> tuple[pd.Series, str] | None:
    """Where runs differ in validation split and no run is best across them, the run that stands
    for the best configuration (:func:`configuration_ranking`): its median run by validation
    (the lower of two), never its luckiest split; and words saying so. None without a ranking."""
    configs, q = configuration_ranking(c), c.rank_by
    if configs is None or q is None:
        return None
    fin = c.finished
    runs = fin[configuration_labels(c).loc[fin.index] == configs.iloc[0]["configuration"]].dropna(subset=[q])
    run = runs.sort_values(q, kind="stable").iloc[(len(runs) - 1) // 2]
    n = int(configs.iloc[0]["splits"])
    return run, (
        f"The best configuration by mean {q} over {n} validation splits (other recordings each, so no single run "
        f"is ranked across them): {configs.iloc[0]['configuration']}, {q} {configs.iloc[0][q]}; shown, its median "
        "run by validation."
    )


def split_groups(c: Any) -> list[tuple[str, pd.DataFrame]]:
    """``(split, its finished runs)`` per validation split."""
    fin = c.finished
    return [(s, fin[fin["split"] == s]) for s in c.meta.get("splits") or {}]
