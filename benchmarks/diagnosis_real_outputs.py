"""Real faulty programs about the output layer, the loss and the targets.

Each faulty program rewrites, for Keras 3, a program that someone posted
(a Stack Overflow / Stack Exchange question, a forum thread or a GitHub
issue) whose output activation, loss or targets did not fit together; its
fixed twin applies the fix that the author or an answerer published. The
data are slices of `../shared/data` or small seeded synthetic sets standing
in for the poster's own data. Every case name starts with `out_`.
"""

import keras
import numpy as np
from keras import layers

from diagnosis_cases import ADULT_NUMERIC
from diagnosis_cases import adult_rare_positives
from diagnosis_cases import case
from diagnosis_cases import housing
from diagnosis_cases import HOUSING_COLUMNS
from diagnosis_cases import mnist
from diagnosis_cases import standardise

# ---------------------------------------------------------------------------
# Data helpers shared by the programs below.


def _digit_attributes(digits):
    """Multi-hot attributes of each digit: odd, >= 5, prime, has a closed
    loop, multiple of 3 (several may be 1 at once)."""
    digits = np.asarray(digits)
    return np.stack([
        digits % 2 == 1,
        digits >= 5,
        np.isin(digits, [2, 3, 5, 7]),
        np.isin(digits, [0, 4, 6, 8, 9]),
        digits % 3 == 0,
    ], axis=1).astype("float32")


def _topic_texts(n=1024, classes=4, maxlen=20, vocab=200):
    """Toy documents: 5-20 word ids in `classes*5+1..vocab-1` with two
    topic words (ids `c*5+1..c*5+5` for class c), padded to `maxlen`."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, classes, n)
    x = np.zeros((n, maxlen), dtype="int64")
    for row, label in enumerate(y):
        length = rng.integers(5, maxlen + 1)
        words = rng.integers(classes * 5 + 1, vocab, length)
        at = rng.choice(length, 2, replace=False)
        words[at] = label * 5 + 1 + rng.integers(0, 5, 2)
        x[row, :length] = words
    return x, y.astype("int64")


def _price_windows(n=2000):
    """Windows of 10 days x 4 standardised prices (open, high, low, close)
    of a random walk; label 1 when the window closed above its start."""
    rng = np.random.default_rng(0)
    steps = rng.normal(0, 1, (n, 10, 1)).cumsum(axis=1)
    spread = np.abs(rng.normal(0, 0.3, (n, 10, 3)))
    prices = np.concatenate(
        [steps, steps + spread[..., :1], steps - spread[..., 1:2],
         steps + rng.normal(0, 0.2, (n, 10, 1))], axis=2)
    y = (prices[:, -1, 3] > prices[:, 0, 0]).astype("int64")
    prices = (prices - prices.mean()) / prices.std()
    return prices.astype("float32"), y


def _effect_pairs(n=1024, length=10):
    """A stereo 'guitar effect': the effected sample at each instant is an
    echo-like filter of the raw samples before it, both in about
    (-27, 27). Returns `length` raw stereo samples per row and the
    effected stereo sample after them."""
    rng = np.random.default_rng(0)
    raw = rng.uniform(-1, 1, (n, length, 2)).astype("float32")
    decay = 0.7 ** np.arange(length)[::-1]
    left = (raw[:, :, 0] * decay).sum(axis=1)
    right = (raw[:, :, 1] * decay).sum(axis=1) + 0.5 * raw[:, -1, 0]
    effected = np.stack([left, right], axis=1)
    effected = effected / np.abs(effected).max() * 27.0
    return raw * 27.0, effected.astype("float32")


# ---------------------------------------------------------------------------
# Faulty programs and their fixed twins.


@case("Sequential MLP", "label_mismatch", split="tune",
      also=("loss_activation_mismatch",),
      fixed_by="out_multi_hot_sigmoid_bce", metric="binary_accuracy",
      origin="real",
      source="https://stackoverflow.com/questions/44164749/how-does-keras-"
             "handle-multilabel-classification - multi-hot targets from "
             "MultiLabelBinarizer trained under softmax + "
             "categorical_crossentropy; the answer: sigmoid outputs and "
             "binary_crossentropy",
      note="binary_accuracy is logged in both programs so that the two can "
           "be compared; the poster logged 'accuracy'")
def out_multi_hot_softmax_cce(callbacks):
    """Multi-label digit attributes (1 to 4 of 5 set per image) under a
    softmax with categorical cross-entropy: the softmax cannot put two
    labels above 0.5 at once (binary accuracy 0.53 on TensorFlow, 0.61 on
    JAX after 3 epochs; 0.82 with sigmoid outputs)."""
    x, digits = mnist(2048)
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    y = _digit_attributes(digits)
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.1),
        layers.Dense(y.shape[1], activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9,
                                                 nesterov=True),
                  loss="categorical_crossentropy",
                  metrics=["binary_accuracy"])
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", None, split="tune", metric="binary_accuracy",
      origin="real",
      source="https://stackoverflow.com/questions/44164749/how-does-keras-"
             "handle-multilabel-classification - fixed as the answer says: "
             "sigmoid outputs under binary_crossentropy")
def out_multi_hot_sigmoid_bce(callbacks):
    """The multi-label digit attributes with one sigmoid per label under
    binary cross-entropy."""
    x, digits = mnist(2048)
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    y = _digit_attributes(digits)
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.1),
        layers.Dense(y.shape[1], activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9,
                                                 nesterov=True),
                  loss="binary_crossentropy",
                  metrics=["binary_accuracy"])
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


_CNN_SOURCE = ("https://stats.stackexchange.com/questions/481881/"
               "convolutional-neural-network-fails-even-when-given-answer")


@case("Sequential CNN", "loss_activation_mismatch", split="tune",
      also=("constant_predictions", "unchanged_weights", "no_signal",
            "loss_not_decreasing"),
      fixed_by="out_cnn_sigmoid_bce", metric="binary_accuracy",
      origin="real",
      source=_CNN_SOURCE + " - a CNN ending in Dense(1, activation="
             "'softmax') under categorical_crossentropy predicted 'true' "
             "for everything, even with the answer copied into the input; "
             "the answer: softmax over one unit is always 1, use a sigmoid "
             "(with binary cross-entropy)",
      note="even/odd MNIST digits stand in for the poster's (99, 25, 2) "
           "arrays; one epoch, as the author ran")
def out_cnn_softmax_one_unit_cce(callbacks):
    """Dense(1, softmax) under categorical cross-entropy: the output is 1
    for every image, the loss is 0 and has no gradient, so nothing is
    learned (binary accuracy 0.50 = share of odd digits after the epoch,
    0.78-0.80 fixed)."""
    x, digits = mnist(2048)
    x = x[..., None].astype("float32") / 255.0
    y = (digits % 2).astype("float32")
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(8, 3, activation="relu"),
        layers.Conv2D(16, 3, activation="relu"),
        layers.Flatten(),
        layers.Dense(1, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy",
                  metrics=["binary_accuracy"])
    return model.fit(x, y, epochs=1, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential CNN", None, split="tune", metric="binary_accuracy",
      origin="real",
      source=_CNN_SOURCE + " - fixed: Dense(1, activation='sigmoid') under "
             "binary cross-entropy")
def out_cnn_sigmoid_bce(callbacks):
    """The even/odd CNN with a sigmoid unit under binary cross-entropy."""
    x, digits = mnist(2048)
    x = x[..., None].astype("float32") / 255.0
    y = (digits % 2).astype("float32")
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(8, 3, activation="relu"),
        layers.Conv2D(16, 3, activation="relu"),
        layers.Flatten(),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["binary_accuracy"])
    return model.fit(x, y, epochs=1, batch_size=32, verbose=0,
                     callbacks=callbacks)


def _probability_task(n=2048, features=32):
    """Binary int8 features and a target probability in (0, 1) that
    depends on them through a logistic link."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, (n, features)).astype("int8")
    w = rng.normal(0, 0.6, features)
    y = 1.0 / (1.0 + np.exp(-(x @ w - w.sum() / 2)))
    return x.astype("float32"), y.astype("float32")


_PROB_SOURCE = ("https://stackoverflow.com/questions/63909566/why-cant-i-"
                "use-softmax-in-regression-task-for-probabilities")


@case("Sequential MLP", "loss_activation_mismatch", split="tune",
      also=("constant_predictions", "unchanged_weights", "no_signal",
            "loss_not_decreasing"),
      fixed_by="out_probability_sigmoid_mse", metric="loss", origin="real",
      source=_PROB_SOURCE + " - regressing probabilities with Dense(1, "
             "activation='softmax') under mse, the loss never changed; the "
             "accepted answer: softmax over one unit is always 1, use a "
             "sigmoid")
def out_probability_softmax_mse(callbacks):
    """A probability regressed through a softmax over one unit: the
    prediction is 1 whatever the input and the loss stays at its first
    value (mse 0.35 after 10 epochs, 0.0006 with a sigmoid)."""
    x, y = _probability_task()
    model = keras.Sequential([
        keras.Input(shape=(x.shape[1],)),
        layers.Dense(64, activation="relu"),
        layers.Dense(1, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="mse")
    return model.fit(x, y, epochs=10, batch_size=64, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", None, split="tune", metric="loss", origin="real",
      source=_PROB_SOURCE + " - fixed as the accepted answer says: "
             "Dense(1, activation='sigmoid')")
def out_probability_sigmoid_mse(callbacks):
    """The probability regression through a sigmoid unit under mse."""
    x, y = _probability_task()
    model = keras.Sequential([
        keras.Input(shape=(x.shape[1],)),
        layers.Dense(64, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="mse")
    return model.fit(x, y, epochs=10, batch_size=64, verbose=0,
                     callbacks=callbacks)


_DIGITS_SOURCE = ("https://datascience.stackexchange.com/questions/38604/"
                  "too-low-accuracy-on-mnist-dataset-using-a-neural-network")


@case("Sequential MLP", "label_mismatch", split="tune",
      also=("constant_predictions", "saturated_units", "nan",
            "loss_not_decreasing"),
      fixed_by="out_digits_softmax_ten_units", metric="val_accuracy",
      origin="real",
      source=_DIGITS_SOURCE + " - MNIST digits 0-9 fitted by one sigmoid "
             "unit under binary_crossentropy: loss -55, accuracy 0.11 and "
             "no change from epoch to epoch; the fix: 10 softmax units "
             "under a categorical cross-entropy",
      note="the poster also fed raw 0-255 pixels; both programs here "
           "divide by 255 so that only the output bug differs")
def out_digits_one_sigmoid_bce(callbacks):
    """Digit labels 0-9 under binary cross-entropy on one sigmoid unit:
    every label above 1 rewards p -> 1 without bound, the loss goes
    negative (-56 on JAX, -3500 on TensorFlow) and every digit is called
    a 1 (val accuracy 0.09 after 10 epochs, 0.88-0.89 with 10 softmax
    units)."""
    x, y = mnist(2048)
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, validation_split=0.33, epochs=10, batch_size=32,
                     verbose=0, callbacks=callbacks)


@case("Sequential MLP", None, split="tune", metric="val_accuracy",
      origin="real",
      source=_DIGITS_SOURCE + " - fixed: Dense(10, activation='softmax') "
             "under sparse_categorical_crossentropy")
def out_digits_softmax_ten_units(callbacks):
    """The digits with ten softmax units under sparse cross-entropy."""
    x, y = mnist(2048)
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, validation_split=0.33, epochs=10, batch_size=32,
                     verbose=0, callbacks=callbacks)


_EFFECT_SOURCE = ("https://discuss.tensorflow.org/t/lstm-only-yielding-"
                  "outputs-between-0-1/3471")


@case("Sequential LSTM", "label_mismatch", split="tune",
      also=("loss_activation_mismatch", "constant_predictions",
            "saturated_units", "loss_not_decreasing"),
      fixed_by="out_effect_lstm_linear_mse", metric="mae", origin="real",
      source=_EFFECT_SOURCE + " - an LSTM that should output stereo "
             "samples in (-27, 27) ended in Dense(2, activation='softmax') "
             "under categorical_crossentropy and only gave outputs in "
             "(0, 1); the answer: the softmax output is the cause, use a "
             "linear output and a regression loss",
      note="the poster used LSTM(256, return_sequences=True) over 100 "
           "samples (whose 3-D output does not match the 2-D targets); "
           "LSTM(32) over 20 samples here, raw inputs divided by 27")
def out_effect_lstm_softmax_cce(callbacks):
    """Signed regression targets in (-27, 27) under a softmax and
    categorical cross-entropy: the outputs can only be in (0, 1) and sum
    to 1, and the loss goes negative (mae 6.3 after 15 epochs, 2.7-2.8
    with a linear output under mse)."""
    raw, effected = _effect_pairs()
    model = keras.Sequential([
        keras.Input(shape=raw.shape[1:]),
        layers.LSTM(32),
        layers.Dense(2, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy",
                  metrics=["mae"])
    return model.fit(raw / 27.0, effected, epochs=15, batch_size=32,
                     verbose=0, callbacks=callbacks)


@case("Sequential LSTM", None, split="tune", metric="mae", origin="real",
      source=_EFFECT_SOURCE + " - fixed as the answer says: Dense(2) with "
             "no activation under mse")
def out_effect_lstm_linear_mse(callbacks):
    """The guitar-effect LSTM with a linear output under mse."""
    raw, effected = _effect_pairs()
    model = keras.Sequential([
        keras.Input(shape=raw.shape[1:]),
        layers.LSTM(32),
        layers.Dense(2),
    ])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model.fit(raw / 27.0, effected, epochs=15, batch_size=32,
                     verbose=0, callbacks=callbacks)


_TOPIC_SOURCE = ("https://stackoom.com/en/question/4F1Ib (a copy of the "
                 "Stack Overflow question 'Units of the last dense output "
                 "layer in case of multiple categories')")


def _news_model(units):
    return keras.Sequential([
        keras.Input(shape=(20,)),
        layers.Embedding(200, 16),
        layers.GlobalAveragePooling1D(),
        layers.Dense(24, activation="relu"),
        layers.Dense(units, activation="softmax"),
    ])


@case("Sequential embedding MLP", "label_mismatch", split="tune",
      backends=("jax",),
      also=("loss_not_decreasing",),
      fixed_by="out_topics_labels_from_zero", metric="accuracy",
      origin="real",
      source=_TOPIC_SOURCE + " - BBC news topics labelled 1-5 by a Keras "
             "Tokenizer under sparse_categorical_crossentropy with "
             "Dense(5, 'softmax'): accuracy stayed near 0 (the course's "
             "Dense(6) hid it); the answer: the labels must be 0-4, "
             "subtract 1",
      note="on TensorFlow (CPU), sparse cross-entropy raises "
           "InvalidArgumentError on the label 5, so the bug is not silent "
           "there; 10 epochs (the course used 30)")
def out_topics_labels_one_to_five(callbacks):
    """Topic labels 1..5 under sparse cross-entropy over 5 units: on JAX
    the label 5 one-hots to zeros, so that topic is never learned and
    the other topics are learned under shifted ids (accuracy 0.79 after
    10 epochs, 1.0 with labels 0-4)."""
    x, y = _topic_texts(n=1024, classes=5)
    model = _news_model(5)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y + 1, epochs=10, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential embedding MLP", None, split="tune", metric="accuracy",
      origin="real",
      source=_TOPIC_SOURCE + " - fixed as the answer says: labels minus 1, "
             "so 0-4 for Dense(5)")
def out_topics_labels_from_zero(callbacks):
    """The topic classifier with labels 0-4 for its 5 softmax units."""
    x, y = _topic_texts(n=1024, classes=5)
    model = _news_model(5)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=10, batch_size=32, verbose=0,
                     callbacks=callbacks)


_TUTORIAL_SOURCE = "https://github.com/tensorflow/docs/pull/2102"


def _question_model():
    return keras.Sequential([
        keras.Input(shape=(20,)),
        layers.Embedding(200, 16),
        layers.Dropout(0.2),
        layers.GlobalAveragePooling1D(),
        layers.Dropout(0.2),
        layers.Dense(4),
    ])


@case("Sequential embedding classifier", "loss_activation_mismatch",
      split="tune",
      also=("loss_not_decreasing", "unchanged_weights", "vanishing",
            "constant_predictions"),
      fixed_by="out_questions_from_logits", metric="accuracy",
      origin="real",
      source=_TUTORIAL_SOURCE + " - the TensorFlow text-classification "
             "tutorial's exercise (4 Stack Overflow tags) ended in "
             "Dense(4) with no activation under SparseCategoricalCrossentropy"
             "() and got accuracy about 0.3; the maintainers' fix: "
             "from_logits=True",
      note="toy 4-topic token sequences stand in for the Stack Overflow "
           "questions")
def out_questions_logits_no_from_logits(callbacks):
    """Raw logits under a cross-entropy that expects probabilities: the
    loss clips and renormalises them, so the gradients mostly vanish
    (accuracy 0.33 on TensorFlow, 0.07 on JAX after 10 epochs; 0.99
    with from_logits=True)."""
    x, y = _topic_texts(n=1024, classes=4)
    model = _question_model()
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=10, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential embedding classifier", None, split="tune",
      metric="accuracy", origin="real",
      source=_TUTORIAL_SOURCE + " - fixed: SparseCategoricalCrossentropy("
             "from_logits=True)")
def out_questions_from_logits(callbacks):
    """The tag classifier with its logits declared: from_logits=True."""
    x, y = _topic_texts(n=1024, classes=4)
    model = _question_model()
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(
                      from_logits=True),
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=10, batch_size=32, verbose=0,
                     callbacks=callbacks)


_BINARY_CNN_SOURCE = ("https://whosebug.com/question/2796462/Why-does-a-"
                      "binary-Keras-CNN-always-predict-1 (a copy of the "
                      "Stack Overflow question 'Why does a binary Keras "
                      "CNN always predict 1?')")


def _price_cnn(activation):
    return keras.Sequential([
        keras.Input(shape=(10, 4)),
        layers.Conv1D(16, 4, padding="same"),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Dropout(0.2),
        layers.Conv1D(8, 4, padding="same"),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Dropout(0.2),
        layers.Flatten(),
        layers.Dense(64),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Dense(1),
        layers.Activation(activation),
    ])


@case("Sequential CNN, batchnorm", "loss_activation_mismatch",
      split="tune",
      also=("constant_predictions", "unchanged_weights", "no_signal",
            "loss_not_decreasing", "class_imbalance"),
      fixed_by="out_price_cnn_sigmoid", metric="accuracy", origin="real",
      source=_BINARY_CNN_SOURCE + " - a Conv1D classifier of 10x4 price "
             "windows ended in Dense(1) + Activation('softmax') under "
             "binary_crossentropy and predicted 1 for all 970 test rows; "
             "the answers: softmax over one unit is always 1, use a "
             "sigmoid",
      note="a seeded random walk stands in for the poster's prices; 10 "
           "epochs over 2000 windows (the author: 100 epochs over about "
           "6000)")
def out_price_cnn_softmax(callbacks):
    """A softmax over the single output unit: the prediction is 1 for
    every window (accuracy 0.51, the share of 1s, after 10 epochs;
    0.92 with a sigmoid). On TensorFlow, binary cross-entropy reads the logit
    under the softmax, so the weights still train but the model's
    outputs stay useless; on JAX the loss is stuck at 7.7."""
    x, y = _price_windows()
    model = _price_cnn("softmax")
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=10, batch_size=128, verbose=0,
                     callbacks=callbacks)


@case("Sequential CNN, batchnorm", None, split="tune", metric="accuracy",
      origin="real",
      source=_BINARY_CNN_SOURCE + " - fixed: Activation('sigmoid')")
def out_price_cnn_sigmoid(callbacks):
    """The price-window CNN with a sigmoid output."""
    x, y = _price_windows()
    model = _price_cnn("sigmoid")
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=10, batch_size=128, verbose=0,
                     callbacks=callbacks)


_RANGE_SOURCE = "https://github.com/keras-team/keras/issues/2399"


@case("Sequential MLP", "label_mismatch", split="tune",
      also=("unscaled_targets", "saturated_units", "constant_predictions",
            "loss_not_decreasing"),
      fixed_by="out_house_value_scaled_sigmoid", metric="r2_score",
      origin="real",
      source=_RANGE_SOURCE + " - 'How to use mlp for regression': a "
             "sigmoid output for a target in [0, 1000]; the maintainer's "
             "answer: yes, first normalise the target to [0, 1] (and "
             "scale predictions back)",
      note="house values in $1000 (15-500) stand in for the poster's "
           "[0, 1000] target")
def out_house_value_sigmoid(callbacks):
    """House values in thousands of dollars under a sigmoid output: the
    prediction cannot pass 1, so the loss is stuck near the mean squared
    value (R^2 -3.1 after 5 epochs, 0.57-0.62 with the target scaled to
    [0, 1])."""
    df = housing()
    x = standardise(df[HOUSING_COLUMNS].to_numpy())
    y = df["median_house_value"].to_numpy("float32") / 1000.0
    model = keras.Sequential([
        keras.Input(shape=(x.shape[1],)),
        layers.Dense(32, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="mse",
                  metrics=[keras.metrics.R2Score()])
    return model.fit(x, y, epochs=5, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", None, split="tune", metric="r2_score",
      origin="real",
      source=_RANGE_SOURCE + " - fixed as the maintainer says: the target "
             "divided by its maximum, into [0, 1], under the sigmoid")
def out_house_value_scaled_sigmoid(callbacks):
    """House values divided by their cap (500001) under a sigmoid output."""
    df = housing()
    x = standardise(df[HOUSING_COLUMNS].to_numpy())
    y = df["median_house_value"].to_numpy("float32") / 500001.0
    model = keras.Sequential([
        keras.Input(shape=(x.shape[1],)),
        layers.Dense(32, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="mse",
                  metrics=[keras.metrics.R2Score()])
    return model.fit(x, y, epochs=5, batch_size=32, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# Healthy programs that a naive monitor could find suspicious.


@case("Sequential MLP", None, split="tune", metric="recall",
      origin="real",
      source="https://keras.io/examples/structured_data/imbalanced_"
             "classification/ - the keras.io credit-card fraud example: "
             "standardised features, dropout, a sigmoid output and class "
             "weights from the class counts",
      note="Adult with 10% positives stands in for the fraud data (0.17% "
           "positives); the class weights are the example's 1/count")
def out_healthy_imbalanced_class_weight(callbacks):
    """A 90/10 binary task trained with class weights: the loss is
    weighted and accuracy stays below the majority share, but recall of
    the rare class is high (about 0.8)."""
    df = adult_rare_positives(n=4000, share=0.1)
    x = standardise(df[ADULT_NUMERIC].to_numpy())
    y = df["y"].to_numpy()
    counts = np.bincount(y)
    model = keras.Sequential([
        keras.Input(shape=(x.shape[1],)),
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dropout(0.3),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss="binary_crossentropy",
                  metrics=[keras.metrics.Recall(name="recall"),
                           keras.metrics.Precision(name="precision")])
    return model.fit(x, y, class_weight={0: 1.0 / counts[0],
                                         1: 1.0 / counts[1]},
                     epochs=5, batch_size=256, verbose=0,
                     callbacks=callbacks)


@case("Sequential CNN", None, split="tune", metric="accuracy",
      origin="real",
      source="https://keras.io/examples/vision/mnist_convnet/ - the "
             "keras.io simple MNIST convnet (two Conv2D/MaxPooling blocks, "
             "dropout, softmax), run for one short epoch",
      note="one epoch over 2048 images in batches of 64 (the example: 15 "
           "epochs over 54000 in batches of 128), "
           "so the run is short and the loss still falling")
def out_healthy_short_convnet(callbacks):
    """The keras.io MNIST convnet for a single epoch on 2048 images:
    a short run whose loss is still high when it ends (accuracy about
    0.5), but nothing is wrong."""
    x, y = mnist(2048)
    x = x[..., None].astype("float32") / 255.0
    y = keras.utils.to_categorical(y, 10)
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=1, batch_size=64, verbose=0,
                     callbacks=callbacks)
