"""Cutting recordings into fixed-length windows: vectorised, and views until a copy is needed.

A window is identified by its recording and start index; its contents are a view into the
concatenated recordings (``numpy.lib.stride_tricks.sliding_window_view``), so cutting 10
million timesteps into windows costs index arrays, not copies. Labels come from per-class
prefix sums, so every label rule is O(timesteps + windows) with no loop over windows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

LABEL_RULES = ("majority", "center", "last", "any")
UNLABELLED_POLICIES = ("rule", "drop", "partial")


def window_step(length: int, overlap_percent: float) -> int:
    """Step between consecutive window starts: ``length * (1 - overlap/100)`` rounded, halves
    up (Python's ``round`` sends halves to the even number: 2.5 -> 2 but 3.5 -> 4), at least 1."""
    if not 0 <= overlap_percent < 100:
        raise ValueError(f"windows.overlap_percent must be in [0, 100), got {overlap_percent}")
    if length < 1:
        raise ValueError(f"windows.length must be >= 1, got {length}")
    return max(1, math.floor(length * (1 - overlap_percent / 100.0) + 0.5))


def count_windows(n_timesteps: np.ndarray | int, length: int, step: int) -> np.ndarray:
    """Windows per recording: ``(n - length) // step + 1`` when ``n >= length``, else 0."""
    n = np.asarray(n_timesteps, dtype=np.int64)
    return np.where(n >= length, (n - length) // step + 1, 0)


def window_starts(offsets: np.ndarray, length: int, step: int) -> tuple[np.ndarray, np.ndarray]:
    """Start index (global, into the concatenated array) and recording index of every window.

    Vectorised: no loop over windows or recordings.
    """
    offsets = np.asarray(offsets, dtype=np.int64)
    per_rec = count_windows(np.diff(offsets), length, step)
    total = int(per_rec.sum())
    rec = np.repeat(np.arange(len(per_rec)), per_rec)
    first = np.cumsum(per_rec) - per_rec  # index of each recording's first window
    k = np.arange(total, dtype=np.int64) - first[rec]
    return offsets[rec] + k * step, rec


def window_view(values: np.ndarray, length: int) -> np.ndarray:
    """All windows of ``values`` (N, C) as a read-only view of shape (N - length + 1, length, C)."""
    if values.ndim == 1:
        return sliding_window_view(values, length)
    return sliding_window_view(values, length, axis=0).transpose(0, 2, 1)


@dataclass
class Windows:
    """Windows of a :class:`~lstm_helpers.data.recordings.SeriesSet`, without copying their contents."""

    starts: np.ndarray  # global start into the concatenated values
    rec_index: np.ndarray  # recording index of each window
    local_starts: np.ndarray  # start within its recording
    labels: np.ndarray  # class index per window
    length: int
    step: int

    def __len__(self) -> int:
        return len(self.starts)

    def subset(self, mask: np.ndarray) -> Windows:
        return Windows(
            self.starts[mask],
            self.rec_index[mask],
            self.local_starts[mask],
            self.labels[mask],
            self.length,
            self.step,
        )

    def materialise(self, values: np.ndarray) -> np.ndarray:
        """Copy the windows out of ``values`` into a contiguous (n, length, C) array."""
        return np.ascontiguousarray(window_view(values, self.length)[self.starts])


def window_class_counts(
    labels: np.ndarray, starts: np.ndarray, length: int, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Timesteps of each class inside each window, from prefix sums.

    Returns ((n_windows, K + 1) counts, the last column counting unlabelled steps; (K,)
    totals per class). One reusable O(N) int32 buffer per class: no (N, K) matrix and no
    loop over windows or timesteps (the loop is over classes).
    """
    lab = np.where(labels < 0, n_classes, labels)
    buf = np.zeros(len(labels) + 1, dtype=np.int32)
    counts = np.empty((len(starts), n_classes + 1), dtype=np.int32)
    totals = np.zeros(n_classes, dtype=np.int64)
    ends = starts + length
    for c in range(n_classes + 1):
        np.cumsum(lab == c, out=buf[1:])
        np.subtract(buf[ends], buf[starts], out=counts[:, c])
        if c < n_classes:
            totals[c] = buf[-1]
    return counts, totals


def _majority(lab_counts: np.ndarray, centre: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """The most frequent labelled class of each window. A tie goes to the class of the
    window's centre step when it is one of the tied classes, else to the rarest of them (by
    its count over all the labels): never to whichever class sorts first. Ties are common
    where annotations fall on whole seconds and windows of 2 s overlap by half, and the class
    order puts the classes of interest last, so "the lower index" had given every 50/50
    window of a rare class to the common one (a reviewer's rare class: 25 -> 13 training
    windows once it was named the class of interest). Written here: numpy's ``argmax`` breaks
    ties by position only."""
    n, k = lab_counts.shape
    best = lab_counts.max(axis=1, keepdims=True)
    tied = (lab_counts == best) & (best > 0)
    rarity = np.empty(k, np.int64)
    rarity[np.argsort(-np.asarray(totals, np.int64), kind="stable")] = np.arange(k)  # rarest: k - 1
    out = np.argmax(np.where(tied, rarity + 1, 0), axis=1).astype(np.int64)
    c = np.clip(centre, 0, k - 1)
    centre_tied = (centre >= 0) & tied[np.arange(n), c]
    return np.where(centre_tied, c, out)


def label_windows(
    labels: np.ndarray,
    starts: np.ndarray,
    length: int,
    n_classes: int,
    rule: str = "majority",
    min_fraction: float = 0.25,
    classes_of_interest: list[int] | None = None,
    unlabelled: str = "rule",
    max_unlabelled_fraction: float = 1.0,
    class_totals: np.ndarray | None = None,
) -> np.ndarray:
    """Class index per window (``-1`` = window to drop). ``class_totals``: each class's count
    that ranks rarity for ties (default: over ``labels``; predict passes the run's, so a new
    recording's windows are labelled by the rule stage 01 used, whatever its own class mix).

    Rules: ``majority`` (most frequent labelled class; a tie goes to the centre step's class
    when it is tied, else to the rarest tied class: :func:`_majority`),
    ``center`` (label of the middle timestep), ``last`` (label of the last timestep), ``any``
    (a class of interest when it covers at least ``min_fraction`` of the window -- the rarest
    such class when several do -- else the majority).

    When is a window unlabelled (dropped)?

    * ``unlabelled='rule'`` (default) -- when the rule's own evidence is: ``center`` /
      ``last`` when that timestep is unlabelled; ``majority`` / ``any`` when more than half
      of the window is. Otherwise the label comes from the labelled part;
    * ``'drop'`` -- when any timestep is unlabelled (strict);
    * ``'partial'`` -- only when no timestep is labelled (a ``center``/``last`` step that is
      unlabelled falls back to the majority of the labelled part).

    In every case a window whose unlabelled share exceeds ``max_unlabelled_fraction`` is
    dropped too, and a window with no labelled step always is.
    """
    if rule not in LABEL_RULES:
        raise ValueError(f"windows.label_rule must be one of {LABEL_RULES}, got {rule!r}")
    if unlabelled not in UNLABELLED_POLICIES:
        raise ValueError(f"windows.unlabelled must be one of {UNLABELLED_POLICIES}, got {unlabelled!r}")
    if not 0.0 <= max_unlabelled_fraction <= 1.0:
        raise ValueError(f"windows.max_unlabelled_fraction must be in [0, 1], got {max_unlabelled_fraction}")
    if len(starts) == 0:
        return np.zeros(0, dtype=np.int64)
    counts, totals = window_class_counts(labels, starts, length, n_classes)
    totals = totals if class_totals is None else np.asarray(class_totals, np.int64)
    n_unl = counts[:, n_classes]
    lab_counts = counts[:, :n_classes]
    out = _majority(lab_counts, labels[starts + length // 2], totals[:n_classes])
    at = None
    if rule in ("center", "last"):
        at = labels[starts + (length // 2 if rule == "center" else length - 1)]
        out = np.where(at >= 0, at, out)
    elif rule == "any" and classes_of_interest:
        need = min_fraction * length
        # rarest class of interest (by total count) wins when several qualify
        for c in sorted(classes_of_interest, key=lambda c: -totals[c]):
            out = np.where(lab_counts[:, c] >= need, c, out)
    drop = (n_unl == length) | (n_unl > max_unlabelled_fraction * length)
    if unlabelled == "drop":
        drop |= n_unl > 0
    elif unlabelled == "rule":
        drop |= (at < 0) if at is not None else (2 * n_unl > length)
    return np.where(drop, -1, out)


def make_windows(
    offsets: np.ndarray,
    labels: np.ndarray,
    n_classes: int,
    length: int,
    overlap_percent: float,
    rule: str = "majority",
    min_fraction: float = 0.25,
    classes_of_interest: list[int] | None = None,
    unlabelled: str = "rule",
    keep_dropped: bool = False,
    max_unlabelled_fraction: float = 1.0,
) -> Windows:
    """Cut every recording into windows and label them; dropped windows are removed unless
    ``keep_dropped`` (then their label is -1)."""
    step = window_step(length, overlap_percent)
    starts, rec = window_starts(offsets, length, step)
    lab = label_windows(
        labels,
        starts,
        length,
        n_classes,
        rule,
        min_fraction,
        classes_of_interest,
        unlabelled,
        max_unlabelled_fraction,
    )
    w = Windows(starts, rec, starts - np.asarray(offsets)[rec], lab, length, step)
    return w if keep_dropped else w.subset(lab >= 0)
