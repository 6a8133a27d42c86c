"""Figures of stage 02: learning curves and the learning-rate curve (matplotlib).

Each function returns the figure and, given ``path``, also saves it as PNG.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from lstm_helpers.display import new_figure, save_figure


def plot_learning_curves(
    history: pd.DataFrame,
    monitor: str,
    best_epoch: int | None = None,
    path: str | Path | None = None,
) -> Figure:
    """Loss and the monitored metric per epoch, training vs validation.

    Parameters
    ----------
    history : DataFrame
        ``history.csv``: column ``epoch`` (1-based) and Keras logs (``loss``, ``val_loss``...).
    monitor : str
        The monitored quantity (``val_pr_auc``...); its training counterpart is drawn too.
    best_epoch : int, optional
        The epoch whose weights ``model.keras`` keeps (the best, or the last where the run
        keeps its final weights); marked with a vertical line.
    """
    metric = monitor.removeprefix("val_")
    panels = ["loss"] if metric == "loss" else ["loss", metric]
    fig = new_figure(figsize=(5.5 * len(panels), 3.8))
    axes = fig.subplots(1, len(panels), squeeze=False)
    for ax, name in zip(axes[0], panels, strict=True):
        for column, label, style in ((name, "training", "-"), (f"val_{name}", "validation", "--")):
            if column in history:
                ax.plot(history["epoch"], history[column], style, marker="o", ms=3, label=label)
        if best_epoch is not None:
            ax.axvline(best_epoch, color="grey", lw=1, ls=":", label=f"weights kept: epoch {best_epoch}")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        ax.set_ylabel(name)
        ax.set_title(name + (" (monitored)" if f"val_{name}" == monitor or name == monitor else ""))
        ax.grid(alpha=0.3)
        ax.legend()
    return save_figure(fig, path)


def plot_learning_rate(
    history: pd.DataFrame,
    lr_per_step: np.ndarray | None = None,
    steps_per_epoch: int | None = None,
    path: str | Path | None = None,
) -> Figure:
    """The learning rate per epoch (``history["lr"]``) and, for step schedules, the rate at
    every step (x axis in epochs: epoch ``k`` spans ``k - 1`` to ``k``). The per-epoch rate
    is drawn as steps (matplotlib's ``stairs``): a rate holds for its whole epoch, so a plateau
    reduction is a drop at the epoch boundary, not a slope between two epochs' points."""
    fig = new_figure(figsize=(6, 3.5))
    ax = fig.subplots()
    if lr_per_step is not None and steps_per_epoch:
        x = np.arange(len(lr_per_step)) / steps_per_epoch
        ax.plot(x, lr_per_step, lw=1, label="per step (schedule)")
    if "lr" in history and len(history):
        epochs, lr = history["epoch"].to_numpy(float), history["lr"].to_numpy(float)
        ax.stairs(lr, np.r_[epochs[0] - 1, epochs], baseline=None, color="C1", label="per epoch")
        ax.plot(epochs, lr, "o", ms=3, color="C1")  # each epoch's rate at its end
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))  # epochs 1, 2, 3; not 1.2, 1.4
    ax.set_ylabel("learning rate")
    ax.set_yscale("log")
    ax.set_title("Learning rate")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    return save_figure(fig, path)
