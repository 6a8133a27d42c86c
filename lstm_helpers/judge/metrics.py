"""Metrics of one split (all from scikit-learn), their plain-language reading, the summary table.

:func:`compute_metrics` is linear in windows x classes with a small constant: the (n, K)
probabilities are read in their own dtype, column by column for the per-class curves and a
chunk of rows at a time for top-k accuracy and the log loss (scikit-learn's
``top_k_accuracy_score`` argsorts the whole (n, K) matrix into int64 and ``log_loss``
one-hot encodes it in float64; chunks keep that to a few MB whatever n is).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    confusion_matrix,
    log_loss,
    matthews_corrcoef,
    precision_recall_fscore_support,
    roc_auc_score,
    top_k_accuracy_score,
)

from lstm_helpers.data.text import character_classes, target_class_count
from lstm_helpers.data.units import WINDOWS, one
from lstm_helpers.judge.averages import TRAINING, _averages, _baselines
from lstm_helpers.judge.averages import per_class_table as per_class_table  # where stage 03 has always found it
from lstm_helpers.judge.baseline_verdict import metrics_verdict
from lstm_helpers.judge.notes import ACT, BASELINE_SHORT, CAUTION, READING, Note
from lstm_helpers.judge.probs import full_probs
from lstm_helpers.judge.validation_notes import headline_key, pr_auc_is_macro
from lstm_helpers.style import SKLEARN_AP, visible_name

# scikit-learn's averages of the per-class figures (precision_recall_fscore_support's average=)
AVERAGES = ("macro_precision", "macro_recall", "macro_f1", "weighted_precision", "weighted_recall", "weighted_f1")
# the metrics of a split kept in metrics.json (top level = test, "val" = validation)
CORE_METRICS = (
    "n",
    "accuracy",
    "majority_baseline_accuracy",
    "majority_class",
    "baseline_from",
    "balanced_accuracy",
    "mcc",
    "pr_auc",
    "roc_auc",
    "pr_auc_per_class",
    "roc_auc_per_class",
    "top_k",
    "top_k_accuracy",
    "top_k_baseline_accuracy",
    "log_loss",
    "perplexity",
    "per_class",
    *AVERAGES,
    "confusion_matrix",
    "confusion_matrix_normalized",
)
CHUNK_CELLS = 2_000_000  # rows x classes per chunk for top-k accuracy and log loss


def _balanced_accuracy(yt: np.ndarray, yp: np.ndarray) -> float:
    """scikit-learn's balanced accuracy: mean recall over the classes the split holds. A split
    that lacks classes the model predicts (a 26-window validation split of 52 classes) is that
    definition at work, so its "y_pred contains classes not in y_true" warning, which printed a
    path into the executed notebook, is left out; so is "A single label was found" (windows of
    one class, all predicted as it: recall 1 by the same definition)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="y_pred contains classes not in y_true")
        warnings.filterwarnings("ignore", message="A single label was found")
        return float(balanced_accuracy_score(yt, yp))


def _mcc(yt: np.ndarray, yp: np.ndarray) -> float:
    """scikit-learn's Matthews correlation; where every window holds and gets one class it is
    undefined and scikit-learn's 0.0 stands, without its "A single label was found" warning
    (a raw line with a path on predict's terminal)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="A single label was found")
        return float(matthews_corrcoef(yt, yp))


def _check_labels(y_true: Any, y_pred: Any, k_classes: int) -> tuple[np.ndarray, np.ndarray]:
    yt = np.asarray(y_true).astype(np.int64)
    yp = np.asarray(y_pred).astype(np.int64)
    if yt.ndim != 1 or yt.shape != yp.shape:
        raise ValueError(f"y_true and y_pred must be 1-D of equal length, got {yt.shape} and {yp.shape}")
    if len(yt) == 0:
        raise ValueError("y_true is empty: nothing to evaluate")
    for name, arr in (("y_true", yt), ("y_pred", yp)):
        if arr.min() < 0 or arr.max() >= k_classes:
            raise ValueError(f"{name} holds class indices outside 0..{k_classes - 1}")
    return yt, yp


def _row_chunks(n: int, k: int) -> list[slice]:
    step = max(1, CHUNK_CELLS // max(1, k))
    return [slice(i, i + step) for i in range(0, n, step)]


def chunked_top_k_accuracy(y_true: np.ndarray, full: np.ndarray, k: int) -> float:
    """``sklearn.metrics.top_k_accuracy_score`` over row chunks (same value, bounded memory)."""
    labels = np.arange(full.shape[1])
    hits = sum(
        top_k_accuracy_score(y_true[c], full[c], k=k, labels=labels, normalize=False)
        for c in _row_chunks(len(y_true), full.shape[1])
    )
    return float(hits / len(y_true))


def chunked_log_loss(y_true: np.ndarray, full: np.ndarray) -> float:
    """Mean cross-entropy (nats) of the true class: ``sklearn.metrics.log_loss`` over row chunks."""
    labels = np.arange(full.shape[1])
    total = sum(
        log_loss(y_true[c], full[c], labels=labels, normalize=False) for c in _row_chunks(len(y_true), full.shape[1])
    )
    return float(total / len(y_true))


def _per_class_auc(yt: np.ndarray, full: np.ndarray, classes: list[str]) -> tuple[dict, dict]:
    """One-vs-rest PR-AUC (average precision) and ROC-AUC per class; None where undefined. Clipped to
    [0, 1]: average precision sums rounded steps, and a perfect ranking stored 1.0000000000000002,
    shown "1" beside 3-decimal figures."""
    pr: dict[str, float | None] = {}
    roc: dict[str, float | None] = {}
    counts = np.bincount(yt, minlength=len(classes))
    for k, cls in enumerate(classes):
        defined = 0 < counts[k] < len(yt)
        column = full[:, k].astype(np.float64) if defined else None
        pr[cls] = float(np.clip(average_precision_score(yt == k, column), 0.0, 1.0)) if defined else None
        roc[cls] = float(roc_auc_score(yt == k, column)) if defined else None
    return pr, roc


def _per_class(classes: list[str], precision: Any, recall: Any, f1: Any, support: Any) -> dict:
    return {
        cls: {"precision": float(precision[k]), "recall": float(recall[k]), "f1": float(f1[k]),
              "support": int(support[k])}
        for k, cls in enumerate(classes)
    }  # fmt: skip


def _headline_auc(pr: dict, roc: dict, classes: list[str], positive_index: int | None) -> tuple:
    """Binary: the positive class's PR-AUC / ROC-AUC. Multi-class: one-vs-rest macro over the
    classes present (== sklearn's ``multi_class="ovr", average="macro"``)."""
    if len(classes) == 2:
        pos = classes[1 if positive_index is None else int(positive_index)]
        return pr[pos], roc[pos]
    pr_vals = [v for v in pr.values() if v is not None]
    roc_vals = [v for v in roc.values() if v is not None]
    return (
        float(np.mean(pr_vals)) if pr_vals else None,
        float(np.mean(roc_vals)) if roc_vals else None,
    )


def compute_metrics(
    y_true: Any,
    probs: Any,
    y_pred: Any,
    classes: list[str],
    positive_index: int | None = None,
    top_k: int = 5,
    train_counts: Any = None,
) -> dict[str, Any]:
    """Metrics of one split, all from scikit-learn.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n,): true and predicted class indices into ``classes``
    probs : array-like, shape (n,) for binary (P(class ``positive_index``)) or (n, K); classes : list of str
    positive_index : int, optional: binary, the positive class (default 1) whose PR-AUC / ROC-AUC is reported
    top_k : int: k for top-k accuracy (multi-class; clipped below the classes that can be a target, as in stage 02)
    train_counts : array-like of int, shape (K,), optional
        Real training windows per class, which rank the baselines' classes (averages._baselines).

    Returns
    -------
    dict
        ``n``, ``accuracy``, ``majority_baseline_accuracy`` and ``majority_class`` (always
        predicting the most frequent training class, scored on this split: the accuracy
        paradox), ``baseline_from`` (``training``, or ``this split`` without ``train_counts``),
        ``balanced_accuracy``, ``mcc``, ``per_class`` {cls: precision, recall, f1, support;
        NaN where undefined: no window of the class, or none predicted as it},
        ``confusion_matrix`` (counts, rows = true), ``confusion_matrix_normalized`` (rows sum
        to 1; NaN for a class with no examples), ``pr_auc`` (average precision) and
        ``roc_auc`` (binary: of the positive class; multi-class: one-vs-rest macro over
        classes present), ``pr_auc_per_class``, ``roc_auc_per_class``, ``top_k`` and
        ``top_k_accuracy`` with ``top_k_baseline_accuracy`` (always guessing the k most frequent
        training classes; None for binary), the averages of :data:`AVERAGES`, ``log_loss`` (mean
        cross-entropy of the true class, nats) and ``perplexity`` (its exponential: for a character
        model, per character; 1 = certain and right, K = uniform guessing). Undefined values are None.
    """
    k_classes = len(classes)
    if k_classes < 2:
        raise ValueError(f"classes must list at least 2 classes, got {classes}")
    yt, yp = _check_labels(y_true, y_pred, k_classes)
    full = full_probs(probs, k_classes, positive_index)
    if len(full) != len(yt):
        raise ValueError(f"probs has {len(full)} rows but y_true has {len(yt)}")
    labels = np.arange(k_classes)
    counts = np.bincount(yt, minlength=k_classes)
    # undefined (no window of the class, or none predicted) is NaN, null in metrics.json, not 0
    precision, recall, f1, support = precision_recall_fscore_support(yt, yp, labels=labels, zero_division=np.nan)
    cm = confusion_matrix(yt, yp, labels=labels)
    with np.errstate(invalid="ignore", divide="ignore"):
        cm_norm = cm / cm.sum(axis=1, keepdims=True)
    pr_auc_per_class, roc_auc_per_class = _per_class_auc(yt, full, classes)
    pr_auc, roc_auc = _headline_auc(pr_auc_per_class, roc_auc_per_class, classes, positive_index)
    top_k_value = None if k_classes == 2 else int(min(max(1, top_k), target_class_count(classes) - 1))
    top_k_acc = None if top_k_value is None else chunked_top_k_accuracy(yt, full, top_k_value)
    cross_entropy = chunked_log_loss(yt, full)
    majority, majority_accuracy, top_k_base, ranked_on = _baselines(counts, train_counts, top_k_value)
    return {
        "n": int(len(yt)),
        "accuracy": float(accuracy_score(yt, yp)),
        "majority_baseline_accuracy": majority_accuracy,
        "majority_class": classes[majority],
        "baseline_from": ranked_on,
        "balanced_accuracy": _balanced_accuracy(yt, yp),
        "mcc": _mcc(yt, yp),
        "pr_auc": pr_auc,
        "roc_auc": roc_auc,
        "pr_auc_per_class": pr_auc_per_class,
        "roc_auc_per_class": roc_auc_per_class,
        "top_k": top_k_value,
        "top_k_accuracy": top_k_acc,
        "top_k_baseline_accuracy": top_k_base,  # what top-k accuracy must beat, as the majority for accuracy
        "log_loss": cross_entropy,
        "perplexity": float(np.exp(cross_entropy)),
        "per_class": _per_class(classes, precision, recall, f1, support),
        **_averages(yt, yp),
        "confusion_matrix": cm.tolist(),
        "confusion_matrix_normalized": cm_norm.tolist(),
    }


# ============================================================================ interpretation
def _fmt(value: float | None) -> str:
    return "none (argmax)" if value is None else f"{value:.3g}"


def _defined(value: float | None) -> bool:
    return value is not None and not math.isnan(value)


def _num(value: float | None) -> str:
    """``0.812``, or ``undefined`` for a precision / recall with nothing to count (None or NaN)."""
    return f"{value:.3f}" if _defined(value) else "undefined"


def threshold_origin(metrics: dict[str, Any], unit: str = WINDOWS) -> str:
    """How the threshold of ``metrics.json`` was set, in words: ``chosen on validation by
    max_f1``; ``fixed: evaluate.threshold`` (the ``fixed`` strategy, or a fallback where
    validation could not choose); ``fixed: no validation windows`` (``unit``: the run's
    examples, :func:`~lstm_helpers.data.units.example_unit`)."""
    detail = metrics.get("threshold_detail") or {}
    if detail.get("chosen_on") == "none":
        return f"fixed: no validation {unit}"
    if metrics.get("threshold_strategy") == "fixed" or detail.get("fallback") == "fixed":
        return "fixed: evaluate.threshold" + (", as validation could not choose" if detail.get("fallback") else "")
    asked = detail.get("strategy")
    unmet = f" ({asked}'s constraint could not be met)" if detail.get("fallback") and asked != "max_f1" else ""
    return f"chosen on validation by {metrics.get('threshold_strategy')}{unmet}"


def _accuracy_note(metrics: dict[str, Any], unit: str = WINDOWS) -> list[str]:
    acc, base = metrics.get("accuracy"), metrics.get("majority_baseline_accuracy")
    if acc is None or base is None:
        return []
    also = "the class-of-interest precision/recall" if metrics.get("positive_class") else "the per-class recalls"
    return [
        Note(
            f"Accuracy {acc:.3f} vs {base:.3f} for always predicting '{visible_name(metrics.get('majority_class'))}'"
            f"{majority_origin(metrics, unit)}: the model adds {acc - base:+.3f}. Judge it by balanced accuracy "
            f"({metrics['balanced_accuracy']:.3f}), MCC ({metrics['mcc']:.3f}) and {also} instead."
        )
    ]


def majority_origin(metrics: dict[str, Any], unit: str = WINDOWS) -> str:
    """``" (the most frequent class of the training windows)"`` (``unit``: the run's examples)
    where the majority baseline's class was ranked on them (``baseline_from``); "" for a
    ``metrics.json`` written before it said so."""
    return f" (the most frequent class of the training {unit})" if metrics.get("baseline_from") == TRAINING else ""


def _untrained_note(metrics: dict[str, Any], unit: str = WINDOWS) -> list[str]:
    """The test classes without a single real training window (``untrained_classes``): the model
    cannot have learnt them, so their recall is 0 but by chance, and balanced accuracy, the mean
    recall over the K classes the test split holds, cannot exceed (K - m) / K for m of them."""
    untrained = metrics.get("untrained_classes") or []
    held = [c for c, v in (metrics.get("per_class") or {}).items() if v.get("support")]
    if not untrained or not held:
        return []
    k, m = len(held), len(untrained)
    names = ", ".join(f"'{visible_name(c)}'" for c in untrained[:6]) + (f" and {m - 6} more" if m > 6 else "")
    return [
        Note(
            f"{names} {'has' if m == 1 else 'have'} test {unit} but no training {one(unit)}: the model cannot have "
            f"learnt {'it' if m == 1 else 'them'} ({'its recall is' if m == 1 else 'their recalls are'} 0 but for "
            f"chance hits), so balanced accuracy, the mean recall over the {k} classes the test split holds, "
            f"cannot exceed ({k} - {m}) / {k} = {(k - m) / k:.3f} but by those chance hits.",
            CAUTION,
        )
    ]


def _class_of_interest_notes(metrics: dict[str, Any], unit: str = WINDOWS) -> list[str]:
    pos = metrics.get("positive_class")
    pc = (metrics.get("per_class") or {}).get(pos) if pos else None
    if not pc:
        return []
    if not pc.get("support"):
        return [Note(f"No '{pos}' {one(unit)} in this split: its precision and recall are undefined.", CAUTION)]
    if metrics.get("threshold") is None:  # multi-class argmax: no threshold, no options table
        notes = [
            Note(
                f"'{pos}' at threshold none (argmax): precision {_num(pc['precision'])}, recall {_num(pc['recall'])}. "
                "evaluate.multiclass_decision: threshold would choose a threshold on validation to trade one for the "
                "other."
            )
        ]
    else:
        notes = [
            Note(
                f"'{pos}' at threshold {_fmt(metrics.get('threshold'))}: precision {_num(pc['precision'])}, "
                f"recall {_num(pc['recall'])}. Moving the threshold trades one for the other (see the threshold "
                "options table and the metric-vs-threshold plot in the report's Evaluation section)."
            )
        ]
    ranking = _ranking(metrics, pos)
    if ranking is None:
        return notes
    ap, bar, prevalence, said = ranking
    if ap < bar:
        notes.append(
            Note(
                f"PR-AUC of '{pos}' on test ({ap:.3f}) is below {bar:.3f}, {said} ({prevalence:.3f}): "
                "the scores barely rank it above the rest."
            )
        )
    else:
        notes.append(
            Note(
                f"PR-AUC of '{pos}' is {ap:.3f} against a no-skill {prevalence:.3f}: the ranking is "
                "informative; the threshold decides where on the precision/recall curve you sit."
            )
        )
    return notes + _weak_ranking_on_validation(metrics, pos)


def _ranking(section: dict[str, Any], pos: str) -> tuple[float, float, float, str] | None:
    """``(PR-AUC of pos, the bar it should clear, its prevalence, the bar in words)`` in one
    split's metrics (test at the top of metrics.json, validation under ``val``); None without
    them. The bar: twice the prevalence, or halfway from it to 1 where twice it is out of reach
    (prevalence >= 1/3)."""
    pc = (section.get("per_class") or {}).get(pos) or {}
    prevalence = pc["support"] / section["n"] if pc.get("support") and section.get("n") else None
    ap = (section.get("pr_auc_per_class") or {}).get(pos)
    if ap is None or not prevalence:
        return None
    bar = min(2 * prevalence, (1 + prevalence) / 2)
    return ap, bar, prevalence, "twice its prevalence" if bar == 2 * prevalence else "halfway from its prevalence to 1"


def _weak_ranking_on_validation(metrics: dict[str, Any], pos: str) -> list[str]:
    """What to change when the scores barely rank ``pos`` on *validation* (never on test: a
    change chosen because of test figures would tune the model on the test split)."""
    ranking = _ranking(metrics.get("val") or {}, pos)
    if ranking is None or ranking[0] >= ranking[1]:
        return []
    ap, bar, prevalence, said = ranking
    return [
        Note(
            f"On validation the PR-AUC of '{pos}' ({ap:.3f}) is below {bar:.3f}, {said} ({prevalence:.3f}): "
            "the scores barely rank it above the rest, so no threshold will give good precision; change the "
            "data/model (window length, more labelled bouts, features, loss) rather than the threshold.",
            ACT,
        )
    ]


UNTRIED = ["the conv front end (model.conv)", "a longer budget (train.min_updates)",
           "augmentation (train.augment)", "a seed ensemble (train.ensemble)"]  # fmt: skip


def budget_remedy(epochs: int | str) -> str:
    """The longer budget, said by the knob that sets it: ``train.min_updates`` only sizes the
    epochs while ``train.epochs`` is auto (model/budget.py); a whole number of epochs is kept."""
    return UNTRIED[1] if epochs == "auto" else f"more epochs (train.epochs, {epochs} now)"


def _baseline_note(metrics: dict[str, Any], untried: list[str] | None = None, unit: str = WINDOWS) -> list[str]:
    """Does the model earn its keep? Its headline metric against the non-deep baseline's: on
    test, a reading (the figures side by side); on validation, where it falls short, what to try
    (``untried``: what this run did not use; default all). Advice reads validation alone: a
    change chosen because of test figures would tune the model on the test split."""
    b, key = metrics.get("baseline") or {}, headline_key(metrics)
    if not b.get("available"):
        return []
    notes = []
    if b.get(key) is not None and metrics.get(key) is not None:
        gap = metrics[key] - b[key]
        verdict = "beats it" if gap > 0.01 else "is level with it" if gap >= -0.01 else "falls short of it"
        notes.append(
            Note(
                f"{key} {metrics[key]:.3f} against the MiniRocket baseline's {b[key]:.3f} on the same test {unit}: "
                f"the model {verdict}.",
                READING,
            )
        )
    own, base = (metrics.get("val") or {}).get(key), (b.get("val") or {}).get(key)
    if own is None or base is None:
        return notes
    # the rule the comparison page and the decks state (judge/baseline_verdict.py): a gap within
    # what validation resolves is no shortfall to act on
    v = metrics_verdict(metrics, key, own, base, unit)
    if v.side != "ahead":
        return notes
    tries = UNTRIED if untried is None else untried
    advice = ": try " + ", ".join(tries[:-1]) + (" or " if len(tries) > 1 else "") + tries[-1] if tries else ""
    beyond = f", beyond what validation resolves (±{v.resolution:.3f})" if v.resolution else ""
    text = f"{BASELINE_SHORT} ({key} {own:.3f} against its {base:.3f}{beyond}){advice}."
    return [*notes, Note(text, ACT if tries else CAUTION)]


def interpret_metrics(metrics: dict[str, Any], untried: list[str] | None = None, unit: str = WINDOWS) -> list[str]:
    """A few plain-language readings of ``metrics.json`` (rules written here).

    In order: accuracy against the majority baseline (its class the most frequent in training);
    the classes the test split holds and training does not (the ceiling of balanced accuracy they
    set: :func:`_untrained_note`); the class of interest's precision /
    recall at its threshold, and whether its PR-AUC clears twice its prevalence (halfway from
    the prevalence to 1 where that is lower; else the threshold cannot help); the model against
    the MiniRocket baseline on the headline metric (``untried``: the remedies this run did not
    use, named when it falls short); a validation -> test PR-AUC drop over 0.1 (what validation
    chose may not transfer); classes whose predicted bouts are mostly false alarms. ``unit``:
    what the run's examples are (:func:`~lstm_helpers.data.units.example_unit`: windows, sequences).

    Test figures are only read (side by side, in words); every note that says what to change
    (kind ``act``) reads validation figures, so that no change is chosen on the test split.
    """
    notes = _accuracy_note(metrics, unit) + _untrained_note(metrics, unit) + _class_of_interest_notes(metrics, unit)
    notes += _baseline_note(metrics, untried, unit)
    val = metrics.get("val") or {}
    if val.get("pr_auc") is not None and metrics.get("pr_auc") is not None:
        if val["pr_auc"] - metrics["pr_auc"] > 0.1:
            multi = pr_auc_is_macro(metrics)  # not the class's own: its threshold is not to blame
            notes.append(
                Note(
                    f"{'Macro PR-AUC' if multi else 'PR-AUC'} drops from {val['pr_auc']:.3f} (validation) to "
                    f"{metrics['pr_auc']:.3f} (test): "
                    + (
                        "the threshold tuned on validation may not transfer; more validation recordings help."
                        if metrics.get("threshold") is not None and not multi
                        else "what validation chose (epochs, members) may not transfer; more validation recordings "
                        "help."
                    ),
                    CAUTION,
                )
            )
    for cls, b in (metrics.get("bouts") or {}).items():
        if b.get("n_pred") and b["n_false_alarms"] > b["n_found"]:
            notes.append(
                Note(
                    f"'{cls}': {b['n_false_alarms']} of {b['n_pred']} predicted bouts are false alarms, less than half on "
                    f"or within {_collar(b)} of a true bout ({b['n_found']}/{b['n_true']} true bouts found) on the test "
                    "recordings.",
                    READING,
                )
            )
    return notes


def summary_table(metrics: dict[str, Any], tokens: bool = False, unit: str = WINDOWS) -> pd.DataFrame:
    """Key metrics on the training windows (how well the model fits them: ``metrics["train"]``),
    validation and test, with how to read each (for the notebook and report).

    ``tokens``: a character / token run, which also shows perplexity per token; ``unit``: what
    the run's examples are (:func:`~lstm_helpers.data.units.example_unit`: windows, sequences).
    """
    val, fit = metrics.get("val") or {}, metrics.get("train") or {}
    k = len(character_classes(metrics.get("classes") or [])) or "K"  # a text's targets: never <pad> / <unk>
    rows = [
        ("accuracy", f"share of {unit} right; compare with the majority baseline"),
        (
            "majority_baseline_accuracy",
            f"always predicting '{visible_name(metrics['majority_class'])}'{majority_origin(metrics, unit)} (accuracy paradox)",
        ),
        ("balanced_accuracy", f"mean recall over classes; 1/{k} = chance"),
        ("mcc", "Matthews correlation; 0 = chance, 1 = perfect"),
        (
            "pr_auc",
            f"{SKLEARN_AP}; no-skill = prevalence of the class"
            if not pr_auc_is_macro(metrics)
            else f"{SKLEARN_AP}, macro over classes (one vs the rest); no-skill = each class's prevalence",
        ),
        ("roc_auc", "0.5 = chance; optimistic under heavy imbalance"),
    ]
    if metrics.get("top_k_accuracy") is not None:
        rows.insert(1, ("top_k_accuracy", f"true class among the top {metrics['top_k']}"))
        if metrics.get("top_k_baseline_accuracy") is not None:
            most = f"the {metrics['top_k']} most frequent classes" + (
                f" of the training {unit}" if metrics.get("baseline_from") == TRAINING else ""
            )
            rows.insert(2, ("top_k_baseline_accuracy", f"always guessing {most}"))
    if tokens and metrics.get("perplexity") is not None:
        n_classes = len(metrics.get("classes") or []) or "K"
        rows.insert(
            2,
            (
                "perplexity",
                f"per character: exp(mean cross-entropy); 1 = certain, {n_classes} = uniform guessing",
            ),
        )
    table = [{"metric": m, "training": fit.get(m), "validation": val.get(m), "test": metrics.get(m), "how to read": how}
             for m, how in rows]  # fmt: skip
    pos = metrics.get("positive_class")
    if pos and pr_auc_is_macro(metrics):
        table.append({"metric": f"{pos} pr_auc", "training": (fit.get("pr_auc_per_class") or {}).get(pos),
                      "validation": (val.get("pr_auc_per_class") or {}).get(pos),
                      "test": (metrics.get("pr_auc_per_class") or {}).get(pos),
                      "how to read": f"'{pos}' vs the rest; no-skill = its prevalence"})  # fmt: skip
    if pos:
        for m in ("precision", "recall", "f1"):
            table.append(
                {
                    "metric": f"{pos} {m}",
                    "training": ((fit.get("per_class") or {}).get(pos) or {}).get(m),
                    "validation": ((val.get("per_class") or {}).get(pos) or {}).get(m),
                    "test": metrics["per_class"][pos][m],
                    "how to read": f"at threshold {_fmt(metrics['threshold'])}, "
                    f"{metrics.get('threshold_origin') or threshold_origin(metrics, unit)}"
                    if metrics.get("threshold") is not None
                    else "argmax: the most probable class",
                }
            )
    out = pd.DataFrame(table).set_index("metric")
    return out if metrics.get("train") else out.drop(columns="training")  # (runs evaluated before it was kept)


def _collar(bouts: dict[str, Any]) -> str:
    """The bout rule's collar as the note says it (``collar_seconds``: one window length)."""
    c = bouts.get("collar_seconds")
    return "a window's length" if c is None else f"{c:g} {'s' if bouts.get('time_unit', 's') == 's' else 'timesteps'}"


def untried_remedies(cfg: Any, members: int = 1) -> list[str]:
    """The remedies :func:`interpret_metrics` may suggest that this run did not use
    (``members``: the models it averaged, ``train.json["ensemble"]``; ``auto`` may have made five)."""
    aug = cfg.train.augment
    used = [
        bool(cfg.model.conv),
        False,  # a longer budget always applies, by the knob that sets it
        max(aug.jitter_sigma, aug.scale_sigma, aug.slice_fraction, aug.warp_sigma) > 0,
        members > 1 or cfg.train.ensemble not in (1, "auto"),
    ]
    remedies = [*UNTRIED[:1], budget_remedy(cfg.train.epochs), *UNTRIED[2:]]
    return [remedy for remedy, done in zip(remedies, used, strict=True) if not done]
