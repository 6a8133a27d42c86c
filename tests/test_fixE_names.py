"""The report's Model section explains every part of the run's own name: it explained names only
by ``bilstm_lay2_sz64-32_d32``, never the default's ``cv2-64x5p2-64x5p2`` conv front end. The
legend comes from :func:`~lstm_helpers.model.naming.name_parts`, the parts the name is joined from."""

from __future__ import annotations

import html
import re

from lstm_helpers.config import FcnBlock, ModelConfig

RECORDINGS = {"kind": "real", "n_channels": 6, "masked": False}


def test_every_part_of_a_name_has_its_meaning_and_the_parts_make_the_name():
    from lstm_helpers.model.naming import model_name, name_legend, name_parts

    configs = [
        (ModelConfig(), RECORDINGS),
        (ModelConfig(), {"kind": "real", "n_channels": 1, "masked": False}),  # LSTM-FCN as published
        (ModelConfig(conv=[], units=[64, 64], dense_units=[]), {"kind": "tokens"}),
        (ModelConfig(cell="none", fcn=[FcnBlock(filters=8, kernel_size=3)], dense_units=[16, 8]), RECORDINGS),
        (ModelConfig(cell="gru", bidirectional=False, conv=[{"filters": 32, "kernel_size": 3, "pool": 1}]), None),
    ]
    for cfg, info in configs:
        parts = name_parts(cfg, info)
        assert "_".join(t for t, _ in parts) == model_name(cfg, info)
        assert all(meaning for _, meaning in parts)
    legend = dict(name_parts(ModelConfig(), RECORDINGS))
    assert legend["cv2-64x5p2-64x5p2"].startswith("convolutional front end: 2 Conv1D blocks of 64 filters, kernel 5")
    assert legend["lay2_sz64-32"] == "2 recurrent layers of 64 and 32 units"
    stamped = name_legend(
        ModelConfig(), RECORDINGS, run_name="20261204-213144_" + model_name(ModelConfig(), RECORDINGS)
    )
    assert stamped.iloc[0].tolist() == ["20261204-213144", "when the run started: 2026-12-04 21:31:44"]


def test_the_reports_model_section_explains_the_runs_own_name(tiny_config, tmp_path):
    from lstm_helpers.runs.pipeline import run_pipeline

    conv = [b.model_dump() for b in ModelConfig().conv]  # the default's front end (TINY leaves it out)
    cfg = tiny_config(**{"model.conv": conv, "run.reports_dir": str(tmp_path)})
    run = run_pipeline(cfg, stages=("prepare", "train"), quiet=True)
    page = (run / "report.html").read_text()
    model = page.split(">Model<", 1)[1].split(">Training<", 1)[0]
    table = model[model.index("part of the name") :].split("</table>", 1)[0]
    rows = re.findall(r"<td[^>]*>([^<]*)</td>\s*<td[^>]*>([^<]*)</td>", table)
    parts = [html.unescape(p) for p, _ in rows]
    assert "_".join(parts) == run.name  # every part, the time stamp first
    means = {html.unescape(p): html.unescape(m) for p, m in rows}
    assert means["cv2-64x5p2-64x5p2"].startswith("convolutional front end: 2 Conv1D blocks of 64 filters, kernel 5")
    assert "bilstm_lay2_sz64-32_d32" not in model  # no other name's example in its place
