"""What a seed ensemble would score: average the test probabilities of finished runs.

Reads run directories written by ``benchmarks/real_data.py`` (each holds ``model.keras``
and ``prepared.npz``), scores each model on its own prepared windows (the scaling is
fitted per run, so each model reads its own copy of the same official test cases) and
reports the accuracy of the mean probability over every subset of 2 or more runs. A
measurement of the idea, not a feature: nothing here is chosen, and validation cannot
choose between these models when it saturates (the script prints validation accuracy
beside test to show it). Usage::

    python benchmarks/real_data_ensemble.py /tmp/real*/GunPoint_default_s*   # run dirs of real_data.py --out /tmp/real...
"""

from __future__ import annotations

import argparse
import itertools
from collections import Counter
from pathlib import Path

import numpy as np


def _proba(model, X: np.ndarray) -> np.ndarray:
    p = np.asarray(model.predict(X, batch_size=512, verbose=0), np.float64)
    return np.column_stack([1 - p[:, 0], p[:, 0]]) if p.shape[1] == 1 else p


def main() -> None:
    from lstm_helpers.model.ensemble import validation_member
    from lstm_helpers.model.models import load_trained_model

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runs", nargs="+", type=Path, help="run directories of benchmarks/real_data.py")
    ap.add_argument("--max-size", type=int, default=4, help="largest ensemble scored")
    args = ap.parse_args()
    runs = [r for r in args.runs if (r / "model.keras").is_file()]
    probs, y_test = {}, None
    for run in runs:
        z = np.load(run / "prepared.npz", allow_pickle=True)
        if y_test is not None and not np.array_equal(z["y_test"], y_test):
            raise SystemExit(f"{run.name}: a different test split from {runs[0].name}; compare runs of one dataset")
        y_test = z["y_test"]
        model = load_trained_model(run / "model.keras")
        probs[run] = _proba(model, z["X_test"])
        # validation by the run's own member alone: in a fold ensemble the others trained on it
        val = (_proba(validation_member(model), z["X_val"]).argmax(1) == z["y_val"]).mean()
        wrong = np.flatnonzero(probs[run].argmax(1) != y_test).tolist()
        print(
            f"{run.parent.name}/{run.name}: test {(probs[run].argmax(1) == y_test).mean():.4f}, val {val:.3f}, wrong {wrong}"
        )
    for size in range(2, min(args.max_size, len(runs)) + 1):
        scores = [
            float((np.mean([probs[r] for r in subset], axis=0).argmax(1) == y_test).mean())
            for subset in itertools.combinations(runs, size)
        ]
        counts = ", ".join(f"{s:.4f} x{n}" for s, n in sorted(Counter(round(s, 4) for s in scores).items()))
        print(f"ensembles of {size}: {len(scores)} subsets, test accuracy {counts}")


if __name__ == "__main__":
    main()
