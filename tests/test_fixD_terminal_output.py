"""What the terminal says, found by a reviewer: a note under --quiet, a reader that stops reading
(``| head``), a list given to papermill as text, ``compare`` with a new reference, predict's notes."""

import contextlib
import io

import pytest
import yaml

from lstm_helpers.cli import main
from lstm_helpers.config import PROJECT_ROOT, resolve_config

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quiet_run(tmp_path_factory):
    """A tiny run made with ``run --quiet`` whose one epoch gives far fewer updates than
    train.min_updates, NaN values filled by interpolation; its terminal output."""
    from conftest import TINY

    from lstm_helpers.data.demo import write_demo_recordings

    base = tmp_path_factory.mktemp("fixD")
    write_demo_recordings(base / "demo", seed=3, n_animals=6, minutes=1.0)
    write_demo_recordings(base / "new", seed=11, n_animals=1, minutes=1.0)
    raw = yaml.safe_load((PROJECT_ROOT / "configs" / "demo.yaml").read_text())
    over = {"data.path": str(base / "demo"), "run.reports_dir": str(base / "reports"), "evaluate.baseline": "none"}
    cfg = resolve_config(raw, {**TINY, **over, "data.nan_policy": "interpolate"})
    (base / "tiny.yaml").write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    said = io.StringIO()
    with contextlib.redirect_stdout(said):
        assert main(["run", "--config", str(base / "tiny.yaml"), "--quiet"]) == 0
    (run,) = [p for p in (base / "reports").iterdir() if p.is_dir()]
    return run, next((base / "new").glob("*.parquet")), said.getvalue()


def test_quiet_drops_the_epoch_lines_but_not_the_note_that_training_is_too_short(quiet_run):
    """``run --quiet --set train.epochs=1`` said nothing of "... give only 32 updates
    (train.min_updates = 480)", which train.json holds and a run without --quiet prints."""
    run, _, said = quiet_run
    notes = [line for line in said.splitlines() if line.startswith("note:") and "updates" in line]
    assert len(notes) == 1 and "give only" in notes[0] and "train.min_updates = " in notes[0], said
    assert not any(line.startswith("epoch ") for line in said.splitlines()), said  # still quiet
    assert "[train] done in" in said and "[evaluate] done in" in said
