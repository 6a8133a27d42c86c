"""Comparisons of runs of several origins, on real tiny runs: a sweep with two seeds (each seed
draws its own validation animals) and a search at seed 42 (on the tiny demo, the animals seed 6
draws too: what splits runs is the animals, read from prepare.json, not the seed). Runs
validated on different recordings are never ranked against each other; a search's shared
``prepared/`` folder is no run; two sweeps that hold the same runs label them apart;
reports/index.html gives each group's best figures; a ranking's head wraps before a metric's
name, never inside it."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from test_search import write_search
from test_sweeps import write_sweep

from lstm_helpers.experiments import compare, display, runner
from lstm_helpers.experiments.labels import run_labels
from lstm_helpers.experiments.search import run_search
from lstm_helpers.runs.index_page import write_index


@pytest.fixture(scope="module")
def groups(tmp_path_factory, tiny_demo_dir) -> dict[str, Path]:
    """``reports/`` with a real sweep (units 4 / 8 x seeds 1, 6: two validation splits, each
    configuration on both) and a real one-trial search at seed 42 (seed 6's validation animals)."""
    root = tmp_path_factory.mktemp("origins")
    f = write_sweep(root / "s.yaml", tiny_demo_dir, grid={"model.units": [[4], [8]]}, seeds=[1, 6])
    sweep = root / "reports" / "sweeps" / "sw"
    runner.run_sweep(f, out=sweep, progress=False, html=False)
    rate = {
        "train.learning_rate": {"type": "float", "min": 1e-3, "max": 1e-2, "log": True}
    }  # a configuration of its own
    f = write_search(
        root / "q.yaml", tiny_demo_dir, tuner="random", max_trials=1, epochs=1, set={"seed": 42}, space=rate
    )
    search = root / "reports" / "search" / "se"
    run_search(f, out=search, verbose=0)
    return {"root": root / "reports", "sweep": sweep, "search": search}


def _val_animals(run: Path) -> list[str]:
    return json.loads((run / "prepare.json").read_text())["groups"]["val"]


def _comparison(dirs: list[Path]) -> display.Comparison:
    table, meta = compare.comparison_table(compare.collect_runs(dirs))
    return display.Comparison(table, meta, None)


def test_runs_validated_on_other_animals_are_never_ranked_against_each_other(groups):
    """``compare <sweep at seed 1> <search at seed 42>`` named the search's run "Best by
    validation": 0.773 on its animals against 0.665 on the sweep's."""
    c = _comparison([groups["sweep"], groups["search"]])
    animals = {str(s): _val_animals(Path(d)) for s, d in zip(c.table["seed"], c.table["run_dir"], strict=True)}
    assert set(animals) == {"1", "6", "42"} and animals["6"] == animals["42"] != animals["1"]  # two splits
    assert c.splits == ["split A", "split B"] and c.best() is None
    assert list(c.table.loc[c.table["seed"] == 42, "split"]) == ["split B"]  # ranked with seed 6's runs
    text = display.answer_sentence(c)
    assert "These runs are validated on different recordings" in text
    assert "no run is named best across splits" in text and ", ".join(animals["42"]) in text
    # units 4 and 8 ran on both splits: ranked by their means; the search's configuration within split B only
    assert "2 configurations ran on all 2 splits" in text and "Best configuration by mean val_pr_auc" in text
    assert "#c0392b" in text  # a run that only one split has: the box warns
    assert text.count("Best by validation") == 2  # then one best run per split, none across them
    assert "within each validation split" in display.headline(c).data
    ranking = display.ranking(c).data
    assert "<h4>Validation split A</h4>" in ranking and "<h4>Validation split B</h4>" in ranking
    assert "Configurations run on all 2 validation splits, by their mean val_pr_auc</h4>" in ranking
    assert "<p><i>The runs differ in validation recordings" in display.plot_quality_vs_time(c).data
    # seeds are whole numbers in the table of all runs, never 1.000
    runs = display.runs_table(c).data
    assert re.search(r'data-v="42\.0">42<', runs) and "42.000" not in runs


def test_a_seed_sweep_ranks_its_configurations_by_their_means_over_the_splits(groups):
    """A sweep with ``seeds: [1, 6]``: each seed validates on other animals, so the best
    configuration is the one with the best mean over both splits, not the luckiest run."""
    c = _comparison([groups["sweep"]])
    assert c.splits == ["seed 1", "seed 6"] and c.best() is None
    fin = c.finished
    means = fin.groupby("model_name")[["val_pr_auc", "val_log_loss"]].mean()  # a units grid: labelled by model
    best = means.sort_values(["val_pr_auc", "val_log_loss"], ascending=[False, True]).index[0]
    text = display.answer_sentence(c)
    assert "(the seed draws which recordings validate)" in text and "Every configuration ran on all 2 splits" in text
    assert "#c0392b" not in text and "#5b7aa6" in text  # seeds by design: a note, not the warning's red
    assert f"<code>{best}</code> (val_pr_auc {means.loc[best, 'val_pr_auc']:.3f} ± " in text
    # the seeds still pool per configuration (mean ± std), as before
    summary = display.seed_summary(c).data
    assert summary.count(" ± ") >= 2 and ">2<" in summary


def test_a_searchs_prepared_folder_is_no_run(groups):
    """The search's shared stage-01 folder was a run: "prepared | partial" in its index, "3 runs,
    2 finished, 1 not finished" in a comparison, "2 of 3 runs finished" in reports/index.html."""
    records = compare.collect_runs([groups["search"]])
    assert [Path(r["run_dir"]).name for r in records] != ["prepared"] and len(records) == 1
    out = compare.compare_runs([groups["sweep"], groups["search"]], out=groups["root"] / "comparisons" / "c")[0].parent
    table = (out / "comparison.csv").read_text()
    assert "prepared" not in table.splitlines()[-1] and len(table.strip().splitlines()) == 6
    assert display.answer_sentence(display.open_comparison(out)).startswith("5 runs, 5 finished.")
    index = write_index(groups["search"]).read_text()
    assert ">prepared<" not in index and "partial" not in index
    assert "5 of 5 runs finished" in (groups["root"] / "index.html").read_text()


def test_two_sweeps_of_the_same_runs_label_each_by_its_sweep(groups, tmp_path):
    """``compare tiny_pool tiny_dask`` (one sweep file run twice) printed two identical labels."""
    other = groups["sweep"].parent / "sw_again"
    if not other.exists():
        shutil.copytree(groups["sweep"], other)
    c = _comparison([groups["sweep"], other])
    labels = run_labels(c)
    assert labels.is_unique and len(labels) == 8
    assert sum(label.startswith("sw / ") for label in labels) == 4
    assert sum(label.startswith("sw_again / ") for label in labels) == 4


def test_the_reports_index_gives_each_groups_best_figures(groups):
    """reports/index.html listed sweeps and searches without a figure: their best run by
    validation now shows its validation and test figures, labelled; where no run is named best
    (other validation animals) the best configuration's means, or why there is none."""
    page = write_index(groups["root"]).read_text()
    assert "<th>best by validation (its test figure beside it)</th>" in page
    search = compare.read_comparison(groups["search"])[0].iloc[0]
    assert f"val_pr_auc {search['val_pr_auc']:.3f} · test_pr_auc {search['test_pr_auc']:.3f}" in page
    assert "best configuration, mean over 2 splits: val_pr_auc " in page  # the sweep of two seeds


def test_a_ranking_head_wraps_before_a_metric_name_never_inside_it(groups):
    """At 1280x720 the ranking's head read ``val_baseline_pr_`` / ``auc``: it now wraps before
    ``pr_auc``, which stays on one line (measured in headless Chromium)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (dev extra)")
    if not Path("/usr/bin/chromium").is_file():
        pytest.skip("no Chromium at /usr/bin/chromium")
    out = groups["root"] / "comparisons" / "heads"
    page_html = compare.compare_runs([groups["sweep"], groups["search"]], out=out)[1]  # the page as exported
    find = """() => [...document.querySelectorAll('th')].filter(th => th.textContent === 'val_baseline_pr_auc')
      .map(th => { const text = th.textContent, r = document.createRange(), walk = document.createTreeWalker(th, 4);
        let at = 0, start = null, end = null, node; const from = text.lastIndexOf('pr_auc'), to = from + 6;
        while ((node = walk.nextNode())) { const n = node.length;
          if (start === null && at + n > from) start = [node, from - at];
          if (end === null && at + n >= to) end = [node, to - at]; at += n; }
        r.setStart(...start); r.setEnd(...end);
        return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; })"""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(page_html.as_uri())
        heads = page.evaluate(find)
        browser.close()
    assert heads and all(lines == 1 for lines in heads), heads  # "pr_auc" on one line in every head


def test_a_seed_sweeps_deck_shows_the_best_configurations_median_run(groups):
    """The deck named the luckiest run "Best by validation"; with no run best across splits it
    would have shown none: it shows the best configuration's median run, and says so."""
    from lstm_helpers.runs.slides import write_slides

    c = _comparison([groups["sweep"]])
    runs = c.finished[c.finished["model_name"] == c.finished.groupby("model_name")["val_pr_auc"].mean().idxmax()]
    median = runs.sort_values("val_pr_auc").iloc[0]  # of two runs, the lower
    deck = write_slides(groups["sweep"]).read_text()
    assert "Best configuration over the validation splits: its median run" in deck and "Best by validation<" not in deck
    assert f"from the run “{median['model_name']} · seed {median['seed']}”, the median run of the best" in deck
    assert "shown, its median run by validation." in deck
