"""Naming what a class or column name could have meant: the closest valid names first, then the
valid names themselves, whole (a list is shortened by whole names, never cut inside one)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

_LIST_CHARS = 300  # characters of valid names an error message lists before it counts the rest


def closest_names(name: str, names: Iterable[object], n: int = 3) -> list[str]:
    """Up to ``n`` of ``names`` most like ``name``, best first: the same but for case or
    surrounding spaces, then those that begin with it (or that it begins; ``wave`` for
    ``wave 👋``), ignoring case, then difflib's close matches of the case-folded names."""
    options = list(dict.fromkeys(str(v) for v in names))
    folded = {v: v.strip().casefold() for v in options}
    want = str(name).strip().casefold()
    same = [v for v in options if folded[v] == want]
    prefix = [v for v in options if want and folded[v] and (folded[v].startswith(want) or want.startswith(folded[v]))]
    by_folded: dict[str, str] = {}
    for v in options:
        by_folded.setdefault(folded[v], v)
    close = [by_folded[f] for f in difflib.get_close_matches(want, list(by_folded), n=n, cutoff=0.6)]
    return list(dict.fromkeys([*same, *prefix, *close]))[:n]


def name_list(names: Iterable[object], limit: int = _LIST_CHARS) -> str:
    """``names`` as a Python list of their reprs when that fits in ``limit`` characters; else as
    many whole names as fit, then how many there are in all (``['a', 'b', ...] (13 in all)``)."""
    shown = [repr(str(v)) for v in names]
    text = f"[{', '.join(shown)}]"
    if len(text) <= limit:
        return text
    kept: list[str] = []
    for item in shown:
        if kept and len(", ".join([*kept, item])) > limit:
            break
        kept.append(item)
    return f"[{', '.join(kept)}, ...] ({len(shown)} in all)"


def not_among(wanted: Iterable[object], names: Iterable[object], what: str, verb: str = "") -> str:
    """The end of a message for names that are not among ``names`` (``what`` says what those
    are: "the classes found"): each one with its closest valid names, then the valid names
    (:func:`name_list`), e.g. ``'wave' (closest: 'wave 👋') is not among the classes found (13):
    [...]``; ``verb`` replaces "is not among"."""
    names = list(names)
    parts = []
    for w in wanted:
        near = closest_names(str(w), names)
        hint = f" (closest: {', '.join(repr(v) for v in near)})" if near else ""
        parts.append(f"{str(w)!r}{hint}")
    verb = verb or ("is not among" if len(parts) == 1 else "are not among")
    return f"{'; '.join(parts)} {verb} {what} ({len(names)}): {name_list(names)}"


def missing_columns(path: object, missing: list[tuple[str, str]], present: list[str], hint: str = "") -> str:
    """The error for columns a setting names (``missing``: (setting, column) pairs, e.g.
    ``("data.channels[1]", "ay")``) that the table at ``path`` lacks: each with the table's
    closest columns, then the columns it has (:func:`name_list`), then ``hint``."""
    what = []
    for key, col in missing:
        near = closest_names(col, present)
        what.append(f"{col!r} ({key}{'; closest: ' + ', '.join(repr(v) for v in near) if near else ''})")
    return f"{path}: missing column(s) {', '.join(what)}; columns present: {name_list(present)}{hint}"
