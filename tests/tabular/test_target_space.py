"""`train_tabular(target_transform="auto")`: the target's space from its
skewness, in one run."""

import keras
import numpy as np
import pandas as pd
import pytest

from kerasnn.tabular import _fit_loop
from kerasnn.tabular.training import train_tabular


class Spaces(keras.callbacks.Callback):
    """The target space of every `fit` that runs this callback."""

    def __init__(self):
        super().__init__()
        self.spaces = []

    def on_train_begin(self, logs=None):
        self.spaces.append(self.model.target_transform)


def _train(X, y, **kwargs):
    return train_tabular(X, y, backbone="mlp", hidden=[4], numeric_bins=0,
                         epochs=2, seed=0, **kwargs)


@pytest.fixture
def rows(rng):
    return pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80)})


def test_a_skewed_target_trains_once_in_the_log_space(rows, capsys):
    # exp of a normal with spread 1.5: skewness far above 2.
    y = np.exp(1.5 * rows["a"].to_numpy())
    spaces = Spaces()
    model = _train(rows, y, callbacks=[spaces], verbose=1).model
    assert spaces.spaces == ["log"]
    tabular = model.get_config()["tabular"]
    assert tabular["target_skewness"] > 2
    assert "target_transform_validation_rmse" not in tabular
    assert "training target_transform=log" in capsys.readouterr().out


def test_a_mildly_skewed_target_trains_once_on_its_values(rows):
    y = 10 + rows["a"].to_numpy() + 0.3 * rows["a"].to_numpy() ** 2
    spaces = Spaces()
    model = _train(rows, y, callbacks=[spaces], verbose=0).model
    assert spaces.spaces == [None]
    assert 0 < model.get_config()["tabular"]["target_skewness"] <= 2


def test_auto_gives_the_run_of_the_space_it_chose(rows):
    y = 10 + rows["a"].to_numpy() + 0.3 * rows["a"].to_numpy() ** 2
    auto = _train(rows, y, verbose=0).model
    values = _train(rows, y, target_transform=None, verbose=0).model
    np.testing.assert_allclose(auto.predict(rows, verbose=0),
                               values.predict(rows, verbose=0), rtol=1e-5)


@pytest.mark.parametrize("y", [
    lambda a: -np.exp(a),              # < 0: no log space
    lambda a: np.where(a > 0, "high", "low"),  # classes: no target space
])
def test_no_skewness_where_there_is_no_choice(rows, y):
    model = _train(rows, y(rows["a"].to_numpy()), verbose=0).model
    assert model.target_transform is None
    assert "target_skewness" not in model.get_config()["tabular"]


def test_compare_and_trial_still_train_both_spaces(rows, monkeypatch):
    monkeypatch.setattr(_fit_loop, "TRIAL_EPOCHS", 1)
    y = np.exp(rows["a"].to_numpy())
    for choice, expected in (("compare", [None, "log"]),
                             ("trial", [None, "log"])):
        calls = []
        fit_run = _fit_loop._fit_run

        def counting(*args, **kwargs):
            calls.append(kwargs["transform"])
            return fit_run(*args, **kwargs)

        monkeypatch.setattr(_fit_loop, "_fit_run", counting)
        model = _train(rows, y, target_transform=choice, verbose=0).model
        assert calls[:2] == expected
        assert "target_skewness" not in model.get_config()["tabular"]
        monkeypatch.setattr(_fit_loop, "_fit_run", fit_run)
