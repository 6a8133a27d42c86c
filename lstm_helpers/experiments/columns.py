"""The comparison table's metric and cost columns, named once: the table
(:mod:`lstm_helpers.experiments.compare`) builds its columns from them and an external
reference figure (:mod:`lstm_helpers.experiments.references`) may carry only these names.
No pandas here: planning a sweep reads them."""

from __future__ import annotations

from lstm_helpers.style import visible_name

# metrics.json's core scores, reported for validation and test (``val_<m>``, ``test_<m>``)
SCORES = (
    "pr_auc",
    "roc_auc",
    "balanced_accuracy",
    "mcc",
    "accuracy",
    "majority_baseline_accuracy",
    "top_k_accuracy",
)
PER_CLASS = ("precision", "recall", "f1")
# what a run cost: size, models averaged (``members``: train.ensemble; auto may train five), time
TIME_COLUMNS = ("n_params", "members", "seconds_per_epoch", "total_seconds", "run_seconds", "epochs_run")
COUNT_COLUMNS = ("seed", "members", "epochs_run")  # whole numbers: 5, never 5.000
# what each timing column measures, in wall seconds, and the names the run's report and slides give it
TIME_DEFINITIONS = {
    "seconds_per_epoch": (
        "one epoch (training, the validation pass and the checkpoint and logs after it), the mean over the "
        'epochs without graph tracing (the report\'s "seconds per epoch (with checkpoint and logs)", the '
        'slides\' "s/epoch")'
    ),
    "total_seconds": (
        "stage 02 from building the model to saving it, every epoch and every averaged model included (the "
        'report\'s "fit time, s (build, fit, save)", the slides\' "fit time, s")'
    ),
    "run_seconds": (
        "the whole run: prepare, train and evaluate with their kernel's start, not the pages written after "
        "(a resumed run: the stages its last start ran)"
    ),
}


def class_column(cls: str, figure: str) -> str:
    r"""A class's figure as a column (after ``val_`` / ``test_``) under the class's visible name:
    a character model's space and newline classes gave heads ``val_ _precision`` and one broken
    across two lines of comparison.csv.

    >>> class_column("play", "f1"), class_column(" ", "precision"), class_column("\n", "recall")
    ('play_f1', '␣_precision', '↵_recall')
    """
    return f"{visible_name(cls)}_{figure}"
