"""Held-out mutants, sixth set: four more bases and DeepCrime's operators.

Like the five earlier sets (`diagnosis_mutants.py`,
`diagnosis_mutants_more.py`, `diagnosis_mutants_third.py`,
`diagnosis_mutants_fourth.py` and `diagnosis_mutants_fifth.py`), each
program here is one of four small healthy BASE programs, written for
this module, or a MUTANT of one: a copy of a base's code path with
exactly one change made by a mutation operator of DeepCrime (Humbatova,
Jahangirova and Tonella, 'DeepCrime: Mutation Testing of Deep Learning
Systems Based on Real Faults', ISSTA 2021). The bases differ in kind
from the earlier sets' and from each other: a functional classifier
whose three raw numbers are each cut into ten buckets by a
`Discretization` layer adapted on the training rows, each bucket
embedded by an `Embedding`, the embeddings concatenated under a Dense
layer and a softmax over three grades of toy produce lots under sparse
cross-entropy (`mz_grades_buckets`); a regression of right-skewed
positive amounts (toy claims) under the mean squared logarithmic error,
an MLP with a softplus output unit (`mz_claims_msle`, measured by the
validation squared log error, `val_msle`, tracked whatever the loss); a
classifier of five noisy clusters in 16 dimensions through a Dense
bottleneck of four units, fed by a `keras.utils.PyDataset` that
reshuffles the rows every epoch and adds fresh noise to every batch
(`mz_clusters_bottleneck`); and an LSTM that forecasts the next six
steps of seeded series (a sine of random phase and amplitude plus an
AR(1) part) from the 24 before them, under the log-cosh loss
(`mz_series_lstm_logcosh`, measured by the validation mse, tracked
whatever the loss). Each trains on a fixed training part and is
validated on held-out rows (`validation_data`), so that the
training-data operators change the training rows only. The operators
were taken in the paper's order (training data, hyperparameters,
activation functions, regularisation, weights, loss, optimisation),
base by base, before any mutant was run, with the paper's values: all
the labels or targets shuffled, a part of the training rows removed,
one class cut to 5% of its rows, much larger batches or the whole set as
one batch, rates divided or multiplied by 100 or 1,000, an activation
changed, removed or added, a dropout rate raised, a kernel initialiser
swapped for another Keras one, a loss swapped for another Keras loss,
an optimiser swapped for another at its default rate.
`source` names the operator and its taxonomy category. All programs are
"own" and kept aside to measure the monitor (`split="holdout"`).

How `expected` was fixed, before any diagnosis was run: by the first
set's protocol and mapping (see `diagnosis_mutants.py`), as in the
fourth and fifth sets. Each mutant and its base were trained on
TensorFlow with `callbacks=[]` after `keras.backend.clear_session()` and
`keras.utils.set_random_seed(0)`, and the last epoch's `metric`
compared. Killed: validation accuracy 0.05 or more below the base's, or
validation mse (or squared log error) 25% or more above it; a gap
between 0.03 and 0.07, or a ratio between 1.15 and 1.35, was decided by
seed 1 as well, and a mutant killed by one seed only is left out as
undecided. A mutant that is not killed is healthy (`expected=None`). A
killed mutant gets the kind naming the cause its operator introduced.
The one rate multiplied up and killed was checked batch by batch (from
the running mean of the batch losses, by a plain Keras callback in a
separate run; the labelling runs had none). The no-information level
used for `loss_not_decreasing` (the last epoch's training loss still
above 3/4 of it) is: for the grades the entropy of the training grades'
shares (34%, 34%, 32%), 1.098, about ln 3; for the claims the variance
of log(1 + amount) over the training rows, 0.508, the squared log error
of the best constant; for the clusters the entropy of the training
classes' shares (19% to 21%), 1.609, about ln 5; for the series the
log-cosh of the best constant for each future step, 0.273 (found on a
grid; the mse of predicting the steps' means, their variance, is
0.654). A killed mutant whose cause no kind names is left out. Every
program also ran on JAX; no label parts there except where a case's
`note` says how, and the mutant whose kill looks different on JAX is
kept to TensorFlow.

Mutants left out:
- grades_buckets, WCI (the Dense kernels initialised at ones): killed
  (val_accuracy 0.8125 against 0.8825; 0.8075 against 0.875 with seed
  1), but the training loss falls from 1.051 to 0.613, 56% of the
  no-information 1.098: every hidden unit computes the same thing, a
  capacity loss which no kind names;
- claims_msle, TRD (80% of the training claims removed, 320 kept):
  killed (val_msle 0.250 against 0.0865), but the training loss falls
  steadily from 4.06 to 0.237, 47% of the no-information 0.508: the
  model converges more slowly on fewer rows, which no kind names;
- claims_msle, LCH (the squared log error replaced by the mse): killed
  (val_msle 0.186 against 0.0865), but the mse is a loss the positive
  amounts fit; the training mse falls from 447 to 53.4, 24% of the
  amounts' variance 222: it weighs the large claims more, which no kind
  names;
- claims_msle, OCH (Adam replaced by SGD at its default rate 1e-2):
  val_msle 0.112 against 0.0865 (ratio 1.29, seed 0, killed) but 0.113
  against 0.112 (1.00, seed 1, not killed): undecided;
- clusters_bottleneck, ACH (the hidden ReLUs to sigmoids): killed
  (val_accuracy 0.668 against 0.885; 0.653 against 0.875 with seed 1),
  but the training loss ends at 1.190, 74% of ln 5, below the 3/4 line
  with seed 0 and at 1.214, 75.4%, above it with seed 1 (1.218 on
  JAX): undecided between a stalled run and a slower one;
- clusters_bottleneck, RCD (dropout 0.1 raised to 0.8): killed
  (val_accuracy 0.8125 against 0.885; 0.795 against 0.875 with seed
  1), but over-regularisation has no kind.
All names start with `mz_`.
"""

import keras
import numpy as np
from keras import layers

from diagnosis_cases import case
from diagnosis_mutants import _AAL
from diagnosis_mutants import _ACH
from diagnosis_mutants import _ARM
from diagnosis_mutants import _HBS
from diagnosis_mutants import _HDB
from diagnosis_mutants import _HLR
from diagnosis_mutants import _LCH
from diagnosis_mutants import _OCH
from diagnosis_mutants import _PAPER
from diagnosis_mutants import _TCL
from diagnosis_mutants import _TUD
from diagnosis_mutants import _WCI
from diagnosis_mutants_more import _cut_class

_BASE = ("a healthy base program written for a sixth set of mutants made "
         "with the operators of " + _PAPER)


# ---------------------------------------------------------------------------
# Base A: bucketed numbers through Discretization and Embedding.


def _grades():
    """2,000 toy produce lots: age in days (0 to 30), sugar (a normal of
    mean 12, deviation 3) and hour of picking (0 to 24), graded 0, 1 or
    2 by the tertiles of a score that peaks at 12 days, grows with the
    sugar and with a morning picking, plus noise of 0.3. 1,600 to train,
    400 to validate."""
    rng = np.random.default_rng(0)
    n = 2000
    age = rng.uniform(0.0, 30.0, n)
    sugar = rng.normal(12.0, 3.0, n)
    hour = rng.uniform(0.0, 24.0, n)
    score = (-((age - 12.0) / 8.0) ** 2 + 0.35 * (sugar - 12.0)
             + 0.6 * np.cos(2.0 * np.pi * (hour - 7.0) / 24.0)
             + rng.normal(0.0, 0.3, n))
    y = np.digitize(score, np.quantile(score, [1.0 / 3.0, 2.0 / 3.0]))
    x = np.c_[age, sugar, hour].astype("float32")
    return x[:1600], y[:1600], x[1600:], y[1600:]


def _bucket_model(x, output="softmax"):
    """Each of the three numbers cut into 10 buckets by a `Discretization`
    adapted on the training rows `x`, each bucket embedded in 4
    dimensions; the embeddings concatenated, Dense(24, ReLU) and a
    softmax over three."""
    inputs = keras.Input(shape=(3,))
    parts = []
    for column in range(3):
        cut = layers.Discretization(num_bins=10)
        cut.adapt(x[:, column])
        value = layers.Lambda(lambda t, c=column: t[:, c])(inputs)
        parts.append(layers.Embedding(10, 4)(cut(value)))
    h = layers.Concatenate()(parts)
    h = layers.Dense(24, activation="relu")(h)
    outputs = layers.Dense(3, activation=output)(h)
    return keras.Model(inputs, outputs)


def _fit_grades(model, callbacks, data, optimizer="adam", batch_size=32):
    """Sparse cross-entropy, 12 epochs, validated on 400 lots."""
    x, y, x_val, y_val = data
    model.compile(optimizer=optimizer,
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=12, batch_size=batch_size,
                     validation_data=(x_val, y_val), verbose=0,
                     callbacks=callbacks)


@case("functional, Discretization + Embedding", None, split="holdout",
      metric="val_accuracy", source=_BASE)
def mz_grades_buckets(callbacks):
    """Base A: the age, sugar and hour of a lot each cut into 10 buckets
    by a `Discretization` adapted on the training rows and embedded in
    4 dimensions, concatenated, Dense(24, ReLU) and a softmax over three
    grades under sparse cross-entropy; Adam, 12 epochs of 32 (training
    loss 1.072 to 0.320, val_accuracy 0.8825; 0.875 with seed 1)."""
    data = _grades()
    return _fit_grades(_bucket_model(data[0]), callbacks, data)


@case("functional, Discretization + Embedding", "no_signal",
      split="holdout",
      also=("loss_not_decreasing", "constant_predictions"),
      fixed_by="mz_grades_buckets", metric="val_accuracy", source=_TCL)
def mz_grades_labels_shuffled(callbacks):
    """TCL on every row: the training grades are shuffled among the
    lots, so they say nothing of them; the training loss goes from
    1.0987 to 1.084, about the no-information 1.098 (val_accuracy 0.285
    after 12 epochs, 0.8825 for the base)."""
    x, y, x_val, y_val = _grades()
    y = y[np.random.default_rng(1).permutation(len(y))]
    return _fit_grades(_bucket_model(x), callbacks, (x, y, x_val, y_val))


@case("functional, Discretization + Embedding", "class_imbalance",
      split="holdout", also=("constant_predictions",),
      fixed_by="mz_grades_buckets", metric="val_accuracy", source=_TUD)
def mz_grades_top_cut(callbacks):
    """TUD: only 5% of the training lots of the top grade kept (26 of
    512, beside 1,088 of the two others; the buckets adapted on the
    rows kept): the training loss falls to 0.291 and the model never
    predicts the top grade (none of the 155 validation ones;
    val_accuracy 0.5425 after 12 epochs, 0.8825 for the base)."""
    x, y, x_val, y_val = _grades()
    keep = _cut_class(y, 2)
    return _fit_grades(_bucket_model(x[keep]), callbacks,
                       (x[keep], y[keep], x_val, y_val))


@case("functional, Discretization + Embedding", "loss_not_decreasing",
      split="holdout", also=("no_signal",),
      fixed_by="mz_grades_buckets", metric="val_accuracy", source=_HDB)
def mz_grades_no_batching(callbacks):
    """HDB: the 1,600 training lots as one batch, so 12 epochs make 12
    updates at Adam's default rate: the training loss only goes from
    1.097 to 1.045, 95% of the no-information 1.098 (val_accuracy 0.7425
    after 12 epochs, 0.8825 for the base)."""
    data = _grades()
    return _fit_grades(_bucket_model(data[0]), callbacks, data,
                       batch_size=1600)


@case("functional, Discretization + Embedding", "loss_not_decreasing",
      split="holdout",
      also=("no_signal", "unchanged_weights", "constant_predictions"),
      fixed_by="mz_grades_buckets", metric="val_accuracy", source=_HLR)
def mz_grades_lr_1e6(callbacks):
    """HLR: Adam's rate divided by 1,000 (1e-6): the training loss goes
    from 1.0969 to 1.0966, the no-information 1.098 (val_accuracy
    0.3825 after 12 epochs, 0.8825 for the base)."""
    data = _grades()
    return _fit_grades(_bucket_model(data[0]), callbacks, data,
                       optimizer=keras.optimizers.Adam(1e-6))


@case("functional, Discretization + Embedding", None, split="holdout",
      metric="val_accuracy", source=_ACH,
      note="on TensorFlow the loss reads the logits under the sigmoid "
           "and the run is the base's to the last digit; on JAX it "
           "takes the sigmoids, renormalised, and the training loss "
           "ends at 0.333 against the base's 0.321, with the same "
           "val_accuracy, 0.8825")
def mz_grades_sigmoid_output(callbacks):
    """ACH: the output softmax becomes a sigmoid per grade under sparse
    cross-entropy; the predicted grade, the largest output, is the same,
    and the model trains as well as the base (val_accuracy 0.8825, as
    the base)."""
    data = _grades()
    return _fit_grades(_bucket_model(data[0], output="sigmoid"), callbacks,
                       data)


@case("functional, Discretization + Embedding", "loss_not_decreasing",
      split="holdout",
      also=("no_signal", "unchanged_weights", "constant_predictions"),
      fixed_by="mz_grades_buckets", metric="val_accuracy", source=_OCH)
def mz_grades_adadelta(callbacks):
    """OCH: Adam replaced by Adadelta at its default rate (1e-3): the
    training loss goes from 1.0969 to 1.0964, the no-information 1.098
    (val_accuracy 0.390 after 12 epochs, 0.8825 for the base)."""
    data = _grades()
    return _fit_grades(_bucket_model(data[0]), callbacks, data,
                       optimizer="adadelta")


# ---------------------------------------------------------------------------
# Base B: a regression of skewed amounts under the squared log error.


def _claims():
    """2,000 toy claims: six features from a normal; the amount is
    exp(2.5 + 0.5 x1 - 0.4 x2 + 0.3 x3 x4 + 0.2 x5 + noise of 0.25), a
    right-skewed positive number (median about 12, 5% above 43), the
    sixth feature unused. 1,600 to train, 400 to validate."""
    rng = np.random.default_rng(0)
    x = rng.normal(0.0, 1.0, (2000, 6)).astype("float32")
    log_amount = (2.5 + 0.5 * x[:, 0] - 0.4 * x[:, 1]
                  + 0.3 * x[:, 2] * x[:, 3] + 0.2 * x[:, 4]
                  + rng.normal(0.0, 0.25, 2000))
    y = np.exp(log_amount).astype("float32")
    return x[:1600], y[:1600], x[1600:], y[1600:]


def _claim_mlp(output="softplus", initializer="glorot_uniform"):
    """Dense(32)-Dense(16), ReLU, and a softplus output unit."""
    return keras.Sequential([
        keras.Input(shape=(6,)),
        layers.Dense(32, activation="relu", kernel_initializer=initializer),
        layers.Dense(16, activation="relu", kernel_initializer=initializer),
        layers.Dense(1, activation=output),
    ])


def _fit_claims(model, callbacks, data, optimizer="adam"):
    """The squared log error, also tracked as a metric (`msle`); 30
    epochs of 32, validated on the 400 held-out claims."""
    x, y, x_val, y_val = data
    model.compile(optimizer=optimizer,
                  loss="mean_squared_logarithmic_error",
                  metrics=[keras.metrics.MeanSquaredLogarithmicError(
                      name="msle")])
    return model.fit(x, y, epochs=30, batch_size=32,
                     validation_data=(x_val, y_val), verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP, squared log error", None, split="holdout",
      metric="val_msle", source=_BASE)
def mz_claims_msle(callbacks):
    """Base B: six features into Dense(32)-Dense(16), ReLU, and a
    softplus unit for the amount under the mean squared logarithmic
    error; Adam, 30 epochs of 32 (training loss 3.71 to 0.090,
    val_msle 0.0865 against 0.472, the variance of log(1 + amount) over
    the validation claims; 0.112 with seed 1)."""
    return _fit_claims(_claim_mlp(), callbacks, _claims())


@case("Sequential MLP, squared log error", "no_signal", split="holdout",
      also=("loss_not_decreasing", "constant_predictions"),
      fixed_by="mz_claims_msle", metric="val_msle", source=_TCL)
def mz_claims_targets_shuffled(callbacks):
    """TCL on every row: the training amounts are shuffled, so they say
    nothing of the features; the training loss falls from 3.79 to 0.520,
    about the no-information 0.508, as the model finds their typical
    size (val_msle 0.540 after 30 epochs, 0.0865 for the base)."""
    x, y, x_val, y_val = _claims()
    y = np.random.default_rng(1).permutation(y)
    return _fit_claims(_claim_mlp(), callbacks, (x, y, x_val, y_val))


@case("Sequential MLP, squared log error", None, split="holdout",
      metric="val_msle", source=_HLR)
def mz_claims_lr_01(callbacks):
    """HLR: Adam's rate multiplied by 100 (0.1); the epoch loss wavers
    a little (0.0667, 0.0686, 0.0669, 0.0681, 0.0709, 0.0680, ...) and
    the model fits better than the base within 30 epochs (val_msle
    0.0728, 0.0865 for the base)."""
    return _fit_claims(_claim_mlp(), callbacks, _claims(),
                       optimizer=keras.optimizers.Adam(0.1))


@case("Sequential MLP, squared log error", None, split="holdout",
      metric="val_msle", source=_ARM)
def mz_claims_linear_output(callbacks):
    """ARM: the softplus removed from the output unit, a linear unit
    under the squared log error (which clips outputs below 0); val_msle
    0.101 against 0.0865 for the base (a ratio of 1.17) and 0.119
    against 0.112 with seed 1 (1.05): not killed."""
    return _fit_claims(_claim_mlp(output=None), callbacks, _claims())


@case("Sequential MLP, squared log error", "unchanged_weights",
      split="holdout",
      also=("dead_units", "constant_predictions", "loss_not_decreasing",
            "no_signal", "vanishing"),
      fixed_by="mz_claims_msle", metric="val_msle", source=_WCI)
def mz_claims_zeros_init(callbacks):
    """WCI: the hidden kernels start at zeros: every hidden unit outputs
    ReLU(0) = 0, every kernel's gradient is exactly 0 (measured at the
    first batch), only the output bias learns; the training loss creeps
    from 4.74 to 3.15, six times the no-information 0.508, and the model
    predicts 1.651 for every claim (val_msle 3.13 after 30 epochs,
    0.0865 for the base)."""
    return _fit_claims(_claim_mlp(initializer="zeros"), callbacks,
                       _claims())


# ---------------------------------------------------------------------------
# Base C: a bottleneck classifier fed by a PyDataset that adds noise.


def _clusters():
    """2,000 points in 16 dimensions around five class centres drawn
    from a normal of deviation 0.7, each point its centre plus noise of
    deviation 1 (classes 0 to 4, about equal shares). 1,600 to train,
    400 to validate."""
    rng = np.random.default_rng(0)
    centres = rng.normal(0.0, 0.7, (5, 16))
    y = rng.integers(0, 5, 2000)
    x = (centres[y] + rng.normal(0.0, 1.0, (2000, 16))).astype("float32")
    return x[:1600], y[:1600], x[1600:], y[1600:]


class _NoisyBatches(keras.utils.PyDataset):
    """Batches of the training rows in a new seeded order every epoch,
    each with fresh Gaussian noise of deviation 0.1 added."""

    def __init__(self, x, y, batch_size=32, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size
        self.rng = np.random.default_rng(0)
        self.order = self.rng.permutation(len(x))

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index):
        rows = self.order[index * self.batch_size:
                          (index + 1) * self.batch_size]
        noise = self.rng.normal(0.0, 0.1, self.x[rows].shape)
        return (self.x[rows] + noise).astype("float32"), self.y[rows]

    def on_epoch_end(self):
        self.order = self.rng.permutation(len(self.x))


def _bottleneck(initializer="glorot_uniform"):
    """Dense(32)-Dropout(0.1)-Dense(4)-Dense(32), ReLU, the middle one a
    bottleneck, and a softmax over five."""
    dense = dict(activation="relu", kernel_initializer=initializer)
    return keras.Sequential([
        keras.Input(shape=(16,)),
        layers.Dense(32, **dense),
        layers.Dropout(0.1),
        layers.Dense(4, **dense),
        layers.Dense(32, **dense),
        layers.Dense(5, activation="softmax"),
    ])


def _fit_clusters(model, callbacks, data, optimizer="adam", batch_size=32):
    """Sparse cross-entropy from the `PyDataset`, 10 epochs, validated on
    the 400 held-out points."""
    x, y, x_val, y_val = data
    model.compile(optimizer=optimizer,
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(_NoisyBatches(x, y, batch_size), epochs=10,
                     validation_data=(x_val, y_val), verbose=0,
                     callbacks=callbacks)


@case("Sequential MLP bottleneck, PyDataset", None, split="holdout",
      metric="val_accuracy", source=_BASE)
def mz_clusters_bottleneck(callbacks):
    """Base C: points in 16 dimensions into Dense(32)-Dropout(0.1)-
    Dense(4)-Dense(32), ReLU, and a softmax over five clusters under
    sparse cross-entropy, fed by a `PyDataset` that reshuffles every
    epoch and adds noise of 0.1 to every batch; Adam, 10 epochs of 32
    (training loss 1.547 to 0.346, val_accuracy 0.885; 0.875 with seed
    1)."""
    return _fit_clusters(_bottleneck(), callbacks, _clusters())


@case("Sequential MLP bottleneck, PyDataset", "class_imbalance",
      split="holdout", also=("constant_predictions",),
      fixed_by="mz_clusters_bottleneck", metric="val_accuracy",
      source=_TUD)
def mz_clusters_class_cut(callbacks):
    """TUD: only 5% of the training points of cluster 4 kept (17 of 333,
    beside 1,267 of the others): the training loss falls to 0.335 and
    the model never predicts cluster 4 (none of the 86 validation ones;
    val_accuracy 0.7125 after 10 epochs, 0.885 for the base)."""
    x, y, x_val, y_val = _clusters()
    keep = _cut_class(y, 4)
    return _fit_clusters(_bottleneck(), callbacks,
                         (x[keep], y[keep], x_val, y_val))


@case("Sequential MLP bottleneck, PyDataset", "loss_not_decreasing",
      split="holdout", also=("no_signal",),
      fixed_by="mz_clusters_bottleneck", metric="val_accuracy",
      source=_HBS)
def mz_clusters_batch_512(callbacks):
    """HBS: batches of 512 instead of 32 (4 steps an epoch): the
    training loss only goes from 1.614 to 1.444, 90% of the
    no-information 1.609 (val_accuracy 0.435 after 10 epochs, 0.885 for
    the base)."""
    return _fit_clusters(_bottleneck(), callbacks, _clusters(),
                         batch_size=512)


@case("Sequential MLP bottleneck, PyDataset", "exploding",
      split="holdout",
      also=("dead_units", "constant_predictions", "loss_not_decreasing",
            "no_signal", "oscillating_loss", "nan"),
      backends=("tensorflow",),
      fixed_by="mz_clusters_bottleneck", metric="val_accuracy",
      source=_HLR,
      note="TensorFlow only: there the loss reads the logits under the "
           "softmax and the batch loss leaps from 1.61 to 503; on JAX "
           "it takes the log of the clipped probabilities, the batch "
           "loss jumps from 1.62 to 12.6 at the second step and stays "
           "between 10.6 and 15.1, the epoch loss 12.8 to 13.0, one "
           "cluster predicted for every point (val_accuracy 0.195): a "
           "saturated softmax rather than a loss grown by orders of "
           "magnitude")
def mz_clusters_lr_one(callbacks):
    """HLR: Adam's rate multiplied by 1,000 (1.0): the batch loss leaps
    from 1.61 to 503 at the second step (94 and 34 at the next two),
    then falls back to about ln 5 and stays there; the model predicts
    one cluster for every point (first-epoch loss 14.78, then 1.92 to
    1.69; val_accuracy 0.1875 after 10 epochs, 0.885 for the base)."""
    return _fit_clusters(_bottleneck(), callbacks, _clusters(),
                         optimizer=keras.optimizers.Adam(1.0))


@case("Sequential MLP bottleneck, PyDataset", "unchanged_weights",
      split="holdout",
      also=("dead_units", "constant_predictions", "loss_not_decreasing",
            "no_signal", "vanishing"),
      fixed_by="mz_clusters_bottleneck", metric="val_accuracy",
      source=_WCI)
def mz_clusters_zeros_init(callbacks):
    """WCI: the hidden kernels start at zeros: every hidden unit outputs
    ReLU(0) = 0, every kernel's gradient is exactly 0 (measured at the
    first batch), only the output bias learns the class shares; the loss
    stays at 1.609, ln 5, and one cluster is predicted for every point
    (val_accuracy 0.215 after 10 epochs, 0.885 for the base)."""
    return _fit_clusters(_bottleneck(initializer="zeros"), callbacks,
                         _clusters())


@case("Sequential MLP bottleneck, PyDataset", "loss_not_decreasing",
      split="holdout", also=("no_signal",),
      fixed_by="mz_clusters_bottleneck", metric="val_accuracy",
      source=_OCH)
def mz_clusters_adagrad(callbacks):
    """OCH: Adam replaced by Adagrad at its default rate (1e-3): the
    training loss only goes from 1.620 to 1.560, 97% of the
    no-information 1.609 (val_accuracy 0.2875 after 10 epochs, 0.885 for
    the base)."""
    return _fit_clusters(_bottleneck(), callbacks, _clusters(),
                         optimizer="adagrad")


# ---------------------------------------------------------------------------
# Base D: an LSTM forecaster of six steps under the log-cosh loss.


def _series():
    """2,000 seeded series of 30 steps: a sine of period 12 with random
    phase and amplitude (0.5 to 1.5) plus an AR(1) part (coefficient
    0.8, innovations of deviation 0.2); the first 24 steps are the input
    and the last 6 the targets (half of them below 0). 1,600 to train,
    400 to validate."""
    rng = np.random.default_rng(0)
    n, steps = 2000, 30
    t = np.arange(steps)
    phase = rng.uniform(0.0, 2.0 * np.pi, (n, 1))
    amplitude = rng.uniform(0.5, 1.5, (n, 1))
    ar = np.zeros((n, steps))
    shocks = rng.normal(0.0, 0.2, (n, steps))
    for step in range(1, steps):
        ar[:, step] = 0.8 * ar[:, step - 1] + shocks[:, step]
    s = (amplitude * np.sin(2.0 * np.pi * t / 12.0 + phase) + ar)
    s = s.astype("float32")
    x, y = s[:, :24, None], s[:, 24:]
    return x[:1600], y[:1600], x[1600:], y[1600:]


def _forecaster(activation="tanh", output=None):
    """LSTM(24) over the 24 steps and a linear unit per future step."""
    return keras.Sequential([
        keras.Input(shape=(24, 1)),
        layers.LSTM(24, activation=activation),
        layers.Dense(6, activation=output),
    ])


def _fit_series(model, callbacks, data, optimizer="adam", loss="log_cosh",
                batch_size=32):
    """The log-cosh loss unless told, the mse tracked on the 400
    validation series whatever the loss; 10 epochs."""
    x, y, x_val, y_val = data
    model.compile(optimizer=optimizer, loss=loss,
                  metrics=[keras.metrics.MeanSquaredError(name="mse")])
    return model.fit(x, y, epochs=10, batch_size=batch_size,
                     validation_data=(x_val, y_val), verbose=0,
                     callbacks=callbacks)


@case("Sequential LSTM forecaster, log-cosh", None, split="holdout",
      metric="val_mse", source=_BASE)
def mz_series_lstm_logcosh(callbacks):
    """Base D: 24 steps of a series into LSTM(24) and a linear unit for
    each of the next six steps under the log-cosh loss; Adam, 10 epochs
    of 32 (training loss 0.241 to 0.050, val_mse 0.120 against the
    validation steps' variance 0.636)."""
    return _fit_series(_forecaster(), callbacks, _series())


@case("Sequential LSTM forecaster, log-cosh", "no_signal", split="holdout",
      also=("loss_not_decreasing", "constant_predictions"),
      fixed_by="mz_series_lstm_logcosh", metric="val_mse", source=_TCL)
def mz_series_targets_shuffled(callbacks):
    """TCL on every row: the training targets (the six next steps) are
    shuffled among the series, so they say nothing of the steps before;
    the training loss goes from 0.275 to 0.272, the no-information
    0.273 (val_mse 0.645 after 10 epochs, 0.120 for the base)."""
    x, y, x_val, y_val = _series()
    y = y[np.random.default_rng(1).permutation(len(y))]
    return _fit_series(_forecaster(), callbacks, (x, y, x_val, y_val))


@case("Sequential LSTM forecaster, log-cosh", "loss_not_decreasing",
      split="holdout", also=("no_signal",),
      fixed_by="mz_series_lstm_logcosh", metric="val_mse", source=_HDB)
def mz_series_no_batching(callbacks):
    """HDB: the 1,600 training series as one batch, so 10 epochs make
    10 updates at Adam's default rate: the training loss only goes from
    0.266 to 0.255, 93% of the no-information 0.273 (val_mse 0.595
    after 10 epochs, 0.120 for the base)."""
    return _fit_series(_forecaster(), callbacks, _series(),
                       batch_size=1600)


@case("Sequential LSTM forecaster, log-cosh", "loss_not_decreasing",
      split="holdout",
      also=("no_signal", "unchanged_weights", "constant_predictions"),
      fixed_by="mz_series_lstm_logcosh", metric="val_mse", source=_HLR)
def mz_series_lr_1e5(callbacks):
    """HLR: Adam's rate divided by 100 (1e-5): the training loss goes
    from 0.266 to 0.261, 96% of the no-information 0.273 (val_mse 0.609
    after 10 epochs, 0.120 for the base)."""
    return _fit_series(_forecaster(), callbacks, _series(),
                       optimizer=keras.optimizers.Adam(1e-5))


@case("Sequential LSTM forecaster, log-cosh", None, split="holdout",
      metric="val_mse", source=_ACH)
def mz_series_relu_lstm(callbacks):
    """ACH: the LSTM's tanh (of the candidate and of the output state)
    becomes a ReLU; trains about as well as the base (val_mse 0.125,
    0.120 for the base, a ratio of 1.04)."""
    return _fit_series(_forecaster(activation="relu"), callbacks,
                       _series())


@case("Sequential LSTM forecaster, log-cosh", "label_mismatch",
      split="holdout",
      also=("dead_units", "constant_predictions", "loss_not_decreasing"),
      fixed_by="mz_series_lstm_logcosh", metric="val_mse", source=_AAL)
def mz_series_relu_output(callbacks):
    """AAL: a ReLU added to the linear output units, which cannot reach
    the targets below 0 (half of them): 49% of the validation forecasts
    are 0, the training loss ends at 0.164 (val_mse 0.376 after 10
    epochs, 0.120 for the base)."""
    return _fit_series(_forecaster(output="relu"), callbacks, _series())


@case("Sequential LSTM forecaster, log-cosh", "label_mismatch",
      split="holdout", also=("loss_not_decreasing",),
      fixed_by="mz_series_lstm_logcosh", metric="val_mse", source=_LCH)
def mz_series_msle_loss(callbacks):
    """LCH: the log-cosh replaced by the mean squared logarithmic error,
    which clips the targets below 0 (half of them) and the forecasts
    below 0 to 0: the loss falls from 0.099 to 0.021 while 43% of the
    validation forecasts lie below 0 with no gradient to lift them; the
    squared error is 0.324 on the targets below 0 against 0.107 on the
    others (val_mse 0.214 after 10 epochs, 0.120 for the base)."""
    return _fit_series(_forecaster(), callbacks, _series(),
                       loss="mean_squared_logarithmic_error")


@case("Sequential LSTM forecaster, log-cosh", "loss_not_decreasing",
      split="holdout", also=("no_signal",),
      fixed_by="mz_series_lstm_logcosh", metric="val_mse", source=_OCH)
def mz_series_sgd(callbacks):
    """OCH: Adam replaced by SGD at its default rate (1e-2): the training
    loss only goes from 0.264 to 0.240, 88% of the no-information 0.273
    (val_mse 0.562 after 10 epochs, 0.120 for the base)."""
    return _fit_series(_forecaster(), callbacks, _series(),
                       optimizer="sgd")
