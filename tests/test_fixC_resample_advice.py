"""The advice on what to change next follows the run's own resampling.

"What to change next" always suggested ``--set resample.imbalance_factor=10`` to "train on
more of the other classes' windows": under undersampling at factor 30 that cuts them further,
and under ``none`` / ``class_weight`` the factor does nothing. Each suggested setting is now
applied here and prepared again, to check that it does what its sentence says.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, TINY

from lstm_helpers.config import resolve_config
from lstm_helpers.data.prepare import run_prepare
from lstm_helpers.runs.next_steps import suggested_changes

SET = re.compile(r"--set (?:'([^']+)'|([^\s;)]+))")


def _sets(text: str) -> list[str]:
    """The ``--set`` arguments of ``text``, as the shell would pass them."""
    return [quoted or bare for quoted, bare in SET.findall(text)]


def _prepared(tiny_demo_dir: Path, run: Path, overrides: dict | list, extra: list[str] = ()) -> dict:
    """prepare.json of the tiny demo prepared under ``overrides`` plus ``--set`` strings ``extra``."""
    raw = yaml.safe_load((ROOT / "configs" / "demo.yaml").read_text())
    base = resolve_config(raw, {**TINY, "data.path": str(tiny_demo_dir), **overrides})
    cfg = resolve_config(base.to_dict(), list(extra)) if extra else base
    run_prepare(cfg, run)
    return json.loads((run / "prepare.json").read_text()) | {"_cfg": cfg}


def _share(prep: dict, pos: str) -> float:
    after = prep["counts"]["train"]["after"]
    return after[pos] / sum(after.values())


def _advice(run: Path, prep: dict, precision: float, recall: float) -> str:
    """What to change next for ``run`` (prepared: ``prep``) whose validation gave ``precision``
    and ``recall`` for the class of interest; train.json holds the class weights training applied."""
    cfg, pos = prep["_cfg"], prep["positive_class"]
    weights = prep["class_weight"] if cfg.train.use_class_weight else None
    (run / "train.json").write_text(json.dumps({"class_weight": weights}))
    per = {pos: {"precision": precision, "recall": recall}}
    (run / "metrics.json").write_text(json.dumps({"positive_class": pos, "val": {"per_class": per}}))
    said = suggested_changes(run)
    assert len(said) == 1, said
    return said[0]


@pytest.mark.parametrize(
    ("method", "factor", "words"),
    [
        ("undersample", 2, "keeps more of the other classes' windows"),
        ("oversample", 3, "makes fewer copies of 'play'"),
        ("smote", 2, "makes fewer synthetic 'play' windows"),
        ("smote_under", 3, "makes fewer synthetic 'play' windows and keeps more of the others"),
        ("augment", 5, "trains on the windows as they are"),  # factor 10 > the data's 7:1: none at all
    ],
)
def test_the_advice_against_false_alarms_rebalances_less_under_each_method(
    tiny_demo_dir, tmp_path, method, factor, words
):
    prep = _prepared(tiny_demo_dir, tmp_path / "run", {"resample.method": method, "resample.imbalance_factor": factor})
    said = _advice(tmp_path / "run", prep, precision=0.3, recall=0.8)
    assert "Most errors are false alarms" in said and words in said, said
    assert f"resample.method {method} at imbalance_factor {factor:g} took 'play' from 57 of 463" in said, said
    sets = [s for s in _sets(said) if s.startswith("resample.")]
    assert len(sets) == 1, said
    again = _prepared(
        tiny_demo_dir, tmp_path / "again", {"resample.method": method, "resample.imbalance_factor": factor}, sets
    )
    assert _share(again, "play") < _share(prep, "play"), (sets, again["counts"]["train"])
    if method == "undersample":  # more of the other class kept, as the sentence says
        assert again["counts"]["train"]["after"]["other"] > prep["counts"]["train"]["after"]["other"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"resample.method": "undersample", "resample.imbalance_factor": 30},  # 30 > the data's 7:1: nothing cut
        {"resample.method": "none"},
        {"resample.method": "class_weight", "train.use_class_weight": False},
    ],
)
def test_no_imbalance_factor_is_suggested_where_it_would_not_lighten_the_class(tiny_demo_dir, tmp_path, overrides):
    prep = _prepared(tiny_demo_dir, tmp_path / "run", overrides)
    said = _advice(tmp_path / "run", prep, precision=0.3, recall=0.8)
    assert "Most errors are false alarms" in said and "resample." not in said and "class_weight" not in said, said
    assert "--set evaluate.min_precision=0.4" in said


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"resample.method": "undersample", "resample.imbalance_factor": 2}, "a smaller factor brings 'play'"),
        # a factor the data already meet (7 : 1 under 30): half of it (15) would cut nothing either
        ({"resample.method": "undersample", "resample.imbalance_factor": 30}, ": 1, within it"),
        ({"resample.method": "class_weight"}, "its class weight is 4.06"),
        ({"resample.method": "none"}, "--set resample.method=class_weight"),
    ],
)
def test_the_advice_against_misses_weighs_the_class_more(tiny_demo_dir, tmp_path, overrides, words):
    prep = _prepared(tiny_demo_dir, tmp_path / "run", overrides)
    said = _advice(tmp_path / "run", prep, precision=0.8, recall=0.3)
    assert "Most errors are missed 'play' windows" in said and words in said, said
    sets = [s for s in _sets(said) if s.startswith("resample.")]
    assert len(sets) == 1, said
    again = _prepared(tiny_demo_dir, tmp_path / "again", overrides, sets)

    def tilt(p: dict) -> float:  # play's weight in training: its share times its class weight against other's
        w = p["class_weight"] or {"other": 1.0, "play": 1.0}
        after = p["counts"]["train"]["after"]
        return after["play"] * w["play"] / (after["other"] * w["other"])

    assert tilt(again) > tilt(prep), (sets, again["counts"]["train"], again["class_weight"])
