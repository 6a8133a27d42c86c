"""The command's standard output when its reader stops reading (``lstm-workbench ... | head -2``).

Python ignores SIGPIPE, so a print after ``head`` has exited raises ``BrokenPipeError`` wherever
it happens to be: in the middle of a run, between writing predict's tables, or at the final
flush. Python's own advice (the ``signal`` module's "Note on SIGPIPE") is to point standard
output at ``os.devnull`` once the pipe is closed; :class:`ReaderSafeStdout` does that at the
first failed write or flush and lets the command carry on, so the files it is writing are
completed and it ends with its own exit code, with nothing on standard error. Hand-written: no
library wraps standard output this way.
"""

from __future__ import annotations

import os
from typing import Any, TextIO


class ReaderSafeStdout:
    """``sys.stdout`` for one command: writes and flushes as ``stream`` does until the reader of
    the pipe has gone; from then on the output (nobody reads it) goes to ``os.devnull``."""

    def __init__(self, stream: TextIO | None):
        # None: the command started with standard output closed (``>&-``): nobody reads it
        self._stream: TextIO = stream if stream is not None else open(os.devnull, "w")  # noqa: SIM115
        self.reader_gone = stream is None

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except (BrokenPipeError, ValueError, OSError):  # the pipe closed; a closed or bad descriptor
            self._to_devnull()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except (BrokenPipeError, ValueError, OSError):
            self._to_devnull()

    def _to_devnull(self) -> None:
        """The stream's file descriptor now writes to ``os.devnull``: what its buffer still holds
        and every later line (also the interpreter's last flush at exit) are dropped quietly. A
        stream without a usable descriptor is replaced by one on ``os.devnull``."""
        self.reader_gone = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, self._stream.fileno())
            self._stream.flush()
        except (ValueError, OSError):  # closed, or no descriptor: write elsewhere from now on
            self._stream = open(os.devnull, "w")  # noqa: SIM115
        finally:
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
