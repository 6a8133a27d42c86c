"""Typed, validated run parameters: the one place defaults, ranges and allowed values live.

YAML files, ``--set key=value`` overrides, the notebooks' parameters cells and sweeps all
go through :func:`load_config` / :func:`resolve_config`, so a mistake is refused once,
before any work starts, with a message naming the key, the value and what is allowed.
Unknown keys are errors (``extra="forbid"``): a typo never silently falls back to a default.
"""

from __future__ import annotations

import codecs
import copy
import hashlib
import json
import re
import string
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lstm_helpers.config_errors import ConfigError, format_errors, short_repr
from lstm_helpers.config_errors import short_text as short_text  # callers import it from here
from lstm_helpers.config_yaml import parse_override, read_yaml
from lstm_helpers.config_yaml import safe_yaml as safe_yaml  # callers import it from here
from lstm_helpers.file_kinds import check_kind

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "configs" / "demo.yaml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class DataConfig(_Section):
    """Where the data is and how to read it."""

    kind: Literal["recordings", "sequences", "text", "table"] = "recordings"
    path: str = "data/raw/demo"  # file or folder of recordings (csv / parquet), .npz or .txt
    demo: bool = True  # generate the demo recordings when `path` is the shipped data/raw/demo (never elsewhere)
    format: Literal["auto", "csv", "parquet"] = "auto"
    recording_column: str | None = "recording_id"  # None: table only (rows cut into table_blocks)
    group_column: str | None = "animal_id"  # subject/group; None = split by recording
    time_column: str | None = "time_s"
    label_column: str = "behaviour"
    channels: list[str] = Field(default_factory=lambda: ["acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"])
    sample_rate_hz: float | None = Field(25.0, gt=0)
    class_map: dict[str, str] = Field(default_factory=dict)  # raw label -> task class
    other_class: str | None = None  # catch-all for raw labels not in class_map
    classes_of_interest: list[str] = Field(default_factory=list)  # e.g. ["play"]
    nan_policy: Literal["error", "interpolate", "drop"] = "error"
    encoding: str = "utf-8"  # text encoding of CSV and text files (e.g. latin-1, cp1252)
    sep: Literal[",", ";", "\t", "|"] = ","  # CSV column separator (pandas' sep), for training and predict
    decimal: Literal[".", ","] = "."  # CSV numbers' decimal mark (pandas'): "," reads 0,25 ("0,25" at sep ",")
    split_column: str | None = None  # predefined split per recording: train / val / test
    test_path: str | None = None  # a separate test file (public-benchmark style)
    pad_length: int | None = Field(None, ge=1)  # pre-segmented sequences (.npz); None = longest sequence
    mask_value: float = 0.0
    variable_length: Literal["pad", "stretch"] = "pad"  # sequences; stretch: each case resampled to that length
    tokens: bool = False  # sequences: X / values hold integer token ids (an Embedding), not real-valued channels
    # table (data/README.md): a row per time step, or with sequence_columns a row per sample ("{channel}_t{t}")
    sequence_columns: str | None = None
    # table: a row per time step of pre-segmented sequences, this column naming each row's sequence (one case each)
    sequence_column: str | None = None
    table_blocks: int = Field(20, ge=3)  # table without recording_column: contiguous blocks = groups
    vocab_size: int = Field(100, ge=3)  # text
    lowercase: bool = False
    max_chars: int | None = Field(None, ge=10)

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v: str) -> str:
        try:
            codecs.lookup(v)
        except LookupError:
            raise ValueError(f"unknown text encoding {v[:60]!r}; e.g. utf-8, latin-1, cp1252") from None
        return v

    @field_validator("class_map", mode="before")
    @classmethod
    def _numbers_as_text(cls, v: object) -> object:
        """``{3: shake}`` (an unquoted 3 is a number) maps the raw label '3' (3.0 too, as labels read)."""

        def text(x: object) -> object:
            if isinstance(x, bool) or not isinstance(x, int | float):
                return x
            return str(int(x)) if isinstance(x, float) and x.is_integer() else str(x)

        return {text(k): text(val) for k, val in v.items()} if isinstance(v, dict) else v

    @field_validator("classes_of_interest", mode="before")
    @classmethod
    def _interest_numbers_as_text(cls, v: object) -> object:
        """``[3]`` names the class '3' (3.0 too): a number as class_map reads it, and a label reads (label_text)."""
        return [cls._numbers_as_text({"": x})[""] for x in v] if isinstance(v, list) else v  # as a class_map value

    @field_validator("channels")
    @classmethod
    def _channels_unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError(f"channel names must be unique, got {v}")
        return v

    @property
    def reads_cases(self) -> bool:
        """Whether each case is a whole pre-segmented sequence (padded and masked, never windowed):
        ``data.kind: sequences``, or a table with ``data.sequence_columns`` / ``data.sequence_column``."""
        return self.kind == "sequences" or (
            self.kind == "table" and (self.sequence_columns is not None or self.sequence_column is not None)
        )

    @model_validator(mode="after")
    def _table_fields(self) -> DataConfig:
        if self.tokens and (self.kind != "sequences" or self.variable_length == "stretch"):
            what = "data.variable_length 'stretch'" if self.kind == "sequences" else f"data.kind {self.kind!r}"
            raise ValueError(f"data.tokens (token ids) needs data.kind 'sequences' (variable_length 'pad'), not {what}")
        if self.kind != "table":
            for key in ("sequence_columns", "sequence_column"):
                if getattr(self, key) is not None:
                    raise ValueError(f"data.{key} is for data.kind 'table' (data/README.md), not {self.kind!r}")
            if self.recording_column is None and self.kind == "recordings":
                raise ValueError("data.recording_column may be null only for data.kind 'table'")
            return self
        pattern = self.sequence_columns
        if pattern is not None and self.sequence_column is not None:
            raise ValueError(
                f"data.sequence_columns ({pattern!r}: a row per sequence) and data.sequence_column "
                f"({self.sequence_column!r}: a row per step of a sequence) are two shapes of table; set one"
            )
        if pattern is not None:
            fields = [f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None]
            if fields.count("t") != 1 or set(fields) - {"t", "channel"} or fields.count("channel") > 1:
                ids = "" if fields else "; a column naming each row's sequence (long format) is data.sequence_column"
                raise ValueError(
                    f"data.sequence_columns = {pattern!r}: a column-name pattern with {{t}} (the step) "
                    f"once and {{channel}} at most once, e.g. '{{channel}}_t{{t}}' for acc_x_t0, acc_x_t1, ...{ids}"
                )
            if "channel" not in fields and len(self.channels) != 1:
                raise ValueError(
                    f"data.sequence_columns = {pattern!r} has no {{channel}} but data.channels lists "
                    f"{len(self.channels)} channels; add {{channel}} (e.g. '{{channel}}_t{{t}}') or list one channel"
                )
        elif self.recording_column is None and self.group_column is not None and self.sequence_column is None:
            raise ValueError(
                "data.recording_column is null (the table is cut into data.table_blocks blocks that are "
                f"the split groups), so data.group_column must be null too, got {self.group_column!r}"
            )
        return self


class SplitConfig(_Section):
    """Train / validation / test split, by group, before windowing."""

    by: Literal["group", "recording"] = "group"
    # share of all data; with a predefined test split (split_column / test_path), of the training side, by group
    val_fraction: float = Field(0.2, ge=0.0, lt=1.0)
    min_val_groups: int = Field(2, ge=1)  # floor on validation's size (and >= 1 group per class)
    test_fraction: float = Field(0.2, ge=0.0, lt=1.0)
    stratify: bool = True
    attempts: int = Field(200, ge=1)  # seeded shuffles tried to put rare classes in every split
    # draws the split alone; None: the run's seed draws it (a sweep over seeds then varies the split too)
    seed: int | None = None

    @model_validator(mode="after")
    def _fractions(self) -> SplitConfig:
        if self.val_fraction + self.test_fraction >= 1.0:
            raise ValueError(
                f"val_fraction + test_fraction must be < 1, got {self.val_fraction} + {self.test_fraction}"
            )
        return self


class WindowsConfig(_Section):
    """Cutting recordings into fixed-length windows."""

    length: int = Field(50, ge=2)  # timesteps per window
    length_seconds: float | None = Field(None, gt=0)  # overrides `length` via data.sample_rate_hz
    overlap_percent: float = Field(50.0, ge=0.0, lt=100.0)
    label_rule: Literal["majority", "center", "last", "any"] = "majority"
    min_fraction: float = Field(0.25, gt=0.0, le=1.0)  # for label_rule=any
    # a window is unlabelled (dropped) under rule when its label rule's evidence is (center/last: that step;
    # majority/any: most of it); drop: any unlabelled step; partial: no labelled step (table: data/README.md)
    unlabelled: Literal["rule", "drop", "partial"] = "rule"
    max_unlabelled_fraction: float = Field(1.0, ge=0.0, le=1.0)  # also drop windows above this share


class ScaleConfig(_Section):
    method: Literal["standard", "robust", "minmax", "none"] = "standard"
    # global: one scaler fitted on training timesteps; recording: each recording by its own (label-free)
    per: Literal["global", "recording"] = "global"


class AugmentConfig(_Section):
    jitter_sigma: float = Field(0.05, ge=0.0)  # additive noise, in scaled units
    scale_sigma: float = Field(0.1, ge=0.0)  # per-channel multiplicative factor spread
    max_shift: int = Field(5, ge=0)  # circular time shift, timesteps


class ResampleConfig(_Section):
    """Rebalancing of the training split only."""

    method: Literal["none", "class_weight", "undersample", "oversample", "smote", "smote_under", "augment"] = (
        "class_weight"
    )
    imbalance_factor: float = Field(5.0, ge=1.0)  # largest : each smaller class, after
    class_weight: Literal["balanced"] | dict[str, float] = "balanced"
    smote_k: int = Field(5, ge=1)
    on_small_class: Literal["reduce", "error"] = "reduce"
    augment: AugmentConfig = Field(default_factory=AugmentConfig)

    @field_validator("class_weight", mode="before")
    @classmethod
    def _class_numbers_as_text(cls, v: object) -> object:
        """``{3: 5}`` weighs the class '3' (an unquoted 3 is a number), as class_map reads it."""
        if not isinstance(v, dict):
            return v
        return {next(iter(DataConfig._numbers_as_text({k: 0}))): w for k, w in v.items()}

    @model_validator(mode="after")
    def _weights_need_their_method(self) -> ResampleConfig:
        """Weights by class name are used by ``method: class_weight`` only (else silently unused)."""
        if isinstance(self.class_weight, dict):
            if self.method != "class_weight":
                raise ValueError(
                    f"class_weight {short_repr(self.class_weight, 80)} is used only with resample.method "
                    f"class_weight, not {self.method!r}: set resample.method=class_weight, or leave class_weight out"
                )
            if bad := {k: v for k, v in self.class_weight.items() if not v > 0}:
                raise ValueError(f"class_weight: each weight must be > 0, got {short_repr(bad, 80)}")
        return self


class ConvBlock(_Section):
    filters: int = Field(64, ge=1)
    kernel_size: int = Field(5, ge=1)
    pool: int = Field(2, ge=1)  # max-pool size after the block; 1 = none


Auto = Literal["auto"]  # "choose from the data" (lstm_helpers.model.budget, model.naming.fcn_blocks)


class FcnBlock(_Section):
    filters: int = Field(128, ge=1)
    kernel_size: int = Field(8, ge=1)


ARCHITECTURE_FIELDS = ("cell", "units", "bidirectional", "dropout", "recurrent_dropout", "conv", "fcn")
ARCHITECTURE_FIELDS += ("dimension_shuffle", "dense_units", "dense_dropout")  # what the network is


class ModelConfig(_Section):
    """Model spec -> Keras model (see lstm_helpers.model.models)."""

    # auto: LSTM-FCN as published on one unpadded real channel unless the config names a field below (naming.py)
    architecture: Literal["auto", "as_set"] = "auto"
    cell: Literal["lstm", "gru", "none"] = "lstm"  # none = convolution-only baseline
    units: list[int] = Field(default_factory=lambda: [64, 32])
    bidirectional: bool = True
    dropout: float | list[float] = 0.2  # after each recurrent layer
    recurrent_dropout: float = Field(0.0, ge=0.0, lt=1.0)  # leaves the fused fast kernel
    # DeepConvLSTM-style front end: two Conv1D(64, 5) blocks, each pooling time by 2 (4x fewer LSTM steps); [] = none
    conv: list[ConvBlock] = Field(default_factory=lambda: [ConvBlock(), ConvBlock()], max_length=2)
    # LSTM-FCN's branch (Karim et al. 2017): Conv1D + BatchNorm + ReLU blocks, averaged over time, beside the
    # recurrent output; [] = none; auto = the paper's 128x8, 256x5, 128x3 on one real channel (naming.fcn_blocks)
    fcn: Annotated[list[FcnBlock], Field(max_length=4)] | Auto = "auto"
    # recurrent layers read the window transposed, one step per channel (LSTM-FCN's); needs conv: []
    dimension_shuffle: bool = False
    dense_units: list[int] = Field(default_factory=lambda: [32])
    dense_dropout: float | list[float] = 0.1
    embedding_dim: int = Field(64, ge=1)  # token inputs only
    masking: Literal["auto", "on", "off"] = "auto"
    # unroll Keras' time loop: a CPU LSTM trains fused anyway, so this changes a GRU and XLA inference only
    unroll: bool = False

    @field_validator("units", "dense_units")
    @classmethod
    def _positive(cls, v: list[int]) -> list[int]:
        if any(u < 1 for u in v):
            raise ValueError(f"every entry must be >= 1, got {v}")
        return v

    @field_validator("masking", mode="before")
    @classmethod
    def _on_off(cls, v: Any) -> Any:
        """YAML (and ``--set``) reads on / off as true / false: they mean 'on' / 'off'."""
        return ("on" if v else "off") if isinstance(v, bool) else v

    @model_validator(mode="before")
    @classmethod
    def _named(cls, data: Any) -> Any:  # a config naming the network's fields builds them (naming.resolve_model)
        if isinstance(data, dict) and "architecture" not in data and set(ARCHITECTURE_FIELDS) & data.keys():
            return {**data, "architecture": "as_set"}
        return data

    @model_validator(mode="after")
    def _check(self) -> ModelConfig:
        if self.cell != "none" and not self.units:
            raise ValueError("units must list at least one layer unless cell is 'none'")
        if self.cell == "none" and not self.conv:
            raise ValueError("cell 'none' (convolution-only baseline) needs at least one conv block")
        if self.dimension_shuffle and self.conv:
            raise ValueError("dimension_shuffle turns time into features: it needs conv: []")
        for name, key in (("dropout", "units"), ("dense_dropout", "dense_units")):
            v, n = getattr(self, name), len(getattr(self, key))
            vals = v if isinstance(v, list) else [v]
            if isinstance(v, list) and len(v) != n:
                raise ValueError(
                    f"{name} lists {len(v)} values for the {n} layer(s) of model.{key} {getattr(self, key)}: give one "
                    f"number for all, or one per layer"
                    + (" (the dense head's is model.dense_dropout)" * (key == "units"))
                )
            if any(not 0.0 <= d < 1.0 for d in vals):
                raise ValueError(f"{name} values must be in [0, 1), got {v}")
        return self


def _auto_or_at_least(v: Any, minimum: int, key: str) -> Any:
    """Accept ``"auto"`` or an int >= ``minimum`` (a bool or a float with a fraction is refused); a
    quoted whole number (``'3'``) is read as one, as pydantic reads ``'0.5'`` for a float setting."""
    if v == "auto":
        return v
    if isinstance(v, str) and re.fullmatch(r"\s*[+]?\d+\s*", v):
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int | float) or int(v) != v or v < minimum:
        raise ValueError(f"{key} must be 'auto' or a whole number >= {minimum}, got {v!r}")
    return int(v)


class EarlyStoppingConfig(_Section):
    enabled: bool = True
    # epochs without improvement; auto = scaled so it spans enough updates (model/budget.py)
    patience: int | Auto = "auto"
    restore_best_weights: bool = True

    @field_validator("patience", mode="before")
    @classmethod
    def _patience(cls, v: Any) -> Any:
        return _auto_or_at_least(v, 0, "train.early_stopping.patience")


class ScheduleConfig(_Section):
    # one_cycle: warm-up to max_lr over warmup_fraction of the budget, then cosine annealing
    kind: Literal["constant", "plateau", "cosine", "cyclical", "one_cycle"] = "one_cycle"
    factor: float = Field(0.5, gt=0.0, lt=1.0)  # plateau
    patience: int | Auto = "auto"  # plateau; auto = about a third of early stopping's

    @field_validator("patience", mode="before")
    @classmethod
    def _patience(cls, v: Any) -> Any:
        return _auto_or_at_least(v, 0, "train.schedule.patience")

    min_lr: float = Field(1e-6, ge=0.0)
    warmup_fraction: float = Field(0.3, ge=0.0, lt=1.0)  # one_cycle: rising part
    max_lr: float | None = Field(None, gt=0.0)  # peak; None = 3x lr (one_cycle) / 10x lr (cyclical)
    mode: Literal["triangular", "triangular2", "exp_range"] = "triangular"  # cyclical
    step_size_epochs: float = Field(2.0, gt=0.0)  # cyclical half-cycle
    gamma: float = Field(0.99994, gt=0.0, le=1.0)  # exp_range decay per step


class TrainAugmentConfig(_Section):
    """On-the-fly perturbation of every training batch (fresh draws each epoch; validation, test, padding and
    the saved model untouched); 0 = off (the default: none helped on benchmarks/README.md's real data)."""

    jitter_sigma: float = Field(0.0, ge=0.0)  # additive Gaussian noise, in scaled units; e.g. 0.03
    scale_sigma: float = Field(0.0, ge=0.0)  # per-window, per-channel gain ~ N(1, sigma); e.g. 0.1
    slice_fraction: float = Field(0.0, ge=0.0, lt=0.5)  # crop >= 1 - this of each window, stretch back; e.g. 0.2
    warp_sigma: float = Field(0.0, ge=0.0, lt=1.0)  # smooth time warp: local speed ~ N(1, this); e.g. 0.2


METRIC_NAME = r"auto|(val_)?(loss|accuracy|balanced_accuracy|precision|recall|pr_auc|roc_auc|top\d+_accuracy)"


class TrainConfig(_Section):
    # auto: at least train.min_updates updates within 20-500 epochs (model/budget.py); the log says why
    epochs: int | Auto = "auto"
    batch_size: int | Auto = "auto"
    min_updates: int = Field(2000, ge=1)  # auto budget: at least this many optimiser steps
    # models of seeds seed, seed + 1000, ... with averaged probabilities; auto = 5 where validation cannot rank epochs
    ensemble: int | Auto = "auto"
    optimizer: Literal["adam", "adamw", "rmsprop", "sgd"] = "adam"
    learning_rate: float = Field(1e-3, gt=0.0)
    weight_decay: float | None = Field(None, ge=0.0)  # None: the optimizer's own (adamw 0.004, others none)
    momentum: float = Field(0.9, ge=0.0, lt=1.0)  # sgd
    clipnorm: float | None = Field(None, gt=0.0)
    loss: Literal["crossentropy", "focal"] = "crossentropy"
    focal_alpha: float | None = Field(None, gt=0.0, lt=1.0)  # weight of the positive class
    focal_gamma: float = Field(2.0, ge=0.0)
    label_smoothing: float = Field(0.0, ge=0.0, lt=1.0)
    use_class_weight: bool = True  # use the prepared class weights when resample made them
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    augment: TrainAugmentConfig = Field(default_factory=TrainAugmentConfig)
    early_stopping: EarlyStoppingConfig = Field(default_factory=EarlyStoppingConfig)
    # auto = val_pr_auc / val_balanced_accuracy; under 30 validation windows of a class val_loss, final weights
    monitor: str = "auto"
    monitor_mode: Literal["auto", "min", "max"] = "auto"
    checkpoint: bool = True
    tensorboard: bool = False
    top_k: int = Field(5, ge=1)
    shuffle_buffer: int = Field(10000, ge=1)  # search trials only; runs shuffle fully per epoch
    jit_compile: bool = False
    distribute: Literal["none", "mirrored"] = "none"
    # layers' compute dtype: mixed_float16 for NVIDIA GPUs, mixed_bfloat16 for TPUs / bf16 CPUs (slower elsewhere)
    precision: Literal["float32", "mixed_float16", "mixed_bfloat16"] = "float32"
    verbose: int = Field(1, ge=0, le=2)  # 0 silent, 1 epoch lines (+ every 30 s), 2 + Keras' lines (notebook, report)

    @field_validator("epochs", "batch_size", "ensemble", mode="before")
    @classmethod
    def _auto_int(cls, v: Any, info: Any) -> Any:
        return _auto_or_at_least(v, 1, f"train.{info.field_name}")

    @field_validator("monitor")
    @classmethod
    def _metric(cls, v: str) -> str:
        if not re.fullmatch(METRIC_NAME, v):
            raise ValueError(
                "must be auto, or a metric Keras logs, with val_ for the validation split: loss, accuracy, "
                "precision, recall, pr_auc, roc_auc (two classes), balanced_accuracy, top5_accuracy (more)"
            )
        return v


BaselineKind = Literal["minirocket", "none"]  # non-deep baseline beside every run


class EvaluateConfig(_Section):
    # MiniRocket + a linear classifier on the same windows, same threshold strategy (judge/baseline.py)
    baseline: BaselineKind = "minirocket"
    threshold_strategy: Literal["fixed", "max_f1", "max_fbeta", "recall_at_precision", "precision_at_recall"] = "max_f1"
    threshold: float = Field(0.5, gt=0.0, lt=1.0)  # for fixed
    beta: float = Field(1.0, gt=0.0)  # for max_fbeta
    min_precision: float = Field(0.5, gt=0.0, le=1.0)  # recall_at_precision
    min_recall: float = Field(0.5, gt=0.0, le=1.0)  # precision_at_recall
    bout_min_seconds: float = Field(0.0, ge=0.0)  # drop predicted bouts shorter than this
    bout_merge_gap_seconds: float = Field(0.0, ge=0.0)  # merge predicted bouts closer than this
    timeline_recording: str | None = None  # recording for the timeline plot; None = most missed + false-alarm bouts
    # multi-class with a class of interest: "threshold" (one-vs-rest on it, else argmax of the rest) or "argmax"
    multiclass_decision: Literal["threshold", "argmax"] = "threshold"


class RunSection(_Section):
    name: str | None = None  # optional label appended to the run id
    reports_dir: str = "reports"


class Config(_Section):
    """All parameters of one run."""

    seed: int = Field(42, ge=0, le=2**31 - 1)  # members add 1000 each; numpy takes < 2**32
    run: RunSection = Field(default_factory=RunSection)
    data: DataConfig = Field(default_factory=DataConfig)
    split: SplitConfig = Field(default_factory=SplitConfig)
    windows: WindowsConfig = Field(default_factory=WindowsConfig)
    scale: ScaleConfig = Field(default_factory=ScaleConfig)
    resample: ResampleConfig = Field(default_factory=ResampleConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)
    evaluate: EvaluateConfig = Field(default_factory=EvaluateConfig)

    @model_validator(mode="after")
    def _cross(self) -> Config:
        if self.windows.length_seconds is not None and self.data.sample_rate_hz is None:
            raise ValueError("windows.length_seconds needs data.sample_rate_hz")
        return self

    @property
    def window_length(self) -> int:
        """Window length in timesteps (from `length_seconds` when given; a text's, in characters,
        from `windows.length` alone: it has no sample rate, and the note says the seconds do nothing)."""
        if self.windows.length_seconds is not None and self.data.kind != "text":
            return max(2, int(round(self.windows.length_seconds * self.data.sample_rate_hz)))
        return self.windows.length

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def fingerprint(self, exclude: tuple[str, ...] = ("run",)) -> str:
        """Short hash of the resolved parameters (used to recognise finished sweep runs)."""
        d = {k: v for k, v in self.to_dict().items() if k not in exclude}
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:12]


# ---------------------------------------------------------------------- loading
def _section_paths(model: type[BaseModel], prefix: str = "") -> frozenset[str]:
    """Dotted names of the sections (``train``, ``train.schedule``...): a mapping given to one
    is merged into it, while a mapping-valued setting (``data.class_map``) is replaced."""
    out: set[str] = set()
    for name, field in model.model_fields.items():
        if isinstance(field.annotation, type) and issubclass(field.annotation, _Section):
            out |= {prefix + name} | _section_paths(field.annotation, f"{prefix}{name}.")
    return frozenset(out)


SECTIONS = _section_paths(Config)


def _put(node: dict[str, Any], key: str, value: Any, dotted: str) -> None:
    """``node[key] = value``, except that a mapping given to a section merges into it, key by key."""
    if isinstance(value, dict) and dotted in SECTIONS and isinstance(node.get(key), dict):
        for k, v in value.items():
            _put(node[key], str(k), v, f"{dotted}.{k}")
    else:
        node[key] = value


def _sets(overrides: dict[str, Any], dotted: str) -> bool:
    section, _, key = dotted.rpartition(".")
    return dotted in overrides or (isinstance(overrides.get(section), dict) and key in overrides[section])


def apply_overrides(raw: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``raw`` with dotted overrides (``train.epochs: 2``); ``windows.length`` clears ``length_seconds``.
    A mapping given to a section merges into it (``train={epochs: 5}`` is ``train.epochs=5``, the
    section's other settings kept); a mapping-valued setting (``data.class_map``) is replaced whole."""
    out = copy.deepcopy(raw)
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        node = out
        for i, p in enumerate(parts[:-1]):
            if (nxt := node.get(p)) is None:
                nxt = node[p] = {}
            if not isinstance(nxt, dict):
                raise ConfigError(f"override {dotted}: '{'.'.join(parts[: i + 1])}' is a value, not a section")
            node = nxt
        _put(node, parts[-1], value, dotted)
    if _sets(overrides, "windows.length") and not _sets(overrides, "windows.length_seconds"):
        out["windows"]["length_seconds"] = None  # steps asked for now win over the config's seconds (else ignored)
    return out


def resolve_config(
    raw: dict[str, Any] | None = None,
    overrides: dict[str, Any] | list[str] | None = None,
) -> Config:
    """Validate a raw mapping (plus overrides) into a :class:`Config`, or raise ConfigError."""
    raw = dict(raw or {})
    if isinstance(overrides, list):
        overrides = dict(parse_override(o) for o in overrides)
    merged = apply_overrides(raw, overrides or {})
    try:
        return Config.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(format_errors(exc, merged, Config)) from None


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | list[str] | None = None) -> Config:
    """Read a YAML config (default ``configs/demo.yaml``), apply overrides, validate. An error
    the file alone does not have is the command line's (``--set``), not the file's."""
    shown = path or DEFAULT_CONFIG.relative_to(PROJECT_ROOT)
    raw = read_yaml(path or DEFAULT_CONFIG)
    check_kind(raw, path or DEFAULT_CONFIG, "run")  # a sweep / search file given to run

    def resolve(extra: dict[str, Any] | list[str]) -> Config:
        try:
            return resolve_config(raw, extra)
        except ConfigError as exc:
            raise ConfigError(f"{shown}: {exc}") from None

    return blame_overrides(resolve, overrides or {}, f"--set on the command line (on top of {shown}) is invalid")


def blame_overrides(resolve: Callable[[Any], Config], overrides: dict[str, Any] | list[str], blamed: str) -> Config:
    """``resolve(overrides)``; where the base alone resolves (``resolve({})``), its error is the
    overrides' and reads ``<blamed>: <what is invalid>`` (``--set`` on the command line, a
    notebook's parameters), not the base file's. Without overrides, or when the base is itself
    invalid, the base's own error."""
    try:
        return resolve(overrides)
    except ConfigError as exc:
        if not overrides:
            raise
        resolve({})  # the base's own error, named as before
        detail = str(exc).split("invalid parameters:", 1)[-1].strip()
        detail = detail.split(": ", 1)[-1] if detail == str(exc) else detail  # "<file>: override ..." -> "override ..."
        raise ConfigError(f"{blamed}: {detail}") from None


def resolve_path(p: str | Path, base: Path | None = None) -> Path:
    """Resolve a path from a config.

    Absolute paths stay as they are. A relative path is taken relative to ``base`` when
    given, else to the current directory when something exists there, else to the project
    root -- so ``data/raw/demo`` means the same thing from the CLI, from a papermill kernel
    (whose cwd is a run directory) and from JupyterLab (whose cwd is ``notebooks/``)."""
    p = Path(p).expanduser()
    if p.is_absolute():
        return p
    if base is not None:
        return (base / p).resolve()
    if p.exists():
        return p.resolve()
    return PROJECT_ROOT / p
