"""Stage 02's data and determinism: the tf.data pipelines (the training stream whose epoch
order is a function of (seed, epoch) alone, so a resumed run sees the same batches), op
determinism, the distribution strategy and the recurrent kernel choice."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from lstm_helpers.config import TrainConfig


def make_dataset(
    X: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    n_classes: int,
    one_hot: bool,
    shuffle: bool,
    seed: int,
    shuffle_buffer: int = 10000,
) -> tf.data.Dataset:
    """``from_tensor_slices`` -> (seeded shuffle) -> batch -> (one-hot) -> prefetch, for a
    ``fit`` that reshuffles every epoch (search trials) or for validation / inference.

    Binary labels become float32 ``(n, 1)`` to match ``Dense(1, sigmoid)``; multi-class
    labels stay int (sparse) unless ``one_hot``.
    """
    labels = _labels(y, n_classes)
    ds = tf.data.Dataset.from_tensor_slices((X, labels))
    if shuffle:
        ds = ds.shuffle(min(shuffle_buffer, len(X)), seed=seed, reshuffle_each_iteration=True)
    return _finish(ds.batch(batch_size), n_classes, one_hot)


def _labels(y: np.ndarray, n_classes: int) -> np.ndarray:
    return y.astype(np.float32).reshape(-1, 1) if n_classes == 2 else y.astype(np.int32)


PREFETCH_BATCHES = 2  # batches prepared ahead of the step that needs them


def _pipeline_options() -> tf.data.Options:
    """tf.data's autotuner off, a fixed prefetch instead (benchmarks/README.md, issue 12).

    With ``prefetch(AUTOTUNE)`` a new iterator (every validation pass, every epoch of a
    ``fit`` over a plain dataset) sometimes waited ~0.6 s before its first batch on a 2-core
    machine, and steady epochs were slower: 16 epochs of the demo BiLSTM at T=50, batch 64
    took 11.55 / 9.58 s with the autotuner against 8.88 / 8.90 s without it (3 stalls
    against none). Slicing a tensor already in memory into batches needs no tuning.
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return options


def _finish(ds: tf.data.Dataset, n_classes: int, one_hot: bool) -> tf.data.Dataset:
    if one_hot:
        ds = ds.map(lambda x, t: (x, tf.one_hot(t, n_classes)), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(PREFETCH_BATCHES).with_options(_pipeline_options())


def epoch_seed(seed: int, epoch: Any) -> Any:
    """The shuffle seed of one epoch: a function of the run's seed and the epoch alone."""
    return int(seed) * 1_000_003 + epoch


def training_stream(
    X: np.ndarray,
    y: np.ndarray,
    train_cfg: TrainConfig,
    n_classes: int,
    one_hot: bool,
    seed: int,
    mask_value: float | None = None,
) -> tuple[tf.data.Dataset, tf.Variable]:
    """The training batches of every planned epoch as one stream, and its first epoch.

    Epoch ``e`` is a full permutation of the windows seeded by :func:`epoch_seed`
    ``(seed, e)`` (indices only: the windows are gathered per batch) and cut into ``ceil(n / batch_size)`` batches, so an
    epoch's order needs no state: a resumed run sets the returned variable to its first
    epoch (:class:`~lstm_helpers.model.callbacks.RandomStateKeeper` does, before the stream
    is read) and sees the batches the uninterrupted run saw. ``fit`` must get
    ``steps_per_epoch = ceil(n / batch_size)`` so Keras reads the stream with one iterator.

    ``train.augment`` perturbs each numeric batch (:func:`augment_batch`); padded timesteps
    (every channel equal to ``mask_value``, when given) are left as they are so the model's
    mask still finds them.
    """
    n = len(X)
    X_t, labels_t = tf.convert_to_tensor(X), tf.convert_to_tensor(_labels(y, n_classes))
    first = tf.Variable(0, dtype=tf.int64, trainable=False, name="first_epoch")

    def epochs(_: Any) -> tf.data.Dataset:
        return tf.data.Dataset.range(first.read_value(), train_cfg.epochs)

    def one_epoch(e: Any) -> tf.data.Dataset:
        # a stateless permutation of the window indices: a function of (seed, epoch) alone
        # (Dataset.shuffle with a tensor seed fails in graph mode when the global seed is 0)
        key = tf.stack([tf.constant(int(seed), tf.int64), epoch_seed(seed, e)])
        order = tf.random.experimental.stateless_shuffle(tf.range(n, dtype=tf.int64), seed=key)
        batches = tf.data.Dataset.from_tensor_slices(order).batch(train_cfg.batch_size).enumerate()
        # batch b's augmentation key: the epoch's key folded with b (a hash, so it meets no
        # other epoch's key: (epoch seed, 2b) did, for seed 0, until the fourteenth session)
        return batches.map(lambda b, i: (tf.random.experimental.stateless_fold_in(key, b), i))

    aug = train_cfg.augment
    numeric = X.ndim == 3 and np.issubdtype(X.dtype, np.floating)
    perturb = numeric and (aug.jitter_sigma > 0 or aug.scale_sigma > 0)
    # padded sequences are neither sliced nor warped: either would move the padding into the series
    slice_ = numeric and aug.slice_fraction > 0 and mask_value is None
    warp = numeric and aug.warp_sigma > 0 and mask_value is None

    def batch(key: Any, i: Any) -> tuple[Any, Any]:
        x = tf.gather(X_t, i)
        if slice_:
            x = slice_batch(x, tf.random.experimental.stateless_fold_in(key, SLICE_STREAM), aug.slice_fraction)
        if warp:
            x = warp_batch(x, tf.random.experimental.stateless_fold_in(key, WARP_STREAM), aug.warp_sigma)
        if perturb:
            x = augment_batch(x, key, aug.jitter_sigma, aug.scale_sigma, mask_value)
        return x, tf.gather(labels_t, i)

    ds = tf.data.Dataset.from_tensors(0).flat_map(epochs).flat_map(one_epoch).map(batch)
    return _finish(ds, n_classes, one_hot), first


def augment_batch(x: Any, key: Any, jitter_sigma: float, scale_sigma: float, mask_value: float | None = None) -> Any:
    """``x * gain + noise`` for one training batch ``(batch, time, channels)``.

    A gain ``~ N(1, scale_sigma)`` per window and channel and Gaussian jitter
    ``~ N(0, jitter_sigma)`` per value (in scaled units), drawn statelessly from ``key`` and
    ``key + (0, 1)`` (functions of the run's seed, the epoch and the batch), so a resumed run
    sees the same perturbations. Timesteps whose every channel equals ``mask_value``
    (padding) are returned unchanged. Written by hand: Keras' preprocessing layers have no
    time-series jitter / scaling (``GaussianNoise`` has no gain and would live in the saved
    model).
    """
    shape = tf.shape(x)
    gain = 1.0 + scale_sigma * tf.random.stateless_normal(tf.stack([shape[0], 1, shape[2]]), key, dtype=x.dtype)
    noise = jitter_sigma * tf.random.stateless_normal(shape, key + tf.constant([0, 1], key.dtype), dtype=x.dtype)
    out = x * gain + noise
    if mask_value is None:
        return out
    padded = tf.reduce_all(tf.equal(x, tf.cast(mask_value, x.dtype)), axis=-1, keepdims=True)
    return tf.where(padded, x, out)


# slice_batch draws from fold_in(key, 7). (It drew from key + (0, 7) until the fourteenth
# session: the jitter key of the batch three later, so their draws were correlated.)
SLICE_STREAM = 7


def slice_batch(x: Any, key: Any, fraction: float) -> Any:
    """Window slicing for one training batch ``(batch, time, channels)``: each window becomes a
    random crop of its own, ``1 - u * fraction`` of its length (``u ~ U(0, 1)``) at a random
    start, stretched back to the full length by linear interpolation.

    Le Guennec, Malinowski & Tavenard (2016), "Data augmentation for time series
    classification using convolutional neural networks": a random shift and a mild time
    scaling of the whole window, the kind of variation between recordings of one movement
    that jitter and gain do not produce. Draws are stateless from ``key`` (seed, epoch,
    batch), so a resumed run sees the same crops. Written by hand: Keras' ``RandomCrop``
    and ``RandomZoom`` are image layers (2-D, and they would live in the saved model).
    """
    shape = tf.shape(x)
    n, t = shape[0], shape[1]
    last = tf.cast(t - 1, x.dtype)
    u = tf.random.stateless_uniform(tf.stack([n, 2]), key, dtype=x.dtype)
    span = last * (1.0 - fraction * u[:, :1])  # (n, 1) length of the crop, in steps
    start = (last - span) * u[:, 1:]  # (n, 1)
    pos = start + span * tf.cast(tf.linspace(0.0, 1.0, t), x.dtype)[None, :]  # (n, t) in [0, t - 1]
    return _resample_at(x, pos)


def _resample_at(x: Any, pos: Any) -> Any:
    """``x`` (batch, time, channels) read at fractional steps ``pos`` (batch, time), each in
    ``[0, time - 1]``, by linear interpolation between the two neighbouring steps."""
    t = tf.shape(x)[1]
    lo = tf.minimum(tf.cast(tf.floor(pos), tf.int32), t - 1)
    hi = tf.minimum(lo + 1, t - 1)
    w = (pos - tf.cast(lo, x.dtype))[..., None]
    a, b = tf.gather(x, lo, batch_dims=1), tf.gather(x, hi, batch_dims=1)
    return a + w * (b - a)


WARP_STREAM = 11  # warp_batch draws from fold_in(key, 11): a stream no other batch's key reaches
WARP_KNOTS = 4  # interior knots of the speed curve: a few slow and fast stretches per window
MIN_SPEED = 0.1  # a drawn local speed below this is raised to it: time never stops or reverses


def warp_batch(x: Any, key: Any, sigma: float, knots: int = WARP_KNOTS) -> Any:
    """Smooth random time warping for one training batch ``(batch, time, channels)``: each
    window is replayed at a local speed that varies smoothly along it, so some stretches
    play slower and others faster, while its first and last steps stay in place.

    Um et al. (2017), "Data augmentation of wearable sensor data for Parkinson's disease
    monitoring using convolutional neural networks": the speed is drawn ``~ N(1, sigma)`` at
    ``knots + 2`` evenly spaced points (here joined linearly rather than by a cubic spline),
    its running sum is the warped time axis, rescaled to span the window, and the window is
    read along it by linear interpolation. Unlike slicing (a uniform stretch of the whole
    window), this changes the timing *inside* a movement, the variation between two people
    performing it. Draws are stateless from ``key`` (seed, epoch, batch). Written by hand:
    neither Keras nor TensorFlow has a time-series warp.
    """
    shape = tf.shape(x)
    n, t = shape[0], shape[1]
    speed_at_knots = 1.0 + sigma * tf.random.stateless_normal(tf.stack([n, knots + 2]), key, dtype=x.dtype)
    speed_at_knots = tf.maximum(speed_at_knots, MIN_SPEED)
    # the speed at every step, linear between the knots: a (n, t) curve
    where = tf.cast(tf.linspace(0.0, float(knots + 1), t), x.dtype)
    lo = tf.minimum(tf.cast(tf.floor(where), tf.int32), knots)
    frac = where - tf.cast(lo, x.dtype)
    left = tf.gather(speed_at_knots, lo, axis=1)
    right = tf.gather(speed_at_knots, lo + 1, axis=1)
    speed = left + frac[None, :] * (right - left)
    # the warped clock: elapsed "time" at each step, 0 at the first, t - 1 at the last
    clock = tf.cumsum(speed, axis=1, exclusive=True)
    pos = clock / clock[:, -1:] * tf.cast(t - 1, x.dtype)
    return _resample_at(x, pos)


_determinism = {"on": False}  # whether this process switched TF op determinism on


def set_determinism(seed: int, deterministic: bool = True) -> bool:
    """Seed Python, numpy and TensorFlow (``keras.utils.set_random_seed``) and, when
    ``deterministic``, make TF ops deterministic, so two CPU runs with the same seed give
    identical histories. Returns whether op determinism is on in this process.

    Keras refuses XLA (``jit_compile``) while op determinism is on, and TensorFlow has no
    public way to switch it off again; so a ``jit_compile`` run must start in a process that
    has not trained deterministically before (each pipeline stage runs in a fresh kernel).
    A warning says so when it has.
    """
    keras.utils.set_random_seed(int(seed))
    if deterministic:
        tf.config.experimental.enable_op_determinism()
        _determinism["on"] = True
    elif _determinism["on"]:
        warnings.warn(
            "TensorFlow op determinism was switched on earlier in this process and cannot be "
            "switched off, so Keras will compile without XLA; run a jit_compile training in a "
            "fresh process (restart the notebook kernel)",
            UserWarning,
            stacklevel=2,
        )
    return _determinism["on"]


def distribution_strategy(train_cfg: TrainConfig) -> tf.distribute.Strategy:
    """``train.distribute: mirrored`` -> ``tf.distribute.MirroredStrategy`` (all local GPUs;
    ``train.batch_size`` is then the global batch, split across replicas), else the
    default strategy. Model building and compiling happen inside ``strategy.scope()``."""
    if train_cfg.distribute == "mirrored":
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


@contextlib.contextmanager
def precision_policy(train_cfg: TrainConfig) -> Iterator[str]:
    """Build (and compile) a model under ``train.precision``'s Keras dtype policy.

    ``mixed_float16`` / ``mixed_bfloat16``: layers compute in 16 bits and keep float32
    variables (Keras' mixed precision; ``compile`` adds loss scaling for float16, and the
    output layer computes in float32, see ``models._head``). The global policy is put back
    afterwards, so later models in the same kernel (a warm sweep worker) are unaffected; a
    built model keeps its layers' policies, also when saved and loaded. Warns on a machine
    without a GPU, where 16-bit compute is emulated and slower than float32 unless the CPU
    has bfloat16 instructions.
    """
    policy = train_cfg.precision
    if policy == "float32":
        yield policy
        return
    if not tf.config.list_physical_devices("GPU"):
        warnings.warn(
            f"train.precision = {policy} on a machine without a GPU: 16-bit compute is usually "
            "slower than float32 on a CPU; use it on a GPU (mixed_float16) or a bfloat16-capable "
            "accelerator (mixed_bfloat16)",
            RuntimeWarning,
            stacklevel=3,
        )
    before = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(policy)
    try:
        yield policy
    finally:
        keras.mixed_precision.set_global_policy(before)


def recurrent_use_cudnn(train_cfg: TrainConfig) -> bool | str:
    """``use_cudnn`` for the recurrent layers: ``"auto"``, except with ``train.jit_compile``.

    On a GPU, Keras (TensorFlow backend) marks a model whose LSTM / GRU can use cuDNN as
    not XLA compatible and compiles it without XLA (with only a warning); so
    ``jit_compile=True`` builds the recurrent layers with ``use_cudnn=False`` to make XLA
    real (giving up the fused cuDNN kernel: measure before choosing it, see
    benchmarks/README.md). On a CPU cuDNN never applies and this changes nothing.
    """
    if train_cfg.jit_compile:
        if tf.config.list_physical_devices("GPU"):
            warnings.warn(
                "train.jit_compile = true builds the recurrent layers without cuDNN so XLA "
                "applies; on a GPU the cuDNN kernel is usually faster",
                UserWarning,
                stacklevel=2,
            )
        return False
    return "auto"
