"""predict on held-out recordings: the output's column names, and scores where the input is labelled."""

import json
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import fake_recordings_run

from lstm_helpers.cli import main
from lstm_helpers.config import DataConfig, resolve_config
from lstm_helpers.data.recordings import series_from_frame
from lstm_helpers.judge.threshold import DecisionRule


def test_the_output_keeps_the_inputs_names_for_the_recording_and_the_time_column():
    """A recording column ``rec`` came out as ``rec`` but a time column ``t`` as ``time_s``: both
    now keep the input's names, so the table joins back to the input on them."""
    from lstm_helpers.runs.predict import label_timesteps, predicted_bouts

    n = 8
    df = pd.DataFrame(
        {"rec": ["r1"] * n, "t": 50.0 + np.arange(n) / 4, "ax": np.arange(n, dtype=float),
         "__file": "new.csv", "__row": np.arange(n)}
    )  # fmt: skip
    cfg = DataConfig(channels=["ax"], recording_column="rec", time_column="t", group_column=None, sample_rate_hz=4.0)
    s = series_from_frame(df, cfg, "new.csv", require_labels=False, classes=["other", "play"])
    p_play = np.array([0.1, 0.9, 0.9, 0.1, 0.1, 0.1, 0.8, 0.1])
    steps = label_timesteps(fake_recordings_run(cfg), s, {"r1": np.column_stack([1 - p_play, p_play])})
    assert list(steps.columns[:3]) == ["rec", "timestep", "t"] and "time_s" not in steps
    assert np.allclose(steps["t"], df["t"])
    bouts = predicted_bouts(fake_recordings_run(cfg), s, steps)
    assert np.allclose(bouts["start_s"], [50.25, 51.5]) and np.allclose(bouts["end_s"], [50.75, 51.75])
    # a run that reads no time column: the seconds are computed, under time_s
    plain = cfg.model_copy(update={"time_column": None})
    s = series_from_frame(df.drop(columns="t"), plain, "new.csv", require_labels=False, classes=["other", "play"])
    steps = label_timesteps(fake_recordings_run(plain), s, {"r1": np.column_stack([1 - p_play, p_play])})
    assert np.allclose(steps["time_s"], steps["timestep"] / 4.0)


def test_labels_the_run_does_not_know_are_unlabelled_with_a_note():
    """A label outside the run's class map (no catch-all), or mapped to a class the run never
    learnt, had stopped predict with the reader's error; now those steps count as unlabelled,
    with a note, and the rest map as stage 01 maps them."""
    from lstm_helpers.runs.predict_scores import raw_label_reading, run_labels

    labels = ["play_chase", "rest", "", "swim", "play_solo", "fly", "swim"]
    df = pd.DataFrame(
        {"recording_id": "r1", "time_s": np.arange(7) / 4, "ax": 0.0, "behaviour": labels,
         "__file": "new.csv", "__row": np.arange(7)}
    )  # fmt: skip
    cfg = DataConfig(
        channels=["ax"], group_column=None, label_column="behaviour", sample_rate_hz=4.0,
        class_map={"play_chase": "play", "play_solo": "play", "rest": "other", "fly": "flight"},
    )  # fmt: skip
    s = series_from_frame(df, raw_label_reading(cfg), "new.csv", require_labels=False)
    s, truth = run_labels(fake_recordings_run(cfg), s, "new.csv")
    assert truth.labelled and s.classes == ["other", "play"]
    assert list(s.labels) == [1, 0, -1, -1, 1, -1, -1]
    (note,) = truth.notes
    assert "'swim' (2 rows), 'fly' (1 row)" in note and "not among the run's classes other, play" in note
    # a catch-all folds every other label, as stage 01 does: said in the scores file only (no warning)
    catch_all = cfg.model_copy(update={"other_class": "other", "class_map": {"play_chase": "play"}})
    folds = df.assign(behaviour=["play_chase", "walk", "rest", "", "rest", "play_chase", "walk"])
    s = series_from_frame(folds, raw_label_reading(catch_all), "new.csv", require_labels=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s, truth = run_labels(fake_recordings_run(catch_all), s, "new.csv")
    assert list(s.labels) == [1, 0, 0, -1, 0, 1, 0] and not truth.notes and not truth.unscored
    (folded,) = truth.folded
    assert "went to data.other_class 'other'" in folded and "rest 2" in folded
    # a label one case or space away from a mapped one: not scored (as 'other' each play window
    # predicted there would be a false alarm), said once in place of the scores (no warning too)
    typo = folds.assign(behaviour=["play_chase", "Play_chase", "rest", "", "rest", "play_chase", "walk"])
    s = series_from_frame(typo, raw_label_reading(catch_all), "new.csv", require_labels=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s, truth = run_labels(fake_recordings_run(catch_all), s, "new.csv")
    assert (s.labels == -1).all() and not truth.labelled and not truth.notes
    (said,) = truth.unscored
    assert said.startswith("not scored: label(s) 'Play_chase' (1 rows) in column 'behaviour' differ from 'play_chase'")
    # without a label column, or with only empty cells: unlabelled, as before
    for frame in (df.drop(columns="behaviour"), df.assign(behaviour="")):
        s = series_from_frame(frame, raw_label_reading(cfg), "new.csv", require_labels=False)
        s, truth = run_labels(fake_recordings_run(cfg), s, "new.csv")
        assert not truth.labelled and (s.labels == -1).all() and s.classes == ["other", "play"]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A tiny finished run on demo recordings (as tests/test_pipeline.py makes one), and a
    held-out animal's recording: another seed of the demo, labelled."""
    from conftest import TINY

    from lstm_helpers.data.demo import write_demo_recordings

    base = tmp_path_factory.mktemp("scores")
    write_demo_recordings(base / "demo", seed=3, n_animals=6, minutes=1.0)
    write_demo_recordings(base / "holdout", seed=11, n_animals=1, minutes=2.0)
    raw = yaml.safe_load(Path("configs/demo.yaml").read_text())
    cfg = resolve_config(
        raw, {**TINY, "data.path": str(base / "demo"), "run.reports_dir": str(base / "reports"), "train.epochs": 2}
    )
    (base / "tiny.yaml").write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    assert main(["run", "--config", str(base / "tiny.yaml"), "--quiet"]) == 0
    (run,) = [p for p in (base / "reports").iterdir() if p.is_dir()]
    return run, next((base / "holdout").glob("*.parquet"))


def _expected_scores(run: Path, steps: pd.DataFrame, windows: pd.DataFrame, truth: np.ndarray) -> dict:
    """Stage 03's figures, computed here from the judge's own functions on the windows'
    probabilities as predict wrote them and the true labels mapped and windowed here."""
    from lstm_helpers.artifacts import read_params
    from lstm_helpers.data.windows import label_windows
    from lstm_helpers.judge.bouts import score_bouts
    from lstm_helpers.judge.metrics import compute_metrics

    cfg = resolve_config(read_params(run))
    classes = ["other", "play"]
    rule = DecisionRule.from_run(classes, 1, run / "threshold.json")
    starts, y_win, step_labels, predicted = [], [], {}, {}
    for rec, part in steps.groupby("recording_id", sort=False):
        lab = truth[part.index]
        step_labels[rec], predicted[rec] = lab, pd.Index(classes).get_indexer(part["predicted"])
        w = windows[windows["recording_id"] == rec]
        y_win.append(label_windows(lab, w["start"].to_numpy(), cfg.windows.length, 2, cfg.windows.label_rule,
                                   cfg.windows.min_fraction, [1], cfg.windows.unlabelled,
                                   cfg.windows.max_unlabelled_fraction))  # fmt: skip
        starts.append(w.index.to_numpy())
    y = np.concatenate(y_win)[np.argsort(np.concatenate(starts))]
    probs = windows[["p_other", "p_play"]].to_numpy()
    sel = y >= 0
    m = compute_metrics(y[sel], probs[sel], rule.apply(probs[sel]), classes, 1)
    bouts, _, _ = score_bouts(step_labels, predicted, classes, ["play"], 25.0, cfg.evaluate.bout_min_seconds,
                              cfg.evaluate.bout_merge_gap_seconds, cfg.windows.length)  # fmt: skip
    return {"y": y, "metrics": m, "bouts": bouts["play"]}


@pytest.mark.slow
def test_predict_scores_a_labelled_held_out_recording_as_stage_03_would(finished_run, tmp_path, capsys):
    """A held-out animal whose file carries the run's label column: predict wrote no true label
    and no score. Now each step and window has its true label (mapped by the run's class map,
    windowed by its label rule), each predicted bout says whether it overlaps a true one, and
    the terminal and <out>.scores.json give stage 03's figures for those windows."""
    run, holdout = finished_run
    df = pd.read_parquet(holdout)
    df.loc[df.index[100:160], "behaviour"] = None  # unannotated stretch: stays unlabelled
    df.to_csv(tmp_path / "holdout.csv", index=False)
    capsys.readouterr()
    out = tmp_path / "pred.parquet"
    assert main(["predict", "--run", str(run), "--input", str(tmp_path / "holdout.csv"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    steps = pd.read_parquet(out)
    windows = pd.read_parquet(tmp_path / "pred.windows.parquet")
    bouts = pd.read_parquet(tmp_path / "pred.bouts.parquet")
    scores = json.loads((tmp_path / "pred.scores.json").read_text())
    # true labels per step: the run's class map (play_* -> play, the rest -> other), empty cells empty
    mapped = df["behaviour"].map(lambda v: "" if pd.isna(v) else "play" if v.startswith("play") else "other")
    assert list(steps["true_label"]) == list(mapped) and (steps["true_label"].iloc[100:160] == "").all()
    truth = pd.Index(["other", "play"]).get_indexer(steps["true_label"].replace("", "\x00"))
    want = _expected_scores(run, steps, windows, truth)
    assert list(windows["true_label"]) == list(np.array(["other", "play", ""], dtype=object)[want["y"]])
    # each window's prediction by the run's rule beside its truth (a user had to apply the threshold again)
    threshold = scores["threshold"]
    assert list(windows["predicted"]) == list(np.where(windows["p_play"] >= threshold, "play", "other"))
    m = want["metrics"]
    assert scores["n"] == m["n"] == int((want["y"] >= 0).sum()) < len(windows)
    for key in ("balanced_accuracy", "pr_auc", "accuracy"):
        assert scores[key] == pytest.approx(m[key]), key
    for key in ("precision", "recall", "f1", "support"):
        assert scores["per_class"]["play"][key] == pytest.approx(m["per_class"]["play"][key], nan_ok=True), key
    b = want["bouts"]
    assert {k: scores["bouts"]["play"][k] for k in ("n_true", "n_found", "n_false_alarms")} == {
        k: b[k] for k in ("n_true", "n_found", "n_false_alarms")
    }
    assert b["n_true"] > 0 and scores["bouts"]["play"]["n_missed"] == b["n_true"] - b["n_found"]
    from lstm_helpers.style import fmt_number as f

    pc = m["per_class"]["play"]
    at = next(i for i, line in enumerate(printed) if line.startswith("scored on"))
    assert printed[at : at + 3] == [
        f"scored on {m['n']} labelled windows: balanced accuracy {f(m['balanced_accuracy'])}; accuracy "
        f"{f(m['accuracy'])} against {f(m['majority_baseline_accuracy'])} for always predicting {m['majority_class']}",
        f"play: precision {f(pc['precision'])}, recall {f(pc['recall'])}, F1 {f(pc['f1'])}, PR-AUC {f(m['pr_auc'])}",
        f"play bouts: {b['n_found']} of {b['n_true']} found, {b['n_true'] - b['n_found']} missed, "
        f"{b['n_false_alarms']} false alarm{'' if b['n_false_alarms'] == 1 else 's'}",
    ], printed
    assert printed[at - 1].endswith("bouts predicted at the run's threshold " + f"{scores['threshold']:.3g}")
    # the time budget: each class's share of the predicted and of the labelled timesteps a window covers
    budget = pd.read_parquet(tmp_path / "pred.budget.parquet")
    assert budget["recording_id"].nunique() == 3  # the animal's two recordings, then all recordings
    budget = budget[budget["recording_id"] == budget["recording_id"].iloc[-1]].set_index("class")
    covered = steps[steps["predicted"] != ""]
    labelled = covered[covered["true_label"] != ""]
    for c in ("other", "play"):
        assert budget.loc[c, "share"] == pytest.approx((covered["predicted"] == c).mean())
        assert budget.loc[c, "labelled_share"] == pytest.approx((labelled["predicted"] == c).mean())
        assert budget.loc[c, "true_share"] == pytest.approx((labelled["true_label"] == c).mean())
        assert budget.loc[c, "seconds"] == pytest.approx((covered["predicted"] == c).sum() / 25.0)
    assert printed[at + 3].startswith("time budget, predicted share of all 2 recordings: ")
    pair = f"play {budget.loc['play', 'labelled_share']:.1%} / {budget.loc['play', 'true_share']:.1%}"
    assert "on the labelled timesteps, predicted / true: " in printed[at + 3] and pair in printed[at + 3]
    assert any(line.startswith("scores: ") and line.endswith("pred.scores.json") for line in printed), printed
    # the demo's catch-all (rest, walk... -> other) is stage 01's mapping: in the scores file, not on the terminal
    assert not any("data.other_class" in line for line in printed)
    assert any("went to data.other_class 'other'" in n for n in scores["notes"])
    # each predicted bout: does it overlap a true play bout (input rows [start, end))?
    assert len(bouts) and bouts["overlaps_true_bout"].isin([True, False]).any()
    for row in bouts.itertuples():
        true = steps[steps["recording_id"] == row.recording_id]["true_label"].iloc[row.start : row.end]
        want = None if (true == "").all() else (true == "play").any()  # None: no step of it is labelled
        assert row.overlaps_true_bout == want or (want is None and pd.isna(row.overlaps_true_bout))


@pytest.mark.slow
def test_unknown_labels_are_a_note_and_unlabelled_input_is_unchanged(finished_run, tmp_path, capsys):
    from lstm_helpers.runs.predict import open_finished_run, predict_recordings

    run, holdout = finished_run
    df = pd.read_parquet(holdout)
    # a run whose class map has no catch-all: 'rest', 'walk'... are labels it does not know
    opened = open_finished_run(run)
    strict = replace(
        opened, cfg=opened.cfg.model_copy(update={"data": opened.cfg.data.model_copy(update={"other_class": None})})
    )
    df.to_csv(tmp_path / "h.csv", index=False)
    result = predict_recordings(strict, tmp_path / "h.csv", tmp_path / "strict.csv")
    (note,) = [n for n in result["notes"] if "not among the run's classes" in n]
    assert "in column 'behaviour'" in note and "count as unlabelled" in note
    steps = pd.read_csv(tmp_path / "strict.csv", keep_default_na=False)
    assert set(steps["true_label"]) <= {"play", ""} and (steps["true_label"] == "play").any()
    # unlabelled input: the tables as before, no scores file, no score line
    df.drop(columns="behaviour").to_csv(tmp_path / "bare.csv", index=False)
    (tmp_path / "bare_out.scores.json").write_text("{}")  # an earlier labelled prediction's, at the same --out
    capsys.readouterr()
    args = [
        "predict",
        "--run",
        str(run),
        "--input",
        str(tmp_path / "bare.csv"),
        "--out",
        str(tmp_path / "bare_out.csv"),
    ]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "scored" not in printed and "scores:" not in printed and "labelled" not in printed
    columns = {name: list(pd.read_csv(tmp_path / f"bare_out{name}.csv").columns) for name in ("", ".windows", ".bouts")}
    assert columns == {
        "": ["recording_id", "timestep", "time_s", "p_other", "p_play", "predicted"],
        ".windows": ["recording_id", "start", "p_other", "p_play", "predicted"],
        ".bouts": ["recording_id", "class", "start", "end", "start_s", "end_s", "mean_p"],
    }
    assert not (tmp_path / "bare_out.scores.json").exists()


def test_score_lines_say_what_was_scored_in_a_few_plain_lines():
    from lstm_helpers.runs.predict_scores import score_lines

    def per_class(**support):
        return {c: {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": n} for c, n in support.items()}

    multi = {
        "n": 2, "classes": ["a", "b"], "classes_of_interest": [], "balanced_accuracy": 0.5, "pr_auc": 0.61,
        "per_class": per_class(a=1, b=1), "confusion_matrix": [[1, 0], [1, 0]],
        "accuracy": 0.5, "majority_baseline_accuracy": 0.5, "majority_class": "a",
    }  # fmt: skip
    assert score_lines(multi) == [
        "scored on 2 labelled windows: balanced accuracy 0.500, PR-AUC 0.610 (macro over classes); "
        "accuracy 0.500 against 0.500 for always predicting a"
    ]
    # a model worse than always answering the majority: the terminal said only "balanced accuracy
    # 0.287 ... PR-AUC 0.356" while scores.json held accuracy 0.316 against a majority baseline 0.500
    worse = {**multi, "n": 38, "balanced_accuracy": 0.287, "pr_auc": 0.356, "accuracy": 0.316,
             "majority_baseline_accuracy": 0.5, "majority_class": "rest"}  # fmt: skip
    assert score_lines(worse)[0].endswith("; accuracy 0.316 against 0.500 for always predicting rest")
    nothing_predicted = {
        "n": 40, "classes": ["other", "play"], "classes_of_interest": ["play"], "balanced_accuracy": 0.5,
        "accuracy": 0.9, "majority_baseline_accuracy": 0.9, "majority_class": "other",
        "pr_auc": None, "confusion_matrix": [[36, 0], [4, 0]],
        "per_class": {**per_class(other=36), "play": {"precision": float("nan"), "recall": 0.0, "f1": float("nan"), "support": 4}},
        "pr_auc_per_class": {"play": None},
        "bouts": {"play": {"n_true": 1, "n_found": 0, "n_missed": 1, "n_false_alarms": 1}},
    }  # fmt: skip
    assert score_lines(nothing_predicted) == [
        "scored on 40 labelled windows: balanced accuracy 0.500; accuracy 0.900 against 0.900 for always predicting other",
        "play: precision –, recall 0.000, F1 –, PR-AUC –",
        "play bouts: 0 of 1 found, 1 missed, 1 false alarm",
    ]
    # an animal that never played: balanced accuracy is the one labelled class's recall, and said so;
    # play's precision 0 / F1 0 / recall – would read as a model that failed on play
    never_played = {
        **nothing_predicted, "n": 343, "balanced_accuracy": 0.787, "confusion_matrix": [[270, 73], [0, 0]],
        "accuracy": 0.787, "majority_baseline_accuracy": 1.0,
        "per_class": {**per_class(other=343), "play": {"precision": 0.0, "recall": float("nan"), "f1": 0.0, "support": 0}},
        "bouts": {"play": {"n_true": 0, "n_found": 0, "n_missed": 0, "n_false_alarms": 9}},
    }  # fmt: skip
    assert score_lines(never_played) == [
        "scored on 343 labelled windows: balanced accuracy 0.787 (the mean recall of the 1 class labelled here: other); "
        "accuracy 0.787 against 1.000 for always predicting other",
        "play: no labelled window; 73 windows predicted play, each a false alarm",
        "play bouts: none labelled, 9 false alarms",
    ]
    assert score_lines({"n": 0}) == [
        "scores: no window has a label of the run's classes by its label rule, so none was scored"
    ]


@pytest.mark.slow
def test_a_recording_from_the_runs_training_split_is_scored_with_a_note_that_it_is_not_held_out(
    finished_run, tmp_path, capsys
):
    """predict on a labelled recording the run trained on scored it ('balanced accuracy 0.949')
    without a word that the run had seen it (Story 1's leakage trap)."""
    run, _ = finished_run
    splits = json.loads((run / "prepare.json").read_text())["splits_recordings"]
    demo = Path(yaml.safe_load((run / "params.yaml").read_text())["data"]["path"])
    trained = next(
        f for f in sorted(demo.glob("*.parquet")) if set(pd.read_parquet(f)["recording_id"]) <= set(splits["train"])
    )
    recs = sorted(set(pd.read_parquet(trained)["recording_id"]))
    pd.read_parquet(trained).to_csv(tmp_path / "seen.csv", index=False)
    capsys.readouterr()
    assert (
        main(["predict", "--run", str(run), "--input", str(tmp_path / "seen.csv"), "--out", str(tmp_path / "p.csv")])
        == 0
    )
    printed = capsys.readouterr().out
    scores = json.loads((tmp_path / "p.scores.json").read_text())
    assert scores["seen_by_run"] == {"train": recs}
    said = f"the run saw {', '.join(recs)} in its training split, so these scores are not held out"
    assert any(n.startswith(said) for n in scores["notes"]), scores["notes"]
    assert f"note: {said}" in printed, printed


@pytest.mark.slow
def test_labels_one_case_away_from_the_runs_map_are_not_scored_and_that_is_said_first(finished_run, tmp_path, capsys):
    """Input labelled PLAY_CHASE... under a run that maps play_chase: predict scored those rows as
    'other' and printed "N windows predicted play, each a false alarm" before the case note at the
    end. The run maps labels as written (its training did too): it says first that it does not
    score them, and writes no scores file, true labels or false alarms."""
    run, holdout = finished_run
    df = pd.read_parquet(holdout)
    df["behaviour"] = df["behaviour"].str.upper()
    df.to_csv(tmp_path / "upper.csv", index=False)
    (tmp_path / "out.scores.json").write_text("{}")  # an earlier prediction's, at the same --out
    capsys.readouterr()
    args = ["predict", "--run", str(run), "--input", str(tmp_path / "upper.csv"), "--out", str(tmp_path / "out.csv")]
    assert main(args) == 0
    printed = capsys.readouterr().out.splitlines()
    at = next(i for i, line in enumerate(printed) if "predicted at the run's threshold" in line)
    assert printed[at + 1].startswith("not scored: label(s) 'PLAY_"), printed
    assert "of the run's data.class_map only in case or spaces" in printed[at + 1]
    rest = printed[: at + 1] + printed[at + 2 :]
    assert not any(w in line for line in rest for w in ("false alarm", "scored on", "balanced accuracy")), rest
    assert not (tmp_path / "out.scores.json").exists()
    assert "true_label" not in pd.read_csv(tmp_path / "out.csv").columns
    assert "overlaps_true_bout" not in pd.read_csv(tmp_path / "out.bouts.csv").columns


@pytest.mark.slow
def test_a_recording_too_short_for_one_window_is_named_as_such_and_not_counted_as_seen(finished_run, tmp_path, capsys):
    """A whole recording shorter than one window (20 rows, window 24) was reported as "20
    timestep(s) in no window (near a gap or a recording's end)", the wrong reason, and, being one
    of the run's training recordings, named in "the run saw ..." although it got no prediction."""
    run, holdout = finished_run
    splits = json.loads((run / "prepare.json").read_text())["splits_recordings"]
    demo = Path(yaml.safe_load((run / "params.yaml").read_text())["data"]["path"])
    frames = [pd.read_parquet(f) for f in sorted(demo.glob("*.parquet"))]
    new = pd.read_parquet(holdout)
    trained = next(
        r
        for f in frames
        for r in f["recording_id"].unique()
        if r in splits["train"] and r not in set(new["recording_id"])
    )
    short = next(f for f in frames if trained in set(f["recording_id"]))
    short = short[short["recording_id"] == trained].head(20)
    pd.concat([new, short[new.columns]], ignore_index=True).to_csv(tmp_path / "mixed.csv", index=False)
    capsys.readouterr()
    args = ["predict", "--run", str(run), "--input", str(tmp_path / "mixed.csv"), "--out", str(tmp_path / "p.csv")]
    assert main(args) == 0
    printed = capsys.readouterr().out
    steps = pd.read_csv(tmp_path / "p.csv")
    covered = steps["recording_id"] != trained
    uncovered = int((steps["predicted"].isna() & covered).sum())  # the held-out recording's own end
    assert (
        f"note: recording {trained} (20 timesteps) is shorter than one window (24 timesteps): it got no prediction"
        in printed
    ), printed
    assert (f"note: {uncovered} timestep(s) in no window" in printed) == bool(uncovered), printed
    assert "20 timestep(s) in no window" not in printed, printed
    # (the held-out animal's recordings share ids with training ones, a01_r1...: the note names those)
    seen = [line for line in printed.splitlines() if line.startswith("note: the run saw")]
    assert not any(trained in line for line in seen), printed
    assert trained not in json.loads((tmp_path / "p.scores.json").read_text())["seen_by_run"].get("train", [])
