"""Whether a model and its MiniRocket baseline can be told apart, in one rule that the
comparison page and both decks (a run's, a sweep's) state alike: the gap between their
*validation* figures (the split that ranks; test figures are reported, never used to judge)
against what the validation split can resolve.

A sweep's page read a baseline 0.010 ahead as "the LSTM does not earn its keep" while its deck
set the test figures side by side and read as the model winning; 0.010 was one validation
sequence of 82. A gap within twice the validation figure's standard error, or within what two
validation windows can move it by, is said to be level: the two cannot be told apart there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lstm_helpers.artifacts import read_json_optional
from lstm_helpers.data.units import WINDOWS, example_unit
from lstm_helpers.judge.validation_notes import headline_key, pr_auc_is_macro, resolution_on_test
from lstm_helpers.layout import RunLayout

WINDOWS_THAT_TIE = 2  # a gap two validation windows can close is no verdict


def _supports(section: dict[str, Any]) -> list[int]:
    """The per-class counts of one split (classes absent from it left out)."""
    return [int(c["support"]) for c in (section.get("per_class") or {}).values() if c.get("support")]


def split_size(section: dict[str, Any]) -> int | None:
    """How many examples one split of metrics.json scored (``n``, else the sum of its per-class supports)."""
    n = section.get("n") or sum(_supports(section))
    return int(n) if n else None


def one_window_step(metric: str, section: dict[str, Any], positive: str | None) -> float | None:
    """The most one validation example can move ``metric`` by: a mean over K classes (balanced
    accuracy, a macro PR-AUC) 1 / (K x the smallest class); a class's own PR-AUC 1 / its
    support; anything else 1 / n (None where the split's size is unknown)."""
    supports, n = _supports(section), split_size(section)
    if metric == "balanced_accuracy" or (metric == "pr_auc" and positive is None):
        return 1.0 / (len(supports) * min(supports)) if supports else None
    if metric == "pr_auc":
        s = ((section.get("per_class") or {}).get(positive) or {}).get("support")
        return 1.0 / int(s) if s else None
    return 1.0 / n if n else None


def _macro_resolution(section: dict[str, Any]) -> float | None:
    """Twice the standard error of a macro PR-AUC: each class's average precision read as a
    binomial figure over its support, as :func:`resolution_on_test` reads balanced accuracy."""
    ap, per = section.get("pr_auc_per_class") or {}, section.get("per_class") or {}
    pairs = [(ap[c], (per.get(c) or {}).get("support")) for c in ap if ap[c] is not None]
    pairs = [(float(p), int(s)) for p, s in pairs if s]
    if not pairs:
        return None
    return 2 * math.sqrt(sum(max(p * (1 - p), 1.0 / s) / s for p, s in pairs)) / len(pairs)


def validation_resolution(metric: str, sections: list[dict[str, Any]], positive: str | None) -> float | None:
    """The smallest gap on ``metric`` (a bare name: ``balanced_accuracy``) that the validation
    split tells apart, over the model's and the baseline's validation ``sections`` (the same
    examples): twice the figure's standard error where it has a binomial reading, and never less
    than :data:`WINDOWS_THAT_TIE` examples' worth. ``positive``: the class whose own PR-AUC
    ``pr_auc`` is (None: a macro average). None where the split's size is unknown."""
    found = []
    for s in sections:
        if positive is None and metric == "pr_auc":
            found.append(_macro_resolution(s))
        else:
            found.append(resolution_on_test(metric, s | ({"positive_class": positive} if positive else {})))
        step = one_window_step(metric, s, positive)
        found.append(None if step is None else WINDOWS_THAT_TIE * step)
    known = [r for r in found if r is not None]
    return max(known) if known else None


@dataclass(frozen=True)
class Verdict:
    """The model against its baseline on one validation ``metric`` (a bare name)."""

    metric: str
    model: float
    baseline: float
    resolution: float | None  # None: the validation split's size is unknown (an older run)
    n: int | None
    unit: str

    @property
    def gap(self) -> float:
        """How far the baseline is ahead (negative: behind), higher being better."""
        sign = -1.0 if self.metric.endswith("loss") else 1.0
        return sign * (self.baseline - self.model)

    @property
    def side(self) -> str:
        """``ahead`` (the baseline is better), ``behind`` or ``level`` (no verdict: the gap is within
        what validation resolves, or rounds to 0.000)."""
        tol = max(self.resolution or 0.0, 0.0005)
        return (
            "level"
            if abs(self.gap) < tol or math.isclose(abs(self.gap), tol)
            else "ahead"
            if self.gap > 0
            else "behind"
        )

    def words(self, who: str = "the best run") -> str:
        """Plain text: ``level with the best run on validation: the gap of 0.010 is within what
        82 validation sequences resolve (±0.110), so the two cannot be told apart``."""
        gap = f"{abs(self.gap):.3f}"
        within = (
            f"what {self.n:,} validation {self.unit} resolve (±{self.resolution:.3f})"
            if self.resolution is not None and self.n
            else ""
        )
        if self.side == "level":
            why = f": the gap of {gap} is within {within}, so the two cannot be told apart" if within else ""
            return f"level with {who} on validation{why}"
        beyond = f", beyond {within}" if within else ""
        if self.side == "ahead":
            return f"ahead of {who} by {gap} on validation{beyond}: the LSTM does not earn its keep here yet"
        return f"behind {who} by {gap} on validation{beyond}"


def _positive(m: dict[str, Any], key: str) -> str | None:
    """The class whose own PR-AUC ``key`` is (None: any other metric, or a macro average)."""
    if key != "pr_auc" or pr_auc_is_macro(m):
        return None
    classes = m.get("classes") or []
    return m.get("positive_class") or next(iter(m.get("classes_of_interest") or classes[1:]), None)


def verdict(metric: str, model: float, baseline: float, run: Path | str | None) -> Verdict:
    """The model's and the baseline's validation figures on ``metric`` (a bare name or
    ``val_``-prefixed), judged against what ``run``'s validation split resolves (its
    metrics.json and prepare.json; unknown where they cannot be read)."""
    lay = RunLayout(Path(run)) if run else None
    m = read_json_optional(lay.metrics) if lay else {}
    unit = example_unit(read_json_optional(lay.prepare_json)) if lay else WINDOWS
    return metrics_verdict(m, metric, model, baseline, unit)


def metrics_verdict(m: dict[str, Any], metric: str, model: float, baseline: float, unit: str = "windows") -> Verdict:
    """:func:`verdict` from a run's metrics.json ``m`` itself (its validation sections say what
    the split resolves; stage 03's notes judge the run so before the file is written)."""
    key = metric.removeprefix("val_")
    val, bval = m.get("val") or {}, (m.get("baseline") or {}).get("val") or {}
    sections = [s for s in (val, bval) if s]
    return Verdict(
        key,
        float(model),
        float(baseline),
        validation_resolution(key, sections, _positive(m, key)) if sections else None,
        split_size(val) if val else None,
        unit,
    )


def run_verdict(run: Path | str, metric: str | None = None) -> Verdict | None:
    """The verdict of ``run`` (its metrics.json) on the validation ``metric`` (a bare name or
    ``val_``-prefixed; default: the metric stage 03 judges the run by,
    :func:`~lstm_helpers.judge.validation_notes.headline_key`); None without a baseline or
    without both validation figures."""
    m = read_json_optional(RunLayout(Path(run)).metrics)
    b = m.get("baseline") or {}
    if not b or b.get("available") is False:
        return None
    key = (metric or headline_key(m)).removeprefix("val_")
    own, base = (m.get("val") or {}).get(key), (b.get("val") or {}).get(key)
    return None if own is None or base is None else verdict(key, own, base, run)
