"""What one trial of a search trains: the KerasTuner hypermodel and each trial's training windows.

Stage 01 of a search prepares the windows once, without rebalancing (``resample.method:
none``); each trial then rebalances those training windows by its own ``resample`` section
with stage 01's :func:`~lstm_helpers.data.resampling.rebalance`, so a search can try SMOTE
against class weights or undersampling, and the imbalance factor, as story 5 asks. A trial
reads its batches from the run's own training stream
(:func:`~lstm_helpers.model.datasets.training_stream`), so ``train.augment`` (jitter, gain,
slicing, warping) applies in a trial as it does in a run. Validation windows are never
rebalanced or augmented, and the test split is not loaded.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lstm_helpers.config import Config, ConfigError

if TYPE_CHECKING:
    from lstm_helpers.data.prepared import PreparedData
    from lstm_helpers.experiments.search import Dimension, Search

# what a trial's resampling cannot apply to token windows (stage 01's rebalance refuses them too)
INTERPOLATING = ("smote", "smote_under", "augment")
AUGMENT_KEYS = ("jitter_sigma", "scale_sigma", "slice_fraction", "warp_sigma")


@dataclass(frozen=True)
class TrainingSet:
    """One trial's training windows, labels and class weights (``None``: no weighting)."""

    X: np.ndarray
    y: np.ndarray
    class_weight: dict[int, float] | None

    def counts(self, n_classes: int) -> np.ndarray:
        return np.bincount(self.y, minlength=n_classes)


def padded_lengths(X: np.ndarray, mask_value: float) -> np.ndarray:
    """Real steps per window of sequences padded at the end with ``mask_value`` (stage 01 keeps
    every real step off the mask value, so a step is padding exactly when all its channels
    equal it: the rule of the model's Masking layer)."""
    real = (X != mask_value).any(axis=-1)
    last = real.shape[1] - np.argmax(real[:, ::-1], axis=1)
    return np.where(real.any(axis=1), last, 0)


class TrialWindows:
    """Each trial's :class:`TrainingSet`, rebalanced from the un-rebalanced training windows.

    The last set is kept: KerasTuner asks for it twice per trial (``build``, ``fit``), and
    consecutive trials often share a ``resample`` section. Rebalancing is stage 01's own
    :func:`~lstm_helpers.data.resampling.rebalance` (imbalanced-learn's SMOTE underneath).
    """

    def __init__(self, data: PreparedData):
        self.data = data
        self._key: str | None = None
        self._set: TrainingSet | None = None

    def for_config(self, cfg: Config) -> TrainingSet:
        from lstm_helpers.data.resampling import rebalance

        key = json.dumps([cfg.seed, cfg.resample.model_dump(mode="json")], sort_keys=True)
        if key != self._key or self._set is None:
            d = self.data
            info = d.input_info
            padding = None
            if info.masked and not info.tokens:
                lengths = padded_lengths(d.X_train, info.mask_value)
                padding = (lengths, info.mask_value) if (lengths < d.X_train.shape[1]).any() else None
            r = rebalance(d.X_train, d.y_train, cfg.resample, d.n_classes, cfg.seed, d.classes, info.tokens, padding)
            self._key, self._set = key, TrainingSet(r.X, r.y, r.class_weight)
        return self._set


def check_trials_fit_the_data(search: Search, data: PreparedData) -> None:
    """Refuse, before any trial, space values the prepared data cannot take: interpolating
    resampling or augmentation of token windows (a run's stage 01 refuses them too)."""
    if not data.input_info.tokens:
        return
    for key, dim in search.spec.space.items():
        values = dim.values or []
        if key == "resample.method" and (bad := [v for v in values if v in INTERPOLATING]):
            raise ConfigError(
                f"search file {search.shown}: space key 'resample.method' value(s) {bad} interpolate values and "
                "cannot rebalance token windows; use none, class_weight, undersample or oversample"
            )
        if key.startswith("train.augment.") and key.rsplit(".", 1)[-1] in AUGMENT_KEYS:
            raise ConfigError(
                f"search file {search.shown}: space key '{key}' augments real-valued series, not text or other "
                "token ids (data.tokens): remove it from the space"
            )


def _define(hp: Any, key: str, dim: Dimension, encoded: bool) -> Any:
    from lstm_helpers.experiments.search import _encode

    if dim.type == "choice":
        return hp.Choice(key, [_encode(v) for v in dim.values] if encoded else dim.values, ordered=False)
    sampling = "log" if dim.log else "linear"
    if dim.type == "int":
        return hp.Int(key, int(dim.min), int(dim.max), step=int(dim.step) if dim.step else None, sampling=sampling)
    return hp.Float(key, float(dim.min), float(dim.max), step=dim.step, sampling=sampling)


def make_hypermodel(search: Search, data: PreparedData) -> Any:
    """A ``keras_tuner.HyperModel`` whose ``build`` makes the run model of a trial's config and
    whose ``fit`` trains it on the trial's :class:`TrainingSet` with the run's training stream
    (batch size, class weights, augmentation) and compile parts (the functions of stage 02)."""
    from lstm_helpers.data.text import target_class_count
    from lstm_helpers.experiments.search import import_keras_tuner, resolve_objective
    from lstm_helpers.model.budget import apply_budget, choose_budget
    from lstm_helpers.model.compile import make_loss, make_metrics, make_optimizer, needs_one_hot
    from lstm_helpers.model.datasets import make_dataset, recurrent_use_cudnn, training_stream
    from lstm_helpers.model.models import build_model
    from lstm_helpers.model.schedules import make_schedule, plateau_callback

    kt = import_keras_tuner()
    windows = TrialWindows(data)
    k = data.n_classes
    mask_value = data.input_info.mask_value if data.input_info.masked else None

    class TrialModel(kt.HyperModel):
        def config(self, hp: Any) -> tuple[Config, TrainingSet]:
            for key, dim in search.spec.space.items():
                _define(hp, key, dim, search.encoded[key])
            cfg = search.config_for(search.values_of(hp.values))
            train = windows.for_config(cfg)
            return apply_budget(cfg, choose_budget(len(train.y), train.counts(k), cfg.train)), train

        def build(self, hp: Any) -> Any:
            cfg, train = self.config(hp)
            train_cfg = cfg.train
            steps = math.ceil(len(train.y) / train_cfg.batch_size)
            model = build_model(cfg.model, data.input_info, k, seed=cfg.seed, use_cudnn=recurrent_use_cudnn(train_cfg))
            # the schedule spans the trial's epochs, as it would span a run's
            lr = make_schedule(train_cfg.schedule, train_cfg.learning_rate, steps, search.spec.epochs)
            model.compile(
                optimizer=make_optimizer(train_cfg, lr),
                loss=make_loss(train_cfg, k),
                metrics=make_metrics(train_cfg, k, target_class_count(data.classes)),
                jit_compile=train_cfg.jit_compile,
            )
            return model

        def fit(self, hp: Any, model: Any, *args: Any, **kwargs: Any) -> Any:
            cfg, train = self.config(hp)
            one_hot = needs_one_hot(cfg.train, k)
            epochs = kwargs.setdefault("epochs", search.spec.epochs)
            # the run's stream: a seeded permutation per epoch, train.augment on each batch
            stream_cfg = cfg.train.model_copy(update={"epochs": epochs})
            train_ds, _ = training_stream(train.X, train.y, stream_cfg, k, one_hot, cfg.seed, mask_value)
            val_ds = make_dataset(data.X_val, data.y_val, cfg.train.batch_size, k, one_hot, False, cfg.seed)
            kwargs.pop("validation_data", None)
            class_weight = train.class_weight if cfg.train.use_class_weight else None
            kwargs.update(verbose=0, shuffle=False, steps_per_epoch=math.ceil(len(train.y) / cfg.train.batch_size))
            plateau = plateau_callback(
                cfg.train.schedule, *resolve_objective(search.spec, k, cfg.train, target_class_count(data.classes))
            )
            kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), *plateau]  # a plateau trial lowers its rate
            return model.fit(train_ds, validation_data=val_ds, class_weight=class_weight, **kwargs)

    hypermodel = TrialModel(name="lstm_workbench_trial")
    hypermodel.n_classes = k  # what divergence() weighs a trial's loss against
    return hypermodel


# ============================================================================ how trials ended
DIVERGED = "DIVERGED"  # trials.csv's status of a trial KerasTuner calls COMPLETED whose training blew up
LOSS_FACTOR = 10  # a validation loss this many times that of guessing every class alike (ln K): diverged
RECORD = "search_record.json"  # trials planned and run, and what stopped the search short


def _histories(trial: Any) -> dict[str, list[float]]:
    """A KerasTuner trial's metrics, name -> value per epoch."""
    return {name: [float(o.mean()) for o in h.get_history()] for name, h in trial.metrics.metrics.items()}


def _at_best_step(trial: Any) -> dict[str, float]:
    """Each metric at the step the trial's score comes from. KerasTuner keeps one observation per
    metric, at that step (its index among the epochs the trial's own fit ran), not one per epoch:
    found by its step, not by its place in the list (step 1 of a list of one matched nothing)."""
    step = trial.best_step if trial.best_step is not None else 0
    at = {}
    for name, history in trial.metrics.metrics.items():
        found = [float(o.mean()) for o in history.get_history() if o.step == step]
        if found:
            at[name] = found[0]
    return at


def divergence(trial: Any, n_classes: int) -> str | None:
    """Why a trial that KerasTuner reports as completed diverged, in words; None when it did not.

    The rule (this project's own; KerasTuner ranks any finite score): a trial diverged when

    * a training or validation loss became NaN or infinite at any epoch (the weights blew up), or
    * at the epoch its score comes from, the validation loss exceeds :data:`LOSS_FACTOR` times
      ln K, the loss of guessing every one of the K classes alike: its outputs saturated on
      wrong answers, as after too large a step; or
    * (two classes) validation ROC-AUC is exactly 0.5 there while the validation loss exceeds
      ln 2: the model gives every validation window the same score, and one worse than a guess.

    A weak model that merely learnt little stays below ln K, so it is ranked, not flagged.
    """
    h = _histories(trial)
    for name in ("loss", "val_loss"):
        if any(not math.isfinite(v) for v in h.get(name, [])):
            return f"its {'validation ' if name.startswith('val_') else 'training '}loss became NaN or infinite"
    at = _at_best_step(trial)
    guess = math.log(max(n_classes, 2))
    loss = at.get("val_loss")
    if loss is not None and loss > LOSS_FACTOR * guess:
        big = f"{loss:,.0f}" if loss >= 100 else f"{loss:.3g}"
        return f"validation loss {big}, over {LOSS_FACTOR} x {guess:.3f}, the loss of guessing every class alike"
    auc = at.get("val_roc_auc")
    if n_classes == 2 and auc is not None and abs(auc - 0.5) < 1e-6 and loss is not None and loss > guess:
        return f"validation ROC-AUC 0.500 (one score for every window) and validation loss {loss:.3g}"
    return None


def n_classes_of(tuner: Any) -> int:
    """The classes the search's hypermodel predicts (:func:`make_hypermodel` records them)."""
    return int(getattr(getattr(tuner, "hypermodel", None), "n_classes", 2))


def trials_table(tuner: Any, search: Search, objective: tuple[str, str]) -> pd.DataFrame:
    """One row per trial: id, status, score, the searched values, the other validation metrics
    at the epoch the score comes from (each one's own best would mix epochs: the lowest
    val_loss of one epoch beside the highest val_accuracy of another). A trial that
    :func:`divergence` flags has status ``DIVERGED`` and why in ``message``; ranked after the
    completed ones, whatever its score (a constant output can score a high val_accuracy)."""
    from lstm_helpers.experiments.progress import trial_number

    rows = []
    for trial in tuner.oracle.trials.values():
        values = search.values_of(trial.hyperparameters.values)
        row: dict[str, Any] = {
            "trial": trial_number(trial.trial_id),
            "status": trial.status,
            "objective": objective[0],
            "direction": objective[1],
            "score": trial.score,
            "best_epoch": best_epoch(trial),
        }
        row.update({k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in values.items()})
        for name, history in trial.metrics.metrics.items():  # at the objective's best epoch, not each at its own
            if name.startswith("val_") and name != objective[0]:
                at = [o.mean() for o in history.get_history() if o.step == trial.best_step]
                row[name] = float(at[0]) if at else None
        epochs = trial.hyperparameters.values.get("tuner/epochs")
        if epochs is not None:
            row["epochs"] = epochs
        if continued := continues(trial):  # hyperband: trained on from another trial's weights
            row["continues"] = continued
        if trial.message:
            lines = [ln for ln in str(trial.message).splitlines() if ln.strip()]
            row["message"] = lines[-1][:300] if lines else None
        if trial.status == "COMPLETED" and (why := divergence(trial, n_classes_of(tuner))):
            row.update(status=DIVERGED, message=f"diverged: {why}")
        rows.append(row)
    table = pd.DataFrame(rows)
    if not table.empty:
        table = table.sort_values("score", ascending=objective[1] == "min", na_position="last")
        table = table.sort_values("status", key=lambda s: s.eq(DIVERGED), kind="stable")
    return table


def best_epoch(trial: Any) -> int | None:
    """The epoch, counted from 1, that a trial's score comes from. KerasTuner's ``best_step``
    counts from 0 among the epochs of the trial's own fit; a hyperband trial that continues
    another's weights fits from ``tuner/initial_epoch`` on (its step 0 is epoch initial + 1)."""
    if trial.best_step is None:
        return None
    return int(trial.hyperparameters.values.get("tuner/initial_epoch") or 0) + int(trial.best_step) + 1


def continues(trial: Any) -> str | None:
    """``trial 1 from epoch 3``: the hyperband trial whose weights this one trained on from which
    epoch (KerasTuner's ``tuner/trial_id`` and ``tuner/initial_epoch``); None for a trial that
    trained from scratch. Trials of 2 and of 4 epochs are ranked side by side: this says why."""
    from lstm_helpers.experiments.progress import trial_number

    values = trial.hyperparameters.values
    if values.get("tuner/trial_id") is None:
        return None
    return (
        f"trial {trial_number(values['tuner/trial_id'])} from epoch {int(values.get('tuner/initial_epoch') or 0) + 1}"
    )


def best_trial(tuner: Any, trials_csv: Any) -> Any:
    """The completed trial with the best validation objective (KerasTuner's ranking), passing
    over diverged ones (:func:`divergence`); a SearchFailed when none is left."""
    from lstm_helpers.experiments.search import SearchFailed

    completed = [
        t
        for t in tuner.oracle.get_best_trials(len(tuner.oracle.trials))
        if t.status == "COMPLETED" and t.score is not None
    ]
    why = {t.trial_id: divergence(t, n_classes_of(tuner)) for t in completed}
    kept = [t for t in completed if why[t.trial_id] is None]
    if not kept:
        failed = [str(t.message).strip().splitlines()[-1][:300] for t in tuner.oracle.trials.values() if t.message]
        reasons = sorted({*failed, *(f"diverged: {w}" for w in why.values() if w)})
        raise SearchFailed(
            f"no trial of the search completed without diverging ({'; '.join(reasons) or 'no trial ran'}); "
            f"see {trials_csv.name} in the search directory"
        )
    return kept[0]


def reporting(cls: type, search: Search, objective: str, say: Any, max_minutes: float | None) -> type:
    """``cls`` whose trials end with one :func:`~lstm_helpers.experiments.progress.trial_line`
    each (``say``; a diverged trial named so, never as the best) and whose search starts no
    trial after ``max_minutes`` (KerasTuner has no time budget; its oracle's ``max_trials``, not
    saved with its state, is lowered to the trials run so far; ``budget_spent``: the minutes
    spent then, for :func:`write_record`)."""
    from lstm_helpers.experiments.progress import trial_line, trial_number

    class Reporting(cls):  # type: ignore[misc, valid-type]
        budget_spent: float | None = None

        def on_search_begin(self) -> None:
            self._search_started = time.perf_counter()
            super().on_search_begin()

        def on_trial_begin(self, trial: Any) -> None:
            self._trial_started = time.perf_counter()
            super().on_trial_begin(trial)

        def on_trial_end(self, trial: Any) -> None:
            super().on_trial_end(trial)
            done, n = self.oracle.get_trial(trial.trial_id), len(self.oracle.trials)
            if say is not None:
                k = n_classes_of(self)
                ranked = [t for t in self.oracle.get_best_trials(n) if t.score is not None and not divergence(t, k)]
                why = divergence(done, k) if str(done.status) == "COMPLETED" else None
                total = search.spec.max_trials if search.spec.tuner != "hyperband" else None
                say(
                    trial_line(
                        trial_number(trial.trial_id, n), total, search.values_of(done.hyperparameters.values),
                        objective, done.score, ranked[0].score if ranked else None,
                        time.perf_counter() - self._trial_started, DIVERGED if why else str(done.status), why,
                    )
                )  # fmt: skip
            spent = (time.perf_counter() - self._search_started) / 60
            if max_minutes is not None and spent >= max_minutes and self.oracle.max_trials != n:
                self.oracle.max_trials, self.budget_spent = n, spent  # the oracle stops at max_trials
                if say is not None:
                    say(f"time budget of {max_minutes:g} min spent ({spent:.1f} min): no further trial starts")

    Reporting.__name__ = cls.__name__
    return Reporting


def write_record(
    directory: Path, search: Search, tuner: Any, max_minutes: float | None, best: Any, objective: str, fingerprint: str
) -> Path:
    """``search_record.json``: the trials planned (``max_trials``; None under hyperband) and run,
    and why fewer ran (``minutes``: the --minutes budget was spent; ``space``: the tuner found
    no untried combination), for the pages (:func:`record_sentence`); the chosen trial
    (``best``, by ``objective``; ``fingerprint``: its configuration's), for the best run's
    report (:func:`search_origin`); and the command that resumes the search
    (:func:`search_command`: a stopped final run resumes through it, not as a lone run)."""
    from lstm_helpers.artifacts import write_text
    from lstm_helpers.experiments.progress import trial_number

    planned = search.spec.max_trials if search.spec.tuner != "hyperband" else None
    ran = len(tuner.oracle.trials)
    spent = getattr(tuner, "budget_spent", None)
    short = None if planned is None or ran >= planned else "minutes" if spent is not None else "space"
    out = None if Path(directory).resolve() == search.default_dir().resolve() else str(Path(directory).resolve())
    chosen = {"trial": trial_number(best.trial_id), "objective": objective, "score": best.score,
              "fingerprint": fingerprint}  # fmt: skip
    record = {"planned": planned, "ran": ran, "short": short, "minutes": max_minutes if short == "minutes" else None,
              "best": chosen, "file": str(search.file), "overrides": search.overrides, "out": out}  # fmt: skip
    return write_text(Path(directory) / RECORD, json.dumps(record, indent=1) + "\n")


def search_command(run_dir: Path) -> str | None:
    """The command that resumes the search or the sweep whose run ``run_dir`` is (None for another
    run): re-running the search finishes its final run and writes the search's own pages, and
    re-running a sweep continues its stopped runs in place and redraws its comparison, which
    resuming the run alone would not. Paths as seen from the current directory
    (:func:`~lstm_helpers.experiments.groups.group_command`); a record written before that
    kept the command as it was typed."""
    from lstm_helpers.artifacts import read_json_optional
    from lstm_helpers.experiments.groups import group_command, sweep_command

    parent = Path(run_dir).resolve().parent
    r = read_json_optional(parent / RECORD)
    if r.get("file"):
        return group_command("search", r["file"], r.get("overrides") or {}, r.get("out"))
    return r.get("command") or sweep_command(parent)


def search_origin(run_dir: Path) -> str:
    """One sentence for the report of a search's run: the best configuration of which search,
    which trial, chosen by which validation objective; or that a resumed search has since chosen
    another (the run is kept, not deleted). Empty for any other run."""
    from lstm_helpers.artifacts import read_json_optional
    from lstm_helpers.layout import RunLayout
    from lstm_helpers.runs.terminal import plural

    run_dir = Path(run_dir)
    r, search = read_json_optional(run_dir.parent / RECORD), run_dir.parent.name
    best, fp = r.get("best") or {}, read_json_optional(RunLayout(run_dir).status).get("fingerprint")
    if not best or not fp:
        return ""
    if best.get("fingerprint") != fp:
        return (
            f"This run was the best configuration of an earlier pass of the search {search}; the search, "
            f"resumed, has since chosen trial {best['trial']}'s configuration, run beside this one."
        )
    return (
        f"This run is the best configuration of the search {search}: trial {best['trial']} of the "
        f"{plural(int(r.get('ran') or 0), 'trial')} run, chosen by {best['objective']} = {best['score']:.3f} on the validation split "
        "(at the trial's best epoch); the test split played no part in the choice."
    )


def record_sentence(directory: Path | None) -> str:
    """What the search's pages say before its ranking where the search did not run as planned:
    ``2 of 3 planned trials ran: the --minutes budget (9 s) was spent.``, and the trials that
    diverged (:func:`divergence`; not ranked); empty otherwise (or without a record: an older search)."""
    from lstm_helpers.artifacts import read_json_optional
    from lstm_helpers.runs.terminal import duration, plural

    if directory is None:
        return ""
    r, out = read_json_optional(Path(directory) / RECORD), []
    if r.get("short") and r.get("planned"):
        why = (
            f"the --minutes budget ({duration(60 * float(r['minutes']))}) was spent"
            if r["short"] == "minutes" and r.get("minutes")
            else "the tuner found no untried combination of the space"
        )
        out.append(f"{r['ran']} of {plural(r['planned'], 'planned trial')} ran: {why}.")
    stale = earlier_best_runs(Path(directory))
    if stale:
        out.append(
            f"The search folder also keeps {plural(len(stale), 'earlier best run')} ({', '.join(stale)}), "
            "run before a resumed search chose the configuration above; kept, not deleted."
        )
    trials = Path(directory) / "trials.csv"
    if trials.is_file():
        statuses = pd.read_csv(trials, usecols=lambda c: c == "status").get("status", pd.Series(dtype=str))
        if (n := int((statuses == DIVERGED).sum())) > 0:
            out.append(
                f"{plural(n, 'trial')} diverged (see the status and message columns) and "
                f"{'is' if n == 1 else 'are'} ranked last, whatever {'its' if n == 1 else 'their'} score."
            )
    return " ".join(out)


def earlier_best_runs(directory: Path) -> list[str]:
    """Names of the finished runs in a search folder that are not its current best configuration
    (an earlier pass's best, before a resumed search chose another)."""
    from lstm_helpers.artifacts import read_json_optional
    from lstm_helpers.experiments.resume import finished_runs

    best = (read_json_optional(Path(directory) / RECORD).get("best") or {}).get("fingerprint")
    return sorted(d.name for fp, d in finished_runs(Path(directory)).items() if best and fp != best)


def trials_count(directory: Path, n: int) -> str:
    """The index page's count: ``2 of 3 planned trials (--minutes budget spent)``, else ``3 trials``."""
    from lstm_helpers.artifacts import read_json_optional
    from lstm_helpers.runs.terminal import plural

    r = read_json_optional(Path(directory) / RECORD)
    if not (r.get("short") and r.get("planned")):
        return plural(n, "trial")
    why = "--minutes budget spent" if r["short"] == "minutes" else "no untried combination left"
    return f"{n} of {plural(r['planned'], 'planned trial')} ({why})"
