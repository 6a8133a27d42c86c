"""What a run records of the software it ran on (model/machine.py): every library its figures
depend on, and the workbench's own version with its git commit where it runs from a checkout."""

from importlib import metadata
from pathlib import Path

from lstm_helpers.model.machine import RECORDED, versions

ROOT = Path(__file__).resolve().parent.parent


def test_versions_name_the_libraries_that_split_score_and_fit_the_baseline_and_the_workbench():
    found = versions()
    for dist in RECORDED:
        try:
            assert found[dist] == metadata.version(dist)
        except metadata.PackageNotFoundError:
            assert dist not in found
    assert {"python", "tensorflow", "keras", "numpy", "scikit-learn", "aeon"} <= set(found)
    own = found["lstm-workbench"]
    assert own.startswith(metadata.version("lstm-workbench"))
    assert ("(git " in own) == (ROOT / ".git").exists()
