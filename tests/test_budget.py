import json

import numpy as np
import pytest

from lstm_helpers.config import ConfigError, resolve_config
from lstm_helpers.model.budget import EPOCHS_MAX, apply_budget, auto_batch_size, choose_budget

AUTO = {
    "train": {
        "batch_size": "auto",
        "epochs": "auto",
        "early_stopping": {"patience": "auto"},
        "schedule": {"kind": "plateau", "patience": "auto"},
    }
}


@pytest.mark.parametrize("n", [40, 270, 312, 1000])
def test_small_sets_get_hundreds_of_updates_and_room_to_stop(n):
    cfg = resolve_config(AUTO)
    b = choose_budget(n, [n // 4, n - n // 4], cfg.train)
    assert b.batch_size <= 16 or n >= 1000
    assert b.max_updates >= cfg.train.min_updates or b.epochs == EPOCHS_MAX
    assert b.max_updates >= 1000
    assert b.patience_updates >= 100  # patience spans enough steps to see past noise
    assert b.patience <= max(5, b.epochs // 3)  # ... and can still stop
    assert b.plateau_patience < b.patience
    assert not b.warnings
    assert f"{n:,} training windows" in b.explanation and "updates" in b.explanation


@pytest.mark.parametrize("n", [32, 40])
def test_the_smallest_sets_still_get_min_updates(n):
    # BasicMotions / GunPoint size: batch 8, 4-5 steps per epoch, 400-500 epochs
    b = choose_budget(n, [n // 2, n - n // 2], resolve_config(AUTO).train)
    assert b.batch_size == 8 and b.max_updates == 2000 and b.epochs <= EPOCHS_MAX


def test_large_sets_keep_batch_128_and_the_minimum_epochs():
    b = choose_budget(100_000, None, resolve_config(AUTO).train)
    assert (b.batch_size, b.epochs, b.patience) == (128, 20, 5)
    assert b.steps_per_epoch == 782


def test_auto_batch_is_a_power_of_two_in_range():
    sizes = [auto_batch_size(n) for n in (1, 40, 200, 270, 1024, 2048, 10**7)]
    assert sizes == [8, 8, 8, 16, 64, 128, 128]


def test_explicit_values_are_honoured_and_marked_and_warned():
    cfg = resolve_config(
        {
            "train": {
                "batch_size": 128,
                "epochs": 20,
                "early_stopping": {"patience": 5},
                "schedule": {"patience": 2},
            }
        }
    )
    b = choose_budget(270, [200, 70], cfg.train)
    assert (b.batch_size, b.epochs, b.patience, b.plateau_patience) == (128, 20, 5, 2)
    assert set(b.chosen.values()) == {"set"}
    assert "(set)" in b.explanation
    assert b.max_updates == 60 and "only 60 updates" in b.warnings[0]


def test_apply_budget_fills_whole_numbers_without_touching_the_input():
    cfg = resolve_config(AUTO)
    b = choose_budget(270, None, cfg.train)
    out = apply_budget(cfg, b)
    assert out.train.batch_size == 16 and out.train.epochs == b.epochs
    assert out.train.early_stopping.patience == b.patience
    assert cfg.train.batch_size == "auto"


def test_no_training_windows_is_an_error():
    with pytest.raises(ValueError, match="training split holds 0 windows"):
        choose_budget(0, None, resolve_config(AUTO).train)


@pytest.mark.parametrize(
    "override",
    [
        "train.batch_size=big",
        "train.epochs=0",
        "train.epochs=2.5",
        "train.early_stopping.patience=-1",
        "train.batch_size=true",
    ],
)
def test_config_refuses_anything_but_auto_or_a_whole_number(override):
    with pytest.raises(ConfigError, match="must be 'auto' or a whole number"):
        resolve_config({}, [override])


def test_code_defaults_are_the_adaptive_budget():
    """A config that only describes the data gets a budget chosen from its size (issue #9)."""
    t = resolve_config({}).train
    assert (t.batch_size, t.epochs, t.early_stopping.patience, t.schedule.patience) == ("auto",) * 4


@pytest.mark.slow
def test_training_applies_and_records_the_budget(tiny_config, tmp_path, capsys):
    from lstm_helpers.data.prepare import run_prepare
    from lstm_helpers.model.training import run_training

    cfg = tiny_config(train__batch_size="auto", train__epochs=1, train__verbose=1)
    prepared = run_prepare(cfg, tmp_path)
    result = run_training(cfg, tmp_path)
    n = len(prepared.y_train)
    assert result.batch_size == auto_batch_size(n) and result.steps_per_epoch == -(-n // result.batch_size)
    saved = json.loads((tmp_path / "train.json").read_text())["budget"]
    assert saved["batch_size"] == result.batch_size and saved["chosen"]["batch_size"] == "auto"
    assert f"{n:,} training windows" in capsys.readouterr().out


def test_small_validation_under_one_cycle_keeps_the_final_weights():
    """monitor auto + one_cycle + a validation class under 30 windows: the whole cycle, last weights."""
    from lstm_helpers.model.compile import MIN_VAL_CASES, keeps_final_weights, monitor_explanation

    t = resolve_config({}).train
    assert t.monitor == "auto" and t.schedule.kind == "one_cycle"
    small, large = [MIN_VAL_CASES - 1, 200], [MIN_VAL_CASES, 200]
    assert keeps_final_weights(t, small) and not keeps_final_weights(t, large)
    assert not keeps_final_weights(t, None)
    assert "final weights are kept" in monitor_explanation(t, "val_loss", small)
    explicit = resolve_config({}, ["train.monitor=val_loss"]).train
    plateau = resolve_config({}, ["train.schedule.kind=plateau"]).train
    assert not keeps_final_weights(explicit, small) and not keeps_final_weights(plateau, small)
    assert "early stopping and checkpoint watch val_loss" in monitor_explanation(plateau, "val_loss", small)
    assert "no early stopping" in choose_budget(40, [20, 20], t, stops_early=False).explanation
    assert "early-stopping patience" in choose_budget(40, [20, 20], t).explanation


@pytest.mark.slow
def test_training_on_a_small_validation_split_runs_the_whole_cycle(tiny_config, tmp_path, capsys):
    from lstm_helpers.data.prepare import run_prepare
    from lstm_helpers.model.training import run_training

    cfg = tiny_config(
        train__schedule__kind="one_cycle", train__monitor="auto", train__epochs=3, train__verbose=1,
        train__early_stopping__patience=1, windows__overlap_percent=0,  # half the windows
    )  # fmt: skip
    prepared = run_prepare(cfg, tmp_path)
    assert np.bincount(prepared.y_val).min() < 30  # the premise: a validation class under 30
    result = run_training(cfg, tmp_path)
    saved = json.loads((tmp_path / "train.json").read_text())
    assert result.epochs_run == 3 and result.weights_epoch == 3
    assert "no early stopping" in saved["budget"]["explanation"]
    assert "final weights are kept" in saved["budget"]["monitor"]
    assert "final weights are kept" in capsys.readouterr().out


def test_a_batch_larger_than_the_data_is_blamed_on_a_setting_only_when_one_was_made():
    from lstm_helpers.config import TrainConfig

    auto = choose_budget(2, np.array([1, 1]), TrainConfig())
    assert not any("exceeds" in w for w in auto.warnings)  # auto's smallest batch (8): no setting to blame
    fixed = choose_budget(2, np.array([1, 1]), TrainConfig(batch_size=16))
    assert any("train.batch_size = 16 exceeds the 2 training windows" in w for w in fixed.warnings)


def test_budget_explanation_counts_in_the_singular_where_one():
    """'early-stopping patience 1 epochs': one epoch, one update, one window are singular."""
    t = resolve_config({}, ["train.epochs=1", "train.batch_size=8", "train.early_stopping.patience=1",
                            "train.schedule.kind=plateau", "train.schedule.patience=1"]).train  # fmt: skip
    text = choose_budget(1, [1], t).explanation
    assert "1 training window," in text and "(1 update per epoch)" in text and "up to 1 epoch (set)" in text
    assert "early-stopping patience 1 epoch (set) (~1 update)" in text and "plateau patience 1 epoch (set)" in text
    assert (
        "up to 3 epochs (set)" in choose_budget(40, [20, 20], resolve_config({}, ["train.epochs=3"]).train).explanation
    )
