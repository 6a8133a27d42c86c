"""Links from the comparison page (notebook 04, ``comparison.html``) to each run's own pages: a
run's name opens its ``report.html`` (its ``slides.html`` where only the deck was written),
wherever the name shows (the answer sentence, the ranking, the table of all runs, the runs
that did not finish). A run without either page keeps its plain name.

Each link is relative to the current directory, the folder of the page being made: notebook 04
runs in the folder ``comparison.html`` is written to (a sweep's, a search's, ``compare``'s
``--out``: :func:`~lstm_helpers.experiments.compare.render_comparison`), and opened in JupyterLab
it runs in ``notebooks/``, beside the notebook that shows the links. Links are ``/``-separated and
percent-encoded: a sweep folder moved, copied or tarred with its runs keeps working, and runs
compared from elsewhere are reached by ``../``."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

from lstm_helpers.layout import RunLayout

_ROW_START = re.compile(r"^(<tr[^>]*><td[^>]*>)(.*?)(</td>)", re.S)


def run_page_href(run_dir: Any, page_dir: Path | None = None) -> str | None:
    """The ``href`` of a run's report (else its slides) from a page in ``page_dir`` (None: the
    current directory); None where the run has neither page, or no directory (a reference:
    measured elsewhere)."""
    if not isinstance(run_dir, str | Path) or not str(run_dir):
        return None
    lay = RunLayout(Path(run_dir))
    page = next((p for p in (lay.report, lay.slides) if p.is_file()), None)
    if page is None:
        return None
    try:
        rel = Path(os.path.relpath(page.resolve(), Path(page_dir or Path.cwd()).resolve())).as_posix()
    except ValueError:  # Windows: another drive, no relative path
        return page.resolve().as_uri()
    return quote(rel)  # a folder named "run #1" or "50%_run" is a path, not a fragment or an escape


def linked(inner_html: str, href: str | None, page: str = "report") -> str:
    """``inner_html`` (already escaped) as a link to ``href``; unchanged where there is none."""
    if not href:
        return inner_html
    what = "slides" if href.endswith("slides.html") else page
    return f'<a href="{html.escape(href, quote=True)}" title="open this run\'s {what}">{inner_html}</a>'


def hrefs_of(table: pd.DataFrame, page_dir: Path | None = None) -> list[str | None]:
    """Each row's :func:`run_page_href` (its ``run_dir`` column), in the table's order."""
    dirs = table["run_dir"] if "run_dir" in table else pd.Series([None] * len(table), index=table.index)
    return [run_page_href(d, page_dir) for d in dirs]


def link_first_cells(table_html: str, hrefs: list[str | None]) -> str:
    """One table's HTML (:func:`~lstm_helpers.experiments.html_tables.table_html`) with each body
    row's first cell (the run's name or label) made a link to ``hrefs[row]``; unchanged where the
    table holds another number of rows than ``hrefs`` (nothing is linked to the wrong run)."""
    head, start, rest = table_html.partition("<tbody>")
    body, end, tail = rest.partition("</tbody>")
    rows = body.split("</tr>")[:-1]
    if not start or not end or len(rows) != len(hrefs) or not any(hrefs):
        return table_html
    rows = [
        _ROW_START.sub(lambda m, h=h: m[1] + linked(m[2], h) + m[3], row, count=1) if h else row
        for row, h in zip(rows, hrefs, strict=True)
    ]
    return head + start + "".join(r + "</tr>" for r in rows) + end + tail
