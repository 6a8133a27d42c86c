"""Labels of compared runs: how each differs from the others in a few words (variant, swept
key=value, seed), and parameter values as they read in a config (true / false, compact lists).
Used by the comparison page (:mod:`lstm_helpers.experiments.display`) and the slides."""

from __future__ import annotations

import json
import re
from pathlib import PurePath
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


# a standalone run's directory starts with its time stamp; a sweep's run ends with its seed and fingerprint
_STAMP = re.compile(r"^\d{8}-\d{6}_")
_PLANNED_TAIL = re.compile(r"_seed\d+_[0-9a-f]{12}$")


def run_name(directory: str) -> str:
    """A run's name from its directory's: without the time stamp that starts a standalone run's
    (``20261204-134229_bilstm_lay2_sz64-32_d32`` -> ``bilstm_lay2_sz64-32_d32``: the model name
    and any ``run.name``), nor the seed and fingerprint that end a sweep's run (its seeds share it)."""
    return _PLANNED_TAIL.sub("", _STAMP.sub("", directory)) or directory


def variant_names(t: pd.DataFrame) -> pd.Series:
    """Each run's variant; a run without one (a plain run, a grid sweep's, compared with runs of
    variants) is named by its run name (:func:`run_name`), or its directory's name where that run
    name is another run's or a variant's: it read ``(no variant)``, a column ``change ((no
    variant) − slow)``. Empty names where no run has a variant or the table names no runs."""
    variants = t["variant"] if "variant" in t else pd.Series(None, index=t.index, dtype=object)
    if variants.isna().all() or "run" not in t:
        return variants.astype(object).where(variants.notna(), "")
    dirs = t["run"].astype(str)
    names = dirs.map(run_name)
    # one name for runs of different configurations (two plain runs of one model): their directories
    config = dirs.map(lambda d: _PLANNED_TAIL.sub("", d))  # the seeds of one sweep configuration share one
    clash = names.map(config.groupby(names).nunique()) > 1
    clash |= names.isin(set(variants.dropna().astype(str)))
    return variants.astype(object).where(variants.notna(), names.where(~clash, dirs))


def run_labels(c: Any) -> pd.Series:
    """Short labels saying how runs differ: variant, swept key=value, seed, and the models a
    run averages (``5 members``) where runs differ in them; never a key whose value all runs
    share. A run without a variant beside runs with one is named by :func:`variant_names`. Runs
    compared by directory (``meta["swept"]`` False: no sweep's keys) are labelled by their
    variants (with seed and members) where those tell each apart, else by their run names
    (:func:`run_name`; directory names where two share one), unless :data:`SHORT_LABEL_KEYS`
    keys in at most :data:`SHORT_LABEL_CHARS` characters tell each apart (a dozen differing
    settings made labels no table could show, alike where a table cut them)."""
    t = c.table
    keys = [k for k in c.param_keys if as_labels(t[k]).nunique(dropna=False) > 1]
    labels = _labels(c, keys)
    if c.meta.get("swept", True) or "run" not in t or not t["run"].is_unique:
        return _told_apart(labels, t)
    few = len(keys) <= SHORT_LABEL_KEYS and labels.str.len().max() <= SHORT_LABEL_CHARS
    for named in (labels if few else None, _labels(c, []) if variant_names(t).ne("").all() else None):
        if named is not None and named.is_unique and (named != "").all():
            return named
    names = t["run"].astype(str).map(run_name)
    return names if names.is_unique else _told_apart(t["run"].astype(str), t)


def configuration_labels(c: Any) -> pd.Series:
    """Each run's configuration in a few words: its label (:func:`run_labels`'s variant and
    key=value parts) without its seed, so the runs of one configuration on several seeds share one."""
    bare = type(c)(c.table.drop(columns=["seed"], errors="ignore"), c.meta, c.directory)
    return _labels(bare, [k for k in c.param_keys if as_labels(c.table[k]).nunique(dropna=False) > 1])


def _told_apart(labels: pd.Series, t: pd.DataFrame) -> pd.Series:
    """``labels``, each one that another run shares prefixed with the folder its run lies in
    (``tiny_pool / units=16`` beside ``tiny_dask / units=16``: two sweeps that ran the same
    runs), more of the path where folders share a name too; the others as they are."""
    if labels.is_unique or "run_dir" not in t:
        return labels
    dirs = t["run_dir"].map(lambda d: PurePath(str(d)))
    for depth in (1, 2, 3):
        where = dirs.map(lambda d, n=depth: "/".join(d.parts[-1 - n : -1]))
        shown = labels.where(~labels.duplicated(keep=False), where + " / " + labels)
        if shown.is_unique:
            return shown
    return shown


def _labels(c: Any, keys: list[str]) -> pd.Series:
    t = c.table
    short = {k: (".".join(k.split(".")[-2:]) if v in _GENERIC else v) for k, v in short_keys(keys).items()}
    parts = [variant_names(t).astype(str)] if "variant" in t else []
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
