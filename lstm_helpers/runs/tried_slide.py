"""A sweep deck's "What was tried" slide: the runs best first by the validation metric that
ranks (or each variant's means), in columns that fit a 1280x720 slide and its PDF, what is
left out said (the comparison page has every run and column). Written here: the choice of
rows and columns; the table is :func:`lstm_helpers.style.table_html`'s."""

from __future__ import annotations

import html
import textwrap

import pandas as pd

from lstm_helpers.runs.terminal import plural
from lstm_helpers.style import table_html, visible_name


def before_after(table: pd.DataFrame, meta: dict) -> str:
    """Mean of the judging metrics per variant (or per run when there are no variants, best
    first by the validation metric that ranks): that metric, then test figures (reported, never
    used to choose). At most :data:`MAX_TRIED_ROWS` rows (with the references) and
    :data:`MAX_TRIED_COLUMNS` columns, so that the table fits a 1280x720 slide and its PDF; what
    is cut is said, and is on the comparison page."""
    from lstm_helpers.experiments.references import MARKER

    fin = table[table.get("status") == "finished"] if "status" in table else table
    if fin.empty:
        return f"<p>No run finished: {plural(len(table), 'run')} failed (their reasons are in runs.csv).</p>"
    rank = meta.get("rank_by")
    refs = _references(meta)  # figures measured elsewhere: rows of their own, never ranked
    variants = "variant" in fin and fin["variant"].nunique() >= 2
    keys = [] if variants else [k for k in meta.get("keys", []) if k in fin]
    cols, left_out = _tried_columns(fin, meta, refs, len(keys) or 1)
    macro = not meta.get("pr_auc_of_a_class", True)  # multi-class: PR-AUC is the macro average

    def _label(column: str) -> str:
        return _column_label(column) + (" (macro)" if macro and column.endswith("_pr_auc") else "")

    notes = []
    if rank in cols:
        lead = _label(rank)[:1].upper() + _label(rank)[1:]
        notes.append(f"{lead} ranks the runs; the other scores are on the test split, reported, never used to choose.")
    if not refs.empty:
        said = "; ".join(f"{r['run']}: {r['note']}" for _, r in refs.iterrows() if r.get("note") not in (None, MARKER))
        notes.append(
            'Rows marked "reference, not run here": figures measured elsewhere (their own held-out data); '
            "their data and split may differ; never ranked." + (f" Notes: {said}." if said else "")
        )
    if times := [_TIME_WORDS[c] for c in cols if c in _TIME_WORDS]:
        notes.append("; ".join(times) + " (wall seconds).")
    room = max(MAX_TRIED_ROWS - len(refs), 3)
    if variants:
        shown, each, n = _variant_rows(fin, cols)
        notes.insert(0, each)
    else:
        shown, label = _run_rows(fin, meta, keys, cols)
        n = len(shown)
    cut = plural(n - room, "more run" if not variants else "more variant") if n > room else ""
    if cut or left_out:
        each = f"each {'variant' if variants else 'run'}'s " + _and([_LEFT_WORDS[c] for c in left_out])
        said = ", and ".join(x for x in (cut, each if left_out else "") if x)
        notes.append(said[:1].upper() + said[1:] + ": see comparison.html.")
    label = "variant" if variants else label
    shown = _with_references(shown.head(room).reset_index(drop=True), refs, label, cols)
    body = table_html(shown.rename(columns=_label), max_rows=MAX_TRIED_ROWS + 2, given=len(refs))
    return body + f'<p class="small">{html.escape(" ".join(notes))}</p>'


MAX_TRIED_ROWS = 10  # runs (and references) that fit a 1280x720 slide under its title and caption
LABEL_CHARS = 20  # a reference's name per line in the first column
MAX_TRIED_COLUMNS = 9  # columns (settings and figures) that fit it side by side
# what the slide leaves out first where its columns would not fit (the comparison page has them)
_DROP_FIRST = ("total_seconds", "test_balanced_accuracy", "members", "test_pr_auc")
_LEFT_WORDS = {
    "total_seconds": "fit time",
    "test_balanced_accuracy": "test balanced accuracy",
    "members": "models averaged",
    "test_pr_auc": "test PR-AUC",
}
_TIME_WORDS = {
    "seconds_per_epoch": "s/epoch: an epoch with its validation pass and checkpoint",
    "total_seconds": "fit time: build, fit and save",
}


def _and(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def _tried_columns(fin: pd.DataFrame, meta: dict, refs: pd.DataFrame, labels: int) -> tuple[list[str], list[str]]:
    """The figures the table shows, the rank first, and those left out so that ``labels``
    columns of settings and the figures fit :data:`MAX_TRIED_COLUMNS` (:data:`_DROP_FIRST`)."""
    # the class of interest's figures; none where no class is named (``classes`` lists all)
    classes = (meta.get("classes") or []) if meta.get("named_classes", True) else []
    # the columns' class name as comparison.csv writes it (experiments.columns.class_column): ␣ for a space
    per_class = [f"test_{visible_name(classes[0])}_{m}" for m in ("precision", "recall", "f1")] if classes else []
    # the model's size and speed where the runs differ in them (story 2: architectures compared)
    # and the models a run averages (train.ensemble) where that differs: an ensemble is slower and often better
    sized = [c for c in ("n_params", "members", "seconds_per_epoch") if c in fin and _varies(fin[c])]
    carried = [c for c in refs if c.startswith("test_")]  # e.g. the accuracy a reference is known by
    cols = [meta.get("rank_by"), *per_class, "test_pr_auc", "test_balanced_accuracy", *carried, *sized, "total_seconds"]
    cols = list(dict.fromkeys(c for c in cols if c and c in fin))
    left_out = []
    for c in _DROP_FIRST:
        if labels + len(cols) <= MAX_TRIED_COLUMNS:
            break
        if c in cols and c not in carried:
            cols.remove(c)
            left_out.append(c)
    return cols, left_out


def _variant_rows(fin: pd.DataFrame, cols: list[str]) -> tuple[pd.DataFrame, str, int]:
    """Each variant's mean figures (a plain run: a row of its own), what a row pools, and how many."""
    fin = fin.assign(variant=fin["variant"].astype(object).where(fin["variant"].notna(), "(no variant)"))
    shown = fin.groupby("variant", sort=False)[cols].mean().reset_index()
    if "members" in shown and (shown["members"] == shown["members"].round()).all():
        shown = shown.astype({"members": int})  # 5 models averaged, not 5.000
    sizes = fin.groupby("variant", sort=False).size()
    each = (
        "One finished run per variant."
        if sizes.max() == 1
        else f"Mean over the finished runs of each variant ({sizes.min()}"
        + (f"-{sizes.max()}" if sizes.max() > sizes.min() else "")
        + " per variant)."
    )
    return shown, each, len(shown)


def _run_rows(fin: pd.DataFrame, meta: dict, keys: list[str], cols: list[str]) -> tuple[pd.DataFrame, str]:
    """The finished runs best first (:meth:`~lstm_helpers.experiments.display.Comparison.ranked`:
    the rank, then the validation log loss), each named by its swept settings as the run names
    write them (``32x5-32x5``, ``64-64``, ``true``; never raw JSON) under their short names, or
    (seeds only, runs compared by directory) by the comparison page's labels; and the first
    column's name."""
    from lstm_helpers.experiments.display import Comparison, run_labels
    from lstm_helpers.experiments.labels import as_labels
    from lstm_helpers.experiments.plan import short_keys

    fin = Comparison(fin, meta, None).ranked()
    if not keys:
        return fin.assign(run=run_labels(Comparison(fin, meta, None)).to_numpy())[["run", *cols]], "run"
    short = short_keys(keys)
    shown = fin.assign(**{k: as_labels(fin[k], "–") for k in keys})[[*keys, *cols]].rename(columns=short)
    return shown, short[keys[0]]


def _references(meta: dict) -> pd.DataFrame:
    """The comparison's reference figures (comparison.json), one row each in its columns
    (``status``: reference, not run here)."""
    from lstm_helpers.experiments.references import reference_rows

    return pd.DataFrame(reference_rows(meta.get("references") or []))


def _with_references(shown: pd.DataFrame, refs: pd.DataFrame, label: str, cols: list[str]) -> pd.DataFrame:
    """``shown`` with a row per reference below the runs: its name (marked) in the ``label``
    column, on lines of at most :data:`LABEL_CHARS` characters (the slide's first column keeps
    its line breaks and breaks no other: ``64-64`` stays on one line), its figures in ``cols``."""
    if refs.empty:
        return shown
    names = [textwrap.fill(f"{r['run']} ({r['status']})", LABEL_CHARS) for _, r in refs.iterrows()]
    rows = refs.assign(**{label: names}).reindex(columns=[label, *cols])
    return pd.concat([shown, rows[[c for c in shown if c in rows]]], ignore_index=True)


_NAMES = {
    "pr_auc": "PR-AUC",
    "balanced_accuracy": "balanced accuracy",
    "total_seconds": "fit time, s",
    "n_params": "parameters",
    "members": "models averaged",
    "seconds_per_epoch": "s/epoch",
}


def _varies(values: pd.Series) -> bool:
    """Whether a size or time column differs between runs by more than 10 % (time noise aside)."""
    v = pd.to_numeric(values, errors="coerce").dropna()
    return len(v) > 1 and v.max() > 1.1 * v.min()


def _column_label(column: str) -> str:
    """A comparison column as a slide heading: val_pr_auc -> validation PR-AUC,
    test_play_f1 -> play F1 (the slide says the figures are test ones)."""
    name = column.removeprefix("val_").removeprefix("test_")
    name = _NAMES.get(name, name.replace("_", " ").replace(" f1", " F1"))
    return f"validation {name}" if column.startswith("val_") else name
