import textwrap

import keras
import numpy as np
import pandas as pd
import pytest

from kerasnn.callbacks._base import CallbackTypeError
from kerasnn.callbacks._base import CallbackValueError
from kerasnn.callbacks._findings import SETUP_KINDS
from kerasnn.callbacks.setup_checks import check_setup

L = keras.layers


def _dense(units, activation=None, inputs=4, loss=None, name="head"):
    model = keras.Sequential([keras.Input((inputs,)), L.Dense(8, "relu"),
                              L.Dense(units, activation, name=name)])
    if loss is not None:
        model.compile("adam", loss)
    return model


def _one(findings, kind):
    assert [f["kind"] for f in findings] == [kind], findings
    finding = findings[0]
    assert finding["step"] is None and finding["fix"]
    assert kind in SETUP_KINDS
    return finding


def _balanced(rng, n, k):
    return rng.permutation(np.arange(n) % k)


# Healthy setups.


def _mnist_rescaled(rng):
    x = rng.integers(0, 256, (64, 28, 28)).astype("uint8")
    model = keras.Sequential([keras.Input((28, 28)), L.Rescaling(1 / 255),
                              L.Flatten(), L.Dense(10, "softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    return model, x, _balanced(rng, 64, 10), {}


def _scaled_softmax(rng):
    x = rng.integers(0, 256, (64, 784)) / 255.0
    model = _dense(10, "softmax", 784, "sparse_categorical_crossentropy")
    return model, x, _balanced(rng, 64, 10), {}


def _logits(rng):
    x = rng.normal(size=(64, 4))
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    return _dense(3, None, loss=loss), x, _balanced(rng, 64, 3), {}


def _sigmoid_bce(rng):
    x = rng.normal(size=(64, 4))
    model = _dense(1, "sigmoid", loss="binary_crossentropy")
    return model, x, _balanced(rng, 64, 2), {}


def _one_hot_cce(rng):
    x = rng.normal(size=(60, 4))
    y = keras.utils.to_categorical(_balanced(rng, 60, 3), 3)
    return _dense(3, "softmax", loss="categorical_crossentropy"), x, y, {}


def _regression(rng):
    x = rng.normal(size=(64, 4))
    y = x @ np.array([1.0, -2.0, 0.5, 3.0]) + 10 * rng.normal(size=64)
    return _dense(1, loss="mse"), x, y, {"validation_split": 0.2}


def _tokens(rng):
    x = rng.integers(0, 1000, (64, 12))
    model = keras.Sequential([keras.Input((12,), dtype="int32"),
                              L.Embedding(1000, 8),
                              L.GlobalAveragePooling1D(),
                              L.Dense(1, "sigmoid")])
    model.compile("adam", "binary_crossentropy")
    return model, x, _balanced(rng, 64, 2), {}


def _adapted_table(rng):
    x = np.column_stack([rng.normal(size=64), 3e4 + 5e3 * rng.normal(size=64)])
    norm = L.Normalization()
    norm.adapt(x)
    model = keras.Sequential([keras.Input((2,)), norm, L.Dense(1)])
    model.compile("adam", "mse")
    return model, x, rng.normal(size=64), {}


def _multi_io(rng):
    image = keras.Input((8, 8, 1), name="image")
    table = keras.Input((3,), name="table")
    h = L.Concatenate()([L.Flatten()(L.Rescaling(1 / 255)(image)), table])
    h = L.Dense(8, "relu")(h)
    model = keras.Model({"image": image, "table": table},
                        {"kind": L.Dense(4, "softmax", name="kind")(h),
                         "price": L.Dense(1, name="price")(h)})
    model.compile("adam", {"kind": "sparse_categorical_crossentropy",
                           "price": "mse"})
    x = {"image": rng.integers(0, 256, (40, 8, 8, 1)).astype("uint8"),
         "table": rng.normal(size=(40, 3))}
    y = {"kind": _balanced(rng, 40, 4), "price": rng.normal(size=40)}
    return model, x, y, {}


def _mild_imbalance(share):
    def build(rng):
        n = 100
        y = rng.permutation((np.arange(n) < share).astype("int64"))
        model = _dense(1, "sigmoid", loss="binary_crossentropy")
        return model, rng.normal(size=(n, 4)), y, {"validation_split": 0.2}
    return build


def _weighted_imbalance(rng):
    y = (np.arange(100) < 5).astype("int64")
    model = _dense(1, "sigmoid", loss="binary_crossentropy")
    return model, rng.normal(size=(100, 4)), y, {"class_weight": {0: 1,
                                                                   1: 19}}


def _unbuilt_sequential(rng):
    model = keras.Sequential([L.Dense(8, "relu"), L.Dense(1, "sigmoid")])
    model.compile("adam", "binary_crossentropy")
    return model, rng.normal(size=(32, 4)), _balanced(rng, 32, 2), {}


def _uncompiled(rng):
    return _dense(3, "softmax"), rng.normal(size=(30, 4)), None, {}


@pytest.mark.parametrize("build", [
    _mnist_rescaled, _scaled_softmax, _logits, _sigmoid_bce, _one_hot_cce,
    _regression, _tokens, _adapted_table, _multi_io, _mild_imbalance(60),
    _mild_imbalance(76), _weighted_imbalance, _unbuilt_sequential,
    _uncompiled,
], ids=lambda f: f.__name__)
def test_healthy_setups_return_no_finding(rng, build):
    model, x, y, kwargs = build(rng)
    assert check_setup(model, x, y, **kwargs) == []


def test_validation_split_zero_means_no_split(rng):
    y = np.sort(_balanced(rng, 40, 2))
    model = _dense(1, "sigmoid", loss="binary_crossentropy")
    assert check_setup(model, rng.normal(size=(40, 4)), y,
                       validation_split=0.0) == []


# loss_activation_mismatch


def test_softmax_with_from_logits_true(rng):
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model = _dense(3, "softmax", loss=loss)
    found = check_setup(model, rng.normal(size=(30, 4)), _balanced(rng, 30, 3))
    if keras.backend.backend() == "tensorflow":
        # Keras on TensorFlow computes this loss from the softmax's input
        # (tests/test_keras_compat.py checks it): the model trains right.
        assert found == []
        return
    f = _one(found, "loss_activation_mismatch")
    assert f["layer"] == "head"
    assert "applies softmax" in f["message"]
    assert "from_logits=True" in f["message"]
    assert "SparseCategoricalCrossentropy()" in f["fix"]


@pytest.mark.parametrize("loss", [
    "binary_crossentropy", keras.losses.binary_crossentropy,
    keras.losses.BinaryCrossentropy(),
    keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True),
])
def test_linear_output_with_probability_loss(rng, loss):
    model = _dense(1, None, loss=loss)
    x = 3 * rng.normal(size=(30, 4))
    f = _one(check_setup(model, x, _balanced(rng, 30, 2)),
             "loss_activation_mismatch")
    assert f["layer"] == "head"
    assert "has no activation" in f["message"]
    assert "from_logits=False" in f["message"]
    assert "(from_logits=True)" in f["fix"] and "sigmoid" in f["fix"]


@pytest.mark.filterwarnings("ignore:You are using a softmax")
def test_softmax_over_one_unit(rng):
    model = _dense(1, "softmax", loss="binary_crossentropy")
    f = _one(check_setup(model, rng.normal(size=(30, 4)),
                         _balanced(rng, 30, 2)), "loss_activation_mismatch")
    assert f["layer"] == "head"
    assert "softmax over 1 unit" in f["message"]
    assert "always outputs 1.0" in f["message"]
    assert 'Dense(1, activation="sigmoid")' in f["fix"]


def test_relu_output_under_crossentropy(rng):
    model = _dense(4, "relu", loss="categorical_crossentropy")
    y = keras.utils.to_categorical(_balanced(rng, 40, 4), 4)
    f = _one(check_setup(model, rng.normal(size=(40, 4)), y),
             "loss_activation_mismatch")
    assert f["layer"] == "head" and "uses relu" in f["message"]
    assert 'activation="softmax"' in f["fix"]


@pytest.mark.parametrize("activation,loss", [
    ("sigmoid", "binary_crossentropy"),
    (None, keras.losses.BinaryCrossentropy(from_logits=True)),
])
def test_independent_outputs_over_one_class_per_row(rng, activation, loss):
    model = _dense(5, activation, loss=loss)
    y = keras.utils.to_categorical(_balanced(rng, 60, 5), 5)
    f = _one(check_setup(model, rng.normal(size=(60, 4)), y),
             "loss_activation_mismatch")
    assert f["layer"] == "head"
    assert "one-hot over 5 classes" in f["message"] and "80%" in f["message"]
    assert 'activation="softmax"' in f["fix"]
    assert "categorical_crossentropy" in f["fix"]


def test_independent_outputs_over_several_labels_a_row(rng):
    model = _dense(5, "sigmoid", loss="binary_crossentropy")
    y = (rng.random((60, 5)) < 0.4).astype("float32")
    y[:, 0] = 1.0  # every row has at least two labels or none is single
    y[:, 1] = 1.0
    assert check_setup(model, rng.normal(size=(60, 4)), y) == []


@pytest.mark.parametrize("noise,effect", [
    (L.Dropout(0.5), "zeroes outputs at random"),
    (L.GaussianNoise(0.1), "adds random noise"),
])
def test_training_noise_after_the_output(rng, noise, effect):
    inputs = keras.Input((4,))
    probs = L.Dense(3, "softmax", name="head")(L.Dense(8, "relu")(inputs))
    model = keras.Model(inputs, noise(probs))
    model.compile("adam", "mse")
    y = keras.utils.to_categorical(_balanced(rng, 60, 3), 3)
    f = _one(check_setup(model, rng.normal(size=(60, 4)), y),
             "loss_activation_mismatch")
    assert f["layer"] == noise.name and effect in f["message"]
    assert "output layer 'head'" in f["message"]
    assert f"move `{type(noise).__name__}` before" in f["fix"]


def test_dropout_before_the_output_and_zero_rate_after_are_fine(rng):
    model = keras.Sequential([keras.Input((4,)), L.Dense(8, "relu"),
                              L.Dropout(0.5), L.Dense(3, "softmax"),
                              L.Dropout(0.0)])
    model.compile("adam", "categorical_crossentropy")
    y = keras.utils.to_categorical(_balanced(rng, 60, 3), 3)
    assert check_setup(model, rng.normal(size=(60, 4)), y) == []


class _Classifier(keras.Model):
    def __init__(self, activation):
        super().__init__()
        self.hidden = L.Dense(8, "relu")
        self.out = L.Dense(3, activation)

    def call(self, x):
        return self.out(self.hidden(x))


def test_unbuilt_subclassed_model_is_read_from_its_values(rng):
    model = _Classifier("softmax")
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    assert not model.built
    f = _one(check_setup(model, rng.normal(size=(30, 4)),
                         _balanced(rng, 30, 3)), "loss_activation_mismatch")
    assert model.built  # built by the forward pass, as fit would
    assert f["layer"] is None and "applies softmax" in f["message"]


def test_subclassed_logits_under_probability_loss(rng):
    model = _Classifier(None)
    model.compile("adam", "sparse_categorical_crossentropy")
    f = _one(check_setup(model, 5 * rng.normal(size=(30, 4)),
                         _balanced(rng, 30, 3)), "loss_activation_mismatch")
    assert "outside [0, 1]" in f["message"]


def test_subclassed_healthy(rng):
    model = _Classifier("softmax")
    model.compile("adam", "sparse_categorical_crossentropy")
    assert check_setup(model, rng.normal(size=(30, 4)),
                       _balanced(rng, 30, 3)) == []


# label_mismatch


def _labels_case(rng, units, activation, loss, y):
    model = _dense(units, activation, loss=loss)
    return check_setup(model, rng.normal(size=(len(y), 4)), y)


@pytest.mark.parametrize("units, activation, loss, y, seen, fix", [
    (3, "softmax", "sparse_categorical_crossentropy",
     np.arange(40) % 4, "10 of 40 labels in y are outside 0..2",
     "give output layer 'head' 4 units"),
    (3, "softmax", "sparse_categorical_crossentropy",
     np.arange(40) % 3 + 1, "range 1..3", "pass `y - 1`"),
    (1, "sigmoid", "sparse_categorical_crossentropy",
     np.arange(40) % 2, "outside 0..0", "binary_crossentropy"),
    (3, "softmax", "sparse_categorical_crossentropy",
     keras.utils.to_categorical(np.arange(30) % 3, 3), "is one-hot",
     "np.argmax(y, axis=-1)"),
    (3, "softmax", "categorical_crossentropy", np.arange(30) % 3,
     "one class id per row (shape (30,))", "to_categorical(y, 3)"),
    (3, "softmax", "categorical_crossentropy",
     (np.arange(30) % 3)[:, None], "shape (30, 1)",
     "sparse_categorical_crossentropy"),
    (1, "sigmoid", "binary_crossentropy", np.arange(40) % 2 + 1,
     "values {1, 2}", "`y - 1`"),
    (1, "sigmoid", "binary_crossentropy", np.arange(40) % 2 * 2 - 1,
     "values {-1, 1}", "`(y + 1) / 2`"),
    (1, "sigmoid", "binary_crossentropy", np.arange(40) % 10,
     "values {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}", "Dense(10"),
    (1, None, "mse", np.arange(40) % 10, "10 distinct whole values 0..9",
     'Dense(10, activation="softmax")'),
    (3, "softmax", "mse", np.arange(30) % 3,
     "one value per row but output layer 'head' has 3 units",
     "to_categorical(y, 3)"),
], ids=["sparse_range", "sparse_from_1", "sparse_one_unit", "one_hot_sparse",
        "ids_cce", "ids_n1_cce", "bce_12", "bce_pm1", "bce_digits",
        "classes_mse", "ids_mse_broadcast"])
def test_label_mismatch(rng, units, activation, loss, y, seen, fix):
    f = _one(_labels_case(rng, units, activation, loss, y), "label_mismatch")
    assert f["layer"] == "head"
    assert seen in f["message"]
    assert fix in f["fix"]


def test_ignore_class_is_not_out_of_range(rng):
    y = np.where(np.arange(30) % 5 == 0, -1, np.arange(30) % 3)
    loss = keras.losses.SparseCategoricalCrossentropy(ignore_class=-1)
    assert _labels_case(rng, 3, "softmax", loss, y) == []


def test_counts_under_mse_are_not_flagged(rng):
    y = rng.poisson(30, size=60).astype("float64")
    assert _labels_case(rng, 1, None, "mse", y) == []


# unscaled_inputs


def test_raw_pixels(rng):
    x = rng.integers(0, 256, (40, 8, 8)).astype("float32")
    model = keras.Sequential([keras.Input((8, 8)), L.Flatten(),
                              L.Dense(10, "softmax", name="head")])
    model.compile("adam", "sparse_categorical_crossentropy")
    f = _one(check_setup(model, x, _balanced(rng, 40, 10)),
             "unscaled_inputs")
    assert f["layer"] == "head"
    assert "values range 0..255" in f["message"]
    assert "Rescaling(1/255)" in f["fix"] and "divide x by 255" in f["fix"]


def test_big_dataframe_column_is_named(rng):
    x = pd.DataFrame({"age_z": rng.normal(size=50),
                      "income": 4e4 + 1e4 * rng.normal(size=50),
                      "rooms_z": rng.normal(size=50)})
    model = _dense(1, loss="mse", inputs=3, name="out")
    f = _one(check_setup(model, x, rng.normal(size=50)), "unscaled_inputs")
    assert f["layer"] == model.layers[0].name
    assert "1 of 3 columns of x" in f["message"]
    assert "'income'" in f["message"] and "'age_z'" not in f["message"]
    assert "Normalization()" in f["fix"]


def test_unadapted_normalization(rng):
    x = rng.integers(0, 256, (40, 3)).astype("float32") * 100
    model = keras.Sequential([keras.Input((3,)), L.Normalization(name="norm"),
                              L.Dense(1, name="out")])
    model.compile("adam", "mse")
    f = _one(check_setup(model, x, rng.normal(size=40)), "unscaled_inputs")
    assert "'norm' is a Normalization that was never adapted" in f["message"]
    assert "model.get_layer('norm').adapt(x_train)" in f["fix"]


def test_standardising_lambda_counts_as_scaling(rng):
    x = 1e4 * rng.normal(size=(40, 3))
    model = keras.Sequential([keras.Input((3,)), L.Lambda(lambda t: t / 1e4),
                              L.Dense(1)])
    model.compile("adam", "mse")
    assert check_setup(model, x, rng.normal(size=40)) == []


def test_batch_normalization_first_counts_as_scaling(rng):
    x = 1e4 * rng.normal(size=(40, 3))
    model = keras.Sequential([keras.Input((3,)), L.BatchNormalization(),
                              L.Dense(1)])
    model.compile("adam", "mse")
    assert check_setup(model, x, rng.normal(size=40)) == []


class _Regressor(keras.Model):
    def __init__(self, rescale):
        super().__init__()
        self.rescale = L.Rescaling(1 / 255) if rescale else None
        self.out = L.Dense(1)

    def call(self, x):
        return self.out(x if self.rescale is None else self.rescale(x))


@pytest.mark.parametrize("rescale", [False, True])
def test_subclassed_unscaled_only_without_preprocessing(rng, rescale):
    model = _Regressor(rescale)
    model.compile("adam", "mse")
    x = rng.integers(0, 256, (40, 64)).astype("float32")
    findings = check_setup(model, x, rng.normal(size=40))
    if rescale:
        assert findings == []
    else:
        f = _one(findings, "unscaled_inputs")
        assert f["layer"] is None and "columns of x" in f["message"]


def test_preprocessing_inside_a_nested_model_counts(rng):
    def classifier(rescale):
        layers = [L.Rescaling(1 / 255)] if rescale else []
        base = keras.Sequential([keras.Input((8, 8, 3)), *layers,
                                 L.Conv2D(4, 3, name="conv"),
                                 L.GlobalAveragePooling2D()])
        base.trainable = False
        inputs = keras.Input((8, 8, 3))
        model = keras.Model(inputs, L.Dense(2, "softmax")(base(inputs)))
        model.compile("adam", "sparse_categorical_crossentropy")
        return model

    x = rng.integers(0, 256, (30, 8, 8, 3)).astype("float32")
    y = _balanced(rng, 30, 2)
    assert check_setup(classifier(True), x, y) == []
    f = _one(check_setup(classifier(False), x, y), "unscaled_inputs")
    assert f["layer"] == "conv" and "0..255" in f["message"]


# nonfinite_data


def test_nan_in_dataframe_column(rng):
    x = pd.DataFrame(rng.normal(size=(30, 3)), columns=["a", "b", "c"])
    x.iloc[[2, 5], 1] = np.nan
    x.iloc[7, 2] = np.inf
    model = _dense(1, loss="mse", inputs=3)
    f = _one(check_setup(model, x, rng.normal(size=30)), "nonfinite_data")
    assert f["layer"] == model.layers[0].name
    assert "x holds 2 NaN and 1 inf values in 3 of 30 rows" in f["message"]
    assert "'b' (2), 'c' (1)" in f["message"]
    assert "np.isfinite(x)" in f["fix"]


def test_nan_that_the_model_fills_is_not_flagged(rng):
    x = rng.normal(size=(30, 3))
    x[[1, 8], 2] = np.nan
    model = keras.Sequential([
        keras.Input((3,)),
        L.Lambda(lambda t: keras.ops.where(keras.ops.isnan(t), 0.0, t)),
        L.Dense(1)])
    model.compile("adam", "mse")
    assert check_setup(model, x, rng.normal(size=30)) == []


def test_nan_in_targets(rng):
    y = rng.normal(size=30)
    y[[0, 4]] = np.nan
    model = _dense(1, loss="mse", name="price")
    f = _one(check_setup(model, rng.normal(size=(30, 4)), y),
             "nonfinite_data")
    assert f["layer"] == "price"
    assert "y holds 2 NaN and 0 inf values in 2 of 30 rows" in f["message"]


def test_big_arrays_are_scanned_through_a_sample(rng, monkeypatch):
    monkeypatch.setattr("kerasnn.callbacks.setup_checks._SCAN_ELEMENTS", 100)
    x = rng.normal(size=(200, 4))
    x[:, 1] = np.nan
    f = _one(check_setup(_dense(1, loss="mse"), x, rng.normal(size=200)),
             "nonfinite_data")
    assert "in 25 of 25 rows (in a random sample of 25 of 200 rows)" in \
        f["message"]


# sorted_validation_split


def test_sorted_labels_put_unseen_classes_in_validation(rng):
    y = np.repeat(np.arange(10), 10)
    model = _dense(10, "softmax", loss="sparse_categorical_crossentropy")
    f = _one(check_setup(model, rng.normal(size=(100, 4)), y,
                         validation_split=0.2), "sorted_validation_split")
    assert f["layer"] == "head"
    assert "last 20 of 100 rows" in f["message"]
    assert "classes 8 (10 rows), 9 (10 rows)" in f["message"]
    assert "permutation" in f["fix"] and "validation_data" in f["fix"]


def test_sorted_labels_leave_one_class_in_validation(rng):
    y = np.repeat(np.arange(5), [50, 50, 50, 50, 100])
    model = _dense(5, "softmax", loss="sparse_categorical_crossentropy")
    f = _one(check_setup(model, rng.normal(size=(300, 4)), y,
                         validation_split=0.2), "sorted_validation_split")
    assert "all 60 validation rows are class 4" in f["message"]
    assert "y has 5 classes" in f["message"]


def test_rare_class_that_chance_put_in_the_tail_is_not_flagged(rng):
    y = np.zeros(200, "int64")
    y[[170, 185, 199]] = 1  # 3 rows all in the last 20%: 0.2**3 = 0.008
    model = _dense(1, "sigmoid", loss="binary_crossentropy")
    findings = check_setup(model, rng.normal(size=(200, 4)), y,
                           validation_split=0.2, class_weight={0: 1, 1: 66})
    assert findings == []


def test_sorted_regression_target(rng):
    y = np.sort(rng.normal(size=100))
    f = _one(check_setup(_dense(1, loss="mse"), rng.normal(size=(100, 4)),
                         y, validation_split=0.25), "sorted_validation_split")
    assert f["layer"] == "head"
    assert "y is sorted" in f["message"]
    assert "25 of 25 lie outside the training range" in f["message"]


# class_imbalance


def test_binary_imbalance(rng):
    y = rng.permutation((np.arange(200) < 10).astype("int64"))
    model = _dense(1, "sigmoid", loss="binary_crossentropy")
    f = _one(check_setup(model, rng.normal(size=(200, 4)), y),
             "class_imbalance")
    assert f["layer"] == "head"
    assert "class 0 has 190 rows and class 1 10" in f["message"]
    assert "ratio 19.0:1" in f["message"]
    assert "class_weight={0: 0.53, 1: 10.00}" in f["fix"]


def test_one_hot_imbalance_and_weights_silence_it(rng):
    ids = rng.permutation(np.repeat([0, 1, 2], [120, 10, 10]))
    y = keras.utils.to_categorical(ids, 3)
    x = rng.normal(size=(140, 4))
    model = _dense(3, "softmax", loss="categorical_crossentropy")
    f = _one(check_setup(model, x, y), "class_imbalance")
    assert "ratio 12.0:1" in f["message"]
    assert check_setup(model, x, y, sample_weight=np.ones(140)) == []
    assert check_setup(model, x, y, imbalance_ratio=20.0) == []


# Structures, datasets, generators.


def test_list_inputs_and_outputs(rng):
    a, b = keras.Input((3,)), keras.Input((2,))
    h = L.Dense(4, "relu")(L.Concatenate()([a, b]))
    model = keras.Model([a, b], [L.Dense(1, "sigmoid", name="p")(h),
                                 L.Dense(1, name="q")(h)])
    model.compile("adam", ["binary_crossentropy", "mse"])
    x = [rng.normal(size=(30, 3)), rng.normal(size=(30, 2))]
    y_bad = [np.arange(30) % 2 + 1, rng.normal(size=30)]
    f = _one(check_setup(model, x, y_bad), "label_mismatch")
    assert f["layer"] == "p" and "y[0] takes the values {1, 2}" in f["message"]
    assert check_setup(model, x, [np.arange(30) % 2, y_bad[1]]) == []


def test_dict_input_nan_names_the_input(rng):
    model, x, y, _ = _multi_io(rng)
    x = dict(x, table=x["table"].copy())
    x["table"][3, 0] = np.nan
    f = _one(check_setup(model, x, y), "nonfinite_data")
    assert "x['table'] holds 1 NaN" in f["message"]


@pytest.mark.tf_only
def test_dataset_is_sampled_not_consumed(rng):
    import tensorflow as tf

    x = rng.normal(size=(1000, 4)).astype("float32")
    y = (np.arange(1000) < 50).astype("int64")
    ds = tf.data.Dataset.from_tensor_slices((x, rng.permutation(y))).batch(64)
    model = _dense(1, "sigmoid", loss="binary_crossentropy")
    f = _one(check_setup(model, ds, sample_size=128), "class_imbalance")
    assert "in the first 128 rows of the dataset" in f["message"]
    assert sum(len(b[0]) for b in ds) == 1000
    scaled = tf.data.Dataset.from_tensor_slices(
        (x, rng.permutation(np.arange(1000) % 2))).batch(64)
    assert check_setup(model, scaled) == []
    with pytest.raises(CallbackValueError, match=r"`y` must be None when "
                       r"`x` is a tf.data.Dataset.*Received: y of type"):
        check_setup(model, scaled, y)


def test_generator_checks_only_the_model(rng):
    model = _dense(3, "relu", loss="sparse_categorical_crossentropy")
    batches = ((rng.normal(size=(8, 4)), np.arange(8) % 3) for _ in range(3))
    f = _one(check_setup(model, batches), "loss_activation_mismatch")
    assert "uses relu" in f["message"]
    assert len(list(batches)) == 3  # nothing was taken from it
    assert check_setup(_Classifier("softmax"), iter([])) == []

    class Batches(keras.utils.PyDataset):
        read = 0

        def __len__(self):
            return 4

        def __getitem__(self, index):
            Batches.read += 1
            return rng.normal(size=(8, 4)), np.arange(8) % 3

    f = _one(check_setup(model, Batches()), "loss_activation_mismatch")
    assert Batches.read == 0


def test_fixed_batch_size_and_sparse_inputs(rng):
    import scipy.sparse

    model = keras.Sequential([keras.Input((4,), batch_size=16),
                              L.Dense(1, "sigmoid")])
    model.compile("adam", "binary_crossentropy")
    assert check_setup(model, rng.normal(size=(100, 4)),
                       _balanced(rng, 100, 2)) == []
    model = _dense(3, "relu", loss="sparse_categorical_crossentropy")
    x = scipy.sparse.csr_matrix(rng.normal(size=(30, 4)))
    f = _one(check_setup(model, x, _balanced(rng, 30, 3)),
             "loss_activation_mismatch")  # the data is not read
    assert f["layer"] == "head"


@pytest.mark.filterwarnings("ignore:You are using a softmax")
def test_nothing_passed_in_changes(rng):
    x = pd.DataFrame(rng.normal(size=(40, 3)) * [1, 1, 5e4],
                     columns=["a", "b", "c"])
    y = np.arange(40) % 2 + 1
    x_before, y_before = x.copy(), y.copy()
    model = _dense(1, "softmax", inputs=3, loss="binary_crossentropy")
    model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy",
                  metrics=["accuracy"])
    weights = [w.copy() for w in model.get_weights()]
    class_weight = {0: 1.0}
    findings = check_setup(model, x, y, validation_split=0.5,
                           class_weight=class_weight)
    assert [f["kind"] for f in findings] == [
        "loss_activation_mismatch", "label_mismatch", "unscaled_inputs"]
    assert class_weight == {0: 1.0}
    pd.testing.assert_frame_equal(x, x_before)
    np.testing.assert_array_equal(y, y_before)
    for now, before in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(now, before)
    assert int(model.optimizer.iterations) == 0
    assert model.loss == "binary_crossentropy"


# Errors.


@pytest.mark.parametrize("kwargs, error, pattern", [
    ({"model": "net"}, CallbackTypeError,
     r"`model` must be a Keras model.*Received: model of type str"),
    ({"validation_split": 1.0}, CallbackValueError,
     r"`validation_split` must be a finite number in the range "
     r"\[0.0, 1.0\)\. Received: validation_split=1.0"),
    ({"class_weight": [1, 5]}, CallbackTypeError,
     r"`class_weight` must be a dict.*Received: class_weight of type list"),
    ({"sample_size": 0}, CallbackValueError,
     r"`sample_size` must be an integer >= 1\. Received: sample_size=0"),
    ({"max_input_scale": 0.5}, CallbackValueError,
     r"`max_input_scale` must be a finite number in the range \(1.0, inf\)"
     r"\. Received: max_input_scale=0.5"),
    ({"imbalance_ratio": "5"}, CallbackTypeError,
     r"Received: imbalance_ratio='5' \(of type str\)"),
    ({"x": None}, CallbackValueError,
     r"`x` must be the training inputs.*Received: x=None"),
    ({"x": "images/"}, CallbackTypeError,
     r"`x` must be what `fit` takes.*Received: x of type str\."),
    ({"y": np.zeros(9)}, CallbackValueError,
     r"same number of rows\. Received: x has 10, y has 9 rows"),
    ({"x": np.zeros((10, 7))}, CallbackValueError,
     r"could not run on a sample of `x` \(10 rows\)\. Received: "),
], ids=["model", "split", "class_weight", "sample_size", "scale", "ratio",
        "x_none", "x_str", "rows", "shape"])
def test_errors_name_the_argument(kwargs, error, pattern):
    args = {"model": _dense(1, loss="mse"), "x": np.zeros((10, 4)),
            "y": np.zeros(10), **kwargs}
    with pytest.raises(error, match=pattern):
        check_setup(args.pop("model"), args.pop("x"), args.pop("y"), **args)


def test_docstring_example_runs(capsys):
    code = check_setup.__doc__.split("```python\n")[1].split("```")[0]
    exec(textwrap.dedent(code), {"keras": keras, "np": np,
                                 "check_setup": check_setup})
    printed = capsys.readouterr().out.splitlines()
    assert [line.split(" - ")[0] for line in printed] == [
        "loss_activation_mismatch", "unscaled_inputs"]


def test_class_weight_keyed_by_label_names_is_named(rng):
    y = (rng.random(200) < 0.1).astype("int64")
    model = _dense(1, "sigmoid", loss="binary_crossentropy")
    f = _one(check_setup(model, rng.normal(size=(200, 4)), y,
                         class_weight={"no": 1.0, "yes": 9.0}),
             "class_imbalance")
    assert "'no', 'yes'" in f["message"]
    assert "training is unweighted" in f["message"]
    assert "{0: 1.0, 1: 19.0}" in f["fix"]


def test_class_weight_keyed_by_class_ids_is_fine(rng):
    y = (rng.random(200) < 0.1).astype("int64")
    model = _dense(1, "sigmoid", loss="binary_crossentropy")
    assert check_setup(model, rng.normal(size=(200, 4)), y,
                       class_weight={0: 1.0, np.int64(1): 9.0}) == []
    f = _one(check_setup(model, rng.normal(size=(200, 4)), y,
                         class_weight={0: 1.0, 2: 9.0}), "class_imbalance")
    assert "(2; its classes are counts {0:" in f["message"]
    assert "these weights never apply" in f["message"]
