"""The files an analyst's folder holds: compressed CSVs (read), other files (named, not dropped
in silence), Excel's "CSV UTF-8" byte-order mark, header names with spaces, recordings shorter
than a window, NaN cells that predict fills and Parquet rows -- in training and in predict."""

from __future__ import annotations

import gzip
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from lstm_helpers.cli import main
from lstm_helpers.config import DataConfig, resolve_config
from lstm_helpers.data.demo import write_demo_recordings
from lstm_helpers.data.prepare import run_prepare
from lstm_helpers.data.recordings import DataError, read_dataset, read_recordings
from lstm_helpers.runs.terminal import stage_done_line

CH = ["ax", "ay"]


def _frame(recs=("r1", "r2"), n=60) -> pd.DataFrame:
    parts = [
        pd.DataFrame(
            {
                "rec": r,
                "subject": f"s{i}",
                "t": np.arange(n) / 10.0,
                "ax": np.sin(np.arange(n) / 3.0 + i),
                "ay": np.cos(np.arange(n) / 5.0 + i),
                "label": ["walk" if k % 20 < 15 else "play" for k in range(n)],
            }
        )
        for i, r in enumerate(recs)
    ]
    return pd.concat(parts, ignore_index=True)


def _cfg(path: Path, **kw) -> DataConfig:
    base = dict(path=str(path), demo=False, recording_column="rec", group_column="subject", time_column="t")
    return DataConfig(**{**base, "label_column": "label", "channels": CH, "sample_rate_hz": 10, **kw})


# ------------------------------------------------------------------ 1. the files of a folder
def test_compressed_csvs_are_read_and_other_files_named(tmp_path):
    """A folder's .csv.gz (bz2, zip, xz) was left out without a word; now read, and a file that
    is no table (README.txt, an .xlsx, a .csv.zst) is named in a note with why."""
    df = _frame(recs=("r1", "r2", "r3", "r4", "r5"))
    parts = {r: df[df.rec == r] for r in df.rec.unique()}
    parts["r1"].to_csv(tmp_path / "a.csv", index=False)
    parts["r2"].to_csv(tmp_path / "b.csv.gz", index=False)
    parts["r3"].to_csv(tmp_path / "c.csv.bz2", index=False)
    parts["r4"].to_csv(tmp_path / "d.csv.xz", index=False)
    parts["r5"].to_csv(tmp_path / "e.csv.zip", index=False)
    (tmp_path / "README.txt").write_text("what these are\n")
    (tmp_path / "f.xlsx").write_bytes(b"PK\x03\x04 not read")
    (tmp_path / "g.csv.zst").write_bytes(b"(\xb5/\xfd")
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    s = read_recordings(_cfg(tmp_path))
    assert sorted(s.rec_ids) == ["r1", "r2", "r3", "r4", "r5"] and len(s.values) == len(df)
    (note,) = [n for n in s.notes if "not read" in n]
    assert note.startswith(f"data.path {tmp_path.name}: 3 file(s) in the folder not read")
    assert "README.txt (not a table by its suffix .txt)" in note and "f.xlsx (a spreadsheet" in note
    assert "g.csv.zst (compressed as .zst" in note and ".DS_Store" not in note and str(tmp_path.parent) not in note
    # a single compressed file too, named by its own name in errors
    assert read_recordings(_cfg(tmp_path / "b.csv.gz")).n_recordings == 1


def test_broken_compressed_files_are_named(tmp_path):
    _frame().to_csv(tmp_path / "ok.csv.gz", index=False)
    data = (tmp_path / "ok.csv.gz").read_bytes()
    (tmp_path / "cut.csv.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"cut\.csv\.gz is not a readable gzip-compressed file \(corrupt or trunc"):
        read_recordings(_cfg(tmp_path / "cut.csv.gz"))
    with zipfile.ZipFile(tmp_path / "two.csv.zip", "w") as zf:
        zf.writestr("a.csv", "rec,t\n")
        zf.writestr("b.csv", "rec,t\n")
    with pytest.raises(DataError, match=r"two\.csv\.zip is a zip archive of 2 entries .* exactly one file"):
        read_recordings(_cfg(tmp_path / "two.csv.zip"))
    (tmp_path / "x.xlsx").write_bytes(b"PK")
    with pytest.raises(
        DataError,
        match=r"x\.xlsx: unsupported file type: a spreadsheet: save each sheet as CSV UTF-8 .*the tables read are \.csv",
    ):
        read_recordings(_cfg(tmp_path / "x.xlsx"))


def test_a_folder_of_other_files_names_them(tmp_path):
    (tmp_path / "a.xlsx").write_bytes(b"PK")
    (tmp_path / "b.parquet").write_bytes(b"PAR1")
    with pytest.raises(DataError, match=r"without table files \(2 other file\(s\): a\.xlsx \(a spreadsheet.*b\.parq"):
        read_recordings(_cfg(tmp_path, format="csv"))


# ------------------------------------------------------------------ 2./3. the header as Excel writes it
def test_a_utf8_byte_order_mark_is_not_part_of_the_first_name(tmp_path):
    """Excel's "CSV UTF-8" starts with a byte-order mark: the first column was '\\ufeffrec'."""
    df = _frame()
    df.to_csv(tmp_path / "bom.csv", index=False, encoding="utf-8-sig", lineterminator="\r\n")
    s = read_recordings(_cfg(tmp_path / "bom.csv"))
    assert list(s.rec_ids) == ["r1", "r2"] and np.allclose(s.values, df[CH].to_numpy(np.float32))


def test_header_names_with_spaces_are_read_as_the_header_check_names_them(tmp_path):
    """The header check stripped 'label ' to 'label', then pandas was asked for 'label'."""
    df = _frame()
    text = df.to_csv(index=False).replace("rec,subject,t,ax,ay,label", "rec, subject,t ,ax,  ay,label ", 1)
    (tmp_path / "sp.csv").write_text(text)
    s = read_recordings(_cfg(tmp_path / "sp.csv"))
    assert list(s.groups) == ["s0", "s1"] and np.allclose(s.values[:, 1], df["ay"])
    assert sorted(s.classes) == ["play", "walk"]


def test_a_table_of_steps_with_spaced_names_reads_too(tmp_path):
    """``data.kind: table`` read the body with pandas' names ('ax ') after checking stripped ones."""
    df = _frame()[["rec", "ax", "ay", "label"]]
    (tmp_path / "t.csv").write_text(df.to_csv(index=False).replace("rec,ax,ay,label", "rec , ax,ay,label ", 1))
    cfg = _cfg(tmp_path / "t.csv", kind="table", group_column=None, time_column=None, sample_rate_hz=None)
    s = read_dataset(cfg)
    assert s.n_recordings == 2 and np.allclose(s.values[:, 0], df["ax"])


# ------------------------------------------------------------------ 4. a recording shorter than a window
def test_a_recording_shorter_than_a_window_is_a_note_on_the_terminal(tiny_config, tmp_path):
    cfg = tiny_config()
    frames = [pd.read_parquet(f) for f in sorted(Path(cfg.data.path).glob("*.parquet"))]
    df = pd.concat(frames, ignore_index=True)
    short = df[df.recording_id == "a02_r2"].iloc[:15]
    pd.concat([df[df.recording_id != "a02_r2"], short]).to_parquet(tmp_path / "d.parquet")
    with pytest.warns(UserWarning, match="skipped"):
        meta = run_prepare(tiny_config(data__path=str(tmp_path / "d.parquet")), tmp_path / "run").meta
    (note,) = [n for n in meta["notes"] if "shorter than one window" in n]
    assert "1 recording(s) shorter than one window (24 timesteps) were skipped" in note
    assert "'a02_r2' (15 timesteps)" in note
    assert f"note: {note}" in stage_done_line("prepare", 1.0, tmp_path / "run").splitlines()


# ------------------------------------------------------------------ 5./6. NaN cells, Parquet rows
def test_nan_rows_dropped_are_said(tmp_path):
    df = _frame()
    df.loc[[3, 4, 70], "ax"] = np.nan
    df.to_csv(tmp_path / "n.csv", index=False)
    s = read_recordings(_cfg(tmp_path / "n.csv", nan_policy="drop"))
    assert len(s.values) == len(df) - 3
    assert any("data.nan_policy 'drop' left out 3 row(s) holding NaN in 2 of 2 recording(s)" in n for n in s.notes)


def test_new_recordings_read_for_predict_carry_no_positive_class_note(tmp_path):
    """Predict says the reader's notes; stage 01's "the rarer is the positive class" is not one of them."""
    _frame().to_csv(tmp_path / "b.csv", index=False)
    assert any("the rarer" in n for n in read_recordings(_cfg(tmp_path / "b.csv")).notes)
    assert not any("the rarer" in n for n in read_recordings(_cfg(tmp_path / "b.csv"), require_labels=False).notes)


def test_parquet_rows_are_not_counted_below_a_header(tmp_path):
    df = _frame()
    df["ax"] = df["ax"].astype(str)
    df.loc[4, "ax"] = "n/a?"
    df.to_parquet(tmp_path / "p.parquet")
    with pytest.raises(DataError, match=r"value 'n/a\?' at row 5 \(counting the table's rows from 1; position 4"):
        read_recordings(_cfg(tmp_path / "p.parquet"))
    df.to_csv(tmp_path / "p.csv", index=False)
    with pytest.raises(DataError, match=r"at row 6 \(the header is row 1\)"):
        read_recordings(_cfg(tmp_path / "p.csv"))
    nan = _frame()
    nan.loc[7, "ay"] = np.nan
    nan.to_parquet(tmp_path / "q.parquet")
    with pytest.raises(DataError, match=r"first: row 8 \(counting the table's rows from 1"):
        read_recordings(_cfg(tmp_path / "q.parquet", nan_policy="error"))


# ------------------------------------------------------------------ predict
@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A tiny finished run on demo recordings (data.nan_policy: interpolate, as the demo's), and
    new recordings as CSV: another seed of the demo."""
    from conftest import TINY

    base = tmp_path_factory.mktemp("files")
    write_demo_recordings(base / "demo", seed=3, n_animals=6, minutes=1.0)
    write_demo_recordings(base / "new", seed=11, n_animals=2, minutes=1.0)
    raw = yaml.safe_load(Path("configs/demo.yaml").read_text())
    cfg = resolve_config(raw, {**TINY, "data.path": str(base / "demo"), "run.reports_dir": str(base / "reports")})
    (base / "tiny.yaml").write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    assert main(["run", "--config", str(base / "tiny.yaml"), "--quiet"]) == 0
    (run,) = [p for p in (base / "reports").iterdir() if p.is_dir()]
    new = [pd.read_parquet(f) for f in sorted((base / "new").glob("*.parquet"))]
    return run, new


def _predict(run: Path, input_path: Path, out: Path) -> tuple[dict, pd.DataFrame]:
    from lstm_helpers.runs.predict import predict_run

    result = predict_run(run, input_path, out)
    return result, pd.read_csv(out)


def test_predict_reads_a_compressed_csv_and_names_other_files(finished_run, tmp_path):
    run, new = finished_run
    new[0].to_csv(tmp_path / "animal_01.csv", index=False)
    with gzip.open(tmp_path / "animal_02.csv.gz", "wt") as fh:
        new[1].to_csv(fh, index=False)
    (tmp_path / "animal_03.xlsx").write_bytes(b"PK\x03\x04")
    result, steps = _predict(run, tmp_path, tmp_path.parent / f"{tmp_path.name}_out.csv")
    assert set(steps["recording_id"]) == set(new[0].recording_id) | set(new[1].recording_id)
    assert any("animal_03.xlsx (a spreadsheet" in n for n in result["notes"]), result["notes"]
    single = tmp_path / "animal_02.csv.gz"  # its default output: animal_02.predictions.csv
    shutil.copy(single, tmp_path.parent / "single.csv.gz")
    from lstm_helpers.runs.predict import output_table_path

    assert output_table_path(tmp_path.parent / "single.csv.gz", None).name == "single.predictions.csv"


def test_predict_reads_excel_csv_utf8(finished_run, tmp_path):
    run, new = finished_run
    df = new[0]
    df.to_csv(tmp_path / "bom.csv", index=False, encoding="utf-8-sig", lineterminator="\r\n")
    _, steps = _predict(run, tmp_path / "bom.csv", tmp_path / "bom_out.csv")
    assert len(steps) == len(df) and list(steps["recording_id"].unique()) == list(df["recording_id"].unique())


def test_predict_reads_header_names_with_spaces(finished_run, tmp_path):
    run, new = finished_run
    df = new[0]
    df.to_csv(tmp_path / "plain.csv", index=False)
    _, steps = _predict(run, tmp_path / "plain.csv", tmp_path / "plain_out.csv")
    header = ",".join(df.columns)
    spaced = ",".join(f" {c} " for c in df.columns)
    (tmp_path / "sp.csv").write_text(df.to_csv(index=False).replace(header, spaced, 1))
    _, spaced_steps = _predict(run, tmp_path / "sp.csv", tmp_path / "sp_out.csv")
    assert spaced_steps.equals(steps)


def test_predict_says_the_nan_values_it_filled(finished_run, tmp_path):
    run, new = finished_run
    df = new[0].copy()
    ch = ["acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"]
    df[ch] = df[ch].interpolate(limit_direction="both")  # no NaN but ours
    df.loc[[5, 9], "acc_x"] = np.nan
    df.loc[[12], "gyr_y"] = np.nan
    df.to_csv(tmp_path / "na.csv", index=False)
    result, _ = _predict(run, tmp_path / "na.csv", tmp_path / "na_out.csv")
    assert any("'interpolate' filled 3 NaN value(s)" in n and "'acc_x' 2, 'gyr_y' 1" in n for n in result["notes"])
    assert not any("rarer" in n for n in result["notes"])  # stage 01's positive-class note is not predict's


# ------------------------------------------------------------------ labels no class_map key matches
def test_sequences_whose_labels_no_class_map_key_matches_list_the_labels_found(tmp_path):
    """Numeric labels 0-2 under a map of names ended in "only one class ['other']" alone, as for
    recordings before: the error lists the labels found and what to write in data.class_map."""
    from lstm_helpers.data.sequences import read_sequences

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "seq.npz", X=rng.normal(size=(30, 8, 2)), y=np.arange(30) % 3)
    cfg = DataConfig(kind="sequences", path=str(tmp_path / "seq.npz"), demo=False, class_map={"walk": "walk"})
    cfg = cfg.model_copy(update={"other_class": "other"})
    with pytest.raises(DataError, match=r"only one class") as err, pytest.warns(UserWarning, match="key 'walk'"):
        read_sequences(cfg)
    assert "The labels found are '0', '1', '2'; no data.class_map key (['walk']) matches any of them" in str(err.value)
    assert "e.g. data.class_map: {'0': <class>, '1': <class>, '2': <class>}" in str(err.value)
    assert read_sequences(cfg.model_copy(update={"class_map": {"2": "two"}})).classes == ["other", "two"]


# ------------------------------------------------------------------ a time column of date-times
def test_a_time_column_of_timestamps_says_seconds_are_expected_and_how_to_convert(tmp_path):
    """ISO timestamps in the time column (a CSV's text, a Parquet's datetime64) said only "time
    columns must hold numbers": the error now says seconds are expected and how pandas converts."""
    df = _frame()
    df["t"] = (pd.Timestamp("2024-05-01 10:00:00") + pd.to_timedelta(df["t"], unit="s")).astype(str)
    df.to_csv(tmp_path / "a.csv", index=False)
    how = r"e\.g\. in pandas t = pd\.to_datetime\(df\['t'\]\); df\['t'\] = \(t - t\.iloc\[0\]\)\.dt\.total_seconds\(\)"
    seconds = r"the time column must hold seconds as numbers \(e\.g\. seconds since the recording's start\)"
    with pytest.raises(DataError, match=rf"a\.csv: time column 't' is not numeric .*; {seconds}, not dates or .*{how}"):
        read_recordings(_cfg(tmp_path / "a.csv"))
    df["t"] = pd.to_datetime(df["t"])
    df.to_parquet(tmp_path / "b.parquet")
    with pytest.raises(DataError, match=rf"b\.parquet: time column 't' is not numeric .*{how}"):
        read_recordings(_cfg(tmp_path / "b.parquet"))
    df["t"] = "soon"
    df.to_csv(tmp_path / "c.csv", index=False)
    with pytest.raises(DataError, match=rf"c\.csv: time column 't' is not numeric .*; {seconds}$"):
        read_recordings(_cfg(tmp_path / "c.csv"))


# ------------------------------------------------------------------ compressed text
def test_a_compressed_text_file_is_read_as_its_plain_text(tmp_path):
    """data.kind: text read a book.txt.gz's gzip bytes as UTF-8 and ended in a raw
    UnicodeDecodeError; it now reads compressed text as recordings read compressed CSVs."""
    from lstm_helpers.data.text import read_text

    text = "The quick brown fox jumps over the lazy dog.\r\nPack my box with five dozen liquor jugs.\n" * 5
    (tmp_path / "book.txt").write_bytes(text.encode("utf-8"))
    plain = read_text(DataConfig(kind="text", path=str(tmp_path / "book.txt"), demo=False))
    (tmp_path / "book.txt.gz").write_bytes(gzip.compress(text.encode("utf-8")))
    with zipfile.ZipFile(tmp_path / "book.zip", "w") as zf:
        zf.writestr("book.txt", text.encode("utf-8"))
    for name in ("book.txt.gz", "book.zip"):
        s = read_text(DataConfig(kind="text", path=str(tmp_path / name), demo=False))
        assert s.vocabulary == plain.vocabulary and np.array_equal(s.values, plain.values)
    assert "\r" not in plain.vocabulary  # universal newlines, as before
    (tmp_path / "cut.txt.gz").write_bytes(gzip.compress(text.encode("utf-8"))[:-20])
    with pytest.raises(DataError, match=r"cut\.txt\.gz is not a readable gzip-compressed file"):
        read_text(DataConfig(kind="text", path=str(tmp_path / "cut.txt.gz"), demo=False))
