import re
import warnings

import keras
import numpy as np
import pytest

from kerasnn.builders.dense import build_model
from kerasnn.errors import KerasnnTypeError
from kerasnn.errors import KerasnnValueError
from kerasnn.extras.tuning import cross_validate
from kerasnn.extras.tuning import tune
from kerasnn.builders.image import build_image_model

@pytest.fixture
def blobs(rng):
    X = rng.normal(size=(90, 4)).astype("float32")
    y = (X[:, 0] + X[:, 1] > 0).astype("int64")
    return X, y


class _Seen(keras.callbacks.Callback):
    """The inputs of the model each epoch's end shows the callbacks."""

    inputs = []

    def on_epoch_end(self, epoch, logs=None):
        type(self).inputs.append(len(self.model.inputs))


@pytest.mark.tf_only  # a string column
@pytest.mark.slow  # trains on 3,000 rows; CI runs it once
def test_tabular_trials_train_on_rows_encoded_once(tmp_path, rng,
                                                  monkeypatch):
    import pandas as pd

    from kerasnn.extras import _search_space

    trainers, encode = [], _search_space.encoded_trainer

    def recording(*args, **kwargs):
        trainers.append(encode(*args, **kwargs))
        return trainers[-1]

    monkeypatch.setattr(_search_space, "encoded_trainer", recording)
    n = 3000  # 2,400 training rows: above the 2,000 that train encoded
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                      "c": rng.choice(["x", "y", "z"], n)})
    y = np.where(X["a"] + (X["c"] == "x") > 0.5, "yes", "no")
    _Seen.inputs = []
    result = tune(X, y, max_trials=1, epochs=2, directory=str(tmp_path),
                  seed=0, verbose=0, callbacks=[_Seen()],
                  search_space={"units": [8], "batch_size": [64]})
    # The callbacks (keras-tuner's checkpoint among them) see the model of
    # raw rows, whose weights the encoded rows' network trained.
    assert len(trainers) == 1 and trainers[0]  # the trial trained encoded
    assert _Seen.inputs == [3, 3]
    assert np.isfinite(result.trials["score"].astype(float)).all()
    scores = result.model.predict(X.iloc[:200], verbose=0).ravel()
    labels = (y[:200] == "yes")
    assert scores[labels].mean() > scores[~labels].mean() + 0.2


@pytest.mark.slow  # trains several models; CI runs it once
def test_grid_search_tries_every_combination_in_order(blobs, tmp_path,
                                                      capsys):
    X, y = blobs
    result = tune(X, y, builder=build_model, search="grid", max_trials=4,
                  epochs=1, directory=str(tmp_path), seed=0, verbose=1,
                  search_space={"units": [4, 8], "dropout": [0.0, 0.2]})
    # verbose=1 prints a line per trial (silence: the test below).
    out = capsys.readouterr().out
    for trial in range(1, 5):
        assert f"Trial {trial}/4: val_loss " in out, out
    assert "best so far" in out
    trials = result.trials
    assert isinstance(result.model, keras.Model)
    assert len(trials) == 4 and (trials["status"] == "COMPLETED").all()
    assert set(zip(trials["units"], trials["dropout"])) == {
        (4, 0.0), (4, 0.2), (8, 0.0), (8, 0.2)}
    assert trials["score"].is_monotonic_increasing
    best = result.best_options
    assert best["hidden"] == [int(trials["units"][0])]
    assert best["dropout"] == trials["dropout"][0]


@pytest.mark.slow  # trains several models; CI runs it once
@pytest.mark.parametrize("search", ["random", "bayesian", "hyperband"])
def test_each_search_runs_and_resumes(search, blobs, tmp_path):
    X, y = blobs
    space = {"units": [4, 8, 16], "learning_rate": [1e-3, 1e-2]}
    # Hyperband's brackets need at least two epochs.
    kwargs = dict(builder=build_model, search=search, max_trials=2,
                  epochs=2 if search == "hyperband" else 1,
                  directory=str(tmp_path), project_name=search, seed=0,
                  search_space=space)
    first = tune(X, y, **kwargs).trials
    assert len(first) >= 2
    again = tune(X, y, **kwargs).trials  # reloads; no trial is run twice
    assert sorted(again["trial_id"]) == sorted(first["trial_id"])


class _Rates(keras.callbacks.Callback):
    """The optimizer's learning rate at each epoch's end, in the class's
    `rates` (keras-tuner gives each trial a deep copy of the callbacks)."""

    rates = []

    def on_epoch_end(self, epoch, logs=None):
        type(self).rates.append(float(keras.ops.convert_to_numpy(
            self.model.optimizer.learning_rate)))


@pytest.mark.tf_only
def test_tune_tabular_returns_raw_row_model(tmp_path, penguins_table):
    df = penguins_table.iloc[::3]
    X, y = df.drop(columns="species"), df["species"]
    _Rates.rates = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = tune(X, y, search="random", max_trials=1, epochs=2,
                      directory=str(tmp_path), seed=0, callbacks=[_Rates()],
                      search_space={"units": [8], "layers": [1, 2],
                                    "batch_size": [16, 32]})
    # Loading the best model says nothing of the optimizer's lost state.
    assert not [w for w in caught if "optimizer" in str(w.message)]
    # The ensemble trains as train_tabular trains it: warm-up over the
    # first epoch to the builder's rate, then a cosine decay to 0.
    rates = _Rates.rates
    assert len(rates) == 2 and rates[0] > 0 and rates[1] < 1e-2 * rates[0]
    assert {"units", "layers", "batch_size", "score"} <= set(result.trials.columns)
    assert set(result.best_options) == {"hidden", "batch_size"}
    model = result.model
    assert model.predict(dict(df), verbose=0).shape == (len(df), 3)
    assert X.equals(df.drop(columns="species"))  # caller's frame untouched


@pytest.mark.slow  # trains several models; CI runs it once
def test_cross_validate_dense_reports_mean_and_std(blobs):
    X, y = blobs
    result = cross_validate(X, y, builder=build_model, n_splits=3, epochs=2,
                            seed=0, hidden=[8])
    scores = result.scores
    assert list(scores.index) == [0, 1, 2]
    assert {"loss", "accuracy", "auc", "n_train", "n_test"} <= set(scores.columns)
    assert scores["n_test"].sum() == len(y)
    assert result.mean["accuracy"] == pytest.approx(scores["accuracy"].mean())
    assert result.std["accuracy"] == pytest.approx(scores["accuracy"].std())


@pytest.mark.slow  # trains several models; CI runs it once
def test_cross_validate_image_builder(rng):
    X = rng.normal(size=(24, 8, 8, 1)).astype("float32")
    y = np.arange(24) % 3
    result = cross_validate(X, y, builder=build_image_model, problem="multiclass",
                            n_splits=2, epochs=1, validation_split=0, blocks=1,
                            filters=4, head_units=4)
    assert len(result.scores) == 2 and "accuracy" in result.mean


@pytest.mark.tf_only
def test_cross_validate_tabular_is_stratified(penguins_table):
    df = penguins_table.iloc[::4]
    X, y = df.drop(columns="species"), df["species"]
    result = cross_validate(X, y, n_splits=3, epochs=1, seed=0, hidden=[4])
    scores = result.scores
    assert len(scores) == 3 and scores["n_test"].sum() == len(y)
    assert scores["n_test"].max() - scores["n_test"].min() <= 1
    assert result.mean["accuracy"] == pytest.approx(scores["accuracy"].mean())


@pytest.mark.backend_neutral
@pytest.mark.parametrize("kwargs, error, message", [
    (dict(search="grids"), KerasnnValueError, "Did you mean 'grid'"),
    (dict(strategy="random"), KerasnnTypeError, re.escape(
        "`strategy` must be a tf.distribute.Strategy (e.g. "
        "tf.distribute.MirroredStrategy()) or None. Received: "
        "strategy='random'. The search algorithm is `search`: "
        "tune(..., search='random').")),
    (dict(search_space={"colour": [1]}), KerasnnValueError,
     "does not take. Received: 'colour'"),
    (dict(search_space={"units": 8}), KerasnnTypeError,
     r"`search_space\['units'\]` must be a non-empty list"),
    (dict(search_space={"units": [8]}, hidden=[4]), KerasnnValueError,
     "cannot be fixed while `units`/`layers` are searched"),
    (dict(search_space={"dropout": [0.1]}, dropout=0.2), KerasnnValueError,
     "both searched and fixed"),
    (dict(builder="dense"), KerasnnTypeError, "must be a kerasnn builder"),
    (dict(max_trials=0), KerasnnValueError, "max_trials"),
    (dict(lr_schedule="linear"), KerasnnValueError, "lr_schedule"),
    (dict(lr_schedule="cosine", search="hyperband"), KerasnnValueError,
     "does not fit search='hyperband'"),
])
def test_tune_errors(kwargs, error, message, blobs, tmp_path):
    X, y = blobs
    kwargs = {"builder": build_model, "directory": str(tmp_path), **kwargs}
    with pytest.raises(error, match=message):
        tune(X, y, **kwargs)


@pytest.mark.backend_neutral
@pytest.mark.parametrize("X, y, kwargs, message", [
    (np.zeros((10, 2)), np.array(["a", "b"] * 5), {}, "must hold class codes 0..1"),
    (np.zeros((10, 2)), np.arange(10) % 2, {"n_splits": 20},
     "at most the number of rows"),
    (np.zeros((10, 2)), np.array([0] * 8 + [1] * 2), {"n_splits": 3},
     "at least `n_splits` rows of each class"),
])
def test_cross_validate_errors(X, y, kwargs, message):
    with pytest.raises(KerasnnValueError, match=message):
        cross_validate(X, y, builder=build_model, **kwargs)


@pytest.mark.backend_neutral
def test_non_numeric_features_for_array_builder():
    with pytest.raises(KerasnnTypeError, match="build_tabular_model for tables"):
        cross_validate(np.array([["a", "b"]] * 10), np.arange(10) % 2,
                       builder=build_model)


@pytest.mark.slow  # trains several models; CI runs it once
def test_tune_is_silent_at_verbose_0_and_when_logging_is_off(blobs, tmp_path,
                                                             capsys):
    # What verbose=1 prints: test_grid_search_tries_every_combination_in_order.
    X, y = blobs
    options = dict(builder=build_model, search="grid", max_trials=1, epochs=1,
                   seed=0, search_space={"units": [4]})
    tune(X, y, directory=str(tmp_path / "b"), verbose=0, **options)
    assert "Trial" not in capsys.readouterr().out
    keras.config.disable_interactive_logging()
    try:
        tune(X, y, directory=str(tmp_path / "c"), **options)
    finally:
        keras.config.enable_interactive_logging()
    assert "Trial" not in capsys.readouterr().out


def test_cross_validate_prints_a_line_per_fold(blobs, capsys):
    X, y = blobs
    # No inner validation split: the fold lines are the same, and each fold
    # trains without evaluating after its epoch (a third less work on JAX).
    options = dict(builder=build_model, n_splits=2, epochs=1, hidden=[4],
                   validation_split=0, seed=0)
    cross_validate(X, y, verbose=1, **options)
    out = capsys.readouterr().out
    assert "Fold 1/2: loss " in out and "Fold 2/2: loss " in out
    cross_validate(X, y, verbose=0, **options)
    assert "Fold" not in capsys.readouterr().out
    keras.config.disable_interactive_logging()
    try:
        cross_validate(X, y, **options)
    finally:
        keras.config.enable_interactive_logging()
    assert "Fold" not in capsys.readouterr().out
