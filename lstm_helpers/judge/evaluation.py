"""Stage 03: honest evaluation of a trained classifier on the validation and test splits.

Answers "why is precision 0.4 at 0.9 accuracy, and what do I change?":

* accuracy is reported next to the **majority baseline** (always predicting the most
  frequent class of that split), with balanced accuracy, MCC, PR-AUC and ROC-AUC, which
  do not reward ignoring a rare class;
* the **decision threshold** for the class of interest is chosen on validation by a named
  strategy (:func:`choose_threshold`), applied unchanged to test and saved, and every
  strategy is compared side by side (:func:`compare_threshold_strategies`);
* for recordings, window scores are stitched back onto each recording's timeline
  (:func:`stitch_timeline`) and predicted **bouts** are matched to true bouts
  (:func:`match_bouts`), per recording (:func:`per_recording_scores`).

Every metric that scikit-learn has comes from scikit-learn. Written by hand (no library
does them): timeline stitching, bout finding / cleaning / matching, the one-vs-rest
decision rule and the threshold strategies' selection on top of
``sklearn.metrics.precision_recall_curve``. None of them loops over windows or timesteps.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    confusion_matrix,
    fbeta_score,
    matthews_corrcoef,
    precision_recall_curve,
    precision_recall_fscore_support,
    roc_auc_score,
    top_k_accuracy_score,
)

from lstm_helpers.artifacts import save_npz, write_json, write_text
from lstm_helpers.config import Config
from lstm_helpers.data.prepared import load_prepared
from lstm_helpers.layout import RunLayout

THRESHOLD_STRATEGIES = ("fixed", "max_f1", "max_fbeta", "recall_at_precision", "precision_at_recall")
MODEL_FILE = "model.keras"
METRICS_FILE = "metrics.json"
THRESHOLD_FILE = "threshold.json"
FIGURES_DIR = "figures"


# ============================================================================ thresholds
def _check_binary(y_true_binary: Any, scores: Any, name: str = "y_true_binary") -> tuple[np.ndarray, np.ndarray]:
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


def _rates_at(y: np.ndarray, s: np.ndarray, threshold: float, beta: float) -> dict[str, float]:
    """Precision, recall, F1, F-beta of "positive when score >= threshold" (sklearn)."""
    pred = s >= threshold
    p, r, f1, _ = precision_recall_fscore_support(
        y, pred, average="binary", zero_division=0.0
    )
    return {
        "precision": float(p),
        "recall": float(r),
        "f1": float(f1),
        "fbeta": float(fbeta_score(y, pred, beta=beta, zero_division=0.0)),
        "predicted_positive_rate": float(pred.mean()),
    }


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
        threshold (fewer positive predictions).
    threshold : float in (0, 1)
        The value for ``fixed``, and the fallback when the data has no positives/negatives.
    beta, min_precision, min_recall : float
        Strategy parameters; beta > 0, min_precision and min_recall in (0, 1].

    Returns
    -------
    dict
        ``strategy``, ``value`` (the threshold), what it achieves on these data
        (``precision``, ``recall``, ``f1``, ``fbeta``, ``predicted_positive_rate``), the
        strategy parameters, ``constraint_met`` (None when the strategy has no constraint),
        ``fallback`` (the strategy actually used when the requested one could not be met,
        else None), ``note`` (plain-language explanation, or None), ``n``, ``n_positive``.
        When no threshold reaches the constraint, the max-F1 threshold is used instead and
        ``note`` says so and gives the best value that was reachable.
    """
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
    y, s = _check_binary(y_true_binary, scores)
    n_pos = int(y.sum())
    fb = 1.0 if strategy == "max_f1" else beta
    note: str | None = None
    fallback: str | None = None
    met: bool | None = None
    if strategy == "fixed":
        value = float(threshold)
    elif n_pos == 0 or n_pos == len(y):
        value = float(threshold)
        fallback = "fixed"
        which = "no positive" if n_pos == 0 else "only positive"
        note = (
            f"the data has {which} examples, so no threshold can be chosen by {strategy}; "
            f"used the fixed threshold {threshold}"
        )
    else:
        precision, recall, thresholds = precision_recall_curve(y, s)
        p, r = precision[:-1], recall[:-1]  # the last point (recall 0) has no threshold

        def best_fbeta(b: float) -> int:
            with np.errstate(invalid="ignore", divide="ignore"):
                f = np.where(p + r > 0, (1 + b**2) * p * r / (b**2 * p + r), 0.0)
            return int(np.lexsort((thresholds, f))[-1])

        if strategy in ("max_f1", "max_fbeta"):
            i = best_fbeta(fb)
        else:
            if strategy == "recall_at_precision":
                ok, primary, secondary = p >= min_precision, r, p
                want = f"precision >= {min_precision}"
                best_reachable = f"the highest precision reached is {p.max():.3f}"
            else:
                ok, primary, secondary = r >= min_recall, p, r
                want = f"recall >= {min_recall}"
                best_reachable = f"the highest recall reached is {r.max():.3f}"
            met = bool(ok.any())
            if met:
                cand = np.flatnonzero(ok)
                order = np.lexsort((thresholds[cand], secondary[cand], primary[cand]))
                i = int(cand[order[-1]])
            else:
                i = best_fbeta(1.0)
                fallback = "max_f1"
                note = (
                    f"no threshold gives {want} on these data ({best_reachable}); "
                    f"fell back to the max-F1 threshold"
                )
        value = float(thresholds[i])
    out: dict[str, Any] = {"strategy": strategy, "value": value}
    out.update(_rates_at(y, s, value, fb))
    out.update(
        {
            "beta": fb,
            "min_precision": min_precision if strategy == "recall_at_precision" else None,
            "min_recall": min_recall if strategy == "precision_at_recall" else None,
            "constraint_met": met,
            "fallback": fallback,
            "note": note,
            "n": int(len(y)),
            "n_positive": n_pos,
        }
    )
    return out


def compare_threshold_strategies(
    y_val_binary: Any,
    val_scores: Any,
    y_test_binary: Any | None = None,
    test_scores: Any | None = None,
    threshold: float = 0.5,
    beta: float = 1.0,
    min_precision: float = 0.5,
    min_recall: float = 0.5,
) -> pd.DataFrame:
    """Every threshold strategy chosen on validation, and what it gives on validation and test.

    One row per strategy (``fixed`` uses ``threshold``): the threshold, validation
    precision / recall / F1 and, when test data are given, the same on test. This is the
    "what do I change?" table for the decision threshold.
    """
    rows = []
    for strategy in THRESHOLD_STRATEGIES:
        choice = choose_threshold(
            y_val_binary, val_scores, strategy, threshold, beta, min_precision, min_recall
        )
        row = {
            "strategy": strategy,
            "threshold": choice["value"],
            "val_precision": choice["precision"],
            "val_recall": choice["recall"],
            "val_f1": choice["f1"],
        }
        if y_test_binary is not None and test_scores is not None:
            yt, st = _check_binary(y_test_binary, test_scores, "y_test_binary")
            rates = _rates_at(yt, st, choice["value"], 1.0)
            row.update(
                test_precision=rates["precision"], test_recall=rates["recall"], test_f1=rates["f1"]
            )
        row["note"] = choice["note"] or ""
        rows.append(row)
    return pd.DataFrame(rows)


# ============================================================================ predictions
def predict_labels(
    probs: Any, threshold: float | None = None, positive_index: int | None = None
) -> np.ndarray:
    """Turn predicted probabilities into class indices.

    Rule (written here):

    * **binary**, ``probs`` of shape (n,) or (n, 1) = P(class ``positive_index``, default 1):
      predict ``positive_index`` when ``p >= threshold`` (default 0.5), else the other class.
    * **multi-class**, ``probs`` of shape (n, K): without ``threshold`` or ``positive_index``,
      the argmax. With both (one-vs-rest on the class of interest): predict
      ``positive_index`` when its probability ``>= threshold``, otherwise the argmax of the
      remaining classes -- so the class of interest is never predicted below the threshold
      and always predicted at or above it.

    Returns
    -------
    numpy.ndarray of int64, shape (n,)
    """
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim == 2 and p.shape[1] == 1:
        p = p[:, 0]
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [0, 1], got {threshold}")
    if p.ndim == 1:
        pos = 1 if positive_index is None else int(positive_index)
        if pos not in (0, 1):
            raise ValueError(f"positive_index must be 0 or 1 for binary scores, got {positive_index}")
        t = 0.5 if threshold is None else float(threshold)
        return np.where(p >= t, pos, 1 - pos).astype(np.int64)
    if p.ndim != 2 or p.shape[1] < 2:
        raise ValueError(f"probs must have shape (n,), (n, 1) or (n, K>=2), got {p.shape}")
    if threshold is None or positive_index is None:
        return p.argmax(axis=1).astype(np.int64)
    k = int(positive_index)
    if not 0 <= k < p.shape[1]:
        raise ValueError(f"positive_index {k} is out of range for {p.shape[1]} classes")
    rest = p.copy()
    rest[:, k] = -np.inf
    return np.where(p[:, k] >= threshold, k, rest.argmax(axis=1)).astype(np.int64)


def _full_probs(probs: Any, n_classes: int, positive_index: int | None) -> np.ndarray:
    """(n, K) probability matrix; 1-D binary scores are P(class ``positive_index``)."""
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim == 2 and p.shape[1] == 1:
        p = p[:, 0]
    if p.ndim == 1:
        if n_classes != 2:
            raise ValueError(f"1-D scores are binary, but {n_classes} classes were given")
        pos = 1 if positive_index is None else int(positive_index)
        full = np.empty((len(p), 2))
        full[:, pos] = p
        full[:, 1 - pos] = 1.0 - p
        return full
    if p.ndim != 2 or p.shape[1] != n_classes:
        raise ValueError(f"probs has shape {p.shape}, expected (n, {n_classes}) for {n_classes} classes")
    return p


def class_scores(probs: Any, class_index: int, positive_index: int | None = None) -> np.ndarray:
    """The score of one class for every row (binary 1-D scores are P(positive))."""
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim == 2 and p.shape[1] == 1:
        p = p[:, 0]
    if p.ndim == 1:
        pos = 1 if positive_index is None else int(positive_index)
        return p if class_index == pos else 1.0 - p
    return p[:, class_index]


# ============================================================================ metrics
def compute_metrics(
    y_true: Any,
    probs: Any,
    y_pred: Any,
    classes: list[str],
    positive_index: int | None = None,
    top_k: int = 5,
) -> dict[str, Any]:
    """Metrics of one split, all from scikit-learn.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n,)
        True and predicted class indices into ``classes``.
    probs : array-like, shape (n,) for binary (P(class ``positive_index``)) or (n, K)
    classes : list of str
    positive_index : int, optional
        Binary: the positive class (default 1) whose PR-AUC / ROC-AUC is reported.
    top_k : int
        k for top-k accuracy (multi-class only; clipped to K - 1 so it stays informative).

    Returns
    -------
    dict
        ``n``, ``accuracy``, ``majority_baseline_accuracy`` and ``majority_class`` (always
        predicting the most frequent true class of this split: the accuracy paradox),
        ``balanced_accuracy``, ``mcc``, ``per_class`` {cls: precision, recall, f1, support},
        ``confusion_matrix`` (counts, rows = true), ``confusion_matrix_normalized`` (rows sum
        to 1; NaN for a class with no examples), ``pr_auc`` (average precision) and
        ``roc_auc`` (binary: of the positive class; multi-class: one-vs-rest macro over
        classes present), ``pr_auc_per_class``, ``roc_auc_per_class``, ``top_k`` and
        ``top_k_accuracy`` (None for binary). Undefined values are None.
    """
    k_classes = len(classes)
    if k_classes < 2:
        raise ValueError(f"classes must list at least 2 classes, got {classes}")
    yt = np.asarray(y_true).astype(np.int64)
    yp = np.asarray(y_pred).astype(np.int64)
    if yt.ndim != 1 or yt.shape != yp.shape:
        raise ValueError(f"y_true and y_pred must be 1-D of equal length, got {yt.shape} and {yp.shape}")
    if len(yt) == 0:
        raise ValueError("y_true is empty: nothing to evaluate")
    for name, arr in (("y_true", yt), ("y_pred", yp)):
        if arr.min() < 0 or arr.max() >= k_classes:
            raise ValueError(f"{name} holds class indices outside 0..{k_classes - 1}")
    full = _full_probs(probs, k_classes, positive_index)
    if len(full) != len(yt):
        raise ValueError(f"probs has {len(full)} rows but y_true has {len(yt)}")
    labels = np.arange(k_classes)
    counts = np.bincount(yt, minlength=k_classes)
    precision, recall, f1, support = precision_recall_fscore_support(
        yt, yp, labels=labels, zero_division=0.0
    )
    cm = confusion_matrix(yt, yp, labels=labels)
    with np.errstate(invalid="ignore", divide="ignore"):
        cm_norm = cm / cm.sum(axis=1, keepdims=True)

    pr_auc_per_class: dict[str, float | None] = {}
    roc_auc_per_class: dict[str, float | None] = {}
    for k, cls in enumerate(classes):
        is_k = yt == k
        defined = 0 < is_k.sum() < len(yt)
        pr_auc_per_class[cls] = float(average_precision_score(is_k, full[:, k])) if defined else None
        roc_auc_per_class[cls] = float(roc_auc_score(is_k, full[:, k])) if defined else None
    if k_classes == 2:
        pos = 1 if positive_index is None else int(positive_index)
        pr_auc = pr_auc_per_class[classes[pos]]
        roc_auc = roc_auc_per_class[classes[pos]]
        top_k_value, top_k_acc = None, None
    else:
        # one-vs-rest macro over classes present == sklearn's multi_class="ovr", average="macro"
        pr_vals = [v for v in pr_auc_per_class.values() if v is not None]
        roc_vals = [v for v in roc_auc_per_class.values() if v is not None]
        pr_auc = float(np.mean(pr_vals)) if pr_vals else None
        roc_auc = float(np.mean(roc_vals)) if roc_vals else None
        top_k_value = int(min(max(1, top_k), k_classes - 1))
        top_k_acc = float(top_k_accuracy_score(yt, full, k=top_k_value, labels=labels))
    mcc = float(matthews_corrcoef(yt, yp))
    return {
        "n": int(len(yt)),
        "accuracy": float(accuracy_score(yt, yp)),
        "majority_baseline_accuracy": float(counts.max() / len(yt)),
        "majority_class": classes[int(counts.argmax())],
        "balanced_accuracy": float(balanced_accuracy_score(yt, yp)),
        "mcc": mcc,
        "pr_auc": pr_auc,
        "roc_auc": roc_auc,
        "pr_auc_per_class": pr_auc_per_class,
        "roc_auc_per_class": roc_auc_per_class,
        "top_k": top_k_value,
        "top_k_accuracy": top_k_acc,
        "per_class": {
            cls: {
                "precision": float(precision[k]),
                "recall": float(recall[k]),
                "f1": float(f1[k]),
                "support": int(support[k]),
            }
            for k, cls in enumerate(classes)
        },
        "confusion_matrix": cm.tolist(),
        "confusion_matrix_normalized": cm_norm.tolist(),
    }


# ============================================================================ timeline
def stitch_timeline(
    scores: Any,
    rec_ids: Any,
    starts: Any,
    window_length: int,
    recording_lengths: dict[str, int],
) -> dict[str, np.ndarray]:
    """Average window scores back onto each recording's timeline (written here).

    Each window ``[start, start + window_length)`` contributes its score to every timestep
    it covers; a timestep's value is the mean over the windows covering it, NaN where no
    window covers it. Vectorised per recording with difference arrays (``np.add.at`` at
    window starts and ends, then a cumulative sum).

    Parameters
    ----------
    scores : array-like, shape (n,) or (n, K)
    rec_ids : array-like of str, shape (n,)
    starts : array-like of int, shape (n,)
        Start timestep of each window in its recording.
    window_length : int
    recording_lengths : dict
        Recording id -> number of timesteps. Every recording here gets a timeline (all
        NaN when no window falls in it); every ``rec_ids`` entry must be a key.

    Returns
    -------
    dict
        Recording id -> float64 array of shape (length,) or (length, K).
    """
    sc = np.asarray(scores, dtype=np.float64)
    squeeze = sc.ndim == 1
    if squeeze:
        sc = sc[:, None]
    if sc.ndim != 2:
        raise ValueError(f"scores must have shape (n,) or (n, K), got {np.shape(scores)}")
    recs = np.asarray(rec_ids).astype(str)
    st = np.asarray(starts).astype(np.int64)
    if not (len(sc) == len(recs) == len(st)):
        raise ValueError(
            f"scores ({len(sc)}), rec_ids ({len(recs)}) and starts ({len(st)}) must have equal length"
        )
    if int(window_length) < 1:
        raise ValueError(f"window_length must be >= 1, got {window_length}")
    window_length = int(window_length)
    uniq, inverse = np.unique(recs, return_inverse=True)
    unknown = [r for r in uniq if r not in recording_lengths]
    if unknown:
        raise ValueError(f"rec_ids {unknown[:5]} have no entry in recording_lengths")
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(uniq) + 1))
    rows_of = {rec: order[bounds[i] : bounds[i + 1]] for i, rec in enumerate(uniq)}
    n_cols = sc.shape[1]
    out: dict[str, np.ndarray] = {}
    for rec, length in recording_lengths.items():
        length = int(length)
        rows = rows_of.get(rec, np.empty(0, dtype=np.int64))
        s, w = st[rows], sc[rows]
        e = s + window_length
        if len(rows) and (s.min() < 0 or e.max() > length):
            raise ValueError(
                f"recording {rec!r}: a window [{s.min()}, {e.max()}) falls outside its {length} timesteps"
            )
        total = np.zeros((length + 1, n_cols))
        count = np.zeros(length + 1)
        np.add.at(total, s, w)
        np.add.at(total, e, -w)
        np.add.at(count, s, 1.0)
        np.add.at(count, e, -1.0)
        total = np.cumsum(total[:-1], axis=0)
        count = np.rint(np.cumsum(count[:-1]))
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total / count[:, None]
        mean[count == 0] = np.nan
        out[rec] = mean[:, 0] if squeeze else mean
    return out


def windows_to_signal(X_windows: Any, starts: Any, length: int) -> np.ndarray:
    """Per-timestep signal of one recording from its (overlapping) windows, mean where they overlap.

    ``X_windows`` (n, T, C) or (n, T); returns (length, C) or (length,), NaN where no
    window covers a timestep. Vectorised with ``np.add.at``; written here for the timeline plot.
    """
    X = np.asarray(X_windows, dtype=np.float64)
    squeeze = X.ndim == 2
    if squeeze:
        X = X[:, :, None]
    if X.ndim != 3:
        raise ValueError(f"X_windows must have shape (n, T) or (n, T, C), got {np.shape(X_windows)}")
    st = np.asarray(starts, dtype=np.int64)
    idx = st[:, None] + np.arange(X.shape[1])[None, :]
    if idx.size and (idx.min() < 0 or idx.max() >= length):
        raise ValueError(f"windows reach outside the recording's {length} timesteps")
    total = np.zeros((int(length), X.shape[2]))
    count = np.zeros(int(length))
    np.add.at(total, idx.ravel(), X.reshape(-1, X.shape[2]))
    np.add.at(count, idx.ravel(), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        signal = total / count[:, None]
    signal[count == 0] = np.nan
    return signal[:, 0] if squeeze else signal


# ============================================================================ bouts
def find_bouts(mask: Any) -> np.ndarray:
    """Runs of True in a 1-D mask as ``[start, end)`` pairs (end exclusive), shape (m, 2).

    Written here, vectorised with ``np.diff`` on the mask padded with False at both ends.
    """
    m = np.asarray(mask)
    if m.ndim != 1:
        raise ValueError(f"mask must be 1-D, got shape {m.shape}")
    padded = np.concatenate([[0], m.astype(np.int8), [0]])
    change = np.diff(padded)
    return np.column_stack([np.flatnonzero(change == 1), np.flatnonzero(change == -1)]).astype(np.int64)


def clean_bouts(
    bouts: Any, sample_rate_hz: float, min_seconds: float = 0.0, merge_gap_seconds: float = 0.0
) -> np.ndarray:
    """Merge bouts separated by gaps shorter than ``merge_gap_seconds``, then drop bouts
    shorter than ``min_seconds``. Written here; vectorised (cumulative group ids).
    """
    if not sample_rate_hz or sample_rate_hz <= 0:
        raise ValueError(f"sample_rate_hz must be > 0, got {sample_rate_hz}")
    if min_seconds < 0 or merge_gap_seconds < 0:
        raise ValueError(
            f"min_seconds and merge_gap_seconds must be >= 0, got {min_seconds}, {merge_gap_seconds}"
        )
    b = np.asarray(bouts, dtype=np.int64).reshape(-1, 2)
    b = b[np.argsort(b[:, 0], kind="stable")]
    if len(b) > 1 and merge_gap_seconds > 0:
        gaps_s = (b[1:, 0] - b[:-1, 1]) / sample_rate_hz
        new_group = np.concatenate([[True], gaps_s >= merge_gap_seconds])
        first = np.flatnonzero(new_group)
        b = np.column_stack([b[first, 0], np.maximum.reduceat(b[:, 1], first)])
    if min_seconds > 0:
        b = b[(b[:, 1] - b[:, 0]) / sample_rate_hz >= min_seconds]
    return b


def match_bouts(
    true_bouts: Any,
    pred_bouts: Any,
    sample_rate_hz: float,
    min_pred_seconds: float = 0.0,
    merge_gap_seconds: float = 0.0,
) -> dict[str, Any]:
    """Match predicted bouts to true bouts by overlap (written here).

    Predicted bouts are first cleaned with :func:`clean_bouts` (merge gaps shorter than
    ``merge_gap_seconds``, drop bouts shorter than ``min_pred_seconds``). A true bout is
    *found* when any predicted bout overlaps it; a predicted bout overlapping no true bout
    is a *false alarm*. Onset / offset errors are absolute differences, in seconds, between
    each found true bout and the first (earliest) predicted bout overlapping it; one
    predicted bout spanning two true bouts finds both.

    Parameters
    ----------
    true_bouts, pred_bouts : array-like of int, shape (m, 2)
        ``[start, end)`` timesteps, e.g. from :func:`find_bouts`.
    sample_rate_hz : float
        Timesteps per second (pass 1.0 to get errors in timesteps).

    Returns
    -------
    dict
        ``n_true``, ``n_pred`` (after cleaning), ``n_found``, ``n_false_alarms``,
        ``bout_recall`` (n_found / n_true), ``bout_precision`` (predicted bouts overlapping
        a true bout / n_pred), ``onset_error_s``, ``offset_error_s`` (means; None when
        nothing matched), ``pairs`` (one record per true bout) and ``false_alarms``
        ([start_s, end_s] per false alarm).
    """
    t = np.asarray(true_bouts, dtype=np.int64).reshape(-1, 2)
    p = clean_bouts(pred_bouts, sample_rate_hz, min_pred_seconds, merge_gap_seconds)
    overlap = (p[None, :, 0] < t[:, None, 1]) & (t[:, None, 0] < p[None, :, 1])
    found = overlap.any(axis=1)
    false_alarm = ~overlap.any(axis=0)
    if len(p):
        first = overlap.argmax(axis=1)  # earliest overlapping predicted bout (p sorted by start)
        onset = np.abs(p[first, 0] - t[:, 0]) / sample_rate_hz
        offset = np.abs(p[first, 1] - t[:, 1]) / sample_rate_hz
    else:
        first = np.zeros(len(t), dtype=np.int64)
        onset = offset = np.zeros(len(t))
    n_true, n_pred, n_found = len(t), len(p), int(found.sum())
    n_fa = int(false_alarm.sum())
    pairs = [
        {
            "true_start_s": float(t[i, 0] / sample_rate_hz),
            "true_end_s": float(t[i, 1] / sample_rate_hz),
            "found": bool(found[i]),
            "pred_start_s": float(p[first[i], 0] / sample_rate_hz) if found[i] else None,
            "pred_end_s": float(p[first[i], 1] / sample_rate_hz) if found[i] else None,
            "onset_error_s": float(onset[i]) if found[i] else None,
            "offset_error_s": float(offset[i]) if found[i] else None,
        }
        for i in range(n_true)
    ]
    return {
        "n_true": n_true,
        "n_pred": n_pred,
        "n_found": n_found,
        "n_false_alarms": n_fa,
        "bout_recall": n_found / n_true if n_true else None,
        "bout_precision": (n_pred - n_fa) / n_pred if n_pred else None,
        "onset_error_s": float(onset[found].mean()) if n_found else None,
        "offset_error_s": float(offset[found].mean()) if n_found else None,
        "pairs": pairs,
        "false_alarms": (p[false_alarm] / sample_rate_hz).tolist(),
    }


# ============================================================================ per recording
def _binary_scores(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> dict[str, float]:
    yt, yp = y_true == k, y_pred == k
    p, r, f, _ = precision_recall_fscore_support(yt, yp, average="binary", zero_division=np.nan)
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "precision": float(p),
        "recall": float(r),
        "f1": float(f),
        "support": int(yt.sum()),
    }


def per_recording_scores(
    rec_ids: Any,
    y_true: Any,
    y_pred: Any,
    class_index: int,
    timestep_labels: dict[str, np.ndarray] | None = None,
    timestep_predictions: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Accuracy and precision / recall / F1 of one class, per recording (sklearn metrics).

    Per window (``window_*`` columns) and, when timelines are given, per timestep
    (``timestep_*``: timesteps that are labelled, label >= 0, and covered by a prediction,
    prediction >= 0). Precision / recall are NaN where undefined (no predicted / no true
    examples of the class in that recording).
    """
    recs = np.asarray(rec_ids).astype(str)
    yt = np.asarray(y_true).astype(np.int64)
    yp = np.asarray(y_pred).astype(np.int64)
    rows = []
    for rec in np.unique(recs):
        sel = recs == rec
        row: dict[str, Any] = {"recording": rec, "n_windows": int(sel.sum())}
        row.update({f"window_{k}": v for k, v in _binary_scores(yt[sel], yp[sel], class_index).items()})
        if timestep_labels is not None and timestep_predictions is not None and rec in timestep_labels:
            lab, pred = np.asarray(timestep_labels[rec]), np.asarray(timestep_predictions[rec])
            ok = (lab >= 0) & (pred >= 0)
            row["n_timesteps"] = int(ok.sum())
            if ok.any():
                row.update(
                    {f"timestep_{k}": v for k, v in _binary_scores(lab[ok], pred[ok], class_index).items()}
                )
        rows.append(row)
    return pd.DataFrame(rows)


# ============================================================================ interpretation
def _fmt(value: float | None) -> str:
    return "none (argmax)" if value is None else f"{value:.3g}"


def interpret_metrics(metrics: dict[str, Any]) -> list[str]:
    """A few plain-language readings of ``metrics.json`` (rules written here)."""
    notes: list[str] = []
    acc, base = metrics.get("accuracy"), metrics.get("majority_baseline_accuracy")
    if acc is not None and base is not None:
        notes.append(
            f"Accuracy {acc:.3f} vs {base:.3f} for always predicting '{metrics.get('majority_class')}': "
            f"the model adds {acc - base:+.3f}. Judge it by balanced accuracy "
            f"({metrics['balanced_accuracy']:.3f}), MCC ({metrics['mcc']:.3f}) and the class-of-interest "
            f"precision/recall instead."
        )
    pos = metrics.get("positive_class")
    pc = (metrics.get("per_class") or {}).get(pos) if pos else None
    if pc:
        prevalence = pc["support"] / metrics["n"] if metrics.get("n") else None
        ap = (metrics.get("pr_auc_per_class") or {}).get(pos)
        notes.append(
            f"'{pos}' at threshold {_fmt(metrics.get('threshold'))}: precision {pc['precision']:.3f}, "
            f"recall {pc['recall']:.3f}. Moving the threshold trades one for the other "
            f"(see the threshold options table and the metric-vs-threshold plot)."
        )
        if ap is not None and prevalence:
            if ap < 2 * prevalence:
                notes.append(
                    f"PR-AUC of '{pos}' ({ap:.3f}) is less than twice its prevalence ({prevalence:.3f}): "
                    "the scores barely rank it above the rest, so no threshold will give good "
                    "precision; change the data/model (window length, more labelled bouts, features, "
                    "loss) rather than the threshold."
                )
            else:
                notes.append(
                    f"PR-AUC of '{pos}' is {ap:.3f} against a no-skill {prevalence:.3f}: the ranking is "
                    "informative; the threshold decides where on the precision/recall curve you sit."
                )
    val = metrics.get("val") or {}
    if val.get("pr_auc") is not None and metrics.get("pr_auc") is not None:
        gap = val["pr_auc"] - metrics["pr_auc"]
        if gap > 0.1:
            notes.append(
                f"PR-AUC drops from {val['pr_auc']:.3f} (validation) to {metrics['pr_auc']:.3f} (test): "
                "the threshold tuned on validation may not transfer; more validation recordings help."
            )
    for cls, b in (metrics.get("bouts") or {}).items():
        if b.get("n_pred") and b["n_false_alarms"] > b["n_found"]:
            notes.append(
                f"'{cls}': {b['n_false_alarms']} predicted bouts overlap no true bout "
                f"({b['n_found']}/{b['n_true']} true bouts found); if they are short, raise "
                "evaluate.bout_min_seconds or evaluate.bout_merge_gap_seconds."
            )
    return notes


# ============================================================================ notebook display
def show_figure(result: dict[str, Any], name: str) -> Any:
    """The saved PNG of figure ``name`` from :func:`run_evaluation`, for display in a notebook.

    Shows the file exactly as written, whatever the matplotlib backend; returns a short
    message instead when that figure was not drawn (e.g. no class of interest).
    """
    from IPython.display import Image

    path = (result.get("figure_paths") or {}).get(name)
    if path is None or not Path(path).is_file():
        drawn = ", ".join(sorted(result.get("figure_paths") or {})) or "none"
        return f"figure {name!r} was not drawn for this run (drawn: {drawn})"
    return Image(filename=str(path))


# ============================================================================ the stage
def _load_custom_objects() -> None:
    """Import the project modules that register Keras custom objects, when they exist."""
    for name in ("lstm_helpers.model.schedules", "lstm_helpers.model.models"):
        try:
            importlib.import_module(name)
        except ImportError:
            pass


def _predict(model: Any, X: np.ndarray, batch_size: int) -> np.ndarray:
    if len(X) == 0:
        return np.zeros((0,) + tuple(int(d) for d in model.output_shape[1:]), dtype=np.float64)
    out = np.asarray(model.predict(X, batch_size=batch_size, verbose=0), dtype=np.float64)
    return out[:, 0] if out.ndim == 2 and out.shape[1] == 1 else out


def _required(run_dir: Path, name: str, stage: str) -> Path:
    path = run_dir / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist; run {stage} for this run directory first")
    return path


def _summary_table(metrics: dict[str, Any]) -> pd.DataFrame:
    val = metrics.get("val") or {}
    rows = [
        ("accuracy", "share of windows right; compare with the majority baseline"),
        ("majority_baseline_accuracy", f"always predicting '{metrics['majority_class']}' (accuracy paradox)"),
        ("balanced_accuracy", "mean recall over classes; 1/K = chance"),
        ("mcc", "Matthews correlation; 0 = chance, 1 = perfect"),
        ("pr_auc", "average precision; no-skill = prevalence of the class"),
        ("roc_auc", "0.5 = chance; optimistic under heavy imbalance"),
    ]
    if metrics.get("top_k_accuracy") is not None:
        rows.append(("top_k_accuracy", f"true class among the top {metrics['top_k']}"))
    table = [
        {"metric": m, "validation": val.get(m), "test": metrics.get(m), "how to read": how}
        for m, how in rows
    ]
    pos = metrics.get("positive_class")
    if pos:
        for m in ("precision", "recall", "f1"):
            table.append(
                {
                    "metric": f"{pos} {m}",
                    "validation": ((val.get("per_class") or {}).get(pos) or {}).get(m),
                    "test": metrics["per_class"][pos][m],
                    "how to read": f"at threshold {_fmt(metrics['threshold'])} ({metrics['threshold_strategy']})",
                }
            )
    return pd.DataFrame(table).set_index("metric")


def _timeline_and_bouts(
    data: dict[str, np.ndarray],
    info: dict[str, Any],
    cfg: Config,
    test: dict[str, np.ndarray],
    classes: list[str],
    interest_index: int | None,
    interest_names: list[str],
    decide: Any,
    source: Path,
) -> dict[str, Any]:
    """Stitch test scores per recording, predict per timestep, match bouts, score recordings."""
    ev = cfg.evaluate
    sample_rate = info.get("sample_rate_hz") or cfg.data.sample_rate_hz
    rate = float(sample_rate) if sample_rate else 1.0
    t_ids = data["timeline_rec_ids"].astype(str)
    offsets = data["timeline_offsets"].astype(np.int64)
    wanted = set(np.unique(test["rec"]))
    missing = wanted - set(t_ids)
    if missing:
        raise ValueError(f"{source}: test recordings {sorted(missing)[:5]} have no timeline_* entry")
    labels = {
        r: data["timeline_labels"][offsets[i] : offsets[i + 1]].astype(np.int64)
        for i, r in enumerate(t_ids)
        if r in wanted
    }
    window_length = int(info.get("window_length") or data["X_test"].shape[1])
    timeline = stitch_timeline(
        test["probs"], test["rec"], test["start"], window_length, {r: len(v) for r, v in labels.items()}
    )
    predicted = {}
    for rec, scores in timeline.items():
        covered = ~np.isnan(scores if scores.ndim == 1 else scores[:, 0])
        pred = np.full(len(scores), -1, dtype=np.int64)  # -1 = no window covers it
        if covered.any():
            pred[covered] = decide(scores[covered])
        predicted[rec] = pred
    per_recording = (
        per_recording_scores(test["rec"], test["y"], test["y_pred"], interest_index, labels, predicted)
        if interest_index is not None
        else None
    )
    summary: dict[str, Any] = {}
    rows, details = [], []
    for cls in interest_names:
        k = classes.index(cls)
        results = {
            rec: match_bouts(find_bouts(labels[rec] == k), find_bouts(predicted[rec] == k), rate,
                             ev.bout_min_seconds, ev.bout_merge_gap_seconds)
            for rec in timeline
        }
        for rec, res in results.items():
            rows.append({"recording": rec, "class": cls,
                         **{key: v for key, v in res.items() if key not in ("pairs", "false_alarms")}})
            details += [{"recording": rec, "class": cls, **pair} for pair in res["pairs"]]
        totals = {key: sum(r[key] for r in results.values())
                  for key in ("n_true", "n_pred", "n_found", "n_false_alarms")}
        found = [p for r in results.values() for p in r["pairs"] if p["found"]]
        summary[cls] = {
            **totals,
            "bout_recall": totals["n_found"] / totals["n_true"] if totals["n_true"] else None,
            "bout_precision": (totals["n_pred"] - totals["n_false_alarms"]) / totals["n_pred"]
            if totals["n_pred"] else None,
            "onset_error_s": float(np.mean([p["onset_error_s"] for p in found])) if found else None,
            "offset_error_s": float(np.mean([p["offset_error_s"] for p in found])) if found else None,
            "min_pred_seconds": ev.bout_min_seconds,
            "merge_gap_seconds": ev.bout_merge_gap_seconds,
            "time_unit": "s" if sample_rate else "timesteps",
        }
    plot_rec = None
    if interest_index is not None:
        counts = {r: int((lab == interest_index).sum()) for r, lab in labels.items()}
        plot_rec = ev.timeline_recording or max(counts, key=lambda r: (counts[r], r))
        if plot_rec not in timeline:
            raise ValueError(
                f"evaluate.timeline_recording = {plot_rec!r} is not a test recording; "
                f"choose one of {sorted(timeline)}"
            )
    return {
        "timeline": timeline, "labels": labels, "predicted": predicted, "rate": rate,
        "sample_rate": sample_rate, "per_recording": per_recording, "bouts": summary or None,
        "bouts_table": pd.DataFrame(rows) if rows else None,
        "bout_details": pd.DataFrame(details) if details else None, "plot_recording": plot_rec,
    }


def _draw_figures(
    fig_dir: Path,
    test: dict[str, np.ndarray],
    classes: list[str],
    interest_index: int | None,
    positive_index: int | None,
    threshold: float | None,
    rule: str,
    confusion: Any,
    timeline: dict[str, Any] | None,
    X_test: np.ndarray,
    info: dict[str, Any],
    cfg: Config,
) -> dict[str, Any]:
    """Draw and save the stage's figures; returns name -> Figure."""
    from lstm_helpers.judge import plots  # matplotlib only, imported when figures are drawn

    figures: dict[str, Any] = {}
    figures["confusion_matrix"] = plots.plot_confusion_matrix(
        np.asarray(confusion), classes, path=fig_dir / "confusion_matrix.png",
        title=f"Test confusion matrix ({rule})",
    )
    y = test["y"]
    if interest_index is None:
        full = _full_probs(test["probs"], len(classes), positive_index)
        figures["pr_curve"] = plots.plot_pr_curve(y, full, classes=classes, path=fig_dir / "pr_curve.png")
        figures["roc_curve"] = plots.plot_roc_curve(y, full, classes=classes, path=fig_dir / "roc_curve.png")
        return figures
    cls = classes[interest_index]
    scores = class_scores(test["probs"], interest_index, positive_index)
    y_bin = (y == interest_index).astype(int)
    if 0 < y_bin.sum() < len(y_bin):
        for name, plot in (("pr_curve", plots.plot_pr_curve), ("roc_curve", plots.plot_roc_curve),
                           ("metric_vs_threshold", plots.plot_metric_vs_threshold)):
            figures[name] = plot(y_bin, scores, threshold=threshold, positive_label=cls,
                                 path=fig_dir / f"{name}.png")
    figures["score_distributions"] = plots.plot_score_distributions(
        y, scores, classes, threshold=threshold, score_label=f"P({cls})",
        path=fig_dir / "score_distributions.png",
    )
    if timeline is None or timeline["plot_recording"] is None:
        return figures
    ev = cfg.evaluate
    rec = timeline["plot_recording"]
    stitched = timeline["timeline"][rec]
    sel = test["rec"] == rec
    signal = windows_to_signal(X_test[sel], test["start"][sel], len(stitched))
    real = info.get("kind", "real") == "real" and signal.ndim == 2
    true_bouts = find_bouts(timeline["labels"][rec] == interest_index)
    pred_bouts = clean_bouts(find_bouts(timeline["predicted"][rec] == interest_index), timeline["rate"],
                             ev.bout_min_seconds, ev.bout_merge_gap_seconds)
    res = match_bouts(true_bouts, pred_bouts, timeline["rate"])
    figures["timeline"] = plots.plot_timeline(
        stitched if stitched.ndim == 1 else stitched[:, interest_index],
        threshold=threshold, true_bouts=true_bouts, pred_bouts=pred_bouts,
        signal=signal[:, :2] if real else None,
        channel_names=list(info.get("channels") or [])[:2] or None,
        sample_rate_hz=float(timeline["sample_rate"]) if timeline["sample_rate"] else None,
        class_name=cls,
        title=f"Test recording {rec}: {res['n_found']}/{res['n_true']} '{cls}' bouts found, "
        f"{res['n_false_alarms']} false alarms",
        path=fig_dir / "timeline.png",
    )
    return figures


FIGURE_NAMES = ("confusion_matrix", "pr_curve", "roc_curve", "metric_vs_threshold",
                "score_distributions", "timeline")
CORE_METRICS = ("n", "accuracy", "majority_baseline_accuracy", "majority_class", "balanced_accuracy",
                "mcc", "pr_auc", "roc_auc", "pr_auc_per_class", "roc_auc_per_class", "top_k",
                "top_k_accuracy", "per_class", "confusion_matrix", "confusion_matrix_normalized")


def run_evaluation(cfg: Config, run_dir: str | Path) -> dict[str, Any]:
    """Evaluate the run's ``model.keras`` on validation and test; write the stage-03 artifacts.

    Reads ``prepared.npz``, ``prepare.json`` and ``model.keras`` from ``run_dir`` (the
    model is loaded with ``safe_mode=True, compile=False``). Predicts validation and test
    (batched), chooses the threshold of the class of interest on validation
    (``cfg.evaluate``; see :func:`choose_threshold` and :func:`predict_labels` for the rule),
    applies it unchanged to test, computes :func:`compute_metrics` for both, and for
    recordings stitches test scores onto each recording's timeline, matches bouts per class
    of interest and scores each recording (skipped for sequences / text). Synthetic
    (augmented) windows in validation / test, if any, are left out.

    Writes ``metrics.json``, ``threshold.json`` (when a threshold is used),
    ``predictions_test.csv`` / ``.npz``, ``bouts_test.csv`` (recordings) and ``figures/*.png``.

    Returns
    -------
    dict
        ``metrics`` (as written), ``summary`` (key metrics table, validation and test),
        ``per_class``, ``threshold`` (the choice), ``threshold_options`` (every strategy),
        ``per_recording``, ``bouts`` (per recording and class), ``bout_details`` (per true
        bout), ``notes``, ``figures`` (name -> Figure), ``figure_paths`` (name -> PNG),
        ``predictions`` (test DataFrame), ``timeline`` (recording -> stitched test scores).
        Parts that do not apply are None.
    """
    run_dir = Path(run_dir)
    # checked: shapes, labels, classes; validation may be empty (then a fixed threshold)
    prepared = load_prepared(run_dir, require=("test",))
    prepared_path, prepare_path = prepared.path, RunLayout(run_dir).prepare_json
    model_path = _required(run_dir, MODEL_FILE, "stage 02 (train)")
    data, prep = prepared.arrays, prepared.meta
    for key in ("X_val", "y_val", "rec_test", "start_test"):
        if key not in data:
            raise ValueError(f"{prepared_path} has no array {key!r}; re-run stage 01 (prepare)")
    classes: list[str] = list(prepared.classes)
    binary = len(classes) == 2
    info = prep.get("input") or {}
    ev = cfg.evaluate
    notes: list[str] = []

    def real_windows(split: str) -> np.ndarray:
        synthetic = data.get(f"synthetic_{split}")
        keep = np.ones(len(data[f"y_{split}"]), bool) if synthetic is None else ~synthetic.astype(bool)
        if not keep.all():
            notes.append(f"left out {int((~keep).sum())} synthetic {split} windows")
        return keep

    keep_val, keep_test = real_windows("val"), real_windows("test")
    if not keep_test.any():
        raise ValueError(f"{prepared_path} has no test windows; set split.test_fraction > 0 or data.test_path")

    import keras

    _load_custom_objects()
    model = keras.saving.load_model(model_path, compile=False, safe_mode=True)
    batch = max(256, cfg.train.batch_size)
    p_val = _predict(model, data["X_val"][keep_val], batch)
    test = {
        "probs": _predict(model, data["X_test"][keep_test], batch),
        "y": data["y_test"][keep_test].astype(np.int64),
        "rec": data["rec_test"][keep_test].astype(str),
        "start": data["start_test"][keep_test].astype(np.int64),
    }
    n_out = 1 if test["probs"].ndim == 1 else test["probs"].shape[1]
    if not (n_out == len(classes) or (binary and n_out == 1)):
        raise ValueError(
            f"{model_path} outputs {n_out} column(s) but {prepare_path} lists {len(classes)} classes {classes}"
        )
    y_val = data["y_val"][keep_val].astype(np.int64)

    # ------------------------------------------------------------ class of interest, threshold
    positive_index = (1 if prep.get("positive_index") is None else int(prep["positive_index"])) if binary else None
    interest_names = [c for c in (prep.get("classes_of_interest") or []) if c in classes]
    if binary:
        interest_index: int | None = positive_index
        interest_names = [classes[positive_index]] + [c for c in interest_names if c != classes[positive_index]]
    else:
        interest_index = classes.index(interest_names[0]) if interest_names else None
    use_threshold = interest_index is not None and (binary or ev.multiclass_decision == "threshold")
    threshold_choice: dict[str, Any] | None = None
    options: pd.DataFrame | None = None
    threshold_value: float | None = None
    rule = "argmax of the class probabilities"
    (run_dir / THRESHOLD_FILE).unlink(missing_ok=True)
    if use_threshold:
        s_val = class_scores(p_val, interest_index, positive_index)
        s_test = class_scores(test["probs"], interest_index, positive_index)
        kwargs = {"threshold": ev.threshold, "beta": ev.beta, "min_precision": ev.min_precision,
                  "min_recall": ev.min_recall}
        if len(y_val):
            threshold_choice = choose_threshold(y_val == interest_index, s_val, ev.threshold_strategy, **kwargs)
            options = compare_threshold_strategies(
                y_val == interest_index, s_val, test["y"] == interest_index, s_test, **kwargs
            )
        else:
            threshold_choice = {
                "strategy": ev.threshold_strategy, "value": ev.threshold, "constraint_met": None,
                "fallback": "fixed", "note": "no validation windows: used the fixed evaluate.threshold",
            }
        threshold_choice.update(positive_class=classes[interest_index],
                                chosen_on="validation" if len(y_val) else "none")
        write_json(run_dir / THRESHOLD_FILE, threshold_choice)
        if threshold_choice["note"]:
            notes.append(f"threshold: {threshold_choice['note']}")
        threshold_value = float(threshold_choice["value"])
        rule = f"'{classes[interest_index]}' when P >= {threshold_value:.3g}" + (
            ", else the other class" if binary else ", else the most probable other class"
        )

    def decide(probs: np.ndarray) -> np.ndarray:
        if use_threshold:
            return predict_labels(probs, threshold_value, interest_index)
        return predict_labels(probs, None, positive_index)

    test["y_pred"] = decide(test["probs"])
    top_k = cfg.train.top_k
    test_metrics = compute_metrics(test["y"], test["probs"], test["y_pred"], classes, positive_index, top_k)
    val_metrics = (
        compute_metrics(y_val, p_val, decide(p_val), classes, positive_index, top_k) if len(y_val) else None
    )

    # ------------------------------------------------------------ timeline and bouts (test)
    data_kind = info.get("data_kind", cfg.data.kind)
    has_timeline = all(f"timeline_{k}" in data for k in ("rec_ids", "offsets", "labels"))
    timeline = None
    if data_kind == "recordings" and has_timeline:
        timeline = _timeline_and_bouts(data, info, cfg, test, classes, interest_index, interest_names,
                                       decide, prepared_path)
        if not timeline["sample_rate"]:
            notes.append("no sample rate: bout times are in timesteps, not seconds")
    elif data_kind == "recordings":
        notes.append("prepared.npz has no timeline_* arrays: timeline and bouts skipped")
    per_recording = timeline["per_recording"] if timeline else None
    bout_details = timeline["bout_details"] if timeline else None
    (run_dir / "bouts_test.csv").unlink(missing_ok=True)
    if bout_details is not None:
        write_text(run_dir / "bouts_test.csv", bout_details.to_csv(index=False))

    # ------------------------------------------------------------ metrics.json
    metrics: dict[str, Any] = {k: test_metrics[k] for k in CORE_METRICS}
    metrics.update(
        {
            "n_test": test_metrics["n"],
            "classes": classes,
            "positive_class": classes[interest_index] if interest_index is not None else None,
            "classes_of_interest": interest_names,
            "threshold": threshold_value,
            "threshold_strategy": ev.threshold_strategy if use_threshold else "argmax",
            "threshold_detail": threshold_choice,
            "threshold_options": options.to_dict("records") if options is not None else None,
            "decision_rule": rule,
            "bouts": timeline["bouts"] if timeline else None,
            "per_recording": per_recording.to_dict("records") if per_recording is not None else None,
            "val": {k: val_metrics[k] for k in CORE_METRICS} if val_metrics else None,
        }
    )
    notes += interpret_metrics(metrics)
    metrics["notes"] = notes
    write_json(run_dir / METRICS_FILE, metrics)

    # ------------------------------------------------------------ predictions, figures
    full_test = _full_probs(test["probs"], len(classes), positive_index)
    names = np.asarray(classes)
    predictions = pd.DataFrame(
        {"rec": test["rec"], "start": test["start"], "y_true": names[test["y"]], "y_pred": names[test["y_pred"]]}
    )
    for k, cls in enumerate(classes):
        predictions[f"p_{cls}"] = full_test[:, k]
    write_text(run_dir / "predictions_test.csv", predictions.to_csv(index=False))
    save_npz(run_dir / "predictions_test.npz",
             {"rec": test["rec"], "start": test["start"], "y_true": test["y"], "y_pred": test["y_pred"],
              "probs": full_test.astype(np.float32), "classes": names.astype(str)})
    fig_dir = run_dir / FIGURES_DIR
    for name in FIGURE_NAMES:  # no stale figure from an earlier evaluation of this run
        (fig_dir / f"{name}.png").unlink(missing_ok=True)
    figures = _draw_figures(fig_dir, test, classes, interest_index, positive_index, threshold_value, rule,
                            test_metrics["confusion_matrix"], timeline, data["X_test"][keep_test], info, cfg)

    per_class = pd.DataFrame.from_dict(test_metrics["per_class"], orient="index").astype({"support": int})
    per_class.index.name = "class"
    return {
        "metrics": metrics,
        "summary": _summary_table(metrics),
        "per_class": per_class,
        "threshold": threshold_choice,
        "threshold_options": options,
        "per_recording": per_recording,
        "bouts": timeline["bouts_table"] if timeline else None,
        "bout_details": bout_details,
        "notes": notes,
        "figures": figures,
        "figure_paths": {name: fig_dir / f"{name}.png" for name in figures},
        "predictions": predictions,
        "timeline": timeline["timeline"] if timeline else {},
    }
