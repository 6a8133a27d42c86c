"""The project installs the same set from pyproject.toml and environment.yml; two commands work."""

import re
import subprocess
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_environment_yml_installs_the_pyproject_set():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "python=3.11" in deps
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    # the only pip entry is the project itself with its dev extras: the list lives in pyproject
    assert pip == ['-e ".[dev]"'] or pip == ["-e .[dev]"]
    conda_pkgs = [d for d in deps if isinstance(d, str)]
    assert set(conda_pkgs) <= {"python=3.11", "pip"}, "dependencies belong in pyproject.toml"
    proj = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[<>=\[ ]", d)[0].lower() for d in proj["dependencies"]}
    for need in ("tensorflow", "keras", "pandas", "numpy", "scikit-learn", "imbalanced-learn", "seaborn",
                 "matplotlib", "papermill", "nbconvert", "ipykernel", "jupyterlab", "pyyaml"):
        assert need in names, need
    assert any(d.startswith("tensorflow==2.21") for d in proj["dependencies"])
    assert "dev" in proj["optional-dependencies"]
    assert proj["scripts"]["lstm-workbench"] == "lstm_helpers.cli:main"


def test_top_level_layout():
    for p in ("notebooks", "lstm_helpers", "data", "reports", "environment.yml", "tests", "README.md",
              "Makefile", "pyproject.toml", "configs", "benchmarks", ".ci/run"):
        assert (ROOT / p).exists(), p


def test_make_help_lists_the_two_commands():
    out = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for target in ("run", "test", "lab", "setup"):
        assert re.search(rf"make {target}\s", out), out


def test_readme_first_screen_has_the_two_commands():
    first = "\n".join((ROOT / "README.md").read_text().splitlines()[:40])
    assert "make run" in first and "make test" in first


def test_ci_runs_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
