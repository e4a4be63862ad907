"""`build_tabular_model`: a compiled model that takes raw DataFrame columns.

The preprocessing lives inside the model, as Keras preprocessing layers set
from the training data only, so the saved `.keras` file takes raw rows
(`dict(df)`, strings and NaNs included) and needs nothing carried beside it:

- numeric columns: missing or infinite values are filled with the training
  mean, a 0/1 "was missing" flag is added for each column that had missing
  values in training, then everything is standardized (`Normalization`);
  each column is also embedded: its piecewise-linear encoding over training
  quantile bins, through a small Dense layer of its own;
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
`kerasnn.tabular.tables`. The network itself is put together in
`_network.py`, the model class is in `_tabular_model.py` and the target
checks in `_targets.py`; their public names are importable from here.
"""

import keras
import numpy as np

from kerasnn._validation import check_choice
from kerasnn._validation import check_int
from kerasnn.builders.blocks import check_hidden_options
from kerasnn.builders.blocks import hidden_widths
from kerasnn.builders.blocks import strategy_scope
from kerasnn.builders.optimizers import compile_model
from kerasnn.builders.optimizers import make_optimizer
from kerasnn.errors import KerasnnValueError
from kerasnn.multilabel import check_thresholds
from kerasnn.problems import output_spec
from kerasnn.tabular._network import tabular_network
# Defined apart, importable from here as before (and named by saved files).
from kerasnn.tabular._tabular_model import TabularModel
from kerasnn.tabular._targets import SKEW_TARGET_LOG  # noqa: F401
from kerasnn.tabular._targets import check_tabular_target
from kerasnn.tabular._targets import check_target_transform
from kerasnn.tabular._targets import fitted_target
from kerasnn.tabular.plan import ENCODINGS
from kerasnn.tabular.plan import NUMERIC_EMBEDDINGS
from kerasnn.tabular.plan import make_plan
from kerasnn.tabular.tables import check_frame
from kerasnn.tabular.tables import infer_column_kinds
from kerasnn.tabular.tables import target_classes
from kerasnn.tabular.tables import target_scale

BACKBONES = ("tabm", "tabm_mini", "mlp")
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
       for name in ("tabm", "tabm_mini")},
}


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
            standardized value: `"bins"` (the piecewise-linear bins above)
            or `None` (the standardized values only). Defaults to `"bins"`.
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
            adapter, on the first layer's input). Defaults to `"tabm_mini"`,
            the winner on validation rows.
        k: Integer >= 1. Members of the ensemble backbones. Defaults to `8`.
        weight_decay: Float >= 0 or `None`: AdamW's decoupled weight decay.
        target_transform: `"auto"`, `"log"` or `None`. `"log"` fits a
            regression target as `log1p(y)` (the loss compares logs;
            `predict` answers in the target's units); `"auto"` does so for a
            target >= 0 with skewness above `SKEW_TARGET_LOG`, as
            `train_tabular` does by default. Ignored for classification.
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
    chosen = _backbone_settings(backbone, problem, dropout=dropout,
                                optimizer=optimizer,
                                learning_rate=learning_rate,
                                weight_decay=weight_decay)
    k = check_int("k", k, minimum=1)
    target_transform = check_target_transform(target_transform, y, problem)
    one_hot_max = check_int("one_hot_max", one_hot_max, minimum=2)
    min_frequency = check_int("min_frequency", min_frequency, minimum=1)
    numeric_plan = _numeric_plan(numeric_bins, numeric_embedding,
                                 numeric_units)
    options = check_hidden_options(activation, chosen["dropout"], l1, l2,
                                   batchnorm, initializer, seed)
    classes = (list(y.columns) if problem == "multilabel"
               else target_classes(y, problem))
    spec = output_spec(
        problem, n_classes=len(classes) if problem == "multiclass" else None,
        n_labels=len(classes) if problem == "multilabel" else None,
        metrics=metrics,
    )
    kinds = infer_column_kinds(X, categorical, numeric)
    _check_backend(kinds)
    plan = make_plan(X, kinds, encoding=encoding, one_hot_max=one_hot_max,
                     min_frequency=min_frequency, **numeric_plan)
    target = None
    if problem == "regression":
        target = target_scale(fitted_target(y, target_transform))
    widths = hidden_widths(list(hidden) if isinstance(hidden, tuple) else hidden,
                           plan.n_features, spec["units"])
    with strategy_scope(strategy):
        # Made under the scope: its variables must belong to the strategy.
        opt = make_optimizer(chosen["optimizer"],
                             learning_rate=chosen["learning_rate"],
                             momentum=momentum, clipnorm=clipnorm,
                             clipvalue=clipvalue,
                             weight_decay=chosen["weight_decay"])
        inputs, outputs = tabular_network(
            plan, spec, widths, options, backbone=backbone, k=k,
            target=target, target_transform=target_transform)
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


def _backbone_settings(backbone, problem, **given):
    """`dropout`, `optimizer`, `learning_rate` and `weight_decay`, with the
    backbone's defaults (`BACKBONE_DEFAULTS`) for those left `None`."""
    defaults = BACKBONE_DEFAULTS[backbone]
    chosen = dict(given)
    if chosen["dropout"] is None:
        chosen["dropout"] = defaults["dropout"][
            "regression" if problem == "regression" else "classification"]
    if chosen["optimizer"] is None:
        chosen["optimizer"] = defaults["optimizer"]
        for key in ("learning_rate", "weight_decay"):
            if chosen[key] is None:
                chosen[key] = defaults[key]
    return chosen


def _numeric_plan(numeric_bins, numeric_embedding, numeric_units):
    """The numeric columns' embedding, as `make_plan`'s keyword arguments."""
    numeric_bins = check_int("numeric_bins", numeric_bins, minimum=0)
    numeric_embedding = check_choice("numeric_embedding", numeric_embedding,
                                     NUMERIC_EMBEDDINGS, allow_none=True)
    numeric_units = check_int("numeric_units", numeric_units, minimum=1,
                              allow_none=True)
    if numeric_embedding != "bins":
        numeric_bins = 0
    return {"numeric_bins": numeric_bins, "bin_units": numeric_units}


def _check_backend(kinds):
    """Categorical columns take string inputs, which need TensorFlow."""
    if "categorical" in kinds.values() and keras.backend.backend() != "tensorflow":
        raise KerasnnValueError(
            "Categorical columns need the TensorFlow backend (string inputs). "
            f"Received: backend {keras.backend.backend()!r} and categorical "
            f"columns {[c for c, k in kinds.items() if k == 'categorical']}. "
            "Set KERAS_BACKEND=tensorflow, or pass them in `numeric=`."
        )


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


def column_kinds(X, *, categorical=None, numeric=None):
    """Returns `{column: "numeric" | "categorical"}` as the builder infers it."""
    return infer_column_kinds(check_frame(X), categorical, numeric)
