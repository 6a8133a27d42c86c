"""Opening a stage notebook (01 / 02 / 03) on a run, as JupyterLab or papermill does: what an
earlier stage must have made, which settings a later stage may still change, and what a failed
or repeated stage leaves behind (``lstm_helpers.artifacts.open_run`` / ``start_stage``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lstm_helpers import artifacts
from lstm_helpers.config import ConfigError
from lstm_helpers.earlier_settings import refuse_changed_earlier_settings
from lstm_helpers.layout import RunLayout


def _files(run: Path) -> dict[str, bytes]:
    return {str(p.relative_to(run)): p.read_bytes() for p in sorted(run.rglob("*")) if p.is_file()}


def _fake_stages(run: Path, cfg, *names: str) -> None:
    """A run whose earlier stages wrote their files (open_run only checks they are there)."""
    run.mkdir(parents=True, exist_ok=True)
    artifacts.write_yaml(run / "params.yaml", cfg.to_dict())
    for name in names:
        (run / name).write_text("{}")


def test_a_stage_opened_before_the_earlier_ones_says_which_to_run_and_writes_nothing(
    tmp_path, monkeypatch, tiny_config
):
    """02 opened first on a fresh checkout raised a traceback for prepare.json and left a scratch
    folder holding only params.yaml; 03 after 01 (02 skipped) a FileNotFoundError naming the
    absolute path of model.keras in its third cell."""
    monkeypatch.setattr(artifacts, "PROJECT_ROOT", tmp_path)  # reports/scratch under tmp_path
    monkeypatch.chdir(tmp_path)
    for stage, first in (("train", "run 01_prepare, then 02_train"), ("evaluate", "then 03_evaluate")):
        with pytest.raises(ConfigError, match=f"reports/scratch does not exist yet: .*{first}"):
            artifacts.open_run("", "", None, {}, stage=stage)
    assert not (tmp_path / "reports").exists()
    run = tmp_path / "elsewhere" / "r"
    _fake_stages(run, tiny_config(), "prepared.npz", "prepare.json")
    monkeypatch.chdir(tmp_path / "elsewhere")  # (named relative to where the notebook runs)
    before = _files(run)
    with pytest.raises(ConfigError) as err:
        artifacts.open_run(run, "", None, {}, stage="evaluate")
    assert str(err.value) == (
        "r has no model.keras (stage 02 has not finished there since 01 ran): run 02_train, then 03_evaluate"
    )
    assert _files(run) == before
    (run / "prepare.json").unlink()
    with pytest.raises(
        ConfigError, match=r"^r has no prepare.json \(stage 01 has not finished there\): run 01_prepare"
    ):
        artifacts.open_run(run, "", None, {}, stage="train")
    monkeypatch.setattr(artifacts, "PROJECT_ROOT", tmp_path / "project")
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")  # below neither: named by its folder, not its absolute path
    with pytest.raises(ConfigError, match="^r has no prepare.json") as err:
        artifacts.open_run(run, "", None, {}, stage="evaluate")
    assert str(tmp_path) not in str(err.value)


def test_stage_03_on_a_run_without_a_model_names_the_run_not_its_absolute_path(tiny_config, tmp_path, monkeypatch):
    from lstm_helpers.data.prepare import run_prepare
    from lstm_helpers.judge.evaluation import run_evaluation

    cfg = tiny_config()
    run_prepare(cfg, tmp_path / "r")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"^r has no model.keras: run stage 02 \(train\)") as err:
        run_evaluation(cfg, tmp_path / "r")
    assert isinstance(err.value, FileNotFoundError) and str(tmp_path) not in str(err.value)


@pytest.mark.parametrize(
    "stage,knobs,refused",
    [
        (
            "train",
            {"windows__length": 80},
            "windows.length = 80: r was prepared by 01_prepare with windows.length = 24",
        ),
        ("train", {"seed": 7}, "seed = 7: r was prepared by 01_prepare with seed = 42"),
        (
            "evaluate",
            {"model__units": [256]},
            r"model.units = \[256\]: r was trained by 02_train with model.units = \[8\]",
        ),
        ("evaluate", {"train__epochs": 50}, "train.epochs = 50: r was trained by 02_train with train.epochs = 1"),
        (
            "evaluate",
            {"split__val_fraction": 0.3},
            "split.val_fraction = 0.3: r was prepared by 01_prepare with split.val_fraction = 0.2",
        ),
    ],
)
def test_a_later_stage_refuses_a_setting_an_earlier_stage_used(
    tiny_config, tmp_path, monkeypatch, stage, knobs, refused
):
    """02 with windows__length = 80 or seed = 7, 03 with model__units = [256] were accepted and
    rewrote params.yaml: the report then described windows or a model the run does not hold."""
    cfg = tiny_config()
    _fake_stages(tmp_path / "r", cfg, "prepared.npz", "prepare.json", "model.keras", "train.json")
    monkeypatch.chdir(tmp_path)
    before = _files(tmp_path / "r")
    again = "01_prepare, then 02_train" if "prepared" in refused else "02_train, then 03_evaluate"
    with pytest.raises(ConfigError, match=f"^{refused}, which .*run {again}.* again") as err:
        artifacts.open_run(tmp_path / "r", "", None, dict(knobs), stage=stage)
    assert next(iter(knobs)) + " = None here" in str(err.value)
    with pytest.raises(ConfigError, match=f"^{refused}"):  # as papermill -p overrides passes them too
        artifacts.open_run(tmp_path / "r", "", {k.replace("__", "."): v for k, v in knobs.items()}, stage=stage)
    assert _files(tmp_path / "r") == before


def test_a_later_stage_may_change_its_own_settings_and_later_ones(tiny_config, tmp_path):
    cfg = tiny_config()
    run = tmp_path / "r"
    _fake_stages(run, cfg, "prepared.npz", "prepare.json", "model.keras", "train.json")
    got, _ = artifacts.open_run(
        run, "", None, {"train__epochs": 3, "evaluate__threshold_strategy": "fixed"}, stage="train"
    )
    assert got.train.epochs == 3 and got.evaluate.threshold_strategy == "fixed"
    got, _ = artifacts.open_run(run, "", None, {"evaluate__threshold_strategy": "fixed"}, stage="evaluate")
    assert got.evaluate.threshold_strategy == "fixed"
    assert yaml.safe_load((run / "params.yaml").read_text())["evaluate"]["threshold_strategy"] == "fixed"


def test_a_failed_stage_01_leaves_the_run_as_it_was(tiny_config, tmp_path):
    """01 with a column the data lack (after a good 01 with other windows) rewrote params.yaml
    before it read the data: 02 and 03 then ran on the old windows under the new parameters."""
    from lstm_helpers.data.prepare import run_prepare
    from lstm_helpers.data.recordings import DataError

    run = tmp_path / "r"
    artifacts.write_yaml(run / "params.yaml", tiny_config().to_dict())
    cfg, _ = artifacts.open_run(run, "", {"windows.length": 30}, stage="prepare")
    run_prepare(cfg, run)
    assert artifacts.read_params(run)["windows"]["length"] == 30  # a stage 01 that ran: its parameters
    before = _files(run)
    cfg, _ = artifacts.open_run(run, "", {"data.channels": ["acc_x", "acc_q"]}, stage="prepare")
    with pytest.raises(DataError, match="acc_q"):
        run_prepare(cfg, run)
    assert _files(run) == before


@pytest.mark.slow
def test_stage_02_again_removes_what_03_made_of_the_model_before(tiny_config, tmp_path, capsys, monkeypatch):
    """02 run again left metrics.json, threshold.json and the predictions of the model before:
    the report showed the new model's epochs beside the old model's metrics."""
    from lstm_helpers.data.prepare import run_prepare
    from lstm_helpers.judge.evaluation import run_evaluation
    from lstm_helpers.model.training import run_training

    monkeypatch.setattr(artifacts, "PROJECT_ROOT", tmp_path)  # the scratch run, run again in JupyterLab
    cfg = tiny_config(evaluate__baseline="none")
    run = tmp_path / "reports" / "scratch"
    run_prepare(cfg, run)
    run_training(cfg, run)
    run_evaluation(cfg, run)
    lay = RunLayout(run)
    assert artifacts.is_finished(run) and lay.metrics.is_file()
    cfg2, _ = artifacts.open_run("", "", {"train.epochs": 2}, stage="train")
    capsys.readouterr()
    run_training(cfg2, run)
    assert "Removed what 03_evaluate made before" in capsys.readouterr().out
    gone = [lay.metrics, lay.threshold, lay.predictions_csv, lay.predictions_npz, lay.bouts]
    assert not [p.name for p in gone if p.exists()]
    st = artifacts.read_json(lay.status)
    assert st["status"] == "partial" and st["stages_done"] == ["prepare", "train"]
    assert artifacts.read_params(run)["train"]["epochs"] == 2
    cfg3, _ = artifacts.open_run("", "", None, {}, stage="evaluate")  # 03 again: finished
    run_evaluation(cfg3, run)
    assert artifacts.is_finished(run)


def test_a_stage_02_that_fails_after_it_started_leaves_03_refused(tiny_config, tmp_path):
    """02 removes its model and train.json as it starts: a training that fails then never passes for done."""
    cfg = tiny_config()
    run = tmp_path / "r"
    _fake_stages(run, cfg, "prepared.npz", "prepare.json", "model.keras", "train.json", "metrics.json")
    artifacts.write_json(run / "status.json", artifacts.stage_status(cfg, ["prepare", "train", "evaluate"]))
    artifacts.start_stage(run, cfg, "train")
    assert not [n for n in ("model.keras", "train.json", "metrics.json") if (run / n).exists()]
    assert artifacts.read_json(run / "status.json")["stages_done"] == ["prepare"]
    with pytest.raises(ConfigError, match="has no model.keras"):
        artifacts.open_run(run, "", None, {}, stage="evaluate")


def test_a_stage_run_by_hand_says_which_run_it_reads_and_how_to_make_its_report(
    tiny_config, tmp_path, monkeypatch, capsys
):
    """01 / 02 / 03 in JupyterLab never said which run directory they used, and after 03 nothing
    said that ``lstm-workbench report`` makes the run's report.html."""
    monkeypatch.setattr(artifacts, "PROJECT_ROOT", tmp_path)
    monkeypatch.chdir(tmp_path)
    run = tmp_path / "reports" / "scratch"
    _fake_stages(run, tiny_config(), "prepared.npz", "prepare.json", "model.keras", "train.json")
    artifacts.open_run("", "", None, {}, stage="evaluate")
    out = capsys.readouterr().out
    assert "Stage 03 judges the model in reports/scratch; then `lstm-workbench report --run reports/scratch`" in out
    artifacts.write_json(run / "status.json", {"status": "running"})  # the pipeline: its terminal says where
    artifacts.open_run("", "", None, {}, stage="train")
    assert "Stage 02" not in capsys.readouterr().out


def test_a_refusal_names_the_knob_that_was_set_not_only_what_it_changed(tmp_path):
    """02 with ``windows__length = 50`` on a run prepared with ``windows.length_seconds = 2.0``
    (the same 50 steps at 25 Hz) was refused as ``windows.length_seconds = None ... (or leave
    windows__length_seconds = None here)``: a knob the user never set."""
    from lstm_helpers.config import resolve_config

    old = resolve_config({"windows": {"length_seconds": 2.0}})
    new = resolve_config({"windows": {"length_seconds": 2.0}}, {"windows.length": 50})
    with pytest.raises(ConfigError) as err:
        refuse_changed_earlier_settings(old, new, tmp_path / "r", "train", {"windows__length": 50})
    text = str(err.value)
    assert "(set through windows__length = 50)" in text and "leave windows__length = None here" in text, text
    new = resolve_config({"windows": {"length_seconds": 2.0}}, {"windows.length": 80, "seed": 7})
    with pytest.raises(ConfigError, match=r"^windows\.length = 80 \(and 2 more\)"):  # the knob set comes first
        refuse_changed_earlier_settings(old, new, tmp_path / "r", "train", {"windows__length": 80})


def test_a_refused_setting_given_through_overrides_is_named_as_given(tiny_config, tmp_path, monkeypatch):
    """02 run by papermill with ``-p overrides '{"windows.overlap_percent": 25}'`` was refused
    (right) with the hint "(or leave windows__overlap_percent = None here)": a knob the user
    never set; the value came through ``overrides``, so that is where to leave it out."""
    cfg = tiny_config()
    _fake_stages(tmp_path / "r", cfg, "prepared.npz", "prepare.json", "model.keras", "train.json")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as err:
        artifacts.open_run(tmp_path / "r", "", '{"windows.overlap_percent": 25}', {}, stage="train")
    text = str(err.value)
    assert text.startswith("windows.overlap_percent = 25.0: r was prepared by 01_prepare"), text
    assert text.endswith("(or leave windows.overlap_percent out of overrides here)"), text
    assert "windows__overlap_percent" not in text, text
    with pytest.raises(ConfigError) as err:  # the knob parameter: its own hint, as before
        artifacts.open_run(tmp_path / "r", "", None, {"windows__overlap_percent": 25}, stage="train")
    assert str(err.value).endswith("(or leave windows__overlap_percent = None here)"), str(err.value)
    from lstm_helpers.config import resolve_config  # set through overrides, refused for what it changed in turn

    old = resolve_config({"windows": {"length_seconds": 2.0}})
    new = resolve_config({"windows": {"length_seconds": 2.0}}, {"windows.length": 50})
    with pytest.raises(ConfigError) as err:
        refuse_changed_earlier_settings(old, new, tmp_path / "r", "train", {"windows.length": 50}, ["windows.length"])
    text = str(err.value)
    assert "(set through overrides entry 'windows.length': 50)" in text, text
    assert text.endswith("(or leave windows.length out of overrides here)"), text
