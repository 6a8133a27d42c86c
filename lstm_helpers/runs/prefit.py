"""The MiniRocket baseline fitted in a thread of the run's process while stage 02 trains (stage 03
reads it from the baseline cache): :func:`_start_baseline_prefit`, called by
:func:`lstm_helpers.runs.pipeline.run_pipeline`."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from pathlib import Path

from lstm_helpers.config import Config
from lstm_helpers.layout import RunLayout
from lstm_helpers.runs.kernel import StageKernel

_PREFIT_LOCK = threading.Lock()  # one prefit at a time per process (sweep workers are threads)


def _prefit_baseline(
    cfg: Config, run_dir: Path, threads: int | None, claimed: threading.Event, wait: Callable[[], bool] | None = None
) -> None:
    """:func:`lstm_helpers.judge.evaluation.prefit_baseline` with the BLAS threads of the run's
    kernel (a sweep's kernels get ``OMP_NUM_THREADS``): L-BFGS sums in another thread count
    round differently, and the logistic fit moves PR-AUC by ~0.001 on that. MiniRocket is
    imported and warmed up first (:func:`~lstm_helpers.judge.baseline.warm_up`), while stage
    01 still runs. ``wait``: blocks until stage 01's windows are written (True) or stage 01
    ended without them (False: no fit). ``claimed`` is set once the fit has marked its cache
    entry as in progress, or when this ends without one: stage 03 may start then (it waits
    for the marked fit's result). Any error is left for stage 03, which fits the baseline
    itself when no result is cached and reports it."""
    from threadpoolctl import threadpool_limits

    try:
        from lstm_helpers.judge.baseline import warm_up
        from lstm_helpers.judge.evaluation import prefit_baseline

        with contextlib.suppress(Exception):
            warm_up()
        if wait is not None and not wait():
            return
        with _PREFIT_LOCK:  # threadpool_limits sets the process-wide limit when it is created
            limits = threadpool_limits(limits=threads) if threads else contextlib.nullcontext()
            with limits, contextlib.suppress(Exception):
                prefit_baseline(cfg, run_dir, on_claim=claimed.set)
    finally:
        claimed.set()


def _prepared_since(run_dir: Path, since_ns: int, stage_over: threading.Event) -> Callable[[], bool]:
    """A wait for stage 01's output written after ``since_ns``: ``prepare.json`` is written
    last and atomically (after ``prepared.npz``), so once it is newer than the stage's start
    both are complete, whatever an earlier attempt of the run left. False when the stage
    ended without writing it (it failed)."""
    marker = RunLayout(run_dir).prepare_json

    def fresh() -> bool:
        with contextlib.suppress(OSError):
            return marker.stat().st_mtime_ns >= since_ns
        return False

    def wait() -> bool:
        while not fresh():
            if stage_over.wait(0.05):
                return fresh()
        return True

    return wait


def _start_baseline_prefit(
    cfg: Config, run_dir: Path, kernel: StageKernel, stage: str, prepare_over: threading.Event
) -> threading.Event | None:
    """The MiniRocket baseline fitted in a thread of this process while stage 02 trains (it needs only stage
    01's windows; stage 03 reads it from the baseline cache), on the core TensorFlow's import, the train
    step's tracing and the figures leave idle. Started with stage 01 (``stage == "prepare"``), it waits until
    the windows are written and begins while stage 01 draws its figures (``prepare_over``: stage 01 ended).
    Returns the event stage 03 waits for (the fit has claimed its cache entry, or ended): stage 03 predicts,
    scores and draws the model's figures meanwhile and waits for the result last. None without a baseline
    (none, or token ids), or without prepared windows when stage 01 does not run."""
    from lstm_helpers.unused import baseline_applies

    wait = _prepared_since(run_dir, time.time_ns(), prepare_over) if stage == "prepare" else None
    if not baseline_applies(cfg) or (wait is None and not RunLayout(run_dir).prepared.is_file()):
        return None
    omp = (getattr(kernel, "env", None) or {}).get("OMP_NUM_THREADS")
    threads = int(omp) if omp and omp.isdigit() else None
    claimed = threading.Event()
    thread = threading.Thread(
        target=_prefit_baseline, args=(cfg, run_dir, threads, claimed, wait), name="baseline-prefit", daemon=True
    )
    thread.start()
    return claimed
