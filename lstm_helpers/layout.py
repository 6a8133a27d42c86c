"""One run layout: the name of every artifact a run or sweep directory holds, said once.

Every stage, the CLI, the report, predict, sweeps and search find a run's files through
:class:`RunLayout` (or a sweep's through :class:`SweepLayout`) instead of spelling file
names: renaming an artifact is a change here and nowhere else (kedro's catalog idea).

>>> lay = RunLayout(Path("reports/r1"))
>>> lay.metrics.name
'metrics.json'
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# stage notebooks, in run order: stage name -> notebook file (source in notebooks/, executed copy in the run)
STAGE_NOTEBOOKS: dict[str, str] = {
    "prepare": "01_prepare.ipynb",
    "train": "02_train.ipynb",
    "evaluate": "03_evaluate.ipynb",
}
COMPARE_NOTEBOOK = "04_compare.ipynb"


@dataclass(frozen=True)
class RunLayout:
    """Paths of one run directory's artifacts (nothing is created by asking for a path)."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    # --- the run itself
    @property
    def params(self) -> Path:
        """``params.yaml``: the resolved parameters every stage reads."""
        return self.root / "params.yaml"

    @property
    def status(self) -> Path:
        """``status.json``: finished / failed / interrupted / running, with the reason."""
        return self.root / "status.json"

    @property
    def report(self) -> Path:
        """``report.html``: the presentation page (code hidden)."""
        return self.root / "report.html"

    @property
    def slides(self) -> Path:
        """``slides.html``: the reveal.js deck of the run."""
        return self.root / "slides.html"

    @property
    def figures(self) -> Path:
        """``figures/``: every PNG the stages draw."""
        return self.root / "figures"

    def figure(self, name: str) -> Path:
        """``figures/<name>.png``."""
        return self.figures / f"{name}.png"

    def notebook(self, stage: str) -> Path:
        """The executed copy of a stage notebook (``01_prepare.ipynb`` ...)."""
        return self.root / STAGE_NOTEBOOKS[stage]

    def stage_outputs(self, stage: str) -> list[Path]:
        """What a stage writes, to remove when an earlier stage runs again (``train`` /
        ``evaluate``; ``prepare``'s windows are the run's inputs and stay)."""
        figures = sorted(self.figures.glob("*.png"))
        if stage == "train":
            return [self.model, self.history, self.timing, self.train_json, self.backup, self.root / "members",
                    self.notebook("train"), *(f for f in figures if f.name.startswith("train_"))]  # fmt: skip
        if stage == "evaluate":
            return [self.metrics, self.threshold, self.predictions_csv, self.predictions_npz, self.bouts,
                    self.notebook("evaluate"), *(f for f in figures if not f.name.startswith("train_"))]  # fmt: skip
        return []

    # --- stage 01: prepare
    @property
    def prepared(self) -> Path:
        """``prepared.npz``: windows and labels per split (no pickles)."""
        return self.root / "prepared.npz"

    @property
    def prepare_json(self) -> Path:
        """``prepare.json``: input facts, classes, counts, groups per split, scaler, leakage check."""
        return self.root / "prepare.json"

    # --- stage 02: train
    @property
    def model(self) -> Path:
        """``model.keras``: the trained model: the best epoch's weights, or the final ones where
        validation is too small to choose; an ensemble's averaging model (model/ensemble.py)."""
        return self.root / "model.keras"

    @property
    def history(self) -> Path:
        """``history.csv``: one row per epoch."""
        return self.root / "history.csv"

    @property
    def timing(self) -> Path:
        """``timing.csv``: seconds per epoch, windows/s, ETA."""
        return self.root / "timing.csv"

    @property
    def train_json(self) -> Path:
        """``train.json``: model name, size, epochs, best epoch, timing, versions."""
        return self.root / "train.json"

    @property
    def backup(self) -> Path:
        """``backup/``: Keras BackupAndRestore state of an interrupted fit."""
        return self.root / "backup"

    @property
    def best_weights(self) -> Path:
        """``backup/best.weights.h5``: the best epoch's weights while training runs."""
        return self.backup / "best.weights.h5"

    @property
    def rng_state(self) -> Path:
        """``backup/rng_state.npz``: the dropout seed states after the last finished epochs."""
        return self.backup / "rng_state.npz"

    @property
    def run_fingerprint(self) -> Path:
        """``backup/run_fingerprint.json``: parameters a backup was made with."""
        return self.backup / "run_fingerprint.json"

    @property
    def tensorboard(self) -> Path:
        """``tensorboard/``: logs when ``train.tensorboard`` is on."""
        return self.root / "tensorboard"

    # --- stage 03: evaluate
    @property
    def metrics(self) -> Path:
        """``metrics.json``: test, validation and training-fit metrics, threshold, baselines."""
        return self.root / "metrics.json"

    @property
    def threshold(self) -> Path:
        """``threshold.json``: the decision rule chosen on validation (predict reuses it)."""
        return self.root / "threshold.json"

    @property
    def predictions_csv(self) -> Path:
        """``predictions_test.csv``: one row per test window."""
        return self.root / "predictions_test.csv"

    @property
    def predictions_npz(self) -> Path:
        """``predictions_test.npz``: test probabilities."""
        return self.root / "predictions_test.npz"

    @property
    def bouts(self) -> Path:
        """``bouts_test.csv``: true and predicted bouts on the test recordings."""
        return self.root / "bouts_test.csv"

    @property
    def baseline_cache(self) -> Path:
        """Where MiniRocket fits are kept, keyed by a fingerprint of their inputs
        (:func:`lstm_helpers.judge.baseline.fit_baseline_cached`): the sweep's
        ``.baseline_cache/`` when the run is in a sweep directory (its runs share identical
        fits), else the run's own ``.baseline_cache/`` (stage 03 finds the fit made beside
        stage 02)."""
        parent = self.root.parent
        in_sweep = (parent / "sweep.yaml").is_file() or (parent / "sweep.json").is_file()
        return (parent if in_sweep else self.root) / ".baseline_cache"


@dataclass(frozen=True)
class SweepLayout:
    """Paths of a sweep (or search / comparison) directory's own files."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def spec(self) -> Path:
        """``sweep.yaml``: the sweep file as given."""
        return self.root / "sweep.yaml"

    @property
    def plan(self) -> Path:
        """``sweep.json``: the planned runs with their fingerprints."""
        return self.root / "sweep.json"

    @property
    def runs_csv(self) -> Path:
        """``runs.csv``: one row per run with status and reason."""
        return self.root / "runs.csv"

    @property
    def lock(self) -> Path:
        """``sweep.lock``: held while a sweep process runs here."""
        return self.root / "sweep.lock"

    @property
    def attempts(self) -> Path:
        """``_attempts/``: failed attempts moved aside on resume."""
        return self.root / "_attempts"

    @property
    def comparison_csv(self) -> Path:
        return self.root / "comparison.csv"

    @property
    def comparison_json(self) -> Path:
        return self.root / "comparison.json"

    @property
    def comparison_html(self) -> Path:
        return self.root / "comparison.html"

    @property
    def compare_notebook(self) -> Path:
        return self.root / COMPARE_NOTEBOOK

    @property
    def slides(self) -> Path:
        return self.root / "slides.html"

    @property
    def trials(self) -> Path:
        """``trials.csv``: a search's trials."""
        return self.root / "trials.csv"

    @property
    def best_config(self) -> Path:
        """``best_config.yaml``: a search's best parameters as a run config."""
        return self.root / "best_config.yaml"


INDEX_FILE = "index.html"  # reports/index.html: every run, sweep and search


# a search's stage 01, prepared once into ``<search>/prepared`` for all its trials
# (experiments.search's ``PREPARED_DIR`` is this name): windows, not a run, though it holds a status.json; a search's folder is
# known by these files (the first written before stage 01 starts)
SEARCH_PREPARED = "prepared"
SEARCH_FILES = ("search_id.txt", "search.yaml", "trials.csv")


def holds_run(path: Path) -> bool:
    """``path`` is a run's directory (it holds params.yaml or status.json), not a search's
    shared ``prepared/`` folder: no index, comparison or sweep counts that as a run."""
    lay = RunLayout(path)
    if not path.is_dir() or not (lay.status.is_file() or lay.params.is_file()):
        return False
    return not (path.name == SEARCH_PREPARED and any((path.parent / f).is_file() for f in SEARCH_FILES))


def stored_dir(path: str | Path, base: str | Path) -> str:
    """A run directory as a file in ``base`` (``sweep.json``, ``runs.csv``, ``comparison.csv``)
    stores it: relative to ``base`` with ``/`` separators, so the folder can be moved, copied
    or shared and its tables name no one's home directory; absolute only where no relative
    path exists (another drive). :func:`found_dir` reads it back."""
    try:
        return Path(os.path.relpath(Path(path).resolve(), Path(base).resolve())).as_posix()
    except ValueError:  # Windows: another drive
        return str(Path(path).resolve())


def found_dir(stored: str | Path, base: str | Path) -> str:
    """The absolute run directory a stored ``run_dir`` names (:func:`stored_dir`); files
    written before it was relative hold absolute paths, kept as they are."""
    p = Path(str(stored))
    return str(p if p.is_absolute() else (Path(base).resolve() / p).resolve())


def portable_papermill_paths(meta: dict, root: str | Path) -> None:
    """Rewrite papermill's record of a run (``metadata.papermill`` of an executed notebook) so
    it names no one's home directory: papermill stores the notebook it ran and the file it
    wrote as absolute paths. The source becomes relative to ``root`` (the project:
    ``notebooks/01_prepare.ipynb``), the output its file name, a stage's temporary
    ``.01_prepare.partial.ipynb`` the name it is renamed to. papermill has no option for this."""
    if meta.get("input_path"):
        meta["input_path"] = stored_dir(meta["input_path"], root)
    if meta.get("output_path"):
        name = Path(str(meta["output_path"])).name
        if name.startswith(".") and ".partial." in name:
            name = name[1:].replace(".partial.", ".", 1)
        meta["output_path"] = name
