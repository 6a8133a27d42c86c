"""MiniRocket's features kept as integer counts (judge/ppv_counts.py): the same numbers, a
quarter of the memory, and the logistic head's products read from them."""

import numpy as np
import pytest
from aeon.transformations.collection.convolution_based import MiniRocket
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from lstm_helpers.judge import baseline
from lstm_helpers.judge.linear_head import BlockProducts, CountProducts, Float32Logistic
from lstm_helpers.judge.ppv_counts import (
    CHECK_WINDOWS,
    CountMatrix,
    _kernel_counts,
    minirocket_counts,
    output_lengths,
    pack,
)


def _windows(n: int, channels: int, length: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Channels-first float32 windows whose class shows in a burst of one channel."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, channels, length)).astype(np.float32)
    y = (rng.random(n) < 0.3).astype(int)
    X[y == 1, 0, length // 3 : length // 2] += 2.0
    return X, y


@pytest.mark.parametrize(("channels", "length", "dtype"), [(6, 50, np.uint8), (1, 300, np.uint16), (3, 9, np.uint8)])
def test_the_counts_give_back_minirockets_features_bit_for_bit(channels, length, dtype):
    X, _ = _windows(1100, channels, length, seed=length)  # more than one chunk
    rocket = MiniRocket(n_kernels=2000, n_jobs=1, random_state=0).fit(X[:300])
    F = rocket.transform(X)
    packed = minirocket_counts(rocket, X)
    assert packed is not None and packed.counts.dtype == dtype
    assert np.array_equal(packed.dense(), F)
    assert packed.counts.nbytes * (4 // np.dtype(dtype).itemsize) == F.nbytes
    assert set(np.unique(packed.lengths)) <= {length} | {length - 8 * d for d in range(1, length)}


def test_values_that_are_not_counts_are_not_packed():
    """Should a later aeon compute its features otherwise, the float32 features are kept."""
    X, _ = _windows(50, 2, 40, seed=1)
    rocket = MiniRocket(n_kernels=500, n_jobs=1, random_state=0).fit(X)
    F = rocket.transform(X)
    lengths = output_lengths(rocket.parameters, 40)
    assert pack(F, lengths) is not None
    assert pack(F + np.float32(1e-3), lengths) is None  # not count / L
    assert pack(F, lengths - 1) is None  # the wrong lengths
    assert output_lengths((), 40) is None and minirocket_counts(object(), X) is None


def test_the_counts_come_from_the_kernel_once_aeon_agrees_on_the_first_windows():
    """aeon transforms only the check's windows; the kernel gives the rest, the same counts."""
    X, _ = _windows(700, 4, 60, seed=3)
    rocket = MiniRocket(n_kernels=1000, n_jobs=1, random_state=2).fit(X[:200])
    seen = []
    transform = rocket.transform
    rocket.transform = lambda Z: seen.append(len(Z)) or transform(Z)
    packed = minirocket_counts(rocket, X)
    assert seen == [CHECK_WINDOWS]
    assert np.array_equal(packed.dense(), transform(X))


class _OtherAeon(MiniRocket):
    """A MiniRocket whose transform no longer matches the kernel (as a later aeon might)."""

    def _transform(self, X, y=None):
        return np.roll(super()._transform(X, y), 1, axis=0)  # still counts, of other windows


def test_counts_follow_aeon_where_the_kernel_disagrees_with_it():
    X, _ = _windows(300, 2, 40, seed=4)
    rocket = _OtherAeon(n_kernels=500, n_jobs=1, random_state=0).fit(X)
    packed = minirocket_counts(rocket, X)
    assert packed is not None and np.array_equal(packed.dense(), rocket.transform(X))


def test_the_kernel_refuses_parameters_of_another_layout():
    X, _ = _windows(20, 3, 40, seed=5)
    rocket = MiniRocket(n_kernels=500, n_jobs=1, random_state=0).fit(X)
    n = len(rocket.parameters[4])
    assert _kernel_counts(rocket.parameters, MiniRocket._indices, X, n, np.uint8) is not None
    assert _kernel_counts(rocket.parameters[:3], MiniRocket._indices, X, n, np.uint8) is None
    assert _kernel_counts(rocket.parameters, MiniRocket._indices[:10], X, n, np.uint8) is None
    assert _kernel_counts(rocket.parameters, MiniRocket._indices, X[:, :1], n, np.uint8) is None  # fewer channels
    assert _kernel_counts(rocket.parameters, MiniRocket._indices, X[..., :20], n, np.uint8) is None  # dilation too long


def _count_features(n: int, p: int, seed: int) -> tuple[CountMatrix, np.ndarray]:
    rng = np.random.default_rng(seed)
    lengths = rng.choice([2, 10, 26, 50], p)
    counts = (rng.random((n, p)) * (lengths + 1)).astype(np.uint8)
    y = (counts[:, :5] / lengths[:5] @ rng.normal(size=5) + rng.normal(0, 0.3, n) > 0).astype(int)
    return CountMatrix(counts, lengths), y


def test_the_products_of_counts_are_the_products_of_their_features_and_ignore_threads():
    C, _ = _count_features(1300, 700, seed=2)
    F = C.dense()
    rng = np.random.default_rng(3)
    W, G = rng.normal(size=(700, 3)).astype(np.float32), rng.normal(size=(1300, 3))
    with BlockProducts(threads=1) as dense:
        rows_ref, cols_ref = dense.rows(F, W), dense.cols(F, G.astype(np.float32))
    results = []
    for threads in (1, 2):
        with CountProducts(threads=threads) as products:
            results.append((products.rows(C, W), products.cols(C, G.astype(np.float32))))
    assert np.allclose(results[0][0], rows_ref, rtol=1e-4, atol=1e-3)
    assert np.allclose(results[0][1], cols_ref, rtol=1e-4, atol=1e-2)
    assert all(np.array_equal(a, b) for a, b in zip(results[0], results[1], strict=True))


def test_the_logistic_head_on_counts_is_scikit_learns_solution():
    C, y = _count_features(400, 300, seed=4)
    tight = {"max_iter": 5000, "tol": 1e-10}
    ours = Float32Logistic(C=0.1, class_weight="balanced", **tight).fit(C, y)
    ref = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, class_weight="balanced", **tight))
    ref.fit(C.dense().astype(np.float64), y)
    assert not ours.centred_
    assert np.abs(ours.predict_proba(C) - ref.predict_proba(C.dense())).max() < 1e-3
    assert np.array_equal(ours.predict_proba(C), ours.predict_proba(C.rows(0, 400)))
    with threadpool_limits(limits=2, user_api="blas"):
        again = Float32Logistic(C=0.1, class_weight="balanced", **tight).fit(C, y)
    assert np.array_equal(ours.coef_, again.coef_)


def test_counts_whose_mean_dwarfs_their_spread_are_fitted_on_their_features_centred():
    """One window differs from all others in a feature: its mean is ~1,000 times its spread,
    so the logistic head centres a float32 copy of the features (as for float input)."""
    C, y = _count_features(2000, 50, seed=5)
    C.counts[:, 3], C.lengths[3] = 50, 50
    C.counts[0, 3] = 49
    ours = Float32Logistic(C=0.1, class_weight="balanced", max_iter=300).fit(C, y)
    dense = Float32Logistic(C=0.1, class_weight="balanced", max_iter=300).fit(C.dense(), y)
    assert ours.centred_ and dense.centred_
    assert np.abs(ours.predict_proba(C) - dense.predict_proba(C.dense())).max() < 1e-5


def test_the_baseline_fits_on_counts_and_keeps_the_float_features_for_ridge():
    X, y = _windows(300, 3, 30, seed=6)
    windows = np.transpose(X, (0, 2, 1))  # (n, T, C) as prepared
    F_train, F_eval, _ = baseline._minirocket_features(
        windows[:200], np.ones(200, bool), {"val": windows[200:250], "test": windows[250:], "none": windows[:0]},
        n_kernels=1000, n_jobs=1, seed=0,
    )  # fmt: skip
    assert isinstance(F_train, CountMatrix) and isinstance(F_eval["val"], CountMatrix) and F_eval["none"] is None
    res = baseline.fit_baseline(
        windows[:200], y[:200], {"val": windows[200:250], "test": windows[250:]}, 2,
        y_val=y[200:250], classifier="auto", n_kernels=1000,
    )  # fmt: skip
    assert res.available and set(res.val_pr_auc) == {"logistic", "ridge"}
    assert res.proba["test"].shape == (50, 2) and res.val_pr_auc["logistic"] > 0.9


def test_values_near_float32s_overflow_or_counts_past_uint16_are_left_to_aeon():
    """A window of 2e38 after 32 plain ones overflowed the sums, where aeon's fastmath sums give
    other counts, and the check (the first 32 windows) passed: such inputs take aeon's transform."""
    X, _ = _windows(40, 2, 30, seed=6)
    rocket = MiniRocket(n_kernels=500, n_jobs=1, random_state=0).fit(X[:32])
    X[35, 1, 5] = np.float32(2e38)
    seen = []
    transform = rocket.transform
    rocket.transform = lambda Z: seen.append(len(Z)) or transform(Z)
    packed = minirocket_counts(rocket, X)
    assert seen == [len(X)]  # aeon, one chunk: no kernel
    assert packed is None or np.array_equal(packed.dense(), transform(X))
