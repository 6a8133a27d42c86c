"""Sweeps: grid expansion and validation, resume bookkeeping, comparison table, and real tiny
sweeps (2 local workers, a Dask LocalCluster) that train real models."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import TINY

from lstm_helpers.artifacts import write_json, write_yaml
from lstm_helpers.config import ConfigError
from lstm_helpers.experiments import compare, dask_runs, display, plan, resume, runner, tasks
from lstm_helpers.experiments.columns import TIME_COLUMNS
from lstm_helpers.layout import SweepLayout

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "configs" / "demo.yaml"
TINY_SET = dict(TINY)


HEADER = "recording_id,animal_id,time_s,behaviour,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z\n"


def write_sweep(path: Path, data_dir: Path | str, placeholder_data: bool = True, **spec) -> Path:
    """A sweep file over the demo config on ``data_dir``. Where ``data_dir`` does not exist it
    gets a placeholder recordings file (``placeholder_data``): one recording of 256 rows, enough
    for the sweep's input check (headers; a window fits), while the fake runs below never read data."""
    if placeholder_data and not Path(data_dir).exists():
        Path(data_dir).mkdir(parents=True)
        rows = "".join(f"r1,a1,{k / 25:.2f},rest,0,0,0,0,0,0\n" for k in range(256))
        (Path(data_dir) / "r.csv").write_text(HEADER + rows)
    body = {"base": str(DEMO), **spec}
    body["set"] = {**TINY_SET, **spec.get("set", {}), "data.path": str(data_dir)}
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


def dir_hashes(d: Path) -> dict[str, str]:
    return {
        str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.rglob("*")) if p.is_file()
    }


# ============================================================================ planning
def test_plan_expands_variants_grid_and_seeds(tmp_path):
    f = write_sweep(
        tmp_path / "s.yaml",
        tmp_path / "data",
        grid={"windows.overlap_percent": [0, 50], "resample.method": ["class_weight", "smote"]},
        variants=[
            {"name": "before", "set": {"model.units": [16, 8]}},
            {"name": "after", "set": {"model.units": [8]}},
        ],
        seeds=[1, 2],
    )
    sweep = plan.plan_sweep(f)
    assert len(sweep.runs) == 2 * 2 * 2 * 2
    assert len({r.fingerprint for r in sweep.runs}) == 16 and len({r.name for r in sweep.runs}) == 16
    first = sweep.runs[0]
    assert first.variant == "before" and first.seed == 1
    assert first.values == {"windows.overlap_percent": 0, "resample.method": "class_weight"}
    assert first.config.model.units == [16, 8] and first.config.seed == 1
    assert first.config.windows.length == 24 and first.config.train.epochs == 1  # set applied
    # story-4 naming: model name, variant, swept values, seed, fingerprint
    assert first.name.startswith("lstm_lay2_sz16-8_d8_before_overlap_percent-0_method-class_weight_seed1_")
    assert first.name.endswith(first.fingerprint) and first.config.run.name == first.name
    assert sweep.keys == ["windows.overlap_percent", "resample.method"]


def test_the_first_run_of_each_shared_split_prefits_the_baseline(tmp_path):
    """A sweep over model parameters on one split: its first run fits MiniRocket beside its
    training (the others read that fit); runs on splits of their own fit at stage 03."""
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"model.units": [[8], [16]]}, seeds=[1, 2])
    runs = plan.plan_sweep(f).runs
    first_of_seed = {r.seed: r.name for r in reversed(runs)}
    assert runner.shared_fit_leaders(runs) == set(first_of_seed.values()) and len(first_of_seed) == 2
    seeds_only = plan.plan_sweep(write_sweep(tmp_path / "t.yaml", tmp_path / "data", seeds=[1, 2, 3])).runs
    assert runner.shared_fit_leaders(seeds_only) == set()  # every split its own: no early fit
    f = write_sweep(
        tmp_path / "u.yaml", tmp_path / "data", grid={"model.units": [[8], [16]]}, set={"evaluate.baseline": "none"}
    )
    assert runner.shared_fit_leaders(plan.plan_sweep(f).runs) == set()


def test_sweep_id_is_stable_and_follows_the_run_list(tmp_path):
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"windows.overlap_percent": [0, 50]})
    a, b = plan.plan_sweep(f), plan.plan_sweep(f)
    assert a.sweep_id == b.sweep_id and a.sweep_id.startswith("s-")
    assert plan.plan_sweep(f, ["train.epochs=2"]).sweep_id != a.sweep_id
    f2 = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"windows.overlap_percent": [0, 25]})
    assert plan.plan_sweep(f2).sweep_id != a.sweep_id


def test_seeds_default_to_the_config_seed_and_base_is_relative(tmp_path):
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "run.yaml").write_text(yaml.safe_dump({"seed": 7, "data": {"demo": False}}))
    (tmp_path / "cfg" / "sweep.yaml").write_text(yaml.safe_dump({"base": "run.yaml", "grid": {"train.epochs": [1, 2]}}))
    sweep = plan.plan_sweep(tmp_path / "cfg" / "sweep.yaml")
    assert [r.seed for r in sweep.runs] == [7, 7] and [r.config.train.epochs for r in sweep.runs] == [1, 2]


def test_runs_that_differ_only_in_settings_they_do_not_use_are_planned_once(tmp_path):
    """Story 1's grid resample.method x imbalance_factor x focal_gamma trained the class-weight
    runs twice over (class weights have no imbalance factor; gamma is the focal loss's), ranked
    the identical pairs as separate configurations and pooled them in the per-parameter panels."""
    from lstm_helpers.unused import effective_fingerprint, idle_settings

    grid = {"resample.method": ["class_weight", "smote"], "resample.imbalance_factor": [2, 5]}
    focal = plan.plan_sweep(write_sweep(tmp_path / "a.yaml", tmp_path / "d", grid=grid, set={"train.loss": "focal"}))
    assert [(r.values["resample.method"], r.values["resample.imbalance_factor"]) for r in focal.runs] == [
        ("class_weight", 2),
        ("smote", 2),
        ("smote", 5),
    ]
    assert focal.notes == [
        "1 planned run left out: each repeats a kept run but for settings it does not use "
        "(resample.imbalance_factor unused under resample.method class_weight)"
    ]
    gamma = plan.plan_sweep(write_sweep(tmp_path / "b.yaml", tmp_path / "d", grid={"train.focal_gamma": [0, 2]}))
    assert len(gamma.runs) == 1 and "train.focal_gamma unused under train.loss crossentropy" in gamma.notes[0]
    kept = plan.plan_sweep(
        write_sweep(tmp_path / "c.yaml", tmp_path / "d", grid={"train.learning_rate": [0.001, 0.002]})
    )
    assert len(kept.runs) == 2 and kept.notes == []
    cfg = focal.runs[0].config
    assert idle_settings(cfg)["train.momentum"] == "train.optimizer adam" and "train.focal_gamma" not in idle_settings(
        cfg
    )
    assert effective_fingerprint(cfg) != cfg.fingerprint()


def test_runs_that_differ_only_in_keys_their_data_kind_never_reads_are_planned_once(tmp_path):
    """A sequence file has no windows and no text: a grid windows.overlap_percent x
    model.embedding_dim on it planned four runs that trained the same model four times (three
    identical histories, names differing by their hash alone); the data kind's unread keys
    (what the report leaves out) count as unused as idle settings do."""
    from lstm_helpers.data.examples import write_example_sequences

    write_example_sequences(tmp_path / "seq.npz", n=60)
    grid = {"windows.overlap_percent": [0, 50], "model.embedding_dim": [16, 64]}
    base = {"data.kind": "sequences", "data.pad_length": 60}
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "seq.npz", placeholder_data=False, grid=grid, set=base)
    sweep = plan.plan_sweep(f)
    assert len(sweep.runs) == 1, [r.name for r in sweep.runs]
    assert sweep.notes == [
        "3 planned runs left out: each repeats a kept run but for settings it does not use "
        "(windows.overlap_percent unused under data.kind sequences, which never reads it; "
        "model.embedding_dim unused under data.kind sequences, which never reads it)"
    ]
    read = write_sweep(
        tmp_path / "t.yaml", tmp_path / "seq.npz", placeholder_data=False, grid={"model.dropout": [0.1, 0.2]}, set=base
    )
    assert len(plan.plan_sweep(read).runs) == 2  # a key the sequences read still makes runs of its own


def test_a_data_path_relative_to_where_the_sweep_runs_is_planned_absolute(tmp_path, monkeypatch):
    # the stages run with the run directory as their current directory, and a finished run is
    # recognised by the fingerprint of its planned parameters: both see the anchored path
    (tmp_path / "recordings").mkdir()
    (tmp_path / "sweep.yaml").write_text(
        yaml.safe_dump({"set": {"data.path": "recordings", "data.demo": False}, "grid": {"train.epochs": [1, 2]}})
    )
    monkeypatch.chdir(tmp_path)
    sweep = plan.plan_sweep(tmp_path / "sweep.yaml")
    assert {r.config.data.path for r in sweep.runs} == {str((tmp_path / "recordings").resolve())}


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"grids": {"train.epochs": [1]}}, "unknown key 'grids'"),
        ({"grid": {"train.epochs": []}}, "lists no values"),
        ({"grid": {"train.epochs": 3}}, "grid.train.epochs"),
        ({"seeds": [1, 1]}, "seeds"),
        ({"variants": [{"name": "a"}, {"name": "a"}]}, "unique"),
        ({"variants": [{"name": "a", "sett": {}}]}, "variants.0.sett"),
        ({"base": "missing.yaml"}, "missing.yaml"),
    ],
)
def test_malformed_sweep_files_are_refused(tmp_path, spec, message):
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", **spec)
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        plan.plan_sweep(f)


def test_pools_that_shrink_a_window_to_nothing_are_refused_when_the_sweep_is_planned(tmp_path):
    """They failed each run in stage 02, after its data were prepared."""
    blocks = [{"filters": 4, "kernel_size": 3, "pool": 8}, {"filters": 4, "kernel_size": 3, "pool": 8}]
    grid = {"windows.length": [32, 128], "model.conv": [blocks]}
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid=grid)
    with pytest.raises(  # named as a run names it: the window setting, the pools, the length that fits
        ConfigError, match=r"windows.length=32.*windows.length = 32 timesteps is too short.*8 x 8 = 64.*>= 64"
    ):
        plan.plan_sweep(f)
    ok = write_sweep(
        tmp_path / "ok.yaml", tmp_path / "data", grid={"windows.length": [64, 128], "model.conv": [blocks]}
    )
    assert len(plan.plan_sweep(ok).runs) == 2  # 64 // (8 x 8) = 1 step: allowed


def test_a_bad_command_line_override_is_blamed_on_the_command_line(tmp_path):
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data")
    with pytest.raises(ConfigError, match="command-line --set: invalid parameters") as err:
        plan.plan_sweep(f, ["train.epoch=2"])
    assert "unknown key 'train.epoch'" in str(err.value)


def test_invalid_grid_key_is_refused_before_any_run_starts(tmp_path):
    f = write_sweep(
        tmp_path / "s.yaml",
        tmp_path / "data",
        grid={"windows.overlap_percent": [0, 50], "model.unitz": [[8], [16]]},
    )
    out = tmp_path / "sweep"
    with pytest.raises(ConfigError, match="model.unitz") as err:
        runner.run_sweep(f, workers=2, out=out)
    assert "grid key 'model.unitz'" in str(err.value)
    assert not out.exists()  # no sweep directory, no run directory


def test_cli_refuses_an_invalid_sweep_with_exit_code_2(tmp_path, capsys):
    from lstm_helpers.cli import main

    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"model.unitz": [[8]]})
    assert main(["sweep", str(f), "--workers", "2", "--out", str(tmp_path / "o")]) == 2
    assert "grid key 'model.unitz'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_invalid_grid_value_and_cross_key_combination_name_the_culprit(tmp_path):
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"windows.overlap_percent": [50, 100]})
    with pytest.raises(ConfigError, match=r"grid key 'windows.overlap_percent' value 100"):
        plan.plan_sweep(f)
    # each value valid alone, the combination not (dropout list of 2 for a 1-layer model)
    f = write_sweep(
        tmp_path / "s.yaml",
        tmp_path / "data",
        set={**TINY_SET, "model.units": [8, 8]},
        grid={"model.units": [[8], [8, 8]], "model.dropout": [[0.1, 0.1]]},
    )
    with pytest.raises(ConfigError, match=r"run \(model.units=\[8\], model.dropout=\[0.1, 0.1\]"):
        plan.plan_sweep(f)


def test_a_grid_value_invalid_on_the_base_alone_is_kept_where_its_combinations_are_valid(tmp_path):
    """units [8] is invalid beside the base's dropout list of two, valid beside each swept single
    dropout: every run of the grid is valid, so the sweep plans them all (it refused the value)."""
    base = {**TINY_SET, "model.units": [16, 8], "model.dropout": [0.2, 0.1]}
    f = write_sweep(
        tmp_path / "s.yaml",
        tmp_path / "data",
        set=base,
        grid={"model.units": [[8], [16, 8]], "model.dropout": [0.1, 0.2]},
    )
    runs = plan.plan_sweep(f).runs
    assert [(r.config.model.units, r.config.model.dropout) for r in runs] == [
        ([8], 0.1), ([8], 0.2), ([16, 8], 0.1), ([16, 8], 0.2)
    ]  # fmt: skip
    # one invalid combination in the grid: refused, naming the combination (not the value alone)
    grid = {"model.units": [[8], [16, 8]], "model.dropout": [0.1, [0.2, 0.3]]}
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", set=base, grid=grid)
    with pytest.raises(ConfigError, match=r"run \(model.units=\[8\], model.dropout=\[0.2, 0.3\], seed=") as err:
        plan.plan_sweep(f)
    assert "grid key" not in str(err.value)
    # a value no combination makes valid is still named as the grid's key and value
    grid = {"model.units": [[8], [16, 8]], "model.dropout": [0.1, 1.5]}
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", set=base, grid=grid)
    with pytest.raises(ConfigError, match=r"grid key 'model.dropout' value 1.5 \(with every value of the other"):
        plan.plan_sweep(f)
    variants = [{"name": "one", "set": {"model.dropout": 0.1}}, {"name": "two", "set": {"model.dropout": 0.2}}]
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", set=base, grid={"model.units": [[8]]}, variants=variants)
    assert len(plan.plan_sweep(f).runs) == 2  # valid with each variant


def test_overrides_of_swept_keys_and_duplicate_runs_are_refused(tmp_path):
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"train.epochs": [1, 2]})
    with pytest.raises(ConfigError, match="--set train.epochs would overwrite swept values"):
        plan.plan_sweep(f, ["train.epochs=3"])
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"train.epochs": [1, 1]})
    with pytest.raises(ConfigError, match="identical parameters"):
        plan.plan_sweep(f)


def test_planning_the_shipped_sweep_imports_no_tensorflow_and_is_fast():
    """Issue 8: planning before_after (6 runs) imports no TensorFlow and takes < 2 s. Timed as
    the process's CPU seconds (interpreter start, imports and planning), which other jobs on a
    shared machine cannot inflate; the wall time is in the message."""
    import subprocess
    import sys

    code = (
        "import sys, time\n"
        "t0 = time.perf_counter()\n"
        "from lstm_helpers.experiments.plan import plan_sweep\n"
        "sweep = plan_sweep('configs/sweeps/before_after.yaml')\n"
        "print(len(sweep.runs), round(time.process_time(), 3), round(time.perf_counter() - t0, 3),"
        " 'tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=str(ROOT), capture_output=True, text=True, check=True)
    runs, cpu, wall, tf_loaded, keras_loaded = out.stdout.split()
    assert runs == "6" and tf_loaded == "False" and keras_loaded == "False"
    assert float(cpu) < 2.0, f"planning before_after took {cpu} s of CPU ({wall} s wall)"


def test_eta_moves_with_the_clock():
    from lstm_helpers.experiments.progress import Progress, estimate_eta, format_seconds, plural

    assert estimate_eta(10, [], queued=4, slots=2) == 20
    assert estimate_eta(10, [4, 6], queued=1, slots=2) == 14  # 6 s and 4 s left, then one more run
    assert estimate_eta(10, [12], queued=0, slots=2) == 1  # an overdue run: a tenth of the mean still to go
    now = [0.0]
    prog = Progress(total=4, workers=2, skipped=0, enabled=False, clock=lambda: now[0])
    assert prog.eta_seconds() is None and "ETA after the first run finishes" in prog.line()
    prog.start("a")
    now[0] = 5.0
    prog.start("b")
    now[0] = 10.0
    prog.record("a", {"status": "finished", "seconds": 10.0, "reason": None})
    prog.start("c")
    etas = []
    for t in (10.0, 13.0, 16.0):  # no run ends, the clock moves: so does the ETA
        now[0] = t
        etas.append(prog.eta_seconds())
    assert etas == [15.0, 12.0, 11.0]  # at 16 s b (started at 5) is past the mean: 1 s left, then d
    assert plural(1, "run") == "1 run" and plural(2, "run") == "2 runs"
    assert format_seconds(10.065695405000042) == "10 s" and format_seconds(125) == "2 min 05 s"
    assert "1/4 runs finished" in prog.line()
    for run in ("b", "c"):
        prog.record(run, {"status": "finished", "seconds": 10.0, "reason": None})
    prog.start("d")
    prog.record("d", {"status": "failed", "seconds": 1.0, "reason": "x"})
    assert prog.line().endswith("3/4 runs finished, 1 failed, 0 running; elapsed 0:00:16")  # no ETA once all ended
    last = Progress(total=2, workers=2, skipped=0, enabled=False, clock=lambda: now[0])
    now[0] = 0.0
    last.start("a"), last.start("b")
    now[0] = 10.0
    last.record("a", {"status": "finished", "seconds": 10.0, "reason": None})
    now[0] = 30.0  # b runs past the 10 s a took: no "ETA 0.0 s" while it runs
    assert last.line().endswith("ETA unknown: the running runs take longer than the finished ones' mean of 10 s")


def test_eta_does_not_freeze_while_a_run_takes_longer_than_the_mean():
    """The reviewer's sweep: 4 runs on 2 workers, the first ended at 54 s; the other kept running
    and the line said "ETA 54 s" at 0:00:54, 0:01:24 and 0:01:54 (it counted as ending then)."""
    from lstm_helpers.experiments.progress import Progress

    now = [0.0]
    prog = Progress(total=4, workers=2, skipped=0, enabled=False, clock=lambda: now[0])
    prog.start("a"), prog.start("b")
    now[0] = 54.0
    prog.record("a", {"status": "finished", "seconds": 54.0, "reason": None})
    prog.start("c")
    assert prog.line().endswith("elapsed 0:00:54, ETA 59 s")  # b due (5.4 s to go), then d; c takes 54 s
    lines = []
    for t in (84.0, 114.0):  # b runs past the mean: the figure is a lower bound, and says so
        now[0] = t
        lines.append(prog.line())
    assert lines[0].endswith("ETA over 59 s: 1 running run past the finished runs' mean of 54 s")
    assert lines[1].endswith("ETA over 59 s: 2 running runs past the finished runs' mean of 54 s")
    assert round(prog.eta_seconds(), 1) == 59.4  # the queued run still takes a mean after the remainders


def test_thread_pools_are_sized_to_the_workers(monkeypatch):
    monkeypatch.delenv("TF_NUM_INTRAOP_THREADS", raising=False)
    assert runner.threads_per_run(1, cores=8) == 8
    assert runner.threads_per_run(2, cores=8) == 4
    assert runner.threads_per_run(4, cores=2) == 1
    env = runner.thread_environment(3)
    assert env == {
        "TF_NUM_INTRAOP_THREADS": "3",
        "TF_NUM_INTEROP_THREADS": "3",
        "OMP_NUM_THREADS": "3",
    }
    assert runner.thread_environment(None) == {}
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "1")  # a shared machine's limit set by the user caps it
    assert runner.threads_per_run(1, cores=8) == 1 and runner.threads_per_run(4, cores=2) == 1


def test_a_sweep_run_records_its_threads_and_the_runs_beside_it(monkeypatch):
    """Runs of a sweep timed 2 at a time with 1 thread each said "CPU (x86_64, 2 logical cores)",
    as a run on its own does: their seconds per epoch read as a standalone run's."""
    from lstm_helpers.model.machine import device_description, run_threads

    env = runner.thread_environment(1, 2)
    assert env[runner.PARALLEL_RUNS] == "2" and env["TF_NUM_INTRAOP_THREADS"] == "1"
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert run_threads() == (1, 2)
    assert device_description().endswith("logical cores; 1 thread per run, 2 runs at a time)")
    monkeypatch.delenv(runner.PARALLEL_RUNS)
    monkeypatch.delenv("TF_NUM_INTRAOP_THREADS")
    assert run_threads() == (None, 1) and device_description().endswith("logical cores)")


def test_tensorflow_honours_the_thread_variables():
    """The child process of a run gets these variables; TensorFlow must read them."""
    import subprocess
    import sys

    code = "import tensorflow as tf, os\ntf.constant(1.0) + 1\nprint(len(os.listdir('/proc/self/task')))\n"
    counts = {}
    for threads in (1, 8):
        env = {**os.environ, **runner.thread_environment(threads), "TF_CPP_MIN_LOG_LEVEL": "3"}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        counts[threads] = int(out.stdout.split()[-1])
    assert counts[1] < counts[8], counts  # more intra/inter-op threads started with 8


def test_pareto_front():
    t = [10, 20, 30, 15, 40]
    q = [0.5, 0.7, 0.69, 0.4, 0.9]
    assert display.pareto_front(t, q).tolist() == [True, True, False, False, True]
    assert display.pareto_front([1, float("nan")], [0.5, 0.9]).tolist() == [True, False]


# ============================================================================ fake runs: resume logic
def fake_run(params, run_dir, threads=None):
    """Stands in for a real run: writes what a finished (or failed) run leaves behind."""
    from lstm_helpers.config import resolve_config

    cfg = resolve_config(params)
    d = Path(run_dir)
    d.mkdir(parents=True, exist_ok=True)
    write_yaml(d / "params.yaml", cfg.to_dict())
    if cfg.evaluate.timeline_recording == "nope":
        write_json(
            d / "status.json",
            {
                "status": "failed",
                "fingerprint": cfg.fingerprint(),
                "reason": "prepare failed: DataError: evaluate.timeline_recording = 'nope' is not a test recording",
            },
        )
        return {
            "status": "failed",
            "reason": "prepare failed: DataError",
            "seconds": 0.1,
            "run_dir": run_dir,
        }
    score = 0.5 + cfg.windows.overlap_percent / 1000 + cfg.seed / 100
    write_json(
        d / "train.json",
        {
            "model_name": "lstm_lay1_sz8_d8",
            "n_params": 500,
            "epochs_run": 1,
            "seconds_per_epoch_mean": 0.5 + cfg.seed / 10,
            "total_seconds": 2.0 + cfg.seed,
        },
    )

    def scores(s):  # the core metrics of one split, as evaluation writes them
        return {
            "accuracy": s,
            "majority_baseline_accuracy": 0.8,
            "balanced_accuracy": s,
            "mcc": s - 0.4,
            "pr_auc": s,
            "roc_auc": s,
            "per_class": {
                "play": {"precision": 0.4, "recall": 0.6, "f1": 0.48, "support": 10},
                "other": {"precision": 0.9, "recall": 0.8, "f1": 0.85, "support": 90},
            },
        }

    # test scores run opposite to validation: a ranking that read them would invert
    write_json(
        d / "metrics.json",
        {
            **scores(1.5 - score),
            "threshold": 0.4,
            "classes": ["other", "play"],
            "classes_of_interest": ["play"],
            "bouts": {"play": {"bout_recall": 0.5, "bout_precision": 0.25}},
            "val": scores(score),
            "baseline": {
                "kind": "minirocket",
                "available": True,
                **scores(0.9),
                "val": scores(0.95),
            },
        },
    )
    write_json(d / "status.json", {"status": "finished", "fingerprint": cfg.fingerprint(), "seconds": 3.0})
    return {"status": "finished", "reason": None, "seconds": 3.0, "run_dir": run_dir}


@pytest.fixture
def fake_runs(monkeypatch):
    calls = []

    def fake(params, run_dir, threads=None, kernel=None, prefit=False):
        calls.append(Path(run_dir).name)
        return fake_run(params, run_dir, threads)

    monkeypatch.setattr(dask_runs, "run_in_subprocess", fake)  # Dask tasks
    monkeypatch.setattr(runner, "execute_run", fake)  # local workers, in their warm kernels
    return calls


def test_local_workers_keep_one_kernel_each_for_all_their_runs(tmp_path, monkeypatch):
    """Issue 12: 4 runs on 2 local workers use 2 kernels (one per worker thread, sized to the
    worker's thread share), each for all of its runs, never started by a run that does not use it."""
    import threading

    seen = []

    def fake(params, run_dir, kernel=None, prefit=False):
        assert not prefit  # four splits: no fit to share
        seen.append((threading.current_thread().name, kernel))
        return fake_run(params, run_dir)

    monkeypatch.setattr(runner, "execute_run", fake)
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"windows.overlap_percent": [0, 50]}, seeds=[1, 2])
    result = runner.run_sweep(f, workers=2, out=tmp_path / "sweep", html=False, progress=False, threads=3)
    assert result["done"] == 4 and len(seen) == 4
    kernels = {id(k): k for _, k in seen}
    assert 1 <= len(kernels) <= 2  # a worker may take 3 runs while the other takes 1, or all 4
    for name, kernel in seen:  # one thread, one kernel
        assert all(k is kernel for n, k in seen if n == name)
    for k in kernels.values():
        assert k.env["TF_NUM_INTRAOP_THREADS"] == "3" and k.km is None  # never started here, closed at the end


def test_the_comparison_page_renders_in_a_worker_kernel(tmp_path, tiny_demo_dir, monkeypatch):
    """Issue 12: after the last run the comparison notebook executes in a worker's warm kernel
    (its imports done) instead of a kernel started for it, and that kernel is shut down once
    the page is written; the page is complete."""
    from lstm_helpers.runs.kernel import StageKernel

    used, execute = [], StageKernel.execute

    def spy(self, src, out, *args, **kwargs):
        used.append((Path(out).name, self))
        return execute(self, src, out, *args, **kwargs)

    monkeypatch.setattr(StageKernel, "execute", spy)
    f = write_sweep(tmp_path / "s.yaml", tiny_demo_dir, set={"evaluate.baseline": "none"})
    result = runner.run_sweep(f, workers=2, out=tmp_path / "sweep", progress=False)
    assert result["done"] == 1
    names = [n.removeprefix(".").replace(".partial", "") for n, _ in used]  # a stage writes aside first
    assert names == ["01_prepare.ipynb", "02_train.ipynb", "03_evaluate.ipynb", "04_compare.ipynb"]
    assert len({id(k) for _, k in used}) == 1 and used[0][1].km is None  # one kernel, closed at the end
    page = (
        Path(result["comparison_html"]).read_text().replace("<wbr/>", "")
    )  # names wrap at _ and - (nbconvert writes <wbr/>)
    assert "Best by validation" in page and result["runs"][0]["name"] in page and "image/png" in page


def test_a_failing_main_thread_stops_the_workers_and_their_kernels(tmp_path, monkeypatch):
    """The main thread failing while it collects results (a closed terminal pipe, a full disk)
    stops the workers and shuts their kernels down, as Ctrl-C does: the kernels kept for the
    comparison page stayed running, ~1 GB each, until the process ended."""
    started = []

    def fake(params, run_dir, kernel=None, prefit=False):
        started.append(kernel.start().pid)  # a real kernel process, as a run's first notebook starts it
        return fake_run(params, run_dir)

    def broken(self, run, result):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(runner, "execute_run", fake)
    monkeypatch.setattr(runner._SweepRun, "finish", broken)
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", seeds=[1, 2, 3])
    with pytest.raises(OSError, match="No space left"):
        runner.run_sweep(f, workers=2, out=tmp_path / "sweep", html=False, progress=False)
    assert started
    for pid in set(started):
        with pytest.raises(ProcessLookupError):  # shut down (reaped), not left running
            os.kill(pid, 0)


def test_a_worker_leaving_closes_its_kernel_unless_it_is_the_last():
    """A worker whose queue is empty shuts its kernel down at once (an idle kernel holds ~1 GB
    while the others finish); the last one to leave keeps it for the comparison page, unless
    the sweep was stopped."""
    import threading

    class Kernel:
        closed = False

        def close(self):
            self.closed = True

    stop = threading.Event()
    leaving, a, b = runner._Leaving(2, stop), Kernel(), Kernel()
    leaving.leave(a)
    leaving.leave(b)
    assert a.closed and not b.closed
    stop.set()
    stopped, c = runner._Leaving(1, stop), Kernel()
    stopped.leave(c)
    assert c.closed


WORKERS_START_AFTER_PAPERMILL = """
import sys, threading
sys.path.insert(0, {tests!r})
from test_sweeps import fake_run, write_sweep
from pathlib import Path
from lstm_helpers.experiments import runner
seen, start = [], threading.Thread.start
def spy(self):
    if self.name.startswith("sweep-worker"):
        seen.append("requests" in sys.modules and "papermill" in sys.modules)
    return start(self)
threading.Thread.start = spy
runner.execute_run = lambda params, run_dir, kernel=None, prefit=False: fake_run(params, run_dir)
f = write_sweep(Path({tmp!r}) / "s.yaml", Path({tmp!r}) / "data", seeds=[1, 2])
runner.run_sweep(f, workers=2, out=Path({tmp!r}) / "sweep", html=False, progress=False)
print(seen)
"""


def test_workers_start_after_papermill_is_imported(tmp_path):
    """Two workers importing papermill (and requests) at once, while jupyter_core's
    ``catch_warnings`` blocks came and went in the other, undid requests' warning filter:
    urllib3's SOCKS DependencyWarning reached the terminal. The main thread imports it first."""
    import subprocess

    code = WORKERS_START_AFTER_PAPERMILL.format(tests=str(Path(__file__).parent), tmp=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[True, True]"
    assert "DependencyWarning" not in done.stderr


def test_an_interrupted_sweep_says_so_once(tmp_path, fake_runs, monkeypatch, capsys):
    """Ctrl-C of a sweep printed "[sweep] interrupted: ..." and then a bare "interrupted"."""
    from lstm_helpers.cli import EXIT_INTERRUPTED, main

    def ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "_collect", ctrl_c)
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"windows.overlap_percent": [0, 50]})
    assert main(["sweep", str(f), "--out", str(tmp_path / "sweep")]) == EXIT_INTERRUPTED
    out, err = capsys.readouterr()
    said = [line for line in (out + err).splitlines() if "interrupted" in line]
    assert said == ["[sweep] interrupted: the same command continues it (runs from their last epoch)"], said


def test_a_second_ctrl_c_while_a_sweep_stops_adds_no_bare_interrupted_line(tmp_path):
    """A second Ctrl-C while the sweep stopped (its runs being recorded) printed a lone
    "interrupted" after "[sweep] interrupted: the same command continues it ..."."""
    import signal
    import subprocess

    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"windows.overlap_percent": [0, 50]})
    code = (
        "import sys, time\n"
        "from lstm_helpers.experiments import runner\n"
        "from lstm_helpers.cli import main\n"
        "from lstm_helpers.experiments.resume import write_status\n"
        "def slow(*args, **kwargs):\n"
        "    __import__('pathlib').Path(args[1]).mkdir(parents=True)\n"
        "    write_status(__import__('pathlib').Path(args[1]), status='running', stage='train')\n"
        "    print('running', flush=True)\n"
        "    time.sleep(4)  # a real run's kernel is killed at the stop; this one ends by itself\n"
        "    return {'status': 'failed', 'reason': 'stopped', 'seconds': 4, 'run_dir': args[1]}\n"
        "runner.execute_run = slow\n"
        "sys.exit(main(['sweep', sys.argv[1], '--out', sys.argv[2]]))\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(f), str(tmp_path / "out")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        while (line := proc.stdout.readline()).strip() != "running":
            assert line, proc.communicate(timeout=60)
        time.sleep(1)  # the sweep waits for the run's result by now
        proc.send_signal(signal.SIGINT)
        while not (line := proc.stdout.readline()).startswith("[sweep] interrupted: the same command continues it"):
            assert line, proc.communicate(timeout=60)  # (a loaded machine may start the next run first)
        proc.send_signal(signal.SIGINT)  # while the stop waits for the run in flight
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 130 and "interrupted" not in out + err, (out, err)
    finally:
        proc.kill()
    statuses = [json.loads(p.read_text())["status"] for p in (tmp_path / "out").glob("*/status.json")]
    assert statuses and set(statuses) == {"interrupted"}, statuses  # none left saying "running"


def test_resumed_sweep_logs_finished_runs_mlflow_never_saw(tmp_path, fake_runs, monkeypatch):
    """A sweep stopped after a run finished but before it reached MLflow skips that run when
    resumed: the resume logs it (once; a second resume adds nothing)."""
    from mlflow.tracking import MlflowClient

    from lstm_helpers.experiments import tracking

    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"windows.overlap_percent": [0, 50]}, seeds=[1])
    out, uri = tmp_path / "sweep", f"file://{tmp_path / 'mlruns'}"
    real_log = tracking.log_run_to_mlflow

    def lost(run_dir, *args, **kwargs):  # the stop came between "finished" and the MLflow call
        raise KeyboardInterrupt

    monkeypatch.setattr(tracking, "log_run_to_mlflow", lost)
    with pytest.raises(KeyboardInterrupt):
        runner.run_sweep(f, workers=1, out=out, html=False, progress=False, mlflow_uri=uri)
    monkeypatch.setattr(tracking, "log_run_to_mlflow", real_log)
    client = MlflowClient(tracking_uri=uri)
    sweep = plan.plan_sweep(f)

    def logged_fingerprints():
        exp = client.get_experiment_by_name(sweep.sweep_id)
        return sorted(r.data.tags["fingerprint"] for r in client.search_runs([exp.experiment_id])) if exp else []

    assert resume.finished_runs(out) and logged_fingerprints() == []
    for _ in range(2):
        result = runner.run_sweep(f, workers=1, out=out, html=False, progress=False, mlflow_uri=uri)
        assert result["done"] == 2 and result["skipped"] >= 1
        assert logged_fingerprints() == sorted(r.fingerprint for r in sweep.runs)


def test_resume_skips_finished_reruns_interrupted_and_failed(tmp_path, fake_runs, capsys):
    f = write_sweep(
        tmp_path / "s.yaml",
        tmp_path / "data",
        grid={"windows.overlap_percent": [0, 50], "evaluate.timeline_recording": [None, "nope"]},
        seeds=[1],
    )
    out = tmp_path / "sweep"
    first = runner.run_sweep(f, workers=2, out=out, html=False)
    assert (first["total"], first["done"], first["failed"]) == (4, 2, 2)
    assert "ETA" in capsys.readouterr().out
    by_status = {r["status"] for r in first["runs"]}
    assert by_status == {"finished", "failed"}
    failed = [r for r in first["runs"] if r["status"] == "failed"]
    assert all("DataError" in r["reason"] for r in failed)
    finished = [Path(r["run_dir"]) for r in first["runs"] if r["status"] == "finished"]
    # simulate a kill: one finished run looks interrupted (status running, half its files)
    interrupted = finished[1]
    write_json(
        interrupted / "status.json",
        {
            "status": "running",
            "fingerprint": json.loads((interrupted / "status.json").read_text())["fingerprint"],
            "stage": "train",
        },
    )
    (interrupted / "metrics.json").unlink()
    kept = dir_hashes(finished[0])

    fake_runs.clear()
    second = runner.run_sweep(f, workers=2, out=out, html=False)
    # only the interrupted run and the two failed ones ran again
    assert sorted(fake_runs) == sorted([interrupted.name] + [Path(r["run_dir"]).name for r in failed])
    assert dir_hashes(finished[0]) == kept  # byte-identical
    assert second["skipped"] == 1 and second["done"] == 2 and second["failed"] == 2
    # the failed attempts were moved aside; the interrupted one continued in its own directory
    attempts = sorted(p.name for p in SweepLayout(out).attempts.iterdir())
    assert len(attempts) == 2 and not any(a.startswith(interrupted.name) for a in attempts)

    runs_csv = pd.read_csv(out / "runs.csv")
    assert len(runs_csv) == 4 and set(runs_csv["status"]) == {"finished", "failed"}
    assert runs_csv.loc[runs_csv["status"] == "failed", "reason"].str.contains("DataError").all()
    table = pd.read_csv(out / "comparison.csv")
    assert len(table) == 4
    assert {
        "windows.overlap_percent",
        "evaluate.timeline_recording",
        "val_pr_auc",
        "test_pr_auc",
        "val_play_precision",
        "test_play_precision",
        "test_play_bout_recall",
        "test_majority_baseline_accuracy",
        "seconds_per_epoch",
        "status",
        "reason",
    } <= set(table.columns)
    assert table.loc[table["status"] == "failed", "test_pr_auc"].isna().all()


def test_a_sweep_on_missing_data_is_refused_before_any_run(tmp_path, fake_runs, capsys):
    """A data path or column that fails every run is named before the sweep starts (exit 2),
    not once per run after each has claimed a directory."""
    from lstm_helpers.cli import main

    grid = {"windows.overlap_percent": [0, 50]}
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "nowhere", placeholder_data=False, grid=grid)
    assert main(["sweep", str(f), "--out", str(tmp_path / "sweep")]) == 2
    assert "data.path" in capsys.readouterr().err and fake_runs == []
    assert not (tmp_path / "sweep").exists()
    f = write_sweep(
        tmp_path / "s.yaml",
        tmp_path / "data",
        grid={"windows.overlap_percent": [0, 50]},
        set={"data.group_column": "who"},
    )
    assert main(["sweep", str(f), "--out", str(tmp_path / "sweep")]) == 2
    assert "missing column(s) 'who' (data.group_column)" in capsys.readouterr().err and fake_runs == []


def test_a_sweep_whose_window_fits_no_recording_is_refused_before_any_run(tmp_path, fake_runs, capsys):
    """Each run failed in stage 01 (exit 1, a failed run directory each); that no recording holds
    one window is found from the recording column alone, before the sweep starts (exit 2)."""
    from lstm_helpers.cli import main

    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"windows.length": [24, 300]})
    assert main(["sweep", str(f), "--out", str(tmp_path / "sweep")]) == 2
    err = capsys.readouterr().err
    assert "the only recording is shorter than one window (windows.length=300 timesteps)" in err, err
    assert "the longest holds 256 timesteps" in err and fake_runs == [] and not (tmp_path / "sweep").exists()


@pytest.mark.parametrize("kind", ["sequences", "table"])
def test_a_sweep_on_a_broken_sequence_file_or_table_is_refused_before_any_run(tmp_path, fake_runs, capsys, kind):
    """Story 4's sequence files and story 2's tables are checked too (only recordings were):
    an array or column the runs need, or the file itself, missing is one error, exit 2."""
    from lstm_helpers.artifacts import load_npz, save_npz
    from lstm_helpers.cli import main
    from lstm_helpers.data.examples import write_example_sequences, write_example_table

    base = {
        "sequences": {"data.kind": "sequences", "data.pad_length": 60},
        "table": {
            "data.kind": "table",
            "data.channels": ["acc_x", "acc_y", "acc_z", "acc_mag"],
            "data.classes_of_interest": ["play"],
            "windows.length": 20,
        },
    }[kind]
    good = tmp_path / ("seq.npz" if kind == "sequences" else "feat.csv")
    if kind == "sequences":
        write_example_sequences(good, n=60)
        arrays = load_npz(good)
        save_npz(tmp_path / "broken.npz", {k: v for k, v in arrays.items() if k != "lengths"})
        broken, expected = tmp_path / "broken.npz", "needs 'X' (n, time, channels) or 'values' + 'lengths'"
    else:
        write_example_table(good, n_animals=3, minutes=0.3)
        import pandas as pd

        pd.read_csv(good).drop(columns=["acc_mag"]).to_csv(tmp_path / "broken.csv", index=False)
        broken, expected = tmp_path / "broken.csv", "missing column(s) 'acc_mag' (data.channels[3]; closest: "
    assert good.is_file()
    for data, message in ((broken, expected), (tmp_path / "missing.npz", "does not exist")):
        f = write_sweep(tmp_path / "s.yaml", data, placeholder_data=False, grid={"model.dropout": [0.1, 0.2]}, set=base)
        assert main(["sweep", str(f), "--out", str(tmp_path / "sweep")]) == 2
        assert message in capsys.readouterr().err and fake_runs == []
        assert not (tmp_path / "sweep").exists()


def test_another_sweep_may_not_take_over_a_sweep_directory(tmp_path, fake_runs):
    """A second, different sweep into the same --out would have replaced the first one's
    sweep.json, runs.csv and comparison; it is refused before anything runs. The same
    sweep resumes there, and a grown one (every recorded run kept) reuses the finished runs."""
    out = tmp_path / "sweep"
    a = write_sweep(tmp_path / "a.yaml", tmp_path / "data", grid={"windows.overlap_percent": [0, 50]})
    assert runner.run_sweep(a, out=out, html=False, progress=False)["done"] == 2
    before = {f: (out / f).read_bytes() for f in ("sweep.json", "runs.csv", "comparison.csv")}
    b = write_sweep(tmp_path / "b.yaml", tmp_path / "data", grid={"windows.overlap_percent": [25]})
    fake_runs.clear()
    with pytest.raises(ConfigError, match=r"holds sweep a-\w+ \(2 runs\).*leave 2 of them out.*another --out"):
        runner.run_sweep(b, out=out, html=False, progress=False)
    assert fake_runs == [] and {f: (out / f).read_bytes() for f in before} == before
    grown = write_sweep(tmp_path / "a.yaml", tmp_path / "data", grid={"windows.overlap_percent": [0, 50, 25]})
    result = runner.run_sweep(grown, out=out, html=False, progress=False)
    assert (result["done"], result["skipped"], len(fake_runs)) == (3, 2, 1)


def test_a_run_directory_is_refused_as_the_out_of_a_sweep_or_a_comparison(tmp_path, fake_runs, capsys, monkeypatch):
    """``sweep --out <a finished run>`` wrote the sweep's slides.html over the run's (and the
    index kept listing it as that run); a run's directory is refused as a sweep's or a
    comparison's --out before anything runs, saying what to give instead."""
    from lstm_helpers.cli import EXIT_USER, main

    monkeypatch.chdir(tmp_path)
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"windows.overlap_percent": [0, 50]})
    params = plan.plan_sweep(f).runs[0].config.to_dict()
    for name in ("my_run", "other_run"):
        fake_run(params, str(tmp_path / "reports" / name))
    (tmp_path / "reports" / "my_run" / "slides.html").write_text("the run's own slides")
    before = dir_hashes(tmp_path / "reports")
    fake_runs.clear()
    for argv in (
        ["sweep", "s.yaml", "--out", "reports/my_run"],
        ["compare", "reports/other_run", "--out", "reports/my_run"],
    ):
        assert main(argv) == EXIT_USER, argv
        err = capsys.readouterr().err
        assert "--out reports/my_run is a run's directory (it holds params.yaml and status.json)" in err, err
        assert "a new folder (without --out it writes to reports/" in err and str(tmp_path) not in err, err
    assert fake_runs == [] and dir_hashes(tmp_path / "reports") == before


def test_a_running_sweep_is_not_run_twice(tmp_path, fake_runs):
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"windows.overlap_percent": [0, 50]})
    out = tmp_path / "sweep"
    out.mkdir()
    SweepLayout(out).lock.write_text(f"{os.getppid()}\n")  # a live process holds it
    with pytest.raises(resume.SweepLocked, match="is being run by process"):
        runner.run_sweep(f, out=out, html=False)
    SweepLayout(out).lock.write_text("999999999\n")  # stale lock of a dead process
    assert runner.run_sweep(f, out=out, html=False, progress=False)["done"] == 2


def test_comparison_of_run_dirs_and_sweep_dirs(tmp_path, fake_runs):
    f = write_sweep(
        tmp_path / "s.yaml",
        tmp_path / "data",
        grid={"windows.overlap_percent": [0, 50]},
        variants=[
            {"name": "before", "set": {"train.learning_rate": 0.01}},
            {"name": "after", "set": {"train.learning_rate": 0.001}},
        ],
        seeds=[1, 2],
    )
    out = tmp_path / "sweep"
    runner.run_sweep(f, out=out, html=False, progress=False)
    table, meta = compare.comparison_table(compare.collect_runs([out]))
    assert len(table) == 8 and meta["keys"] == ["windows.overlap_percent"]
    assert meta["variant_keys"] == ["train.learning_rate"] and meta["title"] == "Sweep s"
    assert set(table["variant"]) == {"before", "after"} and set(table["seed"]) == {1, 2}
    assert meta["rank_by"] == "val_pr_auc" and meta["classes"] == ["play"]
    assert meta["prepared_differently"] == ["windows.overlap_percent"]  # validation windows differ: said
    said = display.answer_sentence(display.Comparison(table, meta, out))
    assert "prepared differently (windows.overlap_percent)" in said and "as well as the models" in said
    cols = list(table.columns)
    assert cols.index("test_pr_auc") == cols.index("val_pr_auc") + 1  # side by side
    assert (table["val_baseline_pr_auc"] == 0.95).all() and (table["test_baseline_pr_auc"] == 0.9).all()
    # any set of run dirs: the differing parameters become the key columns
    some = [Path(p) for p in table["run_dir"][:3]]
    t2, m2 = compare.comparison_table(compare.collect_runs(some))
    assert len(t2) == 3 and "windows.overlap_percent" in m2["keys"]
    with pytest.raises(ConfigError, match="not a directory"):
        compare.collect_runs([tmp_path / "nope"])
    c = display.Comparison(table, meta, out)
    assert "±" in display.seed_summary(c).data
    variants = display._variant_means(c)
    assert list(variants.columns) == ["measure", "before", "after", "change (after − before)"]
    fig = display.plot_metric_vs_keys(c)
    assert len(fig.axes) == 3 * 2  # 3 metrics x (variant, overlap)
    width, height = fig.get_size_inches()
    assert width > height  # one row per parameter, metrics side by side: page-wide, readable fonts
    pareto = display.plot_quality_vs_time(c)
    assert len(pareto.axes) == 1 and pareto.axes[0].get_ylabel() == "val_pr_auc (validation)"
    assert pareto.axes[0].get_xlim()[0] == 0  # time from zero: small differences drawn at their size
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(pareto)
    canvas.draw()
    labels = pareto.axes[0].texts
    assert labels  # the Pareto front is labelled, and no label is cut at the figure's edge
    for text in labels:
        box = text.get_window_extent(canvas.get_renderer())
        assert pareto.bbox.x0 <= box.x0 and box.x1 <= pareto.bbox.x1, text.get_text()
        assert pareto.bbox.y0 <= box.y0 and box.y1 <= pareto.bbox.y1, text.get_text()
    html = display.sortable_table(table).data
    assert "lw-sortable" in html and "addEventListener" in html and "http" not in html.split("<script>")[1]
    assert 'data-v="500.0">500</td>' in html and ">500.0<" not in html  # integers without decimals


def test_runs_an_interrupted_sweep_never_started_do_not_split_its_task(tmp_path, fake_runs):
    """compare on a sweep stopped in its first run said "These runs do not share one task: they
    differ in data.kind, data.path, classes": the runs not started yet (no params.yaml) were
    taken for recordings runs on no file, the stopped one's classes (not prepared yet) for
    other classes, and every data setting read as prepared differently."""
    import shutil

    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"windows.overlap_percent": [0, 25, 50, 75]})
    out = tmp_path / "sweep"
    runner.run_sweep(f, out=out, html=False, progress=False)
    plan_json = json.loads(SweepLayout(out).plan.read_text())
    stopped, *pending = plan_json["runs"]
    write_json(out / stopped["run_dir"] / "status.json", {"status": "interrupted"})
    (out / stopped["run_dir"] / "metrics.json").unlink()  # stopped before its classes were known
    stopped["status"] = "interrupted"
    for r in pending:
        shutil.rmtree(out / r["run_dir"])
        r["status"] = "pending"
    write_json(SweepLayout(out).plan, plan_json)
    table, meta = compare.comparison_table(compare.collect_runs([out]))
    assert (meta["task_differs"], meta["tasks"], meta["prepared_differently"]) == ([], [], [])
    assert "task" not in table and meta["keys"] == ["windows.overlap_percent"]
    c = display.Comparison(table, meta, out)
    assert "do not share one task" not in display.headline(c).data
    # beside a run from elsewhere (compared by directory): labelled by what differs between the started runs
    fake_run(plan.plan_sweep(f).runs[1].config.to_dict(), str(tmp_path / "plain"))
    table, meta = compare.comparison_table(compare.collect_runs([out, tmp_path / "plain"]))
    assert (meta["task_differs"], meta["keys"]) == ([], ["windows.overlap_percent"])


def test_a_configuration_of_one_run_shows_its_figure_without_a_spread(tmp_path, fake_runs):
    """ "Mean ± std over seeds" read "0.560 ± 0.000" for a configuration of one run (a plain
    run compared with a seed sweep): a spread of one run is unknown, not zero."""
    import re

    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"windows.overlap_percent": [0, 50]}, seeds=[1, 2])
    runner.run_sweep(f, out=tmp_path / "sweep", html=False, progress=False)
    table, meta = compare.comparison_table(compare.collect_runs([tmp_path / "sweep"]))
    one = table[~((table["windows.overlap_percent"] == 50) & (table["seed"] == 2))]  # overlap 50: seed 1 alone
    page = display.seed_summary(display.Comparison(one, meta, tmp_path / "sweep")).data
    rows = [re.findall(r"<td[^>]*>([^<]*)<", r)[:4] for r in page.split("<tr")[2:]]
    assert rows == [["0", "2", "0.515 ± 0.007", "0.985 ± 0.007"], ["50", "1", "0.560", "0.940"]], rows
    assert tasks.mean_std(0.56, float("nan")) == "0.560" and tasks.mean_std(4.5, float("nan")) == "4.5"
    # one column of numbers: right-aligned and sorted by the mean, spread or not
    assert (
        '<td class="num" data-v="0.515">0.515 ± 0.007</td>' in page
        and '<td class="num" data-v="0.56">0.560</td>' in page
    )


def test_runs_that_differ_in_resampling_alone_share_their_validation_windows(tmp_path, fake_runs):
    """Resampling touches the training split only: runs that differ in resample.* alone are
    scored on the same validation windows, so the page does not say they were prepared differently."""
    f = write_sweep(
        tmp_path / "s.yaml",
        tmp_path / "data",
        variants=[
            {"name": "weights", "set": {"resample.method": "class_weight"}},
            {"name": "cwdict", "set": {"resample.method": "class_weight", "resample.class_weight": {"play": 6.0}}},
            {"name": "smote", "set": {"resample.method": "smote", "resample.imbalance_factor": 2.0}},
        ],
    )
    out = tmp_path / "sweep"
    runner.run_sweep(f, out=out, html=False, progress=False)
    table, meta = compare.comparison_table(compare.collect_runs([out]))
    assert meta["prepared_differently"] == []
    assert "prepared differently" not in display.answer_sentence(display.Comparison(table, meta, out))


def test_a_convolution_only_model_shows_no_recurrent_settings(tmp_path, fake_runs):
    """model.cell none has no recurrent layers: its units, bidirectional, dropout cells stay
    blank in the table of all runs (and in comparison.csv) rather than reading [64,32]. Its two
    grid points differ only in model.units, which it leaves idle (unused.py), so they are one model:
    the sweep trains it once."""
    f = write_sweep(
        tmp_path / "s.yaml",
        tmp_path / "data",
        grid={"model.units": [[8], [16]]},
        variants=[
            {"name": "lstm", "set": {"model.cell": "lstm", "model.dropout": 0.3}},
            {"name": "cnn", "set": {"model.cell": "none", "model.conv": [{"filters": 8, "kernel_size": 3, "pool": 1}]}},
        ],
    )
    out = tmp_path / "sweep"
    runner.run_sweep(f, out=out, html=False, progress=False)
    table, meta = compare.comparison_table(compare.collect_runs([out]))
    cnn, lstm = table[table["variant"] == "cnn"], table[table["variant"] == "lstm"]
    assert len(cnn) == 1 and cnn["model.units"].isna().all() and set(lstm["model.units"]) == {"[8]", "[16]"}
    loose, _ = compare.comparison_table([{"run_dir": d} for d in table["run_dir"]])  # every differing key
    recurrent = [k for k in ("model.units", "model.dropout") if k in loose]
    assert recurrent and loose.loc[loose["model.cell"] == "none", recurrent].isna().all().all()
    assert loose.loc[loose["model.cell"] == "lstm", recurrent].notna().all().all()


def test_runs_that_average_several_models_say_so(tmp_path, fake_runs):
    """train.ensemble auto may make one run an ensemble of five (train.json "ensemble"): the
    table has a members column, and where runs differ in it their labels and the answer say so."""
    from lstm_helpers.runs.slides import _before_after

    f = write_sweep(
        tmp_path / "s.yaml",
        tmp_path / "data",
        variants=[
            {"name": "plateau", "set": {"train.schedule.kind": "plateau"}},
            {"name": "cyclical", "set": {"train.schedule.kind": "cyclical"}},
        ],
    )
    out = tmp_path / "sweep"
    runner.run_sweep(f, out=out, html=False, progress=False)
    records = compare.collect_runs([out])
    table, meta = compare.comparison_table(records)
    assert table["members"].tolist() == [1, 1] and "members" in meta["time_columns"]
    c = display.Comparison(table, meta, out)
    assert "members" not in display.run_labels(c).iloc[0] and "ensemble" not in display.answer_sentence(c)
    cyclical = Path(table.loc[table["variant"] == "cyclical", "run_dir"].iloc[0])
    train = json.loads((cyclical / "train.json").read_text())
    write_json(cyclical / "train.json", {**train, "ensemble": 5, "folds": 4})
    table, meta = compare.comparison_table(records)
    assert table["members"].tolist() == [1, 5]
    c = display.Comparison(table, meta, out)
    assert display.run_labels(c).tolist() == ["plateau · 1 model", "cyclical · 5 members"]
    assert "average different numbers of models" in display.answer_sentence(c)
    means = display._variant_means(c).set_index("measure")
    assert means.loc["members", "change (cyclical − plateau)"] == "4"
    slide = _before_after(table, meta)
    assert "models averaged" in slide and ">5<" in slide and "5.000" not in slide


def test_separate_runs_named_before_and_after_are_compared_as_variants(tmp_path):
    """lstm-workbench compare of runs made with --set run.name=before / after: the names are
    the variants (labels, before / after table with the change), as a sweep's variants are."""
    from lstm_helpers.config import resolve_config

    base = yaml.safe_load(DEMO.read_text())
    dirs = []
    for name, units, dropout, seed in (
        ("before", [16, 8, 8, 4], 0.2, 1),
        ("before", [16, 8, 8, 4], 0.2, 2),
        ("after", [8, 4], 0.3, 1),
        ("after", [8, 4], 0.3, 2),
    ):
        sets = {"run.name": name, "model.units": units, "model.dropout": dropout, "seed": seed}
        cfg = resolve_config(base, {**TINY_SET, "data.path": str(tmp_path / "data"), **sets})
        dirs.append(tmp_path / f"{name}{seed}")
        fake_run(cfg.to_dict(), dirs[-1])
    table, meta = compare.comparison_table(compare.collect_runs(dirs))
    assert table["variant"].tolist() == ["before", "before", "after", "after"]
    assert {"model.units", "model.dropout"} <= set(meta["variant_keys"]) and "model.units" in table
    c = display.Comparison(table, meta, None)
    assert display.run_labels(c).tolist() == ["before · seed 1", "before · seed 2", "after · seed 1", "after · seed 2"]
    assert list(display._variant_means(c).columns) == ["measure", "before", "after", "change (after − before)"]
    assert "Before / after" in display.headline(c).data
    # a sweep names each of its runs (run.name is its directory's name): those are no variants
    assert plan.is_planned_name("lstm_lay1_sz8_d8_cyclical_seed42_130d9a2a76d5") and not plan.is_planned_name("after")
    for d in dirs:  # one name shared by every run says nothing about how they differ: no variants
        params = yaml.safe_load((d / "params.yaml").read_text())
        write_yaml(d / "params.yaml", {**params, "run": {**params["run"], "name": "mine"}})
    table, meta = compare.comparison_table(compare.collect_runs(dirs))
    assert "variant" not in table and meta["variant_keys"] == []


def test_best_run_is_chosen_on_validation_not_test(tmp_path, fake_runs):
    """The fake runs' test scores run opposite to their validation scores."""
    f = write_sweep(
        tmp_path / "s.yaml",
        tmp_path / "data",
        grid={"windows.overlap_percent": [0, 50]},
        seeds=[1, 2],
        description="which overlap?",
    )
    out = tmp_path / "sweep"
    runner.run_sweep(f, out=out, html=False, progress=False)
    c = display.open_comparison(out)
    best = c.best()
    assert best["val_pr_auc"] == c.finished["val_pr_auc"].max()
    assert best["test_pr_auc"] == c.finished["test_pr_auc"].min()  # the worst on test, still chosen
    assert best["windows.overlap_percent"] == 50 and best["seed"] == 2
    head = display.headline(c).data
    assert "<h1>Sweep s</h1>" in head and "which overlap?" in head
    assert "Best by validation val_pr_auc" in head and "4 runs, 4 finished" in head
    assert "test_pr_auc = " in head and "not used to choose" in head
    ranked = display.ranking(c).data.replace("<wbr>", "")  # runs by their labels (how they differ), best first
    labels = display.run_labels(c)
    order = [labels[i] for i in c.finished.sort_values("val_pr_auc", ascending=False).index]
    assert len(set(order)) == 4 and [ranked.index(r) for r in order] == sorted(ranked.index(r) for r in order)


def test_keys_that_change_together_share_one_panel(tmp_path, fake_runs):
    import shutil

    f = write_sweep(
        tmp_path / "s.yaml",
        tmp_path / "data",
        grid={"windows.overlap_percent": [0, 50]},
        variants=[
            {"name": "a", "set": {"train.learning_rate": 0.01, "model.dropout": 0.1}},
            {"name": "b", "set": {"train.learning_rate": 0.001, "model.dropout": 0.3}},
        ],
    )
    out = tmp_path / "sweep"
    runner.run_sweep(f, out=out, html=False, progress=False)
    loose = tmp_path / "loose"  # the same runs outside their sweep: no variants, no grid keys known
    for d in resume.run_dirs_in(out):
        shutil.copytree(d, loose / d.name)
    table, meta = compare.comparison_table(compare.collect_runs(resume.run_dirs_in(loose)))
    assert {"train.learning_rate", "model.dropout", "windows.overlap_percent"} <= set(meta["keys"])
    c = display.Comparison(table, meta, None)
    kept, together = display.keys_that_vary_alone(c)
    assert len(kept) == 2 and "windows.overlap_percent" in kept
    lr_group = next(k for k in kept if k != "windows.overlap_percent")
    assert set([lr_group, *together[lr_group]]) >= {"train.learning_rate", "model.dropout"}
    assert len(display.plot_metric_vs_keys(c).axes) == 3 * 2


EVIL = "<img src=x onerror=alert(1)>"


def make_evil(tmp_path: Path, fake_runs) -> Path:
    """A sweep whose description, one run directory and one class name are HTML."""
    f = write_sweep(
        tmp_path / "s.yaml",
        tmp_path / "data",
        grid={"windows.overlap_percent": [0, 50]},
        seeds=[1, 2],
        description=f"<script>alert(2)</script>{EVIL}",
    )
    out = tmp_path / "sweep"
    runner.run_sweep(f, out=out, html=False, progress=False)
    runs = resume.run_dirs_in(out)
    for d in runs:
        m = json.loads((d / "metrics.json").read_text())
        for section in (m, m["val"]):
            section["per_class"][EVIL] = section["per_class"].pop("play")
        m["classes"], m["classes_of_interest"] = ["other", EVIL], [EVIL]
        m["bouts"] = {EVIL: m["bouts"]["play"]}
        write_json(d / "metrics.json", m)
    evil_dir = out / EVIL  # a run directory named like markup, failed with a markup reason
    runs[0].rename(evil_dir)
    st = json.loads((evil_dir / "status.json").read_text())
    write_json(evil_dir / "status.json", {**st, "status": "failed", "reason": f"boom {EVIL}"})
    runs_meta = json.loads((out / "sweep.json").read_text())
    for r in runs_meta["runs"]:
        if Path(r["run_dir"]).name == runs[0].name:
            r["run_dir"] = str(evil_dir)
    write_json(out / "sweep.json", runs_meta)
    compare.write_comparison(out, resume.records_from_sweep(out), title="Sweep s", html_report=False)
    return out


def test_data_derived_text_is_escaped(tmp_path, fake_runs):
    out = make_evil(tmp_path, fake_runs)
    c = display.open_comparison(out)
    assert f"val_{EVIL}_f1" in c.table.columns and EVIL in set(c.table["run"])
    pages = [
        display.headline(c).data,
        display.sortable_table(c.table).data,
        display.seed_summary(c).data,
        display.ranking(c).data,
        display.failed_runs(c).data,
    ]
    for page in pages:
        assert "<img" not in page and "<script>alert" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages[1] and "&lt;script&gt;" in pages[0]
    assert "boom &lt;img" in pages[4]


def test_without_a_class_of_interest_balanced_accuracy_ranks(tmp_path):
    """README: rank by val_pr_auc, or val_balanced_accuracy without a class of interest (a
    multi-class PR-AUC is then a macro average no class decision follows)."""
    records = []
    for name, classes, positive in (("multi", ["a", "b", "c"], None), ("binary", ["other", "play"], "play")):
        d = tmp_path / name
        d.mkdir()
        write_json(d / "metrics.json", {"classes": classes, "positive_class": positive})
        records.append({"run_dir": str(d)})
    table = pd.DataFrame({"val_pr_auc": [0.75, 0.6], "val_balanced_accuracy": [0.5, 0.58]})
    interest, named, binary = compare._classes_of_interest(records[:1], [{}])
    assert (interest, named, binary) == (["a", "b", "c"], False, False)
    assert compare.rank_metric(table, binary) == "val_balanced_accuracy"
    assert compare._classes_of_interest(records, [{}, {}])[1:] == (True, True)
    assert compare.rank_metric(table) == "val_pr_auc"
    # a multi-class run with a class of interest named: its val_pr_auc is still the macro
    # average, so balanced accuracy ranks, what its early stopping watched
    write_json(tmp_path / "multi" / "metrics.json", {"classes": ["a", "b", "c"], "positive_class": "b"})
    named_multi = compare._classes_of_interest(records[:1], [{"data": {"classes_of_interest": ["b"]}}])
    assert named_multi == (["b"], True, False)
    assert compare.rank_metric(table, named_multi[2]) == "val_balanced_accuracy"


def test_a_sweep_page_refreshes_the_reports_index(tmp_path):
    sweep = tmp_path / "reports" / "sweeps" / "imbalance-1234"
    sweep.mkdir(parents=True)
    pd.DataFrame({"run": ["a"], "status": ["finished"]}).to_csv(SweepLayout(sweep).runs_csv, index=False)
    (sweep / "comparison.html").write_text("<html></html>")
    compare.refresh_reports_index(sweep)
    page = (tmp_path / "reports" / "index.html").read_text()
    assert "imbalance-1234" in page and "1 of 1 run finished" in page
    assert '<a href="comparison.html">comparison</a>' in (sweep / "index.html").read_text()  # its own index
    elsewhere = tmp_path / "elsewhere"  # not under reports/<group>/: no reports index, its own one
    elsewhere.mkdir()
    (elsewhere / "comparison.html").write_text("<html></html>")
    compare.refresh_reports_index(elsewhere)
    assert not (tmp_path / "index.html").exists() and "comparison.html" in (elsewhere / "index.html").read_text()
    assert not (tmp_path / "index.html").exists()


def test_variants_are_named_by_their_variant_and_each_compared_with_the_first():
    table = pd.DataFrame(
        {
            "run": ["r1", "r2", "r3"],
            "variant": ["slow", "fast", "cnn"],
            "status": "finished",
            "model.cell": ["lstm", "lstm", "none"],
            "model.units": ["[128, 64, 64, 32]", "[64, 32]", "[64, 32]"],
            "n_params": [446950, 131905, 40001],
            "val_pr_auc": [0.62, 0.71, 0.749],
        }
    )
    meta = {"keys": ["model.cell", "model.units"], "variant_keys": ["model.cell", "model.units"]}
    meta |= {"time_columns": ["n_params"], "metrics": ["val_pr_auc"], "rank_by": "val_pr_auc"}
    c = display.Comparison(table, meta, None)
    assert display.run_labels(c).tolist() == ["slow", "fast", "cnn"]  # not "cnn · cell=none · units=[64,32]"
    means = display._variant_means(c).set_index("measure")
    assert list(means.columns) == ["slow", "fast", "cnn", "change (fast − slow)", "change (cnn − slow)"]
    assert means.loc["n_params", "slow"] == "446,950" and means.loc["val_pr_auc", "cnn"] == "0.749"
    assert display.keys_that_vary_alone(c)[0] == ["variant"]  # no panel pooling variants by units
    grid = display.Comparison(
        pd.DataFrame(
            {"run": ["a", "b"], "train.schedule.kind": ["one_cycle", "cyclical"], "model.units": ["[16]", "[8]"]}
        ),
        {"keys": ["train.schedule.kind", "model.units"]},
        None,
    )
    assert display.run_labels(grid).tolist()[1] == "schedule.kind=cyclical · units=8"


def test_runs_without_a_variant_form_a_group_of_their_own(tmp_path):
    """compare <sweep with variants> <plain run> stopped with KeyError '[nan] not in index':
    the plain run's blank variant was kept in the column order but dropped by the grouping."""
    table = pd.DataFrame(
        {
            "run": ["r1", "r2", "plain"],
            "variant": ["before", "after", None],
            "status": "finished",
            "total_seconds": [10.0, 6.0, 8.0],
            "val_pr_auc": [0.6, 0.7, 0.65],
        }
    )
    meta = {"keys": [], "time_columns": ["total_seconds"], "metrics": ["val_pr_auc"], "rank_by": "val_pr_auc"}
    c = display.Comparison(table, meta, None)
    means = display._variant_means(c).set_index("measure")
    assert list(means.columns)[:3] == ["before", "after", "plain"]  # named by its run name
    assert means.loc["val_pr_auc", "plain"] == "0.650"
    assert "change (plain − before)" in means
    fig = display.plot_quality_vs_time(c)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "plain" in labels  # the plain run is drawn, not dropped with its blank hue


def test_a_run_without_a_variant_is_named_by_its_run_name_and_its_panels_stay_readable(tmp_path, fake_runs):
    """compare <sweep of variants> <standalone run>: the standalone run read "(no variant)" (a
    column "change ((no variant) − slow)") and "–" on the variant axis; every differing key got a
    row of panels, five rows in one figure the page held to 560 px (140 px panels); the Pareto
    points were labelled with whole directory names."""
    variants = [
        {"name": "slow", "set": {"model.units": [16, 8], "train.batch_size": 16, "windows.overlap_percent": 0}},
        {"name": "fast", "set": {"model.units": [8], "train.batch_size": 32, "windows.overlap_percent": 50}},
    ]
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", variants=variants, seeds=[1])
    runner.run_sweep(f, out=tmp_path / "sweep", html=False, progress=False)
    plain = tmp_path / "reports" / "20261204-134229_lstm_lay1_sz8_d8"  # as run_pipeline names a run
    fake_run({**plan.plan_sweep(f).runs[1].config.to_dict(), "seed": 3}, str(plain))
    c = display.Comparison(*compare.comparison_table(compare.collect_runs([tmp_path / "sweep", plain])), None)
    assert c.meta["swept"] is False
    means = display._variant_means(c).set_index("measure")
    assert list(means.columns) == ["slow", "fast", "lstm_lay1_sz8_d8", "change (fast − slow)", "change (lstm_lay1_sz8_d8 − slow)"]  # fmt: skip
    labels = display.run_labels(c).tolist()
    assert labels == ["slow · seed 1", "fast · seed 1", "lstm_lay1_sz8_d8 · seed 3"], labels  # no directory name
    # one page-wide figure per parameter; the variant, each of whose values is one run's, gets none
    figures = display.metric_vs_keys(c)
    (xlabels,) = [{ax.get_xlabel() for ax in fig.axes} for fig in figures]  # units, batch size, overlap: one panel
    assert len(figures[0].axes) == 3 and len(xlabels) == 1 and xlabels.pop().endswith(" (+2 changing with it)")
    width, height = figures[0].get_size_inches()
    assert width / height > 3 and "–" not in [t.get_text() for t in figures[0].axes[0].get_xticklabels()]
    pareto = display.plot_quality_vs_time(c)
    texts = [t.get_text() for t in pareto.axes[0].texts]
    assert texts and set(texts) <= set(labels), texts
    assert pareto.axes[0].get_xlabel() == "fit time, s (total_seconds)"


def test_the_comparison_page_defines_its_timing_columns_as_the_report_and_slides_name_them():
    """seconds_per_epoch, total_seconds and run_seconds were never defined on the page, named
    otherwise than in the report ("fit time, s") and the slides; the training notebook's timing
    text said the comparison labels it "s/epoch incl. checkpoint", a label it never shows."""
    import json as json_

    table = pd.DataFrame(
        {
            "run": ["r1", "r2"],
            "status": "finished",
            "seconds_per_epoch": [0.4, 0.9],
            "total_seconds": [3.0, 6.0],
            "run_seconds": [8.0, 16.0],
            "val_pr_auc": [0.7, 0.6],
        }
    )
    meta = {"keys": [], "rank_by": "val_pr_auc", "metrics": ["val_pr_auc"], "time_columns": list(TIME_COLUMNS)}
    c = display.Comparison(table, meta, None)
    every = display.runs_table(c).data
    for column in ("seconds_per_epoch", "total_seconds", "run_seconds"):
        assert f"<code>{column}</code>: " in every, column
    assert "&quot;fit time, s (build, fit, save)&quot;" in every  # the report's words (model/summary.py)
    assert "&quot;seconds per epoch (with checkpoint and logs)&quot;" in every
    ranked = display.ranking(c).data  # first shown here: defined here (those it shows)
    assert "<code>seconds_per_epoch</code>: " in ranked and "<code>total_seconds</code>: " in ranked
    # with variants the before / after table shows them first: defined there, not again under the ranking
    c = display.Comparison(table.assign(variant=["before", "after"]), meta, None)
    assert "<code>run_seconds</code>: " in display.headline(c).data and "<code>" not in display.ranking(c).data
    cells = json_.loads((ROOT / "notebooks" / "02_train.ipynb").read_text())["cells"]
    timing = next("".join(x["source"]) for x in cells if "".join(x["source"]).startswith("## Timing per epoch"))
    assert "comparison page's `seconds_per_epoch` column" in timing and "comparison's \"s/epoch" not in timing


def test_pareto_labels_run_through_no_other_point():
    """A front point's label went up and to the right whatever lay there: a long label ran
    through the next point of the front."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    table = pd.DataFrame(
        {
            "run": ["a", "b", "c", "d"],
            "variant": ["a_convolution_only_model_label", "b_next", "c_slowest_and_best", "d_behind"],
            "status": "finished",
            "total_seconds": [1.0, 1.8, 6.0, 4.0],
            "val_pr_auc": [0.500, 0.505, 0.80, 0.502],
        }
    )
    meta = {"keys": [], "time_columns": ["total_seconds"], "metrics": ["val_pr_auc"], "rank_by": "val_pr_auc"}
    fig = display.plot_quality_vs_time(display.Comparison(table, meta, None))
    ax = fig.axes[0]
    renderer = FigureCanvasAgg(fig).get_renderer()
    centres = ax.transData.transform(table[["total_seconds", "val_pr_auc"]].to_numpy(float))
    assert len(ax.texts) == 3  # the front: a, b, c
    for text in ax.texts:
        box = text.get_window_extent(renderer)
        own = ax.transData.transform([text.xy])[0]
        for x, y in centres:
            if abs(x - own[0]) + abs(y - own[1]) > 1:  # another point's marker, 10 px wide
                assert box.x1 < x - 5 or box.x0 > x + 5 or box.y1 < y - 5 or box.y0 > y + 5, text.get_text()
        assert ax.get_window_extent(renderer).contains(box.x0, box.y0) and ax.get_window_extent(renderer).contains(
            box.x1, box.y1
        )


def test_a_dict_valued_setting_stays_one_setting_and_labels_never_read_nan(tmp_path, fake_runs):
    """One variant sets resample.class_weight by class name: the comparison keeps it one
    setting (not class_weight.play / .other, nan for every other run), written compactly."""
    import shutil

    f = write_sweep(
        tmp_path / "s.yaml",
        tmp_path / "data",
        variants=[
            {"name": "cyclical", "set": {"train.schedule.kind": "cyclical"}},
            {
                "name": "cwdict",
                "set": {"resample.method": "class_weight", "resample.class_weight": {"play": 6.0, "other": 1.0}},
            },
        ],
    )
    out = tmp_path / "sweep"
    runner.run_sweep(f, out=out, html=False, progress=False)
    table, meta = compare.comparison_table(compare.collect_runs([out]))
    assert not [k for k in table.columns if k.startswith("resample.class_weight.")]
    assert "resample.class_weight" in meta["keys"]
    c = display.Comparison(table, meta, out)
    assert display.run_labels(c).tolist() == ["cyclical", "cwdict"]
    assert "nan" not in display.answer_sentence(c)
    loose = tmp_path / "loose"  # the same runs outside their sweep: the differing values label them
    for d in resume.run_dirs_in(out):
        shutil.copytree(d, loose / d.name)
    t2, m2 = compare.comparison_table(compare.collect_runs(resume.run_dirs_in(loose)))
    labels = display.run_labels(display.Comparison(t2, m2, None)).tolist()
    assert any("class_weight=play:6 other:1" in x for x in labels) and any("class_weight=balanced" in x for x in labels)
    # a setting only some runs have: those without it leave it out of their label
    gap = display.Comparison(
        pd.DataFrame({"run": ["a", "b"], "data.class_map": [None, '{"chase":"play"}'], "model.dropout": [0.1, 0.2]}),
        {"keys": ["data.class_map", "model.dropout"]},
        None,
    )
    assert display.run_labels(gap).tolist() == ["dropout=0.1", "class_map=chase:play · dropout=0.2"]


def test_an_architecture_grid_is_labelled_by_model_names_and_values_read_as_in_the_config():
    """Story 4: runs of a grid over model keys are labelled by the names that say what a model
    is; otherwise swept values read as written: true / false (not 1 / 0), lists compact."""
    table = pd.DataFrame(
        {
            "run": ["a", "b", "c", "d"],
            "seed": [1, 1, 1, 1],
            "status": "finished",
            "model.bidirectional": [False, True, False, True],
            "model.conv": [
                "[]",
                "[]",
                '[{"filters":8,"kernel_size":5,"pool":1}]',
                '[{"filters":8,"kernel_size":5,"pool":2}]',
            ],
            "model_name": [
                "lstm_lay1_sz16",
                "bilstm_lay1_sz16",
                "lstm_cv1-8x5_lay1_sz16",
                "bilstm_cv1-8x5p2_lay1_sz16",
            ],
            "val_accuracy": [0.5, 0.6, 0.7, 0.8],
        }
    )
    meta = {"keys": ["model.bidirectional", "model.conv"], "rank_by": "val_accuracy", "metrics": ["val_accuracy"]}
    c = display.Comparison(table, meta, None)
    assert display.run_labels(c).tolist() == table["model_name"].tolist()
    assert display._as_labels(table["model.bidirectional"]).tolist() == ["false", "true", "false", "true"]
    assert display._as_labels(table["model.conv"]).tolist() == ["none", "none", "8x5", "8x5p2"]
    with_dropout = display.Comparison(
        table.assign(**{"model.dropout": [0.1, 0.2, 0.1, 0.2], "model_name": "lstm_lay1_sz16"}),
        {**meta, "keys": ["model.dropout"]},
        None,
    )  # one name for different settings: the values label the runs
    assert display.run_labels(with_dropout).tolist() == ["dropout=0.1", "dropout=0.2", "dropout=0.1", "dropout=0.2"]


def test_numbers_are_formatted_for_reading():
    """The comparison writes numbers as the run reports do (style.fmt_number), each column at
    one number of decimals, and sorts by the value, not by the text ("131,905" is not 131)."""
    texts = display.column_texts
    assert texts([4.72, 4.36, 4.3, float("nan")]) == ["4.72", "4.36", "4.30", ""]
    assert texts([41.5, 37.0, 36.4]) == ["41.5", "37.0", "36.4"]
    assert texts([0.807, 0.7, 1.0]) == ["0.807", "0.700", "1.000"]
    assert texts([131905, 2000]) == ["131,905", "2,000"] and texts(["a", None]) == ["a", ""]
    assert texts([0.5, 1.2e-05]) == ["0.500", "1.2e-05"]
    assert texts([131905.0, 131905.0, 0.0]) == ["131,905", "131,905", "0"]  # a zero change: no decimals forced
    assert texts([0.0, 0.0]) == ["0.000", "0.000"]
    page = display.table_html(pd.DataFrame({"run": ["a", "b"], "n_params": [131905, 9000]}))
    assert 'data-v="131905.0">131,905<' in page and 'data-v="9000.0">9,000<' in page and "dataset.v" in page
    assert tasks.mean_std(0.71345, 0.0839) == "0.713 ± 0.084" and tasks.mean_std(4.55, 0.25) == "4.55 ± 0.25"


@pytest.mark.slow
def test_compare_command_renders_the_notebook(tmp_path, fake_runs):
    import nbformat

    from lstm_helpers.cli import main

    f = write_sweep(
        tmp_path / "s.yaml",
        tmp_path / "data",
        grid={"windows.overlap_percent": [0, 50]},
        seeds=[1, 2],
    )
    out = tmp_path / "sweep"
    runner.run_sweep(f, out=out, html=False, progress=False)
    runs = resume.run_dirs_in(out)
    target = tmp_path / "cmp"
    assert main(["compare", str(runs[0]), str(runs[1]), str(out), "--out", str(target)]) == 0
    page = (target / "comparison.html").read_text()
    assert "Quality against training time" in page and "lw-sortable" in page
    assert "Times are wall seconds" in page and "<code>run_seconds</code>: " in page  # each timing column defined
    assert "display.open_comparison" not in page  # code hidden
    executed = nbformat.read(target / "04_compare.ipynb", as_version=4)
    images = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 2  # metric-vs-key and quality-vs-time figures
    assert page.count("data:image/png;base64") >= 2  # embedded in the page
    text = (target / "04_compare.ipynb").read_text()  # shared with the folder: names no one's directories
    assert str(target.resolve()) not in text and str(tmp_path.resolve()) not in text
    assert executed.metadata.papermill.input_path == "notebooks/04_compare.ipynb"
    assert len(pd.read_csv(target / "comparison.csv")) == 4


@pytest.mark.slow
def test_a_sweep_compared_with_other_runs_keeps_its_own_comparison(tmp_path, fake_runs, monkeypatch, capsys):
    """``compare <sweep> <runs elsewhere>`` wrote its comparison into the sweep's folder: the
    sweep's comparison.html / .csv then described other runs (another's best) while its
    slides.html and the reports index still told of its own. It goes to reports/comparisons/;
    the sweep's folder is refused as its --out (``compare <sweep>`` alone still draws it in place)."""
    from lstm_helpers.cli import EXIT_USER, main

    monkeypatch.chdir(tmp_path)
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"windows.overlap_percent": [0, 50]})
    out = tmp_path / "reports" / "sweeps" / "s"
    runner.run_sweep(f, out=out, html=False, progress=False)
    fake_run(plan.plan_sweep(f).runs[0].config.to_dict(), str(tmp_path / "reports" / "elsewhere"))
    before = dir_hashes(out)
    assert main(["compare", "reports/sweeps/s", "reports/elsewhere"]) == 0
    answer, *written = capsys.readouterr().out.splitlines()  # the page's answer, then the files
    assert answer.startswith("3 runs, 3 finished.") and "<" not in answer, answer
    assert dir_hashes(out) == before
    assert [Path(p).parent.parent.as_posix() for p in written] == ["reports/comparisons"] * 2, written
    assert len(pd.read_csv(written[0])) == 3
    assert main(["compare", "reports/sweeps/s", "reports/elsewhere", "--out", "reports/sweeps/s"]) == EXIT_USER
    err = capsys.readouterr().err
    assert "--out reports/sweeps/s holds a sweep's or search's own comparison" in err, err
    assert "(without --out it writes to reports/comparisons/compare-" in err and dir_hashes(out) == before


@pytest.mark.slow
def test_comparison_page_opens_with_the_answer_and_escapes_names(tmp_path, fake_runs):
    from lstm_helpers.cli import main

    out = make_evil(tmp_path, fake_runs)
    assert main(["compare", str(out)]) == 0  # renders into the sweep directory
    page = (out / "comparison.html").read_text()
    assert "04 · Compare" not in page  # the notebook's own header is left out
    body = page[page.index("<body") :]
    first = body.index("<h1")
    assert body[first : first + 200].count("Sweep s") == 1  # the page opens with the sweep
    assert body.index("Best by validation") < body.index("All runs")
    assert "<img src=x" not in page and "<script>alert(2)" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


# ============================================================================ real tiny sweeps
@pytest.fixture(scope="module")
def real_sweep(tmp_path_factory, tiny_demo_dir):
    """A 4-run sweep (2 overlaps x 2 seeds) with 2 local workers, logged to MLflow: started with
    the CLI in a child process, killed (SIGTERM) once two runs have finished, then re-run."""
    import signal
    import subprocess
    import sys

    tmp = tmp_path_factory.mktemp("sweep")
    f = write_sweep(tmp / "tiny.yaml", tiny_demo_dir, grid={"windows.overlap_percent": [0, 50]}, seeds=[1, 2])
    out, uri = tmp / "out", f"file://{tmp / 'mlruns'}"
    cli = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lstm_helpers",
            "sweep",
            str(f),
            "--workers",
            "2",
            "--out",
            str(out),
            "--mlflow",
            uri,
        ],
        cwd=str(ROOT),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    # Each run's status.json is the truth (sweep.json records a run only after its report is
    # written): kill once two runs have finished and a later one is training (not evaluating: a
    # tiny run's stage 03 can end between a poll and the kill, and once all four had finished
    # before the kill landed; not preparing: right after the first runs finish the sweep logs
    # them to MLflow, and a kill then left an empty meta.yaml). Runs of different sizes can
    # finish together, so two or three may have finished by then.
    def finished_now() -> list[Path]:
        return [d for d in resume.run_dirs_in(out) if resume.run_status(d).get("status") == "finished"]

    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and cli.poll() is None:
        done = finished_now()
        busy = [d for d in resume.run_dirs_in(out) if resume.run_status(d).get("stage") == "train"]
        if len(done) >= 2 and set(busy) - set(done):
            break
        time.sleep(0.2)
    running = cli.poll() is None
    cli.send_signal(signal.SIGTERM)
    log = cli.communicate(timeout=180)[0]
    assert running, f"the sweep ended before it could be stopped mid-run:\n{log}"
    finished = finished_now()
    unfinished = [d for d in resume.run_dirs_in(out) if d not in finished]
    assert len(finished) in (2, 3) and unfinished, (finished, log)
    hashes = {d.name: dir_hashes(d) for d in finished}
    states = {d.name: json.loads((d / "status.json").read_text())["status"] for d in unfinished}
    listed = pd.read_csv(SweepLayout(out).runs_csv)
    listed_states = dict(zip(listed["name"], listed["status"], strict=True))
    result = runner.run_sweep(f, workers=2, out=out, mlflow_uri=uri)
    return {
        "result": result,
        "out": out,
        "uri": uri,
        "killed_log": log,
        "finished_before": finished,
        "hashes_before": hashes,
        "unfinished_states": states,
        "listed_states": listed_states,
    }


@pytest.mark.slow
def test_real_sweep_with_two_workers(real_sweep):
    r = real_sweep["result"]
    assert (r["total"], r["done"], r["failed"]) == (4, 4, 0), r["runs"]
    table = pd.read_csv(r["comparison_csv"])
    assert len(table) == 4 and (table["status"] == "finished").all()
    for col in (
        "val_accuracy",
        "test_accuracy",
        "test_majority_baseline_accuracy",
        "val_pr_auc",
        "test_pr_auc",
        "n_params",
        "seconds_per_epoch",
        "total_seconds",
        "val_play_precision",
        "test_play_precision",
        "test_play_recall",
        "test_play_f1",
        "threshold",
    ):
        assert table[col].notna().all(), col
    assert set(table["windows.overlap_percent"]) == {0, 50} and set(table["seed"]) == {1, 2}
    for run_dir in table["run_dir"]:  # relative to the sweep's folder: it can be moved or shared
        run = Path(r["comparison_csv"]).parent / run_dir
        assert not Path(run_dir).is_absolute() and (run / "report.html").is_file() and (run / "model.keras").is_file()
    page = Path(r["comparison_html"]).read_text()
    assert "Mean ± std over seeds" in page and "Pareto front" in page and "Best by validation val_pr_auc" in page
    assert '<h2 id="Ranking">' in page
    assert "Search trials" not in page  # a sweep's page leaves the search section out
    assert "Times were taken 2 at a time, 1 thread(s), runs sharing the machine" in page  # 2 workers, 2 cores


@pytest.mark.slow
def test_ranking_is_unchanged_when_test_labels_are_shuffled(real_sweep, tmp_path):
    """Issue 9: selection never reads the test split. Copies of the sweep's real runs are
    re-evaluated with their test labels shuffled; test metrics move, the ranking does not."""
    import shutil

    import numpy as np

    from lstm_helpers.artifacts import load_npz, read_params, save_npz
    from lstm_helpers.config import resolve_config
    from lstm_helpers.judge.evaluation import run_evaluation

    copies = tmp_path / "copies"
    for d in resume.run_dirs_in(real_sweep["out"]):
        shutil.copytree(d, copies / d.name)
    before, meta = compare.comparison_table(compare.collect_runs([copies]))
    assert meta["rank_by"] == "val_pr_auc" and before["val_pr_auc"].notna().all()
    rng = np.random.default_rng(0)
    for d in resume.run_dirs_in(copies):
        arrays = load_npz(d / "prepared.npz")
        arrays["y_test"] = rng.permutation(arrays["y_test"])
        save_npz(d / "prepared.npz", arrays)
        run_evaluation(resolve_config(read_params(d)), d)
    after, meta_after = compare.comparison_table(compare.collect_runs([copies]))
    b, a = before.set_index("run"), after.set_index("run")
    assert not np.allclose(b["test_pr_auc"], a.loc[b.index, "test_pr_auc"])  # the shuffle reached test
    assert np.allclose(b["val_pr_auc"], a.loc[b.index, "val_pr_auc"])
    assert meta_after["rank_by"] == "val_pr_auc"
    rank = lambda t: list(t.sort_values(["val_pr_auc", "run"], ascending=[False, True])["run"])  # noqa: E731
    assert rank(before) == rank(after)
    best_before = display.Comparison(before, meta, copies).best()["run"]
    assert display.Comparison(after, meta_after, copies).best()["run"] == best_before


@pytest.mark.slow
def test_killed_sweep_reruns_only_the_missing_runs(real_sweep):
    assert "interrupted" in real_sweep["killed_log"]
    # what the kill left: runs not finished (running, or interrupted)
    assert real_sweep["unfinished_states"]
    assert set(real_sweep["unfinished_states"].values()) <= {"running", "interrupted"}
    # runs.csv / sweep.json say so too (the runs in flight were listed as pending)
    listed = real_sweep["listed_states"]
    assert all(listed[d.name] == "finished" for d in real_sweep["finished_before"]), listed
    assert all(listed[name] == "interrupted" for name in real_sweep["unfinished_states"]), listed
    r = real_sweep["result"]
    assert r["skipped"] == len(real_sweep["finished_before"]) and r["done"] == 4
    skipped = {Path(x["run_dir"]).name for x in r["runs"] if x["skipped"]}
    assert skipped == {d.name for d in real_sweep["finished_before"]}
    # finished runs are byte-identical after the re-run
    assert {d.name: dir_hashes(d) for d in real_sweep["finished_before"]} == real_sweep["hashes_before"]
    # the stopped runs continued in their own directories (training from its last epoch), not set aside
    attempts = SweepLayout(real_sweep["out"]).attempts
    assert not attempts.exists() or not any(attempts.iterdir())
    assert {Path(x["run_dir"]).name for x in r["runs"] if not x["skipped"]} == set(real_sweep["unfinished_states"])


@pytest.mark.slow
def test_real_sweep_logged_to_mlflow(real_sweep):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=real_sweep["uri"])
    exp = client.get_experiment_by_name(real_sweep["result"]["sweep_id"])
    runs = client.search_runs([exp.experiment_id])
    finished = [x for x in runs if x.data.tags.get("status") == "finished"]
    assert len(finished) == 4  # those the killed process logged, the re-run's, and any finished in between
    one = finished[0]
    assert one.data.params["windows.overlap_percent"] in {"0", "50", "0.0", "50.0"}
    assert "metrics.pr_auc" in one.data.metrics and "train.n_params" in one.data.metrics
    assert [a.path for a in client.list_artifacts(one.info.run_id)] == ["report.html"]


@pytest.mark.slow
def test_dask_sweep_reports_a_failing_run_and_finishes_the_other(tmp_path, tiny_demo_dir):
    distributed = pytest.importorskip("distributed")

    f = write_sweep(tmp_path / "dask.yaml", tiny_demo_dir, grid={"windows.length": [24, 5000]})
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        result = runner.run_sweep(f, scheduler=client, out=tmp_path / "out", html=False)
    assert (result["total"], result["done"], result["failed"]) == (2, 1, 1)
    bad = next(r for r in result["runs"] if r["status"] == "failed")
    # a Dask sweep leaves the input check to each run: refused before its stage 01 started
    assert "DataError" in bad["reason"] and "shorter than one window" in bad["reason"]
    table = pd.read_csv(result["comparison_csv"])
    assert len(table) == 2
    assert table.set_index("windows.length").loc[5000, "reason"] == bad["reason"]
    assert table.set_index("windows.length").loc[24, "status"] == "finished"


# ============================================================================ optional extras
@pytest.mark.parametrize(
    "module, kwargs, extra",
    [
        ("mlflow", {"mlflow_uri": "file:///tmp/mlruns"}, "tracking"),
        ("distributed", {"scheduler": "tcp://127.0.0.1:1"}, "dask"),
    ],
)
def test_a_missing_extra_is_named_before_anything_runs(tmp_path, monkeypatch, module, kwargs, extra):
    monkeypatch.setitem(sys.modules, module, None)  # import fails as if it were not installed
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"windows.overlap_percent": [0, 50]})
    with pytest.raises(ConfigError, match=rf"install the {extra} extra: pip install -e '\.\[{extra}\]'"):
        runner.run_sweep(f, out=tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()


def test_the_answer_says_when_the_minirocket_baseline_beats_the_best_run(tmp_path, fake_runs):
    """The page named the best run and never said the baseline beat it (its figures were two
    columns at the far right of the table): users must see at once whether the LSTM earns its keep."""
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"windows.overlap_percent": [0, 50]})
    out = tmp_path / "sweep"
    runner.run_sweep(f, out=out, html=False, progress=False)
    c = display.open_comparison(out)
    best = c.best()
    # validation holds 10 windows of 'play' (fake_run): its PR-AUC resolves about ±0.3, so the gaps
    # that are verdicts are wide ones (tests/test_baseline_verdict.py: one within it is level)
    for gap, said in ((0.4, "ahead of the best run by 0.400 on validation, beyond what 100 validation windows"),
                      (-0.4, "behind the best run by 0.400 on validation, beyond what")):  # fmt: skip
        c.table["val_baseline_pr_auc"] = best["val_pr_auc"] + gap
        c.table["test_baseline_pr_auc"] = 0.7
        head = display.headline(c).data
        assert "The MiniRocket baseline (fitted on the same training windows" in head, head
        assert said in head and "; on test 0.700" in head, head
        assert ("</b>: the LSTM does not earn its keep" in head) == (gap > 0), head
        assert "val_<wbr>baseline_<wbr>pr_auc" in display.ranking(c).data  # beside each run in the ranking
    # a gap of 0.0002 read "behind the best run by 0.000"; another run's stronger baseline went unsaid
    c.table["val_baseline_pr_auc"] = best["val_pr_auc"] - 0.0002
    c.table.loc[c.table["run"] != best["run"], "val_baseline_pr_auc"] = best["val_pr_auc"] + 0.4
    head = display.headline(c).data
    assert "level with the best run" in head and "behind the best run by 0.000" not in head, head
    assert "Another run's baseline, on windows of its own, scores val_pr_auc" in head, head
    c.table = c.table.drop(columns=["val_baseline_pr_auc", "test_baseline_pr_auc"])  # evaluate.baseline: none
    assert "MiniRocket" not in display.headline(c).data


def test_a_stop_during_mlflow_logging_waits_for_the_log_to_be_written():
    """SIGTERM / Ctrl-C while the sweep logged a run to MLflow's file store cut the write of
    its meta.yaml short (an empty file that breaks every later search of the experiment): the
    signal is held until the logging ends, then stops the sweep; a second one stops at once."""
    import os
    import signal

    before = signal.signal(signal.SIGTERM, runner._interrupt)
    try:
        written = []
        with pytest.raises(KeyboardInterrupt):
            with runner.held_signals():
                os.kill(os.getpid(), signal.SIGTERM)
                written.append("meta.yaml")  # the rest of the write still happens
        assert written == ["meta.yaml"]
        assert signal.getsignal(signal.SIGTERM) is runner._interrupt  # handlers back as they were
        reached = []
        with pytest.raises(KeyboardInterrupt):
            with runner.held_signals():
                os.kill(os.getpid(), signal.SIGTERM)
                os.kill(os.getpid(), signal.SIGINT)  # a second stop does not wait
                reached.append(True)
        assert reached == []
    finally:
        signal.signal(signal.SIGTERM, before)


def test_a_sweep_stopped_while_it_logs_to_mlflow_leaves_a_readable_store(tmp_path, fake_runs, monkeypatch):
    """The stop lands in the middle of the first run's MLflow logging: that run is still
    logged whole, the sweep then stops, and the store reads back (and resumes) without error."""
    import os
    import signal

    from mlflow.tracking import MlflowClient

    from lstm_helpers.experiments import tracking

    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"windows.overlap_percent": [0, 50]}, seeds=[1])
    out, uri = tmp_path / "sweep", f"file://{tmp_path / 'mlruns'}"
    real_log = tracking.log_run_to_mlflow

    def stopped_midway(run_dir, *args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)  # `kill PID` of the sweep, mid-write
        return real_log(run_dir, *args, **kwargs)

    monkeypatch.setattr(tracking, "log_run_to_mlflow", stopped_midway)
    with pytest.raises(KeyboardInterrupt):
        runner.run_sweep(f, workers=1, out=out, html=False, progress=False, mlflow_uri=uri)
    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name(plan.plan_sweep(f).sweep_id)
    logged = client.search_runs([exp.experiment_id])
    assert [r.info.status for r in logged] == ["FINISHED"]
    monkeypatch.setattr(tracking, "log_run_to_mlflow", real_log)
    result = runner.run_sweep(f, workers=1, out=out, html=False, progress=False, mlflow_uri=uri)
    assert result["done"] == 2 and len(client.search_runs([exp.experiment_id])) == 2


def test_runs_of_two_sweeps_are_not_headed_by_one_sweeps_description(tmp_path, fake_runs):
    """``compare`` of runs from two sweeps headed the page with the first sweep's title and
    description, as if the other's runs belonged to it."""
    outs = []
    for name, text in (("a", "focal gamma x overlap"), ("b", "windows")):
        f = write_sweep(
            tmp_path / f"{name}.yaml", tmp_path / "data", grid={"windows.overlap_percent": [0, 50]}, description=text
        )
        outs.append(tmp_path / name)
        runner.run_sweep(f, out=outs[-1], html=False, progress=False)
    one = compare.comparison_table(compare.collect_runs([outs[0]]))[1]
    assert one["description"] == "focal gamma x overlap"
    both = compare.comparison_table(compare.collect_runs(outs))[1]
    assert both["description"] is None and both["title"] is None


def test_a_comparison_says_when_its_runs_were_timed_several_at_a_time(tmp_path):
    """A sweep's runs are timed two at a time with one thread each; their reports said
    "2 logical cores" and the comparison put their seconds beside runs timed alone unsaid."""
    from lstm_helpers.experiments.timing_note import parallel_note_html

    fin = pd.DataFrame({"run": ["a", "b"], "timed_with": ["2 at a time, 1 thread(s)"] * 2})
    assert "Times were taken 2 at a time, 1 thread(s), runs sharing the machine" in parallel_note_html(fin)
    mixed = fin.assign(timed_with=["2 at a time, 1 thread(s)", "1 at a time, all thread(s)"])
    assert "under different conditions (1 at a time, all thread(s); 2 at a time, 1 thread(s))" in parallel_note_html(
        mixed
    )
    assert parallel_note_html(fin.assign(timed_with="1 at a time, all thread(s)")) == ""
    assert parallel_note_html(fin.drop(columns="timed_with")) == ""


def test_a_sweep_started_with_sigint_ignored_still_stops_on_sigint(tmp_path):
    """A sweep started as a script's background job (SIGINT ignored, as shells start those) ran
    all of its runs to the end after ``kill -INT``; ``run`` installs its own handler and stopped."""
    import signal
    import subprocess
    import sys

    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"windows.overlap_percent": [0, 50]})
    code = (
        "import sys, time\n"
        "from lstm_helpers.experiments import runner\n"
        "def slow(*args, **kwargs):\n"
        "    print('running', flush=True)\n"
        "    time.sleep(15)  # a real run's kernel is killed at the stop; this one ends by itself\n"
        "    return {'status': 'finished', 'reason': None, 'seconds': 15, 'run_dir': args[1]}\n"
        "runner.execute_run = slow\n"
        "try:\n"
        "    runner.run_sweep(sys.argv[1], out=sys.argv[2], html=False, progress=False)\n"
        "except KeyboardInterrupt:\n"
        "    print('stopped', flush=True)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(f), str(tmp_path / "out")], stdout=subprocess.PIPE, text=True, cwd=ROOT,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )  # fmt: skip
    try:
        assert proc.stdout.readline().strip() == "running"
        proc.send_signal(signal.SIGINT)
        out = proc.communicate(timeout=120)[0]
        assert "stopped" in out and out.count("running") == 0, out  # the second run never started
    finally:
        proc.kill()


def test_a_sweep_folder_moved_elsewhere_still_compares_and_its_tables_name_no_absolute_path(tmp_path, fake_runs):
    import shutil

    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"windows.overlap_percent": [0, 50]})
    out = tmp_path / "sweep"
    runner.run_sweep(f, out=out, html=False, progress=False)
    for name in ("runs.csv", "comparison.csv"):
        dirs = pd.read_csv(out / name)["run_dir"].tolist()
        assert sorted(dirs) == sorted(d.name for d in resume.run_dirs_in(out)), name  # relative to the sweep
    moved = tmp_path / "shared" / "sweep"
    shutil.move(str(out), str(moved))
    records = resume.records_from_sweep(moved)
    assert all(Path(r["run_dir"]).parent == moved.resolve() for r in records)
    table, _ = compare.comparison_table(compare.collect_runs([moved]))
    assert table["val_pr_auc"].notna().all() and len(table) == 2  # each run's metrics found where it now is
    c = display.open_comparison(moved)
    assert all(Path(d).parent == moved.resolve() for d in c.table["run_dir"])


def test_a_character_models_class_columns_are_named_with_visible_names(tmp_path):
    """comparison.csv's heads of a space and a newline class read 'val_ _precision' and one
    broken across two lines of the file; the slides and a reference's figures read the same names."""
    from lstm_helpers.experiments.references import ReferenceSpec
    from lstm_helpers.runs.slides import _before_after

    classes, records = ["<pad>", "<unk>", " ", "\n", "e"], []
    for seed in (1, 2):
        d = tmp_path / f"run{seed}"
        d.mkdir()
        write_yaml(d / "params.yaml", {"seed": seed, "data": {"kind": "text"}})
        write_json(d / "status.json", {"status": "finished"})
        per_class = {c: {"precision": 0.5, "recall": 0.25, "f1": 0.3} for c in classes[1:]}
        write_json(d / "metrics.json", {"classes": classes, "per_class": per_class, "accuracy": 0.4,
                                        "val": {"per_class": per_class, "balanced_accuracy": 0.3}})  # fmt: skip
        records.append({"run_dir": str(d)})
    csv, _ = compare.write_comparison(tmp_path / "cmp", records, html_report=False)
    head = csv.read_text(encoding="utf-8").splitlines()[0]  # one line of heads
    assert "val_␣_precision" in head and "test_↵_recall" in head and "val_e_f1" in head
    assert " _" not in head and '"' not in head  # no blank class name, nothing quoted
    table, meta = compare.read_comparison(tmp_path / "cmp")
    assert table["test_␣_f1"].tolist() == [0.3, 0.3]
    meta = {**meta, "named_classes": True, "classes": [" "]}  # the slides' class of interest: its columns found
    assert "␣ precision" in _before_after(table, meta)
    ref = ReferenceSpec.model_validate({"name": "earlier", "classes": {" ": {"f1": 0.4}}})  # the space class's
    assert ref.figures() == {"test_␣_f1": 0.4}  # type: ignore[attr-defined]  # in the runs' column


@pytest.mark.parametrize("delay", [0.0, 0.5])
def test_a_stop_the_kernel_hands_to_a_worker_thread_is_acted_on_at_once(tmp_path, delay):
    """A process-directed SIGINT may land in any thread; caught in a worker's, Python acts on it
    only when the main thread next runs, and the main thread waited up to 30 s for a result:
    Ctrl-C then waited for the run in flight to end (and the next one started). ``delay`` 0: the
    signal comes while the main thread still starts the workers (outside the block that stops them)."""

    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"windows.overlap_percent": [0, 50]})
    code = (
        "import signal, sys, threading, time\n"
        "from lstm_helpers.experiments import runner\n"
        "def slow(*args, **kwargs):\n"
        "    print('running', flush=True)\n"
        f"    time.sleep({delay})\n"
        "    signal.pthread_kill(threading.get_ident(), signal.SIGINT)  # delivered to this worker thread\n"
        "    time.sleep(8)\n"
        "    return {'status': 'finished', 'reason': None, 'seconds': 8, 'run_dir': args[1]}\n"
        "runner.execute_run = slow\n"
        "try:\n"
        "    runner.run_sweep(sys.argv[1], out=sys.argv[2], html=False, progress=True)\n"
        "except KeyboardInterrupt:\n"
        "    print('stopped', flush=True)\n"
    )
    proc = _child(code, f, tmp_path / "out")
    try:
        took = _seconds_from_running_to(proc, lambda line: line.startswith("[sweep] interrupted"))
        assert took < 4, "the stop waited for the run in flight"
        out = proc.communicate(timeout=120)[0]
        assert "stopped" in out and "running" not in out, out  # the second run never started
    finally:
        proc.kill()


@pytest.mark.slow
def test_a_stop_caught_by_a_dask_thread_is_acted_on_at_once(tmp_path):
    """A Dask sweep's main thread waited up to 30 s for a result (the progress interval): a
    Ctrl-C that landed in another thread (Dask's own, a task's) waited that long, the run in flight
    ending meanwhile. Tasks run in threads here (``processes=False``), the signal in one of them."""

    pytest.importorskip("distributed")
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"windows.overlap_percent": [0, 50]})
    code = (
        "import signal, sys, threading, time\n"
        "import distributed\n"
        "from lstm_helpers.experiments import dask_runs, runner\n"
        "def slow(*args, **kwargs):\n"
        "    print('running', flush=True)\n"
        "    signal.pthread_kill(threading.get_ident(), signal.SIGINT)  # delivered to this task's thread\n"
        "    time.sleep(8)\n"
        "    return {'status': 'finished', 'reason': None, 'seconds': 8, 'run_dir': args[1]}\n"
        "dask_runs.run_in_subprocess = slow\n"
        "with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,\n"
        "                              dashboard_address=None) as cluster, distributed.Client(cluster) as client:\n"
        "    try:\n"
        "        runner.run_sweep(sys.argv[1], scheduler=client, out=sys.argv[2], html=False, progress=False)\n"
        "    except KeyboardInterrupt:\n"
        "        print('stopped', flush=True)\n"
    )
    proc = _child(code, f, tmp_path / "out")
    try:
        took = _seconds_from_running_to(proc, lambda line: line.strip() == "stopped")
        assert took < 4, "the stop waited for the run in flight"
    finally:
        proc.kill()


def _child(code: str, *args: object) -> subprocess.Popen:
    """``python -c code args`` in the project, its stdout read line by line."""
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], stdout=subprocess.PIPE, text=True, cwd=ROOT)


def _seconds_from_running_to(proc: subprocess.Popen, seen) -> float:
    """Seconds from the child's ``running`` line (its run started) to the first line ``seen`` accepts."""
    line = ""
    while line.strip() != "running":
        line = proc.stdout.readline()
        assert line, "the sweep ended before its run started"
    started = time.monotonic()
    while not seen(line):
        line = proc.stdout.readline()
        assert line, "the awaited line never came"
    return time.monotonic() - started


def test_a_long_sequence_tables_sweep_is_not_checked_as_windows(tmp_path):
    """Sequences read from a long table (data.sequence_column) are cases, never windows: the
    sweep's plan refused their conv pools by windows.length, which such runs do not read."""
    from lstm_helpers.config import resolve_config

    blocks = [{"filters": 4, "kernel_size": 3, "pool": 8}, {"filters": 4, "kernel_size": 3, "pool": 8}]
    over = {"data.kind": "table", "data.sequence_column": "seq_id", "windows.length": 8, "windows.length_seconds": None}
    cfg = resolve_config({}, over | {"model.conv": blocks, "model.architecture": "as_set"})
    plan._check_pooling(cfg, "sweep file s.yaml: run 1")  # padded cases: their length is data.pad_length's
    with pytest.raises(ConfigError, match="shrinks the 32-step window"):  # data.pad_length = 32
        plan._check_pooling(
            resolve_config({}, over | {"model.conv": blocks, "model.architecture": "as_set", "data.pad_length": 32}),
            "run 1",
        )
