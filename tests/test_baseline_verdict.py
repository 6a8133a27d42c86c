"""The MiniRocket verdict, said alike on the comparison page and in both decks, from validation
figures, and no verdict where validation cannot tell the two apart; the decks' words for what a
run is (sequences, not windows; five averaged models, not one of five times the parameters);
the comparison's epoch is the one whose weights were kept. The runs stand in for real ones
(:func:`test_sweeps.fake_run`), their figures then set here."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from test_sweeps import fake_run, write_sweep

from lstm_helpers.experiments import compare, dask_runs, display, runner
from lstm_helpers.judge.baseline_verdict import Verdict, validation_resolution
from lstm_helpers.runs.slides import write_slides


@pytest.fixture
def fake_runs(monkeypatch):
    def fake(params, run_dir, threads=None, kernel=None, prefit=False):
        return fake_run(params, run_dir, threads)

    monkeypatch.setattr(dask_runs, "run_in_subprocess", fake)
    monkeypatch.setattr(runner, "execute_run", fake)


def _sweep(tmp_path: Path) -> tuple[Path, list[Path]]:
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"model.units": [[8], [16]]}, seeds=[1])
    out = tmp_path / "sweep"
    runner.run_sweep(f, out=out, html=False, progress=False)
    return out, [Path(r["run_dir"]) for r in compare.collect_runs([out])]


def _edit(path: Path, change) -> None:
    data = json.loads(path.read_text()) if path.is_file() else {}
    change(data)
    path.write_text(json.dumps(data))


def _baseline_on_validation(run: Path, gap: float, positives: int, test_baseline: float) -> None:
    """The run's baseline ``gap`` ahead of it on validation PR-AUC (``positives``: validation's
    windows of the class; ten times as many of the other), its test figure ``test_baseline``."""

    def change(m):
        for section in (m["val"], m["baseline"]["val"]):
            section["per_class"]["play"]["support"], section["per_class"]["other"]["support"] = positives, 9 * positives
            section["n"] = 10 * positives
        m["baseline"]["val"]["pr_auc"] = m["val"]["pr_auc"] + gap
        m["baseline"]["pr_auc"] = test_baseline
        m["positive_class"] = "play"  # as a binary run records it: its PR-AUC is the headline

    _edit(run / "metrics.json", change)


def _deck_text(path: Path) -> str:
    text = re.sub(r"<(style|script)[^>]*>.*?</\1>", "", path.read_text(), flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)))


def _both_pages(out: Path) -> tuple[str, str]:
    compare.write_comparison(out, compare.collect_runs([out]), html_report=False)
    c = display.open_comparison(out)
    return display.answer_sentence(c), _deck_text(write_slides(out))


def test_a_gap_of_a_validation_window_or_two_is_level_on_the_page_and_in_the_deck(tmp_path, fake_runs):
    """The page read a baseline 0.010 ahead (one validation sequence of 82) as "the LSTM does
    not earn its keep" while the deck set the test figures side by side ("PR-AUC (macro) 0.873
    (this model 0.891)"), which read as the model winning."""
    out, runs = _sweep(tmp_path)
    for run in runs:  # 20 validation windows of the class: one of them moves its PR-AUC by 0.05
        _baseline_on_validation(run, 0.05, 20, test_baseline=0.2)
    page, deck = _both_pages(out)
    assert "level with the best run on validation" in page and "earn its keep" not in page, page
    assert "(validation, the split that ranks; on test 0.200, reported, not used to judge)" in page, page
    assert "within what 200 validation windows resolve" in page, page
    assert deck.count("level with the best run: the gap of 0.050 is within what 200 validation windows resolve") == 2
    assert "MiniRocket baseline on validation (the split that ranks the runs): PR-AUC" in deck, deck
    assert "earn its keep" not in deck and "baseline: precision" not in deck  # the test figures' phrase is gone
    # the run's own deck judges it by the same rule, on its own headline metric
    own = _deck_text(write_slides(runs[0]))
    assert "MiniRocket baseline on validation (where choices are made): PR-AUC" in own, own
    assert "level with this model: the gap of 0.050" in own and "baseline: precision" not in own, own
    assert "beats the model" not in own and "falls short" not in own  # its next steps do not contradict it


def test_a_gap_validation_resolves_is_the_same_verdict_on_both_pages_whatever_the_test_figures(tmp_path, fake_runs):
    out, runs = _sweep(tmp_path)
    verdicts = []
    for test_baseline in (0.01, 0.99):  # the baseline far behind, then far ahead, on test
        for run in runs:  # 2,000 validation windows of the class resolve about ±0.02
            _baseline_on_validation(run, 0.1, 2000, test_baseline)
        page, deck = _both_pages(out)
        assert "<b>ahead of the best run by 0.100 on validation, beyond what 20,000 validation windows" in page
        assert "the LSTM does not earn its keep here yet" in page, page
        assert deck.count("ahead of the best run by 0.100, beyond what 20,000 validation windows resolve") == 2, deck
        verdicts.append((page.split("test ")[0], deck))
    assert verdicts[0] == verdicts[1]  # the test figures changed nothing the verdicts say


def test_the_resolution_of_balanced_accuracy_over_thirteen_classes():
    """The reviewer's sweep: 82 validation sequences of 12 classes (3 of the rarest), one wave of
    8 missed: balanced accuracy 0.990 against the baseline's 1.000 is no verdict."""
    supports = [8] * 9 + [4, 3, 3]
    per_class = {f"c{i}": {"recall": 1.0, "support": s} for i, s in enumerate(supports)}
    per_class["c0"]["recall"] = 0.875
    val = {"n": 82, "balanced_accuracy": 0.9896, "per_class": per_class}
    res = validation_resolution("balanced_accuracy", [val], None)
    assert res >= 2 / (12 * 3)  # never under two of the rarest class's sequences
    v = Verdict("balanced_accuracy", 0.9896, 1.0, res, 82, "sequences")
    assert v.side == "level" and "cannot be told apart" in v.words()
    assert Verdict("balanced_accuracy", 0.5, 1.0, res, 82, "sequences").side == "ahead"
    assert Verdict("balanced_accuracy", 1.0, 0.98, None, None, "windows").side == "behind"  # size unknown: as measured


def _sequence_run(run: Path, n_classes: int) -> None:
    """``run`` as a sequence task of ``n_classes`` classes whose model averages five members."""
    classes = [f"k{i}" for i in range(n_classes)]
    prep = {"input": {"data_kind": "sequences", "n_channels": 3}, "windows": {"train": 234, "val": 82, "test": 90}}
    (run / "prepare.json").write_text(json.dumps(prep))

    def train(t):
        t |= {"n_params": 48065, "ensemble": 5, "epochs_run": 20, "best_epoch": 17, "weights_epoch": 20}

    def metrics(m):
        m["confusion_matrix"] = [[int(i == j) * 8 for j in range(n_classes)] for i in range(n_classes)]
        m["classes"] = classes

    _edit(run / "train.json", train)
    _edit(run / "metrics.json", metrics)
    (run / "figures").mkdir(exist_ok=True)
    (run / "figures" / "confusion_matrix.png").write_bytes(b"png")


def test_the_decks_say_sequences_averaged_models_and_fractions_as_shown(tmp_path, fake_runs):
    """A sequence run said "windows train / validation / test"; five averaged models of 9,613
    parameters read "48,065 parameters, 5 of them trained ..."; the heatmap's row fractions
    were captioned "percentages per row"."""
    _, runs = _sweep(tmp_path)
    _sequence_run(runs[0], 13)
    deck = _deck_text(write_slides(runs[0]))
    assert "sequences train / validation / test: 234 / 82 / 90" in deck and "windows train" not in deck, deck
    assert "5 models of 9,613 parameters, trained with different seeds and averaged" in deck, deck
    assert "48,065" not in deck
    assert "20 epochs each, weights kept: final (epoch 20) of 5 models, averaged" in deck, deck
    assert "right: each row's fractions" in deck and "percentages per row" not in deck, deck
    _sequence_run(runs[0], 3)  # a matrix of a few classes is a table whose cells hold percentages
    deck = _deck_text(write_slides(runs[0]))
    assert "each cell: the count and its percentage of the row" in deck and "fractions" not in deck, deck


def test_the_comparison_shows_whose_weights_a_run_kept(tmp_path, fake_runs):
    """``best_epoch`` read 17 for runs that keep their final weights (epoch 20) or average members."""
    out, runs = _sweep(tmp_path)
    _sequence_run(runs[0], 3)
    _edit(runs[1] / "train.json", lambda t: t.update(epochs_run=20, best_epoch=17, weights_epoch=17))
    table, _ = compare.comparison_table(compare.collect_runs([out]))
    kept = dict(zip(table["run_dir"].map(lambda d: Path(d).name), table["weights"], strict=True))
    assert kept == {runs[0].name: "final (epoch 20) of 5 models, averaged", runs[1].name: "epoch 17 of 20"}
    assert "best_epoch" not in table
    shown = display.runs_table(display.Comparison(table, {}, None)).data
    assert "final (epoch 20) of 5 models, averaged" in shown and pd.notna(table["weights"]).all()
