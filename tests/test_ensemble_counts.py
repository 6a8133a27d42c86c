"""An averaged model's parameters are said as members and their sum: ``train.json`` and stage 02's
tables gave 48,065 for five members of 9,613 (model/ensemble.py, model/summary.py,
model/models.py::model_overview), one unexplained sum beside the 9,613 of one model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_training import make_prepared, tiny_cfg  # noqa: E402

from lstm_helpers.config import ModelConfig  # noqa: E402
from lstm_helpers.data.prepared import InputInfo  # noqa: E402
from lstm_helpers.layout import RunLayout  # noqa: E402
from lstm_helpers.model import ensemble as ens  # noqa: E402
from lstm_helpers.model.models import build_model, count_params, model_overview  # noqa: E402
from lstm_helpers.model.summary import parameter_words, training_summary  # noqa: E402
from lstm_helpers.model.training import run_training  # noqa: E402


def test_parameter_words_say_the_members_and_their_sum():
    assert parameter_words(9613) == parameter_words(9613, 1, None) == "9,613"
    assert parameter_words(48065, 5, 9613) == "5 members of 9,613 parameters each, 48,065 in all"
    # a train.json written before n_params_per_member: the members share one architecture
    assert parameter_words(48065, 5) == "5 members of 9,613 parameters each, 48,065 in all"


def test_model_overview_of_an_average_names_members_and_both_counts():
    info = InputInfo.from_dict({"kind": "real", "window_length": 8, "n_channels": 2, "masked": False, "mask_value": 0})
    spec = ModelConfig(units=[4], conv=[], dense_units=[], fcn=[])
    members = [build_model(spec, info, 3, seed=s) for s in range(3)]
    one = count_params(members[0])["total"]
    single = model_overview(members[0])
    assert single.loc[0, "parameters"] == one and "members" not in single
    table = model_overview(ens.average_model(members, name="ensemble_of_3"))
    assert table.loc[0, "members"] == 3 and table.loc[0, "parameters per member"] == one
    assert table.loc[0, "parameters (all members)"] == 3 * one and "parameters" not in table


def test_an_ensembles_train_json_and_summary_give_one_members_count_beside_the_sum(tmp_path):
    run = make_prepared(tmp_path / "run")
    result = run_training(tiny_cfg(**{"train.ensemble": 2, "train.epochs": 1}), run)
    info = json.loads(RunLayout(run).train_json.read_text())
    member = json.loads(ens.member_layout(RunLayout(run), 1).train_json.read_text())
    assert info["n_params_per_member"] == member["n_params"] and info["n_params"] == 2 * member["n_params"]
    assert info["ensemble"] == 2 and member["n_params_per_member"] is None  # one model: n_params is its own
    words = training_summary(result).loc["parameters", "value"]
    each = member["n_params"]
    assert words == f"2 members of {each:,} parameters each, {2 * each:,} in all", words
