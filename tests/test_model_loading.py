"""Every kind of ``model.keras`` stage 02 saves (binary / multi-class, one model / the average
of several members) loads in a fresh Python process through
:func:`~lstm_helpers.model.models.load_trained_model`, as ``predict`` and a re-evaluation load
it: a multi-class average once failed there, its members saved compiled with the workbench's
``BalancedAccuracy`` metric, which nothing had registered."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from lstm_helpers.config import TrainConfig
from lstm_helpers.data.prepared import InputInfo
from lstm_helpers.model.compile import make_loss, make_metrics, make_optimizer
from lstm_helpers.model.ensemble import average_model
from lstm_helpers.model.models import build_model
from lstm_helpers.model.schedules import OneCycleLearningRate

ROOT = Path(__file__).resolve().parent.parent
N, T, C = 16, 8, 2
KINDS = {"binary": (2, 1), "binary_average": (2, 3), "multiclass": (4, 1), "multiclass_average": (4, 3)}

LOAD = """
import sys
import numpy as np
from lstm_helpers.model.models import load_trained_model

X = np.load(sys.argv[1])
for path in sys.argv[2:]:
    np.save(path + ".npy", load_trained_model(path).predict(X, verbose=0))
"""


def _trained_member(n_classes: int, seed: int, X: np.ndarray):
    """One member as stage 02 leaves it: compiled with the run's loss, metrics (multi-class:
    ``BalancedAccuracy``) and a one-cycle schedule, and trained a step."""
    from lstm_helpers.config import ModelConfig

    info = InputInfo.from_dict(
        {"kind": "real", "window_length": T, "n_channels": C, "masked": False, "mask_value": 0.0}
    )
    model = build_model(ModelConfig(units=[4], conv=[], dense_units=[], fcn=[]), info, n_classes, seed=seed)
    train = TrainConfig()
    model.compile(
        optimizer=make_optimizer(train, OneCycleLearningRate(1e-3, 3e-3, 4)),
        loss=make_loss(train, n_classes),
        metrics=make_metrics(train, n_classes),
    )
    model.fit(X, np.arange(N) % n_classes, epochs=1, batch_size=N, verbose=0)
    return model


def _member_compile_settings(path: Path) -> list[str]:
    """The nested models of a saved ``.keras`` file that carry compile settings."""
    config = json.loads(zipfile.ZipFile(path).read("config.json"))
    return [layer["name"] for layer in config["config"]["layers"] if layer.get("compile_config")]


def test_every_kind_of_saved_model_loads_in_a_fresh_process(tmp_path):
    X = np.random.default_rng(0).normal(size=(N, T, C)).astype("float32")
    np.save(tmp_path / "X.npy", X)
    expected, paths, compiled_members = {}, [], {}
    for kind, (n_classes, n_members) in KINDS.items():
        members = [_trained_member(n_classes, seed, X) for seed in range(n_members)]
        model = members[0] if n_members == 1 else average_model(members, name=f"ensemble_of_{n_members}")
        path = tmp_path / f"{kind}.keras"
        model.save(path)
        expected[kind], paths = model.predict(X, verbose=0), [*paths, str(path)]
        compiled_members[kind] = _member_compile_settings(path)
    done = subprocess.run(
        [sys.executable, "-c", LOAD, str(tmp_path / "X.npy"), *paths],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for kind in KINDS:
        np.testing.assert_allclose(np.load(tmp_path / f"{kind}.keras.npy"), expected[kind], atol=1e-6)
    # an average carries no member's optimizer, loss or metrics: Keras would rebuild them on loading
    assert compiled_members == dict.fromkeys(KINDS, []), compiled_members


@pytest.mark.parametrize("n_classes", [2, 4])
def test_an_average_shares_its_members_weights_and_leaves_them_compiled(n_classes):
    """The averaging model reads the members' own weights (not copies), and the members keep
    their compile settings: training code may still fit them."""
    X = np.random.default_rng(1).normal(size=(N, T, C)).astype("float32")
    members = [_trained_member(n_classes, seed, X) for seed in range(2)]
    model = average_model(members, name="ensemble_of_2")
    mean = np.mean([m.predict(X, verbose=0) for m in members], axis=0)
    np.testing.assert_allclose(model.predict(X, verbose=0), mean, atol=1e-6)
    members[1].layers[-1].kernel.assign(np.zeros(members[1].layers[-1].kernel.shape))
    mean = np.mean([m.predict(X, verbose=0) for m in members], axis=0)
    np.testing.assert_allclose(model.predict(X, verbose=0), mean, atol=1e-6)
    assert all(m.compiled for m in members)
