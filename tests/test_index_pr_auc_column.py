"""reports/index.html's "test PR-AUC" column is the class of interest's where a run has one (a
multi-class run's headline PR-AUC is the macro average): its head and the page's note say so."""

from __future__ import annotations

from test_presentation import _fake_run


def test_the_index_says_its_pr_auc_column_is_the_class_of_interests(tmp_path):
    from lstm_helpers.runs.index_page import write_index

    _fake_run(tmp_path, "binary", "finished")
    _fake_run(tmp_path, "multi", "finished", pos=None, positive_class=None, classes=list("abc"), per_class={},
              bouts={}, threshold=None)  # fmt: skip
    page = write_index(tmp_path).read_text()
    assert "<th>test PR-AUC (class)</th>" in page and "PR-AUC is the class of interest's against the rest" in page
    assert '<div class="why">macro average</div>' in page
