"""Screenshots at 1280x720 for the README: the report's first screen, the first three slides
and (given a sweep directory) the comparison page. Offline; needs Playwright and Chromium.

    python docs/screenshots/make_screenshots.py reports/<run> [reports/sweeps/<sweep>]
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"


def main(run: Path, sweep: Path | None = None) -> None:
    shots = [(run / "report.html", "", "report_first_screen.png")]
    shots += [(run / "slides.html", f"#/{i}", f"slides_{i + 1}.png") for i in range(3)]
    if sweep is not None and (sweep / "comparison.html").is_file():
        shots.append((sweep / "comparison.html", "", "comparison.png"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
        for path, fragment, name in shots:
            page.goto(path.resolve().as_uri() + fragment)
            page.wait_for_timeout(500)
            page.screenshot(path=str(OUT / name))
            print(OUT.relative_to(Path.cwd().resolve()) / name if OUT.is_relative_to(Path.cwd().resolve()) else name)
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
