"""Absolute paths on a run's pages (lstm_helpers/runs/report_paths.py): replaced only as whole
paths, and a data path inside the project shown as the config gave it."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from lstm_helpers.config import PROJECT_ROOT, load_config


def _run(project: Path, data: Path, name: str = "r1") -> Path:
    run = project / "reports" / name
    run.mkdir(parents=True)
    data.mkdir(parents=True, exist_ok=True)
    cfg = load_config(PROJECT_ROOT / "configs" / "demo.yaml").to_dict()
    cfg["data"]["path"] = str(data)
    (run / "params.yaml").write_text(yaml.safe_dump(cfg))
    return run


def test_a_sibling_folder_whose_name_starts_like_a_scrubbed_path_is_left_whole(tmp_path):
    """With the checkout at /tmp/rvB, /tmp/rvB_proj/configs/tiny.yaml became ._proj/configs/tiny.yaml and
    /tmp/rvB_venv/... became ._venv/... (reports/index.html's failure reason of a run): a plain string
    replacement of the path's prefix, with no path boundary."""
    from lstm_helpers.runs.report import scrub_paths

    root = str(PROJECT_ROOT.resolve())
    run = _run(tmp_path / "proj", tmp_path / "proj" / "data" / "small")
    data, reports = tmp_path / "proj" / "data" / "small", run.parent
    siblings = [f"{root}_proj/configs/tiny.yaml", f"{root}_venv/lib/python3.11/site-packages/notebooks/02_train.ipynb",
                f"{root}-old", f"{root}.bak/x", f"{reports}2/x", f"{data}_old/a.csv",
                f"{data}.bak", f"/elsewhere{root}/x"]  # fmt: skip
    for path in siblings:
        for text in (path, f"No such file: '{path}')", f"see {path}, then"):
            assert scrub_paths(text, run) == text, text
    from lstm_helpers.runs.terminal import page_path

    twin = scrub_paths(f"{run}_twin/status.json", run)  # in the run's folder: named from there, not r1_twin
    assert twin == f"{page_path(reports)}/r1_twin/status.json", twin
    said = f"No such file or directory: '{root}/notebooks/02_train.ipynb' ({run}/model.keras)"
    assert scrub_paths(said, run) == "No such file or directory: './notebooks/02_train.ipynb' (r1/model.keras)"
    assert scrub_paths(f"written to {run}.", run) == "written to r1."  # a sentence's full stop ends the path
    assert scrub_paths(f'"{run}"\n{root}', run) == '"r1"\n.'
    assert scrub_paths(f"recordings from {data}/a.csv;", run) == "recordings from data/small/a.csv;"
    html_reason = f"&#x27;{root}_venv/x&#x27; and &#x27;{root}/x&#x27;"  # as the index page escapes it
    assert scrub_paths(html_reason, run) == f"&#x27;{root}_venv/x&#x27; and &#x27;./x&#x27;"


def test_the_index_keeps_a_sibling_folder_in_a_failure_reason_whole(tmp_path):
    from lstm_helpers.runs.report import write_index

    run = _run(tmp_path / "proj", tmp_path / "proj" / "data" / "small")
    venv = f"{PROJECT_ROOT.resolve()}_venv/lib/python3.11/site-packages/notebooks/02_train.ipynb"
    reason = f"train failed: could not write 02_train.ipynb (FileNotFoundError: No such file or directory: '{venv}')"
    status = {"status": "failed", "reason": reason, "stages_done": ["prepare"], "updated": "2026-12-05T02:46:22"}
    (run / "status.json").write_text(__import__("json").dumps(status))
    page = write_index(run.parent).read_text()
    assert "No such file or directory: &#x27;/" in page and "&#x27;._venv" not in page


def test_a_data_path_in_the_project_is_shown_as_the_config_gave_it_and_survives_a_move(tmp_path):
    """After tar / untar elsewhere, the report's data.path ../../data/small (relative to where the page was
    first written) named nothing; params.yaml held /tmp/rvB_proj/data/small, the config data/small."""
    from lstm_helpers.runs.report import _params_html, path_replacements, scrub_paths

    project = tmp_path / "rvB_proj"
    run = _run(project, project / "data" / "small")
    table = _params_html(run, path_replacements(run))
    assert "<th>data.path</th><td>data/small</td>" in table, table
    assert scrub_paths(f"recordings from {project / 'data' / 'small'}", run) == "recordings from data/small"
    moved = tmp_path / "untar" / run.name  # out of its project, the page written again there: from the page
    shutil.copytree(run, moved)
    shown = dict(path_replacements(moved))[str(project / "data" / "small")]
    assert f"<th>data.path</th><td>{shown}</td>" in _params_html(moved, path_replacements(moved))
    assert (moved / shown).resolve() == (project / "data" / "small").resolve(), shown
    swept = project / "reports" / "sweeps" / "s1" / "r2"  # a sweep's run: the same project
    shutil.copytree(run, swept)
    assert "<th>data.path</th><td>data/small</td>" in _params_html(swept, path_replacements(swept))


def test_a_run_stopped_before_its_metrics_says_why_under_the_key_metrics_heading(tmp_path):
    """An interrupted run's report.html had an empty "Key metrics (test split)" heading (a run stopped
    before stage 03 finished, its page written with ``lstm-workbench report --run``)."""
    import json

    from lstm_helpers.runs.report import _key_metrics_html, export_report

    run = _run(tmp_path / "proj", tmp_path / "proj" / "data" / "small")
    stopped = {"status": "interrupted", "stage": "train", "reason": "killed", "stages_done": ["prepare"]}
    (run / "status.json").write_text(json.dumps(stopped))
    section = _key_metrics_html(run)
    assert "<table" not in section  # no empty table either
    assert (
        "No test metrics: stages train and evaluate have not finished (this run is interrupted); resume it with "
        "<code>lstm-workbench run --config r1/params.yaml --out r1</code>." in section
    ), section
    page = export_report(run).read_text()
    heading = page.index('id="key-metrics"')
    assert "No test metrics: stages train and evaluate have not finished" in page[heading : heading + 2000]
    (run / "status.json").write_text(json.dumps({"status": "partial", "stages_done": ["prepare", "train"]}))
    assert "No test metrics: stage evaluate has not finished (this run is partial); continue with <code>" in (
        _key_metrics_html(run)
    )
    (run / "status.json").write_text(json.dumps(stopped | {"stages_done": []}))
    assert "stages prepare, train and evaluate have not finished" in _key_metrics_html(run)
