"""Figures of stage 01 (prepare): windows per class and split, example windows (matplotlib + seaborn).

Every function returns a :class:`matplotlib.figure.Figure` and, when ``path`` is given,
also saves it as PNG there (:func:`lstm_helpers.display.save_figure`); show one in a
notebook with :func:`lstm_helpers.display.show_figure`. No TensorFlow here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from lstm_helpers.display import new_figure, save_figure
from lstm_helpers.style import figure_labels

MAX_BARS = 25  # classes drawn in the distribution figure; more are left out (the most frequent kept)


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
    resampled = any(
        isinstance(st, Mapping) and st.get("after") not in (None, st.get("before")) for st in counts.values()
    )
    for split, stages in counts.items():
        if not isinstance(stages, Mapping):
            raise ValueError(f"counts[{split!r}] must map 'before'/'after' to {{class: n}}, got {stages!r}")
        for stage, per_class in stages.items():
            if stage == "after" and not resampled:  # class weights, or none: one set of bars, not two equal ones
                continue
            if not isinstance(per_class, Mapping):
                raise ValueError(f"counts[{split!r}][{stage!r}] must be {{class: n}}, got {per_class!r}")
            rows += [{"split": split, "stage": stage, "class": c, "windows": int(n)} for c, n in per_class.items()]
    df = pd.DataFrame(rows)
    n_classes = df["class"].nunique()
    # the title counts classes that have windows: a character run's counts list every vocabulary id,
    # <pad> (never a target) and characters no window ends on included, which no other count of the run says
    n_with = int((df.groupby("class")["windows"].sum() > 0).sum())
    if n_classes > MAX_BARS:  # a character model's 60-100 classes: the most frequent, readable
        top = df.groupby("class")["windows"].sum().nlargest(MAX_BARS).index
        df = df[df["class"].isin(top)]
    # a space class is not a blank tick; a long name is cut, an emoji named (figure_labels)
    df["class"] = df["class"].map(dict(zip(df["class"].unique(), figure_labels(df["class"].unique()), strict=True)))
    # many classes: the most frequent first (all splits together); a few keep their own order
    order = list(df.groupby("class")["windows"].sum().sort_values(ascending=False).index) if n_classes > 8 else None
    splits = list(counts)
    if n_classes > 8:  # one split per row, wide enough for a bar per class
        width = min(4 + 0.45 * df["class"].nunique(), 14)
        fig = new_figure(figsize=(width, 2.6 * len(splits) + 0.6 + 0.1 * df["class"].str.len().max()))
        axes = np.atleast_1d(fig.subplots(len(splits), 1, squeeze=False)[:, 0])
    else:
        width = 4.5 * len(splits)
        fig = new_figure(figsize=(width, 4 + 0.07 * df["class"].str.len().max()))
        axes = np.atleast_1d(fig.subplots(1, len(splits), squeeze=False)[0])
    for ax, split in zip(axes, splits, strict=True):
        part = df[df["split"] == split]
        sns.barplot(
            data=part,
            x="class",
            y="windows",
            hue="stage",
            ax=ax,
            hue_order=[s for s in ("before", "after") if s in set(part["stage"])] or None,
            order=order,
        )
        if n_classes <= 8:  # counts on the bars while they fit
            for container in ax.containers:
                ax.bar_label(container, fontsize="small")
        _slant_if_crowded(ax, width / (1 if n_classes > 8 else len(splits)))
        if not resampled and ax.get_legend() is not None:  # one stage: a legend says nothing
            ax.get_legend().remove()
        ax.set_title(split)
        ax.set_xlabel("Class" if ax is axes[-1] or n_classes <= 8 else "")  # stacked panels: once, at the bottom
        ax.set_ylabel("Windows")
    shown = f" ({MAX_BARS} most frequent of the {n_with} classes with windows)" if n_with > MAX_BARS else ""
    fig.suptitle(
        title
        or ("Class distribution per split, before / after resampling" if resampled else "Class distribution per split")
        + shown
    )
    return save_figure(fig, path)


def _slant_if_crowded(ax: Any, inches: float) -> None:
    """The x tick labels of a panel ``inches`` wide slanted 45 degrees (anchored at their tick) when
    upright ones would run into each other; characters stay upright."""
    labels = [t.get_text() for t in ax.get_xticklabels()]
    room = inches * 72 / max(1, len(labels))  # points per tick
    if max((len(t) for t in labels), default=0) * 0.6 * 10 > room:  # ~10 pt text: 6 pt a character
        for label in ax.get_xticklabels():
            label.set(rotation=45, ha="right", rotation_mode="anchor", fontsize="small")


def _example_grid(n_classes: int, n_per_class: int, max_columns: int = 6) -> tuple[int, int]:
    """(rows, classes per row) for the example windows: up to ``max_columns`` panels a row, the
    classes spread evenly over the rows. One row per class drew 5 classes as a 1:1.6 portrait
    that a report showed 360 px wide; 2 x 3 classes fill its width at a readable size.

    >>> _example_grid(5, 2), _example_grid(8, 2), _example_grid(2, 2), _example_grid(3, 5)
    ((2, 3), (3, 3), (1, 2), (3, 1))
    """
    rows = -(-n_classes // max(1, max_columns // n_per_class))
    return rows, -(-n_classes // rows)


def example_classes(
    counts: np.ndarray, classes: Sequence[str], interest: Sequence[str], max_classes: int
) -> tuple[list[int], list[int]]:
    """(shown, of interest): the indices of the classes with windows (``counts`` > 0) whose
    examples are drawn -- those named in ``interest`` first, then the others in class order, or,
    beyond ``max_classes``, the most frequent of them (ties: class order) -- and of those of interest.

    >>> example_classes(np.array([9, 1, 5, 0, 7]), ["a", "b", "c", "d", "e"], ["b"], 3)
    ([1, 0, 4], [1])
    """
    present = [k for k in range(len(classes)) if counts[k] > 0]
    wanted = set(map(str, interest))
    first = [k for k in present if str(classes[k]) in wanted]
    rest = [k for k in present if k not in first]
    if len(present) > max_classes:
        rest = sorted(sorted(rest, key=lambda k: -counts[k])[: max(0, max_classes - len(first))])
    return first + rest, first


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
    max_classes: int = 8,
    tokens: bool = False,
    mask_value: float | None = None,
    interest: Sequence[str] = (),
) -> Figure:
    """A few randomly drawn windows of each class (up to 3 classes a row), ``channels`` (indices) overlaid.

    At most ``max_classes`` classes: ``interest`` (the classes of interest) first, then the most
    frequent (a row per class of UCR's PigCVP, 52, drew a 17,000-pixel figure in 10 s; the 8 most
    frequent alone never showed a rare class of interest); the title says how many of how many.
    Panel titles and labels name a class as :func:`~lstm_helpers.style.figure_labels` writes it. ``tokens``:
    the windows hold model token ids, drawn as dots per step without the padding (id 0): a line
    through ids read as a signal, and the padding as drops to 0. ``mask_value`` (a masked run's
    ``prepare.json["input"]["mask_value"]``): steps equal to it in every channel, the padding the
    model's mask skips, are left out too (they were drawn as a flat line out to the padded length)."""
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
    padding = (Xa == mask_value).all(axis=2) if mask_value is not None and not tokens else np.zeros(Xa.shape[:2], bool)
    counts = np.bincount(ya[ya >= 0], minlength=len(classes))[: len(classes)]
    n_present = int((counts > 0).sum())
    present, first = example_classes(counts, classes, interest, max_classes)
    labels = figure_labels(classes, width=16)
    n_rows, per_row = _example_grid(max(1, len(present)), n_per_class)
    fig = new_figure(figsize=(2.3 * per_row * n_per_class + 1.4, 1.9 * n_rows + 0.7))
    axes = fig.subplots(n_rows, per_row * n_per_class, squeeze=False, sharex=True)
    for ax in axes.flat[len(present) * n_per_class :]:
        ax.axis("off")
    for i, k in enumerate(present):
        idx = rng.permutation(np.flatnonzero(ya == k))[:n_per_class]
        for col in range(n_per_class):
            ax = axes[i // per_row, (i % per_row) * n_per_class + col]
            if col >= len(idx):
                ax.axis("off")
                continue
            for c in chans:
                name = channel_names[c] if channel_names is not None and c < len(channel_names) else f"ch {c}"
                if tokens:
                    ids = Xa[idx[col], :, c].astype(float)
                    ax.plot(np.where(ids == 0, np.nan, ids), ls="none", marker=".", ms=3, label="model token id")
                else:
                    ax.plot(np.where(padding[idx[col]], np.nan, Xa[idx[col], :, c]), lw=0.9, label=name)
            # a character model's space / newline class is not a blank or a broken title
            ax.set_title(f"{labels[k]} (#{idx[col]})", fontsize="small")
            ax.tick_params(labelbottom=True)  # a panel above an empty one keeps its time axis
            if col == 0:
                ax.set_ylabel(labels[k], fontsize="small")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if handles:
        axes[0, -1].legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    # the classes these windows have (the training split's, in stage 01), said so: not the run's class count
    of_interest = f"the {len(first)} of interest and the " if first else ""
    shown = (
        f" ({of_interest}{len(present) - len(first)} most frequent of the {n_present} classes in these windows)"
        if len(present) < n_present
        else ""
    )
    fig.suptitle((title or "Example windows per class") + shown)
    return save_figure(fig, path)
