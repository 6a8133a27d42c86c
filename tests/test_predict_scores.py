"""predict on held-out recordings: the output's column names, and scores where the input is labelled."""

from types import SimpleNamespace

import numpy as np
import pandas as pd

from lstm_helpers.config import DataConfig
from lstm_helpers.data.recordings import series_from_frame
from lstm_helpers.judge.threshold import DecisionRule


def _tiny_run(cfg: DataConfig) -> SimpleNamespace:
    return SimpleNamespace(
        cfg=SimpleNamespace(data=cfg),
        recording_column=cfg.recording_column,
        input=SimpleNamespace(sample_rate_hz=4.0),
        classes=["other", "play"],
        rule=DecisionRule(("other", "play"), 0.5, 1),
        info={"classes_of_interest": ["play"]},
    )


def test_the_output_keeps_the_inputs_names_for_the_recording_and_the_time_column():
    """A recording column ``rec`` came out as ``rec`` but a time column ``t`` as ``time_s``: both
    now keep the input's names, so the table joins back to the input on them."""
    from lstm_helpers.runs.predict import label_timesteps, predicted_bouts

    n = 8
    df = pd.DataFrame(
        {"rec": ["r1"] * n, "t": 50.0 + np.arange(n) / 4, "ax": np.arange(n, dtype=float),
         "__file": "new.csv", "__row": np.arange(n)}
    )  # fmt: skip
    cfg = DataConfig(channels=["ax"], recording_column="rec", time_column="t", group_column=None, sample_rate_hz=4.0)
    s = series_from_frame(df, cfg, "new.csv", require_labels=False, classes=["other", "play"])
    p_play = np.array([0.1, 0.9, 0.9, 0.1, 0.1, 0.1, 0.8, 0.1])
    steps = label_timesteps(_tiny_run(cfg), s, {"r1": np.column_stack([1 - p_play, p_play])})
    assert list(steps.columns[:3]) == ["rec", "timestep", "t"] and "time_s" not in steps
    assert np.allclose(steps["t"], df["t"])
    bouts = predicted_bouts(_tiny_run(cfg), s, steps)
    assert np.allclose(bouts["start_s"], [50.25, 51.5]) and np.allclose(bouts["end_s"], [50.75, 51.75])
    # a run that reads no time column: the seconds are computed, under time_s
    plain = cfg.model_copy(update={"time_column": None})
    s = series_from_frame(df.drop(columns="t"), plain, "new.csv", require_labels=False, classes=["other", "play"])
    steps = label_timesteps(_tiny_run(plain), s, {"r1": np.column_stack([1 - p_play, p_play])})
    assert np.allclose(steps["time_s"], steps["timestep"] / 4.0)
