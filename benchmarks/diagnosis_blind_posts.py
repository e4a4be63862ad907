"""Blind held-out real Keras programs from Stack Exchange posts.

Each faulty program below reproduces, in Keras 3 on the shipped data (or
seeded synthetic data where the post's data are not shipped), a training
failure that someone posted on a Stack Exchange site or a Q&A mirror: a
ReLU unit that starts dead on inputs that are all positive, tweets read
positives first under validation_split, and the Keras MNIST CNN example
written with Keras 1 convolution arguments under Adadelta's default
rate. Its fixed twin applies the fix that an answerer published (where
the answer is cut from our stored copy, `source` says so and the twin
applies the standard remedy). Two healthy programs follow posts whose
training works but could look suspicious: an autoencoder whose binary
cross-entropy stops far above zero on continuous inputs, and a
recommender whose validation loss is below its training loss from the
first epoch.

These programs are kept aside to measure the monitor (`split="holdout"`):
they were taken in the order the searches returned them, and their
`expected` kinds were fixed from each program's own training (run without
the monitor, against its twin) and from the cause the post states, before
any diagnosis was run. The docstrings give what each bug costs, measured
against the twin with `keras.utils.set_random_seed(0)` on TensorFlow.
Every program is written anew (never copied from its source).

Posts taken in that order but left out: pages that answer a question
title with a made-up program (taourl.com, codemia.io, errorhandle.ai,
alexacabs.in, theneuralbase.com, pythonkb.com, codegenes.net,
onlinecast.org.uk: no program that someone ran); already in the catalogue
(geeksmental.com 'why does accuracy remain the same', stackguides.com
46620813, Stack Overflow 52800582, openillumi.com's price under binary
cross-entropy, community.deeplearning.ai 324182, chenzhang.org,
datascience.stackexchange.com 38604, 53891, 19283 and 18667,
ai.stackexchange.com 16557, pullrequest.ru 10248037, geek-tips.imtqy.com's
BatchNormalization after five updates); no cause or fix in the stored
copy (techfeed.net 485530, a stacked ReLU LSTM whose predictions converge
to a constant; techfeed.net 470072, an LSTM on hourly percent changes;
datascience.stackexchange.com 25704, a multi-digit CNN at a loss of 125;
pullrequest.ru 9188682, a convolutional autoencoder that outputs white;
discuss.codingblocks.com 96745; tutorialguruji.com's movie ratings capped
at 0.6); the regression half of the program cut from the stored copy
(example-a.com 53913641); no fault to reproduce (example-a.com 62886297:
a linear head gives small negative values on [0, 1] targets, which the
answers call expected; stats.stackexchange.com 362588 and
datascience.stackexchange.com 18810: questions without a program);
the cause outside the Keras program (stats.stackexchange.com 245448: a
sigmoid autoencoder that learns under mse but not under cross-entropy in
hand-written TensorFlow); pretrained weights not shipped (wenjiangs.com
8285580, a VGG16 denoiser); R code (datascience.stackexchange.com
108151); too extreme a class_weight as the question, with no program
fault (Stack Overflow 51432992); raw 0-255 pixels into a ReLU MLP under
Adam (stats.stackexchange.com 367057 and its imathworks.com mirror: a
form already in the catalogue, and Adam learns the digits anyway);
stats.stackexchange.com 433365 (XOR through a ReLU output under mse and
SGD: with seed 0 the output unit stayed alive, loss 0.0014 and accuracy
1.0 after the post's 5 epochs; it dies with other seeds only);
stats.stackexchange.com 329114 (a PReLU MLP whose output has no sigmoid
under binary cross-entropy, full-batch Adam: on 2,000 seeded rows it
costs little, val_accuracy 0.950 against 0.963 with the sigmoid after
300 steps);
stats.stackexchange.com 261704 (a CNN regressing box positions predicts
the mean: the answer is not in the stored copy); datascience.stackexchange
.com 81564 (resolved by its author: no fault) and 15962 (a rate that
makes the loss explode, in raw TensorFlow: the form of several programs
already in the catalogue); newbe.dev's 'CNN with keras, accuracy not
improving' (three image classes into one sigmoid unit: the form of
out_digits_one_sigmoid_bce); python.19633.com's one-unit softmax under
sparse cross-entropy (already in the catalogue); Stack Overflow 67382294
(a shape error, not silent); imathworks.com's 'loss/accuracy fluctuate
(Keras, LSTM)' and 'training loss goes down and up again' (no program
in the first; a rate schedule in Keras 1 Adadelta in the second, not
reproducible without the data); geek-tips.imtqy.com 631334 and
ai.stackexchange.com 27010 (XOR with tanh units, and a hand-written
network: no Keras fault); Stack Overflow 56417418 (ten sigmoid
outputs under binary cross-entropy on images in an MLP: the form of
un_post_digits_sigmoid_binary_loss); Stack Overflow 52441877 (already in
the catalogue); example-a.com 59587385, developreference.com's
SimpleRNN question and a mirrored 'proper shape of LSTM dataset'
question (no fault of the kinds named). All names start with
`bl_post_`.
"""

import keras
import numpy as np
from keras import layers

from diagnosis_cases import case
from diagnosis_cases import mnist
from diagnosis_cases import penguins

# ---------------------------------------------------------------------------
# Sources.

_DEAD_RELU_POSITIVE = (
    "https://stats.stackexchange.com/questions/450100/understanding-relu-"
    "does-this-unlucky-intialized-network-assign-all-instances - two "
    "features that are positive for every row, one hidden ReLU unit and "
    "a sigmoid output, weights drawn from uniform(-0.05, 0.05): if both "
    "hidden weights start negative, is the unit dead forever? The "
    "answer: yes, it outputs 0 and gets no gradient for every row; "
    "standardise the data so that the features take both signs")
_RANDOM_AUTOENCODER = (
    "https://stats.stackexchange.com/questions/441750/why-cant-this-"
    "autoencoder-reach-zero-loss - an autoencoder of ReLU layers and a "
    "sigmoid output reconstructs uniform random inputs in [0, 1] under "
    "binary_crossentropy and stops far above zero; the answer: cross-"
    "entropy against targets strictly between 0 and 1 has a minimum above "
    "zero (their entropy), the model does reconstruct its inputs; no bug")
_RECOMMENDER_VALIDATION = (
    "https://stats.stackexchange.com/questions/616103/is-it-ok-to-have-"
    "low-validation-loss-from-the-first-epoch (a stored mirror at "
    "web-offline.shuffle-on.com) - a neural collaborative filter on "
    "MovieLens ratings scaled to [0, 1] under mean absolute error, with "
    "dropout: the validation loss is below the training loss from the "
    "first epoch and then barely moves; the same holds for the keras.io "
    "example; no bug")

_TWEETS_SORTED = (
    "https://datascience.stackexchange.com/questions/29893/high-model-"
    "accuracy-vs-very-low-validation-accuarcy - a tweet sentiment model "
    "(Embedding(vocab, 100), Conv1D(32, 3), Dense(250), a sigmoid unit, "
    "adam) fitted with validation_split=0.30 on the positive tweets "
    "followed by the negative ones: accuracy 0.90 but val_acc 0.03. The "
    "answers: the split takes the last 30% before any shuffling, all of "
    "them negatives, while the training part is nearly all positives; "
    "shuffle the rows before fitting")

_CONV_ARGS_ADADELTA = (
    "https://www.52zhanxing.com/ask/7399595.html ('reasons for a very low "
    "accuracy in deep learning', a Chinese Q&A post) - the Keras MNIST "
    "CNN example written with the Keras 1 call "
    "Convolution2D(32, kernel_size[0], kernel_size[1]), which Keras 2 "
    "reads as kernel 3 and strides 3, under optimizer='adadelta' (whose "
    "default rate is 0.001 since Keras 2.3, where the example assumed "
    "1.0), 12 epochs of batch 128: a very low accuracy. The answer: two "
    "changes, first pass kernel_size as a tuple; the second is cut from "
    "the stored copy, so the twin also applies the standard remedy for "
    "the rate, Adadelta(learning_rate=1.0) as in the original example")


# ---------------------------------------------------------------------------
# A ReLU unit that starts dead on positive inputs.


def _bill_rows(standardised):
    """Bill length and depth (mm, positive) of 320 penguins, label 1 for
    Gentoo; standardised when `standardised`."""
    df = penguins()
    x = df[["bill_length_mm", "bill_depth_mm"]].to_numpy("float32")
    if standardised:
        x = (x - x.mean(axis=0)) / x.std(axis=0)
    y = (df["species"] == "Gentoo").to_numpy("float32")
    return x, y


def _one_relu_unit():
    """One hidden ReLU unit whose two weights start negative (the
    unlucky draw of the post, seeded), and a sigmoid output."""
    unlucky = keras.initializers.RandomUniform(-0.05, -0.01, seed=0)
    model = keras.Sequential([
        keras.Input(shape=(2,)),
        layers.Dense(1, activation="relu", kernel_initializer=unlucky),
        layers.Dense(1, activation="sigmoid",
                     kernel_initializer=keras.initializers.RandomUniform(
                         -0.05, 0.05, seed=1)),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


@case("Sequential MLP", "dead_units", split="holdout",
      also=("constant_predictions", "unchanged_weights", "no_signal",
            "loss_not_decreasing", "unscaled_inputs"),
      fixed_by="bl_post_relu_unit_standardised_inputs", metric="accuracy",
      origin="real", source=_DEAD_RELU_POSITIVE,
      note="320 penguins' bill length and depth stand in for the post's "
           "two positive features; 40 epochs")
def bl_post_relu_unit_positive_inputs(callbacks):
    """Both weights of the hidden ReLU start negative and every input is
    positive: the unit outputs 0 for every row and gets no gradient, so
    only the output bias learns, the majority class (accuracy 0.64
    after 40 epochs, 0.97 fixed)."""
    x, y = _bill_rows(standardised=False)
    model = _one_relu_unit()
    return model.fit(x, y, epochs=40, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", None, split="holdout", metric="accuracy",
      origin="real", source=_DEAD_RELU_POSITIVE)
def bl_post_relu_unit_standardised_inputs(callbacks):
    """The answer's fix: standardised features take both signs, so the
    same unlucky unit is active on part of the rows and learns."""
    x, y = _bill_rows(standardised=True)
    model = _one_relu_unit()
    return model.fit(x, y, epochs=40, batch_size=32, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# Positive tweets first, then negative ones, under validation_split.


def _tweets(shuffle, positives=1360, negatives=640, length=20):
    """Seeded tweets of 4-16 word ids (11-299) with two sentiment words
    (1-5 positive, 6-10 negative), padded with zeros: the positives
    first, then the negatives, as read from two files; shuffled when
    `shuffle`."""
    rng = np.random.default_rng(0)
    y = np.r_[np.ones(positives), np.zeros(negatives)].astype("float32")
    x = np.zeros((len(y), length), dtype="int32")
    for row, label in enumerate(y):
        words = rng.integers(11, 300, rng.integers(4, 17))
        at = rng.integers(0, len(words), 2)
        words[at] = rng.integers(1, 6, 2) if label else rng.integers(6, 11, 2)
        x[row, :len(words)] = words
    if shuffle:
        rows = rng.permutation(len(y))
        x, y = x[rows], y[rows]
    return x, y


def _tweet_cnn():
    """The post's Embedding, Conv1D and Dense layers (with a pooling
    layer, which Keras 3 needs to give one output per tweet)."""
    model = keras.Sequential([
        keras.Input(shape=(20,), dtype="int32"),
        layers.Embedding(300, 100),
        layers.Conv1D(32, 3, padding="same", activation="relu"),
        layers.GlobalMaxPooling1D(),
        layers.Dense(250, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


@case("Sequential CNN (text)", "sorted_validation_split", split="holdout",
      also=("class_imbalance", "constant_predictions"),
      fixed_by="bl_post_tweets_shuffled_first", metric="val_accuracy",
      origin="real", source=_TWEETS_SORTED,
      note="2,000 seeded tweets (1,360 positive, 640 negative, so that the "
           "training part is nearly all positive as in the post) stand in "
           "for 13,453; 5 epochs of batch 128 instead of 2 on the larger "
           "set")
def bl_post_tweets_positives_first(callbacks):
    """validation_split takes the last 30% before shuffling: 600
    negative tweets, while the 1,400 left to train on hold 40 negatives;
    the model calls nearly every tweet positive and the validation
    accuracy stays at 0 (val_accuracy 0.00 after 5 epochs, 1.00
    fixed)."""
    x, y = _tweets(shuffle=False)
    model = _tweet_cnn()
    return model.fit(x, y, epochs=5, batch_size=128, validation_split=0.3,
                     verbose=0, callbacks=callbacks)


@case("Sequential CNN (text)", None, split="holdout",
      metric="val_accuracy", origin="real", source=_TWEETS_SORTED)
def bl_post_tweets_shuffled_first(callbacks):
    """The answers' fix: shuffle the tweets, then split."""
    x, y = _tweets(shuffle=True)
    model = _tweet_cnn()
    return model.fit(x, y, epochs=5, batch_size=128, validation_split=0.3,
                     verbose=0, callbacks=callbacks)


# ---------------------------------------------------------------------------
# Keras 1 convolution arguments and Adadelta's default rate.


def _scaled_digit_images(n=768):
    """`n` MNIST digits as (28, 28, 1) floats in [0, 1], one-hot labels."""
    x, y = mnist(n)
    return (x[..., None].astype("float32") / 255.0,
            keras.utils.to_categorical(y, 10))


def _example_cnn(conv, optimizer):
    """The Keras MNIST CNN example, with the convolution `conv` builds."""
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        conv(), layers.Activation("relu"),
        conv(), layers.Activation("relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(128), layers.Activation("relu"),
        layers.Dropout(0.5),
        layers.Dense(10), layers.Activation("softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer=optimizer,
                  metrics=["accuracy"])
    return model


@case("Sequential CNN", "loss_not_decreasing", split="holdout",
      also=("no_signal", "constant_predictions"),
      fixed_by="bl_post_conv_kernel_tuple_adadelta_rate", metric="accuracy",
      origin="real", source=_CONV_ARGS_ADADELTA,
      note="768 MNIST digits instead of 60,000; the post's 12 epochs "
           "of batch 128")
def bl_post_conv_positional_strides_adadelta(callbacks):
    """Conv2D(32, 3, 3) means strides 3, and Adadelta at its default
    rate of 0.001 barely moves the weights: the loss stays near
    log(10) (accuracy 0.10 after 12 epochs, 0.93 with both fixes; in
    a trial on 2,048 digits: 0.10 as posted, 0.11 with the kernel fixed
    alone, 0.72 with the rate fixed alone, 0.97 with both)."""
    x, y = _scaled_digit_images()
    model = _example_cnn(lambda: layers.Conv2D(32, 3, 3), "adadelta")
    return model.fit(x, y, epochs=12, batch_size=128, verbose=0,
                     callbacks=callbacks)


@case("Sequential CNN", None, split="holdout", metric="accuracy",
      origin="real", source=_CONV_ARGS_ADADELTA)
def bl_post_conv_kernel_tuple_adadelta_rate(callbacks):
    """The answer's first fix, kernel_size=(3, 3), and Adadelta at 1.0."""
    x, y = _scaled_digit_images()
    model = _example_cnn(lambda: layers.Conv2D(32, (3, 3)),
                         keras.optimizers.Adadelta(learning_rate=1.0))
    return model.fit(x, y, epochs=12, batch_size=128, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# Healthy programs that could look suspicious.


@case("functional autoencoder", None, split="holdout", origin="real",
      source=_RANDOM_AUTOENCODER,
      note="3,000 seeded rows instead of 30,000; 10 epochs of batch 128")
def bl_post_random_autoencoder_entropy_floor(callbacks):
    """Uniform random inputs reconstructed under binary cross-entropy:
    the loss falls from 0.69 to 0.64 in 10 epochs towards the mean
    entropy of the targets (0.5), never towards zero, while the
    reconstruction error falls (mae 0.249 to 0.197)."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (3000, 100)).astype("float32")
    inputs = keras.Input(shape=(100,))
    h = inputs
    for _ in range(5):
        h = layers.Dense(100, activation="relu")(h)
    outputs = layers.Dense(100, activation="sigmoid")(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["mae"])
    return model.fit(x, x, epochs=10, batch_size=128, verbose=0,
                     callbacks=callbacks)


def _ratings(n=6000, users=300, movies=500, factors=4):
    """Seeded user-movie ratings from latent factors and biases, on the
    0.5-5 star scale, min-max scaled to [0, 1]."""
    rng = np.random.default_rng(0)
    u = rng.integers(0, users, n)
    m = rng.integers(0, movies, n)
    pu = rng.normal(0, 0.6, (users, factors))
    qm = rng.normal(0, 0.6, (movies, factors))
    raw = (3.5 + rng.normal(0, 0.4, users)[u] + rng.normal(0, 0.5, movies)[m]
           + np.sum(pu[u] * qm[m], axis=1) + rng.normal(0, 0.5, n))
    stars = np.clip(np.round(raw * 2) / 2, 0.5, 5.0)
    return u, m, ((stars - 0.5) / 4.5).astype("float32")


@case("functional embeddings", None, split="holdout", metric="val_loss",
      origin="real", source=_RECOMMENDER_VALIDATION,
      note="6,000 seeded ratings of 300 users and 500 movies stand in for "
           "MovieLens-small; 10 epochs")
def bl_post_recommender_validation_below_training(callbacks):
    """User and movie embeddings, concatenated, through Dense layers with
    dropout under mae: the validation loss is below the training loss
    after the first epoch (0.182 against 0.196), since dropout acts in
    training only, then barely moves (0.165 after 10 epochs) while the
    training loss falls to 0.145."""
    u, m, y = _ratings()
    user = keras.Input(shape=(1,), dtype="int32")
    movie = keras.Input(shape=(1,), dtype="int32")
    eu = layers.Flatten()(layers.Embedding(300, 16)(user))
    em = layers.Flatten()(layers.Embedding(500, 16)(movie))
    h = layers.Concatenate()([eu, em])
    h = layers.Dropout(0.5)(h)
    h = layers.Dense(64, activation="relu")(h)
    h = layers.Dropout(0.5)(h)
    h = layers.Dense(32, activation="relu")(h)
    outputs = layers.Dense(1, activation="sigmoid")(h)
    model = keras.Model([user, movie], outputs)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mae")
    return model.fit([u, m], y, epochs=10, batch_size=64,
                     validation_split=0.2, verbose=0, callbacks=callbacks)
