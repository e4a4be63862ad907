import keras
import numpy as np
import pytest

from kerasnn.callbacks import CallbackTypeError
from kerasnn.callbacks import CallbackValueError
from kerasnn.callbacks import StepLR


def _model(optimizer=None):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer or keras.optimizers.SGD(0.1), "mse")
    return model


def _torch_step_lr(initial, step_size, gamma, epoch):
    return np.float32(initial * gamma ** (epoch // step_size))


@pytest.mark.backend_neutral
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"step_size": 0}, "`step_size` must be an integer >= 1. Received: step_size=0"),
        ({"step_size": 2.5}, "Received: step_size=2.5 (of type float)"),
        ({"step_size": 2, "gamma": 0}, "`gamma` must be a finite number in the range (0.0,"),
        ({"step_size": 2, "gamma": 1.5}, "Received: gamma=1.5"),
        ({"step_size": 2, "verbose": -1}, "`verbose` must be an integer >= 0"),
        ({"step_size": 2, "initial_lr": -0.1}, "Received: initial_lr=-0.1"),
    ],
)
def test_invalid_arguments_name_argument_and_value(kwargs, message):
    # A wrong type is a TypeError, a wrong value a ValueError.
    error = CallbackTypeError if "of type" in message else CallbackValueError
    with pytest.raises(error) as info:
        StepLR(**kwargs)
    assert message in str(info.value)


@pytest.mark.backend_neutral
def test_schedule_optimizer_is_refused():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    callback = StepLR(2)
    callback.set_model(_model(keras.optimizers.SGD(schedule)))
    with pytest.raises(CallbackTypeError, match="must be created with a float `learning_rate`"):
        callback.on_train_begin()


@pytest.mark.backend_neutral
def test_uncompiled_model_is_refused():
    callback = StepLR(2)
    callback.set_model(keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)]))
    with pytest.raises(CallbackValueError, match="needs a compiled model"):
        callback.on_train_begin()


@pytest.mark.backend_neutral
def test_lr_at_before_fit_raises():
    with pytest.raises(CallbackValueError, match="Received: initial_lr=None"):
        StepLR(2).lr_at(3)


def test_hooks_follow_pytorch_formula_epoch_by_epoch():
    model = _model(keras.optimizers.SGD(0.05))
    callback = StepLR(step_size=3, gamma=0.5)
    callback.set_model(model)
    callback.on_train_begin()
    for epoch in range(10):
        callback.on_epoch_begin(epoch)
        logs = {"loss": 1.0}
        callback.on_epoch_end(epoch, logs)
        expected = _torch_step_lr(0.05, 3, 0.5, epoch)
        assert np.float32(logs["learning_rate"]) == expected
        assert np.float32(model.optimizer.learning_rate.numpy()) == expected


def test_verbose_prints_in_keras_form(capsys):
    callback = StepLR(step_size=2, gamma=0.1, verbose=1)
    callback.set_model(_model(keras.optimizers.SGD(0.1)))
    callback.on_train_begin()
    callback.on_epoch_begin(2)
    assert "Epoch 3: StepLR setting learning rate to 0.01." in capsys.readouterr().out
    quiet = StepLR(step_size=2)
    quiet.set_model(_model())
    quiet.on_train_begin()
    quiet.on_epoch_begin(0)
    assert capsys.readouterr().out == ""
    # Keras's switch for its own lines silences the callbacks' too.
    keras.config.disable_interactive_logging()
    try:
        callback.on_epoch_begin(4)
    finally:
        keras.config.enable_interactive_logging()
    assert capsys.readouterr().out == ""


def test_fit_schedules_resumes_and_changes_training(rng):
    x = rng.normal(size=(32, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = _model(keras.optimizers.SGD(0.1))
    callback = StepLR(step_size=2, gamma=0.1)
    first = model.fit(x, y, epochs=3, batch_size=8, verbose=0, shuffle=False,
                      callbacks=[callback])
    second = model.fit(x, y, epochs=6, initial_epoch=3, batch_size=8,
                       verbose=0, shuffle=False, callbacks=[callback])
    lrs = first.history["learning_rate"] + second.history["learning_rate"]
    assert np.allclose(lrs, [_torch_step_lr(0.1, 2, 0.1, e) for e in range(6)])

    fresh = StepLR(step_size=2, gamma=0.1, initial_lr=0.1)
    resumed = model.fit(x, y, epochs=6, initial_epoch=5, verbose=0,
                        callbacks=[fresh])
    assert np.isclose(resumed.history["learning_rate"][0], 0.001)

    keras.utils.set_random_seed(0)
    plain = _model(keras.optimizers.SGD(0.1))
    plain_hist = plain.fit(x, y, epochs=3, batch_size=8, verbose=0, shuffle=False)
    # Same seed and data: only the decayed rate of epoch 2 can differ.
    assert np.allclose(first.history["loss"][:2], plain_hist.history["loss"][:2])
    assert not np.isclose(first.history["loss"][2], plain_hist.history["loss"][2])
