"""What a run's examples are called wherever its figures are counted: ``windows`` cut from
recordings (or a text), ``sequences`` for pre-segmented sequences (an ``.npz``, a UEA file, a
long table with ``data.sequence_column``: one example per sequence, never cut into windows).

Read from ``prepare.json``'s ``input.data_kind``; the functions that word a run's notes and
tables take the word as ``unit`` (default ``windows``, what every run before sequences had)."""

from __future__ import annotations

from typing import Any

WINDOWS, SEQUENCES = "windows", "sequences"


def example_unit(prep: dict[str, Any] | None) -> str:
    """``sequences`` for a run on sequence data (``prepare.json``'s ``input.data_kind``; or its
    ``input`` section itself, as stage 03 holds it), else ``windows``.

    >>> example_unit({"input": {"data_kind": "sequences"}}), example_unit({"data_kind": "recordings"})
    ('sequences', 'windows')
    """
    prep = prep or {}
    kind = prep["data_kind"] if "data_kind" in prep else (prep.get("input") or {}).get("data_kind")
    return SEQUENCES if kind == SEQUENCES else WINDOWS


def metrics_unit(metrics: dict[str, Any]) -> str:
    """The unit ``metrics.json`` says its figures count (one written before it said: windows)."""
    return metrics.get("unit") or WINDOWS


def one(unit: str) -> str:
    """One of ``unit``: ``window``, ``sequence``."""
    return unit.removesuffix("s")
