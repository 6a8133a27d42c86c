"""A run's wall time over all its attempts, and the ``status.json`` heartbeat that keeps it.

A run stopped (Ctrl-C, a kill, a failed stage, its kernel's death) and resumed in place keeps its
finished stages and its training's epochs (``train.json``'s fit time counts the epochs before the
interruption too); its ``status.json`` times are on the same basis. ``stage_seconds``: each
stage's wall seconds over every attempt that ran it (a stage stopped and run again counts its
stopped attempts; a finished stage run again starts from 0); ``seconds``: every attempt's wall
time, kept as ``elapsed_seconds`` while a run runs. Both are written together (each heartbeat,
on a signal, on a failure, at the end), so ``seconds`` is never less than the sum of
``stage_seconds``. A process killed outright (SIGKILL) loses at most the time since its last
heartbeat.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lstm_helpers.artifacts import read_json_optional, write_json
from lstm_helpers.layout import RunLayout

HEARTBEAT_S = 30.0  # status.json heartbeat while a run is running
STATUS_LOCK = threading.RLock()  # reentrant: a signal handler writes the status too


class RunClock:
    """Wall seconds of the run in ``run_dir``: those of its earlier attempts (``status.json``'s
    ``elapsed_seconds`` of a run continued in place) plus this one's since the clock started,
    and the same per stage (:meth:`start_stage`, :meth:`end_stage`). Make it before this attempt
    writes its status."""

    def __init__(self, run_dir: Path):
        st = read_json_optional(RunLayout(Path(run_dir)).status)
        earlier = bool(st.get("started"))
        self.before = float(st.get("elapsed_seconds") or 0.0) if earlier else 0.0
        self.t0 = time.perf_counter()
        self.stages = {k: float(v) for k, v in (st.get("stage_seconds") or {}).items()} if earlier else {}
        self.finished = set(st.get("stages_done") or []) if earlier else set()  # by an earlier attempt
        self.current: tuple[str, float] | None = None  # the stage timed and its start: one value, read by the heartbeat

    @property
    def stage(self) -> str | None:
        """The stage timed now, if any."""
        current = self.current
        return current[0] if current else None

    def elapsed(self) -> float:
        """Seconds so far, every attempt of the run included (rounded to 0.1 s)."""
        return round(self.before + time.perf_counter() - self.t0, 1)

    def start_stage(self, stage: str) -> float:
        """Time ``stage`` from now on; return its seconds in earlier attempts, which it goes on
        from (0 for a stage an earlier attempt finished: it is done again from the start)."""
        if stage in self.finished:
            self.stages.pop(stage, None)
        self.current = (stage, time.perf_counter())
        return self.stages.get(stage, 0.0)

    def end_stage(self) -> float:
        """Stop timing the current stage; return its seconds over every attempt."""
        current, self.current = self.current, None
        if current is None:
            return 0.0
        self.stages[current[0]] = seconds = round(
            self.stages.get(current[0], 0.0) + time.perf_counter() - current[1], 1
        )
        return seconds

    def stage_seconds(self) -> dict[str, float]:
        """Each stage's seconds over every attempt, the one under way up to now (rounded to 0.1 s)."""
        out, current = dict(self.stages), self.current
        if current is not None:
            out[current[0]] = out.get(current[0], 0.0) + time.perf_counter() - current[1]
        return {k: round(v, 1) for k, v in out.items()}

    def fields(self) -> dict[str, Any]:
        """``elapsed_seconds`` (at least the sum of the stages' seconds: an earlier attempt killed
        before it recorded its time) and ``stage_seconds`` for ``status.json``, read at one moment."""
        stages = self.stage_seconds()
        return {"elapsed_seconds": max(self.elapsed(), round(sum(stages.values()), 1)), "stage_seconds": stages}

    def record(self, run_dir: Path) -> None:
        """Write :meth:`fields` to ``status.json``, its status unchanged."""
        path = RunLayout(Path(run_dir)).status
        with STATUS_LOCK, contextlib.suppress(OSError):
            data = read_json_optional(path)
            if data:
                write_json(path, data | self.fields())


@contextlib.contextmanager
def heartbeat(run_dir: Path, clock: RunClock | None = None) -> Iterator[None]:
    """Refresh ``heartbeat`` (and :meth:`RunClock.fields` from ``clock``) in ``status.json`` every
    :data:`HEARTBEAT_S` seconds while the block runs."""
    stop, path = threading.Event(), RunLayout(run_dir).status

    def beat() -> None:
        while not stop.wait(HEARTBEAT_S):
            with STATUS_LOCK, contextlib.suppress(OSError):
                data = read_json_optional(path)
                if data.get("status") == "running":  # never undo a status set meanwhile
                    data["heartbeat"] = dt.datetime.now().isoformat(timespec="seconds")
                    if clock is not None:
                        data |= clock.fields()
                    write_json(path, data)

    thread = threading.Thread(target=beat, name="lstm-workbench-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
