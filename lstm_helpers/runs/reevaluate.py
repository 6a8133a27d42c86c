"""Judging a finished run again with other ``evaluate.*`` settings (a threshold strategy, a
precision floor, bout rules) without training it again: finished runs are never rewritten, so
``lstm-workbench evaluate --run <finished run> --set evaluate...`` judges a copy, a new run
directory holding the first run's prepared windows, model and training record, whose stage 03
then runs with the new settings (story 1: a precision / recall point chosen without a retrain).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from lstm_helpers.artifacts import write_yaml
from lstm_helpers.config import Config
from lstm_helpers.layout import RunLayout
from lstm_helpers.runs.pipeline import claim_run, new_run_dir, record_stages


def copy_for_evaluation(run: Path, cfg: Config, out: Path | None = None) -> Path:
    """A new run directory (``out``, or beside ``run`` named like it plus ``reevaluated``) with
    everything stages 01 and 02 of ``run`` wrote, ``cfg`` as its parameters and those two stages
    marked done. ``prepared.npz`` is hard-linked where the file system allows (it is only ever
    replaced whole, never written in place); the rest is copied."""
    lay = RunLayout(run)
    named = f"{cfg.run.name}_reevaluated" if cfg.run.name else "reevaluated"
    cfg = cfg.model_copy(update={"run": cfg.run.model_copy(update={"name": named})})
    new = claim_run(cfg, out) if out is not None else new_run_dir(cfg, root=run.parent)
    skip = {p.resolve() for p in (*lay.stage_outputs("evaluate"), lay.report, lay.slides, lay.status, lay.params)}
    for src in sorted(run.rglob("*")):
        rel = src.relative_to(run)
        if not src.is_file() or rel.parts[0].startswith(".") or {src.resolve(), *src.resolve().parents} & skip:
            continue
        dst = new / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            if src.resolve() != lay.prepared.resolve():
                raise OSError
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
    write_yaml(RunLayout(new).params, cfg.to_dict())
    record_stages(new, cfg, ["prepare", "train"])
    return new
