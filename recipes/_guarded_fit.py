"""The recipes' guarded training loop: `fit` that stops on NaN, keeps the
best finite weights, resumes after a kill (across processes too), and the
scores and batches it needs."""

import csv
import json
import math
import os
import shutil
import tempfile
import time

import keras

import kerasnn
from kerasnn.callbacks import diagnose_fit
from ._errors import RecipeError
from ._outputs import finite_or_none

#: Status values of GradientMonitor that mean the run failed.
FAILED = ("nan", "exploding")


def batches(x, y, batch_size, processes):
    """`(x, y)` as Keras takes it: arrays, or global batches for several
    processes.

    Across processes Keras refuses NumPy arrays and hands each process its
    share of every batch of a `tf.data.Dataset`; `drop_remainder` gives
    every process the same number of steps, so none waits forever.
    """
    if processes.count == 1:
        return x, y
    import tensorflow as tf

    if batch_size % processes.count:
        raise RecipeError(
            f"--batch-size must be a multiple of the number of processes "
            f"({processes.count}) with --distribute multiprocess. Received: "
            f"--batch-size {batch_size}.")
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(
        batch_size, drop_remainder=True)


def eval_batch(n, batch_size, processes):
    """A global batch for scoring `n` rows: at most `batch_size`, at most
    `n`, a multiple of the number of processes (at least one row each)."""
    size = min(batch_size, n)
    return max(processes.count, size - size % processes.count)


class FitResult:
    """What `fit_safely` learned: the full history, time, monitor and status."""

    def __init__(self, history, seconds, monitor, resumed_from):
        self.history = history
        self.seconds = seconds
        self.callback = monitor
        self.monitor = monitor.report()
        self.resumed_from = resumed_from
        losses = history.get("loss", [])
        self.finite = bool(losses) and all(
            v is not None and math.isfinite(v) for v in losses)
        self.ok = self.finite and self.monitor["status"] not in FAILED

    def summary(self):
        diagnosis = diagnose_fit(self.history) if self.finite else {
            "status": "failed", "advice": [], "best_epoch": None}
        return {
            "status": "ok" if self.ok else "failed",
            "train_seconds": round(self.seconds, 2),
            "epochs_run": len(self.history.get("loss", [])),
            "resumed_from_epoch": self.resumed_from,
            "monitor_status": self.monitor["status"],
            "monitor": {k: self.monitor[k] for k in
                        ("status", "advice", "first_last_ratio", "notes")},
            "fit_diagnosis": {k: diagnosis[k] for k in
                              ("status", "best_epoch", "advice")},
        }


def fit_safely(model, x, y, validation_data, *, epochs, batch_size, monitor,
               callbacks, backup_dir, patience, verbose,
               processes=kerasnn.ProcessInfo(0, 1)):
    """`fit` that stops on NaN, keeps the best finite weights and resumes.

    The per-epoch log is kept in `backup_dir` with the training state, so a
    resumed run reports the history of all its epochs. Across processes,
    `backup_dir` must be one folder that all of them read (a shared file
    system across hosts): process 0 writes the state, every process restores
    it, so all resume at the same epoch.
    """
    name = ("epochs.csv" if processes.is_chief
            else f"epochs-process{processes.index}.csv")
    log = os.path.join(backup_dir, name)
    resumed_from = last_epoch(backup_dir)
    os.makedirs(backup_dir, exist_ok=True)
    stopping = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=patience, restore_best_weights=True)
    every = [
        monitor, *callbacks, keras.callbacks.TerminateOnNaN(), stopping,
        keras.callbacks.CSVLogger(log, append=True),
        FiniteBackup(backup_dir, delete_checkpoint=False,
                     writes=processes.is_chief),
    ]
    if processes.count > 1:
        x_val, y_val = validation_data
        validation_data = batches(
            x_val, y_val, eval_batch(len(y_val), batch_size, processes),
            processes)
        x, y, batch_size = batches(x, y, batch_size, processes), None, None
    start = time.perf_counter()
    model.fit(x, y, validation_data=validation_data, epochs=epochs,
              batch_size=batch_size, callbacks=every, verbose=verbose)
    seconds = time.perf_counter() - start
    return FitResult(read_log(log), seconds, monitor, resumed_from)


def score(model, x, y, prefix, processes=kerasnn.ProcessInfo(0, 1)):
    """`{prefix}_accuracy`, `{prefix}_loss` and the number of images.

    Across processes the last partial batch is left out (every process must
    run the same steps); `n_{prefix}` counts the images scored.
    """
    size = min(500, len(y))
    if processes.count > 1:
        size = eval_batch(len(y), 500, processes)
        n = len(y) - len(y) % size
        x, y = batches(x, y, size, processes), None
        loss, accuracy = model.evaluate(x, verbose=0)[:2]
    else:
        n = len(y)
        loss, accuracy = model.evaluate(x, y, batch_size=size, verbose=0)[:2]
    return {f"{prefix}_accuracy": finite_or_none(accuracy),
            f"{prefix}_loss": finite_or_none(loss),
            f"n_{prefix}": int(n)}


class FiniteBackup(keras.callbacks.BackupAndRestore):
    """BackupAndRestore that never saves an epoch whose loss is NaN/inf.

    `writes=False` (every process but 0) restores the state at the start
    and saves into a private scratch folder instead: saving weights is a
    collective step on JAX across processes (each must take part), but
    processes sharing a folder must not race on its files. The scratch
    folder lives inside `backup_dir`, so a killed process leaves nothing
    behind once the run that resumes it succeeds and removes the backup.
    """

    def __init__(self, backup_dir, *, writes=True, **kwargs):
        super().__init__(backup_dir, **kwargs)
        self.writes = writes
        self._scratch = None

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            super().on_epoch_end(epoch, logs)

    def _save_model(self):
        if self.writes:
            return super()._save_model()
        if self._scratch is None:
            os.makedirs(self.backup_dir, exist_ok=True)
            self._scratch = tempfile.mkdtemp(prefix=".scratch-",
                                             dir=self.backup_dir)
        names = ("_weights_path", "_training_metadata_path",
                 "_prev_weights_path", "_prev_training_metadata_path")
        kept = {name: getattr(self, name) for name in names}
        kept["backup_dir"] = self.backup_dir
        try:
            self.backup_dir = self._scratch
            for name in names:
                setattr(self, name, os.path.join(
                    self._scratch, os.path.basename(kept[name])))
            super()._save_model()
        finally:
            for name, value in kept.items():
                setattr(self, name, value)

    def on_train_end(self, logs=None):
        super().on_train_end(logs)
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None


def last_epoch(backup_dir):
    """The epoch a resumed run starts from (0 for a fresh run)."""
    path = os.path.join(backup_dir, "training_metadata.json")
    if not os.path.exists(path):
        return 0
    with open(path) as f:
        return int(json.load(f).get("epoch", 0))


def read_log(path):
    """The per-epoch log as a History dict; a rerun epoch keeps its last row."""
    if not os.path.exists(path):
        return {}
    rows = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            rows[int(row.pop("epoch"))] = row
    history = {}
    for epoch in sorted(rows):
        for key, value in rows[epoch].items():
            history.setdefault(key, []).append(_number(value))
    return history


def _number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None
