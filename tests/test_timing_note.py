"""A 1-epoch sweep's seconds_per_epoch is its first epoch, graph tracing included: the comparison
page says so under the ranking's time columns and in the quality-vs-time section."""

from __future__ import annotations

import inspect
import json

from test_presentation import _fake_run

from lstm_helpers.experiments import compare, display
from lstm_helpers.experiments.timing_note import TRACING_MARK, tracing_note
from lstm_helpers.layout import RunLayout

STEADY = "mean of 4 epoch(s), excluding each fit call's first epoch (graph tracing)"
TRACED = "only the first epoch, incl. graph tracing"


def _comparison(tmp_path, bases):
    runs = []
    for i, basis in enumerate(bases):
        run = _fake_run(tmp_path, f"r{i}", "finished")
        train = RunLayout(run).train_json
        t = json.loads(train.read_text())
        train.write_text(json.dumps({**t, "timing_basis": basis, "seconds_per_epoch_mean": 3.0 + i}))
        metrics = RunLayout(run).metrics
        m = json.loads(metrics.read_text())
        metrics.write_text(json.dumps({**m, "val": {"pr_auc": 0.7 + i / 10, "accuracy": 0.9}}))
        runs.append(run)
    table, meta = compare.comparison_table(compare.collect_runs(runs))
    return display.Comparison(table, meta, tmp_path)


def test_the_mark_is_what_the_timing_callback_writes():
    from lstm_helpers.model.timing import TimingCallback

    assert TRACING_MARK in TRACED and TRACED in inspect.getsource(TimingCallback.steady_epoch_seconds)


def test_one_epoch_speeds_are_said_to_include_tracing(tmp_path):
    c = _comparison(tmp_path, [TRACED, TRACED])
    assert list(c.table["timing_basis"]) == [TRACED, TRACED]
    ranked = display.ranking(c).data
    assert "seconds_per_epoch" in ranked and "seconds_per_epoch of every run is its first and only" in ranked
    assert "graph tracing included" in tracing_note(c).data


def test_some_traced_runs_are_counted_and_steady_ones_say_nothing(tmp_path):
    c = _comparison(tmp_path / "a", [TRACED, STEADY])
    assert "seconds_per_epoch of 1 of 2 runs" in display.ranking(c).data
    c = _comparison(tmp_path / "b", [STEADY, STEADY])
    ranked = display.ranking(c).data  # (the timing columns' definitions say "without graph tracing")
    assert "graph tracing included" not in ranked and "first and only" not in ranked and tracing_note(c) is None
