"""Compile parts of stage 02: the Keras loss, metrics, optimizer and the monitored quantity
that ``cfg.train`` describes (Keras components; the one metric Keras lacks, balanced
accuracy, is :class:`BalancedAccuracy`)."""

from __future__ import annotations

import warnings
from typing import Any

import keras
import numpy as np

from lstm_helpers.config import Config, TrainConfig
from lstm_helpers.model.budget import MIN_VAL_CASES
from lstm_helpers.model.logged import auto_metric, check_logged, refuse_mode_without_monitor, top_k_for
from lstm_helpers.model.schedules import SERIALIZATION_PACKAGE
from lstm_helpers.model.summary import ADAMW_DECAY


@keras.saving.register_keras_serializable(package=SERIALIZATION_PACKAGE)
class BalancedAccuracy(keras.metrics.Metric):
    """Balanced accuracy: the mean over classes of the share of their windows predicted
    right (recall), over the classes that have windows; scikit-learn's
    ``balanced_accuracy_score``, accumulated over batches from per-class hits and counts.

    Written here because Keras has none: ``Recall(class_id=k)`` is one metric per class
    and wants one-hot labels, ``F1Score`` wants one-hot labels and scores F1. Takes sparse
    class indices or one-hot rows as labels and class probabilities as predictions (the
    prediction is their argmax), as the multi-class models here are trained. It is what the
    report headlines and a sweep ranks multi-class runs by, so early stopping and a search
    watch the same quantity; plain accuracy follows the majority class. (During training the
    decisions are the argmax; a threshold for a class of interest, chosen on validation after
    training, changes them, so the report's validation figure can differ.)"""

    def __init__(self, n_classes: int, name: str = "balanced_accuracy", **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.n_classes = int(n_classes)
        self.hits = self.add_variable(shape=(self.n_classes,), initializer="zeros", name="hits")
        self.counts = self.add_variable(shape=(self.n_classes,), initializer="zeros", name="counts")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        ops = keras.ops
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.convert_to_tensor(y_true)
        if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == self.n_classes:
            true = ops.argmax(y_true, axis=-1)  # one-hot (focal loss, label smoothing)
        else:
            true = ops.reshape(ops.cast(y_true, "int32"), (-1,))
        pred = ops.reshape(ops.argmax(y_pred, axis=-1), (-1,))
        rows = ops.one_hot(true, self.n_classes, dtype=self.dtype)
        if sample_weight is not None:
            rows = rows * ops.reshape(ops.cast(sample_weight, self.dtype), (-1, 1))
        right = ops.cast(ops.equal(ops.cast(true, "int32"), ops.cast(pred, "int32")), self.dtype)
        self.counts.assign_add(ops.sum(rows, axis=0))
        self.hits.assign_add(ops.sum(rows * ops.expand_dims(right, -1), axis=0))

    def result(self) -> Any:
        ops = keras.ops
        present = ops.cast(self.counts > 0, self.dtype)
        recall = ops.divide_no_nan(self.hits, self.counts)
        return ops.divide_no_nan(ops.sum(recall * present), ops.sum(present))

    def reset_state(self) -> None:
        for v in (self.hits, self.counts):
            v.assign(keras.ops.zeros_like(v))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "n_classes": self.n_classes}


def small_validation(val_counts: np.ndarray | list[int] | None) -> bool:
    """Whether validation is too small for accuracy / PR-AUC to rank epochs.

    Binary (PR-AUC of the positive class): either class has fewer than
    :data:`MIN_VAL_CASES` windows. Multi-class: fewer than :data:`MIN_VAL_CASES` windows
    per class on average. Not the rarest class there: a character model's validation of
    thousands of windows holds rare characters (and never a padding token), yet its
    accuracy and balanced accuracy are far from saturating. A rare class does make balanced
    accuracy jumpy (a class of n windows moves it by 1 / (K n) per window); the report says
    when validation swings more than the test split resolves (judge/validation_notes.py)."""
    if val_counts is None or len(val_counts) == 0:
        return False
    counts = np.asarray(val_counts, dtype=np.int64)
    if len(counts) <= 2:
        return int(counts.min()) < MIN_VAL_CASES
    return int(counts.sum()) < MIN_VAL_CASES * len(counts)


def _few_words(val_counts: np.ndarray | list[int]) -> str:
    """Why :func:`small_validation` holds, for the run's log."""
    counts = np.asarray(val_counts, dtype=np.int64)
    if len(counts) <= 2 and int(counts.min()) == 0:  # not "0 window(s) of its smallest class": PR-AUC is undefined
        return "validation holds no window of one of the two classes"
    if len(counts) <= 2:
        return f"validation holds {int(counts.min())} window(s) of its smallest class (< {MIN_VAL_CASES})"
    return (
        f"validation holds {int(counts.sum())} windows for {len(counts)} classes "
        f"(< {MIN_VAL_CASES} per class on average)"
    )


def resolve_monitor(
    train_cfg: TrainConfig,
    n_classes: int,
    val_counts: np.ndarray | list[int] | None = None,
    n_targets: int | None = None,
) -> tuple[str, str]:
    """``(monitor, mode)`` for early stopping, the checkpoint and the plateau schedule.

    ``monitor: auto`` is ``val_pr_auc`` (binary) / ``val_balanced_accuracy`` (multi-class:
    what the report headlines and a sweep ranks by; accuracy follows the majority class), except
    when ``val_counts`` (validation windows per class) is too small
    (:func:`small_validation`): then ``val_loss``. On so small a validation set accuracy and
    PR-AUC reach 1.0 within a few epochs and stay there; Keras counts a tie as no
    improvement, so the *first* epoch at the maximum would be kept, undertrained, while the
    loss keeps ranking epochs (benchmarks/README.md, "Real data"). Mode ``auto`` is ``min``
    for losses and ``max`` otherwise.

    Raises
    ------
    ValueError
        When ``train.monitor`` names no logged quantity.
    """
    if train_cfg.monitor == "auto":
        refuse_mode_without_monitor(train_cfg)
        monitor = auto_metric(n_classes)
        if small_validation(val_counts):
            monitor = "val_loss"
    else:
        monitor = train_cfg.monitor
    check_logged(monitor, n_classes, train_cfg, "train.monitor", n_targets=n_targets)
    mode = train_cfg.monitor_mode
    if mode == "auto":
        mode = "min" if monitor.endswith("loss") else "max"
    return monitor, mode


def keeps_final_weights(train_cfg: TrainConfig, val_counts: np.ndarray | list[int] | None) -> bool:
    """Whether the whole one-cycle schedule runs and its final weights are kept.

    So under ``monitor: auto`` with ``schedule.kind: one_cycle`` when validation is too small
    (:func:`small_validation`): a loss over so few windows ranks
    epochs by confidence, not by what generalises; it kept warm-up epochs (8-18 of 75) on
    JapaneseVowels, whose final one-cycle weights scored +0.007 test accuracy on average
    over 8 seeds and were level on GunPoint (benchmarks/README.md, "Real data"). Keeping the
    last epoch of an annealed cycle is the one-cycle recipe itself (Smith 2018). An explicit
    ``train.monitor`` keeps early stopping and the checkpoint.
    """
    return train_cfg.monitor == "auto" and train_cfg.schedule.kind == "one_cycle" and small_validation(val_counts)


def chooses_threshold(cfg: Config, prep: dict[str, Any]) -> bool:
    """Whether stage 03 chooses a threshold for a multi-class run: on its first class of interest
    (``prepare.json``'s ``classes_of_interest``, ``prep``), unless ``evaluate.multiclass_decision``
    is argmax (judge/evaluation.py::_decision_rule); a binary run always has one."""
    return cfg.evaluate.multiclass_decision == "threshold" and bool(prep.get("classes_of_interest"))


def monitor_explanation(
    train_cfg: TrainConfig,
    monitor: str,
    val_counts: np.ndarray | list[int] | None,
    thresholded: bool | None = None,
) -> str:
    """One line for the run's log and report: what early stopping watches and why. ``thresholded``
    (:func:`chooses_threshold`; None: not known) says whether a multi-class run's decisions, argmax
    while training, are changed after it by a threshold on the class of interest."""
    ties = "" if monitor == "val_loss" else ", ties broken by val_loss"
    if train_cfg.monitor != "auto":
        return f"early stopping and checkpoint watch {monitor} (train.monitor{ties})"
    if monitor == "val_loss" and small_validation(val_counts):
        few = _few_words(val_counts)
        if keeps_final_weights(train_cfg, val_counts):
            return (
                f"{few}, too few to rank epochs: the whole one-cycle schedule runs (no early "
                "stopping) and its final weights are kept; val_loss is logged (train.monitor: "
                "val_loss would choose the epoch by it)"
            )
        return f"early stopping and checkpoint watch val_loss: {few}, too few for accuracy / PR-AUC to rank epochs"
    why = "" if monitor != "val_balanced_accuracy" else _ARGMAX_WHY[thresholded]
    return f"early stopping and checkpoint watch {monitor} (train.monitor auto{ties}{why})"


# what val_balanced_accuracy counts, by whether stage 03 then chooses a threshold (None: not known)
_ARGMAX_WHY = {
    True: "; of argmax decisions: a threshold for the class of interest is chosen on validation after training",
    False: "; of argmax decisions, as the run decides",
    None: "; of argmax decisions, which a threshold for a class of interest, where one is chosen, changes",
}


def needs_one_hot(train_cfg: TrainConfig, n_classes: int) -> bool:
    """Multi-class focal loss and label smoothing need one-hot labels (the sparse
    cross-entropy has neither)."""
    return n_classes > 2 and (train_cfg.loss == "focal" or train_cfg.label_smoothing > 0)


def make_loss(train_cfg: TrainConfig, n_classes: int) -> keras.losses.Loss:
    """The Keras loss for ``train.loss`` (crossentropy / focal).

    ``train.focal_alpha`` is the weight of the positive class (negatives get
    ``1 - alpha``), as users of focal loss mean it. Keras' ``BinaryFocalCrossentropy``
    ignores ``alpha`` unless ``apply_class_balancing=True``, so setting ``focal_alpha``
    turns class balancing on; leaving it None weights both classes 1.

    Raises
    ------
    ValueError
        ``focal_alpha`` on a multi-class task (Keras' categorical focal alpha is one
        scalar for every class, i.e. only a loss scale); use class weights instead.
    """
    smoothing = train_cfg.label_smoothing
    if n_classes == 2:
        if train_cfg.loss == "focal":
            alpha = train_cfg.focal_alpha
            return keras.losses.BinaryFocalCrossentropy(
                apply_class_balancing=alpha is not None,
                alpha=alpha if alpha is not None else 0.25,
                gamma=train_cfg.focal_gamma,
                label_smoothing=smoothing,
                name="binary_focal_crossentropy",
            )
        return keras.losses.BinaryCrossentropy(label_smoothing=smoothing, name="binary_crossentropy")
    if train_cfg.loss == "focal":
        if train_cfg.focal_alpha is not None:
            raise ValueError(
                f"train.focal_alpha = {train_cfg.focal_alpha} is the positive-class weight of a "
                f"binary task, but this task has {n_classes} classes; leave it null (multi-class "
                "focal loss uses alpha = 1) and weight classes with resample.method=class_weight"
            )
        return keras.losses.CategoricalFocalCrossentropy(
            alpha=1.0,
            gamma=train_cfg.focal_gamma,
            label_smoothing=smoothing,
            name="categorical_focal_crossentropy",
        )
    if smoothing > 0:
        return keras.losses.CategoricalCrossentropy(label_smoothing=smoothing, name="categorical_crossentropy")
    return keras.losses.SparseCategoricalCrossentropy(name="sparse_categorical_crossentropy")


def make_metrics(train_cfg: TrainConfig, n_classes: int, n_targets: int | None = None) -> list[keras.metrics.Metric]:
    """Binary: accuracy, precision, recall, PR-AUC, ROC-AUC. Multi-class: accuracy, balanced
    accuracy, top-k (k from :func:`top_k_for`)."""
    if n_classes == 2:
        return [
            keras.metrics.BinaryAccuracy(name="accuracy"),
            keras.metrics.Precision(name="precision"),
            keras.metrics.Recall(name="recall"),
            keras.metrics.AUC(curve="PR", name="pr_auc"),
            keras.metrics.AUC(curve="ROC", name="roc_auc"),
        ]
    k = top_k_for(train_cfg, n_classes, n_targets)
    if needs_one_hot(train_cfg, n_classes):
        return [
            keras.metrics.CategoricalAccuracy(name="accuracy"),
            BalancedAccuracy(n_classes),
            keras.metrics.TopKCategoricalAccuracy(k=k, name=f"top{k}_accuracy"),
        ]
    return [
        keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
        BalancedAccuracy(n_classes),
        keras.metrics.SparseTopKCategoricalAccuracy(k=k, name=f"top{k}_accuracy"),
    ]


def make_optimizer(
    train_cfg: TrainConfig,
    learning_rate: float | keras.optimizers.schedules.LearningRateSchedule | None = None,
) -> keras.optimizers.Optimizer:
    """adam / adamw / rmsprop / sgd (momentum) with weight decay and clipnorm.

    ``learning_rate``: a float or a schedule from :func:`lstm_helpers.model.schedules.make_schedule`;
    None means ``train.learning_rate``.
    """
    lr = train_cfg.learning_rate if learning_rate is None else learning_rate
    decay = train_cfg.weight_decay  # None: the optimizer's own (AdamW 0.004, the others none)
    wd = decay if decay else None
    common: dict[str, Any] = {"learning_rate": lr, "clipnorm": train_cfg.clipnorm}
    if train_cfg.optimizer == "adam":
        return keras.optimizers.Adam(weight_decay=wd, **common)
    if train_cfg.optimizer == "adamw":
        if decay == 0:
            warnings.warn(
                "train.optimizer = adamw with train.weight_decay = 0 is plain Adam; leave weight_decay out "
                "for AdamW's own 0.004, or set it",
                UserWarning,
                stacklevel=2,
            )
        return keras.optimizers.AdamW(weight_decay=ADAMW_DECAY if decay is None else decay, **common)
    if train_cfg.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(weight_decay=wd, **common)
    return keras.optimizers.SGD(momentum=train_cfg.momentum, weight_decay=wd, **common)
