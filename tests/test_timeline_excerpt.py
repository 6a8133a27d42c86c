"""The timeline figure of a long test recording is an excerpt from its first error: an hour drawn
whole at 1,280 px made 2-6 s bouts hairlines and its false alarms invisible (a large-data review)."""

import numpy as np

from lstm_helpers.judge import plots
from lstm_helpers.judge.bouts import match_bouts
from lstm_helpers.judge.figures import TIMELINE_EXCERPT_SECONDS, _within, timeline_excerpt


def test_a_long_recording_is_drawn_from_its_first_error_a_short_one_whole():
    rate, n = 50.0, 3600 * 50
    true = [[60_000, 60_200], [90_000, 90_250]]  # bouts at 1,200 s and 1,800 s
    res = match_bouts(true, [[60_000, 60_200], [75_000, 75_100]], rate, collar_steps=100)  # a false alarm at 1,500 s
    assert (res["n_found"], res["n_false_alarms"]) == (1, 1)
    a, b = timeline_excerpt(n, rate, res)  # the first error: the false alarm at 1,500 s (the missed bout is later)
    assert (a / rate, b / rate) == (1500 - TIMELINE_EXCERPT_SECONDS / 10, 1500 - 30 + TIMELINE_EXCERPT_SECONDS)
    clean = match_bouts(true, true, rate)  # no error: from the first true bout
    assert timeline_excerpt(n, rate, clean)[0] / rate == 1200 - 30
    assert timeline_excerpt(600 * 50, rate, res) == (0, 600 * 50)  # ten minutes: whole
    assert timeline_excerpt(n, None, res) == (0, n)  # no sample rate: timesteps, whole
    late = match_bouts([[n - 100, n - 50]], [], rate)  # an error near the end: the excerpt ends there
    assert timeline_excerpt(n, rate, late) == (n - int(TIMELINE_EXCERPT_SECONDS * rate), n)


def test_bouts_are_cut_to_the_excerpt_and_the_axis_keeps_the_recordings_time():
    cut = _within([[0, 100], [950, 1050], [2000, 2100]], 1000, 1500)
    assert cut.tolist() == [[0, 50]]
    score = np.linspace(0, 1, 500)
    fig = plots.plot_timeline(score, true_bouts=cut, sample_rate_hz=50.0, offset_seconds=20.0)
    left, right = fig.axes[-1].get_xlim()
    assert 19 < left <= 20.0 and 29.9 <= right < 31
