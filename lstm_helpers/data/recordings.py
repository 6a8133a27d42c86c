"""Reading inputs into one in-memory form: long-format recordings, pre-segmented sequences
(.npz) and plain text, all validated with errors that name the file, the column and what
would be valid -- before any training starts.

The common form is :class:`SeriesSet`: every recording (or case, or text chunk) laid end to
end in one ``values`` array with ``offsets`` marking where each starts, per-timestep class
indices (``-1`` = unlabelled), and one group id per recording for splitting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from lstm_helpers.config import PROJECT_ROOT, DataConfig, resolve_path
from lstm_helpers.data.files import list_files, read_delimited, skipped_files_notes
from lstm_helpers.data.gaps import check_sample_rate, dropped_rows_note, find_time_gaps
from lstm_helpers.data.inputs import (
    DataError,
    check_finite,
    check_numeric,
    csv_header,
    describe,
    is_delimited,
    missing_path_error,
    row_text,
    separator_hint,
    short,
)
from lstm_helpers.data.labels import check_interest_mapped, label_hint, map_labels, order_classes, positive_class_note
from lstm_helpers.data.names import missing_columns, not_among

_list_files = list_files  # the name data/tables.py imports
NAN_FIX = "set data.nan_policy to 'interpolate' or 'drop'"  # what a NaN under nan_policy: error asks for
DEMO_PATH = "data/raw/demo"  # the shipped demo folder: the one place demo recordings are generated

SPLIT_NAMES = ("train", "val", "test")
SPLIT_ALIASES = {
    "train": "train",
    "training": "train",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "dev": "val",
    "test": "test",
    "testing": "test",
}


@dataclass
class SeriesSet:
    """Recordings laid end to end.

    ``values`` (N, C) float32 or (N,) int32 tokens; ``labels`` (N,) int64 class index,
    -1 where unlabelled; recording r spans ``offsets[r]:offsets[r+1]``.
    """

    values: np.ndarray
    labels: np.ndarray
    offsets: np.ndarray
    rec_ids: np.ndarray
    groups: np.ndarray
    classes: list[str]
    channels: list[str]
    kind: str = "recordings"
    sample_rate_hz: float | None = None
    predefined_split: np.ndarray | None = None  # per recording: train/val/test or ""
    times: np.ndarray | None = None  # recordings with a time column: seconds per timestep
    # recordings whose NaN rows data.nan_policy dropped: each step's row within its recording
    # in the input (so predictions can be joined back to it); None when no row was dropped
    input_rows: np.ndarray | None = None
    # recordings with a time column: global index of each step that follows a gap in time (data/gaps.py)
    time_gaps: np.ndarray | None = None
    case_labels: np.ndarray | None = None  # sequences/text: one label per recording/case
    lengths_true: np.ndarray | None = None  # sequences: unpadded lengths
    vocabulary: list[str] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @property
    def n_recordings(self) -> int:
        return len(self.rec_ids)

    @property
    def tokens(self) -> bool:
        """``values`` are token ids (text, or sequences with ``data.tokens``), not real-valued channels."""
        return self.vocabulary is not None

    def real_steps(self) -> np.ndarray | None:
        """Per timestep, whether it is a real step of its sequence, not padding (None unless
        these are sequences with unpadded lengths)."""
        if self.kind != "sequences" or self.lengths_true is None:
            return None
        rec_of_step = np.repeat(np.arange(self.n_recordings), self.lengths)
        return np.arange(len(rec_of_step)) - self.offsets[rec_of_step] < self.lengths_true[rec_of_step]

    def recording_class_counts(self) -> np.ndarray:
        """(R, K) labelled timesteps per class in each recording (vectorised)."""
        k = len(self.classes)
        rec_index = np.repeat(np.arange(self.n_recordings), self.lengths)
        ok = self.labels >= 0
        out = np.zeros((self.n_recordings, k), dtype=np.int64)
        np.add.at(out, (rec_index[ok], self.labels[ok]), 1)
        return out


# ---------------------------------------------------------------------------- recordings
def is_demo_path(path: Path) -> bool:
    """True for the shipped demo folder ``data/raw/demo`` (the only place demo data is generated)."""
    return Path(path).resolve() == (PROJECT_ROOT / DEMO_PATH).resolve()


def _path_key(cfg: DataConfig, path: str | Path | None) -> str:
    return "data.path" if path is None else "data.test_path" if path == cfg.test_path else "--input"


def recording_files(cfg: DataConfig, path: str | Path | None = None) -> list[Path]:
    """The recording files ``data.path`` (or ``path``) names; never creates anything except the
    demo recordings at the shipped demo path when ``data.demo`` is true."""
    root = resolve_path(path or cfg.path)
    if cfg.demo and path is None and is_demo_path(root):
        from lstm_helpers.data.demo import ensure_demo_recordings

        ensure_demo_recordings(root)  # under a lock: a half-written set is never read
    if not root.exists():
        raise missing_path_error(path or cfg.path, _path_key(cfg, path))
    return list_files(root, cfg.format, _path_key(cfg, path))


def needed_columns(cfg: DataConfig, need_label: bool, id_key: str = "recording_column") -> dict[str, str]:
    """Parameter -> the column it names, of every column a table must hold (``id_key``: what
    names each row's recording, or sequence)."""
    need = {f"data.{id_key}": getattr(cfg, id_key)}
    if need_label:
        need["data.label_column"] = cfg.label_column
    for key in ("group_column", "time_column", "split_column"):
        if getattr(cfg, key):
            need[f"data.{key}"] = getattr(cfg, key)
    for i, ch in enumerate(cfg.channels):
        need[f"data.channels[{i}]"] = ch
    return need


def table_columns(path: Path, cfg: DataConfig) -> list[str]:
    """Column names from the header (CSV first line / Parquet schema) without reading the body."""
    if is_delimited(path):
        return csv_header(path, cfg.encoding, cfg.sep)
    kind = describe(path)
    if kind != "a Parquet file":
        raise DataError(f"{path} is {kind}, not a Parquet file")
    import pyarrow.parquet as pq

    try:
        return list(pq.read_schema(path).names)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a broken file
        raise DataError(f"{path} is not a readable Parquet file (corrupt or truncated): {short(str(exc))}") from None


def _checked_header(path: Path, cfg: DataConfig, need_label: bool) -> tuple[list[str], dict[str, str]]:
    """The file's column names and the columns the config needs, refusing a file that lacks one."""
    names = table_columns(path, cfg)
    need = needed_columns(cfg, need_label)
    missing = [(k, v) for k, v in need.items() if v not in names]
    if missing:
        raise DataError(_missing_columns(path, missing, names, separator_hint(names, cfg.sep)))
    return names, need


def check_recording_headers(cfg: DataConfig) -> None:
    """Only the headers of ``data.path`` (and ``data.test_path``): the files exist, are what
    they claim and hold the columns the config names. Cheap (no data rows are read): a sweep
    checks each of its data sections so before any run starts."""
    if cfg.kind != "recordings":
        return
    for path in (None, cfg.test_path) if cfg.test_path else (None,):
        for f in recording_files(cfg, path):
            _checked_header(f, cfg, need_label=True)


def recording_rows(cfg: DataConfig) -> pd.Series:
    """Rows per recording at ``data.path`` (and ``data.test_path``) from each checked header and
    the recording column alone: what a sweep reads to know its windows fit, not the channels."""
    counts = [pd.Series(dtype="int64")]
    for path in (None, cfg.test_path) if cfg.test_path else (None,):
        for f in recording_files(cfg, path):
            _checked_header(f, cfg, need_label=True)
            col = [cfg.recording_column]
            try:
                if is_delimited(f):
                    rec = read_delimited(f, cfg.encoding, cfg.sep, columns=col, dtype=str)[col[0]]
                else:
                    rec = pd.read_parquet(f, columns=col)[col[0]].astype(str)
            except Exception as exc:  # noqa: BLE001 - re-raised with the file name
                raise DataError(f"cannot read {f}: {short(str(exc))}") from exc
            counts.append(rec.value_counts())
    return pd.concat(counts).groupby(level=0).sum()


def _read_table(path: Path, cfg: DataConfig, need_label: bool, settable: bool = True) -> pd.DataFrame:
    """Check the header, then read only the needed columns, by name (``settable``: the
    user can change data.* for this read; predict cannot)."""
    names, need = _checked_header(path, cfg, need_label)
    keep = list(dict.fromkeys([*need.values(), *([cfg.label_column] if cfg.label_column in names else [])]))
    try:
        if is_delimited(path):
            df = read_delimited(path, cfg.encoding, cfg.sep, cfg.decimal, columns=keep)
        else:
            df = pd.read_parquet(path, columns=keep)
    except Exception as exc:  # noqa: BLE001 - re-raised with the file name
        raise DataError(f"cannot read {path}: {short(str(exc))}") from exc
    if df.empty:
        raise DataError(f"{path} has a header but no data rows")
    check_series_numbers(df, cfg, path, "channel column", settable)
    df["__file"] = str(path)
    df["__row"] = np.arange(len(df))
    return df


def check_series_numbers(df: pd.DataFrame, cfg: DataConfig, path: Path, what: str, settable: bool = True) -> None:
    """The channel columns (named ``what``) and the time column, where the frame has one, hold
    numbers at ``data.decimal`` (:func:`~lstm_helpers.data.inputs.check_numeric`)."""
    check_numeric(df, list(cfg.channels), path, what, settable, cfg.decimal)
    if cfg.time_column and cfg.time_column in df:
        check_numeric(df, [cfg.time_column], path, "time column", settable, cfg.decimal)


def _check_columns(df: pd.DataFrame, path: Path, cfg: DataConfig, need_label: bool) -> None:
    """Refuse a frame (e.g. given to predict) that lacks a needed column."""
    missing = [(k, v) for k, v in needed_columns(cfg, need_label).items() if v not in df.columns]
    if missing:
        raise DataError(_missing_columns(path, missing, list(df.columns), separator_hint(list(df.columns), cfg.sep)))


def _missing_columns(path: Path, missing: list[tuple[str, str]], present: list[str], sep_hint: str = "") -> str:
    """The error for columns the config names but the table lacks (:func:`~lstm_helpers.data.names.missing_columns`:
    the closest columns first), with the way out when the missing one is the time column (rows in
    order at the sample rate), or, for a header read at the wrong separator, ``sep_hint``
    (:func:`~lstm_helpers.data.inputs.separator_hint`)."""
    hint = sep_hint
    if not hint and any(k == "data.time_column" for k, _ in missing):
        hint = "; a table without time stamps: set data.time_column: null (rows in order at data.sample_rate_hz)"
    return missing_columns(path, missing, present, hint)


def _nan_policy(
    values: np.ndarray,
    rec_offsets: np.ndarray,
    df: pd.DataFrame,
    cfg: DataConfig,
    source: str,
    fix: str | None,
    notes: list[str],
) -> tuple[np.ndarray, np.ndarray | None]:
    """Return values after the NaN policy and, for 'drop', the row mask kept. Under 'error' the
    message names the first file holding a NaN and the row within it (``__file`` / ``__row``),
    and ends with ``fix`` (by default: set data.nan_policy); what 'interpolate' filled or 'drop'
    left out goes to ``notes`` (:func:`_interpolated_note`, :func:`~lstm_helpers.data.gaps.dropped_rows_note`)."""
    nan_rows = np.isnan(values).any(axis=1)
    if not nan_rows.any():
        return values, None
    if cfg.nan_policy == "error":
        in_file = nan_rows & (df["__file"] == df["__file"].iloc[int(np.argmax(nan_rows))]).to_numpy()
        first = np.flatnonzero(in_file)[np.argmin(df["__row"].to_numpy()[in_file])]  # in the file's own order
        col = cfg.channels[int(np.argmax(np.isnan(values[first])))]
        others = int(nan_rows.sum() - in_file.sum())
        raise DataError(
            f"{df['__file'].iloc[first]}: {int(in_file.sum())} row(s) have NaN (an empty cell, or a marker "
            f"such as NA or n/a) in channel columns (first: {row_text(int(df['__row'].iloc[first]), df['__file'].iloc[first])}, column {col!r})"
            f"{f', and {others} more in other files' if others else ''}; "
            f"{fix or NAN_FIX}"
        )
    rec = np.repeat(np.arange(len(rec_offsets) - 1), np.diff(rec_offsets))
    if cfg.nan_policy == "drop":
        notes.append(dropped_rows_note(nan_rows, rec, source))
        return values, ~nan_rows
    # interpolate linearly within each recording (pandas does it per column)
    out = pd.DataFrame(values).groupby(rec, sort=False).transform(lambda s: s.interpolate(limit_direction="both"))
    out = out.to_numpy(dtype=np.float32)
    if np.isnan(out).any():  # a channel with no value at all in one recording
        row, col = (int(i) for i in np.argwhere(np.isnan(out))[0])
        raise DataError(
            f"{df['__file'].iloc[row]}: channel {cfg.channels[col]!r} of recording "
            f"{short(df[cfg.recording_column].iloc[row], 80)} is entirely NaN (empty), so data.nan_policy "
            "'interpolate' has nothing to fill it from; fill the channel, leave the recording out, or remove "
            "the channel from data.channels"
        )
    notes.append(_interpolated_note(np.isnan(values), rec, cfg.channels, source))
    return out, None


def _interpolated_note(nan: np.ndarray, rec: np.ndarray, channels: list[str], source: str) -> str:
    """What ``data.nan_policy: interpolate`` filled (``nan``: (N, C) where values were NaN, ``rec``
    each row's recording): values per channel and how many recordings, said as a note -- a
    filled value was changed data that no note, prepare.json or report mentioned. Kept in the
    reader's notes (stage 01's summary, prepare.json, the report), as the catch-all's note is."""
    per_channel = nan.sum(0)
    hit = np.flatnonzero(per_channel)
    listed = ", ".join(f"{channels[c]!r} {int(per_channel[c]):,}" for c in hit[:8]) + (" ..." if len(hit) > 8 else "")
    note = (
        f"{Path(source).name}: data.nan_policy 'interpolate' filled {int(nan.sum()):,} NaN value(s) "
        f"(linearly, within each recording) in {len(np.unique(rec[nan.any(1)]))} of {int(rec.max()) + 1} "
        f"recording(s); per channel: {listed}"
    )
    return note


def _order_by_recording(df: pd.DataFrame, cfg: DataConfig, source: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows grouped by recording (file order kept); returns the frame and each row's recording code."""
    df[cfg.recording_column] = df[cfg.recording_column].astype(str)
    rec_files = df.groupby(cfg.recording_column, sort=False)["__file"].nunique()
    if (rec_files > 1).any():
        shared = rec_files[rec_files > 1]
        r = shared.index[0]
        files = [Path(f).name for f in pd.unique(df.loc[df[cfg.recording_column] == r, "__file"])]
        raise DataError(
            f"{source}: recording {short(r, 80)} (column {cfg.recording_column!r}) appears in {len(files)} files "
            f"({files[0]}, {files[1]}{', ...' if len(files) > 2 else ''})"
            f"{f' (as are {len(shared) - 1} more recording id(s))' if len(shared) > 1 else ''}; each recording "
            "needs an id of its own across all files: make the ids unique, e.g. combine them with the file "
            "name or the group ('S01_1')"
        )
    order = pd.Index(pd.unique(df[cfg.recording_column]))
    codes = order.get_indexer(df[cfg.recording_column])
    df = df.iloc[np.argsort(codes, kind="stable")].reset_index(drop=True)
    return df, np.sort(codes, kind="stable")


def _times(df: pd.DataFrame, rec_codes: np.ndarray, cfg: DataConfig, source: str) -> np.ndarray | None:
    """Timestamps in seconds; duplicated or decreasing times within a recording are errors."""
    if not cfg.time_column:
        return None
    t = pd.to_numeric(df[cfg.time_column], errors="coerce").to_numpy(dtype=np.float64)
    if not np.isfinite(t).all():
        i = int(np.argmax(~np.isfinite(t)))
        raise DataError(
            f"{df['__file'].iloc[i]}: time column {cfg.time_column!r} has a missing, "
            f"non-numeric or infinite value at {row_text(int(df['__row'].iloc[i]), df['__file'].iloc[i])}"
        )
    dt = np.diff(t)
    same_rec = np.diff(rec_codes) == 0
    for bad, what in (
        (same_rec & (dt == 0), "duplicated timestamps"),
        (same_rec & (dt < 0), "unsorted (decreasing) time"),
    ):
        if bad.any():
            i = int(np.argmax(bad)) + 1
            raise DataError(
                f"{df['__file'].iloc[i]}: recording {short(df[cfg.recording_column].iloc[i], 80)} has "
                f"{what} in column {cfg.time_column!r} at {row_text(int(df['__row'].iloc[i]), df['__file'].iloc[i])} "
                f"(t={t[i]}); sort each recording by time and remove duplicates"
            )
    return t


def _channel_values(df: pd.DataFrame, cfg: DataConfig, nan_policy_key: str | None) -> np.ndarray:
    """Channels as float64, refusing infinite and out-of-float32-range values with file, column, row
    (and, with ``nan_policy_key``, the setting under which blanked values would be handled)."""
    values = df[cfg.channels].to_numpy(dtype=np.float64)
    limit = float(np.finfo(np.float32).max)
    with np.errstate(invalid="ignore"):
        bad_rows = (np.isinf(values) | (np.abs(values) > limit)).any(axis=1)
    if bad_rows.any():
        i = int(np.argmax(bad_rows))
        same_file = (df["__file"] == df["__file"].iloc[i]).to_numpy()
        check_finite(
            values[same_file],
            str(df["__file"].iloc[i]),
            cfg.channels,
            rows=df["__row"].to_numpy()[same_file],
            nan_policy_key=nan_policy_key,
        )
    return values


def _class_list(
    seen: list[str], cfg: DataConfig, classes: list[str] | None, source: str, require_labels: bool, counts: dict
) -> list[str]:
    if classes is None:
        if require_labels and len(seen) < 2:
            raise DataError(
                f"{source}: only {len(seen)} class ({short(seen)}) in column {cfg.label_column!r} after "
                f"data.class_map; a classifier needs at least two"
            )
        classes = order_classes(seen, cfg.classes_of_interest, counts, cfg.other_class)
    else:
        unknown = sorted(set(seen) - set(classes))
        if unknown:
            raise DataError(f"{source}: class(es) {not_among(unknown, classes, 'the training classes', 'were not in')}")
    missing_interest = [c for c in cfg.classes_of_interest if c not in classes]
    if missing_interest:
        raise DataError(f"data.classes_of_interest: {not_among(missing_interest, classes, 'the classes found')}")
    return classes


def _per_recording(
    df: pd.DataFrame, column: str, first_rows: np.ndarray, cfg: DataConfig, source: str, what: str
) -> np.ndarray:
    """One value of ``column`` per recording; a recording holding two values is an error."""
    per_rec = df.groupby(cfg.recording_column, sort=False)[column].nunique()
    if (per_rec > 1).any():
        raise DataError(
            f"{source}: recording {short(per_rec[per_rec > 1].index[0], 80)} has more than "
            f"one {what} in column {column!r}"
        )
    return df[column].astype(str).to_numpy()[first_rows].astype(str)


def _predefined_split(df: pd.DataFrame, cfg: DataConfig, first_rows: np.ndarray, source: str) -> np.ndarray | None:
    if not cfg.split_column:
        return None
    sp = df[cfg.split_column].astype(str).str.strip().str.lower().map(SPLIT_ALIASES)
    if sp.isna().any():
        bad = df[cfg.split_column][sp.isna()].iloc[0]
        raise DataError(
            f"{source}: split column {cfg.split_column!r} has value {short(bad, 60)}; "
            f"allowed: train, val (validation), test"
        )
    df = df.assign(**{cfg.split_column: sp})  # normalised (Train, validation: train, val) under the user's name
    return _per_recording(df, cfg.split_column, first_rows, cfg, source, "split")


def read_recordings(
    cfg: DataConfig,
    path: str | Path | None = None,
    *,
    require_labels: bool = True,
    classes: list[str] | None = None,
    nan_fix: str | None = None,
    settable: bool = True,
) -> SeriesSet:
    """Read long-format recordings (CSV / Parquet, one file or a folder) into a SeriesSet.

    Checks each file's header before its body and reads only the configured columns, by
    name. Validates numeric and finite channels, NaNs (``data.nan_policy``), time order
    within each recording (duplicated or decreasing timestamps are errors), labels against
    the class map, and that more than one class is present. ``classes`` fixes the class
    list (used when reading a separate test file or new recordings for prediction);
    ``nan_fix`` replaces the advice to set data.nan_policy where that cannot be set (predict),
    ``settable=False`` the advice to set data.decimal.
    """
    files = recording_files(cfg, path)
    source = str(resolve_path(path or cfg.path))
    frames = [_read_table(f, cfg, need_label=require_labels, settable=settable) for f in files]
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    s = series_from_frame(df, cfg, source, require_labels=require_labels, classes=classes, nan_fix=nan_fix)
    s.notes[:0] = skipped_files_notes(Path(source), cfg.format, _path_key(cfg, path))  # other files there
    return s


def series_from_frame(
    df: pd.DataFrame,
    cfg: DataConfig,
    source: str,
    *,
    require_labels: bool = True,
    classes: list[str] | None = None,
    nan_fix: str | None = None,
) -> SeriesSet:
    """The checking and grouping half of :func:`read_recordings`, on rows already read
    (columns checked; ``__file`` / ``__row`` name each row's file and row for errors).
    ``data.kind: table`` (:mod:`lstm_helpers.data.tables`) reuses it."""
    df, rec_codes = _order_by_recording(df, cfg, source)
    t = _times(df, rec_codes, cfg, source)
    check_sample_rate(t, rec_codes, df, cfg)
    n_recs = int(rec_codes.max()) + 1
    counts = np.bincount(rec_codes, minlength=n_recs)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    values = _channel_values(df, cfg, None if nan_fix else "data.nan_policy")
    notes: list[str] = []
    values, keep_rows = _nan_policy(values, offsets, df, cfg, source, nan_fix, notes)
    values = values.astype(np.float32)
    input_rows = None
    if keep_rows is not None:
        input_rows = (np.arange(len(rec_codes)) - offsets[rec_codes])[keep_rows]
        df, values, rec_codes = (
            df.loc[keep_rows].reset_index(drop=True),
            values[keep_rows],
            rec_codes[keep_rows],
        )
        t = t[keep_rows] if t is not None else None
        counts = np.bincount(rec_codes, minlength=n_recs)
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

    if cfg.label_column in df.columns:
        task, seen = map_labels(df[cfg.label_column], cfg, source, notes=notes, missed_keys=classes is None)
    else:
        task, seen = pd.Series(pd.NA, index=df.index, dtype="string"), []
    steps = task.value_counts().to_dict() if classes is None and len(seen) == 2 else {}  # binary: rarer is positive
    with label_hint(df.get(cfg.label_column), cfg):  # a single class: which raw labels, and the map's misses
        classes = _class_list(seen, cfg, classes, source, require_labels, steps)
    notes += positive_class_note(classes, steps, cfg, "timesteps") if require_labels else []  # not predict's
    labels = pd.Index(classes).get_indexer(task.fillna("\x00")).astype(np.int64)  # -1 where unlabelled

    first_rows = offsets[:-1][counts > 0]
    rec_ids = df[cfg.recording_column].to_numpy()[first_rows].astype(str)
    if cfg.group_column:
        groups = _per_recording(df, cfg.group_column, first_rows, cfg, source, "value")
    else:
        groups = rec_ids.copy()
    predefined = _predefined_split(df, cfg, first_rows, source)
    counts = counts[counts > 0]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return SeriesSet(
        time_gaps=find_time_gaps(t, offsets, input_rows) if t is not None else None,
        values=values,
        labels=labels,
        offsets=offsets,
        rec_ids=rec_ids,
        groups=groups,
        classes=classes,
        channels=list(cfg.channels),
        kind="recordings",
        sample_rate_hz=cfg.sample_rate_hz,
        predefined_split=predefined,
        times=t,
        input_rows=input_rows,
        notes=notes,
    )


def concat_series(a: SeriesSet, b: SeriesSet, b_split: str) -> SeriesSet:
    """Append ``b`` (e.g. a separate test file) to ``a``; ``b``'s recordings get split ``b_split``."""
    clash = set(a.rec_ids) & set(b.rec_ids)
    if clash:
        shown = ", ".join(short(str(r), 80) for r in sorted(clash)[:5]) + (
            f" ... ({len(clash)} in all)" if len(clash) > 5 else ""
        )
        raise DataError(
            f"data.test_path: recording id(s) {shown} are also in data.path; a recording is in the test split "
            "or not: give the test recordings ids of their own, or leave them out of data.path"
        )
    pa = a.predefined_split if a.predefined_split is not None else np.full(a.n_recordings, "", dtype="<U5")
    pb = np.full(b.n_recordings, b_split, dtype="<U5")
    return SeriesSet(
        values=np.concatenate([a.values, b.values]),
        labels=np.concatenate([a.labels, b.labels]),
        offsets=np.concatenate([a.offsets, a.offsets[-1] + b.offsets[1:]]),
        rec_ids=np.concatenate([a.rec_ids, b.rec_ids]),
        groups=np.concatenate([a.groups, b.groups]),
        classes=a.classes,
        channels=a.channels,
        kind=a.kind,
        sample_rate_hz=a.sample_rate_hz,
        predefined_split=np.concatenate([pa.astype("<U5"), pb]),
        times=np.concatenate([a.times, b.times]) if a.times is not None and b.times is not None else None,
        input_rows=None if a.input_rows is None and b.input_rows is None else np.concatenate([_rows(a), _rows(b)]),
        time_gaps=np.concatenate([_gaps(a), a.offsets[-1] + _gaps(b)]),
        notes=[*a.notes, *b.notes],  # what reading either noted reaches stage 01's notes
    )


def _rows(s: SeriesSet) -> np.ndarray:
    """Each step's row within its recording in the input (``input_rows``, or the step itself)."""
    if s.input_rows is not None:
        return s.input_rows
    return np.arange(len(s.labels)) - np.repeat(s.offsets[:-1], s.lengths)


def _gaps(s: SeriesSet) -> np.ndarray:
    return s.time_gaps if s.time_gaps is not None else np.zeros(0, np.int64)


def read_dataset(cfg: DataConfig) -> SeriesSet:
    """Read what ``data.kind`` says, plus ``data.test_path`` when given."""
    check_interest_mapped(cfg)  # before any file is read
    if cfg.kind == "recordings":
        s = read_recordings(cfg)
        if cfg.test_path:
            t = read_recordings(cfg, cfg.test_path, classes=s.classes)
            s = concat_series(s, t, "test")
        return s
    if cfg.test_path:
        raise DataError(
            "data.test_path is supported for data.kind 'recordings'; for sequences put a 'split' array in the .npz, "
            "for tables name a split column (data.split_column)"
        )
    if cfg.kind == "sequences":
        from lstm_helpers.data.sequences import read_sequences

        return read_sequences(cfg)
    if cfg.kind == "table":
        from lstm_helpers.data.tables import read_table

        return read_table(cfg)
    from lstm_helpers.data.text import read_text

    return read_text(cfg)
