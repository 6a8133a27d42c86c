"""Labels of compared runs: how each differs from the others in a few words (variant, swept
key=value, seed), and parameter values as they read in a config (true / false, compact lists).
Used by the comparison page (:mod:`lstm_helpers.experiments.display`) and the slides."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from lstm_helpers.experiments.plan import short_keys


def as_labels(values: pd.Series, missing: str = "") -> pd.Series:
    """Values as category labels; whole floats (CSV turns 50 into 50.0) lose the '.0';
    booleans read as in the config (true / false, not 1 / 0); lists and dicts compact
    (:func:`compact_value`); a run without the setting gets ``missing``, never "nan"."""
    present = values.notna()
    text = values.astype(str)
    shown = text[present]
    if set(shown) <= {"True", "False"}:
        out = text.str.lower()
    elif shown.str.startswith(("[", "{")).any():
        out = text.map(compact_value)
    else:
        num = pd.to_numeric(values, errors="coerce")
        whole = num[present].notna().all() and (num[present] == num[present].round()).all()
        out = num.map(lambda x: f"{x:.0f}") if whole else text
    return out.where(present, missing)


def compact_value(text: str) -> str:
    """A list or dict setting as a short label: units ``[64,32]`` -> ``64-32``, conv blocks
    ``[{"filters":8,"kernel_size":5,"pool":2}]`` -> ``8x5p2`` (as in model names), ``[]`` ->
    ``none``, class weights ``{"c0":1.0,"c4":6.0}`` -> ``c0:1 c4:6`` (one setting, as set)."""
    try:
        items = json.loads(text)
    except ValueError:
        return text
    if isinstance(items, dict):
        return " ".join(f"{k}:{_short_scalar(v)}" for k, v in items.items()) or "none"
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


def _short_scalar(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    return f"{v:g}" if isinstance(v, int | float) else str(v)


# last parts of a key that say nothing alone: "schedule.kind=cyclical", not "kind=cyclical"
_GENERIC = {"kind", "method", "per", "by", "enabled", "patience", "factor", "type"}


# runs compared by directory are labelled by how they differ only when a few words say it
SHORT_LABEL_KEYS, SHORT_LABEL_CHARS = 3, 60


def run_labels(c: Any) -> pd.Series:
    """Short labels saying how runs differ: variant, swept key=value, seed, and the models a
    run averages (``5 members``) where runs differ in them; never a key whose value all runs
    share. Runs compared by directory (``meta["swept"]`` False: no sweep's keys) are labelled by
    their directory names unless :data:`SHORT_LABEL_KEYS` keys in at most
    :data:`SHORT_LABEL_CHARS` characters tell each apart (a dozen differing settings made labels
    no table could show, alike where a table cut them)."""
    t = c.table
    keys = [k for k in c.param_keys if as_labels(t[k]).nunique(dropna=False) > 1]
    labels = _labels(c, keys)
    if c.meta.get("swept", True) or "run" not in t or not t["run"].is_unique:
        return labels
    few = len(keys) <= SHORT_LABEL_KEYS and labels.str.len().max() <= SHORT_LABEL_CHARS
    return labels if few and labels.is_unique and (labels != "").all() else t["run"].astype(str)


def _labels(c: Any, keys: list[str]) -> pd.Series:
    t = c.table
    short = {k: (".".join(k.split(".")[-2:]) if v in _GENERIC else v) for k, v in short_keys(keys).items()}
    parts = [t["variant"].fillna("").astype(str)] if "variant" in t else []
    if _names_tell_models_apart(t, keys):  # an architecture grid: the model names say it all
        parts.append(t["model_name"].astype(str))
    else:
        for k in keys:  # a run without the setting (another origin, a CNN's units) leaves it out
            value = as_labels(t[k])
            parts.append((short[k] + "=" + value).where(value != "", ""))
    if "seed" in t and t["seed"].nunique() > 1:
        parts.append("seed " + as_labels(t["seed"]))
    if members_differ(t):  # an ensemble trains several models: said, so no swept key gets the credit
        parts.append(as_labels(t["members"]).map(lambda n: "" if not n else "1 model" if n == "1" else f"{n} members"))
    if not parts:
        return t["run"].astype(str)
    return pd.concat(parts, axis=1).apply(lambda r: " · ".join(x for x in r if x), axis=1)


def members_differ(t: pd.DataFrame) -> bool:
    """Runs average different numbers of models (``members``: train.ensemble; auto trains five
    where validation cannot rank epochs): slower, and often better, whatever was swept."""
    return "members" in t and t["members"].dropna().nunique() > 1


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
