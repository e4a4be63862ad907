"""The MNIST recipe's default CNN against the keras.io "simple MNIST convnet".

    python benchmarks/bench_mnist.py [--seed 0] [--out runs/bench_mnist]

Both train on the same 4,500 shuffled images of the embedded 5k training set
(a stratified 500 held out for validation, as the recipe does) and are scored
on the 5,000 embedded test images, in the same process, one after the other,
so that both timings see the same machine load. The recipe side runs
`recipes.mnist` itself with its default settings; the keras.io side is the
model and settings of https://keras.io/examples/vision/mnist_convnet/
(batch 128, 15 epochs, Adam), on inputs scaled to [0, 1] as in that example.
Prints a table and writes `bench_mnist.json` into `--out`.
"""

import argparse
import json
import os
import sys
import time

import keras

from kerasnn.recipes import mnist
from kerasnn.recipes._common import MNIST
from kerasnn.recipes._common import load_npz
from kerasnn.recipes._common import set_seed
from kerasnn.recipes._common import stratified_split
from kerasnn.recipes._common import write_json


def keras_io_convnet():
    """The model of the keras.io example, as published."""
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam",
                  metrics=["accuracy"])
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=os.path.join("runs", "bench_mnist"))
    args = parser.parse_args(argv)

    recipe_out = os.path.join(args.out, "recipe")
    start = time.perf_counter()
    status = mnist.main(["--out", recipe_out, "--seed", str(args.seed),
                         "--quiet"])
    wall = time.perf_counter() - start
    with open(os.path.join(recipe_out, "metrics.json")) as f:
        recipe = json.load(f)
    keras.backend.clear_session()

    set_seed(args.seed)
    x, y = load_npz(MNIST, "--data", ("x_train", "y_train"))
    x_test, y_test = load_npz(MNIST, "--data", ("x_test", "y_test"))
    x_train, y_train, x_val, y_val = stratified_split(x, y, 0.1, args.seed)
    model = keras_io_convnet()
    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=128, epochs=15,
              validation_data=(x_val, y_val), verbose=0)
    seconds = time.perf_counter() - start
    accuracy = float(model.evaluate(x_test, y_test, verbose=0)[1])

    rows = {
        "recipe_cnn": {"test_accuracy": recipe["test_accuracy"],
                       "train_seconds": recipe["train_seconds"],
                       "epochs": recipe["epochs_run"],
                       "wall_seconds": round(wall, 1), "status": status},
        "keras_io_convnet": {"test_accuracy": accuracy,
                             "train_seconds": round(seconds, 2), "epochs": 15},
        "backend": keras.backend.backend(), "seed": args.seed,
        "n_train": int(len(y_train)), "n_test": int(len(y_test)),
    }
    write_json(os.path.join(args.out, "bench_mnist.json"), rows)
    print(f"{'model':20s} {'test accuracy':>13s} {'train s':>8s} {'epochs':>6s}")
    for name in ("recipe_cnn", "keras_io_convnet"):
        r = rows[name]
        print(f"{name:20s} {r['test_accuracy']:13.4f} {r['train_seconds']:8.1f} "
              f"{r['epochs']:6d}")
    return status


if __name__ == "__main__":
    sys.exit(main())
