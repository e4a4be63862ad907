"""Real faulty Keras programs from GitHub threads, rewritten for Keras 3.

Each faulty program here reproduces a training program that someone posted
in a GitHub issue (keras-team/keras) whose network did not learn, or
learnt something other than its author thought, together with its fixed
twin: the fix that the author or a maintainer published in the thread. The
docstrings give what the bug costs, measured against the twin with
`keras.utils.set_random_seed(0)` on TensorFlow unless said otherwise. Two
healthy programs at the end train well although a naive monitor might flag
them (a deep, narrow ReLU net in which some units die at initialisation,
the dropout-heavy mnist_mlp example whose loss is noisy).

This set was held out for one run; some rules were changed after it, so
it is now a tuning set (`split="tune"`). Every program is written anew (never copied from its source) and small enough to
run in seconds on a CPU: slices of the shipped data or seeded synthetic
data where the author's data are not shipped.
"""

from diagnosis_cases import (ADULT_NUMERIC, adult, case, housing, mnist,
                             moons, standardise)

import keras
import numpy as np
from keras import layers

# ---------------------------------------------------------------------------
# Sources.

_SIGMOID_CCE = (
    "https://github.com/keras-team/keras/issues/14729 - a binary tumour "
    "classifier (30 standardised features, Dense(1, sigmoid)) compiled with "
    "categorical_crossentropy stayed at a low accuracy for 100 epochs; the "
    "fix for a single sigmoid unit is binary_crossentropy.")
_LAST_CLASS_VALIDATION = (
    "https://github.com/keras-team/keras/issues/8346 - a 5-class VGG-like "
    "CNN had validation accuracy 0; the author found that validation_split "
    "took the last 20% of the data, which was the whole of class 5 (shuffle "
    "in fit() happens after the split), and fixed it by shuffling the data "
    "before fit().")
_CONSTANT_COLUMN = (
    "https://github.com/keras-team/keras/issues/2134 - NaN loss for "
    "regression: a comment (rebeen, 2019) found NaNs in the inputs after "
    "standardisation, (x - mean) / std with std 0 for a constant column, "
    "and fixed it with std + 0.000001.")
_FEW_BN_UPDATES = (
    "https://github.com/keras-team/keras/issues/7177 - accuracy collapses "
    "when the model is run in inference mode; datumbox explains that with "
    "BatchNormalization's default momentum 0.99 a handful of iterations "
    "leaves the moving mean and variance far from the data's, and shows "
    "the fix: more updates (batch 32 -> 16, many more epochs).")
_INTEGER_NORMALISATION = (
    "https://github.com/keras-team/keras/issues/255 - a 2-class CNN on "
    "game screenshots stayed at accuracy 0.5 with a constant loss; the "
    "author found that normalising the pixels to [0, 1] while the array "
    "was still int made every pixel 0, and normalising a float array "
    "fixed it.")
_CONSTANT_SUM = (
    "https://github.com/keras-team/keras/issues/6260 - a net on three "
    "columns, x in 1..1040, y in 1040..1 and z = x + y = 1041, gave zero "
    "accuracy and zero predictions; joelthchao's fix divides X and Y by "
    "1041 (and multiplies the predictions back), which reaches 100%.")


# ---------------------------------------------------------------------------
# Faulty: a single sigmoid unit under categorical cross-entropy.


def _income_classifier():
    """The thread's 2 x Dense(16) relu net with dropout and a sigmoid."""
    return keras.Sequential([
        keras.Input(shape=(len(ADULT_NUMERIC),)),
        layers.Dense(16, activation="relu", kernel_initializer="uniform"),
        layers.Dropout(0.1),
        layers.Dense(16, activation="relu", kernel_initializer="uniform"),
        layers.Dropout(0.1),
        layers.Dense(1, activation="sigmoid", kernel_initializer="uniform"),
    ])


@case("Sequential MLP", "loss_activation_mismatch",
      also=("loss_not_decreasing", "unchanged_weights", "constant_predictions",
            "no_signal"),
      split="tune", fixed_by="thread_sigmoid_unit_binary_loss",
      metric="accuracy", origin="real", source=_SIGMOID_CCE,
      note="the Wisconsin tumour data are not shipped: UCI Adult's numeric "
           "columns, standardised, stand in; 20 epochs of the author's 100 "
           "(the loss cannot move, more epochs change nothing)")
def thread_sigmoid_unit_categorical_loss(callbacks):
    """Dense(1, sigmoid) under categorical cross-entropy: the loss
    normalises the single output over the class axis to exactly 1, so the
    loss is 0 for every row and no weight gets a gradient (accuracy stays
    at its initial 0.76, the share of the majority, 0.82 fixed)."""
    df = adult()
    x = standardise(df[ADULT_NUMERIC].to_numpy())
    y = df["y"].to_numpy().astype("float32")
    model = _income_classifier()
    model.compile(optimizer=keras.optimizers.Adam(),
                  loss=keras.losses.categorical_crossentropy,
                  metrics=["accuracy"])
    return model.fit(x, y, batch_size=100, epochs=20, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", None, split="tune", metric="accuracy",
      origin="real", source=_SIGMOID_CCE)
def thread_sigmoid_unit_binary_loss(callbacks):
    """The same net under binary cross-entropy, which fits one sigmoid
    unit."""
    df = adult()
    x = standardise(df[ADULT_NUMERIC].to_numpy())
    y = df["y"].to_numpy().astype("float32")
    model = _income_classifier()
    model.compile(optimizer=keras.optimizers.Adam(),
                  loss=keras.losses.binary_crossentropy,
                  metrics=["accuracy"])
    return model.fit(x, y, batch_size=100, epochs=20, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# Faulty: validation_split takes the last class of a sorted data set.


def _five_digits():
    """MNIST digits 0-4 in the order of the file, sorted by label."""
    x, y = mnist(5000, keep_order=True)
    keep = y < 5
    x = x[keep][..., None].astype("float32") / 255.0
    return x, y[keep]


def _five_class_cnn():
    """A small VGG-like CNN for 28 x 28 images and 5 classes."""
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(16, 3, activation="relu", padding="same"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, activation="relu", padding="same"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(5, activation="softmax"),
    ])


@case("Sequential CNN", "sorted_validation_split", split="tune",
      fixed_by="thread_validation_split_after_shuffle",
      metric="val_accuracy", origin="real", source=_LAST_CLASS_VALIDATION,
      note="MNIST digits 0-4 stand in for the author's 5 image classes; 5 "
           "epochs (the author's count is not given)")
def thread_validation_split_takes_last_class(callbacks):
    """Images sorted by class and validation_split=0.2: the validation set
    is nearly all digit 4, which the model never sees in training, so
    val_accuracy is about 0 (0.00 after 5 epochs, 0.97 fixed) while the
    training accuracy looks fine."""
    x, y = _five_digits()
    model = _five_class_cnn()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, batch_size=32, epochs=5, shuffle=True,
                     validation_split=0.2, verbose=0, callbacks=callbacks)


@case("Sequential CNN", None, split="tune", metric="val_accuracy",
      origin="real", source=_LAST_CLASS_VALIDATION)
def thread_validation_split_after_shuffle(callbacks):
    """The author's fix: shuffle the data by hand before fit()."""
    x, y = _five_digits()
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    model = _five_class_cnn()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, batch_size=32, epochs=5, shuffle=True,
                     validation_split=0.2, verbose=0, callbacks=callbacks)


# ---------------------------------------------------------------------------
# Faulty: standardising a constant column divides 0 by 0.


_OCEAN = ["<1H OCEAN", "INLAND", "ISLAND", "NEAR BAY", "NEAR OCEAN"]


def _housing_features(n=1024):
    """Numeric housing columns plus a one-hot of every ocean category, and
    the house value in units of 100k; the sample has no ISLAND row, so
    that indicator column is all zeros."""
    df = housing(n)
    df = df[df["ocean_proximity"] != "ISLAND"]
    onehot = np.stack([(df["ocean_proximity"] == name).to_numpy()
                       for name in _OCEAN], axis=1)
    x = np.concatenate([df[["housing_median_age", "total_rooms",
                            "total_bedrooms", "population", "households",
                            "median_income"]].to_numpy(), onehot],
                       axis=1).astype("float32")
    y = (df["median_house_value"].to_numpy() / 1e5).astype("float32")
    return x, y


def _value_regressor(n_features):
    """Two ReLU layers and a linear output for a regression."""
    return keras.Sequential([
        keras.Input(shape=(n_features,)),
        layers.Dense(32, activation="relu"),
        layers.Dense(16, activation="relu"),
        layers.Dense(1),
    ])


@case("Sequential MLP", "nonfinite_data", also=("nan",), split="tune",
      fixed_by="thread_standardise_with_epsilon", metric="loss",
      origin="real", source=_CONSTANT_COLUMN,
      note="the commenter's LSTM data are not given: a dense regressor on "
           "California housing with a one-hot category absent from the "
           "sample stands in")
def thread_standardise_constant_column(callbacks):
    """(x - mean) / std on a column that is constant: 0 / 0 puts NaN in
    every row, and the loss is NaN from the first batch (NaN after 10
    epochs, 0.50 fixed)."""
    x, y = _housing_features()
    mean = np.mean(x, axis=0)
    std = np.std(x, axis=0)
    with np.errstate(invalid="ignore"):
        x = (x - mean) / std
    model = _value_regressor(x.shape[1])
    model.compile(optimizer="adam", loss="mse")
    return model.fit(x, y, batch_size=32, epochs=10, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", None, split="tune", metric="loss",
      origin="real", source=_CONSTANT_COLUMN)
def thread_standardise_with_epsilon(callbacks):
    """The commenter's fix: std + 0.000001, so the constant column becomes
    zeros instead of NaN."""
    x, y = _housing_features()
    mean = np.mean(x, axis=0)
    std = np.std(x, axis=0) + 0.000001
    x = (x - mean) / std
    model = _value_regressor(x.shape[1])
    model.compile(optimizer="adam", loss="mse")
    return model.fit(x, y, batch_size=32, epochs=10, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# Faulty: a few iterations leave BatchNorm's moving statistics at their
# initial values.


def _bn_cnn(momentum=0.99):
    """Conv -> BatchNorm -> ReLU twice, then a softmax over 10 digits."""
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(16, 3, use_bias=False),
        layers.BatchNormalization(momentum=momentum),
        layers.Activation("relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, use_bias=False),
        layers.BatchNormalization(momentum=momentum),
        layers.Activation("relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])


def _digits_split():
    """1,000 MNIST images to train on, 500 to validate, raw pixels / 255."""
    x, y = mnist(1500)
    x = x[..., None].astype("float32") / 255.0
    return (x[:1000], y[:1000]), (x[1000:], y[1000:])


@case("Sequential CNN, BatchNorm", "batchnorm_statistics", split="tune",
      fixed_by="thread_batchnorm_many_updates", metric="val_accuracy",
      origin="real", source=_FEW_BN_UPDATES,
      note="the thread fine-tunes an ImageNet ResNet50 on its own images "
           "for 5 iterations; a small BatchNorm CNN on MNIST trained for "
           "5 iterations stands in. The twin's 250 epochs are cut to 5 (315 "
           "updates) with momentum 0.9 to keep it within seconds")
def thread_batchnorm_five_updates(callbacks):
    """Five updates of batch 200: in training mode the batch statistics
    are used, but the moving ones (momentum 0.99) have moved only 5% of
    the way from 0 and 1, so the model in inference mode (the validation
    pass) is not the model that was trained (val_accuracy 0.23 after the
    5 updates; 0.93 fixed)."""
    (x, y), validation = _digits_split()
    model = _bn_cnn()
    model.compile(optimizer="adam",
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, batch_size=200, epochs=1,
                     validation_data=validation, verbose=0,
                     callbacks=callbacks)


@case("Sequential CNN, BatchNorm", None, split="tune",
      metric="val_accuracy", origin="real", source=_FEW_BN_UPDATES)
def thread_batchnorm_many_updates(callbacks):
    """The fix shown in the thread: many more updates (315 of batch 16
    instead of 5), with a moving-average momentum of 0.9 so that they
    suffice within this CPU budget."""
    (x, y), validation = _digits_split()
    model = _bn_cnn(momentum=0.9)
    model.compile(optimizer="adam",
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, batch_size=16, epochs=5,
                     validation_data=validation, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# Faulty: pixels normalised inside an integer array all become 0.


def _screenshots(n=1000, size=32):
    """Toy 8-bit game screenshots (values 0-250): a textured background,
    and in class 0 a second player, a bright 6 x 6 sprite somewhere;
    labels one-hot, alternating as in the thread."""
    rng = np.random.default_rng(0)
    images = rng.integers(20, 120, size=(n, size, size, 3))
    labels = np.arange(n) % 2
    for image, label in zip(images, labels):
        row, col = rng.integers(0, size - 6, 2)
        image[row:row + 6, col:col + 6] = (200, 180, 60)  # the local player
        if label == 0:
            row, col = rng.integers(0, size - 6, 2)
            image[row:row + 6, col:col + 6] = (250, 40, 40)  # another one
    return images.astype("uint8"), keras.utils.to_categorical(labels, 2)


def _screenshot_cnn():
    """A small CNN with a 2-way softmax, as in the thread."""
    return keras.Sequential([
        keras.Input(shape=(32, 32, 3)),
        layers.Conv2D(16, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(32, activation="relu"),
        layers.Dense(2, activation="softmax"),
    ])


@case("Sequential CNN", "no_signal",
      also=("loss_not_decreasing", "constant_predictions",
            "unchanged_weights"),
      split="tune", fixed_by="thread_normalise_float_pixels",
      metric="accuracy", origin="real", source=_INTEGER_NORMALISATION,
      note="the author's screenshots are not shipped: seeded synthetic "
           "32 x 32 screenshots with a second player sprite in class 0 "
           "stand in")
def thread_normalise_integer_pixels(callbacks):
    """Pixels divided by 255 but stored back into the integer array: every
    value below 255 truncates to 0, the images are all black and the model
    cannot beat chance (accuracy 0.50 after 5 epochs, 1.00 fixed)."""
    images, labels = _screenshots()
    x = np.array(images, dtype="int32")
    x[:] = x / 255.0
    model = _screenshot_cnn()
    model.compile(optimizer="adam", loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, labels, batch_size=32, epochs=5, verbose=0,
                     callbacks=callbacks)


@case("Sequential CNN", None, split="tune", metric="accuracy",
      origin="real", source=_INTEGER_NORMALISATION)
def thread_normalise_float_pixels(callbacks):
    """The author's fix: normalise a float array."""
    images, labels = _screenshots()
    x = images.astype("float32") / 255.0
    model = _screenshot_cnn()
    model.compile(optimizer="adam", loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, labels, batch_size=32, epochs=5, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# Faulty: a target of 1041 under a sigmoid output.


def _plus_table():
    """The thread's table: x from 1 to 1040, y from 1040 to 1, z = 1041."""
    x = np.arange(1, 1041, dtype="float32")
    features = np.stack([x, 1041.0 - x], axis=1)
    target = features.sum(axis=1)
    return features, target


def _pima_style_net():
    """The Pima-tutorial net the author adapted: 12 -> 8 -> sigmoid."""
    return keras.Sequential([
        keras.Input(shape=(2,)),
        layers.Dense(12, activation="relu"),
        layers.Dense(8, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])


@case("Sequential MLP", "label_mismatch",
      also=("unscaled_targets", "unscaled_inputs", "constant_predictions",
            "saturated_units", "dead_units", "loss_not_decreasing"),
      split="tune", fixed_by="thread_plus_table_scaled", metric="mae",
      origin="real", source=_CONSTANT_SUM,
      note="the author's script is an attachment; the thread's reply (an "
           "accuracy metric, predictions scaled back by 1041 and rounded) "
           "points to the Pima-tutorial net with a sigmoid output under "
           "binary cross-entropy, which is what is written here; 10 epochs "
           "(the author's count is not given)")
def thread_plus_table_raw(callbacks):
    """Inputs up to 1040 and a target of 1041 under a sigmoid: the output
    can never exceed 1, so the absolute error stays at 1040 (mae 1040
    after 10 epochs; fixed, 0.001 of the scaled target, about 1 in the
    author's units)."""
    x, z = _plus_table()
    model = _pima_style_net()
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["mae"])
    return model.fit(x, z, batch_size=10, epochs=10, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", None, split="tune", metric="mae",
      origin="real", source=_CONSTANT_SUM)
def thread_plus_table_scaled(callbacks):
    """joelthchao's fix: X and Y divided by 1041 (the predictions are
    multiplied back by 1041)."""
    x, z = _plus_table()
    model = _pima_style_net()
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["mae"])
    return model.fit(x / 1041, z / 1041, batch_size=10, epochs=10,
                     verbose=0, callbacks=callbacks)


# ---------------------------------------------------------------------------
# Healthy programs that a naive monitor might flag.

_MNIST_MLP_EXAMPLE = (
    "https://github.com/keras-team/keras/issues/6914 - the mnist_mlp.py "
    "example (2 x Dense(512) with dropout, RMSprop, 20 epochs) that the "
    "thread's author ran, with the x /= 255 of its fix; healthy.")
_RELU_NO_BUG = (
    "https://github.com/keras-team/keras/issues/3752 - 'is there a bug with "
    "relu?': the reply explains that ReLU maps negative inputs to 0 (some "
    "units are silent, which is no bug); a deep narrow ReLU net that "
    "trains well although a few units are dead from the start.")


@case("Sequential MLP", None, split="tune", metric="accuracy",
      origin="real", source=_MNIST_MLP_EXAMPLE,
      note="2,048 MNIST rows; 20 epochs as in the example")
def thread_mnist_mlp_dropout(callbacks):
    """keras' mnist_mlp example on scaled pixels: two wide layers with
    dropout 0.2 under RMSprop; near the end the training loss and
    accuracy wobble from epoch to epoch (accuracy 0.99 after 20 epochs)."""
    x, y = mnist(2048)
    x = x.reshape(len(x), 784).astype("float32")
    x /= 255
    y = keras.utils.to_categorical(y, 10)
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(512, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(512, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.RMSprop(),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, batch_size=128, epochs=20, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", None, split="tune", metric="accuracy",
      origin="real", source=_RELU_NO_BUG)
def thread_deep_narrow_relu(callbacks):
    """Six ReLU layers of 8 units on the two moons: narrow ReLU layers
    can leave units silent for every input, yet the net fits the curved
    boundary (accuracy 0.996 after 30 epochs)."""
    x, y = moons(1024)
    model = keras.Sequential([keras.Input(shape=(2,))]
                             + [layers.Dense(8, activation="relu")
                                for _ in range(6)]
                             + [layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, batch_size=32, epochs=30, verbose=0,
                     callbacks=callbacks)
