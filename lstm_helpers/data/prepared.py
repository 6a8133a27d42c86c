"""Stage 01's hand-over, typed: what the input is (:class:`InputInfo`), the prepared arrays
(:class:`PreparedData`) and the one loader every later stage uses (:func:`load_prepared`).

``prepare.json["input"]`` and ``prepared.npz`` are read and checked here and nowhere else:
training, evaluation, search and predict get a :class:`PreparedData` (or, for predict, the
:class:`InputInfo` of :func:`read_prepare_json`) instead of re-reading dictionaries.
TensorFlow-free, so naming a run or planning a sweep can use :meth:`InputInfo.from_config`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from lstm_helpers.artifacts import as_written, load_npz, read_json, start_stage
from lstm_helpers.config import Config
from lstm_helpers.data.recordings import SPLIT_NAMES
from lstm_helpers.layout import RunLayout

STAGE01_HINT = "run stage 01 (notebooks/01_prepare.ipynb) for this run first"
InputKind = Literal["real", "tokens"]
_WHERE = "prepare.json['input']"


@dataclass(frozen=True)
class InputInfo:
    """What a model's input is: ``prepare.json["input"]`` as a typed value.

    ``kind`` is ``real`` (float channels, shape ``(window_length, n_channels)``) or
    ``tokens`` (int ids, shape ``(window_length,)``, ``vocab_size`` ids); ``data_kind`` is
    the source (recordings / sequences / text). ``masked``: padded timesteps equal
    ``mask_value`` and are masked by the model. ``window_length`` and ``n_channels`` are
    None only in :meth:`from_config` (before the data are read).
    """

    kind: InputKind
    data_kind: str
    window_length: int | None
    step: int | None = None
    n_channels: int | None = None
    channels: list[str] = field(default_factory=list)
    vocab_size: int | None = None
    vocabulary: list[str] | None = None
    masked: bool = False
    mask_value: float = 0.0
    sample_rate_hz: float | None = None
    source: str | None = None

    @property
    def tokens(self) -> bool:
        return self.kind == "tokens"

    @property
    def window_shape(self) -> tuple[int, ...]:
        """Shape of one window: ``(window_length,)`` for tokens, else ``(length, channels)``."""
        if self.window_length is None or self.n_channels is None:
            raise ValueError("the window shape is known only once stage 01 (prepare) has read the data")
        return (self.window_length,) if self.tokens else (self.window_length, self.n_channels)

    def to_dict(self) -> dict[str, Any]:
        """The ``prepare.json["input"]`` form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], where: str = _WHERE) -> InputInfo:
        """Parse and check ``prepare.json["input"]``.

        Raises
        ------
        ValueError
            A missing or invalid entry, named with ``where``.
        """
        if not isinstance(raw, Mapping):
            raise ValueError(f"{where} must be a mapping; re-run stage 01 (prepare)")
        missing = [k for k in ("kind", "window_length", "n_channels") if raw.get(k) is None]
        if missing:
            raise ValueError(f"{where} lacks {missing}; re-run stage 01 (prepare) to rewrite it")
        kind = raw["kind"]
        if kind not in ("real", "tokens"):
            raise ValueError(f"{where}['kind'] = {kind!r}; valid: 'real', 'tokens'")
        window_length = int(raw["window_length"])
        if window_length < 1:
            raise ValueError(f"{where}['window_length'] = {window_length}; must be >= 1")
        vocab = raw.get("vocab_size")
        if kind == "tokens" and (vocab is None or int(vocab) < 2):
            raise ValueError(
                f"token input needs {where}['vocab_size'] (an int >= 2) for the Embedding layer, "
                f"got {vocab!r}; re-run stage 01 (prepare) with data.kind=text, or sequences with data.tokens"
            )
        step = raw.get("step")
        rate = raw.get("sample_rate_hz")
        return cls(
            kind=kind,
            data_kind=str(raw.get("data_kind") or ("text" if kind == "tokens" else "recordings")),
            window_length=window_length,
            n_channels=int(raw["n_channels"]),
            step=int(step) if step is not None else None,
            channels=[str(c) for c in raw.get("channels") or []],
            vocab_size=int(vocab) if vocab is not None else None,
            vocabulary=raw.get("vocabulary"),
            masked=bool(raw.get("masked", False)),
            mask_value=float(raw.get("mask_value", 0.0)),
            sample_rate_hz=float(rate) if rate is not None else None,
            source=raw.get("source"),
        )

    @classmethod
    def from_config(cls, cfg: Config) -> InputInfo:
        """What is known of the input before any data are read (for names and plans):
        kind, data kind, masking, channels and, except for padded sequences, the window length."""
        tokens = cfg.data.kind == "text" or cfg.data.tokens
        # a table with one row per sample is read as padded sequences (data/tables.py)
        cases = cfg.data.reads_cases
        return cls(
            kind="tokens" if tokens else "real",
            data_kind=cfg.data.kind,
            window_length=None if cases else cfg.window_length,
            n_channels=1 if tokens else (len(cfg.data.channels) or None),
            channels=["token"] if tokens else list(cfg.data.channels),
            masked=cases,
            mask_value=0.0 if tokens else float(cfg.data.mask_value),
            sample_rate_hz=cfg.data.sample_rate_hz,
            source=str(cfg.data.path),
        )


@dataclass(frozen=True)
class PreparedData:
    """Stage 01's artifacts, checked: ``prepare.json`` facts and the ``prepared.npz`` arrays.

    ``arrays`` holds every array of ``prepared.npz`` (``X_<split>`` as float32 or, for
    tokens, int32; ``y_<split>`` as int64; ``rec_`` / ``start_`` / ``synthetic_<split>``,
    ``timeline_*``, ``scaler_*``); ``meta`` is ``prepare.json`` as written (counts, groups,
    split report, scaler, leakage check...).
    """

    path: Path
    classes: list[str]
    input_info: InputInfo
    class_weight: dict[int, float] | None
    arrays: Mapping[str, np.ndarray]
    meta: dict[str, Any]

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def binary(self) -> bool:
        return self.n_classes == 2

    def X(self, split: str) -> np.ndarray:
        return self.arrays[f"X_{split}"]

    def y(self, split: str) -> np.ndarray:
        return self.arrays[f"y_{split}"]

    @property
    def X_train(self) -> np.ndarray:
        return self.X("train")

    @property
    def y_train(self) -> np.ndarray:
        return self.y("train")

    @property
    def X_val(self) -> np.ndarray:
        return self.X("val")

    @property
    def y_val(self) -> np.ndarray:
        return self.y("val")

    @classmethod
    def from_parts(cls, meta: dict[str, Any], arrays: Mapping[str, np.ndarray], path: Path) -> PreparedData:
        """Check ``prepare.json`` content against the arrays and type both.

        Raises
        ------
        ValueError
            Fewer than 2 classes, an invalid ``input``, class weights naming unknown
            classes, or a split whose arrays disagree with each other or with ``input``.
        """
        json_path = path.with_name(RunLayout(path.parent).prepare_json.name)
        for key in ("classes", "input"):
            if key not in meta:
                raise ValueError(f"{json_path} lacks '{key}'; re-run stage 01 (prepare)")
        classes = [str(c) for c in meta["classes"]]
        if len(classes) < 2:
            raise ValueError(f"{json_path}: 'classes' = {classes}; need at least 2")
        info = InputInfo.from_dict(meta["input"], where=f"{json_path}['input']")
        typed = dict(arrays)
        for split in SPLIT_NAMES:
            if f"X_{split}" in typed and f"y_{split}" in typed:
                typed[f"X_{split}"], typed[f"y_{split}"] = _checked_split(
                    typed[f"X_{split}"], typed[f"y_{split}"], split, info, classes, path
                )
        return cls(path, classes, info, _class_weight(meta, classes, json_path), typed, meta)


def _checked_split(
    X: np.ndarray, y: np.ndarray, split: str, info: InputInfo, classes: list[str], path: Path
) -> tuple[np.ndarray, np.ndarray]:
    """One split's windows and labels, checked against the input facts and cast."""
    if len(X) != len(y):
        raise ValueError(f"{path}: X_{split} has {len(X)} windows but y_{split} has {len(y)}")
    expected = info.window_shape
    if X.shape[1:] != expected:
        raise ValueError(
            f"{path}: X_{split} has window shape {X.shape[1:]} but prepare.json['input'] says "
            f"{expected} (window_length, n_channels); re-run stage 01 (prepare)"
        )
    if info.tokens:
        if not np.issubdtype(X.dtype, np.integer):
            raise ValueError(f"{path}: token input X_{split} must be integer, got {X.dtype}")
        if len(X) and (X.min() < 0 or X.max() >= int(info.vocab_size or 0)):
            raise ValueError(
                f"{path}: X_{split} holds token ids in [{X.min()}, {X.max()}] outside [0, vocab_size={info.vocab_size})"
            )
    if len(y) and (y.min() < 0 or y.max() >= len(classes)):
        raise ValueError(
            f"{path}: y_{split} holds class indices in [{y.min()}, {y.max()}], "
            f"outside the {len(classes)} classes {classes}"
        )
    dtype = np.int32 if info.tokens else np.float32
    return X.astype(dtype, copy=False), y.astype(np.int64, copy=False)


def _class_weight(meta: dict[str, Any], classes: list[str], json_path: Path) -> dict[int, float] | None:
    """``prepare.json["class_weight"]`` (class name -> weight) as Keras wants it (index -> weight)."""
    weights = meta.get("class_weight")
    if not weights:
        return None
    unknown = sorted(set(weights) - set(classes))
    if unknown:
        raise ValueError(f"{json_path}: class_weight names {unknown} that are not in classes {classes}")
    return {classes.index(c): float(w) for c, w in weights.items()}


def read_prepare_json(run_dir: str | Path) -> dict[str, Any]:
    """``prepare.json`` of a run, with a clear error when stage 01 has not run."""
    path = RunLayout(Path(run_dir)).prepare_json
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: {STAGE01_HINT}")
    meta = read_json(path)
    for key in ("classes", "input"):
        if key not in meta:
            raise ValueError(f"{path} lacks '{key}'; re-run stage 01 (prepare)")
    return meta


def read_input_info(run_dir: str | Path) -> InputInfo:
    """The checked :class:`InputInfo` of a prepared run (no arrays read)."""
    meta = read_prepare_json(run_dir)
    return InputInfo.from_dict(meta["input"], where=f"{RunLayout(Path(run_dir)).prepare_json}['input']")


_EMPTY_HINTS = {
    "train": "",
    "val": " (split.val_fraction must be > 0)",
    "test": " (set split.test_fraction > 0 or data.test_path)",
}


def load_prepared(run_dir: str | Path, require: tuple[str, ...] = ("train", "val")) -> PreparedData:
    """Load and check ``prepared.npz`` + ``prepare.json`` of a run: the one loader of stage 01's
    artifacts (training, evaluation, search).

    Parameters
    ----------
    run_dir : path
        The run directory.
    require : tuple of split names
        Splits that must be present and hold at least one window.

    Raises
    ------
    FileNotFoundError
        When either file is missing.
    ValueError
        When arrays are missing, a required split is empty, shapes / dtypes disagree with
        ``prepare.json["input"]``, or labels fall outside ``classes``.
    """
    layout = RunLayout(Path(run_dir))
    npz_path = layout.prepared
    if not npz_path.is_file():
        raise FileNotFoundError(f"{npz_path} does not exist: {STAGE01_HINT}")
    meta = read_prepare_json(layout.root)
    arrays = load_npz(npz_path)
    missing = [f"{a}_{s}" for s in require for a in ("X", "y") if f"{a}_{s}" not in arrays]
    if missing:
        raise ValueError(f"{npz_path} lacks arrays {missing}; re-run stage 01 (prepare)")
    data = PreparedData.from_parts(meta, arrays, npz_path)
    for split in require:
        if len(data.X(split)) == 0:
            raise ValueError(f"{npz_path}: X_{split} is empty; this stage needs windows here{_EMPTY_HINTS[split]}")
    return data


# ---------------------------------------------------------------- stage 01 run again
def same_preparation(layout: RunLayout, arrays: dict[str, np.ndarray], info: dict) -> bool:
    """Whether the run directory already holds exactly these windows (every array of
    ``prepared.npz`` equal, the same classes and input): stage 01 of a resumed run, whose
    training backup and history must survive so that training continues where it stopped."""
    if not (layout.prepared.is_file() and layout.prepare_json.is_file()):
        return False
    try:
        old, old_info = load_npz(layout.prepared), read_json(layout.prepare_json)
    except (OSError, ValueError):  # unreadable: not the same
        return False
    if any(old_info.get(k) != as_written(info.get(k)) for k in ("classes", "input")):
        return False
    return old.keys() == arrays.keys() and all(
        old[k].dtype == np.asarray(v).dtype and np.array_equal(old[k], v) for k, v in arrays.items()
    )


def clear_later_stages(layout: RunLayout, cfg: Any, same: bool) -> None:
    """Stage 01 run again in a run directory (a notebook re-run, another seed or window) makes
    what stages 02 and 03 wrote stale: a model trained on other windows, judged on the new split
    (its training animals in the new test split) without a word. They go, and it is said; then
    ``params.yaml`` is written (:func:`lstm_helpers.artifacts.start_stage`). ``same``: the run
    already holds these windows (a resumed run), and keeps its later outputs."""
    stale = start_stage(layout.root, cfg, "prepare", keep_later=same)
    if stale:
        warnings.warn(
            f"{len(stale)} output(s) of stages 02 and 03 (model, metrics, figures) made from the windows "
            "before were removed: run 02 and 03 again",
            stacklevel=3,
        )
