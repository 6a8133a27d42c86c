"""Every class over one test recording's time (lstm_helpers.judge.class_timeline): which
recording is drawn, which part of it, and what the bands hold."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_helpers.judge import class_timeline as ct
from lstm_helpers.judge.figures import TIMELINE_EXCERPT_SECONDS


def test_the_recording_with_the_most_timesteps_predicted_wrong_is_drawn():
    labels = {"a": np.array([0, 1, 2, 2, -1]), "b": np.array([0, 0, 1, 1]), "c": np.array([2, 2])}
    predicted = {"a": np.array([0, 1, 1, 2, 0]), "b": np.array([1, 1, 0, -1]), "c": np.array([2, 2])}
    # a: 1 wrong (the unlabelled step is not scored); b: 3 wrong (its uncovered step is not scored)
    assert ct.choose_recording(labels, predicted) == "b"
    # no errors anywhere: the most scored timesteps, then the name
    assert (
        ct.choose_recording(
            {"x": np.zeros(3, int), "y": np.zeros(5, int)}, {"x": np.zeros(3, int), "y": np.zeros(5, int)}
        )
        == "y"
    )
    assert ct.choose_recording({"x": np.full(3, -1)}, {"x": np.zeros(3, int)}) is None


def test_a_long_recording_is_drawn_from_just_before_its_first_error():
    rate = 10.0
    n = int(3600 * rate)
    lab = np.zeros(n, dtype=np.int64)
    pred = lab.copy()
    pred[int(1500 * rate) : int(1510 * rate)] = 2
    a, b = ct.excerpt(lab, pred, rate)
    assert (a / rate, b / rate) == (1500 - TIMELINE_EXCERPT_SECONDS / 10, 1500 - 30 + TIMELINE_EXCERPT_SECONDS)
    assert ct.excerpt(lab[:600], pred[:600], rate) == (0, 600)  # a minute: whole
    assert ct.excerpt(lab, pred, None) == (0, n)  # no sample rate: whole


def test_bands_hold_true_and_predicted_classes_and_where_they_differ(tmp_path):
    lab = np.array([0, 0, 1, 1, 2, 2, -1, 3])
    pred = np.array([0, 1, 1, 1, 2, 0, 2, -1])
    fig = ct.plot_class_timeline(lab, pred, ["rest", "walk", "run", "groom"], 5.0, path=tmp_path / "ct.png")
    image = np.asarray(fig.axes[0].images[0].get_array())
    colours = fig.axes[0].images[0].get_cmap().colors
    # colour index: 0 no label / no window, 1.. the classes in order, then others, agree, differs
    assert image[0].tolist() == [1, 1, 2, 2, 3, 3, 0, 4]
    assert image[1].tolist() == [1, 2, 2, 2, 3, 1, 3, 0]
    differs = [colours[i] == ct.DIFFERS_COLOUR for i in image[2]]
    assert differs == [False, True, False, False, False, True, False, False]  # unscored steps never differ
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["rest", "walk", "run", "groom", "no label / no window", "differs"]
    assert fig.axes[0].get_xlim() == (0.0, 8 / 5.0) and (tmp_path / "ct.png").is_file()
    with pytest.raises(ValueError, match="same length"):
        ct.plot_class_timeline(lab, pred[:-1], ["a", "b", "c", "d"])


def test_past_18_classes_the_most_present_keep_their_colours_and_the_rest_share_grey():
    n_classes = 25
    lab = np.repeat(np.arange(n_classes), np.arange(1, n_classes + 1))  # class k holds k + 1 steps
    fig = ct.plot_class_timeline(lab, lab, [f"c{k}" for k in range(n_classes)])
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[: ct.MAX_COLOURED - 1] == [f"c{k}" for k in range(8, 25)]  # 17 most present, in class order
    assert legend[ct.MAX_COLOURED - 1] == "8 other classes"
    image = np.asarray(fig.axes[0].images[0].get_array())
    colours = fig.axes[0].images[0].get_cmap().colors
    assert {colours[i] for i in image[0][lab < 8]} == {ct.OTHER_COLOUR}
    assert len({colours[i] for i in image[0][lab >= 8]}) == ct.MAX_COLOURED - 1


def test_draw_class_timeline_titles_the_agreement_and_honours_the_chosen_recording(tmp_path):
    timeline = {
        "labels": {"r1": np.array([0, 1, 2, 2]), "r2": np.array([0, 0, 1, 1])},
        "predicted": {"r1": np.array([0, 1, 2, 2]), "r2": np.array([1, 1, 1, 1])},
        "sample_rate": 2.0,
    }
    classes = ["a", "b", "c"]
    fig = ct.draw_class_timeline(tmp_path / "x.png", timeline, classes)
    assert fig._suptitle.get_text().startswith(
        "Test recording r2: the predicted class is the true one on 50% of 4 scored"
    )
    fig = ct.draw_class_timeline(tmp_path / "y.png", timeline, classes, chosen="r1")
    assert "Test recording r1:" in fig._suptitle.get_text() and "100%" in fig._suptitle.get_text()
    nothing = {"labels": {"r": np.full(3, -1)}, "predicted": {"r": np.zeros(3, int)}, "sample_rate": None}
    assert ct.draw_class_timeline(tmp_path / "z.png", nothing, classes) is None


def test_no_two_classes_drawn_share_a_colour():
    """22 gesture classes: the 17 coloured ones took tab20's colours by class index, modulo
    18, so classes 0 and 18 were drawn in the same blue."""
    steps = np.full(20, 10)
    steps[1:4] = 1  # the three least present share the grey
    lab = np.repeat(np.arange(20), steps)
    fig = ct.plot_class_timeline(lab, lab, [f"g{k}" for k in range(20)])
    image = np.asarray(fig.axes[0].images[0].get_array())
    colours = fig.axes[0].images[0].get_cmap().colors
    drawn = {k: colours[image[0][lab == k][0]] for k in range(20)}
    assert drawn[0] != drawn[18] and len({drawn[k] for k in drawn if k not in (1, 2, 3)}) == 17


def test_a_chosen_recording_without_a_scored_timestep_gives_way_to_one_with_errors(tmp_path):
    """evaluate.timeline_recording naming a recording whose steps are all unlabelled drew an
    empty figure titled "... on nan% of 0 scored timesteps"."""
    timeline = {
        "labels": {"empty": np.full(4, -1), "r2": np.array([0, 0, 1, 1])},
        "predicted": {"empty": np.zeros(4, int), "r2": np.array([1, 1, 1, 1])},
        "sample_rate": None,
    }
    fig = ct.draw_class_timeline(tmp_path / "x.png", timeline, ["a", "b", "c"], chosen="empty")
    assert fig._suptitle.get_text().startswith("Test recording r2: ")
