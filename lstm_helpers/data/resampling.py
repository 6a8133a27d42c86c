"""Per-channel scaling fitted on training timesteps, and rebalancing of the training split.

Scalers are scikit-learn's; samplers are imbalanced-learn's (RandomUnderSampler,
RandomOverSampler, SMOTE on flattened windows, reshaped back). Hand-written here: the target
counts for an *imbalance factor* (largest class : each smaller class after resampling) and
the jitter / scale / time-shift augmentation of minority windows, which imbalanced-learn
does not offer for time series.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.under_sampling import RandomUnderSampler
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler
from sklearn.utils.class_weight import compute_class_weight

from lstm_helpers.config import ResampleConfig
from lstm_helpers.style import names_text

RESAMPLE_METHODS = (
    "none",
    "class_weight",
    "undersample",
    "oversample",
    "smote",
    "smote_under",
    "augment",
)


# ------------------------------------------------------------------------------ scaling
def fit_scaler(train_values: np.ndarray, method: str) -> dict:
    """Fit a per-channel scaler on training timesteps; return ``{method, center, scale}``."""
    c = train_values.shape[1]
    if method == "none":
        return {"method": "none", "center": [0.0] * c, "scale": [1.0] * c}
    scaler = {"standard": StandardScaler, "robust": RobustScaler, "minmax": MinMaxScaler}[method]()
    scaler.fit(train_values)
    if method == "minmax":
        center, scale = scaler.data_min_, scaler.data_range_
    else:
        center = scaler.center_ if method == "robust" else scaler.mean_
        scale = scaler.scale_
    scale = np.where(np.asarray(scale) > 0, scale, 1.0)
    return {
        "method": method,
        "center": np.asarray(center, float).tolist(),
        "scale": np.asarray(scale, float).tolist(),
    }


def apply_scaler(values: np.ndarray, scaler: dict) -> np.ndarray:
    """(values - center) / scale, as float32 (a new array; the input is untouched)."""
    center = np.asarray(scaler["center"], dtype=np.float32)
    scale = np.asarray(scaler["scale"], dtype=np.float32)
    return ((values - center) / scale).astype(np.float32)


def scale_per_recording(values: np.ndarray, offsets: np.ndarray, method: str) -> np.ndarray:
    """Scale each recording by its own per-channel statistics (no labels involved).

    ``standard``: mean / std; ``robust``: median / IQR; ``minmax``: min / range. Written
    here because scikit-learn's scalers fit one set of statistics for all rows; the loop is
    over recordings, each step vectorised over its timesteps.
    """
    out = np.empty_like(values, dtype=np.float32)
    for a, b in zip(offsets[:-1], offsets[1:], strict=True):
        if b > a:
            sc = fit_scaler(values[a:b], method)
            out[a:b] = apply_scaler(values[a:b], sc)
    return out


def scale_per_sequence(values: np.ndarray, n_sequences: int, lengths_true: np.ndarray, method: str) -> np.ndarray:
    """Scale each padded sequence by its own per-channel statistics over its real steps.

    ``values`` is the concatenation of ``n_sequences`` sequences padded to one length; the
    padded steps neither enter the statistics nor keep meaning (the caller resets them to
    the mask value). Vectorised over sequences (NaN-aware reductions on the padded block);
    a channel that is constant within a sequence is only centred.
    """
    n_steps = len(values) // n_sequences
    X = values.reshape(n_sequences, n_steps, -1).astype(np.float64)
    real = np.arange(n_steps)[None, :] < np.asarray(lengths_true)[:, None]
    Xn = np.where(real[:, :, None], X, np.nan)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=RuntimeWarning, module="numpy")
        if method == "none":
            return values.astype(np.float32)
        if method == "standard":
            center, scale = np.nanmean(Xn, axis=1), np.nanstd(Xn, axis=1)
        elif method == "robust":
            q25, center, q75 = np.nanpercentile(Xn, [25, 50, 75], axis=1)
            scale = q75 - q25
        else:  # minmax
            center = np.nanmin(Xn, axis=1)
            scale = np.nanmax(Xn, axis=1) - center
    center = np.nan_to_num(center)
    scale = np.where(np.nan_to_num(scale) > 0, scale, 1.0)
    return ((X - center[:, None, :]) / scale[:, None, :]).astype(np.float32).reshape(values.shape)


# ------------------------------------------------------------------------------ rebalancing
@dataclass
class Resampled:
    X: np.ndarray
    y: np.ndarray
    source: np.ndarray  # index into the original windows, -1 for synthetic (SMOTE/augment)
    synthetic: np.ndarray
    class_weight: dict[int, float] | None
    notes: list[str]
    summary: str = ""  # what a sampler did, one line: "smote: chase 147 -> 798 windows (651 synthetic)"


def target_counts(counts: np.ndarray, factor: float, how: str) -> np.ndarray:
    """Per-class counts after resampling so that largest : each smaller class <= ``factor``.

    ``over``: raise each smaller class to ``ceil(max / factor)``; ``under``: cut each larger
    class to ``floor(factor * min)``; ``both``: raise smaller classes to the geometric middle
    ``sqrt(n * max / factor)`` first (SMOTE), then cut (undersampling) to ``factor * min``.
    """
    counts = np.asarray(counts, dtype=np.int64)
    present = counts > 0
    if how == "over":
        need = int(math.ceil(counts.max() / factor))
        return np.where(present, np.maximum(counts, need), 0)
    if how == "under":
        cap = int(math.floor(factor * counts[present].min()))
        return np.where(present, np.minimum(counts, max(cap, 1)), 0)
    mid = np.ceil(np.sqrt(counts * counts.max() / factor)).astype(np.int64)
    raised = np.where(present, np.maximum(counts, mid), 0)
    cap = int(math.floor(factor * raised[present].min()))
    return np.where(present, np.minimum(raised, cap), 0)


def balanced_class_weight(
    y: np.ndarray, n_classes: int, explicit: dict | None = None, classes: list[str] | None = None
) -> dict[int, float]:
    """Class weights ``{index: weight}``: sklearn's ``balanced`` or an explicit map by class name."""
    present = np.unique(y)
    if explicit:
        names = classes or [str(i) for i in range(n_classes)]
        unknown = sorted(set(explicit) - set(names))
        if unknown:
            raise ValueError(f"resample.class_weight names unknown class(es) {unknown}; classes: {names}")
        return {i: float(explicit.get(n, 1.0)) for i, n in enumerate(names)}
    w = compute_class_weight("balanced", classes=present, y=y)
    out = {i: 1.0 for i in range(n_classes)}
    out.update({int(c): float(v) for c, v in zip(present, w, strict=True)})
    return out


def unnamed_weight_notes(explicit: dict | None, classes: list[str]) -> list[str]:
    """A note (warned, and kept for ``prepare.json``) naming the classes that weights by class
    name (``resample.class_weight``) leave out: each of those weighs 1.0, which the run said
    nowhere (``{play: 5, rest: 1}`` on six classes weighed the other four as ``rest``)."""
    if not explicit or not (left := [c for c in classes if c not in explicit]):
        return []
    given = ", ".join(f"{c} {float(w):g}" for c, w in explicit.items())
    note = (
        f"resample.class_weight ({given}) names {len(explicit)} of the {len(classes)} classes: "
        f"{'the other' if len(left) == 1 else 'the others'}, {names_text(left, shown=8)}, "
        f"{'weighs' if len(left) == 1 else 'weigh'} 1.0; give every class its weight, or "
        "resample.class_weight: balanced for weights from the training counts"
    )
    warnings.warn(note, stacklevel=4)
    return [note]


def augment_windows(
    X: np.ndarray,
    n_new: int,
    rng: np.random.Generator,
    jitter_sigma: float,
    scale_sigma: float,
    max_shift: int,
    lengths: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n_new`` windows from ``X`` and perturb them (vectorised over the batch):
    additive Gaussian jitter, a per-channel gain ``~ N(1, scale_sigma)`` and a circular time
    shift of up to ``max_shift`` steps. Returns (new windows, index of the source window).

    ``lengths``: the real steps of each padded window (sequences padded at the end). The
    shift then turns each window within its real steps, and the padding is neither moved nor
    perturbed, so the model's mask still finds it."""
    src = rng.integers(0, len(X), n_new)
    base = X[src]
    n, t = base.shape[:2]
    real_len = np.full(n, t) if lengths is None else np.minimum(lengths, t)[src]
    steps = np.arange(t)[None, :]
    real = steps < real_len[:, None]
    if max_shift:
        shift = rng.integers(-max_shift, max_shift + 1, n)
        idx = np.where(real, (steps - shift[:, None]) % real_len[:, None], steps)
        base = np.take_along_axis(base, idx[:, :, None], axis=1)
    if X.ndim == 3:
        gain = rng.normal(1.0, scale_sigma, (n, 1, X.shape[2])).astype(np.float32)
        perturbed = base * gain + rng.normal(0.0, jitter_sigma, base.shape).astype(np.float32)
        base = np.where(real[:, :, None], perturbed, base)
    return base.astype(X.dtype), src


def _undersample(X: np.ndarray, y: np.ndarray, counts: np.ndarray, cfg: ResampleConfig, seed: int) -> Resampled:
    tgt = target_counts(counts, cfg.imbalance_factor, "under")
    rus = RandomUnderSampler(sampling_strategy={int(c): int(t) for c, t in enumerate(tgt) if t}, random_state=seed)
    rus.fit_resample(np.arange(len(y))[:, None], y)
    idx = np.sort(rus.sample_indices_)
    notes = []
    if len(idx) < len(y) / 2:  # most of the training data thrown away: said, with the cause
        notes.append(
            f"undersampling kept {len(idx):,} of {len(y):,} training windows (every class cut to "
            f"imbalance_factor {cfg.imbalance_factor:g} x the smallest, which has {int(counts[counts > 0].min()):,}); "
            "class_weight or oversample keep them all"
        )
        warnings.warn(notes[0], stacklevel=4)
    return Resampled(X[idx], y[idx], idx, np.zeros(len(idx), bool), None, notes)


def _oversample(X: np.ndarray, y: np.ndarray, counts: np.ndarray, cfg: ResampleConfig, seed: int) -> Resampled:
    tgt = target_counts(counts, cfg.imbalance_factor, "over")
    ros = RandomOverSampler(sampling_strategy={int(c): int(t) for c, t in enumerate(tgt) if t}, random_state=seed)
    ros.fit_resample(np.arange(len(y))[:, None], y)
    idx = ros.sample_indices_
    dup = np.zeros(len(idx), bool)
    dup[len(y) :] = True  # imbalanced-learn appends the drawn copies after the originals
    return Resampled(X[idx], y[idx], idx, dup, None, [])  # the copies: said by rebalance's summary


def _augment(
    X: np.ndarray, y: np.ndarray, counts: np.ndarray, cfg: ResampleConfig, seed: int, lengths: np.ndarray | None
) -> Resampled:
    rng = np.random.default_rng(seed)
    tgt = target_counts(counts, cfg.imbalance_factor, "over")
    Xs, ys, srcs = [X], [y], [np.arange(len(y))]
    for c in np.flatnonzero(tgt > counts):
        members = np.flatnonzero(y == c)
        new, _ = augment_windows(
            X[members],
            int(tgt[c] - counts[c]),
            rng,
            cfg.augment.jitter_sigma,
            cfg.augment.scale_sigma,
            cfg.augment.max_shift,
            None if lengths is None else lengths[members],
        )
        Xs.append(new)
        ys.append(np.full(len(new), c, dtype=y.dtype))
        srcs.append(np.full(len(new), -1))
    Xo, yo, so = np.concatenate(Xs), np.concatenate(ys), np.concatenate(srcs)
    return Resampled(Xo, yo, so, so < 0, None, [])


def _smote_neighbours(
    counts: np.ndarray, grow: list[int], cfg: ResampleConfig, n: int, notes: list[str], classes: list[str] | None
) -> int:
    """``resample.smote_k``, reduced (with a note) when a growing class is too small for it;
    the class is named (``classes``; its index without them)."""
    k = cfg.smote_k
    smallest = int(min(counts[c] for c in grow)) if grow else n
    if grow and smallest <= k:
        c = min(grow, key=lambda g: counts[g])
        name = repr(classes[c]) if classes is not None else f"index {c}"
        if smallest < 2:
            raise ValueError(
                f"class {name} with 1 training window cannot grow by SMOTE, which interpolates between two "
                "windows of a class (whatever resample.smote_k or on_small_class); use resample.method "
                "oversample or augment, or give the class more windows"
            )
        if cfg.on_small_class == "error":
            raise ValueError(
                f"class {name} with {smallest} training window(s) is too small for SMOTE with "
                f"resample.smote_k={k} (needs more than k); lower smote_k, use "
                f"resample.on_small_class=reduce, or use oversample/augment"
            )
        k = smallest - 1
        msg = f"SMOTE k_neighbors reduced from {cfg.smote_k} to {k}: class {name} has only {smallest} training windows"
        warnings.warn(msg, stacklevel=4)
        notes.append(msg)
    return k


LENGTH_WEIGHT = 1e-3  # a padded window's length rides along SMOTE's vectors at this weight


def _edge_filled(X: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Padded windows with each padded step holding the window's last real step."""
    t = X.shape[1]
    idx = np.minimum(np.arange(t)[None, :], np.minimum(lengths, t)[:, None] - 1)
    return np.take_along_axis(X, idx[:, :, None], axis=1)


def _repadded(X: np.ndarray, lengths: np.ndarray, mask_value: float) -> np.ndarray:
    """Steps at or beyond each window's length set to ``mask_value``."""
    pad = np.arange(X.shape[1])[None, :] >= lengths[:, None]
    return np.where(pad[:, :, None], np.asarray(mask_value, X.dtype), X)


def _smote(
    X: np.ndarray,
    y: np.ndarray,
    counts: np.ndarray,
    cfg: ResampleConfig,
    seed: int,
    n_classes: int,
    padding: tuple[np.ndarray, float] | None = None,
    classes: list[str] | None = None,
) -> Resampled:
    """SMOTE (``smote_under``: then undersampling), on flattened windows; ``classes`` names them
    in errors and notes.

    ``padding``: (real steps per window, mask value) for padded sequences. Interpolating
    between a long case and a short one's padding would give steps halfway to the mask
    value, which the model's mask does not find. So each window's padding is filled with its
    last real step before SMOTE, and its length travels along as one more (lightly weighted)
    value: SMOTE interpolates it with the same gap as the steps. A synthetic window is then
    cut back to its rounded interpolated length and padded with the mask value again
    (written here: imbalanced-learn knows nothing of padding)."""
    n, notes = len(y), []
    how = "over" if cfg.method == "smote" else "both"
    tgt = target_counts(counts, cfg.imbalance_factor, how)
    smote_tgt = (
        np.maximum(counts, tgt)
        if cfg.method == "smote"
        else np.maximum(counts, np.ceil(np.sqrt(counts * counts.max() / cfg.imbalance_factor)).astype(np.int64))
    )
    grow = [c for c in range(n_classes) if smote_tgt[c] > counts[c] > 0]
    k = _smote_neighbours(counts, grow, cfg, n, notes, classes)
    flat = X.reshape(n, -1)
    if padding is not None:
        lengths = np.minimum(padding[0], X.shape[1])
        flat = np.column_stack([_edge_filled(X, lengths).reshape(n, -1), (lengths * LENGTH_WEIGHT).astype(X.dtype)])
    if grow:
        sm = SMOTE(
            sampling_strategy={int(c): int(smote_tgt[c]) for c in grow},
            k_neighbors=k,
            random_state=seed,
        )
        Xf, yf = sm.fit_resample(flat, y)
    else:
        Xf, yf = flat, y
    src = np.concatenate([np.arange(n), np.full(len(yf) - n, -1)])  # SMOTE appends new samples
    if cfg.method == "smote_under":
        c2 = np.bincount(yf, minlength=n_classes)
        cap = int(math.floor(cfg.imbalance_factor * c2[c2 > 0].min()))
        rus = RandomUnderSampler(
            sampling_strategy={int(c): int(min(v, cap)) for c, v in enumerate(c2) if v},
            random_state=seed,
        )
        rus.fit_resample(np.arange(len(yf))[:, None], yf)
        keep = np.sort(rus.sample_indices_)
        Xf, yf, src = Xf[keep], yf[keep], src[keep]
    if padding is not None:
        lengths = np.clip(np.rint(Xf[:, -1] / LENGTH_WEIGHT), 1, X.shape[1]).astype(np.int64)
        Xf = _repadded(Xf[:, :-1].reshape(len(yf), *X.shape[1:]), lengths, padding[1])
    return Resampled(
        Xf.reshape(len(yf), *X.shape[1:]).astype(X.dtype),
        yf.astype(y.dtype),
        src,
        src < 0,
        None,
        notes,
    )


def rebalance(
    X: np.ndarray,
    y: np.ndarray,
    cfg: ResampleConfig,
    n_classes: int,
    seed: int,
    classes: list[str] | None = None,
    tokens: bool = False,
    padding: tuple[np.ndarray, float] | None = None,
) -> Resampled:
    """Rebalance training windows ``X`` (n, T, C) / labels ``y`` by ``cfg.method``.

    Only ever called on the training split. ``source`` maps every output window to the input
    window it came from (-1 for synthetic ones) so metadata can follow. ``padding``: (real
    steps per window, mask value) when the windows are sequences padded at the end; the
    synthetic windows of ``augment`` and SMOTE then keep their padding at the mask value.
    """
    method = cfg.method
    n = len(y)
    counts = np.bincount(y, minlength=n_classes)
    if method in ("none", "class_weight"):
        cw, notes = None, []
        if method == "class_weight":
            explicit = cfg.class_weight if isinstance(cfg.class_weight, dict) else None
            cw = balanced_class_weight(y, n_classes, explicit, classes)
            notes = unnamed_weight_notes(explicit, classes or [str(i) for i in range(n_classes)])
        return Resampled(X, y, np.arange(n), np.zeros(n, bool), cw, notes)
    if tokens and method in ("smote", "smote_under", "augment"):
        raise ValueError(
            f"resample.method {method!r} interpolates values and cannot be used on token "
            f"windows; use none, class_weight, undersample or oversample"
        )
    if (counts > 0).sum() < 2:
        raise ValueError("resampling needs at least two classes in the training split")
    if method == "undersample":
        r = _undersample(X, y, counts, cfg, seed)
    elif method == "oversample":
        r = _oversample(X, y, counts, cfg, seed)
    elif method == "augment":
        r = _augment(X, y, counts, cfg, seed, None if padding is None else padding[0])
    else:
        r = _smote(X, y, counts, cfg, seed, n_classes, padding, classes)
    _say_what_was_done(r, counts, cfg, classes or [f"class {i}" for i in range(n_classes)])
    return r


def resample_summary(method: str, before: dict[str, int], after: dict[str, int], made: dict[str, int]) -> str:
    """``smote: chase 147 -> 798 windows (651 synthetic)``: each class a sampler changed, its
    training windows before -> after and (``made``) how many of them it made (oversample: copies);
    "" when it changed none."""
    kind = "copies" if method == "oversample" else "synthetic"
    parts = [
        f"{c} {before[c]:,} -> {after[c]:,} windows" + (f" ({made[c]:,} {kind})" if made.get(c) else "")
        for c in before
        if before[c] != after[c] or made.get(c)
    ]
    return f"{method}: {', '.join(parts)}" if parts else ""


MANY_MADE = 10  # a class with more than this many made windows per real one is warned of


def _say_what_was_done(r: Resampled, counts: np.ndarray, cfg: ResampleConfig, names: list[str]) -> None:
    """``r.summary``, one line of what the sampler did (the terminal printed a line for
    oversample alone); a note when ``resample.imbalance_factor`` was already met, so nothing
    changed (the samplers said nothing); and a warning per class whose made windows outnumber its real ones more than
    :data:`MANY_MADE` times (97 of 100 SMOTE windows made from 3 real ones were said only as
    "k_neighbors reduced")."""
    after = np.bincount(r.y, minlength=len(counts))
    made = np.bincount(r.y[r.synthetic], minlength=len(counts))
    r.summary = resample_summary(
        cfg.method,
        dict(zip(names, counts.tolist(), strict=True)),
        dict(zip(names, after.tolist(), strict=True)),
        dict(zip(names, made.tolist(), strict=True)),
    )
    present = counts[counts > 0]
    if not r.summary and present.max() <= cfg.imbalance_factor * present.min():
        r.notes.append(
            f"resample.imbalance_factor {cfg.imbalance_factor:g} is already met ({present.max() / present.min():.3g} "
            ": 1): the training windows are unchanged"
        )
        warnings.warn(r.notes[-1], stacklevel=3)
    for c in np.flatnonzero(made > MANY_MADE * np.maximum(counts, 1)):
        what = (
            f"copies of {counts[c]:,} real window(s)"
            if cfg.method == "oversample"
            else (f"synthetic ({cfg.method}), made from {counts[c]:,} real window(s)")
        )
        msg = (
            f"{int(made[c]):,} of the {int(after[c]):,} training windows of {names[c]!r} are {what}: what the "
            f"model learns of {names[c]!r} rests on those few; more labelled {names[c]!r} windows help, and a larger "
            "resample.imbalance_factor (or resample.method class_weight) makes fewer"
        )
        warnings.warn(msg, stacklevel=3)
        r.notes.append(msg)


def measured_imbalance(y: np.ndarray, n_classes: int) -> float | None:
    """Largest class count / smallest non-empty class count."""
    c = np.bincount(y, minlength=n_classes)
    c = c[c > 0]
    return float(c.max() / c.min()) if len(c) > 1 else None
