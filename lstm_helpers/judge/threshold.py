"""The decision threshold of the class of interest, and THE decision rule.

* :func:`choose_threshold` picks the threshold on validation data by a named strategy
  (candidates from ``sklearn.metrics.precision_recall_curve``; the selection among them is
  written here); :func:`compare_threshold_strategies` shows every strategy side by side.
* :func:`rates_at` is the one place that says what a threshold gives (precision, recall,
  F-beta, false-positive rate): the threshold table, ``metrics.json`` and the dot on the PR
  and ROC curves all read it, with scikit-learn's ``zero_division=0`` convention
  (precision 0 when nothing is predicted positive).
* :class:`DecisionRule` / :func:`predict_labels` turn probabilities into classes; the
  evaluation stage and ``predict`` both use it (``DecisionRule.from_run`` rebuilds the
  rule a finished run chose).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import numpy as np
import pandas as pd
from sklearn.metrics import (
    confusion_matrix,
    fbeta_score,
    precision_recall_curve,
    precision_recall_fscore_support,
)

from lstm_helpers.config import EvaluateConfig

THRESHOLD_STRATEGIES: tuple[str, ...] = get_args(EvaluateConfig.model_fields["threshold_strategy"].annotation)


def check_binary(y_true_binary: Any, scores: Any, name: str = "y_true_binary") -> tuple[np.ndarray, np.ndarray]:
    """Validate 0/1 labels and finite scores of equal length; return (bool labels, float64 scores)."""
    y = np.asarray(y_true_binary)
    s = np.asarray(scores, dtype=np.float64)
    if y.ndim != 1 or s.ndim != 1:
        raise ValueError(f"{name} and scores must be 1-D, got shapes {y.shape} and {s.shape}")
    if len(y) != len(s):
        raise ValueError(f"{name} has {len(y)} entries but scores has {len(s)}")
    if len(y) == 0:
        raise ValueError(f"{name} is empty: need at least one example to choose a threshold")
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"{name} must hold only 0/1 (or False/True), got values {np.unique(y)[:5]}")
    if not np.isfinite(s).all():
        raise ValueError("scores contain NaN or infinite values")
    return y.astype(bool), s


def rates_at(y_true_binary: Any, scores: Any, threshold: float, beta: float = 1.0) -> dict[str, float]:
    """What "positive when score >= threshold" gives on these data (scikit-learn metrics).

    Returns ``precision``, ``recall``, ``f1``, ``fbeta``, ``false_positive_rate`` and
    ``predicted_positive_rate``. Undefined values are 0 (``zero_division=0``): precision
    when nothing is predicted positive, recall without positives, the false-positive rate
    without negatives.
    """
    y, s = check_binary(y_true_binary, scores)
    pred = s >= threshold
    p, r, f1, _ = precision_recall_fscore_support(y, pred, average="binary", zero_division=0.0)
    tn, fp, _, _ = confusion_matrix(y, pred, labels=[False, True]).ravel()
    return {
        "precision": float(p),
        "recall": float(r),
        "f1": float(f1),
        "fbeta": float(fbeta_score(y, pred, beta=beta, zero_division=0.0)),
        "false_positive_rate": float(fp / (fp + tn)) if fp + tn else 0.0,
        "predicted_positive_rate": float(pred.mean()),
    }


def _check_strategy(strategy: str, threshold: float, beta: float, min_precision: float, min_recall: float) -> None:
    if strategy not in THRESHOLD_STRATEGIES:
        raise ValueError(
            f"threshold strategy {strategy!r} is not valid; choose one of {', '.join(THRESHOLD_STRATEGIES)}"
        )
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    if not beta > 0.0:
        raise ValueError(f"beta must be > 0, got {beta}")
    if not 0.0 < min_precision <= 1.0:
        raise ValueError(f"min_precision must be in (0, 1], got {min_precision}")
    if not 0.0 < min_recall <= 1.0:
        raise ValueError(f"min_recall must be in (0, 1], got {min_recall}")


def _best_fbeta(p: np.ndarray, r: np.ndarray, thresholds: np.ndarray, beta: float) -> int:
    """Index of the highest F-beta on the PR curve; ties go to the higher threshold."""
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(p + r > 0, (1 + beta**2) * p * r / (beta**2 * p + r), 0.0)
    return int(np.lexsort((thresholds, f))[-1])


def _constrained(
    y: np.ndarray, s: np.ndarray, strategy: str, min_precision: float, min_recall: float
) -> tuple[float, bool, str | None, float]:
    """Threshold of ``recall_at_precision`` / ``precision_at_recall``, or max-F1 when unmet.

    Returns (value, constraint met, note, the highest precision / recall any threshold reaches).
    """
    precision, recall, thresholds = precision_recall_curve(y, s)
    p, r = precision[:-1], recall[:-1]  # the last point (recall 0) has no threshold
    if strategy == "recall_at_precision":
        ok, primary, secondary, which, floor = p >= min_precision, r, p, "precision", min_precision
    else:
        ok, primary, secondary, which, floor = r >= min_recall, p, r, "recall", min_recall
    best = float(secondary.max())
    if not ok.any():
        note = (
            f"no threshold gives {which} >= {floor} on these data (the highest {which} reached is {best:.3f}); "
            "fell back to the max-F1 threshold"
        )
        return float(thresholds[_best_fbeta(p, r, thresholds, 1.0)]), False, note, best
    cand = np.flatnonzero(ok)
    order = np.lexsort((thresholds[cand], secondary[cand], primary[cand]))
    return float(thresholds[cand[order[-1]]]), True, None, best


def _mid_gap(s: np.ndarray, value: float) -> float:
    """``value`` moved down to the middle of the gap to the next lower score in ``s``: every
    score keeps its side, and the threshold no longer sits on the edge of the lowest window
    it accepts (with 10 validation windows separated perfectly, that edge was 0.96 and
    test windows of the class scored 0.9 were missed). Unchanged when no score lies below."""
    below = s[s < value]
    if not below.size:
        return float(value)
    mid = (float(below.max()) + float(value)) / 2.0
    return mid if float(below.max()) < mid < float(value) else float(value)


def _flags_most(y: np.ndarray, s: np.ndarray, value: float, note: str | None) -> str | None:
    """``note``, plus a warning when the chosen threshold flags most validation windows (over half,
    and over three times the class's prevalence): the scores barely rank the class there, and
    the recall it reports comes from flagging nearly everything."""
    flagged, prevalence = float((s >= value).mean()), float(y.mean())
    if flagged <= max(0.5, 3 * prevalence):
        return note
    said = (
        f"the threshold flags {flagged:.0%} of validation windows against a prevalence of {prevalence:.0%}: "
        "the scores barely rank the class on validation, so its recall comes from flagging nearly everything"
    )
    return f"{note}; {said}" if note else said


def choose_threshold(
    y_true_binary: Any,
    scores: Any,
    strategy: str = "max_f1",
    threshold: float = 0.5,
    beta: float = 1.0,
    min_precision: float = 0.5,
    min_recall: float = 0.5,
) -> dict[str, Any]:
    """Choose the decision threshold for the class of interest (on validation data).

    A window is predicted positive when ``score >= value``. Candidate values are the
    thresholds of :func:`sklearn.metrics.precision_recall_curve`; the selection among them
    is written here.

    Parameters
    ----------
    y_true_binary : array-like of 0/1, shape (n,)
        1 where the true class is the class of interest.
    scores : array-like of float, shape (n,)
        Predicted probability of the class of interest.
    strategy : {"fixed", "max_f1", "max_fbeta", "recall_at_precision", "precision_at_recall"}
        ``fixed``: use ``threshold`` as given. ``max_f1`` / ``max_fbeta``: maximise F1 /
        F-beta (beta > 1 favours recall). ``recall_at_precision``: the best recall among
        thresholds with precision >= ``min_precision``. ``precision_at_recall``: the best
        precision among thresholds with recall >= ``min_recall``. Ties go to the higher
        threshold (fewer positive predictions); the value is then moved down to the
        middle of the gap to the next lower score (:func:`_mid_gap`: the same predictions
        on these data, a margin on both sides).
    threshold : float in (0, 1)
        The value for ``fixed``, and the fallback when the data has no positives/negatives.
    beta, min_precision, min_recall : float
        Strategy parameters; beta > 0, min_precision and min_recall in (0, 1].

    Returns
    -------
    dict
        ``strategy``, ``value`` (the threshold), what it achieves on these data
        (:func:`rates_at`), the strategy parameters, ``constraint_met`` and ``best_reached`` (the
        highest precision / recall any threshold reaches; both None without a constraint),
        ``fallback`` (the strategy used when the requested one could not be met, else None),
        ``note`` (plain words or None), ``n``, ``n_positive``. Unmet constraint: max F1's threshold.
    """
    _check_strategy(strategy, threshold, beta, min_precision, min_recall)
    y, s = check_binary(y_true_binary, scores)
    n_pos = int(y.sum())
    fb = 1.0 if strategy == "max_f1" else beta
    note: str | None = None
    fallback: str | None = None
    met, best_reached = None, None  # constraint met, and the best precision / recall (constrained strategies)
    if strategy == "fixed":
        value = float(threshold)
    elif n_pos == 0 or n_pos == len(y):
        value, fallback = float(threshold), "fixed"
        which = "no positive" if n_pos == 0 else "only positive"
        note = (
            f"the data has {which} examples, so no threshold can be chosen by {strategy}; "
            f"used the fixed threshold {threshold}"
        )
    elif strategy in ("max_f1", "max_fbeta"):
        precision, recall, thresholds = precision_recall_curve(y, s)
        value = _mid_gap(s, float(thresholds[_best_fbeta(precision[:-1], recall[:-1], thresholds, fb)]))
    else:
        value, met, note, best_reached = _constrained(y, s, strategy, min_precision, min_recall)
        value, fallback = _mid_gap(s, value), None if met else "max_f1"
    note = _flags_most(y, s, value, note) if "fixed" not in (strategy, fallback) else note
    return {
        "strategy": strategy,
        "value": value,
        **rates_at(y, s, value, fb),
        "beta": fb,
        "min_precision": min_precision if strategy == "recall_at_precision" else None,
        "min_recall": min_recall if strategy == "precision_at_recall" else None,
        "constraint_met": met,
        "best_reached": best_reached,
        "fallback": fallback,
        "note": note,
        "n": int(len(y)),
        "n_positive": n_pos,
    }


def choice_without_validation(strategy: str, threshold: float) -> dict[str, Any]:
    """The threshold record where validation holds no window: ``threshold`` (``evaluate.threshold``), a
    fallback unless the run asked for it (``strategy`` ``fixed``: nothing fell back, nothing to note)."""
    asked = strategy == "fixed"
    return {"strategy": strategy, "value": float(threshold), "constraint_met": None,
            "fallback": None if asked else "fixed",
            "note": None if asked else "no validation windows: used the fixed evaluate.threshold"}  # fmt: skip


def where_chosen(choice: dict[str, Any], n_validation: int) -> str:
    """``threshold.json``'s ``chosen_on``, what its value was taken from: ``validation`` where the strategy
    chose it there (a constrained strategy's fallback to max_f1 included); ``fixed`` where it is
    ``evaluate.threshold`` set by the run (``threshold_strategy: fixed``) or applied as validation could not
    choose (``fallback: fixed``: windows of one class only); ``none`` where validation holds no window."""
    if choice.get("strategy") == "fixed":
        return "fixed"
    if not n_validation:
        return "none"
    return "fixed" if choice.get("fallback") == "fixed" else "validation"


def compare_threshold_strategies(
    y_val_binary: Any,
    val_scores: Any,
    y_test_binary: Any | None = None,
    test_scores: Any | None = None,
    threshold: float = 0.5,
    beta: float = 1.0,
    min_precision: float = 0.5,
    min_recall: float = 0.5,
    used: str | None = None,
) -> pd.DataFrame:
    """Every threshold strategy chosen on validation, and what it gives on validation.

    One row per strategy (``fixed`` uses ``threshold``): the target it was given (so that
    ``recall_at_precision`` at precision 0.59 reads as meeting its 0.5, not as missing a
    target), the threshold and validation precision / recall / F1 (:func:`rates_at`), the
    figures a strategy is chosen by. This is the "what do I change?" table for the decision
    threshold. Test precision / recall / F1 fill only the row of ``used``, the strategy the run
    applied (when test data are given), and are empty elsewhere: every strategy's test figures
    beside each other invited choosing the strategy on test, which would make test a second
    validation split and its figures no longer an unbiased estimate.
    """
    targets = {"fixed": f"evaluate.threshold {threshold:g}", "max_f1": "", "max_fbeta": f"beta {beta:g}",
               "recall_at_precision": f"precision >= {min_precision:g}",
               "precision_at_recall": f"recall >= {min_recall:g}"}  # fmt: skip
    rows = []
    for strategy in THRESHOLD_STRATEGIES:
        choice = choose_threshold(y_val_binary, val_scores, strategy, threshold, beta, min_precision, min_recall)
        row = {
            "strategy": strategy,
            "target": targets.get(strategy, ""),
            "threshold": choice["value"],
            "val_precision": choice["precision"],
            "val_recall": choice["recall"],
            "val_f1": choice["f1"],
        }
        if strategy == used and y_test_binary is not None and test_scores is not None:
            check_binary(y_test_binary, test_scores, "y_test_binary")
            rates = rates_at(y_test_binary, test_scores, choice["value"])
            row.update(test_precision=rates["precision"], test_recall=rates["recall"], test_f1=rates["f1"])
        row["note"] = choice["note"] or ""
        rows.append(row)
    table = pd.DataFrame(rows)
    table = table[[c for c in table if not c.startswith("test_")] + [c for c in table if c.startswith("test_")]]
    return table.drop(columns="note") if not table.empty and not table["note"].any() else table  # no empty column


# ============================================================================ the decision rule
def predict_labels(probs: Any, threshold: float | None = None, positive_index: int | None = None) -> np.ndarray:
    """Turn predicted probabilities into class indices (the rule is written here).

    * **binary**, ``probs`` of shape (n,) or (n, 1) = P(class ``positive_index``, default 1):
      predict ``positive_index`` when ``p >= threshold`` (default 0.5), else the other class.
    * **multi-class** (or a full binary matrix), ``probs`` of shape (n, K): without
      ``threshold`` or ``positive_index``, the argmax. With both (one-vs-rest on the class
      of interest): predict ``positive_index`` when its probability ``>= threshold``,
      otherwise the argmax of the remaining classes -- so the class of interest is never
      predicted below the threshold and always predicted at or above it.

    Memory: no copy of the (n, K) matrix; only the rows whose argmax is the class of
    interest but fall below its threshold are copied to find their runner-up.

    Returns
    -------
    numpy.ndarray of int64, shape (n,)
    """
    p = np.asarray(probs)
    if p.ndim == 2 and p.shape[1] == 1:
        p = p[:, 0]
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [0, 1], got {threshold}")
    if p.ndim == 1:
        pos = 1 if positive_index is None else int(positive_index)
        if pos not in (0, 1):
            raise ValueError(f"positive_index must be 0 or 1 for binary scores, got {positive_index}")
        t = 0.5 if threshold is None else float(threshold)
        return np.where(p.astype(np.float64) >= t, pos, 1 - pos).astype(np.int64)
    if p.ndim != 2 or p.shape[1] < 2:
        raise ValueError(f"probs must have shape (n,), (n, 1) or (n, K>=2), got {p.shape}")
    best = p.argmax(axis=1).astype(np.int64)
    if threshold is None or positive_index is None:
        return best
    k = int(positive_index)
    if not 0 <= k < p.shape[1]:
        raise ValueError(f"positive_index {k} is out of range for {p.shape[1]} classes")
    above = p[:, k].astype(np.float64) >= threshold
    runner_up = np.flatnonzero((best == k) & ~above)
    if len(runner_up):
        rest = p[runner_up].copy()
        rest[:, k] = -np.inf
        best[runner_up] = rest.argmax(axis=1)
    best[above] = k
    return best


@dataclass(frozen=True)
class DecisionRule:
    """How a run turns probabilities into a class: a threshold on one class, or the argmax.

    ``threshold`` and ``class_index`` are both set (one-vs-rest threshold on that class;
    binary runs always have one) or both None (argmax). :meth:`apply` is
    :func:`predict_labels`; evaluation builds the rule on validation and ``predict`` rebuilds
    it from the run with :meth:`from_run`.
    """

    classes: tuple[str, ...]
    threshold: float | None = None
    class_index: int | None = None

    def __post_init__(self) -> None:
        if (self.threshold is None) != (self.class_index is None):
            raise ValueError("a decision rule needs both threshold and class_index, or neither (argmax)")
        if self.class_index is not None and not 0 <= self.class_index < len(self.classes):
            raise ValueError(f"class_index {self.class_index} is out of range for classes {list(self.classes)}")

    def apply(self, probs: Any) -> np.ndarray:
        """Class indices for ``probs`` ((n,) = P(class ``class_index``) for binary, or (n, K))."""
        return predict_labels(probs, self.threshold, self.class_index)

    def describe(self) -> str:
        """The rule in words, e.g. "'play' when P >= 0.42, else the other class"."""
        if self.threshold is None:
            return "argmax of the class probabilities"
        rest = ", else the other class" if len(self.classes) == 2 else ", else the most probable other class"
        return f"'{self.classes[self.class_index]}' when P >= {self.threshold:.3g}" + rest

    @classmethod
    def from_run(cls, classes: list[str], positive_index: int | None, threshold_file: str | Path) -> DecisionRule:
        """The rule a finished run's evaluation chose (its ``threshold.json``), for new data.

        Without that file: binary runs threshold their positive class at 0.5; multi-class
        runs take the argmax.
        """
        from lstm_helpers.artifacts import read_json

        path = Path(threshold_file)
        if path.is_file():
            choice = read_json(path)
            if choice.get("positive_class") not in classes:
                raise ValueError(f"{path}: positive_class {choice.get('positive_class')!r} is not one of {classes}")
            return cls(tuple(classes), float(choice["value"]), classes.index(choice["positive_class"]))
        if len(classes) == 2:
            return cls(tuple(classes), 0.5, 1 if positive_index is None else int(positive_index))
        return cls(tuple(classes))


def argmax_threshold_note(ev: EvaluateConfig, classes: list[str], interest: list[str], said: list[str]) -> list[str]:
    """``evaluate.threshold`` set on a multi-class run the argmax decides: no threshold is chosen or
    applied, not even as the fallback where validation cannot choose, which is what the run was told
    before stage 01 named the classes (lstm_helpers/unused.py::idle_notes); said unless a note in
    ``said`` already says it."""
    argmax = len(classes) > 2 and (not interest or ev.multiclass_decision == "argmax")
    if (
        not argmax
        or ev.threshold == EvaluateConfig().threshold
        or any(n.startswith("evaluate.threshold =") for n in said)
    ):
        return []
    why = "evaluate.multiclass_decision is argmax" if interest else "no class of interest is named"
    return [f"evaluate.threshold = {ev.threshold:g} has no effect: {why} on {len(classes)} classes, so no "
            "threshold is chosen or applied, not even as the fallback where validation cannot choose"]  # fmt: skip
