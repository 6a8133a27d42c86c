"""Stage 02's callbacks: what Keras lacks for a run that can be killed and resumed exactly.

Hand-written, because no Keras callback does it: an epoch log that holds every epoch
exactly once after a resume (:class:`EpochLogWriter`; the timing is in
:mod:`lstm_helpers.model.timing`), early stopping / plateau whose state continues across a resume
(:class:`ResumableEarlyStopping`, :class:`ResumableReduceLROnPlateau`; Keras resets it in
``on_train_begin`` and ``BackupAndRestore`` does not save it), and the random state that
makes a resumed epoch draw what the uninterrupted one drew (:class:`RandomStateKeeper`),
and a backup and best-epoch checkpoint that a kill in the middle of a write cannot tear
(:class:`AtomicBackupAndRestore`, :class:`AtomicModelCheckpoint`).
Only public Keras hooks are used (``on_*`` methods, ``model.variables`` / ``model.weights``).
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd

from lstm_helpers.artifacts import load_npz, save_npz, write_text
from lstm_helpers.model.budget import TIE_TOLERANCE


def prior_rows(df: pd.DataFrame | None, done_epochs: int) -> pd.DataFrame | None:
    """Rows of an interrupted run's log for the epochs the backup restored.

    The resumable callbacks call this at the first ``on_epoch_begin`` of a fit call, whose
    ``epoch`` argument is the number of epochs already done (``BackupAndRestore`` sets it),
    so they do not depend on the callbacks' order or on Keras internals.
    """
    if df is None or df.empty:
        return None
    return df[df["epoch"] <= done_epochs].reset_index(drop=True)


class EpochLogWriter(keras.callbacks.Callback):
    """Write ``history.csv`` after every epoch: 1-based ``epoch``, Keras logs, ``lr``.

    ``lr`` is the learning rate of the epoch's last training step (for plateau / constant
    rates the rate in force during the epoch, before any reduction at its end).

    Hand-written (rather than ``CSVLogger(append=True)``) so a resumed run's file holds
    every epoch exactly once: rows from before the resume are kept only up to the epoch the
    backup restored, and the file is rewritten atomically. No timing columns, so seeded
    CPU runs write byte-identical files.
    """

    def __init__(
        self,
        path: Path,
        previous: pd.DataFrame | None = None,
        schedule: keras.optimizers.schedules.LearningRateSchedule | None = None,
    ) -> None:
        super().__init__()
        self.path = Path(path)
        self.previous = previous
        self.schedule = schedule
        self.rows: list[dict[str, Any]] = []
        self._epoch_lr = float("nan")

    def _current_lr(self) -> float:
        optimizer = self.model.optimizer
        if self.schedule is not None:
            last_step = max(int(keras.ops.convert_to_numpy(optimizer.iterations)) - 1, 0)
            return float(keras.ops.convert_to_numpy(self.schedule(last_step)))
        return float(keras.ops.convert_to_numpy(optimizer.learning_rate))

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.rows, self._started = [], False

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if not self._started:
            prior = prior_rows(self.previous, epoch)
            self.rows = prior.to_dict("records") if prior is not None else []
            self._started = True
        if self.schedule is None:
            self._epoch_lr = self._current_lr()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        row: dict[str, Any] = {"epoch": epoch + 1}
        for key, value in (logs or {}).items():
            if key != "learning_rate":
                row[key] = float(value)
        row["lr"] = self._current_lr() if self.schedule is not None else self._epoch_lr
        self.rows = [r for r in self.rows if r["epoch"] < epoch + 1] + [row]
        write_text(self.path, pd.DataFrame(self.rows).to_csv(index=False))

    @property
    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)


TIE_MONITOR = "val_loss"  # breaks ties of a saturated validation metric (e.g. PR-AUC 1.0)


def tie_monitor(monitor: str) -> str | None:
    """The column that breaks ties of ``monitor``: the validation loss, unless it is the monitor."""
    return None if monitor == TIE_MONITOR else TIE_MONITOR


def best_so_far(values: np.ndarray, mode: str, losses: np.ndarray | None = None) -> tuple[float, int]:
    """Best value and its 0-based position: the epoch the callbacks keep, found by the same
    sequential rule (:func:`improves`; with ``losses``, ties are broken by the lower loss,
    otherwise the first occurrence wins)."""
    best: float | None = None
    best_loss: float | None = None
    idx = -1
    for i, value in enumerate(np.asarray(values, float)):
        if np.isnan(value):
            continue
        loss = None if losses is None else float(losses[i])
        if improves(float(value), best, mode, loss=loss, best_loss=best_loss):
            best, best_loss, idx = float(value), loss, i
    if idx < 0:
        raise ValueError("no finite value to choose the best epoch from")
    return float(best), idx


def improves(
    value: float, best: float | None, mode: str, min_delta: float = 0.0,
    loss: float | None = None, best_loss: float | None = None,
) -> bool:  # fmt: skip
    """Keras' improvement rule, written out: ``value`` beats ``best`` by more than
    ``min_delta`` in the direction of ``mode`` (``max`` / ``min``); anything beats None.

    With ``loss`` (the epoch's validation loss) a value *equal* to ``best`` (within
    :data:`TIE_TOLERANCE`) improves when its loss is lower than ``best_loss``, the loss of
    the best epoch so far. Why: once a validation metric saturates (PR-AUC 1.0 on a
    separable validation split) every later epoch ties and Keras keeps the first one, the
    least trained; the loss still tells those epochs apart. Written here: Keras' callbacks
    compare one number."""
    if best is None:
        return True
    if loss is not None and not np.isnan(loss) and abs(value - best) <= TIE_TOLERANCE:
        return best_loss is not None and loss < best_loss
    delta = abs(float(min_delta))
    return value - delta > best if mode == "max" else value + delta < best


class _LossBreaksTies:
    """Mixin for Keras' ``EarlyStopping`` / ``ModelCheckpoint``: their ``_is_improvement``
    follows :func:`improves` with the epoch's :data:`TIE_MONITOR` (read from the logs in
    ``on_epoch_end``), and ``best_tie`` holds the loss of the best epoch. Keras sets
    ``best`` right after an improvement is reported, so ``best_tie`` is set with it."""

    best_tie: float | None = None
    _tie_now: float | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        super().on_train_begin(logs)
        if self.best is None:  # EarlyStopping starts over; a resumed checkpoint keeps both
            self.best_tie = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        tie = tie_monitor(self.monitor)
        value = (logs or {}).get(tie) if tie else None
        self._tie_now = None if value is None else float(value)
        super().on_epoch_end(epoch, logs)

    def _is_improvement(self, monitor_value: Any, reference_value: Any) -> bool:
        if reference_value is not self.best:  # EarlyStopping's baseline: the plain rule
            return super()._is_improvement(monitor_value, reference_value)
        better = improves(
            float(monitor_value), None if self.best is None else float(self.best), self.mode,
            abs(float(getattr(self, "min_delta", 0.0))), loss=self._tie_now, best_loss=self.best_tie,
        )  # fmt: skip
        if better:
            self.best_tie = self._tie_now
        return better


class _ReplaysHistory:
    """Mixin for monitor callbacks: on the first epoch of a resumed fit, replay the kept
    ``history.csv`` rows into the callback's state (Keras resets it in ``on_train_begin``
    and ``BackupAndRestore`` does not save callback state). ``mode`` must be ``min`` or
    ``max`` (stage 02 resolves ``auto`` before)."""

    def __init__(self, previous: pd.DataFrame | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self.mode not in ("min", "max"):
            raise ValueError(f"{type(self).__name__} needs mode 'min' or 'max', got {self.mode!r}")
        self.previous = previous

    def on_train_begin(self, logs: dict | None = None) -> None:
        super().on_train_begin(logs)
        self._replayed = False

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        super().on_epoch_begin(epoch, logs)
        if self._replayed:
            return
        self._replayed = True
        prior = prior_rows(self.previous, epoch)
        if prior is not None and self.monitor in prior:
            self._replay(prior)

    def _tie_losses(self, prior: pd.DataFrame) -> pd.Series:
        """The kept rows' :data:`TIE_MONITOR` (None each where it breaks no tie, or is not logged)."""
        tie = tie_monitor(self.monitor)
        return prior[tie].astype(float) if tie in prior else pd.Series([None] * len(prior), dtype=object)

    def _replay(self, prior: pd.DataFrame) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class ResumableEarlyStopping(_ReplaysHistory, _LossBreaksTies, keras.callbacks.EarlyStopping):
    """Keras ``EarlyStopping`` whose best value and patience counter continue across a
    resumed run; a tie with the best value counts as an improvement when the validation
    loss is lower (:func:`improves`)."""

    def _replay(self, prior: pd.DataFrame) -> None:
        losses = self._tie_losses(prior)
        for epoch, value, loss in zip(prior["epoch"] - 1, prior[self.monitor], losses, strict=True):
            self.wait += 1
            if improves(float(value), self.best, self.mode, self.min_delta, loss=loss, best_loss=self.best_tie):
                self.best, self.best_epoch, self.wait, self.best_tie = float(value), int(epoch), 0, loss

    def on_train_end(self, logs: dict | None = None) -> None:
        """Keras' ending, with one plain line in place of its "Epoch 9: early stopping"."""
        verbose, self.verbose = self.verbose, 0
        super().on_train_end(logs)
        self.verbose = verbose
        planned = int((self.params or {}).get("epochs") or 0)
        # Keras also sets stopped_epoch when patience runs out at the planned last epoch: nothing was cut short
        if self.stopped_epoch > 0 and verbose > 0 and self.stopped_epoch + 1 < planned:
            print(
                f"stopped after epoch {self.stopped_epoch + 1}: {self.monitor} had not improved for "
                f"{self.patience} epoch{'s' * (self.patience != 1)} (best: epoch {self.best_epoch + 1})",
                flush=True,
            )


class ResumableReduceLROnPlateau(_ReplaysHistory, _LossBreaksTies, keras.callbacks.ReduceLROnPlateau):
    """Keras ``ReduceLROnPlateau`` whose best value and wait counter continue across a
    resumed run (the learning rate itself is restored with the optimizer state), and whose
    improvements are early stopping's and the checkpoint's: a tie with the best value
    improves when the validation loss is lower (:func:`improves`). With Keras' own
    comparison a character run's ``val_accuracy``, stuck at 0.193 for epochs 1-7 while
    ``val_loss`` fell, halved the rate after epochs 3, 5 and 7 while early stopping saw an
    improvement every epoch. Also the search's plateau trials
    (:func:`lstm_helpers.model.schedules.plateau_callback`)."""

    def __init__(self, previous: pd.DataFrame | None = None, min_delta: float = 0.0, **kwargs: Any) -> None:
        """``min_delta`` 0, as early stopping's and the checkpoint's: with Keras' 1e-4 a
        ``val_loss`` falling by less per epoch lowered the rate while early stopping waited."""
        super().__init__(previous=previous, min_delta=min_delta, **kwargs)

    def _replay(self, prior: pd.DataFrame) -> None:
        for value, loss in zip(prior[self.monitor], self._tie_losses(prior), strict=True):
            if improves(float(value), self.best, self.mode, self.min_delta, loss=loss, best_loss=self.best_tie):
                self.best, self.wait, self.best_tie = float(value), 0, loss
            else:
                self.wait += 1
                if self.wait >= self.patience:
                    self.wait = 0


def random_state_variables(model: keras.Model) -> list[Any]:
    """The model's random-generator states: ``model.variables`` (all state, "including
    random seeds" in Keras' words) minus ``model.weights`` (which excludes them). Dropout
    layers draw their masks from these; ``save_weights`` (and so ``BackupAndRestore``)
    does not save them."""
    weight_ids = {id(w) for w in model.weights}
    return [v for v in model.variables if id(v) not in weight_ids]


class RandomStateKeeper(keras.callbacks.Callback):
    """Make a resumed fit draw the random numbers the uninterrupted fit would have drawn.

    Two random streams shape an epoch: the order of the training windows and the dropout
    masks. The order of epoch ``e`` depends on ``(seed, e)`` alone
    (:func:`lstm_helpers.model.datasets.training_stream`); on the first epoch of a fit
    (``epoch`` = epochs already done, as ``BackupAndRestore`` restored them) this sets the
    stream's first epoch. The dropout masks come from Keras seed generators, whose state
    variables ``BackupAndRestore`` does not save: this saves them after every epoch
    (keeping the last two, so a kill between this save and the backup's leaves the one the
    backup needs) and restores those of the resumed epoch. Place it before
    ``BackupAndRestore`` in the callback list.

    Parameters
    ----------
    first_epoch : tf.Variable
        The training stream's first epoch.
    path : Path
        ``.npz`` file for the saved seed states (inside the backup directory).
    """

    def __init__(self, first_epoch: Any, path: Path) -> None:
        super().__init__()
        self.first_epoch = first_epoch
        self.path = Path(path)
        self.restored_from: int | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._first = True

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if not self._first:
            return
        self._first = False
        self.first_epoch.assign(epoch)
        if epoch == 0:
            return
        saved = load_npz(self.path) if self.path.is_file() else {}
        variables = random_state_variables(self.model)
        states = [saved.get(f"epoch{epoch}_{i}") for i in range(len(variables))]
        if any(s is None for s in states):
            warnings.warn(
                f"{self.path} holds no random state for epoch {epoch}: the resumed epochs' "
                "dropout masks will differ from an uninterrupted run's",
                UserWarning,
                stacklevel=2,
            )
            return
        for variable, state in zip(variables, states, strict=True):
            variable.assign(state)
        self.restored_from = epoch

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        saved = load_npz(self.path) if self.path.is_file() else {}
        kept = {k: v for k, v in saved.items() if k.startswith(f"epoch{epoch}_")}
        for i, variable in enumerate(random_state_variables(self.model)):
            kept[f"epoch{epoch + 1}_{i}"] = keras.ops.convert_to_numpy(variable)
        save_npz(self.path, kept)


class AtomicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """Keras' ``BackupAndRestore`` whose backup survives a kill in the middle of writing it.

    Keras writes ``latest.weights.h5`` and then ``training_metadata.json`` in place: a
    SIGKILL while the weights are written leaves a torn HDF5 file that the resumed fit
    cannot open (h5py: "bad object header version number"), and one between the two files
    pairs epoch N's weights with epoch N-1's epoch counter. Here both are first written
    whole under ``incoming`` names, then renamed, the weights first (``os.replace`` is
    atomic); a fit that starts settles what a kill left (:meth:`settle`), so the backup it
    loads is always one whole epoch. Written by hand because Keras' ``double_checkpoint``
    only falls back when the weights file cannot be read, not on the mismatched pair.
    """

    INCOMING_WEIGHTS = "incoming.weights.h5"  # Keras' save_weights wants a .weights.h5 name
    INCOMING_METADATA = "incoming_metadata.json"

    def __init__(self, backup_dir: str | Path, **kwargs: Any) -> None:
        super().__init__(str(backup_dir), **kwargs)
        self._incoming = (Path(backup_dir) / self.INCOMING_WEIGHTS, Path(backup_dir) / self.INCOMING_METADATA)

    def settle(self) -> str:
        """Finish a backup whose weights were already renamed, or drop an unfinished one;
        says which (``"finished"``, ``"dropped"`` or ``""``)."""
        weights, metadata = self._incoming
        if metadata.is_file() and not weights.is_file():  # the weights are in place: finish
            os.replace(metadata, self._training_metadata_path)
            return "finished"
        dropped = [p for p in (weights, metadata) if p.is_file()]
        for p in dropped:  # an unfinished write: the previous whole backup stands
            p.unlink()
        return "dropped" if dropped else ""

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.settle()
        super().on_train_begin(logs)

    def restored_epochs(self) -> int:
        """Epochs the backup holds (0 without one): where a fit started now resumes."""
        self.settle()
        meta = Path(self._training_metadata_path)
        return int(json.loads(meta.read_text()).get("epoch", 0)) if meta.is_file() else 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """No backup of the fit's last epoch (the planned last one, or the one early stopping
        ends on): killed before ``model.keras`` is written, the run then re-runs that epoch
        from the backup before it (the seeded epoch comes out the same) rather than resume a
        fit with nothing left to run."""
        if self.model.stop_training or epoch + 1 >= int(self.params.get("epochs") or 0):
            self._current_epoch, self._last_batch_seen = epoch + 1, 0
            return
        super().on_epoch_end(epoch, logs)

    def _save_model(self) -> None:
        weights, metadata = self._incoming
        weights.parent.mkdir(parents=True, exist_ok=True)
        self.model.save_weights(str(weights), overwrite=True)
        metadata.write_text(json.dumps({"epoch": self._current_epoch, "batch": self._last_batch_seen}))
        os.replace(weights, self._weights_path)
        os.replace(metadata, self._training_metadata_path)


class AtomicModelCheckpoint(_LossBreaksTies, keras.callbacks.ModelCheckpoint):
    """Keras' ``ModelCheckpoint`` (weights only) that never leaves a torn file at ``filepath``.

    Keras writes the weights in place; a kill during the write left a file the end of
    training could not load. Here Keras writes to an ``incoming`` name beside it and the
    file is renamed onto ``filepath`` once whole (a leftover from a killed fit is removed
    when the next fit starts). Written by hand for the same reason as
    :class:`AtomicBackupAndRestore`. Ties with the best value go to the lower validation
    loss (:func:`improves`), as in early stopping.
    """

    def __init__(self, filepath: str | Path, **kwargs: Any) -> None:
        self.final_path = Path(filepath)
        self.incoming_path = self.final_path.with_name(f"incoming-{self.final_path.name}")
        super().__init__(str(self.incoming_path), save_weights_only=True, **kwargs)

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.incoming_path.unlink(missing_ok=True)
        super().on_train_begin(logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        super().on_epoch_end(epoch, logs)
        if self.incoming_path.is_file():
            os.replace(self.incoming_path, self.final_path)
