"""The setup rules that read what the model can learn from the targets:
the output's range, the targets' scale, a label leak, nothing to train."""

import warnings

import keras
import numpy as np
import pandas as pd
import pytest

from kerasnn.callbacks import GradientMonitor
from kerasnn.callbacks import check_setup

L = keras.layers


def _model(units, activation, loss, inputs=4):
    model = keras.Sequential([keras.Input((inputs,)), L.Dense(16, "relu"),
                              L.Dense(units, activation, name="head")])
    model.compile("adam", loss)
    return model


def _kinds(findings):
    return [f["kind"] for f in findings]


def test_sigmoid_output_cannot_reach_targets_up_to_100(rng):
    x = rng.normal(size=(200, 4))
    y = rng.uniform(0, 100, 200)
    found = check_setup(_model(1, "sigmoid", "mse"), x, y)
    assert _kinds(found) == ["label_mismatch"]
    assert "outside [0, 1)" in found[0]["message"]
    assert "range of the sigmoid on output layer 'head'" in found[0]["message"]
    assert f"`y / {y.max():.3g}`" in found[0]["fix"]
    # The same targets scaled into the sigmoid's range are fine.
    assert check_setup(_model(1, "sigmoid", "mse"), x, y / 100) == []


def test_relu_output_cannot_reach_negative_standardised_targets(rng):
    x = rng.normal(size=(200, 4))
    y = rng.normal(size=200)  # standardised: half of it below zero
    found = check_setup(_model(1, "relu", "mse"), x, y)
    assert _kinds(found) == ["label_mismatch"]
    assert "linear output" in found[0]["fix"]
    # A few negative values among positive ones are not a bug.
    y = np.abs(y)
    y[:5] = -0.1
    assert check_setup(_model(1, "relu", "mse"), x, y) == []


@pytest.mark.parametrize("loss", ["categorical_crossentropy", "mse"])
def test_multi_hot_targets_under_softmax(rng, loss):
    x = rng.normal(size=(120, 4))
    y = (rng.uniform(size=(120, 5)) < 0.4).astype("float32")
    y[:, 0] = 1.0  # at least one label a row, often several
    found = check_setup(_model(5, "softmax", loss), x, y)
    assert _kinds(found) == ["label_mismatch"]
    assert "multi-hot" in found[0]["message"]
    assert "activation=\"sigmoid\"" in found[0]["fix"]
    assert "binary_crossentropy" in found[0]["fix"]


def test_signed_targets_under_softmax_and_crossentropy(rng):
    x = rng.normal(size=(100, 4))
    y = rng.uniform(-20, 20, size=(100, 2))
    found = check_setup(_model(2, "softmax", "categorical_crossentropy"), x, y)
    assert _kinds(found) == ["label_mismatch"]
    assert "linear output" in found[0]["fix"]


def test_sigmoid_units_under_categorical_crossentropy(rng):
    x = rng.normal(size=(90, 4))
    ids = np.arange(90) % 3
    y = keras.utils.to_categorical(ids, 3)
    found = check_setup(_model(3, "sigmoid", "categorical_crossentropy"), x, y)
    assert _kinds(found) == ["loss_activation_mismatch"]
    assert "activation=\"softmax\"" in found[0]["fix"]
    found = check_setup(
        _model(3, "sigmoid", "sparse_categorical_crossentropy"), x, ids)
    assert _kinds(found) == ["loss_activation_mismatch"]
    # Multi-label targets under the same pair: the loss is what is wrong.
    y[:30, 0] = 1.0
    found = check_setup(_model(3, "sigmoid", "categorical_crossentropy"), x, y)
    assert "binary_crossentropy" in found[0]["fix"]


def test_softmax_over_several_classes_under_binary_crossentropy(rng):
    x = rng.normal(size=(200, 4))
    y = keras.utils.to_categorical(rng.integers(0, 4, 200), 4)
    found = check_setup(_model(4, "softmax", "binary_crossentropy"), x, y)
    assert _kinds(found) == ["loss_activation_mismatch"]
    assert "binary accuracy" in found[0]["message"]
    assert "categorical_crossentropy" in found[0]["fix"]
    # Two classes one-hot under softmax and binary cross-entropy are the
    # same loss twice over, not a mismatch.
    two = keras.utils.to_categorical(rng.integers(0, 2, 200), 2)
    assert check_setup(_model(2, "softmax", "binary_crossentropy"), x,
                       two) == []


def test_one_unit_under_categorical_crossentropy(rng):
    x = rng.normal(size=(200, 4))
    y = rng.integers(0, 2, 200).astype("float32")
    found = check_setup(_model(1, "sigmoid", "categorical_crossentropy"), x,
                        y)
    assert _kinds(found) == ["loss_activation_mismatch"]
    assert "binary_crossentropy" in found[0]["fix"]


def test_several_target_columns_against_one_unit(rng):
    x = rng.normal(size=(64, 4))
    y = keras.utils.to_categorical(np.arange(64) % 2, 2)
    found = check_setup(_model(1, None, "mse"), x, y)
    assert _kinds(found) == ["label_mismatch"]
    assert "2 columns per row" in found[0]["message"]


@pytest.mark.parametrize("loss,words", [
    ("msle", "clipped at 0"), (keras.losses.Poisson(), "models counts")])
def test_negative_targets_under_a_logarithm_of_the_targets(rng, loss, words):
    x = rng.normal(size=(200, 4))
    y = rng.normal(size=200)  # standardised: half of it negative
    found = check_setup(_model(1, None, loss), x, y)
    assert _kinds(found) == ["label_mismatch"]
    assert "are negative" in found[0]["message"]
    assert words in found[0]["message"]
    assert '`loss="mse"`' in found[0]["fix"]
    # Targets >= 0, what these losses are for, are fine.
    assert check_setup(_model(1, "softplus", loss), x, np.exp(y)) == []


def test_rows_that_are_not_distributions_under_kl_divergence(rng):
    x = rng.normal(size=(200, 4))
    multi_hot = (rng.random((200, 3)) < 0.5).astype("float32")
    found = check_setup(_model(3, "sigmoid", "kld"), x, multi_hot)
    assert _kinds(found) == ["label_mismatch"]
    assert "not probability distributions" in found[0]["message"]
    assert "binary_crossentropy" in found[0]["fix"]
    rows = rng.random((200, 3))
    assert check_setup(_model(3, "softmax", "kld"), x,
                       rows / rows.sum(axis=1, keepdims=True)) == []


def test_targets_around_zero_under_a_percentage_error(rng):
    x = rng.normal(size=(200, 4))
    y = rng.normal(size=200)
    found = check_setup(_model(1, None, "mape"), x, y)
    assert _kinds(found) == ["label_mismatch"]
    assert "both sides of 0" in found[0]["message"]
    # Positive prices, what a percentage error is for, are fine.
    assert check_setup(_model(1, None, "mape"), x, 2 + 0.3 * y) == []


def test_unscaled_regression_target(rng):
    x = rng.normal(size=(200, 4))
    y = 200_000 + 90_000 * rng.normal(size=200)
    found = check_setup(_model(1, None, "mse"), x, y)
    assert _kinds(found) == ["unscaled_targets"]
    assert "standardise the target" in found[0]["fix"]
    assert check_setup(_model(1, None, "mse"), x, (y - y.mean()) / y.std()) \
        == []
    # A model whose output is already on the targets' scale is fine.
    model = keras.Sequential([keras.Input((4,)), L.Dense(1),
                              L.Rescaling(100_000, offset=200_000)])
    model.compile("adam", "mse")
    assert check_setup(model, x, y) == []


def test_unscaled_target_is_named_before_the_explosion(rng):
    x = rng.normal(size=(256, 4)).astype("float32")
    y = (300_000 + 100_000 * x[:, 0]).astype("float32")
    model = _model(1, None, "mse")
    model.compile(keras.optimizers.SGD(0.01), "mse")
    monitor = GradientMonitor(every=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x, y, epochs=2, batch_size=32, verbose=0,
                  callbacks=[monitor])
    assert monitor.report()["status"] == "unscaled_targets"


def test_label_column_left_in_the_inputs(rng):
    df = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    df["label"] = (df["a"] + rng.normal(size=300) > 0).astype("int64")
    x = df.to_numpy("float32")  # the label went in with the features
    found = check_setup(_model(1, "sigmoid", "binary_crossentropy"), x,
                        df["label"].to_numpy())
    assert _kinds(found) == ["target_leak"]
    assert "column 3" in found[0]["message"]
    found = check_setup(_model(1, "sigmoid", "binary_crossentropy"),
                        df, df["label"].to_numpy())
    assert "'label'" in found[0]["message"]
    # A feature that merely separates the classes well is no leak.
    y = (df["a"] > 0).astype("int64").to_numpy()
    assert check_setup(_model(1, "sigmoid", "binary_crossentropy", inputs=3),
                       df[["a", "b", "c"]], y) == []


def test_multiclass_label_recoded_in_the_inputs(rng):
    ids = rng.permutation(np.arange(300) % 3)
    x = np.c_[rng.normal(size=(300, 2)), 10.0 * ids + 1.0]
    found = check_setup(
        _model(3, "softmax", "sparse_categorical_crossentropy", inputs=3),
        x / 30.0, ids)
    assert _kinds(found) == ["target_leak"]


def test_inputs_wiped_out_to_one_value_are_no_signal(rng):
    x = rng.uniform(0, 1, size=(300, 8)).astype("float32")
    y = rng.integers(0, 2, 300)
    model = _model(1, "sigmoid", "binary_crossentropy", inputs=8)
    # `astype(int)` of values in [0, 1): every input is 0.
    found = check_setup(model, x.astype(int), y)
    assert _kinds(found) == ["no_signal"]
    assert "x holds only 0" in found[0]["message"]
    assert "astype(int)" in found[0]["fix"]
    assert check_setup(model, x, y) == []
    # One column that never varies beside others that do is no finding.
    x[:, 0] = 1.0
    assert check_setup(model, x, y) == []


def test_frozen_model_has_nothing_to_train(rng):
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = _model(1, "sigmoid", "binary_crossentropy")
    model.trainable = False
    model.compile("adam", "binary_crossentropy")
    found = check_setup(model, x, y)
    assert _kinds(found) == ["nothing_to_train"]
    assert "layer.trainable = True" in found[0]["fix"]
    monitor = GradientMonitor()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x, y, epochs=1, batch_size=16, verbose=0,
                  callbacks=[monitor])
    assert monitor.report()["status"] == "nothing_to_train"


def test_an_84_16_split_is_no_imbalance_but_95_5_is(rng):
    x = rng.normal(size=(200, 4))
    y = rng.permutation((np.arange(200) < 32).astype("int64"))  # 84 / 16
    model = _model(1, "sigmoid", "binary_crossentropy")
    assert check_setup(model, x, y) == []
    y = rng.permutation((np.arange(200) < 10).astype("int64"))  # 95 / 5
    assert _kinds(check_setup(model, x, y)) == ["class_imbalance"]


def test_inputs_that_barely_vary_around_a_large_offset(rng):
    x = np.c_[65 + 1.5 * rng.normal(size=200), rng.normal(size=(200, 3))]
    found = check_setup(_model(1, None, "mse"), x, rng.normal(size=200))
    assert _kinds(found) == ["unscaled_inputs"]
    assert "sits far from zero" in found[0]["message"]
    # Counts or ages spread about their mean are left alone.
    x[:, 0] = rng.integers(18, 80, 200)
    assert check_setup(_model(1, None, "mse"), x, rng.normal(size=200)) == []


def test_top_classes_the_targets_never_hold(rng):
    # Labels 0, 1, 2 min-max scaled to 0, 0.5, 1 and truncated by
    # to_categorical: class 2 of the three softmax units never occurs.
    x = rng.normal(size=(300, 4))
    codes = rng.integers(0, 3, 300)
    y = keras.utils.to_categorical(codes / 2.0, 3)
    found = check_setup(_model(3, "softmax", "categorical_crossentropy"), x, y)
    assert _kinds(found) == ["label_mismatch"]
    assert "class 2 never occurs" in found[0]["message"]
    assert "to_categorical" in found[0]["fix"]
    # The integer codes cover every unit; labels counted from 1 (unit 0
    # unused, a harmless habit) and ids with gaps are left alone.
    good = keras.utils.to_categorical(codes, 3)
    assert check_setup(_model(3, "softmax", "categorical_crossentropy"),
                       x, good) == []
    sparse = "sparse_categorical_crossentropy"
    assert check_setup(_model(4, "softmax", sparse), x, codes + 1) == []
    assert check_setup(_model(5, "softmax", sparse), x, codes * 2) == []
    found = check_setup(_model(5, "softmax", sparse), x, codes)
    assert "classes 3..4 never occur" in found[0]["message"]


def test_classes_cut_off_by_a_sorted_split_are_named_as_the_split(rng):
    x = rng.normal(size=(400, 4)).astype("float32")
    y = np.repeat(np.arange(4), 100)
    model = _model(4, "softmax", "sparse_categorical_crossentropy")
    monitor = GradientMonitor(every=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x, y, validation_split=0.25, epochs=1, batch_size=50,
                  verbose=0, callbacks=[monitor])
    kinds = _kinds(monitor.report()["findings"])
    assert "sorted_validation_split" in kinds
    assert "label_mismatch" not in kinds


def test_a_custom_loss_may_read_targets_outside_the_output_range(rng):
    # A policy-gradient loss takes advantages in [0, 1.5] as the targets
    # of a softmax: they weigh the log-probabilities, they are not what
    # the output must reach.
    def policy_loss(y_true, y_pred):
        return -keras.ops.sum(keras.ops.log(y_pred) * y_true, axis=-1)

    x = rng.normal(size=(200, 4))
    y = np.zeros((200, 2))
    y[np.arange(200), rng.integers(0, 2, 200)] = rng.uniform(0.5, 1.5, 200)
    assert check_setup(_model(2, "softmax", policy_loss), x, y) == []
    # Under a built-in loss the same targets cannot be reached.
    found = check_setup(_model(2, "softmax", "mse"), x, y)
    assert _kinds(found) == ["label_mismatch"]
