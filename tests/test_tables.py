"""``data.kind: table``: one row per time step (with or without a recording column) and one row
per sample (``data.sequence_columns``), with the bad inputs each must refuse by name."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstm_helpers.config import ConfigError, DataConfig, resolve_config
from lstm_helpers.data.recordings import DataError, read_dataset, read_recordings
from lstm_helpers.data.tables import read_table, step_columns

CH = ["f1", "f2"]


def _steps_table(n_rec: int = 4, n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(n_rec):
        lab = np.where((np.arange(n) // 10) % 2 == 0, "calm", "busy")
        rows.append(pd.DataFrame({"rec": f"r{r}", "f1": rng.normal(size=n), "f2": rng.normal(size=n), "label": lab}))
    return pd.concat(rows, ignore_index=True)


def _steps_cfg(path, **kw) -> DataConfig:
    base = dict(
        kind="table",
        path=str(path),
        recording_column="rec",
        group_column=None,
        time_column=None,
        label_column="label",
        channels=CH,
        sample_rate_hz=None,
    )
    return DataConfig(**(base | kw))


def _wide_table(n: int = 40, steps: int = 12, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = {f"{c}_t{t}": rng.normal(size=n) for c in CH for t in range(steps)}
    df = pd.DataFrame(data)
    lengths = rng.integers(5, steps + 1, n)
    for c in CH:  # trailing empty cells: shorter sequences
        cols = [f"{c}_t{t}" for t in range(steps)]
        block = df[cols].to_numpy()
        block[np.arange(steps)[None, :] >= lengths[:, None]] = np.nan
        df[cols] = block
    df["label"] = np.where(np.arange(n) % 3 == 0, "a", "b")
    df["subject"] = [f"s{i // 4}" for i in range(n)]
    return df, lengths


def _wide_cfg(path, **kw) -> DataConfig:
    base = dict(
        kind="table",
        path=str(path),
        sequence_columns="{channel}_t{t}",
        recording_column=None,
        group_column="subject",
        time_column=None,
        label_column="label",
        channels=CH,
    )
    return DataConfig(**(base | kw))


# ----------------------------------------------------------------------- one row per time step
def test_rows_per_step_with_recording_column_read_like_recordings(tmp_path):
    df = _steps_table()
    df.to_csv(tmp_path / "t.csv", index=False)
    s = read_table(_steps_cfg(tmp_path / "t.csv"))
    r = read_recordings(_steps_cfg(tmp_path / "t.csv").model_copy(update={"kind": "recordings"}))
    assert s.kind == "recordings" and s.n_recordings == 4 and s.classes == ["busy", "calm"]
    np.testing.assert_array_equal(s.values, r.values)
    np.testing.assert_array_equal(s.labels, r.labels)
    assert any("recordings from column 'rec'" in n for n in s.notes)


def test_rows_per_step_without_recording_column_cut_into_blocks(tmp_path):
    df = _steps_table().drop(columns="rec")
    df.to_parquet(tmp_path / "t.parquet", index=False)
    s = read_table(_steps_cfg(tmp_path / "t.parquet", recording_column=None, table_blocks=6))
    assert s.n_recordings == 6 and list(s.groups) == list(s.rec_ids)
    assert s.lengths.sum() == len(df) and s.lengths.min() >= len(df) // 6
    np.testing.assert_allclose(s.values[:, 0], df["f1"].to_numpy(np.float32))


def test_rows_per_step_through_prepare_no_window_crosses_a_block(tmp_path, tiny_config):
    from lstm_helpers.data.prepare import run_prepare

    _steps_table(n=120).drop(columns="rec").to_csv(tmp_path / "t.csv", index=False)
    cfg = tiny_config(
        data__kind="table",
        data__path=str(tmp_path / "t.csv"),
        data__recording_column=None,
        data__group_column=None,
        data__time_column=None,
        data__label_column="label",
        data__channels=CH,
        data__class_map={},
        data__other_class=None,
        data__classes_of_interest=["busy"],
        data__table_blocks=8,
        windows__length=10,
    )
    info = run_prepare(cfg, tmp_path / "run").meta
    assert info["leakage"]["ok"] and sum(info["windows"][n] for n in ("train", "val", "test")) > 0


# ----------------------------------------------------------------------- one row per sample
def test_rows_per_sample_variable_length_padded_and_masked(tmp_path):
    df, lengths = _wide_table()
    df.to_csv(tmp_path / "w.csv", index=False)
    s = read_table(_wide_cfg(tmp_path / "w.csv"))
    assert s.kind == "sequences" and s.n_recordings == 40 and sorted(s.classes) == ["a", "b"]
    assert (s.case_labels == 1).sum() <= (s.case_labels == 0).sum()  # binary: the rarer class is the positive one
    np.testing.assert_array_equal(s.lengths_true, lengths)
    assert (s.lengths == lengths.max()).all()  # padded to the longest
    first = s.values[: lengths.max()]
    np.testing.assert_allclose(
        first[: lengths[0], 1],
        df.loc[0, [f"f2_t{t}" for t in range(lengths[0])]].to_numpy(np.float32),
    )
    assert (first[lengths[0] :] == 0).all()  # data.mask_value
    assert len(set(s.groups)) == 10


def test_rows_per_sample_through_read_dataset_and_steps_from_one(tmp_path):
    df, _ = _wide_table()
    df = df.rename(columns={f"{c}_t{t}": f"{c}[{t + 1}]" for c in CH for t in range(12)})
    df.to_parquet(tmp_path / "w.parquet", index=False)
    s = read_dataset(_wide_cfg(tmp_path / "w.parquet", sequence_columns="{channel}[{t}]"))
    assert s.n_recordings == 40
    assert list(step_columns(list(df.columns), "{channel}[{t}]", "f1"))[:3] == [1, 2, 3]


# ----------------------------------------------------------------------- bad inputs
def test_missing_feature_column_is_named(tmp_path):
    _steps_table().drop(columns="f2").to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(DataError, match=r"'f2' \(data.channels\[1\]\)"):
        read_table(_steps_cfg(tmp_path / "t.csv"))


def test_non_numeric_feature_column_is_named(tmp_path):
    df = _steps_table()
    df["f1"] = df["f1"].astype(object)
    df.loc[5, "f1"] = "fast"
    df.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(DataError, match="'f1' is not numeric"):
        read_table(_steps_cfg(tmp_path / "t.csv"))
    wide, _ = _wide_table()
    wide["f1_t3"] = wide["f1_t3"].astype(object)
    wide.loc[2, "f1_t3"] = "x"
    wide.to_csv(tmp_path / "w.csv", index=False)
    with pytest.raises(DataError, match="column 'f1_t3' is not numeric"):
        read_table(_wide_cfg(tmp_path / "w.csv"))


def test_pattern_that_matches_nothing_names_pattern_and_channel(tmp_path):
    _wide_table()[0].to_csv(tmp_path / "w.csv", index=False)
    with pytest.raises(DataError, match=r"no column matches .*'\{channel\}_step\{t\}' for channel 'f1'"):
        read_table(_wide_cfg(tmp_path / "w.csv", sequence_columns="{channel}_step{t}"))


def test_missing_step_column_is_named(tmp_path):
    _wide_table()[0].drop(columns="f2_t3").to_csv(tmp_path / "w.csv", index=False)
    with pytest.raises(DataError, match="column 'f2_t3' is missing"):
        read_table(_wide_cfg(tmp_path / "w.csv"))


def test_gap_inside_a_sequence_names_row_and_column(tmp_path):
    df, _ = _wide_table()
    df.loc[7, ["f1_t1", "f2_t1"]] = np.nan  # step 1 empty, step 2.. present
    df.loc[7, ["f1_t2", "f2_t2"]] = 1.0
    df.to_csv(tmp_path / "w.csv", index=False)
    with pytest.raises(
        DataError, match=r"row 9 \(the header is row 1\), column 'f1_t1' \(step 1\) is empty inside the sequence"
    ):
        read_table(_wide_cfg(tmp_path / "w.csv"))


def test_rows_per_sample_in_a_folder_errors_name_the_file_and_its_row(tmp_path):
    """A folder of one-row-per-sample files: an error names the file and the row in it, not
    the folder and a row of all files end to end; an empty group cell and an infinite value
    are named by column and row."""
    df, _ = _wide_table()
    folder = tmp_path / "tables"
    folder.mkdir()
    df.iloc[:20].to_csv(folder / "a.csv", index=False)
    bad = df.iloc[20:].reset_index(drop=True)
    bad.loc[3, ["f1_t1", "f2_t1"]] = np.nan  # a gap at row 3 of b.csv
    bad.loc[3, ["f1_t2", "f2_t2"]] = 1.0
    bad.to_csv(folder / "b.csv", index=False)
    with pytest.raises(
        DataError, match=r"b\.csv: row 5 \(the header is row 1\), column 'f1_t1' \(step 1\) is empty inside"
    ):
        read_table(_wide_cfg(folder))
    one = df.copy()
    one.loc[5, "subject"] = None
    one.to_csv(tmp_path / "g.csv", index=False)
    with pytest.raises(DataError, match=r"g\.csv: column 'subject' \(data.group_column\) is empty at row 7"):
        read_table(_wide_cfg(tmp_path / "g.csv"))
    inf = df.copy()
    inf.loc[2, "f2_t0"] = np.inf
    inf.to_csv(tmp_path / "i.csv", index=False)
    with pytest.raises(
        DataError,
        match=r"i\.csv: 1 value\(s\) are infinite.*column 'f2_t0', row 4 \(the header is row 1\), value inf\. Fix",
    ):
        read_table(_wide_cfg(tmp_path / "i.csv"))


def test_a_parquet_table_of_samples_counts_its_rows_from_one(tmp_path):
    """A Parquet file has no header row: its rows are not named as a CSV's (row + 2)."""
    df, _ = _wide_table()
    gap = df.copy()
    gap.loc[7, ["f1_t1", "f2_t1"]] = np.nan
    gap.loc[7, ["f1_t2", "f2_t2"]] = 1.0
    gap.to_parquet(tmp_path / "w.parquet")
    with pytest.raises(DataError, match=r"w\.parquet: row 8 \(counting the table's rows from 1; position 7"):
        read_table(_wide_cfg(tmp_path / "w.parquet"))
    unlabelled = df.copy()
    unlabelled.loc[4, "label"] = None
    unlabelled.to_parquet(tmp_path / "u.parquet")
    with pytest.raises(DataError, match=r"first: row 5 \(counting the table's rows from 1; position 4"):
        read_table(_wide_cfg(tmp_path / "u.parquet"))
    group = df.copy()
    group.loc[5, "subject"] = None
    group.to_parquet(tmp_path / "g.parquet")
    with pytest.raises(DataError, match=r"is empty at row 6 \(counting the table's rows from 1"):
        read_table(_wide_cfg(tmp_path / "g.parquet"))
    empty = df.copy()
    empty.loc[2, [c for c in df.columns if "_t" in c]] = np.nan
    empty.to_parquet(tmp_path / "e.parquet")
    with pytest.raises(DataError, match=r"e\.parquet: row 3 \(counting the table's rows from 1.* has no values"):
        read_table(_wide_cfg(tmp_path / "e.parquet"))


def test_unlabelled_and_missing_label_column_in_rows_per_sample(tmp_path):
    df, _ = _wide_table()
    df.loc[4, "label"] = None
    df.to_csv(tmp_path / "w.csv", index=False)
    with pytest.raises(
        DataError, match="1 row\\(s\\) have no label in column 'label' \\(first: row 6 \\(the header is row 1\\)\\)"
    ):
        read_table(_wide_cfg(tmp_path / "w.csv"))
    df.drop(columns="subject").to_csv(tmp_path / "w2.csv", index=False)
    with pytest.raises(DataError, match=r"'subject' \(data.group_column\)"):
        read_table(_wide_cfg(tmp_path / "w2.csv"))


@pytest.mark.parametrize(
    "overrides,message",
    [
        (
            {"data.kind": "recordings", "data.sequence_columns": "{channel}_t{t}"},
            "sequence_columns is for data.kind 'table'",
        ),
        (
            {"data.kind": "table", "data.sequence_columns": "{channel}_t"},
            "with {t} \\(the step\\) once",
        ),
        (
            {"data.kind": "table", "data.sequence_columns": "{channel}_{t}_{x}"},
            "with {t} \\(the step\\) once",
        ),
        (
            {"data.kind": "table", "data.sequence_columns": "x_{t}"},
            "has no {channel} but data.channels lists 6",
        ),
        (
            {"data.kind": "table", "data.recording_column": None},
            "data.group_column must be null too",
        ),
        (
            {"data.kind": "recordings", "data.recording_column": None},
            "may be null only for data.kind 'table'",
        ),
        ({"data.kind": "table", "data.table_blocks": 1}, "data.table_blocks = 1"),
    ],
)
def test_config_refuses_bad_table_settings(overrides, message):
    with pytest.raises(ConfigError, match=message):
        resolve_config({}, overrides)


def test_predict_labels_a_table_of_one_row_per_step_without_a_recording_column(tmp_path, tiny_config, tiny_demo_dir):
    """predict refused runs trained on a table of one row per time step. Without a recording
    column each input file is one series: fed one test block's rows, it repeats the run's own
    test predictions for that block's windows, and names the rows by the file."""
    from lstm_helpers.artifacts import load_npz, write_yaml
    from lstm_helpers.data.prepare import run_prepare
    from lstm_helpers.judge.evaluation import run_evaluation
    from lstm_helpers.model.training import run_training
    from lstm_helpers.runs.predict import predict_run

    channels = ["acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"]
    frames = [pd.read_parquet(f) for f in sorted(Path(tiny_demo_dir).glob("*.parquet"))]
    table = pd.concat(frames, ignore_index=True)[[*channels, "behaviour"]]
    table.to_csv(tmp_path / "steps.csv", index=False)
    blocks = 8
    cfg = tiny_config(data__kind="table", data__path=str(tmp_path / "steps.csv"), data__recording_column=None,
                      data__group_column=None, data__time_column=None, data__table_blocks=blocks,
                      scale__per="global")  # fmt: skip
    run = tmp_path / "run"
    run_prepare(cfg, run)
    run_training(cfg, run)
    run_evaluation(cfg, run)
    write_yaml(run / "params.yaml", cfg.to_dict())
    block = str(load_npz(run / "prepared.npz")["rec_test"][0])  # e.g. "block005"
    rows = np.flatnonzero(np.arange(len(table)) * blocks // len(table) == int(block.removeprefix("block")))
    table.iloc[rows].drop(columns="behaviour").to_csv(tmp_path / "new.csv", index=False)  # no labels
    out = predict_run(run, tmp_path / "new.csv", tmp_path / "pred.csv")
    steps, windows = pd.read_csv(out["timesteps"]), pd.read_csv(out["windows"])
    assert len(steps) == len(rows) and set(steps["recording"]) == {"new"} and set(windows["recording"]) == {"new"}
    mine = pd.read_csv(run / "predictions_test.csv").query("rec == @block").sort_values("start")
    both = mine.merge(windows, on="start", suffixes=("_run", "_new"))  # the run scores labelled windows only
    assert len(both) == len(mine) > 10 and windows["start"].diff().dropna().eq(12).all()
    np.testing.assert_allclose(both["p_play_new"], both["p_play_run"], atol=1e-5)
    assert not any("scaled" in n for n in out["notes"])
    both_kinds = tmp_path / "both"  # x.csv beside x.parquet: each a series, named in full
    both_kinds.mkdir()
    table.iloc[rows].to_csv(both_kinds / "x.csv", index=False)
    table.iloc[rows].to_parquet(both_kinds / "x.parquet", index=False)
    named = pd.read_csv(predict_run(run, both_kinds, tmp_path / "pred_both.csv")["timesteps"])["recording"]
    assert set(named) == {"x.csv", "x.parquet"}
    info = json.loads((run / "prepare.json").read_text())  # as if trained with scale.per: recording
    info["scaler"] = {"method": "standard", "per": "recording"}
    (run / "prepare.json").write_text(json.dumps(info))
    notes = predict_run(run, tmp_path / "new.csv", tmp_path / "pred2.csv")["notes"]
    assert any("each input file was scaled by its own statistics" in n for n in notes)


def test_new_step_rows_keep_a_channel_called_recording(tmp_path):
    """predict names each file's rows in a column of its own: it was always ``recording``,
    which overwrote a channel (or the label) of that name with the file's name."""
    from lstm_helpers.data.tables import read_new_step_rows

    df = _steps_table(n_rec=1).rename(columns={"f1": "recording"}).drop(columns="rec")
    df.to_csv(tmp_path / "walk.csv", index=False)
    cfg = _steps_cfg(tmp_path, recording_column=None, channels=["recording", "f2"])
    s = read_new_step_rows(cfg, tmp_path / "walk.csv", ["busy", "calm"], "error")
    assert list(s.rec_ids) == ["walk"]
    np.testing.assert_allclose(s.values[:, 0], df["recording"].to_numpy(), rtol=1e-6)


def test_a_time_column_with_decimal_commas_is_named_as_such_in_a_table(tmp_path):
    """Table reads checked the feature columns only: a time column of decimal commas was 'a missing,
    non-numeric or infinite value', without the value or the way out."""
    df = _steps_table().assign(t=lambda f: f.groupby("rec").cumcount() / 4)
    df[["rec", "t", *CH, "label"]].to_csv(tmp_path / "t.csv", index=False, sep=";")
    text = (tmp_path / "t.csv").read_text()
    (tmp_path / "t.csv").write_text(text.replace("0.25;", "0,25;"))  # the time column only: features keep points
    with pytest.raises(DataError, match="time column 't' is not numeric .* decimal comma: set data.decimal"):
        read_table(_steps_cfg(tmp_path / "t.csv", sep=";", time_column="t", sample_rate_hz=4.0))
