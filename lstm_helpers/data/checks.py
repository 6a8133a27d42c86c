"""Checks of a run's data and parameters together that stage 01 needs and the command line
and sweeps run first, before a run directory exists (a DataError naming the file, the key and
what would do): a text long enough for one window, classes of interest in two groups, class
weights that name the task's classes, a window that fits some recording, a validation and a test
split the data can fill, train.focal_alpha only on a binary task, a train.monitor Keras logs."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path

import numpy as np

from lstm_helpers.config import Config, ConfigError, DataConfig, resolve_path
from lstm_helpers.data.labels import check_interest_mapped
from lstm_helpers.data.names import not_among
from lstm_helpers.data.recordings import DataError, SeriesSet, recording_rows
from lstm_helpers.style import classes_text, names_text

_READ: dict[str, SeriesSet] = {}  # read_for_checks: data section + file stamps -> the data, without values
_READ_LOCK = threading.Lock()
_READ_KEPT = 4  # data sections remembered (a sweep's runs usually share one)


def _stamps(path: str | Path | None) -> list | None:
    """Name, inode, size and modification time of the file at ``path`` or of the files in that folder."""
    if path is None:
        return None
    p = resolve_path(path)
    files = sorted(f for f in p.iterdir() if f.is_file()) if p.is_dir() else [p] if p.is_file() else []
    return [[str(f), st.st_ino, st.st_size, st.st_mtime_ns] for f in files for st in [f.stat()]]


def read_for_checks(data: DataConfig) -> SeriesSet:
    """The data as stage 01 reads them, for the checks made before a run directory exists:
    what the checks look at (recordings, lengths, groups, labels, classes), not the values.
    Runs of a sweep on the same data section and unchanged files (same names, inodes, sizes
    and modification times) share one read: each run read every file again in the sweep process
    before its stage 01 read them once more (1.4 s of a 4-run demo sweep's run, 0.7 s of CPU;
    seconds per run on a million rows). Stage 01 still reads and checks everything itself."""
    from lstm_helpers.data import inputs
    from lstm_helpers.data.recordings import read_dataset

    key = json.dumps([data.model_dump(mode="json"), _stamps(data.path), _stamps(data.test_path)], default=str)
    with _READ_LOCK:
        hit = _READ.get(key)
    if hit is not None:
        return hit
    with inputs.checking_only():  # its notes (cases truncated to data.pad_length) are stage 01's to say
        s = read_dataset(data)
    kept = dataclasses.replace(s, values=s.values[:0])
    with _READ_LOCK:
        while len(_READ) >= _READ_KEPT:
            _READ.pop(next(iter(_READ)))
        _READ[key] = kept
    return kept


def check_windows_fit(s: SeriesSet, cfg: Config) -> None:
    """Some recording must hold one window (a text, cut into chunks: one window plus its next
    character in some chunk): checked by stage 01 and, before a run directory exists, by the
    command line and sweeps (:func:`check_recordings_fit`)."""
    check_window_length(cfg)
    length = cfg.window_length
    if s.kind == "text" and not (s.lengths >= length + 1).any():
        raise DataError(
            f"{cfg.data.path}: {int(s.offsets[-1]):,} characters cut into {s.n_recordings} chunks of about "
            f"{int(s.lengths.mean()):,}, each shorter than windows.length={length} + 1; give a text of at least "
            f"{s.n_recordings * (length + 1):,} characters or lower windows.length"
        )
    if s.kind == "recordings" and not (s.lengths >= length).any():
        raise DataError(f"{_all_too_short(cfg, s.n_recordings, int(s.lengths.max()))}{one_case_hint(s, cfg)}")


def one_case_hint(s: SeriesSet, cfg: Config) -> str:
    """Where recordings too short for a window each hold one class throughout, they look like
    pre-segmented sequences (gestures, trials) given in long format: the way to read each as
    one case (``data.sequence_column``) instead of cutting windows from it; "" otherwise."""
    if s.kind != "recordings" or not cfg.data.recording_column:
        return ""
    classes_per_recording = (s.recording_class_counts() > 0).sum(axis=1)
    if s.n_recordings < 2 or (classes_per_recording != 1).any():
        return ""
    return (
        f"; each recording holds one class throughout: if each is a pre-segmented sequence (a gesture, a trial), "
        f"read each as one case, padded and scored whole, with data.kind: table and data.sequence_column: "
        f"{cfg.data.recording_column} in place of data.recording_column (data/README.md)"
    )


def check_recordings_fit(cfg: Config) -> None:
    """:func:`check_windows_fit` for a sweep, from the recording column alone (the rows of the
    longest recording bound its timesteps: data.nan_policy drop only removes rows); first the split
    fractions, as far as the config tells the predefined split (:func:`marked_splits`)."""
    check_interest_mapped(cfg.data)
    check_window_length(cfg)
    check_split_fractions(cfg, marked_splits(cfg))
    rows = recording_rows(cfg.data)
    if len(rows) and rows.max() < cfg.window_length:
        raise _all_too_short(cfg, len(rows), int(rows.max()))


def _smallest_window(cfg: Config) -> tuple[int, str]:
    """The fewest timesteps a window may hold, and why: 2, or the product of the pools of the
    convolution blocks the model will have (as :func:`~lstm_helpers.model.naming.resolve_model`
    builds them for windows of the listed channels), each of which divides time by its pool."""
    from lstm_helpers.model.naming import resolve_model

    channels = len(cfg.data.channels) if cfg.data.kind in ("recordings", "table") and cfg.data.channels else None
    info = {"kind": "tokens" if cfg.data.kind == "text" else "real", "n_channels": channels, "masked": False}
    pools = [b.pool for b in resolve_model(cfg.model, info).conv]
    product = int(np.prod(pools)) if pools else 1
    if product <= 2:
        return 2, "a window needs at least 2 timesteps"
    return product, (
        f"the model's convolution blocks pool time by {' x '.join(map(str, pools))} = {product} "
        f"(model.conv[*].pool), so a window needs at least {product} timesteps"
    )


def check_window_length(cfg: Config) -> None:
    """The window's length against the model's front end, before anything runs (stage 02 refused a
    window its pools shrink to 0 steps, naming model.conv, after stage 01 had cut every window),
    and ``windows.length_seconds`` that rounds below 2 timesteps (it was enlarged to 2 unsaid).
    Sequence files (their own length) are checked by the sweep planner and the model builder."""
    if cfg.data.reads_cases:
        return
    smallest, why = _smallest_window(cfg)
    seconds, rate = cfg.windows.length_seconds, cfg.data.sample_rate_hz
    if seconds is None:
        if cfg.windows.length < smallest:
            raise ConfigError(f"windows.length = {cfg.windows.length} timesteps is too short: {why}; "
                              f"set windows.length >= {smallest}, or smaller pools in model.conv")  # fmt: skip
        return
    steps = seconds * rate
    if round(steps) < smallest:
        raise ConfigError(
            f"windows.length_seconds = {seconds:g} is {steps:.3g} timesteps at data.sample_rate_hz {rate:g}, too "
            f"short: {why}; set windows.length_seconds >= {smallest / rate:.4g} ({smallest} timesteps)"
            + (", or smaller pools in model.conv" if smallest > 2 else "")
        )


def window_length_note(cfg: Config) -> list[str]:
    """A note when ``windows.length_seconds`` is no whole number of timesteps at the sampling rate,
    so the windows are a little longer or shorter than asked."""
    seconds, rate = cfg.windows.length_seconds, cfg.data.sample_rate_hz
    if seconds is None or cfg.data.kind == "sequences" or abs(seconds * rate - round(seconds * rate)) < 1e-6:
        return []
    n = cfg.window_length
    return [
        f"windows.length_seconds = {seconds:g} is {seconds * rate:.4g} timesteps at {rate:g} Hz: the windows hold "
        f"{n} timesteps ({n / rate:.4g} s)"
    ]


def _all_too_short(cfg: Config, n: int, longest: int) -> DataError:
    """All ``n`` recordings are shorter than one window: the window asked and the longest recording."""
    length, rate, seconds = cfg.window_length, cfg.data.sample_rate_hz, cfg.windows.length_seconds
    asked = f"windows.length={length}" if seconds is None else f"windows.length_seconds={seconds:g}: {length}"
    at = f" ({longest / rate:.4g} s at {rate:g} Hz)" if rate else ""
    return DataError(
        f"{cfg.data.path}: {'the only recording is' if n == 1 else f'all {n} recordings are'} shorter than one "
        f"window ({asked} timesteps); the longest holds {longest} timesteps{at}; set a shorter window"
    )


def check_class_weight_names(classes: list[str] | None, cfg: Config) -> None:
    """Weights by class name (``resample.class_weight``) must name the task's classes: from
    the data, or where only recordings' headers were read (``classes`` None), from
    ``data.class_map``'s targets. Stage 01 would fail on it after a run directory exists."""
    weights, data = cfg.resample.class_weight, cfg.data
    classes = _mapped_classes(classes, data)
    if isinstance(weights, dict) and classes is not None and (unknown := sorted(set(weights) - set(classes))):
        raise DataError(f"resample.class_weight: {not_among(unknown, classes, f'the classes of {data.path}')}")


def split_unit(s: SeriesSet, cfg: Config) -> str:
    """What a split keeps whole, as the user knows it: the group column's values, groups, or recordings."""
    by_group = cfg.split.by == "group"
    if by_group and s.kind in ("recordings", "table") and cfg.data.group_column:
        return f"{cfg.data.group_column} value"
    return "group" if by_group and s.kind == "sequences" else "recording"


def check_split_fractions(cfg: Config, marked: set[str] | None) -> None:
    """Training needs validation windows (early stopping, the checkpoint, the decision threshold
    and the baseline's are chosen on them) and stage 03 test windows: a fraction of 0 without a
    predefined split of that name (``marked``: the names a predefined split uses; None: not
    known yet) failed after stage 01, or after training."""
    if marked is None:
        return
    if cfg.split.val_fraction == 0 and "val" not in marked:
        raise DataError(
            "split.val_fraction=0 leaves no validation windows, which training needs (early stopping, the "
            "checkpoint and the decision threshold are chosen on them); set split.val_fraction > 0 (default "
            "0.2) or mark validation recordings 'val' in a predefined split (data.split_column)"
        )
    if cfg.split.test_fraction == 0 and "test" not in marked:
        raise DataError(
            "split.test_fraction=0 leaves no test windows for stage 03 to score; set split.test_fraction > 0 "
            "(default 0.2), give the test recordings in data.test_path, or mark them 'test' in a predefined "
            "split (data.split_column)"
        )


def marked_splits(cfg: Config) -> set[str] | None:
    """The split names a predefined split uses, known from the config alone (recordings read
    by their headers): a data.test_path marks test; a data.split_column is not known until read."""
    if cfg.data.split_column:
        return None
    return {"test"} if cfg.data.test_path else set()


def labelled_units(s: SeriesSet, cfg: Config) -> tuple[np.ndarray, str]:
    """Which recordings the split takes (a flag each), and a note on those it leaves out: every
    recording of a group (``split.by: recording``: the recording) with no labelled timestep at all.
    Such a group took a split's place and gave it no window (a test split of it, training's groups
    one fewer); unsaid. A recording without labels in a group that has some stays with its group."""
    keep = np.ones(s.n_recordings, bool)
    if s.kind not in ("recordings", "table"):
        return keep, ""
    labelled = s.recording_class_counts().sum(axis=1) > 0
    if labelled.all():
        return keep, ""
    units = np.asarray(s.groups if cfg.split.by == "group" else s.rec_ids).astype(str)
    keep = np.isin(units, units[labelled])
    left = sorted(set(units[~keep].tolist()))
    n = int((~labelled).sum())
    note = (
        f"{n} recording(s) ({names_text(s.rec_ids[~labelled])}) hold no labelled timestep: column "
        f"{cfg.data.label_column!r} is empty throughout"
    )
    if left:
        return keep, note + f"; {split_unit(s, cfg)}(s) {names_text(left)} left out of the split (no window to give)"
    return keep, note + "; they stay in their group's split and give no window"


def check_splits_fill(s: SeriesSet, cfg: Config) -> None:
    """The split fractions and the data's groups: each split needs a validation and a test
    split (:func:`check_split_fractions`) and one whole group of its own at least, drawn as
    stage 01 will (:func:`~lstm_helpers.data.splits.split_groups`, one draw)."""
    from lstm_helpers.data.splits import split_groups, split_seed

    keep, left_out = labelled_units(s, cfg)  # as stage 01: groups with no label take no split's place
    pre = None if s.predefined_split is None else np.asarray(s.predefined_split)[keep]
    check_split_fractions(cfg, set() if pre is None else set(np.unique(np.asarray(pre).astype(str)).tolist()))
    counts = (s.recording_class_counts() if s.kind != "text" else np.ones((s.n_recordings, 1)))[keep]
    units = np.asarray(s.groups if cfg.split.by == "group" else s.rec_ids)[keep]
    try:
        split_groups(units, counts, cfg.split.val_fraction, cfg.split.test_fraction, split_seed(cfg), False, 1, pre,
                     cfg.split.min_val_groups, unit=split_unit(s, cfg))  # fmt: skip
    except DataError as exc:
        by_recording = pre is None and cfg.split.by == "group" and s.n_recordings >= 3  # enough to fill them
        also = f", or split.by: recording (its {s.n_recordings} recordings split apart)" if by_recording else ""
        raise DataError(f"{cfg.data.path}: {exc}{also}" + (f" ({left_out})" if left_out else "")) from None


def check_splits_and_loss(s: SeriesSet, cfg: Config) -> None:
    """:func:`check_splits_fill`, :func:`check_train_settings` and :func:`check_token_settings`, with the data read."""
    check_splits_fill(s, cfg)
    check_train_settings(s.classes, cfg)
    check_token_settings(cfg)


def check_train_settings(classes: list[str] | None, cfg: Config) -> None:
    """The train section against the task's classes (None: not known yet), checked by the command
    line (run, and train on a prepared run), sweeps and searches before anything runs:
    :func:`check_focal_alpha` and :func:`check_monitor_logged`."""
    check_focal_alpha(classes, cfg)
    check_monitor_logged(classes, cfg)


def check_monitor_logged(classes: list[str] | None, cfg: Config) -> None:
    """``train.monitor`` must name a quantity Keras logs for the task (the check stage 02 makes,
    :func:`~lstm_helpers.model.logged.check_logged`): stage 02 refused it after stage 01 had run,
    with exit 1 and a run directory left behind. Refused only when no class count the run can
    have logs it: a text's classes are its characters cut to ``data.vocab_size`` by the training
    chunks (stage 01; the message names the whole vocabulary's), and recordings read by their headers
    without a class map may hold any."""
    from lstm_helpers.data.text import target_class_count
    from lstm_helpers.model.logged import check_logged, metric_names, refuse_mode_without_monitor

    monitor, train = cfg.train.monitor, cfg.train
    if monitor == "auto":  # always logged (val_loss where validation is small)
        refuse_mode_without_monitor(train)
        return
    classes = _mapped_classes(classes, cfg.data)
    if classes is None:
        counts = [(n, None) for n in range(2, train.top_k + 2)]  # binary, or k = min(top_k, n - 1)
    elif cfg.data.kind == "text":  # <pad>, <unk> and 1 to vocab_size - 2 characters; <pad> is no target
        counts = [(n, n - 1) for n in range(min(cfg.data.vocab_size, len(classes)), 2, -1)]
    else:
        counts = [(len(classes), target_class_count(classes))]
    names = list(dict.fromkeys(n for c, t in counts for n in metric_names(c, train, t)))
    if monitor in [f"val_{n}" for n in names] + names:
        return
    if classes is not None:  # the exact count, or a text's whole vocabulary (its likeliest): check_logged's words
        n_classes, n_targets = counts[0]
        check_logged(monitor, n_classes, train, "train.monitor", n_targets=n_targets)
    valid = ", ".join([f"val_{n}" for n in names] + names)
    raise ConfigError(
        f"train.monitor = {monitor!r} is not logged for a task of any number of classes; valid: auto, {valid}"
    )


def _mapped_classes(classes: list[str] | None, data: DataConfig) -> list[str] | None:
    """``classes``, or where only recordings' headers were read (None), ``data.class_map``'s targets."""
    if classes is None and data.class_map:
        return sorted(set(data.class_map.values()) | ({data.other_class} if data.other_class else set()))
    return classes


def check_token_settings(cfg: Config) -> None:
    """Settings that need real values, refused for token ids (text, or sequences with
    ``data.tokens``) before anything runs: stage 01 refused them after the run had started,
    and a sweep over ``resample.method`` failed midway."""
    if not (cfg.data.kind == "text" or cfg.data.tokens):
        return
    what = "text" if cfg.data.kind == "text" else "sequences of token ids (data.tokens)"
    if cfg.resample.method in ("smote", "smote_under", "augment"):
        how = "perturbs values" if cfg.resample.method == "augment" else "interpolates between windows"
        raise DataError(
            f"resample.method {cfg.resample.method!r} {how} and cannot be used on {what}; "
            "use none, class_weight, undersample or oversample"
        )
    aug = cfg.train.augment
    if max(aug.jitter_sigma, aug.scale_sigma, aug.slice_fraction, aug.warp_sigma) > 0:
        raise DataError(
            "train.augment (jitter_sigma, scale_sigma, slice_fraction, warp_sigma) applies to real-valued "
            f"series, not to {what}: set them to 0"
        )


def check_focal_alpha(classes: list[str] | None, cfg: Config) -> None:
    """``train.focal_alpha`` weighs the positive class of a binary task: on more classes stage 02
    refused it after stage 01 had run."""
    alpha = cfg.train.focal_alpha
    if cfg.train.loss != "focal" or alpha is None or classes is None or len(classes) <= 2:
        return
    raise DataError(
        f"train.focal_alpha={alpha:g} is the positive-class weight of a binary task, but {cfg.data.path} holds "
        f"{len(classes)} classes ({classes_text(classes)}); leave train.focal_alpha null (multi-class focal "
        "loss uses alpha = 1) and weight classes with resample.method=class_weight"
    )


def check_interest_groups(s: SeriesSet, cfg: Config) -> None:
    """Each class of interest must occur in two groups (animals, subjects; recordings with
    ``split.by: recording``) at least: a split that keeps a group whole puts one group's class in
    training or in validation / test, never both, so the model could not learn it and be judged
    on it. The run went on to report a PR-AUC of 0 and exited 0. A predefined split is the user's."""
    if s.predefined_split is not None and (s.predefined_split != "").any():
        return
    units = s.groups if cfg.split.by == "group" else s.rec_ids
    what = split_unit(s, cfg)
    counts = s.recording_class_counts()
    for c in cfg.data.classes_of_interest:
        holders = sorted(set(units[counts[:, s.classes.index(c)] > 0].tolist())) if c in s.classes else []
        if len(holders) == 1:
            raise DataError(
                f"{cfg.data.path}: the class of interest {c!r} occurs in one {what} only ({holders[0]}); a split "
                f"that keeps each {what} whole puts it in training or in validation / test, never both: add "
                f"recordings of {c!r} from another {what.split()[0]}, or a predefined split (data.split_column)"
            )


def _predefined_by(s: SeriesSet, cfg: Config) -> str:
    """What fixed the split in advance, as the user set it; "" for a split drawn by the seed."""
    if s.predefined_split is None or not (np.asarray(s.predefined_split) != "").any():
        return ""
    if cfg.data.split_column:
        return f"data.split_column {cfg.data.split_column!r}"
    if cfg.data.test_path:
        return f"data.test_path ({Path(str(cfg.data.test_path)).name})"
    return "the 'split' array of data.path"


def split_advice(s: SeriesSet, cfg: Config) -> str:
    """What could give each split the classes it lacks, as the split was made: a drawn split
    by another seed or other fractions; a predefined one (data.split_column, data.test_path, a
    sequence file's 'split' array) only by its own marks -- no seed redraws it (validation
    carved from its training side excepted)."""
    by = _predefined_by(s, cfg)
    if not by:
        by_rec = ", or split.by: recording" if cfg.split.by == "group" and cfg.data.kind != "text" else ""
        return (
            f"another seed (it draws the split), other split.val_fraction / split.test_fraction{by_rec} "
            "may give each split some"
        )
    marked = set(np.unique(np.asarray(s.predefined_split).astype(str)).tolist())
    carved = (
        "; validation is carved from its training side, which another seed or split.val_fraction draws anew"
        if "val" not in marked
        else ""
    )
    if cfg.data.test_path and not cfg.data.split_column:
        return f"the split is predefined by {by}, the test split, and data.path, the training side{carved}"
    unit = "case" if s.kind == "sequences" else "recording"
    return (
        f"the split is predefined by {by}, which no seed redraws: only its marks can give each split some of every "
        f"class (mark {unit}s of each class named above for the split that lacks it, or leave out a class meant for "
        f"one split only){carved}"
    )


def predefined_split_note(s: SeriesSet, cfg: Config) -> str:
    """A note where ``split.val_fraction`` / ``split.test_fraction``, set away from their
    defaults, have no effect: a predefined split that marks validation (test) recordings or
    cases takes those as that split (data/README.md), so ``--set split.val_fraction=0.4`` changed
    nothing, unsaid. Names what decides the split instead, with how many each mark holds."""
    by = _predefined_by(s, cfg)
    if not by:
        return ""
    pre = np.asarray(s.predefined_split).astype(str)
    default = type(cfg.split)()
    unit = "case" if s.kind == "sequences" else "recording"
    idle = [
        f"split.{name}_fraction = {value:g} has no effect: {by} marks the {what} {unit}s "
        f"({int((pre == name).sum()):,} '{name}')"
        for name, what, value, base in (
            ("val", "validation", cfg.split.val_fraction, default.val_fraction),
            ("test", "test", cfg.split.test_fraction, default.test_fraction),
        )
        if value != base and (pre == name).any()
    ]
    if not idle:
        return ""
    return (
        f"{'; '.join(idle)}. A split the marks name is taken as given: to size it by its fraction instead, "
        "remove its marks (without 'val' marks, validation is carved from the training side by split.val_fraction)"
    )


def check_interest_trained(s: SeriesSet, cfg: Config, split_of_rec: np.ndarray, train_labels: np.ndarray) -> None:
    """Each class of interest (a binary task's positive class) needs a real training window:
    without one the model cannot learn it, SMOTE adds none, and the run went on to a finished
    report on a class it never saw (stage 01 only noted it, advising another seed even under a
    predefined split). Refused in stage 01, before anything is resampled or trained, with advice
    that fits how the split was made (:func:`split_advice`) or, where training holds the class's
    timesteps but no window of it, the window settings."""
    if s.kind == "text":
        return
    wanted = [c for c in cfg.data.classes_of_interest if c in s.classes]
    if len(s.classes) == 2 and s.classes[1] not in wanted:
        wanted.append(s.classes[1])
    n = np.bincount(np.asarray(train_labels, np.int64), minlength=len(s.classes))
    lacking = [c for c in wanted if n[s.classes.index(c)] == 0]
    if not lacking:
        return
    c = lacking[0]
    what = "class of interest" if c in cfg.data.classes_of_interest else "positive class"
    steps = s.recording_class_counts()[np.asarray(split_of_rec) == "train"].sum(0)[s.classes.index(c)]
    if steps > 0:
        rule = cfg.windows.label_rule
        knob = "windows.length" if cfg.windows.length_seconds is None else "windows.length_seconds"
        fix = f"a shorter {knob}" + ("" if rule in ("center", "any") else " or windows.label_rule: center")
        why = (
            f"its {int(steps):,} training timesteps give no window under windows.label_rule '{rule}' in "
            f"{cfg.window_length}-step windows; try {fix}"
        )
    else:
        by, unit = _predefined_by(s, cfg), "case" if s.kind == "sequences" else "recording"
        if not by:
            why = f"no training {unit} holds it; {split_advice(s, cfg)}"
        elif cfg.data.test_path and not cfg.data.split_column:
            why = (
                f"the split is predefined by {by}, the test split, and data.path, the training side, holds no "
                f"{unit} of {c!r} that training could take: data.path must give training some"
            )
        else:
            why = f"the split is predefined by {by}, which puts no {unit} of {c!r} in training: it must give training some"
    raise DataError(
        f"{cfg.data.path}: the {what} {c!r} has no training window, so the model cannot learn it (resampling "
        f"makes none from nothing, and the run would report on a class it never saw): {why}"
    )
