"""`check_setup`: find the setup mistakes that no amount of training fixes.

Reads the model, its compiled loss and a sample of the training data, and
returns findings (see `callbacks._findings`) before the first step: a loss
that does not fit the output activation, targets that do not fit the output
or the loss, inputs far from unit scale, NaN/inf in the data, a
`validation_split` tail that holds other classes than the rest, and a class
imbalance with no weights. Nothing is trained and nothing passed in changes.
"""

import inspect

import keras
import numpy as np

from callbacks._base import CallbackTypeError
from callbacks._base import CallbackValueError
from callbacks._base import _check_float
from callbacks._base import _check_int
from callbacks._findings import make_finding
from callbacks._grads import _is_dataset

_OWNER = "check_setup"
# Arrays up to this many elements are scanned in full (NaN/inf, labels);
# larger ones through a seeded random sample of rows of about this size.
_SCAN_ELEMENTS = 20_000_000
_FORWARD_ROWS = 64  # rows of the one full forward pass
_MAX_CLASSES = 20  # most distinct whole values that may read as class ids
_EVEN_CLASSES = 5.0  # and the most the largest of them may outnumber the least
# A split is "ordered" when a shuffled split would look like it with a
# chance below this.
_UNLIKELY = 1e-6

_LOSSES = {  # loss function name -> (family, class to name in a fix)
    "binary_crossentropy": ("binary", "BinaryCrossentropy"),
    "binary_focal_crossentropy": ("binary", "BinaryFocalCrossentropy"),
    "categorical_crossentropy": ("categorical", "CategoricalCrossentropy"),
    "categorical_focal_crossentropy": ("categorical",
                                       "CategoricalFocalCrossentropy"),
    "sparse_categorical_crossentropy": ("sparse",
                                        "SparseCategoricalCrossentropy"),
    "mean_squared_error": ("regression", "MeanSquaredError"),
    "mean_absolute_error": ("regression", "MeanAbsoluteError"),
    "huber": ("regression", "Huber"),
    "log_cosh": ("regression", "LogCosh"),
}
_CROSSENTROPY = ("binary", "categorical", "sparse")
_SOFTMAX = ("softmax", "sparsemax")
_SIGMOID = ("sigmoid", "hard_sigmoid")
_RELU = ("relu", "relu6")
# Layers that pass values on unchanged at inference.
_IDENTITY = ("Dropout", "SpatialDropout1D", "SpatialDropout2D",
             "SpatialDropout3D", "GaussianNoise", "GaussianDropout",
             "AlphaDropout", "ActivityRegularization", "Identity")


def check_setup(model, x, y=None, *, validation_split=None, class_weight=None,
                sample_weight=None, sample_size=256, max_input_scale=100.0,
                imbalance_ratio=5.0):
    """Checks a model and its training data for setup mistakes, before `fit`.

    Takes the arguments of the `fit` call and returns what would keep the
    network from learning, without training: one forward pass in inference
    mode on up to 64 rows, and one through the model's first layers on up to
    `sample_size` rows. The model's weights, optimizer and metrics, and the
    data, are only read. A model that is not built yet (a `Sequential`
    without an `Input`, a subclassed model never called) is built by that
    forward pass, as `fit` would build it.

    What it looks for, each with the numbers and a fix:

    - `"nonfinite_data"`: NaN or inf in `x`, `y` or `sample_weight`: how
      many, in how many rows and which columns.
    - `"loss_activation_mismatch"`: a softmax/sigmoid output under a loss
      with `from_logits=True`; an output that is not a probability (no
      activation, tanh, ...) under a cross-entropy with `from_logits=False`;
      ReLU under a cross-entropy; softmax over a single unit (always 1).
    - `"label_mismatch"`: sparse labels outside `0..units-1`; one-hot
      targets under a sparse loss; class ids under
      `categorical_crossentropy`; binary cross-entropy targets outside
      `[0, 1]`; class-like ids (`0..k-1`, 3 to 20 values) under a
      regression loss on one unit.
    - `"unscaled_inputs"`: values far from unit scale (0-255 pixels, a
      column in the thousands) where they reach the first layer with
      weights, so a `Rescaling`, an adapted `Normalization`, or any layer
      that standardises inside the model counts. Token ids into an
      `Embedding`, strings, and inputs into a normalisation layer are not
      checked. In a subclassed model the intermediate tensors are out of
      reach: `x` itself is checked, and only when the model holds no
      preprocessing, normalisation or embedding layer and no layer of its
      own classes (which might rescale).
    - `"sorted_validation_split"`: with `validation_split`, the last rows
      (which Keras takes for validation before shuffling) hold classes that
      the training rows lack, or only one class; for a sorted regression
      target, values outside the training range.
    - `"class_imbalance"`: the largest class has `imbalance_ratio` times the
      rows of the smallest, with neither `class_weight` nor `sample_weight`
      (nor a focal loss).

    When the model is not compiled, the checks that need the loss
    (`"loss_activation_mismatch"` other than softmax over one unit, and
    `"label_mismatch"`) are skipped and the others run, reading classes
    from the targets' form (one-hot, or ids that fit the output units).

    For a `tf.data.Dataset` the checks read its first batches, up to
    `sample_size` rows (the dataset is not consumed), and
    `"sorted_validation_split"` does not apply, as Keras rejects
    `validation_split` with datasets. Generators, iterators and
    `keras.utils.PyDataset`s are not read (a generator's batches cannot be
    read twice, a `PyDataset`'s may be costly or random), nor are sparse or
    ragged arrays: for them only the built model is checked (the loss
    against the output activation).

    Args:
        model: A Keras model, compiled or not.
        x: The inputs, as `fit` takes them: a NumPy array, a pandas
            DataFrame or Series, a backend tensor, a list or dict of those
            for several inputs, a `tf.data.Dataset` of `(x, y)` or
            `(x, y, sample_weight)` batches, or a generator / `PyDataset`.
        y: The targets: an array, or a list or dict (by output name) for
            several outputs; `None` with a dataset. Defaults to `None`.
        validation_split: Float in `[0, 1)`, or `None`. As in `fit`; `0.0`
            (`fit`'s default) means no split. Defaults to `None`.
        class_weight: Dict mapping class index to weight, or `None`.
            Defaults to `None`.
        sample_weight: Array of per-row weights, or `None`. Defaults to
            `None`.
        sample_size: Integer. Rows read to measure input scales, and rows
            taken from a dataset. Defaults to `256`.
        max_input_scale: Float. 99th percentile of `|value|` of an input
            column (or a whole image input) above which it is unscaled.
            Defaults to `100.0`: it catches 0-255 pixels and columns in the
            thousands, and leaves standardised, 0-1 and small-count
            features alone.
        imbalance_ratio: Float. Ratio of the largest class count to the
            smallest above which the classes are imbalanced. Defaults to
            `5.0` (e.g. 84/16 for two classes); 60/40 or 76/24 are fine.

    Returns:
        A list of findings, each a dict with `kind`, `message`, `fix`,
        `layer` (the output layer for loss and target kinds, the first
        layer with weights for input kinds, else `None`) and `step=None`.
        Empty when nothing is wrong.

    Raises:
        CallbackTypeError: if `model` is not a Keras model, or `x` or
            `class_weight` has a type `fit` does not take.
        CallbackValueError: if an argument is out of range, `x`, `y` and
            `sample_weight` differ in rows, `y` is given with a dataset, or
            the model cannot run on `x`.

    Example:

    ```python
    model = keras.Sequential([
        keras.Input((784,)),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    x = np.random.randint(0, 256, (100, 784)).astype("float32")
    y = np.arange(100) % 10
    for finding in check_setup(model, x, y):
        print(finding["kind"], "-", finding["fix"])
    # loss_activation_mismatch - remove the activation ...
    # unscaled_inputs - these look like 0-255 pixels: add ...
    ```
    """
    if not isinstance(model, keras.Model):
        raise CallbackTypeError(
            f"{_OWNER}: `model` must be a Keras model (`keras.Model`). "
            f"Received: model of type {type(model).__name__}. Pass the model "
            "you will call `fit` on."
        )
    if validation_split is not None:
        validation_split = _check_float(_OWNER, "validation_split",
                                        validation_split, 0.0, 1.0,
                                        inclusive=True)
    if class_weight is not None and not isinstance(class_weight, dict):
        raise CallbackTypeError(
            f"{_OWNER}: `class_weight` must be a dict mapping class index to "
            f"weight, or None. Received: class_weight of type "
            f"{type(class_weight).__name__}. Pass e.g. `{{0: 1.0, 1: 5.0}}`."
        )
    sample_size = _check_int(_OWNER, "sample_size", sample_size)
    max_input_scale = _check_float(_OWNER, "max_input_scale",
                                   max_input_scale, low=1.0)
    imbalance_ratio = _check_float(_OWNER, "imbalance_ratio",
                                   imbalance_ratio, low=1.0)

    data = _Data(x, y, sample_weight, sample_size)
    batch = _fixed_batch_size(model)
    if batch and data.kind != "none" and data.n >= batch:
        data.sample = keras.tree.map_structure(lambda a: a[:batch],
                                               data.sample)
        data.forward = batch
    outs = _outputs(model, data)
    findings = _nonfinite(model, data, outs)
    for out in outs:
        findings += _loss_activation(out)
    for out in outs:
        findings += _labels(out)
    findings += _unscaled(model, data, max_input_scale)
    if validation_split and data.kind == "arrays":
        for out in outs:
            findings += _sorted_split(out, validation_split, data)
    if not class_weight and not data.weighted:
        for out in outs:
            findings += _imbalance(out, imbalance_ratio, data)
    return findings


class _Unreadable(Exception):
    """A sparse or ragged array: read by `fit`, not checked here."""


class _Data:
    """The training data as read here: whole arrays, or a dataset's sample.

    `kind` is `"arrays"`, `"dataset"` or `"none"` (nothing readable). `x`,
    `y` and `sw` hold NumPy structures (the whole data for arrays, the first
    rows for a dataset); `sample` is `x` cut to at most `sample_size` rows.
    """

    def __init__(self, x, y, sample_weight, size):
        self.kind, self.n, self.columns, self.where = "none", 0, {}, ""
        self.forward = None  # rows of the forward pass, if the model fixes it
        self.x = self.y = self.sw = self.sample = None
        self.weighted = sample_weight is not None
        if x is None:
            raise CallbackValueError(
                f"{_OWNER}: `x` must be the training inputs, as passed to "
                "`fit`. Received: x=None."
            )
        if _is_dataset(x):
            if y is not None:
                raise CallbackValueError(
                    f"{_OWNER}: `y` must be None when `x` is a "
                    "tf.data.Dataset: the targets come from its elements. "
                    f"Received: y of type {type(y).__name__}."
                )
            self.x, self.y, self.sw = _take_dataset(x, size)
            if self.x is None:
                return  # empty or unbatched: nothing to read
            self.kind = "dataset"
            self.weighted = self.weighted or self.sw is not None
        elif (isinstance(x, keras.utils.PyDataset) or inspect.isgenerator(x)
              or hasattr(x, "__next__") or (
                  hasattr(x, "__iter__") and not hasattr(x, "shape")
                  and not isinstance(x, (str, bytes, dict, list, tuple)))):
            return  # a generator, iterator, PyDataset or loader: not read
        else:
            try:
                self.x = _as_arrays(x, "x", self.columns)
                self.y = None if y is None else _as_arrays(y, "y", {})
                self.sw = (None if sample_weight is None
                           else _as_arrays(sample_weight, "sample_weight", {}))
            except _Unreadable:
                self.x = self.y = self.sw = None
                return
            self.kind = "arrays"
        self.n = self._rows()
        rows = None
        if self.n > size:
            rng = np.random.default_rng(0)
            rows = np.sort(rng.choice(self.n, size, replace=False))
        self.sample = keras.tree.map_structure(
            lambda a: a if rows is None else a[rows], self.x)
        self.where = ("" if self.kind == "arrays"
                      else f" in the first {self.n} rows of the dataset")

    def _rows(self):
        counts = {}
        for name, struct in (("x", self.x), ("y", self.y),
                             ("sample_weight", self.sw)):
            for label, a in _leaves(struct, name):
                counts.setdefault(len(a), label)
        if len(counts) > 1:
            found = ", ".join(f"{label} has {n}" for n, label in
                              counts.items())
            raise CallbackValueError(
                f"{_OWNER}: `x`, `y` and `sample_weight` must have the same "
                f"number of rows. Received: {found} rows. Pass arrays cut "
                "from the same rows."
            )
        return next(iter(counts)) if counts else 0


class _Out:
    """One model output: its layer, units, prediction, target and loss."""

    def __init__(self, name, layer, units, pred, y, label, loss):
        self.name, self.layer, self.units, self.pred = name, layer, units, pred
        self.y, self.label, self.loss = y, label, loss

    @property
    def layer_name(self):
        return None if self.layer is None else self.layer.name

    @property
    def where(self):
        return (f"output layer '{self.layer.name}'" if self.layer is not None
                else f"output '{self.name}'")


def _outputs(model, data):
    preds, keys = None, []
    if data.kind != "none":
        first = data.forward or min(data.n, _FORWARD_ROWS)
        batch = keras.tree.map_structure(lambda a: a[:first], data.sample)
        result = _call(model, _as_input_structure(model, batch), data.n)
        paths = (keras.tree.flatten_with_path(result)
                 if isinstance(result, (dict, list, tuple))
                 else [((), result)])
        preds = [np.asarray(keras.ops.convert_to_numpy(p)) for _, p in paths]
        keys = [p[-1] if p and isinstance(p[-1], str) else None
                for p, _ in paths]
    graph = _graph(model)
    if graph is None and preds is None:
        return []
    n_out = len(graph[1]) if graph else len(preds)
    layers = ([_producer(t) for t in graph[1]] if graph
              else [None] * n_out)
    names = getattr(model, "output_names", None)
    if not names or len(names) != n_out:
        names = [layer.name if layer is not None else
                 keys[i] if i < len(keys) and keys[i] else f"output_{i}"
                 for i, layer in enumerate(layers)]
    ys = _align(data.y, names)
    labels = (["y"] if n_out == 1 else
              [f"y[{name!r}]" if isinstance(data.y, dict) else f"y[{i}]"
               for i, name in enumerate(names)])
    losses = _loss_specs(model, names)
    outs = []
    for i in range(n_out):
        pred = None if preds is None else preds[i]
        shape = pred.shape if pred is not None else graph[1][i].shape
        units = int(shape[-1]) if len(shape) > 1 and shape[-1] else 1
        outs.append(_Out(names[i], layers[i], units, pred, ys[i], labels[i],
                         losses[i]))
    return outs


def _nonfinite(model, data, outs):
    if data.kind == "none":
        return []
    findings, bad_rows = [], []
    first = _first_layers(model)
    for label, a in _leaves(data.x, "x"):
        layer = first.get(label, first.get("*"))
        found, rows = _nonfinite_one(label, a, data, layer, is_x=True,
                                     columns=data.columns.get(label))
        findings += found
        bad_rows.append(rows)
    if findings and _fills_nonfinite(model, data, np.unique(
            np.concatenate(bad_rows))):
        findings = []  # the model fills them itself, e.g. in a custom layer
    pairs = [(o.label, o.y, o.layer_name) for o in outs if o.y is not None]
    if data.y is None or len(pairs) != len(_leaves(data.y, "y")):
        pairs = [(label, a, None) for label, a in _leaves(data.y, "y")]
    pairs += [(label, a, None) for label, a in _leaves(data.sw,
                                                        "sample_weight")]
    for label, a, layer in pairs:
        findings += _nonfinite_one(label, a, data, layer)[0]
    return findings


def _fills_nonfinite(model, data, rows):
    """Whether the model gives finite outputs on rows with NaN/inf inputs."""
    rows = rows[:data.forward or 32]
    try:
        batch = keras.tree.map_structure(lambda a: a[rows], data.x)
        outputs = model(_as_input_structure(model, batch), training=False)
        return all(np.isfinite(keras.ops.convert_to_numpy(o)).all()
                   for o in keras.tree.flatten(outputs))
    except Exception:  # noqa: BLE001 - cannot tell: report the values
        return False


def _nonfinite_one(label, a, data, layer, is_x=False, columns=None):
    """`([finding] or [], indices of the rows with NaN/inf)`."""
    none = ([], np.zeros(0, "int64"))
    values = _floats(a, integers=False)
    if values is None or values.size == 0:
        return none
    rows = _scan_rows(values)
    scanned = values if rows is None else values[rows]
    bad = ~np.isfinite(scanned)
    if not bad.any():
        return none
    nan = int(np.isnan(scanned).sum())
    inf = int(bad.sum()) - nan
    per_row = bad.reshape(len(bad), -1).any(axis=1)
    where = data.where or (
        "" if rows is None else
        f" (in a random sample of {len(rows)} of {len(values)} rows)")
    message = (f"{label} holds {nan} NaN and {inf} inf values in "
               f"{int(per_row.sum())} of {len(scanned)} rows{where}")
    if scanned.ndim == 2:
        per_col = bad.sum(axis=0)
        cols = np.flatnonzero(per_col)
        shown = ", ".join(f"{_column(columns, c)} ({int(per_col[c])})"
                          for c in cols[:5])
        more = f" and {len(cols) - 5} more" if len(cols) > 5 else ""
        message += f", in columns {shown}{more}"
    if is_x or scanned.ndim > 1:
        fix = (f"drop or fill those rows before fit: keep "
               f"`mask = np.isfinite({label}).reshape(len({label}), -1)"
               f".all(axis=1)` and index every array with it, or fill them "
               f"(`np.nan_to_num`, `df.fillna(df.median())`).")
    else:
        fix = (f"drop those rows before fit: `mask = np.isfinite({label})`, "
               "then index x, y and any sample_weight with `mask`.")
    where_bad = np.flatnonzero(per_row)
    return ([make_finding("nonfinite_data", message + ".", fix, layer=layer)],
            where_bad if rows is None else rows[where_bad])


def _loss_activation(out):
    act = _activation(out.layer)
    if act in _SOFTMAX and out.units == 1:
        return [make_finding(
            "loss_activation_mismatch",
            f"{out.where} applies {act} over 1 unit: it always outputs 1.0, "
            "so its loss and gradients do not depend on the input.",
            "for two classes use `Dense(1, activation=\"sigmoid\")` with "
            "`loss=\"binary_crossentropy\"`, or `Dense(2, activation="
            "\"softmax\")` with `loss=\"sparse_categorical_crossentropy\"`.",
            layer=out.layer_name)]
    spec = out.loss
    if spec is None or spec["family"] not in _CROSSENTROPY:
        return []
    span = _span(out.pred)
    if act is None and span is not None:
        act = _activation_from_values(out.pred, out.units, span)
    if act is None:
        return []
    loss = _loss_text(spec)
    prob = "sigmoid" if spec["family"] == "binary" else "softmax"
    logits_fix = (f"`keras.losses.{spec['class']}(from_logits=True)`")
    seen = "" if span is None else f" (outputs {span} on {len(out.pred)} rows)"
    if act in _SOFTMAX + _SIGMOID and spec["from_logits"]:
        message = (f"{out.where} applies {act}, and {loss} applies it "
                   "again: the loss reads probabilities as logits, so its "
                   "gradients are weak and training stalls.")
        fix = (f"remove the activation from {out.where} (e.g. "
               f"`Dense({out.units})`) and keep from_logits=True, or keep "
               f"{act} and use `keras.losses.{spec['class']}()`.")
    elif act in _RELU:
        message = (f"{out.where} uses {act} under {loss}{seen}: ReLU outputs "
                   "are neither probabilities (they exceed 1 and hit 0) nor "
                   "logits (they cannot go negative).")
        fix = (f"use `activation=\"{prob}\"` with from_logits=False, or no "
               f"activation with {logits_fix}.")
    elif act not in _SOFTMAX + _SIGMOID and not spec["from_logits"]:
        what = {"linear": "has no activation",
                "logits": "gives values outside [0, 1]"}.get(
                    act, f"uses {act}")
        message = (f"{out.where} {what}{seen}, but {loss} expects "
                   "probabilities in [0, 1]: it clips the outputs, and "
                   "the clipped ones get no gradient.")
        fix = (f"use {logits_fix} and keep the outputs as logits, or set "
               f"`activation=\"{prob}\"` on {out.where}.")
    else:
        return []
    return [make_finding("loss_activation_mismatch", message, fix,
                         layer=out.layer_name)]


def _labels(out):
    spec, y, pred = out.loss, _floats(_scanned(out.y)), out.pred
    if spec is None or y is None or y.size == 0:
        return []
    family, k, units = spec["family"], len(y), out.units
    rank = pred.ndim if pred is not None else y.ndim
    per_row = y.ndim == rank - 1 or (y.ndim == rank and y.shape[-1] == 1
                                     and units > 1)
    finite = y[np.isfinite(y).reshape(k, -1).all(axis=1)]
    whole = bool(np.all(finite == np.round(finite)))
    loss, where = _loss_text(spec), out.where
    message = fix = None
    if family == "sparse" and units > 1 and _is_one_hot(finite, units):
        message = (f"{out.label} is one-hot (shape {tuple(y.shape)}), but "
                   f"{loss} expects integer class ids 0..{units - 1}.")
        fix = ("use `loss=\"categorical_crossentropy\"`, or pass "
               f"`np.argmax({out.label}, axis=-1)` as the targets.")
    elif family == "sparse" and not whole:
        message = (f"{out.label} holds non-integer values (e.g. "
                   f"{_fmt(finite[finite != np.round(finite)][0])}), but "
                   f"{loss} expects integer class ids 0..{units - 1}.")
        fix = ("pass class ids (`y.astype(int)` after mapping each class "
               "to 0..K-1), or use a loss for real-valued targets.")
    elif family == "sparse":
        values = finite.ravel()
        if spec["ignore_class"] is not None:
            values = values[values != spec["ignore_class"]]
        bad = (values < 0) | (values > units - 1)
        if bad.any():
            lo, hi = int(values.min()), int(values.max())
            message = (f"{int(bad.sum())} of {len(values)} labels in "
                       f"{out.label} are outside 0..{units - 1} (they range "
                       f"{lo}..{hi}), but {where} has {units} unit"
                       f"{'s' if units > 1 else ''} under {loss}.")
            if units == 1:
                fix = ("for two classes use `Dense(1, activation=\"sigmoid"
                       "\")` with `loss=\"binary_crossentropy\"`; for "
                       f"{hi + 1} classes use `Dense({hi + 1}, activation="
                       "\"softmax\")`.")
            elif lo == 1 and hi == units:
                fix = f"the labels run 1..{units}: pass `{out.label} - 1`."
            else:
                fix = (f"give {where} {hi + 1} units (`Dense({hi + 1})`), "
                       f"or map the labels to 0..{units - 1}.")
    elif family == "categorical" and units > 1 and per_row:
        message = (f"{out.label} holds one class id per row (shape "
                   f"{tuple(y.shape)}), but {loss} expects one-hot targets "
                   f"of shape (n, {units}) for the {units} units of {where}; "
                   "fit fails on the shapes (Keras 2 broadcast them "
                   "silently).")
        fix = ("use `loss=\"sparse_categorical_crossentropy\"`, or one-hot "
               f"encode with `keras.utils.to_categorical({out.label}, "
               f"{units})`.")
    elif (family == "categorical" and y.ndim == rank
          and y.shape[-1] != units):
        message = (f"{out.label} has {y.shape[-1]} columns but {where} has "
                   f"{units} units, under {loss}.")
        fix = f"give {where} {y.shape[-1]} units, or fix the targets."
    elif family == "binary" and finite.size and (
            finite.min() < 0 or finite.max() > 1):
        distinct = np.unique(finite)
        shown = ("{" + ", ".join(_fmt(v) for v in distinct) + "}"
                 if len(distinct) <= 10
                 else f"{_fmt(distinct[0])}..{_fmt(distinct[-1])}")
        message = (f"{out.label} takes the values {shown}, but {loss} needs "
                   "targets in [0, 1].")
        values = set(distinct.tolist())
        if values == {-1.0, 1.0}:
            fix = f"map the labels to 0/1: `({out.label} + 1) / 2`."
        elif values == {1.0, 2.0}:
            fix = f"map the labels to 0/1: `{out.label} - 1`."
        elif whole and distinct[0] >= 0 and len(distinct) > 2:
            n = int(distinct[-1]) + 1
            fix = (f"these are {len(distinct)} classes: use `Dense({n}, "
                   "activation=\"softmax\")` with `loss=\"sparse_categorical"
                   "_crossentropy\"`.")
        else:
            fix = "rescale the targets into [0, 1], or use a regression loss."
    elif family == "regression" and units == 1 and whole and (
            y.ndim == 1 or y.shape[-1] == 1):
        distinct, counts = np.unique(finite, return_counts=True)
        n = len(distinct)
        # Counts (Poisson-like) are rarely this even; class ids often are.
        if (3 <= n <= _MAX_CLASSES and distinct[0] == 0
                and distinct[-1] == n - 1 and len(finite) >= 2 * n
                and counts.max() <= _EVEN_CLASSES * counts.min()):
            message = (f"{out.label} holds {n} distinct whole values "
                       f"0..{n - 1} ({_counts(distinct, counts)}), like class "
                       f"ids, but {loss} on the 1 unit of {where} treats them "
                       "as numbers: it predicts between classes.")
            fix = (f"if they are classes, use `Dense({n}, activation="
                   "\"softmax\")` with `loss=\"sparse_categorical_"
                   "crossentropy\"`; if they are counts or scores, keep "
                   "the regression loss.")
    if message is None:
        return []
    return [make_finding("label_mismatch", message, fix,
                         layer=out.layer_name)]


def _unscaled(model, data, max_scale):
    if data.kind == "none":
        return []
    graph = _graph(model)
    if graph is not None:
        entries = _entries(model, graph, data.sample, data.columns)
    else:
        entries = _raw_entries(model, data)
    findings = []
    for layer, label, values, columns in entries:
        values = _floats(values)
        if values is None or values.size == 0:
            continue
        kept = values[np.isfinite(values)]
        if kept.size == 0:
            continue
        size = np.where(np.isfinite(values), np.abs(values), 0.0)
        mags = (np.percentile(size, 99, axis=0) if values.ndim == 2
                else np.array([np.percentile(size, 99)]))
        big = np.flatnonzero(mags > max_scale)
        if not len(big):
            continue
        lo, hi = float(kept.min()), float(kept.max())
        into = f"layer '{layer}'" if layer else "the model"
        if values.ndim == 2:
            shown = ", ".join(f"{_column(columns, c)} ({_fmt(mags[c])})"
                              for c in big[:5])
            more = f" and {len(big) - 5} more" if len(big) > 5 else ""
            rest = np.delete(mags, big)
            others = (f"; the other columns stay within {_fmt(rest.max())}"
                      if len(rest) else "")
            message = (f"{len(big)} of {values.shape[1]} columns of {label} "
                       f"reach {into} far from unit scale (99th percentile "
                       f"of |value|: {shown}{more}; threshold "
                       f"{_fmt(max_scale)}){others}; values range "
                       f"{_fmt(lo)}..{_fmt(hi)} on {len(values)} rows.")
        else:
            message = (f"{label} reaches {into} far from unit scale: values "
                       f"range {_fmt(lo)}..{_fmt(hi)} (99th percentile of "
                       f"|value| {_fmt(mags[0])}, threshold "
                       f"{_fmt(max_scale)}) on {len(values)} rows.")
        pixels = (lo >= 0 and hi <= 255 and np.all(kept == np.round(kept))
                  and (values.ndim > 2 or values.shape[-1] >= 64))
        stale = _unadapted(model)
        if stale:
            message += (f" Layer '{stale}' is a Normalization that was "
                        "never adapted, so it passes x through unchanged.")
            fix = (f"call `model.get_layer('{stale}').adapt(x_train)` "
                   "before compile and fit.")
        elif pixels:
            fix = ("these look like 0-255 pixels: add `keras.layers."
                   "Rescaling(1/255)` as the first layer, or divide x by "
                   "255.")
        else:
            fix = ("standardise the inputs: add `norm = keras.layers."
                   "Normalization()` as the first layer with "
                   "`norm.adapt(x_train)`, or use `(x - x.mean(axis=0)) / "
                   "x.std(axis=0)`.")
        findings.append(make_finding("unscaled_inputs", message, fix,
                                     layer=layer))
    return findings


def _sorted_split(out, split, data):
    y = _floats(out.y)
    if y is None or y.ndim > 2 or len(y) < 2:
        return []
    n = len(y)
    at = int(np.floor(n * (1.0 - split)))
    if at in (0, n):
        return []
    m = n - at
    head = f"the first {at} (training) rows"
    tail = (f"validation_split={_fmt(split)} makes the last {m} of {n} rows "
            "the validation set, before any shuffling")
    fix = ("shuffle x and y together before fit (`idx = np.random."
           "default_rng(0).permutation(len(x)); x, y = x[idx], y[idx]`, or "
           "`df.sample(frac=1, random_state=0)`), or pass "
           "`validation_data=(x_val, y_val)` instead.")
    ids = _class_ids(out)
    if ids is None:
        if not (y.ndim == 1 or y.shape[1] == 1) or out.units != 1:
            return []
        v = y.ravel()
        if not np.isfinite(v).all():
            return []
        steps = np.diff(v)
        if not (np.all(steps >= 0) or np.all(steps <= 0)) or v[0] == v[-1]:
            return []
        lo, hi = v[:at].min(), v[:at].max()
        outside = (v[at:] < lo) | (v[at:] > hi)
        if m < 10 or outside.mean() <= 0.5:
            return []
        message = (f"{tail}; {out.label} is sorted, so the validation "
                   f"targets span {_fmt(v[at:].min())}..{_fmt(v[at:].max())} "
                   f"while {head} span {_fmt(lo)}..{_fmt(hi)}: "
                   f"{int(outside.sum())} of {m} lie outside the training "
                   "range.")
        return [make_finding("sorted_validation_split", message, fix,
                             layer=out.layer_name)]
    classes, counts = np.unique(ids, return_counts=True)
    if len(classes) < 2:
        return []
    share = dict(zip(classes.tolist(), counts.tolist()))
    head_set = set(np.unique(ids[:at]).tolist())
    t_classes = np.unique(ids[at:])
    only = [c for c in t_classes.tolist() if c not in head_set]
    message = None
    if only and min((m / n) ** share[c] for c in only) < _UNLIKELY:
        listed = ", ".join(f"{c} ({share[c]} rows)" for c in only[:10])
        message = (f"{tail}; {out.label} is ordered: those rows hold "
                   f"class{'es' if len(only) > 1 else ''} {listed}, which "
                   f"{head} never show, so the model is validated on classes "
                   "it never trains on.")
    elif len(t_classes) == 1 and (share[t_classes[0]] / n) ** m < _UNLIKELY:
        c = t_classes[0]
        message = (f"{tail}; {out.label} is ordered: all {m} validation rows "
                   f"are class {c}, while y has {len(classes)} classes "
                   f"({_counts(classes, counts)}).")
    if message is None:
        return []
    return [make_finding("sorted_validation_split", message, fix,
                         layer=out.layer_name)]


def _imbalance(out, ratio, data):
    spec = out.loss
    if spec is not None and "Focal" in spec["class"]:
        return []  # a focal loss already weighs the rare classes
    ids = _class_ids(out)
    if ids is None:
        return []
    classes, counts = np.unique(ids, return_counts=True)
    if len(classes) < 2:
        return []
    big, small = int(np.argmax(counts)), int(np.argmin(counts))
    found = counts[big] / counts[small]
    if found < ratio:
        return []
    n, k = int(counts.sum()), len(classes)
    message = (f"{out.label} is imbalanced{data.where}: class {classes[big]} "
               f"has {counts[big]} rows and class {classes[small]} "
               f"{counts[small]} (ratio {found:.1f}:1, threshold "
               f"{_fmt(ratio)}:1; {_counts(classes, counts)}); a model that "
               f"always predicts class {classes[big]} is "
               f"{100 * counts[big] / n:.0f}% accurate.")
    if k <= 10:
        weights = ", ".join(f"{c}: {n / (k * m):.2f}"
                            for c, m in zip(classes.tolist(), counts))
        weights = f"`class_weight={{{weights}}}`"
    else:
        weights = ("`class_weight=dict(enumerate(len(ids) / (len(counts) * "
                   "counts)))` with `counts = np.bincount(ids)`")
    fix = (f"pass {weights} to fit (n / (k * count) per class), or resample "
           "the classes; watch `keras.metrics.AUC()` or precision and recall "
           "rather than accuracy.")
    return [make_finding("class_imbalance", message, fix,
                         layer=out.layer_name)]


# Reading the data.


def _as_arrays(value, name, columns):
    """A fit argument's structure with NumPy leaves (NumPy arrays as they
    are); notes the column names of DataFrames in `columns`."""

    def convert(path, leaf):
        label = name + "".join(f"[{p!r}]" for p in path)
        if hasattr(leaf, "toarray") or hasattr(leaf, "dense_shape") or (
                hasattr(leaf, "row_splits")):
            raise _Unreadable(label)  # sparse or ragged: fit reads them
        if hasattr(leaf, "iloc") and hasattr(leaf, "columns"):
            columns[label] = [str(c) for c in leaf.columns]
        if hasattr(leaf, "to_numpy"):
            leaf = leaf.to_numpy()
        elif not isinstance(leaf, np.ndarray) and hasattr(leaf, "shape"):
            leaf = np.asarray(leaf)  # a backend tensor
        if not isinstance(leaf, np.ndarray) or leaf.ndim == 0:
            raise CallbackTypeError(
                f"{_OWNER}: `{name}` must be what `fit` takes: a NumPy "
                "array, a pandas DataFrame or Series, a backend tensor, a "
                "list or dict of those, a tf.data.Dataset, or (for x) a "
                f"generator or PyDataset. Received: {label} of type "
                f"{type(leaf).__name__}. Pass what you pass to `fit`."
            )
        return leaf

    if isinstance(value, (list, tuple)) and value and not any(
            hasattr(v, "shape") or isinstance(v, (dict, list, tuple))
            for v in value):
        value = np.asarray(value)  # a plain list of numbers is one array
    if isinstance(value, (dict, list, tuple)):
        paths = keras.tree.flatten_with_path(value)
        converted = [convert(p, leaf) for p, leaf in paths]
        return keras.tree.pack_sequence_as(value, converted)
    return convert((), value)


def _take_dataset(ds, size):
    """The first batches of a dataset, up to `size` rows, as NumPy."""
    batches, rows = [], 0
    for element in ds:  # a fresh iterator: the dataset itself is untouched
        element = keras.utils.unpack_x_y_sample_weight(element)
        element = keras.tree.map_structure(
            lambda t: None if t is None else np.asarray(t), element)
        first = keras.tree.flatten(element[0])[0]
        if first is None or first.ndim == 0:
            return None, None, None
        batches.append(element)
        rows += len(first)
        if rows >= size:
            break
    if not batches:
        return None, None, None
    return tuple(
        None if part[0] is None else keras.tree.map_structure(
            lambda *a: np.concatenate(a)[:size], *part)
        for part in zip(*batches))


def _leaves(struct, name):
    if struct is None:
        return []
    if not isinstance(struct, (dict, list, tuple)):
        return [(name, struct)]
    return [(name + "".join(f"[{p!r}]" for p in path), leaf)
            for path, leaf in keras.tree.flatten_with_path(struct)]


def _align(y, names):
    if y is None:
        return [None] * len(names)
    if isinstance(y, dict):
        return [y.get(name) for name in names]
    if isinstance(y, (list, tuple)):
        return list(y) if len(y) == len(names) else [None] * len(names)
    return [y] if len(names) == 1 else [None] * len(names)


def _floats(a, integers=True):
    """`a` as a float array (a copy unless it is one already), or None where
    it holds no numbers, or no NaN can be in it (`integers=False`)."""
    if a is None:
        return None
    a = np.asarray(a)
    if a.dtype.kind == "f":
        return a
    if a.dtype.kind in "iub":
        return a.astype("float64") if integers else None
    if a.dtype.kind == "O":
        try:
            return a.astype("float64")
        except (TypeError, ValueError):
            return None
    return None


def _scanned(a):
    rows = None if a is None else _scan_rows(np.asarray(a))
    return a if rows is None else np.asarray(a)[rows]


def _scan_rows(a):
    if a.size <= _SCAN_ELEMENTS:
        return None
    keep = max(1, _SCAN_ELEMENTS * len(a) // a.size)
    return np.sort(np.random.default_rng(0).choice(len(a), keep,
                                                   replace=False))


def _class_ids(out):
    """One class id per row, or None where the targets are not classes."""
    y = _floats(out.y)
    family = None if out.loss is None else out.loss["family"]
    if y is None or family not in (None,) + _CROSSENTROPY or y.ndim > 2:
        return None
    if y.size == 0 or not np.isfinite(y).all():
        return None  # NaN labels are reported as such; rows stay aligned
    if y.ndim == 2 and y.shape[1] > 1:
        if family in (None, "categorical") and _is_one_hot(y, y.shape[1]):
            return np.argmax(y, axis=1)
        return None
    y = y.ravel()
    if not np.all(y == np.round(y)):
        return None
    binary = y.min() >= 0 and y.max() <= 1
    if family == "binary" or (family is None and out.units == 1):
        return y.astype("int64") if binary else None
    if family == "sparse" or (family is None and y.min() >= 0
                              and y.max() <= out.units - 1):
        return y.astype("int64")
    return None


def _is_one_hot(y, units):
    return (y.ndim >= 2 and y.shape[-1] == units
            and bool(np.all((y == 0) | (y == 1)))
            and bool(np.all(y.sum(axis=-1) == 1)))


# Reading the model.


def _call(model, batch, n):
    try:
        return model(batch, training=False)
    except Exception as error:  # noqa: BLE001 - fit would fail the same way
        raise CallbackValueError(
            f"{_OWNER}: the model could not run on a sample of `x` "
            f"({n} rows). Received: {type(error).__name__}: {error}. Check "
            "that x matches the model's inputs (shapes, dtypes, dict keys); "
            "fit would fail the same way."
        ) from error


def _as_input_structure(model, batch):
    """A bare array for a model built on `[Input]` goes in a list, as `fit`
    arranges it (calling with the bare array warns)."""
    graph = _graph(model)
    if (graph is None or isinstance(batch, (dict, list, tuple))
            or not isinstance(graph[0], (dict, list, tuple))
            or len(keras.tree.flatten(graph[0])) != 1):
        return batch
    return keras.tree.pack_sequence_as(graph[0], [batch])


def _graph(model):
    """`(input structure, outputs)` of a Sequential/functional model."""
    try:
        outputs = list(model.outputs)
        inputs = (model.inputs[0] if isinstance(model, keras.Sequential)
                  else model.input)
    except Exception:  # noqa: BLE001 - subclassed or never built
        return None
    if not outputs or not all(hasattr(t, "_keras_history") for t in
                              outputs + keras.tree.flatten(inputs)):
        return None
    return inputs, outputs


def _fixed_batch_size(model):
    """The batch size an `Input(batch_size=...)` fixes, or None."""
    graph = _graph(model)
    if graph is None:
        return None
    sizes = {t.shape[0] for t in keras.tree.flatten(graph[0])}
    return next(iter(sizes)) if len(sizes) == 1 else None


def _producer(tensor):
    """The layer that gives a symbolic output its values, through identities
    and into nested models."""
    for _ in range(100):
        op, node_index, index = tensor._keras_history
        if isinstance(op, keras.Model) and _graph(op) is not None:
            tensor = _graph(op)[1][index]
            continue
        if type(op).__name__ in _IDENTITY:
            tensor = op._inbound_nodes[node_index].input_tensors[0]
            continue
        return op
    return None


def _activation(layer):
    """The output activation's name, or None where it cannot be read."""
    if layer is None:
        return None
    if isinstance(layer, keras.layers.Softmax):
        return "softmax"
    if isinstance(layer, keras.layers.ReLU):
        relu = (float(getattr(layer, "negative_slope", 0) or 0) == 0
                and float(getattr(layer, "threshold", 0) or 0) == 0)
        return "relu" if relu else "leaky_relu"
    if isinstance(layer, (keras.layers.LeakyReLU, keras.layers.PReLU,
                          keras.layers.ELU)):
        return type(layer).__name__.lower()
    if isinstance(layer, keras.layers.TimeDistributed):
        return _activation(layer.layer)
    if type(layer).__module__.startswith("keras.src.ops"):
        name = type(layer).__name__.lower()
        known = {"softmax": "softmax", "sigmoid": "sigmoid", "relu": "relu",
                 "relu6": "relu6", "logsoftmax": "log_softmax",
                 "tanh": "tanh"}
        return known.get(name)
    fn = getattr(layer, "activation", None)
    name = getattr(fn, "__name__", None)
    try:
        builtin = name is not None and keras.activations.get(name) is fn
    except (ValueError, TypeError):
        builtin = False
    return name if builtin else None


def _activation_from_values(pred, units, span):
    """Reads only what values prove: outside [0, 1] is not a probability;
    rows of several units summing to 1 are a softmax."""
    if span is None:
        return None
    values = (pred[np.isfinite(pred).all(axis=-1)] if pred.ndim > 1
              else pred[np.isfinite(pred)])
    if values.size == 0:
        return None
    if values.min() < -1e-6 or values.max() > 1 + 1e-6:
        return "logits"
    if units > 1 and len(values) > 1 and np.allclose(
            values.sum(axis=-1), 1.0, atol=5e-3):
        return "softmax"
    return None


def _span(pred):
    if pred is None or not np.isfinite(pred).any():
        return None
    kept = pred[np.isfinite(pred)]
    return f"{_fmt(kept.min())}..{_fmt(kept.max())}"


def _loss_specs(model, names):
    loss = getattr(model, "loss", None) if getattr(
        model, "compiled", False) else None
    if isinstance(loss, dict):
        return [_loss_spec(loss.get(name)) for name in names]
    if isinstance(loss, (list, tuple)):
        if len(loss) != len(names):
            return [None] * len(names)
        return [_loss_spec(item) for item in loss]
    return [_loss_spec(loss)] * len(names)


def _loss_spec(loss):
    """`{family, class, name, from_logits, ignore_class}` or None."""
    kwargs = {}
    if hasattr(loss, "func") and hasattr(loss, "keywords"):  # a partial
        loss, kwargs = loss.func, dict(loss.keywords)
    if isinstance(loss, str):
        try:
            loss = keras.losses.get(loss)
        except (ValueError, TypeError):
            return None
    fn = loss
    if isinstance(loss, keras.losses.Loss):
        fn = getattr(loss, "fn", None)
        try:
            kwargs = {**loss.get_config(), **kwargs}
        except (NotImplementedError, TypeError):
            return None
    name = getattr(fn, "__name__", None)
    if name not in _LOSSES or getattr(keras.losses, name, None) is not fn:
        return None  # not a Keras loss (a user one may share a name)
    family, cls = _LOSSES[name]
    return {"family": family, "class": cls, "name": name,
            "from_logits": bool(kwargs.get("from_logits", False)),
            "ignore_class": kwargs.get("ignore_class")}


def _loss_text(spec):
    if spec["family"] in _CROSSENTROPY:
        return f"{spec['name']} (from_logits={spec['from_logits']})"
    return spec["name"]


def _first_layers(model):
    """Input label -> name of the first layer that reads it."""
    graph = _graph(model)
    if graph is None:
        return {}
    found = {}
    inputs = graph[0]
    paths = (keras.tree.flatten_with_path(inputs)
             if isinstance(inputs, (dict, list, tuple)) else [((), inputs)])
    for path, tensor in paths:
        label = "x" + "".join(f"[{p!r}]" for p in path)
        nodes = tensor._keras_history[0]._outbound_nodes
        if nodes:
            found[label] = nodes[0].operation.name
    if len(found) == 1:
        found["*"] = next(iter(found.values()))
    return found


def _entries(model, graph, sample, columns, prefix="x"):
    """`(layer, label, values, columns)` for each tensor from the inputs that
    reaches a layer with weights which needs scaled values, measured on
    `sample` by a sub-model up to those layers."""
    inputs, outputs = graph
    flat_inputs = keras.tree.flatten(inputs)
    if len(flat_inputs) == 1 and not isinstance(sample, (dict, list, tuple)):
        inputs = flat_inputs[0]  # `[Input]` fed a bare array, as fit allows
    input_ids = {id(t): i for i, t in enumerate(flat_inputs)}
    raw, frontier, stack = {}, {}, list(outputs)
    while stack:
        t = stack[-1]
        if id(t) in raw:
            stack.pop()
            continue
        if id(t) in input_ids:
            raw[id(t)] = True
            stack.pop()
            continue
        op, node_index, _ = t._keras_history
        node = op._inbound_nodes[node_index]
        pending = [i for i in node.input_tensors if id(i) not in raw]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        ins = node.input_tensors
        if _passes_through(op):
            raw[id(t)] = bool(ins) and all(raw[id(i)] for i in ins)
        else:
            raw[id(t)] = False
            if any(raw[id(i)] for i in ins):
                frontier[id(node)] = (op, ins)
    if not frontier:
        return []
    tensors = list({id(t): t for _, ins in frontier.values() for t in ins
                    if raw[id(t)]}.values())
    try:
        probe = keras.Model(inputs, tensors, name="check_setup_probe")
        values = [np.asarray(keras.ops.convert_to_numpy(v)) for v in
                  keras.tree.flatten(probe(sample, training=False))]
    except Exception:  # noqa: BLE001 - an exotic graph: do not guess
        return []
    measured = dict(zip((id(t) for t in tensors), values))
    paths = (keras.tree.flatten_with_path(inputs)
             if isinstance(inputs, (dict, list, tuple)) else [((), inputs)])
    input_labels = [prefix + "".join(f"[{p!r}]" for p in path)
                    for path, _ in paths]
    entries = []
    for op, ins in frontier.values():
        kept = [t for t in ins if raw[id(t)]]
        if isinstance(op, keras.Model):
            inner = _graph(op)
            if inner is not None and len(kept) == 1 and len(
                    keras.tree.flatten(inner[0])) == 1:
                t = kept[0]
                label = (input_labels[input_ids[id(t)]] if id(t) in input_ids
                         else f"the input of model '{op.name}'")
                entries += _entries(op, inner, measured[id(t)],
                                    {label: columns.get(label)}, label)
            continue
        if not _needs_scaling(op):
            continue
        for t in kept:
            if id(t) in input_ids:
                label = input_labels[input_ids[id(t)]]
                cols = columns.get(label)
            else:
                label, cols = " and ".join(input_labels), None
            entries.append((op.name, label, measured[id(t)], cols))
    return entries


def _raw_entries(model, data):
    """A subclassed model's inputs, where nothing inside may rescale them."""
    layers = list(model._flatten_layers(include_self=False, recursive=True))
    if not layers:
        return []  # all in `call`: it may rescale
    for layer in layers:
        if (_is_preprocessing(layer) or _is_normalising(layer)
                or isinstance(layer, keras.layers.Embedding)
                or not type(layer).__module__.startswith("keras.")):
            return []
    return [(None, label, a, data.columns.get(label))
            for label, a in _leaves(data.sample, "x")]


def _passes_through(op):
    """Whether values flow through `op` to the layer whose inputs count."""
    if not isinstance(op, keras.layers.Layer):
        return True  # a keras.ops operation in the graph
    return _is_preprocessing(op) or not op.weights


def _needs_scaling(layer):
    while isinstance(layer, (keras.layers.TimeDistributed,
                             keras.layers.Bidirectional)):
        layer = getattr(layer, "layer", None) or layer.forward_layer
    names = ("Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D",
             "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
             "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D",
             "DepthwiseConv2D", "RNN", "SimpleRNN", "LSTM", "GRU",
             "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "MultiHeadAttention")
    kinds = tuple(getattr(keras.layers, n) for n in names
                  if hasattr(keras.layers, n))
    return isinstance(layer, kinds)


def _is_preprocessing(layer):
    return ".preprocessing." in type(layer).__module__


def _is_normalising(layer):
    names = ("BatchNormalization", "LayerNormalization", "GroupNormalization",
             "UnitNormalization", "RMSNormalization")
    return isinstance(layer, tuple(getattr(keras.layers, n) for n in names
                                   if hasattr(keras.layers, n)))


def _unadapted(model):
    """Name of a `Normalization` layer left at mean 0, variance 1, or None."""
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if (isinstance(layer, keras.layers.Normalization)
                and layer.input_mean is None
                and getattr(layer, "adapt_mean", None) is not None):
            mean = keras.ops.convert_to_numpy(layer.adapt_mean)
            var = keras.ops.convert_to_numpy(layer.adapt_variance)
            if not mean.any() and np.all(var == 1):
                return layer.name
    return None


def _column(columns, index):
    return (repr(columns[index]) if columns and index < len(columns)
            else f"column {index}")


def _counts(classes, counts, most=10):
    pairs = ", ".join(f"{_fmt(c)}: {int(n)}" for c, n in
                      list(zip(classes, counts))[:most])
    more = f", ... {len(classes) - most} more" if len(classes) > most else ""
    return f"counts {{{pairs}{more}}}"


def _fmt(value):
    value = float(value)
    if np.isfinite(value) and value == round(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.3g}"
