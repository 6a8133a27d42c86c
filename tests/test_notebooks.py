"""Notebook hygiene (no outputs, a header, one parameters cell of literals) and papermill smoke runs."""

import ast
import os
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_notebooks_exist():
    names = {p.name for p in NOTEBOOKS}
    assert {"01_prepare.ipynb", "02_train.ipynb", "03_evaluate.ipynb"} <= names, names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name} has outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_header_and_single_parameters_cell_of_literals(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    assert "Reads" in first.source or "reads" in first.source
    assert "Writes" in first.source or "writes" in first.source
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    tree = ast.parse(tagged[0].source)
    for node in tree.body:
        assert isinstance(node, ast.AnnAssign | ast.Assign), ast.dump(node)
        ast.literal_eval(node.value)  # plain literals only
    for c in nb.cells:  # the parameters cell is literals only (checked above), however long
        if c.cell_type == "code" and c is not tagged[0]:
            assert len(c.source.splitlines()) <= 12, f"{path.name}: logic belongs in lstm_helpers"


@pytest.mark.slow
def test_papermill_smoke_prepare(tiny_config, tmp_path):
    import papermill as pm

    from lstm_helpers.artifacts import write_yaml

    cfg = tiny_config()
    write_yaml(tmp_path / "params.yaml", cfg.to_dict())
    pm.execute_notebook(
        str(ROOT / "notebooks" / "01_prepare.ipynb"),
        str(tmp_path / "01_prepare.ipynb"),
        parameters={
            "run_dir": str(tmp_path),
            # undersampling to 1:1 keeps under half the windows: a warning, shown without a file path
            "overrides": {
                "windows.overlap_percent": 60,
                "resample.method": "undersample",
                "resample.imbalance_factor": 1,
            },
        },
        kernel_name=os.environ.get("LSTM_WORKBENCH_KERNEL", "python3"),
        cwd=str(tmp_path),
        progress_bar=False,
    )
    assert (tmp_path / "prepared.npz").is_file() and (tmp_path / "prepare.json").is_file()
    import json

    meta = json.loads((tmp_path / "prepare.json").read_text())
    assert meta["parameters"]["windows"]["overlap_percent"] == 60 and meta["leakage"]["ok"]
    executed = nbformat.read(tmp_path / "01_prepare.ipynb", as_version=4)
    images = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 2  # class distribution + example windows, whatever the backend
    stderr = "".join(
        o.text for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.get("name") == "stderr"
    )
    said = stderr.splitlines()  # each warning one line, no path, no line number
    assert any(line.startswith("UserWarning: undersampling kept") for line in said), stderr
    assert all(line.startswith("UserWarning: ") for line in said) and ".py:" not in stderr, stderr


STAGES = [p for p in NOTEBOOKS if p.name in ("01_prepare.ipynb", "02_train.ipynb", "03_evaluate.ipynb")]


@pytest.mark.parametrize("path", STAGES, ids=lambda p: p.name)
def test_every_knob_is_a_parameter(path):
    """The parameters cell is the generated one: every config knob as <section>__<key> = None."""
    from lstm_helpers.runs.params_cell import knob_defaults, parameters_cell_source

    cell = next(c for c in nbformat.read(path, as_version=4).cells if "parameters" in c.metadata.get("tags", []))
    assert cell.source == parameters_cell_source(), "run: python -m lstm_helpers.runs.params_cell"
    assert "train__epochs = None" in cell.source and len(knob_defaults()) > 50


def test_all_notebooks_name_the_project_kernel():
    specs = {p.name: nbformat.read(p, as_version=4).metadata["kernelspec"] for p in NOTEBOOKS}
    assert {s["name"] for s in specs.values()} == {"lstm-workbench"}, specs
    assert {s["display_name"] for s in specs.values()} == {"Python 3 (lstm-workbench)"}, specs


def test_flat_parameters_map_to_dotted_overrides_and_unknown_ones_are_refused():
    from lstm_helpers.config import ConfigError
    from lstm_helpers.runs.params_cell import overrides_from_namespace

    ns = {"train__epochs": 2, "model__units": [8], "seed": None, "In": [], "my_variable": 3}
    assert overrides_from_namespace(ns) == {"train.epochs": 2, "model.units": [8]}
    for bad, hint in (
        ({"epochs": 2}, "train__epochs"),
        ({"train__epoch": 2}, "train__epochs"),
        ({"windows__overlap": 50}, "windows__overlap_percent"),
    ):
        with pytest.raises(ConfigError, match=f"unknown notebook parameter '{next(iter(bad))}'.*{hint}"):
            overrides_from_namespace(bad)


@pytest.mark.slow
def test_papermill_flat_knob_and_overrides_text(tiny_config, tmp_path):
    """``-p windows__overlap_percent 60 -p overrides '{...}'`` as papermill passes them, in a quiet
    kernel: no TensorFlow / kernel start-up lines in the executed notebook (they go to kernel.log)."""
    import json

    import papermill as pm

    from lstm_helpers.artifacts import write_yaml
    from lstm_helpers.runs.kernel import KERNEL_LOG, quiet_kernel_kwargs

    write_yaml(tmp_path / "params.yaml", tiny_config().to_dict())
    pm.execute_notebook(
        str(ROOT / "notebooks" / "01_prepare.ipynb"),
        str(tmp_path / "01_prepare.ipynb"),
        parameters={
            "run_dir": str(tmp_path),
            "windows__overlap_percent": 60,
            "overrides": '{"split.val_fraction": 0.25}',
        },
        kernel_name=os.environ.get("LSTM_WORKBENCH_KERNEL", "python3"),
        cwd=str(tmp_path),
        progress_bar=False,
        **quiet_kernel_kwargs(tmp_path),
    )
    meta = json.loads((tmp_path / "prepare.json").read_text())
    assert meta["parameters"]["windows"]["overlap_percent"] == 60
    assert meta["parameters"]["split"]["val_fraction"] == 0.25
    executed = nbformat.read(tmp_path / "01_prepare.ipynb", as_version=4)
    stderr = [o.text for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.get("name") == "stderr"]
    assert not any("absl" in t or "oneDNN" in t or "IPKernelApp" in t for t in stderr), stderr
    assert "IPKernelApp" in (tmp_path / KERNEL_LOG).read_text()  # the noise went to the log
    assert "KeyboardInterrupt" not in (tmp_path / KERNEL_LOG).read_text()


@pytest.mark.slow
def test_papermill_unknown_parameter_is_refused(tiny_config, tmp_path):
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from lstm_helpers.artifacts import write_yaml
    from lstm_helpers.runs.kernel import quiet_kernel_kwargs

    write_yaml(tmp_path / "params.yaml", tiny_config().to_dict())
    with pytest.raises(PapermillExecutionError, match="unknown notebook parameter 'epochs'.*train__epochs"):
        pm.execute_notebook(
            str(ROOT / "notebooks" / "02_train.ipynb"),
            str(tmp_path / "02_train.ipynb"),
            parameters={"run_dir": str(tmp_path), "epochs": 2},
            kernel_name=os.environ.get("LSTM_WORKBENCH_KERNEL", "python3"),
            cwd=str(tmp_path),
            progress_bar=False,
            **quiet_kernel_kwargs(tmp_path),
        )
    assert not (tmp_path / "model.keras").exists()
    # the cell shows the message, as the command line prints it, not a traceback through the package
    executed = nbformat.read(tmp_path / "02_train.ipynb", as_version=4)
    (error,) = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert error.ename == "ConfigError" and "unknown notebook parameter 'epochs'" in error.evalue
    shown = "\n".join(error.traceback)
    assert shown.count("\n") <= 2 and "Traceback" not in shown and "site-packages" not in shown, shown
    assert "(raised in lstm_helpers/runs/params_cell.py, line " in shown and str(ROOT) not in shown, shown


@pytest.mark.slow
def test_a_bug_keeps_its_full_traceback_in_a_notebook(tmp_path):
    """Only errors about the user's input are shortened; anything else is shown whole."""
    import nbformat.v4 as v4
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    nb = v4.new_notebook(cells=[v4.new_code_cell(
        "from lstm_helpers.display import brief_user_errors\nbrief_user_errors()\n"
        "from lstm_helpers.experiments import display\n"
        "def deep():\n    raise KeyError('a bug')\n"
        "try:\n    display.open_comparison('', [])\nexcept Exception as exc:\n    print(type(exc).__name__)\n"
        "deep()"
    )], metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}})  # fmt: skip
    nbformat.write(nb, tmp_path / "bug.ipynb")
    with pytest.raises(PapermillExecutionError, match="KeyError"):
        pm.execute_notebook(str(tmp_path / "bug.ipynb"), str(tmp_path / "out.ipynb"), progress_bar=False,
                            kernel_name=os.environ.get("LSTM_WORKBENCH_KERNEL", "python3"))  # fmt: skip
    (cell,) = [c for c in nbformat.read(tmp_path / "out.ipynb", as_version=4).cells if c.cell_type == "code"]
    assert cell.outputs[0].text.strip() == "ConfigError"  # a missing folder is the user's error
    assert "deep()" in "\n".join(cell.outputs[-1].traceback)  # the bug's frames are all there


def test_the_jupyterlab_kernel_keeps_tensorflows_c_lines_out_of_the_cells(tmp_path):
    """The lstm-workbench kernel (what JupyterLab users pick) copied TensorFlow's C++ start-up
    lines into cells 2 and 4 of 02_train as red stderr blocks; the pipeline's kernels never did."""
    import json
    import sys

    from lstm_helpers.runs.kernel import KERNEL_ARGS
    from lstm_helpers.runs.kernelspec import QUIET_FD, install

    assert QUIET_FD in KERNEL_ARGS  # the pipeline's kernels start the same way
    spec = json.loads(install(prefix=str(tmp_path)).read_text())
    assert QUIET_FD in spec["argv"] and spec["display_name"] == "Python 3 (lstm-workbench)"
    assert json.loads(install(prefix=str(tmp_path)).read_text())["argv"].count(QUIET_FD) == 1
    installed = Path(sys.prefix) / "share" / "jupyter" / "kernels" / "lstm-workbench" / "kernel.json"
    if installed.is_file():  # make setup installed it
        assert QUIET_FD in json.loads(installed.read_text())["argv"]


def test_installing_the_kernel_spec_leaves_nothing_in_the_temporary_folder(tmp_path, monkeypatch):
    """ipykernel's ``install`` left an empty ``tmp*_kernels`` directory in the system's
    temporary folder at every ``make setup`` (it removes the spec, not the directory it made)."""
    import json
    import tempfile

    from lstm_helpers.runs.kernelspec import DISPLAY, QUIET_FD, install

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    spec = json.loads(install(prefix=str(tmp_path / "env")).read_text())
    assert list(scratch.iterdir()) == []
    assert spec["display_name"] == DISPLAY and spec["argv"].count(QUIET_FD) == 1


def test_a_notebook_run_with_papermill_keeps_tensorflows_start_up_lines_off_the_terminal(tmp_path):
    """``papermill notebooks/02_train.ipynb ...`` (the README's way to run one stage) printed
    TensorFlow's C++ start-up lines on the user's terminal, ending with "E0000 ... failed call to
    cuInit: ... UNKNOWN ERROR (303)" on a machine without a GPU, which reads like a failure."""
    import os
    import subprocess
    import sys

    import nbformat

    from lstm_helpers.runs.kernelspec import NAME, install

    install(prefix=str(tmp_path / "env"))  # this kernel spec, whatever an older set-up installed
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import keras\nimport tensorflow as tf\nprint(len(tf.config.list_physical_devices('CPU')))"
        )
    ]
    nb.metadata["kernelspec"] = {"name": NAME, "display_name": NAME, "language": "python"}
    nbformat.write(nb, tmp_path / "tf.ipynb")
    env = {**os.environ, "JUPYTER_PATH": str(tmp_path / "env" / "share" / "jupyter"), "PYTHONPATH": str(ROOT)}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    done = subprocess.run(
        [sys.executable, "-m", "papermill", str(tmp_path / "tf.ipynb"), str(tmp_path / "out.ipynb"), "--no-progress-bar"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4).cells[0].outputs
    assert [o.get("text") for o in out] == ["1\n"]  # TensorFlow works in the kernel
    for noise in ("oneDNN custom operations", "cuInit", "cpu_feature_guard", "absl::InitializeLog"):
        assert noise not in done.stderr + done.stdout, done.stderr
