"""How a search's trials ended, said on its pages and the terminal: a trial whose training
diverged (KerasTuner calls it completed and ranks its score) and a search that the --minutes
budget cut short (its pages said "2 trials" as if that were all it planned)."""

from __future__ import annotations

import html
import json

import keras_tuner
import pandas as pd
import pytest
from test_search import write_search

from lstm_helpers.experiments.display import search_trials
from lstm_helpers.experiments.search import run_search
from lstm_helpers.experiments.trials import RECORD, divergence, record_sentence, trials_count


def _trial(epochs: list[dict[str, float]], best_step: int = 0) -> keras_tuner.engine.trial.Trial:
    """A real KerasTuner trial whose metrics took these values, epoch by epoch."""
    trial = keras_tuner.engine.trial.Trial(keras_tuner.HyperParameters(), trial_id="0")
    for step, values in enumerate(epochs):
        for name, value in values.items():
            if step == 0:
                trial.metrics.register(name, "min" if name.endswith("loss") else "max")
            trial.metrics.update(name, value, step=step)
    trial.best_step, trial.status = best_step, "COMPLETED"
    return trial


def test_the_divergence_rule():
    # the reviewer's trial: learning rate 1e6, val_loss 19,288, val_roc_auc 0.500 (one score for every window)
    blown = _trial([{"loss": 8e4, "val_loss": 19288.7, "val_roc_auc": 0.5, "val_pr_auc": 0.094}])
    assert divergence(blown, 2) == "validation loss 19,289, over 10 x 0.693, the loss of guessing every class alike"
    assert "NaN or infinite" in divergence(_trial([{"loss": 0.6, "val_loss": 0.5}, {"loss": float("nan")}]), 2)
    constant = _trial([{"loss": 0.9, "val_loss": 2.1, "val_roc_auc": 0.5}])  # one score, worse than a guess
    assert divergence(constant, 2).startswith("validation ROC-AUC 0.500")
    # a weak model that learnt little (near-constant scores, loss below a guess's) is ranked, not flagged
    assert divergence(_trial([{"loss": 0.4, "val_loss": 0.33, "val_roc_auc": 0.5}]), 2) is None
    assert divergence(_trial([{"loss": 0.4, "val_loss": 0.45, "val_roc_auc": 0.71}]), 2) is None
    # an overfit model's later epochs: the epoch the score comes from is judged
    assert divergence(_trial([{"val_loss": 0.4}, {"val_loss": 9.0}], best_step=0), 2) is None
    assert divergence(_trial([{"val_loss": 12.0}]), 5) is None  # 10 x ln 5 = 16.1


@pytest.mark.slow
def test_a_diverged_trial_is_flagged_and_never_chosen(tmp_path, tiny_demo_dir, capsys):
    """val_accuracy as the objective: the diverged trial's constant output scores the
    majority's share, above a trial that learnt; it was chosen as the best configuration."""
    f = write_search(
        tmp_path / "s.yaml", tiny_demo_dir, tuner="random", max_trials=2, epochs=1, objective="val_accuracy",
        space={"train.learning_rate": {"type": "choice", "values": [1.0e6, 1.0e-3]}},
    )  # fmt: skip
    result = run_search(f, out=tmp_path / "search", verbose=1, run_best=False)
    trials = pd.read_csv(tmp_path / "search" / "trials.csv")
    assert len(trials) == 2
    blown = trials[trials["train.learning_rate"] == 1e6].iloc[0]
    assert blown["status"] == "DIVERGED" and blown["message"].startswith("diverged: ")
    assert result["best_values"] == {"train.learning_rate": 1e-3}
    said = capsys.readouterr().out
    assert "train.learning_rate 1e+06 -> diverged (" in said and "not ranked" in said
    shown = search_trials(tmp_path / "search")
    assert shown.iloc[-1]["status"] == "DIVERGED"  # ranked last, whatever its score
    assert set(shown["train.learning_rate"]) == {"1e+06", "0.001"}  # not 1,000,000.00000 beside 0.00100
    assert "1 trial diverged" in record_sentence(tmp_path / "search")


@pytest.mark.slow
def test_a_search_cut_short_by_its_time_budget_says_so(tmp_path, tiny_demo_dir):
    f = write_search(
        tmp_path / "s.yaml", tiny_demo_dir, tuner="random", max_trials=3, epochs=1,
        space={"model.units": {"type": "choice", "values": [[4], [8], [12]]}},
    )  # fmt: skip
    run_search(f, out=tmp_path / "search", verbose=0, run_best=False, max_minutes=1e-4)
    record = json.loads((tmp_path / "search" / RECORD).read_text())
    assert {k: record[k] for k in ("planned", "ran", "short", "minutes")} == {
        "planned": 3, "ran": 1, "short": "minutes", "minutes": 1e-4,
    }  # fmt: skip
    assert record_sentence(tmp_path / "search") == "1 of 3 planned trials ran: the --minutes budget (0.0 s) was spent."
    assert trials_count(tmp_path / "search", 1) == "1 of 3 planned trials (--minutes budget spent)"
    run_search(f, out=tmp_path / "search", verbose=0, run_best=False)  # resumed without a budget: all ran
    assert record_sentence(tmp_path / "search") == "" and trials_count(tmp_path / "search", 3) == "3 trials"


@pytest.mark.slow
def test_a_searchs_best_run_says_where_it_came_from_and_resumes_through_the_search(tmp_path, tiny_demo_dir):
    """The best run's report named no search; a Ctrl-C in it said to resume the lone run (which
    writes none of the search's pages); a run left by an earlier pass was not told apart."""
    from lstm_helpers.runs.pipeline import resume_command
    from lstm_helpers.runs.report import _answer_html

    f = write_search(
        tmp_path / "s.yaml", tiny_demo_dir, tuner="random", max_trials=2, epochs=1,
        space={"train.learning_rate": {"type": "choice", "values": [1.0e6, 1.0e-3]}},
    )  # fmt: skip
    result = run_search(f, out=tmp_path / "search", verbose=0)
    page = html.unescape(result["comparison_html"].read_text())
    assert "1 trial diverged (see the status and message columns) and is ranked last" in page
    assert "Left out for a sweep" not in page  # a note to the notebook's authors, not to readers
    run = result["best_run"]
    said = html.unescape(_answer_html(run))
    assert "This run is the best configuration of the search search: trial " in said
    assert "chosen by val_pr_auc = " in said and "on the validation split" in said
    assert resume_command(run) == f"lstm-workbench search {f} --out {tmp_path / 'search'}"
    # a resumed search that chose another configuration: the earlier best run is kept and labelled
    record_file = tmp_path / "search" / RECORD
    record = json.loads(record_file.read_text())
    record["best"]["fingerprint"] = "another"
    record_file.write_text(json.dumps(record))
    assert "an earlier pass of the search search" in html.unescape(_answer_html(run))
    assert f"also keeps 1 earlier best run ({run.name})" in record_sentence(tmp_path / "search")
