"""Terminal progress of a sweep: runs finished / failed / running, elapsed time and an ETA
that moves with the clock.

The ETA is written here (no library estimates a queue of runs on a fixed number of slots):
each running run is expected to take the mean duration of the finished ones, so its
remaining time shrinks as it runs; queued runs then fill the slots that free up first. A
run already past the mean is given a small remainder (:data:`OVERDUE_SHARE` of the mean), and
the ETA is then a lower bound, written "over N": taken as ending now, it froze while it ran.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import threading
import time
from typing import Any

from lstm_helpers.runs.terminal import duration, plural

__all__ = ["Progress", "estimate_eta", "format_seconds", "format_values", "plural", "trial_line", "trial_number"]


def format_seconds(seconds: float | None) -> str:
    """Rounded, readable (:func:`lstm_helpers.runs.terminal.duration`); ``?`` for None."""
    return "?" if seconds is None else duration(float(seconds))


OVERDUE_SHARE = 0.1  # what a run past the mean is still expected to take, as a share of the mean


def estimate_eta(mean: float, running_elapsed: list[float], queued: int, slots: int) -> float:
    """Seconds until the last run ends, when every run takes ``mean`` seconds (one already past
    it at least :data:`OVERDUE_SHARE` of ``mean`` more: a lower bound then).

    Parameters
    ----------
    mean : float
        Mean duration of the finished runs.
    running_elapsed : list of float
        How long each running run has been running.
    queued : int
        Runs not started yet.
    slots : int
        Runs that can run at once.
    """
    free = [max(OVERDUE_SHARE * mean, mean - e) for e in running_elapsed]
    free += [0.0] * max(0, slots - len(free))
    heapq.heapify(free)
    end = max(free, default=0.0)
    for _ in range(queued):
        start = heapq.heappop(free)
        heapq.heappush(free, start + mean)
        end = max(end, start + mean)
    return end


class Progress:
    """Runs finished / failed / running and a moving ETA, printed as ``[sweep] ...`` lines."""

    def __init__(
        self,
        total: int,
        workers: int,
        skipped: int,
        enabled: bool = True,
        clock: Any = time.perf_counter,
        resume: str | None = None,
    ):
        self.total, self.workers, self.skipped, self.enabled = (
            total,
            max(1, workers),
            skipped,
            enabled,
        )
        self.resume = resume  # the command that continues an interrupted run: the sweep's own
        self.finished = self.failed = self.interrupted = 0
        self.durations: list[float] = []  # of the finished runs: what a run takes (a failed one ends early)
        self.clock = clock
        self.t0 = clock()
        self.started: dict[str, float] = {}
        self._lock = threading.Lock()

    def start(self, name: str) -> None:
        """A run began (called from the thread that starts it)."""
        with self._lock:
            self.started[name] = self.clock()

    def record(self, name: str, result: dict[str, Any]) -> None:
        """A run ended: count it, learn its duration, print one line and the progress line."""
        with self._lock:
            began = self.started.pop(name, None)
            seconds = result.get("seconds")
            if seconds is None and began is not None:
                seconds = self.clock() - began
            if result["status"] == "finished":
                self.durations.append(float(seconds or 0.0))
        if result["status"] == "finished":
            self.finished += 1
            self.say(f"finished {name} in {format_seconds(seconds)}")
        elif result["status"] == "interrupted":  # killed from outside: resumable, as status.json and runs.csv say
            self.interrupted += 1
            how = f"; resume it (from its last epoch) with the same command: {self.resume}" if self.resume else ""
            self.say(f"interrupted {name}: {result['reason']}{how}")
        else:
            self.failed += 1
            self.say(f"FAILED {name}: {result['reason']}")

    def _running(self) -> list[float]:
        now = self.clock()
        with self._lock:
            return [now - t for t in self.started.values()]

    def _ended(self) -> int:
        return self.finished + self.failed + self.interrupted

    def eta_seconds(self) -> float | None:
        """None until a run has finished (a failed one ends early: no measure of a run's length);
        then :func:`estimate_eta` at this moment."""
        if not self.durations:
            return None
        running = self._running()
        queued = max(0, self.total - self._ended() - len(running))
        return estimate_eta(sum(self.durations) / len(self.durations), running, queued, self.workers)

    def eta_text(self) -> str:
        """``1 min 05 s``; ``over 59 s: 1 running run past the finished runs' mean of 54 s`` (a lower
        bound) while a run takes longer than the mean; ``unknown: ...`` when only such runs are left."""
        eta = self.eta_seconds()
        if eta is None:
            return "after the first run finishes"
        mean = sum(self.durations) / len(self.durations)
        running = self._running()
        overdue = sum(e > mean for e in running)
        if not overdue:
            return format_seconds(eta)
        queued = self.total - self._ended() - len(running)
        if queued <= 0 and overdue == len(running):
            return f"unknown: the running runs take longer than the finished ones' mean of {format_seconds(mean)}"
        return f"over {format_seconds(eta)}: {plural(overdue, 'running run')} past the finished runs' mean of {format_seconds(mean)}"

    def line(self) -> str:
        done = self._ended()
        running = min(self.workers, self.total - done)
        stopped = f", {self.interrupted} interrupted" if self.interrupted else ""
        eta_text = self.eta_text()
        skipped = f" (+{self.skipped} already finished)" if self.skipped else ""
        elapsed = dt.timedelta(seconds=round(self.clock() - self.t0))
        return (
            f"[sweep] {self.finished}/{plural(self.total, 'run')} finished{skipped}, {self.failed} failed{stopped}, "
            f"{running} running; elapsed {elapsed}" + ("" if done >= self.total else f", ETA {eta_text}")
        )

    def say(self, text: str) -> None:
        if self.enabled:
            print(f"[sweep] {text}", flush=True)
            print(self.line(), flush=True)


# ---------------------------------------------------------------------- a search's trials
def trial_number(trial_id: Any, default: int = 0) -> int:
    """A trial's number as the terminal and trials.csv both write it: KerasTuner's id
    (``"00"``, ``"01"``, ...) counted from 1."""
    try:
        return int(trial_id) + 1
    except (TypeError, ValueError):
        return default


def format_values(values: dict[str, Any]) -> str:
    """``model.units [64, 32], train.learning_rate 0.000505, model.bidirectional true``: searched
    values as people read them (and write them in a config)."""
    return ", ".join(
        f"{k} {json.dumps(v) if isinstance(v, list | dict | bool) else f'{v:.3g}' if isinstance(v, float) else v}"
        for k, v in values.items()
    )


def trial_line(
    number: int, total: int | None, values: dict[str, Any], objective: str, score: float | None,
    best: float | None, seconds: float, status: str = "COMPLETED", why: str | None = None,
) -> str:  # fmt: skip
    """``trial 2/8: model.units [32], train.learning_rate 0.00035 -> val_pr_auc 0.792 (best 0.826), 4 s``;
    a diverged trial (``status`` DIVERGED, ``why``) says so and that its score is not ranked.
    Scores at three decimals, as the pages write them."""
    shown = format_values(values)
    head = f"trial {number}/{total}" if total else f"trial {number}"
    if status == "DIVERGED":
        scored = f"{objective} {score:.3f} not ranked" if score is not None else "not ranked"
        return f"{head}: {shown} -> diverged ({why}): {scored}, {format_seconds(seconds)}"
    if score is None or status != "COMPLETED":
        return f"{head}: {shown} -> {status.lower()}, {format_seconds(seconds)}"
    tail = f" (best {best:.3f})" if best is not None else ""
    return f"{head}: {shown} -> {objective} {score:.3f}{tail}, {format_seconds(seconds)}"


def sweep_summary(result: dict[str, Any], shown: Any = str) -> str:
    """The sweep's last lines: ``sweep s-1a2b3c4d: 3 runs finished, 1 failed (see runs.csv for
    the reasons), 1 interrupted (...)`` and where its comparison is (``shown``: a path as the
    terminal writes it). An interrupted run (killed from outside) is said as status.json and
    runs.csv say it, with the command that continues it: this sweep's, run again."""
    before = f" ({result['skipped']} from before)" if result["skipped"] else ""
    failed = f", {result['failed']} failed" + ("; see runs.csv for the reasons" if result["failed"] else "")
    n = result.get("interrupted") or 0
    resume = result.get("resume")
    stopped = (
        f", {n} interrupted (killed from outside; the same command continues {'it' if n == 1 else 'them'}"
        + (f": {resume})" if resume else ")")
        if n
        else ""
    )
    return (
        f"sweep {result['sweep_id']}: {plural(result['done'], 'run')} finished{before}{failed}{stopped}\n"
        f"comparison: {shown(result['comparison_html'])}"
    )
