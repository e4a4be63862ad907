"""`train_tabular`'s ways of choosing a regression target's space."""

import keras
import numpy as np
import pandas as pd
import pytest

from kerasnn.tabular import _fit_loop
from kerasnn.tabular.training import train_tabular


@pytest.fixture
def prices(rng):
    X = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    return X, np.exp(1 + X["a"].to_numpy())


class Spaces(keras.callbacks.Callback):
    """The target space of every `fit` that runs this callback."""

    def __init__(self):
        super().__init__()
        self.spaces = []

    def on_train_begin(self, logs=None):
        self.spaces.append(self.model.target_transform)


@pytest.fixture(autouse=True)
def one_epoch_trials(monkeypatch):
    monkeypatch.setattr(_fit_loop, "TRIAL_EPOCHS", 1)


def _train(X, y, **kwargs):
    return train_tabular(X, y, backbone="mlp", hidden=[4], numeric_bins=0,
                         epochs=2, seed=0, verbose=0, **kwargs)


def test_trial_trains_one_full_run_in_the_space_short_runs_chose(
        prices, monkeypatch):
    # ... and that run is the one a run in that space alone gives.
    calls = []
    fit_run = _fit_loop._fit_run

    def counting(*args, **kwargs):
        calls.append((args[3].epochs, kwargs["transform"]))
        return fit_run(*args, **kwargs)

    monkeypatch.setattr(_fit_loop, "_fit_run", counting)
    spaces = Spaces()
    model = _train(*prices, target_transform="trial",
                   callbacks=[spaces]).model
    tabular = model.get_config()["tabular"]
    scores = tabular["target_transform_trial_rmse"]
    assert set(scores) == {"None", "log"}
    chosen = min(scores, key=scores.get)
    assert str(model.target_transform) == chosen
    assert "target_transform_validation_rmse" not in tabular
    # The short runs take none of the caller's callbacks.
    assert spaces.spaces == [model.target_transform]
    assert calls == [(1, None), (1, "log"), (2, model.target_transform)]
    monkeypatch.setattr(_fit_loop, "_fit_run", fit_run)
    one = _train(*prices, target_transform=model.target_transform).model
    X = prices[0]
    np.testing.assert_allclose(model.predict(X, verbose=0),
                               one.predict(X, verbose=0), rtol=1e-5)


@pytest.mark.tf_only  # a string column
def test_trial_model_saves_and_loads_in_safe_mode(prices, tmp_path):
    X, y = prices
    X = X.assign(kind=np.where(X["b"] > 0, "x", None))
    X.loc[0, "a"] = np.nan
    model = _train(X, y, target_transform="trial").model
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(X, verbose=0),
                               model.predict(X, verbose=0), rtol=1e-5)
    assert (loaded.get_config()["tabular"]["target_transform_trial_rmse"]
            == model.get_config()["tabular"]["target_transform_trial_rmse"])


@pytest.mark.parametrize("choice", ["compare", "trial"])
def test_choices_fall_back_to_one_run_without_two_spaces(prices, choice):
    X, y = prices
    spaces = Spaces()
    # A target < 0 has no log space; classes have no target space.
    assert _train(X, -y, target_transform=choice,
                  callbacks=[spaces]).model.target_transform is None
    labels = np.where(y > np.median(y), "high", "low")
    assert _train(X, labels, target_transform=choice,
                  callbacks=[spaces]).model.target_transform is None
    assert spaces.spaces == [None, None]
