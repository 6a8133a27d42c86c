"""Which parameters a run does not use: those its data kind never reads (a sequence file's
``data.time_column``) and those its other settings leave idle (``resample.imbalance_factor``
under ``resample.method: class_weight``, ``train.focal_gamma`` without a focal loss), and the
one no run reads (``train.shuffle_buffer``: every epoch is a full seeded permutation). The
report's parameter table leaves out the first; one set away from its default, either kind is
named in a note (:func:`idle_notes`) that ``run`` / ``prepare`` / ``train`` / ``evaluate`` and
``search`` print before anything runs and each stage notebook prints for its own sections
(:func:`lstm_helpers.artifacts.open_run`), so the report says it beside the table. A sweep
leaves out runs that differ from another only in idle settings (they would train the same
model twice)."""

from __future__ import annotations

import json
from typing import Any

from lstm_helpers.artifacts import flatten
from lstm_helpers.config import Config, TrainConfig, resolve_config

_KEEP = ("class_map", "class_weight")  # dict-valued settings: one parameter each
_TEXT_KEYS = ("data.vocab_size", "data.lowercase", "data.max_chars", "model.embedding_dim")
_PADDED_KEYS = ("data.pad_length", "data.mask_value", "data.variable_length")
_SERIES_KEYS = ("windows.", "evaluate.bout_", "evaluate.timeline_recording")
# a run without a class of interest decides by the argmax: the threshold and its strategy are never chosen
_NO_INTEREST_KEYS = (
    *("evaluate.threshold", "evaluate.beta", "evaluate.min_precision", "evaluate.min_recall"),
    "evaluate.multiclass_decision",
)
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
        *_NO_INTEREST_KEYS,  # a text names no class of interest (its classes are characters)
        "evaluate.baseline",  # token ids have no MiniRocket baseline (judge/baseline.py)
    ),
    "table": ("data.demo", "data.test_path", "data.tokens", *_TEXT_KEYS),
}


def unread_keys(flat: dict[str, Any]) -> list[str]:
    """The parameters of a flattened ``params.yaml`` that its ``data.kind`` never reads (a
    sequence file's ``data.time_column``, a text's ``scale.method``): listed in the report they
    read as settings the run used. A table with ``data.sequence_columns`` (a sample per row) or
    ``data.sequence_column`` (a sequence per id) holds cases, so windows and bouts do not apply;
    without, it is read as time steps and the padding keys do not."""
    kind = flat.get("data.kind", "recordings")
    unread = _UNREAD.get(kind, ())
    if kind == "table":
        unread += (
            _SERIES_KEYS if flat.get("data.sequence_columns") or flat.get("data.sequence_column") else _PADDED_KEYS
        )
    if kind == "sequences" and flat.get("data.tokens"):  # token ids: embedded, never scaled, padded with id 0,
        unread = (*(k for k in unread if k != "model.embedding_dim"), "scale.", "data.mask_value", "evaluate.baseline")
    seconds = flat.get("windows.length_seconds") is not None and kind != "text"  # a text has no seconds
    exact = {"windows.length"} if seconds else set()  # the seconds win
    if not str(flat.get("data.path", "")).replace("\\", "/").endswith("data/raw/demo"):
        exact.add("data.demo")  # it generates the demo recordings there only
    return [k for k in flat if k in exact or k.startswith(unread)]


def reads(cfg: Config, key: str) -> bool:
    """Whether ``cfg``'s data kind reads ``key`` (not in :func:`unread_keys`): stage 01 checks a
    key only where it is read, so a setting a note calls without effect never fails a run."""
    return key not in unread_keys(flatten(cfg.to_dict(), keep=_KEEP))


def _seconds_win(flat: dict[str, Any]) -> bool:
    """Whether ``windows.length`` is unread only because ``windows.length_seconds`` wins (a
    sequence file, never windowed, reads neither)."""
    return flat.get("windows.length_seconds") is not None and "windows.length" not in unread_keys(
        {**flat, "windows.length_seconds": None}
    )


# settings no run reads (their keys stay valid: a params.yaml that holds one still loads): what uses
# none, as unused_settings says it ("unused under ...") and as a note says why
_NEVER_READ = {
    "train.shuffle_buffer": (
        "a full shuffle of the training windows each epoch",
        "every run and search trial shuffles all its training windows each epoch, with no buffer (a seeded "
        "permutation: model/datasets.py::training_stream)",
    ),
}

# why token ids leave a key unread: [scale.* and data.mask_value, evaluate.baseline]
_TOKENS_WHY = ("token ids are never scaled, and 0 is their padding", "token ids have no MiniRocket baseline")


def baseline_applies(cfg: Config) -> bool:
    """Whether stage 03 fits the MiniRocket baseline (and a run warms it up beside stage 02):
    ``evaluate.baseline`` minirocket on real values; token ids (text, ``data.tokens``) have none."""
    return cfg.evaluate.baseline != "none" and not (cfg.data.kind == "text" or cfg.data.tokens)


def _unread_for_tokens(flat: dict[str, Any]) -> set[str]:
    """The keys of :func:`unread_keys` left unread because the values are token ids
    (``data.tokens``): a sequence file of real values reads them (``scale.*``, ``data.mask_value``)."""
    return set(unread_keys(flat)) - set(unread_keys({**flat, "data.tokens": False}))


def _idle_rules(cfg: Config) -> list[tuple[bool, tuple[str, ...], str, str]]:
    """``(idle, keys, setting, who)``: ``keys`` are unused when ``idle``, because of ``setting``
    (a dotted key of ``cfg``); ``who`` says which of its values use them. Read off the code that
    uses them: data/resampling.py, data/prepare.py, model/models.py, model/compile.py, model/schedules.py,
    model/training.py, data/windows.py, judge/threshold.py."""
    r, t, s, e = cfg.resample, cfg.train, cfg.train.schedule, cfg.evaluate
    recurrent = tuple(f"model.{k}" for k in ("units", "bidirectional", "dropout", "recurrent_dropout", "unroll"))
    gamma_by = "train.schedule.kind" if s.kind != "cyclical" else "train.schedule.mode"
    return [
        (r.method in ("none", "class_weight"), ("resample.imbalance_factor",), "resample.method", "the resampling methods use it"),
        (r.method != "class_weight", ("resample.class_weight", "train.use_class_weight"), "resample.method", "class_weight uses it"),
        (r.method == "class_weight" and not t.use_class_weight, ("resample.class_weight",), "train.use_class_weight", "the weights apply when it is true"),
        (r.method not in ("smote", "smote_under"), ("resample.smote_k", "resample.on_small_class"), "resample.method", "smote and smote_under use it"),
        (cfg.model.cell == "none", recurrent, "model.cell", "lstm and gru use it; none pools the conv front end"),
        (not cfg.model.dense_units, ("model.dense_dropout",), "model.dense_units", "a dense layer uses it"),
        (r.method != "augment", tuple(f"resample.augment.{k}" for k in ("jitter_sigma", "scale_sigma", "max_shift")), "resample.method", "augment uses it"),
        (cfg.scale.method == "none", ("scale.per",), "scale.method", "standard, robust and minmax use it"),
        (t.loss != "focal", ("train.focal_alpha", "train.focal_gamma"), "train.loss", "focal uses it"),
        (t.optimizer != "sgd", ("train.momentum",), "train.optimizer", "sgd uses it"),
        (not t.early_stopping.enabled, ("train.early_stopping.restore_best_weights",), "train.early_stopping.enabled", "early stopping restores them"),
        (not t.early_stopping.enabled and not (s.kind == "plateau" and s.patience == "auto"), ("train.early_stopping.patience",), "train.early_stopping.enabled", "early stopping uses it, and an auto plateau patience"),
        (s.kind != "plateau", ("train.schedule.factor", "train.schedule.patience"), "train.schedule.kind", "plateau uses it"),
        (t.monitor != "auto" and t.monitor_mode == _auto_mode(t.monitor), ("train.monitor_mode",), "train.monitor", "auto gives the same mode: min for a loss, max otherwise"),
        (s.kind in ("constant", "cyclical"), ("train.schedule.min_lr",), "train.schedule.kind", "plateau, cosine and one_cycle use it"),
        (s.kind not in ("cyclical", "one_cycle"), ("train.schedule.max_lr",), "train.schedule.kind", "cyclical and one_cycle use it"),
        (s.kind != "one_cycle", ("train.schedule.warmup_fraction",), "train.schedule.kind", "one_cycle uses it"),
        (s.kind != "cyclical", ("train.schedule.mode", "train.schedule.step_size_epochs"), "train.schedule.kind", "cyclical uses it"),
        (s.kind != "cyclical" or s.mode != "exp_range", ("train.schedule.gamma",), gamma_by, "cyclical's exp_range mode uses it"),
        (cfg.windows.label_rule != "any", ("windows.min_fraction",), "windows.label_rule", "any uses it"),
        (e.threshold_strategy != "max_fbeta", ("evaluate.beta",), "evaluate.threshold_strategy", "max_fbeta uses it"),
        (e.threshold_strategy != "recall_at_precision", ("evaluate.min_precision",), "evaluate.threshold_strategy", "recall_at_precision uses it"),
        (e.threshold_strategy != "precision_at_recall", ("evaluate.min_recall",), "evaluate.threshold_strategy", "precision_at_recall uses it"),
    ]  # fmt: skip


def _auto_mode(monitor: str) -> str:
    """The mode ``train.monitor_mode: auto`` gives ``monitor`` (model/compile.py::resolve_monitor)."""
    return "min" if monitor.endswith("loss") else "max"


def idle_settings(cfg: Config) -> dict[str, str]:
    """Parameters ``cfg``'s own other settings leave unused, each with the setting that does
    (``train.loss crossentropy``; :func:`_idle_rules`)."""
    flat = flatten(cfg.to_dict(), keep=_KEEP)
    return {key: f"{by} {_shown(flat[by])}" for idle, keys, by, _ in _idle_rules(cfg) if idle for key in keys}


def _shown(value: Any) -> str:
    """A value as a config writes it: ``5``, ``0.9``, ``true``, ``[64, 32]``."""
    if isinstance(value, bool) or value is None or isinstance(value, list | dict):
        return json.dumps(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


# the sections each stage reads (as the CLI checks --set on train / evaluate)
STAGE_SECTIONS = {
    "prepare": ("seed", "data", "split", "windows", "scale", "resample"),
    "train": ("model", "train"),
    "evaluate": ("evaluate",),
}


# evaluate.threshold under a strategy that chooses one: noted, but not idle (unused_settings), since it
# is the fallback where validation cannot choose (judge/threshold.py::choose_threshold)
_THRESHOLD_WHY = (
    "applies only where validation cannot choose a threshold: evaluate.threshold_strategy is {strategy}, which "
    "chooses it on validation (set evaluate.threshold_strategy: fixed to apply it)"
)


def idle_notes(cfg: Config, stages: tuple[str, ...] | None = None, varied: Any = ()) -> list[str]:
    """One note per unused parameter (:func:`unused_settings`) set away from its default, in
    the sections of ``stages`` (None: all): ``train.focal_gamma = 5 has no effect: train.loss is
    crossentropy (focal uses it)``. Keys in ``varied`` (a search's space), or left unused by a
    setting in it, are left out: a trial may use them. ``data.demo`` is an off switch (False
    elsewhere than the demo folder): never noted, nor ``data.test_path`` where stage 01 refuses it
    (every kind but recordings: the note would say no effect, then the run failed). ``evaluate.threshold`` under a strategy that
    chooses the threshold is noted as applying only where validation cannot choose (the fallback)."""
    sections = None if stages is None else {sec for st in stages for sec in STAGE_SECTIONS[st]}
    flat, defaults = flatten(cfg.to_dict(), keep=_KEEP), flatten(Config().to_dict(), keep=_KEEP)
    why: dict[str, tuple[str | None, str]] = {}
    by_tokens = _unread_for_tokens(flat)
    for key in unread_keys(flat):
        if key in by_tokens:  # a sequence file of real values reads them; its token ids do not
            why[key] = ("data.tokens", f"data.tokens is true: {_TOKENS_WHY[key == 'evaluate.baseline']}")
        elif key == "windows.length" and _seconds_win(flat):
            why[key] = (
                "windows.length_seconds",
                f"windows.length_seconds is {_shown(flat['windows.length_seconds'])} (the seconds win)",
            )
        elif key not in ("data.demo", "data.test_path"):  # stage 01 refuses a test file of another kind, saying why
            why[key] = ("data.kind", f"data.kind is {flat['data.kind']}, which never reads it")
    for idle, keys, by, who in _idle_rules(cfg):
        why |= {key: (by, f"{by} is {_shown(flat[by])} ({who})") for key in keys if idle and key not in why}
    why |= {key: (None, text) for key, (_, text) in _NEVER_READ.items()}
    partly = set()  # not idle: said with its own verb (under argmax decision_notes says, once the classes are known)
    if (
        cfg.evaluate.threshold_strategy != "fixed" and "evaluate.threshold" not in why
        and cfg.evaluate.multiclass_decision != "argmax"
    ):  # fmt: skip
        partly.add("evaluate.threshold")
        why["evaluate.threshold"] = (
            "evaluate.threshold_strategy",
            _THRESHOLD_WHY.format(strategy=cfg.evaluate.threshold_strategy),
        )
    return [
        f"{key} = {_shown(flat[key])} {text if key in partly else 'has no effect: ' + text}"
        for key, (by, text) in why.items()
        if key in flat and flat[key] != defaults.get(key)
        and (sections is None or key.split(".")[0] in sections)
        and key not in varied and by not in varied
    ]  # fmt: skip


def unused_settings(cfg: Config) -> dict[str, str]:
    """Every parameter ``cfg`` does not use, each with why: those its ``data.kind`` never
    reads (:func:`unread_keys`: a sequence file's ``windows.overlap_percent``, a non-text
    run's ``model.embedding_dim``) and those its other settings leave idle (:func:`idle_settings`)."""
    flat = flatten(cfg.to_dict(), keep=_KEEP)
    by_tokens = _unread_for_tokens(flat)
    unread = {
        key: f"data.tokens true ({_TOKENS_WHY[key == 'evaluate.baseline']})"
        if key in by_tokens
        else f"windows.length_seconds {_shown(flat['windows.length_seconds'])} (the seconds win)"
        if key == "windows.length" and _seconds_win(flat)
        else f"data.kind {cfg.data.kind}, which never reads it"
        for key in unread_keys(flat)
    }
    return {**unread, **idle_settings(cfg), **{key: under for key, (under, _) in _NEVER_READ.items()}}


def effective_fingerprint(cfg: Config) -> str:
    """:meth:`Config.fingerprint` with unused settings (:func:`unused_settings`) at their
    defaults: two runs with the same one train and judge the same model."""
    defaults = flatten(Config().to_dict(), keep=_KEEP)
    reset = {key: defaults[key] for key in unused_settings(cfg) if key in defaults}
    return resolve_config(cfg.to_dict(), reset).fingerprint()


# what a threshold on the class of interest reads (judge/threshold.py::choose_threshold)
_THRESHOLD_KEYS = tuple(
    f"evaluate.{k}" for k in ("threshold_strategy", "threshold", "beta", "min_precision", "min_recall")
)


def decision_notes(cfg: Config, prep: dict[str, Any]) -> list[str]:
    """:func:`threshold_notes`, and ``train.top_k`` set away from its default on a binary task,
    which logs and reports no top-k accuracy (model/logged.py, judge/metrics.py): known only once
    stage 01 has named the classes (``prep``: ``prepare.json``)."""
    top_k, default = cfg.train.top_k, TrainConfig().top_k
    binary = len(prep.get("classes") or []) == 2 and top_k != default
    top_k_note = f"train.top_k = {top_k} has no effect: this task has 2 classes (top-k accuracy is for 3 or more)"
    return threshold_notes(cfg, prep) + [top_k_note] * binary


def threshold_notes(cfg: Config, prep: dict[str, Any]) -> list[str]:
    """The notes :func:`idle_notes` cannot give before stage 01 has named the classes
    (``prep``: ``prepare.json``): a multi-class run decides by the argmax without a class of
    interest, or with ``evaluate.multiclass_decision: argmax`` (judge/evaluation.py), so the
    threshold settings set away from their defaults have no effect; on a binary task a threshold
    always decides, so ``evaluate.multiclass_decision: argmax`` has none. Keys :func:`idle_notes`
    already names (or that a text never reads) are left out."""
    classes = [str(c) for c in prep.get("classes") or []]
    interest = [c for c in prep.get("classes_of_interest") or [] if c in classes]
    flat, defaults = flatten(cfg.to_dict(), keep=_KEEP), flatten(Config().to_dict(), keep=_KEEP)
    fallback = []  # a binary task under argmax: idle_notes left the threshold's fallback note to here
    if (
        len(classes) == 2
        and cfg.evaluate.multiclass_decision == "argmax"
        and cfg.evaluate.threshold_strategy != "fixed"
    ):
        th = _THRESHOLD_WHY.format(strategy=cfg.evaluate.threshold_strategy)
        fallback = [f"evaluate.threshold = {_shown(flat['evaluate.threshold'])} {th}"]
    if len(classes) == 2:
        keys, text = ("evaluate.multiclass_decision",), "this task has 2 classes, so a threshold on one decides"
    elif len(classes) > 2 and not interest:
        keys = _THRESHOLD_KEYS
        text = f"the {len(classes)} classes hold no class of interest (data.classes_of_interest), so the argmax decides"
    elif len(classes) > 2 and cfg.evaluate.multiclass_decision == "argmax":
        keys = _THRESHOLD_KEYS
        text = f"evaluate.multiclass_decision is argmax on {len(classes)} classes (threshold uses it)"
    else:
        return []
    # said to have no effect already; the threshold's fallback note (said before the classes were known) is
    # overruled here where the argmax decides
    said = {note.split(" = ")[0] for note in idle_notes(cfg, ("evaluate",)) if " has no effect: " in note}
    return [
        f"{key} = {_shown(flat[key])} has no effect: {text}"
        for key in keys
        if flat[key] != defaults[key] and key not in said and key not in unread_keys(flat)
    ] + [note for note in fallback if flat["evaluate.threshold"] != defaults["evaluate.threshold"]]
