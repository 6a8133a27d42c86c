"""Comparisons of runs of several origins, on real tiny runs: a sweep with two seeds (each seed
draws its own validation animals) and a search at seed 42 (on the tiny demo, the animals seed 6
draws too: what splits runs is the animals, read from prepare.json, not the seed). Runs
validated on different recordings are never ranked against each other; a search's shared
``prepared/`` folder is no run; two sweeps that hold the same runs label them apart;
reports/index.html gives each group's best figures; a ranking's head wraps before a metric's
name, never inside it."""

from __future__ import annotations

import json
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
