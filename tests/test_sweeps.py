"""Sweeps: grid expansion and validation, resume bookkeeping, comparison table, and real tiny
sweeps (2 local workers, a Dask LocalCluster) that train real models."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import TINY

from lstm_helpers.artifacts import write_json, write_yaml
from lstm_helpers.config import ConfigError
from lstm_helpers.experiments import sweeps

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "configs" / "demo.yaml"
TINY_SET = dict(TINY)


def write_sweep(path: Path, data_dir: Path | str, **spec) -> Path:
    body = {"base": str(DEMO), **spec}
    body["set"] = {**TINY_SET, **spec.get("set", {}), "data.path": str(data_dir)}
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


def dir_hashes(d: Path) -> dict[str, str]:
    return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(d.rglob("*")) if p.is_file()}


# ============================================================================ planning
def test_plan_expands_variants_grid_and_seeds(tmp_path):
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data",
                    grid={"windows.overlap_percent": [0, 50], "resample.method": ["class_weight", "smote"]},
                    variants=[{"name": "before", "set": {"model.units": [16, 8]}},
                              {"name": "after", "set": {"model.units": [8]}}],
                    seeds=[1, 2])
    sweep = sweeps.plan_sweep(f)
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


def test_sweep_id_is_stable_and_follows_the_run_list(tmp_path):
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"windows.overlap_percent": [0, 50]})
    a, b = sweeps.plan_sweep(f), sweeps.plan_sweep(f)
    assert a.sweep_id == b.sweep_id and a.sweep_id.startswith("s-")
    assert sweeps.plan_sweep(f, ["train.epochs=2"]).sweep_id != a.sweep_id
    f2 = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"windows.overlap_percent": [0, 25]})
    assert sweeps.plan_sweep(f2).sweep_id != a.sweep_id


def test_seeds_default_to_the_config_seed_and_base_is_relative(tmp_path):
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "run.yaml").write_text(yaml.safe_dump({"seed": 7, "data": {"demo": False}}))
    (tmp_path / "cfg" / "sweep.yaml").write_text(yaml.safe_dump({"base": "run.yaml",
                                                                "grid": {"train.epochs": [1, 2]}}))
    sweep = sweeps.plan_sweep(tmp_path / "cfg" / "sweep.yaml")
    assert [r.seed for r in sweep.runs] == [7, 7] and [r.config.train.epochs for r in sweep.runs] == [1, 2]


@pytest.mark.parametrize("spec, message", [
    ({"grids": {"train.epochs": [1]}}, "unknown key 'grids'"),
    ({"grid": {"train.epochs": []}}, "lists no values"),
    ({"grid": {"train.epochs": 3}}, "grid.train.epochs"),
    ({"seeds": [1, 1]}, "seeds"),
    ({"variants": [{"name": "a"}, {"name": "a"}]}, "unique"),
    ({"variants": [{"name": "a", "sett": {}}]}, "variants.0.sett"),
    ({"base": "missing.yaml"}, "missing.yaml"),
])
def test_malformed_sweep_files_are_refused(tmp_path, spec, message):
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", **spec)
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        sweeps.plan_sweep(f)


def test_invalid_grid_key_is_refused_before_any_run_starts(tmp_path):
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data",
                    grid={"windows.overlap_percent": [0, 50], "model.unitz": [[8], [16]]})
    out = tmp_path / "sweep"
    with pytest.raises(ConfigError, match="model.unitz") as err:
        sweeps.run_sweep(f, workers=2, out=out)
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
        sweeps.plan_sweep(f)
    # each value valid alone, the combination not (dropout list of 2 for a 1-layer model)
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", set={**TINY_SET, "model.units": [8, 8]},
                    grid={"model.units": [[8], [8, 8]], "model.dropout": [[0.1, 0.1]]})
    with pytest.raises(ConfigError, match=r"run \(model.units=\[8\], model.dropout=\[0.1, 0.1\]"):
        sweeps.plan_sweep(f)


def test_overrides_of_swept_keys_and_duplicate_runs_are_refused(tmp_path):
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"train.epochs": [1, 2]})
    with pytest.raises(ConfigError, match="--set train.epochs would overwrite swept values"):
        sweeps.plan_sweep(f, ["train.epochs=3"])
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"train.epochs": [1, 1]})
    with pytest.raises(ConfigError, match="identical parameters"):
        sweeps.plan_sweep(f)


def test_thread_pools_are_sized_to_the_workers():
    assert sweeps.threads_per_run(1, cores=8) == 8
    assert sweeps.threads_per_run(2, cores=8) == 4
    assert sweeps.threads_per_run(4, cores=2) == 1
    env = sweeps.thread_environment(3)
    assert env == {"TF_NUM_INTRAOP_THREADS": "3", "TF_NUM_INTEROP_THREADS": "3", "OMP_NUM_THREADS": "3"}
    assert sweeps.thread_environment(None) == {}


def test_tensorflow_honours_the_thread_variables():
    """The child process of a run gets these variables; TensorFlow must read them."""
    import subprocess
    import sys

    code = ("import tensorflow as tf, os\n"
            "tf.constant(1.0) + 1\n"
            "print(len(os.listdir('/proc/self/task')))\n")
    counts = {}
    for threads in (1, 8):
        env = {**os.environ, **sweeps.thread_environment(threads), "TF_CPP_MIN_LOG_LEVEL": "3"}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        counts[threads] = int(out.stdout.split()[-1])
    assert counts[1] < counts[8], counts  # more intra/inter-op threads started with 8


def test_pareto_front():
    t = [10, 20, 30, 15, 40]
    q = [0.5, 0.7, 0.69, 0.4, 0.9]
    assert sweeps.pareto_front(t, q).tolist() == [True, True, False, False, True]
    assert sweeps.pareto_front([1, float("nan")], [0.5, 0.9]).tolist() == [True, False]


# ============================================================================ fake runs: resume logic
def fake_run(params, run_dir, threads=None):
    """Stands in for a real run: writes what a finished (or failed) run leaves behind."""
    from lstm_helpers.config import resolve_config

    cfg = resolve_config(params)
    d = Path(run_dir)
    d.mkdir(parents=True, exist_ok=True)
    write_yaml(d / "params.yaml", cfg.to_dict())
    if cfg.windows.length > 1000:
        write_json(d / "status.json", {"status": "failed", "fingerprint": cfg.fingerprint(),
                                       "reason": "prepare failed: DataError: recordings shorter than one window"})
        return {"status": "failed", "reason": "prepare failed: DataError", "seconds": 0.1, "run_dir": run_dir}
    score = 0.5 + cfg.windows.overlap_percent / 1000 + cfg.seed / 100
    write_json(d / "train.json", {"model_name": "lstm_lay1_sz8_d8", "n_params": 500, "epochs_run": 1,
                                  "seconds_per_epoch_mean": 0.5 + cfg.seed / 10, "total_seconds": 2.0 + cfg.seed})
    write_json(d / "metrics.json", {
        "accuracy": score, "majority_baseline_accuracy": 0.8, "balanced_accuracy": score, "mcc": score - 0.4,
        "pr_auc": score, "roc_auc": score, "threshold": 0.4, "classes": ["other", "play"],
        "classes_of_interest": ["play"],
        "per_class": {"play": {"precision": 0.4, "recall": 0.6, "f1": 0.48, "support": 10},
                      "other": {"precision": 0.9, "recall": 0.8, "f1": 0.85, "support": 90}},
        "bouts": {"play": {"bout_recall": 0.5, "bout_precision": 0.25}},
    })
    write_json(d / "status.json", {"status": "finished", "fingerprint": cfg.fingerprint(), "seconds": 3.0})
    return {"status": "finished", "reason": None, "seconds": 3.0, "run_dir": run_dir}


@pytest.fixture
def fake_runs(monkeypatch):
    calls = []

    def fake(params, run_dir, threads=None):
        calls.append(Path(run_dir).name)
        return fake_run(params, run_dir, threads)

    monkeypatch.setattr(sweeps, "run_in_subprocess", fake)
    return calls


def test_resume_skips_finished_reruns_interrupted_and_failed(tmp_path, fake_runs, capsys):
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data",
                    grid={"windows.overlap_percent": [0, 50], "windows.length": [24, 5000]}, seeds=[1])
    out = tmp_path / "sweep"
    first = sweeps.run_sweep(f, workers=2, out=out, html=False)
    assert (first["total"], first["done"], first["failed"]) == (4, 2, 2)
    assert "ETA" in capsys.readouterr().out
    by_status = {r["status"] for r in first["runs"]}
    assert by_status == {"finished", "failed"}
    failed = [r for r in first["runs"] if r["status"] == "failed"]
    assert all("DataError" in r["reason"] for r in failed)
    finished = [Path(r["run_dir"]) for r in first["runs"] if r["status"] == "finished"]
    # simulate a kill: one finished run looks interrupted (status running, half its files)
    interrupted = finished[1]
    write_json(interrupted / "status.json", {"status": "running", "fingerprint": json.loads(
        (interrupted / "status.json").read_text())["fingerprint"], "stage": "train"})
    (interrupted / "metrics.json").unlink()
    kept = dir_hashes(finished[0])

    fake_runs.clear()
    second = sweeps.run_sweep(f, workers=2, out=out, html=False)
    # only the interrupted run and the two failed ones ran again
    assert sorted(fake_runs) == sorted([interrupted.name] + [Path(r["run_dir"]).name for r in failed])
    assert dir_hashes(finished[0]) == kept  # byte-identical
    assert second["skipped"] == 1 and second["done"] == 2 and second["failed"] == 2
    attempts = sorted(p.name for p in (out / sweeps.ATTEMPTS_DIR).iterdir())
    assert len(attempts) == 3 and any(a.startswith(interrupted.name) for a in attempts)

    runs_csv = pd.read_csv(out / "runs.csv")
    assert len(runs_csv) == 4 and set(runs_csv["status"]) == {"finished", "failed"}
    assert runs_csv.loc[runs_csv["status"] == "failed", "reason"].str.contains("DataError").all()
    table = pd.read_csv(out / "comparison.csv")
    assert len(table) == 4
    assert {"windows.overlap_percent", "windows.length", "pr_auc", "play_precision", "play_bout_recall",
            "majority_baseline_accuracy", "seconds_per_epoch", "status", "reason"} <= set(table.columns)
    assert table.loc[table["status"] == "failed", "pr_auc"].isna().all()


def test_a_running_sweep_is_not_run_twice(tmp_path, fake_runs):
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"windows.overlap_percent": [0, 50]})
    out = tmp_path / "sweep"
    out.mkdir()
    (out / sweeps.LOCK_FILE).write_text(f"{os.getppid()}\n")  # a live process holds it
    with pytest.raises(sweeps.SweepLocked, match="is being run by process"):
        sweeps.run_sweep(f, out=out, html=False)
    (out / sweeps.LOCK_FILE).write_text("999999999\n")  # stale lock of a dead process
    assert sweeps.run_sweep(f, out=out, html=False, progress=False)["done"] == 2


def test_comparison_of_run_dirs_and_sweep_dirs(tmp_path, fake_runs):
    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data",
                    grid={"windows.overlap_percent": [0, 50]},
                    variants=[{"name": "before", "set": {"train.learning_rate": 0.01}},
                              {"name": "after", "set": {"train.learning_rate": 0.001}}], seeds=[1, 2])
    out = tmp_path / "sweep"
    sweeps.run_sweep(f, out=out, html=False, progress=False)
    table, meta = sweeps.comparison_table(sweeps.collect_runs([out]))
    assert len(table) == 8 and meta["keys"] == ["windows.overlap_percent"]
    assert set(table["variant"]) == {"before", "after"} and set(table["seed"]) == {1, 2}
    assert meta["quality_metric"] == "pr_auc" and meta["classes"] == ["play"]
    # any set of run dirs: the differing parameters become the key columns
    some = [Path(p) for p in table["run_dir"][:3]]
    t2, m2 = sweeps.comparison_table(sweeps.collect_runs(some))
    assert len(t2) == 3 and "windows.overlap_percent" in m2["keys"]
    with pytest.raises(FileNotFoundError, match="not a directory"):
        sweeps.collect_runs([tmp_path / "nope"])
    c = sweeps.Comparison(table, meta, out)
    assert sweeps.seed_summary(c) is not None
    assert list(sweeps.variant_table(c).columns) == ["before", "after", "change (after − before)"]
    fig = sweeps.plot_metric_vs_keys(c)
    assert len(fig.axes) == 3 * 2  # 3 metrics x (variant, overlap)
    assert len(sweeps.plot_quality_vs_time(c).axes) == 1
    html = sweeps.sortable_table(table).data
    assert "lw-sortable" in html and "addEventListener" in html and "http" not in html.split("<script>")[1]


@pytest.mark.slow
def test_compare_command_renders_the_notebook(tmp_path, fake_runs):
    import nbformat

    from lstm_helpers.cli import main

    f = write_sweep(tmp_path / "s.yaml", tmp_path / "data", grid={"windows.overlap_percent": [0, 50]},
                    seeds=[1, 2])
    out = tmp_path / "sweep"
    sweeps.run_sweep(f, out=out, html=False, progress=False)
    runs = sweeps.run_dirs_in(out)
    target = tmp_path / "cmp"
    assert main(["compare", str(runs[0]), str(runs[1]), str(out), "--out", str(target)]) == 0
    page = (target / "comparison.html").read_text()
    assert "Quality against training time" in page and "lw-sortable" in page
    assert "sweeps.open_comparison" not in page  # code hidden
    executed = nbformat.read(target / "04_compare.ipynb", as_version=4)
    images = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 2  # metric-vs-key and quality-vs-time figures
    assert page.count("data:image/png;base64") >= 2  # embedded in the page
    assert len(pd.read_csv(target / "comparison.csv")) == 4


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
    cli = subprocess.Popen([sys.executable, "-m", "lstm_helpers", "sweep", str(f), "--workers", "2",
                            "--out", str(out), "--mlflow", uri], cwd=str(ROOT),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    finished: list[Path] = []
    deadline = time.monotonic() + 400
    while time.monotonic() < deadline and cli.poll() is None:
        if (out / "sweep.json").is_file():
            try:
                runs = json.loads((out / "sweep.json").read_text())["runs"]
            except json.JSONDecodeError:
                runs = []
            finished = [Path(r["run_dir"]) for r in runs if r["status"] == "finished"]
            started = [d for d in sweeps.run_dirs_in(out) if d not in finished
                       and sweeps._status(d).get("stage") in ("train", "evaluate")]
            if len(finished) >= 2 and started:  # kill while a later run is training
                break
        time.sleep(0.5)
    cli.send_signal(signal.SIGTERM)
    log = cli.communicate(timeout=120)[0]
    assert len(finished) == 2, log
    hashes = {d.name: dir_hashes(d) for d in finished}
    unfinished = [d for d in sweeps.run_dirs_in(out) if d not in finished]
    states = {d.name: json.loads((d / "status.json").read_text())["status"] for d in unfinished}
    result = sweeps.run_sweep(f, workers=2, out=out, mlflow_uri=uri)
    return {"result": result, "out": out, "uri": uri, "killed_log": log, "finished_before": finished,
            "hashes_before": hashes, "unfinished_states": states}


@pytest.mark.slow
def test_real_sweep_with_two_workers(real_sweep):
    r = real_sweep["result"]
    assert (r["total"], r["done"], r["failed"]) == (4, 4, 0), r["runs"]
    table = pd.read_csv(r["comparison_csv"])
    assert len(table) == 4 and (table["status"] == "finished").all()
    for col in ("accuracy", "majority_baseline_accuracy", "pr_auc", "n_params", "seconds_per_epoch",
                "total_seconds", "play_precision", "play_recall", "play_f1", "threshold"):
        assert table[col].notna().all(), col
    assert set(table["windows.overlap_percent"]) == {0, 50} and set(table["seed"]) == {1, 2}
    for run_dir in table["run_dir"]:
        assert (Path(run_dir) / "report.html").is_file() and (Path(run_dir) / "model.keras").is_file()
    page = Path(r["comparison_html"]).read_text()
    assert "Mean ± std over seeds" in page and "Pareto front" in page


@pytest.mark.slow
def test_killed_sweep_reruns_only_the_missing_runs(real_sweep):
    assert "interrupted" in real_sweep["killed_log"]
    # what the kill left: two runs not finished (running, or failed as interrupted)
    assert real_sweep["unfinished_states"]
    assert set(real_sweep["unfinished_states"].values()) <= {"running", "failed"}
    r = real_sweep["result"]
    assert r["skipped"] == 2 and r["done"] == 4
    skipped = {Path(x["run_dir"]).name for x in r["runs"] if x["skipped"]}
    assert skipped == {d.name for d in real_sweep["finished_before"]}
    # finished runs are byte-identical after the re-run
    assert {d.name: dir_hashes(d) for d in real_sweep["finished_before"]} == real_sweep["hashes_before"]
    attempts = {p.name.split(".")[0] for p in (real_sweep["out"] / sweeps.ATTEMPTS_DIR).iterdir()}
    assert attempts == set(real_sweep["unfinished_states"])


@pytest.mark.slow
def test_real_sweep_logged_to_mlflow(real_sweep):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=real_sweep["uri"])
    exp = client.get_experiment_by_name(real_sweep["result"]["sweep_id"])
    runs = client.search_runs([exp.experiment_id])
    finished = [x for x in runs if x.data.tags.get("status") == "finished"]
    assert len(finished) == 4  # two from the killed process, two from the re-run
    one = finished[0]
    assert one.data.params["windows.overlap_percent"] in {"0", "50", "0.0", "50.0"}
    assert "metrics.pr_auc" in one.data.metrics and "train.n_params" in one.data.metrics
    assert [a.path for a in client.list_artifacts(one.info.run_id)] == ["report.html"]


@pytest.mark.slow
def test_dask_sweep_reports_a_failing_run_and_finishes_the_other(tmp_path, tiny_demo_dir):
    distributed = pytest.importorskip("distributed")

    f = write_sweep(tmp_path / "dask.yaml", tiny_demo_dir, grid={"windows.length": [24, 5000]})
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        result = sweeps.run_sweep(f, scheduler=client, out=tmp_path / "out", html=False)
    assert (result["total"], result["done"], result["failed"]) == (2, 1, 1)
    bad = next(r for r in result["runs"] if r["status"] == "failed")
    assert "prepare" in bad["reason"] and "shorter than one window" in bad["reason"]
    table = pd.read_csv(result["comparison_csv"])
    assert len(table) == 2
    assert table.set_index("windows.length").loc[5000, "reason"] == bad["reason"]
    assert table.set_index("windows.length").loc[24, "status"] == "finished"
