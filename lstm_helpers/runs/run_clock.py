"""A run's wall time over all its attempts, and the ``status.json`` heartbeat that keeps it.

A run stopped (Ctrl-C, a kill, a failed stage) and resumed in place keeps its finished stages
and its training's epochs (``train.json``'s fit time counts the epochs before the
interruption too); its ``status.json`` ``seconds`` is on the same basis: every attempt's wall
time, kept as ``elapsed_seconds`` while a run runs (each heartbeat, on a signal, at the end)
and never less than the sum of ``stage_seconds``. A process killed outright (SIGKILL) loses
at most the time since its last heartbeat.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from lstm_helpers.artifacts import read_json_optional, write_json
from lstm_helpers.layout import RunLayout

HEARTBEAT_S = 30.0  # status.json heartbeat while a run is running
STATUS_LOCK = threading.RLock()  # reentrant: a signal handler writes the status too


class RunClock:
    """Wall seconds of the run in ``run_dir``: those of its earlier attempts (``status.json``'s
    ``elapsed_seconds`` of a run continued in place) plus this one's since the clock started.
    Make it before this attempt writes its status."""

    def __init__(self, run_dir: Path):
        st = read_json_optional(RunLayout(Path(run_dir)).status)
        self.before = float(st.get("elapsed_seconds") or 0.0) if st.get("started") else 0.0
        self.t0 = time.perf_counter()

    def elapsed(self) -> float:
        """Seconds so far, every attempt of the run included (rounded to 0.1 s)."""
        return round(self.before + time.perf_counter() - self.t0, 1)

    def record(self, run_dir: Path) -> None:
        """Write :meth:`elapsed` to ``status.json`` as ``elapsed_seconds``, its status unchanged."""
        path = RunLayout(Path(run_dir)).status
        with STATUS_LOCK, contextlib.suppress(OSError):
            data = read_json_optional(path)
            if data:
                write_json(path, data | {"elapsed_seconds": self.elapsed()})

    def total(self, stage_seconds: dict[str, float]) -> float:
        """The run's ``seconds``: :meth:`elapsed`, and at least the sum of its stages' seconds
        (an earlier attempt killed before it could record its time)."""
        return max(self.elapsed(), round(sum(float(s) for s in stage_seconds.values()), 1))


@contextlib.contextmanager
def heartbeat(run_dir: Path, clock: RunClock | None = None) -> Iterator[None]:
    """Refresh ``heartbeat`` (and ``elapsed_seconds`` from ``clock``) in ``status.json`` every
    :data:`HEARTBEAT_S` seconds while the block runs."""
    stop, path = threading.Event(), RunLayout(run_dir).status

    def beat() -> None:
        while not stop.wait(HEARTBEAT_S):
            with STATUS_LOCK, contextlib.suppress(OSError):
                data = read_json_optional(path)
                if data.get("status") == "running":  # never undo a status set meanwhile
                    data["heartbeat"] = dt.datetime.now().isoformat(timespec="seconds")
                    if clock is not None:
                        data["elapsed_seconds"] = clock.elapsed()
                    write_json(path, data)

    thread = threading.Thread(target=beat, name="lstm-workbench-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
