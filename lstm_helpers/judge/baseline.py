"""A strong non-deep baseline beside every run: MiniRocket features + a linear classifier.

MiniRocket (Dempster et al. 2021; aeon's implementation) turns each window into ~10,000
proportion-of-positive-values features of fixed random convolutions; a linear classifier
on them is, on many time-series benchmarks, as accurate as deep networks and takes
minutes on a CPU. Users must see at once whether the LSTM earns its keep, so the
baseline is fitted on the *same training windows* the LSTM sees (real windows only: the
synthetic ones that resampling adds are left out; class weights ``balanced``), and it
returns class probabilities for the validation and test windows, so the run's threshold
strategy can be chosen on validation and applied to test exactly as for the LSTM.

Two linear heads on standardised features:

* ``logistic`` -- L2 logistic regression (probabilities by construction): scikit-learn's
  ``LogisticRegression(solver="lbfgs")`` objective, fitted in float32 without copying the
  features (:class:`~lstm_helpers.judge.linear_head.Float32Logistic`, 2.6x faster);
* ``ridge`` -- ``RidgeClassifierCV`` (alpha by efficient leave-one-out on the training
  windows); its decision values go through a softmax, which keeps their order (all that
  PR-AUC and a threshold chosen on validation need) but is not a calibrated probability.

``classifier="auto"`` fits both and keeps the one with the higher macro PR-AUC on
validation (never test). Written here: only that selection and the input handling below.
The features are kept as MiniRocket's integer counts where they are those
(:mod:`~lstm_helpers.judge.ppv_counts`: a quarter of the memory, bit for bit the same
values), and as float32 otherwise.

Inputs
    * real-valued windows ``(n, T, C)``; windows shorter than MiniRocket's kernel (9
      steps) are edge-padded to 9 (repeat the last value) and a note says so;
    * padded sequences (variable length) enter as they are, the padded steps holding the
      mask value: MiniRocket needs equal length, and a constant tail is what the LSTM sees
      too (without its mask);
    * token (text) inputs have no baseline: the result is ``available=False`` with the
      reason, as it is for ``evaluate.baseline: none``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import RidgeClassifierCV
from sklearn.metrics import average_precision_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from lstm_helpers.artifacts import save_npz, write_json
from lstm_helpers.judge.linear_head import Float32Logistic
from lstm_helpers.judge.ppv_counts import CountMatrix, minirocket_counts

MINIROCKET_MIN_LENGTH = 9  # MiniRocket's kernels span 9 timesteps
Classifier = Literal["auto", "logistic", "ridge"]
CLASSIFIERS: tuple[str, ...] = ("logistic", "ridge")
Features = np.ndarray | CountMatrix  # MiniRocket's features, float32 or as their integer counts


@dataclass
class BaselineResult:
    """What :func:`fit_baseline` returns; ``proba`` maps split name -> (n, K) scores."""

    kind: str  # "minirocket" or "none"
    available: bool
    reason: str = ""  # why there is no baseline, when ``available`` is False
    classifier: str = ""  # the linear head kept ("logistic" / "ridge")
    proba: dict[str, np.ndarray] = field(default_factory=dict)
    val_pr_auc: dict[str, float] = field(default_factory=dict)  # per head tried (macro)
    n_train: int = 0
    n_features: int = 0
    fit_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    cached: bool = False  # True: read from :func:`fit_baseline_cached`'s cache, not fitted here

    @property
    def label(self) -> str:
        return f"MiniRocket + {self.classifier}" if self.available else f"no baseline ({self.reason})"


def _unavailable(kind: str, reason: str) -> BaselineResult:
    return BaselineResult(kind=kind, available=False, reason=reason)


def _to_channels_first(X: np.ndarray, name: str) -> np.ndarray:
    """(n, T, C) or (n, T) real windows -> float32 (n, C, T'), T' >= 9 by edge padding."""
    X = np.asarray(X)
    if X.ndim == 2:
        X = X[:, :, None]
    if X.ndim != 3:
        raise ValueError(f"{name} must be (windows, timesteps, channels), got shape {X.shape}")
    if not np.issubdtype(X.dtype, np.number):
        raise ValueError(f"{name} must be numeric, got dtype {X.dtype}")
    out = np.ascontiguousarray(np.transpose(X, (0, 2, 1)), dtype=np.float32)
    short = MINIROCKET_MIN_LENGTH - out.shape[2]
    if short > 0:
        out = np.pad(out, ((0, 0), (0, 0), (0, short)), mode="edge")
    if not np.isfinite(out).all():
        raise ValueError(f"{name} holds NaN or infinite values; MiniRocket needs finite inputs")
    return out


@contextlib.contextmanager
def _quiet_fit() -> Iterator[None]:
    """scikit-learn's warnings that say nothing to a user of the baseline: the logistic head's
    iteration cap (its fit is used as it stands), and, for many classes of few cases each (UCR's
    PigCVP: 52 classes, 78 cases), its guess that ``y`` could be a regression target."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ConvergenceWarning, module="sklearn")
        warnings.filterwarnings("ignore", message="The number of unique classes is greater than 50%")
        yield


def _head(name: str, class_weight: str | dict[int, float] | None) -> Float32Logistic | Pipeline:
    """The linear head ``name``, unfitted; both standardise the features first."""
    if name == "logistic":
        return Float32Logistic(C=0.1, max_iter=300, class_weight=class_weight)
    return make_pipeline(StandardScaler(), RidgeClassifierCV(alphas=np.logspace(-3, 3, 10), class_weight=class_weight))


def _scores(model: Float32Logistic | Pipeline, F: Features, n_classes: int) -> np.ndarray:
    """(n, n_classes) scores, columns in class-index order (absent classes score 0)."""
    if isinstance(model, Float32Logistic):
        clf, part = model, model.predict_proba(F)
    else:
        clf, d = model[-1], model.decision_function(_dense(F))
        if d.ndim == 1:  # binary ridge: one signed margin for classes_[1]
            d = np.stack([-d, d], axis=1)
        e = np.exp(d - d.max(axis=1, keepdims=True))
        part = e / e.sum(axis=1, keepdims=True)
    out = np.zeros((len(F), n_classes))
    out[:, np.asarray(clf.classes_, dtype=np.int64)] = part
    return out


def _dense(F: Features) -> np.ndarray:
    """Float32 features for scikit-learn (the ridge head)."""
    return F.dense() if isinstance(F, CountMatrix) else F


def macro_pr_auc(y: np.ndarray, proba: np.ndarray) -> float:
    """Mean one-vs-rest average precision over the classes present in ``y`` (binary: class 1)."""
    y = np.asarray(y)
    if proba.shape[1] == 2:
        return float(average_precision_score(y == 1, proba[:, 1])) if (y == 1).any() else float("nan")
    present = [k for k in range(proba.shape[1]) if (y == k).any()]
    return float(np.mean([average_precision_score(y == k, proba[:, k]) for k in present]))


def warm_up() -> None:
    """Import aeon's MiniRocket and run it on a few tiny series, univariate and multivariate,
    so that its numba kernels are loaded from numba's on-disk cache before the real fit.

    ``lstm-workbench run`` calls this while stage 01 prepares the windows (one core is idle
    then): in a fresh process the import took 1.6 s and the first transforms 0.4 s on the
    2-core host, time that otherwise fell inside the fit, beside training. Nothing here
    depends on the data; the compiled kernels are chosen by dtype and layout, which
    :func:`_to_channels_first` fixes (C-contiguous float32). The integer-count products of
    the logistic head (:mod:`~lstm_helpers.judge.ppv_kernels`) are compiled or loaded too."""
    from aeon.transformations.collection.convolution_based import MiniRocket

    from lstm_helpers.judge import ppv_kernels

    rng = np.random.default_rng(0)
    for channels in (1, 2):
        X = _to_channels_first(rng.standard_normal((4, 16, channels)), "warm-up")
        MiniRocket(n_kernels=84, random_state=0).fit(X).transform(X)
    ppv_kernels.warm_up()


def _minirocket_features(
    X_train: np.ndarray, keep: np.ndarray, X_eval: dict[str, np.ndarray], n_kernels: int,
    n_jobs: int, seed: int,
) -> tuple[Features, dict[str, Features | None], list[str]]:  # fmt: skip
    """MiniRocket fitted on the kept training windows; features of every split (as integer
    counts where they are those, :mod:`~lstm_helpers.judge.ppv_counts`), and notes."""
    from aeon.transformations.collection.convolution_based import MiniRocket  # numba: import on use

    Xt = _to_channels_first(np.asarray(X_train)[keep], "X_train")
    names, notes = list(X_eval), []
    if np.asarray(X_train).shape[1] < MINIROCKET_MIN_LENGTH:
        notes.append(
            f"windows of {np.asarray(X_train).shape[1]} steps were edge-padded to "
            f"{MINIROCKET_MIN_LENGTH} (MiniRocket's kernel length)"
        )
    if (~keep).any():
        notes.append(f"{int((~keep).sum())} synthetic training window(s) left out")
    rocket = MiniRocket(n_kernels=n_kernels, n_jobs=n_jobs, random_state=seed).fit(Xt)
    X_eval = {k: _to_channels_first(v, f"X_{k}") for k, v in X_eval.items() if len(v)}
    counts = [minirocket_counts(rocket, X) for X in (Xt, *X_eval.values())]
    if all(c is not None for c in counts):
        F_train, *F_rest = counts
    else:  # not the counts ppv_counts expects (another aeon?): the float32 features
        F_train, *F_rest = [rocket.transform(X) for X in (Xt, *X_eval.values())]
    F_eval = dict(zip(X_eval, F_rest, strict=True))
    return F_train, {k: F_eval.get(k) for k in names}, notes


def fit_baseline(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_eval: dict[str, np.ndarray],
    n_classes: int,
    *,
    kind: Literal["minirocket", "none"] = "minirocket",
    input_kind: Literal["real", "tokens"] = "real",
    synthetic: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    classifier: Classifier = "auto",
    class_weight: Literal["balanced"] | dict[int, float] | None = "balanced",
    n_kernels: int = 10_000,
    seed: int = 0,
    n_jobs: int = 1,
) -> BaselineResult:
    """Fit MiniRocket + a linear head on the training windows; score the evaluation windows.

    Parameters
    ----------
    X_train, y_train
        Training windows ``(n, T, C)`` and class indices, as prepared for the LSTM.
    X_eval
        Split name -> windows to score (e.g. ``{"val": X_val, "test": X_test}``).
    n_classes
        Number of classes K; ``proba`` columns follow the class indices 0..K-1.
    kind, input_kind
        ``cfg.evaluate.baseline`` (``"none"``: unavailable at once); ``"tokens"`` (token ids) has no baseline.
    synthetic, y_val
        Mask of synthetic training windows (left out); validation labels (``"auto"`` needs them).
    classifier
        ``"logistic"``, ``"ridge"`` or ``"auto"`` (both; higher validation macro PR-AUC).
    class_weight, n_kernels, seed, n_jobs
        Passed to scikit-learn / aeon (``n_kernels`` is MiniRocket's feature budget).
    """
    if kind == "none":
        return _unavailable(kind, "evaluate.baseline = none")
    if input_kind == "tokens":
        return _unavailable(kind, "MiniRocket needs real-valued series; token ids (text, data.tokens) have no baseline")
    if classifier not in ("auto", *CLASSIFIERS):
        raise ValueError(f"classifier must be one of ('auto', 'logistic', 'ridge'), got {classifier!r}")
    y_train = np.asarray(y_train, dtype=np.int64)
    keep = np.ones(len(y_train), bool) if synthetic is None else ~np.asarray(synthetic, bool)
    if len(keep) != len(y_train) or len(np.asarray(X_train)) != len(y_train):
        raise ValueError(
            f"X_train, y_train and synthetic disagree in length ({len(X_train)}, {len(y_train)}, {len(keep)})"
        )
    if len(np.unique(y_train[keep])) < 2:
        return _unavailable(kind, "the training windows hold fewer than two classes")
    t0 = time.perf_counter()
    F_train, F_eval, notes = _minirocket_features(X_train, keep, X_eval, n_kernels, n_jobs, seed)
    heads = list(CLASSIFIERS) if classifier == "auto" else [classifier]
    if classifier == "auto" and (y_val is None or F_eval.get("val") is None):
        heads = ["logistic"]
        notes.append("no validation windows to choose the head on: logistic regression kept")
    fitted: dict[str, Float32Logistic | Pipeline] = {}
    val_auc: dict[str, float] = {}
    for name in heads:
        with _quiet_fit():
            fitted[name] = _head(name, class_weight).fit(
                F_train if name == "logistic" else _dense(F_train), y_train[keep]
            )
        if y_val is not None and F_eval.get("val") is not None:
            val_auc[name] = round(macro_pr_auc(y_val, _scores(fitted[name], F_eval["val"], n_classes)), 4)
    best = max(heads, key=lambda h: (np.nan_to_num(val_auc.get(h, 0.0), nan=0.0), h == "logistic"))
    proba = {
        k: (_scores(fitted[best], F, n_classes) if F is not None else np.zeros((0, n_classes)))
        for k, F in F_eval.items()
    }
    return BaselineResult(
        kind=kind,
        available=True,
        classifier=best,
        proba=proba,
        val_pr_auc=val_auc,
        n_train=int(keep.sum()),
        n_features=int(F_train.shape[1]),
        fit_seconds=round(time.perf_counter() - t0, 2),
        notes=notes,
    )


# ------------------------------------------------------------------------------- cache
CACHE_VERSION = 4  # bump when the fit changes in a way the inputs below do not capture
# (3: the logistic head's sums no longer depend on the BLAS thread count, linear_head.BlockProducts;
# 4: the logistic head reads MiniRocket's integer counts, ppv_counts)


def baseline_fingerprint(
    X_train: np.ndarray, y_train: np.ndarray, X_eval: dict[str, np.ndarray], n_classes: int, **settings: object
) -> str:
    """SHA-256 of everything :func:`fit_baseline` depends on: the training, validation and
    evaluation arrays (bytes, dtype, shape), the class count, its keyword settings and
    the scikit-learn / aeon versions."""
    import aeon
    import sklearn

    head = {"version": CACHE_VERSION, "n_classes": n_classes,
            "sklearn": sklearn.__version__, "aeon": aeon.__version__, "eval": sorted(X_eval),
            "settings": {k: settings[k] for k in sorted(settings) if k not in ("synthetic", "y_val")}}  # fmt: skip
    h = hashlib.sha256(json.dumps(head, sort_keys=True, default=str).encode())
    arrays = {"X_train": X_train, "y_train": y_train, "synthetic": settings.get("synthetic"),
              "y_val": settings.get("y_val"), **{f"X_{k}": v for k, v in sorted(X_eval.items())}}  # fmt: skip
    for name, arr in arrays.items():
        a = np.ascontiguousarray(np.asarray(arr)) if arr is not None else np.zeros(0)
        h.update(f"{name}|{a.dtype.str}|{a.shape}|{arr is None}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def fit_baseline_cached(
    cache_dir: str | Path | None,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_eval: dict[str, np.ndarray],
    n_classes: int,
    on_claim: Callable[[], None] | None = None,
    **kwargs: object,
) -> BaselineResult:
    """:func:`fit_baseline`, reusing the result of an identical earlier fit from ``cache_dir``.

    Runs whose prepared windows and baseline settings are identical (a sweep over model or
    training parameters on the same data and seed) fit MiniRocket once: the result is kept as
    ``<cache_dir>/<fingerprint>.npz`` (scores) + ``.json`` (the rest), keyed by
    :func:`baseline_fingerprint`, so a different input misses. ``cached`` says which it was;
    ``fit_seconds`` stays the original fit's. ``cache_dir=None``, ``kind="none"`` and token
    input just call :func:`fit_baseline`. While another live process fits the same inputs
    (``<fingerprint>.running`` holds its pid) this waits for its result; two fits that start
    at the same moment both fit and write the same files (written whole, then renamed).
    ``on_claim`` is called once this call has written its ``.running`` marker (it fits), so
    a caller can let another process start that will wait for the result.
    """
    if cache_dir is None or kwargs.get("kind", "minirocket") == "none" or kwargs.get("input_kind") == "tokens":
        return fit_baseline(X_train, y_train, X_eval, n_classes, **kwargs)  # type: ignore[arg-type]
    key = baseline_fingerprint(X_train, y_train, X_eval, n_classes, **kwargs)
    cache = Path(cache_dir)
    npz, meta, running = cache / f"{key}.npz", cache / f"{key}.json", cache / f"{key}.running"
    _wait_while_fitting(running)
    if npz.is_file() and meta.is_file():
        info = json.loads(meta.read_text())
        with np.load(npz) as f:
            proba = {k: f[f"proba_{k}"] for k in info.pop("splits")}
        return BaselineResult(**info, proba=proba, cached=True)
    cache.mkdir(parents=True, exist_ok=True)
    write_json(running, {"pid": os.getpid()})
    if on_claim is not None:
        on_claim()
    try:
        res = fit_baseline(X_train, y_train, X_eval, n_classes, **kwargs)  # type: ignore[arg-type]
        save_npz(npz, {f"proba_{k}": v for k, v in res.proba.items()})
        info = {k: v for k, v in asdict(res).items() if k not in ("proba", "cached")} | {"splits": list(res.proba)}
        write_json(meta, info)
    finally:
        running.unlink(missing_ok=True)
    return res


def _wait_while_fitting(running: Path, poll: float = 0.2) -> None:
    """Wait while ``running`` names a live process that is fitting the same inputs (a stale
    marker of a process that died is ignored)."""
    import psutil

    while running.is_file():
        try:
            pid = int(json.loads(running.read_text())["pid"])
        except (ValueError, KeyError, TypeError, OSError):
            time.sleep(poll)  # being written
            continue
        if pid == os.getpid() or not psutil.pid_exists(pid):
            return
        time.sleep(poll)
