"""Blind held-out real faulty Keras programs from GitHub threads, with fixes.

Each faulty program here reproduces, in Keras 3 on the shipped data or on
seeded synthetic data shaped like the thread's, a training program that
someone posted in a GitHub issue or pull request (keras-team/keras,
ageron/handson-ml3, alexTsaptsinos/lyricsHAN, jsyoon0823/Time-series-
prediction, 0b01/SimGAN-Captcha) whose network did not learn, together
with its fixed twin: the fix the thread gives, or the standard remedy
for the cause the thread shows where it gives none (`source` says
which). The faults: sigmoid outputs under binary cross-entropy for one
topic among 30, rows in recording order under validation_split, a
Normalization layer never adapted, attention over rows that are all
padding, coordinates regressed through a softmax under categorical
cross-entropy, a sigmoid output for targets in the hundreds, a
discriminator frozen before its own compile, and class weights keyed by
label names, which Keras drops without a word. A healthy program at the
end trains well although its log looks suspicious.

These programs are kept aside to measure the monitor (`split="holdout"`):
they were taken in the order the searches returned them, and their
`expected` kinds were fixed from each program's own training (run without
the monitor, against its twin) and from the cause the thread states,
before any diagnosis was run. The docstrings give what each bug costs,
measured against the twin with `keras.utils.set_random_seed(0)` on
TensorFlow. Every program is written anew (never copied from its source)
and small enough to run in seconds on a CPU.

Threads taken in that order but left out: keras-team/keras 2711 (a
comment: skip-gram vectors through 256 sigmoid outputs under categorical
cross-entropy and SGD at 1.0; on TensorFlow the loss reads the sigmoid's
logits, so the program and its softmax twin trained identically, both at
chance, accuracy 0.005 after 10 epochs), 3747 (GloVe
example with NaN losses: 'works on the latest version', a Theano-era
fault), 5185, 5826, 6458 and 6685 (the pretrained-embedding example below
its published accuracy: library versions, no program fault), 12667 and
12707 (no cause found in the thread), keras-team/keras-core 224 (a
framework fault, since fixed), cerndb/dist-keras 9 (unresolved, Spark
partitions), eternagame/EternaBrain 21, krishnaik06 Stock-Price 2 and
jaungiers LSTM-Neural-Network 77 (NaN losses with no program or with
NaN rows in the data, a form already covered), ageron/handson-ml2 398
(the maintainer could not reproduce the NaN), tensorflow/tensorflow
58614, 46956, keras-team/keras 13976, 4746 and rstudio/keras3 193, 515
(non-differentiable losses: Keras raises an error, not silent),
keras-team/keras 3040, 2134, 510, 5733, 7177, 108 and 2975 (already in
the catalogue), keras-team/keras 3396 (fchollet: binary cross-entropy
over many classes is a valid use), 5335, 2412, 2522, 1423, 7947, 4308,
16102 and rstudio/keras3 30 (questions about what a metric reports),
9214 and PR 9965 (frozen BatchNormalization in training mode: Keras 3
runs a frozen BatchNormalization in inference mode), 13006 (no program
in the stored copy), 1478, 5220 and 3321 (no cause found), 13891 (a
shallow regressor whose few ReLU units die: with seed 0 three or four
ReLU units stayed alive, predictions as varied as with tanh), 6447,
10260, 3378 and 2051 (constant predictions with no cause found in the
stored copy), 2139 (the program of 2134, already in the catalogue), 2003
(the author of 1987 again, with several faults at once), 1855, 4594,
4707 and 7125 (padding and masking: forms already in the catalogue or
Keras 1 behaviour), 4674, 4910, 6405 and osh/KerasGAN 10 (freezing after
compile: Keras 1 and 2 behaviour), 9742 (XOR whose three ReLU units may
die, by chance of the seed), 16539 (weights set by hand, no fault of
the kinds named) and mkocabas/focal-loss-keras 17 (a focal loss without
an epsilon: on raw Adult columns it turns NaN in the first epoch, but the
thread's fix, clipping the probabilities, then sticks at a saturated
output, accuracy 0.25 against 0.75, so the fix does no better; on
standardised columns neither turns NaN), keras-team/keras 5441 (a
(n,) against (n, 1) broadcast in a loss: Keras 3 aligns the ranks),
1917, 10932, 3753, 7603, k3nt0w/FCN_via_keras 3 and
scheckmedia/keras-shufflenet 2 (no cause found), 1971 (overfitting, no
fault), 4066, 4587, 4669 and 3959 (the CIFAR-10 example under SGD or
RMSprop stalling now and then: Keras 1 settings, by chance of the seed),
keras-team/keras-io 1341 (outputs above 1 with no program in the
stored copy), eriklindernoren/Keras-GAN 22, 67 and 164 and
KerasKorea/KEKOxTutorial 139 (questions on when `trainable` takes
effect, no failing program), keras-team/tf-keras 96 and
keras-team/keras 8890 (arguments ignored with an error or a removed
API in Keras 3). All names start with `bl_thread_`.
"""

import keras
import numpy as np
from keras import layers
from keras import ops

from diagnosis_cases import ADULT_NUMERIC
from diagnosis_cases import HOUSING_COLUMNS
from diagnosis_cases import adult_rare_positives
from diagnosis_cases import case
from diagnosis_cases import housing
from diagnosis_cases import mnist
from diagnosis_cases import standardise

# ---------------------------------------------------------------------------
# Sources.

_TOPIC_SIGMOID_BINARY = (
    "https://github.com/keras-team/keras/issues/5210 ('Wrong keras acc?') "
    "- Embedding(5000, 64), LSTM(100) and Dense(30, sigmoid) under "
    "binary_crossentropy for a 30-class single-label text task, one "
    "epoch of batch 64: Keras reports accuracy 0.96 but the predictions "
    "are wrong. The author thanks an answer that is not in the stored "
    "copy; the twin applies the standard remedy, a softmax output under "
    "categorical_crossentropy")
_ORDERED_TAIL = (
    "https://github.com/keras-team/keras/issues/13077 ('The last 25% of "
    "the test data set is all predicted to be wrong') - a pose regressor "
    "trained on frames in recording order with validation_split=0.25: "
    "training errors fall while the validation errors stay high, and "
    "the last quarter of the data is all predicted wrong. The twin "
    "applies the standard remedy, shuffling the rows before the split")
_NORMALIZATION_NOT_ADAPTED = (
    "https://github.com/ageron/handson-ml3/pull/198 ('Fix: Missing "
    ".adapt() call in normalization logic in custom fit()') - the "
    "chapter 10 hypermodel puts a Normalization layer in front of its "
    "MLP for Fashion MNIST pixels but never calls adapt(), so the layer "
    "passes the raw 0-255 values through; the fix adds "
    "norm_layer.adapt(X) before fitting")
_EMPTY_ROWS_ATTENTION = (
    "https://github.com/alexTsaptsinos/lyricsHAN/issues/3 ('NaN Loss "
    "Despite Clip Norm') - a hierarchical attention network on lyrics "
    "gets NaN losses even with clipnorm; the author finds the cause: "
    "rows made entirely of padding zeros, over which the masked "
    "attention divides zero by zero. The fix: no empty rows (drop them "
    "in preprocessing)")
_TRACK_SOFTMAX = (
    "https://github.com/keras-team/keras/issues/1987 ('Extremely high "
    "loss value for each epoch, not increasing in accuracy') - zero-"
    "padded tracks of [latitude, longitude, temperature] readings (around "
    "[40, 40, 20]) through Masking, LSTM(2), a softmax, Dense(2) and a "
    "second softmax under categorical_crossentropy and rmsprop, batches "
    "of 1, to predict the track's final [latitude, longitude]: the loss "
    "stays near 63 and the outputs stay around [0.4, 0.5]. The thread "
    "holds no fix; the twin applies the standard remedy for continuous "
    "targets, a linear output under mse on standardised values")
_SIGMOID_RAW_TARGET = (
    "https://github.com/jsyoon0823/Time-series-prediction/issues/3 "
    "('better add doc: the model only take regression target value in "
    "[0, 1]') - the repository's attention model for time-series "
    "regression ends in a sigmoid, so a target fed as any float (a load, "
    "a price) can never be reached; the maintainer agrees: normalise the "
    "targets with MinMax first")
_DISCRIMINATOR_FROZEN = (
    "https://github.com/0b01/SimGAN-Captcha/issues/4 ('when pre-train "
    "discriminator, loss keeps the same') - pre-training the SimGAN "
    "discriminator on real against synthetic captcha images, the loss "
    "stays at 0.693147 for both and every image gets the same output; "
    "the author's own fix: discriminator_model.trainable = False had "
    "been set before discriminator_model.compile, so the discriminator "
    "had nothing to train; set it after that compile (and before the "
    "combined model's)")
_CLASS_WEIGHT_KEYS = (
    "https://github.com/keras-team/keras/issues/23220 ('Invalid "
    "class_weight keys silently ignored in model.fit(), no error "
    "raised') - a class_weight dict whose keys are not class indices is "
    "dropped without a word and training proceeds as if no weights were "
    "given; the keys must be the integer class indices. Here the keys "
    "are the label names as read from the CSV")
_SEPARABLE_CLASSES = (
    "https://github.com/keras-team/keras/issues/13131 ('acc keeps 1?') - "
    "three classes of 154-value readings taken at three settings (100, "
    "175, 250), about 1,800 rows each: the training and validation "
    "accuracy reach 1 after the first epoch and stay there, which the "
    "author takes for a fault; the classes are simply separable; no bug")


# ---------------------------------------------------------------------------
# Sigmoid outputs under binary cross-entropy for 30 single-label topics.


def _topic_texts(n=3000, length=40, vocabulary=1000, classes=30):
    """Seeded texts of `length` word ids: random words from 151 on, and
    three words of the text's topic (ids 1 + 5c to 5 + 5c)."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, classes, n)
    x = rng.integers(151, vocabulary, (n, length))
    for row, topic in enumerate(y):
        at = rng.choice(length, 3, replace=False)
        x[row, at] = 1 + 5 * topic + rng.integers(0, 5, 3)
    return x.astype("int32"), keras.utils.to_categorical(y, classes)


def _topic_lstm(output_activation, loss):
    """The thread's Embedding, dropouts and LSTM(100)."""
    model = keras.Sequential([
        keras.Input(shape=(40,), dtype="int32"),
        layers.Embedding(1000, 64),
        layers.Dropout(0.2),
        layers.LSTM(100),
        layers.Dropout(0.2),
        layers.Dense(30, activation=output_activation),
    ])
    model.compile(optimizer="adam", loss=loss,
                  metrics=[keras.metrics.BinaryAccuracy(name="accuracy"),
                           keras.metrics.CategoricalAccuracy(
                               name="categorical_accuracy")])
    return model


@case("recurrent (LSTM)", "loss_activation_mismatch", split="holdout",
      also=("loss_not_decreasing", "constant_predictions", "no_signal"),
      fixed_by="bl_thread_topic_lstm_softmax",
      metric="categorical_accuracy", origin="real",
      source=_TOPIC_SIGMOID_BINARY,
      note="3,000 seeded texts of 40 words from 1,000 stand in for the "
           "thread's corpus of 600-word reviews from 5,000 words; 4 "
           "epochs instead of 1, as the set is smaller")
def bl_thread_topic_lstm_sigmoid_binary(callbacks):
    """Thirty sigmoid outputs under binary cross-entropy for one topic
    per text: every unit learns to say 'no', the per-column 'accuracy'
    reads 0.97, and the right topic is the highest output for few
    texts (categorical_accuracy 0.04 after 4 epochs, 0.32 fixed)."""
    x, y = _topic_texts()
    model = _topic_lstm("sigmoid", "binary_crossentropy")
    return model.fit(x, y, epochs=4, batch_size=64, verbose=0,
                     callbacks=callbacks)


@case("recurrent (LSTM)", None, split="holdout",
      metric="categorical_accuracy", origin="real",
      source=_TOPIC_SIGMOID_BINARY)
def bl_thread_topic_lstm_softmax(callbacks):
    """The standard remedy: a softmax under categorical cross-entropy."""
    x, y = _topic_texts()
    model = _topic_lstm("softmax", "categorical_crossentropy")
    return model.fit(x, y, epochs=4, batch_size=64, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# Rows in recording order under validation_split.


def _rows_in_recording_order(shuffle):
    """2,048 California districts in west-to-east order (as frames come
    in the order they were recorded), standardised columns, the value in
    $100,000s; shuffled first when `shuffle`."""
    df = housing(2048).sort_values("longitude").reset_index(drop=True)
    x = df[HOUSING_COLUMNS].to_numpy("float32")
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    y = (df["median_house_value"].to_numpy("float32") / 1e5)
    if shuffle:
        rows = np.random.default_rng(0).permutation(len(x))
        x, y = x[rows], y[rows]
    return x, y


def _position_regressor():
    """Two ReLU layers and a linear output under mse."""
    model = keras.Sequential([
        keras.Input(shape=(len(HOUSING_COLUMNS),)),
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


@case("Sequential MLP", "sorted_validation_split", split="holdout",
      also=("oscillating_loss",),
      fixed_by="bl_thread_shuffled_before_split", metric="val_mae",
      origin="real", source=_ORDERED_TAIL,
      note="2,048 California districts ordered west to east stand in for "
           "camera frames in recording order; 20 epochs")
def bl_thread_ordered_rows_tail_validation(callbacks):
    """validation_split takes the last quarter before any shuffling: the
    eastmost districts, which the model never trains on, so the
    validation error stays high (val_mae 0.79 after 20 epochs, 0.44
    fixed, in $100,000s)."""
    x, y = _rows_in_recording_order(shuffle=False)
    model = _position_regressor()
    return model.fit(x, y, epochs=20, batch_size=32, validation_split=0.25,
                     verbose=0, callbacks=callbacks)


@case("Sequential MLP", None, split="holdout", metric="val_mae",
      origin="real", source=_ORDERED_TAIL)
def bl_thread_shuffled_before_split(callbacks):
    """The standard remedy: shuffle the rows, then split."""
    x, y = _rows_in_recording_order(shuffle=True)
    model = _position_regressor()
    return model.fit(x, y, epochs=20, batch_size=32, validation_split=0.25,
                     verbose=0, callbacks=callbacks)


# ---------------------------------------------------------------------------
# A Normalization layer that was never adapted.


def _raw_flat_digits(n=4096):
    """`n` MNIST digits, flattened raw 0-255 pixels as float32."""
    x, y = mnist(n)
    return x.reshape(len(x), -1).astype("float32"), y


def _hypermodel_mlp(x, adapt):
    """The chapter's MLP: Normalization, two Dense(100, relu), softmax,
    SGD at 0.01 (values the tuner may draw)."""
    norm = layers.Normalization()
    if adapt:
        norm.adapt(x)
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        norm,
        layers.Dense(100, activation="relu"),
        layers.Dense(100, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.SGD(0.01),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


@case("Sequential MLP", "unscaled_inputs", split="holdout",
      also=("exploding", "nan", "dead_units", "loss_not_decreasing",
            "constant_predictions", "oscillating_loss"),
      fixed_by="bl_thread_normalization_adapted", metric="accuracy",
      origin="real", source=_NORMALIZATION_NOT_ADAPTED,
      note="4,096 MNIST digits stand in for Fashion MNIST; 5 epochs")
def bl_thread_normalization_not_adapted(callbacks):
    """A Normalization layer that was never adapted keeps mean 0 and
    variance 1, so raw 0-255 pixels reach the ReLU layers under SGD at
    0.01: the first epoch's loss is in the thousands, then the model
    settles on one digit (accuracy 0.10 after 5 epochs, 0.92 fixed)."""
    x, y = _raw_flat_digits()
    model = _hypermodel_mlp(x, adapt=False)
    return model.fit(x, y, epochs=5, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", None, split="holdout", metric="accuracy",
      origin="real", source=_NORMALIZATION_NOT_ADAPTED)
def bl_thread_normalization_adapted(callbacks):
    """The pull request's fix: adapt the layer to the pixels first."""
    x, y = _raw_flat_digits()
    model = _hypermodel_mlp(x, adapt=True)
    return model.fit(x, y, epochs=5, batch_size=32, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# Attention over rows that are all padding.


class _MaskedAttentionPool(layers.Layer):
    """Attention pooling over the non-padding steps: softmax of the
    scores where the token is not 0, written out by hand."""

    def call(self, inputs):
        states, scores, tokens = inputs
        mask = ops.expand_dims(ops.cast(ops.not_equal(tokens, 0),
                                        "float32"), -1)
        weights = ops.exp(scores) * mask
        weights = weights / ops.sum(weights, axis=1, keepdims=True)
        return ops.sum(weights * states, axis=1)


def _lyrics(drop_empty, n=2048, length=16):
    """Seeded lines of 3-12 word ids with two mood words (ids 1-5 in
    happy lines, label 1; 6-10 in sad ones), padded with zeros; one line
    in 20 is empty (all padding) after cleaning, unless `drop_empty`."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, n)
    x = np.zeros((n, length), dtype="int32")
    for row, label in enumerate(y):
        words = rng.integers(11, 100, rng.integers(3, 13))
        at = rng.integers(0, len(words), 2)
        words[at] = rng.integers(1, 6, 2) if label else rng.integers(6, 11, 2)
        x[row, :len(words)] = words
    empty = rng.random(n) < 0.05
    x[empty] = 0
    if drop_empty:
        x, y = x[~empty], y[~empty]
    return x, y.astype("float32")


def _attention_classifier(length=16):
    """Embedding, GRU states and a masked attention pooling."""
    tokens = keras.Input(shape=(length,), dtype="int32")
    h = layers.Embedding(100, 16)(tokens)
    h = layers.GRU(16, return_sequences=True)(h)
    scores = layers.Dense(1)(h)
    pooled = _MaskedAttentionPool()([h, scores, tokens])
    outputs = layers.Dense(1, activation="sigmoid")(pooled)
    model = keras.Model(tokens, outputs)
    model.compile(optimizer=keras.optimizers.Adam(clipnorm=1.0),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


@case("functional GRU + attention", "nan", split="holdout",
      also=("nonfinite_data", "constant_predictions", "unchanged_weights",
            "loss_not_decreasing"),
      fixed_by="bl_thread_attention_empty_rows_dropped", metric="accuracy",
      origin="real", source=_EMPTY_ROWS_ATTENTION,
      note="2,048 seeded lines stand in for the lyrics corpus; one "
           "attention level instead of two; 5 epochs")
def bl_thread_attention_empty_rows(callbacks):
    """Lines that are all padding: the masked attention divides 0 by 0,
    the loss and then every weight turn NaN in the first epoch despite
    clipnorm (accuracy 0.48 after 5 epochs, 0.999 fixed)."""
    x, y = _lyrics(drop_empty=False)
    model = _attention_classifier()
    return model.fit(x, y, epochs=5, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("functional GRU + attention", None, split="holdout",
      metric="accuracy", origin="real", source=_EMPTY_ROWS_ATTENTION)
def bl_thread_attention_empty_rows_dropped(callbacks):
    """The author's fix: no empty lines."""
    x, y = _lyrics(drop_empty=True)
    model = _attention_classifier()
    return model.fit(x, y, epochs=5, batch_size=32, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# Coordinates regressed through a softmax under categorical cross-entropy.


def _tracks(n=300, length=12):
    """Seeded tracks of 4-12 [latitude, longitude, temperature] readings
    drifting north-east, zero-padded in front (pad_sequences' default),
    and the position one step after each track's last reading."""
    rng = np.random.default_rng(0)
    x = np.zeros((n, length, 3), dtype="float32")
    y = np.zeros((n, 2), dtype="float32")
    for row in range(n):
        steps = rng.integers(4, length + 1)
        start = rng.uniform(35, 45, 2)
        walk = start + np.cumsum(rng.normal(0.3, 0.2, (steps + 1, 2)), 0)
        temperature = rng.normal(20, 3, (steps, 1))
        x[row, length - steps:] = np.c_[walk[:steps], temperature]
        y[row] = walk[steps]
    return x, y


def _degrees_mae(scale):
    """Mean absolute error in degrees, for targets divided by `scale`."""

    def mae_degrees(y_true, y_pred):
        return ops.mean(ops.abs(y_true - y_pred)) * scale

    return mae_degrees


@case("recurrent (LSTM)", "label_mismatch", split="holdout",
      also=("loss_activation_mismatch", "loss_not_decreasing",
            "constant_predictions", "unscaled_targets", "unscaled_inputs",
            "no_signal"),
      fixed_by="bl_thread_track_linear_standardised",
      metric="mae_degrees", origin="real", source=_TRACK_SOFTMAX,
      note="300 seeded tracks stand in for the thread's; the thread's "
           "5 epochs of batch 1")
def bl_thread_track_softmax_crossentropy(callbacks):
    """Final coordinates near 40 degrees as targets of a softmax under
    categorical cross-entropy: the two outputs sum to 1 and can never
    reach them: the loss stays near 63-66, as in the thread (mae_degrees
    42.4 after 5 epochs, 0.28 fixed)."""
    x, y = _tracks()
    model = keras.Sequential([
        keras.Input(shape=(12, 3)),
        layers.Masking(0.0),
        layers.LSTM(2),
        layers.Activation("softmax"),
        layers.Dense(2),
        layers.Activation("softmax"),
    ])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy",
                  metrics=[_degrees_mae(1.0)])
    return model.fit(x, y, epochs=5, batch_size=1, verbose=0,
                     callbacks=callbacks)


@case("recurrent (LSTM)", None, split="holdout", metric="mae_degrees",
      origin="real", source=_TRACK_SOFTMAX)
def bl_thread_track_linear_standardised(callbacks):
    """The standard remedy: standardised readings and targets, an LSTM
    and a linear output under mse."""
    x, y = _tracks()
    real = np.any(x != 0, axis=-1)
    mean, std = x[real].mean(axis=0), x[real].std(axis=0)
    x = np.where(real[..., None], (x - mean) / std, 0.0).astype("float32")
    y_mean, y_scale = y.mean(axis=0), float(y.std())
    y = ((y - y_mean) / y_scale).astype("float32")
    model = keras.Sequential([
        keras.Input(shape=(12, 3)),
        layers.Masking(0.0),
        layers.LSTM(32),
        layers.Dense(2),
    ])
    model.compile(optimizer="rmsprop", loss="mse",
                  metrics=[_degrees_mae(y_scale)])
    return model.fit(x, y, epochs=5, batch_size=1, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# A sigmoid output for targets in the hundreds.


class _AttentionPool(layers.Layer):
    """Softmax attention over the time steps of a sequence of states."""

    def call(self, inputs):
        states, scores = inputs
        weights = ops.softmax(scores, axis=1)
        return ops.sum(weights * states, axis=1)


def _load_windows(n=1200, steps=24):
    """Seeded windows of 24 hourly loads (megawatts, 100-300) with the
    hour of day, and the next hour's load."""
    rng = np.random.default_rng(0)
    start = rng.integers(0, 24, n)
    level = rng.uniform(150, 250, n)
    hours = (start[:, None] + np.arange(steps + 1)[None, :]) % 24
    load = (level[:, None] + 50 * np.sin(2 * np.pi * hours / 24)
            + rng.normal(0, 5, (n, steps + 1)))
    x = np.stack([load[:, :steps] / 100.0, hours[:, :steps] / 24.0], -1)
    return x.astype("float32"), load[:, steps].astype("float32")


def _original_units_mae(scale):
    """Mean absolute error in megawatts, for targets divided by `scale`."""

    def mae_megawatts(y_true, y_pred):
        return ops.mean(ops.abs(ops.squeeze(y_true) - ops.squeeze(y_pred))
                        ) * scale

    return mae_megawatts


def _attention_regressor(scale):
    """A GRU, attention pooling and a sigmoid output under mse."""
    inputs = keras.Input(shape=(24, 2))
    h = layers.GRU(32, return_sequences=True)(inputs)
    scores = layers.Dense(1)(h)
    pooled = _AttentionPool()([h, scores])
    outputs = layers.Dense(1, activation="sigmoid")(pooled)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse",
                  metrics=[_original_units_mae(scale)])
    return model


@case("functional GRU + attention", "label_mismatch", split="holdout",
      also=("unscaled_targets", "saturated_units", "constant_predictions",
            "loss_not_decreasing"),
      fixed_by="bl_thread_sigmoid_target_minmax", metric="mae_megawatts",
      origin="real", source=_SIGMOID_RAW_TARGET,
      note="1,200 seeded windows of hourly load stand in for the "
           "repository's data sets; 10 epochs")
def bl_thread_sigmoid_raw_target(callbacks):
    """Loads of 100-300 megawatts as the target of a sigmoid, which
    stops at 1: the output saturates at 1 for every window
    (mae_megawatts 198 after 10 epochs, 11 fixed)."""
    x, y = _load_windows()
    model = _attention_regressor(1.0)
    return model.fit(x, y, epochs=10, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("functional GRU + attention", None, split="holdout",
      metric="mae_megawatts", origin="real", source=_SIGMOID_RAW_TARGET)
def bl_thread_sigmoid_target_minmax(callbacks):
    """The maintainer's fix: MinMax-scale the targets to [0, 1]."""
    x, y = _load_windows()
    low, high = float(y.min()), float(y.max())
    model = _attention_regressor(high - low)
    return model.fit(x, (y - low) / (high - low), epochs=10, batch_size=32,
                     verbose=0, callbacks=callbacks)


# ---------------------------------------------------------------------------
# A discriminator frozen before its own compile.


def _real_and_synthetic(n=1024):
    """MNIST digits (label 1, real) against other digits rendered the way
    a synthetic generator draws them: binarised strokes with noise
    (label 0), in random order."""
    x, _ = mnist(2 * n)
    x = x[..., None].astype("float32") / 255.0
    rng = np.random.default_rng(0)
    synthetic = (x[n:] > 0.5).astype("float32")
    synthetic = np.clip(synthetic + rng.normal(0, 0.2, synthetic.shape), 0, 1)
    images = np.concatenate([x[:n], synthetic])
    labels = np.r_[np.ones(n), np.zeros(n)].astype("float32")
    rows = rng.permutation(len(labels))
    return images[rows], labels[rows]


def _discriminator():
    """A small convolutional real/synthetic classifier."""
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(16, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, activation="relu"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(1, activation="sigmoid"),
    ])


@case("Sequential CNN", "nothing_to_train", split="holdout",
      also=("unchanged_weights", "loss_not_decreasing", "no_signal",
            "constant_predictions"),
      fixed_by="bl_thread_discriminator_frozen_after_compile",
      metric="accuracy", origin="real", source=_DISCRIMINATOR_FROZEN,
      note="2,048 MNIST digits, half of them redrawn as synthetic, stand "
           "in for the captcha images; 3 epochs of pre-training")
def bl_thread_discriminator_frozen_before_compile(callbacks):
    """The discriminator is frozen (for the combined model) before its
    own compile, so its pre-training updates nothing: the loss stays
    where it starts, 0.706 (accuracy 0.50 after 3 epochs, 1.00
    fixed)."""
    x, y = _real_and_synthetic()
    discriminator = _discriminator()
    discriminator.trainable = False
    discriminator.compile(optimizer="adam", loss="binary_crossentropy",
                          metrics=["accuracy"])
    return discriminator.fit(x, y, epochs=3, batch_size=32, verbose=0,
                             callbacks=callbacks)


@case("Sequential CNN", None, split="holdout", metric="accuracy",
      origin="real", source=_DISCRIMINATOR_FROZEN)
def bl_thread_discriminator_frozen_after_compile(callbacks):
    """The author's fix: compile the discriminator while it is
    trainable, freeze it only for the combined model."""
    x, y = _real_and_synthetic()
    discriminator = _discriminator()
    discriminator.compile(optimizer="adam", loss="binary_crossentropy",
                          metrics=["accuracy"])
    return discriminator.fit(x, y, epochs=3, batch_size=32, verbose=0,
                             callbacks=callbacks)


# ---------------------------------------------------------------------------
# class_weight keyed by label names.


def _rare_income_rows():
    """4,000 Adult rows of which 5% earn >50K, standardised numeric
    columns."""
    df = adult_rare_positives(4000, share=0.05)
    return (standardise(df[ADULT_NUMERIC].to_numpy()),
            df["y"].to_numpy().astype("float32"))


def _income_classifier():
    """Dense(16, relu) and a sigmoid unit, with recall reported."""
    model = keras.Sequential([
        keras.Input(shape=(len(ADULT_NUMERIC),)),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=[keras.metrics.Recall(name="recall"),
                           "accuracy"])
    return model


@case("Sequential MLP", "class_imbalance", split="holdout",
      also=("constant_predictions", "no_signal"),
      fixed_by="bl_thread_class_weight_index_keys", metric="recall",
      origin="real", source=_CLASS_WEIGHT_KEYS,
      note="4,000 Adult rows with 5% positives; 5 epochs")
def bl_thread_class_weight_label_keys(callbacks):
    """class_weight={'<=50K': 1, '>50K': 19}: the keys match no class
    index, so the weights are dropped silently and the rare class is
    never predicted (recall 0.00 after 5 epochs, accuracy 0.95, the
    share of the majority; recall 0.75 fixed)."""
    x, y = _rare_income_rows()
    model = _income_classifier()
    return model.fit(x, y, epochs=5, batch_size=32, verbose=0,
                     class_weight={"<=50K": 1.0, ">50K": 19.0},
                     callbacks=callbacks)


@case("Sequential MLP", None, split="holdout", metric="recall",
      origin="real", source=_CLASS_WEIGHT_KEYS)
def bl_thread_class_weight_index_keys(callbacks):
    """The fix: the class indices 0 and 1 as keys."""
    x, y = _rare_income_rows()
    model = _income_classifier()
    return model.fit(x, y, epochs=5, batch_size=32, verbose=0,
                     class_weight={0: 1.0, 1: 19.0}, callbacks=callbacks)


# ---------------------------------------------------------------------------
# Healthy: separable classes reach accuracy 1 at once.


@case("Sequential MLP", None, split="holdout", metric="val_accuracy",
      origin="real", source=_SEPARABLE_CLASSES,
      note="5,594 seeded readings as in the thread; 5 epochs")
def bl_thread_three_settings_accuracy_one(callbacks):
    """Three classes of 154 noisy readings around three levels: the
    accuracy reaches 1 (val_accuracy 0.33 after the first epoch, 1.00
    after the fifth) and stays there, which is right, not a fault."""
    rng = np.random.default_rng(0)
    sizes = (1737, 2000, 1857)
    level = np.concatenate([np.full(k, v) for k, v in
                            zip(sizes, (1.00, 1.75, 2.50))])
    y = np.concatenate([np.full(k, c) for c, k in enumerate(sizes)])
    x = level[:, None] * (1 + rng.normal(0, 0.05, (len(y), 154)))
    rows = rng.permutation(len(y))
    x, y = x[rows].astype("float32"), y[rows]
    model = keras.Sequential([
        keras.Input(shape=(154,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer="adam",
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=5, batch_size=32, validation_split=0.25,
                     verbose=0, callbacks=callbacks)
