"""Windowing throughput and peak memory against recording length.

Measures, for 1e5 .. 1e7 timesteps of 6 channels cut into 50-step windows at 50 % overlap:
  * ``index``: window starts + majority labels (what prepare does before materialising);
  * ``view``: the (n, 50, 6) window view -- no copy (checked with np.shares_memory);
  * ``materialise``: copying the windows out (what resampling / saving needs).
Peak memory is the tracemalloc peak of each step beyond the input arrays.

    .venv/bin/python benchmarks/windows.py [--max 1e7] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from lstm_helpers.data.windows import label_windows, window_starts, window_step, window_view


def measure(n: int, length: int = 50, overlap: float = 50, channels: int = 6, repeat: int = 3) -> dict:
    rng = np.random.default_rng(0)
    values = rng.normal(size=(n, channels)).astype(np.float32)
    labels = (rng.random(n) < 0.1).astype(np.int64)
    offsets = np.linspace(0, n, 11).astype(np.int64)  # ten recordings
    step = window_step(length, overlap)

    def index():
        starts, _ = window_starts(offsets, length, step)
        return starts, label_windows(labels, starts, length, 2, "majority")

    def best(fn):
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - t0)
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return min(times), peak, out

    t_index, m_index, (starts, _) = best(index)
    t_view, m_view, view = best(lambda: window_view(values, length))
    assert np.shares_memory(view, values)
    t_mat, m_mat, X = best(lambda: np.ascontiguousarray(view[starts]))
    return {
        "timesteps": n,
        "windows": len(starts),
        "index_s": t_index,
        "index_Mts_per_s": n / t_index / 1e6,
        "index_peak_MB": m_index / 1e6,
        "view_s": t_view,
        "view_peak_MB": m_view / 1e6,
        "materialise_s": t_mat,
        "materialise_peak_MB": m_mat / 1e6,
        "windows_MB": X.nbytes / 1e6,
        "input_MB": values.nbytes / 1e6,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max", type=float, default=1e7)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    sizes = [n for n in (100_000, 300_000, 1_000_000, 3_000_000, 10_000_000) if n <= args.max]
    rows = [measure(n, repeat=args.repeat) for n in sizes]
    print(
        "| timesteps | windows | index+labels s | Mtimesteps/s | index peak MB | view s | view peak MB "
        "| materialise s | materialise peak MB | input MB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['timesteps']:,} | {r['windows']:,} | {r['index_s']:.4f} | {r['index_Mts_per_s']:.1f} "
            f"| {r['index_peak_MB']:.1f} | {r['view_s'] * 1e6:.0f} µs | {r['view_peak_MB']:.3f} "
            f"| {r['materialise_s']:.3f} | {r['materialise_peak_MB']:.0f} | {r['input_MB']:.0f} |"
        )
    a, b = rows[0], rows[-1]
    scale = b["timesteps"] / a["timesteps"]
    print(
        f"\n{scale:.0f}x the timesteps: index time x{b['index_s'] / a['index_s']:.1f}, "
        f"index memory x{b['index_peak_MB'] / a['index_peak_MB']:.1f}, "
        f"materialise time x{b['materialise_s'] / a['materialise_s']:.1f}"
    )


if __name__ == "__main__":
    main()
