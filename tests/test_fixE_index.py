"""reports/index.html with a binary run and a character run listed, opened at 1280x720 in headless
Chromium: no sideways scroll (four model columns and a nowrap "(macro)" once pushed it past the
page), and the page says why a binary run's known test accuracy shows as "–"."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from test_presentation import _fake_run

from lstm_helpers.runs.index_page import write_index

CHROMIUM = os.environ.get("LSTM_WORKBENCH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
VIEW = {"width": 1280, "height": 720}
MODEL = "bilstm_cv2-64x5p2-64x5p2_lay2_sz64-32_d32"


def _index(tmp_path: Path) -> Path:
    """An index listing binary runs (one named by its long model name) and a character run."""
    for name in (f"20261204-213449_{MODEL}_reevaluated", "rv8_nq", "prep-75"):
        run = _fake_run(tmp_path, name, "finished", accuracy=0.973)
        lay_train = run / "train.json"
        lay_train.write_text(lay_train.read_text().replace("lstm_lay1_sz8", MODEL))
    char = _fake_run(
        tmp_path,
        "rv8_char",
        "finished",
        pos=None,
        positive_class=None,
        classes=[chr(c) for c in range(32, 92)],
        accuracy=0.176,
        majority_baseline_accuracy=0.176,
        top_k=5,
        top_k_accuracy=0.42,
        top_k_baseline_accuracy=0.45,
        pr_auc=0.045,
        per_class={},
        bouts={},
    )
    (char / "train.json").write_text(
        (char / "train.json").read_text().replace("lstm_lay1_sz8", "bilstm_emb64_lay2_sz128-64")
    )
    return write_index(tmp_path)


def test_index_says_why_a_binary_runs_accuracy_is_a_dash(tmp_path):
    page = _index(tmp_path).read_text()
    assert "<th>test accuracy</th>" in page and "<th>test precision</th>" in page
    assert "for a run with one it is left out (–) though known" in page
    assert "bilstm_<wbr>cv2-64x5p2-64x5p2_<wbr>lay2_<wbr>sz64-32_<wbr>d32" in page  # breaks at its parts
    assert "79,681 params · 2 epochs · fit 10 s" in page


@pytest.mark.slow
def test_index_with_a_character_run_fits_1280_px(tmp_path):
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (dev extra)")
    index = _index(tmp_path)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport=VIEW)
        page.goto(index.as_uri())
        page.wait_for_load_state("load")
        width = page.evaluate("document.documentElement.scrollWidth")
        right = page.evaluate(
            "Math.max(...Array.from(document.querySelectorAll('th')).map(t => t.getBoundingClientRect().right))"
        )
        browser.close()
    assert width <= VIEW["width"], f"index is {width} px wide"
    assert right <= VIEW["width"], f"the last column ends at {right} px"
