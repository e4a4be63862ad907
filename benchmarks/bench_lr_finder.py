"""LRFinder's suggestion versus the best rate of a grid, and the LR plot.

For two data sets, MNIST (mnist-5k, the keras.io simple convnet) and the
Palmer penguins table (a small MLP), runs `find_lr` on a fresh model, then
trains fresh models (same seed) for a few epochs at the suggestion and at
each rate of the grid 1e-4, 3e-4, ..., 3e-2 (Adam), and prints the held-out
accuracy of each side by side. Writes the MNIST range-test plot.

Run by hand from the repo root:

    python benchmarks/bench_lr_finder.py [--epochs 3] [--out docs/img/]
"""

import argparse
import os
import sys
import time
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from callbacks import CallbackWarning  # noqa: E402
from callbacks import find_lr  # noqa: E402

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
GRID = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--data", default=DATA)
    parser.add_argument("--out", default="docs/img/")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    print(f"backend={keras.backend.backend()} grid={GRID} epochs={args.epochs}")
    for name, loader, builder, batch in (
        ("mnist-5k", _mnist, _cnn, 128),
        ("penguins", _penguins, _mlp, 16),
    ):
        (x, y), (xt, yt) = loader(args.data)
        start = time.perf_counter()
        keras.utils.set_random_seed(0)
        model = builder(x.shape[1:], 1e-3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CallbackWarning)
            finder = find_lr(model, x, y, batch_size=batch, num_steps=100)
        seconds = time.perf_counter() - start
        suggestion = finder.suggestion
        if name == "mnist-5k":
            print(f"wrote {finder.plot(os.path.join(args.out, 'lr_finder.png'))}")
        scores = {lr: _train(builder, lr, x, y, xt, yt, batch, args.epochs)
                  for lr in GRID}
        best_lr = max(scores, key=scores.get)
        at_suggestion = _train(builder, suggestion, x, y, xt, yt, batch,
                               args.epochs)
        print(f"\n{name}: find_lr {len(finder.losses)} steps in {seconds:.1f} s; "
              f"suggestion (valley) {suggestion:.2e}; also steepest "
              f"{finder.suggest('steepest'):.2e}, minimum/10 "
              f"{finder.suggest('minimum'):.2e}")
        print("  grid: " + ", ".join(f"{lr:g} -> {acc:.3f}" for lr, acc in scores.items()))
        print(f"  accuracy after {args.epochs} epochs: suggestion {suggestion:.2e} -> "
              f"{at_suggestion:.3f} | grid best {best_lr:g} -> {scores[best_lr]:.3f}")


def _train(builder, lr, x, y, xt, yt, batch, epochs):
    keras.utils.set_random_seed(0)
    model = builder(x.shape[1:], lr)
    model.fit(x, y, epochs=epochs, batch_size=batch, verbose=0)
    return float(model.evaluate(xt, yt, verbose=0, return_dict=True)["accuracy"])


def _mnist(root):
    with np.load(os.path.join(root, "mnist", "mnist-5k.npz")) as data:
        x, y = data["x_train"], data["y_train"]
        xt, yt = data["x_test"], data["y_test"]
    order = np.random.default_rng(0).permutation(len(x))  # stored sorted
    prep = lambda a: a[..., None].astype("float32") / 255.0  # noqa: E731
    return (prep(x[order]), y[order]), (prep(xt), yt)


def _penguins(root):
    import pandas as pd
    from sklearn.model_selection import train_test_split

    frame = pd.read_csv(os.path.join(root, "penguins", "penguins.csv"))
    frame = frame.dropna(subset=["species"])
    target = frame.pop("species").astype("category").cat.codes.to_numpy()
    numeric = frame.select_dtypes("number")
    numeric = numeric.fillna(numeric.median())
    strings = pd.get_dummies(frame.select_dtypes(exclude="number").fillna("NA"))
    table = pd.concat([numeric, strings], axis=1).to_numpy("float32")
    xa, xb, ya, yb = train_test_split(table, target, test_size=0.2,
                                      stratify=target, random_state=0)
    mean, std = xa.mean(axis=0), xa.std(axis=0) + 1e-6
    return ((xa - mean) / std, ya), ((xb - mean) / std, yb)


def _cnn(shape, lr):
    model = keras.Sequential([
        keras.Input(shape),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(64, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(10, activation="softmax"),
    ])
    return _compile(model, lr)


def _mlp(shape, lr):
    model = keras.Sequential([
        keras.Input(shape),
        keras.layers.Dense(32, activation="relu", kernel_initializer="he_normal"),
        keras.layers.Dense(3, activation="softmax"),
    ])
    return _compile(model, lr)


def _compile(model, lr):
    model.compile(keras.optimizers.Adam(float(lr)),
                  "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


if __name__ == "__main__":
    main()
