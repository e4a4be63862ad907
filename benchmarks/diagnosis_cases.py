"""The catalogue of `bench_diagnosis.py`: faulty and healthy Keras programs.

Each case is a small training program written the way a user writes it: it
loads data, builds a model, compiles it and calls
`model.fit(..., callbacks=callbacks)`, where the runner passes
`[GradientMonitor()]`. A faulty case carries the bug it is about (and its
docstring says what it costs, measured against the fixed program); its
`expected` kind is the first cause a diagnosis should name, `also` the kinds
that are acceptable as secondary symptoms. A healthy case must draw no
finding; several are the fixed twins of faulty ones (`fixed_by`).

`split` says whether a case may be used to tune the monitor's thresholds
("tune") or is kept aside to measure them ("holdout"). `origin` says where
the program comes from: "own" (written for this catalogue from the kinds of
bug the monitor knows) or "real" (a program that someone posted with the
fault and the fix they found, rewritten for Keras 3; `source` cites it).
The real programs live in the `diagnosis_real_*.py` modules beside this
one, all "tune": half of them were first kept aside and reported once
(docs/diagnostics.md gives that figure), then used for tuning as well. The
`diagnosis_fresh_*.py` modules hold real programs written after the rules
were set, reported once held out and then tuned on ("tune"); so are the
`diagnosis_holdout_*.py` modules, whose rules were changed after their run.
The `diagnosis_unseen_*.py` modules hold the programs kept aside since,
and the `diagnosis_blind_*.py` modules a later held-out set written
without reference to the monitor's rules, as are `diagnosis_deepfd_*.py`,
`diagnosis_late_threads.py`, `diagnosis_winter_posts.py` and
`diagnosis_neuralint_posts.py`. `diagnosis_mutants*.py` hold "own" programs
kept aside the same way: healthy programs and their mutants, made by
DeepCrime's operators.
`load_cases()` returns the whole catalogue.

Data come from `../shared/data` (relative to the repo root), small subsets
of it, or small synthetic sets where a toy problem is the point.
"""

import dataclasses
import functools
import os

import keras
import numpy as np
from keras import layers
from keras import ops

BACKENDS = ("tensorflow", "jax")
DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                        "shared", "data")


@dataclasses.dataclass(frozen=True)
class Case:
    """One training program of the catalogue.

    Attributes:
        name: String. The program's function name.
        program: Callable taking the callback list; runs `fit` with it and
            returns the `History` (or `None`).
        family: String. Model family, e.g. "Sequential MLP".
        expected: String or `None`. The finding kind that names the bug,
            `None` for a healthy program.
        also: Tuple of kinds acceptable as secondary findings.
        backends: Tuple of the backends the program runs on.
        split: "tune" or "holdout".
        fixed_by: String or `None`. Name of the healthy twin that fixes it.
        metric: String. The `fit` log that shows what the bug costs.
        note: String. Why a backend is left out, or other caveats.
        origin: "own" or "real" (see the module docstring).
        source: String. Where a real program comes from: a link to the
            question, issue or paper, with what it reported.
    """

    name: str
    program: object
    family: str
    expected: object = None
    also: tuple = ()
    backends: tuple = BACKENDS
    split: str = "tune"
    fixed_by: object = None
    metric: str = "loss"
    note: str = ""
    origin: str = "own"
    source: str = ""


CASES = []
REAL_MODULES = ("diagnosis_real_outputs", "diagnosis_real_training",
                "diagnosis_real_data", "diagnosis_real_more",
                "diagnosis_real_seq", "diagnosis_fresh_posts",
                "diagnosis_fresh_threads", "diagnosis_holdout_posts",
                "diagnosis_holdout_threads", "diagnosis_unseen_posts",
                "diagnosis_unseen_threads", "diagnosis_blind_posts",
                "diagnosis_blind_threads", "diagnosis_late_threads",
                "diagnosis_deepfd_more", "diagnosis_mutants",
                "diagnosis_deepfd_posts", "diagnosis_winter_posts",
                "diagnosis_mutants_more", "diagnosis_mutants_third",
                "diagnosis_neuralint_posts", "diagnosis_mutants_fourth",
                "diagnosis_mutants_fifth", "diagnosis_mutants_sixth")


def case(family, expected=None, *, also=(), backends=BACKENDS, split="tune",
         fixed_by=None, metric="loss", note="", origin="own", source=""):
    """Registers the decorated program as a case of the catalogue."""

    def register(program):
        CASES.append(Case(program.__name__, program, family, expected,
                          tuple(also), tuple(backends), split, fixed_by,
                          metric, note, origin, source))
        return program

    return register


def load_cases():
    """The whole catalogue: this module's cases and the real programs'."""
    import importlib

    for name in REAL_MODULES:
        importlib.import_module(name)
    return CASES


# ---------------------------------------------------------------------------
# Data: small slices of ../shared/data and a few toy sets.


def mnist(n=2048, *, keep_order=False):
    """`n` MNIST images, uint8 (n, 28, 28), and their digit labels.

    Shuffled, unless `keep_order`: then every k-th image of the file, which
    keeps its order (sorted by label).
    """
    x, y = _mnist_file()
    if keep_order:
        rows = np.linspace(0, len(x) - 1, n).astype(int)
    else:
        rows = np.random.default_rng(0).permutation(len(x))[:n]
    return x[rows].copy(), y[rows].astype("int64")


PENGUIN_COLUMNS = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm",
                   "body_mass_g"]


def penguins(n=320):
    """`n` complete rows of Palmer penguins, in random order."""
    return _csv("penguins/penguins.csv").dropna().sample(
        n, random_state=0).reset_index(drop=True)


HOUSING_COLUMNS = ["longitude", "latitude", "housing_median_age",
                   "total_rooms", "total_bedrooms", "population", "households",
                   "median_income"]


def housing(n=2048, *, complete=True):
    """A random `n`-row sample of California housing; with `complete`
    (the default) only rows without a missing value, else NaNs kept."""
    df = _csv("housing/housing.csv")
    if complete:
        df = df.dropna()
    return df.sample(n, random_state=0).reset_index(drop=True)


ADULT_NUMERIC = ["age", "fnlwgt", "education-num", "capital-gain",
                 "capital-loss", "hours-per-week"]


def adult(n=4000):
    """A random `n`-row sample of UCI Adult, with `y` 1 for `>50K`."""
    df = _csv("adult/adult.csv").sample(n, random_state=0)
    df = df.reset_index(drop=True)
    df["y"] = (df["Salary"] == ">50K").astype("int64")
    return df


def adult_rare_positives(n=4000, share=0.01):
    """`n` Adult rows of which only `share` earn `>50K` (a rare class)."""
    import pandas as pd

    df = _csv("adult/adult.csv")
    df = df.assign(y=(df["Salary"] == ">50K").astype("int64"))
    n_pos = int(n * share)
    rows = pd.concat([df[df["y"] == 1].sample(n_pos, random_state=0),
                      df[df["y"] == 0].sample(n - n_pos, random_state=0)])
    return rows.sample(frac=1.0, random_state=0).reset_index(drop=True)


def moons(n=1024, noise=0.1):
    """Two interleaving half circles in 2-D, labels 0/1."""
    rng = np.random.default_rng(0)
    t = rng.uniform(0, np.pi, n)
    label = rng.integers(0, 2, n)
    x = np.where(label[:, None] == 0,
                 np.c_[np.cos(t), np.sin(t)],
                 np.c_[1 - np.cos(t), 0.5 - np.sin(t)])
    x = x + rng.normal(0, noise, x.shape)
    return x.astype("float32"), label.astype("int64")


def reviews(n=1024):
    """Toy reviews: 3-9 word ids in 11..99 with two sentiment words, ids
    1-5 in positive (label 1) and 6-10 in negative ones (label 0)."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, n)
    sequences = []
    for label in y:
        words = rng.integers(11, 100, rng.integers(3, 10))
        at = rng.integers(0, len(words), 2)
        words[at] = rng.integers(1, 6, 2) if label else rng.integers(6, 11, 2)
        sequences.append(words.tolist())
    return sequences, y.astype("int64")


def standardise(x):
    """Columns to zero mean and unit variance, as float32."""
    x = np.asarray(x, dtype="float32")
    return (x - x.mean(axis=0)) / x.std(axis=0)


# ---------------------------------------------------------------------------
# Faulty: the loss does not fit the output layer.


@case("functional CNN", "loss_activation_mismatch", backends=("jax",),
      also=("loss_not_decreasing",), fixed_by="functional_cnn_logits",
      metric="accuracy",
      note="on TensorFlow, Keras spots the softmax under from_logits=True, "
           "warns and uses its logits, so the bug costs nothing there")
def softmax_with_from_logits(callbacks):
    """Softmax output under a loss told it gets logits: the gradient through
    the double softmax is small, so it learns slowly (accuracy 0.77 after
    3 epochs, 0.84 fixed)."""
    x, y = mnist(1024)
    x = x[..., None].astype("float32") / 255.0
    inputs = keras.Input(shape=(28, 28, 1))
    h = layers.Conv2D(8, 3, activation="relu")(inputs)
    h = layers.MaxPooling2D()(h)
    h = layers.Flatten()(h)
    outputs = layers.Dense(10, activation="softmax")(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(
                      from_logits=True),
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", "loss_activation_mismatch",
      also=("loss_not_decreasing", "unchanged_weights", "vanishing",
            "constant_predictions"),
      fixed_by="mnist_mlp", metric="accuracy")
def logits_without_from_logits(callbacks):
    """Dense(10) with no activation under the plain string loss, which
    expects probabilities: the loss normalises raw logits and the gradients
    are zero (accuracy 0.18-0.29, 0.90 fixed)."""
    x, y = mnist(2048)
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(10),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", "loss_activation_mismatch",
      also=("constant_predictions", "unchanged_weights", "loss_not_decreasing",
            "vanishing"),
      fixed_by="adult_income", metric="accuracy")
def softmax_on_one_unit(callbacks):
    """A softmax over a single unit always outputs 1: the model predicts
    the minority class for every row (accuracy 0.24) and cannot learn."""
    df = adult()
    x = standardise(df[ADULT_NUMERIC].to_numpy())
    y = df["y"].to_numpy()
    model = keras.Sequential([
        keras.Input(shape=(x.shape[1],)),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=4, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential CNN", "loss_activation_mismatch", split="holdout",
      also=("nan", "dead_units", "constant_predictions", "unchanged_weights",
            "loss_not_decreasing"),
      fixed_by="mnist_cnn_rescaling", metric="accuracy")
def relu_output_with_crossentropy(callbacks):
    """ReLU on the output under cross-entropy: the 'probabilities' are
    renormalised ReLU outputs; rows whose outputs all die give log(0)
    (NaN on JAX, a stuck loss on TensorFlow)."""
    x, y = mnist(1024)
    x = x[..., None]
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Rescaling(1.0 / 255),
        layers.Conv2D(8, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(10, activation="relu"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# Faulty: the targets do not fit the output layer or the loss.


@case("Sequential MLP", "label_mismatch", backends=("jax",),
      fixed_by="mnist_mlp", metric="accuracy",
      note="on TensorFlow (CPU), sparse cross-entropy raises "
           "InvalidArgumentError on the label 10, so the bug is not silent "
           "there")
def labels_one_to_ten(callbacks):
    """SVHN-style labels where the digit 0 is written 10, under sparse
    cross-entropy over 10 units: on JAX the rows labelled 10 one-hot to
    zeros, so zeros are never learned (no error raised)."""
    x, y = mnist(2048)
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    y = np.where(y == 0, 10, y)
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", "label_mismatch",
      also=("loss_not_decreasing", "constant_predictions", "dead_units"),
      fixed_by="mnist_mlp", metric="sparse_categorical_accuracy",
      note="integer labels under categorical_crossentropy (or as a flat "
           "(n,) vector under mse) raise a shape error in Keras 3; this is "
           "the form that broadcasts silently")
def integer_labels_mse_over_softmax(callbacks):
    """Integer labels as a column (n, 1), as read from a CSV, against 10
    softmax units under 'mse': (n, 1) broadcasts against (n, 10) without
    a word, every probability is pulled towards the digit's value and the
    loss is stuck (accuracy 0.1)."""
    x, y = mnist(2048)
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    y = y.reshape(-1, 1)
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="mse",
                  metrics=["sparse_categorical_accuracy"])
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", "label_mismatch", fixed_by="mnist_mlp", metric="mae")
def digit_labels_regressed(callbacks):
    """Digit classes regressed with mse on one unit, as if 7 were between
    6 and 8: after 3 epochs the mean absolute error is still 1.4 digits,
    where the softmax twin names 90% of the digits right."""
    x, y = mnist(2048)
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", "label_mismatch",
      also=("constant_predictions", "saturated_units"),
      fixed_by="adult_income", metric="accuracy")
def binary_labels_minus_one(callbacks):
    """SVM-style labels {-1, 1} under binary cross-entropy: for a -1 row
    the loss falls without bound as p -> 0, so the model learns to say 0
    everywhere and the loss goes negative."""
    df = adult()
    x = standardise(df[ADULT_NUMERIC].to_numpy())
    y = np.where(df["y"].to_numpy() == 1, 1, -1)
    model = keras.Sequential([
        keras.Input(shape=(x.shape[1],)),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=4, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("functional MLP", "label_mismatch", split="holdout",
      also=("constant_predictions", "saturated_units"),
      fixed_by="penguin_sex", metric="accuracy")
def binary_labels_one_two(callbacks):
    """Penguin sex coded 1 (female) / 2 (male) under binary cross-entropy:
    a 2 pulls p towards 1 even harder than a 1 does, so every penguin is
    called female."""
    df = penguins()
    x = standardise(df[PENGUIN_COLUMNS].to_numpy())
    y = np.where(df["sex"].to_numpy() == "MALE", 2, 1)
    inputs = keras.Input(shape=(4,))
    h = layers.Dense(16, activation="relu")(inputs)
    outputs = layers.Dense(1, activation="sigmoid")(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=20, batch_size=16, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# Faulty: inputs far from unit scale.


@case("Sequential MLP", "unscaled_inputs",
      also=("dead_units", "oscillating_loss", "exploding"),
      fixed_by="mnist_mlp", metric="loss")
def raw_pixels_mlp(callbacks):
    """Raw 0-255 pixels into an MLP: the first layer's pre-activations are
    in the hundreds and the softmax starts saturated. Adam copes in part:
    on TensorFlow the accuracy is 0.87 (0.90 fixed) but the loss 2.7
    (0.39); from JAX's initial weights the accuracy is 0.19."""
    x, y = mnist(2048)
    x = x.reshape(len(x), -1).astype("float32")
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential CNN", "unscaled_inputs", split="holdout",
      also=("dead_units", "oscillating_loss", "exploding"),
      fixed_by="mnist_cnn_rescaling", metric="loss")
def raw_pixels_cnn(callbacks):
    """uint8 images straight into Conv2D, no Rescaling layer: the loss
    ends 8-13x the fixed program's (accuracy 0.83 against 0.85 on
    TensorFlow, 0.35 against 0.84 on JAX)."""
    x, y = mnist(1024)
    x = x[..., None]
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(8, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", "unscaled_inputs",
      also=("dead_units", "oscillating_loss", "loss_not_decreasing",
            "exploding"),
      fixed_by="housing_regression", metric="loss")
def housing_raw_columns(callbacks):
    """California housing with raw columns (population and room counts in
    the thousands beside unit-scale incomes); target in $100k. The loss
    ends at 16-70 against 0.5 standardised."""
    df = housing()
    x = df[HOUSING_COLUMNS].to_numpy("float32")
    y = df["median_house_value"].to_numpy("float32") / 1e5
    model = keras.Sequential([
        keras.Input(shape=(x.shape[1],)),
        layers.Dense(32, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse")
    return model.fit(x, y, epochs=5, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("functional MLP", "unscaled_inputs", split="holdout",
      also=("dead_units", "oscillating_loss", "constant_predictions",
            "loss_not_decreasing", "exploding"),
      fixed_by="adult_income", metric="accuracy")
def adult_raw_numeric(callbacks):
    """Adult's numeric columns as read (fnlwgt in the 100,000s,
    capital-gain up to 99,999) beside ages and hours: accuracy 0.67
    (TensorFlow) or 0.24 (JAX) against 0.80 standardised."""
    df = adult()
    x = df[ADULT_NUMERIC].to_numpy("float32")
    y = df["y"].to_numpy()
    inputs = keras.Input(shape=(x.shape[1],))
    h = layers.Dense(16, activation="relu")(inputs)
    outputs = layers.Dense(1, activation="sigmoid")(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=4, batch_size=32, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# Faulty: NaN or inf in the data.


@case("Sequential MLP", "nonfinite_data", also=("nan",),
      fixed_by="housing_regression", metric="loss")
def housing_missing_bedrooms(callbacks):
    """Housing standardised with pandas, which skips NaN: the ~1% of rows
    with a missing total_bedrooms stay NaN and the loss turns NaN."""
    df = housing(complete=False)
    features = df[HOUSING_COLUMNS]
    x = ((features - features.mean()) / features.std()).to_numpy("float32")
    y = df["median_house_value"].to_numpy("float32") / 1e5
    model = keras.Sequential([
        keras.Input(shape=(x.shape[1],)),
        layers.Dense(32, activation="relu"),
        layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse")
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("functional MLP", "nonfinite_data", also=("nan",), metric="loss")
def log_of_zero_sales(callbacks):
    """Sales regressed on a log scale, y = log(sales), where some days sold
    nothing: log(0) = -inf in the targets."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1536, 6)).astype("float32")
    sales = rng.poisson(np.exp(0.5 + 0.6 * x[:, 0] - 0.4 * x[:, 1]))
    with np.errstate(divide="ignore"):
        y = np.log(sales).astype("float32")
    inputs = keras.Input(shape=(6,))
    h = layers.Dense(32, activation="relu")(inputs)
    outputs = layers.Dense(1)(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("functional MLP, tf.data", "nonfinite_data", split="holdout",
      also=("nan",), metric="loss")
def bedroom_share_with_missing(callbacks):
    """tf.data input; target = total_bedrooms / total_rooms, NaN wherever
    total_bedrooms is missing."""
    import tensorflow as tf

    df = housing(complete=False)
    columns = ["longitude", "latitude", "housing_median_age", "population",
               "households", "median_income"]
    x = standardise(df[columns].to_numpy())
    y = (df["total_bedrooms"] / df["total_rooms"]).to_numpy("float32")
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(
        len(x), seed=0).batch(32)
    inputs = keras.Input(shape=(x.shape[1],))
    h = layers.Dense(32, activation="relu")(inputs)
    outputs = layers.Dense(1)(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    return model.fit(ds, epochs=3, verbose=0, callbacks=callbacks)


# ---------------------------------------------------------------------------
# Faulty: validation_split takes the tail of sorted data.


@case("Sequential MLP", "sorted_validation_split",
      fixed_by="mnist_shuffled_validation_split", metric="val_accuracy")
def mnist_sorted_validation_split(callbacks):
    """mnist-5k as stored (sorted by label) with validation_split=0.2: the
    validation set holds only 8s and 9s, which training never sees
    (validation accuracy 0)."""
    x, y = mnist(1280, keep_order=True)
    x = x.reshape(len(x), -1)
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Rescaling(1.0 / 255),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, validation_split=0.2, epochs=3, batch_size=32,
                     verbose=0, callbacks=callbacks)


@case("functional MLP", "sorted_validation_split", split="holdout",
      fixed_by="even_odd_shuffled", metric="val_accuracy")
def even_odd_concatenated(callbacks):
    """Even vs odd digits read folder by folder (0, 2, ..., 8, then 1, 3,
    ..., 9): validation_split=0.2 takes the last folders, nearly all 7s
    and 9s, which training hardly sees."""
    x, y = mnist(1280)
    order = np.lexsort((y, y % 2))  # read folder by folder: 0, 2, ..., 9
    x, odd = x[order], y[order] % 2
    inputs = keras.Input(shape=(28, 28))
    h = layers.Rescaling(1.0 / 255)(inputs)
    h = layers.Flatten()(h)
    h = layers.Dense(32, activation="relu")(h)
    outputs = layers.Dense(1, activation="sigmoid")(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, odd, validation_split=0.2, epochs=3, batch_size=32,
                     verbose=0, callbacks=callbacks)


# ---------------------------------------------------------------------------
# Faulty: a rare class and no class weights.


@case("Sequential MLP", "class_imbalance", also=("constant_predictions",),
      fixed_by="adult_rare_class_weight", metric="recall")
def adult_rare_class(callbacks):
    """Adult resampled so that 1% earn >50K, trained without class_weight:
    accuracy is 0.99 and the rich are never found (recall 0)."""
    df = adult_rare_positives()
    x = standardise(df[ADULT_NUMERIC].to_numpy())
    y = df["y"].to_numpy()
    model = keras.Sequential([
        keras.Input(shape=(x.shape[1],)),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy", keras.metrics.Recall(name="recall")])
    return model.fit(x, y, epochs=4, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("functional MLP", "class_imbalance", split="holdout",
      also=("constant_predictions",), metric="recall")
def rare_faults(callbacks):
    """Sensor readings where 1.5% of the machines fail, the failures
    overlapping the healthy readings; no class_weight: accuracy 0.98,
    recall 0."""
    rng = np.random.default_rng(0)
    n = 3072
    y = (rng.random(n) < 0.015).astype("int64")
    x = rng.normal(size=(n, 8)).astype("float32")
    x[:, :3] += 1.2 * y[:, None]
    inputs = keras.Input(shape=(8,))
    h = layers.Dense(16, activation="relu")(inputs)
    outputs = layers.Dense(1, activation="sigmoid")(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy", keras.metrics.Recall(name="recall")])
    return model.fit(x, y, epochs=4, batch_size=32, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# Faulty: NaN from the loss itself.


def msle(y_true, y_pred):
    return ops.mean(ops.square(ops.log(y_pred) - ops.log(y_true)))


@case("Sequential MLP", "nan", fixed_by="housing_regression", metric="loss")
def log_loss_on_linear_output(callbacks):
    """A hand-written squared log error, log(y_pred) - log(y_true), on a
    linear output: every negative prediction makes log() NaN at once."""
    df = housing()
    x = standardise(df[HOUSING_COLUMNS].to_numpy())
    y = df["median_house_value"].to_numpy("float32") / 1e5
    model = keras.Sequential([
        keras.Input(shape=(x.shape[1],)),
        layers.Dense(32, activation="relu"),
        layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss=msle)
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


class CountModel(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = layers.Dense(32, activation="relu")
        self.rate = layers.Dense(1)

    def call(self, x):
        return self.rate(self.hidden(x))


def poisson_nll(y_true, y_pred):
    return ops.mean(y_pred - y_true * ops.log(y_pred))


@case("subclassed MLP", "nan", split="holdout", metric="loss")
def poisson_loss_on_linear_output(callbacks):
    """Rental counts with a hand-written Poisson loss on a linear output
    (no exp/softplus): a negative rate makes log() NaN."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1536, 5)).astype("float32")
    y = rng.poisson(np.exp(1.0 + 0.5 * x[:, 0])).astype("float32")
    model = CountModel()
    model.compile(optimizer="adam", loss=poisson_nll)
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# Faulty: the learning rate.


@case("Sequential MLP", "exploding", also=("nan",),
      fixed_by="housing_regression", metric="loss")
def sgd_learning_rate_five(callbacks):
    """SGD with learning_rate=5 on a standardised housing MLP: the weights
    grow a thousandfold per step and the loss is NaN by the fourth."""
    df = housing()
    x = standardise(df[HOUSING_COLUMNS].to_numpy())
    y = df["median_house_value"].to_numpy("float32") / 1e5
    model = keras.Sequential([
        keras.Input(shape=(x.shape[1],)),
        layers.Dense(32, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(1),
    ])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=5.0),
                  loss="mse")
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", "exploding",
      also=("nan", "constant_predictions", "loss_not_decreasing"),
      fixed_by="mnist_mlp", metric="accuracy")
def deep_linear_sgd(callbacks):
    """Eight Dense layers with no activation and SGD at 0.5: the updates
    grow about tenfold per step; then the loss is NaN (TensorFlow) or the
    softmax saturates on one class for every image (JAX)."""
    x, y = mnist(2048)
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    model = keras.Sequential(
        [keras.Input(shape=(784,))]
        + [layers.Dense(64) for _ in range(8)]
        + [layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", "exploding", split="holdout", also=("nan",),
      fixed_by="moons_relu", metric="accuracy")
def deep_narrow_exponential(callbacks):
    """Eight layers of width 8 with activation='exponential' on 2-D toy
    data: activations compound exp(exp(...)) and overflow within the first
    steps (at the first one on JAX's initial weights); the loss is NaN."""
    x, y = moons()
    model = keras.Sequential(
        [keras.Input(shape=(2,))]
        + [layers.Dense(8, activation="exponential") for _ in range(8)]
        + [layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=5, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential CNN", "loss_not_decreasing",
      also=("unchanged_weights",), fixed_by="mnist_cnn_rescaling",
      metric="accuracy")
def adam_learning_rate_1e7(callbacks):
    """Adam at 1e-7: after 3 epochs the loss has not moved from ln(10)."""
    x, y = mnist(1024)
    x = x[..., None]
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Rescaling(1.0 / 255),
        layers.Conv2D(8, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-7),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("functional MLP", "loss_not_decreasing", split="holdout",
      also=("unchanged_weights",), fixed_by="housing_regression",
      metric="loss")
def sgd_learning_rate_1e6(callbacks):
    """Standardised housing with plain SGD at 1e-6: the loss stays put
    (4.8-5.3 against 0.5)."""
    df = housing()
    x = standardise(df[HOUSING_COLUMNS].to_numpy())
    y = df["median_house_value"].to_numpy("float32") / 1e5
    inputs = keras.Input(shape=(x.shape[1],))
    h = layers.Dense(32, activation="relu")(inputs)
    h = layers.Dense(32, activation="relu")(h)
    outputs = layers.Dense(1)(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-6),
                  loss="mse")
    return model.fit(x, y, epochs=5, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential linear regression", "oscillating_loss",
      fixed_by="housing_regression", metric="loss")
def linear_regression_adam_lr_one(callbacks):
    """Linear regression (one Dense unit) on standardised housing with
    Adam at 1.0: no NaN, but the loss on a fixed batch bounces between
    0.7 and 5 instead of settling (last epoch 1.1-1.9 against 0.5)."""
    df = housing()
    x = standardise(df[HOUSING_COLUMNS].to_numpy())
    y = df["median_house_value"].to_numpy("float32") / 1e5
    model = keras.Sequential([keras.Input(shape=(x.shape[1],)),
                              layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1.0),
                  loss="mse")
    return model.fit(x, y, epochs=5, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential logistic regression", "oscillating_loss", split="holdout",
      fixed_by="adult_income", metric="loss")
def logistic_regression_adam_lr_one(callbacks):
    """Logistic regression on Adult with Adam at 1.0: the loss on a fixed
    batch jumps between 0.4 and 0.8 and ends at 0.5-0.6 against 0.4."""
    df = adult()
    x = standardise(df[ADULT_NUMERIC].to_numpy())
    y = df["y"].to_numpy()
    model = keras.Sequential([keras.Input(shape=(x.shape[1],)),
                              layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1.0),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, epochs=4, batch_size=32, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# Faulty: the initialisation or the architecture kills the signal.


@case("Sequential MLP", "dead_units",
      also=("unchanged_weights", "constant_predictions",
            "loss_not_decreasing"),
      fixed_by="mnist_mlp", metric="accuracy")
def negative_bias_init(callbacks):
    """ReLU layers with bias_initializer=Constant(-3): every hidden unit
    is off on every image, gets no gradient and stays dead (accuracy
    0.11)."""
    x, y = mnist(2048)
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    dead = keras.initializers.Constant(-3.0)
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(64, activation="relu", bias_initializer=dead),
        layers.Dense(64, activation="relu", bias_initializer=dead),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", "dead_units",
      also=("vanishing", "unchanged_weights", "constant_predictions",
            "loss_not_decreasing"),
      fixed_by="mnist_mlp", metric="accuracy")
def relu_tiny_uniform_init(callbacks):
    """Five ReLU layers initialised RandomUniform(-1e-3, 1e-3): the signal
    dies on the way; 80-100% of the deeper layers' units end up dead, the
    first layer's update starts at 1e-5 of the last one's, and the net
    predicts one class (accuracy 0.11). A dead net, not an exploding
    one."""
    x, y = mnist(2048)
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    tiny = keras.initializers.RandomUniform(-1e-3, 1e-3)
    model = keras.Sequential(
        [keras.Input(shape=(784,))]
        + [layers.Dense(64, activation="relu", kernel_initializer=tiny)
           for _ in range(5)]
        + [layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", "dead_units", split="holdout",
      also=("vanishing", "constant_predictions", "loss_not_decreasing",
            "unchanged_weights"),
      fixed_by="moons_relu", metric="accuracy")
def deep_narrow_relu(callbacks):
    """Ten ReLU layers of width 3 on 2-D toy data: units die layer after
    layer until no signal gets through, and the net predicts the majority
    class (accuracy 0.52). Width 4 collapses on some initial weights only."""
    x, y = moons()
    model = keras.Sequential(
        [keras.Input(shape=(2,))]
        + [layers.Dense(3, activation="relu") for _ in range(10)]
        + [layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=5, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", "vanishing",
      also=("loss_not_decreasing", "unchanged_weights",
            "constant_predictions"),
      fixed_by="mnist_mlp", metric="accuracy")
def deep_sigmoid_tiny_init(callbacks):
    """Eight sigmoid layers initialised RandomNormal(stddev=0.01): each
    layer scales the gradient by ~0.25 * 0.01 * sqrt(64), so the first
    layers get nothing (accuracy 0.1)."""
    x, y = mnist(2048)
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    small = keras.initializers.RandomNormal(stddev=0.01)
    model = keras.Sequential(
        [keras.Input(shape=(784,))]
        + [layers.Dense(64, activation="sigmoid", kernel_initializer=small)
           for _ in range(8)]
        + [layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", "vanishing", split="holdout",
      also=("loss_not_decreasing", "saturated_units", "constant_predictions"),
      fixed_by="penguins_mlp", metric="accuracy")
def deep_sigmoid_sgd(callbacks):
    """Ten sigmoid layers with their default init, trained with SGD: the
    classic vanishing-gradient net; the first layer's updates are under
    1e-6 of the last's (accuracy 0.44, the majority share, against
    0.96)."""
    df = penguins()
    x = standardise(df[PENGUIN_COLUMNS].to_numpy())
    y = df["species"].astype("category").cat.codes.to_numpy()
    model = keras.Sequential(
        [keras.Input(shape=(4,))]
        + [layers.Dense(32, activation="sigmoid") for _ in range(10)]
        + [layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, epochs=20, batch_size=16, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", "saturated_units",
      also=("vanishing", "loss_not_decreasing"),
      fixed_by="mnist_mlp", metric="accuracy")
def tanh_huge_init(callbacks):
    """tanh layers initialised RandomNormal(stddev=5) on /255 pixels: the
    pre-activations are in the tens, half the first layer's units and most
    of the second's sit at +-1 on every image, with a gradient of ~0
    (accuracy 0.26-0.32 against 0.90)."""
    x, y = mnist(2048)
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    huge = keras.initializers.RandomNormal(stddev=5.0)
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(64, activation="tanh", kernel_initializer=huge),
        layers.Dense(64, activation="tanh", kernel_initializer=huge),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("functional MLP", "saturated_units", split="holdout",
      also=("vanishing", "loss_not_decreasing"),
      fixed_by="housing_regression", metric="loss")
def sigmoid_huge_init(callbacks):
    """Standardised housing through three sigmoid layers initialised
    RandomNormal(stddev=10): past the first layer, a third to a half of
    the units sit at 0 or 1 for every house (loss 1.2-1.4 against 0.5)."""
    df = housing()
    x = standardise(df[HOUSING_COLUMNS].to_numpy())
    y = df["median_house_value"].to_numpy("float32") / 1e5
    huge = keras.initializers.RandomNormal(stddev=10.0)
    inputs = keras.Input(shape=(x.shape[1],))
    h = inputs
    for _ in range(3):
        h = layers.Dense(64, activation="sigmoid", kernel_initializer=huge)(h)
    outputs = layers.Dense(1)(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    return model.fit(x, y, epochs=5, batch_size=32, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# Faulty: parts of the model that never learn.


@case("functional MLP", "unchanged_weights", fixed_by="mnist_mlp",
      metric="accuracy")
def round_in_the_middle(callbacks):
    """The hidden features are rounded ('quantised') with keras.ops.round:
    round has zero gradient, so the first Dense layer never moves
    (accuracy 0.25 against 0.90)."""
    x, y = mnist(2048)
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    inputs = keras.Input(shape=(784,))
    h = layers.Dense(64, activation="relu")(inputs)
    h = layers.Lambda(ops.round)(h)
    outputs = layers.Dense(10, activation="softmax")(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("functional multi-input", "unchanged_weights", split="holdout",
      fixed_by="housing_regression", metric="loss")
def stop_gradient_branch(callbacks):
    """Two inputs (location, house figures); the location branch goes
    through keras.ops.stop_gradient, so its Dense layer never learns
    (loss 0.78 against 0.51)."""
    df = housing()
    where = standardise(df[["longitude", "latitude"]].to_numpy())
    house = standardise(df[HOUSING_COLUMNS[2:]].to_numpy())
    y = df["median_house_value"].to_numpy("float32") / 1e5
    where_in = keras.Input(shape=(2,), name="where")
    house_in = keras.Input(shape=(6,), name="house")
    a = layers.Dense(32, activation="relu", name="where_dense")(where_in)
    a = layers.Lambda(ops.stop_gradient)(a)
    b = layers.Dense(32, activation="relu", name="house_dense")(house_in)
    h = layers.Concatenate()([a, b])
    outputs = layers.Dense(1)(h)
    model = keras.Model([where_in, house_in], outputs)
    model.compile(optimizer="adam", loss="mse")
    return model.fit({"where": where, "house": house}, y, epochs=5,
                     batch_size=32, verbose=0, callbacks=callbacks)


@case("Sequential MLP", "label_mismatch",
      also=("constant_predictions", "dead_units", "unchanged_weights",
            "loss_not_decreasing", "nothing_to_train"),
      fixed_by="housing_log_price", metric="loss",
      note="named constant_predictions (the symptom) until the output-range "
           "rule named the cause before training")
def relu_output_negative_targets(callbacks):
    """log10 of the price in millions (always negative) with a ReLU output
    'because prices are positive': the output unit dies and predicts 0
    for every house (loss 0.63 against 0.04 with a linear output)."""
    df = housing()
    x = standardise(df[HOUSING_COLUMNS].to_numpy())
    y = np.log10(df["median_house_value"].to_numpy("float32") / 1e6)
    model = keras.Sequential([
        keras.Input(shape=(x.shape[1],)),
        layers.Dense(32, activation="relu"),
        layers.Dense(1, activation="relu"),
    ])
    model.compile(optimizer="adam", loss="mse")
    return model.fit(x, y, epochs=5, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential GRU, embedding", "constant_predictions", split="holdout",
      also=("vanishing", "loss_not_decreasing", "unchanged_weights"),
      fixed_by="reviews_gru", metric="accuracy")
def gru_post_padding(callbacks):
    """Token sequences padded at the end (padding='post') into a GRU with
    no mask: the GRU's last state comes after 21 or more pad tokens, has
    forgotten the words, and the classifier outputs one probability for
    every review (accuracy 0.54, the majority share)."""
    sequences, y = reviews()
    x = keras.utils.pad_sequences(sequences, maxlen=30, padding="post")
    model = keras.Sequential([
        keras.Input(shape=(30,)),
        layers.Embedding(100, 8),
        layers.GRU(8),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# Healthy programs (several are the fixed twins of the faulty ones).


@case("Sequential MLP", metric="accuracy")
def mnist_mlp(callbacks):
    """Pixels /255, ReLU hidden layer, softmax under sparse cross-entropy."""
    x, y = mnist(2048)
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", metric="accuracy")
def penguins_mlp(callbacks):
    """Penguin measurements standardised, species encoded 0/1/2."""
    df = penguins()
    x = standardise(df[PENGUIN_COLUMNS].to_numpy())
    y = df["species"].astype("category").cat.codes.to_numpy()
    model = keras.Sequential([
        keras.Input(shape=(4,)),
        layers.Dense(16, activation="relu"),
        layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=20, batch_size=16, verbose=0,
                     callbacks=callbacks)


@case("functional MLP", split="holdout", metric="accuracy")
def penguin_sex(callbacks):
    """Penguin sex coded 0/1 from the measurements."""
    df = penguins()
    x = standardise(df[PENGUIN_COLUMNS].to_numpy())
    y = (df["sex"].to_numpy() == "MALE").astype("int64")
    inputs = keras.Input(shape=(4,))
    h = layers.Dense(16, activation="relu")(inputs)
    outputs = layers.Dense(1, activation="sigmoid")(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=20, batch_size=16, verbose=0,
                     callbacks=callbacks)


@case("Sequential CNN", metric="accuracy")
def mnist_cnn_rescaling(callbacks):
    """Raw uint8 images behind keras.layers.Rescaling(1/255)."""
    x, y = mnist(1024)
    x = x[..., None]
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Rescaling(1.0 / 255),
        layers.Conv2D(8, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("functional CNN", split="holdout", metric="accuracy")
def functional_cnn_logits(callbacks):
    """Functional CNN on /255 pixels, linear Dense(10) with from_logits."""
    x, y = mnist(1024)
    x = x[..., None].astype("float32") / 255.0
    inputs = keras.Input(shape=(28, 28, 1))
    h = layers.Conv2D(8, 3, activation="relu")(inputs)
    h = layers.MaxPooling2D()(h)
    h = layers.Flatten()(h)
    outputs = layers.Dense(10)(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(
                      from_logits=True),
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


class TwoLayerNet(keras.Model):
    def __init__(self, hidden=64, classes=10):
        super().__init__()
        self.hidden = layers.Dense(hidden, activation="relu")
        self.dropout = layers.Dropout(0.2)
        self.out = layers.Dense(classes, activation="softmax")

    def call(self, x, training=False):
        return self.out(self.dropout(self.hidden(x), training=training))


@case("subclassed MLP", metric="accuracy")
def subclassed_mlp(callbacks):
    """A keras.Model subclass with dropout on /255 pixels."""
    x, y = mnist(2048)
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    model = TwoLayerNet()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential GRU, embedding", metric="accuracy")
def reviews_gru(callbacks):
    """Token sequences padded at the front (Keras's default) into
    Embedding + GRU."""
    sequences, y = reviews()
    x = keras.utils.pad_sequences(sequences, maxlen=30)
    model = keras.Sequential([
        keras.Input(shape=(30,)),
        layers.Embedding(100, 8),
        layers.GRU(8),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("functional LSTM", split="holdout", metric="accuracy")
def mnist_lstm_rows(callbacks):
    """An LSTM reading each image as 28 rows of 28 pixels (functional), with
    Adam at 5e-3 so that it gets somewhere in 3 epochs."""
    x, y = mnist(1024)
    x = x.astype("float32") / 255.0
    inputs = keras.Input(shape=(28, 28))
    h = layers.LSTM(32)(inputs)
    outputs = layers.Dense(10, activation="softmax")(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=5e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("functional attention, embedding", metric="accuracy")
def review_attention(callbacks):
    """Self-attention over embedded tokens (MultiHeadAttention with a
    residual and LayerNormalization), pooled into a sigmoid."""
    sequences, y = reviews()
    x = keras.utils.pad_sequences(sequences, maxlen=30)
    inputs = keras.Input(shape=(30,))
    h = layers.Embedding(100, 16)(inputs)
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=8)(h, h)
    h = layers.LayerNormalization()(h + attended)
    h = layers.GlobalAveragePooling1D()(h)
    outputs = layers.Dense(1, activation="sigmoid")(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("functional multi-input/multi-output, embedding", split="holdout",
      metric="loss")
def housing_two_heads(callbacks):
    """Numeric columns and an Embedding of ocean_proximity in; the price
    (mse) and 'above the median price' (binary cross-entropy) out."""
    df = housing()
    numbers = standardise(df[HOUSING_COLUMNS].to_numpy())
    ocean = df["ocean_proximity"].astype("category").cat.codes.to_numpy()
    price = df["median_house_value"].to_numpy("float32") / 1e5
    dear = (price > np.median(price)).astype("int64")
    numbers_in = keras.Input(shape=(8,), name="numbers")
    ocean_in = keras.Input(shape=(1,), name="ocean")
    e = layers.Flatten()(layers.Embedding(5, 4)(ocean_in))
    h = layers.Concatenate()([numbers_in, e])
    h = layers.Dense(32, activation="relu")(h)
    price_out = layers.Dense(1, name="price")(h)
    dear_out = layers.Dense(1, activation="sigmoid", name="dear")(h)
    model = keras.Model([numbers_in, ocean_in], [price_out, dear_out])
    model.compile(optimizer="adam",
                  loss={"price": "mse", "dear": "binary_crossentropy"},
                  metrics={"dear": ["accuracy"]})
    return model.fit({"numbers": numbers, "ocean": ocean},
                     {"price": price, "dear": dear},
                     epochs=5, batch_size=32, verbose=0, callbacks=callbacks)


@case("Sequential MLP, mixed precision", split="holdout", metric="accuracy")
def mixed_precision_mlp(callbacks):
    """mixed_float16 with a float32 softmax at the end, as the Keras guide
    says; the global policy is restored afterwards."""
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        x, y = mnist(2048)
        x = x.reshape(len(x), -1).astype("float32") / 255.0
        model = keras.Sequential([
            keras.Input(shape=(784,)),
            layers.Dense(64, activation="relu"),
            layers.Dense(10),
            layers.Activation("softmax", dtype="float32"),
        ])
        model.compile(optimizer="adam",
                      loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                         callbacks=callbacks)
    finally:
        keras.mixed_precision.set_global_policy("float32")


@case("Sequential CNN, tf.data", metric="accuracy")
def tf_data_cnn(callbacks):
    """A tf.data pipeline (map to float, shuffle, batch, prefetch) into a
    small CNN."""
    import tensorflow as tf

    def scale(image, label):
        return tf.cast(image, "float32") / 255.0, label

    x, y = mnist(1024)
    ds = (tf.data.Dataset.from_tensor_slices((x[..., None], y))
          .map(scale).shuffle(1024, seed=0).batch(32).prefetch(2))
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(8, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(ds, epochs=3, verbose=0, callbacks=callbacks)


@case("Sequential MLP", metric="loss")
def housing_regression(callbacks):
    """Housing: rows with a missing value dropped, features standardised,
    target in $100k, mse."""
    df = housing()
    x = standardise(df[HOUSING_COLUMNS].to_numpy())
    y = df["median_house_value"].to_numpy("float32") / 1e5
    model = keras.Sequential([
        keras.Input(shape=(x.shape[1],)),
        layers.Dense(32, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse")
    return model.fit(x, y, epochs=5, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", metric="loss")
def housing_log_price(callbacks):
    """log10 of the price in millions with a linear output."""
    df = housing()
    x = standardise(df[HOUSING_COLUMNS].to_numpy())
    y = np.log10(df["median_house_value"].to_numpy("float32") / 1e6)
    model = keras.Sequential([
        keras.Input(shape=(x.shape[1],)),
        layers.Dense(32, activation="relu"),
        layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse")
    return model.fit(x, y, epochs=5, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", split="holdout", metric="accuracy")
def adult_income(callbacks):
    """Adult numbers standardised, labels 0/1, a 76/24 split left as is
    (moderate imbalance needs no class weights)."""
    df = adult()
    x = standardise(df[ADULT_NUMERIC].to_numpy())
    y = df["y"].to_numpy()
    model = keras.Sequential([
        keras.Input(shape=(x.shape[1],)),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=4, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", metric="recall")
def adult_rare_class_weight(callbacks):
    """The 1% rare-class Adult set, trained with balanced class weights."""
    df = adult_rare_positives()
    x = standardise(df[ADULT_NUMERIC].to_numpy())
    y = df["y"].to_numpy()
    weight = {c: len(y) / (2 * np.sum(y == c)) for c in (0, 1)}
    model = keras.Sequential([
        keras.Input(shape=(x.shape[1],)),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy", keras.metrics.Recall(name="recall")])
    return model.fit(x, y, class_weight=weight, epochs=4, batch_size=32,
                     verbose=0, callbacks=callbacks)


@case("Sequential MLP", split="holdout", metric="val_accuracy")
def mnist_shuffled_validation_split(callbacks):
    """Sorted mnist-5k shuffled once before validation_split=0.2."""
    x, y = mnist(1280, keep_order=True)
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order].reshape(len(x), -1), y[order]
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Rescaling(1.0 / 255),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, validation_split=0.2, epochs=3, batch_size=32,
                     verbose=0, callbacks=callbacks)


@case("functional MLP", metric="val_accuracy")
def even_odd_shuffled(callbacks):
    """Even vs odd digits, shuffled before validation_split=0.2."""
    x, y = mnist(1280)
    odd = y % 2
    inputs = keras.Input(shape=(28, 28))
    h = layers.Rescaling(1.0 / 255)(inputs)
    h = layers.Flatten()(h)
    h = layers.Dense(32, activation="relu")(h)
    outputs = layers.Dense(1, activation="sigmoid")(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, odd, validation_split=0.2, epochs=3, batch_size=32,
                     verbose=0, callbacks=callbacks)


@case("Sequential MLP", metric="accuracy")
def moons_relu(callbacks):
    """Three ReLU layers of width 16 on the moons."""
    x, y = moons()
    model = keras.Sequential(
        [keras.Input(shape=(2,))]
        + [layers.Dense(16, activation="relu") for _ in range(3)]
        + [layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=5, batch_size=32, verbose=0,
                     callbacks=callbacks)


@functools.lru_cache(maxsize=None)
def _mnist_file():
    with np.load(os.path.join(DATA_DIR, "mnist", "mnist-5k.npz")) as data:
        return data["x_train"], data["y_train"]


@functools.lru_cache(maxsize=None)
def _csv(path):
    import pandas as pd

    return pd.read_csv(os.path.join(DATA_DIR, path), skipinitialspace=True,
                       na_values=["?"])
