"""Hyperparameter search: search-file validation, and a real tiny KerasTuner search whose best
configuration then runs through the pipeline."""

from __future__ import annotations

import html
import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import TINY

from lstm_helpers.config import ConfigError, TrainConfig, load_config
from lstm_helpers.experiments.search import Search, read_search, resolve_objective, run_search
from lstm_helpers.runs.slides import write_slides

ROOT = Path(__file__).resolve().parent.parent
TINY_SET = dict(TINY)


def write_search(path: Path, data_dir: Path | str, **spec) -> Path:
    body = {"base": str(ROOT / "configs" / "demo.yaml"), **spec}
    body["set"] = {**TINY_SET, **spec.get("set", {}), "data.path": str(data_dir)}
    body.setdefault("space", {"model.units": {"type": "choice", "values": [[4], [8]]}})
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


def test_shipped_example_is_valid():
    s = Search(ROOT / "configs" / "search.yaml")
    assert s.spec.tuner == "random" and "model.units" in s.spec.space
    assert s.encoded["model.units"] and not s.encoded["train.learning_rate"]
    assert s.values_of({"model.units": "[64, 32]", "train.learning_rate": 0.01}) == {
        "model.units": [64, 32],
        "train.learning_rate": 0.01,
    }


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"spaces": {}}, "unknown key 'spaces'"),
        ({"space": {}}, "at least one parameter"),
        (
            {"space": {"train.learning_rate": {"type": "float", "min": 0.1, "max": 0.01}}},
            "min < max",
        ),
        (
            {"space": {"train.learning_rate": {"type": "float", "min": 0, "max": 0.1, "log": True}}},
            "log scale",
        ),
        ({"space": {"model.units": {"type": "choice"}}}, "non-empty 'values'"),
        (
            {"space": {"model.units": {"type": "choice", "values": [[8]], "min": 1}}},
            "only 'values'",
        ),
        (
            {"space": {"model.dropout": {"type": "uniform", "min": 0, "max": 1}}},
            "space.model.dropout.type",
        ),
        (
            {"space": {"model.dropout": {"type": "float", "min": 0.0, "max": 0.4, "step": 0.5}}},
            "step 0.5 exceeds the range 0..0.4: only min would be tried",
        ),
        ({"tuner": "grid"}, "tuner"),
        ({"objective": "pr_auc"}, "objective: must be 'auto' or a validation metric"),
        ({"objective": "test_pr_auc"}, "trials are chosen on validation"),
        (  # hyperband's trials follow from epochs and its factor: a max_trials was silently ignored
            {"tuner": "hyperband", "max_trials": 3, "epochs": 2},
            r"max_trials 3 has no effect with tuner: hyperband, whose trials follow from epochs \(2, the most",
        ),
        ({"tuner": "random", "hyperband_factor": 2}, "hyperband_factor has no effect with tuner: random"),
    ],
)
def test_malformed_search_files_are_refused(tmp_path, spec, message):
    f = write_search(tmp_path / "s.yaml", tmp_path / "data", **spec)
    with pytest.raises(ConfigError, match=message):
        read_search(f)


def test_invalid_space_values_name_the_key(tmp_path):
    f = write_search(
        tmp_path / "s.yaml",
        tmp_path / "data",
        space={"model.dropout": {"type": "float", "min": 0.0, "max": 1.5}},
    )
    with pytest.raises(ConfigError, match=r"space key 'model.dropout' value 1.5"):
        Search(f)
    f = write_search(
        tmp_path / "s.yaml",
        tmp_path / "data",
        space={"model.unitz": {"type": "choice", "values": [[8]]}},
    )
    with pytest.raises(ConfigError, match="model.unitz"):
        Search(f)
    f = write_search(
        tmp_path / "s.yaml",
        tmp_path / "data",
        space={"windows.length": {"type": "int", "min": 16, "max": 32}},
    )
    with pytest.raises(ConfigError, match="changes the prepared data"):
        Search(f)
    f = write_search(tmp_path / "s.yaml", tmp_path / "data")
    with pytest.raises(ConfigError, match="would fix searched parameters"):
        Search(f, ["model.units=[16]"])
    with pytest.raises(ConfigError, match="(?s)base \\+ set \\+ command-line --set: .*unknown key 'train.epochz'"):
        Search(f, ["train.epochz=3"])
    # class weights exist only under resample.method: class_weight; elsewhere the switch is a no-op
    space = {"train.use_class_weight": {"type": "choice", "values": [True, False]}}
    f = write_search(tmp_path / "s.yaml", tmp_path / "data", space=space, set={"resample.method": "none"})
    with pytest.raises(
        ConfigError, match="'train.use_class_weight' changes nothing: only resample.method: class_weight"
    ):
        Search(f)
    # class weights are a choice of the trials when they may take resample.method: class_weight
    space |= {"resample.method": {"type": "choice", "values": ["none", "class_weight"]}}
    Search(write_search(tmp_path / "s.yaml", tmp_path / "data", space=space, set={"resample.method": "none"}))
    for key, dim in (  # what a trial's fit never uses: every value would score alike
        ("train.epochs", {"type": "choice", "values": [1, 3]}),
        ("train.early_stopping.patience", {"type": "choice", "values": [2, 5]}),
    ):
        f = write_search(tmp_path / "s.yaml", tmp_path / "data", space={key: dim})
        with pytest.raises(ConfigError, match=f"space key '{key}' is not used by the trials"):
            Search(f)


def test_a_space_value_invalid_on_the_base_alone_is_kept_where_its_combinations_are_valid(tmp_path):
    """units [8] is invalid beside the base's dropout list of two, valid beside every dropout the
    space may sample: the search was refused before; a combination that is invalid still is."""
    base = {"model.units": [16, 8], "model.dropout": [0.2, 0.1]}
    units = {"type": "choice", "values": [[8], [16, 8]]}
    for dropout in ({"type": "choice", "values": [0.1, 0.2]}, {"type": "float", "min": 0.0, "max": 0.4}):
        search = Search(
            write_search(
                tmp_path / "s.yaml", tmp_path, set=base, space={"model.units": units, "model.dropout": dropout}
            )
        )
        assert search.config_for({"model.units": [8], "model.dropout": 0.4}).model.units == [8]
    space = {"model.units": units, "model.dropout": {"type": "choice", "values": [0.1, [0.2, 0.3]]}}
    with pytest.raises(
        ConfigError,
        match=r"space keys combined as \(model.units=\[8\], model.dropout=\[0.2, 0.3\]\), a trial the tuner may sample",
    ):
        Search(write_search(tmp_path / "s.yaml", tmp_path, set=base, space=space))
    space = {"model.units": units, "model.dropout": {"type": "float", "min": 0.0, "max": 1.5}}
    with pytest.raises(
        ConfigError, match=r"space key 'model.dropout' value 1.5 \(with every choice of the other space keys"
    ):
        Search(write_search(tmp_path / "s.yaml", tmp_path, set=base, space=space))


def test_a_folder_holding_another_search_is_refused(tmp_path, tiny_demo_dir):
    """Its trials would be read as this search's: KerasTuner resumes from the folder."""
    from lstm_helpers.experiments.search import _claimed_dir

    first = Search(write_search(tmp_path / "a.yaml", tiny_demo_dir))
    out = _claimed_dir(first, tmp_path / "out")
    assert (out / "search_id.txt").read_text().strip() == first.search_id
    assert _claimed_dir(first, out) == out  # the same search again: resumes there
    space = {"train.learning_rate": {"type": "choice", "values": [0.03, 0.05]}}
    other = Search(write_search(tmp_path / "b.yaml", tiny_demo_dir, space=space))
    with pytest.raises(ConfigError, match=f"holds the trials of another search \\({first.search_id}\\)"):
        _claimed_dir(other, out)


def test_a_run_directory_is_refused_as_the_folder_of_a_search(tmp_path, tiny_demo_dir):
    """A search's pages (comparison.html, slides.html) would be written over the run's."""
    from lstm_helpers.experiments.search import _claimed_dir

    run = tmp_path / "run"
    run.mkdir()
    (run / "params.yaml").write_text("seed: 1\n")
    search = Search(write_search(tmp_path / "a.yaml", tiny_demo_dir))
    with pytest.raises(
        ConfigError, match=r"is a run's directory \(it holds params.yaml\).*give the search a new folder"
    ):
        _claimed_dir(search, run)
    assert sorted(p.name for p in run.iterdir()) == ["params.yaml"]


def test_objective_follows_the_task():
    spec = read_search(ROOT / "configs" / "search.yaml")
    assert resolve_objective(spec, 2) == ("val_pr_auc", "max")
    assert resolve_objective(spec, 4) == ("val_balanced_accuracy", "max")  # what the comparison ranks by
    # auto follows the trials' train.monitor when set: the best run watches it (a character model: accuracy)
    assert resolve_objective(spec, 100, TrainConfig(monitor="val_accuracy")) == ("val_accuracy", "max")
    assert resolve_objective(spec, 2, TrainConfig(monitor="val_loss")) == ("val_loss", "min")
    assert resolve_objective(spec.model_copy(update={"objective": "val_loss"}), 2) == (
        "val_loss",
        "min",
    )
    # a name the task's model does not log is refused before any trial (it used to fail
    # every trial inside KerasTuner, then end as an internal error)
    with pytest.raises(ConfigError, match=r"objective \(search file\) = 'val_pr_aux'.*valid: auto, val_loss"):
        resolve_objective(spec.model_copy(update={"objective": "val_pr_aux"}), 2)
    with pytest.raises(ConfigError, match="not logged for a 4-class task.*val_top3_accuracy"):
        resolve_objective(spec.model_copy(update={"objective": "val_pr_auc"}), 4)


@pytest.mark.slow
def test_tiny_search_writes_a_best_config_that_runs(tmp_path, tiny_demo_dir, capsys, monkeypatch):
    f = write_search(
        tmp_path / "s.yaml",
        tiny_demo_dir,
        tuner="random",
        max_trials=2,
        epochs=1,
        space={
            "model.units": {"type": "choice", "values": [[4], [8, 4]]},
            "train.learning_rate": {"type": "float", "min": 1e-3, "max": 1e-2, "log": True},
            "model.bidirectional": {"type": "choice", "values": [True, False]},
        },
        set={"train.schedule.kind": "plateau"},  # each trial lowers its rate on a plateau, as the run does
    )
    out = tmp_path / "search"
    import keras

    fits = []  # whether each trial's fit lowers its rate on a plateau
    original_fit = keras.Model.fit

    def spy(self, *args, **kwargs):
        fits.append(any(isinstance(c, keras.callbacks.ReduceLROnPlateau) for c in kwargs.get("callbacks") or []))
        return original_fit(self, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", spy)
    result = run_search(f, out=out, verbose=1)
    said = [line for line in capsys.readouterr().out.splitlines() if line.startswith("[search]")]
    assert "trials ranked by val_pr_auc (validation)" in said[0]
    assert [line.split(":")[0] for line in said[1:]] == ["[search] trial 1/2", "[search] trial 2/2"]
    assert all("-> val_pr_auc " in line and "train.learning_rate " in line for line in said[1:])

    trials = pd.read_csv(result["trials_csv"])
    assert len(trials) == 2 and (trials["status"] == "COMPLETED").all()
    assert fits == [True, True]
    assert trials["score"].notna().all() and set(trials["objective"]) == {"val_pr_auc"}
    assert set(trials["model.units"]) <= {"[4]", "[8, 4]"}
    assert trials["score"].iloc[0] == trials["score"].max() == pytest.approx(result["best_score"])
    # the terminal's "trial 2" is trials.csv's trial 2; a boolean reads true / false, as in a config
    by_number = trials.set_index("trial")["score"]
    for line in said[1:]:
        number = int(line.split(":")[0].split()[-1].split("/")[0])
        assert f"val_pr_auc {by_number[number]:.3f}" in line, (line, by_number)
        assert "model.bidirectional true" in line or "model.bidirectional false" in line, line
    assert set(trials["model.bidirectional"]) <= {True, False}
    assert isinstance(result["best_values"]["model.bidirectional"], bool)

    # the best config is a complete run config holding the best trial's values
    best_cfg = load_config(result["best_config"])
    assert best_cfg.model.units == result["best_values"]["model.units"]
    assert best_cfg.train.learning_rate == pytest.approx(result["best_values"]["train.learning_rate"])
    assert best_cfg.train.epochs == 1 and best_cfg.data.path == str(tiny_demo_dir)
    header = Path(result["best_config"]).read_text().split("\n# Run it: ")[1].splitlines()[0]
    assert header.startswith("lstm-workbench run --config ") and str(tmp_path) not in header  # no absolute path

    run = Path(result["best_run"])
    status = json.loads((run / "status.json").read_text())
    assert status["status"] == "finished" and status["fingerprint"] == best_cfg.fingerprint()
    assert (run / "metrics.json").is_file() and (run / "report.html").is_file()
    page = (
        Path(result["comparison_html"]).read_text().replace("<wbr/>", "")
    )  # names wrap at _ and - (nbconvert writes <wbr/>)
    # the page opens with the trials, best first, and the full run of the best configuration; the
    # sections that compare runs (one here) are left out
    assert page.index("2 trials, ranked by <b>val_pr_auc</b>") < page.index("Search trials") < page.index("All runs")
    # the trials' score is Keras' during training, the full run's scikit-learn's: the sentence says which is which
    said = html.unescape(page)  # (nbconvert writes the escaped apostrophe back as it reads)
    assert "<b>val_pr_auc</b> (Keras' running estimate during training)" in said
    assert "val_pr_auc (scikit-learn's average precision) = " in said
    assert "val_pr_auc (best epoch)" in page and '/report.html">its report</a>' in page
    for gone in ("Mean ± std over seeds", "Quality against training time", '<h2 id="Ranking">', "True"):
        assert gone not in page, gone
    deck = write_slides(out).read_text()
    assert "What the search tried: 2 trials" in deck and "The best configuration, run in full" in deck
    rates = trials["train.learning_rate"]  # three significant digits on the page, not 0.00x
    assert all(f">{r:.5f}<" in page for r in rates), rates.tolist()
    assert not any(c.startswith("test_") for c in trials.columns)  # trials never see the test split
    table = pd.read_csv(out / "comparison.csv")
    assert len(table) == 1 and table.loc[0, "status"] == "finished"


@pytest.mark.slow
def test_a_time_budget_stops_starting_trials(tmp_path, tiny_demo_dir, capsys):
    """``--minutes``: once the budget is spent no trial starts; the best so far is kept. A
    budget far below one trial's time lets exactly one of the four trials run."""
    f = write_search(
        tmp_path / "s.yaml", tiny_demo_dir, tuner="random", max_trials=4, epochs=1,
        space={"model.units": {"type": "choice", "values": [[4], [8], [12], [16]]}},
    )  # fmt: skip
    result = run_search(f, out=tmp_path / "search", verbose=1, run_best=False, max_minutes=1e-4)
    assert len(result["trials"]) == 1 and result["best_score"] is not None
    said = capsys.readouterr().out
    assert "[search] trial 1/4:" in said and "time budget of 0.0001 min spent" in said
    assert "trial 2/4" not in said
    # the same search again (more time): it continues, without KerasTuner's "Reloading Tuner from <path>"
    run_search(f, out=tmp_path / "search", verbose=1, run_best=False, max_minutes=1e-4)
    said = capsys.readouterr().out
    assert "Reloading" not in said and str(tmp_path) not in said
    assert (tmp_path / "search" / "trials.log").is_file()  # TensorFlow's own lines go there, not to the terminal


@pytest.mark.parametrize("minutes", [0, -1, float("nan")])
def test_a_time_budget_must_be_positive(tmp_path, minutes):
    f = write_search(tmp_path / "s.yaml", tmp_path / "data")
    with pytest.raises(ConfigError, match=r"time budget \(--minutes\) must be a positive number"):
        run_search(f, out=tmp_path / "out", max_minutes=minutes)
    assert not (tmp_path / "out").exists()


def test_trial_line_reads_as_a_sentence():
    from lstm_helpers.experiments.progress import trial_line

    values = {"model.units": [64, 32], "train.learning_rate": 0.000505466, "model.bidirectional": False}
    assert trial_line(3, 8, values, "val_pr_auc", 0.82591, 0.9, 5.51) == (
        "trial 3/8: model.units [64, 32], train.learning_rate 0.000505, model.bidirectional false"
        " -> val_pr_auc 0.826 (best 0.900), 5.5 s"
    )
    assert trial_line(2, None, values, "val_pr_auc", None, None, 1.0, "FAILED").endswith("-> failed, 1.0 s")


def test_missing_keras_tuner_names_the_tune_extra(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "keras_tuner", None)  # import fails as if it were not installed
    f = write_search(tmp_path / "s.yaml", tmp_path / "data")
    with pytest.raises(ConfigError, match=r"install the tune extra: pip install -e '\.\[tune\]'"):
        run_search(f, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_plateau_trial_lowers_its_learning_rate_as_the_run_would():
    """Trials with train.schedule.kind: plateau trained at a constant rate (no callback), so the
    search could pick a schedule no trial ran."""
    import keras

    from lstm_helpers.config import Config
    from lstm_helpers.model.schedules import plateau_callback

    sched = Config().train.schedule.model_copy(update={"kind": "plateau", "patience": 2, "factor": 0.5})
    (cb,) = plateau_callback(sched, "val_pr_auc", "max")
    assert isinstance(cb, keras.callbacks.ReduceLROnPlateau)
    assert (cb.monitor, cb.mode, cb.patience, cb.factor) == ("val_pr_auc", "max", 2, 0.5)
    assert plateau_callback(sched.model_copy(update={"kind": "constant"}), "val_loss", "min") == []


def test_an_objective_no_task_logs_is_refused_before_the_data_are_prepared(tmp_path, tiny_demo_dir):
    f = write_search(tmp_path / "s.yaml", tiny_demo_dir, objective="val_f1")
    with pytest.raises(ConfigError, match="val_f1"):
        run_search(f, out=tmp_path / "search", verbose=0, run_best=False)
    assert not (tmp_path / "search" / "prepared").exists()


def test_a_trials_other_metrics_come_from_the_epoch_its_score_does(tmp_path):
    """trials.csv put each validation metric's own best beside the score: the lowest val_loss of
    one epoch and the highest val_accuracy of another, in one row that reads as one epoch."""
    from types import SimpleNamespace

    import keras_tuner

    from lstm_helpers.experiments.search import trials_table

    trial = keras_tuner.engine.trial.Trial(keras_tuner.HyperParameters(), trial_id="0")
    trial.hyperparameters.Choice("model.units", ["[4]", "[8]"])
    for step, (pr_auc, loss, acc) in enumerate([(0.5, 0.30, 0.95), (0.8, 0.40, 0.90), (0.6, 0.20, 0.97)]):
        for name, value in (("val_pr_auc", pr_auc), ("val_loss", loss), ("val_accuracy", acc)):
            trial.metrics.register(name, "min" if name == "val_loss" else "max") if step == 0 else None
            trial.metrics.update(name, value, step=step)
    trial.best_step, trial.score, trial.status = 1, 0.8, "COMPLETED"
    tuner = SimpleNamespace(oracle=SimpleNamespace(trials={"0": trial}))
    search = Search(write_search(tmp_path / "s.yaml", tmp_path))
    table = trials_table(tuner, search, ("val_pr_auc", "max"))
    row = table.iloc[0]
    assert row["score"] == 0.8 and row["val_loss"] == pytest.approx(0.40) and row["val_accuracy"] == pytest.approx(0.90)
    # trials.csv counts epochs from 1, as comparison.html and the slides do (KerasTuner's step 1 is epoch 2)
    assert "best_step" not in table and row["best_epoch"] == 2
    from lstm_helpers.experiments.display import search_trials
    from lstm_helpers.layout import SweepLayout

    table.to_csv(SweepLayout(tmp_path).trials, index=False)
    assert (
        search_trials(tmp_path)["best epoch"].tolist()
        == pd.read_csv(SweepLayout(tmp_path).trials)["best_epoch"].tolist()
        == [2]
    )
    table.rename(columns={"best_epoch": "best_step"}).assign(best_step=1).to_csv(SweepLayout(tmp_path).trials)
    assert search_trials(tmp_path)["best epoch"].tolist() == [2]  # an earlier trials.csv's step, from 0


def test_a_trial_trains_on_the_windows_a_run_with_its_resampling_would(tmp_path, tiny_config):
    """Story 5's search tries imbalance handling: stage 01 of a search leaves the training windows
    as they are and each trial rebalances them by its own ``resample`` section, giving exactly
    the training windows (and class weights) stage 01 of a run with those settings writes."""
    from lstm_helpers.data.prepare import run_prepare
    from lstm_helpers.experiments.trials import TrialWindows

    plain = run_prepare(tiny_config(resample__method="none"), tmp_path / "plain")
    windows = TrialWindows(plain)
    for method, factor in (("smote", 2.0), ("undersample", 3.0), ("class_weight", 5.0), ("oversample", 1.5)):
        cfg = tiny_config(resample__method=method, resample__imbalance_factor=factor)
        run = run_prepare(cfg, tmp_path / method)
        got = windows.for_config(cfg)
        np.testing.assert_array_equal(got.X, run.X_train)
        np.testing.assert_array_equal(got.y, run.y_train)
        assert got.class_weight == run.class_weight, method
    assert windows.for_config(cfg) is windows.for_config(cfg)  # build and fit of one trial: rebalanced once


def test_padded_lengths_are_the_steps_before_the_padding():
    from lstm_helpers.experiments.trials import padded_lengths

    X = np.full((3, 5, 2), -1.0, np.float32)
    X[0, :3] = 0.5
    X[1, :5, 0] = 0.2  # one channel real is a real step
    X[2, 1] = 0.3  # a leading step equal to the mask on every channel is not padding at the end
    assert padded_lengths(X, -1.0).tolist() == [3, 5, 2]


def test_a_search_tries_imbalance_handling_and_augmentation(tmp_path, tiny_demo_dir, monkeypatch):
    """Each trial's fit gets its own windows, class weights and augmented batches."""
    import keras

    f = write_search(
        tmp_path / "s.yaml", tiny_demo_dir, tuner="random", max_trials=4, epochs=1,
        space={
            "resample.method": {"type": "choice", "values": ["class_weight", "smote"]},
            "resample.imbalance_factor": {"type": "choice", "values": [1.0, 2.0]},
            "train.augment.jitter_sigma": {"type": "choice", "values": [0.0, 0.5]},
        },
    )  # fmt: skip
    fits = []
    original_fit = keras.Model.fit

    def spy(self, data, *args, **kwargs):
        x, _ = next(iter(data))  # the first batch of the trial's stream
        fits.append((kwargs["class_weight"], kwargs["steps_per_epoch"], x.numpy()))
        return original_fit(self, data, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", spy)
    result = run_search(f, out=tmp_path / "search", verbose=0, run_best=False)
    trials = pd.read_csv(result["trials_csv"])
    assert len(trials) == len(fits) >= 2 and (trials["status"] == "COMPLETED").all()
    assert set(trials["resample.method"]) == {"class_weight", "smote"}  # the seeded tuner tried both
    assert set(trials["train.augment.jitter_sigma"]) == {0.0, 0.5}
    prepared = np.load(tmp_path / "search" / "prepared" / "prepared.npz")
    assert not prepared["synthetic_train"].any()  # stage 01 of a search does not rebalance
    n_plain = math.ceil(len(prepared["y_train"]) / 32)
    for (weights, steps, x), (_, row) in zip(fits, trials.sort_values("trial").iterrows(), strict=True):
        if row["resample.method"] == "smote":
            assert weights is None and steps > n_plain  # SMOTE adds windows of the rare class
        else:
            assert weights is not None and weights[1] > weights[0] and steps == n_plain
        # jitter of sigma 0.5 leaves no value of a batch on the windows' values
        assert (np.isin(x, prepared["X_train"]).mean() < 0.5) == (row["train.augment.jitter_sigma"] > 0)


def test_a_text_search_cannot_try_smote_or_augmentation(tmp_path, tiny_demo_dir):
    text = tmp_path / "t.txt"
    text.write_text("the quick brown fox jumps over the lazy dog while the cat sleeps. " * 80)
    data = {"data.kind": "text", "data.path": str(text), "data.classes_of_interest": [], "data.class_map": {},
            "data.other_class": None, "data.vocab_size": 30, "resample.method": "none"}  # fmt: skip
    for key, values, message in (
        ("resample.method", ["none", "smote"], r"value\(s\) \['smote'\] interpolate values"),
        ("train.augment.scale_sigma", [0.0, 0.1], "augments real-valued series, not text"),
    ):
        f = write_search(tmp_path / "s.yaml", text, space={key: {"type": "choice", "values": values}}, set=data)
        with pytest.raises(ConfigError, match=message):
            run_search(f, out=tmp_path / key, verbose=0, run_best=False)
        assert not (tmp_path / key / "tuner").exists()  # refused before any trial


def test_the_searchs_stage_01_notes_go_to_its_log_not_to_the_terminal(tmp_path, tiny_demo_dir, monkeypatch):
    """search ran stage 01 in its own process: a gap in the time column reached the terminal as
    '.../prepare.py:NNN: UserWarning: 1 gap(s) in time column ...' and its source line, where run
    and sweep say it in stage 01's notebook."""
    import shutil
    import warnings

    from lstm_helpers.experiments import trials

    data = tmp_path / "data"
    shutil.copytree(tiny_demo_dir, data)
    first = sorted(data.glob("*.parquet"))[0]
    frame = pd.read_parquet(first)
    frame.loc[frame.index >= 300, "time_s"] += 60.0  # a minute missing in its first recording
    frame.to_parquet(first, index=False)

    class Prepared(Exception):
        pass

    def stop(search, prepared):
        raise Prepared

    monkeypatch.setattr(trials, "check_trials_fit_the_data", stop)  # the trials are not what this tests
    with warnings.catch_warnings(record=True) as caught, pytest.raises(Prepared):
        warnings.simplefilter("always")
        run_search(write_search(tmp_path / "s.yaml", data), out=tmp_path / "search", verbose=1)
    assert not [str(w.message) for w in caught if "gap" in str(w.message)]
    assert "1 gap(s) in time column 'time_s'" in (tmp_path / "search" / "prepared" / "prepare.log").read_text()


def test_a_search_on_settings_its_data_rule_out_is_refused_before_its_folder_exists(tmp_path, tiny_demo_dir, capsys):
    """search ran stage 01 without run's pre-check: split.val_fraction=0 prepared the windows,
    then ended in an internal error (X_val is empty) with the search's folder left behind."""
    from lstm_helpers.cli import main

    f = write_search(tmp_path / "s.yaml", tiny_demo_dir, set={"split.val_fraction": 0})
    assert main(["search", str(f), "--out", str(tmp_path / "search")]) == 2
    assert capsys.readouterr().err.startswith("error: split.val_fraction=0 leaves no validation windows")
    assert not (tmp_path / "search").exists()


def test_the_base_configs_settings_with_no_effect_are_noted_unless_the_space_may_use_them(
    tmp_path, tiny_demo_dir, capsys, monkeypatch
):
    from lstm_helpers.experiments import search as search_module

    def stop(*args, **kwargs):
        raise ConfigError("stage 01 would start here")

    monkeypatch.setattr(search_module, "_prepare_quietly", stop)
    space = {"resample.method": {"type": "choice", "values": ["class_weight", "smote"]}}
    f = write_search(tmp_path / "s.yaml", tiny_demo_dir, space=space,
                     set={"resample.smote_k": 3, "train.focal_gamma": 5})  # fmt: skip
    with pytest.raises(ConfigError, match="would start here"):
        run_search(f, out=tmp_path / "out", run_best=False)
    notes = [line for line in capsys.readouterr().out.splitlines() if "note:" in line]
    assert notes == ["[search] note: train.focal_gamma = 5 has no effect: train.loss is crossentropy (focal uses it)"]


@pytest.mark.slow
def test_a_stopped_search_says_the_same_command_continues_it(tmp_path, tiny_demo_dir):
    """Ctrl-C during a search printed a bare "interrupted", without the hint a sweep and a run give."""
    import signal
    import subprocess
    import sys
    import time

    f = write_search(
        tmp_path / "s.yaml", tiny_demo_dir, tuner="random", max_trials=4, epochs=50,
        space={"model.units": {"type": "choice", "values": [[4], [8], [12], [16]]}},
    )  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    cmd = [sys.executable, "-m", "lstm_helpers", "search", str(f), "--out", str(tmp_path / "search")]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline, seen = time.monotonic() + 600, ""
    while "[search] trial 1/4" not in seen and time.monotonic() < deadline and proc.poll() is None:
        seen += proc.stdout.readline()
    time.sleep(2)  # inside the trial's fit
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (seen + out, err)
    assert "[search] interrupted: the same command continues it" in seen + out, (seen + out, err)
    assert "interrupted" not in err.splitlines(), err
