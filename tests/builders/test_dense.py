import keras
import numpy as np
import pytest

import kerasnn
from kerasnn.builders.blocks import auto_width


def _data(rng, n=64, d=6):
    x = rng.normal(size=(n, d)).astype("float32")
    return x, x[:, 0] + 0.5 * x[:, 1]


@pytest.mark.parametrize(
    "problem, kwargs, units, activation, loss",
    [
        ("binary", {}, 1, "sigmoid", "binary_crossentropy"),
        ("multiclass", {"n_classes": 3}, 3, "softmax",
         "sparse_categorical_crossentropy"),
        ("multiclass", {"n_classes": 3, "one_hot": True}, 3, "softmax",
         "categorical_crossentropy"),
        ("regression", {}, 1, "linear", "mean_squared_error"),
        ("regression", {"output_activation": "relu"}, 1, "relu",
         "mean_squared_error"),
    ],
)
def test_head_follows_problem_and_fits(rng, problem, kwargs, units, activation,
                                       loss):
    x, signal = _data(rng)
    y = {
        "binary": (signal > 0).astype("float32"),
        "multiclass": np.digitize(signal, [-0.5, 0.5]),
        "regression": signal,
    }[problem]
    if kwargs.get("one_hot"):
        y = np.eye(3, dtype="float32")[y]
    model = kerasnn.build_model(problem, input_shape=6, **kwargs)
    out = model.layers[-1]
    assert out.units == units
    assert out.activation.__name__ == activation
    assert model.loss == loss
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert model.predict(x[:4], verbose=0).shape == (4, units)


def test_binary_metrics_are_accuracy_and_auc(rng):
    x, signal = _data(rng)
    model = kerasnn.build_model("binary", 6)
    history = model.fit(x, (signal > 0).astype("float32"), epochs=1, verbose=0)
    assert {"accuracy", "auc"} <= set(history.history)


def test_regression_metrics_are_mae_and_rmse(rng):
    x, signal = _data(rng)
    history = kerasnn.build_model("regression", 6).fit(x, signal, epochs=1,
                                                        verbose=0)
    assert {"mae", "rmse"} <= set(history.history)


@pytest.mark.backend_neutral
@pytest.mark.parametrize(
    "n_in, n_out, width",
    [(30, 1, 16), (784, 10, 512), (4, 1, 8), (100, 3, 64), (64, 64, 64)],
)
def test_auto_width_rule(n_in, n_out, width):
    assert auto_width(n_in, n_out) == width


def test_auto_hidden_is_one_power_of_two_layer():
    model = kerasnn.build_model("binary", 30)
    dense = [l for l in model.layers if isinstance(l, keras.layers.Dense)]
    assert [l.units for l in dense] == [16, 1]


def test_hidden_list_and_tuple_input_shape():
    model = kerasnn.build_model("multiclass", (28, 28), n_classes=10,
                                hidden=[64, 32])
    dense = [l.units for l in model.layers if isinstance(l, keras.layers.Dense)]
    assert dense == [64, 32, 10]
    assert any(isinstance(l, keras.layers.Flatten) for l in model.layers)


def test_batchnorm_sits_before_activation_without_bias():
    model = kerasnn.build_model("binary", 8, hidden=[16, 16], batchnorm=True)
    names = [l.name for l in model.layers]
    for i in (1, 2):
        dense = model.get_layer(f"hidden_{i}_dense")
        assert dense.use_bias is False
        assert dense.activation.__name__ == "linear"
        d, b, a = (names.index(f"hidden_{i}_{s}") for s in ("dense", "bn", "relu"))
        assert d < b < a


def test_without_batchnorm_dense_keeps_bias():
    model = kerasnn.build_model("binary", 8)
    assert model.get_layer("hidden_1_dense").use_bias is True


@pytest.mark.parametrize(
    "activation, initializer",
    [
        ("relu", keras.initializers.HeNormal),
        ("leaky_relu", keras.initializers.HeNormal),
        ("elu", keras.initializers.HeNormal),
        ("gelu", keras.initializers.HeNormal),
        ("tanh", keras.initializers.GlorotUniform),
        ("sigmoid", keras.initializers.GlorotUniform),
        ("selu", keras.initializers.LecunNormal),
    ],
)
def test_initializer_matches_activation(activation, initializer):
    model = kerasnn.build_model("binary", 8, activation=activation)
    assert type(model.get_layer("hidden_1_dense").kernel_initializer) is initializer


def test_initializer_override():
    model = kerasnn.build_model("binary", 8, initializer="orthogonal")
    kernel_init = model.get_layer("hidden_1_dense").kernel_initializer
    assert isinstance(kernel_init, keras.initializers.Orthogonal)


def test_selu_uses_alpha_dropout_and_relu_plain_dropout():
    selu = kerasnn.build_model("binary", 8, activation="selu", dropout=0.1)
    relu = kerasnn.build_model("binary", 8, dropout=0.1)
    assert isinstance(selu.get_layer("hidden_1_dropout"), keras.layers.AlphaDropout)
    assert type(relu.get_layer("hidden_1_dropout")) is keras.layers.Dropout


@pytest.mark.parametrize(
    "l1, l2, cls",
    [(0.01, 0.0, keras.regularizers.L1), (0.0, 0.01, keras.regularizers.L2),
     (0.01, 0.01, keras.regularizers.L1L2)],
)
def test_regularizers(l1, l2, cls):
    model = kerasnn.build_model("binary", 8, l1=l1, l2=l2)
    reg = model.get_layer("hidden_1_dense").kernel_regularizer
    assert type(reg) is cls
    assert len(model.losses) == 1


@pytest.mark.parametrize(
    "kwargs, cls, lr",
    [
        ({"optimizer": "sgd"}, keras.optimizers.SGD, 1e-2),
        ({"optimizer": "adam"}, keras.optimizers.Adam, 1e-3),
        ({"optimizer": "adamw", "learning_rate": 3e-4}, keras.optimizers.AdamW, 3e-4),
        ({"optimizer": "rmsprop"}, keras.optimizers.RMSprop, 1e-3),
    ],
)
def test_optimizers(kwargs, cls, lr):
    model = kerasnn.build_model("binary", 8, **kwargs)
    assert type(model.optimizer) is cls
    assert float(model.optimizer.learning_rate) == pytest.approx(lr)


def test_sgd_momentum_and_clipping():
    model = kerasnn.build_model("binary", 8, optimizer="sgd", momentum=0.8,
                                clipnorm=1.0)
    assert model.optimizer.momentum == pytest.approx(0.8)
    assert model.optimizer.nesterov is True
    assert model.optimizer.clipnorm == pytest.approx(1.0)
    model = kerasnn.build_model("binary", 8, clipvalue=0.5)
    assert model.optimizer.clipvalue == pytest.approx(0.5)


@pytest.mark.parametrize("build", [
    lambda **kw: kerasnn.build_model("binary", 8, **kw),
    lambda **kw: kerasnn.build_image_model("binary", (8, 8, 1), blocks=1, **kw),
])
def test_every_builder_takes_adamw_weight_decay(build):
    model = build(optimizer="adamw", weight_decay=1e-3)
    assert float(model.optimizer.weight_decay) == pytest.approx(1e-3)
    with pytest.raises(kerasnn.KerasnnValueError,
                       match="applies to optimizer='adamw' only"):
        build(weight_decay=1e-3)


def test_optimizer_instance_is_used():
    opt = keras.optimizers.SGD(learning_rate=0.05)
    model = kerasnn.build_model("binary", 8, optimizer=opt)
    assert model.optimizer is opt


@pytest.mark.tf_only
def test_training_step_is_traced_once(rng):
    # The optimizer's variables exist before the first step, so TensorFlow
    # does not trace the step a second time to run it.
    x, signal = _data(rng, n=50)
    model = kerasnn.build_model("binary", input_shape=6)
    assert model.optimizer.built
    traced = []
    step = model.train_step
    model.train_step = lambda data: traced.append(1) or step(data)
    model.fit(x, (signal > 0).astype("float32"), batch_size=16, epochs=2,
              verbose=0)
    assert len(traced) == 1


def test_swapped_and_fine_tuned_optimizers_are_built(rng):
    base = kerasnn.build_model("multiclass", input_shape=6, n_classes=3)
    model = kerasnn.swap_head(base, "binary")
    assert model.optimizer.built
    assert len(model.optimizer.variables) > 1
    kerasnn.unfreeze(model, learning_rate=1e-4)
    assert model.optimizer.built


def test_same_seed_same_initial_weights():
    a = kerasnn.build_model("binary", 8, hidden=[16, 8], seed=7)
    keras.utils.set_random_seed(123)  # the global seed must not matter
    b = kerasnn.build_model("binary", 8, hidden=[16, 8], seed=7)
    c = kerasnn.build_model("binary", 8, hidden=[16, 8], seed=8)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])


def test_layers_get_distinct_seeds():
    model = kerasnn.build_model("regression", 16, hidden=[16, 16], seed=0)
    k1 = model.get_layer("hidden_1_dense").kernel
    k2 = model.get_layer("hidden_2_dense").kernel
    assert not np.allclose(keras.ops.convert_to_numpy(k1),
                           keras.ops.convert_to_numpy(k2))


def test_custom_metrics_override():
    model = kerasnn.build_model("binary", 8, metrics=["mse"])
    x = np.zeros((4, 8), "float32")
    history = model.fit(x, np.array([0, 1, 0, 1]), epochs=1, verbose=0)
    assert "mse" in history.history and "auc" not in history.history


@pytest.mark.backend_neutral
@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"problem": "binray"}, ValueError, "Did you mean 'binary'"),
        ({"problem": 3}, TypeError, "Received: problem=3"),
        ({"problem": "multiclass"}, ValueError, "`n_classes` is required"),
        ({"problem": "multiclass", "n_classes": 2}, ValueError,
         "use problem='binary'"),
        ({"n_classes": 4}, ValueError, "Use problem='multiclass'"),
        ({"hidden": [32, 0]}, ValueError, r"hidden\[1\]"),
        ({"hidden": "big"}, ValueError, "'auto' or a list"),
        ({"hidden": 32}, TypeError, "e.g. \\[64, 32\\]"),
        ({"dropout": 1.0}, ValueError, r"`dropout` must be a finite number in the range \[0.0, 1.0\)"),
        ({"dropout": -0.1}, ValueError, "Received: dropout=-0.1"),
        ({"activation": "rleu"}, ValueError, "Did you mean 'relu'"),
        ({"optimizer": "adma"}, ValueError, "Did you mean 'adam'"),
        ({"optimizer": 5}, TypeError, "keras.optimizers.Optimizer instance"),
        ({"learning_rate": 0}, ValueError, "learning_rate"),
        ({"l2": -1}, ValueError, "Received: l2=-1"),
        ({"momentum": 1.5}, ValueError, "momentum"),
        ({"clipnorm": 0}, ValueError, "clipnorm"),
        ({"input_shape": 0}, ValueError, "positive sizes"),
        ({"input_shape": "30"}, TypeError, "shape of one sample"),
        ({"seed": -1}, ValueError, "Received: seed=-1"),
        ({"initializer": "zeros"}, ValueError, "initializer"),
        ({"output_activation": "softmx"}, ValueError, "Did you mean 'softmax'"),
        ({"batchnorm": "yes"}, TypeError, "batchnorm"),
        ({"metrics": "accuracy"}, TypeError, "Wrap a single metric in a list"),
        ({"strategy": "mirrored"}, TypeError, "tf.distribute.Strategy"),
        ({"optimizer": keras.optimizers.Adam(), "learning_rate": 0.1}, ValueError,
         "Set it on the optimizer"),
    ],
)
def test_errors_name_argument_and_fix(kwargs, error, message):
    args = {"problem": "binary", "input_shape": 8, **kwargs}
    problem, shape = args.pop("problem"), args.pop("input_shape")
    with pytest.raises(error, match=message):
        kerasnn.build_model(problem, shape, **args)


@pytest.mark.backend_neutral
def test_errors_are_library_errors():
    with pytest.raises(kerasnn.KerasnnError):
        kerasnn.build_model("binary", 8, dropout=2)


@pytest.mark.backend_neutral
def test_errors_raised_before_any_model_is_built():
    before = keras.backend.get_uid("features")
    with pytest.raises(ValueError):
        kerasnn.build_model("binary", 8, hidden=[4], dropout=5)
    assert keras.backend.get_uid("features") == before + 1


def test_hidden_list_not_mutated():
    hidden = [32, 16]
    kerasnn.build_model("binary", 8, hidden=hidden)
    assert hidden == [32, 16]


@pytest.mark.parametrize(
    "problem, kwargs",
    [("binary", {"batchnorm": True, "dropout": 0.2, "l1": 1e-4, "l2": 1e-4}),
     ("multiclass", {"n_classes": 4, "activation": "selu", "dropout": 0.1}),
     ("regression", {"activation": "leaky_relu", "output_activation": "relu"})],
)
def test_keras_round_trip_in_safe_mode(tmp_path, rng, problem, kwargs):
    model = kerasnn.build_model(problem, 5, seed=3, **kwargs)
    x = rng.normal(size=(8, 5)).astype("float32")
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-6, atol=1e-6)
    assert loaded.loss == model.loss
