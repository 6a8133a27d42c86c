"""A comparison's word on its speed figures when some run's ``seconds_per_epoch`` is its only
measured epoch with graph tracing included (a 1-epoch sweep): that figure ranks how long
TensorFlow took to trace the model, not how fast it trains. train.json's ``timing_basis`` says
which epochs a run's figure uses (:meth:`lstm_helpers.model.timing.TimingCallback.steady_epoch_seconds`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

# in timing_basis when no epoch after the first of a fit call was measured (a test keeps it TimingCallback's)
TRACING_MARK = "incl. graph tracing"


def traced_runs(fin: pd.DataFrame) -> list[str]:
    """The runs of ``fin`` (finished runs of a comparison) whose seconds_per_epoch includes tracing."""
    if "timing_basis" not in fin or fin.empty:
        return []
    hit = fin["timing_basis"].fillna("").astype(str).str.contains(TRACING_MARK, regex=False)
    return fin.loc[hit, "run"].astype(str).tolist()


def tracing_note_html(fin: pd.DataFrame) -> str:
    """One paragraph for under the time columns and the quality-vs-time plot; '' when no run's
    seconds_per_epoch includes tracing."""
    runs = traced_runs(fin)
    if not runs:
        return ""
    who = "every run" if len(runs) == len(fin) else f"{len(runs)} of {len(fin)} runs"
    return (
        f"<p><i>seconds_per_epoch of {who} is its first and only measured epoch, graph tracing included "
        "(train.json timing_basis: only the first epoch): it measures TensorFlow's start-up more than training "
        "speed, and so does a 1-epoch total_seconds. Compare speed on runs of 2 epochs or more.</i></p>"
    )


def parallel_note_html(fin: pd.DataFrame) -> str:
    """A paragraph when the runs' times were taken several runs at a time (a sweep's workers share
    the machine: each run got a share of its cores) or under different conditions; '' otherwise.
    A sweep's 1-thread runs read "2 logical cores" on their device line and were compared with
    runs timed alone."""
    kinds = fin["timed_with"].dropna().astype(str).unique().tolist() if "timed_with" in fin else []
    if not kinds or kinds == ["1 at a time, all thread(s)"]:
        return ""
    how = kinds[0] if len(kinds) == 1 else "under different conditions (" + "; ".join(sorted(kinds)) + ")"
    return (
        f"<p><i>Times were taken {how}, runs sharing the machine: compare them with each other, not with "
        "runs timed on their own (train.json threads, parallel_runs).</i></p>"
    )


def tracing_note(c: Any) -> Any:
    """:func:`tracing_note_html` of a comparison's finished runs as notebook output (None: nothing to say)."""
    from lstm_helpers.experiments.html_tables import as_html

    if len(c.finished) < 2:  # no speed to compare: the section steps aside, as its plot does
        return None
    text = tracing_note_html(c.finished) + parallel_note_html(c.finished)
    return as_html(text) if text else None
