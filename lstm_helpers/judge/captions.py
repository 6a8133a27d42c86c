"""Stage 03's section texts that depend on the run: the threshold section's advice (which
other strategy to try, given the one this run used) and the precision-recall curve's caption
(a dot only where a threshold was chosen). The notebook shows them with :func:`show_caption`;
each is None where its section does not apply, so the report drops that section as before."""

from __future__ import annotations

import html
import math
import re
from typing import Any

from lstm_helpers.config import EvaluateConfig
from lstm_helpers.data.units import metrics_unit, one

_EVALUATE = "lstm-workbench evaluate --run <this run>"


def _next_precision(p: float) -> float | None:
    """The next precision floor worth asking for above ``p`` (None when already near 1)."""
    for step in (0.8, 0.9, 0.95):
        if p < step - 1e-9:
            return step
    return None


def _another_strategy(ev: EvaluateConfig) -> str:
    """What to try next for more precision (or, at a high floor, more recall) than this run's strategy."""
    if ev.threshold_strategy != "recall_at_precision":
        return (
            "to raise precision, pick `recall_at_precision` (with `evaluate.min_precision`) or a higher fixed "
            "threshold, and accept lower recall: "
            f"`{_EVALUATE} --set evaluate.threshold_strategy=recall_at_precision --set evaluate.min_precision=0.8`"
        )
    higher = _next_precision(ev.min_precision)
    now = f"This run already asked for precision of at least {ev.min_precision:g} (`recall_at_precision`)"
    if higher is None:
        return (
            f"{now[0].lower()}{now[1:]}; for more recall, ask for a recall floor instead: "
            f"`{_EVALUATE} --set evaluate.threshold_strategy=precision_at_recall --set evaluate.min_recall=0.8`"
        )
    return (
        f"{now[0].lower()}{now[1:]}; for more precision, raise that floor and accept lower recall: "
        f"`{_EVALUATE} --set evaluate.min_precision={higher:g}`; for more recall, lower it or ask for "
        "`precision_at_recall` with `evaluate.min_recall`"
    )


def unmet_floor(metrics: dict[str, Any]) -> tuple[str, float, float | None] | None:
    """Where this run asked for a precision (``recall_at_precision``) or recall
    (``precision_at_recall``) floor that no threshold reached on validation, so the max-F1
    threshold applied (judge/threshold.py::choose_threshold records ``constraint_met: false``):
    (``"precision"`` or ``"recall"``, the floor asked for, the best value validation reached,
    ``best_reached``, or None where the record does not give it: a run evaluated before it was
    kept); None where the floor was met or none was asked for."""
    detail = metrics.get("threshold_detail") or {}
    if detail.get("constraint_met") is not False or detail.get("fallback") == "fixed":
        return None
    which = "precision" if detail.get("strategy") == "recall_at_precision" else "recall"
    asked = detail.get(f"min_{which}")
    if asked is None:
        return None
    best = detail.get("best_reached")
    return which, float(asked), None if best is None else float(best)


def reachable_floor(best: float | None, asked: float) -> float | None:
    """A floor validation reaches: ``best`` rounded down to two decimals (None where that is 0,
    not below ``asked``, or ``best`` is unknown)."""
    if best is None:
        return None
    floor = math.floor(best * 100 + 1e-9) / 100
    return floor if 0 < floor < asked else None


def _unmet_text(threshold: float, unmet: tuple[str, float, float | None]) -> str:
    """The threshold section where the run's floor was out of reach on validation."""
    which, asked, best = unmet
    strategy = "recall_at_precision" if which == "precision" else "precision_at_recall"
    reached = f" (the best it reaches there is {best:.3f})" if best is not None else ""
    floor = reachable_floor(best, asked)
    lower = (
        f"; or ask for a floor validation reaches: `{_EVALUATE} --set evaluate.min_{which}={floor:g}` (the same "
        "model judged without training again, in a new run directory)"
        if floor is not None
        else ""
    )
    return (
        f"This run asked for `{strategy}` with `evaluate.min_{which}` {asked:g}, but no threshold gives that "
        f"{which} on validation{reached}, so the threshold fell back to the one with the highest F1 "
        f"(`max_f1`, threshold {threshold:.3g}); every strategy is listed with what it gives on validation, the "
        "figures to choose one by (test figures only for the one used). A higher floor cannot be met either: "
        f"more {which} needs a better model or data (window length, more labelled bouts, features){lower}."
    )


def fallback_reason(metrics: dict[str, Any]) -> str | None:
    """Why validation could not choose the threshold of ``metrics.json`` (so ``evaluate.threshold``
    applied: judge/threshold.py::choose_threshold), in words, or None where it chose it:
    ``validation holds no 'play' window, so max_f1 cannot choose one``."""
    detail = metrics.get("threshold_detail") or {}
    if metrics.get("threshold") is None or detail.get("fallback") != "fixed":
        return None
    cls, n_pos = detail.get("positive_class") or metrics.get("positive_class"), detail.get("n_positive")
    unit = metrics_unit(metrics)  # what the run's examples are: windows, sequences
    if detail.get("chosen_on") == "none":
        why = f"there are no validation {unit}"
    elif n_pos == 0:
        why = f"validation holds no '{cls}' {one(unit)}"
    elif n_pos is not None and n_pos == detail.get("n"):
        why = f"validation holds only '{cls}' {unit}"
    else:
        why = f"validation cannot rank its {unit}"
    return f"{why}, so {detail.get('strategy') or 'the strategy'} cannot choose one"


def fixed_by_choice(metrics: dict[str, Any]) -> bool:
    """Whether ``metrics.json``'s threshold is ``evaluate.threshold`` because the run asked for it
    (``evaluate.threshold_strategy: fixed``), not a fallback where validation could not choose:
    the texts then say it is fixed, not chosen on validation."""
    detail = metrics.get("threshold_detail") or {}
    return (
        metrics.get("threshold") is not None
        and metrics.get("threshold_strategy") == "fixed"
        and detail.get("strategy", "fixed") == "fixed"  # a fixed strategy needs no validation windows
    )


def threshold_phrase(threshold: float, metrics: dict[str, Any]) -> str:
    """How the headline names the threshold: `` at threshold 0.84``, or where validation could not
    choose it (:func:`fallback_reason`) `` at the fallback threshold 0.50 (evaluate.threshold), not
    chosen on validation: validation holds no 'play' window, so max_f1 cannot choose one``."""
    why = fallback_reason(metrics)
    if fixed_by_choice(metrics):
        return f" at the threshold fixed at {threshold:.2f} (evaluate.threshold), not chosen on validation"
    if why is None:
        return f" at threshold {threshold:.2f}"
    return f" at the fallback threshold {threshold:.2f} (evaluate.threshold), not chosen on validation: {why}"


FLAGS_FAR_MORE = (
    5.0  # flagging this many times the class's true share (precision <= 0.2 at full recall) leads the headline
)


def flagging_phrase(metrics: dict[str, Any], cls: Any, shown: str) -> str | None:
    """``the threshold flags 100% of test windows as chase (true share 10%)`` where the decision
    flags most test windows (over half) or more than :data:`FLAGS_FAR_MORE` times the class's
    true share, and at least twice it: its precision, recall and bout figures then follow from
    flagging nearly everything, which the headline says first. None otherwise, or where the test
    split holds no window of ``cls`` (``shown``: the class as the sentence names it)."""
    classes, cm = metrics.get("classes") or [], metrics.get("confusion_matrix")
    if cls not in classes or not cm or len(cm) != len(classes):
        return None
    k, total = classes.index(cls), sum(sum(row) for row in cm) or 1
    flagged, true = sum(row[k] for row in cm) / total, sum(cm[k]) / total
    if not true or flagged < 2 * true or (flagged <= 0.5 and flagged < FLAGS_FAR_MORE * true):
        return None
    who = "the threshold" if metrics.get("threshold") is not None else "the decision (argmax)"
    share = f"{true:.0%}" if true >= 0.005 else "under 1%"
    return f"{who} flags {flagged:.0%} of test {metrics_unit(metrics)} as {shown} (true share {share})"


def threshold_text(metrics: dict[str, Any], ev: EvaluateConfig) -> str | None:
    """The threshold section's text for this run (None for a run that decides by argmax)."""
    threshold = metrics.get("threshold")
    if threshold is None:
        return None
    used = metrics.get("threshold_strategy") or ev.threshold_strategy
    if (why := fallback_reason(metrics)) is not None and not fixed_by_choice(metrics):
        return (
            f"Not chosen on validation ({why}): the fixed `evaluate.threshold` {threshold:.3g} applies. Every "
            f"strategy in the table falls back the same way; to choose a threshold, validation needs "
            f"{metrics_unit(metrics)} of both classes (more groups in it: `split.val_fraction`, `split.stratify`)."
        )
    if (unmet := unmet_floor(metrics)) is not None:
        return _unmet_text(threshold, unmet)
    how = (
        f"Fixed at {threshold:.3g} (`evaluate.threshold`, as `evaluate.threshold_strategy` is `fixed`), not chosen "
        "on validation; the other strategies choose theirs on validation."
        if fixed_by_choice(metrics)
        else f"Chosen on validation by `evaluate.threshold_strategy` (this run: `{used}`, threshold {threshold:.3g})."
    )
    return (
        f"{how} "
        "Every strategy is listed with what it gives on validation, the figures to choose one by; test figures fill "
        "only the row of the strategy used (choosing a strategy by its test figures would make test a second "
        "validation split, its figures no longer an unbiased estimate). Precision and recall trade "
        f"against each other: {_another_strategy(ev)} (the same model judged without training again, in a new "
        "run directory)."
    )


def pr_curve_text(metrics: dict[str, Any], figures: dict[str, Any]) -> str | None:
    """The precision-recall curve's caption: the dot only where the figure marks a threshold
    (None where no curve is drawn)."""
    if "pr_curve" not in figures:
        return None
    low = "If the whole curve sits low, no threshold gives good precision: change the data or model, not the threshold."
    if metrics.get("positive_class") is None:  # one class against the rest, each: no threshold, no dot
        return (
            "One curve per class, that class against the rest; each point is one threshold on its score. "
            "No point is marked: this run decides by the most probable class (argmax), not by a threshold. "
            f"A class's no-skill precision is its share of the test {metrics_unit(metrics)}. "
            "If a class's curve sits low, no threshold gives it good precision."
        )
    if metrics.get("threshold") is None:
        return (
            f"Each point is one threshold on the score of '{metrics['positive_class']}'. No point is marked: this run "
            "decides by the most probable class (evaluate.multiclass_decision: argmax), not by a threshold. The "
            f"dashed line is a model with no skill (precision = prevalence). {low}"
        )
    dot = "the dot is the chosen one"
    if fixed_by_choice(metrics):
        dot = f"the dot is the threshold fixed at {metrics['threshold']:.3g} (evaluate.threshold), not chosen on validation"
    if (why := fallback_reason(metrics)) is not None:
        dot = f"the dot is the fallback evaluate.threshold {metrics['threshold']:.3g}, not chosen on validation ({why})"
    return (
        f"Each point is one threshold; {dot}. The dashed line is a model with no skill (precision = prevalence). {low}"
    )


def show_caption(text: str | None) -> Any:
    """``text`` as a notebook paragraph (`code` spans as code), or nothing (None) for a section that does not apply."""
    if text is None:
        return None
    from IPython.display import HTML

    escaped = html.escape(text, quote=False)
    return HTML("<p>" + re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped) + "</p>")


def pr_curve_alt(metrics: dict[str, Any]) -> str:
    """The precision-recall figure's alt text on the report's first screen and the slides: "with the
    chosen threshold" only where the figure marks one (not for a run that decides by argmax, e.g. a
    character model, whose figure draws one class against the rest each); "the fixed threshold" where the
    run set it (``evaluate.threshold_strategy: fixed``), not chose it."""
    if metrics.get("threshold") is not None:
        return f"precision-recall curve with the {'fixed' if fixed_by_choice(metrics) else 'chosen'} threshold"
    if metrics.get("positive_class") is None:
        return "precision-recall curves, each class against the rest (no threshold: the most probable class is taken)"
    return f"precision-recall curve of '{metrics['positive_class']}' (no threshold: the most probable class is taken)"
