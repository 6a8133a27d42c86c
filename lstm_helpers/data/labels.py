"""Task labels from raw labels: ``data.class_map`` and its ``data.other_class`` catch-all, and
the order of the classes (recordings, tables and sequence files share them)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd

from lstm_helpers.config import DataConfig
from lstm_helpers.data.inputs import DataError, say_note, short
from lstm_helpers.data.names import closest_names, name_list


def map_labels(
    raw: pd.Series,
    cfg: DataConfig,
    source: str,
    where: str | None = None,
    notes: list[str] | None = None,
    missed_keys: bool = True,
) -> tuple[pd.Series, list[str]]:
    """Apply ``data.class_map`` (+ ``data.other_class`` catch-all) to raw labels (errors name
    ``source`` and ``where`` in it, by default the label column).

    Empty strings / missing values mean unlabelled and stay missing; whole-number floats read
    as integers (:func:`label_text`). Returns task labels
    (missing = unlabelled) and the sorted list of task classes seen. ``notes`` gets which raw
    labels the catch-all took, with their counts, and a warning for any that differs from a
    mapped label only in case or spaces (``Play`` beside ``play``: a typo that moved bouts), and,
    with ``missed_keys`` (training's data, not a prediction's), each map key that matches no label
    (:func:`missed_key_notes`).
    """
    lab = label_text(raw).str.strip()
    lab = lab.mask(lab == "")
    if cfg.class_map or cfg.other_class:
        targets = set(cfg.class_map.values())
        mapped = lab.map(lambda v: cfg.class_map.get(v, v) if v is not pd.NA else v)
        present = set(lab.dropna().unique())
        uncovered = sorted(v for v in present if v not in cfg.class_map and v not in targets)
        if missed_keys and notes is not None:
            notes += missed_key_notes(lab, cfg, where or f"column {cfg.label_column!r}")
        if uncovered:
            if cfg.other_class is None:
                raise DataError(
                    f"{source}: label(s) {name_list(uncovered)} in {where or f'column {cfg.label_column!r}'} are not "
                    f"covered by data.class_map (keys: {name_list(sorted(cfg.class_map))}); add them to the map or set "
                    f"data.other_class to a catch-all class"
                )
            mapped = mapped.where(~lab.isin(uncovered), cfg.other_class)
            if notes is not None:
                notes += _folded_notes(lab, uncovered, cfg, where or f"column {cfg.label_column!r}")
        lab = mapped.astype("string")
    return lab, sorted(lab.dropna().unique().tolist())


def closest_label(name: str, labels: list[str]) -> str | None:
    """The label of ``labels`` most like ``name`` (:func:`~lstm_helpers.data.names.closest_names`:
    the same but for case or spaces, one it begins, else difflib's closest); None when none is close."""
    near = closest_names(name, labels, n=1)
    return near[0] if near else None


def missed_key_notes(lab: pd.Series, cfg: DataConfig, where: str) -> list[str]:
    """A note per ``data.class_map`` key that matches no label of ``lab`` (stripped labels as
    text), naming the closest label (a misspelt key, ``play_chace``, sent ``play_chase``'s rows to
    the catch-all with only the generic note of what it took). Said on the terminal too."""
    n = lab.value_counts()
    present = [str(v) for v in n.index]
    if not present:
        return []
    out = []
    for key, target in cfg.class_map.items():
        if key in n.index:
            continue
        near = closest_label(key, [v for v in present if v not in cfg.class_map])
        went = (
            f", whose {int(n[near]):,} rows went to data.other_class {cfg.other_class!r}"
            if near is not None and cfg.other_class and near not in cfg.class_map.values()
            else ""
        )
        hint = f"; the closest label is {near!r}{went}: correct the key" if near is not None else ""
        out.append(f"{where}: data.class_map key {key!r} (-> {target!r}) matches no label{hint}")
        say_note(out[-1], stacklevel=3)
    return out


@contextmanager
def label_hint(raw: pd.Series | None, cfg: DataConfig) -> Iterator[None]:
    """A :class:`DataError` inside (a single class after the map: "only 1 class (['other'])")
    gets the raw labels found and, where no ``data.class_map`` key matched any of them (numeric
    labels 0-7 under a map of names), that every label went to ``data.other_class``, with the
    map to write. The labels are read only when it is raised."""
    try:
        yield
    except DataError as exc:
        hint = _unmapped_hint(raw, cfg)
        if not hint:
            raise
        raise DataError(f"{exc}{hint}") from None


def _unmapped_hint(raw: pd.Series | None, cfg: DataConfig) -> str:
    if raw is None or not cfg.other_class:
        return ""
    present = sorted(set(label_text(raw).str.strip().dropna()) - {""})
    if not present or any(k in present for k in cfg.class_map):
        return ""
    listed = ", ".join(repr(v) for v in present[:12]) + (f" ... ({len(present)} in all)" if len(present) > 12 else "")
    keys = (
        f"no data.class_map key ({short(sorted(cfg.class_map))}) matches any of them (keys are compared with "
        "the labels as text: 3 and 3.0 read as '3')"
        if cfg.class_map
        else "data.class_map is empty"
    )
    example = ", ".join(f"{v!r}: <class>" for v in present[:3])
    return (
        f". The labels found are {listed}; {keys}, so every label went to data.other_class "
        f"{cfg.other_class!r}. Map the labels as the file writes them, e.g. data.class_map: {{{example}}}"
    )


def label_text(raw: pd.Series) -> pd.Series:
    """Raw labels as text. A float column whose values are all whole numbers reads as integers
    ('3', not '3.0'): integer codes with one empty cell are read as floats, and
    ``data.class_map: {"3": shake}`` then matched nothing."""
    if pd.api.types.is_float_dtype(raw.dtype):
        v = raw.dropna().to_numpy(dtype=np.float64)
        if len(v) and np.isfinite(v).all() and (v == np.round(v)).all() and (np.abs(v) < 2**53).all():
            return raw.astype("Int64").astype("string")
    return raw.astype("string")


def _folded_notes(lab: pd.Series, uncovered: list[str], cfg: DataConfig, where: str) -> list[str]:
    """What ``data.other_class`` took (label and rows), and labels that look like mapped ones."""
    n = lab[lab.isin(uncovered)].value_counts()
    listed = ", ".join(f"{v} {int(n[v]):,}" for v in uncovered[:8]) + (" ..." if len(uncovered) > 8 else "")
    out = [f"{where}: label(s) not in data.class_map went to data.other_class {cfg.other_class!r} (rows): {listed}"]
    for v, k in case_variants(uncovered, cfg).items():
        msg = (
            f"{where}: label {v!r} differs from {k!r} of data.class_map only in case or spaces, so its "
            f"{int(n[v]):,} rows went to {cfg.other_class!r}; map it too or correct the file"
        )
        say_note(msg, stacklevel=3)
        out.append(msg)
    return out


def case_variants(labels: list[str], cfg: DataConfig) -> dict[str, str]:
    """The labels of ``labels`` that differ from a key or class of ``data.class_map`` only in case
    or spaces (``Play_chase`` beside ``play_chase``), each with the one it resembles."""
    known = {str(k).strip().casefold(): k for k in [*cfg.class_map, *cfg.class_map.values()]}
    out = {}
    for v in labels:
        if v not in cfg.class_map and v not in cfg.class_map.values() and v.strip().casefold() in known:
            out[v] = known[v.strip().casefold()]
    return out


def mismatched_labels(raw: pd.Series, cfg: DataConfig, where: str) -> str | None:
    """Why labelled new data cannot be scored against a run: labels that differ from a key or
    class of the run's ``data.class_map`` only in case or spaces (``PLAY_CHASE`` beside
    ``play_chase``). Mapped as written, as the run's training mapped its own labels, they would
    count as the catch-all (or unlabelled), and each window of the class predicted there would
    read as a false alarm. None when there is no such label, or each resembles the catch-all."""
    n = raw.dropna().astype(str).str.strip().value_counts()
    found = {
        v: k
        for v, k in case_variants([str(v) for v in n.index], cfg).items()
        if cfg.class_map.get(k, k) != cfg.other_class
    }
    if not found:
        return None
    labels = ", ".join(f"{v!r} ({int(n[v]):,} rows)" for v in list(found)[:6]) + (" ..." if len(found) > 6 else "")
    keys = ", ".join(repr(k) for k in dict.fromkeys(list(found.values())[:6]))
    goes = f"count as {cfg.other_class!r}" if cfg.other_class else "count as unlabelled"
    classes = ", ".join(dict.fromkeys(cfg.class_map.get(k, k) for k in found.values()))
    return (
        f"not scored: label(s) {labels} in {where} differ from {keys} of the run's data.class_map only in case "
        f"or spaces; the run maps labels as written (its training did too), so they would {goes} and the windows "
        f"predicted {classes} there would read as false alarms. Correct the labels in the file to score this input"
    )


# two labels whose order already says which is the positive one (0 / 1, false / true, ...): kept
_CONVENTIONAL_PAIRS = ({"0", "1"}, {"false", "true"}, {"no", "yes"}, {"negative", "positive"}, {"neg", "pos"})


def _by_rarity(seen: list[str], classes_of_interest: list[str], catch_all: str | None) -> bool:
    """Whether a task's positive class is its rarer one: two classes, neither named of
    interest, no catch-all among them (the catch-all is never the positive class) and no
    conventional pair (``1`` of 0 / 1, ``true`` of false / true)."""
    return (
        len(seen) == 2
        and not any(c in seen for c in classes_of_interest)
        and catch_all not in seen
        and {str(c).lower() for c in seen} not in _CONVENTIONAL_PAIRS
    )


def order_classes(
    seen: list[str], classes_of_interest: list[str], counts: dict[str, int] | None = None, catch_all: str | None = None
) -> list[str]:
    """Classes in a stable order: others sorted, then classes of interest (so for a binary
    task the class of interest is index 1 and a sigmoid output is P(class of interest)). A
    binary task without a class of interest puts the class that is not ``catch_all``
    (``data.other_class``) at index 1, else keeps a conventional pair's order (0 / 1), else
    puts its rarer class there (``counts``: each class's rows or cases; a tie sorts by name):
    the positive class whose PR-AUC and threshold a run reports was the one later in the
    alphabet, e.g. an 83 % ``normal`` over a 17 % ``anomaly``."""
    rest = sorted(c for c in seen if c not in classes_of_interest)
    if len(seen) == 2 and catch_all in rest:
        rest = [catch_all, *(c for c in rest if c != catch_all)]
    elif counts and _by_rarity(seen, classes_of_interest, catch_all):
        rest.sort(key=lambda c: -int(counts.get(c, 0)))  # stable: a tie keeps the names' order
    return rest + [c for c in classes_of_interest if c in seen]


def positive_class_note(classes: list[str], counts: dict[str, int], cfg: DataConfig, unit: str) -> list[str]:
    """The note that says which class a binary task scores as its positive one where its rarity
    chose it (:func:`order_classes`), and how to choose another."""
    if not counts or not _by_rarity(classes, cfg.classes_of_interest, cfg.other_class):
        return []
    pos, total = classes[1], sum(int(counts.get(c, 0)) for c in classes) or 1
    return [
        f"two classes and no data.classes_of_interest: {pos!r}, the rarer ({int(counts.get(pos, 0)) / total:.0%} "
        f"of the {unit}), is the positive class that PR-AUC, the decision threshold and a sweep's ranking "
        f"follow; set data.classes_of_interest: [{classes[0]}] to score the other one"
    ]


def check_interest_mapped(cfg: DataConfig) -> None:
    """Each class of interest must be a class after ``data.class_map``: with a map or a
    ``data.other_class``, a raw label that is no target of the map goes to the catch-all (or is
    refused), so a class of interest outside the map's targets can never be a class. Refused
    before any data are read; the run said only "only 1 class (['other'])" after reading them all."""
    if cfg.kind == "text" or not (cfg.class_map or cfg.other_class):
        return
    check_class_names_distinct(cfg)
    targets = sorted(set(cfg.class_map.values()))
    for c in cfg.classes_of_interest:
        if c in targets or c == cfg.other_class:
            continue
        goes = (
            f"data.class_map maps it to {cfg.class_map[c]!r}"
            if c in cfg.class_map
            else f"it is not in data.class_map, so its labels go to data.other_class {cfg.other_class!r}"
            if cfg.other_class
            else "it is not in data.class_map, whose unmapped labels are refused"
        )
        near = closest_label(c, [*targets, *([cfg.other_class] if cfg.other_class else [])])
        fix = (
            f"did you mean {near!r}? Name the class as the map writes it: data.classes_of_interest: [{near}]"
            if near is not None
            else f"add `{c}: {c}` to data.class_map, or name one of its classes in data.classes_of_interest"
        )
        raise DataError(
            f"data.classes_of_interest names {c!r}, which is no class after data.class_map: {goes} "
            f"(the map's classes: {name_list(targets) if targets else 'none'}); {fix}"
        )


def check_class_names_distinct(cfg: DataConfig) -> None:
    """The task's class names (``data.class_map``'s targets and ``data.other_class``) must differ in
    more than case or surrounding spaces: ``play_solo: Other`` beside ``data.other_class: other``
    made two classes, 'Other' and 'other', silently. Refused before any data are read."""
    names = list(dict.fromkeys([*map(str, cfg.class_map.values()), *([cfg.other_class] if cfg.other_class else [])]))
    seen: dict[str, str] = {}
    for name in names:
        first = seen.setdefault(name.strip().casefold(), name)
        if first == name:
            continue
        where = (
            "data.class_map's target and data.other_class"
            if cfg.other_class in (first, name)
            else "two targets of data.class_map"
        )
        keys = ", ".join(f"{k!r}" for k, v in cfg.class_map.items() if v in (first, name))
        raise DataError(
            f"{where} name the classes {first!r} and {name!r}, which differ only in case or spaces: they would "
            f"be two classes (data.class_map keys {keys}); write the class one way in data.class_map"
            + (" and data.other_class" if "other_class" in where else "")
        )


def interest_note(classes: list[str], cfg: DataConfig) -> list[str]:
    """With more than one class of interest, which one the run follows: the decision threshold,
    the headline and a binary sweep's ranking are one class's (a binary task's positive class; else
    the first listed, as stage 03 picks it), the others are scored per class only; a multi-class
    sweep ranks by balanced accuracy over all classes. Unsaid, the second class looked as followed
    as the first."""
    named = [c for c in cfg.classes_of_interest if c in classes]
    if len(named) < 2:
        return []
    if len(classes) == 2:
        pos, other = classes[1], classes[0]
        return [
            f"data.classes_of_interest names both classes: {pos!r}, the positive class, is the one the decision "
            f"threshold, the headline PR-AUC and a sweep's ranking follow; {other!r} is scored per class; name "
            "only the class to follow"
        ]
    first, rest = named[0], named[1:]
    verb, own = ("is", "its") if len(rest) == 1 else ("are", "their")
    return [
        f"data.classes_of_interest names {len(named)} classes: {first!r}, listed first, is the one the decision "
        f"threshold and the headline (its precision, recall and bouts) follow, and its PR-AUC stands beside the "
        f"macro average in the key metrics; {', '.join(map(repr, rest))} {verb} scored per class (PR-AUC, "
        f"precision, recall, bouts) without a threshold of {own} own; a sweep ranks these runs by validation "
        f"balanced accuracy over the classes validation holds (all {len(classes)} where it holds each); list the "
        "class to follow first"
    ]
