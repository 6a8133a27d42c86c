"""One presentation style for every figure and table a notebook shows.

Figures: :data:`RC` (matplotlib rc settings: fonts sized for projection, 150 dpi) applied
with :func:`figure_style` -- a context manager for one figure -- or :func:`apply_notebook_style`
for a whole kernel. Tables: pandas DataFrames render without a 0..n index, numbers at three
significant digits (integers stay integers), wide tables scroll inside their box and long
ones sit in a collapsed ``<details>``. Everything is matplotlib's / pandas' own machinery
(``rc_context``, ``Styler``); written here are only the number format and the wrapping.
"""

from __future__ import annotations

import contextlib
import functools
import html
import math
import re
import unicodedata
import warnings
from collections.abc import Iterator
from typing import Any

DPI = 150  # figures saved and shown at >= 150 dpi
RC: dict[str, Any] = {
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "font.size": 13,
    "axes.titlesize": 15,
    "axes.labelsize": 14,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 12,
    "legend.title_fontsize": 12,
    "figure.titlesize": 16,
    "lines.linewidth": 2.0,
    "lines.markersize": 8,
}
LONG_TABLE_ROWS = 15  # longer tables are shown collapsed
_FORMATWARNING = warnings.formatwarning  # Python's, before apply_notebook_style replaces it


@contextlib.contextmanager
def figure_style() -> Iterator[None]:
    """``with figure_style(): fig = Figure(...)`` -- fonts and dpi of :data:`RC` for that figure."""
    import matplotlib

    with matplotlib.rc_context({**RC, **figure_fonts()}):
        yield


# fonts matplotlib draws a glyph from when DejaVu Sans (its default) lacks it -- emoji, CJK, rare
# symbols -- those of them installed; matplotlib (>= 3.6) falls back glyph by glyph along font.family
FALLBACK_FONTS = (
    "Noto Sans Symbols 2", "Noto Sans Symbols", "Noto Emoji", "Symbola", "Segoe UI Emoji", "Segoe UI Symbol",
    "Noto Sans CJK JP", "Noto Sans CJK SC", "Microsoft YaHei", "Arial Unicode MS",
)  # fmt: skip


@functools.cache
def figure_fonts() -> dict[str, list[str]]:
    """``{"font.family": ["sans-serif", <installed fallbacks>]}``, or ``{}`` where no font of
    :data:`FALLBACK_FONTS` is installed (naming an absent one makes matplotlib log a warning)."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    fallbacks = [f for f in FALLBACK_FONTS if f in installed]
    return {"font.family": ["sans-serif", *fallbacks]} if fallbacks else {}


@functools.cache
def _glyphs(path: str) -> frozenset[int]:
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(path).get_charmap())


def _fonts_in_use() -> list[str]:
    """The font files matplotlib draws text from now (``font.family``, fallbacks included)."""
    import matplotlib
    from matplotlib import font_manager

    paths = []
    for family in matplotlib.rcParams["font.family"]:
        with contextlib.suppress(ValueError):  # a family that is not installed: matplotlib skips it too
            prop = font_manager.FontProperties(family=[family])  # a list: a str is a fontconfig pattern
            paths.append(font_manager.findfont(prop, fallback_to_default=False))
    return paths


def drawable(text: Any) -> str:
    """``text`` as the figures' fonts can draw it: a character none of them has (an emoji such
    as 👋, which DejaVu Sans lacks) written as its Unicode name between colons, ``wave :waving
    hand:``, where matplotlib drew an empty box and warned "Glyph 128075 missing from font" (a
    letter as its code point, ``U+8D70``); invisible joiners and variation selectors without a
    glyph are left out.

    >>> drawable("wave \N{WAVING HAND SIGN}"), drawable("circle \N{CLOCKWISE OPEN CIRCLE ARROW}")
    ('wave :waving hand:', 'circle ↻')
    """
    text = str(text)
    if text.isascii():
        return text
    fonts = [_glyphs(p) for p in _fonts_in_use()]
    out = []
    for ch in text:
        if ch.isascii() or any(ord(ch) in glyphs for glyphs in fonts):
            out.append(ch)
        elif unicodedata.category(ch) == "So":  # a symbol, an emoji: its name, as emoji short codes read
            out.append(f":{unicodedata.name(ch, '?').lower().removesuffix(' sign')}:")
        elif unicodedata.category(ch) not in ("Mn", "Cf"):  # a letter: its code point, names stay apart
            out.append(f"U+{ord(ch):04X}")
    return "".join(out)


FIGURE_LABEL_CHARS = 20  # a class name on a figure's axis or legend: longer ones cut with an ellipsis


def figure_labels(names: Any, width: int = FIGURE_LABEL_CHARS) -> list[str]:
    """Class names for a figure's ticks, legend or panel titles: visible (:func:`visible_name`),
    drawable (:func:`drawable`) and at most ``width`` characters, a longer one cut after a word
    with "…" (a 63-character name took half a confusion matrix's axis); tables keep the full
    names. Two names cut alike keep their ends instead (``Zeigefin…(langsam)``).

    >>> figure_labels(["Zeigefinger-Kreis gegen den Uhrzeigersinn (langsam, beidhändig)", "tap", " "])
    ['Zeigefinger-Kreis…', 'tap', '␣']
    >>> figure_labels(["a long class name one", "a long class name two"], width=12)
    ['a lon…me one', 'a lon…me two']
    """
    full = [drawable(visible_name(n)) for n in names]
    cut = [_cut(n, width) for n in full]
    seen = {c: cut.count(c) for c in cut}
    return [c if seen[c] == 1 else _cut_middle(n, width) for c, n in zip(cut, full, strict=True)]


def _cut(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    head = text[: width - 1]
    space = head.rfind(" ")
    head = head[:space] if space >= width // 2 else head
    return head.rstrip(" ,;:-_(") + "…"


def _cut_middle(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    half = (width - 1) // 2
    return text[:half] + "…" + text[len(text) - (width - 1 - half) :]


def _natural_key(name: Any) -> tuple:
    """Numbers in a label sort as numbers: ``2`` before ``10``, ``walk 2`` before ``walk 10``."""
    return tuple((0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", str(name)) if t)


# the same validation figure two ways, and which is which where both are shown: Keras' metric,
# logged per epoch (its PR-AUC interpolates the curve over 200 thresholds), picks the epoch;
# stage 03 scores the kept weights with scikit-learn (PR-AUC = average precision)
KERAS_ESTIMATE = "Keras' running estimate during training"
SKLEARN_AP = "scikit-learn's average precision"


def during_training(metric: str) -> str:
    """``" (Keras' running estimate during training)"`` after a metric Keras logged per epoch
    (``val_pr_auc``: 0.819 where stage 03's average precision of the same weights says 0.813);
    nothing after a loss, which both compute alike."""
    return "" if "loss" in metric else f" ({KERAS_ESTIMATE})"


MAX_LISTED_CLASSES = 12  # longer class lists are given as a count, first and last names
MAX_HEATMAP_CLASSES = 20  # above this many classes the confusions are drawn as top-N bars
TOP_CONFUSIONS = 20  # the bars drawn then


_WHITESPACE = {" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}


def visible_name(name: Any) -> str:
    r"""A class name as it can be seen: a character model's space, newline and tab classes
    as ␣ ↵ ⇥ (shown as they are, they left blanks in lists and legends).

    >>> [visible_name(c) for c in (" ", "\n", "a", "play")]
    ['␣', '↵', 'a', 'play']
    """
    name = str(name)
    return _WHITESPACE.get(name, name) if len(name) == 1 else name


def most_frequent(k: int) -> str:
    """``the 5 most frequent classes``, ``the most frequent class`` (a top-1 baseline).

    >>> most_frequent(5), most_frequent(1)
    ('the 5 most frequent classes', 'the most frequent class')
    """
    return "the most frequent class" if k == 1 else f"the {k} most frequent classes"


def classes_text(classes: Any, max_listed: int = MAX_LISTED_CLASSES) -> str:
    """The class names for a sentence, in natural order (UCR's ``1, 2, ..., 52``, not the
    string order ``1, 10, 11``); past ``max_listed`` the count and the first and last names.

    >>> classes_text(["b", "a"]), classes_text([str(i) for i in range(1, 53)])
    ('a, b', '52 classes (1, 2, 3, ..., 52)')
    """
    names = [visible_name(c) for c in sorted(map(str, classes), key=_natural_key)]
    if len(names) <= max_listed:
        return ", ".join(names)
    return f"{len(names)} classes ({', '.join(names[:3])}, ..., {names[-1]})"


def names_text(names: Any, total: int | None = None, shown: int = 3) -> str:
    """Up to ``shown`` names for a sentence, quoted, then how many more of ``total`` (by default
    all of ``names``; a list stored cut short still counts the rest).

    >>> names_text(["a1", "b2"]), names_text(list("abcde")), names_text(["a"], total=7)
    ("'a1', 'b2'", "'a', 'b', 'c' and 2 more", "'a' and 6 more")
    """
    names = [str(n) for n in names]
    total, names = len(names) if total is None else total, names[:shown]
    listed = ", ".join(repr(n) for n in names)
    return f"{listed} and {total - len(names)} more" if total > len(names) else listed


_JOINT = re.compile(r"(?<=[A-Za-z0-9])([_/-]|\.(?=[A-Za-z]))(?=[A-Za-z0-9])")


def breakable(text: Any) -> str:
    """``text`` HTML-escaped, with a line-break opportunity (``<wbr>``) after each ``_``, ``-``
    and ``/`` inside a name, and each ``.`` before a letter (``model.units``, not ``0.5``): a long
    run, class or parameter name wraps there in a narrow column instead of widening it.

    >>> breakable("play_wrestle"), breakable("-1"), breakable("<b>"), breakable("train.lr=0.5")
    ('play_<wbr>wrestle', '-1', '&lt;b&gt;', 'train.<wbr>lr=0.5')
    """
    return _JOINT.sub(r"\1<wbr>", html.escape(str(text)))


def fmt_number(v: Any) -> str:
    """Three significant digits (three decimals up to 1, so metrics line up: a precision of 1.0
    reads 1.000 beside 0.991); integers (also integer-valued floats above 1) without decimals;
    text as written (a count a table holds as text stays "0", not "0.000").

    >>> [fmt_number(x) for x in (0.64237, 0.64, 79681.0, 12.3456, 3, float("nan"), None, 1.2e-05, "0", 1.0, 1)]
    ['0.642', '0.640', '79,681', '12.3', '3', '–', '–', '1.2e-05', '0', '1.000', '1']
    """
    if v is None or isinstance(v, bool | str):
        return "–" if v is None else str(v)
    if isinstance(v, int) or (hasattr(v, "dtype") and getattr(v.dtype, "kind", "") in "iu"):
        return f"{int(v):,}"
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x.is_integer() and abs(x) > 1:
        return f"{int(x):,}"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if x != 0 and abs(x) < 1e-3:
        return f"{x:.2g}"
    if abs(x) <= 1:  # metrics in [0, 1] line up: 0.640, not 0.64; 1.000, not 1
        return f"{x:.3f}"
    return f"{x:.3g}"


def decimals_of(text: str) -> int | None:
    """Decimals of a fixed-point number as written; None for ``1.2e-05``, ``∞`` and text."""
    body = text.replace(",", "").lstrip("-")
    if not body or "e" in body or not body.replace(".", "", 1).isdigit():
        return None
    return len(body.split(".")[1]) if "." in body else 0


def _fixed_point(v: Any) -> bool:
    """A finite float that :func:`fmt_number` writes in fixed point."""
    return (
        isinstance(v, float) or (hasattr(v, "dtype") and getattr(v.dtype, "kind", "") == "f")
    ) and math.isfinite(v) and decimals_of(fmt_number(v)) is not None  # fmt: skip


def significant_decimals(values: Any, digits: int = 3) -> int:
    """Decimals that keep ``digits`` significant digits of a column's smallest non-zero
    magnitude: 5 for learning rates 0.00145 .. 0.00905 (not 0.001 .. 0.009); at least 3."""
    sizes = [abs(float(v)) for v in values if _fixed_point(v) and float(v) != 0]
    return max(3, digits - 1 - math.floor(math.log10(min(sizes)))) if sizes else 3


def column_formatter(values: Any, decimals: int | None = None) -> Any:
    """How to write one column's cells: its fixed-point floats at one number of decimals
    (``decimals``, else the most :func:`fmt_number` gives any of them), so they line up and
    compare by eye (4.30 above 4.72, 101.4 beside 0.6); anything else by :func:`fmt_number`."""
    if decimals is None:
        fixed = [decimals_of(fmt_number(v)) or 0 for v in values if _fixed_point(v) and v != 0]
        if not fixed:  # only zeros (or nothing fixed-point): as fmt_number writes them
            fixed = [decimals_of(fmt_number(v)) or 0 for v in values if _fixed_point(v)]
        if not fixed:
            return fmt_number
        decimals = max(fixed)  # a zero takes the others' decimals: 131,905 and 0, not 131,905.000

    def write(v: Any) -> str:
        return f"{float(v):,.{decimals}f}" if _fixed_point(v) else fmt_number(v)

    return write


def as_given(value: Any, text: str) -> str:
    """A figure a user gave (a reference's ``accuracy: 0.8785``) with the digits given, up to
    4 decimals, where ``text`` (its column's format) would round it: 0.8785, not 0.878; else
    ``text`` (0.88 in a column of 0.640 reads 0.880).

    A whole figure beyond 1 (a count, seconds: never a share nor an MCC) is written whole: 154,
    not 154.000 in a column of 0.938.

    >>> [as_given(0.8785, "0.878"), as_given(0.88, "0.880"), as_given(154.0, "154.000"), as_given(0.123456, "0.123")]
    ['0.8785', '0.880', '154', '0.1235']
    """
    if not _fixed_point(value):
        return text
    if abs(float(value)) > 1 and float(value).is_integer():
        return fmt_number(int(value))
    given = f"{round(float(value), 4):,.4f}".rstrip("0").rstrip(".")
    return given if (decimals_of(given) or 0) > (decimals_of(text) or 0) else text


def table_html(df: Any, max_rows: int = LONG_TABLE_ROWS, summary: str | None = None, given: int = 0) -> str:
    """A DataFrame as presentable HTML: no 0..n index, float columns by :func:`column_formatter`
    (one number of decimals per column; ``df.attrs["decimals"]`` may fix a column's), other
    cells by :func:`fmt_number`, escaped text, horizontal scroll when wide, collapsed when
    longer than ``max_rows``. The last ``given`` rows hold figures a user gave (references):
    each with its own digits (:func:`as_given`)."""
    import pandas as pd

    frame = df.copy()
    fixed = dict(df.attrs.get("decimals", {}))
    if not isinstance(frame.index, pd.RangeIndex):
        names = [n if n is not None else "" for n in frame.index.names]
        frame.index = frame.index.set_names(names)
        frame = frame.reset_index()
    frame.columns = [" / ".join(map(str, c)) if isinstance(c, tuple) else str(c) for c in frame.columns]
    text_cols = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    # one quantity per float column; an object column (a key-value table's values) mixes quantities
    formatters = {
        c: column_formatter(frame[c].tolist(), fixed.get(c)) if pd.api.types.is_float_dtype(frame[c]) else fmt_number
        for c in frame.columns
    }
    styler = frame.style.hide(axis="index").format(formatters, escape="html")
    for c, write in formatters.items() if given else ():  # a reference's 0.8785 as given, not 0.878
        rows = pd.IndexSlice[frame.index[len(frame) - given :], [c]]
        styler = styler.format(lambda v, write=write: as_given(v, write(v)), subset=rows, escape="html")
    styler = styler.format_index(escape="html", axis=1).set_properties(subset=text_cols, **{"text-align": "left"})
    body = f'<div class="lw-table">{styler.to_html()}</div>'
    if len(frame) > max_rows:
        label = html.escape(summary or f"table of {len(frame)} rows")
        body = f"<details><summary>{label} (click to open)</summary>{body}</details>"
    return body


def reset_notebook_style() -> None:
    """Undo :func:`apply_notebook_style` in a kernel reused for another notebook (a warm
    kernel's reset): matplotlib's settings as its import left them (a fresh kernel's, the
    backend kept), DataFrames shown by pandas' own HTML, Python's warning format. Without it
    the comparison page rendered in a sweep worker's kernel took the stages' figure fonts."""
    import sys

    if "matplotlib" in sys.modules:
        mpl = sys.modules["matplotlib"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # deprecated keys of the original settings
            mpl.rcParams.update({k: v for k, v in mpl.rcParamsOrig.items() if k != "backend"})
    try:
        ip = get_ipython()  # type: ignore[name-defined]  # noqa: F821
    except NameError:
        return
    if "pandas" in sys.modules:
        ip.display_formatter.formatters["text/html"].pop(sys.modules["pandas"].DataFrame, None)
    warnings.formatwarning = _FORMATWARNING


def apply_notebook_style() -> None:
    """Use :data:`RC` for every figure of this kernel, :func:`table_html` for every DataFrame it
    displays and :func:`plain_warning` for its warnings (the last two only inside IPython)."""
    import matplotlib
    import pandas as pd

    matplotlib.rcParams.update({**RC, **figure_fonts()})
    try:
        ip = get_ipython()  # type: ignore[name-defined]  # noqa: F821
    except NameError:
        return
    ip.display_formatter.formatters["text/html"].for_type(pd.DataFrame, table_html)
    warnings.formatwarning = plain_warning  # "UserWarning: ..." without the kernel's temp file path


def plain_warning(message: Warning | str, category: type[Warning], *_args: Any, **_kwargs: Any) -> str:
    """A warning as an executed notebook shows it: its class and message, not the path and line
    of the cell's temporary file (``/tmp/ipykernel_28018/2923566021.py:1: UserWarning: ...``).

    >>> plain_warning(UserWarning("only 32 updates"), UserWarning, "/tmp/ipykernel_1/2.py", 1)
    'UserWarning: only 32 updates\\n'
    """
    return f"{category.__name__}: {message}\n"


def terminal_warning(
    message: Warning | str, category: type[Warning], filename: str, lineno: int, line: Any = None
) -> str:
    """A user-facing warning as the command line prints it: ``warning: <message>``, without the
    path and source line of the package file that raised it (``/home/.../recordings.py:493:
    UserWarning: ... task, seen = map_labels(...)``, what ``prepare --no-notebook`` printed).
    Other categories (a library's deprecation) keep Python's format.

    >>> terminal_warning(UserWarning("only 32 updates"), UserWarning, "/x/y.py", 1)
    'warning: only 32 updates\\n'
    """
    if issubclass(category, UserWarning):
        return f"warning: {message}\n"
    return _FORMATWARNING(message, category, filename, lineno, line)
