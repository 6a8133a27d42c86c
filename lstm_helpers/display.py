"""Saving figures and showing them in notebooks: the one place for both.

Figures are built with :class:`matplotlib.figure.Figure` (not ``pyplot``), so they never
pile up in pyplot's global state, and shown as PNG images, so they display whatever the
kernel's matplotlib backend is (papermill kernels may run with ``MPLBACKEND=Agg``, where a
bare Figure shows as text). No TensorFlow here.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lstm_helpers.style import DPI, drawable

NOT_DRAWN = "lstm_workbench_not_drawn"  # output metadata of a figure a run did not draw


class NotDrawn(str):
    """What :func:`show_figure` gives for a figure the run did not draw (a timeline for
    pre-segmented sequences, say): the message as a ``str``, shown in a notebook as one
    italic line, and marked in the output's metadata (:data:`NOT_DRAWN`) so that the run's
    report leaves the section out instead of printing the message."""

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict, dict]:
        return {"text/plain": str(self), "text/markdown": f"*{self}*"}, {NOT_DRAWN: True}


def new_figure(**kwargs: Any) -> Any:
    """A :class:`matplotlib.figure.Figure` (``kwargs`` as for it) with an Agg canvas attached,
    laid out by matplotlib's constrained layout (``layout="constrained"`` unless ``kwargs`` says
    otherwise): it makes room for titles, rotated ticks and legends beside the axes as it draws,
    where ``tight_layout`` gave up on long class names ("Tight layout not applied", a warning in
    every report that showed the figure) and let the suptitle overlap the panels' titles.

    Without a canvas, every ``get_window_extent`` call (seaborn's heatmap calls it for each
    tick label to decide on rotation) renders the whole figure to a fresh PNG: a 20-class
    confusion matrix took 2.7 GB and ~40 s that way, 0.3 GB and a few seconds with the canvas.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(**{"layout": "constrained", **kwargs})
    FigureCanvasAgg(fig)
    return fig


PNG_OPTIONS = {"compress_level": 1}  # Pillow's fastest zlib level: a figure's PNG encoding took ~13% of
# a 4-run sweep's figure time at the default (6); the files come out ~9% larger (example windows 223 -> 243 kB)


def save_figure(fig: Any, path: str | Path | None) -> Any:
    """When ``path`` is given, save ``fig`` there as PNG (parent folders created;
    :func:`show_figure` then shows that file rather than drawing the figure a second time),
    laid out by its layout engine (:func:`new_figure`'s constrained layout) and cropped to what
    it draws (a figure made without one is tightened first, as before). Returns ``fig``."""
    drawable_texts(fig)
    if fig.get_layout_engine() is None:
        fig.tight_layout()
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=DPI, bbox_inches="tight", pil_kwargs=PNG_OPTIONS)
        fig.stale = False  # set again by any change to the figure after this (matplotlib propagates it)
        fig._saved_png = (path, path.stat().st_mtime_ns)
    return fig


def drawable_texts(fig: Any) -> None:
    """Every text of ``fig`` (titles, labels, legends) as its fonts can draw it
    (:func:`lstm_helpers.style.drawable`: an emoji in a class name named, not an empty box and
    a "Glyph missing from font" warning in the report). Tick labels that seaborn measures as it
    draws need their names made drawable before (:func:`lstm_helpers.style.figure_labels`)."""
    from matplotlib.text import Text

    for text in fig.findobj(Text):
        content = text.get_text()
        if not content.isascii():
            text.set_text(drawable(content))


def _saved_png(figure: Any) -> Path | None:
    """The PNG :func:`save_figure` wrote of ``figure``, while neither has changed since."""
    saved = getattr(figure, "_saved_png", None)
    if saved is None or figure.stale:
        return None
    path, mtime = saved
    try:
        return path if path.stat().st_mtime_ns == mtime else None
    except OSError:
        return None


def show_figure(figure: Any, name: str | None = None) -> Any:
    """An image for notebook display of a figure, a saved PNG, or a stage result's figure.

    Parameters
    ----------
    figure : matplotlib Figure, path of a PNG, or a stage result with ``figure_paths``
        A Figure is rendered to PNG in memory; a path is shown exactly as written; a
        result dict (e.g. of :func:`lstm_helpers.judge.evaluation.run_evaluation`) with
        ``name`` shows ``result["figure_paths"][name]``.
    name : str, optional
        The figure's name, when ``figure`` is a result dict.

    Returns
    -------
    IPython.display.Image, or a short message (:class:`NotDrawn`, a str) when that figure
    was not drawn.
    """
    from IPython.display import Image

    if isinstance(figure, Mapping):
        if name is None:
            raise ValueError("show_figure(result, name): name the figure to show, e.g. 'pr_curve'")
        paths = figure.get("figure_paths") or {}
        path = paths.get(name)
        if path is None or not Path(path).is_file():
            drawn = ", ".join(sorted(paths)) or "none"
            return NotDrawn(f"figure {name!r} was not drawn for this run (drawn: {drawn})")
        return Image(filename=str(path), metadata={"alt": _words(name)})
    if isinstance(figure, str | Path):
        if not Path(figure).is_file():
            raise FileNotFoundError(f"{figure} does not exist; draw the figure first")
        return Image(filename=str(figure), metadata={"alt": _words(Path(figure).stem)})
    if not hasattr(figure, "savefig"):
        raise TypeError(f"show_figure needs a matplotlib Figure, a PNG path or a result dict, got {type(figure)}")
    saved = _saved_png(figure)
    if saved is not None:  # the same pixels, already drawn and written by save_figure
        return Image(filename=str(saved), metadata={"alt": _figure_title(figure)})
    drawable_texts(figure)
    buf = io.BytesIO()
    figure.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", pil_kwargs=PNG_OPTIONS)
    return Image(data=buf.getvalue(), format="png", metadata={"alt": _figure_title(figure)})


def _words(name: str) -> str:
    """``pr_curve`` -> ``pr curve``: a figure's file name as the image's alternative text."""
    return name.replace("_", " ").replace("-", " ")


def _figure_title(figure: Any) -> str:
    """A Figure's alternative text for the HTML reports: its title, else its panels' titles."""
    sup = getattr(figure, "_suptitle", None)
    titles = [sup.get_text()] if sup is not None and sup.get_text() else []
    titles += [ax.get_title() for ax in getattr(figure, "axes", []) if ax.get_title()]
    return "; ".join(dict.fromkeys(titles))[:300] or "figure"


def show_notes(notes: list[str]) -> Any:
    """A bulleted list of plain-language notes for notebook display (HTML, escaped, so a
    note's underscores and quotes read as written), or a line saying there are none."""
    import html

    from IPython.display import HTML

    if not notes:
        return HTML("<p>Nothing to flag.</p>")
    return HTML("<ul>" + "".join(f"<li>{html.escape(note)}</li>" for note in notes) + "</ul>")


def brief_user_errors() -> None:
    """In a notebook, show the workbench's errors about what the user gave it (parameters,
    data, files: ``ConfigError``, ``DataError``, ``UnreadableFile``) as their message, the
    way the command line prints them, not as a traceback through the package; any other
    exception (a bug) keeps its full traceback. The cell still fails: "Run All" and papermill
    stop there, and papermill's error carries the same name and message. ``%debug`` still
    opens the traceback. Outside IPython this does nothing.

    Written by hand: IPython's ``set_custom_exc`` calls a handler but does not show what it
    returns, so the handler shows the short form through the shell's ``_showtraceback`` (the
    method ipykernel overrides to send the error to the notebook).
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    import sys
    import traceback

    from lstm_helpers.artifacts import UnreadableFile
    from lstm_helpers.config import ConfigError
    from lstm_helpers.data.recordings import DataError

    def handler(ip: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None) -> None:
        sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb  # for %debug
        if hasattr(sys, "last_exc"):
            sys.last_exc = value
        frames = traceback.extract_tb(tb)
        where = ""
        if frames:
            last = frames[-1]
            module = Path(last.filename).as_posix().rsplit("/lstm_helpers/", 1)[-1]
            where = f"\n(raised in lstm_helpers/{module}, line {last.lineno}; %debug shows the traceback)"
        ip._showtraceback(etype, value, [f"\x1b[0;31m{etype.__name__}\x1b[0m: {value}{where}"])

    shell.set_custom_exc((ConfigError, DataError, UnreadableFile), handler)
