"""One test per private Keras name that the plugin reads
(`kerasnn.callbacks._keras_compat`): each fails, naming the name, when the
installed Keras no longer has it or changed what it holds."""

import warnings

import keras
import numpy as np
import pytest

from kerasnn.callbacks import _keras_compat as compat

L = keras.layers
CHANGED = (f"Keras {keras.__version__} changed a private name that the "
           f"plugin reads (checked against Keras {compat.KERAS_CHECKED}): "
           "update kerasnn/callbacks/_keras_compat.py")


def _functional():
    inputs = keras.Input((4,), name="x")
    hidden = L.Dense(8, activation="relu", name="hidden")(inputs)
    logits = L.Dense(3, name="logits")(hidden)
    outputs = keras.ops.softmax(logits)
    return keras.Model(inputs, outputs), inputs, hidden


def test_keras_history_names_the_producing_layer():
    model, _, hidden = _functional()
    history = compat.keras_history(hidden)
    assert history is not None, f"`_keras_history`: {CHANGED}"
    operation, node_index, tensor_index = history
    assert operation.name == "hidden", f"`_keras_history`: {CHANGED}"
    assert (node_index, tensor_index) == (0, 0)
    assert compat.keras_history(np.zeros(3)) is None


def test_inbound_tensors_lead_back_to_the_input():
    model, inputs, hidden = _functional()
    operation, node_index, _ = compat.keras_history(hidden)
    tensors = compat.inbound_tensors(operation, node_index)
    assert tensors is not None, f"`_inbound_nodes`: {CHANGED}"
    assert tensors[0] is inputs, f"`_inbound_nodes`: {CHANGED}"


def test_first_consumer_of_an_input():
    model, inputs, _ = _functional()
    assert compat.first_consumer(inputs) == "hidden", (
        f"`_outbound_nodes`: {CHANGED}")


def test_all_layers_reach_into_nested_models():
    inner = keras.Sequential([keras.Input((4,)), L.Dense(2, name="inner")])
    outer = keras.Sequential([keras.Input((4,)), inner, L.Dense(1)])
    names = [layer.name for layer in compat.all_layers(outer)]
    assert "inner" in names, f"`_flatten_layers`: {CHANGED}"


def test_keras_ops_in_a_functional_model_are_ops_layers():
    model, _, _ = _functional()
    softmax = compat.keras_history(model.outputs[0])[0]
    assert compat.is_ops_layer(softmax), (
        f"`keras.src.ops` operations ({type(softmax).__module__}): {CHANGED}")
    assert not compat.is_ops_layer(model.get_layer("hidden"))


def test_learning_rate_variable_holds_a_float_rate_or_the_schedule():
    rate = compat.learning_rate_variable(keras.optimizers.Adam(1e-3))
    assert isinstance(rate, keras.Variable), f"`_learning_rate`: {CHANGED}"
    schedule = keras.optimizers.schedules.ExponentialDecay(1e-3, 10, 0.5)
    stored = compat.learning_rate_variable(keras.optimizers.Adam(schedule))
    assert stored is schedule, f"`_learning_rate`: {CHANGED}"


@pytest.mark.parametrize("split", [None, 0.25])
def test_fit_locals_hold_the_data_and_the_split(rng, split):
    x = rng.normal(size=(64, 4)).astype("float32")
    y = rng.integers(0, 2, 64).astype("float32")
    seen = {}

    class Reader(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen.update(compat.fit_locals(self.model) or {})

    model = keras.Sequential([keras.Input((4,)), L.Dense(1, "sigmoid")])
    model.compile("sgd", "binary_crossentropy")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, validation_split=split,
              class_weight={0: 1.0, 1: 2.0}, callbacks=[Reader()])
    for name in ("x", "y", "class_weight", "validation_split"):
        assert name in seen, f"`fit`'s local `{name}`: {CHANGED}"
    assert seen["class_weight"] == {0: 1.0, 1: 2.0}
    if split:
        assert len(seen["y"]) == 48 and len(seen["val_y"]) == 16, (
            f"`fit`'s locals `y`, `val_y` after the split: {CHANGED}")
    else:
        assert len(seen["y"]) == 64
    assert compat.fit_locals(model) is None  # no fit running


def test_swap_out_schedule_puts_a_float_rate_in_its_place():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.5, 10, 0.5)
    optimizer = keras.optimizers.SGD(schedule)
    assert compat.swap_out_schedule(optimizer) is schedule, (
        f"`_learning_rate`: {CHANGED}")
    rate = compat.learning_rate_variable(optimizer)
    assert isinstance(rate, keras.Variable), f"`_learning_rate`: {CHANGED}"
    assert float(keras.ops.convert_to_numpy(rate)) == 0.5
    optimizer.learning_rate = schedule  # the public setter puts it back
    assert compat.learning_rate_variable(optimizer) is schedule
    # A float rate is left as it is.
    assert compat.swap_out_schedule(keras.optimizers.SGD(0.1)) is None


def test_call_takes_training_reads_the_models_call_signature():
    sequential = keras.Sequential([keras.Input((4,)), L.Dropout(0.5)])
    assert compat.call_takes_training(sequential), (
        f"`_call_has_training_arg`: {CHANGED}")

    class NoTraining(keras.Model):
        def call(self, inputs):
            return inputs

    assert not compat.call_takes_training(NoTraining()), (
        f"`_call_has_training_arg`: {CHANGED}")


def test_loss_keywords_hold_what_get_config_leaves_out():
    keywords = compat.loss_keywords(keras.losses.Huber(delta=0.3))
    assert keywords.get("delta") == 0.3, f"`_fn_kwargs`: {CHANGED}"
    assert compat.loss_keywords("huber") == {}


def test_variable_index_finds_each_variable_of_a_built_optimizer():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    optimizer = keras.optimizers.Adam()
    optimizer.build(model.trainable_variables)
    indices = [compat.variable_index(optimizer, v)
               for v in model.trainable_variables]
    assert indices == list(range(len(model.trainable_variables)))


def test_jax_rng_initialisation_is_where_keras_keeps_it():
    pytest.importorskip("jax")
    import importlib

    module = importlib.import_module("keras.src.backend.jax.distribution_lib")
    assert callable(getattr(module, "initialize_rng", None)), (
        "keras.src.backend.jax.distribution_lib.initialize_rng is gone")


def test_tensorflow_reads_the_logits_under_a_softmax_told_from_logits():
    # `check_setup` stays silent about a Keras softmax under a built-in
    # cross-entropy with from_logits=True on TensorFlow only
    # (`_setup_loss.logits_recovered`): Keras's TensorFlow backend computes
    # the loss from the softmax's input; other backends apply it twice.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = np.arange(16) % 3
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def evaluate(activation):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,)),
                                  L.Dense(3, activation=activation)])
        model.compile("sgd", loss)
        return model.evaluate(x, y, verbose=0)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TensorFlow's "Was this intended?"
        softmax = evaluate("softmax")
    same = bool(np.isclose(softmax, evaluate(None), rtol=1e-5))
    assert same == (keras.backend.backend() == "tensorflow"), (
        f"Keras {keras.__version__} on {keras.backend.backend()} "
        f"{'no longer reads' if not same else 'now reads'} the logits under "
        "a softmax told from_logits=True: update "
        "kerasnn/callbacks/_setup_loss.py (logits_recovered)")
