"""How a comparison ranks its runs: by the runs' shared ``train.monitor`` where the comparison
carries it, ties broken by the validation log loss and a tie that remains said in words; never
by a test figure. The runs stand in for real ones (:func:`test_sweeps.fake_run`: what a
finished run leaves), their validation figures then set here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_sweeps import fake_run, write_sweep

from lstm_helpers.experiments import compare, dask_runs, display, runner


@pytest.fixture
def fake_runs(monkeypatch):
    def fake(params, run_dir, threads=None, kernel=None, prefit=False):
        return fake_run(params, run_dir, threads)

    monkeypatch.setattr(dask_runs, "run_in_subprocess", fake)
    monkeypatch.setattr(runner, "execute_run", fake)


def _sweep(tmp_path: Path, units: list, **set_) -> Path:
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"model.units": units}, seeds=[1], set=set_)
    out = tmp_path / "sweep"
    runner.run_sweep(f, out=out, html=False, progress=False)
    return out


def _set_figures(out: Path, figures: dict[str, list]) -> list[Path]:
    """Each run's metrics.json (in the sweep's order) with its ``val`` / test figures replaced."""
    runs = [Path(r["run_dir"]) for r in compare.collect_runs([out])]
    for k, run in enumerate(runs):
        m = json.loads((run / "metrics.json").read_text())
        for name, values in figures.items():
            split, _, figure = name.rpartition(".")
            (m["val"] if split == "val" else m)[figure] = values[k]
        (run / "metrics.json").write_text(json.dumps(m))
    return runs


def test_the_runs_shared_train_monitor_ranks_and_the_page_says_so(tmp_path, fake_runs):
    """A sweep whose runs all set ``train.monitor: val_accuracy`` was ranked by val_pr_auc, a
    metric none of its runs chose its epochs by."""
    out = _sweep(tmp_path, [[8], [16]], **{"train.monitor": "val_accuracy"})
    runs = _set_figures(out, {"val.accuracy": [0.9, 0.6], "val.pr_auc": [0.5, 0.8], "accuracy": [0.1, 0.99]})
    c = display.open_comparison("", [out])
    assert c.rank_by == "val_accuracy" and c.meta["ranked_by_monitor"]
    assert c.best()["run_dir"] == str(runs[0])  # the best on val_accuracy, the worst on test accuracy
    head = display.headline(c).data
    assert "Runs are ranked by <b>val_accuracy</b>" in head and "<code>train.monitor</code> every run chose" in head
    # runs that set different monitors share none: the default ranks, as before
    other = _sweep(tmp_path / "b", [[8], [16]], **{"train.monitor": "val_loss"})
    c = display.open_comparison("", [other])
    assert c.rank_by == "val_pr_auc" and not c.meta["ranked_by_monitor"]
    assert "val_loss, is no column of this comparison" in display.headline(c).data


def test_a_tie_is_broken_by_the_validation_log_loss_and_said(tmp_path, fake_runs):
    """Three runs at one val_accuracy: the page named the first "Best by validation" (idxmax)."""
    out = _sweep(tmp_path, [[8], [16], [4]], **{"train.monitor": "val_accuracy"})
    # the tie-break's best is the last run; the test log loss runs the other way
    runs = _set_figures(out, {"val.log_loss": [3.3128, 3.2575, 3.2558], "log_loss": [1.0, 2.0, 9.0]})
    c = display.open_comparison("", [out])
    assert c.best()["run_dir"] == str(runs[2])
    text = display.answer_sentence(c)
    assert "3 runs tie at val_accuracy = " in text and "the lower validation log loss (val_log_loss) breaks" in text
    assert "units=4 (3.256; next units=16, 3.257)" in text  # the digits that tell them apart
    ranked = display.ranking(c).data
    assert "val_<wbr>log_loss" in ranked  # the tie-break is shown beside the metric it breaks


def test_a_tie_nothing_breaks_names_no_run_best(tmp_path, fake_runs):
    out = _sweep(tmp_path, [[8], [16], [4]], **{"train.monitor": "val_accuracy"})
    _set_figures(out, {"val.log_loss": [3.3, 3.3, 3.3], "accuracy": [0.1, 0.9, 0.5]})
    c = display.open_comparison("", [out])
    text = display.answer_sentence(c)
    assert "3 runs tie at val_accuracy = " in text and "None is named best" in text
    assert "Best by validation" not in text and "Shown for the tie" in text
    assert c.best()["run_dir"] == str(Path(c.finished["run_dir"].iloc[0]))  # the table's order, not the test's best
    # the deck says it too: the first of the tie, not "Best by validation"
    from lstm_helpers.runs.slides import write_slides

    compare.write_comparison(out, compare.collect_runs([out]), html_report=False)
    deck = write_slides(out).read_text()
    assert "Tied on validation: the first of them" in deck and "Best by validation" not in deck
    assert "3 runs tie at val_accuracy" in deck and "first of the runs that tie on validation" in deck


def test_some_runs_of_a_sweep_are_not_headed_by_its_title_and_description(tmp_path, fake_runs):
    """``compare`` of 2 of a sweep's 3 runs carried the sweep's description as if it were the sweep."""
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"model.units": [[8], [16], [4]]}, description="sizes")
    out = tmp_path / "sweep"
    runner.run_sweep(f, out=out, html=False, progress=False)
    runs = [r["run_dir"] for r in compare.collect_runs([out])]
    whole = compare.comparison_table(compare.collect_runs([out]))[1]
    assert (whole["title"], whole["description"]) == ("Sweep s", "sizes")
    some = compare.comparison_table(compare.collect_runs(runs[:2]))[1]
    assert some["title"] is None and some["description"] is None
    assert compare.comparison_table(compare.collect_runs(runs))[1]["description"] == "sizes"  # all 3, one by one


def test_the_baseline_sentence_names_a_threshold_only_where_the_run_has_one(tmp_path, fake_runs):
    """An argmax multi-class run has no threshold; the page said the baseline's was "chosen on
    the same validation split"."""
    out = _sweep(tmp_path, [[8], [16]])
    c = display.open_comparison(out)
    assert "its threshold chosen on the same validation split" in display.answer_sentence(c)
    c.table["threshold"] = float("nan")  # evaluate.multiclass_decision: argmax, as metrics.json records it
    text = display.answer_sentence(c)
    assert "deciding by the most probable class, as the run does" in text and "its threshold" not in text
