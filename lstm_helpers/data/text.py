"""Plain text as a character token stream (``data.kind: text``): the reader, and the
vocabulary cut to the characters most frequent in the training chunks once the split is made.
"""

from __future__ import annotations

import io
import unicodedata
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np

from lstm_helpers.config import DataConfig, resolve_path
from lstm_helpers.data.inputs import DataError, check_text_file, missing_path_error, open_bytes, say_note
from lstm_helpers.data.recordings import SeriesSet

PAD_TOKEN, UNK_TOKEN = "<pad>", "<unk>"
# control, format (zero-width), private-use, unassigned and line / paragraph separator characters:
# invisible in the text, yet vocabulary characters like any other; a newline and a tab are plain text
_INVISIBLE = {
    "Cc": "control",
    "Cf": "invisible format",
    "Co": "private use",
    "Cn": "unassigned",
    "Zl": "line separator",
    "Zp": "paragraph separator",
}


def target_class_count(classes: list[str]) -> int:
    """How many of ``classes`` can be a window's target: all but a text's ``<pad>`` (index 0 of
    its vocabulary, an input token only: no window's next character is padding)."""
    return len(classes) - (1 if len(classes) and classes[0] == PAD_TOKEN else 0)


def character_classes(classes: list[str]) -> list[str]:
    """The classes a split is expected to hold: a text run's characters, without its ``<pad>``
    (never a target) and ``<unk>`` (index 1: "a character outside the vocabulary", a target only
    where the vocabulary was cut; no split needs windows of it); any other run's classes as they are."""
    classes = [str(c) for c in classes]
    return classes[2:] if classes[:2] == [PAD_TOKEN, UNK_TOKEN] else classes


def characters_text(classes: list[str], unknown_targets: int = 0, shown: int = 3, targeted: int | None = None) -> str:
    """A text run's classes for a sentence: the characters a window's next character can be, in
    the vocabulary's order (most frequent in training first), quoted as characters, e.g.
    ``94 characters ('␣', 'e', 't', ..., '^'; most frequent first)``; with ``and <unk> (12
    targets outside them)`` where ``unknown_targets`` windows' next character is outside the
    vocabulary. ``<pad>`` never is a target; the model's output still holds both (a softmax over
    every vocabulary id), which is what perplexity's uniform reference counts. ``targeted``: how
    many of the characters some window's next character is, said where fewer than all (``56 of them
    a window's target``: the count the class-distribution figure gives beside <unk>)."""
    from lstm_helpers.style import visible_name  # (style imports nothing of data)

    chars = [f"'{visible_name(c)}'" for c in character_classes(classes)]
    listed = ", ".join(chars) if len(chars) <= shown + 1 else f"{', '.join(chars[:shown])}, ..., {chars[-1]}"
    unknown = f" and {UNK_TOKEN} ({unknown_targets:,} targets outside them)" if unknown_targets else ""
    some = f"; {targeted} of them a window's target" if targeted is not None and targeted < len(chars) else ""
    return f"{len(chars)} character{'s' * (len(chars) != 1)} ({listed}; most frequent first{some}){unknown}"


def read_text(cfg: DataConfig, path: str | Path | None = None, n_chunks: int = 20) -> SeriesSet:
    """Read a plain-text file (also compressed as :data:`~lstm_helpers.data.inputs.COMPRESSED`
    says, e.g. ``book.txt.gz``) as a character token stream.

    The vocabulary here holds every character (most frequent first); index 0 is padding, 1
    the unknown token. Stage 01 cuts it to the ``data.vocab_size - 2`` characters most
    frequent in the *training* chunks once the split is made
    (:func:`keep_training_vocabulary`). The stream is cut into ``n_chunks`` contiguous
    chunks that act as groups for splitting (windows never cross a chunk), and each
    window's label is the next token. ``labels`` here hold the token ids themselves.
    """
    p = resolve_path(path or cfg.path)
    if not p.is_file():
        raise (
            missing_path_error(path or cfg.path) if not p.exists() else DataError(f"{p} is a folder, not a text file")
        )
    check_text_file(p, cfg.encoding, "a plain-text file")
    with open_bytes(p) as fh, io.TextIOWrapper(fh, encoding=cfg.encoding) as reader:  # .txt.gz etc. decompressed
        text = reader.read()  # universal newlines, as Path.read_text
    text = text.removeprefix("\ufeff")  # a byte-order mark is no character (utf-8-sig)
    if cfg.lowercase:
        text = text.lower()
    if cfg.max_chars:
        text = text[: cfg.max_chars]
    if len(text) < 100:
        cut = f" (data.max_chars = {cfg.max_chars} cut it)" if cfg.max_chars and cfg.max_chars < 100 else ""
        raise DataError(f"{p}: only {len(text)} characters{cut}; far too short to cut into windows of text")
    counts = Counter(text)
    if len(counts) < 2:  # every target the same character: a "perfect" score that says nothing
        cut = f", data.max_chars = {cfg.max_chars} cut it" if cfg.max_chars else ""
        raise DataError(
            f"{p}: only one class {[*counts]} in the text (one distinct character{cut}); a classifier needs at least two"
        )
    invisible = invisible_characters_note(counts, p)
    if invisible:
        say_note(invisible, stacklevel=2)
    vocab = [PAD_TOKEN, UNK_TOKEN, *(c for c, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))]
    lut = {c: i for i, c in enumerate(vocab)}
    codes = np.fromiter((lut.get(c, 1) for c in text), dtype=np.int32, count=len(text))
    n = len(codes)
    bounds = np.linspace(0, n, n_chunks + 1).astype(np.int64)
    return SeriesSet(
        values=codes,
        labels=codes.astype(np.int64),
        offsets=bounds,
        rec_ids=np.array([f"chunk{i:03d}" for i in range(n_chunks)]),
        groups=np.array([f"chunk{i:03d}" for i in range(n_chunks)]),
        classes=vocab,
        channels=["token"],
        kind="text",
        vocabulary=vocab,
        notes=[invisible] if invisible else [],
    )


def invisible_characters_note(counts: Counter, p: Path, shown: int = 6) -> str | None:
    """A note naming the control / invisible characters among a text's characters (``counts``),
    most frequent first, with how often each occurs; None when there are none. They stay in
    the text and the vocabulary: only the user knows whether they belong there."""
    found = sorted(
        (c for c in counts if c not in "\n\t" and unicodedata.category(c) in _INVISIBLE), key=lambda c: (-counts[c], c)
    )
    if not found:
        return None
    named = ", ".join(
        f"U+{ord(c):04X} ({unicodedata.name(c, '') or _INVISIBLE[unicodedata.category(c)]}) x {counts[c]}"
        for c in found[:shown]
    )
    more = f" and {len(found) - shown} more" if len(found) > shown else ""
    return (
        f"{p.name} holds {sum(counts[c] for c in found)} control or invisible character(s) of {len(found)} kind(s), "
        f"read as vocabulary characters like any other: {named}{more}; remove them from the file if they are not "
        "part of the text"
    )


def keep_training_vocabulary(s: SeriesSet, train_rec: np.ndarray, vocab_size: int) -> SeriesSet:
    """A token stream whose vocabulary is the ``vocab_size - 2`` characters most frequent in
    the training chunks (``train_rec``: a bool per chunk), ties broken by the character;
    every other character, including one seen only in validation or test, becomes
    ``<unk>``. So the classes and the model's output size never depend on held-out text."""
    vocab = list(s.vocabulary or [])
    in_train = np.repeat(np.asarray(train_rec, bool), np.diff(s.offsets))
    counts = np.bincount(s.values[in_train], minlength=len(vocab))
    seen = [i for i in range(2, len(vocab)) if counts[i] > 0]
    kept = sorted(seen, key=lambda i: (-counts[i], vocab[i]))[: vocab_size - 2]
    lut = np.ones(len(vocab), np.int32)  # <unk>
    lut[0] = 0
    lut[kept] = np.arange(2, 2 + len(kept), dtype=np.int32)
    codes = lut[s.values]
    new_vocab = [PAD_TOKEN, UNK_TOKEN, *(vocab[i] for i in kept)]
    return replace(s, values=codes, labels=codes.astype(np.int64), classes=new_vocab, vocabulary=new_vocab)


# From this share of the training targets read as <unk> on, the cut vocabulary is said: a few
# rare characters as <unk> change little, but 5 % or more of the targets being "some other
# character" is a class the model learns to predict instead of letters, and it lifts accuracy
UNKNOWN_TARGETS_NOTED = 0.05


def unknown_targets_note(s: SeriesSet, y_train: np.ndarray, n_chars: int, vocab_size: int) -> list[str]:
    """A note when ``data.vocab_size`` left a noticeable share of the training targets
    (``y_train``, ids of ``s``' cut vocabulary) as ``<unk>``; ``n_chars``: the text's distinct
    characters before the cut. No note below :data:`UNKNOWN_TARGETS_NOTED` of them."""
    share = float(np.mean(np.asarray(y_train) == 1)) if len(y_train) else 0.0
    if share < UNKNOWN_TARGETS_NOTED:
        return []
    kept = len(s.vocabulary or []) - 2
    return [
        f"data.vocab_size {vocab_size} keeps {kept} of {n_chars} characters: {share:.0%} of the training targets "
        f"read as {UNK_TOKEN}; raise data.vocab_size ({n_chars + 2} keeps every character)"
    ]
