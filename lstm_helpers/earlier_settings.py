"""What a later stage notebook (02, 03) may not change: the settings an earlier stage already
used. Opened on a run, 02 may set ``model``, ``train`` and ``evaluate``, 03 ``evaluate`` only;
a knob, an ``overrides`` entry or another ``config_file`` that changes the windows or the model
would make params.yaml describe data or a model the run does not hold
(:func:`lstm_helpers.artifacts.open_run` calls these before anything is written)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lstm_helpers.artifacts import STAGES, flatten, run_name
from lstm_helpers.config import Config, ConfigError
from lstm_helpers.layout import STAGE_NOTEBOOKS


def _notebook(stage: str) -> str:
    return Path(STAGE_NOTEBOOKS[stage]).stem  # 02_train


def earlier_settings(old: Config, new: Config) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both configs as dotted keys, a class map or weights as one value each: what the two
    refusals of a later stage compare."""
    keep = ("class_map", "class_weight")
    return flatten(old.to_dict(), keep=keep), flatten(new.to_dict(), keep=keep)


def _where_set(knob: str, value: Any, by_overrides: bool) -> tuple[str, str]:
    """How a refusal names a setting the user gave (``set through ...``) and the way to leave it
    unset, as it was given: the notebook's knob parameter (``windows__length = None``) or an
    entry of its ``overrides`` parameter (papermill ``-p overrides '{"windows.length": 50}'``)."""
    if by_overrides:
        return f"overrides entry {knob!r}: {value!r}", f"leave {knob} out of overrides here"
    flat = knob.replace(".", "__")
    return f"{flat} = {value!r}", f"leave {flat} = None here"


def refuse_changed_earlier_settings(
    old: Config, new: Config, run_dir: Path, stage: str, asked: Iterable[str] = (), given: Iterable[str] = ()
) -> None:
    """A knob of 02 / 03 (the cell, papermill ``-p``, ``overrides``) may set what that stage and
    later ones read, not what an earlier stage already used (02: seed, data, split, windows,
    scale, resample; 03: also model and train): params.yaml would describe windows or a model
    the run does not hold. Refused, naming the setting, its value in the run and the notebook
    to run again; a setting the knobs name (``asked``) first, before those it changed in turn
    (``windows.length`` set clears ``windows.length_seconds``). ``given``: the keys of ``asked``
    that came through the ``overrides`` parameter, not a knob: the hint says to leave them out of it."""
    from lstm_helpers.unused import STAGE_SECTIONS

    before, after = earlier_settings(old, new)
    asked = {str(k).replace("__", ".") for k in asked}
    given = {str(k).replace("__", ".") for k in given}
    for earlier in STAGES[: STAGES.index(stage)]:
        changed = [k for k in after if k.split(".")[0] in STAGE_SECTIONS[earlier] and after[k] != before.get(k)]
        changed.sort(key=lambda k: not any(k == a or k.startswith(f"{a}.") for a in asked))
        if changed:
            k, more = changed[0], f" (and {len(changed) - 1} more)" if len(changed) > 1 else ""
            made = "prepared" if earlier == "prepare" else "trained"
            again = ", then ".join(_notebook(s) for s in STAGES[STAGES.index(earlier) :])
            cause = [a for a in sorted(asked) if a.split(".")[0] in STAGE_SECTIONS[earlier]]
            knob = k if k in asked or not cause else cause[0]
            set_by, unset = _where_set(knob, after.get(knob), knob in given)
            by = "" if knob == k else f" (set through {set_by})"
            raise ConfigError(
                f"{k} = {after[k]!r}{by}{more}: {run_name(run_dir)} was {made} by {_notebook(earlier)} with "
                f"{k} = {before.get(k)!r}, which {_notebook(stage)} only reads; to change it, set it in "
                f"{_notebook(earlier)} and run {again} again (or {unset})"
            )


def refuse_other_preparation(old: Config, new: Config, run_dir: Path, config_file: str | Path, stage: str) -> None:
    """Stages 02 / 03 read the windows stage 01 made (and 03 the model 02 trained): another
    config's settings of those would make params.yaml describe data or a model the run lacks."""
    from lstm_helpers.unused import STAGE_SECTIONS

    before, after = earlier_settings(old, new)
    sections = {sec for st in STAGES[: STAGES.index(stage)] for sec in STAGE_SECTIONS[st]}
    changed = [k for k in after if k.split(".")[0] in sections and after[k] != before.get(k)]
    if changed:
        raise ConfigError(
            f"config_file {config_file} differs from the settings {run_name(run_dir)} was made with "
            f"({', '.join(changed[:5])}{', ...' if len(changed) > 5 else ''}): leave config_file empty to use "
            "the run's own params.yaml, or run 01 again with this config"
        )
