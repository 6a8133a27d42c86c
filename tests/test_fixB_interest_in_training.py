"""A class of interest with no real training window is refused in stage 01, with advice that
fits how the split was made."""

import numpy as np
import pandas as pd
import pytest

from lstm_helpers.config import resolve_config
from lstm_helpers.data.demo import generate_demo_recordings
from lstm_helpers.data.prepare import run_prepare
from lstm_helpers.data.recordings import DataError


def _recordings(chase_in_train: bool, walk_in_train: bool = True) -> pd.DataFrame:
    """8 animals, one 40-s recording each at 25 Hz: rest with walk and chase bouts; animals 1-4
    marked train, 5-6 val, 7-8 test."""
    rng, frames = np.random.default_rng(0), []
    for a in range(1, 9):
        split = "train" if a <= 4 else "val" if a <= 6 else "test"
        t = np.arange(25 * 40) / 25
        lab = np.where((t % 20) > 14, "walk", "rest").astype(object)
        if split == "train" and not walk_in_train:
            lab[lab == "walk"] = "rest"
        if split != "train" or chase_in_train:
            lab[(t >= 5) & (t < 8)] = "chase"
        df = pd.DataFrame(rng.normal(size=(len(t), 2)), columns=["ax", "ay"])
        frames.append(df.assign(time_s=t, label=lab, animal=f"A{a}", rec=f"A{a}_r1", split=split))
    return pd.concat(frames)


def _cfg(path, **extra):
    data = {"kind": "recordings", "path": str(path), "recording_column": "rec", "group_column": "animal",
            "time_column": "time_s", "label_column": "label", "channels": ["ax", "ay"], "sample_rate_hz": 25,
            "classes_of_interest": ["chase"]} | extra  # fmt: skip
    raw = {"seed": 1, "data": data, "windows": {"length": 24, "overlap_percent": 50}}
    return resolve_config(raw, {"resample.method": "smote", "resample.imbalance_factor": 5})


def test_a_predefined_split_without_training_chase_is_refused_naming_the_split_column(tmp_path):
    """tiny_absent: chase only in val and test recordings of data.split_column. Stage 01 noted "train
    has no chase", advised another seed (which redraws nothing here), SMOTE added nothing and the run
    finished with a headline on a class it never saw."""
    _recordings(chase_in_train=False).to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(DataError, match="class of interest 'chase' has no training window") as err:
        run_prepare(_cfg(tmp_path / "d.csv", split_column="split"), tmp_path / "run")
    msg = str(err.value)
    assert "data.split_column 'split'" in msg and "must give training some" in msg
    assert "seed" not in msg
    assert not (tmp_path / "run" / "prepared.npz").exists()


def test_a_test_file_beside_training_without_chase_is_refused_naming_data_path(tmp_path):
    """data.path's only chase is a recording of animal A7, whose other recording is in
    data.test_path: it goes to test with its group, and training is left without chase."""
    df = _recordings(chase_in_train=False)
    a7 = df[df.animal == "A7"].assign(rec="A7_r0")
    pd.concat([df[df.split == "train"], a7]).drop(columns="split").to_csv(tmp_path / "train.csv", index=False)
    df[df.split == "test"].drop(columns="split").to_csv(tmp_path / "test.csv", index=False)
    cfg = _cfg(tmp_path / "train.csv", test_path=str(tmp_path / "test.csv"))
    with pytest.raises(DataError, match="'chase' has no training window") as err:
        run_prepare(cfg, tmp_path / "run")
    assert "data.test_path (test.csv)" in str(err.value) and "data.path must give training some" in str(err.value)


def test_training_bouts_too_short_for_a_window_are_refused_with_the_window_settings(tiny_config, tmp_path):
    """A drawn split gives training the class's timesteps, but its 5-step bouts never label a
    24-step window under the majority rule: the advice is the window's, not the split's."""
    df = generate_demo_recordings(n_animals=6, minutes=1.0, seed=1)
    step = df.groupby("recording_id").cumcount()
    df["behaviour"] = np.where((step % 200 >= 100) & (step % 200 < 105), "scratch", df["behaviour"])
    df.to_parquet(tmp_path / "d.parquet")
    cfg = tiny_config(data__path=str(tmp_path / "d.parquet"), data__class_map={"scratch": "scratch"},
                      data__other_class="other", data__classes_of_interest=["scratch"])  # fmt: skip
    with pytest.raises(DataError, match="'scratch' has no training window") as err:
        run_prepare(cfg, tmp_path / "run")
    assert "windows.label_rule 'majority'" in str(err.value) and "windows.label_rule: center" in str(err.value)
    assert "a shorter windows.length " in str(err.value)
    # windows set in seconds: the advice names the knob that sets them (code review)
    cfg = cfg.model_copy(update={"windows": cfg.windows.model_copy(update={"length_seconds": 0.96})})
    with pytest.raises(DataError, match="'scratch' has no training window") as err:
        run_prepare(cfg, tmp_path / "run2")
    assert "a shorter windows.length_seconds" in str(err.value)


def test_a_class_not_of_interest_missing_from_training_is_noted_with_advice_for_a_predefined_split(tmp_path):
    """walk (not of interest) in no training recording of data.split_column: a note, as before,
    but its advice names the split column instead of another seed."""
    _recordings(chase_in_train=True, walk_in_train=False).to_csv(tmp_path / "d.csv", index=False)
    with pytest.warns(UserWarning, match="train has no walk"):
        meta = run_prepare(_cfg(tmp_path / "d.csv", split_column="split"), tmp_path / "run").meta
    (note,) = [n for n in meta["notes"] if "train has no walk" in n]
    assert "predefined by data.split_column 'split'" in note and "another seed" not in note
