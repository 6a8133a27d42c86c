"""Stage 02's epoch timing: the compact line printed per epoch, ``timing.csv`` and an honest ETA.

:class:`TimingCallback` measures each epoch (training, validation, and the callbacks after
it), writes ``timing.csv`` (every epoch exactly once after a resume) and, with
``train.verbose`` 1 or 2, prints :func:`compact_epoch_line` after each epoch and, within an
epoch longer than :data:`PROGRESS_EVERY`, :func:`in_epoch_line` that often (story 3: a
character model's epoch of many minutes was silent). Only public Keras hooks are used.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd

from lstm_helpers.artifacts import write_text
from lstm_helpers.data.prepared import PreparedData
from lstm_helpers.model.callbacks import prior_rows
from lstm_helpers.style import fmt_number

PROGRESS_EVERY = 30.0  # seconds: an epoch that runs longer prints an in-epoch line this often
# train.verbose 2 adds Keras' own line after each epoch line: its time per step divides the whole
# epoch (validation and the callbacks after it too), ours the training steps' seconds alone, and
# 249 ms/step beside Keras' 322ms/step for one epoch read as a contradiction
KERAS_LINES_NOTE = (
    "train.verbose 2: Keras' line under each epoch line ('4/4 - 1s - 322ms/step') times the whole epoch, "
    "validation, checkpoint and logs included; the epoch line's ms/step times the training steps alone"
)


def undefined_metrics(data: PreparedData) -> dict[str, str]:
    """The epoch line's validation figures that measure nothing on ``data``'s validation split, each
    with why: a binary task's ``val_pr_auc`` (Keras' PR-AUC of label 1) when validation holds no window
    of that class, which Keras logs as 0.0 (there is no precision-recall curve to measure)."""
    y = np.asarray(data.y_val)
    if data.n_classes != 2 or not len(y) or (y == 1).any():
        return {}
    return {"val_pr_auc": f"validation holds no '{data.classes[1]}' window, so there is no precision-recall curve"}


def undefined_note(undefined: dict[str, str]) -> str | None:
    """The once-only line that says why the epoch lines show ``–`` (:func:`undefined_metrics`)."""
    if not undefined:
        return None
    return "note: " + "; ".join(
        f"{k} is undefined (shown as –): {why}; Keras logs 0.0 for it" for k, why in undefined.items()
    )


def _per_step(ms_per_step: float) -> str:
    return f"{ms_per_step:.{0 if ms_per_step >= 10 else 1}f} ms/step"


def in_epoch_line(
    epoch: int,
    epochs: int,
    steps: int,
    steps_per_epoch: int,
    ms_per_step: float,
    epoch_left_seconds: float,
    eta_seconds: float | None = None,
) -> str:
    """Where a long epoch stands: ``epoch 1/2  step 120/400  1523 ms/step  epoch ends in ~7 min 02 s``,
    with ``  ETA ~1 h 10 min`` (the whole run) once an epoch has been measured."""
    from lstm_helpers.runs.terminal import duration

    parts = [f"epoch {epoch}/{epochs}", f"step {steps}/{steps_per_epoch}", _per_step(ms_per_step)]
    parts.append(f"epoch ends in ~{duration(epoch_left_seconds)}")
    if eta_seconds is not None:
        parts.append(f"ETA ~{duration(eta_seconds)}")
    return "  ".join(parts)


def compact_epoch_line(
    epoch: int,
    epochs: int,
    seconds: float,
    windows_per_second: float,
    eta_seconds: float,
    logs: dict,
    eta_is_bound: bool = False,
    ms_per_step: float | None = None,
    eta: bool = True,
    eta_per_epoch: float | None = None,
    eta_words: bool = True,
    undefined: Any = (),
) -> str:
    """One short line per epoch: ``epoch 3/15  12 s  98 ms/step  2110 windows/s  loss 0.412  val_loss 0.380
    val_pr_auc 0.710  ETA 2 min 24 s``
    (scores as the reports write them, :func:`~lstm_helpers.style.fmt_number`: 0.200 and
    1.000, not 0.2 and 1, beside 0.784; losses with three significant digits, 3.00 beside 2.95).

    ``eta_is_bound``: the ETA comes only from an epoch that included graph tracing (several
    times a steady epoch), so it is printed as an upper bound, ``ETA under 1 min 28 s``;
    ``ms_per_step``: the training steps' seconds per step, validation left out (Keras' own line,
    ``train.verbose`` 2, divides the whole epoch: :data:`KERAS_LINES_NOTE`);
    ``eta=False`` leaves it out (an epoch of an earlier attempt, replayed on resume).
    ``eta_per_epoch``: the seconds per epoch it multiplies, said beside it once they include what
    runs after an epoch ends (history, checkpoint, backup; measured from the second epoch on),
    which the line's own seconds cannot: ``ETA 3.0 s (13 x 0.23 s with checkpoint and logs)``
    (an ETA of 13 x 0.56 s beside epochs of 0.4 s read as a wrong sum); ``eta_words`` False: the
    product alone, ``(12 x 0.23 s)``, once an earlier line has said what it counts. Figures named in
    ``undefined`` (:func:`undefined_metrics`) are written ``–``, not the 0.0 Keras logs for them."""
    from lstm_helpers.runs.terminal import duration

    step = [] if ms_per_step is None else [_per_step(ms_per_step)]
    parts = [f"epoch {epoch}/{epochs}", duration(seconds), *step, f"{windows_per_second:.0f} windows/s"]
    # binary: PR-AUC of the positive class; multi-class: accuracy, balanced accuracy, top-k accuracy
    multi = ["loss", "val_loss", "val_accuracy", "val_balanced_accuracy"]
    shown = ["loss", "val_loss", "val_pr_auc"] if "val_pr_auc" in logs else multi
    shown += [k for k in logs if k.startswith("val_top") and k.endswith("_accuracy")]
    for k in (k for k in shown if k in logs):
        parts.append(
            f"{k} {'–' if k in undefined else (_loss_text if k.endswith('loss') else fmt_number)(float(logs[k]))}"
        )
    if eta and epoch < epochs:
        per = (
            ""
            if eta_per_epoch is None
            else f" ({epochs - epoch} x {_epoch_seconds(eta_per_epoch)}{' with checkpoint and logs' * eta_words})"
        )
        parts.append(f"ETA {'under ' if eta_is_bound else ''}{duration(eta_seconds)}{per}")
    return "  ".join(parts)


def _epoch_seconds(seconds: float) -> str:
    """Seconds per epoch in an ETA's product, precise enough to check it: 0.23 s, 3.0 s, 13.5 s,
    1 min 52 s (10 x 14 s beside an ETA of 2 min 15 s read as a wrong sum: 13.5 s rounded)."""
    from lstm_helpers.runs.terminal import duration

    return f"{seconds:.2f} s" if seconds < 1 else f"{seconds:.1f} s" if seconds < 100 else duration(seconds)


def _loss_text(x: float) -> str:
    """A loss with three significant digits kept, trailing zeros too, so one column of epoch lines
    reads alike: 3.00, 2.95, 2.90 (fmt_number wrote "3" and "2.9" beside "2.95")."""
    if not math.isfinite(x):
        return fmt_number(x)
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:#.3g}"


class TimingCallback(keras.callbacks.Callback):
    """Seconds per epoch, per step, windows per second and an honest ETA; writes ``timing.csv``.

    An epoch's time is split into training (``on_epoch_begin`` -> validation start) and
    validation; ``after_seconds`` is what the callbacks after this one spend once it ends
    (history, checkpoint, backup: measured up to the next epoch's start, or the end of
    ``fit``). ``windows_per_second`` is training windows / training seconds. The ETA is
    the mean duration of completed epochs, their callbacks included, x the epochs still
    planned (an upper bound when early stopping ends the run sooner). The first epoch of each ``fit`` call includes
    graph tracing, so once more than one epoch is measured it is left out of the mean
    (steady state); the printed line says which epochs the mean uses.

    An epoch that runs longer than ``progress_every`` seconds also prints :func:`in_epoch_line`
    at most that often (the first after that long): steps done, the time per step so far in
    this epoch (without its first step, which traces the graph), when the epoch ends (its
    remaining steps and the last validation's seconds) and, once an epoch is measured, the
    run's ETA. It ends with a carriage return, not a newline: a notebook overwrites it with
    the next line, so the executed notebook keeps only the epoch lines; the CLI's terminal
    shows it as a line of its own (:class:`~lstm_helpers.runs.terminal.ProgressEcho`).

    Parameters
    ----------
    n_windows, steps_per_epoch, epochs : int
        Training windows, batches per epoch, planned epochs.
    path : Path, optional
        Where to write ``timing.csv`` (every epoch exactly once after a resume).
    previous : DataFrame, optional
        ``timing.csv`` rows of an interrupted run being resumed.
    undefined : dict, optional
        Logged figures that measure nothing on this validation split, with why
        (:func:`undefined_metrics`): the epoch lines write them ``–``, under one line that says why.
    previous_logs : DataFrame, optional
        Its ``history.csv`` rows: with ``verbose``, the restored epochs' lines are printed
        again before the first new epoch, so the epoch log of a resumed run holds every epoch
        (Keras' fit starts at the first new one).
    verbose : bool
        Print one line per epoch, and the in-epoch lines.
    clock : callable
        Returns seconds (``time.perf_counter``; tests pass a fake clock).
    progress_every : float
        Seconds between in-epoch lines (:data:`PROGRESS_EVERY`).
    """

    def __init__(
        self,
        n_windows: int,
        steps_per_epoch: int,
        epochs: int,
        path: Path | None = None,
        previous: pd.DataFrame | None = None,
        verbose: bool = True,
        clock: Callable[[], float] = time.perf_counter,
        progress_every: float = PROGRESS_EVERY,
        previous_logs: pd.DataFrame | None = None,
        undefined: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.undefined = dict(undefined or {})
        self.previous_logs = previous_logs
        self.clock = clock
        self.n_windows = int(n_windows)
        self.steps_per_epoch = int(steps_per_epoch)
        self.epochs = int(epochs)
        self.path = Path(path) if path is not None else None
        self.previous = previous
        self.verbose = verbose
        self.records: list[dict[str, Any]] = []
        self._epoch_start: float | None = None
        self._val_start: float | None = None
        self._epoch_end: float | None = None
        self._first_in_fit, self._eta_said = True, False
        self.progress_every = float(progress_every)
        self._epoch = 0
        self._next_progress = float("inf")
        self._first_step_end: float | None = None
        self._width = 0  # of the longest in-epoch line of this epoch: the next line covers it

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.records, self._first_in_fit, self._eta_said = [], True, False
        if self.verbose and (self.params or {}).get("verbose") == 2:  # train.verbose 2: Keras' lines follow ours
            print(KERAS_LINES_NOTE, flush=True)
        if self.verbose and self.undefined:
            print(undefined_note(self.undefined), flush=True)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self._first_in_fit:
            prior = prior_rows(self.previous, epoch)
            self.records = prior.to_dict("records") if prior is not None else []
            if self.verbose and self.records:
                self._replay_lines(epoch)
        self._val_start = None
        self._epoch_start = self.clock()
        self._epoch, self._first_step_end = epoch, None
        self._next_progress = self._epoch_start + self.progress_every
        if not self._first_in_fit and self._epoch_end is not None and self.records:
            self.records[-1]["after_seconds"] = self._epoch_start - self._epoch_end

    def _replay_lines(self, done: int) -> None:
        """The restored epochs' lines, from the interrupted attempt's ``timing.csv`` and
        ``history.csv``, under a line that says where the run continues."""
        logs = prior_rows(self.previous_logs, done)
        by_epoch = {int(r["epoch"]): r for r in logs.to_dict("records")} if logs is not None else {}
        print(f"continued after epoch {done} of {self.epochs}; the epochs before the interruption:", flush=True)
        for r in self.records:
            e = int(r["epoch"])
            row = {k: v for k, v in by_epoch.get(e, {}).items() if k not in ("epoch", "lr")}
            print(
                compact_epoch_line(
                    e,
                    self.epochs,
                    float(r["seconds"]),
                    float(r["windows_per_second"]),
                    0.0,
                    row,
                    ms_per_step=float(r["ms_per_step"]),
                    eta=False,
                    undefined=self.undefined,
                ),  # fmt: skip
                flush=True,
            )

    def on_train_end(self, logs: dict | None = None) -> None:
        if self._epoch_end is not None and self.records and not self._first_in_fit:
            self.records[-1]["after_seconds"] = self.clock() - self._epoch_end
            if self.path is not None:
                write_text(self.path, pd.DataFrame(self.records).to_csv(index=False))
        self._epoch_end = None

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Reads the clock only, never ``logs``: reading a tensor would wait for the device."""
        if not self.verbose:
            return
        now = self.clock()
        if self._first_step_end is None:
            self._first_step_end = now
        if now >= self._next_progress:
            self._next_progress = now + self.progress_every
            self._print_progress(batch + 1, now)

    def _print_progress(self, steps: int, now: float) -> None:
        if steps > 1 and self._first_step_end is not None:  # the first step (graph tracing) left out
            step_seconds = (now - self._first_step_end) / (steps - 1)
        else:
            start = self._epoch_start if self._epoch_start is not None else now
            step_seconds = (now - start) / max(steps, 1)
        last_val = float(self.records[-1].get("val_seconds", 0.0)) if self.records else 0.0
        last_val = 0.0 if np.isnan(last_val) else last_val
        left = step_seconds * max(self.steps_per_epoch - steps, 0) + last_val
        eta = None
        if self.records:  # later epochs: the steady mean, or else this epoch's pace (no tracing)
            steady = not all(bool(r["includes_tracing"]) for r in self.records)
            per_epoch = self.steady_epoch_seconds()[0] if steady else step_seconds * self.steps_per_epoch + last_val
            eta = left + per_epoch * max(self.epochs - self._epoch - 1, 0)
        line = in_epoch_line(
            self._epoch + 1, self.epochs, steps, self.steps_per_epoch, 1000.0 * step_seconds, left, eta
        )
        self._width = max(self._width, len(line))
        print(line.ljust(self._width), end="\r", flush=True)

    def on_test_begin(self, logs: dict | None = None) -> None:
        if self._epoch_start is not None:
            self._val_start = self.clock()

    def epoch_seconds(self) -> pd.Series:
        """Each completed epoch's seconds with the callbacks after it (checkpoint, backup,
        logs; where not yet measured, the mean of those measured): what a user waits per
        epoch, the one figure ``train.json`` and the reports give."""
        frame = pd.DataFrame(self.records)
        if frame.empty:
            return pd.Series(dtype=float)
        after = frame["after_seconds"] if "after_seconds" in frame else pd.Series(np.nan, index=frame.index)
        known = after.dropna()
        return frame["seconds"] + after.fillna(float(known.mean()) if len(known) else 0.0)

    def steady_epoch_seconds(self) -> tuple[float, str]:
        """Mean of :meth:`epoch_seconds` over completed epochs, and which epochs it uses."""
        if not self.records:
            return float("nan"), "no epoch measured"
        frame = pd.DataFrame(self.records)
        total = self.epoch_seconds()
        steady = ~frame["includes_tracing"].astype(bool)
        if not steady.any():
            return float(total.mean()), "only the first epoch, incl. graph tracing"
        return float(total[steady].mean()), (
            f"mean of {int(steady.sum())} epoch(s), excluding each fit call's first epoch (graph tracing)"
        )

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        end = self._epoch_end = self.clock()
        start = self._epoch_start if self._epoch_start is not None else end
        val_start = self._val_start if self._val_start is not None else end
        seconds, train_seconds = end - start, val_start - start
        record = {
            "epoch": epoch + 1,
            "seconds": seconds,
            "train_seconds": train_seconds,
            "val_seconds": end - val_start,
            "ms_per_step": 1000.0 * train_seconds / max(self.steps_per_epoch, 1),
            "windows_per_second": self.n_windows / train_seconds if train_seconds > 0 else float("nan"),
            "includes_tracing": self._first_in_fit,
        }
        self._first_in_fit = False
        self.records = [r for r in self.records if r["epoch"] < epoch + 1] + [record]
        mean, _ = self.steady_epoch_seconds()
        remaining = self.epochs - (epoch + 1)
        record["eta_seconds"] = mean * remaining
        if self.path is not None:
            write_text(self.path, pd.DataFrame(self.records).to_csv(index=False))
        if self.verbose:
            print(
                compact_epoch_line(
                    epoch + 1,
                    self.epochs,
                    seconds,
                    record["windows_per_second"],
                    record["eta_seconds"],
                    logs or {},
                    eta_is_bound=all(r["includes_tracing"] for r in self.records),
                    ms_per_step=record["ms_per_step"],
                    eta_per_epoch=mean if self._after_measured() else None,
                    eta_words=not self._eta_said,  # said on the first line that shows the product
                    undefined=self.undefined,
                ).ljust(self._width),  # covers an in-epoch line left on the same line
                flush=True,
            )
            self._eta_said = self._eta_said or self._after_measured()
        self._width = 0

    def _after_measured(self) -> bool:
        """Whether an epoch's callbacks after it (``after_seconds``) are measured: from the second epoch of a fit."""
        return any(pd.notna(r.get("after_seconds", np.nan)) for r in self.records)

    @property
    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.records)
