"""The comparison page links each run's name to the run's own report (review B, session 36): a
sweep's index.html linked its runs, but comparison.html, the page a user opens after a sweep or
``compare``, named them with no link. Links are relative to the page's folder, so a sweep folder
moved or copied with its runs keeps them, and runs compared from elsewhere are reached by ``../``;
a run without a report keeps its plain name. The runs stand in for real ones
(:func:`test_sweeps.fake_run`)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import unquote

import pytest
from test_sweeps import fake_run, write_sweep

from lstm_helpers.experiments import compare, dask_runs, display, runner
from lstm_helpers.experiments.run_links import link_first_cells, run_page_href


@pytest.fixture
def sweep(tmp_path, monkeypatch) -> Path:
    """A sweep of three runs (units 8, 16 and a failed one) with its comparison.csv; the first two
    have report.html, the failed one slides.html only."""

    def fake(params, run_dir, threads=None, kernel=None, prefit=False):
        return fake_run(params, run_dir, threads)

    monkeypatch.setattr(dask_runs, "run_in_subprocess", fake)
    monkeypatch.setattr(runner, "execute_run", fake)
    grid = {"model.units": [[8], [16]], "evaluate.timeline_recording": [None, "nope"]}  # "nope": the run fails
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid=grid, seeds=[1])
    out = tmp_path / "reports" / "sweeps" / "sw"
    runner.run_sweep(f, out=out, html=False, progress=False)
    for r in compare.collect_runs([out]):
        run = Path(r["run_dir"])
        failed = "failed" in (run / "status.json").read_text()
        (run / ("slides.html" if failed else "report.html")).write_text("<html></html>")
    return out


def _page(c: display.Comparison) -> str:
    """What the page shows of the runs: the answer, the ranking, the table of all runs, the runs that did not finish."""
    return display.headline(c).data + display.ranking(c).data + display.runs_table(c).data + display.failed_runs(c).data


def _links(page: str) -> list[str]:
    return [unquote(h) for h in re.findall(r'<a href="([^"#]+)"', page)]


def test_every_run_name_on_the_comparison_page_links_its_report_relative_to_the_page(sweep, tmp_path, monkeypatch):
    monkeypatch.chdir(sweep)  # notebook 04 runs in the folder of comparison.html (render_comparison)
    c = display.open_comparison(".")
    page = _page(c)
    links = _links(page)
    runs = {Path(d).name for d in c.table["run_dir"]}
    assert len(runs) == 4
    # the best run in the answer, each finished run in the ranking and the table of all runs, the failed ones below
    assert {Path(h).parent.name for h in links} == runs, links
    assert all((sweep / h).is_file() for h in links), links  # relative to comparison.html's folder
    assert all(h.endswith("/report.html") or h.endswith("/slides.html") for h in links)
    assert not any(h.startswith("/") or "://" in h for h in links)  # no absolute path of this machine
    assert re.search(r"<code><a href=\"[^\"]+/report.html\"[^>]*>[^<]+</a></code> \(val_pr_auc", page)  # the best
    # a sweep folder moved (or tarred) with its runs: the page's links still lead to them
    moved = tmp_path / "elsewhere" / "sw-copy"
    shutil.copytree(sweep, moved)
    monkeypatch.chdir(moved)
    shutil.rmtree(sweep)
    again = _links(_page(display.open_comparison(".")))
    assert again == links and all((moved / h).is_file() for h in again)


def test_runs_compared_from_elsewhere_link_by_a_relative_path_and_only_where_a_report_exists(
    sweep, tmp_path, monkeypatch
):
    out = tmp_path / "reports" / "comparisons" / "cmp"
    records = compare.collect_runs([sweep])
    compare.write_comparison(out, records, html_report=False)
    monkeypatch.chdir(out)
    links = _links(_page(display.open_comparison(".")))
    assert links and all(h.startswith("../../sweeps/sw/") and (out / h).is_file() for h in links), links
    for r in records:  # a run without any page keeps its plain name
        for page in ("report.html", "slides.html"):
            (Path(r["run_dir"]) / page).unlink(missing_ok=True)
    page = _page(display.open_comparison("."))
    assert not _links(page) and "<a href" not in page.replace('href="#', "")


def test_a_link_is_percent_encoded_and_a_table_of_other_rows_is_left_alone(tmp_path):
    run = tmp_path / "run #1 50%"
    run.mkdir()
    (run / "report.html").write_text("")
    assert run_page_href(run, tmp_path) == "run%20%231%2050%25/report.html"
    assert run_page_href(None, tmp_path) is None and run_page_href(float("nan"), tmp_path) is None
    table = "<table><tbody><tr><td>a</td><td>1</td></tr><tr><td>b</td><td>2</td></tr></tbody></table>"
    assert link_first_cells(table, ["x/report.html"]) == table  # two rows, one link: nothing linked to a wrong run
    linked = link_first_cells(table, [None, "x/report.html"])
    assert "<td>a</td>" in linked and '<td><a href="x/report.html"' in linked and ">b</a></td><td>2</td>" in linked
