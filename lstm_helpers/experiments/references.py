"""External reference figures: a model measured elsewhere (another notebook, a paper) shown
beside the runs of a comparison, marked as external and never ranked.

A sweep file's ``references:`` and ``lstm-workbench compare --reference`` carry them::

    references:
      - name: CNN (earlier notebook)
        accuracy: 0.8785
        seconds_per_epoch: 14
        note: their own split, not this one
        classes: {play: {f1: 0.61}}   # a class's precision / recall / f1

A figure's name is one of the comparison table's (:mod:`lstm_helpers.experiments.columns`): a
score (``accuracy``, ``balanced_accuracy``, ``mcc``, ``pr_auc``, ``roc_auc``,
``top_k_accuracy``; shares in [0, 1], MCC in [-1, 1]), a class's ``precision`` / ``recall`` /
``f1``, or a cost (``n_params``, ``seconds_per_epoch``, ``total_seconds``). A score sits in the
table's test column (``accuracy`` -> ``test_accuracy``): what that model scored on data it held
out, which need not be this tool's test split. A reference has no validation figure, so it
is never ranked nor chosen best (choices are made on this tool's validation metrics).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model, model_validator

from lstm_helpers.config import ConfigError
from lstm_helpers.experiments.columns import PER_CLASS, SCORES, TIME_COLUMNS, class_column

# a model's scores; the majority-class accuracy is a property of the data, not of a model
REFERENCE_SCORES = tuple(s for s in SCORES if s != "majority_baseline_accuracy")
# what the model cost, as the story counts it: size and time (not this tool's run bookkeeping)
REFERENCE_COSTS = tuple(c for c in TIME_COLUMNS if c in ("n_params", "seconds_per_epoch", "total_seconds"))
REFERENCE_STATUS = "reference, not run here"  # its status cell, and its mark where a table names it
MARKER = "its data and split may differ"


def _share(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        hint = f"; a percent is written as a share: {value:g} % is {value / 100:g}" if 1 < value <= 100 else ""
        raise ValueError(f"{value:g} is outside [0, 1]{hint}")
    return value


def _correlation(value: float) -> float:
    if not -1.0 <= value <= 1.0:
        raise ValueError(f"{value:g} is outside [-1, 1] (MCC)")
    return value


Share = Annotated[float, AfterValidator(_share)]


class _Figures(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


ClassFigures = create_model(
    "ClassFigures",
    __base__=_Figures,
    __doc__="One class's figures of a reference (precision / recall / f1).",
    **{m: (Share | None, None) for m in PER_CLASS},
)


class _ReferenceBase(_Figures):
    name: str = Field(min_length=1, max_length=80)
    note: str | None = Field(None, max_length=300)
    n_params: int | None = Field(None, gt=0)
    seconds_per_epoch: float | None = Field(None, gt=0)
    total_seconds: float | None = Field(None, gt=0)
    classes: dict[str, ClassFigures] = Field(default_factory=dict)  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _some_figure(self) -> _ReferenceBase:
        if not self.figures():
            raise ValueError(f"no figure; give one or more of {', '.join(REFERENCE_SCORES + REFERENCE_COSTS)}, classes")
        return self

    def figures(self) -> dict[str, float]:
        """The reference's figures by comparison column: ``test_accuracy``, ``test_play_f1``, ``n_params``."""
        out = {f"test_{s}": getattr(self, s) for s in REFERENCE_SCORES if getattr(self, s, None) is not None}
        for c, figs in self.classes.items():
            out |= {f"test_{class_column(c, m)}": v for m, v in figs.model_dump(exclude_none=True).items()}
        return out | {c: getattr(self, c) for c in REFERENCE_COSTS if getattr(self, c) is not None}

    def record(self) -> dict[str, Any]:
        """As written to sweep.json / comparison.json (what was given, nothing else)."""
        return self.model_dump(exclude_none=True, exclude_defaults=True)


ReferenceSpec = create_model(
    "ReferenceSpec",
    __base__=_ReferenceBase,
    __doc__="A model measured elsewhere: its name, figures and an optional note.",
    **{s: ((Annotated[float, AfterValidator(_correlation)] if s == "mcc" else Share) | None, None)
       for s in REFERENCE_SCORES},
)  # fmt: skip


def merged(*groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Reference records of several origins (the sweep file's, then ``--reference``): one per
    name, a later one replacing an earlier of the same name in its place."""
    out: dict[str, dict[str, Any]] = {}
    for group in groups:
        for r in group:
            out[str(r["name"])] = r
    return list(out.values())


def reference_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The comparison-table rows of reference records: the name in ``run``, the figures in
    their columns, the status saying it was not run here, and its ``note`` (or the marker): a
    column of its own, not a run's ``reason`` (why a run failed)."""
    rows = []
    for r in records:
        ref = ReferenceSpec.model_validate(r)
        rows.append(
            {"run": ref.name, **ref.figures(), "status": REFERENCE_STATUS, "note": ref.note or MARKER}  # type: ignore[attr-defined]
        )
    return rows


def check_reference_classes(
    references: list[dict[str, Any]], classes: list[str], label: Callable[[dict[str, Any]], str],
    shown: list[str] | None = None,
) -> None:  # fmt: skip
    """A reference's class figures (``classes: {play: {f1: ...}}``, ``play_f1:``) must name one
    of the runs' ``classes`` and, given ``shown``, one the comparison shows figures of (the
    classes of interest): any other has no column, and its figure was dropped from every table
    without a word. ``label(record)`` names the reference in the ConfigError."""
    for r in references:
        for c in r.get("classes") or {}:
            if c not in classes:
                raise ConfigError(
                    f"{label(r)}: class '{c}' is not a class of the runs compared (their classes: "
                    f"{', '.join(map(str, classes))}); its figure would stand in no table"
                )
            if shown is not None and c not in shown:
                raise ConfigError(
                    f"{label(r)}: the comparison shows the figures of the runs' classes of interest "
                    f"({', '.join(map(str, shown))}), not of class '{c}'; its figure would stand in no table"
                )
