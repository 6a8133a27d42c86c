"""Training and inference throughput (windows/s) of the demo model spec.

Demo spec: BiLSTM [64, 32], dense [32], dropout 0.2 / 0.1, 6 real-valued channels,
binary output, compiled as ``lstm_helpers.model.training`` compiles it (Adam, binary
cross-entropy, accuracy / precision / recall / PR-AUC / ROC-AUC). Synthetic windows.

Measured per (sequence length, batch size):

* ``tf.data``: the path ``run_training`` uses (``make_dataset``: seeded shuffle, batch,
  prefetch; op determinism on) with ``jit_compile`` off; for a few shapes also with op
  determinism off, and with ``jit_compile`` on (Keras drops XLA, with only a warning,
  while op determinism is on, and on a GPU for cuDNN-capable LSTMs; so, as in
  ``run_training``, the jit rows run without determinism and with ``use_cudnn=False``);
* ``numpy``: plain ``model.fit(X, y, batch_size=...)`` with Keras' defaults
  (``jit_compile="auto"``, op determinism off): the baseline.

Each row: one warm-up call (tracing / compiling, reported as ``first_call_s`` for the
first batch size of a model), then one timed epoch over all windows; inference is one
warm-up ``predict`` then one timed ``predict``. Other Keras backends (JAX, torch) are
measured in a subprocess with ``KERAS_BACKEND`` set, only when importable.

Usage::

    .venv/bin/python benchmarks/train_throughput.py            # full grid, ~5-8 min on 2 cores
    .venv/bin/python benchmarks/train_throughput.py --quick    # small grid, ~1 min
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FULL = {
    "lengths": [50, 100, 200],
    "batch_sizes": [16, 32, 64, 128, 256, 512],
    "windows": 2048,
    "jit": [(50, 64), (50, 256)],
}
QUICK = {"lengths": [50], "batch_sizes": [32, 64, 512], "windows": 512, "jit": [(50, 64)]}
DEFAULT_BATCH = 64
DEMO_LENGTH = 50
N_CHANNELS = 6


def _set_determinism(on: bool) -> None:
    import tensorflow as tf

    if on:
        tf.config.experimental.enable_op_determinism()
    else:  # not public API; only the benchmark toggles it back off
        from tensorflow.python.framework import config as tf_config

        tf_config.disable_op_determinism()


def _demo_model(length: int, jit: bool | str):
    from lstm_helpers.config import ModelConfig, TrainConfig
    from lstm_helpers.data.prepared import InputInfo
    from lstm_helpers.model.compile import make_loss, make_metrics
    from lstm_helpers.model.models import build_model

    info = InputInfo(kind="real", data_kind="recordings", window_length=length, n_channels=N_CHANNELS)
    # on a GPU, Keras drops jit_compile for cuDNN-capable LSTMs: build them without cuDNN
    model = build_model(ModelConfig(), info, 2, seed=0, use_cudnn=False if jit is True else "auto")
    train_cfg = TrainConfig()
    model.compile(
        optimizer="adam",
        loss=make_loss(train_cfg, 2),
        metrics=make_metrics(train_cfg, 2),
        jit_compile=jit,
    )
    if jit is True and not model.jit_compile:
        raise RuntimeError("jit_compile=True was dropped by Keras")
    return model


def _data(n: int, length: int):
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, length, N_CHANNELS)).astype("float32")
    y = (rng.random(n) < 0.3).astype("int64")
    return X, y


def _measure(model, X, y, batch_size: int, pipeline: str) -> dict[str, float]:
    from lstm_helpers.model.datasets import make_dataset

    n = len(X)
    if pipeline == "tf.data":
        train = make_dataset(X, y, batch_size, 2, False, True, 0)
        infer = make_dataset(X, y, batch_size, 2, False, False, 0).map(lambda x, t: x)
        t0 = time.perf_counter()
        model.fit(train.take(2), epochs=1, verbose=0, shuffle=False)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        model.fit(train, epochs=1, verbose=0, shuffle=False)
        train_s = time.perf_counter() - t0
        model.predict(infer.take(2), verbose=0)
        t0 = time.perf_counter()
        model.predict(infer, verbose=0)
        infer_s = time.perf_counter() - t0
    else:
        labels = y.astype("float32").reshape(-1, 1)
        t0 = time.perf_counter()
        model.fit(
            X[: 2 * batch_size],
            labels[: 2 * batch_size],
            batch_size=batch_size,
            epochs=1,
            verbose=0,
        )
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        model.fit(X, labels, batch_size=batch_size, epochs=1, verbose=0)
        train_s = time.perf_counter() - t0
        model.predict(X[: 2 * batch_size], batch_size=batch_size, verbose=0)
        t0 = time.perf_counter()
        model.predict(X, batch_size=batch_size, verbose=0)
        infer_s = time.perf_counter() - t0
    return {"first_call_s": first, "train_wps": n / train_s, "infer_wps": n / infer_s}


def run_grid(grid: dict[str, Any], backend: str, pipelines: tuple[str, ...]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(pipeline: str, length: int, bs: int, jit: Any, det: bool, m: dict[str, float]) -> None:
        row = {
            "backend": backend,
            "pipeline": pipeline,
            "length": length,
            "batch": bs,
            "jit_compile": jit,
            "deterministic": det,
            **{k: round(v, 2) for k, v in m.items()},
        }
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)

    for length in grid["lengths"]:
        X, y = _data(grid["windows"], length)
        if "numpy" in pipelines:
            if backend == "tensorflow":
                _set_determinism(False)
            model = _demo_model(length, "auto")
            for bs in grid["batch_sizes"]:
                add("numpy", length, bs, "auto", False, _measure(model, X, y, bs, "numpy"))
        if "tf.data" in pipelines:
            _set_determinism(True)
            model = _demo_model(length, False)
            for bs in grid["batch_sizes"]:
                add("tf.data", length, bs, False, True, _measure(model, X, y, bs, "tf.data"))
            # Keras refuses XLA while TF op determinism is on, so the jit comparison (and
            # the price of determinism) is measured with determinism off
            _set_determinism(False)
            shapes = sorted(
                {(jl, jb) for jl, jb in grid["jit"] if jl == length}
                | ({(length, DEFAULT_BATCH)} if length == DEMO_LENGTH else set())
            )
            if shapes:
                model = _demo_model(length, False)
                for _, bs in shapes:
                    add("tf.data", length, bs, False, False, _measure(model, X, y, bs, "tf.data"))
            for jit_length, jit_bs in grid["jit"]:
                if jit_length == length:
                    model = _demo_model(length, True)
                    add(
                        "tf.data",
                        length,
                        jit_bs,
                        True,
                        False,
                        _measure(model, X, y, jit_bs, "tf.data"),
                    )
    return rows


def other_backends(grid: dict[str, Any], quick: bool) -> list[dict[str, Any]]:
    """Run the numpy path under JAX / torch in subprocesses, when they are importable."""
    rows: list[dict[str, Any]] = []
    for name in ("jax", "torch"):
        if importlib.util.find_spec(name) is None:
            rows.append({"backend": name, "pipeline": "not installed"})
            continue
        cmd = [sys.executable, __file__, "--worker"] + (["--quick"] if quick else [])
        out = subprocess.run(
            cmd,
            env={**os.environ, "KERAS_BACKEND": name},
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            rows.append({"backend": name, "pipeline": f"failed: {out.stderr.strip()[-200:]}"})
        else:
            rows.extend(json.loads(out.stdout))
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    cols = [
        "backend",
        "pipeline",
        "length",
        "batch",
        "jit_compile",
        "deterministic",
        "train_wps",
        "infer_wps",
        "first_call_s",
    ]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        lines.append("| " + " | ".join(str(r.get(c, "")) for c in cols) + " |")
    return "\n".join(lines)


def summary(rows: list[dict[str, Any]]) -> str:
    def pick(**kw: Any) -> dict[str, Any] | None:
        return next((r for r in rows if all(r.get(k) == v for k, v in kw.items())), None)

    chosen = pick(
        backend="tensorflow",
        pipeline="tf.data",
        length=DEMO_LENGTH,
        batch=DEFAULT_BATCH,
        jit_compile=False,
        deterministic=True,
    )
    lines = []
    for bs in (DEFAULT_BATCH, 32):
        base = pick(backend="tensorflow", pipeline="numpy", length=DEMO_LENGTH, batch=bs)
        if chosen and base:
            lines.append(
                f"chosen (tf.data, batch {DEFAULT_BATCH}, jit off, deterministic) vs plain "
                f"model.fit(numpy, batch {bs}), T={DEMO_LENGTH}: training "
                f"{chosen['train_wps'] / base['train_wps']:.2f}x, inference "
                f"{chosen['infer_wps'] / base['infer_wps']:.2f}x"
            )
    for jit_row in (r for r in rows if r.get("jit_compile") is True):
        off = pick(
            backend="tensorflow",
            pipeline="tf.data",
            length=jit_row["length"],
            batch=jit_row["batch"],
            jit_compile=False,
            deterministic=False,
        )
        if off:
            lines.append(
                f"jit_compile on vs off (T={jit_row['length']}, batch {jit_row['batch']}): training "
                f"{jit_row['train_wps'] / off['train_wps']:.2f}x, inference "
                f"{jit_row['infer_wps'] / off['infer_wps']:.2f}x"
            )
    nondet = pick(
        pipeline="tf.data",
        length=DEMO_LENGTH,
        batch=DEFAULT_BATCH,
        jit_compile=False,
        deterministic=False,
    )
    if chosen and nondet:
        lines.append(
            f"op determinism on vs off (T={DEMO_LENGTH}, batch {DEFAULT_BATCH}): training "
            f"{chosen['train_wps'] / nondet['train_wps']:.2f}x"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small grid (~1 minute)")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    grid = QUICK if args.quick else FULL

    import keras

    backend = keras.backend.backend()
    if args.worker:  # non-TF backend subprocess: numpy path only
        grid = {**grid, "jit": []}
        print(json.dumps(run_grid(grid, backend, ("numpy",))))
        return 0
    import tensorflow as tf

    started = time.perf_counter()
    rows = run_grid(grid, backend, ("numpy", "tf.data"))
    rows += other_backends(grid, args.quick)
    elapsed = time.perf_counter() - started
    print(
        f"# {platform.machine()}, {os.cpu_count()} cores, TensorFlow {tf.__version__}, "
        f"Keras {keras.__version__}; {grid['windows']} windows; {elapsed:.0f} s\n"
    )
    print(markdown(rows))
    print()
    print(summary(rows))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
