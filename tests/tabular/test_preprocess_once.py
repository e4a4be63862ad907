"""`train_tabular(preprocess_once=True)`: the preprocessing runs once, the
trained model still takes raw rows."""

import keras
import numpy as np
import pandas as pd
import pytest

from kerasnn.errors import KerasnnTypeError
from kerasnn.tabular import _fit_loop
from kerasnn.tabular import _preprocess_once
from kerasnn.tabular._preprocess_once import split_preprocessing
from kerasnn.tabular.model import build_tabular_model
from kerasnn.tabular.training import train_tabular


@pytest.fixture
def table(rng):
    X = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60),
                      "kind": rng.choice(["x", "y", None], size=60)})
    X.loc[:4, "a"] = np.nan
    y = np.where(X["b"] + (X["kind"] == "x") > 0.5, "yes", "no")
    return X, y


@pytest.fixture
def encoded(monkeypatch):
    """Encodes tables of any size, and counts the runs that did."""
    monkeypatch.setattr(_preprocess_once, "MIN_ROWS", 0)
    used = []

    def counting(*args, **kwargs):
        parts = _preprocess_once.encoded_trainer(*args, **kwargs)
        used.append(bool(parts))
        return parts

    monkeypatch.setattr(_fit_loop, "encoded_trainer", counting)
    return used


def _train(X, y, **kwargs):
    kwargs.setdefault("preprocess_once", True)
    return train_tabular(X, y, hidden=[8], k=2, numeric_bins=4, epochs=2,
                         seed=0, verbose=0, **kwargs)


@pytest.mark.tf_only  # a string column
def test_same_model_as_preprocessing_in_every_step(table, encoded, tmp_path):
    X, y = table
    once = _train(X, y)
    every = _train(X, y, preprocess_once=False)
    assert encoded == [True]
    np.testing.assert_array_equal(once.model.predict(X, verbose=0),
                                  every.model.predict(X, verbose=0))
    assert once.history.history.keys() == every.history.history.keys()
    np.testing.assert_allclose(once.history.history["val_loss"],
                               every.history.history["val_loss"])
    # The trained model takes raw rows, saves and loads in safe mode.
    model = once.model
    assert model.optimizer.iterations.numpy() > 0  # the model's optimizer
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(dict(X), verbose=0),
                               model.predict(X, verbose=0), rtol=1e-6)


@pytest.mark.tf_only  # a string column
def test_callbacks_see_the_model_of_raw_rows(table, encoded):
    seen = []

    class Inputs(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen.append(sorted(self.model.input))

    _train(*table, callbacks=[Inputs()])
    assert encoded == []
    assert seen == [["a", "b", "kind"]]


@pytest.mark.tf_only  # a string column
def test_small_tables_train_on_raw_rows(table, monkeypatch):
    monkeypatch.setattr(_preprocess_once, "MIN_ROWS", 61)
    X, y = table
    model = build_tabular_model(X, y, hidden=[8], k=2, seed=0)
    assert _preprocess_once.encoded_trainer(model, X, None) is None


@pytest.mark.tf_only  # a string column
def test_split_takes_out_the_layers_without_weights_to_train(table):
    X, y = table
    model = build_tabular_model(X, y, hidden=[8], k=2, numeric_bins=4,
                                seed=0)
    preprocessing, network = split_preprocessing(model)
    assert not preprocessing.trainable_weights
    assert {id(v) for v in network.trainable_weights} == {
        id(v) for v in model.trainable_weights}
    encoded = preprocessing.predict(model.prepare_inputs(X), verbose=0)
    np.testing.assert_allclose(network.predict(encoded, verbose=0),
                               model.predict(X, verbose=0), rtol=1e-6)


def test_preprocess_once_must_be_a_bool(table):
    with pytest.raises(KerasnnTypeError, match="preprocess_once=1"):
        _train(*table, preprocess_once=1)
