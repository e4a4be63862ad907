"""`train_tabular`'s learning-rate schedules and `epochs="auto"`."""

import keras
import numpy as np
import pandas as pd
import pytest

from kerasnn.errors import KerasnnValueError
from kerasnn.tabular import _fit_loop
from kerasnn.tabular import training
from kerasnn.tabular.training import train_tabular


@pytest.fixture
def table(rng):
    X = pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40)})
    y = np.where(X["a"] > 0, "yes", "no")
    return X, y


def _rate(optimizer, step):
    optimizer.iterations.assign(step)
    return float(keras.ops.convert_to_numpy(optimizer.learning_rate))


def test_cosine_schedule_warms_up_then_decays_to_zero():
    optimizer = keras.optimizers.AdamW(learning_rate=2e-3)
    assert _fit_loop.cosine_schedule(optimizer, epochs=10, steps_per_epoch=4)
    assert _rate(optimizer, 0) == 0.0
    assert _rate(optimizer, 2) == pytest.approx(1e-3)
    assert _rate(optimizer, 4) == pytest.approx(2e-3)  # one epoch of warm-up
    assert _rate(optimizer, 22) == pytest.approx(1e-3)  # half way down
    assert _rate(optimizer, 40) == pytest.approx(0.0, abs=1e-9)


def test_cosine_schedule_leaves_an_optimizers_own_schedule_alone():
    own = keras.optimizers.schedules.ExponentialDecay(1e-3, 10, 0.5)
    optimizer = keras.optimizers.Adam(learning_rate=own)
    assert not _fit_loop.cosine_schedule(optimizer, epochs=10,
                                         steps_per_epoch=4)
    assert _rate(optimizer, 10) == pytest.approx(5e-4)


def test_one_epoch_run_warms_up_over_half_its_steps():
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    _fit_loop.cosine_schedule(optimizer, epochs=1, steps_per_epoch=4)
    assert _rate(optimizer, 2) == pytest.approx(1e-3)


@pytest.mark.parametrize("options, schedule, epochs", [
    ({}, "cosine", training.COSINE_EPOCHS),
    ({"backbone": "mlp"}, "plateau", training.PLATEAU_EPOCHS),
    ({"lr_schedule": "plateau"}, "plateau", training.PLATEAU_EPOCHS),
    ({"lr_schedule": "cosine", "epochs": 7}, "cosine", 7),
    ({"backbone": "mlp", "lr_schedule": "cosine"}, "cosine",
     training.COSINE_EPOCHS),
])
def test_auto_schedule_and_epochs_follow_the_backbone(table, monkeypatch,
                                                      options, schedule,
                                                      epochs):
    seen = []
    monkeypatch.setattr(training, "fit_best",
                        lambda *args, **kwargs: seen.append(args[-1]))
    monkeypatch.setattr(training, "_auto_skewness", lambda *args: None)
    train_tabular(*table, **options)
    assert (seen[0].lr_schedule, seen[0].epochs) == (schedule, epochs)


@pytest.mark.parametrize("options, rate", [
    ({}, training.COSINE_LEARNING_RATE),
    ({"learning_rate": 1e-3}, 1e-3),
    ({"lr_schedule": "plateau"}, None),  # the builder's 2e-3
    ({"backbone": "mlp", "lr_schedule": "cosine"}, None),
    ({"optimizer": "adam"}, None),
])
def test_cosine_peak_rate_unless_one_is_given(table, monkeypatch, options,
                                              rate):
    seen = []
    monkeypatch.setattr(training, "fit_best",
                        lambda *args, **kwargs: seen.append(args[-1]))
    monkeypatch.setattr(training, "_auto_skewness", lambda *args: None)
    train_tabular(*table, **options)
    assert seen[0].options.get("learning_rate") == rate


@pytest.mark.parametrize("rows, ensemble, batch", [
    (300, True, 32), (15_000, True, 128), (100_000, True, 128),
    (15_000, False, 128), (100_000, False, 512), (300, False, 32),
])
def test_auto_batch_size(rows, ensemble, batch):
    assert _fit_loop._batch_size("auto", rows, ensemble) == batch
    assert _fit_loop._batch_size(64, rows, ensemble) == 64


@pytest.mark.parametrize("schedule, plateau", [("cosine", False),
                                               ("plateau", True)])
def test_the_schedule_is_honoured_in_training(table, monkeypatch, schedule,
                                              plateau):
    made = []

    class Recording(keras.callbacks.ReduceLROnPlateau):
        def __init__(self, **kwargs):
            made.append(self)
            super().__init__(**kwargs)

    monkeypatch.setattr(keras.callbacks, "ReduceLROnPlateau", Recording)
    model = train_tabular(*table, k=2, hidden=[4], numeric_bins=0, epochs=2,
                          lr_schedule=schedule, seed=0, verbose=0).model
    assert bool(made) == plateau
    assert isinstance(model.optimizer.learning_rate, keras.Variable) == plateau


def test_a_cosine_model_saves_and_loads_in_safe_mode(table, tmp_path):
    X, y = table
    model = train_tabular(X, y, k=2, hidden=[4], numeric_bins=0, epochs=2,
                          seed=0, verbose=0).model
    path = str(tmp_path / "cosine.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(X, verbose=0),
                               model.predict(X, verbose=0), rtol=1e-6)


@pytest.mark.parametrize("options, message", [
    ({"lr_schedule": "linear"},
     r"`lr_schedule`.*'auto', 'cosine', 'plateau'.*Received: "
     r"lr_schedule='linear'"),
    ({"epochs": "many"}, r"`epochs`.*Received: epochs='many'"),
])
def test_bad_schedule_or_epochs_is_refused_before_training(table, options,
                                                           message):
    with pytest.raises((KerasnnValueError, TypeError), match=message):
        train_tabular(*table, **options)
