"""The baseline's logistic head, fitted in float32 without a copy of the features.

MiniRocket gives ~10,000 features per window, so the feature matrix is the largest array
of a run (the demo: 4,092 training windows x 9,996 features, 164 MB in float32). Its
logistic head was ``make_pipeline(StandardScaler(), LogisticRegression(solver="lbfgs"))``,
which copies the matrix twice (standardised float32, then float64: scikit-learn's lbfgs
accepts float64 only) and streams the float64 copy from memory twice per function
evaluation, ~200 evaluations per fit: 11 s of the fit's 14 s on one core of the 2-core
host, and for 40,000 windows about 5 GB of copies.

:class:`Float32Logistic` minimises the same objective with the same optimiser and stopping
rule as ``LogisticRegression(C, solver="lbfgs", class_weight=...)`` on standardised
features: mean class-weighted log loss plus ``||W||^2 / (2 C sum(weights))``, intercept
not penalised, binary as one logit and multinomial for three classes or more, scipy's
L-BFGS-B with ``gtol=tol``, ``maxls=50``, ``ftol=64 eps``. What differs is only how it is
computed: the standardisation is folded into the weights (``(F - mu) / sd @ W`` is
``F @ (W / sd) - mu @ (W / sd)``), so the features are read as they are, in float32, and
never copied. Folding the mean in costs float32 precision where a feature's mean is many
times its spread (probabilities within 1e-4 of scikit-learn's at 180 times, 0.03 off at 1e5
times): beyond :data:`FOLD_LIMIT` times the fit centres a float32 copy instead (``centred_``).
MiniRocket's features are proportions in [0, 1]; on the demo the largest ratio is 237.
Measured on the demo's features (one core, three alternations): 4.2-4.4 s
against 10.8-11.6 s, memory beyond the features 9 MB against 495 MB, validation / test
average precision 0.8363 / 0.9342 against 0.8351 / 0.9349 (``benchmarks/README.md``). Written
here because no library fits an L2 logistic regression in float32 with L-BFGS:
scikit-learn's ``sag``/``saga`` solvers take float32 but needed 44-100 s on the same
features and stopped short of the optimum; class weights come from scikit-learn.

The same figures under any thread setting: the matrix products are cut into blocks of
:data:`BLOCK_ROWS` windows, each computed by BLAS on one thread (threadpoolctl), the blocks
spread over as many Python threads as BLAS had, and their partial sums added in block order
(:class:`BlockProducts`). OpenBLAS's own threads split the sums over the windows by thread
count, and the ~150 L-BFGS steps carried that rounding to another optimum: the demo's
baseline scored test PR-AUC 0.8684 in a Dask sweep's run (one thread) against 0.8656 in a
plain run (two). The products' time per L-BFGS step (9,996 features, 16-core host, blocks
against OpenBLAS's threads): 20,000 windows 20-22 / 22-26 / 65-71 ms against 13-17 / 20-31
/ 64-74 ms on 16 / 8 / 2 threads, 2,050 windows 6 / 2 / 3 ms against 1 / 1 / 3 ms; the
whole fit on the demo's features (2-core host, three alternations, two threads) 2.7-5.0 s
against 10.7-11.5 s.

MiniRocket's features reach the head as the integer counts they are
(:class:`~lstm_helpers.judge.ppv_counts.CountMatrix`, a quarter of the memory):
:class:`CountProducts` computes the same two products from them, by the same blocks, with
numba kernels that read the counts (half the time of float32 BLAS on the demo's features).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, log_softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.class_weight import compute_class_weight
from threadpoolctl import threadpool_info, threadpool_limits

from lstm_helpers.judge.ppv_counts import CountMatrix

FOLD_LIMIT = 1000.0  # |mean| / spread above which the features are centred in a copy, not folded
BLOCK_ROWS = 512  # windows per block of the matrix products (fixed: the sums' order never depends on threads)


class BlockProducts:
    """``F @ W`` and ``F.T @ G`` of float32 features by fixed blocks of rows, each block's
    product on one BLAS thread, the blocks on ``threads`` Python threads (numpy releases the
    GIL in BLAS; default: as many as BLAS had): the result does not depend on ``threads``. A
    context manager: BLAS is held to one thread and the threads run while it is open.
    Hand-written: neither threadpoolctl nor numpy offers a parallel product whose result does
    not depend on the thread count."""

    def __init__(self, threads: int | None = None):
        blas = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
        self.threads = max(1, threads or max(blas, default=1))

    def __enter__(self) -> BlockProducts:
        self._limits = threadpool_limits(limits=1, user_api="blas")
        self._pool = ThreadPoolExecutor(self.threads) if self.threads > 1 else None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown()
        self._limits.restore_original_limits()

    def _blocks(self, block: Callable[[int], np.ndarray], n: int) -> list[np.ndarray]:
        starts = range(0, n, BLOCK_ROWS)
        return list(self._pool.map(block, starts)) if self._pool is not None else [block(i) for i in starts]

    def rows(self, F: np.ndarray, W: np.ndarray) -> np.ndarray:
        """``F @ W`` (float32), block by block (no rows: an empty product, as ``F @ W`` gives)."""
        if not len(F):
            return (F @ W).astype(np.float32)
        return np.concatenate(self._blocks(lambda i: F[i : i + BLOCK_ROWS] @ W, len(F)))

    def cols(self, F: np.ndarray, G: np.ndarray) -> np.ndarray:
        """``F.T @ G`` (float64): the blocks' float32 products added in block order."""
        total = np.zeros((F.shape[1], G.shape[1]))
        for part in self._blocks(lambda i: F[i : i + BLOCK_ROWS].T @ G[i : i + BLOCK_ROWS], len(F)):
            total += part
        return total


class CountProducts(BlockProducts):
    """:class:`BlockProducts`' two products for MiniRocket's counts (a
    :class:`~lstm_helpers.judge.ppv_counts.CountMatrix`): the same blocks of
    :data:`BLOCK_ROWS` windows, each by a numba kernel (which releases the GIL), partial
    sums added in block order."""

    def rows(self, F: CountMatrix, W: np.ndarray) -> np.ndarray:  # type: ignore[override]
        from lstm_helpers.judge.ppv_kernels import rows_kernel

        VT = np.ascontiguousarray((W / F.lengths[:, None]).T, dtype=np.float32)

        def block(i: int) -> np.ndarray:
            part = F.counts[i : i + BLOCK_ROWS]
            return rows_kernel(part, VT, np.empty((len(part), VT.shape[0]), np.float32))

        if not len(F):
            return np.zeros((0, W.shape[1]), np.float32)
        return np.concatenate(self._blocks(block, len(F)))

    def cols(self, F: CountMatrix, G: np.ndarray) -> np.ndarray:  # type: ignore[override]
        from lstm_helpers.judge.ppv_kernels import cols_kernel

        GT = np.ascontiguousarray(G.T, dtype=np.float32)

        def block(i: int) -> np.ndarray:
            part = GT[:, i : i + BLOCK_ROWS]
            return cols_kernel(
                F.counts[i : i + BLOCK_ROWS], np.ascontiguousarray(part), np.zeros((len(GT), F.shape[1]), np.float32)
            )

        total = np.zeros((G.shape[1], F.shape[1]))
        for part in self._blocks(block, len(F)):
            total += part
        return total.T / F.lengths[:, None]


def _products(F: np.ndarray | CountMatrix) -> BlockProducts:
    """The products for ``F``: of float32 features, or of MiniRocket's counts."""
    return CountProducts() if isinstance(F, CountMatrix) else BlockProducts()


class Float32Logistic(ClassifierMixin, BaseEstimator):
    """L2 logistic regression on standardised features, fitted in float32 (see the module).

    Parameters follow scikit-learn's ``LogisticRegression``: ``C`` (inverse regularisation
    strength), ``class_weight`` (``"balanced"``, a dict or None), ``max_iter``, ``tol``.
    Fitted attributes: ``classes_``, ``coef_`` (K', p) and ``intercept_`` (K',) on the
    standardised scale (K' = 1 for two classes), ``mean_`` / ``scale_`` (the
    standardisation), ``centred_`` (the features were centred in a copy: some feature's mean
    is over :data:`FOLD_LIMIT` times its spread), ``n_iter_``.
    """

    def __init__(self, C: float = 1.0, class_weight: str | dict | None = None, max_iter: int = 100, tol: float = 1e-4):
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.tol = tol

    def _standardisation(self, F: np.ndarray | CountMatrix) -> None:
        """Column means and standard deviations in float64, the variance from blocks of rows
        of about 4 MB each, so that no float64 copy of ``F`` is made."""
        if isinstance(F, CountMatrix):
            self.mean_, var = F.column_moments()
        else:
            self.mean_ = F.mean(axis=0, dtype=np.float64)
            rows = max(1, 2**19 // max(1, F.shape[1]))
            sq = np.zeros(F.shape[1])
            for start in range(0, len(F), rows):
                sq += np.square(F[start : start + rows] - self.mean_).sum(axis=0)
            var = sq / len(F)
        n, eps = len(F), np.finfo(np.float64).eps
        # StandardScaler's rule: a variance within the two-pass algorithm's rounding error is
        # a constant feature, which keeps scale 1
        constant = var <= n * eps * var + (n * self.mean_ * eps) ** 2
        self.scale_ = np.where(constant, 1.0, np.sqrt(var))

    def fit(self, X: np.ndarray | CountMatrix, y: np.ndarray) -> Float32Logistic:
        """Fit on float features ``X`` (n, p), or on MiniRocket's counts (a :class:`CountMatrix`)."""
        F = X if isinstance(X, CountMatrix) else np.ascontiguousarray(X, dtype=np.float32)
        if not isinstance(F, CountMatrix) and not np.isfinite(F).all():
            raise ValueError("Float32Logistic: the features hold NaN or infinite values")
        self._standardisation(F)
        self.centred_ = bool(np.max(np.abs(self.mean_) / self.scale_) > FOLD_LIMIT)
        F = self._centred(F)
        with _products(F) as products:
            return self._fit(F, y, products)

    def _fit(self, F: np.ndarray | CountMatrix, y: np.ndarray, products: BlockProducts) -> Float32Logistic:
        self.classes_, yi = np.unique(np.asarray(y), return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"Float32Logistic needs at least two classes, got {self.classes_.tolist()}")
        cw = (
            compute_class_weight(self.class_weight, classes=self.classes_, y=np.asarray(y))
            if self.class_weight
            else None
        )
        sw = cw[yi] if cw is not None else np.ones(len(yi))
        k = 1 if len(self.classes_) == 2 else len(self.classes_)
        target = (yi == 1).astype(np.float64)[:, None] if k == 1 else np.eye(k)[yi]
        n_features, sw_sum = F.shape[1], float(sw.sum())
        l2 = 1.0 / (self.C * sw_sum)

        def loss_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
            W, b = theta[: n_features * k].reshape(n_features, k), theta[n_features * k :]
            Z = self._logits(F, W, b, products)
            if k == 1:
                loss = np.logaddexp(0.0, Z) - target * Z
                G = sw[:, None] * (expit(Z) - target)
            else:
                L = log_softmax(Z, axis=1)
                loss = -(target * L)
                G = sw[:, None] * (np.exp(L) - target)
            G_sum = G.sum(axis=0)
            grad_W = (products.cols(F, G.astype(np.float32)) - np.outer(self._offset, G_sum)) / self.scale_[:, None]
            value = float(np.sum(sw[:, None] * loss)) / sw_sum + 0.5 * l2 * float(np.sum(W * W))
            return value, np.concatenate([(grad_W / sw_sum + l2 * W).ravel(), G_sum / sw_sum])

        res = minimize(
            loss_grad, np.zeros(n_features * k + k), jac=True, method="L-BFGS-B",
            options={"maxiter": self.max_iter, "maxls": 50, "gtol": self.tol, "ftol": 64 * np.finfo(float).eps},
        )  # fmt: skip
        self.coef_ = res.x[: n_features * k].reshape(n_features, k).T.copy()
        self.intercept_ = res.x[n_features * k :].copy()
        self.n_iter_ = np.array([res.nit])
        return self

    @property
    def _offset(self) -> np.ndarray:
        """The mean still to take off inside the logits (zero once the features are centred)."""
        return np.zeros_like(self.mean_) if self.centred_ else self.mean_

    def _centred(self, F: np.ndarray | CountMatrix) -> np.ndarray | CountMatrix:
        """``F`` as the logits read it: itself, or a centred float32 copy (``centred_``; of
        the float features, for counts)."""
        if not self.centred_:
            return F
        return (F.dense() if isinstance(F, CountMatrix) else F) - self.mean_.astype(np.float32)

    def _logits(self, F: np.ndarray | CountMatrix, W: np.ndarray, b: np.ndarray, products: BlockProducts) -> np.ndarray:
        """(n, K') logits of float32 features ``F`` (as :meth:`_centred` gives them) for
        weights on the standardised scale."""
        W_raw = W / self.scale_[:, None]
        return products.rows(F, W_raw.astype(np.float32)).astype(np.float64) + (b - self._offset @ W_raw)

    def decision_function(self, X: np.ndarray | CountMatrix) -> np.ndarray:
        F = self._centred(X if isinstance(X, CountMatrix) else np.ascontiguousarray(X, dtype=np.float32))
        with _products(F) as products:
            Z = self._logits(F, self.coef_.T, self.intercept_, products)
        return Z[:, 0] if Z.shape[1] == 1 else Z

    def predict_proba(self, X: np.ndarray | CountMatrix) -> np.ndarray:
        Z = self.decision_function(X)
        if Z.ndim == 1:
            p1 = expit(Z)
            return np.stack([1.0 - p1, p1], axis=1)
        return np.exp(log_softmax(Z, axis=1))

    def predict(self, X: np.ndarray | CountMatrix) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
