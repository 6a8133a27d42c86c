"""Training budget that adapts to the data size: batch size, epochs and patience.

A fixed recipe (batch 128, 20 epochs, patience 5) gives a 40-sequence training set one
optimiser step per epoch and about 20 updates in all, and watches a validation curve too
short and noisy to stop on. Here the budget is stated in *updates* (optimiser steps), the
unit in which a network actually learns, and converted to epochs for the data at hand:

* ``batch_size: auto`` -- the largest power of two <= n / 16, clipped to [8, 128], so even
  small sets get at least a few steps per epoch while large sets keep the fast batch 128;
* ``epochs: auto`` -- enough epochs for ``train.min_updates`` steps, clipped to [20, 500];
* ``early_stopping.patience: auto`` -- a fifth of that budget in updates, in epochs, at
  least 5 and at most a third of the epochs (so stopping stays possible);
* ``schedule.patience: auto`` (plateau) -- a third of the early-stopping patience, >= 2.

A whole number in the config is honoured as given; a warning says when it yields fewer
than ``min_updates / 4`` updates. Pure arithmetic written here (no library sizes a
training budget); nothing reads the validation or test split.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lstm_helpers.config import Config, TrainConfig

BATCH_MIN, BATCH_MAX = 8, 128
# 500: a 32-40-window set (batch 8, 4-5 steps per epoch) still gets min_updates 2000; at 300
# GunPoint's validation loss was still falling at the last epoch (benchmarks/README.md)
EPOCHS_MIN, EPOCHS_MAX = 20, 500
PATIENCE_MIN = 5
MIN_VAL_CASES = (
    30  # monitor auto: below this many validation windows of a class (compile.small_validation), watch the loss
)
TIE_TOLERANCE = 1e-9  # metric values closer than this are equal (PR-AUC 0.9999999999999998 is 1.0)
SATURATED_EPOCHS = 3  # epochs at the monitor's ceiling that leave validation unable to choose
CEILING = 1.0 - TIE_TOLERANCE  # every "max" monitor here (PR-AUC, ROC-AUC, accuracy, F1) tops at 1
WINDOWS_PER_STEP = 16  # auto batch: at least this many steps per epoch before clipping


class BudgetWarning(UserWarning):
    """A training budget too small to learn from (too few updates, a batch larger than the
    data): the terminal of ``lstm-workbench run`` shows it as a ``note:`` line
    (:class:`~lstm_helpers.runs.terminal.NoteEcho`), the notebook and the report as a warning."""


@dataclass(frozen=True)
class Budget:
    """The resolved training budget and how it was chosen."""

    n_train: int
    batch_size: int
    steps_per_epoch: int
    epochs: int
    patience: int  # early stopping, epochs without improvement
    plateau_patience: int  # ReduceLROnPlateau, epochs
    chosen: dict[str, str]  # parameter -> "auto" or "set"
    explanation: str
    warnings: list[str] = field(default_factory=list)

    @property
    def max_updates(self) -> int:
        return self.steps_per_epoch * self.epochs

    @property
    def patience_updates(self) -> int:
        return self.steps_per_epoch * self.patience

    def as_dict(self) -> dict:
        """JSON-ready summary (for train.json / the report)."""
        return {
            "n_train": self.n_train,
            "batch_size": self.batch_size,
            "steps_per_epoch": self.steps_per_epoch,
            "epochs": self.epochs,
            "max_updates": self.max_updates,
            "patience": self.patience,
            "patience_updates": self.patience_updates,
            "plateau_patience": self.plateau_patience,
            "chosen": dict(self.chosen),
            "explanation": self.explanation,
            "warnings": list(self.warnings),
        }


def auto_batch_size(n_train: int) -> int:
    """Largest power of two <= ``n_train / 16``, clipped to [8, 128]."""
    target = max(1.0, n_train / WINDOWS_PER_STEP)
    return int(np.clip(2 ** int(math.floor(math.log2(target))), BATCH_MIN, BATCH_MAX))


def choose_budget(
    n_train: int, class_counts: np.ndarray | list[int] | None, train: TrainConfig, stops_early: bool = True
) -> Budget:
    """Batch size, epochs and patience for ``n_train`` training windows.

    Parameters
    ----------
    n_train
        Training windows the model will see per epoch (after resampling).
    class_counts
        Training windows per class (named in the explanation: the smallest class is what
        a small batch must still meet); ``None`` to leave it out.
    train
        ``cfg.train``; ``"auto"`` values are chosen here, whole numbers are kept.
    stops_early
        False when the run will not stop early (:func:`~lstm_helpers.model.compile.keeps_final_weights`):
        the explanation then says every epoch runs instead of naming a patience.

    Raises
    ------
    ValueError
        When ``n_train`` < 1 or ``class_counts`` holds a negative number.
    """
    if int(n_train) < 1:
        raise ValueError(f"the training split holds {n_train} windows; need at least 1 to train")
    n_train = int(n_train)
    counts = None if class_counts is None else np.asarray(class_counts, dtype=np.int64)
    if counts is not None and (counts < 0).any():
        raise ValueError(f"class_counts must be >= 0, got {counts.tolist()}")
    es, sched = train.early_stopping, train.schedule
    chosen = {
        "batch_size": "auto" if train.batch_size == "auto" else "set",
        "epochs": "auto" if train.epochs == "auto" else "set",
        "early_stopping.patience": "auto" if es.patience == "auto" else "set",
        "schedule.patience": "auto" if sched.patience == "auto" else "set",
    }
    batch = auto_batch_size(n_train) if train.batch_size == "auto" else int(train.batch_size)
    steps = math.ceil(n_train / batch)
    if train.epochs == "auto":
        epochs = int(np.clip(math.ceil(train.min_updates / steps), EPOCHS_MIN, EPOCHS_MAX))
    else:
        epochs = int(train.epochs)
    if es.patience == "auto":
        want = max(PATIENCE_MIN, math.ceil(train.min_updates / 5 / steps))
        patience = min(want, max(PATIENCE_MIN, epochs // 3), epochs)
    else:
        patience = int(es.patience)
    plateau = max(2, patience // 3) if sched.patience == "auto" else int(sched.patience)

    from lstm_helpers.runs.terminal import plural  # (lazy: runs sits above model)

    warnings = _budget_warnings(n_train, batch, epochs, train, counts)
    smallest = ""
    if counts is not None and len(counts):
        present = np.asarray(counts)[np.asarray(counts) > 0]  # a padding token is a class never seen
        smallest = f", smallest class {int(present.min()):,}" if len(present) else ""

    mark = {k: "" if v == "auto" else " (set)" for k, v in chosen.items()}
    explanation = (
        f"{n_train:,} training window{'' if n_train == 1 else 's'}{smallest}: batch {batch}{mark['batch_size']} "
        f"({plural(steps, 'update')} per epoch), up to {plural(epochs, 'epoch')}{mark['epochs']} "
        f"({plural(steps * epochs, 'update')}), "
        + (
            f"early-stopping patience {plural(patience, 'epoch')}{mark['early_stopping.patience']} "
            f"(~{plural(steps * patience, 'update')})"
            if stops_early
            else "all of them (no early stopping)"
        )
    )
    if sched.kind == "plateau":
        explanation += f", plateau patience {plural(plateau, 'epoch')}{mark['schedule.patience']}"
    return Budget(n_train, batch, steps, epochs, patience, plateau, chosen, explanation, warnings)


def _budget_warnings(n_train: int, batch: int, epochs: int, train: TrainConfig, counts: np.ndarray | None) -> list[str]:
    """Too few updates for ``train.min_updates`` (a quarter of it), and a set batch larger than
    the training windows, each count in words that agree with it (1 update, 1 window)."""
    from lstm_helpers.runs.terminal import plural  # (lazy: runs sits above model)

    windows, updates = f"{n_train:,} training window{'' if n_train == 1 else 's'}", math.ceil(n_train / batch) * epochs
    warnings: list[str] = []
    if updates < train.min_updates / 4:
        warnings.append(
            f"{windows} at batch {batch} for {plural(epochs, 'epoch')} give{'s' * (n_train == 1)} only "
            f"{plural(updates, 'update')} (train.min_updates = {train.min_updates}); set train.epochs / "
            "train.batch_size to auto or raise them"
        )
    # auto's smallest batch is 8: no setting to blame
    if counts is not None and len(counts) and batch > n_train and train.batch_size != "auto":
        warnings.append(f"train.batch_size = {batch} exceeds the {windows}")
    return warnings


def apply_budget(cfg: Config, budget: Budget) -> Config:
    """A copy of ``cfg`` whose ``train`` holds the budget's whole numbers (no ``"auto"``)."""
    out = cfg.model_copy(deep=True)
    out.train.batch_size = budget.batch_size
    out.train.epochs = budget.epochs
    out.train.early_stopping.patience = budget.patience
    out.train.schedule.patience = budget.plateau_patience
    return out


def saturated_epochs(history: pd.DataFrame, monitor: str, mode: str) -> int:
    """Epochs of ``history`` whose ``monitor`` reached its ceiling of 1 (0 for a loss, which
    has none, and for a monitor the history lacks). From :data:`SATURATED_EPOCHS` on,
    validation cannot rank the run's epochs (:mod:`lstm_helpers.model.ensemble`)."""
    if mode != "max" or monitor not in history:
        return 0
    return int((history[monitor].to_numpy(float) >= CEILING).sum())


def compounded_weighting(
    train_cfg: TrainConfig, classes: list[str], class_weight: dict[int, float] | None, y_train: np.ndarray
) -> str | None:
    """A warning when a binary focal alpha and class weights both apply and their product tilts
    the loss more than 1.5x past balance (story 1 sets both: alpha 0.75 on balanced weights made a
    play window weigh 19x an other one against 6.4:1 in the data, and a 0.5 threshold flagged
    every window). None when one of them is off or the product stays near balance."""
    focal_alpha, counts = train_cfg.focal_alpha, np.bincount(y_train, minlength=len(classes))
    off = train_cfg.loss != "focal" or not train_cfg.use_class_weight
    if off or focal_alpha is None or not class_weight or len(classes) != 2 or min(counts) == 0:
        return None
    neg, pos = classes
    tilt = focal_alpha * class_weight[1] / ((1 - focal_alpha) * class_weight[0])
    balance = counts[0] / counts[1]
    if 1 / 1.5 <= tilt / balance <= 1.5:
        return None
    side = pos if tilt > balance else neg
    return (
        f"train.focal_alpha {focal_alpha:g} and class weights both apply: a {pos} window weighs {tilt:.3g}x a "
        f"{neg} one, while training holds {balance:.3g} {neg} windows per {pos} one, so the loss favours "
        f"{side} {max(tilt / balance, balance / tilt):.2g}x past balance and scores drift toward it (a threshold "
        "chosen on validation makes up for it, a fixed one does not); keep one: train.use_class_weight: false "
        "or train.focal_alpha: null"
    )
