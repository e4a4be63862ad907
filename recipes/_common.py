"""Pieces every recipe shares: seeding, atomic output files, history and plots."""

import csv
import json
import math
import os
import sys
import tempfile

import keras
import numpy as np


#: Choices of every recipe's `--distribute`.
DISTRIBUTE = ("none", "mirrored", "multiworker")


class RecipeError(Exception):
    """A bad input to a recipe: printed as one line, exit status 2."""


def run_main(main, argv=None):
    """Runs a recipe's `main(argv)`; a `RecipeError` becomes a clear exit."""
    try:
        return main(argv)
    except RecipeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


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


def distribution_strategy(name):
    """The `tf.distribute` strategy for `--distribute`, or `None` for one device.

    `"mirrored"` copies the model onto every local device; `"multiworker"`
    runs one process per machine, described by the `TF_CONFIG` environment
    variable. Both need the TensorFlow backend.
    """
    if name in (None, "none"):
        return None
    if keras.backend.backend() != "tensorflow":
        raise RecipeError(
            f"--distribute {name} needs the TensorFlow backend. Received: "
            f"KERAS_BACKEND={keras.backend.backend()}. Unset KERAS_BACKEND (or "
            "set it to tensorflow), or on JAX use keras.distribution.DataParallel."
        )
    import tensorflow as tf

    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        if not os.environ.get("TF_CONFIG"):
            raise RecipeError(
                "--distribute multiworker needs the TF_CONFIG environment variable "
                "(the cluster and this worker's index). Received: TF_CONFIG unset. "
                "See benchmarks/multiworker.py for an example."
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise RecipeError(
        "--distribute must be one of 'none', 'mirrored', 'multiworker'. "
        f"Received: {name!r}."
    )


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
    from matplotlib.figure import Figure

    logs = history.history if hasattr(history, "history") else dict(history)
    names = [k for k in logs if not k.startswith("val_") and k != "learning_rate"]
    names = ["loss"] + [k for k in names if k != "loss"][:1]
    fig = Figure(figsize=(5 * len(names), 3.5))
    axes = fig.subplots(1, len(names))
    for ax, name in zip(np.atleast_1d(axes), names):
        for key, style in ((name, "-"), (f"val_{name}", "--")):
            if key in logs:
                ax.plot(range(1, len(logs[key]) + 1), logs[key], style, label=key)
        ax.set_xlabel("epoch")
        ax.set_title(name)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    _atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=80, format="png"),
                  suffix=".png")


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
