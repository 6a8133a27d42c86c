"""Presentation-ready figures (matplotlib + seaborn; no TensorFlow here).

Every function returns a :class:`matplotlib.figure.Figure` and, when ``path`` is given,
also saves it as PNG there (parent folders created). Figures are built with
``matplotlib.figure.Figure`` rather than ``pyplot``, so they are not kept open in pyplot's
global state (no memory growth in loops, no duplicate display in notebooks) and work with
any backend, Agg included. In Jupyter a figure shows when it is the cell's last value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_curve

DPI = 120
TRUE_COLOUR = "tab:green"
PRED_COLOUR = "tab:orange"
THRESHOLD_COLOUR = "tab:red"


def _finish(fig: Figure, path: str | Path | None) -> Figure:
    fig.tight_layout()
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=DPI, bbox_inches="tight")
    return fig


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
def plot_confusion_matrix(
    cm: Any, classes: Sequence[str], path: str | Path | None = None, title: str | None = None
) -> Figure:
    """Confusion matrix as counts and row-normalised (each true class sums to 1), side by side.

    Rows are true classes, columns predicted classes; the diagonal of the right panel is
    each class's recall. Classes without examples have an empty row.
    """
    counts = np.asarray(cm)
    k = len(classes)
    if counts.shape != (k, k):
        raise ValueError(f"cm has shape {counts.shape}, expected ({k}, {k}) for classes {list(classes)}")
    with np.errstate(invalid="ignore", divide="ignore"):
        norm = counts / counts.sum(axis=1, keepdims=True)
    side = max(3.5, 0.9 * k + 2)
    fig = Figure(figsize=(2 * side + 1, side))
    ax_counts, ax_norm = fig.subplots(1, 2)
    names = list(classes)
    sns.heatmap(counts, annot=True, fmt="d", cmap="Blues", cbar=False, square=True,
                xticklabels=names, yticklabels=names, ax=ax_counts)
    sns.heatmap(norm, annot=True, fmt=".2f", cmap="Blues", cbar=False, square=True, vmin=0, vmax=1,
                xticklabels=names, yticklabels=names, ax=ax_norm)
    ax_counts.set_title("Counts")
    ax_norm.set_title("Row-normalised (diagonal = recall)")
    for ax in (ax_counts, ax_norm):
        ax.set_xlabel("Predicted class")
        ax.set_ylabel("True class")
        ax.tick_params(axis="y", rotation=0)
    fig.suptitle(title or "Confusion matrix")
    return _finish(fig, path)


def _rates_at(y: np.ndarray, s: np.ndarray, threshold: float) -> tuple[float, float, float]:
    pred = s >= threshold
    tp = float((pred & y).sum())
    precision = tp / pred.sum() if pred.sum() else 1.0
    recall = tp / y.sum()
    fpr = float((pred & ~y).sum()) / max(1, (~y).sum())
    return precision, recall, fpr


def _one_vs_rest(y_true: Any, scores: np.ndarray, classes: Sequence[str] | None):
    """(class name, y == k, scores[:, k]) for every class present and absent in ``y_true``."""
    if classes is None or len(classes) != scores.shape[1]:
        raise ValueError("multi-class scores need classes, one name per column")
    y = np.asarray(y_true)
    for k, cls in enumerate(classes):
        if 0 < (y == k).sum() < len(y):
            yield cls, y == k, scores[:, k]


def plot_pr_curve(
    y_true: Any,
    scores: Any,
    threshold: float | None = None,
    classes: Sequence[str] | None = None,
    positive_label: str = "positive class",
    path: str | Path | None = None,
    title: str | None = None,
) -> Figure:
    """Precision-recall curve with the no-skill baseline and the chosen threshold marked.

    Binary: ``y_true`` 0/1 and ``scores`` (n,) = P(positive). The no-skill line is the
    positive rate (precision of predicting everything positive). Multi-class: ``y_true``
    class indices and ``scores`` (n, K) with ``classes``: one one-vs-rest curve per class.
    """
    fig = Figure(figsize=(6, 5))
    ax = fig.subplots()
    s = np.asarray(scores, dtype=float)
    if s.ndim == 2:
        for cls, yk, sk in _one_vs_rest(y_true, s, classes):
            precision, recall, _ = precision_recall_curve(yk, sk)
            ax.plot(recall, precision, label=f"{cls} (PR-AUC {average_precision_score(yk, sk):.2f})")
        ax.set_title(title or "Precision-recall, one class vs rest")
    else:
        y, s = _binary_inputs(y_true, s)
        precision, recall, _ = precision_recall_curve(y, s)
        ap = average_precision_score(y, s)
        ax.step(recall, precision, where="post", label=f"model (PR-AUC {ap:.3f})")
        ax.axhline(y.mean(), ls="--", color="grey", label=f"no skill (prevalence {y.mean():.3f})")
        if threshold is not None:
            p_t, r_t, _ = _rates_at(y, s, threshold)
            ax.plot(r_t, p_t, "o", color=THRESHOLD_COLOUR, ms=9,
                    label=f"threshold {threshold:.3g}: P {p_t:.2f}, R {r_t:.2f}")
        ax.set_title(title or f"Precision-recall for '{positive_label}'")
    ax.set_xlabel("Recall")
    ax.set_ylabel("Precision")
    ax.set_xlim(0, 1.01)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="best", fontsize="small")
    return _finish(fig, path)


def plot_roc_curve(
    y_true: Any,
    scores: Any,
    threshold: float | None = None,
    classes: Sequence[str] | None = None,
    positive_label: str = "positive class",
    path: str | Path | None = None,
    title: str | None = None,
) -> Figure:
    """ROC curve with the chance diagonal and the chosen threshold marked (binary), or one
    one-vs-rest curve per class (``scores`` (n, K) with ``classes``)."""
    fig = Figure(figsize=(6, 5))
    ax = fig.subplots()
    s = np.asarray(scores, dtype=float)
    if s.ndim == 2:
        for cls, yk, sk in _one_vs_rest(y_true, s, classes):
            fpr, tpr, _ = roc_curve(yk, sk)
            ax.plot(fpr, tpr, label=f"{cls} (AUC {auc(fpr, tpr):.2f})")
        ax.set_title(title or "ROC, one class vs rest")
    else:
        y, s = _binary_inputs(y_true, s)
        fpr, tpr, _ = roc_curve(y, s)
        ax.plot(fpr, tpr, label=f"model (ROC-AUC {auc(fpr, tpr):.3f})")
        if threshold is not None:
            _, r_t, f_t = _rates_at(y, s, threshold)
            ax.plot(f_t, r_t, "o", color=THRESHOLD_COLOUR, ms=9,
                    label=f"threshold {threshold:.3g}: TPR {r_t:.2f}, FPR {f_t:.2f}")
        ax.set_title(title or f"ROC for '{positive_label}'")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", label="chance")
    ax.set_xlabel("False positive rate")
    ax.set_ylabel("True positive rate (recall)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower right", fontsize="small")
    return _finish(fig, path)


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
    names = np.asarray(list(classes))
    df = pd.DataFrame({score_label: s, "true class": names[y]})
    fig = Figure(figsize=(7, 4.5))
    ax = fig.subplots()
    in_unit = s.size and s.min() >= 0 and s.max() <= 1
    sns.histplot(data=df, x=score_label, hue="true class", hue_order=[c for c in classes if c in set(df["true class"])],
                 stat="density", common_norm=False, element="step", bins=25,
                 binrange=(0, 1) if in_unit else None, ax=ax)
    if threshold is not None:
        ax.axvline(threshold, color=THRESHOLD_COLOUR, ls="--", lw=2)
        ax.text(threshold, ax.get_ylim()[1] * 0.95, f" threshold {threshold:.3g}",
                color=THRESHOLD_COLOUR, va="top")
    ax.set_ylabel("Density (per true class)")
    ax.set_title(title or f"Distribution of {score_label} by true class")
    return _finish(fig, path)


def plot_metric_vs_threshold(
    y_true_binary: Any,
    scores: Any,
    threshold: float | None = None,
    positive_label: str = "positive class",
    path: str | Path | None = None,
    title: str | None = None,
) -> Figure:
    """Precision, recall and F1 of the positive class as the threshold moves, chosen one marked."""
    y, s = _binary_inputs(y_true_binary, scores)
    precision, recall, thresholds = precision_recall_curve(y, s)
    p, r = precision[:-1], recall[:-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
    fig = Figure(figsize=(7, 4.5))
    ax = fig.subplots()
    ax.plot(thresholds, p, label="precision")
    ax.plot(thresholds, r, label="recall")
    ax.plot(thresholds, f1, label="F1", lw=2)
    if threshold is not None:
        ax.axvline(threshold, color=THRESHOLD_COLOUR, ls="--", label=f"chosen {threshold:.3g}")
    ax.set_xlabel(f"Threshold on P({positive_label})")
    ax.set_ylabel("Score")
    ax.set_ylim(0, 1.02)
    ax.legend(loc="best", fontsize="small")
    ax.set_title(title or f"Precision / recall / F1 of '{positive_label}' vs threshold")
    return _finish(fig, path)


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
) -> Figure:
    """One recording over time: a channel or two (top), the stitched score with the
    threshold, true bouts (upper band) and predicted bouts (lower band) shaded (bottom).

    ``score`` (L,) per-timestep score (NaN where no window covers it); bouts are
    ``[start, end)`` timesteps; ``signal`` (L,) or (L, C); times in seconds when
    ``sample_rate_hz`` is given, else timesteps.
    """
    sc = np.asarray(score, dtype=float)
    if sc.ndim != 1:
        raise ValueError(f"score must be 1-D (one value per timestep), got shape {sc.shape}")
    rate = float(sample_rate_hz) if sample_rate_hz else 1.0
    x = np.arange(len(sc)) / rate
    tb = np.asarray(true_bouts if true_bouts is not None else np.empty((0, 2)), dtype=float).reshape(-1, 2) / rate
    pb = np.asarray(pred_bouts if pred_bouts is not None else np.empty((0, 2)), dtype=float).reshape(-1, 2) / rate
    n_rows = 2 if signal is not None else 1
    fig = Figure(figsize=(12, 2.6 * n_rows + 0.6))
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
    handles = [ax.lines[-1], Patch(color=TRUE_COLOUR, alpha=0.3, label=f"true '{class_name}' bouts"),
               Patch(color=PRED_COLOUR, alpha=0.3, label=f"predicted '{class_name}' bouts")]
    if threshold is not None:
        handles.insert(1, ax.axhline(threshold, color=THRESHOLD_COLOUR, ls="--", label=f"threshold {threshold:.3g}"))
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("Score")
    ax.set_xlabel("Time (s)" if sample_rate_hz else "Timestep")
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    fig.suptitle(title or f"Timeline of '{class_name}'")
    return _finish(fig, path)


# ======================================================================== general plots
def plot_class_distribution(
    counts: Mapping[str, Mapping[str, Mapping[str, int]]],
    path: str | Path | None = None,
    title: str | None = None,
) -> Figure:
    """Windows per class in each split, before and after resampling (one panel per split).

    ``counts``: ``{split: {"before": {cls: n}, "after": {cls: n}}}`` as in
    ``prepare.json["counts"]``; a split may give only ``before``.
    """
    rows = []
    if not isinstance(counts, Mapping) or not counts:
        raise ValueError("counts must be a non-empty dict split -> {'before'/'after' -> {class: n}}")
    for split, stages in counts.items():
        if not isinstance(stages, Mapping):
            raise ValueError(f"counts[{split!r}] must map 'before'/'after' to {{class: n}}, got {stages!r}")
        for stage, per_class in stages.items():
            if not isinstance(per_class, Mapping):
                raise ValueError(f"counts[{split!r}][{stage!r}] must be {{class: n}}, got {per_class!r}")
            rows += [{"split": split, "stage": stage, "class": c, "windows": int(n)} for c, n in per_class.items()]
    df = pd.DataFrame(rows)
    splits = list(counts)
    fig = Figure(figsize=(4.5 * len(splits), 4))
    axes = np.atleast_1d(fig.subplots(1, len(splits), squeeze=False)[0])
    for ax, split in zip(axes, splits, strict=True):
        part = df[df["split"] == split]
        sns.barplot(data=part, x="class", y="windows", hue="stage", ax=ax,
                    hue_order=[s for s in ("before", "after") if s in set(part["stage"])] or None)
        for container in ax.containers:
            ax.bar_label(container, fontsize="small")
        ax.set_title(split)
        ax.set_xlabel("Class")
        ax.set_ylabel("Windows")
    fig.suptitle(title or "Class distribution per split, before / after resampling")
    return _finish(fig, path)


def plot_example_windows(
    X: Any,
    y: Any,
    classes: Sequence[str],
    n_per_class: int = 2,
    channels: Sequence[int] | None = None,
    channel_names: Sequence[str] | None = None,
    seed: int = 0,
    path: str | Path | None = None,
    title: str | None = None,
) -> Figure:
    """A few randomly drawn windows of each class (rows = classes), ``channels`` (indices) overlaid."""
    Xa = np.asarray(X)
    Xa = Xa[:, :, None] if Xa.ndim == 2 else Xa
    ya = np.asarray(y).astype(np.int64)
    if Xa.ndim != 3 or len(Xa) != len(ya):
        raise ValueError(f"X must be (n, T) or (n, T, C) with one label per window, got {np.shape(X)} and {ya.shape}")
    if n_per_class < 1:
        raise ValueError(f"n_per_class must be >= 1, got {n_per_class}")
    chans = list(range(Xa.shape[2])) if channels is None else list(channels)
    if any(not 0 <= c < Xa.shape[2] for c in chans):
        raise ValueError(f"channels {chans} out of range for {Xa.shape[2]} channels")
    rng = np.random.default_rng(seed)
    present = [k for k in range(len(classes)) if (ya == k).any()]
    fig = Figure(figsize=(3.2 * n_per_class + 1, 2.2 * max(1, len(present)) + 0.5))
    axes = fig.subplots(max(1, len(present)), n_per_class, squeeze=False, sharex=True)
    for row, k in enumerate(present):
        idx = rng.permutation(np.flatnonzero(ya == k))[:n_per_class]
        for col in range(n_per_class):
            ax = axes[row, col]
            if col >= len(idx):
                ax.axis("off")
                continue
            for c in chans:
                name = channel_names[c] if channel_names is not None and c < len(channel_names) else f"ch {c}"
                ax.plot(Xa[idx[col], :, c], lw=0.9, label=name)
            ax.set_title(f"{classes[k]} (window {idx[col]})", fontsize="small")
            if col == 0:
                ax.set_ylabel(classes[k])
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if handles:
        axes[0, -1].legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    fig.suptitle(title or "Example windows per class")
    return _finish(fig, path)


def _epochs(history: pd.DataFrame) -> np.ndarray:
    return history["epoch"].to_numpy() if "epoch" in history else np.arange(1, len(history) + 1)


def plot_learning_curves(
    history_df: pd.DataFrame,
    monitor: str | None = None,
    path: str | Path | None = None,
    title: str | None = None,
) -> Figure:
    """Training and validation loss (left) and the monitored metric (right) per epoch, with
    the best epoch of ``monitor`` marked (minimum for losses, maximum otherwise).

    ``monitor`` e.g. ``"val_pr_auc"``; None or ``"auto"`` picks the first metric column.
    """
    if "loss" not in history_df:
        raise ValueError(f"history has no 'loss' column; columns are {list(history_df.columns)}")
    skip = {"epoch", "loss", "val_loss", "lr", "learning_rate"}
    if monitor in (None, "auto"):
        metrics = [c for c in history_df.columns if c not in skip and not c.startswith("val_")]
        monitor = f"val_{metrics[0]}" if metrics else "val_loss"
        if monitor not in history_df:
            monitor = metrics[0] if metrics else "loss"
    if monitor not in history_df:
        raise ValueError(f"monitor {monitor!r} is not a history column; columns are {list(history_df.columns)}")
    metric = monitor.removeprefix("val_")
    epochs = _epochs(history_df)
    panels = ["loss"] + ([metric] if metric != "loss" else [])
    fig = Figure(figsize=(5.5 * len(panels), 4))
    axes = np.atleast_1d(fig.subplots(1, len(panels), squeeze=False)[0])
    for ax, name in zip(axes, panels, strict=True):
        for col, label in ((name, "train"), (f"val_{name}", "validation")):
            if col in history_df:
                ax.plot(epochs, history_df[col], marker="o", ms=3, label=label)
        if monitor in (name, f"val_{name}"):
            values = history_df[monitor].to_numpy(dtype=float)
            best = int(np.nanargmin(values) if "loss" in monitor else np.nanargmax(values))
            ax.axvline(epochs[best], color="grey", ls=":", label=f"best epoch {epochs[best]}")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("Epoch")
        ax.set_ylabel(name)
        ax.set_title(name.replace("_", " "))
        ax.legend(fontsize="small")
    fig.suptitle(title or f"Learning curves (monitor: {monitor})")
    return _finish(fig, path)


def plot_learning_rate(
    history_df: pd.DataFrame, path: str | Path | None = None, title: str | None = None
) -> Figure:
    """Learning rate per epoch (column ``lr`` or ``learning_rate``), log scale."""
    col = next((c for c in ("lr", "learning_rate") if c in history_df), None)
    if col is None:
        raise ValueError(f"history has no 'lr' or 'learning_rate' column; columns are {list(history_df.columns)}")
    values = history_df[col].to_numpy(dtype=float)
    fig = Figure(figsize=(6, 3.5))
    ax = fig.subplots()
    ax.plot(_epochs(history_df), values, marker="o", ms=3)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if (values > 0).all():
        ax.set_yscale("log")
    ax.set_xlabel("Epoch")
    ax.set_ylabel("Learning rate")
    ax.set_title(title or "Learning rate schedule")
    return _finish(fig, path)


def as_image(fig: Figure) -> Any:
    """A figure as an inline PNG for notebook display, whatever the matplotlib backend
    (papermill kernels may run with ``MPLBACKEND=Agg``, where a bare Figure shows as text)."""
    import io

    from IPython.display import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    return Image(data=buf.getvalue(), format="png")
