"""Label new recordings with a finished run: same columns, scaler, windows and threshold.

Refuses input whose channels or sample rate differ from the run's before predicting
anything. Writes per-timestep probabilities and labels, per-window probabilities and the
predicted bouts of each class of interest (CSV or Parquet, by the output's suffix).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lstm_helpers.artifacts import check_model_file, read_json, read_params, write_table
from lstm_helpers.config import resolve_config
from lstm_helpers.data.inputs import missing_path_error
from lstm_helpers.data.prepared import InputInfo, read_prepare_json
from lstm_helpers.data.recordings import DataError, _list_files, read_recordings
from lstm_helpers.data.resampling import apply_scaler, scale_per_recording
from lstm_helpers.data.windows import window_starts, window_view


def _columns(path: Path, data_cfg) -> list[str]:
    """Column names of a CSV / Parquet file, from its header only (checked: kind, encoding, duplicates)."""
    from lstm_helpers.data.recordings import table_columns

    return table_columns(path, data_cfg)


def check_channels(run_info: dict, cfg, input_path: Path) -> None:
    """Refuse input that lacks any channel the run's model was trained on."""
    want = list(run_info["input"]["channels"])
    for f in _list_files(input_path, cfg.data.format):
        cols = _columns(f, cfg.data)
        missing = [c for c in want if c not in cols]
        if missing:
            raise DataError(f"{f}: channels {missing} of the run are missing; the model was trained on "
                            f"channels {want} (columns present: {cols})")


def _sample_rate_of(df_time: np.ndarray, offsets: np.ndarray) -> float | None:
    dt = np.diff(df_time)
    same = np.ones(len(dt), bool)
    same[offsets[1:-1] - 1] = False  # ignore jumps between recordings
    dt = dt[same]
    return float(1.0 / np.median(dt)) if len(dt) and np.median(dt) > 0 else None


def predict_recordings(run: Path, input_path: Path, out: Path | None = None, batch_size: int = 1024) -> dict:
    """Predict every window of the recordings at ``input_path`` with the model of ``run``."""
    run = Path(run).resolve()
    for need in ("params.yaml", "prepare.json", "model.keras"):
        if not (run / need).is_file():
            raise FileNotFoundError(f"{run} is not a finished run: {need} is missing")
    check_model_file(run / "model.keras")  # a broken or foreign model file is refused before TF loads
    cfg = resolve_config(read_params(run))
    if cfg.data.kind != "recordings":
        raise DataError(f"predict labels recordings; this run was trained on data.kind={cfg.data.kind!r}")
    info = read_prepare_json(run)
    inp = InputInfo.from_dict(info["input"])
    metrics = read_json(run / "metrics.json") if (run / "metrics.json").is_file() else {}
    input_path = Path(input_path)
    if not input_path.exists():
        raise missing_path_error(input_path, "--input")
    check_channels(info, cfg, input_path)
    data_cfg = cfg.data.model_copy(update={"demo": False, "split_column": None})
    s = read_recordings(data_cfg, input_path, require_labels=False, classes=info["classes"])
    rate = inp.sample_rate_hz
    if rate and s.times is not None:
        got = _sample_rate_of(s.times, s.offsets)
        if got is not None and abs(got - rate) / rate > 0.02:
            raise DataError(f"{input_path}: sample rate {got:.3g} Hz (from column {cfg.data.time_column!r}) "
                            f"does not match the run's {rate:g} Hz; resample the input first")
    length, step = int(inp.window_length or 0), int(inp.step or 0)
    if info["scaler"].get("per") == "recording":
        values = scale_per_recording(s.values, s.offsets, info["scaler"]["method"])
    else:
        values = apply_scaler(s.values, info["scaler"])
    starts, rec = window_starts(s.offsets, length, step)
    if len(starts) == 0:
        raise DataError(f"{input_path}: every recording is shorter than one window ({length} timesteps)")
    from lstm_helpers.judge.evaluation import find_bouts, predict_labels, stitch_timeline
    from lstm_helpers.model.models import load_trained_model

    model = load_trained_model(run / "model.keras")  # after the input is validated: TF starts only now
    view = window_view(values, length)
    probs = np.concatenate([model.predict(view[starts[i:i + batch_size]], verbose=0)
                            for i in range(0, len(starts), batch_size)])
    classes = info["classes"]
    binary = probs.shape[1] == 1
    if binary:
        probs = np.column_stack([1 - probs[:, 0], probs[:, 0]])
    threshold = metrics.get("threshold")
    interest = info.get("classes_of_interest") or []
    pos = classes.index(interest[0]) if interest else (1 if binary else None)
    local = starts - s.offsets[rec]
    rec_ids = s.rec_ids[rec]
    lengths = dict(zip(s.rec_ids, s.lengths.tolist(), strict=True))
    timeline = stitch_timeline(probs, rec_ids, local, length, lengths)
    out = Path(out) if out else input_path.with_name(input_path.stem + ".predictions.csv")
    step_frames, bout_rows = [], []
    for r in s.rec_ids:
        p = timeline[r]
        covered = ~np.isnan(p).any(axis=1)
        lab = np.full(len(p), "", dtype=object)
        if covered.any():
            scores = p[covered]
            if binary:
                idx = predict_labels(scores[:, 1], threshold if threshold is not None else 0.5, 1)
            elif threshold is not None and pos is not None:
                idx = predict_labels(scores, threshold, pos)
            else:
                idx = np.argmax(scores, axis=1)
            lab[covered] = np.asarray(classes)[idx]
        frame = pd.DataFrame({cfg.data.recording_column: r, "timestep": np.arange(len(p))})
        if rate:
            frame["time_s"] = frame["timestep"] / rate
        for k, c in enumerate(classes):
            frame[f"p_{c}"] = p[:, k]
        frame["predicted"] = lab
        step_frames.append(frame)
        for c in interest:
            for a, b in find_bouts(lab == c):
                bout_rows.append({cfg.data.recording_column: r, "class": c, "start": int(a), "end": int(b),
                                  "start_s": a / rate if rate else None, "end_s": b / rate if rate else None,
                                  "mean_p": float(np.nanmean(p[a:b, classes.index(c)]))})
    per_step = pd.concat(step_frames, ignore_index=True)
    win = pd.DataFrame({cfg.data.recording_column: rec_ids, "start": local})
    for k, c in enumerate(classes):
        win[f"p_{c}"] = probs[:, k]
    bouts = pd.DataFrame(bout_rows, columns=[cfg.data.recording_column, "class", "start", "end", "start_s",
                                             "end_s", "mean_p"])
    suffix = out.suffix if out.suffix.lower() in (".csv", ".parquet", ".pq") else ".csv"
    base = out.with_suffix("")
    paths = {
        "timesteps": write_table(out if out.suffix else out.with_suffix(".csv"), per_step),
        "windows": write_table(base.with_name(base.name + ".windows" + suffix), win),
        "bouts": write_table(base.with_name(base.name + ".bouts" + suffix), bouts),
    }
    return {**paths, "threshold": threshold, "n_windows": len(starts), "n_bouts": len(bouts)}
