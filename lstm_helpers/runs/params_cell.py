"""Every config knob as a papermill parameter: ``-p train__epochs 2``.

papermill injects parameters as Python assignments, so a dotted key (``train.epochs``) cannot
be a parameter name; the stage notebooks' ``parameters`` cell therefore lists every knob
under its flat name -- the dotted key with ``.`` written ``__`` -- set to ``None`` ("take it
from the config"), with the real default in the comment, so ``papermill --help-notebook``
shows them all. :func:`overrides_from_namespace` turns the ones that were set into dotted
overrides and refuses a name that looks like a knob but is none (``epochs``,
``train__epoch``) with the valid spelling. The cell text is generated here
(:func:`parameters_cell_source`; ``python -m lstm_helpers.runs.params_cell`` rewrites the
notebooks) and a test keeps the notebooks in step with ``config.py``.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path
from typing import Any

from lstm_helpers.artifacts import flatten
from lstm_helpers.config import PROJECT_ROOT, Config, ConfigError

SEP = "__"
KEEP_WHOLE = ("class_map", "class_weight")  # dict-valued knobs stay one parameter
STAGE_NOTEBOOKS = ("01_prepare.ipynb", "02_train.ipynb", "03_evaluate.ipynb")
HEAD = [
    'run_dir: str = ""  # run directory; empty: reports/scratch (interactive use, run again freely)',
    'config_file: str = ""  # YAML config; empty: the run params.yaml, else (and at 01 of scratch) configs/demo.yaml',
    'overrides: dict = {}  # dotted-key overrides, e.g. {"train.epochs": 2} (also as JSON text)',
    "# Every knob of config.py: <section>__<key> = None takes the value from the config;",
    "# set one with papermill -p train__epochs 2 (lists/dicts with -y). Defaults in the comments.",
]


def knob_defaults() -> dict[str, Any]:
    """Dotted key -> default value of every knob (``config.Config()``)."""
    return flatten(Config().to_dict(), keep=KEEP_WHOLE)


def flat_name(dotted: str) -> str:
    return dotted.replace(".", SEP)


def parameters_cell_source() -> str:
    """The text of a stage notebook's ``parameters`` cell (plain literals only)."""
    lines = list(HEAD)
    for key, default in knob_defaults().items():
        lines.append(f"{flat_name(key)} = None  # config default: {default!r}")
    return "\n".join(lines)


def _knob_like(name: str, known: set[str]) -> bool:
    leaves = {k.split(SEP)[-1] for k in known} | {k.split(SEP)[0] for k in known if SEP in k}
    return not name.startswith("_") and (SEP in name or name in leaves)


def overrides_from_namespace(namespace: dict[str, Any]) -> dict[str, Any]:
    """Dotted overrides from the knob variables a notebook was given (``None`` = not set).

    Raises :class:`ConfigError` for a name that looks like a knob but is not one, naming the
    closest valid parameter, and removes it from ``namespace`` (a notebook's ``globals()``).
    """
    known = {flat_name(k): k for k in knob_defaults()}
    out: dict[str, Any] = {}
    for name, value in list(namespace.items()):
        if name in known:
            if value is not None:
                out[known[name]] = value
        elif _knob_like(name, set(known)) and isinstance(value, str | int | float | bool | list | dict):
            close = (
                difflib.get_close_matches(name, list(known), n=1) or [k for k in known if k.endswith(SEP + name)][:1]
            )
            hint = f"; did you mean {close[0]}?" if close else ""
            namespace.pop(name)  # a live kernel keeps the name after the cell is fixed: refused once, not forever
            raise ConfigError(
                f"unknown notebook parameter '{name}'{hint} Knobs are <section>__<key> "
                f"(e.g. train__epochs); `papermill --help-notebook` lists them"
            )
    return out


def rewrite_notebooks(directory: Path = PROJECT_ROOT / "notebooks") -> list[Path]:
    """Replace the ``parameters`` cell of each stage notebook with :func:`parameters_cell_source`."""
    import nbformat

    changed = []
    for name in STAGE_NOTEBOOKS:
        path = directory / name
        nb = nbformat.read(path, as_version=4)
        cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        if cell.source != parameters_cell_source():
            cell.source = parameters_cell_source()
            nbformat.write(nb, path)
            changed.append(path)
    return changed


if __name__ == "__main__":  # pragma: no cover
    for p in rewrite_notebooks():
        print(f"rewrote {p.relative_to(PROJECT_ROOT)}", file=sys.stderr)
