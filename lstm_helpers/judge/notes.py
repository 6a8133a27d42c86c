"""The plain-language notes of stage 03, each with a kind that says how urgent it is.

A note is a ``str`` (every reader of ``metrics.json["notes"]`` keeps reading text) that
also carries its :attr:`Note.kind`, set where the note is written:

* ``act`` -- says what to change (a setting to raise, a remedy to try);
* ``caution`` -- says how far a figure or a choice made on validation can be trusted;
* ``reading`` -- reads a figure in words (accuracy against the majority class, ...).

``metrics.json["note_kinds"]`` keeps the kinds beside the notes, in the same order, so that a
page with room for a few (the slides' "What to change next") can put the actionable ones
first (:func:`by_priority`). Plain Python; the kinds are this project's own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

ACT, CAUTION, READING = "act", "caution", "reading"
PRIORITY = (ACT, CAUTION, READING)  # what a short list shows first
# how stage 03's advice against the MiniRocket baseline opens (it reads validation, never test)
BASELINE_SHORT = "On validation the model falls short of the MiniRocket baseline"


class Note(str):
    """A note's text with its kind (``act``, ``caution`` or ``reading``)."""

    kind: str

    def __new__(cls, text: str, kind: str = READING) -> Note:
        if kind not in PRIORITY:
            raise ValueError(f"note kind must be one of {PRIORITY}, got {kind!r}")
        note = super().__new__(cls, text)
        note.kind = kind
        return note


def kind_of(note: str, default: str = CAUTION) -> str:
    """A note's kind; ``default`` for plain text (a stage's message, such as left-out windows)."""
    return getattr(note, "kind", default)


def by_priority(notes: Sequence[str], kinds: Iterable[str] | None = None) -> list[str]:
    """``notes`` with what to change first, then cautions, then readings, each group in its
    own order (``kinds``: ``metrics.json["note_kinds"]``; without them, as written: an older
    run's ``metrics.json`` has none)."""
    kinds = list(kinds) if kinds is not None else []
    if len(kinds) != len(notes):
        return [str(n) for n in notes]
    rank = {k: i for i, k in enumerate(PRIORITY)}
    order = sorted(range(len(notes)), key=lambda i: rank.get(kinds[i], len(PRIORITY)))
    return [str(notes[i]) for i in order]
