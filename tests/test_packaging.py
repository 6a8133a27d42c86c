"""The project installs the same set from pyproject.toml and environment.yml; two commands work."""

import re
import subprocess
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _make_extras() -> str:
    return re.search(r"^EXTRAS := (\S+)$", (ROOT / "Makefile").read_text(), re.M).group(1)


def test_environment_yml_installs_what_make_installs():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    # the project itself with make's extras, under the same constraints: the list lives in pyproject
    assert pip == ["-c constraints.txt", f'-e ".[{_make_extras()}]"']
    conda_pkgs = [d for d in deps if isinstance(d, str)]
    assert set(conda_pkgs) <= {"python=3.11", "pip"}, "dependencies belong in pyproject.toml"
    proj = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert set(_make_extras().split(",")) <= set(proj["optional-dependencies"])
    names = {re.split(r"[<>=\[ ]", d)[0].lower() for d in proj["dependencies"]}
    for need in (
        "tensorflow",
        "keras",
        "pandas",
        "numpy",
        "scikit-learn",
        "imbalanced-learn",
        "seaborn",
        "matplotlib",
        "papermill",
        "nbconvert",
        "ipykernel",
        "jupyterlab",
        "pyyaml",
    ):
        assert need in names, need
    assert any(d.startswith("tensorflow==2.21") for d in proj["dependencies"])
    assert proj["scripts"]["lstm-workbench"] == "lstm_helpers.cli:entry"


def test_the_console_entry_exits_with_the_commands_code(tmp_path):
    """``entry`` (the console script and ``python -m lstm_helpers``) passes main's exit code
    and its output through before it freezes the collector and exits."""
    import subprocess
    import sys

    missing = tmp_path / "missing.yaml"
    out = subprocess.run(
        [sys.executable, "-m", "lstm_helpers", "run", "--config", str(missing)],
        cwd=str(ROOT), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 2 and out.stderr.startswith("error:") and "missing.yaml" in out.stderr
    ok = subprocess.run([sys.executable, "-m", "lstm_helpers", "--help"], cwd=str(ROOT), capture_output=True, text=True)
    assert ok.returncode == 0 and "usage: lstm-workbench" in ok.stdout


def test_python_311_to_313_are_admitted():
    from packaging.specifiers import SpecifierSet

    spec = SpecifierSet(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"])
    assert all(v in spec for v in ("3.11.7", "3.12.1", "3.13.0")) and "3.10.13" not in spec


def test_constraints_pin_every_dependency_make_installs():
    """A fresh install reproduces the README's figures: every installed package is pinned."""
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[name.lower().replace("_", "-")] = version
    for need in (
        "tensorflow",
        "keras",
        "numpy",
        "pandas",
        "scikit-learn",
        "papermill",
        "nbconvert",
    ):
        assert pins.get(need), need
    import importlib.metadata as md

    assert md.version("tensorflow") == pins["tensorflow"], "constraints.txt is stale: run make lock"


def test_top_level_layout():
    for p in (
        "notebooks",
        "lstm_helpers",
        "data",
        "reports",
        "environment.yml",
        "tests",
        "README.md",
        "Makefile",
        "pyproject.toml",
        "configs",
        "benchmarks",
        ".ci/run",
    ):
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
