"""What resampling did to the training windows is said: one terminal line per sampler that
changed them, and a warning when made windows swamp a class's real ones."""

import numpy as np
import pytest
from test_resampling import _data

from lstm_helpers.config import ResampleConfig
from lstm_helpers.data.prepare import run_prepare
from lstm_helpers.data.resampling import rebalance
from lstm_helpers.runs.terminal import stage_done_line


@pytest.mark.parametrize(
    "method, said",
    [
        ("smote", "smote: play 20 -> 50 windows (30 synthetic)"),
        ("augment", "augment: play 20 -> 50 windows (30 synthetic)"),
        ("oversample", "oversample: play 20 -> 50 windows (30 copies)"),
        ("undersample", "undersample: rest 200 -> 80 windows"),
        ("smote_under", "smote_under: rest 200 -> "),
    ],
)
def test_every_sampler_that_changed_the_training_windows_says_how(method, said):
    X, y = _data()
    r = rebalance(X, y, ResampleConfig(method=method, imbalance_factor=4), 2, seed=0, classes=["rest", "play"])
    assert r.summary.startswith(said)
    after = np.bincount(r.y)
    assert f"-> {after[1]:,} windows" in r.summary or method == "undersample"


def test_synthetic_windows_that_swamp_the_real_ones_are_warned_of():
    """97 of 100 SMOTE windows made from 3 real ones were said only as "k_neighbors reduced"."""
    X, y = _data(n_minor=3)
    with pytest.warns(
        UserWarning, match=r"37 of the 40 training windows of 'play' are synthetic \(smote\), made from 3"
    ):
        r = rebalance(X, y, ResampleConfig(method="smote"), 2, seed=0, classes=["rest", "play"])
    assert any("made from 3 real window(s)" in n for n in r.notes)
    with pytest.warns(UserWarning, match="are copies of 3 real window"):
        rebalance(X, y, ResampleConfig(method="oversample"), 2, seed=0, classes=["rest", "play"])


def test_a_moderate_share_of_synthetic_windows_is_not_warned_of():
    X, y = _data()
    r = rebalance(X, y, ResampleConfig(method="smote", imbalance_factor=4), 2, seed=0, classes=["rest", "play"])
    assert not any("made from" in n for n in r.notes)


def test_stage_01_prints_what_smote_did_on_the_terminal(tiny_config, tmp_path):
    """Only oversample printed a line; SMOTE, augment and smote_under said nothing on the terminal."""
    meta = run_prepare(tiny_config(resample__method="smote", resample__imbalance_factor=2), tmp_path).meta
    before, after = meta["counts"]["train"]["before"]["play"], meta["counts"]["train"]["after"]["play"]
    made = meta["resample"]["synthetic_windows"]
    line = f"resample: smote: play {before:,} -> {after:,} windows ({made:,} synthetic)"
    assert made > 0 and line in stage_done_line("prepare", 1.0, tmp_path).splitlines()
