"""Stage 01: validate -> split by group -> window -> scale (fit on train) -> rebalance train.

Writes ``prepared.npz`` (no pickles) and ``prepare.json`` into the run directory. The order
is the point: splits happen before windows so overlapping windows of one recording can never
sit on both sides; the scaler sees training timesteps only; resampling touches training
windows only; and a leakage check proves it on every run.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from lstm_helpers.artifacts import record_notebook_stage, save_npz, write_json
from lstm_helpers.config import Config, ConfigError
from lstm_helpers.data.checks import (
    check_interest_groups,
    check_interest_trained,
    check_windows_fit,
    labelled_units,
    one_case_hint,
    predefined_split_note,
    split_advice,
    split_unit,
    window_length_note,
)
from lstm_helpers.data.gaps import across_gaps, gap_notes
from lstm_helpers.data.inputs import say_note
from lstm_helpers.data.labels import interest_note
from lstm_helpers.data.prepared import InputInfo, PreparedData, clear_later_stages, same_preparation
from lstm_helpers.data.recordings import SPLIT_NAMES, DataError, SeriesSet, read_dataset
from lstm_helpers.data.resampling import (
    apply_scaler,
    fit_scaler,
    rebalance,
    scale_per_recording,
    scale_per_sequence,
)
from lstm_helpers.data.splits import check_leakage, groups_across_splits, share_note, split_groups, split_seed
from lstm_helpers.data.summary import leakage_table, split_table, summary_table  # noqa: F401 - the notebook's
from lstm_helpers.data.text import keep_training_vocabulary, unknown_targets_note
from lstm_helpers.data.tokens import keep_training_tokens
from lstm_helpers.data.windows import (
    Windows,
    count_windows,
    label_windows,
    window_starts,
    window_step,
)
from lstm_helpers.layout import RunLayout
from lstm_helpers.style import classes_text
from lstm_helpers.unused import reads


def _text_windows(s: SeriesSet, length: int, overlap: float) -> Windows:
    """Token windows whose label is the next token (which stays inside the same chunk)."""
    step = window_step(length, overlap)
    shrunk = s.offsets - np.arange(len(s.offsets))  # each chunk one shorter: room for the next token
    starts_shrunk, rec = window_starts(shrunk, length, step)
    starts = starts_shrunk + rec  # back to real offsets
    labels = s.values[starts + length].astype(np.int64)
    return Windows(starts, rec, starts - s.offsets[rec], labels, length, step)


def _sequence_windows(s: SeriesSet) -> Windows:
    t = int(s.lengths[0])
    rec = np.arange(s.n_recordings)
    return Windows(
        s.offsets[:-1].copy(),
        rec,
        np.zeros(s.n_recordings, np.int64),
        s.case_labels.astype(np.int64),
        t,
        t,
    )


def build_windows(s: SeriesSet, cfg: Config) -> tuple[Windows, dict]:
    """Windows of every recording, with counts of what was skipped or dropped."""
    info: dict = {}
    if s.kind == "sequences":
        return _sequence_windows(s), info
    length = cfg.window_length
    check_windows_fit(s, cfg)
    for note in window_length_note(cfg):  # length_seconds that is no whole number of timesteps
        s.notes.append(note)
        say_note(note, stacklevel=3)
    if s.kind == "text":
        return _text_windows(s, length, cfg.windows.overlap_percent), info
    step = window_step(length, cfg.windows.overlap_percent)
    n_per_rec = count_windows(s.lengths, length, step)
    short = n_per_rec == 0
    info["recordings_too_short"] = int(short.sum())
    info["recordings_too_short_ids"] = s.rec_ids[short].tolist()[:20]
    if short.any():  # a note as the others: stage 01's notes (terminal, prepare.json, the report)
        s.notes.append(_short_note(s, short, length) + one_case_hint(s, cfg))
        say_note(s.notes[-1], stacklevel=3)
    starts, rec = window_starts(s.offsets, length, step)
    coi = [s.classes.index(c) for c in cfg.data.classes_of_interest]
    lab = label_windows(
        s.labels,
        starts,
        length,
        len(s.classes),
        cfg.windows.label_rule,
        cfg.windows.min_fraction,
        coi,
        cfg.windows.unlabelled,
        cfg.windows.max_unlabelled_fraction,
    )
    info["windows_total"] = int(len(starts))
    info["windows_dropped_unlabelled"] = int((lab < 0).sum())
    keep = (lab >= 0) & ~across_gaps(s, starts, length, info)  # no window joins the two sides of a gap
    for note in gap_notes(info, cfg.data.time_column):
        warnings.warn(note, stacklevel=2)
    return Windows(starts[keep], rec[keep], (starts - s.offsets[rec])[keep], lab[keep], length, step), info


def _short_note(s: SeriesSet, short: np.ndarray, length: int) -> str:
    """The recordings (``short``: a mask) with too few timesteps for one window of ``length``,
    each named with its length."""
    ids, lengths = s.rec_ids[short], s.lengths[short]
    listed = ", ".join(f"{str(r)!r} ({n:,} timesteps)" for r, n in zip(ids[:5], lengths[:5].tolist(), strict=True))
    more = f" and {len(ids) - 5} more" if len(ids) > 5 else ""
    return (
        f"{len(ids)} recording(s) shorter than one window ({length} timesteps) were skipped, none of their "
        f"timesteps in any split: {listed}{more}"
    )


def _counts(y: np.ndarray, classes: list[str]) -> dict[str, int]:
    c = np.bincount(y, minlength=len(classes)) if len(y) else np.zeros(len(classes), int)
    return {cls: int(n) for cls, n in zip(classes, c, strict=True)}


def _split_recordings(s: SeriesSet, cfg: Config) -> tuple[np.ndarray, dict, np.ndarray]:
    """Split of each recording (by group, before any window exists), the split report and
    the group of each recording."""
    rec_counts = s.recording_class_counts() if s.kind != "text" else np.ones((s.n_recordings, 1))
    check_interest_groups(s, cfg)
    groups = s.groups if cfg.split.by == "group" else s.rec_ids
    keep, left_out = labelled_units(s, cfg)  # groups with no labelled timestep take no split's place
    if left_out:
        s.notes.append(left_out)
        warnings.warn(left_out, stacklevel=3)
    pre = None if s.predefined_split is None else np.asarray(s.predefined_split)[keep]
    split_of_rec = np.full(s.n_recordings, "", dtype="<U5")  # "": in no split
    split_of_rec[keep], report = split_groups(
        np.asarray(groups)[keep],
        rec_counts[keep],
        cfg.split.val_fraction,
        cfg.split.test_fraction,
        split_seed(cfg),
        cfg.split.stratify,
        cfg.split.attempts,
        pre,
        cfg.split.min_val_groups,
        split_unit(s, cfg),
    )
    if report["classes_missing"]:
        missing = {k: [s.classes[i] for i in v] for k, v in report["classes_missing"].items()}
        report["classes_missing"] = missing
        report["note"] = missing_classes_note(missing, split_advice(s, cfg))
        s.notes.append(report["note"])  # with stage 01's notes: on the terminal and in the report's list
        warnings.warn(report["note"], stacklevel=3)
    if report["moved"]:
        warnings.warn(report["moved"], stacklevel=3)
    if idle := predefined_split_note(s, cfg):  # the fractions a predefined split leaves without effect
        s.notes.append(idle)
        warnings.warn(idle, stacklevel=3)
    n_units = len(np.unique(np.asarray(groups)[keep]))
    if share := share_note(report, cfg.split.val_fraction, cfg.split.test_fraction, n_units, split_unit(s, cfg)):
        s.notes.append(share)
        warnings.warn(share, stacklevel=3)
    where = f"data.group_column {cfg.data.group_column!r}" if cfg.data.group_column else "the 'groups' array"
    by_recording = cfg.split.by == "recording" and s.kind != "text"
    in_split = (np.asarray(s.groups)[keep], split_of_rec[keep])  # the recordings a split took
    report["groups_spread"] = groups_across_splits(*in_split, where) if by_recording else ""
    if by_recording:  # the splitter's units were recordings: say so (slides and tables read the method)
        report["method"] = report["method"].replace("by group", "by recording")
        spread = pd.DataFrame({"g": in_split[0].astype(str), "s": in_split[1]}).groupby("g")["s"].nunique()
        report["groups_in_two_splits"] = [int((spread > 1).sum()), int(len(spread))]
    if report["groups_spread"]:
        warnings.warn(report["groups_spread"], stacklevel=3)
    return split_of_rec, report, groups


_WITHOUT = {  # what a split without a class loses
    "train": "the model cannot learn {them}",
    "val": "no decision threshold, early stopping or best epoch can follow {them} (all are chosen on validation)",
    "test": "stage 03 cannot score {them}",
}


def missing_classes_note(missing: dict[str, list[str]], advice: str) -> str:
    """The split note for classes a split holds no timestep of (too few groups hold them): what
    each such split cannot do, and ``advice``: what could give each split some, as the split was
    made (:func:`~lstm_helpers.data.checks.split_advice`: another seed redraws a drawn split, not a
    predefined one). It was kept in ``prepare.json["split"]`` alone, never printed, while
    validation without the class of interest leaves the threshold unchosen."""
    parts = []
    for name, classes in missing.items():
        them = "it" if len(classes) == 1 else "them"
        parts.append(f"{name} has no {classes_text(classes)}: {_WITHOUT[name].format(them=them)}")
    n_classes = len({c for v in missing.values() for c in v})
    few = (
        ""
        if advice.startswith("the split is predefined")
        else f"too few groups hold {'it' if n_classes == 1 else 'them'}: "
    )
    return f"the data do not allow every class in every split ({'; '.join(parts)}); {few}{advice}"


def _scaled_values(s: SeriesSet, cfg: Config, split_of_rec: np.ndarray) -> tuple[np.ndarray, dict]:
    """Every timestep's values scaled with statistics of training timesteps only (or of
    each recording / sequence itself), padding set to ``data.mask_value``; tokens pass unchanged."""
    if s.tokens:
        return s.values, {"method": "none", "center": [0.0], "scale": [1.0]}
    rec_of_step = np.repeat(np.arange(s.n_recordings), s.lengths)
    train_rows = split_of_rec[rec_of_step] == "train"
    real = s.real_steps()
    if real is not None:
        train_rows &= real
    if not train_rows.any():
        raise DataError("the training split holds no timesteps; check split fractions / predefined split")
    if cfg.scale.per == "recording":  # sequences: each sequence by its own real steps
        n_channels = s.values.shape[1]
        scaler = {
            "method": cfg.scale.method,
            "per": "recording" if s.kind == "recordings" else "sequence",
            "center": [0.0] * n_channels,
            "scale": [1.0] * n_channels,
        }
    else:
        scaler = fit_scaler(s.values[train_rows], cfg.scale.method) | {"per": "global"}
    return scale_values(s, scaler, cfg.data.mask_value), scaler


def scale_values(s: SeriesSet, scaler: dict, mask_value: float) -> np.ndarray:
    """``s.values`` scaled by ``scaler`` (``prepare.json["scaler"]``: fitted statistics, or
    ``per`` recording / sequence: each by its own), padding set to ``mask_value`` and real
    steps kept off it. Stage 01 and ``predict`` of sequences scale through this one function."""
    if scaler.get("per") == "recording":
        values = scale_per_recording(s.values, s.offsets, scaler["method"])
    elif scaler.get("per") == "sequence":
        values = scale_per_sequence(s.values, s.n_recordings, s.lengths_true, scaler["method"])
    else:
        values = apply_scaler(s.values, scaler)
    real = s.real_steps()
    if real is not None:
        values[~real] = mask_value
        _keep_real_steps_unmasked(s, values, real, mask_value)
    return values


def _keep_real_steps_unmasked(s: SeriesSet, values: np.ndarray, real: np.ndarray, mask_value: float) -> None:
    """A real step equal to ``data.mask_value`` in every channel would be skipped as padding by
    the model's Masking layer: per-sequence minmax scaling puts every sequence's minimum at 0.0,
    robust scaling its median. Such steps move by 1e-6 in their first channel (in place), and a
    note says how many."""
    hit = real & (values == mask_value).all(axis=1)
    if not hit.any():
        return
    values[hit, 0] = np.float32(mask_value + 1e-6 * max(1.0, abs(mask_value)))
    note = (
        f"{int(hit.sum()):,} real timestep(s) equal to data.mask_value ({mask_value:g}) in every channel after "
        "scaling were moved by 1e-6 so that the model does not skip them as padding"
    )
    s.notes.append(note)
    say_note(note, stacklevel=3)


@dataclass
class _Splits:
    """The materialised splits: arrays for ``prepared.npz`` and what prepare.json says of them."""

    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    counts: dict[str, dict] = field(default_factory=dict)
    window_sets: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    class_weight: dict[str, float] | None = None
    notes: list[str] = field(default_factory=list)
    resampled: str = ""  # what the sampler did (resampling.resample_summary), "" when it changed nothing


def _materialise(s: SeriesSet, cfg: Config, w: Windows, w_split: np.ndarray, values: np.ndarray) -> _Splits:
    """Windows, labels, provenance per split; the training split rebalanced (only it)."""
    tokens = s.tokens
    out = _Splits(notes=list(s.notes))
    for name in SPLIT_NAMES:
        ws = w.subset(w_split == name)
        out.window_sets[name] = (ws.starts, ws.rec_index)
        X = ws.materialise(values)
        X = X.astype(np.int32) if tokens else X
        y, rec, start = ws.labels, s.rec_ids[ws.rec_index], ws.local_starts.astype(np.int64)
        before = _counts(y, s.classes)
        synthetic = np.zeros(len(y), bool)
        if name == "train":
            if len(y) == 0:
                raise DataError("no training windows: recordings too short or all windows unlabelled")
            r = rebalance(X, y, cfg.resample, len(s.classes), cfg.seed, s.classes, tokens, _padding(s, ws, cfg))
            out.notes += r.notes
            out.resampled = r.summary
            X, y, synthetic, src = r.X, r.y, r.synthetic, r.source
            rec = np.where(src >= 0, rec[np.maximum(src, 0)], "synthetic")
            start = np.where(src >= 0, start[np.maximum(src, 0)], -1)
            if r.class_weight is not None:
                out.class_weight = {s.classes[i]: v for i, v in r.class_weight.items()}
        out.counts[name] = {"before": before, "after": _counts(y, s.classes)}
        out.arrays |= {
            f"X_{name}": X,
            f"y_{name}": y.astype(np.int64),
            f"rec_{name}": np.asarray(rec).astype(str),
            f"start_{name}": start.astype(np.int64),
            f"synthetic_{name}": synthetic,
        }
    empty = [n for n in ("val", "test") if len(out.arrays[f"y_{n}"]) == 0]
    if empty:
        out.notes.append(f"split(s) {empty} have no windows")
    return out


def _classes_without_windows(
    s: SeriesSet, cfg: Config, length: int, split_of_rec: np.ndarray, splits: _Splits
) -> list[str]:
    """Classes with labelled timesteps in a split but no window there, said loudly: the split's
    own note covers classes with neither, and a class with no training window is one the model
    can never predict (bouts shorter than the label rule needs, or only in recordings shorter
    than a window)."""
    if s.kind != "recordings":  # a sequence is its own window; text labels every chunk
        return []
    steps = s.recording_class_counts()
    lost: dict[str, list[str]] = {}  # class -> the splits where it has timesteps and no window
    for name in SPLIT_NAMES:
        has_steps = steps[split_of_rec == name].sum(0) > 0
        for k, c in enumerate(s.classes):
            if has_steps[k] and not splits.counts[name]["before"][c]:
                lost.setdefault(c, []).append(name)
    by_splits: dict[tuple[str, ...], list[str]] = {}
    for c, names in lost.items():
        by_splits.setdefault(tuple(names), []).append(c)
    rule = cfg.windows.label_rule
    fix = "a shorter windows.length" + ("" if rule in ("center", "any") else " or windows.label_rule: center")
    notes = []
    for names, classes in by_splits.items():
        note = (
            f"class(es) {classes} have labelled timesteps but no window in {' / '.join(names)}: too short for "
            f"windows.label_rule '{rule}' in {length}-step windows, or only in recordings shorter than a window; "
            f"try {fix}" + ("; the model cannot learn a class with no training window" if "train" in names else "")
        )
        notes.append(note)
        warnings.warn(note, stacklevel=3)
    return notes


def _check_timeline_recording(cfg: Config, test_recordings: np.ndarray, windowed: np.ndarray) -> None:
    """``evaluate.timeline_recording`` must name a test recording with at least one window
    (``windowed``): refused here, in stage 01, not after training when stage 03 draws it. A data
    kind that draws no timeline (sequences, text, a table of cases) never reads it: the note that
    says so (:func:`lstm_helpers.unused.idle_notes`) stands, and nothing is refused."""
    name = cfg.evaluate.timeline_recording
    if name is None or not reads(cfg, "evaluate.timeline_recording") or name in set(windowed.tolist()):
        return
    shown = ", ".join(sorted(map(str, windowed))[:12]) + (" ..." if len(windowed) > 12 else "")
    why = (
        "is a test recording too short for one window"
        if name in set(test_recordings.tolist())
        else "is not a test recording of this split"
    )
    raise DataError(f"evaluate.timeline_recording = {name!r} {why}; choose one of {shown}")


def _check_augment(cfg: Config, s: SeriesSet, w: Windows) -> None:
    """``train.augment`` that cannot apply to these data: refused for token ids (text, or
    sequences with ``data.tokens``: ids have no noise, gain or time axis to warp), said for padded sequences (slicing and warping
    would move the padding into the series, so only jitter and gain apply) -- in stage 01."""
    aug = cfg.train.augment
    if s.tokens and max(aug.jitter_sigma, aug.scale_sigma, aug.slice_fraction, aug.warp_sigma) > 0:
        what = "text" if s.kind == "text" else "sequences of token ids (data.tokens)"
        raise ConfigError(
            "train.augment (jitter_sigma, scale_sigma, slice_fraction, warp_sigma) applies to real-valued "
            f"series, not to {what}: set them to 0"
        )
    if (aug.slice_fraction > 0 or aug.warp_sigma > 0) and _padding(s, w, cfg) is not None:
        warnings.warn(
            "train.augment.slice_fraction / warp_sigma are not applied to these padded sequences (they "
            "would move the padding into the series); jitter_sigma and scale_sigma are",
            UserWarning,
            stacklevel=3,
        )


def _padding(s: SeriesSet, ws: Windows, cfg: Config) -> tuple[np.ndarray, float] | None:
    """(real steps per window, mask value) when the windows are padded sequences, else None."""
    if s.kind != "sequences" or s.lengths_true is None:
        return None
    real = s.lengths_true[ws.rec_index]
    return (real, float(cfg.data.mask_value)) if (real < ws.length).any() else None


def _leakage(
    split_of_rec: np.ndarray, groups: np.ndarray, s: SeriesSet, splits: _Splits, length: int, cfg: Config
) -> dict:
    """No raw timestep and no group in two splits; synthetic windows only in train. Padded
    sequences count their real steps only. With ``split.by: recording`` the "groups" are the
    recordings, and the check says so."""
    whole = (
        "recordings in one split (split.by: recording: groups are not kept whole)"
        if cfg.split.by == "recording"
        else "groups in one split"
    )
    leakage = check_leakage(split_of_rec, groups, s.offsets, splits.window_sets, length, s.real_steps(), whole)
    syn_outside = int(sum(splits.arrays[f"synthetic_{n}"].sum() for n in ("val", "test")))
    if syn_outside:
        leakage["ok"] = False
        leakage["problems"].append(f"{syn_outside} synthetic window(s) outside the training split")
    leakage["checked"].append("resampling touched the training split only")
    return leakage


def _timeline_arrays(s: SeriesSet, split_of_rec: np.ndarray) -> dict[str, np.ndarray]:
    """Timelines of val/test recordings, for stitching predictions back later (recordings only)."""
    if s.kind != "recordings":
        return {}
    eval_recs = np.flatnonzero(np.isin(split_of_rec, ["val", "test"]))
    lens = s.lengths[eval_recs]
    labels = (
        np.concatenate([s.labels[s.offsets[r] : s.offsets[r + 1]] for r in eval_recs])
        if len(eval_recs)
        else np.zeros(0, np.int64)
    )
    return {
        "timeline_rec_ids": s.rec_ids[eval_recs].astype(str),
        "timeline_offsets": np.concatenate([[0], np.cumsum(lens)]).astype(np.int64),
        "timeline_labels": labels,
    }


def _input_info(s: SeriesSet, cfg: Config, w: Windows, values: np.ndarray) -> InputInfo:
    tokens = s.tokens
    return InputInfo(
        kind="tokens" if tokens else "real",
        data_kind=s.kind,
        window_length=int(w.length),
        n_channels=1 if tokens else int(values.shape[1]),
        step=int(w.step) if s.kind != "sequences" else None,
        channels=list(s.channels),
        vocab_size=len(s.vocabulary) if tokens else None,
        vocabulary=s.vocabulary,
        masked=bool(s.kind == "sequences" and (s.lengths_true < w.length).any()),
        mask_value=0.0 if tokens else float(cfg.data.mask_value),  # token padding is id 0 (mask_zero)
        sample_rate_hz=s.sample_rate_hz,
        source=str(cfg.data.path),
    )


def _prepare_json(cfg: Config, s: SeriesSet, inp: InputInfo, splits: _Splits, extra: dict) -> dict:
    """The ``prepare.json`` content; ``extra`` holds windows info, split report, groups,
    scaler, leakage and timing."""
    binary = len(s.classes) == 2
    counts = splits.counts
    return {
        "parameters": cfg.to_dict(),
        "classes": s.classes,
        "classes_of_interest": [c for c in cfg.data.classes_of_interest if c in s.classes],
        "positive_class": s.classes[1] if binary else None,  # order_classes puts the class of interest at 1
        "positive_index": 1 if binary else None,
        # each class's labelled timesteps: the rarity a window's tie goes by (predict labels new recordings alike)
        "class_timesteps": dict(
            zip(s.classes, np.bincount(s.labels[s.labels >= 0], minlength=len(s.classes)).tolist(), strict=True)
        ),
        "input": inp.to_dict(),
        "counts": counts,
        "windows": {n: int(len(splits.arrays[f"y_{n}"])) for n in SPLIT_NAMES} | extra["windows"],
        "groups": extra["groups"],
        "splits_recordings": extra["splits_recordings"],
        "split": extra["split"],
        "scaler": extra["scaler"],
        "class_weight": splits.class_weight,
        "resample": {
            "method": cfg.resample.method,
            "imbalance_factor_target": cfg.resample.imbalance_factor,
            "synthetic_windows": int(splits.arrays["synthetic_train"].sum()),
            "summary": splits.resampled,  # one line; stage 01's terminal prints it
        },
        "imbalance_factor_measured": {
            "train_before": _ratio(counts["train"]["before"]),
            "train_after": _ratio(counts["train"]["after"]),
            "val": _ratio(counts["val"]["before"]),
            "test": _ratio(counts["test"]["before"]),
        },
        "leakage": extra["leakage"],
        "tokens": extra["tokens"],  # data.tokens: how file ids map to model ids (data/tokens.py)
        "notes": splits.notes,
        "seconds": extra["seconds"],
    }


def run_prepare(cfg: Config, run_dir: str | Path) -> PreparedData:
    """Run stage 01 and write ``prepared.npz`` + ``prepare.json`` (and ``params.yaml``, ``cfg``)
    into ``run_dir``; a run refused by a check of the data is left as it was.

    Returns the checked :class:`~lstm_helpers.data.prepared.PreparedData` of what was
    written: ``meta`` is the ``prepare.json`` content, ``arrays`` the ``prepared.npz`` arrays.
    """
    t0 = time.perf_counter()
    layout = RunLayout(Path(run_dir))
    s = read_dataset(cfg.data)
    for note in interest_note(s.classes, cfg.data):  # several classes of interest: which one the run follows
        s.notes.append(note)
        say_note(note, stacklevel=2)
    split_of_rec, split_report, groups = _split_recordings(s, cfg)  # 1. split recordings
    token_info, n_chars = None, len(s.vocabulary or []) - 2  # a text's characters before the cut
    if s.kind == "text":  # the vocabulary from the training chunks only
        s = keep_training_vocabulary(s, split_of_rec == "train", cfg.data.vocab_size)
    elif s.tokens:  # token ids of sequences: the training cases' ids, others out of vocabulary
        s, token_info = keep_training_tokens(s, split_of_rec)
    w, win_info = build_windows(s, cfg)  # 2. windows (index arrays only)
    check_interest_trained(s, cfg, split_of_rec, w.labels[split_of_rec[w.rec_index] == "train"])
    _check_augment(cfg, s, w)
    test_recs = np.unique(w.rec_index[split_of_rec[w.rec_index] == "test"])
    _check_timeline_recording(cfg, s.rec_ids[split_of_rec == "test"], s.rec_ids[test_recs])
    values, scaler = _scaled_values(s, cfg, split_of_rec)  # 3. scaler fitted on training timesteps only
    splits = _materialise(s, cfg, w, split_of_rec[w.rec_index], values)  # 4. rebalance train only
    splits.notes += _classes_without_windows(s, cfg, w.length, split_of_rec, splits)
    splits.notes += [split_report[k] for k in ("moved", "groups_spread") if split_report[k]]
    splits.notes += gap_notes(win_info, cfg.data.time_column)
    if s.kind == "text":  # a data.vocab_size that leaves many targets <unk>
        splits.notes += unknown_targets_note(s, splits.arrays["y_train"], n_chars, cfg.data.vocab_size)
    leakage = _leakage(split_of_rec, groups, s, splits, w.length, cfg)  # 5. leakage check
    arrays = splits.arrays | _timeline_arrays(s, split_of_rec)  # 6. timelines of val/test
    arrays["scaler_center"] = np.asarray(scaler["center"], dtype=np.float64)
    arrays["scaler_scale"] = np.asarray(scaler["scale"], dtype=np.float64)
    extra = {
        "windows": win_info,
        "groups": {n: sorted(set(np.asarray(groups)[split_of_rec == n].tolist())) for n in SPLIT_NAMES},
        "splits_recordings": {n: s.rec_ids[split_of_rec == n].tolist() for n in SPLIT_NAMES},
        "split": split_report,
        "scaler": scaler,
        "leakage": leakage,
        "tokens": token_info,
        "seconds": round(time.perf_counter() - t0, 3),
    }
    info = _prepare_json(cfg, s, _input_info(s, cfg, w, values), splits, extra)
    # every check passed: only now params.yaml and the later stages' outputs change (a resumed run's stage 01 gives
    # the same windows: its later outputs are kept)
    clear_later_stages(layout, cfg, same_preparation(layout, arrays, info))
    save_npz(layout.prepared, arrays)
    write_json(layout.prepare_json, info)
    record_notebook_stage(layout.root, cfg, "prepare")  # (a notebook run by hand; the pipeline keeps its own)
    return PreparedData.from_parts(info, arrays, layout.prepared)


def _ratio(counts: dict[str, int]) -> float | None:
    v = [n for n in counts.values() if n > 0]
    return round(max(v) / min(v), 3) if len(v) > 1 else None
