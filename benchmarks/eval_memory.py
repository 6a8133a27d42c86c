"""Peak memory and time of the evaluation stage on a character (text) run against text size.

For each size (default 10k / 100k / 1M characters) this prepares a character run on the
first N characters of a text (next-character classification, ~100 classes), trains a
small character LSTM for one epoch on a slice of the training windows (the model only has
to exist; its quality does not matter here), then runs ``run_evaluation`` on the full
validation and test windows **in a fresh subprocess** and records:

* ``seconds``: wall time of ``run_evaluation`` (predict, metrics, artifacts, figures);
* ``rss_before_mb``: resident memory of that process just before evaluation (Python,
  TensorFlow and the package imported);
* ``peak_rss_mb``: the process's peak resident memory (``resource.getrusage``'s
  ``ru_maxrss``), i.e. everything evaluation held at its worst moment plus the above.

    .venv/bin/python benchmarks/eval_memory.py                      # 10k, 100k, 1M characters
    .venv/bin/python benchmarks/eval_memory.py --sizes 300000 --overlap 90
    .venv/bin/python benchmarks/eval_memory.py --text my_book.txt --json /tmp/eval_memory.json

Without ``--text`` the text is built once (benchmarks/results/eval_text.txt) from the
docstrings of the standard library and the installed scientific packages: English prose
with code and punctuation, ~100 distinct characters, available offline.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
DOC_MODULES = (
    "os",
    "re",
    "json",
    "collections",
    "functools",
    "itertools",
    "pathlib",
    "argparse",
    "logging",
    "typing",
    "subprocess",
    "threading",
    "unittest",
    "email",
    "urllib.request",
    "tarfile",
    "zipfile",
    "datetime",
    "decimal",
    "statistics",
    "random",
    "string",
    "textwrap",
    "csv",
    "sqlite3",
    "asyncio",
    "shutil",
    "tempfile",
    "inspect",
    "dataclasses",
    "enum",
    "contextlib",
    "heapq",
    "socket",
    "ssl",
    "hashlib",
    "pickle",
    "difflib",
    "calendar",
    "io",
    "time",
    "multiprocessing",
    "concurrent.futures",
    "smtplib",
    "uuid",
    "ipaddress",
    "html.parser",
    "base64",
    "doctest",
    "pdb",
    "timeit",
    "tracemalloc",
    "warnings",
    "traceback",
    "ast",
    "tokenize",
    "dis",
    "platform",
    "ctypes",
    "glob",
    "configparser",
    "gzip",
    "lzma",
    "zlib",
    "numpy",
    "numpy.linalg",
    "numpy.random",
    "pandas",
    "scipy.stats",
    "scipy.signal",
    "sklearn.metrics",
    "sklearn.linear_model",
    "sklearn.ensemble",
    "matplotlib.pyplot",
)


def build_text(path: Path, min_chars: int) -> Path:
    """Write docstrings (longer than 200 characters, each once) until ``min_chars`` are reached."""
    import importlib

    parts: list[str] = []
    total = 0
    for name in DOC_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        for _, obj in inspect.getmembers(module):
            doc = inspect.getdoc(obj)
            if doc and len(doc) > 200 and doc not in parts:
                parts.append(doc)
                total += len(doc) + 2
        if total >= min_chars:
            break
    if total < min_chars:
        raise SystemExit(f"only {total} characters of docstrings found; pass --text with a longer text")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n\n".join(parts), encoding="utf-8")
    return path


def make_run(text: Path, n_chars: int, overlap: float, train_windows: int, work: Path) -> Path:
    """Prepare a character run on the first ``n_chars`` characters; train 1 epoch on a slice."""
    import yaml

    from lstm_helpers.artifacts import load_npz, save_npz
    from lstm_helpers.config import resolve_config
    from lstm_helpers.data.prepare import run_prepare
    from lstm_helpers.model.training import run_training

    cfg = resolve_config(
        {},
        {
            "data.kind": "text",
            "data.path": str(text),
            "data.demo": False,
            "data.max_chars": n_chars,
            "data.classes_of_interest": [],
            "windows.length": 50,
            "windows.overlap_percent": overlap,
            "model.units": [64],
            "model.bidirectional": False,
            "model.dense_units": [],
            "resample.method": "none",
            "train.epochs": 1,
            "train.verbose": 0,
        },
    )
    run = work / f"chars_{n_chars}_overlap{overlap:g}"
    shutil.rmtree(run, ignore_errors=True)
    run_prepare(cfg, run)
    train_dir = work / "train_slice"
    shutil.rmtree(train_dir, ignore_errors=True)
    train_dir.mkdir(parents=True)
    shutil.copy(run / "prepare.json", train_dir / "prepare.json")
    arrays = load_npz(run / "prepared.npz")
    for key in ("X_train", "y_train", "rec_train", "start_train", "synthetic_train"):
        arrays[key] = arrays[key][:train_windows]
    save_npz(train_dir / "prepared.npz", arrays)
    run_training(cfg, train_dir)
    shutil.copy(train_dir / "model.keras", run / "model.keras")
    (run / "params.yaml").write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    return run


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def evaluate_here(run: Path) -> dict:
    """Run the evaluation stage in this process; called in a fresh subprocess."""
    import keras  # noqa: F401  (TensorFlow's start-up memory belongs to the baseline)

    from lstm_helpers.artifacts import load_npz, open_run, read_json
    from lstm_helpers.judge.evaluation import run_evaluation

    cfg, run = open_run(str(run))
    before = _rss_mb()
    t0 = time.perf_counter()
    run_evaluation(cfg, run)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    arrays = load_npz(run / "prepared.npz")
    return {
        "classes": len(read_json(run / "prepare.json")["classes"]),
        "val_windows": int(len(arrays["y_val"])),
        "test_windows": int(len(arrays["y_test"])),
        "seconds": round(seconds, 2),
        "rss_before_mb": round(before, 1),
        "peak_rss_mb": round(peak, 1),
    }


def _child_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def evaluate_in_subprocess(run: Path, env: dict, max_rss_mb: float) -> dict:
    """Evaluate ``run`` in a fresh process; stop it (and say so) once it holds over ``max_rss_mb``."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "--evaluate", str(run)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen, t0 = 0.0, time.perf_counter()
    while proc.poll() is None:
        seen = max(seen, _child_rss_mb(proc.pid))
        if seen > max_rss_mb:
            proc.kill()
            proc.wait()
            return {
                "stopped": f"over {max_rss_mb:.0f} MB after {time.perf_counter() - t0:.0f} s",
                "peak_rss_mb": round(seen, 1),
            }
        time.sleep(0.2)
    out, err = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"evaluation of {run} failed:\n{err[-3000:]}")
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    p.add_argument("--overlap", type=float, default=50.0, help="windows.overlap_percent (50 = issue 13's run)")
    p.add_argument("--train-windows", type=int, default=2000, help="training windows for the 1-epoch model")
    p.add_argument("--text", type=Path, default=None, help="plain-text file (default: built from docstrings)")
    p.add_argument("--work", type=Path, default=RESULTS / "eval_memory")
    p.add_argument("--max-rss-mb", type=float, default=8000, help="stop an evaluation that grows past this")
    p.add_argument("--json", type=Path, default=None, help="also write the rows here")
    p.add_argument("--evaluate", type=Path, default=None, help=argparse.SUPPRESS)  # subprocess mode
    args = p.parse_args(argv)
    if args.evaluate is not None:
        print(json.dumps(evaluate_here(args.evaluate)))
        return 0
    text = args.text or build_text(RESULTS / "eval_text.txt", max(args.sizes))
    if len(text.read_text(encoding="utf-8")) < max(args.sizes):
        raise SystemExit(f"{text} is shorter than {max(args.sizes)} characters")
    rows = []
    for n in args.sizes:
        run = make_run(text, n, args.overlap, args.train_windows, args.work)
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "Agg"}
        row = {
            "characters": n,
            "overlap_percent": args.overlap,
            **evaluate_in_subprocess(run, env, args.max_rss_mb),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(
        "\n| characters | overlap % | classes | val windows | test windows | evaluate s | RSS before MB "
        "| peak RSS MB |\n|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    for r in rows:
        if "stopped" in r:
            print(
                f"| {r['characters']:,} | {r['overlap_percent']:g} | | | | stopped: {r['stopped']} | "
                f"| > {r['peak_rss_mb']:.0f} |"
            )
            continue
        print(
            f"| {r['characters']:,} | {r['overlap_percent']:g} | {r['classes']} | {r['val_windows']:,} | "
            f"{r['test_windows']:,} | {r['seconds']} | {r['rss_before_mb']:.0f} | {r['peak_rss_mb']:.0f} |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
