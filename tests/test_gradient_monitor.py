import json
import threading
import time
import warnings

import keras
import numpy as np
import pytest

from kerasnn.callbacks import CallbackTypeError
from kerasnn.callbacks import CallbackValueError
from kerasnn.callbacks import CallbackWarning
from kerasnn.callbacks import GradientHealthError
from kerasnn.callbacks import GradientMonitor
from kerasnn.callbacks._grads import Prober
from kerasnn.callbacks._probe_history import ProbeHistory
from kerasnn.callbacks._probe_history import Thresholds
from kerasnn.callbacks._probe_worker import ProbeWorker
from kerasnn.callbacks._symptoms import diagnose
from kerasnn.callbacks._symptoms import too_early


def _data(rng, n=128):
    x = rng.normal(size=(n, 12)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int32")
    return x, y


def _mlp(act, init, depth=6, bn=False, optimizer="adam", bias=None,
         width=24):
    layers = [keras.Input((12,))]
    for _ in range(depth):
        layers.append(keras.layers.Dense(
            width, activation=None if bn else act, kernel_initializer=init,
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
        ({"dead_share": 0.0}, "Received: dead_share=0.0"),
        ({"rise": -1.0}, "Received: rise=-1.0"),
        ({"rise_floor": -0.1}, "Received: rise_floor=-0.1"),
        ({"probe": [1, 2, 3, 4]}, "`probe` must be a tuple (x, y) or (x, y, sample_weight). Received: probe of type list with 4 items"),
        ({"probe": "xy"}, "Received: probe of type str"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(CallbackValueError) as info:
        GradientMonitor(**kwargs)
    assert message in str(info.value)


def test_wrong_type_is_a_type_error():
    with pytest.raises(CallbackTypeError, match=(
            r"`setup_checks` must be one of True, False. Received: "
            r"setup_checks='yes' \(of type str\)")):
        GradientMonitor(setup_checks="yes")
    with pytest.raises(CallbackTypeError, match="of type float"):
        GradientMonitor(every=2.5)
    with pytest.raises(CallbackTypeError, match=(
            r"`asynchronous` must be one of True, False. Received: "
            r"asynchronous=None \(of type NoneType\)")):
        GradientMonitor(asynchronous=None)


def test_plot_before_fit_and_missing_probe_raise(tmp_path):
    monitor = GradientMonitor()
    with pytest.raises(CallbackValueError, match="needs at least one probe"):
        monitor.plot(tmp_path / "g.png")
    monitor.set_model(_mlp("relu", "he_normal", depth=1))
    # Outside `fit` there is no training data to take the probe from.
    with pytest.raises(CallbackValueError, match="Received: probe=None; pass"):
        monitor.on_train_begin()
    assert monitor.report()["status"] == "healthy"


def _kinds(monitor):
    return [f["kind"] for f in monitor.report()["findings"]]


def test_vanishing_deep_sigmoid_tiny_init(rng):
    x, y = _data(rng)
    model = _mlp("sigmoid", keras.initializers.RandomNormal(stddev=0.01))
    monitor = GradientMonitor(every=2)
    history, found = _fit(model, x, y, monitor)
    report = monitor.report()
    json.dumps(report)
    assert report["status"] == "vanishing"
    first = report["findings"][0]
    assert set(first) == {"kind", "message", "fix", "layer", "step"}
    assert first["layer"] == model.layers[0].name and first["step"] == 2
    assert "He initialisation" in first["fix"]
    assert report["first_last_ratio"] < 1e-3
    assert report["layers"][0]["flag"] == "vanishing"
    assert report["layers"][-1]["flag"] == "ok"
    assert len(report["layers"]) == 7 and report["units_checked"]
    assert report["advice"][0].startswith(first["message"])
    assert found[0].startswith(
        f"GradientMonitor: vanishing in '{first['layer']}' at step 2.")
    assert set(history.history) >= {"grad_norm_first", "grad_norm_last",
                                    "grad_norm_ratio"}


def test_exploding_oversized_init_and_stop_policy(rng):
    x, y = _data(rng)
    model = _mlp("relu", keras.initializers.RandomNormal(stddev=3.0))
    monitor = GradientMonitor(every=50, policy="stop")
    history, found = _fit(model, x, y, monitor, epochs=3)
    report = monitor.report()
    assert report["status"] == "exploding"
    assert "clipnorm" in report["findings"][0]["fix"]
    assert any(layer["flag"] == "exploding" for layer in report["layers"])
    assert any("exploding" in message for message in found)
    assert len(history.history["loss"]) == 1  # stopped in the first epoch


def test_linear_chain_with_high_sgd_rate_is_exploding_not_nan(rng):
    # Gradient norms grow by orders of magnitude, then the loss turns NaN:
    # that is an explosion, named with its layer, growth and learning rate.
    x, y = _data(rng)
    model = _mlp(None, "glorot_uniform", depth=8,
                 optimizer=keras.optimizers.SGD(0.5))
    monitor = GradientMonitor(every=5)
    _fit(model, x, y, monitor, epochs=2)
    finding = monitor.report()["findings"][0]
    assert finding["kind"] == "exploding"
    assert finding["layer"] in [layer.name for layer in model.layers]
    assert "grew fastest" in finding["message"]
    assert "learning rate 0.5" in finding["message"]
    assert "clipnorm" in finding["fix"] and "0.05" in finding["fix"]


def test_huge_sgd_rate_raises_at_once(rng):
    x, y = _data(rng)
    model = _mlp("relu", "he_normal", optimizer=keras.optimizers.SGD(50.0))
    monitor = GradientMonitor(every=50, policy="raise")
    with pytest.raises(GradientHealthError,
                       match="GradientMonitor: exploding in '.*' at step"):
        model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[monitor])
    assert monitor.report()["status"] == "exploding"


def test_exponential_activation_overflow_is_exploding(rng):
    x = rng.normal(size=(128, 2)).astype("float32") * 3
    y = (x[:, 0] * x[:, 1] > 0).astype("float32")
    model = keras.Sequential(
        [keras.Input((2,))]
        + [keras.layers.Dense(4, activation="exponential",
                              kernel_initializer=keras.initializers.RandomNormal(
                                  stddev=2.0)) for _ in range(6)]
        + [keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    monitor = GradientMonitor(every=2)
    _fit(model, x, y, monitor)
    finding = monitor.report()["findings"][0]
    assert finding["kind"] == "exploding"
    assert "overflow" in finding["message"] or "grew" in finding["message"]


def test_healthy_relu_he_batchnorm(rng, tmp_path):
    x, y = _data(rng)
    model = _mlp("relu", "he_normal", bn=True)
    monitor = GradientMonitor(every=3, log_dir=str(tmp_path / "tb"))
    history, found = _fit(model, x, y, monitor, epochs=2)
    report = monitor.report()
    assert report["status"] == "healthy" and found == []
    assert report["findings"] == []
    assert report["probes"] >= 5
    # Dense + BatchNormalization layers have weights; Activation has none.
    assert [layer["name"] for layer in report["layers"]][:2] == [
        model.layers[0].name, model.layers[1].name]
    assert all(layer["flag"] == "ok" for layer in report["layers"])
    assert all(layer["update_ratio"] > 0 for layer in report["layers"])
    assert [u["activation"] for u in report["units"]] == ["relu"] * 6
    assert len(history.history["grad_norm_ratio"]) == 2
    figure = monitor.plot(tmp_path / "g.png")
    assert type(figure).__name__ == "Figure"
    assert (tmp_path / "g.png").stat().st_size > 1000
    assert list((tmp_path / "tb").iterdir())
    # The probe is stateless: BatchNorm statistics only move with training.
    before = [keras.ops.convert_to_numpy(v).copy()
              for v in model.non_trainable_variables]
    monitor._prober.probe(monitor._prober.weights(), x[:16], y[:16], None)
    assert all(np.array_equal(a, keras.ops.convert_to_numpy(v)) for a, v in
               zip(before, model.non_trainable_variables))


def test_probe_history_is_public_and_serialisable(rng):
    x, y = _data(rng)
    model = _mlp("relu", "he_normal", depth=2)
    monitor = GradientMonitor(every=4)
    _fit(model, x, y, monitor)
    h = monitor.probe_history
    # Steps 0-2 (patience), 4 (every), and the final probe after step 7.
    assert h.steps.tolist() == [0, 1, 2, 4, 8]
    assert h.grad_norms.shape == (5, 3) and h.unit_shares.shape == (5, 2)
    assert h.layers == [layer.name for layer in model.layers]
    assert np.isfinite(h.update_ratios[:-1]).all()
    assert h.eval_loss[-1] < h.eval_loss[0]
    assert json.loads(json.dumps(h.to_dict()))["steps"] == [0, 1, 2, 4, 8]


def test_dead_relu_units_from_negative_bias_are_dead_not_vanishing(rng):
    x, y = _data(rng)
    model = _mlp("relu", "he_normal", depth=3,
                 bias=keras.initializers.Constant(-20.0))
    monitor = GradientMonitor(every=2)
    _fit(model, x, y, monitor)
    report = monitor.report()
    assert report["status"] == "dead_units"
    assert "vanishing" not in _kinds(monitor)
    assert "unchanged_weights" not in _kinds(monitor)
    finding = report["findings"][0]
    assert finding["layer"] == model.layers[0].name
    assert "100%" in finding["message"] and "from initialisation" in (
        finding["message"])
    assert "bias_initializer='zeros'" in finding["fix"]
    assert report["units"][0]["bad_share"] == 1.0


def test_narrow_relu_chain_with_some_dead_units(rng):
    x = rng.normal(size=(256, 12)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    model = _mlp("relu", "he_normal", depth=4, width=4,
                 bias=keras.initializers.Constant(-1.0))
    monitor = GradientMonitor(every=4)
    _fit(model, x, y, monitor)
    assert _kinds(monitor)[0] == "dead_units"


def test_tiny_uniform_relu_chain_is_not_called_exploding(rng):
    # Gradients grow from almost zero: not an explosion.
    x, y = _data(rng)
    model = _mlp("relu", keras.initializers.RandomUniform(-1e-3, 1e-3),
                 depth=6)
    monitor = GradientMonitor(every=4)
    _fit(model, x, y, monitor, epochs=2)
    kinds = _kinds(monitor)
    assert "exploding" not in kinds
    assert kinds[0] in ("dead_units", "vanishing")


def test_rate_far_too_low_is_loss_not_decreasing(rng):
    x, y = _data(rng)
    model = _mlp("relu", "he_normal", depth=2,
                 optimizer=keras.optimizers.Adam(1e-7))
    monitor = GradientMonitor(every=4)
    _fit(model, x, y, monitor, epochs=3)
    finding = monitor.report()["findings"][0]
    assert finding["kind"] == "loss_not_decreasing"
    assert "far too low" in finding["message"]
    assert "Raise the learning rate" in finding["fix"]


def test_whole_set_batches_are_named_instead_of_too_early(rng):
    # Every row in one batch: 6 epochs are 6 updates, far too few, and the
    # report names the batch size rather than calling the run too short.
    x, y = _data(rng)
    model = _mlp("relu", "he_normal", depth=1,
                 optimizer=keras.optimizers.SGD(0.01))
    monitor = GradientMonitor(verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CallbackWarning)
        model.fit(x, y, epochs=6, batch_size=len(x), verbose=0,
                  callbacks=[monitor])
    report = monitor.report()
    assert [f["kind"] for f in report["findings"]] == ["loss_not_decreasing"]
    assert "updated only 6 times" in report["findings"][0]["message"]
    assert not any("Too early" in note for note in report["notes"])


def test_gradient_blocked_by_stop_gradient_is_unchanged_weights(rng):
    x, y = _data(rng)
    inputs = keras.Input((12,))
    hidden = keras.layers.Dense(8, activation="relu", name="blocked")(inputs)
    hidden = keras.layers.Lambda(keras.ops.stop_gradient)(hidden)
    model = keras.Model(inputs, keras.layers.Dense(2)(
        keras.layers.Dense(8, activation="relu")(hidden)))
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    monitor = GradientMonitor(every=4)
    _fit(model, x, y, monitor)
    finding = monitor.report()["findings"][0]
    assert finding["kind"] == "unchanged_weights"
    assert finding["layer"] == "blocked"
    assert "stop_gradient" in finding["fix"]


def test_relu_output_on_negative_targets_is_named_then_constant(rng):
    x = rng.normal(size=(128, 12)).astype("float32")
    y = -5.0 - np.abs(x[:, :1])
    model = keras.Sequential([
        keras.Input((12,)), keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1, activation="relu",
                           bias_initializer=keras.initializers.Constant(-3.0))])
    model.compile("adam", "mse")
    monitor = GradientMonitor(every=4)
    _fit(model, x, y, monitor, epochs=2)
    kinds = _kinds(monitor)
    # The cause before training (the output cannot reach the targets), then
    # the symptom: the dead output predicts 0 for every row.
    assert kinds[0] == "label_mismatch"
    assert "linear output" in monitor.report()["findings"][0]["fix"]
    assert "constant_predictions" in kinds
    finding = monitor.report()["findings"][kinds.index("constant_predictions")]
    assert "linear" in finding["fix"]


def _history(losses, grads=None, steps=None, units=(), shares=None):
    n = len(losses)
    grads = np.ones((n, 2)) if grads is None else np.asarray(grads, float)
    h = ProbeHistory(["a", "b"], list(units), ["relu"] * len(units),
                     [False] * len(units))
    for i in range(n):
        h.add(steps[i] if steps else 10 * i, 1e-3, {
            "loss": losses[i], "eval_loss": losses[i], "pred_spread": 0.3,
            "grad_norms": grads[i], "weight_norms": [1.0, 1.0],
            "unit_shares": [] if shares is None else shares[i],
            "act_peaks": [1.0] * len(units)})
        h.set_update_ratios(np.where(grads[i] == 0, 0.0, 1e-3))
    return h


def test_rules_on_hand_made_histories():
    th = Thresholds()
    falling = [1.0, 0.8, 0.6, 0.5, 0.45, 0.4]
    assert diagnose(_history(falling), th, final=True, target_spread=1.0) == []
    jumpy = [1.0, 0.6, 1.2, 0.5, 1.1, 0.6]
    kinds = [f["kind"] for f in diagnose(_history(jumpy), th, final=True)]
    assert kinds == ["oscillating_loss"]
    # The trend rules wait for the end of training.
    assert diagnose(_history(jumpy), th, final=False) == []
    # A converged run's probe loss wobbles by more than half of itself, but
    # by little of where it started: no oscillation.
    converged = [2.4, 0.3, 0.08, 0.02, 0.05, 0.01, 0.03, 0.012, 0.04]
    assert "oscillating_loss" not in [f["kind"] for f in diagnose(
        _history(converged), th, final=True, target_spread=1.0)]
    flat = [1.0, 1.0, 0.999, 1.0]
    long_run = [0, 50, 100, 150]
    assert [f["kind"] for f in diagnose(_history(flat, steps=long_run), th,
                                        final=True)] == ["loss_not_decreasing"]
    # 30 steps of a flat loss are too early to tell, and said so.
    assert diagnose(_history(flat), th, final=True) == []
    assert "Too early" in too_early(_history(flat), th, [])
    assert too_early(_history(flat, steps=long_run), th, []) is None
    # NaN after growth is an explosion; NaN out of the blue is "nan".
    grads = [[1, 1], [10, 12], [100, 150], [np.nan, np.nan]]
    found = diagnose(_history([1, 2, 5, np.nan], grads), th)
    assert [f["kind"] for f in found] == ["exploding"]
    assert found[0]["layer"] == "b" and "150x" in found[0]["message"]
    grads = [[1, 1], [0.9, 0.9], [np.nan, np.nan]]
    assert diagnose(_history([1, 0.9, np.nan], grads), th)[0]["kind"] == "nan"
    found = diagnose(_history([1, 0.9], [[1, 1], [0.9, 0.9]]), th,
                     nonfinite_step=7, data_nonfinite=True)
    assert found[0]["kind"] == "nan" and "training data" in (
        found[0]["message"])
    # Growth from almost zero is no explosion.
    grads = [[0, 1e-9], [0, 1e-7], [0, 1e-6], [0, 1e-6]]
    kinds = [f["kind"] for f in diagnose(_history(falling[:4], grads), th)]
    assert "exploding" not in kinds and kinds == ["unchanged_weights"]
    # A loss that jumps to 3x its start after huge updates and stays there
    # is an explosion that saturated instead of reaching NaN (end of run).
    h = _history([2.0, 9.0, 8.0, 7.0, 7.5])
    h._rows["update_ratios"][0] = np.array([2.0, 0.5])
    assert diagnose(h, th, final=False) == []
    found = diagnose(h, th, final=True, target_spread=1.0)
    assert found[0]["kind"] == "exploding" and "diverged" in (
        found[0]["message"])
    assert [f["kind"] for f in found] == ["exploding"]
    # Dead units count when they cost the model: most of a layer at once...
    shares = [[0.95], [0.95], [0.95], [0.95]]
    found = diagnose(_history(falling[:4], units=["r"], shares=shares), th)
    assert found[0]["kind"] == "dead_units" and found[0]["step"] == 20
    assert "most of the layer" in found[0]["message"]
    # ...40% of it only with a loss that stalled, judged at the end.
    shares = [[0.4], [0.45], [0.4], [0.4]]
    assert diagnose(_history(falling[:4], units=["r"], shares=shares), th,
                    final=True, target_spread=1.0) == []
    found = diagnose(_history(flat, steps=long_run, units=["r"],
                              shares=shares), th, final=True)
    assert found[0]["kind"] == "dead_units" and "stalled" in (
        found[0]["message"])


def test_epoch_nan_loss_is_reported_at_once(rng):
    x, y = _data(rng)
    model = _mlp("relu", "he_normal", depth=1)
    monitor = GradientMonitor(probe=(x[:8], y[:8]), setup_checks=False)
    monitor.set_model(model)
    monitor.on_train_begin()
    monitor.on_train_batch_begin(0)
    logs = {"loss": float("nan")}
    with pytest.warns(CallbackWarning, match=r"GradientMonitor: nan at step 1"):
        monitor.on_epoch_end(0, logs)
    assert monitor.report()["status"] == "nan"
    assert "from_logits=True" in monitor.report()["findings"][0]["fix"]
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
    assert "Unit checks skipped" in report["notes"][0]


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
    # Steps 0, 1, 2 and the final probe after the last step.
    assert report["probes"] == 4 and report["status"] == "healthy"
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


class _Batches(keras.utils.PyDataset):
    """Batches of 16 rows, read by index, as Keras reads them."""

    def __init__(self, x, y):
        super().__init__()
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x) // 16

    def __getitem__(self, index):
        rows = slice(16 * index, 16 * (index + 1))
        return self.x[rows], self.y[rows]


def test_probe_is_taken_from_a_py_dataset(rng):
    x, y = _data(rng)
    model = _mlp("relu", "he_normal", depth=2)
    monitor = GradientMonitor(every=4, probe_size=8)
    model.fit(_Batches(x, y), epochs=1, verbose=0, callbacks=[monitor])
    np.testing.assert_array_equal(monitor._batch[0], x[:8])
    np.testing.assert_array_equal(monitor._batch[1], y[:8])
    assert len(monitor.probe_history.steps) > 0
    assert monitor.report()["data"]["probe"] == "fit arguments"


def test_a_generator_needs_the_probe_argument(rng):
    x, y = _data(rng)
    model = _mlp("relu", "he_normal", depth=1)

    def batches():
        while True:
            yield x[:16], y[:16]

    with pytest.raises(CallbackValueError,
                       match="a generator or iterator cannot be read twice"):
        model.fit(batches(), steps_per_epoch=2, epochs=1, verbose=0,
                  shuffle=False, callbacks=[GradientMonitor()])


def test_embedding_gradients_are_measured(rng):
    # TensorFlow gives an Embedding's gradient as IndexedSlices.
    x = rng.integers(1, 50, size=(96, 8))
    y = (x[:, 0] > 25).astype("int32")
    model = keras.Sequential([
        keras.Input((8,), dtype="int32"),
        keras.layers.Embedding(50, 8, name="embed"),
        keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile("adam", "binary_crossentropy")
    monitor = GradientMonitor(every=2)
    _fit(model, x, y, monitor)
    history = monitor.probe_history
    assert history.layers[0] == "embed"
    assert np.all(np.isfinite(history.grad_norms[:, 0]))
    assert np.all(history.grad_norms[:, 0] > 0)



def _probe_threads():
    return [t for t in threading.enumerate()
            if t.name == "GradientMonitor-probe"]


def _dropout_net(seed=0):
    policy = keras.config.dtype_policy()
    keras.backend.clear_session()  # the same layer names each time
    keras.config.set_dtype_policy(policy)
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input((12,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(2, activation="softmax"),
    ])
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def _reports(rng, epochs=2):
    """The report and history of one fit per mode, on the same model."""
    x, y = _data(rng)
    out = []
    for asynchronous in (False, True):
        model = _dropout_net()
        monitor = GradientMonitor(every=3, asynchronous=asynchronous)
        _fit(model, x, y, monitor, epochs=epochs)
        out.append((monitor.report(), monitor.probe_history.to_dict()))
    return out


def _assert_same(a, b):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            _assert_same(u, v)
    elif isinstance(a, float):
        assert b == pytest.approx(a, rel=1e-5, abs=1e-7)
    else:
        assert a == b


def test_probes_in_a_thread_give_the_synchronous_report(rng):
    (sync, sync_history), (asyn, asyn_history) = _reports(rng)
    assert asyn_history["steps"] == [0, 1, 2, 3, 6, 9, 12, 15, 16]
    _assert_same(sync_history, asyn_history)
    _assert_same(sync, asyn)
    assert np.isfinite(asyn_history["update_ratios"][0]).all()
    assert not _probe_threads()


def test_mixed_precision_probes_in_a_thread(rng):
    keras.config.set_dtype_policy("mixed_float16")
    try:
        (sync, sync_history), (asyn, asyn_history) = _reports(rng, epochs=1)
        seen = []
        worker = ProbeWorker(lambda job: seen.append(
            keras.config.dtype_policy().name))
        worker.submit(None)
        worker.results(block=True)
    finally:
        keras.config.set_dtype_policy("float32")
    assert seen == ["mixed_float16"]
    # On JAX too: the probe's loss is not scaled by the loss-scale factor,
    # whose float16 overflow would read as a NaN.
    assert sync["status"] == "healthy", sync["findings"]
    assert len(sync_history["steps"]) == 6
    _assert_same(sync_history, asyn_history)
    _assert_same(sync, asyn)


def test_worker_returns_results_in_order_and_ends():
    def run(job):
        time.sleep(job)
        if job == 0.0:
            raise ValueError("bad job")
        return job * 2

    worker = ProbeWorker(run)
    worker.submit(0.05, start=False)
    assert not _probe_threads()  # held until `start`
    for job in (0.0, 0.01, 0.0):
        worker.submit(job)
    done = worker.results(block=True)
    assert [job for job, _, _ in done] == [0.05, 0.0, 0.01, 0.0]
    assert [result for _, result, _ in done] == [0.1, None, 0.02, None]
    assert str(done[1][2]) == "bad job" and done[0][2] is None
    assert worker.results() == []
    worker.close()
    assert not _probe_threads()


def test_an_error_in_the_probe_thread_does_not_break_fit(rng, monkeypatch):
    x, y = _data(rng)
    calls = []

    def probe(self, weights, x, y, sample_weight):
        calls.append(threading.current_thread().name)
        if len(calls) == 2:
            raise RuntimeError("probe failed")
        return original(self, weights, x, y, sample_weight)

    original = Prober.probe
    monkeypatch.setattr(Prober, "probe", probe)
    monitor = GradientMonitor(every=2)
    history, _ = _fit(_dropout_net(), x, y, monitor, epochs=2)
    report = monitor.report()
    assert len(history.history["loss"]) == 2
    assert set(calls) == {"GradientMonitor-probe"} and len(calls) >= 2
    assert report["probes"] == 1 and report["step"] == 0
    assert report["notes"] == [
        "Probes stopped at step 1: RuntimeError: probe failed."]
    assert not _probe_threads()
    # Synchronous probes raise where they run, inside fit.
    with pytest.raises(RuntimeError, match="probe failed"):
        calls.clear()
        _fit(_dropout_net(), x, y, GradientMonitor(asynchronous=False))


class _Interrupt(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if batch == 3:
            raise KeyboardInterrupt


def test_interrupted_fit_leaves_no_thread_and_the_monitor_reusable(rng):
    x, y = _data(rng)
    model = _dropout_net()
    monitor = GradientMonitor(every=2)
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=1, batch_size=16, verbose=0,
                  callbacks=[monitor, _Interrupt()])
    for _ in range(100):  # its few queued probes finish, then it ends
        if not _probe_threads():
            break
        time.sleep(0.1)
    assert not _probe_threads()
    _fit(model, x, y, monitor)
    assert monitor.probe_history.steps.tolist() == [0, 1, 2, 4, 6, 8]


def test_report_says_where_the_probe_and_setup_data_came_from(rng):
    x = rng.normal(size=(128, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = keras.Sequential([keras.Input((4,)),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    monitor = GradientMonitor()
    assert monitor.report()["data"] == {"probe": None, "setup_checks": None}
    model.fit(x, y, epochs=1, batch_size=32, verbose=0, callbacks=[monitor])
    assert monitor.report()["data"] == {"probe": "fit arguments",
                                        "setup_checks": "fit arguments"}
    monitor = GradientMonitor(probe=(x[:16], y[:16]))
    model.fit(x, y, epochs=1, batch_size=32, verbose=0, callbacks=[monitor])
    assert monitor.report()["data"]["probe"] == "probe argument"


def test_zero_kernels_before_relu_are_named_as_the_start(rng):
    x, y = _data(rng)
    model = _mlp("relu", "zeros", depth=2)
    monitor = GradientMonitor(every=4)
    _fit(model, x, y, monitor)
    finding = monitor.report()["findings"][0]
    assert finding["kind"] == "unchanged_weights"
    assert "every entry equal to 0" in finding["message"]
    assert "glorot_uniform" in finding["fix"]
    # Zeros on the output layer alone are a common, harmless start.
    inputs = keras.Input((12,))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    outputs = keras.layers.Dense(2, kernel_initializer="zeros")(hidden)
    model = keras.Model(inputs, outputs)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    monitor = GradientMonitor(every=4)
    _fit(model, x, y, monitor)
    assert "unchanged_weights" not in [
        f["kind"] for f in monitor.report()["findings"]]
