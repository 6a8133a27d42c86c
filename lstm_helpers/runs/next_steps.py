"""The slides' "What to change next": changes that the run's own records point to.

Each rule reads what the run wrote (``train.json``: epochs and best epoch; ``metrics.json``:
the class of interest's precision and recall *on validation*, where the threshold was chosen,
and the baseline's validation scores; ``prepare.json``: the class counts of validation) and
names a setting to change with the figures that call for it. A rule whose evidence is absent
says nothing: no generic advice. The rules are this project's own (no library gives them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lstm_helpers.artifacts import read_json_optional
from lstm_helpers.data.text import character_classes
from lstm_helpers.judge.baseline_verdict import metrics_verdict
from lstm_helpers.judge.captions import reachable_floor, unmet_floor
from lstm_helpers.judge.notes import BASELINE_SHORT
from lstm_helpers.judge.validation_notes import (
    LISTED,
    SMALL_VALIDATION,
    STILL_LEARNING,
    few_windows_text,
    threshold_chosen,
)
from lstm_helpers.layout import RunLayout
from lstm_helpers.model.budget import MIN_VAL_CASES
from lstm_helpers.style import fmt_number, visible_name

GAP = 0.05  # precision and recall this far apart: the errors lean one way


def _epochs(t: dict[str, Any], notes: list[str]) -> list[str]:
    """Train longer (the best epoch was the last) or hold the model back (it peaked early). The
    first is left to stage 03's note where it gave one (``notes``: ``metrics.json["notes"]``,
    which the slides list after these): the same advice twice in two wordings."""
    run, best, planned = t.get("epochs_run"), t.get("best_epoch"), t.get("epochs_planned")
    if not run or not best or t.get("weights_epoch") != best:  # final weights kept: the best epoch chose nothing
        return []
    if best == run and not t.get("stopped_early") and run >= 2:
        if any(STILL_LEARNING in n for n in notes):
            return []
        return [
            f"The best epoch was the last ({best} of {planned}): validation was still improving, so train "
            f"longer (--set train.epochs={2 * int(run)})."
        ]
    if t.get("stopped_early") and best <= run // 2:
        dropout = (t.get("spec") or {}).get("dropout")
        more = (
            f"model.dropout={min(0.5, float(dropout) + 0.2):.1f}"
            if isinstance(dropout, int | float)
            else "model.dropout=0.3"
        )
        rate = float(t.get("learning_rate") or 1e-3) / 2
        return [
            f"Validation peaked at epoch {best} and early stopping ended the run at epoch {run}: the model "
            f"overfits early; regularise it (--set {more}) or lower the learning rate (--set train.learning_rate={rate:g})."
        ]
    return []


RESAMPLERS = ("undersample", "oversample", "augment", "smote", "smote_under")  # imbalance_factor applies
# what a larger resample.imbalance_factor does under each (data/resampling.py::target_counts: it
# is the largest : each smaller class after resampling, so a larger one rebalances less)
LESS = {
    "undersample": "keeps more of the other classes' windows",
    "oversample": "makes fewer copies of '{pos}'",
    "augment": "makes fewer augmented '{pos}' windows",
    "smote": "makes fewer synthetic '{pos}' windows",
    "smote_under": "makes fewer synthetic '{pos}' windows and keeps more of the others",
}


def _tilt(prep: dict[str, Any], pos: str) -> dict[str, Any] | None:
    """What the run's resampling did to ``pos`` (``prepare.json``): ``method``, ``factor``, its
    training windows ``was`` / ``now`` of ``total_was`` / ``total_now``, whether it is the
    ``largest`` class before, the training split's ``measured`` imbalance and the largest class :
    ``pos`` ``ratio`` before; None where
    the run did not resample by a factor or the record lacks the counts."""
    rs, train = prep.get("resample") or {}, (prep.get("counts") or {}).get("train") or {}
    method, factor = rs.get("method"), rs.get("imbalance_factor_target")
    before, after = train.get("before") or {}, train.get("after") or {}
    present = [int(v) for v in before.values() if int(v) > 0]
    if method not in RESAMPLERS or not factor or pos not in before or pos not in after or not present:
        return None
    return {
        "method": method, "factor": float(factor), "was": int(before[pos]), "now": int(after[pos]),
        "total_was": sum(before.values()), "total_now": sum(after.values()),
        "largest": int(before[pos]) >= max(present), "measured": max(present) / min(present),
        "ratio": max(present) / max(1, int(before[pos])),
    }  # fmt: skip


def _lighter(pos: str, t: dict[str, Any], prep: dict[str, Any]) -> str:
    """How to train with less weight on ``pos`` (its errors are false alarms), by what this run
    did to weigh it: its class weight, or the resampling that raised its share (a larger factor
    rebalances less, under every method); nothing where training did not favour it."""
    weight = (t.get("class_weight") or {}).get(pos)
    if weight and weight > 1:
        return (
            f", or weigh '{pos}' less in training (its class weight is {fmt_number(weight)}; "
            "--set train.use_class_weight=false)"
        )
    tilt = _tilt(prep, pos)
    if tilt is None or not tilt["total_now"] or tilt["now"] * tilt["total_was"] <= tilt["was"] * tilt["total_now"]:
        return ""  # its share of the training windows did not grow
    factor = tilt["factor"]
    if 2 * factor >= tilt["measured"]:  # a factor this large resamples nothing
        change = "--set resample.method=none trains on the windows as they are"
    else:
        change = f"--set resample.imbalance_factor={2 * factor:g} {LESS[tilt['method']].format(pos=pos)}"
    return (
        f", or rebalance the training windows less (resample.method {tilt['method']} at imbalance_factor "
        f"{factor:g} took '{pos}' from {tilt['was']:,} of {tilt['total_was']:,} training windows to "
        f"{tilt['now']:,} of {tilt['total_now']:,}; {change})"
    )


def _heavier(pos: str, t: dict[str, Any], prep: dict[str, Any]) -> str:
    """How to weigh ``pos`` more in training (its errors are misses), by what this run did:
    heavier class weights, class weights where none applied, a smaller imbalance factor;
    nothing where it is already fully rebalanced or is the largest class."""
    weights = t.get("class_weight") or {}
    method = (prep.get("resample") or {}).get("method")
    if (weights.get(pos) or 0) > 1:
        heavier = {c: float(w) * (2 if c == pos else 1) for c, w in weights.items()}
        given = ", ".join(f'"{c}": {w:.3g}' for c, w in heavier.items())
        return (
            f"weigh the class more (its class weight is {fmt_number(weights[pos])}; "
            f"--set 'resample.class_weight={{{given}}}')"
        )
    if method == "none":
        return "weigh the class more (--set resample.method=class_weight)"
    if method == "class_weight" and not weights:
        return "weigh the class more (the class weights were not applied; --set train.use_class_weight=true)"
    tilt = _tilt(prep, pos)
    if tilt is None or tilt["factor"] <= 1 or tilt["largest"]:
        return ""
    ratio = tilt["ratio"]  # the largest class : '{pos}' before resampling
    factor = tilt["factor"] / 2 if tilt["factor"] / 2 < ratio else max(1.0, round(ratio / 2, 1))
    if factor >= ratio:  # '{pos}' is as close to the largest class as a factor can bring it
        return ""
    already = f" (the training windows were {ratio:.1f} : 1, within it)" if tilt["factor"] >= ratio else ""
    return (
        f"rebalance the training windows more (resample.method {tilt['method']} at imbalance_factor "
        f"{tilt['factor']:g}{already}; a smaller factor brings '{pos}' closer to the largest class: "
        f"--set resample.imbalance_factor={factor:g})"
    )


def _stricter(m: dict[str, Any], p: float) -> str:
    """A threshold with more precision than ``p``: a floor above it that validation can reach
    (where the run's own floor was out of reach, :func:`~lstm_helpers.judge.captions.unmet_floor`
    gives the best precision there), or, where none is, that the threshold cannot give more."""
    floor = min(0.95, round(p + 0.1, 2))
    unmet = unmet_floor(m)
    if unmet is not None and unmet[0] == "precision":
        _, asked, best = unmet
        reach = reachable_floor(best, asked) if best is not None else None
        if reach is None or reach <= p + 1e-9:
            best_said = f"; the best precision there is {fmt_number(best)}" if best is not None else ""
            return (
                f"no threshold gives more precision on validation (this run's floor evaluate.min_precision "
                f"{asked:g} was out of reach{best_said}, so max-F1 chose the threshold): change the model or data "
                "rather than the threshold"
            )
        floor = min(floor, reach)
    return (
        "choose a stricter threshold (--set evaluate.threshold_strategy=recall_at_precision "
        f"--set evaluate.min_precision={floor:g})"
    )


def _errors(m: dict[str, Any], t: dict[str, Any], prep: dict[str, Any]) -> list[str]:
    """The errors lean to false alarms (precision low) or to misses (recall low), on validation;
    what to change follows this run's own weighting (:func:`_lighter`, :func:`_heavier`)."""
    pos = m.get("positive_class")
    per = ((m.get("val") or {}).get("per_class") or {}).get(pos) or {}
    p, r = per.get("precision"), per.get("recall")
    if p is None or r is None:
        return []
    at = f"on validation '{pos}' has precision {fmt_number(p)} and recall {fmt_number(r)}"
    if r - p > GAP:
        return [f"Most errors are false alarms ({at}): {_stricter(m, p)}{_lighter(pos, t, prep)}."]
    if p - r > GAP:
        heavier = _heavier(pos, t, prep)
        return [
            f"Most errors are missed '{pos}' windows ({at}): {heavier + ' or ' if heavier else ''}choose "
            f"the threshold for recall (--set evaluate.threshold_strategy=precision_at_recall "
            f"--set evaluate.min_recall={min(0.95, round(r + 0.1, 2)):g})."
        ]
    return []


def _validation(prep: dict[str, Any], m: dict[str, Any]) -> list[str]:
    """Too few validation windows of a class to choose the epoch (and the threshold) on: of the
    class of interest, else of any class a split is expected to hold (a text's ``<pad>`` and
    ``<unk>`` never are). Left to stage 03's notes where they say it (``metrics.json["notes"]``
    holds :func:`~lstm_helpers.judge.validation_notes.validation_notes`' small-validation notes)."""
    if any(n.startswith(SMALL_VALIDATION) for n in m.get("notes") or []):
        return []
    before = (((prep.get("counts") or {}).get("val") or {}).get("before")) or {}
    pos = m.get("positive_class")
    expected = character_classes(prep.get("classes") or list(before))
    few = {
        c: int(n) for c, n in before.items() if c in expected and (pos is None or c == pos) and int(n) < MIN_VAL_CASES
    }
    if not few:
        return []
    few = dict(sorted(few.items(), key=lambda kv: kv[1]))
    said = (
        "only " + ", ".join(f"{n} of '{visible_name(c)}'" for c, n in few.items()) + " windows"
        if len(few) <= LISTED
        else f"fewer than {MIN_VAL_CASES} windows of {few_windows_text(few, len(expected))}"
    )
    rest = (
        "the best epoch and the threshold rest" if threshold_chosen(m) and pos is not None else "the best epoch rests"
    )
    return [f"Validation holds {said}: {rest} on them; give validation more recordings (--set split.val_fraction=0.3)."]


def _baseline(m: dict[str, Any], t: dict[str, Any]) -> list[str]:
    """The baseline beat the model on validation: a front end that sees local shapes, or longer windows.
    Left to stage 03's note where it gave one (:func:`~lstm_helpers.judge.metrics._baseline_note`,
    also on validation): the same comparison twice in two wordings."""
    if any(str(n).startswith(BASELINE_SHORT) for n in m.get("notes") or []):
        return []
    base, own = (m.get("baseline") or {}).get("val") or {}, m.get("val") or {}
    metric = next(
        (k for k in ("pr_auc", "balanced_accuracy") if base.get(k) is not None and own.get(k) is not None), None
    )
    if metric is None or metrics_verdict(m, metric, own[metric], base[metric]).side != "ahead":
        return []  # level within what validation resolves (judge/baseline_verdict.py), or behind
    name = (m.get("baseline") or {}).get("name") or "the baseline"
    conv = (t.get("spec") or {}).get("conv")
    change = (
        "try longer windows (--set windows.length=...): its features already see local shapes"
        if conv
        else "add a convolutional front end (--set 'model.conv=[{filters: 64, kernel_size: 5, pool: 2}]')"
    )
    label = metric.replace("_", " ").replace("pr auc", "PR-AUC")
    return [
        f"{name} beats the model on validation {label} ({fmt_number(base[metric])} vs {fmt_number(own[metric])}): {change}."
    ]


def suggested_changes(run: Path) -> list[str]:
    """What the run's records say to change next (most telling first); empty when they point to nothing."""
    lay = RunLayout(Path(run))
    t, m, prep = (read_json_optional(p) for p in (lay.train_json, lay.metrics, lay.prepare_json))
    return [*_baseline(m, t), *_errors(m, t, prep), *_epochs(t, m.get("notes") or []), *_validation(prep, m)]
