"""HTML for the comparison page (notebook 04): cell texts as the run reports write them,
escaped values, and one sortable table. No TensorFlow, no plotting here."""

from __future__ import annotations

import hashlib
import html
import math
from typing import Any

import numpy as np
import pandas as pd

from lstm_helpers.style import as_given, breakable, column_formatter, fmt_number


def _text(x: Any) -> str:
    """A cell's text: numbers by :func:`~lstm_helpers.style.fmt_number` (as in the run
    reports), missing values empty."""
    if x is None or (isinstance(x, float | np.floating) and math.isnan(x)):
        return ""
    return fmt_number(x) if isinstance(x, int | float | np.integer | np.floating) else str(x)


def column_texts(values: Any, decimals: int | None = None) -> list[str]:
    """One column's cells as the run reports write them (:func:`~lstm_helpers.style.column_formatter`:
    one number of decimals per column, ``decimals`` where given), missing values empty."""
    write = column_formatter(values, decimals)
    return [write(v) if _text(v) else "" for v in values]


def esc(x: Any) -> str:
    """Any value as escaped HTML text (numbers formatted by :func:`fmt_number`)."""
    return html.escape(_text(x), quote=True)


def as_html(text: str) -> Any:
    from IPython.display import HTML

    return HTML(text)


def show(obj: Any) -> Any:
    """A matplotlib figure as a PNG image object (displays whatever the kernel's matplotlib
    backend is, e.g. ``MPLBACKEND=Agg``); anything else is returned unchanged."""
    from matplotlib.figure import Figure

    from lstm_helpers.display import show_figure

    return show_figure(obj) if isinstance(obj, Figure) else obj


def show_each(items: list[Any]) -> None:
    """Display each of ``items`` (figures as PNG images, :func:`show`) as an output of its own:
    the page sizes each image alone (one per parameter of the metric-vs-parameter figures)."""
    from IPython.display import display

    for item in items:
        display(show(item))


_SORT_JS = """
<script>
(function () {
  var table = document.getElementById("%(id)s");
  if (!table) return;
  var heads = table.tHead.rows[table.tHead.rows.length - 1].cells;
  Array.prototype.forEach.call(heads, function (th, col) {
    th.style.cursor = "pointer";
    th.title = "click to sort";
    th.addEventListener("click", function () {
      var asc = th.getAttribute("data-dir") !== "asc";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("data-dir"); });
      th.setAttribute("data-dir", asc ? "asc" : "desc");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].textContent.trim(), y = b.cells[col].textContent.trim();
        var nx = parseFloat(a.cells[col].dataset.v), ny = parseFloat(b.cells[col].dataset.v);
        var ex = x === "" || x === "–", ey = y === "" || y === "–";
        if (ex || ey) return ex === ey ? 0 : (ex ? 1 : -1);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
})();
</script>
"""

# Headers and names wrap (at spaces and, by <wbr>, after _ - /) so that a table fits the page where
# it can; one still wider scrolls in its own box, and says so: a line above it and a shade on
# the right edge while columns lie beyond it (headless and overlay scrollbars show nothing).
_TABLE_CSS = """<style>
table.lw-sortable {border-collapse: collapse; font-size: 12px}
table.lw-sortable th, table.lw-sortable td {border: 1px solid #ccc; padding: 2px 6px}
table.lw-sortable th {white-space: normal; min-width: 4em; vertical-align: bottom}
table.lw-sortable td {white-space: normal; min-width: 3em}
table.lw-sortable .lw-cap {display: inline-block; max-width: 11em}
table.lw-sortable .lw-name {width: max-content; max-width: 18em}
table.lw-sortable td:first-child {text-align: left}
table.lw-sortable tr > :first-child {position: sticky; left: 0; z-index: 1; background: inherit}
table.lw-sortable thead tr > :first-child {z-index: 2; background: #f3f3f3}
table.lw-sortable td.num {text-align: right; white-space: nowrap}
table.lw-sortable th {background: #f3f3f3; position: sticky; top: 0}
table.lw-sortable th[data-dir=asc]::after {content: " ▲"}
table.lw-sortable th[data-dir=desc]::after {content: " ▼"}
table.lw-sortable tr.lw-reference td {font-style: italic; background: #fdf6e3; color: #555}
.lw-wide {position: relative}
.lw-wide > .lw-scroll {overflow-x: auto}
.lw-wide > .lw-scroll::-webkit-scrollbar {height: 12px}
.lw-wide > .lw-scroll::-webkit-scrollbar-thumb {background: #888; border-radius: 6px}
.lw-wide > .lw-scroll::-webkit-scrollbar-track {background: #eee}
.lw-wide > .lw-scroll-note {display: none; height: 18px; line-height: 18px; margin: 0; font-size: 12px; color: #8a4b00}
.lw-wide.lw-overflows > .lw-scroll-note {display: block}
.lw-wide.lw-overflows::after {content: ""; position: absolute; top: 18px; right: 0; bottom: 0; width: 36px;
  pointer-events: none; background: linear-gradient(to right, rgba(255,255,255,0), rgba(0,0,0,0.28))}
.lw-wide.lw-overflows.lw-at-end::after {display: none}
</style>"""

_SCROLL_JS = """
<script>
(function () {
  var box = document.getElementById("%(id)s-box");
  if (!box) return;
  function mark() {
    var wide = box.scrollWidth > box.clientWidth + 1;
    box.parentNode.classList.toggle("lw-overflows", wide);
    box.parentNode.classList.toggle("lw-at-end", box.scrollLeft + box.clientWidth >= box.scrollWidth - 1);
  }
  mark();
  box.addEventListener("scroll", mark);
  window.addEventListener("resize", mark);
})();
</script>
"""
_SCROLL_NOTE = "Wider than the page: scroll sideways for the columns on the right →"


# metric names whose two parts read as one word: a head wraps before them, never inside
# (``val_baseline_`` / ``pr_auc``, not ``val_baseline_pr_`` / ``auc``)
_WHOLE_WORDS = ("pr_auc", "roc_auc", "log_loss", "top_k")


def head_text(name: Any) -> str:
    """A column's head as HTML: :func:`~lstm_helpers.style.breakable`, but never inside a
    metric name of :data:`_WHOLE_WORDS`.

    >>> head_text("val_baseline_pr_auc")
    'val_<wbr>baseline_<wbr>pr_auc'
    """
    text = breakable(_text(name))
    for word in _WHOLE_WORDS:
        text = text.replace(breakable(word), word)
    return text


def _number_text(text: str) -> str:
    """A cell's text as a number reads: without thousands commas and a spread (``0.515 ± 0.007``
    is its mean, so a column of means over seeds sorts and aligns as one of numbers)."""
    return text.split(" ± ")[0].replace(",", "").strip()


def _numbers(col: pd.Series) -> bool:
    """Whether a column holds numbers (its cells right-aligned, its head with them): numeric, or
    mostly text that reads as one (a before / after table's "131,905", "0.746", a mean ± std)."""
    if pd.api.types.is_numeric_dtype(col):
        return True
    cells = col.dropna().astype(str).map(_number_text)
    cells = cells[~cells.isin(["", "–", "-"])]
    return bool(len(cells)) and pd.to_numeric(cells, errors="coerce").notna().mean() >= 0.5


def _cell(value: Any, text: str, numeric: bool) -> str:
    """One ``<td>``: aligned as its column's head (:func:`_numbers` of the whole column, so a
    before / after table's "131,905" sits right under a right-aligned head, and a stray number
    in a text column stays left), sorted by its value where it has one (``data-v``)."""
    number = None
    if isinstance(value, int | float | np.number) and not isinstance(value, bool):
        number = float(value)
    elif numeric:
        number = float(pd.to_numeric(_number_text(str(value)), errors="coerce"))
    data = "" if number is None else f' data-v="{number!r}"'
    if numeric:
        return f'<td class="num"{data}>{html.escape(text)}</td>'
    return f'<td{data}><span class="lw-cap lw-name">{breakable(text)}</span></td>'


def table_html(table: pd.DataFrame, sortable: bool = True, marked: int = 0) -> str:
    """An escaped HTML table (no index), numbers formatted; sortable on a click (a dozen lines
    of inline JavaScript, written here because pandas' Styler does not sort and a CDN library
    would need the internet at view time). The last ``marked`` rows are references (figures
    measured elsewhere): italic on a tinted ground, wherever a sort puts them."""
    if table is None or table.empty:
        return "<p>No rows.</p>"
    table_id = "lw-" + hashlib.sha256(table.to_csv().encode()).hexdigest()[:10]
    left = ' style="text-align: left"'  # a text column's head over its text, not centred off screen
    head = "".join(
        f'<th{"" if _numbers(table[c]) else left}><span class="lw-cap">{head_text(c)}</span></th>'
        for c in table.columns
    )
    fixed = table.attrs.get("decimals") or {}  # a column's decimals set by its maker
    texts = [column_texts(table[c].tolist(), fixed.get(c)) for c in table.columns]
    for k, c in enumerate(table.columns):  # a reference's figure with the digits given: 0.8785, not 0.878
        for r in range(len(table) - marked, len(table)):
            texts[k][r] = as_given(table[c].iloc[r], texts[k][r])
    numeric = [_numbers(table[c]) for c in table.columns]  # one alignment per column, head and cells
    rows = []
    for r, values in enumerate(table.itertuples(index=False)):
        cells = "".join(_cell(v, texts[k][r], numeric[k]) for k, v in enumerate(values))
        ref = ' class="lw-reference" title="not run here; its data and split may differ"'
        rows.append(f"<tr{ref if r >= len(table) - marked else ''}>{cells}</tr>")
    body = (
        f'<table class="lw-sortable" id="{table_id}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    script = _SORT_JS % {"id": table_id} if sortable else ""
    box = (
        f'<div class="lw-wide"><p class="lw-scroll-note">{_SCROLL_NOTE}</p>'
        f'<div class="lw-scroll" id="{table_id}-box">{body}</div></div>'
    )
    return _TABLE_CSS + box + script + _SCROLL_JS % {"id": table_id}
