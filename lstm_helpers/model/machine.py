"""What a run trained on: the device and the software versions, recorded in ``train.json``."""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf


def run_threads() -> tuple[int | None, int]:
    """The threads this run's TensorFlow was given (``TF_NUM_INTRAOP_THREADS``; None: all
    cores) and how many runs shared the machine at a time (a sweep's local workers set
    ``LSTM_WORKBENCH_PARALLEL_RUNS``, experiments/runner.py; 1 for a run on its own)."""
    threads = os.environ.get("TF_NUM_INTRAOP_THREADS", "")
    runs = os.environ.get("LSTM_WORKBENCH_PARALLEL_RUNS", "")
    return (int(threads) if threads.isdigit() else None), (int(runs) if runs.isdigit() else 1)


def device_description() -> str:
    """The accelerator used, or the CPU; with the threads the run had and the runs beside it
    where it shared the machine (its timings are not those of a run on its own)."""
    gpus = tf.config.list_physical_devices("GPU")
    threads, runs = run_threads()
    shared = (
        f"; {threads} thread{'' if threads == 1 else 's'} per run, {runs} runs at a time" if runs > 1 and threads
        else f"; {runs} runs at a time" if runs > 1
        else f"; limited to {threads} thread{'' if threads == 1 else 's'}" if threads
        else ""
    )  # fmt: skip
    if gpus:
        names = [tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus]
        return "GPU: " + ", ".join(names) + shared
    return f"CPU ({platform.machine()}, {os.cpu_count()} logical cores{shared})"


RECORDED = ("scikit-learn", "imbalanced-learn", "aeon", "numba", "pandas", "keras-tuner", "papermill")
# besides TensorFlow, Keras and numpy: what splits, rebalances, scores, fits the baseline, searches and runs the notebooks


def versions() -> dict[str, str]:
    """The versions a run's figures depend on, for its ``train.json`` (a methods section's
    software line): Python, the workbench (with its git commit when it runs from a checkout),
    TensorFlow, Keras, numpy and :data:`RECORDED` (those installed)."""
    from importlib import metadata

    out = {
        "python": platform.python_version(),
        "lstm-workbench": _workbench_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
    }
    for dist in RECORDED:
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[dist] = metadata.version(dist)
    return out


def _workbench_version() -> str:
    """``0.1.0``, or ``0.1.0 (git 1a2b3c4)`` from a git checkout (``, with local changes`` where
    tracked files differ from that commit)."""
    from importlib import metadata

    try:
        version = metadata.version("lstm-workbench")
    except metadata.PackageNotFoundError:
        version = "unknown"
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return version
    try:
        git = ["git", "-C", str(root)]
        commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return version
    if commit.returncode != 0:
        return version
    return f"{version} (git {commit.stdout.strip()}{', with local changes' if dirty.stdout.strip() else ''})"
