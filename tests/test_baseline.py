import numpy as np
import pytest

from lstm_helpers.judge.baseline import fit_baseline, macro_pr_auc


def _windows(n: int, k: int, length: int, seed: int, channels: int = 3):
    """Noisy windows whose class sets the frequency of a sine on channel 0 (learnable)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    if k == 2:  # imbalanced binary: about 20 % positives
        y = (rng.random(n) < 0.2).astype(np.int64)
    t = np.arange(length)
    phase = rng.uniform(0, 2 * np.pi, n)
    X = rng.normal(0, 0.5, (n, length, channels))
    X[:, :, 0] += np.sin(2 * np.pi * (0.05 + 0.1 * y[:, None]) * t[None, :] + phase[:, None])
    return X.astype(np.float32), y


def test_separable_classes_reach_high_pr_auc_and_shuffled_labels_do_not():
    X, y = _windows(160, 2, 40, 0)
    Xv, yv = _windows(120, 2, 40, 1)
    Xt, yt = _windows(120, 2, 40, 2)
    res = fit_baseline(X, y, {"val": Xv, "test": Xt}, 2, y_val=yv, n_kernels=500, seed=0)
    assert res.available and res.classifier in ("logistic", "ridge")
    assert res.proba["test"].shape == (120, 2)
    assert np.allclose(res.proba["test"].sum(1), 1.0)
    assert macro_pr_auc(yt, res.proba["test"]) > 0.95
    assert set(res.val_pr_auc) == {"logistic", "ridge"}  # both heads measured on validation
    assert res.val_pr_auc[res.classifier] == max(res.val_pr_auc.values())

    shuffled = np.random.default_rng(3).permutation(y)
    bad = fit_baseline(X, shuffled, {"test": Xt}, 2, n_kernels=500, seed=0)
    assert macro_pr_auc(yt, bad.proba["test"]) < 0.6


def test_multiclass_and_short_windows_are_padded_with_a_note():
    X, y = _windows(150, 3, 8, 0)
    X[:, :, 0] = y[:, None] + np.random.default_rng(0).normal(0, 0.3, (150, 8))  # level = class
    Xt, yt = _windows(90, 3, 8, 1)
    Xt[:, :, 0] = yt[:, None] + np.random.default_rng(1).normal(0, 0.3, (90, 8))
    res = fit_baseline(X, y, {"test": Xt}, 3, classifier="logistic", n_kernels=500)
    assert res.proba["test"].shape == (90, 3)
    assert (res.proba["test"].argmax(1) == yt).mean() > 0.9
    assert any("edge-padded to 9" in n for n in res.notes)


def test_synthetic_windows_are_left_out_and_absent_classes_score_zero():
    X, y = _windows(100, 2, 30, 0)
    synthetic = np.zeros(100, bool)
    synthetic[:30] = True
    res = fit_baseline(X, y, {"val": X[:5]}, 3, synthetic=synthetic, n_kernels=200, classifier="ridge")
    assert res.n_train == 70 and "30 synthetic" in res.notes[0]
    assert res.proba["val"].shape == (5, 3) and (res.proba["val"][:, 2] == 0).all()


def test_padded_variable_length_sequences_are_accepted():
    X, y = _windows(80, 2, 30, 0)
    X[::2, 20:, :] = 0.0  # half the sequences padded with the mask value
    res = fit_baseline(X, y, {"test": X[:10], "val": X[:0]}, 2, n_kernels=200)
    assert res.available and res.proba["val"].shape == (0, 2)


def test_not_applicable_cases_return_a_reason():
    X, y = _windows(40, 2, 20, 0)
    assert fit_baseline(X, y, {}, 2, kind="none").reason == "evaluate.baseline = none"
    text = fit_baseline(X.astype(np.int32), y, {}, 2, input_kind="tokens")
    assert not text.available and "token" in text.reason
    one = fit_baseline(X, np.zeros(40, np.int64), {}, 2)
    assert not one.available and "fewer than two classes" in one.reason


def test_bad_inputs_are_refused_by_name():
    X, y = _windows(40, 2, 20, 0)
    X[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="X_train holds NaN"):
        fit_baseline(X, y, {}, 2, n_kernels=100)
    with pytest.raises(ValueError, match="classifier must be one of"):
        fit_baseline(X, y, {}, 2, classifier="svm")
    with pytest.raises(ValueError, match="disagree in length"):
        fit_baseline(X, y[:10], {}, 2)
