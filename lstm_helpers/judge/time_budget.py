"""Time budgets: how long each class is predicted (and truly lasts), per recording and over all.

What a behaviour study computes first from labelled recordings (an activity or time budget:
the share of time an animal rests, forages, plays), and so the first thing a user does with
``predict``'s per-timestep table. Here from the run's own decisions per timestep (the stitched
scores under its decision rule), over the timesteps a window covers; with labels, the true
budget on the same timesteps beside it, so a model that halves a rare behaviour's time is seen
at once: ``predict``'s ``.budget`` table (:func:`time_budget`) and stage 03's table of the test
recordings (:func:`scored_budget`). A pandas cross-tabulation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ALL = "(all recordings)"  # the budget over every recording, last in the table
SHOWN_ON_TERMINAL = 6  # classes the terminal line names, the longest predicted first


def time_budget(per_step: pd.DataFrame, recording_column: str, classes: list[str], rate: float | None) -> pd.DataFrame:
    """One row per recording and class, then per class over all recordings (:data:`ALL`):
    ``timesteps`` predicted as the class, ``seconds`` (with a sample rate), ``share`` of the
    recording's predicted timesteps (those a window covers); with a ``true_label`` column, the
    predicted and the true budget on the same timesteps, those both labelled and covered:
    ``labelled_timesteps`` / ``labelled_share`` predicted, ``true_timesteps`` / ``true_share``."""
    recs = per_step[recording_column].astype(str)
    order = list(dict.fromkeys(recs))
    parts = {"": _counts(recs, per_step["predicted"], order, classes)}
    if "true_label" in per_step:  # compared on the same timesteps: labelled and covered by a window
        both = per_step["predicted"].astype(str).ne("") & per_step["true_label"].astype(str).ne("")
        parts["labelled_"] = _counts(recs, per_step["predicted"].where(both, ""), order, classes)
        parts["true_"] = _counts(recs, per_step["true_label"].where(both, ""), order, classes)
    rows = []
    for rec in [*order, ALL]:
        row = pd.DataFrame({recording_column: rec, "class": classes})
        for prefix, counts in parts.items():
            n = counts.sum(axis=0) if rec == ALL else counts.loc[rec]
            total = n.sum()
            row[f"{prefix}timesteps"] = n.to_numpy()
            if rate and not prefix:
                row["seconds"] = n.to_numpy() / rate
            row[f"{prefix}share"] = n.to_numpy() / total if total else np.nan
        rows.append(row)
    return pd.concat(rows, ignore_index=True)


def _counts(recs: pd.Series, labels: pd.Series, order: list[str], classes: list[str]) -> pd.DataFrame:
    """Timesteps of each class (columns, in ``classes`` order) per recording (rows, ``order``);
    empty labels (no window, no label) left out."""
    named = labels.astype(str).ne("") & labels.notna()
    table = pd.crosstab(recs[named], labels[named].astype(str))
    return table.reindex(index=order, columns=classes, fill_value=0)


def budget_line(budget: pd.DataFrame) -> str:
    """The terminal's line: every recording's predicted shares, the longest first; for labelled
    input then the predicted against the true shares on the labelled timesteps."""
    total = budget[budget.iloc[:, 0] == ALL].sort_values("share", ascending=False, kind="stable")
    total = total[total["timesteps"] > 0]
    n_recs = budget.iloc[:, 0].nunique() - 1
    shares = [f"{c} {s:.1%}" for c, s in zip(total["class"], total["share"], strict=True)]
    where = "the recording" if n_recs == 1 else f"all {n_recs} recordings"
    line = (
        f"time budget, predicted share of {where}: {_listed(shares)}"
        if shares
        else "time budget: no timestep predicted"
    )
    if "true_share" not in total or not total["true_timesteps"].sum():
        return line
    labelled = total[(total["labelled_timesteps"] > 0) | (total["true_timesteps"] > 0)]
    pairs = [f"{c} {p:.1%} / {t:.1%}" for c, p, t in zip(labelled["class"], labelled["labelled_share"],
                                                          labelled["true_share"], strict=True)]  # fmt: skip
    return f"{line}; on the labelled timesteps, predicted / true: {_listed(pairs)}"


def _listed(items: list[str]) -> str:
    left = len(items) - SHOWN_ON_TERMINAL
    return ", ".join(items[:SHOWN_ON_TERMINAL]) + (f" and {left} more classes" if left > 0 else "")


def scored_budget(
    labels: dict[str, np.ndarray], predicted: dict[str, np.ndarray], classes: list[str], rate: float | None
) -> pd.DataFrame | None:
    """Stage 03's time budget of the test recordings (``labels`` / ``predicted``: class index
    per timestep of each recording, -1 where unlabelled / no window): per class, its share in
    percent of the timesteps both labelled and covered, true and predicted, and the difference
    in percentage points, to 0.1; with a sample rate, the times in seconds too. None where no
    timestep is both labelled and covered."""
    lab = np.concatenate([labels[r] for r in labels]) if labels else np.zeros(0, np.int64)
    pred = np.concatenate([predicted[r] for r in labels]) if labels else np.zeros(0, np.int64)
    scored = (lab >= 0) & (pred >= 0)  # counted by class index: a 5M-step test split in milliseconds
    t_counts = np.bincount(lab[scored], minlength=len(classes))[: len(classes)].astype(float)
    p_counts = np.bincount(pred[scored], minlength=len(classes))[: len(classes)].astype(float)
    n = scored.sum()
    if not n:  # no timestep both labelled and covered: no budget (the page leaves the section out)
        return None
    true, predicted_pc = 100 * t_counts / n, 100 * p_counts / n
    table = pd.DataFrame(
        {
            "class": list(classes),
            "true %": true.round(1),
            "predicted %": predicted_pc.round(1),
            "difference (points)": (predicted_pc - true).round(1),
        }
    )
    if rate:
        table["true (s)"] = (t_counts / rate).round(1)
        table["predicted (s)"] = (p_counts / rate).round(1)
    table.attrs["decimals"] = dict.fromkeys(table.columns[1:], 1)  # a page writes them all to 0.1
    return table


def budget_json(table: pd.DataFrame | None) -> dict[str, dict[str, float]] | None:
    """:func:`scored_budget`'s table for ``metrics.json``: class -> true / predicted share (0-1)."""
    if table is None:
        return None
    return {
        str(c): {"true_share": round(t / 100, 4), "predicted_share": round(p / 100, 4)}
        for c, t, p in zip(table["class"], table["true %"], table["predicted %"], strict=True)
    }
