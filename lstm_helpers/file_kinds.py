"""Which of the workbench's three YAML files a mapping looks like -- a run config, a sweep file
or a search file -- so that one given to the wrong command is named as what it is, with the
command that runs it, instead of one "unknown key" line per key it has."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

FileKind = Literal["run", "sweep", "search"]

# keys only a sweep / a search file has (both also take base, description, set); a test keeps them
# within SweepSpec's / SearchSpec's fields
SWEEP_KEYS = ("base", "grid", "variants", "seeds", "references")
SEARCH_KEYS = ("space", "tuner", "max_trials", "objective", "executions_per_trial", "hyperband_factor")

_WHAT = {
    "run": "a run config (data / model / train)",
    "sweep": "a sweep file (base / grid / variants)",
    "search": "a search file (space / tuner)",
}


def looks_like(raw: dict[str, Any]) -> FileKind | None:
    """The kind of file ``raw`` (a YAML mapping) is by its top-level keys; None when they mix kinds
    or name none (then the usual per-key messages say what is wrong)."""
    from lstm_helpers.config import Config

    keys = set(raw)
    run, sweep, search = keys & set(Config.model_fields), keys & set(SWEEP_KEYS), keys & set(SEARCH_KEYS)
    if search and not run:
        return "search"
    if sweep and not run:
        return "sweep"
    if run and not (sweep or search):
        return "run"
    return None


def check_kind(raw: dict[str, Any], path: str | Path, expected: FileKind) -> None:
    """A ConfigError for a file of another kind than ``expected``, naming what it looks like and
    the command that runs it (``run --config`` given a sweep file: ``lstm-workbench sweep FILE``)."""
    from lstm_helpers.config import ConfigError

    kind = looks_like(raw)
    if kind is None or kind == expected:
        return
    how = f"lstm-workbench run --config {path}" if kind == "run" else f"lstm-workbench {kind} {path}"
    keys = ", ".join(str(k)[:40] for k in list(raw)[:6])
    raise ConfigError(
        f"{path}: this looks like {_WHAT[kind]}, not {_WHAT[expected]} (its keys: {keys}): run it with {how}"
    )
