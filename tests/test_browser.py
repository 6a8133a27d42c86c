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
    for col in ("test precision", "test recall"):
        box = page.locator(f"th:text-is('{col}')").bounding_box()
        assert box is not None and box["x"] + box["width"] <= VIEW["width"], col
    page.close()


def _classes_run(root: Path, classes: list[str]) -> Path:
    """A finished run of ``len(classes)`` classes without a class of interest, as the report reads
    it: metrics.json, a PR figure of the size evaluation saves (6 x 5 in at 150 dpi), a report."""
    import json

    from PIL import Image

    from lstm_helpers.layout import RunLayout
    from lstm_helpers.runs.report import export_report

    run = root / f"k{len(classes)}"
    lay = RunLayout(run)
    (run / "figures").mkdir(parents=True)
    lay.params.write_text(yaml.safe_dump({"data": {"path": str(root)}}))
    lay.status.write_text(json.dumps({"status": "finished"}))
    k = len(classes)
    cm = [[1770 if i == j else 23 * ((i + j) % 3) for j in range(k)] for i in range(k)]
    lay.metrics.write_text(json.dumps({
        "accuracy": 0.9, "majority_baseline_accuracy": 0.4, "balanced_accuracy": 0.85, "mcc": 0.8, "pr_auc": 0.8,
        "positive_class": None, "classes": classes, "confusion_matrix": cm, "majority_class": classes[0],
    }))  # fmt: skip
    Image.new("RGB", (871, 721), "white").save(lay.figure("pr_curve"))
    Image.new("RGB", (1948, 961), "white").save(lay.figure("confusion_matrix"))
    export_report(run)
    return run


@pytest.mark.parametrize("k", [2, 3, 5, 8])
def test_the_confusion_matrix_and_the_pr_curve_share_the_first_screen(k, browser, tmp_path):
    """Up to 8 classes the confusion matrix (a table, its numbers readable) and the PR curve (at a
    width where its legend reads) both lie whole on the first 1280x720 screen: with 5 classes the
    table ran 950 px wide and below the screen, the curve squeezed to 230 px."""
    names = ["forage", "play", "rest", "run", "walk", "groom", "play_wrestle", "sleeping_upright"]
    page, problems = _open(
        browser, _classes_run(tmp_path, (["other", "play"] if k == 2 else names)[:k]) / "report.html"
    )
    assert problems == []
    table, pr = page.locator("table.lw-cm").bounding_box(), page.locator("img.lw-pr").bounding_box()
    for box in (table, pr):
        assert (
            box is not None and box["y"] + box["height"] <= VIEW["height"] and box["x"] + box["width"] <= VIEW["width"]
        )
    assert table["x"] + table["width"] <= pr["x"], (table, pr)  # side by side
    assert pr["width"] >= 480, pr
    assert page.evaluate(
        "document.querySelector('.lw-cm-box').scrollWidth <= document.querySelector('.lw-cm-box').clientWidth"
    )
    size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('table.lw-cm td b')).fontSize)")
    assert size >= 18, size
    page.close()


def test_the_first_screen_of_many_classes_stays_whole(browser, tmp_path):
    """25 classes: the confusion figure and the PR curve stay on the page, none wider than it."""
    page, problems = _open(browser, _classes_run(tmp_path, [f"behaviour_{i}" for i in range(25)]) / "report.html")
    assert problems == []
    assert page.locator("table.lw-cm").count() == 0 and page.locator(".lw-hero img").count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEW["width"]
    for i in range(2):
        box = page.locator(".lw-hero img").nth(i).bounding_box()
        assert box is not None and box["width"] >= 400 and box["x"] + box["width"] <= VIEW["width"], box
    page.close()


def test_printed_lines_wrap_between_words_and_every_collapsed_log_reads_alike(browser, tmp_path):
    """The budget line the training stage prints wrapped mid-word ("(se t)", "trai ning"): the
    lab template breaks anywhere in a <pre>; and "Warnings (1 line)" took the 20 px of the
    report's red status line, the class its <details> shared."""
    import nbformat

    from lstm_helpers.runs.report import _presentable, export_html

    budget = "2,052 training windows: batch 128 (set) " * 8 + "a threshold is chosen after training"
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=budget + "\n"),
        nbformat.v4.new_output("stream", name="stderr", text="UserWarning: only 51 updates\n"),
        nbformat.v4.new_output("stream", name="stdout", text="".join(f"epoch {i}/9 loss 0.5\n" for i in range(1, 10))),
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [_presentable(cell, tmp_path, [])]
    page, problems = _open(browser, export_html(nb, tmp_path / "page.html", "t"))
    assert problems == []
    pre = page.locator("pre", has_text="(set)").first
    assert pre.evaluate("e => getComputedStyle(e).wordBreak") == "normal"
    words = page.evaluate(  # each word of the wrapped line on one line: its box one line high
        """() => { const pre = Array.from(document.querySelectorAll('pre')).find(p => p.textContent.includes('(set)'));
        const node = pre.firstChild, range = document.createRange(), text = node.textContent.trimEnd();
        const bad = []; let at = 0;
        for (const w of text.split(' ')) { range.setStart(node, at); range.setEnd(node, at + w.length);
          if (w && range.getClientRects().length > 1) bad.push(w); at += w.length + 1; }
        return {bad, lines: pre.getClientRects()[0].height}; }"""
    )
    assert words["bad"] == [] and words["lines"] > 20, words  # it wraps, but between words
    sizes = page.evaluate("Array.from(document.querySelectorAll('summary')).map(s => getComputedStyle(s).fontSize)")
    assert len(sizes) == 2 and len(set(sizes)) == 1 and float(sizes[0][:-2]) <= 16, sizes
    page.close()


def test_wide_tables_fit_or_say_they_scroll(browser, tmp_path):
    """A sweep's before / after table (4 variants, 3 changes, a reference) fits 1280 px, its
    reference column in sight; a table that cannot fit (a search's ~150-character run name and
    30 columns) scrolls inside its own box, says so above it and shades its right edge, the
    name wrapped, the page itself no wider than the screen. Both were cut off at the right."""
    import nbformat

    from lstm_helpers.experiments.html_tables import table_html
    from lstm_helpers.runs.report import _html_cell, export_html

    variants = ["slow-4layer", "fast-2layer", "conv-bigru", "cnn-only"]
    cols = [*variants, *(f"change ({v} − slow-4layer)" for v in variants[1:])]
    cols.append("CNN (earlier notebook) (reference, not run here)")
    measures = ["n_params", "seconds_per_epoch", "val_balanced_accuracy", "test_balanced_accuracy"]
    before_after = pd.DataFrame([[m, *(["-365,056"] * len(cols))] for m in measures], columns=["measure", *cols])
    name = "bilstm_cv2-64x5p2-64x5p2_lay2_sz64-32_d32_best_dropout-0.2_optimizer-adam_learning_rate-0.00597773_method-smote_jitter_sigma-0.05_seed42_225fe01f9042"  # fmt: skip
    runs = pd.DataFrame([{"run": name, **{f"test_metric_number_{i}": 0.5 + i / 100 for i in range(30)}}])
    nb = nbformat.v4.new_notebook()
    nb.cells = [_html_cell(table_html(before_after, sortable=False)), _html_cell(table_html(runs))]
    page, problems = _open(browser, export_html(nb, tmp_path / "page.html", "t"))
    assert problems == []
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEW["width"]
    fits, wide = page.locator(".lw-wide").nth(0), page.locator(".lw-wide").nth(1)
    ref = page.locator("th", has_text="CNN (earlier notebook)").bounding_box()
    assert ref is not None and ref["x"] + ref["width"] <= VIEW["width"], ref
    assert "lw-overflows" not in fits.get_attribute("class") and not fits.locator(".lw-scroll-note").is_visible()
    assert "lw-overflows" in wide.get_attribute("class") and wide.locator(".lw-scroll-note").is_visible()
    shade = wide.evaluate("e => getComputedStyle(e, '::after').backgroundImage")
    assert "gradient" in shade, shade
    cell = page.locator("td", has_text="225fe01f9042").bounding_box()
    assert cell is not None and cell["width"] <= 260 and cell["height"] > 30, cell  # wrapped, not one 1000-px line
    page.close()
