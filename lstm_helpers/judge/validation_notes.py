"""How far a run's validation split and its choice of epoch can be trusted (issue 9).

Six plain-language notes for the report, from ``train.json``, ``history.csv`` and the
metrics of stage 03 (rules written here: no library reads a training history this way):

* **still learning** -- the best validation figure came in the last planned epoch and early
  stopping did not end the run: more epochs may help;
* **small validation** -- a class with fewer than :data:`MIN_VAL_CASES` validation windows:
  one window moves its recall by more than 1/30, so the epoch and threshold chosen on
  validation are coarse;
* **validation swings more than the test can resolve** -- the monitored validation metric
  moves between consecutive epochs (median over the last :data:`SWING_EPOCHS`) by more than
  twice the test split's standard error of the same metric (accuracy: the binomial
  ``sqrt(p (1 - p) / n)``; PR-AUC of the class of interest: ``sqrt(AP (1 - AP) / n_pos)``, the
  binomial approximation of Boyd et al. 2013): which epoch was kept is then partly chance;
* **validation saturated** -- the monitored score sat at its ceiling of 1 on
  :data:`~lstm_helpers.model.budget.SATURATED_EPOCHS` or more epochs: validation cannot tell
  them apart nor show overfitting among them (``train.ensemble: auto`` averages five seeds
  then, :mod:`lstm_helpers.model.ensemble`; the note says whether this run did);
* **fold members** -- a fold ensemble (:func:`~lstm_helpers.model.ensemble.fold_plan`) scores
  validation with member 1 alone, the only one that did not train on it: its validation
  figures describe one model, its test figures the average;
* **underfits** -- the budget, not early stopping, ended training, and the model's fit to
  its own training windows is below what the MiniRocket baseline reaches on validation
  (:func:`_underfit`).
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from lstm_helpers.data.text import character_classes
from lstm_helpers.data.units import SEQUENCES, WINDOWS, one
from lstm_helpers.judge.notes import ACT, CAUTION, READING, Note
from lstm_helpers.model.budget import MIN_VAL_CASES, SATURATED_EPOCHS, compounded_weighting, saturated_epochs
from lstm_helpers.style import during_training, visible_name

BOTH_SPLITS = "training + validation windows"  # metrics.json baseline "fitted_on" of a fold ensemble's refit
SWING_EPOCHS = 10  # the last epochs whose epoch-to-epoch changes measure the swing


def validation_notes(
    train: dict[str, Any] | None,
    history: pd.DataFrame | None,
    metrics: dict[str, Any],
    split: dict | None = None,
    unit: str = WINDOWS,
) -> list[str]:
    """The warnings above that apply to this run (none without ``train.json``); ``split``:
    ``prepare.json["split"]``, how the split was made (:func:`more_validation`); ``unit``: what
    the run's examples are (:func:`~lstm_helpers.data.units.example_unit`: windows, sequences)."""
    if not train:
        return []
    notes = _still_learning(train) + _small_validation(metrics, split, unit) + _swing(train, history, metrics)
    return notes + _saturated(train, history) + _fold_members(train, metrics, unit) + _underfit(train, metrics, unit)


def training_warnings(train: dict[str, Any] | None, train_cfg: Any, train_counts: dict[str, int]) -> list[str]:
    """What stage 02 warned of, for the report's next steps (a warning seen only in the training
    notebook went unread): its budget's (too few updates) and a focal alpha that compounds the
    class weights (``train_counts``: the training windows per class, after rebalancing)."""
    if not train:
        return []
    out = [Note(w, ACT) for w in (train.get("budget") or {}).get("warnings") or []]
    classes, weights = list(train_counts), train.get("class_weight") or {}
    y = np.repeat(np.arange(len(classes)), [int(train_counts[c]) for c in classes])
    by_index = {i: float(weights[c]) for i, c in enumerate(classes) if c in weights} or None
    return out + [Note(w, ACT) for w in [compounded_weighting(train_cfg, classes, by_index, y)] if w]


def _underfit(train: dict[str, Any], metrics: dict[str, Any], unit: str = WINDOWS) -> list[str]:
    """Does the model fit its own training windows, where the budget (not validation) ended
    its training? Where its headline metric on them (``metrics["train"]``, no dropout) is below
    what the MiniRocket baseline reaches on validation windows it never learnt from, the model
    underfits: the classes are separable at least that far, and dropout or augmentation cannot
    help a model that has not learnt its training windows. UCR's PigCVP (52 classes, 2 cases
    each) was such a run: training accuracy about 0.6 after its budget, test 0.09 against the
    baseline's 0.89, and nothing said why. Not said when early stopping ended the run: the
    epoch kept is then validation's choice, and splits of unequal difficulty (the demo's
    training animals are harder than its validation ones) would make the comparison unfair."""
    b, fit, key = metrics.get("baseline") or {}, metrics.get("train") or {}, headline_key(metrics)
    seen = (b.get("val") or {}).get(key) if b.get("available") else None
    if train.get("stopped_early") or seen is None or fit.get(key) is None or fit[key] >= seen - 0.01:
        return []
    on = f"a random {fit['n']:,} of its training {unit}" if fit.get("sampled") else f"its own training {unit}"
    n = int(train.get("epochs_run") or 0)
    after = "After the one epoch" if n == 1 else f"After all {n} epochs" if n else "After all the epochs"
    return [
        Note(
            f"{after} of its budget the model does not fit {on}: "
            f"{key} {fit[key]:.3f} on them, below the MiniRocket baseline's {seen:.3f} on validation {unit} "
            "it never learnt from. It most likely underfits, and dropout or augmentation will not help that: "
            "give it more updates (train.min_updates or train.epochs), a higher learning rate "
            "(train.learning_rate) or a larger model first.",
            ACT,
        )
    ]


def _fold_members(train: dict[str, Any], metrics: dict[str, Any], unit: str = WINDOWS) -> list[str]:
    if not (folds := int(train.get("folds") or 0)):
        return []
    members = int(train.get("ensemble") or 1)
    b = metrics.get("baseline") or {}
    baseline = (
        " The MiniRocket baseline's test figures likewise come from a fit on training + validation "
        f"{unit} (its threshold and validation figures from its fit on training {unit} alone)."
        if b.get("fitted_on") == BOTH_SPLITS
        else f" The MiniRocket baseline is fitted on the training {unit} alone, so on test the ensemble "
        "has seen more cases than the baseline."
        if b.get("available")
        else ""
    )
    return [
        Note(
            f"Validation figures are member 1's alone, test figures the average of all {members}: members "
            f"2-{members} also trained on the validation {unit} (each left out another of {folds} parts of "
            f"the training {unit} instead), so only member 1 can be judged there; the average usually "
            "scores a little higher than the one model." + baseline,
            READING,
        )
    ]


def _still_learning(train: dict[str, Any]) -> list[str]:
    planned, run, best = train.get("epochs_planned"), train.get("epochs_run"), train.get("best_epoch")
    if not planned or run != planned or best != run or train.get("stopped_early"):
        return []
    when = "the only planned epoch" if planned == 1 else f"the last of the {planned} planned epochs"
    return [
        Note(
            f"The best validation {train.get('monitor', 'figure')} came in {when}: the model may still be "
            f"learning; more epochs may help (--set train.epochs={2 * int(run)}, or train.min_updates while "
            "train.epochs is auto).",
            ACT,
        )
    ]


LISTED = 6  # classes a note names one by one; past them, how many and the fewest
# how the notes below begin (in stored metrics.json notes of every version): the slides' own advice
# (runs/next_steps.py) leaves what they say to them
STILL_LEARNING = "the model may still be learning"
SMALL_VALIDATION = tuple(
    f"Validation holds {start}"
    for u in (WINDOWS, SEQUENCES)
    for start in (f"no {one(u)} of", f"few {u} of")  # "fewer than N windows / sequences of"
) + ("Validation holds fewer than",)


def threshold_chosen(metrics: dict[str, Any]) -> bool:
    """Whether validation chose a threshold as well as the epoch: not under the argmax, nor a fixed
    threshold (an older ``metrics.json`` without a strategy: as before, yes)."""
    return metrics.get("threshold_strategy") not in ("argmax", "fixed")


def small_validation_classes(metrics: dict[str, Any]) -> tuple[list[str], dict[str, int]]:
    """The classes the test split holds and validation does not, and those with fewer than
    :data:`MIN_VAL_CASES` validation windows (fewest first), among the classes a split is
    expected to hold (a text's ``<pad>`` and ``<unk>`` never are: :func:`character_classes`)."""
    per_class = (metrics.get("val") or {}).get("per_class") or {}
    expected = set(character_classes(metrics.get("classes") or list(per_class)))
    test = metrics.get("per_class") or {}
    absent = [
        c for c, v in per_class.items() if c in expected and not v.get("support") and (test.get(c) or {}).get("support")
    ]
    few = {
        c: int(v["support"])
        for c, v in per_class.items()
        if c in expected and 0 < int(v.get("support") or 0) < MIN_VAL_CASES
    }
    return absent, dict(sorted(few.items(), key=lambda kv: kv[1]))


def few_windows_text(few: dict[str, int], n_classes: int) -> str:
    """``some classes (8 of 'play', 20 of 'x')``; past :data:`LISTED` classes a summary,
    ``47 of the 94 classes (fewest: 1 of ';', ... and 41 more)`` (``few`` fewest first)."""
    listed = ", ".join(f"{n} of '{visible_name(c)}'" for c, n in list(few.items())[:LISTED])
    if len(few) <= LISTED:
        return f"some classes ({listed})"
    return f"{len(few)} of the {n_classes} classes (fewest: {listed} and {len(few) - LISTED} more)"


_PREDEFINED_BY = re.compile(r"the split is predefined by (.+?)(?:: its marks|, the test split|$)")


def more_validation(split: dict[str, Any] | None) -> str:
    """What would give validation more windows, as stage 01 made the split (``prepare.json["split"]``;
    the advice of :func:`~lstm_helpers.data.checks.split_advice`): a drawn split by a larger
    split.val_fraction; a predefined one (data.split_column, data.test_path, a sequence file's
    'split' array) only by its own marks -- split.val_fraction does nothing there -- unless
    validation was carved from its training side (no case marked 'val'), which the fraction draws."""
    if not split or split.get("method") != "predefined":
        return "a larger validation split (split.val_fraction) or more recordings help"
    note = str(split.get("note") or "")
    if "validation is carved" in note:
        return (
            "validation is carved from the predefined split's training side: a larger split.val_fraction or "
            "another seed (split.seed, where set) draws it anew, or mark validation cases 'val' in the split"
        )
    by = _PREDEFINED_BY.search(note)
    return (
        f"the split is predefined{' by ' + by.group(1) if by else ''}, so split.val_fraction does not change it: "
        "only more cases of those classes marked 'val' there help"
    )


def _small_validation(metrics: dict[str, Any], split: dict[str, Any] | None = None, unit: str = WINDOWS) -> list[str]:
    absent, few = small_validation_classes(metrics)
    advice = more_validation(split)
    chosen, coarse = (
        ("the epoch, the threshold", "the epoch and threshold chosen on validation are")
        if threshold_chosen(metrics)
        else ("the epoch", "the epoch chosen on validation is")
    )
    notes = []
    if absent:
        shown = ", ".join(f"'{visible_name(c)}'" for c in absent[:LISTED]) + (
            f" and {len(absent) - LISTED} more" if len(absent) > LISTED else ""
        )
        notes.append(
            Note(
                f"Validation holds no {one(unit)} of {shown}, which the test split holds: nothing chosen on "
                f"validation ({chosen}) saw that class; {advice}.",
                CAUTION,
            )
        )
    if few:  # a character model's newline / space as ↵ / ␣: a raw one broke the note's line
        n_classes = len(character_classes(metrics.get("classes") or list(metrics["val"]["per_class"])))
        how_few = f"fewer than {MIN_VAL_CASES}" if len(few) > LISTED else "few"
        notes.append(
            Note(
                f"Validation holds {how_few} {unit} of {few_windows_text(few, n_classes)}: one {one(unit)} moves a "
                f"recall by {1 / min(few.values()):.2f}, so {coarse} coarse; {advice}.",
                CAUTION,
            )
        )
    return notes


def headline_key(metrics: dict[str, Any]) -> str:
    """PR-AUC of the class of interest; balanced accuracy where there is none or the PR-AUC
    is the macro average over classes (what the run is ranked by then)."""
    return "pr_auc" if metrics.get("positive_class") and not pr_auc_is_macro(metrics) else "balanced_accuracy"


def pr_auc_is_macro(metrics: dict[str, Any]) -> bool:
    """Whether a metrics.json section's ``pr_auc`` is the macro average over classes (a
    multi-class run, with a class of interest named or not) rather than one class's own (a
    binary run's positive class); its figures and verdicts must say which."""
    return len(metrics.get("classes") or ()) > 2


def resolution_on_test(monitor: str, metrics: dict[str, Any]) -> float | None:
    """Twice the test split's standard error of ``monitor``'s test counterpart, or None
    when the metric has no such binomial reading (the loss, top-k accuracy). Balanced
    accuracy, the mean of K per-class recalls, has the root of their binomial variances'
    sum over K."""
    name = monitor.removeprefix("val_")
    if name == "balanced_accuracy" and metrics.get("balanced_accuracy") is not None:
        classes = [
            c for c in (metrics.get("per_class") or {}).values() if c.get("support") and c.get("recall") is not None
        ]
        if not classes:
            return None
        var = sum(max(c["recall"] * (1 - c["recall"]), 1.0 / c["support"]) / c["support"] for c in classes)
        return 2 * math.sqrt(var) / len(classes)
    if name == "accuracy" and metrics.get("accuracy") is not None and metrics.get("n"):
        p, n = float(metrics["accuracy"]), int(metrics["n"])
    elif name == "pr_auc" and metrics.get("pr_auc") is not None and metrics.get("positive_class"):
        support = ((metrics.get("per_class") or {}).get(metrics["positive_class"]) or {}).get("support")
        if not support:
            return None
        p, n = float(metrics["pr_auc"]), int(support)
    else:
        return None
    return 2 * math.sqrt(max(p * (1 - p), 1.0 / n) / n)  # 1/n: one case, when p is 0 or 1


def _swing(train: dict[str, Any], history: pd.DataFrame | None, metrics: dict[str, Any]) -> list[str]:
    monitor = train.get("monitor") or ""
    if history is None or monitor not in history or len(history) < 3:
        return []
    resolution = resolution_on_test(monitor, metrics)
    values = history[monitor].to_numpy(float)[-(SWING_EPOCHS + 1) :]
    steps = np.abs(np.diff(values[np.isfinite(values)]))
    if resolution is None or len(steps) < 2:
        return []
    swing = float(np.median(steps))
    if swing <= resolution:
        return []
    return [
        Note(
            f"Validation {monitor}{during_training(monitor)} moved by {swing:.3f} between consecutive epochs "
            "(median of the last "
            f"{len(steps)}), more than the test split can resolve (about ±{resolution:.3f}): which epoch "
            "was kept is partly chance; a larger validation split, or train.monitor: val_loss, ranks "
            "epochs more steadily.",
            CAUTION,
        )
    ]


def _saturated(train: dict[str, Any], history: pd.DataFrame | None) -> list[str]:
    monitor = train.get("monitor") or ""
    if history is None or (n := saturated_epochs(history, monitor, train.get("monitor_mode") or "")) < SATURATED_EPOCHS:
        return []
    members = int(train.get("ensemble") or 1)
    done = (
        f"this run averages {members} models trained with different seeds"
        if members > 1
        else "this run kept one model (train.ensemble: auto averages five seeds in this case)"
    )
    return [
        Note(
            f"Validation {monitor} reached 1.0 on {n} epochs: validation cannot tell those epochs apart "
            f"(the lower validation loss chose among them), nor show overfitting; {done}. A larger or "
            "harder validation split (more recordings) ranks epochs better.",
            CAUTION,
        )
    ]
