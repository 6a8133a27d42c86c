"""``python -m lstm_helpers`` is the ``lstm-workbench`` command."""

import sys

from lstm_helpers.cli import main

sys.exit(main())
