"""Labels of compared runs: how each differs from the others in a few words (variant, swept
key=value, seed), and parameter values as they read in a config (true / false, compact lists).
Used by the comparison page (:mod:`lstm_helpers.experiments.display`) and the slides."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from lstm_helpers.experiments.plan import short_keys


def as_labels(values: pd.Series) -> pd.Series:
    """Values as category labels; whole floats (CSV turns 50 into 50.0) lose the '.0';
    booleans read as in the config (true / false, not 1 / 0)."""
    text = values.astype(str)
    if set(text) <= {"True", "False"}:
        return text.str.lower()
    if text.str.startswith("[").all():
        return text.map(_compact_list)
    num = pd.to_numeric(values, errors="coerce")
    if num.notna().all() and (num == num.round()).all():
        return num.astype(int).astype(str)
    return values.astype(str)


def _compact_list(text: str) -> str:
    """A swept list as a short tick label: units ``[64,32]`` -> ``64-32``, conv blocks
    ``[{"filters":8,"kernel_size":5,"pool":2}]`` -> ``8x5p2`` (as in model names), ``[]`` -> ``none``."""
    try:
        items = json.loads(text)
    except ValueError:
        return text
    if not isinstance(items, list):
        return text
    if not items:
        return "none"
    if all(isinstance(x, dict) and {"filters", "kernel_size"} <= set(x) for x in items):
        return "-".join(
            f"{x['filters']}x{x['kernel_size']}" + (f"p{x['pool']}" if x.get("pool", 1) > 1 else "") for x in items
        )
    if all(isinstance(x, int | float) and not isinstance(x, bool) for x in items):
        return "-".join(f"{x:g}" for x in items)
    return text


# last parts of a key that say nothing alone: "schedule.kind=cyclical", not "kind=cyclical"
_GENERIC = {"kind", "method", "per", "by", "enabled", "patience", "factor", "type"}


def run_labels(c: Any) -> pd.Series:
    """Short labels saying how runs differ: variant, swept key=value, seed."""
    t = c.table
    keys = c.param_keys
    short = {k: (".".join(k.split(".")[-2:]) if v in _GENERIC else v) for k, v in short_keys(keys).items()}
    parts = [t["variant"].fillna("").astype(str)] if "variant" in t else []
    if _names_tell_models_apart(t, keys):  # an architecture grid: the model names say it all
        parts.append(t["model_name"].astype(str))
    else:
        parts += [short[k] + "=" + as_labels(t[k]) for k in keys]
    if "seed" in t and t["seed"].nunique() > 1:
        parts.append("seed " + as_labels(t["seed"]))
    if not parts:
        return t["run"].astype(str)
    return pd.concat(parts, axis=1).apply(lambda r: " · ".join(x for x in r if x), axis=1)


def _names_tell_models_apart(t: pd.DataFrame, keys: list[str]) -> bool:
    """Every swept key is a ``model.`` key and each setting of them has its own model name
    (``bilstm_cv1-8x5_lay2_sz16-16``): then the name labels a run better than the raw values."""
    if not keys or not all(k.startswith("model.") for k in keys) or "model_name" not in t:
        return False
    names = t["model_name"]
    if names.isna().any():
        return False
    settings = t[keys].astype(str).agg("|".join, axis=1)
    return settings.nunique() == names.nunique() and (settings.groupby(names).nunique() == 1).all()
