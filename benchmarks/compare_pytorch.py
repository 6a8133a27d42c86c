"""Workbench (Keras / TensorFlow) against raw PyTorch on the same model, alternated.

The demo spec (bidirectional LSTM [64, 32], dense [32], dropout 0.2 / 0.1, 6 channels,
binary) is built and compiled as a run does it (``build_model``, ``make_optimizer`` /
``make_loss`` / ``make_metrics`` as ``run_training`` compiles) and fed by ``make_dataset``
from ``lstm_helpers.model.datasets`` (a run trains from ``training_stream``, the same batches
drawn per epoch with a stateless shuffle, and with TensorFlow's op determinism on; neither
is measured here), and the workbench's inference path
is ``lstm_helpers.judge.inference.run_inference`` with XLA (what evaluation and predict use
from 8192 windows on), with its default chunks in flight (one per core: each call still
predicts ``batch`` windows) and, in column ``wb 1 in flight``, one chunk at a time; the PyTorch
side is a hand-written ``nn.LSTM`` model of the same shape (80,449 parameters against Keras'
79,681: PyTorch keeps two bias vectors per gate), trained with
Adam + ``BCEWithLogitsLoss`` on shuffled tensor batches, predicted under
``torch.inference_mode``.

Each cell (sequence length x batch size) trains one epoch and predicts once per framework,
alternating the two ``--repeats`` times after a warm-up (tracing / first-call costs are
left out); medians, and workbench / PyTorch ratios (> 1: the workbench is faster). Both
frameworks get the same number of intra-op threads (PyTorch one inter-op thread, TensorFlow
its default pool). Inference is compared at the same batch size: PyTorch predicts one batch
at a time, the workbench with its default chunks in flight (column ``wb 1 in flight``: one);
``wb_default`` is the workbench at its own default inference batch (4096).

The roofline: the LSTM's floating-point operations per window (2 per multiply-add of the
gate matmuls; element-wise gate math left out) against the GEMM rate this machine reaches
(numpy float32 matmul at a large size and at the LSTM's own shapes).

Needs PyTorch (the ``pytorch`` extra; CPU wheel: ``pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu``).

    python benchmarks/compare_pytorch.py --quick          # T 50/100 x batch 64/128, 5 repeats
    python benchmarks/compare_pytorch.py --json out.json  # the full grid
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CHANNELS = 6
UNITS = (64, 32)
DENSE = 32


# ------------------------------------------------------------------ roofline
def lstm_flops_per_window(
    length: int,
    channels: int = CHANNELS,
    units: tuple[int, ...] = UNITS,
    dense: int = DENSE,
    bidirectional: bool = True,
) -> dict[str, float]:
    """Forward FLOPs of one window: per step and direction ``2 * 4u * (in + u)`` for the gate
    matmuls; the head's two dense layers. Training is taken as 3x the forward (forward +
    two matmuls per weight in the backward pass)."""
    dirs = 2 if bidirectional else 1
    flops, inp = 0.0, channels
    for u in units:
        flops += dirs * length * 2 * 4 * u * (inp + u)
        inp = dirs * u
    flops += 2 * inp * dense + 2 * dense
    return {"forward": flops, "train": 3 * flops}


def gemm_flops(m: int, k: int, n: int, seconds: float = 0.5) -> float:
    """float32 numpy matmul rate (FLOP/s) for (m x k) @ (k x n), best of repeated runs."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    a @ b
    best, end = float("inf"), time.perf_counter() + seconds
    reps = max(1, int(2e7 / (m * k * n)))
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        for _ in range(reps):
            a @ b
        best = min(best, (time.perf_counter() - t0) / reps)
    return 2 * m * k * n / best


def roofline(lengths: list[int], batches: list[int]) -> dict:
    big = gemm_flops(1024, 1024, 1024)
    small = {b: gemm_flops(b, CHANNELS + UNITS[0], 4 * UNITS[0]) for b in batches}
    per_window = {t: lstm_flops_per_window(t) for t in lengths}
    return {"gemm_1024_flops": big, "gemm_lstm_shape_flops": small, "flops_per_window": per_window}


# ------------------------------------------------------------------ workbench (Keras)
UNROLL: list[bool] = [False]  # --unroll sets model.unroll for the workbench side


def workbench_model(length: int, batch: int, seed: int):
    """The demo spec, built and compiled as ``run_training`` does."""
    from lstm_helpers.config import resolve_config
    from lstm_helpers.data.prepared import InputInfo
    from lstm_helpers.model.compile import make_loss, make_metrics, make_optimizer
    from lstm_helpers.model.models import build_model

    cfg = resolve_config(
        {
            "model": {
                "cell": "lstm",
                "conv": [],
                "units": list(UNITS),
                "bidirectional": True,
                "dropout": 0.2,
                "dense_units": [DENSE],
                "dense_dropout": 0.1,
                "unroll": UNROLL[0],
            },
            "train": {"batch_size": batch, "learning_rate": 0.002},
        }
    )
    info = InputInfo(kind="real", data_kind="recordings", window_length=length, n_channels=CHANNELS)
    model = build_model(cfg.model, info, 2, seed=seed)
    # as lstm_helpers.model.training._compiled_model compiles a run's model
    model.compile(
        optimizer=make_optimizer(cfg.train),
        loss=make_loss(cfg.train, 2),
        metrics=make_metrics(cfg.train, 2),
        jit_compile=cfg.train.jit_compile,
    )
    return model, cfg


def workbench_train_epoch(model, X, y, batch: int, seed: int) -> float:
    from lstm_helpers.model.datasets import make_dataset

    ds = make_dataset(X, y, batch, 2, False, True, seed)
    t0 = time.perf_counter()
    model.fit(ds, epochs=1, verbose=0, shuffle=False)
    return len(X) / (time.perf_counter() - t0)


def workbench_predict(model, X, batch: int, in_flight: int | str = "auto") -> float:
    from lstm_helpers.judge.inference import run_inference

    t0 = time.perf_counter()
    run_inference(model, X, batch_size=batch, jit_compile=True, in_flight=in_flight)
    return len(X) / (time.perf_counter() - t0)


def keras_predict(model, X, batch: int) -> float:
    t0 = time.perf_counter()
    model.predict(X, batch_size=batch, verbose=0)
    return len(X) / (time.perf_counter() - t0)


# ------------------------------------------------------------------ raw PyTorch
def torch_model(seed: int):
    import torch
    from torch import nn

    torch.manual_seed(seed)

    class BiLSTM(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm1 = nn.LSTM(CHANNELS, UNITS[0], batch_first=True, bidirectional=True)
            self.lstm2 = nn.LSTM(2 * UNITS[0], UNITS[1], batch_first=True, bidirectional=True)
            self.drop1, self.drop2, self.drop3 = nn.Dropout(0.2), nn.Dropout(0.2), nn.Dropout(0.1)
            self.dense = nn.Linear(2 * UNITS[1], DENSE)
            self.out = nn.Linear(DENSE, 1)

        def forward(self, x):
            h, _ = self.lstm1(x)
            _, (hn, _) = self.lstm2(self.drop1(h))
            h = self.drop2(torch.cat([hn[0], hn[1]], dim=1))
            return self.out(self.drop3(torch.relu(self.dense(h))))  # logits

    model = BiLSTM()
    opt = torch.optim.Adam(model.parameters(), lr=0.002)
    return model, opt


def torch_train_epoch(model, opt, X, y, batch: int, gen) -> float:
    import torch

    loss_fn = torch.nn.BCEWithLogitsLoss()
    model.train()
    t0 = time.perf_counter()
    order = torch.randperm(len(X), generator=gen)
    for i in range(0, len(X), batch):
        idx = order[i : i + batch]
        opt.zero_grad()
        loss = loss_fn(model(X[idx]), y[idx])
        loss.backward()
        opt.step()
    return len(X) / (time.perf_counter() - t0)


def torch_predict(model, X, batch: int) -> float:
    import torch

    model.eval()
    t0 = time.perf_counter()
    with torch.inference_mode():
        parts = [torch.sigmoid(model(X[i : i + batch])) for i in range(0, len(X), batch)]
        torch.cat(parts).numpy()
    return len(X) / (time.perf_counter() - t0)


# ------------------------------------------------------------------ one cell
def measure_cell(length: int, batch: int, n_train: int, n_predict: int, repeats: int, seed: int = 0) -> dict:
    import torch

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((max(n_train, n_predict), length, CHANNELS), dtype=np.float32)
    y = (rng.random(len(X)) < 0.1).astype(np.int64)
    Xt, yt = X[:n_train], y[:n_train]
    Xp = X[:n_predict]
    tX, ty = torch.from_numpy(Xt), torch.from_numpy(yt.astype(np.float32)).reshape(-1, 1)
    tXp = torch.from_numpy(Xp)
    gen = torch.Generator().manual_seed(seed)

    wb, _ = workbench_model(length, batch, seed)
    tm, opt = torch_model(seed)
    n_wb = wb.count_params()
    n_t = sum(p.numel() for p in tm.parameters())
    # warm-up: tracing, compilation, first-call allocations
    warm = max(batch * 2, 256)
    workbench_train_epoch(wb, Xt[:warm], yt[:warm], batch, seed)
    workbench_predict(wb, Xp, batch)
    workbench_predict(wb, Xp, 4096)
    keras_predict(wb, Xp[:warm], batch)
    torch_train_epoch(tm, opt, tX[:warm], ty[:warm], batch, gen)
    torch_predict(tm, tXp[:warm], batch)

    rows: dict[str, list[float]] = {
        k: [] for k in ("wb_train", "pt_train", "wb_infer", "pt_infer", "wb_serial", "wb_default", "keras_predict")
    }
    for _ in range(repeats):
        rows["wb_train"].append(workbench_train_epoch(wb, Xt, yt, batch, seed))
        rows["pt_train"].append(torch_train_epoch(tm, opt, tX, ty, batch, gen))
        rows["wb_infer"].append(workbench_predict(wb, Xp, batch))
        rows["pt_infer"].append(torch_predict(tm, tXp, batch))
        rows["wb_serial"].append(workbench_predict(wb, Xp, batch, in_flight=1))
        rows["wb_default"].append(workbench_predict(wb, Xp, 4096))
        rows["keras_predict"].append(keras_predict(wb, Xp, batch))
    med = {k: statistics.median(v) for k, v in rows.items()}
    return {
        "length": length,
        "batch": batch,
        "params_workbench": n_wb,
        "params_torch": n_t,
        "median": med,
        "runs": rows,
        "ratio_train": med["wb_train"] / med["pt_train"],
        "ratio_infer": med["wb_infer"] / med["pt_infer"],
    }


def table(cells: list[dict]) -> str:
    head = (
        "| T | batch | train wb | train pt | **ratio** | infer wb | infer pt | **ratio** | "
        "wb 1 in flight (ratio) | wb batch 4096 | keras predict |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    lines = [head]
    for c in cells:
        m = c["median"]
        lines.append(
            f"| {c['length']} | {c['batch']} | {m['wb_train']:,.0f} | {m['pt_train']:,.0f} | "
            f"**{c['ratio_train']:.2f}** | {m['wb_infer']:,.0f} | {m['pt_infer']:,.0f} | "
            f"**{c['ratio_infer']:.2f}** | {m['wb_serial']:,.0f} ({m['wb_serial'] / m['pt_infer']:.2f}) | "
            f"{m['wb_default']:,.0f} | {m['keras_predict']:,.0f} |"
        )
    return "\n".join(lines)


def roofline_text(roof: dict, cells: list[dict]) -> str:
    lines = [
        f"GEMM float32 1024^3: {roof['gemm_1024_flops'] / 1e9:.1f} GFLOP/s; at the LSTM's "
        "own shape (batch x 70 x 256): "
        + ", ".join(f"batch {b}: {f / 1e9:.1f}" for b, f in roof["gemm_lstm_shape_flops"].items())
        + " GFLOP/s"
    ]
    lines.append(
        "| T | MFLOP/window fwd | train ceiling w/s | infer ceiling w/s | best train w/s | "
        "best infer w/s | train % of ceiling | infer % of ceiling |"
    )
    lines.append("|---:|---:|---:|---:|---:|---:|---:|---:|")
    rate = roof["gemm_1024_flops"]
    for t, f in roof["flops_per_window"].items():
        mine = [c for c in cells if c["length"] == int(t)]
        if not mine:
            continue
        bt = max(max(c["median"]["wb_train"], c["median"]["pt_train"]) for c in mine)
        bi = max(max(c["median"]["wb_infer"], c["median"]["pt_infer"], c["median"]["wb_default"]) for c in mine)
        ct, ci = rate / f["train"], rate / f["forward"]
        lines.append(
            f"| {t} | {f['forward'] / 1e6:.2f} | {ct:,.0f} | {ci:,.0f} | {bt:,.0f} | {bi:,.0f} | "
            f"{100 * bt / ct:.0f} % | {100 * bi / ci:.0f} % |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--batches", type=int, nargs="+", default=[64, 128, 256])
    parser.add_argument("--repeats", type=int, default=5, help="alternations per cell (>= 5 for the README)")
    parser.add_argument("--train-windows", type=int, default=2048)
    parser.add_argument("--predict-windows", type=int, default=8192)
    parser.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count() or 1,
        help="threads for both frameworks (TF intra-op, torch.set_num_threads)",
    )
    parser.add_argument("--quick", action="store_true", help="T 50/100 x batch 64/128 (the acceptance cells)")
    parser.add_argument("--json", type=Path, help="write every measurement here")
    parser.add_argument("--unroll", action="store_true", help="model.unroll = true for the workbench model")
    args = parser.parse_args(argv)
    UNROLL[0] = args.unroll
    if args.quick:
        args.lengths, args.batches = [50, 100], [64, 128]

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    import torch

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    print(
        f"threads {args.threads}; TF {tf.__version__} (intra {tf.config.threading.get_intra_op_parallelism_threads()}, "
        f"inter {tf.config.threading.get_inter_op_parallelism_threads()}), torch {torch.__version__}; "
        f"load at start: {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    roof = roofline(args.lengths, args.batches)
    cells = []
    t0 = time.perf_counter()
    for length in args.lengths:
        for batch in args.batches:
            c = measure_cell(length, batch, args.train_windows, args.predict_windows, args.repeats)
            c["load"] = os.getloadavg()[0]
            cells.append(c)
            print(
                f"T={length} batch={batch}: train {c['ratio_train']:.2f}x, infer {c['ratio_infer']:.2f}x "
                f"(load {c['load']:.2f}, {time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
    print()
    print(table(cells))
    print()
    print(roofline_text(roof, cells))
    print(
        f"\nwall time {time.perf_counter() - t0:.0f} s; load average at the end (1/5/15 min): "
        + " / ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {"cells": cells, "roofline": roof, "threads": args.threads, "repeats": args.repeats},
                indent=1,
                default=str,
            )
        )


if __name__ == "__main__":
    main()
