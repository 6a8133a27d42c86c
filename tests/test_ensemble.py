"""Seed ensembles (train.ensemble, lstm_helpers/model/ensemble.py): the members are real
trainings with their own seeds, model.keras averages them, a repeated run reuses finished
members, and auto trains five only where validation is too small to rank epochs or sat at
its ceiling on several epochs."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_training import make_prepared, tiny_cfg  # noqa: E402

from lstm_helpers.config import ConfigError, TrainConfig, resolve_config  # noqa: E402
from lstm_helpers.layout import RunLayout  # noqa: E402
from lstm_helpers.model import ensemble as ens  # noqa: E402
from lstm_helpers.model.budget import SATURATED_EPOCHS, saturated_epochs  # noqa: E402
from lstm_helpers.model.models import load_trained_model  # noqa: E402
from lstm_helpers.model.training import run_training  # noqa: E402
from lstm_helpers.runs.report import key_metrics  # noqa: E402
from lstm_helpers.runs.terminal import ProgressEcho  # noqa: E402


def test_auto_trains_five_members_only_where_validation_is_too_small_to_rank_epochs():
    auto = TrainConfig()
    assert ens.ensemble_size(auto, final_weights=True) == ens.AUTO_MEMBERS == 5
    assert ens.ensemble_size(auto, final_weights=False) == 1
    assert ens.ensemble_size(TrainConfig(ensemble=3), final_weights=False) == 3
    assert ens.ensemble_size(TrainConfig(ensemble=1), final_weights=True) == 1
    assert [ens.member_seed(42, m) for m in range(3)] == [42, 1042, 2042]
    line = ens.ensemble_explanation(5, 42, auto=True, final_weights=True)
    assert "5 members" in line and "42, 1042, 2042, 3042, 4042" in line and "too small" in line
    assert ens.ensemble_explanation(1, 42, auto=True, final_weights=False).startswith("one model")
    folds = ens.ensemble_explanation(5, 42, auto=True, final_weights=True, folds=True)
    assert "member 1 leaves out validation and alone scores it" in folds
    assert "members 2-5 each leave out another of 4 folds" in folds and "42, 1042, 2042, 3042, 4042" in folds


@pytest.mark.parametrize("bad", [0, -2, 2.5, True, "many"])
def test_a_bad_ensemble_size_is_refused_naming_the_parameter(bad):
    with pytest.raises(ConfigError, match="train.ensemble"):
        resolve_config({}, {"train.ensemble": bad})


def test_an_ensemble_run_averages_real_members_and_reuses_them_when_repeated(tmp_path):
    run = make_prepared(tmp_path / "run")
    result = run_training(tiny_cfg(**{"train.ensemble": 3}), run)
    layout = RunLayout(run)
    info = json.loads(layout.train_json.read_text())
    assert info["ensemble"] == result.ensemble == 3
    assert key_metrics(run)["model"] == "lstm_lay1_sz8_d4 (ensemble of 3)"
    assert "3 members (train.ensemble), seeds 7, 1007, 2007" in info["budget"]["ensemble"]

    # the members are trainings of their own: their folders, seeds and differing weights
    members = [ens.member_layout(layout, m) for m in (1, 2)]
    seeds = [json.loads(m.train_json.read_text())["seed"] for m in members]
    assert seeds == [1007, 2007] and all(m.history.is_file() for m in members)
    X = np.load(run / "prepared.npz")["X_test"]
    p_members = [load_trained_model(m.model).predict(X, verbose=0) for m in members]
    assert not np.allclose(p_members[0], p_members[1])

    # the run's own model (member 1) is the single run's: same history to the digit
    single = make_prepared(tmp_path / "single")
    run_training(tiny_cfg(**{"train.ensemble": 1}), single)
    assert layout.history.read_text() == RunLayout(single).history.read_text()
    p_own = load_trained_model(RunLayout(single).model).predict(X, verbose=0)

    # model.keras is one model whose output is the members' mean
    saved = load_trained_model(layout.model)
    expected = np.mean([p_own, *p_members], axis=0)
    np.testing.assert_allclose(saved.predict(X, verbose=0), expected, atol=1e-6)
    assert info["n_params"] == 3 * json.loads(RunLayout(single).train_json.read_text())["n_params"]

    # repeated: finished members are loaded, not trained again
    stamps = [m.model.stat().st_mtime_ns for m in members]
    run_training(tiny_cfg(**{"train.ensemble": 3}), run)
    assert [m.model.stat().st_mtime_ns for m in members] == stamps
    np.testing.assert_allclose(load_trained_model(layout.model).predict(X, verbose=0), expected, atol=1e-6)


def test_a_member_with_other_parameters_or_windows_is_trained_again(tmp_path):
    run = make_prepared(tmp_path / "run")
    run_training(tiny_cfg(**{"train.ensemble": 2}), run)
    member = ens.member_layout(RunLayout(run), 1)
    before = member.model.stat().st_mtime_ns
    run_training(tiny_cfg(**{"train.ensemble": 2, "train.learning_rate": 0.01}), run)
    assert member.model.stat().st_mtime_ns != before
    # stage 01 run again on the same run directory (other windows): the member is stale
    before = member.model.stat().st_mtime_ns
    make_prepared(run, seed=5)
    run_training(tiny_cfg(**{"train.ensemble": 2, "train.learning_rate": 0.01}), run)
    assert member.model.stat().st_mtime_ns != before


def test_auto_ensemble_on_small_validation_under_the_default_recipe(tmp_path, capsys):
    # 16 validation windows per class (< 30) and the default one-cycle schedule: the final
    # weights are kept, so auto trains five members; the log says so, and so does the terminal
    run = make_prepared(tmp_path / "run", n_train=32)
    result = run_training(tiny_cfg(**{"train.ensemble": "auto", "train.epochs": 1, "train.verbose": 1}), run)
    assert result.ensemble == 5
    echoed = io.StringIO()
    ProgressEcho(echoed).write(capsys.readouterr().out)
    lines = echoed.getvalue().splitlines()
    assert lines[0].startswith("ensemble: 5 members, probabilities averaged: member 1 leaves out validation")
    assert "seeds 7, 1007, 2007, 3007, 4007" in lines[0] and lines[0].endswith("members 2-5 train first")
    assert [line.split(" (seed")[0] for line in lines[1:5]] == [f"member {m}/5" for m in (2, 3, 4, 5)]
    assert lines[5].startswith("epoch 1/1")
    assert "seeds 7, 1007, 2007, 3007, 4007" in result.budget["ensemble"]
    assert sorted(p.name for p in (run / "members").iterdir()) == ["m1", "m2", "m3", "m4"]
    # the plateau schedule ranks epochs on validation (however small): one model
    plain = make_prepared(tmp_path / "plain", n_train=32)
    cfg = tiny_cfg(**{"train.ensemble": "auto", "train.epochs": 1, "train.schedule.kind": "plateau"})
    assert run_training(cfg, plain).ensemble == 1 and not (plain / "members").exists()


def test_a_saturated_validation_metric_counts_only_epochs_at_its_ceiling():
    history = pd.DataFrame({"val_pr_auc": [0.99, 1.0, 0.9999999999999998, 0.98, 1.0], "val_loss": [0.3] * 5})
    assert saturated_epochs(history, "val_pr_auc", "max") == 3
    assert saturated_epochs(history, "val_loss", "min") == 0  # a loss has no ceiling
    assert saturated_epochs(history, "val_accuracy", "max") == 0  # not in the history
    auto = TrainConfig()
    assert ens.ensemble_size(auto, final_weights=False, saturated=SATURATED_EPOCHS) == 5
    assert ens.ensemble_size(auto, final_weights=False, saturated=SATURATED_EPOCHS - 1) == 1
    assert ens.ensemble_size(TrainConfig(ensemble=1), final_weights=False, saturated=30) == 1
    line = ens.ensemble_explanation(5, 42, True, False, saturated=23, monitor="val_pr_auc")
    assert "val_pr_auc reached 1.0 on 23 epochs: validation cannot choose among them" in line


def test_a_run_whose_validation_saturates_grows_into_an_ensemble_after_its_own_model(tmp_path, capsys):
    # 32 validation windows per class (enough to rank epochs), classes 5 sigma apart: the run's
    # own model reaches PR-AUC 1.0 on most epochs, so auto adds four members after it
    run = make_prepared(tmp_path / "run", n_train=128)
    cfg = tiny_cfg(**{"train.ensemble": "auto", "train.epochs": 5, "train.learning_rate": 0.01, "train.verbose": 1})
    result = run_training(cfg, run)
    saturated = saturated_epochs(result.history, result.monitor, "max")
    assert result.monitor == "val_pr_auc" and saturated >= SATURATED_EPOCHS
    assert result.ensemble == 5 and f"reached 1.0 on {saturated} epochs" in result.budget["ensemble"]
    lines = capsys.readouterr().out.splitlines()
    grown = next(i for i, line in enumerate(lines) if line.startswith("ensemble:"))
    assert lines[grown].endswith("members 2-5 train now")
    assert any(line.startswith("epoch 5/5") for line in lines[:grown])  # the run's own model first
    assert [line.split(" (seed")[0] for line in lines[grown + 1 : grown + 5]] == [f"member {m}/5" for m in (2, 3, 4, 5)]
    assert len(load_trained_model(RunLayout(run).model).inputs) == 1
    assert json.loads((run / "train.json").read_text())["ensemble"] == 5
    # the same run again reuses the four members (and retrains its own, same seed, same weights)
    again = run_training(cfg, run)
    assert again.ensemble == 5 and "weights of epoch" not in capsys.readouterr().out
    np.testing.assert_allclose(again.history["val_loss"], result.history["val_loss"])


def _prepared(tmp_path: Path, synthetic: bool = False):
    from lstm_helpers.artifacts import save_npz
    from lstm_helpers.data.prepared import load_prepared

    run = make_prepared(tmp_path / "run", n_train=32)
    if synthetic:
        arrays = dict(np.load(run / "prepared.npz"))
        arrays["synthetic_train"][:3] = True
        save_npz(run / "prepared.npz", arrays)
    return load_prepared(run, require=("train", "val"))


def test_fold_members_leave_out_each_training_window_once_and_keep_recordings_together(tmp_path):
    data = _prepared(tmp_path)
    folds = ens.fold_plan(data, seed=7)
    assert sorted(np.unique(folds)) == [1, 2, 3, 4] and len(folds) == len(data.y_train)
    rec = data.arrays["rec_train"]
    assert all(len(np.unique(folds[rec == r])) == 1 for r in np.unique(rec))  # a recording in one fold
    for m in (1, 2, 3, 4):
        member = ens.fold_data(data, folds, m)
        held = folds == m
        assert np.array_equal(member.X_val, data.X_train[held]) and np.array_equal(member.y_val, data.y_train[held])
        # it trains on validation and the other folds: every window of the pool but its fold
        assert len(member.y_train) == len(data.y_train) - held.sum() + len(data.y_val)
        assert np.array_equal(member.X_train[-len(data.y_val) :], data.X_val)
        assert set(np.unique(member.y_train)) == {0, 1}
    assert np.array_equal(ens.fold_plan(data, seed=7), folds)  # the seed fixes the folds
    # synthetic windows mix neighbours a fold would separate; too few recordings per class
    assert ens.fold_plan(_prepared(tmp_path / "s", synthetic=True), seed=7) is None
    assert ens.fold_plan(data, seed=7, n_members=6) is None  # 5 folds, 4 recordings


def test_auto_ensemble_with_fold_members_scores_validation_with_the_model_that_never_saw_it(tmp_path):
    from sklearn.metrics import average_precision_score, recall_score, roc_auc_score

    from lstm_helpers.judge.evaluation import run_evaluation

    run = make_prepared(tmp_path / "run", n_train=32)
    cfg = tiny_cfg(**{"train.ensemble": "auto", "train.epochs": 1, "evaluate.baseline": "none"})
    result = run_training(cfg, run)
    assert result.ensemble == 5 and "member 1 leaves out validation and alone scores it" in result.budget["ensemble"]
    assert json.loads((run / "train.json").read_text())["folds"] == 4
    model = load_trained_model(RunLayout(run).model)
    assert model.name == "fold_ensemble_of_5"
    first = ens.validation_member(model)
    assert first.name == "member1"
    # the members differ in data, not only in seed: member 2 validated on its fold (8 windows)
    assert len(pd.read_csv(run / "members" / "m1" / "history.csv")) == 1
    arrays = np.load(run / "prepared.npz")
    out = run_evaluation(cfg, run)
    p_first = np.asarray(first.predict(arrays["X_val"], verbose=0))[:, -1]
    p_all = np.asarray(model.predict(arrays["X_val"], verbose=0))[:, -1]
    val_auc = out["metrics"]["val"]["roc_auc"]
    assert val_auc == pytest.approx(roc_auc_score(arrays["y_val"] == 1, p_first), abs=1e-9)
    assert not np.allclose(p_first, p_all)
    # the baseline learns from what the ensemble learnt from: its test figures from a fit on
    # training + validation windows, its threshold from its own fit on training windows
    from lstm_helpers.judge.baseline import fit_baseline

    with_baseline = tiny_cfg(**{"train.ensemble": "auto", "train.epochs": 1, "evaluate.baseline": "minirocket"})
    b = run_evaluation(with_baseline, run)["metrics"]["baseline"]
    assert b["fitted_on"] == "training + validation windows" and "training + validation" in b["label"]
    X_both = np.concatenate([arrays["X_train"], arrays["X_val"]])
    y_both = np.concatenate([arrays["y_train"], arrays["y_val"]])
    direct = fit_baseline(X_both, y_both, {"test": arrays["X_test"]}, 2, classifier=b["classifier"], seed=7)
    p_test = direct.proba["test"][:, 1]
    assert b["pr_auc"] == pytest.approx(average_precision_score(arrays["y_test"] == 1, p_test), abs=1e-9)
    assert b["per_class"]["play"]["recall"] == pytest.approx(
        recall_score(arrays["y_test"] == 1, p_test >= b["threshold"]), abs=1e-9
    )
    notes = " ".join(json.loads((run / "metrics.json").read_text())["notes"])
    assert (
        "baseline's test figures likewise come from a fit on training + validation sequences" in notes
    )  # a sequences run counts sequences
    # a seed ensemble scores validation with the average, and its baseline sees training windows
    seeds_run = make_prepared_seed(tmp_path)
    seeds = load_trained_model(RunLayout(seeds_run).model)
    assert ens.validation_member(seeds) is seeds
    only_train = run_evaluation(with_baseline, seeds_run)["metrics"]["baseline"]
    assert only_train["fitted_on"] == "training windows"


def make_prepared_seed(tmp_path: Path) -> Path:
    run = make_prepared(tmp_path / "seeds", n_train=32)
    run_training(tiny_cfg(**{"train.ensemble": 2, "train.epochs": 1}), run)
    return run


def test_an_ensembles_seconds_per_epoch_counts_every_member_as_its_params_and_total_do(tmp_path):
    """train.json's n_params and total_seconds counted both members, seconds_per_epoch_mean the
    run's own model alone: an ensemble of 2 looked twice as cheap per epoch as it is."""
    run = make_prepared(tmp_path / "run")
    run_training(tiny_cfg(**{"train.ensemble": 2, "train.epochs": 3}), run)
    info = json.loads(RunLayout(run).train_json.read_text())
    member = json.loads(ens.member_layout(RunLayout(run), 1).train_json.read_text())
    own = pd.read_csv(RunLayout(run).timing)  # the run's own model's epochs
    own_epochs = (own["seconds"] + own["after_seconds"]).to_numpy()
    own_mean = own_epochs[~own["includes_tracing"].astype(bool).to_numpy()].mean()
    assert info["seconds_per_epoch_mean"] == pytest.approx(own_mean + member["seconds_per_epoch_mean"], rel=1e-6)
    assert info["seconds_per_epoch"] == pytest.approx(np.add(own_epochs, member["seconds_per_epoch"]), abs=2e-4)
    assert "summed over the 2 members" in info["timing_basis"]
    assert info["n_params"] == 2 * member["n_params"]
