"""What a command on an existing run says when the run lacks an artifact: the earlier stage that
writes it, or, where that stage failed, why (running it again unchanged only repeats the error)."""

from __future__ import annotations

from pathlib import Path

from lstm_helpers.artifacts import read_json_optional
from lstm_helpers.layout import RunLayout


def earlier_stage(path: str, artifact: str) -> str:
    """The command that writes ``artifact`` (a RunLayout attribute name) of the run at ``path``;
    where that stage failed (``status.json``), why, and that running it unchanged repeats it."""
    st = read_json_optional(RunLayout(Path(path)).status)
    stage = {"model": "train", "metrics": "evaluate", "threshold": "evaluate"}.get(artifact)
    if stage and st.get("status") == "failed" and st.get("stage") == stage:
        why = str(st.get("reason") or "no reason recorded").removeprefix(f"{stage} failed ")
        return (
            f"its {stage} stage failed ({why}), and running it again unchanged fails the same way: change "
            f"what the error names, e.g. lstm-workbench {stage} --run {path} --set KEY=VALUE (the executed "
            f"{RunLayout(Path(path)).notebook(stage).name} there shows the error in full)"
        )
    if artifact == "model":
        return f"run the earlier stage first: lstm-workbench train --run {path}"
    if artifact in ("metrics", "threshold"):
        return f"run the earlier stage first: lstm-workbench evaluate --run {path}"
    if artifact == "params":
        return "not a run directory; give one made by lstm-workbench run or lstm-workbench prepare"
    return "prepare a run first: lstm-workbench prepare --config <config> --out <dir>, then give that <dir>"
