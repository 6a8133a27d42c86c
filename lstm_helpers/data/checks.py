"""Checks of a run's data and parameters together that stage 01 needs and the command line
and sweeps run first, before a run directory exists (a DataError naming the file, the key and
what would do): a text long enough for one window, classes of interest in two groups, class
weights that name the task's classes, a window that fits some recording."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path

from lstm_helpers.config import Config, DataConfig, resolve_path
from lstm_helpers.data.recordings import DataError, SeriesSet, recording_rows
from lstm_helpers.style import classes_text

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
    length = cfg.window_length
    if s.kind == "text" and not (s.lengths >= length + 1).any():
        raise DataError(
            f"{cfg.data.path}: {int(s.offsets[-1]):,} characters cut into {s.n_recordings} chunks of about "
            f"{int(s.lengths.mean()):,}, each shorter than windows.length={length} + 1; give a text of at least "
            f"{s.n_recordings * (length + 1):,} characters or lower windows.length"
        )
    if s.kind == "recordings" and not (s.lengths >= length).any():
        raise _all_too_short(cfg, s.n_recordings, int(s.lengths.max()))


def check_recordings_fit(cfg: Config) -> None:
    """:func:`check_windows_fit` for a sweep, from the recording column alone (the rows of the
    longest recording bound its timesteps: data.nan_policy drop only removes rows)."""
    rows = recording_rows(cfg.data)
    if len(rows) and rows.max() < cfg.window_length:
        raise _all_too_short(cfg, len(rows), int(rows.max()))


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
    if classes is None and data.class_map:
        classes = sorted(set(data.class_map.values()) | ({data.other_class} if data.other_class else set()))
    if isinstance(weights, dict) and classes is not None and (unknown := sorted(set(weights) - set(classes))):
        raise DataError(
            f"resample.class_weight names {classes_text(unknown)}, not a class of {data.path}; "
            f"its classes: {classes_text(classes)}"
        )


def check_interest_groups(s: SeriesSet, cfg: Config) -> None:
    """Each class of interest must occur in two groups (animals, subjects; recordings with
    ``split.by: recording``) at least: a split that keeps a group whole puts one group's class in
    training or in validation / test, never both, so the model could not learn it and be judged
    on it. The run went on to report a PR-AUC of 0 and exited 0. A predefined split is the user's."""
    if s.predefined_split is not None and (s.predefined_split != "").any():
        return
    by_group = cfg.split.by == "group"
    units = s.groups if by_group else s.rec_ids
    named = by_group and s.kind in ("recordings", "table") and cfg.data.group_column
    what = f"{cfg.data.group_column} value" if named else "group" if by_group and s.kind == "sequences" else "recording"
    counts = s.recording_class_counts()
    for c in cfg.data.classes_of_interest:
        holders = sorted(set(units[counts[:, s.classes.index(c)] > 0].tolist())) if c in s.classes else []
        if len(holders) == 1:
            raise DataError(
                f"{cfg.data.path}: the class of interest {c!r} occurs in one {what} only ({holders[0]}); a split "
                f"that keeps each {what} whole puts it in training or in validation / test, never both: add "
                f"recordings of {c!r} from another {what.split()[0]}, or a predefined split (data.split_column)"
            )
