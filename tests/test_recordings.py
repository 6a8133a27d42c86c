"""Reading inputs: every bad input gets a clear error naming the file/column and what is valid."""

import numpy as np
import pandas as pd
import pytest

from lstm_helpers.config import DataConfig
from lstm_helpers.data.recordings import DataError, read_dataset, read_recordings
from lstm_helpers.data.sequences import read_sequences
from lstm_helpers.data.text import keep_training_vocabulary, read_text

CH = ["ax", "ay"]


def _frame(n=60, recs=("r1", "r2"), label="walk"):
    rows = []
    for i, r in enumerate(recs):
        rows.append(
            pd.DataFrame(
                {
                    "rec": r,
                    "subject": f"s{i}",
                    "t": np.arange(n) / 10.0,
                    "ax": np.sin(np.arange(n) / 3.0),
                    "ay": np.cos(np.arange(n) / 5.0),
                    "label": [label if k % 20 < 15 else "play" for k in range(n)],
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def _cfg(path, **kw):
    base = dict(
        path=str(path),
        demo=False,
        recording_column="rec",
        group_column="subject",
        time_column="t",
        label_column="label",
        channels=CH,
        sample_rate_hz=10,
    )
    base.update(kw)
    return DataConfig(**base)


def test_reads_csv_and_parquet_folder(tmp_path):
    df = _frame()
    df.to_csv(tmp_path / "a.csv", index=False)
    s = read_recordings(_cfg(tmp_path / "a.csv"))
    assert s.classes == ["walk", "play"] and s.n_recordings == 2  # binary: the rarer class (25 %) is positive
    assert any("'play', the rarer (25% of the timesteps), is the positive class" in n for n in s.notes)
    assert s.values.shape == (120, 2) and s.values.dtype == np.float32
    folder = tmp_path / "f"
    folder.mkdir()
    df[df.rec == "r1"].to_parquet(folder / "one.parquet")
    df[df.rec == "r2"].to_parquet(folder / "two.parquet")
    s2 = read_recordings(_cfg(folder))
    assert list(s2.rec_ids) == ["r1", "r2"] and np.array_equal(s2.labels, s.labels)


def test_class_map_and_other_class(tmp_path):
    df = _frame()
    df.loc[df.index % 7 == 0, "label"] = "play_chase"
    df.loc[df.index % 11 == 0, "label"] = ""  # unlabelled
    df.to_csv(tmp_path / "a.csv", index=False)
    s = read_recordings(
        _cfg(
            tmp_path / "a.csv",
            class_map={"play_chase": "play", "play": "play"},
            other_class="other",
            classes_of_interest=["play"],
        )
    )
    assert s.classes == ["other", "play"]  # class of interest last: index 1 in a binary task
    assert (s.labels == -1).sum() == (df.index % 11 == 0).sum()


def test_values_that_interpolation_filled_are_noted(tmp_path):
    """A NaN that data.nan_policy: interpolate filled was mentioned nowhere (notes, prepare.json,
    report): the data were changed without a word."""
    df = _frame()
    df.loc[[3, 4, 70], "ay"] = np.nan
    df.loc[5, "ax"] = np.nan
    df.to_csv(tmp_path / "a.csv", index=False)
    s = read_recordings(_cfg(tmp_path / "a.csv", nan_policy="interpolate"))
    assert (
        "a.csv: data.nan_policy 'interpolate' filled 4 NaN value(s) (linearly, within each recording) in 2 of 2 "
        "recording(s); per channel: 'ax' 1, 'ay' 3"
    ) in s.notes
    test = _frame(recs=("r8",))
    test.loc[1, "ax"] = np.nan
    test.to_csv(tmp_path / "t.csv", index=False)  # a separate test file's notes reach stage 01 too
    both = read_dataset(_cfg(tmp_path / "a.csv", nan_policy="interpolate", test_path=str(tmp_path / "t.csv")))
    assert s.notes[0] in both.notes and any(
        n.startswith("t.csv: data.nan_policy 'interpolate' filled 1 ") for n in both.notes
    )
    assert not any("interpolate" in n for n in read_recordings(_cfg(tmp_path / "a.csv", nan_policy="drop")).notes)


def test_integer_labels_with_blank_cells_read_as_integers(tmp_path):
    """Labels coded 0-3 with some empty cells were read as floats: classes '0.0' ... '3.0', so
    data.class_map {"3": shake} matched nothing and only 'other' was left."""
    df = _frame()
    df["label"] = (df.index % 4).astype(float)
    df.loc[df.index % 9 == 0, "label"] = np.nan
    df.to_csv(tmp_path / "a.csv", index=False)
    assert read_recordings(_cfg(tmp_path / "a.csv")).classes == ["0", "1", "2", "3"]
    s = read_recordings(_cfg(tmp_path / "a.csv", class_map={"3": "shake"}, other_class="other"))
    assert (
        s.classes == ["other", "shake"] and (s.labels == 1).sum() == ((df.index % 4 == 3) & (df.index % 9 != 0)).sum()
    )
    df.loc[1, "label"] = 2.5  # not whole numbers: read as they are
    df.to_csv(tmp_path / "b.csv", index=False)
    assert "2.5" in read_recordings(_cfg(tmp_path / "b.csv")).classes


def test_labels_the_catch_all_takes_are_listed_and_near_misses_warned(tmp_path):
    """A recording labelled "Play" (a typo) had its bouts folded into "other" without a word."""
    df = _frame()
    df.loc[(df.rec == "r2") & (df.label == "play"), "label"] = "Play "
    df.to_csv(tmp_path / "a.csv", index=False)
    with pytest.warns(UserWarning, match="'Play' differs from 'play' of data.class_map only in case or spaces"):
        s = read_recordings(_cfg(tmp_path / "a.csv", class_map={"play": "play"}, other_class="other"))
    assert (
        s.notes[0]
        == "column 'label': label(s) not in data.class_map went to data.other_class 'other' (rows): Play 15, walk 90"
    )
    assert "its 15 rows went to 'other'" in s.notes[1] and len(s.notes) == 2


def test_a_class_map_key_that_matches_no_label_is_named_with_the_closest_label(tmp_path):
    """A misspelt key (play_chace) sent play_chase's rows to the catch-all with only the generic
    note of what it took: the key is named, with the label it probably meant."""
    df = _frame()
    df.loc[df.index % 7 == 0, "label"] = "play_chase"
    df.to_csv(tmp_path / "a.csv", index=False)
    cfg = _cfg(tmp_path / "a.csv", class_map={"play_chace": "play", "play": "play", "sleep": "rest"})
    with pytest.warns(UserWarning, match="data.class_map key 'play_chace'"):
        s = read_recordings(cfg.model_copy(update={"other_class": "other"}))
    n_chase = int((df.label == "play_chase").sum())
    assert (
        f"column 'label': data.class_map key 'play_chace' (-> 'play') matches no label; the closest label is "
        f"'play_chase', whose {n_chase} rows went to data.other_class 'other': correct the key"
    ) in s.notes
    assert "column 'label': data.class_map key 'sleep' (-> 'rest') matches no label" in s.notes  # none close
    assert not any("'play' (-> 'play')" in n for n in s.notes)  # a key that matched is not named


def test_numeric_labels_that_no_class_map_key_matches_are_listed_in_the_single_class_error(tmp_path):
    """Labels 0-7 under a map of names ended in "only 1 class (['other'])" alone: the error lists
    the labels found, says no key matched any (keys compared as text) and what to write."""
    df = _frame()
    df["label"] = df.index % 4
    df.loc[df.index >= 60, "label"] = (df.index[df.index >= 60] % 4).astype(float)
    df.to_csv(tmp_path / "a.csv", index=False)
    cfg = _cfg(tmp_path / "a.csv", class_map={"play_chase": "play", "play_solo": "play"}, other_class="other")
    with pytest.raises(DataError, match=r"only 1 class") as err:
        read_recordings(cfg)
    assert (
        "The labels found are '0', '1', '2', '3'; no data.class_map key (['play_chase', 'play_solo']) matches any "
        "of them (keys are compared with the labels as text: 3 and 3.0 read as '3'), so every label went to "
        "data.other_class 'other'. Map the labels as the file writes them, e.g. data.class_map: "
        "{'0': <class>, '1': <class>, '2': <class>}"
    ) in str(err.value)
    assert read_recordings(cfg.model_copy(update={"class_map": {"3": "play"}})).classes == ["other", "play"]


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_recordings(_cfg(tmp_path / "none.csv"))


def test_missing_column_names_it(tmp_path):
    _frame().drop(columns=["ay"]).to_csv(tmp_path / "a.csv", index=False)
    with pytest.raises(DataError, match=r"a.csv.*'ay' \(data.channels\[1\]\)"):
        read_recordings(_cfg(tmp_path / "a.csv"))


def test_non_numeric_channel(tmp_path):
    df = _frame()
    df["ax"] = df["ax"].astype(object)
    df.loc[5, "ax"] = "oops"
    df.to_csv(tmp_path / "a.csv", index=False)
    with pytest.raises(DataError, match="'ax' is not numeric.*oops"):
        read_recordings(_cfg(tmp_path / "a.csv"))


def test_nan_policies(tmp_path):
    df = _frame()
    df.loc[[3, 70], "ay"] = np.nan
    df.to_csv(tmp_path / "a.csv", index=False)
    with pytest.raises(DataError, match="NaN.*data.nan_policy"):
        read_recordings(_cfg(tmp_path / "a.csv"))
    s = read_recordings(_cfg(tmp_path / "a.csv", nan_policy="interpolate"))
    assert not np.isnan(s.values).any() and len(s.values) == 120
    assert s.values[3, 1] == pytest.approx((df.loc[2, "ay"] + df.loc[4, "ay"]) / 2, rel=1e-5)
    s = read_recordings(_cfg(tmp_path / "a.csv", nan_policy="drop"))
    assert len(s.values) == 118 and list(s.lengths) == [59, 59]


def test_a_nan_is_named_by_its_file_and_its_row_there(tmp_path):
    """Not the folder and a row of all files joined (and reordered by recording): the first
    file with a NaN, its first NaN row in the file's own order, and how many more are elsewhere."""
    (tmp_path / "f").mkdir()
    _frame().to_csv(tmp_path / "f" / "a.csv", index=False)
    b = _frame(recs=("r3", "r4")).sort_values("t", kind="stable").reset_index(drop=True)  # r3, r4 interleaved
    b.loc[[9, 10, 11], "ax"] = np.nan  # rows of r4, r3, r4: r3's row 10 comes first once grouped
    b.to_csv(tmp_path / "f" / "b.csv", index=False)
    c = _frame(recs=("r5", "r6"))
    c.loc[[0, 1], "ay"] = np.nan
    c.to_csv(tmp_path / "f" / "c.csv", index=False)
    with pytest.raises(DataError) as err:
        read_recordings(_cfg(tmp_path / "f"))
    assert str(err.value).startswith(f"{tmp_path / 'f' / 'b.csv'}: 3 row(s) have NaN"), err.value
    assert "(first: row 11 (the header is row 1), column 'ax'), and 2 more" in str(err.value)


def test_label_not_covered_by_class_map(tmp_path):
    _frame().to_csv(tmp_path / "a.csv", index=False)
    with pytest.raises(DataError, match=r"\['walk'\].*not covered by data.class_map.*other_class"):
        read_recordings(_cfg(tmp_path / "a.csv", class_map={"play": "play"}))


def test_single_class_refused(tmp_path):
    df = _frame()
    df["label"] = "walk"
    df.to_csv(tmp_path / "a.csv", index=False)
    with pytest.raises(DataError, match="only 1 class"):
        read_recordings(_cfg(tmp_path / "a.csv"))


def test_duplicated_and_unsorted_timestamps(tmp_path):
    df = _frame()
    df.loc[10, "t"] = df.loc[9, "t"]
    df.to_csv(tmp_path / "a.csv", index=False)
    with pytest.raises(DataError, match="recording 'r1' has duplicated timestamps.*row 12"):
        read_recordings(_cfg(tmp_path / "a.csv"))
    df = _frame()
    df.loc[[70, 71], "t"] = df.loc[[71, 70], "t"].to_numpy()
    df.to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(DataError, match="recording 'r2' has unsorted"):
        read_recordings(_cfg(tmp_path / "b.csv"))


def test_class_of_interest_must_exist(tmp_path):
    _frame().to_csv(tmp_path / "a.csv", index=False)
    with pytest.raises(DataError, match="classes_of_interest"):
        read_recordings(_cfg(tmp_path / "a.csv", classes_of_interest=["run"]))


def test_predefined_split_column(tmp_path):
    df = _frame(recs=("r1", "r2", "r3"))
    df["split"] = df["rec"].map({"r1": "train", "r2": "train", "r3": "test"})
    df.to_csv(tmp_path / "a.csv", index=False)
    s = read_recordings(_cfg(tmp_path / "a.csv", split_column="split"))
    assert list(s.predefined_split) == ["train", "train", "test"]
    df.loc[df.rec == "r3", "split"] = "holdout"
    df.to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(DataError, match="'holdout'.*allowed: train, val"):
        read_recordings(_cfg(tmp_path / "b.csv", split_column="split"))


# ----------------------------------------------------------------------------- sequences
def test_sequences_fixed_and_variable_length(tmp_path):
    X = np.random.default_rng(0).normal(size=(10, 7, 3)).astype(np.float32)
    y = np.array(["a", "b"] * 5)
    np.savez(tmp_path / "fixed.npz", X=X, y=y, groups=np.arange(10) // 2)
    s = read_sequences(DataConfig(kind="sequences", path=str(tmp_path / "fixed.npz")))
    assert s.values.shape == (70, 3) and list(s.case_labels) == [0, 1] * 5
    assert list(s.groups[:4]) == ["0", "0", "1", "1"]
    assert not any("groups" in n for n in s.notes)
    lengths = np.array([3, 5, 2, 4])
    values = np.arange(lengths.sum() * 2, dtype=np.float32).reshape(-1, 2) + 1
    np.savez(tmp_path / "var.npz", values=values, lengths=lengths, y=np.array([0, 1, 0, 1]))
    s = read_sequences(DataConfig(kind="sequences", path=str(tmp_path / "var.npz"), mask_value=-9))
    padded = s.values.reshape(4, 5, 2)
    assert np.array_equal(padded[0, :3], values[:3]) and (padded[0, 3:] == -9).all()
    # no 'groups': each case is a group, and the run says so (a subject's cases may then split)
    assert len(set(s.groups)) == 4
    assert "var.npz gives no groups: each case is its own group" in " ".join(s.notes)
    assert "add a 'groups' array" in " ".join(s.notes)
    assert np.array_equal(padded[1], values[3:8])
    with pytest.warns(UserWarning, match="truncated"):
        s = read_sequences(DataConfig(kind="sequences", path=str(tmp_path / "var.npz"), pad_length=3))
    assert s.values.shape == (12, 2)


def test_variable_length_sequences_stretch_to_one_length(tmp_path):
    """``data.variable_length: stretch``: each case is linearly resampled to the longest length
    (or ``pad_length``, shrinking longer cases instead of truncating them), ends kept, no
    padding, so nothing is masked; equal to ``np.interp`` case by case."""
    rng = np.random.default_rng(1)
    lengths = np.array([3, 7, 1, 5])
    values = rng.normal(size=(lengths.sum(), 2)).astype(np.float32)
    np.savez(tmp_path / "var.npz", values=values, lengths=lengths, y=np.array([0, 1, 0, 1]))
    for pad_length, T in ((None, 7), (4, 4)):
        s = read_sequences(_seq_cfg(tmp_path / "var.npz", variable_length="stretch", pad_length=pad_length))
        out = s.values.reshape(4, T, 2)
        for i, (a, n) in enumerate(zip(np.r_[0, np.cumsum(lengths)[:-1]], lengths, strict=True)):
            for c in range(2):
                ref = np.interp(np.linspace(0, n - 1, T), np.arange(n), values[a : a + n, c])
                np.testing.assert_allclose(out[i, :, c], ref, rtol=1e-6, atol=1e-6)
        assert (s.lengths_true == T).all() and any("stretched to" in n for n in s.notes)
    fixed = rng.normal(size=(4, 6, 1)).astype(np.float32)  # already one length: read as it is
    np.savez(tmp_path / "fixed.npz", X=fixed, y=np.array([0, 1, 0, 1]))
    s = read_sequences(_seq_cfg(tmp_path / "fixed.npz", variable_length="stretch"))
    assert np.array_equal(s.values.reshape(4, 6, 1), fixed) and not any(
        "stretched" in n or "padded" in n for n in s.notes
    )


def test_sequences_bad_inputs(tmp_path):
    np.savez(tmp_path / "obj.npz", X=np.zeros((2, 3, 1)), y=np.array([{"a": 1}, {"b": 2}], dtype=object))
    with pytest.raises(DataError, match="contains pickles"):
        read_sequences(DataConfig(kind="sequences", path=str(tmp_path / "obj.npz")))
    np.savez(tmp_path / "noy.npz", X=np.zeros((2, 3, 1)))
    with pytest.raises(DataError, match="missing array 'y'"):
        read_sequences(DataConfig(kind="sequences", path=str(tmp_path / "noy.npz")))
    np.savez(tmp_path / "len.npz", values=np.zeros((5, 1)), lengths=np.array([2, 2]), y=np.array([0, 1]))
    with pytest.raises(DataError, match="sum to len"):
        read_sequences(DataConfig(kind="sequences", path=str(tmp_path / "len.npz")))


def test_a_zero_length_case_is_named_apart_from_the_sum_of_the_lengths(tmp_path):
    """A case of length 0 whose lengths still sum to len(values) was refused as 'must be >= 1
    and sum to len(values) = 12, got sum 12': the case and what is wrong are named; the sum
    check is its own message."""
    y = np.array([0, 1, 0, 1, 0])
    np.savez(tmp_path / "zero.npz", values=np.zeros((12, 1)), lengths=np.array([3, 2, 4, 0, 3]), y=y)
    with pytest.raises(DataError) as err:
        read_sequences(_seq_cfg(tmp_path / "zero.npz"))
    assert "case 3 has length 0" in str(err.value) and "sum" not in str(err.value)
    np.savez(tmp_path / "sum.npz", values=np.zeros((12, 1)), lengths=np.array([3, 2, 4, 1, 3]), y=y)
    with pytest.raises(DataError, match="'lengths' sum to 13 steps but 'values' holds 12"):
        read_sequences(_seq_cfg(tmp_path / "sum.npz"))
    np.savez(tmp_path / "frac.npz", values=np.zeros((12, 1)), lengths=np.array([3, 2, 4.5, 0.5, 2]), y=y)
    with pytest.raises(DataError, match="2 case.* out of range \\(case 2 has length 4.5; case 3 has length 0.5\\)"):
        read_sequences(_seq_cfg(tmp_path / "frac.npz"))


def test_X_with_lengths_keeps_each_cases_first_steps_and_refuses_lengths_beyond_X(tmp_path):
    """``X`` with ``lengths``: each case's first lengths[i] steps are real, the rest is padding
    (masked, never read: NaN there is no error); a length outside 1..X.shape[1] is named."""
    X = np.arange(4 * 5 * 2, dtype=np.float32).reshape(4, 5, 2) + 1
    X[0, 3:] = np.nan
    y = np.array(["a", "b", "a", "b"])
    np.savez(tmp_path / "x.npz", X=X, lengths=np.array([3, 5, 1, 4]), y=y)
    s = read_sequences(_seq_cfg(tmp_path / "x.npz", mask_value=-9))
    padded = s.values.reshape(4, 5, 2)
    assert s.lengths_true.tolist() == [3, 5, 1, 4] and "variable-length cases padded" in s.notes
    assert np.array_equal(padded[1], X[1]) and np.array_equal(padded[3, :4], X[3, :4]) and (padded[3, 4] == -9).all()
    assert np.array_equal(padded[0, :3], X[0, :3]) and (padded[0, 3:] == -9).all()
    with pytest.warns(UserWarning, match="^1 case\\(s\\) longer than data.pad_length=4 were truncated"):
        read_sequences(_seq_cfg(tmp_path / "x.npz", pad_length=4))
    np.savez(tmp_path / "long.npz", X=X, lengths=np.array([5, 6, 0, 2]), y=y)
    with pytest.raises(
        DataError, match="\\(case 1 has length 6; case 2 has length 0\\).* 1 to 5 \\(the time axis of 'X'\\)"
    ):
        read_sequences(_seq_cfg(tmp_path / "long.npz"))
    np.savez(tmp_path / "count.npz", X=X, lengths=np.array([5, 2]), y=y)
    with pytest.raises(DataError, match="'lengths' has shape \\(2,\\); it must hold one entry per case \\(4"):
        read_sequences(_seq_cfg(tmp_path / "count.npz"))


def test_zero_padded_X_without_lengths_is_read_as_real_and_said(tmp_path):
    """``X`` zero-padded to one length (PyTorch's pad_sequence) without ``lengths``: every step
    stays real (data/README.md; nothing is guessed), but the trailing all-zero steps that look
    like padding are noted with their count and the way out (``lengths``); they were read as
    data without a word. One case ending in an exact 0 is chance, not noted."""
    rng = np.random.default_rng(3)
    lengths = np.array([4, 10, 7, 10, 3, 9])
    X = rng.normal(size=(6, 10, 2)).astype(np.float32) + 5
    X[np.arange(10)[None, :] >= lengths[:, None]] = 0.0
    X[1, 9, 0] = 0.0  # a real step with one channel at 0 is no padding
    y = np.array(["a", "b"] * 3)
    np.savez(tmp_path / "padded.npz", X=X, y=y)
    s = read_sequences(_seq_cfg(tmp_path / "padded.npz"))
    assert s.lengths_true.tolist() == [10] * 6 and np.array_equal(s.values.reshape(6, 10, 2), X)  # read as real
    (note,) = [n for n in s.notes if "0 in every channel" in n]
    assert note.startswith(
        "4 of 6 case(s) in padded.npz end in steps that are 0 in every channel (17 steps, 28% of 'X')"
    )
    assert "add 'lengths' (each case's real steps)" in note and "data/README.md" in note and str(tmp_path) not in note
    np.savez(tmp_path / "with_lengths.npz", X=X, lengths=lengths, y=y)
    assert not [n for n in read_sequences(_seq_cfg(tmp_path / "with_lengths.npz")).notes if "0 in every" in n]
    one = X.copy()
    one[np.arange(10)[None, :] >= lengths[:, None]] = 1.0
    one[4, 9] = 0.0  # one case of six ending in a step of zeros: chance
    np.savez(tmp_path / "one.npz", X=one, y=y)
    assert not [n for n in read_sequences(_seq_cfg(tmp_path / "one.npz")).notes if "0 in every" in n]


# ----------------------------------------------------------------------------- text
def test_text_vocabulary_capped_with_unknown_from_the_training_chunks(tmp_path):
    """The kept characters are the most frequent in the training chunks: a character seen
    only in held-out chunks gets no id (and no class) of its own."""
    (tmp_path / "t.txt").write_text("abracadabra! " * 20 + "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz")
    s = read_text(DataConfig(kind="text", path=str(tmp_path / "t.txt"), vocab_size=5), n_chunks=4)
    assert s.vocabulary[:2] == ["<pad>", "<unk>"] and s.vocabulary[2] == "a"  # every character, most frequent first
    assert "z" in s.vocabulary and s.n_recordings == 4 and s.offsets[-1] == len(s.values)
    train = np.array([True, True, True, False])  # the z's are all in the last chunk
    kept = keep_training_vocabulary(s, train, 5)
    assert kept.vocabulary == kept.classes == ["<pad>", "<unk>", "a", "b", "r"]
    assert (kept.values[s.offsets[3] :] == 1).sum() >= 46  # the z's became <unk>
    text = (tmp_path / "t.txt").read_text()
    decoded = "".join(kept.vocabulary[i] if i > 1 else "?" for i in kept.values)
    assert all(d == c or d == "?" for d, c in zip(decoded, text, strict=True))
    assert np.array_equal(kept.labels, kept.values)
    # with z's in a training chunk, they earn their id
    assert "z" in keep_training_vocabulary(s, np.array([False, True, True, True]), 5).vocabulary


def _seq_cfg(path, **kw):
    return DataConfig(kind="sequences", path=str(path), **kw)


def test_sequences_labels_follow_the_class_map_and_missing_labels_leave_their_cases_out(tmp_path):
    """As for recordings: data.class_map / other_class apply, labels are stripped, and an
    empty or missing label means unlabelled (the case is left out, with a note), never a
    class called 'nan' or ''."""
    X = np.arange(6 * 4 * 2, dtype=np.float32).reshape(6, 4, 2)
    np.savez(tmp_path / "m.npz", X=X, y=np.array(list("abcabc")))
    s = read_sequences(_seq_cfg(tmp_path / "m.npz", class_map={"a": "x", "b": "x", "c": "y"}))
    assert s.classes == ["x", "y"] and list(s.case_labels) == [0, 0, 1, 0, 0, 1]
    with pytest.raises(DataError, match="label\\(s\\) \\['c'\\] in array 'y' are not covered"):
        read_sequences(_seq_cfg(tmp_path / "m.npz", class_map={"a": "x", "b": "x"}))
    np.savez(tmp_path / "nan.npz", X=X, y=np.array([0.0, 1.0, np.nan, 1.0, 0.0, 1.0]))
    with pytest.warns(UserWarning, match="1 case\\(s\\) with an empty or missing label"):
        s = read_sequences(_seq_cfg(tmp_path / "nan.npz"))
    assert s.classes == ["0", "1"] and s.n_recordings == 5  # whole-number float labels read as integers
    assert np.array_equal(s.values.reshape(5, 4, 2), X[[0, 1, 3, 4, 5]])  # the steps left with their case
    np.savez(tmp_path / "blank.npz", X=X, y=np.array(["a", "b ", "", "a", "b", "a"]), split=np.array(["Train "] * 6))
    with pytest.warns(UserWarning, match="empty or missing label"):
        s = read_sequences(_seq_cfg(tmp_path / "blank.npz"))
    assert s.classes == ["a", "b"] and set(s.predefined_split) == {"train"}


def test_sequences_arrays_of_the_wrong_shape_are_named(tmp_path):
    X = np.zeros((6, 4, 2), np.float32)
    y = np.array([0, 1] * 3)
    cases = {
        "onehot": ({"X": X, "y": np.eye(2)[y]}, "one label per case.*one-hot"),
        "empty": ({"X": X[:0], "y": y[:0]}, "at least one case"),
        "split": ({"X": X, "y": y, "split": np.array(["train", "test"])}, "'split' must hold one entry per case \\(6"),
        "groups": ({"X": X, "y": y, "groups": np.zeros((6, 2))}, "'groups' must hold one entry per case"),
        "no steps": ({"X": X[:, :0], "y": y}, "time >= 1"),
        "values 3-D": ({"values": np.zeros((12, 2, 1)), "lengths": np.full(6, 2), "y": y}, "'values' must be"),
    }
    for name, (arrays, message) in cases.items():
        np.savez(tmp_path / f"{name}.npz", **arrays)
        with pytest.raises(DataError, match=message):
            read_sequences(_seq_cfg(tmp_path / f"{name}.npz"))


def test_a_sample_rate_that_disagrees_with_the_time_column_is_refused(tmp_path):
    """The time column steps 0.1 s (10 Hz); data.sample_rate_hz left at its default 25 would
    make every window given in seconds 2.5x too short, and the summary would say otherwise."""
    _frame().to_csv(tmp_path / "a.csv", index=False)
    with pytest.raises(DataError, match=r"a.csv: data.sample_rate_hz is 25 Hz, but column 't' steps 0.1 s .* 10 Hz"):
        read_recordings(_cfg(tmp_path / "a.csv", sample_rate_hz=25.0))
    df = _frame()
    df["t"] = df["t"] * 1.03  # a clock 3 % slow: within tolerance
    df.to_csv(tmp_path / "b.csv", index=False)
    assert read_recordings(_cfg(tmp_path / "b.csv")).sample_rate_hz == 10
    assert read_recordings(_cfg(tmp_path / "a.csv", sample_rate_hz=None)).sample_rate_hz is None  # no rate: no check


def test_a_recording_at_another_sample_rate_is_refused_by_name(tmp_path):
    """Six 20 Hz files, one of them at 50 Hz (its times t / 2.5): the median of all steps pooled
    was 20 Hz, so it passed and its "2.00 s" windows covered 0.8 s. Each recording is checked."""
    for i in range(6):
        df = _frame(n=80, recs=(f"S{i}_1",)).assign(t=lambda f: np.arange(len(f)) / 20.0)
        if i == 3:
            df["t"] = df["t"] / 2.5
        df.to_csv(tmp_path / f"s{i}.csv", index=False)
    with pytest.raises(DataError) as err:
        read_recordings(_cfg(tmp_path, sample_rate_hz=20.0))
    msg = str(err.value)
    assert "s3.csv: data.sample_rate_hz is 20 Hz" in msg and "in recording 'S3_1', i.e. 50 Hz" in msg
    assert "the other 5 of the 6 recordings step at 20 Hz: resample this one to 20 Hz or leave it out" in msg
    (tmp_path / "s3.csv").unlink()
    assert read_recordings(_cfg(tmp_path, sample_rate_hz=20.0)).n_recordings == 5


KW_DELIMITED = dict(recording_column="rec", group_column=None, time_column="t", label_column="label",
                    channels=["ax"], sample_rate_hz=10, demo=False)  # fmt: skip


def _written_two_ways(tmp_path, name: str, **to_csv: object):
    """One small recording as a plain CSV (returned as read) and as ``name`` written with ``to_csv``."""
    k = np.arange(40)
    df = pd.DataFrame({"rec": "r1", "t": k / 10, "ax": np.sin(k / 3), "label": np.where(k < 20, "a", "b")})
    df.to_csv(tmp_path / "a.csv", index=False)
    df.to_csv(tmp_path / name, index=False, **to_csv)
    return read_recordings(DataConfig(path=str(tmp_path / "a.csv"), **KW_DELIMITED))


def _read(path, **data: object):
    return read_recordings(DataConfig(path=str(path), **KW_DELIMITED, **data))


def test_data_sep_reads_a_semicolon_separated_file_as_a_comma_separated_one(tmp_path):
    """data.sep (pandas' sep) is used for the header check and the body alike."""
    comma = _written_two_ways(tmp_path, "b.csv", sep=";")
    semi = _read(tmp_path / "b.csv", sep=";")
    assert np.array_equal(comma.values, semi.values) and np.array_equal(comma.labels, semi.labels)


def test_data_decimal_reads_decimal_commas_in_channels_and_times(tmp_path):
    """A European spreadsheet's export (0,25;1,5): data.decimal ',' with data.sep ';' reads the
    same numbers, channels and time column alike (the time steps give the sample rate)."""
    points = _written_two_ways(tmp_path, "b.csv", sep=";", decimal=",")
    assert "0,1;" in (tmp_path / "b.csv").read_text()
    commas = _read(tmp_path / "b.csv", sep=";", decimal=",")
    assert np.allclose(points.values, commas.values) and np.array_equal(points.labels, commas.labels)
    assert commas.sample_rate_hz == 10
    # a comma-separated export with its decimal commas in quotes ("0,1","0,29552"), as spreadsheets write it
    _written_two_ways(tmp_path, "c.csv", decimal=",")
    assert '"0,1"' in (tmp_path / "c.csv").read_text()
    assert np.allclose(points.values, _read(tmp_path / "c.csv", decimal=",").values)


def test_a_tsv_file_is_read_at_data_sep(tmp_path):
    """.tsv files were refused as an unsupported file type; they are delimited text like .csv."""
    comma = _written_two_ways(tmp_path, "b.tsv", sep="\t")
    tabs = _read(tmp_path / "b.tsv", sep="\t")
    assert np.array_equal(comma.values, tabs.values) and np.array_equal(comma.labels, tabs.labels)


@pytest.mark.parametrize(
    ("encoding", "hint"),
    [("utf-16", "utf-16"), ("utf-16-le", "utf-16-le"), ("utf-16-be", "utf-16-be"), ("utf-32", "utf-32")],
)
def test_utf16_and_utf32_text_reads_with_its_data_encoding(tmp_path, encoding, hint):
    """UTF-16 text (a NUL in every other byte) was refused as 'a binary file' even with
    data.encoding: utf-16. With the setting it reads as its UTF-8 copy does (text and CSV);
    without it, it is still refused, saying which data.encoding to set."""
    text = "It is a truth universally acknowledged, café!\n" * 5
    (tmp_path / "u8.txt").write_text(text, encoding="utf-8")
    (tmp_path / "wide.txt").write_bytes(text.encode(encoding))
    want = read_text(DataConfig(kind="text", path=str(tmp_path / "u8.txt")), n_chunks=4)
    got = read_text(DataConfig(kind="text", path=str(tmp_path / "wide.txt"), encoding=encoding), n_chunks=4)
    assert got.vocabulary == want.vocabulary and np.array_equal(got.values, want.values)
    with pytest.raises(DataError, match=f"binary file .*not a plain-text file; it looks like .*data.encoding: {hint}$"):
        read_text(DataConfig(kind="text", path=str(tmp_path / "wide.txt")))
    _frame().to_csv(tmp_path / "a.csv", index=False)
    _frame().to_csv(tmp_path / "wide.csv", index=False, encoding=encoding)
    s = read_recordings(_cfg(tmp_path / "wide.csv", encoding=encoding))
    assert np.array_equal(s.values, read_recordings(_cfg(tmp_path / "a.csv")).values)
    with pytest.raises(DataError, match=f"not a CSV table; it looks like .*data.encoding: {hint}$"):
        read_recordings(_cfg(tmp_path / "wide.csv"))


def test_text_drops_a_leading_bom_and_notes_control_and_invisible_characters(tmp_path):
    """A UTF-8 byte-order mark at the start became a vocabulary character, and NUL or zero-width
    characters became ordinary ones without a word. The leading BOM is dropped (as utf-8-sig
    does); the others stay in the text and its vocabulary, named in a note with their counts
    (a newline and a tab are plain text)."""
    body = "abc def\tghi\n" * 20
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf" + body.encode())
    (tmp_path / "le.txt").write_bytes(("\ufeff" + body).encode("utf-16-le"))  # this codec keeps the BOM too
    plain = read_text(DataConfig(kind="text", path=str(tmp_path / "bom.txt")), n_chunks=4)
    assert "\ufeff" not in plain.vocabulary and len(plain.values) == len(body) and plain.notes == []
    le = read_text(DataConfig(kind="text", path=str(tmp_path / "le.txt"), encoding="utf-16-le"), n_chunks=4)
    assert le.vocabulary == plain.vocabulary and np.array_equal(le.values, plain.values)
    dirty = body[:50] + "\x00\x00" + body[50:100] + "\u200b" + body[100:] + "\ufeff"  # a BOM inside is a character
    (tmp_path / "dirty.txt").write_text(dirty, encoding="utf-16")
    note = (
        "dirty.txt holds 4 control or invisible character(s) of 3 kind(s), read as vocabulary characters like any "
        "other: U+0000 (control) x 2, U+200B (ZERO WIDTH SPACE) x 1, U+FEFF (ZERO WIDTH NO-BREAK SPACE) x 1; "
        "remove them from the file if they are not part of the text"
    )
    with pytest.warns(UserWarning) as said:
        s = read_text(DataConfig(kind="text", path=str(tmp_path / "dirty.txt"), encoding="utf-16"), n_chunks=4)
    assert [str(w.message) for w in said] == [note] and s.notes == [note]
    assert {"\x00", "\u200b", "\ufeff"} <= set(s.vocabulary) and len(s.values) == len(dirty)  # kept, not deleted


def test_a_binary_task_without_a_class_of_interest_scores_its_rarer_class(tmp_path):
    """anomaly (40 cases) vs normal (200): 'normal' sorted last and became the positive class,
    so PR-AUC, the threshold and a sweep's ranking followed the 83 % class, without a word."""
    rng = np.random.default_rng(0)
    y = np.array(["normal"] * 200 + ["anomaly"] * 40)
    np.savez(tmp_path / "b.npz", X=rng.normal(size=(240, 10, 2)).astype(np.float32), y=y)
    s = read_sequences(DataConfig(path=str(tmp_path / "b.npz"), kind="sequences", demo=False))
    assert s.classes == ["normal", "anomaly"]
    assert any("'anomaly', the rarer (17% of the cases), is the positive class" in n for n in s.notes)
    named = read_sequences(
        DataConfig(path=str(tmp_path / "b.npz"), kind="sequences", demo=False, classes_of_interest=["normal"])
    )
    assert named.classes == ["anomaly", "normal"] and not any("the rarer" in n for n in named.notes)
    # a conventional pair keeps its order: 1 is the positive class, however common
    np.savez(tmp_path / "c.npz", X=rng.normal(size=(240, 10, 2)).astype(np.float32), y=(y == "normal").astype(int))
    ones = read_sequences(DataConfig(path=str(tmp_path / "c.npz"), kind="sequences", demo=False))
    assert ones.classes == ["0", "1"] and not any("the rarer" in n for n in ones.notes)


def test_a_class_of_interest_one_case_away_from_a_class_points_to_that_class(tmp_path):
    """classes_of_interest: [Play] under a map onto 'play' advised adding `Play: Play` to the map."""
    cfg = _cfg(tmp_path / "a.csv", class_map={"play_chase": "play"}, other_class="other")
    with pytest.raises(DataError) as err:
        read_dataset(cfg.model_copy(update={"classes_of_interest": ["Play"]}))
    assert "did you mean 'play'? Name the class as the map writes it: data.classes_of_interest: [play]" in str(
        err.value
    )
    assert "Play: Play" not in str(err.value)
    with pytest.raises(DataError, match="add `zebra: zebra` to data.class_map"):
        read_dataset(cfg.model_copy(update={"classes_of_interest": ["zebra"]}))
