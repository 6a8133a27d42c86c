"""Window scores back on each recording's timeline, and bouts: found, missed, false alarms.

Written here (no library does them), each vectorised with numpy -- no Python loop runs
over windows or timesteps (only over recordings and classes of interest):

* :func:`stitch_timeline`: mean of the window scores covering each timestep (difference
  arrays + cumulative sum);
* :func:`find_bouts` / :func:`clean_bouts` / :func:`match_bouts`: runs of a class, merged
  and filtered, matched to the true runs by the half-overlap rule (a predicted bout counts
  only when at least half of it lies on true bouts); :func:`bout_summary` totals them;
* :func:`per_recording_scores`: window and timestep precision / recall per recording
  (scikit-learn metrics);
* :func:`score_test_timelines`: all of the above for the test recordings of a run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, precision_recall_fscore_support


# ============================================================================ timeline
def _rows_by_recording(recs: np.ndarray) -> dict[str, np.ndarray]:
    uniq, inverse = np.unique(recs, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(uniq) + 1))
    return {rec: order[bounds[i] : bounds[i + 1]] for i, rec in enumerate(uniq)}


def _stitch_one(s: np.ndarray, w: np.ndarray, window_length: int, length: int) -> np.ndarray:
    """Mean of the windows ``[s, s + window_length)`` with scores ``w`` at every timestep."""
    e = s + window_length
    total = np.zeros((length + 1, w.shape[1]))
    count = np.zeros(length + 1)
    np.add.at(total, s, w)
    np.add.at(total, e, -w)
    np.add.at(count, s, 1.0)
    np.add.at(count, e, -1.0)
    total = np.cumsum(total[:-1], axis=0, out=total[:-1])
    count = np.rint(np.cumsum(count[:-1]))
    with np.errstate(invalid="ignore", divide="ignore"):
        total /= count[:, None]
    total[count == 0] = np.nan
    return total


def stitch_timeline(
    scores: Any,
    rec_ids: Any,
    starts: Any,
    window_length: int,
    recording_lengths: dict[str, int],
) -> dict[str, np.ndarray]:
    """Average window scores back onto each recording's timeline (written here).

    Each window ``[start, start + window_length)`` contributes its score to every timestep
    it covers; a timestep's value is the mean over the windows covering it, NaN where no
    window covers it. Vectorised per recording with difference arrays (``np.add.at`` at
    window starts and ends, then a cumulative sum, in place): memory is one float64 array
    of the recording's length x score columns.

    Parameters
    ----------
    scores : array-like, shape (n,) or (n, K)
    rec_ids : array-like of str, shape (n,)
    starts : array-like of int, shape (n,)
        Start timestep of each window in its recording.
    window_length : int
    recording_lengths : dict
        Recording id -> number of timesteps. Every recording here gets a timeline (all
        NaN when no window falls in it); every ``rec_ids`` entry must be a key.

    Returns
    -------
    dict
        Recording id -> float64 array of shape (length,) or (length, K).
    """
    sc = np.asarray(scores)
    squeeze = sc.ndim == 1
    if squeeze:
        sc = sc[:, None]
    if sc.ndim != 2:
        raise ValueError(f"scores must have shape (n,) or (n, K), got {np.shape(scores)}")
    recs = np.asarray(rec_ids).astype(str)
    st = np.asarray(starts).astype(np.int64)
    if not (len(sc) == len(recs) == len(st)):
        raise ValueError(f"scores ({len(sc)}), rec_ids ({len(recs)}) and starts ({len(st)}) must have equal length")
    if int(window_length) < 1:
        raise ValueError(f"window_length must be >= 1, got {window_length}")
    rows_of = _rows_by_recording(recs)
    unknown = [r for r in rows_of if r not in recording_lengths]
    if unknown:
        raise ValueError(f"rec_ids {unknown[:5]} have no entry in recording_lengths")
    out: dict[str, np.ndarray] = {}
    for rec, length in recording_lengths.items():
        rows = rows_of.get(rec, np.empty(0, dtype=np.int64))
        s = st[rows]
        if len(rows) and (s.min() < 0 or s.max() + int(window_length) > int(length)):
            raise ValueError(
                f"recording {rec!r}: a window [{s.min()}, {s.max() + int(window_length)}) "
                f"falls outside its {int(length)} timesteps"
            )
        mean = _stitch_one(s, sc[rows].astype(np.float64), int(window_length), int(length))
        out[rec] = mean[:, 0] if squeeze else mean
    return out


def windows_to_signal(X_windows: Any, starts: Any, length: int) -> np.ndarray:
    """Per-timestep signal of one recording from its (overlapping) windows, mean where they overlap.

    ``X_windows`` (n, T, C) or (n, T); returns (length, C) or (length,), NaN where no
    window covers a timestep. Vectorised with ``np.add.at``; written here for the timeline plot.
    """
    X = np.asarray(X_windows, dtype=np.float64)
    squeeze = X.ndim == 2
    if squeeze:
        X = X[:, :, None]
    if X.ndim != 3:
        raise ValueError(f"X_windows must have shape (n, T) or (n, T, C), got {np.shape(X_windows)}")
    st = np.asarray(starts, dtype=np.int64)
    idx = st[:, None] + np.arange(X.shape[1])[None, :]
    if idx.size and (idx.min() < 0 or idx.max() >= length):
        raise ValueError(f"windows reach outside the recording's {length} timesteps")
    total = np.zeros((int(length), X.shape[2]))
    count = np.zeros(int(length))
    np.add.at(total, idx.ravel(), X.reshape(-1, X.shape[2]))
    np.add.at(count, idx.ravel(), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        signal = total / count[:, None]
    signal[count == 0] = np.nan
    return signal[:, 0] if squeeze else signal


def predict_timesteps(timeline: dict[str, np.ndarray], decide: Callable[[np.ndarray], np.ndarray]) -> dict:
    """Class index per timestep of stitched scores by ``decide`` (-1 where no window covers it)."""
    predicted = {}
    for rec, scores in timeline.items():
        covered = ~np.isnan(scores if scores.ndim == 1 else scores[:, 0])
        pred = np.full(len(scores), -1, dtype=np.int64)
        if covered.any():
            pred[covered] = decide(scores[covered])
        predicted[rec] = pred
    return predicted


# ============================================================================ bouts
MIN_HIT_FRACTION = 0.5  # share of a predicted bout that must lie on true bouts for it to count (match_bouts)


def find_bouts(mask: Any) -> np.ndarray:
    """Runs of True in a 1-D mask as ``[start, end)`` pairs (end exclusive), shape (m, 2).

    Written here, vectorised with ``np.diff`` on the mask padded with False at both ends.
    """
    m = np.asarray(mask)
    if m.ndim != 1:
        raise ValueError(f"mask must be 1-D, got shape {m.shape}")
    change = np.diff(np.concatenate([[0], m.astype(np.int8), [0]]))
    return np.column_stack([np.flatnonzero(change == 1), np.flatnonzero(change == -1)]).astype(np.int64)


def clean_bouts(
    bouts: Any, sample_rate_hz: float, min_seconds: float = 0.0, merge_gap_seconds: float = 0.0
) -> np.ndarray:
    """Merge bouts separated by gaps shorter than ``merge_gap_seconds``, then drop bouts
    shorter than ``min_seconds``. Written here; vectorised (cumulative group ids).
    """
    if not sample_rate_hz or sample_rate_hz <= 0:
        raise ValueError(f"sample_rate_hz must be > 0, got {sample_rate_hz}")
    if min_seconds < 0 or merge_gap_seconds < 0:
        raise ValueError(f"min_seconds and merge_gap_seconds must be >= 0, got {min_seconds}, {merge_gap_seconds}")
    b = np.asarray(bouts, dtype=np.int64).reshape(-1, 2)
    b = b[np.argsort(b[:, 0], kind="stable")]
    if len(b) > 1 and merge_gap_seconds > 0:
        gaps_s = (b[1:, 0] - b[:-1, 1]) / sample_rate_hz
        first = np.flatnonzero(np.concatenate([[True], gaps_s >= merge_gap_seconds]))
        b = np.column_stack([b[first, 0], np.maximum.reduceat(b[:, 1], first)])
    if min_seconds > 0:
        b = b[(b[:, 1] - b[:, 0]) / sample_rate_hz >= min_seconds]
    return b


def _bout_rates(n_true: int, n_pred: int, n_found: int, n_false_alarms: int, onset: Any, offset: Any) -> dict:
    """Bout recall / precision and mean onset / offset errors from counts (None where undefined)."""
    n_true, n_pred, n_found, n_false_alarms = (
        int(n_true),
        int(n_pred),
        int(n_found),
        int(n_false_alarms),
    )
    return {
        "n_true": n_true,
        "n_pred": n_pred,
        "n_found": n_found,
        "n_false_alarms": n_false_alarms,
        "bout_recall": n_found / n_true if n_true else None,
        "bout_precision": (n_pred - n_false_alarms) / n_pred if n_pred else None,
        "onset_error_s": float(np.mean(onset)) if n_found else None,
        "offset_error_s": float(np.mean(offset)) if n_found else None,
    }


def match_bouts(
    true_bouts: Any,
    pred_bouts: Any,
    sample_rate_hz: float,
    min_pred_seconds: float = 0.0,
    merge_gap_seconds: float = 0.0,
    collar_steps: int = 0,
) -> dict[str, Any]:
    """Match predicted bouts to true bouts by the half-overlap rule with a collar (written here).

    Predicted bouts are first cleaned with :func:`clean_bouts` (merge gaps shorter than
    ``merge_gap_seconds``, drop bouts shorter than ``min_pred_seconds``). The rule is the
    minimum-overlap criterion of event-based scoring in activity recognition (Ward, Lukowicz
    & Gellersen 2011, "Performance metrics for activity recognition", ACM TIST 2(1), whose
    *overfill* names a detection running past its event): a predicted bout is a **hit** when
    at least :data:`MIN_HIT_FRACTION` (half) of its duration lies on true bouts, otherwise a
    *false alarm* (an insertion, or an overfill so large that most of it is not the class);
    a true bout is *found* when a hit overlaps it. Any-overlap matching rewarded flagging
    everything: one predicted bout covering a whole recording "found" every true bout in it
    with bout precision 1; under this rule it is a false alarm and finds nothing. Time within
    ``collar_steps`` of a true bout counts as on it for that test (the *collar* of event-based
    scoring, as in sound-event detection): decisions made per window cannot place a bout's edges
    closer than the window's length, so the evaluation passes one window length, and a
    detection that runs a window past its bout at either end stays a hit (a hit overlaps a true
    bout itself: one wholly inside a collar is a false alarm). Onset /
    offset errors are absolute differences, in seconds, between each found true bout and
    the first (earliest) hit overlapping it; one hit spanning two true bouts finds both.

    Parameters
    ----------
    true_bouts, pred_bouts : array-like of int, shape (m, 2)
        ``[start, end)`` timesteps, e.g. from :func:`find_bouts`; true bouts do not overlap.
    sample_rate_hz : float
        Timesteps per second (pass 1.0 to get errors in timesteps).

    Returns
    -------
    dict
        ``n_true``, ``n_pred`` (after cleaning), ``n_found``, ``n_false_alarms``,
        ``bout_recall`` (n_found / n_true), ``bout_precision`` (hits / n_pred),
        ``onset_error_s``, ``offset_error_s`` (means; None when nothing matched), ``pairs``
        (one record per true bout) and ``false_alarms`` ([start_s, end_s] per false alarm).
    """
    t = np.asarray(true_bouts, dtype=np.int64).reshape(-1, 2)
    p = clean_bouts(pred_bouts, sample_rate_hz, min_pred_seconds, merge_gap_seconds)
    # timesteps each (true, predicted) pair shares; true bouts are disjoint, so a column sums
    # to the predicted bout's timesteps on the class
    shared = _shared(t, p)
    near = _shared(_widened(t, collar_steps), p).sum(axis=0)  # steps on a true bout or within the collar
    hit = (shared.sum(axis=0) > 0) & (near >= MIN_HIT_FRACTION * (p[:, 1] - p[:, 0]))
    overlap = (shared > 0) & hit[None, :]
    found = overlap.any(axis=1)
    false_alarm = ~hit
    first = overlap.argmax(axis=1) if len(p) else np.zeros(len(t), dtype=np.int64)  # p sorted by start
    matched = p[first] if len(p) else np.zeros((len(t), 2), dtype=np.int64)
    onset = np.abs(matched[:, 0] - t[:, 0]) / sample_rate_hz
    offset = np.abs(matched[:, 1] - t[:, 1]) / sample_rate_hz
    pairs = pd.DataFrame(
        {
            "true_start_s": t[:, 0] / sample_rate_hz,
            "true_end_s": t[:, 1] / sample_rate_hz,
            "found": found,
            "pred_start_s": matched[:, 0] / sample_rate_hz,
            "pred_end_s": matched[:, 1] / sample_rate_hz,
            "onset_error_s": onset,
            "offset_error_s": offset,
        }
    ).astype(object)
    pairs.loc[~found, ["pred_start_s", "pred_end_s", "onset_error_s", "offset_error_s"]] = None
    return {
        **_bout_rates(len(t), len(p), found.sum(), false_alarm.sum(), onset[found], offset[found]),
        "pairs": pairs.to_dict("records"),
        "false_alarms": (p[false_alarm] / sample_rate_hz).tolist(),
    }


def _shared(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Timesteps each (true, predicted) pair of ``[start, end)`` bouts shares, shape (len(t), len(p))."""
    return np.clip(np.minimum(p[None, :, 1], t[:, None, 1]) - np.maximum(p[None, :, 0], t[:, None, 0]), 0, None)


def _widened(t: np.ndarray, collar: int) -> np.ndarray:
    """True bouts (disjoint) widened by ``collar`` steps at each end, sorted, overlaps merged."""
    if collar <= 0 or not len(t):
        return t
    t = t[np.argsort(t[:, 0], kind="stable")]
    start, end = t[:, 0] - collar, t[:, 1] + collar
    new = np.r_[True, start[1:] > np.maximum.accumulate(end)[:-1]]
    return np.stack([start[new], np.maximum.reduceat(end, np.flatnonzero(new))], axis=1)


def bout_summary(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Totals of several :func:`match_bouts` results (e.g. one per recording): summed counts,
    recall / precision of the sums, onset / offset errors averaged over every found bout."""
    totals = {k: sum(r[k] for r in results) for k in ("n_true", "n_pred", "n_found", "n_false_alarms")}
    found = [p for r in results for p in r["pairs"] if p["found"]]
    return _bout_rates(
        **totals,
        onset=[p["onset_error_s"] for p in found],
        offset=[p["offset_error_s"] for p in found],
    )


# ============================================================================ per recording
def _binary_scores(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> dict[str, float]:
    yt, yp = y_true == k, y_pred == k
    p, r, f, _ = precision_recall_fscore_support(yt, yp, average="binary", zero_division=np.nan)
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "precision": float(p),
        "recall": float(r),
        "f1": float(f),
        "support": int(yt.sum()),
    }


def per_recording_scores(
    rec_ids: Any,
    y_true: Any,
    y_pred: Any,
    class_index: int,
    timestep_labels: dict[str, np.ndarray] | None = None,
    timestep_predictions: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Accuracy and precision / recall / F1 of one class, per recording (sklearn metrics).

    Per window (``window_*`` columns) and, when timelines are given, per timestep
    (``timestep_*``: timesteps that are labelled, label >= 0, and covered by a prediction,
    prediction >= 0). Precision / recall are NaN where undefined (no predicted / no true
    examples of the class in that recording).
    """
    recs = np.asarray(rec_ids).astype(str)
    yt = np.asarray(y_true).astype(np.int64)
    yp = np.asarray(y_pred).astype(np.int64)
    rows = []
    for rec, sel in _rows_by_recording(recs).items():
        row: dict[str, Any] = {"recording": rec, "n_windows": len(sel)}
        row.update({f"window_{k}": v for k, v in _binary_scores(yt[sel], yp[sel], class_index).items()})
        if timestep_labels is not None and timestep_predictions is not None and rec in timestep_labels:
            lab, pred = np.asarray(timestep_labels[rec]), np.asarray(timestep_predictions[rec])
            ok = (lab >= 0) & (pred >= 0)
            row["n_timesteps"] = int(ok.sum())
            if ok.any():
                row.update({f"timestep_{k}": v for k, v in _binary_scores(lab[ok], pred[ok], class_index).items()})
        rows.append(row)
    return pd.DataFrame(rows)


def per_recording_table(per_recording: pd.DataFrame | None, class_name: str | None = None) -> pd.DataFrame | None:
    """:func:`per_recording_scores` as a page shows it: one row per recording, plain short
    names (``windows``, ``'play' windows``, precision / recall / F1 of the class per window,
    then the same per timestep, ``step ...``), so the table fits a 1280-px page: thirteen
    snake_case columns ran off it. Accuracy per recording is left out: at 1:10 it mostly
    counts the majority class (``metrics.json["per_recording"]`` keeps every figure)."""
    if per_recording is None or per_recording.empty:
        return per_recording
    who = f"'{class_name}'" if class_name else "class"
    names = {
        "recording": "recording",
        "n_windows": "windows",
        "window_support": f"{who} windows",
        "window_precision": "precision",
        "window_recall": "recall",
        "window_f1": "F1",
        "n_timesteps": "timesteps",
        "timestep_support": f"{who} steps",
        "timestep_precision": "step precision",
        "timestep_recall": "step recall",
        "timestep_f1": "step F1",
    }
    return per_recording[[c for c in names if c in per_recording]].rename(columns=names)


def bout_tables_for_page(
    bouts_table: pd.DataFrame | None, bout_details: pd.DataFrame | None, sample_rate: float | None
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The two bout tables as a page shows them, in plain short names (``true bouts``,
    ``false alarms``, ``onset error (s)``...), as :func:`per_recording_table` does for its
    table: the ten snake_case columns (``n_false_alarms``, ``onset_error_s``) ran off a
    1280-px page. ``bouts_test.csv`` and ``metrics.json`` keep the snake_case names;
    times keep one sample period's resolution (:func:`_with_time_decimals`)."""
    unit = "s" if sample_rate else "steps"
    names = {
        "recording": "recording", "class": "class", "n_true": "true bouts", "n_pred": "predicted bouts",
        "n_found": "found", "found": "found", "n_false_alarms": "false alarms", "bout_recall": "bout recall",
        "bout_precision": "bout precision", "onset_error_s": f"onset error ({unit})",
        "offset_error_s": f"offset error ({unit})", "true_start_s": f"true start ({unit})",
        "true_end_s": f"true end ({unit})", "pred_start_s": f"predicted start ({unit})",
        "pred_end_s": f"predicted end ({unit})",
    }  # fmt: skip

    def plain(table: pd.DataFrame | None) -> pd.DataFrame | None:
        if table is None or table.empty:
            return table
        shown = table[[c for c in table.columns if c in names]].rename(columns=names)
        if "found" in shown and "true bouts" not in shown:  # a true bout's row: found or missed
            shown["found"] = shown["found"].map({True: "yes", False: "missed"})
        shown.attrs["decimals"] = {names[c]: d for c, d in table.attrs.get("decimals", {}).items() if c in names}
        return shown

    summary = None if bouts_table is None else _with_time_decimals(bouts_table.copy(), sample_rate)
    return plain(summary), plain(bout_details)


# ============================================================================ a run's test timelines
def timeline_labels(data: dict[str, np.ndarray], test_recs: np.ndarray, source: Path) -> dict[str, np.ndarray]:
    """True label per timestep of every test recording, from prepared.npz's ``timeline_*`` arrays."""
    t_ids = data["timeline_rec_ids"].astype(str)
    offsets = data["timeline_offsets"].astype(np.int64)
    wanted = set(np.unique(test_recs))
    missing = wanted - set(t_ids)
    if missing:
        raise ValueError(f"{source}: test recordings {sorted(missing)[:5]} have no timeline_* entry")
    return {
        r: data["timeline_labels"][offsets[i] : offsets[i + 1]].astype(np.int64)
        for i, r in enumerate(t_ids)
        if r in wanted
    }


def bouts_on_scored_steps(labels: np.ndarray, predicted: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """True and predicted bouts of class ``k`` on the timesteps that are scored: labelled
    (label >= 0) and covered by a window (prediction >= 0), as the per-recording timestep
    scores count them. A prediction inside an unlabelled gap is not a false alarm, and a
    true bout no window covers (a recording's tail) is not a miss."""
    lab, pred = np.asarray(labels), np.asarray(predicted)
    scored = (lab >= 0) & (pred >= 0)
    return find_bouts((lab == k) & scored), find_bouts((pred == k) & scored)


def score_bouts(
    labels: dict[str, np.ndarray],
    predicted: dict[str, np.ndarray],
    classes: list[str],
    interest_names: list[str],
    rate: float,
    min_seconds: float,
    merge_gap_seconds: float,
    collar_steps: int = 0,
) -> tuple[dict[str, Any], list[dict], list[dict]]:
    """Bouts of every class of interest matched per recording, on the scored timesteps
    (:func:`bouts_on_scored_steps`), with :func:`match_bouts`' collar of ``collar_steps``.

    Returns (summary per class, one row per recording and class, one row per true bout).
    """
    summary: dict[str, Any] = {}
    rows: list[dict] = []
    details: list[dict] = []
    for cls in interest_names:
        k = classes.index(cls)
        results = {
            rec: match_bouts(
                *bouts_on_scored_steps(labels[rec], predicted[rec], k),
                rate,
                min_seconds,
                merge_gap_seconds,
                collar_steps,
            )
            for rec in predicted
        }
        for rec, res in results.items():
            rows.append(
                {
                    "recording": rec,
                    "class": cls,
                    **{key: v for key, v in res.items() if key not in ("pairs", "false_alarms")},
                }
            )
            details += [{"recording": rec, "class": cls, **pair} for pair in res["pairs"]]
        summary[cls] = {
            **bout_summary(list(results.values())),
            "min_pred_seconds": min_seconds,
            "merge_gap_seconds": merge_gap_seconds,
        }
    return summary, rows, details


def score_test_timelines(
    data: dict[str, np.ndarray],
    test: dict[str, np.ndarray],
    window_length: int,
    classes: list[str],
    interest_index: int | None,
    interest_names: list[str],
    decide: Callable[[np.ndarray], np.ndarray],
    sample_rate: float | None,
    evaluate: Any,
    source: Path,
) -> dict[str, Any]:
    """Stitch test scores per recording, predict per timestep, match bouts, score recordings.

    ``test`` holds the test windows' ``probs``, ``y``, ``y_pred``, ``rec``, ``start``;
    ``evaluate`` is the run's ``cfg.evaluate`` (bout cleaning, timeline recording).
    """
    rate = float(sample_rate) if sample_rate else 1.0
    labels = timeline_labels(data, test["rec"], source)
    timeline = stitch_timeline(
        test["probs"],
        test["rec"],
        test["start"],
        window_length,
        {r: len(v) for r, v in labels.items()},
    )
    predicted = predict_timesteps(timeline, decide)
    per_recording = None
    if interest_index is not None:
        per_recording = per_recording_scores(test["rec"], test["y"], test["y_pred"], interest_index, labels, predicted)
    summary, rows, details = score_bouts(
        labels,
        predicted,
        classes,
        interest_names,
        rate,
        evaluate.bout_min_seconds,
        evaluate.bout_merge_gap_seconds,
        window_length,
    )
    for s in summary.values():
        s["time_unit"] = "s" if sample_rate else "timesteps"
        s["collar_seconds"] = window_length / rate
    plot_rec = None
    if interest_index is not None:
        cls = classes[interest_index]
        counts = {r: int((lab == interest_index).sum()) for r, lab in labels.items()}
        plot_rec = evaluate.timeline_recording or timeline_recording(rows, cls, counts)
        if plot_rec not in timeline:
            raise ValueError(
                f"evaluate.timeline_recording = {plot_rec!r} is not a test recording; choose one of {sorted(timeline)}"
            )
        if cls in summary:  # which recording the timeline shows, and where the errors are (slides, figure)
            summary[cls].update(timeline_recording=plot_rec, errors_by_recording=_errors_by_recording(rows, cls))
    return {
        "timeline": timeline,
        "labels": labels,
        "predicted": predicted,
        "rate": rate,
        "collar_steps": window_length,
        "sample_rate": sample_rate,
        "per_recording": per_recording,
        "bouts": summary or None,
        "bouts_table": pd.DataFrame(rows) if rows else None,
        "bout_details": _with_time_decimals(pd.DataFrame(details), sample_rate) if details else None,
        "plot_recording": plot_rec,
    }


def _errors_by_recording(rows: list[dict], cls: str) -> dict[str, dict[str, int]]:
    """Missed and false-alarm bouts of ``cls`` per test recording that has any (``rows``: one
    per recording and class, :func:`score_bouts`), most errors first."""
    errors = {
        r["recording"]: {"missed": r["n_true"] - r["n_found"], "false_alarms": r["n_false_alarms"]}
        for r in rows
        if r["class"] == cls and (r["n_true"] > r["n_found"] or r["n_false_alarms"])
    }
    return dict(sorted(errors.items(), key=lambda kv: -sum(kv[1].values())))


def timeline_recording(rows: list[dict], cls: str, counts: dict[str, int]) -> str:
    """The test recording whose timeline shows where the model errs: the most missed plus
    false-alarm bouts of ``cls``, then the most true bouts, then the most timesteps of the
    class (``counts``: recording -> timesteps of ``cls``); the name breaks what is left."""
    per = {r["recording"]: r for r in rows if r["class"] == cls}

    def rank(rec: str) -> tuple:
        r = per.get(rec) or {"n_true": 0, "n_found": 0, "n_false_alarms": 0}
        return r["n_true"] - r["n_found"] + r["n_false_alarms"], r["n_true"], counts[rec], rec

    return max(counts, key=rank)


def errors_elsewhere(bouts: dict[str, Any], shown: str, listed: int = 4) -> str:
    """Where the timeline's recording ``shown`` leaves out errors: ``missed bouts in a04_r1 (1);
    false-alarm bouts in a05_r2 (3), a06_r1 (2)``, from a class's ``metrics.json["bouts"]``
    entry; empty when every error is on ``shown`` (or the entry predates the per-recording count)."""
    errors = {r: e for r, e in (bouts.get("errors_by_recording") or {}).items() if r != shown}
    parts = []
    for key, what in (("missed", "missed bouts"), ("false_alarms", "false-alarm bouts")):
        where = sorted(((r, e[key]) for r, e in errors.items() if e[key]), key=lambda re: (-re[1], re[0]))
        if where:
            more = f" and {len(where) - listed} more" if len(where) > listed else ""
            parts.append(f"{what} in " + ", ".join(f"{r} ({n})" for r, n in where[:listed]) + more)
    return "; ".join(parts)


def _with_time_decimals(table: pd.DataFrame, sample_rate: float | None) -> pd.DataFrame:
    """``table`` whose seconds columns (``*_s``) show one sample period's resolution in a
    report (2 decimals at 25-100 Hz): 101.36 s, not 101 (``style.table_html``)."""
    if sample_rate:
        digits = max(0, math.ceil(math.log10(sample_rate)))
        table.attrs["decimals"] = {c: digits for c in table.columns if str(c).endswith("_s")}
    return table
