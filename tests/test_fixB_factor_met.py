"""An imbalance factor the training windows already meet is said, and the slides say what the
sampler did (from prepare.json's counts), not what it would have done."""

import html

import numpy as np
import pytest

from lstm_helpers.config import ResampleConfig
from lstm_helpers.data.prepare import run_prepare
from lstm_helpers.data.resampling import rebalance
from lstm_helpers.runs.slides import write_slides


@pytest.mark.parametrize("method", ["undersample", "oversample", "smote", "smote_under", "augment"])
def test_a_factor_already_met_is_noted_and_changes_nothing(method):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(220, 8, 3)).astype(np.float32), np.array([0] * 200 + [1] * 20)
    with pytest.warns(UserWarning, match="already met"):
        r = rebalance(X, y, ResampleConfig(method=method, imbalance_factor=30), 2, seed=0, classes=["rest", "play"])
    assert len(r.y) == 220 and r.summary == ""
    assert "resample.imbalance_factor 30 is already met (10 : 1): the training windows are unchanged" in r.notes


def _slide_text(run) -> str:
    return html.unescape(write_slides(run).read_text())


def test_the_slides_say_what_undersampling_did_from_the_counts(tiny_config, tmp_path):
    """With the factor met nothing was cut (4,136 windows kept), yet the slide said "windows of the
    common classes left out at random, to at most 30 : 1"."""
    met = run_prepare(tiny_config(resample__method="undersample", resample__imbalance_factor=30), tmp_path / "met")
    ratio = met.meta["imbalance_factor_measured"]["train_before"]
    assert ratio < 30 and any("already met" in n for n in met.meta["notes"])
    text = _slide_text(tmp_path / "met")
    assert (
        f"undersample left the training windows unchanged: the classes were already within 30 : 1 ({ratio:.3g} : 1)"
        in text
    )
    assert "left out at random" not in text
    cut = run_prepare(tiny_config(resample__method="undersample", resample__imbalance_factor=2), tmp_path / "cut").meta
    before, after = cut["counts"]["train"]["before"]["other"], cut["counts"]["train"]["after"]["other"]
    assert after < before
    assert f"left out at random, to at most 2 : 1: other {before:,} → {after:,} windows" in _slide_text(
        tmp_path / "cut"
    )
