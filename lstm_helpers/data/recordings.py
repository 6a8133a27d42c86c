"""Reading inputs into one in-memory form: long-format recordings, pre-segmented sequences
(.npz) and plain text, all validated with errors that name the file, the column and what
would be valid -- before any training starts.

The common form is :class:`SeriesSet`: every recording (or case, or text chunk) laid end to
end in one ``values`` array with ``offsets`` marking where each starts, per-timestep class
indices (``-1`` = unlabelled), and one group id per recording for splitting.
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from lstm_helpers.config import DataConfig, resolve_path

SPLIT_NAMES = ("train", "val", "test")
_SPLIT_ALIASES = {"train": "train", "training": "train", "val": "val", "valid": "val",
                  "validation": "val", "dev": "val", "test": "test", "testing": "test"}


class DataError(ValueError):
    """The input data cannot be used; the message says where and what would be valid."""


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

    def recording_class_counts(self) -> np.ndarray:
        """(R, K) labelled timesteps per class in each recording (vectorised)."""
        k = len(self.classes)
        rec_index = np.repeat(np.arange(self.n_recordings), self.lengths)
        ok = self.labels >= 0
        out = np.zeros((self.n_recordings, k), dtype=np.int64)
        np.add.at(out, (rec_index[ok], self.labels[ok]), 1)
        return out


# ---------------------------------------------------------------------------- recordings
def _list_files(path: Path, fmt: str) -> list[Path]:
    exts = {"csv": [".csv"], "parquet": [".parquet", ".pq"], "auto": [".csv", ".parquet", ".pq"]}[fmt]
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in exts and not p.name.startswith("."))
        if not files:
            raise DataError(f"data.path {path} is a folder without {' / '.join(exts)} files")
        return files
    if not path.exists():
        raise DataError(f"data.path {path} does not exist (give a CSV/Parquet file or a folder of them)")
    if path.suffix.lower() not in exts:
        raise DataError(f"data.path {path}: unsupported file type {path.suffix!r}; expected {exts}")
    return [path]


def _read_table(path: Path) -> pd.DataFrame:
    try:
        if path.suffix.lower() == ".csv":
            return pd.read_csv(path, keep_default_na=True)
        return pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - re-raised with the file name
        raise DataError(f"cannot read {path}: {exc}") from exc


def _check_columns(df: pd.DataFrame, path: Path, cfg: DataConfig, need_label: bool) -> None:
    need = {"data.recording_column": cfg.recording_column}
    if need_label:
        need["data.label_column"] = cfg.label_column
    if cfg.group_column:
        need["data.group_column"] = cfg.group_column
    if cfg.time_column:
        need["data.time_column"] = cfg.time_column
    if cfg.split_column:
        need["data.split_column"] = cfg.split_column
    for i, ch in enumerate(cfg.channels):
        need[f"data.channels[{i}]"] = ch
    missing = [(k, v) for k, v in need.items() if v not in df.columns]
    if missing:
        what = ", ".join(f"{v!r} ({k})" for k, v in missing)
        raise DataError(f"{path}: missing column(s) {what}; columns present: {list(df.columns)}")
    for ch in cfg.channels:
        if not pd.api.types.is_numeric_dtype(df[ch]):
            bad = pd.to_numeric(df[ch], errors="coerce").isna() & df[ch].notna()
            example = df.loc[bad, ch].iloc[0] if bad.any() else None
            raise DataError(
                f"{path}: channel column {ch!r} is not numeric (e.g. value {example!r} at row "
                f"{int(np.argmax(bad.to_numpy()))}); channels must hold numbers"
            )


def map_labels(raw: pd.Series, cfg: DataConfig, source: str) -> tuple[pd.Series, list[str]]:
    """Apply ``data.class_map`` (+ ``data.other_class`` catch-all) to raw labels.

    Empty strings / missing values mean unlabelled and stay missing. Returns task labels
    (missing = unlabelled) and the sorted list of task classes seen.
    """
    lab = raw.astype("string").str.strip()
    lab = lab.mask(lab == "")
    if cfg.class_map or cfg.other_class:
        targets = set(cfg.class_map.values())
        mapped = lab.map(lambda v: cfg.class_map.get(v, v) if v is not pd.NA else v)
        present = set(lab.dropna().unique())
        uncovered = sorted(v for v in present if v not in cfg.class_map and v not in targets)
        if uncovered:
            if cfg.other_class is None:
                raise DataError(
                    f"{source}: label(s) {uncovered} in column {cfg.label_column!r} are not covered "
                    f"by data.class_map (keys: {sorted(cfg.class_map)}); add them to the map or set "
                    f"data.other_class to a catch-all class"
                )
            mapped = mapped.where(~lab.isin(uncovered), cfg.other_class)
        lab = mapped.astype("string")
    return lab, sorted(lab.dropna().unique().tolist())


def _nan_policy(values: np.ndarray, rec_offsets: np.ndarray, policy: str, source: str,
                channels: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
    """Return values after the NaN policy and, for 'drop', the row mask kept."""
    nan_rows = np.isnan(values).any(axis=1)
    if not nan_rows.any():
        return values, None
    n = int(nan_rows.sum())
    if policy == "error":
        row = int(np.argmax(nan_rows))
        col = channels[int(np.argmax(np.isnan(values[row])))]
        raise DataError(
            f"{source}: {n} row(s) have NaN in channel columns (first: row {row}, column {col!r}); "
            f"set data.nan_policy to 'interpolate' or 'drop'"
        )
    if policy == "drop":
        return values, ~nan_rows
    # interpolate linearly within each recording (pandas does it per column)
    df = pd.DataFrame(values)
    rec = np.repeat(np.arange(len(rec_offsets) - 1), np.diff(rec_offsets))
    out = df.groupby(rec, sort=False).transform(lambda s: s.interpolate(limit_direction="both"))
    out = out.to_numpy(dtype=np.float32)
    if np.isnan(out).any():
        raise DataError(f"{source}: a recording has a channel that is entirely NaN; cannot interpolate")
    return out, None


def read_recordings(cfg: DataConfig, path: str | Path | None = None, *, require_labels: bool = True,
                    classes: list[str] | None = None) -> SeriesSet:
    """Read long-format recordings (CSV / Parquet, one file or a folder) into a SeriesSet.

    Validates columns, numeric channels, NaNs (``data.nan_policy``), time order within each
    recording (duplicated or decreasing timestamps are errors), labels against the class
    map, and that more than one class is present. ``classes`` fixes the class list (used
    when reading a separate test file or new recordings for prediction).
    """
    root = resolve_path(path or cfg.path)
    if not root.exists() and cfg.demo and path is None:
        from lstm_helpers.data.demo import ensure_demo_recordings

        ensure_demo_recordings(root)
    files = _list_files(root, cfg.format)
    frames = []
    for f in files:
        df = _read_table(f)
        _check_columns(df, f, cfg, need_label=require_labels)
        keep = [cfg.recording_column, *cfg.channels]
        keep += [c for c in (cfg.group_column, cfg.time_column, cfg.split_column) if c]
        if require_labels or cfg.label_column in df.columns:
            keep.append(cfg.label_column)
        part = df[list(dict.fromkeys(keep))].copy()
        part["__file"] = f.name
        part["__row"] = np.arange(len(part))
        frames.append(part)
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return series_from_frame(df, cfg, str(root), require_labels=require_labels, classes=classes)


def series_from_frame(df: pd.DataFrame, cfg: DataConfig, source: str, *, require_labels: bool = True,
                      classes: list[str] | None = None) -> SeriesSet:
    """The validation and grouping half of :func:`read_recordings`, on rows already read
    (columns checked; ``__file`` / ``__row`` name each row's file and row for errors).
    ``data.kind: table`` (lstm_helpers.data.tables) reuses it."""
    df[cfg.recording_column] = df[cfg.recording_column].astype(str)
    if df.empty:
        raise DataError(f"{source}: no rows")

    # a recording must not be split over files; keep file order, group rows by recording
    rec_files = df.groupby(cfg.recording_column, sort=False)["__file"].nunique()
    if (rec_files > 1).any():
        r = rec_files[rec_files > 1].index[0]
        raise DataError(f"{source}: recording {r!r} appears in more than one file")
    order = pd.Index(pd.unique(df[cfg.recording_column]))
    codes = order.get_indexer(df[cfg.recording_column])
    df = df.iloc[np.argsort(codes, kind="stable")].reset_index(drop=True)
    rec_codes = np.sort(codes, kind="stable")
    counts = np.bincount(rec_codes, minlength=len(order))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

    t = None
    if cfg.time_column:
        t = pd.to_numeric(df[cfg.time_column], errors="coerce").to_numpy(dtype=np.float64)
        if np.isnan(t).any():
            raise DataError(f"{source}: time column {cfg.time_column!r} has missing or non-numeric values")
        dt = np.diff(t)
        same_rec = np.diff(rec_codes) == 0
        dup = same_rec & (dt == 0)
        back = same_rec & (dt < 0)
        for bad, what in ((dup, "duplicated timestamps"), (back, "unsorted (decreasing) time")):
            if bad.any():
                i = int(np.argmax(bad)) + 1
                raise DataError(
                    f"{df['__file'].iloc[i]}: recording {df[cfg.recording_column].iloc[i]!r} has "
                    f"{what} in column {cfg.time_column!r} at row {int(df['__row'].iloc[i])} "
                    f"(t={t[i]}); sort each recording by time and remove duplicates"
                )

    values = df[cfg.channels].to_numpy(dtype=np.float32)
    values, keep_rows = _nan_policy(values, offsets, cfg.nan_policy, source, cfg.channels)
    if keep_rows is not None:
        df = df.loc[keep_rows].reset_index(drop=True)
        values = values[keep_rows]
        rec_codes = rec_codes[keep_rows]
        t = t[keep_rows] if t is not None else None
        counts = np.bincount(rec_codes, minlength=len(order))
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

    if cfg.label_column in df.columns:
        task, seen = map_labels(df[cfg.label_column], cfg, source)
    else:
        task, seen = pd.Series(pd.NA, index=df.index, dtype="string"), []
    if classes is None:
        if require_labels and len(seen) < 2:
            raise DataError(
                f"{source}: only {len(seen)} class ({seen}) in column {cfg.label_column!r} after "
                f"data.class_map; a classifier needs at least two"
            )
        classes = order_classes(seen, cfg.classes_of_interest)
    else:
        unknown = sorted(set(seen) - set(classes))
        if unknown:
            raise DataError(f"{source}: class(es) {unknown} were not in the training classes {classes}")
    missing_interest = [c for c in cfg.classes_of_interest if c not in classes]
    if missing_interest:
        raise DataError(
            f"data.classes_of_interest {missing_interest} not among the classes found {classes}"
        )
    labels = pd.Index(classes).get_indexer(task.fillna("\x00"))  # -1 where unlabelled
    labels = labels.astype(np.int64)

    groups_col = cfg.group_column or cfg.recording_column
    first_rows = offsets[:-1][counts > 0]
    rec_ids = df[cfg.recording_column].to_numpy()[first_rows].astype(str)
    groups = df[groups_col].astype(str).to_numpy()[first_rows].astype(str)
    if cfg.group_column:
        per_rec = df.groupby(cfg.recording_column, sort=False)[cfg.group_column].nunique()
        if (per_rec > 1).any():
            raise DataError(f"{source}: recording {per_rec[per_rec > 1].index[0]!r} has more than "
                            f"one value in group column {cfg.group_column!r}")
    predefined = None
    if cfg.split_column:
        sp = df[cfg.split_column].astype(str).str.strip().str.lower().map(_SPLIT_ALIASES)
        if sp.isna().any():
            bad = df[cfg.split_column][sp.isna()].iloc[0]
            raise DataError(f"{source}: split column {cfg.split_column!r} has value {bad!r}; "
                            f"allowed: train, val (validation), test")
        per_rec = sp.groupby(df[cfg.recording_column], sort=False).nunique()
        if (per_rec > 1).any():
            raise DataError(f"{source}: recording {per_rec[per_rec > 1].index[0]!r} has more than "
                            f"one split in column {cfg.split_column!r}")
        predefined = sp.to_numpy()[first_rows].astype(str)
    counts = counts[counts > 0]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return SeriesSet(values=values, labels=labels, offsets=offsets, rec_ids=rec_ids, groups=groups,
                     classes=classes, channels=list(cfg.channels), kind="recordings",
                     sample_rate_hz=cfg.sample_rate_hz, predefined_split=predefined, times=t)


def order_classes(seen: list[str], classes_of_interest: list[str]) -> list[str]:
    """Classes in a stable order: others sorted, then classes of interest (so for a binary
    task the class of interest is index 1 and a sigmoid output is P(class of interest))."""
    rest = sorted(c for c in seen if c not in classes_of_interest)
    return rest + [c for c in classes_of_interest if c in seen]


def concat_series(a: SeriesSet, b: SeriesSet, b_split: str) -> SeriesSet:
    """Append ``b`` (e.g. a separate test file) to ``a``; ``b``'s recordings get split ``b_split``."""
    clash = set(a.rec_ids) & set(b.rec_ids)
    if clash:
        raise DataError(f"data.test_path: recording id(s) {sorted(clash)[:5]} also in data.path")
    pa = a.predefined_split if a.predefined_split is not None else np.full(a.n_recordings, "", dtype="<U5")
    pb = np.full(b.n_recordings, b_split, dtype="<U5")
    return SeriesSet(
        values=np.concatenate([a.values, b.values]), labels=np.concatenate([a.labels, b.labels]),
        offsets=np.concatenate([a.offsets, a.offsets[-1] + b.offsets[1:]]),
        rec_ids=np.concatenate([a.rec_ids, b.rec_ids]), groups=np.concatenate([a.groups, b.groups]),
        classes=a.classes, channels=a.channels, kind=a.kind, sample_rate_hz=a.sample_rate_hz,
        predefined_split=np.concatenate([pa.astype("<U5"), pb]),
        times=np.concatenate([a.times, b.times]) if a.times is not None and b.times is not None else None,
    )


# ---------------------------------------------------------------------------- sequences
def read_sequences(cfg: DataConfig, path: str | Path | None = None) -> SeriesSet:
    """Read pre-segmented sequences from an ``.npz`` (loaded without pickles).

    The file holds ``y`` (n,) and either ``X`` (n, time, channels) or the variable-length
    form ``values`` (total timesteps, channels) + ``lengths`` (n,). Optional ``groups`` (n,)
    names the group of each case for splitting and ``split`` (n,) a predefined split.
    Variable-length cases are padded (or truncated, with a warning) to ``data.pad_length``
    (default: the longest) with ``data.mask_value``.
    """
    p = resolve_path(path or cfg.path)
    if not p.is_file():
        raise DataError(f"data.path {p} does not exist (expected an .npz of sequences)")
    try:
        with np.load(p, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except ValueError as exc:
        raise DataError(f"{p}: cannot load without pickles ({exc}); store strings as fixed-width "
                        f"unicode arrays, e.g. np.array(labels, dtype=str)") from exc
    return sequences_from_arrays(arrays, cfg, p)


def sequences_from_arrays(arrays: dict[str, np.ndarray], cfg: DataConfig, p: Path) -> SeriesSet:
    """The checking and padding half of :func:`read_sequences`, on arrays already loaded
    (``p`` names the source in errors). ``data.kind: table`` with ``data.sequence_columns``
    reuses it."""
    if "y" not in arrays:
        raise DataError(f"{p}: missing array 'y'; present: {sorted(arrays)}")
    y = arrays["y"]
    n = len(y)
    if "X" in arrays:
        X = arrays["X"]
        if X.ndim == 2:
            X = X[:, :, None]
        if X.ndim != 3 or len(X) != n:
            raise DataError(f"{p}: 'X' must be (n, time, channels) with n = len(y) = {n}; got {X.shape}")
        lengths = np.full(n, X.shape[1], dtype=np.int64)
        flat = X.reshape(-1, X.shape[2])
        if np.isnan(flat).any():
            raise DataError(f"{p}: 'X' contains NaN; fill or drop those cases")
        values_flat, lens = flat, lengths
    elif "values" in arrays and "lengths" in arrays:
        values_flat = arrays["values"]
        if values_flat.ndim == 1:
            values_flat = values_flat[:, None]
        lens = arrays["lengths"].astype(np.int64)
        if len(lens) != n:
            raise DataError(f"{p}: 'lengths' has {len(lens)} entries but 'y' has {n}")
        if (lens < 1).any() or lens.sum() != len(values_flat):
            raise DataError(f"{p}: 'lengths' must be >= 1 and sum to len(values) = {len(values_flat)}, "
                            f"got sum {int(lens.sum())}")
        if np.isnan(values_flat).any():
            raise DataError(f"{p}: 'values' contains NaN; fill or drop those cases")
    else:
        raise DataError(f"{p}: needs 'X' (n, time, channels) or 'values' + 'lengths'; "
                        f"present: {sorted(arrays)}")
    if not np.issubdtype(values_flat.dtype, np.number):
        raise DataError(f"{p}: sequence values must be numeric, got dtype {values_flat.dtype}")
    T = int(cfg.pad_length or lens.max())
    notes = []
    if (lens > T).any():
        msg = f"{int((lens > T).sum())} case(s) longer than data.pad_length={T} were truncated"
        warnings.warn(msg, stacklevel=2)
        notes.append(msg)
    C = values_flat.shape[1]
    # pad: scatter each case's first min(len, T) steps into an (n, T, C) block (vectorised)
    keep = np.minimum(lens, T)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
    case = np.repeat(np.arange(n), keep)
    pos = np.arange(keep.sum()) - np.repeat(np.cumsum(keep) - keep, keep)
    padded = np.full((n, T, C), cfg.mask_value, dtype=np.float32)
    padded[case, pos] = values_flat[starts[case] + pos]
    y_str = y.astype(str)
    seen = sorted(np.unique(y_str).tolist())
    if len(seen) < 2:
        raise DataError(f"{p}: only one class {seen} in 'y'; a classifier needs at least two")
    classes = order_classes(seen, cfg.classes_of_interest)
    missing_interest = [c for c in cfg.classes_of_interest if c not in classes]
    if missing_interest:
        raise DataError(f"data.classes_of_interest {missing_interest} not among the classes {classes}")
    y_idx = pd.Index(classes).get_indexer(y_str).astype(np.int64)
    groups = arrays["groups"].astype(str) if "groups" in arrays else np.array([f"case{i}" for i in range(n)])
    if len(groups) != n:
        raise DataError(f"{p}: 'groups' has {len(groups)} entries but 'y' has {n}")
    predefined = None
    if "split" in arrays:
        sp = pd.Series(arrays["split"].astype(str)).str.lower().map(_SPLIT_ALIASES)
        if sp.isna().any():
            raise DataError(f"{p}: 'split' must hold train / val / test, got "
                            f"{arrays['split'][sp.isna().to_numpy()][0]!r}")
        predefined = sp.to_numpy().astype(str)
    rec_ids = np.array([f"case{i:06d}" for i in range(n)])
    masked = bool((lens != T).any())
    return SeriesSet(
        values=padded.reshape(n * T, C), labels=np.repeat(y_idx, T), offsets=np.arange(n + 1) * T,
        rec_ids=rec_ids, groups=groups, classes=classes,
        channels=[f"ch{i}" for i in range(C)], kind="sequences", sample_rate_hz=None,
        predefined_split=predefined, case_labels=y_idx, lengths_true=np.minimum(lens, T),
        notes=notes + (["variable-length cases padded"] if masked else []),
    )


# ---------------------------------------------------------------------------- text
PAD_TOKEN, UNK_TOKEN = "<pad>", "<unk>"


def read_text(cfg: DataConfig, path: str | Path | None = None, n_chunks: int = 20) -> SeriesSet:
    """Read a plain-text file as a character token stream.

    The vocabulary keeps the ``data.vocab_size - 2`` most frequent characters; index 0 is
    padding, 1 the unknown token. The stream is cut into ``n_chunks`` contiguous chunks that
    act as groups for splitting (windows never cross a chunk), and each window's label is
    the next token. ``labels`` here hold the token ids themselves.
    """
    p = resolve_path(path or cfg.path)
    if not p.is_file():
        raise DataError(f"data.path {p} does not exist (expected a plain-text file)")
    text = p.read_text(encoding="utf-8", errors="replace")
    if cfg.lowercase:
        text = text.lower()
    if cfg.max_chars:
        text = text[: cfg.max_chars]
    if len(text) < 100:
        raise DataError(f"{p}: only {len(text)} characters; need at least 100 for windows")
    counts = Counter(text)
    kept = [c for c, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))][: cfg.vocab_size - 2]
    vocab = [PAD_TOKEN, UNK_TOKEN, *kept]
    lut = {c: i for i, c in enumerate(vocab)}
    codes = np.fromiter((lut.get(c, 1) for c in text), dtype=np.int32, count=len(text))
    n = len(codes)
    bounds = np.linspace(0, n, n_chunks + 1).astype(np.int64)
    return SeriesSet(
        values=codes, labels=codes.astype(np.int64), offsets=bounds,
        rec_ids=np.array([f"chunk{i:03d}" for i in range(n_chunks)]),
        groups=np.array([f"chunk{i:03d}" for i in range(n_chunks)]),
        classes=vocab, channels=["token"], kind="text", vocabulary=vocab,
    )


def read_dataset(cfg: DataConfig) -> SeriesSet:
    """Read what ``data.kind`` says, plus ``data.test_path`` when given."""
    if cfg.kind == "recordings":
        s = read_recordings(cfg)
        if cfg.test_path:
            t = read_recordings(cfg, cfg.test_path, classes=s.classes)
            s = concat_series(s, t, "test")
        return s
    if cfg.test_path:
        raise DataError("data.test_path is supported for data.kind 'recordings'; for sequences put a "
                        "'split' array in the .npz")
    if cfg.kind == "sequences":
        return read_sequences(cfg)
    if cfg.kind == "table":
        from lstm_helpers.data.tables import read_table

        return read_table(cfg)
    return read_text(cfg)
