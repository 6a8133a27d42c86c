"""What a run trained on: the device and the library versions, recorded in ``train.json``."""

from __future__ import annotations

import os
import platform

import keras
import numpy as np
import tensorflow as tf


def device_description() -> str:
    """The accelerator used, or the CPU."""
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        names = [tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus]
        return "GPU: " + ", ".join(names)
    return f"CPU ({platform.machine()}, {os.cpu_count()} logical cores)"


def versions() -> dict[str, str]:
    return {
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }
