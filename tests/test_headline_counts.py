"""The report's headline and key metrics say where the majority baseline's class comes from (the
training windows), and give the counts behind a precision / recall resting on few test windows
("rare flick found with precision 1.00 and recall 1.00" stood on 2 of them)."""

from __future__ import annotations

from test_presentation import _fake_run


def _few(tmp_path, **extra):
    """A finished 3-class run whose class of interest has 2 test windows, both found."""
    cm = [[20, 0, 0], [0, 2, 0], [1, 0, 30]]
    per_class = {"play": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2}}
    return _fake_run(tmp_path, "few", "finished", classes=["other", "play", "walk"], confusion_matrix=cm,
                     per_class=per_class, **extra)  # fmt: skip


def test_a_headline_on_few_test_windows_gives_the_counts(tmp_path):
    from lstm_helpers.runs.report import headline_sentence

    line = headline_sentence(_few(tmp_path))
    assert "play found with precision 1.00 (2 of 2 flagged) and recall 1.00 (2 of 2 test windows)" in line, line


def test_the_headline_says_the_majority_class_is_trainings(tmp_path):
    from lstm_helpers.runs.report import _key_metrics_html, headline_sentence

    run = _fake_run(tmp_path, "multi", "finished", pos=None, positive_class=None, classes=list("abcdefg"),
                    majority_class="c", baseline_from="training", top_k=5, top_k_accuracy=0.983,
                    top_k_baseline_accuracy=0.991, per_class={}, bouts={})  # fmt: skip
    line = headline_sentence(run)
    assert "for always predicting c (the most frequent in training)" in line, line
    assert "for always guessing the 5 most frequent classes in training" in line, line
    page = _key_metrics_html(run)
    assert "always predicting the most frequent class of the training windows (c)" in page
    assert "always-majority accuracy (training majority)</th>" in page
    assert "always the 5 most frequent classes in training</th>" in page
    own = _fake_run(tmp_path, "own", "finished", pos=None, positive_class=None, classes=list("abc"),
                    majority_class="c", baseline_from="this split", per_class={}, bouts={})  # fmt: skip
    assert "always-majority accuracy</th>" in _key_metrics_html(own)  # predict's figures on new data: their own
