"""One presentation-ready HTML page per run, and ``reports/index.html`` listing every run.

The page is the three executed notebooks joined after a headline section (key metrics next
to the majority baseline, confusion matrix, PR curve, parameters, data summary), exported by
nbconvert's ``HTMLExporter`` with every input cell and prompt hidden. Only the joining and
the headline are written here; rendering is nbconvert's.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import re
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd

from lstm_helpers.artifacts import flatten, read_json_optional, read_params, write_text

STAGE_TITLES = [("01_prepare.ipynb", "Data preparation"), ("02_train.ipynb", "Training"),
                ("03_evaluate.ipynb", "Evaluation")]

_CSS = """
<style>
.lw-head {font-family: system-ui, sans-serif; max-width: 1100px}
.lw-head table {border-collapse: collapse; margin: 0.5em 0 1em 0}
.lw-head td, .lw-head th {border: 1px solid #ccc; padding: 4px 10px; text-align: left}
.lw-head th {background: #f3f3f3}
.lw-head .lw-figs img {max-width: 48%; margin-right: 1%; vertical-align: top}
.lw-head .lw-warn {color: #a33}
.lw-head .lw-note {color: #555}
</style>
"""


def _img(path: Path) -> str:
    if not path.is_file():
        return ""
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'


def _fmt(v: Any, digits: int = 3) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return html.escape(str(v))


def key_metrics(run: Path) -> dict[str, Any]:
    """The numbers a run is judged by (flat dict; missing ones are None)."""
    run = Path(run)
    m, t, p = read_json_optional(run / "metrics.json"), read_json_optional(run / "train.json"), read_json_optional(run / "prepare.json")
    status = read_json_optional(run / "status.json")
    pos = m.get("positive_class") or (p.get("classes_of_interest") or [None])[0]
    pc = (m.get("per_class") or {}).get(pos, {}) if pos else {}
    bouts = (m.get("bouts") or {}).get(pos, {}) if pos else {}
    return {
        "run": run.name,
        "status": status.get("status", "unknown"),
        "model": t.get("model_name"),
        "params": t.get("n_params"),
        "epochs": t.get("epochs_run"),
        "s/epoch": t.get("seconds_per_epoch_mean", t.get("seconds_per_epoch")),
        "train s": t.get("total_seconds"),
        "accuracy": m.get("accuracy"),
        "majority baseline": m.get("majority_baseline_accuracy"),
        "balanced accuracy": m.get("balanced_accuracy"),
        "MCC": m.get("mcc"),
        "PR-AUC": m.get("pr_auc"),
        "class": pos,
        "precision": pc.get("precision"),
        "recall": pc.get("recall"),
        "F1": pc.get("f1"),
        "threshold": m.get("threshold"),
        "bout recall": bouts.get("bout_recall"),
        "bout precision": bouts.get("bout_precision"),
        "reason": status.get("reason"),
    }


def headline(run: Path) -> str:
    """One line for the terminal: what the run achieved, next to the majority baseline."""
    k = key_metrics(run)
    if k["accuracy"] is None:
        return f"{k['run']}: {k['status']}"
    s = (f"{k['model']}: accuracy {_fmt(k['accuracy'])} (majority baseline {_fmt(k['majority baseline'])}), "
         f"balanced accuracy {_fmt(k['balanced accuracy'])}, MCC {_fmt(k['MCC'])}, PR-AUC {_fmt(k['PR-AUC'])}")
    if k["class"]:
        s += (f"; {k['class']} precision {_fmt(k['precision'])} recall {_fmt(k['recall'])} "
              f"at threshold {_fmt(k['threshold'])}")
    return s


def _headline_html(run: Path) -> str:
    k = key_metrics(run)
    p = read_json_optional(run / "prepare.json")
    params = read_params(run)
    rows = "".join(
        f"<tr><th>{html.escape(name)}</th><td>{_fmt(k[key])}</td></tr>"
        for name, key in [
            ("status", "status"), ("model", "model"), ("parameters", "params"), ("epochs", "epochs"),
            ("seconds per epoch", "s/epoch"), ("training seconds", "train s"),
            ("accuracy", "accuracy"), ("majority-class baseline accuracy", "majority baseline"),
            ("balanced accuracy", "balanced accuracy"), ("MCC", "MCC"), ("PR-AUC", "PR-AUC"),
            (f"precision ({k['class']})", "precision"), (f"recall ({k['class']})", "recall"),
            (f"F1 ({k['class']})", "F1"), ("decision threshold (chosen on validation)", "threshold"),
            (f"bout recall ({k['class']})", "bout recall"), (f"bout precision ({k['class']})", "bout precision"),
        ] if k.get(key) is not None
    )
    warn = ""
    if k["status"] == "failed":
        warn = f'<p class="lw-warn"><b>This run failed:</b> {html.escape(str(k["reason"]))}</p>'
    paradox = ""
    if k["accuracy"] is not None and k["majority baseline"] is not None:
        paradox = (f'<p class="lw-note">Accuracy {k["accuracy"]:.3f} against {k["majority baseline"]:.3f} '
                   f'for always predicting the most frequent class: judge the model by balanced accuracy, '
                   f'MCC, PR-AUC and the precision/recall of the class of interest.</p>')
    figs = "".join(_img(run / "figures" / f) for f in ("confusion_matrix.png", "pr_curve.png"))
    flat = flatten(params, keep=("class_map", "class_weight"))
    ptable = "".join(f"<tr><th>{html.escape(k2)}</th><td>{html.escape(str(v))}</td></tr>" for k2, v in flat.items())
    data_rows = ""
    if p:
        from lstm_helpers.data.prepare import summary_table

        data_rows = summary_table(p).to_html(header=False, border=0)
    when = read_json_optional(run / "status.json").get("updated", dt.datetime.now().isoformat(timespec="seconds"))
    return (
        f'{_CSS}<div class="lw-head"><h1>Run {html.escape(run.name)}</h1>'
        f'<p class="lw-note">{html.escape(str(when))} · lstm-workbench</p>{warn}'
        f"<h2>Key metrics (test split)</h2><table>{rows}</table>{paradox}"
        f'<div class="lw-figs">{figs}</div>'
        f"<h2>Data</h2>{data_rows}"
        f"<details><summary><b>All parameters</b></summary><table>{ptable}</table></details></div>"
    )


_LOG_NOISE = re.compile(r"^([IWE]\d{4} [\d:.]+\s+\d+ \S+\.cc:\d+\]|WARNING: All log messages before absl"
                        r"|\[IPKernelApp\] WARNING|\s*$)")


def _presentable(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop TensorFlow/absl start-up log lines from stderr outputs (the page is for people)."""
    if cell.cell_type != "code":
        return cell
    kept = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            lines = [ln for ln in out.get("text", "").splitlines() if not _LOG_NOISE.match(ln)]
            if not lines:
                continue
            out["text"] = "\n".join(lines) + "\n"
        kept.append(out)
    cell["outputs"] = kept
    return cell


def build_report_notebook(run: Path) -> nbformat.NotebookNode:
    """The headline section followed by the outputs of every executed stage notebook."""
    nb = nbformat.v4.new_notebook()
    head = nbformat.v4.new_code_cell("")
    head.outputs = [nbformat.v4.new_output("display_data", data={"text/html": _headline_html(run)})]
    nb.cells.append(head)
    for name, title in STAGE_TITLES:
        path = run / name
        if not path.is_file():
            continue
        nb.cells.append(nbformat.v4.new_markdown_cell(f"# {title}"))
        stage = nbformat.read(path, as_version=4)
        for cell in stage.cells:
            if "parameters" in cell.metadata.get("tags", []) or "injected-parameters" in cell.metadata.get("tags", []):
                continue
            if cell.cell_type == "markdown" and cell.source.startswith("# "):
                cell.source = "#" + cell.source  # the notebook title becomes a sub-heading
            nb.cells.append(_presentable(cell))
    nb.metadata["title"] = f"lstm-workbench run {run.name}"
    return nb


def export_html(nb: nbformat.NotebookNode, path: Path, title: str) -> Path:
    """Export a notebook to one self-contained HTML page with code hidden (nbconvert)."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, embed_images=True)
    nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb)
    return write_text(path, body)


def export_report(run: Path) -> Path:
    """Write ``report.html`` for a run directory (finished or failed)."""
    run = Path(run)
    return export_html(build_report_notebook(run), run / "report.html", f"lstm-workbench run {run.name}")


def runs_table(root: Path) -> pd.DataFrame:
    """Key metrics of every run directory under ``root`` (newest first)."""
    runs = sorted((p for p in Path(root).iterdir() if (p / "status.json").is_file() or (p / "params.yaml").is_file()),
                  reverse=True) if Path(root).is_dir() else []
    return pd.DataFrame([key_metrics(r) for r in runs])


def write_index(root: Path) -> Path:
    """``<root>/index.html``: every run with its key metrics and a link to its report."""
    root = Path(root)
    df = runs_table(root)
    if df.empty:
        body = "<p>No runs yet.</p>"
    else:
        def link(name: str) -> str:
            rep = root / name / "report.html"
            return f'<a href="{html.escape(name)}/report.html">{html.escape(name)}</a>' if rep.is_file() else html.escape(name)

        shown = df.drop(columns=["reason"]).copy()
        shown["run"] = [link(n) for n in df["run"]]
        body = shown.to_html(index=False, escape=False, na_rep="–", float_format=lambda x: f"{x:.3f}", border=0)
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>lstm-workbench runs</title>{_CSS}</head>"
            f"<body class='lw-head'><h1>lstm-workbench runs</h1><p class='lw-note'>{html.escape(str(root))} · "
            f"updated {dt.datetime.now().isoformat(timespec='seconds')}</p>{body}</body></html>")
    return write_text(root / "index.html", page)
