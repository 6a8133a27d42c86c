"""Stage 02: train the model ``cfg.model`` describes on the prepared windows (Keras ``fit``).

:func:`run_training` reads ``prepared.npz`` + ``prepare.json`` from the run directory and
writes ``model.keras`` (best weights), ``history.csv`` (one row per epoch, 1-based
``epoch``, Keras logs and ``lr``; no timing, so two seeded CPU runs give byte-identical
files), ``timing.csv`` (seconds per epoch, windows/s, ETA) and ``train.json``.

Everything is a Keras component: losses (cross-entropy, focal), metrics, optimizers,
``EarlyStopping``, ``ModelCheckpoint``, ``ReduceLROnPlateau``, ``BackupAndRestore``,
``TensorBoard``. Written here are only what Keras lacks: carrying the early-stopping /
plateau / checkpoint state across a resumed run, an epoch log that holds every epoch
exactly once after a resume, and honest timing (:class:`TimingCallback`).

Resuming: an interrupted run leaves ``run_dir/backup``; calling :func:`run_training` again
with the same model / train parameters restores weights, optimizer state and the epoch
counter from it and finishes the planned epochs (a backup made with other parameters is
discarded with a warning). The data order of the resumed epochs comes from a fresh shuffle, so those epochs
are not bit-identical to an uninterrupted run (the epoch count and callbacks' state are).
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
import shutil
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from lstm_helpers.artifacts import load_npz, read_json, write_json, write_text
from lstm_helpers.config import Config, TrainConfig
from lstm_helpers.model.models import build_model, count_params, model_name, model_size_mb
from lstm_helpers.model.schedules import learning_rate_curve, make_schedule

PREPARED_FILE = "prepared.npz"
PREPARE_JSON = "prepare.json"
MODEL_FILE = "model.keras"
HISTORY_FILE = "history.csv"
TIMING_FILE = "timing.csv"
TRAIN_JSON = "train.json"
BACKUP_DIR = "backup"
BEST_WEIGHTS_FILE = "best.weights.h5"
FINGERPRINT_FILE = "run_fingerprint.json"
TENSORBOARD_DIR = "tensorboard"


# ---------------------------------------------------------------------- prepared data
@dataclass
class PreparedData:
    """The arrays and facts stage 02 needs from stage 01's artifacts."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    classes: list[str]
    input_info: dict[str, Any]
    class_weight: dict[int, float] | None

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def binary(self) -> bool:
        return self.n_classes == 2


def read_prepare_json(run_dir: str | Path) -> dict[str, Any]:
    """``prepare.json`` of a run, with a clear error when stage 01 has not run."""
    path = Path(run_dir) / PREPARE_JSON
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist: run stage 01 (notebooks/01_prepare.ipynb) for this run first"
        )
    meta = read_json(path)
    for key in ("classes", "input"):
        if key not in meta:
            raise ValueError(f"{path} lacks '{key}'; re-run stage 01 (prepare)")
    return meta


def load_prepared(run_dir: str | Path) -> PreparedData:
    """Load and check ``prepared.npz`` + ``prepare.json``.

    Raises
    ------
    FileNotFoundError
        When either file is missing.
    ValueError
        When arrays are missing, empty, of the wrong shape / dtype for
        ``prepare.json["input"]``, or labels fall outside ``classes``.
    """
    run_dir = Path(run_dir)
    meta = read_prepare_json(run_dir)
    npz_path = run_dir / PREPARED_FILE
    if not npz_path.is_file():
        raise FileNotFoundError(
            f"{npz_path} does not exist: run stage 01 (notebooks/01_prepare.ipynb) for this run first"
        )
    arrays = load_npz(npz_path)
    missing = [k for k in ("X_train", "y_train", "X_val", "y_val") if k not in arrays]
    if missing:
        raise ValueError(f"{npz_path} lacks arrays {missing}; re-run stage 01 (prepare)")
    classes = [str(c) for c in meta["classes"]]
    info = dict(meta["input"])
    k = len(classes)
    if k < 2:
        raise ValueError(f"{run_dir / PREPARE_JSON}: 'classes' = {classes}; need at least 2")
    for split in ("train", "val"):
        X, y = arrays[f"X_{split}"], arrays[f"y_{split}"]
        if len(X) == 0:
            hint = " (split.val_fraction must be > 0)" if split == "val" else ""
            raise ValueError(f"{npz_path}: X_{split} is empty; training needs windows here{hint}")
        if len(X) != len(y):
            raise ValueError(f"{npz_path}: X_{split} has {len(X)} windows but y_{split} has {len(y)}")
        if info.get("kind") == "tokens":
            expected = (int(info["window_length"]),)
            if not np.issubdtype(X.dtype, np.integer):
                raise ValueError(f"{npz_path}: token input X_{split} must be integer, got {X.dtype}")
            vocab = info.get("vocab_size")
            if vocab is not None and (X.min() < 0 or X.max() >= int(vocab)):
                raise ValueError(
                    f"{npz_path}: X_{split} holds token ids in [{X.min()}, {X.max()}] outside "
                    f"[0, vocab_size={vocab})"
                )
        else:
            expected = (int(info["window_length"]), int(info["n_channels"]))
        if X.shape[1:] != expected:
            raise ValueError(
                f"{npz_path}: X_{split} has window shape {X.shape[1:]} but prepare.json['input'] "
                f"says {expected} (window_length, n_channels); re-run stage 01 (prepare)"
            )
        if y.min() < 0 or y.max() >= k:
            raise ValueError(
                f"{npz_path}: y_{split} holds class indices in [{y.min()}, {y.max()}], "
                f"outside the {k} classes {classes}"
            )
    class_weight = None
    if meta.get("class_weight"):
        unknown = sorted(set(meta["class_weight"]) - set(classes))
        if unknown:
            raise ValueError(
                f"{run_dir / PREPARE_JSON}: class_weight names {unknown} that are not in classes {classes}"
            )
        class_weight = {classes.index(c): float(w) for c, w in meta["class_weight"].items()}
    X_train = arrays["X_train"]
    X_val = arrays["X_val"]
    dtype = np.int32 if info.get("kind") == "tokens" else np.float32
    return PreparedData(
        X_train=X_train.astype(dtype, copy=False),
        y_train=arrays["y_train"].astype(np.int64, copy=False),
        X_val=X_val.astype(dtype, copy=False),
        y_val=arrays["y_val"].astype(np.int64, copy=False),
        classes=classes,
        input_info=info,
        class_weight=class_weight,
    )


# ---------------------------------------------------------------------- compile parts
def top_k_for(train_cfg: TrainConfig, n_classes: int) -> int:
    """``k = min(train.top_k, K - 1)`` for multi-class tasks (top-K of K is always 1)."""
    return max(1, min(train_cfg.top_k, n_classes - 1))


def metric_names(n_classes: int, train_cfg: TrainConfig) -> list[str]:
    """Names Keras logs for this task (without the ``val_`` prefix)."""
    if n_classes == 2:
        return ["loss", "accuracy", "precision", "recall", "pr_auc", "roc_auc"]
    return ["loss", "accuracy", f"top{top_k_for(train_cfg, n_classes)}_accuracy"]


def resolve_monitor(train_cfg: TrainConfig, n_classes: int) -> tuple[str, str]:
    """``(monitor, mode)``: ``auto`` is ``val_pr_auc`` (binary) / ``val_accuracy`` (multi-class);
    mode ``auto`` is ``min`` for losses and ``max`` otherwise.

    Raises
    ------
    ValueError
        When ``train.monitor`` names no logged quantity.
    """
    if train_cfg.monitor == "auto":
        monitor = "val_pr_auc" if n_classes == 2 else "val_accuracy"
    else:
        monitor = train_cfg.monitor
    names = metric_names(n_classes, train_cfg)
    valid = [f"val_{n}" for n in names] + names
    if monitor not in valid:
        raise ValueError(
            f"train.monitor = {monitor!r} is not logged for a {n_classes}-class task; valid: "
            f"auto, {', '.join(valid)}"
        )
    mode = train_cfg.monitor_mode
    if mode == "auto":
        mode = "min" if monitor.endswith("loss") else "max"
    return monitor, mode


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
            alpha=1.0, gamma=train_cfg.focal_gamma, label_smoothing=smoothing,
            name="categorical_focal_crossentropy",
        )
    if smoothing > 0:
        return keras.losses.CategoricalCrossentropy(
            label_smoothing=smoothing, name="categorical_crossentropy"
        )
    return keras.losses.SparseCategoricalCrossentropy(name="sparse_categorical_crossentropy")


def make_metrics(train_cfg: TrainConfig, n_classes: int) -> list[keras.metrics.Metric]:
    """Binary: accuracy, precision, recall, PR-AUC, ROC-AUC. Multi-class: accuracy, top-k."""
    if n_classes == 2:
        return [
            keras.metrics.BinaryAccuracy(name="accuracy"),
            keras.metrics.Precision(name="precision"),
            keras.metrics.Recall(name="recall"),
            keras.metrics.AUC(curve="PR", name="pr_auc"),
            keras.metrics.AUC(curve="ROC", name="roc_auc"),
        ]
    k = top_k_for(train_cfg, n_classes)
    if needs_one_hot(train_cfg, n_classes):
        return [
            keras.metrics.CategoricalAccuracy(name="accuracy"),
            keras.metrics.TopKCategoricalAccuracy(k=k, name=f"top{k}_accuracy"),
        ]
    return [
        keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
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
    wd = train_cfg.weight_decay if train_cfg.weight_decay > 0 else None
    common: dict[str, Any] = {"learning_rate": lr, "clipnorm": train_cfg.clipnorm}
    if train_cfg.optimizer == "adam":
        return keras.optimizers.Adam(weight_decay=wd, **common)
    if train_cfg.optimizer == "adamw":
        if wd is None:
            warnings.warn(
                "train.optimizer = adamw with train.weight_decay = 0 is plain Adam; set "
                "train.weight_decay (Keras' AdamW default is 0.004)",
                UserWarning,
                stacklevel=2,
            )
        return keras.optimizers.AdamW(weight_decay=train_cfg.weight_decay, **common)
    if train_cfg.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(weight_decay=wd, **common)
    return keras.optimizers.SGD(momentum=train_cfg.momentum, weight_decay=wd, **common)


def make_dataset(
    X: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    n_classes: int,
    one_hot: bool,
    shuffle: bool,
    seed: int,
    shuffle_buffer: int = 10000,
) -> tf.data.Dataset:
    """``from_tensor_slices`` -> (seeded shuffle) -> batch -> (one-hot) -> prefetch.

    Binary labels become float32 ``(n, 1)`` to match ``Dense(1, sigmoid)``; multi-class
    labels stay int (sparse) unless ``one_hot``.
    """
    labels = y.astype(np.float32).reshape(-1, 1) if n_classes == 2 else y.astype(np.int32)
    ds = tf.data.Dataset.from_tensor_slices((X, labels))
    if shuffle:
        ds = ds.shuffle(min(shuffle_buffer, len(X)), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    if one_hot:
        ds = ds.map(lambda x, t: (x, tf.one_hot(t, n_classes)), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def set_determinism(seed: int, deterministic: bool = True) -> None:
    """Seed Python, numpy and TensorFlow (``keras.utils.set_random_seed``) and, when
    ``deterministic``, make TF ops deterministic, so two CPU runs with the same seed give
    identical histories.

    Keras refuses XLA (``jit_compile``) while op determinism is on, so a ``jit_compile``
    run calls this with ``deterministic=False``, which switches determinism back off
    (TensorFlow's setting is process-wide; the switch-off uses its internal function).
    """
    keras.utils.set_random_seed(int(seed))
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    else:
        from tensorflow.python.framework import config as tf_config

        if tf_config.is_op_determinism_enabled():
            tf_config.disable_op_determinism()


def distribution_strategy(train_cfg: TrainConfig) -> tf.distribute.Strategy:
    """``train.distribute: mirrored`` -> ``tf.distribute.MirroredStrategy`` (all local GPUs;
    ``train.batch_size`` is then the global batch, split across replicas), else the
    default strategy. Model building and compiling happen inside ``strategy.scope()``."""
    if train_cfg.distribute == "mirrored":
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def recurrent_use_cudnn(train_cfg: TrainConfig) -> bool | str:
    """``use_cudnn`` for the recurrent layers: ``"auto"``, except with ``train.jit_compile``.

    On a GPU, Keras (TensorFlow backend) marks a model whose LSTM / GRU can use cuDNN as
    not XLA compatible and compiles it without XLA (with only a warning); so
    ``jit_compile=True`` builds the recurrent layers with ``use_cudnn=False`` to make XLA
    real (giving up the fused cuDNN kernel: measure before choosing it, see
    benchmarks/README.md). On a CPU cuDNN never applies and this changes nothing.
    """
    if train_cfg.jit_compile:
        if tf.config.list_physical_devices("GPU"):
            warnings.warn(
                "train.jit_compile = true builds the recurrent layers without cuDNN so XLA "
                "applies; on a GPU the cuDNN kernel is usually faster",
                UserWarning,
                stacklevel=2,
            )
        return False
    return "auto"


# ---------------------------------------------------------------------- callbacks
def _prior_rows(df: pd.DataFrame | None, done_epochs: int) -> pd.DataFrame | None:
    """Rows of an interrupted run's log for the epochs the backup restored.

    The resumable callbacks call this at the first ``on_epoch_begin`` of a fit call, whose
    ``epoch`` argument is the number of epochs already done (``BackupAndRestore`` sets it),
    so they do not depend on the callbacks' order or on Keras internals.
    """
    if df is None or df.empty:
        return None
    return df[df["epoch"] <= done_epochs].reset_index(drop=True)


class EpochLogWriter(keras.callbacks.Callback):
    """Write ``history.csv`` after every epoch: 1-based ``epoch``, Keras logs, ``lr``.

    ``lr`` is the learning rate of the epoch's last training step (for plateau / constant
    rates the rate in force during the epoch, before any reduction at its end).

    Hand-written (rather than ``CSVLogger(append=True)``) so a resumed run's file holds
    every epoch exactly once: rows from before the resume are kept only up to the epoch the
    backup restored, and the file is rewritten atomically. No timing columns, so seeded
    CPU runs write byte-identical files.
    """

    def __init__(
        self,
        path: Path,
        previous: pd.DataFrame | None = None,
        schedule: keras.optimizers.schedules.LearningRateSchedule | None = None,
    ) -> None:
        super().__init__()
        self.path = Path(path)
        self.previous = previous
        self.schedule = schedule
        self.rows: list[dict[str, Any]] = []
        self._epoch_lr = float("nan")

    def _current_lr(self) -> float:
        optimizer = self.model.optimizer
        if self.schedule is not None:
            last_step = max(int(keras.ops.convert_to_numpy(optimizer.iterations)) - 1, 0)
            return float(keras.ops.convert_to_numpy(self.schedule(last_step)))
        return float(keras.ops.convert_to_numpy(optimizer.learning_rate))

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.rows, self._started = [], False

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if not self._started:
            prior = _prior_rows(self.previous, epoch)
            self.rows = prior.to_dict("records") if prior is not None else []
            self._started = True
        if self.schedule is None:
            self._epoch_lr = self._current_lr()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        row: dict[str, Any] = {"epoch": epoch + 1}
        for key, value in (logs or {}).items():
            if key != "learning_rate":
                row[key] = float(value)
        row["lr"] = self._current_lr() if self.schedule is not None else self._epoch_lr
        self.rows = [r for r in self.rows if r["epoch"] < epoch + 1] + [row]
        write_text(self.path, pd.DataFrame(self.rows).to_csv(index=False))

    @property
    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)


class TimingCallback(keras.callbacks.Callback):
    """Seconds per epoch, per step, windows per second and an honest ETA; writes ``timing.csv``.

    An epoch's time is split into training (``on_epoch_begin`` -> validation start) and
    validation. ``windows_per_second`` is training windows / training seconds. The ETA is
    the mean duration of completed epochs x the epochs still planned (an upper bound when
    early stopping ends the run sooner). The first epoch of each ``fit`` call includes
    graph tracing, so once more than one epoch is measured it is left out of the mean
    (steady state); the printed line says which epochs the mean uses.

    Parameters
    ----------
    n_windows, steps_per_epoch, epochs : int
        Training windows, batches per epoch, planned epochs.
    path : Path, optional
        Where to write ``timing.csv`` (every epoch exactly once after a resume).
    previous : DataFrame, optional
        ``timing.csv`` rows of an interrupted run being resumed.
    verbose : bool
        Print one line per epoch.
    clock : callable
        Returns seconds (``time.perf_counter``; tests pass a fake clock).
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
    ) -> None:
        super().__init__()
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
        self._first_in_fit = True

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.records, self._first_in_fit = [], True

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self._first_in_fit:
            prior = _prior_rows(self.previous, epoch)
            self.records = prior.to_dict("records") if prior is not None else []
        self._val_start = None
        self._epoch_start = self.clock()

    def on_test_begin(self, logs: dict | None = None) -> None:
        if self._epoch_start is not None:
            self._val_start = self.clock()

    def steady_epoch_seconds(self) -> tuple[float, str]:
        """Mean seconds per epoch over completed epochs, and which epochs it uses."""
        if not self.records:
            return float("nan"), "no epoch measured"
        frame = pd.DataFrame(self.records)
        steady = frame[~frame["includes_tracing"].astype(bool)]
        if steady.empty:
            return float(frame["seconds"].mean()), "only the first epoch, incl. graph tracing"
        return float(steady["seconds"].mean()), (
            f"mean of {len(steady)} epoch(s), excluding each fit call's first epoch (graph tracing)"
        )

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        end = self.clock()
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
        mean, basis = self.steady_epoch_seconds()
        remaining = self.epochs - (epoch + 1)
        record["eta_seconds"] = mean * remaining
        if self.path is not None:
            write_text(self.path, pd.DataFrame(self.records).to_csv(index=False))
        if self.verbose:
            print(
                f"epoch {epoch + 1}/{self.epochs}: {seconds:.2f} s ({record['ms_per_step']:.1f} ms/step, "
                f"{record['windows_per_second']:.0f} windows/s); ETA {record['eta_seconds']:.0f} s "
                f"for {remaining} more epoch(s) at {mean:.2f} s/epoch ({basis})",
                flush=True,
            )

    @property
    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.records)


def _best_so_far(values: np.ndarray, mode: str) -> tuple[float, int]:
    """Best value and its 0-based position (first occurrence)."""
    idx = int(np.nanargmin(values) if mode == "min" else np.nanargmax(values))
    return float(values[idx]), idx


class _ReplaysHistory:
    """Mixin for monitor callbacks: on the first epoch of a resumed fit, replay the kept
    ``history.csv`` rows into the callback's state (Keras resets it in ``on_train_begin``
    and ``BackupAndRestore`` does not save callback state)."""

    def __init__(self, previous: pd.DataFrame | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.previous = previous

    def on_train_begin(self, logs: dict | None = None) -> None:
        super().on_train_begin(logs)
        self._replayed = False

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        super().on_epoch_begin(epoch, logs)
        if self._replayed:
            return
        self._replayed = True
        prior = _prior_rows(self.previous, epoch)
        if prior is None or self.monitor not in prior:
            return
        if self.monitor_op is None:
            self._set_monitor_op()
        self._replay(prior)

    def _replay(self, prior: pd.DataFrame) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class ResumableEarlyStopping(_ReplaysHistory, keras.callbacks.EarlyStopping):
    """Keras ``EarlyStopping`` whose best value and patience counter continue across a
    resumed run."""

    def _replay(self, prior: pd.DataFrame) -> None:
        for epoch, value in zip(prior["epoch"] - 1, prior[self.monitor], strict=True):
            self.wait += 1
            if self._is_improvement(value, self.best):
                self.best, self.best_epoch, self.wait = float(value), int(epoch), 0


class ResumableReduceLROnPlateau(_ReplaysHistory, keras.callbacks.ReduceLROnPlateau):
    """Keras ``ReduceLROnPlateau`` whose best value and wait counter continue across a
    resumed run (the learning rate itself is restored with the optimizer state)."""

    def _replay(self, prior: pd.DataFrame) -> None:
        for value in prior[self.monitor]:
            if self._is_improvement(value, self.best):
                self.best, self.wait = float(value), 0
            else:
                self.wait += 1
                if self.wait >= self.patience:
                    self.wait = 0


def training_fingerprint(cfg: Config) -> str:
    """Hash of what shapes a training run (seed, model, train except verbosity): a backup is
    resumed only by a run with the same fingerprint."""
    train = cfg.train.model_dump(mode="json")
    train.pop("verbose", None)
    payload = {"seed": cfg.seed, "model": cfg.model.model_dump(mode="json"), "train": train}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def _read_fingerprint(backup_dir: Path) -> str | None:
    try:
        return read_json(backup_dir / FINGERPRINT_FILE).get("fingerprint")
    except (FileNotFoundError, ValueError):
        return None


# ---------------------------------------------------------------------- reporting helpers
def device_description() -> str:
    """The accelerator used, or the CPU."""
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        names = [tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus]
        return "GPU: " + ", ".join(names)
    import os

    return f"CPU ({platform.machine()}, {os.cpu_count()} logical cores)"


def versions() -> dict[str, str]:
    return {
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def build_run_model(cfg: Config, run_dir: str | Path) -> keras.Model:
    """The (uncompiled) model of this run, for a summary before training."""
    meta = read_prepare_json(run_dir)
    return build_model(cfg.model, meta["input"], len(meta["classes"]), seed=cfg.seed)


def model_overview(model: keras.Model) -> pd.DataFrame:
    """One-row table: name, parameter counts, size in MB."""
    counts = count_params(model)
    return pd.DataFrame(
        [
            {
                "model_name": model.name,
                "params": counts["total"],
                "trainable": counts["trainable"],
                "size_mb": round(model_size_mb(model), 3),
                "layers": len(model.layers),
            }
        ]
    )


def training_summary(result: dict[str, Any]) -> pd.DataFrame:
    """The headline numbers of :func:`run_training` as a one-column table."""
    keys = [
        "model_name", "n_params", "size_mb", "epochs_run", "best_epoch", "stopped_early",
        "monitor", "best_value", "seconds_per_epoch_mean", "windows_per_second",
        "total_seconds", "device", "loss", "optimizer",
    ]
    return pd.DataFrame({"value": [result.get(k) for k in keys]}, index=keys)


# ---------------------------------------------------------------------- entry point
def run_training(
    cfg: Config,
    run_dir: str | Path,
    extra_callbacks: list[keras.callbacks.Callback] | None = None,
) -> dict[str, Any]:
    """Build, compile and fit the model of ``cfg`` on the run's prepared windows.

    Parameters
    ----------
    cfg : Config
        Uses ``cfg.model``, ``cfg.train`` and ``cfg.seed``.
    run_dir : path
        Holds ``prepared.npz`` and ``prepare.json``; receives ``model.keras``,
        ``history.csv``, ``timing.csv``, ``train.json``, ``tensorboard/`` when enabled;
        while running also ``backup/`` and (``train.checkpoint``) ``best.weights.h5``,
        both removed once ``model.keras`` is written.
    extra_callbacks : list, optional
        Appended to the callbacks (tests use this to interrupt a run).

    Returns
    -------
    dict
        The content of ``train.json`` plus ``history`` (DataFrame of history.csv),
        ``timing`` (DataFrame of timing.csv), ``lr_per_step`` (array, step schedules
        only) and ``model`` (the trained keras.Model).

    Raises
    ------
    FileNotFoundError, ValueError
        Before any training, when artifacts are missing / inconsistent or the model spec
        or monitor does not fit the task.
    """
    started = time.perf_counter()
    run_dir = Path(run_dir)
    train_cfg = cfg.train
    data = load_prepared(run_dir)
    k = data.n_classes
    monitor, mode = resolve_monitor(train_cfg, k)
    one_hot = needs_one_hot(train_cfg, k)
    loss = make_loss(train_cfg, k)

    backup_dir = run_dir / BACKUP_DIR
    fingerprint = training_fingerprint(cfg)
    resuming = backup_dir.is_dir() and any(p.name != FINGERPRINT_FILE for p in backup_dir.iterdir())
    if resuming and _read_fingerprint(backup_dir) != fingerprint:
        warnings.warn(
            f"{backup_dir} holds an interrupted run with other model / train parameters; "
            "discarding it and training from the start",
            UserWarning,
            stacklevel=2,
        )
        shutil.rmtree(backup_dir)
        resuming = False
    history_path, timing_path = run_dir / HISTORY_FILE, run_dir / TIMING_FILE
    best_path = run_dir / BEST_WEIGHTS_FILE
    previous_history = pd.read_csv(history_path) if resuming and history_path.is_file() else None
    previous_timing = pd.read_csv(timing_path) if resuming and timing_path.is_file() else None
    if not resuming:
        for stale in (best_path, history_path, timing_path):
            stale.unlink(missing_ok=True)

    if train_cfg.jit_compile:
        warnings.warn(
            "train.jit_compile = true: TensorFlow op determinism is switched off (Keras refuses "
            "XLA with it), so two runs with the same seed can differ slightly",
            UserWarning,
            stacklevel=2,
        )
    set_determinism(cfg.seed, deterministic=not train_cfg.jit_compile)
    steps_per_epoch = math.ceil(len(data.X_train) / train_cfg.batch_size)
    strategy = distribution_strategy(train_cfg)
    with strategy.scope():
        model = build_model(
            cfg.model, data.input_info, k, seed=cfg.seed, use_cudnn=recurrent_use_cudnn(train_cfg)
        )
        learning_rate = make_schedule(
            train_cfg.schedule, train_cfg.learning_rate, steps_per_epoch, train_cfg.epochs
        )
        optimizer = make_optimizer(train_cfg, learning_rate)
        model.compile(
            optimizer=optimizer,
            loss=loss,
            metrics=make_metrics(train_cfg, k),
            jit_compile=train_cfg.jit_compile,
        )
    train_ds = make_dataset(
        data.X_train, data.y_train, train_cfg.batch_size, k, one_hot, True, cfg.seed,
        train_cfg.shuffle_buffer,
    )
    val_ds = make_dataset(data.X_val, data.y_val, train_cfg.batch_size, k, one_hot, False, cfg.seed)

    schedule = learning_rate if callable(learning_rate) else None
    history_cb = EpochLogWriter(history_path, previous_history, schedule)
    timing_cb = TimingCallback(
        len(data.X_train), steps_per_epoch, train_cfg.epochs, timing_path, previous_timing,
        verbose=train_cfg.verbose > 0,
    )
    # order of on_epoch_end: timing first (closest to the epoch), then the logs, checkpoint
    # and stopping, the backup last, so a crash between them never loses a logged epoch
    callbacks: list[keras.callbacks.Callback] = [timing_cb, history_cb]
    if train_cfg.schedule.kind == "plateau":
        callbacks.append(
            ResumableReduceLROnPlateau(
                previous=previous_history, monitor=monitor, mode=mode,
                factor=train_cfg.schedule.factor, patience=train_cfg.schedule.patience,
                min_lr=train_cfg.schedule.min_lr, verbose=int(train_cfg.verbose > 0),
            )
        )
    if train_cfg.checkpoint:
        initial = None
        if previous_history is not None and monitor in previous_history and best_path.is_file():
            initial, _ = _best_so_far(previous_history[monitor].to_numpy(float), mode)
        callbacks.append(
            keras.callbacks.ModelCheckpoint(
                str(best_path), monitor=monitor, mode=mode, save_best_only=True,
                save_weights_only=True, initial_value_threshold=initial,
            )
        )
    es_cfg = train_cfg.early_stopping
    early_stopping = None
    if es_cfg.enabled:
        # with a checkpoint the best weights come from its file (which survives a resume)
        early_stopping = ResumableEarlyStopping(
            previous=previous_history, monitor=monitor, mode=mode, patience=es_cfg.patience,
            restore_best_weights=es_cfg.restore_best_weights and not train_cfg.checkpoint,
            verbose=int(train_cfg.verbose > 0),
        )
        callbacks.append(early_stopping)
    if train_cfg.tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(run_dir / TENSORBOARD_DIR)))
    callbacks += [*(extra_callbacks or []), keras.callbacks.BackupAndRestore(str(backup_dir))]

    class_weight = data.class_weight if train_cfg.use_class_weight else None
    write_json(backup_dir / FINGERPRINT_FILE, {"fingerprint": fingerprint})
    model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=train_cfg.epochs,
        callbacks=callbacks,
        class_weight=class_weight,
        shuffle=False,  # the tf.data pipeline shuffles (seeded)
        verbose=train_cfg.verbose,
    )

    history = history_cb.frame
    timing = timing_cb.frame
    values = history[monitor].to_numpy(float)
    best_value, best_idx = _best_so_far(values, mode)
    best_epoch = int(history["epoch"].iloc[best_idx])
    if train_cfg.checkpoint and best_path.is_file():
        model.load_weights(str(best_path))
        weights_epoch = best_epoch
    elif early_stopping is not None and early_stopping.restore_best_weights:
        # Keras restored its in-memory best (after a resume: the best since resuming)
        weights_epoch = int(early_stopping.best_epoch) + 1
    else:
        weights_epoch = int(history["epoch"].iloc[-1])
    model.save(run_dir / MODEL_FILE)
    # model.keras now holds the kept weights: the backup and the checkpoint file are spent
    shutil.rmtree(backup_dir, ignore_errors=True)
    best_path.unlink(missing_ok=True)

    mean_seconds, timing_basis = timing_cb.steady_epoch_seconds()
    steady = timing[~timing["includes_tracing"].astype(bool)]
    if steady.empty:
        steady = timing
    prior_seconds = float(previous_timing["seconds"].sum()) if previous_timing is not None else 0.0
    counts = count_params(model)
    lr_curve = None
    if schedule is not None:
        lr_curve = learning_rate_curve(schedule, steps_per_epoch * train_cfg.epochs)
    result: dict[str, Any] = {
        "model_name": model_name(cfg.model, data.input_info),
        "spec": cfg.model.model_dump(mode="json"),
        "n_params": counts["total"],
        "n_trainable_params": counts["trainable"],
        "size_mb": model_size_mb(model),
        "n_classes": k,
        "classes": data.classes,
        "epochs_planned": train_cfg.epochs,
        "epochs_run": int(len(history)),
        "best_epoch": best_epoch,
        "best_value": best_value,
        "weights_epoch": weights_epoch,
        "stopped_early": bool(len(history) < train_cfg.epochs),
        "resumed": resuming,
        "seconds_per_epoch": timing["seconds"].round(4).tolist(),
        "seconds_per_epoch_mean": mean_seconds,
        "timing_basis": timing_basis,
        "ms_per_step": float(steady["ms_per_step"].mean()),
        "windows_per_second": float(len(data.X_train) / steady["train_seconds"].mean()),
        "total_seconds": prior_seconds + (time.perf_counter() - started),
        "n_train_windows": int(len(data.X_train)),
        "n_val_windows": int(len(data.X_val)),
        "batch_size": train_cfg.batch_size,
        "steps_per_epoch": steps_per_epoch,
        "device": device_description(),
        "versions": versions(),
        "monitor": monitor,
        "monitor_mode": mode,
        "loss": loss.name,
        "focal_alpha": train_cfg.focal_alpha if train_cfg.loss == "focal" else None,
        "class_weight": {data.classes[i]: w for i, w in class_weight.items()} if class_weight else None,
        "optimizer": train_cfg.optimizer,
        "learning_rate": train_cfg.learning_rate,
        "schedule": train_cfg.schedule.kind,
        "jit_compile": train_cfg.jit_compile,
        "distribute": train_cfg.distribute,
        "seed": cfg.seed,
    }
    write_json(run_dir / TRAIN_JSON, result)
    return {**result, "history": history, "timing": timing, "lr_per_step": lr_curve, "model": model}
