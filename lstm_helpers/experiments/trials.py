"""What one trial of a search trains: the KerasTuner hypermodel and each trial's training windows.

Stage 01 of a search prepares the windows once, without rebalancing (``resample.method:
none``); each trial then rebalances those training windows by its own ``resample`` section
with stage 01's :func:`~lstm_helpers.data.resampling.rebalance`, so a search can try SMOTE
against class weights or undersampling, and the imbalance factor, as story 5 asks. A trial
reads its batches from the run's own training stream
(:func:`~lstm_helpers.model.datasets.training_stream`), so ``train.augment`` (jitter, gain,
slicing, warping) applies in a trial as it does in a run. Validation windows are never
rebalanced or augmented, and the test split is not loaded.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lstm_helpers.config import Config, ConfigError

if TYPE_CHECKING:
    from lstm_helpers.data.prepared import PreparedData
    from lstm_helpers.experiments.search import Dimension, Search

# what a trial's resampling cannot apply to token windows (stage 01's rebalance refuses them too)
INTERPOLATING = ("smote", "smote_under", "augment")
AUGMENT_KEYS = ("jitter_sigma", "scale_sigma", "slice_fraction", "warp_sigma")


@dataclass(frozen=True)
class TrainingSet:
    """One trial's training windows, labels and class weights (``None``: no weighting)."""

    X: np.ndarray
    y: np.ndarray
    class_weight: dict[int, float] | None

    def counts(self, n_classes: int) -> np.ndarray:
        return np.bincount(self.y, minlength=n_classes)


def padded_lengths(X: np.ndarray, mask_value: float) -> np.ndarray:
    """Real steps per window of sequences padded at the end with ``mask_value`` (stage 01 keeps
    every real step off the mask value, so a step is padding exactly when all its channels
    equal it: the rule of the model's Masking layer)."""
    real = (X != mask_value).any(axis=-1)
    last = real.shape[1] - np.argmax(real[:, ::-1], axis=1)
    return np.where(real.any(axis=1), last, 0)


class TrialWindows:
    """Each trial's :class:`TrainingSet`, rebalanced from the un-rebalanced training windows.

    The last set is kept: KerasTuner asks for it twice per trial (``build``, ``fit``), and
    consecutive trials often share a ``resample`` section. Rebalancing is stage 01's own
    :func:`~lstm_helpers.data.resampling.rebalance` (imbalanced-learn's SMOTE underneath).
    """

    def __init__(self, data: PreparedData):
        self.data = data
        self._key: str | None = None
        self._set: TrainingSet | None = None

    def for_config(self, cfg: Config) -> TrainingSet:
        from lstm_helpers.data.resampling import rebalance

        key = json.dumps([cfg.seed, cfg.resample.model_dump(mode="json")], sort_keys=True)
        if key != self._key or self._set is None:
            d = self.data
            info = d.input_info
            padding = None
            if info.masked and not info.tokens:
                lengths = padded_lengths(d.X_train, info.mask_value)
                padding = (lengths, info.mask_value) if (lengths < d.X_train.shape[1]).any() else None
            r = rebalance(d.X_train, d.y_train, cfg.resample, d.n_classes, cfg.seed, d.classes, info.tokens, padding)
            self._key, self._set = key, TrainingSet(r.X, r.y, r.class_weight)
        return self._set


def check_trials_fit_the_data(search: Search, data: PreparedData) -> None:
    """Refuse, before any trial, space values the prepared data cannot take: interpolating
    resampling or augmentation of token windows (a run's stage 01 refuses them too)."""
    if not data.input_info.tokens:
        return
    for key, dim in search.spec.space.items():
        values = dim.values or []
        if key == "resample.method" and (bad := [v for v in values if v in INTERPOLATING]):
            raise ConfigError(
                f"search file {search.shown}: space key 'resample.method' value(s) {bad} interpolate values and "
                "cannot rebalance token windows; use none, class_weight, undersample or oversample"
            )
        if key.startswith("train.augment.") and key.rsplit(".", 1)[-1] in AUGMENT_KEYS:
            raise ConfigError(
                f"search file {search.shown}: space key '{key}' augments real-valued series, not text or other "
                "token ids (data.tokens): remove it from the space"
            )


def _define(hp: Any, key: str, dim: Dimension, encoded: bool) -> Any:
    from lstm_helpers.experiments.search import _encode

    if dim.type == "choice":
        return hp.Choice(key, [_encode(v) for v in dim.values] if encoded else dim.values, ordered=False)
    sampling = "log" if dim.log else "linear"
    if dim.type == "int":
        return hp.Int(key, int(dim.min), int(dim.max), step=int(dim.step) if dim.step else None, sampling=sampling)
    return hp.Float(key, float(dim.min), float(dim.max), step=dim.step, sampling=sampling)


def make_hypermodel(search: Search, data: PreparedData) -> Any:
    """A ``keras_tuner.HyperModel`` whose ``build`` makes the run model of a trial's config and
    whose ``fit`` trains it on the trial's :class:`TrainingSet` with the run's training stream
    (batch size, class weights, augmentation) and compile parts (the functions of stage 02)."""
    from lstm_helpers.data.text import target_class_count
    from lstm_helpers.experiments.search import import_keras_tuner, resolve_objective
    from lstm_helpers.model.budget import apply_budget, choose_budget
    from lstm_helpers.model.compile import make_loss, make_metrics, make_optimizer, needs_one_hot
    from lstm_helpers.model.datasets import make_dataset, recurrent_use_cudnn, training_stream
    from lstm_helpers.model.models import build_model
    from lstm_helpers.model.schedules import make_schedule, plateau_callback

    kt = import_keras_tuner()
    windows = TrialWindows(data)
    k = data.n_classes
    mask_value = data.input_info.mask_value if data.input_info.masked else None

    class TrialModel(kt.HyperModel):
        def config(self, hp: Any) -> tuple[Config, TrainingSet]:
            for key, dim in search.spec.space.items():
                _define(hp, key, dim, search.encoded[key])
            cfg = search.config_for(search.values_of(hp.values))
            train = windows.for_config(cfg)
            return apply_budget(cfg, choose_budget(len(train.y), train.counts(k), cfg.train)), train

        def build(self, hp: Any) -> Any:
            cfg, train = self.config(hp)
            train_cfg = cfg.train
            steps = math.ceil(len(train.y) / train_cfg.batch_size)
            model = build_model(cfg.model, data.input_info, k, seed=cfg.seed, use_cudnn=recurrent_use_cudnn(train_cfg))
            # the schedule spans the trial's epochs, as it would span a run's
            lr = make_schedule(train_cfg.schedule, train_cfg.learning_rate, steps, search.spec.epochs)
            model.compile(
                optimizer=make_optimizer(train_cfg, lr),
                loss=make_loss(train_cfg, k),
                metrics=make_metrics(train_cfg, k, target_class_count(data.classes)),
                jit_compile=train_cfg.jit_compile,
            )
            return model

        def fit(self, hp: Any, model: Any, *args: Any, **kwargs: Any) -> Any:
            cfg, train = self.config(hp)
            one_hot = needs_one_hot(cfg.train, k)
            epochs = kwargs.setdefault("epochs", search.spec.epochs)
            # the run's stream: a seeded permutation per epoch, train.augment on each batch
            stream_cfg = cfg.train.model_copy(update={"epochs": epochs})
            train_ds, _ = training_stream(train.X, train.y, stream_cfg, k, one_hot, cfg.seed, mask_value)
            val_ds = make_dataset(data.X_val, data.y_val, cfg.train.batch_size, k, one_hot, False, cfg.seed)
            kwargs.pop("validation_data", None)
            class_weight = train.class_weight if cfg.train.use_class_weight else None
            kwargs.update(verbose=0, shuffle=False, steps_per_epoch=math.ceil(len(train.y) / cfg.train.batch_size))
            plateau = plateau_callback(
                cfg.train.schedule, *resolve_objective(search.spec, k, cfg.train, target_class_count(data.classes))
            )
            kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), *plateau]  # a plateau trial lowers its rate
            return model.fit(train_ds, validation_data=val_ds, class_weight=class_weight, **kwargs)

    return TrialModel(name="lstm_workbench_trial")
