"""``python -m lstm_helpers`` is the ``lstm-workbench`` command."""

from lstm_helpers.cli import entry

entry()
