"""What the recipes write: the output folder, atomic files (JSON, `.keras`,
CSV history, PNG plots) and the summary they print."""

import csv
import importlib.util
import json
import math
import os
import shutil
import tempfile

import numpy as np

from kerasnn import plotting
from kerasnn._progress import print_msg


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
    print_msg("\n".join(lines))


def plot_to(source, path):
    """`source.plot` into a temp file, then a rename: never half a PNG."""
    tmp = path[:-len(".png")] + ".tmp.png"
    source.plot(tmp)
    os.replace(tmp, path)


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
