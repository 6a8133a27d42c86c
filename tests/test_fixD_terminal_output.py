"""What the terminal says, found by a reviewer: a note under --quiet, a reader that stops reading
(``| head``), a list given to papermill as text, ``compare`` with a new reference, predict's notes."""

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from lstm_helpers.cli import main
from lstm_helpers.config import PROJECT_ROOT, ConfigError, resolve_config

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


def _closed_stdout(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """``lstm-workbench <args>`` whose reader has gone before its first line (``| head -0``)."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lstm_helpers", *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    proc.stdout.close()  # nobody reads: the first line the command writes finds the pipe closed
    err = proc.stderr.read().decode()
    return subprocess.CompletedProcess(args, proc.wait(timeout=600), "", err)


def test_a_reader_that_stops_reading_ends_predict_quietly_with_its_files_whole(quiet_run, tmp_path):
    """``predict ... | head -2`` printed "internal error: BrokenPipeError ... This is a bug" and
    saved a traceback under reports/errors/."""
    run, new, _ = quiet_run
    errors = [p for d in (PROJECT_ROOT, tmp_path) for p in (d / "reports" / "errors").glob("*")]
    out = tmp_path / "p.parquet"
    done = _closed_stdout(["predict", "--run", str(run), "--input", str(new), "--out", str(out)], tmp_path)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert [p for d in (PROJECT_ROOT, tmp_path) for p in (d / "reports" / "errors").glob("*")] == errors
    steps = pd.read_parquet(out)  # written whole, and the tables beside it
    assert len(steps) == len(pd.read_parquet(new)) and (tmp_path / "p.scores.json").is_file()
    assert len(pd.read_parquet(tmp_path / "p.windows.parquet")) > 0
    done = _closed_stdout(["compare", str(run), "--out", str(tmp_path / "cmp")], tmp_path)
    assert done.returncode == 0 and done.stderr == "" and (tmp_path / "cmp" / "comparison.html").is_file()


def test_predict_says_an_encoding_does_not_apply_to_parquet_and_its_notes_come_first(quiet_run, tmp_path, capsys):
    """``--encoding utf-16`` on Parquet input was ignored without a word, and the note that NaN
    values were filled came after the scores."""
    run, new, _ = quiet_run
    df = pd.read_parquet(new)
    df.loc[5:7, "gyr_x"] = np.nan
    df.to_parquet(tmp_path / "gappy.parquet")
    args = ["predict", "--run", str(run), "--input", str(tmp_path / "gappy.parquet"), "--out", str(tmp_path / "o.csv")]
    assert main([*args, "--encoding", "utf-16"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "note: --encoding utf-16 applies to CSV / TSV files only: the Parquet input was read as stored"
    filled = next(i for i, line in enumerate(lines) if line.startswith("note:") and "NaN value(s)" in line)
    first_result = next(i for i, line in enumerate(lines) if not line.startswith("note:"))
    assert filled < first_result and lines[first_result].startswith("timesteps: "), lines
    df.to_csv(tmp_path / "gappy.csv", index=False)  # a CSV is read in it: no such note
    assert main([*args[:4], str(tmp_path / "gappy.csv"), *args[5:], "--encoding", "utf-8"]) == 0
    assert "--encoding" not in capsys.readouterr().out


def test_compare_with_a_new_reference_rewrites_the_slides_and_answers_in_one_line(quiet_run, tmp_path, capsys):
    """``compare <sweep> --reference ...`` rewrote comparison.html, while the slides.html beside it
    kept the old reference's figure; and it printed file paths only, not the page's answer."""
    from lstm_helpers.runs.slides import write_slides

    run, _, _ = quiet_run
    out = tmp_path / "cmp"
    assert main(["compare", str(run), "--out", str(out), "--reference", "CNN (earlier notebook)=accuracy:0.8785"]) == 0
    write_slides(out)  # as sweep and search write them beside their comparison
    assert "0.8785" in (out / "slides.html").read_text()
    capsys.readouterr()
    assert main(["compare", str(run), "--out", str(out), "--reference", "CNN (earlier notebook)=accuracy:0.9"]) == 0
    slides = (out / "slides.html").read_text()
    assert "0.8785" not in slides and "0.900" in slides
    answer, *paths = capsys.readouterr().out.splitlines()
    assert answer.startswith("1 run, 1 finished. Best by validation val_") and "<" not in answer, answer
    assert [Path(p).name for p in paths] == ["comparison.csv", "comparison.html", "slides.html"]


def test_a_list_given_as_text_is_said_to_be_text_with_the_two_ways_to_give_a_list(tmp_path):
    """papermill's ``-p model__units '[8]'`` passes the text '[8]': the message said "must be a
    list, e.g. [[8]]", a list of lists where a list of ints is meant."""
    from lstm_helpers.artifacts import open_run

    for text in ("[8]", "[16, 8]"):
        with pytest.raises(ConfigError) as err:
            resolve_config({}, {"model.units": text})
        msg = str(err.value)
        assert f"model.units = '{text}': a list given as text" in msg and "[[" not in msg, msg
        assert f"-y 'model__units: {text}'" in msg and f"--set 'model.units={text}'" in msg, msg
    with pytest.raises(ConfigError) as err:  # as a notebook's knob arrives from papermill -p
        open_run(str(tmp_path / "r"), namespace={"model__units": "[8]"}, stage="prepare")
    assert "-y 'model__units: [8]'" in str(err.value) and "[[8]]" not in str(err.value)
    with pytest.raises(ConfigError, match=r"model.units = 8: must be a list, e.g. \[8\]"):
        resolve_config({}, {"model.units": 8})  # a number: the list to write


def test_a_command_started_with_its_standard_output_closed_does_its_work(tmp_path):
    """``lstm-workbench demo --out d >&-`` (Python's sys.stdout is None then) stopped at its first
    print with an AttributeError and exit 120 (code review)."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    out = tmp_path / "demo"
    done = subprocess.run(
        ["bash", "-c", f'"{sys.executable}" -m lstm_helpers demo --out "{out}" >&-'],
        capture_output=False, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert len(list(out.glob("*.parquet"))) == 12
