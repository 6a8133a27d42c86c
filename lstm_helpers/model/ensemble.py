"""Ensembles: one recipe trained with several seeds (and, on small sets, on several folds), the
members' probabilities averaged.

Where validation is too small to rank epochs
(:func:`~lstm_helpers.model.compile.small_validation`: under ``MIN_VAL_CASES`` windows of a
class of a binary task, or per class on average), and the default recipe keeps the final weights of its one-cycle schedule
(:func:`~lstm_helpers.model.compile.keeps_final_weights`); for the same reason validation
cannot choose among seeds either, yet on such small sets a single model's test score
swings with its seed (JapaneseVowels, one split: five seeds scored 0.968-0.984). Averaging
the members' probabilities needs no choice and takes that swing out (the ensemble of five
in InceptionTime, Fawaz et al. 2020, is there for the same reason; measured in
benchmarks/README.md, "Ninth session"). Under ``train.ensemble: auto`` a run trains
:data:`AUTO_MEMBERS` members in that case and one otherwise; a whole number fixes it.

Validation can also run out of resolution the other way: large, but easy. When the
monitored score sits at its ceiling (PR-AUC 1.0) on :data:`SATURATED_EPOCHS` or more epochs,
validation cannot tell those epochs apart; the validation loss breaks the tie
(:func:`~lstm_helpers.model.callbacks.improves`), but which of the perfect epochs a seed lands
on then decides the test score (Watch, benchmarks/README.md "Eleventh session": seeds whose
validation PR-AUC sat at 1.0 for 9 and 19 epochs scored 0.9906 and 0.9876 on test, the
others 0.998-0.999). Under ``auto`` such a run therefore grows into an ensemble after its
own model has trained: it is the only member that knows, so it trains first here, and the
other :data:`AUTO_MEMBERS` - 1 follow. A run killed while they train retrains the run's own
model (same seed, same weights, same decision) and reuses the members that finished.

Where validation is too small to rank epochs it chooses nothing at all, so the members need
not all leave it out: under ``auto`` they are *fold members* (cross-validation bagging,
Breiman 1996). Member 0, the run's own model, trains on the run's training windows and
never sees validation; the training windows are cut into :data:`AUTO_MEMBERS` - 1 folds
(stratified by class, one recording's windows in one fold: scikit-learn's
``StratifiedGroupKFold``), and member ``m`` trains on the validation windows plus every
training fold but fold ``m``. Each window of the pool is left out by exactly one member, and
the ensemble learns from all of them (GunPoint, 40 + 10 training cases, four splits: 2 test
errors of 150 on each split against 3 / 1 / 1 / 3 with seed members; JapaneseVowels level,
BasicMotions unchanged; benchmarks/README.md, "Twelfth session"). Evaluation therefore
scores validation with member 0 alone (:func:`validation_member`; "member 1" in the log
and report), the one model that never saw it; thresholds chosen there apply to the
average. Runs with synthetic (SMOTE) training windows keep seed members (a synthetic window
mixes neighbours that a fold would separate), as does a fixed ``train.ensemble`` number.

Member ``m`` is the run's model trained with seed ``seed + 1000 * m`` (initial weights,
batch order, dropout; the split is the run's, or its fold) in ``members/m<m>/`` of the run directory,
except member 0, which is the run's own training (its history is the run's learning
curve). ``model.keras`` then holds one Keras model: the members side by side on one input
and Keras' ``Average`` layer over their outputs, so evaluation, ``predict`` and the saved
file need nothing special. The averaging model is assembled from Keras layers; the seed
rule and the member folders are this module's.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import keras
import numpy as np

from lstm_helpers.artifacts import read_json, write_json
from lstm_helpers.config import TrainConfig
from lstm_helpers.data.prepared import PreparedData
from lstm_helpers.layout import RunLayout
from lstm_helpers.model.budget import SATURATED_EPOCHS
from lstm_helpers.model.models import count_params, model_size_mb

AUTO_MEMBERS = 5
FOLD_PREFIX = "fold_ensemble"  # name of an averaging model over fold members
SEED_STRIDE = 1000  # member m trains with seed + SEED_STRIDE * m


def ensemble_size(train_cfg: TrainConfig, final_weights: bool, saturated: int = 0) -> int:
    """Members to train: ``train.ensemble`` when a number, else :data:`AUTO_MEMBERS` when the
    run keeps its final weights because validation is too small to rank epochs
    (``final_weights``: :func:`~lstm_helpers.model.compile.keeps_final_weights`) or when its
    monitor sat at the ceiling on ``saturated`` >= :data:`SATURATED_EPOCHS` epochs, else 1."""
    if train_cfg.ensemble != "auto":
        return int(train_cfg.ensemble)
    return AUTO_MEMBERS if final_weights or saturated >= SATURATED_EPOCHS else 1


def member_seed(seed: int, member: int) -> int:
    """The training seed of member ``member`` (member 0 keeps the run's seed)."""
    return int(seed) + SEED_STRIDE * int(member)


def member_layout(layout: RunLayout, member: int) -> RunLayout:
    """Where member ``member`` >= 1 trains: ``members/m<member>/`` of the run."""
    return RunLayout(Path(layout.root) / "members" / f"m{member}")


def finished_member(layout: RunLayout, fingerprint: str) -> bool:
    """Whether ``layout`` holds a member trained to the end with these parameters on these
    prepared windows (``fingerprint`` names both)."""
    marker = layout.root / "finished.json"
    try:
        return layout.model.is_file() and read_json(marker).get("fingerprint") == fingerprint
    except (FileNotFoundError, ValueError):
        return False


def mark_finished(layout: RunLayout, fingerprint: str) -> None:
    """Record that the member in ``layout`` finished (its ``model.keras`` is final)."""
    write_json(layout.root / "finished.json", {"fingerprint": fingerprint})


def fold_plan(data: PreparedData, seed: int, n_members: int = AUTO_MEMBERS) -> np.ndarray | None:
    """Fold ``1 .. n_members - 1`` of each training window for fold members, or None where
    they do not fit: synthetic training windows, or a class found in fewer recordings of the
    training side than there are folds (a fold member would then miss it)."""
    from sklearn.model_selection import StratifiedGroupKFold

    y, groups = data.y_train, data.arrays.get("rec_train")
    synthetic = data.arrays.get("synthetic_train")
    n_folds = n_members - 1
    if groups is None or n_folds < 2 or (synthetic is not None and bool(np.any(synthetic))):
        return None
    if any(len(np.unique(groups[y == k])) < n_folds for k in np.unique(y)):
        return None
    folds = np.zeros(len(y), dtype=np.int64)
    splitter = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=int(seed))
    for f, (_, held) in enumerate(splitter.split(np.zeros(len(y)), y, groups)):
        folds[held] = f + 1
    return folds


def fold_data(data: PreparedData, folds: np.ndarray, member: int) -> PreparedData:
    """The windows of fold member ``member``: validation plus every training fold but
    ``member`` to train on, fold ``member`` as its validation."""
    held = folds == member
    arrays = dict(data.arrays)
    arrays["X_train"] = np.concatenate([data.X_train[~held], data.X_val])
    arrays["y_train"] = np.concatenate([data.y_train[~held], data.y_val])
    arrays["X_val"], arrays["y_val"] = data.X_train[held], data.y_train[held]
    return replace(data, arrays=arrays)


def validation_member(model: keras.Model) -> keras.Model:
    """The model that scores validation: member 0 of a fold ensemble (the only one that did
    not train on validation), else ``model`` itself."""
    return model.get_layer("member1") if model.name.startswith(FOLD_PREFIX) else model


def average_model(members: list[keras.Model], name: str) -> keras.Model:
    """One Keras model: every member on the same input, their outputs averaged.

    Each member enters as a new functional model over its own layers, named ``member1`` ...
    (a functional model needs distinct layer names): its weights are shared with the
    returned model, not copied, but not its compile settings. A trained member is compiled
    (optimizer, loss, metrics such as :class:`~lstm_helpers.model.compile.BalancedAccuracy`),
    and Keras saves and, on loading, rebuilds a nested model's compile settings even under
    ``compile=False``: the saved average would need every one of them to load."""
    views = [keras.Model(m.inputs[0], m.outputs[0], name=f"member{i + 1}") for i, m in enumerate(members)]
    first = members[0].inputs[0]
    inputs = keras.Input(shape=tuple(first.shape[1:]), dtype=first.dtype, name="ensemble_input")
    outputs = keras.layers.Average(name="average")([view(inputs) for view in views])
    return keras.Model(inputs, outputs, name=name)


def averaged_counts(model: keras.Model, n_members: int, member_params: int) -> dict[str, Any]:
    """``train.json``'s size figures of the averaging ``model``: ``n_params``,
    ``n_trainable_params`` and ``size_mb`` of all its members together (what holding and running
    it costs), ``n_params_per_member`` (``member_params``: the run's own model's, the members
    sharing its architecture) and ``ensemble``, the number of members; said together by
    :func:`~lstm_helpers.model.summary.parameter_words`."""
    counts = count_params(model)
    return {
        "n_params": counts["total"],
        "n_trainable_params": counts["trainable"],
        "n_params_per_member": int(member_params),
        "size_mb": model_size_mb(model),
        "ensemble": int(n_members),
    }


def ensemble_explanation(
    n: int, seed: int, auto: bool, final_weights: bool, saturated: int = 0, monitor: str = "", folds: bool = False
) -> str:
    """One line for the run's log and report: how many members, their seeds, and why
    (``saturated``: epochs at which ``monitor`` reached its ceiling, :func:`saturated_epochs`;
    ``folds``: fold members, :func:`fold_plan`)."""
    seeds = ", ".join(str(member_seed(seed, m)) for m in range(n))
    if folds:  # auto only (fold_plan); why: final weights kept, validation too small
        return (
            f"{n} members, probabilities averaged: member 1 leaves out validation and alone scores it; "
            f"members 2-{n} each leave out another of {n - 1} folds of the training windows "
            f"(seeds {seeds}; validation too small to choose epochs; train.ensemble: auto)"
        )
    if not auto:
        return f"{n} members (train.ensemble), seeds {seeds}, probabilities averaged"
    why = "validation too small to choose epochs or seeds" if final_weights else "validation chooses the epoch"
    if not final_weights and saturated >= SATURATED_EPOCHS:
        why = f"{monitor} reached 1.0 on {saturated} epochs: validation cannot choose among them"
    if n == 1:
        return f"one model ({why}; train.ensemble: auto)"
    return f"{n} members with seeds {seeds}, probabilities averaged ({why}; train.ensemble: auto)"


def summed_member_timing(layout: RunLayout, n_members: int, own: dict) -> dict:
    """An ensemble's speed on the basis of its ``n_params`` and ``total_seconds`` (all members):
    ``seconds_per_epoch`` (epoch by epoch; a member that stopped early adds nothing to later
    epochs), ``seconds_per_epoch_mean`` and ``ms_per_step`` summed over the members, the training
    windows per second of them all; ``own`` is the run's own model's ``train.json`` figures,
    the other members' are read from their ``members/m<k>/train.json``."""
    timings = [own] + [read_json(member_layout(layout, m).train_json) for m in range(1, n_members)]
    epochs = max(len(t["seconds_per_epoch"]) for t in timings)
    per_epoch = [round(sum(t["seconds_per_epoch"][e] for t in timings if e < len(t["seconds_per_epoch"])), 4)
                 for e in range(epochs)]  # fmt: skip
    return {
        "seconds_per_epoch": per_epoch,
        "seconds_per_epoch_mean": sum(t["seconds_per_epoch_mean"] for t in timings),
        "ms_per_step": sum(t["ms_per_step"] for t in timings),
        "windows_per_second": 1.0 / sum(1.0 / t["windows_per_second"] for t in timings),
        "timing_basis": f"{own['timing_basis']}; summed over the {n_members} members",
    }
