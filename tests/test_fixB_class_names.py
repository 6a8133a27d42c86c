"""Class names of data.class_map and data.other_class that differ only in case or spaces."""

import pytest

from lstm_helpers.data.prepare import run_prepare
from lstm_helpers.data.recordings import DataError


@pytest.mark.parametrize(
    "class_map, other, shown",
    [
        ({"play_chase": "play", "play_solo": "Other"}, "other", "'Other' and 'other'"),
        ({"play_chase": "play", "play_solo": "Play "}, "other", "'play' and 'Play '"),
    ],
)
def test_class_names_that_differ_only_in_case_are_refused_before_the_data_are_read(
    tiny_config, tmp_path, class_map, other, shown
):
    """``play_solo: Other`` beside ``data.other_class: other`` gave the classes ['Other', 'other',
    'play'] silently. Refused before a file is read (the path does not exist), naming both and the key."""
    cfg = tiny_config(data__path=str(tmp_path / "absent.csv"), data__class_map=class_map, data__other_class=other)
    with pytest.raises(DataError, match="differ only in case or spaces") as err:
        run_prepare(cfg, tmp_path / "run")
    assert shown in str(err.value) and "'play_solo'" in str(err.value) and "data.class_map" in str(err.value)
    assert not (tmp_path / "run" / "prepare.json").exists()


def test_distinct_class_names_still_prepare(tiny_config, tmp_path):
    cfg = tiny_config(data__class_map={"play_chase": "play", "play_solo": "solo"}, data__other_class="other")
    assert run_prepare(cfg, tmp_path / "run").meta["classes"] == ["other", "solo", "play"]
