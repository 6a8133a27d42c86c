"""Pre-segmented sequences in long format (``data.kind: table`` with ``data.sequence_column``): a
CSV / Parquet table (file or folder) of one row per time step, ``data.sequence_column`` naming
each row's sequence, the label per row or on some rows of each sequence (one label per sequence).

Each sequence is one case, as a sequence of an ``.npz`` is: the rows are gathered into the
arrays an ``.npz`` holds (``values`` + ``lengths``, ``y``, ``groups``, ``split``) and handed to
:func:`~lstm_helpers.data.sequences.sequences_from_arrays`, so padding, masking, scaling and the
scores per case downstream are the same. Before that, every mistake is refused naming the file,
the row and the sequence: a missing column, a row without a sequence id, a sequence whose label
(group, split mark) varies, a sequence without values, a NaN inside one, a time repeated in one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lstm_helpers.config import DataConfig
from lstm_helpers.data.inputs import DataError, check_finite, row_text, say_note
from lstm_helpers.data.labels import label_text, map_labels
from lstm_helpers.data.names import missing_columns, name_list
from lstm_helpers.data.recordings import SeriesSet, check_series_numbers, list_files, needed_columns, table_columns
from lstm_helpers.data.sequences import new_cases, sequences_from_arrays


def _at(df: pd.DataFrame, i: int) -> str:
    """Where row ``i`` of the gathered frame is: its file and its row there."""
    f = str(df["__file"].iloc[i])
    return f"{f}, {row_text(int(df['__row'].iloc[i]), f)}"


def _read(files: list[Path], cfg: DataConfig, need_label: bool, settable: bool = True) -> pd.DataFrame:
    """Every file's needed columns (checked: present, numbers), with each row's file and row."""
    from lstm_helpers.data.tables import _read_whole

    need = needed_columns(cfg, need_label, "sequence_column")
    frames = []
    for f in files:
        df = _read_whole(f, cfg)
        missing = [(k, v) for k, v in need.items() if v not in df.columns]
        if missing:
            hint = (
                "; without time stamps set data.time_column: null (steps in row order)"
                if any(k == "data.time_column" for k, _ in missing)
                else ""
            )
            raise DataError(missing_columns(f, missing, [str(c) for c in df.columns], hint))
        if df.empty:
            raise DataError(f"{f}: no rows")
        check_series_numbers(df, cfg, f, "channel column", settable)
        keep = [*dict.fromkeys([*need.values(), *([cfg.label_column] if cfg.label_column in df else [])])]
        part = df[keep].copy()
        part["__file"], part["__row"] = str(f), np.arange(len(part))
        frames.append(part)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _ordered(df: pd.DataFrame, cfg: DataConfig) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The rows grouped by sequence (sequences in order of first appearance; steps in row order,
    or by ``data.time_column``), each sequence's id (text) and length."""
    ids = label_text(df[cfg.sequence_column]).str.strip()
    empty = ids.isna() | (ids == "")
    if empty.any():
        raise DataError(
            f"{_at(df, int(np.argmax(empty.to_numpy())))}: no sequence id in column {cfg.sequence_column!r} "
            f"(data.sequence_column; {int(empty.sum()):,} such row(s)); every row needs the id of its sequence"
        )
    codes, uniques = pd.factorize(ids, sort=False)
    if cfg.time_column and (blank := pd.to_numeric(df[cfg.time_column], errors="coerce").isna()).any():
        raise DataError(
            f"{_at(df, int(np.argmax(blank.to_numpy())))}: no time in column {cfg.time_column!r} (data.time_column; "
            f"{int(blank.sum()):,} such row(s)); every row needs the time of its step, or leave data.time_column "
            "empty to keep the rows' order"
        )
    if cfg.time_column:  # by sequence, then by time (numpy's lexsort: the last key first)
        order = np.lexsort((df[cfg.time_column].to_numpy(np.float64), codes))
    else:
        order = np.argsort(codes, kind="stable")
    df = df.iloc[order].reset_index(drop=True)
    codes = codes[order]
    if cfg.time_column:
        t = df[cfg.time_column].to_numpy(np.float64)
        same = (codes[1:] == codes[:-1]) & (t[1:] == t[:-1])
        if same.any():
            i = int(np.argmax(same)) + 1
            raise DataError(
                f"{_at(df, i)}: sequence {str(uniques[codes[i]])!r} has time {t[i]:g} twice in column "
                f"{cfg.time_column!r} (data.time_column; also at {_at(df, i - 1)}); each step needs its own time"
            )
    return df, np.asarray(uniques).astype(str), np.bincount(codes, minlength=len(uniques))


def _values(df: pd.DataFrame, cfg: DataConfig, ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The channels of every step, in sequence order; a sequence without values, a NaN inside
    one and infinite values refused by sequence, column and row."""
    values = df[list(cfg.channels)].to_numpy(np.float64)
    blank = np.isnan(values).all(axis=1)
    seq = np.repeat(np.arange(len(ids)), lengths)
    empty = np.bincount(seq, weights=blank, minlength=len(ids)) == lengths
    if empty.any():
        k = int(np.argmax(empty))
        raise DataError(
            f"{_at(df, int(np.argmax(seq == k)))}: sequence {str(ids[k])!r} has no values: its {int(lengths[k])} row(s) "
            f"are empty in every channel ({name_list(cfg.channels)}); leave the sequence out of the table"
        )
    nan = np.isnan(values)
    if nan.any():
        row, ch = (int(v[0]) for v in np.nonzero(nan))
        raise DataError(
            f"{_at(df, row)}: column {cfg.channels[ch]!r} is empty inside sequence {str(ids[seq[row]])!r} "
            f"({int(nan.any(axis=1).sum()):,} such row(s) in all); data.nan_policy applies to recordings, not to "
            "sequences: fill the values (e.g. interpolate within the sequence) or leave those sequences out"
        )
    check_finite(values, str(df["__file"].iloc[0]), list(cfg.channels), nan_policy_key=None)
    return values


def _one_per_sequence(
    df: pd.DataFrame, column: str, key: str, ids: np.ndarray, lengths: np.ndarray, text: pd.Series | None = None
) -> pd.Series:
    """Each sequence's one value of ``column`` (``text``: its values as compared, default the
    stripped text; empty cells are skipped), NA for a sequence with none; a sequence with two
    values is refused naming both, with a row of each."""
    text = label_text(df[column]).str.strip().replace("", pd.NA) if text is None else text
    seq = pd.Series(np.repeat(np.arange(len(ids)), lengths))
    n = text.groupby(seq).nunique()
    if (n > 1).any():
        k = int(n.index[np.argmax((n > 1).to_numpy())])
        rows = np.flatnonzero((seq == k).to_numpy() & text.notna().to_numpy())
        first = text.iloc[rows[0]]
        other = rows[np.argmax((text.iloc[rows] != first).to_numpy())]
        raise DataError(
            f"sequence {str(ids[k])!r} has more than one value in column {column!r} ({key}): {first!r} at "
            f"{_at(df, int(rows[0]))} and {text.iloc[other]!r} at {_at(df, int(other))}; a sequence is one case, "
            f"with one {key.split('_')[0].removeprefix('data.')} (split it into sequences of their own, or correct the rows)"
        )
    return text.groupby(seq).first().reindex(range(len(ids)))


def long_sequence_arrays(
    files: list[Path], cfg: DataConfig, need_label: bool = True, settable: bool = True
) -> tuple[dict[str, np.ndarray], np.ndarray, list[str]]:
    """The arrays of the sequences an ``.npz`` would hold (``values``, ``lengths``, ``y`` unless
    the label column is absent and not needed, ``groups``, ``split``), each sequence's id, and
    notes (sequences left out without a label)."""
    df, ids, lengths = _ordered(_read(files, cfg, need_label, settable), cfg)
    values = _values(df, cfg, ids, lengths)
    arrays: dict[str, np.ndarray] = {"values": values, "lengths": lengths.astype(np.int64)}
    notes: list[str] = []
    if cfg.label_column in df:
        arrays["y"] = _sequence_labels(df, cfg, ids, lengths)
    for key, name in (("group_column", "groups"), ("split_column", "split")):
        column = getattr(cfg, key)
        if column:
            one = _one_per_sequence(df, column, f"data.{key}", ids, lengths)
            if one.isna().any():
                k = int(np.argmax(one.isna().to_numpy()))
                raise DataError(
                    f"sequence {str(ids[k])!r} has no value in column {column!r} (data.{key}; its first row: "
                    f"{_at(df, int(np.cumsum(lengths)[k] - lengths[k]))}); every sequence needs one"
                )
            arrays[name] = one.to_numpy().astype(str)
    if need_label and "y" in arrays and (unlabelled := arrays["y"] == "").any():
        note = (
            f"{int(unlabelled.sum())} sequence(s) without a label in column {cfg.label_column!r} were left out "
            f"({name_list(ids[unlabelled])})"
        )
        say_note(note, stacklevel=3)
        notes.append(note)
        arrays, ids = _without(arrays, ~unlabelled), ids[~unlabelled]
    return arrays, ids, notes


def _sequence_labels(df: pd.DataFrame, cfg: DataConfig, ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Each sequence's raw label (stripped text; "" where none of its rows has one), its rows'
    classes after ``data.class_map`` checked to be one (``play_chase`` beside ``play_solo`` is
    one class under ``{play_chase: play, play_solo: play}``). Handed on as ``y``, the labels go
    through the map again there, once per sequence (a map key matching no label is said there)."""
    task, _ = map_labels(df[cfg.label_column], cfg, str(df["__file"].iloc[0]))
    _one_per_sequence(df, cfg.label_column, "data.label_column", ids, lengths, task.astype(object))
    raw = label_text(df[cfg.label_column]).str.strip().where(task.notna().to_numpy(), pd.NA)
    seq = np.repeat(np.arange(len(ids)), lengths)
    first = raw.groupby(seq).first().reindex(range(len(ids)))
    return first.fillna("").to_numpy().astype(str)


def _without(arrays: dict[str, np.ndarray], keep: np.ndarray) -> dict[str, np.ndarray]:
    """``arrays`` with only the sequences ``keep`` marks (their steps in ``values`` too)."""
    out = {k: v[keep] for k, v in arrays.items() if k != "values"}
    out["values"] = arrays["values"][np.repeat(keep, arrays["lengths"])]
    return out


def read_long_sequences(files: list[Path], cfg: DataConfig, source: str) -> SeriesSet:
    """Sequences from a long table (``data.sequence_column``), one case each, named by their ids."""
    arrays, ids, notes = long_sequence_arrays(files, cfg)
    names = (f"column {cfg.label_column!r}", f"column {cfg.split_column!r} (data.split_column)")
    s = sequences_from_arrays(arrays, cfg, Path(source), names)
    s.rec_ids, s.channels = ids, list(cfg.channels)  # the table's names (an .npz has none: ch0, ch1, ...)
    s.notes += [
        *notes,
        f"table: one row per time step of {len(ids):,} sequences (column {cfg.sequence_column!r}), "
        f"{int(arrays['lengths'].min())}-{int(arrays['lengths'].max())} steps each, one case per sequence",
    ]
    return s


def read_new_long_cases(
    cfg: DataConfig, path: Path, classes: list[str], pad_length: int
) -> tuple[SeriesSet, np.ndarray | None]:
    """New sequences in long format for ``predict`` with a run trained on such a table: read and
    checked as stage 01 reads them (labels optional, no group or split column needed), then
    :func:`~lstm_helpers.data.sequences.new_cases` at the run's pad length."""
    files = list_files(path, cfg.format, "--input")
    for f in files:
        table_columns(f, cfg)  # an empty file, a binary or a broken header: refused by its name first
    cfg = cfg.model_copy(update={"group_column": None, "split_column": None})
    arrays, ids, _ = long_sequence_arrays(files, cfg, need_label=False, settable=False)
    names = (f"column {cfg.label_column!r}", f"column {cfg.sequence_column!r}")
    s, truth = new_cases(arrays, cfg, path, classes, pad_length, len(cfg.channels), names)
    s.rec_ids, s.channels = ids, list(cfg.channels)
    return s, truth
