"""A character run's report gave four class counts, each unlabelled: 60 (stage 01's table: the
characters a target can be), 62 (the class-distribution figure: every vocabulary id, <pad> and
characters no window ends on included), 56 (the example windows: the training split's) and "60
classes" in a comparison. The table and the figures now say what they count, and the precision/recall figure's
alt text no longer speaks of a threshold the run does not have. A real tiny run (prepare, train,
evaluate, report) on a slice of the shipped text."""

from __future__ import annotations

import html
import json
import re

import yaml
from conftest import ROOT

from lstm_helpers.config import resolve_config
from lstm_helpers.layout import RunLayout

TEXT = ROOT / "data" / "text" / "pride_and_prejudice_vol1.txt"


def test_a_character_runs_report_labels_each_class_count(tmp_path):
    from lstm_helpers.runs.pipeline import run_pipeline

    raw = yaml.safe_load((ROOT / "configs" / "examples" / "char_text.yaml").read_text())
    cfg = resolve_config(
        raw,
        {"data.path": str(TEXT), "data.max_chars": 6000, "windows.length": 20, "windows.overlap_percent": 50,
         "model.units": [8], "model.bidirectional": False, "model.embedding_dim": 8, "train.epochs": 1,
         "train.batch_size": 64, "train.min_updates": 1, "train.verbose": 0, "train.ensemble": 1,
         "evaluate.baseline": "none", "run.reports_dir": str(tmp_path)},
    )  # fmt: skip
    run = run_pipeline(cfg, quiet=True)
    prep = json.loads(RunLayout(run).prepare_json.read_text())
    counts = prep["counts"]
    with_windows = {c for s in counts.values() for c, n in s["before"].items() if n > 0}
    in_train = {c for c, n in counts["train"]["before"].items() if n > 0}
    n_ids = len(prep["classes"])  # every vocabulary id: <pad> and <unk> included
    assert len(with_windows) < n_ids - 1 and len(in_train) <= len(with_windows)
    page = (run / "report.html").read_text()
    alts = [html.unescape(a) for a in re.findall(r'alt="([^"]*)"', page)]
    dist = next(a for a in alts if a.startswith("Class distribution"))
    assert f"most frequent of the {len(with_windows)} classes with windows" in dist, dist
    chars = with_windows - {"<pad>", "<unk>"}  # stage 01's table says the same count of them
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    assert "characters ('␣', " in text and f"most frequent first; {len(chars)} of them a window's target)" in text
    examples = next(a for a in alts if a.startswith("Training windows per class"))
    assert f"most frequent of the {len(in_train)} classes in these windows" in examples, examples
    assert not any(f"of {n_ids} classes" in a for a in alts), alts  # <pad> is no class
    pr = [a for a in alts if a.startswith("precision-recall")]
    assert pr and not any("threshold" in a and "no threshold" not in a for a in pr), pr
    assert "each class against the rest" in pr[0]
