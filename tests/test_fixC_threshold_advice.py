"""A run whose ``recall_at_precision`` floor no threshold reached on validation (so max-F1
chose the threshold) was advised to raise that floor ("for more precision, raise that floor ...
--set evaluate.min_precision=0.95"), on the report and on the slides."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest

from lstm_helpers.artifacts import load_npz, open_run, save_npz
from lstm_helpers.config import resolve_config
from lstm_helpers.judge.captions import threshold_text
from lstm_helpers.runs.next_steps import suggested_changes

SET = re.compile(r"--set (?:'([^']+)'|([^\s;)]+))")


def _sets(text: str) -> list[str]:
    """The ``--set`` arguments of ``text``, as the shell would pass them."""
    return [quoted or bare for quoted, bare in SET.findall(text)]


@pytest.mark.slow
def test_an_unreachable_precision_floor_is_never_advised_higher(tmp_path_factory, tmp_path):
    """recall_at_precision at 0.9 where validation's best precision is far lower: the threshold
    section said "for more precision, raise that floor ... --set evaluate.min_precision=0.95"."""
    import keras
    from test_evaluation import _make_run

    from lstm_helpers.judge.evaluation import run_evaluation

    run = _make_run(tmp_path_factory.mktemp("fixC") / "binary", 2)
    arrays = load_npz(run / "prepared.npz")
    scores = keras.models.load_model(run / "model.keras").predict(arrays["X_val"], verbose=0).ravel()
    rank = np.argsort(-scores)  # the top 30 % of validation's scores are all 'other', every 8th below 'play'
    y = np.zeros(len(scores), np.int64)
    y[rank[int(0.3 * len(rank)) :: 8]] = 1
    arrays["y_val"] = y
    save_npz(run / "prepared.npz", arrays)
    cfg, _ = open_run(str(run))
    cfg = resolve_config(
        cfg.to_dict(), ["evaluate.threshold_strategy=recall_at_precision", "evaluate.min_precision=0.9"]
    )
    metrics = run_evaluation(cfg, run)["metrics"]
    best = metrics["threshold_detail"]["best_reached"]
    assert best < 0.5 and metrics["threshold_strategy"] == "max_f1"

    said = threshold_text(metrics, cfg.evaluate)
    assert "min_precision=0.95" not in said and "raise that floor" not in said, said
    assert f"no threshold gives that precision on validation (the best it reaches there is {best:.3f})" in said
    assert "fell back to the one with the highest F1 (`max_f1`" in said
    assert f"--set evaluate.min_precision={np.floor(best * 100) / 100:g}`" in said
    assert "this run: `max_f1`" not in said  # the fallback is not named as the strategy the run chose

    shutil.copy(run / "prepare.json", tmp_path / "prepare.json")
    shutil.copy(run / "metrics.json", tmp_path / "metrics.json")
    m = json.loads((tmp_path / "metrics.json").read_text())
    per = m["val"]["per_class"]["play"]
    assert per["recall"] - per["precision"] > 0.05  # false alarms: no stricter floor past what validation reaches
    (advice,) = [a for a in suggested_changes(tmp_path) if a.startswith("Most errors are false alarms")]
    floors = [float(s.split("=")[1]) for s in _sets(advice) if s.startswith("evaluate.min_precision=")]
    assert all(f <= best for f in floors), advice
    assert floors or "change the model or data rather than the threshold" in advice, advice


def test_a_floor_validation_reaches_is_what_is_offered_instead(tmp_path):
    """Validation's best precision (2 of the 3 highest scores) lies above max-F1's: the floor offered
    is one it reaches (0.66 on the report; 0.54, a step above max-F1's precision, on the slides)."""
    from lstm_helpers.config import EvaluateConfig
    from lstm_helpers.judge.threshold import choose_threshold

    y = np.array([0, 1, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0])
    scores = np.linspace(0.95, 0.05, len(y))
    detail = choose_threshold(y, scores, "recall_at_precision", min_precision=0.9)
    assert detail["constraint_met"] is False and detail["precision"] < 0.6
    detail |= {"positive_class": "play", "chosen_on": "validation"}  # as evaluation records it
    per = {"play": {"precision": detail["precision"], "recall": detail["recall"]}}
    metrics = {"threshold": detail["value"], "threshold_strategy": "max_f1", "threshold_detail": detail,
               "positive_class": "play", "val": {"per_class": per}}  # fmt: skip
    said = threshold_text(metrics, EvaluateConfig(threshold_strategy="recall_at_precision", min_precision=0.9))
    assert "(the best it reaches there is 0.667)" in said and "--set evaluate.min_precision=0.66`" in said, said
    (run := tmp_path / "run").mkdir()
    (run / "metrics.json").write_text(json.dumps(metrics))
    (advice,) = suggested_changes(run)
    assert "--set evaluate.min_precision=0.54)" in advice, advice  # 0.1 above max-F1's 0.444, within reach
