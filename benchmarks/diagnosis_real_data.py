"""Real faulty programs about the data and its preprocessing.

Each faulty program below reproduces, in Keras 3 and on the shipped data
(or seeded synthetic data where the post's data are not shipped), a bug
that someone posted publicly: a preprocessing step that wipes the inputs,
raw columns or targets far from unit scale, targets that the output
cannot reach or that scaling corrupted, NaN left in the features, a rare
class without weights, the label left among the features, a sorted
validation split. Its fixed twin applies the fix that the author or an
answerer published. Two extra healthy programs look suspicious to a naive
monitor (a moderate class imbalance, raw columns normalised inside the
model) but train well.

All names start with `data_`, so `--only data_` selects them.
"""

import keras
import numpy as np
from keras import layers

from diagnosis_cases import ADULT_NUMERIC
from diagnosis_cases import HOUSING_COLUMNS
from diagnosis_cases import PENGUIN_COLUMNS
from diagnosis_cases import adult
from diagnosis_cases import case
from diagnosis_cases import housing
from diagnosis_cases import mnist
from diagnosis_cases import penguins
from diagnosis_cases import reviews
from diagnosis_cases import standardise

_INPLACE_DIVISION = (
    "https://stackoverflow.com/questions/52398936/"
    "mnist-data-denormalising-does-not-give-me-back-the-same - MNIST divided "
    "in place (trainX /= 255) while still uint8 comes back as different, "
    "darker images; the asker suspects the int dtype, and the twin casts "
    "to float32 before dividing (the answer is not in our stored copy)")
_WRAPAROUND = (
    "https://stackoverflow.com/questions/48785115/"
    "numpy-normalize-rgb-pixel-array - (x - 128) / 128 on uint8 images wraps "
    "around (28 - 128 == 156) and gives values in [0, 2); the answer casts "
    "to float first, (x.astype(float) - 128) / 128")
_PENGUIN_GRAMS = (
    "https://github.com/keras-team/keras/issues/2975 - 'Keras model always "
    "predicts same output class'; the fix given in the thread (gdrubich): "
    "StandardScaler on the inputs, the same class came out because the "
    "data were not normalized")
_HOUSE_DOLLARS = (
    "https://stats.stackexchange.com/questions/409000/"
    "should-we-normalize-target-data-as-well-as-input-data - house prices "
    "(mean ~$250,000) regressed in dollars: after 2,000 epochs Adam was "
    "still working the outputs up from zero; the remedy discussed is to "
    "normalize the target too")
_SALE_PRICE_SGD = (
    "https://github.com/rstudio-conf-2020/dl-keras-tf/issues/9 - Ames sale "
    "prices (up to ~755,000) under mean_squared_error with SGD(lr=0.1): "
    "loss nan from the first epoch, 'the sum explodes' because of the "
    "range of the price; the workshop recommended the msle loss")
_POWER_FOUR = (
    "https://stackoverflow.com/questions/52800582/"
    "why-do-i-fail-to-predict-y-x4-with-keras-y-x3-works - x in [-100, 100], "
    "y = x**4 up to 1e8, sigmoid then ELU layers: the fit fails; the answer: "
    "inputs and outputs too large for the initial weights, scale both")
_SIMILARITY_RANGE = (
    "https://github.com/fionn-mac/Manhattan-LSTM/issues/4 - 'y is not "
    "scaled during training in MaLSTM keras (Sick)': relatedness scores "
    "such as 2.4 are fed as targets of exp(-||h1 - h2||_1), which lies in "
    "(0, 1]; per the paper they should be scaled into [0, 1]")
_LABELS_MIN_MAX = (
    "https://github.com/wikibook/tf2/issues/29 - wine quality classes: "
    "min-max scaling applied to the label column too turns [0, 1, 2] into "
    "[0, 0.5, 1], and to_categorical then leaves two classes; the errata "
    "fix keeps the label column out of the scaling")
_FRAUD = (
    "https://stackoom.com/en/question/4QOjQ ('\"All zero class\" prediction "
    "by Neural Network', a Stack Overflow question) - fraud under 1%, 5 "
    "autoencoded columns, two hidden layers of 10 ReLU, 100 epochs: every "
    "transaction predicted non-fraudulent; the answer: weight the classes "
    "(or resample)")
_LABEL_IN_X = (
    "https://github.com/xitu/gold-miner/pull/2326 - translation of the "
    "'5-step life-cycle of a Keras model' tutorial (Pima diabetes): the "
    "reviewer notes that the accuracy is only about 69% once the label is "
    "no longer among the inputs; the fix keeps the label column out of X")
_VALIDATION_TAIL = (
    "https://rocuku.github.io/keras-validation-split-shuffle - a competition "
    "entry used validation_split without shuffling first: the tail it took "
    "held only negative samples and the validation score looked great; "
    "the fix is to shuffle before validation_split")
_ROW_NORMALISED_NAN = (
    "https://github.com/danielegrattarola/keras-gat/issues/14 - on citeseer "
    "the training loss is nan (row-normalised features of nodes without "
    "words are 0/0); the fix: X[np.isnan(X)] = 0. after load_data()")
_SENSOR_GAPS = (
    "https://github.com/circleAhn/TESLA-tf/issues/1 - a TensorFlow model "
    "trained on a self-made air-quality sensor set gives loss nan in every "
    "epoch; the maintainer: the data have missing (NaN) values, remove them "
    "before training (problem solved)")
_MODERATE_IMBALANCE = (
    "https://keras.io/examples/structured_data/"
    "structured_data_classification_from_scratch/ - a binary tabular task "
    "with a minority class (heart disease, ~27% positive) trained without "
    "class weights; here with 16% positives")
_NORMALIZATION_LAYER = (
    "https://www.tensorflow.org/tutorials/keras/regression - raw columns "
    "fed to the model, normalised by a keras.layers.Normalization layer "
    "adapted to the training data, loss mean_absolute_error")


def _pixels(n=2048):
    """`n` MNIST images as uint8 rows of 784 pixels, and their labels."""
    x, y = mnist(n)
    return x.reshape(len(x), -1), y


def _digit_mlp():
    """The Dense(128)-softmax classifier of the Keras/TF MNIST tutorials."""
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


# ---------------------------------------------------------------------------
# Preprocessing that wipes the inputs.


@case("Sequential MLP", "no_signal", split="tune",
      also=("constant_predictions", "loss_not_decreasing"),
      fixed_by="data_float_division", metric="accuracy", origin="real",
      source=_INPLACE_DIVISION,
      note="NumPy 2 refuses `x /= 255` on uint8; the old in-place division "
           "is written as np.divide(..., out=x, casting='unsafe'), which "
           "truncates the same way")
def data_uint8_inplace_division(callbacks):
    """MNIST divided by 255 in place while still uint8: every pixel below
    255 truncates to 0, so 97% of the ink vanishes and the images are
    nearly black (accuracy 0.42 after 3 epochs on either backend, 0.92
    fixed)."""
    x, y = _pixels()
    np.divide(x, 255, out=x, casting="unsafe")
    model = _digit_mlp()
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", split="tune", metric="accuracy", origin="real",
      source=_INPLACE_DIVISION)
def data_float_division(callbacks):
    """MNIST cast to float32, then divided by 255."""
    x, y = _pixels()
    x = x.astype("float32") / 255
    model = _digit_mlp()
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


def _digit_cnn():
    """A small CNN for 28x28x1 inputs."""
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(16, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


@case("Sequential CNN", "no_signal", split="tune",
      also=("constant_predictions", "loss_not_decreasing"),
      fixed_by="data_centering_in_float", metric="accuracy", origin="real",
      source=_WRAPAROUND,
      note="the post's images are traffic signs (32x32x3); MNIST stands "
           "in for them")
def data_uint8_centering_wraparound(callbacks):
    """(x - 128) / 128 on uint8 images: the subtraction wraps around, so
    black (0) becomes 1.0 and white (255) 0.99, and the digits all but
    vanish into the background; only the grey edges are left (accuracy
    0.64-0.67 after 3 epochs, 0.93 fixed)."""
    x, y = mnist(2048)
    x = (x[..., None] - 128) / 128
    model = _digit_cnn()
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential CNN", split="tune", metric="accuracy", origin="real",
      source=_WRAPAROUND)
def data_centering_in_float(callbacks):
    """The same centring done in floating point: pixels in [-1, 1)."""
    x, y = mnist(2048)
    x = (x[..., None].astype("float32") - 128) / 128
    model = _digit_cnn()
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# Inputs far from unit scale.


def _species_model():
    """Dense(16)-softmax over the three penguin species."""
    model = keras.Sequential([
        keras.Input(shape=(4,)),
        layers.Dense(16, activation="relu"),
        layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _species(df):
    """Species names as integer codes."""
    return df["species"].map({"Adelie": 0, "Chinstrap": 1,
                              "Gentoo": 2}).to_numpy()


@case("Sequential MLP", "unscaled_inputs", split="tune",
      also=("dead_units", "constant_predictions", "loss_not_decreasing",
            "oscillating_loss"),
      fixed_by="data_penguins_standard_scaled", metric="accuracy",
      origin="real", source=_PENGUIN_GRAMS,
      note="the thread is about images; its fix is the general one, here "
           "on the shipped penguins")
def data_penguins_grams_beside_millimetres(callbacks):
    """Penguin species from the columns as read: body mass in grams
    (2,700-6,300) beside bill depths of 13-22 mm; the mass swamps the
    first layer (accuracy 0.59 on TensorFlow, 0.20 and a frozen loss of
    12.9 on JAX, after 10 epochs; 0.91 standard-scaled)."""
    df = penguins()
    x = df[PENGUIN_COLUMNS].to_numpy("float32")
    model = _species_model()
    return model.fit(x, _species(df), epochs=10, batch_size=16, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", split="tune", metric="accuracy", origin="real",
      source=_PENGUIN_GRAMS)
def data_penguins_standard_scaled(callbacks):
    """Penguin species from standard-scaled columns."""
    df = penguins()
    x = standardise(df[PENGUIN_COLUMNS].to_numpy())
    model = _species_model()
    return model.fit(x, _species(df), epochs=10, batch_size=16, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# Targets far from unit scale.


def _price_model(optimizer="adam", loss="mse"):
    """Dense(64)-Dense(64)-linear regressor of the eight housing columns."""
    model = keras.Sequential([
        keras.Input(shape=(len(HOUSING_COLUMNS),)),
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(1),
    ])
    model.compile(optimizer=optimizer, loss=loss,
                  metrics=[keras.metrics.R2Score(name="r2")])
    return model


@case("Sequential MLP", "unscaled_targets", split="tune",
      also=("loss_not_decreasing", "constant_predictions"),
      fixed_by="data_house_value_in_100k", metric="r2", origin="real",
      source=_HOUSE_DOLLARS,
      note="10 epochs; the author ran 2,000 and the outputs were still "
           "climbing")
def data_house_value_in_dollars(callbacks):
    """California house values regressed in dollars (mean ~$207,000) from
    standardised columns: Adam's steps of ~1e-3 take the output nowhere
    near the prices (R^2 -2.9 after 10 epochs, 0.73 with the target in
    $100k)."""
    df = housing()
    x = standardise(df[HOUSING_COLUMNS].to_numpy())
    y = df["median_house_value"].to_numpy("float32")
    model = _price_model()
    return model.fit(x, y, epochs=10, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", split="tune", metric="r2", origin="real",
      source=_HOUSE_DOLLARS)
def data_house_value_in_100k(callbacks):
    """The same regression with the target in units of $100,000."""
    df = housing()
    x = standardise(df[HOUSING_COLUMNS].to_numpy())
    y = df["median_house_value"].to_numpy("float32") / 1e5
    model = _price_model()
    return model.fit(x, y, epochs=10, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", "unscaled_targets", split="tune",
      also=("nan", "exploding", "nonfinite_data"),
      fixed_by="data_sale_price_in_100k", metric="r2", origin="real",
      source=_SALE_PRICE_SGD,
      note="California house values stand in for the Ames sale prices")
def data_sale_price_sgd(callbacks):
    """House prices in dollars under mse with SGD(learning_rate=0.1) and
    batch 16: the first gradients are ~1e5 times too large, the weights
    overflow and the loss is nan from the first epoch (R^2 0.69-0.71
    with the target in $100k)."""
    df = housing()
    x = standardise(df[HOUSING_COLUMNS].to_numpy())
    y = df["median_house_value"].to_numpy("float32")
    model = _price_model(keras.optimizers.SGD(learning_rate=0.1))
    return model.fit(x, y, epochs=5, batch_size=16, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", split="tune", metric="r2", origin="real",
      source=_SALE_PRICE_SGD)
def data_sale_price_in_100k(callbacks):
    """The same optimizer with the prices in units of $100,000. (The
    workshop's msle loss removes the nan too, but with SGD the output
    climbs towards 1e5 so slowly that R^2 is still -1.3 after 20 epochs;
    the thread's diagnosis, the range of the target, is what this twin
    fixes.)"""
    df = housing()
    x = standardise(df[HOUSING_COLUMNS].to_numpy())
    y = df["median_house_value"].to_numpy("float32") / 1e5
    model = _price_model(keras.optimizers.SGD(learning_rate=0.1))
    return model.fit(x, y, epochs=5, batch_size=16, verbose=0,
                     callbacks=callbacks)


def _power_model():
    """The post's regressor: a sigmoid layer, an ELU layer, a linear
    output."""
    model = keras.Sequential([
        keras.Input(shape=(1,)),
        layers.Dense(64, activation="sigmoid"),
        layers.Dense(64, activation="elu"),
        layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse",
                  metrics=[keras.metrics.R2Score(name="r2")])
    return model


@case("Sequential MLP", "unscaled_targets", split="tune",
      also=("unscaled_inputs", "saturated_units", "loss_not_decreasing",
            "constant_predictions"),
      fixed_by="data_power_four_scaled", metric="r2", origin="real",
      source=_POWER_FOUR)
def data_power_four_unscaled(callbacks):
    """y = x**4 for x in [-100, 100]: targets up to 1e8 and inputs that
    saturate the sigmoid layer; the output never reaches the scale of
    y (R^2 -0.57 after 20 epochs, 0.82 on TensorFlow and 0.56 on JAX
    scaled)."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-100, 100, size=(2048, 1)).astype("float32")
    y = x[:, 0] ** 4
    model = _power_model()
    return model.fit(x, y, epochs=20, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", split="tune", metric="r2", origin="real",
      source=_POWER_FOUR)
def data_power_four_scaled(callbacks):
    """The same curve with x / 100 and y / 1e8, both in [-1, 1]."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-100, 100, size=(2048, 1)).astype("float32")
    y = x[:, 0] ** 4
    model = _power_model()
    return model.fit(x / 100, y / 1e8, epochs=20, batch_size=32,
                     verbose=0, callbacks=callbacks)


# ---------------------------------------------------------------------------
# Targets the output cannot match.


def _sentence_pairs(n=1024, length=8, vocabulary=50):
    """Pairs of word-id sentences where the second copies the first with
    k of its words replaced, and a SICK-style relatedness score from 1
    (unrelated) to 5 (the same sentence)."""
    rng = np.random.default_rng(0)
    first = rng.integers(1, vocabulary, size=(n, length))
    second = first.copy()
    replaced = rng.integers(0, length + 1, size=n)
    for row, k in enumerate(replaced):
        at = rng.permutation(length)[:k]
        second[row, at] = rng.integers(1, vocabulary, size=k)
    score = 1.0 + 4.0 * (1.0 - replaced / length)
    return first, second, score.astype("float32")


def _malstm(length=8, vocabulary=50):
    """Siamese LSTM whose output is exp(-L1 distance of the encodings)."""
    from keras import ops

    first = keras.Input(shape=(length,), dtype="int32")
    second = keras.Input(shape=(length,), dtype="int32")
    embed = layers.Embedding(vocabulary, 16)
    encode = layers.LSTM(16)
    h1, h2 = encode(embed(first)), encode(embed(second))
    similarity = layers.Lambda(
        lambda h: ops.exp(-ops.sum(ops.abs(h[0] - h[1]), axis=1,
                                   keepdims=True)))([h1, h2])
    model = keras.Model([first, second], similarity)
    model.compile(optimizer="adam", loss="mse",
                  metrics=[keras.metrics.R2Score(name="r2")])
    return model


@case("functional siamese LSTM, embedding", "label_mismatch", split="tune",
      also=("constant_predictions", "saturated_units",
            "loss_not_decreasing", "unscaled_targets"),
      fixed_by="data_similarity_scaled_to_unit", metric="r2",
      origin="real", source=_SIMILARITY_RANGE,
      note="synthetic sentence pairs stand in for SICK; Adam instead of "
           "the repository's Adadelta")
def data_similarity_scores_one_to_five(callbacks):
    """Relatedness scores in [1, 5] as targets of exp(-distance), which
    cannot exceed 1: the best the model can do is output 1 everywhere,
    so the encodings collapse together (R^2 -2.1 after 5 epochs, 0.65-
    0.67 with the scores scaled)."""
    first, second, score = _sentence_pairs()
    model = _malstm()
    return model.fit([first, second], score, epochs=5, batch_size=32,
                     verbose=0, callbacks=callbacks)


@case("functional siamese LSTM, embedding", split="tune", metric="r2",
      origin="real", source=_SIMILARITY_RANGE)
def data_similarity_scaled_to_unit(callbacks):
    """The scores scaled into [0, 1] by (score - 1) / 4."""
    first, second, score = _sentence_pairs()
    model = _malstm()
    return model.fit([first, second], (score - 1.0) / 4.0, epochs=5,
                     batch_size=32, verbose=0, callbacks=callbacks)


def _penguin_frame():
    """The penguin columns and the species code as one numeric frame."""
    df = penguins()[PENGUIN_COLUMNS].copy()
    df["species"] = _species(penguins())
    return df


def _three_class_model():
    """Dense(16)-softmax over three classes, categorical cross-entropy."""
    model = keras.Sequential([
        keras.Input(shape=(4,)),
        layers.Dense(16, activation="relu"),
        layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


@case("Sequential MLP", "label_mismatch", split="tune",
      fixed_by="data_labels_kept_out_of_scaling", metric="accuracy",
      origin="real", source=_LABELS_MIN_MAX,
      note="penguin species stand in for the wine classes; the cost is "
           "invisible in the training accuracy, which is measured against "
           "the corrupted labels")
def data_labels_min_max_scaled(callbacks):
    """The whole frame min-max scaled, species code included: [0, 1, 2]
    become [0, 0.5, 1] and to_categorical truncates them to [0, 0, 1], so
    Chinstraps are taught as Adelies and Gentoos as Chinstraps. The
    training accuracy reads 1.00 (0.86-0.92 fixed), but it is measured
    against the corrupted labels: only the Adelies, 44% of the penguins,
    are named right."""
    df = _penguin_frame()
    df = (df - df.min()) / (df.max() - df.min())
    x = df[PENGUIN_COLUMNS].to_numpy("float32")
    y = keras.utils.to_categorical(df["species"].to_numpy(), 3)
    model = _three_class_model()
    return model.fit(x, y, epochs=25, batch_size=16, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", split="tune", metric="accuracy", origin="real",
      source=_LABELS_MIN_MAX)
def data_labels_kept_out_of_scaling(callbacks):
    """The errata's fix: the label column restored after the scaling."""
    df = _penguin_frame()
    labels = df["species"].copy()
    df = (df - df.min()) / (df.max() - df.min())
    df["species"] = labels
    x = df[PENGUIN_COLUMNS].to_numpy("float32")
    y = keras.utils.to_categorical(df["species"].to_numpy(), 3)
    model = _three_class_model()
    return model.fit(x, y, epochs=25, batch_size=16, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# A rare class, the label among the inputs, a sorted validation split.


def _transactions(n=4096, share=0.008):
    """Five autoencoded transaction columns, `share` of them frauds whose
    columns are shifted (they overlap the normal ones)."""
    rng = np.random.default_rng(0)
    y = (rng.random(n) < share).astype("int64")
    x = rng.normal(size=(n, 5)).astype("float32")
    x[:, :3] += 1.5 * y[:, None]
    return x, y


def _fraud_model():
    """The post's network: two hidden layers of 10 ReLU units."""
    model = keras.Sequential([
        keras.Input(shape=(5,)),
        layers.Dense(10, activation="relu"),
        layers.Dense(10, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy", keras.metrics.Recall(name="recall"),
                           keras.metrics.AUC(name="auc")])
    return model


@case("Sequential MLP", "class_imbalance", split="tune",
      also=("constant_predictions", "loss_not_decreasing"),
      fixed_by="data_fraud_class_weight", metric="recall", origin="real",
      source=_FRAUD,
      note="10 epochs instead of 100, on 4,096 synthetic transactions")
def data_fraud_all_zero_class(callbacks):
    """0.8% frauds, no class weights: accuracy 0.99 by calling every
    transaction normal, recall 0 after 10 epochs (0.94-0.97 with class
    weights)."""
    x, y = _transactions()
    model = _fraud_model()
    return model.fit(x, y, epochs=10, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", split="tune", metric="recall", origin="real",
      source=_FRAUD)
def data_fraud_class_weight(callbacks):
    """The same transactions with balanced class weights."""
    x, y = _transactions()
    weight = {c: len(y) / (2 * np.sum(y == c)) for c in (0, 1)}
    model = _fraud_model()
    return model.fit(x, y, class_weight=weight, epochs=10, batch_size=32,
                     verbose=0, callbacks=callbacks)


def _income_model(n_inputs):
    """Dense(12)-Dense(8)-sigmoid, as in the Pima tutorial."""
    model = keras.Sequential([
        keras.Input(shape=(n_inputs,)),
        layers.Dense(12, activation="relu"),
        layers.Dense(8, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


@case("Sequential MLP", "target_leak", split="tune",
      fixed_by="data_label_column_dropped", metric="accuracy",
      origin="real", source=_LABEL_IN_X,
      note="Adult income stands in for Pima diabetes")
def data_label_column_in_features(callbacks):
    """The label column sliced into X along with the features: the model
    reads the answer off it (accuracy 1.00, against 0.80 without it) and
    is worthless on new rows."""
    df = adult()
    x = standardise(df[ADULT_NUMERIC + ["y"]].to_numpy())
    y = df["y"].to_numpy()
    model = _income_model(x.shape[1])
    return model.fit(x, y, epochs=5, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", split="tune", metric="accuracy", origin="real",
      source=_LABEL_IN_X)
def data_label_column_dropped(callbacks):
    """The same model on the features only."""
    df = adult()
    x = standardise(df[ADULT_NUMERIC].to_numpy())
    y = df["y"].to_numpy()
    model = _income_model(x.shape[1])
    return model.fit(x, y, epochs=5, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", "sorted_validation_split", split="tune",
      fixed_by="data_validation_split_shuffled", metric="val_accuracy",
      origin="real", source=_VALIDATION_TAIL)
def data_validation_split_negatives_last(callbacks):
    """Adult rows grouped by label, positives first, then
    validation_split=0.2: the validation tail holds only negatives, so
    val_accuracy flatters the model: 0.89-0.90, against 0.79-0.80 on a
    shuffled split, because it measures the negatives alone."""
    df = adult()
    df = df.sort_values("y", ascending=False, kind="stable")
    x = standardise(df[ADULT_NUMERIC].to_numpy())
    y = df["y"].to_numpy()
    model = _income_model(x.shape[1])
    return model.fit(x, y, validation_split=0.2, epochs=5, batch_size=32,
                     verbose=0, callbacks=callbacks)


@case("Sequential MLP", split="tune", metric="val_accuracy",
      origin="real", source=_VALIDATION_TAIL)
def data_validation_split_shuffled(callbacks):
    """The same rows shuffled once before validation_split=0.2."""
    df = adult()
    df = df.sort_values("y", ascending=False, kind="stable")
    df = df.sample(frac=1.0, random_state=0)
    x = standardise(df[ADULT_NUMERIC].to_numpy())
    y = df["y"].to_numpy()
    model = _income_model(x.shape[1])
    return model.fit(x, y, validation_split=0.2, epochs=5, batch_size=32,
                     verbose=0, callbacks=callbacks)


# ---------------------------------------------------------------------------
# NaN in the features.


def _word_shares():
    """Toy reviews as word-count rows over a 100-word vocabulary, 3% of
    them empty (every word out of the vocabulary), each row divided by
    its word count; the empty rows are 0/0 = NaN."""
    sequences, y = reviews(1024)
    counts = np.zeros((len(sequences), 100), dtype="float32")
    for row, words in enumerate(sequences):
        np.add.at(counts[row], words, 1.0)
    empty = np.random.default_rng(0).random(len(counts)) < 0.03
    counts[empty] = 0.0
    with np.errstate(invalid="ignore"):
        shares = counts / counts.sum(axis=1, keepdims=True)
    return shares, y


def _sentiment_model():
    """Dense(16)-sigmoid over the word shares."""
    model = keras.Sequential([
        keras.Input(shape=(100,)),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


@case("Sequential MLP", "nonfinite_data", split="tune", also=("nan",),
      fixed_by="data_row_normalised_nan_zeroed", metric="accuracy",
      origin="real", source=_ROW_NORMALISED_NAN,
      note="toy bag-of-words reviews stand in for citeseer's node "
           "features; the graph attention layers are left out")
def data_row_normalised_nan(callbacks):
    """Row-normalised word counts where 3% of the documents have no word
    in the vocabulary: their rows are NaN and the loss is nan from the
    first batch that holds one (accuracy 0.46 after 10 epochs, 0.98
    with the NaNs zeroed)."""
    x, y = _word_shares()
    model = _sentiment_model()
    return model.fit(x, y, epochs=10, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", split="tune", metric="accuracy", origin="real",
      source=_ROW_NORMALISED_NAN)
def data_row_normalised_nan_zeroed(callbacks):
    """The thread's fix: X[np.isnan(X)] = 0 after loading."""
    x, y = _word_shares()
    x[np.isnan(x)] = 0.0
    model = _sentiment_model()
    return model.fit(x, y, epochs=10, batch_size=32, verbose=0,
                     callbacks=callbacks)


def _sensor_windows(n=1024, steps=24):
    """Windows of 24 hourly readings of three air-quality sensors and the
    next hour's NO2 (standardised units); 2% of the readings are missing
    (NaN), as a sensor drops out."""
    rng = np.random.default_rng(0)
    t = np.arange(n + steps + 1)
    daily = np.sin(2 * np.pi * t / 24)
    no2 = daily + 0.3 * rng.normal(size=t.shape)
    temperature = np.cos(2 * np.pi * t / 24) + 0.3 * rng.normal(size=t.shape)
    humidity = -0.5 * daily + 0.3 * rng.normal(size=t.shape)
    series = np.stack([no2, temperature, humidity], axis=1).astype("float32")
    series[rng.random(series.shape) < 0.02] = np.nan
    x = np.stack([series[i:i + steps] for i in range(n)])
    y = no2[steps:steps + n].astype("float32")
    return x, y


def _sensor_model(steps=24):
    """A GRU(16) forecaster with a linear output."""
    model = keras.Sequential([
        keras.Input(shape=(steps, 3)),
        layers.GRU(16),
        layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


@case("Sequential GRU", "nonfinite_data", split="tune", also=("nan",),
      fixed_by="data_sensor_gaps_removed", metric="mae", origin="real",
      source=_SENSOR_GAPS,
      note="synthetic sensor series; the TESLA transformer is replaced by "
           "a GRU")
def data_sensor_readings_with_gaps(callbacks):
    """Sensor windows where 2% of the readings are NaN: nearly every
    window holds one, and the loss is nan in every epoch (mae 0.25-0.26
    with the gaps filled)."""
    x, y = _sensor_windows()
    model = _sensor_model()
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential GRU", split="tune", metric="mae", origin="real",
      source=_SENSOR_GAPS)
def data_sensor_gaps_removed(callbacks):
    """The maintainer's fix, minimal preprocessing that removes the
    missing values: each gap filled with the sensor's previous reading
    (0 at the start of a window)."""
    x, y = _sensor_windows()
    for step in range(x.shape[1]):
        gaps = np.isnan(x[:, step])
        previous = x[:, step - 1] if step else np.zeros_like(x[:, 0])
        x[:, step][gaps] = previous[gaps]
    model = _sensor_model()
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# Healthy programs that a naive monitor could suspect.


@case("Sequential MLP", split="tune", metric="accuracy", origin="real",
      source=_MODERATE_IMBALANCE)
def data_income_84_16_no_weights(callbacks):
    """Adult resampled to 16% earners of >50K (numbers standardised,
    marital status, relationship and education one-hot), no class
    weights: a moderate imbalance that the model handles (accuracy 0.87
    against 0.84 for the majority class, a third of the minority
    found)."""
    import pandas as pd

    df = adult(4000)
    df = pd.concat([df[df["y"] == 1].sample(400, random_state=0),
                    df[df["y"] == 0].sample(2100, random_state=0)])
    df = df.sample(frac=1.0, random_state=0)
    categories = pd.get_dummies(
        df[["marital-status", "relationship", "education"]])
    x = np.concatenate([standardise(df[ADULT_NUMERIC].to_numpy()),
                        categories.to_numpy("float32")], axis=1)
    y = df["y"].to_numpy()
    model = keras.Sequential([
        keras.Input(shape=(x.shape[1],)),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy", keras.metrics.Recall(name="recall")])
    return model.fit(x, y, epochs=8, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP, Normalization layer", split="tune", metric="loss",
      origin="real", source=_NORMALIZATION_LAYER)
def data_normalization_layer_adapt(callbacks):
    """Raw housing columns (counts in the thousands) fed to the model,
    normalised inside it by an adapted Normalization layer; target in
    $100k, loss mean_absolute_error."""
    df = housing()
    x = df[HOUSING_COLUMNS].to_numpy("float32")
    y = df["median_house_value"].to_numpy("float32") / 1e5
    normalizer = layers.Normalization(axis=-1)
    normalizer.adapt(x)
    model = keras.Sequential([
        keras.Input(shape=(x.shape[1],)),
        normalizer,
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(1),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.001),
                  loss="mean_absolute_error")
    return model.fit(x, y, epochs=10, batch_size=32, verbose=0,
                     callbacks=callbacks)
