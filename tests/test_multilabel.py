"""The fourth problem type: several yes/no labels per row."""

import warnings

import keras
import numpy as np
import pandas as pd
import pytest

import kerasnn
from kerasnn.callbacks import GradientMonitor
from kerasnn.callbacks import check_setup
from kerasnn.problems import output_spec


def _task(rng, n=256, n_features=8, n_labels=3):
    """Labels that the features decide: label j is on when feature j > 0."""
    x = rng.normal(size=(n, n_features)).astype("float32")
    y = (x[:, :n_labels] > 0).astype("int64")
    return x, y


@pytest.mark.parametrize("y", [
    np.array([[1, 1, 0], [0, 1, 0], [0, 0, 0], [1, 0, 1]]),
    np.array([[True, False], [True, True], [False, False]]),
    pd.DataFrame({"a": [1, 0, 1], "b": [1, 1, 0]}),
])
def test_infer_multilabel(y):
    assert kerasnn.infer_problem(y) == "multilabel"


def test_one_hot_rows_stay_multiclass():
    assert kerasnn.infer_problem(np.eye(3)[[0, 1, 2, 1]]) == "multiclass"


def test_output_spec_multilabel():
    spec = output_spec("multilabel", n_labels=4)
    assert (spec["units"], spec["activation"], spec["loss"]) == (
        4, "sigmoid", "binary_crossentropy")
    assert [m.name for m in spec["metrics"]] == ["binary_accuracy", "auc"]
    assert spec["metrics"][1].multi_label


@pytest.mark.parametrize("kwargs, message", [
    ({}, "`n_labels` is required"),
    ({"n_labels": 1}, "n_labels"),
    ({"n_labels": 3, "n_classes": 3}, "Pass the number of labels as n_labels"),
])
def test_output_spec_multilabel_errors(kwargs, message):
    with pytest.raises(kerasnn.KerasnnValueError, match=message):
        output_spec("multilabel", **kwargs)


def test_n_labels_only_for_multilabel():
    with pytest.raises(kerasnn.KerasnnValueError,
                       match="`n_labels` applies to problem='multilabel'"):
        kerasnn.build_model("binary", 4, n_labels=3)


def test_build_model_learns_each_label_and_saves(rng, tmp_path):
    x, y = _task(rng)
    model = kerasnn.build_model("multilabel", 8, n_labels=3, seed=0,
                                learning_rate=1e-2)
    assert model.output_shape == (None, 3)
    before = kerasnn.label_scores(y, model.predict(x, verbose=0))
    history = model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    assert {"loss", "auc", "binary_accuracy"} <= set(history.history)
    after = kerasnn.label_scores(y, model.predict(x, verbose=0))
    # Every label is learned, not only the average.
    assert (after["auc"].iloc[:3] > 0.95).all()
    assert after.loc["mean", "accuracy"] > before.loc["mean", "accuracy"] + 0.2
    # The trained model saves and loads in safe mode, predicting the same.
    path = tmp_path / "tags.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-5)


def test_image_model_and_swap_head_take_multilabel(rng):
    body = kerasnn.build_image_model("multiclass", (8, 8, 1), n_classes=3,
                                     blocks=1, filters=4, head_units=8)
    tags = kerasnn.build_image_model("multilabel", (8, 8, 1), n_labels=5,
                                     blocks=1, filters=4, head_units=8)
    assert tags.output_shape == (None, 5)
    assert tags.layers[-1].activation.__name__ == "sigmoid"
    swapped = kerasnn.swap_head(body, "multilabel", n_labels=4)
    assert swapped.output_shape == (None, 4)
    assert swapped.loss == "binary_crossentropy"


def test_diagnostics_raise_nothing_on_a_healthy_multilabel_run(rng):
    x, y = _task(rng)
    model = kerasnn.build_model("multilabel", 8, n_labels=3, seed=0)
    assert check_setup(model, x, y) == []
    monitor = GradientMonitor()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x, y, epochs=3, batch_size=32, verbose=0,
                  callbacks=[monitor])
    assert monitor.report()["findings"] == []
    assert not [w for w in caught if "GradientMonitor" in str(w.message)]


def test_label_scores_per_label_and_mean():
    y = pd.DataFrame({"cat": [1, 0, 1, 0], "dog": [1, 1, 0, 0]})
    before = y.copy()
    prob = np.array([[0.9, 0.6], [0.2, 0.7], [0.4, 0.1], [0.1, 0.3]])
    scores = kerasnn.label_scores(y, prob)
    pd.testing.assert_frame_equal(y, before)
    assert list(scores.index) == ["cat", "dog", "mean"]
    # cat: predicted [1, 0, 0, 0] -> precision 1, recall 1/2.
    assert scores.loc["cat", "precision"] == 1.0
    assert scores.loc["cat", "recall"] == 0.5
    assert scores.loc["dog", "recall"] == 1.0
    assert scores.loc["cat", "auc"] == 1.0
    assert scores.loc["mean", "recall"] == 0.75
    # One threshold per label.
    strict = kerasnn.label_scores(y, prob, threshold=[0.3, 0.65])
    assert strict.loc["cat", "recall"] == 1.0
    assert strict.loc["dog", "recall"] == 0.5


def test_label_scores_auc_is_nan_for_a_constant_label():
    scores = kerasnn.label_scores([[1, 0], [0, 0]], [[0.8, 0.1], [0.3, 0.2]])
    assert np.isnan(scores.loc[1, "auc"])
    assert scores.loc[0, "auc"] == 1.0


@pytest.mark.parametrize("kwargs, error, message", [
    ({"y_prob": [[0.5, 0.5]]}, kerasnn.KerasnnValueError, "shape of `y_true`"),
    ({"y_true": [[2, 0], [0, 1]]}, kerasnn.KerasnnValueError, "0/1"),
    ({"y_prob": [[1.5, 0.5], [0.1, 0.2]]}, kerasnn.KerasnnValueError,
     r"\[0, 1\]"),
    ({"threshold": 1.0}, kerasnn.KerasnnValueError, "strictly between"),
    ({"threshold": [0.5]}, kerasnn.KerasnnValueError, "one float per label"),
    ({"threshold": "high"}, kerasnn.KerasnnTypeError, "floats in"),
    ({"labels": ["a"]}, kerasnn.KerasnnValueError, "name each of the 2"),
    ({"y_true": [1, 0]}, kerasnn.KerasnnValueError, "must be 2-D"),
])
def test_label_scores_errors(kwargs, error, message):
    args = {"y_true": [[1, 0], [0, 1]], "y_prob": [[0.9, 0.2], [0.1, 0.7]],
            **kwargs}
    with pytest.raises(error, match=message):
        kerasnn.label_scores(**args)


def test_predict_labels_takes_a_threshold_per_label(rng):
    x, y = _task(rng, n=64)
    model = kerasnn.build_model("multilabel", 8, n_labels=3, seed=0)
    probabilities = model.predict(x, verbose=0)
    labels = kerasnn.predict_labels(model, x, threshold=[0.2, 0.5, 0.8])
    assert labels.shape == (64, 3)
    np.testing.assert_array_equal(
        labels, (probabilities >= [0.2, 0.5, 0.8]).astype(int))
    with pytest.raises(kerasnn.KerasnnValueError, match="one float per label"):
        kerasnn.predict_labels(model, x, threshold=[0.5, 0.5])
    # A softmax head still gives one class per row.
    softmax = kerasnn.build_model("multiclass", 8, n_classes=3, seed=0)
    assert kerasnn.predict_labels(softmax, x).shape == (64,)


def _table_task(rng, n=240):
    """A table whose three labels each follow one column."""
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                      "c": rng.normal(size=n)})
    y = pd.DataFrame({"a_pos": (X.a > 0).astype(int),
                      "b_high": (X.b > 0.5).astype(int),
                      "c_neg": X.c < 0})  # booleans are 0/1 labels too
    return X, y


def test_train_tabular_learns_each_label_of_a_frame(rng, tmp_path):
    X, y = _table_task(rng)
    y_before = y.copy()
    result = kerasnn.train_tabular(X, y, seed=0, epochs=25, k=2,
                                   hidden=[16], patience=25)
    model = result.model
    pd.testing.assert_frame_equal(y, y_before)
    assert model.problem == "multilabel"
    assert model.classes == ["a_pos", "b_high", "c_neg"]
    probabilities = model.predict(X, verbose=0)
    assert probabilities.shape == (len(X), 3)
    scores = kerasnn.label_scores(y, probabilities)
    assert (scores.loc[model.classes, "auc"] > 0.95).all(), scores
    # Label columns are matched by name, not position.
    shuffled = y[["c_neg", "a_pos", "b_high"]]
    assert model.evaluate(X, shuffled, verbose=0) == pytest.approx(
        model.evaluate(X, y, verbose=0))
    labels = kerasnn.predict_labels(
        model, X, threshold={"a_pos": 0.5, "b_high": 0.3, "c_neg": 0.7})
    np.testing.assert_array_equal(
        labels, (probabilities >= [0.5, 0.3, 0.7]).astype(int))
    model.save(tmp_path / "labels.keras")
    loaded = keras.saving.load_model(tmp_path / "labels.keras")
    assert loaded.classes == model.classes
    np.testing.assert_allclose(loaded.predict(X, verbose=0), probabilities,
                               atol=1e-6)


def test_build_tabular_model_takes_a_2d_array_of_labels(rng):
    X, y = _table_task(rng, n=40)
    model = kerasnn.build_tabular_model(X, y.to_numpy(), backbone="mlp",
                                        hidden=[8], seed=0)
    assert model.problem == "multilabel"
    assert model.classes == [0, 1, 2]
    assert model.output_shape == (None, 3)
    assert model.loss == "binary_crossentropy"
    history = model.fit(X, y.to_numpy(), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.parametrize("y, kwargs, message", [
    (np.eye(3)[np.arange(40) % 3], {}, "exactly one 1: that reads as one-hot"),
    ("frame", {"problem": "binary"}, "Pass problem='multilabel'"),
    (np.arange(40) % 2, {"problem": "multilabel"},
     "one 0/1 column per label"),
    (np.full((40, 2), 2), {}, "must hold 0/1"),
    (np.array([[np.nan, 1.0]] * 40), {}, "must not contain missing"),
    (np.zeros((39, 2)), {}, "one row of labels per row"),
])
def test_tabular_multilabel_target_errors(rng, y, kwargs, message):
    X, labels = _table_task(rng, n=40)
    y = labels if isinstance(y, str) else y
    with pytest.raises(kerasnn.KerasnnValueError, match=message):
        kerasnn.build_tabular_model(X, y, **kwargs)


@pytest.mark.parametrize("kwargs, message", [
    ({"oversample": "sample"}, "`oversample` makes rows of a class"),
    ({"class_weight": "balanced"}, "`class_weight` weights the classes"),
    ({"validation_data": "missing label"}, "lacks the label column"),
])
def test_train_tabular_multilabel_errors(rng, kwargs, message):
    X, y = _table_task(rng, n=40)
    if kwargs.get("validation_data"):
        kwargs = {"validation_data": (X, y.drop(columns="b_high"))}
    with pytest.raises(kerasnn.KerasnnValueError, match=message):
        kerasnn.train_tabular(X, y, epochs=1, **kwargs)


def test_tabular_threshold_dict_must_name_every_label(rng):
    X, y = _table_task(rng, n=40)
    model = kerasnn.build_tabular_model(X, y, backbone="mlp", hidden=[8])
    with pytest.raises(kerasnn.KerasnnValueError, match="one threshold for each"):
        kerasnn.predict_labels(model, X, threshold={"a_pos": 0.5})
    plain = kerasnn.build_model("multilabel", 3, n_labels=3)
    with pytest.raises(kerasnn.KerasnnTypeError, match="names its labels"):
        kerasnn.predict_labels(plain, X.to_numpy(), threshold={0: 0.5})
