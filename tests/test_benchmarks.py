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
