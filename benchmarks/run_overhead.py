"""Per-run overhead (issue 12): an empty stage, a stage that only imports the package, one
whole 1-epoch demo run and a 4-run 1-epoch demo sweep on 2 workers, wall clock.

- ``empty stage, cold``: start a quiet kernel and run a notebook with one ``pass`` cell
  through papermill (what every stage paid before one kernel per run);
- ``empty stage, warm``: the same notebook again in the same kernel (what the 2nd and 3rd
  stage of a run, and every stage of a warm sweep worker's later runs, pay now);
- ``import stage, cold`` / ``warm``: the same with ``from lstm_helpers.model import training``
  (TensorFlow + Keras imported);
- ``demo run``: ``lstm-workbench run --config configs/demo.yaml --set train.epochs=1 --quiet``;
- ``sweep``: ``lstm-workbench sweep benchmarks/sweep_demo_1epoch.yaml --workers 2``.

Every row prints the 1-minute load average when it ended (the machine's other work
shows there). The warm rows need :class:`lstm_helpers.runs.kernel.StageKernel`; on a
checkout without it only the cold rows are measured, so the same script times before and
after.

    python benchmarks/run_overhead.py              # all of it
    python benchmarks/run_overhead.py --no-sweep --no-run
    python benchmarks/run_overhead.py --no-stage --set evaluate.baseline=none   # without the MiniRocket baseline
    python benchmarks/run_overhead.py --breakdown reports/<run>   # where a finished run's time went

After the demo run (and with ``--breakdown RUN``) it prints where the run's time went: each
stage notebook's cells that took over 0.3 s (papermill's ``metadata.papermill.duration``),
the first epoch and its tracing (``timing.csv``) and the baseline fit (``metrics.json``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
IMPORT_CELL = "from lstm_helpers.model import training"


def _notebook(path: Path, source: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(source),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _cold(nb: Path, tmp: Path) -> float:
    """A fresh quiet kernel for one notebook, as ``execute_stage`` did before one kernel per run."""
    import papermill as pm

    from lstm_helpers.runs.kernel import quiet_kernel_kwargs
    from lstm_helpers.runs.pipeline import kernel_name

    t0 = time.perf_counter()
    pm.execute_notebook(
        str(nb),
        str(tmp / "out.ipynb"),
        parameters={"x": 2},
        kernel_name=kernel_name(),
        cwd=str(tmp),
        progress_bar=False,
        **quiet_kernel_kwargs(tmp),
    )
    return time.perf_counter() - t0


def _cold_and_warm(nb: Path, tmp: Path) -> tuple[float, float]:
    """(first notebook in a new StageKernel incl. its start, the same notebook again in it)."""
    from lstm_helpers.runs.kernel import StageKernel
    from lstm_helpers.runs.pipeline import kernel_name

    t0 = time.perf_counter()
    with StageKernel(kernel_name(), log_dir=tmp) as kernel:
        kernel.execute(nb, tmp / "out.ipynb", {"x": 2}, cwd=tmp)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        kernel.execute(nb, tmp / "out.ipynb", {"x": 3}, cwd=tmp)
        return cold, time.perf_counter() - t0


def stage_times(tmp: Path) -> list[tuple[str, float, float]]:
    try:
        from lstm_helpers.runs.kernel import StageKernel  # noqa: F401 - only: is it there?
    except ImportError:
        warm = False
    else:
        warm = True
    rows = []
    for label, source in (("empty", "pass"), ("import", IMPORT_CELL)):
        nb = _notebook(tmp / f"{label}.ipynb", source)
        if warm:
            cold_s, warm_s = _cold_and_warm(nb, tmp)
            rows.append((f"{label} stage, cold (kernel start + notebook)", cold_s, os.getloadavg()[0]))
            rows.append((f"{label} stage, warm (same kernel again)", warm_s, os.getloadavg()[0]))
        else:
            rows.append((f"{label} stage, cold (kernel start + notebook)", _cold(nb, tmp), os.getloadavg()[0]))
    return rows


def breakdown(run: Path, min_seconds: float = 0.3) -> list[str]:
    """Lines saying where a finished run's time went (cell durations, first epoch, baseline)."""
    import json

    lines = []
    for nb_path in sorted(run.glob("0*.ipynb")):
        cells = [c for c in nbformat.read(nb_path, as_version=4).cells if c.cell_type == "code"]
        durations = [(c.metadata.get("papermill", {}).get("duration") or 0.0, c.source) for c in cells]
        lines.append(f"{nb_path.name}: {sum(d for d, _ in durations):.1f} s in cells")
        for d, source in durations:
            if d > min_seconds:
                lines.append(f"    {d:6.2f} s  {' | '.join(source.splitlines())[:90]}")
    timing = run / "timing.csv"
    if timing.is_file():
        first = timing.read_text().splitlines()[1].split(",")
        lines.append(
            f"first epoch {float(first[1]):.1f} s (train {float(first[2]):.1f} s incl. tracing, val {float(first[3]):.1f} s)"
        )
    metrics = run / "metrics.json"
    if metrics.is_file():
        b = json.loads(metrics.read_text()).get("baseline") or {}
        if b.get("available"):
            lines.append(
                f"baseline fit {b['fit_seconds']:.1f} s{' (fitted beside stage 02 or by an identical run)' if b.get('cached') else ''}; "
                f"PR-AUC test {b['pr_auc']:.4f}, validation {b['val']['pr_auc']:.4f}"
            )
    return lines


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-stage", action="store_true", help="skip the empty / import stage rows")
    parser.add_argument("--no-run", action="store_true", help="skip the 1-epoch demo run")
    parser.add_argument("--no-sweep", action="store_true", help="skip the 4-run sweep")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override for the demo run and every sweep run (e.g. evaluate.baseline=none)",
    )
    parser.add_argument("--keep-run", type=Path, help="write the demo run here and keep it (for inference_path.py)")
    parser.add_argument("--breakdown", type=Path, metavar="RUN", help="only print where RUN's time went")
    args = parser.parse_args(argv)
    if args.breakdown:
        print("\n".join(breakdown(args.breakdown)))
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    cli = str(Path(sys.executable).with_name("lstm-workbench"))
    tmp = Path(tempfile.mkdtemp(prefix="overhead-"))
    rows: list[tuple[str, float, float]] = []
    sets = [a for kv in args.set for a in ("--set", kv)]
    label = "".join(f", {kv}" for kv in args.set)
    print(f"load at start: {os.getloadavg()[0]:.2f}", flush=True)
    try:
        if not args.no_stage:
            rows += stage_times(tmp)
        if not args.no_run:
            run = [
                cli,
                "run",
                "--config",
                "configs/demo.yaml",
                "--set",
                "train.epochs=1",
                "--out",
                str(args.keep_run.resolve() if args.keep_run else tmp / "run"),
                "--quiet",
                *sets,
            ]
            rows.append((f"demo run, 1 epoch{label}", timed(run), os.getloadavg()[0]))
            print("\n".join(breakdown(Path(run[run.index("--out") + 1]))), flush=True)
        if not args.no_sweep:
            sweep = [cli, "sweep", "benchmarks/sweep_demo_1epoch.yaml", "--workers", "2", "--out", str(tmp / "sweep")]
            rows.append((f"4-run 1-epoch demo sweep, 2 workers{label}", timed([*sweep, *sets]), os.getloadavg()[0]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("| what | seconds | load (1 min) at its end |\n|---|---:|---:|")
    for label, seconds, load in rows:
        print(f"| {label} | {seconds:.1f} | {load:.2f} |")


if __name__ == "__main__":
    main()
