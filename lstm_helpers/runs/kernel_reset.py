"""The reset before each stage notebook in a warm kernel: run inside the kernel
(:data:`lstm_helpers.runs.kernel.RESET` calls :func:`reset_in_kernel`), so this module is
imported there and keeps its count of resets for the kernel's life."""

from __future__ import annotations

import gc
import os
import sys

THAW_EVERY = 12  # resets between collections of everything, frozen objects too (four runs of three notebooks)
_resets = 0


def reset_in_kernel(cwd: str, log: str) -> None:
    """The reset before a notebook.

    Clears the user namespace (``%reset -f``), makes ``cwd`` the working directory, points
    file descriptors 1 and 2 at ``log``, closes open figures, clears Keras' global state,
    undoes the notebooks' style (``lstm_helpers.style.reset_notebook_style``) and restarts
    the execution counter. Then ONE garbage collection frees the previous notebook's
    objects: IPython's ``%reset`` collects twice (its display hook's flush, before the
    namespace is cleared, and the magic itself after) and ``clear_session`` once more, each a
    pass over every object of a kernel that imported TensorFlow (~0.3 s on the 2-core host,
    500,000 objects); the calls are muted while they run, as no library offers a reset
    without them. An empty notebook in a warm kernel took 1.08 s with them, 0.58 s without.

    After the collection, what is left is frozen (``gc.freeze``): the imported modules and
    whatever the libraries keep between notebooks. Later collections, this reset's and the
    automatic ones while a notebook runs, then pass over the objects made since, not over
    TensorFlow's (a pass took 0.3 s before, 0.0 s after, on the stages' imports). Cycles
    among frozen objects are never collected while frozen: a library cache that lets go of
    an object after the freeze keeps it (~5,000 objects per demo run, measured in an earlier
    session), so every :data:`THAW_EVERY` resets the frozen objects are thawed first and the
    collection passes over everything, as it did at every reset before.
    """
    global _resets
    from IPython import get_ipython

    ip = get_ipython()
    collect = gc.collect
    gc.collect = lambda generation=2: 0  # type: ignore[assignment]
    try:
        ip.run_line_magic("reset", "-f")
        os.chdir(cwd)
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")
        if "keras" in sys.modules:
            sys.modules["keras"].backend.clear_session(free_memory=False)
        if "lstm_helpers.style" in sys.modules:  # the stages' figure and table style
            sys.modules["lstm_helpers.style"].reset_notebook_style()
    finally:
        gc.collect = collect  # type: ignore[assignment]
    if _resets % THAW_EVERY == 0:
        gc.unfreeze()
    _resets += 1
    gc.collect()
    gc.freeze()
    ip.execution_count = 1
