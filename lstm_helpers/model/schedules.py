"""Learning-rate schedules: ``cfg.train.schedule`` -> a Keras schedule or callback.

* ``constant``: the optimizer's float learning rate.
* ``plateau``: constant, lowered by a ``ReduceLROnPlateau`` callback (factor,
  patience, min_lr) when the monitored metric stops improving, by early stopping's rule
  (:class:`~lstm_helpers.model.callbacks.ResumableReduceLROnPlateau`: ties broken by the
  validation loss).
* ``cosine``: ``keras.optimizers.schedules.CosineDecay`` from ``learning_rate`` to
  ``min_lr`` over all training steps.
* ``cyclical``: :class:`CyclicalLearningRate` (Smith 2017), written here because Keras
  has no cyclical schedule.
* ``one_cycle``: :class:`OneCycleLearningRate`, written here because Keras has no
  one-cycle schedule.

The hand-written schedules are ``LearningRateSchedule`` subclasses registered with
Keras' serialiser, so a compiled ``model.keras`` that uses one saves and loads (import
this module before ``keras.models.load_model``; ``lstm_helpers.model.models.load_trained_model``
does it).
"""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

from lstm_helpers.config import ScheduleConfig
from lstm_helpers.model.callbacks import ResumableReduceLROnPlateau

SERIALIZATION_PACKAGE = "lstm_workbench"
CYCLICAL_MODES = ("triangular", "triangular2", "exp_range")


@keras.saving.register_keras_serializable(package=SERIALIZATION_PACKAGE)
class CyclicalLearningRate(keras.optimizers.schedules.LearningRateSchedule):
    """Cyclical learning rate (Smith 2017, "Cyclical Learning Rates for Training Neural
    Networks", WACV), hand-written because Keras provides none.

    With ``cycle = floor(1 + step / (2 * step_size))`` and
    ``x = |step / step_size - 2 * cycle + 1|``::

        lr = base_lr + (max_lr - base_lr) * max(0, 1 - x) * scale

    where ``scale`` is 1 (``triangular``), ``1 / 2 ** (cycle - 1)`` (``triangular2``:
    the amplitude halves each cycle) or ``gamma ** step`` (``exp_range``).

    Parameters
    ----------
    base_lr, max_lr : float
        Lower and upper bound of the cycle.
    step_size : float
        Steps in half a cycle (Smith suggests 2-10 epochs' worth).
    mode : {"triangular", "triangular2", "exp_range"}
    gamma : float
        Per-step decay of the amplitude for ``exp_range``.
    """

    def __init__(
        self,
        base_lr: float,
        max_lr: float,
        step_size: float,
        mode: str = "triangular",
        gamma: float = 1.0,
        name: str = "CyclicalLearningRate",
    ) -> None:
        if mode not in CYCLICAL_MODES:
            raise ValueError(f"cyclical mode {mode!r} is not one of {CYCLICAL_MODES}")
        if step_size <= 0:
            raise ValueError(f"cyclical step_size must be > 0 steps, got {step_size}")
        if max_lr < base_lr:
            raise ValueError(f"cyclical max_lr ({max_lr}) must be >= base_lr ({base_lr})")
        self.base_lr = float(base_lr)
        self.max_lr = float(max_lr)
        self.step_size = float(step_size)
        self.mode = mode
        self.gamma = float(gamma)
        self.name = name

    def __call__(self, step: Any) -> Any:
        step = ops.cast(step, "float32")
        cycle = ops.floor(1.0 + step / (2.0 * self.step_size))
        x = ops.abs(step / self.step_size - 2.0 * cycle + 1.0)
        if self.mode == "triangular":
            scale = ops.ones_like(step)
        elif self.mode == "triangular2":
            scale = 1.0 / ops.power(2.0, cycle - 1.0)
        else:
            scale = ops.power(self.gamma, step)
        return self.base_lr + (self.max_lr - self.base_lr) * ops.maximum(0.0, 1.0 - x) * scale

    def get_config(self) -> dict[str, Any]:
        return {
            "base_lr": self.base_lr,
            "max_lr": self.max_lr,
            "step_size": self.step_size,
            "mode": self.mode,
            "gamma": self.gamma,
            "name": self.name,
        }


@keras.saving.register_keras_serializable(package=SERIALIZATION_PACKAGE)
class OneCycleLearningRate(keras.optimizers.schedules.LearningRateSchedule):
    """One-cycle policy (Smith & Topin 2018), hand-written because Keras provides none.

    Cosine annealing (as PyTorch's ``OneCycleLR`` default) from ``initial_lr`` up to
    ``max_lr`` over the first ``warmup_steps = round(warmup_fraction * total_steps)``
    steps, then down to ``final_lr`` at ``total_steps``; constant ``final_lr`` after::

        rise:  lr = max_lr + (initial_lr - max_lr) * (1 + cos(pi * s / warmup_steps)) / 2
        fall:  lr = final_lr + (max_lr - final_lr) * (1 + cos(pi * t)) / 2,
               t = (s - warmup_steps) / (total_steps - warmup_steps)

    Parameters
    ----------
    initial_lr, max_lr, final_lr : float
    total_steps : int
    warmup_fraction : float
        Share of the steps spent rising, in [0, 1).
    """

    def __init__(
        self,
        initial_lr: float,
        max_lr: float,
        total_steps: int,
        warmup_fraction: float = 0.3,
        final_lr: float = 0.0,
        name: str = "OneCycleLearningRate",
    ) -> None:
        if total_steps < 1:
            raise ValueError(f"one_cycle total_steps must be >= 1, got {total_steps}")
        if not 0.0 <= warmup_fraction < 1.0:
            raise ValueError(f"one_cycle warmup_fraction must be in [0, 1), got {warmup_fraction}")
        self.initial_lr = float(initial_lr)
        self.max_lr = float(max_lr)
        self.total_steps = int(total_steps)
        self.warmup_fraction = float(warmup_fraction)
        self.final_lr = float(final_lr)
        self.name = name

    @property
    def warmup_steps(self) -> int:
        return int(round(self.warmup_fraction * self.total_steps))

    def __call__(self, step: Any) -> Any:
        step = ops.minimum(ops.cast(step, "float32"), float(self.total_steps))
        warm = float(self.warmup_steps)
        rise_t = step / max(warm, 1.0)
        rise = self.max_lr + (self.initial_lr - self.max_lr) * (1.0 + ops.cos(math.pi * rise_t)) / 2.0
        fall_t = (step - warm) / max(float(self.total_steps) - warm, 1.0)
        fall = self.final_lr + (self.max_lr - self.final_lr) * (1.0 + ops.cos(math.pi * fall_t)) / 2.0
        return ops.where(step < warm, rise, fall)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_lr": self.initial_lr,
            "max_lr": self.max_lr,
            "total_steps": self.total_steps,
            "warmup_fraction": self.warmup_fraction,
            "final_lr": self.final_lr,
            "name": self.name,
        }


def make_schedule(
    schedule_cfg: ScheduleConfig,
    learning_rate: float,
    steps_per_epoch: int,
    epochs: int,
) -> float | keras.optimizers.schedules.LearningRateSchedule:
    """The optimizer's ``learning_rate`` argument for ``cfg.train.schedule``.

    ``constant`` and ``plateau`` give the float (plateau works through Keras'
    ``ReduceLROnPlateau`` callback, added by ``lstm_helpers.model.training``); the others a
    per-step schedule over
    ``steps_per_epoch * epochs`` steps. ``max_lr`` None means 3 x ``learning_rate`` for
    ``one_cycle`` (0.003 from Adam's 0.001: the recipe measured in benchmarks/README.md,
    "Real data") and 10 x for ``cyclical``.
    """
    kind = schedule_cfg.kind
    total_steps = max(1, int(steps_per_epoch) * int(epochs))
    factor = 3.0 if kind == "one_cycle" else 10.0
    max_lr = schedule_cfg.max_lr if schedule_cfg.max_lr is not None else factor * learning_rate
    if kind in ("constant", "plateau"):
        return float(learning_rate)
    if kind == "cosine":
        return keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=learning_rate,
            decay_steps=total_steps,
            alpha=min(1.0, schedule_cfg.min_lr / learning_rate),
        )
    if max_lr < learning_rate:
        raise ValueError(
            f"train.schedule.max_lr = {max_lr} is below train.learning_rate = {learning_rate}; "
            f"the {kind} schedule rises from learning_rate to max_lr"
        )
    if kind == "cyclical":
        return CyclicalLearningRate(
            base_lr=learning_rate,
            max_lr=max_lr,
            step_size=schedule_cfg.step_size_epochs * steps_per_epoch,
            mode=schedule_cfg.mode,
            gamma=schedule_cfg.gamma,
        )
    if kind == "one_cycle":
        return OneCycleLearningRate(
            initial_lr=learning_rate,
            max_lr=max_lr,
            total_steps=total_steps,
            warmup_fraction=schedule_cfg.warmup_fraction,
            final_lr=min(schedule_cfg.min_lr, learning_rate),
        )
    raise ValueError(f"train.schedule.kind = {kind!r} is not supported")


def learning_rate_curve(schedule: float | keras.optimizers.schedules.LearningRateSchedule, total_steps: int) -> Any:
    """The learning rate at every step 0..total_steps-1 as a numpy array (vectorised)."""
    import numpy as np

    steps = np.arange(int(total_steps))
    if not callable(schedule):
        return np.full(steps.shape, float(schedule))
    return np.asarray(ops.convert_to_numpy(schedule(steps)), dtype=float)


def plateau_callback(schedule_cfg: ScheduleConfig, monitor: str, mode: str) -> list[keras.callbacks.Callback]:
    """``[ReduceLROnPlateau]`` watching ``monitor`` for a ``plateau`` schedule (with ``patience``
    already a number, as the budget leaves it), else ``[]``: a search trial's learning rate
    then falls as the run's would, by the run's rule (ties broken by the validation loss;
    nothing to resume here)."""
    if schedule_cfg.kind != "plateau":
        return []
    return [
        ResumableReduceLROnPlateau(
            monitor=monitor, mode=mode, factor=schedule_cfg.factor, patience=int(schedule_cfg.patience),
            min_lr=schedule_cfg.min_lr, verbose=0,
        )
    ]  # fmt: skip
