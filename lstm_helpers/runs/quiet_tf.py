"""TensorFlow's C++ start-up lines kept off the terminal of a notebook's kernel.

Importing TensorFlow writes absl / oneDNN / CPU-feature lines to file descriptor 2, and on a
machine without a GPU ``E0000 ... failed call to cuInit: ... UNKNOWN ERROR (303)``, which reads
like a failure; ``TF_CPP_MIN_LOG_LEVEL`` cannot stop them (they are written before it is read).
The pipeline's own kernels send their stderr to ``kernel.log``, but a notebook run with
papermill (or in JupyterLab) in the ``lstm-workbench`` kernel printed them on the user's
terminal. The kernel spec (:mod:`lstm_helpers.runs.kernelspec`) calls :func:`install` at the
kernel's start: the first ``import`` of TensorFlow or Keras then runs
:func:`lstm_helpers.runs.kernel.quiet_tensorflow_import` (the import with descriptor 2
captured; what was captured is shown if the import fails) and the hook removes itself.
Written here: Python's import system has no hook for "around the first import of a package"
that keeps ``sys.modules`` consistent; wrapping ``builtins.__import__`` for that one import does.
"""

from __future__ import annotations

import builtins
import sys
from typing import Any

WATCHED = ("tensorflow", "keras")


def install() -> None:
    """Wrap ``builtins.__import__`` until TensorFlow is imported (a no-op once it is)."""
    if "tensorflow" in sys.modules or getattr(builtins.__import__, "_lstm_quiet_tf", False):
        return
    original = builtins.__import__

    def quiet_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.split(".", 1)[0] in WATCHED and builtins.__import__ is quiet_import:
            builtins.__import__ = original  # the nested imports run unwrapped
            from lstm_helpers.runs.kernel import quiet_tensorflow_import

            quiet_tensorflow_import()
        return original(name, *args, **kwargs)

    quiet_import._lstm_quiet_tf = True  # type: ignore[attr-defined]
    builtins.__import__ = quiet_import
