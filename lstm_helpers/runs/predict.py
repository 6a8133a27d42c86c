"""Label new recordings with a finished run: same columns, scaler, windows and decision rule.

(Runs trained on pre-segmented sequences: :mod:`lstm_helpers.runs.predict_sequences`, one row
per case; :func:`predict_run` chooses. Character runs write text: ``lstm-workbench generate``.)

Refuses input whose channels or sample rate differ from the run's before predicting
anything. Writes per-timestep probabilities and labels, per-window probabilities and the
predicted bouts of each class of interest (CSV or Parquet, by the output's suffix); where
the new recordings carry the run's label column, their true labels beside the predicted ones
and stage 03's scores of them (:mod:`lstm_helpers.runs.predict_scores`). The
model is loaded, run and decided on exactly as the evaluation stage does
(:func:`~lstm_helpers.model.models.load_trained_model`,
:func:`~lstm_helpers.judge.probs.predict_probs`,
:class:`~lstm_helpers.judge.threshold.DecisionRule` from the run's ``threshold.json``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from lstm_helpers.artifacts import check_model_file, is_finished, read_params, shown, write_json, write_table
from lstm_helpers.config import Config, ConfigError, DataConfig, resolve_config
from lstm_helpers.data.files import list_files
from lstm_helpers.data.gaps import across_gaps, gap_notes
from lstm_helpers.data.inputs import (
    COMPRESSED,
    ENCODING_KEY,
    is_delimited,
    missing_path_error,
    separator_hint,
    short,
    time_unit_hint,
)
from lstm_helpers.data.prepare import scale_values
from lstm_helpers.data.prepared import InputInfo, read_prepare_json
from lstm_helpers.data.recordings import DataError, SeriesSet, read_recordings
from lstm_helpers.data.tables import NEW_RECORDING, read_new_step_rows
from lstm_helpers.data.windows import window_starts, window_view
from lstm_helpers.judge.bouts import find_bouts, stitch_timeline
from lstm_helpers.judge.inference import DEFAULT_BATCH
from lstm_helpers.judge.probs import full_probs, predict_probs
from lstm_helpers.judge.threshold import DecisionRule
from lstm_helpers.judge.time_budget import budget_line, time_budget
from lstm_helpers.layout import RunLayout
from lstm_helpers.runs.kernel import quiet_tensorflow_import
from lstm_helpers.runs.predict_scores import (
    NewLabels,
    overlaps_true_bout,
    raw_label_reading,
    run_labels,
    score_lines,
    score_predictions,
    seen_by_run,
    seen_note,
    true_names,
    window_truth,
)
from lstm_helpers.runs.terminal import plural


@dataclass(frozen=True)
class FinishedRun:
    """What predicting with a run needs: its layout, parameters, prepare facts and decision rule."""

    layout: RunLayout
    cfg: Config
    info: dict[str, Any]
    rule: DecisionRule

    @property
    def classes(self) -> list[str]:
        return list(self.info["classes"])

    @property
    def input(self) -> InputInfo:
        """``prepare.json["input"]``, typed: window length, step, sample rate, channels."""
        return InputInfo.from_dict(self.info["input"])

    @property
    def table_in_blocks(self) -> bool:
        """Trained on a table of time steps without a recording column (cut into blocks to split)."""
        return self.cfg.data.kind == "table" and self.cfg.data.recording_column is None

    @property
    def recording_column(self) -> str:
        """The output tables' recording column: the run's, or ``recording`` (one per input file)
        for a table without one."""
        return self.cfg.data.recording_column or NEW_RECORDING


def _columns(path: Path, data_cfg: Any) -> list[str]:
    """Column names of a CSV / Parquet file, from its header only (checked: kind, encoding, duplicates)."""
    from lstm_helpers.data.recordings import table_columns

    return table_columns(path, data_cfg)


def check_channels(run_info: dict, cfg: Config, input_path: Path) -> list[list[str]]:
    """Refuse input that lacks any channel the run's model was trained on; each file's columns."""
    want = list(run_info["input"]["channels"])
    columns = []
    for f in list_files(input_path, cfg.data.format, "--input"):
        cols = _columns(f, cfg.data)
        missing = [c for c in want if c not in cols]
        if missing:
            raise DataError(
                f"{f}: channels {missing} of the run are missing; the model was trained on "
                f"channels {want} (columns present: {short(cols, 600)})"
                + separator_hint(cols, cfg.data.sep, settable=False)
            )
        columns.append(cols)
    return columns


def _sample_rate_of(df_time: np.ndarray, offsets: np.ndarray) -> float | None:
    dt = np.diff(df_time)
    same = np.ones(len(dt), bool)
    same[offsets[1:-1] - 1] = False  # ignore jumps between recordings
    dt = dt[same]
    return float(1.0 / np.median(dt)) if len(dt) and np.median(dt) > 0 else None


def _refuse_kind(cfg: Config, shown_run: str) -> None:
    """predict labels recordings (or a table of one row per time step), and pre-segmented
    sequences (``data.kind: sequences``, or a table of one row per sample); a character run
    writes text instead."""
    if cfg.data.kind == "text":
        raise DataError(
            f"{shown_run} is a character run (data.kind='text'): it predicts the next character, not a "
            f'label; write text with it: lstm-workbench generate --run {shown_run} --prime "Some text" --length 200'
        )


def _refuse_unfinished(layout: RunLayout, d: str) -> None:
    """A run whose ``status.json`` is not ``finished`` is refused, saying what to run. The status
    is the run's record of its stages (the command line's and each notebook's own,
    :func:`~lstm_helpers.artifacts.record_notebook_stage`): stage 02 run again by hand after 03
    marks the run partial, while 03's ``metrics.json`` and ``threshold.json`` stay, of the model
    before; predict applied that model's decision rule to the new one. File times are not used:
    a copied run's are the copy's. A run without ``status.json`` or ``stages_done`` (made before
    they were written) is judged by its files, as before."""
    from lstm_helpers.layout import STAGE_NOTEBOOKS
    from lstm_helpers.runs.pipeline import resume_command, run_status

    if not layout.status.is_file():
        return
    st = run_status(layout.root)
    status, stage = st.get("status"), st.get("stage") or "?"
    if status in ("finished", "unknown", None):  # a status.json without a status (hand-made): its files decide
        return
    if status == "running":
        raise ConfigError(
            f"{d} is not a finished run: it is running (stage {stage}); predict with it once it has finished"
        )
    if status != "partial":  # failed, interrupted, or a status this version does not know
        why = f" ({st['reason']})" if st.get("reason") else ""
        raise ConfigError(
            f"{d} is not a finished run: its last attempt {status} in stage {stage}{why}; "
            f"run it to the end: {resume_command(layout.root)}"
        )
    stages, done = list(STAGE_NOTEBOOKS), list(st.get("stages_done") or [])
    # a stage run again drops the later ones from stages_done: 'evaluate' there means stage 03 ran
    # on the current model (earlier stages made by hand may be unrecorded); no record: its files decide
    if "stages_done" not in st or "evaluate" in done:
        return
    last = max((stages.index(s) for s in done if s in stages), default=-1)
    todo = stages[last + 1 :]
    left = [p.name for p in (layout.metrics, layout.threshold) if p.is_file()]
    old = f" (its {' and '.join(left)} are from the model before)" if left and "train" in done else ""
    what = {"prepare": "parameters", "train": "windows", "evaluate": "model"}[todo[0]]
    do = (
        f"run it: {', then '.join(f'lstm-workbench {s} --run {d}' for s in todo)}"
        if todo[0] != "prepare"
        else f"run it again: {resume_command(layout.root)}"
    )
    raise ConfigError(
        f"{d} is not a finished run: stage {stages.index(todo[0]) + 1:02d} ({todo[0]}) has not run on its "
        f"current {what}{old}; {do}"
    )


def open_finished_run(run: str | Path) -> FinishedRun:
    """The run's parameters, ``prepare.json`` and decision rule; refuses unfinished runs, and runs
    that predict cannot label new data with (character runs)."""
    layout, d = RunLayout(Path(run).resolve()), shown(run)
    for need in (layout.params, layout.prepare_json, layout.model):
        if not need.is_file():
            raise ConfigError(f"{d} is not a finished run: {need.name} is missing")
    check_model_file(layout.model)  # a broken or foreign model file is refused before TF loads
    _refuse_unfinished(layout, d)
    if not layout.metrics.is_file():  # no stage 03: no threshold chosen on validation (0.5 would be used)
        todo = (
            f"make a new run: lstm-workbench run --config {d}/{layout.params.name}"
            if is_finished(layout.root)  # its metrics.json was removed; a finished run is not rewritten
            else f"evaluate it first: lstm-workbench evaluate --run {d}"
        )
        raise ConfigError(
            f"{d} is not a finished run: {layout.metrics.name} is missing, so no decision threshold "
            f"was chosen on validation; {todo}"
        )
    cfg = resolve_config(read_params(layout.root))
    _refuse_kind(cfg, d)
    info = read_prepare_json(layout.root)
    rule = DecisionRule.from_run(list(info["classes"]), info.get("positive_index"), layout.threshold)
    return FinishedRun(layout, cfg, info, rule)


def as_finished_run(run: Path | FinishedRun) -> FinishedRun:
    """``run`` as :func:`open_finished_run` gives it (opened here when it is a directory)."""
    return run if isinstance(run, FinishedRun) else open_finished_run(run)


def read_new_recordings(run: FinishedRun, input_path: Path) -> tuple[SeriesSet, np.ndarray, NewLabels]:
    """The recordings at ``input_path`` checked against the run and scaled as in training, and
    what their label column held: its labels mapped onto the run's classes as stage 01 maps
    them (:func:`~lstm_helpers.runs.predict_scores.run_labels`; -1 where unlabelled or unknown)."""
    if not input_path.exists():
        raise missing_path_error(input_path, "--input")
    columns = check_channels(run.info, run.cfg, input_path)
    # groups only steer splits: new recordings need not carry the group column; and without
    # the time column in any file, rows are read in order at the run's sample rate (checked
    # below against the run's, with advice for new data, instead of the reader's own check)
    update: dict[str, Any] = {"demo": False, "split_column": None, "group_column": None, "sample_rate_hz": None}
    time_col = run.cfg.data.time_column
    if time_col and not any(time_col in cols for cols in columns):
        update["time_column"] = None
    data_cfg = raw_label_reading(run.cfg.data.model_copy(update=update))  # labels as written, mapped below
    # the run's data.nan_policy applies (predict has no --set): a NaN under 'error' is the file's to fix
    fix = (
        "this run's data.nan_policy is 'error': fill the gaps in the file, or predict with a run trained "
        "with data.nan_policy interpolate or drop (its predict then fills or skips them the same way)"
    )
    if run.table_in_blocks:  # each file one series
        s = read_new_step_rows(data_cfg, input_path, None, fix)
    else:
        s = read_recordings(data_cfg, input_path, require_labels=False, nan_fix=fix, settable=False)
    rate = run.input.sample_rate_hz
    if rate and s.times is not None:
        got = _sample_rate_of(s.times, s.offsets)
        if got is not None and abs(got - rate) / rate > 0.02:
            time_col = run.cfg.data.time_column
            raise DataError(
                f"{input_path}: sample rate {got:.3g} Hz (from column {time_col!r}) does not match the "
                f"run's {rate:g} Hz; {time_unit_hint(got, rate, time_col) or 'resample the input first'}"
            )
    s, labels = run_labels(run, s, str(input_path))
    return s, scale_values(s, run.info["scaler"], run.cfg.data.mask_value), labels


def time_column(run: FinishedRun) -> str:
    """The output tables' time column: named as the run's ``data.time_column`` (what its
    recordings, and new ones, call it), as the recording column keeps the run's name;
    ``time_s`` for a run that reads no time column (or one named as another output column)."""
    name = run.cfg.data.time_column
    taken = {run.recording_column, "timestep", "predicted", "true_label", *(f"p_{c}" for c in run.classes)}
    return name if name and name not in taken else "time_s"


def label_timesteps(run: FinishedRun, s: SeriesSet, timeline: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per input timestep: recording, timestep, time, stitched ``p_<class>``, predicted class
    ("" where no window covers it). Vectorised over all recordings at once.

    ``timestep`` is the step's row within its recording in the input (rows that
    ``data.nan_policy: drop`` removed have no row here), and the time column
    (:func:`time_column`: named as the input's) the input's own times, else ``timestep`` /
    the sample rate: so the table joins back to the input by recording and either column."""
    probs = np.concatenate([timeline[r] for r in s.rec_ids])
    rec_of_step = np.repeat(np.arange(len(s.rec_ids)), s.lengths)
    timestep = s.input_rows if s.input_rows is not None else np.arange(len(probs)) - s.offsets[rec_of_step]
    frame = pd.DataFrame({run.recording_column: s.rec_ids[rec_of_step], "timestep": timestep})
    rate = run.input.sample_rate_hz
    if s.times is not None:
        frame[time_column(run)] = s.times
    elif rate:
        frame[time_column(run)] = frame["timestep"] / rate
    for k, c in enumerate(run.classes):
        frame[f"p_{c}"] = probs[:, k]
    covered = ~np.isnan(probs).any(axis=1)
    labels = np.full(len(probs), "", dtype=object)
    labels[covered] = np.asarray(run.classes, dtype=object)[run.rule.apply(probs[covered])]
    frame["predicted"] = labels
    return frame


def bout_classes(run: FinishedRun) -> list[str]:
    """The classes whose bouts are found, as stage 03 scores them: the classes of interest (a
    binary run's positive class first); none on a multi-class run that names none."""
    from lstm_helpers.judge.evaluation import class_of_interest

    return class_of_interest(run.info, run.classes)[2]


def predicted_bouts(run: FinishedRun, s: SeriesSet, per_step: pd.DataFrame, labelled: bool = False) -> pd.DataFrame:
    """Runs of each class of :func:`bout_classes` per recording, with their mean stitched probability
    and, for ``labelled`` input, ``overlaps_true_bout``: whether the bout overlaps a true bout of
    its class (``s.labels``; empty where none of its steps is labelled).

    ``start`` / ``end`` are input rows within the recording (``end`` exclusive: one past the
    bout's last row), ``start_s`` / ``end_s`` the first row's time and the last row's time
    plus one sample period (the last row's time without a sample rate), as
    :func:`label_timesteps` writes them."""
    rec_col = run.recording_column
    rate = run.input.sample_rate_hz
    columns = [rec_col, "class", "start", "end", "start_s", "end_s", "mean_p"] + ["overlaps_true_bout"] * labelled
    step = per_step["timestep"].to_numpy()
    secs = per_step[time_column(run)].to_numpy() if time_column(run) in per_step else None
    parts = []
    for c in bout_classes(run):
        p = per_step[f"p_{c}"].to_numpy()
        sums = np.concatenate([[0.0], np.cumsum(np.nan_to_num(p))])
        counts = np.concatenate([[0], np.cumsum(~np.isnan(p))])
        is_c = per_step["predicted"].to_numpy() == c
        for r, (lo, hi) in zip(s.rec_ids, zip(s.offsets[:-1], s.offsets[1:], strict=True), strict=True):
            b = find_bouts(is_c[lo:hi])
            with np.errstate(invalid="ignore", divide="ignore"):
                mean_p = (sums[lo + b[:, 1]] - sums[lo + b[:, 0]]) / (counts[lo + b[:, 1]] - counts[lo + b[:, 0]])
            parts.append(
                pd.DataFrame(
                    {
                        rec_col: r,
                        "class": c,
                        "start": step[lo + b[:, 0]],
                        "end": step[lo + b[:, 1] - 1] + 1,
                        "start_s": secs[lo + b[:, 0]] if secs is not None else None,
                        "end_s": secs[lo + b[:, 1] - 1] + (1 / rate if rate else 0.0) if secs is not None else None,
                        "mean_p": mean_p,
                        "overlaps_true_bout": overlaps_true_bout(s.labels, run.classes.index(c), lo, b),
                    }
                )
            )
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


TABLE_SUFFIXES = (".csv", ".parquet", ".pq")  # what write_table writes, by the suffix


def _bare_name(path: Path) -> str:
    """``path``'s name without its suffixes of a table and a compression (``a.csv.gz``: ``a``)."""
    stem = Path(path.stem)
    return stem.stem if path.suffix.lower() in COMPRESSED else stem.name


def output_table_path(input_path: Path, out: Path | None) -> Path:
    """Where predict writes its table: ``--out`` (Parquet for .parquet / .pq, else CSV; ``.csv``
    added to a name without a suffix), by default ``<input>.predictions.csv``; a suffix other
    than a table's is refused (``x.txt`` held CSV while its side tables were ``.csv``)."""
    out = Path(out) if out else input_path.with_name(_bare_name(input_path) + ".predictions.csv")
    if out.suffix and out.suffix.lower() not in TABLE_SUFFIXES:
        raise ConfigError(
            f"--out {out}: predictions are written as CSV (.csv) or Parquet (.parquet, .pq), chosen by the "
            f"suffix; {out.suffix!r} is neither: name the file {out.with_suffix('.csv').name}"
        )
    return out if out.suffix else out.with_suffix(".csv")


def _output_paths(input_path: Path, out: Path | None) -> dict[str, Path]:
    """The tables' paths (:func:`output_table_path`, and ``.windows`` / ``.bouts`` / ``.budget`` beside it)."""
    out = output_table_path(input_path, out)
    suffix, base = out.suffix, out.with_suffix("")
    return {
        "timesteps": out,
        "windows": base.with_name(base.name + ".windows" + suffix),
        "bouts": base.with_name(base.name + ".bouts" + suffix),
        "budget": base.with_name(base.name + ".budget" + suffix),
        "scores": base.with_name(base.name + ".scores.json"),
    }


def _refuse_overwriting_input(run: FinishedRun, input_path: Path, paths: dict[str, Path]) -> None:
    """An output table may not replace an input recording file (``--out`` = ``--input``)."""
    if not input_path.exists():
        return
    inputs = {f.resolve() for f in list_files(input_path, run.cfg.data.format, "--input")}
    for p in paths.values():
        if p.resolve() in inputs:
            raise DataError(f"--out {p} would overwrite an input recording file; write the predictions elsewhere")


def predict_recordings(
    run: Path | FinishedRun, input_path: Path, out: Path | None = None, batch_size: int = DEFAULT_BATCH
) -> dict:
    """Predict every window of the recordings at ``input_path`` with the model of ``run`` (a
    run directory, or the run :func:`open_finished_run` opened).

    Writes the per-timestep table at ``out`` (default ``<input>.predictions.csv``), and
    ``.windows`` and ``.bouts`` tables beside it; where the input carries the run's label
    column, ``true_label`` columns and ``<out>.scores.json``: stage 03's scores of the labelled
    windows and bouts (:mod:`~lstm_helpers.runs.predict_scores`). Returns the paths written, the
    threshold, the numbers of windows and bouts, ``scores_lines`` (the scores for the terminal;
    empty without labels), ``inference``: how fast the windows were predicted, and ``notes``:
    the gaps no window crossed, the timesteps no window covers and the labels the run does not
    know, for the terminal.
    """
    input_path = Path(input_path)
    paths = _output_paths(input_path, out)  # a refused --out costs no TensorFlow import
    # TensorFlow is imported here, not at module import, and quietly (no C++ start-up lines)
    quiet_tensorflow_import()
    from lstm_helpers.model.models import load_trained_model

    finished = as_finished_run(run)
    if finished.input.data_kind != "recordings":
        raise DataError(
            f"{shown(finished.layout.root)} was trained on {finished.input.data_kind}; predict_sequences labels them"
        )
    _refuse_overwriting_input(finished, input_path, paths)
    s, values, truth = read_new_recordings(finished, input_path)
    length, step = int(finished.input.window_length or 0), int(finished.input.step or 0)
    starts, rec = window_starts(s.offsets, length, step)
    gaps: dict = {}
    joined = across_gaps(s, starts, length, gaps)  # no window across a time gap or rows nan_policy: drop removed
    starts, rec = starts[~joined], rec[~joined]
    if len(starts) == 0:
        why = " or every window would cross a gap" if joined.any() else ""
        raise DataError(f"{input_path}: every recording is shorter than one window ({length} timesteps){why}")
    model = load_trained_model(finished.layout.model)
    classes = finished.classes
    speed: list[str] = []
    probs = full_probs(
        predict_probs(model, window_view(values, length), batch_size, rows=starts, log=speed.append),
        len(classes),
        finished.info.get("positive_index"),
    )
    local, rec_ids = starts - s.offsets[rec], s.rec_ids[rec]
    timeline = stitch_timeline(probs, rec_ids, local, length, dict(zip(s.rec_ids, s.lengths.tolist(), strict=True)))
    per_step = label_timesteps(finished, s, timeline)
    windows = pd.DataFrame({finished.recording_column: rec_ids, "start": local})
    for k, c in enumerate(classes):
        windows[f"p_{c}"] = probs[:, k]
    windows["predicted"] = np.asarray(classes, dtype=object)[finished.rule.apply(probs)]  # the run's decision rule
    scores = _add_truth(finished, s, truth, (starts, probs, timeline), per_step, windows)
    bouts = predicted_bouts(finished, s, per_step, truth.labelled)
    budget = time_budget(per_step, finished.recording_column, classes, finished.input.sample_rate_hz)
    for name, table in (("timesteps", per_step), ("windows", windows), ("bouts", bouts), ("budget", budget)):
        write_table(paths[name], table)
    paths["scores"].unlink(missing_ok=True)  # an earlier labelled input's, at the same --out
    if scores is None:
        del paths["scores"]
    else:
        write_json(paths["scores"], {"input": shown(input_path), "run": shown(finished.layout.root), **scores})
    return {
        **paths,
        "scores_lines": [*(score_lines(scores) if scores else truth.unscored), budget_line(budget)],
        "threshold": finished.rule.threshold,
        "n_windows": len(starts),
        "n_bouts": len(bouts),
        "bout_classes": bout_classes(finished),
        "classes": finished.classes,
        "inference": speed[0] if speed else None,
        "notes": _recording_notes(finished, s, per_step, gaps)
        + truth.notes  # the run's recordings among those predicted (a too short one got no window)
        + [note for note in [seen_note(seen_by_run(finished, rec_ids), scores is not None)] if note],
    }


def _recording_notes(run: FinishedRun, s: SeriesSet, per_step: pd.DataFrame, gaps: dict) -> list[str]:
    """predict's notes on what the windows left out: gaps no window crosses, recordings too short
    for one window (:func:`_too_short_note`), the other timesteps no window covers; then how new
    input was scaled and the reader's notes (files of the folder not read, NaN values filled)."""
    length = int(run.input.window_length or 0)
    short = s.lengths < length  # whole recordings too short for one window: no prediction at all
    unlabelled = int((per_step["predicted"] == "").sum()) - int(s.lengths[short].sum())
    return (
        gap_notes(gaps, run.cfg.data.time_column)
        + [note for note in [_too_short_note(s, length)] if note]
        + [f"{unlabelled} timestep(s) in no window (near a gap or a recording's end) have an empty label"]
        * bool(unlabelled)
        + _scaling_notes(run)
        + s.notes
    )


def _too_short_note(s: SeriesSet, length: int) -> str | None:
    """The recordings shorter than one window, with their lengths: they get no prediction (their
    rows an empty label), which is not a gap's or a recording end's doing."""
    short = np.flatnonzero(s.lengths < length)
    if not len(short):
        return None
    named = ", ".join(f"{s.rec_ids[i]} ({plural(int(s.lengths[i]), 'timestep')})" for i in short[:8])
    more = f" and {len(short) - 8} more" if len(short) > 8 else ""
    one = len(short) == 1
    return (
        f"recording{'' if one else 's'} {named}{more} {'is' if one else 'are'} shorter than one window "
        f"({length} timesteps): {'it' if one else 'they'} got no prediction (an empty label on each row)"
    )


def _add_truth(
    run: FinishedRun, s: SeriesSet, truth: NewLabels, predicted: tuple, per_step: pd.DataFrame, windows: pd.DataFrame
) -> dict[str, Any] | None:
    """For input that carries labels: ``true_label`` on the step and window tables (a window's
    by the run's window label rule) and stage 03's scores of them
    (:func:`~lstm_helpers.runs.predict_scores.score_predictions`, with the label notes);
    None without labels. ``predicted``: the windows' global starts, probabilities and the
    stitched timeline."""
    if not truth.labelled:
        return None
    starts, probs, timeline = predicted
    window_labels = window_truth(run, s, starts)
    per_step["true_label"] = true_names(run.classes, s.labels)
    windows["true_label"] = true_names(run.classes, window_labels)
    seen = seen_by_run(run, np.unique(s.rec_ids[np.searchsorted(s.offsets, starts, side="right") - 1]))
    # recordings the run trained on that got a window: their scores are not held out
    scores = score_predictions(run, s, window_labels, probs, timeline)
    return scores | {
        "seen_by_run": seen,
        "notes": [*filter(None, [seen_note(seen, True)]), *truth.folded, *truth.notes],
    }


def _scaling_notes(run: FinishedRun) -> list[str]:
    """Where predict's scaling cannot be training's: a table without a recording column was cut
    into blocks to split it, and with ``scale.per: recording`` each block had its own statistics."""
    if run.table_in_blocks and run.info["scaler"].get("per") == "recording":
        return [
            "each input file was scaled by its own statistics (training scaled each of its data.table_blocks blocks)"
        ]
    return []


def predict_run(
    run: Path, input_path: Path, out: Path | None = None, batch_size: int = DEFAULT_BATCH, encoding: str | None = None
) -> dict:
    """``lstm-workbench predict``: :func:`predict_recordings` or, for a run trained on
    pre-segmented sequences, :func:`~lstm_helpers.runs.predict_sequences.predict_sequences`
    (one row per case; its result has ``n_cases``). ``encoding``: the text encoding of the new
    CSV files (``--encoding``; default the run's ``data.encoding``): a file's encoding is its
    own, not the model's, and the run's settings are otherwise fixed."""
    finished = open_finished_run(run)  # refuses unfinished runs and text runs before anything is read
    if encoding is not None:
        try:
            data = DataConfig.model_validate({**finished.cfg.data.model_dump(), "encoding": encoding})
        except ValidationError as exc:
            raise ConfigError(f"--encoding: {exc.errors()[0]['msg'].removeprefix('Value error, ')}") from None
        finished = replace(finished, cfg=finished.cfg.model_copy(update={"data": data}))
    token = ENCODING_KEY.set("--encoding")  # the advice for a file in another encoding
    try:
        if finished.input.data_kind == "sequences":
            from lstm_helpers.runs.predict_sequences import predict_sequences

            result = predict_sequences(finished, input_path, out, batch_size)
        else:
            result = predict_recordings(finished, input_path, out, batch_size)
    finally:
        ENCODING_KEY.reset(token)
    return {**result, "notes": _encoding_notes(input_path, encoding) + result["notes"]}


def _encoding_notes(input_path: Path, encoding: str | None) -> list[str]:
    """``--encoding`` given for input without text files (Parquet, npz: their text is stored as
    written, an encoding does not apply): said, not silently ignored."""
    if encoding is None:
        return []
    listed = sorted(input_path.iterdir()) if input_path.is_dir() else [input_path]
    files = [p for p in listed if p.is_file() and not p.name.startswith(".")]
    if any(is_delimited(p) for p in files):
        return []  # a CSV / TSV among them is read in that encoding
    kinds = sorted({p.suffix.lower().lstrip(".").replace("parquet", "Parquet") for p in files})
    if not set(kinds) <= {"Parquet", "npz"}:
        return []
    return [f"--encoding {encoding} applies to CSV / TSV files only: the {' / '.join(kinds)} input was read as stored"]


def result_lines(out: dict, show: Callable[[Path], str] = str) -> list[str]:
    """What ``lstm-workbench predict`` prints: first the notes on the input (gaps no window
    crosses, values filled, unlabelled steps, an encoding that does not apply, ...), then the
    files it wrote (``show``: a path as the terminal writes it), how many windows or cases were
    predicted and at which threshold, the bouts, the scores of labelled input and the inference speed."""
    th = out["threshold"]
    at = f" at the run's threshold {th:.3g}" if isinstance(th, float) else ""
    lines = [f"note: {note}" for note in out["notes"]]
    lines += [f"{k}: {show(v)}" for k, v in out.items() if isinstance(v, Path)]
    if "n_cases" in out:  # a sequences run: one row per case
        lines += [f"{plural(out['n_cases'], 'case')} predicted{at}"]
    elif out["bout_classes"]:
        lines += [
            f"{plural(out['n_windows'], 'window')} and {plural(out['n_bouts'], 'bout')} predicted{at}"
        ]  # bouts found: the scores' line
    else:  # as stage 03, bouts of the classes of interest only
        lines += [
            f"{plural(out['n_windows'], 'window')} predicted{at}; no bouts: they are found for the run's classes "
            "of interest and it names none (to have them, make a run with --set "
            f"data.classes_of_interest=[<class>], a class of {', '.join(out['classes'])})"
        ]
    lines += out.get("scores_lines") or []  # labelled input: stage 03's scores of it (windows or cases)
    return lines + ([f"inference: {out['inference']}"] if out["inference"] else [])
