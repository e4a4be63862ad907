"""LRFinder's suggestion against fastai's valley rule and a grid, per family.

For each model family (MLP, CNN, GRU, attention, embedding; data from
`../shared/data`), runs `find_lr` once on a fresh model and records the
curve, then computes two suggestions from that one curve: ours
(`finder.suggestion`, the "valley" rule of `LRFinder`) and fastai's
`valley` rule (the longest valley of the smoothed curve, written here from
its description). A fresh model (same seed) is then trained for a short
fixed budget (Adam) at our suggestion, at the valley suggestion and at each
rate of the grid 1e-4, 3e-4, ..., 3e-2, and scored on held-out rows:
accuracy for classification, RMSE for regression. One row per family.

The constants of our rule were not fitted on the families marked
"held out". `--tune` also scores, on the tuning families only, the
suggestions that other positions of the valley point would give (the one
constant of the rule that a benchmark can tune).

Run by hand from the repo root:

    python benchmarks/bench_lr_finder.py [--only cnn gru] [--tune]
        [--out docs/img/]
"""

import argparse
import os
import time
import warnings

import keras
import numpy as np

from kerasnn.callbacks import CallbackWarning
from kerasnn.callbacks import find_lr
from kerasnn.callbacks import _lr_suggest

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
GRID = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2)
POSITIONS = (0.25, 0.5, 0.75)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DATA)
    parser.add_argument("--only", nargs="*", choices=sorted(FAMILIES))
    parser.add_argument("--tune", action="store_true",
                        help="also score other valley positions (tuning "
                             "families only)")
    parser.add_argument("--out", default="docs/img/",
                        help="folder for the CNN's range-test plot")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    print(f"backend={keras.backend.backend()} grid={GRID}")
    rows, begin = [], time.perf_counter()
    for name in args.only or list(FAMILIES):
        loader, builder, batch, epochs, tuning = FAMILIES[name]
        data = loader(args.data)
        rows.append(_family(name, data, builder, batch, epochs, tuning,
                            args.tune, args.out))
    print()
    _print_table(rows)
    print(f"\ntotal {time.perf_counter() - begin:.0f} s")


def _family(name, data, builder, batch, epochs, tuning, tune, out):
    (x, y), (xt, yt), problem = data
    keras.utils.set_random_seed(0)
    model = builder(x, problem, 1e-3)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CallbackWarning)
        finder = find_lr(model, x, y, batch_size=batch, num_steps=100)
    seconds = time.perf_counter() - start
    warned = any(w.category is CallbackWarning for w in caught)
    ours = finder.suggestion
    valley = fastai_valley(finder.lrs, finder.smoothed_losses, finder.num_steps)
    if name == "cnn":
        path = os.path.join(out, "lr_finder.png")
        finder.plot(path=path)
        print(f"wrote {path}")

    memo = {}

    def score(lr):
        if lr is None:
            return None
        if lr not in memo:
            keras.utils.set_random_seed(0)
            fresh = builder(x, problem, lr)
            fresh.fit(x, y, epochs=epochs, batch_size=batch, verbose=0)
            memo[lr] = _score(fresh, xt, yt, problem)
        return memo[lr]

    scores = {lr: score(lr) for lr in GRID}
    better = min if problem == "regression" else max
    best = better(scores, key=scores.get)
    row = {
        "family": name, "held_out": not tuning, "metric": _METRIC[problem],
        "ours": ours, "ours_score": score(ours), "warned": warned,
        "note": finder.suggestion_note, "valley": valley,
        "valley_score": score(valley), "best": best,
        "best_score": scores[best], "grid": scores, "seconds": seconds,
        "steps": len(finder.losses),
    }
    print(f"\n{name}: {row['steps']} steps in {seconds:.1f} s; ours "
          f"{_lr(ours)} -> {_fmt(row['ours_score'])}"
          f"{' (warned: ' + finder.suggestion_note + ')' if warned else ''}; "
          f"valley {_lr(valley)} -> {_fmt(row['valley_score'])}")
    print("  grid: " + ", ".join(f"{lr:g} -> {_fmt(s)}" for lr, s in scores.items()))
    if tune and tuning:
        saved = _lr_suggest._POSITION
        try:
            for position in POSITIONS:
                _lr_suggest._POSITION = position
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", CallbackWarning)
                    lr = finder.suggest()
                print(f"  tune: position {position} -> {_lr(lr)} -> "
                      f"{_fmt(score(lr))}")
        finally:
            _lr_suggest._POSITION = saved
    return row


def fastai_valley(lrs, losses, num_steps):
    """fastai's `valley` suggestion, computed on a recorded curve.

    As fastai describes it: drop the first tenth of the sweep and its last 5
    points (and anything from the first NaN on), find the longest valley
    (the longest strictly decreasing run of the smoothed losses, its points
    not necessarily adjacent), measure its span back from its last point by
    its length, and return the rate a third plus a sixth of that span in.
    """
    lrs = np.asarray(lrs[num_steps // 10:len(losses) - 5], dtype="float64")
    losses = np.asarray(losses[num_steps // 10:len(losses) - 5], dtype="float64")
    bad = np.nonzero(~np.isfinite(losses))[0]
    if len(bad):
        lrs, losses = lrs[:bad[0]], losses[:bad[0]]
    if len(losses) < 2:
        return None
    longest = np.ones(len(losses), dtype=int)
    for i in range(1, len(losses)):
        higher = losses[:i] > losses[i]
        if higher.any():
            longest[i] = 1 + longest[:i][higher].max()
    end = int(np.argmax(longest))
    begin = max(end - int(longest[end]), 0)
    third = (end - begin) / 3
    return float(lrs[begin + int(third) + int(third / 2)])


def _score(model, xt, yt, problem):
    if problem == "regression":
        pred = np.asarray(model.predict(xt, verbose=0)).ravel()
        return float(np.sqrt(np.mean((pred - yt) ** 2)))
    result = model.evaluate(xt, yt, verbose=0, return_dict=True)
    return float(result["accuracy"])


def _print_table(rows):
    print("| family | held out | metric | our LR | score | valley LR | score "
          "| grid best LR | score | range test (s) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        ours = _lr(r["ours"]) + (" (warned)" if r["warned"] else "")
        print(f"| {r['family']} | {'yes' if r['held_out'] else 'no (tuning)'} "
              f"| {r['metric']} | {ours} | {_fmt(r['ours_score'])} "
              f"| {_lr(r['valley'])} | {_fmt(r['valley_score'])} "
              f"| {r['best']:g} | {_fmt(r['best_score'])} | {r['seconds']:.1f} |")


def _lr(lr):
    return "none" if lr is None else f"{lr:.1e}"


def _fmt(value):
    return "-" if value is None else f"{value:.3f}"


_METRIC = {"multiclass": "accuracy", "binary": "accuracy",
           "regression": "RMSE ($100k)"}


# Data: ((x, y), (x_test, y_test), problem). Small subsets keep each
# training a few seconds on a 2-core CPU.


def _mnist(root, n=3000, n_test=2000):
    with np.load(os.path.join(root, "mnist", "mnist-5k.npz")) as data:
        x, y = data["x_train"], data["y_train"]
        xt, yt = data["x_test"], data["y_test"]
    order = np.random.default_rng(0).permutation(len(x))[:n]  # stored sorted
    prep = lambda a: a.astype("float32") / 255.0  # noqa: E731
    return (prep(x[order]), y[order]), (prep(xt[:n_test]), yt[:n_test]), "multiclass"


def _mnist_images(root):
    (x, y), (xt, yt), problem = _mnist(root)
    return (x[..., None], y), (xt[..., None], yt), problem


def _penguins(root):
    import pandas as pd

    frame = pd.read_csv(os.path.join(root, "penguins", "penguins.csv"))
    frame = frame.dropna(subset=["species"])
    target = frame.pop("species").astype("category").cat.codes.to_numpy()
    numeric = frame.select_dtypes("number")
    numeric = numeric.fillna(numeric.median())
    strings = pd.get_dummies(frame.select_dtypes(exclude="number").fillna("NA"))
    table = pd.concat([numeric, strings], axis=1).to_numpy("float32")
    return _split(table, target, "multiclass")


def _housing(root):
    import pandas as pd

    frame = pd.read_csv(os.path.join(root, "housing", "housing.csv"))
    target = frame.pop("median_house_value").to_numpy("float32") / 1e5
    numeric = frame.select_dtypes("number")
    numeric = numeric.fillna(numeric.median())
    for column in ("total_rooms", "total_bedrooms", "population", "households"):
        numeric[column] = np.log1p(numeric[column])
    strings = pd.get_dummies(frame["ocean_proximity"])
    table = pd.concat([numeric, strings], axis=1).to_numpy("float32")
    keep = np.random.default_rng(0).permutation(len(table))[:6000]
    return _split(table[keep], target[keep], "regression")


def _adult_categories(root):
    import pandas as pd

    frame = pd.read_csv(os.path.join(root, "adult", "adult.csv"),
                        skipinitialspace=True, na_values=["?"])
    target = (frame.pop("Salary") == ">50K").to_numpy("int32")
    columns = ["workclass", "education", "marital-status", "occupation",
               "relationship", "race", "sex", "native-country"]
    # One shared vocabulary: each column's codes are offset past the last.
    codes, offset = [], 0
    for column in columns:
        values = frame[column].fillna("NA").astype("category").cat.codes
        codes.append(values.to_numpy("int32") + offset)
        offset += int(values.max()) + 1
    table = np.stack(codes, axis=1)
    keep = np.random.default_rng(0).permutation(len(table))[:7000]
    (x, y), (xt, yt), problem = _split(table[keep], target[keep], "binary",
                                       scale=False)
    return (x, y), (xt, yt), problem


def _split(table, target, problem, scale=True):
    from sklearn.model_selection import train_test_split

    xa, xb, ya, yb = train_test_split(
        table, target, test_size=0.2, random_state=0,
        stratify=None if problem == "regression" else target)
    if scale:
        mean, std = xa.mean(axis=0), xa.std(axis=0) + 1e-6
        xa, xb = (xa - mean) / std, (xb - mean) / std
    return (xa, ya), (xb, yb), problem


# Models: builder(x, problem, lr) -> compiled model.


def _mlp(x, problem, lr):
    return _compile(keras.Sequential([
        keras.Input(x.shape[1:]),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        _head(problem),
    ]), problem, lr)


def _cnn(x, problem, lr):
    return _compile(keras.Sequential([
        keras.Input(x.shape[1:]),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(64, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(10, activation="softmax"),
    ]), problem, lr)


def _gru(x, problem, lr):
    # Each image is a sequence of 28 rows of 28 pixels.
    return _compile(keras.Sequential([
        keras.Input(x.shape[1:]),
        keras.layers.GRU(64),
        keras.layers.Dense(10, activation="softmax"),
    ]), problem, lr)


def _attention(x, problem, lr):
    # One transformer block over the 28 rows, as 28 tokens.
    rows = keras.Input(x.shape[1:])
    tokens = _Positions()(keras.layers.Dense(32)(rows))
    attended = keras.layers.MultiHeadAttention(num_heads=2, key_dim=16)(
        tokens, tokens)
    tokens = keras.layers.LayerNormalization()(tokens + attended)
    pooled = keras.layers.GlobalAveragePooling1D()(tokens)
    outputs = keras.layers.Dense(10, activation="softmax")(pooled)
    return _compile(keras.Model(rows, outputs), problem, lr)


class _Positions(keras.layers.Layer):
    """Adds a learned embedding of each token's position."""

    def build(self, input_shape):
        self.table = self.add_weight(shape=input_shape[1:],
                                     initializer="random_normal")

    def call(self, tokens):
        return tokens + self.table


def _embedding(x, problem, lr):
    return _compile(keras.Sequential([
        keras.Input(x.shape[1:], dtype="int32"),
        keras.layers.Embedding(int(x.max()) + 1, 8),
        keras.layers.Flatten(),
        keras.layers.Dense(32, activation="relu"),
        _head(problem),
    ]), problem, lr)


def _head(problem):
    if problem == "regression":
        return keras.layers.Dense(1)
    if problem == "binary":
        return keras.layers.Dense(1, activation="sigmoid")
    return keras.layers.Dense(3, activation="softmax")


def _compile(model, problem, lr):
    loss = {"regression": "mse", "binary": "binary_crossentropy",
            "multiclass": "sparse_categorical_crossentropy"}[problem]
    metrics = [] if problem == "regression" else ["accuracy"]
    model.compile(keras.optimizers.Adam(float(lr)), loss, metrics=metrics)
    return model


# name: (loader, builder, batch size, epochs, used to tune the rule)
FAMILIES = {
    "cnn": (_mnist_images, _cnn, 64, 2, True),
    "mlp-housing": (_housing, _mlp, 64, 3, True),
    "mlp-penguins": (_penguins, _mlp, 16, 1, False),
    "gru": (_mnist, _gru, 64, 2, False),
    "attention": (_mnist, _attention, 64, 2, False),
    "embedding": (_adult_categories, _embedding, 64, 2, False),
}


if __name__ == "__main__":
    main()
