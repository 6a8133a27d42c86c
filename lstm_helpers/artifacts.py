"""Plain, safe artifacts: npz without pickles, JSON, CSV, YAML; written to a temporary name
and renamed, so a crash never leaves a half-written file where a good one was.

Also the small glue every notebook starts with: :func:`open_run` resolves the run directory
and its validated parameters (``params.yaml`` in the run directory when the pipeline wrote
one, else the config file), so notebooks stay a few lines.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from lstm_helpers.config import (
    PROJECT_ROOT,
    Config,
    ConfigError,
    blame_overrides,
    load_config,
    resolve_config,
    resolve_path,
    safe_yaml,
)
from lstm_helpers.layout import STAGE_NOTEBOOKS, RunLayout

PARAMS_FILE = "params.yaml"
SCRATCH_RUN = "reports/scratch"


def _atomic(path: Path, write: Callable[[Path], None]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
    return path


def _to_jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _to_jsonable(obj.tolist())
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        f = float(obj)
        return None if not np.isfinite(f) else f
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def as_written(data: Any) -> Any:
    """``data`` as :func:`write_json` writes it and :func:`read_json` reads it back (numpy
    values as Python ones, tuples as lists, non-finite floats as None), for comparing."""
    return json.loads(json.dumps(_to_jsonable(data)))


def write_json(path: str | Path, data: Any) -> Path:
    text = json.dumps(_to_jsonable(data), indent=2, sort_keys=False)
    return _atomic(Path(path), lambda p: p.write_text(text + "\n"))


def read_json(path: str | Path) -> Any:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    return json.loads(path.read_text())


def read_json_optional(path: str | Path) -> dict:
    """A JSON file's content, or ``{}`` when it is missing or not valid JSON (a run still
    being written, or one that failed before writing it)."""
    path = Path(path)
    try:
        return json.loads(path.read_text()) if path.is_file() else {}
    except (json.JSONDecodeError, UnicodeDecodeError):  # truncated, or bytes that are no text
        return {}


def read_params(run_dir: str | Path) -> dict:
    """A run directory's ``params.yaml`` as a raw mapping (``{}`` when absent)."""
    path = RunLayout(Path(run_dir)).params
    return (safe_yaml(path.read_text(), str(path)) or {}) if path.is_file() else {}


def flatten(d: dict[str, Any], prefix: str = "", keep: tuple[str, ...] = ()) -> dict[str, Any]:
    """Nested dict -> dotted keys (``train.schedule.kind``); lists, and dicts under a key in
    ``keep`` (e.g. ``class_map``), stay single values."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v and k not in keep:
            out.update(flatten(v, key + ".", keep))
        else:
            out[key] = v
    return out


def write_yaml(path: str | Path, data: Any) -> Path:
    text = yaml.safe_dump(_to_jsonable(data), sort_keys=False)
    return _atomic(Path(path), lambda p: p.write_text(text))


def write_text(path: str | Path, text: str) -> Path:
    return _atomic(Path(path), lambda p: p.write_text(text))


def write_table(path: str | Path, df: Any) -> Path:
    """A DataFrame as Parquet (``.parquet`` / ``.pq``) or else CSV, without its index."""
    path = Path(path)
    if path.suffix.lower() in (".parquet", ".pq"):
        return _atomic(path, lambda p: df.to_parquet(p, index=False))
    return _atomic(path, lambda p: df.to_csv(p, index=False))


def save_npz(path: str | Path, arrays: dict[str, np.ndarray]) -> Path:
    """Save arrays compressed; object arrays are refused so the file loads without pickles."""
    for k, v in arrays.items():
        if np.asarray(v).dtype == object:
            raise TypeError(f"array {k!r} has dtype object; store strings as fixed-width unicode")

    def write(p: Path) -> None:
        with open(p, "wb") as fh:
            np.savez_compressed(fh, **arrays)

    return _atomic(Path(path), write)


class UnreadableFile(ValueError):
    """A file is not what it should be; the message names it and says what it is."""


def load_npz(path: str | Path) -> dict[str, np.ndarray]:
    """Load every array of an npz with ``allow_pickle=False``.

    Refuses, naming the file: an empty file, anything that is not an npz (a zip of ``.npy``
    arrays), a corrupt or truncated zip, and arrays that would need pickles to load.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        raise UnreadableFile(f"{path} is empty (0 bytes), not an npz")
    if head.startswith(b"\x93NUMPY"):
        raise UnreadableFile(f"{path} is a single .npy array, not an npz; save arrays with np.savez")
    if not head.startswith(b"PK"):
        raise UnreadableFile(
            f"{path} is not an npz (an npz is a zip of .npy arrays; this file starts with {head[:4]!r})"
        )
    try:
        with np.load(path, allow_pickle=False) as z:
            out = {k: _npz_member(z, k, path) for k in z.files}
    except UnreadableFile:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        raise UnreadableFile(f"{path} is not a readable npz (corrupt or truncated zip: {str(exc)[:200]})") from None
    return out


class PickledArray(UnreadableFile):
    """An npz member that is an object array (loading it would need pickles); ``key`` names it."""

    def __init__(self, message: str, key: str):
        super().__init__(message)
        self.key = key


def _npz_member(z: Any, key: str, path: Path) -> np.ndarray:
    try:
        arr = z[key]
    except ValueError as exc:
        if "pickle" not in str(exc):
            raise
        raise PickledArray(
            f"{path}: array {key!r} contains pickles (an object array), which are "
            f"never loaded; store strings as fixed-width unicode, e.g. "
            f"np.array(labels, dtype=str)",
            key,
        ) from None
    if not isinstance(arr, np.ndarray):
        raise UnreadableFile(f"{path}: member {key!r} is not a .npy array; not an npz this workbench reads")
    return arr


class NotAModel(UnreadableFile):
    """A model file this workbench did not save (or that is broken); the message is one line."""


_MODEL_MODULES = ("keras", "lstm_helpers")  # modules a model.keras of this workbench refers to


def _config_modules(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("module"), str):
            yield node["module"]
        for v in node.values():
            yield from _config_modules(v)
    elif isinstance(node, list):
        for v in node:
            yield from _config_modules(v)


def check_model_file(path: str | Path) -> None:
    """Refuse, without TensorFlow, a ``.keras`` file this workbench did not save: empty, not a
    zip, truncated, missing ``config.json`` / weights, or naming code outside Keras and this
    package (a module injection). Loading then still uses Keras' ``safe_mode``."""
    path = Path(path)
    bad = f"{path}: not a model this workbench saved"
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head != b"PK\x03\x04":
        raise NotAModel(f"{bad} ({'empty (0 bytes)' if not head else 'not a .keras zip archive'})")
    try:
        with zipfile.ZipFile(path) as z:
            members = set(z.namelist())
            broken = z.testzip()
            config = json.loads(z.read("config.json")) if "config.json" in members and broken is None else None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise NotAModel(f"{bad} (truncated or corrupt: {str(exc)[:200]})") from None
    if broken is not None or config is None or "model.weights.h5" not in members:
        what = f"member {broken} is corrupt" if broken else f"it holds {sorted(members)[:5]}"
        raise NotAModel(f"{bad} ({what})")
    foreign = sorted({m for m in _config_modules(config) if m.split(".")[0] not in _MODEL_MODULES})
    if foreign:
        raise NotAModel(f"{bad} (it refers to code outside Keras: module {str(foreign[0])[:80]!r})")


def shown(path: str | Path) -> str:
    """``path`` relative to the current directory when it lies below it (messages avoid absolute paths)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def is_finished(run_dir: str | Path) -> bool:
    """Whether ``status.json`` of the run says ``finished`` (every stage done; never rewritten)."""
    return read_json_optional(RunLayout(Path(run_dir)).status).get("status") == "finished"


def _refuse_finished(run_dir: Path) -> None:
    """A notebook run by hand (papermill, JupyterLab) on a finished run would rewrite its
    parameters and outputs under a "finished" status: refused, as the CLI refuses it."""
    if not is_finished(run_dir):
        return
    d = shown(run_dir)
    raise ConfigError(
        f"{d} is a finished run and finished runs are never rewritten; give the notebook another "
        f"run_dir, or make a new run: lstm-workbench run --config {d}/{RunLayout(Path(d)).params.name} "
        "--set KEY=VALUE ..."
    )


class StageMissing(ConfigError, FileNotFoundError):
    """A stage opened before an earlier one made what it reads; the message names the stage to run."""


# what a stage reads of the earlier ones (RunLayout attribute names) and the stage that writes each
_READS = {
    "train": ("params", "prepared", "prepare_json"),
    "evaluate": ("params", "prepared", "prepare_json", "model"),
}
_WRITER = {"params": "prepare", "prepared": "prepare", "prepare_json": "prepare", "model": "train"}
# what shows a stage finished: a re-run stage keeps a later one as done while these are there
_DONE_MARKS = {"prepare": ("prepared", "prepare_json"), "train": ("model", "train_json"), "evaluate": ("metrics",)}


def run_name(run_dir: str | Path) -> str:
    """A run as messages name it: relative to the current directory or the project
    (``reports/scratch``, also from JupyterLab's ``notebooks/``), else by its folder's name."""
    path = Path(run_dir).resolve()
    for base in (Path.cwd(), PROJECT_ROOT):
        if path != base.resolve() and path.is_relative_to(base.resolve()):
            return path.relative_to(base.resolve()).as_posix()
    return path.name


def _notebook(stage: str) -> str:
    return Path(STAGE_NOTEBOOKS[stage]).stem  # 02_train


def check_earlier_stages(run_dir: str | Path, stage: str) -> None:
    """Refuse, in one message, to open ``stage`` (``train`` / ``evaluate``) of a run that lacks
    what an earlier stage writes: never run there, failed, or made stale by a later run of an
    earlier stage (01 again with other windows removes the model, as 02 again does until it
    finishes). The message names the notebooks to run, in order."""
    lay = RunLayout(Path(run_dir))
    lacking = [n for n in _READS.get(stage, ()) if not getattr(lay, n).is_file()]
    if not lacking:
        return
    first = _WRITER[lacking[0]]
    chain = ", then ".join(_notebook(s) for s in STAGES[STAGES.index(first) : STAGES.index(stage) + 1])
    if not lay.root.is_dir():
        raise StageMissing(f"{run_name(run_dir)} does not exist yet: run {chain}")
    files = ", ".join(getattr(lay, n).name for n in lacking if _WRITER[n] == first)
    why = "stage 01 has not finished there" if first == "prepare" else "stage 02 has not finished there since 01 ran"
    raise StageMissing(f"{run_name(run_dir)} has no {files} ({why}): run {chain}")


def open_run(
    run_dir: str | Path = "",
    config_file: str | Path = "",
    overrides: dict[str, Any] | str | None = None,
    namespace: dict[str, Any] | None = None,
    stage: str | None = None,
) -> tuple[Config, Path]:
    """Resolve a notebook's run directory and validated parameters.

    ``run_dir`` empty means the scratch run ``reports/scratch`` (interactive use). The
    parameters come from ``run_dir/params.yaml`` when present, else ``config_file`` (empty:
    ``configs/demo.yaml``); ``overrides`` (dotted keys) are applied and validated on top and
    the result is written back to ``params.yaml`` so later stages see the same values. A
    finished run (``status.json``) is refused before anything is written. The scratch run is
    the exception on both counts: it is there to be run again, and stage 01 (``stage``
    ``prepare``) starts it afresh from ``config_file``, so a knob set in an earlier session
    does not stick once the cell says ``None`` again.
    ``namespace`` (a notebook's ``globals()``) adds the knob parameters that were set, e.g.
    ``papermill -p train__epochs 2`` (:mod:`lstm_helpers.runs.params_cell`); ``overrides`` wins.
    A relative ``config_file`` is found as ``data.path`` is (from JupyterLab's ``notebooks/``
    too). ``stage`` ``train`` / ``evaluate``: refused, in one message, when an earlier stage has
    not produced what this one reads (:func:`check_earlier_stages`), and when a ``config_file``
    or a knob changes a setting an earlier stage already used (02: data, split, windows, ...;
    03: also model and train), which would make params.yaml describe windows or a model the
    run lacks. Stages 01 and 02 write ``params.yaml`` themselves once their checks pass and
    they start writing (:func:`start_stage`), so a failed start leaves the run as it was.
    """
    from lstm_helpers.display import brief_user_errors

    brief_user_errors()  # a bad parameter shows as its message in the notebook, not a traceback
    if isinstance(overrides, str):  # papermill -p overrides '{"train.epochs": 2}' passes the text
        overrides = safe_yaml(overrides, "the notebook parameter overrides") or {}
        if not isinstance(overrides, dict):
            raise ConfigError(
                f"notebook parameter overrides must be a mapping of dotted keys to values, "
                f"e.g. '{{\"train.epochs\": 2}}'; got {overrides!r}"
            )
    given = list(overrides or {})  # the overrides parameter's keys: a refusal names them as given
    if namespace is not None:
        from lstm_helpers.runs.params_cell import overrides_from_namespace

        overrides = {**overrides_from_namespace(namespace), **(overrides or {})}
    rd = Path(run_dir) if run_dir else PROJECT_ROOT / SCRATCH_RUN
    rd = rd.resolve() if rd.is_absolute() or rd.exists() else (PROJECT_ROOT / rd)
    if run_dir:
        _refuse_finished(rd)
    if stage in _READS:
        check_earlier_stages(rd, stage)  # one message naming the stage to run, before anything is written
    params = RunLayout(rd).params
    if params.is_file() and not config_file and (run_dir or stage != "prepare"):
        cfg = _blamed(lambda o: _run_params(params, o), overrides or {}, "the run's params.yaml")
        if stage in _READS:
            from lstm_helpers.earlier_settings import refuse_changed_earlier_settings

            refuse_changed_earlier_settings(_run_params(params, {}), cfg, rd, stage, overrides or {}, given)
    else:
        base = resolve_path(config_file) if config_file else None
        cfg = _blamed(lambda o: load_config(base, o), overrides or {}, str(config_file or "configs/demo.yaml"))
        if stage in _READS:
            from lstm_helpers.earlier_settings import refuse_other_preparation

            refuse_other_preparation(_run_params(params, {}), cfg, rd, config_file, stage)
    if stage not in ("prepare", "train"):  # 01 and 02 write it as they start writing their outputs
        rd.mkdir(parents=True, exist_ok=True)  # (only now: a refused start leaves no empty folder)
        write_yaml(params, cfg.to_dict())
    from lstm_helpers.unused import STAGE_SECTIONS, idle_notes

    for note in idle_notes(cfg, (stage,) if stage in STAGE_SECTIONS else None):  # in the report, by its stage
        print(f"note: {note}")
    _say_where(rd, stage)
    from lstm_helpers.style import apply_notebook_style

    apply_notebook_style()  # projection-sized figures, index-free rounded tables (lstm_helpers/style.py)
    return cfg, rd


_WHERE = {
    "prepare": "Stage 01 writes its windows into {run} (and removes the model and metrics made from other windows).",
    "train": "Stage 02 trains on the windows in {run} and writes its model there (replacing stage 03's results).",
    "evaluate": "Stage 03 judges the model in {run}; then `lstm-workbench report --run {run}` writes its report.html.",
}


def _say_where(run_dir: Path, stage: str | None) -> None:
    """A notebook run by hand (JupyterLab, papermill) says which run directory it reads and
    writes; under the pipeline (status ``running``) the terminal says it already."""
    if stage in _WHERE and read_json_optional(RunLayout(run_dir).status).get("status") != "running":
        print(_WHERE[stage].format(run=run_name(run_dir)))


def _blamed(resolve: Callable[[dict[str, Any]], Config], overrides: dict[str, Any], base: str) -> Config:
    """``resolve(overrides)``; where the base alone resolves, an error is the notebook's
    parameters' (the cell's knobs, ``overrides``): it named the config file, absolute at that."""
    return blame_overrides(resolve, overrides, f"the notebook's parameters (on top of {base}) are invalid")


def _run_params(params: Path, overrides: dict[str, Any]) -> Config:
    raw = safe_yaml(params.read_text(), str(params)) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{params} must hold a mapping of sections, got {type(raw).__name__}")
    try:
        return resolve_config(raw, overrides)
    except ConfigError as exc:
        raise ConfigError(f"{params}: {exc}") from None


def remove_paths(paths: list[Path]) -> None:
    """Remove each file or folder of ``paths`` that exists."""
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


STAGES = tuple(STAGE_NOTEBOOKS)


def stage_status(cfg: Config, stages_done: list[str]) -> dict[str, Any]:
    """``status.json``'s fields for a run whose ``stages_done`` ran (all three: finished)."""
    done = list(stages_done)
    status = "finished" if done == list(STAGES) else "partial"
    return {"status": status, "stages_done": done, "fingerprint": cfg.fingerprint(), "stage": None, "reason": None}


def stage_seconds(run_dir: Path) -> dict[str, float]:
    """``status.json``'s ``stage_seconds``: each finished stage's wall time (what the terminal
    printed as ``[<stage>] done in``); empty for a new run."""
    return dict(read_json_optional(RunLayout(run_dir).status).get("stage_seconds") or {})


def start_times(run_dir: Path) -> dict[str, str | None]:
    """``started`` / ``resumed`` for ``status.json`` as a run (re)starts: a run directory that
    already has a start (an interrupted or failed attempt, continued in place) keeps it and
    gains ``resumed`` (now); the resume had replaced the first start with its own."""
    import datetime as dt

    now = dt.datetime.now().isoformat(timespec="seconds")
    first = read_json_optional(RunLayout(run_dir).status).get("started")
    return {"started": first, "resumed": now} if first else {"started": now, "resumed": None}


def stages_kept(
    run_dir: Path, stages: tuple[str, ...], continue_run: bool, say: Callable[[str], Any] | None = None
) -> list[str]:
    """The stages of ``run_dir`` that a start of ``stages`` keeps as done (``status.json``'s
    ``stages_done``). ``continue_run`` (``train`` / ``evaluate --run``): those before the first
    of ``stages``. Otherwise, the resume of an interrupted run (stopped, or its process killed)
    with the same parameters: the leading ``stages`` it finished whose notebook and main outputs
    are still there. A run
    stopped during stage 03 trained again from epoch 1 on its resume (its training's backup is
    gone once training ends): 20 minutes of a story-2 model for a stage that takes seconds.
    ``say`` is told which stages a resume keeps."""
    st = read_json_optional(RunLayout(run_dir).status)
    done = list(st.get("stages_done") or [])
    if continue_run:
        return [s for s in done if STAGES.index(s) < STAGES.index(stages[0])]
    if st.get("status") not in ("interrupted", "running"):  # ("running": its process died, or it would be refused)
        return []  # a failed run runs every stage again: what failed may have been fixed in the data
    lay, kept = RunLayout(run_dir), []
    needs = {
        "prepare": [lay.prepared, lay.prepare_json],
        "train": [lay.model, lay.train_json],
        "evaluate": [lay.metrics],
    }
    for stage in stages:
        if stage not in done or not all(p.is_file() for p in [lay.notebook(stage), *needs[stage]]):
            break
        kept.append(stage)
    if kept and say is not None:
        say(f"[resume] kept what the interrupted run finished: {', '.join(kept)}")
    return kept


def record_notebook_stage(run_dir: Path, cfg: Config, stage: str) -> None:
    """A stage run outside the command line (its notebook run in JupyterLab or by papermill)
    records itself in ``status.json`` as the pipeline records its stages: without it such a run
    stayed unfinished, so 04_compare found nothing finished in it and 02 could train it again
    under its old metrics. A re-run stage drops the later ones whose outputs are gone (01 that
    made the same windows keeps the model and metrics, :func:`start_stage`). Under the pipeline (status
    ``running``) the pipeline keeps the status."""
    import datetime as dt

    lay = RunLayout(run_dir)
    st = read_json_optional(lay.status)
    if st.get("status") == "running":
        return
    i, was = STAGES.index(stage), st.get("stages_done") or []
    done = [
        s for s in STAGES
        if s == stage or s in was and (STAGES.index(s) < i or all(getattr(lay, n).is_file() for n in _DONE_MARKS[s]))
    ]  # fmt: skip
    now = dt.datetime.now().isoformat(timespec="seconds")
    write_json(lay.status, st | stage_status(cfg, done) | {"updated": now})


def start_stage(
    run_dir: Path, cfg: Config, stage: str, keep_later: bool = False, say: Callable[[str], Any] | None = None
) -> list[Path]:
    """What a stage run outside the pipeline does once its checks pass, as it starts writing:
    removes what the later stages made from what it replaces (01: the model and metrics; 02: the
    metrics, threshold and predictions of the model before) and the run's pages, with its own
    marks of completion (02: ``model.keras``, ``train.json``: 03 refuses a run whose training
    failed); outside the pipeline ``status.json`` then lists only the stages before it as done;
    last it writes ``params.yaml``, so a start refused by the checks leaves the run as it was. ``keep_later``:
    stage 01 that made the very windows the run holds (a resumed run) keeps everything.
    Returns the later stages' paths it removed; ``say`` is told, in a sentence, when there were any."""
    lay = RunLayout(Path(run_dir))
    lay.root.mkdir(parents=True, exist_ok=True)
    stale: list[Path] = []
    if not keep_later:
        stale = [p for s in STAGES[STAGES.index(stage) + 1 :] for p in lay.stage_outputs(s) if p.exists()]
        stale += [p for p in (lay.report, lay.slides) if p.exists()]
        remove_paths([*stale, *([lay.model, lay.train_json] if stage == "train" else [])])
        st = read_json_optional(lay.status)
        if st and st.get("status") != "running":
            before = [s for s in st.get("stages_done") or [] if STAGES.index(s) < STAGES.index(stage)]
            write_json(lay.status, st | {"status": "partial", "stages_done": before})
    if stale and say is not None:
        later = " and ".join(_notebook(s) for s in STAGES[STAGES.index(stage) + 1 :])
        say(f"Removed what {later} made before ({len(stale)} files, e.g. {stale[0].name}): run {later} again.")
    write_yaml(lay.params, cfg.to_dict())
    return stale
