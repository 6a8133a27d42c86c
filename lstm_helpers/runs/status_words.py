"""What a run's status says when it is not simply running or finished: why a run whose process
is gone stopped, and why its state is unknown (:func:`lstm_helpers.runs.pipeline.run_status`;
reports/index.html, the report and the slides show these reasons)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PAGES = ("report.html", "slides.html")  # what `lstm-workbench report --run` writes after stage 03


def stopped_reason(st: dict[str, Any], who: str, stages: tuple[str, ...]) -> str:
    """Why a ``running`` run whose process is gone stopped, by what it had done (``stages_done``):
    during a stage; after one had finished, before the next began; or after the last one (its
    kernel closing, its pages being written: ``stage`` still names stage 03 until the status
    moves on): then only the pages are missing, not stage 03's results."""
    stage, done = st.get("stage") or "?", list(st.get("stages_done") or [])
    died = "(killed, crashed, or the machine restarted)"
    if done == list(stages):
        return (
            f"{who} stopped after every stage had finished, before its pages were written {died}: "
            f"its results are all there; only its pages ({' and '.join(PAGES)}) are missing or out of date"
        )
    if stage in done and stage in stages:
        later = stages[stages.index(stage) + 1 :]
        return f"{who} stopped after stage {stage} had finished, before stage {later[0] if later else '?'} began {died}"
    return f"{who} stopped during stage {stage} without finishing {died}"


def unreadable_status(path: Path) -> str:
    """Why a run's state is unknown: its ``status.json`` is missing, or cannot be read (truncated
    by a full disk or a kill while it was written, edited by hand), with the reader's error."""
    if not path.is_file():
        return f"no {path.name} in the run's folder: it never started, or the folder was copied without it"
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return f"{path.name} could not be read (truncated or not JSON: {str(exc)[:120]}), so the run's state is unknown"
    kind = type(data).__name__
    return f"{path.name} holds no status (a JSON {kind} without a status), so the run's state is unknown"
