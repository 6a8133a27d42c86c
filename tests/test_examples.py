"""Every config under configs/examples/ runs here on a tiny slice (a few hundred windows, one
epoch): run configs through the three stages, sweep files planned in full (every run's
parameters validated) and their distinct architectures run. The character example also runs
as a real papermill pipeline: top-5 accuracy in metrics.json, generated text in the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT, TINY

from lstm_helpers.config import Config, load_config
from lstm_helpers.data.examples import write_example_sequences, write_example_table, write_example_tokens
from lstm_helpers.data.prepare import run_prepare
from lstm_helpers.experiments.plan import plan_sweep
from lstm_helpers.judge.evaluation import run_evaluation
from lstm_helpers.model.training import run_training

EXAMPLES = ROOT / "configs" / "examples"
SMALL_TRAIN = {
    "train.epochs": 1,
    "train.verbose": 0,
    "train.batch_size": 64,
    "train.early_stopping.patience": 1,
}


@pytest.fixture(scope="module")
def example_data(tmp_path_factory, tiny_demo_dir) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("examples")
    return {
        "recordings": tiny_demo_dir,
        "table": write_example_table(d / "features.csv", n_animals=4, minutes=1.0),
        "sequences": write_example_sequences(d / "sequences.npz", n=200),
        "tokens": write_example_tokens(d / "tokens.npz", n=300),
        "text": ROOT / "data" / "text" / "pride_and_prejudice_vol1.txt",
    }


def tiny_overrides(kind: str, data: dict[str, Path]) -> dict:
    """Shrink an example to a few hundred windows and one epoch, keeping what it shows."""
    ov = {"data.path": str(data[kind]), **SMALL_TRAIN}
    if kind == "recordings":
        return TINY | ov
    if kind == "table":
        return ov | {"windows.length": 24, "windows.overlap_percent": 0}
    if kind == "text":  # 8,000 characters, a window every 10: about 800 windows
        return ov | {
            "data.max_chars": 8000,
            "windows.overlap_percent": 80,
            "model.units": [16, 8],
            "model.embedding_dim": 8,
        }
    return ov  # sequences: 200 cases; token ids: 300


def run_stages(cfg: Config, run: Path) -> dict:
    info = run_prepare(cfg, run).meta
    total = sum(info["windows"][s] for s in ("train", "val", "test"))
    assert 50 <= total <= 2000, total  # a tiny slice
    run_training(cfg, run)
    return run_evaluation(cfg, run)


def _is_sweep(path: Path) -> bool:
    import yaml

    raw = yaml.safe_load(path.read_text())
    return "base" in raw or "grid" in raw or "variants" in raw


def test_at_least_four_examples_each_with_a_header_saying_how_long():
    files = sorted(EXAMPLES.glob("*.yaml"))
    assert len(files) >= 4
    for f in files:
        head = f.read_text().split("\n", 1)[0]
        assert head.startswith("# Story"), f.name
        assert "How long here" in f.read_text(), f.name
        assert "TIME_" not in f.read_text(), f"{f.name}: measured time not filled in"


@pytest.mark.parametrize("name", ["rare_behaviour", "table_features", "sequences", "char_text", "token_sequences"])
def test_run_config_runs_on_a_tiny_slice(name, example_data, tmp_path):
    data = load_config(EXAMPLES / f"{name}.yaml").data
    kind = data.kind
    cfg = load_config(EXAMPLES / f"{name}.yaml", tiny_overrides("tokens" if data.tokens else kind, example_data))
    result = run_stages(cfg, tmp_path)
    m = result["metrics"] if "metrics" in result else json.loads((tmp_path / "metrics.json").read_text())
    assert m["accuracy"] is not None
    if kind == "sequences":
        inp = json.loads((tmp_path / "prepare.json").read_text())["input"]
        assert inp["masked"] and inp["kind"] == ("tokens" if data.tokens else "real")
    if kind in ("text", "table"):  # top-5 accuracy (top-(K-1) when fewer than 6 classes appear)
        n_classes = len(json.loads((tmp_path / "prepare.json").read_text())["classes"])
        assert m["top_k"] == min(5, n_classes - 1) and m["top_k_accuracy"] is not None


@pytest.mark.parametrize(
    "name,expect_runs,run_names",
    [
        ("slow_to_fast", 3, ["slow", "fast", "cnn"]),
        ("sequences_sweep", 24, ["lstm_lay1_sz64_", "bilstm_cv2-128x5-128x5_lay2_sz256-256_"]),
    ],
)
def test_sweep_is_planned_in_full_and_its_architectures_run(name, expect_runs, run_names, example_data, tmp_path):
    base = load_config(EXAMPLES / f"{'table_features' if name == 'slow_to_fast' else 'sequences'}.yaml")
    # a sweep refuses --set on keys its variants set (batch size, patience in slow_to_fast)
    ov = {
        k: v
        for k, v in tiny_overrides(base.data.kind, example_data).items()
        if k not in ("train.batch_size", "train.early_stopping.patience")
    }
    sweep = plan_sweep(EXAMPLES / f"{name}.yaml", ov)
    assert len(sweep.runs) == expect_runs
    for want in run_names:
        run = next(r for r in sweep.runs if want in r.name)
        cfg = run.config
        if "256" in run.name:  # the largest grid point: shrink its width only, keep layers + conv
            cfg = cfg.model_copy(update={"model": cfg.model.model_copy(update={"units": [8, 8]})})
        result = run_stages(cfg, tmp_path / run.name)
        assert (tmp_path / run.name / "model.keras").is_file() and result is not None
    if name == "sequences_sweep":
        assert {r.name.split("_seed")[0] for r in sweep.runs} >= {
            "lstm_lay2_sz64-64",
            "lstm_cv1-128x5_lay1_sz256",
            "bilstm_lay1_sz64",
            "bilstm_cv2-128x5-128x5_lay2_sz64-64",
        }


def test_char_text_pipeline_reports_top5_and_shows_generated_text(example_data, tmp_path):
    """Acceptance: a character run from a plain text file, through papermill, reports top-5
    accuracy; notebook 03 and report.html show generated samples at two temperatures."""
    from lstm_helpers.runs.pipeline import run_pipeline

    cfg = load_config(EXAMPLES / "char_text.yaml", tiny_overrides("text", example_data))
    run = run_pipeline(cfg, tmp_path / "char", quiet=True)
    m = json.loads((run / "metrics.json").read_text())
    assert m["top_k"] == 5 and 0.0 <= m["top_k_accuracy"] <= 1.0
    assert m["top_k_accuracy"] >= m["accuracy"]
    assert m["perplexity"] is not None and 1.0 <= m["perplexity"] <= len(m["classes"])
    page = (run / "report.html").read_text()
    assert "Generated text" in page and "temperature" in page and "prime (test split)" in page


def test_the_example_writer_takes_help_as_help(tmp_path, capsys, monkeypatch):
    """``python -m lstm_helpers.data.examples --help`` printed nothing and wrote ~9 MB into a
    folder named ``--help``."""
    from lstm_helpers.data.examples import cli

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stop:
        cli(["--help"])
    assert stop.value.code == 0 and "features.csv" in capsys.readouterr().out
    assert not (tmp_path / "--help").exists()
    written = cli([str(tmp_path / "ex")])
    assert [p.name for p in written] == ["features.csv", "sequences.npz", "tokens.npz"]
    assert all(p.is_file() for p in written)


def test_the_char_text_header_gives_the_parameters_of_its_model_on_the_shipped_text(tmp_path):
    """The header said about 381 k parameters (a vocabulary of 100); the shipped text's is 76
    (74 characters, <pad> and <unk>): 376,652."""
    import re

    from lstm_helpers.model.training import build_run_model

    path = EXAMPLES / "char_text.yaml"
    cfg = load_config(path, {"windows.overlap_percent": 0})  # the same vocabulary, fewer windows to write
    run_prepare(cfg, tmp_path)
    n = build_run_model(cfg, tmp_path).count_params()
    said = re.search(r"about (\d+) k parameters", path.read_text())
    assert said and int(said.group(1)) == round(n / 1000), (said and said.group(0), n)
