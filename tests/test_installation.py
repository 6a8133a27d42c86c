"""The workbench runs from a checkout (notebooks/ and configs/ beside the package); installed
from a wheel it refuses the notebook commands with one message, before anything is written or
TensorFlow imported, and the other commands never write into the installation directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lstm_helpers import installation
from lstm_helpers.config import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_the_repository_is_a_checkout():
    assert installation.is_checkout()
    for command in installation.NOTEBOOK_COMMANDS:
        installation.require_checkout(command)  # nothing refused in the clone
    assert not installation.inside_installation(ROOT / "reports")


def test_without_notebooks_the_notebook_commands_are_refused_with_the_install_command(tmp_path):
    site = tmp_path / "site-packages"
    (site / "lstm_helpers").mkdir(parents=True)
    assert not installation.is_checkout(site)
    for command in ("run", "prepare", "train", "evaluate", "sweep", "compare", "search"):
        with pytest.raises(ConfigError) as exc:
            installation.require_checkout(command, root=site)
        msg = str(exc.value)
        assert msg.startswith(f"lstm-workbench {command} executes the notebooks in notebooks/"), msg
        assert str(site) in msg and "pip install -e ." in msg and "make setup" in msg and "clone" in msg
    for command in ("predict", "report", "slides", "generate", "demo"):
        installation.require_checkout(command, root=site)
    installation.require_checkout("prepare", no_notebook=True, root=site)  # --no-notebook --config FILE
    with pytest.raises(ConfigError, match="give --out DIR"):
        installation.outside_installation(site / "reports", "--out DIR", "run.reports_dir reports", root=site)
    assert installation.outside_installation(tmp_path / "mine", "--out DIR", root=site) == tmp_path / "mine"
    (site / "notebooks").mkdir()  # a checkout writes its runs beside the package, as documented
    assert installation.outside_installation(site / "reports", "--out DIR", root=site) == site / "reports"


def _wheel_like(tmp_path: Path) -> Path:
    """The package alone in a site-packages folder, as `pip install` of its wheel leaves it."""
    site = tmp_path / "site-packages"
    shutil.copytree(ROOT / "lstm_helpers", site / "lstm_helpers", ignore=shutil.ignore_patterns("__pycache__"))
    return site


_SCRIPT = """
import contextlib, io, json, sys
from lstm_helpers.cli import main
out = []
def call(argv):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main(argv)
    out.append({"argv": argv, "rc": rc, "err": err.getvalue(), "tf": "tensorflow" in sys.modules})
for argv in json.loads(sys.argv[1]):
    call(argv)
print(json.dumps(out))
"""


def _run_installed(site: Path, cwd: Path, commands: list[list[str]]) -> list[dict]:
    env = {**os.environ, "PYTHONPATH": str(site), "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT, json.dumps(commands)],
        cwd=str(cwd), env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_an_installed_wheel_refuses_the_notebook_commands_and_writes_nothing_into_site_packages(
    tmp_path, tiny_demo_dir
):
    """Installed from a wheel, `run` created a run folder in site-packages/reports and then failed
    for site-packages/notebooks/01_prepare.ipynb; `sweep` and `compare` ended in an internal
    error; `prepare --no-notebook` generated the demo recordings into site-packages/data."""
    site = _wheel_like(tmp_path)
    project = tmp_path / "project"  # the user's folder: a config, no reports/
    project.mkdir()
    config = project / "tiny.yaml"
    raw = yaml.safe_load((ROOT / "configs" / "demo.yaml").read_text())
    raw["data"].update(path=str(tiny_demo_dir), demo=False)
    config.write_text(yaml.safe_dump(raw))
    refused = [
        ["run", "--config", str(config)],
        ["run"],
        ["prepare", "--config", str(config)],
        ["prepare", "--no-notebook"],
        ["train", "--run", str(project / "r")],
        ["evaluate", "--run", str(project / "r")],
        ["sweep", str(project / "sweep.yaml")],
        ["compare", str(project / "r")],
        ["search", str(project / "search.yaml")],
    ]
    results = _run_installed(site, project, refused)
    for r in results:
        assert r["rc"] == 2 and r["err"].count("\n") == 1, r
        assert r["err"].startswith(f"error: lstm-workbench {r['argv'][0]} executes the notebooks"), r
        assert "pip install -e ." in r["err"] and "Traceback" not in r["err"], r
        assert not r["tf"], r  # refused before TensorFlow was imported
    # prepare --no-notebook works with a config of one's own, but not with paths that land in site-packages
    demo = ["--set", "data.path=data/raw/demo", "--set", "data.demo=true"]
    results = _run_installed(
        site,
        project,
        [
            ["prepare", "--no-notebook", "--config", str(config)],
            ["prepare", "--no-notebook", "--config", str(config), "--out", str(project / "r"), *demo],
            ["prepare", "--no-notebook", "--config", str(config), "--out", str(project / "prep")],
            ["demo", "--out", str(project / "demo"), "--seed", "1"],
        ],
    )
    no_out, demo_data, prepared, written = results
    assert no_out["rc"] == 2 and "run.reports_dir reports" in no_out["err"] and "give --out DIR" in no_out["err"]
    assert demo_data["rc"] == 2 and "data.path data/raw/demo" in demo_data["err"], demo_data
    assert "--set data.path=PATH" in demo_data["err"]
    assert prepared["rc"] == 0 and (project / "prep" / "prepare.json").is_file(), prepared
    assert written["rc"] == 0 and any((project / "demo").glob("*.parquet")), written
    assert sorted(p.name for p in site.iterdir()) == ["lstm_helpers"]  # no reports/, data/ or errors there
    assert not (site / "lstm_helpers" / "reports").exists()


def test_an_internal_error_of_an_installed_wheel_keeps_no_traceback_in_site_packages(tmp_path, monkeypatch):
    from lstm_helpers import config
    from lstm_helpers.tracebacks import save_traceback

    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.setattr(config, "PROJECT_ROOT", site)
    monkeypatch.setattr(installation, "PROJECT_ROOT", site)
    monkeypatch.chdir(tmp_path)  # no reports/ here: reports resolves into the installation
    assert save_traceback(RuntimeError("boom")) is None and not (site / "reports").exists()
    (tmp_path / "reports").mkdir()  # the user's own reports/: kept there
    saved = save_traceback(RuntimeError("boom"))
    assert saved is not None and saved.parent == (tmp_path / "reports" / "errors").resolve()
