"""Train / validation / test splits by group, made before windowing, and the leakage check.

Hand-written search over seeded group assignments: scikit-learn's ``GroupShuffleSplit``
ignores classes and ``StratifiedGroupKFold`` gives k equal folds, while here the splits have
arbitrary fractions and the rare class must land in every split where the data allow. Each
candidate is a seeded permutation of the groups filled greedily up to the target fractions
(in timesteps), then repaired so that training holds every class a free group holds
(:func:`_every_class_in_train`); the candidate that puts every class in every split and best
matches the fractions and class proportions wins, and a class missing from training weighs
more than one missing from validation or test (the model cannot learn a class it never sees).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lstm_helpers.data.recordings import SPLIT_NAMES, DataError


def _score(assign: np.ndarray, group_counts: np.ndarray, targets: np.ndarray) -> tuple[int, int, float]:
    """(classes with no training example, (split, class) pairs with no example, deviation
    from the target mix): lower is better, in that order."""
    per_split = np.zeros((3, group_counts.shape[1]))
    np.add.at(per_split, assign, group_counts)
    sizes = per_split.sum(1)
    total = sizes.sum()
    empty = (per_split == 0) & (targets[:, None] > 0)
    missing = int(empty.sum())
    frac_dev = np.abs(sizes / total - targets).sum()
    overall = per_split.sum(0) / total
    with np.errstate(invalid="ignore", divide="ignore"):
        prop = per_split / sizes[:, None]
    prop_dev = np.nansum(np.abs(prop - overall) * (targets[:, None] > 0))
    return int(empty[0].sum()), missing, float(frac_dev + prop_dev)


def _every_class_in_train(assign: np.ndarray, g_counts: np.ndarray, free: np.ndarray, rng: np.random.Generator) -> None:
    """Swap free groups (in place) so that training holds every class that a free group holds.

    A random draw can put every group of a class into validation or test: with two cases per
    class (PigCVP: 52 classes, 104 training cases, 26 to validation) some class loses both
    in most draws. For each such class, one of its validation/test groups trades places with
    a training group whose classes all keep another training group (one of a class its new
    split lacks, where there is one), so the split sizes stay as drawn; where no training
    group can leave, the group just moves to training (unless its split would be left empty).
    Written here: scikit-learn's splitters neither keep groups whole with arbitrary fractions
    nor guarantee a class in training.
    """
    unfixable: set[int] = set()
    for _ in range(g_counts.shape[1]):
        per = np.zeros((3, g_counts.shape[1]), dtype=np.int64)
        np.add.at(per, assign, g_counts)
        lacking = [k for k in np.flatnonzero((per[0] == 0) & (g_counts[free].sum(0) > 0)) if k not in unfixable]
        if not lacking:
            return
        k = lacking[0]
        donors = free[(assign[free] > 0) & (g_counts[free, k] > 0)]
        d = donors[rng.integers(len(donors))]
        s = assign[d]
        cand = free[assign[free] == 0]
        # a training group may leave when each of its classes has another training group
        can_leave = ((g_counts[cand] > 0) <= ((per[0] - g_counts[cand]) > 0)).all(1)
        cand = cand[can_leave]
        if not len(cand) and (assign == s).sum() <= 1:  # its split would be left empty
            unfixable.add(k)
            continue
        if len(cand):
            helps = ((g_counts[cand] > 0) & ((per[s] - g_counts[d]) == 0)).any(1)
            pool = cand[helps] if helps.any() else cand
            assign[pool[rng.integers(len(pool))]] = s
        assign[d] = 0


def _honour_predefined(
    predefined: np.ndarray, g_idx: np.ndarray, uniq: np.ndarray, g_counts: np.ndarray,
    fixed: np.ndarray, targets: np.ndarray, val_fraction: float,
) -> np.ndarray:  # fmt: skip
    """Fix the groups a predefined split names (in place, in ``fixed``); the split targets.

    Validation is carved from the predefined training groups when no recording is marked
    ``val``: ``val_fraction`` is then a share of the training side."""
    pre = np.asarray(predefined).astype(str)
    has = {name: bool((pre == name).any()) for name in SPLIT_NAMES}
    for i, name in enumerate(SPLIT_NAMES):
        if name == "train" and not has["val"]:
            continue  # validation is carved from the predefined training groups
        gs = np.unique(g_idx[pre == name])
        if ((fixed[gs] >= 0) & (fixed[gs] != i)).any():
            raise DataError(f"predefined split puts group(s) {list(uniq[gs])[:3]} in more than one split")
        fixed[gs] = i
    targets = targets.copy()
    total = g_counts.sum()
    for i, name in ((1, "val"), (2, "test")):
        if has[name]:  # given: its target is what it holds
            targets[i] = g_counts[fixed == i].sum() / total
    if has["test"] and not has["val"]:  # val_fraction: a share of the training side
        targets[1] = val_fraction * (1 - targets[2])
    targets[0] = 1 - targets[1:].sum()
    return targets


def _moved_with_their_group(pre: np.ndarray, g_idx: np.ndarray, uniq: np.ndarray, fixed: np.ndarray) -> str:
    """What a predefined split lost to keeping groups whole: recordings of the training side
    (marked ``train`` or unmarked, e.g. those of ``data.path`` beside ``data.test_path``) whose
    group also has recordings marked ``test`` (or ``val``) go there with it; said, not silent."""
    moved = ~np.isin(pre, ("val", "test")) & (fixed[g_idx] > 0)
    if not moved.any():
        return ""
    names = [str(g) for g in np.unique(uniq[g_idx[moved]])]
    where = SPLIT_NAMES[int(fixed[g_idx[moved]].max())]
    return (
        f"{int(moved.sum())} recording(s) of the training side moved to {where} with their group "
        f"({', '.join(names[:5])}{', ...' if len(names) > 5 else ''}: it has {where} recordings too), "
        "so that no group is in two splits"
    )


def _split_report(best: np.ndarray, g_counts: np.ndarray, targets: np.ndarray, method: str) -> dict:
    """Fractions per split, classes a split lacks, and a note when stratification failed."""
    per_split = np.zeros((3, g_counts.shape[1]), dtype=np.int64)
    np.add.at(per_split, best, g_counts)
    missing = {
        SPLIT_NAMES[s]: [int(k) for k in np.flatnonzero(per_split[s] == 0)]
        for s in range(3)
        if targets[s] > 0 and (per_split[s] == 0).any()
    }
    report = {
        "method": method,
        "fraction_timesteps": {SPLIT_NAMES[s]: float(per_split[s].sum() / max(1, per_split.sum())) for s in range(3)},
        "classes_missing": missing,
        "val_groups": int((best == 1).sum()),
        "note": "",
    }
    if missing:
        report["note"] = "the data do not allow every class in every split (too few groups hold them): " + "; ".join(
            f"{k} lacks class index {v}" for k, v in missing.items()
        )
    return report


def _draw(order: np.ndarray, fixed: np.ndarray, sizes: np.ndarray, targets: np.ndarray, floor: dict) -> np.ndarray:
    """Fill test, then validation, with the free groups in ``order`` up to their targets (each
    needed split gets >= 1 group, validation at least ``floor[1]``); the rest is training."""
    assign = fixed.copy()
    cum = np.cumsum(sizes[order]) / sizes.sum()
    pos = 0
    for s in (2, 1):
        if targets[s] <= 0 or pos >= len(order) or (fixed == s).any():
            continue
        base = cum[pos - 1] if pos else 0.0
        take = int(np.searchsorted(cum[pos:] - base, targets[s] - 1e-9)) + 1
        take = max(1, min(max(floor[s], take), len(order) - pos - 1))
        assign[order[pos : pos + take]] = s
        pos += take
    assign[order[pos:]] = np.where(assign[order[pos:]] < 0, 0, assign[order[pos:]])
    return assign


def split_seed(cfg: Any) -> int:
    """The seed that draws the split: ``split.seed`` where set, else the run's ``seed`` (then a
    sweep over seeds draws a split per seed; with ``split.seed`` fixed it varies only what the
    run's seed draws besides: initial weights, shuffling, augmentation and resampling)."""
    return cfg.split.seed if cfg.split.seed is not None else cfg.seed


def split_groups(
    groups: np.ndarray,
    class_counts: np.ndarray,
    val_fraction: float,
    test_fraction: float,
    seed: int,
    stratify: bool = True,
    attempts: int = 200,
    predefined: np.ndarray | None = None,
    min_val_groups: int = 2,
    unit: str = "group",
) -> tuple[np.ndarray, dict]:
    """Assign each recording to ``train`` / ``val`` / ``test`` so that no group spans two splits.

    Parameters
    ----------
    groups
        Group id per recording (the animal/subject; or the recording itself).
    class_counts
        (R, K) labelled timesteps per class per recording.
    predefined
        Optional split per recording (``train``/``val``/``test``/``""``); honoured as given,
        with validation carved from train by group when no recording is marked ``val``.
        ``val_fraction`` is then a share of the *training side* (the groups not marked
        ``test``), and ``test_fraction`` is unused when a test split is given.
    min_val_groups
        Floor on the validation split's size in groups (with ``stratify``, at least one
        group per class present, too), capped at a quarter of the groups free to assign.
    unit
        What a group is, as the user named it (``animal value``), for the error.

    Returns the split per recording (array of str) and a report dict (fractions, classes
    missing from a split, a note when stratification was not possible).
    """
    groups = np.asarray(groups).astype(str)
    uniq, g_idx = np.unique(groups, return_inverse=True)
    g_counts = np.zeros((len(uniq), class_counts.shape[1]), dtype=np.int64)
    np.add.at(g_counts, g_idx, class_counts)
    rng = np.random.default_rng(seed)
    fixed = np.full(len(uniq), -1)
    targets = np.array([1 - val_fraction - test_fraction, val_fraction, test_fraction])
    moved = ""
    if predefined is not None:
        targets = _honour_predefined(predefined, g_idx, uniq, g_counts, fixed, targets, val_fraction)
        moved = _moved_with_their_group(np.asarray(predefined).astype(str), g_idx, uniq, fixed)
    need = targets > 0
    free = np.flatnonzero(fixed < 0)
    # a split still to fill: needed, and no predefined group already in it
    to_fill = sum(int(need[i] and not (fixed == i).any()) for i in (0, 1, 2))
    if len(free) < to_fill:
        raise DataError(
            f"{len(uniq)} {unit}(s) cannot fill train, validation and test, each of which takes a whole {unit}; "
            f"give data of {to_fill + int((fixed >= 0).sum())} {unit}s at least, or a predefined split "
            "(data.split_column, or the test recordings in data.test_path)"
        )
    sizes = g_counts.sum(1).astype(float)
    n_present = int((g_counts[free].sum(0) > 0).sum())
    floor = {
        1: min(max(min_val_groups, n_present if stratify else 1), max(1, len(free) // 4)),
        2: 1,
    }
    best, best_score = None, None
    n_try = attempts if stratify else 1
    for _ in range(n_try):
        assign = _draw(rng.permutation(free), fixed, sizes, targets, floor)
        if stratify:
            _every_class_in_train(assign, g_counts, free, rng)
        sc = _score(assign, g_counts, targets)
        if best_score is None or sc < best_score:
            best, best_score = assign, sc
    assert best is not None
    method = "predefined" if predefined is not None else ("stratified by group" if stratify else "by group")
    report = _split_report(best, g_counts, targets, method) | {"moved": moved}
    split_of_group = np.array(SPLIT_NAMES)[best]
    return split_of_group[g_idx], report


def share_note(report: dict, val_fraction: float, test_fraction: float, n_groups: int, unit: str) -> str:
    """A note where training ended with far less than its share (15 points or more below
    ``1 - val_fraction - test_fraction``): each split takes whole groups until it reaches its
    fraction and validation at least ``split.min_val_groups``, so few groups overshoot (6 animals
    at 0.2 / 0.2 gave 2 / 2 / 2: training 33 % where 60 % was asked, said nowhere). "" otherwise,
    and for a predefined split (its shares are the user's)."""
    got, want = report["fraction_timesteps"], 1 - val_fraction - test_fraction
    if report.get("method") == "predefined" or got["train"] >= want - 0.15:
        return ""
    shares = ", ".join(f"{name} {got[name]:.0%}" for name in SPLIT_NAMES)
    return (
        f"training keeps {got['train']:.0%} of the labelled timesteps where split.val_fraction {val_fraction:g} and "
        f"split.test_fraction {test_fraction:g} leave {want:.0%} ({shares}; {n_groups} {unit}s): each split takes "
        f"whole {unit}s until it reaches its fraction, and validation at least split.min_val_groups; with this "
        f"few {unit}s, smaller fractions (or split.min_val_groups: 1) leave training more, and more {unit}s help"
    )


def groups_across_splits(groups: np.ndarray, split_of_rec: np.ndarray, where: str) -> str:
    """With ``split.by: recording``, the groups (``where``: the column or array that names them)
    whose recordings sit in more than one split, said with an example; "" when none does. The
    leakage check then checks recordings, not groups, and said "passed" while a subject was
    trained on and tested on."""
    frame = pd.DataFrame({"g": np.asarray(groups).astype(str), "s": np.asarray(split_of_rec).astype(str)})
    spread = frame.groupby("g", sort=True)["s"].unique()
    spread = spread[spread.map(len) > 1]
    if spread.empty:
        return ""
    g, names = spread.index[0], [n for n in SPLIT_NAMES if n in spread.iloc[0]]
    return (
        f"split.by is 'recording': {len(spread)} of {frame['g'].nunique()} group(s) of {where} have recordings "
        f"in more than one split (e.g. {g!r} in {' and '.join(names)}), so the model is judged on groups it "
        "was trained on (its scores overstate how it does on new ones); split.by: group keeps each group in one split"
    )


def check_leakage(
    split_of_rec: np.ndarray,
    groups: np.ndarray,
    offsets: np.ndarray,
    window_sets: dict[str, tuple[np.ndarray, np.ndarray]],
    length: int,
    real: np.ndarray | None = None,
    kept_whole: str = "groups in one split",
) -> dict:
    """Prove no raw timestep and no group is in two splits.

    ``window_sets`` maps split -> (global window starts, recording index of each window).
    Checks: (1) each group's recordings all belong to one split; (2) every window lies inside
    its own recording, whose split is the window's split; (3) coverage masks of the splits'
    windows over the concatenated timesteps never overlap (difference arrays, vectorised).
    ``real`` (one flag per timestep) leaves padding out of the timesteps each split covers.
    ``kept_whole`` says what check (1) checked (``split.by: recording``: the recordings).
    """
    offsets = np.asarray(offsets)
    n = int(offsets[-1])
    problems: list[str] = []
    g_split: dict[str, set] = {}
    for g, s in zip(np.asarray(groups).astype(str), split_of_rec, strict=True):
        g_split.setdefault(g, set()).add(str(s))
    shared_groups = sorted(g for g, ss in g_split.items() if len(ss) > 1)
    if shared_groups:
        problems.append(f"group(s) in more than one split: {shared_groups[:5]}")
    covered = np.zeros(n, dtype=np.int8)
    owner = np.full(n, -1, dtype=np.int8)
    for i, (name, (starts, rec)) in enumerate(window_sets.items()):
        if len(starts) == 0:
            continue
        wrong = np.asarray(split_of_rec)[rec] != name
        if wrong.any():
            problems.append(f"{int(wrong.sum())} {name} window(s) come from recordings of another split")
        outside = (starts < offsets[rec]) | (starts + length > offsets[rec + 1])
        if outside.any():
            problems.append(f"{int(outside.sum())} {name} window(s) cross a recording boundary")
        diff = np.zeros(n + 1, dtype=np.int64)
        np.add.at(diff, starts, 1)
        np.add.at(diff, np.minimum(starts + length, n), -1)
        mask = np.cumsum(diff[:-1]) > 0
        clash = mask & (owner >= 0) & (owner != i)
        if clash.any():
            problems.append(f"{int(clash.sum())} timestep(s) are in {name} and another split")
        owner[mask] = i
        covered += mask
    return {
        "ok": not problems,
        "problems": problems,
        "checked": [
            kept_whole,
            "windows inside their recording's split",
            "no timestep in two splits",
        ],
        "timesteps_covered": {
            name: int(((owner == i) & (True if real is None else real)).sum()) for i, name in enumerate(window_sets)
        },
    }
