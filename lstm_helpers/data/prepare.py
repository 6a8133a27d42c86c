"""Stage 01: validate -> split by group -> window -> scale (fit on train) -> rebalance train.

Writes ``prepared.npz`` (no pickles) and ``prepare.json`` into the run directory. The order
is the point: splits happen before windows so overlapping windows of one recording can never
sit on both sides; the scaler sees training timesteps only; resampling touches training
windows only; and a leakage check proves it on every run.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from lstm_helpers.artifacts import save_npz, write_json
from lstm_helpers.config import Config
from lstm_helpers.data.recordings import SPLIT_NAMES, DataError, SeriesSet, read_dataset
from lstm_helpers.data.resampling import (
    apply_scaler,
    fit_scaler,
    rebalance,
    scale_per_recording,
    scale_per_sequence,
)
from lstm_helpers.data.splits import check_leakage, split_groups
from lstm_helpers.data.windows import (
    Windows,
    count_windows,
    label_windows,
    window_starts,
    window_step,
)


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
    return Windows(s.offsets[:-1].copy(), rec, np.zeros(s.n_recordings, np.int64),
                   s.case_labels.astype(np.int64), t, t)


def build_windows(s: SeriesSet, cfg: Config) -> tuple[Windows, dict]:
    """Windows of every recording, with counts of what was skipped or dropped."""
    info: dict = {}
    if s.kind == "sequences":
        return _sequence_windows(s), info
    length = cfg.window_length
    if s.kind == "text":
        w = _text_windows(s, length, cfg.windows.overlap_percent)
        if len(w) == 0:
            raise DataError(f"text chunks are shorter than windows.length={length}")
        return w, info
    step = window_step(length, cfg.windows.overlap_percent)
    n_per_rec = count_windows(s.lengths, length, step)
    short = n_per_rec == 0
    info["recordings_too_short"] = int(short.sum())
    info["recordings_too_short_ids"] = s.rec_ids[short].tolist()[:20]
    if short.all():
        raise DataError(
            f"all {s.n_recordings} recordings are shorter than one window (windows.length={length} "
            f"timesteps; longest recording {int(s.lengths.max())}); shorten the window"
        )
    if short.any():
        warnings.warn(f"{int(short.sum())} recording(s) shorter than one window ({length} steps) "
                      f"were skipped", stacklevel=2)
    starts, rec = window_starts(s.offsets, length, step)
    coi = [s.classes.index(c) for c in cfg.data.classes_of_interest]
    lab = label_windows(s.labels, starts, length, len(s.classes), cfg.windows.label_rule,
                        cfg.windows.min_fraction, coi, cfg.windows.unlabelled,
                        cfg.windows.max_unlabelled_fraction)
    info["windows_total"] = int(len(starts))
    info["windows_dropped_unlabelled"] = int((lab < 0).sum())
    keep = lab >= 0
    return Windows(starts[keep], rec[keep], (starts - s.offsets[rec])[keep], lab[keep], length, step), info


def _counts(y: np.ndarray, classes: list[str]) -> dict[str, int]:
    c = np.bincount(y, minlength=len(classes)) if len(y) else np.zeros(len(classes), int)
    return {cls: int(n) for cls, n in zip(classes, c, strict=True)}


def run_prepare(cfg: Config, run_dir: str | Path) -> dict:
    """Run stage 01 and write ``prepared.npz`` + ``prepare.json`` into ``run_dir``.

    Returns the prepare.json content plus a few in-memory extras (``_arrays``) for the
    notebook's figures.
    """
    t0 = time.perf_counter()
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    s = read_dataset(cfg.data)
    K = len(s.classes)

    # 1. split recordings (by group) before any window exists
    rec_counts = s.recording_class_counts() if s.kind != "text" else np.ones((s.n_recordings, 1))
    groups = s.groups if cfg.split.by == "group" else s.rec_ids
    split_of_rec, split_report = split_groups(
        groups, rec_counts, cfg.split.val_fraction, cfg.split.test_fraction, cfg.seed,
        cfg.split.stratify, cfg.split.attempts, s.predefined_split, cfg.split.min_val_groups,
    )
    if split_report["classes_missing"]:
        missing = {k: [s.classes[i] for i in v] for k, v in split_report["classes_missing"].items()}
        split_report["classes_missing"] = missing
        split_report["note"] = "the data do not allow every class in every split: " + "; ".join(
            f"{k} has no {v}" for k, v in missing.items())
        warnings.warn(split_report["note"], stacklevel=2)

    # 2. windows (index arrays only; contents are views until materialised)
    w, win_info = build_windows(s, cfg)
    w_split = split_of_rec[w.rec_index]

    # 3. scaler fitted on training timesteps only
    tokens = s.kind == "text"
    if tokens:
        scaler = {"method": "none", "center": [0.0], "scale": [1.0]}
        values = s.values
    else:
        rec_of_step = np.repeat(np.arange(s.n_recordings), s.lengths)
        train_rows = split_of_rec[rec_of_step] == "train"
        if s.kind == "sequences":
            pos = np.arange(len(rec_of_step)) - s.offsets[rec_of_step]
            real = pos < s.lengths_true[rec_of_step]
            train_rows &= real
        if not train_rows.any():
            raise DataError("the training split holds no timesteps; check split fractions / predefined split")
        if cfg.scale.per == "recording":  # sequences: each sequence by its own real steps
            scaler = {"method": cfg.scale.method, "per": "recording" if s.kind == "recordings" else "sequence",
                      "center": [0.0] * s.values.shape[1], "scale": [1.0] * s.values.shape[1]}
            values = (scale_per_recording(s.values, s.offsets, cfg.scale.method) if s.kind == "recordings"
                      else scale_per_sequence(s.values, s.n_recordings, s.lengths_true, cfg.scale.method))
        else:
            scaler = fit_scaler(s.values[train_rows], cfg.scale.method) | {"per": "global"}
            values = apply_scaler(s.values, scaler)
        if s.kind == "sequences":
            values[~real] = cfg.data.mask_value

    # 4. materialise per split, rebalance the training split only
    arrays: dict[str, np.ndarray] = {}
    counts: dict[str, dict] = {}
    window_sets = {}
    class_weight = None
    notes = list(s.notes)
    for name in SPLIT_NAMES:
        ws = w.subset(w_split == name)
        window_sets[name] = (ws.starts, ws.rec_index)
        X = ws.materialise(values)
        if tokens:
            X = X.astype(np.int32)
        y = ws.labels
        rec = s.rec_ids[ws.rec_index]
        start = ws.local_starts.astype(np.int64)
        before = _counts(y, s.classes)
        synthetic = np.zeros(len(y), bool)
        if name == "train":
            if len(y) == 0:
                raise DataError("no training windows: recordings too short or all windows unlabelled")
            r = rebalance(X, y, cfg.resample, K, cfg.seed, s.classes, tokens=tokens)
            notes += r.notes
            X, y, synthetic = r.X, r.y, r.synthetic
            src = r.source
            rec = np.where(src >= 0, rec[np.maximum(src, 0)], "synthetic")
            start = np.where(src >= 0, start[np.maximum(src, 0)], -1)
            if r.class_weight is not None:
                class_weight = {s.classes[i]: v for i, v in r.class_weight.items()}
        counts[name] = {"before": before, "after": _counts(y, s.classes)}
        arrays[f"X_{name}"] = X
        arrays[f"y_{name}"] = y.astype(np.int64)
        arrays[f"rec_{name}"] = np.asarray(rec).astype(str)
        arrays[f"start_{name}"] = start.astype(np.int64)
        arrays[f"synthetic_{name}"] = synthetic
    empty = [n for n in ("val", "test") if len(arrays[f"y_{n}"]) == 0]
    if empty:
        notes.append(f"split(s) {empty} have no windows")

    # 5. leakage check (no raw timestep, no group in two splits; synthetic only in train)
    leakage = check_leakage(split_of_rec, groups, s.offsets, window_sets, w.length)
    syn_outside = int(sum(arrays[f"synthetic_{n}"].sum() for n in ("val", "test")))
    if syn_outside:
        leakage["ok"] = False
        leakage["problems"].append(f"{syn_outside} synthetic window(s) outside the training split")
    leakage["checked"].append("resampling touched the training split only")

    # 6. timelines of val/test recordings, for stitching predictions back later
    if s.kind == "recordings":
        eval_recs = np.flatnonzero(np.isin(split_of_rec, ["val", "test"]))
        lens = s.lengths[eval_recs]
        arrays["timeline_rec_ids"] = s.rec_ids[eval_recs].astype(str)
        arrays["timeline_offsets"] = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
        arrays["timeline_labels"] = (np.concatenate([s.labels[s.offsets[r]:s.offsets[r + 1]] for r in eval_recs])
                                     if len(eval_recs) else np.zeros(0, np.int64))
    arrays["scaler_center"] = np.asarray(scaler["center"], dtype=np.float64)
    arrays["scaler_scale"] = np.asarray(scaler["scale"], dtype=np.float64)

    binary = K == 2
    positive = s.classes[1] if binary else None  # order_classes puts the class of interest at 1
    groups_by_split = {n: sorted(set(np.asarray(groups)[split_of_rec == n].tolist())) for n in SPLIT_NAMES}
    recs_by_split = {n: s.rec_ids[split_of_rec == n].tolist() for n in SPLIT_NAMES}
    info = {
        "parameters": cfg.to_dict(),
        "classes": s.classes,
        "classes_of_interest": [c for c in cfg.data.classes_of_interest if c in s.classes],
        "positive_class": positive,
        "positive_index": 1 if binary else None,
        "input": {
            "kind": "tokens" if tokens else "real",
            "data_kind": s.kind,
            "window_length": int(w.length),
            "step": int(w.step) if s.kind != "sequences" else None,
            "n_channels": 1 if tokens else int(values.shape[1]),
            "channels": s.channels,
            "vocab_size": len(s.vocabulary) if tokens else None,
            "vocabulary": s.vocabulary,
            "masked": bool(s.kind == "sequences" and (s.lengths_true < w.length).any()),
            "mask_value": float(cfg.data.mask_value),
            "sample_rate_hz": s.sample_rate_hz,
            "source": str(cfg.data.path),
        },
        "counts": counts,
        "windows": {n: int(len(arrays[f"y_{n}"])) for n in SPLIT_NAMES} | win_info,
        "groups": groups_by_split,
        "splits_recordings": recs_by_split,
        "split": split_report,
        "scaler": scaler,
        "class_weight": class_weight,
        "resample": {"method": cfg.resample.method, "imbalance_factor_target": cfg.resample.imbalance_factor,
                     "synthetic_windows": int(arrays["synthetic_train"].sum())},
        "imbalance_factor_measured": {
            "train_before": _ratio(counts["train"]["before"]),
            "train_after": _ratio(counts["train"]["after"]),
            "val": _ratio(counts["val"]["before"]),
            "test": _ratio(counts["test"]["before"]),
        },
        "leakage": leakage,
        "notes": notes,
        "seconds": round(time.perf_counter() - t0, 3),
    }
    save_npz(run_dir / "prepared.npz", arrays)
    write_json(run_dir / "prepare.json", info)
    return info | {"_arrays": arrays}


def _ratio(counts: dict[str, int]) -> float | None:
    v = [n for n in counts.values() if n > 0]
    return round(max(v) / min(v), 3) if len(v) > 1 else None


def split_table(info: dict) -> pd.DataFrame:
    """One row per split: recordings, groups, windows per class before/after resampling."""
    rows = []
    for n in SPLIT_NAMES:
        row = {"split": n, "groups": len(info["groups"][n]), "recordings": len(info["splits_recordings"][n])}
        for cls, v in info["counts"][n]["before"].items():
            row[f"{cls} (before)"] = v
        for cls, v in info["counts"][n]["after"].items():
            row[f"{cls} (after)"] = v
        rows.append(row)
    return pd.DataFrame(rows).set_index("split")


def summary_table(info: dict) -> pd.DataFrame:
    """Key facts of a prepare run as a two-column table (for the notebook and the report)."""
    inp = info["input"]
    p = info["parameters"]
    facts = {
        "data": f"{inp['data_kind']} from {inp['source']}",
        "classes": ", ".join(info["classes"]) if len(info["classes"]) <= 12 else f"{len(info['classes'])} classes",
        "window": f"{inp['window_length']} steps"
        + (f" ({inp['window_length'] / inp['sample_rate_hz']:.2f} s)" if inp.get("sample_rate_hz") else "")
        + (f", step {inp['step']} ({p['windows']['overlap_percent']:g}% overlap)" if inp.get("step") else ""),
        "label rule": p["windows"]["label_rule"],
        "windows train / val / test": " / ".join(str(info["windows"][n]) for n in SPLIT_NAMES),
        "split": f"{info['split']['method']} ({p['split']['by']})",
        "resampling": f"{info['resample']['method']} (target factor {info['resample']['imbalance_factor_target']:g})",
        "imbalance train before -> after": f"{info['imbalance_factor_measured']['train_before']} -> "
        f"{info['imbalance_factor_measured']['train_after']}",
        "synthetic training windows": info["resample"]["synthetic_windows"],
        "scaler": info["scaler"]["method"] + (f" per {info['scaler']['per']} (own statistics, label-free)"
                                              if info["scaler"].get("per") in ("recording", "sequence")
                                              else " (fitted on training timesteps)"),
        "leakage check": "passed" if info["leakage"]["ok"] else "FAILED: " + "; ".join(info["leakage"]["problems"]),
    }
    if info["windows"].get("recordings_too_short"):
        facts["recordings skipped (shorter than a window)"] = info["windows"]["recordings_too_short"]
    if info.get("notes"):
        facts["notes"] = "; ".join(info["notes"])
    if info["split"].get("note"):
        facts["split note"] = info["split"]["note"]
    return pd.DataFrame({"value": [str(v) for v in facts.values()]}, index=list(facts))


def leakage_table(info: dict) -> pd.DataFrame:
    """The leakage check as a table: each check and whether it passed."""
    leak = info["leakage"]
    rows = [{"check": c, "result": "passed" if leak["ok"] else "see problems"} for c in leak["checked"]]
    rows += [{"check": "problem", "result": p} for p in leak["problems"]]
    rows += [{"check": f"timesteps covered by {k} windows", "result": v} for k, v in leak["timesteps_covered"].items()]
    return pd.DataFrame(rows).set_index("check")
