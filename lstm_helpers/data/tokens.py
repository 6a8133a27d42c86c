"""Sequences of integer token ids (``data.kind: sequences`` with ``data.tokens: true``): event
codes, DNA bases, word ids. The ids are checked (whole numbers >= 0, one channel) and mapped to
the model's ids, the rule data/README.md states:

- model id 0 is padding (Keras' ``Embedding(mask_zero=True)``), 1 the out-of-vocabulary id;
- the ids of the training split, in increasing order, are 2, 3, ...: a file id 0 is a real token
  like any other (the file's ids are never used as indices, so sparse codes cost nothing);
- in ``X`` without ``lengths`` every 0 is padding: a case is its non-zero ids in order (X padded
  before or after reads the same); with ``lengths`` every step within a case's length is a token.

An id that the training split never holds (in validation, test or a case given to ``predict``)
reads as the out-of-vocabulary id, and how many did is said.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from lstm_helpers.data.inputs import DataError
from lstm_helpers.data.recordings import SeriesSet

PAD_ID, OOV_ID = 0, 1
PAD_TOKEN, OOV_TOKEN = "<pad>", "<oov>"
ID_RULE = (
    "model id 0 is padding (each 0 of an 'X' without 'lengths', the steps after a case's length), 1 an id the "
    "training cases never hold (out of vocabulary), 2, 3, ... the training cases' ids in increasing order"
)
_MAX_ID = 2**53  # float64 holds every whole number up to here exactly


def token_ids(
    values: np.ndarray, lens: np.ndarray, p: Path, name: str, zeros_pad: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The ids of every case end to end (int64) and each case's length, from ``values`` (total
    steps, channels) as the .npz holds them. ``zeros_pad``: ``X`` without ``lengths``, where
    every 0 is padding and is left out.

    Raises
    ------
    DataError
        More than one channel, or a value that is no whole number >= 0 (the first one named by
        its case and step), or (``zeros_pad``) a case of zeros only.
    """
    if values.shape[1] != 1:
        raise DataError(
            f"{p}: array {name!r} holds {values.shape[1]} channels per step; data.tokens reads one channel of token "
            f"ids: give 'X' as (n, time) or 'values' as (total steps,)"
        )
    v = values[:, 0]
    if np.issubdtype(v.dtype, np.complexfloating):
        raise DataError(
            f"{p}: array {name!r} must hold token ids (whole numbers >= 0, data.tokens), got dtype {v.dtype}"
        )
    with np.errstate(invalid="ignore"):
        bad = (v < 0) | (v > _MAX_ID)
        if not np.issubdtype(v.dtype, np.integer):
            bad |= ~np.isfinite(v) | (v != np.round(v))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        case = int(np.searchsorted(np.cumsum(lens), i, side="right"))
        step = i - int(np.cumsum(lens)[case] - lens[case])
        raise DataError(
            f"{p}: array {name!r} must hold token ids, whole numbers >= 0 (up to 2**53), but {int(bad.sum()):,} "
            "value(s) are not; "
            f"the first: {v[i].item()!r} in case {case}, step {step} (data.tokens: true reads token ids, not "
            "real-valued channels)"
        )
    ids = v.astype(np.int64)
    if not zeros_pad:
        return ids, lens
    case_of = np.repeat(np.arange(len(lens)), lens)
    real = ids != PAD_ID
    lens = np.bincount(case_of[real], minlength=len(lens)).astype(np.int64)
    if (lens == 0).any():
        empty = np.flatnonzero(lens == 0)
        raise DataError(
            f"{p}: {len(empty)} case(s) of 'X' hold only 0s, which are padding in 'X' without 'lengths' (the first: "
            f"case {int(empty[0])}); leave them out, with their 'y' entries, or give 'lengths' when 0 is a real token id"
        )
    return ids[real], lens


def file_vocabulary(ids: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Codes of ``ids`` over every id the file holds (2, 3, ... in increasing id order; 0 and 1
    kept for padding and out-of-vocabulary) as an (total, 1) int32 column, and that vocabulary."""
    uniq, inverse = np.unique(ids, return_inverse=True)
    codes = (inverse.reshape(-1) + 2).astype(np.int32)[:, None]
    return codes, [PAD_TOKEN, OOV_TOKEN, *(str(int(u)) for u in uniq)]


def keep_training_tokens(s: SeriesSet, split_of_rec: np.ndarray) -> tuple[SeriesSet, dict]:
    """``s`` (codes over the whole file's ids, :func:`file_vocabulary`) with the vocabulary cut to
    the ids of the training cases' real steps: other ids read as :data:`OOV_ID`. Returns the new
    set and what ``prepare.json["tokens"]`` says (the rule, the vocabulary size, ids out of
    vocabulary per split), and notes it."""
    vocab = list(s.vocabulary or [])
    real = s.real_steps()
    real = np.ones(len(s.values), bool) if real is None else real
    split_of_step = np.repeat(split_of_rec, s.lengths)
    counts = np.bincount(s.values[real & (split_of_step == "train")], minlength=len(vocab))
    kept = [i for i in range(2, len(vocab)) if counts[i] > 0]
    lut = np.full(len(vocab), OOV_ID, np.int32)
    lut[PAD_ID] = PAD_ID
    lut[kept] = np.arange(2, 2 + len(kept), dtype=np.int32)
    codes = lut[s.values]
    oov = {n: int(((codes == OOV_ID) & real & (split_of_step == n)).sum()) for n in ("val", "test")}
    steps = {n: int((real & (split_of_step == n)).sum()) for n in ("val", "test")}
    new_vocab = [PAD_TOKEN, OOV_TOKEN, *(vocab[i] for i in kept)]
    info = {"rule": ID_RULE, "vocab_size": len(new_vocab), "training_ids": len(kept), "out_of_vocabulary": oov}
    note = "token ids the training cases never hold, read as the out-of-vocabulary id 1: " + ", ".join(
        f"{oov[n]:,} of {steps[n]:,} tokens in {n}" for n in ("val", "test")
    )
    notes = [*s.notes, note] if any(oov.values()) else list(s.notes)  # none: nothing to say (prepare.json keeps 0)
    return replace(s, values=codes, vocabulary=new_vocab, notes=notes), info


def run_vocabulary_codes(ids: np.ndarray, vocabulary: list[str]) -> tuple[np.ndarray, int]:
    """Model ids of new cases' ``ids`` under a trained run's ``vocabulary``
    (``prepare.json["input"]["vocabulary"]``), as an (total, 1) int32 column, and how many of
    them the run never saw in training (read as :data:`OOV_ID`)."""
    known = np.array([int(t) for t in vocabulary[2:]], dtype=np.int64)  # increasing, as written
    pos = np.searchsorted(known, ids)
    hit = (pos < len(known)) & (known[np.minimum(pos, max(len(known) - 1, 0))] == ids) if len(known) else ids < 0
    codes = np.where(hit, pos + 2, OOV_ID).astype(np.int32)
    return codes[:, None], int((~hit).sum())
