"""Tests of the figures: lstm_helpers.judge.plots (evaluation), lstm_helpers.data.plots (prepare),
lstm_helpers.model.plots_training (learning curves) and lstm_helpers.display (save / show)."""

from __future__ import annotations

import os
import subprocess
import sys

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from lstm_helpers.data import plots as data_plots
from lstm_helpers.display import show_figure
from lstm_helpers.judge import plots
from lstm_helpers.judge.threshold import compare_threshold_strategies, rates_at
from lstm_helpers.model import plots_training

RNG = np.random.default_rng(0)
Y_BIN = np.array([0] * 40 + [1] * 10)
S_BIN = np.clip(0.3 * Y_BIN + RNG.uniform(0, 0.7, 50), 0, 1)
HISTORY = pd.DataFrame(
    {
        "epoch": [1, 2, 3],
        "loss": [0.9, 0.6, 0.5],
        "val_loss": [0.8, 0.7, 0.75],
        "pr_auc": [0.3, 0.5, 0.6],
        "val_pr_auc": [0.25, 0.45, 0.4],
        "lr": [1e-3, 1e-3, 5e-4],
    }
)


def _check(fig, path):
    """The figure was returned and saved as a PNG that is not blank."""
    from matplotlib.image import imread

    assert isinstance(fig, Figure)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = imread(path)
    assert pixels.shape[0] > 100 and pixels.shape[1] > 100 and pixels[..., :3].std() > 0.01


def test_evaluation_plots_save_pngs(tmp_path):
    classes = ["other", "play"]
    _check(
        plots.plot_confusion_matrix([[30, 10], [2, 8]], classes, path=tmp_path / "cm.png"),
        tmp_path / "cm.png",
    )
    _check(
        plots.plot_pr_curve(Y_BIN, S_BIN, threshold=0.5, positive_label="play", path=tmp_path / "pr.png"),
        tmp_path / "pr.png",
    )
    _check(
        plots.plot_roc_curve(Y_BIN, S_BIN, threshold=0.5, path=tmp_path / "roc.png"),
        tmp_path / "roc.png",
    )
    _check(
        plots.plot_score_distributions(Y_BIN, S_BIN, classes, threshold=0.5, path=tmp_path / "d.png"),
        tmp_path / "d.png",
    )
    _check(
        plots.plot_metric_vs_threshold(Y_BIN, S_BIN, threshold=0.5, path=tmp_path / "m" / "t.png"),
        tmp_path / "m" / "t.png",
    )


def test_metric_vs_threshold_reads_the_figures_a_threshold_between_scores_gives():
    """Between two observed scores the curves hold the figures of the higher one: at 0.5 here
    the windows scored 0.6 and 0.9 are positive (precision 0.5, recall 0.5). A line drawn
    straight from 0.4 (precision 2/3) to 0.6 would read 0.58 there."""
    fig = plots.plot_metric_vs_threshold(np.array([0, 1, 0, 1]), np.array([0.1, 0.4, 0.6, 0.9]), threshold=0.5)
    lines = {ln.get_label(): ln for ln in fig.axes[0].lines}

    def read(label: str, t: float) -> float:
        path = lines[label].get_path()  # the drawn vertices, steps included
        x, y = path.vertices[:, 0], path.vertices[:, 1]
        return float(np.interp(t, x, y))  # on a step the drawing is flat between scores

    assert read("precision", 0.5) == pytest.approx(0.5)
    assert read("recall", 0.5) == pytest.approx(0.5)
    assert read("F1", 0.5) == pytest.approx(0.5)
    assert read("precision", 0.3) == pytest.approx(2 / 3)


def test_confusion_matrix_labels_and_annotations():
    fig = plots.plot_confusion_matrix(np.array([[5, 2], [1, 2]]), ["other", "play"])
    counts_ax, norm_ax = fig.axes[:2]
    assert [t.get_text() for t in counts_ax.get_xticklabels()] == ["other", "play"]
    assert [t.get_text() for t in counts_ax.texts] == ["5", "2", "1", "2"]
    assert [t.get_text() for t in norm_ax.texts] == ["0.71", "0.29", "0.33", "0.67"]
    with pytest.raises(ValueError, match="expected \\(3, 3\\)"):
        plots.plot_confusion_matrix(np.eye(2), ["a", "b", "c"])


def test_multiclass_curves(tmp_path):
    y = np.repeat([0, 1, 2], 10)
    probs = RNG.dirichlet(np.ones(3), size=30)
    _check(
        plots.plot_pr_curve(y, probs, classes=["a", "b", "c"], path=tmp_path / "pr.png"),
        tmp_path / "pr.png",
    )
    fig = plots.plot_roc_curve(y, probs, classes=["a", "b", "c"])
    assert len(fig.axes[0].lines) == 4  # three classes + chance
    with pytest.raises(ValueError, match="need classes"):
        plots.plot_pr_curve(y, probs)
    with pytest.raises(ValueError, match="both positive and negative"):
        plots.plot_pr_curve(np.zeros(5), np.linspace(0, 1, 5))


def test_timeline(tmp_path):
    score = np.full(100, np.nan)
    score[10:] = np.linspace(0, 1, 90)
    fig = plots.plot_timeline(
        score,
        0.5,
        true_bouts=[[20, 40]],
        pred_bouts=[[25, 45], [80, 90]],
        signal=RNG.normal(size=(100, 2)),
        channel_names=["acc_x", "acc_y"],
        sample_rate_hz=25,
        class_name="play",
        path=tmp_path / "tl.png",
    )
    _check(fig, tmp_path / "tl.png")
    assert len(fig.axes) == 2 and fig.axes[1].get_xlabel() == "Time (s)"
    assert len(fig.axes[1].patches) == 3  # one true, two predicted spans
    with pytest.raises(ValueError, match="signal has 50 timesteps"):
        plots.plot_timeline(score, signal=np.zeros(50))


def test_general_plots(tmp_path):
    counts = {
        "train": {"before": {"other": 100, "play": 10}, "after": {"other": 50, "play": 10}},
        "test": {"before": {"other": 30, "play": 3}},
    }
    fig = data_plots.plot_class_distribution(counts, path=tmp_path / "c.png")
    _check(fig, tmp_path / "c.png")
    assert [ax.get_title() for ax in fig.axes] == ["train", "test"]
    assert len(fig.axes[0].containers) == 2  # before and after
    same = {"train": {"before": {"other": 100, "play": 10}, "after": {"other": 100, "play": 10}}}
    weighted = data_plots.plot_class_distribution(same)  # class weights: nothing resampled, one set of bars
    assert len(weighted.axes[0].containers) == 1 and "before / after" not in weighted._suptitle.get_text()
    with pytest.raises(ValueError, match="counts\\['train'\\]"):
        data_plots.plot_class_distribution({"train": 3})
    X = RNG.normal(size=(12, 20, 3))
    y = np.repeat([0, 1, 2], 4)
    fig = data_plots.plot_example_windows(
        X, y, ["a", "b", "c"], n_per_class=2, channels=[0, 2], path=tmp_path / "w.png"
    )
    _check(fig, tmp_path / "w.png")
    assert len(fig.axes) == 6 and len(fig.axes[0].lines) == 2
    with pytest.raises(ValueError, match="channels \\[5\\] out of range"):
        data_plots.plot_example_windows(X, y, ["a", "b", "c"], channels=[5])
    many = np.r_[np.repeat(np.arange(52), 2), [7, 7, 40]]  # 52 classes (UCR's PigCVP); 7 and 40 more frequent
    fig = data_plots.plot_example_windows(RNG.normal(size=(len(many), 30)), many, [str(k + 1) for k in range(52)])
    assert sum(ax.axison for ax in fig.axes) == 16 and fig.get_size_inches()[1] < 20  # 8 classes of 2, not 52
    assert "(8 most frequent of the 52 classes in these windows)" in fig._suptitle.get_text()
    assert {ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()} >= {"8", "41"}


@pytest.mark.parametrize("k", [2, 3, 5, 8])
def test_example_windows_read_at_half_size_or_more_in_a_report(k):
    """The report shows a figure at most 1200 px wide and 560 px high (report.css): one row per
    class drew 5 classes 1110 x 1725 px, shown at a third of its size (5 px text)."""
    y = np.repeat(np.arange(k), 3)
    fig = data_plots.plot_example_windows(RNG.normal(size=(len(y), 30, 2)), y, [f"class_{i}" for i in range(k)])
    width, height = fig.get_size_inches() * fig.dpi
    assert min(1200 / width, 560 / height, 1.0) >= 0.5, (width, height)
    assert sum(ax.axison for ax in fig.axes) == 2 * k


def test_learning_curve_plots(tmp_path):
    fig = plots_training.plot_learning_curves(HISTORY, "val_pr_auc", best_epoch=2, path=tmp_path / "lc.png")
    _check(fig, tmp_path / "lc.png")
    assert [ax.get_title() for ax in fig.axes] == ["loss", "pr_auc (monitored)"]
    best = [line for line in fig.axes[1].lines if "kept" in line.get_label()]
    assert best and best[0].get_label() == "weights kept: epoch 2"
    assert len(plots_training.plot_learning_curves(HISTORY, "val_loss").axes) == 1
    fig = plots_training.plot_learning_rate(HISTORY, path=tmp_path / "lr.png")
    _check(fig, tmp_path / "lr.png")
    assert fig.axes[0].get_yscale() == "log"


def test_plots_module_does_not_import_tensorflow():
    code = (
        "import sys, lstm_helpers.judge.plots, lstm_helpers.data.plots, lstm_helpers.display; "
        "print('tensorflow' in sys.modules or 'keras' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert out.stdout.strip() == "False"


def _dot(fig):
    """(x, y) of the threshold's marker on a curve figure."""
    dots = [line for line in fig.axes[0].lines if line.get_marker() == "o"]
    assert len(dots) == 1
    return float(dots[0].get_xdata()[0]), float(dots[0].get_ydata()[0])


@pytest.mark.parametrize("threshold", [0.05, 0.5, 0.65, 0.99])  # 0.99: nothing predicted positive
def test_pr_and_roc_dots_agree_with_the_threshold_table(threshold):
    table = compare_threshold_strategies(Y_BIN, S_BIN, Y_BIN, S_BIN, threshold=threshold, used="fixed").set_index(
        "strategy"
    )
    fixed = table.loc["fixed"]
    rates = rates_at(Y_BIN, S_BIN, threshold)
    recall, precision = _dot(plots.plot_pr_curve(Y_BIN, S_BIN, threshold=threshold))
    assert (precision, recall) == pytest.approx((fixed["test_precision"], fixed["test_recall"]))
    assert (precision, recall) == pytest.approx((fixed["val_precision"], fixed["val_recall"]))
    fpr, tpr = _dot(plots.plot_roc_curve(Y_BIN, S_BIN, threshold=threshold))
    assert (fpr, tpr) == pytest.approx((rates["false_positive_rate"], rates["recall"]))
    if threshold > S_BIN.max():  # sklearn's zero_division=0 convention, everywhere
        assert precision == 0.0 and recall == 0.0 and fpr == 0.0


def test_top_confusions_for_many_classes(tmp_path):
    cm = np.array([[5, 3, 0], [1, 4, 6], [2, 0, 9]])
    table = plots.top_confusions(cm, ["a", "b", "c"], n=3)
    assert table[["true", "predicted", "count"]].values.tolist() == [
        ["b", "c", 6],
        ["a", "b", 3],
        ["c", "a", 2],
    ]
    assert table["share_of_true"].tolist() == pytest.approx([6 / 11, 3 / 8, 2 / 11])
    k = 60
    big = np.diag(np.full(k, 50)) + np.eye(k, k=1, dtype=int) * np.arange(k)[:, None]  # row i: i at column i + 1
    fig = plots.plot_top_confusions(big, [f"c{i}" for i in range(k)], n=20, path=tmp_path / "top.png")
    _check(fig, tmp_path / "top.png")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) == 20 and labels[0] == "'c58' -> 'c59'"  # the largest confusion first


def test_multiclass_curves_draw_the_rarest_classes_only():
    """The 10 most frequent of many classes left out the rare ones a run on imbalanced data is
    about: the rarest are drawn now, and the title names the most frequent left out."""
    k = 30
    y = np.repeat(np.arange(k), np.arange(1, k + 1))  # class i has i + 1 examples
    probs = RNG.dirichlet(np.ones(k), size=len(y)).astype(np.float32)
    names = [f"c{i}" for i in range(k)]
    fig = plots.plot_pr_curve(y, probs, classes=names)
    labels = [line.get_label().split(" ")[0] for line in fig.axes[0].lines]
    assert labels == [f"c{i}" for i in range(plots.MAX_CURVES)]
    title = fig.axes[0].get_title()
    assert f"the {plots.MAX_CURVES} rarest of {k} classes" in title and "'c29', 'c28', 'c27' and 17 more" in title


def test_show_figure_from_a_figure_a_path_and_a_result(tmp_path):
    fig = plots.plot_confusion_matrix([[3, 1], [0, 2]], ["a", "b"], path=tmp_path / "cm.png")
    image = show_figure(fig)
    assert image.format == "png" and image.data[:4] == b"\x89PNG"
    assert show_figure(tmp_path / "cm.png").data == (tmp_path / "cm.png").read_bytes()
    result = {"figure_paths": {"confusion_matrix": tmp_path / "cm.png"}}
    assert show_figure(result, "confusion_matrix").data == (tmp_path / "cm.png").read_bytes()
    assert show_figure(result, "timeline") == ("figure 'timeline' was not drawn for this run (drawn: confusion_matrix)")
    # every image carries alternative text into the HTML report (nbconvert reads it from the metadata)
    assert show_figure(result, "confusion_matrix").metadata == {"alt": "confusion matrix"}
    assert image.metadata["alt"] == "Confusion matrix; Counts; Row-normalised (diagonal = recall)"
    with pytest.raises(ValueError, match="name the figure"):
        show_figure(result)
    with pytest.raises(FileNotFoundError, match="draw the figure first"):
        show_figure(tmp_path / "missing.png")


def test_show_figure_of_a_saved_figure_shows_its_file_until_either_changes(tmp_path, monkeypatch):
    """Issue 12: a figure drawn with ``path=`` is not drawn a second time for the notebook."""
    from matplotlib.figure import Figure

    fig = plots.plot_confusion_matrix([[3, 1], [0, 2]], ["a", "b"], path=tmp_path / "cm.png")
    drawn = []
    original = Figure.savefig
    monkeypatch.setattr(Figure, "savefig", lambda self, *a, **k: drawn.append(1) or original(self, *a, **k))
    image = show_figure(fig)
    assert drawn == [] and image.data == (tmp_path / "cm.png").read_bytes()
    assert image.metadata["alt"].startswith("Confusion matrix")
    fig.axes[0].set_title("changed after saving")  # a later change is drawn, not the stale file
    assert show_figure(fig).data != (tmp_path / "cm.png").read_bytes() and drawn == [1]
    fig = plots.plot_confusion_matrix([[3, 1], [0, 2]], ["a", "b"], path=tmp_path / "cm2.png")
    (tmp_path / "cm2.png").write_bytes(b"\x89PNG other")  # the file was replaced meanwhile
    assert show_figure(fig).data != b"\x89PNG other"


def test_class_distribution_of_a_character_model_is_readable(tmp_path):
    """62 character classes overlapped: the 25 most frequent are drawn, one split per row,
    whitespace classes visible, counts left off the bars."""
    import string

    from lstm_helpers.data.plots import plot_class_distribution

    chars = [" ", "\n", *string.ascii_letters]
    per = {c: (1000 if c == " " else 10 + i) for i, c in enumerate(chars)}
    fig = plot_class_distribution({s: {"before": per} for s in ("train", "val", "test")}, path=tmp_path / "d.png")
    assert "(25 most frequent of the 54 classes with windows)" in fig._suptitle.get_text()
    assert [ax.get_title() for ax in fig.axes] == ["train", "val", "test"]  # one split per row
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert len(ticks) == 25 and ticks[0] == "␣" and "" not in ticks  # the most frequent first, visible
    assert list(fig.axes[0].texts) == []  # no counts written on 25 narrow bars


def test_a_one_epoch_run_has_whole_epoch_ticks():
    """With one epoch the learning-curve and learning-rate axes read 0.945 ... 1.050."""
    import pandas as pd

    from lstm_helpers.model.plots_training import plot_learning_curves, plot_learning_rate

    history = pd.DataFrame({"epoch": [1], "loss": [0.5], "val_loss": [0.6], "lr": [1e-3]})
    for fig in (plot_learning_curves(history, "val_loss", 1), plot_learning_rate(history)):
        ticks = fig.axes[0].get_xticks()
        assert len(ticks) and all(float(t).is_integer() for t in ticks), ticks


@pytest.mark.parametrize("threshold", [0.667, 0.2])
def test_the_threshold_label_sits_inside_the_score_distribution_clear_of_title_and_legend(threshold):
    """The red "threshold 0.667" was written above the axes, over the plot's title."""
    fig = plots.plot_score_distributions(Y_BIN, S_BIN, ["other", "play"], threshold=threshold)
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    (label,) = [t for t in ax.texts if t.get_text().strip().startswith("threshold")]
    box = label.get_window_extent(renderer)
    assert ax.bbox.x0 <= box.x0 and box.x1 <= ax.bbox.x1 and ax.bbox.y0 <= box.y0 and box.y1 <= ax.bbox.y1
    assert not box.overlaps(ax.title.get_window_extent(renderer))
    assert not box.overlaps(ax.get_legend().get_window_extent(renderer))


def test_token_windows_are_drawn_as_ids_per_step_without_their_padding():
    """A token run's example windows drew model ids as line charts, the padding as drops to 0."""
    import numpy as np

    from lstm_helpers.data.plots import plot_example_windows

    X = np.array([[5, 3, 9, 0, 0], [2, 2, 0, 0, 0], [4, 7, 7, 6, 0], [3, 0, 0, 0, 0]], np.int32)
    fig = plot_example_windows(X, np.array([0, 0, 1, 1]), ["a", "b"], tokens=True)
    drawn = [line for ax in fig.axes for line in ax.get_lines()]
    assert drawn and all(line.get_linestyle() == "None" and line.get_marker() == "." for line in drawn)
    assert all(np.isnan(line.get_ydata()[-1]) for line in drawn)  # every case ends in padding: not drawn
    lines = [line for ax in plot_example_windows(X, np.array([0, 0, 1, 1]), ["a", "b"]).axes for line in ax.get_lines()]
    assert all(line.get_linestyle() == "-" for line in lines)  # real-valued windows keep their lines


def test_example_windows_of_a_character_model_name_whitespace_classes_visibly():
    """The space and newline classes' panels were titled ' (window 584)' and broke onto two lines."""
    from lstm_helpers.data.plots import plot_example_windows

    X = np.array([[5, 3, 9], [2, 2, 4], [4, 7, 7]], np.int32)
    fig = plot_example_windows(X, np.array([0, 1, 2]), [" ", "\n", "a"], tokens=True, seed=0)
    titles = sorted(ax.get_title() for ax in fig.axes if ax.get_title())
    assert [t.split(" (")[0] for t in titles] == ["a", "↵", "␣"], titles
    assert {ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()} == {"a", "↵", "␣"}


def test_masked_sequence_windows_leave_their_padding_out():
    """A masked run's example windows drew each case's padding (``mask_value`` in every channel,
    which the model's mask skips) as a flat line out to the padded length; it is left out now,
    as for tokens. A real step with one channel at the mask value is kept."""
    import numpy as np

    from lstm_helpers.data.plots import plot_example_windows

    lengths = np.array([3, 6, 4, 5])
    X = np.arange(4 * 6 * 2, dtype=np.float32).reshape(4, 6, 2) + 1
    X[np.arange(6)[None, :] >= lengths[:, None]] = -1.0
    X[0, 1, 0] = -1.0  # real: the other channel is not the mask value
    fig = plot_example_windows(X, np.array([0, 0, 1, 1]), ["a", "b"], mask_value=-1.0, seed=1)
    drawn = [line.get_ydata() for ax in fig.axes for line in ax.get_lines()]
    assert len(drawn) == 8  # 2 cases x 2 classes x 2 channels
    real = sorted(int(np.isfinite(y).sum()) for y in drawn)
    assert real == sorted(np.repeat(lengths, 2).tolist())  # each line ends where its case does
    assert all(np.isnan(y[np.isfinite(y).sum() :]).all() for y in drawn)  # padding not drawn, only after the case
    assert any((y == -1.0).any() for y in drawn)  # the real step at the mask value in one channel stays
    unmasked = plot_example_windows(X, np.array([0, 0, 1, 1]), ["a", "b"])  # no mask: every step drawn
    assert all(np.isfinite(line.get_ydata()).all() for ax in unmasked.axes for line in ax.get_lines())


def test_the_learning_rate_per_epoch_is_drawn_as_steps_not_slopes():
    """A plateau reduction (epoch 4 at 0.002, epoch 5 at 0.001) was a line sloping between the
    two epochs' points although the figure's text says reductions show as steps."""
    from matplotlib.patches import StepPatch

    history = pd.DataFrame({"epoch": [1, 2, 3, 4, 5], "lr": [0.004, 0.004, 0.002, 0.002, 0.001]})
    ax = plots_training.plot_learning_rate(history).axes[0]
    steps = [p for p in ax.patches if isinstance(p, StepPatch)]
    assert len(steps) == 1 and steps[0].get_label() == "per epoch"
    values, edges, _ = steps[0].get_data()
    np.testing.assert_allclose(values, history["lr"])  # epoch k's rate holds from k - 1 to k
    np.testing.assert_allclose(edges, [0, 1, 2, 3, 4, 5])
    assert all(len(line.get_xdata()) < 2 or line.get_linestyle() == "None" for line in ax.lines)  # no sloped line
