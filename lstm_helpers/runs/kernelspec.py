"""The ``lstm-workbench`` Jupyter kernel that JupyterLab users pick (``make setup`` installs it
into the environment with ``python -m lstm_helpers.runs.kernelspec``): ipykernel's own spec
plus ``--IPKernelApp.capture_fd_output=False``, as the pipeline's kernels start (see
:mod:`lstm_helpers.runs.kernel`): what native code writes to file descriptor 2 is not copied
into the cell as a red stderr block. TensorFlow's C++ start-up lines (absl, oneDNN, CUDA
probes) are dropped at its first import (:mod:`lstm_helpers.runs.quiet_tf`, installed at the
kernel's start), so neither the terminal that runs JupyterLab nor one that runs papermill
shows them. Python warnings and prints still show in the cell."""

from __future__ import annotations

import json
import sys
from pathlib import Path

NAME, DISPLAY = "lstm-workbench", "Python 3 (lstm-workbench)"
QUIET_FD = "--IPKernelApp.capture_fd_output=False"
# TensorFlow's start-up lines captured at its first import (lstm_helpers.runs.quiet_tf): a notebook
# run with papermill printed them, with "E0000 ... failed call to cuInit", on the user's terminal
QUIET_TF = "--IPKernelApp.exec_lines=__import__('lstm_helpers.runs.quiet_tf', fromlist=['install']).install()"


def install(prefix: str = sys.prefix) -> Path:
    """Install (or refresh) the kernel spec under ``prefix``; its ``kernel.json``."""
    from ipykernel.kernelspec import install as install_spec

    spec = Path(install_spec(prefix=prefix, kernel_name=NAME, display_name=DISPLAY)) / "kernel.json"
    kernel = json.loads(spec.read_text())
    kernel["argv"] += [arg for arg in (QUIET_FD, QUIET_TF) if arg not in kernel["argv"]]
    spec.write_text(json.dumps(kernel, indent=1) + "\n")
    return spec


if __name__ == "__main__":  # pragma: no cover - make setup
    print(install())
