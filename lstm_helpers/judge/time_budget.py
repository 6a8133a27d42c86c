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
    same of the labelled timesteps a window covers as ``true_timesteps`` / ``true_share``."""
    recs = per_step[recording_column].astype(str)
    order = list(dict.fromkeys(recs))
    parts = {"": _counts(recs, per_step["predicted"], order, classes)}
    if "true_label" in per_step:  # on the same timesteps: those a window covers
        covered = per_step["predicted"].astype(str).ne("")
        parts["true_"] = _counts(recs, per_step["true_label"].where(covered, ""), order, classes)
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
    """The terminal's line: every recording's predicted shares, the longest first (and the
    true ones, for labelled input)."""
    total = budget[budget.iloc[:, 0] == ALL].sort_values("share", ascending=False, kind="stable")
    total = total[total["timesteps"] > 0]
    n_recs = budget.iloc[:, 0].nunique() - 1
    shares = [
        f"{c} {s:.1%}" + (f" (true {t:.1%})" if "true_share" in total and pd.notna(t) else "")
        for c, s, t in zip(total["class"], total["share"], total.get("true_share", total["share"]), strict=True)
    ]
    left = len(shares) - SHOWN_ON_TERMINAL
    listed = ", ".join(shares[:SHOWN_ON_TERMINAL]) + (f" and {left} more classes" if left > 0 else "")
    where = "the recording" if n_recs == 1 else f"all {n_recs} recordings"
    return f"time budget, predicted share of {where}: {listed}" if shares else "time budget: no timestep predicted"


def scored_budget(
    labels: dict[str, np.ndarray], predicted: dict[str, np.ndarray], classes: list[str], rate: float | None
) -> pd.DataFrame:
    """Stage 03's time budget of the test recordings (``labels`` / ``predicted``: class index
    per timestep of each recording, -1 where unlabelled / no window): per class, its share in
    percent of the timesteps both labelled and covered, true and predicted, and the difference
    in percentage points, to 0.1; with a sample rate, the times in seconds too."""
    recs = list(labels)
    lab = np.concatenate([labels[r] for r in recs])
    pred = np.concatenate([predicted[r] for r in recs])
    scored = (lab >= 0) & (pred >= 0)
    names = np.asarray(classes, dtype=object)
    frame = pd.DataFrame(
        {
            "recording": np.repeat(recs, [len(labels[r]) for r in recs]),
            "predicted": np.where(scored, names[np.maximum(pred, 0)], ""),
            "true_label": np.where(scored, names[np.maximum(lab, 0)], ""),
        }
    )
    total = time_budget(frame, "recording", classes, rate)
    total = total[total["recording"] == ALL]
    true, predicted = 100 * total["true_share"].to_numpy(), 100 * total["share"].to_numpy()
    table = pd.DataFrame(
        {
            "class": total["class"].to_numpy(),
            "true %": true.round(1),
            "predicted %": predicted.round(1),
            "difference (points)": (predicted - true).round(1),
        }
    )
    if rate:
        table["true (s)"] = (total["true_timesteps"].to_numpy() / rate).round(1)
        table["predicted (s)"] = total["seconds"].to_numpy().round(1)
    table.attrs["decimals"] = dict.fromkeys(table.columns[1:], 1)  # a page writes them all to 0.1
    return table


def budget_json(table: pd.DataFrame) -> dict[str, dict[str, float]]:
    """:func:`scored_budget`'s table for ``metrics.json``: class -> true / predicted share (0-1)."""
    return {
        str(c): {"true_share": round(t / 100, 4), "predicted_share": round(p / 100, 4)}
        for c, t, p in zip(table["class"], table["true %"], table["predicted %"], strict=True)
    }
