"""Quiet kernels for papermill: start-up noise goes to a log file, not the terminal or the notebook.

Where the noise comes from (measured on TF 2.21, ipykernel 7, jupyter_client 8):

- TensorFlow's C++ start-up lines (``oneDNN custom operations are on``, ``cudart_stub``,
  ``cpu_feature_guard``) are written by absl *before* it reads ``TF_CPP_MIN_LOG_LEVEL``, to
  file descriptor 2 of the kernel process. ipykernel captures fd-level output
  (``IPKernelApp.capture_fd_output``) into the cell's stderr stream *and* echoes it to the
  kernel's real stderr, which is the terminal; papermill's ``log_output`` then prints the
  stream a third time -- hence each block three times on the terminal and a red block in
  the executed notebook.
- ``[IPKernelApp] WARNING | Kernel is running over TCP without encryption`` is ipykernel's
  logger on the kernel's stderr.
- ``[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel``: jupyter_client's
  ``shutdown_kernel`` sends SIGINT before asking the kernel to shut down, even when no cell
  is running; ipykernel logs that interrupt.

The fix, all in the kernel manager papermill uses (:class:`QuietKernelManager`): the kernel
is started with ``--IPKernelApp.capture_fd_output=False`` (Python-level output -- prints,
warnings, tracebacks -- still reaches the notebook; only C-level writes stop being copied),
its stdout/stderr go to ``kernel.log`` in the run directory (kept for debugging), its
environment sets ``TF_CPP_MIN_LOG_LEVEL=3`` whatever the caller exported, and the SIGINT
before an orderly shutdown is skipped. Written here because jupyter_client has no option for
the last two; everything else is its own API.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager

KERNEL_LOG = "kernel.log"  # in the run directory: the kernels' own stderr (TF start-up lines ...)
KERNEL_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore::DeprecationWarning"}
KERNEL_ARGS = ["--IPKernelApp.capture_fd_output=False"]


class QuietKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` whose kernel writes its process-level output to a log file.

    ``log_path`` (class attribute, set per run by :func:`quiet_kernel_kwargs`) is appended to;
    ``None`` sends the output to ``os.devnull``.
    """

    log_path: Path | None = None

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        env = dict(kw.get("env") or os.environ)
        env.update(KERNEL_ENV)
        kw["env"] = env
        target = self.log_path if self.log_path is not None else Path(os.devnull)
        log = open(target, "ab")  # noqa: SIM115 - the kernel process owns it from here
        kw["stdout"] = kw["stderr"] = log
        try:
            await super()._async_launch_kernel(kernel_cmd, **kw)
        finally:
            log.close()  # the child has its own copy of the descriptor

    async def _async_interrupt_kernel(self) -> None:
        if self.shutting_down:  # orderly shutdown after the last cell: nothing to interrupt
            return
        await super()._async_interrupt_kernel()


def quiet_kernel_kwargs(run_dir: Path | None) -> dict[str, Any]:
    """Keyword arguments for ``papermill.execute_notebook`` that make its kernel quiet.

    Kernel output goes to ``<run_dir>/kernel.log`` (or nowhere when ``run_dir`` is None).
    """
    manager = type(
        "RunKernelManager",
        (QuietKernelManager,),
        {"log_path": Path(run_dir) / KERNEL_LOG if run_dir is not None else None},
    )
    return {"kernel_manager_class": manager, "extra_arguments": list(KERNEL_ARGS)}
