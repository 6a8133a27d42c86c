"""A search space's values checked before any trial, in the combinations the tuner may sample.

A value may be invalid on the search's base alone and valid together with another key's
value (``model.units: [8]`` beside a base ``model.dropout`` list of two, in a space that
also searches a single ``model.dropout``), so values are checked in their combinations:

* a value that no combination of the other keys' choices makes valid (a misspelt key, a
  dropout of 1.5) is refused, naming the space key and value;
* a combination that is invalid (``[8]`` beside a dropout list of two, both choices of the
  space) is refused, naming the combination: KerasTuner may sample it, and the trial would
  fail after the data are prepared.

A ``choice`` is checked at each of its values, an ``int`` / ``float`` range at its ``min``
and ``max``. Every combination of those is checked while there are at most
:data:`MAX_COMBINATIONS`; beyond that, every pair of keys (the others at the base's values).
Hand-written: KerasTuner checks no constraint between hyperparameters.
"""

from __future__ import annotations

import itertools
import json
import math
from typing import TYPE_CHECKING, Any

from lstm_helpers.config import ConfigError, resolve_config

if TYPE_CHECKING:
    from lstm_helpers.experiments.search import Dimension, Search

MAX_COMBINATIONS = 20_000


def probes(dim: Dimension) -> list[Any]:
    """The values of one dimension that are checked: a choice's values, a range's ends."""
    if dim.type == "choice":
        return list(dim.values or [])
    if dim.type == "int":
        return [int(dim.min or 0), int(dim.max or 0)]
    return [dim.min, dim.max]


def combinations(space: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of the keys' probe values, or (more than :data:`MAX_COMBINATIONS`)
    every pair of two keys' values."""
    keys = list(space)
    if math.prod(len(v) for v in space.values()) <= MAX_COMBINATIONS:
        return [dict(zip(keys, vals, strict=True)) for vals in itertools.product(*space.values())]
    return [{a: x, b: y} for a, b in itertools.combinations(keys, 2) for x in space[a] for y in space[b]]


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def describe(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in values.items())


def check_space(search: Search) -> None:
    """Refuse a value no combination makes valid, then any invalid combination (see the
    module's text); the ConfigError names the search file and the key and value, or the
    combination, with what is wrong."""
    valid: dict[str, bool] = {}

    def ok(extra: dict[str, Any]) -> bool:
        slot = json.dumps(extra, sort_keys=True, default=str)
        if slot not in valid:
            try:
                resolve_config(search.common, extra)
                valid[slot] = True
            except ConfigError:
                valid[slot] = False
        return valid[slot]

    space = {k: probes(d) for k, d in search.spec.space.items()}
    combos = combinations(space)
    for key, values in space.items():
        for value in values:
            with_it = [c for c in combos if key in c and _same(c[key], value)]
            if ok({key: value}) or any(ok(c) for c in with_it):
                continue
            if len(space) == 1:
                search._resolve(f"space key '{key}' value {value!r}", {key: value})
            search._resolve(
                f"space key '{key}' value {value!r} (with every choice of the other space keys, "
                f"e.g. trial ({describe(with_it[0])}))",
                with_it[0],
            )
    for combo in combos:
        if not ok(combo):
            search._resolve(
                f"space keys combined as ({describe(combo)}), a trial the tuner may sample (each value is valid "
                "with other choices: make every combination of the space valid, or sweep the valid ones with "
                "lstm-workbench sweep)",
                combo,
            )
