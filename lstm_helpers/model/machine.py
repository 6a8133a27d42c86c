"""What a run trained on: the device and the library versions, recorded in ``train.json``."""

from __future__ import annotations

import os
import platform

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


def versions() -> dict[str, str]:
    return {
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }
