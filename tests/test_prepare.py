"""Stage 01 end to end on tiny demo recordings (no TensorFlow involved)."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from lstm_helpers.artifacts import load_npz
from lstm_helpers.cli import main
from lstm_helpers.data.demo import generate_demo_recordings
from lstm_helpers.data.prepare import run_prepare, split_table, summary_table
from lstm_helpers.data.recordings import DataError
from lstm_helpers.style import names_text

SPLITS = ("train", "val", "test")


def test_artifacts_follow_the_contract(tiny_config, tmp_path):
    info = run_prepare(tiny_config(), tmp_path).meta
    a = load_npz(tmp_path / "prepared.npz")  # allow_pickle=False inside
    meta = json.loads((tmp_path / "prepare.json").read_text())
    assert meta["classes"] == ["other", "play"] and meta["positive_class"] == "play"
    for s in SPLITS:
        X, y = a[f"X_{s}"], a[f"y_{s}"]
        assert X.ndim == 3 and X.shape[1:] == (24, 6) and X.dtype == np.float32
        assert len(X) == len(y) == len(a[f"rec_{s}"]) == len(a[f"start_{s}"]) == len(a[f"synthetic_{s}"])
        assert meta["counts"][s]["after"] == dict(
            zip(meta["classes"], np.bincount(y, minlength=2).tolist(), strict=True)
        )
    assert meta["leakage"]["ok"] and meta["class_weight"]["play"] > meta["class_weight"]["other"]
    assert set(meta["groups"]["train"]).isdisjoint(meta["groups"]["test"])
    # windows can be put back on the timeline: start + length lies inside the recording
    lens = np.diff(a["timeline_offsets"])
    rec_len = dict(zip(a["timeline_rec_ids"], lens, strict=True))
    assert all(st + 24 <= rec_len[r] for r, st in zip(a["rec_test"], a["start_test"], strict=True))
    assert len(a["timeline_labels"]) == a["timeline_offsets"][-1]
    # each class's labelled timesteps (predict's tie rule ranks rarity by the run's, not a new file's)
    labelled = a["timeline_labels"][a["timeline_labels"] >= 0]
    assert sum(meta["class_timesteps"].values()) >= len(labelled) and meta["class_timesteps"]["play"] > 0
    assert "leakage check" in summary_table(info).index and len(split_table(info)) == 3
    assert summary_table(info).loc["window", summary_table(info).columns[0]].endswith("step 12 (50% overlap)")
    # class weights have no target factor: the summary gives the weights, not "target factor 5"
    assert "imbalance train (largest : smallest class)" in summary_table(info).index  # class weights change no count
    split = summary_table(info).loc["split", summary_table(info).columns[0]]
    assert split.count("group") == 1, split  # "stratified by group", not "... by group (group)"
    resampling = summary_table(info).loc["resampling", summary_table(info).columns[0]]
    assert resampling.startswith("class_weight (weights other 0.") and "imbalance_factor does not apply" in resampling


def test_values_that_interpolation_filled_reach_prepare_json_and_the_summary(tiny_config, tmp_path):
    """The demo's NaNs (sensor dropouts) are filled by data.nan_policy: interpolate; that was said nowhere."""
    info = run_prepare(tiny_config(), tmp_path).meta
    note = next(n for n in info["notes"] if "data.nan_policy 'interpolate' filled 8 NaN value(s)" in n)
    assert "'gyr_x' 4" in note and note in summary_table(info).loc["notes", "value"]


def test_split_by_recording_says_when_a_group_sits_in_two_splits(tiny_config, tmp_path):
    """split.by: recording with data.group_column set let one animal sit in training and test while
    the leakage check said "passed" with no note."""
    info = run_prepare(tiny_config(split__by="recording"), tmp_path / "rec").meta
    note = next(n for n in info["notes"] if n.startswith("split.by is 'recording': "))
    assert "group(s) of data.group_column 'animal_id' have recordings in more than one split (e.g. 'animal_" in note
    assert (
        note.endswith("split.by: group keeps each group in one split")
        and note in summary_table(info).loc["notes", "value"]
    )
    assert info["leakage"]["checked"][0].startswith("recordings in one split (split.by: recording")
    by_group = run_prepare(tiny_config(), tmp_path / "group").meta
    assert not any("split.by is 'recording'" in n for n in by_group["notes"])
    assert by_group["leakage"]["checked"][0] == "groups in one split"
    # the slides said "split: stratified by group — no group is in two splits" of this split
    from lstm_helpers.runs.slides import _data_facts

    spread, groups = info["split"]["groups_in_two_splits"]
    assert 0 < spread <= groups and info["split"]["method"] == "stratified by recording"
    assert summary_table(info).loc["split", "value"].startswith("stratified by recording")
    (said,) = [f for f in _data_facts(tmp_path / "rec") if f.startswith("split: ")]
    assert said == (
        f"split: stratified by recording — {spread} of {groups} groups have recordings in two splits, "
        "so the scores overstate how it does on new groups"
    )
    (said,) = [f for f in _data_facts(tmp_path / "group") if f.startswith("split: ")]
    assert said == "split: stratified by group — no group is in two splits"


def test_split_table_shows_before_and_after_only_when_resampling_changed_the_counts():
    def info(classes, before, after):
        splits = ("train", "val", "test")
        return {
            "classes": classes,
            "groups": {n: ["g"] for n in splits},
            "splits_recordings": {n: ["r"] for n in splits},
            "counts": {n: {"before": before, "after": after if n == "train" else before} for n in splits},
        }

    plain = split_table(info(["other", "play"], {"other": 90, "play": 10}, {"other": 90, "play": 10}))
    assert list(plain.columns) == ["groups", "recordings", "other", "play"]
    smote = split_table(info(["other", "play"], {"other": 90, "play": 10}, {"other": 90, "play": 45}))
    assert list(smote.columns)[2:] == ["other (before)", "play (before)", "other (after)", "play (after)"]
    chars = [f"c{i}" for i in range(40)]
    text = split_table(info(chars, {c: i for i, c in enumerate(chars)}, {c: i for i, c in enumerate(chars)}))
    assert list(text.columns) == ["groups", "recordings", "windows", "classes present"]
    assert text.loc["train", "windows"] == sum(range(40)) and text.loc["train", "classes present"] == 39


def test_timeline_recording_that_is_not_a_test_recording_is_refused_in_stage_01(tiny_config, tmp_path):
    """Refused before anything is written or trained, naming the test recordings."""
    with pytest.raises(DataError, match=r"evaluate.timeline_recording = 'nope' is not a test recording.*choose one of"):
        run_prepare(tiny_config(evaluate__timeline_recording="nope"), tmp_path)
    assert not (tmp_path / "prepared.npz").exists()
    info = run_prepare(tiny_config(), tmp_path / "ok").meta
    chosen = info["splits_recordings"]["test"][0]
    run_prepare(tiny_config(evaluate__timeline_recording=chosen), tmp_path / "named")


def test_timeline_recording_too_short_for_a_window_is_refused_in_stage_01(tiny_config, tiny_demo_dir, tmp_path):
    """A test recording with no window (shorter than one) cannot be drawn: stage 01 says so."""
    import shutil

    chosen = run_prepare(tiny_config(), tmp_path / "ok").meta["splits_recordings"]["test"][0]
    data = tmp_path / "data"
    shutil.copytree(tiny_demo_dir, data)
    rec_col = tiny_config().data.recording_column
    for f in data.glob("*.parquet"):
        df = pd.read_parquet(f)
        is_chosen = df[rec_col].astype(str) == chosen
        if is_chosen.any():  # that recording cut to 10 rows, shorter than a 24-step window
            pd.concat([df[~is_chosen], df[is_chosen].head(10)], ignore_index=True).to_parquet(f)
    cfg = tiny_config(data__path=str(data), evaluate__timeline_recording=chosen)
    with pytest.raises(DataError, match=rf"'{chosen}' is a test recording too short for one window; choose one of"):
        run_prepare(cfg, tmp_path / "short")
    assert not (tmp_path / "short" / "prepared.npz").exists()


def test_a_text_too_short_for_its_windows_says_how_long_it_must_be(tiny_config, tmp_path):
    (tmp_path / "t.txt").write_text("the quick brown fox jumps over the lazy dog. " * 10)  # 450 characters
    cfg = dict(data__classes_of_interest=[], data__class_map={}, data__other_class=None, data__vocab_size=30)
    with pytest.raises(DataError, match=r"450 characters cut into 20 chunks.*at least 1,020 characters"):
        run_prepare(
            tiny_config(data__kind="text", data__path=str(tmp_path / "t.txt"), windows__length=50, **cfg), tmp_path
        )
    with pytest.raises(DataError, match=r"only 60 characters \(data.max_chars = 60 cut it\)"):
        run_prepare(
            tiny_config(data__kind="text", data__path=str(tmp_path / "t.txt"), data__max_chars=60, **cfg), tmp_path
        )


def test_zero_width_characters_in_a_text_are_said_in_stage_01s_notes(tiny_config, tmp_path):
    (tmp_path / "t.txt").write_text("the quick brown fox\u200b jumps over the lazy dog. " * 60)
    cfg = dict(data__classes_of_interest=[], data__class_map={}, data__other_class=None, data__vocab_size=30)
    with pytest.warns(UserWarning, match="t.txt holds 60 control or invisible"):
        info = run_prepare(
            tiny_config(data__kind="text", data__path=str(tmp_path / "t.txt"), **cfg), tmp_path / "r"
        ).meta
    assert any("U+200B (ZERO WIDTH SPACE) x 60" in n for n in info["notes"])


def test_a_vocabulary_too_small_for_the_text_is_said_in_stage_01s_notes(tiny_config, tmp_path):
    """data.vocab_size 3 kept one character, and most targets read as <unk> without a note."""
    (tmp_path / "t.txt").write_text("the quick brown fox jumps over the lazy dog. " * 60)  # 28 characters
    cfg = dict(data__classes_of_interest=[], data__class_map={}, data__other_class=None, data__kind="text",
               data__path=str(tmp_path / "t.txt"), resample__method="none")  # fmt: skip
    info = run_prepare(tiny_config(**cfg, data__vocab_size=3), tmp_path / "small").meta
    y = load_npz(tmp_path / "small" / "prepared.npz")["y_train"]
    share = f"{np.mean(y == 1):.0%}"  # <unk>: all but the spaces
    note = f"data.vocab_size 3 keeps 1 of 28 characters: {share} of the training targets read as <unk>"
    assert [n for n in info["notes"] if "vocab_size" in n] == [
        f"{note}; raise data.vocab_size (30 keeps every character)"
    ]
    every = run_prepare(tiny_config(**cfg, data__vocab_size=30), tmp_path / "every").meta
    assert not [n for n in every["notes"] if "vocab_size" in n]


def test_augmentation_that_cannot_apply_is_refused_for_text_and_said_for_padded_sequences(tiny_config, tmp_path):
    from lstm_helpers.config import ConfigError

    (tmp_path / "t.txt").write_text("the quick brown fox jumps over the lazy dog. " * 60)
    text = dict(data__classes_of_interest=[], data__class_map={}, data__other_class=None, data__vocab_size=30)
    with pytest.raises(ConfigError, match=r"train.augment .* applies to real-valued series, not to text"):
        run_prepare(
            tiny_config(
                data__kind="text", data__path=str(tmp_path / "t.txt"), train__augment__jitter_sigma=0.05, **text
            ),
            tmp_path / "text",
        )
    assert not (tmp_path / "text" / "prepared.npz").exists()
    rng = np.random.default_rng(3)
    lengths = rng.integers(8, 25, 60)
    np.savez(
        tmp_path / "seq.npz",
        values=rng.normal(size=(lengths.sum(), 2)).astype(np.float32),
        lengths=lengths,
        y=np.array(["a", "b"] * 30),
    )
    seq = dict(data__kind="sequences", data__path=str(tmp_path / "seq.npz"), **text)
    with pytest.warns(UserWarning, match=r"slice_fraction / warp_sigma are not applied to these padded sequences"):
        run_prepare(tiny_config(train__augment__warp_sigma=0.2, **seq), tmp_path / "seq")


def test_summary_says_the_real_overlap_when_the_step_rounds():
    from lstm_helpers.data.summary import _overlap_text

    asked = {"windows": {"overlap_percent": 75}}
    assert _overlap_text({"step": 13, "window_length": 50}, asked) == "74% overlap; 75% asked"
    assert _overlap_text({"step": 25, "window_length": 100}, asked) == "75% overlap"
    # a step of 19 over 75 steps is 74.7 %: "75% overlap; 75% asked" hid the difference it exists to show
    assert _overlap_text({"step": 19, "window_length": 75}, asked) == "74.7% overlap; 75% asked"


def test_scaler_fitted_on_training_timesteps_only(tiny_config, tmp_path):
    run_prepare(tiny_config(), tmp_path)
    a = load_npz(tmp_path / "prepared.npz")
    # scaled training windows are centred; val/test were scaled with train's statistics
    train_mean = a["X_train"].reshape(-1, 6).mean(0)
    assert np.abs(train_mean).max() < 0.2
    assert not np.allclose(a["X_test"].reshape(-1, 6).mean(0), 0, atol=1e-3)


@pytest.mark.parametrize("method", ["smote", "undersample", "augment"])
def test_resampling_changes_only_the_training_split(tiny_config, tmp_path, method):
    run_prepare(tiny_config(resample__method="none"), tmp_path / "none")
    run_prepare(tiny_config(resample__method=method, resample__imbalance_factor=2), tmp_path / method)
    a, b = (
        load_npz(tmp_path / "none" / "prepared.npz"),
        load_npz(tmp_path / method / "prepared.npz"),
    )
    for s in ("val", "test"):
        for k in ("X", "y", "rec", "start", "synthetic"):
            assert np.array_equal(a[f"{k}_{s}"], b[f"{k}_{s}"]), (s, k)
    assert len(a["y_train"]) != len(b["y_train"])
    c = np.bincount(b["y_train"])
    assert c.max() / c.min() == pytest.approx(2, rel=0.05)
    meta = json.loads((tmp_path / method / "prepare.json").read_text())
    assert meta["leakage"]["ok"] and meta["imbalance_factor_measured"]["train_after"] == pytest.approx(2, rel=0.05)


def test_overlap_75_gives_about_twice_the_windows_of_50(tiny_config, tmp_path):
    a = run_prepare(tiny_config(windows__overlap_percent=50), tmp_path / "a").meta["windows"]["windows_total"]
    b = run_prepare(tiny_config(windows__overlap_percent=75), tmp_path / "b").meta["windows"]["windows_total"]
    assert 1.9 < b / a < 2.1


def test_short_recordings_skipped_and_counted_all_short_refused(tiny_config, tmp_path):
    df = generate_demo_recordings(n_animals=6, minutes=1.0, seed=1)
    short = df[df.recording_id == "a01_r1"].iloc[:10]
    df = pd.concat([df[df.recording_id != "a01_r1"], short])
    df.to_parquet(tmp_path / "d.parquet")
    with pytest.warns(UserWarning, match=r"1 recording.* were skipped.*: 'a01_r1' \(10 timesteps\)$"):  # named
        info = run_prepare(tiny_config(data__path=str(tmp_path / "d.parquet")), tmp_path / "run").meta
    assert info["windows"]["recordings_too_short"] == 1
    assert summary_table(info).loc["recordings skipped (shorter than a window)", "value"] == "1: 'a01_r1'"
    assert names_text([f"r{i}" for i in range(20)], total=25) == "'r0', 'r1', 'r2' and 22 more"
    with pytest.raises(DataError, match="all 12 recordings are shorter than one window"):
        run_prepare(
            tiny_config(data__path=str(tmp_path / "d.parquet"), windows__length=5000),
            tmp_path / "r2",
        )


def test_sequences_and_text_go_through_the_same_stage(tiny_config, tmp_path):
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 30, 120)
    values = rng.normal(size=(lengths.sum(), 2)).astype(np.float32)
    y = np.array(["a", "b", "b"] * 40)
    np.savez(tmp_path / "seq.npz", values=values, lengths=lengths, y=y, groups=np.arange(120) // 3)
    seq = dict(
        data__kind="sequences",
        data__path=str(tmp_path / "seq.npz"),
        data__classes_of_interest=[],
        data__class_map={},
        data__other_class=None,
    )
    info = run_prepare(tiny_config(**seq), tmp_path / "seq").meta
    assert info["input"]["masked"] and info["input"]["window_length"] == 29
    assert info["leakage"]["ok"] and sum(info["windows"][s] for s in SPLITS) == 120
    a = load_npz(tmp_path / "seq" / "prepared.npz")
    assert (a["X_train"][:, -1] == 0.0).any()  # padded with the mask value
    stretched = run_prepare(tiny_config(**seq, data__variable_length="stretch"), tmp_path / "seq_stretched").meta
    assert not stretched["input"]["masked"] and stretched["input"]["window_length"] == 29  # nothing to mask
    (tmp_path / "t.txt").write_text("the quick brown fox jumps over the lazy dog. " * 60)
    info = run_prepare(
        tiny_config(
            data__kind="text",
            data__path=str(tmp_path / "t.txt"),
            data__vocab_size=20,
            data__classes_of_interest=[],
            data__class_map={},
            data__other_class=None,
            resample__method="none",
        ),
        tmp_path / "txt",
    ).meta
    a = load_npz(tmp_path / "txt" / "prepared.npz")
    assert a["X_train"].dtype == np.int32 and a["X_train"].shape[1] == 24 and info["input"]["kind"] == "tokens"
    assert "label rule" not in summary_table(info).index  # a text (or a sequence) has no window label rule
    # the label is the token right after the window
    text_codes = a["X_train"][0]
    assert a["y_train"][0] >= 0 and text_codes.max() < 20


def test_cli_prepare_writes_artifacts_and_refuses_bad_values(tiny_demo_dir, tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(
        [
            "prepare",
            "--config",
            "configs/demo.yaml",
            "--out",
            str(out),
            "--no-notebook",
            "--set",
            f"data.path={tiny_demo_dir}",
            "--set",
            "data.demo=false",
            "--set",
            "windows.overlap_percent=75",
        ]
    )
    assert rc == 0 and (out / "prepared.npz").is_file() and (out / "prepare.json").is_file()
    from lstm_helpers.runs.pipeline import run_status

    assert run_status(out)["status"] == "partial" and run_status(out)["stages_done"] == ["prepare"]
    rc = main(
        [
            "prepare",
            "--config",
            "configs/demo.yaml",
            "--out",
            str(tmp_path / "bad"),
            "--no-notebook",
            "--set",
            "windows.overlap_percent=150",
        ]
    )
    assert rc == 2 and not (tmp_path / "bad").exists()
    assert "windows.overlap_percent = 150" in capsys.readouterr().err


def test_a_failing_prepare_leaves_earlier_artifacts_intact(tiny_config, tmp_path):
    run_prepare(tiny_config(), tmp_path)
    before = (tmp_path / "prepared.npz").read_bytes()
    with pytest.raises(DataError):
        run_prepare(tiny_config(data__path=str(tmp_path / "missing.csv")), tmp_path)
    assert (tmp_path / "prepared.npz").read_bytes() == before


def test_separate_test_file_is_honoured_and_val_carved_from_train(tiny_demo_dir, tmp_path):
    from lstm_helpers.config import resolve_config

    files = sorted(tiny_demo_dir.glob("*.parquet"))
    train_dir, test_file = tmp_path / "train", tmp_path / "test.parquet"
    train_dir.mkdir()
    for f in files[:-1]:
        (train_dir / f.name).write_bytes(f.read_bytes())
    test_file.write_bytes(files[-1].read_bytes())
    import yaml
    from conftest import ROOT, TINY

    cfg = resolve_config(
        yaml.safe_load((ROOT / "configs" / "demo.yaml").read_text()),
        {**TINY, "data.path": str(train_dir), "data.test_path": str(test_file)},
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        info = run_prepare(cfg, tmp_path / "run").meta
    # a class_map key the test file lacks (one animal) but the training data holds is no mistake
    assert not [w for w in caught if "matches no label" in str(w.message)]
    test_animal = pd.read_parquet(test_file)["animal_id"].iloc[0]
    assert info["groups"]["test"] == [test_animal]
    assert info["groups"]["val"] and test_animal not in info["groups"]["train"] + info["groups"]["val"]
    assert info["split"]["method"] == "predefined" and info["leakage"]["ok"]


def test_sequences_with_their_own_train_val_test_split(tiny_config, tmp_path):
    """A sequences .npz whose ``split`` names all three splits keeps them as given."""
    rng = np.random.default_rng(2)
    lengths = np.full(60, 20)
    split = np.array(["train"] * 36 + ["val"] * 12 + ["test"] * 12)
    np.savez(
        tmp_path / "seq.npz",
        values=rng.normal(size=(lengths.sum(), 2)).astype(np.float32),
        lengths=lengths,
        y=np.array(["a", "b"] * 30),
        split=split,
        groups=np.arange(60),
    )
    cfg = dict(data__classes_of_interest=[], data__class_map={}, data__other_class=None, resample__method="none")
    info = run_prepare(
        tiny_config(data__kind="sequences", data__path=str(tmp_path / "seq.npz"), **cfg), tmp_path / "seq"
    ).meta
    assert info["split"]["method"] == "predefined" and info["leakage"]["ok"]
    a = load_npz(tmp_path / "seq" / "prepared.npz")
    assert (len(a["y_train"]), len(a["y_val"]), len(a["y_test"])) == (36, 12, 12)


@pytest.mark.parametrize("method", ["smote", "augment"])
def test_synthetic_training_sequences_keep_clean_padding(tiny_config, tmp_path, method):
    """Variable-length sequences with SMOTE / augment: every training step is either all
    padding (the mask value) or all real, and padding only ends a sequence."""
    rng = np.random.default_rng(3)
    lengths = rng.integers(8, 25, 80)
    y = np.array(["a"] * 68 + ["b"] * 12)
    np.savez(
        tmp_path / "seq.npz",
        values=rng.normal(size=(lengths.sum(), 2)).astype(np.float32),
        lengths=lengths,
        y=y,
        groups=np.arange(80),
    )
    cfg = dict(data__classes_of_interest=[], data__class_map={}, data__other_class=None, data__mask_value=-9.0)
    run_prepare(
        tiny_config(data__kind="sequences", data__path=str(tmp_path / "seq.npz"), resample__method=method, **cfg),
        tmp_path / "seq",
    )
    a = load_npz(tmp_path / "seq" / "prepared.npz")
    X, synthetic = a["X_train"], a["synthetic_train"]
    at = X == -9.0
    masked = at.all(-1)
    assert synthetic.any() and (masked | ~at.any(-1)).all()
    assert (np.diff(masked.astype(int), axis=1) >= 0).all()
    assert (np.abs(X[~masked]) < 6).all()  # no real step dragged towards the mask value


def _prepare_sequences(tiny_config, tmp_path, values, lengths, **extra) -> dict:
    """Stage 01 on 60 two-class sequences (``values`` flat, ``lengths``), each its own group."""
    np.savez(tmp_path / "seq.npz", values=values, lengths=lengths, y=np.array(["a", "b"] * 30), groups=np.arange(60))
    cfg = tiny_config(
        data__kind="sequences",
        data__path=str(tmp_path / "seq.npz"),
        data__classes_of_interest=[],
        data__class_map={},
        data__other_class=None,
        resample__method="none",
        **extra,
    )
    return run_prepare(cfg, tmp_path / "seq").meta


def test_per_recording_scaling_of_sequences_scales_each_sequence_by_its_real_steps(tiny_config, tmp_path):
    rng = np.random.default_rng(1)
    lengths = rng.integers(12, 30, 60)
    gain = np.repeat(rng.uniform(1, 50, 60), lengths)[:, None]  # each sequence its own level/gain
    values = (rng.normal(size=(lengths.sum(), 2)) * gain + gain).astype(np.float32)
    info = _prepare_sequences(tiny_config, tmp_path, values, lengths, scale__per="recording", data__mask_value=-9.0)
    assert info["scaler"]["per"] == "sequence"  # not silently global
    a = load_npz(tmp_path / "seq" / "prepared.npz")
    X = a["X_train"]
    real = X[:, :, 0] != -9.0
    means = np.nanmean(np.where(real[:, :, None], X, np.nan), axis=1)
    stds = np.nanstd(np.where(real[:, :, None], X, np.nan), axis=1)
    assert np.allclose(means, 0, atol=1e-4) and np.allclose(stds, 1, atol=1e-3)
    assert (~real).any() and (X[~real] == -9.0).all()  # padding keeps the mask value


def test_a_class_with_timesteps_but_no_window_is_said_by_name(tiny_config, tmp_path):
    """'scratch' in 5-step bouts, windows of 24 under the majority rule: no window is ever labelled
    scratch, in any split. Before, the class stayed in the class list with 0 windows everywhere and
    nothing said so (the split's note looks at timesteps, which it has)."""
    df = generate_demo_recordings(n_animals=6, minutes=1.0, seed=1)
    step_in_rec = df.groupby("recording_id").cumcount()
    df["behaviour"] = np.where((step_in_rec % 200 >= 100) & (step_in_rec % 200 < 105), "scratch", df["behaviour"])
    df.to_parquet(tmp_path / "d.parquet")
    classes = {"play_chase": "play", "play_wrestle": "play", "play_solo": "play", "scratch": "scratch"}
    cfg = tiny_config(data__path=str(tmp_path / "d.parquet"), data__class_map=classes)
    with pytest.warns(UserWarning, match=r"\['scratch'\] have labelled timesteps but no window in train / val / test"):
        info = run_prepare(cfg, tmp_path / "run").meta
    assert all(info["counts"][s]["before"]["scratch"] == 0 for s in SPLITS)
    assert any("the model cannot learn a class with no training window" in n for n in info["notes"])
    assert "windows.label_rule: center" in " ".join(info["notes"])


def test_windows_never_join_the_two_sides_of_rows_dropped_for_nan(tiny_config, tmp_path):
    """A 40-row sensor dropout in each recording under data.nan_policy: drop: windows that would
    run straight across it (its rows removed) are left out, counted and said."""
    df = generate_demo_recordings(n_animals=6, minutes=1.0, seed=1)
    df = df.fillna({c: 0.0 for c in ("acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z")})  # the demo's own gaps
    step_in_rec = df.groupby("recording_id").cumcount()
    df.loc[step_in_rec.between(300, 339), "acc_x"] = np.nan
    df.to_parquet(tmp_path / "d.parquet")
    cfg = tiny_config(data__path=str(tmp_path / "d.parquet"), data__nan_policy="drop")
    with pytest.warns(UserWarning, match="window\\(s\\) left out: they would span rows that data.nan_policy: drop"):
        prepared = run_prepare(cfg, tmp_path / "run")
    n_recs = df.recording_id.nunique()
    assert prepared.meta["windows"]["windows_dropped_gap"] == n_recs  # windows of 24, step 12: one per gap
    assert any("rows that data.nan_policy: drop removed" in n for n in prepared.meta["notes"])
    assert "time_gaps" not in prepared.meta["windows"]  # the dropped rows' jump in time is not a time gap too
    a = prepared.arrays
    starts = np.concatenate([a[f"start_{s}"] for s in SPLITS])
    assert not ((starts < 300) & (starts + 24 > 300)).any()  # no window reaches past the last row before the gap


def test_real_steps_never_equal_the_mask_value(tiny_config, tmp_path):
    """minmax per sequence puts every sequence's minimum at exactly 0.0, the default mask value:
    the Masking layer would skip one real step of each sequence as padding. They move by 1e-6."""
    rng = np.random.default_rng(8)
    lengths = rng.integers(10, 31, 40)
    np.savez(tmp_path / "seq.npz", values=rng.normal(size=(lengths.sum(), 1)).astype(np.float32),
             lengths=lengths, y=np.array(["a", "b"] * 20), groups=np.arange(40))  # fmt: skip
    cfg = tiny_config(
        data__kind="sequences", data__path=str(tmp_path / "seq.npz"), scale__per="recording", scale__method="minmax",
        data__classes_of_interest=[], data__class_map={}, data__other_class=None, resample__method="none",
    )  # fmt: skip
    with pytest.warns(UserWarning, match="40 real timestep\\(s\\) equal to data.mask_value \\(0\\)"):
        prepared = run_prepare(cfg, tmp_path / "run")
    a = prepared.arrays
    for s in SPLITS:
        X, rec = a[f"X_{s}"], a[f"rec_{s}"]
        n_real = lengths[[int(str(r).removeprefix("case")) for r in rec]]  # rec ids: case000001, ...
        real = np.arange(X.shape[1])[None, :] < n_real[:, None]
        assert not (X[..., 0][real] == 0.0).any()  # no real step reads as padding
        assert (X[..., 0][~real] == 0.0).all()  # padding stays exactly the mask value
        assert np.isclose(X[..., 0][real].min(), 0.0, atol=1e-5)
    assert any("moved by 1e-6" in n for n in prepared.meta["notes"])


def test_leakage_table_counts_the_real_steps_of_padded_sequences(tiny_config, tmp_path):
    """The timesteps each split covers counted padding: 60 cases of 12-29 steps padded to 29
    read as 60 x 29 covered steps."""
    rng = np.random.default_rng(2)
    lengths = rng.integers(12, 30, 60)
    values = rng.normal(size=(lengths.sum(), 2)).astype(np.float32)
    info = _prepare_sequences(tiny_config, tmp_path, values, lengths)
    covered = info["leakage"]["timesteps_covered"]
    assert sum(covered.values()) == lengths.sum() < 60 * lengths.max()
    assert info["leakage"]["ok"]


def test_stage_01_again_removes_what_stages_02_and_03_made_from_the_windows_before(tiny_config, tmp_path):
    """01 re-run in a notebook (another seed) kept the old model and metrics; 03 then judged a
    model trained on animals the new split puts in test, without a word."""
    run = tmp_path / "r"
    run_prepare(tiny_config(), run)
    for name in ("model.keras", "metrics.json", "train.json", "report.html"):
        (run / name).write_text("old")
    (run / "figures").mkdir(exist_ok=True)
    (run / "figures" / "pr_curve.png").write_bytes(b"old")
    with pytest.warns(UserWarning, match="output\\(s\\) of stages 02 and 03 .* were removed: run 02 and 03 again"):
        run_prepare(tiny_config(seed=7), run)
    assert not any((run / n).exists() for n in ("model.keras", "metrics.json", "train.json", "report.html"))
    assert not (run / "figures" / "pr_curve.png").exists() and (run / "prepared.npz").is_file()
    assert json.loads((run / "status.json").read_text())["stages_done"] == ["prepare"]


def test_the_measured_imbalance_reads_at_three_significant_digits():
    from lstm_helpers.data.summary import _imbalance_fact

    assert _imbalance_fact({"train_before": 10.158, "train_after": 10.158}) == {
        "imbalance train (largest : smallest class)": "10.2"
    }
    assert _imbalance_fact({"train_before": 10.158, "train_after": 5.0}) == {
        "imbalance train before -> after": "10.2 -> 5"
    }


def test_windows_never_cross_a_gap_in_the_time_column(tiny_config, tmp_path):
    """40 rows cut out of every recording (1.6 s of sensor dropout, the rows absent, not NaN):
    the sample-rate check (a median) cannot see it, so windows joined its two sides as one
    window of "0.96 s". Now they are left out, and the notes say where the gaps are."""
    df = generate_demo_recordings(n_animals=6, minutes=1.0, seed=1)
    df = df.fillna({c: 0.0 for c in ("acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z")})
    step_in_rec = df.groupby("recording_id").cumcount()
    df = df[~step_in_rec.between(300, 339)].reset_index(drop=True)
    df.to_parquet(tmp_path / "d.parquet")
    cfg = tiny_config(data__path=str(tmp_path / "d.parquet"))
    with pytest.warns(UserWarning, match=r"gap\(s\) in time column 'time_s'"):
        prepared = run_prepare(cfg, tmp_path / "run")
    n_recs = df.recording_id.nunique()
    w = prepared.meta["windows"]
    assert w["time_gaps"] == n_recs and w["time_gap_recordings"] == n_recs
    assert w["windows_dropped_time_gap"] == n_recs  # windows of 24, step 12: one across each gap
    first = w["time_gaps_first"][0]
    assert np.isclose(first["from_s"], 299 / 25) and np.isclose(first["to_s"], 340 / 25)
    (note,) = [n for n in prepared.meta["notes"] if "gap(s) in time column" in n]
    assert f"{n_recs} gap(s)" in note and "11.96 s -> 13.60 s" in note and f"{n_recs} window(s) across" in note
    a = prepared.arrays
    starts = np.concatenate([a[f"start_{s}"] for s in SPLITS])
    assert len(starts) and not ((starts < 300) & (starts + 24 > 300)).any()
