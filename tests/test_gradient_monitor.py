import json
import warnings

import keras
import numpy as np
import pytest

from callbacks import CallbackValueError
from callbacks import CallbackWarning
from callbacks import GradientHealthError
from callbacks import GradientMonitor


def _data(rng, n=128):
    x = rng.normal(size=(n, 12)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int32")
    return x, y


def _mlp(act, init, depth=6, bn=False, optimizer="adam", bias=None):
    layers = [keras.Input((12,))]
    for _ in range(depth):
        layers.append(keras.layers.Dense(
            24, activation=None if bn else act, kernel_initializer=init,
            bias_initializer=bias or "zeros"))
        if bn:
            layers += [keras.layers.BatchNormalization(),
                       keras.layers.Activation(act)]
    model = keras.Sequential(layers + [keras.layers.Dense(2)])
    model.compile(optimizer, keras.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    return model


def _fit(model, x, y, monitor, epochs=1):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CallbackWarning)
        history = model.fit(x, y, epochs=epochs, batch_size=16, verbose=0,
                            callbacks=[monitor])
    found = [str(w.message) for w in caught
             if issubclass(w.category, CallbackWarning)]
    return history, found


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"every": 0}, "`every` must be an integer >= 1. Received: every=0"),
        ({"policy": "ignore"}, "`policy` must be one of 'warn', 'stop', 'raise'. Received: policy='ignore'"),
        ({"patience": 0}, "Received: patience=0"),
        ({"vanishing_ratio": 2.0}, "`vanishing_ratio` must be a finite number in the range (0.0, 1.0). Received: vanishing_ratio=2.0"),
        ({"growth": 0.5}, "Received: growth=0.5"),
        ({"probe": [1, 2, 3, 4]}, "`probe` must be a tuple (x, y) or (x, y, sample_weight). Received: probe of type list with 4 items"),
        ({"probe": "xy"}, "Received: probe of type str"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(CallbackValueError) as info:
        GradientMonitor(**kwargs)
    assert message in str(info.value)


def test_plot_before_fit_and_missing_probe_raise(tmp_path):
    monitor = GradientMonitor()
    with pytest.raises(CallbackValueError, match="needs at least one probe"):
        monitor.plot(tmp_path / "g.png")
    monitor.set_model(_mlp("relu", "he_normal", depth=1))
    # Outside `fit` there is no training data to take the probe from.
    with pytest.raises(CallbackValueError, match="Received: probe=None; pass"):
        monitor.on_train_begin()
    assert monitor.report()["status"] == "healthy"


def test_vanishing_deep_sigmoid_tiny_init(rng):
    x, y = _data(rng)
    model = _mlp("sigmoid", keras.initializers.RandomNormal(stddev=0.01))
    monitor = GradientMonitor(every=2)
    history, found = _fit(model, x, y, monitor)
    report = monitor.report()
    json.dumps(report)
    assert report["status"] == "vanishing"
    assert report["first_last_ratio"] < 1e-3
    assert report["layers"][0]["flag"] == "vanishing"
    assert report["layers"][-1]["flag"] == "ok"
    assert len(report["layers"]) == 7 and report["units_checked"]
    assert "He initialisation" in report["advice"][0]
    assert report["layers"][0]["name"] in report["advice"][0]
    assert len(found) == 1 and "vanishing gradients at step 2" in found[0]
    assert set(history.history) >= {"grad_norm_first", "grad_norm_last",
                                    "grad_norm_ratio"}


def test_exploding_oversized_init_and_stop_policy(rng):
    x, y = _data(rng)
    model = _mlp("relu", keras.initializers.RandomNormal(stddev=3.0))
    monitor = GradientMonitor(every=50, policy="stop")
    history, found = _fit(model, x, y, monitor, epochs=3)
    report = monitor.report()
    assert report["status"] == "exploding"
    assert "clipnorm" in report["advice"][0]
    assert any(layer["flag"] == "exploding" for layer in report["layers"])
    assert len(found) == 1 and "exploding" in found[0]
    assert len(history.history["loss"]) == 1  # stopped in the first epoch


def test_exploding_huge_sgd_rate_raises_before_or_at_nan(rng):
    x, y = _data(rng)
    model = _mlp("relu", "he_normal", optimizer=keras.optimizers.SGD(50.0))
    monitor = GradientMonitor(every=50, policy="raise")
    with pytest.raises(GradientHealthError, match="GradientMonitor: exploding gradients at step"):
        model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[monitor])
    assert monitor.report()["status"] == "exploding"


def test_healthy_relu_he_batchnorm(rng, tmp_path):
    x, y = _data(rng)
    model = _mlp("relu", "he_normal", bn=True)
    monitor = GradientMonitor(every=3, log_dir=str(tmp_path / "tb"))
    history, found = _fit(model, x, y, monitor, epochs=2)
    report = monitor.report()
    assert report["status"] == "healthy" and found == []
    assert report["probes"] >= 5
    # Dense + BatchNormalization layers have weights; Activation has none.
    assert [layer["name"] for layer in report["layers"]][:2] == [
        model.layers[0].name, model.layers[1].name]
    assert all(layer["flag"] == "ok" for layer in report["layers"])
    assert all(layer["update_ratio"] > 0 for layer in report["layers"])
    assert [u["activation"] for u in report["units"]] == ["relu"] * 6
    assert len(history.history["grad_norm_ratio"]) == 2
    assert monitor.plot(tmp_path / "g.png") == tmp_path / "g.png"
    assert (tmp_path / "g.png").stat().st_size > 1000
    assert list((tmp_path / "tb").iterdir())
    # The probe is stateless: BatchNorm statistics only move with training.
    before = [v.numpy().copy() for v in model.non_trainable_variables]
    monitor.set_model(model)
    monitor._prober.probe(x[:16], y[:16], None)
    assert all(np.array_equal(a, v.numpy()) for a, v in
               zip(before, model.non_trainable_variables))


def test_dead_relu_units_get_leaky_relu_advice(rng):
    x, y = _data(rng)
    model = _mlp("relu", "he_normal", depth=3,
                 bias=keras.initializers.Constant(-20.0))
    monitor = GradientMonitor(every=2)
    _fit(model, x, y, monitor)
    report = monitor.report()
    assert report["units"][0]["bad_share"] == 1.0
    assert any("LeakyReLU" in a and report["units"][0]["name"] in a
               for a in report["advice"])


def test_epoch_nan_loss_is_reported_at_once(rng):
    x, y = _data(rng)
    model = _mlp("relu", "he_normal", depth=1)
    monitor = GradientMonitor(probe=(x[:8], y[:8]))
    monitor.set_model(model)
    monitor.on_train_begin()
    monitor.on_train_batch_begin(0)
    logs = {"loss": float("nan")}
    with pytest.warns(CallbackWarning, match=r"nan gradients .*NaN/Inf in the epoch's loss"):
        monitor.on_epoch_end(0, logs)
    assert monitor.report()["status"] == "nan"
    assert "from_logits=True" in monitor.report()["advice"][0]
    assert logs["grad_norm_first"] > 0


class TwoInputNet(keras.Model):
    def __init__(self):
        super().__init__()
        self.a = keras.layers.Dense(8, activation="relu")
        self.b = keras.layers.Dense(8, activation="relu")
        self.head = keras.layers.Dense(1)

    def call(self, inputs):
        return self.head(keras.ops.concatenate(
            [self.a(inputs["num"]), self.b(inputs["cat"])], axis=-1))


def test_subclassed_model_with_dict_inputs(rng):
    x = {"num": rng.normal(size=(64, 3)).astype("float32"),
         "cat": rng.normal(size=(64, 2)).astype("float32")}
    y = x["num"].sum(axis=1, keepdims=True)
    model = TwoInputNet()
    model.compile("adam", "mse")
    monitor = GradientMonitor(every=2)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[monitor])
    report = monitor.report()
    assert report["status"] == "healthy"
    assert [layer["name"] for layer in report["layers"]] == [
        model.a.name, model.b.name, model.head.name]
    assert not report["units_checked"]
    assert "Dead/saturated unit check skipped" in report["notes"][0]


def test_functional_model_with_list_inputs_and_explicit_probe(rng):
    a, b = keras.Input((3,)), keras.Input((2,))
    h = keras.layers.Dense(8, activation="tanh")(
        keras.layers.Concatenate()([a, b]))
    model = keras.Model([a, b], keras.layers.Dense(1)(h))
    model.compile("sgd", "mse")
    xa = rng.normal(size=(48, 3)).astype("float32")
    xb = rng.normal(size=(48, 2)).astype("float32")
    y = xa[:, :1]
    monitor = GradientMonitor(every=1, probe=([xa[:8], xb[:8]], y[:8]))
    model.fit([xa, xb], y, epochs=1, batch_size=16, verbose=0,
              callbacks=[monitor])
    report = monitor.report()
    assert report["probes"] == 3 and report["status"] == "healthy"
    assert report["units"][0]["activation"] == "tanh"


@pytest.mark.tf_only
def test_probe_is_taken_from_a_dataset(rng):
    import tensorflow as tf

    x, y = _data(rng)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    model = _mlp("relu", "he_normal", depth=2)
    monitor = GradientMonitor(every=4, probe_size=8)
    model.fit(ds, epochs=1, verbose=0, shuffle=False, callbacks=[monitor])
    assert monitor._batch[0].shape == (8, 12)
    assert monitor.report()["status"] == "healthy"
