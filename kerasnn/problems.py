"""Problem types: what a label says about the output layer, loss and metrics.

One table, `PROBLEMS`, maps each problem type to its output activation and
loss; `_metrics` makes its default metrics. `infer_problem` reads the type off the label values, and
`output_spec` turns a type into the concrete head of a model.
"""

import numbers

import keras
import numpy as np

from kerasnn._validation import check_bool
from kerasnn._validation import check_choice
from kerasnn._validation import check_int
from kerasnn.errors import KerasnnTypeError
from kerasnn.errors import KerasnnValueError
from kerasnn.errors import ProblemInferenceError

#: problem type -> output activation and loss.
PROBLEMS = {
    "binary": {
        "activation": "sigmoid",
        "loss": "binary_crossentropy",
    },
    "multiclass": {
        "activation": "softmax",
        # Integer labels use the sparse loss; one-hot labels the dense one.
        "loss": "sparse_categorical_crossentropy",
        "one_hot_loss": "categorical_crossentropy",
    },
    "regression": {
        "activation": "linear",
        "loss": "mean_squared_error",
    },
    # Several independent yes/no labels per row: one sigmoid unit each.
    "multilabel": {
        "activation": "sigmoid",
        "loss": "binary_crossentropy",
    },
}

PROBLEM_TYPES = tuple(PROBLEMS)
OUTPUT_ACTIVATIONS = ("linear", "relu", "softplus", "sigmoid", "softmax", "tanh")


def infer_problem(y, *, max_classes=50):
    """Tells the problem type from the label values (not their dtype).

    The rules, in order:

    - a 2-D array whose rows are one-hot -> `"multiclass"`; a 2-D array of
      0/1 (or booleans) whose rows may hold several 1s, or none ->
      `"multilabel"`; other 2-D numeric targets -> `"regression"` (several
      outputs);
    - exactly two distinct values (0/1, True/False, two strings, ...) ->
      `"binary"`;
    - strings or other non-numbers with 3+ distinct values -> `"multiclass"`;
    - numbers that are not all whole -> `"regression"`;
    - whole numbers with 3+ distinct values that look like class codes (the
      values are `0..K-1` or `1..K`, `K <= max_classes`, every class has at
      least 5 samples and the rarest is at least a tenth as common as the most
      common) -> `"multiclass"`;
    - whole numbers with more than `max_classes` distinct values ->
      `"regression"`;
    - anything else (say, integers 0-4 that might be counts) is ambiguous and
      raises `ProblemInferenceError`, asking for `problem=`.

    Args:
        y: Labels: a NumPy array, a list, a pandas Series or a 2-D one-hot
            array. Not modified.
        max_classes: Integer. The largest number of integer classes read as
            `"multiclass"`. Defaults to `50`.

    Returns:
        One of `"binary"`, `"multiclass"`, `"regression"`, `"multilabel"`.

    Raises:
        ProblemInferenceError: If the labels are empty, hold NaN or a single
            value, or do not tell the type apart.

    Example:

    >>> infer_problem(["cat", "dog", "cat"])
    'binary'
    >>> infer_problem([0.31, 2.5, 1.75, 0.02])
    'regression'
    >>> infer_problem([[1, 0, 1], [0, 0, 1], [0, 1, 0]])
    'multilabel'
    """
    max_classes = check_int("max_classes", max_classes, minimum=3)
    y = _as_array(y)
    if y.size == 0:
        raise ProblemInferenceError(
            "`y` must hold at least one label. Received: an empty array."
        )
    if y.ndim == 2 and y.shape[1] > 1:
        return _infer_2d(y)
    y = y.reshape(-1) if y.ndim == 2 else y
    if y.ndim != 1:
        raise ProblemInferenceError(
            "`y` must be 1-D (one label per sample) or 2-D (one-hot or several "
            f"regression targets). Received: y with shape {y.shape}."
        )
    _check_no_missing(y)
    values, counts = np.unique(y.astype(str) if y.dtype == object else y,
                               return_counts=True)
    if len(values) == 1:
        raise ProblemInferenceError(
            "`y` must hold at least two distinct labels to learn from. "
            f"Received: every label is {values[0]!r}."
        )
    if len(values) == 2:
        return "binary"
    if not _is_numeric(y):
        return "multiclass"
    numbers_ = y.astype("float64")
    if not np.all(np.isfinite(numbers_)):
        raise ProblemInferenceError(
            "`y` must not contain infinite values. Received: labels with inf."
        )
    if not np.all(numbers_ == np.round(numbers_)):
        return "regression"
    if len(values) > max_classes:
        return "regression"
    ints = values.astype("int64")
    n = len(ints)
    codes = np.array_equal(ints, np.arange(n)) or np.array_equal(
        ints, np.arange(1, n + 1)
    )
    if codes and counts.min() >= 5 and counts.min() * 10 >= counts.max():
        return "multiclass"
    raise ProblemInferenceError(
        f"Cannot tell the problem type from `y`: {n} distinct whole numbers "
        f"({_preview(ints)}) could be class codes or counts. Pass the type "
        "explicitly: problem='multiclass' to treat them as classes, or "
        "problem='regression' to predict the number."
    )


def check_problem(problem):
    """Checks a problem-type string and returns it in lower case."""
    return check_choice("problem", problem, PROBLEM_TYPES)


def output_spec(problem, *, n_classes=None, n_outputs=None, n_labels=None,
                output_activation=None, one_hot=False, metrics=None):
    """Returns the head of a model for a problem type.

    Args:
        problem: One of `"binary"`, `"multiclass"`, `"regression"`,
            `"multilabel"`.
        n_classes: Integer >= 3. Number of classes; required for
            `"multiclass"`, not allowed otherwise (except `2` for `"binary"`).
        n_outputs: Integer >= 1. Number of regression targets. Defaults to `1`.
        n_labels: Integer >= 2. Number of labels; required for
            `"multilabel"`, not allowed otherwise.
        output_activation: Overrides the output activation, e.g. `"relu"` for
            regression targets that cannot be negative.
        one_hot: Boolean. Whether multiclass labels are one-hot rows (then the
            loss is categorical cross-entropy) rather than integers.
        metrics: List of metrics overriding the defaults.

    Returns:
        A dict with `problem`, `units`, `activation`, `loss` and `metrics`
        (fresh metric objects).
    """
    problem = check_problem(problem)
    if problem == "multiclass":
        if n_classes is None:
            raise KerasnnValueError(
                "`n_classes` is required when problem='multiclass'. "
                "Received: n_classes=None. Pass the number of classes, e.g. "
                "n_classes=10."
            )
        n_classes = check_int("n_classes", n_classes, minimum=2)
        if n_classes == 2:
            raise KerasnnValueError(
                "`n_classes` must be >= 3 when problem='multiclass'. Received: "
                "n_classes=2. For two classes use problem='binary' (one sigmoid "
                "unit)."
            )
        units = n_classes
    elif problem == "multilabel":
        if n_labels is None:
            raise KerasnnValueError(
                "`n_labels` is required when problem='multilabel'. Received: "
                "n_labels=None. Pass the number of labels (columns of y), "
                "e.g. n_labels=y.shape[1]."
            )
        n_labels = check_int("n_labels", n_labels, minimum=2)
        if n_classes is not None:
            raise KerasnnValueError(
                "`n_classes` applies to problem='multiclass' only. Received: "
                f"n_classes={n_classes!r} with problem='multilabel'. Pass the "
                "number of labels as n_labels."
            )
        units = n_labels
    else:
        if n_classes is not None and not (problem == "binary" and n_classes == 2):
            raise KerasnnValueError(
                f"`n_classes` applies to problem='multiclass' only. Received: "
                f"n_classes={n_classes!r} with problem={problem!r}."
                + (" Use problem='multiclass'." if problem == "binary" else "")
            )
        units = 1
    if n_outputs is not None:
        n_outputs = check_int("n_outputs", n_outputs, minimum=1)
        if problem != "regression" and n_outputs != 1:
            raise KerasnnValueError(
                "`n_outputs` applies to problem='regression' only. Received: "
                f"n_outputs={n_outputs} with problem={problem!r}."
            )
        units = n_outputs if problem == "regression" else units
    if n_labels is not None and problem != "multilabel":
        raise KerasnnValueError(
            "`n_labels` applies to problem='multilabel' only. Received: "
            f"n_labels={n_labels!r} with problem={problem!r}."
        )
    table = PROBLEMS[problem]
    activation = check_choice("output_activation", output_activation,
                              OUTPUT_ACTIVATIONS, allow_none=True)
    activation = activation or table["activation"]
    check_bool("one_hot", one_hot)
    loss = table["one_hot_loss"] if (problem == "multiclass" and one_hot) else (
        table["loss"]
    )
    return {
        "problem": problem,
        "units": units,
        "activation": activation,
        "loss": loss,
        "metrics": _metrics(problem, one_hot, metrics),
    }


def check_metrics(metrics):
    """Checks that `metrics` is a list (or tuple) and returns it as a list."""
    if isinstance(metrics, (str, keras.metrics.Metric)) or not isinstance(
        metrics, (list, tuple)
    ):
        raise KerasnnTypeError(
            "`metrics` must be a list of metric names or keras.metrics."
            f"Metric objects. Received: metrics={metrics!r}. Wrap a single "
            "metric in a list."
        )
    return list(metrics)


def _metrics(problem, one_hot, metrics):
    """`metrics` checked, or fresh default metrics of the problem type:
    accuracy and AUC (binary), accuracy (multiclass), MAE and RMSE
    (regression), binary accuracy and AUC per label (multilabel)."""
    if metrics is not None:
        return check_metrics(metrics)
    if problem == "binary":
        return [
            keras.metrics.BinaryAccuracy(name="accuracy"),
            keras.metrics.AUC(name="auc"),
        ]
    if problem == "multilabel":
        # Averaged over labels; `kerasnn.label_scores` gives them per label.
        return [
            keras.metrics.BinaryAccuracy(name="binary_accuracy"),
            keras.metrics.AUC(name="auc", multi_label=True),
        ]
    if problem == "multiclass":
        accuracy = (
            keras.metrics.CategoricalAccuracy if one_hot
            else keras.metrics.SparseCategoricalAccuracy
        )
        return [accuracy(name="accuracy")]
    return [
        keras.metrics.MeanAbsoluteError(name="mae"),
        keras.metrics.RootMeanSquaredError(name="rmse"),
    ]


def _as_array(y):
    if hasattr(y, "to_numpy"):
        return y.to_numpy()
    if isinstance(y, (str, bytes, numbers.Number)) or y is None:
        raise KerasnnTypeError(
            "`y` must be an array-like of labels (a list, NumPy array or pandas "
            f"Series). Received: y={y!r}."
        )
    return np.asarray(y)


def _is_numeric(y):
    if y.dtype.kind in "biuf":
        return True
    return all(
        isinstance(v, numbers.Number) and not isinstance(v, bool) for v in y
    )


def _check_no_missing(y):
    if y.dtype.kind == "f":
        missing = int(np.isnan(y).sum())
    elif y.dtype == object:
        missing = sum(
            v is None or (isinstance(v, float) and v != v) for v in y
        )
    else:
        missing = 0
    if missing:
        raise ProblemInferenceError(
            f"`y` must not contain missing labels. Received: {missing} NaN/None "
            f"label(s) out of {len(y)}. Drop those rows first, e.g. "
            "df = df.dropna(subset=[target])."
        )


def _infer_2d(y):
    if y.dtype.kind not in "biuf":
        raise ProblemInferenceError(
            "A 2-D `y` must be numeric (one-hot rows or regression targets). "
            f"Received: dtype {y.dtype}."
        )
    if np.isnan(y.astype("float64")).any():
        raise ProblemInferenceError(
            "`y` must not contain missing labels. Received: NaN in a 2-D `y`."
        )
    is_binary = np.isin(y, (0, 1)).all()
    if is_binary and np.all(y.sum(axis=1) == 1):
        return "multiclass"
    if is_binary:
        return "multilabel"
    return "regression"


def _preview(values):
    shown = ", ".join(str(v) for v in values[:6])
    return shown + (", ..." if len(values) > 6 else "")
