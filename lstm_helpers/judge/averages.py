"""What the per-class figures of one split add up to, and what the baselines are scored against.

scikit-learn's macro and support-weighted averages of precision, recall and F1 (as the
"macro avg" / "weighted avg" rows of its ``classification_report``), the classes the majority
and top-k baselines guess (ranked by the real training windows: what a model could know of the
classes' frequencies), and the per-class table of stage 03 with those rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_fscore_support

from lstm_helpers.style import visible_name

TRAINING = "training"  # metrics.json "baseline_from": the baselines' classes ranked by the real training windows


def _averages(yt: np.ndarray, yp: np.ndarray) -> dict[str, float]:
    """Macro and support-weighted precision, recall and F1 (scikit-learn's
    ``precision_recall_fscore_support``, as its ``classification_report``'s "macro avg" and
    "weighted avg" rows): over the classes the split holds or the model predicts, a precision or
    recall with nothing to count taken as 0 (a class never predicted lowers the macro precision)."""
    labels = np.union1d(yt, yp)
    out = {}
    for average in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(yt, yp, labels=labels, average=average, zero_division=0.0)
        out |= {f"{average}_precision": float(p), f"{average}_recall": float(r), f"{average}_f1": float(f)}
    return out


def _baselines(counts: np.ndarray, train_counts: Any, k: int | None) -> tuple[int, float, float | None, str]:
    """``(majority class, its accuracy, top-k baseline accuracy, what ranked the classes)`` on a
    split of ``counts`` windows per class: the classes ranked by ``train_counts`` (the real
    training windows per class: what a model could know before seeing the split; ties go to the
    class listed first), or by ``counts`` themselves where there are none (``"this split"``)."""
    trained = train_counts is not None and np.sum(train_counts) > 0
    ranking = np.asarray(train_counts if trained else counts, dtype=np.float64)
    order = np.argsort(-ranking, kind="stable")
    n = counts.sum()
    top_k = None if k is None else float(counts[order[:k]].sum() / n)
    return int(order[0]), float(counts[order[0]] / n), top_k, TRAINING if trained else "this split"


def per_class_table(metrics: dict[str, Any]) -> pd.DataFrame:
    """``metrics["per_class"]`` as a table, one row per class (precision, recall, f1, support and,
    where kept, the class's PR-AUC against the rest), then scikit-learn's "macro avg" and
    "weighted avg" rows (:func:`_averages`; their PR-AUC the mean of the classes' own, plain and
    weighted by support); a character model's space / newline classes named ␣ / ↵ as stage 01's
    tables name them, not blank."""
    table = pd.DataFrame.from_dict(metrics["per_class"], orient="index").astype({"support": int})
    pr_auc = metrics.get("pr_auc_per_class")
    if pr_auc:
        table["pr_auc"] = [pr_auc.get(c) for c in table.index]
        table["pr_auc"] = table["pr_auc"].astype(float)
    if metrics.get("macro_f1") is not None:
        n = int(table["support"].sum())
        for average in ("macro", "weighted"):
            row = {m: metrics[f"{average}_{m}"] for m in ("precision", "recall", "f1")} | {"support": n}
            if pr_auc:
                defined = table["pr_auc"].notna() & (table["support"] > 0)
                weights = table.loc[defined, "support"] if average == "weighted" else None
                row["pr_auc"] = (
                    float(np.average(table.loc[defined, "pr_auc"], weights=weights)) if defined.any() else None
                )
            table.loc[f"{average} avg"] = row
        table = table.astype({"support": int})
    table.index = table.index.map(visible_name)
    table.index.name = "class"
    return table
