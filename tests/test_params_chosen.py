"""params.yaml keeps what a run asked for ('auto' stays 'auto', so the printed resume command is
the run's own); the report's "All parameters" table says beside it what stage 02 chose, and that
early stopping and the checkpoint asked for were not used where validation could not rank epochs."""

import json

from lstm_helpers.artifacts import write_yaml
from lstm_helpers.config import Config
from lstm_helpers.runs.params_chosen import chosen_words
from lstm_helpers.runs.report import _params_html

TRAIN = {"budget": {"epochs": 200, "batch_size": 8, "patience": 20, "plateau_patience": 5}, "switches": {}}


def test_auto_values_show_what_was_chosen_and_unused_switches_say_so(tmp_path):
    params = Config().to_dict()
    params["train"] |= {"epochs": "auto", "batch_size": "auto", "checkpoint": True}
    params["train"]["early_stopping"]["enabled"] = True
    write_yaml(tmp_path / "params.yaml", params)
    (tmp_path / "train.json").write_text(json.dumps(TRAIN))
    page = _params_html(tmp_path, [])
    assert "auto (200 chosen from the training windows" in page and "auto (8 chosen" in page
    assert page.count("true (not used: the run kept its final weights") == 2
    # early stopping used: nothing said of it; no train.json: the values as asked
    used = chosen_words({"train.early_stopping.enabled": True}, TRAIN | {"switches": {"early_stopping": {}}})
    assert used == {}
    assert chosen_words({"train.epochs": "auto"}, None) == {}
