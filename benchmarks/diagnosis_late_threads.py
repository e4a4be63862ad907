"""Late held-out real faulty Keras programs from GitHub threads, with fixes.

Each faulty program here reproduces, in Keras 3 on the shipped data or on
seeded synthetic data shaped like the thread's, a training program that
someone reported in a GitHub issue or pull request
(ProteomicsML/ProteomicsML, cjiang2/VDCNN) whose network did not learn,
together with its fixed twin: the fix the thread gives. The faults: a
ReLU on the final layer of a recurrent regressor, which dies and
predicts 0 for every input, and an exponential rate decay counted every
few batches instead of over the run, so that the rate is gone after the
first epoch. A healthy program at the end trains well although its loss
is negative (hundredblocks/semantic-search).

These programs are kept aside to measure the monitor (`split="holdout"`):
they were taken in the order the searches returned them, and their
`expected` kinds were fixed from each program's own training (run without
the monitor, against its twin) and from the cause the thread states,
before any diagnosis was run. The docstrings give what each bug costs,
measured against the twin with `keras.utils.set_random_seed(0)` on
TensorFlow. Every program is written anew (never copied from its source)
and small enough to run in seconds on a CPU.

Threads taken in that order but left out: keras-team/keras 2711, 1478,
12707, 3747, 13006, 13891, 6447, 10260, 2139, 2051, 5992 and 2975
(already in the catalogue or among its left-out threads); 255 (already
in the catalogue); tensorflow/tensorflow 47586, 37537 and 60555,
fizyr/keras-retinanet 1014, chasingbob/squeezenet-keras 3,
keras-team/keras 11791, 13908, 3255, 15727, 8750, 1727, 9338, 8562 and
18247 (no cause found in the stored copy); tensorflow/tensorflow 48308
(the loss stuck after the first epoch, 'the scheduler, I misused it',
without the schedule: the same fault as VDCNN 4 below, which shows it);
SciSharp/TensorFlow.NET 639 and 990, intel/analytics-zoo 1087 and
intel/BigDL 1327 (faults of other frameworks); tensorflow/tensorflow
45582 (a false alarm: the checker read non-trainable weights);
tensorflow/tensorflow 52175 (zero gradients in a hand-written softmax
regression, no cause given); keras-team/keras 16539 (weights set by
hand, already left out); shidi1985/L2RPN 6 (no program); keras-team/keras
20496 (a custom loss in Keras 3 whose loss stays flat: unresolved, no
fault in the program shown), tensorflow/tensorflow 33988, 34866, 32127,
39093, 33771 and 33418 (framework behaviour or custom training loops),
tensorflow/tensorflow 50711 and keras-team/keras 5229, 14076 and 11802
(questions about custom losses, no failing program); keras-team/keras
9414 (a cross-entropy with its arguments swapped: the form of
ho_thread_policy_loss_arguments_swapped); keras-team/keras 2395, 2212,
4910, 4674, 4471, 10222, 14325 and tensorflow/tensorflow 30919
(freezing in Keras 1 and 2 or with TF1 optimizers); keras-team/keras
4784 (an output that was not a sigmoid under binary cross-entropy; the
stored copy does not say which activation it was); keras-team/keras
1597 (several fixes at once, no single cause); tensorflow/tensorflow
39223 (no cause found); keras-team/keras 3687 (ReLU LSTMs and a ReLU
output under SGD with momentum 0.99 predict zeros: no answer in the
stored copy; the form of ProteomicsML 203 below, which states its
cause); haidark/WaveletDeconv 1 (a custom layer whose scales were not
created with add_weight and so never trained: the scales are one part of
a model whose other layers train, and no kind of the vocabulary names
it); the WaveletDeconv form aside, tensorflow/tensorflow 46325,
keras-team/keras 10190, 12296, 4320 and 12503 (questions on creating
variables, no failing program); keras-team/keras 3110, 7399 and PR 7400
(questions on Embedding); IcedDoggie/Micro-Expression-with-Deep-Learning
7 and Sentdex/pygta5 63 (images reshaped with their axes swapped: a
fixed scramble of the pixels, which no kind of the vocabulary names);
keras-team/keras 10629 (Dropout(256) typed for Dense(256): Keras 3
raises an error on the rate); keras-team/keras 1649, 9141, 8826 and
1715 (questions on Dropout's rate, no failing program); keras-team/keras
14582 (training on a directory holding one class: the form of
data_fraud_all_zero_class); keras-team/keras 7759 and Ectsang/3D-CNN-
Keras 1 (rows in class order under validation_split: a form already in
the catalogue several times); keras-team/keras 6102 (no cause found);
keras-team/keras 5220, 6932 and 21 (fluctuating or diverging losses
with no cause found). All names start with `lt_`.
"""

import keras
import numpy as np
from keras import layers

from diagnosis_cases import case
from diagnosis_cases import mnist

# ---------------------------------------------------------------------------
# Sources.

_CCS_RELU_OUTPUT = (
    "https://github.com/ProteomicsML/ProteomicsML/pull/203 ('Do not use "
    "ReLU activation for the final regression layer') - in the "
    "ProteomicsML ion-mobility tutorial, a recurrent network that "
    "predicts the collisional cross section (CCS) of peptides returned 0 "
    "for every peptide of the validation set; the cause given: the ReLU "
    "on the final regression layer, whose pre-activation can be negative "
    "for (almost) every input, so no gradient flows back. The fix drops "
    "the ReLU from the last Dense layer (a linear output)")
_DECAY_STEPS = (
    "https://github.com/cjiang2/VDCNN/issues/4 ('decay step problem') - "
    "the VDCNN text classifier decays its rate with "
    "exponential_decay(lr, global_step, 100, 0.95, staircase=True): every "
    "100 batches, while training runs for many thousands; the maintainer "
    "answers that the decay setup is 'completely wrong': decay_steps "
    "should be on the order of num_epochs * num_batches_per_epoch")
_COSINE_NEGATIVE = (
    "https://github.com/hundredblocks/semantic-search/issues/4 ('my loss "
    "is growing, but also negative') - an image model trained to output "
    "the word vector of each image's label under a cosine proximity "
    "loss: the loss is negative and grows in size; the answer: cosine "
    "proximity goes from 0 to -1, and values closer to -1 mean greater "
    "similarity, so a loss heading to -1 is the model learning; no bug")


# ---------------------------------------------------------------------------
# A ReLU on the final regression layer of a peptide CCS model.


def _peptides(n=1536, longest=30):
    """Seeded peptides: 7 to 30 residue ids in 1..20, zero-padded at the
    end, and a CCS-like value that grows with length and depends on the
    residues, standardised."""
    rng = np.random.default_rng(0)
    mass = rng.uniform(0.5, 1.5, 21)
    mass[0] = 0.0
    lengths = rng.integers(7, longest + 1, n)
    x = np.zeros((n, longest), dtype="int32")
    for row, length in enumerate(lengths):
        x[row, :length] = rng.integers(1, 21, length)
    ccs = 12.0 * mass[x].sum(axis=1) + 150.0 + rng.normal(0, 10, n)
    y = (ccs - ccs.mean()) / ccs.std()
    return x, y.astype("float32")


def _ccs_model(output_activation):
    """Embedding, a bidirectional LSTM and two Dense layers."""
    model = keras.Sequential([
        keras.Input(shape=(30,), dtype="int32"),
        layers.Embedding(21, 16, mask_zero=True),
        layers.Bidirectional(layers.LSTM(16)),
        layers.Dense(32, activation="relu"),
        layers.Dense(1, activation=output_activation),
    ])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


@case("recurrent (LSTM)", "dead_units", split="holdout",
      also=("constant_predictions", "label_mismatch", "unchanged_weights",
            "loss_not_decreasing"),
      fixed_by="lt_ccs_linear_output", metric="val_mae", origin="real",
      source=_CCS_RELU_OUTPUT,
      note="1,536 seeded peptides stand in for the tutorial's CCS set; "
           "the values are standardised, so half of them lie below the "
           "ReLU's range; 8 epochs. On JAX the output unit stays alive "
           "for the positive values and only clips the negative ones "
           "(val_mae 0.47, 0.11 fixed)")
def lt_ccs_relu_output(callbacks):
    """A ReLU on the final Dense layer of a peptide CCS regressor: the
    output unit's pre-activation turns negative for every peptide, the
    unit dies and the model predicts 0 for all of them, the mean of the
    standardised values (val_mae 0.86 after 8 epochs, 0.10 fixed)."""
    x, y = _peptides()
    model = _ccs_model("relu")
    return model.fit(x, y, epochs=8, batch_size=32, validation_split=0.2,
                     verbose=0, callbacks=callbacks)


@case("recurrent (LSTM)", None, split="holdout", metric="val_mae",
      origin="real", source=_CCS_RELU_OUTPUT)
def lt_ccs_linear_output(callbacks):
    """The fix: a linear output."""
    x, y = _peptides()
    model = _ccs_model(None)
    return model.fit(x, y, epochs=8, batch_size=32, validation_split=0.2,
                     verbose=0, callbacks=callbacks)


# ---------------------------------------------------------------------------
# A learning-rate decay counted in batches instead of over the run.


def _flat_digits(n=4096):
    """`n` MNIST digits, flattened, scaled to [0, 1]."""
    x, y = mnist(n)
    return x.reshape(len(x), -1).astype("float32") / 255.0, y


def _decayed_sgd_mlp(decay_steps):
    """Two ReLU layers and a softmax under SGD with momentum, whose rate
    decays by 0.95 every `decay_steps` batches (staircase)."""
    schedule = keras.optimizers.schedules.ExponentialDecay(
        0.01, decay_steps=decay_steps, decay_rate=0.95, staircase=True)
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(128, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.SGD(schedule, momentum=0.9),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


@case("Sequential MLP", "loss_not_decreasing", split="holdout",
      also=("vanishing", "unchanged_weights"),
      fixed_by="lt_decay_over_the_run", metric="accuracy", origin="real",
      source=_DECAY_STEPS,
      note="4,096 MNIST digits stand in for the thread's text corpus; 10 "
           "epochs of 128 batches; the thread's 100 batches against some "
           "15,000 becomes 1 batch against 1,280 here")
def lt_decay_every_batch(callbacks):
    """An ExponentialDecay whose decay_steps counts single batches: the
    rate shrinks by 0.95 at every batch and is below 1e-4 after the first
    100, so training stalls early (accuracy 0.68 after 10 epochs, 0.99
    fixed)."""
    x, y = _flat_digits()
    model = _decayed_sgd_mlp(decay_steps=1)
    return model.fit(x, y, epochs=10, batch_size=32, verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP", None, split="holdout", metric="accuracy",
      origin="real", source=_DECAY_STEPS)
def lt_decay_over_the_run(callbacks):
    """The fix: decay_steps on the order of the whole run's batches."""
    x, y = _flat_digits()
    model = _decayed_sgd_mlp(decay_steps=1280)
    return model.fit(x, y, epochs=10, batch_size=32, verbose=0,
                     callbacks=callbacks)


# ---------------------------------------------------------------------------
# Healthy: a cosine proximity loss heads to -1.


@case("Sequential CNN", None, split="holdout", metric="loss",
      origin="real", source=_COSINE_NEGATIVE,
      note="MNIST digits stand in for the thread's images, seeded random "
           "unit vectors of 50 values for the label word vectors; 5 epochs")
def lt_cosine_loss_negative(callbacks):
    """An image model regressing its label's word vector under the cosine
    proximity loss: the loss goes from about 0 towards -1 (-0.93 after 5
    epochs, val_loss -0.88), which is the model learning, not a fault."""
    x, y = mnist(2048)
    x = x[..., None].astype("float32") / 255.0
    words = np.random.default_rng(0).normal(size=(10, 50))
    words /= np.linalg.norm(words, axis=1, keepdims=True)
    targets = words[y].astype("float32")
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(16, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(50),
    ])
    model.compile(optimizer="adam", loss=keras.losses.CosineSimilarity(),
                  metrics=[keras.metrics.CosineSimilarity(name="cosine")])
    return model.fit(x, targets, epochs=5, batch_size=32,
                     validation_split=0.2, verbose=0, callbacks=callbacks)
