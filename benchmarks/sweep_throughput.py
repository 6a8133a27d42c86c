"""Sweep throughput: runs per hour for 1, 2 and 4 local workers on a fixed small sweep.

Eight small runs (2 window overlaps x 2 LSTM sizes x 2 seeds, 2 epochs) on generated demo
recordings (6 animals x 2 recordings x 2 minutes), each a complete run (papermill kernels for
01 -> 02 -> 03 and report.html). Each worker count runs the sweep from scratch into its own
directory; the comparison page is left out of the timing (``html=False``).

    .venv/bin/python benchmarks/sweep_throughput.py [--workers 1 2 4] [--oversubscribed 2] [--out DIR]

Prints a Markdown table for benchmarks/README.md ("## Sweep throughput").
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def sweep_file(directory: Path, data_dir: Path) -> Path:
    spec = {
        "base": str(ROOT / "configs" / "demo.yaml"),
        "set": {
            "data.path": str(data_dir),
            "data.demo": False,
            "windows.length_seconds": None,
            "windows.length": 32,
            "model.bidirectional": False,
            "model.dense_units": [16],
            "train.epochs": 2,
            "train.batch_size": 64,
            "train.verbose": 0,
        },
        "grid": {"windows.overlap_percent": [0, 50], "model.units": [[16], [32]]},
        "seeds": [1, 2],
    }
    path = directory / "throughput.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--out", default=None, help="where the sweeps go (default: a temporary folder)")
    ap.add_argument(
        "--oversubscribed",
        type=int,
        nargs="*",
        default=[],
        help="also run these worker counts with every run using all cores (no thread sizing)",
    )
    args = ap.parse_args()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from lstm_helpers.data.demo import write_demo_recordings
    from lstm_helpers.experiments.runner import available_cores, run_sweep, threads_per_run

    base = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="sweep-throughput-"))
    data_dir = base / "data"
    if not data_dir.exists():
        write_demo_recordings(data_dir, seed=3, n_animals=6, minutes=2.0)
    file = sweep_file(base, data_dir)
    cores = available_cores()
    rows = []
    plans = [(w, threads_per_run(w, cores)) for w in args.workers] + [(w, cores) for w in args.oversubscribed]
    for workers, threads in plans:
        t0 = time.perf_counter()
        result = run_sweep(
            file,
            workers=workers,
            out=base / f"workers{workers}-threads{threads}",
            html=False,
            progress=False,
            threads=threads,
        )
        wall = time.perf_counter() - t0
        ran = [r for r in result["runs"] if not r["skipped"]]
        per_run = sum(r["seconds"] or 0 for r in ran) / max(1, len(ran))
        rows.append((workers, threads, len(ran), result["failed"], wall, per_run, 3600 * len(ran) / wall))
        print(
            f"workers {workers} x {threads} threads: {len(ran)} runs in {wall:.0f} s "
            f"({3600 * len(ran) / wall:.0f} runs/hour)",
            flush=True,
        )

    print(f"\nMachine: {platform.machine()}, {cores} cores available; {platform.python_version()}\n")
    print("| workers | threads per run | runs | failed | wall time (s) | mean run time (s) | runs per hour |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for w, t, n, f, wall, per_run, rph in rows:
        print(f"| {w} | {t} | {n} | {f} | {wall:.0f} | {per_run:.1f} | {rph:.0f} |")
    best = max(rows, key=lambda r: r[-1])
    print(f"\nBest: {best[0]} worker(s), {best[-1]:.0f} runs per hour.")


if __name__ == "__main__":
    main()
