import math
import warnings

import keras
import numpy as np
import pytest

from callbacks import CallbackTypeError
from callbacks import CallbackValueError
from callbacks import CallbackWarning
from callbacks import LRFinder
from callbacks import find_lr


def _data(rng, n=256):
    x = rng.normal(size=(n, 6)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int32")
    return x, y


def _model(optimizer=None, bn=True):
    layers = [keras.Input((6,)), keras.layers.Dense(16, activation="relu")]
    if bn:
        layers += [keras.layers.BatchNormalization(), keras.layers.Dropout(0.1)]
    model = keras.Sequential(layers + [keras.layers.Dense(2)])
    model.compile(
        optimizer or keras.optimizers.Adam(1e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def _state(model):
    return ([v.numpy().copy() for v in model.variables],
            [v.numpy().copy() for v in model.optimizer.variables])


def _same(a, b):
    return len(a) == len(b) and all(
        x.dtype == y.dtype and np.array_equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"start_lr": 0}, "`start_lr` must be a finite number in the range (0.0, inf). Received: start_lr=0"),
        ({"start_lr": 1e-2, "end_lr": 1e-3}, "`end_lr` must be greater than `start_lr`. Received: start_lr=0.01, end_lr=0.001"),
        ({"num_steps": 1}, "`num_steps` must be an integer >= 2. Received: num_steps=1"),
        ({"beta": 1.0}, "`beta` must be a finite number in the range [0.0, 1.0). Received: beta=1.0"),
        ({"diverge": 0.5}, "Received: diverge=0.5"),
        ({"method": "best"}, "`method` must be one of 'valley', 'steepest', 'minimum'. Received: method='best'"),
        ({"verbose": -1}, "Received: verbose=-1"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(CallbackValueError) as info:
        LRFinder(**kwargs)
    assert message in str(info.value)


def test_suggest_plot_and_find_lr_errors(rng, tmp_path):
    finder = LRFinder()
    with pytest.raises(CallbackValueError, match="Received: method='fast'"):
        finder.suggest("fast")
    with pytest.raises(CallbackValueError, match="needs a recorded sweep"):
        finder.plot(tmp_path / "lr.png")
    x, y = _data(rng)
    with pytest.raises(CallbackTypeError, match=r"unknown option\(s\) \['lr'\]"):
        find_lr(_model(), x, y, lr=1.0)
    with pytest.raises(CallbackValueError, match="Received: batch_size=0"):
        find_lr(_model(), x, y, batch_size=0)
    schedule = keras.optimizers.schedules.ExponentialDecay(1e-3, 10, 0.9)
    with pytest.raises(CallbackTypeError, match="Received: learning_rate=<"):
        find_lr(_model(keras.optimizers.Adam(schedule)), x, y)


def test_missing_loss_in_logs_raises():
    finder = LRFinder(num_steps=5)
    finder.set_model(_model())
    finder.on_train_begin()
    finder.on_train_batch_begin(0)
    with pytest.raises(CallbackValueError, match=r"Received: logs with keys \['acc'\]"):
        finder.on_train_batch_end(0, {"acc": 0.5})


def _drive(finder, model, losses):
    finder.set_model(model)
    finder.on_train_begin()
    for i, loss in enumerate(losses):
        if model.stop_training:
            break
        finder.on_train_batch_begin(i)
        finder.on_train_batch_end(i, {"loss": loss})
    finder.on_train_end()


def test_hooks_sweep_smooth_stop_and_suggest():
    model = _model()
    model.stop_training = False
    n = 50
    # A typical range-test curve: flat, a long valley, then divergence.
    t = np.linspace(0, 1, n)
    curve = list(2.0 - 1.5 * np.clip((t - 0.2) / 0.5, 0, 1)
                 + np.where(t > 0.8, 40 * (t - 0.8) ** 2 * 50, 0))
    finder = LRFinder(1e-5, 1.0, num_steps=n, beta=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CallbackWarning)
        _drive(finder, model, curve)
    expected_lrs = 1e-5 * (1e5) ** (np.arange(len(finder.lrs)) / (n - 1))
    assert np.allclose(finder.lrs, expected_lrs)
    assert finder.losses == curve[:len(finder.losses)]
    avg, debiased = 0.0, []
    for i, loss in enumerate(finder.losses):
        avg = 0.9 * avg + 0.1 * loss
        debiased.append(avg / (1 - 0.9 ** (i + 1)))
    assert np.allclose(finder.smoothed_losses, debiased)
    # Stopped on divergence (smoothed > 4x best), before num_steps.
    assert model.stop_training and len(finder.losses) < n
    assert finder.smoothed_losses[-1] > 4 * min(finder.smoothed_losses)
    lrs = np.asarray(finder.lrs)
    valley = finder.suggestion
    assert lrs[10] < valley < lrs[40]
    assert finder.suggest("minimum") == pytest.approx(
        lrs[int(np.argmin(finder.smoothed_losses))] / 10)
    assert lrs[10] <= finder.suggest("steepest") <= lrs[40]


def test_short_and_flat_curves_warn():
    finder = LRFinder(num_steps=100)
    with pytest.warns(CallbackWarning, match="only 5 usable points"):
        _drive(finder, _model(), [1.0, 1.0, 1.0, 1.0, 1.0, math.nan])
    finder = LRFinder(num_steps=30)
    with pytest.warns(CallbackWarning, match="the loss curve is flat"):
        _drive(finder, _model(), [1.0 + 0.001 * (i % 2) for i in range(30)])


def test_find_lr_restores_bit_identical_state(rng, tmp_path):
    x, y = _data(rng)
    model = _model()
    model.fit(x, y, epochs=1, batch_size=64, verbose=0)
    weights, opt = _state(model)
    finder = find_lr(model, x, y, batch_size=16, num_steps=40)
    assert 2 <= len(finder.losses) <= 40
    assert len(finder.lrs) == len(finder.losses)
    after_w, after_o = _state(model)
    assert _same(weights, after_w) and _same(opt, after_o)
    assert finder.suggestion is None or 1e-7 <= finder.suggestion <= 10
    path = finder.plot(tmp_path / "lr.png")
    assert (tmp_path / "lr.png").stat().st_size > 1000 and path == tmp_path / "lr.png"


def test_callback_use_restores_unbuilt_optimizer_and_lr(rng):
    x, y = _data(rng)
    model = _model(keras.optimizers.SGD(0.01, momentum=0.9), bn=False)
    model.optimizer.build(model.trainable_variables)
    weights, opt = _state(model)
    finder = LRFinder(1e-4, 1.0, num_steps=12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CallbackWarning)
        model.fit(x, y, epochs=3, batch_size=32, verbose=0, callbacks=[finder])
    assert len(finder.lrs) == 12
    after_w, after_o = _state(model)
    assert _same(weights, after_w) and _same(opt, after_o)
    assert float(model.optimizer.learning_rate.numpy()) == np.float32(0.01)


def test_records_true_batch_loss_and_rates_take_effect(rng):
    x, y = _data(rng, n=128)
    model = _model(keras.optimizers.SGD(0.1), bn=False)
    tiny = LRFinder(1e-12, 1e-11, num_steps=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CallbackWarning)
        model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0,
                  callbacks=[tiny])
    # With a negligible rate the weights do not move: each recorded loss is
    # that batch's loss, not Keras's running mean over the epoch.
    batch_losses = [
        float(model.evaluate(x[i:i + 16], y[i:i + 16], verbose=0))
        for i in range(0, 128, 16)
    ]
    assert np.allclose(tiny.losses, batch_losses, rtol=1e-4, atol=1e-5)
    big = LRFinder(0.5, 5.0, num_steps=8, diverge=1e6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CallbackWarning)
        model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0,
                  callbacks=[big])
    # Large rates change the weights between batches, so later losses differ.
    assert big.losses[0] == pytest.approx(tiny.losses[0], rel=1e-5)
    assert not np.allclose(big.losses[2:], tiny.losses[2:], rtol=1e-3)


@pytest.mark.tf_only
def test_find_lr_on_dataset(rng):
    import tensorflow as tf

    x, y = _data(rng)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(256, seed=0).batch(32)
    model = _model()
    model.optimizer.build(model.trainable_variables)
    weights, opt = _state(model)
    finder = find_lr(model, ds, num_steps=20)
    assert len(finder.losses) >= 2
    assert _same(weights, _state(model)[0]) and _same(opt, _state(model)[1])
