"""Windowing: counts match the formula, labels follow the rules, windows are views."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_helpers.data.splits import check_leakage, split_groups
from lstm_helpers.data.windows import (
    count_windows,
    label_windows,
    make_windows,
    window_starts,
    window_step,
    window_view,
)


@pytest.mark.parametrize(
    "length, overlap, step",
    [
        (50, 50, 25),
        (50, 75, 13),
        (5, 50, 3),
        (25, 50, 13),
        (7, 50, 4),
        (50, 0, 50),
        (10, 99, 1),
        (4, 90, 1),
        (100, 33.3, 67),
    ],
)
def test_step_formula(length, overlap, step):
    assert window_step(length, overlap) == step


def test_step_rejects_bad_overlap():
    with pytest.raises(ValueError, match=r"overlap_percent must be in \[0, 100\)"):
        window_step(10, 100)


def test_a_majority_tie_does_not_depend_on_the_order_of_the_classes():
    """Ties went to the lower class index, and naming a class of interest moves it last: a
    rare class lost every 50/50 window to the common one (25 -> 13 training windows in a
    reviewer's data). A tie now goes to the centre step's class, else to the rarest tied class."""
    o, P, unl = 0, 1, -1
    labels = np.array(
        [P, P, P, o, o, o]  # tie, centre step (index 3) is o
        + [o, o, o, P, P, P]  # tie, centre step is P
        + [P, P, unl, unl, o, o]  # tie, centre unlabelled: the rarer class (P) wins
        + [o] * 30  # o is the common class
    )
    starts = np.array([0, 6, 12])
    assert list(label_windows(labels, starts, 6, 2, "majority")) == [o, P, P]
    swapped = np.where(labels >= 0, 1 - labels, labels)  # the same data with the class indices swapped
    assert list(label_windows(swapped, starts, 6, 2, "majority")) == [1 - o, 1 - P, 1 - P]
    # `center` falls back to the majority when its step is unlabelled: the same tie rule
    assert list(label_windows(labels, starts[2:], 6, 2, "center", unlabelled="partial")) == [P]


def test_starts_are_per_recording_and_never_cross():
    offsets = np.array([0, 10, 13, 30])  # lengths 10, 3, 17
    starts, rec = window_starts(offsets, 4, 3)
    assert list(starts) == [0, 3, 6, 13, 16, 19, 22, 25]
    assert list(rec) == [0, 0, 0, 2, 2, 2, 2, 2]
    assert list(count_windows(np.diff(offsets), 4, 3)) == [3, 0, 5]


def test_label_rules():
    labels = np.array([0, 0, 1, 1, 1, 0, 2, 2])
    starts = np.array([0, 4])
    assert list(label_windows(labels, starts, 4, 3, "majority")) == [1, 2]  # tie 0 / 1 -> the centre step's 1
    assert list(label_windows(labels, starts, 4, 3, "center")) == [1, 2]
    assert list(label_windows(labels, starts, 4, 3, "last")) == [1, 2]
    # `any`: class 2 covers 50 % of the second window, 0 % of the first
    assert list(label_windows(labels, starts, 4, 3, "any", 0.5, [2])) == [1, 2]
    assert list(label_windows(labels, starts, 4, 3, "any", 0.75, [2])) == [1, 2]  # majority
    assert list(label_windows(labels, starts, 4, 3, "any", 0.25, [1])) == [1, 1]


def test_unlabelled_drop_or_partial():
    labels = np.array([1, 1, -1, 1, -1, -1, -1, -1])
    starts = np.array([0, 4])
    assert list(label_windows(labels, starts, 4, 2, "majority", unlabelled="drop")) == [-1, -1]
    assert list(label_windows(labels, starts, 4, 2, "majority", unlabelled="partial")) == [1, -1]
    # center step unlabelled -> majority of the labelled part
    assert list(label_windows(labels, np.array([0]), 4, 2, "center", unlabelled="partial")) == [1]


@pytest.mark.parametrize(
    "rule, unlabelled, expected",
    [
        # windows: [centre unlabelled, 1 of 5 unlabelled], [3 of 5 unlabelled], [2 of 5, centre labelled]
        ("center", "rule", [-1, -1, 1]),
        ("majority", "rule", [1, -1, 1]),
        ("last", "rule", [1, 0, -1]),
        ("majority", "drop", [-1, -1, -1]),
        ("center", "partial", [1, 0, 1]),
        ("majority", "partial", [1, 0, 1]),
    ],
)
def test_unlabelled_follows_the_rule(rule, unlabelled, expected):
    labels = np.array([1, 1, -1, 1, 1, -1, -1, -1, 0, 0, -1, 1, 1, 1, -1])
    starts = np.array([0, 5, 10])
    assert list(label_windows(labels, starts, 5, 2, rule, unlabelled=unlabelled)) == expected


def test_max_unlabelled_fraction_caps_every_rule():
    labels = np.array([-1, 1, 1, 1, -1])  # 40 % unlabelled, centre labelled
    start = np.array([0])
    assert list(label_windows(labels, start, 5, 2, "center")) == [1]
    assert list(label_windows(labels, start, 5, 2, "center", max_unlabelled_fraction=0.4)) == [1]
    assert list(label_windows(labels, start, 5, 2, "center", max_unlabelled_fraction=0.3)) == [-1]
    with pytest.raises(ValueError, match="max_unlabelled_fraction"):
        label_windows(labels, start, 5, 2, "center", max_unlabelled_fraction=1.5)
    with pytest.raises(ValueError, match="windows.unlabelled must be one of"):
        label_windows(labels, start, 5, 2, "center", unlabelled="keep")


def test_windows_are_views_until_materialised():
    values = np.arange(200, dtype=np.float32).reshape(100, 2)
    view = window_view(values, 10)
    assert view.shape == (91, 10, 2) and np.shares_memory(view, values)
    assert np.array_equal(view[5], values[5:15])
    w = make_windows(np.array([0, 60, 100]), np.zeros(100, int), 1, 10, 50)
    X = w.materialise(values)
    assert not np.shares_memory(X, values) and X.shape == (len(w), 10, 2)
    assert np.array_equal(X[1], values[5:15])


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 300), min_size=3, max_size=12),
    length=st.integers(2, 60),
    overlap=st.floats(0, 99.9),
    seed=st.integers(0, 10_000),
)
def test_property_counts_and_no_timestep_crosses_splits(lengths, length, overlap, seed):
    lengths = np.array(lengths)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, offsets[-1])
    step = window_step(length, overlap)
    w = make_windows(offsets, labels, 2, length, overlap, keep_dropped=True)
    expected = sum((n - length) // step + 1 for n in lengths if n >= length)
    assert len(w) == expected
    groups = np.array([f"g{i % 4}" for i in range(len(lengths))])
    counts = np.stack([np.bincount(labels[a:b], minlength=2) for a, b in zip(offsets[:-1], offsets[1:], strict=True)])
    split, _ = (
        split_groups(groups, counts, 0.25, 0.25, seed, attempts=5)
        if len(set(groups)) >= 3
        else (np.array(["train"] * len(lengths)), {})
    )
    sets = {
        n: (w.starts[split[w.rec_index] == n], w.rec_index[split[w.rec_index] == n]) for n in ("train", "val", "test")
    }
    assert check_leakage(split, groups, offsets, sets, length)["ok"]
    # direct proof: the set of raw timesteps each split's windows touch are disjoint
    touched = {}
    for n, (s, _) in sets.items():
        idx = (s[:, None] + np.arange(length)[None, :]).ravel()
        touched[n] = set(idx.tolist())
    assert not touched["train"] & touched["val"] and not touched["train"] & touched["test"]
    assert not touched["val"] & touched["test"]


def test_leakage_check_catches_a_shared_timestep():
    offsets = np.array([0, 20, 40])
    split = np.array(["train", "test"])
    sets = {"train": (np.array([0, 16]), np.array([0, 0])), "test": (np.array([20]), np.array([1]))}
    assert check_leakage(split, np.array(["a", "b"]), offsets, sets, 8)["ok"] is False  # 16+8 crosses
    sets["train"] = (np.array([0]), np.array([0]))
    assert check_leakage(split, np.array(["a", "a"]), offsets, sets, 8)["ok"] is False  # group in two


def test_a_step_over_one_and_a_half_sampling_intervals_is_a_gap():
    """data/README.md's table: jitter and a recording cut short are no gap; one missing sample
    (2x the interval) is; a recording's own interval decides, and recordings never join."""
    from lstm_helpers.data.gaps import find_time_gaps

    rng = np.random.default_rng(0)
    jitter = np.cumsum(0.04 + rng.uniform(-0.01, 0.01, 200))  # up to 1.25x: continuous
    one_missing = np.delete(np.arange(100) * 0.1, 40)  # a 10 Hz recording missing one sample
    dropout = np.concatenate([np.arange(1000) * 0.04, 44.0 + np.arange(50) * 0.04])  # 39.96 s -> 44 s
    t = np.concatenate([jitter, one_missing, dropout])
    offsets = np.cumsum([0, len(jitter), len(one_missing), len(dropout)])
    gaps = find_time_gaps(t, offsets)
    assert gaps.tolist() == [offsets[1] + 40, offsets[2] + 1000]
    assert np.isclose(t[gaps[1] - 1], 39.96) and t[gaps[1]] == 44.0
    # rows nan_policy: drop removed (input rows 5-7) are that policy's gap, not a time gap too
    t2 = np.delete(np.arange(20) * 0.04, [5, 6, 7])
    rows = np.delete(np.arange(20), [5, 6, 7])
    assert find_time_gaps(t2, np.array([0, 17]), rows).tolist() == []
    assert find_time_gaps(t2, np.array([0, 17])).tolist() == [5]


def test_windows_across_finds_every_window_holding_a_break():
    """A window [s, s + L) crosses a gap that precedes step b when s < b < s + L (vs brute force)."""
    from lstm_helpers.data.gaps import windows_across

    breaks = np.array([7, 30, 31, 90])
    starts = np.arange(0, 100)
    brute = np.array([any(s < b < s + 10 for b in breaks) for s in starts])
    assert (windows_across(breaks, starts, 10) == brute).all()
    assert not windows_across(np.zeros(0, np.int64), starts, 10).any()


def test_a_tie_can_go_by_the_runs_rarity_not_the_new_recordings():
    """predict labels a new recording's windows by the run's rule; a tie went to the class
    rarest in the new file, which need not be the run's rarest (a file where play is common)."""
    from lstm_helpers.data.windows import label_windows

    labels = np.array([0, 0, 2, 1, 1, 1, 1, 1])  # window 0..4: classes 0 and 1 tied, its centre (2) not
    starts = np.array([0])
    assert label_windows(labels, starts, 5, 3).tolist() == [0]  # 0 is the rarer here (2 steps against 5)
    run_totals = np.array([1000, 50, 10])  # the run's data: class 1 is the rarer of the two
    assert label_windows(labels, starts, 5, 3, class_totals=run_totals).tolist() == [1]
