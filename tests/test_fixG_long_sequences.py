"""Pre-segmented sequences in long format (one row per time step, a sequence id column):
``data.kind: table`` with ``data.sequence_column``. With ``recording_column: seq_id`` instead they
were cut into 50-step windows, 148 of 416 sequences skipped as shorter than one window and the
rest scored per window; now each sequence is one case, read into the arrays an ``.npz`` of
sequences holds, so everything downstream is the same as for that ``.npz``."""

import numpy as np
import pandas as pd
import pytest

from lstm_helpers.config import ConfigError, DataConfig, resolve_config
from lstm_helpers.data.prepare import run_prepare
from lstm_helpers.data.recordings import DataError, read_dataset
from lstm_helpers.data.tables import read_new_table_cases

CLASSES = ["circle", "swipe", "tap"]


def _cases(n=36, seed=0):
    """``n`` cases of 5-12 steps, 2 channels, three classes, 12 subjects; subjects 0-5 train,
    6-8 val, 9-11 test."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(5, 13, n)
    values = rng.normal(size=(lengths.sum(), 2)).round(4)
    y = np.array([CLASSES[i % 3] for i in range(n)])
    subject = np.array([i % 12 for i in range(n)])
    split = np.where(subject < 6, "train", np.where(subject < 9, "val", "test"))
    groups = np.array([f"s{g:02d}" for g in subject])
    return values, lengths, y, groups, split


def _long(values, lengths, y, groups, split):
    ids = np.repeat([f"seq{i:03d}" for i in range(len(lengths))], lengths)
    t = np.concatenate([np.arange(n) / 25 for n in lengths])
    return pd.DataFrame(
        {"seq_id": ids, "subject": np.repeat(groups, lengths), "split": np.repeat(split, lengths), "t": t,
         "ax": values[:, 0], "ay": values[:, 1], "gesture": np.repeat(y, lengths)}
    )  # fmt: skip


def _cfg(path, **extra):
    data = {"kind": "table", "path": str(path), "demo": False, "sequence_column": "seq_id", "group_column": "subject",
            "split_column": "split", "time_column": "t", "label_column": "gesture", "channels": ["ax", "ay"]}  # fmt: skip
    return DataConfig(**(data | extra))


@pytest.fixture
def cases(tmp_path):
    arrays = _cases()
    df = _long(*arrays)
    df.to_csv(tmp_path / "long.csv", index=False)
    values, lengths, y, groups, split = arrays
    np.savez(tmp_path / "cases.npz", values=values, lengths=lengths, y=y, groups=groups, split=split)
    return tmp_path, df


def test_a_long_table_reads_as_the_same_cases_as_the_npz(cases):
    d, _ = cases
    s = read_dataset(_cfg(d / "long.csv"))
    ref = read_dataset(DataConfig(kind="sequences", path=str(d / "cases.npz"), demo=False))
    assert s.kind == "sequences" and s.n_recordings == 36 and s.classes == ref.classes
    np.testing.assert_allclose(s.values, ref.values)
    for key in ("labels", "offsets", "lengths_true", "case_labels", "groups", "predefined_split"):
        np.testing.assert_array_equal(getattr(s, key), getattr(ref, key))
    assert list(s.rec_ids[:2]) == ["seq000", "seq001"] and s.channels == ["ax", "ay"]  # the table's names
    assert any("one row per time step of 36 sequences (column 'seq_id')" in n for n in s.notes)


def test_rows_in_any_order_and_a_label_on_one_row_per_sequence(cases, tmp_path):
    d, df = cases
    df = df.sample(frac=1.0, random_state=0)  # shuffled: the time column orders each sequence's steps
    df["gesture"] = df["gesture"].where(df["t"] == 0.0, "")  # the label on each sequence's first step only
    df.to_csv(tmp_path / "shuffled.csv", index=False)
    s = read_dataset(_cfg(tmp_path / "shuffled.csv"))
    ref = read_dataset(_cfg(d / "long.csv"))
    order = np.argsort(s.rec_ids)
    assert (s.rec_ids[order] == ref.rec_ids).all()
    X, R = s.values.reshape(36, -1, 2)[order], ref.values.reshape(36, -1, 2)
    np.testing.assert_allclose(X, R)
    assert (s.case_labels[order] == ref.case_labels).all()


def test_stage_01_makes_one_case_per_sequence_however_short(cases, tmp_path):
    d, _ = cases
    cfg = resolve_config({"seed": 1, "data": _cfg(d / "long.csv").model_dump()}, {"model.conv": []})
    run_prepare(cfg, tmp_path / "run")
    z = np.load(tmp_path / "run" / "prepared.npz")
    assert len(z["X_train"]) + len(z["X_val"]) + len(z["X_test"]) == 36
    assert z["X_train"].shape[1] == 12  # the longest sequence: padded, not windowed


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda df: df.drop(columns="seq_id"), ["'seq_id' (data.sequence_column", "columns present"]),
        (lambda df: df.rename(columns={"ay": "a_y"}), ["'ay' (data.channels[1]; closest: 'a_y')"]),
        (
            lambda df: df.assign(gesture=np.where(np.arange(len(df)) == 3, "tap", df["gesture"])),
            ["sequence 'seq000' has more than one value in column 'gesture'", "'circle' at", "'tap' at", "row 5"],
        ),
        (
            lambda df: df.assign(
                ax=df["ax"].where(df["seq_id"] != "seq002"), ay=df["ay"].where(df["seq_id"] != "seq002")
            ),
            ["sequence 'seq002' has no values", "leave the sequence out"],
        ),
        (
            lambda df: df.assign(ay=df["ay"].where(np.arange(len(df)) != 4)),
            ["row 6", "column 'ay' is empty inside sequence 'seq000'", "data.nan_policy applies to recordings"],
        ),
        (lambda df: df.assign(seq_id=df["seq_id"].where(np.arange(len(df)) != 7)), ["row 9", "no sequence id"]),
        (
            lambda df: df.assign(subject=np.where(np.arange(len(df)) == 2, "s99", df["subject"])),
            ["sequence 'seq000' has more than one value in column 'subject' (data.group_column)"],
        ),
        (lambda df: df.assign(t=np.where(np.arange(len(df)) == 1, 0.0, df["t"])), ["'seq000' has time 0 twice"]),
        (lambda df: df.assign(t=df["t"].where(np.arange(len(df)) != 3)), ["row 5", "no time in column 't'"]),
    ],
    ids=[
        "no sequence column",
        "misspelt channel",
        "label varies",
        "empty sequence",
        "NaN inside",
        "no id",
        "group varies",
        "time twice",
        "no time",
    ],  # fmt: skip
)
def test_bad_long_tables_are_refused_naming_the_sequence(cases, tmp_path, change, expected):
    _, df = cases
    change(df).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(DataError) as err:
        read_dataset(_cfg(tmp_path / "bad.csv"))
    assert "bad.csv" in str(err.value)
    for text in expected:
        assert text in str(err.value)


def test_a_sequence_without_any_label_is_left_out_with_a_note(cases, tmp_path):
    _, df = cases
    df.loc[df["seq_id"] == "seq004", "gesture"] = ""
    df.to_csv(tmp_path / "some.csv", index=False)
    with pytest.warns(UserWarning, match="1 sequence"):
        s = read_dataset(_cfg(tmp_path / "some.csv"))
    assert s.n_recordings == 35 and "seq004" not in s.rec_ids
    assert any("1 sequence(s) without a label in column 'gesture' were left out (['seq004'])" in n for n in s.notes)


def test_labels_that_map_to_one_class_are_one_label(cases, tmp_path):
    _, df = cases
    df.loc[(df["seq_id"] == "seq001") & (df["t"] > 0), "gesture"] = "swipe_fast"
    df.to_csv(tmp_path / "mapped.csv", index=False)
    class_map = {"swipe_fast": "swipe", "swipe": "swipe", "circle": "circle", "tap": "tap"}
    s = read_dataset(_cfg(tmp_path / "mapped.csv", class_map=class_map))
    assert s.classes == CLASSES and s.n_recordings == 36


def test_predict_reads_new_sequences_of_a_long_table_run(cases, tmp_path):
    _, df = cases
    new = df[df["seq_id"].isin(["seq000", "seq001", "seq002"])].drop(columns=["subject", "split", "gesture"])
    new.to_csv(tmp_path / "new.csv", index=False)
    s, truth = read_new_table_cases(_cfg(tmp_path / "new.csv"), tmp_path / "new.csv", CLASSES, 12)
    assert s.n_recordings == 3 and truth is None and list(s.rec_ids) == ["seq000", "seq001", "seq002"]
    assert s.values.shape == (36, 2)


@pytest.mark.parametrize(
    "data, expected",
    [
        ({"kind": "sequences", "sequence_column": "seq_id"}, "data.sequence_column is for data.kind 'table'"),
        ({"kind": "table", "sequence_column": "seq_id", "sequence_columns": "{channel}_t{t}"}, "set one"),
        (
            {"kind": "table", "sequence_columns": "seq_id"},
            "naming each row's sequence .long format. is data.sequence_column$",
        ),
    ],
)
def test_the_config_refuses_sequence_column_where_it_cannot_apply(data, expected):
    with pytest.raises(ConfigError, match=expected):
        resolve_config({"data": data}, {})


def _as_recordings(path, length):
    data = _cfg(path).model_dump() | {"sequence_column": None, "recording_column": "seq_id", "sample_rate_hz": 25}
    return resolve_config({"seed": 1, "data": data}, {"model.conv": [], "windows.length": length})


def test_sequences_read_as_recordings_too_short_for_a_window_point_to_sequence_column(cases, tmp_path):
    """The reviewer's route: ``recording_column: seq_id`` skipped the short sequences with a note
    that said nothing of the way to read each as one case."""
    d, _ = cases
    with pytest.warns(UserWarning, match="shorter than one window"):
        meta = run_prepare(_as_recordings(d / "long.csv", 9), tmp_path / "run").meta
    (note,) = [n for n in meta["notes"] if "shorter than one window" in n]
    assert "each recording holds one class throughout" in note and "data.sequence_column: seq_id" in note
    with pytest.raises(DataError, match="all 36 recordings are shorter than one window.*data.sequence_column: seq_id"):
        run_prepare(_as_recordings(d / "long.csv", 50), tmp_path / "run2")


def test_a_class_map_is_applied_once_to_a_table_of_one_row_per_sample(tmp_path):
    """The wide table's labels went through data.class_map twice (mapped, then as 'y' again), so
    each key was said to match no label: 'data.class_map key 'a' (-> 'x') matches no label'."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame({f"ax_t{t}": rng.normal(size=20) for t in range(5)})
    df["label"] = np.where(np.arange(20) % 2 == 0, "a", "b")
    df.to_csv(tmp_path / "wide.csv", index=False)
    cfg = DataConfig(kind="table", path=str(tmp_path / "wide.csv"), demo=False, sequence_columns="{channel}_t{t}",
                     channels=["ax"], label_column="label", group_column=None, class_map={"a": "x", "b": "y"})  # fmt: skip
    s = read_dataset(cfg)
    assert s.classes == ["x", "y"] and not [n for n in s.notes if "matches no label" in n]
    assert s.channels == ["ax"]  # the table's channel, not 'ch0'


def test_a_class_map_key_matching_no_label_of_a_long_table_is_said(cases, tmp_path):
    d, _ = cases
    class_map = {"circle": "circle", "swipe": "swipe", "tap": "tap", "tapp": "tap"}
    s = read_dataset(_cfg(d / "long.csv", class_map=class_map))
    assert [n for n in s.notes if "matches no label" in n] == [
        "column 'gesture': data.class_map key 'tapp' (-> 'tap') matches no label"
    ]


def test_a_long_table_given_as_sequences_names_the_table_route(cases):
    d, _ = cases
    with pytest.raises(
        DataError, match=r"long.csv is a table, not an \.npz.*data.kind: table with data.sequence_column"
    ):
        read_dataset(DataConfig(kind="sequences", path=str(d / "long.csv"), demo=False))


def test_a_long_sequence_tables_unread_keys_are_the_windows_not_the_padding():
    """A table read as sequences (one per id) pads its cases like an .npz: the window keys do
    nothing there, the padding keys do (they were reported unread, the windows not)."""
    from lstm_helpers.unused import unread_keys

    flat = {"data.kind": "table", "data.sequence_column": "seq_id", "windows.length": 50, "data.pad_length": 90}
    assert unread_keys(flat) == ["windows.length"]


def test_predict_names_a_long_tables_cases_by_their_sequence_ids(cases, tmp_path):
    from types import SimpleNamespace

    from lstm_helpers.judge.threshold import DecisionRule
    from lstm_helpers.runs.predict_sequences import case_table

    _, df = cases
    new = df[df["seq_id"].isin(["seq000", "seq002"])].drop(columns=["subject", "split", "gesture"])
    new.to_csv(tmp_path / "new.csv", index=False)
    s, _ = read_new_table_cases(_cfg(tmp_path / "new.csv"), tmp_path / "new.csv", CLASSES, 12)
    run = SimpleNamespace(classes=CLASSES, rule=DecisionRule(tuple(CLASSES)), cfg=SimpleNamespace(data=_cfg(tmp_path)))
    table = case_table(run, s, None, np.full((2, len(CLASSES)), 1 / len(CLASSES)))
    assert table["sequence"].tolist() == ["seq000", "seq002"]
