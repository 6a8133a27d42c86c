"""Output locations checked before any work: a folder that cannot be written (read-only, an
immutable folder, no permission) is named with the setting that chose it, before data are read
or a model is loaded, instead of an ``OSError`` once the work is done.

Hand-written: ``os.access`` answers for one existing path; which folder a path that does not
exist yet would be created in (its nearest existing parent) is ours to find.
"""

from __future__ import annotations

import os
from pathlib import Path

from lstm_helpers.artifacts import shown
from lstm_helpers.config import ConfigError

UNWRITABLE = "cannot be written (read-only, or no permission)"


def unwritable_folder(path: Path) -> Path | None:
    """The folder that keeps ``path`` (a folder to write in, made with its parents where missing)
    from being written: ``path`` itself, or its nearest existing parent when it does not exist
    yet, where this process may not create files; None when it can, or when that is a file (the
    callers' own checks say a file is not a folder)."""
    p = Path(path).absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return None if not p.is_dir() or os.access(p, os.W_OK | os.X_OK) else p


def check_folder_writable(folder: Path, setting: str, value: Path | str | None = None) -> None:
    """Raise :class:`ConfigError` when ``folder`` cannot be written, naming it and ``setting``
    (``--out``, ``run.reports_dir``) whose value (``value``, default ``folder``) chose it."""
    blocked = unwritable_folder(folder)
    if blocked is None:
        return
    shown_value = shown(Path(value if value is not None else folder))
    where = "" if blocked == Path(folder).absolute() else f": the folder {shown(blocked)} it would be made in"
    fix = (
        "set run.reports_dir (--set run.reports_dir=FOLDER) or give --out"
        if setting == "run.reports_dir"
        else f"give {setting}"
    )
    raise ConfigError(f"{setting} {shown_value}{where} {UNWRITABLE}; {fix} a folder you can write")


def check_output_file_writable(path: Path, setting: str = "--out", default_note: str = "") -> None:
    """Raise :class:`ConfigError` when output file ``path`` cannot be written: its folder (made
    where missing) or the file itself when it exists. ``default_note``: how the path was chosen
    when ``setting`` was not given (e.g. "the predictions go beside --input by default")."""
    path = Path(path)
    blocked = unwritable_folder(path.parent)
    if blocked is None and path.exists() and not os.access(path, os.W_OK):
        blocked = path
    if blocked is None:
        return
    said = f"{default_note}, and" if default_note else f"{setting} {shown(path)}:"
    raise ConfigError(f"{said} {shown(blocked)} {UNWRITABLE}; give {setting} a file in a folder you can write")
