"""Where an internal error's traceback is kept: ``reports/errors/internal-error-<time>-<pid>.txt``
(``reports`` found as a data path is, :func:`lstm_helpers.config.resolve_path`), never inside an
installed package's directory (:func:`lstm_helpers.installation.inside_installation`)."""

from __future__ import annotations

import datetime as dt
import os
import sys
import traceback
from pathlib import Path


def save_traceback(exc: BaseException) -> Path | None:
    """Write the traceback to ``reports/errors/internal-error-<time>.txt`` (None when it cannot)."""
    from lstm_helpers.config import resolve_path
    from lstm_helpers.installation import inside_installation

    text = "".join(traceback.format_exception(exc))
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    header = f"lstm-workbench internal error, {stamp}\ncommand: {' '.join(sys.argv)}\npython: {sys.version}\n\n"
    try:
        path = resolve_path("reports") / "errors" / f"internal-error-{stamp}-{os.getpid()}.txt"
        if inside_installation(path):  # an installed wheel: nothing is written into site-packages
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + text)
        return path
    except OSError:
        return None
