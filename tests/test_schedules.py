"""lstm_helpers.model.schedules: hand-written schedules against their formulas, serialisation."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from lstm_helpers.config import ScheduleConfig
from lstm_helpers.model.schedules import (
    CyclicalLearningRate,
    OneCycleLearningRate,
    learning_rate_curve,
    make_schedule,
)


def _at(schedule, step: int) -> float:
    return float(keras.ops.convert_to_numpy(schedule(step)))


def _clr(step: float, base: float, peak: float, size: float, mode: str, gamma: float = 1.0) -> float:
    """Smith (2017), written out independently of the implementation."""
    cycle = math.floor(1 + step / (2 * size))
    x = abs(step / size - 2 * cycle + 1)
    scale = {"triangular": 1.0, "triangular2": 1 / 2 ** (cycle - 1), "exp_range": gamma**step}[mode]
    return base + (peak - base) * max(0.0, 1 - x) * scale


@pytest.mark.parametrize(
    "step,expected",
    [(0, 0.001), (2, 0.0035), (4, 0.006), (6, 0.0035), (8, 0.001), (12, 0.006), (14, 0.0035)],
)
def test_triangular_values(step, expected):
    clr = CyclicalLearningRate(0.001, 0.006, step_size=4, mode="triangular")
    assert _at(clr, step) == pytest.approx(expected, rel=1e-5)


def test_triangular2_halves_the_amplitude_each_cycle():
    clr = CyclicalLearningRate(0.001, 0.006, step_size=4, mode="triangular2")
    assert _at(clr, 4) == pytest.approx(0.006, rel=1e-5)  # cycle 1 peak
    assert _at(clr, 12) == pytest.approx(0.001 + 0.005 / 2, rel=1e-5)  # cycle 2 peak
    assert _at(clr, 20) == pytest.approx(0.001 + 0.005 / 4, rel=1e-5)  # cycle 3 peak
    assert _at(clr, 16) == pytest.approx(0.001, rel=1e-5)  # cycle boundary


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_cyclical_matches_formula_at_many_steps(mode):
    clr = CyclicalLearningRate(1e-4, 1e-2, step_size=5, mode=mode, gamma=0.97)
    steps = np.arange(0, 41)
    got = learning_rate_curve(clr, 41)
    expected = [_clr(s, 1e-4, 1e-2, 5, mode, 0.97) for s in steps]
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    assert _at(clr, 5) == pytest.approx(1e-4 + (1e-2 - 1e-4) * (0.97**5 if mode == "exp_range" else 1), rel=1e-5)


def test_one_cycle_values():
    sched = OneCycleLearningRate(initial_lr=0.001, max_lr=0.01, total_steps=100, warmup_fraction=0.3, final_lr=1e-5)
    assert sched.warmup_steps == 30
    assert _at(sched, 0) == pytest.approx(0.001, rel=1e-5)
    assert _at(sched, 15) == pytest.approx((0.001 + 0.01) / 2, rel=1e-5)  # half-way up (cosine)
    assert _at(sched, 30) == pytest.approx(0.01, rel=1e-5)  # peak
    assert _at(sched, 65) == pytest.approx((0.01 + 1e-5) / 2, rel=1e-5)  # half-way down
    assert _at(sched, 100) == pytest.approx(1e-5, rel=1e-4)
    assert _at(sched, 500) == pytest.approx(1e-5, rel=1e-4)  # stays at the floor
    curve = learning_rate_curve(sched, 100)
    assert np.all(np.diff(curve[:30]) > 0) and np.all(np.diff(curve[30:]) < 0)


def test_invalid_arguments_are_refused():
    with pytest.raises(ValueError, match="mode"):
        CyclicalLearningRate(0.001, 0.01, 4, mode="sawtooth")
    with pytest.raises(ValueError, match="max_lr"):
        CyclicalLearningRate(0.01, 0.001, 4)
    with pytest.raises(ValueError, match="total_steps"):
        OneCycleLearningRate(0.001, 0.01, total_steps=0)


@pytest.mark.parametrize(
    "schedule",
    [
        CyclicalLearningRate(0.001, 0.004, step_size=3, mode="exp_range", gamma=0.9),
        OneCycleLearningRate(0.001, 0.01, total_steps=20, warmup_fraction=0.25, final_lr=1e-4),
    ],
    ids=["cyclical", "one_cycle"],
)
def test_schedules_serialise(schedule, tmp_path):
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert type(restored) is type(schedule) and restored.get_config() == schedule.get_config()
    np.testing.assert_allclose(learning_rate_curve(restored, 25), learning_rate_curve(schedule, 25))
    # inside a compiled model saved as .keras
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="mse")
    model.fit(np.zeros((4, 3)), np.zeros((4, 1)), verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert type(loaded.optimizer._learning_rate) is type(schedule)
    assert int(loaded.optimizer.iterations) == 1


def test_make_schedule_kinds():
    lr = 0.002
    assert make_schedule(ScheduleConfig(kind="constant"), lr, 10, 5) == lr
    assert make_schedule(ScheduleConfig(kind="plateau"), lr, 10, 5) == lr
    cosine = make_schedule(ScheduleConfig(kind="cosine", min_lr=1e-5), lr, 10, 5)
    assert isinstance(cosine, keras.optimizers.schedules.CosineDecay)
    assert _at(cosine, 0) == pytest.approx(lr) and _at(cosine, 50) == pytest.approx(1e-5, rel=1e-3)
    cyc = make_schedule(ScheduleConfig(kind="cyclical", step_size_epochs=2, mode="triangular2"), lr, 10, 5)
    assert isinstance(cyc, CyclicalLearningRate)
    assert cyc.step_size == 20 and cyc.max_lr == pytest.approx(10 * lr)  # max_lr None = 10 x lr
    one = make_schedule(ScheduleConfig(kind="one_cycle", max_lr=0.01, warmup_fraction=0.2), lr, 10, 5)
    assert isinstance(one, OneCycleLearningRate) and one.total_steps == 50 and one.warmup_steps == 10
    with pytest.raises(ValueError, match="max_lr"):
        make_schedule(ScheduleConfig(kind="one_cycle", max_lr=0.001), lr, 10, 5)
    # the default schedule: one_cycle peaking at 3 x the rate (max_lr None)
    default = make_schedule(ScheduleConfig(), lr, 10, 5)
    assert isinstance(default, OneCycleLearningRate) and default.max_lr == pytest.approx(3 * lr)


def test_constant_curve():
    np.testing.assert_array_equal(learning_rate_curve(0.01, 4), [0.01] * 4)
