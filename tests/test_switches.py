"""Story 5's training switches are said where a run is read: train.json, notebook 02's summary, the slides."""

from __future__ import annotations

import json

import yaml

from lstm_helpers.config import Config
from lstm_helpers.layout import RunLayout
from lstm_helpers.model.summary import switch_words, training_switches


def _switches(**train) -> dict:
    cfg = Config.model_validate({"train": train})
    return training_switches(cfg.train, cfg.model.model_dump(mode="json"), "val_balanced_accuracy")


def test_each_switch_that_is_on_is_said_in_words_and_defaults_that_do_nothing_are_not():
    sw = _switches(
        optimizer="rmsprop",
        schedule={"kind": "cosine"},
        augment={"jitter_sigma": 0.05, "scale_sigma": 0.1, "warp_sigma": 0.2},
        early_stopping={"patience": 3},
    )
    assert sw["augment"] == {"jitter_sigma": 0.05, "scale_sigma": 0.1, "warp_sigma": 0.2}
    assert "weight_decay" not in sw["optimizer"] and "label_smoothing" not in sw and "focal" not in sw
    words = switch_words(sw)
    assert words["optimizer"] == "RMSprop, learning rate 0.001"
    assert words["learning-rate schedule"] == "cosine annealing from 0.001 to 1e-06 over the run"
    assert words["dropout"] == "dropout 0.2, dense-head dropout 0.1"  # no recurrent dropout: left out
    assert words["augmentation"] == "every training batch perturbed: noise σ 0.05, channel gain σ 0.1, time warp σ 0.2"
    assert words["early stopping"] == (
        "after 3 epochs without improvement of val_balanced_accuracy, restoring the best epoch's weights"
    )
    assert not {"label smoothing", "focal loss"} & set(words)


def test_adamw_s_own_decay_label_smoothing_focal_and_a_constant_rate():
    words = switch_words(
        _switches(
            optimizer="adamw",
            schedule={"kind": "constant"},
            label_smoothing=0.1,
            loss="focal",
            early_stopping={"enabled": False},
            augment={"slice_fraction": 0.2},
        )
    )
    assert words["optimizer"] == "AdamW, learning rate 0.001, weight decay 0.004"  # Keras' AdamW default
    assert "learning-rate schedule" not in words and "early stopping" not in words
    assert words["label smoothing"] == "0.1" and words["focal loss"].startswith("gamma 2")
    assert words["augmentation"] == "every training batch perturbed: crops of up to 20% stretched back"
    sched = switch_words(_switches(schedule={"kind": "cyclical"}, weight_decay=0.01))
    assert sched["learning-rate schedule"] == "cyclical between 0.001 and 0.01 (triangular, half-cycle 2 epochs)"
    assert sched["optimizer"].endswith("weight decay 0.01")
    keep_last = switch_words(_switches(early_stopping={"patience": 1, "restore_best_weights": False}))
    assert keep_last["early stopping"].endswith("keeping the last epoch's")


def test_the_slides_say_which_switches_were_on(tmp_path):
    """The reviewer's run (augmentation, SMOTE, RMSprop, cosine): "What was tried" named the
    model, epochs, loss, SMOTE and scaling only."""
    from lstm_helpers.runs.slides import write_slides

    run = tmp_path / "r"
    lay = RunLayout(run)
    (run / "figures").mkdir(parents=True)
    cfg = Config.model_validate(
        {
            "train": {"optimizer": "rmsprop", "schedule": {"kind": "cosine"}, "augment": {"jitter_sigma": 0.05}},
            "resample": {"method": "smote"},
        }
    )
    lay.params.write_text(yaml.safe_dump(cfg.to_dict()))
    lay.status.write_text(json.dumps({"status": "finished"}))
    switches = training_switches(cfg.train, cfg.model.model_dump(mode="json"), "val_loss")
    switches["early_stopping"]["patience"] = 4  # as the budget chose it
    train = {"model_name": "lstm", "n_params": 10, "epochs_run": 4, "weights_epoch": 3, "switches": switches}
    lay.train_json.write_text(json.dumps(train))
    tried = write_slides(run).read_text().split("What was tried</h2>", 1)[1].split("</section>", 1)[0]
    for words in (
        "RMSprop, learning rate 0.001; cosine annealing from 0.001 to 1e-06 over the run",
        "dropout 0.2, dense-head dropout 0.1; every training batch perturbed: noise σ 0.05",
        "early stopping after 4 epochs without improvement of val_loss, restoring the best epoch&#x27;s weights",
    ):
        assert words in tried, words
    # a run from before train.json said them: from its parameters
    lay.train_json.write_text(json.dumps({k: v for k, v in train.items() if k != "switches"}))
    tried = write_slides(run).read_text().split("What was tried</h2>", 1)[1].split("</section>", 1)[0]
    assert "RMSprop, learning rate 0.001; cosine annealing" in tried


def test_dense_head_dropout_without_a_dense_layer_is_idle_not_described():
    """``model.dense_units: []`` builds no dense layer, yet the report and slides said
    "dense-head dropout 0.1": the rate is left out of the words and named as an idle setting."""
    from lstm_helpers.config import resolve_config
    from lstm_helpers.unused import idle_notes, idle_settings

    cfg = resolve_config({"model": {"dense_units": [], "dense_dropout": 0.3, "dropout": 0.2}})
    words = switch_words(training_switches(cfg.train, cfg.model.model_dump(mode="json"), "val_loss"))
    assert words["dropout"] == "dropout 0.2", words
    assert idle_settings(cfg)["model.dense_dropout"] == "model.dense_units []"
    assert "model.dense_dropout = 0.3 has no effect: model.dense_units is [] (a dense layer uses it)" in idle_notes(
        cfg, ("train",)
    )
    default = resolve_config({"model": {"dense_units": []}})  # the default 0.1: left out, not noted
    assert (
        "dense" not in switch_words(training_switches(default.train, default.model.model_dump(mode="json")))["dropout"]
    )
    assert not [n for n in idle_notes(default) if "dense_dropout" in n]
    with_head = resolve_config({"model": {"dense_units": [16], "dense_dropout": 0.3}})
    assert "model.dense_dropout" not in idle_settings(with_head)
    assert (
        "dense-head dropout 0.3"
        in switch_words(training_switches(with_head.train, with_head.model.model_dump(mode="json")))["dropout"]
    )
