"""``predict`` on held-out recordings that carry the run's label column: their true labels and
the scores stage 03 gives its test windows.

The labels go through the run's ``data.class_map`` / ``data.other_class`` with stage 01's
own :func:`~lstm_helpers.data.labels.map_labels` (empty cells stay unlabelled); a label the
run does not know (outside its map without a catch-all, or mapped to a class it never
learnt) counts as unlabelled, with a note, instead of stopping the prediction. Windows get
their true label by the run's window label rule
(:func:`~lstm_helpers.data.windows.label_windows`, the run's ``windows`` settings), and are
scored with stage 03's functions: :func:`~lstm_helpers.judge.metrics.compute_metrics` at the
run's decision rule and :func:`~lstm_helpers.judge.bouts.score_bouts` on the stitched
timeline with the run's bout settings. Nothing is computed here that stage 03 computes.
A sequences run's labelled cases get the same scores but bouts
(:func:`decision_scores`, :func:`score_lines`; :mod:`lstm_helpers.runs.predict_sequences`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lstm_helpers.config import DataConfig
from lstm_helpers.data.inputs import DataError, checking_only, short
from lstm_helpers.data.labels import map_labels, mismatched_labels
from lstm_helpers.data.recordings import SeriesSet
from lstm_helpers.data.windows import label_windows
from lstm_helpers.judge.bouts import predict_timesteps, score_bouts
from lstm_helpers.judge.metrics import CORE_METRICS, compute_metrics
from lstm_helpers.runs.terminal import plural
from lstm_helpers.style import fmt_number

if TYPE_CHECKING:
    from lstm_helpers.runs.predict import FinishedRun


@dataclass
class NewLabels:
    """What the new recordings' label column held: ``labelled`` when any step has a label
    (known to the run or not); ``notes`` for the terminal (labels the run does not know, a
    label that differs from a mapped one only in case or spaces) and ``folded``: which labels
    the run's ``data.other_class`` took, as stage 01 says it (``<out>.scores.json`` only: a
    catch-all run folds labels on every prediction); ``unscored``: why labels the input has are
    not scored (they differ from the run's map only in case: :func:`~lstm_helpers.data.labels.mismatched_labels`),
    said in place of the scores."""

    labelled: bool = False
    notes: list[str] = field(default_factory=list)
    folded: list[str] = field(default_factory=list)
    unscored: list[str] = field(default_factory=list)


def raw_label_reading(data_cfg: DataConfig) -> DataConfig:
    """``data_cfg`` for reading new recordings' labels as written (no class map, no catch-all,
    no classes of interest to find): :func:`run_labels` maps them afterwards, so that a label
    the run does not know is a note rather than the reader's error."""
    return data_cfg.model_copy(update={"class_map": {}, "other_class": None, "classes_of_interest": []})


def _covered(label: str, cfg: DataConfig, source: str) -> bool:
    """Whether stage 01's mapping takes ``label`` (it refuses a label outside a class map
    that has no catch-all)."""
    try:
        map_labels(pd.Series([label], dtype="string"), cfg, source)
    except DataError:
        return False
    return True


def run_labels(run: FinishedRun, s: SeriesSet, source: str) -> tuple[SeriesSet, NewLabels]:
    """``s`` (read by :func:`raw_label_reading`: its classes the raw labels) with its labels
    mapped as stage 01 maps them onto the run's classes; -1 where a step has no label or one
    the run does not know (said in the notes)."""
    cfg, classes = run.cfg.data, run.classes
    if not s.classes or not (s.labels >= 0).any():
        return replace(s, labels=np.full(len(s.labels), -1, np.int64), classes=classes), NewLabels()
    names = np.asarray(s.classes, dtype=object)
    raw = pd.Series(np.where(s.labels >= 0, names[np.maximum(s.labels, 0)], None), dtype="string")
    if why := mismatched_labels(raw, cfg, f"column {cfg.label_column!r}"):  # no scores, nor false alarms from them
        return replace(s, labels=np.full(len(s.labels), -1, np.int64), classes=classes), NewLabels(unscored=[why])
    uncovered = [v for v in s.classes if not _covered(v, cfg, source)]
    notes: list[str] = []
    with checking_only():  # its warnings are in notes, said once by the caller
        task, _ = map_labels(raw.mask(raw.isin(uncovered)), cfg, source, notes=notes, missed_keys=False)
    # map_labels' notes: which labels the catch-all took, then any that look like a mapped one
    folded, notes = (notes[:1], notes[1:]) if cfg.other_class and notes else ([], notes)
    labels = pd.Index(classes).get_indexer(task.fillna("\x00")).astype(np.int64)
    unknown = raw.notna().to_numpy() & (labels < 0)
    if unknown.any():
        counts = raw[unknown].value_counts()
        listed = ", ".join(f"{short(v, 40)} ({plural(int(n), 'row')})" for v, n in counts.head(8).items())
        notes.append(
            f"label(s) {listed}{' ...' if len(counts) > 8 else ''} in column {cfg.label_column!r} are not among "
            f"the run's classes {', '.join(classes)} (through its data.class_map): those steps count as unlabelled"
        )
    return replace(s, labels=labels, classes=classes), NewLabels(True, notes, folded)


def true_names(classes: list[str], labels: np.ndarray) -> np.ndarray:
    """Class names of ``labels`` ("" where -1: unlabelled)."""
    names = np.asarray([*classes, ""], dtype=object)
    return names[np.where(labels >= 0, labels, len(classes))]


def window_truth(run: FinishedRun, s: SeriesSet, starts: np.ndarray) -> np.ndarray:
    """The true class of each window (``starts``: global first steps) by the run's window
    label rule, as stage 01 labelled its windows; -1 where that rule leaves it unlabelled."""
    w = run.cfg.windows
    coi = [run.classes.index(c) for c in run.cfg.data.classes_of_interest if c in run.classes]
    length = int(run.input.window_length or 0)
    steps = run.info.get("class_timesteps")  # the run's rarity for ties (a run prepared before it: the file's)
    return label_windows(
        s.labels, starts, length, len(run.classes), w.label_rule, w.min_fraction, coi, w.unlabelled,
        w.max_unlabelled_fraction, None if not steps else np.array([steps.get(c, 0) for c in run.classes]),
    )  # fmt: skip


def overlaps_true_bout(labels: np.ndarray, k: int, lo: int, bouts: np.ndarray) -> np.ndarray:
    """Per predicted bout (``[start, end)`` steps of the recording starting at global step
    ``lo``): whether it overlaps a true bout of class ``k``; None where none of its steps is labelled."""
    true = np.concatenate([[0], np.cumsum(labels == k)])
    known = np.concatenate([[0], np.cumsum(labels >= 0)])
    a, b = lo + bouts[:, 0], lo + bouts[:, 1]
    out = (true[b] - true[a] > 0).astype(object)
    out[known[b] - known[a] == 0] = None
    return out


def decision_scores(run: FinishedRun, y: np.ndarray, probs: np.ndarray) -> dict[str, Any]:
    """Stage 03's scores of labelled rows at the run's decision rule, with what they are of:
    ``classes``, ``classes_of_interest``, ``threshold``, ``decision_rule``, ``n`` (0: none
    labelled) and ``metrics.json``'s figures (``balanced_accuracy``, ``pr_auc``, ``per_class``,
    ``pr_auc_per_class``, ``confusion_matrix``...). ``y``: class indices; ``probs``: the model's
    values as it gave them (float32: scikit-learn checks that a row sums to one at the precision
    of its values, and float32 sums held in float64 miss float64's tolerance)."""
    from lstm_helpers.judge.evaluation import class_of_interest

    positive, _, names = class_of_interest(run.info, run.classes)
    out: dict[str, Any] = {
        "classes": run.classes, "classes_of_interest": names, "threshold": run.rule.threshold,
        "decision_rule": run.rule.describe(), "n": 0,
    }  # fmt: skip
    if len(y):
        counts = _run_train_counts(run)
        m = compute_metrics(y, probs, run.rule.apply(probs), run.classes, positive, run.cfg.train.top_k, counts)
        out.update({k: m[k] for k in CORE_METRICS})
    return out


def _run_train_counts(run: FinishedRun) -> np.ndarray | None:
    """The run's training windows per class, which rank the majority and top-k baselines'
    classes as stage 03 ranks them (:func:`~lstm_helpers.judge.evaluation.real_train_counts`:
    prepare.json's counts before rebalancing; ``prepared.npz``'s real windows only where those
    are missing). None where neither is kept: the baselines then rank the classes of the rows given."""
    from lstm_helpers.judge.evaluation import real_train_counts

    info, n = getattr(run, "info", None), len(run.classes)
    if (counts := real_train_counts({}, n, info)) is not None:
        return counts
    layout = getattr(run, "layout", None)
    if layout is None or not layout.prepared.is_file():
        return None
    with np.load(layout.prepared) as z:
        return real_train_counts({k: z[k] for k in ("y_train", "synthetic_train") if k in z.files}, n, info)


def score_predictions(
    run: FinishedRun, s: SeriesSet, window_labels: np.ndarray, probs: np.ndarray, timeline: dict[str, np.ndarray]
) -> dict[str, Any]:
    """Stage 03's scores of the labelled windows (``window_labels`` >= 0) at the run's decision
    rule (:func:`decision_scores`), and the bouts of its classes of interest matched on the
    stitched ``timeline`` (``bouts``: per class, ``bouts_per_recording``)."""
    ev = run.cfg.evaluate
    sel = window_labels >= 0
    out = decision_scores(run, window_labels[sel], probs[sel])
    out["window_label_rule"] = run.cfg.windows.label_rule
    names = out["classes_of_interest"]
    labels = {r: s.labels[lo:hi] for r, lo, hi in zip(s.rec_ids, s.offsets[:-1], s.offsets[1:], strict=True)}
    if names and (s.labels >= 0).any():
        rate = run.input.sample_rate_hz
        summary, rows, _ = score_bouts(
            labels, predict_timesteps(timeline, run.rule.apply), run.classes, names,
            float(rate) if rate else 1.0, ev.bout_min_seconds, ev.bout_merge_gap_seconds,
            int(run.input.window_length or 0),
        )  # fmt: skip
        for b in summary.values():
            b.update(n_missed=b["n_true"] - b["n_found"], time_unit="s" if rate else "timesteps")
        out.update(bouts=summary, bouts_per_recording=rows)
    return out


def accuracy_phrase(metrics: dict[str, Any]) -> str:
    """``accuracy 0.316 against 0.500 for always predicting rest``: accuracy beside the majority
    baseline of the same labelled input, as the run's summary line puts it, so that a model worse
    than always answering the most frequent class shows as such."""
    from lstm_helpers.runs.report import class_phrase

    return (
        f"accuracy {fmt_number(metrics['accuracy'])} against {fmt_number(metrics['majority_baseline_accuracy'])} "
        f"for always predicting {class_phrase(metrics['majority_class'])}"
    )


def scores_headline(scores: dict[str, Any], lead: str) -> str:
    """``<lead>balanced accuracy 0.871, PR-AUC 0.902 (macro over classes); accuracy 0.912 against
    0.446 for always predicting rest`` of :func:`decision_scores`' figures (the macro PR-AUC where
    the run names no class of interest, whose own lines follow in :func:`score_lines`)."""
    macro = "" if scores["classes_of_interest"] else f", PR-AUC {fmt_number(scores['pr_auc'])} (macro over classes)"
    per_class, classes = scores["per_class"], scores["classes"]
    present = [c for c in classes if per_class[c]["support"]]
    # balanced accuracy is the mean recall over the classes present: of one class, that class's recall
    over = f" (the mean recall of the {plural(len(present), 'class', 'classes')} labelled here: {', '.join(present)})"
    return (
        f"{lead}balanced accuracy {fmt_number(scores['balanced_accuracy'])}"
        + (over if len(present) < len(classes) else "")
        + macro
        + f"; {accuracy_phrase(scores)}"
    )


def score_lines(scores: dict[str, Any], unit: str = "window") -> list[str]:
    """The terminal's lines on the scores of the labelled windows (``unit``; a sequences run's:
    cases): balanced accuracy and accuracy beside the majority baseline
    (:func:`scores_headline`), then each class of interest's precision / recall / F1 / PR-AUC
    and its bouts."""
    n = scores["n"]
    if not n:
        by_rule = " by its label rule" if unit == "window" else ""
        return [f"scores: no {unit} has a label of the run's classes{by_rule}, so none was scored"]
    per_class, classes = scores["per_class"], scores["classes"]
    lines = [scores_headline(scores, f"scored on {plural(n, f'labelled {unit}')}: ")]
    cm = np.asarray(scores["confusion_matrix"])
    for c in scores["classes_of_interest"]:
        pc, k = per_class[c], classes.index(c)
        lines.append(
            f"{c}: no labelled {unit}; {plural(int(cm[:, k].sum()), unit)} predicted {c}, each a false alarm"
            if not pc["support"]
            else f"{c}: precision {fmt_number(pc['precision'])}, recall {fmt_number(pc['recall'])}, "
            f"F1 {fmt_number(pc['f1'])}, PR-AUC {fmt_number(scores['pr_auc_per_class'][c])}"
        )
    for c, b in (scores.get("bouts") or {}).items():
        found = f"{b['n_found']} of {b['n_true']} found, {b['n_missed']} missed" if b["n_true"] else "none labelled"
        lines.append(f"{c} bouts: {found}, {plural(b['n_false_alarms'], 'false alarm')}")
    return lines


SEEN_SPLITS = {"train": "training", "val": "validation"}  # splits whose windows shaped the model or its threshold


def seen_by_run(run: FinishedRun, rec_ids: np.ndarray) -> dict[str, list[str]]:
    """The recordings of ``rec_ids`` that were in the run's training or validation split
    (``prepare.json``'s ``splits_recordings``), by split; empty when all are new to the run."""
    splits = run.info.get("splits_recordings") or {}
    ids = {str(r) for r in rec_ids}
    seen = {k: sorted(ids & {str(r) for r in splits.get(k) or []}) for k in SEEN_SPLITS}
    return {k: recs for k, recs in seen.items() if recs}


def seen_note(seen: dict[str, list[str]], scored: bool) -> str | None:
    """A sentence naming the recordings that the run trained on or chose its threshold on: scores
    of them are not held-out figures (stage 03's test split is). Recordings are matched by their
    recording id (predict reads no group column, so a new recording of a training group is not
    caught)."""
    if not seen:
        return None
    parts = [f"{', '.join(recs[:8])}{f' and {len(recs) - 8} more' if len(recs) > 8 else ''} in its "
             f"{SEEN_SPLITS[k]} split" for k, recs in seen.items()]  # fmt: skip
    return seen_sentence(parts, scored)


def seen_sentence(parts: list[str], scored: bool, how: str = "") -> str:
    """``the run saw <parts joined by 'and'>``, then why that matters: the sentence of
    :func:`seen_note`, also said of a sequences run's cases (``how``: how they were matched)."""
    what = "these scores are not held out and flatter the model" if scored else "its predictions of them flatter it"
    return f"the run saw {' and '.join(parts)}{how}, so {what}; its report's test split is the held-out judgement"
