"""Checks of a sweep's inputs before any run directory exists (a missing file or column fails
every run of a local sweep, so it is said at once)."""

from __future__ import annotations

import json
from typing import Any

from lstm_helpers.experiments.plan import Sweep


def check_sweep_inputs(sweep: Sweep) -> None:
    """Each distinct data section's files (DataError naming file and column), and each run's
    class weights by name, before any run directory exists: recordings by their headers and
    recording column (one window must fit a recording), a sequence file, a table or a text read
    whole, as stage 01 will. A Dask sweep skips it: its data lives on the workers."""
    from lstm_helpers.data.checks import check_class_weight_names, check_token_settings, check_train_settings
    from lstm_helpers.data.inputs import anchored
    from lstm_helpers.experiments.references import check_reference_classes
    from lstm_helpers.runs.pipeline import validate_inputs

    classes: dict[str, list[str] | None] = {}  # per data section: its classes (None: headers only)
    first: dict[str, Any] = {}  # per data section: its first run's (anchored) parameters
    for run in sweep.runs:
        cfg = anchored(run.config)
        key = json.dumps([cfg.data.model_dump(mode="json"), cfg.window_length, cfg.split.model_dump()], sort_keys=True)
        if key not in classes:
            classes[key] = validate_inputs(cfg, read_rows=False)
        check_class_weight_names(classes[key], cfg)
        check_train_settings(classes[key], cfg)
        check_token_settings(cfg)
        first.setdefault(key, cfg)
    refs = [r.record() for r in sweep.spec.references]
    if any(r.get("classes") for r in refs):  # a class figure no table has a column for: refused, not dropped
        # (recordings read by their headers only: read whole, as stage 01 will, to know their classes)
        known = [c for key, cs in classes.items() for c in (cs if cs is not None else validate_inputs(first[key]))]
        label = f"sweep file {sweep.file}: references"
        check_reference_classes(refs, list(dict.fromkeys(known)), lambda r: f"{label} (entry '{r['name']}')")
