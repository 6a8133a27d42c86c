import numpy as np
import pytest

from lstm_helpers.data.recordings import DataError
from lstm_helpers.data.splits import split_groups


def _counts(n_groups, rare_in):
    c = np.tile([[1000, 0]], (n_groups, 1))
    c[rare_in, 1] = 50
    return c


def test_groups_never_span_splits_and_rare_class_everywhere():
    groups = np.repeat([f"animal{i}" for i in range(10)], 2)  # 2 recordings per animal
    counts = np.repeat(_counts(10, [1, 4, 7, 8]), 2, axis=0)
    split, rep = split_groups(groups, counts, 0.2, 0.2, seed=1)
    for g in set(groups):
        assert len(set(split[groups == g])) == 1
    for s in ("train", "val", "test"):
        assert counts[split == s, 1].sum() > 0, s
    assert rep["classes_missing"] == {} and rep["note"] == ""


def test_seeded_and_reproducible():
    groups = np.array([f"g{i}" for i in range(12)])
    counts = _counts(12, [0, 5, 9])
    a, _ = split_groups(groups, counts, 0.25, 0.25, seed=7)
    b, _ = split_groups(groups, counts, 0.25, 0.25, seed=7)
    assert np.array_equal(a, b)


def test_says_so_when_rare_class_cannot_be_everywhere():
    groups = np.array([f"g{i}" for i in range(6)])
    split, rep = split_groups(groups, _counts(6, [2]), 0.2, 0.2, seed=0)
    assert rep["classes_missing"] and "do not allow" in rep["note"]


def test_predefined_split_honoured_and_val_carved_from_train_by_group():
    groups = np.array(["a", "a", "b", "c", "d", "e", "f"])
    pre = np.array(["train", "train", "train", "train", "train", "test", "test"])
    split, rep = split_groups(groups, _counts(7, [0, 2, 3, 5]), 0.2, 0.2, seed=0, predefined=pre)
    assert list(split[5:]) == ["test", "test"]
    assert "val" in set(split[:5]) and "test" not in set(split[:5])
    assert split[0] == split[1]  # group a stays together
    assert rep["method"] == "predefined"


def test_a_predefined_train_val_test_split_is_taken_as_given():
    """Every recording marked train, val or test: nothing is left to assign, and nothing
    needs to be (this used to fail with "cannot fill train, validation and test")."""
    groups = np.array(list("abcdef"))
    pre = np.array(["train", "train", "val", "val", "test", "test"])
    split, rep = split_groups(groups, _counts(6, [0, 2, 4]), 0.2, 0.2, seed=0, predefined=pre)
    assert list(split) == list(pre) and rep["method"] == "predefined"
    # and with unmarked recordings beside them, those go to training
    pre2 = np.array(["train", "", "val", "val", "test", "test"])
    split2, _ = split_groups(groups, _counts(6, [0, 2, 4]), 0.2, 0.2, seed=0, predefined=pre2)
    assert list(split2) == list(pre)


def test_too_few_groups():
    with pytest.raises(DataError, match="cannot fill"):
        split_groups(np.array(["a", "b"]), _counts(2, [0]), 0.2, 0.2, seed=0)


def test_val_fraction_is_a_share_of_the_training_side_when_test_is_predefined():
    # 40 official training cases (one group each, 4 classes) and 40 official test cases
    groups = np.array([f"c{i}" for i in range(80)])
    counts = np.zeros((80, 4), np.int64)
    counts[np.arange(80), np.arange(80) % 4] = 100
    pre = np.array(["train"] * 40 + ["test"] * 40)
    split, rep = split_groups(groups, counts, 0.2, 0.2, seed=0, predefined=pre)
    assert (split[40:] == "test").all()
    assert (split == "val").sum() == 8  # 20 % of the 40 training cases, not of all 80
    val_classes = counts[split == "val"].argmax(1)
    assert set(val_classes) == {0, 1, 2, 3}  # stratified: every class in validation
    assert rep["val_groups"] == 8


def test_validation_has_a_floor_in_groups():
    groups = np.array([f"c{i}" for i in range(30)])
    counts = np.zeros((30, 3), np.int64)
    counts[np.arange(30), np.arange(30) % 3] = 10
    pre = np.array(["train"] * 20 + ["test"] * 10)
    split, _ = split_groups(groups, counts, 0.01, 0.0, seed=0, predefined=pre)
    assert (split == "val").sum() == 3  # 1 % would be no case; floor: one per class
    split, _ = split_groups(groups, counts, 0.01, 0.0, seed=0, predefined=pre, min_val_groups=5)
    assert (split == "val").sum() == 5


@pytest.mark.parametrize("seed", range(6))
def test_training_keeps_every_class_with_two_cases_per_class(seed):
    """PigCVP's shape: 52 classes, 2 official training cases each, 4 test cases each. Validation
    (26 cases) cannot hold every class, but training can and must: a random draw put both
    cases of class 38 into validation at seed 0, so the model never saw that class."""
    k = 52
    labels = np.r_[np.repeat(np.arange(k), 2), np.repeat(np.arange(k), 4)]
    counts = np.zeros((len(labels), k), np.int64)
    counts[np.arange(len(labels)), labels] = 2000
    pre = np.array(["train"] * 2 * k + ["test"] * 4 * k)
    groups = np.array([f"case{i}" for i in range(len(labels))])
    split, rep = split_groups(groups, counts, 0.2, 0.2, seed=seed, predefined=pre)
    assert set(labels[split == "train"]) == set(range(k))
    assert (split == "val").sum() == 26 and len(set(labels[split == "val"])) == 26  # one case of 26 classes
    assert set(rep["classes_missing"]) == {"val"}


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("n, fraction", [(8, 0.25), (10, 0.2)])
def test_a_class_in_two_groups_stays_in_training(seed, n, fraction):
    """Two animals hold the rare behaviour: it cannot be in all three splits, and the one it
    must be in is training. Before, every seed put both in validation and test for 10 animals
    at the default 0.2 / 0.2 (and 8, 12 or 16 animals at 0.25): the model never saw it."""
    groups = np.array([f"animal{i}" for i in range(n)])
    counts = _counts(n, [1, n // 2 + 1])
    split, rep = split_groups(groups, counts, fraction, fraction, seed=seed)
    assert counts[split == "train", 1].sum() > 0
    assert "train" not in rep["classes_missing"]


def test_a_predefined_split_that_breaks_a_group_says_what_moved():
    """Group f has one recording marked train and one marked test: it goes to test whole (no
    group in two splits), and the report says so; before, the training recording moved silently."""
    groups = np.array(["a", "b", "c", "d", "e", "f", "f", "g"])
    pre = np.array(["train"] * 5 + ["train", "test", "test"])
    split, rep = split_groups(groups, _counts(8, [0, 2, 4, 6, 7]), 0.2, 0.2, seed=0, predefined=pre)
    assert list(split[5:]) == ["test", "test", "test"]
    assert rep["moved"].startswith("1 recording(s) of the training side moved to test with their group (f:")
    clean, rep2 = split_groups(groups[:6], _counts(6, [0, 2, 4]), 0.2, 0.2, seed=0, predefined=pre[[0, 1, 2, 3, 4, 6]])
    assert rep2["moved"] == ""


@pytest.mark.parametrize("seed", range(6))
def test_keeping_a_class_in_training_never_empties_a_split(seed):
    """Three groups for three splits, class R only in g2: R goes to training where a draw allows,
    and no split is ever emptied to put it there."""
    counts = np.array([[100, 0, 0], [0, 100, 0], [50, 50, 10]])
    split, _ = split_groups(np.array(["g0", "g1", "g2"]), counts, 0.33, 0.33, seed=seed)
    assert sorted(split) == ["test", "train", "val"]
    assert split[2] == "train"  # some draw of 200 has it there, and training's class counts first
