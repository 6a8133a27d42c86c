"""Whose weights a run's ``model.keras`` holds, in the words its report uses: the comparison's
``weights`` column and the deck's "What was tried" say it alike.

The comparison showed train.json's ``best_epoch`` (17) for runs that keep their final weights
(epoch 20: the one-cycle recipe on a validation split too small to rank epochs) or average
several members: the epoch the monitor liked best, not the weights that were scored.
"""

from __future__ import annotations

from typing import Any


def weights_kept(t: dict[str, Any]) -> str | None:
    """``final (epoch 20)``, ``epoch 17 of 20`` (the epoch early stopping's checkpoint chose),
    ``final (epoch 20) of 5 models, averaged`` or ``5 models averaged, the first from epoch 17 of 20``
    (each member trains with its own early stopping) from a run's train.json ``t``; None before
    training has finished. A run from before ``weights_epoch`` was recorded: its best epoch,
    which early stopping then always restored."""
    run = t.get("epochs_run")
    kept = t.get("weights_epoch") or t.get("best_epoch") or run
    if not run or not kept:
        return None
    members = int(t.get("ensemble") or 1)
    final = int(kept) == int(run)
    if members > 1:
        return (
            f"final (epoch {run}) of {members} models, averaged"
            if final
            else f"{members} models averaged, the first from epoch {kept} of {run}"
        )
    return f"final (epoch {run})" if final else f"epoch {kept} of {run}"
