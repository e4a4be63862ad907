"""Real optimisation and training-dynamics faults, rewritten for Keras 3.

Each faulty program here reproduces a training program that someone posted
publicly (a Stack Overflow / Stack Exchange question or a Keras GitHub
issue) whose network did not learn because of how it was trained: a
learning rate far too high or a loss too flat for the one it had, a loss
that takes log(0) or the square root of zero, every layer frozen before
compile, a layer without a gradient, a deep stack of sigmoids. Each comes
with its fixed twin (the fix that the author or an answerer published) and
cites its source. The docstrings give what the bug costs, measured against
the twin with `keras.utils.set_random_seed(0)` on TensorFlow unless said
otherwise. Three healthy programs at the end train well although a naive
monitor might flag them (a short run, a slow learner, narrow ReLU layers).

Every program is written anew (never copied from its source) and small
enough to run in seconds on a CPU: slices of the shipped data or seeded
synthetic data.
"""

from diagnosis_cases import (PENGUIN_COLUMNS, case, mnist, moons, penguins,
                             standardise)

import keras
import numpy as np
from keras import layers
from keras import ops


# ---------------------------------------------------------------------------
# Data helpers shared by several programs.


def _binary_vectors(n=2048, bits=32):
    """Binary input vectors mapped to a real-valued output with some
    interactions between bits (a lookup-table style regression)."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, size=(n, bits)).astype("float32")
    weights = rng.normal(0.0, 1.0, bits)
    y = x @ weights / 2.0 + 2.0 * (x[:, 0] * x[:, 1]) - 1.5 * (
        x[:, 2] != x[:, 3])
    y = (y - y.mean()) / y.std()
    return x, y.astype("float32")


def _counts(n=2048):
    """Eight standardised features and three integer counts to predict."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 8)).astype("float32")
    weights = rng.normal(0.0, 0.4, size=(8, 3))
    y = rng.poisson(np.exp(1.0 + x @ weights)).astype("float32")
    return x, y


# ---------------------------------------------------------------------------
# Faulty: a hand-written cross-entropy that takes log(0).


def raw_log_binary_crossentropy(y_true, y_pred):
    """Binary cross-entropy written straight from its formula."""
    y_true = ops.cast(y_true, y_pred.dtype)
    loss = -(y_true * ops.log(y_pred)
             + (1.0 - y_true) * ops.log(1.0 - y_pred))
    return ops.mean(loss)


def stable_logit_binary_crossentropy(y_true, logits):
    """The stable form on logits: max(x, 0) - x z + log(1 + exp(-|x|))."""
    y_true = ops.cast(y_true, logits.dtype)
    loss = (ops.maximum(logits, 0.0) - logits * y_true
            + ops.log(1.0 + ops.exp(-ops.abs(logits))))
    return ops.mean(loss)


@case("Sequential MLP, custom loss", "nan",
      also=("exploding", "saturated_units"), split="tune",
      fixed_by="train_custom_bce_on_logits", metric="loss", origin="real",
      source="https://stackoverflow.com/questions/48951109 - a hand-written "
             "binary cross-entropy y*log(p) + (1-y)*log(1-p) on a sigmoid "
             "output gives a NaN loss after some iterations; the answer "
             "rewrites it in the stable logit form "
             "max(x,0) - x*z + log(1+exp(-|x|)), which trains.",
      note="the author's data are not given; a separable penguin task "
           "makes the sigmoid saturate to exactly 1.0 in float32")
def train_custom_bce_raw_log(callbacks):
    """Gentoo vs other penguins, sigmoid output, cross-entropy written by
    hand with ops.log: once a Gentoo's output rounds to exactly 1.0,
    (1 - y) * log(1 - p) is 0 * -inf and the loss turns NaN for the rest
    of the run, where the twin's loss goes to 0."""
    df = penguins()
    x = standardise(df[PENGUIN_COLUMNS].to_numpy())
    y = (df["species"].to_numpy() == "Gentoo").astype("float32")
    model = keras.Sequential([
        keras.Input(shape=(4,)),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.05),
                  loss=raw_log_binary_crossentropy)
    return model.fit(x, y, epochs=40, batch_size=16, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP, custom loss", None, split="tune", metric="loss",
      origin="real",
      source="https://stackoverflow.com/questions/48951109 - fixed twin: "
             "the answer's numerically stable cross-entropy on logits.")
def train_custom_bce_on_logits(callbacks):
    """The same task with a linear output and the stable logit form of
    the cross-entropy that the answer gives."""
    df = penguins()
    x = standardise(df[PENGUIN_COLUMNS].to_numpy())
    y = (df["species"].to_numpy() == "Gentoo").astype("float32")
    model = keras.Sequential([
        keras.Input(shape=(4,)),
        layers.Dense(16, activation="relu"),
        layers.Dense(1),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.05),
                  loss=stable_logit_binary_crossentropy)
    return model.fit(x, y, epochs=40, batch_size=16, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# Faulty: the square root of a zero distance.


def _digit_pairs(n_pairs=1024):
    """Pairs of MNIST images for a siamese network, label 1 for the same
    digit; one same-digit pair in twenty repeats one image (a duplicate in
    the data, the case reported), so its distance is exactly zero."""
    x, y = mnist(2048)
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    rng = np.random.default_rng(0)
    left = rng.integers(0, len(x), n_pairs)
    same = rng.random(n_pairs) < 0.5
    right = np.empty(n_pairs, dtype="int64")
    for i, (row, match) in enumerate(zip(left, same)):
        pool = np.flatnonzero((y == y[row]) if match else (y != y[row]))
        right[i] = rng.choice(pool)
    duplicate = same & (rng.random(n_pairs) < 0.05)
    right[duplicate] = left[duplicate]
    return x[left], x[right], same.astype("float32")


def contrastive_loss(y_true, distance):
    """Hadsell et al.'s contrastive loss with margin 1."""
    y_true = ops.cast(y_true, distance.dtype)
    return ops.mean(y_true * ops.square(distance) + (1.0 - y_true)
                    * ops.square(ops.maximum(1.0 - distance, 0.0)))


def euclidean_distance(vectors):
    """The distance as first written: sqrt of the sum of squares."""
    a, b = vectors
    return ops.sqrt(ops.sum(ops.square(a - b), axis=1, keepdims=True))


def euclidean_distance_floored(vectors):
    """The fixed distance: the sum of squares floored at epsilon."""
    a, b = vectors
    squares = ops.sum(ops.square(a - b), axis=1, keepdims=True)
    return ops.sqrt(ops.maximum(squares, keras.config.epsilon()))


def _siamese(distance):
    base = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(32),
    ])
    left = keras.Input(shape=(784,))
    right = keras.Input(shape=(784,))
    outputs = layers.Lambda(distance)([base(left), base(right)])
    return keras.Model([left, right], outputs)


@case("functional siamese MLP, custom loss", "nan", split="tune",
      backends=("jax",), fixed_by="train_siamese_sqrt_floored",
      metric="loss", origin="real",
      source="https://github.com/keras-team/keras/issues/9097 - a siamese "
             "network whose euclidean distance is K.sqrt(K.sum(K.square(x - "
             "y))) gets a NaN loss when the two inputs of a pair are the "
             "same: the derivative of sqrt at 0 is infinite. Fix: floor the "
             "sum at epsilon under the sqrt (as the keras mnist_siamese "
             "example does since keras-team/keras#6223).",
      note="TensorFlow's sqrt gradient now returns 0 (not 0 * inf) at a zero "
           "input, so the bug no longer shows there; JAX keeps the NaN")
def train_siamese_sqrt_distance(callbacks):
    """Pairs of digits under the contrastive loss; 19 of the 1,024 pairs
    repeat one image: on JAX the loss is NaN from the first epoch (the
    twin ends at 0.17)."""
    left, right, same = _digit_pairs()
    model = _siamese(euclidean_distance)
    model.compile(optimizer=keras.optimizers.RMSprop(),
                  loss=contrastive_loss)
    return model.fit([left, right], same, epochs=3, batch_size=128,
                     verbose=0, callbacks=callbacks)


@case("functional siamese MLP, custom loss", None, split="tune",
      backends=("jax",), metric="loss", origin="real",
      source="https://github.com/keras-team/keras/issues/9097 - fixed twin: "
             "the sum of squares floored at epsilon under the sqrt.")
def train_siamese_sqrt_floored(callbacks):
    """The same siamese network with the floored distance."""
    left, right, same = _digit_pairs()
    model = _siamese(euclidean_distance_floored)
    model.compile(optimizer=keras.optimizers.RMSprop(),
                  loss=contrastive_loss)
    return model.fit([left, right], same, epochs=3, batch_size=128,
                     verbose=0, callbacks=callbacks)


# ---------------------------------------------------------------------------
# Faulty: a deep stack of sigmoids.


def _deep_mlp(activation):
    return keras.Sequential(
        [keras.Input(shape=(32,))]
        + [layers.Dense(500, activation=activation) for _ in range(4)]
        + [layers.Dense(1)])


@case("Sequential MLP, regression", "vanishing",
      also=("saturated_units", "loss_not_decreasing"), split="tune",
      fixed_by="train_deep_relu_regression", metric="loss", origin="real",
      source="https://ai.stackexchange.com/questions/16557 - four hidden "
             "layers of 500 sigmoid units mapping binary vectors to real "
             "values do not learn, high loss even on the training data; the "
             "answer: the sigmoid derivative (at most 0.25) shrinks the "
             "error signal layer by layer (vanishing gradient), use ReLU.",
      note="synthetic binary vectors; plain SGD at 0.01 (TensorFlow's "
           "GradientDescentOptimizer) as the optimizer is not given")
def train_deep_sigmoid_regression(callbacks):
    """Four sigmoid layers of 500 under plain SGD: the loss sticks at the
    variance of the (standardised) target, 1.005 after 10 epochs, where
    the ReLU twin reaches 0.12."""
    x, y = _binary_vectors()
    model = _deep_mlp("sigmoid")
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01),
                  loss="mse")
    return model.fit(x, y, epochs=10, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP, regression", None, split="tune", metric="loss",
      origin="real",
      source="https://ai.stackexchange.com/questions/16557 - fixed twin: "
             "ReLU hidden layers, as the answer advises.")
def train_deep_relu_regression(callbacks):
    """The same network with ReLU hidden layers."""
    x, y = _binary_vectors()
    model = _deep_mlp("relu")
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01),
                  loss="mse")
    return model.fit(x, y, epochs=10, batch_size=32, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# Faulty: a layer without a gradient.


class Round(layers.Layer):
    """Rounds its input to the nearest integer (no gradient)."""

    def call(self, inputs):
        return ops.round(inputs)


@case("Sequential MLP, custom layer", "unchanged_weights",
      also=("loss_not_decreasing", "constant_predictions"),
      backends=("jax",), split="tune",
      fixed_by="train_counts_round_at_predict", metric="loss", origin="real",
      source="https://github.com/keras-team/keras/issues/2221 - a custom "
             "Round layer on the output of a 20-20-3 ReLU MLP under MAE, to "
             "predict integer counts; the reply: the gradient of the loss "
             "with respect to every parameter is then zero. Fix: train "
             "without it and round the predictions.",
      note="on TensorFlow round has no gradient at all and fit raises 'No "
           "gradients provided for any variable', so the bug is not silent "
           "there; JAX differentiates round as zero, as Theano did")
def train_counts_round_output(callbacks):
    """A Round layer after the last Dense: every gradient is zero, no
    weight moves and the mean absolute error stays at 4.56 for 5 epochs
    (2.23 without the layer, on JAX)."""
    x, y = _counts()
    model = keras.Sequential([
        keras.Input(shape=(8,)),
        layers.Dense(20, activation="relu"),
        layers.Dense(20, activation="relu"),
        layers.Dense(3),
        Round(),
    ])
    model.compile(optimizer="adam", loss="mean_absolute_error")
    return model.fit(x, y, epochs=5, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP, custom layer", None, backends=("jax",), split="tune",
      metric="loss", origin="real",
      source="https://github.com/keras-team/keras/issues/2221 - fixed twin: "
             "no Round layer in training; round the predictions instead.")
def train_counts_round_at_predict(callbacks):
    """The same MLP trained without the Round layer."""
    x, y = _counts()
    model = keras.Sequential([
        keras.Input(shape=(8,)),
        layers.Dense(20, activation="relu"),
        layers.Dense(20, activation="relu"),
        layers.Dense(3),
    ])
    model.compile(optimizer="adam", loss="mean_absolute_error")
    return model.fit(x, y, epochs=5, batch_size=32, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# Faulty: every layer frozen before compile.


def _mnist_cnn_example():
    """The shape of the old keras mnist_cnn.py example."""
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Rescaling(1.0 / 255),
        layers.Conv2D(32, 3, activation="relu"),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])


@case("Sequential CNN", "nothing_to_train",
      also=("unchanged_weights", "loss_not_decreasing"), split="tune",
      fixed_by="train_mnist_cnn_trainable", metric="accuracy",
      origin="real",
      source="https://github.com/keras-team/keras/issues/2506 - the mnist_cnn "
             "example with trainable=False set on every layer before "
             "compile stays at about 0.10 accuracy: nothing trains; with "
             "the layers trainable the example learns.",
      note="1,024 images and 2 epochs instead of 60,000 and 12")
def train_mnist_cnn_all_frozen(callbacks):
    """Every layer of the mnist_cnn example frozen before compile: Keras
    only warns that there is nothing to train; accuracy 0.12 after 2
    epochs against 0.57 with the layers trainable."""
    x, y = mnist(1024)
    x = x[..., None]
    model = _mnist_cnn_example()
    for layer in model.layers:
        layer.trainable = False
    model.compile(optimizer=keras.optimizers.Adadelta(learning_rate=1.0),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=2, batch_size=128, verbose=0,
                     callbacks=callbacks)


@case("Sequential CNN", None, split="tune", metric="accuracy",
      origin="real",
      source="https://github.com/keras-team/keras/issues/2506 - fixed twin: "
             "the mnist_cnn example with its layers trainable.")
def train_mnist_cnn_trainable(callbacks):
    """The mnist_cnn example as shipped (Adadelta at 1.0)."""
    x, y = mnist(1024)
    x = x[..., None]
    model = _mnist_cnn_example()
    model.compile(optimizer=keras.optimizers.Adadelta(learning_rate=1.0),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=2, batch_size=128, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# Faulty: the learning rate.


def _sigmoid_mlp():
    return keras.Sequential([
        keras.Input(shape=(28, 28)),
        layers.Flatten(),
        layers.Dense(128, activation="sigmoid"),
        layers.Dense(10, activation="softmax"),
    ])


@case("Sequential MLP", "loss_not_decreasing",
      also=("unchanged_weights", "vanishing", "constant_predictions"),
      split="tune", fixed_by="train_mnist_1000_crossentropy",
      metric="categorical_accuracy", origin="real",
      source="https://stackoverflow.com/questions/73462535 - an MLP "
             "(Dense 128 sigmoid, softmax) on the first 1000 MNIST images "
             "under mean squared error, SGD, batch_size=1000: at learning "
             "rate 0.001 'the loss changes incredibly slowly' (it needed "
             "a rate above 1); the answer points at the MSE on a softmax "
             "and advises categorical cross-entropy.",
      note="50 epochs (50 updates) instead of the author's 10,000")
def train_mnist_1000_mse_sgd(callbacks):
    """MSE on a softmax with one SGD step of 0.001 per epoch: the loss
    stays at 0.094 and the accuracy at 0.09 for 50 epochs, where the
    cross-entropy twin reaches 0.87 in 10."""
    x, y = mnist(1000)
    x = x.astype("float32") / 255.0
    y = keras.utils.to_categorical(y, 10)
    model = _sigmoid_mlp()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.001),
                  loss="mean_squared_error",
                  metrics=["categorical_accuracy"])
    return model.fit(x, y, epochs=50, batch_size=1000, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", None, split="tune", metric="categorical_accuracy",
      origin="real",
      source="https://stackoverflow.com/questions/73462535 - fixed twin: "
             "categorical cross-entropy as the answer advises, with "
             "mini-batches of 32 and SGD at 0.1 (at 0.001 cross-entropy "
             "is still slow: accuracy 0.16 after 10 epochs).")
def train_mnist_1000_crossentropy(callbacks):
    """The same MLP under categorical cross-entropy in batches of 32."""
    x, y = mnist(1000)
    x = x.astype("float32") / 255.0
    y = keras.utils.to_categorical(y, 10)
    model = _sigmoid_mlp()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
                  loss="categorical_crossentropy",
                  metrics=["categorical_accuracy"])
    return model.fit(x, y, epochs=10, batch_size=32, verbose=0,
                     callbacks=callbacks)


def _relu_mlp():
    return keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(128, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])


@case("Sequential MLP", "dead_units",
      also=("oscillating_loss", "constant_predictions",
            "loss_not_decreasing", "exploding"),
      split="tune", fixed_by="train_relu_mlp_adam_default",
      metric="accuracy", origin="real",
      source="https://datascience.stackexchange.com/questions/5706 - 'What is "
             "the dying ReLU problem': with a learning rate set too high, "
             "as much as 40% of a ReLU network can die (never activate on "
             "any input); with a proper learning rate it is less frequent.")
def train_relu_mlp_adam_lr_01(callbacks):
    """A 128-64-32 ReLU MLP with Adam at 0.1: after the first epoch 99%
    of the first layer's units (and 83-91% of the others) never activate
    on the training images; accuracy 0.19 against 0.90 at Adam's default
    rate."""
    x, y = mnist(2048)
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    model = _relu_mlp()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.1),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=5, batch_size=128, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", None, split="tune", metric="accuracy",
      origin="real",
      source="https://datascience.stackexchange.com/questions/5706 - fixed "
             "twin: the same MLP at Adam's default learning rate.")
def train_relu_mlp_adam_default(callbacks):
    """The same MLP with Adam at 0.001."""
    x, y = mnist(2048)
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    model = _relu_mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=5, batch_size=128, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# Faulty: rounding inside the network.


def _clip_round(x):
    """Clips the hidden features to [0, 1] and rounds them to 0 or 1."""
    return ops.round(ops.clip(x, 0.0, 1.0))


@case("Sequential MLP, Lambda layer", "unchanged_weights",
      also=("loss_not_decreasing", "dead_units"), split="tune",
      fixed_by="train_mnist_mlp_without_rounding", metric="accuracy",
      origin="real",
      source="https://github.com/keras-team/keras/issues/5107 - the output "
             "of an intermediate layer clipped and rounded with "
             "Lambda(lambda x: K.round(K.clip(x, ...))); the reply: "
             "rounding is a step function, gradients do not propagate "
             "through it, so training does nothing below that layer. Fix: "
             "leave the rounding out of the trained path.")
def train_mnist_mlp_clip_round(callbacks):
    """Hidden ReLU features clipped to [0, 1] and rounded before the
    softmax layer: the first Dense layer never moves and only the softmax
    layer learns on 64 frozen random binary features (accuracy 0.26
    after 3 epochs against 0.90 without the rounding; TensorFlow only
    warns that the first layer's gradients do not exist)."""
    x, y = mnist(2048)
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(64, activation="relu"),
        layers.Lambda(_clip_round),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP, Lambda layer", None, split="tune",
      metric="accuracy", origin="real",
      source="https://github.com/keras-team/keras/issues/5107 - fixed twin: "
             "the same MLP without the clip-and-round Lambda.")
def train_mnist_mlp_without_rounding(callbacks):
    """The same MLP without the rounding layer."""
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

# ---------------------------------------------------------------------------
# Healthy programs that a naive monitor might flag.


@case("Sequential CNN", None, split="tune", metric="accuracy", origin="real",
      source="https://keras.io/examples/vision/mnist_convnet/ - the keras.io "
             "'Simple MNIST convnet' (two conv blocks, dropout 0.5, Adam), "
             "run briefly: one epoch on 2,048 images, so the loss is still "
             "falling fast when training stops.",
      note="1 epoch on 2,048 images in batches of 32 instead of 15 epochs "
           "on 54,000 in batches of 128")
def train_extra_mnist_convnet_short(callbacks):
    """A short but healthy run: accuracy about 0.5 after its single epoch
    and rising."""
    x, y = mnist(2048)
    x = x[..., None].astype("float32") / 255.0
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=1, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", None, split="tune", metric="accuracy",
      origin="real",
      source="https://keras.io/api/optimizers/sgd/ - plain SGD at its "
             "default learning rate 0.01 on an MNIST MLP: slow but steady, "
             "the loss falls every epoch without stalling.")
def train_extra_slow_sgd_mlp(callbacks):
    """Plain SGD at 0.01: a slow but steady learner (loss falls each
    epoch)."""
    x, y = mnist(2048)
    x = x.reshape(len(x), -1).astype("float32") / 255.0
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=5, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", None, split="tune", metric="accuracy", origin="real",
      source="https://machinelearningmastery.com/how-to-fix-vanishing-"
             "gradients-using-the-rectified-linear-activation-function/ - "
             "the tutorial's fixed deep MLP: five hidden layers of only five "
             "ReLU units with He initialisation, which learns although "
             "some of its narrow ReLU units are dead.",
      note="two moons instead of two circles, Adam and 20 epochs instead "
           "of SGD with momentum for 500 epochs (run time)")
def train_extra_narrow_deep_relu(callbacks):
    """Five hidden layers of five ReLU units (he_uniform) on two moons:
    trains well although a few narrow units are dead."""
    x, y = moons()
    model = keras.Sequential(
        [keras.Input(shape=(2,))]
        + [layers.Dense(5, activation="relu", kernel_initializer="he_uniform")
           for _ in range(5)]
        + [layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=20, batch_size=32, verbose=0,
                     callbacks=callbacks)
