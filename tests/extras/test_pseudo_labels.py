"""Pseudo-labels (`train_pseudo_labeled`) and `train_tabular(validation_data=)`."""

import numpy as np
import pandas as pd
import pytest

import kerasnn
from kerasnn.extras.pseudo_labels import _pseudo_labels

# The tabular model takes raw strings: TensorFlow only.
pytestmark = pytest.mark.tf_only


def _split_penguins(table, n_labelled=60):
    table = table.dropna(subset=["species"]).sample(frac=1, random_state=0)
    X, y = table.drop(columns="species"), table["species"]
    return (X.iloc[:n_labelled], y.iloc[:n_labelled],
            X.iloc[n_labelled:].reset_index(drop=True),
            y.iloc[n_labelled:].to_numpy())


def test_validation_data_replaces_the_split(penguins_table):
    X, y, X_val, y_val = _split_penguins(penguins_table, 200)
    result = kerasnn.train_tabular(X, y, validation_data=(X_val, y_val),
                                   epochs=8, patience=3, seed=0, hidden=[16],
                                   backbone="mlp")
    losses = result.history.history["val_loss"]
    # The best epoch's weights are restored, scored on the given rows.
    loss = result.model.evaluate(X_val, y_val, verbose=0)[0]
    assert loss == pytest.approx(min(losses), rel=1e-4)


@pytest.mark.parametrize("validation_data, error, message", [
    ("rows", kerasnn.KerasnnTypeError, "must be a tuple"),
    ((1,), kerasnn.KerasnnTypeError, "a tuple of 1 item"),
    ((np.zeros((3, 6)), ["a", "b", "c"]), kerasnn.KerasnnTypeError,
     "DataFrame"),
])
def test_validation_data_errors(penguins_table, validation_data, error,
                                message):
    X, y, _, _ = _split_penguins(penguins_table)
    with pytest.raises(error, match=message):
        kerasnn.train_tabular(X, y, validation_data=validation_data)


def test_validation_data_needs_the_columns(penguins_table):
    X, y, X_val, y_val = _split_penguins(penguins_table)
    with pytest.raises(kerasnn.KerasnnValueError, match="'island'"):
        kerasnn.train_tabular(X, y, validation_data=(
            X_val.drop(columns="island"), y_val))


@pytest.mark.slow  # trains three models; CI runs it once
def test_pseudo_labels_add_confident_rows_and_keep_the_best_round(
        penguins_table):
    X, y, X_u, _ = _split_penguins(penguins_table)
    before = (X.copy(), y.copy(), X_u.copy())
    result = kerasnn.train_pseudo_labeled(
        X, y, X_u, threshold=0.8, rounds=2, max_rows=100, seed=0, epochs=30,
        hidden=[16], backbone="mlp")
    rounds = result.rounds
    assert list(rounds["round"]) == list(range(len(rounds)))
    assert 2 <= len(rounds) <= 3
    assert rounds.loc[0, "pseudo_rows"] == 0
    assert (rounds["pseudo_rows"].iloc[1:] <= 100).all()
    assert rounds["pseudo_rows"].iloc[1:].max() > 0
    # Rounds go on only while they beat the best so far.
    losses = rounds["val_loss"].to_numpy()
    assert all(losses[i] < losses[:i].min() for i in range(1, len(losses) - 1))
    if len(rounds) < 3:
        assert losses[-1] >= losses[:-1].min()
    assert {"val_loss", "val_accuracy"} <= set(rounds.columns)
    # The returned model is the round with the lowest validation loss.
    best = rounds.loc[rounds["val_loss"].idxmin()]
    assert min(result.history.history["val_loss"]) == pytest.approx(
        best["val_loss"])
    pd.testing.assert_frame_equal(X, before[0])
    pd.testing.assert_series_equal(y, before[1])
    pd.testing.assert_frame_equal(X_u, before[2])


def test_pseudo_labels_are_the_confident_predictions(penguins_table):
    X, y, X_u, _ = _split_penguins(penguins_table)
    model = kerasnn.train_tabular(X, y, epochs=20, seed=0, hidden=[16],
                                  backbone="mlp").model
    probabilities = model.predict(X_u, verbose=0)
    picked, labels = _pseudo_labels(model, X_u, 0.8, None)
    assert (probabilities[picked].max(axis=1) >= 0.8).all()
    others = np.setdiff1d(np.arange(len(X_u)), picked)
    assert (probabilities[others].max(axis=1) < 0.8).all()
    np.testing.assert_array_equal(
        labels, np.asarray(model.classes)[probabilities[picked].argmax(1)])
    shares = pd.Series({"Adelie": 0.5, "Chinstrap": 0.25, "Gentoo": 0.25})
    balanced, balanced_labels = _pseudo_labels(model, X_u, 0.8, None, shares)
    counts = pd.Series(balanced_labels).value_counts()
    assert set(balanced) <= set(picked) and len(balanced) > 0
    assert counts["Adelie"] == pytest.approx(2 * counts["Chinstrap"], abs=2)
    assert counts["Gentoo"] == pytest.approx(counts["Chinstrap"], abs=2)
    capped, _ = _pseudo_labels(model, X_u, 0.8, 5)
    assert len(capped) == min(5, len(picked))
    top = np.sort(probabilities[picked].max(axis=1))[::-1][:len(capped)]
    np.testing.assert_allclose(
        np.sort(probabilities[capped].max(axis=1))[::-1], top)


@pytest.mark.parametrize("kwargs, message", [
    ({"threshold": 1.0}, "threshold"),
    ({"rounds": 0}, "rounds"),
    ({"balance": "yes"}, "balance"),
    ({"problem": "regression"}, "'binary' or 'multiclass'"),
    ({"validation_data": None}, "`validation_data` is set by"),
    ({"restarts": 2}, "`restarts` is set by"),
])
def test_pseudo_label_errors(penguins_table, kwargs, message):
    X, y, X_u, _ = _split_penguins(penguins_table)
    with pytest.raises(kerasnn.KerasnnError, match=message):
        kerasnn.train_pseudo_labeled(X, y, X_u, **kwargs)


def test_unlabeled_needs_the_columns(penguins_table):
    X, y, X_u, _ = _split_penguins(penguins_table)
    with pytest.raises(kerasnn.KerasnnValueError, match="`unlabeled` must"):
        kerasnn.train_pseudo_labeled(X, y, X_u.drop(columns="sex"))
