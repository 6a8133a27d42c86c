"""Rebalancing: target imbalance factors, synthetic flags, and the training split only."""

import numpy as np
import pytest

from lstm_helpers.config import ResampleConfig
from lstm_helpers.data.resampling import (
    apply_scaler,
    balanced_class_weight,
    fit_scaler,
    rebalance,
    target_counts,
)


def _data(n_major=200, n_minor=20, t=8, c=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_major + n_minor, t, c)).astype(np.float32)
    y = np.array([0] * n_major + [1] * n_minor)
    X[y == 1] += 2.0
    return X, y


def test_target_counts():
    assert list(target_counts(np.array([1000, 50]), 5, "over")) == [1000, 200]
    assert list(target_counts(np.array([1000, 50]), 5, "under")) == [250, 50]
    both = target_counts(np.array([1000, 50]), 5, "both")
    assert both[0] / both[1] == pytest.approx(5, rel=0.01) and both[1] > 50 and both[0] < 1000


@pytest.mark.parametrize("method", ["undersample", "oversample", "smote", "smote_under", "augment"])
def test_each_method_reaches_the_imbalance_factor(method):
    X, y = _data()
    r = rebalance(X, y, ResampleConfig(method=method, imbalance_factor=4), 2, seed=0)
    counts = np.bincount(r.y)
    assert counts.max() / counts.min() == pytest.approx(4, rel=0.03)
    assert r.X.shape[1:] == X.shape[1:] and len(r.X) == len(r.y) == len(r.synthetic) == len(r.source)
    # originals keep their metadata pointer; synthetic windows are flagged
    orig = r.source >= 0
    assert np.array_equal(r.X[orig & ~r.synthetic], X[r.source[orig & ~r.synthetic]])
    if method in ("smote", "smote_under", "augment", "oversample"):
        assert r.synthetic.any() and (r.y[r.synthetic] == 1).all()
    else:
        assert not r.synthetic.any()


def test_smote_small_class_reduce_or_refuse():
    X, y = _data(n_minor=3)
    with pytest.warns(UserWarning, match="k_neighbors reduced from 5 to 2"):
        r = rebalance(X, y, ResampleConfig(method="smote"), 2, seed=0)
    assert np.bincount(r.y)[1] == 40
    with pytest.raises(ValueError, match="too small for SMOTE.*smote_k=5"):
        rebalance(X, y, ResampleConfig(method="smote", on_small_class="error"), 2, seed=0)
    # the class is named: 'class with 3 training window(s) is too small' left the user to guess which
    with pytest.raises(ValueError, match="class 'play' with 3 training window\\(s\\) is too small for SMOTE"):
        rebalance(X, y, ResampleConfig(method="smote", on_small_class="error"), 2, seed=0, classes=["rest", "play"])
    with pytest.warns(UserWarning, match="class 'play' has only 3 training windows"):
        rebalance(X, y, ResampleConfig(method="smote"), 2, seed=0, classes=["rest", "play"])
    X1, y1 = _data(n_minor=1)
    for small in ("reduce", "error"):  # one window: no setting helps, and the message does not pretend one does
        with pytest.raises(ValueError, match="1 training window cannot grow by SMOTE.*oversample or augment"):
            rebalance(X1, y1, ResampleConfig(method="smote", on_small_class=small), 2, seed=0)


def test_undersampling_that_throws_most_windows_away_says_so():
    X, y = _data(n_major=39, n_minor=1)
    with pytest.warns(UserWarning, match="undersampling kept 6 of 40 training windows.*the smallest, which has 1"):
        r = rebalance(X, y, ResampleConfig(method="undersample"), 2, seed=0)
    assert len(r.y) == 6 and r.notes and "class_weight or oversample" in r.notes[0]
    X, y = _data(n_major=40, n_minor=20)
    with pytest.warns(UserWarning, match="already met"):  # 60 kept of 60: the factor 5 is met at 2 : 1
        notes = rebalance(X, y, ResampleConfig(method="undersample"), 2, seed=0).notes
    assert notes == ["resample.imbalance_factor 5 is already met (2 : 1): the training windows are unchanged"]


def _padded(mask=-10.0, seed=0):
    """40 sequences of 4-12 real steps padded to 12 with ``mask``; 6 of the minority class."""
    X, y = _data(n_major=34, n_minor=6, t=12, c=2, seed=seed)
    lengths = np.random.default_rng(seed).integers(4, 13, len(y))
    X[np.arange(12)[None, :] >= lengths[:, None]] = mask
    return X, y, lengths


def _padding_of(X, mask):
    """Per step, whether it is padding; None when the padding is not clean: a step with only
    some channels at the mask, padding before a real step, or a real value near the mask
    (the data lie around 0-2, the mask at -10)."""
    at = X == mask
    masked = at.all(-1)
    clean = (masked | ~at.any(-1)).all() and (np.diff(masked.astype(int), axis=1) >= 0).all()
    return masked if clean and (X[~masked] > mask / 2).all() else None


@pytest.mark.parametrize("method", ["augment", "smote", "smote_under"])
def test_synthetic_sequences_keep_their_padding_at_the_mask_value(method):
    """Padded sequences: synthetic windows are real steps, then padding exactly at the mask
    value (never shifted to the front, jittered, or interpolated halfway to it), so the
    model's mask finds it; the real windows come back as they were."""
    mask = -10.0
    X, y, lengths = _padded(mask)
    cfg = ResampleConfig(method=method, imbalance_factor=2)
    r = rebalance(X, y, cfg, 2, 0, padding=(lengths, mask))
    masked = _padding_of(r.X, mask)
    assert masked is not None
    real_len = (~masked).sum(1)
    assert r.synthetic.sum() >= 5 and (real_len[r.synthetic] < 12).any()  # short synthetic cases stay short
    orig = ~r.synthetic
    assert np.array_equal(r.X[orig], X[r.source[orig]])
    minority = lengths[y == 1]
    if method == "augment":  # each synthetic case keeps its source's length
        assert set(real_len[r.synthetic]) <= set(minority)
    else:  # interpolated lengths lie within the minority class's range
        assert minority.min() <= real_len[r.synthetic].min() and real_len[r.synthetic].max() <= minority.max()
    # without the lengths, the same call leaves padding that the mask would not find
    assert _padding_of(rebalance(X, y, cfg, 2, 0).X, mask) is None


def test_padding_aware_augment_changes_nothing_for_windows_without_padding():
    X, y = _data()
    cfg = ResampleConfig(method="augment", imbalance_factor=2)
    a = rebalance(X, y, cfg, 2, 0)
    b = rebalance(X, y, cfg, 2, 0, padding=(np.full(len(y), X.shape[1]), 0.0))
    assert np.array_equal(a.X, b.X)


def test_class_weights_balanced_and_explicit():
    y = np.array([0] * 90 + [1] * 10)
    w = balanced_class_weight(y, 2)
    assert w[0] == pytest.approx(100 / (2 * 90)) and w[1] == pytest.approx(100 / (2 * 10))
    assert balanced_class_weight(y, 2, {"play": 3.0}, ["other", "play"]) == {0: 1.0, 1: 3.0}
    with pytest.raises(ValueError, match="unknown class"):
        balanced_class_weight(y, 2, {"jump": 3.0}, ["other", "play"])


def test_token_windows_refuse_interpolating_methods():
    X = np.zeros((20, 5), np.int32)
    y = np.array([0] * 15 + [1] * 5)
    with pytest.raises(ValueError, match="token windows"):
        rebalance(X, y, ResampleConfig(method="smote"), 2, 0, tokens=True)


def test_scaler_fitted_values():
    v = np.array([[0.0, 10.0], [2.0, 30.0]])
    sc = fit_scaler(v, "standard")
    assert sc["center"] == [1.0, 20.0] and sc["scale"] == [1.0, 10.0]
    assert np.allclose(apply_scaler(v, sc), [[-1, -1], [1, 1]])
    mm = fit_scaler(v, "minmax")
    assert np.allclose(apply_scaler(v, mm), [[0, 0], [1, 1]])


def test_scale_per_recording_uses_each_recordings_own_statistics():
    from lstm_helpers.data.resampling import scale_per_recording

    rng = np.random.default_rng(0)
    a = rng.normal(5, 2, (100, 2))
    b = rng.normal(-3, 0.5, (50, 2))
    out = scale_per_recording(np.vstack([a, b]).astype(np.float32), np.array([0, 100, 150]), "standard")
    for part in (out[:100], out[100:]):
        assert np.allclose(part.mean(0), 0, atol=1e-5) and np.allclose(part.std(0), 1, atol=1e-4)


def test_prepare_per_recording_scaling(tiny_config, tmp_path):
    from lstm_helpers.data.prepare import run_prepare

    info = run_prepare(tiny_config(scale__per="recording"), tmp_path).meta
    assert info["scaler"]["per"] == "recording" and info["leakage"]["ok"]
