"""The time budget of new recordings: how long each class is predicted, per recording.

What a behaviour study computes first from a labelled recording (an activity or time
budget: the share of time an animal rests, forages, plays) and so the first thing a user does
with ``predict``'s per-timestep table. Here from the run's own decisions per timestep (the
stitched scores under its decision rule), over the timesteps a window covers; with labelled
input the true budget stands beside it, so a model that halves a rare behaviour's time is
seen at once. A pandas cross-tabulation of the table ``predict`` writes.
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
