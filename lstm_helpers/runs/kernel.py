"""Quiet kernels for papermill, and one kernel for all of a run's stage notebooks.

Quiet
-----
Where the noise comes from (measured on TF 2.21, ipykernel 7, jupyter_client 8):

- TensorFlow's C++ start-up lines (``oneDNN custom operations are on``, ...) are written by
  absl *before* it reads ``TF_CPP_MIN_LOG_LEVEL``, to the kernel's fd 2. ipykernel captures
  fd-level output (``capture_fd_output``) into the cell's stderr *and* echoes it to the
  terminal; papermill's ``log_output`` prints it a third time.
- ``[IPKernelApp] WARNING | Kernel is running over TCP without encryption``: ipykernel's log.
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

One kernel per run (issue 12)
-----------------------------
Starting a kernel and importing TensorFlow costs seconds per notebook, more than training a
small model for an epoch. :class:`StageKernel` starts one quiet kernel and executes each
stage notebook in it through papermill, so the executed notebooks, their parameters cell
and their error output are exactly papermill's. Before every notebook the kernel is reset
(:data:`RESET`): the user namespace is cleared (``%reset -f``), the working directory
becomes the run directory, the kernel's file descriptors 1 and 2 are pointed at that run's
``kernel.log``, open figures are closed, Keras' global state is cleared
(``keras.backend.clear_session``) and the execution counter restarts at 1, so an executed
notebook reads as if a fresh kernel ran it. Imported modules stay imported, which is the
point: TensorFlow is imported once per kernel. Each stage seeds its random generators from
the run's seed, so results do not depend on what ran before in the kernel
(``tests/test_pipeline.py`` checks byte-identical histories). After a notebook fails, the
kernel is restarted before the next one.

Papermill's own engine starts and stops a kernel per notebook. The ``lstm_warm`` engine
registered here hands papermill's notebook client our started kernel manager (nbclient
leaves a kernel it did not start running), runs the reset before the notebook's cells and
closes only the notebook's client channels afterwards. :class:`KernelPool` keeps one
warm :class:`StageKernel` per sweep worker thread.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager

KERNEL_LOG = "kernel.log"  # in the run directory: the kernels' own stderr (TF start-up lines ...)
KERNEL_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore::DeprecationWarning"}
KERNEL_ARGS = ["--IPKernelApp.capture_fd_output=False"]


def quiet_tensorflow_import() -> None:
    """Import TensorFlow and Keras and start TensorFlow's platforms in *this* process (the
    commands that predict, generate or search without a kernel) with file descriptor 2
    captured (:func:`native_stderr_captured`), so the C++ start-up lines (module docstring; and
    ``failed call to cuInit`` on a machine without a GPU) never reach the terminal.
    ``TF_CPP_MIN_LOG_LEVEL`` cannot stop them: they are written before it is read. An
    import that fails prints what was captured, then raises. No-op once imported."""
    import sys

    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # later warnings too; errors still show
    with native_stderr_captured():
        import keras  # noqa: F401
        import tensorflow as tf

        tf.config.list_physical_devices()


@contextlib.contextmanager
def native_stderr_captured() -> Iterator[None]:
    """File descriptor 2 captured in a temporary file for the block: what TensorFlow's C++ side
    writes there is dropped, unless the block raises (then it is printed first). Besides the
    import's start-up lines, the first inference of a masked model logs ``E0000 ... oneDNN
    supports DT_BOOL only on platforms with AVX-512`` at error level on CPUs without AVX-512:
    ``predict`` of a padded-sequences run printed it as its first line."""
    import sys
    import tempfile

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        except BaseException:
            sys.stderr.flush()
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


@contextlib.contextmanager
def stderr_to(path: Path) -> Iterator[None]:
    """File descriptor 2 appended to ``path`` for the block: what TensorFlow's C++ side logs
    while a search trains in the command's own process (``E0000 ... oneDNN supports DT_BOOL``)
    goes to the search's log, as a run's kernel output goes to its ``kernel.log``."""
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "ab") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


KERNEL_TMP_PREFIX = "lstm-workbench-kernel-"
OWNER_LOCK = ".owner.lock"  # inside a kernel's TMPDIR: flock-ed by the process that started the kernel


def own_kernel_dir(d: str) -> Any:
    """The open, exclusively locked ``OWNER_LOCK`` file of kernel directory ``d`` (None where
    the platform has no ``fcntl``): the lock lasts while the file stays open, and the system
    releases it when the process ends, however it ends."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on Linux / macOS
        return None
    fh = open(Path(d) / OWNER_LOCK, "w")  # noqa: SIM115 - held open for the kernel's life
    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fh


def remove_stale_kernel_dirs(root: Path) -> None:
    """Kernel ``TMPDIR``s under ``root`` whose starting process is gone: a process killed
    outright (``kill -9``) removes nothing, and its kernels' directories stayed (one per killed
    sweep or run). A directory is stale when its owner lock can be taken: a live owner holds
    it, in any process namespace that shares this file system (a pid would not tell)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover
        return
    import shutil

    for d in root.glob(f"{KERNEL_TMP_PREFIX}*"):
        try:
            with open(d / OWNER_LOCK, "r+") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(d, ignore_errors=True)
        except OSError:  # held (its owner runs), or no lock file (not ours to judge), or gone
            continue


class QuietKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` whose kernel writes its process-level output to a log file
    and its temporary files to a directory of its own, removed when the kernel is.

    ``log_path`` (class attribute, set per run by :func:`quiet_kernel_kwargs`) is appended to;
    ``None`` sends the output to ``os.devnull``.

    ``kernel_tmp`` is the kernel's ``TMPDIR`` (made at launch under the caller's temporary
    directory) while it runs. A kernel is shut down at once, without its ``atexit`` handlers
    (:meth:`StageKernel.close`: the orderly exit's final collection costs about a second), and
    some libraries remove their temporary files only there: TensorFlow's AutoGraph leaves one
    ``__autograph_generated_file*.py`` per converted function, 2-5 per run; 4,817 of them had
    gathered in this host's ``/tmp``. Removing the directory with the kernel's resources
    removes whatever the kernel left, however it ended.
    """

    log_path: Path | None = None
    kernel_tmp: str | None = None
    _owner: Any = None  # the open owner lock of kernel_tmp (own_kernel_dir)

    async def _async_pre_start_kernel(self, **kw: Any) -> Any:
        """The kernel's directory, made before the connection file is written into it: left in
        /tmp as ``tmpXXXXXXXX.json`` (ports, key) by each run stopped by a signal or whose
        kernel was killed, it goes with the directory, however the kernel ended."""
        import tempfile

        if self.kernel_tmp is None:
            remove_stale_kernel_dirs(Path(tempfile.gettempdir()))
            self.kernel_tmp = tempfile.mkdtemp(prefix=KERNEL_TMP_PREFIX)
            self._owner = own_kernel_dir(self.kernel_tmp)
        if not self.connection_file or Path(self.connection_file).parent.name.startswith(KERNEL_TMP_PREFIX):
            self.connection_file = os.path.join(self.kernel_tmp, "connection.json")
        try:
            return await super()._async_pre_start_kernel(**kw)
        except BaseException:
            self._remove_kernel_tmp()
            raise

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        env = {**(kw.get("env") or os.environ), **KERNEL_ENV, "TMPDIR": str(self.kernel_tmp)}
        kw["env"] = env
        target = self.log_path if self.log_path is not None else Path(os.devnull)
        log = open(target, "ab")  # noqa: SIM115 - the kernel process owns it from here
        kw["stdout"] = kw["stderr"] = log
        try:
            await super()._async_launch_kernel(kernel_cmd, **kw)
        except BaseException:
            self._remove_kernel_tmp()
            raise
        finally:
            log.close()  # the child has its own copy of the descriptor

    async def _async_interrupt_kernel(self) -> None:
        if self.shutting_down:  # orderly shutdown after the last cell: nothing to interrupt
            return
        await super()._async_interrupt_kernel()

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        self._remove_kernel_tmp()

    def _remove_kernel_tmp(self) -> None:
        tmp, self.kernel_tmp = self.kernel_tmp, None
        if tmp is not None:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
        owner, self._owner = self._owner, None
        if owner is not None:
            owner.close()

    cleanup_resources = _async_cleanup_resources  # (the base class binds its own function to this name)


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


# ------------------------------------------------------------------------ one kernel per run
ENGINE = "lstm_warm"  # the papermill engine of StageKernel
STAGE_KERNEL_ARGS = [*KERNEL_ARGS, "--HistoryManager.hist_file=:memory:"]  # no history sqlite per kernel
RESET = "__import__('lstm_helpers.runs.kernel_reset', fromlist=['_']).reset_in_kernel({cwd!r}, {log!r})\n"


class KernelResetFailed(RuntimeError):
    """The reset before a notebook raised in the kernel (e.g. the run directory is gone)."""


def notebook_client_log() -> logging.Logger:
    """The logger the notebook client (nbclient, through papermill) writes to: papermill's own
    logger has no handler, so Python's last-resort handler printed its errors on the terminal --
    ``Kernel died while waiting for execute reply.`` once per sweep worker on Ctrl-C, before
    ``interrupted``. A null handler keeps them off the terminal; the run's status keeps the reason
    (a user who configures logging still receives them: they propagate)."""
    log = logging.getLogger("lstm_helpers.notebook_client")
    if not log.handlers:
        log.addHandler(logging.NullHandler())
    return log


def _register_engine() -> None:
    """Register the ``lstm_warm`` papermill engine (once per process)."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.utils import merge_kwargs, remove_args

    if ENGINE in papermill_engines._engines:  # papermill has no public "is registered"
        return

    class WarmClient(PapermillNotebookClient):
        """Papermill's client, with the kernel reset (silent: no output, no execution count) first."""

        def __init__(self, nb_man: Any, km: Any = None, reset_code: str = "", **kw: Any) -> None:
            super().__init__(nb_man, km=km, **kw)
            self.reset_code = reset_code

        def papermill_execute_cells(self) -> None:
            if self.reset_code:
                reply = self.wait_for_reply(self.kc.execute(self.reset_code, silent=True, store_history=False))
                content = (reply or {}).get("content", {})
                if content.get("status") != "ok":
                    raise KernelResetFailed(f"kernel reset failed: {content.get('ename')}: {content.get('evalue')}")
            super().papermill_execute_cells()

    class WarmEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man: Any,
            kernel_name: str,
            log_output: bool = False,
            stdout_file: Any = None,
            stderr_file: Any = None,
            start_timeout: int = 60,
            execution_timeout: int | None = None,
            **kwargs: Any,
        ) -> Any:
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            final = merge_kwargs(
                kwargs,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=notebook_client_log(),
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            from lstm_helpers.config import PROJECT_ROOT
            from lstm_helpers.layout import portable_papermill_paths

            portable_papermill_paths(nb_man.nb.metadata.get("papermill", {}), PROJECT_ROOT)  # every save
            client = WarmClient(nb_man, **final)
            save = _throttle_saves(nb_man)
            try:
                return client.execute()
            finally:
                nb_man.save = save  # papermill's final save (notebook_complete) always writes
                if client.kc is not None:  # the kernel stays; this notebook's channels go
                    client.kc.stop_channels()

    papermill_engines.register(ENGINE, WarmEngine)


def skip_unused_schema_format() -> None:
    """Keep jsonschema from importing ``rfc3987_syntax`` in a command-line process.

    nbformat (papermill, nbconvert) imports jsonschema, whose format checkers import
    ``rfc3987_syntax`` when it is installed (jupyter's ``jsonschema[format-nongpl]`` extra
    brings it) only to check the ``iri`` string format; that import compiles 38 lark
    grammars: 1.2 of nbformat's 1.4 s import here, once per process. Notebook validation
    never checks that format. Marking the module absent (``sys.modules[name] = None``,
    Python's documented way to make an import fail) is what jsonschema already handles,
    as when the extra is not installed. Called first by the ``lstm-workbench`` command and a
    sweep's run subprocesses; never on import, so a user's own session is left alone.
    """
    import sys

    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]


SAVE_EVERY_S = 1.0  # the executed notebook is rewritten at most this often while it runs


def _throttle_saves(nb_man: Any, every: float = SAVE_EVERY_S) -> Any:
    """Let papermill rewrite the output notebook at most every ``every`` seconds; returns its ``save``.

    Papermill writes the whole notebook (``nbformat.writes``, schema validation included) at
    the start and end of every cell: ~130 writes of 12 ms for a demo run's three stages, on
    the path between one cell and the next. Throttled, a notebook being watched still
    shows progress every second, and the caller restores the returned ``save`` before
    papermill's final write, so the executed notebook on disk is complete whatever happened.
    """
    save = nb_man.save
    last = [float("-inf")]

    def throttled(**kwargs: Any) -> None:
        now = time.monotonic()
        if now - last[0] >= every:
            save(**kwargs)
            last[0] = now

    nb_man.save = throttled
    return save


class StageKernel:
    """A quiet Jupyter kernel that executes stage notebooks one after another.

    Parameters
    ----------
    kernel_name : str
        The Jupyter kernel spec (see :func:`lstm_helpers.runs.pipeline.kernel_name`).
    env : dict, optional
        Extra environment variables of the kernel process (e.g. thread-pool sizes); they
        apply for the kernel's life, so a warm kernel keeps the sizes it started with.
    log_dir : path, optional
        Where the kernel's start-up output goes (``<log_dir>/kernel.log``; None: nowhere);
        while a notebook runs, its output goes to ``kernel.log`` in that notebook's ``cwd``.

    Use as a context manager, or call :meth:`close`. :attr:`notebooks_run` counts the
    notebooks that ran through; :attr:`restarts` the kernel starts after the first.
    """

    def __init__(
        self, kernel_name: str = "python3", env: dict[str, str] | None = None, log_dir: str | Path | None = None
    ) -> None:
        self.kernel_name = kernel_name
        self.env = {**os.environ, **(env or {})}
        self.log_dir = Path(log_dir) if log_dir is not None else None
        self.km: Any = None
        self.notebooks_run = 0
        self.restarts = -1
        self._needs_restart = False

    def start(self) -> StageKernel:
        """Start the kernel process unless it is running."""
        from jupyter_core.utils import run_sync

        if self.km is not None and self.alive():
            return self
        self.close()
        km = QuietKernelManager(kernel_name=self.kernel_name)
        km.log_path = self.log_dir / KERNEL_LOG if self.log_dir is not None else None
        cwd = str(self.log_dir) if self.log_dir is not None and self.log_dir.is_dir() else os.getcwd()
        run_sync(km.start_kernel)(cwd=cwd, env=self.env, extra_arguments=list(STAGE_KERNEL_ARGS))
        self.km, self._needs_restart = km, False
        self.restarts += 1
        return self

    def alive(self) -> bool:
        from jupyter_core.utils import run_sync

        return bool(self.km is not None and run_sync(self.km.is_alive)())

    @property
    def pid(self) -> int | None:
        """The kernel process id (None when no kernel runs)."""
        provisioner = getattr(self.km, "provisioner", None)
        return getattr(provisioner, "pid", None)

    def close(self) -> None:
        """Shut the kernel down at once (no cell runs between notebooks); idempotent."""
        from jupyter_core.utils import run_sync

        km, self.km = self.km, None
        if km is None:
            return
        try:
            if run_sync(km.is_alive)():
                run_sync(km.shutdown_kernel)(now=True)
        finally:
            run_sync(km.cleanup_resources)()

    def kill(self) -> None:
        """Kill the kernel process from any thread (a sweep being interrupted); :meth:`close` tidies up."""
        import signal

        pid = self.pid
        if pid:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    def __enter__(self) -> StageKernel:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def execute(
        self,
        src: Path,
        out: Path,
        parameters: dict[str, Any],
        cwd: Path,
        stdout_file: Any = None,
        stderr_file: Any = None,
    ) -> None:
        """Execute notebook ``src`` into ``out`` with papermill in this kernel, ``cwd`` as working directory.

        Raises whatever papermill raises (``PapermillExecutionError`` for a failing cell,
        ``DeadKernelError``, :class:`KernelResetFailed`); the kernel is then restarted
        before the next notebook.
        """
        import papermill as pm

        _register_engine()
        if self._needs_restart:
            self.close()
        self.start()
        self._needs_restart = True  # cleared only when the notebook ran through
        pm.execute_notebook(
            str(src),
            str(out),
            parameters=parameters,
            engine_name=ENGINE,
            kernel_name=self.kernel_name,
            km=self.km,
            # no papermill cwd=: it would chdir this whole process (sweep threads share it)
            reset_code=RESET.format(cwd=str(cwd), log=str(Path(cwd) / KERNEL_LOG)),
            log_output=False,
            progress_bar=False,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        self._needs_restart = False
        self.notebooks_run += 1


class KernelPool:
    """One warm :class:`StageKernel` per worker thread, for a sweep's local workers.

    ``pool.call(fn, *args)`` runs ``fn(*args, kernel=<this thread's kernel>)``; the kernel
    starts with the thread's first notebook. :meth:`close` shuts every kernel down,
    :meth:`kill` kills them from the main thread (an interrupted sweep); after either,
    :attr:`closed` is True and no new kernel starts.
    """

    def __init__(self, kernel_name: str = "python3", env: dict[str, str] | None = None) -> None:
        self.kernel_name, self.env = kernel_name, env
        self._local = threading.local()
        self._lock = threading.Lock()
        self._kernels: list[StageKernel] = []
        self.closed = False

    def kernel(self) -> StageKernel:
        """This thread's kernel (created on first use)."""
        k = getattr(self._local, "kernel", None)
        if k is None:
            k = StageKernel(self.kernel_name, env=self.env)
            with self._lock:
                if self.closed:
                    raise RuntimeError("the sweep was stopped: no new run starts")
                self._kernels.append(k)
            self._local.kernel = k
        return k

    def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return fn(*args, kernel=self.kernel(), **kwargs)

    def kill(self) -> None:
        with self._lock:
            self.closed = True
            kernels = list(self._kernels)
        for k in kernels:
            k.kill()

    def close(self) -> None:
        with self._lock:
            self.closed = True
            kernels, self._kernels = self._kernels, []
        for k in kernels:
            with contextlib.suppress(Exception):  # shutting down: the other kernels still go
                k.close()

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
