"""HTML for the comparison page (notebook 04): cell texts as the run reports write them,
escaped values, and one sortable table. No TensorFlow, no plotting here."""

from __future__ import annotations

import hashlib
import html
import math
from typing import Any

import numpy as np
import pandas as pd

from lstm_helpers.style import as_given, column_formatter, fmt_number


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

_TABLE_CSS = """<style>
table.lw-sortable {border-collapse: collapse; font-size: 12px}
table.lw-sortable th, table.lw-sortable td {border: 1px solid #ccc; padding: 2px 6px; white-space: nowrap}
table.lw-sortable td.num {text-align: right}
table.lw-sortable th {background: #f3f3f3; position: sticky; top: 0}
table.lw-sortable th[data-dir=asc]::after {content: " ▲"}
table.lw-sortable th[data-dir=desc]::after {content: " ▼"}
table.lw-sortable tr.lw-reference td {font-style: italic; background: #fdf6e3; color: #555}
</style>"""


def table_html(table: pd.DataFrame, sortable: bool = True, marked: int = 0) -> str:
    """An escaped HTML table (no index), numbers formatted; sortable on a click (a dozen lines
    of inline JavaScript, written here because pandas' Styler does not sort and a CDN library
    would need the internet at view time). The last ``marked`` rows are references (figures
    measured elsewhere): italic on a tinted ground, wherever a sort puts them."""
    if table is None or table.empty:
        return "<p>No rows.</p>"
    table_id = "lw-" + hashlib.sha256(table.to_csv().encode()).hexdigest()[:10]
    left = ' style="text-align: left"'  # a text column's head over its text, not centred off screen
    head = "".join(f"<th{'' if pd.api.types.is_numeric_dtype(table[c]) else left}>{esc(c)}</th>" for c in table.columns)
    fixed = table.attrs.get("decimals") or {}  # a column's decimals set by its maker
    texts = [column_texts(table[c].tolist(), fixed.get(c)) for c in table.columns]
    for k, c in enumerate(table.columns):  # a reference's figure with the digits given: 0.8785, not 0.878
        for r in range(len(table) - marked, len(table)):
            texts[k][r] = as_given(table[c].iloc[r], texts[k][r])
    rows = []
    for r, values in enumerate(table.itertuples(index=False)):
        cells = "".join(
            f'<td class="num" data-v="{float(v)!r}">{html.escape(texts[k][r])}</td>'  # sorts by the value
            if isinstance(v, int | float | np.number) and not isinstance(v, bool)
            else f"<td>{html.escape(texts[k][r])}</td>"
            for k, v in enumerate(values)
        )
        ref = ' class="lw-reference" title="not run here; its data and split may differ"'
        rows.append(f"<tr{ref if r >= len(table) - marked else ''}>{cells}</tr>")
    body = (
        f'<table class="lw-sortable" id="{table_id}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    script = _SORT_JS % {"id": table_id} if sortable else ""
    return _TABLE_CSS + '<div style="overflow-x: auto">' + body + "</div>" + script
