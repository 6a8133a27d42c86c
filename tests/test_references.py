"""External reference figures (story 2's "a CNN that reached 87.85 %"): validated in a sweep
file's ``references:`` and ``compare --reference`` before anything runs, kept in the sweep's
records, shown marked as external beside the runs, and never ranked nor chosen best."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from test_sweeps import fake_runs, write_sweep  # noqa: F401 - fake_runs is a fixture

from lstm_helpers.cli import main
from lstm_helpers.config import ConfigError
from lstm_helpers.experiments import compare, display, plan, runner
from lstm_helpers.experiments.columns import SCORES, TIME_COLUMNS
from lstm_helpers.experiments.references import REFERENCE_COSTS, REFERENCE_SCORES, ReferenceSpec
from lstm_helpers.layout import SweepLayout

CNN = {"name": "CNN (earlier notebook)", "accuracy": 0.8785, "note": "their own split, not this one"}
# better than every fake run on every figure: a ranking that met it would choose it
PERFECT = {"name": "paper", "pr_auc": 1.0, "balanced_accuracy": 1.0, "accuracy": 1.0, "total_seconds": 0.1}


def test_reference_figures_are_the_comparison_tables_own():
    assert set(REFERENCE_SCORES) == set(SCORES) - {"majority_baseline_accuracy"}
    assert set(REFERENCE_COSTS) <= set(TIME_COLUMNS)
    ref = ReferenceSpec.model_validate({**CNN, "n_params": 1000, "classes": {"play": {"f1": 0.6}}})
    assert ref.figures() == {"test_accuracy": 0.8785, "test_play_f1": 0.6, "n_params": 1000}


@pytest.mark.parametrize(
    "entry, words",
    [
        ({**CNN, "accuracy": 87.85}, ["references.0.accuracy (entry 'CNN (earlier notebook)')", "87.85 % is 0.8785"]),
        ({**CNN, "acc": 0.8}, ["unknown key 'references.0.acc' (entry 'CNN (earlier notebook)')", "accuracy, top_k"]),
        ({"name": "x", "mcc": -1.5}, ["references.0.mcc (entry 'x')", "outside [-1, 1]"]),
        ({"name": "x", "classes": {"play": {"recal": 0.5}}}, ["references.0.classes.play.recal", "precision, recall"]),
        ({"name": "x", "note": "no figure"}, ["references.0 (entry 'x'): no figure", "accuracy"]),
        ({"name": "x", "seconds_per_epoch": -1}, ["references.0.seconds_per_epoch", "greater than 0"]),
    ],
)
def test_a_bad_reference_is_refused_before_any_run_with_exit_code_2(tmp_path, capsys, entry, words):
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", references=[entry])
    with pytest.raises(ConfigError, match="sweep file"):
        plan.plan_sweep(f)
    assert main(["sweep", str(f), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"sweep file {f}" in err and "Traceback" not in err
    for w in words:
        assert w in err, (w, err)
    assert not (tmp_path / "o").exists()


def test_reference_names_are_unique(tmp_path):
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", references=[CNN, dict(CNN)])  # two objects: no YAML alias
    with pytest.raises(ConfigError, match="reference names must be unique"):
        plan.plan_sweep(f)


@pytest.mark.parametrize(
    "text, words",
    [
        ("CNN=accuracy:87.85", ["--reference 'CNN=accuracy:87.85'", "accuracy: 87.85 is outside [0, 1]"]),
        ("CNN=acc:0.8", ["unknown key 'acc'", "allowed keys", "CLASS_f1:VALUE"]),
        ("CNN", ["write NAME=FIGURE:VALUE"]),
        ("CNN=accuracy", ["write NAME=FIGURE:VALUE"]),
    ],
)
def test_a_bad_command_line_reference_is_refused_before_anything_is_read(tmp_path, capsys, text, words):
    assert main(["compare", str(tmp_path / "no-such-run"), "--reference", text]) == 2
    err = capsys.readouterr().err
    for w in words:
        assert w in err, (w, err)
    assert "not a directory" not in err  # refused before the runs are looked for


def test_command_line_references_read_as_a_sweep_file_writes_them():
    refs = compare.parse_references(
        ["CNN (earlier)=accuracy:0.8785,play_f1:0.61,n_params:446950,note:their split, not ours", "paper=mcc:0.5"]
    )
    assert refs == [
        {
            "name": "CNN (earlier)",
            "note": "their split, not ours",
            "n_params": 446950,
            "classes": {"play": {"f1": 0.61}},
            "accuracy": 0.8785,
        },
        {"name": "paper", "mcc": 0.5},
    ]
    with pytest.raises(ConfigError, match="names must be unique"):
        compare.parse_references(["a=accuracy:0.5", "a=accuracy:0.6"])
    # a character model's space class, written as the comparison table names it, lands in its column
    (space,) = compare.parse_references(["earlier=␣_f1:0.4"])
    assert ReferenceSpec.model_validate(space).figures() == {"test_␣_f1": 0.4}  # type: ignore[attr-defined]


def _sweep_with_references(tmp_path: Path) -> Path:
    f = write_sweep(
        tmp_path / "s.yaml",
        tmp_path / "data",
        grid={"windows.overlap_percent": [0, 50]},
        variants=[
            {"name": "slow", "set": {"train.learning_rate": 0.01}},
            {"name": "fast", "set": {"train.learning_rate": 0.001}},
        ],
        references=[CNN, PERFECT],
        seeds=[1],
    )
    out = tmp_path / "sweep"
    runner.run_sweep(f, out=out, html=False, progress=False)
    return out


def test_references_are_kept_in_the_sweeps_records_and_survive_a_new_rendering(tmp_path, fake_runs):  # noqa: F811
    out = _sweep_with_references(tmp_path)
    lay = SweepLayout(out)
    assert json.loads(lay.plan.read_text())["references"] == [CNN, PERFECT]
    assert json.loads(lay.comparison_json.read_text())["references"] == [CNN, PERFECT]
    assert len(pd.read_csv(lay.comparison_csv)) == 4  # runs only: no consumer of the CSV ranks a reference
    # compared again without --reference: the sweep's own are kept; one of the same name replaces it
    compare.write_comparison(out, compare.collect_runs([out]), html_report=False)
    assert [r["name"] for r in display.open_comparison(out).meta["references"]] == [CNN["name"], "paper"]
    extra = compare.parse_references(["paper=accuracy:0.5", "RNN (paper)=balanced_accuracy:0.7"])
    compare.write_comparison(out, compare.collect_runs([out]), html_report=False, references=extra)
    c = display.open_comparison(out)
    assert c.meta["references"] == [CNN, {"name": "paper", "accuracy": 0.5}, extra[1]]


def test_a_reference_is_never_ranked_nor_chosen_best(tmp_path, fake_runs):  # noqa: F811
    from lstm_helpers.runs.slides import write_slides

    out = _sweep_with_references(tmp_path)
    for k, run in enumerate(sorted(out.glob("*/metrics.json"))):  # the fake runs tie: their log loss breaks it
        m = json.loads(run.read_text())
        run.write_text(json.dumps(m | {"val": m["val"] | {"log_loss": 0.3 + k / 10}}))
    compare.write_comparison(out, compare.collect_runs([out]), html_report=False)
    c = display.open_comparison(out)
    assert len(c.table) == 4 and "paper" not in set(c.table["run"])
    best = c.best()
    assert best is not None and best["status"] == "finished" and best["val_pr_auc"] == c.finished["val_pr_auc"].max()
    for shown in (display.ranking(c).data, display.seed_summary(c).data):
        assert "paper" not in shown and CNN["name"] not in shown
    head = display.headline(c).data
    assert "4 runs, 4 finished" in head and "Best by validation val_pr_auc" in head
    assert "never ranked nor chosen best" in head and "their data and split may differ" in head
    assert "<b>CNN (earlier notebook)</b> (accuracy 0.8785; their own split, not this one)" in head
    fig = display.plot_quality_vs_time(c)  # validation against time: a reference has no place on it
    assert all("paper" not in t.get_text() for t in fig.axes[0].texts)
    slides = write_slides(out).read_text()
    best_slide = slides[slides.index("Best by validation") :]
    assert "paper" not in best_slide[: best_slide.index("</section>")]


def test_references_are_shown_marked_beside_the_runs(tmp_path, fake_runs):  # noqa: F811
    from lstm_helpers.runs.slides import write_slides

    out = _sweep_with_references(tmp_path)
    c = display.open_comparison(out)
    page = display.runs_table(c).data
    assert page.count('<tr class="lw-reference"') == 2 and "font-style: italic" in page
    row = page[page.index('<tr class="lw-reference"') :].split("</tr>")[0]
    assert "CNN (earlier notebook) (reference, not run here)" in row and 'data-v="0.8785">0.8785<' in row, row
    rows = [
        [re.sub("<[^>]+>", "", cell) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r)]  # the cells' text
        for r in re.findall(r"<tr[^>]*>(.*?)</tr>", page)
    ]
    seed = rows[0].index("seed")
    assert [r[seed] for r in rows[1:]] == ["1"] * 4 + ["", ""]  # whole numbers beside the references' blanks
    means = display._variant_means(c)  # before / after, then each reference in a column of its own
    assert list(means.columns)[-2:] == [f"{n} (reference, not run here)" for n in (CNN["name"], "paper")]
    # shown as given: the row's three decimals wrote 0.878 under a sentence saying 0.8785
    assert means.set_index("measure").loc["test_accuracy", f"{CNN['name']} (reference, not run here)"] == "0.8785"
    deck = write_slides(out).read_text()
    assert "CNN (earlier notebook) (reference, not run here)" in " ".join(deck.split()) and ">accuracy<" in deck
    assert ">0.8785<" in deck and ">0.878<" not in deck
    assert "figures measured elsewhere" in deck and "never ranked" in deck


def test_the_story_2_example_carries_its_cnn_figure():
    spec = plan.read_sweep(Path(__file__).resolve().parent.parent / "configs" / "examples" / "slow_to_fast.yaml")
    assert [(r.name, r.accuracy) for r in spec.references] == [("CNN (earlier notebook)", 0.8785)]


def test_a_class_figure_of_a_class_the_runs_lack_is_refused_not_dropped(tmp_path, tiny_demo_dir, fake_runs, capsys):  # noqa: F811
    """'X=walk_f1:0.5' on runs whose classes are other / play was accepted and then stood in no
    table (only the page's opening sentence named it): refused, naming the class and the runs' classes."""
    out = _sweep_with_references(tmp_path)
    args = ["compare", str(out), "--out", str(tmp_path / "c")]
    assert main([*args, "--reference", "X=walk_f1:0.5"]) == 2
    err = capsys.readouterr().err
    assert (
        "--reference 'X=walk_f1:0.5': class 'walk' is not a class of the runs compared (their classes: other, play)"
        in err
    )
    assert main([*args, "--reference", "X=other_f1:0.5"]) == 2  # a class with no column: that of interest only
    assert "shows the figures of the runs' classes of interest (play), not of class 'other'" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()
    assert main([*args, "--reference", "X=play_f1:0.5"]) == 0
    # a sweep file's references: before any run, its recordings read whole to know their classes
    walk = {"name": "Y", "classes": {"walk": {"f1": 0.5}}}
    f = write_sweep(tmp_path / "w.yaml", tiny_demo_dir, references=[walk], seeds=[1])
    assert main(["sweep", str(f), "--out", str(tmp_path / "w")]) == 2
    err = capsys.readouterr().err
    assert f"sweep file {f}: references (entry 'Y'): class 'walk' is not a class of the runs compared" in err
    assert "(their classes: other, play)" in err and not (tmp_path / "w").exists()


def test_a_reference_row_leaves_settings_blank_keeps_its_digits_and_shows_its_note(tmp_path, fake_runs):  # noqa: F811
    """``compare --reference "pytorch=accuracy:0.797,seconds_per_epoch:154,note:their own split"``
    beside a grid over model.bidirectional: its row read ``model.bidirectional = nan``,
    ``seconds_per_epoch = 154.000`` (the runs' column at 3 decimals) and its note stood in the
    ``reason`` column, where a failed run says why it failed."""
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"model.bidirectional": [False, True]}, seeds=[1])
    out = tmp_path / "sweep"
    runner.run_sweep(f, out=out, html=False, progress=False)
    extra = compare.parse_references(["pytorch lstm=accuracy:0.797,seconds_per_epoch:154,note:their own split"])
    compare.write_comparison(out, compare.collect_runs([out]), html_report=False, references=extra)
    page = display.runs_table(display.open_comparison(out)).data
    heads = [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<th[^>]*>(.*?)</th>", page, re.S)]
    row = page[page.index('<tr class="lw-reference"') :]
    cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row[: row.index("</tr>")], re.S)]
    ref = dict(zip(heads, cells, strict=True))
    assert ref["model.bidirectional"] == "" and "nan" not in cells
    assert ref["seconds_per_epoch"] == "154" and ref["test_accuracy"] == "0.797"
    assert ref["note"] == "their own split" and "reason" not in heads  # no run failed: no reason column
    assert heads.index("note") == heads.index("status") + 1
