"""Absolute paths out of a run's pages (report, slides, the index's failure reasons).

A run's outputs hold absolute paths: the run directory, its parent, the project checkout, the
parameters' paths (``data.path``). :func:`scrub_paths` replaces each by what a reader of the
pages can use -- the run's name, a path relative to the project -- and only where the text names
that path itself or something inside it: a path continues after it with a separator or ends
there (end of text, a quote, a space, punctuation). A plain string replacement also rewrote the
start of a sibling folder's name: with the checkout at ``/tmp/rvB``, ``/tmp/rvB_proj/configs/tiny.yaml``
became ``._proj/configs/tiny.yaml``.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from lstm_helpers.artifacts import flatten, read_params
from lstm_helpers.config import PROJECT_ROOT
from lstm_helpers.runs.terminal import page_path

_NAME = r"-\w~+@%"  # characters that continue a file name ('.' too, where one of these follows it)
_BEFORE = rf"(?<![{_NAME}.])"  # not the tail of a longer name: /data/tmp/x holds no /tmp/x
_AFTER = rf"(?![{_NAME}]|\.[{_NAME}.])"  # /tmp/x, /tmp/x/y, "/tmp/x." at a sentence's end; not /tmp/x_y, /tmp/x.bak


@lru_cache(maxsize=64)
def _pattern(bases: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern for every path, longest first: where a longer one does not end at a path's
    boundary, a shorter one that does still matches."""
    return re.compile(_BEFORE + "(" + "|".join(map(re.escape, bases)) + ")" + _AFTER)


def scrub_paths(text: str, run: Path, pairs: list[tuple[str, str]] | None = None) -> str:
    """Absolute paths replaced by the run name / paths relative to the project (``pairs`` from
    :func:`path_replacements`, read from ``run`` when not given), each only as a whole path or a
    path's leading folders, never the start of a longer name."""
    table = dict(pairs if pairs is not None else path_replacements(run))
    table.pop("", None)  # "/" stripped of its slash: it would match everywhere
    if not any(base in text for base in table):  # most lines name none: no pattern to run
        return text
    return _pattern(tuple(table)).sub(lambda m: table[m.group(1)], text)


def path_replacements(run: Path) -> list[tuple[str, str]]:
    """Absolute paths a run's outputs may hold (the run, its parent, the project, absolute paths
    in its parameters such as ``data.path``), longest first, with what to show instead."""
    run = Path(run).resolve()
    pairs = {
        str(run): run.name,
        str(run.parent): page_path(run.parent),
        str(PROJECT_ROOT.resolve()): ".",
    }
    params = flatten(read_params(run))
    project = _run_project(run, params.get("run.reports_dir"))
    for value in params.values():
        if isinstance(value, str) and value.startswith("/"):
            pairs[value.rstrip("/")] = _as_configured(value, run, project)
    return sorted(pairs.items(), key=lambda kv: -len(kv[0]))


def _run_project(run: Path, reports_dir: object) -> Path | None:
    """The folder the run's ``run.reports_dir`` lies in, where the run lies below it: the project a
    relative ``data.path`` was typed in (``reports`` for ``<project>/reports/<run>`` or a sweep's
    ``<project>/reports/sweeps/<id>/<run>``); None for a run written elsewhere (``--out``)."""
    if not isinstance(reports_dir, str) or not reports_dir:
        return None
    rd = Path(reports_dir)
    if rd.is_absolute():
        rd = rd.resolve()
        return rd.parent if rd in run.parents else None
    if ".." in rd.parts or not rd.parts:
        return None
    n = len(rd.parts)
    return next((Path(*a.parts[:-n]) for a in run.parents if len(a.parts) > n and a.parts[-n:] == rd.parts), None)


def _as_configured(path: str, run: Path, project: Path | None) -> str:
    """An absolute parameter path (``data.path``) as the pages show it. Inside the run's project
    (:func:`_run_project`): relative to the project, as the config gave it (``data/small``); made
    relative to the run directory, ``../../data/small`` named nothing once the run was copied
    elsewhere, while the page still showed it. Outside: relative to the run directory, where the
    pages lie, when at most four levels up (the project's neighbours; it was relative to where the
    command ran, so "recordings from ../revA_data/rec" led nowhere from the report); else
    :func:`page_path`'s last two parts."""
    target = Path(path).resolve()
    if project is not None and target.is_relative_to(project) and target != project:
        return target.relative_to(project).as_posix()
    rel = os.path.relpath(target, run)
    return rel if Path(rel).parts.count("..") <= 4 else page_path(path)
