"""Shared fixtures: tiny demo recordings and configs that keep every test to seconds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

from lstm_helpers.config import resolve_config  # noqa: E402
from lstm_helpers.data.demo import write_demo_recordings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

TINY = {
    "data.demo": False,
    "windows.length_seconds": None,
    "windows.length": 24,
    "windows.overlap_percent": 50,
    "model.conv": [],  # the default's conv front end is tested in test_models / test_training
    "model.units": [8],
    "model.dense_units": [8],
    "model.bidirectional": False,
    "train.epochs": 1,
    "train.batch_size": 32,
    "train.verbose": 0,
    "train.ensemble": 1,  # seed ensembles: tests/test_ensemble.py
}


@pytest.fixture(scope="session")
def tiny_demo_dir(tmp_path_factory) -> Path:
    """Demo recordings, small: 6 animals x 2 recordings x 1 minute at 25 Hz."""
    d = tmp_path_factory.mktemp("demo")
    write_demo_recordings(d, seed=3, n_animals=6, minutes=1.0)
    return d


@pytest.fixture
def tiny_config(tiny_demo_dir):
    """A validated config on the tiny demo data (a few hundred windows, one epoch)."""

    def make(**overrides):
        raw = (ROOT / "configs" / "demo.yaml").read_text()
        import yaml

        ov = dict(TINY)
        ov["data.path"] = str(tiny_demo_dir)
        ov.update({k.replace("__", "."): v for k, v in overrides.items()})
        return resolve_config(yaml.safe_load(raw), ov)

    return make


def fake_recordings_run(data_cfg):
    """What predict's step labelling reads of a finished binary other / play run at 4 Hz (the
    run's data section ``data_cfg``), without a run directory."""
    from types import SimpleNamespace

    from lstm_helpers.judge.threshold import DecisionRule

    return SimpleNamespace(
        cfg=SimpleNamespace(data=data_cfg),
        recording_column=data_cfg.recording_column,
        input=SimpleNamespace(sample_rate_hz=4.0),
        classes=["other", "play"],
        rule=DecisionRule(("other", "play"), 0.5, 1),
        info={"classes_of_interest": ["play"]},
    )
