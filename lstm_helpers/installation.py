"""Whether the package runs from a checkout of its repository, and the guards when it does not.

The workbench is a repository workbook: the stage notebooks (``notebooks/``), the configs
(``configs/``) and the default output and data folders (``reports/``, ``data/``) lie beside
the package, found through :data:`lstm_helpers.config.PROJECT_ROOT`, and ``make setup``
installs it in editable mode (``pip install -e .``). A wheel (or any non-editable ``pip
install``) carries the package alone, and ``PROJECT_ROOT`` is then the installation directory
(``site-packages``): a stage would look there for its notebook and a default path would
write runs, comparisons or the demo recordings there. The commands that need the notebooks
or the project folders are refused there, before anything is written or TensorFlow is
imported (:func:`require_checkout`); the others (predict, report, slides, generate, demo,
prepare --no-notebook --config FILE) keep working but never write into the installation
(:func:`outside_installation`).
"""

from __future__ import annotations

from pathlib import Path

from lstm_helpers.config import PROJECT_ROOT, Config, ConfigError, resolve_path

# the commands that execute the notebooks (prepare unless --no-notebook with --config)
NOTEBOOK_COMMANDS = ("run", "prepare", "train", "evaluate", "sweep", "compare", "search")
WITHOUT_CHECKOUT = "predict, report, slides, generate, demo --out and prepare --no-notebook --config FILE"
EDITABLE = "pip install -e ."


def is_checkout(root: Path | None = None) -> bool:
    """True when ``notebooks/`` lies beside the package: a clone of the repository (editable
    install or ``PYTHONPATH``), not a wheel installed into ``site-packages``."""
    return ((root or PROJECT_ROOT) / "notebooks").is_dir()


def require_checkout(command: str, no_notebook: bool = False, root: Path | None = None) -> None:
    """Refuse ``command`` when it executes the stage notebooks (:data:`NOTEBOOK_COMMANDS`;
    ``prepare`` unless ``no_notebook``: with ``--no-notebook --config FILE`` it needs neither
    the notebooks nor the default config) outside a checkout, saying what is missing and how to
    install the workbench so that it runs.

    Raises
    ------
    ConfigError
        When ``root`` (default :data:`PROJECT_ROOT`) holds no ``notebooks/``.
    """
    root = root or PROJECT_ROOT
    if command not in NOTEBOOK_COMMANDS or (command == "prepare" and no_notebook) or is_checkout(root):
        return
    raise ConfigError(
        f"lstm-workbench {command} executes the notebooks in notebooks/, which this installation lacks: "
        f"lstm_helpers is installed in {root} with no notebooks/ or configs/ beside it (from a wheel or by a "
        f"non-editable pip install). The workbench runs from a clone of its repository installed in editable "
        f"mode: run `{EDITABLE}` (or `make setup`) in the clone, and lstm-workbench from there. Installed like "
        f"this, only {WITHOUT_CHECKOUT} work. Nothing was written"
    )


def inside_installation(path: str | Path, root: Path | None = None) -> bool:
    """True when ``path`` lies in the installation directory of a package that is not a checkout."""
    root = root or PROJECT_ROOT
    return not is_checkout(root) and Path(path).resolve().is_relative_to(root.resolve())


def outside_installation(path: str | Path, option: str, named: str = "", root: Path | None = None) -> Path:
    """``path`` (a default output or data folder; ``named``: the setting it comes from, as
    ``data.path data/raw/demo``), refused when it would land in the installation directory of a
    package that is not a checkout, naming the ``option`` to give.

    Raises
    ------
    ConfigError
        When ``path`` lies under ``root`` (default :data:`PROJECT_ROOT`) and ``root`` holds no
        ``notebooks/``.
    """
    root = root or PROJECT_ROOT
    if inside_installation(path, root):
        raise ConfigError(
            f"{named + ' is not found from the current directory and means ' if named else ''}{path}, in the "
            f"installation directory {root}, which is not a clone of the repository and has no configs/, data/ "
            f"or reports/; nothing is read or written there: give {option} (or run lstm-workbench from a clone "
            f"of the repository installed with `{EDITABLE}`)"
        )
    return Path(path)


def check_prepare_paths(cfg: Config, out: Path | None) -> None:
    """``prepare --no-notebook`` outside a checkout: a data path found nowhere but in the
    installation (where the demo recordings would be generated) and a default run folder there
    are refused before anything is read or written."""
    if is_checkout():
        return
    for key, value in (("data.path", cfg.data.path), ("data.test_path", cfg.data.test_path)):
        if value is not None:
            outside_installation(resolve_path(value), f"--set {key}=PATH, a file or folder here", f"{key} {value}")
    if out is None:
        reports = cfg.run.reports_dir
        outside_installation(resolve_path(reports), "--out DIR, or run.reports_dir", f"run.reports_dir {reports}")
