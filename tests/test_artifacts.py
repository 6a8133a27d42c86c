"""Artifacts are plain, safe to load and never half-written."""

import numpy as np
import pytest
import yaml

from lstm_helpers import artifacts
from lstm_helpers.config import ConfigError


def test_json_roundtrip_converts_numpy_and_nan(tmp_path):
    p = artifacts.write_json(
        tmp_path / "a.json",
        {
            "x": np.float32(1.5),
            "n": np.int64(3),
            "bad": float("nan"),
            "arr": np.arange(3),
            "flag": np.bool_(True),
        },
    )
    assert artifacts.read_json(p) == {"x": 1.5, "n": 3, "bad": None, "arr": [0, 1, 2], "flag": True}


def test_npz_refuses_object_arrays_and_loads_without_pickles(tmp_path):
    with pytest.raises(TypeError, match="dtype object"):
        artifacts.save_npz(tmp_path / "x.npz", {"a": np.array([{"k": 1}], dtype=object)})
    assert not (tmp_path / "x.npz").exists()
    artifacts.save_npz(tmp_path / "x.npz", {"a": np.arange(4), "s": np.array(["r1", "r2"])})
    out = artifacts.load_npz(tmp_path / "x.npz")
    assert out["s"].dtype.kind == "U" and list(out["a"]) == [0, 1, 2, 3]


def test_failed_write_keeps_the_previous_file(tmp_path):
    p = artifacts.write_text(tmp_path / "f.txt", "good")

    def boom(path):
        path.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        artifacts._atomic(p, boom)
    assert p.read_text() == "good" and [x.name for x in tmp_path.iterdir()] == ["f.txt"]


def test_open_run_refuses_a_finished_run_before_writing(tmp_path):
    """A notebook run by hand (papermill) on a finished run would rewrite it under "finished"."""
    cfg, run = artifacts.open_run(tmp_path / "r", "configs/demo.yaml", {"train.epochs": 3})
    (run / "status.json").write_text('{"status": "finished"}')
    before = (run / "params.yaml").read_text()
    with pytest.raises(ConfigError, match="is a finished run and finished runs are never rewritten"):
        artifacts.open_run(tmp_path / "r", "", {"train.epochs": 5})
    assert (run / "params.yaml").read_text() == before
    (run / "status.json").write_text('{"status": "interrupted"}')  # a stopped run continues
    assert artifacts.open_run(tmp_path / "r", "", {"train.epochs": 5})[0].train.epochs == 5


def test_open_run_prefers_the_runs_params_and_validates_overrides(tmp_path):
    cfg, run = artifacts.open_run(tmp_path / "r", "configs/demo.yaml", {"train.epochs": 3})
    assert cfg.train.epochs == 3 and (run / "params.yaml").is_file()
    cfg2, _ = artifacts.open_run(tmp_path / "r", "", {"windows.overlap_percent": 75})
    assert cfg2.train.epochs == 3 and cfg2.windows.overlap_percent == 75  # read back from params.yaml
    assert yaml.safe_load((run / "params.yaml").read_text())["windows"]["overlap_percent"] == 75
    with pytest.raises(ConfigError, match="unknown key 'train.epoch'"):
        artifacts.open_run(tmp_path / "r", "", {"train.epoch": 3})
