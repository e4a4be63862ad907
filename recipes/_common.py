"""Pieces the recipes share: the command line, seeding, atomic output files,
history and plots, and the MNIST data, CNN and guarded training loop that the
MNIST and transfer recipes both use.
"""

import argparse
import csv
import importlib.util
import json
import math
import os
import shutil
import sys
import tempfile
import time
import zipfile

import keras
import numpy as np

import kerasnn
from kerasnn import plotting
from kerasnn.callbacks import diagnose_fit


#: Choices of every recipe's `--distribute`.
DISTRIBUTE = ("none", "mirrored", "multiprocess")
#: The embedded MNIST subset: 5,000 training and 5,000 test images.
MNIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                     "mnist-5k.npz")
N_CLASSES = 10
#: Status values of GradientMonitor that mean the run failed.
FAILED = ("nan", "exploding")


class RecipeError(Exception):
    """A bad input to a recipe: printed as one line, exit status 2."""


def run_main(main, argv=None, **kwargs):
    """Runs a recipe's `main(argv)`; a `RecipeError` becomes a clear exit."""
    try:
        return main(argv, **kwargs)
    except RecipeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def add_run_options(parser, *, backup_what="training"):
    """The options every recipe takes, with the same names and meanings."""
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--seed", type=natural_int, default=0,
                        help="seeds the split, the weights and TensorFlow's op "
                             "determinism, so a CPU run is repeatable "
                             "(default 0)")
    parser.add_argument("--backup-dir", default=None,
                        help=f"where the {backup_what} keeps its state for "
                             "BackupAndRestore (default OUT/backup, removed "
                             "after a successful run)")
    parser.add_argument("--quiet", action="store_true",
                        help="no per-epoch progress lines")


def set_seed(seed, *, deterministic=True):
    """Seeds Python, NumPy and the backend; on TensorFlow also op determinism."""
    if seed is None:
        return
    keras.utils.set_random_seed(seed)
    if deterministic and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def set_mixed_precision(enabled):
    """`mixed_bfloat16` when asked; the output layers stay float32."""
    if enabled:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")


def distribute_choice(text):
    """`--distribute`'s type: one of `DISTRIBUTE`; `multiworker` explains."""
    if text == "multiworker":
        raise argparse.ArgumentTypeError(
            "'multiworker' was removed: model.fit under tf.distribute's "
            "MultiWorkerMirroredStrategy fails inside Keras 3 "
            "(keras-team/keras#20585). Use 'multiprocess' (JAX backend, one "
            "process per host, KERAS_DISTRIBUTION_* variables; see "
            "docs/scale-out.md) or 'mirrored' (one machine, TensorFlow).")
    if text not in DISTRIBUTE:
        raise argparse.ArgumentTypeError(
            f"must be one of {', '.join(map(repr, DISTRIBUTE))}. Received: "
            f"{text!r}.")
    return text


def start_processes(name):
    """For `--distribute multiprocess`, joins the other processes first.

    Runs before any JAX work. Returns this process's `ProcessInfo`; `(0, 1)`
    for every other choice.
    """
    if name != "multiprocess":
        return kerasnn.ProcessInfo(0, 1)
    if keras.backend.backend() != "jax":
        raise RecipeError(
            "--distribute multiprocess needs the JAX backend. Received: "
            f"KERAS_BACKEND={keras.backend.backend()}. Set KERAS_BACKEND=jax "
            "in every process.")
    try:
        return kerasnn.initialize_data_parallel()
    except kerasnn.KerasnnError as error:
        raise RecipeError(str(error)) from None


def distribution_strategy(name):
    """The `tf.distribute` strategy for `--distribute`, or `None`.

    `"mirrored"` copies the model onto every local device (TensorFlow);
    `"multiprocess"` needs none: `start_processes` set Keras's
    `DataParallel` distribution, which the builders pick up.
    """
    if name in (None, "none", "multiprocess"):
        return None
    if keras.backend.backend() != "tensorflow":
        raise RecipeError(
            f"--distribute {name} needs the TensorFlow backend. Received: "
            f"KERAS_BACKEND={keras.backend.backend()}. Unset KERAS_BACKEND (or "
            "set it to tensorflow), or on JAX use --distribute multiprocess.")
    import tensorflow as tf

    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    raise RecipeError(
        f"--distribute must be one of {', '.join(map(repr, DISTRIBUTE))}. "
        f"Received: {name!r}.")


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


def output_dir(path):
    """Creates the output folder (and parents) and returns it."""
    os.makedirs(path, exist_ok=True)
    return path


def write_json(path, data):
    """Writes JSON atomically: a temp file in the same folder, then a rename."""
    _atomic_write(path, lambda tmp: _dump_json(tmp, data), suffix=".json")


def save_model(model, path):
    """Saves a `.keras` file atomically, so a kill never leaves half a model."""
    _atomic_write(path, model.save, suffix=".keras")


def write_history(history, path):
    """Writes a `History`'s per-epoch figures to CSV, one row per epoch."""
    logs = history.history if hasattr(history, "history") else dict(history)
    keys = sorted(logs)
    n = max((len(v) for v in logs.values()), default=0)
    epochs = list(getattr(history, "epoch", range(n)))

    def write(tmp):
        with open(tmp, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["epoch", *keys])
            for i in range(n):
                writer.writerow([epochs[i] if i < len(epochs) else i,
                                 *(_cell(logs[k], i) for k in keys)])

    _atomic_write(path, write, suffix=".csv")


def plot_history(history, path, *, title=None):
    """Plots loss and the first metric, training against validation."""
    logs = history.history if hasattr(history, "history") else dict(history)
    names = [k for k in logs if not k.startswith("val_") and k != "learning_rate"]
    names = ["loss"] + [k for k in names if k != "loss"][:1]
    fig = plotting.plot_history(logs, metrics=names)
    if title:
        fig.suptitle(title)
    _atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=80, format="png"),
                  suffix=".png")


def load_npz(path, flag, keys, *, required=True):
    """Loads arrays `keys` (images, labels) from a `.npz`, pickles refused."""
    if not os.path.isfile(path):
        raise RecipeError(f"{flag} must be an existing .npz file. Received: "
                          f"{path!r} (no such file).")
    try:
        with np.load(path, allow_pickle=False) as data:
            if not hasattr(data, "files"):
                raise ValueError("it holds a single array, not named arrays")
            missing = [k for k in keys if k not in data.files]
            if missing and required:
                raise RecipeError(
                    f"{flag} must hold the arrays {', '.join(keys)} (Keras's "
                    f"mnist.npz layout). Received: {path!r} without "
                    f"{', '.join(missing)}; it holds "
                    f"{', '.join(data.files) or 'no arrays'}.")
            if missing:
                return None
            x, y = (data[k] for k in keys)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise RecipeError(
            f"{flag} must be a NumPy .npz file in Keras's mnist.npz layout "
            f"(x_train, y_train, x_test, y_test). Received: {path!r}, which "
            f"could not be read as one ({error})."
        ) from None
    return check_images(x, y, f"{flag} {keys[0]}/{keys[1]}")


def check_images(x, y, what):
    """Checks images (n, h, w[, 1]) and integer labels 0-9; returns float32/255."""
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3 or y.ndim != 1 or len(x) != len(y) or len(y) == 0:
        raise RecipeError(
            f"{what} must be images of shape (n, height, width) and n labels. "
            f"Received: shapes {x.shape} and {y.shape}.")
    if x.dtype.kind not in "uif" or not np.all(np.isfinite(x)):
        raise RecipeError(
            f"{what}: the images must be finite numbers (pixels 0-255). "
            f"Received: dtype {x.dtype}"
            + (", with NaN or inf." if x.dtype.kind == "f" else "."))
    if y.dtype.kind not in "iu" or y.min() < 0 or y.max() >= N_CLASSES:
        raise RecipeError(
            f"{what}: the labels must be integers 0-{N_CLASSES - 1}. Received: "
            f"dtype {y.dtype}, values {y.min()} to {y.max()}.")
    return (x.astype("float32") / 255.0)[..., None], y.astype("int64")


def stratified_split(x, y, fraction, seed):
    """Shuffles and holds out `fraction` of every class for validation."""
    rng = np.random.default_rng(seed)
    val = []
    for label in np.unique(y):
        rows = rng.permutation(np.flatnonzero(y == label))
        val.append(rows[:max(1, round(fraction * len(rows)))])
    val = np.sort(np.concatenate(val))
    train = rng.permutation(np.setdiff1d(np.arange(len(y)), val))
    return x[train], y[train], x[val], y[val]


#: The recipes' CNN: two blocks of two 3x3 convs (32, 64 filters) with
#: BatchNorm, light augmentation, a little weight decay, and no dropout
#: between the blocks: dropout before a BatchNorm layer shifts the variance
#: it learns between training and inference ("variance shift"), which cost
#: about 0.5% test accuracy here. Measured choices: docs/images.md.
CNN = dict(augment=True, dropout=0.0, translation=0.08, rotation=0.03,
           zoom=0.08, l2=1e-4)


def image_model(n_classes, *, learning_rate=None, seed=None, strategy=None):
    """The compiled CNN of the MNIST and transfer recipes, on 28x28x1 pixels."""
    return short_run_batchnorm(kerasnn.build_image_model(
        "multiclass", (28, 28, 1), n_classes=n_classes,
        learning_rate=learning_rate, seed=seed, strategy=strategy, **CNN))


def short_run_batchnorm(model, momentum=0.9):
    """Sets the moving-average momentum of every BatchNorm layer.

    Keras's default, 0.99, averages over ~100 steps; a run of ~140 steps per
    epoch then evaluates with statistics that lag the weights by an epoch,
    and the validation accuracy jumps around. 0.9 follows the weights.
    """
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = momentum
    return model


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


def write_outputs(out, model, result, metrics, finder=None):
    """metrics.json, model.keras (finite weights only), history.csv, plots.

    Plots need matplotlib; where it is missing (the GPU machine) they are
    left out and `metrics["plots"]` says so.
    """
    finite = all(np.all(np.isfinite(w)) for w in model.get_weights())
    if finite:
        save_model(model, os.path.join(out, "model.keras"))
    metrics["model_saved"] = finite
    can_plot = importlib.util.find_spec("matplotlib") is not None
    metrics["plots"] = "written" if can_plot else (
        "skipped: matplotlib is not installed")
    write_json(os.path.join(out, "metrics.json"), metrics)
    if result.history.get("loss"):
        write_history(result.history, os.path.join(out, "history.csv"))
    if not can_plot:
        return
    if result.history.get("loss"):
        plot_history(result.history, os.path.join(out, "history.png"))
    if finder is not None:
        plot_to(finder, os.path.join(out, "lr_finder.png"))
    if result.monitor["probes"]:
        plot_to(result.callback, os.path.join(out, "gradient_norms.png"))


def follow_outputs(model):
    """What `write_outputs` does with the model, on processes other than 0.

    Reading or saving the weights is a collective step on JAX across
    processes; the others take part and keep nothing.
    """
    all(np.all(np.isfinite(w)) for w in model.get_weights())
    scratch = tempfile.mkdtemp(prefix="kerasnn-model-")
    try:
        model.save(os.path.join(scratch, "model.keras"))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def print_summary(title, metrics):
    lines = [f"{title}: {metrics['status']}"]
    if metrics.get("test_accuracy") is not None:
        lines.append(f"  test accuracy {metrics['test_accuracy']:.4f} on "
                     f"{metrics['n_test']} images")
    if metrics.get("eval_accuracy") is not None:
        lines.append(f"  eval accuracy {metrics['eval_accuracy']:.4f} on "
                     f"{metrics['n_eval']} images (--eval-npz)")
    lines.append(f"  {metrics['epochs_run']} epochs in "
                 f"{metrics['train_seconds']:.1f} s at learning rate "
                 f"{metrics['learning_rate']:.3g}")
    lines.append(f"  gradients: {metrics['monitor_status']}; fit: "
                 f"{metrics['fit_diagnosis']['status']}")
    for advice in (metrics["monitor"]["advice"]
                   + metrics["fit_diagnosis"]["advice"])[:3]:
        lines.append(f"  - {advice}")
    print("\n".join(lines))


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


def plot_to(source, path):
    """`source.plot` into a temp file, then a rename: never half a PNG."""
    tmp = path[:-len(".png")] + ".tmp.png"
    source.plot(tmp)
    os.replace(tmp, path)


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


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def natural_int(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def positive_float(text):
    value = float(text)
    if not value > 0 or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text}")
    return value


def finite_or_none(value):
    """A float for JSON, or `None` when it is NaN or infinite."""
    value = float(value)
    return value if math.isfinite(value) else None


def _cell(values, i):
    return values[i] if i < len(values) else ""


def _dump_json(path, data):
    with open(path, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")


def _atomic_write(path, write, *, suffix):
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=suffix)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
