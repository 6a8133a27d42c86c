"""Label new pre-segmented sequences with a finished run (``data.kind: sequences``, or a
``data.kind: table`` of one row per sample): one row per case.

The input is read by the reader stage 01 used (:func:`~lstm_helpers.data.sequences.read_new_sequences`,
:func:`~lstm_helpers.data.tables.read_new_table_cases`; labels optional), padded or truncated
to the run's pad length (``prepare.json["input"]["window_length"]``) with its mask value, and
scaled by :func:`~lstm_helpers.data.prepare.scale_values` with the run's saved scaler (or per
sequence, as the run did): all before the model is loaded, so a bad file costs no TensorFlow
start. The model runs through the one inference path
(:func:`~lstm_helpers.judge.probs.predict_probs`) and the run's
:class:`~lstm_helpers.judge.threshold.DecisionRule` decides, as evaluation does: fed the run's
own test cases, the table repeats ``predictions_test.csv``. Labelled cases are scored as
labelled recordings' windows are (:func:`case_scores`, ``<out>.scores.json``): fed the run's
own test cases, the scores repeat ``metrics.json``'s test figures.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lstm_helpers.artifacts import shown, write_json, write_table
from lstm_helpers.config import DataConfig
from lstm_helpers.data.files import list_files, read_delimited
from lstm_helpers.data.inputs import DataError, checking_only, is_delimited, missing_path_error
from lstm_helpers.data.labels import label_text
from lstm_helpers.data.prepare import scale_values
from lstm_helpers.data.recordings import SeriesSet
from lstm_helpers.judge.inference import DEFAULT_BATCH
from lstm_helpers.judge.probs import full_probs, predict_probs
from lstm_helpers.runs.kernel import native_stderr_captured, quiet_tensorflow_import
from lstm_helpers.runs.predict import FinishedRun, as_finished_run, output_table_path

_NPZ_FORMAT = (
    "this run (data.kind: sequences) reads new cases from an .npz as it read its training cases: 'X' "
    "(cases, steps) or (cases, steps, channels), or 'values' + 'lengths' (every case's steps end to end, and "
    "each case's number of steps), 'y' optional, e.g. np.savez('new.npz', values=np.concatenate(cases), "
    "lengths=[len(c) for c in cases]); see data/README.md, section 'Your own data'"
)


def read_new_cases(run: FinishedRun, input_path: Path) -> tuple[SeriesSet, np.ndarray | None, np.ndarray]:
    """The cases at ``input_path`` read, checked and scaled as the run's stage 01 did: the cases,
    their true labels as text (None without labels) and the model's input (n, pad length, channels),
    or for token ids (``data.tokens``) the model ids (n, pad length)."""
    from lstm_helpers.data.sequences import read_new_sequences
    from lstm_helpers.data.tables import read_new_table_cases

    if not input_path.exists():
        raise missing_path_error(input_path, "--input")
    inp = run.input
    length = int(inp.window_length or 0)
    data_cfg = run.cfg.data.model_copy(update={"demo": False})
    with checking_only():  # what the readers note is in s.notes, said once by the caller
        if run.cfg.data.kind == "table":
            s, truth = read_new_table_cases(data_cfg, input_path, run.classes, length)
            if (groups := long_table_groups(data_cfg, input_path, s.rec_ids)) is not None:
                s.groups = groups
        else:
            try:
                s, truth = read_new_sequences(
                    data_cfg, input_path, run.classes, length, int(inp.n_channels or 0), inp.vocabulary
                )
            except DataError as exc:
                if not input_path.is_file() or zipfile.is_zipfile(input_path):
                    raise
                raise DataError(f"{exc}; {_NPZ_FORMAT}") from None
        shorter = int((s.lengths_true < length).sum())
        if shorter and not inp.masked and data_cfg.variable_length != "stretch":
            s.notes.append(
                f"{shorter} case(s) shorter than {length} steps were padded with {inp.mask_value:g}, but this run's "
                "model has no mask (its training cases all had that length): it reads the padding as real steps"
            )
        if any("as zero padding does" in n for n in s.notes):  # how the run read its own padding
            s.notes.append(
                "this run's model was trained with 'lengths' (its cases' padding masked, never read): trailing zero "
                "steps read as data here are input it never saw; give this file 'lengths' too"
                if inp.masked
                else "this run's model was trained without a mask too (every step of its cases read as data)"
            )
        if inp.tokens:  # model ids under the run's vocabulary (data/tokens.py): never scaled
            return s, truth, s.values.reshape(s.n_recordings, length)
        values = scale_values(s, run.info["scaler"], inp.mask_value)
    return s, truth, values.reshape(s.n_recordings, length, -1)


def long_table_groups(cfg: DataConfig, input_path: Path, rec_ids: np.ndarray) -> np.ndarray | None:
    """Each case's group in a long table of sequences (``data.sequence_column``) whose every file
    has the run's ``data.group_column``: the first value of its rows there ("" where none), for
    the check of which cases the run saw (:func:`seen_cases`). None for other inputs. The reader
    of new cases leaves groups out (they only steer splits), so a case without one is no error."""
    seq, col = cfg.sequence_column, cfg.group_column
    if not (seq and col):
        return None
    frames = []
    for f in list_files(input_path, cfg.format, "--input"):
        if is_delimited(f):
            if col not in read_delimited(f, cfg.encoding, cfg.sep, cfg.decimal, nrows=0).columns:
                return None
            frames.append(read_delimited(f, cfg.encoding, cfg.sep, cfg.decimal, columns=[seq, col]))
        else:
            import pyarrow.parquet as pq

            if col not in pq.read_schema(f).names:
                return None
            frames.append(pd.read_parquet(f, columns=[seq, col]))
    df = pd.concat(frames, ignore_index=True)
    ids, groups = (label_text(df[c]).str.strip() for c in (seq, col))
    first = groups.replace("", pd.NA).groupby(ids.to_numpy()).first()
    return first.reindex(np.asarray(rec_ids).astype(str)).fillna("").to_numpy().astype(object)


def _scores_path(out: Path) -> Path:
    """``<out>.scores.json`` beside the table, as for recordings (``p.csv``: ``p.scores.json``)."""
    return out.with_name(out.with_suffix("").name + ".scores.json")


def _refuse_overwriting_input(run: FinishedRun, input_path: Path, out: Path) -> None:
    if input_path.is_dir() and run.cfg.data.kind == "table":
        inputs = {f.resolve() for f in list_files(input_path, run.cfg.data.format, "--input")}
    else:
        inputs = {input_path.resolve()}
    for p in (out, _scores_path(out)):
        if p.resolve() in inputs:
            raise DataError(f"--out {out} would overwrite an input file ({p.name}); write the predictions elsewhere")


def case_table(run: FinishedRun, s: SeriesSet, truth: np.ndarray | None, probs: np.ndarray) -> pd.DataFrame:
    """One row per case: ``case`` (its index in the input), ``sequence`` (its id, from a long
    table's ``data.sequence_column``), ``group`` where the input names
    groups, ``predicted`` (the run's decision rule), ``p_<class>`` per class, and
    ``true_label`` where the input has labels ("" for a case without one)."""
    names = np.asarray(run.classes, dtype=object)
    table = pd.DataFrame({"case": np.arange(s.n_recordings)})
    if getattr(run.cfg.data, "sequence_column", None):  # a long table's cases keep their sequence ids
        table["sequence"] = np.asarray(s.rec_ids).astype(str)
    if (np.asarray(s.groups) != "").any():
        table["group"] = s.groups
    table["predicted"] = names[run.rule.apply(probs)]
    for k, c in enumerate(run.classes):
        table[f"p_{c}"] = probs[:, k].astype(np.float64)  # the model's values, exactly
    if truth is not None:
        table["true_label"] = truth
    return table


def case_scores(
    run: FinishedRun, table: pd.DataFrame, probs: np.ndarray, unseen: np.ndarray | None = None
) -> dict[str, Any] | None:
    """When the input had labels (``table``'s ``true_label``): stage 03's scores of the labelled
    cases at the run's decision rule, as ``predict`` gives labelled recordings' windows
    (:func:`~lstm_helpers.runs.predict_scores.decision_scores`: balanced accuracy, accuracy beside
    the majority baseline, per class, PR-AUC, the confusion matrix...; bouts are a timeline's, and
    cases have none) from the model's own values ``probs``; and ``held_out``, the same of the
    cases the run did not train or validate on, where ``unseen`` leaves some labelled ones out.
    None without labels. A label that is not one of the run's classes counts as unlabelled (the
    readers' note says so), not as a wrong prediction, as for recordings."""
    from lstm_helpers.runs.predict_scores import decision_scores

    if "true_label" not in table:
        return None
    y = pd.Index([str(c) for c in run.classes]).get_indexer(table["true_label"])
    labelled = y >= 0
    scores = decision_scores(run, y[labelled], probs[labelled])
    if unseen is not None and labelled.any() and not unseen[labelled].all():
        held = labelled & unseen
        scores["held_out"] = decision_scores(run, y[held], probs[held])
    return scores


def case_score_lines(scores: dict[str, Any] | None) -> list[str]:
    """The terminal's lines on :func:`case_scores` (none without labels): the recordings' lines
    (:func:`~lstm_helpers.runs.predict_scores.score_lines`), the held-out cases' headline after
    the first."""
    from lstm_helpers.runs.predict_scores import score_lines, scores_headline
    from lstm_helpers.runs.terminal import plural

    if scores is None:
        return []
    if not scores["n"]:
        return ["scores: no case of the input has a label of the run's classes, so none was scored"]
    lines = score_lines(scores, unit="case")
    if (held := scores.get("held_out")) is not None:
        lead = f"on the {plural(held['n'], 'labelled case')} the run did not train or validate on: "
        none = "every labelled case is one the run trained or validated on: none is held out"
        lines.insert(1, scores_headline(held, lead) if held["n"] else none)
    return lines


def _row_digests(X: np.ndarray) -> list[bytes]:
    """A short digest of each case's model input (hand-written: a set of hashed rows, which no
    library offers for exact row matching of arrays too large to hold twice)."""
    rows = np.ascontiguousarray(X).reshape(len(X), -1)
    return [hashlib.blake2b(r.tobytes(), digest_size=16).digest() for r in rows]


def run_cases(run: FinishedRun) -> dict[str, np.ndarray]:
    """The model input of the run's training and validation cases (``prepared.npz``'s ``X_train``,
    ``X_val``, and which training cases are synthetic), read once for :func:`seen_cases` and
    :func:`shorter_than_training_note`; empty when the file is gone."""
    if not run.layout.prepared.is_file():
        return {}
    with np.load(run.layout.prepared, allow_pickle=False) as arrays:
        return {k: arrays[k] for k in ("X_train", "X_val", "synthetic_train") if k in arrays.files}


def seen_cases(
    run: FinishedRun, s: SeriesSet, X: np.ndarray, reference: dict[str, np.ndarray]
) -> tuple[dict[str, np.ndarray], str]:
    """Per split the run trained or chose its threshold on (``train``, ``val``): which input
    cases were in it, and how they were found (the note's words). A case is in a split by its
    group (``prepare.json``'s groups of the split, where the input names groups), else, for a
    long table (``data.sequence_column``), by its sequence id (``splits_recordings``: as the
    recordings' predict matches recording ids); or by its model input, identical to one of the
    split's cases (``reference``: :func:`run_cases`; the run's own file given again without its
    groups). Groups and ids are the whole split's, before any rebalancing: a training case that
    undersampling left out of ``prepared.npz`` shaped the run's scaler and split all the same."""
    from lstm_helpers.runs.predict_scores import SEEN_SPLITS

    groups = np.asarray(s.groups).astype(str)
    named = bool((groups != "").any())
    by_id = not named and bool(run.cfg.data.sequence_column)
    taken = np.zeros(len(X), bool)
    seen: dict[str, np.ndarray] = {}
    for split in SEEN_SPLITS:
        mask = np.isin(groups, [str(g) for g in (run.info.get("groups") or {}).get(split) or []]) & named
        if by_id:
            ids = [str(r) for r in (run.info.get("splits_recordings") or {}).get(split) or []]
            mask |= np.isin(np.asarray(s.rec_ids).astype(str), ids)
        if f"X_{split}" in reference:
            ref = reference[f"X_{split}"]
            known = set(_row_digests(ref))
            mask |= np.array([d in known for d in _row_digests(X.astype(ref.dtype, copy=False))], bool)
        seen[split] = mask & ~taken
        taken |= mask
    if named:
        return seen, " (by their groups, or model input identical to its cases)"
    if by_id:
        return seen, (
            " (by their sequence ids, the ids of the run's own cases: another dataset's cases numbered the same way"
            " count as seen too; or by model input identical to its cases; the input names no groups)"
        )
    left_out = _cases_left_out(run, reference)
    return seen, " (by model input identical to its cases; the input names no groups)" + (
        f"; the run's rebalancing left {left_out} of its training cases out of prepared.npz, so a case "
        "identical to one of those is not found"
        if left_out
        else ""
    )


def _cases_left_out(run: FinishedRun, reference: dict[str, np.ndarray]) -> int:
    """How many real training cases rebalancing (undersampling) left out of ``prepared.npz``:
    ``prepare.json``'s training count before rebalancing less the real cases kept; 0 if unknown."""
    before = (((run.info.get("counts") or {}).get("train") or {}).get("before")) or {}
    if not before or "X_train" not in reference:
        return 0
    synthetic = reference.get("synthetic_train")
    kept = len(reference["X_train"]) - (int(np.asarray(synthetic, bool).sum()) if synthetic is not None else 0)
    return max(int(sum(before.values())) - kept, 0)


def shorter_than_training_note(run: FinishedRun, s: SeriesSet, reference: dict[str, np.ndarray]) -> str | None:
    """How many new cases are shorter than the run's shortest training case, with both lengths:
    a masked model (its training cases padded to the pad length) never read a case that short.
    The training cases' lengths are their steps up to the last one that is not padding (the mask
    value in every channel; token id 0) in ``X_train`` (synthetic cases left out). Runs without a
    mask (every training case at least the pad length) have their own note, and a stretched
    run's cases all span the pad length."""
    inp = run.input
    if not inp.masked or s.lengths_true is None or "X_train" not in reference:
        return None
    X = reference["X_train"]
    if "synthetic_train" in reference:
        X = X[~reference["synthetic_train"].astype(bool)]
    real = X != (0 if inp.tokens else inp.mask_value)
    real = real.any(axis=2) if real.ndim == 3 else real
    if not len(real) or not real.any(axis=1).all():
        return None
    shortest = int((real.shape[1] - np.argmax(real[:, ::-1], axis=1)).min())
    few = np.asarray(s.lengths_true)[np.asarray(s.lengths_true) < shortest]
    if not len(few):
        return None
    span = f"{few.min()} steps" if few.min() == few.max() else f"{few.min()}-{few.max()} steps"
    return (
        f"{len(few)} case(s) of {span} are shorter than the run's shortest training case ({shortest} steps): "
        "its model never read a case that short"
    )


def seen_cases_note(seen: dict[str, np.ndarray], how: str, scored: bool) -> str | None:
    """The recordings' note (:func:`~lstm_helpers.runs.predict_scores.seen_note`) for cases:
    how many of the input's cases the run trained or validated on, and ``how`` they were found
    (:func:`seen_cases`)."""
    from lstm_helpers.runs.predict_scores import SEEN_SPLITS, seen_sentence

    counts = {k: int(m.sum()) for k, m in seen.items() if m.any()}
    if not counts:
        return None
    parts = [f"{n}{' of these cases' if i == 0 else ''} in its {SEEN_SPLITS[k]} split"
             for i, (k, n) in enumerate(counts.items())]  # fmt: skip
    return seen_sentence(parts, scored, how)


def predict_sequences(
    run: Path | FinishedRun, input_path: Path, out: Path | None = None, batch_size: int = DEFAULT_BATCH
) -> dict[str, Any]:
    """Predict every case at ``input_path`` with the model of ``run`` (a sequences run: its
    directory, or the run :func:`~lstm_helpers.runs.predict.open_finished_run` opened).

    Writes one row per case (:func:`case_table`) at ``out`` (default
    ``<input>.predictions.csv``) and, for labelled input, ``<out>.scores.json``
    (:func:`case_scores`, with ``seen_by_run``: how many cases per split the run saw); returns
    their paths, the number of cases, the threshold, ``scores_lines`` (labelled input: the
    scores for the terminal), the readers' notes (cases truncated to the pad length...) and
    ``inference``: how fast the cases were predicted.
    """
    finished = as_finished_run(run)
    if finished.input.data_kind != "sequences":
        raise DataError(
            f"{shown(finished.layout.root)} was trained on {finished.input.data_kind}, not sequences; "
            "use predict_recordings"
        )
    input_path = Path(input_path)
    path = output_table_path(input_path, out)  # one rule for both kinds of run
    _refuse_overwriting_input(finished, input_path, path)
    s, truth, X = read_new_cases(finished, input_path)  # every input check before TensorFlow starts
    quiet_tensorflow_import()
    from lstm_helpers.model.models import load_trained_model

    speed: list[str] = []
    with native_stderr_captured():  # a masked model's first inference logs a oneDNN line at error level
        raw = predict_probs(load_trained_model(finished.layout.model), X, batch_size, log=speed.append, what="cases")
    probs = full_probs(raw, len(finished.classes), finished.info.get("positive_index"))
    table = case_table(finished, s, truth, probs)
    write_table(path, table)
    reference = run_cases(finished)
    seen, how = seen_cases(finished, s, X, reference)
    unseen = ~np.logical_or.reduce([*seen.values(), np.zeros(len(table), bool)])
    scores = case_scores(finished, table, probs, unseen)
    scores_path = _scores_path(path)
    scores_path.unlink(missing_ok=True)  # an earlier labelled input's, at the same --out
    if scores is not None:
        counts = {k: int(m.sum()) for k, m in seen.items()}
        write_json(scores_path, {"input": shown(input_path), "run": shown(finished.layout.root), **scores,
                                 "seen_by_run": {k: n for k, n in counts.items() if n}})  # fmt: skip
    scored = bool(scores and scores["n"])
    return {
        "predictions": path,
        **({"scores": scores_path} if scores is not None else {}),
        "n_cases": len(table),
        "threshold": finished.rule.threshold,
        "scores_lines": case_score_lines(scores),
        "notes": [
            *s.notes,
            *filter(None, [shorter_than_training_note(finished, s, reference), seen_cases_note(seen, how, scored)]),
        ],
        "inference": speed[0] if speed else None,
    }
