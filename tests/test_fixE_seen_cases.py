"""Which new cases a sequences run saw, when its training split was rebalanced.

A reviewer gave a long-table run trained with ``resample.method: undersample`` its own
sequences: predict said "the run saw 9 of these cases in its training split" where the same
split without undersampling said 14, and scored the five training cases that undersampling
had dropped from ``prepared.npz`` as held out. The check matched model inputs against
``prepared.npz``'s (rebalanced) training cases only, and the input's ``subject`` column (the
run's ``data.group_column``) was not read: "the input names no groups". Now a long table's
group column is read for the check, a long table without one is matched by its sequence ids
(as recordings are by their ids), and where only model inputs can be matched the note says
how many training cases the rebalancing left out of reach."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lstm_helpers.config import resolve_config
from lstm_helpers.data.prepare import run_prepare
from lstm_helpers.judge.threshold import DecisionRule
from lstm_helpers.layout import RunLayout
from lstm_helpers.runs.predict import FinishedRun
from lstm_helpers.runs.predict_sequences import read_new_cases, run_cases, seen_cases, seen_cases_note

N, SUBJECTS = 60, 12
pytestmark = pytest.mark.filterwarnings("ignore:undersampling kept:UserWarning")


def _cases(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``N`` cases of 6-12 steps, 2 channels: 'rest' on four cases in five, so undersampling to
    an imbalance factor of 1 drops most training 'rest' cases; subjects 0-5 train, 6-8 val."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(6, 13, N)
    values = rng.normal(size=(lengths.sum(), 2)).round(4)
    y = np.array(["move" if i % 5 == 0 else "rest" for i in range(N)])
    groups = np.array([f"s{i % SUBJECTS:02d}" for i in range(N)])
    return values, lengths, y, groups


def _split(groups: np.ndarray) -> np.ndarray:
    k = np.array([int(g[1:]) for g in groups])
    return np.where(k < 6, "train", np.where(k < 9, "val", "test"))


def _long(values, lengths, y, groups) -> pd.DataFrame:
    return pd.DataFrame(
        {"seq_id": np.repeat([f"seq{i:03d}" for i in range(N)], lengths), "subject": np.repeat(groups, lengths),
         "split": np.repeat(_split(groups), lengths), "t": np.concatenate([np.arange(n) / 25 for n in lengths]),
         "ax": values[:, 0], "ay": values[:, 1], "gesture": np.repeat(y, lengths)}
    )  # fmt: skip


UNDER = {"resample.method": "undersample", "resample.imbalance_factor": 1.0, "model.conv": []}


def _prepared_run(data: dict, path) -> FinishedRun:
    """A run prepared with undersampling (no model: the seen check needs none)."""
    cfg = resolve_config({"seed": 1, "data": {"demo": False, "label_column": "gesture", **data}}, UNDER)
    run_prepare(cfg, path)
    info = json.loads((path / "prepare.json").read_text())
    return FinishedRun(RunLayout(path), cfg, info, DecisionRule(tuple(info["classes"])))


def _seen(run: FinishedRun, input_path) -> tuple[dict[str, int], str]:
    s, _, X = read_new_cases(run, input_path)
    seen, how = seen_cases(run, s, X, run_cases(run))
    return {k: int(m.sum()) for k, m in seen.items()}, seen_cases_note(seen, how, True)


@pytest.fixture
def long_run(tmp_path):
    df = _long(*_cases())
    df.to_csv(tmp_path / "long.csv", index=False)
    data = {"kind": "table", "path": str(tmp_path / "long.csv"), "sequence_column": "seq_id",
            "group_column": "subject", "split_column": "split", "time_column": "t", "channels": ["ax", "ay"]}  # fmt: skip
    run = _prepared_run(data, tmp_path / "run")
    whole = {k: len(v) for k, v in run.info["splits_recordings"].items()}
    with np.load(run.layout.prepared) as z:
        assert len(z["X_train"]) < whole["train"]  # undersampling dropped training cases
    return run, df, whole, tmp_path


def test_a_long_tables_group_column_finds_every_case_of_the_training_split(long_run):
    run, df, whole, d = long_run
    df.drop(columns="split").to_csv(d / "new.csv", index=False)
    counts, note = _seen(run, d / "new.csv")
    assert counts == {"train": whole["train"], "val": whole["val"]}
    assert note.startswith(f"the run saw {whole['train']} of these cases in its training split and {whole['val']} ")
    assert "(by their groups, or model input identical to its cases)" in note and "names no groups" not in note
    s, _, _ = read_new_cases(run, d / "new.csv")
    assert list(s.groups[:3]) == ["s00", "s01", "s02"]  # the table's 'group' column of predictions


def test_a_long_table_without_groups_is_matched_by_its_sequence_ids(long_run):
    run, df, whole, d = long_run
    df.drop(columns=["split", "subject"]).to_csv(d / "bare.csv", index=False)
    counts, note = _seen(run, d / "bare.csv")
    assert counts == {"train": whole["train"], "val": whole["val"]}
    # ids alone can collide (another dataset numbered 1, 2, ...): the note says what matched
    assert "(by their sequence ids, the ids of the run's own cases: another dataset's cases numbered the same" in note


def test_new_cases_of_a_new_subject_are_not_seen(long_run):
    run, df, _, d = long_run
    test_ids = run.info["splits_recordings"]["test"]
    new = df[df["seq_id"].isin(test_ids)].assign(subject="s99").drop(columns="split")
    new.to_csv(d / "fresh.csv", index=False)
    counts, note = _seen(run, d / "fresh.csv")
    assert counts == {"train": 0, "val": 0} and note is None


def test_an_npz_without_groups_says_how_many_training_cases_rebalancing_put_out_of_reach(tmp_path):
    values, lengths, y, groups = _cases()
    np.savez(tmp_path / "seq.npz", values=values, lengths=lengths, y=y, groups=groups, split=_split(groups))
    run = _prepared_run({"kind": "sequences", "path": str(tmp_path / "seq.npz")}, tmp_path / "run")
    np.savez(tmp_path / "bare.npz", values=values, lengths=lengths, y=y)
    with np.load(run.layout.prepared) as z:
        left_out = len(run.info["splits_recordings"]["train"]) - len(z["X_train"])
    assert left_out > 0
    _, note = _seen(run, tmp_path / "bare.npz")
    assert "(by model input identical to its cases; the input names no groups)" in note
    assert f"the run's rebalancing left {left_out} of its training cases out of prepared.npz" in note
