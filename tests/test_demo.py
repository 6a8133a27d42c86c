"""The demo recordings: deterministic, realistic proportions, honestly imbalanced."""

import numpy as np
import pandas as pd

from lstm_helpers.config import DataConfig
from lstm_helpers.data.demo import (
    BEHAVIOURS,
    CHANNELS,
    generate_demo_recordings,
    write_demo_recordings,
)
from lstm_helpers.data.recordings import read_recordings
from lstm_helpers.data.windows import make_windows


def test_seeded_and_deterministic():
    a = generate_demo_recordings(n_animals=3, minutes=0.5, seed=5)
    b = generate_demo_recordings(n_animals=3, minutes=0.5, seed=5)
    c = generate_demo_recordings(n_animals=3, minutes=0.5, seed=6)
    pd.testing.assert_frame_equal(a, b)
    assert not a[CHANNELS].equals(c[CHANNELS])


def test_default_demo_is_imbalanced_like_the_field(tmp_path):
    df = generate_demo_recordings()
    assert df["animal_id"].nunique() == 12 and df["recording_id"].nunique() == 24
    assert set(df["behaviour"].dropna()) == set(BEHAVIOURS)
    labelled = df["behaviour"].notna()
    play = df["behaviour"].fillna("").str.startswith("play")
    assert 0.05 < play[labelled].mean() < 0.16  # a few percent to ~a tenth of labelled time
    assert 0.02 < (~labelled).mean() < 0.08  # some stretches unlabelled
    assert df[CHANNELS].isna().any(axis=1).mean() < 0.01  # a few dropouts
    # a majority-class guess on 2 s windows scores about 0.9
    write_demo_recordings(tmp_path, seed=7)
    s = read_recordings(
        DataConfig(
            path=str(tmp_path),
            demo=False,
            class_map={"play_chase": "play", "play_wrestle": "play", "play_solo": "play"},
            other_class="other",
            classes_of_interest=["play"],
            nan_policy="interpolate",
        )
    )
    w = make_windows(s.offsets, s.labels, 2, 50, 50)
    majority = np.bincount(w.labels).max() / len(w)
    assert 0.85 < majority < 0.93


def test_demo_command_writes_only_where_asked(tmp_path, capsys):
    from lstm_helpers.cli import main

    out = tmp_path / "my-demo"
    assert main(["demo", "--out", str(out), "--seed", "3"]) == 0
    files = sorted(out.glob("*.parquet"))
    assert len(files) == 12 and str(files[0]) in capsys.readouterr().out
    assert sorted(tmp_path.iterdir()) == [out]
    assert main(["demo", "--out", str(out)]) == 2  # never over existing files
    assert "not an empty folder" in capsys.readouterr().err


def test_concurrent_first_use_generates_the_demo_once(tmp_path, monkeypatch):
    """A sweep's workers on a fresh checkout all ask for the demo at once: one writes it,
    the others wait and read the complete set (no clash on temporary files, no partial set)."""
    import threading
    import time

    from lstm_helpers.data import demo

    calls = []
    real = demo.generate_demo_recordings

    def slow_generate(**kwargs):
        calls.append(threading.get_ident())
        time.sleep(0.5)  # every other worker arrives while this one is writing
        return real(**kwargs)

    monkeypatch.setattr(demo, "generate_demo_recordings", slow_generate)
    folder, errors, seen = tmp_path / "raw" / "demo", [], []

    def worker():
        try:
            demo.ensure_demo_recordings(folder, seed=3, n_animals=3, minutes=0.2)
            seen.append(len(list(folder.glob("*.parquet"))))
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(calls) == 1 and seen == [3, 3, 3]
    assert not list(folder.glob("*.tmp"))


def test_a_demo_set_cut_short_is_generated_again(tmp_path):
    """A generation killed after its first file left one animal of three: that folder was
    taken as the demo set for good. Without the completion marker it is generated again."""
    from lstm_helpers.data import demo

    folder = tmp_path / "demo"
    demo.ensure_demo_recordings(folder, seed=3, n_animals=3, minutes=0.2)
    whole = {p.name: p.read_bytes() for p in folder.glob("*.parquet")}
    assert len(whole) == 3 and (folder / demo.COMPLETE_MARKER).is_file()
    for name in sorted(whole)[1:]:  # as a kill after the first file leaves it
        (folder / name).unlink()
    (folder / demo.COMPLETE_MARKER).unlink()
    demo.ensure_demo_recordings(folder, seed=3, n_animals=3, minutes=0.2)
    assert {p.name: p.read_bytes() for p in folder.glob("*.parquet")} == whole
