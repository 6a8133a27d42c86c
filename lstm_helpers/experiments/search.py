"""Hyperparameter search (story 5): KerasTuner over a declared space of model and training
parameters on one prepared dataset, then a normal run of the best configuration.

A search file holds::

    base: ../demo.yaml            # run config, relative to the search file
    set: {train.epochs: 20}       # dotted overrides for every trial and the final run
    space:                        # dotted key -> distribution
      model.units: {type: choice, values: [[32], [64, 32]]}
      train.learning_rate: {type: float, min: 1.0e-4, max: 1.0e-2, log: true}
      model.dropout: {type: float, min: 0.0, max: 0.4, step: 0.1}
      train.batch_size: {type: int, min: 32, max: 128, step: 32}
    tuner: random                 # random | hyperband | bayesian
    max_trials: 10                # random / bayesian (refused with hyperband: its budget comes from epochs)
    epochs: 5                     # epochs per trial (hyperband: the most epochs of a trial)
    objective: auto               # auto = train.monitor if set, else val_pr_auc / val_balanced_accuracy

``model.*``, ``train.*`` and ``resample.*`` keys can be searched: stage 01 runs once (into ``<out>/prepared``, the
training windows not rebalanced) and each trial rebalances those windows by its own ``resample`` section (SMOTE, class
weights, undersampling, the imbalance factor; :mod:`lstm_helpers.experiments.trials`). Each trial's parameters are
resolved through :func:`lstm_helpers.config.resolve_config` and built, compiled and fed with the training stage's own
functions (``models.build_model``, ``compile.make_loss`` / ``make_metrics`` / ``make_optimizer``,
``datasets.training_stream`` with ``train.augment``): a trial is the model a run with those parameters trains, for the
search's ``epochs``, without early stopping.

Output (``<reports_dir>/search/<file stem>-<hash>/``, stable for the same file and overrides, so re-running resumes the
tuner): ``tuner/`` (KerasTuner's state), ``trials.csv`` (per trial: values, score, ``best_epoch`` -- the epoch the
score comes from, counted from 1 as the pages do -- and status), ``best_config.yaml`` (a complete run config), the
best run's directory, and ``comparison.csv`` / ``comparison.html`` with the trials.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import time
import warnings
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lstm_helpers.artifacts import write_text
from lstm_helpers.config import (
    PROJECT_ROOT,
    Config,
    ConfigError,
    apply_overrides,
    parse_override,
    read_yaml,
    resolve_config,
    resolve_path,
)
from lstm_helpers.data.inputs import anchored
from lstm_helpers.experiments.plan import group_title, validate_spec
from lstm_helpers.experiments.resume import refuse_run_directory
from lstm_helpers.experiments.space import check_space
from lstm_helpers.experiments.trials import best_trial, earlier_best_runs, reporting, trials_table, write_record
from lstm_helpers.file_kinds import check_kind
from lstm_helpers.layout import SEARCH_PREPARED, SweepLayout
from lstm_helpers.runs.terminal import page_path
from lstm_helpers.unused import idle_notes

SEARCHABLE_SECTIONS = ("model", "train", "resample")
# what a trial's fit does not use: spec.epochs of the run's batches, one model, no callbacks of a run
UNUSED_BY_TRIALS = ("train.epochs", "train.ensemble", "train.min_updates", "train.early_stopping", "train.monitor", "train.checkpoint")  # fmt: skip
TUNER_INSTALL_HINT = "install the tune extra: pip install -e '.[tune]'"
PREPARED_DIR = SEARCH_PREPARED  # one name: layout.holds_run tells this folder from a run by it
PREPARE_LOG = "prepare.log"  # what the search's stage 01 noted
TUNER_DIR = "tuner"


class SearchFailed(RuntimeError):
    """No trial of the search completed."""


# ============================================================================ search files
class Dimension(BaseModel):
    """One searched parameter: ``choice`` of values, or an ``int`` / ``float`` range."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["choice", "int", "float"]
    values: list[Any] | None = None
    min: float | None = None
    max: float | None = None
    step: float | None = Field(None, gt=0)
    log: bool = False

    @model_validator(mode="after")
    def _check(self) -> Dimension:
        if self.type == "choice":
            if not self.values:
                raise ValueError("type choice needs a non-empty 'values' list")
            if self.min is not None or self.max is not None or self.step is not None or self.log:
                raise ValueError("type choice takes only 'values' (not min / max / step / log)")
            return self
        if self.values is not None:
            raise ValueError(f"type {self.type} takes min / max (/ step / log), not 'values'")
        if self.min is None or self.max is None or not self.min < self.max:
            raise ValueError(f"type {self.type} needs min < max, got min={self.min}, max={self.max}")
        if self.log and self.min <= 0:
            raise ValueError(f"log scale needs min > 0, got {self.min}")
        if self.type == "int" and any(v is not None and float(v) != int(v) for v in (self.min, self.max, self.step)):
            raise ValueError("type int needs integer min / max / step")
        if self.step is not None and self.step > self.max - self.min:
            raise ValueError(
                f"step {self.step:g} exceeds the range {self.min:g}..{self.max:g}: only min would be tried"
            )
        return self


class SearchSpec(BaseModel):
    """The keys a search file may hold; anything else is an error."""

    model_config = ConfigDict(extra="forbid")
    base: str | None = None
    description: str | None = None
    set: dict[str, Any] = Field(default_factory=dict)
    space: dict[str, Dimension]
    tuner: Literal["random", "hyperband", "bayesian"] = "random"
    max_trials: int = Field(10, ge=1)
    epochs: int = Field(5, ge=1)
    objective: str = "auto"
    executions_per_trial: int = Field(1, ge=1)
    hyperband_factor: int = Field(3, ge=2)

    @model_validator(mode="after")
    def _space(self) -> SearchSpec:
        if not self.space:
            raise ValueError("space must declare at least one parameter")
        return self

    @field_validator("objective")
    @classmethod
    def _objective(cls, value: str) -> str:  # a field's own check: its error names the key
        if value != "auto" and not value.startswith("val_"):
            raise ValueError(
                f"must be 'auto' or a validation metric (val_pr_auc, val_loss, val_accuracy, ...), "
                f"got {value!r}: trials are chosen on validation"
            )
        return value


def _encode(value: Any) -> Any:
    return json.dumps(value, sort_keys=True)


def _needs_encoding(values: list[Any]) -> bool:
    """KerasTuner's Choice takes one scalar type (int, float, str or bool); anything else is
    passed as JSON strings."""
    kinds = {type(v) for v in values}
    return len(kinds) != 1 or not kinds <= {int, float, str, bool}


def read_search(path: str | Path) -> SearchSpec:
    """Read and validate a search file's keys (not yet the parameter values); a ConfigError for
    a missing file, invalid YAML, unknown keys, malformed space entries."""
    path = Path(path)
    raw = read_yaml(path)
    check_kind(raw, path, "search")  # a run config or a sweep file given to search
    spec = validate_spec(SearchSpec, raw, f"search file {path}")
    given = spec.model_fields_set  # a setting the tuner ignores is refused, as a space key that changes nothing
    if spec.tuner == "hyperband" and "max_trials" in given:
        raise ConfigError(
            f"search file {path}: max_trials {spec.max_trials} has no effect with tuner: hyperband, whose trials "
            f"follow from epochs ({spec.epochs}, the most epochs of a trial) and hyperband_factor "
            f"({spec.hyperband_factor}); remove max_trials, or use tuner: random or bayesian for a number of trials"
        )
    if spec.tuner != "hyperband" and "hyperband_factor" in given:
        raise ConfigError(
            f"search file {path}: hyperband_factor has no effect with tuner: {spec.tuner}; remove it, or use tuner: hyperband"
        )
    return spec


class Search:
    """A validated search file: the common parameters and the space, checked key by key."""

    def __init__(self, path: str | Path, overrides: dict[str, Any] | list[str] | None = None):
        self.shown = Path(path)  # as the user named it, for messages
        self.file = self.shown.resolve()
        self.spec = read_search(self.shown)
        if isinstance(overrides, list):
            overrides = dict(parse_override(o) for o in overrides)
        self.overrides = dict(overrides or {})
        spec = self.spec
        base_file = (self.file.parent / spec.base).resolve() if spec.base else PROJECT_ROOT / "configs" / "demo.yaml"
        if not base_file.is_file():
            raise ConfigError(
                f"search file {self.shown}: base {spec.base!r} does not exist (the path is relative to the search file)"
            )
        clash = sorted(set(self.overrides) & set(spec.space))
        if clash:
            raise ConfigError(
                f"search file {self.shown}: --set {', '.join(clash)} would fix searched "
                "parameters; remove them from the space instead"
            )
        self.common = apply_overrides(apply_overrides(read_yaml(base_file), spec.set), self.overrides)
        self.base_config = self._resolve("base + set + command-line --set" if self.overrides else "base + set", {})
        for key in spec.space:
            if key.split(".")[0] not in SEARCHABLE_SECTIONS:
                raise ConfigError(
                    f"search file {self.shown}: space key '{key}' changes the prepared data; "
                    f"searchable sections: {', '.join(SEARCHABLE_SECTIONS)} (sweep the "
                    "others with lstm-workbench sweep)"
                )
            if key.startswith(UNUSED_BY_TRIALS):  # every value would score alike
                raise ConfigError(f"search file {self.shown}: space key '{key}' is not used by the trials (each trains "
                                  f"{spec.epochs} epochs, one model, no early stopping); sweep it "
                                  "with lstm-workbench sweep, or fix it for the final run under set:")  # fmt: skip
            if key == "train.use_class_weight" and "class_weight" not in self._methods():
                raise ConfigError(f"search file {self.shown}: space key '{key}' changes nothing: only resample.method: "
                                  f"class_weight gives class weights (here {self.base_config.resample.method!r})")  # fmt: skip
        check_space(self)  # each value, and each combination the tuner may sample
        self.encoded = {k: d.type == "choice" and _needs_encoding(d.values) for k, d in spec.space.items()}

    def _methods(self) -> list[str]:
        """The ``resample.method`` values the trials may use."""
        dim = self.spec.space.get("resample.method")
        return list(dim.values or []) if dim is not None else [self.base_config.resample.method]

    def _resolve(self, what: str, extra: dict[str, Any]) -> Config:
        try:
            return anchored(resolve_config(self.common, extra))
        except ConfigError as exc:
            raise ConfigError(f"search file {self.shown}: {what}: {exc}") from None

    @property
    def search_id(self) -> str:
        """``<file stem>-<hash of the base parameters and the search settings>``."""
        return f"{self.file.stem}-{self.settings_hash()}"

    def settings_hash(self, **changes: Any) -> str:
        """The hash part of :attr:`search_id`; with ``changes`` (``max_trials=4``), the hash this
        search would have with those settings (does another folder's search differ in them alone?)."""
        spec = self.spec.model_copy(update=changes)
        payload = json.dumps(
            {"base": self.base_config.fingerprint(), "spec": spec.model_dump(mode="json", exclude={"description"})},
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:8]

    def default_dir(self) -> Path:
        return resolve_path(self.base_config.run.reports_dir) / "search" / self.search_id

    def values_of(self, hp_values: dict[str, Any]) -> dict[str, Any]:
        """A trial's hyperparameter values as config values (decoded, only the space's keys)."""
        out = {}
        for key, dim in self.spec.space.items():
            if key not in hp_values:
                continue
            v = hp_values[key]
            if self.encoded[key]:
                v = json.loads(v)
            elif dim.type == "int":
                v = int(v)
            elif dim.type == "choice" and all(isinstance(x, bool) for x in dim.values):
                v = bool(v)  # KerasTuner hands a boolean choice back as 0 / 1
            out[key] = v
        return out

    def config_for(self, values: dict[str, Any]) -> Config:
        return self._resolve(f"trial {values}", values)


def resolve_objective(
    spec: SearchSpec, n_classes: int, train_cfg: Any = None, n_targets: int | None = None
) -> tuple[str, str]:
    """``(name, direction)``: auto is the trials' ``train.monitor`` if set, else val_pr_auc (binary) /
    val_balanced_accuracy (multi-class); min for losses, else max. A ConfigError, before any trial,
    when the model does not log it (``train_cfg``: the trials' train section)."""
    from lstm_helpers.model.logged import auto_metric, check_logged

    train_cfg = train_cfg or Config().train
    auto = train_cfg.monitor if train_cfg.monitor != "auto" else auto_metric(n_classes)
    name = spec.objective if spec.objective != "auto" else auto
    check_logged(name, n_classes, train_cfg, "objective (search file)", validation_only=True, n_targets=n_targets)
    return name, "min" if name.endswith("loss") else "max"


def _named_objective_exists(spec: SearchSpec, train_cfg: Any) -> None:
    """Raise the binary task's ConfigError when neither a binary nor a multi-class task logs ``spec.objective``."""
    errors = []
    for n_classes in (2, 3):
        try:
            resolve_objective(spec, n_classes, train_cfg)
        except ConfigError as exc:
            errors.append(exc)
    if len(errors) == 2:
        raise errors[0]


def make_tuner(
    search: Search, hypermodel: Any, objective: tuple[str, str], directory: Path, say: Any = None,
    max_minutes: float | None = None,
) -> Any:  # fmt: skip
    """keras_tuner.RandomSearch / Hyperband / BayesianOptimization for ``search.spec.tuner``;
    with ``say`` (a print function), one line per finished trial in place of KerasTuner's
    own tables (:func:`~lstm_helpers.experiments.progress.trial_line`); with ``max_minutes``,
    no trial starts once the search has run that long (the trial under way finishes)."""
    kt = import_keras_tuner()

    spec = search.spec
    common = {"hypermodel": hypermodel, "objective": kt.Objective(*objective), "seed": search.base_config.seed,
              "directory": str(directory), "project_name": TUNER_DIR, "overwrite": False,
              "executions_per_trial": spec.executions_per_trial}  # fmt: skip
    if spec.tuner == "hyperband":
        cls, extra = kt.Hyperband, {"max_epochs": spec.epochs, "factor": spec.hyperband_factor}
    else:
        cls = kt.BayesianOptimization if spec.tuner == "bayesian" else kt.RandomSearch
        extra = {"max_trials": spec.max_trials}
    if say is not None or max_minutes is not None:
        cls = reporting(cls, search, objective[0], say, max_minutes)
    return cls(**extra, **common)


def _write_best_config(path: Path, cfg: Config, values: dict[str, Any], score: Any, objective: str) -> Path:
    header = (
        f"# Best configuration of a KerasTuner search ({dt.datetime.now().isoformat(timespec='seconds')}):\n"
        f"# {objective} = {score}\n"
        + "".join(f"#   {k}: {json.dumps(v)}\n" for k, v in values.items())
        + f"# Run it: lstm-workbench run --config {page_path(path)}\n"
    )
    return write_text(path, header + yaml.safe_dump(cfg.to_dict(), sort_keys=False))


# ============================================================================ run_search
def _claimed_dir(search: Search, out: str | Path | None, verbose: int = 1) -> Path:
    """The search's folder, marked with its id: the same search resumes there (under another file
    name too; with more max_trials it is extended), another is refused naming what differs
    (:func:`~lstm_helpers.experiments.search_claim.check_same_search`)."""
    from lstm_helpers.experiments.search_claim import check_same_search

    search_dir = Path(out).resolve() if out else search.default_dir()
    refuse_run_directory(search_dir, "the search", "reports/search/<search id>")
    search_dir.mkdir(parents=True, exist_ok=True)
    marker = search_dir / "search_id.txt"
    if marker.is_file() and (held := marker.read_text().strip()) != search.search_id:
        note = check_same_search(search, search_dir, held)
        if verbose:
            print(f"[search] note: {note}", flush=True)
    write_text(marker, search.search_id + "\n")
    return search_dir


def run_search(
    file: str | Path,
    overrides: dict[str, Any] | list[str] | None = None,
    out: str | Path | None = None,
    verbose: int = 1,
    run_best: bool = True,
    max_minutes: float | None = None,
) -> dict[str, Any]:
    """Run a KerasTuner search, write ``best_config.yaml`` and run it through the pipeline.

    Trials are ranked by the objective, a validation metric (``val_*``): the test split is
    never looked at to choose.

    Parameters
    ----------
    file : path
        Search YAML (base, set, space, tuner, max_trials, epochs, objective).
    overrides : dict or list of "key=value", optional
        Applied to every trial and the final run (must not touch searched keys).
    out : path, optional
        Search directory; default ``<reports_dir>/search/<search id>`` (the same search resumes
        there; a folder holding another search is refused).
    verbose : int
        One line per trial on stdout (0 = silent; never KerasTuner's own tables).
    run_best : bool
        Run the best configuration as a normal run (``runs.run_pipeline``) and write the
        comparison with the trials section.
    max_minutes : float, optional
        Time budget of the tuner's search (not of stage 01 or the final run): once spent,
        no further trial starts and the best so far is kept as usual.

    Returns
    -------
    dict
        ``search_dir``, ``best_config`` (path), ``best_values``, ``best_score``, ``objective``,
        ``trials_csv``, ``trials`` (DataFrame), ``best_run`` (run directory or None), ``comparison_html``.

    Raises
    ------
    ConfigError
        Before any work: an invalid search file or space, KerasTuner missing, another search in ``out``.
    SearchFailed
        When no trial completed (trials.csv holds each trial's message).
    lstm_helpers.runs.pipeline.RunFailed
        When the best configuration's run fails (trials.csv and best_config.yaml are written).
    """
    if max_minutes is not None and not max_minutes > 0:
        raise ConfigError(
            f"the search's time budget (--minutes) must be a positive number of minutes, got {max_minutes}"
        )
    search = Search(file, overrides)
    import_keras_tuner()
    from lstm_helpers.runs.pipeline import validate_inputs

    validate_inputs(search.base_config)  # bad data or split settings refused before the search's folder exists
    search_dir = _claimed_dir(search, out, verbose)
    write_text(search_dir / "search.yaml", search.file.read_text())
    t0 = time.perf_counter()
    tuner, objective = _tune(search, search_dir, verbose, max_minutes)
    trials = trials_table(tuner, search, objective)
    trials_csv = write_text(SweepLayout(search_dir).trials, trials.to_csv(index=False))
    best = best_trial(tuner, trials_csv)
    values = search.values_of(best.hyperparameters.values)
    best_cfg = search.config_for(values)
    write_record(search_dir, search, tuner, max_minutes, best, objective[0], best_cfg.fingerprint())
    best_config = _write_best_config(SweepLayout(search_dir).best_config, best_cfg, values, best.score, objective[0])
    result: dict[str, Any] = {"search_dir": search_dir, "best_config": best_config, "best_values": values,
                              "best_score": best.score, "objective": objective[0], "trials_csv": trials_csv,
                              "trials": trials, "best_run": None, "comparison_html": None,
                              "search_seconds": round(time.perf_counter() - t0, 1)}  # fmt: skip
    if run_best:
        result["best_run"], result["comparison_html"] = _run_best(search, search_dir, best_cfg, values)
    return result


def import_keras_tuner() -> Any:
    """``keras_tuner``, or a ConfigError saying how to install it (TensorFlow imported quietly)."""
    from lstm_helpers.runs.kernel import quiet_tensorflow_import

    quiet_tensorflow_import()
    try:
        import keras_tuner
    except ImportError as exc:
        raise ConfigError(
            f"lstm-workbench search needs KerasTuner, which is not installed; {TUNER_INSTALL_HINT}"
        ) from exc
    return keras_tuner


def _tune(
    search: Search, search_dir: Path, verbose: int, max_minutes: float | None = None
) -> tuple[Any, tuple[str, str]]:
    """Stage 01 once into ``<search_dir>/prepared``, then the tuner's search on those windows."""
    from lstm_helpers.data.prepared import load_prepared
    from lstm_helpers.data.text import target_class_count
    from lstm_helpers.experiments.trials import check_trials_fit_the_data, make_hypermodel
    from lstm_helpers.model.datasets import set_determinism
    from lstm_helpers.runs.kernel import stderr_to

    base = search.base_config
    for note in idle_notes(base, varied=search.spec.space) if verbose else []:  # settings the trials cannot use
        print(f"[search] note: {note}", flush=True)
    if search.spec.objective != "auto":  # a name no task logs is refused before the data are prepared
        _named_objective_exists(search.spec, base.train)
    # the windows once, not rebalanced: each trial rebalances the training windows by its own settings
    unbalanced = base.model_copy(update={"resample": base.resample.model_copy(update={"method": "none"})})
    notes = _prepare_quietly(unbalanced, search_dir / PREPARED_DIR)
    data = load_prepared(search_dir / PREPARED_DIR)
    check_trials_fit_the_data(search, data)
    objective = resolve_objective(search.spec, data.n_classes, base.train, target_class_count(data.classes))
    if verbose and (warn := accuracy_note(objective[0], data.y_val, data.classes)):
        print(f"[search] note: {warn}", flush=True)
    set_determinism(base.seed)
    say = (lambda line: print(f"[search] {line}", flush=True)) if verbose else None
    if say is not None:
        noted = f"; stage 01's notes in {PREPARED_DIR}/{PREPARE_LOG}" if notes else ""
        say(f"{len(data.arrays['y_train']):,} training windows; trials ranked by {objective[0]} (validation){noted}")
    with contextlib.redirect_stdout(io.StringIO()):  # KerasTuner's "Reloading Tuner from <absolute path>"
        tuner = make_tuner(search, make_hypermodel(search, data), objective, search_dir, say, max_minutes)
    with stderr_to(search_dir / "trials.log"):  # TensorFlow's C++ lines, as a run's go to its kernel.log
        tuner.search(verbose=0)  # KerasTuner's own tables off: one line per trial (say) instead
    return tuner, objective


MAJORITY_NOTED = 0.75  # a validation split this much one class: accuracy as the objective is noted


def accuracy_note(objective: str, y_val: Any, classes: list[str]) -> str | None:
    """Where trials are ranked by accuracy and one class holds most validation windows (at least
    :data:`MAJORITY_NOTED`): a model that always names it scores its share, so the ranking
    rewards the majority class, not the rare one; None otherwise."""
    import numpy as np

    y = np.asarray(y_val)
    if objective != "val_accuracy" or y.ndim != 1 or y.size == 0:
        return None
    counts = np.bincount(y.astype(int), minlength=len(classes))
    share, major = counts.max() / counts.sum(), str(classes[int(counts.argmax())])
    if share < MAJORITY_NOTED:
        return None
    better = "val_pr_auc or val_balanced_accuracy" if len(classes) == 2 else "val_balanced_accuracy"
    return (
        f"trials are ranked by val_accuracy, and {share:.0%} of the validation windows are {major!r}: a model "
        f"that always says {major!r} scores {share:.3f}, so accuracy rewards the majority class, not the rare "
        f"one; objective: {better} ranks by how the rare class is found"
    )


def _prepare_quietly(cfg: Config, prepared_dir: Path) -> list[str]:
    """Stage 01 for the trials, in this process: what it notes (gaps no window crosses, recordings
    too short) goes to ``prepared/prepare.log`` (and ``prepare.json``'s notes), not to the terminal
    as raw Python warnings with this package's file and line; a run's and a sweep's stage 01 say
    them in its notebook, as the best configuration's run does in its report."""
    from lstm_helpers.data.prepare import run_prepare

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_prepare(cfg, prepared_dir)
    notes = list(dict.fromkeys(str(w.message) for w in caught))
    (prepared_dir / PREPARE_LOG).unlink(missing_ok=True)
    if notes:
        write_text(prepared_dir / PREPARE_LOG, "\n".join(notes) + "\n")
    return notes


def _run_best(search: Search, search_dir: Path, best_cfg: Config, values: dict[str, Any]) -> tuple[Path, Path | None]:
    """A normal run of the best configuration (kept when already finished) and the comparison."""
    from lstm_helpers.experiments.compare import write_comparison
    from lstm_helpers.experiments.plan import run_name
    from lstm_helpers.experiments.resume import finished_runs
    from lstm_helpers.model.naming import planned_model_name
    from lstm_helpers.runs.pipeline import run_pipeline

    fp = best_cfg.fingerprint()
    name = run_name(planned_model_name(best_cfg), values, "best", best_cfg.seed, fp)
    best_cfg = best_cfg.model_copy(update={"run": best_cfg.run.model_copy(update={"name": name})})
    run_dir = finished_runs(search_dir).get(fp)
    if run_dir is None:
        run_dir = run_pipeline(best_cfg, search_dir / name, quiet=True)
    for earlier in earlier_best_runs(search_dir):  # kept: a user's run is never deleted silently
        print(
            f"[search] note: {earlier}, an earlier best run, stays in the search folder; the best is now {run_dir.name}"
        )
    record = {"run_dir": str(run_dir), "keys": list(search.spec.space), "variant": "best"}
    _, html_path = write_comparison(
        search_dir,
        [record],
        title=group_title("Search", search.file.stem),
        description=search.spec.description,
    )
    return run_dir, html_path
