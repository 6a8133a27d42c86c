"""reports/index.html says what a run really lacks (review B, session 36): a run killed after
stage 03 finished, while its pages were written, read "stopped during stage evaluate"; a
finished run whose metrics.json was deleted showed "finished" with every figure "–" and no
word; a truncated status.json showed "unknown" without saying why."""

from __future__ import annotations

import html
import json
import re
import socket
import subprocess
import sys
from pathlib import Path

from lstm_helpers.layout import RunLayout
from lstm_helpers.runs.index_page import write_index
from lstm_helpers.runs.pipeline import finish_pages, run_status

ALL = ["prepare", "train", "evaluate"]


def _dead_pid() -> int:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    return dead.pid


def _run(root: Path, name: str, status: dict | str | None, *files: str) -> Path:
    """A run folder with ``params.yaml``, ``status.json`` (a dict as JSON, a text as it is, None:
    none) and ``files`` (their content does not matter to the index)."""
    run = root / name
    run.mkdir(parents=True)
    RunLayout(run).params.write_text("seed: 1\n")
    if status is not None:
        RunLayout(run).status.write_text(status if isinstance(status, str) else json.dumps(status))
    for f in files:
        (run / f).write_text("{}")
    return run


def _row_text(index: Path, run: str) -> str:
    """The run cell of ``run``'s row in the index, as the reader sees it."""
    page = index.read_text()
    cell = re.search(rf'<td class="run">((?:(?!</td>).)*{re.escape(run)}(?:(?!</td>).)*)</td>', page)
    assert cell, page
    return html.unescape(re.sub(r"<[^>]+>", " ", cell.group(1)))


def test_a_run_killed_while_its_pages_were_written_says_only_its_pages_are_missing(tmp_path, monkeypatch):
    """Killed after stage 03 ended: its status still names stage evaluate (it moves on only once
    the pages are written), every stage is in stages_done; the index said "stopped during stage
    evaluate" and offered a whole run again."""
    monkeypatch.chdir(tmp_path)
    st = {
        "status": "running",
        "stage": "evaluate",
        "stages_done": ALL,
        "pid": _dead_pid(),
        "host": socket.gethostname(),
    }
    run = _run(tmp_path / "reports", "r1", st, "metrics.json", "slides.html")
    got = run_status(run)
    assert got["status"] == "interrupted"
    assert "during stage evaluate" not in got["reason"], got["reason"]
    assert "after every stage had finished" in got["reason"] and "report.html and slides.html" in got["reason"]
    assert got["resume"] == "lstm-workbench report --run reports/r1"
    text = _row_text(write_index(tmp_path / "reports"), "r1")
    assert "only its pages (report.html and slides.html) are missing" in text, text
    assert "lstm-workbench report --run reports/r1" in text, text
    finish_pages(run)  # what `report --run` does first: the run is finished, as its pages will say
    assert run_status(run)["status"] == "finished"


def test_a_run_killed_between_two_stages_says_which_had_finished(tmp_path):
    st = {"status": "running", "stage": "prepare", "stages_done": ["prepare"], "pid": _dead_pid()}
    st["host"] = socket.gethostname()
    run = _run(tmp_path, "r2", st)
    reason = run_status(run)["reason"]
    assert "after stage prepare had finished, before stage train began" in reason, reason
    assert run_status(run)["resume"].startswith("lstm-workbench run --config")  # stage 02 onwards, not the pages


def test_an_unreadable_or_missing_status_says_why_the_state_is_unknown(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _run(tmp_path / "reports", "broken", '{\n  "status": "running",\n  "updated": "2')  # cut off mid-write
    _run(tmp_path / "reports", "binary", None)
    RunLayout(tmp_path / "reports" / "binary").status.write_bytes(b'{"status": "\xff\xfe')
    _run(tmp_path / "reports", "nostatus", None)
    broken = run_status(tmp_path / "reports" / "broken")
    assert broken["status"] == "unknown" and "status.json could not be read" in broken["reason"], broken
    assert "status.json could not be read" in run_status(tmp_path / "reports" / "binary")["reason"]
    index = write_index(tmp_path / "reports")
    assert "status.json could not be read (truncated or not JSON" in _row_text(index, "broken")
    assert "no status.json in the run's folder" in _row_text(index, "nostatus")


def test_a_finished_run_without_its_metrics_or_report_says_so(tmp_path, monkeypatch):
    """Every figure "–" beside "finished" read as a run that measured nothing."""
    monkeypatch.chdir(tmp_path)
    done = {"status": "finished", "stages_done": ALL}
    _run(tmp_path / "reports", "nometrics", done, "report.html", "train.json")
    _run(tmp_path / "reports", "noreport", done, "metrics.json", "train.json")
    _run(tmp_path / "reports", "neither", done, "train.json")
    _run(tmp_path / "reports", "whole", done, "metrics.json", "report.html", "train.json")
    index = write_index(tmp_path / "reports")
    text = _row_text(index, "nometrics")
    assert "metrics.json is missing" in text and "no test figure is shown" in text, text
    assert "its report.html, written before, still shows them" in text
    assert "report.html is missing: lstm-workbench report --run reports/noreport writes it" in _row_text(
        index, "noreport"
    )
    text = _row_text(index, "neither")
    assert "metrics.json is missing" in text and "put metrics.json back, then lstm-workbench report --run" in text
    assert "missing" not in _row_text(index, "whole")
