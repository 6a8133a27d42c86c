"""What reaches the terminal from inside the workbench stays in its own words: no logger
message of the notebook client, no raw Python warning with this package's file and line."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np

from lstm_helpers.config import PROJECT_ROOT, resolve_config

KERNEL_DIED = "Kernel died while waiting for execute reply."


def test_the_notebook_clients_log_stays_off_the_terminal():
    """nbclient logs KERNEL_DIED as an error when a sweep's kernels are killed (Ctrl-C): through
    papermill's logger, which has no handler, Python's last-resort handler printed it once per
    worker before 'interrupted'. A fresh process, as the command line is (pytest's own log
    capture would hide the last-resort handler)."""
    code = (
        "from lstm_helpers.runs.kernel import _register_engine, notebook_client_log\n"
        "_register_engine()\n"
        f"notebook_client_log().error({KERNEL_DIED!r})\n"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert KERNEL_DIED not in out.stderr + out.stdout


def test_the_engine_hands_the_client_the_quiet_log():
    from papermill.engines import papermill_engines

    from lstm_helpers.runs.kernel import ENGINE, _register_engine, notebook_client_log

    _register_engine()
    engine = papermill_engines.get_engine(ENGINE)
    source = Path(sys.modules[engine.__module__].__file__).read_text()
    assert "log=notebook_client_log()" in source and notebook_client_log().handlers


def _sequences_config(tmp_path: Path) -> object:
    rng = np.random.default_rng(0)
    lengths = rng.integers(20, 60, 40)
    np.savez(
        tmp_path / "seq.npz",
        values=rng.normal(size=(int(lengths.sum()), 2)),
        lengths=lengths,
        y=np.array(["a", "b"] * 20),
    )
    return resolve_config({"data": {"kind": "sequences", "path": str(tmp_path / "seq.npz"), "pad_length": 40}})


def test_the_pre_check_says_no_note_stage_01_says_it(tmp_path: Path):
    """With data.pad_length 40 the run's pre-check (before a run directory exists) printed
    '/.../lstm_helpers/data/sequences.py:161: UserWarning: N case(s) longer than data.pad_length=40
    were truncated' and the source line; stage 01's other notes never reach the terminal. Stage
    01 still says it, where its other notes go (notebook, prepare.json, report)."""
    from lstm_helpers.data.recordings import read_dataset
    from lstm_helpers.runs.pipeline import validate_inputs

    cfg = _sequences_config(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        validate_inputs(cfg)
    assert not [w for w in caught if "truncated" in str(w.message)], [str(w.message) for w in caught]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = read_dataset(cfg.data)
    assert any("longer than data.pad_length=40 were truncated" in str(w.message) for w in caught)
    assert any("were truncated" in n for n in s.notes)
