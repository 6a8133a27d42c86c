"""Stage 02 in words: the headline table of a training run (notebook 02, the report's training section)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from lstm_helpers.model.compile import class_weighting
from lstm_helpers.style import during_training, fmt_number

if TYPE_CHECKING:
    from lstm_helpers.model.training import TrainResult


def training_summary(result: TrainResult) -> pd.DataFrame:
    """The headline numbers of :func:`~lstm_helpers.model.training.run_training` as a one-column table."""
    rows = {
        "model": result.model_name,
        "parameters": result.n_params,
        "size (MB)": result.size_mb,
        "epochs run": result.epochs_run,
        "best epoch": result.best_epoch,
        "stopped early": "yes" if result.stopped_early else "no",
        f"best {result.monitor}{during_training(result.monitor)}": result.best_value,
        "seconds per epoch (with checkpoint and logs)": result.seconds_per_epoch_mean,
        "training windows per second": result.windows_per_second,
        "total seconds": result.total_seconds,
        "device": result.device,
        "loss / optimizer / batch": f"{result.loss} / {result.optimizer} / {result.batch_size}",
        "class weighting": class_weighting(result.classes, result.class_weight, result.focal_alpha),
    }
    if result.budget:  # how batch size, epochs and patience were chosen (model/budget.py)
        rows["budget"] = result.budget["explanation"]
        rows["what early stopping watches"] = result.budget.get("monitor")
    if result.ensemble > 1:
        rows["ensemble"] = result.budget["ensemble"]
    if result.resumed:
        rows["resumed"] = "yes: continued from the last finished epoch of an interrupted attempt"
    shown = {k: fmt_number(v) if isinstance(v, int | float) else v for k, v in rows.items() if v is not None}
    return pd.DataFrame({"value": list(shown.values())}, index=list(shown))
