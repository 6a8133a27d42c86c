"""Stage 03: honest evaluation of a trained classifier on the validation and test splits.

Answers "why is precision 0.4 at 0.9 accuracy, and what do I change?". This module only
orchestrates; each concern has its own module:

* :mod:`~lstm_helpers.judge.probs`: the model's probabilities (validation and test are
  predicted once each);
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

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lstm_helpers.artifacts import read_json, save_npz, write_json, write_table
from lstm_helpers.config import Config
from lstm_helpers.judge.bouts import score_test_timelines
from lstm_helpers.judge.figures import draw_figures, figure_paths
from lstm_helpers.judge.metrics import (
    CORE_METRICS,
    compute_metrics,
    interpret_metrics,
    per_class_table,
    summary_table,
)
from lstm_helpers.judge.probs import class_scores, full_probs, predict_probs
from lstm_helpers.judge.threshold import (
    DecisionRule,
    choose_threshold,
    compare_threshold_strategies,
)
from lstm_helpers.layout import RunLayout

MAX_PROB_COLUMNS = 20  # predictions_test.csv: one p_<class> column per class up to this many classes
SPLIT_KEYS = ("X", "y", "rec", "start", "synthetic")
TIMELINE_KEYS = ("timeline_rec_ids", "timeline_offsets", "timeline_labels")


def _required(path: Path, stage: str) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist; run {stage} for this run directory first")
    return path


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    """The validation / test / timeline arrays of ``prepared.npz`` (not the training windows)."""
    wanted = [f"{k}_{s}" for s in ("val", "test") for k in SPLIT_KEYS] + list(TIMELINE_KEYS)
    with np.load(path, allow_pickle=False) as z:
        data = {k: z[k] for k in wanted if k in z.files}
    for key in ("X_val", "y_val", "X_test", "y_test", "rec_test", "start_test"):
        if key not in data:
            raise ValueError(f"{path} has no array {key!r}; re-run stage 01 (prepare)")
    return data


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


def _predict_splits(
    layout: RunLayout, cfg: Config, val: dict, test: dict, classes: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Validation and test probabilities, one prediction pass each, from the run's model."""
    from lstm_helpers.model.models import load_trained_model  # TensorFlow only when a model is run

    model = load_trained_model(layout.model)
    batch = max(256, cfg.train.batch_size)
    p_val, p_test = predict_probs(model, val["X"], batch), predict_probs(model, test["X"], batch)
    n_out = 1 if p_test.ndim == 1 else p_test.shape[1]
    if not (n_out == len(classes) or (len(classes) == 2 and n_out == 1)):
        raise ValueError(f"{layout.model} outputs {n_out} column(s) but {layout.prepare_json} lists "
                         f"{len(classes)} classes {classes}")
    return p_val, p_test


def _class_of_interest(prep: dict[str, Any], classes: list[str]) -> tuple[int | None, int | None, list[str]]:
    """(positive_index for binary runs, index of the class of interest, names of the classes of interest)."""
    binary = len(classes) == 2
    positive_index = (1 if prep.get("positive_index") is None else int(prep["positive_index"])) if binary else None
    names = [c for c in (prep.get("classes_of_interest") or []) if c in classes]
    if binary:
        return positive_index, positive_index, [classes[positive_index]] + [c for c in names if c != classes[positive_index]]
    return None, (classes.index(names[0]) if names else None), names


def _threshold(
    cfg: Config, val: dict, test: dict, p_val: np.ndarray, classes: list[str], interest: int, positive: int | None
) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """The threshold of class ``interest`` chosen on validation, and every strategy's table."""
    ev = cfg.evaluate
    kwargs = {"threshold": ev.threshold, "beta": ev.beta, "min_precision": ev.min_precision,
              "min_recall": ev.min_recall}
    options = None
    if len(val["y"]):
        s_val = class_scores(p_val, interest, positive)
        choice = choose_threshold(val["y"] == interest, s_val, ev.threshold_strategy, **kwargs)
        options = compare_threshold_strategies(val["y"] == interest, s_val, test["y"] == interest,
                                               class_scores(test["probs"], interest, positive), **kwargs)
    else:
        choice = {"strategy": ev.threshold_strategy, "value": ev.threshold, "constraint_met": None,
                  "fallback": "fixed", "note": "no validation windows: used the fixed evaluate.threshold"}
    choice.update(positive_class=classes[interest], chosen_on="validation" if len(val["y"]) else "none")
    return choice, options


def _decision_rule(
    cfg: Config, layout: RunLayout, val: dict, test: dict, p_val: np.ndarray, classes: list[str],
    positive: int | None, interest: int | None, notes: list[str],
) -> tuple[DecisionRule, dict | None, pd.DataFrame | None]:
    """The run's decision rule (threshold on the class of interest, chosen on validation, or
    the argmax), the threshold choice and the strategies table; writes ``threshold.json``."""
    layout.threshold.unlink(missing_ok=True)
    if interest is None or (len(classes) > 2 and cfg.evaluate.multiclass_decision == "argmax"):
        return DecisionRule(tuple(classes)), None, None
    choice, options = _threshold(cfg, val, test, p_val, classes, interest, positive)
    write_json(layout.threshold, choice)
    if choice["note"]:
        notes.append(f"threshold: {choice['note']}")
    return DecisionRule(tuple(classes), float(choice["value"]), interest), choice, options


def _write_predictions(layout: RunLayout, test: dict, classes: list[str], positive_index: int | None) -> pd.DataFrame:
    """``predictions_test.csv`` (one row per test window) and ``predictions_test.npz`` (all probabilities).

    Up to :data:`MAX_PROB_COLUMNS` classes the CSV has a ``p_<class>`` column per class;
    beyond, ``p_true`` and ``p_pred`` (the probabilities of the true and predicted class).
    """
    full = full_probs(test["probs"], len(classes), positive_index)
    names = np.asarray(classes)
    predictions = pd.DataFrame({"rec": test["rec"], "start": test["start"], "y_true": names[test["y"]],
                                "y_pred": names[test["y_pred"]]})
    if len(classes) <= MAX_PROB_COLUMNS:
        for k, cls in enumerate(classes):
            predictions[f"p_{cls}"] = full[:, k].astype(np.float64)  # the model's values, written exactly
    else:
        rows = np.arange(len(full))
        predictions["p_true"] = full[rows, test["y"]].astype(np.float64)
        predictions["p_pred"] = full[rows, test["y_pred"]].astype(np.float64)
    write_table(layout.predictions_csv, predictions)
    save_npz(layout.predictions_npz, {"rec": test["rec"], "start": test["start"], "y_true": test["y"],
                                      "y_pred": test["y_pred"], "probs": full.astype(np.float32, copy=False),
                                      "classes": names.astype(str)})
    return predictions


def _timelines(cfg: Config, layout: RunLayout, data: dict, info: dict, test: dict, classes: list[str],
               interest: int | None, interest_names: list[str], rule: DecisionRule, notes: list[str]) -> dict | None:
    """Timeline and bouts of the test recordings (recordings only), and ``bouts_test.csv``."""
    layout.bouts.unlink(missing_ok=True)
    if info.get("data_kind", cfg.data.kind) != "recordings":
        return None
    if not all(k in data for k in TIMELINE_KEYS):
        notes.append("prepared.npz has no timeline_* arrays: timeline and bouts skipped")
        return None
    sample_rate = info.get("sample_rate_hz") or cfg.data.sample_rate_hz
    window_length = int(info.get("window_length") or test["X"].shape[1])
    timeline = score_test_timelines(data, test, window_length, classes, interest, interest_names, rule.apply,
                                    sample_rate, cfg.evaluate, layout.prepared)
    if not sample_rate:
        notes.append("no sample rate: bout times are in timesteps, not seconds")
    if timeline["bout_details"] is not None:
        write_table(layout.bouts, timeline["bout_details"])
    return timeline


def _metrics_json(cfg: Config, test_metrics: dict, val_metrics: dict | None, classes: list[str],
                  interest: int | None, interest_names: list[str], rule: DecisionRule, choice: dict | None,
                  options: pd.DataFrame | None, timeline: dict | None, notes: list[str]) -> dict[str, Any]:
    per_recording = timeline["per_recording"] if timeline else None
    metrics: dict[str, Any] = {k: test_metrics[k] for k in CORE_METRICS}
    metrics.update({
        "n_test": test_metrics["n"],
        "classes": classes,
        "positive_class": classes[interest] if interest is not None else None,
        "classes_of_interest": interest_names,
        "threshold": rule.threshold,
        "threshold_strategy": cfg.evaluate.threshold_strategy if rule.threshold is not None else "argmax",
        "threshold_detail": choice,
        "threshold_options": options.to_dict("records") if options is not None else None,
        "decision_rule": rule.describe(),
        "bouts": timeline["bouts"] if timeline else None,
        "per_recording": per_recording.to_dict("records") if per_recording is not None else None,
        "val": {k: val_metrics[k] for k in CORE_METRICS} if val_metrics else None,
    })
    metrics["notes"] = notes + interpret_metrics(metrics)
    return metrics


def run_evaluation(cfg: Config, run_dir: str | Path) -> dict[str, Any]:
    """Evaluate the run's ``model.keras`` on validation and test; write the stage-03 artifacts.

    Reads ``prepared.npz``, ``prepare.json`` and ``model.keras`` from ``run_dir`` (the model
    through :func:`lstm_helpers.model.models.load_trained_model`, safe mode, not compiled).
    Predicts validation and test once each, chooses the threshold of the class of interest
    on validation (``cfg.evaluate``; see :func:`~lstm_helpers.judge.threshold.choose_threshold`
    and :class:`~lstm_helpers.judge.threshold.DecisionRule`), applies it unchanged to test,
    computes :func:`~lstm_helpers.judge.metrics.compute_metrics` for both, and for recordings
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
        ``predictions`` (test DataFrame), ``timeline`` (recording -> stitched test scores).
        Parts that do not apply are None.
    """
    layout = RunLayout(Path(run_dir))
    data = _read_arrays(_required(layout.prepared, "stage 01 (prepare)"))
    prep = read_json(_required(layout.prepare_json, "stage 01 (prepare)"))
    _required(layout.model, "stage 02 (train)")
    if not prep.get("classes") or len(prep["classes"]) < 2:
        raise ValueError(f"{layout.prepare_json} must list at least 2 'classes'; re-run stage 01 (prepare)")
    classes: list[str] = list(prep["classes"])
    info = prep.get("input") or {}
    notes: list[str] = []
    val, test = _split(data, "val", notes), _split(data, "test", notes)
    if not len(test["y"]):
        raise ValueError(f"{layout.prepared} has no test windows; set split.test_fraction > 0 or data.test_path")
    p_val, test["probs"] = _predict_splits(layout, cfg, val, test, classes)
    positive, interest, interest_names = _class_of_interest(prep, classes)
    rule, choice, options = _decision_rule(cfg, layout, val, test, p_val, classes, positive, interest, notes)
    top_k = cfg.train.top_k
    test["y_pred"] = rule.apply(test["probs"])
    test_metrics = compute_metrics(test["y"], test["probs"], test["y_pred"], classes, positive, top_k)
    val_metrics = compute_metrics(val["y"], p_val, rule.apply(p_val), classes, positive, top_k) if len(val["y"]) else None
    del p_val
    timeline = _timelines(cfg, layout, data, info, test, classes, interest, interest_names, rule, notes)
    metrics = _metrics_json(cfg, test_metrics, val_metrics, classes, interest, interest_names, rule, choice,
                            options, timeline, notes)
    write_json(layout.metrics, metrics)
    predictions = _write_predictions(layout, test, classes, positive)
    figures = draw_figures(layout, test, classes, interest, positive, rule.threshold, rule.describe(),
                           test_metrics["confusion_matrix"], timeline, test["X"], info, cfg.evaluate)
    return {
        "metrics": metrics,
        "summary": summary_table(metrics, tokens=info.get("kind") == "tokens"),
        "per_class": per_class_table(test_metrics),
        "threshold": choice,
        "threshold_options": options,
        "per_recording": timeline["per_recording"] if timeline else None,
        "bouts": timeline["bouts_table"] if timeline else None,
        "bout_details": timeline["bout_details"] if timeline else None,
        "notes": metrics["notes"],
        "figures": figures,
        "figure_paths": figure_paths(layout, figures),
        "predictions": predictions,
        "timeline": timeline["timeline"] if timeline else {},
    }
