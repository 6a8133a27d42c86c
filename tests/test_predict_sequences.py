"""``predict`` with a run trained on pre-segmented sequences (story 4): new cases are read by
stage 01's reader, padded / truncated / stretched and scaled as the run's stage 01 did, run
through the one inference path and decided by the run's rule; one row per case.

The end-to-end test trains one tiny sequences run (about a minute on a shared CPU) and checks
that predicting its own test cases repeats ``predictions_test.csv``; the others run stage 01
only (no TensorFlow) and compare the model input ``predict`` builds with ``X_test``."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from lstm_helpers.artifacts import load_npz, write_yaml
from lstm_helpers.cli import main
from lstm_helpers.config import Config, load_config
from lstm_helpers.data.examples import write_example_sequences
from lstm_helpers.data.prepare import run_prepare
from lstm_helpers.data.prepared import read_prepare_json
from lstm_helpers.judge.threshold import DecisionRule
from lstm_helpers.layout import RunLayout
from lstm_helpers.style import fmt_number

EXAMPLE = ROOT / "configs" / "examples" / "sequences.yaml"
TINY = {"train.epochs": 1, "train.verbose": 0, "train.batch_size": 64, "model.units": [8]}
PAD = 80  # shorter than the longest example cases (100): some test cases are truncated


def _config(npz: Path, **overrides: object) -> Config:
    return load_config(EXAMPLE, {"data.path": str(npz), "data.pad_length": PAD, **TINY, **overrides})


def _test_cases(npz: Path, run: Path, keep: tuple[str, ...] = ("values", "lengths", "y", "groups")) -> dict:
    """The run's test cases, in the order of ``prepared.npz``'s test split, in the input format."""
    arrays, prepared = load_npz(npz), load_npz(run / "prepared.npz")
    idx = np.array([int(r.removeprefix("case")) for r in prepared["rec_test"]])
    starts = np.concatenate([[0], np.cumsum(arrays["lengths"])])
    out = {
        "values": np.concatenate([arrays["values"][starts[i] : starts[i + 1]] for i in idx]),
        "lengths": arrays["lengths"][idx],
        "y": arrays["y"][idx],
        "groups": arrays["groups"][idx],
    }
    return {k: v for k, v in out.items() if k in keep}


@pytest.fixture(scope="module")
def sequences_run(tmp_path_factory) -> tuple[Path, Path]:
    """A finished tiny sequences run (prepare, train, evaluate) and its input file."""
    from lstm_helpers.judge.evaluation import run_evaluation
    from lstm_helpers.model.training import run_training

    d = tmp_path_factory.mktemp("seqrun")
    npz = write_example_sequences(d / "seq.npz", n=200)
    cfg, run = _config(npz), d / "run"
    run_prepare(cfg, run)
    run_training(cfg, run)
    run_evaluation(cfg, run)
    write_yaml(run / "params.yaml", cfg.to_dict())
    return run, npz


def test_predict_on_the_runs_test_cases_repeats_its_test_predictions(sequences_run, tmp_path, capsys):
    run, npz = sequences_run
    np.savez(tmp_path / "new.npz", **_test_cases(npz, run))
    rc = main(["predict", "--run", str(run), "--input", str(tmp_path / "new.npz"), "--out", str(tmp_path / "p.csv")])
    out = capsys.readouterr().out
    assert rc == 0, out
    got, want = pd.read_csv(tmp_path / "p.csv"), pd.read_csv(run / "predictions_test.csv")
    probs = [c for c in want.columns if c.startswith("p_")]
    assert list(got.columns) == ["case", "group", "predicted", *probs, "true_label"]
    assert got["case"].tolist() == list(range(len(want)))
    np.testing.assert_allclose(got[probs].to_numpy(), want[probs].to_numpy(), rtol=0, atol=1e-6)
    assert (got["predicted"] == want["y_pred"]).all() and (got["true_label"] == want["y_true"]).all()
    saved = load_npz(run / "predictions_test.npz")["probs"]
    np.testing.assert_allclose(got[probs].to_numpy(), saved, rtol=0, atol=1e-6)
    m = json.loads((run / "metrics.json").read_text())  # the run's test cases: its own test scores
    from lstm_helpers.style import fmt_number as f

    # the majority baseline ranks the classes by the run's training windows, in predict as in stage 03
    assert (
        f"scored on {len(want)} labelled cases: balanced accuracy {f(m['balanced_accuracy'])}, PR-AUC "
        f"{f(m['pr_auc'])} (macro over classes); accuracy {f(m['accuracy'])} against "
        f"{f(m['majority_baseline_accuracy'])} for always predicting {m['majority_class']}"
    ) in out, out
    # the scores of labelled recordings' windows, of cases: stage 03's test figures of the same cases
    scores = json.loads((tmp_path / "p.scores.json").read_text())
    assert any(line.startswith("scores: ") and line.endswith("p.scores.json") for line in out.splitlines()), out
    assert scores["seen_by_run"] == {}
    for key in ("n", "accuracy", "balanced_accuracy", "mcc", "pr_auc", "log_loss"):
        assert scores[key] == pytest.approx(m[key], abs=1e-6), key
    assert scores["per_class"] == m["per_class"] and scores["confusion_matrix"] == m["confusion_matrix"]
    assert scores["decision_rule"] == m["decision_rule"] and "held_out" not in scores
    assert "the run saw" not in out and "did not train or validate on" not in out  # held-out cases: no note
    longer = int((_test_cases(npz, run)["lengths"] > PAD).sum())
    assert longer and out.count(f"{longer} case(s) longer than data.pad_length={PAD} were truncated") == 1


def test_predict_in_a_fresh_process_writes_nothing_to_stderr(sequences_run, tmp_path):
    """The first inference of a masked model logs ``E0000 ... oneDNN supports DT_BOOL only on
    platforms with AVX-512`` to file descriptor 2 (once per process): predict's first line."""
    import subprocess
    import sys

    run, npz = sequences_run
    np.savez(tmp_path / "new.npz", **_test_cases(npz, run, keep=("values", "lengths")))
    cmd = [sys.executable, "-m", "lstm_helpers", "predict", "--run", str(run), "--input", str(tmp_path / "new.npz")]
    done = subprocess.run(
        cmd, capture_output=True, text=True, timeout=600, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": ""}
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and "predicted" in done.stdout, done.stderr


def test_predict_unlabelled_cases_writes_no_truth_and_no_accuracy(sequences_run, tmp_path, capsys):
    run, npz = sequences_run
    np.savez(tmp_path / "new.npz", **_test_cases(npz, run, keep=("values", "lengths")))
    assert main(["predict", "--run", str(run), "--input", str(tmp_path / "new.npz")]) == 0
    out = capsys.readouterr().out
    got, want = pd.read_csv(tmp_path / "new.predictions.csv"), pd.read_csv(run / "predictions_test.csv")
    assert "true_label" not in got and "group" not in got and "accuracy" not in out
    assert (got["predicted"] == want["y_pred"]).all()
    # the output is a table (as for recordings), so it never replaces the .npz it reads
    before = (tmp_path / "new.npz").read_bytes()
    rc = main(["predict", "--run", str(run), "--input", str(tmp_path / "new.npz"), "--out", str(tmp_path / "new.npz")])
    assert rc == 2 and "predictions are written as CSV (.csv) or Parquet" in capsys.readouterr().err
    assert (tmp_path / "new.npz").read_bytes() == before
    rc = main(["predict", "--run", str(run), "--input", str(tmp_path / "new.npz"), "--out", str(tmp_path / "x.txt")])
    assert rc == 2 and "name the file x.csv" in capsys.readouterr().err and not (tmp_path / "x.txt").exists()


# --------------------------------------------------------------- stage 01 only: the model's input
def _finished(cfg: Config, run: Path):
    from lstm_helpers.runs.predict import FinishedRun

    run_prepare(cfg, run)
    info = read_prepare_json(run)
    return FinishedRun(RunLayout(run), cfg, info, DecisionRule(tuple(info["classes"])))


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"scale.per": "recording", "scale.method": "minmax"},  # per sequence, real steps kept off the mask
        {"data.variable_length": "stretch"},
    ],
    ids=["global scaler", "per sequence minmax", "stretch"],
)
def test_new_cases_are_padded_and_scaled_as_stage_01_did(overrides, tmp_path):
    from lstm_helpers.runs.predict_sequences import read_new_cases

    npz = write_example_sequences(tmp_path / "seq.npz", n=60)
    finished = _finished(_config(npz, **overrides), tmp_path / "run")
    np.savez(tmp_path / "new.npz", **_test_cases(npz, tmp_path / "run", keep=("values", "lengths")))
    with warnings.catch_warnings(record=True) as said:  # its notes are the caller's to say, once
        warnings.simplefilter("always")
        s, truth, X = read_new_cases(finished, tmp_path / "new.npz")
    assert not said, [str(w.message) for w in said]
    assert truth is None and (s.case_labels == -1).all()
    np.testing.assert_array_equal(X, load_npz(tmp_path / "run" / "prepared.npz")["X_test"])


def test_a_note_of_scaling_new_cases_is_kept_for_the_caller_not_warned(tmp_path):
    """One channel scaled per sequence by minmax: each case's minimum is exactly 0.0, the mask
    value, and moves by 1e-6. predict says the readers' notes once, from ``s.notes``: none
    reaches the terminal as a raw Python warning (reading under ``checking_only``, not under a
    filter of every warning of this package, which would also hide warnings nobody says)."""
    from lstm_helpers.runs.predict_sequences import read_new_cases

    rng = np.random.default_rng(8)
    lengths = rng.integers(10, 31, 40)
    values = rng.normal(size=(lengths.sum(), 1)).astype(np.float32)
    np.savez(tmp_path / "seq.npz", values=values, lengths=lengths, y=np.array(["a", "b"] * 20), groups=np.arange(40))
    cfg = _config(tmp_path / "seq.npz", **{"scale.per": "recording", "scale.method": "minmax", "data.pad_length": 30})
    with pytest.warns(UserWarning, match="moved by 1e-6"):  # stage 01 says it where its notes go
        finished = _finished(cfg, tmp_path / "run")
    np.savez(tmp_path / "new.npz", values=values[: lengths[:5].sum()], lengths=lengths[:5])
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        s, _, X = read_new_cases(finished, tmp_path / "new.npz")
    assert not said, [str(w.message) for w in said]
    assert [n for n in s.notes if "moved by 1e-6" in n] == [
        "5 real timestep(s) equal to data.mask_value (0) in every channel after scaling were moved by 1e-6 "
        "so that the model does not skip them as padding"
    ]
    assert (X[:, :, 0][np.arange(30)[None, :] < lengths[:5, None]] > 0).all()


def test_new_cases_in_the_X_form_and_with_labels_the_run_does_not_know(tmp_path):
    from lstm_helpers.runs.predict_sequences import read_new_cases

    npz = write_example_sequences(tmp_path / "seq.npz", n=60)
    finished = _finished(_config(npz), tmp_path / "run")
    X = np.random.default_rng(0).normal(size=(3, PAD, 2))
    np.savez(tmp_path / "new.npz", X=X, y=np.array(["sine", "zigzag", ""]))
    s, truth, got = read_new_cases(finished, tmp_path / "new.npz")
    assert truth.tolist() == ["sine", "zigzag", ""] and s.case_labels.tolist() == [
        finished.classes.index("sine"),
        -1,
        -1,
    ]
    assert any("'zigzag'" in n and "not among the run's classes" in n for n in s.notes)
    scaler = finished.info["scaler"]
    np.testing.assert_allclose(got, (X - scaler["center"]) / np.asarray(scaler["scale"]), rtol=1e-5, atol=1e-5)


def _padded(arrays: dict, steps: int) -> dict:
    """The same cases in the ``X`` form: (n, ``steps``, channels), zero after each case's
    length, with ``lengths`` kept."""
    lengths, values = arrays["lengths"], arrays["values"]
    X = np.zeros((len(lengths), steps, values.shape[1]), values.dtype)
    X[np.arange(steps)[None, :] < lengths[:, None]] = values
    return {**{k: v for k, v in arrays.items() if k != "values"}, "X": X}


def test_X_with_lengths_reads_as_values_with_lengths_in_stage_01_and_predict(tmp_path):
    """A zero-padded ``X`` given with ``lengths`` had its lengths ignored: every case was
    X.shape[1] steps long, the padding read as data and nothing masked (every case 'truncated'
    at data.pad_length; predict agreed with the values form on half the labels). Both forms
    now give the same prepared arrays and notes, and predict the same model input."""
    from lstm_helpers.runs.predict_sequences import read_new_cases

    npz = write_example_sequences(tmp_path / "seq.npz", n=60)
    np.savez(tmp_path / "padded.npz", **_padded(load_npz(npz), 110))  # wider than the longest case (100)
    flat = _finished(_config(npz), tmp_path / "flat")
    padded = _finished(_config(tmp_path / "padded.npz"), tmp_path / "padded")
    a, b = load_npz(tmp_path / "flat" / "prepared.npz"), load_npz(tmp_path / "padded" / "prepared.npz")
    assert sorted(a) == sorted(b) and "X_train" in a
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert flat.info["notes"] == padded.info["notes"]
    assert {**flat.info["input"], "source": ""} == {**padded.info["input"], "source": ""}
    assert padded.info["input"]["masked"]
    cases = _test_cases(npz, tmp_path / "flat", keep=("values", "lengths", "y"))
    np.savez(tmp_path / "new_flat.npz", **cases)
    np.savez(tmp_path / "new_padded.npz", **_padded(cases, 100))
    s_flat, truth_flat, X_flat = read_new_cases(flat, tmp_path / "new_flat.npz")
    s_padded, truth_padded, X_padded = read_new_cases(flat, tmp_path / "new_padded.npz")
    np.testing.assert_array_equal(X_padded, X_flat)
    np.testing.assert_array_equal(X_padded, a["X_test"])
    assert s_padded.notes == s_flat.notes and (truth_padded == truth_flat).all()
    assert s_padded.lengths_true.tolist() == np.minimum(cases["lengths"], PAD).tolist()


def test_zero_padded_X_without_lengths_is_noted_in_stage_01_and_predict(tmp_path):
    """The same cases zero-padded without ``lengths`` (PyTorch's habit): read as real steps, as
    data/README.md says, but stage 01 (prepare.json's notes: the terminal and the report) and
    predict now say how many cases end in all-zero steps and to give ``lengths``; a masked
    run's predict of such a file changed 20 of 30 labels without a word."""
    from lstm_helpers.runs.predict_sequences import read_new_cases

    npz = write_example_sequences(tmp_path / "seq.npz", n=60)
    arrays = load_npz(npz)
    padded = {k: v for k, v in _padded(arrays, 100).items() if k != "lengths"}
    np.savez(tmp_path / "padded.npz", **padded)
    finished = _finished(_config(tmp_path / "padded.npz", **{"data.pad_length": None}), tmp_path / "run")
    assert not finished.info["input"]["masked"]  # every step real: the rule is kept
    shorter, steps = int((arrays["lengths"] < 100).sum()), int((100 - arrays["lengths"]).sum())
    said = f"{shorter} of 60 case(s) in padded.npz end in steps that are 0 in every channel ({steps:,} steps"
    assert [n for n in finished.info["notes"] if n.startswith(said) and "add 'lengths'" in n], finished.info["notes"]
    flat = _finished(_config(npz), tmp_path / "flat")  # a masked run, given the new cases without their lengths
    cases = _test_cases(npz, tmp_path / "flat", keep=("values", "lengths", "y"))
    np.savez(tmp_path / "new.npz", **{k: v for k, v in _padded(cases, 100).items() if k != "lengths"})
    s, _, _ = read_new_cases(flat, tmp_path / "new.npz")
    n_short = int((cases["lengths"] < 100).sum())
    assert [n for n in s.notes if n.startswith(f"{n_short} of {len(cases['y'])} case(s) in new.npz end in steps")]
    assert [n for n in s.notes if "trained with 'lengths'" in n and "give this file 'lengths' too" in n], s.notes
    s, _, _ = read_new_cases(finished, tmp_path / "new.npz")  # the unmasked run read its padding as data too
    assert [n for n in s.notes if "trained without a mask too" in n] and not [
        n for n in s.notes if "'lengths' too" in n
    ]


def _wide(arrays: dict, steps: int) -> pd.DataFrame:
    """Cases as one row each, ``{channel}_t{t}`` columns, trailing cells empty."""
    lengths, values = arrays["lengths"], arrays["values"]
    starts = np.concatenate([[0], np.cumsum(lengths)])
    block = np.full((len(lengths), steps, values.shape[1]), np.nan)
    for i, (a, b) in enumerate(zip(starts[:-1], starts[1:], strict=True)):
        block[i, : b - a] = values[a:b]
    df = pd.DataFrame({f"{c}_t{t}": block[:, t, k] for k, c in enumerate(("a", "b")) for t in range(steps)})
    if "y" in arrays:
        df["label"], df["subject"] = arrays["y"], arrays["groups"]
    return df


def test_table_of_one_row_per_sample_is_read_as_its_stage_01_read_it(tmp_path):
    from lstm_helpers.runs.predict_sequences import read_new_cases

    npz = write_example_sequences(tmp_path / "seq.npz", n=60)
    _wide(load_npz(npz), 100).to_csv(tmp_path / "cases.csv", index=False)
    table = {"data.kind": "table", "data.path": str(tmp_path / "cases.csv"), "data.sequence_columns": "{channel}_t{t}",
             "data.channels": ["a", "b"], "data.label_column": "label", "data.group_column": "subject",
             "data.recording_column": None, "data.time_column": None}  # fmt: skip
    finished = _finished(load_config(EXAMPLE, {**TINY, "data.pad_length": PAD, **table}), tmp_path / "run")
    cases = _test_cases(npz, tmp_path / "run", keep=("values", "lengths"))
    _wide(cases, 100).to_csv(tmp_path / "new.csv", index=False)  # no label column: labels are optional
    s, truth, X = read_new_cases(finished, tmp_path / "new.csv")
    assert truth is None and s.n_recordings == len(cases["lengths"])
    np.testing.assert_array_equal(X, load_npz(tmp_path / "run" / "prepared.npz")["X_test"])


def _labelled_run(classes: list[str], interest: list[str] | None = None):
    """What :func:`~lstm_helpers.runs.predict_sequences.case_scores` reads of a finished argmax run."""
    from types import SimpleNamespace

    from lstm_helpers.config import TrainConfig

    return SimpleNamespace(
        classes=classes,
        info={"classes": classes, "classes_of_interest": interest or []},
        rule=DecisionRule(tuple(classes)),
        cfg=SimpleNamespace(train=TrainConfig()),
    )


def test_a_label_the_run_does_not_know_counts_as_unlabelled_in_the_accuracy():
    """predict of cases labelled pos / maybe / pos said "accuracy 0.333 on 3 labelled case(s)":
    the unknown label 'maybe' (which its note names) counted as a wrong prediction."""
    from lstm_helpers.runs.predict_sequences import case_score_lines, case_scores

    run = _labelled_run(["neg", "pos"])
    table = pd.DataFrame({"predicted": ["pos", "pos", "neg"], "true_label": ["pos", "maybe", "neg"]})
    probs = np.array([[0.2, 0.8], [0.3, 0.7], [0.9, 0.1]], dtype="float32")
    lines = case_score_lines(case_scores(run, table, probs))
    assert lines == [  # a binary run's positive class is its class of interest, as stage 03 has it
        "scored on 2 labelled cases: balanced accuracy 1.000; accuracy 1.000 against 0.500 for always predicting neg",
        "pos: precision 1.000, recall 1.000, F1 1.000, PR-AUC 1.000",
    ]
    assert case_score_lines(case_scores(run, table.assign(true_label=["", "maybe", ""]), probs)) == [
        "scores: no case of the input has a label of the run's classes, so none was scored"
    ]
    assert case_scores(run, table.drop(columns="true_label"), probs) is None


def test_labelled_cases_get_the_scores_of_labelled_windows_without_a_raw_library_warning():
    """predict on labelled cases of a five-member average printed scikit-learn's raw "The y_prob
    values do not sum to one" (the model's float32 rows, summing to one at float32 precision,
    were scored from the table's float64 copies) and gave no per-class scores nor scores.json;
    they are now the scores of labelled recordings' windows, each class of interest's line too."""
    from lstm_helpers.runs.predict_sequences import case_score_lines, case_scores

    rng = np.random.default_rng(0)
    members = rng.dirichlet(np.ones(4), size=(5, 40)).astype("float32")
    probs = members.mean(axis=0)  # as Keras' Average layer: rows sum to one at float32 precision only
    assert not np.allclose(probs.astype(np.float64).sum(axis=1), 1.0, rtol=np.sqrt(np.finfo(np.float64).eps), atol=0)
    classes = ["a", "b", "c", "rare"]
    table = pd.DataFrame({"true_label": np.array(classes)[np.arange(40) % 4]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = case_scores(_labelled_run(classes, ["rare"]), table, probs, np.arange(40) >= 10)
        lines = case_score_lines(scores)
    assert scores["n"] == 40 and scores["held_out"]["n"] == 30 and scores["classes_of_interest"] == ["rare"]
    assert set(scores["per_class"]) == set(classes) and len(scores["confusion_matrix"]) == 4
    assert lines[0].startswith("scored on 40 labelled cases: balanced accuracy ") and "macro" not in lines[0]
    assert lines[1].startswith("on the 30 labelled cases the run did not train or validate on: balanced accuracy ")
    rare = scores["per_class"]["rare"]
    assert lines[2] == (
        f"rare: precision {fmt_number(rare['precision'])}, recall {fmt_number(rare['recall'])}, "
        f"F1 {fmt_number(rare['f1'])}, PR-AUC {fmt_number(scores['pr_auc_per_class']['rare'])}"
    )


def test_predict_refuses_a_run_whose_stage_02_ran_again_after_its_stage_03(sequences_run, tmp_path, capsys):
    """Notebook 02 run again by hand after 03 (the scratch run is there to be run again) records
    the run as partial; it left 03's metrics.json (and threshold.json) of the model before,
    and predict applied that model's decision rule to the new model without a word. Stage 02
    now removes them, and predict refuses the run by its status, naming the stage to run and
    its command (a run copied with stale files would be refused the same way)."""
    import shutil

    from lstm_helpers.artifacts import read_params
    from lstm_helpers.config import resolve_config
    from lstm_helpers.model.training import run_training

    run, npz = sequences_run
    copy = Path(shutil.copytree(run, tmp_path / "run"))
    run_training(resolve_config(read_params(copy)), copy)  # stage 02 again, as its notebook runs it
    assert not (copy / "metrics.json").exists()  # stage 02 removes 03's outputs of the model before
    assert json.loads((copy / "status.json").read_text())["stages_done"] == ["prepare", "train"]
    args = ["predict", "--run", str(copy), "--input", str(npz), "--out", str(tmp_path / "p.csv")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "is not a finished run" in err and "stage 03 (evaluate) has not run on its current model" in err, err
    assert f"lstm-workbench evaluate --run {copy}" in err and not (tmp_path / "p.csv").exists()
    # a run whose last attempt failed or is still running is refused too, with what to do
    status = json.loads((copy / "status.json").read_text())
    (copy / "status.json").write_text(json.dumps({**status, "status": "failed", "stage": "evaluate",
                                                  "reason": "ValueError: boom"}))  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "is not a finished run: its last attempt failed in stage evaluate (ValueError: boom)" in err, err
    assert "lstm-workbench run --config" in err


def test_a_file_that_is_not_an_npz_is_refused_naming_the_format_the_run_reads(sequences_run, tmp_path, capsys):
    """A CSV of cases given to a sequences run was refused as "not an npz (... starts with
    b'case')" alone: the message now says which format the run reads and where it is described."""
    run, npz = sequences_run
    cases = _test_cases(npz, run, keep=("values", "lengths", "y"))
    rows = np.repeat(np.arange(len(cases["lengths"])), cases["lengths"])
    frame = pd.DataFrame({"case": rows, "ch0": cases["values"][:, 0], "ch1": cases["values"][:, 1]})
    frame.to_csv(tmp_path / "cases.csv", index=False)
    rc = main(["predict", "--run", str(run), "--input", str(tmp_path / "cases.csv"), "--out", str(tmp_path / "p.csv")])
    err = capsys.readouterr().err
    assert rc == 2 and "is not an npz" in err and "b'case'" in err, err
    assert "this run (data.kind: sequences) reads new cases from an .npz as it read its training cases" in err, err
    assert "'values' + 'lengths'" in err and "data/README.md, section 'Your own data'" in err, err


def test_cases_the_run_trained_or_validated_on_are_named_and_the_accuracy_has_its_baseline(
    sequences_run, tmp_path, capsys
):
    """predict on the run's whole input said "accuracy 0.241 on 800 labelled case(s)": no
    majority baseline beside it (chance for 4 classes, and the majority higher), and no word that
    480 of those cases were the run's own training cases (their groups are in the file), where
    the recordings' predict names the recordings the run saw. Now the cases of the run's
    training and validation groups are counted with a note, cases identical to training ones
    are caught without groups too, and the accuracy stands beside the majority baseline and
    balanced accuracy, on all labelled cases and on those the run never saw."""
    from lstm_helpers.judge.evaluation import real_train_counts
    from lstm_helpers.judge.metrics import compute_metrics
    from lstm_helpers.style import fmt_number as f

    run, npz = sequences_run
    arrays, info = load_npz(npz), json.loads((run / "prepare.json").read_text())
    in_split = {k: np.isin(arrays["groups"].astype(str), info["groups"][k]) for k in ("train", "val")}
    n_train, n_val = int(in_split["train"].sum()), int(in_split["val"].sum())
    assert n_train and n_val and n_train + n_val < len(arrays["y"])
    for name, keep in (("grouped", ("values", "lengths", "y", "groups")), ("bare", ("values", "lengths", "y"))):
        np.savez(tmp_path / f"{name}.npz", **{k: arrays[k] for k in keep})
        out = tmp_path / f"{name}.csv"
        assert main(["predict", "--run", str(run), "--input", str(tmp_path / f"{name}.npz"), "--out", str(out)]) == 0
        printed = capsys.readouterr().out
        table = pd.read_csv(out)
        probs = table[[f"p_{c}" for c in info["classes"]]].to_numpy("float32")  # the model's values
        y, yp = (pd.Index(info["classes"]).get_indexer(table[c]) for c in ("true_label", "predicted"))
        unseen = ~(in_split["train"] | in_split["val"])
        with np.load(run / "prepared.npz") as z:  # the baselines rank the classes by the run's training windows
            counts = real_train_counts({k: z[k] for k in ("y_train", "synthetic_train")}, len(info["classes"]))
        for sel, lead in ((slice(None), f"scored on {len(table)} labelled cases: "),
                          (unseen, f"on the {int(unseen.sum())} labelled cases the run did not train or validate on: ")):  # fmt: skip
            m = compute_metrics(y[sel], probs[sel], yp[sel], info["classes"], train_counts=counts)
            want = (
                f"{lead}balanced accuracy {f(m['balanced_accuracy'])}, PR-AUC {f(m['pr_auc'])} (macro over classes); "
                f"accuracy {f(m['accuracy'])} against {f(m['majority_baseline_accuracy'])} for always predicting "
                f"{m['majority_class']}"
            )
            assert any(line.startswith(want) for line in printed.splitlines()), (want, printed)
        said = (
            f"the run saw {n_train} of these cases in its training split and {n_val} in its validation split"
            + (
                " (by their groups, or model input identical to its cases)"
                if name == "grouped"
                else " (by model input identical to its cases; the input names no groups)"
            )  # fmt: skip
        )
        assert f"note: {said}" in printed and "not held out and flatter" in printed, printed


def test_cases_shorter_than_any_training_case_are_noted_with_both_lengths(sequences_run, tmp_path, capsys):
    """Cases of 20 steps given to a run whose training cases had 30-100 were predicted without a
    word: the masked model never saw a case that short. A note now says how many, how long, and
    the run's shortest training case."""
    run, npz = sequences_run
    arrays, prepared = load_npz(npz), load_npz(run / "prepared.npz")
    trained = np.array([int(r.removeprefix("case")) for r in prepared["rec_train"]])
    shortest = int(np.minimum(arrays["lengths"][trained], PAD).min())
    assert shortest > 20
    cases = _test_cases(npz, run, keep=("values", "lengths"))
    starts = np.concatenate([[0], np.cumsum(cases["lengths"])])[:-1]
    lengths = np.minimum(cases["lengths"], np.r_[20, 20, 20, cases["lengths"][3:]])  # the first three cut to 20
    values = np.concatenate([cases["values"][a : a + n] for a, n in zip(starts, lengths, strict=True)])
    np.savez(tmp_path / "short.npz", values=values, lengths=lengths)
    assert main(["predict", "--run", str(run), "--input", str(tmp_path / "short.npz")]) == 0
    printed = capsys.readouterr().out
    few = lengths[lengths < shortest]
    span = f"{few.min()} steps" if few.min() == few.max() else f"{few.min()}-{few.max()} steps"
    said = (
        f"note: {len(few)} case(s) of {span} are shorter than the run's shortest training case "
        f"({shortest} steps): its model never read a case that short"
    )
    assert said in printed, printed
    # the run's own test cases: a note only where one is shorter than every training case
    np.savez(tmp_path / "test.npz", **cases)
    assert main(["predict", "--run", str(run), "--input", str(tmp_path / "test.npz")]) == 0
    noted = "shortest training case" in capsys.readouterr().out
    assert noted == bool((np.minimum(cases["lengths"], PAD) < shortest).any())


def test_the_held_out_accuracy_of_cases_of_one_class_says_no_raw_warning():
    """One held-out case of one class, predicted as it: scikit-learn's "A single label was found
    in 'y_true' and 'y_pred'" warning reached the terminal raw."""
    from lstm_helpers.runs.predict_sequences import case_score_lines, case_scores

    table = pd.DataFrame({"true_label": ["a", "a", "a"]})
    probs = np.array([[0.8, 0.2], [0.3, 0.7], [0.9, 0.1]], dtype="float32")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lines = case_score_lines(case_scores(_labelled_run(["a", "b"]), table, probs, np.array([True, False, False])))
    assert lines[1] == (
        "on the 1 labelled case the run did not train or validate on: balanced accuracy 1.000 (the mean recall "
        "of the 1 class labelled here: a); accuracy 1.000 against 1.000 for always predicting a"
    )


def test_a_status_json_without_a_status_is_judged_by_the_runs_files(sequences_run, tmp_path):
    """A hand-made or half-written status.json without a ``status`` was refused as "its last
    attempt None in stage ?": like a run without status.json, its files decide."""
    import shutil

    run, npz = sequences_run
    for i, status in enumerate(({"stage": "train"}, {})):
        copy = Path(shutil.copytree(run, tmp_path / f"run{i}"))
        (copy / "status.json").write_text(json.dumps(status))
        args = ["predict", "--run", str(copy), "--input", str(npz), "--out", str(tmp_path / f"p{i}.csv")]
        assert main(args) == 0 and (tmp_path / f"p{i}.csv").is_file()
