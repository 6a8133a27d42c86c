"""One presentation-ready HTML page per run that leads with the answer.

The first screen (1280x720) holds one plain sentence -- what was found, how precisely, at
which threshold, how many bouts -- beside the confusion matrix and the precision/recall
curve with the chosen point. Below: a table of contents, the key metrics, then the three
executed stage notebooks (code hidden) with their logs collapsed and absolute paths
replaced by the run's name (:mod:`lstm_helpers.runs.report_paths`). The page is self-contained:
figures are embedded and the nbconvert template (``templates/report``) loads no script or
style from the internet.

Rendering is nbconvert's ``HTMLExporter``; written here are only the answer section, the
output clean-up and the joining. The index page is :mod:`lstm_helpers.runs.index_page`.
"""

from __future__ import annotations

import base64
import html
import re
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat

from lstm_helpers.artifacts import flatten, read_json_optional, read_params, write_text
from lstm_helpers.data.units import example_unit, metrics_unit, one
from lstm_helpers.display import NOT_DRAWN
from lstm_helpers.judge.captions import flagging_phrase, pr_curve_alt, threshold_phrase
from lstm_helpers.judge.validation_notes import BOTH_SPLITS, pr_auc_is_macro
from lstm_helpers.layout import STAGE_NOTEBOOKS, RunLayout
from lstm_helpers.runs.headline_parts import (
    class_phrase,
    most_frequent_words,
    overall_phrases,
    precision_recall_phrase,
    recall_counts,
    says_much,
)
from lstm_helpers.runs.params_chosen import chosen_words
from lstm_helpers.runs.report_paths import path_replacements, scrub_paths
from lstm_helpers.runs.terminal import IN_EPOCH_LINE, PROGRESS_LINE, display_path, page_path, plural, run_time_phrase
from lstm_helpers.style import breakable, fmt_number
from lstm_helpers.unused import unread_keys

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STAGE_TITLES = {"prepare": "Data preparation", "train": "Training", "evaluate": "Evaluation"}
HERO_TABLE_CLASSES = 8  # up to this many classes the first screen's confusion matrix is a table
LOG_LINES_SHOWN = 8  # stream outputs longer than this (and every epoch log) are collapsed


def _status(run: Path) -> dict:
    from lstm_helpers.runs.pipeline import run_status

    return run_status(run)


def key_metrics(run: Path) -> dict[str, Any]:
    """The numbers a run is judged by (flat dict; missing ones are None)."""
    lay = RunLayout(Path(run))
    m, t, p = (read_json_optional(f) for f in (lay.metrics, lay.train_json, lay.prepare_json))
    status = _status(lay.root)
    pos = m.get("positive_class") or (p.get("classes_of_interest") or [None])[0]
    pc = (m.get("per_class") or {}).get(pos, {}) if pos else {}
    bouts = (m.get("bouts") or {}).get(pos, {}) if pos else {}
    return {
        "run": lay.root.name,
        "status": status.get("status", "unknown"),
        "model": t.get("model_name")
        and t["model_name"] + (f" (ensemble of {t['ensemble']})" if t.get("ensemble", 1) > 1 else ""),
        "params": t.get("n_params"),
        "epochs": t.get("epochs_run"),
        "s/epoch": t.get("seconds_per_epoch_mean", t.get("seconds_per_epoch")),
        # the mean leaves each fit's first epoch out (graph tracing): that one is said beside it
        "first epoch s": (t.get("seconds_per_epoch") or [None])[0]
        if "excluding" in str(t.get("timing_basis", ""))
        else None,
        "train s": t.get("total_seconds"),
        "accuracy": m.get("accuracy"),
        "majority baseline": m.get("majority_baseline_accuracy"),
        "balanced accuracy": m.get("balanced_accuracy"),
        "MCC": m.get("mcc"),
        "PR-AUC": m.get("pr_auc"),
        "top-k accuracy": m.get("top_k_accuracy"),
        "top-k baseline": m.get("top_k_baseline_accuracy"),
        "top k": m.get("top_k"),
        "macro": pr_auc_is_macro(m),  # PR-AUC is the macro average over classes
        "class PR-AUC": (m.get("pr_auc_per_class") or {}).get(pos) if pos else None,
        "class": pos,
        "precision": pc.get("precision"),
        "recall": pc.get("recall"),
        "F1": pc.get("f1"),
        "threshold": m.get("threshold"),
        "threshold origin": m.get("threshold_origin") or _older_threshold_origin(m),
        "bout recall": bouts.get("bout_recall"),
        "bout precision": bouts.get("bout_precision"),
        "bouts true": bouts.get("n_true"),
        "bouts found": bouts.get("n_found"),
        "false alarms": bouts.get("n_false_alarms"),
        "reason": status.get("reason"),
        "resume": status.get("resume"),
    }


def _older_threshold_origin(m: dict) -> str:
    """How the threshold was set, for a ``metrics.json`` written before it said so itself."""
    if not m.get("threshold_strategy"):
        return "chosen on validation"
    from lstm_helpers.judge.metrics import threshold_origin  # scikit-learn: imported only here

    return threshold_origin(m, metrics_unit(m))


def _baseline_phrase(m: dict, pos: str | None) -> str:
    """``MiniRocket baseline: precision 0.51, recall 0.78`` when metrics.json has a baseline (without a
    class of interest, the balanced accuracy and MCC the sentence gives the model)."""
    b = m.get("baseline")
    if not isinstance(b, dict) or b.get("available") is False:
        return ""
    name = b.get("label") or b.get("name") or "baseline"
    pc = (b.get("per_class") or {}).get(pos, {}) if pos else {}
    if pc.get("precision") is not None and pc.get("recall") is not None:
        return f"{name}: precision {pc['precision']:.2f}, recall {pc['recall']:.2f}"
    if pos is None and b.get("balanced_accuracy") is not None:  # the figures the sentence gives the model
        return f"{name}: balanced accuracy {fmt_number(b['balanced_accuracy'])}, MCC {fmt_number(b.get('mcc'))}" + (
            f", top-{b['top_k']} accuracy {fmt_number(b['top_k_accuracy'])}" if says_much(b, m) else ""
        )
    if b.get("pr_auc") is not None:
        macro = " (macro)" if pr_auc_is_macro(m) else ""
        return f"{name}: PR-AUC{macro} {fmt_number(b['pr_auc'])} (this model {fmt_number(m.get('pr_auc'))})"
    return ""


def _false_alarms(m: dict, pos: Any) -> str:
    """``", 24 windows predicted as it"`` where the test split has no window of the class of
    interest: every one is a false alarm, which balanced accuracy over the rest hides."""
    classes, cm = m.get("classes") or [], m.get("confusion_matrix")
    if pos not in classes or not cm:
        return ""
    n = int(sum(row[classes.index(pos)] for row in cm))
    return f", {plural(n, 'window')} predicted as it (false alarms)" if n else ", none predicted as it"


def bouts_phrase(k: dict[str, Any]) -> str:
    """``30 of 30 bouts found, 2 false-alarm bouts`` (:func:`key_metrics`' bouts): the false
    alarms counted in bouts, as the confusion matrix beside counts them in windows."""
    return f"{k['bouts found']} of {plural(k['bouts true'], 'bout')} found, {plural(k['false alarms'], 'false-alarm bout')}"


def headline_sentence(run: Path, shown: Callable[[Path], str] = page_path) -> str:
    """The answer in plain words (plain text; escape it for HTML), e.g. ``play found with precision 0.64 and
    recall 0.83 at threshold 0.59; 30 of 30 bouts found, 20 false-alarm bouts``, led by what the decision
    flags where it flags nearly everything (:func:`flagging_phrase`); ``shown`` writes the run's path."""
    k = key_metrics(run)
    m = read_json_optional(RunLayout(Path(run)).metrics)
    if k["status"] == "partial" and k["accuracy"] is None:  # stages run one by one (train --run ...)
        done = read_json_optional(RunLayout(Path(run)).status).get("stages_done") or []
        return f"Run partial: {', '.join(done) or 'no stage'} done; the next stage runs with {_next_stage(run, shown)}"
    if k["status"] not in ("finished", "unknown") and k["accuracy"] is None:
        return f"Run {k['status']}: {k['reason'] or 'no reason recorded'}"
    if k["accuracy"] is None:
        return "No evaluation yet: this run has no metrics."
    at = threshold_phrase(k["threshold"], m) if k["threshold"] is not None else ""  # and why, for a fallback
    unit = m.get("unit") or example_unit(read_json_optional(RunLayout(Path(run)).prepare_json))  # older: prepare.json
    cls = class_phrase(k["class"]) if k["class"] else None
    flags = cls and k["recall"] is not None and flagging_phrase(m, k["class"], cls)  # leads: bouts follow from it
    if cls and k["recall"] is not None and k["precision"] is not None:
        parts = [f"{cls} found with {precision_recall_phrase(m, k['class'], k['precision'], k['recall'], unit)}{at}"]
    elif cls and k["recall"] is not None:  # windows of the class, none predicted as it
        parts = [f"{cls} never predicted{at}: recall {k['recall']:.2f}{recall_counts(m, k['class'], unit)}"]
    else:  # no class of interest, or no window of it in the test split
        parts = [f"no {cls} {one(unit)} in the test split{_false_alarms(m, k['class'])}"] if cls else []
        parts += overall_phrases(k, m)
    if k["bouts true"]:
        parts.append(bouts_phrase(k))
    parts += [b for b in [_baseline_phrase(m, k["class"])] if b]
    return "; ".join(([flags] if flags else []) + parts)


def _next_stage(run: Path, shown: Callable[[Path], str] = page_path) -> str:
    """``lstm-workbench evaluate --run reports/x``: the command that runs a partial run's next stage."""
    done = read_json_optional(RunLayout(Path(run)).status).get("stages_done") or []
    return f"lstm-workbench {'evaluate' if 'train' in done else 'train'} --run {shlex.quote(shown(run))}"


def headline(run: Path) -> str:
    """One line for the terminal: the headline sentence and the model."""
    k = key_metrics(run)
    return f"{k['model'] or k['run']}: {headline_sentence(run, display_path)}"


def img_tag(path: Path, alt: str, cls: str = "") -> str:
    """An ``<img>`` with the PNG embedded (empty string when the file is missing)."""
    if not path.is_file():
        return ""
    data = base64.b64encode(path.read_bytes()).decode()
    klass = f' class="{cls}"' if cls else ""
    return f'<img{klass} alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def confusion_html(m: dict, max_classes: int = 6) -> str:
    """The test confusion matrix as a large HTML table: counts and row percentages (recall
    on the diagonal), readable from the back of a room. Empty above ``max_classes`` classes.
    ``--k`` (the number of classes) sizes its text and cells in the report's CSS, so that 8
    classes fit beside the PR curve on the first screen as 2 do."""
    cm, classes = m.get("confusion_matrix"), m.get("classes") or []
    if not cm or not classes or len(classes) > max_classes:
        return ""
    head = "".join(f"<th>{breakable(c)}</th>" for c in classes)
    rows = []
    for i, (cls, row) in enumerate(zip(classes, cm, strict=False)):
        total = sum(row) or 1
        cells = "".join(
            f'<td class="{"lw-hit" if j == i else "lw-miss"}" style="--f:{v / total:.3f}">'
            f"<b>{fmt_number(v)}</b><small>{100 * v / total:.0f}%</small></td>"
            for j, v in enumerate(row)
        )
        rows.append(f"<tr><th>{breakable(cls)}</th>{cells}</tr>")
    return (
        f'<table class="lw-cm" style="--k:{len(classes)}"><caption>Confusion matrix (test {metrics_unit(m)})</caption>'
        f'<tr><th class="lw-corner">true ↓ / predicted →</th>{head}</tr>{"".join(rows)}</table>'
    )


def _answer_html(run: Path) -> str:
    lay = RunLayout(run)
    k, m = key_metrics(run), read_json_optional(lay.metrics)
    warn = ""
    if k["status"] not in ("finished", "unknown"):
        resume = f"; resume it with <code>{html.escape(scrub_paths(k['resume'], run))}</code>" if k["resume"] else ""
        warn = (
            f'<p class="lw-warn">This run is <b>{html.escape(k["status"])}</b>'
            f"{': ' + html.escape(str(k['reason'])) if k['reason'] else ''}{resume}</p>"
        )
    table = confusion_html(m, HERO_TABLE_CLASSES)  # in a box of its own: wider, it scrolls there
    cm = (
        f'<div class="lw-cm-box">{table}</div>'
        if table
        else img_tag(lay.figure("confusion_matrix"), "confusion matrix", "lw-fig")
    )
    pr = img_tag(lay.figure("pr_curve"), pr_curve_alt(m), "lw-fig lw-pr")
    st = _status(run)
    when = " · ".join(x for x in (str(st.get("updated", "")).replace("T", " "), run_time_phrase(st)) if x)
    model = f" · {html.escape(k['model'])}" if k["model"] and k["model"] not in run.name else ""
    toc = "".join(f'<li><a href="#{sid}">{html.escape(t)}</a></li>' for sid, t in _sections(run))
    from lstm_helpers.experiments.trials import search_origin  # a search's best configuration: which trial

    origin = f'<p class="lw-meta">{html.escape(o)}</p>' if (o := search_origin(run)) else ""
    return (
        f'<div class="lw-answer"><p class="lw-meta">Run {html.escape(run.name)}{model} · '
        f"{html.escape(when)}</p>{origin}{warn}"
        f'<p class="lw-headline">{html.escape(headline_sentence(run))}</p>'
        f'<div class="lw-hero">{cm}{pr}</div>'
        f'<nav class="lw-toc"><b>Contents</b><ol>{toc}</ol></nav></div>'
    )


def _sections(run: Path) -> list[tuple[str, str]]:
    lay = RunLayout(run)
    out = [("key-metrics", "Key metrics")]
    out += [(stage, STAGE_TITLES[stage]) for stage in STAGE_NOTEBOOKS if lay.notebook(stage).is_file()]
    return out + [("parameters", "All parameters")]


def _baseline_metrics(run: Path, pos: str | None) -> dict[str, Any]:
    """The MiniRocket baseline's figures under :func:`key_metrics`' keys ({} when absent)."""
    b = (read_json_optional(RunLayout(Path(run)).metrics).get("baseline")) or {}
    if not b.get("available"):
        return {}
    pc = (b.get("per_class") or {}).get(pos, {}) if pos else {}
    fitted = f" (test: fitted on {BOTH_SPLITS})" if b.get("fitted_on") == BOTH_SPLITS else ""
    return {"model": "MiniRocket + logistic regression" + fitted, "accuracy": b.get("accuracy"),
            "majority baseline": b.get("majority_baseline_accuracy"),
            "balanced accuracy": b.get("balanced_accuracy"), "MCC": b.get("mcc"), "PR-AUC": b.get("pr_auc"),
            "class PR-AUC": (b.get("pr_auc_per_class") or {}).get(pos) if pos else None,
            "top-k accuracy": b.get("top_k_accuracy"),
            "precision": pc.get("precision"), "recall": pc.get("recall"), "F1": pc.get("f1"),
            "threshold": b.get("threshold")}  # fmt: skip


def _key_metrics_html(run: Path) -> str:
    k, m = key_metrics(run), read_json_optional(RunLayout(Path(run)).metrics)
    rows = [
        ("model", "model"),
        ("parameters", "params"),
        ("epochs", "epochs"),
        (
            # with the checkpoint and logs after each epoch (train.json): the terminal's epoch line is printed before them
            f"seconds per epoch incl. checkpoint (the first, with graph tracing: {fmt_number(k['first epoch s'])})"
            if k["first epoch s"] is not None
            else "seconds per epoch incl. checkpoint",
            "s/epoch",
        ),
        ("accuracy", "accuracy"),
        (f"top-{k['top k']} accuracy", "top-k accuracy"),
        (f"always {most_frequent_words(m, k['top k'] or 0)}", "top-k baseline"),
        (
            "always-majority accuracy" + (" (training majority)" if m.get("baseline_from") == "training" else ""),
            "majority baseline",
        ),
        ("balanced accuracy", "balanced accuracy"),
        ("MCC", "MCC"),
        ("PR-AUC (macro over classes)" if k["macro"] else "PR-AUC", "PR-AUC"),
        *([(f"PR-AUC ({k['class']})", "class PR-AUC")] if k["macro"] else []),
        (f"precision ({k['class']})", "precision"),
        (f"recall ({k['class']})", "recall"),
        (f"F1 ({k['class']})", "F1"),
        (f"threshold, {k['threshold origin']}", "threshold"),
        ("bout recall", "bout recall"),
        ("bout precision", "bout precision"),
    ]
    base = _baseline_metrics(run, k["class"])

    def cell(v: Any) -> str:
        return "" if v is None else fmt_number(v) if not isinstance(v, str) else html.escape(v)

    head = "<tr><th></th><th>this model</th><th>MiniRocket baseline</th></tr>" if base else ""
    body = head + "".join(
        f"<tr><th>{html.escape(name)}</th><td>{cell(k[key])}</td>"
        + (f"<td>{cell(base.get(key))}</td>" if base else "")
        + "</tr>"
        for name, key in rows
        if k.get(key) is not None and not (key.startswith("top-k") and k["top k"] == 1)  # top-1: accuracy again
    )
    note = ""
    if k["accuracy"] is not None and k["majority baseline"] is not None:
        note = (
            f'<p class="lw-note">Accuracy {fmt_number(k["accuracy"])} against {fmt_number(k["majority baseline"])} '
            f"for always predicting the most frequent class{_of_training(m)}: judge the model by balanced accuracy, MCC, "
            + (
                "PR-AUC and the precision / recall of the class of interest.</p>"
                if k["class"]
                else "PR-AUC and the per-class recalls.</p>"
            )
        )
    if k["accuracy"] is None:  # stopped before stage 03 wrote metrics.json
        note = _no_metrics_html(run, k) + note
    table = f'<table class="lw-kv">{body}</table>' if body else ""
    return f'<h1 id="key-metrics">Key metrics (test split)</h1>{table}{note}'


def _no_metrics_html(run: Path, k: dict[str, Any]) -> str:
    """Why the key metrics are missing, in one line, as the index page says it: the stages not done
    and the command that finishes the run (``"No test metrics: stages train and evaluate have not
    finished (this run is interrupted); resume it with lstm-workbench run ..."``)."""
    done = read_json_optional(RunLayout(run).status).get("stages_done") or []
    missing = [stage for stage in STAGE_NOTEBOOKS if stage not in done]
    stages = " and ".join(filter(None, [", ".join(missing[:-1]), missing[-1]])) if missing else ""
    why = (
        f"stage{'s' if len(missing) > 1 else ''} {stages} {'have' if len(missing) > 1 else 'has'} not finished"
        if missing
        else "metrics.json is missing"
    )
    status = f" (this run is {k['status']})" if k["status"] not in ("finished", "unknown") else ""
    command = scrub_paths(k["resume"], run) if k["resume"] else _next_stage(run) if k["status"] == "partial" else None
    todo = f"; {'resume it' if k['resume'] else 'continue'} with <code>{html.escape(command)}</code>" if command else ""
    return f'<p class="lw-note">No test metrics: {html.escape(why + status)}{todo}.</p>'


def _of_training(m: dict) -> str:
    """`` of the training windows ('rest')`` where metrics.json ranked the majority class there."""
    if m.get("baseline_from") != "training" or m.get("majority_class") is None:
        return ""
    return f" of the training {metrics_unit(m)} ({html.escape(class_phrase(m['majority_class']))})"


def _params_html(run: Path, pairs: list[tuple[str, str]]) -> str:
    """The parameters table; ``pairs`` from :func:`path_replacements` (parsed once per report:
    re-reading ``params.yaml`` for each of its ~100 values cost ~2 s of CPU per report). Keys
    the run's data kind never reads are named below the table, not listed as settings; values
    stage 02 chose (``auto``) or switched off say so (:func:`~lstm_helpers.runs.params_chosen.chosen_words`)."""
    flat = flatten(read_params(run), keep=("class_map", "class_weight"))
    unread = unread_keys(flat)
    chosen = chosen_words(flat, read_json_optional(RunLayout(run).train_json))  # 'auto (20 chosen ...)'
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(scrub_paths(chosen.get(k, str(v)), run, pairs))}</td></tr>"
        for k, v in flat.items()
        if k not in unread
    )
    note = (
        f'<p class="lw-note">Left out: {len(unread)} parameters that data.kind '
        f"{html.escape(str(flat.get('data.kind')))} does not read ({html.escape(_key_groups(unread, flat))}).</p>"
        if unread
        else ""
    )
    return (
        f'<h1 id="parameters">All parameters</h1><details><summary>{len(flat) - len(unread)} parameters '
        f'(click to open)</summary><table class="lw-kv">{rows}</table>{note}</details>'
    )


def _key_groups(keys: list[str], flat: dict[str, Any]) -> str:
    """``windows.length, windows.overlap_percent, data.time_column`` -> ``windows.*,
    data.time_column``: a section (``windows``, ``evaluate.bout_*`` aside) left out whole is named once."""
    kept = {k.split(".")[0] for k in flat if k not in keys}
    out: list[str] = []
    for k in keys:
        sec = k.split(".")[0]
        if sec in kept:
            out.append(k)
        elif f"{sec}.*" not in out:
            out.append(f"{sec}.*")
    return ", ".join(out)


_LOG_NOISE = re.compile(
    r"^([IWE]\d{4} [\d:.]+\s+\d+ \S+\.cc:\d+\]|WARNING: All log messages before absl"
    r"|To enable the following instructions|\[IPKernelApp\]|\s*$)"
)


# Python's warning format: "<file>:<line>: <Category>: <message>", then the source line, indented;
# or "<Category>: <message>" alone (style.plain_warning, what the run's kernel prints)
_PY_WARNING = re.compile(r"^(?:\S.*?:\d+: )?(?:\w+\.)*\w*Warning: (.*)$")


def _tidy_warnings(lines: list[str]) -> list[str]:
    """Python warnings as their messages alone: no kernel file path (``/tmp/ipykernel_...``),
    category or echoed source line, which say nothing to a reader of the report."""
    out: list[str] = []
    after_warning = False
    for line in lines:
        m = _PY_WARNING.match(line)
        if m is None and after_warning and line.startswith("  "):
            after_warning = False  # the source line Python echoes under a warning
            continue
        after_warning = m is not None
        out.append(m.group(1) if m else line)
    return out


def _details(summary: str, text: str, kind: str = "log") -> dict:
    return nbformat.v4.new_output(
        "display_data",
        data={
            "text/html": (
                f'<details class="lw-{kind}"><summary>{html.escape(summary)} (click to open)</summary>'
                f"<pre>{html.escape(text)}</pre></details>"
            )
        },
    )


def _presentable(cell: nbformat.NotebookNode, run: Path, pairs: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """Outputs for people: start-up noise dropped, long logs and warnings collapsed, no absolute path."""
    if cell.cell_type != "code":
        cell.source = scrub_paths(cell.source, run, pairs)
        return cell
    merged: list = []
    for out in cell.get("outputs", []):  # one stream output per name, as a reader sees it
        if (
            out.get("output_type") == "stream"
            and merged
            and merged[-1].get("output_type") == "stream"
            and merged[-1].get("name") == out.get("name")
        ):
            merged[-1]["text"] = merged[-1]["text"] + out["text"]
        else:
            merged.append(out)
    kept = []
    for out in merged:
        if out.get("output_type") == "stream":
            # an in-epoch line says where an epoch stood while it ran: its epoch line says it all
            text = out.get("text", "").splitlines()
            lines = [
                scrub_paths(ln.rstrip(), run, pairs)
                for ln in text
                if not (_LOG_NOISE.match(ln) or IN_EPOCH_LINE.match(ln))
            ]
            if not lines:
                continue
            if out.get("name") == "stderr":
                lines = _tidy_warnings(lines)
                out = _details(f"Warnings ({plural(len(lines), 'line')})", "\n".join(lines), "warnings")
            elif len(lines) > LOG_LINES_SHOWN or any(PROGRESS_LINE.match(ln) for ln in lines):
                out = _details(
                    f"Log ({plural(len(lines), 'line')})"
                    if not PROGRESS_LINE.match(lines[-1])
                    else f"Epoch log ({plural(len(lines), 'line')})",
                    "\n".join(lines),
                )
            else:
                out["text"] = "\n".join(lines) + "\n"
        elif out.get("metadata", {}).get(NOT_DRAWN):
            continue  # a figure this run does not draw: the empty section goes (drop_empty_sections)
        elif out.get("output_type") in ("display_data", "execute_result"):
            for mime in ("text/html", "text/plain", "text/markdown"):
                if mime in out.get("data", {}):
                    out["data"][mime] = scrub_paths("".join(out["data"][mime]), run, pairs)
        kept.append(out)
    cell["outputs"] = kept
    return cell


def drop_empty_sections(cells: list[nbformat.NotebookNode]) -> list[nbformat.NotebookNode]:
    """Leave out each ``## `` section whose code cells all came out empty: the parts of a
    stage notebook that do not apply to this run (bouts and timelines for pre-segmented
    sequences, generated text for anything but characters). Sections without code stay."""
    kept: list[nbformat.NotebookNode] = []
    section: list[nbformat.NotebookNode] = []

    def close() -> None:
        code = [c for c in section if c.cell_type == "code"]
        if not code or any(c.get("outputs") for c in code):
            kept.extend(section)

    for cell in cells:
        if cell.cell_type == "markdown" and cell.source.startswith("## "):
            close()
            section = []
        section.append(cell)
    close()
    return kept


def _html_cell(text: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": text})]
    return cell


def build_report_notebook(run: Path) -> nbformat.NotebookNode:
    """The answer section, key metrics, every executed stage notebook's outputs, the parameters."""
    run = Path(run)
    lay = RunLayout(run)
    nb = nbformat.v4.new_notebook()
    pairs = path_replacements(run)
    nb.cells += [_html_cell(_answer_html(run)), _html_cell(_key_metrics_html(run))]
    for stage, title in STAGE_TITLES.items():
        path = lay.notebook(stage)
        if not path.is_file():
            continue
        nb.cells.append(_html_cell(f'<h1 id="{stage}">{html.escape(title)}</h1>'))
        cells = []
        for cell in nbformat.read(path, as_version=4).cells:
            tags = cell.metadata.get("tags", [])
            if "parameters" in tags or "injected-parameters" in tags:
                continue
            if cell.cell_type == "markdown" and cell.source.startswith("# "):
                continue  # the notebook's own title: the section heading above replaces it
            cells.append(_presentable(cell, run, pairs))
        nb.cells += drop_empty_sections(cells)
    nb.cells.append(_html_cell(_params_html(run, pairs)))
    return nb


def export_html(nb: nbformat.NotebookNode, path: Path, title: str) -> Path:
    """Export a notebook to one self-contained HTML page with code hidden (nbconvert).

    The ``report`` template (``lstm_helpers/templates/report``) extends JupyterLab's and
    drops its require.js, MathJax and mermaid ``<script>`` tags (CDN URLs) and adds the
    presentation CSS; images are embedded.
    """
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="report",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb)
    return write_text(path, scrub_paths(body, path.parent) if (path.parent / "params.yaml").is_file() else body)


def export_report(run: Path) -> Path:
    """Write ``report.html`` for a run directory (finished or failed)."""
    run = Path(run)
    return export_html(build_report_notebook(run), RunLayout(run).report, f"Run {run.name}")


def write_index(root: Path) -> Path:
    """``<root>/index.html`` (see :mod:`lstm_helpers.runs.index_page`)."""
    from lstm_helpers.runs.index_page import write_index as _write

    return _write(root)
