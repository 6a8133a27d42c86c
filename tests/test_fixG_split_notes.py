"""A predefined split (a 'split' array, data.split_column, data.test_path) says what it leaves
without effect: ``--set split.val_fraction=0.4`` on a file marking 'val' cases changed nothing and
nothing said so. And its advice for a class a split lacks is a finished sentence (it ended "its
marks must give each split some")."""

import numpy as np
import pytest

from lstm_helpers.config import resolve_config
from lstm_helpers.data.prepare import run_prepare


def _cases(path, marks=("train", "val", "test"), c_only_in_test=False):
    """60 cases of 6-10 steps, 2 channels, classes a / b (and c, in test only), 20 groups of 3 cases,
    groups 0-11 marked the first mark, 12-15 the second, 16-19 the last."""
    rng = np.random.default_rng(0)
    n = 60
    groups = np.repeat([f"g{i:02d}" for i in range(20)], 3)
    g = np.repeat(np.arange(20), 3)
    split = np.where(g < 12, marks[0], np.where(g < 16, marks[1], marks[-1]))
    y = np.where(np.arange(n) % 2 == 0, "a", "b").astype("<U1")
    if c_only_in_test:
        y[(split == "test") & (np.arange(n) % 3 == 0)] = "c"
    lengths = rng.integers(6, 11, n)
    np.savez(path, values=rng.normal(size=(lengths.sum(), 2)), lengths=lengths, y=y, groups=groups, split=split)
    return path


def _prepare(path, tmp_path, **overrides):
    raw = {"seed": 1, "data": {"kind": "sequences", "path": str(path), "demo": False}}
    cfg = resolve_config(raw, {"model.conv": [], **overrides})
    return run_prepare(cfg, tmp_path / "run").meta


def test_fractions_a_split_array_marks_away_are_noted_with_what_decides(tmp_path):
    path = _cases(tmp_path / "c.npz")
    with pytest.warns(UserWarning, match="split.val_fraction = 0.4 has no effect"):
        meta = _prepare(path, tmp_path, **{"split.val_fraction": 0.4, "split.test_fraction": 0.3})
    (note,) = [n for n in meta["notes"] if "has no effect" in n]
    assert "split.val_fraction = 0.4 has no effect: the 'split' array of data.path marks the validation cases" in note
    assert "(12 'val')" in note and "split.test_fraction = 0.3 has no effect" in note and "(12 'test')" in note


def test_a_val_fraction_that_carves_validation_is_not_noted(tmp_path):
    """Without 'val' marks validation is carved from the training side by split.val_fraction: it applies."""
    path = _cases(tmp_path / "c.npz", marks=("train", "train", "test"))
    meta = _prepare(path, tmp_path, **{"split.val_fraction": 0.4})
    assert not [n for n in meta["notes"] if "has no effect" in n]
    meta = _prepare(path, tmp_path, **{"split.test_fraction": 0.3})
    assert [n for n in meta["notes"] if n.startswith("split.test_fraction = 0.3 has no effect")]


def test_fractions_at_their_defaults_are_not_noted(tmp_path):
    meta = _prepare(_cases(tmp_path / "c.npz"), tmp_path)
    assert not [n for n in meta["notes"] if "has no effect" in n]


def test_the_advice_for_a_class_a_predefined_split_lacks_is_a_whole_sentence(tmp_path):
    with pytest.warns(UserWarning, match="do not allow every class"):
        meta = _prepare(_cases(tmp_path / "c.npz", c_only_in_test=True), tmp_path)
    (note,) = [n for n in meta["notes"] if "do not allow every class" in n]
    assert note.endswith(
        "the split is predefined by the 'split' array of data.path, which no seed redraws: only its marks can give "
        "each split some of every class (mark cases of each class named above for the split that lacks it, or "
        "leave out a class meant for one split only)"
    )
