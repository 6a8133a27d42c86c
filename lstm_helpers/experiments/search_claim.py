"""Whether a search may continue in a folder that holds a search under another id.

The folder's ``search_id.txt`` holds ``<file stem>-<hash of the base parameters and the search
settings>``. The same hash under another stem is the same search from a renamed file: it
continues. A hash that differs only by a larger ``max_trials`` (random / bayesian) is the same
search given more trials: KerasTuner reloads its trials and runs the new ones (its oracle's
``max_trials`` is not kept with its state), so it is extended in place. Anything else is
another search, refused naming the settings that differ (the folder's ``search.yaml`` is the
file that search ran from).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from lstm_helpers.config import ConfigError

if TYPE_CHECKING:
    from lstm_helpers.experiments.search import Search


def _raw(file: Path) -> dict[str, Any]:
    """A search file as written ({} when missing or unreadable); the folder's ``search.yaml`` is
    the file its search ran from."""
    try:
        raw = yaml.safe_load(Path(file).read_text())
    except (OSError, yaml.YAMLError):
        return {}
    return raw if isinstance(raw, dict) else {}


def _flat(raw: dict[str, Any]) -> dict[str, str]:
    """A search file's settings as ``key -> value`` (``set`` and ``space`` entries one by one)."""
    out: dict[str, str] = {}
    for key, value in raw.items():
        if key == "description":
            continue
        if key in ("set", "space") and isinstance(value, dict):
            out.update({f"{key}: {k}": json.dumps(v, sort_keys=True, default=str) for k, v in value.items()})
        else:
            out[key] = json.dumps(value, sort_keys=True, default=str)
    return out


def spec_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """``max_trials 4 -> 5``, ``set: train.epochs 2 -> (not set)``: what differs between two
    search files, setting by setting."""
    a, b = _flat(old), _flat(new)
    return [
        f"{k} {a.get(k, '(not set)')} -> {b.get(k, '(not set)')}"
        for k in dict.fromkeys([*a, *b])
        if a.get(k) != b.get(k)
    ]


def check_same_search(search: Search, search_dir: Path, held: str) -> str:
    """The note to say where the search in ``search_dir`` (id ``held``) is this one renamed or
    given more trials (it continues); else a ConfigError naming what differs and the way out."""
    held_stem, _, held_hash = held.rpartition("-")
    if held_hash == search.settings_hash():
        return f"{search_dir.name} holds this search under the name {held_stem!r}: it continues there"
    old = _raw(search_dir / "search.yaml")
    before = old.get("max_trials")
    grows = search.spec.tuner != "hyperband" and isinstance(before, int) and before < search.spec.max_trials
    if grows and held_hash == search.settings_hash(max_trials=before):
        return (
            f"max_trials {before} -> {search.spec.max_trials}: the search in {search_dir.name} is extended, "
            f"its {before} trials kept"
        )
    changes = spec_changes(old, _raw(search.file)) if old else []
    what = (
        "; ".join(changes)
        if changes
        else "the run parameters of base + set + --set (the base file or the --set values changed)"
        if old
        else "settings its folder does not record (it holds no search.yaml)"
    )
    fewer = (
        " (fewer trials than it holds: it ran those already; keep max_trials, or raise it to extend the search)"
        if isinstance(before, int) and before > search.spec.max_trials and len(changes) == 1
        else ""
    )
    raise ConfigError(
        f"{search_dir} holds the trials of another search ({held}), which differs in {what}{fewer}; "
        "give --out a new folder (a search given only more max_trials continues in its folder)"
    )
