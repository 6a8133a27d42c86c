"""What a character run's report and slides say of its classes: a real tiny run (prepare, train,
evaluate) on a slice of the shipped text."""

from __future__ import annotations

import html
import json

import pytest
import yaml
from conftest import ROOT

from lstm_helpers.config import resolve_config
from lstm_helpers.layout import RunLayout

TEXT = ROOT / "data" / "text" / "pride_and_prejudice_vol1.txt"


@pytest.fixture(scope="module")
def char_run(tmp_path_factory):
    """6,000 characters, windows of 20 every 10 characters, one tiny LSTM for 2 epochs, evaluated;
    train.json then says what a run whose best epoch is the last says, and stage 03 runs again."""
    from lstm_helpers.data.prepare import run_prepare
    from lstm_helpers.judge.evaluation import run_evaluation
    from lstm_helpers.model.training import run_training

    cfg = resolve_config(
        {},
        {
            "data.kind": "text",
            "data.path": str(TEXT),
            "data.max_chars": 6000,
            "data.demo": False,
            "data.classes_of_interest": [],
            "windows.length": 20,
            "windows.overlap_percent": 50,
            "model.units": [8],
            "model.bidirectional": False,
            "model.dense_units": [],
            "model.embedding_dim": 8,
            "resample.method": "none",
            "train.epochs": 2,
            "train.batch_size": 64,
            "train.min_updates": 1,  # (no budget warning among the slide's four)
            "train.verbose": 0,
            "train.ensemble": 1,
        },
    )
    run = tmp_path_factory.mktemp("chars") / "run"
    run_prepare(cfg, run)
    run_training(cfg, run)
    lay = RunLayout(run)
    train = json.loads(lay.train_json.read_text())
    train |= {"epochs_planned": 2, "epochs_run": 2, "best_epoch": 2, "weights_epoch": 2, "stopped_early": False}
    lay.train_json.write_text(json.dumps(train))
    run_evaluation(cfg, run)
    lay.params.write_text(yaml.safe_dump(cfg.to_dict()))
    lay.status.write_text(json.dumps({"status": "finished"}))
    return run


def _slide(run, title: str) -> str:
    from lstm_helpers.runs.slides import write_slides

    deck = write_slides(run).read_text()
    return html.unescape(deck.split(f"{title}</h2>", 1)[1].split("</section>", 1)[0])


def test_what_to_change_next_counts_characters_once_and_names_no_threshold(char_run):
    """A character run's "What to change next" listed ~65 classes with "0 of '<pad>', 0 of '<unk>'",
    said "the best epoch and the threshold rest on them" on an argmax run, and gave the best-epoch
    advice twice in two wordings."""
    from lstm_helpers.runs.next_steps import suggested_changes

    m = json.loads(RunLayout(char_run).metrics.read_text())
    assert m["threshold_strategy"] == "argmax" and m["classes"][:2] == ["<pad>", "<unk>"]
    shown = _slide(char_run, "What to change next")
    assert "<pad>" not in shown and "<unk>" not in shown, shown
    assert "threshold" not in shown, shown
    assert shown.count("--set train.epochs=") == 1 and shown.count("may still be learning") == 1, shown
    assert "The best epoch was the last" not in shown, shown
    # the report's note (and the slide's, where there is room): a summary, not every class
    n_chars = len(m["classes"]) - 2
    (few,) = [n for n in m["notes"] if n.startswith("Validation holds fewer than 30 windows of")]
    assert f"of the {n_chars} classes (fewest: " in few and " more)" in few and few.count(" of '") == 6, few
    assert "<pad>" not in few and "<unk>" not in few and "threshold" not in few, few
    # without stage 03's notes (an older run), the slides' own rules say it, in the same terms
    lay = RunLayout(char_run)
    lay.metrics.write_text(json.dumps(m | {"notes": [], "note_kinds": []}))
    try:
        own = suggested_changes(char_run)
    finally:
        lay.metrics.write_text(json.dumps(m))
    (epochs,) = [s for s in own if "train.epochs" in s]
    (few,) = [s for s in own if s.startswith("Validation holds")]
    assert "<pad>" not in few and "<unk>" not in few and f"of the {n_chars} classes (fewest: " in few, few
    assert "the best epoch rests on them" in few and "threshold" not in few, few


def test_a_character_run_describes_its_classes_as_the_characters_a_target_can_be(char_run, tmp_path):
    """ "text with 1 channel; 96 classes (0, 1, 2, ..., ~)": the count held <pad> and <unk>, and
    natural sorting made digit characters look like class ids. The slides and stage 01's summary
    say how many characters a target can be, quoted, most frequent first."""
    from lstm_helpers.data.prepare import run_prepare

    prep = json.loads(RunLayout(char_run).prepare_json.read_text())
    vocab = prep["input"]["vocabulary"]
    n_chars = len(vocab) - 2
    said = f"{n_chars} characters ('{vocab[2] if vocab[2] != ' ' else '␣'}', "
    facts = _slide(char_run, "How well does the model tell the classes apart?")
    assert said in facts and "most frequent first" in facts and "classes (" not in facts, facts
    assert "<pad>" not in facts and "<unk>" not in facts, facts
    from lstm_helpers.data.summary import classes_description, summary_table

    assert summary_table(prep).loc["classes", "value"] == classes_description(prep)
    assert classes_description(prep).startswith(said)
    # a cut vocabulary: <unk> is then a target too, and said with how many windows have it
    cfg = resolve_config(
        {},
        {"data.kind": "text", "data.path": str(TEXT), "data.max_chars": 3000, "data.vocab_size": 12,
         "data.demo": False, "data.classes_of_interest": [], "windows.length": 20, "resample.method": "none"},
    )  # fmt: skip
    run_prepare(cfg, tmp_path / "cut")
    cut = json.loads(RunLayout(tmp_path / "cut").prepare_json.read_text())
    unk = sum(cut["counts"][n]["before"]["<unk>"] for n in ("train", "val", "test"))
    assert unk > 0
    assert classes_description(cut).startswith("10 characters ('")
    assert classes_description(cut).endswith(f"and <unk> ({unk:,} targets outside them)")


def test_a_character_runs_class_counts_leave_out_pad_and_unk(char_run, tmp_path):
    """The slides said "The 20 most frequent confusions of 96 classes", the confusion and
    one-vs-rest figures "of 96 classes", the metrics table "1/K = chance" and a comparison's task
    label "96 classes": every vocabulary id, <pad> and <unk> included, which no target can be.
    Perplexity's uniform reference still counts them all (the softmax covers every id)."""
    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    from lstm_helpers.experiments.tasks import run_tasks
    from lstm_helpers.judge import figures, plots
    from lstm_helpers.judge.metrics import summary_table

    m = json.loads(RunLayout(char_run).metrics.read_text())
    k, n_chars = len(m["classes"]), len(m["classes"]) - 2
    assert k > 20 and m["classes"][:2] == ["<pad>", "<unk>"]  # confusions drawn as bars, not a matrix
    shown = _slide(char_run, "Where the errors are")
    assert f"The 20 most frequent confusions of {n_chars} classes" in shown, shown[-300:]
    table = summary_table(m, tokens=True)
    assert table.loc["balanced_accuracy", "how to read"].endswith(f"1/{n_chars} = chance")
    assert f"{k} = uniform guessing" in table.loc["perplexity", "how to read"]  # all ids: as before
    fig = figures._confusion_figure(RunLayout(tmp_path / "run"), m["confusion_matrix"], m["classes"], "argmax")
    assert f"confusions of {n_chars} classes" in fig.axes[0].get_title()
    assert (
        f"confusions of {n_chars} classes"
        in plots.plot_top_confusions(m["confusion_matrix"], m["classes"]).axes[0].get_title()
    )
    y = np.arange(200) % n_chars + 2  # a target is a character, never <pad> / <unk>
    probs = np.random.default_rng(0).dirichlet(np.ones(k), size=200)
    title = plots.plot_pr_curve(y, probs, classes=m["classes"]).axes[0].get_title()
    assert f"rarest of {n_chars} classes" in title, title
    params = yaml.safe_load(RunLayout(char_run).params.read_text())
    (label,), _, _ = run_tasks([{"run_dir": str(char_run)}], [params])
    assert label.endswith(f" · {n_chars} classes"), label
