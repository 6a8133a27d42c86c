"""README says how the workbench is installed (a clone, editable), how the notebooks' kernel is
registered outside `make setup`, and where runs go; the kernel command it names works."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _paragraph(containing: str) -> str:
    """The README paragraph (blank-line separated) that holds ``containing``, on one line."""
    found = [p for p in re.split(r"\n\s*\n", README) if containing in p]
    assert len(found) == 1, containing
    return " ".join(found[0].split())


def test_the_first_screen_says_the_workbench_runs_from_a_clone_not_a_wheel():
    first = " ".join("\n".join(README.splitlines()[:40]).split())
    assert "clone of this repository" in first and "`pip install -e .`" in first and "make setup" in first
    assert "wheel" in first and "refuse" in first


def test_the_kernel_registration_is_documented_beside_papermill_and_jupyterlab():
    """README's own `papermill notebooks/02_train.ipynb ...` stopped with NoSuchKernel in an
    environment that `make setup` had not made: only the Makefile registered the kernel."""
    from lstm_helpers.runs.kernelspec import NAME

    names = {
        nbformat.read(p, as_version=4).metadata["kernelspec"]["name"] for p in (ROOT / "notebooks").glob("*.ipynb")
    }
    assert names == {NAME}
    command = "python -m lstm_helpers.runs.kernelspec"
    papermill = _paragraph("papermill notebooks/02_train.ipynb")
    assert command in papermill and "-k python3" in papermill and "NoSuchKernel" in papermill
    assert command in _paragraph("make lab")
    assert command in (ROOT / "Makefile").read_text()  # what make setup runs


def test_the_documented_kernel_command_registers_the_kernel_the_notebooks_name(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "lstm_helpers.runs.kernelspec", "--prefix", str(tmp_path)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    spec = tmp_path / "share" / "jupyter" / "kernels" / "lstm-workbench" / "kernel.json"
    assert str(spec) in out.stdout and "'lstm-workbench'" in out.stdout
    assert json.loads(spec.read_text())["argv"][0] == sys.executable


def test_readme_says_where_runs_go_and_how_to_keep_ones_own():
    """Runs go to ./reports when the current directory has one, else to the checkout's reports/:
    the documented rule, which a run from another folder did not make visible."""
    where = _paragraph("**Where runs go.**")
    for said in ("run.reports_dir", "current directory", "checkout's `reports/`", "mkdir reports", "--out"):
        assert said in where, said
    for last_line in ("`report: ...`", "`comparison: ...`", "`compare`"):
        assert last_line in where, last_line
