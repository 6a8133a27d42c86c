"""The reset before each notebook in a warm kernel (runs/kernel_reset.py): what is left after
its collection is frozen, so later collections skip it; every THAW_EVERY resets the frozen
objects are thawed, so cycles that became garbage among them are freed after all."""

import gc
import weakref

import pytest

from lstm_helpers.runs import kernel_reset


class _Shell:
    execution_count = 7

    def run_line_magic(self, name: str, arg: str) -> None:
        assert (name, arg) == ("reset", "-f")


class _Node:
    pass


@pytest.fixture
def reset(monkeypatch, tmp_path):
    """reset_in_kernel outside a kernel: a stand-in shell, fds 1 and 2 left alone."""
    import IPython

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(IPython, "get_ipython", lambda: _Shell())
    monkeypatch.setattr(kernel_reset.os, "dup2", lambda *a: None)
    yield lambda: kernel_reset.reset_in_kernel(str(tmp_path), str(tmp_path / "kernel.log"))
    gc.unfreeze()


def test_what_the_reset_leaves_is_frozen_and_thawed_every_so_many_resets(reset, monkeypatch):
    monkeypatch.setattr(kernel_reset, "_resets", 1)
    holder = [_Node()]
    holder[0].me = holder[0]  # a cycle: only the collector frees it
    alive = weakref.ref(holder[0])
    reset()
    assert gc.get_freeze_count() > 0
    holder.clear()  # garbage now, among the frozen objects
    reset()
    assert alive() is not None  # a plain reset does not look at frozen objects
    monkeypatch.setattr(kernel_reset, "_resets", kernel_reset.THAW_EVERY)
    reset()
    assert alive() is None  # the thawing reset collects them
    assert gc.get_freeze_count() > 0
