"""Stage 02: train the model ``cfg.model`` describes on the prepared windows (Keras ``fit``).

:func:`run_training` reads ``prepared.npz`` + ``prepare.json`` (through
:func:`lstm_helpers.data.prepared.load_prepared`) and writes ``model.keras`` (best
weights), ``history.csv`` (one row per epoch, 1-based ``epoch``, Keras logs and ``lr``; no
timing, so two seeded CPU runs give byte-identical files), ``timing.csv`` (seconds per
epoch, windows/s, ETA) and ``train.json`` (:class:`TrainResult` without the in-memory parts).

The compile parts (loss, metrics, optimizer, monitor) live in
:mod:`lstm_helpers.model.compile`, the callbacks in :mod:`lstm_helpers.model.callbacks`;
this module builds the datasets and orchestrates ``fit``.

Resuming: an interrupted run (an exception, or the process killed) leaves ``run_dir/backup``;
calling :func:`run_training` again with the same model / train parameters and seed restores
weights, optimizer state and the epoch counter (Keras ``BackupAndRestore``), the
early-stopping / plateau / checkpoint state (replayed from ``history.csv``) and the dropout
seed states (:class:`~lstm_helpers.model.callbacks.RandomStateKeeper`), then finishes the
planned epochs; each epoch's shuffle order depends on ``(seed, epoch)`` alone
(:func:`training_stream`), so the resumed epochs see the windows in the same order. On a
CPU with op determinism (the default) the resumed run's ``history.csv`` is byte-identical
to the uninterrupted run's (tests/test_resume.py kills a training process with SIGKILL to
check it). A backup made with other parameters is discarded with a warning.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import time
import warnings
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

import keras
import numpy as np
import pandas as pd

from lstm_helpers.artifacts import read_json, record_notebook_stage, start_stage, write_json
from lstm_helpers.config import Config, TrainConfig
from lstm_helpers.data.prepared import PreparedData, load_prepared, read_input_info, read_prepare_json
from lstm_helpers.data.text import target_class_count
from lstm_helpers.layout import RunLayout
from lstm_helpers.model import ensemble as ens
from lstm_helpers.model.batch_norm import recalibrate
from lstm_helpers.model.budget import (
    Budget,
    BudgetWarning,
    apply_budget,
    choose_budget,
    compounded_weighting,
    saturated_epochs,
)
from lstm_helpers.model.callbacks import (
    AtomicBackupAndRestore,
    AtomicModelCheckpoint,
    EpochLogWriter,
    RandomStateKeeper,
    ResumableEarlyStopping,
    ResumableReduceLROnPlateau,
    best_so_far,
    prior_rows,
    tie_monitor,
)
from lstm_helpers.model.compile import (
    chooses_threshold,
    keeps_final_weights,
    make_loss,
    make_metrics,
    make_optimizer,
    monitor_explanation,
    needs_one_hot,
    resolve_monitor,
)
from lstm_helpers.model.datasets import (
    distribution_strategy,
    make_dataset,
    precision_policy,
    recurrent_use_cudnn,
    set_determinism,
    training_stream,
)
from lstm_helpers.model.logged import top_k_note
from lstm_helpers.model.machine import device_description, run_threads, versions
from lstm_helpers.model.models import (  # noqa: F401 - for notebook 02
    build_model,
    count_params,
    fcn_blocks,
    layer_table,
    load_trained_model,
    model_name,
    model_overview,
    model_size_mb,
    resolve_model,
)
from lstm_helpers.model.schedules import learning_rate_curve, make_schedule
from lstm_helpers.model.summary import training_summary, training_switches  # noqa: F401 - for notebook 02
from lstm_helpers.model.timing import TimingCallback, undefined_metrics


# ---------------------------------------------------------------------- the result
@dataclass
class TrainResult:
    """What stage 02 hands on: ``train.json``'s facts plus the in-memory history, timing,
    per-step learning rates (step schedules only) and the trained model."""

    model_name: str
    spec: dict[str, Any]
    n_params: int
    n_trainable_params: int
    size_mb: float
    n_classes: int
    classes: list[str]
    epochs_planned: int
    epochs_run: int
    best_epoch: int
    best_value: float
    weights_epoch: int
    stopped_early: bool
    resumed: bool
    seconds_per_epoch: list[float]
    seconds_per_epoch_mean: float
    timing_basis: str
    ms_per_step: float
    windows_per_second: float
    total_seconds: float
    n_train_windows: int
    n_val_windows: int
    batch_size: int
    steps_per_epoch: int
    device: str
    versions: dict[str, str]
    monitor: str
    monitor_mode: str
    loss: str
    focal_alpha: float | None
    class_weight: dict[str, float] | None
    optimizer: str
    learning_rate: float
    schedule: str
    jit_compile: bool
    distribute: str
    precision: str
    seed: int
    history: pd.DataFrame = field(repr=False)
    timing: pd.DataFrame = field(repr=False)
    lr_per_step: np.ndarray | None = field(repr=False)
    model: keras.Model = field(repr=False)

    budget: dict[str, Any] | None = None  # how batch size, epochs and patience were chosen
    ensemble: int = 1  # models averaged in model.keras (model/ensemble.py)
    folds: int = 0  # fold members: training folds, validation scored by member 1 alone (else 0)
    n_params_per_member: int | None = None  # an ensemble's one member (its n_params counts all members)
    # the training switches that were on (model/summary.py): optimizer, schedule, dropout, augmentation, ...
    switches: dict[str, Any] = field(default_factory=dict)
    weight_decay: float | None = None  # as the optimizer applied it (AdamW's own 0.004 where unset)
    label_smoothing: float = 0.0
    augment: dict[str, float] = field(default_factory=dict)  # train.augment's non-zero strengths
    threads: int | None = None  # TensorFlow's threads (TF_NUM_INTRAOP_THREADS; None: all cores)
    parallel_runs: int = 1  # runs sharing the machine at a time (a sweep's workers): timings not standalone

    IN_MEMORY: ClassVar[tuple[str, ...]] = ("history", "timing", "lr_per_step", "model")

    def to_dict(self) -> dict[str, Any]:
        """The ``train.json`` content (everything but the in-memory parts)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in self.IN_MEMORY}


# ---------------------------------------------------------------------- resume
def training_fingerprint(cfg: Config) -> str:
    """Hash of what shapes a training run (seed, model, train except verbosity): a backup is
    resumed only by a run with the same fingerprint."""
    train = cfg.train.model_dump(mode="json")
    train.pop("verbose", None)
    payload = {"seed": cfg.seed, "model": cfg.model.model_dump(mode="json"), "train": train}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class _Resume:
    """An interrupted run's state to continue from (``resuming`` False: a fresh start)."""

    resuming: bool
    history: pd.DataFrame | None = None
    timing: pd.DataFrame | None = None


def _resume_state(layout: RunLayout, fingerprint: str) -> _Resume:
    """Keep a backup made with this fingerprint; otherwise clear it and the stale logs."""
    ours = {layout.run_fingerprint.name, layout.best_weights.name, layout.rng_state.name}
    backup = layout.backup
    resuming = backup.is_dir() and any(p.name not in ours for p in backup.iterdir())
    if resuming:
        try:
            same = read_json(layout.run_fingerprint).get("fingerprint") == fingerprint
        except (FileNotFoundError, ValueError):
            same = False
        if not same:
            warnings.warn(
                f"{backup} holds an interrupted run with other model / train parameters; "
                "discarding it and training from the start",
                UserWarning,
                stacklevel=3,
            )
            resuming = False
    if not resuming:
        shutil.rmtree(backup, ignore_errors=True)
        layout.history.unlink(missing_ok=True)
        layout.timing.unlink(missing_ok=True)
        return _Resume(False)
    # round_trip: the kept rows are written back digit for digit
    history = pd.read_csv(layout.history, float_precision="round_trip") if layout.history.is_file() else None
    timing = pd.read_csv(layout.timing, float_precision="round_trip") if layout.timing.is_file() else None
    return _Resume(True, history, timing)


# ---------------------------------------------------------------------- model and callbacks
def _compiled_model(
    cfg: Config, data: PreparedData, steps_per_epoch: int
) -> tuple[keras.Model, keras.losses.Loss, Any]:
    """The compiled model (in the distribution strategy's scope), its loss, the schedule (or None)."""
    train_cfg, k = cfg.train, data.n_classes
    loss = make_loss(train_cfg, k)
    if tilt := compounded_weighting(train_cfg, data.classes, data.class_weight, data.y_train):
        warnings.warn(tilt, UserWarning, stacklevel=3)
    with distribution_strategy(train_cfg).scope(), precision_policy(train_cfg):
        model = build_model(cfg.model, data.input_info, k, seed=cfg.seed, use_cudnn=recurrent_use_cudnn(train_cfg))
        learning_rate = make_schedule(train_cfg.schedule, train_cfg.learning_rate, steps_per_epoch, train_cfg.epochs)
        model.compile(
            optimizer=make_optimizer(train_cfg, learning_rate),
            loss=loss,
            metrics=make_metrics(train_cfg, k, target_class_count(data.classes)),
            jit_compile=train_cfg.jit_compile,
        )
        # the optimizer's slots now, not in the first trace of the train step (Keras creates them
        # there, and a tf.function creating variables is traced twice: ~2 s CPU, issue 12)
        model.optimizer.build(model.trainable_variables)
    return model, loss, learning_rate if callable(learning_rate) else None


def _tie_losses(history: pd.DataFrame, monitor: str) -> np.ndarray | None:
    """The validation loss per epoch, which breaks ties of ``monitor`` (callbacks.improves)."""
    tie = tie_monitor(monitor)
    return history[tie].to_numpy(float) if tie in history else None


def _monitor_callbacks(
    train_cfg: TrainConfig,
    layout: RunLayout,
    monitor: str,
    mode: str,
    previous: pd.DataFrame | None,
) -> tuple[list[keras.callbacks.Callback], ResumableEarlyStopping | None]:
    """Plateau, checkpoint and early stopping, each continuing an interrupted run's state."""
    callbacks: list[keras.callbacks.Callback] = []
    verbose = int(train_cfg.verbose > 0)
    if train_cfg.schedule.kind == "plateau":
        callbacks.append(
            ResumableReduceLROnPlateau(
                previous=previous,
                monitor=monitor,
                mode=mode,
                factor=train_cfg.schedule.factor,
                patience=train_cfg.schedule.patience,
                min_lr=train_cfg.schedule.min_lr,
                verbose=0,  # Keras prints the new rate unrounded; the learning-rate figure shows it
            )
        )
    es_cfg = train_cfg.early_stopping
    # early stopping's best weights are kept through the checkpoint file too: Keras keeps them
    # in memory only, so a resumed fit would lose them
    if train_cfg.checkpoint or (es_cfg.enabled and es_cfg.restore_best_weights):
        initial = initial_tie = None
        if previous is not None and monitor in previous and layout.best_weights.is_file():
            losses = _tie_losses(previous, monitor)
            initial, idx = best_so_far(previous[monitor].to_numpy(float), mode, losses)
            initial_tie = None if losses is None else float(losses[idx])
        checkpoint = AtomicModelCheckpoint(
            layout.best_weights, monitor=monitor, mode=mode, save_best_only=True, initial_value_threshold=initial
        )
        checkpoint.best_tie = initial_tie
        callbacks.append(checkpoint)
    early_stopping = None
    if es_cfg.enabled:
        # the best weights come from the checkpoint's file (which survives a resume)
        early_stopping = ResumableEarlyStopping(
            previous=previous, monitor=monitor, mode=mode, patience=es_cfg.patience, verbose=verbose
        )
        callbacks.append(early_stopping)
    return callbacks, early_stopping


def _restored_seconds(timing: pd.DataFrame | None) -> float:
    """The epochs a resume restored, in the fit time as an uninterrupted run counts them: each
    epoch with what its checkpoint and backup cost after it (``after_seconds``)."""
    if timing is None:
        return 0.0
    return float(
        timing["seconds"].sum() + (timing["after_seconds"].fillna(0).sum() if "after_seconds" in timing else 0)
    )


def _kept_weights_epoch(
    model: keras.Model, layout: RunLayout, history: pd.DataFrame, best_epoch: int, train_cfg: TrainConfig
) -> int:
    """Load the checkpointed best weights when there are some (the checkpoint runs whenever
    a best epoch is kept), unless early stopping is told not to restore them
    (``early_stopping.restore_best_weights: false``: the last epoch's weights, as in Keras);
    the epoch the model's weights come from."""
    es = train_cfg.early_stopping
    if layout.best_weights.is_file() and not (es.enabled and not es.restore_best_weights):
        model.load_weights(str(layout.best_weights))
        return best_epoch
    return int(history["epoch"].iloc[-1])


# ---------------------------------------------------------------------- reporting helpers
def build_run_model(cfg: Config, run_dir: str | Path) -> keras.Model:
    """The (uncompiled) model of this run, for a summary before training."""
    meta = read_prepare_json(run_dir)
    return build_model(cfg.model, read_input_info(run_dir), len(meta["classes"]), seed=cfg.seed)


@dataclass(frozen=True)
class _Fitted:
    """What the fit produced, for :func:`_result`."""

    model: keras.Model
    loss: keras.losses.Loss
    schedule: Any
    history_cb: EpochLogWriter
    timing_cb: TimingCallback
    early_stopping: ResumableEarlyStopping | None
    steps_per_epoch: int


def _result(
    cfg: Config,
    data: PreparedData,
    layout: RunLayout,
    fit: _Fitted,
    monitor: str,
    mode: str,
    resume: _Resume,
    started: float,
) -> TrainResult:
    """Keep the best weights, save ``model.keras`` and gather :class:`TrainResult`."""
    train_cfg, model = cfg.train, fit.model
    history, timing = fit.history_cb.frame, fit.timing_cb.frame
    best_value, best_idx = best_so_far(history[monitor].to_numpy(float), mode, _tie_losses(history, monitor))
    best_epoch = int(history["epoch"].iloc[best_idx])
    weights_epoch = _kept_weights_epoch(model, layout, history, best_epoch, train_cfg)
    recalibrate(model, data.X_train, cfg.seed)  # BN's inference statistics from the training windows
    model.save(layout.model)
    # model.keras now holds the kept weights: the backup (with the checkpoint file) is spent
    shutil.rmtree(layout.backup, ignore_errors=True)
    mean_seconds, timing_basis = fit.timing_cb.steady_epoch_seconds()
    steady = timing[~timing["includes_tracing"].astype(bool)]
    steady = timing if steady.empty else steady
    prior_seconds = _restored_seconds(resume.timing)
    counts = count_params(model)
    class_weight = data.class_weight if train_cfg.use_class_weight else None
    spec = resolve_model(cfg.model, data.input_info.to_dict()).model_dump(mode="json")  # as built
    switches = training_switches(train_cfg, spec, monitor)
    total_steps = fit.steps_per_epoch * train_cfg.epochs
    lr_curve = None if fit.schedule is None else learning_rate_curve(fit.schedule, total_steps)
    return TrainResult(
        model_name=model_name(cfg.model, data.input_info.to_dict()),
        spec=spec,
        n_params=counts["total"],
        n_trainable_params=counts["trainable"],
        size_mb=model_size_mb(model),
        n_classes=data.n_classes,
        classes=data.classes,
        epochs_planned=train_cfg.epochs,
        epochs_run=int(len(history)),
        best_epoch=best_epoch,
        best_value=best_value,
        weights_epoch=weights_epoch,
        stopped_early=bool(len(history) < train_cfg.epochs),
        resumed=resume.resuming,
        seconds_per_epoch=fit.timing_cb.epoch_seconds().round(4).tolist(),  # with callbacks, as the mean
        seconds_per_epoch_mean=mean_seconds,
        timing_basis=timing_basis,
        ms_per_step=float(steady["ms_per_step"].mean()),
        windows_per_second=float(len(data.X_train) / steady["train_seconds"].mean()),
        total_seconds=prior_seconds + (time.perf_counter() - started),
        n_train_windows=int(len(data.X_train)),
        n_val_windows=int(len(data.X_val)),
        batch_size=train_cfg.batch_size,
        steps_per_epoch=fit.steps_per_epoch,
        device=device_description(),
        versions=versions(),
        monitor=monitor,
        monitor_mode=mode,
        loss=fit.loss.name,
        focal_alpha=train_cfg.focal_alpha if train_cfg.loss == "focal" else None,
        class_weight={data.classes[i]: w for i, w in class_weight.items()} if class_weight else None,
        optimizer=train_cfg.optimizer,
        learning_rate=train_cfg.learning_rate,
        schedule=train_cfg.schedule.kind,
        jit_compile=train_cfg.jit_compile,
        distribute=train_cfg.distribute,
        precision=train_cfg.precision,
        seed=cfg.seed,
        history=history,
        timing=timing,
        lr_per_step=lr_curve,
        model=model,
        switches=switches,
        weight_decay=switches["optimizer"].get("weight_decay"),
        label_smoothing=train_cfg.label_smoothing,
        augment=switches.get("augment", {}),
        threads=run_threads()[0],
        parallel_runs=run_threads()[1],
    )


# ---------------------------------------------------------------------- entry point
def _budgeted(cfg: Config, data: PreparedData) -> tuple[Config, Budget]:
    """``cfg`` with 'auto' batch size / epochs / patience replaced by the budget chosen
    from the training windows (:mod:`lstm_helpers.model.budget`); says how, once. Where
    validation is too small to rank epochs (:func:`keeps_final_weights`) the copy runs
    the whole schedule: early stopping and the best-epoch checkpoint off."""
    k = data.n_classes
    final = keeps_final_weights(cfg.train, np.bincount(data.y_val, minlength=k))
    budget = choose_budget(len(data.y_train), np.bincount(data.y_train, minlength=k), cfg.train, not final)
    if cfg.train.verbose:
        print(budget.explanation, flush=True)
        info = data.input_info.to_dict()
        if (built := resolve_model(cfg.model, info)) is not cfg.model:
            blocks = ", ".join(f"{b.filters}x{b.kernel_size}" for b in built.fcn)
            print(
                f"one input channel, fixed length: LSTM-FCN as published (an LSTM of {built.units[0]} cells reads the "
                f"dimension-shuffled window beside the FCN branch {blocks}; model.architecture: auto)"
            )
        elif cfg.model.fcn == "auto" and (fcn := fcn_blocks(cfg.model, info)):
            blocks = ", ".join(f"{b.filters}x{b.kernel_size}" for b in fcn)
            print(f"one input channel: the LSTM-FCN branch ({blocks}) beside the recurrent layers (model.fcn: auto)")
    for message in budget.warnings:  # BudgetWarning: the terminal shows it too (runs/terminal.py NoteEcho)
        warnings.warn(message, BudgetWarning, stacklevel=3)
    out = apply_budget(cfg, budget)
    if final:
        out.train.early_stopping.enabled, out.train.checkpoint = False, False
    return out, budget


def run_training(
    cfg: Config,
    run_dir: str | Path,
    extra_callbacks: list[keras.callbacks.Callback] | None = None,
) -> TrainResult:
    """Build, compile and fit the model of ``cfg`` on the run's prepared windows.

    ``run_dir`` holds ``prepared.npz`` / ``prepare.json`` and receives ``model.keras``,
    ``history.csv``, ``timing.csv``, ``train.json`` (and ``tensorboard/`` when enabled);
    while running also ``backup/`` (Keras' backup, fingerprint, random state, best weights),
    removed once ``model.keras`` is written. A seed ensemble (:mod:`~lstm_helpers.model.ensemble`)
    trains its other members in ``members/m<k>/`` (reused when finished), before the run's own
    model or, when that model's validation saturated, after it, and saves their average as
    ``model.keras``. ``extra_callbacks`` go to the run's own fit (tests interrupt runs with them).
    Raises FileNotFoundError / ValueError before any training when artifacts are missing or
    inconsistent or the model spec or monitor does not fit."""
    started = time.perf_counter()
    layout = RunLayout(Path(run_dir))
    data = load_prepared(layout.root, require=("train", "val"))
    asked, (cfg, budget) = cfg, _budgeted(cfg, data)
    final = keeps_final_weights(cfg.train, np.bincount(data.y_val, minlength=data.n_classes))
    n_members, auto = ens.ensemble_size(cfg.train, final), cfg.train.ensemble == "auto"
    folds = ens.fold_plan(data, cfg.seed, n_members) if auto and final else None  # fold members
    ensemble_why = ens.ensemble_explanation(n_members, cfg.seed, auto, final, folds=folds is not None)
    start_stage(layout.root, asked, "train", say=print)  # 03's outputs go; params.yaml as asked ('auto' stays)
    if cfg.train.verbose and n_members > 1:
        print(f"ensemble: {ensemble_why}; members 2-{n_members} train first", flush=True)
    others = [_train_member(cfg, data, budget, layout, m, n_members, folds) for m in range(1, n_members)]
    result = _fit(cfg, data, budget, layout, extra_callbacks, started)
    saturated = saturated_epochs(result.history, result.monitor, result.monitor_mode)
    if n_members == 1 and (grown := ens.ensemble_size(cfg.train, final, saturated)) > 1:  # model/ensemble.py
        n_members = grown
        ensemble_why = ens.ensemble_explanation(n_members, cfg.seed, auto, final, saturated, result.monitor)
        if cfg.train.verbose:
            print(f"ensemble: {ensemble_why}; members 2-{n_members} train now", flush=True)
        others = [_train_member(cfg, data, budget, layout, m, n_members) for m in range(1, n_members)]
    if others:
        t0 = time.perf_counter()
        kind = ens.FOLD_PREFIX if folds is not None else "ensemble"
        model = ens.average_model([result.model, *others], name=f"{kind}_of_{n_members}")
        model.save(layout.model)
        result.model, result.folds = model, 0 if folds is None else n_members - 1
        vars(result).update(ens.averaged_counts(model, n_members, result.n_params))  # all members, and one's
        result.total_seconds += time.perf_counter() - t0
        vars(result).update(ens.summed_member_timing(layout, n_members, result.to_dict()))  # per epoch: all members
    result.budget = (result.budget or {}) | {"ensemble": ensemble_why}
    write_json(layout.train_json, result.to_dict())
    record_notebook_stage(layout.root, cfg, "train")  # (a notebook run by hand; the pipeline keeps its own)
    return result


def _train_member(
    cfg: Config, data: PreparedData, budget: Budget, layout: RunLayout, m: int, n: int, folds: np.ndarray | None = None
) -> keras.Model:
    """Member ``m`` >= 1 of a seed ensemble, trained silently in its own folder (or reused);
    on its fold's windows (:func:`~lstm_helpers.model.ensemble.fold_data`) when ``folds``."""
    member_cfg = cfg.model_copy(deep=True)
    member_cfg.seed, member_cfg.train.verbose = ens.member_seed(cfg.seed, m), 0
    where = ens.member_layout(layout, m)
    stat = layout.prepared.stat()  # a re-prepared run (other windows) retrains its members
    fingerprint = f"{training_fingerprint(member_cfg)}-{stat.st_size}-{stat.st_mtime_ns}"
    if folds is not None:
        data, fingerprint = ens.fold_data(data, folds, m), f"{fingerprint}-fold{m}of{n - 1}"
    if ens.finished_member(where, fingerprint):
        return load_trained_model(where.model)
    where.root.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    result = _fit(member_cfg, data, budget, where, None, t0)
    ens.mark_finished(where, fingerprint)
    if cfg.train.verbose:
        print(
            f"member {m + 1}/{n} (seed {member_cfg.seed}): weights of epoch {result.weights_epoch} "
            f"of {result.epochs_run}, {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
    return result.model


def _fit(
    cfg: Config,
    data: PreparedData,
    budget: Budget,
    layout: RunLayout,
    extra_callbacks: list[keras.callbacks.Callback] | None,
    started: float,
) -> TrainResult:
    """One model's fit in ``layout`` (resumed from its backup when there is one); writes its
    ``model.keras``, ``history.csv``, ``timing.csv`` and ``train.json``."""
    k = data.n_classes
    train_cfg = cfg.train
    val_counts = np.bincount(data.y_val, minlength=k)
    n_targets = target_class_count(data.classes)  # a text's <pad> is never a target
    monitor, mode = resolve_monitor(train_cfg, k, val_counts, n_targets)
    monitor_why = monitor_explanation(train_cfg, monitor, val_counts, chooses_threshold(cfg, data.meta))
    if train_cfg.verbose:  # and when train.top_k is clamped, that
        print("\n".join(filter(None, [monitor_why, top_k_note(train_cfg, k, n_targets)])), flush=True)
    fingerprint = training_fingerprint(cfg)
    resume = _resume_state(layout, fingerprint)
    if train_cfg.jit_compile:
        warnings.warn(
            "train.jit_compile = true: TensorFlow op determinism stays off (Keras refuses "
            "XLA with it), so two runs with the same seed can differ slightly",
            UserWarning,
            stacklevel=2,
        )
    set_determinism(cfg.seed, deterministic=not train_cfg.jit_compile)
    steps_per_epoch = math.ceil(len(data.X_train) / train_cfg.batch_size)
    model, loss, schedule = _compiled_model(cfg, data, steps_per_epoch)
    one_hot = needs_one_hot(train_cfg, k)
    mask_value = data.input_info.mask_value if data.input_info.masked else None
    train_ds, first_epoch = training_stream(data.X_train, data.y_train, train_cfg, k, one_hot, cfg.seed, mask_value)
    val_ds = make_dataset(data.X_val, data.y_val, train_cfg.batch_size, k, one_hot, False, cfg.seed)

    history_cb = EpochLogWriter(layout.history, resume.history, schedule)
    timing_cb = TimingCallback(
        len(data.X_train), steps_per_epoch, train_cfg.epochs, layout.timing, resume.timing,
        verbose=train_cfg.verbose > 0, previous_logs=resume.history, undefined=undefined_metrics(data),
    )  # fmt: skip
    backup = AtomicBackupAndRestore(layout.backup, delete_checkpoint=False)
    # the epochs the backup restores: a history row past them (logged just before a kill) is
    # not part of the state the checkpoint's best value or early stopping continue from
    previous = prior_rows(resume.history, backup.restored_epochs()) if resume.resuming else None
    monitors, early_stopping = _monitor_callbacks(train_cfg, layout, monitor, mode, previous)
    # order of on_epoch_end: timing first (closest to the epoch), then the logs, checkpoint
    # and stopping, the random state, the backup last, so a crash between them never loses
    # a logged epoch
    callbacks = [timing_cb, history_cb, *monitors]
    if train_cfg.tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(layout.tensorboard)))
    callbacks += [
        *(extra_callbacks or []),
        RandomStateKeeper(first_epoch, layout.rng_state),
        backup,
    ]
    write_json(layout.run_fingerprint, {"fingerprint": fingerprint})
    model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=train_cfg.epochs,
        callbacks=callbacks,
        steps_per_epoch=steps_per_epoch,
        class_weight=data.class_weight if train_cfg.use_class_weight else None,
        shuffle=False,  # the tf.data pipeline shuffles (seeded)
        verbose=2 if train_cfg.verbose >= 2 else 0,  # 1: only TimingCallback's compact line
    )
    fitted = _Fitted(model, loss, schedule, history_cb, timing_cb, early_stopping, steps_per_epoch)
    result = _result(cfg, data, layout, fitted, monitor, mode, resume, started)
    result.budget = budget.as_dict() | {"monitor": monitor_why}
    write_json(layout.train_json, result.to_dict())
    return result
