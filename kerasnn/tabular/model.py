"""`build_tabular_model`: a compiled model that takes raw DataFrame columns.

The preprocessing lives inside the model, as Keras preprocessing layers set
from the training data only, so the saved `.keras` file takes raw rows
(`dict(df)`, strings and NaNs included) and needs nothing carried beside it:

- numeric columns: missing or infinite values are filled with the training
  mean, a 0/1 "was missing" flag is added for each column that had missing
  values in training, then everything is standardized (`Normalization`);
  each column is also embedded: its piecewise-linear encoding over training
  quantile bins, through a small Dense layer of its own (or learnt periodic
  features, `numeric_embedding="periodic"`);
- categorical columns: `StringLookup` with one out-of-vocabulary slot (unseen
  categories at predict time, and categories seen fewer than `min_frequency`
  times in training, which is how that slot gets trained); missing values are
  a category of their own. Small vocabularies are one-hot encoded, larger ones
  embedded in `min(600, round(1.6 * n ** 0.56))` dimensions (fastai's rule,
  `n` counting the out-of-vocabulary slot);
- regression targets are standardized inside the model: the last layer
  (`Rescaling`) maps back, so `predict` returns the original units.

The layers are in `kerasnn.tabular.layers`, the plan that sets them from the training
rows in `kerasnn.tabular.plan`, and the checks of tables and targets in
`kerasnn.tabular.tables`.
"""

import keras
import numpy as np
import pandas as pd
from keras import ops

from kerasnn._validation import check_choice
from kerasnn._validation import check_int
from kerasnn.builders.blocks import check_hidden_options
from kerasnn.builders.blocks import hidden_stack
from kerasnn.builders.blocks import hidden_widths
from kerasnn.builders.blocks import make_initializer
from kerasnn.builders.blocks import output_layer
from kerasnn.builders.blocks import strategy_scope
from kerasnn.builders.optimizers import compile_model
from kerasnn.builders.optimizers import make_optimizer
from kerasnn.errors import KerasnnValueError
from kerasnn.multilabel import check_thresholds
from kerasnn.problems import check_problem
from kerasnn.problems import infer_problem
from kerasnn.problems import output_spec
from kerasnn.tabular.ensemble import EnsembleHead
from kerasnn.tabular.ensemble import MeanPrediction
from kerasnn.tabular.ensemble import ensemble_stack
from kerasnn.tabular.plan import ENCODINGS
from kerasnn.tabular.plan import NUMERIC_EMBEDDINGS
from kerasnn.tabular.plan import encoded_inputs
from kerasnn.tabular.plan import make_plan
from kerasnn.tabular.tables import as_1d
from kerasnn.tabular.tables import category_strings
from kerasnn.tabular.tables import check_frame
from kerasnn.tabular.tables import check_label_table
from kerasnn.tabular.tables import check_target
from kerasnn.tabular.tables import infer_column_kinds
from kerasnn.tabular.tables import is_label_table
from kerasnn.tabular.tables import numeric_values
from kerasnn.tabular.tables import string_tensor
from kerasnn.tabular.tables import target_classes
from kerasnn.tabular.tables import target_scale

BACKBONES = ("tabm", "tabm_shared_first", "tabm_mini", "mlp")
DEFAULT_BACKBONE = "tabm_mini"
#: What `None` means for these options, per backbone; chosen on validation
#: rows (docs/tabular.md, "Benchmark"). The ensembles' dropout depends on the
#: problem: more of it helped adult and cost housing, whose continuous
#: predictions carry dropout's noise straight into the error.
BACKBONE_DEFAULTS = {
    "mlp": {"dropout": {"classification": 0.2, "regression": 0.2},
            "optimizer": "adam", "learning_rate": None, "weight_decay": None},
    **{name: {"dropout": {"classification": 0.2, "regression": 0.1},
              "optimizer": "adamw", "learning_rate": 2e-3,
              "weight_decay": 3e-4}
       for name in ("tabm", "tabm_shared_first", "tabm_mini")},
}
#: Settings of `numeric_embedding="periodic"` (`kerasnn.tabular.layers.PeriodicEmbedding`).
PERIODIC = {"frequencies": 48, "sigma": 0.1}
#: A target of numbers >= 0 whose skewness exceeds this is fitted as
#: `log1p(y)` by `build_tabular_model(target_transform="auto")`.
SKEW_TARGET_LOG = 2.0


def build_tabular_model(X, y, *, problem=None, categorical=None, numeric=None,
                        encoding="auto", one_hot_max=10, min_frequency=3,
                        numeric_bins=128, numeric_embedding="bins",
                        numeric_units=32, hidden=(256, 128), activation="relu",
                        dropout=None, l1=0.0,
                        l2=0.0, batchnorm=False, initializer=None,
                        optimizer=None, learning_rate=None, momentum=0.9,
                        clipnorm=None, clipvalue=None, metrics=None, seed=None,
                        strategy=None, name=None, backbone=DEFAULT_BACKBONE, k=8,
                        weight_decay=None, target_transform="auto"):
    """Builds and compiles a model for a table, preprocessing included.

    Column types are inferred: numbers are numeric, except whole numbers with
    at most 10 distinct values; strings, `category` and `bool` columns are
    categorical. The preprocessing (see the module docstring) is set from `X`
    only; the hidden part and the head are those of `kerasnn.build_model`.

    The model is a `kerasnn.tabular.model.TabularModel`: a functional Keras model
    with one input per column, named after the column (names that are not
    identifiers are sanitised, the mapping kept). Its `fit`, `evaluate` and
    `predict` take a DataFrame or a dict of columns (`dict(df)`), and `fit`
    and `evaluate` take the raw labels (strings too). `predict` returns
    probabilities (classification) or values in the target's units
    (regression); `kerasnn.predict_labels(model, X)` returns the class labels,
    which are also in `model.classes`.

    Args:
        X: pandas DataFrame of training features. Not modified.
        y: Target, one per row of `X`: a Series, list or 1-D array; for
            several yes/no labels per row (multi-label), one 0/1 column per
            label: a DataFrame such as `df[["tag_a", "tag_b"]]` (its column
            names are the labels, `model.classes`) or a 2-D array.
        problem: `"binary"`, `"multiclass"`, `"regression"`, `"multilabel"`
            or `None` to infer it: a target of several 0/1 columns is
            `"multilabel"`, any other with `kerasnn.infer_problem(y)`.
        categorical: List of columns to treat as categorical, overriding the
            inference.
        numeric: List of columns to treat as numeric, overriding the inference.
        encoding: `"auto"` (one-hot for at most `one_hot_max` slots, an
            embedding otherwise), `"one_hot"` or `"embedding"`.
        one_hot_max: Integer. Largest vocabulary (out-of-vocabulary slot
            included) one-hot encoded by `encoding="auto"`. Defaults to `10`.
        min_frequency: Integer >= 1. Categories seen fewer times in `X` share
            the out-of-vocabulary slot. Defaults to `3`.
        numeric_bins: Integer >= 0. With `numeric_embedding="bins"`, each
            numeric column also gets a piecewise-linear encoding over this
            many training-quantile bins (`PiecewiseLinear`), which lets the
            network bend its response per bin as trees do; `0` turns it off.
            Bins lost to tied quantiles (a count that is mostly 0) are spread
            over the column's distinct values instead. Defaults to `128`,
            chosen on validation rows in `benchmarks/bench_tabular.py`.
        numeric_embedding: How each numeric column is embedded beside its
            standardized value: `"bins"` (the piecewise-linear bins above),
            `"periodic"` (`kerasnn.tabular.layers.PeriodicEmbedding`: learnt
            frequencies, then a ReLU layer of `numeric_units`) or `None`
            (the standardized values only). Defaults to `"bins"`, which
            beat `"periodic"` on validation rows (docs/tabular.md).
        numeric_units: Integer >= 1 or `None`. Size of each numeric column's
            embedding: the bins go through a Dense layer of this many units
            of their own (TabM's piecewise-linear embeddings), which keeps
            the first hidden layer's input narrow, so the `k` members cost
            less; `None` passes the bins on as they are. Defaults to `32`.
        hidden: List of layer widths, or `"auto"` for `kerasnn.build_model`'s
            rule (counting the encoded features). Defaults to `(256, 128)`,
            the setting measured in `benchmarks/bench_tabular.py`.
        dropout: Float in [0, 1), or `None`: `0.2` for the MLP; for the
            ensembles `0.2` for classification and `0.1` for regression
            (chosen on validation rows: docs/tabular.md).
        optimizer: As in `kerasnn.build_model`, or `None`: Adam for the
            MLP; for the ensembles AdamW with `learning_rate=2e-3` and
            `weight_decay=3e-4` (TabM's defaults, confirmed on validation
            rows), unless those are passed.
        backbone: `"mlp"` (one network), `"tabm"` (an efficient ensemble of
            `k` networks, `kerasnn.tabular.ensemble`), `"tabm_mini"` (TabM-mini: one
            adapter, on the first layer's input) or `"tabm_shared_first"`
            (the first layer's adapter on its output, so its product with
            the wide encoded input is computed once). Defaults to
            `"tabm_mini"`, the winner on validation rows.
        k: Integer >= 1. Members of the ensemble backbones. Defaults to `8`.
        weight_decay: Float >= 0 or `None`: AdamW's decoupled weight decay.
        target_transform: `"auto"`, `"log"` or `None`. `"log"` fits a
            regression target as `log1p(y)` (the loss compares logs;
            `predict` answers in the target's units); `"auto"` does so for a
            target >= 0 with skewness above `SKEW_TARGET_LOG` (`train_tabular`
            decides on validation rows instead). Ignored for classification.
            `model.target_transform` says which was used.
        activation, l1, l2, batchnorm, initializer, learning_rate, momentum,
        clipnorm, clipvalue, metrics, seed, strategy, name: As in
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
    X = check_frame(X)
    y, problem = check_tabular_target(y, len(X), problem)
    encoding = check_choice("encoding", encoding, ENCODINGS)
    backbone = check_choice("backbone", backbone, BACKBONES)
    defaults = BACKBONE_DEFAULTS[backbone]
    if dropout is None:
        dropout = defaults["dropout"][
            "regression" if problem == "regression" else "classification"]
    if optimizer is None:
        optimizer = defaults["optimizer"]
        learning_rate = (defaults["learning_rate"] if learning_rate is None
                         else learning_rate)
        weight_decay = (defaults["weight_decay"] if weight_decay is None
                        else weight_decay)
    k = check_int("k", k, minimum=1)
    target_transform = check_target_transform(target_transform, y, problem)
    one_hot_max = check_int("one_hot_max", one_hot_max, minimum=2)
    min_frequency = check_int("min_frequency", min_frequency, minimum=1)
    numeric_bins = check_int("numeric_bins", numeric_bins, minimum=0)
    numeric_embedding = check_choice("numeric_embedding", numeric_embedding,
                                     NUMERIC_EMBEDDINGS, allow_none=True)
    numeric_units = check_int("numeric_units", numeric_units, minimum=1,
                              allow_none=numeric_embedding != "periodic")
    periodic = None
    if numeric_embedding == "periodic":
        periodic = {**PERIODIC, "units": numeric_units, "seed": seed}
    if numeric_embedding != "bins":
        numeric_bins = 0
    options = check_hidden_options(activation, dropout, l1, l2, batchnorm,
                                   initializer, seed)
    classes = (list(y.columns) if problem == "multilabel"
               else target_classes(y, problem))
    spec = output_spec(
        problem, n_classes=len(classes) if problem == "multiclass" else None,
        n_labels=len(classes) if problem == "multilabel" else None,
        metrics=metrics,
    )
    kinds = infer_column_kinds(X, categorical, numeric)
    if "categorical" in kinds.values() and keras.backend.backend() != "tensorflow":
        raise KerasnnValueError(
            "Categorical columns need the TensorFlow backend (string inputs). "
            f"Received: backend {keras.backend.backend()!r} and categorical "
            f"columns {[c for c, k in kinds.items() if k == 'categorical']}. "
            "Set KERAS_BACKEND=tensorflow, or pass them in `numeric=`."
        )
    plan = make_plan(X, kinds, encoding=encoding, one_hot_max=one_hot_max,
                     min_frequency=min_frequency, numeric_bins=numeric_bins,
                     periodic=periodic, bin_units=numeric_units)
    target = None
    if problem == "regression":
        target = target_scale(_forward(y, target_transform))
    widths = hidden_widths(list(hidden) if isinstance(hidden, tuple) else hidden,
                           plan.n_features, spec["units"])
    with strategy_scope(strategy):
        # Made under the scope: its variables must belong to the strategy.
        opt = make_optimizer(optimizer, learning_rate=learning_rate,
                             momentum=momentum, clipnorm=clipnorm,
                             clipvalue=clipvalue, weight_decay=weight_decay)
        inputs, features = encoded_inputs(plan, options.seed)
        if backbone == "mlp":
            x = hidden_stack(features, widths, options)
            outputs = output_layer(spec, seed=options.seed,
                                   index=len(widths) + 1)(x)
        else:
            x = ensemble_stack(features, widths, k, arch=backbone,
                               activation=options.activation,
                               dropout=options.dropout, l1=options.l1,
                               l2=options.l2, initializer=options.initializer,
                               seed=options.seed)
            outputs = EnsembleHead(
                spec["units"], k, activation=spec["activation"],
                kernel_initializer=make_initializer(
                    "glorot_uniform", options.seed, len(widths) + 1),
                dtype="float32", name="output",
            )(x)
        if target is not None:
            outputs = keras.layers.Rescaling(
                target["std"], offset=target["mean"], dtype="float32",
                name="target_scale",
            )(outputs)
        if backbone == "mlp" and target_transform is not None:
            outputs = keras.layers.Reshape((1, spec["units"]),
                                           name="one_member")(outputs)
        if backbone != "mlp" or target_transform is not None:
            outputs = MeanPrediction(target_transform, dtype="float32",
                                     name="mean_prediction")(outputs)

        tabular = {
            "problem": problem,
            "classes": classes,
            "backbone": backbone,
            "k": 1 if backbone == "mlp" else k,
            "target_transform": target_transform,
            "columns": [
                {"name": c.name, "input": c.input, "kind": c.kind}
                for c in plan.columns
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
            sigmoid or softmax head (class indices). A head of several
            sigmoid units is multi-label (`problem="multilabel"`): each
            label is predicted on its own.
        X: Inputs, as for `model.predict`.
        threshold: Float. Probability above which a binary prediction is the
            second class. Defaults to `0.5`. For a multi-label model, one
            float for every label or one per label (a list in label order;
            for a `TabularModel`, also a dict `{label: threshold}`).
        batch_size, verbose: Passed to `model.predict`.

    Returns:
        A NumPy array of labels, one per row; for a multi-label model, a 0/1
        array of rows x labels (a `TabularModel`'s labels, in order, are
        `model.classes`).

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
    limits = None
    if isinstance(model, TabularModel) and model.problem == "multilabel":
        # Checked before the work of predicting.
        limits = check_thresholds(threshold, len(classes), classes)
    probabilities = np.asarray(model.predict(X, batch_size=batch_size,
                                             verbose=verbose))
    if (limits is None and classes is None and probabilities.ndim == 2
            and probabilities.shape[1] > 1 and _sigmoid_head(model)):
        limits = check_thresholds(threshold, probabilities.shape[1])
    if limits is not None:
        return (probabilities >= limits).astype("int64")
    if probabilities.ndim == 2 and probabilities.shape[1] > 1:
        index = probabilities.argmax(axis=1)
    else:
        index = (probabilities.reshape(-1) > threshold).astype("int64")
    if classes is None:
        return index
    return np.asarray(classes, dtype=object)[index]


def _sigmoid_head(model):
    """Whether `model`'s last layer ends in a sigmoid (a multi-label head)."""
    layers = getattr(model, "layers", None) or []
    activation = getattr(layers[-1], "activation", None) if layers else None
    return getattr(activation, "__name__", None) == "sigmoid"


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
        classes: List of the class labels (index `i` is output `i`), the
            label names for multi-label, or `None` for regression.
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

    @property
    def backbone(self):
        return self._tabular.get("backbone", "mlp")

    @property
    def k(self):
        return self._tabular.get("k", 1)

    @property
    def target_transform(self):
        return self._tabular.get("target_transform")

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                     training=True):
        """The mean of the members' losses, in the space the target is fitted.

        In training the model gives every member's prediction
        (`(batch, k, outputs)`, see `kerasnn.tabular.ensemble.MeanPrediction`): they
        are scored as `k` rows each, so the loss is the mean of the member
        losses, not the loss of their mean. With `target_transform="log"`
        the loss compares `log1p` values.
        """
        members = y_pred is not None and self._members_in(y_pred)
        y, y_pred, sample_weight = self._members_as_rows(y, y_pred,
                                                         sample_weight)
        if self.target_transform == "log" and y is not None:
            y = ops.log1p(ops.maximum(ops.cast(y, "float32"), 0.0))
            if not members:  # the ensemble's prediction, in target units
                y_pred = ops.log1p(ops.maximum(y_pred, 0.0))
        return super().compute_loss(x, y, y_pred, sample_weight, training)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        if self.target_transform == "log" and self._members_in(y_pred):
            y_pred = ops.expm1(ops.clip(y_pred, -30.0, 30.0))
        y, y_pred, sample_weight = self._members_as_rows(y, y_pred,
                                                         sample_weight)
        return super().compute_metrics(x, y, y_pred, sample_weight)

    @staticmethod
    def _members_in(y_pred):
        # Only `MeanPrediction` in training gives 3-D predictions.
        return len(y_pred.shape) == 3

    def _members_as_rows(self, y, y_pred, sample_weight):
        """`(batch, k, outputs)` members -> `k` rows per example."""
        if y_pred is None or not self._members_in(y_pred):
            return y, y_pred, sample_weight
        k = y_pred.shape[1]
        y_pred = ops.reshape(y_pred, (-1, y_pred.shape[2]))
        if y is not None:
            y = _repeat_rows(y, k)
        if sample_weight is not None:
            sample_weight = _repeat_rows(sample_weight, k)
        return y, y_pred, sample_weight

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
                prepared[column["input"]] = numeric_values(values, key)
            else:
                prepared[column["input"]] = string_tensor(
                    category_strings(values))
        return prepared

    def prepare_labels(self, y):
        """Original labels -> class indices (regression: float32 values;
        multi-label: the 0/1 columns, in the model's label order)."""
        if y is None or (keras.ops.is_tensor(y) and not isinstance(y, np.ndarray)):
            return y
        if self.problem == "multilabel":
            return check_label_table(y, len(y), self.classes).to_numpy()
        values = as_1d(y, "y")
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


def check_tabular_target(y, n_rows, problem):
    """Checks a table's target and resolves its problem type.

    `y` is one label per row, or, for `problem="multilabel"`, one 0/1 column
    per label (a DataFrame, whose column names name the labels, or a 2-D
    array). Returns `(y, problem)`: `y` as a 1-D array, or as a float32
    DataFrame of the labels.
    """
    problem = None if problem is None else check_problem(problem)
    if not is_label_table(y):
        if problem == "multilabel":
            raise KerasnnValueError(
                "problem='multilabel' needs one 0/1 column per label in `y` "
                "(a DataFrame such as df[['tag_a', 'tag_b']], or a 2-D "
                f"array). Received: y of shape {np.shape(y)}.")
        y = check_target(y, n_rows)
        return y, infer_problem(y) if problem is None else problem
    y = check_label_table(y, n_rows)
    if problem is None and (y.to_numpy().sum(axis=1) == 1).all():
        raise KerasnnValueError(
            "Every row of `y` holds exactly one 1: that reads as one-hot "
            "classes, not several labels per row. Pass the class column "
            "instead (e.g. y.idxmax(axis=1)), or problem='multilabel' if a "
            "row could hold several labels.")
    if problem not in (None, "multilabel"):
        raise KerasnnValueError(
            f"A `y` of {y.shape[1]} columns is one 0/1 column per label, "
            f"which is problem='multilabel'. Received: problem={problem!r}. "
            "Pass problem='multilabel', or a single target column.")
    return y, "multilabel"


def check_target_transform(target_transform, y, problem):
    """Resolves `target_transform` to `None` or `"log"` for the target `y`.

    `"auto"` picks `"log"` for a regression target of numbers >= 0 whose
    skewness exceeds `SKEW_TARGET_LOG` (`train_tabular` instead compares
    both on its validation rows).
    """
    target_transform = check_choice("target_transform", target_transform,
                                    ("auto", "log"), allow_none=True)
    if problem != "regression":
        if target_transform == "log":
            raise KerasnnValueError(
                "`target_transform` applies to problem='regression' only. "
                f"Received: target_transform='log' with problem={problem!r}."
            )
        return None
    if target_transform is None:
        return None
    values = pd.to_numeric(pd.Series(as_1d(y, "y")), errors="coerce")
    values = values[np.isfinite(values)]
    positive = bool(len(values)) and float(values.min()) >= 0
    if target_transform == "log":
        if not positive:
            raise KerasnnValueError(
                "target_transform='log' fits log1p(y), so it needs a target "
                f">= 0. Received: y with minimum {float(values.min())!r}. "
                "Use target_transform=None."
            )
        return "log"
    return "log" if positive and values.skew() > SKEW_TARGET_LOG else None


def column_kinds(X, *, categorical=None, numeric=None):
    """Returns `{column: "numeric" | "categorical"}` as the builder infers it."""
    return infer_column_kinds(check_frame(X), categorical, numeric)


def _repeat_rows(values, k):
    """Each row `k` times in a row: `[a, b] -> [a, a, b, b]` for `k=2`."""
    values = ops.convert_to_tensor(values)
    repeated = ops.repeat(ops.expand_dims(values, 1), k, axis=1)
    return ops.reshape(repeated, (-1, *values.shape[1:]))


def _forward(y, transform):
    """The regression target in the space it is fitted in."""
    values = pd.to_numeric(pd.Series(as_1d(y, "y")), errors="coerce")
    values = values.to_numpy("float64")
    return np.log1p(values) if transform == "log" else values


def _plain(value):
    """Keras-tracked or NumPy containers -> plain JSON-able Python."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
