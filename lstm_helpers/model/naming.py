"""Model names without TensorFlow: what a model is, spelled from its config alone.

Kept apart from :mod:`lstm_helpers.model.models` (which imports Keras) so that planning a
sweep, naming a run directory or listing runs never starts TensorFlow.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from lstm_helpers.config import ARCHITECTURE_FIELDS, Config, FcnBlock, ModelConfig

FCN_PAPER = ((128, 8), (256, 5), (128, 3))  # LSTM-FCN's blocks (Karim et al. 2017): filters, kernel


# LSTM-FCN as published for a univariate series (Karim et al. 2017): an LSTM of 8 cells reads the
# dimension-shuffled window (one step), dropout 0.8, beside the FCN branch; no conv front end, no dense head
LSTM_FCN = {
    "conv": [],
    "units": [8],
    "bidirectional": False,
    "dropout": 0.8,
    "dimension_shuffle": True,
    "fcn": [FcnBlock(filters=f, kernel_size=k) for f, k in FCN_PAPER],
    "dense_units": [],
}


def resolve_model(model_cfg: ModelConfig, input_info: dict[str, Any] | None) -> ModelConfig:
    """``model_cfg`` as it will be built for this input (``input_info``: ``prepare.json["input"]``
    or as much as is known). ``model.architecture: auto`` gives LSTM-FCN as published
    (:data:`LSTM_FCN`) to real-valued input of one channel that is not padded (fixed-length
    windows: the shuffle turns time into features, which on padded series of many lengths
    would mean a different phase at each feature) while every architecture field equals its
    default. A config (YAML, ``--set``, sweep, search trial, notebook parameter) that names
    one of :data:`~lstm_helpers.config.ARCHITECTURE_FIELDS` without naming
    ``model.architecture`` gets ``as_set`` when it is read (``ModelConfig._named``), so what
    it spells out is built even where it equals the default. Measured in
    benchmarks/README.md (seventeenth session)."""
    info = input_info or {}
    defaults = ModelConfig()
    if (
        model_cfg.architecture == "auto"
        and info.get("kind", "real") == "real"
        and info.get("n_channels") == 1
        and info.get("masked") is False
        and all(getattr(model_cfg, f) == getattr(defaults, f) for f in ARCHITECTURE_FIELDS)
    ):
        return model_cfg.model_copy(update=copy.deepcopy(LSTM_FCN))
    return model_cfg


def fcn_blocks(model_cfg: ModelConfig, input_info: dict[str, Any] | None) -> list[FcnBlock]:
    """The LSTM-FCN branch's blocks for this input (``input_info``: ``prepare.json["input"]``
    or as much as is known: ``kind``, ``n_channels``). ``model.fcn: auto`` gives the paper's
    blocks to real-valued input of one channel (a univariate series: the convolutional view of
    the whole series that a recurrent layer over pooled steps lacks; measured in
    benchmarks/README.md, sixteenth session) and none otherwise, or when the channel count is
    not known yet."""
    if model_cfg.fcn != "auto":
        return list(model_cfg.fcn)
    info = input_info or {}
    univariate = info.get("kind", "real") == "real" and info.get("n_channels") == 1
    return [FcnBlock(filters=f, kernel_size=k) for f, k in FCN_PAPER] if univariate else []


def _blocks(blocks: list[Any], pooled: bool) -> str:
    """``2 Conv1D blocks of 64 filters, kernel 5, max pooling 2`` (blocks alike said once, else each)."""
    said = [
        f"{b.filters} filters, kernel {b.kernel_size}" + (f", max pooling {b.pool}" if pooled and b.pool > 1 else "")
        for b in blocks
    ]
    n = f"{len(blocks)} Conv1D block{'s' if len(blocks) > 1 else ''}"
    return f"{n} of {said[0]}" if len(set(said)) == 1 else f"{n}: " + "; ".join(said)


def name_parts(model_cfg: ModelConfig, input_info: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """The parts of :func:`model_name`, in order, each with what it means in words: the one
    place that spells a name, so the name and its legend in the report cannot drift apart."""
    model_cfg = resolve_model(model_cfg, input_info)
    cell = model_cfg.cell.upper()
    if model_cfg.cell == "none":
        parts = [("cnn", "convolution only: no recurrent layer")]
    else:
        token = (
            ("bi" if model_cfg.bidirectional else "") + model_cfg.cell + ("T" if model_cfg.dimension_shuffle else "")
        )
        meaning = ("bidirectional " if model_cfg.bidirectional else "") + f"{cell} (the recurrent cell)"
        parts = [
            (token, meaning + ("; T: it reads the window transposed, each channel one step" if "T" in token else ""))
        ]
    if input_info is not None and input_info.get("kind") == "tokens":
        parts.append(
            (f"emb{model_cfg.embedding_dim}", f"an embedding of {model_cfg.embedding_dim} dimensions per token")
        )
    if model_cfg.conv:
        blocks = "-".join(f"{b.filters}x{b.kernel_size}" + (f"p{b.pool}" if b.pool > 1 else "") for b in model_cfg.conv)
        said = _blocks(model_cfg.conv, pooled=True)
        parts.append(
            (
                f"cv{len(model_cfg.conv)}-{blocks}",
                f"convolutional front end: {said} (each {blocks.split('-')[0]}: filters x kernel, p pooling)",
            )
        )
    if fcn := fcn_blocks(model_cfg, input_info):
        token = f"fcn{len(fcn)}-" + "-".join(f"{b.filters}x{b.kernel_size}" for b in fcn)
        parts.append((token, f"fully convolutional branch beside the recurrent one (LSTM-FCN): {_blocks(fcn, False)}"))
    if model_cfg.cell != "none":
        units = model_cfg.units
        parts.append(
            (
                f"lay{len(units)}_sz" + "-".join(str(u) for u in units),
                f"{len(units)} recurrent layer{'s' if len(units) > 1 else ''} of {_and([str(u) for u in units])} units",
            )
        )
    if model_cfg.dense_units:
        dense = model_cfg.dense_units
        layers = f"{len(dense)} dense layer" + ("s" if len(dense) > 1 else "")
        parts.append(("d" + "-".join(str(u) for u in dense), f"{layers} of {_and([str(u) for u in dense])} units"))
    return [(re.sub(r"[^A-Za-z0-9_.-]", "", token), meaning) for token, meaning in parts]


def model_name(model_cfg: ModelConfig, input_info: dict[str, Any] | None = None) -> str:
    """A short name that says what the model is, e.g. ``bilstm_cv1-128x5p2_lay2_sz64-32_d32``.

    Parts, in order (:func:`name_parts`, which also says each in words): cell (``lstm`` /
    ``gru``, ``bi`` prefix when bidirectional, ``T`` suffix when it reads the window
    transposed (``dimension_shuffle``), ``cnn`` for the convolution-only baseline);
    ``emb<dim>`` for token input; ``cv<n>-`` then ``<filters>x<kernel>[p<pool>]`` per conv
    block (no ``p`` when pool is 1); ``fcn<n>-`` then ``<filters>x<kernel>`` per block of the
    LSTM-FCN branch (as resolved for the input); ``lay<n>_sz<units>`` for the recurrent stack;
    ``d<units>`` for the dense head when there is one. Dropout and masking are training
    details and left out. Named as built for the input (:func:`resolve_model`).
    """
    return "_".join(token for token, _ in name_parts(model_cfg, input_info))


def name_legend(model_cfg: ModelConfig, input_info: dict[str, Any] | None = None, run_name: str = "") -> Any:
    """A table of each part of the model's name and what it means (pandas DataFrame), for the
    report's Model section; with ``run_name``, the run's time stamp too when the run's folder is
    named ``<time stamp>_<model name>`` (the default)."""
    import pandas as pd

    rows = name_parts(model_cfg, input_info)
    stamp = re.match(r"(\d{8})-(\d{6})_", run_name)
    if stamp and run_name[stamp.end() :].startswith(model_name(model_cfg, input_info)):
        d, t = stamp.groups()
        rows.insert(0, (f"{d}-{t}", f"when the run started: {d[:4]}-{d[4:6]}-{d[6:]} {t[:2]}:{t[2:4]}:{t[4:]}"))
    return pd.DataFrame(rows, columns=["part of the name", "means"])


def planned_model_name(cfg: Config) -> str:
    """The model name the training stage will give ``cfg`` (token input for text and ``data.tokens``),
    known before any data is read (``model.fcn`` and ``model.architecture: auto`` count the
    listed channels; with none listed, or padding not yet known, they are left out)."""
    channels = len(cfg.data.channels) if cfg.data.kind == "recordings" and cfg.data.channels else None
    info = {"kind": "tokens" if cfg.data.kind == "text" or cfg.data.tokens else "real", "n_channels": channels}
    if cfg.data.kind == "recordings":
        info["masked"] = False  # windows of recordings all have the window's length
    return model_name(cfg.model, info)


def pooling_error(conv: list[Any], window_length: int) -> str | None:
    """Why the conv blocks' pools shrink a ``window_length``-step window to 0 steps, or None:
    checked by the model builder and, where the length is known beforehand, by the sweep planner."""
    steps = window_length
    for i, block in enumerate(conv):
        steps //= block.pool
        if steps < 1:
            return (
                f"model.conv[{i}].pool = {block.pool}: the pooling {[b.pool for b in conv]} shrinks the "
                f"{window_length}-step window to 0 steps; use smaller pools (their product "
                f"must be <= {window_length}) or longer windows"
            )
    return None


def _and(items: list[str]) -> str:
    """``64 and 32``; ``128, 64 and 32``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def model_description(model_cfg: ModelConfig, input_info: dict[str, Any] | None = None) -> str:
    """What :func:`model_name` spells, in words for a reader who does not know the code, e.g.
    ``2 convolution blocks (64 filters of width 5), then a 2-layer bidirectional LSTM (64 and
    32 units), then a dense layer of 32 units`` (as built for the input: :func:`resolve_model`)."""
    m = resolve_model(model_cfg, input_info)
    parts = []
    if input_info is not None and input_info.get("kind") == "tokens":
        parts.append(f"an embedding of {m.embedding_dim} dimensions")
    if m.conv:
        shapes = list(dict.fromkeys(f"{b.filters} filters of width {b.kernel_size}" for b in m.conv))
        parts.append(f"{len(m.conv)} convolution block{'s' if len(m.conv) > 1 else ''} ({'; '.join(shapes)})")
    if m.cell != "none":
        cell = ("bidirectional " if m.bidirectional else "") + m.cell.upper()
        units = _and([str(u) for u in m.units])
        article = "an" if cell[0] in "AEIOUL" else "a"  # an LSTM (el-), a GRU, a bidirectional LSTM
        layers = f"a {len(m.units)}-layer {cell}" if len(m.units) > 1 else f"{article} {cell}"
        parts.append(
            f"{layers} ({units} units)" + (", reading each channel as one step" if m.dimension_shuffle else "")
        )
    if m.dense_units:
        dense = _and([str(u) for u in m.dense_units])
        parts.append(f"dense layers of {dense} units" if len(m.dense_units) > 1 else f"a dense layer of {dense} units")
    text = ", then ".join(parts) or "a classifier"
    if fcn := fcn_blocks(m, input_info):
        text += f", beside a fully convolutional branch of {len(fcn)} blocks (LSTM-FCN)"
    return text
