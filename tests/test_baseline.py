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


def test_cached_fit_equals_a_fresh_one_and_a_different_input_misses(tmp_path):
    """fit_baseline_cached: an identical second call reads the first's result (same scores,
    fields), a changed window, label or seed fits anew; no cache dir means no files."""
    from lstm_helpers.judge.baseline import fit_baseline_cached

    X, y = _windows(120, 2, 30, 0)
    Xv, yv = _windows(60, 2, 30, 1)
    kw = {"y_val": yv, "classifier": "logistic", "n_kernels": 200, "seed": 0}
    fresh = fit_baseline(X, y, {"val": Xv, "test": Xv[:7]}, 2, **kw)
    first = fit_baseline_cached(tmp_path, X, y, {"val": Xv, "test": Xv[:7]}, 2, **kw)
    again = fit_baseline_cached(tmp_path, X, y, {"val": Xv, "test": Xv[:7]}, 2, **kw)
    assert not first.cached and again.cached and len(list(tmp_path.glob("*.npz"))) == 1
    for res in (first, again):
        assert res.proba.keys() == fresh.proba.keys()
        assert all(np.array_equal(res.proba[k], fresh.proba[k]) for k in fresh.proba)
        assert (res.classifier, res.n_train, res.n_features, res.val_pr_auc, res.notes) == (
            fresh.classifier, fresh.n_train, fresh.n_features, fresh.val_pr_auc, fresh.notes,
        )  # fmt: skip
    assert again.fit_seconds == first.fit_seconds  # the original fit's time

    X2 = X.copy()
    X2[5, 3, 1] += 1.0
    changed = [
        fit_baseline_cached(tmp_path, X2, y, {"val": Xv, "test": Xv[:7]}, 2, **kw),
        fit_baseline_cached(tmp_path, X, 1 - y, {"val": Xv, "test": Xv[:7]}, 2, **kw),
        fit_baseline_cached(tmp_path, X, y, {"val": Xv, "test": Xv[:7]}, 2, **(kw | {"seed": 1})),
        fit_baseline_cached(tmp_path, X, y, {"val": Xv, "test": Xv[:8]}, 2, **kw),
    ]
    assert not any(r.cached for r in changed) and len(list(tmp_path.glob("*.npz"))) == 5
    assert not np.array_equal(changed[0].proba["val"], fresh.proba["val"])
    none = fit_baseline_cached(None, X, y, {"val": Xv}, 2, **kw)
    assert not none.cached and np.array_equal(none.proba["val"], fresh.proba["val"])
    off = fit_baseline_cached(tmp_path / "off", X, y, {}, 2, kind="none")
    assert not off.available and not (tmp_path / "off").exists()


def test_on_claim_is_called_once_the_fit_is_marked_and_before_its_result(tmp_path):
    """``on_claim`` (the pipeline lets stage 03 start on it) comes after the ``.running``
    marker is written, so a reader in another process waits for this fit rather than fitting
    again, and before the result exists; a cache hit claims nothing."""
    from lstm_helpers.judge.baseline import fit_baseline_cached

    X, y = _windows(80, 2, 20, 0)
    kw = {"classifier": "logistic", "n_kernels": 100, "seed": 0}
    seen: list[tuple[bool, bool]] = []

    def claim() -> None:
        seen.append((any(tmp_path.glob("*.running")), any(tmp_path.glob("*.npz"))))

    first = fit_baseline_cached(tmp_path, X, y, {"val": X[:9]}, 2, on_claim=claim, **kw)
    assert not first.cached and seen == [(True, False)]
    again = fit_baseline_cached(tmp_path, X, y, {"val": X[:9]}, 2, on_claim=claim, **kw)
    assert again.cached and seen == [(True, False)] and not any(tmp_path.glob("*.running"))


def test_warm_up_runs_minirocket_without_data():
    """warm_up (run while stage 01 prepares the windows) needs no input and leaves aeon's
    MiniRocket imported."""
    import sys

    from lstm_helpers.judge.baseline import warm_up

    warm_up()
    assert "aeon.transformations.collection.convolution_based" in sys.modules


def test_cache_waits_for_a_live_fit_and_ignores_a_dead_one(tmp_path):
    """A ``.running`` marker of a live other process makes fit_baseline_cached wait for its
    result; the marker of a dead process is ignored (the fit runs here)."""
    import json
    import subprocess
    import sys
    import threading
    import time

    from lstm_helpers.judge.baseline import baseline_fingerprint, fit_baseline_cached

    X, y = _windows(80, 2, 20, 0)
    kw = {"classifier": "logistic", "n_kernels": 100, "seed": 0}
    key = baseline_fingerprint(X, y, {"val": X[:9]}, 2, **kw)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / f"{key}.running").write_text(json.dumps({"pid": dead.pid}))
    assert not fit_baseline_cached(tmp_path, X, y, {"val": X[:9]}, 2, **kw).cached  # stale marker ignored
    assert not (tmp_path / f"{key}.running").exists()

    other = tmp_path / "other"
    other.mkdir()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (other / f"{key}.running").write_text(json.dumps({"pid": live.pid}))
        got = []
        waiter = threading.Thread(target=lambda: got.append(fit_baseline_cached(other, X, y, {"val": X[:9]}, 2, **kw)))
        waiter.start()
        time.sleep(1.0)
        assert waiter.is_alive() and not got  # waiting for the live process's fit
        for suffix in ("npz", "json"):  # that process's result appears, its marker goes
            (other / f"{key}.{suffix}").write_bytes((tmp_path / f"{key}.{suffix}").read_bytes())
        (other / f"{key}.running").unlink()
        waiter.join(10)
        assert got and got[0].cached
    finally:
        live.kill()


def test_many_classes_of_few_cases_fit_without_scikit_learns_regression_warning():
    """52 classes of 1-2 cases (UCR's PigCVP): scikit-learn warns that ``y`` "could represent a
    regression problem"; that line reached the terminal of every such run."""
    import warnings

    rng = np.random.default_rng(0)
    y = np.r_[np.arange(30), np.arange(10)]  # 30 classes in 40 cases
    X = (rng.normal(0, 0.3, (40, 30, 1)) + y[:, None, None] / 5).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = fit_baseline(X, y, {"test": X[:4]}, 30, classifier="logistic", n_kernels=200)
    assert res.available and res.proba["test"].shape == (4, 30)


def test_the_baseline_scores_the_same_under_any_thread_setting():
    """A Dask sweep's runs (one thread each) and a plain run (every core) scored the same
    windows differently: the logistic head's BLAS sums rounded by thread count."""
    from threadpoolctl import threadpool_limits

    X, y = _windows(1200, 2, 40, 0)
    Xv, yv = _windows(300, 2, 40, 1)
    runs = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads):
            res = fit_baseline(X, y, {"val": Xv}, 2, y_val=yv, classifier="logistic", n_kernels=4000, seed=0)
        runs.append(res)
    assert runs[0].n_features > 3000
    assert np.array_equal(runs[0].proba["val"], runs[1].proba["val"])
    assert runs[0].val_pr_auc == runs[1].val_pr_auc
