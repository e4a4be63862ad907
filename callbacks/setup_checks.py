"""`check_setup`: find the setup mistakes that no amount of training fixes.

Reads the model, its compiled loss and a sample of the training data, and
returns findings (see `callbacks._findings`) before the first step: a loss
that does not fit the output activation, targets that do not fit the output
or the loss, inputs far from unit scale, NaN/inf in the data, a
`validation_split` tail that holds other classes than the rest, and a class
imbalance with no weights. Nothing is trained and nothing passed in changes.
"""

import keras
import numpy as np

from ._base import CallbackTypeError
from ._base import CallbackValueError
from ._report_view import Findings
from .validation import check_float
from .validation import check_int
from ._setup_data import Data
from ._setup_data import align
from ._setup_graph import as_input_structure
from ._setup_graph import fixed_batch_size
from ._setup_graph import loss_names
from ._setup_graph import loss_specs
from ._setup_graph import model_graph
from ._setup_graph import producer
from ._setup_graph import training_noise
from ._setup_labels import label_mismatch
from ._setup_labels import missing_top_classes
from ._setup_loss import loss_activation_mismatch
from ._setup_rules import class_imbalance
from ._setup_rules import nonfinite_data
from ._setup_rules import sorted_validation_split
from ._setup_rules import unmatched_class_weight
from ._setup_rules import unscaled_inputs
from ._setup_targets import constant_inputs
from ._setup_targets import loss_domain
from ._setup_targets import nothing_to_train
from ._setup_targets import output_range
from ._setup_targets import target_leak
from ._setup_targets import unscaled_targets

_OWNER = "check_setup"
# Arrays up to this many elements are scanned in full (NaN/inf, labels);
# larger ones through a seeded random sample of rows of about this size.
_SCAN_ELEMENTS = 20_000_000
_FORWARD_ROWS = 64  # rows of the one full forward pass


def check_setup(model, x, y=None, *, validation_split=None, class_weight=None,
                sample_weight=None, sample_size=256, max_input_scale=100.0,
                imbalance_ratio=9.0):
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
      with `from_logits=True` (except a Keras softmax or sigmoid under a
      built-in cross-entropy on TensorFlow, whose loss reads the logits
      underneath); an output that is not a probability (no
      activation, tanh, ...) under a cross-entropy with `from_logits=False`;
      ReLU under a cross-entropy; softmax over a single unit (always 1);
      softmax or sigmoid units over one-hot classes under binary
      cross-entropy; a `Dropout` or noise layer after the output layer.
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
    - `"nothing_to_train"`: a built model with no trainable weight.
    - `"label_mismatch"`, read from the output's activation: targets the
      activation cannot produce (a tenth or more outside its range: a
      sigmoid under targets in [0, 100], a ReLU under signed targets,
      multi-hot rows under a softmax).
    - `"unscaled_targets"`: a regression target with mean or spread of
      1,000 or more while the untrained model's outputs stay below a tenth
      of that.
    - `"target_leak"`: an input column that is the label re-coded (as many
      values as classes, each value one class).

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
            `9.0` (a minority under 10% for two classes, where always
            answering the majority is 90% accurate); 76/24 or 84/16 are
            fine (`GradientMonitor` still names an imbalance whose
            predictions collapse onto the majority class).

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
        keras.layers.Dense(10),
    ])
    model.compile("adam", "sparse_categorical_crossentropy")
    x = np.random.randint(0, 256, (100, 784)).astype("float32")
    y = np.arange(100) % 10
    for finding in check_setup(model, x, y):
        print(finding["kind"], "-", finding["fix"])
    # loss_activation_mismatch - use `keras.losses.SparseCategorical...
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
        validation_split = check_float(_OWNER, "validation_split",
                                        validation_split, 0.0, 1.0,
                                        closed="left")
    if class_weight is not None and not isinstance(class_weight, dict):
        raise CallbackTypeError(
            f"{_OWNER}: `class_weight` must be a dict mapping class index to "
            f"weight, or None. Received: class_weight of type "
            f"{type(class_weight).__name__}. Pass e.g. `{{0: 1.0, 1: 5.0}}`."
        )
    sample_size = check_int(_OWNER, "sample_size", sample_size)
    max_input_scale = check_float(_OWNER, "max_input_scale",
                                   max_input_scale, low=1.0)
    imbalance_ratio = check_float(_OWNER, "imbalance_ratio",
                                   imbalance_ratio, low=1.0)
    return Findings(run_checks(model, x, y, validation_split=validation_split,
                               class_weight=class_weight,
                               sample_weight=sample_weight,
                               sample_size=sample_size,
                               max_input_scale=max_input_scale,
                               imbalance_ratio=imbalance_ratio))


def run_checks(model, x, y=None, *, validation_split=None, class_weight=None,
               sample_weight=None, sample_size=256, max_input_scale=100.0,
               imbalance_ratio=9.0, predictions=None, coverage=True):
    """`check_setup` on checked arguments; `predictions`, if given, are the
    model's outputs (inference mode) on some rows of `x`, already computed by
    the caller (`GradientMonitor`'s compiled probe), which spares the eager
    forward pass. `coverage=False` leaves out the classes that the targets
    never hold (`fit` has cut a validation split off `y`, whose tail may
    hold them: `split_checks` judges that)."""
    data = Data(x, y, sample_weight, sample_size, _SCAN_ELEMENTS)
    batch = fixed_batch_size(model)
    if batch and data.kind != "none" and data.n >= batch:
        data.sample = keras.tree.map_structure(lambda a: a[:batch],
                                               data.sample)
        data.forward = batch
    outs = _outputs(model, data, predictions)
    findings = nonfinite_data(model, data, outs) + nothing_to_train(model)
    for out in outs:
        findings += loss_activation_mismatch(out, data)
    for out in outs:
        findings += (loss_domain(out, data)
                     or label_mismatch(out, data, coverage)
                     or output_range(out, data)
                     or unscaled_targets(out, data))
    findings += unscaled_inputs(model, data, max_input_scale)
    findings += constant_inputs(data, outs) + target_leak(data, outs)
    if validation_split and data.kind == "arrays":
        for out in outs:
            findings += sorted_validation_split(out, validation_split, data)
    if not class_weight and not data.weighted:
        for out in outs:
            findings += class_imbalance(out, imbalance_ratio, data)
    elif class_weight and len(outs) == 1:
        findings += unmatched_class_weight(outs[0], class_weight, data)
    return findings


def split_checks(model, x, y, validation_split, predictions):
    """The `sorted_validation_split` check, on rows `x`, `y` that end with
    the tail `validation_split` takes; where the split is fine, the classes
    of the output that these targets never hold (`label_mismatch`).
    `predictions` as in `run_checks`."""
    data = Data(x, y, None, 256, _SCAN_ELEMENTS)
    if data.kind != "arrays":
        return []
    outs = _outputs(model, data, predictions)
    found = [f for out in outs
             for f in sorted_validation_split(out, validation_split, data)]
    return found or [f for out in outs
                     for f in missing_top_classes(out, data)]


class _Out:
    """One model output: its layer, units, prediction, target and loss."""

    def __init__(self, name, layer, units, pred, y, label, loss, noise=None,
                 loss_name=None):
        self.name, self.layer, self.units, self.pred = name, layer, units, pred
        self.y, self.label, self.loss = y, label, loss
        self.noise = noise  # a layer after `layer` that acts in training only
        self.loss_name = loss_name  # any built-in loss, e.g. "poisson"

    @property
    def layer_name(self):
        return None if self.layer is None else self.layer.name

    @property
    def where(self):
        return (f"output layer '{self.layer.name}'" if self.layer is not None
                else f"output '{self.name}'")


def _outputs(model, data, predictions=None):
    preds, keys = None, []
    if data.kind != "none":
        if predictions is not None:
            result = predictions
        else:
            first = data.forward or min(data.n, _FORWARD_ROWS)
            batch = keras.tree.map_structure(lambda a: a[:first],
                                             data.sample)
            result = _call(model, as_input_structure(model, batch), data.n)
        paths = (keras.tree.flatten_with_path(result)
                 if isinstance(result, (dict, list, tuple))
                 else [((), result)])
        preds = [np.asarray(keras.ops.convert_to_numpy(p)) for _, p in paths]
        keys = [p[-1] if p and isinstance(p[-1], str) else None
                for p, _ in paths]
    graph = model_graph(model)
    if graph is None and preds is None:
        return []
    n_out = len(graph[1]) if graph else len(preds)
    layers = ([producer(t) for t in graph[1]] if graph
              else [None] * n_out)
    noise = ([training_noise(t) for t in graph[1]] if graph
             else [None] * n_out)
    names = getattr(model, "output_names", None)
    if not names or len(names) != n_out:
        names = [layer.name if layer is not None else
                 keys[i] if i < len(keys) and keys[i] else f"output_{i}"
                 for i, layer in enumerate(layers)]
    ys = align(data.y, names)
    labels = (["y"] if n_out == 1 else
              [f"y[{name!r}]" if isinstance(data.y, dict) else f"y[{i}]"
               for i, name in enumerate(names)])
    losses, loss_fns = loss_specs(model, names), loss_names(model, names)
    outs = []
    for i in range(n_out):
        pred = None if preds is None else preds[i]
        shape = pred.shape if pred is not None else graph[1][i].shape
        units = int(shape[-1]) if len(shape) > 1 and shape[-1] else 1
        outs.append(_Out(names[i], layers[i], units, pred, ys[i], labels[i],
                         losses[i], noise[i], loss_fns[i]))
    return outs


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
