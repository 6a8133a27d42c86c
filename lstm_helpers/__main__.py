"""``python -m lstm_helpers`` is the ``lstm-workbench`` command."""

import sys

from .cli import main

sys.exit(main())
