"""Stage 01's refusals and notes on tiny demo recordings: each refusal comes before any run
directory exists and names the setting to change; each note reaches the terminal and the report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from lstm_helpers.cli import main
from lstm_helpers.data.prepare import run_prepare, summary_table
from lstm_helpers.runs.terminal import stage_done_line

pytestmark = pytest.mark.filterwarnings("ignore")


def _config(d: Path, data_path: Path, **sections: dict) -> Path:
    """A tiny run config on ``data_path`` (the demo's columns) with ``sections`` merged in."""
    raw = {
        "data": {"path": str(data_path), "demo": False, "class_map": {"play_solo": "play", "play_chase": "play"}},
        "windows": {"length": 24},
        "model": {"conv": [], "units": [4], "dense_units": [4], "bidirectional": False},
        "train": {"epochs": 1, "verbose": 0, "ensemble": 1},
        "run": {"reports_dir": str(d / "reports")},
    }
    raw["data"] |= {"other_class": "other", "classes_of_interest": ["play"], "nan_policy": "interpolate"}
    for key, value in sections.items():
        raw[key] = raw.get(key, {}) | value
    (d / "cfg.yaml").write_text(yaml.safe_dump(raw))
    return d / "cfg.yaml"


def _refused(argv: list[str], d: Path, capsys) -> str:
    """The error of a command refused with exit code 2 before any run directory was made."""
    capsys.readouterr()
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert not (d / "reports").exists() or not any((d / "reports").iterdir()), "a run directory was made"
    return err


@pytest.mark.parametrize("command", ["run", "prepare"])
def test_a_class_of_interest_the_catch_all_would_swallow_is_refused_naming_the_map(
    command, tiny_demo_dir, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    cfg = _config(tmp_path, tiny_demo_dir, data={"class_map": {}, "classes_of_interest": ["play_solo"]})
    err = _refused([command, "--config", str(cfg)], tmp_path, capsys)
    for words in ("'play_solo'", "data.other_class 'other'", "not in data.class_map", "add `play_solo: play_solo`"):
        assert words in err, err
    assert "only 1 class" not in err


def test_a_class_of_interest_mapped_away_is_refused_in_a_sweep_before_any_run(
    tiny_demo_dir, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    cfg = _config(tmp_path, tiny_demo_dir)
    sweep = tmp_path / "s.yaml"
    sweep.write_text(f"base: {cfg}\ngrid:\n  data.classes_of_interest: [[play], [play_solo]]\n")
    err = _refused(["sweep", str(sweep), "--out", str(tmp_path / "reports" / "sw")], tmp_path, capsys)
    assert "'play_solo'" in err and "data.class_map maps it to 'play'" in err, err


def test_a_window_shorter_than_the_pools_is_refused_naming_length_seconds(tiny_demo_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    conv = [{"filters": 4, "kernel_size": 3, "pool": 2}, {"filters": 4, "kernel_size": 3, "pool": 2}]
    cfg = _config(tmp_path, tiny_demo_dir, model={"conv": conv}, windows={"length_seconds": 0.01})
    err = _refused(["run", "--config", str(cfg)], tmp_path, capsys)
    for words in ("windows.length_seconds = 0.01", "0.25 timesteps", "25", "at least 4 timesteps", ">= 0.16"):
        assert words in err, err
    assert "model.conv[1].pool = 2" not in err


def test_a_window_under_two_steps_is_refused_without_pools(tiny_demo_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = _config(tmp_path, tiny_demo_dir, windows={"length_seconds": 0.01})
    err = _refused(["prepare", "--config", str(cfg)], tmp_path, capsys)
    assert "windows.length_seconds = 0.01 is 0.25 timesteps" in err and "at least 2 timesteps" in err, err


def test_length_seconds_that_rounds_is_said(tiny_config, tmp_path):
    with pytest.warns(UserWarning, match="windows.length_seconds = 1.03 is 25.75 timesteps"):
        meta = run_prepare(tiny_config(windows__length_seconds=1.03), tmp_path).meta
    assert meta["input"]["window_length"] == 26
    assert any("the windows hold 26 timesteps (1.04 s)" in n for n in meta["notes"]), meta["notes"]
    exact = run_prepare(tiny_config(windows__length_seconds=1.0), tmp_path / "exact").meta
    assert not any("length_seconds" in n for n in exact["notes"])


@pytest.fixture(scope="module")
def play_in_two_animals(tiny_demo_dir, tmp_path_factory) -> Path:
    """The tiny demo with play in two animals only (the others' play bouts relabelled rest)."""
    out, kept = tmp_path_factory.mktemp("two_play"), 0
    for f in sorted(tiny_demo_dir.glob("*.parquet")):
        df = pd.read_parquet(f)
        kept += bool(has := df["behaviour"].astype(str).str.startswith("play").any())
        if kept > 2 or not has:
            df["behaviour"] = df["behaviour"].astype(str).str.replace(r"^play_.*", "rest", regex=True)
        df.to_parquet(out / f.name)
    return out


def test_validation_without_the_class_of_interest_is_said_on_the_terminal(play_in_two_animals, tiny_config, tmp_path):
    cfg = tiny_config(data__path=str(play_in_two_animals), split__val_fraction=0.25, seed=0)
    with pytest.warns(UserWarning, match="val has no play"):
        meta = run_prepare(cfg, tmp_path).meta
    assert meta["split"]["classes_missing"] == {"val": ["play"]}
    (note,) = [n for n in meta["notes"] if "val has no play" in n]
    assert "no decision threshold, early stopping or best epoch can follow it" in note
    assert "another seed" in note and "split.val_fraction" in note and "split.by: recording" in note
    assert f"note: {note}" in stage_done_line("prepare", 1.0, tmp_path).splitlines()
    assert "split note" not in summary_table(meta).index  # said once, among the notes


def _blank_labels(src: Path, out: Path, animals: set[str]) -> Path:
    """``src``'s recordings with column 'behaviour' emptied in the files of ``animals``."""
    out.mkdir()
    for f in sorted(src.glob("*.parquet")):
        df = pd.read_parquet(f)
        if f.stem in animals:
            df["behaviour"] = pd.Series(pd.NA, index=df.index, dtype="string")
        df.to_parquet(out / f.name)
    return out


def test_a_group_with_no_labelled_timestep_is_left_out_of_the_split(tiny_demo_dir, tiny_config, tmp_path):
    data = _blank_labels(tiny_demo_dir, tmp_path / "data", {"animal_01"})
    with pytest.warns(UserWarning, match="hold no labelled timestep"):
        meta = run_prepare(tiny_config(data__path=str(data)), tmp_path / "run").meta
    (note,) = [n for n in meta["notes"] if "no labelled timestep" in n]
    assert "'a01_r1', 'a01_r2'" in note and "animal_id value(s) 'animal_01' left out of the split" in note
    assert sorted(g for split in meta["groups"].values() for g in split) == [f"animal_0{i}" for i in range(2, 7)]
    assert "a01_r1" not in sum(meta["splits_recordings"].values(), [])
    assert meta["leakage"]["ok"]


def test_groups_left_without_labels_that_leave_too_few_are_refused(tiny_demo_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = _blank_labels(tiny_demo_dir, tmp_path / "data", {"animal_01", "animal_04", "animal_05", "animal_06"})
    cfg = _config(tmp_path, data)
    err = _refused(["prepare", "--no-notebook", "--config", str(cfg)], tmp_path, capsys)
    assert "2 animal_id value(s) cannot fill train, validation and test" in err, err
    assert "animal_id value(s) 'animal_01', 'animal_04', 'animal_05' and 1 more left out of the split" in err, err


def test_the_prepare_section_of_the_report_says_the_folder_the_scaling_and_the_notes(
    play_in_two_animals, tiny_config, tmp_path, capsys, monkeypatch
):
    from lstm_helpers.runs.report import export_report

    monkeypatch.chdir(tmp_path)
    cfg = tiny_config(data__path=str(play_in_two_animals), split__val_fraction=0.25, seed=0)
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg.to_dict()))
    run = tmp_path / "reports" / "run"
    assert main(["prepare", "--config", str(tmp_path / "c.yaml"), "--out", str(run)]) == 0
    assert "val has no play: no decision threshold" in capsys.readouterr().out  # on the terminal
    page = export_report(run).read_text()
    assert f"recordings from {play_in_two_animals.name} (outside the project)" in page
    assert "from ../" not in page  # (was relative to the run folder)
    assert "each recording scaled by its own statistics (standard, scale.per: recording; label-free)" in page
    assert "fitted on training timesteps only" not in page
    notes = page[page.index(">Notes<") :]
    assert "val has no play: no decision threshold" in notes[: notes.index("<h2")]


def test_the_caption_follows_a_global_scaler(tiny_config, tmp_path):
    from lstm_helpers.data.summary import example_windows_caption

    meta = run_prepare(tiny_config(scale__per="global", scale__method="robust"), tmp_path).meta
    assert example_windows_caption(meta) == (
        "The model's input values, scaled by a robust scaler fitted on training timesteps only (scale.per: global)."
    )


def test_a_sweep_of_window_lengths_too_short_for_the_pools_names_the_window(tmp_path, capsys):
    """The sweep planner's own pool check ran first and named only model.conv for a grid value of
    windows.length_seconds that its pools shrink to nothing; it names the window setting as a run does."""
    from test_sweeps import write_sweep

    conv = [{"filters": 4, "kernel_size": 3, "pool": 2}, {"filters": 4, "kernel_size": 3, "pool": 2}]
    f = write_sweep(
        tmp_path / "s.yaml", tmp_path / "data", set={"model.conv": conv}, grid={"windows.length_seconds": [0.01, 2.0]}
    )
    assert main(["sweep", str(f), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "windows.length_seconds = 0.01" in err and ">= 0.16" in err and "windows.length_seconds=0.01" in err, err
    assert not (tmp_path / "out").exists()  # refused before anything is written
