"""Sweep and search directories as groups of runs: each one's run records (with its searched or
swept keys, title and description), whether a set of runs is all of one group's, and the
group among the directories given to ``compare``.

A search's records carry what its own page was drawn from (:func:`records_from_search`), so
``compare <search dir>`` draws that page again as the search drew it, as ``compare <sweep
dir>`` does for a sweep (its ``sweep.json`` records: :func:`~lstm_helpers.experiments.resume.records_from_sweep`).
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import yaml

from lstm_helpers.artifacts import read_json_optional, shown
from lstm_helpers.experiments.plan import group_title
from lstm_helpers.experiments.resume import records_from_sweep, run_dirs_in, run_status
from lstm_helpers.layout import SweepLayout

SEARCH_ID = "search_id.txt"  # ``<file stem>-<hash>`` (experiments.search's marker)
SEARCH_RECORD = "search_record.json"  # experiments.trials.RECORD: the chosen trial's fingerprint


def is_sweep(d: Path) -> bool:
    return SweepLayout(d).plan.is_file()


def is_search(d: Path) -> bool:
    return SweepLayout(d).trials.is_file()


def is_group(d: Path) -> bool:
    """A sweep's (sweep.json) or search's (trials.csv) directory."""
    return is_sweep(d) or is_search(d)


def search_title(d: Path) -> str:
    """``Search hb4`` for the search of ``hb4.yaml``: the stem its ``search_id.txt`` starts with
    (the folder's name where the marker is missing), as the search titled its page."""
    marker = Path(d) / SEARCH_ID
    held = marker.read_text().strip() if marker.is_file() else ""
    return group_title("Search", held.rsplit("-", 1)[0] if "-" in held else Path(d).name)


def _search_file(d: Path) -> dict[str, Any]:
    """The search file the search copied into its folder (``search.yaml``), {} when unreadable."""
    try:
        spec = yaml.safe_load((Path(d) / "search.yaml").read_text())
    except (OSError, yaml.YAMLError):
        return {}
    return spec if isinstance(spec, dict) else {}


def records_from_search(d: Path) -> list[dict[str, Any]]:
    """The run records of a search directory as the search wrote its page from them: each run
    with the searched keys (its ``space``), the search's title and description, and the
    variant ``best`` for the run of the configuration the search chose (``earlier best`` for a
    best run of an earlier pass, kept in the folder)."""
    d = Path(d).resolve()
    spec = _search_file(d)
    keys = list(spec.get("space") or {})
    shared = {"title": search_title(d), "description": spec.get("description")}
    best = (read_json_optional(d / SEARCH_RECORD).get("best") or {}).get("fingerprint")
    runs = run_dirs_in(d)
    out = []
    for run in runs:
        chosen = len(runs) == 1 or not best or run_status(run).get("fingerprint") == best
        out.append(
            {"run_dir": str(run), "variant": "best" if chosen else "earlier best", "sweep": shared}
            | ({"keys": keys} if keys else {})
        )
    return out


def records_of_group(d: Path) -> list[dict[str, Any]]:
    """A sweep's or search's run records; [] for any other folder."""
    return records_from_sweep(d) if is_sweep(d) else records_from_search(d) if is_search(d) else []


def whole_group(records: list[dict[str, Any]]) -> bool:
    """The records are every run of one sweep (its sweep.json's) or search, not some of them."""
    runs = {Path(r["run_dir"]).resolve() for r in records}
    parents = {d.parent for d in runs}
    if len(parents) != 1 or not is_group(next(iter(parents))):
        return False
    return runs == {Path(r["run_dir"]).resolve() for r in records_of_group(next(iter(parents)))}


def own_group(dirs: list[str | Path], records: list[dict[str, Any]], collect: Any) -> Path | None:
    """The one sweep or search directory among ``dirs`` when the runs compared are exactly its
    own (``compare <sweep>``: its comparison is drawn again in place); None for runs of several
    origins, which would replace the sweep's record with one its slides and index do not tell.
    ``collect``: the comparison's :func:`~lstm_helpers.experiments.compare.collect_runs`."""
    groups = {Path(d).resolve() for d in dirs if is_group(Path(d))}
    if len(groups) != 1:
        return None
    (group,) = groups
    return group if {r["run_dir"] for r in records} == {r["run_dir"] for r in collect([group])} else None


def group_command(kind: str, file: str | Path, overrides: dict[str, Any], out: str | Path | None) -> str:
    """``lstm-workbench sweep|search FILE [--set K=V ...] [--out DIR]``, its paths as seen from the
    current directory (:func:`~lstm_helpers.artifacts.shown`): the command that resumes a sweep or
    search, written when it is shown, so it works from where the user is (not from where the
    sweep ran, nor from the run's folder)."""
    sets = "".join(
        f" --set {shlex.quote(f'{k}={v if isinstance(v, str) else json.dumps(v)}')}" for k, v in overrides.items()
    )
    where = f" --out {shlex.quote(shown(out))}" if out else ""
    return f"lstm-workbench {kind} {shlex.quote(shown(file))}{sets}{where}"


def sweep_command(sweep_dir: Path) -> str | None:
    """The command that resumes the sweep of ``sweep_dir`` (its ``sweep.json``: file, overrides),
    None where the folder is no sweep's. Running it again continues a stopped run in place."""
    plan = read_json_optional(SweepLayout(Path(sweep_dir)).plan)
    if not plan.get("file"):
        return None
    return group_command("sweep", plan["file"], plan.get("overrides") or {}, Path(sweep_dir).resolve())
