"""Winter held-out real Keras programs from posts and threads, with fixes.

Each faulty program here reproduces, in Keras 3 on the shipped data or on
seeded synthetic data shaped like the post's, a training program that
someone posted on Stack Overflow or in a keras-team/keras issue, together
with its fixed twin: the fix the thread gives, or the standard remedy for
the cause the post shows where our stored copy has no answer (`source`
says which). The faults: an autoencoder whose sigmoid output cannot reach
its targets of 1, 2 and 3, and rows in class order under
validation_split, so that the validation set holds one class the model
never trains on. A healthy program at the end trains well although its
author suspected a double softmax: the Keras MNIST CNN example, a softmax
output under categorical cross-entropy.

These programs are kept aside to measure the monitor (`split="holdout"`):
they were taken in the order the searches returned them (the "pages"
corpus for Stack Exchange posts and their mirrors, the "issues" corpus for
GitHub threads, and the buggy/correct pairs of the DeepLocalize benchmark,
Wardat-ISU/DeepLocalize, and the post list of Islam et al.'s ICSE 2020
repair study, lab-design/ICSE2020DNNBugRepair), and their `expected` kinds
were fixed from each program's own training (run without the monitor,
against its twin) and from the cause the post states, before any
diagnosis was run. The docstrings give what each bug costs, measured
against the twin with `keras.utils.set_random_seed(0)` on TensorFlow.
Every program is written anew (never copied from its source) and small
enough to run in seconds on a CPU. The searches returned few posts not
already in the catalogue, so this set is small.

Sources taken in that order but left out: pages that answer a question
title with a made-up program (taourl.com, theneuralbase.com,
alexacabs.in, pythonkb.com, codemia.io, errorhandle.ai, codegenes.net,
adeautomobile.co.uk: no program that someone ran); already in the
catalogue or among its left-out sources (chenzhang.org,
discuss.codingblocks.com 96745, geeksmental.com 'why does accuracy
remain the same', datascience.stackexchange.com 25704 and 53891,
openillumi.com's price under binary cross-entropy, Stack Overflow
52800582 and 48951109 with their mirrors, example-a.com 53913641,
techfeed.net 485530 and 470072, stackguides.com 46620813 and 46224598,
datascience.stackexchange.com 67599, pullrequest.ru 10248037 and
14126136, datascience.stackexchange.com 108151, stats.stackexchange.com
329114, intellipaat.com 11257, newbe.dev's and geek-tips.imtqy.com's
'ResNet: 100% accuracy during training, but 33% prediction accuracy'
(BatchNormalization after five updates), keras-team/keras 13891, 6447,
2051, 2139, 2975, 14141, 6914, 2134, 510, 8346, 7759, 3687, 7057, 2576,
108, danielegrattarola/keras-gat 14, eternagame/EternaBrain 21,
alexTsaptsinos/lyricsHAN 3, fionn-mac/Manhattan-LSTM 4 and
DrexelChatbotGroup/DrexelChatbot 15); the rows of the DeepLocalize
benchmark (Stack Overflow posts and GitHub projects already used as
DeepFD rows), except hotdog-sandwich, whose correct model rewrites the
whole network at once (several fixes, no single cause); Islam et al.'s
post list (post numbers and fix-pattern labels only, without the posts'
text or patches, so no cause could be read for a post not already in the
catalogue); blog.emmanuelcaradec.com's Dense autoencoder through a
softmax output (the form of more_autoencoder_raw_pixels_softmax);
pullrequest.ru 13233417 (an LSTM on ten one-hot pulses: the answer only
trains for 10,000 epochs, no fault named); stackguides.com 51432661 (an
LSTM that echoes its last input: no cause in the stored copy);
stats.stackexchange.com 432523 (a two-bit autoencoder: no answer in the
stored copy) and 269718 (deeplearning4j, not Keras); qa.1r1g.com
3855093651 (ImageDataGenerator with featurewise_center: the answer is
not in the stored copy); py4u.org 73708667 and mejorcodigo.com 89444
(evaluation or recall questions, no cause given); pullrequest.ru 9781727
(ten image classes under sigmoid and binary cross-entropy with SGD and
an 8-million-weight layer: several fixes at once);
forums.fast.ai 3094 (Keras 1 VGG weights not shipped, no fault found);
tensorflow/tensorflow 62804, DeepRank/deeprank 16 (PyTorch),
BNN-UPC/GNNetworkingChallenge 5, keras-team/keras 10292, 2746 and 4298
(no cause in the stored copy); hellochick/ICNet-tensorflow 65 (plain
TensorFlow, not Keras); pandeydivesh15/NER-using-Deep-Learning 1 (a tagger
that predicts only 'O': the sample weights the author tried 'did not fix
the problem fully', so no fix to run against); keras-team/keras 4246 and
2005 (questions on imbalance, no program); keras-team/autokeras 571 (a
rate of 0.025 lowered to 0.001 in AutoKeras 0.x, which trained PyTorch
models: not Keras); keras-team/keras 6983, 6143 and 7558 (cross-entropy
numerics of Keras 2 on TensorFlow 1: framework behaviour); keras-team/keras
597, 6422, 4692, 2128, 10571, 20946 and PR 12160 (questions on how
validation_split picks its rows, no failing program); keras-team/keras
5127 and 3414 (questions on gradient clipping, no program); keras-team/keras
2207 (a question on text regression, no failing program);
dangitstam/topic-rnn 9 (a PyTorch model); keras-team/keras 1244 (NaN on
GPU under Theano: framework behaviour); and divamgupta/image-segmentation
-keras 275 (a softmax under categorical cross-entropy suspected of being
applied twice: the form of keras-team/keras 6636 below). All names start
with `wn_`.
"""

import keras
import numpy as np
from keras import layers

from diagnosis_cases import PENGUIN_COLUMNS
from diagnosis_cases import case
from diagnosis_cases import mnist
from diagnosis_cases import penguins
from diagnosis_cases import standardise

# ---------------------------------------------------------------------------
# Sources.

_AUTOENCODER_SIGMOID = (
    "https://stackoverflow.com/questions/44601367 ('Keras autoencoder "
    "simple example has a strange output') - nine identical rows [1, 2, 3] "
    "fed to a 3-3-3 autoencoder, Dense(3, relu) then Dense(3, sigmoid), "
    "under mse and 'adadelta' for 100 epochs of batch 4: every prediction "
    "is [0.80, 0.89, 0.91] instead of [1, 2, 3]. The answer is not in our "
    "stored copy; the twin applies the standard remedy for the cause the "
    "post shows (a sigmoid cannot pass 1): a linear output")
_VALIDATION_ONE_CLASS = (
    "https://github.com/keras-team/keras/issues/796 ('Stratified validation "
    "set') - 'my validation set is getting all labels of one class, so the "
    "validation accuracy is either 0 or 1': validation_split takes the "
    "last rows of data stored class by class; the answer: make a "
    "stratified split (scikit-learn's StratifiedShuffleSplit) and pass it "
    "through validation_data instead of validation_split")
_DOUBLE_SOFTMAX = (
    "https://github.com/keras-team/keras/issues/6636 ('MNIST_CNN example "
    "uses double softmax?') - the Keras MNIST CNN example ends in "
    "Dense(10, activation='softmax') under categorical_crossentropy, and "
    "its author read TensorFlow's warning that "
    "softmax_cross_entropy_with_logits must not get softmax outputs; the "
    "answer: keras.losses.categorical_crossentropy takes probabilities "
    "(from_logits=False), so nothing is applied twice; no bug")


# ---------------------------------------------------------------------------
# An autoencoder whose sigmoid output cannot reach targets of 1, 2 and 3.


def _constant_rows():
    """Nine identical rows [1, 2, 3], as in the post."""
    return np.tile(np.array([[1.0, 2.0, 3.0]], dtype="float32"), (9, 1))


def _tiny_autoencoder(output):
    """3-3-3: a ReLU code of three units and a decoder of three units,
    under mse and Adadelta at 1.0 (Keras 2's default rate for
    'adadelta'; Keras 3's default, 0.001, would stall both programs)."""
    model = keras.Sequential([
        keras.Input(shape=(3,)),
        layers.Dense(3, activation="relu"),
        layers.Dense(3, activation=output),
    ])
    model.compile(optimizer=keras.optimizers.Adadelta(learning_rate=1.0),
                  loss="mse")
    return model


@case("Sequential MLP", "label_mismatch", split="holdout",
      also=("saturated_units", "constant_predictions",
            "loss_not_decreasing", "vanishing"),
      fixed_by="wn_post_autoencoder_linear_output", metric="loss",
      origin="real", source=_AUTOENCODER_SIGMOID,
      note="the post's own nine rows in batches of 4; Adadelta at 1.0 "
           "stands in for Keras 2's 'adadelta'. 400 epochs instead of the "
           "post's 100, which the author says they varied: after 100 the "
           "linear twin has not converged either (loss 1.72 against 1.84)")
def wn_post_autoencoder_sigmoid_output(callbacks):
    """A sigmoid output for targets of 1, 2 and 3: it can only approach 1,
    so the loss stops at the 1.67 that predicting 1 everywhere costs
    (loss 1.667 after 400 epochs, 0.0008 fixed)."""
    x = _constant_rows()
    return _tiny_autoencoder("sigmoid").fit(
        x, x, epochs=400, batch_size=4, verbose=0, callbacks=callbacks)


@case("Sequential MLP", None, split="holdout", metric="loss",
      origin="real", source=_AUTOENCODER_SIGMOID)
def wn_post_autoencoder_linear_output(callbacks):
    """The fix: a linear output, whose range holds the targets."""
    x = _constant_rows()
    return _tiny_autoencoder(None).fit(
        x, x, epochs=400, batch_size=4, verbose=0, callbacks=callbacks)


# ---------------------------------------------------------------------------
# Rows stored class by class under validation_split.


def _species_in_order():
    """320 penguins as read from files kept one species after another
    (142 Adelie, 114 Gentoo, then the 64 Chinstrap): standardised
    measurements, species ids 0, 1, 2."""
    df = penguins()
    order = df["species"].map({"Adelie": 0, "Gentoo": 1, "Chinstrap": 2})
    df = df.iloc[np.argsort(order.to_numpy(), kind="stable")]
    df = df.reset_index(drop=True)
    x = standardise(df[PENGUIN_COLUMNS].to_numpy())
    y = df["species"].map({"Adelie": 0, "Chinstrap": 1, "Gentoo": 2})
    return x, y.to_numpy("int64")


def _species_mlp():
    model = keras.Sequential([
        keras.Input(shape=(4,)),
        layers.Dense(16, activation="relu"),
        layers.Dense(16, activation="relu"),
        layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


@case("Sequential MLP", "sorted_validation_split", split="holdout",
      also=("class_imbalance", "label_mismatch"),
      fixed_by="wn_thread_validation_stratified", metric="val_accuracy",
      origin="real", source=_VALIDATION_ONE_CLASS,
      note="320 penguins sorted by species stand in for the thread's "
           "data (its model and data are not given); 30 epochs")
def wn_thread_validation_one_class(callbacks):
    """validation_split=0.2 takes the last 64 rows, all Chinstrap, before
    any shuffling: the model trains on Adelie and Gentoo only and never
    calls a penguin Chinstrap (val_accuracy 0.00 after 30 epochs,
    1.00 fixed; training accuracy 1.00)."""
    x, y = _species_in_order()
    return _species_mlp().fit(x, y, epochs=30, batch_size=16,
                              validation_split=0.2, verbose=0,
                              callbacks=callbacks)


@case("Sequential MLP", None, split="holdout", metric="val_accuracy",
      origin="real", source=_VALIDATION_ONE_CLASS)
def wn_thread_validation_stratified(callbacks):
    """The fix: a stratified split (a fifth of each species, drawn at
    random) passed through validation_data."""
    x, y = _species_in_order()
    rng = np.random.default_rng(0)
    held = np.zeros(len(y), dtype=bool)
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        held[rng.choice(rows, len(rows) // 5, replace=False)] = True
    return _species_mlp().fit(x[~held], y[~held], epochs=30, batch_size=16,
                              validation_data=(x[held], y[held]),
                              verbose=0, callbacks=callbacks)


# ---------------------------------------------------------------------------
# Healthy: a softmax under categorical cross-entropy, suspected twice.


@case("Sequential CNN", None, split="holdout", metric="val_accuracy",
      origin="real", source=_DOUBLE_SOFTMAX,
      note="2,048 MNIST digits instead of 60,000, fewer filters and 5 "
           "epochs to stay small on a CPU; Adadelta at 1.0 as in the "
           "example of the time")
def wn_thread_mnist_cnn_softmax_crossentropy(callbacks):
    """The Keras MNIST CNN example: a softmax output under categorical
    cross-entropy on one-hot labels. Nothing is applied twice and it
    learns the digits (accuracy 0.84, val_accuracy 0.88 after 5
    epochs)."""
    x, y = mnist(2048)
    x = x[..., None].astype("float32") / 255.0
    y = keras.utils.to_categorical(y, 10)
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(16, 3, activation="relu"),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(loss=keras.losses.categorical_crossentropy,
                  optimizer=keras.optimizers.Adadelta(learning_rate=1.0),
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=5, batch_size=128, validation_split=0.2,
                     verbose=0, callbacks=callbacks)
