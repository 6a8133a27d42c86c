"""Figures of a run with 10-14 classes, long and emoji class names (a reviewer's gesture data):
the confusion matrix read at 1280x720, the PR curves drew the 10 most frequent of 13 classes
(none of the rare ones) under their legend, the example windows never showed a class of
interest, tick labels ran into the next panel, and the report showed matplotlib's "Glyph
128075 missing from font" and "Tight layout not applied" warnings."""

from __future__ import annotations

import os
import warnings

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pytest

from lstm_helpers import style
from lstm_helpers.data import plots as data_plots
from lstm_helpers.judge import plots

LONG = "Zeigefinger-Kreis gegen den Uhrzeigersinn (langsam, beidhändig)"
NAMES = [LONG, "circle ↻ clockwise", "double tap", "new gesture (test only)", "pinch", "rare flick",
         "rare knock", "shake", "swipe left", "swipe right", "tap", "wave \N{WAVING HAND SIGN}", "zoom out"]  # fmt: skip
RARE = ("rare flick", "rare knock")
RNG = np.random.default_rng(3)
# test windows per class: the two rare classes 2 each, 'shake' 4, the others 8 (a test-only class 10)
SUPPORT = np.array([8, 8, 8, 10, 8, 2, 2, 4, 8, 8, 8, 8, 8])


def _labels(y_support: np.ndarray = SUPPORT) -> tuple[np.ndarray, np.ndarray]:
    y = np.repeat(np.arange(len(y_support)), y_support)
    probs = RNG.dirichlet(np.ones(len(y_support)), size=len(y))
    probs[np.arange(len(y)), y] += 0.3
    return y, probs / probs.sum(axis=1, keepdims=True)


def _no_warnings(draw, *args, **kwargs):
    """``draw(*args, **kwargs)``, its figure saved as PNG, with no warning on the way (what the
    report's "Warnings" boxes showed)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = draw(*args, **kwargs)
        fig.canvas.draw()
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert not messages, messages
    return fig


def _bbox(artist, renderer):
    return artist.get_window_extent(renderer)


def test_figure_labels_cut_long_names_and_name_missing_glyphs():
    labels = style.figure_labels(NAMES)
    assert all(len(t) <= style.FIGURE_LABEL_CHARS for t in labels)
    assert labels[0].endswith("…") and labels[0].startswith("Zeigefinger")
    assert labels[11] == "wave :waving hand:" and labels[1] == "circle ↻ clockwise"  # ↻ is in DejaVu Sans
    assert style.drawable("\N{THUMBS UP SIGN} ok") == ":thumbs up: ok" and style.drawable("plain") == "plain"


def test_confusion_matrix_of_13_classes_reads_at_1280x720(tmp_path):
    y, probs = _labels()
    cm = np.zeros((13, 13), int)
    np.add.at(cm, (y, probs.argmax(axis=1)), 1)
    fig = _no_warnings(plots.plot_confusion_matrix, cm, NAMES, path=tmp_path / "cm.png", title="Test confusion matrix")
    assert len(fig.axes) == 2  # one matrix and its colour bar, not two 13-class panels side by side
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks == style.figure_labels(NAMES) and ticks[0].endswith("…") and ":waving hand:" in ticks[11]
    assert all(t.get_fontsize() >= 12 for t in ax.get_yticklabels())
    # the report shows it at most 470 px high (report.css, hero): 12 pt ticks at >= 8 px there
    width, height = fig.get_size_inches() * fig.dpi
    assert 12 * fig.dpi / 72 * min(1.0, 470 / height) >= 8, (width, height)
    # annotations: the non-zero counts only, each inside its cell
    assert sorted(int(t.get_text()) for t in ax.texts if t.get_text()) == sorted(cm[cm > 0].tolist())
    renderer = fig.canvas.get_renderer()
    assert _bbox(fig._suptitle, renderer).y0 >= _bbox(ax.title, renderer).y1 - 1  # the title clear of the panel's
    # more classes, a larger figure; counts too wide for a cell are left off
    big = _no_warnings(plots.plot_confusion_matrix, np.diag(np.full(18, 1_000_000)), [f"c{i}" for i in range(18)])
    assert big.get_size_inches()[1] > fig.get_size_inches()[1] - 1 and not big.axes[0].texts  # 7 digits
    assert (
        big.get_size_inches()[0] > plots.plot_confusion_matrix(np.eye(10, dtype=int), NAMES[:10]).get_size_inches()[0]
    )


def test_pr_curves_without_a_class_of_interest_draw_the_rare_classes_beside_their_legend(tmp_path):
    y, probs = _labels()
    fig = _no_warnings(plots.plot_pr_curve, y, probs, classes=NAMES, path=tmp_path / "pr.png")
    ax = fig.axes[0]
    drawn = [line.get_label().rsplit(" (", 1)[0] for line in ax.lines]
    assert set(RARE) | {"shake"} <= set(drawn) and len(drawn) == plots.MAX_CURVES
    assert "new gesture (test…" not in drawn  # the most frequent in test is left out first
    title = ax.get_title()
    assert "the 10 rarest of 13 classes" in title and "left out, the most frequent: 'new gesture" in title
    renderer = fig.canvas.get_renderer()
    assert _bbox(ax.get_legend(), renderer).x0 >= _bbox(ax, renderer).x1  # beside the axes, not over the curves
    # the classes of interest are drawn whatever their frequency, and said so
    keep = ["tap", "new gesture (test only)"]
    fig = _no_warnings(plots.plot_roc_curve, y, probs, classes=NAMES, keep=keep)
    drawn = [line.get_label().rsplit(" (", 1)[0] for line in fig.axes[0].lines if line.get_label() != "chance"]
    assert set(style.figure_labels(keep)) | set(RARE) <= set(drawn) and len(drawn) == plots.MAX_CURVES
    assert "the 2 of interest and 8 rarest of 13 classes" in fig.axes[0].get_title()
    assert plots.curve_classes(y, NAMES, 20)[1] == []  # all fit: none left out, no note


def test_example_windows_show_the_classes_of_interest_first_with_short_titles(tmp_path):
    y = np.repeat(np.arange(13), [24, 24, 24, 0, 24, 3, 3, 12, 24, 24, 24, 24, 24])
    X = RNG.normal(size=(len(y), 30, 3))
    fig = _no_warnings(
        data_plots.plot_example_windows, X, y, NAMES, path=tmp_path / "w.png", title="Training windows per class",
        interest=list(RARE),
    )  # fmt: skip
    shown = [ax.get_title().split(" (#")[0] for ax in fig.axes if ax.get_title()]
    assert shown[:4] == ["rare flick", "rare flick", "rare knock", "rare knock"], shown
    assert "(the 2 of interest and the 6 most frequent of the 12 classes in these windows)" in fig._suptitle.get_text()
    renderer = fig.canvas.get_renderer()
    titles = [ax.title for ax in fig.axes if ax.get_title()]
    for a, b in zip(titles, titles[1:], strict=False):  # neighbouring panels' titles do not run into each other
        if abs(_bbox(a, renderer).y0 - _bbox(b, renderer).y0) < 1:
            assert _bbox(a, renderer).x1 <= _bbox(b, renderer).x0, (a.get_text(), b.get_text())
    without = data_plots.plot_example_windows(X, y, NAMES)
    assert "(8 most frequent of the 12 classes in these windows)" in without._suptitle.get_text()


@pytest.mark.parametrize("splits", [("train", "val", "test"), ("train",)])
def test_class_distribution_ticks_stay_in_their_panel(tmp_path, splits):
    counts = {
        s: {"before": {n: int(c) for n, c in zip(NAMES, SUPPORT * (i + 1), strict=True)}} for i, s in enumerate(splits)
    }
    fig = _no_warnings(data_plots.plot_class_distribution, counts, path=tmp_path / "d.png")
    renderer = fig.canvas.get_renderer()
    for upper, lower in zip(fig.axes, fig.axes[1:], strict=False):  # one split per row
        bottom = min(_bbox(t, renderer).y0 for t in upper.get_xticklabels())
        assert bottom >= _bbox(lower.title, renderer).y1, "tick labels run into the next panel"
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert max(map(len, ticks)) <= style.FIGURE_LABEL_CHARS and "wave :waving hand:" in ticks
    assert {t.get_rotation() for t in fig.axes[0].get_xticklabels()} == {45.0}


def test_few_long_class_names_side_by_side_are_slanted():
    names = ["double tap", "pinch", "shake", "new gesture (test only)", LONG]  # the long name at the right
    counts = {s: {"before": {n: 5 for n in names}} for s in ("train", "val", "test")}
    fig = _no_warnings(data_plots.plot_class_distribution, counts)
    renderer = fig.canvas.get_renderer()
    for left, right in zip(fig.axes, fig.axes[1:], strict=False):  # one split per column
        assert max(_bbox(t, renderer).x1 for t in left.get_xticklabels()) <= _bbox(right, renderer).x0 + 1
    short = data_plots.plot_class_distribution({"train": {"before": {"a": 3, "b": 5}}})
    assert {t.get_rotation() for t in short.axes[0].get_xticklabels()} == {0.0}


def test_figures_are_laid_out_without_warnings():
    """Constrained layout, not tight_layout: "Tight layout not applied" was a warning in the report."""
    y, probs = _labels()
    fig = _no_warnings(
        plots.plot_score_distributions, y, probs[:, 5], NAMES, threshold=0.3, score_label="P(rare flick)"
    )
    assert type(fig.get_layout_engine()).__name__ == "ConstrainedLayoutEngine"
    assert "wave :waving hand:" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    fig = _no_warnings(plots.plot_top_confusions, np.ones((13, 13), int), NAMES, n=5)
    assert all(len(t.get_text()) < 2 * style.FIGURE_LABEL_CHARS + 10 for t in fig.axes[0].get_yticklabels())
