"""Stage 02 in words: the headline table of a training run and the switches that were on.

:func:`training_switches` records the training switches of story 5 that a run had on
(optimizer, schedule, dropout, augmentation, label smoothing, early stopping, focal loss) as
``train.json``'s ``switches``; :func:`switch_words` says them in plain words, for notebook 02's
summary table (:func:`training_summary`, in the report's training section) and the slides'
"What was tried". Defaults that change nothing (no augmentation, no label smoothing, no weight
decay, no recurrent dropout) are left out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from lstm_helpers.config import TrainConfig
from lstm_helpers.style import during_training, fmt_number

if TYPE_CHECKING:
    from lstm_helpers.model.training import TrainResult

OPTIMIZERS = {"adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "sgd": "SGD"}
AUGMENTS = {  # train.augment key -> what it does, in words
    "jitter_sigma": "noise σ",
    "scale_sigma": "channel gain σ",
    "slice_fraction": "crops of up to",
    "warp_sigma": "time warp σ",
}


ADAMW_DECAY = 0.004  # Keras' AdamW default, what train.weight_decay: null gives AdamW (TF-free here: pages read it)


def class_weighting(classes: list[str], class_weight: dict[str, float] | None, focal_alpha: float | None) -> str:
    """What each class's windows weigh in the loss. Class weights and a focal loss's alpha
    (binary: the positive class ``classes[1]`` gets alpha, the other 1 - alpha) multiply when
    both are set, which a user who meant one of them would not guess: the product is shown."""
    if focal_alpha is not None and len(classes) == 2:
        alpha = {classes[0]: 1.0 - focal_alpha, classes[1]: focal_alpha}
        text = f"focal alpha {focal_alpha:g} ({_weights(alpha)})"
        if not class_weight:
            return text
        both = {c: alpha[c] * class_weight[c] for c in classes}
        return (
            f"{text} times class weights ({_weights(class_weight)}): {_weights(both)} per window; "
            "both apply (train.use_class_weight: false or focal_alpha: null keeps one)"
        )
    if class_weight:
        return f"class weights: {_weights(class_weight)}"
    return "none: every training window weighs 1"


def _weights(w: dict[str, float]) -> str:
    return ", ".join(f"{c} {v:.3g}" for c, v in w.items())


def _g(x: float) -> str:
    return f"{x:g}"


def _epochs(n: Any) -> str:
    """``3 epochs``; a patience left at auto (a run whose budget was not chosen yet) says so."""
    return "a patience chosen from the data size" if n == "auto" else f"{n} epoch{'' if n == 1 else 's'}"


def _dropouts(spec: dict[str, Any]) -> dict[str, Any]:
    """The model's non-zero dropout rates (a list per layer kept as given)."""
    out = {}
    for key in ("dropout", "recurrent_dropout", "dense_dropout"):
        v = spec.get(key)
        rates = v if isinstance(v, list) else [v]
        if any(r for r in rates if r is not None):
            out[key] = v
    if spec.get("cell") == "none":  # no recurrent layer: only the dense head's dropout applies
        out = {k: v for k, v in out.items() if k == "dense_dropout"}
    if not spec.get("dense_units", True):  # no dense layer ([]): no dense-head dropout (lstm_helpers.unused)
        out.pop("dense_dropout", None)
    return out


def _schedule(train_cfg: TrainConfig, learning_rate: float) -> dict[str, Any] | None:
    s = train_cfg.schedule
    if s.kind == "constant":
        return None
    if s.kind == "plateau":
        return {"kind": "plateau", "factor": s.factor, "patience": s.patience, "min_lr": s.min_lr}
    if s.kind == "cosine":
        return {"kind": "cosine", "min_lr": min(s.min_lr, learning_rate)}
    peak = s.max_lr if s.max_lr is not None else (3.0 if s.kind == "one_cycle" else 10.0) * learning_rate
    if s.kind == "cyclical":
        return {"kind": "cyclical", "max_lr": peak, "mode": s.mode, "step_size_epochs": s.step_size_epochs}
    return {"kind": "one_cycle", "max_lr": peak, "warmup_fraction": s.warmup_fraction}


def training_switches(train_cfg: TrainConfig, spec: dict[str, Any], monitor: str | None = None) -> dict[str, Any]:
    """The switches a run trained with, as ``train.json`` records them: only those that are
    on. ``train_cfg`` as trained (the budget's patience filled in); ``spec`` the model as built."""
    decay = train_cfg.weight_decay
    decay = ADAMW_DECAY if decay is None and train_cfg.optimizer == "adamw" else decay
    optimizer: dict[str, Any] = {"name": train_cfg.optimizer, "learning_rate": train_cfg.learning_rate}
    if decay:
        optimizer["weight_decay"] = decay
    if train_cfg.optimizer == "sgd":
        optimizer["momentum"] = train_cfg.momentum
    if train_cfg.clipnorm:
        optimizer["clipnorm"] = train_cfg.clipnorm
    out: dict[str, Any] = {"optimizer": optimizer}
    if (schedule := _schedule(train_cfg, train_cfg.learning_rate)) is not None:
        out["schedule"] = schedule
    if dropout := _dropouts(spec):
        out["dropout"] = dropout
    if augment := {k: v for k, v in train_cfg.augment.model_dump().items() if v}:
        out["augment"] = augment
    if train_cfg.label_smoothing:
        out["label_smoothing"] = train_cfg.label_smoothing
    if train_cfg.loss == "focal":
        out["focal"] = {"gamma": train_cfg.focal_gamma, "alpha": train_cfg.focal_alpha}
    es = train_cfg.early_stopping
    if es.enabled:
        out["early_stopping"] = {"patience": es.patience, "restore_best_weights": es.restore_best_weights}
        if monitor:
            out["early_stopping"]["monitor"] = monitor
    return out


def _schedule_words(s: dict[str, Any], lr: float) -> str:
    kind = s.get("kind")
    if kind == "plateau":
        return (
            f"learning rate ×{_g(s['factor'])} after {_epochs(s['patience'])} without improvement "
            f"(plateau), down to {_g(s['min_lr'])}"
        )
    if kind == "cosine":
        return f"cosine annealing from {_g(lr)} to {_g(s['min_lr'])} over the run"
    if kind == "cyclical":
        return (
            f"cyclical between {_g(lr)} and {_g(s['max_lr'])} ({s['mode']}, "
            f"half-cycle {_g(s['step_size_epochs'])} epochs)"
        )
    if kind == "one_cycle":
        return f"one-cycle: warm-up to {_g(s['max_lr'])} over {s['warmup_fraction']:.0%} of the updates, then annealing"
    return str(kind)


def _dropout_words(d: dict[str, Any]) -> str:
    def rate(v: Any) -> str:
        return " / ".join(_g(r) for r in v) if isinstance(v, list) else _g(v)

    names = {"dropout": "dropout", "recurrent_dropout": "recurrent dropout", "dense_dropout": "dense-head dropout"}
    return ", ".join(f"{names[k]} {rate(v)}" for k, v in d.items())


def _augment_words(a: dict[str, Any]) -> str:
    def one(k: str, v: float) -> str:
        if k == "slice_fraction":
            return f"crops of up to {v:.0%} stretched back"
        return f"{AUGMENTS.get(k, k)} {_g(v)}"

    return "every training batch perturbed: " + ", ".join(one(k, v) for k, v in a.items())


def switch_words(switches: dict[str, Any]) -> dict[str, str]:
    """``train.json``'s ``switches`` in plain words, one entry per switch that was on
    (``{"optimizer": "RMSprop, learning rate 0.001", "learning-rate schedule": "cosine ..."}``)."""
    out: dict[str, str] = {}
    opt = switches.get("optimizer") or {}
    if opt:
        words = f"{OPTIMIZERS.get(opt.get('name'), opt.get('name'))}, learning rate {_g(opt['learning_rate'])}"
        if opt.get("weight_decay"):
            words += f", weight decay {_g(opt['weight_decay'])}"
        if opt.get("momentum") is not None:
            words += f", momentum {_g(opt['momentum'])}"
        if opt.get("clipnorm"):
            words += f", gradients clipped to norm {_g(opt['clipnorm'])}"
        out["optimizer"] = words
    if s := switches.get("schedule"):
        out["learning-rate schedule"] = _schedule_words(s, opt.get("learning_rate", 0.0))
    if d := switches.get("dropout"):
        out["dropout"] = _dropout_words(d)
    if a := switches.get("augment"):
        out["augmentation"] = _augment_words(a)
    if ls := switches.get("label_smoothing"):
        out["label smoothing"] = _g(ls)
    if f := switches.get("focal"):
        alpha = f" and alpha {_g(f['alpha'])}" if f.get("alpha") is not None else ""
        out["focal loss"] = f"gamma {_g(f['gamma'])}{alpha} (the easy windows weigh less)"
    if es := switches.get("early_stopping"):
        watch = f" of {es['monitor']}" if es.get("monitor") else ""
        keep = "restoring the best epoch's weights" if es.get("restore_best_weights") else "keeping the last epoch's"
        out["early stopping"] = f"after {_epochs(es['patience'])} without improvement{watch}, {keep}"
    return out


def parameter_words(n_params: int, members: int = 1, per_member: int | None = None) -> str:
    """A model's parameters in words: ``9,613`` for one model, ``5 members of 9,613 parameters
    each, 48,065 in all`` for the average of several (``train.json``'s ``n_params``,
    ``ensemble`` and ``n_params_per_member``; without the last, a ``train.json`` written before
    it, one member's count is ``n_params / members``: the members share one architecture)."""
    if members <= 1:
        return fmt_number(n_params)
    each = per_member or n_params // members
    return f"{members} members of {fmt_number(each)} parameters each, {fmt_number(n_params)} in all"


def _threads_words(threads: int | None) -> str:
    """Where the run's TensorFlow was held to a thread count (a sweep's worker): its figures
    are reproduced with that count only (TensorFlow splits its sums over its threads)."""
    if not threads:
        return ""
    return (
        f" (figures reproduce with the same threads: TF_NUM_INTRAOP_THREADS={threads} "
        f"TF_NUM_INTEROP_THREADS={threads} OMP_NUM_THREADS={threads})"
    )


def software_words(versions: dict[str, str] | None) -> str | None:
    """The versions of ``train.json`` in a line: the workbench, then the libraries that train,
    split and score, and fit the baseline (``train.json`` lists them all)."""
    if not versions:
        return None
    shown = ("lstm-workbench", "tensorflow", "keras", "scikit-learn", "imbalanced-learn", "aeon", "numpy", "python")
    return ", ".join(f"{name} {versions[name]}" for name in shown if name in versions)


def training_summary(result: TrainResult) -> pd.DataFrame:
    """The headline numbers of :func:`~lstm_helpers.model.training.run_training` as a
    one-column table, with each training switch that was on in words."""
    rows = {
        "model": result.model_name,
        "parameters": parameter_words(result.n_params, result.ensemble, result.n_params_per_member),
        f"size (MB{', all members' if result.ensemble > 1 else ''})": result.size_mb,
        "epochs run": result.epochs_run,
        "best epoch": result.best_epoch,
        "stopped early": "yes" if result.stopped_early else "no",
        f"best {result.monitor}{during_training(result.monitor)}": result.best_value,
        "seconds per epoch (with checkpoint and logs)": result.seconds_per_epoch_mean,
        "training windows per second": result.windows_per_second,
        # stage 02's fit time (build, fit, save): the terminal's "[train] done in" adds kernel start and imports
        "fit time, s (build, fit, save)": result.total_seconds,
        "device": result.device + _threads_words(result.threads),
        "software": software_words(result.versions),
        "loss / batch": f"{result.loss} / {result.batch_size}",
        **switch_words(result.switches),
        "class weighting": class_weighting(result.classes, result.class_weight, result.focal_alpha),
    }
    if result.budget:  # how batch size, epochs and patience were chosen (model/budget.py)
        rows["budget"] = result.budget["explanation"]
        rows["what early stopping watches"] = result.budget.get("monitor")
    if result.ensemble > 1:
        rows["ensemble"] = result.budget["ensemble"]
    if result.resumed:
        rows["resumed"] = "yes: continued from the last finished epoch of an interrupted attempt"
    shown = {k: fmt_number(v) if isinstance(v, int | float) else v for k, v in rows.items() if v is not None}
    return pd.DataFrame({"value": list(shown.values())}, index=list(shown))
