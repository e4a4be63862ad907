import keras
import numpy as np
import pandas as pd
import pytest

import kerasnn
from kerasnn.problems import PROBLEMS
from kerasnn.problems import output_spec

# Label values and the problem table: NumPy, pandas and Keras config only.
pytestmark = pytest.mark.backend_neutral


@pytest.mark.parametrize(
    "y",
    [
        [0, 1, 1, 0],
        [True, False, True],
        ["spam", "ham", "ham"],
        np.array([-1.0, 1.0, 1.0]),
        pd.Series(["<=50K", ">50K", "<=50K"]),
        np.array([[0], [1], [1]]),
    ],
)
def test_infer_binary(y):
    assert kerasnn.infer_problem(y) == "binary"


@pytest.mark.parametrize(
    "y",
    [
        np.repeat(np.arange(10), 20),
        np.repeat(np.arange(1, 4), 6).astype("float32"),
        ["Adelie", "Gentoo", "Chinstrap", "Adelie"],
        pd.Series(["a", "b", "c"], dtype="category"),
        np.eye(4)[[0, 1, 2, 3, 1]],
    ],
)
def test_infer_multiclass(y):
    assert kerasnn.infer_problem(y) == "multiclass"


@pytest.mark.parametrize(
    "y",
    [
        np.linspace(0.0, 1.0, 50),
        np.arange(200),  # many distinct whole numbers: a quantity
        np.random.default_rng(0).normal(size=(20, 2)),
    ],
)
def test_infer_regression(y):
    assert kerasnn.infer_problem(y) == "regression"


def test_infer_does_not_mutate_labels():
    y = pd.Series([3.5, 1.0, 2.25, 1.0])
    before = y.copy()
    kerasnn.infer_problem(y)
    pd.testing.assert_series_equal(y, before)


@pytest.mark.parametrize(
    "y, message",
    [
        # Skewed small counts: could be counts or classes.
        (np.array([0] * 40 + [1] * 30 + [2] * 10 + [3] * 3 + [4] * 1),
         "problem='multiclass'"),
        ([0, 1, 2, 3, 4], "could be class codes or counts"),
        ([5, 17, 300], "problem='regression'"),
        ([1.0, np.nan, 0.0], "missing labels"),
        (["a", None, "b"], "missing labels"),
        ([], "at least one label"),
        ([1, 1, 1], "at least two distinct"),
        ([0.5, np.inf, 1.5, 2.5], "infinite"),
    ],
)
def test_infer_errors(y, message):
    with pytest.raises(kerasnn.ProblemInferenceError, match=message.replace("(", r"\(")):
        kerasnn.infer_problem(y)


def test_infer_error_is_a_value_error():
    with pytest.raises(ValueError, match="Pass the type explicitly"):
        kerasnn.infer_problem([0, 1, 2, 3, 4])


def test_infer_rejects_scalar():
    with pytest.raises(TypeError, match="array-like of labels"):
        kerasnn.infer_problem(3)


def test_table_covers_each_problem():
    assert set(PROBLEMS) == {"binary", "multiclass", "regression", "multilabel"}
    assert PROBLEMS["binary"]["activation"] == "sigmoid"
    assert PROBLEMS["multiclass"]["activation"] == "softmax"
    assert PROBLEMS["regression"]["loss"] == "mean_squared_error"


@pytest.mark.parametrize(
    "problem, kwargs, units, activation, loss, metric_names",
    [
        ("binary", {}, 1, "sigmoid", "binary_crossentropy", ["accuracy", "auc"]),
        ("multiclass", {"n_classes": 5}, 5, "softmax",
         "sparse_categorical_crossentropy", ["accuracy"]),
        ("multiclass", {"n_classes": 5, "one_hot": True}, 5, "softmax",
         "categorical_crossentropy", ["accuracy"]),
        ("regression", {}, 1, "linear", "mean_squared_error", ["mae", "rmse"]),
        ("regression", {"n_outputs": 3, "output_activation": "relu"}, 3, "relu",
         "mean_squared_error", ["mae", "rmse"]),
    ],
)
def test_output_spec(problem, kwargs, units, activation, loss, metric_names):
    spec = output_spec(problem, **kwargs)
    assert spec["units"] == units
    assert spec["activation"] == activation
    assert spec["loss"] == loss
    assert [m.name for m in spec["metrics"]] == metric_names


def test_output_spec_gives_fresh_metrics():
    a = output_spec("binary")["metrics"][0]
    b = output_spec("binary")["metrics"][0]
    assert a is not b
    assert isinstance(a, keras.metrics.Metric)
