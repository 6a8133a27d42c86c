"""Inference path vs ``model.predict`` on a finished run's test split (issue 12).

Alternates, ``--repeats`` times: load the run's model, time ``model.predict`` (the batch
evaluation used before: ``max(256, train.batch_size)``); load it again, time
:func:`lstm_helpers.judge.inference.run_inference` (what evaluation and ``predict`` call
now). Each timing includes the first call's tracing, as evaluation pays it; then the same
call again on the loaded model (``warm``). ``--tile K`` repeats the test windows K times
(a larger input, where the XLA forward takes over from 8192 windows). Prints medians.

    python benchmarks/inference_path.py reports/<run> --repeats 5
    python benchmarks/inference_path.py reports/<run> --repeats 3 --tile 10
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a finished run directory")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--tile", type=int, default=1, help="repeat the test windows this many times")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from lstm_helpers.artifacts import load_npz, read_params
    from lstm_helpers.config import resolve_config
    from lstm_helpers.judge.inference import DEFAULT_BATCH, run_inference
    from lstm_helpers.model.models import load_trained_model

    X = np.asarray(load_npz(args.run / "prepared.npz")["X_test"], dtype=np.float32)
    X = np.concatenate([X] * args.tile) if args.tile > 1 else X
    train_batch = resolve_config(read_params(args.run)).train.batch_size
    batch = max(256, train_batch if isinstance(train_batch, int) else 256)
    times: dict[str, list[float]] = {k: [] for k in ("predict", "predict warm", "inference", "inference warm")}
    compiled = False
    for _ in range(args.repeats):
        model = load_trained_model(args.run / "model.keras")
        times["predict"].append(_time(lambda m=model: m.predict(X, batch_size=batch, verbose=0)))
        times["predict warm"].append(_time(lambda m=model: m.predict(X, batch_size=batch, verbose=0)))
        model = load_trained_model(args.run / "model.keras")
        times["inference"].append(_time(lambda m=model: run_inference(m, X, DEFAULT_BATCH)))
        t0 = time.perf_counter()
        compiled = run_inference(model, X, DEFAULT_BATCH).compiled
        times["inference warm"].append(time.perf_counter() - t0)
    print(f"{len(X):,} test windows {X.shape[1:]}, repeats {args.repeats}, load {os.getloadavg()[0]:.2f}")
    print(f"model.predict batch {batch}; run_inference batch {DEFAULT_BATCH}, {'XLA' if compiled else 'no XLA'}")
    print("| call | median s | windows/s |\n|---|---:|---:|")
    for k, v in times.items():
        med = statistics.median(v)
        print(f"| {k} | {med:.3f} | {len(X) / med:,.0f} |")


if __name__ == "__main__":
    main()
