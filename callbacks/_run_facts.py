"""What `GradientMonitor` reads from the model and the data besides probes.

The figures that the training rules (`_symptoms.py`, `_blowup.py`,
`_loss_trend.py`) weigh the probes against: the loss of a model that ignores its inputs (for `no_signal`), a
regression target's scale, the BatchNormalization layers and their momentum, the scale of the initial
weights against He's, the weight penalties in the logged loss, and whether
the final predictions all fell on the majority class.
"""

import math

import keras
import numpy as np

from ._grads import leaf_layers
from ._keras_compat import learning_rate_variable
from ._setup_graph import CROSSENTROPY
from ._setup_graph import activation
from ._setup_graph import loss_names
from ._setup_graph import loss_specs
from ._setup_graph import model_graph
from ._setup_graph import producer

_MAX_ROWS = 200_000  # rows of y read for the class shares / variance
_SEARCH_ROWS = 10_000  # rows that the best constant is searched on
_MSLE = "mean_squared_logarithmic_error"
_REGRESSION = ("regression", "log_regression")
_MAJORITY = 0.6  # a majority share from which a collapse is imbalance


def baseline(model, y, class_weight=None):
    """The loss of the best constant prediction, and what it is in words.

    Returns:
        `(value, words)`, or `(None, "")` where the loss or the targets are
        not of a kind this knows (several outputs, custom losses, sample
        weights are left to the caller).
    """
    return target_facts(model, y, class_weight)[:2]


def target_facts(model, y, class_weight=None):
    """`baseline`'s `(value, words)` and the target's scale (the larger of
    a regression target's mean, in absolute value, and spread, over its
    columns; `None` for another loss), reading `y` once."""
    spec, y = _one_target(model, y)
    if spec is None:
        return None, "", None
    value, words = _best_constant_loss(spec, y, class_weight)
    scale = None
    if spec["family"] == "regression":
        values = y.reshape(len(y), -1)
        scale = float(np.max(np.maximum(np.abs(values.mean(axis=0)),
                                        values.std(axis=0))))
    return value, words, scale


def is_regression(model):
    """Whether the model's one output trains under a regression loss."""
    names = getattr(model, "output_names", None) or ["output_0"]
    if not getattr(model, "compiled", False) or len(names) != 1:
        return False
    spec = _spec(model, list(names))
    return spec is not None and spec["family"] in _REGRESSION


def unweighted_baseline(model, y, class_weight):
    """The validation loss of the model that ignores its inputs and that
    training under `class_weight` leads to: it predicts the weighted class
    shares, and Keras scores validation rows without the weights (the
    cross-entropy of the shares against those predictions). `None` where
    the loss or the targets are not of a kind this knows."""
    spec, y = _one_target(model, y)
    if spec is None or spec["family"] not in CROSSENTROPY:
        return None if spec is None else _best_constant_loss(spec, y, None)[0]
    if "focal" in spec["name"]:
        return None
    if spec["family"] == "binary":
        if y.min() < 0 or y.max() > 1:
            return None
        classes, p = np.array([0, 1]), np.array([1 - y.mean(), y.mean()])
    else:
        shares = _class_shares(y, spec["family"], spec)
        if shares is None:
            return None
        classes, p = shares
    _, q = _weighted_prior(classes, p, class_weight)
    return float(-np.sum(p * _log(q)))


def _weighted_prior(classes, p, class_weight):
    """The classes' weights and the shares that training under them makes
    the best constant prediction."""
    w = np.array([float((class_weight or {}).get(int(c), 1.0))
                  for c in classes])
    return w, p * w / max(float(np.sum(p * w)), 1e-12)


def _best_constant_loss(spec, y, class_weight):
    family = spec["family"]
    if family == "log_regression":  # Keras clips both sides at epsilon
        logs = np.log1p(np.maximum(y.reshape(len(y), -1), 1e-7))
        return float(logs.var(axis=0).mean()), "the variance of log(1 + y)"
    if family == "regression":
        values = y.reshape(len(y), -1)
        if spec["name"] == "mean_squared_error":
            return float(values.var(axis=0).mean()), "the targets' variance"
        if spec["name"] == "mean_absolute_error":
            return (float(np.abs(values - np.median(values, axis=0)).mean()),
                    "the targets' mean distance to their median")
        if spec["name"] == "huber":
            delta = spec["delta"]
            return (_least_constant_loss(values, lambda d: np.where(
                np.abs(d) <= delta, 0.5 * d ** 2,
                delta * np.abs(d) - 0.5 * delta ** 2)),
                "the Huber loss of the best constant")
        if spec["name"] == "log_cosh":
            return (_least_constant_loss(
                values, lambda d: d + np.logaddexp(0.0, -2.0 * d)
                - math.log(2.0)), "the log-cosh loss of the best constant")
        return None, ""
    if "focal" in spec["name"]:
        return None, ""
    if family == "binary":
        if y.min() < 0 or y.max() > 1:
            return None, ""
        p = y.reshape(len(y), -1).mean(axis=0)
        w = class_weight or {}
        w0, w1 = float(w.get(0, 1.0)), float(w.get(1, 1.0))
        q = p * w1 / np.maximum(p * w1 + (1 - p) * w0, 1e-12)
        value = -(p * w1 * _log(q) + (1 - p) * w0 * _log(1 - q))
        return float(value.mean()), "the entropy of the class shares"
    shares = _class_shares(y, family, spec)
    if shares is None:
        return None, ""
    classes, p = shares
    w, q = _weighted_prior(classes, p, class_weight)
    return (float(-np.sum(p * w * _log(q))),
            "the entropy of the class shares")


def _least_constant_loss(values, pointwise):
    """The least mean of `pointwise(values - c)` over one constant `c`
    per column, averaged over the columns. `pointwise` is convex, so a
    golden-section search between each column's extremes finds `c`, on
    at most `_SEARCH_ROWS` rows taken with one stride (the loss is flat
    near its least value)."""
    rows = values[::max(1, len(values) // _SEARCH_ROWS)]
    lo, hi = rows.min(axis=0), rows.max(axis=0)
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    for _ in range(40):  # the bracket shrinks to 0.618**40 = 4e-9 of it
        a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        left = (pointwise(rows - a).mean(axis=0)
                <= pointwise(rows - b).mean(axis=0))
        lo, hi = np.where(left, lo, a), np.where(left, b, hi)
    return float(pointwise(values - (lo + hi) / 2.0).mean(axis=0).mean())


def output_activation(model):
    """The activation of a one-output model's output layer (`"linear"` for
    none), or `None` where the graph does not show it."""
    graph = model_graph(model)
    if graph is None or len(graph[1]) != 1:
        return None
    return activation(producer(graph[1][0]))


def has_lr_schedule(model):
    """Whether the optimizer's learning rate follows a
    `LearningRateSchedule` (rather than a value that callbacks set)."""
    optimizer = getattr(model, "optimizer", None)
    return isinstance(learning_rate_variable(optimizer),
                      keras.optimizers.schedules.LearningRateSchedule)


def batchnorm_layers(model):
    """`(name, momentum)` of each BatchNormalization layer that trains
    (a frozen one runs in inference mode in training too)."""
    return tuple((layer.name, float(layer.momentum))
                 for layer in leaf_layers(model)
                 if isinstance(layer, keras.layers.BatchNormalization)
                 and layer.trainable)


def init_scales(model):
    """Layer name -> std of its kernel over He's `sqrt(2 / fan_in)`, for
    the Dense and convolution layers, and of a recurrent kernel over an
    orthogonal matrix's `1 / sqrt(units)`."""
    return initial_weights(model)[0]


def initial_weights(model):
    """`(init_scales, constant_start)`, read in one pass over the kernels:
    the scales of `init_scales`, and the `(layer name, value)` of each
    layer whose kernel (or embedding table) holds one value in every
    entry, as a constant initializer such as `"zeros"` leaves it (its
    units start identical)."""
    scales, constant = {}, []
    for layer in leaf_layers(model):
        if isinstance(layer, keras.layers.RNN):
            kernel = getattr(layer.cell, "recurrent_kernel", None)
            if kernel is not None:
                w = np.asarray(keras.ops.convert_to_numpy(kernel))
                scales[layer.name] = float(w.std() * math.sqrt(w.shape[0]))
            continue
        kernel = getattr(layer, "kernel", None)
        if kernel is None:
            try:
                kernel = getattr(layer, "embeddings", None)
            except Exception:  # noqa: BLE001 - a property that cannot run
                kernel = None
        if kernel is None or len(kernel.shape) < 2:
            continue
        w = np.asarray(keras.ops.convert_to_numpy(kernel))
        if w.size > 1 and np.all(w == w.flat[0]):
            constant.append((layer.name, float(w.flat[0])))
        if isinstance(layer, (keras.layers.Dense, keras.layers.Conv1D,
                              keras.layers.Conv2D, keras.layers.Conv3D)):
            fan_in = int(np.prod(w.shape[:-1]))
            scales[layer.name] = float(w.std() / math.sqrt(2.0 / fan_in))
    return scales, tuple(constant)


def regularization(model):
    """The sum of the model's weight penalties now, or 0.0."""
    try:
        return float(sum(float(keras.ops.convert_to_numpy(loss))
                         for loss in model.losses))
    except Exception:  # noqa: BLE001 - a penalty that cannot run eagerly
        return 0.0


def collapse(model, predictions, y_probe, y_all):
    """Whether the probe's predictions all fell on the training majority
    class while other classes are in the probe: a dict for the finding,
    or `None`."""
    spec, y_all = _one_target(model, y_all)
    preds = keras.tree.flatten(predictions) if predictions is not None else []
    probe = keras.tree.flatten(y_probe) if y_probe is not None else []
    if spec is None or len(preds) != 1 or len(probe) != 1:
        return None
    family = spec["family"]
    pred = np.asarray(preds[0], dtype="float64")
    truth = np.asarray(probe[0], dtype="float64")
    if family == "binary":
        if pred.reshape(len(pred), -1).shape[1] != 1:
            return None
        cut = 0.0 if spec["from_logits"] else 0.5
        predicted = (pred.ravel() > cut).astype("int64")
        true = truth.ravel().astype("int64")
        classes, p = _binary_shares(y_all)
    elif family in ("sparse", "categorical"):
        shares = _class_shares(y_all, family, spec)
        if shares is None:
            return None
        classes, p = shares
        predicted = pred.reshape(len(pred), -1).argmax(axis=1)
        true = (truth.reshape(len(truth), -1).argmax(axis=1)
                if family == "categorical" else truth.ravel().astype("int64"))
    else:
        return None
    if classes is None or len(classes) < 2 or p.max() < _MAJORITY:
        return None
    majority = int(classes[int(np.argmax(p))])
    others = int(np.sum(true != majority))
    if not others or not np.all(predicted == majority):
        return None
    k = len(classes)
    weights = ", ".join(f"{int(c)}: {1 / (k * share):.2f}"
                        for c, share in zip(classes, p))
    return {"majority": majority, "share": float(p.max()),
            "rows": int(len(predicted)), "others": others,
            "weights": f"{{{weights}}}"}


def _one_target(model, y):
    """The one output's loss spec and its targets as float64, or
    `(None, None)`."""
    if y is None or not getattr(model, "compiled", False):
        return None, None
    leaves = keras.tree.flatten(y)
    outputs = keras.tree.flatten(getattr(model, "outputs", None) or [None])
    if len(leaves) != 1 or len(outputs) != 1:
        return None, None
    spec = _spec(model, list(getattr(model, "output_names", None)
                             or ["output_0"])[:1])
    try:
        values = np.asarray(leaves[0])[:_MAX_ROWS].astype("float64")
    except (TypeError, ValueError):
        return None, None
    if spec is None or values.size == 0 or not np.isfinite(values).all():
        return None, None
    return spec, values


def _spec(model, names):
    """The loss spec of the first of `names`, with the squared log error,
    which the setup rules leave alone, as a family of its own."""
    spec = loss_specs(model, names)[0]
    if spec is None and loss_names(model, names)[0] == _MSLE:
        spec = {"family": "log_regression", "name": _MSLE}
    return spec


def _class_shares(y, family, spec):
    if family == "categorical" and y.ndim == 2 and y.shape[1] > 1:
        p = y.mean(axis=0)
        if not np.isclose(p.sum(), 1.0, atol=1e-3):
            return None
        return np.arange(len(p)), p
    if family == "sparse":
        ids = y.ravel()
        if not np.all(ids == np.round(ids)) or ids.min() < 0:
            return None
        ignore = spec.get("ignore_class")
        if ignore is not None:
            ids = ids[ids != ignore]
        classes, counts = np.unique(ids.astype("int64"), return_counts=True)
        return classes, counts / counts.sum()
    return None


def _binary_shares(y):
    values = y.ravel()
    if not np.all((values == 0) | (values == 1)):
        return None, None
    p1 = float(values.mean())
    return np.array([0, 1]), np.array([1 - p1, p1])


def _log(values):
    return np.log(np.clip(values, 1e-12, None))
