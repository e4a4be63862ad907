"""Real faulty programs of sequence models (LSTM text and time series).

Each faulty program rewrites, for Keras 3, a program that someone posted
(a GitHub issue) about an LSTM text classifier or an LSTM on time
series that did not learn; its fixed twin applies the fix that the author
or an answerer published. The data are small seeded synthetic sets
standing in for the poster's own data. Every case name starts with
`seq_`.
"""

import keras
import numpy as np
from keras import layers

from diagnosis_cases import case

# ---------------------------------------------------------------------------
# Data helpers shared by the programs below.


def _short_reviews(n=2000, maxlen=50, vocabulary=500):
    """Toy reviews of 4-9 word ids in 21..499 with two sentiment words
    (ids 1-10 in negative, 11-20 in positive ones), padded with zeros at
    the end to `maxlen`, as `TextVectorization` pads them."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, n)
    x = np.zeros((n, maxlen), dtype="int64")
    for row, label in enumerate(y):
        length = rng.integers(4, 10)
        words = rng.integers(21, vocabulary, length)
        at = rng.choice(length, 2, replace=False)
        words[at] = rng.integers(1, 11, 2) + (10 if label else 0)
        x[row, :length] = words
    return x, y.astype("int64")


def _noisy_waves(n=768, steps=50, channels=2):
    """Noisy sine waves of 50 steps in two channels; the class (0-2) is
    the frequency, the phase of each channel is random."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, n)
    t = np.arange(steps)
    frequency = np.array([0.05, 0.1, 0.2])[y]
    phase = rng.uniform(0, 2 * np.pi, (n, channels))
    x = np.sin(2 * np.pi * frequency[:, None, None] * t[None, :, None]
               + phase[:, None, :])
    x = x + 0.3 * rng.normal(size=x.shape)
    return x.astype("float32"), y.astype("int64")


# Ten sensors of a turbofan engine in the style of NASA's C-MAPSS set:
# their level, the drift they show as the engine wears, and their noise.
_SENSOR_LEVEL = np.array([642.0, 1589.0, 1400.0, 554.0, 2388.0, 9050.0,
                          47.5, 521.0, 8140.0, 393.0])
_SENSOR_DRIFT = np.array([1.5, 18.0, 27.0, -2.7, 0.2, 18.0, 0.75, -2.1,
                          15.0, 4.8])
_SENSOR_NOISE = np.array([0.25, 3.0, 4.5, 0.45, 0.035, 3.0, 0.125, 0.35,
                          2.5, 0.75])


def _engine_windows(n_engines=30, window=30):
    """Windows of 30 cycles x 10 raw sensor readings of run-to-failure
    engines, every third cycle, and the remaining useful life (RUL, in
    cycles, capped at 125) at the window's last cycle."""
    rng = np.random.default_rng(0)
    windows, rul = [], []
    for _ in range(n_engines):
        life = rng.integers(130, 300)
        cycles = np.arange(life)
        wear = np.exp((cycles - life) / 60.0)
        readings = (_SENSOR_LEVEL + wear[:, None] * _SENSOR_DRIFT
                    + rng.normal(0, 1, (life, 10)) * _SENSOR_NOISE)
        remaining = np.minimum(life - 1 - cycles, 125)
        for end in range(window, life + 1, 3):
            windows.append(readings[end - window:end])
            rul.append(remaining[end - 1])
    return np.array(windows, "float32"), np.array(rul, "float32")


# ---------------------------------------------------------------------------
# Faulty programs and their fixed twins.

_POST_PADDING_SOURCE = "https://github.com/keras-team/keras-io/issues/2044"


def _review_lstm(mask_zero):
    return keras.Sequential([
        keras.Input(shape=(50,)),
        layers.Embedding(500, 32, mask_zero=mask_zero),
        layers.LSTM(32),
        layers.Dense(1, activation="sigmoid"),
    ])


@case("Sequential LSTM, embedding", "no_signal", split="tune",
      also=("constant_predictions", "loss_not_decreasing", "vanishing",
            "unchanged_weights"),
      fixed_by="seq_lstm_post_padded_masked", metric="val_accuracy",
      origin="real",
      source=_POST_PADDING_SOURCE + " - the keras.io 'Text classification "
             "from scratch' example with its Conv1D replaced by an LSTM "
             "stays at 0.50 accuracy: TextVectorization pads at the end, "
             "so the LSTM's last state comes after the padding (also "
             "keras-team/keras#20898); fixed "
             "with Embedding(..., mask_zero=True), as answered in the thread",
      note="toy reviews of 4-9 words padded to 50 tokens stand in for IMDB "
           "padded to 500; 3 epochs as the example")
def seq_lstm_post_padded_no_mask(callbacks):
    """Reviews of 4-9 tokens padded at the end to 50, into an LSTM with no
    mask: its last state comes after 41 or more padding steps that wash
    the words out, so it learns nothing (accuracy and val_accuracy 0.52
    and 0.53, the majority share, after 3 epochs; 0.98-1.0 with the
    mask)."""
    x, y = _short_reviews()
    model = _review_lstm(mask_zero=False)
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=3, batch_size=32, validation_split=0.2,
                     verbose=0, callbacks=callbacks)


@case("Sequential LSTM, embedding", None, split="tune",
      metric="val_accuracy", origin="real",
      source=_POST_PADDING_SOURCE + " - fixed as answered: "
             "Embedding(..., mask_zero=True), so the LSTM skips the "
             "padding")
def seq_lstm_post_padded_masked(callbacks):
    """The review LSTM with the padding masked (`mask_zero=True`)."""
    x, y = _short_reviews()
    model = _review_lstm(mask_zero=True)
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=3, batch_size=32, validation_split=0.2,
                     verbose=0, callbacks=callbacks)


_RELU_LSTM_SOURCE = "https://github.com/AlexanderVNikitin/tsgm/issues/59"


def _conv_lstm_classifier(lstm_activation):
    """tsgm's ConvnLSTMnArchitecture with one block: Conv1D(relu), LSTM
    returning sequences, Flatten, Dense(relu), softmax."""
    inputs = keras.Input(shape=(50, 2))
    hidden = layers.Conv1D(64, 3, activation="relu")(inputs)
    hidden = layers.Dropout(0.2)(hidden)
    hidden = layers.LSTM(64, activation=lstm_activation,
                         return_sequences=True)(hidden)
    hidden = layers.Dropout(0.2)(hidden)
    hidden = layers.Flatten()(hidden)
    hidden = layers.Dense(128, activation="relu")(hidden)
    outputs = layers.Dense(3, activation="softmax")(hidden)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


@case("functional Conv1D + LSTM", "exploding", split="tune",
      backends=("tensorflow",),
      also=("oscillating_loss", "dead_units", "constant_predictions"),
      fixed_by="seq_conv_lstm_tanh", metric="accuracy", origin="real",
      source=_RELU_LSTM_SOURCE + " - tsgm's ConvnLSTMnArchitecture "
             "classifier has LSTM(128, activation='relu'): 'sometimes the "
             "loss just explode suddenly to very high numbers'; the "
             "reporter's fix, taken by the maintainer (#73): drop the "
             "relu, keep the LSTM's tanh",
      note="one conv-LSTM block of 64 units instead of 128, Adam at 0.005 "
           "(the thread names no rate; at the default 0.001 this data "
           "does not blow up in 5 epochs); on JAX this seed's run does not "
           "blow up either (the thread says it happens 'sometimes')")
def seq_conv_lstm_relu(callbacks):
    """An LSTM with a ReLU instead of tanh: its cell and output are
    unbounded, and after two good epochs (loss 0.13) the loss jumps to
    1,570 in the third and accuracy ends at 0.59 after 5 epochs, where the
    tanh twin reaches 1.0."""
    x, y = _noisy_waves()
    model = _conv_lstm_classifier("relu")
    return model.fit(x, y, epochs=5, batch_size=64, verbose=0,
                     callbacks=callbacks)


@case("functional Conv1D + LSTM", None, split="tune", metric="accuracy",
      origin="real",
      source=_RELU_LSTM_SOURCE + " - fixed as in the thread: the LSTM "
             "keeps its default tanh activation")
def seq_conv_lstm_tanh(callbacks):
    """The conv-LSTM classifier with the LSTM's default tanh."""
    x, y = _noisy_waves()
    model = _conv_lstm_classifier("tanh")
    return model.fit(x, y, epochs=5, batch_size=64, verbose=0,
                     callbacks=callbacks)


_RUL_SOURCE = ("https://github.com/austineaero/Remaining-Useful-Life-RUL-"
               "Estimation/issues/19")


def _rul_lstm():
    model = keras.Sequential([
        keras.Input(shape=(30, 10)),
        layers.LSTM(32, return_sequences=True),
        layers.Dropout(0.2),
        layers.LSTM(16),
        layers.Dropout(0.2),
        layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


@case("Sequential LSTM, regression", "unscaled_inputs", split="tune",
      also=("constant_predictions", "saturated_units", "vanishing",
            "loss_not_decreasing"),
      fixed_by="seq_rul_lstm_standardised_sensors", metric="mae",
      origin="real",
      source=_RUL_SOURCE + " - an LSTM estimating the remaining useful "
             "life of turbofan engines (C-MAPSS) from sensor windows did "
             "not train ('the loss goes to nan after the first epoch'); "
             "the maintainer: LSTMs hate unscaled data, normalise the "
             "sensors with StandardScaler or MinMaxScaler",
      note="synthetic C-MAPSS-like sensors (levels 47-9,050); the RUL "
           "target is divided by its cap of 125 in both programs; here the "
           "loss does not go nan, the gates saturate instead")
def seq_rul_lstm_raw_sensors(callbacks):
    """Raw sensor readings of 47 to 9,050 into the LSTMs: every gate
    saturates on the first step, the model gives the same RUL for every
    window (prediction spread 0) and mae stays at 0.31 (of the 125-cycle
    cap) after 10 epochs, against 0.08-0.09 with the sensors
    standardised."""
    x, rul = _engine_windows()
    model = _rul_lstm()
    return model.fit(x, rul / 125.0, epochs=10, batch_size=64,
                     validation_split=0.1, verbose=0, callbacks=callbacks)


@case("Sequential LSTM, regression", None, split="tune", metric="mae",
      origin="real",
      source=_RUL_SOURCE + " - fixed as the maintainer says: each sensor "
             "standardised (StandardScaler) before windowing into the "
             "LSTM")
def seq_rul_lstm_standardised_sensors(callbacks):
    """The RUL LSTM on sensors standardised to zero mean, unit variance."""
    x, rul = _engine_windows()
    x = (x - x.mean(axis=(0, 1))) / x.std(axis=(0, 1))
    model = _rul_lstm()
    return model.fit(x, rul / 125.0, epochs=10, batch_size=64,
                     validation_split=0.1, verbose=0, callbacks=callbacks)
