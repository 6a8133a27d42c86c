"""What notebooks/04_compare.ipynb shows: the sweep's question and answer first (best run by
validation, the before / after table), then the tables and figures.

Every text that comes from data (run names, class names, parameter values, reasons, the
sweep's description) is HTML-escaped here: a run or class named ``<img src=x onerror=...>``
shows as text, never as markup. Numbers: integers without decimals, others at 3 significant
digits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lstm_helpers.config import ConfigError, resolve_path
from lstm_helpers.display import brief_user_errors
from lstm_helpers.experiments.columns import COUNT_COLUMNS, TIME_DEFINITIONS
from lstm_helpers.experiments.compare import collect_runs, comparison_table, read_comparison
from lstm_helpers.experiments.figures import (  # noqa: F401 (the page's figures, for 04 and callers)
    group_columns,
    keys_that_vary_alone,
    metric_vs_keys,
    pareto_front,
    plot_metric_vs_keys,
    plot_quality_vs_time,
)
from lstm_helpers.experiments.html_tables import as_html, column_texts, esc, show, show_each, table_html  # noqa: F401 (show, show_each: for 04)
from lstm_helpers.experiments.labels import as_labels as _as_labels  # noqa: F401 (the tests read values as labels)
from lstm_helpers.experiments.labels import members_differ, run_labels, variant_names
from lstm_helpers.experiments.progress import plural
from lstm_helpers.experiments.references import MARKER, REFERENCE_STATUS, reference_rows
from lstm_helpers.experiments.run_links import hrefs_of, link_first_cells, linked, run_page_href
from lstm_helpers.experiments.search_page import search_sentence, search_trials
from lstm_helpers.experiments.tasks import (
    configurations_table,
    mean_std,
    split_groups,
    splits_sentence,
    task_groups,
    tasks_sentence,
)
from lstm_helpers.experiments.timing_note import tracing_note, tracing_note_html  # noqa: F401 (tracing_note, for 04)
from lstm_helpers.layout import SweepLayout
from lstm_helpers.style import as_given, decimals_of, fmt_number, significant_decimals


@dataclass
class Comparison:
    """What notebooks/04_compare.ipynb shows: the table and its description."""

    table: pd.DataFrame
    meta: dict[str, Any]
    directory: Path | None

    @property
    def rank_by(self) -> str | None:
        """The validation metric that ranks runs (never a test metric)."""
        return self.meta.get("rank_by")

    @property
    def param_keys(self) -> list[str]:
        """The parameter columns that say how runs differ, less those a variant sets where the
        table has variants: the variant's name says them, and pooling runs of different
        variants by one of them (a CNN's unused ``model.units``) means nothing."""
        t = self.table
        keys = [k for k in self.meta.get("keys", []) if k in t]
        if "variant" in t and t["variant"].nunique() >= 2:
            keys = [k for k in keys if k not in set(self.meta.get("variant_keys") or [])]
        return keys

    @property
    def finished(self) -> pd.DataFrame:
        return self.table[self.table["status"] == "finished"] if "status" in self.table else self.table

    @property
    def references(self) -> pd.DataFrame:
        """Figures measured elsewhere, one row each in the table's columns (``run``: the name,
        ``status``: not run here). Never part of :attr:`table`: nothing ranks or pools them."""
        rows = pd.DataFrame(reference_rows(self.meta.get("references") or []))
        return rows[[c for c in self.table if c in rows] + [c for c in rows if c not in self.table]]

    @property
    def tasks(self) -> list[str]:
        """The runs' tasks (data and classes) where they differ, else empty (:mod:`.tasks`)."""
        return list(self.meta.get("tasks") or []) if "task" in self.table else []

    @property
    def splits(self) -> list[str]:
        """The runs' validation splits where they differ (other recordings), else empty (:mod:`.tasks`)."""
        return list(self.meta.get("splits") or {}) if "split" in self.table else []

    def ranked(self, runs: pd.DataFrame | None = None, q: str | None = None) -> pd.DataFrame:
        """``runs`` (the finished ones by default) best first by the validation metric ``q``
        (:attr:`rank_by` by default), a tie broken by the validation log loss (lower first,
        ``meta["tie_break"]``), a tie that remains left in the table's order; runs without the
        metric last. Never a test figure."""
        fin, q = self.finished if runs is None else runs, q or self.rank_by
        if q is None or q not in fin:
            return fin
        tb = self.meta.get("tie_break")
        by = [q, tb] if tb and tb in fin and tb != q else [q]
        return fin.sort_values(by, ascending=[False, True][: len(by)], kind="stable", na_position="last")

    def tied(self, runs: pd.DataFrame | None = None, q: str | None = None) -> tuple[pd.DataFrame, bool]:
        """The runs that share the best run's ``q`` (one row: no tie), best first, and whether
        the tie-break tells the first from the others (False: a tie that remains)."""
        top, q = self.ranked(runs, q), q or self.rank_by
        if q is None or q not in top or top.empty or pd.isna(top[q].iloc[0]):
            return top.iloc[0:0], True
        same = top[np.isclose(top[q].astype(float), float(top[q].iloc[0]), rtol=1e-9, atol=1e-12)]
        tb = self.meta.get("tie_break")
        if len(same) < 2 or not tb or tb not in same or same[tb].iloc[:2].isna().any():
            return same, len(same) < 2
        return same, bool(same[tb].iloc[0] < same[tb].iloc[1])

    def best(self) -> pd.Series | None:
        """The finished run ranked first (:meth:`ranked`), or None (a reference never: it has
        no validation figure and is no row of the table; nor any run where the runs differ in
        data or classes, or are validated on different recordings: their figures do not compare). Where runs tie, :func:`tie_sentence`
        says so: the first of a tie that remains is shown, never silently named best."""
        q, fin = self.rank_by, self.finished
        if q is None or q not in fin or fin[q].isna().all() or self.tasks or self.splits:
            return None
        return self.ranked().iloc[0]


def open_comparison(sweep_dir: str | Path = "", run_dirs: list[str | Path] | None = None) -> Comparison:
    """Load ``comparison.csv`` / ``comparison.json`` from ``sweep_dir``, or build the table from
    ``run_dirs`` (run or sweep directories) when ``sweep_dir`` is empty or has none."""
    brief_user_errors()  # a wrong folder shows as its message in the notebook, not a traceback
    d = resolve_path(sweep_dir).resolve() if sweep_dir else None  # relative: found as a data path is
    if d is not None and SweepLayout(d).comparison_csv.is_file():
        return Comparison(*read_comparison(d), d)
    dirs = [resolve_path(r) for r in run_dirs or []] or ([d] if d is not None else [])
    if not dirs:
        raise ConfigError("set sweep_dir (a directory with comparison.csv) or run_dirs (runs / sweeps to compare)")
    table, meta = comparison_table(collect_runs(dirs))
    return Comparison(table, meta, d)


def runs_table(c: Comparison) -> Any:
    """Every run, then the reference figures (measured elsewhere, marked: italic, status
    "reference, not run here"), as one sortable table, and what its timing columns measure."""
    refs, defs = c.references, timing_definitions(c.table.columns)  # what each timing column measures
    if refs.empty:
        return as_html(_run_names_linked(c, c.table, sortable_table(c.table).data) + defs)
    refs = refs.assign(run=refs["run"] + " (" + REFERENCE_STATUS + ")")  # marked where a row is read first
    whole = tuple(k for k in c.table if c.table[k].dtype.kind in "iu")  # a seed stays 1 beside a blank
    both = pd.concat([c.table, refs], ignore_index=True)
    at = list(both).index("status") + 1 if "status" in both else len(both.columns)  # a reference's note: beside it
    both = both[
        [*[x for x in both.columns[:at] if x != "note"], "note", *[x for x in both.columns[at:] if x != "note"]]
    ]
    return as_html(_run_names_linked(c, both, sortable_table(both, marked=len(refs), whole=whole).data) + defs)


def _run_names_linked(c: Comparison, table: pd.DataFrame, page: str) -> str:
    """``page`` (``table`` as HTML, its run names first) with each name a link to its run's
    report, relative to where the page is shown (:mod:`~lstm_helpers.experiments.run_links`)."""
    return link_first_cells(page, hrefs_of(table)) if list(table)[:1] == ["run"] else page


def sortable_table(
    table: pd.DataFrame,
    drop: tuple[str, ...] = ("run_dir", "fingerprint", "timed_with"),
    marked: int = 0,
    whole: tuple = (),
) -> Any:
    """The table (without ``drop`` columns) as a sortable, escaped HTML table; its last
    ``marked`` rows are references (:func:`table_html`); ``whole`` columns without decimals."""
    if table is None or table.empty:
        return as_html("<p>No rows.</p>")
    table = table.drop(columns=[c for c in drop if c in table.columns])
    flags = [c for c in table if table[c].dtype == bool or set(table[c].dropna().astype(str)) == {"True", "False"}]
    # true / false as in the config; a row without the setting (a reference, a CNN's recurrent keys) stays blank
    shown = table.assign(**{c: table[c].map(lambda v: str(v).lower() if pd.notna(v) else None) for c in flags})
    shown.attrs["decimals"] = {c: 0 for c in shown if c in whole or _count_decimals(c, shown[c]) == 0}
    # a setting (a dotted key) with fractions, as train.learning_rate 0.00256, at 3 significant digits, not 0.003
    fractions = [c for c in shown if "." in c and shown[c].dtype.kind == "f" and (shown[c] % 1).fillna(0).any()]
    shown.attrs["decimals"] |= {c: significant_decimals(shown[c].dropna()) for c in fractions}
    return as_html(table_html(shown, marked=marked))


def _count_decimals(name: str, values: Any) -> int | None:
    """0 for a count column (members, epochs) whose values are whole (5 members, not 5.000)."""
    v = pd.to_numeric(pd.Series(values), errors="coerce").dropna()
    return 0 if name in COUNT_COLUMNS and not v.empty and (v == v.round()).all() else None


# ============================================================================ the answer (labels: labels.py)
def _test_of(metric: str) -> str:
    return "test_" + metric[len("val_") :] if metric.startswith("val_") else metric


def answer_sentence(c: Comparison) -> str:
    """Plain HTML: runs finished, and the best run by the validation metric with its test figure."""
    t, fin, q = c.table, c.finished, c.rank_by
    parts = [
        f"{plural(len(t), 'run')}, {len(fin)} finished"
        + (f", {len(t) - len(fin)} not finished." if len(t) > len(fin) else ".")
    ]
    if c.tasks:  # different data or classes: said first, best within each task
        parts.append(tasks_sentence(c, lambda runs, metric: best_and_tie(c, runs, metric)))
        return " ".join(parts)
    if c.splits:  # validated on other recordings: the best configuration by its mean, or each split's best
        parts.append(splits_sentence(c, lambda runs, metric: best_and_tie(c, runs, metric)))
        return " ".join(parts)
    best = c.best()
    if best is None:
        parts.append(
            "No finished run has validation metrics, so none is named best (runs are never ranked on the test split)."
        )
        return " ".join(parts)
    parts.append(best_and_tie(c))
    parts.append(baseline_sentence(best, q, fin))
    if members_differ(t):
        parts.append(
            "<i>The runs average different numbers of models (column <code>members</code>, "
            "<code>train.ensemble</code>; <code>auto</code> trains five where validation cannot rank epochs): "
            "an ensemble is slower and often better, so part of a difference comes from it, not from the "
            "settings compared.</i>"
        )
    if differ := c.meta.get("prepared_differently"):
        shown = ", ".join(differ[:4]) + (", ..." if len(differ) > 4 else "")
        parts.append(
            f"<i>The runs' data were prepared differently ({esc(shown)}): each is scored on validation windows "
            "of its own, so the ranking compares those preparations as well as the models.</i>"
        )
    return " ".join(parts)


def best_and_tie(c: Comparison, runs: pd.DataFrame | None = None, q: str | None = None) -> str:
    """Plain HTML: the best of ``runs`` (the finished ones by default) by ``q`` (:meth:`Comparison.ranked`),
    after the tie it heads said in words (:func:`tie_text`); the first of a tie that remains is
    "Shown for the tie", never "Best by validation". One rule for a comparison and each of its tasks."""
    q = q or c.rank_by
    same, broken = c.tied(runs, q)
    tie = tie_text(c, runs=runs, q=q) if len(same) > 1 else ""
    best = _best_text(c, c.ranked(runs, q).iloc[0], q, "Best by validation" if broken else "Shown for the tie")
    return f"{esc(tie)} {best}" if tie else best


def tie_text(c: Comparison, limit: int = 6, runs: pd.DataFrame | None = None, q: str | None = None) -> str:
    """A tie on the metric that ranks in plain words (empty where the first run has it alone):
    how many runs share its figure, and the validation log loss that breaks the tie (lower is
    better), or that nothing does: then no run is named best, the first in the table's order
    stands for them. Never a silent pick, never a test figure."""
    q = q or c.rank_by
    same, broken = c.tied(runs, q)
    if len(same) < 2 or q is None:
        return ""
    labels = [str(x) for x in run_labels(c).loc[same.index]]
    head = f"{len(same)} runs tie at {q} = {fmt_number(same[q].iloc[0])}"
    tb = c.meta.get("tie_break")
    if broken:
        d = distinct_decimals(same[tb])
        return (
            f"{head}; the lower validation log loss ({tb}) breaks the tie: {labels[0]} "
            f"({same[tb].iloc[0]:,.{d}f}; next {labels[1]}, {same[tb].iloc[1]:,.{d}f})."
        )
    names = ", ".join(labels[:limit]) + (f" and {len(labels) - limit} more" if len(labels) > limit else "")
    why = "nor does their validation log loss tell them apart" if tb in same else "and nothing else ranks them"
    return f"{head}, {why}: {names}. None is named best; the first in the table's order, {labels[0]}, stands for them."


def distinct_decimals(values: pd.Series, most: int = 8) -> int:
    """The decimals that write different ``values`` differently (3.2558 and 3.2575, not 3.26
    twice: a tie broken by the fourth digit shows it), at least :func:`fmt_number`'s."""
    v = pd.to_numeric(values, errors="coerce").dropna().astype(float)
    d = max([decimals_of(fmt_number(x)) or 0 for x in v] or [0])
    while d < most and len({f"{x:.{d}f}" for x in v}) < v.nunique():
        d += 1
    return d


def _best_text(c: Comparison, best: pd.Series, q: str, lead: str = "Best by validation") -> str:
    """``Best by validation q: <label> (q = ...; the test figure, reported, not used to choose).``"""
    label = run_labels(c).loc[best.name]
    test_q = _test_of(q)
    test_text = (
        f"; on the test split {esc(test_q)} = {esc(best[test_q])}, reported, not used to choose"
        if test_q in best and pd.notna(best[test_q])
        else ""
    )
    why = " (the runs' <code>train.monitor</code>)" if c.meta.get("ranked_by_monitor") else ""
    name = _linked_name(c, best, label)
    return f"<b>{esc(lead)} {esc(q)}</b>{why}: {name} ({esc(q)} = {esc(best[q])}{test_text})."


def _linked_name(c: Comparison, row: pd.Series, label: Any = None) -> str:
    """A run's ``label`` (else its name) as code, a link to its report where it has one."""
    return f"<code>{linked(esc(label or row['run']), run_page_href(row.get('run_dir')))}</code>"


def _baseline_of(metric: str) -> str:
    """``val_pr_auc`` -> ``val_baseline_pr_auc``: the MiniRocket baseline's figure beside it."""
    split, _, name = metric.partition("_")
    return f"{split}_baseline_{name}"


def baseline_sentence(best: pd.Series, q: str, runs: pd.DataFrame | None = None) -> str:
    """Whether the LSTM earns its keep: the MiniRocket baseline fitted on the best run's own
    training windows, its threshold chosen on the same validation split (or, as an argmax run
    without one, by the most probable class), against that run, on the *validation* metric that
    ranks (empty when the run has no baseline: ``evaluate.baseline: none``); its test figure is
    reported beside it, never judged by. A gap within what the validation split resolves
    (:mod:`~lstm_helpers.judge.baseline_verdict`, the rule the slides state too) is
    "level", no verdict; where another of ``runs`` (prepared differently) has a baseline ahead
    of the best run beyond that, that is said too."""
    from lstm_helpers.judge.baseline_verdict import verdict

    b = best.get(_baseline_of(q))
    if b is None or pd.isna(b) or pd.isna(best[q]):
        return ""
    bt = best.get(_baseline_of(_test_of(q)))
    test = f"; on test {esc(bt)}, reported, not used to judge" if bt is not None and pd.notna(bt) else ""
    v = verdict(q, float(best[q]), float(b), best.get("run_dir") if isinstance(best.get("run_dir"), str) else None)
    said = esc(v.words())
    said = f"<b>{said.replace(': the LSTM', '</b>: the LSTM', 1)}" if v.side == "ahead" else said
    threshold = best.get("threshold")  # none: the run decides by the most probable class (argmax), as its baseline
    how = (
        "its threshold chosen on the same validation split"
        if threshold is not None and pd.notna(threshold)
        else "deciding by the most probable class, as the run does"
    )
    out = (
        f"The MiniRocket baseline (fitted on the same training {v.unit}, {how}) scores {esc(q)} {esc(b)} "
        f"(validation, the split that ranks{test}). It is {said}."
    )
    others = runs[_baseline_of(q)] if runs is not None and _baseline_of(q) in runs else pd.Series(dtype=float)
    top = pd.to_numeric(others, errors="coerce").max()
    if pd.notna(top) and float(top) - float(best[q]) > max(v.gap, v.resolution or 0.0005):
        out += (
            f" <b>Another run's baseline, on {v.unit} of its own, scores {esc(q)} {esc(top)}</b>: "
            "ahead of every run here on that metric."
        )
    return out


def headline(c: Comparison) -> Any:
    """The page's opening: the sweep's title and description, the answer (best by validation)
    and, when the sweep has variants, the before / after table."""
    title = c.meta.get("title") or "Comparison"
    out = [f"<h1>{esc(title)}</h1>"]
    if c.meta.get("description"):
        out.append(f'<p style="font-size: 1.15em">{esc(c.meta["description"])}</p>')
    trials = search_trials(c.directory)
    out.append(f"<p>{answer_sentence(c) if trials is None else search_sentence(c, trials)}</p>")
    if c.rank_by and trials is None:
        metrics = sorted({str(m) for m in (c.meta.get("rank_by_task") or {}).values()}) if c.tasks else [c.rank_by]
        # different data or classes, or other validation recordings: never across them
        by = " within each task" if c.tasks else " within each validation split" if c.splits else ""
        out.append(
            f"<p><i>Runs are ranked{by} by <b>{esc(', '.join(metrics))}</b> (validation split){_rank_why(c)}; "
            "test columns (<code>test_*</code>) sit beside the validation ones (<code>val_*</code>) and are "
            "never used to choose.</i></p>"
        )
    if not c.references.empty:
        out.append(f"<p><i>{reference_sentence(c)}</i></p>")
    variants = _variant_means(c)
    if variants is not None:
        refs = "; last, each reference: a figure measured elsewhere, not run here" if not c.references.empty else ""
        out.append(
            f"<h2>Before / after</h2><p>Mean over seeds (and grid values) per variant, and the change{refs}.</p>"
        )
        out.append(table_html(variants, sortable=False) + timing_definitions(variants["measure"]))
    return as_html("\n".join(out))


def _rank_why(c: Comparison) -> str:
    """Why that metric ranks (the runs' shared ``train.monitor``, or that monitor is no column
    of the comparison) and what breaks a tie, as HTML after the metric's name."""
    monitor, tb = c.meta.get("monitor"), c.meta.get("tie_break")
    out = ""
    if c.meta.get("ranked_by_monitor"):
        out = ": the <code>train.monitor</code> every run chose its epochs by"
    elif monitor and not c.tasks:
        out = (
            f" (the runs' <code>train.monitor</code>, {esc(monitor)}, is no column of this comparison, so "
            "the default ranks)"
        )
    return out + (f"; a tie is broken by the lower validation log loss (<code>{esc(tb)}</code>)" if tb else "")


def reference_sentence(c: Comparison) -> str:
    """Plain HTML: the reference figures, what each is, and that none is ranked or chosen."""
    items = []
    for _, r in c.references.iterrows():
        figures = ", ".join(
            f"{esc(k.removeprefix('test_'))} {esc(v) if k == 'n_params' else f'{float(v):g}'}"  # as given: 0.8785
            for k, v in r.items()
            if k not in ("run", "status", "note") and pd.notna(v)
        )
        note = f"; {esc(r['note'])}" if r["note"] != MARKER else ""
        items.append(f"<b>{esc(r['run'])}</b> ({figures}{note})")
    return (
        f"Also shown, in italics: {plural(len(items), 'reference')} measured elsewhere, {'; '.join(items)}. "
        "Not run here: their data and split may differ, so a difference from the runs is not the models' alone. "
        "A reference has no validation figure: it is never ranked nor chosen best."
    )


def timing_definitions(columns: Any) -> str:
    """A line defining each timing column among ``columns`` (:data:`TIME_DEFINITIONS`, with the
    names the run's report and slides give it); empty where none is shown."""
    shown = [c for c in TIME_DEFINITIONS if c in set(columns)]
    items = "; ".join(f"<code>{c}</code>: {esc(TIME_DEFINITIONS[c])}" for c in shown)
    return f"<p><i>Times are wall seconds. {items}.</i></p>" if shown else ""


def _variant_means(c: Comparison) -> pd.DataFrame | None:
    """Each measure's mean per variant, a run without one under its run name (:func:`variant_names`,
    its own group, never dropped), the change from the first, then each reference's figure."""
    fin = c.finished
    if "variant" not in fin or fin["variant"].isna().all() or variant_names(fin).nunique() < 2:
        return None
    fin = fin.assign(variant=variant_names(fin))
    cols = [x for x in c.meta.get("time_columns", []) + c.meta.get("metrics", []) if x in fin]
    order = list(dict.fromkeys(fin["variant"]))
    means = fin.groupby("variant", sort=False)[cols].mean().T[order]
    for later in order[1:]:
        means[f"change ({later} − {order[0]})"] = (means[later] - means[order[0]]).round(12)  # not 1.1e-16
    for _, ref in c.references.iterrows():  # measured elsewhere: a column of its own, after the changes
        means[f"{ref['run']} ({REFERENCE_STATUS})"] = [ref.get(m) for m in means.index]
    # one measure per row, so each row at its own decimals (parameters 446,950; PR-AUC 0.749)
    texts = [column_texts(row.tolist(), _count_decimals(str(m), row)) for m, row in means.iterrows()]
    first_ref = len(means.columns) - len(c.references)  # each reference's figures with the digits given
    for t, (_, row) in zip(texts, means.iterrows(), strict=True):
        t[first_ref:] = [as_given(v, x) for v, x in zip(row.iloc[first_ref:], t[first_ref:], strict=True)]
    return pd.DataFrame(texts, index=means.index, columns=means.columns).rename_axis("measure").reset_index()


def variant_table(c: Comparison) -> Any:
    """Before / after: each metric and time column per variant (mean over seeds and grid),
    plus the change from the first to the last variant."""
    means = _variant_means(c)
    if means is None:
        return as_html("<p><i>No variants in this comparison.</i></p>")
    return as_html(table_html(means, sortable=False))


def ranking(c: Comparison) -> Any:
    """Finished runs, best first by the validation metric, with its test counterpart beside it.
    Sections of a comparison that hold one finished run return None (the page leaves them out)."""
    fin, q = c.finished, c.rank_by
    if q is None or fin.empty:
        return as_html("<p><i>No finished run with validation metrics: nothing to rank.</i></p>")
    if len(fin) == 1:  # the headline names it; a one-row ranking says nothing more
        return None
    # the timing columns defined where they first show: here, unless the before / after table has them
    defs = timing_definitions(fin.columns) if _variant_means(c) is None else ""
    if c.tasks:  # runs of different data or classes: one ranking per task, none across them
        return as_html("".join(f"<h4>{esc(t)}</h4>" + _ranked(c, runs, m) for t, runs, m in task_groups(c) if m) + defs)
    if c.splits:  # other validation recordings: configurations by their means, then each split's runs
        ranked = "".join(f"<h4>Validation {esc(s)}</h4>" + _ranked(c, runs, q) for s, runs in split_groups(c))
        return as_html(configurations_table(c) + ranked + defs)
    return as_html(_ranked(c, fin, q) + defs)


def _ranked(c: Comparison, fin: pd.DataFrame, q: str) -> str:
    """``fin`` best first by ``q``, its test counterpart beside it."""
    # the label says how a run differs (its directory name when nothing does); the long
    # directory names are in the table of all runs, where they would push the metric off screen here
    tb = c.meta.get("tie_break")
    same, _ = c.tied(fin, q)
    tie = [tb] if tb and tb in fin and len(same) > 1 else []  # the tie-break shown where it acts
    cols = [q, *tie] + [x for x in (_test_of(q), _baseline_of(q), "seconds_per_epoch", "total_seconds") if x in fin]
    ranked = c.ranked(fin, q)
    shown = ranked.assign(label=run_labels(c).loc[fin.index])[["label", *cols]]
    shown.attrs["decimals"] = {x: distinct_decimals(same[x]) for x in tie}
    page = link_first_cells(table_html(shown, sortable=False), hrefs_of(ranked))  # labels: reports
    return page + tracing_note_html(fin)  # 1-epoch speeds: said


# ============================================================================ details
def seed_summary(c: Comparison) -> Any:
    """Mean ± std over seeds of every metric and time column, one row per configuration."""
    fin = c.finished
    if len(fin) < 2:  # one run (a search's best configuration): nothing to pool or compare
        return None
    if "seed" not in fin or fin["seed"].nunique() < 2:
        return as_html(
            "<p><i>One seed per configuration: no spread to show "
            "(add <code>seeds: [1, 2, 3]</code> to the sweep).</i></p>"
        )
    group = group_columns(c) or ["model_name"]
    cols = [x for x in c.meta.get("metrics", []) + c.meta.get("time_columns", []) if x in fin]
    fin = fin.assign(variant=variant_names(fin)) if "variant" in group else fin  # a plain run: its run name
    g = fin.fillna({k: "–" for k in group}).groupby(group, sort=False)[cols]
    mean, std, n = g.mean(), g.std(), g.size()
    out = pd.DataFrame(index=mean.index)
    out["runs"] = n
    for col in cols:  # a group of one run has no spread: its figure alone, no "± 0.000"
        out[col] = ["" if pd.isna(m) else mean_std(m, s) for m, s in zip(mean[col], std[col], strict=True)]
    return as_html(table_html(out.reset_index()))


def trials_table(c: Comparison) -> Any:
    """The hyperparameter-search trials, best first; nothing for a sweep (its section goes)."""
    trials = search_trials(c.directory)
    if trials is None:
        return None
    return as_html(table_html(trials))


def failed_runs(c: Comparison) -> Any:
    """Runs that did not finish, with their one-line reason."""
    t = c.table
    bad = t[t["status"] != "finished"] if "status" in t else t.iloc[0:0]
    if bad.empty:
        return as_html("<p><i>Every run finished.</i></p>")
    items = "".join(
        f"<li>{_linked_name(c, r)} <b>{esc(r['status'])}</b>: {esc(r.get('reason'))}</li>" for _, r in bad.iterrows()
    )
    return as_html(f"<ul>{items}</ul>")
