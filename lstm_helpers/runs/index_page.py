"""``reports/index.html``: every run, sweep, search and comparison, with links.

One static page, no script, readable at 1280 px: runs show the columns that judge them
(precision and recall of the class of interest first), numbers go through
:func:`lstm_helpers.style.fmt_number` (integer columns stay integers even after a failed run
leaves a gap) and every text that comes from data -- run names, class names, reasons,
descriptions -- is HTML-escaped. Written by hand: the page is a few tables, pandas'
``to_html`` would need the same escaping and formatting code around it.
"""

from __future__ import annotations

import datetime as dt
import html
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
import yaml

from lstm_helpers.artifacts import read_json_optional, shown, write_text
from lstm_helpers.layout import INDEX_FILE, SEARCH_FILES, RunLayout, SweepLayout, holds_run
from lstm_helpers.runs.terminal import duration, plural
from lstm_helpers.style import fmt_number

RUN_COLUMNS = [
    ("run", "run"),
    ("status", "status"),
    ("class", "class"),
    ("threshold", "threshold"),
    # every score is the test split's (labelled so); accuracy and top-k head a run without a class
    # of interest (a character model's headline: accuracy beside the majority class, top-k)
    ("precision", "test precision"),
    ("recall", "test recall"),
    ("F1", "test F1"),
    ("accuracy", "test accuracy"),
    ("top-k accuracy", "test top-k acc."),
    ("PR-AUC", "test PR-AUC"),
    ("MCC", "test MCC"),
    ("balanced accuracy", "test bal. acc."),
    ("bouts", "bouts found"),
    # one column: its name broken at its parts, then its size and training below (four columns did
    # not fit 1280 px beside a character run's); fit time is stage 02's build, fit and save
    ("model", "model"),  # its cell says "131,905 params · 5 epochs · fit 9.9 s" below the name
]
# kinds of directories under reports/ that hold sweeps, searches and comparisons (their default folders)
CLASS_PR_AUC = "test PR-AUC (class)"  # the PR-AUC column's head where runs with a class of interest fill it
_MARK = "<meta name='generator' content='lstm-workbench'>"  # an index.html this package wrote
GROUPS = [("sweeps", "Sweeps"), ("search", "Searches"), ("comparisons", "Comparisons")]
# each kind is known by its own files, wherever it lies (a search or comparison written with --out)
_KIND_FILES = {
    "sweeps": ("sweep.json", "sweep.yaml", "runs.csv"),
    "search": SEARCH_FILES,
    "comparisons": ("comparison.json", "comparison.csv"),
}
_GROUP_DEPTH = 3  # reports/<folder>/<folder>/<group>: deeper folders are runs' own

_CSS = """
body {font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 16px 24px; max-width: 1232px}
h1 {font-size: 26px; margin: 0 0 4px 0} h2 {font-size: 20px; margin: 22px 0 6px 0}
.note {color: #555; margin: 0 0 10px 0}
table {border-collapse: collapse; font-size: 14px; width: 100%}
th, td {border: 1px solid #ddd; padding: 4px 7px; text-align: left; vertical-align: top}
th {background: #f4f4f4} td.num {text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap}
td.run {min-width: 150px; max-width: 330px; overflow-wrap: anywhere} td.model {min-width: 160px; max-width: 230px} .failed {color: #a31515} .finished {color: #26734d}
.reason {color: #a31515; font-size: 12px} .why {color: #555; font-size: 12px; white-space: normal; min-width: 70px}
"""


def _run_dirs(root: Path) -> list[Path]:
    """The run folders under ``root``, newest first by when each run started (status.json's
    ``started``; else when its params.yaml was written): a folder's name (``--out``) says nothing
    of its time."""
    if not root.is_dir():
        return []
    runs = [p for p in root.iterdir() if holds_run(p)]  # a search's shared prepared/ is no run
    return sorted(runs, key=lambda p: (_started(p), p.name), reverse=True)


def _started(run: Path) -> str:
    """When the run in ``run`` started, as an ISO time (sorts as text)."""
    started = read_json_optional(RunLayout(run).status).get("started")
    if started:
        return str(started)
    written = next((f for f in (RunLayout(run).params, RunLayout(run).status) if f.is_file()), None)
    return dt.datetime.fromtimestamp(written.stat().st_mtime).isoformat(timespec="seconds") if written else ""


def _link(href: Path, root: Path, text: str) -> str:
    # percent-encoded: a folder named "run #1" or "50%_run" is a path, not a fragment or an escape
    return f'<a href="{html.escape(quote(href.relative_to(root).as_posix()))}">{html.escape(text)}</a>'


def _cell(key: str, k: dict[str, Any]) -> str:
    if key == "bouts":
        v = f"{fmt_number(k['bouts found'])} of {fmt_number(k['bouts true'])}" if k.get("bouts true") else "–"
        return f'<td class="num">{v}</td>'
    v = k.get(key)
    if key == "threshold" and k.get("class"):  # how it was set, where not chosen on validation
        origin = str(k.get("threshold origin") or "")
        why = "" if v is None or origin.startswith("chosen") else f'<div class="why">{html.escape(origin)}</div>'
        evaluated = any(k.get(m) is not None for m in ("PR-AUC", "MCC", "balanced accuracy"))
        shown = fmt_number(v) if v is not None else ("argmax" if evaluated else "–")  # none chosen yet: not argmax
        return f'<td class="num">{shown}{why}</td>'
    if key == "accuracy":  # a run without a class of interest: its headline, beside always guessing the majority
        if k.get("class") or v is None:
            return "<td>–</td>"
        base = k.get("majority baseline")
        why = f'<div class="why">majority class {fmt_number(base)}</div>' if base is not None else ""
        return f'<td class="num">{fmt_number(v)}{why}</td>'
    if key == "top-k accuracy" and v is not None:  # beside always guessing the k most frequent classes
        base = k.get("top-k baseline")
        why = f"top {k.get('top k')}" + (
            f"; {k.get('top k')} most frequent {fmt_number(base)}" if base is not None else ""
        )
        return f'<td class="num">{fmt_number(v)}<div class="why">{html.escape(why)}</div></td>'
    if key == "model":
        return _model_cell(k)
    if key == "PR-AUC" and k.get("macro"):  # multi-class: the class of interest's own, else say macro
        if k.get("class"):
            v = k.get("class PR-AUC")
        elif v is not None:
            return f'<td class="num">{fmt_number(v)}<div class="why">macro average</div></td>'
    if isinstance(v, str) or v is None:
        return f"<td>{html.escape(v) if v is not None else '–'}</td>"
    return f'<td class="num">{fmt_number(v)}</td>'


def _model_cell(k: dict[str, Any]) -> str:
    """The model's name, breakable after each ``_`` (a long name wraps within the column instead of
    widening the page), and below it its parameters, epochs and fit time."""
    if not k.get("model"):
        return "<td>–</td>"
    name = html.escape(str(k["model"])).replace("_", "_<wbr>")
    facts = [
        f"{fmt_number(k['params'])} params" if k.get("params") is not None else "",
        plural(int(k["epochs"]), "epoch") if k.get("epochs") is not None else "",
        f"fit {duration(float(k['train s']))}" if k.get("train s") is not None else "",
    ]
    shown = " · ".join(f for f in facts if f)
    return f'<td class="model">{name}' + (f'<div class="why">{html.escape(shown)}</div>' if shown else "") + "</td>"


def missing_files(lay: RunLayout, status: str) -> list[str]:
    """What a finished run lacks of what it wrote (removed by hand, or a copy made without it),
    and what brings it back: without a word its row read "finished" with every figure "–", as a
    run that measured nothing."""
    if status != "finished":
        return []
    d = shlex.quote(shown(lay.root))
    again = f"lstm-workbench report --run {d} writes it (and slides.html) again"
    if lay.metrics.is_file():
        return [] if lay.report.is_file() else [f"{lay.report.name} is missing: {again}"]
    lost = f"{lay.metrics.name} is missing (removed, or not copied with the run), so no test figure is shown"
    if lay.report.is_file():
        return [f"{lost}; its {lay.report.name}, written before, still shows them"]
    return [f"{lost}; {lay.report.name} is missing too: put {lay.metrics.name} back, then {again}"]


def _runs_html(root: Path) -> str:
    from lstm_helpers.runs.report import key_metrics, scrub_paths

    runs = _run_dirs(root)
    if not runs:
        return "<p>No runs yet.</p>"
    rows, of_class = [], False
    for run in runs:
        k = key_metrics(run)
        of_class = of_class or bool(k.get("class") and k.get("PR-AUC") is not None)
        lay = RunLayout(run)
        name = _link(lay.report, root, run.name) if lay.report.is_file() else html.escape(run.name)
        if lay.slides.is_file():
            name += f" · {_link(lay.slides, root, 'slides')}"
        if k.get("reason") and k["status"] != "finished":
            name += f'<div class="reason">{html.escape(scrub_paths(str(k["reason"]), run))}</div>'
            if k.get("resume"):  # an interrupted run: the command that finishes it
                name += f'<div class="reason">resume: <code>{html.escape(scrub_paths(k["resume"], run))}</code></div>'
        for note in missing_files(lay, k["status"]):  # a finished run's files removed by hand: said, not "–" alone
            name += f'<div class="reason">{html.escape(scrub_paths(note, run))}</div>'
        status = f'<td class="{html.escape(k["status"])}">{html.escape(k["status"])}</td>'
        rows.append([f'<td class="run">{name}</td>', status, *(_cell(key, k) for key, _ in RUN_COLUMNS[2:])])
    # a column no run fills (class, threshold and bouts of multi-class runs without a class of interest) is left out
    keep = [i for i in range(len(RUN_COLUMNS)) if i < 2 or any(not r[i].endswith(">–</td>") for r in rows)]
    # the class of interest's PR-AUC where a run has one (a run without shows the macro average, said in its cell)
    labels = [CLASS_PR_AUC if of_class and key == "PR-AUC" else label for key, label in RUN_COLUMNS]
    head = "".join(f"<th>{html.escape(labels[i])}</th>" for i in keep)
    body = "".join("<tr>" + "".join(r[i] for i in keep) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _group_row(d: Path, root: Path) -> str:
    lay = SweepLayout(d)
    spec_file = next((f for f in (lay.spec, d / "search.yaml") if f.is_file()), None)
    description = ""
    if spec_file is not None:
        try:
            description = str((yaml.safe_load(spec_file.read_text()) or {}).get("description") or "")
        except yaml.YAMLError:
            description = ""
    runs = ""
    listed = lay.runs_csv if lay.runs_csv.is_file() else None
    if listed is None and not lay.trials.is_file() and lay.comparison_csv.is_file():
        listed = lay.comparison_csv  # a comparison has no runs.csv: its table has a row per run
    if listed is not None:
        table = pd.read_csv(listed)
        done = int((table.get("status") == "finished").sum()) if "status" in table else len(table)
        runs = f"{done} of {plural(len(table), 'run')} finished"
    elif lay.trials.is_file():
        from lstm_helpers.experiments.trials import trials_count

        runs = trials_count(d, len(pd.read_csv(lay.trials)))
    description = description or str(read_json_optional(lay.comparison_json).get("description") or "")
    links = [_link(lay.comparison_html, root, "comparison")] if lay.comparison_html.is_file() else []
    if lay.slides.is_file():
        links.append(_link(lay.slides, root, "slides"))
    if lay.best_config.is_file():
        links.append(_link(lay.best_config, root, "best config"))
    return (
        f'<tr><td class="run">{html.escape(_group_name(d, root))}</td><td>{" · ".join(links) or "–"}</td>'
        f"<td>{html.escape(runs) or '–'}</td><td>{_best_figures(d)}</td><td>{html.escape(description) or '–'}</td></tr>"
    )


def _best_figures(d: Path) -> str:
    """The comparison's answer in figures: its best run by validation (the page's own rule,
    :meth:`~lstm_helpers.experiments.display.Comparison.best`), its validation figure and the
    test figure beside it, labelled; where no run is named best (other data or validation
    recordings), the best configuration's means, else why there is none."""
    from lstm_helpers.experiments.display import Comparison
    from lstm_helpers.experiments.tasks import configuration_ranking

    if not SweepLayout(d).comparison_csv.is_file():
        return "–"
    from lstm_helpers.experiments.compare import read_comparison

    try:
        c = Comparison(*read_comparison(d), d)
        q, best = c.rank_by, c.best()
    except (OSError, ValueError, KeyError):  # a half-written comparison.csv (pandas' errors are ValueErrors)
        return "–"
    test = "test_" + str(q).removeprefix("val_")
    if best is not None:
        shown = [f"{m} {fmt_number(best[m])}" for m in (q, test) if m in best and pd.notna(best[m])]
        return html.escape(" · ".join(shown)) or "–"
    configs = configuration_ranking(c)
    if configs is not None:
        top = configs.iloc[0]
        shown = [f"{m} {top[m]}" for m in (q, test) if m in top]
        return html.escape(f"best configuration, mean over {top['splits']} splits: " + " · ".join(shown))
    if c.tasks or c.splits:
        return "none: " + ("the runs differ in data or classes" if c.tasks else "validated on different recordings")
    return "–"


def _group_name(d: Path, root: Path) -> str:
    """Its name, or its path under ``root`` where it is not in its kind's default folder."""
    rel = d.relative_to(root)
    return d.name if len(rel.parts) == 2 and rel.parts[0] == group_kind(d) else rel.as_posix()


def group_kind(d: Path) -> str | None:
    """``sweeps``, ``search`` or ``comparisons`` by the files ``d`` holds (None: none of them)."""
    return next((kind for kind, files in _KIND_FILES.items() if any((d / f).is_file() for f in files)), None)


def find_groups(root: Path) -> dict[str, list[Path]]:
    """The sweeps, searches and comparisons anywhere under ``root`` (not ``root`` itself, nor
    inside a run or a group), by kind, newest name first; ``reports/search_small`` written with
    ``--out`` as much as ``reports/search/<id>``."""
    found: dict[str, list[Path]] = {kind: [] for kind, _ in GROUPS}
    level = [root]
    for _ in range(_GROUP_DEPTH):
        below = []
        for d in level:
            for p in sorted(d.iterdir()) if d.is_dir() else []:
                lay = RunLayout(p)
                if not p.is_dir() or p.name.startswith((".", "_")) or lay.params.is_file() or lay.status.is_file():
                    continue  # a run (its figures, members, ...) holds no group
                kind = group_kind(p)
                if kind:
                    found[kind].append(p)
                else:
                    below.append(p)  # a folder of groups (reports/search) or of anything else
        level = below
    return {kind: sorted(dirs, key=lambda p: p.name, reverse=True) for kind, dirs in found.items()}


def _groups_html(root: Path) -> str:
    parts = []
    groups = find_groups(root)
    for sub, title in GROUPS:
        dirs = groups[sub]
        if not dirs:
            continue
        rows = "".join(_group_row(d, root) for d in dirs)
        parts.append(
            f"<h2>{title}</h2><table><tr><th>name</th><th>pages</th><th>runs</th>"
            f"<th>best by validation (its test figure beside it)</th><th>description</th></tr>{rows}</table>"
        )
    return "".join(parts)


def reports_root(group_dir: Path) -> Path | None:
    """The reports folder whose index lists ``group_dir`` (a sweep, search or comparison): the
    folder above its kind's default one (``reports/search/<id>``), else its parent, when that is
    a reports folder (it has an index or runs, or it is where runs go by default)."""
    from lstm_helpers.config import resolve_path

    group_dir = Path(group_dir).resolve()
    if group_dir.parent.name in {sub for sub, _ in GROUPS}:
        return group_dir.parent.parent
    parent = group_dir.parent
    if (parent / INDEX_FILE).is_file() or parent == resolve_path("reports").resolve() or _run_dirs(parent):
        return parent
    return None


def write_index(root: Path) -> Path:
    """``<root>/index.html``: every run with its key metrics and links, then sweeps, searches
    and comparisons."""
    root = Path(root)
    path = root / INDEX_FILE
    head = path.read_text(errors="replace")[:2000] if path.is_file() else _MARK
    if _MARK not in head and "<title>lstm-workbench reports</title>" not in head:  # (older pages: no mark)
        return path  # someone else's index.html (a project's home page): never overwritten
    now = dt.datetime.now()
    when = f"{now.day} {now:%b %Y, %H:%M}"  # "2 Dec 2026, 03:45" (strftime's %-d is not portable)
    lay = SweepLayout(root)  # a sweep's or search's folder: its own pages first
    own = [
        _link(f, root, text) for f, text in ((lay.comparison_html, "comparison"), (lay.slides, "slides")) if f.is_file()
    ]
    pages = f"<p>This folder's pages: {' · '.join(own)}</p>" if own else ""
    runs = _runs_html(root)
    what = " Columns headed test are scores on each run's test split." + (  # said where the table has those columns
        " Precision, recall and F1 are the class of interest's, at each run's threshold: chosen on validation "
        "unless its column says otherwise."
        + (
            " PR-AUC is the class of interest's against the rest (a run without one: the macro average over "
            "classes, as its cell says)."
            if f"<th>{CLASS_PR_AUC}</th>" in runs
            else ""
        )
        if "<th>test precision</th>" in runs
        else ""
    )
    if "<th>test precision</th>" in runs and "<th>test accuracy</th>" in runs:  # both kinds of run listed
        what += (
            " Test accuracy is given for runs without a class of interest (beside always guessing the majority"
            " class); for a run with one it is left out (–) though known: on imbalanced data it mostly counts"
            " the majority class, so that run's precision and recall judge it."
        )
    page = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>{_MARK}<title>lstm-workbench reports</title>"
        f"<style>{_CSS}</style></head><body><h1>lstm-workbench reports</h1>{pages}"
        f"<p class='note'>Updated {when}.{what}</p><h2>Runs</h2>{runs}{_groups_html(root)}</body></html>"
    )
    return write_text(path, page)
