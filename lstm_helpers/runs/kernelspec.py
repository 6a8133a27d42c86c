"""The ``lstm-workbench`` Jupyter kernel that JupyterLab users pick (``make setup`` installs it
into the environment with ``python -m lstm_helpers.runs.kernelspec``): ipykernel's own spec
plus ``--IPKernelApp.capture_fd_output=False``, as the pipeline's kernels start (see
:mod:`lstm_helpers.runs.kernel`): TensorFlow's C++ start-up lines (absl, oneDNN, CUDA probes)
are written to file descriptor 2, which ipykernel otherwise copies into the cell as a red
stderr block; they go to the terminal that runs JupyterLab instead. Python warnings and
prints still show in the cell."""

from __future__ import annotations

import json
import sys
from pathlib import Path

NAME, DISPLAY = "lstm-workbench", "Python 3 (lstm-workbench)"
QUIET_FD = "--IPKernelApp.capture_fd_output=False"


def install(prefix: str = sys.prefix) -> Path:
    """Install (or refresh) the kernel spec under ``prefix``; its ``kernel.json``."""
    from ipykernel.kernelspec import install as install_spec

    spec = Path(install_spec(prefix=prefix, kernel_name=NAME, display_name=DISPLAY)) / "kernel.json"
    kernel = json.loads(spec.read_text())
    if QUIET_FD not in kernel["argv"]:
        kernel["argv"].append(QUIET_FD)
    spec.write_text(json.dumps(kernel, indent=1) + "\n")
    return spec


if __name__ == "__main__":  # pragma: no cover - make setup
    print(install())
