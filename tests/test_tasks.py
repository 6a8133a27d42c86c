"""Comparisons of runs on different tasks (data or classes): said at the top of the page,
ranked within each task, never one "best" across them; labels name only keys a run reads."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from lstm_helpers.experiments import compare, display
from lstm_helpers.layout import RunLayout


def _run(
    root: Path, name: str, classes: list[str], val: float, kind: str = "recordings", path: str = "d",
    units: int = 8, **data_keys,
) -> Path:  # fmt: skip
    """A finished run directory with what the comparison reads: params.yaml, prepare.json,
    train.json, metrics.json (a binary run's PR-AUC is its positive class's), status.json."""
    lay = RunLayout(root / name)
    lay.root.mkdir(parents=True)
    # every run's params.yaml holds every key, read or not (a sequence run's recording keys: the defaults)
    data = {"kind": kind, "path": str(root / path), "recording_column": "recording_id", "time_column": "time_s"}
    data |= data_keys
    lay.params.write_text(yaml.safe_dump({"data": data, "model": {"units": [units]}, "seed": 1}))
    lay.prepare_json.write_text(json.dumps({"classes": classes}))
    lay.train_json.write_text(json.dumps({"model_name": "lstm_lay1_sz8", "n_params": 500, "total_seconds": 2.0}))

    def scores(s: float) -> dict:
        return {"accuracy": s, "balanced_accuracy": s, "mcc": s - 0.4, "pr_auc": s}

    lay.metrics.write_text(json.dumps({**scores(val - 0.1), "classes": classes, "val": scores(val)}))
    lay.status.write_text(json.dumps({"status": "finished"}))
    return lay.root


def _comparison(dirs: list[Path]) -> display.Comparison:
    table, meta = compare.comparison_table(compare.collect_runs(dirs))
    return display.Comparison(table, meta, None)


def test_runs_of_different_classes_or_data_are_never_ranked_together(tmp_path):
    """A binary run beside 4-class runs was named "Best by validation val_pr_auc: bin1": one
    class's PR-AUC against a 4-class macro average; a 3-class run on sequences beside one on a
    table was ranked with it too."""
    four = ["a", "b", "c", "d"]
    runs = [_run(tmp_path, "bin1", ["other", "play"], 0.95), _run(tmp_path, "four1", four, 0.6)]
    runs.append(_run(tmp_path, "four2", four, 0.7, path="d2"))
    c = _comparison(runs)
    head = display.headline(c).data
    assert c.best() is None and "Best by validation val_pr_auc</b>: <code>" not in head.split("<br>")[0]
    assert c.meta["task_differs"] == ["data.path", "classes"]
    assert "These runs do not share one task" in head and "they differ in data.path, classes" in head
    assert "no run is named best across them" in head and "ranked within each task" in head
    assert head.count("Best by validation") == 3  # one per task (the two 4-class runs are on other data)
    assert "<b>recordings d · 2 classes (other, play)</b>: <b>Best by validation val_pr_auc</b>" in head
    assert "<b>recordings d · 4 classes (a, b, c, d)</b>: <b>Best by validation val_balanced_accuracy</b>" in head
    ranking = display.ranking(c).data
    assert ranking.count("<h4>") == 3
    assert "no front of validation quality against time" in display.plot_quality_vs_time(c).data

    seq = _comparison([_run(tmp_path, "seq3", ["a", "b", "c"], 0.8, kind="sequences", path="s.npz")] + runs[1:2])
    assert seq.meta["task_differs"] == ["data.kind", "data.path", "classes"] and seq.best() is None
    same = _comparison([runs[1], _run(tmp_path, "four3", four, 0.65)])  # one task: ranked as before
    assert same.tasks == [] and same.best()["run"] == "four3" and "task" not in same.table


def test_labels_name_only_keys_the_runs_read(tmp_path):
    """A sequence run's label read ``recording_column=recording_id · time_column=time_s``:
    the defaults, which a sequence file never reads, beside a table run's own columns."""
    table = _run(tmp_path, "tab", ["a", "b", "c"], 0.7, kind="table", recording_column="case", time_column="t")
    seq = _run(tmp_path, "seq", ["a", "b", "c"], 0.8, kind="sequences", path="s.npz")
    c = _comparison([table, seq])
    assert "data.recording_column" not in c.param_keys and "data.time_column" not in c.param_keys
    assert display.run_labels(c).tolist() == ["tab", "seq"]  # by directory, differing in long paths: their names
    c.meta["swept"] = True  # as one sweep's runs: labelled by how they differ
    labels = display.run_labels(c).tolist()
    assert all("recording_column" not in x and "time_column" not in x for x in labels), labels
    assert labels[1].startswith("data.kind=sequences")


def test_text_runs_are_not_labelled_by_evaluate_settings_a_text_never_reads(tmp_path):
    """compare labelled two character runs baseline=minirocket and baseline=none (and by their
    threshold strategies): MiniRocket never runs on token ids, and a text's argmax reads no threshold."""
    chars = ["<pad>", "<unk>", "a", "b"]
    runs = [_run(tmp_path, name, chars, v, kind="text", path="t.txt") for name, v in (("mini", 0.5), ("none", 0.6))]
    runs.append(_run(tmp_path, "wide", chars, 0.7, kind="text", path="t.txt", units=16))
    settings = ({"baseline": "minirocket", "threshold_strategy": "fixed"}, {"baseline": "none"}, {"beta": 2.0})
    for run, ev in zip(runs, settings, strict=True):
        params = yaml.safe_load(RunLayout(run).params.read_text())
        RunLayout(run).params.write_text(yaml.safe_dump({**params, "evaluate": ev}))
    c = _comparison(runs)
    assert c.param_keys == ["model.units"], c.param_keys
    c.meta["swept"] = True
    labels = display.run_labels(c).tolist()
    assert not any("baseline" in x or "threshold" in x for x in labels), labels


def test_metric_vs_parameter_panels_keep_tasks_apart(tmp_path):
    """The metric-vs-parameter figure averaged a binary run's PR-AUC with a 4-class run's
    macro average at each parameter value; each task is now its own series, and data.path,
    which changes with the task, gets no panel of its own."""
    import matplotlib

    matplotlib.use("Agg")
    four = ["a", "b", "c", "d"]
    runs = [
        _run(tmp_path, "bin8", ["other", "play"], 0.95, units=8),
        _run(tmp_path, "bin16", ["other", "play"], 0.85, units=16),
        _run(tmp_path, "four8", four, 0.55, path="d2", units=8),
        _run(tmp_path, "four16", four, 0.45, path="d2", units=16),
    ]
    c = _comparison(runs)
    keys, _ = display.keys_that_vary_alone(c)
    assert keys == ["model.units"], keys
    fig = display.plot_metric_vs_keys(c, metrics=["val_mcc"])
    ax = fig.axes[0]
    means = sorted(
        round(float(y), 3) for line in ax.lines for y in line.get_ydata() if line.get_marker() not in (None, "None", "")
    )
    assert means == [0.05, 0.15, 0.45, 0.55], means  # val_mcc = val - 0.4 per task, never the pooled 0.3 / 0.35
    assert {t.get_text() for t in ax.get_legend().get_texts()} == set(c.tasks)


def test_runs_compared_by_directory_are_labelled_by_their_names_unless_a_few_words_tell_them_apart(tmp_path):
    """compare mc_base norestore slow labelled each run "class_map=play_chase:play … restore_best_weights=true
    · baseline=minirocket", values all runs shared included; the Ranking table cut them alike under
    a header row that showed nothing (its one text head centred off screen)."""
    two = ["other", "play"]
    runs = [
        _run(tmp_path, "mc_base", two, 0.8, units=64, recording_column="rec", time_column="t", label_column="b"),
        _run(tmp_path, "norestore", two, 0.7, units=32, recording_column="r2", time_column="t2", label_column="b2"),
        _run(tmp_path, "slow", two, 0.6, units=16, recording_column="r3", time_column="t", label_column="b"),
    ]
    c = _comparison(runs)
    assert c.meta["swept"] is False and len(c.param_keys) > 3
    assert display.run_labels(c).tolist() == ["mc_base", "norestore", "slow"]
    ranking = display.ranking(c).data
    assert '<th style="text-align: left"><span class="lw-cap">label</span></th>' in ranking and ">norestore<" in ranking
    few = _comparison([_run(tmp_path / "b", n, two, v, units=u) for n, v, u in (("x1", 0.8, 8), ("x2", 0.7, 16))])
    assert display.run_labels(few).tolist() == ["units=8", "units=16"]  # a short label that tells them apart
    shared = display.Comparison(  # a key whose value all runs share is in no label, swept or not
        few.table.assign(**{"model.dropout": 0.2}), {**few.meta, "keys": ["model.units", "model.dropout"]}, None
    )
    assert display.run_labels(shared).tolist() == ["units=8", "units=16"]
    assert display.run_labels(display.Comparison(shared.table, {**shared.meta, "swept": True}, None)).tolist() == [
        "units=8",
        "units=16",
    ]


def test_heads_of_columns_of_numbers_written_as_text_sit_over_their_numbers():
    """The before / after table holds its figures as text ("131,905", "0.746"): its heads were
    set on the left, over right-aligned numbers, once text columns' heads moved left."""
    import pandas as pd

    from lstm_helpers.experiments.html_tables import table_html

    means = pd.DataFrame(
        {"measure": ["n_params", "test_pr_auc"], "naive": ["131,905", "0.657"], "after": ["–", "0.746"]}
    )
    html = table_html(means, sortable=False)
    assert '<th style="text-align: left"><span class="lw-cap">measure</span></th>' in html
    assert '<th><span class="lw-cap">naive</span></th>' in html and '<th><span class="lw-cap">after</span></th>' in html
    # and the numbers sit under them: right-aligned cells, sorted by value, as the heads decide
    assert (
        '<td class="num" data-v="131905.0">131,905</td>' in html and '<td class="num" data-v="0.746">0.746</td>' in html
    )
    assert '<td class="num" data-v="nan">–</td>' in html and '<span class="lw-cap lw-name">n_<wbr>params</span>' in html


def test_each_tasks_best_breaks_a_tie_by_the_validation_log_loss_and_says_a_tie_that_remains(tmp_path):
    """A comparison of several tasks named each task's best by ``idxmax``: the first of runs tied
    on the validation metric, "Best by validation" with no word of the tie, where the one-task
    comparison breaks it by the lower validation log loss and says a tie that remains."""
    four = ["a", "b", "c", "d"]
    runs = [_run(tmp_path, "bin1", ["other", "play"], 0.95)]
    runs += [_run(tmp_path, name, four, 0.6, path="d2", units=u) for name, u in (("first", 8), ("second", 16))]
    runs += [_run(tmp_path, name, four, 0.7, path="d3", units=u) for name, u in (("x", 8), ("y", 16))]
    for run, loss in zip(runs, (0.5, 1.3, 1.1, 0.9, 0.9), strict=True):
        m = json.loads(RunLayout(run).metrics.read_text())
        m["val"]["log_loss"] = loss
        RunLayout(run).metrics.write_text(json.dumps(m))
    head = display.answer_sentence(_comparison(runs))
    d2, d3 = (head.split(f"<b>recordings {p} · 4 classes")[1].split("<br>")[0] for p in ("d2", "d3"))
    assert "2 runs tie at val_balanced_accuracy = 0.6" in d2 and "breaks the tie" in d2, d2
    assert "<b>Best by validation val_balanced_accuracy</b>: <code>second</code>" in d2, d2  # not idxmax's first
    assert "nor does their validation log loss tell them apart" in d3 and "None is named best" in d3, d3
    assert "<b>Shown for the tie val_balanced_accuracy</b>: <code>x</code>" in d3 and "Best by" not in d3, d3
