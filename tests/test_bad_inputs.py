"""A corpus of bad inputs: each goes through the real CLI entry (``lstm_helpers.cli.main``), is
refused before any training starts with exit code 2 and a message naming what is wrong, and
leaves nothing written (no run directory, no generated data, the inputs untouched).

Each case is (name, builder, expected exit code, words the message must hold); a builder
writes its bad input under the case's own folder and returns the CLI arguments. The cases
fail at validation, so the whole corpus runs in seconds.
"""

from __future__ import annotations

import json
import os
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from lstm_helpers.cli import main
from lstm_helpers.config import PROJECT_ROOT

CHANNELS = ["ax", "ay"]


def _frame(recs=("r1", "r2", "r3", "r4"), n=80) -> pd.DataFrame:
    """Small valid long-format recordings: 4 recordings of 4 subjects (the fewest that fill train,
    validation and test, with the class of interest in two), two classes."""
    rows = []
    for i, r in enumerate(recs):
        k = np.arange(n)
        rows.append(
            pd.DataFrame(
                {
                    "rec": r,
                    "subject": f"s{i}",
                    "t": k / 10.0,
                    "ax": np.sin(k / 3.0),
                    "ay": np.cos(k / 5.0),
                    "label": np.where(k % 20 < 15, "walk", "play"),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def _config(d: Path, **data: object) -> Path:
    """A valid tiny config whose data section is updated with ``data``; reports go to d/reports."""
    raw = {
        "data": {
            "kind": "recordings",
            "path": str(d / "good.csv"),
            "demo": False,
            "recording_column": "rec",
            "group_column": "subject",
            "time_column": "t",
            "label_column": "label",
            "channels": CHANNELS,
            "sample_rate_hz": 10,
            **data,
        },
        "windows": {"length": 10},
        "model": {"units": [4], "dense_units": [4], "bidirectional": False},
        "train": {"epochs": 1, "verbose": 0},
        "run": {"reports_dir": str(d / "reports")},
    }
    path = d / "cfg.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _csv(d: Path, df: pd.DataFrame, name: str = "bad.csv") -> Path:
    df.to_csv(d / name, index=False)
    return d / name


def _groups(n: int, classes: tuple[str, ...] = ("walk", "play")) -> pd.DataFrame:
    """_frame's recordings with ``n`` subjects (one recording each) and labels cycling through ``classes``."""
    recs = tuple(f"r{i}" for i in range(max(n, 4)))
    df = _frame(recs)
    df["subject"] = "s" + (df["rec"].str[1:].astype(int) % n).astype(str)
    df["label"] = np.array(classes)[(np.arange(len(df)) // 10) % len(classes)]
    return df


def _csv_sep(d: Path, sep: str) -> Path:
    _frame().to_csv(d / "bad.csv", index=False, sep=sep)
    return d / "bad.csv"


def _csv_decimal_comma(d: Path) -> Path:
    _frame().to_csv(d / "bad.csv", index=False, sep=";", decimal=",")
    return d / "bad.csv"


def _run(d: Path, path: Path | str, *extra: str, **data: object) -> list[str]:
    """``run`` with ``data.path`` at ``path`` (and more data keys)."""
    return ["run", "--config", str(_config(d, path=str(path), **data)), *extra]


def _bytes(d: Path, name: str, content: bytes, **data: object) -> list[str]:
    (d / name).write_bytes(content)
    return _run(d, d / name, **data)


def _with(df: pd.DataFrame, column: str, row: int, value: object) -> pd.DataFrame:
    df = df.copy()
    if not isinstance(value, float | int):
        df[column] = df[column].astype(object)
    df.loc[row, column] = value
    return df


def _seq(d: Path, **arrays: object) -> list[str]:
    np.savez(d / "seq.npz", **arrays)
    return _run(d, d / "seq.npz", kind="sequences")


def _ragged(lengths: list[int]) -> np.ndarray:
    """Sequences of these lengths (2 channels) in one object array, as np.array(list, dtype=object) makes them."""
    out = np.empty(len(lengths), dtype=object)
    out[:] = [np.zeros((n, 2)) for n in lengths]
    return out


def _one_at(shape: tuple[int, ...], index: tuple[int, ...], value: float) -> np.ndarray:
    """Ones of ``shape`` with ``value`` at ``index``."""
    a = np.ones(shape)
    a[index] = value
    return a


def _seq_bytes(d: Path, content: bytes) -> list[str]:
    (d / "seq.npz").write_bytes(content)
    return _run(d, d / "seq.npz", kind="sequences")


def _text(d: Path, content: bytes, **data: object) -> list[str]:
    (d / "t.txt").write_bytes(content)
    return _run(d, d / "t.txt", kind="text", **data)


def _good_npz_bytes() -> bytes:
    import io

    buf = io.BytesIO()
    np.savez(buf, X=np.zeros((4, 5, 1)), y=np.array(["a", "b", "a", "b"]))
    return buf.getvalue()


def _fake_run(
    d: Path,
    status: dict | None,
    files: tuple[str, ...] = ("prepared.npz", "prepare.json", "model.keras"),
    params: dict | None = None,
) -> Path:
    """A run directory as the pipeline leaves it (params + status + artifact files), for refusals
    that must happen before any artifact is read."""
    from lstm_helpers.config import load_config

    run = d / "reports" / "r1"
    run.mkdir(parents=True)
    cfg = load_config(_config(d))
    (run / "params.yaml").write_text(yaml.safe_dump(params or cfg.to_dict()))
    if status is not None:
        (run / "status.json").write_text(json.dumps({"fingerprint": cfg.fingerprint(), **status}))
    for name in files:
        (run / name).write_bytes(b"x")
    return run


def _keras_like(config: dict) -> bytes:
    """A zip laid out as Keras writes ``.keras`` files (metadata, config, weights)."""
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        z.writestr("config.json", json.dumps(config))
        z.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n" + bytes(2000))
    return buf.getvalue()


_DENSE = {
    "module": "keras.layers",
    "class_name": "Dense",
    "config": {"units": 2},
    "registered_name": None,
}
_MODEL = {
    "module": "keras",
    "class_name": "Sequential",
    "config": {
        "layers": [
            {
                "module": "keras.layers",
                "class_name": "InputLayer",
                "config": {"batch_shape": [None, 4]},
            },
            _DENSE,
        ]
    },
}


def _keras_file(d: Path, kind: str) -> Path:
    """A ``model.keras`` that is empty, text, a truncated zip, or carries a module injection."""
    run = _fake_run(d, {"status": "finished"}, files=("prepare.json",))
    path = run / "model.keras"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("not a model")
    elif kind == "truncated":
        path.write_bytes(_keras_like(_MODEL)[:300])
    else:  # module injection: a layer that names os.system with a command
        evil = json.loads(json.dumps(_MODEL))
        evil["config"]["layers"][1] = {
            "module": "os",
            "class_name": "system",
            "config": {"command": f"touch {d / 'PWNED'}"},
        }
        path.write_bytes(_keras_like(evil))
    return run


def _predict(d: Path, kind: str) -> list[str]:
    run = _keras_file(d, kind)
    return [
        "predict",
        "--run",
        str(run),
        "--input",
        str(d / "good.csv"),
        "--out",
        str(d / "pred.csv"),
    ]


def _predict_input(d: Path, name: str, content: bytes, status: str = "finished") -> list[str]:
    """``predict`` of a run whose files pass the cheap checks, on a bad ``--input``."""
    run = _fake_run(d, {"status": status}, files=())
    (run / "model.keras").write_bytes(_keras_like(_MODEL))
    (run / "prepare.json").write_text(
        json.dumps(
            {
                "classes": ["play", "walk"],
                "scaler": {"method": "none", "per": "global"},
                "input": {
                    "kind": "real",
                    "data_kind": "recordings",
                    "window_length": 10,
                    "step": 5,
                    "n_channels": 2,
                    "channels": CHANNELS,
                    "sample_rate_hz": 10,
                },
            }
        )
    )
    (run / "metrics.json").write_text("{}")  # evaluated (its threshold: none here, argmax)
    if content:
        (d / name).write_bytes(content)
    return ["predict", "--run", str(run), "--input", str(d / name), "--out", str(d / "pred.csv")]


def _predict_without(d: Path, name: str, status: str = "partial") -> list[str]:
    """``predict`` of a run lacking ``name`` (metrics.json: stage 03 never judged it, so no
    threshold was chosen on validation)."""
    args = _predict_input(d, "new.csv", _frame().to_csv(index=False).encode(), status)
    (Path(args[2]) / name).unlink()
    return args


def _predict_cases(d: Path, name: str, arrays: dict | bytes | None, **data: object) -> list[str]:
    """``predict`` of a run trained on sequences of 5 steps x 2 channels (an .npz by default;
    ``data`` changes its data section, e.g. a one-row-per-sample table or a text run), on a bad
    ``--input``: ``arrays`` saved as an .npz, or raw bytes, or nothing (a missing file)."""
    from lstm_helpers.config import load_config

    args = _predict_input(d, "unused.csv", b"")
    run = Path(args[2])
    cfg = load_config(_config(d, **({"kind": "sequences", "path": str(d / "train.npz")} | data)))
    (run / "params.yaml").write_text(yaml.safe_dump(cfg.to_dict()))
    info = json.loads((run / "prepare.json").read_text())
    info["input"] |= {"data_kind": "sequences", "window_length": 5, "step": None, "masked": True, "mask_value": 0.0}
    (run / "prepare.json").write_text(json.dumps(info))
    if isinstance(arrays, bytes):
        (d / name).write_bytes(arrays)
    elif arrays is not None:
        np.savez(d / name, **arrays)
    args[4] = str(d / name)
    return args


def _as_steps_table_run(d: Path, args: list[str]) -> list[str]:
    """``args`` (a predict command) with its run's data section a table of one row per time step."""
    from lstm_helpers.config import load_config

    cfg = load_config(_config(d, kind="table"))
    (Path(args[2]) / "params.yaml").write_text(yaml.safe_dump(cfg.to_dict()))
    return args


def _as_decimal_comma_run(d: Path, args: list[str]) -> list[str]:
    """``args`` (a predict command) with its run reading ``;``-separated files with decimal commas."""
    from lstm_helpers.config import load_config

    cfg = load_config(_config(d, sep=";", decimal=","))
    (Path(args[2]) / "params.yaml").write_text(yaml.safe_dump(cfg.to_dict()))
    return args


def _wide_cases(drop: str | None = None) -> bytes:
    """Four cases of 5 steps as one row each (``ax_t0`` ... ``ay_t4``), optionally without a channel."""
    df = pd.DataFrame({f"{c}_t{t}": np.arange(4.0) + t for c in CHANNELS for t in range(5) if c != drop})
    return df.to_csv(index=False).encode()


TABLE_RUN = {"kind": "table", "sequence_columns": "{channel}_t{t}", "recording_column": None, "time_column": None}


def _alias_bomb(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [{', '.join(['*' + prev] * 9)}]")
    return "\n".join(lines) + "\n"


@dataclass
class Case:
    name: str
    build: Callable[[Path], list[str]]
    words: tuple[str, ...]
    code: int = 2


BIG = "9" * 100_000


def _cfg_text(d: Path, text: str | bytes) -> list[str]:
    p = d / "c.yaml"
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return ["run", "--config", str(p)]


def _sweep(d: Path, text: str, cmd: str = "sweep") -> list[str]:
    (d / "s.yaml").write_text(text)
    return [cmd, str(d / "s.yaml"), "--out", str(d / "reports" / "sw")]


CASES = [
    # ---- split and loss settings the data rule out: refused before stage 01, not after it or after training
    Case(
        "val_fraction 0 without a predefined validation split",
        lambda d: _run(d, _csv(d, _groups(6)), "--set", "split.val_fraction=0"),
        ("split.val_fraction=0 leaves no validation windows", "set split.val_fraction > 0"),
    ),
    Case(
        "test_fraction 0 without a test path",
        lambda d: _run(d, _csv(d, _groups(6)), "--set", "split.test_fraction=0"),
        ("split.test_fraction=0 leaves no test windows", "set split.test_fraction > 0", "data.test_path"),
    ),
    Case(
        "two groups cannot fill three splits",
        lambda d: _run(d, _csv(d, _groups(2))),
        (
            "bad.csv: 2 subject value(s) cannot fill train, validation and test",
            "3 subject values at least",
            "data.split_column",
            "split.by: recording",
        ),  # fmt: skip
    ),
    Case(
        "focal_alpha on a 3-class task",
        lambda d: _run(
            d,
            _csv(d, _groups(6, ("walk", "play", "rest"))),
            "--set",
            "train.loss=focal",
            "--set",
            "train.focal_alpha=0.25",
        ),  # fmt: skip
        (
            "train.focal_alpha=0.25 is the positive-class weight of a binary task",
            "3 classes",
            "leave train.focal_alpha null",
        ),  # fmt: skip
    ),
    # ---- a train.monitor the task never logs: refused before stage 01 (stage 02 refused it, exit 1)
    Case(
        "monitor top-5 accuracy where top-3 is logged on a text",
        lambda d: [
            *_text(d, b"It is a truth universally acknowledged. " * 40),
            "--set",
            "train.top_k=3",
            "--set",
            "train.monitor=val_top5_accuracy",
        ],  # fmt: skip
        ("train.monitor = 'val_top5_accuracy' is not logged", "val_top3_accuracy"),
    ),
    Case(
        "monitor balanced accuracy on a binary task",
        lambda d: _run(d, d / "good.csv", "--set", "train.monitor=val_balanced_accuracy"),
        ("train.monitor = 'val_balanced_accuracy' is not logged for a 2-class task", "val_pr_auc"),
    ),
    Case(
        "sweep variant monitoring a top-k accuracy above train.top_k",
        lambda d: _sweep(
            d,
            f"base: {_config(d)}\n"  # good.csv, whose headers alone are read: its classes unknown
            "variants:\n  - {name: ok, set: {model.dropout: 0.1}}\n"
            "  - {name: top9, set: {train.monitor: val_top9_accuracy}}\n",
        ),
        ("train.monitor = 'val_top9_accuracy' is not logged for a task of any number of classes", "val_top5"),
    ),
    # ---- configuration files and overrides
    Case(
        "config missing",
        lambda d: ["run", "--config", str(d / "nope.yaml")],
        ("nope.yaml", "does not exist"),
    ),
    Case("config is a list", lambda d: _cfg_text(d, "- 1\n- 2\n"), ("must be a mapping of sections", "holds a list")),
    Case("config invalid yaml", lambda d: _cfg_text(d, "data: [1, 2\n"), ("c.yaml", "not valid YAML")),
    Case(
        "config alias bomb",
        lambda d: _cfg_text(d, _alias_bomb() + "seed: *i\n"),
        ("aliases", "not allowed"),
    ),
    Case("config single alias", lambda d: _cfg_text(d, "seed: &s 3\nx: *s\n"), ("aliases", "line 2")),
    Case("config binary", lambda d: _cfg_text(d, b"\xff\xfe\x00\x01" * 10), ("not UTF-8",)),
    Case(
        "config huge value",
        lambda d: _cfg_text(d, f"train:\n  epochs: x{BIG}\n"),
        ("train.epochs", "characters)"),
    ),
    Case(
        "override huge key",
        lambda d: ["run", "--config", str(_config(d)), "--set", f"train.e{BIG}=1"],
        ("unknown key", "characters)"),
    ),
    Case(
        "csv semicolon-separated",
        lambda d: _run(d, _csv_sep(d, ";")),
        ("looks semicolon-separated (one column whose name holds ';')", "set data.sep: ';'"),
    ),
    Case(
        "csv comma-separated read at semicolons",
        lambda d: _run(d, d / "good.csv", sep=";"),
        ("looks comma-separated", "save it semicolon-separated, or set data.sep: ','"),
    ),
    Case("data.sep not a separator", lambda d: _run(d, d / "good.csv", sep="x"), ("data.sep", "';'")),
    Case(  # a .tsv was an 'unsupported file type'; it is read at data.sep, and a tab is named
        "tsv read at commas",
        lambda d: _run(d, _frame().to_csv(d / "bad.tsv", index=False, sep="\t") or d / "bad.tsv"),
        ("bad.tsv", "looks tab-separated", "set data.sep: '\\t'"),
    ),
    Case(  # a European spreadsheet's export: 0,25;1,5 ('channel column is not numeric' said no more)
        "csv with decimal commas",
        lambda d: _run(d, _csv_decimal_comma(d), sep=";"),
        ("channel column 'ax' is not numeric", "'0,", "decimal comma: set data.decimal: ','"),
    ),
    Case(  # 7.020,07: neither decimal mark reads it
        "csv with thousands separators",
        lambda d: _run(d, _csv(d, _with(_frame(), "ax", 3, "7.020,07")), sep=",", decimal="."),
        ("'ax' is not numeric", "'7.020,07'", "row 5", "thousands separators: save the numbers without them"),
    ),
    Case(  # one file at commas, another at points: the point is named, not 'must hold numbers'
        "csv with decimal points read at decimal commas",
        lambda d: _run(d, d / "good.csv", sep=",", decimal=","),
        ("good.csv", "is not numeric", "written with a decimal point, but data.decimal is ','"),
    ),
    Case(
        "time column in milliseconds",
        lambda d: _run(d, _csv(d, _frame().assign(t=lambda f: f["t"] * 1000))),
        ("look like milliseconds", "divide it by 1000"),
    ),
    Case(  # the file alone is valid: the key came from --set, and the message says so
        "config unknown key",
        lambda d: ["run", "--config", str(_config(d)), "--set", "train.epoch=3"],
        ("--set on the command line (on top of cfg.yaml) is invalid: unknown key 'train.epoch'", "epochs"),
    ),
    Case(  # the file's own mistake stays the file's, --set or not
        "config file unknown key beside a valid --set",
        lambda d: [*_cfg_text(d, "train:\n  epoch: 3\n"), "--set", "train.epochs=2"],
        ("c.yaml: invalid parameters", "unknown key 'train.epoch'"),
    ),
    Case(
        "override syntax",
        lambda d: ["run", "--config", str(_config(d)), "--set", "train.epochs"],
        ("key=value",),
    ),
    Case(
        "override into a value",
        lambda d: ["run", "--config", str(_config(d)), "--set", "windows.length.x=1"],
        ("not a section",),
    ),
    Case(
        "override alias",
        lambda d: ["run", "--config", str(_config(d)), "--set", "data.channels=[&a ax, *a]"],
        ("aliases",),
    ),
    Case(
        "overlap out of range",
        lambda d: ["run", "--config", str(_config(d)), "--set", "windows.overlap_percent=100"],
        ("windows.overlap_percent", "less than 100"),
    ),
    Case(
        "monitor typo",
        lambda d: ["run", "--config", str(_config(d)), "--set", "train.monitor=val_pr_aux"],
        ("train.monitor", "val_pr_aux", "pr_auc"),
    ),
    Case(
        "infinite learning rate",
        lambda d: ["run", "--config", str(_config(d)), "--set", "train.learning_rate=.inf"],
        ("train.learning_rate", "finite number"),
    ),
    Case(
        "seed beyond numpy's range",
        lambda d: ["run", "--config", str(_config(d)), "--set", "seed=4294967296"],
        ("seed", "less than or equal to 2147483647"),
    ),
    Case(
        "unknown encoding",
        lambda d: _run(d, d / "good.csv", encoding="klingon"),
        ("data.encoding", "unknown text encoding"),
    ),
    Case(
        "bad nan_policy",
        lambda d: _run(d, d / "good.csv", nan_policy="ignore"),
        ("data.nan_policy", "interpolate"),
    ),
    Case("sweep alias bomb", lambda d: _sweep(d, _alias_bomb() + "grid: *i\n"), ("aliases",)),
    # a rare class held by one animal: trained or tested, never both (the run reported PR-AUC 0, exit 0)
    Case(
        "class of interest in one subject only",
        lambda d: _run(
            d,
            _csv(
                d,
                _frame().assign(
                    label=lambda f: np.where((f["subject"] != "s1") & (f["label"] == "play"), "walk", f["label"])
                ),
            ),
            "--set",
            "data.classes_of_interest=[play]",
        ),
        ("bad.csv: the class of interest 'play' occurs in one subject value only (s1)", "another subject"),
    ),
    # weights by class name: a name no class has failed stage 01 (exit 1, a failed run left)
    Case(
        "class weight for a class the data lack",
        lambda d: _run(
            d, d / "good.csv", "--set", "resample.method=class_weight", "--set", "resample.class_weight={plya: 5}"
        ),
        ("resample.class_weight: 'plya' (closest: 'play') is not among the classes of", "'play'", "'walk'"),
    ),
    Case(
        "sweep variant weighting a class the class map lacks",
        lambda d: _sweep(
            d,
            f"base: {_config(d)}\n"  # good.csv, whose headers alone are read: the class map names the classes
            "set: {data.class_map: {play: play}, data.other_class: other, resample.method: class_weight}\n"
            "variants:\n  - {name: ok, set: {model.dropout: 0.1}}\n"
            "  - {name: typo, set: {resample.class_weight: {plya: 5}}}\n",
        ),
        ("resample.class_weight: 'plya' (closest: 'play') is not among the classes", "(2): ['other', 'play']"),
    ),
    # story 2's figure written as a percent, where the comparison's columns hold shares
    Case(
        "sweep reference as a percent",
        lambda d: _sweep(
            d, f"base: {_config(d)}\nreferences:\n  - {{name: CNN (earlier notebook), accuracy: 87.85}}\n"
        ),
        ("s.yaml", "references.0.accuracy (entry 'CNN (earlier notebook)')", "outside [0, 1]", "is 0.8785"),
    ),
    Case(
        "compare reference with an unknown figure",
        lambda d: ["compare", str(d), "--reference", "CNN=acc:0.8785", "--out", str(d / "cmp")],
        ("--reference 'CNN=acc:0.8785'", "unknown key 'acc'", "accuracy"),
    ),
    # a file given to the other command: what it looks like and the command that runs it, not an
    # "unknown key" line per key
    Case(
        "sweep file given to run",
        lambda d: _cfg_text(d, f"base: {_config(d)}\ngrid:\n  model.units: [[4], [8]]\nvariants: []\n"),
        ("c.yaml: this looks like a sweep file (base / grid / variants)", "run it with lstm-workbench sweep"),
    ),
    Case(
        "search file given to run",
        lambda d: _cfg_text(d, f"base: {_config(d)}\nspace:\n  model.dropout: [0.0, 0.2]\ntuner: random\n"),
        ("this looks like a search file (space / tuner)", "run it with lstm-workbench search"),
    ),
    Case(  # "variants: Input should be a valid list", without the shape wanted
        "sweep variants as a mapping",
        lambda d: _sweep(d, f"base: {_config(d)}\nvariants: {{a: {{set: {{train.epochs: 1}}}}}}\n"),
        ("variants: must be a list of entries such as '- {name: NAME, set: {KEY: VALUE}}'", "got a mapping (a)"),
    ),
    Case(
        "sweep references as a mapping",
        lambda d: _sweep(d, f"base: {_config(d)}\nreferences: {{CNN: {{accuracy: 0.8785}}}}\n"),
        ("references: must be a list of entries such as '- {name: NAME, accuracy: 0.8785}'", "(CNN)"),
    ),
    Case(
        "run config given to sweep",
        lambda d: _sweep(d, _config(d).read_text()),
        ("s.yaml: this looks like a run config", "run it with lstm-workbench run --config"),
    ),
    Case(
        "search file given to sweep",
        lambda d: _sweep(d, f"base: {_config(d)}\nspace:\n  model.dropout: [0.0, 0.2]\n"),
        ("this looks like a search file", "lstm-workbench search"),
    ),
    Case(
        "sweep file given to search",
        lambda d: _sweep(d, f"base: {_config(d)}\ngrid:\n  model.units: [[4], [8]]\n", "search"),
        ("this looks like a sweep file", "lstm-workbench sweep"),
    ),
    Case(
        "search alias",
        lambda d: _sweep(d, "base: &b configs/demo.yaml\nspace: *b\n", "search"),
        ("aliases",),
    ),
    # ---- the data path
    Case(
        "data path missing",
        lambda d: _run(d, "/no/such/file.csv"),
        ("/no/such/file.csv", "does not exist", "current directory", "nothing was created"),
    ),
    Case(
        "data path typo",
        lambda d: _run(d, d / "god.csv"),
        ("god.csv", "closest existing name", "good.csv"),
    ),
    Case(
        "data path missing, demo on",
        lambda d: _run(d, d / "mine" / "rec.csv", demo=True),
        ("rec.csv", "does not exist"),
    ),
    Case(
        "folder without tables",
        lambda d: (d / "empty").mkdir() or _run(d, d / "empty"),
        ("folder without",),
    ),
    Case(
        "unsupported extension",
        lambda d: _bytes(d, "rec.xlsx", b"PK\x03\x04xx"),
        ("unsupported file type",),
    ),
    # ---- what the file is
    Case("csv empty", lambda d: _bytes(d, "bad.csv", b""), ("bad.csv", "empty (0 bytes)")),
    Case(
        "csv header only",
        lambda d: _bytes(d, "bad.csv", b"rec,subject,t,ax,ay,label\n"),
        ("bad.csv", "header but no data rows"),
    ),
    Case(
        "csv binary",
        lambda d: _bytes(d, "bad.csv", b"rec,t\n\x00\x01\x02" * 50),
        ("bad.csv", "binary"),
    ),
    Case(
        "csv is parquet",
        lambda d: (_frame().to_parquet(d / "bad.csv"), _run(d, d / "bad.csv"))[1],
        ("Parquet file", "not a CSV"),
    ),
    Case("csv is zip", lambda d: _bytes(d, "bad.csv", b"PK\x03\x04" + b"\x00" * 40), ("zip archive",)),
    Case("csv is gzip", lambda d: _bytes(d, "bad.csv", b"\x1f\x8b\x08" + b"\x00" * 40), ("gzip",)),
    Case(
        "csv latin-1",
        lambda d: _bytes(d, "bad.csv", _frame().to_csv(index=False).replace("walk", "wälk").encode("latin-1")),
        ("not valid utf-8", "byte 0xe4", "byte offset", "data.encoding"),
    ),
    Case("csv blank header", lambda d: _bytes(d, "bad.csv", b"\n1,2\n"), ("first line is blank",)),
    Case(
        "csv 2 MB duplicated header",
        lambda d: _bytes(d, "bad.csv", (",".join(["ax"] * 700_000) + "\n1\n").encode()),
        ("duplicated", "'ax' x 700000", "unique name"),
    ),
    Case(
        "parquet truncated",
        lambda d: (
            _frame().to_parquet(d / "p.parquet"),
            (d / "p.parquet").write_bytes((d / "p.parquet").read_bytes()[:200]),
            _run(d, d / "p.parquet"),
        )[2],
        ("p.parquet", "not a readable Parquet"),
    ),
    Case(
        "parquet is text",
        lambda d: _bytes(d, "p.parquet", b"rec,t\n1,2\n"),
        ("p.parquet", "is text", "not a Parquet file"),
    ),
    # ---- columns and values
    Case(
        "missing channel",
        lambda d: _run(d, _csv(d, _frame().drop(columns=["ay"]))),
        ("missing column", "'ay' (data.channels[1])", "columns present"),
    ),
    Case(
        "missing label column",
        lambda d: _run(d, _csv(d, _frame().drop(columns=["label"]))),
        ("'label' (data.label_column)",),
    ),
    Case(
        "missing recording column",
        lambda d: _run(d, _csv(d, _frame().drop(columns=["rec"]))),
        ("'rec' (data.recording_column)",),
    ),
    Case(
        "missing time column",
        lambda d: _run(d, _csv(d, _frame().drop(columns=["t"]))),
        ("'t' (data.time_column)", "set data.time_column: null (rows in order at data.sample_rate_hz)"),
    ),
    Case(
        "non-numeric channel",
        lambda d: _run(d, _csv(d, _with(_frame(), "ax", 5, "oops"))),
        ("'ax' is not numeric", "oops", "row 7 (the header is row 1)"),
    ),
    Case(
        "inf in channel",
        lambda d: _run(d, _csv(d, _with(_frame(), "ay", 7, np.inf))),
        ("bad.csv", "infinite", "column 'ay'", "row 9 (the header is row 1)", "data.nan_policy"),
    ),
    Case(
        "-inf in channel",
        lambda d: _run(d, _csv(d, _with(_frame(), "ax", 90, -np.inf))),
        ("column 'ax'", "row 92", "infinite"),
    ),
    Case(
        "1e300 in channel",
        lambda d: _run(d, _csv(d, _with(_frame(), "ax", 3, 1e300))),
        ("float32", "column 'ax'", "row 5"),
    ),
    Case(
        "inf with nan_policy interpolate",
        lambda d: _run(d, _csv(d, _with(_frame(), "ay", 1, np.inf)), nan_policy="interpolate"),
        ("infinite", "row 3"),
    ),
    Case(
        "inf in a folder file",
        lambda d: (
            (d / "f").mkdir(),
            _csv(d, _frame()[:160], "f/a.csv"),
            _csv(d, _with(_frame()[160:].reset_index(drop=True), "ax", 4, np.inf), "f/b.csv"),
            _run(d, d / "f"),
        )[3],
        ("b.csv", "row 6", "'ax'"),
    ),
    Case(  # named by its file and its row there, not the folder and a row of all files joined
        "nan in a folder file",
        lambda d: (
            (d / "f").mkdir(),
            _csv(d, _frame()[:160], "f/a.csv"),
            _csv(d, _with(_frame()[160:].reset_index(drop=True), "ay", 4, np.nan), "f/b.csv"),
            _run(d, d / "f"),
        )[3],
        ("f/b.csv: 1 row(s) have NaN", "first: row 6 (the header is row 1), column 'ay'"),
    ),
    Case(  # pandas reads 'n/a' as a missing value: the same message, naming the file
        "n/a text in a folder file",
        lambda d: (
            (d / "f").mkdir(),
            _csv(d, _frame()[:160], "f/a.csv"),
            _csv(d, _with(_frame()[160:].reset_index(drop=True), "ax", 6, "n/a"), "f/b.csv"),
            _run(d, d / "f"),
        )[3],
        ("f/b.csv: 1 row(s) have NaN", "n/a", "row 8 (the header is row 1),", "column 'ax'"),
    ),
    Case(
        "nan with policy error",
        lambda d: _run(d, _csv(d, _with(_frame(), "ay", 9, np.nan)), nan_policy="error"),
        ("NaN", "row 11", "data.nan_policy"),
    ),
    Case(  # 'a recording has a channel that is entirely NaN' named neither
        "channel all NaN",
        lambda d: _run(d, _csv(d, _frame().assign(ay=lambda f: f.ay.where(f.rec != "r3"))), nan_policy="interpolate"),
        ("bad.csv: channel 'ay' of recording 'r3' is entirely NaN", "remove the channel from data.channels"),
    ),
    Case(  # failed inside stage 01 (exit 1), leaving a failed run directory
        "all recordings shorter than a window",
        lambda d: _run(d, d / "good.csv", "--set", "windows.length_seconds=60"),
        (
            "good.csv: all 4 recordings are shorter than one window (windows.length_seconds=60: 600 timesteps)",
            "the longest holds 80 timesteps (8 s at 10 Hz)",
            "set a shorter window",
        ),
    ),
    Case(
        "duplicated timestamps",
        lambda d: _run(d, _csv(d, _with(_frame(), "t", 10, 0.9))),
        ("duplicated timestamps", "row 12"),
    ),
    Case("unsorted time", lambda d: _run(d, _csv(d, _with(_frame(), "t", 10, 0.1))), ("unsorted",)),
    Case(
        "non-numeric time",
        lambda d: _run(d, _csv(d, _with(_frame(), "t", 12, "noon"))),
        ("time column", "row 14"),
    ),
    Case(
        "inf time",
        lambda d: _run(d, _csv(d, _with(_frame(), "t", 12, np.inf))),
        ("time column", "infinite"),
    ),
    Case("single class", lambda d: _run(d, _csv(d, _frame().assign(label="walk"))), ("only 1 class",)),
    Case(
        "huge single label",
        lambda d: _run(d, _csv(d, _frame().assign(label="w" * 5_000))),
        ("only 1 class", "characters)"),
    ),
    Case(
        "label not in class map",
        lambda d: _run(d, _csv(d, _frame()), class_map={"play": "play"}),
        ("not covered by data.class_map", "other_class"),
    ),
    Case(
        "class of interest absent",
        lambda d: _run(d, _csv(d, _frame()), classes_of_interest=["run"]),
        ("classes_of_interest",),
    ),
    Case(  # ids reused per file (sessions '1', '2' of each subject): 'appears in more than one file' named neither
        "recording in two files",
        lambda d: (
            (d / "f").mkdir(),
            _csv(d, _frame(recs=("1", "2")), "f/a.csv"),
            _csv(d, _frame(recs=("1", "2")).assign(subject="s7"), "f/b.csv"),
            _run(d, d / "f"),
        )[3],
        (
            "recording '1' (column 'rec') appears in 2 files (a.csv, b.csv) (as are 1 more recording id(s))",
            "make the ids unique, e.g. combine them with the file name or the group",
        ),
    ),
    Case(
        "recording with two groups",
        lambda d: _run(d, _csv(d, _with(_frame(), "subject", 3, "s9"))),
        ("more than one value", "'subject'"),
    ),
    Case(
        "bad split value",
        lambda d: _run(d, _csv(d, _frame().assign(split="holdout")), split_column="split"),
        ("'holdout'", "allowed: train, val"),
    ),
    Case(
        "recording with two splits",
        lambda d: _run(d, _csv(d, _frame().assign(split=["train"] * 10 + ["test"] * 310)), split_column="split"),
        ("recording 'r1' has more than one split in column 'split'",),  # the user's column, not an internal name
    ),
    Case(
        "test path missing",
        lambda d: _run(d, _csv(d, _frame()), test_path=str(d / "tst.csv")),
        ("data.test_path", "does not exist"),
    ),
    Case(
        "test path shares recordings",
        lambda d: _run(d, _csv(d, _frame()), test_path=str(_csv(d, _frame(), "t.csv"))),
        ("recording id(s) 'r1', 'r2', 'r3', 'r4' are also in data.path", "give the test recordings ids of their own"),
    ),  # (numpy reprs were printed: [np.str_('r1'), ...])
    Case(
        "test path unknown class",
        lambda d: _run(
            d,
            _csv(d, _frame()),
            test_path=str(_csv(d, _frame(recs=("x1",)).assign(label="run"), "t.csv")),
        ),
        ("not in the training classes",),
    ),
    # ---- sequences (.npz)
    Case("npz empty", lambda d: _seq_bytes(d, b""), ("seq.npz", "empty", "not an npz")),
    Case("npz garbage", lambda d: _seq_bytes(d, b"hello, not numbers" * 10), ("not an npz",)),
    Case(
        "npz truncated",
        lambda d: _seq_bytes(d, _good_npz_bytes()[:150]),
        ("not a readable npz", "truncated"),
    ),
    Case(
        "npz pickles",
        lambda d: _seq(d, X=np.zeros((2, 3, 1)), y=np.array([{"a": 1}, {"b": 2}], dtype=object)),
        ("contains pickles", "'y'"),
    ),
    Case(  # np.savez of a ragged list of sequences: the format to use, not the labels' unicode hint
        "npz ragged sequences as an object array",
        lambda d: _seq(d, X=_ragged([3, 5, 4, 6]), y=np.array(["a", "b", "a", "b"])),
        ("array 'X' is an object array", "data/README.md", "'values'", "plus 'lengths'", "np.concatenate(seqs)"),
    ),
    Case(
        "npy as npz",
        lambda d: (np.save(d / "a.npy", np.zeros(3)), _seq_bytes(d, (d / "a.npy").read_bytes()))[1],
        ("single .npy array",),
    ),
    Case("npz without y", lambda d: _seq(d, X=np.zeros((2, 3, 1))), ("missing array 'y'",)),
    Case(
        "npz inf",
        lambda d: _seq(
            d,
            X=np.where(np.arange(24).reshape(4, 3, 2) == 7, np.inf, 0.0),
            y=np.array(["a", "b", "a", "b"]),
        ),
        ("infinite", "'X'", "first: case 1, step 0, channel 1, value inf"),
    ),
    Case(  # the flattened real steps' row (2 + 3 + 1 = 6) named an X of cases and steps
        "npz inf in X with lengths",
        lambda d: _seq(
            d, X=_one_at((4, 5, 2), (2, 1, 1), np.inf), lengths=np.array([2, 3, 4, 5]), y=np.array(list("abab"))
        ),
        ("seq.npz", "'X' holds 1 value(s) that are infinite", "first: case 2, step 1, channel 1, value inf"),
    ),
    Case(
        "npz inf in values",
        lambda d: _seq(
            d, values=_one_at((9, 1), (4, 0), -np.inf), lengths=np.array([3, 3, 3]), y=np.array(list("aba"))
        ),
        ("'values' holds 1 value(s) that are infinite", "case 1, step 1, channel 0 (row 4 of 'values')"),
    ),
    Case(
        "npz nan inside a case",
        lambda d: _seq(
            d, X=_one_at((4, 5, 2), (2, 3, 0), np.nan), lengths=np.array([5, 5, 5, 4]), y=np.array(list("abab"))
        ),
        (
            "'X' holds 1 NaN value(s) in 1 case(s); first: case 2, step 3, channel 0",
            "data.nan_policy applies to recordings, not to sequences",
            "fill them in the file",
        ),
    ),
    Case(  # the setting a recording's NaN needs is not the way out for a sequence
        "npz nan under data.nan_policy interpolate",
        lambda d: (
            np.savez(d / "seq.npz", X=_one_at((4, 5, 2), (1, 2, 1), np.nan), y=np.array(list("abab"))),
            _run(d, d / "seq.npz", kind="sequences", nan_policy="interpolate"),
        )[1],
        ("first: case 1, step 2, channel 1", "data.nan_policy applies to recordings, not to sequences"),
    ),
    Case(
        "npz nan padding without lengths",
        lambda d: _seq(
            d,
            X=np.where(np.arange(5)[None, :, None] < np.array([[[2]], [[5]], [[3]], [[4]]]), 1.0, np.nan),
            y=np.array(list("abab")),
        ),
        (
            "'X' holds 6 NaN value(s) in 3 case(s)",
            "first: case 0, step 2",
            "trailing steps NaN in every channel",
            "give 'lengths'",
        ),
    ),
    Case(
        "npz 1e300",
        lambda d: _seq(d, X=np.full((4, 3, 1), 1e300), y=np.array(["a", "b", "a", "b"])),
        ("float32",),
    ),
    Case(
        "npz nan",
        lambda d: _seq(d, X=np.full((4, 3, 1), np.nan), y=np.array(["a", "b", "a", "b"])),
        ("NaN",),
    ),
    Case(
        "npz lengths",
        lambda d: _seq(d, values=np.zeros((5, 1)), lengths=np.array([2, 2]), y=np.array([0, 1])),
        ("sum to len",),
    ),
    Case(
        "npz zero-length case",
        lambda d: _seq(d, values=np.zeros((4, 1)), lengths=np.array([2, 0, 2]), y=np.array([0, 1, 0])),
        ("case 1 has length 0", "'lengths'"),
    ),
    Case(
        "npz one class",
        lambda d: _seq(d, X=np.zeros((4, 3, 1)), y=np.array(["a"] * 4)),
        ("only one class",),
    ),
    Case(
        "npz bad split",
        lambda d: _seq(d, X=np.zeros((4, 3, 1)), y=np.array(["a", "b"] * 2), split=np.array(["x"] * 4)),
        ("'split' must hold",),
    ),
    Case(
        "npz X shape",
        lambda d: _seq(d, X=np.zeros((3, 3, 1)), y=np.array(["a", "b"] * 2)),
        ("'X' must be",),
    ),
    Case(  # X and groups agree on 4 cases: the 3 labels are short, not the groups (they were blamed)
        "npz y shorter than X and groups",
        lambda d: _seq(d, X=np.zeros((4, 3, 1)), y=np.array(["a", "b", "a"]), groups=np.arange(4)),
        ("seq.npz", "'y' holds 3 label(s) but 'X' holds 4 case(s) (and so do 'groups')", "one label per case (4)"),
    ),
    Case(
        "npz y longer than values and lengths",
        lambda d: _seq(
            d,
            values=np.zeros((6, 1)),
            lengths=np.array([3, 3]),
            y=np.array(["a", "b", "a"]),
            split=np.array(["train"] * 2),
        ),
        ("'y' holds 3 label(s) but 'lengths' holds 2 case(s) (and so do 'split')",),
    ),
    # ---- text
    Case(
        "text invalid utf-8",
        lambda d: _text(d, b"abc " * 40 + b"\xff\xfe" + b"xyz" * 40),
        ("not valid utf-8", "byte 0xff", "byte offset 160", "data.encoding"),
    ),
    Case("text binary", lambda d: _text(d, b"\x00\x01\x02" * 100), ("binary",)),
    Case(
        "text utf-16 read as utf-8",
        lambda d: _text(d, ("some plain words " * 20).encode("utf-16")),
        ("t.txt", "binary", "looks like UTF-16 text", "set data.encoding: utf-16"),
    ),
    Case("text empty", lambda d: _text(d, b""), ("empty (0 bytes)",)),
    Case("text too short", lambda d: _text(d, b"short text"), ("only 10 characters", "too short to cut into windows")),
    Case(
        "text shorter than its windows",
        lambda d: _text(d, b"a b c " * 25),
        ("150 characters", "give a text of at least 220"),
    ),
    Case(  # trained and reported 'balanced accuracy 1.000 ... always predicting a'
        "text of one character",
        lambda d: _text(d, b"a" * 8000),
        ("t.txt", "only one class ['a'] in the text", "a classifier needs at least two"),
    ),
    Case(
        "text truncated multibyte",
        lambda d: _text(d, "é".encode() * 80 + b"\xc3"),
        ("byte offset 160",),
    ),
    # ---- run directories are immutable
    Case(
        "out is a file",
        lambda d: (d / "f.txt").write_text("x") and _run(d, _csv(d, _frame()), "--out", str(d / "f.txt")),
        ("is a file",),
    ),
    Case(
        "out holds other files",
        lambda d: (
            (d / "o").mkdir(),
            (d / "o" / "x").write_text("x"),
            _run(d, _csv(d, _frame()), "--out", str(d / "o")),
        )[2],
        ("not a run",),
    ),
    Case(
        "out is a finished run",
        lambda d: _run(d, _csv(d, _frame(), "good.csv"), "--out", str(_fake_run(d, {"status": "finished"}))),
        ("finished run", "never rewritten", "leave out --out"),
    ),
    Case(
        "prepare --out a finished run",
        lambda d: [
            "prepare",
            "--config",
            str(_config(d)),
            "--out",
            str(_fake_run(d, {"status": "finished"})),
        ],
        ("finished run", "never rewritten"),
    ),
    Case(
        "prepare --no-notebook --out a finished run",
        lambda d: [
            "prepare",
            "--no-notebook",
            "--config",
            str(_config(d)),
            "--out",
            str(_fake_run(d, {"status": "finished"})),
        ],
        ("finished run",),
    ),
    Case(
        "out with other parameters",
        lambda d: _run(
            d,
            _csv(d, _frame(), "good.csv"),
            "--out",
            str(_fake_run(d, {"status": "failed", "fingerprint": "abc"})),
        ),
        ("other parameters", "--out"),
    ),
    Case(
        "out is running",
        lambda d: _run(
            d,
            _csv(d, _frame(), "good.csv"),
            "--out",
            str(
                _fake_run(
                    d,
                    {
                        "status": "running",
                        "pid": os.getpid(),
                        "host": __import__("socket").gethostname(),
                    },
                )
            ),
        ),
        ("is running",),
    ),
    Case(
        "train a finished run",
        lambda d: [
            "train",
            "--run",
            str(_fake_run(d, {"status": "finished"})),
            "--set",
            "train.epochs=3",
        ],
        ("finished run", "lstm-workbench run --config", "params.yaml"),
    ),
    Case(
        # a finished run is judged again in a new directory with other evaluate settings only
        "evaluate a finished run with a training setting",
        lambda d: [
            "evaluate",
            "--run",
            str(_fake_run(d, {"status": "finished", "stages_done": ["prepare", "train", "evaluate"]})),
            "--set",
            "train.epochs=3",
        ],
        ("--set train.epochs: stage train of r1 already ran",),
    ),
    Case(
        "evaluate a finished run with nothing to change",
        lambda d: ["evaluate", "--run", str(_fake_run(d, {"status": "finished"}))],
        ("is finished and --set changes none of its settings",),
    ),
    Case(
        "train a running run",
        lambda d: [
            "train",
            "--run",
            str(
                _fake_run(
                    d,
                    {
                        "status": "running",
                        "pid": os.getpid(),
                        "host": __import__("socket").gethostname(),
                    },
                )
            ),
        ],
        ("is running",),
    ),
    Case(
        "train without prepared data",
        lambda d: ["train", "--run", str(_fake_run(d, {"status": "partial"}, files=()))],
        ("lacks",),
    ),
    Case(
        "train with a typo",
        lambda d: [
            "train",
            "--run",
            str(_fake_run(d, {"status": "partial"})),
            "--set",
            "train.epoch=3",
        ],
        ("unknown key 'train.epoch'",),
    ),
    Case(
        "params.yaml alias",
        lambda d: (
            _fake_run(d, {"status": "partial"}),
            (d / "reports" / "r1" / "params.yaml").write_text("seed: &a 1\nx: *a\n"),
            ["train", "--run", str(d / "reports" / "r1")],
        )[2],
        ("aliases",),
    ),
    Case(
        "demo into a non-empty folder",
        lambda d: ["demo", "--out", str(_csv(d, _frame()).parent)],
        ("not an empty folder",),
    ),
    # ---- model files
    Case(
        "model empty",
        lambda d: _predict(d, "empty"),
        ("model.keras", "not a model this workbench saved"),
    ),
    Case(
        "model text",
        lambda d: _predict(d, "text"),
        ("not a model this workbench saved", "not a .keras zip"),
    ),
    Case(
        "model truncated",
        lambda d: _predict(d, "truncated"),
        ("not a model this workbench saved", "truncated"),
    ),
    Case(
        "model module injection",
        lambda d: _predict(d, "inject"),
        ("not a model this workbench saved",),
    ),
    Case(
        "predict on a run never evaluated",
        lambda d: _predict_without(d, "metrics.json"),
        ("not a finished run", "metrics.json is missing", "lstm-workbench evaluate --run reports/r1"),
    ),
    Case(  # a finished run whose metrics.json was removed: evaluate would be refused
        "predict on a finished run without metrics.json",
        lambda d: _predict_without(d, "metrics.json", "finished"),
        ("metrics.json is missing", "make a new run: lstm-workbench run --config reports/r1/params.yaml"),
    ),
    Case(  # x.txt held CSV while its side tables were x.windows.csv and x.bouts.csv
        "predict out not a table file",
        lambda d: [*_predict_input(d, "new.csv", _frame().to_csv(index=False).encode())[:-1], str(d / "x.txt")],
        ("--out", "x.txt", "'.txt' is neither", "x.csv"),
    ),
    Case(  # the advice was "set data.encoding: utf-16", a setting of the finished run predict cannot change
        "predict input in UTF-16",
        lambda d: _predict_input(d, "new.csv", _frame().to_csv(index=False).encode("utf-16")),
        ("new.csv", "looks like UTF-16 text", "pass --encoding utf-16"),
    ),
    Case(  # a UTF-8 file read as utf-16 ended as "internal error: UnicodeError: UTF-16 stream does not start with BOM"
        "predict --encoding utf-16 on a UTF-8 file",
        lambda d: [*_predict_input(d, "new.csv", _frame().to_csv(index=False).encode()), "--encoding", "utf-16"],
        ("new.csv is not valid utf-16 text", "does not start with BOM", "--encoding"),
    ),
    Case(
        "predict --encoding unknown",
        lambda d: [*_predict_input(d, "new.csv", _frame().to_csv(index=False).encode()), "--encoding", "utf-99"],
        ("--encoding", "unknown text encoding 'utf-99'", "latin-1"),
    ),
    Case(  # the header read at commas was one column: 'channels [...] of the run are missing'
        "predict input semicolon-separated",
        lambda d: _predict_input(d, "new.csv", _frame().to_csv(index=False, sep=";").encode()),
        ("looks semicolon-separated (one column whose name holds ';')", "this run reads data.sep ','"),
    ),
    Case(
        "predict input tab-separated .tsv",
        lambda d: _predict_input(d, "new.tsv", _frame().to_csv(index=False, sep="\t").encode()),
        ("new.tsv", "looks tab-separated", "this run reads data.sep ','"),
    ),
    Case(  # predict reads at its run's data.decimal: the way out is the file, not a knob
        "predict input with decimal commas",
        lambda d: _predict_input(d, "new.csv", _frame().to_csv(index=False, decimal=",").encode()),  # "0,25" quoted
        ("is not numeric", "decimal comma, but this run reads decimal points", "save the file with decimal points"),
    ),
    Case(  # a run that reads decimal commas, given points
        "predict input with decimal points for a run at decimal commas",
        lambda d: _as_decimal_comma_run(
            d, _predict_input(d, "new.csv", _frame().to_csv(index=False, sep=";").encode())
        ),
        ("is not numeric", "decimal point, but this run reads decimal commas", "save the file with decimal commas"),
    ),
    Case(  # 'sample rate 0.01 Hz ... resample the input first'
        "predict input time in milliseconds",
        lambda d: _predict_input(d, "new.csv", _frame().assign(t=lambda f: f["t"] * 1000).to_csv(index=False).encode()),
        ("look like milliseconds", "the time column must be in seconds"),
    ),
    Case(
        "predict input missing",
        lambda d: _predict_input(d, "nwe.csv", b""),
        ("--input", "does not exist"),
    ),
    Case(
        "predict input duplicated header",
        lambda d: _predict_input(d, "new.csv", b"ax," * 700_000 + b"\n1\n"),
        ("duplicated", "unique name"),
    ),
    Case(
        "predict input binary",
        lambda d: _predict_input(d, "new.csv", bytes(range(256)) * 4),
        ("binary",),
    ),
    Case(
        "predict input without a channel",
        lambda d: _predict_input(d, "new.csv", _frame().drop(columns=["ay"]).to_csv(index=False).encode()),
        ("channels ['ay']", "missing"),
    ),
    Case(
        "predict input with inf",
        lambda d: _predict_input(d, "new.csv", _with(_frame(), "ax", 2, np.inf).to_csv(index=False).encode()),
        ("infinite", "row 4"),
    ),
    Case(  # predict has no --set: the advice is what its user can do with the run's nan_policy
        "predict input with NaN",
        lambda d: _predict_input(d, "new.csv", _with(_frame(), "ay", 3, np.nan).to_csv(index=False).encode()),
        (
            "new.csv: 1 row(s) have NaN",
            "row 5 (the header is row 1),",
            "this run's data.nan_policy is 'error'",
            "fill the gaps in the file",
        ),
    ),
    # ---- predict with a run trained on sequences: every input check before the model loads
    Case(
        "predict sequences with 3 channels",
        lambda d: _predict_cases(d, "new.npz", {"X": np.zeros((4, 5, 3)), "y": np.array(list("abab"))}),
        ("new.npz", "3 channel(s) per step", "trained on 2", "(n, time, 2)"),
    ),
    Case(
        "predict sequences without values",
        lambda d: _predict_cases(d, "new.npz", {"y": np.array(list("abab"))}),
        ("new.npz", "needs 'X' (n, time, channels) or 'values' + 'lengths'", "present: ['y']"),
    ),
    Case(  # the file has no y: its message said "n = len(y) = 4"
        "predict sequences of one case as a 1-D X",
        lambda d: _predict_cases(d, "new.npz", {"X": np.zeros(4)}),
        ("new.npz: 'X' must be (n, time, channels), n cases and time >= 1 steps each", "X[None, :]", "got shape (4,)"),
    ),
    Case(
        "predict sequences empty file",
        lambda d: _predict_cases(d, "new.npz", b""),
        ("new.npz", "empty (0 bytes)"),
    ),
    Case(
        "predict sequences no cases",
        lambda d: _predict_cases(d, "new.npz", {"X": np.zeros((0, 5, 2))}),
        ("new.npz", "holds no cases"),
    ),
    Case(
        "predict sequences with fewer labels than cases",
        lambda d: _predict_cases(
            d, "new.npz", {"X": np.zeros((4, 5, 2)), "y": np.array(list("aba")), "groups": np.arange(4)}
        ),
        ("new.npz", "'y' holds 3 label(s) but 'X' holds 4 case(s)"),
    ),
    Case(
        "predict sequences with NaN",
        lambda d: _predict_cases(d, "new.npz", {"X": _one_at((4, 5, 2), (3, 2, 1), np.nan)}),
        ("new.npz", "first: case 3, step 2, channel 1", "not to sequences"),
    ),
    Case(
        "predict sequences input missing",
        lambda d: _predict_cases(d, "nwe.npz", None),
        ("--input", "nwe.npz", "does not exist"),
    ),
    Case(
        "predict sample table without a channel",
        lambda d: _predict_cases(d, "new.csv", _wide_cases(drop="ay"), **TABLE_RUN),
        ("new.csv", "no column matches", "'ay'", "ay_t0"),
    ),
    Case(
        "predict sample table empty file",
        lambda d: _predict_cases(d, "new.csv", b"", **TABLE_RUN),
        ("new.csv", "empty (0 bytes)"),
    ),
    Case(
        "predict with a character run",
        lambda d: _predict_cases(d, "new.txt", b"some text", kind="text"),
        ("character run", "lstm-workbench generate --run reports/r1"),
    ),
    Case(  # a run on a table of time steps predicts such tables now; one row per case lacks its channels
        "predict wide cases with a run on a table of time steps",
        lambda d: _as_steps_table_run(d, _predict_input(d, "new.csv", _wide_cases())),
        ("new.csv", "of the run are missing", "columns present: ['ax_t0'"),
    ),
    Case(
        "report on a truncated notebook",
        lambda d: (
            (_fake_run(d, {"status": "interrupted"}) / "02_train.ipynb").write_text('{"cells": [{"cell_type": "co'),
            ["report", "--run", str(d / "reports" / "r1")],
        )[1],
        ("02_train.ipynb", "not a readable notebook"),
    ),
]


def _snapshot(d: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(d)): (p.stat().st_size, p.stat().st_mtime_ns) for p in d.rglob("*")}


def test_corpus_has_at_least_60_cases():
    assert len(CASES) >= 60 and len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_refused_before_work(case: Case, tmp_path: Path, capsys, monkeypatch):
    d = tmp_path
    monkeypatch.chdir(d)
    _csv(d, _frame(), "good.csv")
    argv = case.build(d)
    capsys.readouterr()
    before = _snapshot(d)
    demo_before = sorted((PROJECT_ROOT / "data" / "raw").rglob("*"))
    t0 = time.perf_counter()
    code = main(argv)
    seconds = time.perf_counter() - t0
    err = capsys.readouterr().err
    assert code == case.code, err
    for w in case.words:
        assert w.lower() in err.lower(), f"{w!r} not in: {err[:2000]}"
    assert len(err) < 2000, f"message of {len(err)} characters"
    assert err.count("\n") <= 3 and "Traceback" not in err, err
    assert _snapshot(d) == before, "something was written"
    assert sorted((PROJECT_ROOT / "data" / "raw").rglob("*")) == demo_before
    assert not (d / "PWNED").exists()
    assert seconds < 60, f"took {seconds:.1f} s"  # a hostile input never hangs (a 2 MB header took > 5 min)


@pytest.mark.parametrize("value", [np.nan, np.inf], ids=["nan", "inf"])
def test_predict_never_advises_a_setting_predict_cannot_take(value: float, tmp_path: Path, capsys, monkeypatch):
    """``predict`` reads with the run's data.nan_policy and has no --set: 'set data.nan_policy to
    interpolate or drop' (the advice of run and prepare) cannot be followed there."""
    monkeypatch.chdir(tmp_path)
    _csv(tmp_path, _frame(), "good.csv")
    argv = _predict_input(tmp_path, "new.csv", _with(_frame(), "ax", 5, value).to_csv(index=False).encode())
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: new.csv: ") and "row 7" in err, err  # header row 1, as a spreadsheet
    assert "set data.nan_policy" not in err, err


def test_the_keys_that_tell_a_sweep_from_a_search_are_their_own():
    """file_kinds' marker keys stay keys of the sweep / search specs and never a run config's."""
    from lstm_helpers.config import Config
    from lstm_helpers.experiments.plan import SweepSpec
    from lstm_helpers.experiments.search import SearchSpec
    from lstm_helpers.file_kinds import SEARCH_KEYS, SWEEP_KEYS

    assert set(SWEEP_KEYS) <= set(SweepSpec.model_fields) and set(SEARCH_KEYS) <= set(SearchSpec.model_fields)
    assert not (set(SWEEP_KEYS) | set(SEARCH_KEYS)) & set(Config.model_fields)


def test_too_few_groups_are_told_only_the_ways_out_that_work(tmp_path: Path, capsys, monkeypatch):
    """'0 = no such split' led into a refusal; split.by: recording is advised only where the
    recordings can fill the three splits."""
    monkeypatch.chdir(tmp_path)
    two = _groups(2)
    _csv(tmp_path, two[two["rec"].isin(["r0", "r1"])], "two.csv")  # two subjects, one recording each
    assert main(_run(tmp_path, tmp_path / "two.csv")) == 2
    err = capsys.readouterr().err
    assert "2 subject value(s) cannot fill train, validation and test" in err, err
    assert "split.by" not in err and "0 = no such split" not in err, err
    assert main(_run(tmp_path, _csv(tmp_path, _groups(2)))) == 2  # four recordings of two subjects
    err = capsys.readouterr().err
    assert "or split.by: recording (its 4 recordings split apart)" in err and "0 = no such split" not in err, err
    assert not (tmp_path / "reports").exists()
