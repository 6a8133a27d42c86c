"""Every class over one test recording's time: true and predicted classes as bands.

The bouts timeline (:func:`lstm_helpers.judge.plots.plot_timeline`) follows one class of
interest; a recording with three classes or more (behaviours, gestures) also needs the
picture an ethogram gives: which class each moment truly is, which the model says, and where
they differ -- a confusion matrix says how often two classes are mixed up, this figure says
when (at transitions? in one long stretch?). Drawn as one image of class indices (one
``imshow`` whatever the recording's length; a bar per bout would be thousands of artists).
Written here: neither matplotlib nor seaborn draws categorical bands over time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lstm_helpers.display import new_figure, save_figure
from lstm_helpers.judge.figures import excerpt_steps
from lstm_helpers.style import figure_labels

MIN_CLASSES = 3  # fewer: the bouts timeline of the class of interest says it all
MAX_COLOURED = 18  # classes with a colour of their own (tab20 without its greys); the rest share one grey
UNSCORED_COLOUR = "#e6e6e6"  # no label or no window there
OTHER_COLOUR = "#8c8c8c"
DIFFERS_COLOUR = "black"
LEGEND_COLUMNS = 6


def choose_recording(labels: dict[str, np.ndarray], predicted: dict[str, np.ndarray]) -> str | None:
    """The test recording with the most scored timesteps (labelled and covered by a window)
    predicted as another class; then the most scored timesteps; the name breaks what is
    left. None when no recording has a scored timestep."""

    def rank(rec: str) -> tuple:
        lab, pred = labels[rec], predicted[rec]
        scored = (lab >= 0) & (pred >= 0)
        return int((scored & (lab != pred)).sum()), int(scored.sum()), rec

    ranked = max(labels, key=rank, default=None)
    return ranked if ranked is not None and rank(ranked)[1] > 0 else None


def excerpt(lab: np.ndarray, pred: np.ndarray, rate: float | None) -> tuple[int, int]:
    """``[a, b)`` timesteps drawn: the bouts timeline's rule
    (:func:`lstm_helpers.judge.figures.excerpt_steps`) from the first timestep predicted wrong."""
    wrong = np.flatnonzero((lab >= 0) & (pred >= 0) & (lab != pred))
    return excerpt_steps(len(lab), rate, wrong[0] / rate if len(wrong) and rate else 0.0)


def _coloured(lab: np.ndarray, pred: np.ndarray, n_classes: int) -> np.ndarray:
    """The classes drawn in colours of their own: all up to ``MAX_COLOURED``, else the
    ``MAX_COLOURED - 1`` with the most timesteps in the excerpt (true or predicted)."""
    if n_classes <= MAX_COLOURED:
        return np.arange(n_classes)
    steps = np.bincount(lab[lab >= 0], minlength=n_classes) + np.bincount(pred[pred >= 0], minlength=n_classes)
    return np.sort(np.argsort(-steps, kind="stable")[: MAX_COLOURED - 1])


def plot_class_timeline(
    labels: Any,
    predicted: Any,
    classes: list[str],
    sample_rate_hz: float | None = None,
    title: str | None = None,
    path: str | Path | None = None,
    offset_seconds: float = 0.0,
) -> Any:
    """True class (upper band), predicted class (middle) and where they differ (lower strip)
    per timestep of one recording; ``labels`` / ``predicted`` are class indices (-1: not
    labelled / no window, drawn light grey); times in seconds when ``sample_rate_hz`` is
    given, else timesteps, from ``offset_seconds``. Returns the Figure (saved at ``path``)."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    lab, pred = np.asarray(labels, dtype=np.int64), np.asarray(predicted, dtype=np.int64)
    if lab.shape != pred.shape or lab.ndim != 1:
        raise ValueError(f"labels {lab.shape} and predicted {pred.shape} must be 1-D of the same length")
    shown = _coloured(lab, pred, len(classes))
    palette = _palette(len(classes), shown)
    code = np.full(len(classes) + 1, len(shown) + 1)  # class index + 1 -> colour; "other classes" last
    code[0], code[shown + 1] = 0, np.arange(1, len(shown) + 1)
    differs = (lab >= 0) & (pred >= 0) & (lab != pred)
    strip = np.where(differs, len(shown) + 3, len(shown) + 2)
    colours = [UNSCORED_COLOUR, *palette, OTHER_COLOUR, "white", DIFFERS_COLOUR]
    rate = float(sample_rate_hz) if sample_rate_hz else 1.0
    extent = (offset_seconds, offset_seconds + len(lab) / rate, 2.5, -0.5)
    names = figure_labels(classes)
    handles = [Patch(color=colour, label=names[k]) for k, colour in zip(shown, palette, strict=True)]
    if len(shown) < len(classes):
        handles.append(Patch(color=OTHER_COLOUR, label=f"{len(classes) - len(shown)} other classes"))
    handles += [
        Patch(color=UNSCORED_COLOUR, label="no label / no window"),
        Patch(color=DIFFERS_COLOUR, label="differs"),
    ]
    fig = new_figure(figsize=(12, 2.2 + 0.28 * -(-len(handles) // LEGEND_COLUMNS)))
    ax = fig.subplots()
    image = np.stack([code[lab + 1], code[pred + 1], strip])
    ax.imshow(
        image,
        aspect="auto",
        interpolation="nearest",
        cmap=ListedColormap(colours),
        vmin=0,
        vmax=len(colours) - 1,
        extent=extent,
    )
    ax.set_yticks([0, 1, 2], ["true", "predicted", "differs"])
    ax.set_xlabel("Time (s)" if sample_rate_hz else "Timestep")
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=min(LEGEND_COLUMNS, len(handles)),
        fontsize="small",
        frameon=False,
    )
    fig.suptitle(title or "True and predicted class over time")
    return save_figure(fig, path)


def _palette(n_classes: int, shown: np.ndarray) -> list[Any]:
    """A colour for each class in ``shown``: matplotlib's default cycle (tab10) by class index
    up to 10 classes, the colours the PR and ROC curves give the same classes; beyond, tab20
    without its greys (grey is "other classes" here), one each in the order shown."""
    from matplotlib import colormaps

    if n_classes <= 10:
        return [colormaps["tab10"](int(k)) for k in shown]
    tab20 = colormaps["tab20"]
    return [tab20(i) for i in range(tab20.N) if i not in (14, 15)][: len(shown)]


def draw_class_timeline(
    path: Path, timeline: dict[str, Any], classes: list[str], chosen: str | None = None
) -> Any | None:
    """The figure for a run's test recordings (``timeline``:
    :func:`lstm_helpers.judge.bouts.score_test_timelines`' result): the recording ``chosen``
    (``evaluate.timeline_recording``, or the one the bouts timeline shows) where it has a scored
    timestep, else :func:`choose_recording`'s; None when no recording has one."""
    labels, predicted = timeline["labels"], timeline["predicted"]
    scored_at = chosen in labels and bool(((labels[chosen] >= 0) & (predicted[chosen] >= 0)).any())
    rec = chosen if scored_at else choose_recording(labels, predicted)  # a chosen one with nothing scored: none
    if rec is None:
        return None
    lab, pred = labels[rec], predicted[rec]
    scored = (lab >= 0) & (pred >= 0)
    agree = float((lab == pred)[scored].mean()) if scored.any() else float("nan")
    rate = float(timeline["sample_rate"]) if timeline.get("sample_rate") else None
    a, b = excerpt(lab, pred, rate)
    part = (
        "" if (a, b) == (0, len(lab)) else f"; seconds {a / rate:,.0f}-{b / rate:,.0f} of {len(lab) / rate:,.0f} shown"
    )
    unit = "timesteps" if rate is None else f"timesteps ({scored.sum() / rate:,.0f} s)"
    title = f"Test recording {rec}: the predicted class is the true one on {agree:.0%} of {scored.sum():,} scored {unit}{part}"
    return plot_class_timeline(
        lab[a:b], pred[a:b], classes, rate, title=title, path=path, offset_seconds=a / rate if rate else 0.0
    )
