"""Which figures the evaluation stage draws for a run, and where it saves them.

* every run: the test confusions -- a K x K heat map (counts and row-normalised) up to
  :data:`MAX_HEATMAP_CLASSES` classes, the top-N confusions as bars beyond (a 100 x 100
  heat map is unreadable and its canvas alone takes gigabytes);
* without a class of interest: one-vs-rest PR and ROC curves of the most frequent classes;
* with one: its test PR curve and ROC curve (threshold marked), the distribution of its test
  score per true class, and the metric-vs-threshold plot on **validation**, where the
  threshold is chosen (marked);
* recordings with a class of interest: the timeline of one test recording (signal,
  stitched score, true and predicted bouts);
* recordings with three classes or more: every class over one test recording's time, true
  and predicted (:mod:`lstm_helpers.judge.class_timeline`).

The saved names are :data:`FIGURE_NAMES` under the run's ``figures/`` folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lstm_helpers.data.text import character_classes
from lstm_helpers.judge.bouts import (
    bouts_on_scored_steps,
    clean_bouts,
    errors_elsewhere,
    match_bouts,
    windows_to_signal,
)
from lstm_helpers.judge.probs import class_scores, full_probs
from lstm_helpers.judge.threshold import DecisionRule
from lstm_helpers.layout import RunLayout
from lstm_helpers.style import MAX_HEATMAP_CLASSES, TOP_CONFUSIONS

FIGURE_NAMES = (
    "confusion_matrix",
    "pr_curve",
    "roc_curve",
    "metric_vs_threshold",
    "score_distributions",
    "timeline",
    "class_timeline",
)


def clear_figures(layout: RunLayout) -> None:
    """Remove the figures of an earlier evaluation of this run (none stays stale)."""
    for name in FIGURE_NAMES:
        layout.figure(name).unlink(missing_ok=True)


def _confusion_figure(layout: RunLayout, confusion: Any, classes: list[str], rule: str) -> Any:
    from lstm_helpers.judge import plots  # matplotlib only, imported when figures are drawn

    path = layout.figure("confusion_matrix")
    if len(classes) > MAX_HEATMAP_CLASSES:
        return plots.plot_top_confusions(
            confusion,
            classes,
            TOP_CONFUSIONS,
            path=path,
            title=f"Test: top {TOP_CONFUSIONS} confusions of {len(character_classes(classes))} classes ({rule})",
        )
    return plots.plot_confusion_matrix(
        np.asarray(confusion), classes, path=path, title=f"Test confusion matrix ({rule})"
    )


def _interest_figures(
    layout: RunLayout,
    test: dict[str, np.ndarray],
    classes: list[str],
    interest_index: int,
    positive_index: int | None,
    threshold: float | None,
    val: dict[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    """The class of interest's figures: PR and ROC curves and score distributions on test; the
    metric-vs-threshold plot on validation (``val``: its ``y`` and ``probs``), where the threshold
    is chosen -- drawn on test it offered test figures to choose a threshold by."""
    from lstm_helpers.judge import plots

    figures: dict[str, Any] = {}
    cls = classes[interest_index]
    scores = class_scores(test["probs"], interest_index, positive_index)
    y_bin = (test["y"] == interest_index).astype(int)
    if 0 < y_bin.sum() < len(y_bin):
        for name, plot in (("pr_curve", plots.plot_pr_curve), ("roc_curve", plots.plot_roc_curve)):
            figures[name] = plot(y_bin, scores, threshold=threshold, positive_label=cls, path=layout.figure(name))
    v_bin = (val["y"] == interest_index).astype(int) if val is not None and "probs" in val else np.zeros(0)
    if 0 < v_bin.sum() < len(v_bin):
        figures["metric_vs_threshold"] = plots.plot_metric_vs_threshold(
            v_bin, class_scores(val["probs"], interest_index, positive_index), threshold=threshold,
            positive_label=cls, path=layout.figure("metric_vs_threshold"),
            title=f"Validation: precision / recall / F1 of '{cls}' vs threshold",
        )  # fmt: skip
    figures["score_distributions"] = plots.plot_score_distributions(
        test["y"],
        scores,
        classes,
        threshold=threshold,
        score_label=f"P({cls})",
        path=layout.figure("score_distributions"),
    )
    return figures


def _timeline_figure(
    layout: RunLayout,
    test: dict[str, np.ndarray],
    timeline: dict[str, Any],
    X_test: np.ndarray,
    classes: list[str],
    interest_index: int,
    threshold: float | None,
    info: dict[str, Any],
    evaluate: Any,
) -> Any:
    from lstm_helpers.judge import plots

    rec = timeline["plot_recording"]
    stitched = timeline["timeline"][rec]
    sel = test["rec"] == rec
    signal = windows_to_signal(X_test[sel], test["start"][sel], len(stitched))
    real = info.get("kind", "real") == "real" and signal.ndim == 2
    true_bouts, raw_pred = bouts_on_scored_steps(timeline["labels"][rec], timeline["predicted"][rec], interest_index)
    pred_bouts = clean_bouts(
        raw_pred,
        timeline["rate"],
        evaluate.bout_min_seconds,
        evaluate.bout_merge_gap_seconds,
    )
    res = match_bouts(true_bouts, pred_bouts, timeline["rate"], collar_steps=timeline.get("collar_steps", 0))
    cls = classes[interest_index]
    elsewhere = errors_elsewhere((timeline.get("bouts") or {}).get(cls) or {}, rec)
    rate = float(timeline["sample_rate"]) if timeline["sample_rate"] else None
    a, b = timeline_excerpt(len(stitched), rate, res)
    part = "" if (a, b) == (0, len(stitched)) else (
        f" (seconds {a / rate:,.0f}-{b / rate:,.0f} of {len(stitched) / rate:,.0f}, from its first error; "
        f"{BOUT_TABLE} lists every bout)"
    )  # fmt: skip
    return plots.plot_timeline(
        (stitched if stitched.ndim == 1 else stitched[:, interest_index])[a:b],
        threshold=threshold,
        true_bouts=_within(true_bouts, a, b),
        pred_bouts=_within(pred_bouts, a, b),
        signal=signal[a:b, :2] if real else None,
        channel_names=list(info.get("channels") or [])[:2] or None,
        sample_rate_hz=rate,
        class_name=cls,
        title=f"Test recording {rec}: {res['n_found']}/{res['n_true']} '{cls}' bouts found, "
        f"{res['n_false_alarms']} false-alarm bout{'' if res['n_false_alarms'] == 1 else 's'}{part}"
        + (f"\nother test recordings: {elsewhere}" if elsewhere else ""),
        path=layout.figure("timeline"),
        offset_seconds=a / rate if rate else 0.0,
    )


TIMELINE_MAX_SECONDS = 600.0  # a test recording longer than this is drawn as an excerpt ...
TIMELINE_EXCERPT_SECONDS = 300.0  # ... of this length: hour-long recordings made bouts hairlines
BOUT_TABLE = "bouts_test.csv"


def timeline_excerpt(n_steps: int, rate: float | None, res: dict[str, Any]) -> tuple[int, int]:
    """``[a, b)`` timesteps of the timeline figure (:func:`excerpt_steps`) from the first
    error of :func:`match_bouts`' result ``res`` (a missed bout or a false alarm), or from the
    first true bout where there is none."""
    errors = [p["true_start_s"] for p in res["pairs"] if not p["found"]] + [f[0] for f in res["false_alarms"]]
    first = min(errors) if errors else min((p["true_start_s"] for p in res["pairs"]), default=0.0)
    return excerpt_steps(n_steps, rate, first)


def excerpt_steps(n_steps: int, rate: float | None, first_seconds: float) -> tuple[int, int]:
    """``[a, b)`` timesteps of a timeline figure: the whole recording up to
    :data:`TIMELINE_MAX_SECONDS` (or without a sample rate); else :data:`TIMELINE_EXCERPT_SECONDS`
    from a tenth of that before ``first_seconds`` (where the first error is)."""
    if not rate or n_steps <= TIMELINE_MAX_SECONDS * rate:
        return 0, n_steps
    width = int(TIMELINE_EXCERPT_SECONDS * rate)
    a = max(0, int((first_seconds - TIMELINE_EXCERPT_SECONDS / 10) * rate))
    b = min(n_steps, a + width)
    return max(0, b - width), b


def _within(bouts: Any, a: int, b: int) -> np.ndarray:
    """``[start, end)`` bouts cut to ``[a, b)`` and shifted to start at 0 (those outside dropped)."""
    t = np.asarray(bouts, dtype=np.int64).reshape(-1, 2)
    t = t[(t[:, 1] > a) & (t[:, 0] < b)]
    return np.clip(t, a, b) - a


def draw_figures(
    layout: RunLayout,
    test: dict[str, np.ndarray],
    classes: list[str],
    interest_index: int | None,
    positive_index: int | None,
    rule: DecisionRule,
    confusion: Any,
    timeline: dict[str, Any] | None,
    info: dict[str, Any],
    evaluate: Any,
    val: dict[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    """Draw and save the stage's figures (see the module docstring); returns name -> Figure.

    ``test`` holds the test windows' ``X``, ``probs``, ``y``, ``rec``, ``start``; ``rule`` is
    the run's decision rule (its threshold is marked); ``timeline`` is
    :func:`lstm_helpers.judge.bouts.score_test_timelines`'s result or None; ``evaluate`` is
    the run's ``cfg.evaluate``; ``val`` holds the validation windows' ``y`` and ``probs`` (the
    metric-vs-threshold plot; not drawn without both classes in it).
    """
    from lstm_helpers.judge import class_timeline, plots
    from lstm_helpers.style import drawable, visible_name

    clear_figures(layout)
    # a character model's space class is not a blank label, an emoji not an empty box (titles name classes)
    classes = [drawable(visible_name(c)) for c in classes]
    figures = {"confusion_matrix": _confusion_figure(layout, confusion, classes, rule.describe())}
    if timeline is not None and len(classes) >= class_timeline.MIN_CLASSES:
        chosen = evaluate.timeline_recording or timeline["plot_recording"]
        drawn = class_timeline.draw_class_timeline(layout.figure("class_timeline"), timeline, classes, chosen)
        if drawn is not None:
            figures["class_timeline"] = drawn
    if interest_index is None:
        full = full_probs(test["probs"], len(classes), positive_index)
        for name, plot in (("pr_curve", plots.plot_pr_curve), ("roc_curve", plots.plot_roc_curve)):
            figures[name] = plot(test["y"], full, classes=classes, path=layout.figure(name))
        return figures
    t = rule.threshold
    figures.update(_interest_figures(layout, test, classes, interest_index, positive_index, t, val))
    if timeline is not None and timeline["plot_recording"] is not None:
        figures["timeline"] = _timeline_figure(
            layout, test, timeline, test["X"], classes, interest_index, t, info, evaluate
        )
    return figures


def figure_paths(layout: RunLayout, figures: dict[str, Any]) -> dict[str, Path]:
    """Name -> saved PNG of each drawn figure."""
    return {name: layout.figure(name) for name in figures}
