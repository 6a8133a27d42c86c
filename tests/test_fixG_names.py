"""A misspelt class or column name is answered with the closest valid names first and the valid
names whole: ``data.classes_of_interest: ["wave"]`` among 13 gesture classes printed a list cut
at 200 characters ("'swipe ri... (234 characters)") that hid the intended ``'wave 👋'``."""

import numpy as np
import pandas as pd
import pytest

from lstm_helpers.config import DataConfig
from lstm_helpers.data.names import closest_names, name_list, not_among
from lstm_helpers.data.prepare import run_prepare
from lstm_helpers.data.recordings import DataError, read_dataset

GESTURES = [
    "Zeigefinger-Kreis gegen den Uhrzeigersinn (langsam, beidhändig)",
    "circle ↻ clockwise",
    "double tap",
    "new gesture (test only)",
    "pinch",
    "rare flick",
    "rare knock",
    "shake",
    "swipe left",
    "swipe right",
    "tap",
    "wave 👋",
    "zoom out",
]


def test_closest_names_by_case_prefix_and_spelling():
    assert closest_names("wave", GESTURES)[0] == "wave 👋"  # a prefix: difflib alone finds nothing
    assert closest_names("Swipe Left", GESTURES)[0] == "swipe left"  # case
    assert closest_names("pinsh", GESTURES) == ["pinch"]  # spelling
    assert closest_names("xylophone", GESTURES) == []


def test_a_long_list_is_shortened_by_whole_names_and_counted():
    names = [f"channel_{i:03d}" for i in range(200)]
    text = name_list(names)
    assert text.endswith("...] (200 in all)") and "'channel_000'" in text
    shown = text[1 : text.index(", ...]")].split(", ")
    assert all(item.startswith("'channel_") and item.endswith("'") and len(item) == 13 for item in shown)
    assert name_list(GESTURES) == repr(GESTURES)  # 13 names fit: all of them, none cut
    assert "closest: 'tap'" in not_among(["tapp"], GESTURES, "the classes")


def _gestures_npz(path):
    rng = np.random.default_rng(0)
    y = np.array([GESTURES[i % len(GESTURES)] for i in range(len(GESTURES) * 4)])
    lengths = rng.integers(5, 9, len(y))
    np.savez(path, values=rng.normal(size=(lengths.sum(), 2)), lengths=lengths, y=y)
    return path


def test_a_misspelt_class_of_interest_names_the_closest_class_and_every_class(tmp_path):
    path = _gestures_npz(tmp_path / "g.npz")
    cfg = DataConfig(kind="sequences", path=str(path), demo=False, classes_of_interest=["wave"])
    with pytest.raises(DataError) as err:
        read_dataset(cfg)
    msg = str(err.value)
    assert "'wave' (closest: 'wave 👋')" in msg
    assert all(repr(c) in msg for c in GESTURES) and "characters)" not in msg


def test_a_misspelt_class_of_interest_in_recordings_names_the_closest(tiny_config, tmp_path):
    """Without a class map the demo's raw behaviours are the classes: ``play`` begins three of them."""
    cfg = tiny_config(data__classes_of_interest=["play"], data__class_map={}, data__other_class=None)
    with pytest.raises(DataError) as err:
        run_prepare(cfg, tmp_path / "run")
    assert "'play' (closest: 'play_chase', 'play_solo', 'play_wrestle') is not among the classes found" in str(
        err.value
    )


def test_a_missing_column_names_the_closest_columns(tmp_path):
    df = pd.DataFrame({"rec": ["r"] * 8, "t": np.arange(8) / 25, "ax": 0.0, "accy": 0.0, "label": "a"})
    df.to_csv(tmp_path / "x.csv", index=False)
    cfg = DataConfig(
        path=str(tmp_path / "x.csv"),
        demo=False,
        recording_column="rec",
        group_column=None,
        time_column="t",
        label_column="label",
        channels=["ax", "acc_y"],
    )
    with pytest.raises(DataError) as err:
        read_dataset(cfg)
    assert "'acc_y' (data.channels[1]; closest: 'accy')" in str(err.value)
    assert "columns present: ['rec', 't', 'ax', 'accy', 'label']" in str(err.value)
