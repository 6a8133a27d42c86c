"""What Keras logs for a task (the metric names its history holds) and the checks of a quantity to
monitor or rank by against them: without Keras, so the command line and sweeps refuse a
``train.monitor`` that is never logged before a run directory exists (they refused it only in
stage 02, after stage 01 had run)."""

from __future__ import annotations

from lstm_helpers.config import ConfigError, TrainConfig


def top_k_for(train_cfg: TrainConfig, n_classes: int, n_targets: int | None = None) -> int:
    """``k = min(train.top_k, T - 1)`` for multi-class tasks, ``T`` the classes that can be a
    target (``n_targets``; default all ``n_classes``; a text's ``<pad>`` never is,
    :func:`lstm_helpers.data.text.target_class_count`): top-T of T is always 1."""
    targets = n_classes if n_targets is None else n_targets
    return max(1, min(train_cfg.top_k, targets - 1))


def top_k_note(train_cfg: TrainConfig, n_classes: int, n_targets: int | None = None) -> str | None:
    """What the run's log (and terminal) says when ``train.top_k`` is clamped (:func:`top_k_for`);
    None when it is not (or on a binary task, which logs no top-k). Said whenever the k used
    differs from ``train.top_k``, the default 5 too: the parameter table lists 5 while the
    epochs and the report show top-3 on a 4-class task, and a ``top_k: 5`` set in the config
    cannot be told from the default once ``params.yaml`` holds every value."""
    k = top_k_for(train_cfg, n_classes, n_targets)
    if n_classes == 2 or k == train_cfg.top_k:
        return None
    targets = n_classes if n_targets is None else n_targets
    pad = f" (<pad> of the {n_classes} classes never is one)" if targets < n_classes else ""
    return (
        f"train.top_k = {train_cfg.top_k} clamped to {k}: {targets} classes can be a target{pad}, and top-{targets} "
        f"accuracy would always be 1; top-{k} accuracy is logged and reported (valid train.top_k: 1-{max(1, targets - 1)})"
    )


def metric_names(n_classes: int, train_cfg: TrainConfig, n_targets: int | None = None) -> list[str]:
    """Names Keras logs for this task (without the ``val_`` prefix)."""
    if n_classes == 2:
        return ["loss", "accuracy", "precision", "recall", "pr_auc", "roc_auc"]
    return ["loss", "accuracy", "balanced_accuracy", f"top{top_k_for(train_cfg, n_classes, n_targets)}_accuracy"]


def auto_metric(n_classes: int) -> str:
    """The validation metric ``auto`` watches (early stopping) and ranks by (search):
    ``val_pr_auc`` for a binary task, ``val_balanced_accuracy`` for a multi-class one, the
    metrics a sweep's comparison ranks by (:func:`lstm_helpers.experiments.compare.rank_metric`)."""
    return "val_pr_auc" if n_classes == 2 else "val_balanced_accuracy"


def check_logged(
    name: str,
    n_classes: int,
    train_cfg: TrainConfig,
    key: str,
    validation_only: bool = False,
    n_targets: int | None = None,
) -> None:
    """Refuse a quantity to monitor or rank by that Keras does not log for this task: a
    ConfigError naming ``key`` and the valid names (``val_*`` only with ``validation_only``)."""
    names = metric_names(n_classes, train_cfg, n_targets)
    valid = [f"val_{n}" for n in names] + ([] if validation_only else names)
    if name not in valid:
        raise ConfigError(
            f"{key} = {name!r} is not logged for a {n_classes}-class task; valid: auto, {', '.join(valid)}"
        )


def refuse_mode_without_monitor(train_cfg: TrainConfig) -> None:
    """``train.monitor_mode`` set under ``train.monitor: auto`` is refused before training: auto
    picks the metric from the data, each with its own direction, and ``min`` on ``val_pr_auc``
    kept the worst epoch without a word. Checked where training starts (and before a run), not
    when parameters load: a finished run's ``params.yaml`` that holds one still opens."""
    if train_cfg.monitor == "auto" and train_cfg.monitor_mode != "auto":
        raise ConfigError(
            f"train.monitor_mode = {train_cfg.monitor_mode} needs a named train.monitor: auto picks val_pr_auc or "
            "val_balanced_accuracy (higher is better) or val_loss (lower) from the data; leave monitor_mode auto"
        )
