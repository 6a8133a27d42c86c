"""Figures of stage 03 (evaluate): confusions, PR / ROC curves, scores, threshold, timeline.

matplotlib + seaborn; no TensorFlow here. Every function returns a
:class:`matplotlib.figure.Figure` and, when ``path`` is given, also saves it as PNG there
(:func:`lstm_helpers.display.save_figure`); show one in a notebook with
:func:`lstm_helpers.display.show_figure`. Which figures a run draws is decided in
:mod:`lstm_helpers.judge.figures`. The threshold's dot on the PR and ROC curves comes from
:func:`lstm_helpers.judge.threshold.rates_at`, the function behind the threshold table, so
the two always agree.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_curve

from lstm_helpers.data.text import character_classes
from lstm_helpers.display import new_figure, save_figure
from lstm_helpers.judge.threshold import rates_at
from lstm_helpers.style import figure_labels, names_text

TRUE_COLOUR = "tab:green"
PRED_COLOUR = "tab:orange"
THRESHOLD_COLOUR = "tab:red"
MAX_CURVES = 10  # multi-class PR / ROC: curves drawn at most (classes of interest, then the rarest)


def _binary_inputs(y_true: Any, scores: Any) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=float)
    if y.ndim != 1 or s.ndim != 1 or len(y) != len(s):
        raise ValueError(f"y_true and scores must be 1-D of equal length, got {y.shape} and {s.shape}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y_true must be 0/1 for a binary curve")
    if y.sum() == 0 or y.sum() == len(y):
        raise ValueError("y_true needs both positive and negative examples to draw a curve")
    return y.astype(bool), s


# ======================================================================== evaluation plots
SIDE_BY_SIDE_CLASSES = 8  # up to this many classes: counts and row-normalised side by side; beyond, one panel
CELL_INCHES = 0.38  # a cell of the one-panel matrix (many classes): room for a 3-digit count at 10 pt


def plot_confusion_matrix(
    cm: Any, classes: Sequence[str], path: str | Path | None = None, title: str | None = None
) -> Figure:
    """Confusion matrix: rows are true classes, columns predicted classes; classes without
    examples have an empty row.

    Up to :data:`SIDE_BY_SIDE_CLASSES` classes: counts and row-normalised (each true class sums
    to 1; its diagonal is each class's recall) side by side. Beyond: one panel of
    :data:`CELL_INCHES` cells, coloured by the share of the true class and annotated with the
    non-zero counts where they fit (two 13-class panels shown 600 px wide had 5 px text). Class
    names as :func:`~lstm_helpers.style.figure_labels` writes them (long ones cut, glyphs the
    font lacks named); the tables keep them whole.
    """
    counts = np.asarray(cm)
    k = len(classes)
    if counts.shape != (k, k):
        raise ValueError(f"cm has shape {counts.shape}, expected ({k}, {k}) for classes {list(classes)}")
    with np.errstate(invalid="ignore", divide="ignore"):
        norm = counts / counts.sum(axis=1, keepdims=True)
    names = figure_labels(classes)
    if k > SIDE_BY_SIDE_CLASSES:
        return save_figure(_one_panel_matrix(counts, norm, names, title), path)
    side = max(3.5, 0.9 * k + 2)
    fig = new_figure(figsize=(2 * side + 1, side))
    ax_counts, ax_norm = fig.subplots(1, 2)
    common = {"cmap": "Blues", "cbar": False, "square": True, "xticklabels": names, "yticklabels": names}
    sns.heatmap(counts, annot=True, fmt="d", ax=ax_counts, **common)
    sns.heatmap(norm, annot=True, fmt=".2f", vmin=0, vmax=1, ax=ax_norm, **common)
    ax_counts.set_title("Counts")
    ax_norm.set_title("Row-normalised (diagonal = recall)")
    for ax in (ax_counts, ax_norm):
        _matrix_axes(ax, names)
    fig.suptitle(title or "Confusion matrix")
    return save_figure(fig, path)


def _one_panel_matrix(counts: np.ndarray, norm: np.ndarray, names: list[str], title: str | None) -> Figure:
    """The confusion matrix of many classes as one panel: colour = share of the true class,
    text = count (zeros left blank; none where the widest count does not fit a cell)."""
    k = len(names)
    longest = max(len(n) for n in names)
    label_in = 0.12 * longest  # a tick label at 12 pt: ~0.12 in a character
    fig = new_figure(figsize=(k * CELL_INCHES + label_in + 2.2, k * CELL_INCHES + 0.75 * label_in + 1.6))
    ax = fig.subplots()
    digits = len(str(int(counts.max()))) if counts.size else 1
    size = min(10.0, CELL_INCHES * 72 * 0.8 / (0.62 * digits))  # points: the widest count inside a cell
    text = np.where(counts > 0, counts.astype(np.int64).astype(str), "")
    sns.heatmap(
        np.nan_to_num(norm),
        annot=text if size >= 6 else False,
        fmt="",
        annot_kws={"fontsize": size},
        cmap="Blues",
        vmin=0,
        vmax=1,
        square=True,
        linewidths=0.5,
        linecolor="0.92",
        xticklabels=names,
        yticklabels=names,
        cbar_kws={"label": "share of the true class", "shrink": 0.6},
        ax=ax,
    )
    _matrix_axes(ax, names, fontsize=12)
    ax.set_title("Test windows; colour: share of the true class (diagonal = recall)", fontsize=11)
    # wrapped to the figure's width: a long decision rule in the title widened the image, shrinking its text
    fig.suptitle(textwrap.fill(title or "Confusion matrix", int(fig.get_figwidth() * 72 / (16 * 0.55))))
    return fig


def _matrix_axes(ax: Any, names: list[str], fontsize: float | None = None) -> None:
    """Labels of a confusion matrix's axes: every class named, x ticks slanted when long."""
    ax.set_xlabel("Predicted class")
    ax.set_ylabel("True class")
    ax.set_xticks(np.arange(len(names)) + 0.5, names, fontsize=fontsize)
    ax.set_yticks(np.arange(len(names)) + 0.5, names, fontsize=fontsize, rotation=0)
    if max(len(n) for n in names) > 3:
        for label in ax.get_xticklabels():
            label.set(rotation=45, ha="right", rotation_mode="anchor")


def top_confusions(cm: Any, classes: Sequence[str], n: int = 20) -> pd.DataFrame:
    """The ``n`` largest off-diagonal cells of a confusion matrix: true, predicted, count and
    the share of the true class's examples (ties: true class, then predicted, in order)."""
    counts = np.asarray(cm)
    k = len(classes)
    if counts.shape != (k, k):
        raise ValueError(f"cm has shape {counts.shape}, expected ({k}, {k}) for {k} classes")
    off = counts.astype(np.int64).copy()
    np.fill_diagonal(off, 0)
    flat = np.flatnonzero(off)
    flat = flat[np.argsort(-off.ravel()[flat], kind="stable")][:n]
    true_k, pred_k = np.unravel_index(flat, off.shape)
    support = counts.sum(axis=1)
    names = np.asarray(list(classes), dtype=object)
    return pd.DataFrame(
        {
            "true": names[true_k],
            "predicted": names[pred_k],
            "count": off[true_k, pred_k],
            "share_of_true": off[true_k, pred_k] / np.maximum(support[true_k], 1),
        }
    )


def plot_top_confusions(
    cm: Any,
    classes: Sequence[str],
    n: int = 20,
    path: str | Path | None = None,
    title: str | None = None,
) -> Figure:
    """The ``n`` most frequent confusions as horizontal bars ("true -> predicted", count and
    share of the true class): readable where a K x K heat map of many classes is not."""
    table = top_confusions(cm, classes, n)
    fig = new_figure(figsize=(7, 1.2 + 0.32 * max(1, len(table))))
    ax = fig.subplots()
    short = dict(zip(map(str, classes), figure_labels(classes), strict=True))  # long names cut, drawable
    labels = [f"{short[t]!r} -> {short[p]!r}" for t, p in zip(table["true"], table["predicted"], strict=True)]
    ax.barh(np.arange(len(table)), table["count"], color="tab:blue")
    ax.set_yticks(np.arange(len(table)), labels, fontsize="small")
    ax.invert_yaxis()
    for i, (c, share) in enumerate(zip(table["count"], table["share_of_true"], strict=True)):
        ax.text(c, i, f" {c} ({share:.0%})", va="center", fontsize="small")
    ax.set_xlabel("Test windows (share of the true class)")
    total = int(np.asarray(cm).sum() - np.trace(np.asarray(cm)))
    k = len(character_classes(list(classes)))  # a text's targets: never <pad> / <unk>
    ax.set_title(title or f"Top {len(table)} confusions of {k} classes ({total} errors in all)")
    return save_figure(fig, path)


def curve_classes(
    y_true: Any, classes: Sequence[str], max_curves: int = MAX_CURVES, keep: Sequence[str] = ()
) -> tuple[list[int], list[int]]:
    """(drawn, left out): indices of the classes that get a one-vs-rest curve, in class order,
    and of those left out, most frequent first. Drawable are the classes with both positives and
    negatives in ``y_true``; ``keep`` (the classes of interest) first, then the rarest (ties:
    class order), up to ``max_curves``: the 10 most frequent of 13 left out exactly the rare
    classes a run on imbalanced data is about."""
    y = np.asarray(y_true)
    counts = np.bincount(y, minlength=len(classes))[: len(classes)]
    drawable = [int(k) for k in np.flatnonzero((counts > 0) & (counts < len(y)))]
    wanted = set(map(str, keep))
    first = [k for k in drawable if str(classes[k]) in wanted]
    rest = sorted((k for k in drawable if k not in first), key=lambda k: (counts[k], k))
    chosen = (first + rest)[: max(max_curves, len(first))]
    left = sorted(set(drawable) - set(chosen), key=lambda k: (-counts[k], k))
    return sorted(chosen), left


def _one_vs_rest(
    y_true: Any,
    scores: np.ndarray,
    classes: Sequence[str] | None,
    max_curves: int = MAX_CURVES,
    keep: Sequence[str] = (),
) -> tuple[list[tuple[str, np.ndarray, np.ndarray]], list[int]]:
    """([(label, y == k, float64 scores[:, k]) for each class :func:`curve_classes` draws],
    indices left out); labels as :func:`~lstm_helpers.style.figure_labels` writes them."""
    if classes is None or len(classes) != scores.shape[1]:
        raise ValueError("multi-class scores need classes, one name per column")
    y = np.asarray(y_true)
    chosen, left = curve_classes(y, classes, max_curves, keep)
    labels = figure_labels(classes)
    return [(labels[k], y == k, scores[:, k].astype(np.float64)) for k in chosen], left


def _curve_title(
    title: str | None, what: str, classes: Sequence[str], drawn: int, left: list[int], keep: Sequence[str] = ()
) -> str:
    """The one-vs-rest curves' title, saying which classes are drawn where not all are; a text's
    classes counted as the characters a target can be
    (:func:`~lstm_helpers.data.text.character_classes`: never ``<pad>`` / ``<unk>``)."""
    if title:
        return title
    if not left:
        return f"{what}, one class vs rest"
    n_classes = len(character_classes(list(classes)))
    labels = figure_labels(classes)
    kept = sum(str(c) in set(map(str, keep)) for c in classes)
    which = f"the {kept} of interest and {drawn - kept} rarest" if kept else f"the {drawn} rarest"
    return (
        f"{what}, one class vs rest: {which} of {n_classes} classes\n"
        f"left out, the most frequent: {names_text([labels[k] for k in left])}"
    )


def _legend_beside(ax: Any) -> None:
    """The curves' legend right of the axes (inside, 10 curves covered them)."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small", borderaxespad=0)


def plot_pr_curve(
    y_true: Any,
    scores: Any,
    threshold: float | None = None,
    classes: Sequence[str] | None = None,
    positive_label: str = "positive class",
    path: str | Path | None = None,
    title: str | None = None,
    max_curves: int = MAX_CURVES,
    keep: Sequence[str] = (),
) -> Figure:
    """Precision-recall curve with the no-skill baseline and the chosen threshold marked.

    Binary: ``y_true`` 0/1 and ``scores`` (n,) = P(positive). The no-skill line is the
    positive rate (precision of predicting everything positive); the threshold's dot is
    :func:`~lstm_helpers.judge.threshold.rates_at` (precision 0 when nothing is predicted
    positive). Multi-class: ``y_true`` class indices and ``scores`` (n, K) with
    ``classes``: one one-vs-rest curve for each class of :func:`curve_classes` (``keep``, the
    classes of interest, then the rarest, ``max_curves`` in all), the legend beside the axes.
    """
    s = np.asarray(scores)
    fig = new_figure(figsize=(9, 5.5) if s.ndim == 2 else (6, 5))
    ax = fig.subplots()
    if s.ndim == 2:
        curves, left = _one_vs_rest(y_true, s, classes, max_curves, keep)
        for cls, yk, sk in curves:
            precision, recall, _ = precision_recall_curve(yk, sk, drop_intermediate=True)
            ax.plot(recall, precision, label=f"{cls} ({average_precision_score(yk, sk):.2f})")
        ax.set_title(_curve_title(title, "Precision-recall", classes, len(curves), left, keep), fontsize="medium")
    else:
        y, s = _binary_inputs(y_true, s)
        precision, recall, _ = precision_recall_curve(y, s)
        ap = average_precision_score(y, s)
        ax.step(recall, precision, where="post", label=f"model (PR-AUC {ap:.3f})")
        ax.axhline(y.mean(), ls="--", color="grey", label=f"no skill (prevalence {y.mean():.3f})")
        if threshold is not None:
            rates = rates_at(y, s, threshold)
            p_t, r_t = rates["precision"], rates["recall"]
            _mark_threshold(ax, r_t, p_t, f"threshold {threshold:.3g}: P {p_t:.2f}, R {r_t:.2f}")
        ax.set_title(title or f"Precision-recall for '{positive_label}'")
    ax.set_xlabel("Recall")
    ax.set_ylabel("Precision")
    ax.set_xlim(0, 1.01)
    ax.set_ylim(0, 1.02)
    if s.ndim == 2:
        _legend_beside(ax)
        ax.get_legend().set_title("class (PR-AUC)", prop={"size": "small"})
    else:
        ax.legend(loc="best", fontsize="small")
    return save_figure(fig, path)


def _mark_threshold(ax: Any, x: float, y: float, label: str) -> None:
    """The chosen threshold's operating point on a curve: one large dot, labelled."""
    ax.plot(x, y, "o", color=THRESHOLD_COLOUR, ms=9, label=label)


def plot_roc_curve(
    y_true: Any,
    scores: Any,
    threshold: float | None = None,
    classes: Sequence[str] | None = None,
    positive_label: str = "positive class",
    path: str | Path | None = None,
    title: str | None = None,
    max_curves: int = MAX_CURVES,
    keep: Sequence[str] = (),
) -> Figure:
    """ROC curve with the chance diagonal and the chosen threshold marked (binary), or one
    one-vs-rest curve for each class of :func:`curve_classes` (``scores`` (n, K) with
    ``classes``; ``keep`` as for :func:`plot_pr_curve`), the legend beside the axes."""
    s = np.asarray(scores)
    fig = new_figure(figsize=(9, 5.5) if s.ndim == 2 else (6, 5))
    ax = fig.subplots()
    if s.ndim == 2:
        curves, left = _one_vs_rest(y_true, s, classes, max_curves, keep)
        for cls, yk, sk in curves:
            fpr, tpr, _ = roc_curve(yk, sk)
            ax.plot(fpr, tpr, label=f"{cls} (AUC {auc(fpr, tpr):.2f})")
        ax.set_title(_curve_title(title, "ROC", classes, len(curves), left, keep), fontsize="medium")
    else:
        y, s = _binary_inputs(y_true, s)
        fpr, tpr, _ = roc_curve(y, s)
        ax.plot(fpr, tpr, label=f"model (ROC-AUC {auc(fpr, tpr):.3f})")
        if threshold is not None:
            rates = rates_at(y, s, threshold)
            r_t, f_t = rates["recall"], rates["false_positive_rate"]
            _mark_threshold(ax, f_t, r_t, f"threshold {threshold:.3g}: TPR {r_t:.2f}, FPR {f_t:.2f}")
        ax.set_title(title or f"ROC for '{positive_label}'")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", label="chance")
    ax.set_xlabel("False positive rate")
    ax.set_ylabel("True positive rate (recall)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    if s.ndim == 2:
        _legend_beside(ax)
    else:
        ax.legend(loc="lower right", fontsize="small")
    return save_figure(fig, path)


def plot_score_distributions(
    y_true: Any,
    scores: Any,
    classes: Sequence[str],
    threshold: float | None = None,
    score_label: str = "score",
    path: str | Path | None = None,
    title: str | None = None,
) -> Figure:
    """Histogram of one class's score for each true class (each normalised to its own area),
    with the threshold as a vertical line: overlap left of / right of it is what the
    threshold cannot separate."""
    y = np.asarray(y_true).astype(np.int64)
    s = np.asarray(scores, dtype=float)
    if y.ndim != 1 or s.ndim != 1 or len(y) != len(s):
        raise ValueError(f"y_true and scores must be 1-D of equal length, got {y.shape} and {s.shape}")
    names = np.asarray(figure_labels(classes), dtype=object)  # a legend's names: cut, drawable
    df = pd.DataFrame({score_label: s, "true class": names[y]})
    fig = new_figure(figsize=(7, 4.5))
    ax = fig.subplots()
    in_unit = s.size and s.min() >= 0 and s.max() <= 1
    sns.histplot(
        data=df,
        x=score_label,
        hue="true class",
        hue_order=[c for c in names if c in set(df["true class"])],
        stat="density",
        common_norm=False,
        element="step",
        bins=25,
        binrange=(0, 1) if in_unit else None,
        ax=ax,
    )
    if threshold is not None:
        ax.axvline(threshold, color=THRESHOLD_COLOUR, ls="--", lw=2)
        lo, hi = ax.get_xlim()
        right = threshold > (lo + hi) / 2  # the label on the side with room, inside the axes' top edge
        ax.set_ylim(top=ax.get_ylim()[1] * 1.12)  # headroom, so that the label sits above the bars
        ax.text(
            threshold,
            0.98,
            f"threshold {threshold:.3g} " if right else f" threshold {threshold:.3g}",
            color=THRESHOLD_COLOUR,
            va="top",
            ha="right" if right else "left",
            transform=ax.get_xaxis_transform(),
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
        )
        # the legend beside the axes, clear of the label wherever the threshold is
        sns.move_legend(ax, "upper left", bbox_to_anchor=(1.01, 1.0), title="true class")
    ax.set_ylabel("Density (per true class)")
    ax.set_title(title or f"Distribution of {score_label} by true class")
    return save_figure(fig, path)


def plot_metric_vs_threshold(
    y_true_binary: Any,
    scores: Any,
    threshold: float | None = None,
    positive_label: str = "positive class",
    path: str | Path | None = None,
    title: str | None = None,
) -> Figure:
    """Precision, recall and F1 of the positive class as the threshold moves, chosen one marked.

    Drawn as steps: each metric is constant from one observed score to the next (a window
    counts as positive when its score is >= the threshold), so a straight line between two
    scores would show figures no threshold gives -- at a threshold set between validation
    scores, say (``judge/threshold.py``)."""
    y, s = _binary_inputs(y_true_binary, scores)
    precision, recall, thresholds = precision_recall_curve(y, s)
    p, r = precision[:-1], recall[:-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
    fig = new_figure(figsize=(7, 4.5))
    ax = fig.subplots()
    # "pre": the value at score t_i holds on (t_{i-1}, t_i]
    ax.step(thresholds, p, where="pre", label="precision")
    ax.step(thresholds, r, where="pre", label="recall")
    ax.step(thresholds, f1, where="pre", label="F1", lw=2)
    if threshold is not None:
        ax.axvline(threshold, color=THRESHOLD_COLOUR, ls="--", label=f"chosen {threshold:.3g}")
    ax.set_xlabel(f"Threshold on P({positive_label})")
    ax.set_ylabel("Score")
    ax.set_ylim(0, 1.02)
    ax.legend(loc="best", fontsize="small")
    ax.set_title(title or f"Precision / recall / F1 of '{positive_label}' vs threshold")
    return save_figure(fig, path)


def plot_timeline(
    score: Any,
    threshold: float | None = None,
    true_bouts: Any | None = None,
    pred_bouts: Any | None = None,
    signal: Any | None = None,
    channel_names: Sequence[str] | None = None,
    sample_rate_hz: float | None = None,
    class_name: str = "positive class",
    title: str | None = None,
    path: str | Path | None = None,
    offset_seconds: float = 0.0,
) -> Figure:
    """One recording over time: a channel or two (top), the stitched score with the
    threshold, true bouts (upper band) and predicted bouts (lower band) shaded (bottom).

    ``score`` (L,) per-timestep score (NaN where no window covers it); bouts are
    ``[start, end)`` timesteps; ``signal`` (L,) or (L, C); times in seconds when
    ``sample_rate_hz`` is given, else timesteps; ``offset_seconds``: where ``score``'s first
    step lies in its recording (an excerpt), added to every time on the axis.
    """
    sc = np.asarray(score, dtype=float)
    if sc.ndim != 1:
        raise ValueError(f"score must be 1-D (one value per timestep), got shape {sc.shape}")
    rate = float(sample_rate_hz) if sample_rate_hz else 1.0
    x = np.arange(len(sc)) / rate + offset_seconds
    tb = np.asarray(true_bouts if true_bouts is not None else np.empty((0, 2)), dtype=float).reshape(-1, 2) / rate
    pb = np.asarray(pred_bouts if pred_bouts is not None else np.empty((0, 2)), dtype=float).reshape(-1, 2) / rate
    tb, pb = tb + offset_seconds, pb + offset_seconds
    n_rows = 2 if signal is not None else 1
    fig = new_figure(figsize=(12, 2.6 * n_rows + 0.6))
    axes = np.atleast_1d(fig.subplots(n_rows, 1, sharex=True))
    if signal is not None:
        sig = np.asarray(signal, dtype=float)
        sig = sig[:, None] if sig.ndim == 1 else sig
        if len(sig) != len(sc):
            raise ValueError(f"signal has {len(sig)} timesteps but score has {len(sc)}")
        ax = axes[0]
        for c in range(sig.shape[1]):
            label = channel_names[c] if channel_names is not None and c < len(channel_names) else f"channel {c}"
            ax.plot(x, sig[:, c], lw=0.8, label=label)
        for start, end in tb:
            ax.axvspan(start, end, color=TRUE_COLOUR, alpha=0.15, lw=0)
        ax.set_ylabel("Signal (scaled)")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    ax = axes[-1]
    for start, end in tb:
        ax.axvspan(start, end, ymin=0.5, ymax=1.0, color=TRUE_COLOUR, alpha=0.3, lw=0)
    for start, end in pb:
        ax.axvspan(start, end, ymin=0.0, ymax=0.5, color=PRED_COLOUR, alpha=0.3, lw=0)
    ax.plot(x, sc, color="black", lw=1, label=f"P({class_name}), stitched")
    handles = [
        ax.lines[-1],
        Patch(color=TRUE_COLOUR, alpha=0.3, label=f"true '{class_name}' bouts"),
        Patch(color=PRED_COLOUR, alpha=0.3, label=f"predicted '{class_name}' bouts"),
    ]
    if threshold is not None:
        handles.insert(
            1,
            ax.axhline(threshold, color=THRESHOLD_COLOUR, ls="--", label=f"threshold {threshold:.3g}"),
        )
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("Score")
    ax.set_xlabel("Time (s)" if sample_rate_hz else "Timestep")
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    fig.suptitle(title or f"Timeline of '{class_name}'")
    return save_figure(fig, path)
