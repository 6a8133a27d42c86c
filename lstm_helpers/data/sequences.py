"""Pre-segmented sequences (``data.kind: sequences``): an ``.npz`` of cases, variable-length
cases padded (and masked by the model) to one length. Read into the same :class:`SeriesSet`
as recordings (one "recording" per case)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lstm_helpers.config import DataConfig, resolve_path
from lstm_helpers.data.files import is_table_file
from lstm_helpers.data.inputs import (
    DataError,
    missing_path_error,
    say_note,
    short,
)
from lstm_helpers.data.labels import label_hint, map_labels, order_classes, positive_class_note
from lstm_helpers.data.names import name_list, not_among
from lstm_helpers.data.recordings import SPLIT_ALIASES, SeriesSet
from lstm_helpers.data.tokens import PAD_ID, file_vocabulary, run_vocabulary_codes, token_ids


def _sequence_arrays(p: Path, need_y: bool = True) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` of sequences, loaded without pickles; DataError naming what is wrong."""
    from lstm_helpers.artifacts import PickledArray, UnreadableFile, load_npz

    if not p.is_file():
        raise missing_path_error(p)
    try:
        arrays = load_npz(p)
    except PickledArray as exc:
        if exc.key in ("y", "groups", "split"):  # labels or names: the fixed-width unicode hint holds
            raise DataError(str(exc)) from None
        raise DataError(  # variable-length sequences saved as one object array each (np.savez of a ragged list)
            f"{p}: array {exc.key!r} is an object array (sequences of different lengths?), which is never loaded "
            "(it would need pickles); store them as data/README.md says: every case's steps end to end in 'values' "
            "(total steps, channels) plus 'lengths' (steps per case), e.g. np.savez(path, "
            "values=np.concatenate(seqs), lengths=[len(s) for s in seqs], y=labels)"
        ) from None
    except UnreadableFile as exc:
        raise DataError(str(exc)) from None
    if need_y and "y" not in arrays:
        raise DataError(f"{p}: missing array 'y'; present: {short(sorted(arrays))}")
    return arrays


def _case_lengths(arrays: dict[str, np.ndarray], p: Path, n: int, steps: int | None = None) -> np.ndarray:
    """``lengths`` as int64, one whole number per case, each >= 1 (and <= ``steps``, the time
    axis of ``X``, when given); the first offending cases named by their index (from 0)."""
    raw = arrays["lengths"]
    if raw.ndim != 1 or len(raw) != n:
        like = "'y'" if "y" in arrays else "'X'"
        raise DataError(f"{p}: 'lengths' has shape {raw.shape}; it must hold one entry per case ({n}, like {like})")
    if not np.issubdtype(raw.dtype, np.number) or np.issubdtype(raw.dtype, np.complexfloating):
        raise DataError(f"{p}: 'lengths' must hold whole numbers of steps, got dtype {raw.dtype}")
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(raw) | (raw != np.round(raw)) | (raw < 1) | (raw > (steps or np.inf))
    if bad.any():
        first = np.flatnonzero(bad)[:3]
        named = "; ".join(f"case {int(i)} has length {raw[i].item()!r}" for i in first)
        valid = f"1 to {steps} (the time axis of 'X')" if steps else "a whole number >= 1"
        raise DataError(
            f"{p}: {int(bad.sum())} case(s) in 'lengths' are out of range ({named}); each case's length must be "
            f"{valid}: leave a case without steps out, with its 'y' entry"
        )
    return raw.astype(np.int64)


def _flat_values(
    arrays: dict[str, np.ndarray], p: Path, n: int, tokens: bool = False, notes: list[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Every case's timesteps end to end (total, channels) and each case's length. ``X`` with
    ``lengths``: each case's first ``lengths[i]`` steps are real, the rest padding (ignored);
    without, every step is real, and ``notes`` (when given) gets :func:`_zero_padding_note`.
    ``tokens`` (``data.tokens``): the checked ids (total,) of :func:`~lstm_helpers.data.tokens.token_ids`."""
    shape = "(n, time) of token ids" if tokens else "(n, time, channels)"
    if "X" in arrays:
        X, name = arrays["X"], "X"
        if X.ndim == 2:
            X = X[:, :, None]
        if X.ndim != 3 or len(X) != n or X.shape[1] == 0:
            raise DataError(f"{p}: 'X' must be {shape}{_x_cases(arrays, n)}; got shape {X.shape}")
        if "lengths" in arrays:
            lens = _case_lengths(arrays, p, n, X.shape[1])
            values_flat = X[np.arange(X.shape[1])[None, :] < lens[:, None]]  # (sum of lengths, channels), case order
        else:
            values_flat, lens = X.reshape(-1, X.shape[2]), np.full(n, X.shape[1], dtype=np.int64)
            if notes is not None and not tokens:  # token ids: every 0 is padding already (data/tokens.py)
                notes += _zero_padding_note(X, p)
    elif "values" in arrays and "lengths" in arrays:
        values_flat, name = arrays["values"], "values"
        if values_flat.ndim == 1:
            values_flat = values_flat[:, None]
        if values_flat.ndim != 2:
            raise DataError(f"{p}: 'values' must be (total timesteps, channels); got {values_flat.shape}")
        lens = _case_lengths(arrays, p, n)
        if lens.sum() != len(values_flat):
            raise DataError(
                f"{p}: 'lengths' sum to {int(lens.sum())} steps but 'values' holds {len(values_flat)}; they must sum "
                f"to len(values) = {len(values_flat)} (every case's steps end to end)"
            )
    else:
        raise DataError(f"{p}: needs 'X' {shape} or 'values' + 'lengths'; present: {short(sorted(arrays))}")
    if not np.issubdtype(values_flat.dtype, np.number):
        raise DataError(f"{p}: sequence values must be numeric, got dtype {values_flat.dtype}")
    if tokens:
        return token_ids(values_flat, lens, p, name, zeros_pad="lengths" not in arrays)
    values_flat = values_flat.astype(np.float64, copy=False)
    _check_case_values(values_flat, lens, p, name, padding_known="lengths" in arrays)
    return values_flat, lens


def _trailing(steps: np.ndarray) -> np.ndarray:
    """(n, T) bool: the steps of each row from which on ``steps`` holds to the row's end (padding's shape)."""
    return np.flip(np.cumprod(np.flip(steps, 1), 1), 1).astype(bool)


def _zero_padding_note(X: np.ndarray, p: Path) -> list[str]:
    """A note where cases of ``X`` (given without ``lengths``) end in steps that are exactly 0 in
    every channel, as an array zero-padded to one length does (PyTorch's pad_sequence): they are
    read as real steps, as data/README.md says, but were read so without a word (a masked run's
    predict of such a file got 20 of 30 labels wrong). One case of many ending in exact zeros can
    be chance (a signal crossing 0, a sensor at rest); two or more -- or a file of one case -- is
    the mark of padding, so the note needs at least ``min(2, n)`` such cases."""
    zero = (X == 0).all(axis=2)  # (n, T): steps 0 in every channel
    tail = _trailing(zero).sum(axis=1)  # trailing such steps per case
    cases = int((tail > 0).sum())
    if cases < min(2, len(X)):
        return []
    steps = int(tail.sum())
    return [
        f"{cases:,} of {len(X):,} case(s) in {p.name} end in steps that are 0 in every channel ({steps:,} steps, "
        f"{steps / zero.size:.0%} of 'X'), as zero padding does; 'X' without 'lengths' is read as real to its last "
        "step, so the model reads them as data. If they are padding, add 'lengths' (each case's real steps) to the "
        "file: the steps after each case's length are then masked, never read (data/README.md)"
    ]


def _where(lens: np.ndarray, row: int, channel: int, name: str) -> str:
    """``case 9, step 2, channel 1`` of row ``row`` of the steps end to end (all from 0; for
    ``values`` also the row itself): the errors named the flattened row, 711, of an ``X``."""
    ends = np.cumsum(lens)
    case = int(np.searchsorted(ends, row, side="right"))
    at = f"case {case}, step {row - int(ends[case] - lens[case])}, channel {channel}"
    return at if name == "X" else f"{at} (row {row} of {name!r})"


def _check_case_values(values_flat: np.ndarray, lens: np.ndarray, p: Path, name: str, padding_known: bool) -> None:
    """Refuse NaN and values that are infinite or beyond float32's range in the cases' real steps,
    the first named by case, step and channel. ``data.nan_policy`` is for recordings (a NaN in a
    case has no neighbours across cases to fill from): the NaN error says so and what to do, and
    where ``X`` without ``lengths`` has NaN only as trailing steps of all NaN, to give ``lengths``."""
    nan = np.isnan(values_flat)
    if nan.any():
        row, ch = (int(v[0]) for v in np.nonzero(nan))
        cases = np.unique(np.repeat(np.arange(len(lens)), lens)[nan.any(axis=1)])
        fix = (
            "data.nan_policy applies to recordings, not to sequences: fill them in the file (e.g. interpolate "
            "within each case) or leave those cases out, with their 'y' entries"
        )
        if name == "X" and not padding_known:
            X = nan.reshape(len(lens), -1, nan.shape[1])
            if (X <= _trailing(X.all(axis=2))[:, :, None]).all():
                fix = (
                    "They are all trailing steps NaN in every channel, as NaN padding is: give 'lengths' (each "
                    "case's real steps, see data/README.md) and the steps after each case's length are never read "
                    "(data.nan_policy applies to recordings, not to sequences)"
                )
        raise DataError(
            f"{p}: {name!r} holds {int(nan.sum()):,} NaN value(s) in {len(cases):,} case(s); first: "
            f"{_where(lens, row, ch, name)}. {fix}"
        )
    limit = float(np.finfo(np.float32).max)
    bad = np.abs(values_flat) > limit  # inf included
    if bad.any():
        row, ch = (int(v[0]) for v in np.nonzero(bad))
        raise DataError(
            f"{p}: {name!r} holds {int(bad.sum()):,} value(s) that are infinite or beyond float32's range "
            f"(+-{limit:.3g}); first: {_where(lens, row, ch, name)}, value {float(values_flat[row, ch])!r}. "
            "Fix them at the source"
        )


def _x_cases(arrays: dict[str, np.ndarray], n: int) -> str:
    """What 'X' must hold besides its shape: ``n`` cases, one per label where the file has ``y`` (a file
    to predict may have none: its message named a ``y`` it did not hold), and a hint for a 1-D ``X``."""
    cases = f" with n = len(y) = {n}" if "y" in arrays else ", n cases"
    one = f": one case of {len(arrays['X'])} steps is X[None, :]" if arrays["X"].ndim == 1 else ""
    return f"{cases} and time >= 1 steps each{one}"


def _pad_cases(
    values_flat: np.ndarray, lens: np.ndarray, T: int, mask_value: float, dtype: type = np.float32
) -> np.ndarray:
    """(n, T, C) block: each case's first min(len, T) steps, the rest ``mask_value`` (vectorised)."""
    n, C = len(lens), values_flat.shape[1]
    keep = np.minimum(lens, T)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
    case = np.repeat(np.arange(n), keep)
    pos = np.arange(keep.sum()) - np.repeat(np.cumsum(keep) - keep, keep)
    padded = np.full((n, T, C), mask_value, dtype=dtype)
    padded[case, pos] = values_flat[starts[case] + pos]
    return padded


def _stretch_cases(values_flat: np.ndarray, lens: np.ndarray, T: int) -> np.ndarray:
    """(n, T, C) block: each case linearly resampled to ``T`` steps, its first and last step
    kept (uniform scaling, the usual fixed-length form of variable-length series). One
    vectorised gather for all cases; aeon's ``Resizer`` does the same one case at a time."""
    n, C = len(lens), values_flat.shape[1]
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
    frac = np.linspace(0.0, 1.0, T) if T > 1 else np.zeros(1)
    pos = frac[None, :] * (lens[:, None] - 1)  # (n, T) fractional source step
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, lens[:, None] - 1)
    w = (pos - lo).astype(np.float32)[..., None]
    base, v = starts[:, None], values_flat.astype(np.float32, copy=False)  # float32 like the padded block
    out = v[base + lo] * (1.0 - w) + v[base + hi] * w
    return out.reshape(n, T, C)


def _case_split(arrays: dict[str, np.ndarray], p: Path, name: str) -> np.ndarray | None:
    if "split" not in arrays:
        return None
    sp = pd.Series(arrays["split"].astype(str)).str.strip().str.lower().map(SPLIT_ALIASES)
    if sp.isna().any():
        raise DataError(
            f"{p}: {name} must hold train / val / test (or {', '.join(sorted(set(SPLIT_ALIASES) - {'train', 'val', 'test'}))}), "
            f"got {short(arrays['split'][sp.isna().to_numpy()][0], 60)}"
        )
    return sp.to_numpy().astype(str)


def _check_case_arrays(arrays: dict[str, np.ndarray], p: Path, n: int) -> None:
    """``y`` one label per case; ``groups`` / ``split``, when given, one entry per case."""
    y = arrays["y"]
    if y.ndim != 1 or n == 0:
        hint = " (one-hot? give each case's class instead)" if y.ndim == 2 else ""
        raise DataError(f"{p}: 'y' must hold one label per case (1-D, at least one case), got shape {y.shape}{hint}")
    _check_label_count(arrays, p, n)
    _check_per_case(arrays, p, n, ("groups", "split"))


def _check_label_count(arrays: dict[str, np.ndarray], p: Path, n: int) -> None:
    """``y`` (``n`` labels) against the cases of the values (``X``, else ``lengths``): where they
    differ and another per-case array (``lengths``, ``groups``, ``split``) sides with the values
    while none sides with ``y``, ``y`` is the odd one out and is named (else the values' own
    check names them). Checked before ``groups`` / ``split``, which were measured against ``y``
    and took the blame for a short ``y``."""
    ref = next((k for k in ("X", "lengths") if k in arrays and arrays[k].ndim >= 1), None)
    if ref is None or len(arrays[ref]) == n:
        return
    m = len(arrays[ref])
    others = {k: len(arrays[k]) for k in ("lengths", "groups", "split") if k != ref and k in arrays}
    like = [repr(k) for k, v in others.items() if v == m]
    if not like or n in others.values():
        return
    raise DataError(
        f"{p}: 'y' holds {n} label(s) but {ref!r} holds {m} case(s) (and so do {', '.join(like)}); "
        f"'y' must hold one label per case ({m})"
    )


def _check_per_case(arrays: dict[str, np.ndarray], p: Path, n: int, keys: tuple[str, ...]) -> None:
    for key in keys:
        if key in arrays and (arrays[key].ndim != 1 or len(arrays[key]) != n):
            raise DataError(f"{p}: {key!r} must hold one entry per case ({n}, like 'y'), got shape {arrays[key].shape}")


def _to_length(
    values_flat: np.ndarray, lens: np.ndarray, T: int, cfg: DataConfig, notes: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """The (n, T, C) block of the cases at ``T`` steps and each case's steps in it: padded
    with ``data.mask_value`` (longer cases truncated, said in ``notes`` and a warning), or with
    ``data.variable_length: stretch`` resampled to ``T`` steps. Stage 01 and ``predict`` both."""
    stretch = cfg.variable_length == "stretch" and bool((lens != T).any())
    if (lens > T).any() and not stretch:
        msg = f"{int((lens > T).sum())} case(s) longer than data.pad_length={T} were truncated"
        say_note(msg, stacklevel=3)
        notes.append(msg)
    if stretch:
        notes.append(f"cases of {int(lens.min())}-{int(lens.max())} steps stretched to {T} (data.variable_length)")
        return _stretch_cases(values_flat, lens, T), np.full(len(lens), T)
    if cfg.tokens:  # model ids (int32), padded with id 0
        return _pad_cases(values_flat, lens, T, PAD_ID, np.int32), lens
    return _pad_cases(values_flat, lens, T, cfg.mask_value), lens


def _labelled_cases(
    arrays: dict[str, np.ndarray], cfg: DataConfig, p: Path, values_flat: np.ndarray, lens: np.ndarray, name: str
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, pd.Series, list[str]]:
    """Labels through ``data.class_map`` / ``data.other_class`` (stripped, as for recordings);
    cases whose label is empty or missing are left out (with a note), their steps with them."""
    notes: list[str] = []
    task, _ = map_labels(pd.Series(arrays["y"]), cfg, str(p), name, notes)
    keep = task.notna().to_numpy()
    if keep.all():
        return arrays, values_flat, lens, task, notes
    note = f"{int((~keep).sum())} case(s) with an empty or missing label in {name} were left out"
    say_note(note, stacklevel=3)
    arrays = {**arrays, **{k: arrays[k][keep] for k in ("groups", "split") if k in arrays}}
    return arrays, values_flat[np.repeat(keep, lens)], lens[keep], task[keep].reset_index(drop=True), [*notes, note]


def read_sequences(cfg: DataConfig, path: str | Path | None = None) -> SeriesSet:
    """Read pre-segmented sequences from an ``.npz`` (loaded without pickles).

    The file holds ``y`` (n,) and either ``X`` (n, time, channels) or the variable-length
    form ``values`` (total timesteps, channels) + ``lengths`` (n,); ``X`` with ``lengths``
    holds each case's first ``lengths[i]`` steps, the rest padding. Optional ``groups`` (n,)
    names the group of each case for splitting and ``split`` (n,) a predefined split.
    Variable-length cases are padded (or truncated, with a warning) to ``data.pad_length``
    (default: the longest) with ``data.mask_value``, or with ``data.variable_length:
    stretch`` resampled to that many steps (no padding, no mask).
    """
    p = resolve_path(path or cfg.path)
    if not p.exists():
        raise missing_path_error(path or cfg.path)
    if p.is_dir() or is_table_file(p, "auto"):
        what = "a folder" if p.is_dir() else "a table"
        raise DataError(
            f"{p} is {what}, not an .npz (data.kind: sequences reads an .npz); sequences in a CSV / Parquet table "
            "of one row per time step are data.kind: table with data.sequence_column naming each row's sequence "
            "(one row per sequence: data.sequence_columns; data/README.md)"
        )
    return sequences_from_arrays(_sequence_arrays(p), cfg, p)


def sequences_from_arrays(
    arrays: dict[str, np.ndarray], cfg: DataConfig, p: Path, names: tuple[str, str] = ("array 'y'", "'split'")
) -> SeriesSet:
    """The checking and padding half of :func:`read_sequences`, on arrays already loaded
    (``p`` names the source in errors, ``names`` what the labels and the split are called
    there). ``data.kind: table`` with ``data.sequence_columns`` reuses it."""
    if "y" not in arrays:
        raise DataError(f"{p}: missing array 'y'; present: {short(sorted(arrays))}")
    n = len(arrays["y"]) if arrays["y"].ndim else 0
    _check_case_arrays(arrays, p, n)
    read_notes: list[str] = []
    values_flat, lens = _flat_values(arrays, p, n, cfg.tokens, read_notes)
    arrays, values_flat, lens, task, notes = _labelled_cases(arrays, cfg, p, values_flat, lens, names[0])
    notes = read_notes + notes
    n = len(lens)
    T = int(cfg.pad_length or lens.max())
    vocabulary = None
    if cfg.tokens:  # codes over every id of the file; stage 01 keeps the training split's (data/tokens.py)
        values_flat, vocabulary = file_vocabulary(values_flat)
    C = values_flat.shape[1]
    padded, lens = _to_length(values_flat, lens, T, cfg, notes)
    y_str = task.to_numpy().astype(str)
    seen = sorted(np.unique(y_str).tolist())
    with label_hint(pd.Series(arrays["y"]), cfg):  # a single class: which raw labels, and the map's misses
        if len(seen) < 2:
            raise DataError(f"{p}: only one class {short(seen)} in {names[0]}; a classifier needs at least two")
    counts = pd.Series(y_str).value_counts().to_dict()
    classes = order_classes(seen, cfg.classes_of_interest, counts, cfg.other_class)
    notes += positive_class_note(classes, counts, cfg, "cases")
    missing_interest = [c for c in cfg.classes_of_interest if c not in classes]
    if missing_interest:
        raise DataError(
            f"data.classes_of_interest: {not_among(missing_interest, classes, 'the classes in ' + names[0])}"
        )
    y_idx = pd.Index(classes).get_indexer(y_str).astype(np.int64)
    if "groups" not in arrays:
        fix = "add a 'groups' array (one id per case)" if names[0].startswith("array") else "name data.group_column"
        notes.append(
            f"{p.name} gives no groups: each case is its own group, so cases of one subject or "
            f"recording can sit on both sides of the split; {fix} to keep them together"
        )
    groups = arrays["groups"].astype(str) if "groups" in arrays else np.array([f"case{i}" for i in range(n)])
    if len(groups) != n:
        raise DataError(f"{p}: 'groups' has {len(groups)} entries but 'y' has {n}")
    masked = bool((lens != T).any())
    return SeriesSet(
        values=padded.reshape(n * T, C) if vocabulary is None else padded.reshape(n * T),
        labels=np.repeat(y_idx, T),
        offsets=np.arange(n + 1) * T,
        rec_ids=np.array([f"case{i:06d}" for i in range(n)]),
        groups=groups,
        classes=classes,
        channels=[f"ch{i}" for i in range(C)] if vocabulary is None else ["token"],
        kind="sequences",
        sample_rate_hz=None,
        predefined_split=_case_split(arrays, p, names[1]),
        case_labels=y_idx,
        lengths_true=np.minimum(lens, T),
        vocabulary=vocabulary,
        notes=notes + (["variable-length cases padded"] if masked else []),
    )


# ------------------------------------------------------------------- new cases for predict
def read_new_sequences(
    cfg: DataConfig,
    path: Path,
    classes: list[str],
    pad_length: int,
    n_channels: int,
    vocabulary: list[str] | None = None,
) -> tuple[SeriesSet, np.ndarray | None]:
    """New cases from an ``.npz`` in the training format, for ``predict`` (``y`` optional):
    :func:`new_cases` of its arrays (``vocabulary``: a token run's, ``data.tokens``)."""
    if not path.is_file():
        raise (
            missing_path_error(path, "--input") if not path.exists() else DataError(f"{path} is a folder, not an .npz")
        )
    arrays = _sequence_arrays(path, need_y=False)
    return new_cases(arrays, cfg, path, classes, pad_length, n_channels, vocabulary=vocabulary)


def new_cases(
    arrays: dict[str, np.ndarray],
    cfg: DataConfig,
    p: Path,
    classes: list[str],
    pad_length: int,
    n_channels: int,
    names: tuple[str, str] = ("array 'y'", ""),
    vocabulary: list[str] | None = None,
) -> tuple[SeriesSet, np.ndarray | None]:
    """Cases to predict with a run trained on sequences: the checks and padding of
    :func:`sequences_from_arrays`, at the run's pad length (longer cases truncated and said,
    as stage 01 did), channel count and classes.

    Labels are optional: where ``y`` is given it goes through ``data.class_map`` as in
    training; ``case_labels`` is -1 for a case without a label or with one the run does not
    know. ``names``: what the labels and the values are called in errors (default: the
    .npz arrays). ``vocabulary``: a token run's (``data.tokens``), which maps the cases' ids to
    its model ids (an id it never saw in training to the out-of-vocabulary id, counted in the
    notes). Returns the cases and each case's true label as text ("" where none), or
    None without ``y``.
    """
    y, where = arrays.get("y"), names[1] or ("'X'" if "X" in arrays else "'values'")
    if y is not None and y.ndim != 1:
        raise DataError(f"{p}: {names[0]} must hold one label per case (1-D), got shape {y.shape}")
    n = _case_count(arrays)
    if n == 0:
        raise DataError(f"{p}: holds no cases; give at least one sequence in {where}")
    if y is not None:
        _check_label_count(arrays, p, n)
    _check_per_case(arrays, p, n, ("groups",))
    notes: list[str] = []
    values_flat, lens = _flat_values(arrays, p, n, cfg.tokens, notes)
    if cfg.tokens:
        values_flat, unseen = run_vocabulary_codes(values_flat, vocabulary or [])
        if unseen:
            notes.append(
                f"{unseen:,} of {len(values_flat):,} token(s) are ids the run never saw in training: read as the "
                "out-of-vocabulary id"
            )
    elif values_flat.shape[1] != n_channels:
        raise DataError(
            f"{p}: {where} has {values_flat.shape[1]} channel(s) per step; the run was trained on "
            f"{n_channels}: give (n, time, {n_channels}) 'X' or (total steps, {n_channels}) 'values'"
        )
    padded, lens = _to_length(values_flat, lens, int(pad_length), cfg, notes)
    truth = None
    y_idx = np.full(n, -1, dtype=np.int64)
    if y is not None:
        task, _ = map_labels(pd.Series(y), cfg, str(p), names[0], notes, missed_keys=False)  # new cases
        truth = task.fillna("").to_numpy().astype(str)
        y_idx = pd.Index(classes).get_indexer(truth).astype(np.int64)
        unknown = sorted(set(truth[(y_idx < 0) & (truth != "")].tolist()))
        if unknown:
            notes.append(
                f"label(s) {name_list(unknown)} in {names[0]} are not among the run's classes {name_list(classes)}"
            )
    T = int(pad_length)
    s = SeriesSet(
        values=padded.reshape(n * T, values_flat.shape[1]) if not cfg.tokens else padded.reshape(n * T),
        labels=np.repeat(y_idx, T),
        offsets=np.arange(n + 1) * T,
        rec_ids=np.array([f"case{i:06d}" for i in range(n)]),
        groups=arrays["groups"].astype(str) if "groups" in arrays else np.full(n, "", dtype=object),
        classes=list(classes),
        channels=[f"ch{i}" for i in range(values_flat.shape[1])] if not cfg.tokens else ["token"],
        kind="sequences",
        case_labels=y_idx,
        lengths_true=np.minimum(lens, T),
        vocabulary=list(vocabulary or []) if cfg.tokens else None,
        notes=notes,
    )
    return s, truth


def _case_count(arrays: dict[str, np.ndarray]) -> int:
    """Cases in a file whose labels are optional: from ``y``, else ``X`` or ``lengths``."""
    for key in ("y", "X", "lengths"):
        if key in arrays:
            return len(arrays[key]) if arrays[key].ndim else 0
    return 1  # neither form of values: _flat_values says what is needed
