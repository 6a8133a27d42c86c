"""The report, the slides and the index of a tiny real run, opened in headless Chromium offline.

Playwright for Python drives Debian's ``/usr/bin/chromium`` (no browser download). Every
request that is not ``file:`` or ``data:`` is blocked and fails the test; so do console
errors, page errors, dialogs (a script injected through a class name would open one) and
images that did not load. At 1280x720 the headline and the first figure of the report must
be on the first screen. A class name and a recording id that are HTML
(``<img src=x onerror=...>``) must stay text on all three pages.

Without Chromium or Playwright the module is skipped with a one-line reason.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

CHROMIUM = os.environ.get("LSTM_WORKBENCH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).is_file():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (dev extra)")

pytestmark = pytest.mark.slow

HOSTILE_CLASS = "<img src=x onerror=alert(1)>"
HOSTILE_REC = "<b>rec</b><script>alert(2)</script>"
VIEW = {"width": 1280, "height": 720}


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """A tiny finished run whose class of interest and one recording id are HTML."""
    from conftest import ROOT, TINY

    from lstm_helpers.config import resolve_config
    from lstm_helpers.data.demo import write_demo_recordings
    from lstm_helpers.runs.pipeline import run_pipeline

    data = tmp_path_factory.mktemp("browser_demo")
    write_demo_recordings(data, seed=3, n_animals=6, minutes=1.0)
    first = sorted(data.glob("*.parquet"))[0]
    frame = pd.read_parquet(first)
    frame["recording_id"] = frame["recording_id"].where(
        frame["recording_id"] != frame["recording_id"].iloc[0], HOSTILE_REC
    )
    frame.to_parquet(first)
    raw = yaml.safe_load((ROOT / "configs" / "demo.yaml").read_text())
    raw["data"]["class_map"] = {k: HOSTILE_CLASS for k in raw["data"]["class_map"]}
    raw["data"]["classes_of_interest"] = [HOSTILE_CLASS]
    reports = tmp_path_factory.mktemp("browser_reports")
    cfg = resolve_config(
        raw,
        {
            **TINY,
            "data.path": str(data),
            "run.reports_dir": str(reports),
            "train.epochs": 2,
            "train.verbose": 1,
        },
    )
    return run_pipeline(cfg, quiet=True)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def _open(browser, path: Path, fragment: str = ""):
    """Open ``path`` offline; return the page and the list of problems seen while loading."""
    page = browser.new_page(viewport=VIEW)
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))

    def route(r):
        if r.request.url.startswith(("file:", "data:")):
            return r.continue_()
        problems.append(f"network request: {r.request.url}")
        return r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri() + fragment)
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    broken = page.evaluate(
        "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
        ".map(i => i.alt || i.src.slice(0, 40))"
    )
    problems += [f"image did not load: {b}" for b in broken]
    return page, problems


def _assert_text_not_markup(page) -> None:
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0, "a class name became an <img>"
    assert page.evaluate("Array.from(document.scripts).filter(s => s.text.includes('alert(')).length") == 0, (
        "a recording id became a <script>"
    )


def test_report_first_screen_offline(hostile_run, browser):
    report = hostile_run / "report.html"
    page, problems = _open(browser, report)
    assert problems == []
    head = page.locator(".lw-headline").bounding_box()
    fig = page.locator("img").first.bounding_box()
    assert head is not None and head["y"] + head["height"] <= VIEW["height"]
    assert fig is not None and fig["y"] + fig["height"] <= VIEW["height"], fig
    assert HOSTILE_CLASS in page.locator(".lw-headline").inner_text()  # shown as text
    _assert_text_not_markup(page)
    text = page.evaluate("document.body.innerText")
    assert str(hostile_run.parent) not in text and str(hostile_run.parent) not in report.read_text()
    assert "epoch 1/2" not in text  # the epoch log only inside a collapsed <details>
    assert "epoch 1/2" in report.read_text()
    page.close()


def test_slides_offline(hostile_run, browser):
    slides = hostile_run / "slides.html"
    page, problems = _open(browser, slides)
    assert problems == []
    assert page.evaluate("Reveal.isReady()") and page.evaluate("Reveal.getTotalSlides()") >= 5
    for i in range(page.evaluate("Reveal.getTotalSlides()")):
        page.evaluate(f"Reveal.slide({i})")
        box = page.locator(".reveal .slides section.present h2").bounding_box()
        assert box is not None and box["y"] >= 0, i
    _assert_text_not_markup(page)
    page.close()


def test_index_offline(hostile_run, browser):
    index = hostile_run.parent / "index.html"
    page, problems = _open(browser, index)
    assert problems == []
    assert page.locator(f"a[href='{hostile_run.name}/report.html']").count() == 1
    assert HOSTILE_CLASS in page.evaluate("document.body.innerText")
    _assert_text_not_markup(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEW["width"], f"index is {width} px wide"
    for col in ("precision", "recall"):
        box = page.locator(f"th:text-is('{col}')").bounding_box()
        assert box is not None and box["x"] + box["width"] <= VIEW["width"], col
    page.close()
