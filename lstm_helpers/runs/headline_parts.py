"""The parts of a run's headline sentence (:func:`lstm_helpers.runs.report.headline_sentence`)
that read the figures beside the model's: the majority and top-k baselines (their classes the
most frequent in training), and the counts behind a precision / recall of a class with few test
windows ("2 of 2"), where a 1.00 says little."""

from __future__ import annotations

from typing import Any

from lstm_helpers.data.units import WINDOWS
from lstm_helpers.model.budget import MIN_VAL_CASES
from lstm_helpers.style import fmt_number, most_frequent, visible_name

TRAINING = "training"  # metrics.json "baseline_from" (judge/averages.py): ranked on the training windows


def class_phrase(name: Any) -> str:
    """A class as a sentence names it: ``play``, but ``class 2`` for a label that is a number
    (UCR sets), so that "2 found with precision 0.97" does not read as a count; a character
    model's space / newline as ␣ / ↵ (raw, they left a blank or broke the terminal's line)."""
    text = visible_name(name)
    return f"class {text}" if text.lstrip("-").replace(".", "", 1).isdigit() else text


def says_much(figures: dict, m: dict) -> bool:
    """Whether ``figures``' top-k accuracy is worth a headline: with k >= K - 1 of K classes it
    is near 1 by construction (the tables keep it), with k = 1 it repeats the accuracy."""
    n_classes, k = len(m.get("classes") or []), figures.get("top_k")
    return figures.get("top_k_accuracy") is not None and k != 1 and not (n_classes and k >= n_classes - 1)


def overall_phrases(k: dict[str, Any], m: dict) -> list[str]:
    """``balanced accuracy 0.873, MCC 0.876``, ``accuracy 0.913 against 0.446 for always predicting
    rest`` and, where it says something, top-k beside always guessing the k most frequent classes
    (k / K would flatter it: classes are not equally frequent)."""
    out = [f"balanced accuracy {fmt_number(k['balanced accuracy'])}, MCC {fmt_number(k['MCC'])}"]
    majority = majority_words(m)
    acc = f"accuracy {fmt_number(k['accuracy'])}"
    out.append(f"{acc} against {fmt_number(k['majority baseline'])} for always predicting {majority}"
               if k["majority baseline"] is not None else acc)  # fmt: skip
    if says_much(m, m):
        base = k["top-k baseline"]
        most = (
            f" against {fmt_number(base)} for always guessing {most_frequent_words(m, k['top k'])}"
            if base is not None
            else ""
        )
        out.append(f"top-{k['top k']} accuracy {fmt_number(k['top-k accuracy'])}{most}")
    return out


def counted(m: dict, cls: Any) -> tuple[int, int, int] | None:
    """``(right, flagged, held)`` of ``cls`` on the test split, from the confusion matrix: its
    windows predicted as it, all windows predicted as it, its windows; None where the class has
    :data:`~lstm_helpers.model.budget.MIN_VAL_CASES` test windows or more (a figure to 0.01 then
    rests on enough of them) or the matrix is not kept."""
    classes, cm = m.get("classes") or [], m.get("confusion_matrix")
    if cls not in classes or not cm or len(cm) != len(classes):
        return None
    k = classes.index(cls)
    held = int(sum(cm[k]))
    if not held or held >= MIN_VAL_CASES:
        return None
    return int(cm[k][k]), int(sum(row[k] for row in cm)), held


def precision_recall_phrase(m: dict, cls: Any, precision: float, recall: float, unit: str = WINDOWS) -> str:
    """``precision 0.64 and recall 0.83``, with the counts behind each where the class has few
    test windows (:func:`counted`): ``precision 1.00 (2 of 2 flagged) and recall 1.00 (2 of 2 test
    windows)``; ``unit``: what the run's examples are (:func:`~lstm_helpers.data.units.example_unit`:
    ``2 of 2 test sequences``)."""
    n = counted(m, cls)
    if n is None:
        return f"precision {precision:.2f} and recall {recall:.2f}"
    right, flagged, held = n
    return f"precision {precision:.2f} ({right} of {flagged} flagged) and recall {recall:.2f} ({right} of {held} test {unit})"


def recall_counts(m: dict, cls: Any, unit: str = WINDOWS) -> str:
    """``" (0 of 4 test windows)"`` after a recall of a class with few test windows (``unit``: the
    run's examples, :func:`~lstm_helpers.data.units.example_unit`); "" else."""
    n = counted(m, cls)
    return "" if n is None else f" ({n[0]} of {n[2]} test {unit})"


def majority_words(m: dict) -> str:
    """Who the majority baseline always predicts, and where its class comes from: ``pinch (the most
    frequent in training)``; a ``metrics.json`` from before ``baseline_from`` names the class alone."""
    majority = class_phrase(m["majority_class"]) if m.get("majority_class") is not None else "the most frequent class"
    return majority + (" (the most frequent in training)" if m.get("baseline_from") == TRAINING else "")


def most_frequent_words(m: dict, k: int) -> str:
    """``the 5 most frequent classes`` (:func:`~lstm_helpers.style.most_frequent`), ``... in training``
    where the top-k baseline ranked them there."""
    return most_frequent(k) + (" in training" if m.get("baseline_from") == TRAINING else "")
