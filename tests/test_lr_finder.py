import math
import warnings

import keras
import numpy as np
import pytest

from kerasnn.callbacks import CallbackTypeError
from kerasnn.callbacks import CallbackValueError
from kerasnn.callbacks import CallbackWarning
from kerasnn.callbacks import LRFinder
from kerasnn.callbacks import find_lr
from kerasnn.callbacks.lr_finder import METHODS


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


@pytest.mark.backend_neutral
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
    with pytest.raises(CallbackTypeError, match="Received: learning_rate=<"):
        find_lr(_model(keras.optimizers.Adam(lambda: 1e-3)), x, y)
    # As a callback the finder cannot swap a schedule out: find_lr can.
    schedule = keras.optimizers.schedules.ExponentialDecay(1e-3, 10, 0.9)
    with pytest.raises(CallbackTypeError,
                       match=r"Received: learning_rate=<.*Use `find_lr`"):
        _model(keras.optimizers.Adam(schedule)).fit(
            x, y, epochs=1, verbose=0, callbacks=[LRFinder()])


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
    assert finder.suggestion_note is None
    # "minimum" reads the centred trend, not the moving average (which lags
    # past the floor): a tenth of a rate where the batch loss is lowest.
    minimum = finder.suggest("minimum")
    i = int(np.argmin(np.abs(lrs - 10 * minimum)))
    assert minimum == pytest.approx(lrs[i] / 10)
    assert finder.losses[i] == min(finder.losses)
    assert lrs[10] <= finder.suggest("steepest") <= lrs[40]


def test_short_and_flat_curves_warn():
    finder = LRFinder(num_steps=100)
    with pytest.warns(CallbackWarning, match="only 5 usable points"):
        _drive(finder, _model(), [1.0, 1.0, 1.0, 1.0, 1.0, math.nan])
    finder = LRFinder(num_steps=30)
    with pytest.warns(CallbackWarning, match="the loss curve is flat"):
        _drive(finder, _model(), [1.0 + 0.001 * (i % 2) for i in range(30)])
    assert finder.suggestion is None
    assert finder.suggestion_note.startswith("the loss curve is flat")


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
    finder.plot(tmp_path / "lr.png")  # a positional path, as before
    assert (tmp_path / "lr.png").stat().st_size > 1000


def test_find_lr_swaps_a_schedule_out_and_puts_it_back(rng):
    x, y = _data(rng, n=128)

    def trained():
        # Halves the rate every 2 steps; one epoch traces the train step
        # with the schedule.
        keras.utils.set_random_seed(1)
        schedule = keras.optimizers.schedules.ExponentialDecay(1e-2, 2, 0.5)
        model = _model(keras.optimizers.Adam(schedule), bn=False)
        model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
        return model, schedule

    model, schedule = trained()
    twin, _ = trained()
    weights, opt = _state(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CallbackWarning)
        finder = find_lr(model, x, y, batch_size=16, start_lr=1e-4,
                         end_lr=1e3, num_steps=30)
    # The swept rates were used, not the schedule (below 1e-2): the loss
    # diverged before the end of the sweep.
    assert 2 <= len(finder.losses) < 30
    assert max(finder.losses) > 4 * min(finder.losses)
    # The same schedule object (Keras 3 keeps it in `_learning_rate`), the
    # same optimizer variables (the float rate's variable is gone) and
    # weights.
    assert model.optimizer._learning_rate is schedule
    assert _same(weights, _state(model)[0]) and _same(opt, _state(model)[1])
    # Training goes on along the schedule, as on a model never swept.
    for m in (model, twin):
        m.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    for a, b in zip(_state(model)[0], _state(twin)[0]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    assert int(model.optimizer.iterations.numpy()) == 16


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


class SubclassedNet(keras.Model):
    """A subclassed model: unbuilt until it is first called."""

    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(8, activation="relu")
        self.norm = keras.layers.BatchNormalization()
        self.out = keras.layers.Dense(2)

    def call(self, x, training=None):
        return self.out(self.norm(self.hidden(x), training=training))


def _unbuilt(kind):
    if kind == "subclassed":
        model = SubclassedNet()
    else:  # A Sequential without `Input`.
        model = keras.Sequential([keras.layers.Dense(8, activation="relu"),
                                  keras.layers.Dense(2)])
    model.compile(keras.optimizers.Adam(1e-3),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


@pytest.mark.parametrize("kind", ["subclassed", "sequential"])
@pytest.mark.parametrize("how", ["find_lr", "fit"])
def test_unbuilt_model_is_built_swept_and_restored_exactly(rng, kind, how):
    x, y = _data(rng, n=64)
    # The same seed builds a twin with the same initial weights, and its
    # optimizer built on them gives the freshly built optimizer state.
    keras.utils.set_random_seed(1)
    twin = _unbuilt(kind)
    twin(x[:16])
    twin.optimizer.build(twin.trainable_variables)
    weights, opt = _state(twin)
    keras.utils.set_random_seed(1)
    model = _unbuilt(kind)
    assert not model.built
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CallbackWarning)
        if how == "find_lr":
            finder = find_lr(model, x, y, batch_size=16, num_steps=8)
        else:
            finder = LRFinder(num_steps=8)
            model.fit(x, y, epochs=2, batch_size=16, verbose=0,
                      callbacks=[finder])
    assert len(finder.losses) >= 2
    after_w, after_o = _state(model)
    assert _same(weights, after_w) and _same(opt, after_o)
    assert float(model.optimizer.learning_rate.numpy()) == np.float32(1e-3)
    # The optimizer was built on the model's variables: training goes on.
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 4


def _finder_with(losses, **kwargs):
    """A finder holding a recorded sweep, without training anything."""
    finder = LRFinder(num_steps=len(losses), **kwargs)
    finder.lrs = [finder._rate(i) for i in range(len(losses))]
    finder.losses = [float(v) for v in losses]
    return finder


def _log_lrs(n=100):
    return np.log10(_finder_with(np.ones(n)).lrs)


@pytest.mark.backend_neutral
def test_trained_model_curve_warns_and_suggests_below_the_rise(rng):
    # Flat at a low loss up to 1e-3, then rising: a model already trained.
    ll = _log_lrs()
    curve = (0.1 + np.where(ll > -3, 2 * (ll + 3) ** 2, 0)) * np.exp(
        0.1 * rng.normal(size=100))
    finder = _finder_with(curve)
    with pytest.warns(CallbackWarning, match="no clear descent") as record:
        lr = finder.suggest()
    assert "a tenth of the last rate before the rise" in str(record[0].message)
    assert finder.suggestion_note in str(record[0].message)
    assert finder.suggestion_note.startswith("no clear descent")
    # A tenth of a rate just before the rise at 1e-3, not start_lr.
    assert 10 ** -4.6 < lr < 10 ** -3.6
    for method in METHODS:
        with pytest.warns(CallbackWarning, match="no clear descent"):
            assert finder.suggest(method) == lr


@pytest.mark.backend_neutral
def test_curve_rising_from_the_start_gives_none_with_the_reason(rng):
    ll = _log_lrs()
    curve = (0.5 + 0.5 * np.clip(ll + 6.5, 0, None) ** 2) * np.exp(
        0.02 * rng.normal(size=100))
    finder = _finder_with(curve)
    with pytest.warns(CallbackWarning, match="rises from near the start"):
        assert finder.suggest() is None
    assert "Lower `start_lr` (received start_lr=1e-07)" in finder.suggestion_note


@pytest.mark.backend_neutral
def test_minimum_in_first_tenth_gives_none():
    # A clear fall within the first tenth, then a slow rise: the minimum
    # sits at step 6 of 100.
    steps = np.arange(100)
    curve = np.where(steps < 6, 2.0 - 0.3 * steps, 0.2 + 0.05 * (steps - 6))
    finder = _finder_with(curve, diverge=100.0)
    with pytest.warns(CallbackWarning, match="lowest in the first tenth"):
        assert finder.suggest() is None


@pytest.mark.backend_neutral
def test_descent_under_way_at_start_moves_the_valley_out_of_first_tenth():
    # Falling from the first step to step 8, then flat, then diverging.
    steps = np.arange(60)
    curve = np.where(steps < 8, 2.0 - 0.1875 * steps, 0.5)
    curve = curve + np.where(steps > 50, 0.5 * (steps - 50) ** 2, 0)
    finder = _finder_with(curve)
    for method in ("valley", "steepest"):
        with pytest.warns(CallbackWarning, match="already falling at start_lr"):
            # ceil(60 / 10) = 6 steps form the first tenth: the next rate.
            assert finder.suggest(method) == finder.lrs[6]
    with pytest.warns(CallbackWarning, match="a tenth of the minimum's rate"):
        assert finder.suggest("minimum") < finder.lrs[6]


@pytest.mark.backend_neutral
def test_noisy_descent_is_found_without_warning(rng):
    # Small batches: 25% noise on a curve falling from 1e-4 to 1e-2.
    ll = _log_lrs()
    d = np.clip((ll + 4) / 2, 0, 1)
    curve = (2.3 - 1.8 * d + np.where(ll > -1, 30 * (ll + 1) ** 2, 0)) * np.exp(
        0.25 * rng.normal(size=100))
    finder = _finder_with(curve)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CallbackWarning)
        lr = finder.suggest()
    assert finder.suggestion_note is None
    assert 1e-4 < lr < 1e-2


@pytest.mark.backend_neutral
def test_never_silently_in_first_tenth(rng):
    """Random curves: a suggestion without a warning is past the first tenth."""
    ll = _log_lrs()
    head_lr = _finder_with(np.ones(100))._rate(10)
    for trial in range(60):
        start, width = rng.uniform(-8, 0), rng.uniform(0.2, 4)
        fall = rng.uniform(0, 2)
        base = 1.0 + fall * (1 - np.clip((ll - start) / width, 0, 1))
        rise = rng.uniform(-7, 1)
        base = base + np.where(ll > rise, rng.uniform(0.5, 20) * (ll - rise) ** 2, 0)
        curve = base * np.exp(rng.uniform(0, 0.5) * rng.normal(size=100))
        for method in METHODS:
            finder = _finder_with(curve)
            with warnings.catch_warnings(record=True) as record:
                warnings.simplefilter("always")
                lr = finder.suggest(method)
            warned = [w for w in record if w.category is CallbackWarning]
            assert bool(warned) == (finder.suggestion_note is not None)
            if not warned:
                assert lr is not None and lr >= head_lr, (trial, method)


@pytest.mark.parametrize("verbose", ["auto", 1, 2])
def test_find_lr_shows_a_progress_bar(rng, capsys, verbose):
    x, y = _data(rng, 64)
    model = _model(bn=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CallbackWarning)
        find_lr(model, x, y, batch_size=8, num_steps=8, verbose=verbose)
    out = capsys.readouterr().out
    assert "8/8" in out and "loss:" in out and "learning_rate:" in out
    assert "LRFinder: suggested learning rate" in out


def test_find_lr_is_silent_with_verbose_0_or_interactive_logging_off(
        rng, capsys):
    x, y = _data(rng, 64)
    model = _model(bn=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CallbackWarning)
        find_lr(model, x, y, batch_size=8, num_steps=8, verbose=0)
        assert capsys.readouterr() == ("", "")
        keras.config.disable_interactive_logging()
        try:
            find_lr(model, x, y, batch_size=8, num_steps=8)
        finally:
            keras.config.enable_interactive_logging()
    captured = capsys.readouterr()
    assert "8/8" not in captured.out + captured.err
    assert "LRFinder" not in captured.out + captured.err


@pytest.mark.backend_neutral
@pytest.mark.parametrize("verbose, error, message", [
    ("yes", CallbackValueError, "Received: verbose='yes'."),
    (3, CallbackValueError, "Received: verbose=3."),
    (True, CallbackTypeError, "Received: verbose=True (of type bool)."),
])
def test_find_lr_verbose_is_checked(verbose, error, message):
    with pytest.raises(error) as caught:
        find_lr(None, None, verbose=verbose)
    assert str(caught.value) == (
        f"find_lr: `verbose` must be 'auto', 0, 1 or 2. {message}")
