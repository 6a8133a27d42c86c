"""The baseline's float32 logistic head against scikit-learn's LogisticRegression."""

import tracemalloc

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from lstm_helpers.judge.linear_head import Float32Logistic


def _features(n: int, p: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Wide, unevenly scaled float32 features (as MiniRocket's: n < p) with one constant
    column, and imbalanced labels that depend on a few of them."""
    rng = np.random.default_rng(seed)
    F = (rng.random((n, p)) * rng.uniform(0.1, 3.0, p) + rng.uniform(-1, 1, p)).astype(np.float32)
    F[:, 7] = 0.25
    signal = (F[:, :5] - F[:, :5].mean(axis=0)) / F[:, :5].std(axis=0)
    score = signal @ rng.normal(size=(5, k)) + rng.normal(0, 0.5, (n, k))
    y = np.argmax(score + np.log(np.linspace(0.2, 1.0, k)), axis=1)
    return F, y


@pytest.mark.parametrize("k", [2, 4])
@pytest.mark.parametrize("class_weight", ["balanced", None])
def test_same_solution_as_scikit_learns_lbfgs_on_standardised_features(k, class_weight):
    F, y = _features(160, 300, k, seed=k)
    tight = {"max_iter": 5000, "tol": 1e-10}
    ours = Float32Logistic(C=0.1, class_weight=class_weight, **tight).fit(F, y)
    ref = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, class_weight=class_weight, **tight)).fit(F, y)
    coef = ref[-1].coef_
    assert ours.coef_.shape == coef.shape
    assert np.linalg.norm(ours.coef_ - coef) / np.linalg.norm(coef) < 1e-3
    assert np.allclose(ours.intercept_, ref[-1].intercept_, atol=1e-3)
    F_new, _ = _features(50, 300, k, seed=10 + k)
    assert np.abs(ours.predict_proba(F_new) - ref.predict_proba(F_new)).max() < 1e-3
    assert (ours.predict(F_new) == ref.predict(F_new)).all()
    assert list(ours.classes_) == list(range(k))


def test_string_labels_and_fewer_than_two_classes():
    F, y = _features(80, 40, 3, seed=1)
    names = np.array(["rest", "play", "walk"])[y]
    model = Float32Logistic(C=1.0).fit(F, names)
    assert set(model.predict(F)) <= set(names) and list(model.classes_) == sorted(set(names))
    with pytest.raises(ValueError, match="at least two classes"):
        Float32Logistic().fit(F, np.zeros(len(F)))
    assert model.predict_proba(F[:0]).shape == (0, 3)  # no windows: no scores (as sklearn's), not a crash


def test_the_features_are_neither_copied_nor_cast_to_float64():
    F, y = _features(4000, 2000, 2, seed=3)  # 32 MB in float32
    tracemalloc.start()
    Float32Logistic(C=0.1, class_weight="balanced", max_iter=20).fit(F, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 0.5 * F.nbytes, f"peak {peak / 1e6:.1f} MB for {F.nbytes / 1e6:.1f} MB of features"


def test_features_whose_mean_dwarfs_their_spread_are_centred_not_folded():
    """Folding the mean into the weights lost float32 precision at a mean 1e5 times the spread
    (probabilities 0.03 off scikit-learn's); such features are centred in a copy."""
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(400, 300))
    y = (Z[:, :5].sum(axis=1) + rng.normal(0, 1, 400) > 0).astype(int)
    for offset, spread, centred in ((0.9, 0.005, False), (1000.0, 0.01, True)):
        F = (offset + spread * Z).astype(np.float32)
        ours = Float32Logistic(C=0.1, class_weight="balanced", max_iter=300).fit(F, y)
        ref = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, class_weight="balanced", max_iter=300))
        ref.fit(F, y)
        assert ours.centred_ is centred
        assert np.abs(ours.predict_proba(F) - ref.predict_proba(F)).max() < 1e-3


def test_tiny_spreads_are_scaled_as_standard_scaler_scales_them_and_nan_is_refused():
    """A feature of spread 1e-7 around 0 was taken for a constant (scale 1, its signal lost
    under L2: AUC 0.52 against scikit-learn's 0.82); the rule is StandardScaler's now."""
    F, y = _features(160, 300, 2, seed=5)
    tiny = (F - F.mean(axis=0)) * np.float32(1e-7)
    ours = Float32Logistic(C=0.1, class_weight="balanced", max_iter=300).fit(tiny, y)
    ref = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, class_weight="balanced", max_iter=300))
    ref.fit(tiny, y)
    assert np.allclose(ours.scale_, ref[0].scale_, rtol=1e-6)
    assert np.abs(ours.predict_proba(tiny) - ref.predict_proba(tiny)).max() < 1e-3
    F[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        Float32Logistic().fit(F, y)


def test_the_same_scores_whatever_the_blas_thread_count():
    """A Dask sweep's runs (OMP_NUM_THREADS=1) and a plain run (all cores) got different
    baseline figures for the same windows: OpenBLAS's threaded matrix-vector products sum
    in another order, and 150 L-BFGS steps carried the difference to 0.003 of PR-AUC."""
    from threadpoolctl import threadpool_limits

    F, y = _features(1500, 3000, 2, seed=5)
    F_new, _ = _features(400, 3000, 2, seed=6)
    scores = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="blas"):
            model = Float32Logistic(C=0.1, class_weight="balanced", max_iter=300).fit(F, y)
            scores.append((model.coef_.copy(), model.predict_proba(F_new)))
    assert np.array_equal(scores[0][0], scores[1][0])
    assert np.array_equal(scores[0][1], scores[1][1])
