"""What a run prints on the terminal: one line per stage, one compact line per epoch.

Numbers are rounded for people (``1 min 52 s``, not ``112.41337 s``), counts get the right
plural (``1 false alarm``, ``2 false alarms``) and paths are shown so they open from the working
directory (``reports/<run>``; ``~/...`` or absolute when outside it); pages never hold absolute paths.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import TextIO

from lstm_helpers.config import PROJECT_ROOT

# the stdout lines of a stage notebook that reach the terminal (the rest stays in the notebook)
PROGRESS_LINE = re.compile(
    r"^\s*(epoch \d+/\d+|stopped after epoch \d+|Epoch \d+: (early stopping|ReduceLROnPlateau)"
    r"|continued after epoch \d+ of \d+|ensemble:|member \d+/\d+ \(seed|train\.top_k = \d+ clamped"
    r"|note: val_\w+ is undefined \(shown as –\))"  # model/timing.py::undefined_note
)
# the stderr lines of a stage notebook that reach the terminal, as "note: <message>": warnings of
# these kinds (style.plain_warning writes "<Category>: <message>"); every other warning stays in
# the notebook and the report's warnings panel
NOTE_WARNING = re.compile(r"^\s*(?:BudgetWarning): (.+)$")
# where a long epoch stands (model/timing.py: ends in a carriage return, which the epoch line
# overwrites); the terminal shows it as a line (``splitlines`` splits at "\r"), a report leaves it out
IN_EPOCH_LINE = re.compile(r"^\s*epoch \d+/\d+  step \d+/\d+")


def plural(n: int | float, word: str, plural_word: str | None = None) -> str:
    """``plural(1, "run") == "1 run"``, ``plural(3, "false alarm") == "3 false alarms"``."""
    n_int = int(n) if float(n).is_integer() else n
    return f"{n_int} {word if n_int == 1 else (plural_word or word + 's')}"


def already_said(exc: BaseException | None) -> bool:
    """Whether a stop was already said on the terminal (``said``, set by a sweep's
    "[sweep] interrupted: ..." line), by ``exc`` or an exception it interrupted: a second
    Ctrl-C during the sweep's stop raises anew while the first is handled, and the command
    line then adds no bare "interrupted" after the sweep's line."""
    while exc is not None:
        if getattr(exc, "said", False):
            return True
        exc = exc.__context__
    return False


def duration(seconds: float) -> str:
    """``4.2 s``, ``52 s``, ``1 min 52 s``, ``1 h 03 min``."""
    if seconds != seconds:  # NaN
        return "?"
    if seconds < 10:
        return f"{seconds:.1f} s"
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {(s % 3600) // 60:02d} min"


def display_path(path: str | Path) -> str:
    """A path as the person at the terminal can open it from where they are: relative to the
    working directory when inside it, or beside it with at most two ``..`` (``../sweeps/x``);
    else under the home folder as ``~/...``, else absolute. (A path cut to its last parts,
    ``dir/x.csv`` for ``/data/out/dir/x.csv``, named a file that is not there.) Pages and files
    written under ``reports/`` use :func:`page_path`, which is never absolute."""
    p = Path(path)
    if not p.is_absolute():
        return p.as_posix()
    near = _near_cwd(p)
    if near is not None:
        return near
    there = p.resolve()
    try:
        return (Path("~") / there.relative_to(Path.home().resolve())).as_posix()
    except (ValueError, RuntimeError):  # not under home, or no home
        return there.as_posix()


def _near_cwd(p: Path) -> str | None:
    """``p`` relative to the working directory when inside it or at most two ``..`` beside it
    (not up to ``/`` and down again); None otherwise."""
    here, there = Path.cwd().resolve(), p.resolve()
    near = Path(os.path.relpath(there, here))
    shared = Path(os.path.commonpath([here, there]))
    if near.parts.count("..") <= 2 and shared != Path(shared.anchor):
        return near.as_posix()
    return None


def page_path(path: str | Path) -> str:
    """A path for a page or a file under ``reports/``, never absolute (a report is read on
    other machines): relative to the project root (or the working directory) when inside it;
    beside the working directory, relative to it with at most two ``..``; else its last two
    parts."""
    p = Path(path)
    if not p.is_absolute():
        return p.as_posix()
    for base in (PROJECT_ROOT, Path.cwd()):
        try:
            rel = p.resolve().relative_to(base.resolve())
        except ValueError:
            continue
        if rel.parts:  # "." says nothing: fall through to the name
            return rel.as_posix()
    return _near_cwd(p) or Path(*p.parts[-2:]).as_posix()


def stage_start_line(stage: str, notebook: Path) -> str:
    """``[evaluate] 03_evaluate.ipynb in reports/<run>``; before stage 03, one ``note:`` line per
    threshold setting its decision leaves without effect, known only once stage 01 has named the
    classes (:func:`~lstm_helpers.unused.decision_notes`: an argmax run's evaluate.min_precision)."""
    lines = [f"[{stage}] {notebook.name} in {display_path(notebook.parent)}"]
    if stage == "evaluate":
        from lstm_helpers.artifacts import read_json_optional, read_params
        from lstm_helpers.config import resolve_config
        from lstm_helpers.layout import RunLayout
        from lstm_helpers.unused import decision_notes

        prep = read_json_optional(RunLayout(notebook.parent).prepare_json)
        params = read_params(notebook.parent)
        lines += [f"note: {n}" for n in decision_notes(resolve_config(params), prep)] if prep and params else []
    return "\n".join(lines)


def stage_done_line(stage: str, seconds: float, run_dir: Path | None = None, earlier: float = 0.0) -> str:
    """``[prepare] done in 6.4 s``, and after stage 01 one ``note:`` line per note of its data
    (``prepare.json``): what it changed or could not do (labels mapped to the other class, a
    label that differs from a class_map key only in case, gaps filled, a group in two splits)
    was said only inside the notebook and the report. ``earlier``: the stage's seconds in
    stopped attempts of a resumed run (``[train] done in 52 s, 1 min 41 s in all attempts``:
    the time ``status.json`` and the report give it). A sampler that changed the training windows
    gets its own ``resample: smote: chase 147 -> 798 windows (651 synthetic)`` line first."""
    total = f", {duration(seconds + earlier)} in all attempts" if earlier > 0 else ""
    lines = [f"[{stage}] done in {duration(seconds)}{total}"]
    if stage == "prepare" and run_dir is not None:
        from lstm_helpers.artifacts import read_json_optional
        from lstm_helpers.layout import RunLayout

        prep = read_json_optional(RunLayout(run_dir).prepare_json)
        if said := (prep.get("resample") or {}).get("summary"):  # what resampling did to the training windows
            lines.append(f"resample: {said}")
        lines += [f"note: {n}" for n in prep.get("notes") or []]
    return "\n".join(lines)


def run_time_phrase(status: dict) -> str:
    """``ran 41 s: prepare 4.8 s, train 14 s, evaluate 9.5 s`` from ``status.json``: the wall
    times the terminal printed as ``[<stage>] done in``, kernel work included (the report's
    "fit time" is stage 02's fit alone). A resumed run's total and each stage's time count every
    attempt (``ran 52 s in all attempts: ...``, runs/run_clock.py); one recorded before runs kept that
    (no ``elapsed_seconds``: ``seconds`` cover the last attempt only) lists its stages without a
    total; empty before any stage is timed."""
    stages = status.get("stage_seconds") or {}
    parts = ", ".join(f"{stage} {duration(float(s))}" for stage, s in stages.items())
    total, resumed = status.get("seconds"), bool(status.get("resumed"))
    if total is not None and status.get("status") == "finished" and (not resumed or "elapsed_seconds" in status):
        return f"ran {duration(float(total))}{' in all attempts' if resumed else ''}" + (f": {parts}" if parts else "")
    return f"stages took {parts}" if parts else ""


class ProgressEcho:
    """A file-like ``stdout_file`` for papermill that passes on only progress lines.

    papermill writes each stream output of a cell to it; the epoch lines of the training
    stage reach the terminal, everything else stays in the executed notebook only.
    """

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stdout

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if PROGRESS_LINE.match(line):
                self.stream.write(line.rstrip() + "\n")
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


class NoteEcho:
    """A file-like ``stderr_file`` for papermill that passes on only the warnings a person at the
    terminal must see (:data:`NOTE_WARNING`: a training budget too small), each as one
    ``note: <message>`` line, without the warning's category; a line split over two writes is
    joined first."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stdout
        self._partial = ""

    def write(self, text: str) -> int:
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            if m := NOTE_WARNING.match(line):
                self.stream.write(f"note: {m.group(1).rstrip()}\n")
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


def stage_echoes(on: bool, notes: bool | None = None) -> dict[str, ProgressEcho | NoteEcho | None]:
    """papermill's ``stdout_file`` / ``stderr_file`` for a stage notebook run from the terminal:
    its epoch lines (``on``) and its budget warnings (``notes``, default ``on``) reach it, nothing
    else. ``--quiet`` drops the epoch lines only: a warning that training is too short still prints."""
    notes = on if notes is None else notes
    return {"stdout_file": ProgressEcho() if on else None, "stderr_file": NoteEcho() if notes else None}
