"""Text from a trained character run (``lstm-workbench generate``) and the samples notebook 03
shows for text runs.

The model of a character run reads a window of ``L`` token ids and gives the probability of
the next one. Generation is a *stateless sliding window*: the last ``L`` ids (the prime,
left-filled with spaces when shorter) go in, one id is drawn, appended, and the window slides
by one. One model call per generated character is inherent; the call is a traced
``tf.function`` (no ``model.predict`` set-up per step) and every sample in a batch advances in
the same call, so several primes x temperatures cost one call per character in all.

The vocabulary comes from the run's ``prepare.json`` (``input.vocabulary``, written by stage 01
for ``data.kind: text``): index 0 is padding and 1 the unknown character; neither is ever drawn.

>>> # lstm-workbench generate --run reports/<run> --prime "It is a truth" --length 200 --seed 1
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lstm_helpers.artifacts import read_json
from lstm_helpers.config import ConfigError
from lstm_helpers.data.text import PAD_TOKEN, UNK_TOKEN
from lstm_helpers.layout import RunLayout
from lstm_helpers.runs.kernel import quiet_tensorflow_import
from lstm_helpers.style import visible_name


class NotACharacterRun(ConfigError):
    """The run was not trained on text (``data.kind: text``), so it cannot write characters."""


@dataclass(frozen=True)
class CharModel:
    """A trained character model ready to sample from."""

    vocabulary: list[str]
    window_length: int
    lowercase: bool
    forward: Callable[[np.ndarray], np.ndarray]  # (B, L) int32 ids -> (B, K) probabilities

    @property
    def fill_id(self) -> int:
        """Id that fills a prime shorter than the window: the space, else padding."""
        return self.vocabulary.index(" ") if " " in self.vocabulary else 0

    @property
    def banned_ids(self) -> list[int]:
        """Ids never drawn: padding and the unknown character."""
        return [i for i, t in enumerate(self.vocabulary) if t in (PAD_TOKEN, UNK_TOKEN)]


def _text_input(run_dir: Path) -> tuple[dict, dict]:
    lay = RunLayout(run_dir)
    if not lay.prepare_json.is_file():
        raise ConfigError(f"--run {run_dir}: no {lay.prepare_json.name}; not a run directory (or stage 01 has not run)")
    meta = read_json(lay.prepare_json)
    inp = meta.get("input", {})
    if inp.get("data_kind") != "text" or inp.get("kind") != "tokens" or not inp.get("vocabulary"):
        kind = inp.get("data_kind", "unknown")
        raise NotACharacterRun(
            f"run {run_dir.name} is a {kind!r} run, not a character model: generate needs a run "
            f"trained with data.kind: text (e.g. configs/examples/char_text.yaml)"
        )
    if not lay.model.is_file():
        raise ConfigError(
            f"run {run_dir.name} has no {lay.model.name}; train it first (lstm-workbench train --run ...)"
        )
    return meta, inp


def load_char_model(run_dir: str | Path) -> CharModel:
    """Load a character run's model and vocabulary.

    Raises
    ------
    NotACharacterRun
        When the run is not a text run (a ConfigError: the CLI exits 2 with the message).
    ConfigError
        When the run directory lacks ``prepare.json`` or ``model.keras``.
    """
    run_dir = Path(run_dir)
    meta, inp = _text_input(run_dir)
    quiet_tensorflow_import()
    import tensorflow as tf

    from lstm_helpers.model.models import load_trained_model

    model = load_trained_model(RunLayout(run_dir).model)
    length = int(inp["window_length"])
    n_out = int(model.output_shape[-1])
    if n_out != len(inp["vocabulary"]):
        raise ValueError(
            f"run {run_dir.name}: the model predicts {n_out} classes but the vocabulary "
            f"in prepare.json has {len(inp['vocabulary'])}; re-run the run"
        )
    call = tf.function(
        lambda x: model(x, training=False),
        reduce_retracing=True,
        input_signature=[tf.TensorSpec([None, length], tf.int32)],
    )
    lower = bool(meta.get("parameters", {}).get("data", {}).get("lowercase", False))
    return CharModel(list(inp["vocabulary"]), length, lower, lambda ids: call(ids).numpy())


def encode(text: str, vocabulary: Sequence[str], lowercase: bool = False) -> np.ndarray:
    """Character ids of ``text``; characters outside the vocabulary become the unknown id (1)."""
    lut = {c: i for i, c in enumerate(vocabulary)}
    unk = lut.get(UNK_TOKEN, 1)
    text = text.lower() if lowercase else text
    return np.fromiter((lut.get(c, unk) for c in text), dtype=np.int32, count=len(text))


def decode(ids: np.ndarray, vocabulary: Sequence[str]) -> str:
    """Text of character ids (padding decodes to nothing, unknown to U+FFFD)."""
    table = np.array([{PAD_TOKEN: "", UNK_TOKEN: "\ufffd"}.get(t, t) for t in vocabulary], dtype=object)
    return "".join(table[np.asarray(ids, dtype=np.int64)])


def sample_ids(
    probs: np.ndarray,
    temperatures: np.ndarray,
    top_k: int | None,
    rng: np.random.Generator,
    banned: Sequence[int] = (),
) -> np.ndarray:
    """Draw one id per row of ``probs`` (B, K), vectorised over the batch.

    ``log p / T`` plus Gumbel noise, argmax (the Gumbel-max trick: a draw from
    ``softmax(log p / T)``); ``T = 0`` is greedy (argmax of p). ``top_k`` keeps only the k
    most likely ids of each row. ``banned`` ids are never drawn.
    """
    logp = np.log(np.clip(probs.astype(np.float64), 1e-30, None))
    if len(banned):
        logp[:, list(banned)] = -np.inf
    if top_k is not None and top_k < logp.shape[1]:
        kth = np.partition(logp, -top_k, axis=1)[:, -top_k][:, None]
        logp = np.where(logp >= kth, logp, -np.inf)
    t = np.asarray(temperatures, dtype=np.float64)[:, None]
    greedy = (t <= 0).ravel()
    with np.errstate(over="ignore"):  # each row's most likely id at 0: a tiny T drew the banned <pad> from all -inf
        scaled = (logp - logp.max(axis=1, keepdims=True)) / np.where(t > 0, t, 1.0) + rng.gumbel(size=logp.shape)
    return np.where(greedy, logp.argmax(axis=1), scaled.argmax(axis=1)).astype(np.int32)


def generate_ids(
    cm: CharModel,
    primes: np.ndarray,
    length: int,
    temperatures: Sequence[float] | np.ndarray,
    top_k: int | None = None,
    seed: int | None = None,
) -> np.ndarray:
    """Continue each row of ``primes`` (B, L) by ``length`` ids; returns (B, length).

    Row b uses ``temperatures[b]``. Seeded: the same seed, primes and model give the same ids.
    """
    primes = np.asarray(primes, dtype=np.int32)
    temps = np.broadcast_to(np.asarray(temperatures, dtype=np.float64), (len(primes),))
    rng = np.random.default_rng(seed)
    window = primes.copy()
    out = np.empty((len(primes), length), dtype=np.int32)
    banned = cm.banned_ids
    for i in range(length):  # one model call per character is inherent to autoregression
        nxt = sample_ids(cm.forward(window), temps, top_k, rng, banned)
        out[:, i] = nxt
        window = np.concatenate([window[:, 1:], nxt[:, None]], axis=1)
    return out


def prime_window(cm: CharModel, prime: str) -> np.ndarray:
    """The last ``L`` ids of ``prime``, left-filled with spaces when it is shorter."""
    ids = encode(prime, cm.vocabulary, cm.lowercase)[-cm.window_length :]
    fill = np.full(cm.window_length - len(ids), cm.fill_id, dtype=np.int32)
    return np.concatenate([fill, ids])


def prime_note(cm: CharModel, prime: str) -> str | None:
    """Which characters of the prime the model reads (its last ``L``, lowercased where the run
    lowercased its text) are outside the run's vocabulary and read as ``<unk>``; None when all
    are in it. ``--prime "café 日本"`` on an English run read three characters as ``<unk>``
    without a word."""
    read = (prime.lower() if cm.lowercase else prime)[-cm.window_length :]
    known = set(cm.vocabulary) - {PAD_TOKEN, UNK_TOKEN}
    unknown = list(dict.fromkeys(c for c in read if c not in known))  # in order of appearance
    if not unknown:
        return None
    n = sum(c not in known for c in read)
    shown = ", ".join(repr(visible_name(c)) for c in unknown[:10]) + (
        f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
    )
    return (
        f"{n} of the {len(read)} prime characters the model reads are outside the run's vocabulary of "
        f"{len(known)} characters and read as {UNK_TOKEN}: {shown}"
    )


def generate_text(
    run_dir: str | Path,
    prime: str,
    length: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    seed: int | None = None,
) -> str:
    """``length`` characters that continue ``prime``, from the run's character model.

    Raises
    ------
    ValueError
        ``length`` < 1, ``temperature`` < 0 or not finite, ``top_k`` < 1, or the run is not a character run.
    """
    _check_knobs(length, temperature, top_k)
    cm = load_char_model(run_dir)
    if note := prime_note(cm, prime):  # on stderr: stdout holds exactly the generated characters
        print(f"note: {note}", file=sys.stderr, flush=True)
    ids = generate_ids(cm, prime_window(cm, prime)[None, :], length, [temperature], top_k, seed)
    return decode(ids[0], cm.vocabulary)


def _check_knobs(length: int, temperature: float, top_k: int | None) -> None:
    if length < 1:
        raise ConfigError(f"--length = {length}: must be >= 1 (characters to write)")
    if not (math.isfinite(temperature) and temperature >= 0):  # inf wrote nothing, nan sampled at 1
        raise ConfigError(f"--temperature = {temperature}: must be a finite number >= 0 (0 = always the most likely)")
    if top_k is not None and top_k < 1:
        raise ConfigError(f"--top-k = {top_k}: must be >= 1 (or left out for no cut)")


def sample_table(
    run_dir: str | Path,
    temperatures: Sequence[float] = (0.5, 1.0),
    n_primes: int = 2,
    length: int = 160,
    top_k: int | None = None,
    seed: int = 0,
) -> pd.DataFrame | None:
    """A few samples per temperature, primed with held-out windows (test split, else validation).

    Returns None for runs that are not character runs (notebook 03 shows nothing then).
    All ``n_primes x len(temperatures)`` samples advance in one model call per character.
    Newlines show as ``⏎`` so the table stays one line per sample.
    """
    run_dir = Path(run_dir)
    try:
        cm = load_char_model(run_dir)
    except NotACharacterRun:
        return None
    with np.load(RunLayout(run_dir).prepared, allow_pickle=False) as z:
        split = next((s for s in ("test", "val", "train") if len(z[f"y_{s}"])), "train")
        X = z[f"X_{split}"]
        rows = np.linspace(0, len(X) - 1, n_primes).astype(int) if len(X) else np.zeros(0, int)
        primes = X[rows].astype(np.int32)
    batch = np.repeat(primes, len(temperatures), axis=0)
    temps = np.tile(np.asarray(temperatures, dtype=np.float64), len(primes))
    ids = generate_ids(cm, batch, length, temps, top_k, seed)
    return pd.DataFrame(
        {
            f"prime ({split} split)": [_show(decode(p, cm.vocabulary)) for p in batch],
            "temperature": temps,
            "generated": [_show(decode(g, cm.vocabulary)) for g in ids],
        }
    )


def _show(text: str) -> str:
    return text.replace("\n", "⏎")
