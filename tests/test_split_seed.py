"""split.seed draws the split alone: runs with other seeds keep the same groups in each split
(the spread of a sweep over seeds is then the model's), and unset the run's seed draws it."""

import pytest

from lstm_helpers.data.demo import write_demo_recordings
from lstm_helpers.data.prepare import run_prepare


@pytest.fixture(scope="module")
def twelve_animals(tmp_path_factory):
    d = tmp_path_factory.mktemp("twelve")
    write_demo_recordings(d, seed=3, n_animals=12, minutes=0.5)
    return d


def _groups(cfg, out) -> dict:
    return {k: sorted(v) for k, v in run_prepare(cfg, out).meta["groups"].items()}


def test_split_seed_keeps_the_split_while_the_seed_changes(tiny_config, twelve_animals, tmp_path):
    def cfg(**kw):
        return tiny_config(data__path=str(twelve_animals), **kw)

    assert _groups(cfg(seed=1, split__seed=7), tmp_path / "a") == _groups(cfg(seed=2, split__seed=7), tmp_path / "b")
    drawn = [_groups(cfg(seed=s), tmp_path / f"s{s}") for s in (1, 2, 3)]
    assert any(g != drawn[0] for g in drawn[1:])  # without it, the seed draws the split
    assert _groups(cfg(seed=5, split__seed=1), tmp_path / "c") == drawn[0]
