"""What stage 02 made of the parameters a run asked for, beside them in the report's "All
parameters" table: ``params.yaml`` keeps what was asked (``auto`` stays ``auto``, so the
printed resume command is the run's own), ``train.json`` what was chosen or switched off."""

from __future__ import annotations

from typing import Any

_AUTO = {  # parameter -> train.json["budget"] key of the value chosen for it
    "train.epochs": "epochs",
    "train.batch_size": "batch_size",
    "train.early_stopping.patience": "patience",
    "train.schedule.patience": "plateau_patience",
}
_FINAL = ("train.early_stopping.enabled", "train.checkpoint")  # off where validation cannot rank epochs


def chosen_words(flat: dict[str, Any], train: dict[str, Any] | None) -> dict[str, str]:
    """Parameter -> what stage 02 did with it, for the values it chose or left unused:
    ``auto`` -> ``auto (20 chosen from the data)``; early stopping and the best-epoch checkpoint
    asked for but switched off because validation was too small to rank epochs -> ``true (not
    used: ...)``. Empty without ``train.json`` (stage 02 not run)."""
    if not train:
        return {}
    budget, out = train.get("budget") or {}, {}
    for key, field in _AUTO.items():
        if flat.get(key) == "auto" and budget.get(field) is not None:
            out[key] = f"auto ({budget[field]:g} chosen from the training windows; train.json)"
    if "early_stopping" not in (train.get("switches") or {}):
        why = "the run kept its final weights: validation too small to rank epochs (train.json budget)"
        out |= {key: f"true (not used: {why})" for key in _FINAL if flat.get(key) is True}
    return out
