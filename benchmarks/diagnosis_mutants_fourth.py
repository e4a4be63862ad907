"""Held-out mutants, fourth set: four more bases and DeepCrime's operators.

Like `diagnosis_mutants.py`, `diagnosis_mutants_more.py` and
`diagnosis_mutants_third.py`, each program here is one of four small
healthy BASE programs, written for this module, or a MUTANT of one: a
copy of a base's code path with exactly one change made by a mutation
operator of DeepCrime (Humbatova, Jahangirova and Tonella, 'DeepCrime:
Mutation Testing of Deep Learning Systems Based on Real Faults', ISSTA
2021). The bases differ in kind from the three earlier sets': a
functional residual MLP on California housing that takes the eight raw
columns, standardises them with its own `Normalization` layer adapted on
the training rows, and adds two Dense-Dense blocks back onto their input
with `layers.Add`, regressing the price in units of $100,000 under mse
(`mx_housing_residual`); a Conv1D classifier that tells a sine, a square
and a sawtooth wave apart in noisy signals of 64 steps made from a seeded
generator, with a softmax under sparse cross-entropy
(`mx_wave_shapes_conv1d`); a tiny Transformer block (token and position
embeddings, two-headed `MultiHeadAttention` and a feed-forward part, each
added back and layer-normalised) that tells whether token 1 comes before
token 2 in seeded sequences of 16 tokens (`mx_token_order_transformer`);
and an `Embedding` averaged by `GlobalAveragePooling1D` under a Dense
layer that regresses a star rating (1 to 5) of toy reviews, trained and
validated from `tf.data.Dataset` pipelines (`mx_ratings_bag_dataset`;
Keras 3 reads the datasets on JAX too). Each trains on a fixed training
part and is validated on held-out rows (`validation_data`), so that the
training-data operators change the training rows only. The operators
were taken in the paper's order (training data, hyperparameters,
activation functions, regularisation, weights, loss, optimisation), base
by base, before any mutant was run, with the paper's values: rates
divided or multiplied by 100 or 1,000, a kernel initialiser swapped for
another Keras one, a share of the labels changed or all of them
shuffled, a part of the training rows removed, one class cut to 5% of
its rows, much larger batches or the whole set as one batch, an
activation changed, removed or added, an optimiser swapped for another
at its default rate, a loss swapped for another Keras loss. `source`
names the operator and its taxonomy category. All programs are "own" and
kept aside to measure the monitor (`split="holdout"`).

How `expected` was fixed, before any diagnosis was run: by the first
set's protocol and mapping (see `diagnosis_mutants.py`). Each mutant and
its base were trained on TensorFlow with `callbacks=[]` after
`keras.backend.clear_session()` and `keras.utils.set_random_seed(0)`, and
the last epoch's `metric` compared. Killed: validation accuracy 0.05 or
more below the base's, or validation mse 25% or more above it; a gap
between 0.03 and 0.07, or a ratio between 1.15 and 1.35, was decided by
seed 1 as well, and a mutant killed by one seed only is left out as
undecided. A mutant that is not killed is healthy (`expected=None`). A
killed mutant gets the kind naming the cause its operator introduced.
Where a mutant changes the loss, `val_loss` is not comparable with the
base's; the regressions track the mse whatever the loss (`val_mse`). The
no-information level used for `loss_not_decreasing` (the last epoch's
training loss still above 3/4 of it) is ln 3 = 1.099 for the waves, ln 2
for the token order, and the variance of the training targets for the
regressions, the mse of predicting their mean: 1.386 for the prices,
1.685 for the stars (both regressions start far above it, as their
output starts near 0 while the targets' mean is 2.09 and 3.01). Beyond
the earlier sets' mapping, two causes met here are named as follows: a
rate multiplied up (HLR) whose batch loss jumps without growing by
orders of magnitude and whose epoch losses then stay flat at the
no-information level, the predicted class flipping from epoch to epoch:
`loss_not_decreasing` (stuck), with `oscillating_loss` accepted; the
embeddings of a Transformer initialised at zeros (WCI), where at the
first step every kernel gets a zero gradient and only the embeddings and
biases move, and the loss stays at the no-information level for ten
epochs: `loss_not_decreasing`, with `unchanged_weights` accepted. A
killed mutant whose cause no kind names is left out.

Mutants left out:
- wave_shapes_conv1d, ACH (the convolutions' ReLUs to tanh): val
  accuracy 0.920 against 0.970 (gap 0.050, seed 0, killed) but 0.927
  against 0.957 (0.030, seed 1, not killed): undecided;
- token_order_transformer, TRD (half of the training sequences
  removed): killed (val accuracy 0.850 against 0.966), but the training
  loss falls from 0.717 to 0.294, well below 3/4 of ln 2 (0.520): the
  model converges more slowly on fewer rows, which no kind names;
- token_order_transformer, HBS (batches of 256 instead of 32, 8 steps
  an epoch): killed (0.732 against 0.966), but the training loss falls
  from 0.707 to 0.508, 73% of ln 2, below the 3/4 line: slower
  convergence by the mapping, which no kind names;
- token_order_transformer, LCH (sparse cross-entropy to the mse): the
  program does not train at all on TensorFlow (the integer labels
  against the two outputs: "Incompatible shapes: [32] vs. [32,2]" in the
  gradient), a crash rather than a training fault; not written;
- ratings_bag_dataset, TCL (30% of the training stars changed to another
  star): killed (val_mse 0.710 against 0.372; training loss 1.19), but
  labels that are partly wrong and still carry a signal have no kind;
- ratings_bag_dataset, TRD (80% of the training reviews removed, 480
  kept, 15 steps an epoch): killed (val_mse 1.295 against 0.372), but
  the training loss falls from 10.6 to 1.21, 72% of the no-information
  1.685, below the 3/4 line: slower convergence, which no kind names;
- ratings_bag_dataset, TAN (20% of the training reviews' words replaced
  by random ids): killed (val_mse 0.474 against 0.372, a ratio of 1.28;
  0.511 against 0.369, 1.38, with seed 1), but noisy inputs that still
  carry a signal have no kind;
- ratings_bag_dataset, RAW (an L1 penalty of 0.01 on the embeddings):
  val_mse 0.435 against 0.372 (ratio 1.17, seed 0, not killed) but
  0.504 against 0.369 (1.37, seed 1, killed): undecided;
- ratings_bag_dataset, WCI (embeddings from a normal of deviation 10):
  killed (val_mse 2.02 against 0.372; the training loss falls steadily
  from 10.5 to 1.85, and no hidden ReLU is dead, 0 of 16 on the
  validation reviews): outsized embeddings that slow the fit, which no
  kind names.
All names start with `mx_`.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from diagnosis_cases import HOUSING_COLUMNS
from diagnosis_cases import case
from diagnosis_cases import housing
from diagnosis_mutants import _AAL
from diagnosis_mutants import _ACH
from diagnosis_mutants import _ARM
from diagnosis_mutants import _HBS
from diagnosis_mutants import _HDB
from diagnosis_mutants import _HLR
from diagnosis_mutants import _LCH
from diagnosis_mutants import _OCH
from diagnosis_mutants import _PAPER
from diagnosis_mutants import _RCD
from diagnosis_mutants import _TCL
from diagnosis_mutants import _TRD
from diagnosis_mutants import _TUD
from diagnosis_mutants import _WCI
from diagnosis_mutants import _WRB
from diagnosis_mutants import _relabel
from diagnosis_mutants_more import _cut_class

_BASE = ("a healthy base program written for a fourth set of mutants made "
         "with the operators of " + _PAPER)


# ---------------------------------------------------------------------------
# Base P: a residual MLP on housing, normalised inside the model.


def _blocks():
    """2,048 districts, the eight raw columns and the price in units of
    $100,000 (0.15 to 5.0): 1,600 to train, 448 to validate."""
    df = housing()
    x = df[HOUSING_COLUMNS].to_numpy().astype("float32")
    y = (df["median_house_value"].to_numpy() / 1e5).astype("float32")
    return x[:1600], y[:1600], x[1600:], y[1600:]


def _residual_mlp(x_train, hidden="relu", output=None,
                  initializer="glorot_uniform"):
    """Normalization adapted on the training columns, Dense(64), two
    residual blocks (Dense-Dense added to their input) and one output
    unit."""
    norm = layers.Normalization()
    norm.adapt(x_train)
    inputs = keras.Input(shape=(8,))
    h = layers.Dense(64, activation=hidden,
                     kernel_initializer=initializer)(norm(inputs))
    for _ in range(2):
        r = layers.Dense(64, activation=hidden,
                         kernel_initializer=initializer)(h)
        r = layers.Dense(64, kernel_initializer=initializer)(r)
        h = layers.Activation(hidden)(layers.Add()([h, r]))
    outputs = layers.Dense(1, activation=output)(h)
    return keras.Model(inputs, outputs)


def _fit_blocks(model, callbacks, data, optimizer="adam", loss="mse",
                batch_size=32):
    """The mse unless told, tracked on 448 districts whatever the loss;
    20 epochs."""
    x, y, x_val, y_val = data
    model.compile(optimizer=optimizer, loss=loss,
                  metrics=[keras.metrics.MeanSquaredError(name="mse")])
    return model.fit(x, y, epochs=20, batch_size=batch_size,
                     validation_data=(x_val, y_val), verbose=0,
                     callbacks=callbacks)


@case("functional MLP, residual", None, split="holdout", metric="val_mse",
      source=_BASE)
def mx_housing_residual(callbacks):
    """Base P: the eight raw housing columns into Normalization (adapted
    on the training rows), Dense(64) and two residual blocks, each a
    Dense(64, ReLU)-Dense(64) added back onto its input and passed
    through a ReLU, then a linear unit for the price in $100,000 under
    mse; Adam, 20 epochs of 32 (training loss 1.23 to 0.265, val_mse
    0.417; 0.434 with seed 1)."""
    data = _blocks()
    return _fit_blocks(_residual_mlp(data[0]), callbacks, data)


@case("functional MLP, residual", "no_signal", split="holdout",
      also=("loss_not_decreasing", "constant_predictions"),
      fixed_by="mx_housing_residual", metric="val_mse", source=_TCL)
def mx_residual_targets_shuffled(callbacks):
    """TCL on every row: the training prices are shuffled, so they say
    nothing of the districts; the model memorises a little (training
    loss 1.87 to 1.29, the no-information level, the prices' variance,
    1.386) and predicts about the mean (val_mse 1.486 after 20 epochs,
    0.417 for the base)."""
    x, y, x_val, y_val = _blocks()
    y = np.random.default_rng(1).permutation(y)
    return _fit_blocks(_residual_mlp(x), callbacks, (x, y, x_val, y_val))


@case("functional MLP, residual", None, split="holdout", metric="val_mse",
      source=_TRD)
def mx_residual_data_cut_75pct(callbacks):
    """TRD: 75% of the training districts removed (400 kept, and the
    Normalization adapted on them); trains as well as the base (val_mse
    0.418, 0.417 for the base)."""
    x, y, x_val, y_val = _blocks()
    return _fit_blocks(_residual_mlp(x[:400]), callbacks,
                       (x[:400], y[:400], x_val, y_val))


@case("functional MLP, residual", None, split="holdout", metric="val_mse",
      source=_HBS)
def mx_residual_batch_256(callbacks):
    """HBS: batches of 256 instead of 32, 7 steps an epoch; trains as
    well as the base (val_mse 0.405, 0.417 for the base)."""
    data = _blocks()
    return _fit_blocks(_residual_mlp(data[0]), callbacks, data,
                       batch_size=256)


@case("functional MLP, residual", "exploding", split="holdout",
      also=("dead_units", "constant_predictions", "loss_not_decreasing",
            "no_signal", "oscillating_loss", "nan"),
      fixed_by="mx_housing_residual", metric="val_mse", source=_HLR)
def mx_residual_lr_01(callbacks):
    """HLR: Adam's rate multiplied by 100 (0.1): the batch loss leaps
    from 3.6 to about 8,360 at the second step (first-epoch mean 192),
    then the model predicts about the mean, the training loss 1.396
    from the second epoch on, the prices' variance 1.386 (val_mse 1.345
    after 20 epochs, 0.417 for the base)."""
    data = _blocks()
    return _fit_blocks(_residual_mlp(data[0]), callbacks, data,
                       optimizer=keras.optimizers.Adam(0.1))


@case("functional MLP, residual", None, split="holdout", metric="val_mse",
      source=_ACH)
def mx_residual_sigmoid_hidden(callbacks):
    """ACH: the hidden ReLUs, inside the blocks and after each sum,
    become sigmoids; the loss sits near 1.3 for three epochs, then
    trains as well as the base (val_mse 0.396, 0.417 for the base)."""
    data = _blocks()
    return _fit_blocks(_residual_mlp(data[0], hidden="sigmoid"), callbacks,
                       data)


@case("functional MLP, residual", "label_mismatch", split="holdout",
      also=("loss_not_decreasing", "saturated_units",
            "constant_predictions"),
      fixed_by="mx_housing_residual", metric="val_mse", source=_AAL)
def mx_residual_sigmoid_output(callbacks):
    """AAL: a sigmoid added to the output unit, which cannot pass 1 while
    83% of the training prices (in $100,000, mean 2.09) lie above it:
    the training loss is 2.572 from the second epoch on (val_mse 2.279
    after 20 epochs, 0.417 for the base)."""
    data = _blocks()
    return _fit_blocks(_residual_mlp(data[0], output="sigmoid"), callbacks,
                       data)


@case("functional MLP, residual", None, split="holdout", metric="val_mse",
      source=_WCI)
def mx_residual_he_normal_init(callbacks):
    """WCI: He-normal kernels instead of Glorot-uniform; trains about as
    well as the base (val_mse 0.445, 0.417 for the base, a ratio of
    1.07)."""
    data = _blocks()
    return _fit_blocks(_residual_mlp(data[0], initializer="he_normal"),
                       callbacks, data)


@case("functional MLP, residual", None, split="holdout", metric="val_mse",
      source=_LCH,
      note="val_loss is the log error; the mse is tracked whatever the "
           "loss")
def mx_residual_msle_loss(callbacks):
    """LCH: the mse replaced by the mean squared logarithmic error, which
    the positive prices fit; trains as well as the base (val_mse 0.391,
    0.417 for the base)."""
    data = _blocks()
    return _fit_blocks(_residual_mlp(data[0]), callbacks, data,
                       loss="mean_squared_logarithmic_error")


@case("functional MLP, residual", None, split="holdout", metric="val_mse",
      source=_OCH)
def mx_residual_sgd(callbacks):
    """OCH: Adam replaced by SGD at its default rate (1e-2); trains as
    well as the base (val_mse 0.398, 0.417 for the base)."""
    data = _blocks()
    return _fit_blocks(_residual_mlp(data[0]), callbacks, data,
                       optimizer="sgd")


# ---------------------------------------------------------------------------
# Base Q: a Conv1D classifier of synthetic wave shapes.


def _waves():
    """1,500 signals of 64 steps: a sine, a square or a sawtooth wave
    (label 0, 1, 2) of random frequency (1.5 to 4 periods), phase and
    amplitude (0.5 to 1.5), plus Gaussian noise of deviation 0.4. 1,200
    to train, 300 to validate."""
    rng = np.random.default_rng(0)
    n = 1500
    y = rng.integers(0, 3, n)
    periods = rng.uniform(1.5, 4.0, (n, 1))
    phase = rng.uniform(0.0, 1.0, (n, 1))
    amplitude = rng.uniform(0.5, 1.5, (n, 1))
    u = (np.arange(64)[None, :] / 64 * periods + phase) % 1.0
    sine = np.sin(2 * np.pi * u)
    shapes = np.stack([sine, np.sign(sine), 2 * u - 1], axis=1)
    x = shapes[np.arange(n), y] * amplitude
    x = x + rng.normal(0.0, 0.4, x.shape)
    x = x[..., None].astype("float32")
    return x[:1200], y[:1200], x[1200:], y[1200:]


def _wave_cnn(output="softmax", initializer="glorot_uniform", dropout=0.2):
    """Two ReLU Conv1D with pooling, a global max, Dropout and a softmax
    over the three shapes."""
    conv = dict(activation="relu", kernel_initializer=initializer)
    return keras.Sequential([
        keras.Input(shape=(64, 1)),
        layers.Conv1D(16, 5, **conv),
        layers.MaxPooling1D(2),
        layers.Conv1D(32, 5, **conv),
        layers.GlobalMaxPooling1D(),
        layers.Dropout(dropout),
        layers.Dense(3, activation=output),
    ])


def _fit_waves(model, callbacks, data, optimizer="adam", batch_size=32):
    """Sparse cross-entropy, 12 epochs, validated on 300 signals."""
    x, y, x_val, y_val = data
    model.compile(optimizer=optimizer,
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=12, batch_size=batch_size,
                     validation_data=(x_val, y_val), verbose=0,
                     callbacks=callbacks)


@case("Sequential Conv1D", None, split="holdout", metric="val_accuracy",
      source=_BASE)
def mx_wave_shapes_conv1d(callbacks):
    """Base Q: noisy sine, square and sawtooth waves of 64 steps into
    Conv1D(16, 5)-MaxPooling-Conv1D(32, 5), ReLU, a global max, Dropout
    (0.2) and a softmax under sparse cross-entropy; Adam, 12 epochs of 32
    (training loss 1.04 to 0.19, val_accuracy 0.970; 0.957 with seed
    1)."""
    return _fit_waves(_wave_cnn(), callbacks, _waves())


@case("Sequential Conv1D", None, split="holdout", metric="val_accuracy",
      source=_TCL)
def mx_waves_labels_changed_30pct(callbacks):
    """TCL on 30% of the training signals, each given another shape at
    random: the training loss stays high (0.90) but the model trains
    about as well as the base on clean validation signals (val_accuracy
    0.947, 0.970 for the base)."""
    x, y, x_val, y_val = _waves()
    y = _relabel(y, 0.3, 3)
    return _fit_waves(_wave_cnn(), callbacks, (x, y, x_val, y_val))


@case("Sequential Conv1D", "class_imbalance", split="holdout",
      also=("constant_predictions",), fixed_by="mx_wave_shapes_conv1d",
      metric="val_accuracy", source=_TUD)
def mx_waves_sawtooth_cut(callbacks):
    """TUD: only 5% of the training sawtooth waves kept (21 of 411, beside
    789 sines and squares): the training loss falls to 0.33 and the model
    never predicts a sawtooth (none of the 113 validation sawtooths;
    val_accuracy 0.597 after 12 epochs, 0.970 for the base)."""
    x, y, x_val, y_val = _waves()
    keep = _cut_class(y, 2)
    return _fit_waves(_wave_cnn(), callbacks,
                      (x[keep], y[keep], x_val, y_val))


@case("Sequential Conv1D", "loss_not_decreasing", split="holdout",
      also=("no_signal",), fixed_by="mx_wave_shapes_conv1d",
      metric="val_accuracy", source=_HDB)
def mx_waves_no_batching(callbacks):
    """HDB: the 1,200 training signals as one batch, so 12 epochs make 12
    updates at Adam's default rate: the training loss only goes from
    1.176 to 1.038, 94% of the no-information ln 3 (val_accuracy 0.467
    after 12 epochs, 0.970 for the base)."""
    return _fit_waves(_wave_cnn(), callbacks, _waves(), batch_size=1200)


@case("Sequential Conv1D", "loss_not_decreasing", split="holdout",
      also=("no_signal", "unchanged_weights", "constant_predictions"),
      fixed_by="mx_wave_shapes_conv1d", metric="val_accuracy", source=_HLR)
def mx_waves_lr_1e6(callbacks):
    """HLR: Adam's rate divided by 1,000 (1e-6): the training loss goes
    from 1.170 to 1.158, above the no-information ln 3 (val_accuracy
    0.377, one shape for every signal, after 12 epochs; 0.970 for the
    base)."""
    return _fit_waves(_wave_cnn(), callbacks, _waves(),
                      optimizer=keras.optimizers.Adam(1e-6))


@case("Sequential Conv1D", "loss_activation_mismatch", split="holdout",
      also=("loss_not_decreasing", "oscillating_loss",
            "constant_predictions", "no_signal"),
      fixed_by="mx_wave_shapes_conv1d", metric="val_accuracy", source=_ARM,
      note="on TensorFlow the loss clips the raw outputs into (0, 1) and "
           "sits at ln 3; on JAX it renormalises them and the loss jumps "
           "(1.78, 1.07, 1.00, 0.98, 3.62, 1.26, ...; val_accuracy 0.253)")
def mx_waves_no_softmax(callbacks):
    """ARM: the output softmax removed while the loss still expects
    probabilities: the loss clips the raw outputs and stays at ln 3,
    1.0986, from the second epoch on (val_accuracy 0.290 after 12
    epochs, 0.970 for the base)."""
    return _fit_waves(_wave_cnn(output=None), callbacks, _waves())


@case("Sequential Conv1D", None, split="holdout", metric="val_accuracy",
      source=_RCD)
def mx_waves_dropout_08(callbacks):
    """RCD: dropout 0.2 raised to 0.8; the training loss stays higher
    (0.59) but the model trains as well as the base (val_accuracy 0.960,
    0.970 for the base)."""
    return _fit_waves(_wave_cnn(dropout=0.8), callbacks, _waves())


@case("Sequential Conv1D", "unchanged_weights", split="holdout",
      also=("dead_units", "constant_predictions", "loss_not_decreasing",
            "no_signal", "vanishing"),
      fixed_by="mx_wave_shapes_conv1d", metric="val_accuracy", source=_WCI)
def mx_waves_zeros_init(callbacks):
    """WCI: the convolutions' kernels start at zeros: every convolution
    outputs ReLU(0) = 0, no gradient reaches either kernel, only the
    output bias learns the class shares; the loss stays at 1.098
    (val_accuracy 0.377 after 12 epochs, 0.970 for the base)."""
    return _fit_waves(_wave_cnn(initializer="zeros"), callbacks, _waves())


@case("Sequential Conv1D", None, split="holdout", metric="val_accuracy",
      source=_OCH)
def mx_waves_sgd(callbacks):
    """OCH: Adam replaced by SGD at its default rate (1e-2); the training
    loss falls more slowly (1.10 to 0.69) but the model validates about
    as well as the base (val_accuracy 0.930, 0.970 for the base; 0.940
    and 0.957 with seed 1)."""
    return _fit_waves(_wave_cnn(), callbacks, _waves(), optimizer="sgd")


# ---------------------------------------------------------------------------
# Base R: a tiny Transformer block over token sequences.


def _orders():
    """2,500 sequences of 16 tokens drawn from 3..39, with token 1 and
    token 2 put once each at two random places; label 1 where token 1
    comes first (50.3% of the rows). 2,000 to train, 500 to validate."""
    rng = np.random.default_rng(0)
    n = 2500
    x = rng.integers(3, 40, (n, 16))
    for row in range(n):
        first, second = rng.choice(16, 2, replace=False)
        x[row, first], x[row, second] = 1, 2
    y = (np.argmax(x == 1, axis=1) < np.argmax(x == 2, axis=1))
    y = y.astype("int64")
    return x[:2000], y[:2000], x[2000:], y[2000:]


class _TokenAndPosition(layers.Layer):
    """The sum of a token embedding and a learned position embedding, as
    in keras.io's 'Text classification with Transformer'."""

    def __init__(self, length, vocabulary, width, initializer="uniform",
                 **kwargs):
        super().__init__(**kwargs)
        self.tokens = layers.Embedding(vocabulary, width,
                                       embeddings_initializer=initializer)
        self.positions = layers.Embedding(length, width,
                                          embeddings_initializer=initializer)

    def call(self, x):
        steps = keras.ops.arange(keras.ops.shape(x)[-1])
        return self.tokens(x) + self.positions(steps)


def _tiny_transformer(output="softmax", initializer="uniform",
                      dropout=0.1):
    """Token and position embeddings of 32, one block (two-headed
    self-attention and a Dense(32, ReLU)-Dense(32) feed-forward part,
    each with Dropout, added back and layer-normalised), a global
    average and a softmax over two."""
    inputs = keras.Input(shape=(16,), dtype="int32")
    h = _TokenAndPosition(16, 40, 32, initializer=initializer)(inputs)
    a = layers.MultiHeadAttention(num_heads=2, key_dim=16)(h, h)
    a = layers.Dropout(dropout)(a)
    h = layers.LayerNormalization()(layers.Add()([h, a]))
    f = layers.Dense(32, activation="relu")(h)
    f = layers.Dense(32)(f)
    f = layers.Dropout(dropout)(f)
    h = layers.LayerNormalization()(layers.Add()([h, f]))
    h = layers.GlobalAveragePooling1D()(h)
    outputs = layers.Dense(2, activation=output)(h)
    return keras.Model(inputs, outputs)


def _fit_orders(model, callbacks, data, optimizer="adam"):
    """Sparse cross-entropy, 12 epochs of 32, validated on 500
    sequences."""
    x, y, x_val, y_val = data
    model.compile(optimizer=optimizer,
                  loss="sparse_categorical_crossentropy",
                  metrics=[keras.metrics.SparseCategoricalAccuracy(
                      name="accuracy")])
    return model.fit(x, y, epochs=12, batch_size=32,
                     validation_data=(x_val, y_val), verbose=0,
                     callbacks=callbacks)


@case("functional Transformer", None, split="holdout", metric="val_accuracy",
      source=_BASE)
def mx_token_order_transformer(callbacks):
    """Base R: sequences of 16 tokens into token and position embeddings
    (a small Layer subclass), one Transformer block with two-headed
    MultiHeadAttention, a global average and a softmax under sparse
    cross-entropy, 1 where token 1 comes before token 2; Adam, 12 epochs
    of 32 (training loss 0.707 to 0.110, val_accuracy 0.966; 1.0 with
    seed 1)."""
    return _fit_orders(_tiny_transformer(), callbacks, _orders())


@case("functional Transformer", "no_signal", split="holdout",
      also=("loss_not_decreasing", "constant_predictions"),
      fixed_by="mx_token_order_transformer", metric="val_accuracy",
      source=_TCL)
def mx_order_labels_shuffled(callbacks):
    """TCL on every row: the training labels are shuffled; the model
    memorises a little (training loss 0.717 to 0.659, about the
    no-information ln 2) and guesses on the validation sequences
    (val_accuracy 0.502 after 12 epochs, 0.966 for the base)."""
    x, y, x_val, y_val = _orders()
    y = np.random.default_rng(1).permutation(y)
    return _fit_orders(_tiny_transformer(), callbacks, (x, y, x_val, y_val))


@case("functional Transformer", "loss_not_decreasing", split="holdout",
      also=("oscillating_loss", "constant_predictions", "no_signal",
            "exploding"),
      fixed_by="mx_token_order_transformer", metric="val_accuracy",
      source=_HLR)
def mx_order_lr_01(callbacks):
    """HLR: Adam's rate multiplied by 100 (0.1): the batch loss jumps
    from 0.73 to 5.9 at the second step and between 0.68 and 1.2 after,
    then the epoch losses stay at ln 2 (0.698 to 0.709 from the second
    epoch on) while the model predicts one class for every sequence, now
    one, now the other (val_accuracy 0.474 or 0.526 from epoch to epoch,
    0.474 after 12 epochs; 0.966 for the base)."""
    return _fit_orders(_tiny_transformer(), callbacks, _orders(),
                       optimizer=keras.optimizers.Adam(0.1))


@case("functional Transformer", "loss_activation_mismatch",
      split="holdout", backends=("tensorflow",),
      also=("loss_not_decreasing", "constant_predictions", "no_signal",
            "unchanged_weights"),
      fixed_by="mx_token_order_transformer", metric="val_accuracy",
      source=_ACH,
      note="TensorFlow only: there the loss clips the outputs into (0, 1) "
           "before taking their logs, so softplus outputs above 1 give no "
           "gradient; on JAX the loss renormalises them and the model "
           "trains as the base (val_accuracy 0.998), so the mutant has no "
           "cost there")
def mx_order_softplus_output(callbacks):
    """ACH: the output softmax becomes a softplus under sparse
    cross-entropy, whose outputs (about 1 at the start, 2.7 to 3.6 at
    the end) are no probabilities: the loss clips them to the same value
    and stays at ln 2, 0.6931, at every epoch (val_accuracy 0.520, one
    class for every sequence, after 12 epochs; 0.966 for the base)."""
    return _fit_orders(_tiny_transformer(output="softplus"), callbacks,
                       _orders())


@case("functional Transformer", None, split="holdout", metric="val_accuracy",
      source=_RCD)
def mx_order_dropout_05(callbacks):
    """RCD: dropout 0.1 raised to 0.5 in the block; trains as well as the
    base (val_accuracy 0.936, 0.966 for the base; 1.0 and 1.0 with seed
    1)."""
    return _fit_orders(_tiny_transformer(dropout=0.5), callbacks, _orders())


@case("functional Transformer", "loss_not_decreasing", split="holdout",
      also=("unchanged_weights", "no_signal", "constant_predictions",
            "vanishing"),
      fixed_by="mx_token_order_transformer", metric="val_accuracy",
      source=_WCI)
def mx_order_zeros_embeddings(callbacks):
    """WCI: the token and position embeddings start at zeros: every
    sequence looks the same, at the first step every kernel (attention,
    feed-forward, output) gets a zero gradient and only the embeddings
    and biases move; the training loss stays at ln 2 (0.70) for ten
    epochs and is 0.557 at the last, above 3/4 of ln 2 (val_accuracy
    0.808 after 12 epochs, 0.966 for the base; 0.619 and 0.798 against
    1.0 with seed 1)."""
    return _fit_orders(_tiny_transformer(initializer="zeros"), callbacks,
                       _orders())


@case("functional Transformer", "loss_not_decreasing", split="holdout",
      also=("no_signal", "unchanged_weights"),
      fixed_by="mx_token_order_transformer", metric="val_accuracy",
      source=_OCH)
def mx_order_adagrad(callbacks):
    """OCH: Adam replaced by Adagrad at its default rate (1e-3): the
    training loss goes from 0.709 to 0.675, the no-information ln 2
    (val_accuracy 0.582 after 12 epochs, 0.966 for the base)."""
    return _fit_orders(_tiny_transformer(), callbacks, _orders(),
                       optimizer="adagrad")


# ---------------------------------------------------------------------------
# Base S: an embedding bag regressing a rating, fed by tf.data.


def _ratings():
    """3,000 toy reviews of 8 to 30 word ids in 1..199, padded with 0 to
    30; ids 1-20 are good words, 21-40 bad, the rest neutral. The rating
    is 3 plus 2 tanh of (good minus bad words) / 2, plus noise of 0.3,
    rounded to a star from 1 to 5 (mean 3.01, variance 1.685 on the
    training rows). 2,400 to train, 600 to validate."""
    rng = np.random.default_rng(0)
    n = 3000
    x = np.zeros((n, 30), dtype="int32")
    score = np.zeros(n)
    for row in range(n):
        words = rng.integers(1, 200, rng.integers(8, 31))
        x[row, :len(words)] = words
        good = np.sum(words <= 20)
        bad = np.sum((words > 20) & (words <= 40))
        score[row] = 3 + 2 * np.tanh((good - bad) / 2)
    score = score + rng.normal(0.0, 0.3, n)
    y = np.clip(np.round(score), 1, 5).astype("float32")
    return x[:2400], y[:2400], x[2400:], y[2400:]


def _datasets(data, batch_size=32):
    """tf.data pipelines: the training rows shuffled and batched, the
    validation rows batched."""
    x, y, x_val, y_val = data
    train = tf.data.Dataset.from_tensor_slices((x, y))
    train = train.shuffle(len(x), seed=0).batch(batch_size)
    val = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(256)
    return train, val


def _rating_bag(hidden="relu", output=None, use_bias=True):
    """Embedding(200, 16) with the padding masked, GlobalAveragePooling1D,
    Dense(16) and one output unit."""
    return keras.Sequential([
        keras.Input(shape=(30,), dtype="int32"),
        layers.Embedding(200, 16, mask_zero=True),
        layers.GlobalAveragePooling1D(),
        layers.Dense(16, activation=hidden, use_bias=use_bias),
        layers.Dense(1, activation=output, use_bias=use_bias),
    ])


def _fit_ratings(model, callbacks, data, optimizer="adam", loss="mse",
                 batch_size=32):
    """The mse unless told, tracked on 600 reviews whatever the loss; 15
    epochs over the datasets."""
    train, val = _datasets(data, batch_size)
    model.compile(optimizer=optimizer, loss=loss,
                  metrics=[keras.metrics.MeanSquaredError(name="mse")])
    return model.fit(train, epochs=15, validation_data=val, verbose=0,
                     callbacks=callbacks)


@case("Sequential embedding bag, tf.data", None, split="holdout",
      metric="val_mse", source=_BASE)
def mx_ratings_bag_dataset(callbacks):
    """Base S: word ids into Embedding(200, 16, mask_zero=True), a masked
    GlobalAveragePooling1D, Dense(16, ReLU) and a linear unit for the
    star under mse, fed by tf.data pipelines (shuffled, batches of 32);
    Adam, 15 epochs (training loss 7.88 to 0.308, val_mse 0.372; 0.369
    with seed 1)."""
    return _fit_ratings(_rating_bag(), callbacks, _ratings())


@case("Sequential embedding bag, tf.data", "loss_not_decreasing",
      split="holdout", also=("no_signal", "constant_predictions"),
      fixed_by="mx_ratings_bag_dataset", metric="val_mse", source=_HBS)
def mx_ratings_batch_512(callbacks):
    """HBS: batches of 512 instead of 32, 5 steps an epoch, so 15 epochs
    make 75 updates: the training loss goes from 10.5 to 1.553, 92% of
    the no-information 1.685 (the stars' variance): the model has only
    found their mean (val_mse 1.607 after 15 epochs, 0.372 for the
    base)."""
    return _fit_ratings(_rating_bag(), callbacks, _ratings(),
                        batch_size=512)


@case("Sequential embedding bag, tf.data", "loss_not_decreasing",
      split="holdout",
      also=("no_signal", "unchanged_weights", "constant_predictions"),
      fixed_by="mx_ratings_bag_dataset", metric="val_mse", source=_HLR)
def mx_ratings_lr_1e6(callbacks):
    """HLR: Adam's rate divided by 1,000 (1e-6): the training loss goes
    from 10.75 to 10.69, the mean square of the stars, as the output
    stays near 0 (val_mse 10.86 after 15 epochs, 0.372 for the base)."""
    return _fit_ratings(_rating_bag(), callbacks, _ratings(),
                        optimizer=keras.optimizers.Adam(1e-6))


@case("Sequential embedding bag, tf.data", None, split="holdout",
      metric="val_mse", source=_ARM)
def mx_ratings_linear_hidden(callbacks):
    """ARM: the hidden Dense layer loses its ReLU, a linear model of the
    averaged embeddings; trains about as well as the base (val_mse
    0.410, 0.372 for the base, a ratio of 1.10)."""
    return _fit_ratings(_rating_bag(hidden=None), callbacks, _ratings())


@case("Sequential embedding bag, tf.data", "label_mismatch",
      split="holdout",
      also=("loss_not_decreasing", "saturated_units",
            "constant_predictions"),
      fixed_by="mx_ratings_bag_dataset", metric="val_mse", source=_AAL)
def mx_ratings_sigmoid_output(callbacks):
    """AAL: a sigmoid added to the output unit, which cannot reach the
    stars from 1 to 5: the training loss stops at 5.73 (val_mse 5.87
    after 15 epochs, 0.372 for the base)."""
    return _fit_ratings(_rating_bag(output="sigmoid"), callbacks,
                        _ratings())


@case("Sequential embedding bag, tf.data", None, split="holdout",
      metric="val_mse", source=_WRB)
def mx_ratings_no_bias(callbacks):
    """WRB: no bias in either Dense layer; trains as well as the base
    (val_mse 0.388, 0.372 for the base)."""
    return _fit_ratings(_rating_bag(use_bias=False), callbacks, _ratings())


@case("Sequential embedding bag, tf.data", "label_mismatch",
      split="holdout",
      also=("loss_not_decreasing", "unchanged_weights",
            "constant_predictions", "loss_activation_mismatch"),
      fixed_by="mx_ratings_bag_dataset", metric="val_mse", source=_LCH,
      note="val_loss is the cosine similarity; the mse is tracked "
           "whatever the loss")
def mx_ratings_cosine_loss(callbacks):
    """LCH: the mse replaced by the cosine similarity, which on one
    output unit only reads the signs: the loss is -1 from the second
    epoch on, as soon as the outputs are positive, while the stars are
    not fitted (val_mse 8.61 after 15 epochs, 0.372 for the base)."""
    return _fit_ratings(_rating_bag(), callbacks, _ratings(),
                        loss="cosine_similarity")


@case("Sequential embedding bag, tf.data", "loss_not_decreasing",
      split="holdout", also=("no_signal", "constant_predictions"),
      fixed_by="mx_ratings_bag_dataset", metric="val_mse", source=_OCH)
def mx_ratings_sgd(callbacks):
    """OCH: Adam replaced by SGD at its default rate (1e-2): the training
    loss reaches the stars' variance within the first epoch (whose mean
    is 2.85) and then only goes from 1.681 to 1.551, 92% of the
    no-information 1.685 (val_mse 1.604 after 15 epochs, 0.372 for the
    base)."""
    return _fit_ratings(_rating_bag(), callbacks, _ratings(),
                        optimizer="sgd")
