"""The callbacks of one `train_tabular` run, and the log that resumes its
history after a kill."""

import json
import math
import os

import keras


def run_callbacks(validate, patience, backup_dir, restart, *,
                  reduce_on_plateau=True):
    """TerminateOnNaN; with `backup_dir`, the epoch log and BackupAndRestore;
    with validation rows, early stopping and (`reduce_on_plateau`)
    ReduceLROnPlateau."""
    monitor = "val_loss" if validate else "loss"
    callbacks = [keras.callbacks.TerminateOnNaN()]
    if backup_dir is not None:
        folder = backup_dir if restart is None else os.path.join(
            backup_dir, f"restart_{restart}")
        # The log goes first: an epoch logged but not backed up is rerun and
        # logged again, never lost.
        callbacks.append(EpochLog(os.path.join(folder, "epochs.jsonl")))
        callbacks.append(keras.callbacks.BackupAndRestore(folder))
    if validate:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor=monitor, patience=patience, restore_best_weights=True))
    if validate and reduce_on_plateau:
        callbacks.append(keras.callbacks.ReduceLROnPlateau(
            monitor=monitor, factor=0.5, patience=max(2, patience // 4),
            min_lr=1e-5))
    return callbacks


class EpochLog(keras.callbacks.Callback):
    """Keeps each finished epoch's logs in a file beside the training backup.

    `BackupAndRestore` brings back the weights and the epoch count after a
    kill, but not the `History` of the epochs before it; this log does.
    """

    def __init__(self, path):
        super().__init__()
        self.path = path
        self.epochs = {}

    def on_train_begin(self, logs=None):
        self.epochs = {}
        if not os.path.exists(self.path):
            return
        with open(self.path) as f:
            for line in f:
                try:
                    row = json.loads(line)
                except ValueError:  # a line cut short by the kill
                    continue
                self.epochs[int(row.pop("epoch"))] = row

    def on_epoch_end(self, epoch, logs=None):
        row = {k: _number(v) for k, v in (logs or {}).items()}
        self.epochs[epoch] = row
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        with open(self.path, "a") as f:
            f.write(json.dumps({"epoch": epoch, **row}) + "\n")

    def complete(self, history):
        """Puts the logged epochs of earlier, killed runs into `history`."""
        epochs = sorted(self.epochs)
        keys = sorted({k for row in self.epochs.values() for k in row})
        history.epoch = epochs
        history.history = {k: [self.epochs[e].get(k, math.nan) for e in epochs]
                           for k in keys}


def _number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan
