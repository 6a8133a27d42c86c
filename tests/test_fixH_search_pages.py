"""A search's own pages: ``compare <search dir>`` drew the search's page again as "Comparison
of 1 run" (its title, description and searched values gone); a hyperband trial that continues
another reported the best epoch of its own fit (1) for a score from epoch 3; the table of all
runs wrote a learning rate 0.00256 as 0.003."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import keras_tuner
import pandas as pd
import pytest
from test_search import write_search

from lstm_helpers.cli import main
from lstm_helpers.experiments import compare, display
from lstm_helpers.experiments.search import Search, run_search
from lstm_helpers.experiments.search_page import search_trials
from lstm_helpers.experiments.trials import trials_table
from lstm_helpers.layout import SweepLayout


@pytest.fixture(scope="module")
def search_dir(tmp_path_factory, tiny_demo_dir) -> Path:
    root = tmp_path_factory.mktemp("fixH")
    rate = {"train.learning_rate": {"type": "float", "min": 1e-3, "max": 1e-2, "log": True}}
    f = write_search(
        root / "hb4.yaml", tiny_demo_dir, tuner="random", max_trials=1, epochs=1, space=rate,
        description="small search of the rate",
    )  # fmt: skip
    out = root / "search_hb4"
    run_search(f, out=out, verbose=0)
    return out


def _page_text(directory: Path) -> str:
    page = SweepLayout(directory).comparison_html.read_text()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


@pytest.mark.slow
def test_compare_on_a_search_draws_the_searchs_own_page_again(search_dir, capsys):
    lay = SweepLayout(search_dir)
    before = json.loads(lay.comparison_json.read_text())
    columns = list(pd.read_csv(lay.comparison_csv).columns)
    assert before["title"] == "Search hb4" and "train.learning_rate" in columns
    assert main(["compare", str(search_dir)]) == 0
    assert capsys.readouterr().out.startswith("1 trial, ranked by val_pr_auc")  # the page's own first line
    after = json.loads(lay.comparison_json.read_text())
    for key in ("title", "description", "keys", "swept", "variant_keys", "rank_by"):
        assert after[key] == before[key], key
    assert list(pd.read_csv(lay.comparison_csv).columns) == columns  # the searched column stays
    text = _page_text(search_dir)
    assert "Comparison of 1 run" not in text and "small search of the rate" in text
    assert re.search(r"with learning_rate=0\.00\d+ \.", text)  # the searched value in the answer
    # the run alone, compared from its directory, is its search's run too
    (record,) = compare.collect_runs([next(p for p in search_dir.iterdir() if "_best_" in p.name)])
    assert record["keys"] == ["train.learning_rate"] and record["variant"] == "best"


def _trial(trial_id: str, best_step: int, score: float, **tuner_values) -> keras_tuner.engine.trial.Trial:
    """A KerasTuner trial as its oracle keeps it: one observation per metric, at ``best_step``."""
    trial = keras_tuner.engine.trial.Trial(keras_tuner.HyperParameters(), trial_id=trial_id)
    trial.hyperparameters.Choice("model.units", ["[4]", "[8]"])
    for name, value in tuner_values.items():
        trial.hyperparameters.Fixed(name, value)
    for name, value in (("val_pr_auc", score), ("val_loss", 0.3)):
        trial.metrics.register(name, "min" if name == "val_loss" else "max")
        trial.metrics.update(name, value, step=best_step)
    trial.best_step, trial.score, trial.status = best_step, score, "COMPLETED"
    return trial


def test_a_hyperband_trial_that_continues_another_counts_its_epochs_from_the_start(tmp_path):
    """search_hb4's trial 6 continued trial 1 from epoch 3 (``tuner/initial_epoch`` 2): its
    score came from epoch 3, its row said best epoch 1."""
    first = _trial("0000", 1, 0.78, **{"tuner/epochs": 2, "tuner/initial_epoch": 0})
    on = {"tuner/epochs": 4, "tuner/initial_epoch": 2, "tuner/trial_id": "0000"}
    continued = _trial("0005", 0, 0.84, **on)
    tuner = SimpleNamespace(oracle=SimpleNamespace(trials={"0000": first, "0005": continued}))
    search = Search(write_search(tmp_path / "s.yaml", tmp_path))
    table = trials_table(tuner, search, ("val_pr_auc", "max")).set_index("trial")
    assert table.loc[6, "best_epoch"] == 3 and table.loc[1, "best_epoch"] == 2
    assert table.loc[6, "continues"] == "trial 1 from epoch 3" and pd.isna(table.loc[1, "continues"])
    assert table.loc[6, "val_loss"] == pytest.approx(0.3)  # the other metrics at that epoch, as before
    table.reset_index().to_csv(SweepLayout(tmp_path).trials, index=False)
    shown = search_trials(tmp_path)
    assert shown["best epoch"].tolist() == [3, 2] and shown["continues"].iloc[0] == "trial 1 from epoch 3"


def test_the_table_of_all_runs_writes_small_settings_to_three_significant_digits():
    table = pd.DataFrame(
        {
            "run": ["a", "b"],
            "train.learning_rate": [0.0025617, 0.0084721],
            "model.dropout": [0.0, 0.2],
            "train.epochs": [10.0, 20.0],
            "status": ["finished", "finished"],
        }
    )
    html = display.sortable_table(table).data
    assert ">0.00256<" in html and ">0.00847<" in html and ">0.003<" not in html
    assert ">0.200<" in html and ">10<" in html  # whole values stay whole


def test_a_trials_csv_written_before_is_read_with_the_continuations(tmp_path):
    """search_hb4's own trials.csv (best_epoch 1 for trial 6): its page is drawn right again
    by compare, from KerasTuner's trial.json files, without running the search again."""
    pd.DataFrame(
        {"trial": [6, 1], "status": ["COMPLETED"] * 2, "objective": ["val_pr_auc"] * 2, "direction": ["max"] * 2,
         "score": [0.844, 0.780], "best_epoch": [1, 2], "model.units": ["[32]"] * 2, "epochs": [4, 2]}
    ).to_csv(SweepLayout(tmp_path).trials, index=False)  # fmt: skip
    for trial_id, values in (
        ("0000", {"tuner/epochs": 2, "tuner/initial_epoch": 0}),
        ("0005", {"tuner/epochs": 4, "tuner/initial_epoch": 2, "tuner/trial_id": "0000"}),
    ):
        folder = tmp_path / "tuner" / f"trial_{trial_id}"
        folder.mkdir(parents=True)
        state = {"trial_id": trial_id, "hyperparameters": {"values": {"model.units": "[32]", **values}}}
        (folder / "trial.json").write_text(json.dumps(state))
    shown = search_trials(tmp_path)
    assert shown["best epoch"].tolist() == [3, 2]
    assert shown["continues"].tolist()[0] == "trial 1 from epoch 3" and shown["continues"].isna().tolist()[1]
