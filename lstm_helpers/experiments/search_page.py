"""A search's part of its comparison page (notebooks/04_compare.ipynb): the trials table
(``trials.csv`` tidied to read) and the answer sentence that opens the page (the trials, the
best one's searched values, what the full run of that configuration scored)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from lstm_helpers.experiments.html_tables import esc
from lstm_helpers.experiments.labels import as_labels as _as_labels
from lstm_helpers.experiments.plan import short_keys
from lstm_helpers.experiments.progress import plural
from lstm_helpers.layout import SweepLayout
from lstm_helpers.style import SKLEARN_AP, during_training, significant_decimals


def search_trials(directory: Path | None) -> pd.DataFrame | None:
    """A search's trials (``trials.csv``), best first by their validation objective, tidied to
    read: the objective named in the score column, the best epoch counted from 1, booleans as
    in the config, the status only where a trial did not complete. None for a sweep."""
    path = SweepLayout(directory).trials if directory else None
    if path is None or not path.is_file():
        return None
    t = pd.read_csv(path)
    if t.empty or "score" not in t:
        return t
    objective = str(t["objective"].iloc[0]) if "objective" in t else "score"
    t = t.sort_values("score", ascending=bool((t.get("direction") == "min").any()), na_position="last")
    if "status" in t:  # a diverged trial (experiments/trials.py) is ranked after the completed ones
        t = t.sort_values("status", key=lambda s: s.eq("DIVERGED"), kind="stable")
    if "best_step" in t:  # trials.csv of an earlier version: KerasTuner's step, counted from 0
        t = t.rename(columns={"best_step": "best_epoch"})
        t["best_epoch"] = pd.to_numeric(t["best_epoch"], errors="coerce") + 1
    if "best_epoch" in t:
        t["best_epoch"] = pd.to_numeric(t["best_epoch"], errors="coerce").astype("Int64")
        if "continues" not in t and "trial" in t:  # written before hyperband continuations were counted
            t = _continued(t, Path(directory) / "tuner")
    if "status" in t and (t["status"] == "COMPLETED").all():
        t = t.drop(columns="status")
    searched = [c for c in t if "." in str(c)]
    for c in searched:
        if set(t[c].astype(str)) <= {"True", "False"}:
            t[c] = t[c].astype(str).str.lower()
    t = t.drop(columns=[c for c in ("objective", "direction") if c in t])
    t = t.rename(columns={"score": f"{objective} (best epoch)", "best_epoch": "best epoch"})
    for c in [c for c in searched if t[c].dtype.kind == "f" and _wide(t[c])]:  # 1e+06 beside 0.001
        t[c] = t[c].map(lambda v: f"{v:.3g}")
    # searched values (a learning rate 0.00145) at three significant digits, not three decimals
    t.attrs["decimals"] = {c: significant_decimals(t[c]) for c in searched if t[c].dtype.kind == "f"}
    t.attrs["objective"] = objective
    return t


def _continued(t: pd.DataFrame, tuner: Path) -> pd.DataFrame:
    """A trials.csv written before continuations were counted (its hyperband trials' best epoch
    counted from the epoch they went on from): the best epoch from the trial's first epoch and
    the trial it continues, read from KerasTuner's own ``trial.json`` files (plain JSON)."""
    import json

    starts: dict[int, tuple[int, str]] = {}
    for f in sorted(tuner.glob("*/trial_*/trial.json")) + sorted(tuner.glob("trial_*/trial.json")):
        try:
            state = json.loads(f.read_text())
            values = state["hyperparameters"]["values"]
            number = int(state["trial_id"]) + 1
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if values.get("tuner/trial_id") is not None:
            start = int(values.get("tuner/initial_epoch") or 0)
            starts[number] = (start, f"trial {int(values['tuner/trial_id']) + 1} from epoch {start + 1}")
    if not starts:
        return t
    rows = t["trial"].map(lambda n: starts.get(int(n)) if pd.notna(n) else None)
    t = t.assign(best_epoch=t["best_epoch"] + rows.map(lambda r: r[0] if r else 0).astype("Int64"))
    return t.assign(continues=rows.map(lambda r: r[1] if r else None))


def _wide(values: pd.Series) -> bool:
    """Searched values too far apart for one number of decimals (1,000,000.00000 beside 0.00100)."""
    sizes = values.abs()[values.abs() > 0].dropna()
    return not sizes.empty and (sizes.max() >= 1e4 or sizes.max() / sizes.min() >= 1e4)


def search_sentence(c: Any, trials: pd.DataFrame) -> str:
    """A search's answer: how many trials, what ranked them, the best trial's settings, and
    what the full run of that configuration scored (test reported, never used to choose)."""
    objective = trials.attrs.get("objective", "score")
    score = f"{objective} (best epoch)"
    if trials.empty or score not in trials or trials[score].isna().all():
        return f"{plural(len(trials), 'trial')}; none finished with a score, so no configuration was run in full."
    top = trials.iloc[0]
    searched = [k for k in c.meta.get("keys", []) if k in trials]
    short = short_keys(searched)
    settings = " · ".join(f"{short[k]}={_setting(trials[k]).loc[top.name]}" for k in searched)
    from lstm_helpers.experiments.display import _test_of, baseline_sentence  # display imports this module
    from lstm_helpers.experiments.trials import record_sentence  # cut short, trials diverged

    said = record_sentence(c.directory)
    out = (
        (f"{esc(said)} " if said else "")
        + f"{plural(len(trials), 'trial')}, ranked by <b>{esc(objective)}</b>{esc(during_training(objective))} "
        "on the validation split at each "
        f"trial's best epoch. Best: trial {esc(top['trial'])}, {esc(objective)} = {esc(top[score])}, with "
        f"<code>{esc(settings)}</code>."
    )
    best, q = c.best(), c.rank_by
    if best is not None and q is not None:
        test_q = _test_of(q)
        test = f", {esc(test_q)} = {esc(best[test_q])} (test split: reported, never used to choose)"
        run = Path(str(best.get("run_dir")))
        link = (
            f' (<a href="{esc(run.name)}/report.html">its report</a>)'
            if c.directory and run.parent == Path(c.directory).resolve() and (run / "report.html").is_file()
            else ""
        )
        out += (
            f" That configuration then ran through the whole pipeline with its own budget{link}: "
            f"{esc(q)}{' (' + esc(SKLEARN_AP) + ')' if q.endswith('pr_auc') else ''} = {esc(best[q])}"
            f"{test if test_q in best else ''}. {baseline_sentence(best, q)}"
        )
    return out.strip()


def _setting(values: pd.Series) -> pd.Series:
    """Searched values as labels, floats at three significant digits (a learning rate 0.00905)."""
    if values.dtype.kind == "f" and (values != values.round()).any():
        return values.map(lambda v: f"{v:.3g}")
    return _as_labels(values)
