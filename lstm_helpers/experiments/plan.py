"""Sweep files: their keys, validation, and the expansion into planned runs with their names.

A sweep file holds::

    base: ../demo.yaml          # a run config, relative to the sweep file
    description: what the sweep asks (shown at the top of comparison.html)
    set: {train.epochs: 5}      # dotted overrides for every run
    grid:                       # cartesian product of dotted keys -> value lists
      windows.overlap_percent: [0, 50]
      resample.method: [class_weight, smote]
    variants:                   # optional named parameter sets (e.g. before / after)
      - {name: before, set: {model.units: [128, 64, 64, 32]}}
      - {name: after, set: {model.units: [64, 32]}}
    seeds: [1, 2]               # repeats
    references:                 # optional figures of models measured elsewhere (never run, never ranked)
      - {name: CNN (earlier notebook), accuracy: 0.8785, note: their own split, not this one}

Runs = variants x grid x seeds. Every run's parameters are resolved through
:func:`lstm_helpers.config.resolve_config` and checked before the first run starts.

Each run is named ``<model name>[_<variant>][_<key>-<value>...]_seed<seed>_<fingerprint>``
(story 4's naming: the model name says the architecture, the rest the swept values; the
fingerprint is :meth:`Config.fingerprint` of the run's resolved parameters). The sweep id is
the sweep file's stem plus a hash of the fingerprints of every planned run, so re-running the
same sweep file with the same ``--set`` finds the same directory and resumes it.

Planning imports neither TensorFlow nor pandas: model names come from
:mod:`lstm_helpers.model.naming`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from lstm_helpers.config import (
    PROJECT_ROOT,
    Config,
    ConfigError,
    apply_overrides,
    parse_override,
    read_yaml,
    resolve_config,
    resolve_path,
    short_text,
)
from lstm_helpers.data.inputs import anchored
from lstm_helpers.experiments.references import ReferenceSpec
from lstm_helpers.file_kinds import check_kind
from lstm_helpers.model.naming import planned_model_name, pooling_error
from lstm_helpers.runs.terminal import plural
from lstm_helpers.unused import effective_fingerprint, unused_settings

# model keys that the model name already spells out (left out of run directory names)
NAMED_BY_MODEL = {
    "model.cell",
    "model.units",
    "model.bidirectional",
    "model.conv",
    "model.fcn",
    "model.dimension_shuffle",
    "model.dense_units",
    "model.embedding_dim",
}
MAX_NAME = 180
DEFAULT_BASE = PROJECT_ROOT / "configs" / "demo.yaml"


def validate_spec(model: type[BaseModel], raw: dict[str, Any], label: str) -> Any:
    """Validate a sweep / search file's own keys against ``model``; one ConfigError naming
    each bad key (unknown keys list what is allowed where they stand)."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for e in exc.errors():
            loc = [str(p) for p in e["loc"]]
            key, entry = short_text(".".join(loc) or "(file)", 120), _entry_name(raw, e["loc"])
            if e["type"] == "extra_forbidden":
                node: Any = model
                for part in loc[:-1]:
                    field = getattr(node, "model_fields", {}).get(part)
                    ann = getattr(field, "annotation", None)
                    args = [ann, *getattr(ann, "__args__", ())]
                    sub = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
                    node = sub[0] if sub else node
                lines.append(
                    f"unknown key '{key}'{entry}; allowed keys: {', '.join(getattr(node, 'model_fields', {}))}"
                )
            else:
                lines.append(f"{key}{entry}: {short_text(e['msg'].removeprefix('Value error, '))}")
        raise ConfigError(f"{label}:\n  " + "\n  ".join(dict.fromkeys(lines))) from None


def _entry_name(raw: Any, loc: tuple[Any, ...]) -> str:
    """`` (entry 'NAME')`` when ``loc`` passes through a list entry that has a name (a variant,
    a reference), so the message names the entry, not only its place in the list."""
    node, name = raw, None
    for part in loc:
        if isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            name = node.get("name") if isinstance(node, dict) and isinstance(node.get("name"), str) else name
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            break
    return f" (entry {short_text(name, 80)!r})" if name else ""


class VariantSpec(BaseModel):
    """One named parameter set of a sweep (e.g. ``before`` / ``after``)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    set: dict[str, Any] = Field(default_factory=dict)


class SweepSpec(BaseModel):
    """The keys a sweep file may hold; anything else is an error."""

    model_config = ConfigDict(extra="forbid")
    base: str | None = None  # run config file relative to the sweep file; None = configs/demo.yaml
    description: str | None = None
    set: dict[str, Any] = Field(default_factory=dict)
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    variants: list[VariantSpec] = Field(default_factory=list)
    seeds: list[int] | None = None
    references: list[ReferenceSpec] = Field(default_factory=list)  # type: ignore[valid-type]

    @field_validator("grid")
    @classmethod
    def _non_empty(cls, v: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, values in v.items():
            if not values:
                raise ValueError(f"grid key {key!r} lists no values")
        return v

    @field_validator("variants", "references", mode="before")
    @classmethod
    def _a_list(cls, v: Any, info: ValidationInfo) -> Any:
        """A mapping of names was answered "Input should be a valid list", without the shape wanted."""
        if isinstance(v, dict):
            entry = (
                "{name: NAME, set: {KEY: VALUE}}" if info.field_name == "variants" else "{name: NAME, accuracy: 0.8785}"
            )
            names = ", ".join(map(str, list(v)[:4]))
            raise ValueError(f"must be a list of entries such as '- {entry}', one per line; got a mapping ({names})")
        return v

    @field_validator("variants", "references")
    @classmethod
    def _unique_names(cls, v: list[Any], info: ValidationInfo) -> list[Any]:
        names = [x.name for x in v]
        if len(set(names)) != len(names):
            raise ValueError(f"{info.field_name.rstrip('s')} names must be unique, got {names}")
        return v

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, v: list[int] | None) -> list[int] | None:
        if v is not None and (not v or len(set(v)) != len(v) or min(v) < 0):
            raise ValueError(f"seeds must be a non-empty list of distinct integers >= 0, got {v}")
        return v


@dataclass(frozen=True)
class PlannedRun:
    """One run of a sweep: its resolved parameters and what makes it differ from the others."""

    name: str
    config: Config
    values: dict[str, Any]  # grid key -> value
    variant: str | None
    seed: int

    @property
    def fingerprint(self) -> str:
        return self.config.fingerprint()


@dataclass
class Sweep:
    """A validated, expanded sweep file."""

    file: Path
    spec: SweepSpec
    runs: list[PlannedRun]
    overrides: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # e.g. planned runs left out as repeats

    @property
    def keys(self) -> list[str]:
        """The grid's keys: the parameters that vary alone."""
        return list(self.spec.grid)

    @property
    def sweep_id(self) -> str:
        """``<file stem>-<hash of the planned runs' fingerprints>``: stable across re-runs."""
        digest = hashlib.sha256("\n".join(sorted(r.fingerprint for r in self.runs)).encode())
        return f"{safe_name(self.file.stem)}-{digest.hexdigest()[:8]}"

    @property
    def title(self) -> str:
        return group_title("Sweep", self.file.stem)

    def default_dir(self) -> Path:
        return resolve_path(self.runs[0].config.run.reports_dir) / "sweeps" / self.sweep_id


def group_title(kind: str, stem: str) -> str:
    """A sweep's or search's title from its file's stem: ``Sweep lr`` (lr.yaml); the stem alone
    where it names the kind (``lr_sweep``), the kind alone for ``sweep.yaml`` (not "Sweep sweep").

    >>> group_title("Sweep", "lr"), group_title("Sweep", "charsweep"), group_title("Search", "search")
    ('Sweep lr', 'charsweep', 'Search')
    """
    stem = safe_name(stem)
    if stem.lower() == kind.lower():
        return kind
    return stem if kind.lower() in stem.lower() else f"{kind} {stem}"


def safe_name(text: str) -> str:
    """``text`` with anything but letters, digits, ``_ . -`` replaced by ``-``."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


def _fmt_value(value: Any) -> str:
    """A value as it appears in a run directory name."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return "-".join(_fmt_value(v) for v in value) or "empty"
    if isinstance(value, dict | list):
        return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:6]
    return safe_name(str(value))


def short_keys(keys: list[str]) -> dict[str, str]:
    """Last part of each dotted key, or the whole key (dots -> '-') when the last part is ambiguous."""
    last = [k.rsplit(".", 1)[-1] for k in keys]
    return {k: (s if last.count(s) == 1 else k.replace(".", "-")) for k, s in zip(keys, last, strict=True)}


def run_name(model: str, values: dict[str, Any], variant: str | None, seed: int, fingerprint: str) -> str:
    """``<model>[_<variant>][_<key>-<value>...]_seed<seed>_<fingerprint>``.

    Swept model-architecture keys are left out: the model name spells them out
    (e.g. ``bilstm_cv1-128x5_lay2_sz64-32_d32``).
    """
    short = short_keys(list(values))
    parts = [model] + ([variant] if variant else [])
    parts += [f"{short[k]}-{_fmt_value(v)}" for k, v in values.items() if k not in NAMED_BY_MODEL]
    label = safe_name("_".join(parts))[:MAX_NAME]
    return f"{label}_seed{seed}_{fingerprint}"


def is_planned_name(name: str) -> bool:
    """Whether ``name`` is one :func:`run_name` gave a sweep's or search's run (its run.name),
    not a label a user set with ``--set run.name=...``."""
    return re.search(r"_seed\d+_[0-9a-f]{12}$", name) is not None


def read_sweep(path: str | Path) -> SweepSpec:
    """Read and validate the top-level keys of a sweep file (not yet the run parameters).

    Raises
    ------
    ConfigError
        Missing file, invalid YAML, unknown keys or malformed values, naming the key.
    """
    path = Path(path)
    raw = read_yaml(path)
    check_kind(raw, path, "sweep")  # a run config or a search file given to sweep
    return validate_spec(SweepSpec, raw, f"sweep file {path}")


def as_override_dict(overrides: dict[str, Any] | list[str] | None) -> dict[str, Any]:
    """``--set key=value`` strings (or a dict) as a dict of dotted key -> value."""
    if isinstance(overrides, list):
        return dict(parse_override(o) for o in overrides)
    return dict(overrides or {})


class _Resolver:
    """Resolves run parameters on the sweep's common base, naming the sweep file in errors."""

    def __init__(self, path: Path, common: dict[str, Any]):
        self.path, self.common = path, common
        self._valid: dict[str, bool] = {}

    def __call__(self, what: str, extra: dict[str, Any]) -> Config:
        try:
            return anchored(resolve_config(self.common, extra))
        except ConfigError as exc:
            raise ConfigError(f"sweep file {self.path}: {what}: {exc}") from None

    def valid(self, extra: dict[str, Any]) -> bool:
        """Whether ``extra`` is valid on the base (cached): a value may be invalid on the base
        alone and valid together with another key's value (e.g. units + dropout lists)."""
        slot = _key(extra)
        if slot not in self._valid:
            try:
                resolve_config(self.common, extra)
                self._valid[slot] = True
            except ConfigError:
                self._valid[slot] = False
        return self._valid[slot]


def _common_parameters(path: Path, shown: Path, spec: SweepSpec, cli: dict[str, Any]) -> dict[str, Any]:
    """Base file + ``set`` + command-line overrides, refusing overrides of swept keys
    (``shown``: the sweep file as the user named it, for messages)."""
    base_file = (path.parent / spec.base).resolve() if spec.base else DEFAULT_BASE
    if not base_file.is_file():
        raise ConfigError(
            f"sweep file {shown}: base {spec.base!r} does not exist (the path is relative to the sweep file)"
        )
    swept = set(spec.grid) | {k for v in spec.variants for k in v.set} | ({"seed"} if spec.seeds else set())
    clash = sorted(set(cli) & swept)
    if clash:
        raise ConfigError(
            f"sweep file {shown}: --set {', '.join(clash)} would overwrite swept values; "
            "change the grid / variants / seeds in the sweep file instead"
        )
    return apply_overrides(apply_overrides(read_yaml(base_file), spec.set), cli)


def plan_sweep(path: str | Path, overrides: dict[str, Any] | list[str] | None = None) -> Sweep:
    """Validate a sweep file and expand it into its runs, resolving every run's parameters.

    Order of application: base file, ``set``, command-line overrides, the variant's ``set``,
    the grid values, the seed.

    Raises
    ------
    ConfigError
        Anything invalid, before any run starts: an unknown sweep key, a grid key or value
        that is not a valid parameter (the message names the key and value), an override that
        also appears in the grid / variants / seeds, or two runs with identical parameters.
    """
    shown = Path(path)  # as the user named it: messages show no absolute path they did not give
    path = shown.resolve()
    spec = read_sweep(shown)
    cli = as_override_dict(overrides)
    resolve = _Resolver(shown, _common_parameters(path, shown, spec, cli))
    base_cfg = resolve("base + set + command-line --set" if cli else "base + set", {})
    for variant in spec.variants:
        resolve(f"variant '{variant.name}'", variant.set)
    seeds = spec.seeds or [base_cfg.seed]
    variants: list[VariantSpec | None] = list(spec.variants) or [None]
    combos = [dict(zip(spec.grid, vals, strict=True)) for vals in itertools.product(*spec.grid.values())]
    _refuse_values_invalid_everywhere(resolve, variants, combos, seeds[0])
    runs: list[PlannedRun] = []
    seen: dict[str, str] = {}
    same: set[str] = set()  # effective fingerprints of the runs kept
    idle: dict[str, str] = {}  # swept keys that left runs out -> the setting that leaves them unused
    for variant, values, seed in itertools.product(variants, combos, seeds):
        run = _plan_run(resolve, variant, values, seed)
        what = _describe(variant, values, seed)
        if run.fingerprint in seen:
            raise ConfigError(
                f"sweep file {shown}: runs ({seen[run.fingerprint]}) and ({what}) have "
                "identical parameters; remove the duplicate value"
            )
        seen[run.fingerprint] = what
        if (effective := effective_fingerprint(run.config)) in same:  # the same model again
            swept = {**(variant.set if variant else {}), **values}
            idle |= {k: why for k, why in unused_settings(run.config).items() if k in swept}
            continue
        same.add(effective)
        runs.append(run)
    left_out = len(seen) - len(runs)
    why = "; ".join(f"{k} unused under {v}" for k, v in idle.items())
    note = (
        f"{plural(left_out, 'planned run')} left out: each repeats a kept run but for settings it does not use ({why})"
    )
    return Sweep(path, spec, runs, cli, [note] if left_out else [])


def _refuse_values_invalid_everywhere(
    resolve: _Resolver, variants: list[VariantSpec | None], combos: list[dict[str, Any]], seed: int
) -> None:
    """Refuse a grid value (a misspelt key, a value out of range) that no run of the sweep can
    take, naming the grid key and value: invalid with every variant and every value of the other
    grid keys. A value invalid on the base alone but valid in some combination (units [8] beside
    a base dropout list of 2 and a grid of single dropouts) is kept; a combination that is
    invalid is refused by :func:`_plan_run`, which names the combination."""
    for key in combos[0]:
        for value in {_key(c[key]): c[key] for c in combos}.values():
            if resolve.valid({key: value}):
                continue
            cases = [(v, c) for v in variants for c in combos if _key(c[key]) == _key(value)]
            extras = [{**(v.set if v else {}), **c, "seed": seed} for v, c in cases]
            if any(resolve.valid(extra) for extra in extras):
                continue
            if set(extras[0]) == {key, "seed"}:  # nothing else to combine it with
                resolve(f"grid key '{key}' value {value!r}", {key: value})
            others = [w for w, n in (("every variant", len(variants)), ("every value of the other grid keys", len(combos[0]))) if n > 1]  # fmt: skip
            resolve(
                f"grid key '{key}' value {value!r} (with {' and '.join(others) or 'the variant'}, "
                f"e.g. run ({_describe(*cases[0], seed)}))",
                extras[0],
            )


def _key(value: Any) -> str:
    """A JSON key for a parameter value or a set of overrides (lists and dicts are unhashable)."""
    return json.dumps(value, sort_keys=True, default=str)


def _describe(variant: VariantSpec | None, values: dict[str, Any], seed: int) -> str:
    extra = {**(variant.set if variant else {}), **values, "seed": seed}
    what = ", ".join(f"{k}={v!r}" for k, v in extra.items())
    return f"variant '{variant.name}', {what}" if variant else what


def _plan_run(resolve: _Resolver, variant: VariantSpec | None, values: dict[str, Any], seed: int) -> PlannedRun:
    """One run's resolved parameters and name; an invalid combination is named as such."""
    extra = {**(variant.set if variant else {}), **values, "seed": seed}
    cfg = resolve(f"run ({_describe(variant, values, seed)})", extra)
    _check_pooling(cfg, f"sweep file {resolve.path}: run ({_describe(variant, values, seed)})")
    vname = variant.name if variant else None
    name = run_name(planned_model_name(cfg), values, vname, seed, cfg.fingerprint())
    cfg = cfg.model_copy(update={"run": cfg.run.model_copy(update={"name": name})})
    return PlannedRun(name, cfg, values, vname, seed)


def _check_pooling(cfg: Config, where: str) -> None:
    """Conv blocks written in the config whose pools shrink a window of known length to 0
    steps (the model builder says the same, but only once stage 01 of each run is done).
    Sequence files have a known length only with ``data.pad_length``. Windows cut from recordings
    are checked as a run checks them (:func:`~lstm_helpers.data.checks.check_window_length`, the
    pools of the model as built included): the refusal names the window setting as well as the
    pools (a grid of window lengths named only ``model.conv``)."""
    if not cfg.data.reads_cases:
        from lstm_helpers.data.checks import check_window_length

        try:
            check_window_length(cfg)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        return
    if cfg.model.architecture == "auto" or not cfg.model.conv:
        return
    steps = cfg.data.pad_length
    shrunk = pooling_error(cfg.model.conv, steps) if steps else None
    if shrunk:
        raise ConfigError(f"{where}: {shrunk}")
