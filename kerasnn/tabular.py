"""`build_tabular_model`: a compiled model that takes raw DataFrame columns.

The preprocessing lives inside the model, as Keras preprocessing layers set
from the training data only, so the saved `.keras` file takes raw rows
(`dict(df)`, strings and NaNs included) and needs nothing carried beside it:

- numeric columns: missing or infinite values are filled with the training
  mean, a 0/1 "was missing" flag is added for each column that had missing
  values in training, then everything is standardized (`Normalization`);
- categorical columns: `StringLookup` with one out-of-vocabulary slot (unseen
  categories at predict time, and categories seen fewer than `min_frequency`
  times in training, which is how that slot gets trained); missing values are
  a category of their own. Small vocabularies are one-hot encoded, larger ones
  embedded in `min(600, round(1.6 * n ** 0.56))` dimensions (fastai's rule,
  `n` counting the out-of-vocabulary slot);
- regression targets are standardized inside the model: the last layer
  (`Rescaling`) maps back, so `predict` returns the original units.
"""

import numbers
import re

import keras
import numpy as np
import pandas as pd
from keras import ops

from kerasnn._blocks import check_hidden_options
from kerasnn._blocks import output_layer
from kerasnn._validation import check_choice
from kerasnn._validation import check_int
from kerasnn.dense import hidden_stack
from kerasnn.dense import hidden_widths
from kerasnn.dense import strategy_scope
from kerasnn.errors import KerasnnTypeError
from kerasnn.errors import KerasnnValueError
from kerasnn.errors import did_you_mean
from kerasnn.optimizers import compile_model
from kerasnn.optimizers import make_optimizer
from kerasnn.problems import check_problem
from kerasnn.problems import infer_problem
from kerasnn.problems import output_spec

#: Integer columns with at most this many distinct values are categorical.
MAX_INTEGER_CATEGORIES = 10
ENCODINGS = ("auto", "one_hot", "embedding")
MISSING_TOKEN = ""
#: Numeric columns whose training skewness exceeds this are log-scaled.
SKEW_LOG = 2.0


def build_tabular_model(X, y, *, problem=None, categorical=None, numeric=None,
                        encoding="auto", one_hot_max=10, min_frequency=3,
                        numeric_bins=64, hidden=(256, 128), activation="relu",
                        dropout=0.2, l1=0.0,
                        l2=0.0, batchnorm=False, initializer=None,
                        optimizer="adam", learning_rate=None, momentum=0.9,
                        clipnorm=None, clipvalue=None, metrics=None, seed=None,
                        strategy=None, name=None):
    """Builds and compiles a model for a table, preprocessing included.

    Column types are inferred: numbers are numeric, except whole numbers with
    at most 10 distinct values; strings, `category` and `bool` columns are
    categorical. The preprocessing (see the module docstring) is set from `X`
    only; the hidden part and the head are those of `kerasnn.build_model`.

    The model is a `kerasnn.tabular.TabularModel`: a functional Keras model
    with one input per column, named after the column (names that are not
    identifiers are sanitised, the mapping kept). Its `fit`, `evaluate` and
    `predict` take a DataFrame or a dict of columns (`dict(df)`), and `fit`
    and `evaluate` take the raw labels (strings too). `predict` returns
    probabilities (classification) or values in the target's units
    (regression); `kerasnn.predict_labels(model, X)` returns the class labels,
    which are also in `model.classes`.

    Args:
        X: pandas DataFrame of training features. Not modified.
        y: Target, one per row of `X`: a Series, list or 1-D array.
        problem: `"binary"`, `"multiclass"`, `"regression"` or `None` to
            infer it with `kerasnn.infer_problem(y)`.
        categorical: List of columns to treat as categorical, overriding the
            inference.
        numeric: List of columns to treat as numeric, overriding the inference.
        encoding: `"auto"` (one-hot for at most `one_hot_max` slots, an
            embedding otherwise), `"one_hot"` or `"embedding"`.
        one_hot_max: Integer. Largest vocabulary (out-of-vocabulary slot
            included) one-hot encoded by `encoding="auto"`. Defaults to `10`.
        min_frequency: Integer >= 1. Categories seen fewer times in `X` share
            the out-of-vocabulary slot. Defaults to `3`.
        numeric_bins: Integer >= 0. Each numeric column also gets a
            piecewise-linear encoding over this many training-quantile bins
            (`PiecewiseLinear`), which lets the MLP bend its response per
            bin as trees do; `0` turns it off. Bins lost to tied quantiles
            (a count that is mostly 0) are spread over the column's distinct
            values instead. Defaults to `64`, chosen by validation loss in
            `benchmarks/bench_tabular.py`.
        hidden: List of layer widths, or `"auto"` for `kerasnn.build_model`'s
            rule (counting the encoded features). Defaults to `(256, 128)`,
            the setting measured in `benchmarks/bench_tabular.py`.
        dropout: Float in [0, 1). Defaults to `0.2`.
        activation, l1, l2, batchnorm, initializer, optimizer, learning_rate,
        momentum, clipnorm, clipvalue, metrics, seed, strategy, name: As in
            `kerasnn.build_model`.

    Returns:
        A compiled `TabularModel`.

    Raises:
        KerasnnValueError, KerasnnTypeError: For a bad argument or table,
            before any model is built.

    Example:

    >>> df = pd.DataFrame({"size": [1.0, 2.5, None, 4.0] * 5,
    ...                    "colour": ["red", "blue", "red", None] * 5})
    >>> model = build_tabular_model(df, ["yes", "no", "no", "yes"] * 5)
    >>> model.classes
    ['no', 'yes']
    """
    X = _check_frame(X)
    y = _check_target(y, len(X))
    problem = infer_problem(y) if problem is None else check_problem(problem)
    encoding = check_choice("encoding", encoding, ENCODINGS)
    one_hot_max = check_int("one_hot_max", one_hot_max, minimum=2)
    min_frequency = check_int("min_frequency", min_frequency, minimum=1)
    numeric_bins = check_int("numeric_bins", numeric_bins, minimum=0)
    options = check_hidden_options(activation, dropout, l1, l2, batchnorm,
                                   initializer, seed)
    classes = _classes(y, problem)
    spec = output_spec(
        problem, n_classes=len(classes) if problem == "multiclass" else None,
        metrics=metrics,
    )
    kinds = _column_kinds(X, categorical, numeric)
    if "categorical" in kinds.values() and keras.backend.backend() != "tensorflow":
        raise KerasnnValueError(
            "Categorical columns need the TensorFlow backend (string inputs). "
            f"Received: backend {keras.backend.backend()!r} and categorical "
            f"columns {[c for c, k in kinds.items() if k == 'categorical']}. "
            "Set KERAS_BACKEND=tensorflow, or pass them in `numeric=`."
        )
    plan = _plan(X, kinds, encoding, one_hot_max, min_frequency, numeric_bins)
    target = _target_scale(y) if problem == "regression" else None
    n_features = sum(c.get("width", 1) for c in plan)
    widths = hidden_widths(list(hidden) if isinstance(hidden, tuple) else hidden,
                           n_features, spec["units"])
    with strategy_scope(strategy):
        # Made under the scope: its variables must belong to the strategy.
        opt = make_optimizer(optimizer, learning_rate=learning_rate,
                             momentum=momentum, clipnorm=clipnorm,
                             clipvalue=clipvalue)
        inputs, features = _encoded_inputs(plan)
        x = hidden_stack(features, widths, options)
        outputs = output_layer(spec, seed=options[-1], index=len(widths) + 1)(x)
        if target is not None:
            outputs = keras.layers.Rescaling(
                target["std"], offset=target["mean"], dtype="float32",
                name="target_scale",
            )(outputs)

        tabular = {
            "problem": problem,
            "classes": classes,
            "columns": [
                {"name": c["name"], "input": c["input"], "kind": c["kind"]}
                for c in plan
            ],
        }
        model = TabularModel(inputs=inputs, outputs=outputs,
                             name=name or f"{problem}_tabular", tabular=tabular)
        compile_model(model, spec, opt)
    return model


def predict_labels(model, X, *, threshold=0.5, batch_size=None, verbose=0):
    """Predicts class labels: the training labels for a `TabularModel`.

    Args:
        model: A classification model: a `TabularModel` (labels mapped back to
            the original values, strings included) or any Keras model with a
            sigmoid or softmax head (class indices).
        X: Inputs, as for `model.predict`.
        threshold: Float. Probability above which a binary prediction is the
            second class. Defaults to `0.5`.
        batch_size, verbose: Passed to `model.predict`.

    Returns:
        A NumPy array of labels, one per row.

    Example:

    >>> predict_labels(model, df)  # doctest: +SKIP
    array(['no', 'yes', ...], dtype=object)
    """
    classes = getattr(model, "classes", None)
    if isinstance(model, TabularModel) and classes is None:
        raise KerasnnValueError(
            "`predict_labels` needs a classification model. Received: a "
            "TabularModel for problem='regression'. Use model.predict(X)."
        )
    probabilities = np.asarray(model.predict(X, batch_size=batch_size,
                                             verbose=verbose))
    if probabilities.ndim == 2 and probabilities.shape[1] > 1:
        index = probabilities.argmax(axis=1)
    else:
        index = (probabilities.reshape(-1) > threshold).astype("int64")
    if classes is None:
        return index
    return np.asarray(classes, dtype=object)[index]


@keras.saving.register_keras_serializable(package="kerasnn")
class FillMissing(keras.layers.Layer):
    """Fills NaN and infinite values per feature and appends missing flags.

    Args:
        fill_values: List of floats, one per input feature.
        indicators: List of feature indices that get a 0/1 "was missing"
            feature appended, in this order.
    """

    def __init__(self, fill_values, indicators=(), **kwargs):
        super().__init__(**kwargs)
        self.fill_values = [float(v) for v in fill_values]
        self.indicators = [int(i) for i in indicators]

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        missing = ops.logical_not(ops.isfinite(x))
        fill = ops.convert_to_tensor(np.asarray(self.fill_values, "float32"),
                                     dtype=self.compute_dtype)
        filled = ops.where(missing, ops.broadcast_to(fill, ops.shape(x)), x)
        if not self.indicators:
            return filled
        flags = ops.take(missing, self.indicators, axis=-1)
        return ops.concatenate([filled, ops.cast(flags, self.compute_dtype)], -1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + len(self.indicators))

    def get_config(self):
        return {**super().get_config(), "fill_values": self.fill_values,
                "indicators": self.indicators}


@keras.saving.register_keras_serializable(package="kerasnn")
class SignedLog(keras.layers.Layer):
    """`sign(x) * log1p(|x|)` on the features listed in `indices`.

    Tames long-tailed columns (counts, money) before standardization.

    Args:
        indices: List of feature indices to transform; the rest pass through.
    """

    def __init__(self, indices, **kwargs):
        super().__init__(**kwargs)
        self.indices = [int(i) for i in indices]

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        logged = ops.sign(x) * ops.log1p(ops.abs(x))
        mask = np.zeros(x.shape[-1], dtype=bool)
        mask[self.indices] = True
        return ops.where(ops.convert_to_tensor(mask), logged, x)

    def get_config(self):
        return {**super().get_config(), "indices": self.indices}


@keras.saving.register_keras_serializable(package="kerasnn")
class PiecewiseLinear(keras.layers.Layer):
    """Piecewise-linear encoding of one numeric feature over fixed bins.

    Feature `t` is `clip((x - edges[t]) / (edges[t + 1] - edges[t]), 0, 1)`:
    1 for bins wholly below `x`, the fraction inside `x`'s bin, 0 above
    (Gorishniy et al., 2022, "On Embeddings for Numerical Features in
    Tabular Deep Learning"), so an MLP can bend its response per bin.

    Args:
        edges: Sorted list of at least 2 bin edges (training quantiles).
    """

    def __init__(self, edges, **kwargs):
        super().__init__(**kwargs)
        self.edges = [float(e) for e in edges]

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        edges = np.asarray(self.edges, dtype="float32")
        low = ops.convert_to_tensor(edges[:-1], dtype=self.compute_dtype)
        width = ops.convert_to_tensor(np.maximum(np.diff(edges), 1e-12),
                                      dtype=self.compute_dtype)
        return ops.clip((x - low) / width, 0.0, 1.0)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], len(self.edges) - 1)

    def get_config(self):
        return {**super().get_config(), "edges": self.edges}


@keras.saving.register_keras_serializable(package="kerasnn")
class TabularModel(keras.Model):
    """A functional model whose `fit`/`evaluate`/`predict` take raw tables.

    Made by `build_tabular_model`; saved and reloaded with the usual
    `model.save("m.keras")` / `keras.saving.load_model("m.keras")` (safe
    mode) once `kerasnn` is imported. `X` may be a DataFrame or a dict of
    columns keyed by column or input name; extra columns are ignored. `y`
    may hold the original labels. Tensors and `tf.data` datasets are passed
    through unchanged (then categorical columns must be string tensors).

    Attributes:
        problem: The problem type.
        classes: List of the class labels (index `i` is output `i`), or
            `None` for regression.
        columns: Dict mapping each column to `"numeric"`/`"categorical"`.
    """

    def __init__(self, *args, tabular=None, **kwargs):
        super().__init__(*args, **kwargs)
        # A plain JSON dict, kept out of Keras's attribute tracking.
        object.__setattr__(self, "_tabular", _plain(tabular or {}))

    @property
    def problem(self):
        return self._tabular.get("problem")

    @property
    def classes(self):
        classes = self._tabular.get("classes")
        return None if classes is None else list(classes)

    @property
    def columns(self):
        return {c["name"]: c["kind"] for c in self._tabular.get("columns", [])}

    def get_config(self):
        return {**super().get_config(), "tabular": _plain(self._tabular)}

    def prepare_inputs(self, x):
        """Raw columns -> the dict of arrays the model's inputs take."""
        if not isinstance(x, (pd.DataFrame, dict)):
            return x
        columns = self._tabular["columns"]
        missing = [c["name"] for c in columns
                   if c["name"] not in x and c["input"] not in x]
        if missing:
            raise KerasnnValueError(
                f"`x` is missing column(s) {missing} that the model was built "
                f"with. Received: columns {list(x.keys())}."
            )
        prepared = {}
        for column in columns:
            key = column["name"] if column["name"] in x else column["input"]
            values = x[key]
            if keras.ops.is_tensor(values) and not isinstance(values, np.ndarray):
                prepared[column["input"]] = values
            elif column["kind"] == "numeric":
                prepared[column["input"]] = _numeric_values(values, key)
            else:
                prepared[column["input"]] = _string_tensor(
                    _category_strings(values))
        return prepared

    def prepare_labels(self, y):
        """Original labels -> class indices (regression: float32 values)."""
        if y is None or (keras.ops.is_tensor(y) and not isinstance(y, np.ndarray)):
            return y
        values = _as_1d(y, "y")
        if self.classes is None:
            return pd.to_numeric(pd.Series(values)).to_numpy("float32")
        index = pd.Index(self.classes).get_indexer(pd.Series(values))
        if (index < 0).any():
            unknown = sorted({str(v) for v in values[index < 0]})[:5]
            raise KerasnnValueError(
                f"`y` holds labels the model was not built with: {unknown}. "
                f"Received labels outside the model's classes {self.classes}."
            )
        return index.astype("int32")

    def fit(self, x=None, y=None, *args, validation_data=None, class_weight=None,
            **kwargs):
        if isinstance(validation_data, (tuple, list)) and len(validation_data) >= 2:
            validation_data = (self.prepare_inputs(validation_data[0]),
                               self.prepare_labels(validation_data[1]),
                               *validation_data[2:])
        return super().fit(self.prepare_inputs(x), self.prepare_labels(y), *args,
                           validation_data=validation_data,
                           class_weight=class_weight, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        if kwargs.get("_use_cached_eval_dataset"):
            # Validation inside `fit`: the data was prepared there already.
            return super().evaluate(x, y, *args, **kwargs)
        return super().evaluate(self.prepare_inputs(x), self.prepare_labels(y),
                                *args, **kwargs)

    def predict(self, x, *args, **kwargs):
        return super().predict(self.prepare_inputs(x), *args, **kwargs)

    def train_on_batch(self, x, y=None, *args, **kwargs):
        return super().train_on_batch(self.prepare_inputs(x),
                                      self.prepare_labels(y), *args, **kwargs)

    def test_on_batch(self, x, y=None, *args, **kwargs):
        return super().test_on_batch(self.prepare_inputs(x),
                                     self.prepare_labels(y), *args, **kwargs)

    def predict_on_batch(self, x):
        return super().predict_on_batch(self.prepare_inputs(x))


def column_kinds(X, *, categorical=None, numeric=None):
    """Returns `{column: "numeric" | "categorical"}` as the builder infers it."""
    return _column_kinds(_check_frame(X), categorical, numeric)


def embedding_size(n_categories):
    """fastai's rule: `min(600, round(1.6 * n ** 0.56))` dimensions."""
    return int(min(600, round(1.6 * n_categories ** 0.56)))


def _check_frame(X):
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


def _check_target(y, n_rows):
    values = _as_1d(y, "y")
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


def _as_1d(y, name):
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise KerasnnValueError(
                f"`{name}` must be one column. Received: a DataFrame with "
                f"{y.shape[1]} columns."
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
        raise KerasnnValueError(
            f"`{name}` must be 1-D (one label per row). Received: shape "
            f"{values.shape}."
        )
    return values


def _classes(y, problem):
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
    return [c.item() if isinstance(c, np.generic) else c for c in classes]


def _sort_key(value):
    return (0, value, "") if isinstance(value, numbers.Number) else (1, 0, str(value))


def _column_kinds(X, categorical, numeric):
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


def _plan(X, kinds, encoding, one_hot_max, min_frequency, numeric_bins):
    """One dict per column: its kind, input name and preprocessing state."""
    plan = []
    used = set()
    for column, kind in kinds.items():
        entry = {"name": column, "input": _input_name(column, used), "kind": kind}
        if kind == "numeric":
            values = _numeric_values(X[column], column).reshape(-1)
            finite = values[np.isfinite(values)]
            if finite.size == 0:
                raise KerasnnValueError(
                    f"Numeric column {column!r} has no finite values in `X`. "
                    "Received: a column that is all missing. Drop it."
                )
            entry.update(fill=float(finite.mean()),
                         flag=bool(finite.size < values.size))
            if numeric_bins > 1:
                edges = _bin_edges(finite, numeric_bins)
                if len(edges) > 2:
                    entry["bins"] = edges.tolist()
        else:
            strings = pd.Series(_category_strings(X[column]).reshape(-1))
            counts = strings.value_counts()
            vocabulary = [str(v) for v, n in counts.items() if n >= min_frequency]
            if not vocabulary:
                # Keep the commonest category, so the lookup is not empty.
                vocabulary = [str(counts.index[0])]
            n = len(vocabulary) + 1
            one_hot = encoding == "one_hot" or (
                encoding == "auto" and n <= one_hot_max
            )
            entry.update(vocabulary=vocabulary,
                         width=n if one_hot else embedding_size(n),
                         one_hot=one_hot)
        plan.append(entry)
    numeric = [e for e in plan if e["kind"] == "numeric"]
    if numeric:
        matrix = np.column_stack(
            [_numeric_values(X[e["name"]], e["name"]).reshape(-1) for e in numeric]
        )
        bad = ~np.isfinite(matrix)
        fills = np.array([e["fill"] for e in numeric])
        filled = np.where(bad, fills, matrix)
        flags = [i for i, e in enumerate(numeric) if e["flag"]]
        skewed = [i for i in range(filled.shape[1])
                  if abs(pd.Series(filled[:, i]).skew()) > SKEW_LOG]
        filled[:, skewed] = np.sign(filled[:, skewed]) * np.log1p(
            np.abs(filled[:, skewed]))
        stats = np.column_stack([filled, bad[:, flags].astype("float64")])
        variance = stats.var(axis=0)
        variance[variance == 0] = 1.0  # a constant column stays at 0
        numeric[0]["stats"] = {"mean": stats.mean(axis=0).tolist(),
                               "variance": variance.tolist(), "flags": flags,
                               "fills": fills.tolist(), "skewed": skewed}
        numeric[0]["width"] = stats.shape[1]
        for e in numeric[1:]:
            e["width"] = len(e["bins"]) - 1 if e.get("bins") else 0
        if numeric[0].get("bins"):
            numeric[0]["width"] += len(numeric[0]["bins"]) - 1
    return plan


def _bin_edges(values, n_bins):
    """Training-quantile bin edges; bins lost to ties go to the distinct values.

    A column that is mostly one value (a count that is usually 0) keeps few
    quantile edges; the spare bins are spread over the quantiles of its
    distinct values, so its rare large values still get bins of their own.
    """
    edges = np.unique(np.quantile(values, np.linspace(0, 1, n_bins + 1)))
    spare = n_bins + 1 - len(edges)
    if spare > 0:
        distinct = np.unique(values)
        edges = np.unique(np.concatenate([edges, np.quantile(
            distinct, np.linspace(0, 1, min(spare, len(distinct)) + 2),
            method="nearest")]))
    return edges


def _encoded_inputs(plan):
    inputs, numeric, encoded = {}, [], []
    for entry in plan:
        name = entry["input"]
        if entry["kind"] == "numeric":
            inputs[name] = keras.Input(shape=(1,), dtype="float32", name=name)
            numeric.append(inputs[name])
            if entry.get("bins"):
                x = FillMissing([entry["fill"]], name=f"{name}_fill")(inputs[name])
                encoded.append(PiecewiseLinear(entry["bins"],
                                               name=f"{name}_bins")(x))
            continue
        inputs[name] = keras.Input(shape=(1,), dtype="string", name=name)
        lookup = keras.layers.StringLookup(
            vocabulary=entry["vocabulary"], num_oov_indices=1,
            output_mode="one_hot" if entry["one_hot"] else "int",
            name=f"{name}_lookup",
        )(inputs[name])
        if entry["one_hot"]:
            encoded.append(keras.layers.Reshape((len(entry["vocabulary"]) + 1,),
                                                name=f"{name}_one_hot")(lookup))
        else:
            x = keras.layers.Embedding(len(entry["vocabulary"]) + 1,
                                       entry["width"], name=f"{name}_embedding")(
                lookup)
            encoded.append(keras.layers.Flatten(name=f"{name}_flat")(x))
    if numeric:
        stats = plan[[e["kind"] for e in plan].index("numeric")]["stats"]
        x = numeric[0] if len(numeric) == 1 else keras.layers.Concatenate(
            name="numeric")(numeric)
        x = FillMissing(stats["fills"], stats["flags"], name="fill_missing")(x)
        if stats["skewed"]:
            x = SignedLog(stats["skewed"], name="log_skewed")(x)
        x = keras.layers.Normalization(mean=stats["mean"],
                                       variance=stats["variance"],
                                       name="normalize")(x)
        encoded.insert(0, x)
    features = encoded[0] if len(encoded) == 1 else keras.layers.Concatenate(
        name="features")(encoded)
    return inputs, features


def _input_name(column, used):
    name = re.sub(r"\W", "_", str(column)).strip("_") or "column"
    if name[0].isdigit():
        name = f"c_{name}"
    base, i = name, 1
    while name in used:
        i += 1
        name = f"{base}_{i}"
    used.add(name)
    return name


def _numeric_values(values, column):
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


def _category_strings(values):
    series = values if isinstance(values, pd.Series) else pd.Series(
        np.asarray(values, dtype=object).reshape(-1))
    missing = series.isna().to_numpy()
    out = np.empty(len(series), dtype=object)
    for i, (value, absent) in enumerate(zip(series.to_numpy(dtype=object), missing)):
        out[i] = MISSING_TOKEN if absent else _category_string(value)
    return out.reshape(-1, 1)


def _string_tensor(strings):
    # Keras's data adapters refuse NumPy object arrays; a tf.string tensor
    # passes through them (string inputs are TensorFlow-only anyway).
    import tensorflow as tf

    return tf.constant(strings, dtype=tf.string)


def _category_string(value):
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Real) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _target_scale(y):
    values = pd.to_numeric(pd.Series(y), errors="coerce").to_numpy("float64")
    values = values[np.isfinite(values)]
    std = float(values.std()) if values.size else 1.0
    return {"mean": float(values.mean()) if values.size else 0.0,
            "std": std if std > 0 else 1.0}


def _plain(value):
    """Keras-tracked or NumPy containers -> plain JSON-able Python."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
