"""``data.kind: table``: a CSV / Parquet table of feature columns (file or folder of files).

Two shapes, chosen by ``data.sequence_columns`` (examples in data/README.md), and a third, one
row per time step of pre-segmented sequences (``data.sequence_column``), read by
:mod:`lstm_helpers.data.long_sequences`:

* **One row per time step** (``sequence_columns`` null): feature columns ``data.channels``,
  a label per row, windowed exactly like recordings. With ``data.recording_column`` the rows of
  each recording form one series (group column, time column, split column as for recordings);
  with ``recording_column: null`` each file is one series in row order, cut into
  ``data.table_blocks`` contiguous blocks that act as recordings and split groups (windows
  never cross a block, so no timestep is in two splits).
* **One row per sample** (``sequence_columns`` a pattern such as ``"{channel}_t{t}"``): each row
  is a whole sequence, its step ``t`` of channel ``c`` in the column the pattern names
  (``acc_x_t0, acc_x_t1, ...``); one label per row (``data.label_column``), optional
  ``data.group_column`` and ``data.split_column``. Trailing empty cells make a row shorter:
  rows are padded to ``data.pad_length`` (default: the longest) and masked, as sequences are.

Both end in the same in-memory form as the other kinds (:class:`SeriesSet`), through the
helpers the recordings and sequences readers use, so the checks and messages are the same.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from lstm_helpers.config import DataConfig, resolve_path
from lstm_helpers.data.files import read_delimited
from lstm_helpers.data.inputs import check_finite, check_numeric, is_delimited, row_text
from lstm_helpers.data.labels import label_text
from lstm_helpers.data.names import missing_columns, name_list
from lstm_helpers.data.recordings import (
    DataError,
    SeriesSet,
    _check_columns,
    _list_files,
    check_series_numbers,
    map_labels,
    series_from_frame,
    table_columns,
)
from lstm_helpers.data.sequences import sequences_from_arrays

BLOCK_COLUMN = "__block"


def _read_whole(path: Path, cfg: DataConfig) -> pd.DataFrame:
    """Every column of one table file (the columns it needs are found by name afterwards)."""
    try:
        if is_delimited(path):  # compressed too; names stripped as the header check strips them
            return read_delimited(path, cfg.encoding, cfg.sep, cfg.decimal)
        return pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - re-raised with the file name
        raise DataError(f"cannot read {path} as a table: {str(exc)[:200]}") from exc


def read_table(cfg: DataConfig, path: str | Path | None = None) -> SeriesSet:
    """Read ``data.path`` as a table of features (see the module docstring for the two shapes).

    Raises
    ------
    DataError
        Naming the file, the column and what would be valid: a missing or non-numeric
        feature column, a pattern that matches no column, a gap in the steps, a value missing
        inside a sequence, unlabelled rows in one-row-per-sample tables.
    """
    root = resolve_path(path or cfg.path)
    files = _list_files(root, cfg.format)
    if cfg.sequence_column:
        from lstm_helpers.data.long_sequences import read_long_sequences

        return read_long_sequences(files, cfg, str(root))
    if cfg.sequence_columns:
        return _rows_are_samples(files, cfg, str(root))
    return _rows_are_steps(files, cfg, str(root))


# ------------------------------------------------------------------- one row per time step
def _rows_are_steps(files: list[Path], cfg: DataConfig, source: str) -> SeriesSet:
    blocks = cfg.recording_column is None
    rec_col = BLOCK_COLUMN if blocks else cfg.recording_column
    cfg_rec = cfg.model_copy(update={"recording_column": rec_col})
    frames = []
    for f in files:
        df = _read_whole(f, cfg)
        if df.empty:
            raise DataError(f"{f}: no rows")
        if blocks:  # each file its own series in row order, cut into contiguous blocks
            k = min(cfg.table_blocks, len(df))
            block = (np.arange(len(df)) * k) // len(df)
            prefix = f"{f.stem}_block" if len(files) > 1 else "block"
            df[BLOCK_COLUMN] = pd.Series(block).map(lambda b, p=prefix: f"{p}{b:03d}").to_numpy()
        _check_columns(df, f, cfg_rec, need_label=True)
        others = [c for c in (cfg.label_column, cfg.group_column, cfg.time_column, cfg.split_column) if c]
        frames.append(_step_part(df, f, cfg, rec_col, others))
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    s = series_from_frame(df, cfg_rec, source)
    how = (
        f"one row per time step, cut into {cfg.table_blocks} contiguous blocks per file (no recording column)"
        if blocks
        else f"one row per time step, recordings from column {cfg.recording_column!r}"
    )
    s.notes.append(f"table: {how}")
    return s


def _step_part(
    df: pd.DataFrame, f: Path, cfg: DataConfig, rec_col: str, others: list[str], settable: bool = True
) -> pd.DataFrame:
    """One file's rows of a one-row-per-time-step table, its numbers checked: the recording
    column, the features, ``others``, and each row's file and row number."""
    check_series_numbers(df, cfg, f, "feature column", settable)
    part = df[list(dict.fromkeys([rec_col, *cfg.channels, *others]))].copy()
    part["__file"], part["__row"] = f.name, np.arange(len(part))
    return part


NEW_RECORDING = "recording"  # predict's name for each file of a table without a recording column


def read_new_step_rows(cfg: DataConfig, path: Path, classes: list[str] | None, nan_fix: str) -> SeriesSet:
    """New rows of a one-row-per-time-step table without a recording column, for ``predict``:
    each file is one series in row order, named by its file stem (its name where two files
    share a stem) (training cut files into ``data.table_blocks`` blocks only to split them),
    labels optional; read and checked as :func:`read_table` reads the training files
    (``data.sep`` / ``data.decimal`` of the run). The file names are held in a column of a
    name the run reads nothing from (``recording``, or ``recording_1``... where a channel,
    the label or the time column is called so)."""
    frames, files = [], _list_files(path, cfg.format, "--input")
    unique_stems = len({f.stem for f in files}) == len(files)  # x.csv beside x.parquet: named in full
    read = {*cfg.channels, cfg.label_column, cfg.time_column}
    key = next(k for k in (NEW_RECORDING, *(f"{NEW_RECORDING}_{i}" for i in range(1, len(read) + 2))) if k not in read)
    for f in files:
        df = _read_whole(f, cfg)
        if df.empty:
            raise DataError(f"{f}: no rows")
        df[key] = f.stem if unique_stems else f.name
        others = [c for c in (cfg.label_column, cfg.time_column) if c and c in df]
        frames.append(_step_part(df, f, cfg, key, others, settable=False))
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    cfg_rec = cfg.model_copy(update={"recording_column": key, "group_column": None, "split_column": None})
    return series_from_frame(df, cfg_rec, str(path), require_labels=False, classes=classes, nan_fix=nan_fix)


# ------------------------------------------------------------------- one row per sample
def step_columns(columns: list[str], pattern: str, channel: str) -> dict[int, str]:
    """Columns of ``channel`` named by ``pattern`` (``{channel}``, ``{t}``), keyed by step."""
    parts = re.split(r"(\{channel\}|\{t\})", pattern)
    rx = "".join(re.escape(channel) if p == "{channel}" else r"(\d+)" if p == "{t}" else re.escape(p) for p in parts)
    found = {}
    for col in columns:
        m = re.fullmatch(rx, str(col))
        if m:
            found[int(m.group(1))] = col
    return dict(sorted(found.items()))


def _wide_block(df: pd.DataFrame, cfg: DataConfig, source: str) -> np.ndarray:
    """(rows, steps, channels) float32 from the pattern's columns, checked column by column."""
    pattern = cfg.sequence_columns
    per_channel = {ch: step_columns(list(df.columns), pattern, ch) for ch in cfg.channels}
    for ch, cols in per_channel.items():
        if not cols:
            example = pattern.replace("{channel}", ch).replace("{t}", "0")
            raise DataError(
                f"{source}: no column matches data.sequence_columns = {pattern!r} for channel "
                f"{ch!r} (e.g. {example!r}); columns present: {name_list(df.columns)}"
            )
    first_ch, first = next(iter(per_channel.items()))
    steps = list(range(min(first), max(first) + 1))
    for ch, cols in per_channel.items():
        missing = [t for t in steps if t not in cols]
        extra = [t for t in cols if t not in steps]
        if missing or extra:
            t = (missing or extra)[0]
            name = pattern.replace("{channel}", ch).replace("{t}", str(t))
            what = "is missing" if missing else f"has no partner for channel {first_ch!r}"
            raise DataError(
                f"{source}: column {name!r} {what}: every channel needs one column per step "
                f"{steps[0]}..{steps[-1]} (data.sequence_columns = {pattern!r})"
            )
    names = [per_channel[ch][t] for ch in cfg.channels for t in steps]
    check_numeric(df, names, source, "feature column", decimal=cfg.decimal)
    check_finite(df[names].to_numpy(dtype=np.float64), source, names, nan_policy_key=None)
    X = df[names].to_numpy(dtype=np.float32).reshape(len(df), len(cfg.channels), len(steps))
    return X.transpose(0, 2, 1)


def _lengths(X: np.ndarray, names: list[str], source: str) -> np.ndarray:
    """Steps per row: up to the last step with any value; a gap before it is an error."""
    present = ~np.isnan(X).all(axis=2)  # (rows, steps)
    lengths = np.where(present.any(axis=1), X.shape[1] - np.argmax(present[:, ::-1], axis=1), 0)
    inside = np.arange(X.shape[1])[None, :] < lengths[:, None]
    holes = np.isnan(X) & inside[:, :, None]
    if (lengths == 0).any():
        raise DataError(
            f"{source}: {row_text(int(np.argmax(lengths == 0)), source)} has no values in its sequence columns"
        )
    if holes.any():
        row, t, c = (int(v[0]) for v in np.nonzero(holes))
        raise DataError(
            f"{source}: {row_text(row, source)}, column {names[c].replace('{t}', str(t))!r} (step {t}) is empty inside the sequence; only trailing steps may be empty "
            f"(a shorter sequence); fill the gap"
        )
    return lengths


def _rows_are_samples(files: list[Path], cfg: DataConfig, source: str) -> SeriesSet:
    arrays, names, note = _sample_arrays(files, cfg, source)
    s = sequences_from_arrays(arrays, cfg, Path(source), names)
    s.channels = list(cfg.channels)  # the table's names (an .npz has none: ch0, ch1, ...), e.g. in figures
    s.notes.append(note)
    return s


def _sample_arrays(
    files: list[Path], cfg: DataConfig, source: str, need_label: bool = True
) -> tuple[dict[str, np.ndarray], tuple[str, str], str]:
    """The arrays :func:`~lstm_helpers.data.sequences.sequences_from_arrays` reads (``values``,
    ``lengths``, ``y`` unless the label column is absent and not needed, ``groups``, ``split``),
    what the labels and the split are called in errors, and a note on the shape read."""
    frames = [_read_whole(f, cfg) for f in files]
    if len(frames) > 1:  # each file checked on its own first: errors name its file and its row
        for f, frame in zip(files, frames, strict=True):
            _sample_block(frame, cfg, str(f), need_label)
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    X, lengths, labels = _sample_block(df, cfg, source if len(frames) > 1 else str(files[0]), need_label)
    valid = np.arange(X.shape[1])[None, :] < lengths[:, None]
    arrays = {"values": X[valid], "lengths": lengths}
    if labels is not None:
        arrays["y"] = labels.fillna("").to_numpy().astype(str)  # (empty only where labels are optional)
    if cfg.group_column:
        arrays["groups"] = df[cfg.group_column].astype(str).to_numpy()
    if cfg.split_column:
        arrays["split"] = df[cfg.split_column].astype(str).to_numpy()
    names = (f"column {cfg.label_column!r}", f"column {cfg.split_column!r} (data.split_column)")
    note = (
        f"table: one row per sample, {X.shape[1]} steps x {len(cfg.channels)} channels "
        f"from columns {cfg.sequence_columns!r}"
    )
    return arrays, names, note


def read_new_table_cases(
    cfg: DataConfig, path: Path, classes: list[str], pad_length: int
) -> tuple[SeriesSet, np.ndarray | None]:
    """New one-row-per-sample cases for ``predict`` with a run trained on such a table: read and
    checked as stage 01 reads them (the label column optional, no group or split column
    needed), then :func:`~lstm_helpers.data.sequences.new_cases` at the run's pad length. A run on
    sequences in long format (``data.sequence_column``) reads new ones so too."""
    from lstm_helpers.data.sequences import new_cases

    if cfg.sequence_column:
        from lstm_helpers.data.long_sequences import read_new_long_cases

        return read_new_long_cases(cfg, path, classes, pad_length)
    files = _list_files(path, cfg.format, "--input")
    for f in files:
        table_columns(f, cfg)  # an empty file, a binary or a broken header: refused by its name first
    cfg = cfg.model_copy(update={"group_column": None, "split_column": None})
    arrays, names, _ = _sample_arrays(files, cfg, str(path), need_label=False)
    pattern = cfg.sequence_columns
    s, truth = new_cases(arrays, cfg, path, classes, pad_length, len(cfg.channels), (names[0], f"columns {pattern!r}"))
    s.channels = list(cfg.channels)
    return s, truth


def _sample_block(
    df: pd.DataFrame, cfg: DataConfig, source: str, need_label: bool = True
) -> tuple[np.ndarray, np.ndarray, pd.Series | None]:
    """One-row-per-sample rows checked (columns, labels, groups, values): their (rows, steps,
    channels) block, real steps per row and raw labels (stripped; NA where unlabelled); errors
    name ``source`` and its row. Without ``need_label`` the label column may be absent (labels None) or have empty cells."""
    if not need_label and cfg.label_column not in df.columns:
        X = _wide_block(df, cfg, source)
        names = [cfg.sequence_columns.replace("{channel}", ch) for ch in cfg.channels]
        return X, _lengths(X, names, source), None
    need = {
        "data.label_column": cfg.label_column,
        "data.group_column": cfg.group_column,
        "data.split_column": cfg.split_column,
    }
    missing = [(k, v) for k, v in need.items() if v and v not in df.columns]
    if missing:
        raise DataError(missing_columns(source, missing, [str(c) for c in df.columns]))
    labels, _ = map_labels(df[cfg.label_column], cfg, source)
    unlabelled = labels.isna().to_numpy()
    if unlabelled.any() and need_label:
        raise DataError(
            f"{source}: {int(unlabelled.sum())} row(s) have no label in column "
            f"{cfg.label_column!r} (first: {row_text(int(np.argmax(unlabelled)), source)}); one row per sample "
            f"needs a label on every row"
        )
    if cfg.group_column and df[cfg.group_column].isna().any():
        raise DataError(
            f"{source}: column {cfg.group_column!r} (data.group_column) is empty at "
            f"{row_text(int(np.argmax(df[cfg.group_column].isna().to_numpy())), source)}; every sample needs its group"
        )
    X = _wide_block(df, cfg, source)
    names = [cfg.sequence_columns.replace("{channel}", ch) for ch in cfg.channels]
    # the raw labels (stripped) of the rows with a class: sequences_from_arrays maps them, once; handed on
    # mapped, a second pass through data.class_map said each key "matches no label"
    raw = label_text(df[cfg.label_column]).str.strip().where(labels.notna().to_numpy(), pd.NA)
    return X, _lengths(X, names, source), raw
