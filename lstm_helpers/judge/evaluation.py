"""Stage 03: honest evaluation of a trained classifier on the validation and test splits.

Answers "why is precision 0.4 at 0.9 accuracy, and what do I change?". This module only
orchestrates; each concern has its own module:

* :mod:`~lstm_helpers.judge.probs`: the model's probabilities (validation, test and the
  training windows -- how well the model fits them -- are predicted once each);
* :mod:`~lstm_helpers.judge.threshold`: the threshold of the class of interest, chosen on
  validation and applied unchanged to test, and the decision rule;
* :mod:`~lstm_helpers.judge.metrics`: scikit-learn metrics next to the majority baseline,
  top-k accuracy and perplexity, their plain-language reading;
* :mod:`~lstm_helpers.judge.bouts`: test scores stitched onto each recording's timeline,
  bouts found / missed / false alarms, per-recording scores;
* :mod:`~lstm_helpers.judge.figures`: which figures are drawn.

Memory is linear in windows x classes with a small constant: only the arrays evaluation
needs are read from ``prepared.npz``, probabilities stay float32 and are never copied
whole, and many-class runs write compact predictions and figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lstm_helpers.artifacts import (
    StageMissing,
    read_json,
    read_json_optional,
    record_notebook_stage,
    run_name,
    save_npz,
    write_json,
    write_table,
)
from lstm_helpers.config import Config
from lstm_helpers.data.prepared import load_prepared, read_prepare_json
from lstm_helpers.data.units import example_unit
from lstm_helpers.judge.averages import per_class_table
from lstm_helpers.judge.baseline import BaselineResult, fit_baseline_cached
from lstm_helpers.judge.bouts import bout_tables_for_page, per_recording_table, score_test_timelines
from lstm_helpers.judge.figures import draw_figures, figure_paths
from lstm_helpers.judge.inference import DEFAULT_BATCH
from lstm_helpers.judge.metrics import (
    CORE_METRICS,
    compute_metrics,
    interpret_metrics,
    summary_table,
    threshold_origin,
    untried_remedies,
)
from lstm_helpers.judge.notes import CAUTION, READING, Note, kind_of
from lstm_helpers.judge.probs import class_scores, full_probs, predict_probs
from lstm_helpers.judge.threshold import (
    DecisionRule,
    argmax_threshold_note,
    choice_without_validation,
    choose_threshold,
    compare_threshold_strategies,
    where_chosen,
)
from lstm_helpers.judge.time_budget import budget_json, scored_budget
from lstm_helpers.judge.validation_notes import BOTH_SPLITS, training_warnings, validation_notes
from lstm_helpers.layout import RunLayout
from lstm_helpers.unused import decision_notes

MAX_PROB_COLUMNS = 20  # predictions_test.csv: one p_<class> column per class up to this many classes
SPLIT_KEYS = ("X", "y", "rec", "start", "synthetic")
TIMELINE_KEYS = ("timeline_rec_ids", "timeline_offsets", "timeline_labels")
FIT_SAMPLE = 20_000  # training windows predicted at most, for metrics.json["train"] (how well the model fits them)


def _required(path: Path, stage: str) -> Path:
    """``path``, or one message naming the run (never an absolute path) and the stage that writes it."""
    if not path.is_file():
        raise StageMissing(f"{run_name(path.parent)} has no {path.name}: run {stage} for this run directory first")
    return path


def _read_arrays(run_dir: Path) -> dict[str, np.ndarray]:
    """The training / validation / test / timeline arrays of the run's prepared data (the one
    loader, :func:`~lstm_helpers.data.prepared.load_prepared`, checks them against ``prepare.json``)."""
    prepared = load_prepared(run_dir, require=("test",))
    for key in ("X_val", "y_val", "rec_test", "start_test"):
        if key not in prepared.arrays:
            raise ValueError(f"{prepared.path} has no array {key!r}; re-run stage 01 (prepare)")
    wanted = [f"{k}_{s}" for s in ("train", "val", "test") for k in SPLIT_KEYS] + list(TIMELINE_KEYS)
    return {k: prepared.arrays[k] for k in wanted if k in prepared.arrays}


def _split(data: dict[str, np.ndarray], split: str, notes: list[str]) -> dict[str, np.ndarray]:
    """The real (not synthetic) windows of one split: X, y, rec, start (no copy when all are real)."""
    y = data[f"y_{split}"]
    synthetic = data.get(f"synthetic_{split}")
    keep = None if synthetic is None or not synthetic.any() else ~synthetic.astype(bool)
    if keep is not None:
        notes.append(f"left out {int((~keep).sum())} synthetic {split} windows")
    out = {"X": data[f"X_{split}"], "y": y.astype(np.int64)}
    if f"rec_{split}" in data:
        out.update(rec=data[f"rec_{split}"].astype(str), start=data[f"start_{split}"].astype(np.int64))
    return out if keep is None else {k: v[keep] for k, v in out.items()}


@dataclass
class _Stage:
    """What every step of one evaluation shares."""

    cfg: Config
    layout: RunLayout
    classes: list[str]
    info: dict[str, Any]
    positive: int | None  # binary runs: the positive class
    interest: int | None  # the class of interest (binary: the positive class)
    interest_names: list[str]
    notes: list[str] = field(default_factory=list)
    rule: DecisionRule | None = None
    train_counts: np.ndarray | None = None  # real training windows per class: the majority baseline's ranking
    split: dict[str, Any] | None = None  # prepare.json's "split": how it was made (the advice fits it)


def class_of_interest(prep: dict[str, Any], classes: list[str]) -> tuple[int | None, int | None, list[str]]:
    """(positive index of a binary run, index of the class of interest, names of the classes of interest:
    the positive class first on a binary run; none on a multi-class run that names none). The classes
    whose bouts stage 03 scores and ``predict`` writes."""
    names = [c for c in (prep.get("classes_of_interest") or []) if c in classes]
    if len(classes) != 2:
        return None, (classes.index(names[0]) if names else None), names
    pos = 1 if prep.get("positive_index") is None else int(prep["positive_index"])
    return pos, pos, [classes[pos]] + [c for c in names if c != classes[pos]]


def _open(cfg: Config, run_dir: str | Path) -> tuple[_Stage, dict[str, np.ndarray]]:
    """The stage context and the validation / test arrays; refuses runs that lack a stage."""
    layout = RunLayout(Path(run_dir))
    data = _read_arrays(layout.root)
    prep = read_prepare_json(layout.root)
    _required(layout.model, "stage 02 (train)")
    classes = list(prep["classes"])
    positive, interest, names = class_of_interest(prep, classes)
    stage = _Stage(cfg, layout, classes, prep.get("input") or {}, positive, interest, names)
    stage.notes += decision_notes(cfg, prep)  # threshold settings an argmax run leaves without effect
    stage.notes += argmax_threshold_note(cfg.evaluate, classes, names, stage.notes)
    stage.train_counts, stage.split = real_train_counts(data, len(classes), prep), prep.get("split")
    return stage, data


def real_train_counts(
    data: dict[str, np.ndarray], n_classes: int, prep: dict[str, Any] | None = None
) -> np.ndarray | None:
    """The real training windows per class before any rebalancing: what a model could know of
    the classes' frequencies, so the majority and top-k baselines rank classes by them (a class
    only the test split holds was the "majority" of a test split where it was most frequent).
    From ``prepare.json``'s ``counts.train.before`` (``prep``) where it names the classes:
    undersampling cuts the large classes to one cap, which left the first class listed the
    "most frequent"; else the non-synthetic training labels."""
    before = (((prep or {}).get("counts") or {}).get("train") or {}).get("before") or {}
    classes = [str(c) for c in (prep or {}).get("classes") or []]
    if len(classes) == n_classes and before and set(before) <= set(classes):
        return np.array([int(before.get(c, 0)) for c in classes])
    if "y_train" not in data:
        return None
    y, synthetic = data["y_train"].astype(np.int64), data.get("synthetic_train")
    real = y if synthetic is None else y[~np.asarray(synthetic, bool)]
    return np.bincount(real, minlength=n_classes)


def _predict_splits(st: _Stage, val: dict, test: dict, fit: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validation, test and training-fit probabilities (``fit``: :func:`_fit_sample`), one
    prediction pass each, from the run's model (validation and training from member 1 alone in
    a fold ensemble: the others trained on validation, member 1 on every training window)."""
    from lstm_helpers.model.ensemble import validation_member  # TensorFlow only when a model runs
    from lstm_helpers.model.models import load_trained_model

    model = load_trained_model(st.layout.model)
    # large fixed-size chunks, whatever the training batch (judge/inference.py); windows/s in the run's log
    member = validation_member(model)
    p_fit = predict_probs(member, fit["X"], DEFAULT_BATCH) if len(fit["y"]) else np.zeros((0,))
    p_val = predict_probs(member, val["X"], DEFAULT_BATCH, log=print, what="validation windows")
    p_test = predict_probs(model, test["X"], DEFAULT_BATCH, log=print, what="test windows")
    n_out = 1 if p_test.ndim == 1 else p_test.shape[1]
    if not (n_out == len(st.classes) or (len(st.classes) == 2 and n_out == 1)):
        raise ValueError(
            f"{st.layout.model} outputs {n_out} column(s) but {st.layout.prepare_json} lists "
            f"{len(st.classes)} classes {st.classes}"
        )
    return p_val, p_test, p_fit


def interest_notes(st: _Stage, y_test: np.ndarray, test_pred: np.ndarray, val_pred: np.ndarray | None) -> list[Note]:
    """Notes on the classes of interest at the run's decision rule: each one predicted for no test
    window (and whether for no validation window either), and, where several are named, which one
    the threshold applies to: the others have none, and are predicted only where that class falls
    below it and they are the most probable of the rest (:func:`~lstm_helpers.judge.threshold.predict_labels`)."""
    notes = []
    for name in st.interest_names:
        k = st.classes.index(name)
        if (test_pred == k).any():
            continue
        where = "no test window" + (
            " and no validation window" if val_pred is not None and not (val_pred == k).any() else ""
        )
        n = int((y_test == k).sum())
        missed = f"all {n} of its test windows are missed" if n else "the test split holds none of it either"
        notes.append(Note(f"Class of interest '{name}' is predicted for {where}: {missed}, and its precision is "
                          "undefined.", CAUTION))  # fmt: skip
    if len(st.interest_names) > 1 and st.rule.threshold is not None:
        target = st.classes[st.rule.class_index]
        rest = [f"'{c}'" for c in st.interest_names if c != target]
        notes.append(Note(f"The decision threshold applies to '{target}' only; {', '.join(rest)} (also in "
                          f"data.classes_of_interest) {'has' if len(rest) == 1 else 'have'} none: predicted only where "
                          f"'{target}' falls below its threshold and it is the most probable of the other classes.",
                          READING))  # fmt: skip
    return notes


def _fit_sample(st: _Stage, data: dict) -> dict[str, np.ndarray]:
    """The real training windows whose predictions say how well the model fits what it learnt
    from (``metrics.json["train"]``): all of them, or :data:`FIT_SAMPLE` drawn at random (the
    run's seed) where there are more -- a diagnostic needs no more, and a large set would make
    stage 03 cost as much as an epoch."""
    if "y_train" not in data:
        return {"X": np.zeros((0,)), "y": np.zeros(0, np.int64)}
    fit = _split(data, "train", [])
    if len(fit["y"]) <= FIT_SAMPLE:
        return {"X": fit["X"], "y": fit["y"]}
    keep = np.sort(np.random.default_rng(st.cfg.seed).choice(len(fit["y"]), FIT_SAMPLE, replace=False))
    return {"X": fit["X"][keep], "y": fit["y"][keep]}


def _fit_metrics(st: _Stage, fit: dict, p_fit: np.ndarray) -> dict[str, Any] | None:
    """The model's metrics on its training windows (:func:`_fit_sample`), at the run's rule."""
    if not len(fit["y"]):
        return None
    m = compute_metrics(
        fit["y"], p_fit, st.rule.apply(p_fit), st.classes, st.positive, st.cfg.train.top_k, st.train_counts
    )
    return {k: m[k] for k in CORE_METRICS} | {"sampled": len(fit["y"]) == FIT_SAMPLE}


def _strategy_kwargs(st: _Stage) -> dict[str, float]:
    ev = st.cfg.evaluate
    return {"threshold": ev.threshold, "beta": ev.beta, "min_precision": ev.min_precision,
            "min_recall": ev.min_recall}  # fmt: skip


def _threshold(st: _Stage, val: dict, test: dict, p_val: np.ndarray) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """The threshold of the class of interest chosen on validation, and every strategy's table."""
    ev, k = st.cfg.evaluate, st.interest
    kwargs = _strategy_kwargs(st)
    options = None
    if len(val["y"]):
        s_val = class_scores(p_val, k, st.positive)
        s_test = class_scores(test["probs"], k, st.positive)
        choice = choose_threshold(val["y"] == k, s_val, ev.threshold_strategy, **kwargs)
        # test figures only for the strategy applied: the table chooses by validation
        options = compare_threshold_strategies(
            val["y"] == k, s_val, test["y"] == k, s_test, **kwargs, used=ev.threshold_strategy
        )
    else:
        choice = choice_without_validation(ev.threshold_strategy, ev.threshold)
    choice.update(positive_class=st.classes[k], chosen_on=where_chosen(choice, len(val["y"])))
    return choice, options


def _decision_rule(st: _Stage, val: dict, test: dict, p_val: np.ndarray) -> tuple[dict | None, pd.DataFrame | None]:
    """Sets the run's decision rule (threshold on the class of interest chosen on validation,
    or the argmax); returns the threshold choice and the strategies table; writes ``threshold.json``."""
    st.layout.threshold.unlink(missing_ok=True)
    argmax = len(st.classes) > 2 and st.cfg.evaluate.multiclass_decision == "argmax"
    if st.interest is None or argmax:
        st.rule = DecisionRule(tuple(st.classes))
        return None, None
    choice, options = _threshold(st, val, test, p_val)
    write_json(st.layout.threshold, choice)
    if choice["note"]:
        st.notes.append(f"threshold: {choice['note']}")
    st.rule = DecisionRule(tuple(st.classes), float(choice["value"]), st.interest)
    return choice, options


def _write_predictions(st: _Stage, test: dict) -> pd.DataFrame:
    """``predictions_test.csv`` (one row per test window) and ``predictions_test.npz`` (all probabilities).

    Up to :data:`MAX_PROB_COLUMNS` classes the CSV has a ``p_<class>`` column per class;
    beyond, ``p_true`` and ``p_pred`` (the probabilities of the true and predicted class).
    """
    full = full_probs(test["probs"], len(st.classes), st.positive)
    names = np.asarray(st.classes)
    predictions = pd.DataFrame({"rec": test["rec"], "start": test["start"],
                                "y_true": names[test["y"]], "y_pred": names[test["y_pred"]]})  # fmt: skip
    if len(st.classes) <= MAX_PROB_COLUMNS:
        for k, cls in enumerate(st.classes):
            predictions[f"p_{cls}"] = full[:, k].astype(np.float64)  # the model's values, exactly
    else:
        rows = np.arange(len(full))
        predictions["p_true"] = full[rows, test["y"]].astype(np.float64)
        predictions["p_pred"] = full[rows, test["y_pred"]].astype(np.float64)
    write_table(st.layout.predictions_csv, predictions)
    arrays = {"rec": test["rec"], "start": test["start"], "y_true": test["y"],
              "y_pred": test["y_pred"], "probs": full.astype(np.float32, copy=False),
              "classes": names.astype(str)}  # fmt: skip
    save_npz(st.layout.predictions_npz, arrays)
    return predictions


def _timelines(st: _Stage, data: dict, test: dict) -> dict | None:
    """Timeline and bouts of the test recordings (recordings only), and ``bouts_test.csv``."""
    st.layout.bouts.unlink(missing_ok=True)
    if st.info.get("data_kind", st.cfg.data.kind) != "recordings":
        return None
    if not all(k in data for k in TIMELINE_KEYS):
        st.notes.append("prepared.npz has no timeline_* arrays: timeline and bouts skipped")
        return None
    sample_rate = st.info.get("sample_rate_hz") or st.cfg.data.sample_rate_hz
    window_length = int(st.info.get("window_length") or test["X"].shape[1])
    timeline = score_test_timelines(
        data, test, window_length, st.classes, st.interest, st.interest_names, st.rule.apply,
        sample_rate, st.cfg.evaluate, st.layout.prepared,
    )  # fmt: skip
    if not sample_rate:
        st.notes.append("no sample rate: bout times are in timesteps, not seconds")
    if timeline["bout_details"] is not None:
        write_table(st.layout.bouts, timeline["bout_details"])
    timeline["time_budget"] = scored_budget(timeline["labels"], timeline["predicted"], st.classes, sample_rate)
    return timeline


def _fit_baseline(
    cfg: Config, layout: RunLayout, input_kind: str, n_classes: int, data: dict, val: dict, test: dict,
    on_claim: Callable[[], None] | None = None,
) -> BaselineResult:  # fmt: skip
    """The MiniRocket fit of the run (or of an identical earlier one in its parent directory)."""
    return fit_baseline_cached(
        layout.baseline_cache, data["X_train"], data["y_train"], {"val": val["X"], "test": test["X"]}, n_classes,
        on_claim=on_claim, kind=cfg.evaluate.baseline, input_kind=input_kind, synthetic=data.get("synthetic_train"),
        y_val=val["y"] if len(val["y"]) else None, classifier="logistic", seed=cfg.seed,
    )  # fmt: skip


def prefit_baseline(
    cfg: Config, run_dir: str | Path, on_claim: Callable[[], None] | None = None
) -> BaselineResult | None:
    """Stage 03's baseline fit from stage 01's output alone, into the baseline cache.

    :func:`~lstm_helpers.runs.pipeline.run_pipeline` runs it in a thread beside stage 02
    (the fit needs no model), so that stage 03 finds the result (or waits for the fit in
    progress) instead of fitting after the model's predictions. The same inputs as
    :func:`run_evaluation` (the real windows of each split), hence the same cache key.
    ``on_claim``: called when the fit has marked the cache entry as in progress
    (:func:`~lstm_helpers.judge.baseline.fit_baseline_cached`); stage 03 may start then.
    """
    if cfg.evaluate.baseline == "none":
        return None
    layout = RunLayout(Path(run_dir))
    data = _read_arrays(layout.root)
    prep = read_prepare_json(layout.root)
    val, test = _split(data, "val", []), _split(data, "test", [])
    input_kind = (prep.get("input") or {}).get("kind", "real")
    return _fit_baseline(cfg, layout, input_kind, len(prep["classes"]), data, val, test, on_claim)


def _fold_members(layout: RunLayout) -> bool:
    """Whether the run's model is a fold ensemble (members 2-5 trained on validation too)."""
    return int(read_json_optional(layout.train_json).get("folds") or 0) > 0


def _fit_baseline_with_validation(st: _Stage, data: dict, val: dict, test: dict, classifier: str) -> BaselineResult:
    """MiniRocket with the first fit's head, on the real training and validation windows,
    scoring test only (a fold ensemble's like-for-like baseline; cached like the first fit)."""
    train = _split(data, "train", [])
    return fit_baseline_cached(
        st.layout.baseline_cache, np.concatenate([train["X"], val["X"]]), np.concatenate([train["y"], val["y"]]),
        {"test": test["X"]}, len(st.classes), kind=st.cfg.evaluate.baseline,
        input_kind=st.info.get("kind", "real"), classifier=classifier, seed=st.cfg.seed,
    )  # fmt: skip


def _baseline(st: _Stage, data: dict, val: dict, test: dict) -> dict[str, Any] | None:
    """MiniRocket + logistic regression on the same training windows, judged as the model is:
    the same threshold strategy chosen on its own validation scores, the same test windows.
    Where the model is a fold ensemble (its members 2-5 learnt from validation too), the test
    figures come from a second fit on training + validation windows (``fitted_on`` says which).
    An identical earlier fit in the run's parent directory (same windows, settings and seed:
    a sweep over model parameters, or :func:`prefit_baseline` beside stage 02) is reused.
    ``metrics.json["baseline"]``: test metrics at the top, validation under ``val``."""
    kind = st.cfg.evaluate.baseline
    if kind == "none":
        return None
    has_val = len(val["y"]) > 0
    b = _fit_baseline(st.cfg, st.layout, st.info.get("kind", "real"), len(st.classes), data, val, test)
    if not b.available:
        st.notes.append(f"baseline: {b.reason}")
        return {"available": False, "name": "MiniRocket", "reason": b.reason}
    fitted_on, refit_seconds, label, notes = "training windows", None, "MiniRocket baseline", list(b.notes)
    p_val, p_test = b.proba["val"], b.proba["test"]
    if has_val and _fold_members(st.layout):  # the ensemble learnt from validation too: so does the baseline
        both = _fit_baseline_with_validation(st, data, val, test, b.classifier)
        p_test, fitted_on, refit_seconds = both.proba["test"], BOTH_SPLITS, both.fit_seconds
        label = f"MiniRocket baseline (on {BOTH_SPLITS})"
        notes.append(
            f"test figures from a second fit on {BOTH_SPLITS}, as the model's fold members learnt from both; "
            "its threshold and validation figures from the fit on training windows"
        )
    if len(st.classes) == 2:  # the model's own form: P(positive class)
        p_val, p_test = p_val[:, st.positive], p_test[:, st.positive]
    rule = st.rule
    if st.rule.threshold is not None and has_val:
        scores = class_scores(p_val, st.interest, st.positive)
        choice = choose_threshold(val["y"] == st.interest, scores, st.cfg.evaluate.threshold_strategy,
                                  **_strategy_kwargs(st))  # fmt: skip
        rule = DecisionRule(tuple(st.classes), float(choice["value"]), st.interest)
    top_k = st.cfg.train.top_k
    m = compute_metrics(test["y"], p_test, rule.apply(p_test), st.classes, st.positive, top_k, st.train_counts)
    out: dict[str, Any] = {k: m[k] for k in CORE_METRICS}
    out.update(available=True, name="MiniRocket", label=label,
               classifier=b.classifier, threshold=rule.threshold, fit_seconds=b.fit_seconds,
               n_features=b.n_features, notes=notes, cached=b.cached, fitted_on=fitted_on,
               refit_seconds=refit_seconds)  # fmt: skip
    if has_val:
        mv = compute_metrics(val["y"], p_val, rule.apply(p_val), st.classes, st.positive, top_k, st.train_counts)
        out["val"] = {k: mv[k] for k in CORE_METRICS}
    return out


def _metrics_json(
    st: _Stage, test_metrics: dict, val_metrics: dict | None, choice: dict | None,
    options: pd.DataFrame | None, timeline: dict | None, baseline: dict | None = None,
    fit_metrics: dict | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The content of ``metrics.json``: test metrics at the top, validation under ``val``, the
    training windows' (how well the model fits them) under ``train``."""
    per_recording = timeline["per_recording"] if timeline else None
    metrics: dict[str, Any] = {k: test_metrics[k] for k in CORE_METRICS}
    thresholded = st.rule.threshold is not None
    metrics.update({
        "n_test": test_metrics["n"],
        "classes": st.classes,
        "positive_class": st.classes[st.interest] if st.interest is not None else None,
        "classes_of_interest": st.interest_names,
        "untrained_classes": _untrained(st, test_metrics),
        "threshold": st.rule.threshold,
        # the strategy that set it: a fallback ("fixed", "max_f1") where the asked one could not
        "threshold_strategy": ((choice or {}).get("fallback") or st.cfg.evaluate.threshold_strategy)
        if thresholded else "argmax",
        "threshold_detail": choice,
        "threshold_origin": None,
        "threshold_options": options.to_dict("records") if options is not None else None,
        "decision_rule": st.rule.describe(),
        "bouts": timeline["bouts"] if timeline else None,
        "time_budget": budget_json(timeline["time_budget"]) if timeline else None,
        "per_recording": per_recording.to_dict("records") if per_recording is not None else None,
        "val": {k: val_metrics[k] for k in CORE_METRICS} if val_metrics else None,
        "train": fit_metrics,
        "baseline": baseline,
    })  # fmt: skip
    metrics["unit"] = unit = example_unit(st.info)  # what the figures count: windows, or sequences
    metrics["threshold_origin"] = threshold_origin(metrics, unit) if thresholded else "argmax"
    train, history = _training_record(st.layout)
    notes = (
        st.notes
        + interpret_metrics(metrics, untried_remedies(st.cfg, (train or {}).get("ensemble", 1)), unit)
        + training_warnings(train, st.cfg.train, _train_counts(st.layout))
        + validation_notes(train, history, metrics, st.split, unit)
    )
    # each note's kind beside it, so that a short list (the slides) shows what to change first
    metrics.update(notes=[str(n) for n in notes], note_kinds=[kind_of(n) for n in notes])
    return metrics


def _untrained(st: _Stage, test_metrics: dict) -> list[str]:
    """The classes the test split holds without a single real training window (none known
    where prepared.npz kept no training labels)."""
    if st.train_counts is None:
        return []
    return [c for k, c in enumerate(st.classes) if not st.train_counts[k] and test_metrics["per_class"][c]["support"]]


def _train_counts(layout: RunLayout) -> dict[str, int]:
    """Training windows per class after rebalancing (prepare.json), what the loss weighs."""
    return (read_prepare_json(layout.root).get("counts") or {}).get("train", {}).get("after") or {}


def _training_record(layout: RunLayout) -> tuple[dict[str, Any] | None, pd.DataFrame | None]:
    """``train.json`` and ``history.csv`` of the run (None where stage 02 left none)."""
    train = read_json(layout.train_json) if layout.train_json.is_file() else None
    history = pd.read_csv(layout.history) if layout.history.is_file() else None
    return train, history


def _interest_name(st: _Stage) -> str | None:
    return st.classes[st.interest] if st.interest is not None else None


def _bout_tables(timeline: dict | None) -> dict[str, pd.DataFrame | None]:
    """``bouts`` and ``bout_details`` as the notebook shows them (plain names)."""
    if not timeline:
        return {"bouts": None, "bout_details": None}
    shown = bout_tables_for_page(timeline["bouts_table"], timeline["bout_details"], timeline["sample_rate"])
    return dict(zip(("bouts", "bout_details"), shown, strict=True))


def _result(st: _Stage, metrics: dict, test_metrics: dict, choice: dict | None, options: Any,
            timeline: dict | None, predictions: pd.DataFrame, figures: dict) -> dict[str, Any]:  # fmt: skip
    return {
        "metrics": metrics,
        "summary": summary_table(
            metrics, st.info.get("data_kind") == "text", example_unit(st.info)
        ),  # text: perplexity
        "per_class": per_class_table(test_metrics),
        "threshold": choice,
        "threshold_options": options,
        "per_recording": per_recording_table(timeline["per_recording"], _interest_name(st)) if timeline else None,
        **_bout_tables(timeline),
        "time_budget": timeline["time_budget"] if timeline else None,
        "notes": metrics["notes"],
        "figures": figures,
        "figure_paths": figure_paths(st.layout, figures),
        "predictions": predictions,
        "timeline": timeline["timeline"] if timeline else {},
    }


def run_evaluation(cfg: Config, run_dir: str | Path) -> dict[str, Any]:
    """Evaluate the run's ``model.keras`` on validation and test; write the stage-03 artifacts.

    Reads ``prepared.npz``, ``prepare.json`` and ``model.keras`` from ``run_dir`` (the model
    through :func:`lstm_helpers.model.models.load_trained_model`, safe mode, not compiled).
    Predicts validation, test and the real training windows (at most :data:`FIT_SAMPLE`, for
    ``metrics.json["train"]``: how well the model fits them) once each, chooses the threshold
    of the class of interest on validation (``cfg.evaluate``; see
    :func:`~lstm_helpers.judge.threshold.choose_threshold` and
    :class:`~lstm_helpers.judge.threshold.DecisionRule`), applies it unchanged to test and the
    training windows, computes :func:`~lstm_helpers.judge.metrics.compute_metrics` for each, and for recordings
    stitches test scores onto each recording's timeline, matches bouts per class of
    interest and scores each recording (skipped for sequences / text). Synthetic
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
        ``predictions`` (test DataFrame), ``timeline`` (recording -> stitched test scores),
        ``time_budget`` (each class's true and predicted share of the test recordings' time).
        Parts that do not apply are None.
    """
    st, data = _open(cfg, run_dir)
    val, test = _split(data, "val", st.notes), _split(data, "test", st.notes)
    if not len(test["y"]):
        raise ValueError(f"{st.layout.prepared} has no test windows; set split.test_fraction > 0 or data.test_path")
    fit = _fit_sample(st, data)
    p_val, test["probs"], p_fit = _predict_splits(st, val, test, fit)
    choice, options = _decision_rule(st, val, test, p_val)
    fit_metrics = _fit_metrics(st, fit, p_fit)
    del p_fit, fit
    top_k = cfg.train.top_k
    test["y_pred"] = st.rule.apply(test["probs"])
    counts = st.train_counts
    test_metrics = compute_metrics(test["y"], test["probs"], test["y_pred"], st.classes, st.positive, top_k, counts)
    val_metrics = val_pred = None
    if len(val["y"]):
        val_pred = st.rule.apply(p_val)
        val_metrics = compute_metrics(val["y"], p_val, val_pred, st.classes, st.positive, top_k, counts)
    val["probs"] = p_val  # the metric-vs-threshold figure is drawn on validation, where the threshold is chosen
    st.notes += interest_notes(st, test["y"], test["y_pred"], val_pred)
    timeline = _timelines(st, data, test)
    predictions = _write_predictions(st, test)
    figures = draw_figures(
        st.layout, test, st.classes, st.interest, st.positive, st.rule,
        test_metrics["confusion_matrix"], timeline, st.info, cfg.evaluate, val,
    )  # fmt: skip
    # last: a fit still running beside (the pipeline's prefit) is waited for only now
    baseline = _baseline(st, data, val, test)
    metrics = _metrics_json(st, test_metrics, val_metrics, choice, options, timeline, baseline, fit_metrics)
    write_json(st.layout.metrics, metrics)
    record_notebook_stage(st.layout.root, cfg, "evaluate")  # (a notebook run by hand; the pipeline keeps its own)
    return _result(st, metrics, test_metrics, choice, options, timeline, predictions, figures)
