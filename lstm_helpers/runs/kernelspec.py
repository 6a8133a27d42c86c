"""The ``lstm-workbench`` Jupyter kernel that every notebook names and JupyterLab users pick
(``make setup`` installs it into the environment with ``python -m lstm_helpers.runs.kernelspec``;
an environment installed otherwise runs the same once, README "Each stage notebook also runs on
its own"; without it papermill stops with NoSuchKernel): ipykernel's own spec
plus ``--IPKernelApp.capture_fd_output=False``, as the pipeline's kernels start (see
:mod:`lstm_helpers.runs.kernel`): what native code writes to file descriptor 2 is not copied
into the cell as a red stderr block. TensorFlow's C++ start-up lines (absl, oneDNN, CUDA
probes) are dropped at its first import (:mod:`lstm_helpers.runs.quiet_tf`, installed at the
kernel's start), so neither the terminal that runs JupyterLab nor one that runs papermill
shows them. Python warnings and prints still show in the cell."""

from __future__ import annotations

import sys
from pathlib import Path

NAME, DISPLAY = "lstm-workbench", "Python 3 (lstm-workbench)"
QUIET_FD = "--IPKernelApp.capture_fd_output=False"
# TensorFlow's start-up lines captured at its first import (lstm_helpers.runs.quiet_tf): a notebook
# run with papermill printed them, with "E0000 ... failed call to cuInit", on the user's terminal
QUIET_TF = "--IPKernelApp.exec_lines=__import__('lstm_helpers.runs.quiet_tf', fromlist=['install']).install()"


def install(prefix: str = sys.prefix) -> Path:
    """Install (or refresh) the kernel spec under ``prefix``; its ``kernel.json``.

    ipykernel's own ``install`` writes the spec into a ``tempfile.mkdtemp`` directory and
    removes only the spec inside it, so every set-up left an empty ``tmp*_kernels`` directory
    in the system's temporary folder; the spec is written here into a temporary directory
    that is removed whole, then installed by jupyter_client's ``KernelSpecManager``."""
    import platform
    import tempfile

    from ipykernel.kernelspec import write_kernel_spec
    from jupyter_client.kernelspec import KernelSpecManager

    # as ipykernel's install: frozen modules off, which keeps debugpy's warning away
    python_args = ["-Xfrozen_modules=off"] if platform.python_implementation() == "CPython" else None
    with tempfile.TemporaryDirectory() as tmp:
        source = write_kernel_spec(
            Path(tmp) / NAME,
            overrides={"display_name": DISPLAY},
            extra_arguments=[QUIET_FD, QUIET_TF],
            python_arguments=python_args,
        )
        dest = KernelSpecManager().install_kernel_spec(source, kernel_name=NAME, prefix=prefix)
    return Path(dest) / "kernel.json"


def main(argv: list[str] | None = None) -> int:
    """``python -m lstm_helpers.runs.kernelspec [--prefix DIR]``: install the spec, say where."""
    import argparse

    ap = argparse.ArgumentParser(
        prog="python -m lstm_helpers.runs.kernelspec",
        description=f"register the Jupyter kernel {NAME!r} that the notebooks name, for this Python environment",
    )
    ap.add_argument("--prefix", default=sys.prefix, help="environment to register it in (default: this one)")
    path = install(ap.parse_args(argv).prefix)
    print(f"Jupyter kernel {NAME!r} ({DISPLAY}, {sys.executable}) registered: {path}")
    return 0


if __name__ == "__main__":  # make setup
    sys.exit(main())
