"""Checks and coercion of tables and targets, shared by the tabular modules.

`build_tabular_model`, `TabularModel`, `train_tabular`, `tune` and
`cross_validate` check their tables and targets here, before any work, and
turn raw columns into the arrays the model's inputs take.
"""

import numbers

import numpy as np
import pandas as pd

from kerasnn.errors import KerasnnTypeError
from kerasnn.errors import KerasnnValueError
from kerasnn.errors import did_you_mean

#: Integer columns with at most this many distinct values are categorical.
MAX_INTEGER_CATEGORIES = 10
#: The category that stands for a missing value.
MISSING_TOKEN = ""


def check_frame(X):
    """Checks that `X` is a usable DataFrame; returns it unchanged."""
    if not isinstance(X, pd.DataFrame):
        raise KerasnnTypeError(
            "`X` must be a pandas DataFrame (one column per feature). Received: "
            f"X of type {type(X).__name__}. Wrap arrays with pd.DataFrame(...)."
        )
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise KerasnnValueError(
            "`X` must have at least one row and one column. Received: X with "
            f"shape {X.shape}."
        )
    if not X.columns.is_unique:
        duplicated = list(X.columns[X.columns.duplicated()].unique())
        raise KerasnnValueError(
            f"`X` must have unique column names. Received: duplicated {duplicated}."
        )
    numbers_ = X.select_dtypes("number")
    infinite = [c for c in numbers_.columns if np.isinf(numbers_[c].to_numpy(
        "float64", na_value=np.nan)).any()]
    if infinite:
        raise KerasnnValueError(
            "`X` must not hold infinite values (NaN is fine: it is filled and "
            f"flagged). Received: inf in column(s) {infinite}. Replace them, "
            "e.g. X = X.replace([np.inf, -np.inf], np.nan)."
        )
    return X


def check_target(y, n_rows):
    """Checks `y` against `n_rows`; returns its values as a 1-D array."""
    values = as_1d(y, "y")
    if len(values) != n_rows:
        raise KerasnnValueError(
            f"`y` must have one label per row of `X`. Received: {len(values)} "
            f"labels for {n_rows} rows."
        )
    missing = int(pd.isna(pd.Series(values)).sum())
    if missing:
        raise KerasnnValueError(
            f"`y` must not contain missing labels. Received: {missing} missing "
            f"label(s) out of {len(values)}. Drop those rows first, e.g. "
            "df = df.dropna(subset=[target])."
        )
    return values


def is_label_table(y):
    """Whether `y` has several columns: a multi-label target."""
    if isinstance(y, pd.DataFrame):
        return y.shape[1] > 1
    if y is None or isinstance(y, (str, bytes, numbers.Number, pd.Series)):
        return False
    try:
        shape = np.shape(y)
    except ValueError:  # ragged rows: as_1d says what is wrong
        return False
    return len(shape) == 2 and shape[1] > 1


def check_label_table(y, n_rows, labels=None):
    """Checks a multi-label target: one 0/1 column per label, one row per row.

    Args:
        y: DataFrame (its column names name the labels) or 2-D array-like.
        n_rows: Integer. Rows that `y` must have.
        labels: The label names the model was built with, or `None`. Given,
            a DataFrame's columns are taken in this order.

    Returns:
        A float32 DataFrame of 0/1 with the labels as columns and a fresh
        index (the caller's `y` is not modified).
    """
    if isinstance(y, pd.DataFrame):
        if not y.columns.is_unique:
            duplicated = list(y.columns[y.columns.duplicated()].unique())
            raise KerasnnValueError(
                "A multi-label `y` must have one column per label, with unique "
                f"names. Received: duplicated {duplicated}.")
        if labels is not None:
            missing = [label for label in labels if label not in y.columns]
            if missing:
                raise KerasnnValueError(
                    f"`y` lacks the label column(s) {missing} that the model "
                    f"was built with. Received: columns {list(y.columns)}.")
            y = y[list(labels)]
        names, values = [_plain_label(c) for c in y.columns], y.to_numpy()
    else:
        values = np.asarray(y)
        if values.ndim != 2:
            raise KerasnnValueError(
                "A multi-label `y` must be 2-D: one 0/1 column per label. "
                f"Received: y of shape {values.shape}.")
        names = list(range(values.shape[1]))
    if labels is not None and values.shape[1] != len(labels):
        raise KerasnnValueError(
            f"`y` must have one column per label ({len(labels)}: {labels}). "
            f"Received: y with {values.shape[1]} columns.")
    if len(values) != n_rows:
        raise KerasnnValueError(
            f"`y` must have one row of labels per row of `X`. Received: "
            f"{len(values)} rows of labels for {n_rows} rows.")
    missing = int(pd.isna(pd.DataFrame(values)).to_numpy().sum())
    if missing:
        raise KerasnnValueError(
            f"A multi-label `y` must not contain missing values. Received: "
            f"{missing} missing value(s). Fill them with 0 (label absent) or "
            "drop those rows.")
    try:
        numbers_ = values.astype("float64")
    except (TypeError, ValueError):
        numbers_ = None
    if numbers_ is None or not np.isin(numbers_, (0.0, 1.0)).all():
        bad = pd.unique(pd.Series(values.reshape(-1)).astype(str))[:5].tolist()
        raise KerasnnValueError(
            "A multi-label `y` must hold 0/1 (or True/False) in each label "
            f"column. Received: values such as {bad}. For one class label per "
            "row, pass that single column instead.")
    return pd.DataFrame(numbers_.astype("float32"), columns=names)


def as_1d(y, name):
    """`y` (Series, one-column frame, list or array) as a 1-D array."""
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise KerasnnValueError(
                f"`{name}` must be one column. Received: a DataFrame with "
                f"{y.shape[1]} columns. Several 0/1 labels per row "
                "(multi-label) are taken by build_tabular_model and "
                "train_tabular."
            )
        y = y.iloc[:, 0]
    if isinstance(y, (str, bytes, numbers.Number)) or y is None:
        raise KerasnnTypeError(
            f"`{name}` must be a Series, list or 1-D array. Received: {name}={y!r}."
        )
    values = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values.reshape(-1)
    if values.ndim != 1:
        several = ("" if values.ndim != 2 else
                   " Several 0/1 labels per row (multi-label) are taken by "
                   "build_tabular_model and train_tabular.")
        raise KerasnnValueError(
            f"`{name}` must be 1-D (one label per row). Received: shape "
            f"{values.shape}.{several}"
        )
    return values


def target_classes(y, problem):
    """Sorted class labels of `y`, or `None` for regression."""
    if problem == "regression":
        numbers_ = pd.to_numeric(pd.Series(y), errors="coerce")
        if numbers_.isna().any():
            bad = pd.Series(y)[numbers_.isna()].astype(str).unique()[:3].tolist()
            raise KerasnnValueError(
                "problem='regression' needs numeric labels in `y`. Received: "
                f"values such as {bad}. For class labels use "
                "problem='binary' or 'multiclass' (or leave problem=None)."
            )
        if not np.isfinite(numbers_.to_numpy("float64")).all():
            raise KerasnnValueError(
                "problem='regression' needs finite labels in `y`. Received: "
                "inf among the labels."
            )
        return None
    labels = pd.Series(y).dropna()
    classes = sorted(labels.unique().tolist(), key=_sort_key)
    if problem == "binary" and len(classes) != 2:
        raise KerasnnValueError(
            "problem='binary' needs exactly two distinct labels in `y`. "
            f"Received: {len(classes)} ({classes[:5]})."
        )
    if problem == "multiclass" and len(classes) < 3:
        raise KerasnnValueError(
            "problem='multiclass' needs at least three distinct labels in `y`. "
            f"Received: {len(classes)} ({classes}). Use problem='binary'."
        )
    return [_plain_label(c) for c in classes]


def infer_column_kinds(X, categorical, numeric):
    """`{column: "numeric" | "categorical"}`, overrides first."""
    categorical = _column_list("categorical", categorical, X)
    numeric = _column_list("numeric", numeric, X)
    both = sorted(set(categorical) & set(numeric), key=str)
    if both:
        raise KerasnnValueError(
            "A column cannot be both categorical and numeric. Received: "
            f"{both} in both `categorical` and `numeric`."
        )
    kinds = {}
    for column in X.columns:
        if column in categorical:
            kinds[column] = "categorical"
        elif column in numeric:
            kinds[column] = "numeric"
        else:
            kinds[column] = _infer_kind(X[column], column)
    return kinds


def numeric_values(values, column):
    """A column as float32 of shape `(n, 1)`; NaN where missing."""
    series = values if isinstance(values, pd.Series) else pd.Series(
        np.asarray(values).reshape(-1))
    if pd.api.types.is_bool_dtype(series.dtype):
        series = series.astype("float64")
    try:
        numbers_ = pd.to_numeric(series, errors="raise")
    except (ValueError, TypeError) as error:
        raise KerasnnValueError(
            f"Column {column!r} is numeric for the model but holds a value "
            f"that is not a number ({error}). Received: dtype {series.dtype}. "
            "Clean the column, or pass it in `categorical=`."
        ) from None
    return numbers_.astype("float64").to_numpy(dtype="float32",
                                               na_value=np.nan).reshape(-1, 1)


def category_strings(values):
    """A column as strings of shape `(n, 1)`; missing is `MISSING_TOKEN`."""
    series = values if isinstance(values, pd.Series) else pd.Series(
        np.asarray(values, dtype=object).reshape(-1))
    missing = series.isna().to_numpy()
    out = np.empty(len(series), dtype=object)
    for i, (value, absent) in enumerate(zip(series.to_numpy(dtype=object), missing)):
        out[i] = MISSING_TOKEN if absent else _category_string(value)
    return out.reshape(-1, 1)


def is_whole(numbers_):
    """Whether a numeric Series holds whole numbers only (NaN ignored)."""
    finite = numbers_.dropna().to_numpy("float64")
    return len(finite) > 0 and bool(np.all(finite == np.round(finite)))


def string_tensor(strings):
    """Strings as a `tf.string` tensor (string inputs need TensorFlow)."""
    # Keras's data adapters refuse NumPy object arrays; a tf.string tensor
    # passes through them (string inputs are TensorFlow-only anyway).
    import tensorflow as tf

    return tf.constant(strings, dtype=tf.string)


def target_scale(y):
    """Mean and standard deviation of a regression target."""
    values = pd.to_numeric(pd.Series(y), errors="coerce").to_numpy("float64")
    values = values[np.isfinite(values)]
    std = float(values.std()) if values.size else 1.0
    return {"mean": float(values.mean()) if values.size else 0.0,
            "std": std if std > 0 else 1.0}


def plain(value):
    """Keras-tracked or NumPy containers -> plain JSON-able Python."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _plain_label(value):
    return value.item() if isinstance(value, np.generic) else value


def _sort_key(value):
    return (0, value, "") if isinstance(value, numbers.Number) else (1, 0, str(value))


def _column_list(name, columns, X):
    if columns is None:
        return []
    if isinstance(columns, str) or not isinstance(columns, (list, tuple, set)):
        raise KerasnnTypeError(
            f"`{name}` must be a list of column names. Received: {name}="
            f"{columns!r}. Wrap a single name in a list."
        )
    for column in columns:
        if column not in X.columns:
            raise KerasnnValueError(
                f"`{name}` names a column that is not in `X`. Received: "
                f"{column!r}; the columns are {list(X.columns)}."
                f"{did_you_mean(str(column), [str(c) for c in X.columns])}"
            )
    return list(columns)


def _infer_kind(series, column):
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "categorical"
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(
        dtype
    ):
        raise KerasnnTypeError(
            f"Column {column!r} has dtype {dtype}, which build_tabular_model "
            "does not encode. Received: a date/time column. Derive numeric "
            "columns from it (e.g. year, day of week) and drop it."
        )
    if pd.api.types.is_numeric_dtype(dtype):
        values = series.dropna().to_numpy(dtype="float64")
        whole = values.size and np.all(np.isfinite(values)) and np.all(
            values == np.round(values)
        )
        if whole and len(np.unique(values)) <= MAX_INTEGER_CATEGORIES:
            return "categorical"
        return "numeric"
    return "categorical"


def _category_string(value):
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Real) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
