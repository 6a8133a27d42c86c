"""A search file given more max_trials, or renamed, against the same --out was refused as
"another search" without saying what differed; a search ranked by val_accuracy on an imbalanced
task gave no warning that accuracy rewards the majority class."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from test_search import write_search

from lstm_helpers.config import ConfigError
from lstm_helpers.experiments.search import Search, _claimed_dir, run_search


def _folder_of(search: Search, folder):
    """A folder that ``search`` ran in: its id, and its file as it was then (kept by the Search)."""
    folder.mkdir()
    (folder / "search_id.txt").write_text(search.search_id + "\n")
    (folder / "search.yaml").write_text(yaml.safe_dump(search.spec.model_dump(mode="json", exclude_unset=True)))
    return folder


def test_a_folder_of_another_search_names_what_differs(tmp_path, capsys):
    first = Search(write_search(tmp_path / "hb4.yaml", tmp_path, tuner="random", max_trials=4, epochs=1))
    out = _folder_of(first, tmp_path / "out")
    # the same file renamed: the same search, continued
    (tmp_path / "renamed.yaml").write_text(first.file.read_text())
    assert _claimed_dir(Search(tmp_path / "renamed.yaml"), out) == out
    assert "holds this search under the name 'hb4': it continues there" in capsys.readouterr().out
    _folder_of(first, tmp_path / "out2")
    # more trials: extended in place
    more = Search(write_search(tmp_path / "hb4.yaml", tmp_path, tuner="random", max_trials=5, epochs=1))
    assert _claimed_dir(more, tmp_path / "out2") == tmp_path / "out2"
    assert "max_trials 4 -> 5: the search in out2 is extended, its 4 trials kept" in capsys.readouterr().out
    # another setting: refused, naming it
    other = Search(write_search(tmp_path / "hb4.yaml", tmp_path, tuner="random", max_trials=4, epochs=2))
    with pytest.raises(ConfigError, match=r"differs in epochs 1 -> 2; give --out a new folder"):
        _claimed_dir(other, _folder_of(first, tmp_path / "out3"))
    fewer = Search(write_search(tmp_path / "hb4.yaml", tmp_path, tuner="random", max_trials=3, epochs=1))
    with pytest.raises(ConfigError, match=r"max_trials 4 -> 3 \(fewer trials than it holds"):
        _claimed_dir(fewer, _folder_of(first, tmp_path / "out4"))


@pytest.mark.slow
def test_more_max_trials_extend_the_search_in_its_folder(tmp_path, tiny_demo_dir):
    f = write_search(tmp_path / "s.yaml", tiny_demo_dir, tuner="random", max_trials=1, epochs=1)
    run_search(f, out=tmp_path / "search", verbose=0, run_best=False)
    body = yaml.safe_load(f.read_text()) | {"max_trials": 2}
    f.write_text(yaml.safe_dump(body))
    run_search(f, out=tmp_path / "search", verbose=0, run_best=False)
    assert len(pd.read_csv(tmp_path / "search" / "trials.csv")) == 2


def test_accuracy_as_the_objective_of_an_imbalanced_task_is_noted():
    from lstm_helpers.experiments.search import accuracy_note

    y = np.array([0] * 91 + [1] * 9)
    note = accuracy_note("val_accuracy", y, ["other", "play"])
    assert "91% of the validation windows are 'other'" in note and "scores 0.910" in note
    assert "objective: val_pr_auc or val_balanced_accuracy" in note
    assert accuracy_note("val_pr_auc", y, ["other", "play"]) is None
    assert accuracy_note("val_accuracy", np.array([0] * 50 + [1] * 50), ["other", "play"]) is None
