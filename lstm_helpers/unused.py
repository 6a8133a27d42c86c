"""Which parameters a run does not use: those its data kind never reads (a sequence file's
``data.time_column``) and those its other settings leave idle (``resample.imbalance_factor``
under ``resample.method: class_weight``, ``train.focal_gamma`` without a focal loss). The
report's parameter table leaves them out; a sweep leaves out runs that differ from another
only in idle settings (they would train the same model twice)."""

from __future__ import annotations

from typing import Any

from lstm_helpers.artifacts import flatten
from lstm_helpers.config import Config, resolve_config

_KEEP = ("class_map", "class_weight")  # dict-valued settings: one parameter each
_TEXT_KEYS = ("data.vocab_size", "data.lowercase", "data.max_chars", "model.embedding_dim")
_PADDED_KEYS = ("data.pad_length", "data.mask_value", "data.variable_length")
_SERIES_KEYS = ("windows.", "evaluate.bout_", "evaluate.timeline_recording")
# What each data kind never reads (the readers in lstm_helpers/data; data/README.md)
_UNREAD = {
    "recordings": ("data.sequence_columns", "data.table_blocks", "data.tokens", *_PADDED_KEYS, *_TEXT_KEYS),
    "sequences": (
        *(f"data.{k}" for k in ("demo", "format", "recording_column", "group_column", "time_column")),
        *(f"data.{k}" for k in ("label_column", "channels", "sample_rate_hz", "nan_policy", "encoding")),
        *("data.split_column", "data.test_path", "data.sequence_columns", "data.table_blocks"),
        *_TEXT_KEYS,
        *_SERIES_KEYS,
    ),
    "text": (
        *(f"data.{k}" for k in ("demo", "format", "recording_column", "group_column", "time_column")),
        *(f"data.{k}" for k in ("label_column", "channels", "sample_rate_hz", "nan_policy", "class_map")),
        *("data.other_class", "data.classes_of_interest", "data.split_column", "data.test_path"),
        *("data.sequence_columns", "data.table_blocks", "data.tokens", *_PADDED_KEYS, "scale.", "resample.augment."),
        *("windows.length_seconds", "windows.label_rule", "windows.min_fraction", "windows.unlabelled"),
        *("windows.max_unlabelled_fraction", "evaluate.bout_", "evaluate.timeline_recording"),
    ),
    "table": ("data.demo", "data.test_path", "data.tokens", *_TEXT_KEYS),
}


def unread_keys(flat: dict[str, Any]) -> list[str]:
    """The parameters of a flattened ``params.yaml`` that its ``data.kind`` never reads (a
    sequence file's ``data.time_column``, a text's ``scale.method``): listed in the report they
    read as settings the run used. A table with ``data.sequence_columns`` holds a sample per row,
    so windows and bouts do not apply; without, it is read as time steps and the padding keys
    do not."""
    kind = flat.get("data.kind", "recordings")
    unread = _UNREAD.get(kind, ())
    if kind == "table":
        unread += _SERIES_KEYS if flat.get("data.sequence_columns") else _PADDED_KEYS
    if kind == "sequences" and flat.get("data.tokens"):  # token ids: embedded, never scaled, padded with id 0
        unread = (*(k for k in unread if k != "model.embedding_dim"), "scale.", "data.mask_value")
    exact = {"windows.length"} if flat.get("windows.length_seconds") is not None else set()  # the seconds win
    if not str(flat.get("data.path", "")).replace("\\", "/").endswith("data/raw/demo"):
        exact.add("data.demo")  # it generates the demo recordings there only
    return [k for k in flat if k in exact or k.startswith(unread)]


def idle_settings(cfg: Config) -> dict[str, str]:
    """Parameters ``cfg``'s own other settings leave unused, each with the setting that does
    (read off the code that uses them: data/resampling.py, model/compile.py, model/schedules.py,
    data/windows.py, judge/thresholds)."""
    r, t, s, e = cfg.resample, cfg.train, cfg.train.schedule, cfg.evaluate
    kind = f"train.schedule.kind {s.kind}"
    rules: list[tuple[bool, tuple[str, ...], str]] = [
        (r.method in ("none", "class_weight"), ("resample.imbalance_factor",), f"resample.method {r.method}"),
        (r.method != "class_weight", ("resample.class_weight",), f"resample.method {r.method}"),
        (r.method not in ("smote", "smote_under"), ("resample.smote_k", "resample.on_small_class"), f"resample.method {r.method}"),
        (r.method != "augment", tuple(f"resample.augment.{k}" for k in ("jitter_sigma", "scale_sigma", "max_shift")), f"resample.method {r.method}"),
        (t.loss != "focal", ("train.focal_alpha", "train.focal_gamma"), f"train.loss {t.loss}"),
        (t.optimizer != "sgd", ("train.momentum",), f"train.optimizer {t.optimizer}"),
        (s.kind != "plateau", ("train.schedule.factor", "train.schedule.patience"), kind),
        (s.kind in ("constant", "cyclical"), ("train.schedule.min_lr",), kind),
        (s.kind not in ("cyclical", "one_cycle"), ("train.schedule.max_lr",), kind),
        (s.kind != "one_cycle", ("train.schedule.warmup_fraction",), kind),
        (s.kind != "cyclical", ("train.schedule.mode", "train.schedule.step_size_epochs"), kind),
        (s.kind != "cyclical" or s.mode != "exp_range", ("train.schedule.gamma",), kind if s.kind != "cyclical" else f"train.schedule.mode {s.mode}"),
        (cfg.windows.label_rule != "any", ("windows.min_fraction",), f"windows.label_rule {cfg.windows.label_rule}"),
        (e.threshold_strategy != "max_fbeta", ("evaluate.beta",), f"evaluate.threshold_strategy {e.threshold_strategy}"),
        (e.threshold_strategy != "recall_at_precision", ("evaluate.min_precision",), f"evaluate.threshold_strategy {e.threshold_strategy}"),
        (e.threshold_strategy != "precision_at_recall", ("evaluate.min_recall",), f"evaluate.threshold_strategy {e.threshold_strategy}"),
    ]  # fmt: skip
    return {key: why for idle, keys, why in rules if idle for key in keys}


def unused_settings(cfg: Config) -> dict[str, str]:
    """Every parameter ``cfg`` does not use, each with why: those its ``data.kind`` never
    reads (:func:`unread_keys`: a sequence file's ``windows.overlap_percent``, a non-text
    run's ``model.embedding_dim``) and those its other settings leave idle (:func:`idle_settings`)."""
    flat = flatten(cfg.to_dict(), keep=_KEEP)
    unread = {key: f"data.kind {cfg.data.kind}, which never reads it" for key in unread_keys(flat)}
    return {**unread, **idle_settings(cfg)}


def effective_fingerprint(cfg: Config) -> str:
    """:meth:`Config.fingerprint` with unused settings (:func:`unused_settings`) at their
    defaults: two runs with the same one train and judge the same model."""
    defaults = flatten(Config().to_dict(), keep=_KEEP)
    reset = {key: defaults[key] for key in unused_settings(cfg) if key in defaults}
    return resolve_config(cfg.to_dict(), reset).fingerprint()
