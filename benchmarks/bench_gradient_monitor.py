"""GradientMonitor overhead on the MNIST CNN, and the gradient-norm plot.

Times `fit` of the keras.io "simple MNIST convnet" on mnist-5k with and
without `GradientMonitor()` (default settings), alternating the two on fresh
models with the same seed, and prints the ratio of the median times (the
baseline is measured in the same run) and the wall time spent inside the
monitor's own hooks, which the noise of a shared machine blurs less. Then
trains a deep sigmoid MLP that the monitor flags as vanishing, next to a
ReLU + He + BatchNorm one, and draws their per-layer gradient norms.

Run by hand from the repo root:

    python benchmarks/bench_gradient_monitor.py [--epochs 5] [--repeats 3]
        [--out docs/img/]
"""

import argparse
import os
import statistics
import time
import warnings

import keras
import numpy as np

from kerasnn.callbacks import CallbackWarning
from kerasnn.callbacks import GradientMonitor

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data",
                    "mnist", "mnist-5k.npz")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--data", default=DATA)
    parser.add_argument("--out", default="docs/img/")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    x, y = _mnist(args.data)
    print(f"backend={keras.backend.backend()} data={len(x)} images "
          f"epochs={args.epochs} batch_size={args.batch_size}")
    # Warm-up: first-time costs of the backend (kernels, thread pools).
    _timed_fit(x, y, 1, args.batch_size, None)
    times = {"without": [], "with": []}
    cpu = {"without": [], "with": []}
    inside = []
    for _ in range(args.repeats):
        for label in ("without", "with"):
            monitor = _TimedMonitor() if label == "with" else None
            seconds, cpu_seconds, _ = _timed_fit(x, y, args.epochs,
                                                 args.batch_size, monitor)
            times[label].append(seconds)
            cpu[label].append(cpu_seconds)
            if monitor is not None:
                status = monitor.report()["status"]
                inside.append(monitor.seconds)
    base, mon = statistics.median(times["without"]), statistics.median(times["with"])
    paired = statistics.median(w / wo for w, wo in zip(times["with"],
                                                       times["without"]))
    print(f"fit time without monitor: {base:.2f} s (median of {args.repeats}: "
          + ", ".join(f"{t:.2f}" for t in times["without"]) + ")")
    print(f"fit time with monitor:    {mon:.2f} s (median of {args.repeats}: "
          + ", ".join(f"{t:.2f}" for t in times["with"]) + ")")
    print(f"overhead ratio with/without: {mon / base:.3f} "
          f"({(mon / base - 1) * 100:+.1f}%) on medians, {paired:.3f} as the "
          f"median of the paired runs' ratios, "
          f"{min(times['with']) / min(times['without']):.3f} on the fastest "
          f"runs; monitor status: {status}")
    spent = statistics.median(inside)
    print(f"time inside the monitor's hooks: {spent:.3f} s per fit (median; "
          + ", ".join(f"{t:.3f}" for t in inside) + f"), {spent / base:.1%} "
          "of the median fit without it")

    cpu_base = statistics.median(cpu["without"])
    cpu_mon = statistics.median(cpu["with"])
    print(f"CPU time (all threads) without / with monitor: {cpu_base:.2f} s / "
          f"{cpu_mon:.2f} s (medians): ratio {cpu_mon / cpu_base:.3f} "
          f"({(cpu_mon / cpu_base - 1) * 100:+.1f}%)")

    path = _plot_norms(args.out)
    print(f"wrote {path}")


class _TimedMonitor(GradientMonitor):
    """`GradientMonitor()` that adds up the wall time spent in its hooks."""

    seconds = 0.0

    def _timed(self, hook, *args, **kwargs):
        start = time.perf_counter()
        try:
            return hook(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start

    def on_train_begin(self, logs=None):
        self.seconds = 0.0
        self._timed(super().on_train_begin, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._timed(super().on_train_batch_begin, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._timed(super().on_epoch_end, epoch, logs)

    def on_train_end(self, logs=None):
        self._timed(super().on_train_end, logs)


def _mnist(path):
    with np.load(path) as data:
        x, y = data["x_train"], data["y_train"]
    order = np.random.default_rng(0).permutation(len(x))  # stored sorted
    return (x[order, :, :, None].astype("float32") / 255.0), y[order]


def _cnn():
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(64, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(10, activation="softmax"),
    ])


def _timed_fit(x, y, epochs, batch_size, monitor):
    keras.utils.set_random_seed(0)
    model = _cnn()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    callbacks = [] if monitor is None else [monitor]
    start, cpu_start = time.perf_counter(), time.process_time()
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0,
                        callbacks=callbacks)
    return (time.perf_counter() - start, time.process_time() - cpu_start,
            history)


def _plot_norms(out):
    """Deep sigmoid MLP (vanishing) vs ReLU + He + BatchNorm, on a tabular task."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2048, 16)).astype("float32")
    y = (x[:, :4].sum(axis=1) > 0).astype("int32")
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2), dpi=80, sharey=True)
    for ax, (title, act, bn) in zip(axes, [("sigmoid, Glorot, 8 layers", "sigmoid", False),
                                           ("ReLU, He, BatchNorm, 8 layers", "relu", True)]):
        keras.utils.set_random_seed(0)
        layers = [keras.Input((16,))]
        for _ in range(8):
            init = "he_normal" if act == "relu" else "glorot_uniform"
            layers.append(keras.layers.Dense(32, kernel_initializer=init,
                                             activation=None if bn else act))
            if bn:
                layers += [keras.layers.BatchNormalization(),
                           keras.layers.Activation(act)]
        model = keras.Sequential(layers + [keras.layers.Dense(2)])
        model.compile(keras.optimizers.SGD(0.01), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        monitor = GradientMonitor(every=8)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CallbackWarning)
            model.fit(x, y, epochs=4, batch_size=32, verbose=0, callbacks=[monitor])
        report = monitor.report()
        probes = monitor.probe_history
        dense = [i for i, n in enumerate(probes.layers) if "dense" in n]
        norms = probes.grad_norms[:, dense]
        cmap = plt.get_cmap("viridis")
        for j, i in enumerate(dense):
            ax.plot(probes.steps, norms[:, j], color=cmap(j / (len(dense) - 1)),
                    label=f"dense {j + 1}" if j in (0, len(dense) - 1) else None)
        ax.set_yscale("log")
        ax.set_title(f"{title}: {report['status']}", fontsize=9)
        ax.set_xlabel("training step")
        print(f"{title}: status={report['status']} first/last ratio="
              f"{report['first_last_ratio']:.2e}")
    axes[0].set_ylabel("gradient norm (per Dense layer)")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    path = os.path.join(out, "gradient_norms.png")
    fig.savefig(path)
    plt.close(fig)
    return path


if __name__ == "__main__":
    main()
