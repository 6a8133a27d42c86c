"""Gaps inside a recording, and the windows that would join their two sides.

A recording's rows are one continuous stretch of time only between its gaps. Two kinds:

* a **time gap**: a step of the time column over :data:`GAP_FACTOR` (1.5) times the
  recording's sampling interval (the median step between its consecutive rows) -- a sensor
  dropout, rows cut out of a file. The sample-rate check goes by the median step, so it
  cannot see one;
* **rows dropped** by ``data.nan_policy: drop`` (their NaN rows removed).

No window crosses a gap, in stage 01 and in ``predict`` alike (:func:`across_gaps`): a window
that joined 39.00-39.96 s and 44.00-44.96 s was read as one "2.00 s" window. Each gap marks
the step that follows it (``SeriesSet.time_gaps``; dropped rows: a jump of ``input_rows``),
and a window holding such a step past its first is left out, counted and said
(:func:`gap_notes`).

The sample rate itself is checked per recording against ``data.sample_rate_hz``
(:func:`check_sample_rate`), by the same median step.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lstm_helpers.data.inputs import DataError, short, time_unit_hint

if TYPE_CHECKING:
    from lstm_helpers.config import DataConfig
    from lstm_helpers.data.recordings import SeriesSet

GAP_FACTOR = 1.5  # a step over this many sampling intervals is a gap (one missing sample is 2x)
SHOWN_GAPS = 3  # gaps a note names by recording and time


def find_time_gaps(t: np.ndarray | None, offsets: np.ndarray, input_rows: np.ndarray | None = None) -> np.ndarray:
    """Global index of each step that follows a time gap within its recording (sorted).

    ``t`` holds the seconds of every step, recordings laid end to end at ``offsets``; a step
    longer than :data:`GAP_FACTOR` x its recording's median step is a gap. Steps across rows
    that ``data.nan_policy: drop`` removed (``input_rows`` not consecutive) are that policy's
    gaps, not time gaps."""
    if t is None or len(t) < 2:
        return np.zeros(0, np.int64)
    rec = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    dt = np.diff(t)
    adjacent = rec[1:] == rec[:-1]
    if input_rows is not None:
        adjacent &= np.diff(input_rows) == 1
    if not adjacent.any():
        return np.zeros(0, np.int64)
    interval = pd.Series(dt[adjacent]).groupby(rec[1:][adjacent]).median()
    limit = GAP_FACTOR * interval.reindex(rec[1:]).to_numpy()
    return (np.flatnonzero(adjacent & (dt > limit)) + 1).astype(np.int64)


def check_sample_rate(t: np.ndarray | None, rec_codes: np.ndarray, df: pd.DataFrame, cfg: DataConfig) -> None:
    """``data.sample_rate_hz`` must agree (within 5 %) with each recording's median step in the
    time column, which says what the data are: windows given in seconds and bout times are
    computed from the rate, and its default (25 Hz) on 100 Hz data made "2.00 s" windows of
    0.5 s without a word. Each recording on its own: one 50 Hz file among 20 Hz ones passed a
    median of all steps pooled, and its "2.00 s" windows covered 0.8 s."""
    if t is None or not cfg.sample_rate_hz:
        return
    same = np.diff(rec_codes) == 0
    step = pd.Series(np.diff(t)[same]).groupby(rec_codes[1:][same]).median()  # per recording (code)
    bad = step[(1.0 / step / cfg.sample_rate_hz - 1).abs() > 0.05]
    if bad.empty:
        return
    rate, row = 1.0 / float(bad.iloc[0]), int(np.searchsorted(rec_codes, bad.index[0]))
    advice = time_unit_hint(rate, cfg.sample_rate_hz, cfg.time_column)
    if len(bad) == len(step):
        advice = advice or (
            f"set data.sample_rate_hz: {rate:.4g} (times in seconds), or data.time_column: null to go by the rate alone"
        )
        more = f" (and in {len(bad) - 1} more recording(s))" if len(bad) > 1 else ""
    else:
        advice = advice or (
            f"the other {len(step) - len(bad)} of the {len(step)} recordings step at {cfg.sample_rate_hz:g} Hz: "
            f"resample this one to {cfg.sample_rate_hz:g} Hz or leave it out"
        )
        more = f" (and in {len(bad) - 1} more of the {len(step)} recordings)" if len(bad) > 1 else ""
    raise DataError(
        f"{df['__file'].iloc[row]}: data.sample_rate_hz is {cfg.sample_rate_hz:g} Hz, but column {cfg.time_column!r} "
        f"steps {float(bad.iloc[0]):.4g} s between rows (median) in recording "
        f"{short(df[cfg.recording_column].iloc[row], 80)}, i.e. {rate:.4g} Hz{more}; {advice}"
    )


def dropped_row_breaks(s: SeriesSet) -> np.ndarray:
    """Global index of each step that follows rows ``data.nan_policy: drop`` removed (sorted)."""
    if s.input_rows is None:
        return np.zeros(0, np.int64)
    rec = np.repeat(np.arange(s.n_recordings), s.lengths)
    jump = (np.diff(s.input_rows) != 1) & (rec[1:] == rec[:-1])
    return (np.flatnonzero(jump) + 1).astype(np.int64)


def dropped_rows_note(nan_rows: np.ndarray, rec: np.ndarray, source: str) -> str:
    """What ``data.nan_policy: drop`` left out (``nan_rows``: the rows holding NaN, ``rec``: each
    row's recording), said as the values 'interpolate' filled are: in stage 01's notes and predict's."""
    return (
        f"{Path(source).name}: data.nan_policy 'drop' left out {int(nan_rows.sum()):,} row(s) holding NaN in "
        f"{len(np.unique(rec[nan_rows]))} of {int(rec.max()) + 1} recording(s) (no window joins their two sides)"
    )


def windows_across(breaks: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """Per window ``[start, start + length)``: does it hold a break (a step ``b`` with
    ``start < b < start + length``, i.e. a gap between two of its steps)? ``breaks`` sorted."""
    if not len(breaks) or not len(starts):
        return np.zeros(len(starts), bool)
    after = np.searchsorted(breaks, starts, side="right")  # the first break past each start
    nxt = np.append(breaks, np.iinfo(np.int64).max)[after]
    return nxt < np.asarray(starts) + length


def across_gaps(s: SeriesSet, starts: np.ndarray, length: int, info: dict | None = None) -> np.ndarray:
    """Windows that would join the two sides of a gap (a time gap, or rows ``data.nan_policy:
    drop`` removed): left out by stage 01 and by ``predict``. ``info`` gets the counts
    (``windows_dropped_gap`` for dropped rows, ``time_gaps`` and ``windows_dropped_time_gap``
    for time gaps, a window across both counted once, under dropped rows) and the first gaps
    (``time_gaps_first``) that :func:`gap_notes` says."""
    dropped = windows_across(dropped_row_breaks(s), starts, length)
    gaps = s.time_gaps if s.time_gaps is not None else np.zeros(0, np.int64)
    timed = windows_across(gaps, starts, length) & ~dropped
    if info is not None:
        if s.input_rows is not None:
            info["windows_dropped_gap"] = int(dropped.sum())
        if len(gaps):
            info["time_gaps"] = int(len(gaps))
            info["time_gap_recordings"] = int(len(np.unique(np.searchsorted(s.offsets, gaps, side="right"))))
            info["time_gaps_first"] = [_gap_record(s, int(b)) for b in gaps[:SHOWN_GAPS]]
            info["windows_dropped_time_gap"] = int(timed.sum())
    return dropped | timed


def _gap_record(s: SeriesSet, step: int) -> dict:
    """Where one time gap is: its recording, and the times of the steps either side."""
    rec = int(np.searchsorted(s.offsets, step, side="right")) - 1
    return {"recording": str(s.rec_ids[rec]), "from_s": float(s.times[step - 1]), "to_s": float(s.times[step])}


def _seconds(x: float) -> str:
    """``39.96``, ``44.00``; three decimals where two would round (kHz recordings)."""
    return f"{x:.2f}" if abs(x * 100 - round(x * 100)) < 1e-6 else f"{x:.3f}"


def gap_notes(info: dict, time_column: str | None) -> list[str]:
    """What :func:`across_gaps` found, in words: the time gaps (how many, in how many
    recordings, the first few by recording and time) and the windows each kind left out."""
    notes = []
    if info.get("time_gaps"):
        n, first = info["time_gaps"], info["time_gaps_first"]
        where = ", ".join(f"{g['recording']} {_seconds(g['from_s'])} s -> {_seconds(g['to_s'])} s" for g in first)
        more = f", and {n - len(first)} more" if n > len(first) else ""
        notes.append(
            f"{n} gap(s) in time column {time_column!r} (a step over {GAP_FACTOR:g}x the recording's sampling "
            f"interval) in {info['time_gap_recordings']} recording(s): {where}{more}; "
            f"{info['windows_dropped_time_gap']} window(s) across them left out"
        )
    if info.get("windows_dropped_gap"):
        notes.append(
            f"{info['windows_dropped_gap']} window(s) left out: they would span rows that data.nan_policy: drop "
            "removed, joining the two sides of a gap"
        )
    return notes
