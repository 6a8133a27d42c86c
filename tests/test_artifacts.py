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


def test_the_scratch_run_is_run_again_and_stage_01_starts_it_afresh(tmp_path, monkeypatch):
    """JupyterLab's default run (run_dir empty) was refused as "finished" once 01-03 had run in
    it, and a knob set there in one session stuck in the next after the cell said None again."""
    monkeypatch.setattr(artifacts, "PROJECT_ROOT", tmp_path)  # reports/scratch under tmp_path
    cfg, scratch = artifacts.open_run("", "", None, {"train__epochs": 2}, stage="prepare")
    assert scratch == tmp_path / "reports" / "scratch" and cfg.train.epochs == 2
    artifacts.write_yaml(scratch / "params.yaml", cfg.to_dict())  # what stage 01 writes
    for name in ("prepared.npz", "prepare.json", "model.keras", "train.json", "metrics.json"):
        (scratch / name).write_text("{}")  # what the stages write (open_run checks they are there)
    for stage in ("prepare", "train", "evaluate"):
        artifacts.record_notebook_stage(scratch, cfg, stage)
    assert artifacts.is_finished(scratch)
    # 02 again, the knob cleared: the run's params.yaml (what 01 prepared) still holds
    assert artifacts.open_run("", "", None, {"train__epochs": None}, stage="train")[0].train.epochs == 2
    # 01 again, the knob cleared: the config's value, not the last session's
    assert artifacts.open_run("", "", None, {"train__epochs": None}, stage="prepare")[0].train.epochs == 15
    # a run directory named in the cell stays immutable once finished
    for stage in ("prepare", "train", "evaluate"):
        artifacts.record_notebook_stage(scratch, cfg, stage)
    with pytest.raises(ConfigError, match="is a finished run"):
        artifacts.open_run(scratch, "", None, None, stage="train")


def test_open_run_prefers_the_runs_params_and_validates_overrides(tmp_path):
    cfg, run = artifacts.open_run(tmp_path / "r", "configs/demo.yaml", {"train.epochs": 3})
    assert cfg.train.epochs == 3 and (run / "params.yaml").is_file()
    cfg2, _ = artifacts.open_run(tmp_path / "r", "", {"windows.overlap_percent": 75})
    assert cfg2.train.epochs == 3 and cfg2.windows.overlap_percent == 75  # read back from params.yaml
    assert yaml.safe_load((run / "params.yaml").read_text())["windows"]["overlap_percent"] == 75
    with pytest.raises(ConfigError, match="unknown key 'train.epoch'") as err:
        artifacts.open_run(tmp_path / "r", "", {"train.epoch": 3})
    # the cell's knob is to blame, not the run's params.yaml (named absolute before)
    assert str(err.value).startswith("the notebook's parameters (on top of ") and str(tmp_path) not in str(err.value)


def test_a_notebooks_overrides_text_refuses_a_key_given_twice(tmp_path):
    """papermill -p overrides '{"train.epochs": 2, "train.epochs": 5}' took 5 silently (PyYAML's
    safe_load keeps the later key), as a config file did."""
    with pytest.raises(ConfigError, match=r"overrides: key 'train.epochs' is given twice, at line 1, columns 2 and 21"):
        artifacts.open_run(tmp_path / "r", "configs/demo.yaml", '{"train.epochs": 2, "train.epochs": 5}')
    assert not (tmp_path / "r").exists()
    cfg, _ = artifacts.open_run(tmp_path / "r", "configs/demo.yaml", '{"train.epochs": 2}')
    assert cfg.train.epochs == 2


def test_open_run_as_jupyterlab_runs_it(tmp_path, monkeypatch):
    """JupyterLab runs a notebook in notebooks/: config_file 'configs/demo.yaml' (as the cell's
    comment says) was not found there, and the refused start left an empty run folder behind; a
    misspelt knob stayed in the kernel after the cell was fixed; 02 / 03 with another config_file
    rewrote the params.yaml of a run prepared with other data."""
    from lstm_helpers.config import PROJECT_ROOT

    monkeypatch.chdir(PROJECT_ROOT / "notebooks")
    cfg, run = artifacts.open_run(tmp_path / "r", "configs/demo.yaml", {"train.epochs": 3})
    assert cfg.data.path == "data/raw/demo"
    with pytest.raises(ConfigError):
        artifacts.open_run(tmp_path / "never", "configs/demo.yaml", {"train.epoch": 3})
    assert not (tmp_path / "never").exists()
    namespace = {"windows__overlap_percnt": 0}
    with pytest.raises(ConfigError, match="did you mean windows__overlap_percent"):
        artifacts.open_run(tmp_path / "r", "", None, namespace)
    assert namespace == {}  # fixed in the cell and run again: not refused a second time
    for name in ("prepared.npz", "prepare.json"):  # stage 01 ran with the demo config
        (run / name).write_text("{}")
    other = tmp_path / "other.yaml"
    demo = yaml.safe_load((PROJECT_ROOT / "configs" / "demo.yaml").read_text())
    other.write_text(
        yaml.safe_dump(
            demo | {"windows": demo["windows"] | {"overlap_percent": 0}, "train": demo["train"] | {"epochs": 9}}
        )
    )
    before = (run / "params.yaml").read_text()
    with pytest.raises(ConfigError, match=r"differs from the settings .* was made with \(windows.overlap_percent\)"):
        artifacts.open_run(run, str(other), None, None, stage="train")
    assert (run / "params.yaml").read_text() == before
    assert (
        artifacts.open_run(run, str(other), {"windows.overlap_percent": 50}, None, stage="train")[0].train.epochs == 9
    )


def test_a_stage_run_by_hand_records_itself_and_the_pipeline_keeps_its_own(tmp_path):
    """Notebook runs never wrote status.json: 04_compare found none of them finished, and 02 could
    train a run again under the metrics of its old model."""
    from lstm_helpers.config import resolve_config

    cfg = resolve_config({})
    artifacts.record_notebook_stage(tmp_path, cfg, "prepare")
    artifacts.record_notebook_stage(tmp_path, cfg, "train")
    st = artifacts.read_json(tmp_path / "status.json")
    assert st["status"] == "partial" and st["stages_done"] == ["prepare", "train"] and st["fingerprint"]
    artifacts.record_notebook_stage(tmp_path, cfg, "evaluate")
    assert artifacts.read_json(tmp_path / "status.json")["status"] == "finished"
    artifacts.record_notebook_stage(tmp_path, cfg, "prepare")  # 01 again: 02 and 03 are stale
    assert artifacts.read_json(tmp_path / "status.json")["stages_done"] == ["prepare"]
    artifacts.write_json(tmp_path / "status.json", {"status": "running", "stages_done": []})
    artifacts.record_notebook_stage(tmp_path, cfg, "prepare")
    assert artifacts.read_json(tmp_path / "status.json") == {"status": "running", "stages_done": []}
