"""A sweep deck's "What was tried" slide: its runs best first by the validation metric that
ranks, cut to what fits a 1280x720 slide (the cut said), settings written as the run names write
them, columns that fit without scrolling (checked in headless Chromium where it is installed)."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from test_ranking import _set_figures, fake_runs  # noqa: F401 (fake_runs: a fixture)
from test_sweeps import write_sweep

from lstm_helpers.experiments import compare, runner
from lstm_helpers.runs.slides import write_slides

CONV = [
    [],
    [{"filters": 32, "kernel_size": 5, "pool": 1}],
    [{"filters": 32, "kernel_size": 5, "pool": 1} for _ in "ab"],
]


@pytest.fixture
def twelve_runs(tmp_path, fake_runs):  # noqa: F811
    """A 12-run architecture sweep (units x bidirectional x conv), its best run last in grid order."""
    grid = {"model.units": [[16], [64, 64]], "model.bidirectional": [False, True], "model.conv": CONV}
    f = write_sweep(tmp_path / "arch.yaml", tmp_path / "data", grid=grid, seeds=[1])
    out = tmp_path / "sweep"
    runner.run_sweep(f, out=out, html=False, progress=False)
    scores = [0.50 + k / 100 for k in range(12)]  # validation rises along the grid: the best is the 12th
    runs = _set_figures(out, {"val.pr_auc": scores, "pr_auc": scores[::-1]})
    for k, run in enumerate(runs):  # architectures differ in size and pace: the slide shows both
        t = json.loads((run / "train.json").read_text())
        (run / "train.json").write_text(json.dumps(t | {"n_params": 1000 * (k + 1), "seconds_per_epoch_mean": k + 1.5}))
    compare.write_comparison(out, compare.collect_runs([out]), html_report=False)
    return out


def _tried(deck: str) -> str:
    return next(s for s in re.findall(r"<section>.*?</section>", deck, re.S) if "What was tried" in s)


def test_what_was_tried_ranks_by_validation_and_says_what_it_cut(twelve_runs):
    """It showed the first 10 runs in grid order (the best, 12th, left out) under a caption
    saying validation ranks them, ``model.conv`` as raw JSON."""
    slide = html.unescape(_tried(write_slides(twelve_runs).read_text()))
    rows = re.findall(r"<tr>.*?</tr>", slide, re.S)[1:]
    assert (
        len(rows) == 10
        and "2 more runs, and each run's fit time, test balanced accuracy and test PR-AUC: see comparison.html."
        in slide
    )
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>.*?</td>", rows[0], re.S)]
    assert cells[:4] == ["64-64", "true", "32x5-32x5", "0.610"], cells  # the 12th run, first
    assert "filters" not in slide and "[16]" not in slide  # settings as the run names write them
    assert ">units<" in slide and ">conv<" in slide and ">s/epoch<" in slide


CHROMIUM = os.environ.get("LSTM_WORKBENCH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.slow
@pytest.mark.parametrize(
    "reference", [None, "pytorch lstm_lay1_sz256=accuracy:0.797,seconds_per_epoch:154,note:theirs"]
)
def test_what_was_tried_fits_a_1280x720_slide(twelve_runs, reference):
    """Its table scrolled sideways: "s/epoch incl. checkpoint" and "fit time" off the slide
    (and out of a PDF); a reference's long name widened its first column."""
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (dev extra)")
    if reference:
        extra = compare.parse_references([reference])
        compare.write_comparison(twelve_runs, compare.collect_runs([twelve_runs]), html_report=False, references=extra)
    deck = write_slides(twelve_runs)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
        page.goto(deck.as_uri() + "#/1")
        page.wait_for_timeout(500)
        box = page.evaluate(
            """() => { const s = document.querySelector('section.present'), t = s.querySelector('.lw-table');
            const r = s.getBoundingClientRect(), last = t.querySelector('th:last-child').getBoundingClientRect();
            return {title: s.querySelector('h2').textContent, scroll: t.scrollWidth - t.clientWidth,
                    right: last.right, bottom: r.top + s.scrollHeight}; }"""
        )
        browser.close()
    assert box["title"] == "What was tried"
    assert box["scroll"] <= 1 and box["right"] <= 1280 and box["bottom"] <= 720, box


@pytest.mark.parametrize("stem, title", [("sweep", "Sweep"), ("charsweep", "charsweep"), ("s", "Sweep s")])
def test_a_sweep_file_named_sweep_is_not_titled_sweep_sweep(tmp_path, stem, title):
    """The page and the deck of ``sweep.yaml`` were headed "Sweep sweep"."""
    from lstm_helpers.experiments import plan

    f = write_sweep(tmp_path / f"{stem}.yaml", tmp_path / "data", grid={"model.units": [[8], [16]]})
    assert plan.plan_sweep(f).title == title
